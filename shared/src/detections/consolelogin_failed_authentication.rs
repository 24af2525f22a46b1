//! A console sign-in refused with `Failed authentication` (Sigma).

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::failed_console_login;
use crate::event::Record;

pub struct ConsoleLoginFailedAuthentication;

pub static META: Meta = Meta {
    id: "consolelogin-failed-authentication",
    title: "AWS ConsoleLogin Failed Authentication",
    description: "A console sign-in for an existing user or the root user was refused with \
                  \"Failed authentication\" (wrong password or failed MFA). Repeats for one user \
                  or from one address suggest someone is guessing credentials.",
    severity: Severity::Medium,
    attack: &["T1110"],
    origins: &["SigmaHQ rules/cloud/aws/cloudtrail/aws_cloudtrail_console_login_failed_authentication.yml \
             (6393e346-1977-46ef-8987-ad414a145fad)"],
    group: "signin-failures",
    false_positives: &[
        "Users mistyping their password or MFA code.",
        "Password managers filling in an outdated password.",
    ],
    next_steps: "Count recent failures for the same user and from the same address, check \
                 whether a successful sign-in followed, and whether the address, user agent and \
                 Region are usual for the user; reset the password and review MFA if not.",
    evidence: "console_login error_code error_message login_to mfa_used unknown_user user_name",
    triggers: &[Trigger::Events {
        source: "signin.amazonaws.com",
        names: &["ConsoleLogin"],
        read_only: false,
        data_event: false,
        detail_pattern: None,
    }],
    window: None,
};

impl Detection for ConsoleLoginFailedAuthentication {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        let failed = failed_console_login(rec)?;
        if !failed.failed_authentication {
            return None;
        }
        fire(failed.failure_evidence(rec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::{eval, fires};

    const USER: &str = r#"{"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin",
        "eventType":"AwsConsoleSignIn",
        "userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLEUSER2","accountId":"444455556666",
            "accessKeyId":"","userName":"ola"},
        "sourceIPAddress":"192.0.2.77","userAgent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
        "errorMessage":"Failed authentication","requestParameters":null,
        "responseElements":{"ConsoleLogin":"Failure"},
        "additionalEventData":{"LoginTo":"https://console.aws.amazon.com/console/home","MobileVersion":"No","MFAUsed":"No"}}"#;

    const ROOT_IDENTITY: &str = r#""type":"Root","principalId":"444455556666","arn":"arn:aws:iam::444455556666:root","accountId":"444455556666","accessKeyId":"""#;
    const USER_IDENTITY: &str = r#""type":"IAMUser","principalId":"AIDAEXAMPLEUSER2","accountId":"444455556666",
            "accessKeyId":"","userName":"ola""#;

    #[test]
    fn fires_on_an_iam_user_with_a_wrong_password() {
        let Some(Signal::Fire(ev)) = eval(&ConsoleLoginFailedAuthentication, USER) else {
            panic!("expected a finding");
        };
        assert_eq!(ev.get("user_name").and_then(|v| v.as_str()), Some("ola"));
        assert_eq!(
            ev.get("console_login").and_then(|v| v.as_str()),
            Some("Failure")
        );
        assert_eq!(
            ev.get("error_message").and_then(|v| v.as_str()),
            Some("Failed authentication")
        );
    }

    #[test]
    fn fires_on_root_with_or_without_mfa() {
        let root = USER.replace(USER_IDENTITY, ROOT_IDENTITY);
        assert!(root.contains(r#""type":"Root""#));
        assert!(fires(&ConsoleLoginFailedAuthentication, &root));
        let root_mfa = root.replace(r#""MFAUsed":"No""#, r#""MFAUsed":"Yes""#);
        assert!(fires(&ConsoleLoginFailedAuthentication, &root_mfa));
    }

    #[test]
    fn fires_without_an_arn_event_source_or_result() {
        let no_source = USER.replace(r#""eventSource":"signin.amazonaws.com","#, "");
        assert!(fires(&ConsoleLoginFailedAuthentication, &no_source));
        let no_result = USER.replace(r#"{"ConsoleLogin":"Failure"}"#, "null");
        assert!(fires(&ConsoleLoginFailedAuthentication, &no_result));
        let lower = USER.replace("Failed authentication", "failed authentication");
        assert!(fires(&ConsoleLoginFailedAuthentication, &lower));
    }

    #[test]
    fn ignores_unknown_user_names() {
        let unknown = USER
            .replace(
                r#""userName":"ola""#,
                r#""userName":"HIDDEN_DUE_TO_SECURITY_REASONS""#,
            )
            .replace(
                "Failed authentication",
                "No username found in supplied account",
            );
        assert!(!fires(&ConsoleLoginFailedAuthentication, &unknown));
    }

    #[test]
    fn ignores_a_failure_without_the_message() {
        let rec = USER.replace(r#""errorMessage":"Failed authentication","#, "");
        assert!(!fires(&ConsoleLoginFailedAuthentication, &rec));
    }

    #[test]
    fn ignores_a_record_that_reports_success() {
        let ok = USER
            .replace(r#""errorMessage":"Failed authentication","#, "")
            .replace(r#""ConsoleLogin":"Failure""#, r#""ConsoleLogin":"Success""#);
        assert!(!fires(&ConsoleLoginFailedAuthentication, &ok));
        let contradictory =
            USER.replace(r#""ConsoleLogin":"Failure""#, r#""ConsoleLogin":"Success""#);
        assert!(!fires(&ConsoleLoginFailedAuthentication, &contradictory));
    }

    #[test]
    fn ignores_other_events_and_sources() {
        let other = USER.replace(r#""eventName":"ConsoleLogin""#, r#""eventName":"CheckMfa""#);
        assert!(!fires(&ConsoleLoginFailedAuthentication, &other));
        let source = USER.replace("signin.amazonaws.com", "iam.amazonaws.com");
        assert!(!fires(&ConsoleLoginFailedAuthentication, &source));
    }
}
