//! The first successful DynamoDB `Scan` of a caller on a table in ten days (a data
//! event).
//!
//! Decisions: Elastic keys the history on account and user; we add the table, so a
//! caller that always scans one table but suddenly reads another is also seen. The
//! term is `<account>|<caller>|<table>`. Calls by AWS services are skipped.
//!
//! The caller in the term is the role of an assumed-role session, not the session
//! (`common::account_principal_term`): the CLI and SDKs name a new session on every
//! assume, and ECS tasks after the task, so a session term would be new each run.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, WindowSpec};
use crate::detections::common::{account_principal_term, aws_service_caller, succeeded_call};
use crate::event::Record;

pub struct DynamoDbScanFirstSeen;

pub static META: Meta = Meta {
    id: "dynamodb-scan-first-seen",
    title: "AWS DynamoDB Scan by a New Caller",
    description: "A caller scanned a DynamoDB table it had not scanned in ten days. A scan reads \
                  every item of a table; applications use queries on keys, so a new scanner may \
                  be someone copying the table.",
    severity: Severity::Low,
    attack: &["T1530"],
    origins: &["Elastic detection-rules exfiltration_dynamodb_scan_by_unusual_user.toml"],
    group: "data-exposure",
    false_positives: &[
        "New reporting jobs, migrations and administrators exploring a table.",
    ],
    next_steps: "Check whether the caller has a reason to read the whole table, how many scans \
                 followed, and where the data could have gone.",
    triggers: &[Trigger::data("dynamodb.amazonaws.com", &["Scan"])],
    window: Some(WindowSpec::FirstSeen { days: 10 }),
};

impl Detection for DynamoDbScanFirstSeen {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, "dynamodb.amazonaws.com", &["Scan"]) || aws_service_caller(rec) {
            return None;
        }
        let table = rec.request_param_str("tableName").unwrap_or("unknown");
        Some(Signal::FirstSeen {
            term: format!("{}|{table}", account_principal_term(rec)),
            evidence: Evidence::new().with("table", table),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, USER, failed, record};
    use crate::detections::common::testing::eval;

    #[test]
    fn the_term_is_account_caller_and_table() {
        match eval(&DynamoDbScanFirstSeen, &record("dynamodb.amazonaws.com", "Scan", USER, r#"{"tableName":"customers"}"#, "")) {
            Some(Signal::FirstSeen { term, .. }) => {
                assert_eq!(term, "111122223333|arn:aws:iam::111122223333:user/mallory|customers")
            }
            other => panic!("expected a term, got {other:?}"),
        }
        match eval(&DynamoDbScanFirstSeen, &record("dynamodb.amazonaws.com", "Scan", ROLE, "null", "")) {
            Some(Signal::FirstSeen { term, .. }) => assert!(term.ends_with("|unknown")),
            other => panic!("expected a term, got {other:?}"),
        }
    }

    #[test]
    fn skips_failures_services_and_other_reads() {
        assert_eq!(eval(&DynamoDbScanFirstSeen, &failed("dynamodb.amazonaws.com", "Scan", ROLE, r#"{"tableName":"t"}"#, "AccessDeniedException")), None);
        assert_eq!(eval(&DynamoDbScanFirstSeen, &record("dynamodb.amazonaws.com", "Scan", SERVICE, r#"{"tableName":"t"}"#, "")), None);
        assert_eq!(eval(&DynamoDbScanFirstSeen, &record("dynamodb.amazonaws.com", "Query", ROLE, r#"{"tableName":"t"}"#, "")), None);
    }
}
