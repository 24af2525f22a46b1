//! PLACEHOLDER: to be replaced by the real detection (id `credential-access-failed-login`).

use crate::detection::{Detection, Meta, Severity, Signal};
use crate::event::Record;

pub struct CredentialAccessFailedLogin;

pub static META: Meta = Meta {
    id: "credential-access-failed-login",
    title: "AWS Credential Access Failed Login",
    description: "",
    severity: Severity::Medium,
    attack: &[],
    origin: "",
    false_positives: &[],
    next_steps: "",
    triggers: &[],
    window: None,
};

impl Detection for CredentialAccessFailedLogin {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, _rec: &Record<'_>) -> Option<Signal> {
        None
    }
}
