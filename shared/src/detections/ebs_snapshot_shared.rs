//! An EBS snapshot shared with another account or made public
//! (`ModifySnapshotAttribute` adding `createVolumePermission`), successfully.
//!
//! Decisions: Elastic's rule fires on any `add`, Splunk's only when a `userId` is not
//! the caller's own account, Sigma's on any `ModifySnapshotAttribute`. All three look
//! for the same act, so this is one detection: it fires when the request adds the
//! group `all` (public) or a 12-digit account other than the one the event belongs
//! to. Adding one's own account, a malformed id or a `remove` changes nothing
//! outside the account and does not fire (removal is `ebs-snapshot-access-removed`).
//! Only a share that succeeded counts: a refused one exposes nothing. Shares AWS
//! services make (`common::aws_service_or_linked_role`: GuardDuty's malware scans
//! share each snapshot they take with GuardDuty's account through a service-linked
//! role) are left out (from a review: they fired at high on every scan), and so
//! are AWS Backup's and Data Lifecycle Manager's shares to one account for a
//! cross-account copy (`common::backup_service_copy`; the copy's configuration
//! is `backup-copied-to-another-account`).

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    aws_service_or_linked_role, backup_service_copy, ec2_permission_added, succeeded_call,
};
use crate::event::Record;

pub struct EbsSnapshotShared;

pub static META: Meta = Meta {
    id: "ebs-snapshot-shared",
    title: "AWS EC2 EBS Snapshot Shared with Another Account or Made Public",
    description: "The permission to create volumes from an EBS snapshot was given to another \
                  AWS account or to everyone. Whoever holds that permission can copy the disk \
                  and read everything on it, with no trace in this account: a common way to \
                  take data out of AWS.",
    severity: Severity::High,
    attack: &["T1537"],
    origins: &[
        "Elastic detection-rules exfiltration_ec2_ebs_snapshot_shared_with_another_account.toml",
        "Splunk ESCU detections/cloud/aws_ec2_snapshot_shared_externally.yml",
        "SigmaHQ rules/cloud/aws/cloudtrail/aws_snapshot_backup_exfiltration.yml",
        "trailwatch: based on Stratus Red Team aws.exfiltration.ec2-share-ebs-snapshot",
    ],
    group: "backup-exposure",
    false_positives: &[
        "Snapshots shared on purpose with a partner, a backup or a disaster-recovery account \
         (list those accounts and suppress them).",
    ],
    next_steps: "Check whether the receiving account belongs to the organisation. If not, remove \
                 the permission at once, find out what the volume held (secrets, databases), \
                 and review the caller's other activity and how its credentials were obtained.",
    evidence: "other_accounts other_organizations public snapshot_id",
    triggers: &[Trigger::write("ec2.amazonaws.com", &["ModifySnapshotAttribute"])],
    window: None,
};

