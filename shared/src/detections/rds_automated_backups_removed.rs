//! An RDS database's automated backups deleted (`DeleteDBInstanceAutomatedBackup`,
//! `DeleteDBClusterAutomatedBackup`), turned off (`ModifyDBInstance` with a
//! `backupRetentionPeriod` of 0), or deleted with the database and nothing kept
//! (`DeleteDBInstance`, `DeleteDBCluster` with `skipFinalSnapshot` true and
//! `deleteAutomatedBackups` not false), successfully.
//!
//! Decisions: automated backups are what point-in-time recovery restores from,
//! and the retained ones are all that is left of a deleted database; removing
//! them is the step before a destruction that cannot be undone (Inhibit System
//! Recovery). A modify that does not name the retention period, or names one of
//! a day or more, changes nothing here. Aurora clusters cannot turn automated
//! backups off (their minimum is one day), so `ModifyDBCluster` is not taken.
//! Refused calls, AWS service identities and service-linked roles (AWS Backup's
//! restore testing cleans up its restores so, from a review) do not fire; a stack update that sets the
//! retention to zero or deletes the database with nothing kept counts.
//!
//! A database deletion counts only when it leaves nothing to restore: no final
//! snapshot asked for (`skipFinalSnapshot` true, which the API does not assume) and
//! the automated backups not kept. The API removes them unless told otherwise, so
//! a deletion that does not name `deleteAutomatedBackups` counts. A deletion that
//! takes a final snapshot, or keeps the backups, is an ordinary decommissioning. So is
//! the deletion of a read replica or of an Aurora cluster's member instance (the
//! response names its source or its cluster): AWS requires `skipFinalSnapshot` there,
//! and the data and its backups live on with the source or the cluster.
//!
//! From a third evasion review: the same deletion on the other stores, where
//! it is explicit: a Redshift cluster deleted with `skipFinalClusterSnapshot`
//! true (its automated snapshots go with it) and an FSx file system deleted with
//! `skipFinalBackup` true in its type's configuration (its automatic backups go
//! with it). Left out: an ElastiCache cache deleted without a
//! `finalSnapshotIdentifier`, which is how most caches are torn down, and a
//! retention cut to one day, which keeps a day of recovery.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    aws_service_among, aws_service_or_linked_role, change_by_anyone_but, count_is, flag_value, request_text_any,
    values_at_key,
};
use crate::event::Record;

pub struct RdsAutomatedBackupsRemoved;

const SOURCE: &str = "rds.amazonaws.com";
const MODIFY: &str = "ModifyDBInstance";
/// The deletions of a database itself, which may take its backups with it.
const DELETE_DATABASE: &[&str] = &["DeleteDBCluster", "DeleteDBInstance"];
const NAMES: &[&str] = &[
    "DeleteDBCluster",
    "DeleteDBClusterAutomatedBackup",
    "DeleteDBInstance",
    "DeleteDBInstanceAutomatedBackup",
    "ModifyDBInstance",
];

/// The other data stores' deletions that keep nothing when their flag is true
/// (from a third evasion review): the source, the call and the flag's key (at
/// any depth: FSx nests it in the file system type's configuration).
const OTHER_DELETIONS: [(&str, &str, &str); 2] = [
    ("redshift.amazonaws.com", "DeleteCluster", "skipFinalClusterSnapshot"),
    ("fsx.amazonaws.com", "DeleteFileSystem", "skipFinalBackup"),
];

/// The other data stores' switches (from a review): the source, its calls, and the
/// retention key that turns automated backups off at zero, deleting the existing
/// ones. Their triggers are read from here.
const OTHER_STORES: [(&str, &[&str], &str); 3] = [
    ("redshift.amazonaws.com", &["ModifyCluster"], "automatedSnapshotRetentionPeriod"),
    ("fsx.amazonaws.com", &["UpdateFileSystem"], "automaticBackupRetentionDays"),
    (
        "elasticache.amazonaws.com",
        &["ModifyReplicationGroup", "ModifyCacheCluster"],
        "snapshotRetentionLimit",
    ),
];

