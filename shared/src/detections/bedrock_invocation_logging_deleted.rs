//! Bedrock model invocation logging removed
//! (`DeleteModelInvocationLoggingConfiguration`), or kept but told to deliver no
//! data (`PutModelInvocationLoggingConfiguration` whose every
//! `...DataDeliveryEnabled` switch is false: nothing is logged, whatever it
//! replaced), successfully.
//!
//! Decisions: the invocation log is the only record of the prompts and answers
//! of Bedrock models; LLMjacking reports describe intruders reading the logging
//! setting first and deleting it before running models. We report the deletion
//! (one per Region, as the setting is). A `PutModelInvocationLoggingConfiguration`
//! that narrows or redirects the logging is not reported (it is how the logging is
//! set up in the first place, and its request does not say what it replaced),
//! unless it delivers nothing at all. Any
//! caller but an AWS service identity counts, a stack included.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{change_by_anyone_but, flag_value};
use crate::event::Record;

pub struct BedrockInvocationLoggingDeleted;

const SOURCE: &str = "bedrock.amazonaws.com";
const NAMES: &[&str] = &["DeleteModelInvocationLoggingConfiguration"];
const PUT: &str = "PutModelInvocationLoggingConfiguration";

pub static META: Meta = Meta {
    id: "bedrock-invocation-logging-deleted",
    title: "AWS Bedrock Model Invocation Logging Deleted",
    description: "The model invocation logging of Amazon Bedrock was removed in a Region. \
                  From now on, the prompts sent to models and their answers are recorded \
                  nowhere, which hides misuse of the account's models (LLMjacking, \
                  extraction of data through a model) from investigators.",
    severity: Severity::Medium,
    attack: &["T1562.008", "T1496.004"],
    origins: &[
        "trailwatch: based on the LLMjacking reports cited by Stratus Red Team \
         aws.impact.bedrock-invoke-model (logging checked, then disabled)",
    ],
    group: "logging-tamper",
    false_positives: &[
        "A team switching the logging off in a Region where Bedrock is no longer used, \
         or recreating it with another destination.",
    ],
    next_steps: "Restore the invocation logging if the removal was not planned, then review \
                 the caller's Bedrock calls (InvokeModel, Converse, model access changes) \
                 since the deletion and where its credentials came from.",
    evidence: "api caller caller_type delivers_nothing source_ip user_agent",
    triggers: &[Trigger::write(SOURCE, NAMES), Trigger::write(SOURCE, &[PUT])],
    window: None,
};

impl Detection for BedrockInvocationLoggingDeleted {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if let Some(e) = change_by_anyone_but(rec, SOURCE, &[PUT], &[], &[]) {
            return delivers_nothing(rec).then(|| Signal::Fire(e.with("delivers_nothing", true)));
        }
        change_by_anyone_but(rec, SOURCE, NAMES, &[], &[]).and_then(fire)
    }
}

/// The logging configuration's delivery switches (`textDataDeliveryEnabled` and the
/// like) are all false, and there is at least one.
fn delivers_nothing(rec: &Record<'_>) -> bool {
    let switches: Vec<Option<bool>> = rec
        .request_param("loggingConfig")
        .and_then(|c| c.as_object())
        .into_iter()
        .flatten()
        .filter(|(k, _)| k.to_ascii_lowercase().ends_with("datadeliveryenabled"))
        .map(|(_, v)| flag_value(v))
        .collect();
    !switches.is_empty() && switches.iter().all(|s| *s == Some(false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, ROOT, SERVICE, failed, record};
    use crate::detections::common::testing::{eval, fires};
    use serde_json::json;

    #[test]
    fn fires_on_a_deletion_by_any_caller() {
        match eval(&BedrockInvocationLoggingDeleted, &record(SOURCE, "DeleteModelInvocationLoggingConfiguration", ROLE, "null", "")) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("caller_type"), Some(&json!("AssumedRole"))),
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(fires(&BedrockInvocationLoggingDeleted, &record(SOURCE, "DeleteModelInvocationLoggingConfiguration", ROOT, "{}", "")));
    }

    #[test]
    fn near_misses() {
        assert!(!fires(&BedrockInvocationLoggingDeleted, &failed(SOURCE, "DeleteModelInvocationLoggingConfiguration", ROLE, "null", "AccessDeniedException")));
        assert!(!fires(&BedrockInvocationLoggingDeleted, &record(SOURCE, "DeleteModelInvocationLoggingConfiguration", SERVICE, "null", "")));
        for other in ["GetModelInvocationLoggingConfiguration", "PutModelInvocationLoggingConfiguration"] {
            assert!(!fires(&BedrockInvocationLoggingDeleted, &record(SOURCE, other, ROLE, "null", "")), "{other}");
        }
    }

    /// From a review: a configuration that delivers no data logs nothing.
    #[test]
    fn a_configuration_delivering_nothing_counts() {
        let put = |switches: &str| {
            record(SOURCE, PUT, ROLE, &format!(r#"{{"loggingConfig":{{"cloudWatchConfig":{{"logGroupName":"bedrock-invocations","roleArn":"arn:aws:iam::111122223333:role/BedrockLogs"}}{switches}}}}}"#), "")
        };
        let off = put(r#","textDataDeliveryEnabled":false,"imageDataDeliveryEnabled":false,"embeddingDataDeliveryEnabled":"false","videoDataDeliveryEnabled":false"#);
        match eval(&BedrockInvocationLoggingDeleted, &off) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("delivers_nothing"), Some(&json!(true))),
            other => panic!("expected a finding, got {other:?}"),
        }
        for quiet in ["", r#","textDataDeliveryEnabled":true,"imageDataDeliveryEnabled":false"#] {
            assert!(!fires(&BedrockInvocationLoggingDeleted, &put(quiet)), "{quiet}");
        }
        assert!(!fires(&BedrockInvocationLoggingDeleted, &failed(SOURCE, PUT, ROLE, r#"{"loggingConfig":{"textDataDeliveryEnabled":false}}"#, "AccessDeniedException")));
    }
}
