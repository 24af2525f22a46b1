//! A permissions boundary removed from a role or user (`DeleteRolePermissionsBoundary`,
//! `DeleteUserPermissionsBoundary`, successful) by a person or script.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{IAM, manual_change};
use crate::event::Record;

pub struct IamPermissionsBoundaryRemoved;

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
        "CloudFormation, Terraform, Pulumi or Service Catalog deployments, and AWS \
         services, are not reported (recognised by invokedBy and user agent).",
    ],
    next_steps: "Check whether a new boundary was set right after; if not, restore \
                 it, review the principal's policies and what it did without the \
                 boundary, and ask the caller.",
    triggers: &[Trigger::write(IAM, &["DeleteRolePermissionsBoundary", "DeleteUserPermissionsBoundary"])],
    window: None,
};

impl Detection for IamPermissionsBoundaryRemoved {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        fire(manual_change(rec, IAM, &["DeleteRolePermissionsBoundary", "DeleteUserPermissionsBoundary"], &["roleName", "userName"])?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::iam_testing::*;
    use crate::detections::common::testing::fires;

    const PARAMS: &str = r#"{"roleName": "example-roleName", "userName": "example-userName"}"#;

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
    fn ignores_services_and_infrastructure_as_code() {
        assert!(!fires(&IamPermissionsBoundaryRemoved, &iam("DeleteRolePermissionsBoundary", CFN, PARAMS)));
        let terraform = iam("DeleteRolePermissionsBoundary", ROLE, PARAMS).replace(
            "aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64",
            "APN/1.0 HashiCorp/1.0 Terraform/1.8.4 aws-sdk-go-v2/1.27.0",
        );
        assert!(!fires(&IamPermissionsBoundaryRemoved, &terraform));
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
