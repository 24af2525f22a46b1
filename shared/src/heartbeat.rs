//! The pipeline heartbeat: silence is a finding.
//!
//! Every forwarder stack (one per account and Region) runs a canary: a schedule
//! that makes one harmless write call every few minutes (see docs/organization.md).
//! Its CloudTrail event travels the same path as an attacker's would (trail,
//! EventBridge, forwarding rule, central bus, a function), so when any link breaks
//! (the trail stopped, a rule disabled or deleted, a target or role broken), the
//! canaries stop arriving.
//!
//! - Each canary records the last time its (account, Region) was seen
//!   ([`Store::beat`], one conditional write). A canary that ends a silence longer
//!   than the threshold raises `pipeline-restored`; in a replay it also raises
//!   `pipeline-silent` for the gap (start and end), so an archive shows past
//!   blind spots.
//! - Live, a scheduled invocation of the same function ([`check_silence`]) raises
//!   `pipeline-silent` for every (account, Region) that sent a canary within the
//!   last [`LOOKBACK_DAYS`] days but none for longer than the threshold: once per
//!   outage (the claim names the outage by its last canary).

use serde_json::Value;

use crate::detection::{Evidence, Signal, Trigger};
use crate::event::time::format_event_time;
use crate::event::{Actor, Record};
use crate::finding::{Finding, TimeSpan, finding_id};
use crate::state::{Store, StoreError};
use crate::window::{Claim, Pending};

/// The canary's CloudTrail event (defined with the forwarding rules that carry it):
/// SSM `PutParameter` overwriting one parameter named `<prefix>-canary` (free,
/// standard tier, and nothing reads it).
pub use crate::rules::canary::{
    EVENT_NAME as CANARY_EVENT, EVENT_SOURCE as CANARY_SOURCE, NAME_SUFFIX as CANARY_SUFFIX,
};

/// Default silence threshold (seconds): three missed canaries at the default
/// 5-minute rate.
pub const DEFAULT_SILENCE_SECS: i64 = 15 * 60;

/// The function group of the heartbeat detections, whose schedule runs the check.
pub const GROUP: &str = "pipeline";

/// The detection the scheduled check raises.
pub const SILENT_ID: &str = "pipeline-silent";
/// An (account, Region) silent for longer than this is forgotten (it was removed
/// on purpose, or its outage was reported long ago).
pub const LOOKBACK_DAYS: i64 = 7;

/// The state partition of the heartbeat members.
pub const PARTITION: &str = "hb";

/// The canary events, narrowed in EventBridge to parameter names that end like a
/// canary's (the prefix is a deployment parameter, so it is checked in code).
pub const CANARY_TRIGGERS: &[Trigger] = &[crate::rules::canary::TRIGGER];

/// What the heartbeat detections say about a record: a beat of its account and
/// Region when it is a canary.
pub fn beat(rec: &Record<'_>) -> Option<Signal> {
    canary_member(rec).map(|member| Signal::Beat {
        member,
        evidence: Evidence::new(),
    })
}

/// `account|region` of a canary record, or `None` when the record is no canary of
/// this deployment (its parameter name must start with the resource prefix and
/// end with [`CANARY_SUFFIX`]; a leading `/` is allowed).
pub fn canary_member(rec: &Record<'_>) -> Option<String> {
    if rec.event_source() != CANARY_SOURCE || rec.event_name() != CANARY_EVENT {
        return None;
    }
    let name = rec.request_param_str("name")?.trim_start_matches('/');
    if !name.ends_with(CANARY_SUFFIX) {
        return None;
    }
    if !name.starts_with(crate::resources::prefix()) {
        // The forwarding rule takes every `*-canary`: one under another prefix
        // is most likely a forwarder deployed with the wrong ResourcePrefix,
        // whose account and Region would otherwise never be watched, unsaid.
        #[cfg(feature = "lambda")]
        tracing::warn!(
            parameter = crate::sanitize::one_line(name, 200),
            account = rec.account_id().map(|a| crate::sanitize::one_line(a, 20)),
            prefix = crate::resources::prefix(),
            "a canary whose name does not start with this deployment's prefix is ignored: \
             give the forwarders the central stack's name as ResourcePrefix"
        );
        return None;
    }
    Some(member(rec.account_id()?, rec.region()?))
}

