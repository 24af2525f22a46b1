//! An AMI shared with another account or made public (`ModifyImageAttribute`
//! adding `launchPermission`), successfully.
//!
//! Decisions: like `ebs-snapshot-shared`, it fires when the request adds the group
//! `all` or a 12-digit account other than the event's own. Unlike snapshots, images
//! can also be shared with an organization or an organizational unit
//! (`organizationArn`, `organizationalUnitArn`): any such grant fires, since a
//! record does not say which organization the account belongs to, unless the
//! deployment names its own organisations (`common::organizations`) and the
//! grant is within one of them: sharing a golden image with one's own
//! organisation is everyday work. Calls made through AWS Marketplace
//! (`invokedBy` `assets.marketplace.amazonaws.com`) are publishing, not
//! exfiltration, and are skipped as in the Elastic rule. So are AWS Backup's and
//! Data Lifecycle Manager's shares for a cross-account copy
//! (`common::backup_service_copy`), unless public.
//!
//! EC2 Image Builder shares each new image with the accounts its distribution
//! configuration names, as its service-linked role, on every pipeline run (a
//! review of false positives, ninth session). That stays high: whoever writes a
//! distribution configuration chooses the accounts, and no detection reads those
//! configurations (an evasion review of a medium for it: an intruder's
//! distribution passed at medium, its snapshot's share silent). Tune the
//! pipeline's shares by the role and the receiving accounts written out
//! (`evidence.other_accounts[]`, docs/tuning.md).

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{ec2_permission_added, ec2_permission_items_added};
use crate::detections::common::{backup_service_copy, organizations, succeeded_call};
use crate::event::Record;

pub struct Ec2AmiShared;

pub static META: Meta = Meta {
    id: "ec2-ami-shared",
    title: "AWS EC2 AMI Shared with Another Account or Made Public",
    description: "Launch permission on a machine image was given to another AWS account or to \
                  everyone. The receiver can start the image, with the disks, software and any \
                  secrets baked into it, in an account this organisation does not control.",
    severity: Severity::High,
    attack: &["T1537"],
    origins: &[
        "Elastic detection-rules exfiltration_ec2_ami_shared_with_separate_account.toml",
        "trailwatch: based on Stratus Red Team aws.exfiltration.ec2-share-ami",
    ],
    group: "backup-exposure",
    false_positives: &[
        "Golden images shared on purpose with the organisation's other accounts or with \
         customers, by hand or by EC2 Image Builder's distributions (its service-linked \
         role): suppress the pipeline's role with the known receiving accounts, every \
         one of them (`evidence.other_accounts[]`).",
    ],
    next_steps: "Check the receiving account. If it is unknown, remove the launch permission, find \
                 out what the image contains (credentials, keys, data) and rotate what it holds; \
                 review how the caller got its rights.",
    evidence: "image_id organizations other_accounts other_organizations public",
    triggers: &[Trigger::write("ec2.amazonaws.com", &["ModifyImageAttribute"])],
    window: None,
};

impl Detection for Ec2AmiShared {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, "ec2.amazonaws.com", &["ModifyImageAttribute"])
            || rec.invoked_by() == Some("assets.marketplace.amazonaws.com")
        {
            return None;
        }
        let list = rec.request_param("launchPermission");
        let exposure = ec2_permission_added(list, rec.account_id());
        let organizations = foreign_organizations_added(list);
        if (!exposure.exposed() && organizations.is_empty())
            || (backup_service_copy(rec)
                && !exposure.public
                && exposure.accounts.len() == 1
                && organizations.is_empty())
        {
            return None;
        }
        let mut e = Evidence::new().with_opt("image_id", rec.request_param_str("imageId"));
        if !organizations.is_empty() {
            e = e.with("organizations", organizations);
        }
        fire(exposure.exposure_evidence(e))
    }
}

/// The organizations and organizational units a `launchPermission` list adds
/// outside the deployment's own organisations.
fn foreign_organizations_added(list: Option<&serde_json::Value>) -> Vec<&str> {
    let mut added = organizations_added(list);
    added.retain(|arn| !organizations::organization_of_arn(arn).is_some_and(organizations::is_own_organization));
    added
}

