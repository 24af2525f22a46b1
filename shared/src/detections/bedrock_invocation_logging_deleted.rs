//! Bedrock model invocation logging removed
//! (`DeleteModelInvocationLoggingConfiguration`), successfully.
//!
//! Decisions: the invocation log is the only record of the prompts and answers
//! of Bedrock models; LLMjacking reports describe intruders reading the logging
//! setting first and deleting it before running models. We report the deletion
//! (one per Region, as the setting is). A `PutModelInvocationLoggingConfiguration`
//! that narrows or redirects the logging is not reported: it is how the logging is
//! set up in the first place, and its request does not say what it replaced. Any
//! caller but an AWS service identity counts, a stack included.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::change_by_anyone_but;
use crate::event::Record;

pub struct BedrockInvocationLoggingDeleted;

const SOURCE: &str = "bedrock.amazonaws.com";
const NAMES: &[&str] = &["DeleteModelInvocationLoggingConfiguration"];

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
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

impl Detection for BedrockInvocationLoggingDeleted {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        change_by_anyone_but(rec, SOURCE, NAMES, &[], &[]).and_then(fire)
    }
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
}
