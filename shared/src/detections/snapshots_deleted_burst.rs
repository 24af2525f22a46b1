//! One caller deleting many snapshots and backups: at least ten distinct EBS, RDS,
//! Aurora or Redshift snapshots or DynamoDB backups (`DeleteSnapshot`,
//! `DeleteDBSnapshot`, `DeleteDBClusterSnapshot`, `DeleteClusterSnapshot`,
//! `DeleteBackup`), and, after an evasion review, FSx backups and snapshots
//! (`DeleteBackup`, `DeleteSnapshot`), ElastiCache snapshots (`DeleteSnapshot`,
//! `DeleteServerlessCacheSnapshot`), MemoryDB and Redshift Serverless snapshots
//! (`DeleteSnapshot`) within ten minutes, or one `BatchDeleteClusterSnapshots`
//! naming ten, successfully. A snapshot counts by its ARN or by its id with its
//! service and Region.
//!
//! Decisions: each call but Redshift's batch deletes one snapshot, so the window
//! counts snapshot ids per account and caller. The caller is the role behind an
//! assumed-role session, not the session (`common::account_role_term`, as
//! `ec2-instances-terminated-burst`): an intruder who re-assumes the role between
//! calls would otherwise split the burst (IAM Identity Center's roles stay per
//! person). A batch counts in the window by the set of snapshots it names
//! (`common::set_value`), and fires on its own from ten, or a lower tuned
//! threshold (the store keeps one value per record), under a claim the caller's
//! such batches share, so that a run of them is one finding. Ten in ten minutes is far
//! above a person's tidying and below a script wiping a Region's recovery copies
//! before ransomware or a wiper runs. Deletions AWS services make on their own
//! (Data Lifecycle Manager and AWS Backup retention, by `invokedBy` or an
//! `AWSService` identity) are left out; a stack's deletions count, as the
//! person's own.
//!
//! From a third evasion review: an AMI deregistered with its snapshots
//! (`DeregisterImage` with `deleteAssociatedSnapshots` true) deletes them with
//! no `DeleteSnapshot` call; each such image counts once (by its id).

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, Repeats, Countable, WindowSpec};
use crate::detections::common::{
    account_role_term, aws_service_caller_but_stack, distinct_texts_at_key, flag_value, joined,
    named_burst_signal, request_text_any, succeeded_call,
};
use crate::event::Record;

pub struct SnapshotsDeletedBurst;

const EC2: &str = "ec2.amazonaws.com";
const RDS: &str = "rds.amazonaws.com";
const EC2_CALLS: &[&str] = &["DeleteSnapshot", "DeregisterImage"];
const RDS_CALLS: &[&str] = &["DeleteDBClusterSnapshot", "DeleteDBSnapshot"];
const REDSHIFT: &str = "redshift.amazonaws.com";
const REDSHIFT_CALLS: &[&str] = &["BatchDeleteClusterSnapshots", "DeleteClusterSnapshot"];
const DYNAMODB: &str = "dynamodb.amazonaws.com";
const DYNAMODB_CALLS: &[&str] = &["DeleteBackup"];
const FSX: &str = "fsx.amazonaws.com";
const FSX_CALLS: &[&str] = &["DeleteBackup", "DeleteSnapshot"];
const MEMORYDB: &str = "memorydb.amazonaws.com";
const MEMORYDB_CALLS: &[&str] = &["DeleteSnapshot"];
const ELASTICACHE: &str = "elasticache.amazonaws.com";
const ELASTICACHE_CALLS: &[&str] = &["DeleteServerlessCacheSnapshot", "DeleteSnapshot"];
const REDSHIFT_SERVERLESS: &str = "redshift-serverless.amazonaws.com";
const REDSHIFT_SERVERLESS_CALLS: &[&str] = &["DeleteSnapshot"];
/// Every watched call, by source.
const CALLS: [(&str, &[&str]); 8] = [
    (EC2, EC2_CALLS),
    (RDS, RDS_CALLS),
    (REDSHIFT, REDSHIFT_CALLS),
    (DYNAMODB, DYNAMODB_CALLS),
    (FSX, FSX_CALLS),
    (ELASTICACHE, ELASTICACHE_CALLS),
    (REDSHIFT_SERVERLESS, REDSHIFT_SERVERLESS_CALLS),
    (MEMORYDB, MEMORYDB_CALLS),
];
/// Snapshots that make a burst, in one batch or within the window.
const MANY: usize = 10;

