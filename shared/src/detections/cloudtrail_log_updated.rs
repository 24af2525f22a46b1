//! A CloudTrail trail's configuration was changed (`UpdateTrail`), successfully.
//!
//! Also Splunk's "AWS Defense Evasion Update Cloudtrail" (`aws_defense_evasion_update_cloudtrail.yml`):
//! the same successful `UpdateTrail`, except that Splunk drops calls whose user agent is
//! `console.amazonaws.com`. We keep them (decision): that user agent only marks a
//! request made in the console (by root, notably), a trail changed by hand in the console
//! is no less a threat, and a stolen console session is a common way in.

use serde_json::{Map, Value};

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::flag_value;
use crate::event::Record;

pub struct CloudTrailLogUpdated;

pub static META: Meta = Meta {
    id: "cloudtrail-log-updated",
    title: "AWS CloudTrail Log Updated",
    description: "A trail's settings were changed. An attacker can keep a trail \"on\" while \
                  making it useless: limiting it to one Region, dropping global service events, \
                  turning off log file validation so tampering goes unnoticed, or sending the \
                  logs to a bucket, key or log group they control.",
    severity: Severity::High,
    attack: &["T1565.001", "T1530", "T1562.008"],
    origins: &[
        "Elastic detection-rules impact_cloudtrail_logging_updated.toml (3e002465-876f-4f04-b016-84ef48ce7e5d)",
        "Splunk ESCU detections/cloud/aws_defense_evasion_update_cloudtrail.yml",
    ],
    group: "logging-tamper",
    false_positives: &[
        "Administrators or infrastructure-as-code changing trail settings; compare with the \
         expected baseline.",
    ],
    next_steps: "Read the weakening settings and changed destinations in the evidence. Check that \
                 any new S3 bucket, KMS key or log group belongs to your organisation, confirm the \
                 change with the caller, and restore the baseline configuration if it was not \
                 planned.",
    evidence: "destination_changes trail trail_arn weakening",
    triggers: &[Trigger::Events {
        source: "cloudtrail.amazonaws.com",
        names: &["UpdateTrail"],
        read_only: false,
        data_event: false,
        detail_pattern: None,
    }],
    window: None,
};

/// Settings whose value `false` narrows what the trail records or how well it is protected.
const WEAKENING_IF_FALSE: &[&str] = &[
    "isMultiRegionTrail",
    "includeGlobalServiceEvents",
    "enableLogFileValidation",
    "isOrganizationTrail",
];

/// Settings that send the logs somewhere else (an empty value removes the destination).
const DESTINATIONS: &[&str] = &[
    "s3BucketName",
    "s3KeyPrefix",
    "kmsKeyId",
    "cloudWatchLogsLogGroupArn",
];

impl Detection for CloudTrailLogUpdated {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "cloudtrail.amazonaws.com"
            || rec.event_name() != "UpdateTrail"
            || !rec.succeeded()
        {
            return None;
        }
        let weakening: Vec<String> = WEAKENING_IF_FALSE
            .iter()
            .filter(|k| rec.request_param(k).and_then(flag_value) == Some(false))
            .map(|k| format!("{k}=false"))
            .collect();
        let destinations: Map<String, Value> = DESTINATIONS
            .iter()
            .filter_map(|k| {
                let v = rec.request_param(k)?.as_str()?;
                Some(((*k).to_owned(), Value::from(v)))
            })
            .collect();
        fire(
            Evidence::new()
                .with_opt("trail", rec.request_param_str("name"))
                .with_opt("weakening", (!weakening.is_empty()).then_some(weakening))
                .with_opt(
                    "destination_changes",
                    (!destinations.is_empty()).then_some(Value::Object(destinations)),
                )
                .with_json("trail_arn", rec.response_element("trailARN")),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::{fired_evidence, fires};
    use serde_json::json;

    const UPDATE: &str = r#"{"eventVersion":"1.10","eventSource":"cloudtrail.amazonaws.com",
        "eventName":"UpdateTrail","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.77",
        "userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::123456789012:user/ops",
          "accountId":"123456789012","userName":"ops"},
        "requestParameters":{"name":"org-audit","isMultiRegionTrail":false,"includeGlobalServiceEvents":"false",
          "enableLogFileValidation":false,"s3BucketName":"elsewhere-logs","cloudWatchLogsLogGroupArn":""},
        "responseElements":{"name":"org-audit","trailARN":"arn:aws:cloudtrail:us-east-1:123456789012:trail/org-audit"}}"#;

    fn evidence(json: &str) -> Evidence {
        fired_evidence(&CloudTrailLogUpdated, json)
    }

    #[test]
    fn fires_and_lists_weakening_settings() {
        let e = evidence(UPDATE);
        assert_eq!(e.get("trail"), Some(&json!("org-audit")));
        assert_eq!(
            e.get("weakening"),
            Some(&json!([
                "isMultiRegionTrail=false",
                "includeGlobalServiceEvents=false",
                "enableLogFileValidation=false"
            ]))
        );
        assert_eq!(
            e.get("destination_changes"),
            Some(&json!({"s3BucketName": "elsewhere-logs", "cloudWatchLogsLogGroupArn": ""}))
        );
        assert_eq!(
            e.get("trail_arn"),
            Some(&json!(
                "arn:aws:cloudtrail:us-east-1:123456789012:trail/org-audit"
            ))
        );
    }

    #[test]
    fn fires_on_a_harmless_looking_update_too() {
        let benign = r#"{"eventSource":"cloudtrail.amazonaws.com","eventName":"UpdateTrail",
            "userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::123456789012:assumed-role/Terraform/run"},
            "requestParameters":{"name":"org-audit","isMultiRegionTrail":true,"enableLogFileValidation":"TRUE"}}"#;
        let e = evidence(benign);
        assert!(e.get("weakening").is_none());
        assert!(e.get("destination_changes").is_none());
        let bare = r#"{"eventSource":"cloudtrail.amazonaws.com","eventName":"UpdateTrail","requestParameters":null}"#;
        assert!(evidence(bare).get("trail").is_none());
    }

    #[test]
    fn ignores_failures_and_other_calls() {
        let denied = UPDATE.replace(
            "\"requestParameters\"",
            "\"errorCode\":\"AccessDenied\",\"requestParameters\"",
        );
        assert!(!fires(&CloudTrailLogUpdated, &denied));
        for (from, to) in [
            ("\"UpdateTrail\"", "\"PutEventSelectors\""),
            ("\"UpdateTrail\"", "\"StopLogging\""),
            ("cloudtrail.amazonaws.com", "s3.amazonaws.com"),
        ] {
            assert!(
                !fires(&CloudTrailLogUpdated, &UPDATE.replace(from, to)),
                "{to}"
            );
        }
    }

    #[test]
    fn flags_read_leniently() {
        assert_eq!(flag_value(&json!(false)), Some(false));
        assert_eq!(flag_value(&json!("False")), Some(false));
        assert_eq!(flag_value(&json!(" true ")), Some(true));
        assert_eq!(flag_value(&json!(0)), None);
        assert_eq!(flag_value(&json!(null)), None);
        assert_eq!(flag_value(&json!("no")), None);
    }
}
