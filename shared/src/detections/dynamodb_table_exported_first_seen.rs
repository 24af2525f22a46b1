//! The first DynamoDB table export to S3 by a caller in ten days
//! (`ExportTableToPointInTime`), successfully.
//!
//! Decision: the term is account and caller (Elastic's new-terms key); the finding
//! names the table and the destination bucket and its owner when the request gives
//! them.
//!
//! From an evasion review: an export to a bucket of another account
//! (`s3BucketOwner`, which AWS requires when the bucket is not the caller's) is
//! reported whether or not the caller has exported before, as the copies of backups
//! and replicas to other accounts are: the nightly export role is the one an
//! intruder would reuse. Such an export does not enter the caller's history.
//!
//! The caller in the term is the role of an assumed-role session, not the session
//! (`common::account_principal_term`): the CLI and SDKs name a new session on every
//! assume, and ECS tasks after the task, so a session term would be new each run.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, WindowSpec, fire};
use crate::detections::common::{account_principal_term, foreign_account, succeeded_call};
use crate::event::Record;

pub struct DynamoDbTableExportedFirstSeen;

pub static META: Meta = Meta {
    id: "dynamodb-table-exported-first-seen",
    title: "AWS DynamoDB Table Exported to S3 by a New Caller or to Another Account",
    description: "A caller exported a DynamoDB table to S3 for the first time in ten days, or \
                  to a bucket of another account. An export copies the whole table into a \
                  bucket without reading a single item through the API.",
    severity: Severity::Medium,
    attack: &["T1530", "T1537"],
    origins: &["Elastic detection-rules exfiltration_dynamodb_table_exported_to_s3.toml"],
    group: "data-exposure",
    false_positives: &["New analytics or backup pipelines that export tables."],
    next_steps: "Check the destination bucket and its owner (`s3BucketOwner`), whether the export \
                 was planned, and who can read the exported files.",
    evidence: "another_account bucket bucket_owner table",
    triggers: &[Trigger::write("dynamodb.amazonaws.com", &["ExportTableToPointInTime"])],
    window: Some(WindowSpec::FirstSeen { days: 10 }),
};

impl Detection for DynamoDbTableExportedFirstSeen {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, "dynamodb.amazonaws.com", &["ExportTableToPointInTime"]) {
            return None;
        }
        let owner = rec.request_param_str("s3BucketOwner");
        let evidence = Evidence::new()
            .with_opt("table", rec.request_param_str("tableArn"))
            .with_opt("bucket", rec.request_param_str("s3Bucket"))
            .with_opt("bucket_owner", owner);
        if owner.and_then(|o| foreign_account(rec, o)).is_some() {
            return fire(evidence.with("another_account", true));
        }
        Some(Signal::FirstSeen {
            term: account_principal_term(rec),
            evidence,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, failed, record};
    use crate::detections::common::testing::eval;
    use serde_json::json;

    const EXPORT: &str = r#"{"tableArn":"arn:aws:dynamodb:us-east-1:111122223333:table/customers","s3Bucket":"analytics-exports","s3BucketOwner":"111122223333","exportFormat":"DYNAMODB_JSON"}"#;
    const ELSEWHERE: &str = r#"{"tableArn":"arn:aws:dynamodb:us-east-1:111122223333:table/customers","s3Bucket":"drop-zone-7","s3BucketOwner":"444455556666","exportFormat":"DYNAMODB_JSON"}"#;

    #[test]
    fn the_term_is_account_and_caller() {
        match eval(&DynamoDbTableExportedFirstSeen, &record("dynamodb.amazonaws.com", "ExportTableToPointInTime", ROLE, EXPORT, "")) {
            Some(Signal::FirstSeen { term, evidence }) => {
                assert_eq!(term, "111122223333|arn:aws:iam::111122223333:role/DataOps");
                assert_eq!(evidence.get("bucket_owner"), Some(&json!("111122223333")));
            }
            other => panic!("expected a term, got {other:?}"),
        }
        // Another session of the same role is the same caller.
        let later = ROLE.replace("ops-session", "botocore-session-1780387200");
        match eval(&DynamoDbTableExportedFirstSeen, &record("dynamodb.amazonaws.com", "ExportTableToPointInTime", &later, EXPORT, "")) {
            Some(Signal::FirstSeen { term, .. }) => assert_eq!(term, "111122223333|arn:aws:iam::111122223333:role/DataOps"),
            other => panic!("expected a term, got {other:?}"),
        }
    }

    /// From an evasion review: a known exporter sending the table to another account.
    #[test]
    fn an_export_to_another_accounts_bucket_fires_at_once() {
        match eval(&DynamoDbTableExportedFirstSeen, &record("dynamodb.amazonaws.com", "ExportTableToPointInTime", ROLE, ELSEWHERE, "")) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("bucket_owner"), Some(&json!("444455556666")));
                assert_eq!(e.get("another_account"), Some(&json!(true)));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        // An owner that is no account id stays with the caller's history.
        let odd = ELSEWHERE.replace("444455556666", "4444-5555-6666");
        assert!(matches!(
            eval(&DynamoDbTableExportedFirstSeen, &record("dynamodb.amazonaws.com", "ExportTableToPointInTime", ROLE, &odd, "")),
            Some(Signal::FirstSeen { .. })
        ));
    }

    #[test]
    fn skips_failures_and_other_calls() {
        assert_eq!(eval(&DynamoDbTableExportedFirstSeen, &failed("dynamodb.amazonaws.com", "ExportTableToPointInTime", ROLE, EXPORT, "PointInTimeRecoveryUnavailableException")), None);
        assert_eq!(eval(&DynamoDbTableExportedFirstSeen, &record("dynamodb.amazonaws.com", "DescribeExport", ROLE, EXPORT, "")), None);
    }
}
