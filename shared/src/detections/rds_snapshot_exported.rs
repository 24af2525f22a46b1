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

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{caller_change, foreign_arn_account};
use crate::event::Record;

pub struct RdsSnapshotExported;

const SOURCE: &str = "rds.amazonaws.com";
const NAMES: &[&str] = &["StartExportTask"];
const INTEGRATION: &[&str] = &["CreateIntegration"];

pub static META: Meta = Meta {
    id: "rds-snapshot-exported",
    title: "AWS RDS Snapshot Exported to S3",
    description: "The data of an RDS snapshot or Aurora cluster was exported to an S3 bucket. \
                  The export holds every table as files that anyone with access to the bucket \
                  can read or copy elsewhere, without a database credential.",
    severity: Severity::Medium,
    attack: &["T1537", "T1530"],
    origins: &["Panther aws_rds_snapshot_export (successful StartExportTask)"],
    group: "backup-exposure",
    false_positives: &["Scheduled exports to a data lake by an analytics role."],
    next_steps: "Check the destination bucket and prefix (`s3BucketName`, `s3Prefix`) and who can \
                 read them; if the export was not planned, cancel it (CancelExportTask), delete \
                 the exported files and review the caller's activity.",
    triggers: &[Trigger::write(SOURCE, NAMES), Trigger::write(SOURCE, INTEGRATION)],
    window: None,
};

impl Detection for RdsSnapshotExported {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_name() == INTEGRATION[0] {
            let evidence = caller_change(rec, SOURCE, INTEGRATION, &["sourceArn", "targetArn", "integrationName"])?;
            let other = foreign_arn_account(rec, rec.request_param_str("targetArn")?)?;
            return fire(evidence.with("other_account", other));
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
    }
}
