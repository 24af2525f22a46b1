//! A failed console sign-in (`ConsoleLogin` with result `Failure`), unknown user names included.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::failed_console_login;
use crate::event::Record;

pub struct CredentialAccessFailedLogin;

pub static META: Meta = Meta {
    id: "credential-access-failed-login",
    title: "AWS Credential Access Failed Login",
    description: "A console sign-in failed: a wrong password, a failed MFA step, or a user name \
                  the account does not have. Single failures are usually typos; repeated ones \
                  for one user or from one address point to password guessing or spraying.",
    severity: Severity::Medium,
    attack: &["T1586", "T1586.003", "T1110", "T1110.001"],
    origins: &["Splunk ESCU detections/cloud/aws_credential_access_failed_login.yml \
             (a19b354d-0d7f-47f3-8ea6-1a7c36434968)"],
    group: "signin-failures",
    false_positives: &[
        "Users mistyping or forgetting their password.",
        "Someone signing in with the wrong account ID or alias, or a user that was renamed or \
         removed.",
    ],
    next_steps: "Look at how many failures the same user name and the same source address had \
                 recently, whether a successful sign-in followed from that address, and whether \
                 the address and user agent are usual for the user; for unknown user names, look \
                 for the same address trying other names.",
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

impl Detection for CredentialAccessFailedLogin {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        let failed = failed_console_login(rec)?;
        fire(failed.failure_evidence(rec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::{eval, fires};
    use crate::detections::console_login_failed_mfa_challenge::ConsoleLoginFailedMfaChallenge;
    use crate::detections::consolelogin_failed_authentication::ConsoleLoginFailedAuthentication;

    const WRONG_PASSWORD: &str = r#"{"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin",
        "eventType":"AwsConsoleSignIn",
        "userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLEUSER1","accountId":"111122223333",
            "accessKeyId":"","userName":"mira"},
        "sourceIPAddress":"198.51.100.44","userAgent":"Mozilla/5.0 (X11; Linux x86_64)",
        "errorMessage":"Failed authentication","requestParameters":null,
        "responseElements":{"ConsoleLogin":"Failure"},
        "additionalEventData":{"LoginTo":"https://console.aws.amazon.com/console/home","MobileVersion":"No","MFAUsed":"No"}}"#;

    const UNKNOWN_USER: &str = r#"{"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin",
        "userIdentity":{"type":"IAMUser","accountId":"111122223333","accessKeyId":"",
            "userName":"HIDDEN_DUE_TO_SECURITY_REASONS"},
        "sourceIPAddress":"203.0.113.5","errorMessage":"No username found in supplied account",
        "requestParameters":null,"responseElements":{"ConsoleLogin":"Failure"},
        "additionalEventData":{"MobileVersion":"No","MFAUsed":"No"}}"#;

    const SUCCESS: &str = r#"{"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin",
        "userIdentity":{"type":"Root","principalId":"111122223333","arn":"arn:aws:iam::111122223333:root",
            "accountId":"111122223333","accessKeyId":""},
        "sourceIPAddress":"198.51.100.44","requestParameters":null,
        "responseElements":{"ConsoleLogin":"Success"},
        "additionalEventData":{"MobileVersion":"No","MFAUsed":"Yes"}}"#;

    #[test]
    fn fires_on_a_wrong_password() {
        let Some(Signal::Fire(ev)) = eval(&CredentialAccessFailedLogin, WRONG_PASSWORD) else {
            panic!("expected a finding");
        };
        assert_eq!(ev.get("user_name").and_then(|v| v.as_str()), Some("mira"));
        assert_eq!(
            ev.get("error_message").and_then(|v| v.as_str()),
            Some("Failed authentication")
        );
        assert_eq!(ev.get("mfa_used").and_then(|v| v.as_str()), Some("No"));
        assert!(ev.get("unknown_user").is_none());
    }

    #[test]
    fn fires_on_an_unknown_user_name() {
        let Some(Signal::Fire(ev)) = eval(&CredentialAccessFailedLogin, UNKNOWN_USER) else {
            panic!("expected a finding");
        };
        assert_eq!(ev.get("unknown_user"), Some(&serde_json::json!(true)));
        assert_eq!(
            ev.get("error_message").and_then(|v| v.as_str()),
            Some("No username found in supplied account")
        );
    }

    #[test]
    fn fires_on_a_failure_without_an_error_message() {
        let rec = WRONG_PASSWORD.replace(r#""errorMessage":"Failed authentication","#, "");
        assert!(fires(&CredentialAccessFailedLogin, &rec));
    }

    #[test]
    fn falls_back_to_the_error_when_the_result_is_missing() {
        let rec = WRONG_PASSWORD.replace(r#"{"ConsoleLogin":"Failure"}"#, "null");
        assert!(fires(&CredentialAccessFailedLogin, &rec));
        let neither = rec.replace(r#""errorMessage":"Failed authentication","#, "");
        assert!(!fires(&CredentialAccessFailedLogin, &neither));
    }

    #[test]
    fn fires_for_root_and_an_absent_event_source() {
        let root = SUCCESS
            .replace(r#""ConsoleLogin":"Success""#, r#""ConsoleLogin":"Failure""#)
            .replace(
                r#""requestParameters":null"#,
                r#""requestParameters":null,"errorMessage":"Failed authentication""#,
            );
        assert!(fires(&CredentialAccessFailedLogin, &root));
        let no_source = WRONG_PASSWORD.replace(r#""eventSource":"signin.amazonaws.com","#, "");
        assert!(fires(&CredentialAccessFailedLogin, &no_source));
    }

    #[test]
    fn ignores_successful_sign_ins() {
        assert!(!fires(&CredentialAccessFailedLogin, SUCCESS));
        let user = SUCCESS.replace(
            r#""type":"Root","principalId":"111122223333","arn":"arn:aws:iam::111122223333:root""#,
            r#""type":"IAMUser","principalId":"AIDAEXAMPLEUSER1","arn":"arn:aws:iam::111122223333:user/mira","userName":"mira""#,
        );
        assert!(!fires(&CredentialAccessFailedLogin, &user));
        // A record that says Success wins over a stray error message.
        let odd = SUCCESS.replace(
            r#""requestParameters":null"#,
            r#""requestParameters":null,"errorMessage":"Failed authentication""#,
        );
        assert!(!fires(&CredentialAccessFailedLogin, &odd));
    }

    #[test]
    fn ignores_other_sign_in_events_and_sources() {
        for name in ["CheckMfa", "GetSigninToken", "ExternalIdPDirectoryLogin"] {
            let rec = WRONG_PASSWORD.replace(
                r#""eventName":"ConsoleLogin""#,
                &format!(r#""eventName":"{name}""#),
            );
            assert!(!fires(&CredentialAccessFailedLogin, &rec), "{name}");
        }
        let other = WRONG_PASSWORD.replace("signin.amazonaws.com", "sts.amazonaws.com");
        assert!(!fires(&CredentialAccessFailedLogin, &other));
    }

    #[test]
    fn tolerates_odd_shapes() {
        for rec in [
            r#"{"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin"}"#,
            r#"{"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","userIdentity":null,
                "responseElements":"Failure","additionalEventData":null}"#,
            r#"{"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin",
                "responseElements":{"ConsoleLogin":42},"additionalEventData":{"MFAUsed":true}}"#,
        ] {
            assert!(!fires(&CredentialAccessFailedLogin, rec), "{rec}");
        }
        let bare = r#"{"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin",
            "responseElements":{"ConsoleLogin":"Failure"},"userIdentity":null}"#;
        assert!(fires(&CredentialAccessFailedLogin, bare));
    }

    /// #17 ⊂ #18 ⊂ #22 on every shape of sign-in record.
    #[test]
    fn the_three_failed_login_detections_nest() {
        let mfa = WRONG_PASSWORD.replace(r#""MFAUsed":"No""#, r#""MFAUsed":"Yes""#);
        let cases = [
            (WRONG_PASSWORD.to_owned(), [false, true, true]),
            (mfa.clone(), [true, true, true]),
            (UNKNOWN_USER.to_owned(), [false, false, true]),
            (
                mfa.replace(r#""errorMessage":"Failed authentication","#, ""),
                [false, false, true],
            ),
            (SUCCESS.to_owned(), [false, false, false]),
        ];
        for (rec, [d17, d18, d22]) in cases {
            assert_eq!(
                fires(&ConsoleLoginFailedMfaChallenge, &rec),
                d17,
                "#17 {rec}"
            );
            assert_eq!(
                fires(&ConsoleLoginFailedAuthentication, &rec),
                d18,
                "#18 {rec}"
            );
            assert_eq!(fires(&CredentialAccessFailedLogin, &rec), d22, "#22 {rec}");
        }
    }
}
