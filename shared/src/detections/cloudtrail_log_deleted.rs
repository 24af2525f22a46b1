//! A CloudTrail trail was deleted (`DeleteTrail`), successfully.
//!
//! Also Splunk's "AWS Defense Evasion Delete Cloudtrail" (`aws_defense_evasion_delete_cloudtrail.yml`):
//! the same successful `DeleteTrail`, except that Splunk drops calls whose user agent is
//! `console.amazonaws.com`. We keep them (decision): that user agent only marks a
//! request made in the console (by root, notably), a trail deleted by hand in the console
//! is no less a threat, and a stolen console session is a common way in.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::event::Record;

pub struct CloudTrailLogDeleted;

pub static META: Meta = Meta {
    id: "cloudtrail-log-deleted",
    title: "AWS CloudTrail Log Deleted",
    description: "A trail was deleted, so the activity it recorded is no longer captured. If it \
                  was the only trail, later API calls may also stop reaching EventBridge and \
                  every detection that depends on them.",
    severity: Severity::Medium,
    attack: &["T1562.001", "T1562.008"],
    origins: &[
        "Elastic detection-rules defense_evasion_cloudtrail_logging_deleted.toml (7024e2a0-315d-4334-bb1a-441c593e16ab)",
        "Splunk ESCU detections/cloud/aws_defense_evasion_delete_cloudtrail.yml",
    ],
    group: "logging-tamper",
    false_positives: &["Administrators or automation cleaning up old or duplicate trails."],
    next_steps: "Confirm the deletion with the caller or the change record. If unplanned, recreate \
                 the trail at once, check which trails still log this account and Region, and \
                 review the caller's other activity from the same source address.",
    evidence: "trail",
    triggers: &[Trigger::Events {
        source: "cloudtrail.amazonaws.com",
        names: &["DeleteTrail"],
        read_only: false,
        data_event: false,
        detail_pattern: None,
    }],
    window: None,
};

impl Detection for CloudTrailLogDeleted {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "cloudtrail.amazonaws.com"
            || rec.event_name() != "DeleteTrail"
            || !rec.succeeded()
        {
            return None;
        }
        fire(Evidence::new().with_opt("trail", rec.request_param_str("name")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::{eval, fires};
    use serde_json::Value;

    const DELETE: &str = r#"{"eventVersion":"1.10","eventSource":"cloudtrail.amazonaws.com",
        "eventName":"DeleteTrail","awsRegion":"eu-central-1","sourceIPAddress":"203.0.113.9",
        "userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::444455556666:user/svc",
          "accountId":"444455556666","userName":"svc"},
        "requestParameters":{"name":"arn:aws:cloudtrail:eu-central-1:444455556666:trail/audit"},
        "responseElements":null}"#;

    #[test]
    fn fires_with_the_trail() {
        match eval(&CloudTrailLogDeleted, DELETE) {
            Some(Signal::Fire(e)) => assert_eq!(
                e.get("trail"),
                Some(&Value::from(
                    "arn:aws:cloudtrail:eu-central-1:444455556666:trail/audit"
                ))
            ),
            other => panic!("expected a finding, got {other:?}"),
        }
        let no_params = DELETE.replace(
            r#"{"name":"arn:aws:cloudtrail:eu-central-1:444455556666:trail/audit"}"#,
            "null",
        );
        assert!(fires(&CloudTrailLogDeleted, &no_params));
    }

    #[test]
    fn ignores_failures_and_other_calls() {
        for err in [
            r#""errorCode":"AccessDenied","#,
            r#""errorCode":"TrailNotFoundException","#,
            r#""errorMessage":"Unknown trail","#,
        ] {
            let failed = DELETE.replace(
                "\"requestParameters\"",
                &format!("{err}\"requestParameters\""),
            );
            assert!(!fires(&CloudTrailLogDeleted, &failed), "{err}");
        }
        let empty_error = DELETE.replace(
            "\"requestParameters\"",
            r#""errorCode":"","requestParameters""#,
        );
        assert!(fires(&CloudTrailLogDeleted, &empty_error));
        for (from, to) in [
            ("\"DeleteTrail\"", "\"StopLogging\""),
            ("\"DeleteTrail\"", "\"DeleteEventDataStore\""),
            ("cloudtrail.amazonaws.com", "logs.amazonaws.com"),
        ] {
            assert!(
                !fires(&CloudTrailLogDeleted, &DELETE.replace(from, to)),
                "{to}"
            );
        }
    }
}