pub static META: Meta = Meta {
    id: "rds-automated-backups-removed",
    title: "AWS RDS or Other Data Store Automated Backups Deleted or Disabled",
    description: "A database's automated backups were deleted, or its backup retention set to \
                  zero, which turns them off and deletes the existing ones. Without them the \
                  database cannot be restored to a point in time, and a deleted database \
                  cannot be restored at all: removing them is a common step before destroying \
                  data for ransom or sabotage. Redshift clusters, FSx file systems and \
                  ElastiCache caches whose automated backups are switched off, and Redshift \
                  clusters and FSx file systems deleted without a final copy, are reported \
                  too.",
    severity: Severity::Medium,
    attack: &["T1490", "T1485"],
    origins: &["trailwatch: based on RDS recovery inhibition (DeleteDBInstanceAutomatedBackup, \
                DeleteDBClusterAutomatedBackup, ModifyDBInstance with backupRetentionPeriod 0, \
                a database deleted without a final snapshot or its automated backups)"],
    group: "backup-exposure",
    false_positives: &[
        "Clean-up of the retained backups of a database that was decommissioned on purpose.",
        "Test databases created without backups to save cost, or torn down without a final \
         snapshot.",
    ],
    next_steps: "Check whether the database is still meant to be recoverable; if so, set the \
                 retention period back, take a manual snapshot now, and review the caller's \
                 other calls for deletions of instances, snapshots or backup vaults.",
    triggers: &[
        Trigger::write(SOURCE, NAMES),
        Trigger::write(OTHER_STORES[0].0, OTHER_STORES[0].1),
        Trigger::write(OTHER_STORES[1].0, OTHER_STORES[1].1),
        Trigger::write(OTHER_STORES[2].0, OTHER_STORES[2].1),
        Trigger::write(OTHER_DELETIONS[0].0, &["DeleteCluster"]),
        Trigger::write(OTHER_DELETIONS[1].0, &["DeleteFileSystem"]),
    ],
    window: None,
};

/// What the evidence names of the request (each only when present).
const EVIDENCE_PARAMS: &[&str] = &[
    "dbiResourceId",
    "dBInstanceAutomatedBackupsArn",
    "dbClusterResourceId",
    "dBInstanceIdentifier",
    "dBClusterIdentifier",
    "backupRetentionPeriod",
    "skipFinalSnapshot",
    "deleteAutomatedBackups",
];

/// A database deleted with nothing to restore it from: no final snapshot, and
/// the automated backups not kept (they go unless `deleteAutomatedBackups` is false).
fn deleted_without_recovery(rec: &Record<'_>) -> bool {
    let flag = |name| rec.request_param(name).and_then(flag_value);
    flag("skipFinalSnapshot") == Some(true)
        && flag("deleteAutomatedBackups") != Some(false)
        && !(rec.event_name() == "DeleteDBInstance" && copy_or_member(rec))
}

/// The deleted instance was a read replica or an Aurora cluster member, as the
/// response describes it (`readReplicaSourceDBInstanceIdentifier`,
/// `dBClusterIdentifier`). Without a response, it is not known to be one.
fn copy_or_member(rec: &Record<'_>) -> bool {
    ["readReplicaSourceDBInstanceIdentifier", "dBClusterIdentifier"]
        .iter()
        .any(|key| {
            rec.response_element(key)
                .and_then(|v| v.as_str())
                .is_some_and(|s| !s.trim().is_empty())
        })
}

/// `backupRetentionPeriod` given as 0 (a number or its text).
fn retention_set_to_zero(rec: &Record<'_>) -> bool {
    count_is(rec.request_param("backupRetentionPeriod"), 0)
}

/// A Redshift cluster's, FSx file system's or ElastiCache cache's automated
/// backups switched off (their retention set to zero; FSx nests it in the file
/// system type's configuration), by anyone but an AWS service.
fn other_store_backups_off(rec: &Record<'_>) -> Option<Evidence> {
    let (_, _, key) = OTHER_STORES
        .iter()
        .find(|(source, names, _)| rec.event_source() == *source && names.contains(&rec.event_name()))?;
    if !rec.succeeded() || aws_service_or_linked_role(rec) || aws_service_among(rec, &[]) {
        return None;
    }
    let zero = values_at_key(rec.request_parameters()?, key).into_iter().any(|v| count_is(Some(v), 0));
    if !zero {
        return None;
    }
    let resource = request_text_any(rec, &["clusterIdentifier", "fileSystemId", "replicationGroupId", "cacheClusterId"]);
    Some(Evidence::new().with("api", rec.event_name()).with_opt("resource", resource).with(key, 0))
}

