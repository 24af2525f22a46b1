//! An RDS database activity stream stopped (`StopActivityStream`), successfully.
//!
//! Decisions: an activity stream is a database's audit trail (every query and
//! login, pushed to Kinesis); stopping it blinds whoever reads it, which is why
//! it belongs with the logging-tampering detections. Starting one does not fire,
//! nor does a refused stop. AWS service identities are skipped; a stack that stops
//! the stream counts, as every caller of the other logging-tamper detections does.
//!
//! From a second evasion review, the ways to blind the database's auditing
//! with the stream left running: its audit policy unlocked
//! (`ModifyActivityStream` with `auditPolicyState` `unlocked`: editable from
//! inside the database again, by whoever holds it), and the audit log's export
//! to CloudWatch Logs switched off (`ModifyDBCluster`, `ModifyDBInstance` whose
//! `cloudwatchLogsExportConfiguration.disableLogTypes` names `audit`, MySQL's,
//! MariaDB's and Oracle's audit log, or `postgresql`, where pgAudit writes).

use serde_json::Value;

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    aws_service_caller_but_stack, change_by_anyone_but, one_or_many, pascal_or_camel, request_text_any,
    succeeded_call,
};
use crate::event::Record;

pub struct RdsActivityStreamStopped;

const SOURCE: &str = "rds.amazonaws.com";
const NAMES: &[&str] = &["StopActivityStream"];
const POLICY: &[&str] = &["ModifyActivityStream"];
const EXPORTS: &[&str] = &["ModifyDBCluster", "ModifyDBInstance"];
/// The log types a database's audit records go to.
const AUDIT_LOGS: [&str; 2] = ["audit", "postgresql"];

pub static META: Meta = Meta {
    id: "rds-activity-stream-stopped",
    title: "AWS RDS Database Activity Stream Stopped",
    description: "The activity stream of an RDS database or Aurora cluster was stopped (or its \
                  audit policy unlocked, or the database's audit log no longer exported to \
                  CloudWatch Logs). The \
                  stream is the database's own audit log (queries, logins, schema changes) sent \
                  to monitoring; once it stops, what happens inside the database is no longer \
                  recorded.",
    severity: Severity::Medium,
    attack: &["T1562.008", "T1562.001"],
    origins: &["Panther aws_rds_activity_stream_stopped (successful StopActivityStream)"],
    group: "logging-tamper",
    false_positives: &[
        "A database being decommissioned, or its stream being recreated with another key.",
    ],
    next_steps: "Restart the stream if the stop was not planned, then review the caller's other \
                 calls and, from the database's own logs, what ran on it since the stream \
                 stopped.",
    triggers: &[
        Trigger::write(SOURCE, NAMES),
        Trigger::write(SOURCE, POLICY),
        Trigger::write(SOURCE, EXPORTS),
    ],
    window: None,
};

