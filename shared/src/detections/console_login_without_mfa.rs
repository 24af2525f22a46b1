//! An IAM user signed in to the console with a password alone (`ConsoleLogin`
//! succeeded with `additionalEventData.MFAUsed` = `No`), the first time for that user
//! in 7 days.
//!
//! Decisions: IAM users only, as Elastic does. Roles and federated users sign in
//! through an identity provider or `GetSigninToken`, and CloudTrail writes `MFAUsed`
//! `No` for them whatever the provider checked; root has its own detection
//! (console-root-login) that reports every root sign-in with its MFA status. Sigma and
//! Splunk fire on every such sign-in; we follow Elastic's new-terms form (the user,
//! first seen in 7 days) so that a user without MFA is reported once a week, not at
//! every sign-in. In replay, each user's first single-factor sign-in fires.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, WindowSpec};
use crate::detections::common::{
    account_actor_group, console_login_evidence, successful_console_login,
};
use crate::event::Record;

pub struct ConsoleLoginWithoutMfa;

pub static META: Meta = Meta {
    id: "console-login-without-mfa",
    title: "AWS IAM User Console Login Without MFA",
    description: "An IAM user signed in to the AWS Management Console with only a password, \
                  for the first time in seven days. A stolen or guessed password is then \
                  enough to take over the user; console access without MFA is how many cloud \
                  intrusions start.",
    severity: Severity::Medium,
    attack: &["T1078.004"],
    origins: &[
        "Elastic detection-rules initial_access_iam_user_console_login_without_mfa.toml",
        "SigmaHQ rules/cloud/aws/cloudtrail/aws_cloudtrail_console_login_success_without_mfa.yml",
        "Splunk ESCU detections/cloud/aws_successful_single_factor_authentication.yml",
        "trailwatch: based on Stratus Red Team aws.initial-access.console-login-without-mfa",
    ],
    group: "identity-abuse",
    false_positives: &[
        "Users in accounts that do not enforce MFA yet; break-glass users by design.",
    ],
    next_steps: "Confirm the sign-in with the user (address, time, browser). Require MFA for the \
                 user (a policy that denies actions without aws:MultiFactorAuthPresent), and if \
                 the sign-in is not theirs, reset the password and review the session's activity.",
    evidence: "identity_type login_to mfa_used source_ip user_name",
    triggers: &[Trigger::write("signin.amazonaws.com", &["ConsoleLogin"])],
    window: Some(WindowSpec::FirstSeen { days: 7 }),
};

impl Detection for ConsoleLoginWithoutMfa {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !successful_console_login(rec)
            || rec.identity_type() != Some("IAMUser")
            || !rec
                .additional_data_str("MFAUsed")
                .is_some_and(|m| m.eq_ignore_ascii_case("No"))
        {
            return None;
        }
        Some(Signal::FirstSeen {
            term: account_actor_group(rec),
            evidence: console_login_evidence(rec),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::eval;

    const LOGIN: &str = r#"{"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin",
        "eventType":"AwsConsoleSignIn","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.12",
        "recipientAccountId":"111122223333",
        "userAgent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
        "userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLEUSER","arn":"arn:aws:iam::111122223333:user/dana",
          "accountId":"111122223333","userName":"dana"},
        "requestParameters":null,"responseElements":{"ConsoleLogin":"Success"},
        "additionalEventData":{"LoginTo":"https://console.aws.amazon.com/console/home","MobileVersion":"No","MFAUsed":"No"}}"#;

    #[test]
    fn a_single_factor_sign_in_is_a_term_of_the_user() {
        match eval(&ConsoleLoginWithoutMfa, LOGIN) {
            Some(Signal::FirstSeen { term, evidence }) => {
                assert_eq!(term, "111122223333|arn:aws:iam::111122223333:user/dana");
                assert_eq!(evidence.get("user_name").and_then(|v| v.as_str()), Some("dana"));
                assert_eq!(evidence.get("mfa_used").and_then(|v| v.as_str()), Some("No"));
            }
            other => panic!("expected a first-seen term, got {other:?}"),
        }
    }

    #[test]
    fn mfa_failures_and_other_identities_are_ignored() {
        let with_mfa = LOGIN.replace(r#""MFAUsed":"No""#, r#""MFAUsed":"Yes""#);
        assert_eq!(eval(&ConsoleLoginWithoutMfa, &with_mfa), None);
        let unknown = LOGIN.replace(r#","MFAUsed":"No""#, "");
        assert_eq!(eval(&ConsoleLoginWithoutMfa, &unknown), None);
        let failed = LOGIN
            .replace(r#"{"ConsoleLogin":"Success"}"#, r#"{"ConsoleLogin":"Failure"}"#)
            .replace(
                "\"requestParameters\"",
                r#""errorMessage":"Failed authentication","requestParameters""#,
            );
        assert_eq!(eval(&ConsoleLoginWithoutMfa, &failed), None);
        for kind in ["Root", "AssumedRole", "FederatedUser"] {
            let other = LOGIN.replace(r#""type":"IAMUser""#, &format!(r#""type":"{kind}""#));
            assert_eq!(eval(&ConsoleLoginWithoutMfa, &other), None, "{kind}");
        }
    }
}
