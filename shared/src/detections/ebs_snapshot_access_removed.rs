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
//!
//! The same cut made to the other copies a recovery account restores from counts
//! too (from an evasion review's left-out list): accounts removed from an RDS
//! snapshot's or cluster snapshot's `restore` attribute (`ModifyDBSnapshotAttribute`,
//! `ModifyDBClusterSnapshotAttribute` with `valuesToRemove`), and accounts,
//! organizations or organizational units removed from an AMI's launch permission
//! (`ModifyImageAttribute` with `launchPermission.remove`, or `ResetImageAttribute`
//! of `launchPermission`). Removing `all` is making it private again, as above.

use serde_json::Value;

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_caller, is_account_id, one_or_many, succeeded_call};
use crate::event::Record;

pub struct EbsSnapshotAccessRemoved;

const EC2: &str = "ec2.amazonaws.com";
const RDS: &str = "rds.amazonaws.com";
const NAMES: &[&str] = &["ModifySnapshotAttribute", "ResetSnapshotAttribute"];
const IMAGE_NAMES: &[&str] = &["ModifyImageAttribute", "ResetImageAttribute"];
const RDS_NAMES: &[&str] = &["ModifyDBClusterSnapshotAttribute", "ModifyDBSnapshotAttribute"];

pub static META: Meta = Meta {
    id: "ebs-snapshot-access-removed",
    title: "AWS Snapshot or Image Access Removed",
    description: "An account was removed from the list of those allowed to create volumes from an \
                  EBS snapshot, to restore an RDS snapshot or to launch an AMI. Cutting a backup \
                  or recovery account off from its copies is a step towards making data \
                  unrecoverable.",
    severity: Severity::Low,
    attack: &["T1490", "T1485"],
    origins: &["Elastic detection-rules impact_ec2_ebs_snapshot_access_removed.toml"],
    group: "backup-exposure",
    false_positives: &["Ending a share that is no longer needed (project or partner offboarding)."],
    next_steps: "Check which account lost access and whether it holds backups or recovery \
                 processes that depend on the snapshot or image; restore the permission if the \
                 change was not planned, and look for deletions of the snapshot or image that \
                 follow.",
    evidence: "image_id removed_accounts snapshot_id",
    triggers: &[
        Trigger::write(EC2, NAMES),
        Trigger::write(EC2, IMAGE_NAMES),
        Trigger::write(RDS, RDS_NAMES),
    ],
    window: None,
};

/// Whether `attribute` names `wanted` (lowerCamel), in that spelling or the enum
/// one (`CREATE_VOLUME_PERMISSION`), letter case aside.
fn names_attribute(attribute: &str, wanted: &str) -> bool {
    let spelled: String = attribute.chars().filter(|c| *c != '_').collect();
    spelled.trim().eq_ignore_ascii_case(wanted)
}

/// The accounts, organizations and organizational units an EC2 permission list
/// (`createVolumePermission`, `launchPermission`) removes; the group `all` is not one.
fn removed_from(list: Option<&Value>) -> Vec<&str> {
    let items = list.and_then(|p| p.get("remove")).and_then(|r| r.get("items"));
    let mut out: Vec<&str> = Vec::new();
    for item in one_or_many(items) {
        let account = item
            .get("userId")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|u| is_account_id(u));
        let organizations = ["organizationArn", "organizationalUnitArn"]
            .into_iter()
            .filter_map(|k| item.get(k)?.as_str())
            .map(str::trim)
            .filter(|arn| arn.starts_with("arn:"));
        for target in account.into_iter().chain(organizations) {
            if !out.contains(&target) {
                out.push(target);
            }
        }
    }
    out
}

