//! Versioning suspended on an S3 bucket (`PutBucketVersioning` with
//! `VersioningConfiguration.Status` `Suspended`), successfully.
//!
//! Decisions: S3 has no "disabled" state once versioning was on, only `Suspended`;
//! a record saying `Disabled` describes an invalid request and does not fire. Turning
//! MFA delete off while versioning stays on is a weaker change, left out here.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::succeeded_call;
use crate::event::Record;

pub struct S3BucketVersioningSuspended;

pub static META: Meta = Meta {
    id: "s3-bucket-versioning-suspended",
    title: "AWS S3 Bucket Versioning Suspended",
    description: "Versioning was suspended on a bucket. From then on an overwritten or deleted \
                  object is gone for good, which is what an attacker wants before destroying or \
                  encrypting data for ransom.",
    severity: Severity::Medium,
    attack: &["T1490", "T1485"],
    origins: &[
        "Splunk ESCU detections/cloud/aws_disable_bucket_versioning.yml",
        "SigmaHQ rules/cloud/aws/cloudtrail/aws_s3_bucket_versioning_disable.yml",
    ],
    group: "data-exposure",
    false_positives: &[
        "Cost clean-up on buckets whose history is not needed (caches, build artefacts).",
    ],
    next_steps: "Check what the bucket holds and whether the change was planned. If not, turn \
                 versioning back on, look for deletions or overwrites that followed, and review \
                 the caller's other S3 changes.",
    evidence: "bucket",
    triggers: &[Trigger::write("s3.amazonaws.com", &["PutBucketVersioning"])],
    window: None,
};

impl Detection for S3BucketVersioningSuspended {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, "s3.amazonaws.com", &["PutBucketVersioning"]) {
            return None;
        }
        let status = rec
            .request_param("VersioningConfiguration")?
            .get("Status")?
            .as_str()?;
        if !status.trim().eq_ignore_ascii_case("Suspended") {
            return None;
        }
        fire(Evidence::new().with_opt("bucket", rec.request_param_str("bucketName")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, ROOT, failed, record};
    use crate::detections::common::testing::fires;

    fn put(config: &str) -> String {
        format!(r#"{{"bucketName":"claims-archive","versioning":"","VersioningConfiguration":{config}}}"#)
    }

    #[test]
    fn fires_when_suspended() {
        let rec = record("s3.amazonaws.com", "PutBucketVersioning", ROLE,
            &put(r#"{"Status":"Suspended","xmlns":"http://s3.amazonaws.com/doc/2006-03-01/"}"#), "");
        assert!(fires(&S3BucketVersioningSuspended, &rec));
        let root = record("s3.amazonaws.com", "PutBucketVersioning", ROOT,
            &put(r#"{"Status":"Suspended","MfaDelete":"Disabled"}"#), "");
        assert!(fires(&S3BucketVersioningSuspended, &root));
    }

    #[test]
    fn near_misses() {
        for config in [r#"{"Status":"Enabled"}"#, r#"{"Status":"Enabled","MfaDelete":"Disabled"}"#,
            r#"{"Status":"Disabled"}"#, r#"{"Status":null}"#, "null", r#""Suspended""#] {
            let rec = record("s3.amazonaws.com", "PutBucketVersioning", ROLE, &put(config), "");
            assert!(!fires(&S3BucketVersioningSuspended, &rec), "{config}");
        }
        let denied = failed("s3.amazonaws.com", "PutBucketVersioning", ROLE, &put(r#"{"Status":"Suspended"}"#), "AccessDenied");
        assert!(!fires(&S3BucketVersioningSuspended, &denied));
        let other_source = record("ec2.amazonaws.com", "PutBucketVersioning", ROLE, &put(r#"{"Status":"Suspended"}"#), "");
        assert!(!fires(&S3BucketVersioningSuspended, &other_source));
        assert!(!fires(&S3BucketVersioningSuspended, &record("s3.amazonaws.com", "PutBucketVersioning", ROLE, "null", "")));
    }
}
