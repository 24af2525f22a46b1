//! Delivering a finding exactly once: lease its claim, notify, confirm the claim
//! (the lease is released again when notifying fails).

use super::{Engine, FIRST_SEEN_REFRESH_SLACK_SECS, HandleError};
use crate::finding::{Disposition, Finding};
use crate::notify::{Notifier, NotifyError};
use crate::state::keys;
use crate::state::{Claimed, Lease, Now, Store, Take};
use crate::tuning::{self, Tuning};
use crate::window::{Lifetime, Pending, Reported};

/// How long a delivered finding's claim is kept: a retried or re-delivered event
/// within this time does not send it again (EventBridge retries for up to 24 h).
pub const CLAIM_TTL_SECS: i64 = 24 * 3600;

/// How long a delivery lease holds a finding's claim (wall clock) before a retry
/// may take it over: longer than one invocation can live (the functions' 30 s
/// timeout), so that a lease only lapses when its holder is dead.
pub const CLAIM_LEASE_SECS: i64 = 60;

pub(crate) fn claim_expiry(p: &Pending, now: i64) -> i64 {
    match p.claim.lifetime {
        Lifetime::For(secs) => now.saturating_add(secs),
        Lifetime::Until(at) => at,
    }
}

impl Engine {
    /// Decides each of one record's findings (see [`Engine::decide`]); the
    /// outcomes come in the findings' order. Against a store that takes
    /// several requests at once ([`Store::steps_at_once`]) they are decided
    /// that many at a time, when no two touch the same claim or dedup period
    /// and the notifier's output is not its order ([`Notifier::keeps_order`]):
    /// a record naming a thousand instances can make a thousand findings, and
    /// three requests each, one after another, outlast the function's timeout
    /// on every retry (from a review). Otherwise, and always in replay, one
    /// after another.
    pub(super) async fn decide_all<S: Store + ?Sized, N: Notifier + ?Sized>(
        &self,
        pending: Vec<Pending>,
        how: Deciding<'_>,
        store: &S,
        notifier: &N,
    ) -> Vec<Result<Option<Finding>, HandleError>> {
        let at_once = deliveries_at_once(store, notifier, &pending, how.tuning);
        let work: Vec<_> = pending
            .into_iter()
            .map(|p| self.decide(p, how, store, notifier))
            .collect();
        super::at_once::in_order(work, at_once).await
    }

    /// Decides one finding of a record: a first-seen term inside the learning
    /// span is recorded and not reported, a tuned finding goes through the
    /// tuning, any other is delivered exactly once. `Ok(Some)`: delivered now
    /// (or, under a tuning, decided now, with its disposition); `Ok(None)`:
    /// decided before, or learnt. A first-seen term seen again has its history
    /// moved on.
    async fn decide<S: Store + ?Sized, N: Notifier + ?Sized>(
        &self,
        mut p: Pending,
        how: Deciding<'_>,
        store: &S,
        notifier: &N,
    ) -> Result<Option<Finding>, HandleError> {
        let reported = p.reported.take();
        let Deciding {
            tuning,
            today,
            at,
            event_time_ms,
        } = how;
        let lease_secs = self.settings.lease_secs();
        // A first-seen term's history claim, and when it lapses.
        let history = match p.claim.lifetime {
            Lifetime::Until(e) if crate::window::is_first_seen_history(&p.claim.key) => {
                Some((p.claim.key.clone(), e))
            }
            _ => None,
        };
        let (new_term, decided) = if self.learning(&p, event_time_ms) {
            // Record the term in the history, report nothing (counted for the
            // replay's summary).
            self.learned
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let expires_at = claim_expiry(&p, at.valid);
            let taken = store
                .claim(
                    &p.claim.key,
                    &p.claim.guards,
                    Take::Confirmed { expires_at },
                    at,
                )
                .await?;
            (taken == Claimed::Taken, None)
        } else if let Some(t) = tuning {
            let decided =
                tuning::apply::apply(t, today, store, notifier, p, at, lease_secs).await?;
            (decided.is_some(), decided)
        } else if let Some(sent) = deliver(store, notifier, &p, at, lease_secs).await? {
            (true, Some(delivered(p, &sent)))
        } else {
            (false, None)
        };
        if let (false, Some((key, expires_at))) = (new_term, history) {
            // Seen again: the term stays known for its N days from now.
            store
                .extend(&key, expires_at, FIRST_SEEN_REFRESH_SLACK_SECS, at)
                .await?;
        }
        if let (Some(r), Some(f)) = (reported, &decided)
            && f.disposition.is_none_or(|d| d == Disposition::Notified)
        {
            remember(store, *r).await;
        }
        Ok(decided)
    }
}

