//! A role's trust policy replaced (`UpdateAssumeRolePolicy`, successful) by a caller
//! who had not changed that role's trust in the last 7 days (first-seen term: account,
//! caller, role). Whatever the new document says:
//! `iam-role-trust-policy-external-principal` judges the content; this one says that
//! the trust of a role changed at all, by someone new to it.
//!
//! The caller in the term is the role of an assumed-role session, not the session
//! (`common::account_principal_term`): the CLI and SDKs name a new session on every
//! assume, and ECS tasks after the task, so a session term would be new each run.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, WindowSpec};
use crate::detections::common::{IAM, change_evidence, first_seen_by_actor, is_event};
use crate::event::Record;

pub struct IamAssumeRolePolicyUpdated;

pub static META: Meta = Meta {
    id: "iam-assume-role-policy-updated",
    title: "AWS IAM Assume Role Policy Update",
    description: "A caller changed who may assume an IAM role, for the first time in \
                  a week for that role. Editing trust policies is rare; an attacker \
                  does it to let a principal they hold assume a more privileged role.",
    severity: Severity::Low,
    attack: &["T1098", "T1098.003"],
    origins: &[
        "Elastic detection-rules \
         privilege_escalation_iam_update_assume_role_policy.toml",
    ],
    group: "iam-persistence",
    false_positives: &[
        "Administrators or pipelines editing role trust during a migration (fires \
         once per role and caller a week).",
    ],
    next_steps: "Read the new trust policy in the record and compare it with the \
                 previous one (CloudTrail history of the role). If it adds principals \
                 you do not recognise, restore it and review AssumeRole calls on the \
                 role since.",
    evidence: "api caller caller_type policyDocument roleName source_ip user_agent",
    triggers: &[Trigger::write(IAM, &["UpdateAssumeRolePolicy"])],
    window: Some(WindowSpec::FirstSeen { days: 7 }),
};

impl Detection for IamAssumeRolePolicyUpdated {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !is_event(rec, IAM, &["UpdateAssumeRolePolicy"]) || !rec.succeeded() {
            return None;
        }
        let role = rec.request_param_str("roleName")?;
        first_seen_by_actor(rec, Some(role), change_evidence(rec, &["roleName", "policyDocument"]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::iam_testing::*;

    const PARAMS: &str = r#"{"roleName":"app-role","policyDocument":"{\"Statement\":[]}"}"#;

    #[test]
    fn the_term_is_account_caller_and_role() {
        assert_eq!(
            first_seen_term(&IamAssumeRolePolicyUpdated, &iam("UpdateAssumeRolePolicy", USER, PARAMS)).as_deref(),
            Some("111122223333|arn:aws:iam::111122223333:user/alice|app-role")
        );
        for who in [ROLE, ROOT, FEDERATED, CFN] {
            assert!(first_seen_term(&IamAssumeRolePolicyUpdated, &iam("UpdateAssumeRolePolicy", who, PARAMS)).is_some());
        }
    }

    #[test]
    fn ignores_failures_and_calls_without_a_role() {
        let denied = iam_failed("UpdateAssumeRolePolicy", USER, PARAMS, "MalformedPolicyDocumentException");
        assert_eq!(first_seen_term(&IamAssumeRolePolicyUpdated, &denied), None);
        assert_eq!(first_seen_term(&IamAssumeRolePolicyUpdated, &iam("UpdateAssumeRolePolicy", USER, "null")), None);
        assert_eq!(first_seen_term(&IamAssumeRolePolicyUpdated, &iam("UpdateRole", USER, PARAMS)), None);
    }
}
