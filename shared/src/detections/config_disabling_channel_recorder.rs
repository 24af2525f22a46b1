//! PLACEHOLDER: to be replaced by the real detection (id `config-disabling-channel-recorder`).

use crate::detection::{Detection, Meta, Severity, Signal};
use crate::event::Record;

pub struct ConfigDisablingChannelRecorder;

pub static META: Meta = Meta {
    id: "config-disabling-channel-recorder",
    title: "AWS Config Disabling Channel/Recorder",
    description: "",
    severity: Severity::Medium,
    attack: &[],
    origin: "",
    false_positives: &[],
    next_steps: "",
    triggers: &[],
    window: None,
};

impl Detection for ConfigDisablingChannelRecorder {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, _rec: &Record<'_>) -> Option<Signal> {
        None
    }
}
