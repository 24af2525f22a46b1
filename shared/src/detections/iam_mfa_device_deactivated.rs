//! An MFA device deactivated (`DeactivateMFADevice`, successful). The record must
//! name the device (`requestParameters.serialNumber`, which the API requires):
//! records without it are test placeholders rather than real calls. The user
//! name is optional: without it the call acts on the caller itself, which is how an
//! IAM user's own key, or a root session from `AssumeRoot`, switches off its own
//! MFA; the finding then names the caller as the target (`target_user`, "root" for
//! the root user). Deleting the virtual device afterwards (`DeleteVirtualMFADevice`)
//! needs the deactivation first, so it is not a second finding.
//!
//! From a review of false positives (eighth session): a root session opened by
//! AWS Organizations' centralized root access (`sts:AssumeRoot`, marked
//! `assumedRoot`) switching off root's MFA is medium: that is how the
//! `IAMDeleteRootUserCredentials` task hardens member accounts, and the
//! session's writes are `root-user-activity`'s (high).

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{IAM, centralized_root_session, change_evidence, is_event};
use crate::event::Record;

pub struct IamMfaDeviceDeactivated;

pub static META: Meta = Meta {
    id: "iam-mfa-device-deactivated",
    title: "AWS IAM Deactivation of MFA Device",
    description: "Multi-factor authentication was switched off for an IAM user. \
                  Without MFA a stolen password alone opens the console; attackers \
                  remove it to keep using an account, or to lock out its owner after \
                  adding their own device.",
    severity: Severity::High,
    attack: &["T1556.006", "T1531"],
    origins: &[
        "Elastic detection-rules impact_iam_deactivate_mfa_device.toml",
        "Splunk ESCU detections/cloud/aws_multi_factor_authentication_disabled.yml",
    ],
    group: "iam-persistence",
    false_positives: &[
        "A user replacing a lost or new phone (deactivate, then enable a new device).",
        "Help-desk resets of MFA for users who lost their device.",
    ],
    next_steps: "Ask the user whether they changed their device. If not, re-enable \
                 MFA, reset the password and access keys, and review the user's \
                 sign-ins and calls since the deactivation.",
    evidence: "api caller caller_type serialNumber source_ip target_user userName user_agent",
    triggers: &[Trigger::write(IAM, &["DeactivateMFADevice"])],
    window: None,
};

impl Detection for IamMfaDeviceDeactivated {
    fn meta(&self) -> &'static Meta {
        &META
    }

    /// Root's own device switched off in a session of AWS Organizations'
    /// centralized root access (`assumedRoot`, opened with the
    /// `IAMDeleteRootUserCredentials` task: AWS's recommended hardening of
    /// member accounts) is medium: `root-user-activity` reports the session's
    /// writes high, and using root without its MFA still takes a password and
    /// a sign-in, each reported high (from a review: two high findings per
    /// member account).
    fn severity_for(&self, rec: &Record<'_>) -> Severity {
        // Root's own device only: no `userName`, or root's own as IAM writes
        // it (`AWS ROOT USER`; from a review of newer shapes) (from an
        // evasion review: a user's device switched off in such a session was
        // medium too).
        if centralized_root_session(rec)
            && rec.identity_type() == Some("Root")
            && rec.request_param_str("userName").is_none_or(|u| u == "AWS ROOT USER")
        {
            Severity::Medium
        } else {
            META.severity
        }
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !is_event(rec, IAM, &["DeactivateMFADevice"]) || !rec.succeeded() {
            return None;
        }
        rec.request_param_str("serialNumber")?;
        let evidence = change_evidence(rec, &["userName", "serialNumber"]);
        let evidence = match rec.request_param_str("userName") {
            Some(_) => evidence,
            None => evidence.with_opt("target_user", caller_as_target(rec)),
        };
        fire(evidence)
    }
}