impl Detection for EbsSnapshotAccessRemoved {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if aws_service_caller(rec) {
            return None;
        }
        if succeeded_call(rec, RDS, RDS_NAMES) {
            if !rec
                .request_param_str("attributeName")
                .is_some_and(|a| a.trim().eq_ignore_ascii_case("restore"))
            {
                return None;
            }
            let mut accounts: Vec<&str> = Vec::new();
            for v in one_or_many(rec.request_param("valuesToRemove")) {
                if let Some(a) = v.as_str().map(str::trim).filter(|a| is_account_id(a))
                    && !accounts.contains(&a)
                {
                    accounts.push(a);
                }
            }
            if accounts.is_empty() {
                return None;
            }
            let snapshot = rec
                .request_param_str("dBSnapshotIdentifier")
                .or_else(|| rec.request_param_str("dBClusterSnapshotIdentifier"));
            return fire(
                Evidence::new()
                    .with_opt("snapshot_id", snapshot)
                    .with("removed_accounts", accounts),
            );
        }
        let (permission, id_key) = if succeeded_call(rec, EC2, NAMES) {
            ("createVolumePermission", "snapshotId")
        } else if succeeded_call(rec, EC2, IMAGE_NAMES) {
            ("launchPermission", "imageId")
        } else {
            return None;
        };
        let id = rec.request_param_str(id_key);
        let evidence = |e: Evidence| match id_key {
            "imageId" => e.with_opt("image_id", id),
            _ => e.with_opt("snapshot_id", id),
        };
        if rec.event_name().starts_with("Reset") {
            // The attribute under either key, in either spelling (the
            // `Modify*Attribute` records use the enum one).
            let attribute = rec
                .request_param_str("attribute")
                .or_else(|| rec.request_param_str("attributeReset"))
                .or_else(|| rec.request_param_str("attributeType"))?;
            if !names_attribute(attribute, permission) {
                return None;
            }
            return fire(evidence(Evidence::new()).with("removed_accounts", "all (reset)"));
        }
        let removed = removed_from(rec.request_param(permission));
        if removed.is_empty() {
            return None;
        }
        fire(evidence(Evidence::new()).with("removed_accounts", removed))
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
    fn recovery_accounts_cut_off_from_rds_snapshots_and_images_fire() {
        let rds = |name: &str, params: &str| record(RDS, name, ROLE, params, "");
        let cut = rds(
            "ModifyDBSnapshotAttribute",
            r#"{"attributeName":"restore","dBSnapshotIdentifier":"orders-nightly","valuesToRemove":["444455556666"]}"#,
        );
        match eval(&EbsSnapshotAccessRemoved, &cut) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("removed_accounts"), Some(&json!(["444455556666"])));
                assert_eq!(e.get("snapshot_id").and_then(|v| v.as_str()), Some("orders-nightly"));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let cluster = rds(
            "ModifyDBClusterSnapshotAttribute",
            r#"{"attributeName":"RESTORE","dBClusterSnapshotIdentifier":"aurora","valuesToRemove":"444455556666"}"#,
        );
        assert!(fires(&EbsSnapshotAccessRemoved, &cluster));
        for near in [
            r#"{"attributeName":"restore","dBSnapshotIdentifier":"s","valuesToRemove":["all"]}"#,
            r#"{"attributeName":"restore","dBSnapshotIdentifier":"s","valuesToAdd":["444455556666"]}"#,
            r#"{"attributeName":"other","dBSnapshotIdentifier":"s","valuesToRemove":["444455556666"]}"#,
            r#"{"attributeName":"restore","valuesToRemove":[12,null,{"a":1}]}"#,
        ] {
            assert!(!fires(&EbsSnapshotAccessRemoved, &rds("ModifyDBSnapshotAttribute", near)), "{near}");
        }
        let denied = failed(RDS, "ModifyDBSnapshotAttribute", ROLE,
            r#"{"attributeName":"restore","valuesToRemove":["444455556666"]}"#, "AccessDenied");
        assert!(!fires(&EbsSnapshotAccessRemoved, &denied));

        let image = |items: &str| record(EC2, "ModifyImageAttribute", ROLE, &format!(
            r#"{{"imageId":"ami-0abcdef1234567890","attributeType":"launchPermission","launchPermission":{{"remove":{{"items":[{items}]}}}}}}"#), "");
        let org = "arn:aws:organizations::111122223333:organization/o-abc123defg";
        match eval(&EbsSnapshotAccessRemoved, &image(&format!(r#"{{"userId":"444455556666"}},{{"organizationArn":"{org}"}}"#))) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("removed_accounts"), Some(&json!(["444455556666", org])));
                assert_eq!(e.get("image_id").and_then(|v| v.as_str()), Some("ami-0abcdef1234567890"));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(!fires(&EbsSnapshotAccessRemoved, &image(r#"{"group":"all"}"#)));
        let added = image(r#"{"userId":"444455556666"}"#).replace(r#""remove""#, r#""add""#);
        assert!(!fires(&EbsSnapshotAccessRemoved, &added));
        let reset = record(EC2, "ResetImageAttribute", ROLE, r#"{"imageId":"ami-1","attribute":"launchPermission"}"#, "");
        assert!(fires(&EbsSnapshotAccessRemoved, &reset));
        let other_reset = record(EC2, "ResetImageAttribute", ROLE, r#"{"imageId":"ami-1","attribute":"kernel"}"#, "");
        assert!(!fires(&EbsSnapshotAccessRemoved, &other_reset));
        // A snapshot's attribute reset on an image call is not the image's.
        let mixed = record(EC2, "ResetImageAttribute", ROLE, r#"{"imageId":"ami-1","attribute":"createVolumePermission"}"#, "");
        assert!(!fires(&EbsSnapshotAccessRemoved, &mixed));
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
