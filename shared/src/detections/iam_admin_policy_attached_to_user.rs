//! The AWS managed `AdministratorAccess` policy (or `IAMFullAccess`: `iam:*` on
//! everything, the means to attach the first to oneself) attached to an IAM user
//! (`AttachUserPolicy`, successful), whoever made the call: full administrator rights
//! granted in one step is what matters, so infrastructure-as-code callers are not
//! excluded. Any partition (`arn:aws:`, `arn:aws-us-gov:`, `arn:aws-cn:`) counts.
//!
//! Decisions: an inline policy that grants the same (`PutUserPolicy` with an `Allow` of
//! every action on every resource) is the same escalation without the managed
//! policy's name, and fires too, with `inline` in the evidence.
//! So does an inline policy that gives the means to grant oneself everything: `iam:*`
//! or another policy-writing IAM call, or a `NotAction` that leaves them in, on every
//! resource (`admin_equivalent` in the evidence; `common::admin_inline_policy_put`).

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{IAM, admin_inline_policy_put, admin_managed_policy, aws_managed_policy_attached};
use crate::event::Record;

pub struct IamAdminPolicyAttachedToUser;

pub static META: Meta = Meta {
    id: "iam-admin-policy-attached-to-user",
    title: "AWS IAM AdministratorAccess Policy Attached to User",
    description: "Administrator rights were granted to an IAM user: the AWS managed \
                  AdministratorAccess policy attached (every action on every resource), \
                  IAMFullAccess attached (every IAM action: the means to grant the rest), or \
                  an inline policy put on the user that grants the same (`inline` in the \
                  evidence) or the means to grant it (`admin_equivalent`). So \
                  whoever can act as that user controls the account, or can in one more call; attackers \
                  grant it to a user they hold to escalate or keep access.",
    severity: Severity::High,
    attack: &["T1098", "T1098.003"],
    origins: &[
        "Elastic detection-rules \
         privilege_escalation_iam_administratoraccess_policy_attached_to_user.toml",
    ],
    group: "iam-persistence",
    false_positives: &[
        "An administrator granting a colleague full access directly rather than \
         through a group.",
        "Account bootstrap or break-glass procedures that grant full access on \
         purpose.",
    ],
    next_steps: "Confirm with the caller that the user should be an administrator. If \
                 not, remove the grant: detach the managed policy (DetachUserPolicy) or \
                 delete the inline one (DeleteUserPolicy, its name in the evidence). \
                 Review how the caller obtained iam:AttachUserPolicy or \
                 iam:PutUserPolicy, and look at what the user did since.",
    evidence: "admin_equivalent api caller caller_type inline policyArn policyName source_ip \
        userName user_agent",
    triggers: &[Trigger::write(IAM, &["AttachUserPolicy", "PutUserPolicy"])],
    window: None,
};

impl Detection for IamAdminPolicyAttachedToUser {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if let Some(inline) = admin_inline_policy_put(rec, "PutUserPolicy", "userName") {
            return fire(inline);
        }
        fire(aws_managed_policy_attached(rec, "AttachUserPolicy", "userName", admin_managed_policy)?)
    }

}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::iam_testing::{check_admin_attachment, check_admin_inline_policy};

    #[test]
    fn an_inline_policy_granting_everything_fires() {
        check_admin_inline_policy(&IamAdminPolicyAttachedToUser, "PutUserPolicy", "userName");
    }

    #[test]
    fn fires_on_administrator_access_only_and_only_on_success() {
        check_admin_attachment(&IamAdminPolicyAttachedToUser, "AttachUserPolicy", "userName");
    }
}