/// Writes a notified distinct-count finding's values to its group's memory
/// (`window::Reported`). A failure is logged, not returned: the finding was
/// delivered and a retry would not write it again (its claim is held); the
/// next span with the same values is then reported again, noise rather than
/// silence.
async fn remember<S: Store + ?Sized>(store: &S, r: Reported) {
    if let Err(_e) = store.put(&r.partition, r.obs, r.expires_at).await {
        #[cfg(feature = "lambda")]
        tracing::error!(
            memory = crate::sanitize::one_line(&r.partition, 200),
            error = crate::sanitize::one_line(_e.message(), 400),
            refused = _e.is_refused(),
            "a notified finding's values could not be remembered: the same values \
             may be reported again in a later window"
        );
    }
}

/// What decides a record's findings, besides the findings and the store.
#[derive(Clone, Copy)]
pub(super) struct Deciding<'t> {
    /// The tuning the record was prepared under.
    pub tuning: Option<&'t Tuning>,
    /// The day a tuning entry's expiry is judged by.
    pub today: i64,
    pub at: Now,
    /// The record's `eventTime`, for the first-seen learning span.
    pub event_time_ms: Option<i64>,
}

/// Whether no two of a record's findings share a claim, as key or guard, or,
/// under a tuning that collapses a detection's repeats (`dedup_secs`), a
/// detection: only then is each decided as it would be alone, whatever the
/// order their requests reach the store in.
fn claims_apart(pending: &[Pending], tuning: Option<&Tuning>) -> bool {
    let mut seen = std::collections::HashSet::new();
    pending.iter().all(|p| {
        let id = p.finding.detection_id;
        let collapsed = tuning
            .and_then(|t| t.detection(id))
            .is_some_and(|d| d.dedup_secs > 0);
        let claims = std::iter::once(&p.claim.key).chain(&p.claim.guards);
        claims.cloned().all(|k| seen.insert(k))
            && (!collapsed || seen.insert(format!("dedup periods of {id}")))
    })
}

/// How many of `pending`'s decisions may run at once: the store's
/// [`Store::steps_at_once`] when no two touch the same claim or dedup period
/// and the notifier's output is not its order ([`Notifier::keeps_order`]); else
/// one, one after another.
fn deliveries_at_once<S: Store + ?Sized, N: Notifier + ?Sized>(
    store: &S,
    notifier: &N,
    pending: &[Pending],
    tuning: Option<&Tuning>,
) -> usize {
    let at_once = store.steps_at_once().max(1);
    let together = at_once > 1
        && pending.len() > 1
        && !notifier.keeps_order()
        && claims_apart(pending, tuning);
    if together { at_once } else { 1 }
}

/// Delivers findings that did not come from one record (the heartbeat's scheduled
/// check, live): each exactly once, like [`Engine::handle`](super::Engine::handle).
pub async fn deliver_all<S: Store + ?Sized, N: Notifier + ?Sized>(
    store: &S,
    notifier: &N,
    pending: Vec<Pending>,
    now: i64,
    lease_secs: i64,
) -> Result<Vec<Finding>, HandleError> {
    let mut done = Vec::new();
    let mut failures = Vec::new();
    // Each is tried, as an event's findings are (one silent account's finding
    // refused on every attempt must not keep the next account's from going out);
    // several at a time when the store takes that and their claims are apart,
    // as a record's are: an outage that silences every account and Region at
    // once must not queue their findings one after another into the check's
    // timeout (from a review).
    let at_once = deliveries_at_once(store, notifier, &pending, None);
    let work: Vec<_> = pending
        .iter()
        .map(|p| deliver(store, notifier, p, Now::live(now), lease_secs))
        .collect();
    let outcomes = super::at_once::in_order(work, at_once).await;
    for (p, outcome) in pending.into_iter().zip(outcomes) {
        match outcome {
            Ok(Some(sent)) => done.push(delivered(p, &sent)),
            Ok(None) => {}
            Err(e) => failures.push(e),
        }
    }
    HandleError::gather(done, failures)
}

