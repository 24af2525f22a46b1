//! An MFA device enabled (`EnableMFADevice`, successful) for an IAM user by anyone
//! other than that user. Splunk's "new MFA method registered" counts every
//! registration; users enrolling their own device is the daily norm, so we keep the
//! takeover pattern: someone binding a device they hold to another user's identity
//! (after which they own that user's second factor). A target that is not a valid IAM
//! user name (root's own registration is written `AWS ROOT USER`) is the caller's own.
//! AWS service identities are left out. Deployment tools are not: no stack or pipeline
//! can enrol a device (two live codes are needed), so their agent excuses nothing.
//!
//! A user enrolling a device on itself counts too when it does so with its access
//! key outside the console (`common::user_key_outside_console`): a user may hold
//! eight devices, and AWS's example "manage your own MFA" policy lets a user without
//! one enrol it, so a stolen key adds the intruder's device and then passes every
//! MFA condition while the owner notices nothing (from an evasion review). People
//! enrol in the console, which stays quiet; `self_with_access_key` marks the case.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    IAM, aws_service_among, caller_is_user, change_evidence, is_event, user_key_outside_console,
};
use crate::event::Record;

pub struct IamMfaDeviceEnabledForAnotherUser;

pub static META: Meta = Meta {
    id: "iam-mfa-device-enabled-for-another-user",
    title: "AWS IAM MFA Device Enabled for Another User or by an Access Key",
    description: "A principal bound an MFA device to an IAM user other than itself, or a \
                  user bound one to itself with its access key outside the console. \
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
        "An engineer enrolling their own device from the CLI with their long-term key \
         (self_with_access_key): confirm with them.",
    ],
    next_steps: "Ask the target user whether they own the new device. If not, \
                 deactivate it, reset the user's password, and review what the caller \
                 did to the user's other credentials.",
    evidence: "api caller caller_type self_with_access_key serialNumber source_ip userName \
        user_agent",
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
        if !valid_user_name(target) {
            return None;
        }
        let e = change_evidence(rec, &["userName", "serialNumber"]);
        if !caller_is_user(rec, target) {
            return fire(e);
        }
        // Its own device, enrolled with its key outside the console.
        (rec.identity_type() == Some("IAMUser") && user_key_outside_console(rec))
            .then(|| Signal::Fire(e.with("self_with_access_key", true)))
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
    fn ignores_self_enrolment_in_the_console_and_root() {
        // The console signs with session keys and marks the record.
        let console = enable(USER, "alice")
            .replace("AKIAEXAMPLEALICE0001", "ASIAEXAMPLEALICE0001")
            .replace(r#""requestParameters""#, r#""sessionCredentialFromConsole":"true","requestParameters""#);
        assert!(console.contains("sessionCredentialFromConsole"));
        assert!(!fires(&IamMfaDeviceEnabledForAnotherUser, &console));
        let no_key = enable(USER, "alice").replace(r#""accessKeyId":"AKIAEXAMPLEALICE0001","#, "");
        assert!(!fires(&IamMfaDeviceEnabledForAnotherUser, &no_key));
        assert!(!fires(&IamMfaDeviceEnabledForAnotherUser, &enable(ROOT, "AWS ROOT USER")));
        // No stack or pipeline can enrol a device (two live codes are needed): a
        // deployment agent is no excuse.
        assert!(fires(&IamMfaDeviceEnabledForAnotherUser, &enable(CFN, "bob")));
        assert!(!fires(&IamMfaDeviceEnabledForAnotherUser, &iam("EnableMFADevice", ROLE, "null")));
        assert!(!fires(&IamMfaDeviceEnabledForAnotherUser, &iam_failed("EnableMFADevice", ROLE, r#"{"userName":"bob"}"#, "InvalidAuthenticationCode")));
    }

    /// From an evasion review: a stolen key adding its own device to its user.
    #[test]
    fn self_enrolment_with_the_users_access_key_fires() {
        match crate::detections::common::testing::eval(&IamMfaDeviceEnabledForAnotherUser, &enable(USER, "alice")) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("self_with_access_key"), Some(&serde_json::json!(true))),
            other => panic!("expected a finding, got {other:?}"),
        }
        let session_key = enable(USER, "alice").replace("AKIAEXAMPLEALICE0001", "ASIAEXAMPLEALICE0001");
        assert!(fires(&IamMfaDeviceEnabledForAnotherUser, &session_key));
    }

    #[test]
    fn user_names_are_checked_by_their_characters() {
        assert!(valid_user_name("svc.backup+1@example"));
        assert!(!valid_user_name(""));
        assert!(!valid_user_name("a b"));
        assert!(!valid_user_name(&"x".repeat(65)));
    }
}
