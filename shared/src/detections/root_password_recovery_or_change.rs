//! The root user's password reset through "Forgot your password?"
//! (`PasswordRecoveryRequested`, `PasswordRecoveryCompleted`) or changed
//! (`PasswordUpdated`): sign-in events of `signin.amazonaws.com`.
//!
//! Decisions: whoever controls the mailbox of the account's root address can take
//! the whole account over through password recovery, and a changed root password
//! locks the owner out; phishing campaigns aimed at root credentials end here. The
//! recovery events exist for the root user only, so they count whatever the
//! identity says (it may be sparse before sign-in); `PasswordUpdated` counts when the
//! identity is root. A step that failed (an error code, or `Failure` in the response)
//! is left out. These events are not calls made as root in the sense of
//! `root-user-activity`, which leaves the sign-in service to the sign-in detections.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::caller_evidence;
use crate::event::Record;

pub struct RootPasswordRecoveryOrChange;

const SOURCE: &str = "signin.amazonaws.com";
/// The recovery steps, then the change: the trigger's names.
const NAMES: &[&str] = &[
    "PasswordRecoveryRequested",
    "PasswordRecoveryCompleted",
    "PasswordUpdated",
];
const RECOVERY: &[&str] = &[NAMES[0], NAMES[1]];
const CHANGE: &str = NAMES[2];

pub static META: Meta = Meta {
    id: "root-password-recovery-or-change",
    title: "AWS Root User Password Recovery or Change",
    description: "The root user's password was reset through the sign-in page's password \
                  recovery, or changed. Anyone who controls the root address's mailbox can \
                  take the whole account over this way, and a changed root password locks \
                  the owner out.",
    severity: Severity::High,
    attack: &["T1098", "T1078.004"],
    origins: &[
        "Elastic detection-rules initial_access_password_recovery.toml",
        "Panther aws_root_password_changed.yml",
    ],
    group: "identity-abuse",
    false_positives: &[
        "The owner of the root credentials recovering or rotating the password, ideally \
         announced beforehand.",
    ],
    next_steps: "Ask the owner of the root address whether they reset or changed the password. \
                 If not, recover the account through AWS (the password and the mailbox of the \
                 root address), check root's MFA devices and access keys, and review what root \
                 did after the change.",
    evidence: "error_code identity_type outcome source_ip step user_agent",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

impl Detection for RootPasswordRecoveryOrChange {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        let name = rec.event_name();
        if rec.event_source() != SOURCE || !rec.succeeded() {
            return None;
        }
        let relevant = RECOVERY.contains(&name) || (name == CHANGE && rec.identity_type() == Some("Root"));
        if !relevant {
            return None;
        }
        let outcome = rec.response_element(name).and_then(|v| v.as_str());
        if outcome.is_some_and(|o| o.trim().eq_ignore_ascii_case("failure")) {
            return None;
        }
        fire(
            caller_evidence(rec)
                .with("step", name)
                .with_opt("identity_type", rec.identity_type())
                .with_opt("outcome", outcome),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::eval;

    fn record(name: &str, identity_type: &str, response: &str) -> String {
        format!(
            r#"{{"eventSource":"signin.amazonaws.com","eventName":"{name}","eventType":"AwsConsoleSignIn",
            "eventTime":"2026-06-02T10:00:01Z","awsRegion":"us-east-1","recipientAccountId":"111122223333",
            "sourceIPAddress":"203.0.113.50","userAgent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
            "userIdentity":{{"type":"{identity_type}","principalId":"111122223333",
            "arn":"arn:aws:iam::111122223333:root","accountId":"111122223333"}},
            "requestParameters":null,"responseElements":{response}}}"#
        )
    }

    #[test]
    fn recovery_steps_and_root_password_changes_fire() {
        for name in ["PasswordRecoveryRequested", "PasswordRecoveryCompleted", "PasswordUpdated"] {
            let rec = record(name, "Root", &format!(r#"{{"{name}":"Success"}}"#));
            match eval(&RootPasswordRecoveryOrChange, &rec) {
                Some(Signal::Fire(e)) => assert_eq!(e.get("step").and_then(|v| v.as_str()), Some(name)),
                other => panic!("{name}: expected a finding, got {other:?}"),
            }
        }
        // Recovery happens before any sign-in: the identity may say little, or
        // anything; the event exists for root only.
        let sparse = record("PasswordRecoveryRequested", "", "null");
        assert!(eval(&RootPasswordRecoveryOrChange, &sparse).is_some());
        let odd = record("PasswordRecoveryCompleted", "IAMUser", "null");
        assert!(eval(&RootPasswordRecoveryOrChange, &odd).is_some());
    }

    #[test]
    fn failures_and_other_users_password_changes_do_not() {
        let failed = record("PasswordRecoveryRequested", "Root", r#"{"PasswordRecoveryRequested":"Failure"}"#);
        assert_eq!(eval(&RootPasswordRecoveryOrChange, &failed), None);
        let error = record("PasswordRecoveryCompleted", "Root", "null")
            .replace(r#""requestParameters""#, r#""errorMessage":"Invalid token","requestParameters""#);
        assert_eq!(eval(&RootPasswordRecoveryOrChange, &error), None);
        let code = record("PasswordUpdated", "Root", "null")
            .replace(r#""requestParameters""#, r#""errorCode":"InvalidPassword","requestParameters""#);
        assert_eq!(eval(&RootPasswordRecoveryOrChange, &code), None);
        let user = record("PasswordUpdated", "IAMUser", r#"{"PasswordUpdated":"Success"}"#);
        assert_eq!(eval(&RootPasswordRecoveryOrChange, &user), None);
        let login = record("ConsoleLogin", "Root", r#"{"ConsoleLogin":"Success"}"#);
        assert_eq!(eval(&RootPasswordRecoveryOrChange, &login), None);
    }
}
