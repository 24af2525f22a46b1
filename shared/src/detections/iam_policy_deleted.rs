//! A customer managed IAM policy deleted (`DeletePolicy`, successful). Splunk's hunting
//! rule keeps every outcome and drops AWS-service callers; we keep successes only (a
//! refused deletion changes nothing); CloudFormation stacks are dropped as services, a
//! Terraform agent is not (`common::manual_change`).

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{IAM, manual_change};
use crate::event::Record;

pub struct IamPolicyDeleted;

pub static META: Meta = Meta {
    id: "iam-policy-deleted",
    title: "AWS IAM Delete Policy",
    description: "A customer managed IAM policy was deleted. Removing policies can \
                  take away guardrails (deny statements, boundaries) or destroy \
                  evidence of what a principal was allowed to do.",
    severity: Severity::Low,
    attack: &["T1098", "T1531"],
    origins: &[
        "Splunk ESCU detections/cloud/aws_iam_delete_policy.yml",
    ],
    group: "iam-persistence",
    false_positives: &[
        "Routine clean-up of unused policies by administrators.",
        "CloudFormation or Service Catalog deployments and AWS services are not \
         reported (recognised by invokedBy, which AWS writes). Terraform and Pulumi \
         pipelines are: exempt the pipeline's role by its ARN in the tuning file (a user \
         agent is the caller's to set).",
    ],
    next_steps: "Check what the policy granted or denied and to whom it was attached \
                 (earlier Attach* and CreatePolicy records). If it was a guardrail, \
                 recreate it and ask the caller why it went.",
    evidence: "api caller caller_type policyArn source_ip user_agent",
    triggers: &[Trigger::write(IAM, &["DeletePolicy"])],
    window: None,
};

impl Detection for IamPolicyDeleted {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        fire(manual_change(rec, IAM, &["DeletePolicy"], &["policyArn"])?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::iam_testing::*;
    use crate::detections::common::testing::fires;

    const PARAMS: &str = r#"{"policyArn": "example-policyArn"}"#;

    #[test]
    fn fires_for_people_roles_root_and_federated_users() {
        for name in ["DeletePolicy"] {
            for who in [USER, ROLE, ROOT, FEDERATED] {
                assert!(fires(&IamPolicyDeleted, &iam(name, who, PARAMS)), "{name} {who}");
            }
        }
    }

    #[test]
    fn ignores_failed_calls() {
        for code in ["AccessDenied", "NoSuchEntity", "LimitExceeded"] {
            assert!(!fires(&IamPolicyDeleted, &iam_failed("DeletePolicy", USER, PARAMS, code)));
        }
    }

    #[test]
    fn ignores_services_and_stacks_but_not_a_tools_agent() {
        assert!(!fires(&IamPolicyDeleted, &iam("DeletePolicy", CFN, PARAMS)));
        let terraform = iam("DeletePolicy", ROLE, PARAMS).replace(
            "aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64",
            "APN/1.0 HashiCorp/1.0 Terraform/1.8.4 aws-sdk-go-v2/1.27.0",
        );
        assert!(fires(&IamPolicyDeleted, &terraform), "an agent is the caller's to write");
    }

    #[test]
    fn fires_without_request_parameters() {
        assert!(fires(&IamPolicyDeleted, &iam("DeletePolicy", USER, "null")));
    }

    #[test]
    fn ignores_other_events_and_sources() {
        assert!(!fires(&IamPolicyDeleted, &iam("GetDeletePolicy", USER, PARAMS)));
        let sts = iam("DeletePolicy", USER, PARAMS).replace(r#""eventSource":"iam.amazonaws.com""#, r#""eventSource":"sts.amazonaws.com""#);
        assert!(!fires(&IamPolicyDeleted, &sts));
    }
}
