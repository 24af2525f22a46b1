//! PLACEHOLDER: to be replaced by the real detection (id `create-policy-version-allow-all`).

use crate::detection::{Detection, Meta, Severity, Signal};
use crate::event::Record;

pub struct CreatePolicyVersionAllowAll;

pub static META: Meta = Meta {
    id: "create-policy-version-allow-all",
    title: "AWS Create Policy Version to allow all resources",
    description: "",
    severity: Severity::Medium,
    attack: &[],
    origin: "",
    false_positives: &[],
    next_steps: "",
    triggers: &[],
    window: None,
};

impl Detection for CreatePolicyVersionAllowAll {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, _rec: &Record<'_>) -> Option<Signal> {
        None
    }
}
