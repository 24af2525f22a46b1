//! A new CloudTrail trail was created (`CreateTrail`), successfully.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::event::Record;

pub struct CloudTrailLogCreated;

pub static META: Meta = Meta {
    id: "cloudtrail-log-created",
    title: "AWS CloudTrail Log Created",
    description: "A new trail was created. Usually this is onboarding, but a trail that delivers \
                  to a bucket outside the organisation copies the account's whole activity \
                  history to whoever owns that bucket, and a narrow new trail can be a decoy \
                  while the real one is changed.",
    severity: Severity::Low,
    attack: &["T1530", "T1562.008"],
    origins: &["Elastic detection-rules collection_cloudtrail_logging_created.toml (594e0cbf-86cc-45aa-9ff7-ff27db27d3ed)"],
    group: "logging-tamper",
    false_positives: &[
        "Administrators or account-onboarding automation (Control Tower, landing zones) creating trails.",
    ],
    next_steps: "Check who created the trail and from where, and where it delivers: is the S3 \
                 bucket (and KMS key, log group) owned by your organisation? Note that creating a \
                 trail does not start it; look for a StartLogging that follows.",
    evidence: "cloudwatch_log_group include_global_service_events kms_key_id log_file_validation \
        multi_region organization_trail s3_bucket s3_key_prefix trail trail_arn",
    triggers: &[Trigger::Events {
        source: "cloudtrail.amazonaws.com",
        names: &["CreateTrail"],
        read_only: false,
        data_event: false,
        detail_pattern: None,
    }],
    window: None,
};

impl Detection for CloudTrailLogCreated {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "cloudtrail.amazonaws.com"
            || rec.event_name() != "CreateTrail"
            || !rec.succeeded()
        {
            return None;
        }
        let p = |k: &str| rec.request_param(k);
        fire(
            Evidence::new()
                .with_opt("trail", rec.request_param_str("name"))
                .with_json("s3_bucket", p("s3BucketName"))
                .with_json("s3_key_prefix", p("s3KeyPrefix"))
                .with_json("multi_region", p("isMultiRegionTrail"))
                .with_json(
                    "include_global_service_events",
                    p("includeGlobalServiceEvents"),
                )
                .with_json("organization_trail", p("isOrganizationTrail"))
                .with_json("kms_key_id", p("kmsKeyId"))
                .with_json("log_file_validation", p("enableLogFileValidation"))
                .with_json("cloudwatch_log_group", p("cloudWatchLogsLogGroupArn"))
                .with_json("trail_arn", rec.response_element("trailARN")),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::{eval, fires};
    use serde_json::Value;

    const CREATE: &str = r#"{"eventVersion":"1.10","eventSource":"cloudtrail.amazonaws.com",
        "eventName":"CreateTrail","awsRegion":"us-east-2","sourceIPAddress":"198.51.100.7",
        "userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:ops","arn":"arn:aws:sts::123456789012:assumed-role/Ops/ops",
          "accountId":"123456789012"},
        "requestParameters":{"name":"copy-trail","s3BucketName":"exfil-logs-bucket","isMultiRegionTrail":true,
          "includeGlobalServiceEvents":true,"enableLogFileValidation":false,"isOrganizationTrail":false},
        "responseElements":{"name":"copy-trail","s3BucketName":"exfil-logs-bucket",
          "trailARN":"arn:aws:cloudtrail:us-east-2:123456789012:trail/copy-trail"}}"#;

    #[test]
    fn fires_with_the_destination() {
        match eval(&CloudTrailLogCreated, CREATE) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("trail"), Some(&Value::from("copy-trail")));
                assert_eq!(e.get("s3_bucket"), Some(&Value::from("exfil-logs-bucket")));
                assert_eq!(e.get("multi_region"), Some(&Value::from(true)));
                assert_eq!(e.get("log_file_validation"), Some(&Value::from(false)));
                assert_eq!(
                    e.get("trail_arn"),
                    Some(&Value::from(
                        "arn:aws:cloudtrail:us-east-2:123456789012:trail/copy-trail"
                    ))
                );
                assert!(e.get("kms_key_id").is_none());
            }
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn fires_on_sparse_records() {
        let sparse = r#"{"eventSource":"cloudtrail.amazonaws.com","eventName":"CreateTrail",
            "userIdentity":{"type":"Root","arn":"arn:aws:iam::123456789012:root"},
            "requestParameters":null,"responseElements":null}"#;
        assert!(fires(&CloudTrailLogCreated, sparse));
    }

    #[test]
    fn ignores_failures_and_other_calls() {
        let denied = CREATE.replace(
            "\"requestParameters\"",
            "\"errorCode\":\"InsufficientS3BucketPolicyException\",\"requestParameters\"",
        );
        assert!(!fires(&CloudTrailLogCreated, &denied));
        for (from, to) in [
            ("\"CreateTrail\"", "\"StartLogging\""),
            ("\"CreateTrail\"", "\"UpdateTrail\""),
            ("cloudtrail.amazonaws.com", "cloudtrail-data.amazonaws.com"),
        ] {
            assert!(
                !fires(&CloudTrailLogCreated, &CREATE.replace(from, to)),
                "{to}"
            );
        }
    }
}
