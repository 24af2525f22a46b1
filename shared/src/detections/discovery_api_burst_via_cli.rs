//! More than five different discovery calls (`DISCOVERY_TRIGGERS`) by one principal
//! through the AWS CLI within ten seconds.
//!
//! Decisions: the upstream rule counts any `Describe*`/`Get*`/`List*` call of 13
//! services; a read-only rule cannot take whole services, so we count the calls of
//! the shared discovery list (identity, users and roles, buckets, instances,
//! snapshots, trails, detectors, secrets...). Denied calls count too: a script
//! probing what a stolen key may read is the same behaviour. Calls made by AWS
//! services or through the console (by agent, or a browser on a console session's
//! credentials: `common::aws_service_or_console_caller`), and calls without a
//! literal source address, are left out, as upstream does. The window slides (any ten seconds), where the
//! upstream rule uses fixed ten-second buckets. S3 calls count with their user agent
//! as CloudTrail writes it for S3, in square brackets (`aws s3 ls` is `ListBuckets`).
//! The principal is the session, as upstream counts one caller ARN: an intruder who
//! re-assumes a role every few calls splits the count (a known limit, as for
//! `discovery-sweep-by-principal`; docs/coverage.md).

use crate::detection::{Detection, Meta, Severity, Signal, Repeats, Countable, WindowSpec};
use crate::detections::common::{
    DISCOVERY_TRIGGERS, account_actor_group, caller_evidence, aws_service_or_console_caller, is_aws_cli_agent,
    is_discovery_call,
};
use crate::event::Record;
use crate::event::prefilter::Peek;

pub struct DiscoveryApiBurstViaCli;

pub static META: Meta = Meta {
    id: "discovery-api-burst-via-cli",
    title: "AWS Discovery API Calls via CLI from a Single Resource",
    description: "One principal ran more than five different reconnaissance calls (who am I, \
                  users, roles, buckets, instances, snapshots, trails, detectors, secrets) \
                  through the AWS CLI within ten seconds. People rarely type that many \
                  different inventory commands that fast; enumeration scripts and intruders \
                  mapping a freshly stolen key do.",
    severity: Severity::Low,
    attack: &["T1580", "T1087.004", "T1526"],
    origins: &["Elastic discovery_multiple_discovery_api_calls_via_cli.toml"],
    group: "discovery",
    false_positives: &[
        "An administrator's inventory or audit script run with the AWS CLI.",
        "A shell profile or prompt helper that runs several CLI reads at start-up.",
    ],
    next_steps: "Identify who holds the principal's credentials and whether a script was \
                 expected. Look at the calls that followed the burst (policy changes, new keys, \
                 data access) and at where the source address is. If unexpected, disable the \
                 access key or revoke the role sessions.",
    evidence: "error_code source_ip user_agent",
    triggers: DISCOVERY_TRIGGERS,
    window: Some(WindowSpec::Distinct {
        window_secs: 10,
        min_distinct: 6,
        repeats: Repeats::Always,
        values: Countable::Open,
    }),
};

