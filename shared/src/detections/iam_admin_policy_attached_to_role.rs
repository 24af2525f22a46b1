//! The AWS managed `AdministratorAccess` policy (or `IAMFullAccess`: `iam:*` on
//! everything, the means to attach the first to oneself) attached to an IAM role
//! (`AttachRolePolicy`, successful), whoever made the call: full administrator rights
//! granted in one step is what matters, so infrastructure-as-code callers are not
//! excluded. Any partition (`arn:aws:`, `arn:aws-us-gov:`, `arn:aws-cn:`) counts.
//!
//! Decisions: an inline policy that grants the same (`PutRolePolicy` with an `Allow` of
//! every action on every resource) is the same escalation without the managed
//! policy's name, and fires too, with `inline` in the evidence. IAM Identity Center
//! provisioning a permission set (its service attaching the set's policies to the
//! `AWSReservedSSO_*` role it manages in each assigned account) is left out: the act
//! is the assignment in the management account, made every time an account is added.
//! So does an inline policy that gives the means to grant oneself everything: `iam:*`
//! or another policy-writing IAM call, or a `NotAction` that leaves them in, on every
//! resource (`admin_equivalent` in the evidence; `common::admin_inline_policy_put`).

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    IAM, admin_inline_policy_put, admin_managed_policy, aws_managed_policy_attached, identity_center_provisioning,
};
use crate::event::Record;

pub struct IamAdminPolicyAttachedToRole;

pub static META: Meta = Meta {
    id: "iam-admin-policy-attached-to-role",
    title: "AWS IAM AdministratorAccess Policy Attached to Role",
    description: "Administrator rights were granted to an IAM role: the AWS managed \
                  AdministratorAccess policy attached (every action on every resource), \
                  IAMFullAccess attached (every IAM action: the means to grant the rest), or \
                  an inline policy put on the role that grants the same (`inline` in the \
                  evidence) or the means to grant it (`admin_equivalent`). So \
                  whoever can act as that role controls the account, or can in one more call; attackers \
                  grant it to a role they hold to escalate or keep access.",
    severity: Severity::Medium,
    attack: &["T1098", "T1098.003"],
    origins: &[
        "Elastic detection-rules \
         privilege_escalation_iam_administratoraccess_policy_attached_to_role.toml",
    ],
    group: "iam-persistence",
    false_positives: &[
        "Break-glass or deployment roles that are meant to be administrators, created \
         by a pipeline.",
        "Account bootstrap or break-glass procedures that grant full access on \
         purpose.",
    ],
    next_steps: "Confirm with the caller that the role should be an administrator. If \
                 not, remove the grant: detach the managed policy (DetachRolePolicy) or \
                 delete the inline one (DeleteRolePolicy, its name in the evidence). \
                 Review how the caller obtained iam:AttachRolePolicy or \
                 iam:PutRolePolicy, and look at what the role did since.",
    evidence: "admin_equivalent api caller caller_type inline policyArn policyName roleName \
        source_ip user_agent",
    triggers: &[Trigger::write(IAM, &["AttachRolePolicy", "PutRolePolicy"])],
    window: None,
};

impl Detection for IamAdminPolicyAttachedToRole {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if identity_center_provisioning(rec) {
            return None;
        }
        if let Some(inline) = admin_inline_policy_put(rec, "PutRolePolicy", "roleName") {
            return fire(inline);
        }
        fire(aws_managed_policy_attached(rec, "AttachRolePolicy", "roleName", admin_managed_policy)?)
    }

}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::iam_testing::{check_admin_attachment, check_admin_inline_policy};

    #[test]
    fn an_inline_policy_granting_everything_fires() {
        check_admin_inline_policy(&IamAdminPolicyAttachedToRole, "PutRolePolicy", "roleName");
    }

    #[test]
    fn fires_on_administrator_access_only_and_only_on_success() {
        check_admin_attachment(&IamAdminPolicyAttachedToRole, "AttachRolePolicy", "roleName");
    }

    #[test]
    fn identity_center_provisioning_its_own_role_is_left_out() {
        use crate::detections::common::iam_testing::iam;
        use crate::detections::common::testing::fires;
        let sso = r#"{"type":"AssumedRole","principalId":"AROAEXAMPLESSOSLR001:AWS-SSO",
            "arn":"arn:aws:sts::111122223333:assumed-role/AWSServiceRoleForSSO/AWS-SSO",
            "accountId":"111122223333","invokedBy":"sso.amazonaws.com"}"#;
        let attach = |role: &str| {
            format!(r#"{{"roleName":"{role}","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}}"#)
        };
        let provisioning = iam("AttachRolePolicy", sso, &attach("AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6789"));
        assert!(!fires(&IamAdminPolicyAttachedToRole, &provisioning));
        // The same service writing to any other role, or a person to the SSO role, fires.
        assert!(fires(&IamAdminPolicyAttachedToRole, &iam("AttachRolePolicy", sso, &attach("ci-deployer"))));
        let person = iam(
            "AttachRolePolicy",
            crate::detections::common::iam_testing::USER,
            &attach("AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6789"),
        );
        assert!(fires(&IamAdminPolicyAttachedToRole, &person));
    }
}
