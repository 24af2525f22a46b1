//! What the engine does with a finding once a tuning is set. Precedence: `off`
//! (the detection did not run), then `shadow`, then suppression, then dedup, then
//! notify. A finding about a change to the tuning itself skips all of them
//! (`Detection::beyond_tuning`). Findings that are not notified are still
//! returned, with their disposition, so that callers count and log them:
//! nothing vanishes.
//!
//! Exactly once, as without tuning: a shadowed or suppressed finding takes a claim
//! of its own (`x|`/`s|` + its claim key), so it is counted once and yet does not
//! block the notification of a later finding of the same window that is not
//! suppressed. Dedup takes the finding's own claim, then one claim per detection
//! and group (`d|...`) that lapses `dedup_secs` after the notified finding's event
//! time; held-back findings are written to `h|...` and counted, up to the
//! notification marker, when the next notification goes out. A held-back
//! finding holds a claim of its own (`h|<group>|` + its claim key) and gives
//! the finding's claim back, so that a finding sharing that claim in another
//! group (the two copies of a cross-account call) is decided on its own.

use crate::detection::Evidence;
use crate::engine::{
    HandleError, claim_expiry, confirm, deliver, delivered, lease_or_send, send, take_under,
    unsent_error,
};
use crate::event::time::{format_event_time, parse_event_time};
use crate::finding::{Disposition, Finding, finding_id};
use crate::notify::Notifier;
use crate::state::keys;
use crate::state::{Claimed, Now, Observation, Store, Take};
use crate::window::{Lifetime, Pending, partition_key};

use super::{DedupKey, Mode, Tuning};

/// Held-back findings are remembered this long after their dedup period: the next
/// notification within it reports them.
pub const HELD_BACK_MEMORY_SECS: i64 = 7 * 86_400;

const HELD: &str = "held";
const NOTIFIED: &str = "notified";

/// When a finding was held back, or a notification read what it reports: the
/// wall clock in microseconds, kept as the observation's payload. A held-back
/// finding is counted by the first notification decided after it, whatever the
/// two findings' event times: one that arrives late, older than the finding
/// whose period holds it back, was left out of every count when the marker's
/// event time decided (from a review). Live, a finding is held only under a
/// confirmed period, which its notification's marker precedes; in a replay the
/// order is the input's.
fn decided_at_us() -> i64 {
    use std::sync::atomic::{AtomicI64, Ordering};
    // Strictly increasing within the process: two decisions in one microsecond,
    // or a clock stepped back, must not tie a held finding with the next
    // notification (a tie left it out of every count; from a review).
    static LAST: AtomicI64 = AtomicI64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
    let previous = LAST
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |last| {
            Some(now.max(last.saturating_add(1)))
        })
        .unwrap_or(now);
    now.max(previous.saturating_add(1))
}

/// [`decided_at_us`] of a held-back item or a marker; items written before it
/// was kept (an empty payload) fall back to their event time.
fn decided_order(o: &Observation) -> i64 {
    o.payload
        .json()
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| o.time_ms.saturating_mul(1000))
}

