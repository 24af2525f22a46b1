//! An S3 Batch Operations job created (`JobCreated`, an `AwsServiceEvent` that S3
//! records when a job is accepted).
//!
//! Decisions: Splunk's row watches `JobCreated`; the service event names the job
//! (`serviceEventDetails.jobId`, `jobArn`, which the evidence gives) but not its
//! caller or operation (the matching `CreateJob` call does). A batch job can copy,
//! re-encrypt or delete millions of objects, possibly into another account. Low
//! severity: data teams use batch jobs routinely.

use serde::Deserialize;

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
    next_steps: "Describe the job in the evidence (`aws s3control describe-job --account-id \
                 <account> --job-id <job_id>`) for its operation, manifest and destination, \
                 and find the matching CreateJob call (same account, same minute) for its \
                 caller; cancel the job if it is not expected.",
    evidence: "job_arn job_id region",
    triggers: &[Trigger::write("s3.amazonaws.com", &["JobCreated"])],
    window: None,
};

/// The job as the service event names it: `serviceEventDetails`, which `Record`
/// does not type, read from the record's text.
#[derive(Deserialize)]
struct ServiceEvent {
    #[serde(rename = "serviceEventDetails")]
    details: Option<JobDetails>,
}

#[derive(Deserialize)]
struct JobDetails {
    #[serde(rename = "jobId")]
    job_id: Option<serde_json::Value>,
    #[serde(rename = "jobArn")]
    job_arn: Option<serde_json::Value>,
}

/// The job's id and ARN, each when the record gives it as text.
fn job(rec: &Record) -> (Option<String>, Option<String>) {
    let text = |v: Option<serde_json::Value>| match v {
        Some(serde_json::Value::String(s)) => Some(s),
        _ => None,
    };
    let details = rec
        .raw
        .and_then(|raw| serde_json::from_str::<ServiceEvent>(raw).ok())
        .and_then(|event| event.details);
    match details {
        Some(d) => (text(d.job_id), text(d.job_arn)),
        None => (None, None),
    }
}

impl Detection for S3BatchOperationsJobCreated {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "s3.amazonaws.com" || rec.event_name() != "JobCreated" {
            return None;
        }
        let (job_id, job_arn) = job(rec);
        fire(
            Evidence::new()
                .with_opt("region", rec.region())
                .with_opt("job_id", job_id.as_deref())
                .with_opt("job_arn", job_arn.as_deref()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::{eval, fires};

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

    /// The finding names the job, so that it can be described and cancelled;
    /// a record without the details (or with a non-text id) still fires.
    #[test]
    fn names_the_job() {
        let Some(Signal::Fire(evidence)) = eval(&S3BatchOperationsJobCreated, CREATED) else {
            panic!("fires");
        };
        assert_eq!(evidence.get("job_id").and_then(|v| v.as_str()), Some("e849b567-5232-44be-9a0c-40988f14e80c"));
        let without = CREATED.replace(r#""jobId":"e849b567-5232-44be-9a0c-40988f14e80c""#, r#""jobId":7"#);
        let Some(Signal::Fire(evidence)) = eval(&S3BatchOperationsJobCreated, &without) else {
            panic!("fires without a text id");
        };
        assert_eq!(evidence.get("job_id").and_then(|v| v.as_str()), None);
    }
}
