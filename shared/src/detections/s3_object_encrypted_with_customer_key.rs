//! S3 objects rewritten with a customer-provided encryption key (SSE-C): a
//! `CopyObject` data event whose request carries
//! `x-amz-server-side-encryption-customer-algorithm`, or a part of a multipart copy
//! (`UploadPartCopy`) that does, successfully.
//!
//! Decisions: the ransomware pattern copies each object over itself with a key only
//! the attacker holds; without that key nobody, AWS included, can read the object
//! again. Any successful `CopyObject` with SSE-C fires (in place or not: a copy into
//! a new key followed by deleting the original is the same attack); `in_place` says
//! which. Tools copy large objects in parts (the AWS CLI above 8 MB), each
//! `UploadPartCopy` carrying the same SSE-C headers: every part counts, whatever its
//! number (AWS takes any from 1 to 10,000, so a copy need not have a part 1), and the
//! parts of one upload share one finding (`Detection::finding_key`: bucket and
//! upload id), notified once. Plain `PutObject` with SSE-C is ordinary use of the
//! feature and is left out.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::succeeded_call;
use crate::event::Record;

pub struct S3ObjectEncryptedWithCustomerKey;

const NAMES: &[&str] = &["CopyObject", "UploadPartCopy"];

pub static META: Meta = Meta {
    id: "s3-object-encrypted-with-customer-key",
    title: "AWS S3 Object Re-encrypted with a Customer-Provided Key",
    description: "An S3 object was copied with server-side encryption using a key supplied by the \
                  caller (SSE-C). AWS keeps no copy of that key, so an object overwritten this way \
                  can only be read by whoever holds it: the way ransomware holds S3 data hostage.",
    severity: Severity::High,
    attack: &["T1486"],
    origins: &["trailwatch: based on Stratus Red Team aws.impact.s3-ransomware-client-side-encryption \
                (CopyObject with SSE-C)"],
    group: "data-exposure",
    false_positives: &[
        "Applications that deliberately store objects under SSE-C and copy them between keys.",
    ],
    next_steps: "Check how many objects the caller rewrote and whether a ransom note appeared in \
                 the bucket. Revoke the caller's credentials, restore earlier object versions if \
                 versioning is on, and check who else used the same access key.",
    evidence: "algorithm bucket copy_source in_place key upload_id",
    triggers: &[Trigger::data("s3.amazonaws.com", NAMES)],
    window: None,
};

impl Detection for S3ObjectEncryptedWithCustomerKey {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, "s3.amazonaws.com", NAMES) {
            return None;
        }
        let algorithm =
            rec.request_param_str("x-amz-server-side-encryption-customer-algorithm")?;
        let bucket = rec.request_param_str("bucketName");
        let key = rec.request_param_str("key");
        let source = rec.request_param_str("x-amz-copy-source");
        let in_place = match (bucket, key, source) {
            (Some(b), Some(k), Some(s)) => {
                s.trim_start_matches('/').split('?').next() == Some(format!("{b}/{k}").as_str())
            }
            _ => false,
        };
        fire(
            Evidence::new()
                .with_opt("bucket", bucket)
                .with_opt("key", key)
                .with_opt("copy_source", source)
                .with("algorithm", algorithm)
                .with("in_place", in_place)
                .with_opt("upload_id", rec.request_param_str("uploadId")),
        )
    }

    /// The parts of one multipart copy are one object rewritten: one finding per
    /// bucket and upload id.
    fn finding_key(&self, rec: &Record<'_>) -> Option<String> {
        if rec.event_name() != "UploadPartCopy" {
            return None;
        }
        let upload = rec.request_param_str("uploadId")?;
        Some(format!(
            "upload|{}|{upload}",
            rec.request_param_str("bucketName").unwrap_or_default()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, USER, failed, record};
    use crate::detections::common::testing::{eval, fires};
    use serde_json::json;

    const SSE_C: &str = r#"{"bucketName":"claims-archive","key":"2026/q1.csv","x-amz-copy-source":"claims-archive/2026/q1.csv",
        "x-amz-server-side-encryption-customer-algorithm":"AES256","Host":"claims-archive.s3.us-east-1.amazonaws.com","x-id":"CopyObject"}"#;

    #[test]
    fn fires_on_an_in_place_copy_with_sse_c() {
        match eval(&S3ObjectEncryptedWithCustomerKey, &record("s3.amazonaws.com", "CopyObject", ROLE, SSE_C, "")) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("in_place"), Some(&json!(true)));
                assert_eq!(e.get("algorithm"), Some(&json!("AES256")));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let elsewhere = SSE_C.replace("claims-archive/2026/q1.csv", "/other-bucket/x.csv");
        match eval(&S3ObjectEncryptedWithCustomerKey, &record("s3.amazonaws.com", "CopyObject", USER, &elsewhere, "")) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("in_place"), Some(&json!(false))),
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn every_part_of_a_multipart_copy_fires_under_one_key() {
        let part = |n: &str| {
            SSE_C.replace(r#""x-id":"CopyObject""#, &format!(r#""x-id":"UploadPartCopy","partNumber":{n},"uploadId":"Xb2kQ9EXAMPLE""#))
        };
        match eval(&S3ObjectEncryptedWithCustomerKey, &record("s3.amazonaws.com", "UploadPartCopy", ROLE, &part("1"), "")) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("in_place"), Some(&json!(true)));
                assert_eq!(e.get("upload_id"), Some(&json!("Xb2kQ9EXAMPLE")));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(fires(&S3ObjectEncryptedWithCustomerKey, &record("s3.amazonaws.com", "UploadPartCopy", ROLE, &part(r#""1""#), "")));
        let key = |n: &str| {
            let json = record("s3.amazonaws.com", "UploadPartCopy", ROLE, &part(n), "");
            assert!(fires(&S3ObjectEncryptedWithCustomerKey, &json), "{n}");
            S3ObjectEncryptedWithCustomerKey.finding_key(&Record::from_json(&json).unwrap())
        };
        for n in ["2", r#""7""#, "null"] {
            assert_eq!(key(n).as_deref(), Some("upload|claims-archive|Xb2kQ9EXAMPLE"), "{n}");
        }
        let single = record("s3.amazonaws.com", "CopyObject", ROLE, SSE_C, "");
        assert_eq!(S3ObjectEncryptedWithCustomerKey.finding_key(&Record::from_json(&single).unwrap()), None);
        assert!(!fires(&S3ObjectEncryptedWithCustomerKey, &record("s3.amazonaws.com", "UploadPart", ROLE, &part("1"), "")));
    }

    #[test]
    fn near_misses() {
        let sse_s3 = SSE_C.replace("x-amz-server-side-encryption-customer-algorithm", "x-amz-server-side-encryption");
        assert!(!fires(&S3ObjectEncryptedWithCustomerKey, &record("s3.amazonaws.com", "CopyObject", ROLE, &sse_s3, "")));
        assert!(!fires(&S3ObjectEncryptedWithCustomerKey, &record("s3.amazonaws.com", "PutObject", ROLE, SSE_C, "")));
        assert!(!fires(&S3ObjectEncryptedWithCustomerKey, &failed("s3.amazonaws.com", "CopyObject", ROLE, SSE_C, "AccessDenied")));
        assert!(!fires(&S3ObjectEncryptedWithCustomerKey, &record("s3.amazonaws.com", "CopyObject", ROLE, "null", "")));
        let number = SSE_C.replace(r#""AES256""#, "256");
        assert!(!fires(&S3ObjectEncryptedWithCustomerKey, &record("s3.amazonaws.com", "CopyObject", ROLE, &number, "")));
    }
}
