//! A successful Management Console sign-in as the account's root user.
//!
//! Decision: every successful root sign-in fires, with or without MFA (the evidence
//! says which): AWS's own guidance is to keep the root user for the few tasks that need
//! it, so each use deserves a look. Failed root sign-ins belong to the failed-login
//! detections and to root-console-brute-force.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{console_login_evidence, successful_console_login};
use crate::event::Record;

pub struct ConsoleRootLogin;

pub static META: Meta = Meta {
    id: "console-root-login",
    title: "AWS Management Console Root Login",
    description: "Someone signed in to the AWS Management Console as the root user. Root \
                  holds every permission in the account, cannot be limited by IAM policies and \
                  is rarely needed; an unexpected root sign-in often means its password (and \
                  perhaps its MFA) has been compromised.",
    severity: Severity::High,
    attack: &["T1078.004"],
    origins: &["Elastic detection-rules initial_access_console_login_root.toml"],
    group: "identity-abuse",
    false_positives: &[
        "The account owner doing one of the tasks that require root (billing, account \
         settings, closing the account), ideally announced beforehand.",
    ],
    next_steps: "Ask the owner of the root credentials whether they signed in, from this \
                 address and at this time. If not, reset the root password, check and reset \
                 its MFA, and review everything root did in the session.",
    evidence: "identity_type login_to mfa_used source_ip user_name",
    triggers: &[Trigger::write("signin.amazonaws.com", &["ConsoleLogin"])],
    window: None,
};

impl Detection for ConsoleRootLogin {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !successful_console_login(rec) || rec.identity_type() != Some("Root") {
            return None;
        }
        fire(console_login_evidence(rec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::{eval, fires};

    const ROOT: &str = r#"{"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin",
        "eventType":"AwsConsoleSignIn","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.44",
        "userAgent":"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        "userIdentity":{"type":"Root","principalId":"111122223333","arn":"arn:aws:iam::111122223333:root",
          "accountId":"111122223333","accessKeyId":""},
        "requestParameters":null,"responseElements":{"ConsoleLogin":"Success"},
        "additionalEventData":{"LoginTo":"https://console.aws.amazon.com/console/home","MobileVersion":"No","MFAUsed":"Yes"}}"#;

    #[test]
    fn a_root_sign_in_fires_with_or_without_mfa() {
        match eval(&ConsoleRootLogin, ROOT) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("mfa_used").and_then(|v| v.as_str()), Some("Yes"));
                assert_eq!(e.get("identity_type").and_then(|v| v.as_str()), Some("Root"));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(fires(&ConsoleRootLogin, &ROOT.replace(r#""MFAUsed":"Yes""#, r#""MFAUsed":"No""#)));
        let no_extra = ROOT.replace(
            r#"{"LoginTo":"https://console.aws.amazon.com/console/home","MobileVersion":"No","MFAUsed":"Yes"}"#,
            "null",
        );
        assert!(fires(&ConsoleRootLogin, &no_extra));
    }

    #[test]
    fn failures_and_other_identities_do_not_fire() {
        let failed = ROOT
            .replace(r#"{"ConsoleLogin":"Success"}"#, r#"{"ConsoleLogin":"Failure"}"#)
            .replace(
                "\"requestParameters\"",
                r#""errorMessage":"Failed authentication","requestParameters""#,
            );
        assert!(!fires(&ConsoleRootLogin, &failed));
        let user = ROOT.replace(r#""type":"Root""#, r#""type":"IAMUser""#);
        assert!(!fires(&ConsoleRootLogin, &user));
        let no_identity = ROOT.replace(r#""type":"Root","#, "");
        assert!(!fires(&ConsoleRootLogin, &no_identity));
        let no_result = ROOT.replace(r#"{"ConsoleLogin":"Success"}"#, "null");
        assert!(!fires(&ConsoleRootLogin, &no_result));
        let other = ROOT.replace("\"ConsoleLogin\",", "\"CheckMfa\",");
        assert!(!fires(&ConsoleRootLogin, &other));
    }
}
