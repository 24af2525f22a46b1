//! Route 53 Resolver DNS Firewall taken off a VPC: a firewall rule group detached
//! (`DisassociateFirewallRuleGroup`) or deleted (`DeleteFirewallRuleGroup`), or the
//! VPC set to let queries through when the firewall cannot answer
//! (`UpdateFirewallConfig` with `firewallFailOpen` `ENABLED`), or a domain list
//! emptied (`UpdateFirewallDomains` replacing its domains with none), successfully.
//!
//! Decisions: DNS Firewall blocks lookups of known-bad and exfiltration domains;
//! removing it (or making it fail open) reopens command-and-control and DNS tunnelling
//! for the VPC, beside `route53-resolver-query-logging-deleted`, which removes the
//! record of the lookups. Rule edits inside a group (`UpdateFirewallRule`,
//! `DeleteFirewallRule`) are everyday tuning and stay out, as are Firewall Manager's
//! own changes (`invokedBy` `fms.amazonaws.com`: the act is the policy change a person
//! made there) and AWS service identities. Parameter names are taken in either casing.
//! From an evasion review: a rule that blocks the domains of a list blocks nothing
//! once the list is empty, with the rule group still attached, so a list replaced by
//! an empty one (`operation` `REPLACE`, no `domains`) counts; domains added or
//! removed, and lists imported from a file (whose content the record does not hold),
//! are everyday upkeep of threat lists and stay out.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    aws_service_among, request_param_any, request_text_any, succeeded_call, text_is,
};
use crate::event::Record;

pub struct Route53ResolverDnsFirewallDisabled;

const SOURCE: &str = "route53resolver.amazonaws.com";
const NAMES: &[&str] = &[
    "DisassociateFirewallRuleGroup",
    "DeleteFirewallRuleGroup",
    "UpdateFirewallConfig",
    "UpdateFirewallDomains",
];

pub static META: Meta = Meta {
    id: "route53-resolver-dns-firewall-disabled",
    title: "AWS Route 53 Resolver DNS Firewall Removed, Emptied or Set to Fail Open",
    description: "A DNS Firewall rule group was detached from a VPC or deleted, or a VPC was \
                  set to let DNS queries through when the firewall does not answer, or a \
                  domain list was emptied. The \
                  firewall is what blocks lookups of malicious and exfiltration domains; \
                  without it, malware on the VPC's hosts reaches its command-and-control \
                  servers and can tunnel data out over DNS.",
    severity: Severity::Medium,
    attack: &["T1562.004", "T1071.004"],
    origins: &[
        "trailwatch: based on the Route 53 Resolver DNS Firewall APIs, next to the \
         query-logging rule of Elastic and Stratus Red Team (aws.defense-evasion.dns-delete-logs)",
    ],
    group: "monitoring-tamper",
    false_positives: &[
        "Infrastructure-as-code replacing a rule group or tearing down a VPC.",
        "Fail-open chosen on purpose for availability by the network team.",
    ],
    next_steps: "Check which VPCs lost the firewall and whether it was put back. If not \
                 planned, associate the rule group again (or set fail-open back to \
                 disabled), then review the VPC's DNS activity since and the caller's other \
                 actions.",
    evidence: "action association_id domain_list_id rule_group_id vpc",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

impl Detection for Route53ResolverDnsFirewallDisabled {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, SOURCE, NAMES) || aws_service_among(rec, &["fms.amazonaws.com"]) {
            return None;
        }
        if rec.event_name() == "UpdateFirewallConfig"
            && !text_is(
                request_param_any(rec, &["firewallFailOpen", "FirewallFailOpen"]),
                "ENABLED",
            )
        {
            return None;
        }
        if rec.event_name() == "UpdateFirewallDomains" && !domain_list_emptied(rec) {
            return None;
        }
        let text = |keys: &[&str]| request_text_any(rec, keys);
        fire(
            Evidence::new()
                .with("action", rec.event_name())
                .with_opt(
                    "association_id",
                    text(&["firewallRuleGroupAssociationId", "FirewallRuleGroupAssociationId"]),
                )
                .with_opt("rule_group_id", text(&["firewallRuleGroupId", "FirewallRuleGroupId"]))
                .with_opt("vpc", text(&["resourceId", "ResourceId"]))
                .with_opt(
                    "domain_list_id",
                    text(&["firewallDomainListId", "FirewallDomainListId"]),
                ),
        )
    }
}

