//! An SQS queue purged (`PurgeQueue`), successfully.
//!
//! Decision: every successful purge fires, low severity: purging is an ordinary
//! operation in test environments but destroys every message waiting in the queue.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::succeeded_call;
use crate::event::Record;

pub struct SqsQueuePurged;

pub static META: Meta = Meta {
    id: "sqs-queue-purged",
    title: "AWS SQS Queue Purged",
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
    triggers: &[Trigger::write("sqs.amazonaws.com", &["PurgeQueue"])],
    window: None,
};

impl Detection for SqsQueuePurged {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, "sqs.amazonaws.com", &["PurgeQueue"]) {
            return None;
        }
        fire(Evidence::new().with_opt("queue_url", rec.request_param_str("queueUrl")))
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
}
