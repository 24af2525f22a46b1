//! An account removed from the AWS Organization by its management account
//! (`RemoveAccountFromOrganization`), whatever the outcome.
//!
//! Decisions: the management account's side of `organizations-leave-attempt`. A
//! removed account keeps running with none of the organisation's service control
//! policies, trail, GuardDuty or Security Hub, and its data stays inside it: an
//! intruder holding the management account can cut an account loose and keep it.
//! Refused attempts count, as for leaving: a role of the management account
//! trying this is worth a look whether or not it was allowed. The finding says
//! whether it succeeded, which account was named and in which account the call
//! was recorded (the management account's, or a member's whose attempt was
//! refused: only the management account may remove an account).

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::with_error;
use crate::event::Record;

pub struct OrganizationsAccountRemoved;

const SOURCE: &str = "organizations.amazonaws.com";
const NAMES: &[&str] = &["RemoveAccountFromOrganization"];

pub static META: Meta = Meta {
    id: "organizations-account-removed",
    title: "AWS Account Removed from the Organization",
    description: "A member account was removed from the organisation, or someone tried to \
                  remove one (only the management account may). Once outside, the account is \
                  free of the organisation's \
                  service control policies and central logging and threat detection, and what \
                  it holds can be kept by whoever controls it.",
    severity: Severity::High,
    attack: &["T1666", "T1562.001"],
    origins: &["trailwatch: based on organisation hierarchy changes (T1666), the management \
                account's counterpart of LeaveOrganization"],
    group: "hijacking",
    false_positives: &[
        "A planned separation of an account (a divestment, a move to another organisation), \
         done by the cloud platform team.",
    ],
    next_steps: "Check whether the call succeeded and whether the removal was planned. If not, \
                 invite the account back at once, secure the management account's credentials \
                 and review what the removed account did since.",
    evidence: "account error_code error_message removed_account succeeded",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

impl Detection for OrganizationsAccountRemoved {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != SOURCE || !NAMES.contains(&rec.event_name()) {
            return None;
        }
        fire(with_error(
            Evidence::new()
                .with("succeeded", rec.succeeded())
                .with_opt("removed_account", rec.request_param_str("accountId"))
                .with_opt("account", rec.account_id()),
            rec,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::{eval, fires};
    use serde_json::Value;

    const REMOVE: &str = r#"{"eventSource":"organizations.amazonaws.com","eventName":"RemoveAccountFromOrganization",
        "awsRegion":"us-east-1","sourceIPAddress":"203.0.113.65","userAgent":"aws-cli/2.15.0",
        "recipientAccountId":"111122223333",
        "userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:s1",
          "arn":"arn:aws:sts::111122223333:assumed-role/OrgAdmin/s1","accountId":"111122223333"},
        "requestParameters":{"accountId":"444455556666"},"responseElements":null}"#;

    #[test]
    fn fires_on_removal_and_on_a_refused_attempt() {
        match eval(&OrganizationsAccountRemoved, REMOVE) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("succeeded"), Some(&Value::Bool(true)));
                assert_eq!(e.get("removed_account").and_then(|v| v.as_str()), Some("444455556666"));
                assert_eq!(e.get("account").and_then(|v| v.as_str()), Some("111122223333"));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let refused = REMOVE.replace(
            "\"requestParameters\"",
            r#""errorCode":"AccessDeniedException","errorMessage":"not authorized","requestParameters""#,
        );
        match eval(&OrganizationsAccountRemoved, &refused) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("succeeded"), Some(&Value::Bool(false)));
                assert_eq!(e.get("error_code").and_then(|v| v.as_str()), Some("AccessDeniedException"));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn ignores_other_calls() {
        for to in ["LeaveOrganization", "InviteAccountToOrganization", "CloseAccount", "DescribeAccount"] {
            assert!(!fires(&OrganizationsAccountRemoved, &REMOVE.replace("RemoveAccountFromOrganization", to)), "{to}");
        }
        let elsewhere = REMOVE.replace("organizations.amazonaws.com", "account.amazonaws.com");
        assert!(!fires(&OrganizationsAccountRemoved, &elsewhere));
    }
}
