//! More than ten failed console sign-ins with MFA involved for one user within five
//! minutes (Splunk's `count > 10`): repeated MFA prompts or code guessing.
//!
//! Decisions: a record counts when `common::failed_console_login` reads it as a
//! failure and `additionalEventData.MFAUsed` is `Yes` (the password step passed or
//! MFA was attempted). Each record counts once (by `eventID`). The seed's
//! `console-login-failed-mfa-challenge` fires on each such failure; this one on a
//! sustained run of them.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, Repeats, Countable, WindowSpec};
use crate::detections::common::{failed_console_login, failed_login_per_user};
use crate::event::Record;

pub struct ConsoleMfaFailuresForUser;

pub static META: Meta = Meta {
    id: "console-mfa-failures-for-user",
    title: "AWS Multiple Failed MFA Requests For User",
    description: "One user failed the MFA step of the console sign-in more than ten times within \
                  five minutes. Someone who knows the password is guessing codes or flooding \
                  the user with MFA requests until one is accepted.",
    severity: Severity::High,
    attack: &["T1621", "T1110"],
    origins: &["Splunk ESCU aws_multiple_failed_mfa_requests_for_user.yml"],
    group: "discovery",
    false_positives: &["A user whose MFA device clock drifted, retrying again and again."],
    next_steps: "Treat the user's password as known to an attacker: reset it, check the MFA \
                 devices registered to the user, and review the source addresses of the attempts.",
    evidence: "console_login error_code error_message login_to mfa_used source_ip unknown_user \
        user_name",
    triggers: &[Trigger::write("signin.amazonaws.com", &["ConsoleLogin"])],
    window: Some(WindowSpec::Distinct {
        window_secs: 300,
        min_distinct: 11,
        repeats: Repeats::Always,
        values: Countable::Open,
    }),
};

impl Detection for ConsoleMfaFailuresForUser {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        let failed = failed_console_login(rec)?;
        if !failed.mfa_used {
            return None;
        }
        failed_login_per_user(rec, &failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::eval;

    fn login(mfa: &str, result: &str) -> String {
        format!(
            r#"{{"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","eventID":"ev-7",
            "eventTime":"2026-06-02T10:00:01Z","recipientAccountId":"444455556666","sourceIPAddress":"192.0.2.77",
            "userAgent":"Mozilla/5.0","errorMessage":"Failed authentication",
            "userIdentity":{{"type":"Root","accountId":"444455556666","userName":"root-admin"}},
            "responseElements":{{"ConsoleLogin":"{result}"}},"additionalEventData":{{"MFAUsed":"{mfa}"}}}}"#
        )
    }

    #[test]
    fn an_mfa_failure_counts_for_its_user() {
        match eval(&ConsoleMfaFailuresForUser, &login("Yes", "Failure")) {
            Some(Signal::Distinct { group, value, .. }) => {
                assert_eq!(group, "444455556666|root-admin");
                assert_eq!(value, "ev-7");
            }
            other => panic!("expected Distinct, got {other:?}"),
        }
    }

    #[test]
    fn failures_without_mfa_and_successes_are_ignored() {
        assert_eq!(eval(&ConsoleMfaFailuresForUser, &login("No", "Failure")), None);
        let ok = login("Yes", "Success").replace(r#""errorMessage":"Failed authentication","#, "");
        assert_eq!(eval(&ConsoleMfaFailuresForUser, &ok), None);
        let no_data = login("Yes", "Failure").replace(r#","additionalEventData":{"MFAUsed":"Yes"}"#, "");
        assert_eq!(eval(&ConsoleMfaFailuresForUser, &no_data), None);
    }
}
