//! PLACEHOLDER: to be replaced by the real detection (id `consolelogin-failed-authentication`).

use crate::detection::{Detection, Meta, Severity, Signal};
use crate::event::Record;

pub struct ConsoleLoginFailedAuthentication;

pub static META: Meta = Meta {
    id: "consolelogin-failed-authentication",
    title: "AWS ConsoleLogin Failed Authentication",
    description: "",
    severity: Severity::Medium,
    attack: &[],
    origin: "",
    false_positives: &[],
    next_steps: "",
    triggers: &[],
    window: None,
};

impl Detection for ConsoleLoginFailedAuthentication {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, _rec: &Record<'_>) -> Option<Signal> {
        None
    }
}
