//! The ECR scan-finding detections (one per severity tier): tiers, counts, evidence.

use crate::detection::Evidence;
use crate::event::Record;

/// Which of the three ECR scan-finding detections a `DescribeImageScanFindings`
/// response belongs to: its worst finding decides, so one response gives one finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EcrScanTier {
    /// A `CRITICAL` or `HIGH` finding.
    High,
    /// A `MEDIUM` finding, nothing worse.
    Medium,
    /// Only `LOW`, `INFORMATIONAL`, `UNDEFINED` or `UNKNOWN` findings.
    Low,
}

/// Finding counts per severity (upper case) of a successful ECR
/// `DescribeImageScanFindings` response: `imageScanFindings.findingSeverityCounts`
/// when present, else a count of `findings[]` and `enhancedFindings[]` severities.
/// `None` for other records or a response without findings.
pub fn ecr_scan_findings(
    rec: &Record,
) -> Option<(EcrScanTier, std::collections::BTreeMap<String, u64>)> {
    use serde_json::Value;
    if rec.event_source() != "ecr.amazonaws.com"
        || rec.event_name() != "DescribeImageScanFindings"
        || !rec.succeeded()
    {
        return None;
    }
    let scan = rec.response_element("imageScanFindings")?.as_object()?;
    let mut counts = std::collections::BTreeMap::<String, u64>::new();
    if let Some(Value::Object(by_severity)) = scan.get("findingSeverityCounts") {
        for (severity, n) in by_severity {
            if let Some(n) = n.as_u64().filter(|n| *n > 0) {
                *counts.entry(severity.to_ascii_uppercase()).or_default() += n;
            }
        }
    }
    if counts.is_empty() {
        for key in ["findings", "enhancedFindings"] {
            let Some(Value::Array(items)) = scan.get(key) else {
                continue;
            };
            for sev in items.iter().filter_map(|f| f.get("severity")?.as_str()) {
                *counts.entry(sev.trim().to_ascii_uppercase()).or_default() += 1;
            }
        }
    }
    let has = |s: &str| counts.contains_key(s);
    let tier = if has("CRITICAL") || has("HIGH") {
        EcrScanTier::High
    } else if has("MEDIUM") {
        EcrScanTier::Medium
    } else if counts.is_empty() {
        return None;
    } else {
        EcrScanTier::Low
    };
    Some((tier, counts))
}

/// The evidence of the ECR scan-finding detections: the image and its counts.
pub fn ecr_scan_evidence(
    rec: &Record,
    counts: std::collections::BTreeMap<String, u64>,
) -> Evidence {
    let image = rec.request_param("imageId");
    Evidence::new()
        .with_opt("repository", rec.request_param_str("repositoryName"))
        .with_json("image_digest", image.and_then(|i| i.get("imageDigest")))
        .with_json("image_tag", image.and_then(|i| i.get("imageTag")))
        .with(
            "severity_counts",
            serde_json::Value::Object(
                counts
                    .into_iter()
                    .map(|(k, v)| (k, serde_json::Value::from(v)))
                    .collect(),
            ),
        )
}

/// What makes two scan reads one finding: the same image (repository and
/// digest, else tag) in one account on one UTC day. A dashboard or a CI step
/// reads the same results again and again; each read was a finding of its own
/// (from a second evasion review). `None` when the request names no image.
pub fn ecr_scan_finding_key(rec: &Record) -> Option<String> {
    let image = rec.request_param("imageId")?;
    let id = ["imageDigest", "imageTag"]
        .into_iter()
        .find_map(|k| image.get(k)?.as_str())
        .map(str::trim)
        .filter(|s| !s.is_empty())?;
    // Days since the epoch, UTC.
    let day = rec
        .event_time_ms()
        .map(|ms| ms.div_euclid(86_400_000).to_string())
        .unwrap_or_default();
    Some(crate::detections::common::joined(
        &[
            "scan",
            rec.account_id().unwrap_or_default(),
            rec.request_param_str("registryId").unwrap_or_default(),
            rec.request_param_str("repositoryName").unwrap_or_default(),
            id,
            &day,
        ],
        '|',
    ))
}

/// What the three ECR scan-finding detections share besides their tier.
pub static ECR_SCAN_TRIGGERS: &[crate::detection::Trigger] =
    &[crate::detection::Trigger::read_only(
        "ecr.amazonaws.com",
        &["DescribeImageScanFindings"],
    )];
pub const ECR_SCAN_FALSE_POSITIVES: &[&str] = &[
    "Base images with known, accepted vulnerabilities that the team tracks elsewhere.",
    "Scan results read by a dashboard, a CI step or a person in the console: the reads \
     of one image on one day make one finding.",
];
pub const ECR_SCAN_NEXT_STEPS: &str = "Look at the image's findings (repository, tag, digest) \
    and whether the image is deployed. Rebuild it from a patched base image, and check who \
    pushed it if the image is new or unexpected.";

/// The finding of the ECR scan-finding detection for `tier`, when the record's worst
/// severity is that tier.
pub fn ecr_scan_signal(rec: &Record, tier: EcrScanTier) -> Option<crate::detection::Signal> {
    match ecr_scan_findings(rec)? {
        (t, counts) if t == tier => crate::detection::fire(ecr_scan_evidence(rec, counts)),
        _ => None,
    }
}

