//! A bucket lifecycle configuration that deletes objects within two days
//! (`PutBucketLifecycle`), successfully.
//!
//! Decisions: Splunk's rule keeps IAM users only; attackers mostly act through roles,
//! so every identity type counts here. A rule fires when it is enabled (or carries
//! no `Status`) and its `Expiration.Days` is below 3 (a number or text), or its
//! `Expiration.Date` falls less than three days after the event (a date already
//! past makes every object the rule covers eligible for deletion at once), or its
//! `NoncurrentVersionExpiration.NoncurrentDays` is below 3: on a versioned bucket the
//! noncurrent versions are the recovery copies, and removing them within a day or two
//! is how an overwrite or deletion is made final. A rule that keeps some of them
//! whatever their age (`NewerNoncurrentVersions` of 1 or more, from a review: a
//! common Terraform set-up) leaves recovery copies, and does not count.
//! A lifecycle on the bucket that receives CloudTrail logs is the classic case
//! (Stratus cloudtrail-lifecycle-rule), but any bucket counts: we cannot tell which
//! buckets hold logs from the event alone.
//! Directory buckets (S3 Express One Zone) take expiration rules too, logged from
//! `s3express.amazonaws.com` (`PutBucketLifecycleConfiguration`, or the general
//! buckets' name): judged the same way (from a third evasion review).

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{one_or_many, succeeded_call, whole_number};
use crate::event::Record;
use crate::event::time::parse_event_time;

pub struct S3BucketLifecycleShortExpiration;

/// Directory buckets' event source and the names their lifecycle calls take.
const DIRECTORY_BUCKETS: &str = "s3express.amazonaws.com";
const DIRECTORY_BUCKET_CALLS: &[&str] = &["PutBucketLifecycleConfiguration", "PutBucketLifecycle"];

/// Expiration below this many days fires.
const MAX_DAYS_EXCLUSIVE: u64 = 3;

pub static META: Meta = Meta {
    id: "s3-bucket-lifecycle-short-expiration",
    title: "AWS S3 Bucket Lifecycle Rule with Short Expiration",
    description: "A lifecycle rule was set that deletes a bucket's objects one or two days after \
                  they are written. On a bucket that stores CloudTrail or other logs it quietly \
                  erases the evidence; on a data bucket it destroys the data.",
    severity: Severity::Medium,
    attack: &["T1485", "T1562.008"],
    origins: &[
        "Splunk ESCU detections/cloud/aws_defense_evasion_putbucketlifecycle.yml",
        "trailwatch: based on Stratus Red Team aws.defense-evasion.cloudtrail-lifecycle-rule",
    ],
    group: "data-exposure",
    false_positives: &[
        "Scratch, temporary-upload or cache buckets whose objects are meant to expire quickly.",
    ],
    next_steps: "Check what the bucket holds and whether a trail or a log pipeline writes to it. If \
                 the rule is not expected, remove it, check whether objects were already expired, \
                 and review the caller's other changes to logging.",
    evidence: "bucket expiration_date expiration_days noncurrent_expiration_days",
    triggers: &[
        Trigger::write("s3.amazonaws.com", &["PutBucketLifecycle"]),
        Trigger::write(DIRECTORY_BUCKETS, DIRECTORY_BUCKET_CALLS),
    ],
    window: None,
};