/// A Redshift cluster or FSx file system deleted with its flag to skip the
/// final copy true: nothing of it is left to restore.
fn other_store_deleted_bare(rec: &Record<'_>) -> Option<Evidence> {
    let (_, name, key) = OTHER_DELETIONS
        .iter()
        .find(|(source, name, _)| rec.event_source() == *source && rec.event_name() == *name)?;
    if !rec.succeeded() || aws_service_or_linked_role(rec) || aws_service_among(rec, &[]) {
        return None;
    }
    let skipped = values_at_key(rec.request_parameters()?, key)
        .into_iter()
        .any(|v| flag_value(v) == Some(true));
    if !skipped {
        return None;
    }
    let resource = request_text_any(rec, &["clusterIdentifier", "fileSystemId"]);
    Some(Evidence::new().with("api", *name).with_opt("resource", resource).with(key, true))
}

impl Detection for RdsAutomatedBackupsRemoved {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if let Some(evidence) = other_store_backups_off(rec).or_else(|| other_store_deleted_bare(rec)) {
            return fire(evidence);
        }
        // The backup deletions fire as they are; a modify only when it zeroes the
        // retention, a database deletion only when it keeps nothing.
        let name = rec.event_name();
        // AWS Backup's restore testing deletes what it restored through its
        // service-linked role, every day (from a review).
        if (name == MODIFY && !retention_set_to_zero(rec))
            || (DELETE_DATABASE.contains(&name) && !deleted_without_recovery(rec))
            || aws_service_or_linked_role(rec)
        {
            return None;
        }
        change_by_anyone_but(rec, SOURCE, NAMES, EVIDENCE_PARAMS, &[]).and_then(fire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, USER, failed, record};
    use crate::detections::common::testing::{eval, fires};
    use serde_json::json;