/// Who a `DeactivateMFADevice` without `userName` acts on: the calling IAM user,
/// or the root user.
fn caller_as_target<'r>(rec: &'r Record<'_>) -> Option<&'r str> {
    match rec.identity_type() {
        Some("Root") => Some("root"),
        _ => rec.user_name(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::iam_testing::*;
    use crate::detections::common::testing::fires;

    const PARAMS: &str = r#"{"userName":"bob","serialNumber":"arn:aws:iam::111122223333:mfa/bob"}"#;

    #[test]
    fn fires_whoever_deactivates() {
        for who in [USER, ROLE, ROOT, FEDERATED, CFN] {
            assert!(fires(&IamMfaDeviceDeactivated, &iam("DeactivateMFADevice", who, PARAMS)), "{who}");
        }
    }

    #[test]
    fn fires_when_the_caller_deactivates_its_own_device() {
        use crate::detections::common::testing::eval;
        use serde_json::json;
        let own = r#"{"serialNumber":"arn:aws:iam::111122223333:mfa/root-account-mfa-device"}"#;
        for (who, target) in [(ROOT, "root"), (USER, "alice")] {
            match eval(&IamMfaDeviceDeactivated, &iam("DeactivateMFADevice", who, own)) {
                Some(Signal::Fire(e)) => assert_eq!(e.get("target_user"), Some(&json!(target)), "{who}"),
                other => panic!("expected a finding for {who}, got {other:?}"),
            }
        }
    }

    /// From a review of false positives: root's credentials removed through
    /// centralized root access (`assumedRoot`) are medium; root's own session,
    /// or anyone else's, stays high.
    #[test]
    fn a_centralized_root_session_is_medium() {
        let own = r#"{"serialNumber":"arn:aws:iam::111122223333:mfa/root-account-mfa-device"}"#;
        let assumed = r#"{"type":"Root","principalId":"111122223333","arn":"arn:aws:iam::111122223333:root",
            "accountId":"111122223333","accessKeyId":"ASIAEXAMPLEDROOT0000",
            "sessionContext":{"attributes":{"creationDate":"2026-06-03T09:59:00Z","mfaAuthenticated":"false"},"assumedRoot":"true"}}"#;
        let severity = |who: &str| {
            let json = iam("DeactivateMFADevice", who, own);
            let rec = crate::event::Record::from_json(&json).unwrap();
            assert!(fires(&IamMfaDeviceDeactivated, &json), "{who}");
            IamMfaDeviceDeactivated.severity_for(&rec)
        };
        assert_eq!(severity(assumed), Severity::Medium);
        assert_eq!(severity(&assumed.replace(r#""assumedRoot":"true""#, r#""assumedRoot":"false""#)), Severity::High);
        assert_eq!(severity(ROOT), Severity::High);
        assert_eq!(severity(USER), Severity::High);
        // A user's device, in the same session: high.
        let json = iam("DeactivateMFADevice", assumed, PARAMS);
        let rec = crate::event::Record::from_json(&json).unwrap();
        assert_eq!(IamMfaDeviceDeactivated.severity_for(&rec), Severity::High);
        // Root's own named as IAM writes it (from a review of newer shapes).
        let named = r#"{"userName":"AWS ROOT USER","serialNumber":"arn:aws:iam::111122223333:mfa/root-account-mfa-device"}"#;
        let json = iam("DeactivateMFADevice", assumed, named);
        let rec = crate::event::Record::from_json(&json).unwrap();
        assert_eq!(IamMfaDeviceDeactivated.severity_for(&rec), Severity::Medium);
    }

    #[test]
    fn ignores_failures_and_records_without_a_device() {
        assert!(!fires(&IamMfaDeviceDeactivated, &iam_failed("DeactivateMFADevice", USER, PARAMS, "AccessDenied")));
        assert!(!fires(&IamMfaDeviceDeactivated, &iam_failed("DeactivateMFADevice", USER, PARAMS, "NoSuchEntity")));
        assert!(!fires(&IamMfaDeviceDeactivated, &iam("DeactivateMFADevice", USER, r#"{"userName":"bob"}"#)));
        assert!(!fires(&IamMfaDeviceDeactivated, &iam("DeactivateMFADevice", USER, "null")));
        assert!(!fires(&IamMfaDeviceDeactivated, &iam("DeactivateMFADevice", USER, r#"{"subnetId":"x"}"#)));
        assert!(!fires(&IamMfaDeviceDeactivated, &iam("EnableMFADevice", USER, PARAMS)));
    }
}
