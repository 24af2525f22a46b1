//! PLACEHOLDER: to be replaced by the real detection (id `cloudwatch-log-group-deletion`).

use crate::detection::{Detection, Meta, Severity, Signal};
use crate::event::Record;

pub struct CloudWatchLogGroupDeletion;

pub static META: Meta = Meta {
    id: "cloudwatch-log-group-deletion",
    title: "AWS CloudWatch Log Group Deletion",
    description: "",
    severity: Severity::Medium,
    attack: &[],
    origin: "",
    false_positives: &[],
    next_steps: "",
    triggers: &[],
    window: None,
};

impl Detection for CloudWatchLogGroupDeletion {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, _rec: &Record<'_>) -> Option<Signal> {
        None
    }
}