    #[test]
    fn fires_on_deleted_backups() {
        let inst = r#"{"dbiResourceId":"db-7QKX2EXAMPLE4HZ3"}"#;
        match eval(&RdsAutomatedBackupsRemoved, &record(SOURCE, "DeleteDBInstanceAutomatedBackup", ROLE, inst, "")) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("dbiResourceId"), Some(&json!("db-7QKX2EXAMPLE4HZ3"))),
            other => panic!("expected a finding, got {other:?}"),
        }
        let cluster = r#"{"dbClusterResourceId":"cluster-4RZ2EXAMPLE7LQ"}"#;
        assert!(fires(&RdsAutomatedBackupsRemoved, &record(SOURCE, "DeleteDBClusterAutomatedBackup", USER, cluster, "")));
    }

    /// From a third evasion review: Redshift and FSx deleted with nothing kept.
    #[test]
    fn other_stores_deleted_without_a_final_copy_fire() {
        for (source, name, params) in [
            ("redshift.amazonaws.com", "DeleteCluster", r#"{"clusterIdentifier":"dw-prod","skipFinalClusterSnapshot":true}"#),
            ("fsx.amazonaws.com", "DeleteFileSystem", r#"{"fileSystemId":"fs-0a1b2c3d4e5f60718","windowsConfiguration":{"skipFinalBackup":true}}"#),
            ("fsx.amazonaws.com", "DeleteFileSystem", r#"{"fileSystemId":"fs-0a1b2c3d4e5f60718","openZFSConfiguration":{"skipFinalBackup":"true","options":[]}}"#),
        ] {
            match eval(&RdsAutomatedBackupsRemoved, &record(source, name, ROLE, params, "")) {
                Some(Signal::Fire(e)) => assert!(e.get("resource").is_some(), "{params}"),
                other => panic!("{params}: expected a finding, got {other:?}"),
            }
        }
        for (source, name, params) in [
            ("redshift.amazonaws.com", "DeleteCluster", r#"{"clusterIdentifier":"dw-prod","skipFinalClusterSnapshot":false,"finalClusterSnapshotIdentifier":"dw-final"}"#),
            ("redshift.amazonaws.com", "DeleteCluster", r#"{"clusterIdentifier":"dw-prod"}"#),
            ("fsx.amazonaws.com", "DeleteFileSystem", r#"{"fileSystemId":"fs-1","windowsConfiguration":{"skipFinalBackup":false}}"#),
            ("fsx.amazonaws.com", "DeleteFileSystem", r#"{"fileSystemId":"fs-1"}"#),
        ] {
            assert!(!fires(&RdsAutomatedBackupsRemoved, &record(source, name, ROLE, params, "")), "{params}");
        }
        let denied = failed("redshift.amazonaws.com", "DeleteCluster", ROLE, r#"{"clusterIdentifier":"dw-prod","skipFinalClusterSnapshot":true}"#, "UnauthorizedOperation");
        assert!(!fires(&RdsAutomatedBackupsRemoved, &denied));
    }

    #[test]
    fn fires_on_retention_set_to_zero() {
        for p in [
            r#"{"dBInstanceIdentifier":"orders-prod","backupRetentionPeriod":0,"applyImmediately":true}"#,
            r#"{"dBInstanceIdentifier":"orders-prod","backupRetentionPeriod":"0"}"#,
        ] {
            assert!(fires(&RdsAutomatedBackupsRemoved, &record(SOURCE, "ModifyDBInstance", ROLE, p, "")), "{p}");
        }
    }

    #[test]
    fn fires_on_a_database_deleted_with_nothing_kept() {
        let d = &RdsAutomatedBackupsRemoved;
        for (name, p) in [
            ("DeleteDBInstance", r#"{"dBInstanceIdentifier":"orders-prod","skipFinalSnapshot":true,"deleteAutomatedBackups":true}"#),
            ("DeleteDBInstance", r#"{"dBInstanceIdentifier":"orders-prod","skipFinalSnapshot":"true"}"#),
            ("DeleteDBCluster", r#"{"dBClusterIdentifier":"aurora-billing","skipFinalSnapshot":true}"#),
        ] {
            match eval(d, &record(SOURCE, name, USER, p, "")) {
                Some(Signal::Fire(e)) => {
                    assert!(e.get("skipFinalSnapshot").is_some(), "{p}");
                    assert!(e.get("dBInstanceIdentifier").or(e.get("dBClusterIdentifier")).is_some(), "{p}");
                }
                other => panic!("{p}: expected a finding, got {other:?}"),
            }
        }
        for p in [
            r#"{"dBInstanceIdentifier":"orders-prod","skipFinalSnapshot":false,"finalDBSnapshotIdentifier":"orders-final"}"#,
            r#"{"dBInstanceIdentifier":"orders-prod","finalDBSnapshotIdentifier":"orders-final"}"#,
            r#"{"dBInstanceIdentifier":"orders-prod","skipFinalSnapshot":true,"deleteAutomatedBackups":false}"#,
            r#"{"dBInstanceIdentifier":"orders-prod"}"#,
            "null",
        ] {
            assert!(!fires(d, &record(SOURCE, "DeleteDBInstance", USER, p, "")), "{p}");
        }
        let nothing_kept = r#"{"dBInstanceIdentifier":"orders-prod","skipFinalSnapshot":true}"#;
        assert!(!fires(d, &failed(SOURCE, "DeleteDBInstance", USER, nothing_kept, "InvalidDBInstanceState")));
        assert!(!fires(d, &record(SOURCE, "DeleteDBInstance", SERVICE, nothing_kept, "")));
    }

    #[test]
    fn a_replica_or_cluster_member_deleted_keeps_its_data_elsewhere() {
        let d = &RdsAutomatedBackupsRemoved;
        let nothing_kept = r#"{"dBInstanceIdentifier":"orders-replica-1","skipFinalSnapshot":true}"#;
        let deleted = |response: &str| {
            record(SOURCE, "DeleteDBInstance", USER, nothing_kept, "")
                .replace(r#""responseElements":null"#, &format!(r#""responseElements":{response}"#))
        };
        let replica = deleted(r#"{"dBInstanceIdentifier":"orders-replica-1","dBInstanceStatus":"deleting","readReplicaSourceDBInstanceIdentifier":"orders-prod","backupRetentionPeriod":0}"#);
        assert!(replica.contains("readReplicaSource"), "the response is in the record");
        assert!(!fires(d, &replica));
        let member = deleted(r#"{"dBInstanceIdentifier":"aurora-billing-reader","dBClusterIdentifier":"aurora-billing","dBInstanceStatus":"deleting"}"#);
        assert!(!fires(d, &member));
        // A standalone database, or one whose response says neither, still counts.
        let standalone = deleted(r#"{"dBInstanceIdentifier":"orders-prod","dBInstanceStatus":"deleting","readReplicaSourceDBInstanceIdentifier":"","dBClusterIdentifier":null}"#);
        assert!(fires(d, &standalone));
        assert!(fires(d, &record(SOURCE, "DeleteDBInstance", USER, nothing_kept, "")));
    }

    #[test]
    fn near_misses() {
        let d = &RdsAutomatedBackupsRemoved;
        for p in [
            r#"{"dBInstanceIdentifier":"orders-prod","backupRetentionPeriod":7}"#,
            r#"{"dBInstanceIdentifier":"orders-prod","backupRetentionPeriod":"1"}"#,
            r#"{"dBInstanceIdentifier":"orders-prod","allocatedStorage":400}"#,
            r#"{"dBInstanceIdentifier":"orders-prod","backupRetentionPeriod":null}"#,
            "null",
        ] {
            assert!(!fires(d, &record(SOURCE, "ModifyDBInstance", ROLE, p, "")), "{p}");
        }
        let zero = r#"{"dBClusterIdentifier":"aurora-billing","backupRetentionPeriod":0}"#;
        assert!(!fires(d, &record(SOURCE, "ModifyDBCluster", ROLE, zero, "")));
        let inst = r#"{"dbiResourceId":"db-7QKX2EXAMPLE4HZ3"}"#;
        assert!(!fires(d, &failed(SOURCE, "DeleteDBInstanceAutomatedBackup", ROLE, inst, "AccessDenied")));
        assert!(!fires(d, &record(SOURCE, "DeleteDBInstanceAutomatedBackup", SERVICE, inst, "")));
        assert!(!fires(d, &record(SOURCE, "DescribeDBInstanceAutomatedBackups", ROLE, "null", "")));
        let zero_inst = r#"{"dBInstanceIdentifier":"orders-prod","backupRetentionPeriod":0}"#;
        assert!(!fires(d, &failed(SOURCE, "ModifyDBInstance", USER, zero_inst, "InvalidParameterCombination")));
    }

    /// From a review: the other data stores' automated backups switched off.
    #[test]
    fn other_stores_backups_switched_off_fire() {
        for (source, name, params) in [
            ("redshift.amazonaws.com", "ModifyCluster", r#"{"clusterIdentifier":"dw","automatedSnapshotRetentionPeriod":0}"#),
            ("fsx.amazonaws.com", "UpdateFileSystem", r#"{"fileSystemId":"fs-0a1b","windowsConfiguration":{"automaticBackupRetentionDays":0}}"#),
            ("elasticache.amazonaws.com", "ModifyReplicationGroup", r#"{"replicationGroupId":"sessions","snapshotRetentionLimit":"0"}"#),
        ] {
            assert!(fires(&RdsAutomatedBackupsRemoved, &record(source, name, ROLE, params, "")), "{name}");
            let kept = params.replace(":0", ":7").replace(r#":"0""#, r#":"7""#);
            assert!(!fires(&RdsAutomatedBackupsRemoved, &record(source, name, ROLE, &kept, "")), "{name} kept");
            assert!(!fires(&RdsAutomatedBackupsRemoved, &record(source, name, SERVICE, params, "")), "{name} by a service");
        }
    }
}
