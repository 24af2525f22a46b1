//! A service-specific credential created for an IAM user
//! (`CreateServiceSpecificCredential`): a Bedrock API key, CodeCommit Git credentials
//! or a Keyspaces (Cassandra) password, successfully, by anyone but an AWS service.
//!
//! Decisions: such a credential is a long-term secret that is not an access key: it
//! survives the user's access keys being rotated or deleted, does not show in access
//! key audits, and a Bedrock API key calls models directly (LLMjacking). Made for
//! oneself or for another user, it is the same persistence; the finding says which
//! service and for whom. A reset (`ResetServiceSpecificCredential`) hands back a new
//! password for an existing credential, the same persistence: it fires too, with
//! `action` `reset`. Refused calls create nothing and do not fire.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{IAM, aws_service_caller, succeeded_call};
use crate::event::Record;

pub struct IamServiceSpecificCredentialCreated;

const NAMES: &[&str] = &["CreateServiceSpecificCredential", "ResetServiceSpecificCredential"];

pub static META: Meta = Meta {
    id: "iam-service-specific-credential-created",
    title: "AWS IAM Service-Specific Credential Created",
    description: "A service-specific credential (a Bedrock API key, CodeCommit Git \
                  credentials or a Keyspaces password) was created for an IAM user. It is a \
                  long-term secret outside the access-key inventory that keeps working after \
                  the user's keys are rotated: intruders mint one to keep access, and Bedrock \
                  API keys to run models at the account's expense.",
    severity: Severity::Medium,
    attack: &["T1098.001", "T1496"],
    origins: &[
        "trailwatch: based on the IAM CreateServiceSpecificCredential API, Bedrock API keys \
         and reports of LLMjacking persistence",
    ],
    group: "iam-persistence",
    false_positives: &[
        "Developers creating CodeCommit Git credentials or a Bedrock API key for their own \
         work, where that is allowed.",
    ],
    next_steps: "Check who the credential is for and whether that user needs it. If not, \
                 delete it (DeleteServiceSpecificCredential), review the user's other \
                 credentials, and look for the credential's use (Bedrock invocations, Git \
                 pushes) since it was created.",
    evidence: "action credential_id service service_user_name user",
    triggers: &[Trigger::write(IAM, NAMES)],
    window: None,
};

impl Detection for IamServiceSpecificCredentialCreated {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, IAM, NAMES) || aws_service_caller(rec) {
            return None;
        }
        let credential = rec.response_element("serviceSpecificCredential");
        let field = |k: &str| credential.and_then(|c| c.get(k)).and_then(|v| v.as_str());
        fire(
            Evidence::new()
                .with(
                    "action",
                    if rec.event_name() == "ResetServiceSpecificCredential" { "reset" } else { "create" },
                )
                .with_opt("user", rec.request_param_str("userName"))
                .with_opt("service", rec.request_param_str("serviceName"))
                .with_opt("credential_id", field("serviceSpecificCredentialId"))
                .with_opt("service_user_name", field("serviceUserName")),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::iam_testing::{USER, iam, iam_failed};
    use crate::detections::common::testing::{eval, fires};

    const BEDROCK: &str = r#"{"userName":"BedrockAPIKey-x7k2","serviceName":"bedrock.amazonaws.com","credentialAgeDays":30}"#;

    #[test]
    fn a_credential_for_any_service_fires_with_it() {
        match eval(&IamServiceSpecificCredentialCreated, &iam("CreateServiceSpecificCredential", USER, BEDROCK)) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("service").and_then(|v| v.as_str()), Some("bedrock.amazonaws.com"));
                assert_eq!(e.get("user").and_then(|v| v.as_str()), Some("BedrockAPIKey-x7k2"));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let git = r#"{"userName":"dana","serviceName":"codecommit.amazonaws.com"}"#;
        assert!(fires(&IamServiceSpecificCredentialCreated, &iam("CreateServiceSpecificCredential", USER, git)));
    }

    #[test]
    fn refusals_and_other_credential_calls_do_not_fire() {
        assert!(!fires(&IamServiceSpecificCredentialCreated, &iam_failed("CreateServiceSpecificCredential", USER, BEDROCK, "AccessDenied")));
        let reset = r#"{"userName":"dana","serviceSpecificCredentialId":"ACCAEXAMPLE0000000001"}"#;
        match eval(&IamServiceSpecificCredentialCreated, &iam("ResetServiceSpecificCredential", USER, reset)) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("action").and_then(|v| v.as_str()), Some("reset")),
            other => panic!("expected a finding, got {other:?}"),
        }
        for name in ["ListServiceSpecificCredentials", "DeleteServiceSpecificCredential", "UpdateServiceSpecificCredential"] {
            assert!(!fires(&IamServiceSpecificCredentialCreated, &iam(name, USER, BEDROCK)), "{name}");
        }
    }
}