impl Detection for S3BucketLifecycleShortExpiration {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, "s3.amazonaws.com", &["PutBucketLifecycle"])
            && !succeeded_call(rec, DIRECTORY_BUCKETS, DIRECTORY_BUCKET_CALLS)
        {
            return None;
        }
        let config = rec.request_param("LifecycleConfiguration")?;
        let enabled: Vec<&serde_json::Value> = one_or_many(config.get("Rule"))
            .into_iter()
            .filter(|r| {
                r.get("Status")
                    .and_then(|s| s.as_str())
                    .is_none_or(|s| s.trim().eq_ignore_ascii_case("Enabled"))
            })
            .collect();
        let shortest = enabled
            .iter()
            .filter_map(|r| whole_number(r.get("Expiration")?.get("Days")))
            .filter(|d| *d < MAX_DAYS_EXCLUSIVE)
            .min();
        // The earliest expiration date less than MAX_DAYS_EXCLUSIVE days after the event.
        let soon = rec.event_time_ms().and_then(|now| {
            let limit = now + MAX_DAYS_EXCLUSIVE as i64 * 86_400_000;
            enabled
                .iter()
                .filter_map(|r| r.get("Expiration")?.get("Date")?.as_str())
                .filter_map(|d| Some((expiration_date_ms(d)?, d.trim())))
                .filter(|(ms, _)| *ms < limit)
                .min_by_key(|(ms, _)| *ms)
                .map(|(_, text)| text)
        });
        let noncurrent = enabled
            .iter()
            .filter_map(|r| r.get("NoncurrentVersionExpiration"))
            // None of them kept whatever their age.
            .filter(|n| whole_number(n.get("NewerNoncurrentVersions")).is_none_or(|kept| kept == 0))
            .filter_map(|n| whole_number(n.get("NoncurrentDays")))
            .filter(|d| *d < MAX_DAYS_EXCLUSIVE)
            .min();
        if shortest.is_none() && soon.is_none() && noncurrent.is_none() {
            return None;
        }
        let mut e = Evidence::new().with_opt("bucket", rec.request_param_str("bucketName"));
        if let Some(d) = shortest {
            e = e.with("expiration_days", d);
        }
        if let Some(d) = noncurrent {
            e = e.with("noncurrent_expiration_days", d);
        }
        fire(e.with_opt("expiration_date", soon))
    }
}

