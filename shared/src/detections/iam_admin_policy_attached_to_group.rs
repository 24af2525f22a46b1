//! The AWS managed `AdministratorAccess` policy (or `IAMFullAccess`: `iam:*` on
//! everything, the means to attach the first to oneself) attached to an IAM group
//! (`AttachGroupPolicy`, successful), whoever made the call: full administrator rights
//! granted in one step is what matters, so infrastructure-as-code callers are not
//! excluded. Any partition (`arn:aws:`, `arn:aws-us-gov:`, `arn:aws-cn:`) counts.
//!
//! Decisions: an inline policy that grants the same (`PutGroupPolicy` with an `Allow`
//! of every action on every resource) is the same escalation without the managed
//! policy's name, and fires too, with `inline` in the evidence (as for roles and
//! users; `iam-inline-policy-added-to-group` leaves deployment tools out, this does not).
//! So does an inline policy that gives the means to grant oneself everything: `iam:*`
//! or another policy-writing IAM call, or a `NotAction` that leaves them in, on every
//! resource (`admin_equivalent` in the evidence; `common::admin_inline_policy_put`).

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{IAM, admin_inline_policy_put, admin_managed_policy, aws_managed_policy_attached};
use crate::event::Record;

pub struct IamAdminPolicyAttachedToGroup;

pub static META: Meta = Meta {
    id: "iam-admin-policy-attached-to-group",
    title: "AWS IAM AdministratorAccess Policy Attached to Group",
    description: "Administrator rights were granted to an IAM group: the AWS managed \
                  AdministratorAccess policy attached (every action on every resource), \
                  IAMFullAccess attached (every IAM action: the means to grant the rest), or \
                  an inline policy put on the group that grants the same (`inline` in the \
                  evidence) or the means to grant it (`admin_equivalent`). So \
                  every member of that group controls the account, or can in one more call; attackers \
                  grant it to a group they hold to escalate or keep access.",
    severity: Severity::Medium,
    attack: &["T1098", "T1098.003"],
    origins: &[
        "Elastic detection-rules \
         privilege_escalation_iam_administratoraccess_policy_attached_to_group.toml",
    ],
    group: "iam-persistence",
    false_positives: &[
        "Setting up an administrators group in a new account.",
        "Account bootstrap or break-glass procedures that grant full access on \
         purpose.",
    ],
    next_steps: "Confirm with the caller that the group should be an administrator. If \
                 not, remove the grant: detach the managed policy (DetachGroupPolicy) or \
                 delete the inline one (DeleteGroupPolicy, its name in the evidence). \
                 Review how the caller obtained iam:AttachGroupPolicy or \
                 iam:PutGroupPolicy, and look at what the group did since.",
    evidence: "admin_equivalent api caller caller_type groupName inline policyArn policyName \
        source_ip user_agent",
    triggers: &[Trigger::write(IAM, &["AttachGroupPolicy", "PutGroupPolicy"])],
    window: None,
};

impl Detection for IamAdminPolicyAttachedToGroup {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if let Some(inline) = admin_inline_policy_put(rec, "PutGroupPolicy", "groupName") {
            return fire(inline);
        }
        fire(aws_managed_policy_attached(rec, "AttachGroupPolicy", "groupName", admin_managed_policy)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::iam_testing::{check_admin_attachment, check_admin_inline_policy};

    #[test]
    fn an_inline_policy_granting_everything_fires() {
        check_admin_inline_policy(&IamAdminPolicyAttachedToGroup, "PutGroupPolicy", "groupName");
    }

    #[test]
    fn fires_on_administrator_access_only_and_only_on_success() {
        check_admin_attachment(&IamAdminPolicyAttachedToGroup, "AttachGroupPolicy", "groupName");
    }
}
