//! A Bedrock guardrail deleted (`DeleteGuardrail`), or the account's enforced
//! guardrail configuration removed (`DeleteEnforcedGuardrailConfiguration`: no
//! guardrail applies to every model call any more), successfully.
//!
//! Decisions: a guardrail filters what an application's model accepts and says
//! (harmful content, sensitive data, denied topics); deleting it removes that
//! filter from every application that used it. Updates (`UpdateGuardrail`) are
//! left out: they are how guardrails are tuned, and CloudTrail hides their
//! policies, so a weakening cannot be told from a strengthening. A refused
//! deletion does not fire, nor does an AWS service identity; a stack that deletes
//! the guardrail counts.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::change_by_anyone_but;
use crate::event::Record;

pub struct BedrockGuardrailDeleted;

const SOURCE: &str = "bedrock.amazonaws.com";
/// A guardrail deleted, or the account's enforced guardrail configuration, which
/// applies one to every model call in the Region (from a third evasion review).
const NAMES: &[&str] = &["DeleteGuardrail", "DeleteEnforcedGuardrailConfiguration"];

pub static META: Meta = Meta {
    id: "bedrock-guardrail-deleted",
    title: "AWS Bedrock Guardrail Deleted",
    description: "A Bedrock guardrail was deleted (or one of its versions), or the account's \
                  enforced guardrail configuration was removed. Applications that relied on it \
                  now send prompts to models and return answers without its content, \
                  sensitive-data and topic filters.",
    severity: Severity::Medium,
    attack: &["T1562.001", "T1485"],
    origins: &["Panther aws_bedrock_guardrail_update_delete (the deletion part)"],
    group: "ai-ml",
    false_positives: &["A team retiring an application, or replacing a guardrail with a new one."],
    next_steps: "Check which applications used the guardrail (`guardrailIdentifier`) and whether \
                 a replacement is in place; if the deletion was not planned, recreate it and \
                 review the caller's Bedrock calls.",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

impl Detection for BedrockGuardrailDeleted {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        change_by_anyone_but(rec, SOURCE, NAMES, &["guardrailIdentifier", "guardrailVersion", "configId"], &[])
            .and_then(fire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::{eval, fires};
    use serde_json::json;

    const GUARDRAIL: &str = r#"{"guardrailIdentifier":"cmy5azq5koeo"}"#;

    #[test]
    fn fires_on_a_deletion() {
        match eval(&BedrockGuardrailDeleted, &record(SOURCE, "DeleteGuardrail", ROLE, GUARDRAIL, "")) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("guardrailIdentifier"), Some(&json!("cmy5azq5koeo"))),
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn near_misses() {
        assert!(!fires(&BedrockGuardrailDeleted, &failed(SOURCE, "DeleteGuardrail", ROLE, GUARDRAIL, "AccessDeniedException")));
        assert!(!fires(&BedrockGuardrailDeleted, &record(SOURCE, "UpdateGuardrail", ROLE, GUARDRAIL, "")));
        assert!(!fires(&BedrockGuardrailDeleted, &record(SOURCE, "DeleteGuardrail", SERVICE, GUARDRAIL, "")));
    }
}
