//! A SAML identity provider deleted (`DeleteSAMLProvider`, successful) by a person,
//! script or stack; IAM Identity Center removing its own providers
//! (`invokedBy: sso.amazonaws.com`) is not reported.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{IAM, IDENTITY_CENTER, change_by_anyone_but};
use crate::event::Record;

pub struct IamSamlProviderDeleted;

pub static META: Meta = Meta {
    id: "iam-saml-provider-deleted",
    title: "AWS IAM SAML Provider Deleted",
    description: "A SAML identity provider was deleted. Everyone who signs in through \
                  it loses access at once, which can cut defenders out during an \
                  incident or hide how an intruder got in.",
    severity: Severity::Medium,
    attack: &["T1531", "T1078.004"],
    origins: &[
        "Elastic detection-rules defense_evasion_iam_saml_provider_deleted.toml",
        "SigmaHQ rules/cloud/aws/cloudtrail/aws_delete_saml_provider.yml (AWS SAML \
         Provider Deletion Activity)",
    ],
    group: "iam-persistence",
    false_positives: &[
        "Decommissioning an old identity provider.",
        "A CloudFormation, Terraform or Pulumi deployment that makes the change: it \
         is reported like a person's (a stack update is the same act, and an agent is \
         the caller's to write); suppress the deployment role if that is routine.",
    ],
    next_steps: "Confirm with the identity team; if unplanned, recreate the provider \
                 from its metadata and find out what else the caller changed.",
    evidence: "api caller caller_type sAMLProviderArn source_ip user_agent",
    triggers: &[Trigger::write(IAM, &["DeleteSAMLProvider"])],
    window: None,
};

impl Detection for IamSamlProviderDeleted {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        fire(change_by_anyone_but(rec, IAM, &["DeleteSAMLProvider"], &["sAMLProviderArn"], &[IDENTITY_CENTER])?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::iam_testing::*;
    use crate::detections::common::testing::fires;

    const PARAMS: &str = r#"{"sAMLProviderArn": "example-sAMLProviderArn"}"#;

    #[test]
    fn fires_for_people_roles_root_and_federated_users() {
        for name in ["DeleteSAMLProvider"] {
            for who in [USER, ROLE, ROOT, FEDERATED] {
                assert!(fires(&IamSamlProviderDeleted, &iam(name, who, PARAMS)), "{name} {who}");
            }
        }
    }

    #[test]
    fn ignores_failed_calls() {
        for code in ["AccessDenied", "NoSuchEntity", "LimitExceeded"] {
            assert!(!fires(&IamSamlProviderDeleted, &iam_failed("DeleteSAMLProvider", USER, PARAMS, code)));
        }
    }

    #[test]
    fn a_stack_or_a_deployment_tool_counts_an_aws_service_does_not() {
        stack_and_tools_count(&IamSamlProviderDeleted, "DeleteSAMLProvider", PARAMS, &["sso.amazonaws.com"]);
    }

    #[test]
    fn fires_without_request_parameters() {
        assert!(fires(&IamSamlProviderDeleted, &iam("DeleteSAMLProvider", USER, "null")));
    }

    #[test]
    fn ignores_other_events_and_sources() {
        assert!(!fires(&IamSamlProviderDeleted, &iam("GetDeleteSAMLProvider", USER, PARAMS)));
        let sts = iam("DeleteSAMLProvider", USER, PARAMS).replace(r#""eventSource":"iam.amazonaws.com""#, r#""eventSource":"sts.amazonaws.com""#);
        assert!(!fires(&IamSamlProviderDeleted, &sts));
    }
}
