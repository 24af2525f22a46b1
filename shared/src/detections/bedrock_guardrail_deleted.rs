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
//!
//! A deletion naming a `guardrailVersion` removes that one numbered version, not
//! the guardrail: CDK's guardrail version construct replaces its version on every
//! edit, and CloudFormation then deletes the old one. The guardrail, its draft
//! and its other versions stay, so such a deletion is low (whether calls still
//! naming that version then fail or run unfiltered is not confirmed here); the
//! whole guardrail deleted stays medium, and so does the enforced configuration
//! removed (a review of false positives (ninth session)).

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
    evidence: "api caller caller_type configId guardrailIdentifier guardrailVersion source_ip \
        user_agent",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

/// The deletion names one version of the guardrail (`guardrailVersion`, text that
/// is not blank, or a number): that version alone goes.
fn names_a_version(rec: &Record<'_>) -> bool {
    match rec.request_param("guardrailVersion") {
        Some(serde_json::Value::String(v)) => !v.trim().is_empty(),
        Some(serde_json::Value::Number(_)) => true,
        _ => false,
    }
}

impl Detection for BedrockGuardrailDeleted {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn severity_for(&self, rec: &Record<'_>) -> Severity {
        if rec.event_name() == "DeleteGuardrail" && names_a_version(rec) {
            Severity::Low
        } else {
            META.severity
        }
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
    use crate::detections::common::testing::{self, eval, fires};
    use serde_json::json;

    const GUARDRAIL: &str = r#"{"guardrailIdentifier":"cmy5azq5koeo"}"#;

    #[test]
    fn fires_on_a_deletion() {
        match eval(&BedrockGuardrailDeleted, &record(SOURCE, "DeleteGuardrail", ROLE, GUARDRAIL, "")) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("guardrailIdentifier"), Some(&json!("cmy5azq5koeo"))),
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    fn severity(json: &str) -> Severity {
        testing::severity(&BedrockGuardrailDeleted, json)
    }

    /// Ninth session, from a review of false positives: one numbered version
    /// deleted (CDK replacing its guardrail version) is low; the whole guardrail,
    /// or the enforced configuration, stays medium.
    #[test]
    fn a_version_deleted_is_low_and_the_whole_guardrail_medium() {
        for version in [r#""3""#, "3"] {
            let params = format!(r#"{{"guardrailIdentifier":"arn:aws:bedrock:us-east-1:111122223333:guardrail/cmy5azq5koeo","guardrailVersion":{version}}}"#);
            let rec = record(SOURCE, "DeleteGuardrail", ROLE, &params, "");
            assert!(fires(&BedrockGuardrailDeleted, &rec), "{params}");
            assert_eq!(severity(&rec), Severity::Low, "{params}");
        }
        assert_eq!(severity(&record(SOURCE, "DeleteGuardrail", ROLE, GUARDRAIL, "")), Severity::Medium);
        for blank in [r#""  ""#, "null"] {
            let params = format!(r#"{{"guardrailIdentifier":"cmy5azq5koeo","guardrailVersion":{blank}}}"#);
            assert_eq!(severity(&record(SOURCE, "DeleteGuardrail", ROLE, &params, "")), Severity::Medium, "{params}");
        }
        let enforced = r#"{"configId":"cfg-1","guardrailVersion":"3"}"#;
        assert_eq!(severity(&record(SOURCE, "DeleteEnforcedGuardrailConfiguration", ROLE, enforced, "")), Severity::Medium);
    }

    #[test]
    fn near_misses() {
        assert!(!fires(&BedrockGuardrailDeleted, &failed(SOURCE, "DeleteGuardrail", ROLE, GUARDRAIL, "AccessDeniedException")));
        assert!(!fires(&BedrockGuardrailDeleted, &record(SOURCE, "UpdateGuardrail", ROLE, GUARDRAIL, "")));
        assert!(!fires(&BedrockGuardrailDeleted, &record(SOURCE, "DeleteGuardrail", SERVICE, GUARDRAIL, "")));
    }
}
