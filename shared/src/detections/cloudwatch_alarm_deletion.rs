//! CloudWatch alarms deleted (`DeleteAlarms`) by a caller with an IP address.
//!
//! Also the `DeleteAlarms` part of Splunk's "AWS Defense Evasion Impair Security
//! Services", which lists event names with no outcome or caller filter (a hunting
//! search). A refused call deletes nothing, so the same success-only finding serves it.
//! The seed's caller filter (a literal source address, an agent other than `AWS
//! Internal`) is kept for that part too (decision): the seed suites pin it. A
//! deletion made through an AWS service, or logged with `AWS Internal` as agent and
//! source, is therefore not reported here.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::called_from_ip_not_aws_internal;
use crate::event::Record;

pub struct CloudWatchAlarmDeletion;

const SOURCE: &str = "monitoring.amazonaws.com";
const EVENT: &str = "DeleteAlarms";

pub static META: Meta = Meta {
    id: "cloudwatch-alarm-deletion",
    title: "AWS CloudWatch Alarm Deletion",
    description: "Someone deleted one or more CloudWatch alarms. Alarms are how an account notices \
                  unusual activity or cost, so removing them can be a way to act unseen.",
    severity: Severity::Medium,
    attack: &["T1562.001", "T1562.006"],
    origins: &[
        "Elastic detection-rules defense_evasion_cloudwatch_alarm_deletion.toml \
             (f772ec8a-e182-483c-91d2-72058f76a44c)",
        "Splunk ESCU detections/cloud/aws_defense_evasion_impair_security_services.yml \
         (its DeleteAlarms part)",
    ],
    group: "monitoring-tamper",
    false_positives: &[
        "Planned clean-up or redeployment of monitoring by an administrator.",
        "Infrastructure-as-code runs from a build host that replace alarms.",
    ],
    next_steps: "Check whether the deleted alarms guarded security or billing signals, confirm \
                 the change with the caller or its pipeline, recreate the alarms if it was not \
                 planned, and review what the same principal did around this time.",
    evidence: "alarm_names",
    triggers: &[Trigger::Events {
        source: SOURCE,
        names: &[EVENT],
        read_only: false,
        data_event: false,
        detail_pattern: None,
    }],
    window: None,
};

impl Detection for CloudWatchAlarmDeletion {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != SOURCE || rec.event_name() != EVENT {
            return None;
        }
        if !rec.succeeded() || !called_from_ip_not_aws_internal(rec) {
            return None;
        }
        fire(Evidence::new().with_json("alarm_names", rec.request_param("alarmNames")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::{eval, fires};

    const DELETE: &str = r#"{"eventSource":"monitoring.amazonaws.com","eventName":"DeleteAlarms",
        "userIdentity":{"type":"IAMUser","userName":"dana","arn":"arn:aws:iam::111122223333:user/dana"},
        "sourceIPAddress":"198.51.100.23","userAgent":"aws-cli/2.15.30 Python/3.11.8 Linux/6.1",
        "requestParameters":{"alarmNames":["root-login-alarm","billing-spike"]},"responseElements":null}"#;

    #[test]
    fn fires_on_a_successful_deletion_from_an_ip() {
        let Some(Signal::Fire(ev)) = eval(&CloudWatchAlarmDeletion, DELETE) else {
            panic!("expected a finding");
        };
        assert_eq!(
            ev.get("alarm_names"),
            Some(&serde_json::json!(["root-login-alarm", "billing-spike"]))
        );
    }

    #[test]
    fn fires_for_an_ipv6_caller_and_other_identity_types() {
        let v6 = DELETE.replace("198.51.100.23", "2001:db8:4f::17");
        assert!(fires(&CloudWatchAlarmDeletion, &v6));
        let role = DELETE.replace(
            r#""type":"IAMUser","userName":"dana","arn":"arn:aws:iam::111122223333:user/dana""#,
            r#""type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/Ops/dana""#,
        );
        assert!(fires(&CloudWatchAlarmDeletion, &role));
        let root = DELETE.replace(
            r#""type":"IAMUser","userName":"dana","arn":"arn:aws:iam::111122223333:user/dana""#,
            r#""type":"Root","arn":"arn:aws:iam::111122223333:root""#,
        );
        assert!(fires(&CloudWatchAlarmDeletion, &root));
    }

    #[test]
    fn ignores_a_failed_deletion() {
        let denied = DELETE.replace(
            r#""responseElements":null"#,
            r#""responseElements":null,"errorCode":"AccessDenied","errorMessage":"not authorized""#,
        );
        assert!(!fires(&CloudWatchAlarmDeletion, &denied));
        let message_only = DELETE.replace(
            r#""responseElements":null"#,
            r#""responseElements":null,"errorMessage":"throttled""#,
        );
        assert!(!fires(&CloudWatchAlarmDeletion, &message_only));
    }

    #[test]
    fn ignores_callers_without_an_ip_address() {
        for src in ["cloudformation.amazonaws.com", "AWS Internal", ""] {
            let rec = DELETE.replace("198.51.100.23", src);
            assert!(!fires(&CloudWatchAlarmDeletion, &rec), "{src}");
        }
        let missing = DELETE.replace(r#""sourceIPAddress":"198.51.100.23","#, "");
        assert!(!fires(&CloudWatchAlarmDeletion, &missing));
    }

    #[test]
    fn ignores_the_aws_internal_user_agent() {
        let rec = DELETE.replace("aws-cli/2.15.30 Python/3.11.8 Linux/6.1", "AWS Internal");
        assert!(!fires(&CloudWatchAlarmDeletion, &rec));
    }

    #[test]
    fn fires_without_a_user_agent_or_alarm_names() {
        let rec = DELETE
            .replace(
                r#""userAgent":"aws-cli/2.15.30 Python/3.11.8 Linux/6.1","#,
                "",
            )
            .replace(
                r#"{"alarmNames":["root-login-alarm","billing-spike"]}"#,
                "null",
            );
        let Some(Signal::Fire(ev)) = eval(&CloudWatchAlarmDeletion, &rec) else {
            panic!("expected a finding");
        };
        assert!(ev.get("alarm_names").is_none());
    }

    #[test]
    fn ignores_other_events_and_sources() {
        let put = DELETE.replace("DeleteAlarms", "PutMetricAlarm");
        assert!(!fires(&CloudWatchAlarmDeletion, &put));
        let other = DELETE.replace("monitoring.amazonaws.com", "logs.amazonaws.com");
        assert!(!fires(&CloudWatchAlarmDeletion, &other));
    }
}
