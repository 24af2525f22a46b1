//! Medium findings, and nothing worse, in an ECR image scan, read from a `DescribeImageScanFindings` response.
//!
//! Decisions: the three upstream rules (high; medium; low, informational, unknown)
//! are three detections that never fire on the same response: the worst severity
//! present decides (`common::ecr_scan_findings`), and the finding carries every
//! count. Only successful calls; severities are read from `findingSeverityCounts`,
//! else counted from `findings` and `enhancedFindings`.

use crate::detection::{Detection, Meta, Severity, Signal};
use crate::detections::common::{
    ECR_SCAN_FALSE_POSITIVES, ECR_SCAN_NEXT_STEPS, ECR_SCAN_TRIGGERS, EcrScanTier, ecr_scan_finding_key,
    ecr_scan_signal,
};
use crate::event::Record;

pub struct EcrImageScanFindingsMedium;

pub static META: Meta = Meta {
    id: "ecr-image-scan-findings-medium",
    title: "AWS ECR Container Scanning Findings Medium",
    description: "An ECR image scan reported medium severity vulnerabilities, and nothing worse, \
                  in a container image. They are worth patching before the image is deployed \
                  widely; a sudden change in an image's scan may also mean it was replaced.",
    severity: Severity::Medium,
    attack: &["T1525", "T1610"],
    origins: &["Splunk ESCU aws_ecr_container_scanning_findings_medium.yml"],
    group: "discovery",
    false_positives: ECR_SCAN_FALSE_POSITIVES,
    next_steps: ECR_SCAN_NEXT_STEPS,
    evidence: "image_digest image_tag repository severity_counts",
    triggers: ECR_SCAN_TRIGGERS,
    window: None,
};

impl Detection for EcrImageScanFindingsMedium {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        ecr_scan_signal(rec, EcrScanTier::Medium)
    }

    /// Reads of one image's results on one day are one finding.
    fn finding_key(&self, rec: &Record<'_>) -> Option<String> {
        ecr_scan_finding_key(rec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::ecr_testing::{ONE_PER_TIER, scan_record};
    use crate::detections::common::testing::fires;

    #[test]
    fn fires_on_its_own_tier_only() {
        for (i, scan) in ONE_PER_TIER.iter().enumerate() {
            assert_eq!(
                fires(&EcrImageScanFindingsMedium, &scan_record(scan)),
                i == 1,
                "{scan}"
            );
        }
        assert!(!fires(&EcrImageScanFindingsMedium, &scan_record("{}")));
    }
}
