//! An IAM group created or deleted (`CreateGroup`, `DeleteGroup`, successful) by a
//! person or script. Elastic's rule covers both; Splunk's successful-deletion rule is
//! the deletion half of the same behaviour, so it is an origin here rather than a
//! second detection.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{IAM, manual_change};
use crate::event::Record;

pub struct IamGroupCreatedOrDeleted;

pub static META: Meta = Meta {
    id: "iam-group-created-or-deleted",
    title: "AWS IAM Group Creation or Deletion",
    description: "An IAM group was created or deleted outside infrastructure-as-code. \
                  A new group can carry permissions to hand out quietly; deleting one \
                  can remove users' access or guardrails.",
    severity: Severity::Low,
    attack: &["T1098", "T1136.003"],
    origins: &[
        "Elastic detection-rules: AWS IAM Group Creation/Deletion (rule title)",
        "Splunk ESCU detections/cloud/aws_iam_successful_group_deletion.yml",
    ],
    group: "iam-persistence",
    false_positives: &[
        "Administrators managing groups by hand.",
        "CloudFormation or Service Catalog deployments and AWS services are not \
         reported (recognised by invokedBy, which AWS writes). Terraform and Pulumi \
         pipelines are: exempt the pipeline's role by its ARN in the tuning file (a user \
         agent is the caller's to set).",
    ],
    next_steps: "Check the group's policies and members (for a new group) or what it \
                 granted (for a deleted one), and whether the change was requested.",
    evidence: "api caller caller_type groupName source_ip user_agent",
    triggers: &[Trigger::write(IAM, &["CreateGroup", "DeleteGroup"])],
    window: None,
};

impl Detection for IamGroupCreatedOrDeleted {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        fire(manual_change(rec, IAM, &["CreateGroup", "DeleteGroup"], &["groupName"])?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::iam_testing::*;
    use crate::detections::common::testing::fires;

    const PARAMS: &str = r#"{"groupName": "example-groupName"}"#;

    #[test]
    fn fires_for_people_roles_root_and_federated_users() {
        for name in ["CreateGroup", "DeleteGroup"] {
            for who in [USER, ROLE, ROOT, FEDERATED] {
                assert!(fires(&IamGroupCreatedOrDeleted, &iam(name, who, PARAMS)), "{name} {who}");
            }
        }
    }

    #[test]
    fn ignores_failed_calls() {
        for code in ["AccessDenied", "NoSuchEntity", "LimitExceeded"] {
            assert!(!fires(&IamGroupCreatedOrDeleted, &iam_failed("CreateGroup", USER, PARAMS, code)));
        }
    }

    #[test]
    fn ignores_services_and_stacks_but_not_a_tools_agent() {
        assert!(!fires(&IamGroupCreatedOrDeleted, &iam("CreateGroup", CFN, PARAMS)));
        let terraform = iam("CreateGroup", ROLE, PARAMS).replace(
            "aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64",
            "APN/1.0 HashiCorp/1.0 Terraform/1.8.4 aws-sdk-go-v2/1.27.0",
        );
        assert!(fires(&IamGroupCreatedOrDeleted, &terraform), "an agent is the caller's to write");
    }

    #[test]
    fn fires_without_request_parameters() {
        assert!(fires(&IamGroupCreatedOrDeleted, &iam("CreateGroup", USER, "null")));
    }

    #[test]
    fn ignores_other_events_and_sources() {
        assert!(!fires(&IamGroupCreatedOrDeleted, &iam("GetCreateGroup", USER, PARAMS)));
        let sts = iam("CreateGroup", USER, PARAMS).replace(r#""eventSource":"iam.amazonaws.com""#, r#""eventSource":"sts.amazonaws.com""#);
        assert!(!fires(&IamGroupCreatedOrDeleted, &sts));
    }
}
