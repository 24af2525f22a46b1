//! Route 53 Resolver DNS query logging removed: a query logging configuration deleted
//! (`DeleteResolverQueryLogConfig`) or detached from a VPC
//! (`DisassociateResolverQueryLogConfig`), successfully.
//!
//! Decision: the upstream rules take the deletion only; detaching the configuration
//! from a VPC stops that VPC's DNS logging just the same, so it is part of this
//! behaviour. Changes AWS services make on their own (Firewall Manager's policies)
//! are left out, as the other logging detections leave them; a CloudFormation
//! stack's change counts, as the person's own.
//!
//! A public hosted zone's query logging deleted (Route 53's own
//! `DeleteQueryLoggingConfig`) is the same act for the queries resolvers on the
//! internet make of the zone's names (a domain an intruder uses for callbacks or
//! tunnelling, if it is ours): low, since those logs see outside resolvers,
//! not the workloads'.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_caller_but_stack, succeeded_call};
use crate::event::Record;

pub struct Route53ResolverQueryLoggingDeleted;

const SOURCE: &str = "route53resolver.amazonaws.com";
const NAMES: &[&str] = &[
    "DeleteResolverQueryLogConfig",
    "DisassociateResolverQueryLogConfig",
];
const ROUTE53: &str = "route53.amazonaws.com";
const ZONE_LOGGING: &[&str] = &["DeleteQueryLoggingConfig"];

pub static META: Meta = Meta {
    id: "route53-resolver-query-logging-deleted",
    title: "AWS Route 53 Resolver Query Logging Deleted",
    description: "DNS query logging of Route 53 Resolver was deleted or detached from a VPC \
                  (or, at low severity, a public hosted zone's query logging deleted). \
                  DNS queries show which domains workloads look up: command-and-control \
                  servers, DNS tunnelling, exfiltration endpoints. Removing the logging hides \
                  them from investigators.",
    severity: Severity::Medium,
    attack: &["T1562.008", "T1562.001"],
    origins: &[
        "Elastic detection-rules defense_evasion_route53_dns_query_resolver_config_deletion.toml",
        "trailwatch: based on Stratus Red Team aws.defense-evasion.dns-delete-logs \
         (DisassociateResolverQueryLogConfig added as the same behaviour)",
    ],
    group: "monitoring-tamper",
    false_positives: &[
        "Infrastructure-as-code replacing a logging configuration or tearing down a VPC.",
    ],
    next_steps: "Check which configuration and VPCs are affected and whether logging was \
                 recreated. If not planned, restore it, and review the caller's activity and the \
                 DNS activity of the affected VPCs from other sources since.",
    evidence: "action destination name query_log_config_id query_logging_config_id vpc",
    triggers: &[Trigger::write(SOURCE, NAMES), Trigger::write(ROUTE53, ZONE_LOGGING)],
    window: None,
};

impl Detection for Route53ResolverQueryLoggingDeleted {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn severity_for(&self, rec: &Record<'_>) -> Severity {
        if rec.event_source() == ROUTE53 {
            Severity::Low
        } else {
            META.severity
        }
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if succeeded_call(rec, ROUTE53, ZONE_LOGGING) {
            if aws_service_caller_but_stack(rec) {
                return None;
            }
            return fire(
                Evidence::new()
                    .with("action", rec.event_name())
                    .with_opt("query_logging_config_id", rec.request_param_str("id")),
            );
        }
        if !succeeded_call(rec, SOURCE, NAMES) || aws_service_caller_but_stack(rec) {
            return None;
        }
        let config = rec.response_element("resolverQueryLogConfig");
        fire(
            Evidence::new()
                .with("action", rec.event_name())
                .with_opt(
                    "query_log_config_id",
                    rec.request_param_str("resolverQueryLogConfigId"),
                )
                .with_opt("vpc", rec.request_param_str("resourceId"))
                .with_json("name", config.and_then(|c| c.get("name")))
                .with_json("destination", config.and_then(|c| c.get("destinationArn"))),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::{eval, fires};

    const DELETE: &str = r#"{"eventSource":"route53resolver.amazonaws.com","eventName":"DeleteResolverQueryLogConfig",
        "awsRegion":"us-west-2","sourceIPAddress":"192.0.2.60","userAgent":"aws-cli/2.15.0",
        "userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/ops",
          "accountId":"111122223333","userName":"ops"},
        "requestParameters":{"resolverQueryLogConfigId":"rqlc-0123456789abcdef"},
        "responseElements":{"resolverQueryLogConfig":{"id":"rqlc-0123456789abcdef","name":"vpc-dns",
          "destinationArn":"arn:aws:s3:::dns-logs-111122223333","status":"DELETING"}}}"#;

