//! A trail was stopped, changed or deleted, or someone tried to (Sigma: no outcome filter).

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::with_error;
use crate::event::Record;

pub struct CloudTrailImportantChange;

const NAMES: &[&str] = &["StopLogging", "UpdateTrail", "DeleteTrail"];

pub static META: Meta = Meta {
    id: "cloudtrail-important-change",
    title: "AWS CloudTrail Important Change",
    description: "A call to stop, reconfigure or delete a CloudTrail trail, whether it succeeded or \
                  was refused. Each of these can blind the account's audit log, so even a denied \
                  attempt says someone is trying to work unobserved.",
    severity: Severity::Medium,
    attack: &["T1685.002", "T1562.001"],
    origins: &["SigmaHQ rules/cloud/aws/cloudtrail/aws_cloudtrail_disable_logging.yml (4db60cc0-36fb-42b7-9b58-a5b53019fb74)"],
    group: "logging-tamper",
    false_positives: &[
        "Planned trail changes by administrators or infrastructure-as-code pipelines.",
    ],
    next_steps: "Check whether the call succeeded (error code in the finding) and which trail it \
                 targeted. If it succeeded and was not planned, restore the trail (StartLogging, \
                 revert the settings or recreate it); either way, ask the caller and review what \
                 the same principal did around this time.",
    evidence: "action error_code error_message succeeded trail",
    triggers: &[Trigger::Events {
        source: "cloudtrail.amazonaws.com",
        names: NAMES,
        read_only: false,
        data_event: false,
        detail_pattern: None,
    }],
    window: None,
};

impl Detection for CloudTrailImportantChange {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "cloudtrail.amazonaws.com" || !NAMES.contains(&rec.event_name()) {
            return None;
        }
        let evidence = Evidence::new()
            .with("action", rec.event_name())
            .with_opt("trail", rec.request_param_str("name"))
            .with("succeeded", rec.succeeded());
        fire(with_error(evidence, rec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::{fired_evidence, fires};
    use serde_json::Value;

    const UPDATE: &str = r#"{"eventVersion":"1.10","eventSource":"cloudtrail.amazonaws.com",
        "eventName":"UpdateTrail","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.44",
        "userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/ops",
          "accountId":"111122223333","userName":"ops"},
        "requestParameters":{"name":"management-events","isMultiRegionTrail":false},
        "responseElements":{"name":"management-events"}}"#;

    fn evidence(json: &str) -> Evidence {
        fired_evidence(&CloudTrailImportantChange, json)
    }

    #[test]
    fn fires_on_each_of_the_three_calls() {
        for name in NAMES {
            let json = UPDATE.replace("\"UpdateTrail\"", &format!("\"{name}\""));
            let e = evidence(&json);
            assert_eq!(e.get("action"), Some(&Value::from(*name)));
            assert_eq!(e.get("trail"), Some(&Value::from("management-events")));
            assert_eq!(e.get("succeeded"), Some(&Value::from(true)));
            assert!(e.get("error_code").is_none());
        }
    }

    #[test]
    fn fires_on_a_denied_attempt_with_the_error() {
        let denied = UPDATE
            .replace("\"UpdateTrail\"", "\"StopLogging\"")
            .replace(
                "\"requestParameters\"",
                "\"errorCode\":\"AccessDenied\",\"errorMessage\":\"User: arn:aws:iam::111122223333:user/ops is not authorized to perform: cloudtrail:StopLogging\",\"requestParameters\"",
            );
        let e = evidence(&denied);
        assert_eq!(e.get("error_code"), Some(&Value::from("AccessDenied")));
        assert!(e.get("error_message").is_some());
        assert_eq!(e.get("succeeded"), Some(&Value::from(false)));
    }

    #[test]
    fn fires_for_roles_and_without_request_parameters() {
        let role = r#"{"eventSource":"cloudtrail.amazonaws.com","eventName":"DeleteTrail",
            "userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::444455556666:assumed-role/Deployer/ci"},
            "requestParameters":null}"#;
        let e = evidence(role);
        assert!(e.get("trail").is_none());
    }

    #[test]
    fn ignores_other_trail_calls_and_other_services() {
        for (from, to) in [
            ("\"UpdateTrail\"", "\"StartLogging\""),
            ("\"UpdateTrail\"", "\"CreateTrail\""),
            ("\"UpdateTrail\"", "\"PutEventSelectors\""),
            ("\"UpdateTrail\"", "\"updatetrail\""),
            ("cloudtrail.amazonaws.com", "config.amazonaws.com"),
        ] {
            assert!(
                !fires(&CloudTrailImportantChange, &UPDATE.replace(from, to)),
                "{to}"
            );
        }
        assert!(!fires(
            &CloudTrailImportantChange,
            r#"{"eventName":"StopLogging"}"#
        ));
    }
}
