//! PLACEHOLDER: to be replaced by the real detection (id `cloudtrail-log-updated`).

use crate::detection::{Detection, Meta, Severity, Signal};
use crate::event::Record;

pub struct CloudTrailLogUpdated;

pub static META: Meta = Meta {
    id: "cloudtrail-log-updated",
    title: "AWS CloudTrail Log Updated",
    description: "",
    severity: Severity::Medium,
    attack: &[],
    origin: "",
    false_positives: &[],
    next_steps: "",
    triggers: &[],
    window: None,
};

impl Detection for CloudTrailLogUpdated {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, _rec: &Record<'_>) -> Option<Signal> {
        None
    }
}
