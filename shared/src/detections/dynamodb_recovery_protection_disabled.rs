//! A DynamoDB table's recovery taken away: point-in-time recovery switched off
//! (`UpdateContinuousBackups` with `pointInTimeRecoveryEnabled` false: its 35 days of
//! restorable history are gone at once) or deletion protection turned off
//! (`UpdateTable` with `deletionProtectionEnabled` false), successfully, by anyone
//! but an AWS service.
//!
//! Decisions: only a request that explicitly sets the switch to false fires (an
//! update that does not mention it leaves it as it was); the value may be a JSON
//! boolean or text. These are the steps before a table is wiped or deleted for good,
//! as `rds-deletion-protection-disabled` and `rds-automated-backups-removed` are for
//! databases; a stack's change counts (the same act through a stack update).
//!
//! From a review: recovery kept on with its window cut to a day or two
//! (`recoveryPeriodInDays` below 3, the default being 35: the history older than
//! that is gone at once), and an Amazon Keyspaces table's point-in-time recovery
//! switched off (`UpdateTable` of `cassandra` with `pointInTimeRecovery.status`
//! `DISABLED`).

use serde_json::Value;

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_caller_but_stack, flag_value, succeeded_call, text_is, whole_number};
use crate::event::Record;

pub struct DynamoDbRecoveryProtectionDisabled;

const SOURCE: &str = "dynamodb.amazonaws.com";
const NAMES: &[&str] = &["UpdateContinuousBackups", "UpdateTable"];
const KEYSPACES: &str = "cassandra.amazonaws.com";
/// A recovery window shorter than this (days) is a cut, not a setting.
const SHORT_RECOVERY_DAYS: u64 = 3;

pub static META: Meta = Meta {
    id: "dynamodb-recovery-protection-disabled",
    title: "AWS DynamoDB Point-in-Time Recovery or Deletion Protection Disabled",
    description: "A DynamoDB table's point-in-time recovery was switched off, discarding its \
                  restorable history, or its deletion protection was turned off. Either comes \
                  before a table's data is destroyed for good, or held for ransom.",
    severity: Severity::Medium,
    attack: &["T1490", "T1485"],
    origins: &[
        "trailwatch: from a red-team gap hunt (DynamoDB's recovery switches, the table \
         form of RDS deletion protection and automated backups removed)",
    ],
    group: "backup-exposure",
    false_positives: &[
        "Decommissioning a table, or cost cuts on tables whose data can be rebuilt.",
    ],
    next_steps: "Check whether the table was then emptied or deleted and whether that was \
                 planned. Switch point-in-time recovery and deletion protection back on, and \
                 confirm that on-demand backups exist.",
    evidence: "keyspace switched_off table",
    triggers: &[Trigger::write(SOURCE, NAMES), Trigger::write(KEYSPACES, &["UpdateTable"])],
    window: None,
};

impl Detection for DynamoDbRecoveryProtectionDisabled {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if succeeded_call(rec, KEYSPACES, &["UpdateTable"]) && !aws_service_caller_but_stack(rec) {
            let status = rec.request_param("pointInTimeRecovery").and_then(|p| p.get("status"));
            if !text_is(status, "DISABLED") {
                return None;
            }
            return fire(
                Evidence::new()
                    .with("switched_off", "point-in-time recovery")
                    .with_opt("keyspace", rec.request_param_str("keyspaceName"))
                    .with_opt("table", rec.request_param_str("tableName")),
            );
        }
        if !succeeded_call(rec, SOURCE, NAMES) || aws_service_caller_but_stack(rec) {
            return None;
        }
        let switched_off = |v: Option<&Value>| v.and_then(flag_value) == Some(false);
        let what = match rec.event_name() {
            "UpdateContinuousBackups" => {
                let spec = rec.request_param("pointInTimeRecoverySpecification");
                let pitr = spec.and_then(|s| s.get("pointInTimeRecoveryEnabled"));
                let days = whole_number(spec.and_then(|s| s.get("recoveryPeriodInDays")));
                if switched_off(pitr) {
                    Some("point-in-time recovery")
                } else {
                    days.is_some_and(|d| d < SHORT_RECOVERY_DAYS).then_some("point-in-time recovery history (window cut)")
                }
            }
            _ => switched_off(rec.request_param("deletionProtectionEnabled")).then_some("deletion protection"),
        }?;
        fire(
            Evidence::new()
                .with("switched_off", what)
                .with_opt("table", rec.request_param_str("tableName")),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::{eval, fires};

    #[test]
    fn either_switch_turned_off_fires() {
        let pitr = r#"{"tableName":"orders","pointInTimeRecoverySpecification":{"pointInTimeRecoveryEnabled":false}}"#;
        match eval(&DynamoDbRecoveryProtectionDisabled, &record(SOURCE, "UpdateContinuousBackups", ROLE, pitr, "")) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("switched_off").and_then(|v| v.as_str()), Some("point-in-time recovery")),
            other => panic!("expected a finding, got {other:?}"),
        }
        let protection = r#"{"tableName":"orders","deletionProtectionEnabled":"false"}"#;
        assert!(fires(&DynamoDbRecoveryProtectionDisabled, &record(SOURCE, "UpdateTable", ROLE, protection, "")));
    }

    #[test]
    fn switches_left_on_or_unmentioned_services_and_failures_do_not() {
        for (name, params) in [
            ("UpdateContinuousBackups", r#"{"tableName":"orders","pointInTimeRecoverySpecification":{"pointInTimeRecoveryEnabled":true}}"#),
            ("UpdateTable", r#"{"tableName":"orders","deletionProtectionEnabled":true}"#),
            ("UpdateTable", r#"{"tableName":"orders","billingMode":"PAY_PER_REQUEST"}"#),
            ("UpdateTable", "null"),
        ] {
            assert!(!fires(&DynamoDbRecoveryProtectionDisabled, &record(SOURCE, name, ROLE, params, "")), "{params}");
        }
        let off = r#"{"tableName":"orders","deletionProtectionEnabled":false}"#;
        assert!(!fires(&DynamoDbRecoveryProtectionDisabled, &record(SOURCE, "UpdateTable", SERVICE, off, "")));
        assert!(!fires(&DynamoDbRecoveryProtectionDisabled, &failed(SOURCE, "UpdateTable", ROLE, off, "ResourceInUseException")));
        assert!(!fires(&DynamoDbRecoveryProtectionDisabled, &record(SOURCE, "DeleteTable", ROLE, off, "")));
    }

    /// From a review: the recovery window cut, and Keyspaces' recovery switched off.
    #[test]
    fn a_cut_window_and_keyspaces_recovery_off_fire() {
        let window = |days: &str| {
            record(SOURCE, "UpdateContinuousBackups", ROLE,
                &format!(r#"{{"tableName":"orders","pointInTimeRecoverySpecification":{{"pointInTimeRecoveryEnabled":true,"recoveryPeriodInDays":{days}}}}}"#), "")
        };
        assert!(fires(&DynamoDbRecoveryProtectionDisabled, &window("1")));
        assert!(!fires(&DynamoDbRecoveryProtectionDisabled, &window("14")));
        let keyspaces = |status: &str| {
            record(KEYSPACES, "UpdateTable", ROLE,
                &format!(r#"{{"keyspaceName":"orders","tableName":"line_items","pointInTimeRecovery":{{"status":"{status}"}}}}"#), "")
        };
        assert!(fires(&DynamoDbRecoveryProtectionDisabled, &keyspaces("DISABLED")));
        assert!(!fires(&DynamoDbRecoveryProtectionDisabled, &keyspaces("ENABLED")));
    }
}