/// An `Expiration.Date` (ISO 8601, midnight UTC: `2024-01-01T00:00:00.000Z`, or the
/// bare date) in epoch milliseconds.
fn expiration_date_ms(text: &str) -> Option<i64> {
    let t = text.trim();
    if t.len() == 10 {
        return parse_event_time(&format!("{t}T00:00:00Z"));
    }
    parse_event_time(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, USER, failed, record};
    use crate::detections::common::testing::{eval, fires};
    use serde_json::json;

    fn put(rules: &str) -> String {
        format!(
            r#"{{"bucketName":"org-trail-logs","lifecycle":"","LifecycleConfiguration":{{"xmlns":"http://s3.amazonaws.com/doc/2006-03-01/","Rule":{rules}}}}}"#
        )
    }

    #[test]
    fn fires_on_an_expiration_date_past_or_within_two_days() {
        // data_testing records are at 2026-05-04T10:00:00Z.
        for date in ["2024-01-01T00:00:00.000Z", "2026-05-06T00:00:00Z", "2026-05-05"] {
            let rec = record("s3.amazonaws.com", "PutBucketLifecycle", ROLE,
                &put(&format!(r#"{{"ID":"nuke","Status":"Enabled","Filter":"","Expiration":{{"Date":"{date}"}}}}"#)), "");
            match eval(&S3BucketLifecycleShortExpiration, &rec) {
                Some(Signal::Fire(e)) => {
                    assert_eq!(e.get("expiration_date"), Some(&json!(date)));
                    assert_eq!(e.get("expiration_days"), None);
                }
                other => panic!("expected a finding for {date}, got {other:?}"),
            }
        }
        for date in ["2026-05-08T00:00:00.000Z", "2027-01-01T00:00:00Z", "soon", ""] {
            let rec = record("s3.amazonaws.com", "PutBucketLifecycle", ROLE,
                &put(&format!(r#"{{"ID":"later","Status":"Enabled","Filter":"","Expiration":{{"Date":"{date}"}}}}"#)), "");
            assert!(!fires(&S3BucketLifecycleShortExpiration, &rec), "{date}");
        }
        let disabled = record("s3.amazonaws.com", "PutBucketLifecycle", ROLE,
            &put(r#"{"ID":"off","Status":"Disabled","Filter":"","Expiration":{"Date":"2024-01-01T00:00:00.000Z"}}"#), "");
        assert!(!fires(&S3BucketLifecycleShortExpiration, &disabled));
    }

    #[test]
    fn fires_on_one_day_expiration() {
        let rec = record("s3.amazonaws.com", "PutBucketLifecycle", ROLE,
            &put(r#"{"ID":"nuke","Status":"Enabled","Filter":"","Expiration":{"Days":1}}"#), "");
        match eval(&S3BucketLifecycleShortExpiration, &rec) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("expiration_days"), Some(&json!(1)));
                assert_eq!(e.get("bucket"), Some(&json!("org-trail-logs")));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let listed = record("s3.amazonaws.com", "PutBucketLifecycle", USER, &put(
            r#"[{"ID":"a","Status":"Enabled","Expiration":{"Days":365}},{"ID":"b","Expiration":{"Days":"2"}}]"#), "");
        assert!(fires(&S3BucketLifecycleShortExpiration, &listed));
        // From a third evasion review: a directory bucket, under either name.
        let rules = put(r#"{"ID":"nuke","Status":"Enabled","Filter":"","Expiration":{"Days":1}}"#);
        for name in DIRECTORY_BUCKET_CALLS {
            let rec = record(DIRECTORY_BUCKETS, name, ROLE, &rules, "");
            assert!(fires(&S3BucketLifecycleShortExpiration, &rec), "{name}");
        }
        let kept = put(r#"{"ID":"year","Status":"Enabled","Filter":"","Expiration":{"Days":365}}"#);
        assert!(!fires(&S3BucketLifecycleShortExpiration, &record(DIRECTORY_BUCKETS, DIRECTORY_BUCKET_CALLS[0], ROLE, &kept, "")));
    }

    #[test]
    fn recovery_copies_removed_within_two_days_fire() {
        let rec = record("s3.amazonaws.com", "PutBucketLifecycle", ROLE,
            &put(r#"{"ID":"v","Status":"Enabled","Filter":{},"NoncurrentVersionExpiration":{"NoncurrentDays":1}}"#), "");
        match eval(&S3BucketLifecycleShortExpiration, &rec) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("noncurrent_expiration_days"), Some(&json!(1))),
            other => panic!("expected a finding, got {other:?}"),
        }
        let month = record("s3.amazonaws.com", "PutBucketLifecycle", ROLE,
            &put(r#"{"ID":"v","Status":"Enabled","Filter":{},"NoncurrentVersionExpiration":{"NoncurrentDays":30}}"#), "");
        assert!(!fires(&S3BucketLifecycleShortExpiration, &record("s3.amazonaws.com", "PutBucketLifecycle", ROLE,
            &put(r#"{"ID":"v","Status":"Enabled","Filter":{},"NoncurrentVersionExpiration":{"NoncurrentDays":1,"NewerNoncurrentVersions":10}}"#), "")));
        assert!(fires(&S3BucketLifecycleShortExpiration, &record("s3.amazonaws.com", "PutBucketLifecycle", ROLE,
            &put(r#"{"ID":"v","Status":"Enabled","Filter":{},"NoncurrentVersionExpiration":{"NoncurrentDays":1,"NewerNoncurrentVersions":0}}"#), "")));
        assert!(!fires(&S3BucketLifecycleShortExpiration, &month));
        let off = record("s3.amazonaws.com", "PutBucketLifecycle", ROLE,
            &put(r#"{"ID":"v","Status":"Disabled","NoncurrentVersionExpiration":{"NoncurrentDays":1}}"#), "");
        assert!(!fires(&S3BucketLifecycleShortExpiration, &off));
    }

    #[test]
    fn near_misses() {
        for rules in [
            r#"{"ID":"a","Status":"Enabled","Expiration":{"Days":3}}"#,
            r#"{"ID":"a","Status":"Disabled","Expiration":{"Days":1}}"#,
            r#"{"ID":"a","Status":"Enabled","Transition":{"Days":1,"StorageClass":"GLACIER"}}"#,
            r#"{"ID":"a","Status":"Enabled","Expiration":{"Days":-1}}"#,
            r#"{"ID":"a","Status":"Enabled","Expiration":{"Date":"2026-09-01T00:00:00Z"}}"#,
            r#"{"ID":"a","Status":"Enabled","Expiration":null}"#,
        ] {
            let rec = record("s3.amazonaws.com", "PutBucketLifecycle", ROLE, &put(rules), "");
            assert!(!fires(&S3BucketLifecycleShortExpiration, &rec), "{rules}");
        }
        let denied = failed("s3.amazonaws.com", "PutBucketLifecycle", ROLE,
            &put(r#"{"Status":"Enabled","Expiration":{"Days":1}}"#), "AccessDenied");
        assert!(!fires(&S3BucketLifecycleShortExpiration, &denied));
        let none = record("s3.amazonaws.com", "PutBucketLifecycle", ROLE, "null", "");
        assert!(!fires(&S3BucketLifecycleShortExpiration, &none));
    }
}
