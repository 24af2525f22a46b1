//! One principal's console session seen from two or more IP addresses within five
//! minutes (AWS Health `DescribeEventAggregates`, which the console home page calls).
//! An IPv6 address counts as its /64 (`common::source_network`).

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, Repeats, Countable, WindowSpec};
use crate::detections::common::{account_actor_group, source_ip_normalized, source_network};
use crate::event::Record;

pub struct ConcurrentSessionsDifferentIps;

pub static META: Meta = Meta {
    id: "concurrent-sessions-different-ips",
    title: "AWS Concurrent Sessions From Different Ips",
    description: "The same principal loaded the AWS console from two or more different IP \
                  addresses within five minutes. The console home page queries AWS Health on \
                  every load, so this points at a session cookie replayed from a second place, \
                  as adversary-in-the-middle phishing kits do.",
    severity: Severity::Medium,
    attack: &["T1185"],
    origins: &["Splunk ESCU detections/cloud/aws_concurrent_sessions_from_different_ips.yml \
             (51c04fdb-2746-465a-b86e-b413a09c9085)"],
    group: "correlation",
    false_positives: &[
        "One person using the console from two devices or networks at once (laptop and phone).",
        "A VPN reconnect or a switch between IPv4 and IPv6 during a session.",
        "Corporate egress through a pool of NAT addresses.",
    ],
    next_steps: "Ask the principal whether every listed address is theirs. If not, revoke the \
                 role's or user's active sessions, reset the credentials and MFA, and review \
                 what the session did from the unknown address.",
    evidence: "addresses region user_agent",
    triggers: &[Trigger::Events {
        source: "health.amazonaws.com",
        names: &["DescribeEventAggregates"],
        read_only: true,
        data_event: false,
        detail_pattern: None,
    }],
    window: Some(WindowSpec::Distinct {
        window_secs: 300,
        min_distinct: 2,
        repeats: Repeats::OnlyNew,
        values: Countable::Open,
    }),
};

