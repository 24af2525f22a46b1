//! An IAM user's access key calling a Bedrock model (`InvokeModel`, `Converse`,
//! their streaming forms and `StartAsyncInvoke`) for the first time in 10 days
//! (first-seen term: account and caller).
//!
//! Decisions: LLMjacking reports describe leaked IAM user keys used to run models,
//! often first probed with a deliberately invalid request that costs nothing
//! (`ValidationException`) or is refused (`AccessDeniedException`). So any outcome
//! counts. Taken: long-term keys (`AKIA...`, a user's or the root user's), and the
//! session keys of an IAM user or root, or of a federated user they issued, unless
//! the session is the console's (a key holder can turn its key into session keys
//! with `GetSessionToken` or `GetFederationToken`; a person trying the console's
//! playground is not that). Applications call models under
//! roles, which are left out: that keeps the finding meaningful and the state
//! cheap, and the EventBridge rule itself only takes calls by IAM users, root and
//! federated users.
//! The term is the caller, not the model or the key: one finding per user,
//! whatever it tries.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, WindowSpec};
use crate::detections::common::{
    BEDROCK_MODEL_CALLS, USER_OR_ROOT_DETAIL, access_key_id, change_evidence, first_seen_by_actor,
    is_event, user_key_outside_console,
};
use crate::event::Record;

pub struct BedrockModelInvokedWithUserKey;

const SOURCE: &str = "bedrock.amazonaws.com";
const NAMES: &[&str] = BEDROCK_MODEL_CALLS;

pub static META: Meta = Meta {
    id: "bedrock-model-invoked-with-user-key",
    title: "AWS Bedrock Model Invoked with an IAM User's Key for the First Time",
    description: "An IAM user's access key (or the root user's) called a Bedrock model for \
                  the first time in ten days. Leaked keys are tested and then used to run \
                  models at the victim's cost (LLMjacking); applications normally call \
                  models under roles, not with a user's keys.",
    severity: Severity::Medium,
    attack: &["T1496.004", "T1078.004"],
    origins: &[
        "trailwatch: based on Stratus Red Team aws.impact.bedrock-invoke-model and the \
         LLMjacking reports it cites (keys probed with invalid model requests)",
    ],
    group: "ai-ml",
    false_positives: &[
        "A developer or a legacy application using an IAM user's keys to call a model.",
    ],
    next_steps: "Find who owns the access key and where it was used from. If the use is not \
                 known, deactivate the key, check the Bedrock bill and the model invocation \
                 logs for the prompts sent, and look for the key in code repositories.",
    evidence: "access_key_id api caller caller_type error_code modelId source_ip user_agent",
    triggers: &[Trigger::read_only(SOURCE, NAMES)
        .with_detail(USER_OR_ROOT_DETAIL)],
    window: Some(WindowSpec::FirstSeen { days: 10 }),
};

