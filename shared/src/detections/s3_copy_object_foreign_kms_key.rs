//! S3 objects copied or uploaded with SSE-KMS under a KMS key of another account: a
//! `CopyObject` data event with `x-amz-server-side-encryption` `aws:kms` and
//! `x-amz-server-side-encryption-aws-kms-key-id` an ARN of a foreign account.
//!
//! Decision: Splunk's row fires on every `CopyObject` with `aws:kms`, which is how
//! most buckets are encrypted by default. The ransomware case is an object
//! re-encrypted with a key the attacker controls, and such a key lives in another
//! account, so we fire only when the key ARN names an account other than the
//! event's. A key given as a bare id or alias is in the caller's account: no finding.
//! Dual-layer SSE-KMS (`aws:kms:dsse`) names its key the same way and gives the
//! key's owner the same hold on the data, so it counts as `aws:kms` does. Large
//! objects are copied in parts (the AWS CLI above 8 MB): the key is named only on
//! the `CreateMultipartUpload` that opens the copy, so that call counts the same
//! way (it also opens plain uploads: a new object written under another account's
//! key is held by that account just the same). So does a plain `PutObject` that
//! names a key: an object downloaded and uploaded again under the attacker's key
//! (the AWS CLI uploads anything under 8 MB in one `PutObject`). Uploads are most of
//! S3's data events, so the rule takes only those that name a KMS key
//! (`x-amz-server-side-encryption-aws-kms-key-id` present), and replay looks for the
//! header in the bytes before parsing an upload.
//!
//! An object written into another account's bucket under that account's own key
//! does not count (from a review of false positives, sixth session): a data lake or
//! log archive whose bucket policy requires its writers to use its key gets every
//! write so, and its owner holding the key to its own data takes nothing from us.
//! The bucket's owner is read from the record's `resources` (CloudTrail names the
//! bucket's `accountId` there). A copy counts unless the bucket copied from is the
//! key owner's too: our objects copied out to its bucket under its key are what a
//! ransom needs (from a review of the change).

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{foreign_key_account, succeeded_call};
use crate::event::Record;
use crate::event::prefilter::{Needle, Peek};

pub struct S3CopyObjectForeignKmsKey;

pub static META: Meta = Meta {
    id: "s3-copy-object-foreign-kms-key",
    title: "AWS S3 Object Encrypted with a KMS Key from Another Account",
    description: "An S3 object was copied or uploaded with SSE-KMS under a KMS key that belongs \
                  to another AWS account. Whoever controls that key decides whether the object can ever be \
                  read again: if the key is disabled or its policy changed, the data is lost.",
    severity: Severity::High,
    attack: &["T1486"],
    origins: &["Splunk ESCU detections/cloud/aws_detect_users_with_kms_keys_performing_encryption_s3.yml"],
    group: "data-exposure",
    false_positives: &[
        "Organisations that encrypt data with keys held centrally in a security account.",
    ],
    next_steps: "Identify the account that owns the key. If it is not the organisation's, revoke \
                 the caller's credentials at once, stop further copies, and restore earlier \
                 object versions before the key owner can revoke access.",
    evidence: "api bucket key kms_key kms_key_account",
    triggers: &[
        Trigger::data("s3.amazonaws.com", &["CopyObject", "CreateMultipartUpload"]),
        Trigger::data("s3.amazonaws.com", &["PutObject"]).with_detail(
            r#"{"requestParameters":{"x-amz-server-side-encryption-aws-kms-key-id":[{"exists":true}]}}"#,
        ),
    ],
    window: None,
};

const NAMES: &[&str] = &["CopyObject", "CreateMultipartUpload", "PutObject"];

impl Detection for S3CopyObjectForeignKmsKey {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, "s3.amazonaws.com", NAMES)
            || !rec
                .request_param_str("x-amz-server-side-encryption")
                .is_some_and(is_kms_encryption)
        {
            return None;
        }
        let key = rec.request_param_str("x-amz-server-side-encryption-aws-kms-key-id")?;
        let key_account = foreign_key_account(rec, key)?;
        // The key's owner owns the bucket written to, and, for a copy, the
        // bucket copied from: its own data under its own key. A copy of ours out
        // to its bucket under its key is ransom material, not a data lake's
        // upload (from a review of this change).
        let owned_by_key_owner = |b: &str| bucket_owner(rec, b).is_some_and(|owner| owner == key_account);
        let source_bucket = rec
            .request_param_str("x-amz-copy-source")
            .map(|s| s.trim().trim_start_matches('/'))
            .map(|s| s.split('/').next().unwrap_or(s));
        let theirs = rec.request_param_str("bucketName").is_some_and(owned_by_key_owner)
            && source_bucket.is_none_or(owned_by_key_owner);
        if theirs {
            return None;
        }
        fire(
            Evidence::new()
                .with_opt("bucket", rec.request_param_str("bucketName"))
                .with_opt("key", rec.request_param_str("key"))
                .with("kms_key", key)
                .with("kms_key_account", key_account)
                .with("api", rec.event_name()),
        )
    }

    /// Uploads are most of S3's data events: only one that names a KMS key can count.
    fn may_match_raw(&self, peek: &Peek<'_>, json: &[u8]) -> bool {
        static KEY_HEADER: Needle = Needle::new("x-amz-server-side-encryption-aws-kms-key-id");
        peek.event_name != "PutObject" || KEY_HEADER.is_in(json)
    }
}

