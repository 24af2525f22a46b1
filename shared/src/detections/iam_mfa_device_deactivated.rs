//! An MFA device deactivated for an IAM user (`DeactivateMFADevice`, successful). The
//! record must name the user (`requestParameters.userName`): without it there is
//! nothing to act on, and such records are test placeholders rather than real calls.
//! Deleting the virtual device afterwards (`DeleteVirtualMFADevice`) needs the
//! deactivation first, so it is not a second finding.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{IAM, change_evidence, is_event};
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
    triggers: &[Trigger::write(IAM, &["DeactivateMFADevice"])],
    window: None,
};

impl Detection for IamMfaDeviceDeactivated {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !is_event(rec, IAM, &["DeactivateMFADevice"]) || !rec.succeeded() {
            return None;
        }
        rec.request_param_str("userName")?;
        fire(change_evidence(rec, &["userName", "serialNumber"]))
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
    fn ignores_failures_and_records_without_a_user() {
        assert!(!fires(&IamMfaDeviceDeactivated, &iam_failed("DeactivateMFADevice", USER, PARAMS, "AccessDenied")));
        assert!(!fires(&IamMfaDeviceDeactivated, &iam_failed("DeactivateMFADevice", USER, PARAMS, "NoSuchEntity")));
        assert!(!fires(&IamMfaDeviceDeactivated, &iam("DeactivateMFADevice", USER, "null")));
        assert!(!fires(&IamMfaDeviceDeactivated, &iam("DeactivateMFADevice", USER, r#"{"subnetId":"x"}"#)));
        assert!(!fires(&IamMfaDeviceDeactivated, &iam("EnableMFADevice", USER, PARAMS)));
    }
}
