//! Ten or more failed console sign-ins as the root user of one account within ten
//! minutes.
//!
//! Decisions: Elastic's threshold rule counts failed root `ConsoleLogin` events per
//! account (10 per rule run); we count them in a sliding 10-minute window per account.
//! Each failed attempt is counted once, by its `eventID` (records without one are
//! counted by time and source address). Failures are read as the failed-login
//! detections read them (`responseElements.ConsoleLogin` = `Failure`, or an error).

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, Repeats, Countable, WindowSpec};
use crate::detections::common::failed_console_login;
use crate::event::Record;

pub struct RootConsoleBruteForce;

pub static META: Meta = Meta {
    id: "root-console-brute-force",
    title: "AWS Management Console Brute Force of Root User Identity",
    description: "Many failed console sign-ins as the root user of one account in a short \
                  time: someone is guessing the root password (or its MFA code). Root is the \
                  one identity no policy can restrict, so an attempt to take it over deserves \
                  attention even before it succeeds.",
    severity: Severity::High,
    attack: &["T1110", "T1110.001"],
    origins: &["Elastic detection-rules credential_access_root_console_failure_brute_force.toml"],
    group: "signin-failures",
    false_positives: &["The account owner repeatedly mistyping a forgotten root password."],
    next_steps: "Check the source addresses in the evidence and whether any root sign-in \
                 succeeded afterwards. Make sure root has a strong password and MFA, ask the \
                 owner, and block the sources if the attempts go on.",
    evidence: "console_login error_code error_message login_to mfa_used source_ip unknown_user \
        user_name",
    triggers: &[Trigger::write("signin.amazonaws.com", &["ConsoleLogin"])],
    window: Some(WindowSpec::Distinct {
        window_secs: 600,
        min_distinct: 10,
        repeats: Repeats::Always,
        values: Countable::Open,
    }),
};

impl Detection for RootConsoleBruteForce {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        let failed = failed_console_login(rec)?;
        if rec.identity_type() != Some("Root") {
            return None;
        }
        let attempt = match rec.call_id() {
            Some(id) => id.to_owned(),
            None => format!(
                "{}|{}",
                rec.event_time.as_deref().unwrap_or(""),
                rec.source_ip().unwrap_or("")
            ),
        };
        Some(Signal::Distinct {
            group: rec.account_id().unwrap_or("unknown").to_owned(),
            value: attempt,
            evidence: failed.failure_evidence(rec).with_opt("source_ip", rec.source_ip()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::eval;

    const FAILED: &str = r#"{"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin",
        "eventID":"0b8f8f1e-0000-4000-8000-000000000001","eventTime":"2026-05-02T03:04:05Z",
        "eventType":"AwsConsoleSignIn","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.201",
        "recipientAccountId":"111122223333","userAgent":"Mozilla/5.0",
        "userIdentity":{"type":"Root","principalId":"111122223333","arn":"arn:aws:iam::111122223333:root",
          "accountId":"111122223333","accessKeyId":""},
        "errorMessage":"Failed authentication",
        "requestParameters":null,"responseElements":{"ConsoleLogin":"Failure"},
        "additionalEventData":{"LoginTo":"https://console.aws.amazon.com/console/home","MobileVersion":"No","MFAUsed":"No"}}"#;

    #[test]
    fn a_failed_root_sign_in_counts_per_account() {
        match eval(&RootConsoleBruteForce, FAILED) {
            Some(Signal::Distinct { group, value, evidence }) => {
                assert_eq!(group, "111122223333");
                assert_eq!(value, "0b8f8f1e-0000-4000-8000-000000000001");
                assert_eq!(
                    evidence.get("source_ip").and_then(|v| v.as_str()),
                    Some("198.51.100.201")
                );
            }
            other => panic!("expected a Distinct observation, got {other:?}"),
        }
        let no_id = FAILED.replace(r#""eventID":"0b8f8f1e-0000-4000-8000-000000000001","#, "");
        match eval(&RootConsoleBruteForce, &no_id) {
            Some(Signal::Distinct { value, .. }) => {
                assert_eq!(value, "2026-05-02T03:04:05Z|198.51.100.201")
            }
            other => panic!("expected a Distinct observation, got {other:?}"),
        }
    }

    #[test]
    fn successes_and_other_identities_do_not_count() {
        let ok = FAILED
            .replace(r#""errorMessage":"Failed authentication","#, "")
            .replace(r#"{"ConsoleLogin":"Failure"}"#, r#"{"ConsoleLogin":"Success"}"#);
        assert_eq!(eval(&RootConsoleBruteForce, &ok), None);
        let user = FAILED.replace(r#""type":"Root""#, r#""type":"IAMUser""#);
        assert_eq!(eval(&RootConsoleBruteForce, &user), None);
        let other = FAILED.replace("\"ConsoleLogin\",", "\"CheckMfa\",");
        assert_eq!(eval(&RootConsoleBruteForce, &other), None);
    }
}
