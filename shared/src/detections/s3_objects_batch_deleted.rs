//! Objects removed from a bucket in one batch request (`DeleteObjects`, an S3
//! data event), successfully.
//!
//! Decisions: CloudTrail does not list the deleted keys or their number for
//! `DeleteObjects`, so each successful call is a finding; calls made by AWS services
//! (lifecycle, replication: `AWSService` or `invokedBy`) are skipped. A batch that
//! names object versions destroys them for good even when versioning is on, which
//! is why ransomware prefers it. From an evasion review: directory buckets (S3
//! Express One Zone) log the same calls under `s3express.amazonaws.com`, and count.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_caller, succeeded_call};
use crate::event::Record;

pub struct S3ObjectsBatchDeleted;

pub static META: Meta = Meta {
    id: "s3-objects-batch-deleted",
    title: "AWS S3 Objects Deleted in a Batch",
    description: "A caller deleted up to a thousand objects of a bucket in one DeleteObjects \
                  request. Emptying a bucket this way, versions included, is the fastest way to \
                  destroy S3 data or to leave only a ransom note behind.",
    severity: Severity::Medium,
    attack: &["T1485", "T1490"],
    origins: &["trailwatch: based on Stratus Red Team aws.impact.s3-ransomware-batch-deletion \
                (DeleteObjects)"],
    group: "data-exposure",
    false_positives: &[
        "Clean-up jobs and `aws s3 rm --recursive` / `aws s3 sync --delete` runs.",
        "Applications that delete their own temporary objects in batches.",
    ],
    next_steps: "Check whether the caller normally deletes objects in this bucket. List what is \
                 left (and any new note), restore deleted versions while they exist, and revoke \
                 the caller's credentials if the deletion was not planned.",
    evidence: "bucket",
    triggers: &[
        Trigger::data("s3.amazonaws.com", &["DeleteObjects"]),
        Trigger::data("s3express.amazonaws.com", &["DeleteObjects"]),
    ],
    window: None,
};

impl Detection for S3ObjectsBatchDeleted {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        let on_s3 = |source| succeeded_call(rec, source, &["DeleteObjects"]);
        if !(on_s3("s3.amazonaws.com") || on_s3("s3express.amazonaws.com"))
            || aws_service_caller(rec)
        {
            return None;
        }
        fire(Evidence::new().with_opt("bucket", rec.request_param_str("bucketName")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, USER, failed, record};
    use crate::detections::common::testing::{eval, fires};
    use serde_json::json;

    const BATCH: &str = r#"{"bucketName":"claims-archive","Host":"claims-archive.s3.us-east-1.amazonaws.com","delete":"","x-id":"DeleteObjects"}"#;

    #[test]
    fn fires_on_a_batch_delete() {
        match eval(&S3ObjectsBatchDeleted, &record("s3.amazonaws.com", "DeleteObjects", ROLE, BATCH, "")) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("bucket"), Some(&json!("claims-archive"))),
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(fires(&S3ObjectsBatchDeleted, &record("s3.amazonaws.com", "DeleteObjects", USER, "null", "")));
        // A directory bucket's batch (S3 Express One Zone), from an evasion review.
        let express = r#"{"bucketName":"orders-cache--use1-az4--x-s3","delete":""}"#;
        assert!(fires(&S3ObjectsBatchDeleted, &record("s3express.amazonaws.com", "DeleteObjects", ROLE, express, "")));
    }

    #[test]
    fn near_misses() {
        assert!(!fires(&S3ObjectsBatchDeleted, &failed("s3.amazonaws.com", "DeleteObjects", ROLE, BATCH, "AccessDenied")));
        assert!(!fires(&S3ObjectsBatchDeleted, &record("s3.amazonaws.com", "DeleteObjects", SERVICE, BATCH, "")));
        assert!(!fires(&S3ObjectsBatchDeleted, &record("s3.amazonaws.com", "DeleteObject", ROLE, BATCH, "")));
        assert!(!fires(&S3ObjectsBatchDeleted, &record("s3-outposts.amazonaws.com", "DeleteObjects", ROLE, BATCH, "")));
    }
}
