//! A console sign-in that failed at or after the MFA step (`MFAUsed` = `Yes`).

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::failed_console_login;
use crate::event::Record;

pub struct ConsoleLoginFailedMfaChallenge;

pub static META: Meta = Meta {
    id: "console-login-failed-mfa-challenge",
    title: "AWS Console Login Failed During MFA Challenge",
    description: "A console sign-in for a user with MFA failed with \"Failed authentication\" \
                  at or after the MFA step. If the password was right, someone who knows it may \
                  be trying to get past MFA (guessing codes or pushing prompts).",
    severity: Severity::Medium,
    attack: &["T1586", "T1586.003", "T1621"],
    origins: &["Splunk ESCU detections/cloud/aws_console_login_failed_during_mfa_challenge.yml \
             (55349868-5583-466f-98ab-d3beb321961e)"],
    group: "signin-failures",
    false_positives: &[
        "A user mistyping an MFA code, or letting the MFA step time out.",
        "A replaced or re-synchronised MFA device.",
    ],
    next_steps: "Ask the user whether they were signing in; check the source address, user agent \
                 and Region against the user's usual ones and for repeated attempts; if the \
                 user was not signing in, treat the password as known to someone else and reset \
                 it.",
    evidence: "console_login error_code error_message login_to mfa_used unknown_user user_name",
    triggers: &[Trigger::Events {
        source: "signin.amazonaws.com",
        names: &["ConsoleLogin"],
        read_only: false,
        data_event: false,
        detail_pattern: Some(
            r#"{"errorMessage":[{"equals-ignore-case":"Failed authentication"}],"additionalEventData":{"MFAUsed":[{"equals-ignore-case":"Yes"}]}}"#,
        ),
    }],
    window: None,
};

impl Detection for ConsoleLoginFailedMfaChallenge {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        let failed = failed_console_login(rec)?;
        if !(failed.failed_authentication && failed.mfa_used) {
            return None;
        }
        fire(failed.failure_evidence(rec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::{eval, fires};

    const MFA_FAIL: &str = r#"{"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin",
        "eventType":"AwsConsoleSignIn",
        "userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLEUSER3","accountId":"123456789012",
            "accessKeyId":"","userName":"noor"},
        "sourceIPAddress":"203.0.113.18","userAgent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4)",
        "errorMessage":"Failed authentication","requestParameters":null,
        "responseElements":{"ConsoleLogin":"Failure"},
        "additionalEventData":{"LoginTo":"https://console.aws.amazon.com/console/home","MobileVersion":"No","MFAUsed":"Yes"}}"#;

    #[test]
    fn fires_on_an_iam_user_failing_mfa() {
        let Some(Signal::Fire(ev)) = eval(&ConsoleLoginFailedMfaChallenge, MFA_FAIL) else {
            panic!("expected a finding");
        };
        assert_eq!(ev.get("user_name").and_then(|v| v.as_str()), Some("noor"));
        assert_eq!(ev.get("mfa_used").and_then(|v| v.as_str()), Some("Yes"));
        assert_eq!(
            ev.get("error_message").and_then(|v| v.as_str()),
            Some("Failed authentication")
        );
    }

    #[test]
    fn fires_on_root_failing_mfa_without_an_arn() {
        let root = MFA_FAIL.replace(
            r#""type":"IAMUser","principalId":"AIDAEXAMPLEUSER3","accountId":"123456789012",
            "accessKeyId":"","userName":"noor""#,
            r#""type":"Root","principalId":"123456789012","accountId":"123456789012","accessKeyId":"""#,
        );
        assert!(root.contains("\"Root\""));
        assert!(fires(&ConsoleLoginFailedMfaChallenge, &root));
    }

    #[test]
    fn the_mfa_flag_is_case_insensitive() {
        let upper = MFA_FAIL.replace(r#""MFAUsed":"Yes""#, r#""MFAUsed":"YES""#);
        assert!(fires(&ConsoleLoginFailedMfaChallenge, &upper));
    }

    #[test]
    fn ignores_failures_without_mfa() {
        for mfa in [
            r#""MFAUsed":"No""#,
            r#""MFAUsed":"""#,
            r#""MFAUsed":null"#,
            r#""Other":"Yes""#,
        ] {
            let rec = MFA_FAIL.replace(r#""MFAUsed":"Yes""#, mfa);
            assert!(!fires(&ConsoleLoginFailedMfaChallenge, &rec), "{mfa}");
        }
        let no_data = MFA_FAIL.replace(
            r#"{"LoginTo":"https://console.aws.amazon.com/console/home","MobileVersion":"No","MFAUsed":"Yes"}"#,
            "null",
        );
        assert!(!fires(&ConsoleLoginFailedMfaChallenge, &no_data));
    }

    #[test]
    fn ignores_other_failures_and_successes() {
        let no_message = MFA_FAIL.replace(r#""errorMessage":"Failed authentication","#, "");
        assert!(!fires(&ConsoleLoginFailedMfaChallenge, &no_message));
        let unknown = MFA_FAIL.replace(
            "Failed authentication",
            "No username found in supplied account",
        );
        assert!(!fires(&ConsoleLoginFailedMfaChallenge, &unknown));
        let success = MFA_FAIL
            .replace(r#""errorMessage":"Failed authentication","#, "")
            .replace(r#""ConsoleLogin":"Failure""#, r#""ConsoleLogin":"Success""#);
        assert!(!fires(&ConsoleLoginFailedMfaChallenge, &success));
    }

    #[test]
    fn ignores_other_events() {
        let check = MFA_FAIL.replace(r#""eventName":"ConsoleLogin""#, r#""eventName":"CheckMfa""#);
        assert!(!fires(&ConsoleLoginFailedMfaChallenge, &check));
    }

    #[test]
    fn the_pattern_is_a_json_object() {
        let Trigger::Events {
            detail_pattern: Some(p),
            ..
        } = META.triggers[0]
        else {
            panic!("expected a detail pattern");
        };
        let v: serde_json::Value = serde_json::from_str(p).expect("valid JSON");
        assert!(v.is_object());
    }
}
