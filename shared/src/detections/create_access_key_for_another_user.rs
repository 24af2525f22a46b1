//! PLACEHOLDER: to be replaced by the real detection (id `create-access-key-for-another-user`).

use crate::detection::{Detection, Meta, Severity, Signal};
use crate::event::Record;

pub struct CreateAccessKeyForAnotherUser;

pub static META: Meta = Meta {
    id: "create-access-key-for-another-user",
    title: "AWS CreateAccessKey",
    description: "",
    severity: Severity::Medium,
    attack: &[],
    origin: "",
    false_positives: &[],
    next_steps: "",
    triggers: &[],
    window: None,
};

impl Detection for CreateAccessKeyForAnotherUser {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, _rec: &Record<'_>) -> Option<Signal> {
        None
    }
}
