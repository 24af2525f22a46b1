//! An EBS snapshot, an AMI or an RDS snapshot copied (`CopySnapshot`, `CopyImage`,
//! `CopyDBSnapshot`, `CopyDBClusterSnapshot`), or restored into a new volume or
//! database (`CreateVolume`, `RestoreDBClusterFromSnapshot`,
//! `RestoreDBClusterToPointInTime`, `CreateDBInstanceReadReplica` across Regions;
//! a volume only when made from a snapshot), and encrypted under a KMS key that
//! another account owns, successfully.
//!
//! The restores were added after a review: a volume made from a snapshot under the
//! intruder's key, then snapshotted, is the roundabout route to the same copy.
//! An evasion review added two more: an instance launched with a block device
//! under another account's key (`RunInstances`: the image's snapshots restored
//! into volumes under that key; any device of the mapping counts, since a
//! device without a snapshot id may still be the image's), and a database
//! cluster made as a replica of another (`CreateDBCluster` with
//! `replicationSourceIdentifier`) under such a key. A later one added the launch
//! templates that do the same for every launch made from them
//! (`CreateLaunchTemplate`, `CreateLaunchTemplateVersion` with a block device
//! under another account's key: fleets and Auto Scaling then launch as services,
//! and a `RunInstances` naming the template carries no key of its own).
//!
//! Decisions: the copy is the data under a key its owner no longer controls: the key's
//! account can read it, share it or, by disabling the key, hold it for ransom. A key
//! named by a bare id or an alias is in the caller's account, so only a key ARN can
//! name another account; it fires when that account is not the one the event was
//! recorded in. Copies that AWS services make (AWS Backup's cross-account copies,
//! `invokedBy`) are left out; a stack's copy counts. This is the snapshot and image
//! form of `s3-copy-object-foreign-kms-key`.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    aws_service_caller_but_stack, foreign_key_account, request_text_any, succeeded_call, texts_at_key,
    values_at_key,
};
use crate::event::Record;

pub struct SnapshotOrImageCopiedWithForeignKmsKey;

const EC2: &str = "ec2.amazonaws.com";
const RDS: &str = "rds.amazonaws.com";
const EC2_COPIES: &[&str] = &["CopyImage", "CopySnapshot", "CreateVolume"];
const LAUNCH: &[&str] = &["RunInstances"];
const TEMPLATES: &[&str] = &["CreateLaunchTemplate", "CreateLaunchTemplateVersion"];
/// A launch whose block devices name a key by ARN: only an ARN can name another
/// account's key, and the function then sees no other launch.
const LAUNCH_UNDER_KEY_ARN: &str =
    r#"{"requestParameters":{"blockDeviceMapping":{"items":{"ebs":{"kmsKeyId":[{"prefix":"arn:"}]}}}}}"#;
const CLUSTER_REPLICA: &str = "CreateDBCluster";
const RDS_COPIES: &[&str] = &[
    CLUSTER_REPLICA,
    "CopyDBClusterSnapshot",
    "CopyDBSnapshot",
    "CreateDBInstanceReadReplica",
    "RestoreDBClusterFromSnapshot",
    "RestoreDBClusterToPointInTime",
];

pub static META: Meta = Meta {
    id: "snapshot-or-image-copied-with-foreign-kms-key",
    title: "AWS Snapshot or Image Copied Under Another Account's KMS Key",
    description: "An EBS snapshot, a machine image or a database snapshot was copied, or \
                  restored into a new volume or database (or a launch template set to do so \
                  at every launch), and encrypted under a KMS key that belongs to another AWS \
                  account. Whoever \
                  controls that key can read the copy, or make it unreadable for good: a way \
                  to take data out, or to hold it for ransom.",
    severity: Severity::High,
    attack: &["T1537", "T1486"],
    origins: &[
        "trailwatch: from a red-team gap hunt (snapshots and images re-encrypted under an \
         attacker's key, the copy-and-share and ransomware paths of EC2 and RDS)",
    ],
    group: "backup-exposure",
    false_positives: &[
        "Organisations that keep their KMS keys in a central security account: tune by that \
         account's keys.",
        "Cross-account backup copies made by hand to a backup account's key.",
    ],
    next_steps: "Identify the account that owns the key. If it is not the organisation's, \
                 delete the copy, revoke the caller's credentials and check whether the copy \
                 was shared or copied on; review the caller's other snapshot activity.",
    evidence: "api kms_key kms_key_account source source_region",
    triggers: &[
        Trigger::write(EC2, EC2_COPIES),
        Trigger::Events {
            source: EC2,
            names: LAUNCH,
            read_only: false,
            detail_pattern: Some(LAUNCH_UNDER_KEY_ARN),
            data_event: false,
        },
        Trigger::write(EC2, TEMPLATES),
        Trigger::write(RDS, RDS_COPIES),
    ],
    window: None,
};