pub static META: Meta = Meta {
    id: "snapshots-deleted-burst",
    title: "AWS Many Snapshots Deleted by One Caller",
    description: "One caller deleted at least ten different EBS, database, cache or \
                  Redshift snapshots or DynamoDB or FSx backups (or AMIs with their \
                  snapshots) within ten minutes (or in one Redshift batch). Wiping the recovery copies is how ransomware and destructive \
                  attacks make sure the damage that follows cannot be undone.",
    severity: Severity::High,
    attack: &["T1490", "T1485"],
    origins: &[
        "trailwatch: from a red-team gap hunt (destruction bursts: snapshots deleted en masse \
         before an impact)",
    ],
    group: "backup-exposure",
    false_positives: &[
        "Clean-up scripts that prune old snapshots under a person's or a pipeline's \
         credentials: tune by that role.",
    ],
    next_steps: "Stop the caller: revoke its credentials. Check what recovery copies remain \
                 (other Regions, AWS Backup vaults, shared copies) and what the caller did \
                 next.",
    evidence: "api image_id snapshot_count snapshots source_ip",
    triggers: &[
        Trigger::write(EC2, EC2_CALLS),
        Trigger::write(RDS, RDS_CALLS),
        Trigger::write(REDSHIFT, REDSHIFT_CALLS),
        Trigger::write(DYNAMODB, DYNAMODB_CALLS),
        Trigger::write(FSX, FSX_CALLS),
        Trigger::write(ELASTICACHE, ELASTICACHE_CALLS),
        Trigger::write(REDSHIFT_SERVERLESS, REDSHIFT_SERVERLESS_CALLS),
        Trigger::write(MEMORYDB, MEMORYDB_CALLS),
    ],
    window: Some(WindowSpec::Distinct {
        window_secs: 600,
        min_distinct: MANY,
        repeats: Repeats::Always,
        values: Countable::Open,
    }),
};

impl Detection for SnapshotsDeletedBurst {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !CALLS.iter().any(|(source, names)| succeeded_call(rec, source, names))
            || aws_service_caller_but_stack(rec)
        {
            return None;
        }
        if rec.event_name() == "BatchDeleteClusterSnapshots" {
            return batch(rec);
        }
        if rec.event_name() == "DeregisterImage" {
            return image_with_snapshots(rec);
        }
        let snapshot = request_text_any(
            rec,
            &[
                "snapshotId",
                "dBSnapshotIdentifier",
                "dBClusterSnapshotIdentifier",
                "snapshotIdentifier",
                "backupArn",
                "backupId",
                "snapshotName",
                "serverlessCacheSnapshotName",
            ],
        )?
        .trim();
        if snapshot.is_empty() {
            return None;
        }
        Some(Signal::Distinct {
            group: account_role_term(rec),
            value: snapshot_value(rec, snapshot),
            evidence: Evidence::new()
                .with("api", rec.event_name())
                .with_opt("source_ip", rec.source_ip()),
        })
    }
}

/// The value a deleted snapshot counts as: its ARN, or its id qualified by its
/// service and Region. Names are unique only within one service and Region (an
/// ElastiCache and a Redshift Serverless snapshot may both be `nightly-3`, and a
/// stack deployed in two Regions names its snapshots alike): bare, such pairs
/// counted once (from a review).
fn snapshot_value(rec: &Record<'_>, id: &str) -> String {
    if id.starts_with("arn:") {
        return id.to_owned();
    }
    let service = rec.event_source().strip_suffix(".amazonaws.com").unwrap_or(rec.event_source());
    joined(&[service, rec.region().unwrap_or(""), id], ':')
}

