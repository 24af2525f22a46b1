//! PLACEHOLDER: to be replaced by the real detection (id `getpassworddata-burst`).

use crate::detection::{Detection, Meta, Severity, Signal};
use crate::event::Record;

pub struct GetPasswordDataBurst;

pub static META: Meta = Meta {
    id: "getpassworddata-burst",
    title: "AWS Credential Access GetPasswordData",
    description: "",
    severity: Severity::Medium,
    attack: &[],
    origin: "",
    false_positives: &[],
    next_steps: "",
    triggers: &[],
    window: None,
};

impl Detection for GetPasswordDataBurst {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, _rec: &Record<'_>) -> Option<Signal> {
        None
    }
}
