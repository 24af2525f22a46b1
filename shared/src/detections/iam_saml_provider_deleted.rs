//! A SAML identity provider deleted (`DeleteSAMLProvider`, successful) by a person or
//! script; IAM Identity Center and CloudFormation removing their own providers are not
//! reported.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{IAM, manual_change};
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
        "CloudFormation, Terraform, Pulumi or Service Catalog deployments, and AWS \
         services, are not reported (recognised by invokedBy and user agent).",
    ],
    next_steps: "Confirm with the identity team; if unplanned, recreate the provider \
                 from its metadata and find out what else the caller changed.",
    triggers: &[Trigger::write(IAM, &["DeleteSAMLProvider"])],
    window: None,
};

impl Detection for IamSamlProviderDeleted {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        fire(manual_change(rec, IAM, &["DeleteSAMLProvider"], &["sAMLProviderArn"])?)
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
    fn ignores_services_and_infrastructure_as_code() {
        assert!(!fires(&IamSamlProviderDeleted, &iam("DeleteSAMLProvider", CFN, PARAMS)));
        let terraform = iam("DeleteSAMLProvider", ROLE, PARAMS).replace(
            "aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64",
            "APN/1.0 HashiCorp/1.0 Terraform/1.8.4 aws-sdk-go-v2/1.27.0",
        );
        assert!(!fires(&IamSamlProviderDeleted, &terraform));
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
