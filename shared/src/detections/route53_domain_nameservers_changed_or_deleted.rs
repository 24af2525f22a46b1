//! A domain registered with Route 53 pointed at other name servers
//! (`UpdateDomainNameservers`) or deleted (`DeleteDomain`), successfully.
//!
//! Decisions: the registration's name servers decide who answers for the whole
//! domain. Pointing them elsewhere hijacks web traffic, e-mail and certificate
//! validation in place, with no transfer, no lock to lift and no code to read, so
//! none of the other domain detections sees it (from a review). Deleting the
//! registration hands the name back to the registry, where anyone may register it
//! once it is released. Both are rare in ordinary operation (moving DNS to another
//! provider, retiring a domain) and immediate, so High. The new name servers are
//! the evidence: an analyst tells the organisation's own (Route 53's
//! `awsdns` servers, its DNS provider's) from a stranger's at a glance.
//!
//! The slower ways to the same ends, medium (from a second evasion review):
//! automatic renewal switched off (`DisableDomainAutoRenew`: the registration
//! lapses at its expiry and the name goes back to the registry, as after a
//! deletion), and a DNSSEC key removed from the registration
//! (`DisassociateDelegationSignerFromDomain`: resolvers stop validating the
//! domain's answers, so forged ones pass).

use serde_json::Value;

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{domain_evidence, one_or_many, succeeded_call};
use crate::event::Record;

pub struct Route53DomainNameserversChangedOrDeleted;

const SOURCE: &str = "route53domains.amazonaws.com";
/// The API's names, and the same with a lowercase first letter: AWS documents that
/// CloudTrail writes domain registration actions that way (`updateDomainContact`).
const NAMES: &[&str] = &[
    "UpdateDomainNameservers",
    "updateDomainNameservers",
    "DeleteDomain",
    "deleteDomain",
    "DisableDomainAutoRenew",
    "disableDomainAutoRenew",
    "DisassociateDelegationSignerFromDomain",
    "disassociateDelegationSignerFromDomain",
];
/// The calls whose harm comes later or takes another step: medium.
const SLOWER: &[&str] = &[
    "DisableDomainAutoRenew",
    "disableDomainAutoRenew",
    "DisassociateDelegationSignerFromDomain",
    "disassociateDelegationSignerFromDomain",
];
/// At most this many name servers are listed (Route 53 allows six).
const MAX_LISTED: usize = 13;

