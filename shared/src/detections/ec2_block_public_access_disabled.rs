//! The account's block on public EBS snapshots or public AMIs turned off
//! (`DisableSnapshotBlockPublicAccess`, `DisableImageBlockPublicAccess`),
//! successfully.
//!
//! Decisions: both settings are per Region and stop any snapshot or image from
//! being shared with everyone; turning one off is what must happen before
//! `ebs-snapshot-shared` or `ec2-ami-shared` can make a disk public, so it is
//! worth a finding of its own, even when no sharing follows. Switching the
//! snapshot block from `block-all-sharing` to `block-new-sharing` (an
//! `EnableSnapshotBlockPublicAccess`) also weakens it but leaves existing public
//! snapshots as they are and new sharing blocked: left out. Refused calls and
//! AWS service identities do not fire; a stack that turns the block off counts.
//!
//! From a third evasion review: an organisation's EC2 declarative policy
//! (`CreatePolicy`, `UpdatePolicy` of Organizations) that assigns `unblocked` to
//! `ec2_attributes.snapshot_block_public_access` or `image_block_public_access`
//! turns the block off in every account it reaches, which cannot turn it back on
//! themselves: high, as the S3 organisation policy that assigns `none` is.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{change_by_anyone_but, organizations, policy_document, succeeded_call, text_is};
use crate::event::Record;

pub struct Ec2BlockPublicAccessDisabled;

const SOURCE: &str = "ec2.amazonaws.com";
const NAMES: &[&str] = &[
    "DisableImageBlockPublicAccess",
    "DisableSnapshotBlockPublicAccess",
];
const ORGANIZATIONS: &str = "organizations.amazonaws.com";
const ORGANIZATION_POLICY: &[&str] = &["CreatePolicy", "UpdatePolicy"];
/// The declarative policy's settings, as the findings name them.
const SETTINGS: [(&str, &str); 2] = [
    ("snapshot_block_public_access", "snapshots"),
    ("image_block_public_access", "images"),
];

pub static META: Meta = Meta {
    id: "ec2-block-public-access-disabled",
    title: "AWS EC2 Block Public Access for Snapshots or AMIs Disabled",
    description: "The Region-wide block on public EBS snapshots or on public machine images \
                  (AMIs) was turned off, in one account or, by an organisation's declarative \
                  policy, in every account it reaches. With it off, a single call can share a disk or an \
                  image with every AWS account, the usual way to move a copy of a volume out \
                  of an organisation.",
    severity: Severity::Medium,
    attack: &["T1537", "T1562.001"],
    origins: &["trailwatch: based on the EBS snapshot and AMI sharing techniques of Stratus \
                Red Team (exfiltration.ec2-share-ebs-snapshot, exfiltration.ec2-share-ami), \
                whose public form needs this block off first"],
    group: "backup-exposure",
    false_positives: &[
        "A team that publishes public AMIs or snapshots on purpose (vendors, open data).",
    ],
    next_steps: "Turn the block back on unless public sharing is intended, then look for \
                 snapshots and images shared since (ModifySnapshotAttribute, \
                 ModifyImageAttribute) and review the caller's other calls.",
    evidence: "api caller caller_type policy_id policy_name scope source_ip unblocked user_agent",
    triggers: &[
        Trigger::write(SOURCE, NAMES),
        Trigger::write(ORGANIZATIONS, ORGANIZATION_POLICY),
    ],
    window: None,
};

impl Detection for Ec2BlockPublicAccessDisabled {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn severity_for(&self, rec: &Record<'_>) -> Severity {
        if rec.event_source() == ORGANIZATIONS {
            Severity::High
        } else {
            META.severity
        }
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if succeeded_call(rec, ORGANIZATIONS, ORGANIZATION_POLICY) {
            return organization_policy_unblocks(rec);
        }
        change_by_anyone_but(rec, SOURCE, NAMES, &[], &[]).and_then(fire)
    }
}