pub fn member(account: &str, region: &str) -> String {
    format!("{account}|{region}")
}

/// Evidence of a silence from `from_ms` to `until_ms`.
pub fn gap_evidence(member: &str, from_ms: i64, until_ms: i64) -> Evidence {
    Evidence::new()
        .with("pipeline", member)
        .with("silent_from", format_event_time(from_ms))
        .with("silent_until", format_event_time(until_ms))
        .with("silent_secs", (until_ms - from_ms) / 1000)
}

/// The `pipeline-silent` findings due at `now` (epoch s): one per member of the
/// heartbeat silent for more than `silence_secs`, each claimed once per outage.
pub async fn check_silence<S: Store + ?Sized>(
    store: &S,
    silence_secs: i64,
    now: i64,
) -> Result<Vec<Pending>, StoreError> {
    let now_ms = now.saturating_mul(1000);
    let mut out = Vec::new();
    for (m, last_ms) in store.members(PARTITION, now).await? {
        if now_ms - last_ms <= silence_secs.saturating_mul(1000) {
            continue;
        }
        out.push(silent_finding(&m, last_ms, now_ms));
    }
    Ok(out)
}

/// A `pipeline-silent` finding about `member`, silent since `last_ms`: no record is
/// behind it, so the actor is trailwatch's own check.
fn silent_finding(member: &str, last_ms: i64, now_ms: i64) -> Pending {
    let meta = &crate::detections::pipeline_silent::META;
    let (account, region) = member.split_once('|').unwrap_or((member, ""));
    let evidence = gap_evidence(member, last_ms, now_ms)
        .with("last_canary", Value::from(format_event_time(last_ms)));
    let key = format!("s|{member}|{last_ms}");
    let finding = Finding {
        finding_id: finding_id(&[meta.id, &key]),
        meta,
        detection_id: meta.id,
        title: meta.title,
        severity: meta.severity,
        attack: meta.attack,
        account_id: Some(account.to_owned()),
        region: (!region.is_empty()).then(|| region.to_owned()),
        actor: Actor {
            key: "trailwatch-heartbeat".into(),
            display: "no canary received (trailwatch heartbeat check)".into(),
            kind: None,
        },
        source_ip: None,
        user_agent: None,
        event_time: TimeSpan {
            first: Some(format_event_time(last_ms)),
            last: Some(format_event_time(now_ms)),
        },
        event_ids: Vec::new(),
        event_names: Vec::new(),
        error_code: None,
        evidence,
        disposition: None,
        dry_run_suppression: None,
    };
    Pending {
        finding,
        claim: Claim {
            key,
            guards: Vec::new(),
            expires_at: Some(now_ms / 1000 + LOOKBACK_DAYS * 86_400),
        },
        // No record is behind it, so no suppression entry can match all of them.
        matched: Vec::new(),
        beyond_tuning: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_pattern_keeps_the_canary_suffix() {
        let Trigger::Events {
            detail_pattern: Some(p),
            ..
        } = CANARY_TRIGGERS[0]
        else {
            panic!("the canary trigger narrows its pattern");
        };
        assert!(p.contains(&format!("\"{CANARY_SUFFIX}\"")), "{p}");
    }

    #[test]
    fn only_this_deployment_s_canary_parameters_count() {
        let rec = |name: &str| {
            format!(
                r#"{{"eventSource":"ssm.amazonaws.com","eventName":"PutParameter","awsRegion":"eu-west-1",
                "recipientAccountId":"111122223333","requestParameters":{{"name":"{name}"}}}}"#
            )
        };
        for (name, member) in [
            ("/trailwatch-fwd-canary", Some("111122223333|eu-west-1")),
            ("trailwatch-canary", Some("111122223333|eu-west-1")),
            ("/other-canary", None),
            ("/trailwatch-fwd-canary-old", None),
        ] {
            let json = rec(name);
            let r = Record::from_json(&json).unwrap();
            assert_eq!(canary_member(&r).as_deref(), member, "{name}");
        }
    }
}
