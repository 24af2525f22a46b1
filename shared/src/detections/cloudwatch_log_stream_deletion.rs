//! PLACEHOLDER: to be replaced by the real detection (id `cloudwatch-log-stream-deletion`).

use crate::detection::{Detection, Meta, Severity, Signal};
use crate::event::Record;

pub struct CloudWatchLogStreamDeletion;

pub static META: Meta = Meta {
    id: "cloudwatch-log-stream-deletion",
    title: "AWS CloudWatch Log Stream Deletion",
    description: "",
    severity: Severity::Medium,
    attack: &[],
    origin: "",
    false_positives: &[],
    next_steps: "",
    triggers: &[],
    window: None,
};

impl Detection for CloudWatchLogStreamDeletion {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, _rec: &Record<'_>) -> Option<Signal> {
        None
    }
}