/// An organisation's EC2 declarative policy created or rewritten to assign
/// `unblocked` to either block: a finding naming the policy and what it opens.
fn organization_policy_unblocks(rec: &Record<'_>) -> Option<Signal> {
    let doc = policy_document(rec.request_param("content")?)?;
    let attributes = doc.get("ec2_attributes")?;
    let unblocked: Vec<&str> = SETTINGS
        .iter()
        .filter(|(key, _)| {
            let state = attributes.get(*key).and_then(|s| s.get("state"));
            text_is(state.map(organizations::assigned), "unblocked")
        })
        .map(|(_, what)| *what)
        .collect();
    if unblocked.is_empty() {
        return None;
    }
    fire(organizations::with_policy_named(
        Evidence::new()
            .with("scope", "organization")
            .with("unblocked", unblocked),
        rec,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, USER, failed, record};
    use crate::detections::common::testing::fires;

    const PARAMS: &str = r#"{"DisableSnapshotBlockPublicAccessRequest":""}"#;

    /// From a third evasion review: an organisation's declarative policy.
    #[test]
    fn an_organisation_policy_that_unblocks_fires_high() {
        let policy = |content: &str| {
            let content = serde_json::to_string(content).unwrap();
            record(ORGANIZATIONS, "UpdatePolicy", ROLE, &format!(r#"{{"policyId":"p-5s3a1b2c","content":{content}}}"#), "")
        };
        let open = policy(r#"{"ec2_attributes":{"image_block_public_access":{"state":{"@@assign":"unblocked"}}}}"#);
        match crate::detections::common::testing::eval(&Ec2BlockPublicAccessDisabled, &open) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("unblocked"), Some(&serde_json::json!(["images"]))),
            other => panic!("expected a finding, got {other:?}"),
        }
        let rec = crate::event::Record::from_json(&open).unwrap();
        assert_eq!(Ec2BlockPublicAccessDisabled.severity_for(&rec), Severity::High);
        assert!(fires(&Ec2BlockPublicAccessDisabled, &policy(r#"{"ec2_attributes":{"snapshot_block_public_access":{"state":"unblocked"}}}"#)));
        for kept in [
            r#"{"ec2_attributes":{"snapshot_block_public_access":{"state":{"@@assign":"block_all_sharing"}}}}"#,
            r#"{"ec2_attributes":{"serial_console_access":{"status":{"@@assign":"disabled"}}}}"#,
            r#"{"s3_attributes":{"public_access_block_configuration":{"@@assign":"all"}}}"#,
        ] {
            assert!(!fires(&Ec2BlockPublicAccessDisabled, &policy(kept)), "{kept}");
        }
    }

    #[test]
    fn fires_when_either_block_is_turned_off() {
        for name in NAMES {
            assert!(fires(&Ec2BlockPublicAccessDisabled, &record(SOURCE, name, ROLE, PARAMS, "")), "{name}");
            assert!(fires(&Ec2BlockPublicAccessDisabled, &record(SOURCE, name, USER, "null", "")), "{name}");
        }
    }

    #[test]
    fn near_misses() {
        let d = &Ec2BlockPublicAccessDisabled;
        assert!(!fires(d, &failed(SOURCE, "DisableSnapshotBlockPublicAccess", ROLE, PARAMS, "UnauthorizedOperation")));
        assert!(!fires(d, &record(SOURCE, "DisableSnapshotBlockPublicAccess", SERVICE, PARAMS, "")));
        let enable = r#"{"EnableSnapshotBlockPublicAccessRequest":{"State":"block-new-sharing"}}"#;
        assert!(!fires(d, &record(SOURCE, "EnableSnapshotBlockPublicAccess", ROLE, enable, "")));
        assert!(!fires(d, &record(SOURCE, "GetSnapshotBlockPublicAccessState", ROLE, "null", "")));
        assert!(!fires(d, &record("ssm.amazonaws.com", "DisableImageBlockPublicAccess", ROLE, "null", "")));
    }
}
