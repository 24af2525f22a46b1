//! A console password created for the root user itself: `CreateLoginProfile`,
//! successful, called as root and naming no IAM user. With centralized root access,
//! member accounts have no root password; a root session (for example from
//! `sts:AssumeRoot`) creating one gives someone a standing root sign-in.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{IAM, change_evidence, is_event};
use crate::event::Record;

pub struct IamRootLoginProfileCreated;

pub static META: Meta = Meta {
    id: "iam-root-login-profile-created",
    title: "AWS IAM Login Profile Added for Root",
    description: "A console password was created for an account's root user. \
                  Organisations that manage root centrally remove these passwords on \
                  purpose; adding one back creates a permanent way to sign in as \
                  root, the most powerful identity in the account.",
    severity: Severity::High,
    attack: &["T1098", "T1078.004"],
    origins: &[
        "Elastic detection-rules: AWS IAM Login Profile Added for Root",
    ],
    group: "iam-persistence",
    false_positives: &[
        "A documented account-recovery procedure that restores root console access.",
    ],
    next_steps: "Confirm with the team owning root access. If unexpected, delete the \
                 root login profile (via AssumeRoot with \
                 IAMDeleteRootUserCredentials), check root MFA, and trace the session \
                 that made the call (AssumeRoot caller).",
    evidence: "api caller caller_type passwordResetRequired source_ip user_agent",
    triggers: &[Trigger::write(IAM, &["CreateLoginProfile"])],
    window: None,
};

impl Detection for IamRootLoginProfileCreated {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !is_event(rec, IAM, &["CreateLoginProfile"])
            || !rec.succeeded()
            || rec.identity_type() != Some("Root")
            || rec.request_param_str("userName").is_some()
        {
            return None;
        }
        fire(change_evidence(rec, &["passwordResetRequired"]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::iam_testing::*;
    use crate::detections::common::testing::fires;

    #[test]
    fn fires_for_roots_own_password() {
        assert!(fires(&IamRootLoginProfileCreated, &iam("CreateLoginProfile", ROOT, r#"{"passwordResetRequired":false}"#)));
        assert!(fires(&IamRootLoginProfileCreated, &iam("CreateLoginProfile", ROOT, "null")));
    }

    #[test]
    fn ignores_passwords_for_users_other_callers_and_failures() {
        assert!(!fires(&IamRootLoginProfileCreated, &iam("CreateLoginProfile", ROOT, r#"{"userName":"bob"}"#)));
        for who in [USER, ROLE, FEDERATED] {
            assert!(!fires(&IamRootLoginProfileCreated, &iam("CreateLoginProfile", who, "{}")));
        }
        assert!(!fires(&IamRootLoginProfileCreated, &iam_failed("CreateLoginProfile", ROOT, "{}", "EntityAlreadyExists")));
        assert!(!fires(&IamRootLoginProfileCreated, &iam("UpdateLoginProfile", ROOT, "{}")));
    }
}
