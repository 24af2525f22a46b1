//! Ordered pairs: a `First` and a `Second` record of one key within a gap
//! (a user created, then signing in) make one finding, claimed by the first
//! record's, so one creation followed by many sign-ins is one finding.

use super::{
    Claim, GroupKey, Lifetime, Pending, WINDOW_CLAIM, WindowSettings, expiry, partition_key,
    span_finding,
};
use crate::detection::{Meta, Side};
use crate::engine::CLAIM_TTL_SECS;
use crate::state::{Observation, Store, StoreError};

/// Records `obs` (from [`observation`](super::observation), its value the side's name), one side of
/// an ordered pair of `key`'s group, and returns the findings it completes.
#[allow(clippy::too_many_arguments)]
pub async fn observe_pair<S: Store + ?Sized>(
    store: &S,
    meta: &'static Meta,
    max_gap_secs: i64,
    settings: WindowSettings,
    key: &GroupKey,
    side: Side,
    obs: Observation,
    now: i64,
) -> Result<Vec<Pending>, StoreError> {
    let (partition, key) = (key.partition(), key.group());
    let t = obs.time_ms;
    let gap = max_gap_secs * 1000;
    let side_name = side.name();
    // The pair's finding reads this side back as it was stored.
    store
        .put(
            partition,
            obs.clone(),
            expiry(now, t, max_gap_secs + settings.lateness_secs),
        )
        .await?;
    let (from, to) = match side {
        Side::First => (t, t + gap),
        Side::Second => (t - gap, t),
    };
    let partners: Vec<Observation> = store
        .range(partition, from, to, now)
        .await?
        .into_iter()
        .filter(|o| o.value != side_name)
        .collect();
    let lifetime =
        Lifetime::For(CLAIM_TTL_SECS.max(max_gap_secs.saturating_add(settings.lateness_secs)));
    let mut out = Vec::new();
    match side {
        Side::First => {
            // The earliest login after this creation names the finding.
            if let Some(second) = partners.first() {
                out.push(pair_finding(meta, &obs, second, key, lifetime)?);
            }
        }
        Side::Second => {
            for first in &partners {
                out.push(pair_finding(meta, first, &obs, key, lifetime)?);
            }
        }
    }
    Ok(out)
}

fn pair_finding(
    meta: &'static Meta,
    first: &Observation,
    second: &Observation,
    key: &str,
    lifetime: Lifetime,
) -> Result<Pending, StoreError> {
    let claim_key = partition_key(WINDOW_CLAIM, meta.id, &format!("{key}|{}", first.event_id));
    let (finding, matched) =
        span_finding(meta, &[first.clone(), second.clone()], &claim_key, None)?;
    Ok(Pending {
        finding,
        claim: Claim {
            key: claim_key,
            guards: Vec::new(),
            // A later second side may pair with the first for the whole gap,
            // and arrive up to the lateness after it.
            lifetime,
        },
        matched,
        beyond_tuning: false,
        reported: None,
    })
}
