//! PLACEHOLDER: to be replaced by the real detection (id `cloudshell-environment-created`).

use crate::detection::{Detection, Meta, Severity, Signal};
use crate::event::Record;

pub struct CloudShellEnvironmentCreated;

pub static META: Meta = Meta {
    id: "cloudshell-environment-created",
    title: "AWS CloudShell Environment Created",
    description: "",
    severity: Severity::Medium,
    attack: &[],
    origin: "",
    false_positives: &[],
    next_steps: "",
    triggers: &[],
    window: None,
};

impl Detection for CloudShellEnvironmentCreated {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, _rec: &Record<'_>) -> Option<Signal> {
        None
    }
}
