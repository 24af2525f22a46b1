//! A member account of the organisation closed (`CloseAccount`), successfully.
//!
//! Decision: the asynchronous `CloseAccountResult` service event that follows is not
//! reported again: the caller and the request are in `CloseAccount`.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{params_evidence, succeeded_call};
use crate::event::Record;

pub struct OrganizationsAccountClosed;

const SOURCE: &str = "organizations.amazonaws.com";
const NAMES: &[&str] = &["CloseAccount"];

pub static META: Meta = Meta {
    id: "organizations-account-closed",
    title: "AWS Account Closed",
    description: "An account of the organisation was closed from the management account. \
                  Its resources stop and, after the post-closure period, its data is deleted: \
                  a destructive act when done by an intruder holding the management account, \
                  and one that also removes the account's own logs and security services.",
    severity: Severity::Medium,
    attack: &["T1531", "T1485"],
    origins: &["trailwatch: based on the AWS Organizations CloseAccount API and the \
              \"AWS Account Closed\" title in the catalogue continuation"],
    group: "hijacking",
    false_positives: &["Planned decommissioning of sandbox or project accounts."],
    next_steps: "Confirm the closure with the account owner and the platform team. An account \
                 can be reopened during the post-closure period: act quickly if it was not \
                 planned, and review what else the caller did in the management account.",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

impl Detection for OrganizationsAccountClosed {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, SOURCE, NAMES) {
            return None;
        }
        fire(params_evidence(rec, &[("closed_account", "accountId")]))
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
