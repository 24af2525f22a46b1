//! A new version of a customer managed policy (`CreatePolicyVersion`) or a different
//! default version (`SetDefaultPolicyVersion`), successful, by a person or script.
//! Elastic also drops callers from cloud-provider networks (ASN enrichment we do not
//! have): left out. Unlike `create-policy-version-allow-all`, the document is not
//! judged: any rewrite of a policy in place changes the rights of everyone it is
//! attached to.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{IAM, manual_change};
use crate::event::Record;

pub struct IamPolicyVersionCreatedOrDefaultSet;

pub static META: Meta = Meta {
    id: "iam-policy-version-created-or-default-set",
    title: "AWS IAM Customer Managed Policy Version Created or Default Version Set",
    description: "A customer managed policy got a new version, or an older version \
                  was made the default again. Both change the rights of every \
                  principal the policy is attached to without any new attachment, and \
                  reviving an old permissive version is a classic escalation.",
    severity: Severity::Medium,
    attack: &["T1098", "T1098.003"],
    origins: &[
        "Elastic detection-rules privilege_escalation_iam_customer_managed_policy_ver \
         sion_created_or_set_default.toml",
        "Splunk ESCU detections/cloud/aws_setdefaultpolicyversion.yml",
    ],
    group: "iam-persistence",
    false_positives: &[
        "Administrators editing policies in the console (each edit is a new version).",
        "CloudFormation or Service Catalog deployments and AWS services are not \
         reported (recognised by invokedBy, which AWS writes). Terraform and Pulumi \
         pipelines are: exempt the pipeline's role by its ARN in the tuning file (a user \
         agent is the caller's to set).",
    ],
    next_steps: "Compare the new default version with the previous one \
                 (GetPolicyVersion) and list who the policy is attached to. If \
                 unexpected, set the previous version as default and ask the caller.",
    evidence: "api caller caller_type policyArn setAsDefault source_ip user_agent versionId",
    triggers: &[Trigger::write(IAM, &["CreatePolicyVersion", "SetDefaultPolicyVersion"])],
    window: None,
};

impl Detection for IamPolicyVersionCreatedOrDefaultSet {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        fire(manual_change(rec, IAM, &["CreatePolicyVersion", "SetDefaultPolicyVersion"], &["policyArn", "versionId", "setAsDefault"])?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::iam_testing::*;
    use crate::detections::common::testing::fires;

    const PARAMS: &str = r#"{"policyArn": "example-policyArn", "versionId": "example-versionId", "setAsDefault": "example-setAsDefault"}"#;

    #[test]
    fn fires_for_people_roles_root_and_federated_users() {
        for name in ["CreatePolicyVersion", "SetDefaultPolicyVersion"] {
            for who in [USER, ROLE, ROOT, FEDERATED] {
                assert!(fires(&IamPolicyVersionCreatedOrDefaultSet, &iam(name, who, PARAMS)), "{name} {who}");
            }
        }
    }

    #[test]
    fn ignores_failed_calls() {
        for code in ["AccessDenied", "NoSuchEntity", "LimitExceeded"] {
            assert!(!fires(&IamPolicyVersionCreatedOrDefaultSet, &iam_failed("CreatePolicyVersion", USER, PARAMS, code)));
        }
    }

    #[test]
    fn ignores_services_and_stacks_but_not_a_tools_agent() {
        assert!(!fires(&IamPolicyVersionCreatedOrDefaultSet, &iam("CreatePolicyVersion", CFN, PARAMS)));
        let terraform = iam("CreatePolicyVersion", ROLE, PARAMS).replace(
            "aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64",
            "APN/1.0 HashiCorp/1.0 Terraform/1.8.4 aws-sdk-go-v2/1.27.0",
        );
        assert!(fires(&IamPolicyVersionCreatedOrDefaultSet, &terraform), "an agent is the caller's to write");
    }

    #[test]
    fn fires_without_request_parameters() {
        assert!(fires(&IamPolicyVersionCreatedOrDefaultSet, &iam("CreatePolicyVersion", USER, "null")));
    }

    #[test]
    fn ignores_other_events_and_sources() {
        assert!(!fires(&IamPolicyVersionCreatedOrDefaultSet, &iam("GetCreatePolicyVersion", USER, PARAMS)));
        let sts = iam("CreatePolicyVersion", USER, PARAMS).replace(r#""eventSource":"iam.amazonaws.com""#, r#""eventSource":"sts.amazonaws.com""#);
        assert!(!fires(&IamPolicyVersionCreatedOrDefaultSet, &sts));
    }
}
