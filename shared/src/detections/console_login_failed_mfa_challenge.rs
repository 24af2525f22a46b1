//! PLACEHOLDER: to be replaced by the real detection (id `console-login-failed-mfa-challenge`).

use crate::detection::{Detection, Meta, Severity, Signal};
use crate::event::Record;

pub struct ConsoleLoginFailedMfaChallenge;

pub static META: Meta = Meta {
    id: "console-login-failed-mfa-challenge",
    title: "AWS Console Login Failed During MFA Challenge",
    description: "",
    severity: Severity::Medium,
    attack: &[],
    origin: "",
    false_positives: &[],
    next_steps: "",
    triggers: &[],
    window: None,
};

impl Detection for ConsoleLoginFailedMfaChallenge {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, _rec: &Record<'_>) -> Option<Signal> {
        None
    }
}
