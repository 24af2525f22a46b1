//! An IAM Identity Center permission set given administrator rights: the AWS managed
//! `AdministratorAccess` or `IAMFullAccess` policy attached
//! (`AttachManagedPolicyToPermissionSet`), or an
//! inline policy that grants every action on every resource, or the IAM writes to grant
//! oneself as much (`PutInlinePolicyToPermissionSet`), successfully.
//!
//! Decisions: a permission set is the role every assigned person gets in every
//! assigned account, so making one an administrator is the Identity Center form of
//! `iam-admin-policy-attached-to-role`, with a wider reach: whoever is assigned (or
//! assigns themselves) becomes an administrator in those accounts once the set is
//! provisioned. The inline policy is read with the IAM detections' test
//! (`common::admin_grant`). Infrastructure-as-code callers are not excluded.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    IDENTITY_CENTER, admin_grant, admin_managed_policy, aws_managed_policy_name, policy_document,
    request_param_any, request_text_any, succeeded_call,
};
use crate::event::Record;

pub struct SsoPermissionSetAdminPolicy;

const NAMES: &[&str] = &[
    "AttachManagedPolicyToPermissionSet",
    "PutInlinePolicyToPermissionSet",
];

pub static META: Meta = Meta {
    id: "sso-permission-set-admin-policy",
    title: "AWS IAM Identity Center Permission Set Given Administrator Rights",
    description: "An IAM Identity Center permission set was given the AdministratorAccess \
                  policy, or an inline policy granting everything (or the IAM rights to grant \
                  oneself everything). Every user or group assigned to the set becomes an \
                  administrator in every account it is provisioned to: an intruder in the \
                  management account uses this to reach all member accounts at once.",
    severity: Severity::High,
    attack: &["T1098.003", "T1484"],
    origins: &[
        "trailwatch: based on the IAM Identity Center permission set APIs, the Identity \
         Center counterpart of Elastic's AdministratorAccess-attached rules",
    ],
    group: "iam-persistence",
    false_positives: &[
        "The platform team creating or updating its administrators' permission set.",
    ],
    next_steps: "Check which permission set changed and who is assigned to it, in which \
                 accounts. If the change is not planned, remove the policy, re-provision the \
                 set, and review assignments and sign-ins made since.",
    evidence: "action admin_equivalent inline instance managed_policy permission_set",
    triggers: &[Trigger::write(IDENTITY_CENTER, NAMES)],
    window: None,
};

impl Detection for SsoPermissionSetAdminPolicy {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, IDENTITY_CENTER, NAMES) {
            return None;
        }
        let text = |keys: &[&str]| request_text_any(rec, keys);
        let e = Evidence::new()
            .with("action", rec.event_name())
            .with_opt("permission_set", text(&["permissionSetArn", "PermissionSetArn"]))
            .with_opt("instance", text(&["instanceArn", "InstanceArn"]));
        if rec.event_name() == "AttachManagedPolicyToPermissionSet" {
            let policy = text(&["managedPolicyArn", "ManagedPolicyArn"])?;
            // `IAMFullAccess` is the means to grant oneself everything.
            if !aws_managed_policy_name(policy).is_some_and(admin_managed_policy) {
                return None;
            }
            return fire(e.with("managed_policy", policy));
        }
        let doc = request_param_any(rec, &["inlinePolicy", "InlinePolicy"]).and_then(policy_document)?;
        fire(admin_grant(&doc)?.noted_in(e.with("inline", true)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::calls::{call, failed};
    use crate::detections::common::testing::{eval, fires};

    const SET: &str = r#""instanceArn":"arn:aws:sso:::instance/ssoins-0123456789abcdef","permissionSetArn":"arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-0a1b2c3d4e5f6a7b""#;

    fn attach(policy: &str) -> String {
        call(IDENTITY_CENTER, "AttachManagedPolicyToPermissionSet", &format!(r#"{{{SET},"managedPolicyArn":"{policy}"}}"#))
    }

    fn inline(doc: &str) -> String {
        let text = serde_json::to_string(doc).unwrap();
        call(IDENTITY_CENTER, "PutInlinePolicyToPermissionSet", &format!(r#"{{{SET},"inlinePolicy":{text}}}"#))
    }

    #[test]
    fn administrator_access_or_an_admin_inline_policy_fires() {
        match eval(&SsoPermissionSetAdminPolicy, &attach("arn:aws:iam::aws:policy/AdministratorAccess")) {
            Some(Signal::Fire(e)) => assert!(e.get("permission_set").is_some()),
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(fires(&SsoPermissionSetAdminPolicy, &attach("arn:aws:iam::aws:policy/IAMFullAccess")));
        assert!(fires(&SsoPermissionSetAdminPolicy, &inline(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#)));
        // Percent-encoded, as IAM's documents may be.
        assert!(fires(&SsoPermissionSetAdminPolicy, &inline("%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D")));
        match eval(&SsoPermissionSetAdminPolicy, &inline(r#"{"Statement":{"Effect":"Allow","Action":"iam:*","Resource":"*"}}"#)) {
            Some(Signal::Fire(e)) => assert!(e.get("admin_equivalent").is_some()),
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn narrower_policies_and_refusals_do_not_fire() {
        for policy in [
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess",
            "arn:aws:iam::111122223333:policy/AdministratorAccess",
        ] {
            assert!(!fires(&SsoPermissionSetAdminPolicy, &attach(policy)), "{policy}");
        }
        assert!(!fires(&SsoPermissionSetAdminPolicy, &inline(r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#)));
        assert!(!fires(&SsoPermissionSetAdminPolicy, &failed(&attach("arn:aws:iam::aws:policy/AdministratorAccess"), "AccessDeniedException")));
        assert!(!fires(&SsoPermissionSetAdminPolicy, &call(IDENTITY_CENTER, "CreatePermissionSet", &format!("{{{SET}}}"))));
    }
}
