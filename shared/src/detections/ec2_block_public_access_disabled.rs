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

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::change_by_anyone_but;
use crate::event::Record;

pub struct Ec2BlockPublicAccessDisabled;

const SOURCE: &str = "ec2.amazonaws.com";
const NAMES: &[&str] = &[
    "DisableImageBlockPublicAccess",
    "DisableSnapshotBlockPublicAccess",
];

pub static META: Meta = Meta {
    id: "ec2-block-public-access-disabled",
    title: "AWS EC2 Block Public Access for Snapshots or AMIs Disabled",
    description: "The Region-wide block on public EBS snapshots or on public machine images \
                  (AMIs) was turned off. With it off, a single call can share a disk or an \
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
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

impl Detection for Ec2BlockPublicAccessDisabled {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        change_by_anyone_but(rec, SOURCE, NAMES, &[], &[]).and_then(fire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, USER, failed, record};
    use crate::detections::common::testing::fires;

    const PARAMS: &str = r#"{"DisableSnapshotBlockPublicAccessRequest":""}"#;

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
