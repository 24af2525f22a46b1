//! A CloudWatch Logs log group deleted (`DeleteLogGroup`) by a caller with an IP address.
//!
//! Also Splunk's "AWS Defense Evasion Delete CloudWatch Log Group" (`aws_defense_evasion_delete_cloudwatch_log_group.yml`):
//! the same successful `DeleteLogGroup`, except that Splunk drops calls whose user agent is
//! `console.amazonaws.com`. We keep them (decision): that user agent only marks a
//! request made in the console (by root, notably), a log group deleted by hand in the console
//! is no less a threat, and a stolen console session is a common way in. Splunk has no
//! caller filter; the seed's (a literal source address, an agent other than `AWS
//! Internal`) is kept for its part too (decision): the seed suites pin it, and it is
//! what keeps AWS's own clean-ups quiet. A deletion made through CloudFormation or
//! logged with `AWS Internal` as agent and source is therefore not reported here.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::called_from_ip_not_aws_internal;
use crate::event::Record;

pub struct CloudWatchLogGroupDeletion;

const SOURCE: &str = "logs.amazonaws.com";
const EVENT: &str = "DeleteLogGroup";

pub static META: Meta = Meta {
    id: "cloudwatch-log-group-deletion",
    title: "AWS CloudWatch Log Group Deletion",
    description: "A CloudWatch Logs log group was deleted, and every stream and event in it with \
                  it. Removing logs destroys evidence and can blind the monitoring that reads them.",
    severity: Severity::Medium,
    attack: &["T1485", "T1562.001", "T1562.008"],
    origins: &[
        "Elastic detection-rules impact_cloudwatch_log_group_deletion.toml \
             (68a7a5a5-a2fc-4a76-ba9f-26849de881b4)",
        "Splunk ESCU detections/cloud/aws_defense_evasion_delete_cloudwatch_log_group.yml",
    ],
    group: "monitoring-tamper",
    false_positives: &[
        "Infrastructure-as-code (Terraform, CDK) tearing down or recreating a stack from a \
         workstation or build host.",
        "Clean-up of test or development log groups.",
    ],
    next_steps: "Find out what the log group held (application, VPC flow, CloudTrail or security \
                 logs), whether a copy exists elsewhere (S3 export, subscription), confirm the \
                 deletion with the caller, and review the caller's other recent activity.",
    evidence: "log_group",
    triggers: &[Trigger::Events {
        source: SOURCE,
        names: &[EVENT],
        read_only: false,
        data_event: false,
        detail_pattern: None,
    }],
    window: None,
};

impl Detection for CloudWatchLogGroupDeletion {
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
        fire(Evidence::new().with_opt("log_group", rec.request_param_str("logGroupName")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::{eval, fires};

    const DELETE: &str = r#"{"eventSource":"logs.amazonaws.com","eventName":"DeleteLogGroup",
        "userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::123456789012:assumed-role/Dev/sam"},
        "sourceIPAddress":"203.0.113.61","userAgent":"Boto3/1.34.51 md/Botocore#1.34.51",
        "requestParameters":{"logGroupName":"/aws/vpc/flow-logs"},"responseElements":null}"#;

    #[test]
    fn fires_on_a_successful_deletion_from_an_ip() {
        let Some(Signal::Fire(ev)) = eval(&CloudWatchLogGroupDeletion, DELETE) else {
            panic!("expected a finding");
        };
        assert_eq!(
            ev.get("log_group").and_then(|v| v.as_str()),
            Some("/aws/vpc/flow-logs")
        );
    }

    #[test]
    fn fires_for_ipv6_root_and_iam_user_callers() {
        assert!(fires(
            &CloudWatchLogGroupDeletion,
            &DELETE.replace("203.0.113.61", "2001:db8::9")
        ));
        let root = DELETE.replace(
            r#""type":"AssumedRole","arn":"arn:aws:sts::123456789012:assumed-role/Dev/sam""#,
            r#""type":"Root","arn":"arn:aws:iam::123456789012:root""#,
        );
        assert!(fires(&CloudWatchLogGroupDeletion, &root));
        let user = DELETE.replace(
            r#""type":"AssumedRole","arn":"arn:aws:sts::123456789012:assumed-role/Dev/sam""#,
            r#""type":"IAMUser","userName":"sam""#,
        );
        assert!(fires(&CloudWatchLogGroupDeletion, &user));
    }

    #[test]
    fn ignores_a_failed_deletion() {
        let missing = DELETE.replace(
            r#""responseElements":null"#,
            r#""responseElements":null,"errorCode":"ResourceNotFoundException""#,
        );
        assert!(!fires(&CloudWatchLogGroupDeletion, &missing));
    }

    #[test]
    fn ignores_service_callers_and_the_aws_internal_user_agent() {
        let cfn = DELETE
            .replace("203.0.113.61", "cloudformation.amazonaws.com")
            .replace(
                "Boto3/1.34.51 md/Botocore#1.34.51",
                "cloudformation.amazonaws.com",
            );
        assert!(!fires(&CloudWatchLogGroupDeletion, &cfn));
        let internal = DELETE.replace("Boto3/1.34.51 md/Botocore#1.34.51", "AWS Internal");
        assert!(!fires(&CloudWatchLogGroupDeletion, &internal));
        let no_ip = DELETE.replace(
            r#""sourceIPAddress":"203.0.113.61","#,
            r#""sourceIPAddress":null,"#,
        );
        assert!(!fires(&CloudWatchLogGroupDeletion, &no_ip));
    }

    #[test]
    fn ignores_other_log_events() {
        for name in ["DeleteLogStream", "CreateLogGroup", "PutRetentionPolicy"] {
            assert!(
                !fires(
                    &CloudWatchLogGroupDeletion,
                    &DELETE.replace("DeleteLogGroup", name)
                ),
                "{name}"
            );
        }
    }

    #[test]
    fn tolerates_odd_request_parameters() {
        let rec = DELETE.replace(r#"{"logGroupName":"/aws/vpc/flow-logs"}"#, r#""oops""#);
        let Some(Signal::Fire(ev)) = eval(&CloudWatchLogGroupDeletion, &rec) else {
            panic!("expected a finding");
        };
        assert!(ev.get("log_group").is_none());
    }
}
