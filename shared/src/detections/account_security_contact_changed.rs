//! The account's security or billing alternate contact replaced or removed
//! (`PutAlternateContact`, `DeleteAlternateContact` with `alternateContactType`
//! `SECURITY` or `BILLING`), successfully.
//!
//! Decisions: AWS sends its security notifications (exposed access keys, abuse
//! reports about the account's resources) to the security contact, and cost warnings
//! to the billing contact. An intruder who points them at an address they own, or
//! removes them, hides AWS's warnings about the very misuse under way (mining bills,
//! spam, a leaked key). The operations contact is left out. Parameter names are taken
//! in either casing; a member account's contact changed from the management account
//! names that account (`accountId`).

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{request_text_any, succeeded_call};
use crate::event::Record;

pub struct AccountSecurityContactChanged;

const SOURCE: &str = "account.amazonaws.com";
const NAMES: &[&str] = &["PutAlternateContact", "DeleteAlternateContact"];

pub static META: Meta = Meta {
    id: "account-security-contact-changed",
    title: "AWS Account Security or Billing Contact Changed",
    description: "The account's security or billing alternate contact was replaced or \
                  removed. AWS sends its warnings about exposed keys, abuse from the \
                  account's resources and unusual charges there: redirecting them hides the \
                  alarms an intrusion (mining, spam, a leaked key) sets off.",
    severity: Severity::Medium,
    attack: &["T1562", "T1098"],
    origins: &[
        "trailwatch: based on the AWS Account Management PutAlternateContact and \
         DeleteAlternateContact APIs, beside account-primary-email-changed",
    ],
    group: "hijacking",
    false_positives: &["The security or finance team updating its mailing list or on-call address."],
    next_steps: "Confirm the new contact with the security and finance teams. If it is not \
                 theirs, set it back, look for AWS notifications sent since (abuse reports, \
                 exposed keys, billing alerts), and review the caller's other activity.",
    evidence: "action contact_type email target_account",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

impl Detection for AccountSecurityContactChanged {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, SOURCE, NAMES) {
            return None;
        }
        let text = |keys: &[&str]| request_text_any(rec, keys);
        let kind = text(&["alternateContactType", "AlternateContactType"])?.trim();
        if !["SECURITY", "BILLING"].iter().any(|k| k.eq_ignore_ascii_case(kind)) {
            return None;
        }
        fire(
            Evidence::new()
                .with("action", rec.event_name())
                .with("contact_type", kind)
                // CloudTrail usually hides the contact's details.
                .with_opt(
                    "email",
                    text(&["emailAddress", "EmailAddress"])
                        .filter(|e| *e != "HIDDEN_DUE_TO_SECURITY_REASONS"),
                )
                .with_opt("target_account", text(&["accountId", "AccountId"])),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::calls::{call, failed};
    use crate::detections::common::testing::{eval, fires};

    #[test]
    fn security_or_billing_contact_replaced_or_removed_fires() {
        let put = call(SOURCE, "PutAlternateContact", r#"{"alternateContactType":"SECURITY","emailAddress":"soc@example.net","name":"SOC","phoneNumber":"+1-555-0100","title":"SOC"}"#);
        match eval(&AccountSecurityContactChanged, &put) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("contact_type").and_then(|v| v.as_str()), Some("SECURITY"));
                assert_eq!(e.get("email").and_then(|v| v.as_str()), Some("soc@example.net"));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let removed = call(SOURCE, "DeleteAlternateContact", r#"{"AlternateContactType":"BILLING","AccountId":"444455556666"}"#);
        match eval(&AccountSecurityContactChanged, &removed) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("target_account").and_then(|v| v.as_str()), Some("444455556666")),
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn operations_contact_reads_and_refusals_do_not_fire() {
        assert!(!fires(&AccountSecurityContactChanged, &call(SOURCE, "PutAlternateContact", r#"{"alternateContactType":"OPERATIONS","emailAddress":"ops@example.net"}"#)));
        assert!(!fires(&AccountSecurityContactChanged, &call(SOURCE, "GetAlternateContact", r#"{"alternateContactType":"SECURITY"}"#)));
        let put = call(SOURCE, "PutAlternateContact", r#"{"alternateContactType":"SECURITY","emailAddress":"x@example.net"}"#);
        assert!(!fires(&AccountSecurityContactChanged, &failed(&put, "AccessDeniedException")));
        assert!(!fires(&AccountSecurityContactChanged, &call(SOURCE, "PutAlternateContact", "null")));
    }
}
