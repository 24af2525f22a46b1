//! Server access logging turned off on an S3 bucket (`PutBucketLogging` whose
//! `BucketLoggingStatus` has no `LoggingEnabled`), successfully.
//!
//! Decisions: Sigma's "S3 Data Management Tampering" lists several bucket
//! configuration calls by their API names; of those, this detection takes the one
//! that blinds the defender (logging turned off). Replication and short lifecycle
//! expiry are `s3-bucket-replication-configured` and
//! `s3-bucket-lifecycle-short-expiration`. Turning logging on or changing its
//! target does not fire; a record without `BucketLoggingStatus` says nothing and
//! does not fire either.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::succeeded_call;
use crate::event::Record;

pub struct S3ServerAccessLoggingDisabled;

pub static META: Meta = Meta {
    id: "s3-server-access-logging-disabled",
    title: "AWS S3 Server Access Logging Disabled",
    description: "Server access logging was turned off for a bucket. Object reads and writes are then \
                  recorded nowhere unless CloudTrail data events are on, so an attacker can copy \
                  or change the data without leaving a trace.",
    severity: Severity::Medium,
    attack: &["T1562.008"],
    origins: &["SigmaHQ rules/cloud/aws/cloudtrail/aws_s3_data_management_tampering.yml \
                (the PutBucketLogging part)"],
    group: "data-exposure",
    false_positives: &["Buckets being decommissioned, or logging moved to CloudTrail data events."],
    next_steps: "Check what the bucket holds and whether the change was planned; turn logging back \
                 on and review the caller's other S3 and logging changes.",
    evidence: "bucket",
    triggers: &[Trigger::write("s3.amazonaws.com", &["PutBucketLogging"])],
    window: None,
};

impl Detection for S3ServerAccessLoggingDisabled {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, "s3.amazonaws.com", &["PutBucketLogging"]) {
            return None;
        }
        let status = rec.request_param("BucketLoggingStatus")?.as_object()?;
        if status.get("LoggingEnabled").is_some_and(|l| !l.is_null()) {
            return None;
        }
        fire(Evidence::new().with_opt("bucket", rec.request_param_str("bucketName")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, failed, record};
    use crate::detections::common::testing::fires;

    const OFF: &str = r#"{"bucketName":"claims-archive","logging":"","BucketLoggingStatus":{"xmlns":"http://s3.amazonaws.com/doc/2006-03-01/"}}"#;

    #[test]
    fn fires_when_logging_is_turned_off() {
        assert!(fires(&S3ServerAccessLoggingDisabled, &record("s3.amazonaws.com", "PutBucketLogging", ROLE, OFF, "")));
        let null_enabled = OFF.replace(r#"{"xmlns""#, r#"{"LoggingEnabled":null,"xmlns""#);
        assert!(fires(&S3ServerAccessLoggingDisabled, &record("s3.amazonaws.com", "PutBucketLogging", ROLE, &null_enabled, "")));
    }

    #[test]
    fn near_misses() {
        let on = r#"{"bucketName":"claims-archive","BucketLoggingStatus":{"LoggingEnabled":{"TargetBucket":"logs","TargetPrefix":"claims/"}}}"#;
        assert!(!fires(&S3ServerAccessLoggingDisabled, &record("s3.amazonaws.com", "PutBucketLogging", ROLE, on, "")));
        assert!(!fires(&S3ServerAccessLoggingDisabled, &failed("s3.amazonaws.com", "PutBucketLogging", ROLE, OFF, "AccessDenied")));
        for params in ["null", "{}", r#"{"bucketName":"b"}"#, r#"{"BucketLoggingStatus":""}"#] {
            assert!(!fires(&S3ServerAccessLoggingDisabled, &record("s3.amazonaws.com", "PutBucketLogging", ROLE, params, "")), "{params}");
        }
        assert!(!fires(&S3ServerAccessLoggingDisabled, &record("ec2.amazonaws.com", "PutBucketLogging", ROLE, OFF, "")));
    }
}