/// How often, and after how long, a claim found under another delivery's live
/// lease is tried again before the invocation gives up (that delivery is usually
/// a concurrent invocation about to confirm): 50 ms doubling, about 1.5 s in all.
const LEASE_POLLS: u32 = 5;

/// Takes `claim` as a delivery lease of `lease_secs`. `Ok(None)`: the finding was
/// delivered already. A live lease of another delivery is waited for briefly,
/// then fails the invocation ([`HandleError::Leased`]) so that its retry decides.
pub(crate) async fn lease<S: Store + ?Sized>(
    store: &S,
    key: &str,
    guards: &[String],
    at: Now,
    lease_secs: i64,
) -> Result<Option<Lease>, HandleError> {
    let lease = Lease::new(at.wall.saturating_add(lease_secs));
    Ok(take_under(store, key, guards, at, &lease)
        .await?
        .then_some(lease))
}

/// [`lease`] for `p`'s claim, as a delivery takes it. A store that refuses for
/// good ([`crate::state::StoreError::is_refused`]: a table policy denying the
/// function, the table deleted, its key disabled) would otherwise keep every
/// finding from going out, the one about that change among them, and an
/// intruder can cause it (from a review of delivery under faults): the finding
/// is sent without a claim, and the invocation still fails, so that the event
/// reaches the failed-events queue and its alarm. Each retry sends it again.
pub(crate) async fn lease_or_send<S: Store + ?Sized, N: Notifier + ?Sized>(
    store: &S,
    notifier: &N,
    p: &Pending,
    at: Now,
    lease_secs: i64,
) -> Result<Option<Lease>, HandleError> {
    match lease(store, &p.claim.key, &p.claim.guards, at, lease_secs).await {
        Err(HandleError::Store(e)) if e.is_refused() => {
            let (reached, failed) = send_unclaimed(notifier, &p.finding).await;
            if reached {
                let mut cause = format!(
                    "sent without a claim, since the {e}; each retry of this event sends it again"
                );
                for f in &failed {
                    cause.push_str(&format!("; {f}"));
                }
                // Published: counted so, as a finding one destination took is
                // (the tampering and silence alarms count them).
                Err(HandleError::Unfinished {
                    published: Box::new(p.finding.clone()),
                    cause: NotifyError(cause),
                })
            } else {
                Err(HandleError::Store(crate::state::StoreError::refused(
                    format!(
                        "{}; and sending the finding without a claim failed too: {}",
                        e.message(),
                        failed.join("; ")
                    ),
                )))
            }
        }
        other => other,
    }
}

/// Sends a finding to every destination without a claim (see [`lease_or_send`]):
/// whether any took it, and why each other did not.
async fn send_unclaimed<N: Notifier + ?Sized>(
    notifier: &N,
    finding: &Finding,
) -> (bool, Vec<String>) {
    let destinations = notifier.destinations();
    if destinations.len() <= 1 {
        return match notifier.notify(finding).await {
            Ok(()) => (true, Vec::new()),
            Err(e) => (false, vec![e.0]),
        };
    }
    let (mut reached, mut failed) = (false, Vec::new());
    for to in destinations {
        match notifier.notify_to(to, finding).await {
            Ok(()) => reached = true,
            Err(e) => failed.push(format!("{to}: {}", e.0)),
        }
    }
    (reached, failed)
}