/// Applies `tuning` to one pending finding. `Ok(None)`: it had already been
/// decided (its claim is held). `today` is the day used for expiry.
pub(crate) async fn apply<S: Store + ?Sized, N: Notifier + ?Sized>(
    tuning: &Tuning,
    today: i64,
    store: &S,
    notifier: &N,
    mut p: Pending,
    at: Now,
    lease_secs: i64,
) -> Result<Option<Finding>, HandleError> {
    // A change to the tuning itself is reported as it is (see
    // `Detection::beyond_tuning`).
    if p.beyond_tuning {
        p.finding.disposition = Some(Disposition::Notified);
        return notify(store, notifier, p, at, lease_secs).await;
    }
    let id = p.finding.detection_id;
    let settings = tuning.detection(id);
    if let Some(severity) = settings.and_then(|d| d.severity) {
        p.finding.severity = severity;
    }
    if tuning.mode(id) == Mode::Shadow {
        return quiet(store, p, "x", Disposition::Shadow, at).await;
    }
    let (suppress, dry) = tuning.decide(&p.matched, today);
    if let Some(entry) = suppress {
        let mut evidence = std::mem::take(&mut p.finding.evidence)
            .with_owned_key("suppressed_by".into(), entry.id.clone().into());
        // A trial entry meant to replace this one is credited in the preview
        // too (from a review: it showed 0 findings beside a broad entry).
        if let Some(trial) = dry {
            evidence = evidence.with_owned_key("dry_run_match".into(), trial.id.clone().into());
        }
        p.finding.evidence = evidence;
        return quiet(store, p, "s", Disposition::Suppressed, at).await;
    }
    if let Some(entry) = dry {
        p.finding.dry_run_suppression = Some(entry.id.clone());
    }
    p.finding.disposition = Some(Disposition::Notified);
    match settings.filter(|d| d.dedup_secs > 0) {
        None => notify(store, notifier, p, at, lease_secs).await,
        Some(d) => {
            let by = (d.dedup_secs, d.dedup_by.as_slice());
            dedup(store, notifier, p, by, at, lease_secs).await
        }
    }
}

/// Delivers `p` once; `Ok(None)` when its claim was already held.
async fn notify<S: Store + ?Sized, N: Notifier + ?Sized>(
    store: &S,
    notifier: &N,
    p: Pending,
    at: Now,
    lease_secs: i64,
) -> Result<Option<Finding>, HandleError> {
    Ok(deliver(store, notifier, &p, at, lease_secs)
        .await?
        .map(|sent| delivered(p, &sent)))
}

/// A finding that is decided but not notified: counted once.
async fn quiet<S: Store + ?Sized>(
    store: &S,
    mut p: Pending,
    tag: &str,
    disposition: Disposition,
    at: Now,
) -> Result<Option<Finding>, HandleError> {
    // A first-seen finding's claim is the term's history: the term was seen,
    // whatever tuning says, so it takes the real claim.
    let (key, guards) = if matches!(p.claim.lifetime, Lifetime::Until(_)) {
        (p.claim.key.clone(), p.claim.guards.clone())
    } else {
        (
            format!("{tag}|{}", p.claim.key),
            p.claim
                .guards
                .iter()
                .map(|g| format!("{tag}|{g}"))
                .collect(),
        )
    };
    let expires_at = claim_expiry(&p, at.valid);
    let taken = store
        .claim(&key, &guards, Take::Confirmed { expires_at }, at)
        .await?;
    if taken != Claimed::Taken {
        return Ok(None);
    }
    p.finding.disposition = Some(disposition);
    Ok(Some(p.finding))
}

/// The dedup group of a finding: a digest of the `dedup_by` values and of the
/// finding's severity. Each severity has its own periods, so that a finding is
/// never held back behind a less severe one (a subscription that takes only
/// `high` would otherwise never hear of it).
pub fn dedup_group(f: &Finding, by: &[DedupKey]) -> String {
    let mut from = None;
    let mut parts: Vec<&str> = Vec::with_capacity(by.len() * 2 + 4);
    parts.push("severity");
    parts.push(f.severity.as_str());
    for k in by {
        parts.push(k.as_str());
        parts.push(match k {
            DedupKey::Account => f.account_id.as_deref().unwrap_or(""),
            DedupKey::Actor => &f.actor.key,
            DedupKey::SourceIp => f.source_ip.as_deref().unwrap_or(""),
            DedupKey::Region => f.region.as_deref().unwrap_or(""),
        });
        // A caller the record does not name (a console login by a user name
        // that does not exist, keyed by its account), or a sign-in, whose
        // "actor" is the user whose name was typed, is told apart by where it
        // calls from: as one actor, an office's failed login held back an
        // intruder's from another address (from two reviews of tuning).
        if *k == DedupKey::Actor && (unnamed_caller(&f.actor.key) || sign_in(f)) {
            from = Some(addresses(f));
        }
    }
    if let Some(from) = &from {
        parts.push("actor_from");
        parts.push(from);
    }
    // A role session acting for people (trusted identity propagation): each
    // person is an actor of its own, as an Identity Center user calling
    // directly is (from a review: one application session held a second
    // person's finding back behind the first's).
    if let Some(person) = f
        .actor
        .on_behalf_of
        .as_deref()
        .filter(|_| by.contains(&DedupKey::Actor))
    {
        parts.push("on_behalf_of");
        parts.push(person);
    }
    finding_id(&parts)
}

