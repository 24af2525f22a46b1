//! A Lambda function given another execution role (`UpdateFunctionConfiguration`,
//! recorded with its API version as `UpdateFunctionConfiguration20150331v2` or
//! `UpdateFunctionConfiguration20150331`, with a `role` in the request), successfully,
//! outside CloudFormation.
//!
//! Decisions: every invocation of the function then runs with the new role's
//! permissions, so pointing an existing function at a privileged role (and invoking
//! it, or waiting for its trigger) is privilege escalation through `iam:PassRole`
//! without creating anything new. The request names the role the function has after
//! the call; CloudTrail does not say the one it had, so a request that resends the
//! same role fires too: the console's settings page and deployment tools resend it.
//! Calls invoked by AWS services (CloudFormation, SAM) are left out; a deployment
//! tool's user agent (Terraform, Pulumi, the CDK) is not an exemption, since the
//! caller sets it and one environment variable names any tool in it
//! (`common::stack_deployment_caller`): a pipeline role is exempted in the tuning
//! file by its ARN.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    LAMBDA_CONFIGURATION_UPDATES, call_context, lambda_change_by_caller, stack_deployment_caller,
};
use crate::event::Record;

pub struct LambdaFunctionRoleSwapped;

pub static META: Meta = Meta {
    id: "lambda-function-role-swapped",
    title: "AWS Lambda Function Execution Role Changed",
    description: "A Lambda function was given an execution role outside CloudFormation. \
                  The function then runs with that role's permissions on \
                  every invocation: pointing an existing function at a privileged role is a \
                  quiet way to escalate privileges without creating anything new.",
    severity: Severity::Medium,
    attack: &["T1098", "T1548"],
    origins: &[
        "trailwatch: based on Rhino Security Labs' Lambda privilege-escalation methods \
         (iam:PassRole with lambda:UpdateFunctionConfiguration) and Pacu's Lambda modules",
    ],
    group: "compute-network",
    false_positives: &[
        "An engineer changing a function's role in the console, or a deployment tool \
         (Terraform, Pulumi) resending the role with other settings: exempt the pipeline's \
         role by its ARN in the tuning file, not by its user agent, which any caller can \
         set.",
    ],
    next_steps: "Compare the new role with the function's previous one (IAM and the \
                 function's history). If the change is not planned, set the old role back, \
                 check the function's recent invocations and code, and review how the caller \
                 obtained iam:PassRole on that role.",
    evidence: "function region role source_ip user_agent",
    triggers: &[Trigger::write("lambda.amazonaws.com", LAMBDA_CONFIGURATION_UPDATES)],
    window: None,
};

impl Detection for LambdaFunctionRoleSwapped {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !lambda_change_by_caller(rec, "UpdateFunctionConfiguration")
            || stack_deployment_caller(rec)
        {
            return None;
        }
        let role = rec.request_param_str("role").filter(|r| !r.trim().is_empty())?;
        fire(
            call_context(rec)
                .with_opt("function", rec.request_param_str("functionName"))
                .with("role", role),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::compute_testing::{ACCESS_DENIED, IAM_USER, ROLE, record};
    use crate::detections::common::testing::{eval, fires};

    const SWAP: &str = r#"{"functionName":"billing-export","role":"arn:aws:iam::111122223333:role/OrgAdmin"}"#;

    #[test]
    fn a_new_role_fires_with_it() {
        for name in ["UpdateFunctionConfiguration20150331v2", "UpdateFunctionConfiguration20150331"] {
            match eval(&LambdaFunctionRoleSwapped, &record("lambda.amazonaws.com", name, IAM_USER, SWAP, "")) {
                Some(Signal::Fire(e)) => assert_eq!(
                    e.get("role").and_then(|v| v.as_str()),
                    Some("arn:aws:iam::111122223333:role/OrgAdmin")
                ),
                other => panic!("expected a finding for {name}, got {other:?}"),
            }
        }
    }

    #[test]
    fn other_settings_stacks_and_refusals_do_not_fire() {
        let name = "UpdateFunctionConfiguration20150331v2";
        let memory = r#"{"functionName":"billing-export","memorySize":1024}"#;
        assert!(!fires(&LambdaFunctionRoleSwapped, &record("lambda.amazonaws.com", name, ROLE, memory, "")));
        assert!(!fires(&LambdaFunctionRoleSwapped, &record("lambda.amazonaws.com", name, ROLE, SWAP, ACCESS_DENIED)));
        let stack = r#"{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/Deploy/AWSCloudFormation",
            "accountId":"111122223333","invokedBy":"cloudformation.amazonaws.com"}"#;
        assert!(!fires(&LambdaFunctionRoleSwapped, &record("lambda.amazonaws.com", name, stack, SWAP, "")));
        assert!(!fires(&LambdaFunctionRoleSwapped, &record("lambda.amazonaws.com", "UpdateFunctionCode20150331v2", ROLE, SWAP, "")));
    }

    /// A deployment tool's agent is no exemption: the caller writes it (here the
    /// CLI with `AWS_EXECUTION_ENV=terraform`, and Terraform's own).
    #[test]
    fn a_deployment_tools_agent_still_fires() {
        let name = "UpdateFunctionConfiguration20150331v2";
        for agent in [
            "aws-cli/2.17.20 md/Botocore#1.34.150 os/linux exec-env/terraform",
            "APN/1.0 HashiCorp/1.0 Terraform/1.9.5 terraform-provider-aws/5.70.0",
        ] {
            let spoofed = record("lambda.amazonaws.com", name, ROLE, SWAP, "")
                .replace("aws-cli/2.17.20 md/Botocore#1.34.150 os/linux", agent);
            assert!(spoofed.contains(agent));
            assert!(fires(&LambdaFunctionRoleSwapped, &spoofed), "{agent}");
        }
    }
}
