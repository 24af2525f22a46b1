//! A customer managed policy (not `arn:<partition>:iam::aws:policy/...`) attached to a
//! role (`AttachRolePolicy`, successful) by a caller who had not attached one in the
//! last 7 days (first-seen term: account and caller). AWS services and CloudFormation
//! stacks (`invokedBy`) are left out: their attachments are routine and would only
//! teach the history. A Terraform or Pulumi user agent is not: the caller writes it
//! (a pipeline that attaches policies is new once a week, or exempted in tuning).
//!
//! The caller in the term is the role of an assumed-role session, not the session
//! (`common::account_principal_term`): the CLI and SDKs name a new session on every
//! assume, and ECS tasks after the task, so a session term would be new each run.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, WindowSpec};
use crate::detections::common::{
    IAM, aws_managed_policy_name, aws_service_caller, change_evidence, first_seen_by_actor, is_event,
};
use crate::event::Record;

pub struct IamCustomerPolicyAttachedToRoleByRareUser;

pub static META: Meta = Meta {
    id: "iam-customer-policy-attached-to-role-by-rare-user",
    title: "AWS IAM Customer-Managed Policy Attached to Role by Rare User",
    description: "A caller who does not usually do so attached a customer managed \
                  policy to an IAM role. Custom policies can grant anything; \
                  attaching one to a role the attacker can assume is a quiet way to \
                  escalate.",
    severity: Severity::Low,
    attack: &["T1098", "T1098.003"],
    origins: &[
        "Elastic detection-rules \
         privilege_escalation_iam_customer_managed_policy_attached_to_role.toml",
    ],
    group: "iam-persistence",
    false_positives: &[
        "An administrator doing occasional manual role changes, or a Terraform pipeline \
         (fires once a week per caller; exempt a pipeline's role by ARN in the tuning \
         file).",
    ],
    next_steps: "Read the policy (GetPolicyVersion of its default version) and check \
                 who can assume the role. Detach it if it is not expected.",
    evidence: "api caller caller_type policyArn roleName source_ip user_agent",
    triggers: &[Trigger::write(IAM, &["AttachRolePolicy"])],
    window: Some(WindowSpec::FirstSeen { days: 7 }),
};

impl Detection for IamCustomerPolicyAttachedToRoleByRareUser {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !is_event(rec, IAM, &["AttachRolePolicy"]) || !rec.succeeded() || aws_service_caller(rec) {
            return None;
        }
        let arn = rec.request_param_str("policyArn")?;
        // AWS managed policies live in the `aws` account of every partition: read
        // from the ARN's own fields, not found anywhere in it (from a second
        // evasion review: a customer policy under the path `/ops:iam::aws:policy/`
        // passed for one).
        if aws_managed_policy_name(arn).is_some() {
            return None;
        }
        first_seen_by_actor(rec, None, change_evidence(rec, &["roleName", "policyArn"]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// From a second evasion review: the AWS account's mark inside a customer
    /// policy's path is no AWS managed policy.
    #[test]
    fn a_customer_policy_whose_path_spells_the_aws_account_counts() {
        use crate::detections::common::testing::eval;
        let attach = |arn: &str| {
            crate::detections::common::calls::call(IAM, "AttachRolePolicy", &format!(r#"{{"roleName":"app-runner","policyArn":"{arn}"}}"#))
        };
        assert!(eval(&IamCustomerPolicyAttachedToRoleByRareUser, &attach("arn:aws:iam::111122223333:policy/ops:iam::aws:policy/OpsFull")).is_some());
        assert!(eval(&IamCustomerPolicyAttachedToRoleByRareUser, &attach("arn:aws:iam::aws:policy/ReadOnlyAccess")).is_none());
    }
    use crate::detections::common::iam_testing::*;

    const CUSTOM: &str = r#"{"roleName":"app","policyArn":"arn:aws:iam::111122223333:policy/app-extra"}"#;

    #[test]
    fn fires_per_caller_on_customer_policies() {
        assert_eq!(
            first_seen_term(&IamCustomerPolicyAttachedToRoleByRareUser, &iam("AttachRolePolicy", ROLE, CUSTOM)).as_deref(),
            Some("111122223333|arn:aws:iam::111122223333:role/Ops")
        );
        let next_session = ROLE.replace("ops-session", "botocore-session-1780387200");
        assert_eq!(
            first_seen_term(&IamCustomerPolicyAttachedToRoleByRareUser, &iam("AttachRolePolicy", &next_session, CUSTOM)).as_deref(),
            Some("111122223333|arn:aws:iam::111122223333:role/Ops")
        );
        for who in [USER, ROOT, FEDERATED] {
            assert!(first_seen_term(&IamCustomerPolicyAttachedToRoleByRareUser, &iam("AttachRolePolicy", who, CUSTOM)).is_some());
        }
    }

    #[test]
    fn ignores_aws_managed_policies_failures_and_automation() {
        let managed = r#"{"roleName":"app","policyArn":"arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess"}"#;
        assert_eq!(first_seen_term(&IamCustomerPolicyAttachedToRoleByRareUser, &iam("AttachRolePolicy", USER, managed)), None);
        let denied = iam_failed("AttachRolePolicy", USER, CUSTOM, "AccessDenied");
        assert_eq!(first_seen_term(&IamCustomerPolicyAttachedToRoleByRareUser, &denied), None);
        assert_eq!(first_seen_term(&IamCustomerPolicyAttachedToRoleByRareUser, &iam("AttachRolePolicy", CFN, CUSTOM)), None);
        assert_eq!(first_seen_term(&IamCustomerPolicyAttachedToRoleByRareUser, &iam("AttachRolePolicy", USER, "null")), None);
        assert_eq!(first_seen_term(&IamCustomerPolicyAttachedToRoleByRareUser, &iam("AttachUserPolicy", USER, CUSTOM)), None);
    }
}
