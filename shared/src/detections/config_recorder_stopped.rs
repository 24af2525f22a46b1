//! PLACEHOLDER: to be replaced by the real detection (id `config-recorder-stopped`).

use crate::detection::{Detection, Meta, Severity, Signal};
use crate::event::Record;

pub struct ConfigRecorderStopped;

pub static META: Meta = Meta {
    id: "config-recorder-stopped",
    title: "AWS Configuration Recorder Stopped",
    description: "",
    severity: Severity::Medium,
    attack: &[],
    origin: "",
    false_positives: &[],
    next_steps: "",
    triggers: &[],
    window: None,
};

impl Detection for ConfigRecorderStopped {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, _rec: &Record<'_>) -> Option<Signal> {
        None
    }
}