/// An actor key that names no principal: the account alone, or nothing.
fn unnamed_caller(key: &str) -> bool {
    key.is_empty() || key == "unknown" || crate::detections::common::is_account_id(key)
}

/// Every address a finding names: a window's lists each of its records'
/// (`evidence.source_ip`), sorted, so that an intruder's attempts in a span
/// opened by the user's own are not taken for the user's (from a review);
/// else the finding's own.
fn addresses(f: &Finding) -> String {
    match f.evidence.get("source_ip") {
        Some(serde_json::Value::Array(items)) => {
            let mut ips: Vec<&str> = items.iter().filter_map(|v| v.as_str()).collect();
            ips.sort_unstable();
            ips.dedup();
            ips.join(",")
        }
        _ => f.source_ip.clone().unwrap_or_default(),
    }
}

/// A finding about sign-ins only (the console's, IAM Identity Center's): who
/// typed the name is not known, only whose name it was.
fn sign_in(f: &Finding) -> bool {
    const SIGN_IN: &[&str] = &[
        "ConsoleLogin",
        "CheckMfa",
        "CredentialChallenge",
        "CredentialVerification",
        "UserAuthentication",
        "ExternalIdPDirectoryLogin",
        "PasswordRecoveryRequested",
        "PasswordRecoveryCompleted",
    ];
    !f.event_names.is_empty() && f.event_names.iter().all(|n| SIGN_IN.contains(&n.as_str()))
}

