//! The contacts of a domain registered with Route 53 changed
//! (`UpdateDomainContact`), successfully.
//!
//! Decisions: the registrant's address is where a registrar sends the approval of a
//! transfer and of an owner change, so replacing it is how a hijacker makes sure
//! those e-mails reach them and not the owner. Every contact counts (registrant,
//! administrative, technical, billing): CloudTrail hides their details, so the
//! finding names which ones the call set. Privacy settings
//! (`UpdateDomainContactPrivacy`) are left out: they change what WHOIS shows, not
//! who approves a transfer.

use serde_json::Value;

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{domain_evidence, succeeded_call};
use crate::event::Record;

pub struct Route53DomainContactChanged;

const SOURCE: &str = "route53domains.amazonaws.com";
/// The API's name, and the same with a lowercase first letter: AWS documents that
/// CloudTrail writes domain registration actions that way (`updateDomainContact`).
const NAMES: &[&str] = &["UpdateDomainContact", "updateDomainContact"];

/// The request's contact keys, and the name each has in the evidence.
const CONTACTS: [(&str, &str); 4] = [
    ("registrantContact", "registrant"),
    ("adminContact", "admin"),
    ("techContact", "tech"),
    ("billingContact", "billing"),
];

pub static META: Meta = Meta {
    id: "route53-domain-contact-changed",
    title: "AWS Route 53 Domain Contact Changed",
    description: "The contacts of a domain registered through Route 53 were changed. The \
                  registrant's e-mail address receives the approvals of transfers and owner \
                  changes: an intruder who replaces it can move the domain without its owner \
                  hearing of it.",
    severity: Severity::Medium,
    attack: &["T1584.001", "T1098"],
    origins: &["trailwatch: based on domain hijacking through the registrant contact (the \
                address that approves transfers)"],
    group: "hijacking",
    false_positives: &[
        "A person leaving or an address change, made by whoever manages the organisation's \
         domains.",
    ],
    next_steps: "Check the domain's contacts now (GetDomainDetail) with the domain's owner. If \
                 the change is not theirs, put the contacts back, check that the transfer lock \
                 is on and no transfer is pending, and review the caller's activity.",
    evidence: "contacts domain",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

impl Detection for Route53DomainContactChanged {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, SOURCE, NAMES) {
            return None;
        }
        // A contact sent as null is no change; CloudTrail writes a given one as
        // text (hidden) or an object. A request that names contacts, all null,
        // changed nothing; one that names none is reported (CloudTrail may leave
        // hidden members out), without the list.
        let named = CONTACTS.iter().any(|(key, _)| rec.request_param(key).is_some());
        let changed: Vec<&str> = CONTACTS
            .iter()
            .filter(|(key, _)| rec.request_param(key).is_some_and(|v| !v.is_null()))
            .map(|(_, name)| *name)
            .collect();
        if named && changed.is_empty() {
            return None;
        }
        let mut e = domain_evidence(rec);
        if !changed.is_empty() {
            e = e.with(
                "contacts",
                Value::Array(changed.into_iter().map(Value::from).collect()),
            );
        }
        fire(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::{eval, fires};
    use serde_json::json;

    const UPDATE: &str = r#"{"eventSource":"route53domains.amazonaws.com","eventName":"updateDomainContact",
        "awsRegion":"us-east-1","sourceIPAddress":"203.0.113.64","userAgent":"aws-cli/2.15.0",
        "userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/x",
          "accountId":"111122223333","userName":"x"},
        "requestParameters":{"domainName":"example.com","registrantContact":"HIDDEN_DUE_TO_SECURITY_REASONS",
          "adminContact":"HIDDEN_DUE_TO_SECURITY_REASONS","techContact":null},
        "responseElements":{"operationId":"op-3"}}"#;

    #[test]
    fn fires_naming_the_contacts_set() {
        match eval(&Route53DomainContactChanged, UPDATE) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("domain"), Some(&json!("example.com")));
                assert_eq!(e.get("contacts"), Some(&json!(["registrant", "admin"])));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let upper = UPDATE.replace("updateDomainContact", "UpdateDomainContact");
        assert!(fires(&Route53DomainContactChanged, &upper));
        // Contacts as objects (an SDK's shape, should CloudTrail ever keep them).
        let objects = UPDATE.replace(
            r#""registrantContact":"HIDDEN_DUE_TO_SECURITY_REASONS""#,
            r#""registrantContact":{"email":"owner@example.net","contactType":"PERSON"}"#,
        );
        match eval(&Route53DomainContactChanged, &objects) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("contacts"), Some(&json!(["registrant", "admin"]))),
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn ignores_failures_privacy_and_reads() {
        let refused = UPDATE.replace(
            "\"requestParameters\"",
            r#""errorCode":"InvalidInput","requestParameters""#,
        );
        assert!(!fires(&Route53DomainContactChanged, &refused));
        let all_null = UPDATE
            .replace(r#""HIDDEN_DUE_TO_SECURITY_REASONS",
          "adminContact":"HIDDEN_DUE_TO_SECURITY_REASONS""#, r#"null,
          "adminContact":null"#);
        assert_ne!(all_null, UPDATE);
        assert!(!fires(&Route53DomainContactChanged, &all_null), "every contact null: no change");
        let none_named = UPDATE.replace(
            r#","registrantContact":"HIDDEN_DUE_TO_SECURITY_REASONS",
          "adminContact":"HIDDEN_DUE_TO_SECURITY_REASONS","techContact":null"#,
            "",
        );
        assert_ne!(none_named, UPDATE);
        match eval(&Route53DomainContactChanged, &none_named) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("contacts"), None),
            other => panic!("a request naming no contact is reported, got {other:?}"),
        }
        for to in ["updateDomainContactPrivacy", "getDomainDetail", "UpdateDomainNameservers"] {
            assert!(!fires(&Route53DomainContactChanged, &UPDATE.replace("updateDomainContact", to)), "{to}");
        }
    }
}
