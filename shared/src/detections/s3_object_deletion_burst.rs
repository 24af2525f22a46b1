//! One caller deleting many objects of one bucket one by one: at least 20 distinct
//! objects (key and version) within five minutes (`DeleteObject`, an S3 data
//! event), successfully.
//!
//! Decisions: the group is account, caller and bucket, so two buckets or two callers
//! never add up; the value is the key plus `versionId` when present (deleting every
//! version of one key counts each version, as each is destroyed). Calls by AWS
//! services (lifecycle expiry is not logged as `DeleteObject`, but replication may
//! be) are skipped. From an evasion review: directory buckets (S3 Express One
//! Zone) log the same calls under `s3express.amazonaws.com`, and count.
//!
//! The principal is the session for assumed roles, not the role: one role is often
//! shared by an instance fleet, an ECS service's tasks or many pipelines' runs, and
//! pooling their calls would add up unrelated workloads. An intruder who re-assumes
//! the role for every few calls splits the count: a known limit (docs/coverage.md).

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, Repeats, Countable, WindowSpec};
use crate::detections::common::{account_actor_and, aws_service_caller, succeeded_call};
use crate::event::Record;

pub struct S3ObjectDeletionBurst;

pub static META: Meta = Meta {
    id: "s3-object-deletion-burst",
    title: "AWS S3 Many Objects Deleted One by One",
    description: "A single caller deleted at least twenty different objects or object versions of \
                  one bucket within five minutes, one request each. Deleting every object and \
                  every version this way empties a bucket even when versioning is on.",
    severity: Severity::Medium,
    attack: &["T1485", "T1490"],
    origins: &["trailwatch: based on Stratus Red Team aws.impact.s3-ransomware-individual-deletion \
                (DeleteObject per object)"],
    group: "data-exposure",
    false_positives: &[
        "Clean-up scripts and applications that delete their own objects one at a time.",
    ],
    next_steps: "Check whether the caller normally deletes data in this bucket and whether a note \
                 was uploaded afterwards. Restore what can be restored, and revoke the caller's \
                 credentials if the deletion was not planned.",
    evidence: "bucket source_ip",
    triggers: &[
        Trigger::data("s3.amazonaws.com", &["DeleteObject"]),
        Trigger::data("s3express.amazonaws.com", &["DeleteObject"]),
    ],
    window: Some(WindowSpec::Distinct {
        window_secs: 300,
        min_distinct: 20,
        repeats: Repeats::Always,
        values: Countable::Open,
    }),
};

impl Detection for S3ObjectDeletionBurst {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        let on_s3 = |source| succeeded_call(rec, source, &["DeleteObject"]);
        if !(on_s3("s3.amazonaws.com") || on_s3("s3express.amazonaws.com"))
            || aws_service_caller(rec)
        {
            return None;
        }
        let bucket = rec.request_param_str("bucketName")?;
        let key = rec.request_param_str("key")?;
        let value = match rec.request_param_str("versionId") {
            Some(version) => format!("{key}?versionId={version}"),
            None => key.to_owned(),
        };
        Some(Signal::Distinct {
            group: account_actor_and(rec, bucket),
            value,
            evidence: Evidence::new()
                .with("bucket", bucket)
                .with_opt("source_ip", rec.source_ip()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, USER, failed, record};
    use crate::detections::common::testing::eval;

    fn delete(key: &str, version: &str) -> String {
        format!(r#"{{"bucketName":"claims-archive","key":"{key}"{version},"x-id":"DeleteObject"}}"#)
    }

    #[test]
    fn counts_each_key_and_version_per_caller_and_bucket() {
        let rec = record("s3.amazonaws.com", "DeleteObject", ROLE, &delete("a.csv", r#","versionId":"3HL4kqtJlcpXroDTDmJ""#), "");
        match eval(&S3ObjectDeletionBurst, &rec) {
            Some(Signal::Distinct { group, value, .. }) => {
                assert_eq!(group, "111122223333|arn:aws:sts::111122223333:assumed-role/DataOps/ops-session|claims-archive");
                assert_eq!(value, "a.csv?versionId=3HL4kqtJlcpXroDTDmJ");
            }
            other => panic!("expected an observation, got {other:?}"),
        }
        let rec = record("s3.amazonaws.com", "DeleteObject", USER, &delete("b.csv", ""), "");
        match eval(&S3ObjectDeletionBurst, &rec) {
            Some(Signal::Distinct { value, .. }) => assert_eq!(value, "b.csv"),
            other => panic!("expected an observation, got {other:?}"),
        }
        // A directory bucket's object (S3 Express One Zone), from an evasion review.
        let rec = record("s3express.amazonaws.com", "DeleteObject", ROLE, &delete("c.csv", ""), "");
        assert!(matches!(eval(&S3ObjectDeletionBurst, &rec), Some(Signal::Distinct { .. })));
    }

    #[test]
    fn skips_failures_services_and_incomplete_records() {
        assert_eq!(eval(&S3ObjectDeletionBurst, &failed("s3.amazonaws.com", "DeleteObject", ROLE, &delete("a", ""), "AccessDenied")), None);
        assert_eq!(eval(&S3ObjectDeletionBurst, &record("s3.amazonaws.com", "DeleteObject", SERVICE, &delete("a", ""), "")), None);
        assert_eq!(eval(&S3ObjectDeletionBurst, &record("s3.amazonaws.com", "DeleteObject", ROLE, r#"{"bucketName":"b"}"#, "")), None);
        assert_eq!(eval(&S3ObjectDeletionBurst, &record("s3.amazonaws.com", "DeleteObject", ROLE, "null", "")), None);
        assert_eq!(eval(&S3ObjectDeletionBurst, &record("s3.amazonaws.com", "GetObject", ROLE, &delete("a", ""), "")), None);
    }
}
