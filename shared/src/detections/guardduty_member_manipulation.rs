//! GuardDuty's administrator/member link cut or member monitoring stopped
//! (`DisassociateFromAdministratorAccount`, `DisassociateFromMasterAccount`,
//! `DeleteMembers`, `StopMonitoringMembers`, `DeleteInvitations`,
//! `DisassociateMembers`), successfully.
//!
//! Decision: `DisassociateFromMasterAccount` is the older name of
//! `DisassociateFromAdministratorAccount` and is included with it.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::succeeded_call;
use crate::event::Record;

pub struct GuardDutyMemberManipulation;

const SOURCE: &str = "guardduty.amazonaws.com";
const NAMES: &[&str] = &[
    "DisassociateFromAdministratorAccount",
    "DisassociateFromMasterAccount",
    "DeleteMembers",
    "StopMonitoringMembers",
    "DeleteInvitations",
    "DisassociateMembers",
];

pub static META: Meta = Meta {
    id: "guardduty-member-manipulation",
    title: "AWS GuardDuty Member Account Manipulation",
    description: "The link between a GuardDuty administrator account and its members was cut, \
                  or the administrator stopped monitoring members. Findings of those accounts \
                  no longer reach the central security team, even though GuardDuty may still \
                  run in them: a quiet way to hide one account from the organisation's view.",
    severity: Severity::High,
    attack: &["T1562.001"],
    origins: &["Elastic detection-rules defense_evasion_guardduty_member_manipulation.toml"],
    group: "security-services",
    false_positives: &[
        "Accounts leaving the organisation or being closed, and changes of the GuardDuty \
         delegated administrator, done by the security team.",
    ],
    next_steps: "Check which accounts were detached (evidence) and who did it: a member \
                 disassociating itself is more suspicious than the administrator removing a \
                 closed account. Re-associate the accounts if unplanned and review their \
                 activity since.",
    evidence: "account_ids action detector_id unprocessed_account_ids",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

impl Detection for GuardDutyMemberManipulation {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, SOURCE, NAMES) {
            return None;
        }
        // Accounts GuardDuty answered it did not process (`unprocessedAccounts`)
        // are named apart, not among those detached (from a responder's
        // review). A call none was processed by still fires: an attempt.
        let unprocessed: Vec<&str> = rec
            .response_element("unprocessedAccounts")
            .and_then(serde_json::Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|a| a.get("accountId").and_then(serde_json::Value::as_str))
            .collect();
        let account_ids = rec.request_param("accountIds").map(|ids| match ids {
            serde_json::Value::Array(list) if !unprocessed.is_empty() => serde_json::Value::Array(
                list.iter()
                    .filter(|id| !id.as_str().is_some_and(|id| unprocessed.contains(&id)))
                    .cloned()
                    .collect(),
            ),
            other => other.clone(),
        });
        fire(
            Evidence::new()
                .with("action", rec.event_name())
                .with_opt("detector_id", rec.request_param_str("detectorId"))
                .with_json("account_ids", account_ids.as_ref())
                .with_opt(
                    "unprocessed_account_ids",
                    (!unprocessed.is_empty()).then(|| serde_json::json!(unprocessed)),
                ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::{eval, fires};
    use serde_json::json;

    const STOP: &str = r#"{"eventSource":"guardduty.amazonaws.com","eventName":"StopMonitoringMembers",
        "awsRegion":"us-east-1","sourceIPAddress":"192.0.2.14","userAgent":"aws-cli/2.15.0",
        "userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:sec",
          "arn":"arn:aws:sts::111122223333:assumed-role/SecAdmin/sec","accountId":"111122223333"},
        "requestParameters":{"detectorId":"d1","accountIds":["444455556666"]},
        "responseElements":{"unprocessedAccounts":[]}}"#;

    #[test]
    fn fires_with_the_accounts() {
        match eval(&GuardDutyMemberManipulation, STOP) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("account_ids"), Some(&json!(["444455556666"])));
                assert_eq!(
                    e.get("action").and_then(|v| v.as_str()),
                    Some("StopMonitoringMembers")
                );
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        for name in NAMES {
            assert!(
                fires(&GuardDutyMemberManipulation, &STOP.replace("StopMonitoringMembers", name)),
                "{name}"
            );
        }
        let member_side = STOP
            .replace("StopMonitoringMembers", "DisassociateFromAdministratorAccount")
            .replace(r#"{"detectorId":"d1","accountIds":["444455556666"]}"#, "null");
        assert!(fires(&GuardDutyMemberManipulation, &member_side));
    }

    /// From a responder's review: an account GuardDuty did not process was
    /// listed among those detached.
    #[test]
    fn unprocessed_accounts_are_named_apart() {
        let partial = STOP
            .replace(r#"["444455556666"]"#, r#"["444455556666","777788889999"]"#)
            .replace(
                r#""unprocessedAccounts":[]"#,
                r#""unprocessedAccounts":[{"accountId":"777788889999","result":"The request is rejected because the account is not a member"}]"#,
            );
        match eval(&GuardDutyMemberManipulation, &partial) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("account_ids"), Some(&json!(["444455556666"])));
                assert_eq!(e.get("unprocessed_account_ids"), Some(&json!(["777788889999"])));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        // None processed: still an attempt, reported, the accounts named apart.
        let none = partial.replace(r#""accountIds":["444455556666","#, r#""accountIds":["#);
        match eval(&GuardDutyMemberManipulation, &none) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("account_ids"), Some(&json!([])));
                assert_eq!(e.get("unprocessed_account_ids"), Some(&json!(["777788889999"])));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn ignores_failures_and_other_calls() {
        let denied = STOP.replace(
            "\"requestParameters\"",
            r#""errorCode":"BadRequestException","errorMessage":"The request is rejected","requestParameters""#,
        );
        assert!(!fires(&GuardDutyMemberManipulation, &denied));
        for (from, to) in [
            ("StopMonitoringMembers", "StartMonitoringMembers"),
            ("StopMonitoringMembers", "CreateMembers"),
            ("guardduty.amazonaws.com", "securityhub.amazonaws.com"),
        ] {
            assert!(!fires(&GuardDutyMemberManipulation, &STOP.replace(from, to)), "{to}");
        }
    }
}
