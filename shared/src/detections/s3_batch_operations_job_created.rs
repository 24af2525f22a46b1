//! An S3 Batch Operations job created (`JobCreated`, an `AwsServiceEvent` that S3
//! records when a job is accepted).
//!
//! Decisions: Splunk's row watches `JobCreated`; the service event names the job
//! but not its caller or operation (the matching `CreateJob` call does). A batch
//! job can copy, re-encrypt or delete millions of objects, possibly into another
//! account. Low severity: data teams use batch jobs routinely.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::event::Record;

pub struct S3BatchOperationsJobCreated;

pub static META: Meta = Meta {
    id: "s3-batch-operations-job-created",
    title: "AWS S3 Batch Operations Job Created",
    description: "An S3 Batch Operations job was created. One job can copy, re-encrypt, tag or \
                  delete every object listed in a manifest, into any bucket the job's role may \
                  write, including one in another account.",
    severity: Severity::Low,
    attack: &["T1537", "T1485"],
    origins: &["Splunk ESCU detections/cloud/aws_exfiltration_via_batch_service.yml"],
    group: "data-exposure",
    false_positives: &["Data migrations and bulk tagging or restore jobs by storage teams."],
    next_steps: "Find the matching CreateJob call (same account, same minute) for the caller, the \
                 operation and the destination; cancel the job if it is not expected.",
    triggers: &[Trigger::write("s3.amazonaws.com", &["JobCreated"])],
    window: None,
};

impl Detection for S3BatchOperationsJobCreated {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "s3.amazonaws.com" || rec.event_name() != "JobCreated" {
            return None;
        }
        fire(Evidence::new().with_opt("region", rec.region()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::fires;

    const CREATED: &str = r#"{"eventVersion":"1.05","userIdentity":{"accountId":"111122223333","invokedBy":"s3.amazonaws.com"},
        "eventTime":"2026-05-04T15:25:49Z","eventSource":"s3.amazonaws.com","eventName":"JobCreated","awsRegion":"us-east-1",
        "sourceIPAddress":"s3.amazonaws.com","userAgent":"s3.amazonaws.com","eventType":"AwsServiceEvent",
        "serviceEventDetails":{"jobId":"e849b567-5232-44be-9a0c-40988f14e80c","status":"New"}}"#;

    #[test]
    fn fires_on_the_service_event_only() {
        assert!(fires(&S3BatchOperationsJobCreated, CREATED));
        assert!(!fires(&S3BatchOperationsJobCreated, &CREATED.replace("JobCreated", "JobStatusChanged")));
        assert!(!fires(&S3BatchOperationsJobCreated, &CREATED.replace("\"s3.amazonaws.com\",\"eventName\"", "\"batch.amazonaws.com\",\"eventName\"")));
    }
}
