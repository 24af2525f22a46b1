//! The pipeline is back: a canary arrived after a silence longer than the
//! threshold (the outage that `pipeline-silent` reported has ended).

use crate::detection::{Detection, Meta, Severity, Signal, WindowSpec};
use crate::event::Record;
use crate::heartbeat::{self, DEFAULT_SILENCE_SECS, LOOKBACK_DAYS};

pub struct PipelineRestored;

pub static META: Meta = Meta {
    id: "pipeline-restored",
    title: "trailwatch pipeline restored",
    description: "Heartbeat canaries arrive again from an account and Region after a silence \
                  longer than the threshold. Nothing that happened there during the silence was \
                  seen by trailwatch.",
    severity: Severity::Low,
    attack: &["T1562.008"],
    origins: &["trailwatch: the pipeline heartbeat (docs/self-protection.md)"],
    group: heartbeat::GROUP,
    false_positives: &["The end of a planned maintenance or of a delivery delay."],
    next_steps: "Find out why it was silent (the pipeline-silent finding names the start), and \
                 replay that account and Region's CloudTrail archive for the silent span \
                 (`trailwatch replay s3://...`) to see what would have fired.",
    evidence: "",
    triggers: heartbeat::CANARY_TRIGGERS,
    window: Some(WindowSpec::Heartbeat {
        silence_secs: DEFAULT_SILENCE_SECS,
        lookback_days: LOOKBACK_DAYS,
        live_on_gap: true,
    }),
};

impl Detection for PipelineRestored {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        heartbeat::beat(rec)
    }
}