impl Detection for BedrockModelInvokedWithUserKey {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !is_event(rec, SOURCE, NAMES) || !user_key_outside_console(rec) {
            return None;
        }
        let evidence = change_evidence(rec, &["modelId"])
            .with_opt("access_key_id", access_key_id(rec))
            .with_opt("error_code", rec.error_code());
        first_seen_by_actor(rec, None, evidence)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, ROOT, USER, failed, record};
    use crate::detections::common::iam_testing::first_seen_term;

    const MODEL: &str = r#"{"modelId":"anthropic.claude-3-5-sonnet-20240620-v1:0"}"#;
    const USER_TERM: &str = "111122223333|arn:aws:iam::111122223333:user/mallory";

    #[test]
    fn one_term_per_user_whatever_the_call_and_outcome() {
        let det = &BedrockModelInvokedWithUserKey;
        for name in NAMES {
            assert_eq!(first_seen_term(det, &record(SOURCE, name, USER, MODEL, "")).as_deref(), Some(USER_TERM), "{name}");
        }
        let probe = failed(SOURCE, "InvokeModel", USER, MODEL, "ValidationException");
        assert_eq!(first_seen_term(det, &probe).as_deref(), Some(USER_TERM));
        let root_key = ROOT.replace(r#""accountId""#, r#""accessKeyId":"AKIAEXAMPLEROOT00001","accountId""#);
        assert!(first_seen_term(det, &record(SOURCE, "Converse", &root_key, MODEL, "")).is_some());
    }

    #[test]
    fn a_users_session_keys_count_unless_from_the_console() {
        let det = &BedrockModelInvokedWithUserKey;
        let session = USER.replace("AKIAEXAMPLEDATA0002", "ASIAEXAMPLEDATA0003");
        assert_eq!(first_seen_term(det, &record(SOURCE, "InvokeModel", &session, MODEL, "")).as_deref(), Some(USER_TERM));
        let console = record(SOURCE, "InvokeModel", &session, MODEL, r#""sessionCredentialFromConsole":"true","#);
        assert_eq!(first_seen_term(det, &console), None);
        // GetFederationToken turns the key into a federated user's session keys.
        let federated = r#"{"type":"FederatedUser","principalId":"111122223333:probe",
            "arn":"arn:aws:sts::111122223333:federated-user/probe","accountId":"111122223333",
            "accessKeyId":"ASIAEXAMPLEFEDERATE1","sessionContext":{"sessionIssuer":{"type":"IAMUser",
            "principalId":"AIDAEXAMPLEMALLORY01","arn":"arn:aws:iam::111122223333:user/mallory",
            "accountId":"111122223333","userName":"mallory"}}}"#;
        assert!(first_seen_term(det, &record(SOURCE, "InvokeModel", federated, MODEL, "")).is_some());
        let federated_console = record(SOURCE, "InvokeModel", federated, MODEL, r#""sessionCredentialFromConsole":"true","#);
        assert_eq!(first_seen_term(det, &federated_console), None);
    }

    /// From a review: a Bedrock API key is a bearer token tied to an IAM user;
    /// its records are marked and may carry no access key id.
    #[test]
    fn a_bedrock_api_key_counts_as_the_users_key() {
        let det = &BedrockModelInvokedWithUserKey;
        let api_key_user = r#"{"type":"IAMUser","principalId":"AIDAEXAMPLEBEDROCK01",
            "arn":"arn:aws:iam::111122223333:user/BedrockAPIKey-826f","accountId":"111122223333",
            "userName":"BedrockAPIKey-826f"}"#;
        for flag in ["true", r#""true""#] {
            let extra = format!(r#""additionalEventData":{{"callWithBearerToken":{flag}}},"#);
            assert!(first_seen_term(det, &record(SOURCE, "Converse", api_key_user, MODEL, &extra)).is_some(), "{flag}");
        }
        let unmarked = record(SOURCE, "Converse", api_key_user, MODEL, r#""additionalEventData":{"callWithBearerToken":false},"#);
        assert_eq!(first_seen_term(det, &unmarked), None);
        assert_eq!(first_seen_term(det, &record(SOURCE, "Converse", api_key_user, MODEL, "")), None);
    }

    #[test]
    fn roles_root_sessions_and_other_calls_are_ignored() {
        let det = &BedrockModelInvokedWithUserKey;
        assert_eq!(first_seen_term(det, &record(SOURCE, "InvokeModel", ROLE, MODEL, "")), None);
        // The data_testing root identity has no access key: a console session.
        assert_eq!(first_seen_term(det, &record(SOURCE, "InvokeModel", ROOT, MODEL, "")), None);
        assert_eq!(first_seen_term(det, &record(SOURCE, "GetFoundationModelAvailability", USER, MODEL, "")), None);
        assert_eq!(first_seen_term(det, &record("sagemaker.amazonaws.com", "InvokeModel", USER, MODEL, "")), None);
    }
}