impl Detection for SnapshotOrImageCopiedWithForeignKmsKey {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !(succeeded_call(rec, EC2, EC2_COPIES)
            || succeeded_call(rec, EC2, LAUNCH)
            || succeeded_call(rec, EC2, TEMPLATES)
            || succeeded_call(rec, RDS, RDS_COPIES))
            || aws_service_caller_but_stack(rec)
        {
            return None;
        }
        // A new cluster is a copy only as a replica of another.
        if rec.event_name() == CLUSTER_REPLICA
            && rec
                .request_param_str("replicationSourceIdentifier")
                .is_none_or(|s| s.trim().is_empty())
        {
            return None;
        }
        // A blank volume holds no copy (the EBS CSI driver makes them under a
        // central key all day): only a volume made from a snapshot counts.
        if rec.event_name() == "CreateVolume" && rec.request_param_str("snapshotId").is_none_or(|s| s.trim().is_empty()) {
            return None;
        }
        let keys = if rec.event_name() == LAUNCH[0] {
            rec.request_param("blockDeviceMapping")
                .map(|m| texts_at_key(m, "kmsKeyId"))
                .unwrap_or_default()
        } else if TEMPLATES.contains(&rec.event_name()) {
            // The template's data, wrapped and in PascalCase as EC2 logs it.
            rec.request_parameters()
                .map(|r| values_at_key(r, "BlockDeviceMapping"))
                .unwrap_or_default()
                .into_iter()
                .flat_map(|m| texts_at_key(m, "KmsKeyId"))
                .collect()
        } else {
            rec.request_param_str("kmsKeyId").into_iter().collect()
        };
        let (key, key_account) = keys
            .into_iter()
            .map(str::trim)
            .find_map(|key| Some((key, foreign_key_account(rec, key)?)))?;
        let source = request_text_any(rec, &[
            "sourceSnapshotId",
            "sourceImageId",
            "sourceDBSnapshotIdentifier",
            "sourceDBClusterSnapshotIdentifier",
            "snapshotId",
            "snapshotIdentifier",
            "sourceDBClusterIdentifier",
            "sourceDBInstanceIdentifier",
            "replicationSourceIdentifier",
            "imageId",
        ])
        .or_else(|| {
            let request = rec.request_parameters()?;
            values_at_key(request, "LaunchTemplateName")
                .into_iter()
                .chain(values_at_key(request, "LaunchTemplateId"))
                .find_map(|v| v.as_str())
        });
        fire(
            Evidence::new()
                .with("api", rec.event_name())
                .with_opt("source", source)
                .with_opt("source_region", rec.request_param_str("sourceRegion"))
                .with("kms_key", key)
                .with("kms_key_account", key_account),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, USER, failed, record};
    use crate::detections::common::testing::{eval, fires};

    const FOREIGN: &str = "arn:aws:kms:us-east-1:444455556666:key/0f1e2d3c-4b5a-4697-8877-665544332211";