/// An image deregistered with its snapshots: it counts once, by its id (its
/// snapshots are named only in the answer, if at all).
fn image_with_snapshots(rec: &Record<'_>) -> Option<Signal> {
    if rec.request_param("deleteAssociatedSnapshots").and_then(flag_value) != Some(true) {
        return None;
    }
    let image = rec.request_param_str("imageId").map(str::trim).filter(|i| !i.is_empty())?;
    Some(Signal::Distinct {
        group: account_role_term(rec),
        value: snapshot_value(rec, image),
        evidence: Evidence::new()
            .with("api", rec.event_name())
            .with("image_id", image)
            .with_opt("source_ip", rec.source_ip()),
    })
}

/// Redshift's batch: ten or more snapshots fire at once, fewer count as their set.
fn batch(rec: &Record<'_>) -> Option<Signal> {
    let snapshots = distinct_texts_at_key(rec.request_parameters()?, "snapshotIdentifier");
    named_burst_signal(rec, snapshots, |count, listed| {
        Evidence::new()
            .with("api", rec.event_name())
            .with_opt("snapshot_count", count)
            .with("snapshots", listed)
            .with_opt("source_ip", rec.source_ip())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::eval;

    #[test]
    fn each_deleted_snapshot_counts_per_caller() {
        for (source, name, params, id) in [
            (EC2, "DeleteSnapshot", r#"{"snapshotId":"snap-0a1b2c3d4e5f60718"}"#, "ec2:us-east-1:snap-0a1b2c3d4e5f60718"),
            (RDS, "DeleteDBSnapshot", r#"{"dBSnapshotIdentifier":"orders-2026-05-01"}"#, "rds:us-east-1:orders-2026-05-01"),
            (RDS, "DeleteDBClusterSnapshot", r#"{"dBClusterSnapshotIdentifier":"c-2026-05-01"}"#, "rds:us-east-1:c-2026-05-01"),
            (REDSHIFT, "DeleteClusterSnapshot", r#"{"snapshotIdentifier":"dw-2026-05-01"}"#, "redshift:us-east-1:dw-2026-05-01"),
            (
                DYNAMODB,
                "DeleteBackup",
                r#"{"backupArn":"arn:aws:dynamodb:eu-west-1:111122223333:table/orders/backup/01700000000000-abcdef12"}"#,
                "arn:aws:dynamodb:eu-west-1:111122223333:table/orders/backup/01700000000000-abcdef12",
            ),
            (FSX, "DeleteBackup", r#"{"backupId":"backup-0a1b2c3d4e5f60718","clientRequestToken":"t"}"#, "fsx:us-east-1:backup-0a1b2c3d4e5f60718"),
            (FSX, "DeleteSnapshot", r#"{"snapshotId":"fsvolsnap-0123456789abcdef0"}"#, "fsx:us-east-1:fsvolsnap-0123456789abcdef0"),
            (ELASTICACHE, "DeleteSnapshot", r#"{"snapshotName":"sessions-2026-05-01"}"#, "elasticache:us-east-1:sessions-2026-05-01"),
            (ELASTICACHE, "DeleteServerlessCacheSnapshot", r#"{"serverlessCacheSnapshotName":"cart-snap-1"}"#, "elasticache:us-east-1:cart-snap-1"),
            (REDSHIFT_SERVERLESS, "DeleteSnapshot", r#"{"snapshotName":"analytics-nightly-1"}"#, "redshift-serverless:us-east-1:analytics-nightly-1"),
            (MEMORYDB, "DeleteSnapshot", r#"{"snapshotName":"orders-mem-1"}"#, "memorydb:us-east-1:orders-mem-1"),
            // From a third evasion review: an AMI deregistered with its snapshots.
            (EC2, "DeregisterImage", r#"{"imageId":"ami-0b87ea1d007078d18","deleteAssociatedSnapshots":true}"#, "ec2:us-east-1:ami-0b87ea1d007078d18"),
        ] {
            match eval(&SnapshotsDeletedBurst, &record(source, name, ROLE, params, "")) {
                Some(Signal::Distinct { group, value, .. }) => {
                    assert_eq!(group, "111122223333|arn:aws:iam::111122223333:role/DataOps");
                    assert_eq!(value, id);
                }
                other => panic!("expected an observation for {name}, got {other:?}"),
            }
        }
    }

    /// An image deregistered without its snapshots leaves them: nothing counts.
    #[test]
    fn an_image_kept_snapshots_does_not_count() {
        for params in [
            r#"{"imageId":"ami-0b87ea1d007078d18"}"#,
            r#"{"imageId":"ami-0b87ea1d007078d18","deleteAssociatedSnapshots":false}"#,
            r#"{"deleteAssociatedSnapshots":true}"#,
        ] {
            assert_eq!(eval(&SnapshotsDeletedBurst, &record(EC2, "DeregisterImage", ROLE, params, "")), None, "{params}");
        }
    }

    #[test]
    fn another_session_of_the_role_counts_in_the_same_group() {
        let params = r#"{"snapshotId":"snap-1"}"#;
        let other_session = record(EC2, "DeleteSnapshot", ROLE, params, "")
            .replace("assumed-role/DataOps/ops-session", "assumed-role/DataOps/wipe-b");
        assert!(other_session.contains("wipe-b"));
        match eval(&SnapshotsDeletedBurst, &other_session) {
            Some(Signal::Distinct { group, .. }) => assert_eq!(group, "111122223333|arn:aws:iam::111122223333:role/DataOps"),
            other => panic!("expected an observation, got {other:?}"),
        }
    }

    fn batch_of(n: usize) -> String {
        let items: Vec<String> = (0..n)
            .map(|i| format!(r#"{{"snapshotIdentifier":"dw-{i:02}","snapshotClusterIdentifier":"dw"}}"#))
            .collect();
        format!(r#"{{"identifiers":[{}]}}"#, items.join(","))
    }

    #[test]
    fn a_redshift_batch_of_ten_fires_a_smaller_one_counts_as_its_set() {
        match eval(&SnapshotsDeletedBurst, &record(REDSHIFT, "BatchDeleteClusterSnapshots", ROLE, &batch_of(40), "")) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("snapshot_count"), Some(&serde_json::json!(40))),
            other => panic!("expected a finding, got {other:?}"),
        }
        match eval(&SnapshotsDeletedBurst, &record(REDSHIFT, "BatchDeleteClusterSnapshots", ROLE, &batch_of(3), "")) {
            Some(Signal::Distinct { value, .. }) => assert_eq!(value, "dw-00,dw-01,dw-02"),
            other => panic!("expected an observation, got {other:?}"),
        }
        // Nine named twice are still nine.
        let twice = batch_of(9).replace("]}", &format!(",{}]}}", &batch_of(9)[16..batch_of(9).len() - 2]));
        assert!(matches!(
            eval(&SnapshotsDeletedBurst, &record(REDSHIFT, "BatchDeleteClusterSnapshots", ROLE, &twice, "")),
            Some(Signal::Distinct { .. })
        ));
        assert_eq!(eval(&SnapshotsDeletedBurst, &record(REDSHIFT, "BatchDeleteClusterSnapshots", ROLE, r#"{"identifiers":[]}"#, "")), None);
    }

    #[test]
    fn services_failures_unnamed_and_other_calls_do_not_count() {
        let params = r#"{"snapshotId":"snap-1"}"#;
        assert_eq!(eval(&SnapshotsDeletedBurst, &record(EC2, "DeleteSnapshot", SERVICE, params, "")), None);
        assert_eq!(eval(&SnapshotsDeletedBurst, &failed(EC2, "DeleteSnapshot", ROLE, params, "InvalidSnapshot.InUse")), None);
        assert_eq!(eval(&SnapshotsDeletedBurst, &record(EC2, "DeleteSnapshot", ROLE, r#"{"snapshotId":" "}"#, "")), None);
        assert_eq!(eval(&SnapshotsDeletedBurst, &record(EC2, "DeleteSnapshot", ROLE, "null", "")), None);
        assert_eq!(eval(&SnapshotsDeletedBurst, &record(EC2, "CreateSnapshot", ROLE, params, "")), None);
        assert_eq!(eval(&SnapshotsDeletedBurst, &record(RDS, "DeleteSnapshot", ROLE, params, "")), None);
    }
}
