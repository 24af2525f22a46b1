//! More than twenty failed console sign-ins for one IAM user within ten minutes.
//!
//! Decisions: a failure is what `common::failed_console_login` says (the seed's
//! failed-login detections use the same reading). Each record counts once (by
//! `eventID`), whatever its source address: a distributed guess of one user's
//! password is caught too. Sign-ins with an unknown or hidden user name are left to
//! the per-address detections. The root user is left to `root-console-brute-force`,
//! which counts root failures at a lower threshold (before a review, root's
//! failures, which the shared reading names `root`, fired both). The seed detections fire on every single failure; this one says
//! that a user is under sustained attack.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, Repeats, Countable, WindowSpec};
use crate::detections::common::{failed_console_login, failed_login_per_user};
use crate::event::Record;

pub struct ConsoleFailedLoginsForUser;

pub static META: Meta = Meta {
    id: "console-failed-logins-for-user",
    title: "AWS High Number Of Failed Authentications For User",
    description: "One IAM user failed to sign in to the console more than \
                  twenty times within ten minutes. Nobody mistypes a password that often: it is \
                  a password-guessing attack on that user, or a broken script hammering the \
                  sign-in page.",
    severity: Severity::Medium,
    attack: &["T1110", "T1110.001"],
    origins: &["Splunk ESCU aws_high_number_of_failed_authentications_for_user.yml"],
    group: "discovery",
    false_positives: &[
        "A password manager or saved browser password that is out of date and retried.",
        "A user locked out by a recent password change retrying many times.",
    ],
    next_steps: "Check the source addresses and user agents of the failures and whether any \
                 sign-in for the user succeeded afterwards. Make sure the user has MFA, reset \
                 the password if a success followed, and block the addresses if they are foreign.",
    evidence: "console_login error_code error_message login_to mfa_used source_ip unknown_user \
        user_name",
    triggers: &[Trigger::write("signin.amazonaws.com", &["ConsoleLogin"])],
    window: Some(WindowSpec::Distinct {
        window_secs: 600,
        min_distinct: 21,
        repeats: Repeats::Always,
        values: Countable::Open,
    }),
};

impl Detection for ConsoleFailedLoginsForUser {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.identity_type() == Some("Root") {
            return None;
        }
        let failed = failed_console_login(rec)?;
        failed_login_per_user(rec, &failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::eval;

    fn login(user: &str, result: &str, message: &str) -> String {
        format!(
            r#"{{"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","eventID":"ev-{user}-1",
            "eventTime":"2026-06-02T10:00:01Z","recipientAccountId":"111122223333","sourceIPAddress":"203.0.113.5",
            "userAgent":"Mozilla/5.0","errorMessage":{message},
            "userIdentity":{{"type":"IAMUser","accountId":"111122223333","userName":"{user}"}},
            "responseElements":{{"ConsoleLogin":"{result}"}},"additionalEventData":{{"MFAUsed":"No"}}}}"#
        )
    }

    /// Root's failures are `root-console-brute-force`'s alone.
    #[test]
    fn root_is_left_to_the_root_detection() {
        let root = login("x", "Failure", r#""Failed authentication""#).replace(
            r#"{"type":"IAMUser","accountId":"111122223333","userName":"x"}"#,
            r#"{"type":"Root","principalId":"111122223333","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333"}"#,
        );
        assert!(root.contains("\"Root\""));
        assert_eq!(eval(&ConsoleFailedLoginsForUser, &root), None);
    }

    #[test]
    fn a_failure_counts_once_per_record_for_its_user() {
        match eval(
            &ConsoleFailedLoginsForUser,
            &login("maria", "Failure", r#""Failed authentication""#),
        ) {
            Some(Signal::Distinct { group, value, .. }) => {
                assert_eq!(group, "111122223333|maria");
                assert_eq!(value, "ev-maria-1");
            }
            other => panic!("expected Distinct, got {other:?}"),
        }
    }

    #[test]
    fn a_record_without_event_id_still_counts() {
        let no_id = login("maria", "Failure", r#""Failed authentication""#)
            .replace(r#""eventID":"ev-maria-1","#, "");
        assert!(matches!(
            eval(&ConsoleFailedLoginsForUser, &no_id),
            Some(Signal::Distinct { .. })
        ));
    }

    #[test]
    fn successes_and_unknown_users_are_not_counted() {
        assert_eq!(eval(&ConsoleFailedLoginsForUser, &login("maria", "Success", "null")), None);
        let unknown = login(
            "HIDDEN_DUE_TO_SECURITY_REASONS",
            "Failure",
            r#""No username found in supplied account""#,
        );
        assert_eq!(eval(&ConsoleFailedLoginsForUser, &unknown), None);
        let no_user = login("x", "Failure", r#""Failed authentication""#).replace(r#","userName":"x""#, "");
        assert_eq!(eval(&ConsoleFailedLoginsForUser, &no_user), None);
        let other = login("maria", "Failure", r#""Failed authentication""#)
            .replace(r#""eventName":"ConsoleLogin""#, r#""eventName":"CheckMfa""#);
        assert_eq!(eval(&ConsoleFailedLoginsForUser, &other), None);
    }
}
