//! PLACEHOLDER: to be replaced by the real detection (id `cloudwatch-alarm-deletion`).

use crate::detection::{Detection, Meta, Severity, Signal};
use crate::event::Record;

pub struct CloudWatchAlarmDeletion;

pub static META: Meta = Meta {
    id: "cloudwatch-alarm-deletion",
    title: "AWS CloudWatch Alarm Deletion",
    description: "",
    severity: Severity::Medium,
    attack: &[],
    origin: "",
    false_positives: &[],
    next_steps: "",
    triggers: &[],
    window: None,
};

impl Detection for CloudWatchAlarmDeletion {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, _rec: &Record<'_>) -> Option<Signal> {
        None
    }
}