    /// From an evasion review: a launch template whose devices use another
    /// account's key.
    #[test]
    fn a_launch_template_under_a_foreign_key_fires() {
        let template = |name: &str, key: &str| {
            let wrapper = format!("{name}Request");
            record(EC2, name, ROLE, &format!(
                r#"{{"{wrapper}":{{"LaunchTemplateName":"web","LaunchTemplateData":{{"ImageId":"ami-0a1b2c3d4e5f60718","BlockDeviceMapping":{{"tag":1,"DeviceName":"/dev/xvda","Ebs":{{"Encrypted":true,"KmsKeyId":"{key}"}}}}}}}}}}"#
            ), "")
        };
        for name in TEMPLATES {
            match eval(&SnapshotOrImageCopiedWithForeignKmsKey, &template(name, FOREIGN)) {
                Some(Signal::Fire(e)) => {
                    assert_eq!(e.get("kms_key_account").and_then(|v| v.as_str()), Some("444455556666"), "{name}");
                    assert_eq!(e.get("source").and_then(|v| v.as_str()), Some("web"), "{name}");
                }
                other => panic!("expected a finding for {name}, got {other:?}"),
            }
            let own = FOREIGN.replace("444455556666", "111122223333");
            assert!(!fires(&SnapshotOrImageCopiedWithForeignKmsKey, &template(name, &own)), "{name}");
            assert!(!fires(&SnapshotOrImageCopiedWithForeignKmsKey, &template(name, "alias/ebs")), "{name}");
        }
    }