/// Takes `key` under `lease` (see [`lease`]): `true` when taken, `false` when a
/// confirmed claim holds it. Another delivery's live lease is waited for
/// briefly, then fails the invocation ([`HandleError::Leased`]).
pub(crate) async fn take_under<S: Store + ?Sized>(
    store: &S,
    key: &str,
    guards: &[String],
    at: Now,
    lease: &Lease,
) -> Result<bool, HandleError> {
    let mut attempt = 0;
    loop {
        match store.claim(key, guards, Take::Lease(lease), at).await? {
            Claimed::Taken => return Ok(true),
            Claimed::Held => return Ok(false),
            Claimed::Leased { until } if attempt >= LEASE_POLLS => {
                return Err(HandleError::Leased {
                    key: key.to_owned(),
                    until,
                });
            }
            Claimed::Leased { .. } => {
                tokio::time::sleep(std::time::Duration::from_millis(50 << attempt)).await;
                attempt += 1;
            }
        }
    }
}

/// Attempts at confirming a delivered finding's lease (the SDK's own retries
/// inside each): a lease left unconfirmed lapses, and a later event of the same
/// burst, pair or term then delivers the finding again (from a review). Few, so
/// that a throttled table does not push an invocation into its timeout (each
/// attempt holds the SDK's own retries).
pub(super) const CONFIRM_ATTEMPTS: u32 = 3;

/// Confirms a delivered finding's lease. A lease already lost (it lapsed and a
/// retry took it over) is not an error: the finding was delivered. A refused
/// write is tried again twice within the lease (0.1 and 0.2 s later);
/// if every attempt fails the invocation still succeeds (the finding was
/// delivered, and failing would send it again at once) and the error is
/// logged: the lease lapses, and a later event may deliver the finding again
/// (docs/state.md).
pub(crate) async fn confirm<S: Store + ?Sized>(
    store: &S,
    key: &str,
    lease: &Lease,
    expires_at: i64,
) {
    for attempt in 0..CONFIRM_ATTEMPTS {
        match store.confirm(key, lease, expires_at).await {
            Ok(_) => return,
            Err(_e) if attempt + 1 < CONFIRM_ATTEMPTS => {
                tokio::time::sleep(std::time::Duration::from_millis(100 << attempt)).await;
            }
            Err(_e) => {
                #[cfg(feature = "lambda")]
                tracing::error!(
                    claim = crate::sanitize::one_line(key, 200),
                    error = crate::sanitize::one_line(_e.message(), 400),
                    refused = _e.is_refused(),
                    "a delivered finding's claim could not be confirmed: its lease \
                     lapses, and a later event may deliver it again"
                );
            }
        }
    }
}

/// Leases the claim, notifies, then confirms it; releases the lease on failure.
/// `Ok(None)` when the finding had already been delivered (its claim is held).
pub(crate) async fn deliver<S: Store + ?Sized, N: Notifier + ?Sized>(
    store: &S,
    notifier: &N,
    p: &Pending,
    at: Now,
    lease_secs: i64,
) -> Result<Option<Sent>, HandleError> {
    let Some(lease) = lease_or_send(store, notifier, p, at, lease_secs).await? else {
        return Ok(None);
    };
    let sent = send(store, notifier, p, at, lease_secs).await;
    if let Err(Unsent {
        error,
        reached_another,
    }) = sent
    {
        // Best effort: if the release fails too, the lease lapses and a retry
        // after it sends the finding; say so.
        let error = match store.release(&p.claim.key, Some(&lease)).await {
            Ok(_) => error,
            Err(re) => NotifyError(format!(
                "{}; and releasing its claim failed ({re}): a retry after the lease \
                 ({lease_secs} s) sends it",
                error.0
            )),
        };
        return Err(unsent_error(p, error, reached_another));
    }
    confirm(store, &p.claim.key, &lease, claim_expiry(p, at.valid)).await;
    Ok(sent.ok())
}

/// `p`'s finding as delivered: marked when a retry only finished a delivery an
/// earlier attempt began (`Unfinished`), for its log line to say so.
pub(crate) fn delivered(p: Pending, sent: &Sent) -> Finding {
    let mut f = p.finding;
    f.finished_late = !sent.first;
    f
}

/// A finding sent to every destination: `first` when none had it before this
/// attempt (it is published now, not finished after an earlier partial one).
pub(crate) struct Sent {
    pub first: bool,
}

/// A finding that did not reach every destination: why, and whether this
/// attempt first published it, taking it to another one while none had it
/// before.
pub(crate) struct Unsent {
    pub error: NotifyError,
    pub reached_another: bool,
}

