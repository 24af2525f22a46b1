//! An MFA device enabled (`EnableMFADevice`, successful) for an IAM user by anyone
//! other than that user. Splunk's "new MFA method registered" counts every
//! registration; users enrolling their own device is the daily norm, so we keep the
//! takeover pattern: someone binding a device they hold to another user's identity
//! (after which they own that user's second factor). A target that is not a valid IAM
//! user name (root's own registration is written `AWS ROOT USER`) is the caller's own.
//! AWS service identities are left out. Deployment tools are not: no stack or pipeline
//! can enrol a device (two live codes are needed), so their agent excuses nothing.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{IAM, aws_service_among, caller_is_user, change_evidence, is_event};
use crate::event::Record;

pub struct IamMfaDeviceEnabledForAnotherUser;

pub static META: Meta = Meta {
    id: "iam-mfa-device-enabled-for-another-user",
    title: "AWS IAM MFA Device Enabled for Another User",
    description: "A principal bound an MFA device to an IAM user other than itself. \
                  Whoever holds the device now passes that user's MFA; combined with \
                  a password reset this takes over the user, and it can lock the real \
                  owner out.",
    severity: Severity::Medium,
    attack: &["T1098.005", "T1556.006"],
    origins: &[
        "Splunk ESCU detections/cloud/aws_new_mfa_method_registered_for_user.yml \
         (narrowed to registration for another user)",
    ],
    group: "iam-persistence",
    false_positives: &[
        "Help-desk staff enrolling hardware tokens for users before handing them \
         over.",
    ],
    next_steps: "Ask the target user whether they own the new device. If not, \
                 deactivate it, reset the user's password, and review what the caller \
                 did to the user's other credentials.",
    triggers: &[Trigger::write(IAM, &["EnableMFADevice"])],
    window: None,
};

/// IAM user names are letters, digits and `+=,.@_-` (1 to 64 characters).
fn valid_user_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
}

impl Detection for IamMfaDeviceEnabledForAnotherUser {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !is_event(rec, IAM, &["EnableMFADevice"]) || !rec.succeeded() || aws_service_among(rec, &[]) {
            return None;
        }
        let target = rec.request_param_str("userName")?;
        if !valid_user_name(target) || caller_is_user(rec, target) {
            return None;
        }
        fire(change_evidence(rec, &["userName", "serialNumber"]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::iam_testing::*;
    use crate::detections::common::testing::fires;

    fn enable(identity: &str, user: &str) -> String {
        iam("EnableMFADevice", identity, &format!(r#"{{"userName":"{user}","serialNumber":"arn:aws:iam::111122223333:mfa/{user}"}}"#))
    }

    #[test]
    fn fires_when_someone_else_enrols_a_device() {
        for who in [USER, ROLE, ROOT, FEDERATED] {
            assert!(fires(&IamMfaDeviceEnabledForAnotherUser, &enable(who, "bob")), "{who}");
        }
    }

    #[test]
    fn ignores_self_enrolment_and_root() {
        assert!(!fires(&IamMfaDeviceEnabledForAnotherUser, &enable(USER, "alice")));
        assert!(!fires(&IamMfaDeviceEnabledForAnotherUser, &enable(ROOT, "AWS ROOT USER")));
        // No stack or pipeline can enrol a device (two live codes are needed): a
        // deployment agent is no excuse.
        assert!(fires(&IamMfaDeviceEnabledForAnotherUser, &enable(CFN, "bob")));
        assert!(!fires(&IamMfaDeviceEnabledForAnotherUser, &iam("EnableMFADevice", ROLE, "null")));
        assert!(!fires(&IamMfaDeviceEnabledForAnotherUser, &iam_failed("EnableMFADevice", ROLE, r#"{"userName":"bob"}"#, "InvalidAuthenticationCode")));
    }

    #[test]
    fn user_names_are_checked_by_their_characters() {
        assert!(valid_user_name("svc.backup+1@example"));
        assert!(!valid_user_name(""));
        assert!(!valid_user_name("a b"));
        assert!(!valid_user_name(&"x".repeat(65)));
    }
}
