//! CloudTrail logging stopped (`StopLogging`), successfully.
//!
//! Also Splunk's "AWS Defense Evasion Stop Logging Cloudtrail" (`aws_defense_evasion_stop_logging_cloudtrail.yml`):
//! the same successful `StopLogging`, except that Splunk drops calls whose user agent is
//! `console.amazonaws.com`. We keep them (decision): that user agent only marks a
//! request made in the console (by root, notably), a trail stopped by hand in the console
//! is no less a threat, and a stolen console session is a common way in.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::event::Record;

pub struct CloudTrailLogSuspended;

pub static META: Meta = Meta {
    id: "cloudtrail-log-suspended",
    title: "AWS CloudTrail Log Suspended",
    description: "A trail stopped recording API activity. Attackers do this first so that what \
                  follows leaves no audit trail; until logging restarts the account is blind.",
    severity: Severity::High,
    attack: &["T1562.001", "T1562.008"],
    origins: &[
        "Elastic detection-rules defense_evasion_cloudtrail_logging_suspended.toml (1aa8fa52-44a7-4dae-b058-f3333b91c8d7)",
        "Splunk ESCU detections/cloud/aws_defense_evasion_stop_logging_cloudtrail.yml",
    ],
    group: "logging-tamper",
    false_positives: &["Sanctioned maintenance that pauses a trail."],
    next_steps: "Restart logging (StartLogging) if this was not planned, confirm with the caller, \
                 and review what the same principal did after this time.",
    evidence: "trail",
    triggers: &[Trigger::Events {
        source: "cloudtrail.amazonaws.com",
        names: &["StopLogging"],
        read_only: false,
        data_event: false,
        detail_pattern: None,
    }],
    window: None,
};

impl Detection for CloudTrailLogSuspended {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !rec.succeeded() {
            return None;
        }
        fire(Evidence::new().with_opt("trail", rec.request_param_str("name")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::fires;

    const STOP: &str = r#"{"eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging",
        "requestParameters":{"name":"arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail"}}"#;

    #[test]
    fn fires_on_a_successful_stop() {
        assert!(fires(&CloudTrailLogSuspended, STOP));
    }

    #[test]
    fn ignores_a_denied_stop() {
        let denied = STOP.replace(
            "\"requestParameters\"",
            "\"errorCode\":\"AccessDenied\",\"requestParameters\"",
        );
        assert!(!fires(&CloudTrailLogSuspended, &denied));
    }
}
