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
//! with it). Left out: a retention cut to one day, which keeps a day of recovery.
//!
//! ElastiCache caches (sixth session): most are torn down without a final
//! snapshot, and that is no loss when the cache kept no backups. A deleted cache's
//! automatic snapshots go with it, so a deletion counts when the response shows the
//! cache kept them (`snapshotRetentionLimit` above zero) and the request asked for
//! no final snapshot (`finalSnapshotIdentifier`, `finalSnapshotName` for a serverless
//! cache). A replication group's primary kept (`retainPrimaryCluster`) or one node
//! of a replication group deleted (the group keeps the data and its snapshots) does
//! not count; without a response the cache's backups are not known and it does not
//! fire.
//!
//! A Redshift cluster deleted without a final snapshot whose response shows it
//! kept no automated snapshots (`automatedSnapshotRetentionPeriod` 0: a CI
//! cluster, say) takes no automated backups with it: low (a review of false
//! positives, ninth session), not silent (an evasion review: its manual
//! snapshots may have been deleted just before, under the burst threshold).
//! Without a response, or with a retention above zero, it stays medium;
//! switching the snapshots off beforehand is reported on its own.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    aws_service_among, aws_service_or_linked_role, change_by_anyone_but, count_is, flag_value, request_text_any,
    texts_at_key, values_at_key, whole_number,
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

const ELASTICACHE: &str = "elasticache.amazonaws.com";
/// ElastiCache's deletions and the request key that asks each for a final snapshot.
const CACHE_DELETIONS: [(&str, &str); 3] = [
    ("DeleteCacheCluster", "finalSnapshotIdentifier"),
    ("DeleteReplicationGroup", "finalSnapshotIdentifier"),
    ("DeleteServerlessCache", "finalSnapshotName"),
];

