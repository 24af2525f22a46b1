//! PLACEHOLDER: to be replaced by the real detection (id `cloudtrail-important-change`).

use crate::detection::{Detection, Meta, Severity, Signal};
use crate::event::Record;

pub struct CloudTrailImportantChange;

pub static META: Meta = Meta {
    id: "cloudtrail-important-change",
    title: "AWS CloudTrail Important Change",
    description: "",
    severity: Severity::Medium,
    attack: &[],
    origin: "",
    false_positives: &[],
    next_steps: "",
    triggers: &[],
    window: None,
};

impl Detection for CloudTrailImportantChange {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, _rec: &Record<'_>) -> Option<Signal> {
        None
    }
}
