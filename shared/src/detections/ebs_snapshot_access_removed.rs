//! Create-volume permission removed from an EBS snapshot
//! (`ModifySnapshotAttribute` with `createVolumePermission.remove`), successfully.
//!
//! Decisions: Elastic's rule fires on any removal not made by AWS Backup; we skip
//! every AWS service caller (`AWSService`, `invokedBy`). Removing the group `all`
//! (making a snapshot private again) is a fix, not an attack, and does not fire: the
//! finding is about accounts losing access to a snapshot they relied on, for example
//! a disaster-recovery account. `ResetSnapshotAttribute` on `createVolumePermission`
//! takes every account's access away at once (the snapshot is private again) and
//! counts too; its record cannot say whom it removed.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_caller, is_account_id, one_or_many, succeeded_call};
use crate::event::Record;

pub struct EbsSnapshotAccessRemoved;

const NAMES: &[&str] = &["ModifySnapshotAttribute", "ResetSnapshotAttribute"];

pub static META: Meta = Meta {
    id: "ebs-snapshot-access-removed",
    title: "AWS EC2 EBS Snapshot Access Removed",
    description: "An account was removed from the list of those allowed to create volumes from an \
                  EBS snapshot. Cutting a backup or recovery account off from its snapshots is a \
                  step towards making data unrecoverable.",
    severity: Severity::Low,
    attack: &["T1490", "T1485"],
    origins: &["Elastic detection-rules impact_ec2_ebs_snapshot_access_removed.toml"],
    group: "backup-exposure",
    false_positives: &["Ending a share that is no longer needed (project or partner offboarding)."],
    next_steps: "Check which account lost access and whether it holds backups or recovery \
                 processes that depend on the snapshot; restore the permission if the change was \
                 not planned, and look for deletions of the snapshot that follow.",
    triggers: &[Trigger::write("ec2.amazonaws.com", NAMES)],
    window: None,
};

impl Detection for EbsSnapshotAccessRemoved {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, "ec2.amazonaws.com", NAMES) || aws_service_caller(rec)
        {
            return None;
        }
        if rec.event_name() == "ResetSnapshotAttribute" {
            // `createVolumePermission`, or the enum spelling `CREATE_VOLUME_PERMISSION`
            // that `ModifySnapshotAttribute` records use, under either key.
            let attribute = rec
                .request_param_str("attribute")
                .or_else(|| rec.request_param_str("attributeReset"))
                .or_else(|| rec.request_param_str("attributeType"))?;
            let spelled: String = attribute.chars().filter(|c| *c != '_').collect();
            if !spelled.trim().eq_ignore_ascii_case("createVolumePermission") {
                return None;
            }
            return fire(
                Evidence::new()
                    .with_opt("snapshot_id", rec.request_param_str("snapshotId"))
                    .with("removed_accounts", "all (reset)"),
            );
        }
        let items = rec
            .request_param("createVolumePermission")
            .and_then(|p| p.get("remove"))
            .and_then(|r| r.get("items"));
        let accounts: Vec<&str> = one_or_many(items)
            .into_iter()
            .filter_map(|i| i.get("userId")?.as_str())
            .map(str::trim)
            .filter(|u| is_account_id(u))
            .collect();
        if accounts.is_empty() {
            return None;
        }
        fire(
            Evidence::new()
                .with_opt("snapshot_id", rec.request_param_str("snapshotId"))
                .with("removed_accounts", accounts),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::{eval, fires};
    use serde_json::json;

    fn modify(op: &str, items: &str) -> String {
        format!(r#"{{"snapshotId":"snap-0a1b2c3d4e5f60718","attributeType":"CREATE_VOLUME_PERMISSION","createVolumePermission":{{"{op}":{{"items":[{items}]}}}}}}"#)
    }

    #[test]
    fn fires_when_an_account_loses_access() {
        let rec = record("ec2.amazonaws.com", "ModifySnapshotAttribute", ROLE, &modify("remove", r#"{"userId":"444455556666"}"#), "");
        match eval(&EbsSnapshotAccessRemoved, &rec) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("removed_accounts"), Some(&json!(["444455556666"]))),
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn a_reset_counts_in_either_spelling() {
        for params in [
            r#"{"snapshotId":"snap-0a1b2c3d","attribute":"createVolumePermission"}"#,
            r#"{"snapshotId":"snap-0a1b2c3d","attribute":"CREATE_VOLUME_PERMISSION"}"#,
            r#"{"snapshotId":"snap-0a1b2c3d","attributeReset":"CREATE_VOLUME_PERMISSION"}"#,
        ] {
            assert!(fires(&EbsSnapshotAccessRemoved, &record("ec2.amazonaws.com", "ResetSnapshotAttribute", ROLE, params, "")), "{params}");
        }
        let other = r#"{"snapshotId":"snap-0a1b2c3d","attribute":"productCodes"}"#;
        assert!(!fires(&EbsSnapshotAccessRemoved, &record("ec2.amazonaws.com", "ResetSnapshotAttribute", ROLE, other, "")));
    }

    #[test]
    fn near_misses() {
        let private_again = record("ec2.amazonaws.com", "ModifySnapshotAttribute", ROLE, &modify("remove", r#"{"group":"all"}"#), "");
        assert!(!fires(&EbsSnapshotAccessRemoved, &private_again));
        let add = record("ec2.amazonaws.com", "ModifySnapshotAttribute", ROLE, &modify("add", r#"{"userId":"444455556666"}"#), "");
        assert!(!fires(&EbsSnapshotAccessRemoved, &add));
        let backup = record("ec2.amazonaws.com", "ModifySnapshotAttribute", SERVICE, &modify("remove", r#"{"userId":"444455556666"}"#), "");
        assert!(!fires(&EbsSnapshotAccessRemoved, &backup));
        let denied = failed("ec2.amazonaws.com", "ModifySnapshotAttribute", ROLE, &modify("remove", r#"{"userId":"444455556666"}"#), "Client.UnauthorizedOperation");
        assert!(!fires(&EbsSnapshotAccessRemoved, &denied));
        assert!(!fires(&EbsSnapshotAccessRemoved, &record("ec2.amazonaws.com", "ModifySnapshotAttribute", ROLE, "null", "")));
    }

    #[test]
    fn a_reset_of_the_permission_counts() {
        let reset = r#"{"snapshotId":"snap-0d2e4f6a8b0c1d3e5","attribute":"createVolumePermission"}"#;
        match eval(&EbsSnapshotAccessRemoved, &record("ec2.amazonaws.com", "ResetSnapshotAttribute", ROLE, reset, "")) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("snapshot_id").and_then(|v| v.as_str()), Some("snap-0d2e4f6a8b0c1d3e5")),
            other => panic!("expected a finding, got {other:?}"),
        }
        let other = r#"{"snapshotId":"snap-0d2e4f6a8b0c1d3e5","attribute":"productCodes"}"#;
        assert!(!fires(&EbsSnapshotAccessRemoved, &record("ec2.amazonaws.com", "ResetSnapshotAttribute", ROLE, other, "")));
        assert!(!fires(&EbsSnapshotAccessRemoved, &record("ec2.amazonaws.com", "ResetSnapshotAttribute", SERVICE, reset, "")));
        assert!(!fires(&EbsSnapshotAccessRemoved, &failed("ec2.amazonaws.com", "ResetSnapshotAttribute", ROLE, reset, "Client.UnauthorizedOperation")));
    }
}