/// The other data stores' switches (from a review): the source, its calls, and the
/// retention key that turns automated backups off at zero, deleting the existing
/// ones. Their triggers are read from here.
const OTHER_STORES: [(&str, &[&str], &str); 3] = [
    ("redshift.amazonaws.com", &["ModifyCluster"], "automatedSnapshotRetentionPeriod"),
    ("fsx.amazonaws.com", &["UpdateFileSystem"], "automaticBackupRetentionDays"),
    (
        ELASTICACHE,
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
                  clusters and FSx file systems deleted without a final copy, and ElastiCache \
                  caches that kept automatic snapshots deleted without a final one, are \
                  reported too.",
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
    evidence: "api automatedSnapshotRetentionPeriod automated_snapshot_retention_days \
        automaticBackupRetentionDays backupRetentionPeriod caller caller_type dBClusterIdentifier \
        dBInstanceAutomatedBackupsArn dBInstanceIdentifier dbClusterResourceId dbiResourceId \
        deleteAutomatedBackups resource skipFinalBackup skipFinalClusterSnapshot \
        skipFinalSnapshot snapshotRetentionLimit source_ip user_agent",
    triggers: &[
        Trigger::write(SOURCE, NAMES),
        Trigger::write(OTHER_STORES[0].0, OTHER_STORES[0].1),
        Trigger::write(OTHER_STORES[1].0, OTHER_STORES[1].1),
        Trigger::write(OTHER_STORES[2].0, OTHER_STORES[2].1),
        Trigger::write(OTHER_DELETIONS[0].0, &["DeleteCluster"]),
        Trigger::write(OTHER_DELETIONS[1].0, &["DeleteFileSystem"]),
        Trigger::write(ELASTICACHE, &["DeleteCacheCluster", "DeleteReplicationGroup", "DeleteServerlessCache"]),
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
    let e = Evidence::new().with("api", *name).with_opt("resource", resource).with(key, true);
    Some(if *name == "DeleteCluster" && kept_no_automated_snapshots(rec) {
        e.with("automated_snapshot_retention_days", 0)
    } else {
        e
    })
}

/// The response of a Redshift deletion shows the cluster kept no automated
/// snapshots: every `automatedSnapshotRetentionPeriod` it gives (flat or
/// wrapped) is 0, and it gives one. Without a response it is not known.
fn kept_no_automated_snapshots(rec: &Record<'_>) -> bool {
    let retention = rec
        .response_elements()
        .map(|r| values_at_key(r, "automatedSnapshotRetentionPeriod"))
        .unwrap_or_default();
    !retention.is_empty() && retention.into_iter().all(|v| whole_number(Some(v)) == Some(0))
}

/// An ElastiCache cache that kept automatic snapshots deleted without a final
/// one: its snapshots go with it. The response says whether it kept any (a cache
/// cluster, replication group or serverless cache, flat or wrapped); without one,
/// or for a node of a replication group, it does not count.
fn cache_deleted_with_its_snapshots(rec: &Record<'_>) -> Option<Evidence> {
    if rec.event_source() != ELASTICACHE {
        return None;
    }
    let (name, final_key) = CACHE_DELETIONS.iter().find(|(name, _)| rec.event_name() == *name)?;
    if !rec.succeeded() || aws_service_or_linked_role(rec) || aws_service_among(rec, &[]) {
        return None;
    }
    let params = rec.request_parameters();
    let asked = |key: &str| params.map(|p| values_at_key(p, key)).unwrap_or_default();
    let final_snapshot = asked(final_key).into_iter().any(|v| v.as_str().is_some_and(|s| !s.trim().is_empty()));
    let primary_kept = asked("retainPrimaryCluster").into_iter().any(|v| flag_value(v) == Some(true));
    if final_snapshot || primary_kept {
        return None;
    }
    let response = rec.response_elements()?;
    let kept_days = values_at_key(response, "snapshotRetentionLimit")
        .into_iter()
        .filter_map(|v| whole_number(Some(v)))
        .max()
        .filter(|days| *days > 0)?;
    let in_group = *name == "DeleteCacheCluster"
        && texts_at_key(response, "replicationGroupId").iter().any(|s| !s.trim().is_empty());
    if in_group {
        return None;
    }
    let resource = request_text_any(rec, &["cacheClusterId", "replicationGroupId", "serverlessCacheName"]);
    Some(
        Evidence::new()
            .with("api", *name)
            .with_opt("resource", resource)
            .with("snapshotRetentionLimit", kept_days),
    )
}

impl Detection for RdsAutomatedBackupsRemoved {
    fn meta(&self) -> &'static Meta {
        &META
    }

    /// A Redshift cluster that kept no automated snapshots loses none with it:
    /// low, not silent (its manual snapshots may have gone before it).
    fn severity_for(&self, rec: &Record<'_>) -> Severity {
        if rec.event_source() == "redshift.amazonaws.com"
            && rec.event_name() == "DeleteCluster"
            && kept_no_automated_snapshots(rec)
        {
            Severity::Low
        } else {
            META.severity
        }
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if let Some(evidence) = other_store_backups_off(rec)
            .or_else(|| other_store_deleted_bare(rec))
            .or_else(|| cache_deleted_with_its_snapshots(rec))
        {
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
    use crate::detections::common::testing::{self, eval, fires};
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

    /// Ninth session, from a review of false positives: a Redshift cluster whose
    /// response shows it kept no automated snapshots loses none when deleted
    /// bare (low); one that kept some, or whose response says nothing, is medium.
    #[test]
    fn a_redshift_cluster_that_kept_no_snapshots_deleted_bare_is_low() {
        let params = r#"{"clusterIdentifier":"dw-ci-pr-4821","skipFinalClusterSnapshot":true}"#;
        let deleted = |response: &str| {
            record("redshift.amazonaws.com", "DeleteCluster", ROLE, params, "")
                .replace(r#""responseElements":null"#, &format!(r#""responseElements":{response}"#))
        };
        for response in [
            r#"{"clusterIdentifier":"dw-ci-pr-4821","clusterStatus":"deleting","automatedSnapshotRetentionPeriod":0}"#,
            r#"{"cluster":{"clusterIdentifier":"dw-ci-pr-4821","automatedSnapshotRetentionPeriod":"0"}}"#,
        ] {
            let rec = deleted(response);
            assert!(fires(&RdsAutomatedBackupsRemoved, &rec), "{response}");
            let severity = testing::severity(&RdsAutomatedBackupsRemoved, &rec);
            assert_eq!(severity, Severity::Low, "{response}");
        }
        for response in [
            r#"{"clusterIdentifier":"dw-prod","clusterStatus":"deleting","automatedSnapshotRetentionPeriod":7}"#,
            r#"{"clusterIdentifier":"dw-prod","automatedSnapshotRetentionPeriod":"many"}"#,
            r#"{"clusterIdentifier":"dw-prod","clusterStatus":"deleting"}"#,
            "null",
        ] {
            let rec = deleted(response);
            assert!(rec.contains(response), "the response is in the record");
            assert!(fires(&RdsAutomatedBackupsRemoved, &rec), "{response}");
            let severity = testing::severity(&RdsAutomatedBackupsRemoved, &rec);
            assert_eq!(severity, Severity::Medium, "{response}");
        }
    }

    /// Sixth session: an ElastiCache cache that kept automatic snapshots, deleted
    /// without a final one, takes them with it.
    #[test]
    fn caches_deleted_with_their_snapshots_fire() {
        let d = &RdsAutomatedBackupsRemoved;
        let deleted = |name: &str, params: &str, response: &str| {
            record(ELASTICACHE, name, ROLE, params, "")
                .replace(r#""responseElements":null"#, &format!(r#""responseElements":{response}"#))
        };
        for (name, params, response) in [
            ("DeleteCacheCluster", r#"{"cacheClusterId":"sessions-prod"}"#, r#"{"cacheClusterId":"sessions-prod","engine":"redis","snapshotRetentionLimit":7,"cacheClusterStatus":"deleting"}"#),
            ("DeleteReplicationGroup", r#"{"replicationGroupId":"orders-cache","retainPrimaryCluster":false}"#, r#"{"replicationGroupId":"orders-cache","status":"deleting","snapshotRetentionLimit":"5"}"#),
            ("DeleteServerlessCache", r#"{"serverlessCacheName":"carts"}"#, r#"{"serverlessCache":{"serverlessCacheName":"carts","status":"deleting","snapshotRetentionLimit":1}}"#),
            ("DeleteReplicationGroup", r#"{"replicationGroupId":"orders-cache","finalSnapshotIdentifier":"  "}"#, r#"{"replicationGroupId":"orders-cache","snapshotRetentionLimit":35}"#),
        ] {
            match eval(d, &deleted(name, params, response)) {
                Some(Signal::Fire(e)) => {
                    assert!(e.get("resource").is_some(), "{params}");
                    assert!(e.get("snapshotRetentionLimit").is_some(), "{params}");
                }
                other => panic!("{name} {params}: expected a finding, got {other:?}"),
            }
        }
        for (name, params, response) in [
            // A final snapshot asked for, the primary kept, no snapshots kept, or
            // not known to have kept any.
            ("DeleteCacheCluster", r#"{"cacheClusterId":"sessions-prod","finalSnapshotIdentifier":"sessions-final"}"#, r#"{"cacheClusterId":"sessions-prod","snapshotRetentionLimit":7}"#),
            ("DeleteServerlessCache", r#"{"serverlessCacheName":"carts","finalSnapshotName":"carts-final"}"#, r#"{"serverlessCache":{"snapshotRetentionLimit":1}}"#),
            ("DeleteReplicationGroup", r#"{"replicationGroupId":"orders-cache","retainPrimaryCluster":true}"#, r#"{"replicationGroupId":"orders-cache","snapshotRetentionLimit":5}"#),
            ("DeleteCacheCluster", r#"{"cacheClusterId":"memcached-1"}"#, r#"{"cacheClusterId":"memcached-1","engine":"memcached","snapshotRetentionLimit":0}"#),
            ("DeleteCacheCluster", r#"{"cacheClusterId":"tmp-1"}"#, r#"{"cacheClusterId":"tmp-1","engine":"memcached"}"#),
            ("DeleteCacheCluster", r#"{"cacheClusterId":"sessions-prod"}"#, "null"),
            // One node of a replication group: the group keeps the data.
            ("DeleteCacheCluster", r#"{"cacheClusterId":"orders-cache-003"}"#, r#"{"cacheClusterId":"orders-cache-003","replicationGroupId":"orders-cache","snapshotRetentionLimit":5}"#),
        ] {
            assert!(!fires(d, &deleted(name, params, response)), "{name} {params} {response}");
        }
        let kept = r#"{"cacheClusterId":"sessions-prod","snapshotRetentionLimit":7}"#;
        let refused = failed(ELASTICACHE, "DeleteCacheCluster", ROLE, r#"{"cacheClusterId":"sessions-prod"}"#, "AccessDenied")
            .replace(r#""responseElements":null"#, &format!(r#""responseElements":{kept}"#));
        assert!(refused.contains("snapshotRetentionLimit"), "the response is in the record");
        assert!(!fires(d, &refused));
        let by_service = record(ELASTICACHE, "DeleteCacheCluster", SERVICE, r#"{"cacheClusterId":"sessions-prod"}"#, "")
            .replace(r#""responseElements":null"#, &format!(r#""responseElements":{kept}"#));
        assert!(!fires(d, &by_service));
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
