//! A permissions boundary removed from a role or user (`DeleteRolePermissionsBoundary`,
//! `DeleteUserPermissionsBoundary`, successful) by a person, script or stack, or replaced
//! by one that caps nothing: `Put{Role,User}PermissionsBoundary` with the AWS
//! managed `AdministratorAccess` (any partition), which allows every action, so the
//! principal's own policies take full effect as if the boundary were gone; after a
//! review, the other AWS managed administrator policies too (`IAMFullAccess`,
//! `AdministratorAccess-Amplify`: with them the principal removes the boundary
//! itself).
//!
//! The IAM Identity Center form counts too: a permission set's boundary removed
//! (`DeletePermissionsBoundaryFromPermissionSet`) or set to `AdministratorAccess`
//! (`PutPermissionsBoundaryToPermissionSet`), in the management or delegated
//! administrator account. Identity Center then rewrites the provisioned
//! `AWSReservedSSO_*` role in every account the set reaches; those service writes
//! are left out (`common::identity_center_provisioning`): the finding is the one
//! for the permission set.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    IAM, IDENTITY_CENTER, admin_managed_policy, aws_managed_policy_name, change_by_anyone_but,
    identity_center_provisioning, pascal_or_camel, request_param_any,
};
use crate::event::Record;

pub struct IamPermissionsBoundaryRemoved;

const REMOVALS: &[&str] = &["DeleteRolePermissionsBoundary", "DeleteUserPermissionsBoundary"];
const PUTS: &[&str] = &["PutRolePermissionsBoundary", "PutUserPermissionsBoundary"];
const NAMES: &[&str] = &[
    "DeleteRolePermissionsBoundary",
    "DeleteUserPermissionsBoundary",
    "PutRolePermissionsBoundary",
    "PutUserPermissionsBoundary",
];
const PERMISSION_SET_REMOVAL: &str = "DeletePermissionsBoundaryFromPermissionSet";
const PERMISSION_SET_PUT: &str = "PutPermissionsBoundaryToPermissionSet";
const PERMISSION_SET_NAMES: &[&str] = &[PERMISSION_SET_REMOVAL, PERMISSION_SET_PUT];

/// `permissionsBoundary` is an AWS managed administrator policy, in any partition:
/// `AdministratorAccess`, or (from a review) `IAMFullAccess` or
/// `AdministratorAccess-Amplify`, with which the principal takes its own boundary
/// off (`common::admin_managed_policy`).
fn boundary_caps_nothing(rec: &Record<'_>) -> bool {
    rec.request_param_str("permissionsBoundary")
        .and_then(aws_managed_policy_name)
        .is_some_and(admin_managed_policy)
}

/// A permission set's boundary removed, or replaced by the AWS managed
/// `AdministratorAccess` (`permissionsBoundary.managedPolicyArn`; a customer
/// managed policy reference is a real boundary).
fn permission_set_boundary_removed(rec: &Record<'_>) -> Option<Evidence> {
    let evidence = change_by_anyone_but(
        rec,
        IDENTITY_CENTER,
        PERMISSION_SET_NAMES,
        &["permissionSetArn", "instanceArn"],
        &[],
    )?;
    if rec.event_name() == PERMISSION_SET_REMOVAL {
        return Some(evidence);
    }
    let boundary = request_param_any(rec, &["permissionsBoundary", "PermissionsBoundary"])?;
    let managed = pascal_or_camel(boundary, "ManagedPolicyArn")?.as_str()?;
    aws_managed_policy_name(managed)
        .is_some_and(admin_managed_policy)
        .then(|| evidence.with("permissions_boundary", managed))
}

