//! Only low, informational or unrated findings in an ECR image scan, read from a `DescribeImageScanFindings` response.
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

pub struct EcrImageScanFindingsLow;

pub static META: Meta = Meta {
    id: "ecr-image-scan-findings-low",
    title: "AWS ECR Container Scanning Findings Low Informational Unknown",
    description: "An ECR image scan reported only low, informational or unrated findings in a \
                  container image. Mostly hygiene, kept at low severity so that the scan \
                  history of every image stays complete next to its high and medium findings.",
    severity: Severity::Low,
    attack: &["T1525", "T1610"],
    origins: &["Splunk ESCU aws_ecr_container_scanning_findings_low_informational_unknown.yml"],
    group: "discovery",
    false_positives: ECR_SCAN_FALSE_POSITIVES,
    next_steps: ECR_SCAN_NEXT_STEPS,
    evidence: "image_digest image_tag repository severity_counts",
    triggers: ECR_SCAN_TRIGGERS,
    window: None,
};

impl Detection for EcrImageScanFindingsLow {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        ecr_scan_signal(rec, EcrScanTier::Low)
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
                fires(&EcrImageScanFindingsLow, &scan_record(scan)),
                i == 2,
                "{scan}"
            );
        }
        assert!(!fires(&EcrImageScanFindingsLow, &scan_record("{}")));
    }
}
