//! Failed console sign-ins for ten or more different user names from one source
//! address within five minutes: password spraying.
//!
//! Decisions: user names are counted as written (case-sensitive, as IAM compares
//! them); every unknown user name is hidden by CloudTrail as the same placeholder,
//! so all of them count as one name. A failure is what `common::failed_console_login`
//! says. An IPv6 source counts as its `/64` (`common::source_network`).

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, Repeats, Countable, WindowSpec};
use crate::detections::common::{failed_console_login, signin_user, source_network};
use crate::event::Record;

pub struct ConsoleLoginSprayFromIp;

pub static META: Meta = Meta {
    id: "console-login-spray-from-ip",
    title: "AWS Multiple Users Failing To Authenticate From Ip",
    description: "Console sign-ins for ten or more different users failed from one IP address \
                  within five minutes. Trying one or two common passwords against many users \
                  (password spraying) avoids per-user lockouts; this is its signature.",
    severity: Severity::Medium,
    attack: &["T1110", "T1110.003"],
    origins: &["Splunk ESCU aws_multiple_users_failing_to_authenticate_from_ip.yml"],
    group: "discovery",
    false_positives: &[
        "A shared office or VPN address during a password-rotation day.",
        "A sign-in test suite cycling through test users.",
    ],
    next_steps: "List the user names tried from the address and check every later successful \
                 sign-in of those users. Enforce MFA on them, and block the address if it is not \
                 yours.",
    evidence: "console_login error_code error_message login_to mfa_used unknown_user user_name",
    triggers: &[Trigger::write("signin.amazonaws.com", &["ConsoleLogin"])],
    window: Some(WindowSpec::Distinct {
        window_secs: 300,
        min_distinct: 10,
        repeats: Repeats::Always,
        values: Countable::Open,
    }),
};

impl Detection for ConsoleLoginSprayFromIp {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        let failed = failed_console_login(rec)?;
        let ip = source_network(rec)?;
        let user = signin_user(rec)?;
        Some(Signal::Distinct {
            group: format!("{}|{ip}", rec.account_id().unwrap_or("unknown")),
            value: user.to_owned(),
            evidence: failed.failure_evidence(rec),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::eval;

    fn login(user: &str, result: &str) -> String {
        format!(
            r#"{{"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","eventID":"ev-5",
            "eventTime":"2026-06-02T10:00:01Z","recipientAccountId":"111122223333","sourceIPAddress":"198.51.100.9",
            "userAgent":"python-requests/2.31.0","errorMessage":"Failed authentication",
            "userIdentity":{{"type":"IAMUser","accountId":"111122223333","userName":"{user}"}},
            "responseElements":{{"ConsoleLogin":"{result}"}}}}"#
        )
    }

    #[test]
    fn the_user_name_is_the_counted_value_per_address() {
        match eval(&ConsoleLoginSprayFromIp, &login("carol", "Failure")) {
            Some(Signal::Distinct { group, value, .. }) => {
                assert_eq!(group, "111122223333|198.51.100.9");
                assert_eq!(value, "carol");
            }
            other => panic!("expected Distinct, got {other:?}"),
        }
    }

    #[test]
    fn successes_and_records_without_user_are_ignored() {
        let ok = login("carol", "Success").replace(r#""errorMessage":"Failed authentication","#, "");
        assert_eq!(eval(&ConsoleLoginSprayFromIp, &ok), None);
        let no_user = login("carol", "Failure").replace(r#","userName":"carol""#, "");
        assert_eq!(eval(&ConsoleLoginSprayFromIp, &no_user), None);
        let null_identity = login("carol", "Failure").replace(
            r#"{"type":"IAMUser","accountId":"111122223333","userName":"carol"}"#,
            "null",
        );
        assert_eq!(eval(&ConsoleLoginSprayFromIp, &null_identity), None);
    }

    #[test]
    fn a_failed_root_sign_in_counts_as_the_user_root() {
        let root = login("carol", "Failure").replace(
            r#"{"type":"IAMUser","accountId":"111122223333","userName":"carol"}"#,
            r#"{"type":"Root","principalId":"111122223333","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333"}"#,
        );
        match eval(&ConsoleLoginSprayFromIp, &root) {
            Some(Signal::Distinct { value, .. }) => assert_eq!(value, "root"),
            other => panic!("expected Distinct, got {other:?}"),
        }
    }
}
