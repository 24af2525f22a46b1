//! The authorisation code of a domain registered with Route 53 read
//! (`RetrieveDomainAuthCode`), successfully.
//!
//! Decisions: the code is what another registrar asks for to take the domain, and
//! the transfer that follows happens at that registrar, outside CloudTrail: this
//! call is the last step AWS records. So it is High, a step above removing the
//! transfer lock (`route53-domain-transfer-lock-disabled`), which the transfer also
//! needs. Refused calls are left out, as for the other domain detections: the code
//! is only a danger once someone holds it. CloudTrail hides the code itself.
//! The call reads: the trigger takes it as a read-only event too (the rule then
//! runs with all management events, still listing its names), since a rule
//! that took write events only would never see a call CloudTrail marks
//! `readOnly`.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{domain_evidence, succeeded_call};
use crate::event::Record;

pub struct Route53DomainAuthCodeRetrieved;

const SOURCE: &str = "route53domains.amazonaws.com";
/// The API's name, and the same with a lowercase first letter: AWS documents that
/// CloudTrail writes domain registration actions that way.
const NAMES: &[&str] = &["RetrieveDomainAuthCode", "retrieveDomainAuthCode"];

pub static META: Meta = Meta {
    id: "route53-domain-auth-code-retrieved",
    title: "AWS Route 53 Domain Authorization Code Retrieved",
    description: "Someone read the authorisation code of a domain registered through Route 53. \
                  With it, and the transfer lock off, any other registrar can take the domain: \
                  the move itself is never seen in AWS's logs, and whoever ends up holding the \
                  domain controls its web traffic, e-mail and certificate validation.",
    severity: Severity::High,
    attack: &["T1584.001", "T1098"],
    origins: &["trailwatch: based on domain hijacking through registrar transfer (the \
                authorisation code that a transfer to another registrar requires)"],
    group: "hijacking",
    false_positives: &["A planned move of the domain to another registrar."],
    next_steps: "Confirm with the domain's owner. If the move is not planned, make sure the \
                 transfer lock is on, ask Route 53 support to stop any pending transfer, and \
                 review how the caller got its credentials and what else it did.",
    evidence: "domain",
    triggers: &[Trigger::read_only(SOURCE, NAMES)],
    window: None,
};

impl Detection for Route53DomainAuthCodeRetrieved {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, SOURCE, NAMES) {
            return None;
        }
        fire(domain_evidence(rec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::{eval, fires};

    const RETRIEVE: &str = r#"{"eventSource":"route53domains.amazonaws.com","eventName":"retrieveDomainAuthCode",
        "awsRegion":"us-east-1","sourceIPAddress":"203.0.113.63","userAgent":"aws-cli/2.15.0",
        "userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/x",
          "accountId":"111122223333","userName":"x"},
        "requestParameters":{"domainName":"example.com"},
        "responseElements":{"authCode":"HIDDEN_DUE_TO_SECURITY_REASONS"}}"#;

    #[test]
    fn fires_with_the_domain_in_either_spelling() {
        for name in ["retrieveDomainAuthCode", "RetrieveDomainAuthCode"] {
            let rec = RETRIEVE.replace("retrieveDomainAuthCode", name);
            match eval(&Route53DomainAuthCodeRetrieved, &rec) {
                Some(Signal::Fire(e)) => {
                    assert_eq!(e.get("domain").and_then(|v| v.as_str()), Some("example.com"));
                    assert_eq!(e.get("authCode"), None, "the code is never evidence");
                }
                other => panic!("expected a finding for {name}, got {other:?}"),
            }
        }
        let object_form = RETRIEVE.replace(r#""example.com""#, r#"{"name":"example.com"}"#);
        assert!(fires(&Route53DomainAuthCodeRetrieved, &object_form));
    }

    #[test]
    fn ignores_failures_and_neighbouring_calls() {
        let refused = RETRIEVE.replace(
            "\"requestParameters\"",
            r#""errorCode":"AccessDenied","requestParameters""#,
        );
        assert!(!fires(&Route53DomainAuthCodeRetrieved, &refused));
        for to in ["getDomainDetail", "checkDomainTransferability", "retrieveDomainAuthCodes"] {
            assert!(!fires(&Route53DomainAuthCodeRetrieved, &RETRIEVE.replace("retrieveDomainAuthCode", to)), "{to}");
        }
        let other_service = RETRIEVE.replace("route53domains.amazonaws.com", "route53.amazonaws.com");
        assert!(!fires(&Route53DomainAuthCodeRetrieved, &other_service));
    }
}
