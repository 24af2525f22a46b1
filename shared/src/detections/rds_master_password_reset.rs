//! PLACEHOLDER: to be replaced by the real detection (id `rds-master-password-reset`).

use crate::detection::{Detection, Meta, Severity, Signal};
use crate::event::Record;

pub struct RdsMasterPasswordReset;

pub static META: Meta = Meta {
    id: "rds-master-password-reset",
    title: "AWS Credential Access RDS Password reset",
    description: "",
    severity: Severity::Medium,
    attack: &[],
    origin: "",
    false_positives: &[],
    next_steps: "",
    triggers: &[],
    window: None,
};

impl Detection for RdsMasterPasswordReset {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, _rec: &Record<'_>) -> Option<Signal> {
        None
    }
}
