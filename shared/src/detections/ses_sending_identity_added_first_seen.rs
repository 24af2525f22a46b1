//! A new SES sending identity (an email address or a domain submitted for
//! verification), successfully, by a principal that had added none in the last 10
//! days (first-seen term: account and principal).
//!
//! Decisions: whoever steals keys to send spam or phishing through SES first checks
//! the quota, then verifies an address or domain of their own to send from (SES sends
//! only from verified identities), and asks for production access
//! (`ses-sending-unlocked`). Teams add identities rarely, and usually the same
//! pipeline or administrator each time, so the first addition by a principal in ten
//! days is the finding and the next ones in a burst are not. SES v1 (`VerifyEmailIdentity`,
//! `VerifyEmailAddress`, `VerifyDomainIdentity`, and `VerifyDomainDkim`, which adds the
//! domain by itself) and v2 (`CreateEmailIdentity`) share the event source, and so
//! does `SendCustomVerificationEmail` (both versions), which adds the address too.
//! AWS services (`invokedBy`) and failed calls are left out, but not a
//! CloudFormation stack: an `AWS::SES::EmailIdentity` in the intruder's own stack is
//! the same act by other means. The evidence names the identity: the intruder's own
//! address or domain is a lead.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, WindowSpec};
use crate::detections::common::{
    aws_service_caller_but_stack, change_evidence, first_seen_by_actor, succeeded_call,
};
use crate::event::Record;

pub struct SesSendingIdentityAddedFirstSeen;

const SOURCE: &str = "ses.amazonaws.com";
const NAMES: &[&str] = &[
    "VerifyEmailIdentity",
    "VerifyEmailAddress",
    "VerifyDomainIdentity",
    "VerifyDomainDkim",
    "SendCustomVerificationEmail",
    "CreateEmailIdentity",
];

pub static META: Meta = Meta {
    id: "ses-sending-identity-added-first-seen",
    title: "AWS SES Sending Identity Added by a New Principal",
    description: "A principal submitted an email address or a domain to SES as a sending \
                  identity for the first time in ten days. Spammers and phishers who steal \
                  keys verify an address or domain of their own so that SES will send their \
                  mail from the victim's account.",
    severity: Severity::Medium,
    attack: &["T1496", "T1586.002", "T1585.002"],
    origins: &["trailwatch: based on the AWS Threat Technique Catalog's SES messaging \
             hijacking technique and public reports of stolen keys used for SES spam \
             (quota checks, a new verified identity, a production-access request)"],
    group: "hijacking",
    false_positives: &[
        "A team onboarding a new sender address or domain (once per principal in ten days).",
    ],
    next_steps: "Check whether the address or domain belongs to the organisation. If not, \
                 delete the identity, revoke the caller's credentials, and look for \
                 production-access requests and sending statistics in every Region.",
    evidence: "api caller caller_type domain emailAddress emailIdentity source_ip user_agent",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: Some(WindowSpec::FirstSeen { days: 10 }),
};

impl Detection for SesSendingIdentityAddedFirstSeen {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, SOURCE, NAMES) || aws_service_caller_but_stack(rec) {
            return None;
        }
        first_seen_by_actor(
            rec,
            None,
            change_evidence(rec, &["emailAddress", "domain", "emailIdentity"]),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::iam_testing::*;
    use crate::detections::common::testing::eval;

    fn ses(name: &str, identity: &str, params: &str) -> String {
        record(SOURCE, name, identity, params, "")
    }

    #[test]
    fn a_new_address_or_domain_is_a_term_of_its_principal() {
        for (name, params, key, value) in [
            ("VerifyEmailIdentity", r#"{"emailAddress":"billing@examp1e-pay.com"}"#, "emailAddress", "billing@examp1e-pay.com"),
            ("VerifyEmailAddress", r#"{"emailAddress":"a@example.net"}"#, "emailAddress", "a@example.net"),
            ("VerifyDomainIdentity", r#"{"domain":"examp1e-pay.com"}"#, "domain", "examp1e-pay.com"),
            ("CreateEmailIdentity", r#"{"emailIdentity":"examp1e-pay.com"}"#, "emailIdentity", "examp1e-pay.com"),
            ("VerifyDomainDkim", r#"{"domain":"examp1e-pay.com"}"#, "domain", "examp1e-pay.com"),
            (
                "SendCustomVerificationEmail",
                r#"{"emailAddress":"ceo@examp1e-pay.com","templateName":"welcome"}"#,
                "emailAddress",
                "ceo@examp1e-pay.com",
            ),
        ] {
            match eval(&SesSendingIdentityAddedFirstSeen, &ses(name, USER, params)) {
                Some(Signal::FirstSeen { term, evidence }) => {
                    assert!(term.ends_with("user/alice"), "{term}");
                    assert_eq!(evidence.get(key).and_then(|v| v.as_str()), Some(value), "{name}");
                }
                other => panic!("{name}: expected FirstSeen, got {other:?}"),
            }
        }
    }

    #[test]
    fn failures_services_and_other_calls_do_not_count() {
        let params = r#"{"emailAddress":"x@example.net"}"#;
        let denied = record(SOURCE, "VerifyEmailIdentity", USER, params, r#""errorCode":"AccessDenied","#);
        assert_eq!(eval(&SesSendingIdentityAddedFirstSeen, &denied), None);
        let service = r#"{"type":"AWSService","invokedBy":"ses.amazonaws.com"}"#;
        assert_eq!(eval(&SesSendingIdentityAddedFirstSeen, &ses("VerifyEmailIdentity", service, params)), None);
        // A stack is the caller's own act: it counts.
        let stack = ses("CreateEmailIdentity", CFN, r#"{"emailIdentity":"evil.example"}"#);
        assert!(eval(&SesSendingIdentityAddedFirstSeen, &stack).is_some());
        for name in ["DeleteIdentity", "GetIdentityVerificationAttributes", "ListIdentities"] {
            assert_eq!(eval(&SesSendingIdentityAddedFirstSeen, &ses(name, USER, params)), None, "{name}");
        }
    }
}
