//! PLACEHOLDER: to be replaced by the real detection (id `concurrent-sessions-different-ips`).

use crate::detection::{Detection, Meta, Severity, Signal};
use crate::event::Record;

pub struct ConcurrentSessionsDifferentIps;

pub static META: Meta = Meta {
    id: "concurrent-sessions-different-ips",
    title: "AWS Concurrent Sessions From Different Ips",
    description: "",
    severity: Severity::Medium,
    attack: &[],
    origin: "",
    false_positives: &[],
    next_steps: "",
    triggers: &[],
    window: None,
};

impl Detection for ConcurrentSessionsDifferentIps {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, _rec: &Record<'_>) -> Option<Signal> {
        None
    }
}