/// The organizations and organizational units (their ARNs) a `launchPermission`
/// list adds, without duplicates, in request order.
fn organizations_added(list: Option<&serde_json::Value>) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for item in ec2_permission_items_added(list) {
        for key in ["organizationArn", "organizationalUnitArn"] {
            if let Some(arn) = item.get(key).and_then(|v| v.as_str()).map(str::trim)
                && !arn.is_empty()
                && !out.contains(&arn)
            {
                out.push(arn);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, USER, failed, record};
    use crate::detections::common::testing::{eval, fires, severity};
    use serde_json::json;

    fn share(items: &str) -> String {
        format!(
            r#"{{"imageId":"ami-0abcdef1234567890","attributeType":"launchPermission",
            "launchPermission":{{"add":{{"items":[{items}]}}}}}}"#
        )
    }

    #[test]
    fn fires_on_another_account_or_public() {
        let rec = record("ec2.amazonaws.com", "ModifyImageAttribute", USER,
            &share(r#"{"userId":"444455556666"},{"userId":"111122223333"}"#), "");
        match eval(&Ec2AmiShared, &rec) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("other_accounts"), Some(&json!(["444455556666"])));
                assert_eq!(e.get("image_id"), Some(&json!("ami-0abcdef1234567890")));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let public = record("ec2.amazonaws.com", "ModifyImageAttribute", ROLE,
            &share(r#"{"group":"all"}"#), "");
        assert!(fires(&Ec2AmiShared, &public));
    }

    #[test]
    fn fires_on_an_organization_or_unit() {
        let org = "arn:aws:organizations::999988887777:organization/o-attacker1";
        let ou = "arn:aws:organizations::999988887777:ou/o-attacker1/ou-ab12-cdef3456";
        for item in [format!(r#"{{"organizationArn":"{org}"}}"#), format!(r#"{{"organizationalUnitArn":"{ou}"}}"#)] {
            let rec = record("ec2.amazonaws.com", "ModifyImageAttribute", ROLE, &share(&item), "");
            match eval(&Ec2AmiShared, &rec) {
                Some(Signal::Fire(e)) => {
                    let arn = if item.contains("organizationArn") { org } else { ou };
                    assert_eq!(e.get("organizations"), Some(&json!([arn])));
                }
                other => panic!("expected a finding for {item}, got {other:?}"),
            }
        }
        let empty = record("ec2.amazonaws.com", "ModifyImageAttribute", ROLE,
            &share(r#"{"organizationArn":""},{"organizationalUnitArn":null}"#), "");
        assert!(!fires(&Ec2AmiShared, &empty));
    }

    /// With the deployment's organisations named, a share within one of them is
    /// not reported; one with another organisation still is.
    #[test]
    fn shares_within_our_own_organisation_are_not_reported_once_it_is_named() {
        let ours = "arn:aws:organizations::111122223333:ou/o-a1b2c3d4e5/ou-ab12-cdef3456";
        let theirs = "arn:aws:organizations::999988887777:organization/o-zz9y8x7w6v";
        let rec = |arn: &str| {
            record("ec2.amazonaws.com", "ModifyImageAttribute", ROLE, &share(&format!(r#"{{"organizationalUnitArn":"{arn}"}}"#)), "")
        };
        assert!(fires(&Ec2AmiShared, &rec(ours)), "no list: every organisation counts");
        let ids: std::sync::Arc<[String]> = vec!["o-a1b2c3d4e5".to_owned()].into();
        let _scope = organizations::in_scope(Some(&ids));
        assert!(!fires(&Ec2AmiShared, &rec(ours)));
        assert!(fires(&Ec2AmiShared, &rec(theirs)));
    }

    /// Image Builder's service-linked role sharing with named accounts is as
    /// high as anyone's: its distribution configuration is the caller's choice.
    #[test]
    fn a_service_linked_roles_share_is_high_too() {
        let image_builder = r#"{"type":"AssumedRole","principalId":"AROAEXAMPLEIB0001:ImageBuilder",
            "arn":"arn:aws:sts::111122223333:assumed-role/AWSServiceRoleForImageBuilder/ImageBuilder","accountId":"111122223333",
            "sessionContext":{"sessionIssuer":{"type":"Role","userName":"AWSServiceRoleForImageBuilder",
            "arn":"arn:aws:iam::111122223333:role/aws-service-role/imagebuilder.amazonaws.com/AWSServiceRoleForImageBuilder"}}}"#;
        let json = record("ec2.amazonaws.com", "ModifyImageAttribute", image_builder,
            &share(r#"{"userId":"444455556666"},{"userId":"555566667777"}"#), "");
        assert!(fires(&Ec2AmiShared, &json));
        assert_eq!(severity(&Ec2AmiShared, &json), Severity::High);
    }

    #[test]
    fn near_misses() {
        let own = record("ec2.amazonaws.com", "ModifyImageAttribute", ROLE,
            &share(r#"{"userId":"111122223333"}"#), "");
        assert!(!fires(&Ec2AmiShared, &own));
        let remove = record("ec2.amazonaws.com", "ModifyImageAttribute", ROLE,
            r#"{"imageId":"ami-1","launchPermission":{"remove":{"items":[{"group":"all"}]}}}"#, "");
        assert!(!fires(&Ec2AmiShared, &remove));
        let other_attr = record("ec2.amazonaws.com", "ModifyImageAttribute", ROLE,
            r#"{"imageId":"ami-1","attributeType":"description","description":{"value":"x"}}"#, "");
        assert!(!fires(&Ec2AmiShared, &other_attr));
        let denied = failed("ec2.amazonaws.com", "ModifyImageAttribute", ROLE,
            &share(r#"{"group":"all"}"#), "Client.UnauthorizedOperation");
        assert!(!fires(&Ec2AmiShared, &denied));
        let marketplace = record("ec2.amazonaws.com", "ModifyImageAttribute",
            r#"{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/Mp/s","invokedBy":"assets.marketplace.amazonaws.com"}"#,
            &share(r#"{"group":"all"}"#), "");
        assert!(!fires(&Ec2AmiShared, &marketplace));
        let null_params = record("ec2.amazonaws.com", "ModifyImageAttribute", ROLE, "null", "");
        assert!(!fires(&Ec2AmiShared, &null_params));
    }
}
