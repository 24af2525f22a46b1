//! The user data (startup script) of an instance replaced (`ModifyInstanceAttribute`
//! changing `userData`), successfully.
//!
//! Sigma matches `requestParameters.attribute` = `userData`. Real records of
//! `modify-instance-attribute --user-data` carry a `userData` member instead (its value
//! replaced by `<sensitiveDataRemoved>`), and `--attribute userData --value` gives the
//! `attribute` form; we accept both. We require success (a denied call changes nothing),
//! where Sigma has no outcome filter.
//!
//! A CloudFormation stack's change is medium (from a second evasion review): a
//! stack updating an instance's `UserData` in place stops, modifies and starts it
//! on every such deployment; the script is then in the template, reviewed with it.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{call_context, instance_id_param, stack_deployment_caller};
use crate::event::Record;

pub struct Ec2UserDataModified;

pub static META: Meta = Meta {
    id: "ec2-user-data-modified",
    title: "AWS EC2 Startup Shell Script Change",
    description: "The user data of an EC2 instance was replaced. User data runs as root when \
                  the instance starts, so an attacker who changes it and restarts the instance \
                  runs their own code with the instance's role: a known path to execution and \
                  privilege escalation.",
    severity: Severity::High,
    attack: &["T1059", "T1037"],
    origins: &["Sigma rules/cloud/aws/cloudtrail/aws_ec2_startup_script_change.yml"],
    group: "compute-network",
    false_positives: &[
        "Administrators updating bootstrap scripts of long-lived instances (rare: most teams \
         replace instances or launch templates instead).",
    ],
    next_steps: "Read the instance's current user data (DescribeInstanceAttribute) and compare \
                 it with the expected script. If unknown code was added, stop the instance, \
                 restore the script, and review the role's activity since the change.",
    evidence: "instance_id region source_ip user_agent",
    triggers: &[Trigger::write("ec2.amazonaws.com", &["ModifyInstanceAttribute"])],
    window: None,
};

/// The call changes the instance's user data, in either form of the request.
pub fn changes_user_data(rec: &Record) -> bool {
    rec.request_param_str("attribute")
        .is_some_and(|a| a.trim().eq_ignore_ascii_case("userData"))
        || rec.request_param("userData").is_some_and(|v| !v.is_null())
}

impl Detection for Ec2UserDataModified {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn severity_for(&self, rec: &Record<'_>) -> Severity {
        if stack_deployment_caller(rec) && rec.identity_type() != Some("AWSService") {
            Severity::Medium
        } else {
            META.severity
        }
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "ec2.amazonaws.com"
            || rec.event_name() != "ModifyInstanceAttribute"
            || !rec.succeeded()
            || !changes_user_data(rec)
        {
            return None;
        }
        fire(call_context(rec).with_opt("instance_id", instance_id_param(rec)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing;
    use crate::detections::common::compute_testing::{DENIED, IAM_USER, ROLE, record};
    use crate::detections::common::testing::fires;

    const NAME: &str = "ModifyInstanceAttribute";

    #[test]
    fn a_stacks_change_is_medium() {
        let member = r#"{"instanceId":"i-0a1b2c3d","userData":"<sensitiveDataRemoved>"}"#;
        let stack = record("ec2.amazonaws.com", NAME, ROLE, member, "")
            .replace(r#""userIdentity":{"#, r#""userIdentity":{"invokedBy":"cloudformation.amazonaws.com","#);
        assert!(stack.contains("invokedBy"));
        assert!(fires(&Ec2UserDataModified, &stack));
        let severity = |json: &str| testing::severity(&Ec2UserDataModified, json);
        assert_eq!(severity(&stack), Severity::Medium);
        assert_eq!(severity(&record("ec2.amazonaws.com", NAME, ROLE, member, "")), Severity::High);
    }

    #[test]
    fn fires_on_both_request_forms() {
        let member = r#"{"instanceId":"i-0a1b2c3d","userData":"<sensitiveDataRemoved>"}"#;
        assert!(fires(&Ec2UserDataModified, &record("ec2.amazonaws.com", NAME, IAM_USER, member, "")));
        let attribute = r#"{"instanceId":"i-0a1b2c3d","attribute":"userData","value":"<sensitiveDataRemoved>"}"#;
        assert!(fires(&Ec2UserDataModified, &record("ec2.amazonaws.com", NAME, ROLE, attribute, "")));
    }

    #[test]
    fn other_attributes_failures_and_null_do_not_fire() {
        for params in [
            r#"{"instanceId":"i-0a1b2c3d","instanceType":{"value":"t3.large"}}"#,
            r#"{"instanceId":"i-0a1b2c3d","attribute":"instanceType"}"#,
            r#"{"instanceId":"i-0a1b2c3d","userData":null}"#,
            "null",
        ] {
            assert!(!fires(&Ec2UserDataModified, &record("ec2.amazonaws.com", NAME, ROLE, params, "")), "{params}");
        }
        let member = r#"{"instanceId":"i-0a1b2c3d","userData":"<sensitiveDataRemoved>"}"#;
        assert!(!fires(&Ec2UserDataModified, &record("ec2.amazonaws.com", NAME, ROLE, member, DENIED)));
    }
}
