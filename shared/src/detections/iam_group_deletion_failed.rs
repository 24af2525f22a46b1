//! A refused IAM group deletion (`DeleteGroup` with an `errorCode`, such as
//! `AccessDenied`, `DeleteConflict` or `NoSuchEntity`). A successful deletion is
//! `iam-group-created-or-deleted`. Calls by AWS services for themselves are left out.
//! Unlike Splunk's rule, calls made in the web console count: a person tried it there.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{IAM, change_evidence, is_event, with_error};
use crate::event::Record;

pub struct IamGroupDeletionFailed;

pub static META: Meta = Meta {
    id: "iam-group-deletion-failed",
    title: "AWS IAM Failure Group Deletion",
    description: "An attempt to delete an IAM group failed. Denied or conflicting \
                  deletions show someone probing what a principal may do, or trying \
                  to remove the group that controls access before detaching its \
                  members.",
    severity: Severity::Low,
    attack: &["T1098", "T1531"],
    origins: &[
        "Splunk ESCU detections/cloud/aws_iam_failure_group_deletion.yml",
    ],
    group: "iam-persistence",
    false_positives: &[
        "Clean-up scripts that try to delete groups still holding members or \
         policies.",
    ],
    next_steps: "Look at the error and at the caller's other calls around it; \
                 repeated denials from an unexpected principal suggest stolen \
                 credentials being tested.",
    evidence: "api caller caller_type error_code error_message groupName source_ip user_agent",
    triggers: &[Trigger::write(IAM, &["DeleteGroup"])],
    window: None,
};

impl Detection for IamGroupDeletionFailed {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !is_event(rec, IAM, &["DeleteGroup"]) || rec.succeeded() || rec.identity_type() == Some("AWSService") {
            return None;
        }
        fire(with_error(change_evidence(rec, &["groupName"]), rec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::iam_testing::*;
    use crate::detections::common::testing::fires;

    #[test]
    fn fires_on_refused_deletions() {
        for code in ["AccessDenied", "DeleteConflict", "NoSuchEntity"] {
            for who in [USER, ROLE, ROOT, FEDERATED] {
                assert!(fires(&IamGroupDeletionFailed, &iam_failed("DeleteGroup", who, r#"{"groupName":"admins"}"#, code)), "{code} {who}");
            }
        }
    }

    #[test]
    fn ignores_successes_and_other_calls() {
        assert!(!fires(&IamGroupDeletionFailed, &iam("DeleteGroup", USER, r#"{"groupName":"admins"}"#)));
        assert!(!fires(&IamGroupDeletionFailed, &iam_failed("CreateGroup", USER, "null", "EntityAlreadyExists")));
    }
}
