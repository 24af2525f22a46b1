//! An IAM user's access key (or the root user's) reading whether Bedrock logs model
//! invocations (`GetModelInvocationLoggingConfiguration`), whatever the outcome,
//! outside the console; session keys the user made from it (`GetSessionToken`,
//! `GetFederationToken`) count as the key.
//!
//! Decisions: LLMjacking reports describe this read as the intruder's first step
//! with a leaked key: if the account logs prompts and answers, the abuse would be
//! seen, so they look before they use the models. Applications never need it, and
//! administrators read it in the console (their session is left out) or under
//! roles, which are left out as in `bedrock-model-invoked-with-user-key`. A refused
//! read is the same probe. Stateless: the call is rare enough that each is worth a
//! look.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    USER_OR_ROOT_DETAIL, access_key_id, is_event, user_key_outside_console,
};
use crate::event::Record;

pub struct BedrockLoggingCheckedWithUserKey;

const SOURCE: &str = "bedrock.amazonaws.com";
const NAMES: &[&str] = &["GetModelInvocationLoggingConfiguration"];

pub static META: Meta = Meta {
    id: "bedrock-logging-checked-with-user-key",
    title: "AWS Bedrock Invocation Logging Checked with an IAM User's Key",
    description: "An IAM user's access key (or the root user's) asked whether Bedrock logs \
                  model invocations, outside the console. Intruders with leaked keys check \
                  this before running models at the victim's cost (LLMjacking), to know \
                  whether their prompts would be recorded; applications have no reason to.",
    severity: Severity::Medium,
    attack: &["T1526", "T1496.004"],
    origins: &[
        "trailwatch: based on the LLMjacking reports that Stratus Red Team's \
         aws.impact.bedrock-invoke-model cites (the logging configuration read before \
         abuse) and a review of recent cloud attack research",
    ],
    group: "ai-ml",
    false_positives: &[
        "An administrator or an audit script checking the logging setting with a user's \
         long-term key.",
    ],
    next_steps: "Find the key's owner and whether they ran this check. If not, deactivate \
                 the key at once, look for Bedrock model calls and model-access requests made \
                 with it, and review how it leaked.",
    evidence: "access_key_id error_code source_ip user_agent",
    triggers: &[Trigger::read_only(SOURCE, NAMES)
        .with_detail(USER_OR_ROOT_DETAIL)],
    window: None,
};

impl Detection for BedrockLoggingCheckedWithUserKey {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !is_event(rec, SOURCE, NAMES) || !user_key_outside_console(rec) {
            return None;
        }
        fire(
            Evidence::new()
                .with_opt("access_key_id", access_key_id(rec))
                .with_opt("source_ip", rec.source_ip())
                .with_opt("user_agent", rec.user_agent())
                .with_opt("error_code", rec.error_code()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, ROOT, USER, failed, record};
    use crate::detections::common::testing::{eval, fires};

    #[test]
    fn a_user_or_root_key_checking_the_logging_fires_whatever_the_outcome() {
        let read = record(SOURCE, "GetModelInvocationLoggingConfiguration", USER, "null", "");
        match eval(&BedrockLoggingCheckedWithUserKey, &read) {
            Some(Signal::Fire(e)) => assert!(e.get("access_key_id").is_some()),
            other => panic!("expected a finding, got {other:?}"),
        }
        let root_key = ROOT.replace(r#""accountId":"111122223333"}"#, r#""accountId":"111122223333","accessKeyId":"AKIAEXAMPLEROOT0001"}"#);
        assert_ne!(root_key, ROOT);
        assert!(fires(&BedrockLoggingCheckedWithUserKey, &record(SOURCE, "GetModelInvocationLoggingConfiguration", &root_key, "null", "")));
        let refused = failed(SOURCE, "GetModelInvocationLoggingConfiguration", USER, "null", "AccessDeniedException");
        assert!(fires(&BedrockLoggingCheckedWithUserKey, &refused));
    }

    #[test]
    fn roles_console_sessions_and_other_calls_do_not_fire() {
        assert!(!fires(&BedrockLoggingCheckedWithUserKey, &record(SOURCE, "GetModelInvocationLoggingConfiguration", ROLE, "null", "")));
        let console = record(SOURCE, "GetModelInvocationLoggingConfiguration", USER, "null", "")
            .replacen(r#""requestParameters""#, r#""sessionCredentialFromConsole":"true","requestParameters""#, 1);
        let console = console.replace("AKIA", "ASIA");
        assert!(!fires(&BedrockLoggingCheckedWithUserKey, &console));
        assert!(!fires(&BedrockLoggingCheckedWithUserKey, &record(SOURCE, "ListFoundationModels", USER, "null", "")));
        assert!(!fires(&BedrockLoggingCheckedWithUserKey, &record(SOURCE, "PutModelInvocationLoggingConfiguration", USER, "null", "")));
    }
}
