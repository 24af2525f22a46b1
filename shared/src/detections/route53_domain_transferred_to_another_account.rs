//! A domain registered with Route 53 handed to another AWS account
//! (`TransferDomainToAnotherAwsAccount`), or pushed to another registrar
//! (`PushDomain`, for `.uk` domains), successfully.
//!
//! Decision: the transfer completes only when the other account accepts it; the
//! request is what the intruder controls and what we report, with the receiving
//! account. A push hands a `.uk` domain to the registrar whose IPS tag it names,
//! with neither the transfer lock nor the authorisation code involved, so the
//! detections of those two steps never see it (from a review); the tag is the
//! evidence.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{domain_evidence, succeeded_call};
use crate::event::Record;

pub struct Route53DomainTransferredToAnotherAccount;

const SOURCE: &str = "route53domains.amazonaws.com";
/// The API's names, and the same with a lowercase first letter: AWS documents that
/// CloudTrail writes domain registration actions that way (`updateDomainContact`).
const NAMES: &[&str] = &[
    "TransferDomainToAnotherAwsAccount",
    "transferDomainToAnotherAwsAccount",
    "PushDomain",
    "pushDomain",
];

pub static META: Meta = Meta {
    id: "route53-domain-transferred-to-another-account",
    title: "AWS Route 53 Domain Transferred to Another Account or Registrar",
    description: "A domain registered through Route 53 was offered to another AWS account, or \
                  (a .uk domain) pushed to another registrar. Once it moves, the new holder \
                  controls the domain's registration and can point it anywhere: web traffic, \
                  e-mail and certificate issuance follow whoever owns the domain.",
    severity: Severity::High,
    attack: &["T1098", "T1584.001"],
    origins: &[
        "Elastic detection-rules persistence_route_53_domain_transferred_to_another_account.toml",
        "SigmaHQ rules/cloud/aws/cloudtrail/aws_route_53_domain_transferred_to_another_account.yml",
    ],
    group: "hijacking",
    false_positives: &[
        "Moving a domain between the organisation's own accounts, or a planned move of a .uk \
         domain to another registrar.",
    ],
    next_steps: "Check that the receiving account (evidence) belongs to the organisation. If \
                 not, cancel the transfer (CancelDomainTransferToAnotherAwsAccount) before it is \
                 accepted and review the caller's activity.",
    evidence: "domain to_account to_registrar_tag",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

impl Detection for Route53DomainTransferredToAnotherAccount {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, SOURCE, NAMES) {
            return None;
        }
        fire(
            domain_evidence(rec)
                .with_opt("to_account", rec.request_param_str("accountId"))
                .with_opt("to_registrar_tag", rec.request_param_str("target")),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::{eval, fires};

    const TRANSFER: &str = r#"{"eventSource":"route53domains.amazonaws.com","eventName":"TransferDomainToAnotherAwsAccount",
        "awsRegion":"us-east-1","sourceIPAddress":"203.0.113.62","userAgent":"aws-cli/2.15.0",
        "userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/x",
          "accountId":"111122223333","userName":"x"},
        "requestParameters":{"domainName":"example.com","accountId":"444455556666"},
        "responseElements":{"operationId":"op-2","password":"HIDDEN_DUE_TO_SECURITY_REASONS"}}"#;

    #[test]
    fn fires_with_the_receiving_account() {
        match eval(&Route53DomainTransferredToAnotherAccount, TRANSFER) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("to_account").and_then(|v| v.as_str()), Some("444455556666"));
                assert_eq!(e.get("domain").and_then(|v| v.as_str()), Some("example.com"));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn fires_on_a_push_to_another_registrar() {
        let push = TRANSFER
            .replace("TransferDomainToAnotherAwsAccount", "pushDomain")
            .replace(r#""domainName":"example.com","accountId":"444455556666""#, r#""domainName":"example.co.uk","target":"SOMEREGISTRAR""#);
        match eval(&Route53DomainTransferredToAnotherAccount, &push) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("to_registrar_tag").and_then(|v| v.as_str()), Some("SOMEREGISTRAR"));
                assert_eq!(e.get("to_account"), None);
            }
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn ignores_failures_and_other_calls() {
        let denied = TRANSFER.replace(
            "\"requestParameters\"",
            r#""errorCode":"InvalidInput","requestParameters""#,
        );
        assert!(!fires(&Route53DomainTransferredToAnotherAccount, &denied));
        for to in [
            "AcceptDomainTransferFromAnotherAwsAccount",
            "CancelDomainTransferToAnotherAwsAccount",
        ] {
            assert!(!fires(
                &Route53DomainTransferredToAnotherAccount,
                &TRANSFER.replace("TransferDomainToAnotherAwsAccount", to)
            ));
        }
    }
}
