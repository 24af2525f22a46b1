//! An SQS queue purged (`PurgeQueue`), successfully.
//!
//! Decision: every successful purge fires, low severity: purging is an ordinary
//! operation in test environments but destroys every message waiting in the queue.
//!
//! From an evasion review: a queue's retention cut to five minutes or less
//! (`SetQueueAttributes` with `MessageRetentionPeriod` of at most 300 seconds)
//! expires every older message waiting in it, the purge by another name. Queues
//! created with a short retention are not reported (`CreateQueue`: nothing waits
//! in a new queue).

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{succeeded_call, whole_number};
use crate::event::Record;

pub struct SqsQueuePurged;

const SQS: &str = "sqs.amazonaws.com";
/// A retention at or under this (seconds) expires what waits in the queue.
const SHORT_RETENTION_SECS: u64 = 300;

pub static META: Meta = Meta {
    id: "sqs-queue-purged",
    title: "AWS SQS Queue Purged or Its Retention Cut",
    description: "Every message waiting in an SQS queue was deleted at once. Purging a production \
                  queue destroys orders, jobs or events in flight, and can hide messages an \
                  attacker does not want processed.",
    severity: Severity::Low,
    attack: &["T1485", "T1489"],
    origins: &["Elastic detection-rules: AWS SQS Queue Purge (title in the catalogue continuation)"],
    group: "data-exposure",
    false_positives: &["Developers resetting test or staging queues."],
    next_steps: "Check which queue was purged and whether it carries production traffic; confirm \
                 with its owner and review the caller's other actions.",
    evidence: "action queue_url retention_seconds",
    triggers: &[Trigger::write(SQS, &["PurgeQueue", "SetQueueAttributes"])],
    window: None,
};

impl Detection for SqsQueuePurged {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        let e = Evidence::new().with_opt("queue_url", rec.request_param_str("queueUrl"));
        if succeeded_call(rec, SQS, &["SetQueueAttributes"]) {
            let retention = whole_number(rec.request_param("attributes")?.get("MessageRetentionPeriod"))?;
            return if retention <= SHORT_RETENTION_SECS {
                fire(e.with("action", "SetQueueAttributes").with("retention_seconds", retention))
            } else {
                None
            };
        }
        if !succeeded_call(rec, SQS, &["PurgeQueue"]) {
            return None;
        }
        fire(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, failed, record};
    use crate::detections::common::testing::fires;

    const PURGE: &str = r#"{"queueUrl":"https://sqs.us-east-1.amazonaws.com/111122223333/orders"}"#;

    #[test]
    fn fires_on_a_purge_only() {
        assert!(fires(&SqsQueuePurged, &record("sqs.amazonaws.com", "PurgeQueue", ROLE, PURGE, "")));
        assert!(!fires(&SqsQueuePurged, &failed("sqs.amazonaws.com", "PurgeQueue", ROLE, PURGE, "AWS.SimpleQueueService.PurgeQueueInProgress")));
        assert!(!fires(&SqsQueuePurged, &record("sqs.amazonaws.com", "DeleteQueue", ROLE, PURGE, "")));
    }

    /// From an evasion review: the retention cut so that what waits expires.
    #[test]
    fn a_retention_cut_to_minutes_fires() {
        let retention = |value: &str| {
            record(SQS, "SetQueueAttributes", ROLE,
                &format!(r#"{{"queueUrl":"https://sqs.us-east-1.amazonaws.com/111122223333/orders","attributes":{{"MessageRetentionPeriod":{value}}}}}"#), "")
        };
        assert!(fires(&SqsQueuePurged, &retention(r#""60""#)));
        assert!(fires(&SqsQueuePurged, &retention("300")));
        assert!(!fires(&SqsQueuePurged, &retention(r#""345600""#)));
        let policy = record(SQS, "SetQueueAttributes", ROLE, r#"{"queueUrl":"q","attributes":{"VisibilityTimeout":"60"}}"#, "");
        assert!(!fires(&SqsQueuePurged, &policy));
    }
}
