//! An inline policy put on an IAM group (`PutGroupPolicy`, successful) by a person or
//! script. The document is not judged here: any inline grant to a group reaches every
//! member.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{IAM, manual_change};
use crate::event::Record;

pub struct IamInlinePolicyAddedToGroup;

pub static META: Meta = Meta {
    id: "iam-inline-policy-added-to-group",
    title: "AWS IAM Inline Policy Added to a Group",
    description: "An inline policy was added to (or replaced on) an IAM group. Inline \
                  policies are invisible in the managed-policy list and apply to \
                  every member at once, a discreet way to widen access.",
    severity: Severity::Low,
    attack: &["T1098", "T1098.003"],
    origins: &[
        "Elastic detection-rules: AWS IAM Inline Policy Added to a Group (rule title)",
    ],
    group: "iam-persistence",
    false_positives: &[
        "Administrators who manage group permissions with inline policies by hand.",
        "CloudFormation or Service Catalog deployments and AWS services are not \
         reported (recognised by invokedBy, which AWS writes). Terraform and Pulumi \
         pipelines are: exempt the pipeline's role by its ARN in the tuning file (a user \
         agent is the caller's to set).",
    ],
    next_steps: "Read the policy (GetGroupPolicy) and the group's members; if it \
                 grants more than intended, delete it and ask the caller.",
    evidence: "api caller caller_type groupName policyName source_ip user_agent",
    triggers: &[Trigger::write(IAM, &["PutGroupPolicy"])],
    window: None,
};

impl Detection for IamInlinePolicyAddedToGroup {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        fire(manual_change(rec, IAM, &["PutGroupPolicy"], &["groupName", "policyName"])?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::iam_testing::*;
    use crate::detections::common::testing::fires;

    const PARAMS: &str = r#"{"groupName": "example-groupName", "policyName": "example-policyName"}"#;

    #[test]
    fn fires_for_people_roles_root_and_federated_users() {
        for name in ["PutGroupPolicy"] {
            for who in [USER, ROLE, ROOT, FEDERATED] {
                assert!(fires(&IamInlinePolicyAddedToGroup, &iam(name, who, PARAMS)), "{name} {who}");
            }
        }
    }

    #[test]
    fn ignores_failed_calls() {
        for code in ["AccessDenied", "NoSuchEntity", "LimitExceeded"] {
            assert!(!fires(&IamInlinePolicyAddedToGroup, &iam_failed("PutGroupPolicy", USER, PARAMS, code)));
        }
    }

    #[test]
    fn ignores_services_and_stacks_but_not_a_tools_agent() {
        assert!(!fires(&IamInlinePolicyAddedToGroup, &iam("PutGroupPolicy", CFN, PARAMS)));
        let terraform = iam("PutGroupPolicy", ROLE, PARAMS).replace(
            "aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64",
            "APN/1.0 HashiCorp/1.0 Terraform/1.8.4 aws-sdk-go-v2/1.27.0",
        );
        assert!(fires(&IamInlinePolicyAddedToGroup, &terraform), "an agent is the caller's to write");
    }

    #[test]
    fn fires_without_request_parameters() {
        assert!(fires(&IamInlinePolicyAddedToGroup, &iam("PutGroupPolicy", USER, "null")));
    }

    #[test]
    fn ignores_other_events_and_sources() {
        assert!(!fires(&IamInlinePolicyAddedToGroup, &iam("GetPutGroupPolicy", USER, PARAMS)));
        let sts = iam("PutGroupPolicy", USER, PARAMS).replace(r#""eventSource":"iam.amazonaws.com""#, r#""eventSource":"sts.amazonaws.com""#);
        assert!(!fires(&IamInlinePolicyAddedToGroup, &sts));
    }
}
