//! The pipeline went silent: no canary from an (account, Region) for longer than
//! the threshold (see `crate::heartbeat`).
//!
//! Live, the scheduled check of the `pipeline` function raises it while the
//! silence lasts (`heartbeat::check_silence`), once per outage. In a replay it is
//! raised from the canary records themselves, for each gap longer than the
//! threshold between consecutive canaries of one account and Region, with the
//! gap's start and end. A missing canary means one of: the trail stopped or no
//! longer logs management events, the forwarding rule or its target disabled or
//! deleted, the forwarder's role broken, the canary schedule itself broken.

use crate::detection::{Detection, Meta, Severity, Signal, WindowSpec};
use crate::event::Record;
use crate::heartbeat::{self, DEFAULT_SILENCE_SECS, LOOKBACK_DAYS};

pub struct PipelineSilent;

pub static META: Meta = Meta {
    id: heartbeat::SILENT_ID,
    title: "trailwatch pipeline silent",
    description: "No heartbeat canary has arrived from an account and Region for longer than the \
                  threshold: trailwatch is blind there. Someone may have stopped the trail, \
                  disabled or deleted the forwarding rule or its target, or broken the \
                  forwarder's role; every detection is silent for that account and Region until \
                  it is mended.",
    severity: Severity::Critical,
    attack: &["T1562.008", "T1562.001"],
    origins: &["trailwatch: the pipeline heartbeat (docs/self-protection.md), after peers' checks that a trail or log source has gone silent"],
    group: heartbeat::GROUP,
    false_positives: &[
        "A forwarder stack or Region deliberately removed (the member is forgotten after 7 days).",
        "A regional EventBridge or CloudTrail delivery delay longer than the threshold.",
    ],
    next_steps: "Check in that account and Region: the trail is logging (GetTrailStatus), the \
                 forwarder's rules are enabled with their target, the forwarder role can put \
                 events on the central bus, and the canary schedule runs. Then look for \
                 CloudTrail, EventBridge, IAM and Scheduler changes just before the silence began.",
    evidence: "",
    triggers: heartbeat::CANARY_TRIGGERS,
    window: Some(WindowSpec::Heartbeat {
        silence_secs: DEFAULT_SILENCE_SECS,
        lookback_days: LOOKBACK_DAYS,
        live_on_gap: false,
    }),
};

impl Detection for PipelineSilent {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        heartbeat::beat(rec)
    }
}
