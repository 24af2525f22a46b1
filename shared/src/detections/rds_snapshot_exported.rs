//! An RDS snapshot (or cluster) exported to S3 (`StartExportTask`), successfully.
//!
//! Decisions: an export writes the database's tables as Parquet files to a bucket,
//! where they can be read or copied out without any database credential. Every
//! successful export a person or script starts is reported (exports an AWS service
//! starts on its own are not; the finding names the bucket and the role), at
//! medium severity: exports for analytics exist, but they are scheduled, rare and
//! made by known roles. A refused export does not fire.
//!
//! From a review: a zero-ETL integration from a database to a warehouse of another
//! account (`CreateIntegration` of RDS whose `targetArn` names another account)
//! copies the database continuously, an export that never ends; one to this
//! account's own warehouse is analytics and is left out.
//!
//! From a third evasion review: the same integration created through Redshift's
//! or Glue's own `CreateIntegration` (same `sourceArn` and `targetArn`), and an
//! ElastiCache or MemoryDB snapshot exported to a bucket (`CopySnapshot` with a
//! `targetBucket`: the whole cache as an `.rdb` file there), the cache's
//! `StartExportTask`.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{caller_change, foreign_arn_account};
use crate::event::Record;

pub struct RdsSnapshotExported;

const SOURCE: &str = "rds.amazonaws.com";
const NAMES: &[&str] = &["StartExportTask"];
const INTEGRATION: &[&str] = &["CreateIntegration"];
/// The services whose `CreateIntegration` makes a zero-ETL integration.
const INTEGRATION_SOURCES: [&str; 3] = [SOURCE, "redshift.amazonaws.com", "glue.amazonaws.com"];
/// The caches whose `CopySnapshot` writes a snapshot to a bucket.
const CACHES: [&str; 2] = ["elasticache.amazonaws.com", "memorydb.amazonaws.com"];
const CACHE_EXPORT: &[&str] = &["CopySnapshot"];

pub static META: Meta = Meta {
    id: "rds-snapshot-exported",
    title: "AWS Database Snapshot Exported to S3 or Another Account",
    description: "The data of an RDS snapshot or Aurora cluster, or an ElastiCache or MemoryDB \
                  snapshot, was exported to an S3 bucket, or a database was set to copy itself \
                  continuously into another account's warehouse (zero-ETL). The export holds \
                  every table or key as files that anyone with access to the bucket can read or \
                  copy elsewhere, without a database credential.",
    severity: Severity::Medium,
    attack: &["T1537", "T1530"],
    origins: &["Panther aws_rds_snapshot_export (successful StartExportTask)"],
    group: "backup-exposure",
    false_positives: &["Scheduled exports to a data lake by an analytics role."],
    next_steps: "Check the destination bucket and prefix (`s3BucketName`, `s3Prefix`, \
                 `targetBucket`) or the other account's warehouse (`targetArn`) and who can \
                 read them; if the export was not planned, cancel it (CancelExportTask, or \
                 DeleteIntegration), delete the exported files and review the caller's activity.",
    evidence: "api caller caller_type exportOnly iamRoleArn integrationName other_account \
        s3BucketName s3Prefix sourceArn sourceSnapshotName source_ip targetArn targetBucket \
        targetSnapshotName user_agent",
    triggers: &[
        Trigger::write(SOURCE, NAMES),
        Trigger::write(SOURCE, INTEGRATION),
        Trigger::write(INTEGRATION_SOURCES[1], INTEGRATION),
        Trigger::write(INTEGRATION_SOURCES[2], INTEGRATION),
        Trigger::write(CACHES[0], CACHE_EXPORT),
        Trigger::write(CACHES[1], CACHE_EXPORT),
    ],
    window: None,
};

