//! A console password created or reset (`CreateLoginProfile`, `UpdateLoginProfile`,
//! successful) for an IAM user by anyone other than that user: another user, a role,
//! root or a federated session. A call without `userName` acts on the caller itself and
//! is left out (root giving itself a password is `iam-root-login-profile-created`).
//! Sigma compares the caller's ARN with the target name as a substring; we compare the
//! IAM user name exactly. Stateless, unlike `create-login-profile-then-console-login`,
//! which also needs the sign-in that follows. Unlike Splunk's twin, a change made in the
//! web console counts: resetting another user's password there is the same takeover.
//!
//! From a review: a Directory Service user's password reset through the AWS API
//! (`ResetUserPassword` of `ds`: AWS Managed Microsoft AD, Simple AD) is the same
//! takeover of a user who may sign in through IAM Identity Center, the console or
//! the directory's own applications; every such reset counts (the API is an
//! administrator's, not the user's own).

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{IAM, aws_service_caller, caller_is_user, change_evidence, is_event, succeeded_call};
use crate::event::Record;

pub struct IamLoginProfileChangedForAnotherUser;

const DIRECTORY: &str = "ds.amazonaws.com";

pub static META: Meta = Meta {
    id: "iam-login-profile-changed-for-another-user",
    title: "AWS IAM Login Profile Created or Modified for Another User",
    description: "Someone set or reset the console password of another IAM user, or reset \
                  a Directory Service user's password through the AWS API. An \
                  attacker holding only API keys does this to sign in to the console \
                  as a user of their choice, or to take over a user outright by \
                  changing its password.",
    severity: Severity::Medium,
    attack: &["T1098", "T1098.001"],
    origins: &[
        "SigmaHQ rules/cloud/aws/cloudtrail/aws_update_login_profile.yml (AWS User \
         Login Profile Was Modified)",
        "Splunk ESCU detections/cloud/aws_updateloginprofile.yml",
        "Elastic detection-rules: AWS IAM Login Profile Created or Modified for an \
         IAM User",
    ],
    group: "iam-persistence",
    false_positives: &[
        "Administrators creating console access for new colleagues or resetting \
         forgotten passwords.",
    ],
    next_steps: "Confirm with the target user and the caller. If unexpected, delete \
                 or reset the login profile, require a password reset, and review \
                 console sign-ins of the user since the change.",
    evidence: "api caller caller_type directoryId passwordResetRequired source_ip userName \
        user_agent",
    triggers: &[
        Trigger::write(IAM, &["CreateLoginProfile", "UpdateLoginProfile"]),
        Trigger::write(DIRECTORY, &["ResetUserPassword"]),
    ],
    window: None,
};

impl Detection for IamLoginProfileChangedForAnotherUser {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if succeeded_call(rec, DIRECTORY, &["ResetUserPassword"]) && !aws_service_caller(rec) {
            rec.request_param_str("userName")?;
            return fire(change_evidence(rec, &["directoryId", "userName"]));
        }
        if !is_event(rec, IAM, &["CreateLoginProfile", "UpdateLoginProfile"]) || !rec.succeeded() {
            return None;
        }
        let target = rec.request_param_str("userName")?;
        if caller_is_user(rec, target) {
            return None;
        }
        fire(change_evidence(rec, &["userName", "passwordResetRequired"]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::iam_testing::*;
    use crate::detections::common::testing::fires;

    fn profile(event: &str, identity: &str, user: &str) -> String {
        iam(event, identity, &format!(r#"{{"userName":"{user}","passwordResetRequired":false}}"#))
    }

    #[test]
    fn fires_on_creation_or_reset_for_someone_else() {
        for event in ["CreateLoginProfile", "UpdateLoginProfile"] {
            for who in [USER, ROLE, ROOT, FEDERATED, CFN] {
                assert!(fires(&IamLoginProfileChangedForAnotherUser, &profile(event, who, "bob")), "{event} {who}");
            }
        }
        // Exact names: "alice" is not "alice-admin".
        assert!(fires(&IamLoginProfileChangedForAnotherUser, &profile("UpdateLoginProfile", USER, "alice-admin")));
    }

    #[test]
    fn ignores_own_password_failures_and_missing_target() {
        assert!(!fires(&IamLoginProfileChangedForAnotherUser, &profile("UpdateLoginProfile", USER, "alice")));
        assert!(!fires(&IamLoginProfileChangedForAnotherUser, &iam("UpdateLoginProfile", USER, r#"{"passwordResetRequired":false}"#)));
        assert!(!fires(&IamLoginProfileChangedForAnotherUser, &iam("CreateLoginProfile", USER, "null")));
        let denied = iam_failed("UpdateLoginProfile", USER, r#"{"userName":"bob"}"#, "AccessDenied");
        assert!(!fires(&IamLoginProfileChangedForAnotherUser, &denied));
        assert!(!fires(&IamLoginProfileChangedForAnotherUser, &profile("DeleteLoginProfile", USER, "bob")));
    }

    /// From a review: a directory user's password reset through Directory Service.
    #[test]
    fn a_directory_users_password_reset_fires() {
        let reset = |params: &str| record(DIRECTORY, "ResetUserPassword", ROLE, params, "");
        assert!(fires(&IamLoginProfileChangedForAnotherUser, &reset(r#"{"directoryId":"d-9067a1b2c3","userName":"jane.admin","newPassword":"HIDDEN_DUE_TO_SECURITY_REASONS"}"#)));
        assert!(!fires(&IamLoginProfileChangedForAnotherUser, &reset(r#"{"directoryId":"d-9067a1b2c3"}"#)));
    }
}