impl Detection for DiscoveryApiBurstViaCli {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !is_discovery_call(rec)
            || !rec.user_agent().is_some_and(is_aws_cli_agent)
            || aws_service_or_console_caller(rec)
        {
            return None;
        }
        Some(Signal::Distinct {
            group: account_actor_group(rec),
            value: rec.event_name().to_owned(),
            evidence: caller_evidence(rec),
        })
    }

    /// Only aws-cli calls can count; most discovery traffic comes from SDKs and the console.
    fn may_match_raw(&self, peek: &Peek<'_>, _json: &[u8]) -> bool {
        peek.user_agent.is_some_and(is_aws_cli_agent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::eval;

    fn record(source: &str, name: &str, ua: &str, ip: &str, identity: &str) -> String {
        format!(
            r#"{{"eventSource":"{source}","eventName":"{name}","eventTime":"2026-06-02T10:00:01Z",
            "eventID":"e-1","recipientAccountId":"111122223333","sourceIPAddress":"{ip}",
            "userAgent":"{ua}","userIdentity":{identity},"requestParameters":null}}"#
        )
    }
    const USER: &str = r#"{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/dev","accountId":"111122223333","accessKeyId":"AKIAEXAMPLE0000001","userName":"dev"}"#;
    const CLI: &str = "aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.5.0 md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#iam.list-users";

    #[test]
    fn counts_the_event_name_per_principal() {
        let sig = eval(
            &DiscoveryApiBurstViaCli,
            &record("iam.amazonaws.com", "ListUsers", CLI, "203.0.113.10", USER),
        );
        match sig {
            Some(Signal::Distinct { group, value, .. }) => {
                assert_eq!(group, "111122223333|arn:aws:iam::111122223333:user/dev");
                assert_eq!(value, "ListUsers");
            }
            other => panic!("expected Distinct, got {other:?}"),
        }
    }

    #[test]
    fn a_denied_call_still_counts() {
        let denied = record("s3.amazonaws.com", "ListBuckets", CLI, "203.0.113.10", USER)
            .replace(r#""requestParameters""#, r#""errorCode":"AccessDenied","requestParameters""#);
        assert!(matches!(
            eval(&DiscoveryApiBurstViaCli, &denied),
            Some(Signal::Distinct { .. })
        ));
    }

    #[test]
    fn an_s3_call_counts_with_its_bracketed_agent() {
        use crate::detections::common::testing::raw;
        let ls = record("s3.amazonaws.com", "ListBuckets", "[aws-cli/2.18.5 md/command#s3.ls]", "203.0.113.10", USER);
        assert!(matches!(eval(&DiscoveryApiBurstViaCli, &ls), Some(Signal::Distinct { .. })));
        assert_eq!(raw(&DiscoveryApiBurstViaCli, &ls), Some(true));
        let sdk = ls.replace("[aws-cli/2.18.5 md/command#s3.ls]", "[Boto3/1.34.69 Python/3.11.6]");
        assert_eq!(eval(&DiscoveryApiBurstViaCli, &sdk), None);
        assert_eq!(raw(&DiscoveryApiBurstViaCli, &sdk), Some(false));
    }

    #[test]
    fn sdk_console_and_service_calls_do_not_count() {
        let sdk = record("iam.amazonaws.com", "ListUsers", "Boto3/1.34.69 Python/3.11.6", "203.0.113.10", USER);
        assert_eq!(eval(&DiscoveryApiBurstViaCli, &sdk), None);
        let console = record("ec2.amazonaws.com", "DescribeInstances", "console.ec2.amazonaws.com", "203.0.113.10", USER);
        assert_eq!(eval(&DiscoveryApiBurstViaCli, &console), None);
        let internal = record("iam.amazonaws.com", "ListUsers", CLI, "AWS Internal", USER);
        assert_eq!(eval(&DiscoveryApiBurstViaCli, &internal), None);
    }

    #[test]
    fn other_calls_and_missing_fields_are_ignored() {
        let write = record("iam.amazonaws.com", "CreateUser", CLI, "203.0.113.10", USER);
        assert_eq!(eval(&DiscoveryApiBurstViaCli, &write), None);
        let no_ua = record("iam.amazonaws.com", "ListUsers", CLI, "203.0.113.10", USER)
            .replace(&format!(r#""userAgent":"{CLI}","#), "");
        assert_eq!(eval(&DiscoveryApiBurstViaCli, &no_ua), None);
        let null_identity = record("iam.amazonaws.com", "ListRoles", CLI, "198.51.100.4", "null");
        match eval(&DiscoveryApiBurstViaCli, &null_identity) {
            Some(Signal::Distinct { group, .. }) => assert_eq!(group, "111122223333|unknown"),
            other => panic!("expected Distinct, got {other:?}"),
        }
    }

    #[test]
    fn the_raw_prefilter_keeps_only_cli_calls() {
        let peek = |ua| Peek {
            event_source: "iam.amazonaws.com",
            event_name: "ListUsers",
            user_agent: ua,
            root: false,
        };
        assert!(DiscoveryApiBurstViaCli.may_match_raw(&peek(Some(CLI)), b""));
        assert!(!DiscoveryApiBurstViaCli.may_match_raw(&peek(Some("Boto3/1.34")), b""));
        assert!(!DiscoveryApiBurstViaCli.may_match_raw(&peek(None), b""));
    }
}
