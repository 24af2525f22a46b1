//! PLACEHOLDER: to be replaced by the real detection (id `config-resource-deletion`).

use crate::detection::{Detection, Meta, Severity, Signal};
use crate::event::Record;

pub struct ConfigResourceDeletion;

pub static META: Meta = Meta {
    id: "config-resource-deletion",
    title: "AWS Config Resource Deletion",
    description: "",
    severity: Severity::Medium,
    attack: &[],
    origin: "",
    false_positives: &[],
    next_steps: "",
    triggers: &[],
    window: None,
};

impl Detection for ConfigResourceDeletion {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, _rec: &Record<'_>) -> Option<Signal> {
        None
    }
}
