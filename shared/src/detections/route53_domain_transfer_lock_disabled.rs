//! The transfer lock of a domain registered with Route 53 removed
//! (`DisableDomainTransferLock`), successfully.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{domain_evidence, succeeded_call};
use crate::event::Record;

pub struct Route53DomainTransferLockDisabled;

const SOURCE: &str = "route53domains.amazonaws.com";
/// The API's names, and the same with a lowercase first letter: AWS documents that
/// CloudTrail writes domain registration actions that way (`updateDomainContact`).
const NAMES: &[&str] = &["DisableDomainTransferLock", "disableDomainTransferLock"];

pub static META: Meta = Meta {
    id: "route53-domain-transfer-lock-disabled",
    title: "AWS Route 53 Domain Transfer Lock Disabled",
    description: "The transfer lock of a domain registered through Route 53 was removed. The \
                  lock is what stops the domain being moved to another registrar; removing it \
                  is the first step of hijacking the domain, and with it the organisation's web \
                  sites, e-mail and certificate validation.",
    severity: Severity::Medium,
    attack: &["T1098", "T1584.001"],
    origins: &[
        "Elastic detection-rules persistence_route_53_domain_transfer_lock_disabled.toml",
        "SigmaHQ rules/cloud/aws/cloudtrail/aws_route_53_domain_transferred_lock_disabled.yml",
    ],
    group: "hijacking",
    false_positives: &["A planned move of the domain to another registrar."],
    next_steps: "Confirm with the domain's owner. If not planned, re-enable the lock at once, \
                 check for a pending transfer or an authorisation code request, and review the \
                 caller's activity.",
    evidence: "domain",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

impl Detection for Route53DomainTransferLockDisabled {
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

    const UNLOCK: &str = r#"{"eventSource":"route53domains.amazonaws.com","eventName":"DisableDomainTransferLock",
        "awsRegion":"us-east-1","sourceIPAddress":"203.0.113.61","userAgent":"aws-cli/2.15.0",
        "userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/x",
          "accountId":"111122223333","userName":"x"},
        "requestParameters":{"domainName":"example.com"},"responseElements":{"operationId":"op-1"}}"#;

    #[test]
    fn fires_with_the_domain() {
        match eval(&Route53DomainTransferLockDisabled, UNLOCK) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("domain").and_then(|v| v.as_str()), Some("example.com"))
            }
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn ignores_failures_and_other_calls() {
        let denied = UNLOCK.replace(
            "\"requestParameters\"",
            r#""errorCode":"OperationLimitExceeded","requestParameters""#,
        );
        assert!(!fires(&Route53DomainTransferLockDisabled, &denied));
        assert!(!fires(
            &Route53DomainTransferLockDisabled,
            &UNLOCK.replace("DisableDomainTransferLock", "EnableDomainTransferLock")
        ));
    }
}
