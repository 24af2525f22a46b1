//! A SAML identity provider created or its metadata replaced (`CreateSAMLProvider`,
//! `UpdateSAMLProvider`, successful) by a person, script or stack. IAM Identity Center
//! manages its own providers (`invokedBy: sso.amazonaws.com`): not reported. A
//! CloudFormation stack's provider counts, like a Terraform run's. The metadata
//! document is left out of the evidence (large, and only its signing certificate
//! matters).

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{IAM, IDENTITY_CENTER, change_by_anyone_but};
use crate::event::Record;

pub struct IamSamlProviderCreatedOrUpdated;

pub static META: Meta = Meta {
    id: "iam-saml-provider-created-or-updated",
    title: "AWS IAM SAML Provider Created or Updated",
    description: "A SAML identity provider was created or its metadata changed. \
                  Whoever controls the provider's signing key can mint sign-ins to \
                  every role that trusts it (a \"Golden SAML\" style backdoor), without \
                  any IAM user or key.",
    severity: Severity::Medium,
    attack: &["T1484.002", "T1606.002"],
    origins: &[
        "Elastic detection-rules defense_evasion_iam_saml_provider_updated.toml \
         (AWS IAM SAML Provider Created/Updated)",
        "Splunk ESCU detections/cloud/aws_saml_update_identity_provider.yml",
    ],
    group: "iam-persistence",
    false_positives: &[
        "Identity team onboarding or rotating the certificate of a corporate IdP by \
         hand.",
        "A CloudFormation, Terraform or Pulumi deployment that makes the change: it \
         is reported like a person's (a stack update is the same act, and an agent is \
         the caller's to write); suppress the deployment role if that is routine.",
    ],
    next_steps: "Verify the provider and its certificate with the identity team; list \
                 the roles that trust it. If unexpected, delete it (or restore the \
                 old metadata) and review AssumeRoleWithSAML calls through it.",
    evidence: "api caller caller_type name sAMLProviderArn source_ip user_agent",
    triggers: &[Trigger::write(IAM, &["CreateSAMLProvider", "UpdateSAMLProvider"])],
    window: None,
};

impl Detection for IamSamlProviderCreatedOrUpdated {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        fire(change_by_anyone_but(
            rec,
            IAM,
            &["CreateSAMLProvider", "UpdateSAMLProvider"],
            &["name", "sAMLProviderArn"],
            &[IDENTITY_CENTER],
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::iam_testing::*;
    use crate::detections::common::testing::fires;

    const PARAMS: &str = r#"{"name": "example-name", "sAMLProviderArn": "example-sAMLProviderArn"}"#;

    #[test]
    fn fires_for_people_roles_root_and_federated_users() {
        for name in ["CreateSAMLProvider", "UpdateSAMLProvider"] {
            for who in [USER, ROLE, ROOT, FEDERATED] {
                assert!(fires(&IamSamlProviderCreatedOrUpdated, &iam(name, who, PARAMS)), "{name} {who}");
            }
        }
    }

    #[test]
    fn ignores_failed_calls() {
        for code in ["AccessDenied", "NoSuchEntity", "LimitExceeded"] {
            assert!(!fires(&IamSamlProviderCreatedOrUpdated, &iam_failed("CreateSAMLProvider", USER, PARAMS, code)));
        }
    }

    #[test]
    fn a_stack_or_a_deployment_tool_counts_an_aws_service_does_not() {
        stack_and_tools_count(&IamSamlProviderCreatedOrUpdated, "CreateSAMLProvider", PARAMS, &["sso.amazonaws.com"]);
    }

    #[test]
    fn fires_without_request_parameters() {
        assert!(fires(&IamSamlProviderCreatedOrUpdated, &iam("CreateSAMLProvider", USER, "null")));
    }

    #[test]
    fn ignores_other_events_and_sources() {
        assert!(!fires(&IamSamlProviderCreatedOrUpdated, &iam("GetCreateSAMLProvider", USER, PARAMS)));
        let sts = iam("CreateSAMLProvider", USER, PARAMS).replace(r#""eventSource":"iam.amazonaws.com""#, r#""eventSource":"sts.amazonaws.com""#);
        assert!(!fires(&IamSamlProviderCreatedOrUpdated, &sts));
    }
}
