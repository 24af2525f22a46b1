//! A permissions boundary removed from a role or user (`DeleteRolePermissionsBoundary`,
//! `DeleteUserPermissionsBoundary`, successful) by a person, script or stack, or replaced
//! by one that caps nothing: `Put{Role,User}PermissionsBoundary` with the AWS
//! managed `AdministratorAccess` (any partition), which allows every action, so the
//! principal's own policies take full effect as if the boundary were gone.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{IAM, aws_managed_policy_name, change_by_anyone_but};
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

/// `permissionsBoundary` is the AWS managed `AdministratorAccess`, in any partition.
fn boundary_caps_nothing(rec: &Record<'_>) -> bool {
    rec.request_param_str("permissionsBoundary")
        .and_then(aws_managed_policy_name)
        == Some("AdministratorAccess")
}

pub static META: Meta = Meta {
    id: "iam-permissions-boundary-removed",
    title: "AWS IAM Permissions Boundary Removed",
    description: "The permissions boundary of an IAM role or user was removed. A \
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
    triggers: &[Trigger::write(IAM, NAMES)],
    window: None,
};

impl Detection for IamPermissionsBoundaryRemoved {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
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
    fn ignores_other_events_and_sources() {
        assert!(!fires(&IamPermissionsBoundaryRemoved, &iam("GetDeleteRolePermissionsBoundary", USER, PARAMS)));
        let sts = iam("DeleteRolePermissionsBoundary", USER, PARAMS).replace(r#""eventSource":"iam.amazonaws.com""#, r#""eventSource":"sts.amazonaws.com""#);
        assert!(!fires(&IamPermissionsBoundaryRemoved, &sts));
    }
}
