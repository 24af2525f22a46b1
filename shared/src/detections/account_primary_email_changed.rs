//! A member account's root email address being changed through the Account Management
//! API: `StartPrimaryEmailUpdate` (a one-time code goes to the new address) and
//! `AcceptPrimaryEmailUpdate` (the code is entered and the change is made), successfully.
//!
//! Decisions:
//! - Both steps fire. The start is the earliest warning (the change is not made until the
//!   code is accepted, minutes later at best); the acceptance says it is done. The
//!   finding's `status` evidence tells them apart (`started` or `accepted`).
//! - Only the API form is watched: a standalone account's owner changing the address on
//!   the account page is a console action whose CloudTrail shape we hold no record of
//!   (docs/coverage.md).
//! - Parameter names are taken in either casing: the API's body is `AccountId` and
//!   `PrimaryEmail`, and CloudTrail's spelling of them is not confirmed here.
//! - A member's primary contact (`PutContactInformation`), whose phone root MFA
//!   recovery also calls, is not watched: account-vending pipelines set it for every
//!   account they make, and the takeover needs the email change too, which fires
//!   (tried and withdrawn on 2026-12-05 after a review named the pipelines).

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{HIDDEN_USER_NAME, request_text_any, succeeded_call};
use crate::event::Record;

pub struct AccountPrimaryEmailChanged;

const SOURCE: &str = "account.amazonaws.com";
const NAMES: &[&str] = &["StartPrimaryEmailUpdate", "AcceptPrimaryEmailUpdate"];

pub static META: Meta = Meta {
    id: "account-primary-email-changed",
    title: "AWS Member Account Root Email Address Changed",
    description: "The root user's email address of a member account was changed, or a change \
                  was started, from the organisation's management or delegated administrator \
                  account. Whoever holds the new address can reset the root password and own \
                  the account outright: a quiet takeover of every member account an intruder \
                  in the management account can reach.",
    severity: Severity::High,
    attack: &["T1098", "T1531"],
    origins: &["trailwatch: based on the AWS Account Management StartPrimaryEmailUpdate and \
              AcceptPrimaryEmailUpdate APIs, and the root email change listed as a gap in \
              docs/coverage.md"],
    group: "hijacking",
    false_positives: &[
        "The platform team moving accounts to a new mailbox or domain, or handing an account \
         over to its new owner.",
    ],
    next_steps: "Confirm the change with the platform team and the account's owner. If it was \
                 not planned, set the address back at once, reset the root password and MFA, \
                 check for root sign-ins and password recovery in that account, and review \
                 what else the caller did in the management account.",
    evidence: "new_email status target_account",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

impl Detection for AccountPrimaryEmailChanged {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, SOURCE, NAMES) {
            return None;
        }
        let status = if rec.event_name() == "AcceptPrimaryEmailUpdate" {
            "accepted"
        } else {
            "started"
        };
        let text = |keys: &[&str]| request_text_any(rec, keys);
        fire(
            Evidence::new()
                .with("status", status)
                .with_opt("target_account", text(&["AccountId", "accountId"]))
                // CloudTrail may write the address as a placeholder: no evidence then.
                .with_opt(
                    "new_email",
                    text(&["PrimaryEmail", "primaryEmail"]).filter(|e| *e != HIDDEN_USER_NAME),
                ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::calls::{call, failed};
    use crate::detections::common::testing::{eval, fires};

    fn update(name: &str, params: &str) -> String {
        call("account.amazonaws.com", name, params)
    }

    #[test]
    fn both_steps_fire_and_say_which() {
        for (name, status) in [
            ("StartPrimaryEmailUpdate", "started"),
            ("AcceptPrimaryEmailUpdate", "accepted"),
        ] {
            let rec = update(
                name,
                r#"{"AccountId":"444455556666","PrimaryEmail":"ops@example.net"}"#,
            );
            match eval(&AccountPrimaryEmailChanged, &rec) {
                Some(Signal::Fire(e)) => {
                    assert_eq!(e.get("status").and_then(|v| v.as_str()), Some(status));
                    assert_eq!(
                        e.get("target_account").and_then(|v| v.as_str()),
                        Some("444455556666")
                    );
                    assert_eq!(
                        e.get("new_email").and_then(|v| v.as_str()),
                        Some("ops@example.net")
                    );
                }
                other => panic!("expected a finding for {name}, got {other:?}"),
            }
        }
        // camelCase parameters, or none logged, still fire.
        let camel = update(
            "AcceptPrimaryEmailUpdate",
            r#"{"accountId":"444455556666","primaryEmail":"ops@example.net","otp":"HIDDEN_DUE_TO_SECURITY_REASONS"}"#,
        );
        match eval(&AccountPrimaryEmailChanged, &camel) {
            Some(Signal::Fire(e)) => assert_eq!(
                e.get("target_account").and_then(|v| v.as_str()),
                Some("444455556666")
            ),
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(fires(&AccountPrimaryEmailChanged, &update("StartPrimaryEmailUpdate", "null")));
    }

    #[test]
    fn refused_calls_reads_and_other_contact_changes_do_not_fire() {
        let params = r#"{"AccountId":"444455556666","PrimaryEmail":"ops@example.net"}"#;
        assert!(!fires(
            &AccountPrimaryEmailChanged,
            &failed(&update("StartPrimaryEmailUpdate", params), "AccessDeniedException")
        ));
        assert!(!fires(
            &AccountPrimaryEmailChanged,
            &update("GetPrimaryEmail", r#"{"AccountId":"444455556666"}"#)
        ));
        assert!(!fires(
            &AccountPrimaryEmailChanged,
            &update("PutContactInformation", r#"{"AccountId":"444455556666"}"#)
        ));
    }
}
