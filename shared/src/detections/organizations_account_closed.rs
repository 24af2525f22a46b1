//! A member account of the organisation closed (`CloseAccount`), or an attempt
//! refused for want of permission.
//!
//! Decisions: the asynchronous `CloseAccountResult` service event that follows is not
//! reported again: the caller and the request are in `CloseAccount`. A refusal by
//! permission (`AccessDeniedException`: the caller's policies do not allow it) is an
//! intruder probing a destructive call from the management account, reported with
//! `succeeded: false` as the account-removal and leave attempts are; a refusal by
//! Organizations' own rules (the closure quota, an account already closing) is an
//! administrator's bulk clean-up hitting its limit, and is left out. High, as an
//! account removed from the organisation is (from an evasion review: closing
//! member accounts from a taken management account destroys at least as much;
//! it was medium).

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{is_access_denied, is_event, params_evidence, with_error};
use crate::event::Record;

pub struct OrganizationsAccountClosed;

const SOURCE: &str = "organizations.amazonaws.com";
const NAMES: &[&str] = &["CloseAccount"];

pub static META: Meta = Meta {
    id: "organizations-account-closed",
    title: "AWS Account Closed",
    description: "An account of the organisation was closed from the management account, or \
                  an attempt was refused for want of permission. Its resources stop and, after the post-closure period, its data is deleted: \
                  a destructive act when done by an intruder holding the management account, \
                  and one that also removes the account's own logs and security services.",
    severity: Severity::High,
    attack: &["T1531", "T1485"],
    origins: &["trailwatch: based on the AWS Organizations CloseAccount API and the \
              \"AWS Account Closed\" title in the catalogue continuation"],
    group: "hijacking",
    false_positives: &["Planned decommissioning of sandbox or project accounts."],
    next_steps: "Confirm the closure with the account owner and the platform team. An account \
                 can be reopened during the post-closure period: act quickly if it was not \
                 planned, and review what else the caller did in the management account.",
    evidence: "closed_account error_code error_message succeeded",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

impl Detection for OrganizationsAccountClosed {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !is_event(rec, SOURCE, NAMES) {
            return None;
        }
        let succeeded = rec.succeeded();
        if !succeeded && !rec.error_code().is_some_and(is_access_denied) {
            return None;
        }
        let evidence = params_evidence(rec, &[("closed_account", "accountId")]).with("succeeded", succeeded);
        fire(with_error(evidence, rec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::{eval, fires};

    const CLOSE: &str = r#"{"eventSource":"organizations.amazonaws.com","eventName":"CloseAccount",
        "awsRegion":"us-east-1","sourceIPAddress":"192.0.2.200","userAgent":"aws-cli/2.15.0",
        "userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:admin",
          "arn":"arn:aws:sts::111122223333:assumed-role/OrgAdmin/admin","accountId":"111122223333"},
        "requestParameters":{"accountId":"444455556666"},"responseElements":null}"#;

    #[test]
    fn fires_with_the_closed_account() {
        match eval(&OrganizationsAccountClosed, CLOSE) {
            Some(Signal::Fire(e)) => assert_eq!(
                e.get("closed_account").and_then(|v| v.as_str()),
                Some("444455556666")
            ),
            other => panic!("expected a finding, got {other:?}"),
        }
        let numeric = CLOSE.replace(r#""444455556666"}"#, "444455556666}");
        assert!(fires(&OrganizationsAccountClosed, &numeric));
    }

    #[test]
    fn a_refusal_by_permission_counts_not_one_by_quota() {
        let denied = CLOSE.replace(
            "\"requestParameters\"",
            r#""errorCode":"AccessDeniedException","errorMessage":"no identity-based policy allows the organizations:CloseAccount action","requestParameters""#,
        );
        match eval(&OrganizationsAccountClosed, &denied) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("succeeded").and_then(|v| v.as_bool()), Some(false));
                assert_eq!(e.get("error_code").and_then(|v| v.as_str()), Some("AccessDeniedException"));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn ignores_failures_and_the_result_event() {
        let failed = CLOSE.replace(
            "\"requestParameters\"",
            r#""errorCode":"ConstraintViolationException","errorMessage":"quota","requestParameters""#,
        );
        assert!(!fires(&OrganizationsAccountClosed, &failed));
        assert!(!fires(
            &OrganizationsAccountClosed,
            &CLOSE.replace("\"CloseAccount\"", "\"CloseAccountResult\"")
        ));
        assert!(!fires(
            &OrganizationsAccountClosed,
            &CLOSE.replace("organizations.amazonaws.com", "account.amazonaws.com")
        ));
    }
}