    #[test]
    fn services_are_left_out_stacks_are_not() {
        let service = DELETE.replace(r#""userIdentity":{"#, r#""userIdentity":{"invokedBy":"fms.amazonaws.com","#);
        assert!(!fires(&Route53ResolverQueryLoggingDeleted, &service));
        let stack = DELETE.replace(r#""userIdentity":{"#, r#""userIdentity":{"invokedBy":"cloudformation.amazonaws.com","#);
        assert!(fires(&Route53ResolverQueryLoggingDeleted, &stack));
    }

    #[test]
    fn fires_with_the_configuration() {
        match eval(&Route53ResolverQueryLoggingDeleted, DELETE) {
            Some(Signal::Fire(e)) => {
                assert_eq!(
                    e.get("query_log_config_id").and_then(|v| v.as_str()),
                    Some("rqlc-0123456789abcdef")
                );
                assert_eq!(
                    e.get("destination").and_then(|v| v.as_str()),
                    Some("arn:aws:s3:::dns-logs-111122223333")
                );
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let detach = DELETE
            .replace("DeleteResolverQueryLogConfig", "DisassociateResolverQueryLogConfig")
            .replace(
                r#"{"resolverQueryLogConfigId":"rqlc-0123456789abcdef"}"#,
                r#"{"resolverQueryLogConfigId":"rqlc-1","resourceId":"vpc-0abc"}"#,
            );
        match eval(&Route53ResolverQueryLoggingDeleted, &detach) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("vpc").and_then(|v| v.as_str()), Some("vpc-0abc"))
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let bare = DELETE
            .replace(r#""requestParameters":{"resolverQueryLogConfigId":"rqlc-0123456789abcdef"}"#, r#""requestParameters":null"#);
        assert!(fires(&Route53ResolverQueryLoggingDeleted, &bare));
    }

    #[test]
    fn a_public_zones_query_logging_deleted_is_low() {
        let zone = r#"{"eventSource":"route53.amazonaws.com","eventName":"DeleteQueryLoggingConfig",
            "awsRegion":"us-east-1","sourceIPAddress":"192.0.2.60","userAgent":"aws-cli/2.15.0",
            "userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/ops",
              "accountId":"111122223333","userName":"ops"},
            "requestParameters":{"id":"87654321-dcba-4321-abcd-0123456789ab"},"responseElements":null}"#;
        match eval(&Route53ResolverQueryLoggingDeleted, zone) {
            Some(Signal::Fire(e)) => assert_eq!(
                e.get("query_logging_config_id").and_then(|v| v.as_str()),
                Some("87654321-dcba-4321-abcd-0123456789ab")
            ),
            other => panic!("expected a finding, got {other:?}"),
        }
        let rec = crate::event::Record::from_json(zone).unwrap();
        assert_eq!(Route53ResolverQueryLoggingDeleted.severity_for(&rec), Severity::Low);
        let denied = zone.replace(r#""requestParameters""#, r#""errorCode":"AccessDenied","requestParameters""#);
        assert!(!fires(&Route53ResolverQueryLoggingDeleted, &denied));
        let created = zone.replace("DeleteQueryLoggingConfig", "CreateQueryLoggingConfig");
        assert!(!fires(&Route53ResolverQueryLoggingDeleted, &created));
    }

    #[test]
    fn ignores_failures_and_other_calls() {
        let denied = DELETE.replace(
            "\"requestParameters\"",
            r#""errorCode":"AccessDeniedException","requestParameters""#,
        );
        assert!(!fires(&Route53ResolverQueryLoggingDeleted, &denied));
        for (from, to) in [
            ("DeleteResolverQueryLogConfig", "CreateResolverQueryLogConfig"),
            ("DeleteResolverQueryLogConfig", "DeleteResolverRule"),
            ("route53resolver.amazonaws.com", "route53.amazonaws.com"),
            ("DeleteResolverQueryLogConfig", "DeleteQueryLoggingConfig"),
        ] {
            assert!(
                !fires(&Route53ResolverQueryLoggingDeleted, &DELETE.replace(from, to)),
                "{to}"
            );
        }
    }
}