impl Detection for ConcurrentSessionsDifferentIps {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "health.amazonaws.com"
            || rec.event_name() != "DescribeEventAggregates"
        {
            return None;
        }
        // `AWS Internal` and service names are not a client's address: ignored.
        // An IPv6 address counts as its /64, as in the other per-address
        // windows: a laptop takes a new temporary address in its /64 while an
        // old tab keeps the previous one (from a review: one medium each time).
        let ip = source_network(rec)?;
        Some(Signal::Distinct {
            group: account_actor_group(rec),
            value: ip,
            // The address itself, which the /64 counted stands for: the next
            // steps ask whether every listed address is the principal's.
            evidence: Evidence::new()
                .with_opt("addresses", source_ip_normalized(rec))
                .with_opt("user_agent", rec.user_agent())
                .with_opt("region", rec.region()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::eval;

    fn record(identity: &str, ip: &str) -> String {
        format!(
            r#"{{"eventSource":"health.amazonaws.com","eventName":"DescribeEventAggregates",
            "eventTime":"2026-03-02T09:15:00Z","awsRegion":"us-east-1","recipientAccountId":"111122223333",
            "sourceIPAddress":"{ip}","userAgent":"Mozilla/5.0 (X11; Linux x86_64)",
            "userIdentity":{identity},"requestParameters":{{"aggregateField":"eventTypeCategory"}},
            "responseElements":null}}"#
        )
    }

    const ROLE: &str = r#"{"type":"AssumedRole","principalId":"AROAEXAMPLEROLEID:dana",
        "arn":"arn:aws:sts::111122223333:assumed-role/Operators/dana","accountId":"111122223333",
        "sessionContext":{"sessionIssuer":{"type":"Role","userName":"Operators"}}}"#;
    const USER: &str = r#"{"type":"IAMUser","principalId":"AIDAEXAMPLEUSERID","accountId":"111122223333",
        "arn":"arn:aws:iam::111122223333:user/erin","userName":"erin"}"#;

    fn distinct(sig: Option<Signal>) -> (String, String, Evidence) {
        match sig {
            Some(Signal::Distinct {
                group,
                value,
                evidence,
            }) => (group, value, evidence),
            other => panic!("expected a Distinct observation, got {other:?}"),
        }
    }

    #[test]
    fn counts_the_source_ip_per_account_and_session_arn() {
        let (group, value, evidence) = distinct(eval(
            &ConcurrentSessionsDifferentIps,
            &record(ROLE, "198.51.100.23"),
        ));
        assert_eq!(
            group,
            "111122223333|arn:aws:sts::111122223333:assumed-role/Operators/dana"
        );
        assert_eq!(value, "198.51.100.23");
        assert_eq!(
            evidence.get("addresses").and_then(|v| v.as_str()),
            Some("198.51.100.23")
        );
        assert_eq!(
            evidence.get("user_agent").and_then(|v| v.as_str()),
            Some("Mozilla/5.0 (X11; Linux x86_64)")
        );
    }

    #[test]
    fn groups_an_iam_user_by_its_arn() {
        let (group, value, _) = distinct(eval(
            &ConcurrentSessionsDifferentIps,
            &record(USER, "203.0.113.9"),
        ));
        assert_eq!(group, "111122223333|arn:aws:iam::111122223333:user/erin");
        assert_eq!(value, "203.0.113.9");
    }

    #[test]
    fn one_address_written_two_ways_gives_one_value() {
        let a = distinct(eval(
            &ConcurrentSessionsDifferentIps,
            &record(USER, "2001:DB8::7"),
        ));
        let b = distinct(eval(
            &ConcurrentSessionsDifferentIps,
            &record(USER, "2001:db8:0:0::7"),
        ));
        assert_eq!(a.1, "2001:db8::/64");
        assert_eq!(a.1, b.1);
        // A temporary address of the same /64 is the same place; another /64 is not.
        let temporary = distinct(eval(
            &ConcurrentSessionsDifferentIps,
            &record(USER, "2001:db8::a9c3:11ff:fe22:7"),
        ));
        assert_eq!(temporary.1, a.1);
        let elsewhere = distinct(eval(
            &ConcurrentSessionsDifferentIps,
            &record(USER, "2001:db8:0:1::7"),
        ));
        assert_ne!(elsewhere.1, a.1);
        let c = distinct(eval(
            &ConcurrentSessionsDifferentIps,
            &record(USER, "::ffff:192.0.2.44"),
        ));
        assert_eq!(c.1, "192.0.2.44");
    }

    #[test]
    fn falls_back_to_principal_id_without_arn() {
        let identity = r#"{"type":"AssumedRole","principalId":"AROAEXAMPLEROLEID:dana","accountId":"111122223333"}"#;
        let (group, _, _) = distinct(eval(
            &ConcurrentSessionsDifferentIps,
            &record(identity, "192.0.2.1"),
        ));
        assert_eq!(group, "111122223333|AROAEXAMPLEROLEID:dana");
    }

    #[test]
    fn ignores_sources_that_are_not_ip_addresses() {
        for src in ["AWS Internal", "health.amazonaws.com", "", "not-an-ip"] {
            assert_eq!(
                eval(&ConcurrentSessionsDifferentIps, &record(ROLE, src)),
                None,
                "{src}"
            );
        }
        let no_ip = record(ROLE, "x").replace(r#""sourceIPAddress":"x","#, "");
        assert_eq!(eval(&ConcurrentSessionsDifferentIps, &no_ip), None);
        let null_ip = record(ROLE, "x").replace(r#""x""#, "null");
        assert_eq!(eval(&ConcurrentSessionsDifferentIps, &null_ip), None);
    }

    #[test]
    fn ignores_other_events() {
        let other =
            record(ROLE, "198.51.100.23").replace("DescribeEventAggregates", "DescribeEvents");
        assert_eq!(eval(&ConcurrentSessionsDifferentIps, &other), None);
        let other_source =
            record(ROLE, "198.51.100.23").replace("health.amazonaws.com", "ec2.amazonaws.com");
        assert_eq!(eval(&ConcurrentSessionsDifferentIps, &other_source), None);
    }

    #[test]
    fn tolerates_a_record_without_identity_or_account() {
        let json = r#"{"eventSource":"health.amazonaws.com","eventName":"DescribeEventAggregates",
            "sourceIPAddress":"192.0.2.10","userIdentity":null}"#;
        let (group, value, _) = distinct(eval(&ConcurrentSessionsDifferentIps, json));
        assert_eq!(group, "unknown|unknown");
        assert_eq!(value, "192.0.2.10");
    }
}