impl Detection for EbsSnapshotShared {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, "ec2.amazonaws.com", &["ModifySnapshotAttribute"])
            || aws_service_or_linked_role(rec)
        {
            return None;
        }
        let exposure =
            ec2_permission_added(rec.request_param("createVolumePermission"), rec.account_id());
        if !exposure.exposed() || (backup_service_copy(rec) && !exposure.public && exposure.accounts.len() == 1) {
            return None;
        }
        let e = Evidence::new().with_opt("snapshot_id", rec.request_param_str("snapshotId"));
        fire(exposure.exposure_evidence(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, ROOT, USER, failed, record};
    use crate::detections::common::testing::{eval, fires};
    use serde_json::json;

    fn share(items: &str) -> String {
        format!(
            r#"{{"snapshotId":"snap-0a1b2c3d4e5f60718","attributeType":"CREATE_VOLUME_PERMISSION",
            "createVolumePermission":{{"add":{{"items":[{items}]}}}}}}"#
        )
    }

    #[test]
    fn fires_on_another_account_and_on_public() {
        let rec = record("ec2.amazonaws.com", "ModifySnapshotAttribute", USER,
            &share(r#"{"userId":"444455556666"}"#), "");
        match eval(&EbsSnapshotShared, &rec) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("other_accounts"), Some(&json!(["444455556666"])));
                assert_eq!(e.get("snapshot_id"), Some(&json!("snap-0a1b2c3d4e5f60718")));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let public = record("ec2.amazonaws.com", "ModifySnapshotAttribute", ROOT,
            &share(r#"{"group":"all"}"#), "");
        match eval(&EbsSnapshotShared, &public) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("public"), Some(&json!(true))),
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn own_account_remove_and_failures_do_not_fire() {
        let own = record("ec2.amazonaws.com", "ModifySnapshotAttribute", ROLE,
            &share(r#"{"userId":"111122223333"}"#), "");
        assert!(!fires(&EbsSnapshotShared, &own));
        let bogus = record("ec2.amazonaws.com", "ModifySnapshotAttribute", ROLE,
            &share(r#"{"userId":"54321"},{"group":"none"},{"userId":12}"#), "");
        assert!(!fires(&EbsSnapshotShared, &bogus));
        let remove = record("ec2.amazonaws.com", "ModifySnapshotAttribute", ROLE,
            r#"{"snapshotId":"snap-1","createVolumePermission":{"remove":{"items":[{"group":"all"}]}}}"#, "");
        assert!(!fires(&EbsSnapshotShared, &remove));
        let denied = failed("ec2.amazonaws.com", "ModifySnapshotAttribute", ROLE,
            &share(r#"{"group":"all"}"#), "Client.UnauthorizedOperation");
        assert!(!fires(&EbsSnapshotShared, &denied));
        for params in ["null", "{}", r#"{"createVolumePermission":"all"}"#] {
            let rec = record("ec2.amazonaws.com", "ModifySnapshotAttribute", ROLE, params, "");
            assert!(!fires(&EbsSnapshotShared, &rec), "{params}");
        }
    }

    /// From an evasion review: AWS Backup's and DLM's copies share with the
    /// destination account first; a public share is never a copy's.
    #[test]
    fn a_backup_services_share_with_one_account_does_not_fire() {
        let by = |service: &str| {
            ROLE.replacen(
                r#""accountId":"111122223333","#,
                &format!(r#""accountId":"111122223333","invokedBy":"{service}","#),
                1,
            )
        };
        let to_one = share(r#"{"userId":"444455556666"}"#);
        for service in ["backup.amazonaws.com", "dlm.amazonaws.com"] {
            let who = by(service);
            assert!(who.contains("invokedBy"));
            let rec = record("ec2.amazonaws.com", "ModifySnapshotAttribute", &who, &to_one, "");
            assert!(!fires(&EbsSnapshotShared, &rec), "{service}");
            let public = record("ec2.amazonaws.com", "ModifySnapshotAttribute", &who, &share(r#"{"group":"all"}"#), "");
            assert!(fires(&EbsSnapshotShared, &public), "{service}");
        }
        // A copy goes to one account: shares to two are not a copy's.
        let to_two = share(r#"{"userId":"444455556666"},{"userId":"555566667777"}"#);
        assert!(fires(&EbsSnapshotShared, &record("ec2.amazonaws.com", "ModifySnapshotAttribute", &by("backup.amazonaws.com"), &to_two, "")));
        let by_stack = by("cloudformation.amazonaws.com");
        let rec = record("ec2.amazonaws.com", "ModifySnapshotAttribute", &by_stack, &to_one, "");
        assert!(fires(&EbsSnapshotShared, &rec));
    }

    /// From a review: GuardDuty's malware scans share their snapshots through a
    /// service-linked role; a role merely named like it elsewhere still counts.
    #[test]
    fn a_service_linked_roles_share_does_not_fire() {
        let slr = |path: &str| {
            format!(
                r#"{{"type":"AssumedRole","principalId":"AROAEXAMPLEGDMP:GuardDuty",
                "arn":"arn:aws:sts::111122223333:assumed-role/AWSServiceRoleForAmazonGuardDutyMalwareProtection/GuardDuty",
                "accountId":"111122223333","sessionContext":{{"sessionIssuer":{{"type":"Role",
                "arn":"arn:aws:iam::111122223333:role/{path}AWSServiceRoleForAmazonGuardDutyMalwareProtection",
                "accountId":"111122223333"}}}}}}"#
            )
        };
        let params = share(r#"{"userId":"987654321098"}"#);
        let scan = slr("aws-service-role/malware-protection.guardduty.amazonaws.com/");
        assert!(!fires(&EbsSnapshotShared, &record("ec2.amazonaws.com", "ModifySnapshotAttribute", &scan, &params, "")));
        let lookalike = slr("");
        assert!(fires(&EbsSnapshotShared, &record("ec2.amazonaws.com", "ModifySnapshotAttribute", &lookalike, &params, "")));
    }

    #[test]
    fn only_snapshot_attribute_changes() {
        let image = record("ec2.amazonaws.com", "ModifyImageAttribute", ROLE,
            &share(r#"{"group":"all"}"#), "");
        assert!(!fires(&EbsSnapshotShared, &image));
    }
}