pub static META: Meta = Meta {
    id: "route53-domain-nameservers-changed-or-deleted",
    title: "AWS Route 53 Domain Name Servers Changed or Domain Deleted",
    description: "The name servers of a domain registered through Route 53 were replaced, or \
                  the registration was deleted (or, at medium severity, its automatic renewal \
                  switched off or a DNSSEC key removed). New name servers answer for the whole domain \
                  at once: whoever runs them receives its web traffic and e-mail and can pass \
                  certificate validation, with no transfer to notice. A deleted registration \
                  returns the name to the registry, where anyone may take it.",
    severity: Severity::High,
    attack: &["T1584.002", "T1485"],
    origins: &["trailwatch: from a review (domain hijacking by delegation: the registrar's \
                name servers replaced, which no transfer detection sees)"],
    group: "hijacking",
    false_positives: &[
        "Moving the domain's DNS to another provider, or retiring a domain, by whoever \
         manages the organisation's domains.",
    ],
    next_steps: "Compare the name servers in the evidence with the hosted zone or DNS provider \
                 the domain should use. If they are not the organisation's, put the right ones \
                 back (UpdateDomainNameservers), check the domain's records and certificates \
                 issued since, and review the caller's credentials. For a deletion, contact \
                 Route 53 support at once.",
    evidence: "api dnssec_key_id domain nameservers",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

impl Detection for Route53DomainNameserversChangedOrDeleted {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn severity_for(&self, rec: &Record<'_>) -> Severity {
        if SLOWER.contains(&rec.event_name()) {
            Severity::Medium
        } else {
            META.severity
        }
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, SOURCE, NAMES) {
            return None;
        }
        let servers: Vec<Value> = one_or_many(rec.request_param("nameservers"))
            .into_iter()
            .filter_map(|n| n.get("name").or_else(|| n.get("Name")).and_then(Value::as_str))
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .take(MAX_LISTED)
            .map(Value::from)
            .collect();
        let mut e = domain_evidence(rec)
            .with("api", rec.event_name())
            .with_opt("dnssec_key_id", rec.request_param_str("id"));
        if !servers.is_empty() {
            e = e.with("nameservers", Value::Array(servers));
        }
        fire(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::{eval, fires};
    use serde_json::json;

    const UPDATE: &str = r#"{"eventSource":"route53domains.amazonaws.com","eventName":"updateDomainNameservers",
        "awsRegion":"us-east-1","sourceIPAddress":"203.0.113.65","userAgent":"aws-cli/2.15.0",
        "userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/x",
          "accountId":"111122223333","userName":"x"},
        "requestParameters":{"domainName":"example.com","nameservers":[{"name":"ns1.attacker.example"},
          {"name":"ns2.attacker.example","glueIps":[]}]},
        "responseElements":{"operationId":"op-4"}}"#;

    #[test]
    fn fires_naming_the_new_name_servers() {
        for name in ["updateDomainNameservers", "UpdateDomainNameservers"] {
            match eval(&Route53DomainNameserversChangedOrDeleted, &UPDATE.replace("updateDomainNameservers", name)) {
                Some(Signal::Fire(e)) => {
                    assert_eq!(e.get("domain"), Some(&json!("example.com")));
                    assert_eq!(e.get("nameservers"), Some(&json!(["ns1.attacker.example", "ns2.attacker.example"])));
                }
                other => panic!("expected a finding for {name}, got {other:?}"),
            }
        }
    }

    #[test]
    fn fires_on_a_deletion() {
        for name in ["deleteDomain", "DeleteDomain"] {
            let delete = UPDATE
                .replace("updateDomainNameservers", name)
                .replace(r#","nameservers":[{"name":"ns1.attacker.example"},
          {"name":"ns2.attacker.example","glueIps":[]}]"#, "");
            assert!(!delete.contains("nameservers"));
            match eval(&Route53DomainNameserversChangedOrDeleted, &delete) {
                Some(Signal::Fire(e)) => {
                    assert_eq!(e.get("api"), Some(&json!(name)));
                    assert_eq!(e.get("nameservers"), None);
                }
                other => panic!("expected a finding for {name}, got {other:?}"),
            }
        }
    }

    #[test]
    fn renewal_switched_off_and_dnssec_keys_removed_are_medium() {
        for (name, params) in [
            ("disableDomainAutoRenew", r#"{"domainName":"example.com"}"#),
            ("DisassociateDelegationSignerFromDomain", r#"{"domainName":"example.com","id":"12345"}"#),
        ] {
            let rec = UPDATE.replace("updateDomainNameservers", name).replace(
                r#"{"domainName":"example.com","nameservers":[{"name":"ns1.attacker.example"},
          {"name":"ns2.attacker.example","glueIps":[]}]}"#,
                params,
            );
            match eval(&Route53DomainNameserversChangedOrDeleted, &rec) {
                Some(Signal::Fire(e)) => assert_eq!(e.get("domain"), Some(&json!("example.com")), "{name}"),
                other => panic!("expected a finding for {name}, got {other:?}"),
            }
            let parsed = crate::event::Record::from_json(&rec).unwrap();
            assert_eq!(Route53DomainNameserversChangedOrDeleted.severity_for(&parsed), Severity::Medium, "{name}");
        }
        let parsed = crate::event::Record::from_json(UPDATE).unwrap();
        assert_eq!(Route53DomainNameserversChangedOrDeleted.severity_for(&parsed), Severity::High);
        let enable = UPDATE.replace("updateDomainNameservers", "enableDomainAutoRenew");
        assert!(!fires(&Route53DomainNameserversChangedOrDeleted, &enable));
    }

    #[test]
    fn ignores_failures_and_other_domain_calls() {
        let refused = UPDATE.replace("\"requestParameters\"", r#""errorCode":"InvalidInput","requestParameters""#);
        assert!(!fires(&Route53DomainNameserversChangedOrDeleted, &refused));
        for to in ["updateDomainContact", "getDomainDetail", "ChangeResourceRecordSets"] {
            assert!(!fires(&Route53DomainNameserversChangedOrDeleted, &UPDATE.replace("updateDomainNameservers", to)), "{to}");
        }
        let other_service = UPDATE.replace("route53domains.amazonaws.com", "route53.amazonaws.com");
        assert!(!fires(&Route53DomainNameserversChangedOrDeleted, &other_service));
    }
}