/// `UpdateFirewallDomains` replacing a list's domains with none: `operation`
/// `REPLACE` and `domains` missing, null, empty or holding only blank names.
fn domain_list_emptied(rec: &Record<'_>) -> bool {
    if !text_is(request_param_any(rec, &["operation", "Operation"]), "REPLACE") {
        return false;
    }
    match request_param_any(rec, &["domains", "Domains"]) {
        None | Some(serde_json::Value::Null) => true,
        Some(serde_json::Value::Array(domains)) => domains
            .iter()
            .all(|d| d.as_str().is_some_and(|d| d.trim().is_empty())),
        Some(serde_json::Value::String(d)) => d.trim().is_empty(),
        Some(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::calls::{call, failed};
    use crate::detections::common::testing::{eval, fires};

    #[test]
    fn removing_the_firewall_or_failing_open_fires() {
        let detach = call(SOURCE, "DisassociateFirewallRuleGroup", r#"{"firewallRuleGroupAssociationId":"rslvr-frgassoc-0a1b2c3d4e5f6a7b8"}"#);
        match eval(&Route53ResolverDnsFirewallDisabled, &detach) {
            Some(Signal::Fire(e)) => assert_eq!(
                e.get("association_id").and_then(|v| v.as_str()),
                Some("rslvr-frgassoc-0a1b2c3d4e5f6a7b8")
            ),
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(fires(&Route53ResolverDnsFirewallDisabled, &call(SOURCE, "DeleteFirewallRuleGroup", r#"{"firewallRuleGroupId":"rslvr-frg-0a1b2c3d4e5f6a7b8"}"#)));
        for open in [
            r#"{"resourceId":"vpc-0a1b2c3d","firewallFailOpen":"ENABLED"}"#,
            r#"{"ResourceId":"vpc-0a1b2c3d","FirewallFailOpen":"enabled"}"#,
        ] {
            assert!(fires(&Route53ResolverDnsFirewallDisabled, &call(SOURCE, "UpdateFirewallConfig", open)), "{open}");
        }
    }

    /// From an evasion review: the rule stays attached, blocking an empty list.
    #[test]
    fn a_domain_list_replaced_by_nothing_fires_and_upkeep_does_not() {
        let list = |params: &str| call(SOURCE, "UpdateFirewallDomains", params);
        for emptied in [
            r#"{"firewallDomainListId":"rslvr-fdl-0a1b2c3d4e5f6a7b8","operation":"REPLACE","domains":[]}"#,
            r#"{"FirewallDomainListId":"rslvr-fdl-0a1b2c3d4e5f6a7b8","Operation":"replace"}"#,
            r#"{"firewallDomainListId":"rslvr-fdl-0a1b2c3d4e5f6a7b8","operation":"REPLACE","domains":[" "]}"#,
        ] {
            match eval(&Route53ResolverDnsFirewallDisabled, &list(emptied)) {
                Some(Signal::Fire(e)) => assert_eq!(
                    e.get("domain_list_id").and_then(|v| v.as_str()),
                    Some("rslvr-fdl-0a1b2c3d4e5f6a7b8"),
                    "{emptied}"
                ),
                other => panic!("expected a finding for {emptied}, got {other:?}"),
            }
        }
        for upkeep in [
            r#"{"firewallDomainListId":"rslvr-fdl-1","operation":"REPLACE","domains":["bad.example.","*.evil.example."]}"#,
            r#"{"firewallDomainListId":"rslvr-fdl-1","operation":"REMOVE","domains":["stale.example."]}"#,
            r#"{"firewallDomainListId":"rslvr-fdl-1","operation":"ADD","domains":[]}"#,
        ] {
            assert!(!fires(&Route53ResolverDnsFirewallDisabled, &list(upkeep)), "{upkeep}");
        }
    }

    #[test]
    fn closing_refusals_and_rule_edits_do_not_fire() {
        let closed = r#"{"resourceId":"vpc-0a1b2c3d","firewallFailOpen":"DISABLED"}"#;
        assert!(!fires(&Route53ResolverDnsFirewallDisabled, &call(SOURCE, "UpdateFirewallConfig", closed)));
        let detach = call(SOURCE, "DisassociateFirewallRuleGroup", r#"{"firewallRuleGroupAssociationId":"rslvr-frgassoc-1"}"#);
        assert!(!fires(&Route53ResolverDnsFirewallDisabled, &failed(&detach, "AccessDeniedException")));
        let by_fms = detach.replacen(r#""accountId":"111122223333""#, r#""accountId":"111122223333","invokedBy":"fms.amazonaws.com""#, 1);
        assert_ne!(by_fms, detach);
        assert!(!fires(&Route53ResolverDnsFirewallDisabled, &by_fms));
        for name in ["DeleteFirewallRule", "UpdateFirewallRule", "AssociateFirewallRuleGroup"] {
            assert!(!fires(&Route53ResolverDnsFirewallDisabled, &call(SOURCE, name, r#"{"firewallRuleGroupId":"rslvr-frg-1"}"#)), "{name}");
        }
    }
}
