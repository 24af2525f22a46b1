//! A CloudShell environment was created (`cloudshell:CreateEnvironment`), successfully.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::event::Record;

pub struct CloudShellEnvironmentCreated;

pub static META: Meta = Meta {
    id: "cloudshell-environment-created",
    title: "AWS CloudShell Environment Created",
    description: "Someone opened AWS CloudShell in a Region for the first time, which creates a \
                  shell environment with the caller's console credentials already loaded. An \
                  intruder holding a console session gets a ready-made command line inside AWS, \
                  with no tooling to install and traffic that comes from AWS itself.",
    severity: Severity::High,
    attack: &["T1059.009", "T1078.004"],
    origins: &["Elastic detection-rules execution_cloudshell_environment_created.toml (b625c9ad-16e5-4f16-8d38-3e9631952554)"],
    group: "identity-abuse",
    false_positives: &[
        "Administrators who work in CloudShell routinely.",
        "A known user opening CloudShell in a Region they have not used it in before: one \
         environment is created per user and Region.",
        "Training and lab accounts.",
    ],
    next_steps: "Confirm with the user that they opened CloudShell. Check how the console session \
                 started (the ConsoleLogin before it: source address, MFA), and look for CLI calls \
                 made from inside CloudShell afterwards (user agents with exec-env/CloudShell) by \
                 the same principal.",
    evidence: "environment_id environment_name region vpc_config",
    triggers: &[Trigger::Events {
        source: "cloudshell.amazonaws.com",
        names: &["CreateEnvironment"],
        read_only: false,
        data_event: false,
        detail_pattern: None,
    }],
    window: None,
};

impl Detection for CloudShellEnvironmentCreated {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "cloudshell.amazonaws.com"
            || rec.event_name() != "CreateEnvironment"
            || !rec.succeeded()
        {
            return None;
        }
        let environment_id = non_empty_text(rec.response_element("EnvironmentId"))
            .or_else(|| non_empty_text(rec.request_param("EnvironmentId")));
        fire(
            Evidence::new()
                .with_opt("region", rec.region())
                .with_opt("environment_id", environment_id)
                .with_opt("environment_name", rec.request_param_str("EnvironmentName"))
                .with_json("vpc_config", rec.request_param("VpcConfig")),
        )
    }
}

fn non_empty_text(v: Option<&serde_json::Value>) -> Option<&str> {
    v?.as_str().filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::{eval, fires};

    const CREATE: &str = r#"{"eventVersion":"1.09","eventSource":"cloudshell.amazonaws.com",
        "eventName":"CreateEnvironment","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.50",
        "userAgent":"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        "userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLEROLEID:jo@example.com",
          "arn":"arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/jo@example.com",
          "accountId":"123456789012","sessionContext":{"sessionIssuer":{"type":"Role","userName":"AWSReservedSSO_Admin_0123456789abcdef"}}},
        "requestParameters":null,
        "responseElements":{"EnvironmentId":"8c2f0e1a-5b3d-4e6f-9a7b-0c1d2e3f4a5b","Status":"CREATING"},
        "sessionCredentialFromConsole":"true"}"#;

    #[test]
    fn fires_on_a_successful_creation() {
        match eval(&CloudShellEnvironmentCreated, CREATE) {
            Some(Signal::Fire(e)) => {
                assert_eq!(
                    e.get("environment_id").and_then(|v| v.as_str()),
                    Some("8c2f0e1a-5b3d-4e6f-9a7b-0c1d2e3f4a5b")
                );
                assert_eq!(e.get("region").and_then(|v| v.as_str()), Some("eu-west-1"));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn fires_for_root_and_iam_users_and_without_response() {
        let root = r#"{"eventSource":"cloudshell.amazonaws.com","eventName":"CreateEnvironment",
            "userIdentity":{"type":"Root","principalId":"123456789012","arn":"arn:aws:iam::123456789012:root",
            "accountId":"123456789012"},"requestParameters":null,"responseElements":{"EnvironmentId":"e1"}}"#;
        assert!(fires(&CloudShellEnvironmentCreated, root));
        let user = r#"{"eventSource":"cloudshell.amazonaws.com","eventName":"CreateEnvironment",
            "userIdentity":{"type":"IAMUser","userName":"ops","arn":"arn:aws:iam::111122223333:user/ops"},
            "requestParameters":{"EnvironmentName":"vpc-shell","VpcConfig":{"VpcId":"vpc-0abc"}},
            "responseElements":null}"#;
        match eval(&CloudShellEnvironmentCreated, user) {
            Some(Signal::Fire(e)) => {
                assert!(e.get("environment_id").is_none());
                assert_eq!(
                    e.get("environment_name").and_then(|v| v.as_str()),
                    Some("vpc-shell")
                );
                assert!(e.get("vpc_config").is_some());
            }
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn ignores_a_denied_creation() {
        let denied = CREATE.replace(
            "\"requestParameters\"",
            "\"errorCode\":\"AccessDeniedException\",\"requestParameters\"",
        );
        assert!(!fires(&CloudShellEnvironmentCreated, &denied));
        let message_only = CREATE.replace(
            "\"requestParameters\"",
            "\"errorMessage\":\"not authorized\",\"requestParameters\"",
        );
        assert!(!fires(&CloudShellEnvironmentCreated, &message_only));
    }

    #[test]
    fn ignores_other_cloudshell_calls_and_other_services() {
        for (from, to) in [
            ("\"CreateEnvironment\"", "\"CreateSession\""),
            ("\"CreateEnvironment\"", "\"StartEnvironment\""),
            ("\"CreateEnvironment\"", "\"createEnvironment\""),
            ("cloudshell.amazonaws.com", "cloud9.amazonaws.com"),
        ] {
            assert!(
                !fires(&CloudShellEnvironmentCreated, &CREATE.replace(from, to)),
                "{to}"
            );
        }
    }
}