    #[test]
    fn every_copy_under_a_foreign_key_fires() {
        for (source, name, params) in [
            (EC2, "CopySnapshot", format!(r#"{{"sourceRegion":"us-east-1","sourceSnapshotId":"snap-0a1b2c3d4e5f60718","encrypted":true,"kmsKeyId":"{FOREIGN}"}}"#)),
            (EC2, "CopyImage", format!(r#"{{"sourceRegion":"us-east-1","sourceImageId":"ami-0a1b2c3d4e5f60718","name":"x","encrypted":true,"kmsKeyId":"{FOREIGN}"}}"#)),
            (RDS, "CopyDBSnapshot", format!(r#"{{"sourceDBSnapshotIdentifier":"orders-nightly","targetDBSnapshotIdentifier":"o2","kmsKeyId":"{FOREIGN}"}}"#)),
            (RDS, "CopyDBClusterSnapshot", format!(r#"{{"sourceDBClusterSnapshotIdentifier":"c-nightly","targetDBClusterSnapshotIdentifier":"c2","kmsKeyId":"{FOREIGN}"}}"#)),
            // From a review: restores into new volumes and databases.
            (EC2, "CreateVolume", format!(r#"{{"snapshotId":"snap-0a1b2c3d4e5f60718","availabilityZone":"us-east-1a","encrypted":true,"kmsKeyId":"{FOREIGN}"}}"#)),
            (RDS, "RestoreDBClusterFromSnapshot", format!(r#"{{"dBClusterIdentifier":"c3","snapshotIdentifier":"c-nightly","engine":"aurora-postgresql","kmsKeyId":"{FOREIGN}"}}"#)),
            (RDS, "RestoreDBClusterToPointInTime", format!(r#"{{"dBClusterIdentifier":"c4","sourceDBClusterIdentifier":"orders","useLatestRestorableTime":true,"kmsKeyId":"{FOREIGN}"}}"#)),
            (RDS, "CreateDBInstanceReadReplica", format!(r#"{{"dBInstanceIdentifier":"r1","sourceDBInstanceIdentifier":"arn:aws:rds:us-west-2:111122223333:db:orders","kmsKeyId":"{FOREIGN}"}}"#)),
        ] {
            match eval(&SnapshotOrImageCopiedWithForeignKmsKey, &record(source, name, ROLE, &params, "")) {
                Some(Signal::Fire(e)) => {
                    assert_eq!(e.get("kms_key_account").and_then(|v| v.as_str()), Some("444455556666"), "{name}");
                    assert!(e.get("source").is_some(), "{name}");
                }
                other => panic!("expected a finding for {name}, got {other:?}"),
            }
        }
    }

    /// From an evasion review: a launch with a block device under a foreign
    /// key, and a replica cluster under one.
    #[test]
    fn launches_and_replica_clusters_under_a_foreign_key_fire() {
        let launch = format!(
            r#"{{"instancesSet":{{"items":[{{"imageId":"ami-0a1b2c3d4e5f60718","minCount":1,"maxCount":1}}]}},"blockDeviceMapping":{{"items":[{{"deviceName":"/dev/xvda","ebs":{{"volumeSize":8,"encrypted":true}}}},{{"deviceName":"/dev/xvdb","ebs":{{"snapshotId":"snap-0a1b2c3d4e5f60718","encrypted":true,"kmsKeyId":"{FOREIGN}"}}}}]}},"instanceType":"t3.micro"}}"#
        );
        match eval(&SnapshotOrImageCopiedWithForeignKmsKey, &record(EC2, "RunInstances", ROLE, &launch, "")) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("kms_key_account").and_then(|v| v.as_str()), Some("444455556666"));
                assert_eq!(e.get("kms_key").and_then(|v| v.as_str()), Some(FOREIGN));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let own = launch.replace("444455556666", "111122223333");
        assert!(!fires(&SnapshotOrImageCopiedWithForeignKmsKey, &record(EC2, "RunInstances", ROLE, &own, "")));
        let replica = format!(
            r#"{{"dBClusterIdentifier":"orders-replica","engine":"aurora-mysql","replicationSourceIdentifier":"arn:aws:rds:us-west-2:111122223333:cluster:orders","kmsKeyId":"{FOREIGN}"}}"#
        );
        assert!(fires(&SnapshotOrImageCopiedWithForeignKmsKey, &record(RDS, "CreateDBCluster", ROLE, &replica, "")));
        let fresh = format!(r#"{{"dBClusterIdentifier":"new","engine":"aurora-mysql","kmsKeyId":"{FOREIGN}"}}"#);
        assert!(!fires(&SnapshotOrImageCopiedWithForeignKmsKey, &record(RDS, "CreateDBCluster", ROLE, &fresh, "")));
    }

    #[test]
    fn a_blank_volume_under_a_foreign_key_does_not() {
        let blank = format!(r#"{{"availabilityZone":"us-east-1a","size":20,"encrypted":true,"kmsKeyId":"{FOREIGN}"}}"#);
        assert!(!fires(&SnapshotOrImageCopiedWithForeignKmsKey, &record(EC2, "CreateVolume", ROLE, &blank, "")));
    }

    #[test]
    fn own_keys_services_failures_and_other_calls_do_not() {
        let copy = |key: &str| format!(r#"{{"sourceRegion":"us-east-1","sourceSnapshotId":"snap-1","encrypted":true,"kmsKeyId":"{key}"}}"#);
        for key in [
            "arn:aws:kms:us-east-1:111122223333:key/0f1e2d3c-4b5a-4697-8877-665544332211",
            "0f1e2d3c-4b5a-4697-8877-665544332211",
            "alias/backup",
        ] {
            assert!(!fires(&SnapshotOrImageCopiedWithForeignKmsKey, &record(EC2, "CopySnapshot", USER, &copy(key), "")), "{key}");
        }
        assert!(!fires(&SnapshotOrImageCopiedWithForeignKmsKey, &record(EC2, "CopySnapshot", USER, r#"{"sourceSnapshotId":"snap-1"}"#, "")));
        assert!(!fires(&SnapshotOrImageCopiedWithForeignKmsKey, &record(EC2, "CopySnapshot", SERVICE, &copy(FOREIGN), "")));
        // A stack's copy is its caller's (from an evasion review: it was left out).
        let by_stack = record(EC2, "CopySnapshot", ROLE, &copy(FOREIGN), "")
            .replacen(r#""accountId":"111122223333""#, r#""accountId":"111122223333","invokedBy":"cloudformation.amazonaws.com""#, 1);
        assert!(by_stack.contains("invokedBy"));
        assert!(fires(&SnapshotOrImageCopiedWithForeignKmsKey, &by_stack));
        assert!(!fires(&SnapshotOrImageCopiedWithForeignKmsKey, &failed(EC2, "CopySnapshot", ROLE, &copy(FOREIGN), "InvalidParameterValue")));
        assert!(!fires(&SnapshotOrImageCopiedWithForeignKmsKey, &record(EC2, "CreateSnapshot", ROLE, &copy(FOREIGN), "")));
        assert!(!fires(&SnapshotOrImageCopiedWithForeignKmsKey, &record(RDS, "CopySnapshot", ROLE, &copy(FOREIGN), "")));
    }
}
