//! PLACEHOLDER: to be replaced by the real detection (id `cloudtrail-log-deleted`).

use crate::detection::{Detection, Meta, Severity, Signal};
use crate::event::Record;

pub struct CloudTrailLogDeleted;

pub static META: Meta = Meta {
    id: "cloudtrail-log-deleted",
    title: "AWS CloudTrail Log Deleted",
    description: "",
    severity: Severity::Medium,
    attack: &[],
    origin: "",
    false_positives: &[],
    next_steps: "",
    triggers: &[],
    window: None,
};

impl Detection for CloudTrailLogDeleted {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, _rec: &Record<'_>) -> Option<Signal> {
        None
    }
}