impl Detection for RdsSnapshotExported {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_name() == INTEGRATION[0] {
            let source = INTEGRATION_SOURCES.into_iter().find(|s| *s == rec.event_source())?;
            let evidence = caller_change(rec, source, INTEGRATION, &["sourceArn", "targetArn", "integrationName"])?;
            let other = foreign_arn_account(rec, rec.request_param_str("targetArn")?)?;
            return fire(evidence.with("other_account", other));
        }
        if rec.event_name() == CACHE_EXPORT[0] {
            let source = CACHES.into_iter().find(|s| *s == rec.event_source())?;
            rec.request_param_str("targetBucket").filter(|b| !b.trim().is_empty())?;
            return caller_change(rec, source, CACHE_EXPORT, &["sourceSnapshotName", "targetSnapshotName", "targetBucket"])
                .and_then(fire);
        }
        caller_change(
            rec,
            SOURCE,
            NAMES,
            &["sourceArn", "s3BucketName", "s3Prefix", "iamRoleArn", "exportOnly"],
        )
        .and_then(fire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{SERVICE, USER, failed, record};
    use crate::detections::common::testing::{eval, fires};
    use serde_json::json;

    const EXPORT: &str = r#"{"exportTaskIdentifier":"x1","sourceArn":"arn:aws:rds:us-east-1:111122223333:snapshot:orders-nightly",
        "s3BucketName":"tmp-exports-4471","s3Prefix":"x/","iamRoleArn":"arn:aws:iam::111122223333:role/RdsExport",
        "kmsKeyId":"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}"#;

    #[test]
    fn fires_and_names_the_bucket() {
        match eval(&RdsSnapshotExported, &record(SOURCE, "StartExportTask", USER, EXPORT, "")) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("s3BucketName"), Some(&json!("tmp-exports-4471")));
                assert_eq!(e.get("sourceArn"), Some(&json!("arn:aws:rds:us-east-1:111122223333:snapshot:orders-nightly")));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn near_misses() {
        assert!(!fires(&RdsSnapshotExported, &failed(SOURCE, "StartExportTask", USER, EXPORT, "AccessDenied")));
        assert!(!fires(&RdsSnapshotExported, &record(SOURCE, "StartExportTask", SERVICE, EXPORT, "")));
        assert!(!fires(&RdsSnapshotExported, &record(SOURCE, "CancelExportTask", USER, EXPORT, "")));
    }

    /// From a review: a zero-ETL integration into another account's warehouse.
    #[test]
    fn an_integration_to_another_accounts_warehouse_fires() {
        let integration = |target: &str| {
            record(SOURCE, "CreateIntegration", USER, &format!(
                r#"{{"sourceArn":"arn:aws:rds:us-east-1:111122223333:cluster:orders-prod","targetArn":"{target}","integrationName":"orders-to-analytics"}}"#
            ), "")
        };
        match eval(&RdsSnapshotExported, &integration("arn:aws:redshift-serverless:us-east-1:444455556666:namespace/3c4d5e6f")) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("other_account"), Some(&json!("444455556666"))),
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(!fires(&RdsSnapshotExported, &integration("arn:aws:redshift-serverless:us-east-1:111122223333:namespace/3c4d5e6f")));
        // From a third evasion review: the same integration through Redshift's
        // and Glue's APIs.
        let outside = integration("arn:aws:redshift-serverless:us-east-1:444455556666:namespace/3c4d5e6f");
        for service in ["redshift.amazonaws.com", "glue.amazonaws.com"] {
            assert!(fires(&RdsSnapshotExported, &outside.replace(SOURCE, service)), "{service}");
        }
        assert!(!fires(&RdsSnapshotExported, &outside.replace(SOURCE, "dms.amazonaws.com")));
    }

    /// From a third evasion review: a cache's snapshot copied to a bucket.
    #[test]
    fn a_cache_snapshot_exported_to_a_bucket_fires() {
        let copy = |source: &str, bucket: &str| {
            record(source, "CopySnapshot", USER, &format!(
                r#"{{"sourceSnapshotName":"sessions-2026-06-01","targetSnapshotName":"sessions-export","targetBucket":"{bucket}"}}"#
            ), "")
        };
        for source in CACHES {
            match eval(&RdsSnapshotExported, &copy(source, "tmp-exports-4471")) {
                Some(Signal::Fire(e)) => assert_eq!(e.get("targetBucket"), Some(&json!("tmp-exports-4471"))),
                other => panic!("{source}: expected a finding, got {other:?}"),
            }
            // A copy kept inside the service.
            assert!(!fires(&RdsSnapshotExported, &copy(source, "")));
        }
        let kept = record(CACHES[0], "CopySnapshot", USER, r#"{"sourceSnapshotName":"a","targetSnapshotName":"b"}"#, "");
        assert!(!fires(&RdsSnapshotExported, &kept));
    }
}
