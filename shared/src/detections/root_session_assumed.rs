//! A root session opened in a member account through AWS Organizations'
//! centralized root access (`sts:AssumeRoot`), successfully. The call is
//! recorded in the management account (or IAM's delegated administrator), and
//! names the member account (`targetPrincipal`) and the task policy that limits
//! the session (`taskPolicyArn.arn`, one of AWS's root tasks).
//!
//! Decisions (eighth session, from a review of false positives of identity
//! work, which found the call itself reported nowhere): this record is the one
//! that says who opened the session (an Identity Center user, a role); the
//! member account's records of the session are typed `Root` and are
//! `root-user-activity`'s. So the session is judged here, by its task:
//! - `IAMCreateRootUserPassword`: high. It gives the member's root a password,
//!   the way to sign in as root: an account taken over from the management
//!   account.
//! - `S3UnlockBucketPolicy`, `SQSUnlockQueuePolicy`: high. They delete a
//!   bucket's or a queue's policy, which may be the deny that guards a log
//!   archive.
//! - `IAMDeleteRootUserCredentials`: medium. AWS's recommended hardening of
//!   member accounts, though it also removes root's MFA.
//! - `IAMAuditRootUserCredentials`: low. It reads root's credentials'
//!   metadata only; the member account's reads in any such session (those
//!   that succeeded or found nothing) are left out of `root-user-activity`.
//! - Any other task, or none named: high.
//!
//! Failed calls are not reported: no session was opened. AWS services calling
//! on their own are left out.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_caller, call_context, succeeded_call};
use crate::event::Record;

pub struct RootSessionAssumed;

const STS: &str = "sts.amazonaws.com";
const ASSUME_ROOT: &[&str] = &["AssumeRoot"];

/// The root tasks, by the name ending their policy's ARN
/// (`arn:aws:iam::aws:policy/root-task/<name>`), with the severity of a session
/// opened for each.
const TASKS: &[(&str, Severity)] = &[
    ("IAMAuditRootUserCredentials", Severity::Low),
    ("IAMDeleteRootUserCredentials", Severity::Medium),
    ("IAMCreateRootUserPassword", Severity::High),
    ("S3UnlockBucketPolicy", Severity::High),
    ("SQSUnlockQueuePolicy", Severity::High),
];

pub static META: Meta = Meta {
    id: "root-session-assumed",
    title: "AWS Root Session Opened in a Member Account (AssumeRoot)",
    description: "A principal of the management account (or IAM's delegated administrator) \
                  opened a root session in a member account through centralized root access. \
                  Such a session can give the member's root user a password, remove its \
                  credentials, or delete a bucket or queue policy that locks everyone out: \
                  whoever holds the management account can take over a member's root this way.",
    severity: Severity::High,
    attack: &["T1078.004", "T1098"],
    origins: &[
        "trailwatch: from a review of false positives of identity work (sts:AssumeRoot, the \
         call behind a member account's centralized root sessions, was reported nowhere)",
    ],
    group: "identity-abuse",
    false_positives: &[
        "Scheduled audits of member accounts' root credentials (the \
         IAMAuditRootUserCredentials task: low).",
        "Removing root credentials from newly vended accounts, as AWS recommends \
         (IAMDeleteRootUserCredentials: medium).",
        "A bucket or queue policy that locked everyone out, unlocked on purpose by the \
         platform team.",
    ],
    next_steps: "Ask the caller why the session was opened in this account and for this task. \
                 If it was not planned: check the member account's root calls in the \
                 following minutes (root-user-activity), delete a root password created, \
                 restore a deleted bucket or queue policy, and review the caller's \
                 credentials in the management account.",
    evidence: "duration_seconds region source_ip target_account task user_agent",
    triggers: &[Trigger::write(STS, ASSUME_ROOT)],
    window: None,
};

/// The task a session was opened for: the name at the end of its policy's ARN,
/// as the request gives it (an object with `arn`, or the ARN as text).
fn task<'r>(rec: &'r Record<'_>) -> Option<&'r str> {
    let policy = rec.request_param("taskPolicyArn")?;
    let arn = policy
        .get("arn")
        .and_then(serde_json::Value::as_str)
        .or_else(|| policy.as_str())?;
    arn.trim().rsplit('/').next().filter(|name| !name.is_empty())
}

impl Detection for RootSessionAssumed {
    fn meta(&self) -> &'static Meta {
        &META
    }

    /// By the task (see the module's comment); an unknown one is high.
    fn severity_for(&self, rec: &Record<'_>) -> Severity {
        task(rec)
            .and_then(|name| TASKS.iter().find(|(t, _)| *t == name))
            .map_or(META.severity, |(_, severity)| *severity)
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, STS, ASSUME_ROOT) || aws_service_caller(rec) {
            return None;
        }
        fire(
            call_context(rec)
                .with_opt("target_account", rec.request_param_str("targetPrincipal").map(str::trim))
                .with_opt("task", task(rec))
                .with_json("duration_seconds", rec.request_param("durationSeconds")),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::iam_testing::{ROLE, record};
    use crate::detections::common::testing::{self, eval, fires};

    fn assume_root(task: &str) -> String {
        record(
            STS,
            "AssumeRoot",
            ROLE,
            &format!(
                r#"{{"targetPrincipal":"222233334444","taskPolicyArn":{{"arn":"arn:aws:iam::aws:policy/root-task/{task}"}},"durationSeconds":900}}"#
            ),
            "",
        )
    }

    fn severity(json: &str) -> Severity {
        testing::severity(&RootSessionAssumed, json)
    }

    #[test]
    fn a_root_session_is_judged_by_its_task() {
        for (task, want) in [
            ("IAMAuditRootUserCredentials", Severity::Low),
            ("IAMDeleteRootUserCredentials", Severity::Medium),
            ("IAMCreateRootUserPassword", Severity::High),
            ("S3UnlockBucketPolicy", Severity::High),
            ("SQSUnlockQueuePolicy", Severity::High),
            ("SomeFutureTask", Severity::High),
        ] {
            let json = assume_root(task);
            match eval(&RootSessionAssumed, &json) {
                Some(Signal::Fire(e)) => {
                    assert_eq!(e.get("target_account"), Some(&serde_json::json!("222233334444")));
                    assert_eq!(e.get("task"), Some(&serde_json::json!(task)));
                }
                other => panic!("expected a finding for {task}, got {other:?}"),
            }
            assert_eq!(severity(&json), want, "{task}");
        }
        // The ARN as text, or no task at all: an unknown task is high.
        let text = record(STS, "AssumeRoot", ROLE, r#"{"targetPrincipal":"222233334444","taskPolicyArn":"arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"}"#, "");
        assert_eq!(severity(&text), Severity::Low);
        let none = record(STS, "AssumeRoot", ROLE, r#"{"targetPrincipal":"222233334444"}"#, "");
        assert!(fires(&RootSessionAssumed, &none));
        assert_eq!(severity(&none), Severity::High);
    }

    #[test]
    fn failures_and_other_calls_do_not_fire() {
        let denied = assume_root("IAMCreateRootUserPassword").replace(
            r#""userIdentity""#,
            r#""errorCode":"AccessDenied","errorMessage":"not authorized","userIdentity""#,
        );
        assert!(!fires(&RootSessionAssumed, &denied));
        let assume_role = assume_root("IAMCreateRootUserPassword").replace("AssumeRoot", "AssumeRole");
        assert!(!fires(&RootSessionAssumed, &assume_role));
    }
}