#[cfg(test)]
pub mod ecr_testing {
    //! Records for the ECR scan-finding tests.

    /// A successful `DescribeImageScanFindings` with `scan` as its `imageScanFindings`.
    pub fn scan_record(scan: &str) -> String {
        format!(
            r#"{{"eventSource":"ecr.amazonaws.com","eventName":"DescribeImageScanFindings","eventTime":"2026-06-02T10:00:01Z",
            "recipientAccountId":"111122223333","sourceIPAddress":"192.0.2.9","userAgent":"aws-cli/2.15.30",
            "userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/dev","userName":"dev"}},
            "requestParameters":{{"repositoryName":"web","imageId":{{"imageTag":"v1"}}}},
            "responseElements":{{"imageScanFindings":{scan}}}}}"#
        )
    }

    /// One scan per tier, worst first: high, medium, low.
    pub const ONE_PER_TIER: [&str; 3] = [
        r#"{"findingSeverityCounts":{"HIGH":2,"LOW":5}}"#,
        r#"{"findingSeverityCounts":{"MEDIUM":1,"INFORMATIONAL":3}}"#,
        r#"{"enhancedFindings":[{"severity":"LOW"},{"severity":"UNTRIAGED"}]}"#,
    ];
}

#[cfg(test)]
mod ecr_scan_tests {
    use super::ecr_testing::scan_record;
    use super::*;

    /// From a second evasion review: one image's reads on one day share a key.
    #[test]
    fn reads_of_one_image_on_one_day_share_a_finding_key() {
        let key = |json: &str| ecr_scan_finding_key(&Record::from_json(json).unwrap());
        let read = scan_record(r#"{"findingSeverityCounts":{"HIGH":1}}"#);
        let later = read.replace("10:00:01Z", "23:59:59Z");
        assert!(key(&read).is_some());
        assert_eq!(key(&read), key(&later));
        assert_ne!(key(&read), key(&read.replace("2026-06-02", "2026-06-03")));
        assert_ne!(
            key(&read),
            key(&read.replace(r#""imageTag":"v1""#, r#""imageTag":"v2""#))
        );
        assert_ne!(
            key(&read),
            key(&read.replace(r#""repositoryName":"web""#, r#""repositoryName":"api""#))
        );
        assert_eq!(
            key(&read.replace(r#""imageId":{"imageTag":"v1"}"#, r#""imageId":{}"#)),
            None
        );
    }

    fn tier(scan: &str) -> Option<EcrScanTier> {
        let json = scan_record(scan);
        let rec = Record::from_json(&json).expect("parses");
        ecr_scan_findings(&rec).map(|(t, _)| t)
    }

    #[test]
    fn the_worst_severity_decides_the_tier() {
        use EcrScanTier::*;
        assert_eq!(
            tier(r#"{"findingSeverityCounts":{"HIGH":2,"LOW":5}}"#),
            Some(High)
        );
        assert_eq!(
            tier(r#"{"findings":[{"name":"CVE-2026-0001","severity":"critical"}]}"#),
            Some(High)
        );
        assert_eq!(
            tier(r#"{"findingSeverityCounts":{"MEDIUM":1,"LOW":3}}"#),
            Some(Medium)
        );
        assert_eq!(
            tier(r#"{"enhancedFindings":[{"severity":"UNTRIAGED"}]}"#),
            Some(Low)
        );
        assert_eq!(
            tier(r#"{"findingSeverityCounts":{"INFORMATIONAL":1}}"#),
            Some(Low)
        );
    }

    #[test]
    fn clean_odd_and_failed_scans_have_no_tier() {
        for scan in [
            r#"{"findingSeverityCounts":{},"findings":[]}"#,
            r#"{"findingSeverityCounts":{"HIGH":0,"MEDIUM":0}}"#,
            r#"{"findingSeverityCounts":{"HIGH":"2"}}"#,
            r#"{"findings":[{"severity":3},"x"]}"#,
            r#"[]"#,
            "null",
        ] {
            assert_eq!(tier(scan), None, "{scan}");
        }
        let denied = scan_record(r#"{"findingSeverityCounts":{"HIGH":1}}"#).replace(
            r#""requestParameters""#,
            r#""errorCode":"AccessDeniedException","requestParameters""#,
        );
        let rec = Record::from_json(&denied).expect("parses");
        assert_eq!(ecr_scan_findings(&rec), None);
    }

    #[test]
    fn the_evidence_names_the_image_and_every_count() {
        let json = scan_record(r#"{"findingSeverityCounts":{"HIGH":2,"LOW":5}}"#);
        let rec = Record::from_json(&json).expect("parses");
        let (_, counts) = ecr_scan_findings(&rec).expect("findings");
        let e = ecr_scan_evidence(&rec, counts);
        assert_eq!(e.get("repository").and_then(|v| v.as_str()), Some("web"));
        assert_eq!(e.get("image_tag").and_then(|v| v.as_str()), Some("v1"));
        let c = e.get("severity_counts").expect("counts");
        assert_eq!(c.get("HIGH").and_then(|v| v.as_u64()), Some(2));
        assert_eq!(c.get("LOW").and_then(|v| v.as_u64()), Some(5));
    }
}