async fn dedup<S: Store + ?Sized, N: Notifier + ?Sized>(
    store: &S,
    notifier: &N,
    mut p: Pending,
    (dedup_secs, by): (i64, &[DedupKey]),
    at: Now,
    lease_secs: i64,
) -> Result<Option<Finding>, HandleError> {
    let now = at.valid;
    let expires = claim_expiry(&p, now);
    let Some(lease) = lease_or_send(store, notifier, &p, at, lease_secs).await? else {
        return Ok(None);
    };
    // Event time, so that a replay of an archive collapses repeats as the live
    // path did. Live (the wall clock validates), never more than
    // `MAX_AHEAD_SECS` past it: a forged record of 2099 would open a period
    // that holds every later finding of its group back until then. Under
    // event time (replay, backtests) nothing is capped: records dated after
    // today (synthetic data) keep their periods (from a review).
    let t_ms = p
        .finding
        .event_time
        .last
        .as_deref()
        .and_then(parse_event_time)
        .unwrap_or(now.saturating_mul(1000));
    let t_ms = if at.live {
        t_ms.min(
            now.saturating_add(crate::event::time::MAX_AHEAD_SECS)
                .saturating_mul(1000),
        )
    } else {
        t_ms
    };
    let t = t_ms.div_euclid(1000);
    let id = p.finding.detection_id;
    let group = dedup_group(&p.finding, by);
    // The period's key holds its length: a period begun under a longer
    // `dedup_secs` does not hold findings back once the file says shorter.
    let period = partition_key(keys::DEDUP_PERIOD, id, &format!("{group}|{dedup_secs}"));
    let held_part = partition_key(keys::HELD_BACK, id, &group);
    let result: Result<Option<Finding>, HandleError> = async {
        let period_at = Now { valid: t, ..at };
        // The period is leased with the finding, and confirmed with it once
        // delivered: a process that dies before publishing leaves both to lapse,
        // so the retry notifies instead of finding the period taken and holding
        // the finding back. Only a confirmed period holds a finding back; one
        // another delivery is leasing (whose own period may not even cover this
        // finding's time) is waited for, then fails the invocation so that the
        // retry decides, as a leased finding claim does.
        if !take_under(store, &period, &[], period_at, &lease).await? {
            let obs = Observation {
                time_ms: t_ms,
                event_id: p.finding.finding_id.clone(),
                value: HELD.into(),
                payload: decided_at_us().to_string().into(),
            };
            store
                .put(
                    &held_part,
                    obs,
                    now.max(t) + dedup_secs + HELD_BACK_MEMORY_SECS,
                )
                .await?;
            // Held back under a claim of its own kind and group, as a
            // suppressed finding is: the finding's claim is given back (below),
            // so that another finding under it in another group (the other
            // account's copy of a cross-account call, whose group may have no
            // period) is still decided on its own (from a review, fifteenth
            // session: it was dropped as delivered).
            let held_claim = format!(
                "{}|{}|{}",
                keys::HELD_BACK,
                finding_id(&[&group]),
                p.claim.key
            );
            let taken = store
                .claim(
                    &held_claim,
                    &[],
                    Take::Confirmed {
                        expires_at: expires,
                    },
                    at,
                )
                .await?;
            if taken != Claimed::Taken {
                // Held back before (a retried or re-delivered record).
                return Ok(None);
            }
            p.finding.disposition = Some(Disposition::HeldBack);
            return Ok(Some(p.finding.clone()));
        }
        let lookback = (dedup_secs + HELD_BACK_MEMORY_SECS).saturating_mul(1000);
        let decided = decided_at_us();
        let items = store
            .range(&held_part, t_ms.saturating_sub(lookback), t_ms, now)
            .await?;
        // Held back since the last notification was decided (not since its
        // event time: see `decided_at_us`). A held finding decided again (its
        // invocation retried, a backtest batch given back) takes a new time, and
        // may be counted by two notifications: one too many, never one too few.
        let since = items
            .iter()
            .filter(|o| o.value == NOTIFIED)
            .map(decided_order)
            .max();
        let held: Vec<i64> = items
            .iter()
            .filter(|o| o.value == HELD && since.is_none_or(|m| decided_order(o) > m))
            .map(|o| o.time_ms)
            .collect();
        if let (Some(first), Some(last)) = (held.iter().min(), held.iter().max()) {
            let ev: Evidence = std::mem::take(&mut p.finding.evidence);
            p.finding.evidence = ev
                .with("held_back_count", held.len())
                .with("held_back_first", format_event_time(*first))
                .with("held_back_last", format_event_time(*last));
        }
        if let Err(unsent) = send(store, notifier, &p, at, lease_secs).await {
            return Err(unsent_error(&p, unsent.error, unsent.reached_another));
        }
        // Best effort: without the marker, the next notification also counts the
        // findings this one already reported; it is never a reason to resend.
        let _ = store
            .put(
                &held_part,
                Observation {
                    time_ms: t_ms,
                    event_id: format!("{NOTIFIED}|{}", p.finding.finding_id),
                    value: NOTIFIED.into(),
                    payload: decided.to_string().into(),
                },
                now.max(t) + dedup_secs + HELD_BACK_MEMORY_SECS,
            )
            .await;
        Ok(Some(p.finding.clone()))
    }
    .await;
    match &result {
        // Give the finding (and the period, if this delivery leased it) back so
        // that the retry decides it again.
        Err(_) => {
            let _ = store.release(&period, Some(&lease)).await;
            let _ = store.release(&p.claim.key, Some(&lease)).await;
        }
        Ok(Some(f)) if f.disposition != Some(Disposition::HeldBack) => {
            confirm(store, &period, &lease, t + dedup_secs).await;
            confirm(store, &p.claim.key, &lease, expires).await;
        }
        // Held back (now or before): its own claim holds it, the finding's is
        // given back.
        Ok(_) => {
            let _ = store.release(&p.claim.key, Some(&lease)).await;
        }
    }
    result
}

#[cfg(test)]
mod tests {
    /// Decisions are ordered strictly, even many in one microsecond.
    #[test]
    fn decision_times_never_tie() {
        let times: Vec<i64> = (0..10_000).map(|_| super::decided_at_us()).collect();
        assert!(times.windows(2).all(|w| w[0] < w[1]));
    }
}
