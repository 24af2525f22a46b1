//! An AWS Glue development endpoint created, updated or deleted (`CreateDevEndpoint`,
//! `UpdateDevEndpoint`, `DeleteDevEndpoint`), successfully.
//!
//! Sigma's rule is about passing a role to a development endpoint: creating one with a
//! powerful role and an SSH public key gives a shell that holds that role. We report
//! the role and whether a public key was given; success only (Sigma has no filter).
//! It belongs to the `iam-persistence` function group: the act is a role passed to
//! a shell, privilege escalation more than compute.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::call_context;
use crate::event::Record;

pub struct GlueDevEndpointActivity;

const NAMES: &[&str] = &["CreateDevEndpoint", "DeleteDevEndpoint", "UpdateDevEndpoint"];

pub static META: Meta = Meta {
    id: "glue-dev-endpoint-activity",
    title: "AWS Glue Development Endpoint Activity",
    description: "A Glue development endpoint was created, changed or deleted. An endpoint \
                  runs with an IAM role and accepts SSH keys, so creating one with a powerful \
                  role (or adding a key to an existing one) gives its creator a shell with \
                  that role: a known privilege-escalation path.",
    severity: Severity::Low,
    attack: &["T1098", "T1078.004"],
    origins: &["Sigma rules/cloud/aws/cloudtrail/aws_passed_role_to_glue_development_endpoint.yml"],
    group: "iam-persistence",
    false_positives: &["Data engineers developing Glue jobs interactively."],
    next_steps: "Check the endpoint's role and the public keys it accepts. If the caller \
                 should not hold that role, delete the endpoint and review the role's use.",
    evidence: "endpoint public_key_given region role_arn source_ip user_agent",
    triggers: &[Trigger::write("glue.amazonaws.com", NAMES)],
    window: None,
};

impl Detection for GlueDevEndpointActivity {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "glue.amazonaws.com"
            || !NAMES.contains(&rec.event_name())
            || !rec.succeeded()
        {
            return None;
        }
        let key_given = ["publicKey", "publicKeys", "addPublicKeys"]
            .iter()
            .any(|k| rec.request_param(k).is_some_and(|v| !v.is_null()));
        fire(call_context(rec)
            .with_opt("endpoint", rec.request_param_str("endpointName"))
            .with_opt("role_arn", rec.request_param_str("roleArn"))
            .with("public_key_given", key_given))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detection::Evidence;
    use crate::detections::common::compute_testing::{ACCESS_DENIED, IAM_USER, ROLE, record};
    use crate::detections::common::testing::{fired_evidence, fires};

    fn evidence(json: &str) -> Evidence {
        fired_evidence(&GlueDevEndpointActivity, json)
    }

    #[test]
    fn fires_and_reports_role_and_key() {
        let p = r#"{"endpointName":"dev1","roleArn":"arn:aws:iam::111122223333:role/GlueAdmin","publicKey":"ssh-rsa AAAAexample"}"#;
        let e = evidence(&record("glue.amazonaws.com", "CreateDevEndpoint", IAM_USER, p, ""));
        assert_eq!(e.get("role_arn").unwrap(), "arn:aws:iam::111122223333:role/GlueAdmin");
        assert_eq!(e.get("public_key_given").unwrap(), true);
        let e = evidence(&record("glue.amazonaws.com", "DeleteDevEndpoint", ROLE, r#"{"endpointName":"dev1"}"#, ""));
        assert_eq!(e.get("public_key_given").unwrap(), false);
    }

    #[test]
    fn failures_and_other_glue_calls_do_not_fire() {
        assert!(!fires(&GlueDevEndpointActivity, &record("glue.amazonaws.com", "UpdateDevEndpoint", ROLE, "{}", ACCESS_DENIED)));
        assert!(!fires(&GlueDevEndpointActivity, &record("glue.amazonaws.com", "CreateJob", ROLE, "{}", "")));
    }
}
