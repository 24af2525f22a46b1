//! Access to a Bedrock foundation model switched on: the model-access use case
//! submitted (`PutUseCaseForModelAccess`) or a model entitled
//! (`PutFoundationModelEntitlement`), successfully.
//!
//! Decisions: "LLMjacking" (stolen credentials used to run paid models) starts by
//! enabling models the account never used. Turning a model on takes three calls in
//! a row: the use-case form (once per account, for Anthropic models), the
//! marketplace agreement (`CreateFoundationModelAgreement`) and the entitlement. We
//! report the first and the last: the form because it is filed once per account and
//! attackers fill it with invented company details, the entitlement because it is
//! the step that makes the model callable (one finding per model). The agreement
//! alone enables nothing and would only repeat the entitlement's finding. Calls by
//! AWS services are skipped; the model-access page of the console makes the same
//! calls, so an administrator enabling a model is the expected false positive.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::caller_change;
use crate::event::Record;

pub struct BedrockModelAccessEnabled;

const SOURCE: &str = "bedrock.amazonaws.com";
const NAMES: &[&str] = &["PutUseCaseForModelAccess", "PutFoundationModelEntitlement"];

pub static META: Meta = Meta {
    id: "bedrock-model-access-enabled",
    title: "AWS Bedrock Foundation Model Access Enabled",
    description: "Someone enabled a Bedrock foundation model, or filed the use-case form that \
                  unlocks a provider's models for the account. Intruders with stolen \
                  credentials do this first to run expensive models at the victim's cost \
                  (LLMjacking) or to reach models the organisation never approved.",
    severity: Severity::Medium,
    attack: &["T1496", "T1496.004"],
    origins: &[
        "trailwatch: based on Stratus Red Team aws.impact.bedrock-invoke-model and the \
         LLMjacking reports it cites",
    ],
    group: "ai-ml",
    false_positives: &[
        "An administrator enabling a model on the Bedrock console's model-access page \
         for an approved project.",
    ],
    next_steps: "Confirm with the account owner that the model was meant to be enabled. If \
                 not, find the credentials used, revoke them, remove the model access, and \
                 look for InvokeModel or Converse calls and for changes to the model \
                 invocation logging by the same caller.",
    evidence: "api caller caller_type modelId source_ip user_agent",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

impl Detection for BedrockModelAccessEnabled {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        caller_change(rec, SOURCE, NAMES, &["modelId"]).and_then(fire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, USER, failed, record};
    use crate::detections::common::testing::{eval, fires};
    use serde_json::json;

    const MODEL: &str = r#"{"modelId":"anthropic.claude-3-sonnet-20240229-v1:0"}"#;

    #[test]
    fn fires_on_the_form_and_on_the_entitlement() {
        match eval(&BedrockModelAccessEnabled, &record(SOURCE, "PutFoundationModelEntitlement", ROLE, MODEL, "")) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("modelId"), Some(&json!("anthropic.claude-3-sonnet-20240229-v1:0")));
                assert_eq!(e.get("api"), Some(&json!("PutFoundationModelEntitlement")));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(fires(&BedrockModelAccessEnabled, &record(SOURCE, "PutUseCaseForModelAccess", USER, "null", "")));
    }

    #[test]
    fn near_misses() {
        assert!(!fires(&BedrockModelAccessEnabled, &failed(SOURCE, "PutFoundationModelEntitlement", ROLE, MODEL, "AccessDeniedException")));
        assert!(!fires(&BedrockModelAccessEnabled, &record(SOURCE, "PutFoundationModelEntitlement", SERVICE, MODEL, "")));
        for other in ["CreateFoundationModelAgreement", "GetFoundationModelAvailability", "ListFoundationModelAgreementOffers"] {
            assert!(!fires(&BedrockModelAccessEnabled, &record(SOURCE, other, ROLE, MODEL, "")), "{other}");
        }
        assert!(!fires(&BedrockModelAccessEnabled, &record("sagemaker.amazonaws.com", "PutFoundationModelEntitlement", ROLE, MODEL, "")));
    }
}