pub static META: Meta = Meta {
    id: "iam-permissions-boundary-removed",
    title: "AWS IAM Permissions Boundary Removed",
    description: "The permissions boundary of an IAM role or user, or of an IAM Identity \
                  Center permission set, was removed or replaced by AdministratorAccess. A \
                  boundary caps what the principal's policies can grant; removing it \
                  lets every attached policy take full effect, a known step to \
                  escalate a principal that already has broad policies.",
    severity: Severity::Medium,
    attack: &["T1098", "T1548"],
    origins: &[
        "Elastic detection-rules: AWS IAM Permissions Boundary ... (rule family, removal)",
    ],
    group: "iam-persistence",
    false_positives: &[
        "Administrators replacing a boundary (removal then a new \
         PutRolePermissionsBoundary).",
        "A CloudFormation, Terraform or Pulumi deployment that makes the change: it \
         is reported like a person's (a stack update is the same act, and an agent is \
         the caller's to write); suppress the deployment role if that is routine.",
    ],
    next_steps: "Check whether a new boundary was set right after; if not, restore \
                 it, review the principal's policies and what it did without the \
                 boundary, and ask the caller.",
    evidence: "api caller caller_type instanceArn permissionSetArn permissionsBoundary \
        permissions_boundary roleName source_ip userName user_agent",
    triggers: &[
        Trigger::write(IAM, NAMES),
        Trigger::write(IDENTITY_CENTER, PERMISSION_SET_NAMES),
    ],
    window: None,
};