impl Detection for RdsActivityStreamStopped {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if succeeded_call(rec, SOURCE, POLICY) && !aws_service_caller_but_stack(rec) {
            let state = request_text_any(rec, &["auditPolicyState", "AuditPolicyState"])?;
            if !state.trim().eq_ignore_ascii_case("unlocked") {
                return None;
            }
            return fire(
                Evidence::new()
                    .with("action", rec.event_name())
                    .with_opt("resourceArn", request_text_any(rec, &["resourceArn", "ResourceArn"]))
                    .with("audit_policy_state", state.trim()),
            );
        }
        if succeeded_call(rec, SOURCE, EXPORTS) && !aws_service_caller_but_stack(rec) {
            let disabled: Vec<&str> = rec
                .request_parameters()
                .and_then(|p| pascal_or_camel(p, "CloudwatchLogsExportConfiguration"))
                .and_then(|c| pascal_or_camel(c, "DisableLogTypes"))
                .map(|d| one_or_many(Some(d)))
                .unwrap_or_default()
                .into_iter()
                .filter_map(Value::as_str)
                .map(str::trim)
                .filter(|t| AUDIT_LOGS.iter().any(|a| a.eq_ignore_ascii_case(t)))
                .collect();
            if disabled.is_empty() {
                return None;
            }
            return fire(
                Evidence::new()
                    .with("action", rec.event_name())
                    .with_opt(
                        "database",
                        request_text_any(rec, &["dBClusterIdentifier", "dBInstanceIdentifier"]),
                    )
                    .with("log_exports_disabled", disabled),
            );
        }
        change_by_anyone_but(rec, SOURCE, NAMES, &["resourceArn", "applyImmediately"], &[])
            .and_then(fire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::{eval, fires};
    use serde_json::json;

    const CLUSTER: &str = r#"{"resourceArn":"arn:aws:rds:us-east-1:111122223333:cluster:orders","applyImmediately":true}"#;

    #[test]
    fn fires_on_a_stop() {
        match eval(&RdsActivityStreamStopped, &record(SOURCE, "StopActivityStream", ROLE, CLUSTER, "")) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("resourceArn"), Some(&json!("arn:aws:rds:us-east-1:111122223333:cluster:orders")))
            }
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    /// From a second evasion review: auditing blinded with the stream running.
    #[test]
    fn an_unlocked_audit_policy_and_audit_logs_no_longer_exported_fire() {
        let unlock = r#"{"resourceArn":"arn:aws:rds:us-east-1:111122223333:db:orders-prod","auditPolicyState":"unlocked"}"#;
        match eval(&RdsActivityStreamStopped, &record(SOURCE, "ModifyActivityStream", ROLE, unlock, "")) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("audit_policy_state"), Some(&json!("unlocked"))),
            other => panic!("expected a finding, got {other:?}"),
        }
        let lock = unlock.replace("unlocked", "locked");
        assert!(!fires(&RdsActivityStreamStopped, &record(SOURCE, "ModifyActivityStream", ROLE, &lock, "")));
        for (name, params) in [
            ("ModifyDBCluster", r#"{"dBClusterIdentifier":"orders","cloudwatchLogsExportConfiguration":{"disableLogTypes":["audit","slowquery"]}}"#),
            ("ModifyDBInstance", r#"{"dBInstanceIdentifier":"billing","cloudwatchLogsExportConfiguration":{"DisableLogTypes":"postgresql"}}"#),
        ] {
            match eval(&RdsActivityStreamStopped, &record(SOURCE, name, ROLE, params, "")) {
                Some(Signal::Fire(e)) => assert!(e.get("log_exports_disabled").is_some(), "{name}"),
                other => panic!("expected a finding for {name}, got {other:?}"),
            }
        }
        for params in [
            r#"{"dBClusterIdentifier":"orders","cloudwatchLogsExportConfiguration":{"disableLogTypes":["slowquery","general"]}}"#,
            r#"{"dBClusterIdentifier":"orders","cloudwatchLogsExportConfiguration":{"enableLogTypes":["audit"]}}"#,
            r#"{"dBClusterIdentifier":"orders","backupRetentionPeriod":7}"#,
            r#"{"dBClusterIdentifier":"orders","cloudwatchLogsExportConfiguration":{"disableLogTypes":[7,null]}}"#,
        ] {
            assert!(!fires(&RdsActivityStreamStopped, &record(SOURCE, "ModifyDBCluster", ROLE, params, "")), "{params}");
        }
    }

    #[test]
    fn near_misses() {
        assert!(!fires(&RdsActivityStreamStopped, &failed(SOURCE, "StopActivityStream", ROLE, CLUSTER, "AccessDenied")));
        assert!(!fires(&RdsActivityStreamStopped, &record(SOURCE, "StartActivityStream", ROLE, CLUSTER, "")));
        assert!(!fires(&RdsActivityStreamStopped, &record(SOURCE, "StopActivityStream", SERVICE, CLUSTER, "")));
    }
}
