//! PLACEHOLDER: to be replaced by the real detection (id `create-login-profile-then-console-login`).

use crate::detection::{Detection, Meta, Severity, Signal};
use crate::event::Record;

pub struct CreateLoginProfileThenConsoleLogin;

pub static META: Meta = Meta {
    id: "create-login-profile-then-console-login",
    title: "AWS CreateLoginProfile",
    description: "",
    severity: Severity::Medium,
    attack: &[],
    origin: "",
    false_positives: &[],
    next_steps: "",
    triggers: &[],
    window: None,
};

impl Detection for CreateLoginProfileThenConsoleLogin {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, _rec: &Record<'_>) -> Option<Signal> {
        None
    }
}