impl Detection for IamPermissionsBoundaryRemoved {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() == IDENTITY_CENTER {
            return fire(permission_set_boundary_removed(rec)?);
        }
        if identity_center_provisioning(rec) {
            return None;
        }
        if PUTS.contains(&rec.event_name()) {
            if !boundary_caps_nothing(rec) {
                return None;
            }
            return fire(change_by_anyone_but(
                rec,
                IAM,
                PUTS,
                &["roleName", "userName", "permissionsBoundary"],
                &[],
            )?);
        }
        fire(change_by_anyone_but(rec, IAM, REMOVALS, &["roleName", "userName"], &[])?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::iam_testing::*;
    use crate::detections::common::testing::fires;

    const PARAMS: &str = r#"{"roleName": "example-roleName", "userName": "example-userName"}"#;

    #[test]
    fn a_boundary_replaced_by_administrator_access_fires() {
        for (name, target) in [("PutRolePermissionsBoundary", "roleName"), ("PutUserPermissionsBoundary", "userName")] {
            for arn in [
                "arn:aws:iam::aws:policy/AdministratorAccess",
                "arn:aws-us-gov:iam::aws:policy/AdministratorAccess",
                "arn:aws:iam::aws:policy/IAMFullAccess",
                "arn:aws:iam::aws:policy/AdministratorAccess-Amplify",
            ] {
                let p = format!(r#"{{"{target}":"app-deployer","permissionsBoundary":"{arn}"}}"#);
                assert!(fires(&IamPermissionsBoundaryRemoved, &iam(name, ROLE, &p)), "{name} {arn}");
            }
            for arn in [
                "arn:aws:iam::111122223333:policy/AdministratorAccess",
                "arn:aws:iam::aws:policy/ReadOnlyAccess",
                "arn:aws:iam::111122223333:policy/dev-boundary",
            ] {
                let p = format!(r#"{{"{target}":"app-deployer","permissionsBoundary":"{arn}"}}"#);
                assert!(!fires(&IamPermissionsBoundaryRemoved, &iam(name, ROLE, &p)), "{name} {arn}");
            }
            let p = format!(r#"{{"{target}":"app-deployer","permissionsBoundary":"arn:aws:iam::aws:policy/AdministratorAccess"}}"#);
            assert!(!fires(&IamPermissionsBoundaryRemoved, &iam_failed(name, ROLE, &p, "AccessDenied")));
        }
    }

    #[test]
    fn fires_for_people_roles_root_and_federated_users() {
        for name in ["DeleteRolePermissionsBoundary", "DeleteUserPermissionsBoundary"] {
            for who in [USER, ROLE, ROOT, FEDERATED] {
                assert!(fires(&IamPermissionsBoundaryRemoved, &iam(name, who, PARAMS)), "{name} {who}");
            }
        }
    }

    #[test]
    fn ignores_failed_calls() {
        for code in ["AccessDenied", "NoSuchEntity", "LimitExceeded"] {
            assert!(!fires(&IamPermissionsBoundaryRemoved, &iam_failed("DeleteRolePermissionsBoundary", USER, PARAMS, code)));
        }
    }

    #[test]
    fn a_stack_or_a_deployment_tool_counts_an_aws_service_does_not() {
        stack_and_tools_count(&IamPermissionsBoundaryRemoved, "DeleteRolePermissionsBoundary", PARAMS, &[]);
    }

    #[test]
    fn fires_without_request_parameters() {
        assert!(fires(&IamPermissionsBoundaryRemoved, &iam("DeleteRolePermissionsBoundary", USER, "null")));
    }

    #[test]
    fn a_permission_set_boundary_removed_or_opened_fires() {
        use crate::detections::common::calls::{call, failed};
        let sso = |name: &str, params: &str| call("sso.amazonaws.com", name, params);
        const SET: &str = r#""instanceArn":"arn:aws:sso:::instance/ssoins-7223a1b2c3d4e5f6","permissionSetArn":"arn:aws:sso:::permissionSet/ssoins-7223a1b2c3d4e5f6/ps-1111aaaa2222bbbb""#;
        let removal = sso(PERMISSION_SET_REMOVAL, &format!("{{{SET}}}"));
        assert!(fires(&IamPermissionsBoundaryRemoved, &removal));
        let open = sso(
            PERMISSION_SET_PUT,
            &format!(r#"{{{SET},"permissionsBoundary":{{"managedPolicyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}}}}"#),
        );
        assert!(fires(&IamPermissionsBoundaryRemoved, &open));
        assert!(fires(&IamPermissionsBoundaryRemoved, &open.replace("managedPolicyArn", "ManagedPolicyArn").replace("permissionsBoundary", "PermissionsBoundary")));
        for boundary in [
            r#"{"customerManagedPolicyReference":{"name":"acme-dev-boundary","path":"/"}}"#,
            r#"{"managedPolicyArn":"arn:aws:iam::aws:policy/PowerUserAccess"}"#,
        ] {
            let put = sso(PERMISSION_SET_PUT, &format!(r#"{{{SET},"permissionsBoundary":{boundary}}}"#));
            assert!(!fires(&IamPermissionsBoundaryRemoved, &put), "{boundary}");
        }
        let denied = failed(&removal, "AccessDeniedException");
        assert!(!fires(&IamPermissionsBoundaryRemoved, &denied));
    }

    /// Identity Center rewriting its own provisioned role in each account is the
    /// echo of the permission-set change; the same write to any other role counts.
    #[test]
    fn identity_center_provisioning_its_own_role_is_left_out() {
        let sso = r#"{"type":"AssumedRole","principalId":"AROAEXAMPLESSOSLR001:AWS-SSO",
            "arn":"arn:aws:sts::111122223333:assumed-role/AWSServiceRoleForSSO/AWS-SSO",
            "accountId":"111122223333","invokedBy":"sso.amazonaws.com"}"#;
        let own = r#"{"roleName":"AWSReservedSSO_DeveloperAccess_a57e095f3dbb4877"}"#;
        assert!(!fires(&IamPermissionsBoundaryRemoved, &iam("DeleteRolePermissionsBoundary", sso, own)));
        assert!(fires(&IamPermissionsBoundaryRemoved, &iam("DeleteRolePermissionsBoundary", USER, own)));
        let other = r#"{"roleName":"app-deployer"}"#;
        assert!(fires(&IamPermissionsBoundaryRemoved, &iam("DeleteRolePermissionsBoundary", sso, other)));
    }

    #[test]
    fn ignores_other_events_and_sources() {
        assert!(!fires(&IamPermissionsBoundaryRemoved, &iam("GetDeleteRolePermissionsBoundary", USER, PARAMS)));
        let sts = iam("DeleteRolePermissionsBoundary", USER, PARAMS).replace(r#""eventSource":"iam.amazonaws.com""#, r#""eventSource":"sts.amazonaws.com""#);
        assert!(!fires(&IamPermissionsBoundaryRemoved, &sts));
    }
}
