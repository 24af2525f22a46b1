//! The account password policy changed (`UpdateAccountPasswordPolicy`, successful) by a
//! person or script. Splunk's rule also counts reads and deletions: reading the policy
//! is discovery, not a change, and deletion is `iam-password-policy-deleted`, so this
//! one keeps the updates. We cannot tell a tightening from a loosening without the
//! previous policy, so the new settings go in the evidence and the severity stays low.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{IAM, manual_change};
use crate::event::Record;

pub struct IamPasswordPolicyUpdated;

pub static META: Meta = Meta {
    id: "iam-password-policy-updated",
    title: "AWS IAM Account Password Policy Changed",
    description: "The account's IAM password policy was changed. Loosening it \
                  (shorter passwords, no complexity, no expiry or reuse limits) \
                  weakens every console password in the account; the finding carries \
                  the new settings.",
    severity: Severity::Low,
    attack: &["T1201", "T1556"],
    origins: &[
        "Splunk ESCU detections/cloud/aws_password_policy_changes.yml",
    ],
    group: "iam-persistence",
    false_positives: &[
        "Security teams tightening the policy to meet a benchmark.",
        "CloudFormation or Service Catalog deployments and AWS services are not \
         reported (recognised by invokedBy, which AWS writes). Terraform and Pulumi \
         pipelines are: exempt the pipeline's role by its ARN in the tuning file (a user \
         agent is the caller's to set).",
    ],
    next_steps: "Compare the new settings with your baseline (minimum length, \
                 complexity, expiry, reuse). If they are weaker and the change was \
                 not planned, restore the policy and ask the caller.",
    evidence: "api caller caller_type hardExpiry maxPasswordAge minimumPasswordLength \
        passwordReusePrevention requireLowercaseCharacters requireNumbers requireSymbols \
        requireUppercaseCharacters source_ip user_agent",
    triggers: &[Trigger::write(IAM, &["UpdateAccountPasswordPolicy"])],
    window: None,
};

impl Detection for IamPasswordPolicyUpdated {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        fire(manual_change(rec, IAM, &["UpdateAccountPasswordPolicy"], &["minimumPasswordLength", "requireSymbols", "requireNumbers", "requireUppercaseCharacters", "requireLowercaseCharacters", "maxPasswordAge", "passwordReusePrevention", "hardExpiry"])?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::iam_testing::*;
    use crate::detections::common::testing::fires;

    const PARAMS: &str = r#"{"minimumPasswordLength": "example-minimumPasswordLength", "requireSymbols": "example-requireSymbols", "requireNumbers": "example-requireNumbers", "requireUppercaseCharacters": "example-requireUppercaseCharacters", "requireLowercaseCharacters": "example-requireLowercaseCharacters", "maxPasswordAge": "example-maxPasswordAge", "passwordReusePrevention": "example-passwordReusePrevention", "hardExpiry": "example-hardExpiry"}"#;

    #[test]
    fn fires_for_people_roles_root_and_federated_users() {
        for name in ["UpdateAccountPasswordPolicy"] {
            for who in [USER, ROLE, ROOT, FEDERATED] {
                assert!(fires(&IamPasswordPolicyUpdated, &iam(name, who, PARAMS)), "{name} {who}");
            }
        }
    }

    #[test]
    fn ignores_failed_calls() {
        for code in ["AccessDenied", "NoSuchEntity", "LimitExceeded"] {
            assert!(!fires(&IamPasswordPolicyUpdated, &iam_failed("UpdateAccountPasswordPolicy", USER, PARAMS, code)));
        }
    }

    #[test]
    fn ignores_services_and_stacks_but_not_a_tools_agent() {
        assert!(!fires(&IamPasswordPolicyUpdated, &iam("UpdateAccountPasswordPolicy", CFN, PARAMS)));
        let terraform = iam("UpdateAccountPasswordPolicy", ROLE, PARAMS).replace(
            "aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64",
            "APN/1.0 HashiCorp/1.0 Terraform/1.8.4 aws-sdk-go-v2/1.27.0",
        );
        assert!(fires(&IamPasswordPolicyUpdated, &terraform), "an agent is the caller's to write");
    }

    #[test]
    fn fires_without_request_parameters() {
        assert!(fires(&IamPasswordPolicyUpdated, &iam("UpdateAccountPasswordPolicy", USER, "null")));
    }

    #[test]
    fn ignores_other_events_and_sources() {
        assert!(!fires(&IamPasswordPolicyUpdated, &iam("GetUpdateAccountPasswordPolicy", USER, PARAMS)));
        let sts = iam("UpdateAccountPasswordPolicy", USER, PARAMS).replace(r#""eventSource":"iam.amazonaws.com""#, r#""eventSource":"sts.amazonaws.com""#);
        assert!(!fires(&IamPasswordPolicyUpdated, &sts));
    }
}
