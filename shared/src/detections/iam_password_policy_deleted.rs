//! The account password policy deleted (`DeleteAccountPasswordPolicy`, successful), by
//! anyone but an AWS service: a stack or a deployment tool's agent does not excuse it.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{IAM, change_by_anyone_but};
use crate::event::Record;

pub struct IamPasswordPolicyDeleted;

pub static META: Meta = Meta {
    id: "iam-password-policy-deleted",
    title: "AWS IAM Account Password Policy Deleted",
    description: "Someone removed the account's IAM password policy. Console \
                  passwords then fall back to AWS's weak defaults (no length, \
                  complexity, expiry or reuse rules), which makes guessing and \
                  reusing passwords easier and may prepare the ground for weak \
                  backdoor passwords.",
    severity: Severity::Medium,
    attack: &["T1556", "T1562"],
    origins: &[
        "Elastic detection-rules \
         defense_evasion_iam_account_password_policy_deleted.toml",
    ],
    group: "iam-persistence",
    false_positives: &[
        "An administrator resetting the policy before applying a new one by hand.",
        "A CloudFormation, Terraform or Pulumi deployment that makes the change: it \
         is reported like a person's (a stack update is the same act, and an agent is \
         the caller's to write); suppress the deployment role if that is routine.",
    ],
    next_steps: "Ask the caller why the policy was removed and restore it \
                 (UpdateAccountPasswordPolicy). Check which console passwords were \
                 set or changed while no policy applied.",
    evidence: "api caller caller_type source_ip user_agent",
    triggers: &[Trigger::write(IAM, &["DeleteAccountPasswordPolicy"])],
    window: None,
};

impl Detection for IamPasswordPolicyDeleted {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        fire(change_by_anyone_but(rec, IAM, &["DeleteAccountPasswordPolicy"], &[], &[])?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::iam_testing::*;
    use crate::detections::common::testing::fires;

    const PARAMS: &str = r#"{}"#;

    #[test]
    fn fires_for_people_roles_root_and_federated_users() {
        for name in ["DeleteAccountPasswordPolicy"] {
            for who in [USER, ROLE, ROOT, FEDERATED] {
                assert!(fires(&IamPasswordPolicyDeleted, &iam(name, who, PARAMS)), "{name} {who}");
            }
        }
    }

    #[test]
    fn ignores_failed_calls() {
        for code in ["AccessDenied", "NoSuchEntity", "LimitExceeded"] {
            assert!(!fires(&IamPasswordPolicyDeleted, &iam_failed("DeleteAccountPasswordPolicy", USER, PARAMS, code)));
        }
    }

    #[test]
    fn a_stack_or_a_deployment_tool_counts_an_aws_service_does_not() {
        stack_and_tools_count(&IamPasswordPolicyDeleted, "DeleteAccountPasswordPolicy", PARAMS, &[]);
    }

    #[test]
    fn fires_without_request_parameters() {
        assert!(fires(&IamPasswordPolicyDeleted, &iam("DeleteAccountPasswordPolicy", USER, "null")));
    }

    #[test]
    fn ignores_other_events_and_sources() {
        assert!(!fires(&IamPasswordPolicyDeleted, &iam("GetDeleteAccountPasswordPolicy", USER, PARAMS)));
        let sts = iam("DeleteAccountPasswordPolicy", USER, PARAMS).replace(r#""eventSource":"iam.amazonaws.com""#, r#""eventSource":"sts.amazonaws.com""#);
        assert!(!fires(&IamPasswordPolicyDeleted, &sts));
    }
}
