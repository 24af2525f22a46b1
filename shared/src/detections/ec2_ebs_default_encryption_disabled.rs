//! EBS encryption by default switched off for a Region (`DisableEbsEncryptionByDefault`),
//! successfully.
//!
//! Sigma and Elastic both describe this change; it is one behaviour, so one
//! detection with both origins. Sigma has no outcome filter: we require success,
//! because a denied call leaves the setting as it was.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::call_context;
use crate::event::Record;

pub struct Ec2EbsDefaultEncryptionDisabled;

pub static META: Meta = Meta {
    id: "ec2-ebs-default-encryption-disabled",
    title: "AWS EC2 EBS Encryption by Default Disabled",
    description: "Someone turned off EBS encryption by default in a Region. New volumes and \
                  snapshot copies made there are then stored unencrypted unless each request \
                  asks otherwise, which weakens data protection and can be a first step before \
                  copying data out or tampering with it.",
    severity: Severity::Medium,
    attack: &["T1486", "T1565"],
    origins: &[
        "Sigma rules/cloud/aws/cloudtrail/aws_ec2_disable_encryption.yml",
        "Elastic rules/integrations/aws/impact_ec2_disable_ebs_encryption.toml",
    ],
    group: "compute-network",
    false_positives: &[
        "An administrator disabling the default while troubleshooting a workload that cannot \
         use encrypted volumes (rare; the setting is usually enforced by policy).",
    ],
    next_steps: "Confirm the change with the caller and re-enable it \
                 (EnableEbsEncryptionByDefault). List volumes and snapshots created in the \
                 Region since, and review the caller's other recent actions.",
    evidence: "region source_ip user_agent",
    triggers: &[Trigger::write(
        "ec2.amazonaws.com",
        &["DisableEbsEncryptionByDefault"],
    )],
    window: None,
};

impl Detection for Ec2EbsDefaultEncryptionDisabled {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "ec2.amazonaws.com"
            || rec.event_name() != "DisableEbsEncryptionByDefault"
            || !rec.succeeded()
        {
            return None;
        }
        fire(call_context(rec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::compute_testing::{DENIED, IAM_USER, ROLE, ROOT, record};
    use crate::detections::common::testing::fires;

    const NAME: &str = "DisableEbsEncryptionByDefault";

    #[test]
    fn fires_on_a_successful_change_by_any_identity() {
        for who in [IAM_USER, ROLE, ROOT] {
            let r = record("ec2.amazonaws.com", NAME, who, r#"{"DisableEbsEncryptionByDefaultRequest":""}"#, "");
            assert!(fires(&Ec2EbsDefaultEncryptionDisabled, &r));
        }
        // No requestParameters at all: the event name says it all.
        let r = record("ec2.amazonaws.com", NAME, ROLE, "null", "");
        assert!(fires(&Ec2EbsDefaultEncryptionDisabled, &r));
    }

    #[test]
    fn ignores_a_denied_call_and_the_opposite_change() {
        let denied = record("ec2.amazonaws.com", NAME, IAM_USER, "{}", DENIED);
        assert!(!fires(&Ec2EbsDefaultEncryptionDisabled, &denied));
        let enable = record("ec2.amazonaws.com", "EnableEbsEncryptionByDefault", IAM_USER, "{}", "");
        assert!(!fires(&Ec2EbsDefaultEncryptionDisabled, &enable));
        let other_source = record("ebs.amazonaws.com", NAME, IAM_USER, "{}", "");
        assert!(!fires(&Ec2EbsDefaultEncryptionDisabled, &other_source));
    }
}