/// The error of a finding [`Unsent`]: one that another destination took this
/// time is published all the same, and said to be (from a review: with the chat
/// topic deleted, no finding was counted, so the tampering and silence alarms of
/// the health topic stayed quiet while the findings topic had them).
pub(crate) fn unsent_error(p: &Pending, error: NotifyError, reached_another: bool) -> HandleError {
    if reached_another {
        HandleError::Unfinished {
            published: Box::new(p.finding.clone()),
            cause: error,
        }
    } else {
        HandleError::Notify(error)
    }
}

/// Sends `p` (whose claim the caller holds) to the notifier: to each of its
/// destinations under a claim of its own when it has several.
pub(crate) async fn send<S: Store + ?Sized, N: Notifier + ?Sized>(
    store: &S,
    notifier: &N,
    p: &Pending,
    at: Now,
    lease_secs: i64,
) -> Result<Sent, Unsent> {
    let destinations = notifier.destinations();
    if destinations.len() > 1 {
        to_each(store, notifier, &destinations, p, at, lease_secs).await
    } else {
        match notifier.notify(&p.finding).await {
            Ok(()) => Ok(Sent { first: true }),
            Err(error) => Err(Unsent {
                error,
                reached_another: false,
            }),
        }
    }
}

/// Delivers `p` to each of several destinations under a claim of its own
/// (`t|<destination>|<claim>`, the same lease protocol and guards, held as long
/// as the finding's claim): one that refuses fails the invocation, and its retry,
/// holding the finding's claim again, sends the finding to that one alone, not
/// again to those that took it (from a review: a permanently refused Security
/// Hub import sent the finding to the topics on every retry).
async fn to_each<S: Store + ?Sized, N: Notifier + ?Sized>(
    store: &S,
    notifier: &N,
    destinations: &[&str],
    p: &Pending,
    at: Now,
    lease_secs: i64,
) -> Result<Sent, Unsent> {
    let mut failures = Vec::new();
    let mut reached = false;
    // A destination an earlier attempt took it to: this one finishes it.
    let mut held_before = false;
    for to in destinations {
        // A kind of its own: no claim key of another kind can be read as one
        // of these, whatever its last part holds (from a review).
        let key = format!("{}|{to}|{}", keys::DESTINATION_CLAIM, p.claim.key);
        // The finding's guards, each as this destination's: a burst whose
        // claim moved to an adjacent bucket after a partial failure (its own
        // claim given back) is not sent again where it was taken (from a review).
        let guards: Vec<String> = p
            .claim
            .guards
            .iter()
            .map(|g| format!("{}|{to}|{g}", keys::DESTINATION_CLAIM))
            .collect();
        let taken = match lease(store, &key, &guards, at, lease_secs).await {
            Ok(taken) => taken,
            // A destination's claim refused for good (a deny on these keys
            // alone) is no reason to keep the finding from it: sent without
            // one, as `lease_or_send` does (from a review of this fallback).
            Err(HandleError::Store(e)) if e.is_refused() => {
                match notifier.notify_to(to, &p.finding).await {
                    Ok(()) => {
                        reached = true;
                        failures.push(format!(
                            "{to}: sent without a claim, since the {e}; each retry sends it again"
                        ));
                    }
                    Err(ne) => {
                        failures.push(format!("{to}: {e}; and sending without a claim: {}", ne.0))
                    }
                }
                continue;
            }
            Err(e) => {
                failures.push(format!("{to}: {e}"));
                continue;
            }
        };
        let Some(sub) = taken else {
            held_before = true;
            continue; // delivered there by an earlier attempt
        };
        match notifier.notify_to(to, &p.finding).await {
            Ok(()) => {
                reached = true;
                confirm(store, &key, &sub, claim_expiry(p, at.valid)).await;
            }
            Err(e) => {
                // If the release fails too, the lease lapses: the retry after it
                // sends the finding there.
                let _ = store.release(&key, Some(&sub)).await;
                failures.push(e.0);
            }
        }
    }
    if failures.is_empty() {
        Ok(Sent {
            first: !held_before,
        })
    } else {
        Err(Unsent {
            error: NotifyError(failures.join("; ")),
            reached_another: reached && !held_before,
        })
    }
}
