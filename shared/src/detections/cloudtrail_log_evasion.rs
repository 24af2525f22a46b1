//! PLACEHOLDER: to be replaced by the real detection (id `cloudtrail-log-evasion`).

use crate::detection::{Detection, Meta, Severity, Signal};
use crate::event::Record;

pub struct CloudTrailLogEvasion;

pub static META: Meta = Meta {
    id: "cloudtrail-log-evasion",
    title: "AWS CloudTrail Log Evasion",
    description: "",
    severity: Severity::Medium,
    attack: &[],
    origin: "",
    false_positives: &[],
    next_steps: "",
    triggers: &[],
    window: None,
};

impl Detection for CloudTrailLogEvasion {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, _rec: &Record<'_>) -> Option<Signal> {
        None
    }
}
