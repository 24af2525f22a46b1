//! A domain registered, or transferred in from another registrar, through Route 53
//! Domains (`RegisterDomain`, `TransferDomain`), successfully, by a person or
//! pipeline rather than an AWS service.
//!
//! Decisions: registering a domain is rare in most accounts and always billed to
//! the account; intruders register look-alike domains for phishing and command
//! servers on the victim's card. Moving a domain between this organisation's own
//! accounts (`AcceptDomainTransferFromAnotherAwsAccount`) is not registration and
//! is left out; moving one out is `route53-domain-transferred-to-another-account`.
//! The contact details are masked in CloudTrail; the evidence keeps the domain, the
//! registration period and whether auto-renewal and privacy protection were asked.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_caller, change_evidence, domain_name, succeeded_call};
use crate::event::Record;

pub struct Route53DomainRegistered;

const SOURCE: &str = "route53domains.amazonaws.com";
/// The API's names, and the same with a lowercase first letter: AWS documents that
/// CloudTrail writes domain registration actions that way (`updateDomainContact`).
const NAMES: &[&str] = &["RegisterDomain", "TransferDomain", "registerDomain", "transferDomain"];

pub static META: Meta = Meta {
    id: "route53-domain-registered",
    title: "AWS Route 53 Domain Registered",
    description: "A domain was registered, or transferred in from another registrar, through \
                  Route 53 and billed to the account. Intruders holding stolen credentials \
                  register look-alike domains for phishing and command servers at the \
                  victim's expense.",
    severity: Severity::Low,
    attack: &["T1583.001"],
    origins: &["trailwatch: based on the AWS Threat Technique Catalog's domain acquisition \
             technique (T1583.001) and the Route 53 Domains RegisterDomain and TransferDomain \
             APIs"],
    group: "hijacking",
    false_positives: &["The domain or brand team registering or moving in a domain."],
    next_steps: "Ask the domain or brand team whether the domain is theirs. If not, disable \
                 auto-renewal, contact AWS Support about the registration, revoke the caller's \
                 credentials and look at what else it created.",
    evidence: "api autoRenew caller caller_type domain durationInYears \
        privacyProtectRegistrantContact source_ip user_agent",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

impl Detection for Route53DomainRegistered {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, SOURCE, NAMES) || aws_service_caller(rec) {
            return None;
        }
        // The domain as text whichever shape CloudTrail gave it, under the key the
        // other domain detections use.
        fire(
            change_evidence(rec, &["durationInYears", "autoRenew", "privacyProtectRegistrantContact"])
                .with_opt("domain", domain_name(rec)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::iam_testing::{CFN, ROLE, USER, record};
    use crate::detections::common::testing::{eval, fires};

    const REGISTER: &str = r#"{"domainName":"examp1e-payments.com","durationInYears":1,
        "autoRenew":true,"adminContact":"HIDDEN_DUE_TO_SECURITY_REASONS",
        "privacyProtectRegistrantContact":true}"#;

    #[test]
    fn fires_on_registration_and_transfer_in_with_the_domain() {
        let Some(Signal::Fire(e)) =
            eval(&Route53DomainRegistered, &record(SOURCE, "RegisterDomain", USER, REGISTER, ""))
        else {
            panic!("expected a finding");
        };
        assert_eq!(e.get("domain").and_then(|v| v.as_str()), Some("examp1e-payments.com"));
        assert!(e.get("adminContact").is_none());
        assert!(fires(&Route53DomainRegistered,
            &record(SOURCE, "TransferDomain", ROLE, r#"{"domainName":"example.org"}"#, "")));
    }

    #[test]
    fn ignores_services_failures_and_other_domain_calls() {
        let b = &Route53DomainRegistered;
        assert!(!fires(b, &record(SOURCE, "RegisterDomain", CFN, REGISTER, "")));
        assert!(!fires(b, &record(SOURCE, "RegisterDomain", USER, REGISTER,
            r#""errorCode":"DomainLimitExceeded","#)));
        for name in ["CheckDomainAvailability", "AcceptDomainTransferFromAnotherAwsAccount", "RenewDomain"] {
            assert!(!fires(b, &record(SOURCE, name, USER, REGISTER, "")), "{name}");
        }
    }
}
