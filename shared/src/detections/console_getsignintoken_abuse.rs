//! PLACEHOLDER: to be replaced by the real detection (id `console-getsignintoken-abuse`).

use crate::detection::{Detection, Meta, Severity, Signal};
use crate::event::Record;

pub struct ConsoleGetSigninTokenAbuse;

pub static META: Meta = Meta {
    id: "console-getsignintoken-abuse",
    title: "AWS Console GetSigninToken Potential Abuse",
    description: "",
    severity: Severity::Medium,
    attack: &[],
    origin: "",
    false_positives: &[],
    next_steps: "",
    triggers: &[],
    window: None,
};

impl Detection for ConsoleGetSigninTokenAbuse {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, _rec: &Record<'_>) -> Option<Signal> {
        None
    }
}
