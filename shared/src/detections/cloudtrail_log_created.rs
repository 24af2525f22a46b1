//! PLACEHOLDER: to be replaced by the real detection (id `cloudtrail-log-created`).

use crate::detection::{Detection, Meta, Severity, Signal};
use crate::event::Record;

pub struct CloudTrailLogCreated;

pub static META: Meta = Meta {
    id: "cloudtrail-log-created",
    title: "AWS CloudTrail Log Created",
    description: "",
    severity: Severity::Medium,
    attack: &[],
    origin: "",
    false_positives: &[],
    next_steps: "",
    triggers: &[],
    window: None,
};

impl Detection for CloudTrailLogCreated {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, _rec: &Record<'_>) -> Option<Signal> {
        None
    }
}