/// The account that owns `bucket`, as the record's `resources` name it (the
/// bucket's entry, `AWS::S3::Bucket`, with its `accountId`). Read from the record's
/// text, only for the rare writes under another account's key.
fn bucket_owner(rec: &Record<'_>, bucket: &str) -> Option<String> {
    let doc = crate::event::surrogates::parse_value(rec.raw?)?;
    doc.get("resources")?.as_array()?.iter().find_map(|r| {
        let is_bucket = r.get("type")?.as_str()? == "AWS::S3::Bucket";
        let arn = r.get("ARN")?.as_str()?;
        let named = arn.strip_prefix("arn:")?.split_once(":s3:::")?.1 == bucket;
        let owner = r.get("accountId")?.as_str()?.trim();
        (is_bucket && named && !owner.is_empty()).then(|| owner.to_owned())
    })
}

/// `aws:kms` or `aws:kms:dsse` (letter case and spaces around ignored).
fn is_kms_encryption(value: &str) -> bool {
    let v = value.trim();
    v.eq_ignore_ascii_case("aws:kms") || v.eq_ignore_ascii_case("aws:kms:dsse")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, USER, failed, record};
    use crate::detections::common::testing::{eval, fires};
    use serde_json::json;

    fn copy(key: &str) -> String {
        format!(
            r#"{{"bucketName":"claims-archive","key":"a.csv","x-amz-copy-source":"claims-archive/a.csv",
            "x-amz-server-side-encryption":"aws:kms","x-amz-server-side-encryption-aws-kms-key-id":"{key}"}}"#
        )
    }

    #[test]
    fn fires_on_a_foreign_key() {
        let rec = record("s3.amazonaws.com", "CopyObject", ROLE,
            &copy("arn:aws:kms:us-east-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab"), "");
        match eval(&S3CopyObjectForeignKmsKey, &rec) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("kms_key_account"), Some(&json!("444455556666"))),
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn near_misses() {
        for key in [
            "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "1234abcd-12ab-34cd-56ef-1234567890ab",
            "alias/aws/s3",
            "arn:aws:kms:us-east-1:bad:key/x",
        ] {
            let rec = record("s3.amazonaws.com", "CopyObject", USER, &copy(key), "");
            assert!(!fires(&S3CopyObjectForeignKmsKey, &rec), "{key}");
        }
        let foreign = copy("arn:aws:kms:us-east-1:444455556666:key/k");
        let dsse = foreign.replace(r#""aws:kms""#, r#""aws:kms:dsse""#);
        assert!(fires(&S3CopyObjectForeignKmsKey, &record("s3.amazonaws.com", "CopyObject", ROLE, &dsse, "")));
        let aes = foreign.replace(r#""aws:kms""#, r#""AES256""#);
        assert!(!fires(&S3CopyObjectForeignKmsKey, &record("s3.amazonaws.com", "CopyObject", ROLE, &aes, "")));
        assert!(!fires(&S3CopyObjectForeignKmsKey, &failed("s3.amazonaws.com", "CopyObject", ROLE, &foreign, "AccessDenied")));
        assert!(!fires(&S3CopyObjectForeignKmsKey, &record("s3.amazonaws.com", "GetObject", ROLE, &foreign, "")));
        assert!(!fires(&S3CopyObjectForeignKmsKey, &record("s3.amazonaws.com", "CopyObject", ROLE, "null", "")));
    }

    #[test]
    fn an_upload_under_a_foreign_key_counts() {
        let upload = r#"{"bucketName":"claims-archive","key":"2026/q2/claims.csv","Host":"claims-archive.s3.us-east-1.amazonaws.com",
            "x-amz-server-side-encryption":"aws:kms",
            "x-amz-server-side-encryption-aws-kms-key-id":"arn:aws:kms:us-east-1:444455556666:key/0f1e2d3c-4b5a-4697-8877-665544332211"}"#;
        match eval(&S3CopyObjectForeignKmsKey, &record("s3.amazonaws.com", "PutObject", USER, upload, "")) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("api").and_then(|v| v.as_str()), Some("PutObject")),
            other => panic!("expected a finding, got {other:?}"),
        }
        let own = upload.replace("444455556666", "111122223333");
        assert!(!fires(&S3CopyObjectForeignKmsKey, &record("s3.amazonaws.com", "PutObject", USER, &own, "")));
        let plain = r#"{"bucketName":"claims-archive","key":"2026/q2/claims.csv"}"#;
        assert!(!fires(&S3CopyObjectForeignKmsKey, &record("s3.amazonaws.com", "PutObject", USER, plain, "")));
    }

    /// From a review of this change: our objects copied out to the key owner's
    /// bucket under its key are ransom material, not a data lake's upload.
    #[test]
    fn a_copy_of_our_objects_out_to_the_key_owners_bucket_counts() {
        let copy = r#"{"bucketName":"attacker-loot","key":"claims/q1.csv","x-amz-copy-source":"claims-archive/claims/q1.csv",
            "x-amz-server-side-encryption":"aws:kms",
            "x-amz-server-side-encryption-aws-kms-key-id":"arn:aws:kms:us-east-1:999988887777:key/0f1e2d3c-4b5a-4697-8877-665544332211"}"#;
        let with = |resources: &str| {
            record("s3.amazonaws.com", "CopyObject", ROLE, copy, "")
                .replacen(r#""eventSource""#, &format!(r#""resources":{resources},"eventSource""#), 1)
        };
        let out = with(r#"[{"accountId":"999988887777","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::attacker-loot"},
            {"accountId":"111122223333","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::claims-archive"}]"#);
        assert!(fires(&S3CopyObjectForeignKmsKey, &out));
        // The source's owner unknown: it may be ours.
        let unknown = with(r#"[{"accountId":"999988887777","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::attacker-loot"}]"#);
        assert!(fires(&S3CopyObjectForeignKmsKey, &unknown));
        // Both buckets the key owner's: its data under its key.
        let theirs = with(r#"[{"accountId":"999988887777","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::attacker-loot"},
            {"accountId":"999988887777","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::claims-archive"}]"#);
        assert!(!fires(&S3CopyObjectForeignKmsKey, &theirs));
    }

    /// From a review of false positives: writing into another account's bucket
    /// under that account's own key is how a data lake takes its writers' data.
    #[test]
    fn a_write_into_the_key_owners_own_bucket_does_not_count() {
        let upload = r#"{"bucketName":"central-lake","key":"orders/part-0001.json",
            "x-amz-server-side-encryption":"aws:kms",
            "x-amz-server-side-encryption-aws-kms-key-id":"arn:aws:kms:us-east-1:444455556666:key/0f1e2d3c-4b5a-4697-8877-665544332211"}"#;
        let with_owner = |owner: &str, bucket: &str| {
            record("s3.amazonaws.com", "PutObject", ROLE, upload, "").replacen(
                r#""eventSource""#,
                &format!(
                    r#""resources":[{{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::{bucket}/orders/part-0001.json"}},
                    {{"accountId":"{owner}","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::{bucket}"}}],"eventSource""#
                ),
                1,
            )
        };
        let lake = with_owner("444455556666", "central-lake");
        assert!(lake.contains(r#""accountId":"444455556666","type":"AWS::S3::Bucket""#));
        assert!(!fires(&S3CopyObjectForeignKmsKey, &lake));
        // Our own bucket, another owner's bucket than the key's, or the entry of
        // another bucket: the key is foreign to the data.
        for (owner, bucket) in [("111122223333", "central-lake"), ("777788889999", "central-lake"), ("444455556666", "other-bucket")] {
            assert!(fires(&S3CopyObjectForeignKmsKey, &with_owner(owner, bucket)), "{owner} {bucket}");
        }
        assert!(fires(&S3CopyObjectForeignKmsKey, &record("s3.amazonaws.com", "PutObject", ROLE, upload, "")));
    }

    #[test]
    fn a_multipart_copy_opened_under_a_foreign_key_counts() {
        let open = r#"{"bucketName":"claims-archive","key":"2026/q2/claims.parquet","uploads":"",
            "x-amz-server-side-encryption":"aws:kms",
            "x-amz-server-side-encryption-aws-kms-key-id":"arn:aws:kms:us-east-1:444455556666:key/0f1e2d3c-4b5a-4697-8877-665544332211"}"#;
        match eval(&S3CopyObjectForeignKmsKey, &record("s3.amazonaws.com", "CreateMultipartUpload", ROLE, open, "")) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("api").and_then(|v| v.as_str()), Some("CreateMultipartUpload")),
            other => panic!("expected a finding, got {other:?}"),
        }
        let own = open.replace("444455556666", "111122223333");
        assert!(!fires(&S3CopyObjectForeignKmsKey, &record("s3.amazonaws.com", "CreateMultipartUpload", ROLE, &own, "")));
        assert!(!fires(&S3CopyObjectForeignKmsKey, &record("s3.amazonaws.com", "UploadPart", ROLE, open, "")));
    }
}
