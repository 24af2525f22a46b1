//! More than twenty failed console sign-ins from one source address within five
//! minutes, whatever the user names tried.
//!
//! Decisions: a failure is what `common::failed_console_login` says; each record
//! counts once (by `eventID`); addresses are compared in canonical form, an IPv6
//! one as its `/64` (`common::source_network`: a host may take a new address of its
//! `/64` for every attempt). Splunk's
//! "Unusual Number of Failed Authentications From Ip" asks the same question with a
//! statistical baseline we do not keep, so it is an origin of this detection.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, Repeats, Countable, WindowSpec};
use crate::detections::common::{failed_console_login, source_network, value_per_record};
use crate::event::Record;

pub struct ConsoleFailedLoginsFromIp;

pub static META: Meta = Meta {
    id: "console-failed-logins-from-ip",
    title: "AWS High Number Of Failed Authentications From Ip",
    description: "More than twenty console sign-ins failed from one IP address within five \
                  minutes. One address failing that often is brute force or password spraying \
                  against the account's users, whatever user names it tries.",
    severity: Severity::Medium,
    attack: &["T1110", "T1110.001", "T1110.003"],
    origins: &[
        "Splunk ESCU aws_high_number_of_failed_authentications_from_ip.yml",
        "Splunk ESCU aws_unusual_number_of_failed_authentications_from_ip.yml (baseline \
         replaced by the fixed threshold)",
    ],
    group: "discovery",
    false_positives: &[
        "Many people behind one corporate proxy or NAT address mistyping at the same time.",
        "A misconfigured single-sign-on or test harness retrying sign-ins.",
    ],
    next_steps: "Look up the address and the user names it tried. Check whether any sign-in \
                 from it succeeded; if so, treat that user as compromised. Block the address \
                 at the edge if it is not yours.",
    evidence: "console_login error_code error_message login_to mfa_used unknown_user user_name",
    triggers: &[Trigger::write("signin.amazonaws.com", &["ConsoleLogin"])],
    window: Some(WindowSpec::Distinct {
        window_secs: 300,
        min_distinct: 21,
        repeats: Repeats::Always,
        values: Countable::Open,
    }),
};

impl Detection for ConsoleFailedLoginsFromIp {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        let failed = failed_console_login(rec)?;
        let ip = source_network(rec)?;
        Some(Signal::Distinct {
            group: format!("{}|{ip}", rec.account_id().unwrap_or("unknown")),
            value: value_per_record(rec),
            evidence: failed.failure_evidence(rec),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::eval;

    fn login(ip: &str, user: &str, result: &str) -> String {
        format!(
            r#"{{"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","eventID":"ev-9",
            "eventTime":"2026-06-02T10:00:01Z","recipientAccountId":"111122223333","sourceIPAddress":"{ip}",
            "userAgent":"Mozilla/5.0","errorMessage":"Failed authentication",
            "userIdentity":{{"type":"IAMUser","accountId":"111122223333","userName":"{user}"}},
            "responseElements":{{"ConsoleLogin":"{result}"}}}}"#
        )
    }

    fn group(sig: Option<Signal>) -> String {
        match sig {
            Some(Signal::Distinct { group, .. }) => group,
            other => panic!("expected Distinct, got {other:?}"),
        }
    }

    #[test]
    fn failures_group_by_canonical_address_across_users() {
        let a = group(eval(&ConsoleFailedLoginsFromIp, &login("2001:DB8:0::7", "ann", "Failure")));
        let b = group(eval(&ConsoleFailedLoginsFromIp, &login("2001:db8::7", "bob", "Failure")));
        assert_eq!(a, "111122223333|2001:db8::/64");
        assert_eq!(a, b);
        // Another address of the same /64 is the same source.
        let c = group(eval(&ConsoleFailedLoginsFromIp, &login("2001:db8::8", "cy", "Failure")));
        assert_eq!(a, c);
        let unknown = login("198.51.100.3", "HIDDEN_DUE_TO_SECURITY_REASONS", "Failure");
        assert_eq!(group(eval(&ConsoleFailedLoginsFromIp, &unknown)), "111122223333|198.51.100.3");
    }

    #[test]
    fn successes_and_non_addresses_are_ignored() {
        let ok = login("198.51.100.3", "ann", "Success").replace(r#""errorMessage":"Failed authentication","#, "");
        assert_eq!(eval(&ConsoleFailedLoginsFromIp, &ok), None);
        assert_eq!(eval(&ConsoleFailedLoginsFromIp, &login("AWS Internal", "ann", "Failure")), None);
        let no_ip = login("x", "ann", "Failure").replace(r#""sourceIPAddress":"x","#, "");
        assert_eq!(eval(&ConsoleFailedLoginsFromIp, &no_ip), None);
    }
}
