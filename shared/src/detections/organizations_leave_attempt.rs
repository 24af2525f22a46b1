//! An account left, or tried to leave, its AWS Organization (`LeaveOrganization`),
//! whatever the outcome.
//!
//! Decision: attempts count. A member account has no reason to call this outside a
//! planned migration, and the denied call is what an intruder testing their way out
//! leaves behind (Stratus Red Team detonates exactly that: an `AccessDenied`
//! `LeaveOrganization`). The finding says whether it succeeded.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::with_error;
use crate::event::Record;

pub struct OrganizationsLeaveAttempt;

const SOURCE: &str = "organizations.amazonaws.com";
const NAMES: &[&str] = &["LeaveOrganization"];

pub static META: Meta = Meta {
    id: "organizations-leave-attempt",
    title: "AWS Account Left or Tried to Leave the Organization",
    description: "A member account called LeaveOrganization. An account outside the \
                  organisation escapes its service control policies and the organisation's \
                  CloudTrail, GuardDuty, Security Hub and Config set-up, so leaving is a way to \
                  shed every central control at once; even a refused attempt shows someone \
                  trying.",
    severity: Severity::High,
    attack: &["T1666", "T1562.001"],
    origins: &[
        "Elastic detection-rules defense_evasion_organizations_leave_organization.toml",
        "trailwatch: based on Stratus Red Team aws.defense-evasion.organizations-leave",
    ],
    group: "hijacking",
    false_positives: &[
        "A planned move of the account to another organisation, done by the cloud platform \
         team.",
    ],
    next_steps: "Check whether the call succeeded. If it did and was not planned, invite the \
                 account back at once and review everything it did since. Either way, find out \
                 how the caller got its credentials and what else it tried.",
    evidence: "account error_code error_message succeeded",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

impl Detection for OrganizationsLeaveAttempt {
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

    const LEAVE: &str = r#"{"eventSource":"organizations.amazonaws.com","eventName":"LeaveOrganization",
        "awsRegion":"us-east-1","sourceIPAddress":"198.51.100.71","userAgent":"aws-sdk-go-v2/1.30.3",
        "recipientAccountId":"444455556666",
        "userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:s1",
          "arn":"arn:aws:sts::444455556666:assumed-role/Escape/s1","accountId":"444455556666"},
        "requestParameters":null,"responseElements":null}"#;

    #[test]
    fn success_and_attempt_both_fire() {
        match eval(&OrganizationsLeaveAttempt, LEAVE) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("succeeded"), Some(&Value::Bool(true)));
                assert_eq!(e.get("account").and_then(|v| v.as_str()), Some("444455556666"));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let denied = LEAVE.replace(
            "\"requestParameters\"",
            r#""errorCode":"AccessDenied","errorMessage":"not authorized to perform: organizations:LeaveOrganization","requestParameters""#,
        );
        match eval(&OrganizationsLeaveAttempt, &denied) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("succeeded"), Some(&Value::Bool(false)));
                assert_eq!(e.get("error_code").and_then(|v| v.as_str()), Some("AccessDenied"));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn ignores_other_calls() {
        for (from, to) in [
            ("LeaveOrganization", "RemoveAccountFromOrganization"),
            ("LeaveOrganization", "DescribeOrganization"),
            ("organizations.amazonaws.com", "account.amazonaws.com"),
        ] {
            assert!(!fires(&OrganizationsLeaveAttempt, &LEAVE.replace(from, to)), "{to}");
        }
        let no_identity = LEAVE.replace(
            r#""userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:s1",
          "arn":"arn:aws:sts::444455556666:assumed-role/Escape/s1","accountId":"444455556666"},"#,
            "",
        );
        assert_ne!(no_identity, LEAVE);
        assert!(fires(&OrganizationsLeaveAttempt, &no_identity));
    }
}
