//! Failed console sign-ins in five or more accounts from one source address within
//! ten minutes: password spraying spread over an organisation's accounts.
//!
//! Decisions: the per-account detections (`console-login-spray-from-ip`,
//! `console-failed-logins-from-ip`) count within one account, so a spray that
//! tries a few user names in each of many accounts stays under both (from a
//! review). This one counts the accounts, whatever the user names: people rarely
//! fail to sign in to five accounts from one address in ten minutes, since a
//! team's console access goes through IAM Identity Center, whose failures are the
//! portal's, not `ConsoleLogin`s in the member accounts. A failure is what
//! `common::failed_console_login` says (unknown user names and root included); the
//! account is the record's (`recipientAccountId`, else the identity's); an IPv6
//! source counts as its `/64` (`common::source_network`). It needs the
//! organisation's sign-in events in one place: the organisation-wide deployment
//! (docs/organization.md), or a replay of an organisation trail.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, Repeats, Countable, WindowSpec};
use crate::detections::common::{failed_console_login, source_network};
use crate::event::Record;

pub struct ConsoleLoginSprayAcrossAccounts;

pub static META: Meta = Meta {
    id: "console-login-spray-across-accounts",
    title: "AWS Console Sign-In Failures Across Accounts From One Address",
    description: "Console sign-ins failed in five or more accounts from one IP address within \
                  ten minutes. Trying a few user names in each of many accounts keeps every \
                  account under its own spraying thresholds; the spread is the signature.",
    severity: Severity::Medium,
    attack: &["T1110", "T1110.003"],
    origins: &["trailwatch (a review of the sign-in detections)"],
    group: "discovery",
    false_positives: &[
        "An administrator behind one address signing in to many accounts with IAM users, \
         mistyping the same stale password in each.",
        "A sign-in test suite run against several accounts.",
    ],
    next_steps: "List the accounts and user names tried from the address, and every successful \
                 sign-in from it in the same hours. Treat a success as a compromised user. \
                 Block the address at the edge if it is not yours, and move the accounts' \
                 people to IAM Identity Center with MFA.",
    evidence: "account_id console_login error_code error_message login_to mfa_used unknown_user \
        user_name",
    triggers: &[Trigger::write("signin.amazonaws.com", &["ConsoleLogin"])],
    window: Some(WindowSpec::Distinct {
        window_secs: 600,
        min_distinct: 5,
        repeats: Repeats::Always,
        values: Countable::Open,
    }),
};

impl Detection for ConsoleLoginSprayAcrossAccounts {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        let failed = failed_console_login(rec)?;
        let ip = source_network(rec)?;
        let account = rec.account_id()?;
        Some(Signal::Distinct {
            group: ip,
            value: account.to_owned(),
            evidence: failed.failure_evidence(rec).with("account_id", account),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::eval;

    fn login(account: &str, ip: &str, result: &str) -> String {
        format!(
            r#"{{"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","eventID":"ev-7",
            "eventTime":"2026-06-02T10:00:01Z","recipientAccountId":"{account}","sourceIPAddress":"{ip}",
            "userAgent":"Mozilla/5.0","errorMessage":"Failed authentication",
            "userIdentity":{{"type":"IAMUser","accountId":"{account}","userName":"admin"}},
            "responseElements":{{"ConsoleLogin":"{result}"}}}}"#
        )
    }

    #[test]
    fn the_account_is_the_counted_value_per_address() {
        match eval(
            &ConsoleLoginSprayAcrossAccounts,
            &login("111122223333", "2001:db8:1:2:3:4:5:6", "Failure"),
        ) {
            Some(Signal::Distinct {
                group,
                value,
                evidence,
            }) => {
                assert_eq!(group, "2001:db8:1:2::/64");
                assert_eq!(value, "111122223333");
                assert!(format!("{evidence:?}").contains("111122223333"), "{evidence:?}");
            }
            other => panic!("expected Distinct, got {other:?}"),
        }
    }

    #[test]
    fn successes_and_records_without_an_account_or_address_are_ignored() {
        let ok = login("111122223333", "198.51.100.9", "Success")
            .replace(r#""errorMessage":"Failed authentication","#, "");
        assert_eq!(eval(&ConsoleLoginSprayAcrossAccounts, &ok), None);
        let nowhere = login("111122223333", "198.51.100.9", "Failure")
            .replace(r#""sourceIPAddress":"198.51.100.9","#, "");
        assert_eq!(eval(&ConsoleLoginSprayAcrossAccounts, &nowhere), None);
        let no_account = login("", "198.51.100.9", "Failure");
        assert_eq!(eval(&ConsoleLoginSprayAcrossAccounts, &no_account), None);
        let other_call = login("111122223333", "198.51.100.9", "Failure")
            .replace("ConsoleLogin\",\"eventID", "SwitchRole\",\"eventID");
        assert_eq!(eval(&ConsoleLoginSprayAcrossAccounts, &other_call), None);
    }
}
