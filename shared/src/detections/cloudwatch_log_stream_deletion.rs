//! A CloudWatch Logs log stream deleted (`DeleteLogStream`) by a caller with an IP address.
//!
//! Also the `DeleteLogStream` part of Splunk's "AWS Defense Evasion Impair Security
//! Services", which lists event names with no outcome or caller filter (a hunting
//! search). A refused call deletes nothing, so the same success-only finding serves it.
//! The seed's caller filter (a literal source address, an agent other than `AWS
//! Internal`) is kept for that part too (decision): the seed suites pin it. A
//! deletion made through an AWS service, or logged with `AWS Internal` as agent and
//! source, is therefore not reported here.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::called_from_ip_not_aws_internal;
use crate::event::Record;

pub struct CloudWatchLogStreamDeletion;

const SOURCE: &str = "logs.amazonaws.com";
const EVENT: &str = "DeleteLogStream";

pub static META: Meta = Meta {
    id: "cloudwatch-log-stream-deletion",
    title: "AWS CloudWatch Log Stream Deletion",
    description: "A CloudWatch Logs log stream was deleted together with all its events. An \
                  intruder can remove a single stream to erase the record of one host or function \
                  while the log group stays in place.",
    severity: Severity::Medium,
    attack: &["T1485", "T1562.001", "T1562.008"],
    origins: &[
        "Elastic detection-rules impact_cloudwatch_log_stream_deletion.toml \
             (d624f0ae-3dd1-4856-9aad-ccfe4d4bfa17)",
        "Splunk ESCU detections/cloud/aws_defense_evasion_impair_security_services.yml \
         (its DeleteLogStream part)",
    ],
    group: "monitoring-tamper",
    false_positives: &[
        "Applications or scripts that rotate or prune their own streams.",
        "Resetting test environments; pipelines that recreate streams.",
    ],
    next_steps: "Check which group and stream were removed and what they recorded, whether the \
                 caller normally manages them (a per-principal allow-list helps where streams \
                 rotate), and what else the principal did around this time.",
    evidence: "log_group log_stream",
    triggers: &[Trigger::Events {
        source: SOURCE,
        names: &[EVENT],
        read_only: false,
        data_event: false,
        detail_pattern: None,
    }],
    window: None,
};

impl Detection for CloudWatchLogStreamDeletion {
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
        fire(
            Evidence::new()
                .with_opt("log_group", rec.request_param_str("logGroupName"))
                .with_opt("log_stream", rec.request_param_str("logStreamName")),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::{eval, fires};

    const DELETE: &str = r#"{"eventSource":"logs.amazonaws.com","eventName":"DeleteLogStream",
        "userIdentity":{"type":"IAMUser","userName":"lee","arn":"arn:aws:iam::444455556666:user/lee"},
        "sourceIPAddress":"192.0.2.140","userAgent":"aws-cli/1.32.60 Python/3.12.2 Darwin/23.4.0 botocore/1.34.60",
        "requestParameters":{"logGroupName":"/app/payments","logStreamName":"i-0abc12345def67890"},
        "responseElements":null}"#;

    #[test]
    fn fires_on_a_successful_deletion_from_an_ip() {
        let Some(Signal::Fire(ev)) = eval(&CloudWatchLogStreamDeletion, DELETE) else {
            panic!("expected a finding");
        };
        assert_eq!(
            ev.get("log_group").and_then(|v| v.as_str()),
            Some("/app/payments")
        );
        assert_eq!(
            ev.get("log_stream").and_then(|v| v.as_str()),
            Some("i-0abc12345def67890")
        );
    }

    #[test]
    fn fires_for_ipv6_and_assumed_role_callers() {
        assert!(fires(
            &CloudWatchLogStreamDeletion,
            &DELETE.replace("192.0.2.140", "2001:db8:a::140")
        ));
        let role = DELETE.replace(
            r#""type":"IAMUser","userName":"lee","arn":"arn:aws:iam::444455556666:user/lee""#,
            r#""type":"AssumedRole","arn":"arn:aws:sts::444455556666:assumed-role/Build/ci""#,
        );
        assert!(fires(&CloudWatchLogStreamDeletion, &role));
    }

    #[test]
    fn ignores_a_denied_deletion() {
        let denied = DELETE.replace(
            r#""responseElements":null"#,
            r#""responseElements":null,"errorCode":"AccessDeniedException""#,
        );
        assert!(!fires(&CloudWatchLogStreamDeletion, &denied));
    }

    #[test]
    fn ignores_service_callers_and_the_aws_internal_user_agent() {
        for src in ["AWS Internal", "lambda.amazonaws.com", "not-an-ip"] {
            assert!(
                !fires(
                    &CloudWatchLogStreamDeletion,
                    &DELETE.replace("192.0.2.140", src)
                ),
                "{src}"
            );
        }
        let internal = DELETE.replace(
            "aws-cli/1.32.60 Python/3.12.2 Darwin/23.4.0 botocore/1.34.60",
            "AWS Internal",
        );
        assert!(!fires(&CloudWatchLogStreamDeletion, &internal));
    }

    #[test]
    fn ignores_other_log_events() {
        for name in ["DeleteLogGroup", "CreateLogStream"] {
            assert!(
                !fires(
                    &CloudWatchLogStreamDeletion,
                    &DELETE.replace("DeleteLogStream", name)
                ),
                "{name}"
            );
        }
    }
}
