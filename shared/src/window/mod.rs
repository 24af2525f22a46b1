//! Windowed counts, ordered pairs (`pair.rs`) and first-seen terms, on top of
//! the state port. What a window keeps of each record is `context.rs`; a
//! group's memory of what its findings reported, `reported.rs`.
//!
//! Semantics (spec, "Decisions for trailwatch"):
//! - Windows slide over `eventTime`, never arrival time. A distinct-count window
//!   fires when some span of `window_secs` (both ends included) holds at least
//!   `min_distinct` distinct values of one group, and the new record is in that span.
//! - Idempotent on `eventID`: a record seen twice is stored once, and the finding it
//!   leads to is claimed once.
//! - Order-independent: the records are stored before the decision, and the decision
//!   looks at every span that contains the new record, so whichever record completes
//!   a burst, in whatever order they come, the burst is found.
//! - One finding per group per window: a finding is claimed under the 5-minute (or
//!   whatever the window is) bucket of the span's start, guarded by the two
//!   neighbouring buckets. All spans of one burst start within one window length of
//!   each other, so they fall in one bucket or two adjacent ones: one finding.
//!   A longer attack yields another finding at least two windows later, unless
//!   every value of its span was already reported (below).
//! - No repeat of what was reported, for the windows that choose it
//!   (`Repeats::OnlyNew`): a notified finding's (value, address, actor)
//!   triples are remembered for the group for a day. When every full span
//!   containing a record holds only remembered triples from addresses, nothing
//!   is reported (one engineer's VPN egress addresses paged every window);
//!   otherwise the first span with a new triple is, and names what is new
//!   (`new_values`, `new_sources`). The memory is written once the finding is
//!   notified, so a delivery that fails leaves nothing to suppress its retry.
//!   Once the memory holds a finding of the day, a span with a caller (address
//!   and actor) it does not know is claimed apart ([`NEWS_CLAIM`]), so that an
//!   intruder minutes after a routine activity's finding is not merged into it.
//! - Pairs: a `First` and a `Second` with the same key fire when the second's time is
//!   within `[first, first + max_gap]`; the claim is the first record's, so one
//!   creation followed by many logins is one finding.

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::Value;

use crate::detection::{Evidence, Meta, Repeats, WindowSpec};
use crate::engine::CLAIM_TTL_SECS;
use crate::event::time::format_event_time;
use crate::event::{Actor, Record};
use crate::finding::{Finding, TimeSpan, finding_id, record_identity};
use crate::state::keys;
use crate::state::{DistinctCount, Observation, Payload, Store, StoreError};

mod bound;
mod context;
mod pair;
mod reported;

pub use pair::observe_pair;
pub use reported::Reported;
#[cfg(feature = "lambda")]
pub(crate) use reported::{FORGOTTEN, is_reported_memory};
use reported::{REMEMBERED_SECS, REPORTED_VALUE, Seen, Triple, reported_before, triple_of};

use context::{Context, Text};

/// At most this many observations are kept per group (the oldest go first): a
/// bound on memory and on the work one event can cause.
pub const MAX_OBSERVATIONS_PER_GROUP: usize = 2_000;

/// The longest window, pair gap or lateness a deployment may set (the tuning
/// file's `window_secs`, `TRAILWATCH_WINDOW_*_SECS`, `TRAILWATCH_LATENESS_SECS`):
/// state lives this long.
pub const MAX_WINDOW_SECS: i64 = 7 * 24 * 3600;

/// A finding lists at most this many of its distinct values (it gives the count).
const MAX_LISTED_VALUES: usize = 100;
/// ... and at most this many distinct values of each per-record evidence key.
const MAX_LISTED_EVIDENCE: usize = 10;

/// Group keys longer than this are replaced by a digest (DynamoDB keys are limited
/// to 2 KB, and group keys contain caller-controlled text).
const MAX_KEY_BYTES: usize = 512;

/// A finding that may be delivered once its claim is taken.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub finding: Finding,
    pub claim: Claim,
    /// Ids of the tuning's suppression entries that matched every record behind
    /// the finding (see `tuning`); empty without a tuning.
    pub matched: Vec<String>,
    /// The tuning does not apply to it (`Detection::beyond_tuning`).
    pub beyond_tuning: bool,
    /// What to remember once it is notified: a distinct-count finding's values
    /// (see [`Reported`]).
    pub reported: Option<Box<Reported>>,
}

/// The claim a finding must take before it is delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub key: String,
    /// Claims whose presence means this finding was already reported.
    pub guards: Vec<String>,
    pub lifetime: Lifetime,
}

/// How long a confirmed claim holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifetime {
    /// This many seconds from now: the engine's default
    /// (`engine::CLAIM_TTL_SECS`, a day of retries), or longer for a window or
    /// pair whose records can rebuild the finding for longer (a tuning's
    /// week-long window re-reported one burst every day; from a review).
    For(i64),
    /// Until this time (epoch seconds): a first-seen term's history, a
    /// silence's report.
    Until(i64),
}

/// Settings that bound and shape windows.
#[derive(Debug, Clone, Copy)]
pub struct WindowSettings {
    /// How late (in event time) a record may arrive and still meet its window
    /// partners: items live for window + lateness.
    pub lateness_secs: i64,
}

impl Default for WindowSettings {
    fn default() -> Self {
        WindowSettings {
            lateness_secs: 3600,
        }
    }
}

/// The claim `key` is a first-seen term's history (a [`first_seen`] claim).
pub(crate) fn is_first_seen_history(key: &str) -> bool {
    keys::is(keys::FIRST_SEEN, key)
}

pub(crate) fn partition_key(kind: &str, detection: &str, group: &str) -> String {
    // Built on every observation: plain pushes, not the formatting machinery.
    let key = crate::detections::common::joined(&[kind, detection, group], '|');
    if key.len() <= MAX_KEY_BYTES {
        key
    } else {
        format!("{kind}|{detection}|#{}", finding_id(&[group]))
    }
}

/// A window's partition key (`partition_key(keys::WINDOW, detection, group)`) with its
/// group, which claim keys are built from. The group is read from the key itself
/// and kept apart only when the key is a digest: one string per observation
/// instead of two (replay hands every observation to the thread that keeps the
/// store, which then frees what another thread allocated).
#[derive(Debug)]
pub struct GroupKey {
    partition: String,
    group: Group,
}

/// Where a [`GroupKey`]'s group is.
#[derive(Debug)]
enum Group {
    /// It ends the partition key, from this byte.
    Tail(usize),
    /// The partition key is a digest of it.
    Digested(String),
}

impl GroupKey {
    pub fn new(detection: &str, group: String) -> GroupKey {
        let partition = partition_key(keys::WINDOW, detection, &group);
        let group_at = keys::WINDOW.len() + 1 + detection.len() + 1;
        let group = if partition.get(group_at..) == Some(group.as_str()) {
            Group::Tail(group_at)
        } else {
            Group::Digested(group)
        };
        GroupKey { partition, group }
    }

    pub fn partition(&self) -> &str {
        &self.partition
    }

    pub fn group(&self) -> &str {
        match &self.group {
            Group::Tail(at) => self.partition.get(*at..).unwrap_or_default(),
            Group::Digested(g) => g,
        }
    }
}

/// When an item about a record dated `time_ms` lapses: `live_secs` after the
/// record, or after `now` if later. A record dated more than
/// `MAX_AHEAD_SECS` past `now` counts as dated then: under the wall clock
/// (live) it was forged, and taken at its word a record of 2099 would keep a
/// first-seen term known, or a window's item, until then. Under event time
/// (replay, backtests) `now` is the record's own time, so nothing changes.
fn expiry(now: i64, time_ms: i64, live_secs: i64) -> i64 {
    let t = time_ms
        .div_euclid(1000)
        .min(now.saturating_add(crate::event::time::MAX_AHEAD_SECS));
    now.max(t) + live_secs
}

/// A first-seen ("new terms") finding for `term`, pending its claim: the claim is
/// the term's history item, kept for `days` after the record (or after `now` if
/// later), so the finding is delivered only when no invocation or earlier record
/// holds the term. Reading nothing first keeps it at one conditional write per
/// event; a failed delivery gives the claim back, so a retry fires again.
///
/// A sighting that finds the term held moves its history `days` past itself
/// (`engine::Engine::handle`, `Store::extend`): at most one more write a day per
/// term, so a term seen every day never fires again, and one unseen for `days`
/// does (docs/state.md, "First-seen history").
pub fn first_seen(
    meta: &'static Meta,
    days: i64,
    rec: &Record<'_>,
    term: &str,
    evidence: Evidence,
    now: i64,
) -> Pending {
    let time_ms = rec.event_time_ms().unwrap_or(now.saturating_mul(1000));
    let finding = Finding::from_record(meta, rec, evidence.with("history_days", days));
    Pending {
        finding,
        claim: Claim {
            key: partition_key(keys::FIRST_SEEN, meta.id, term),
            guards: Vec::new(),
            lifetime: Lifetime::Until(expiry(now, time_ms, days.saturating_mul(86_400))),
        },
        matched: Vec::new(),
        beyond_tuning: false,
        reported: None,
    }
}

/// What a windowed detection stores about `rec` (which has an event time,
/// `time_ms`): built from the record alone, so replay builds it on its reader
/// threads (see `engine::prepared`).
///
/// `last`: the payload of the record's previous observation, if any. Several
/// windows often store the same thing about one record (the discovery windows
/// all keep the caller's address, agent and error): when this one's evidence
/// and tuning entries are the same, the observation shares that payload, so a
/// replay holds one copy where it held three (observations are most of its
/// memory). The first observation fills `last`.
pub fn observation(
    rec: &Record<'_>,
    time_ms: i64,
    value: String,
    evidence: Evidence,
    matched: &[String],
    last: &mut Option<Payload>,
) -> Observation {
    let same = last
        .as_ref()
        .and_then(|p| p.built_as::<Context>())
        .is_some_and(|c| c.has_evidence(&evidence.0) && c.tuning == matched);
    let payload = match last {
        Some(p) if same => p.clone(),
        _ => last
            .insert(Payload::built(Context::of(rec, evidence, matched)))
            .clone(),
    };
    // Caller-controlled text too (a failed call's parameters, a replayed file's
    // ids), read back with every span of its group: kept small.
    let bounded = crate::detections::common::bounded_value;
    Observation {
        time_ms,
        event_id: bounded(record_identity(rec)),
        value: bounded(value),
        payload,
    }
}

/// Counts `obs` (from [`observation`]) in the sliding window of `key`'s group;
/// returns the finding when the record completes (or belongs to) a span with
/// enough distinct values. `claim_is_final`: a held claim means the finding cannot
/// be delivered (true unless a tuning may report it under a claim of its own, see
/// `tuning::apply`).
#[allow(clippy::too_many_arguments)]
pub async fn observe_distinct<S: Store + ?Sized>(
    store: &S,
    meta: &'static Meta,
    spec: (i64, usize),
    claim_is_final: bool,
    settings: WindowSettings,
    key: &GroupKey,
    obs: Observation,
    now: i64,
) -> Result<Option<Pending>, StoreError> {
    let (partition, group) = (key.partition(), key.group());
    let (window_secs, min_distinct) = spec;
    let t = obs.time_ms;
    let w = window_secs * 1000;
    let only_new = matches!(
        meta.window,
        Some(WindowSpec::Distinct {
            repeats: Repeats::OnlyNew,
            ..
        })
    );
    // Every span containing the record lies in [t - w, t + w]: fewer distinct values
    // there than the threshold means no finding, without reading the window back.
    let around = DistinctCount {
        from_ms: t - w,
        to_ms: t + w,
        now,
        enough: min_distinct,
    };
    let expires_at = expiry(now, t, window_secs + settings.lateness_secs);
    // The record itself, for the claims' shortcut below (its payload is
    // shared, not copied; read only when the shortcut needs its caller).
    let own = (only_new && claim_is_final).then(|| obs.clone());
    if store
        .put_then_count_distinct(partition, obs, expires_at, around)
        .await?
        < min_distinct
    {
        return Ok(None);
    }
    let memory = partition_key(keys::REPORTED, meta.id, group);
    // What the group's notified findings reported within the day, when the
    // claims below made it known already.
    let mut known = None;
    // A span containing the record starts in `[t - w, t]`, so its bucket is the
    // record's or the one before; either claim held blocks both (key or guard).
    // A flood against a reported burst stops here, without reading the group
    // back or rebuilding the finding from its items.
    if claim_is_final {
        let b = t.div_euclid(w);
        let held = |kind: &str| {
            let key = |b: i64| bucket_key(kind, meta.id, group, b);
            // A claim of news is bucketed by the record's own time (below):
            // its key or either guard held refuses it.
            let keys = if kind == NEWS_CLAIM {
                vec![key(b - 1), key(b), key(b + 1)]
            } else {
                vec![key(b - 1), key(b)]
            };
            async move { store.claims_held(&keys, now).await }
        };
        if held(WINDOW_CLAIM).await? {
            // For a window whose repeats are only-new, a new caller (address
            // and actor) under a reported burst's claim is reported once more,
            // under a claim of news: the first finding of a routine activity
            // is the day's, and an intruder after it must not be merged into
            // it (from a review). A record of a caller the memory knows is the
            // burst's own growth, merged as before: it stops here, having read
            // only the memory; so does any record once this window's news was
            // reported. One that completes a span whose new caller came
            // before it is left to that caller's next record (docs/state.md).
            if !only_new || held(NEWS_CLAIM).await? {
                return Ok(None);
            }
            let Some((triple, placed)) = own.as_ref().map(triple_of).transpose()? else {
                return Ok(None);
            };
            let reported = reported_before(store, &memory, t, w, now).await?;
            if reported.pairs.is_empty() || (placed && reported.knows_caller(&triple)) {
                // Nothing remembered yet (the burst's finding is being
                // delivered, or was too large to keep): a finding now would
                // take the held claim.
                return Ok(None);
            }
            known = Some(reported);
        }
    }
    let mut around = store.range(partition, t - w, t + w, now).await?;
    // A read returns at most MAX_OBSERVATIONS_PER_GROUP, the newest. When it is
    // full and holds records after this one (stored by a backtest batch that ran
    // earlier but holds later records, or arrived late), those may have crowded
    // out the records nearest this one, on either side, that the spans holding
    // it are made of: each half is read again from this record outwards (two
    // more requests, for such floods only).
    if around.len() >= MAX_OBSERVATIONS_PER_GROUP && around.last().is_some_and(|o| o.time_ms > t) {
        let mut near = store.range(partition, t - w, t, now).await?;
        near.extend(
            store
                .range_oldest_first(partition, t + 1, t + w, now)
                .await?,
        );
        around = near;
    }
    let mut reported = None;
    let mut news = None;
    let mut claim_kind = WINDOW_CLAIM;
    let (start, end) = if only_new {
        // Every full span containing the record is looked at, not only the
        // earliest: a record delivered early may hold a new value in a later
        // span while the earliest repeats what was reported (from a review).
        let spans = full_spans(&around, t, w, min_distinct, false);
        let Some(&(first, _)) = spans.first() else {
            return Ok(None);
        };
        let last = spans.iter().map(|s| s.1).max().unwrap_or(first);
        let known = match known {
            Some(known) => known,
            None => reported_before(store, &memory, t, w, now).await?,
        };
        // Which observations are news: a (value, address, actor) triple no
        // finding of the group reported within the day, or a source that is no
        // address (a service acting for the caller hides where the caller
        // is, so nothing it did is taken as known).
        let triples = around[first..last]
            .iter()
            .map(triple_of)
            .collect::<Result<Vec<_>, _>>()?;
        let is_new = |(triple, placed): &(Triple, bool)| !placed || !known.pairs.contains(triple);
        let new_caller = |(triple, placed): &(Triple, bool)| !placed || !known.knows_caller(triple);
        let first_with = |news: &dyn Fn(&(Triple, bool)) -> bool| {
            spans
                .iter()
                .find(|(s, e)| triples[s - first..e - first].iter().any(news))
                .copied()
        };
        let Some(mut span) = first_with(&is_new) else {
            // Every span repeats what was reported: not news. No claim is
            // taken, so what comes later is judged afresh.
            return Ok(None);
        };
        // Once the group has a notified finding within the day, a span with a
        // caller it did not name, whose group claim is held (by a finding it
        // would be merged into), is claimed apart (`NEWS_CLAIM`): at most one
        // such finding per window, beside the group's. Where the group's claim
        // is free it is taken as before, so every finding reported without
        // claims of news still is (a review: a claim of news taken first
        // guarded the next window against an intruder). New values from known
        // callers take the group's claim, and are merged into a finding that
        // holds it (a burst growing past its threshold is one finding).
        if !known.pairs.is_empty()
            && let Some(news_span) = first_with(&new_caller)
        {
            // The claim this span would take, and its guards.
            let Claim {
                key, mut guards, ..
            } = bucket_claim(
                WINDOW_CLAIM,
                meta,
                group,
                window_secs,
                settings,
                around[span.0].time_ms,
            );
            guards.push(key);
            if store.any_claim_held(&guards, now).await? {
                span = news_span;
                claim_kind = NEWS_CLAIM;
            }
        }
        let seen = Seen::of(&triples[span.0 - first..span.1 - first]);
        if !known.pairs.is_empty() {
            news = Some(seen.news(&known));
        }
        reported = seen.kept().map(|payload| (memory, payload));
        span
    } else {
        match full_spans(&around, t, w, min_distinct, true).first() {
            Some(&span) => span,
            None => return Ok(None),
        }
    };
    let span = &around[start..end];
    let start_ms = span[0].time_ms;
    // A claim of news goes by the record's own time, not its span's start:
    // the earliest span with a new caller can lie in a bucket a neighbouring
    // claim of news guards, and every later record of that caller would then
    // be refused, each reading the window (from a review). Records of one
    // burst within a window still fall in one bucket or two adjacent ones.
    let claim_at = if claim_kind == NEWS_CLAIM {
        t
    } else {
        start_ms
    };
    let claim = bucket_claim(claim_kind, meta, group, window_secs, settings, claim_at);
    let (mut finding, matched) =
        span_finding(meta, span, &claim.key, Some(meta_value_label(meta)))?;
    if let Some((values, sources)) = news {
        // What makes it news: values in triples, and addresses, no finding
        // of the group reported within the day.
        finding.evidence = std::mem::take(&mut finding.evidence)
            .with_opt("new_values", values)
            .with_opt("new_sources", sources);
    }
    let reported = reported.map(|(memory, payload)| {
        Box::new(Reported {
            partition: memory,
            // Dated at the span's start, not at the record that made it, and
            // read up to a window after each record (`reported_before`): a
            // record of the span delivered later must find it (from two
            // reviews).
            obs: Observation {
                time_ms: start_ms,
                event_id: claim.key.clone(),
                value: REPORTED_VALUE.to_owned(),
                payload: payload.into(),
            },
            expires_at: expiry(now, t, REMEMBERED_SECS),
        })
    });
    Ok(Some(Pending {
        finding,
        claim,
        matched,
        beyond_tuning: false,
        reported,
    }))
}

/// The distinct values of a span, in the order they came.
fn span_values(span: &[Observation]) -> Vec<&str> {
    let mut values: Vec<&str> = Vec::new();
    for o in span {
        if !values.contains(&o.value.as_str()) {
            values.push(&o.value);
        }
    }
    values
}

pub use crate::state::keys::{BATCH_CLAIM, NEWS_CLAIM, WINDOW_CLAIM};

/// The key of the claim of `kind` of `group` in window bucket `bucket`.
fn bucket_key(kind: &str, detection: &str, group: &str, bucket: i64) -> String {
    partition_key(kind, detection, &format!("{group}|{bucket}"))
}

/// The claim of `kind` of `group` at `start_ms`: its bucket of `window_secs`,
/// guarded by the buckets either side.
pub fn bucket_claim(
    kind: &str,
    meta: &Meta,
    group: &str,
    window_secs: i64,
    settings: WindowSettings,
    start_ms: i64,
) -> Claim {
    let claim_key = |b: i64| bucket_key(kind, meta.id, group, b);
    let bucket = start_ms.div_euclid(window_secs.max(1) * 1000);
    Claim {
        key: claim_key(bucket),
        guards: vec![claim_key(bucket - 1), claim_key(bucket + 1)],
        lifetime: Lifetime::For(
            CLAIM_TTL_SECS.max(
                window_secs
                    .saturating_mul(3)
                    .saturating_add(settings.lateness_secs),
            ),
        ),
    }
}

/// The evidence key under which a distinct-count finding lists its values.
fn meta_value_label(meta: &Meta) -> &'static str {
    match meta.window {
        Some(WindowSpec::Distinct { .. }) => "distinct_values",
        _ => "values",
    }
}

/// The spans `[s, s + w]` that contain `t` and hold `min_distinct` distinct
/// values, earliest first (only the earliest with `first_only`); each a range
/// of indexes into `obs` (sorted by time).
fn full_spans(
    obs: &[Observation],
    t: i64,
    w: i64,
    min_distinct: usize,
    first_only: bool,
) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    let mut end = 0;
    for start in 0..obs.len() {
        let s = obs[start].time_ms;
        if s > t {
            break;
        }
        while end < obs.len() && obs[end].time_ms <= s + w {
            *counts.entry(obs[end].value.as_str()).or_default() += 1;
            end += 1;
        }
        if s >= t - w && obs[end - 1].time_ms >= t && counts.len() >= min_distinct {
            found.push((start, end));
            if first_only {
                break;
            }
        }
        if let Some(c) = counts.get_mut(obs[start].value.as_str()) {
            *c -= 1;
            if *c == 0 {
                counts.remove(obs[start].value.as_str());
            }
        }
    }
    found
}

/// Builds the finding for the observations of one span (ordered by time). The
/// actor and source come from the first record; values and per-record evidence
/// are gathered from all. Also returns the tuning entries every record matched.
fn span_finding(
    meta: &'static Meta,
    span: &[Observation],
    claim_key: &str,
    value_label: Option<&'static str>,
) -> Result<(Finding, Vec<String>), StoreError> {
    let contexts: Vec<Cow<'_, Context>> = span
        .iter()
        .map(|o| Context::read(&o.payload))
        .collect::<Result<_, _>>()?;
    let head = &contexts[0];
    let matched: Vec<String> = head
        .tuning
        .iter()
        .filter(|id| contexts.iter().all(|c| c.tuning.contains(id)))
        .cloned()
        .collect();
    let mut event_ids: Vec<String> = Vec::new();
    let mut event_names: Vec<String> = Vec::new();
    let mut event_sources: Vec<String> = Vec::new();
    for (o, c) in span.iter().zip(&contexts) {
        if !event_ids.contains(&o.event_id) {
            event_ids.push(o.event_id.clone());
        }
        let name = c.text(Text::EventName);
        if !event_names.iter().any(|n| n == name) {
            event_names.push(name.to_owned());
        }
        if let Some(source) = c.get(Text::EventSource)
            && !event_sources.iter().any(|s| s == source)
        {
            event_sources.push(source.to_owned());
        }
    }
    // The first source is the first call's (OCSF's and ASFF's service): a
    // first record without one (an item written before contexts kept it)
    // leaves the list empty rather than name another record's (from a review).
    if head.get(Text::EventSource).is_none() {
        event_sources.clear();
    }
    // The person a role session acted for, when every record of the span
    // acted for the same one: naming the first record's would put one
    // person's name on another's calls.
    let on_behalf_of = head
        .get(Text::OnBehalfOf)
        .filter(|p| contexts.iter().all(|c| c.get(Text::OnBehalfOf) == Some(p)))
        .map(str::to_owned);
    let mut evidence = Evidence::new();
    if let Some(label) = value_label {
        let mut values = span_values(span);
        let count = values.len();
        values.truncate(MAX_LISTED_VALUES);
        evidence = evidence.with("distinct_count", count).with(label, values);
    }
    // Per-record evidence: for windows, each key lists its distinct values; for
    // pairs, a key holds its one value (a list only if both sides differ).
    let mut merged: Vec<(&str, Vec<Value>)> = Vec::new();
    for c in &contexts {
        for (k, kept) in c.evidence.iter() {
            let v = c.value(kept);
            match merged.iter_mut().find(|(mk, _)| mk == k) {
                Some((_, vs)) if vs.len() < MAX_LISTED_EVIDENCE && !vs.contains(&*v) => {
                    vs.push(v.into_owned())
                }
                Some(_) => {}
                None => merged.push((k, vec![v.into_owned()])),
            }
        }
    }
    for (k, mut vs) in merged {
        // The window's own keys (`distinct_count`, the value label) stand.
        if evidence.get(k).is_some() {
            continue;
        }
        let v = if value_label.is_none() && vs.len() == 1 {
            vs.remove(0)
        } else {
            Value::Array(vs)
        };
        evidence = evidence.with_owned_key(k.to_owned(), v);
    }
    let first = span.first().map(|o| format_event_time(o.time_ms));
    let last = span.last().map(|o| format_event_time(o.time_ms));
    let finding = Finding {
        finding_id: finding_id(&[claim_key]),
        meta,
        detection_id: meta.id,
        title: meta.title,
        severity: meta.severity,
        attack: meta.attack,
        account_id: head.owned(Text::AccountId),
        region: head.owned(Text::Region),
        actor: Actor {
            key: head.text(Text::ActorKey).to_owned(),
            display: head.text(Text::ActorDisplay).to_owned(),
            kind: head.owned(Text::ActorType),
            // The first record's, as the rest of the actor.
            account: head.owned(Text::ActorAccount),
            on_behalf_of,
        },
        source_ip: head.owned(Text::SourceIp),
        user_agent: head.owned(Text::UserAgent),
        event_time: TimeSpan { first, last },
        event_ids,
        event_names,
        event_sources,
        error_code: head.owned(Text::ErrorCode),
        evidence,
        disposition: None,
        dry_run_suppression: None,
        finished_late: false,
    };
    Ok((finding, matched))
}

#[cfg(test)]
mod tests {
    use super::context::Kept;
    use super::*;

    /// Windows that keep the same evidence about one record share its payload;
    /// other evidence or other tuning entries get a payload of their own.
    #[test]
    fn a_records_observations_share_equal_payloads() {
        let json = r#"{"eventSource":"ec2.amazonaws.com","eventName":"DescribeVpcs","eventID":"e1",
            "sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2.15","eventTime":"2026-06-02T10:00:01Z"}"#;
        let rec = Record::from_json(json).unwrap();
        let ev = || Evidence::new().with("source_ip", "198.51.100.7");
        let ctx = |o: &Observation| o.payload.built_as::<Context>().unwrap() as *const Context;
        let mut last = None;
        let a = observation(&rec, 1, "a".into(), ev(), &[], &mut last);
        let b = observation(&rec, 1, "b".into(), ev(), &[], &mut last);
        assert!(std::ptr::eq(ctx(&a), ctx(&b)));
        let c = observation(&rec, 1, "c".into(), ev().with("x", 1), &[], &mut last);
        assert!(!std::ptr::eq(ctx(&a), ctx(&c)));
        let d = observation(
            &rec,
            1,
            "d".into(),
            ev().with("x", 1),
            &["t1".into()],
            &mut last,
        );
        assert!(!std::ptr::eq(ctx(&c), ctx(&d)));
        assert_eq!(d.payload.built_as::<Context>().unwrap().tuning, ["t1"]);
        assert_eq!((b.value.as_str(), b.event_id.as_str()), ("b", "e1"));
        // The address is kept as the record's field; the same evidence still
        // shares, another address does not.
        let shared = a.payload.built_as::<Context>().unwrap();
        assert_eq!(shared.evidence[0].1, Kept::Field(Text::SourceIp));
        assert!(shared.has_evidence(&ev().0));
        let other = Evidence::new().with("source_ip", "198.51.100.8");
        assert!(!shared.has_evidence(&other.0));
        assert!(!shared.has_evidence(&Evidence::new().with("source_ip", 7).0));
    }

    /// A finding counts every distinct value of its span and lists the first
    /// `MAX_LISTED_VALUES` (100) of them, in the order they came.
    #[test]
    fn a_finding_lists_at_most_a_hundred_values_and_counts_them_all() {
        let meta = &crate::detections::getpassworddata_burst::META;
        let mut last = None;
        let span: Vec<Observation> = (0..150)
            .map(|i| {
                let json = format!(
                    r#"{{"eventSource":"ec2.amazonaws.com","eventName":"GetPasswordData","eventID":"e{i}",
                    "sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2.15","eventTime":"2026-06-02T10:00:01Z"}}"#
                );
                let rec = Record::from_json(&json).unwrap();
                // Values come in an order that is not sorted (149 down to 0).
                observation(&rec, i, format!("i-{:03}", 149 - i), Evidence::new(), &[], &mut last)
            })
            .collect();
        let (finding, _) = span_finding(meta, &span, "k", Some("instances")).unwrap();
        assert_eq!(
            finding.evidence.get("distinct_count"),
            Some(&Value::from(150))
        );
        let listed: Vec<String> = (0..100).map(|i| format!("i-{:03}", 149 - i)).collect();
        assert_eq!(
            finding.evidence.get("instances"),
            Some(&Value::from(listed))
        );
        assert_eq!(finding.event_ids.len(), 150, "every record is named");
    }

    /// A window's finding lists each service its records called, carries the
    /// first record's caller account, and names the person a role session
    /// acted for only when every record acted for that one person.
    #[test]
    fn a_window_finding_names_services_account_and_one_person() {
        let meta = &crate::detections::discovery_sweep_by_principal::META;
        let person = |p: &str| {
            if p.is_empty() {
                String::new()
            } else {
                format!(r#","onBehalfOf":{{"userId":"{p}"}}"#)
            }
        };
        let record = |i: usize, source: &str, name: &str, p: &str| {
            format!(
                r#"{{"eventSource":"{source}","eventName":"{name}","eventID":"e{i}",
                "recipientAccountId":"111122223333","awsRegion":"us-east-1",
                "userIdentity":{{"type":"AssumedRole","accountId":"444455556666",
                "arn":"arn:aws:sts::444455556666:assumed-role/app/s"{}}},
                "sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2.15","eventTime":"2026-06-02T10:00:01Z"}}"#,
                person(p)
            )
        };
        const ANN: &str = "d4f8a4b8-1011-70f8-6a2c-1c1e5e5e5e5e";
        const BOB: &str = "94a8e4f8-2021-7011-c3d4-0a0b0c0d0e0f";
        let span_of = |calls: &[(&str, &str, &str)]| -> Finding {
            let span: Vec<Observation> = calls
                .iter()
                .enumerate()
                .map(|(i, (source, name, p))| {
                    let json = record(i, source, name, p);
                    let rec = Record::from_json(&json).unwrap();
                    observation(
                        &rec,
                        i as i64,
                        name.to_string(),
                        Evidence::new(),
                        &[],
                        // A record's own: shared only among one record's windows.
                        &mut None,
                    )
                })
                .collect();
            span_finding(meta, &span, "k", Some("calls")).unwrap().0
        };
        let same = span_of(&[
            ("iam.amazonaws.com", "ListUsers", ANN),
            ("s3.amazonaws.com", "ListBuckets", ANN),
            ("iam.amazonaws.com", "ListRoles", ANN),
        ]);
        assert_eq!(
            same.event_sources,
            ["iam.amazonaws.com", "s3.amazonaws.com"]
        );
        assert_eq!(same.actor.account.as_deref(), Some("444455556666"));
        assert_eq!(same.actor.on_behalf_of.as_deref(), Some(ANN));
        // A first record without a source (an item written before contexts
        // kept it): no list, rather than another call's service first.
        let old = span_of(&[
            ("", "ListUsers", ANN),
            ("s3.amazonaws.com", "ListBuckets", ANN),
        ]);
        assert!(old.event_sources.is_empty());
        for mixed in [
            [
                ("iam.amazonaws.com", "ListUsers", ANN),
                ("s3.amazonaws.com", "ListBuckets", BOB),
            ],
            [
                ("iam.amazonaws.com", "ListUsers", ANN),
                ("s3.amazonaws.com", "ListBuckets", ""),
            ],
            [
                ("iam.amazonaws.com", "ListUsers", ""),
                ("s3.amazonaws.com", "ListBuckets", ANN),
            ],
        ] {
            let f = span_of(&mixed);
            assert_eq!(f.actor.on_behalf_of, None, "{mixed:?}");
            assert_eq!(f.event_sources.len(), 2);
        }
    }

    /// A group is read back from its partition key, or kept beside a digest.
    #[test]
    fn a_group_key_gives_its_partition_and_group_back() {
        let short = GroupKey::new("det-a", "111122223333|arn:x".into());
        assert_eq!(short.partition(), "w|det-a|111122223333|arn:x");
        assert_eq!(short.group(), "111122223333|arn:x");
        assert!(matches!(short.group, Group::Tail(_)));
        let long_group = format!("1|{}", "é".repeat(400));
        let long = GroupKey::new("det-a", long_group.clone());
        assert_eq!(long.partition(), partition_key("w", "det-a", &long_group));
        assert!(long.partition().starts_with("w|det-a|#"));
        assert_eq!(long.group(), long_group);
        let empty = GroupKey::new("det-a", String::new());
        assert_eq!((empty.partition(), empty.group()), ("w|det-a|", ""));
    }

    /// Every full span containing the record, earliest first; or only the
    /// earliest.
    #[test]
    fn every_full_span_containing_the_record_is_found() {
        let obs = vec![o(0, "a"), o(100, "b"), o(250, "a"), o(380, "c")];
        assert_eq!(
            full_spans(&obs, 250, 300, 2, false),
            [(0, 3), (1, 4), (2, 4)]
        );
        assert_eq!(full_spans(&obs, 250, 300, 2, true), [(0, 3)]);
        assert_eq!(full_spans(&obs, 380, 300, 3, false), [(1, 4)]);
    }

    fn o(t: i64, v: &str) -> Observation {
        Observation {
            time_ms: t,
            event_id: format!("{t}{v}"),
            value: v.into(),
            payload: "".into(),
        }
    }

    #[test]
    fn span_must_contain_the_new_record() {
        let obs = vec![o(0, "a"), o(100, "b"), o(1000, "c")];
        assert_eq!(full_spans(&obs, 100, 300, 2, true), [(0, 2)]);
        assert_eq!(full_spans(&obs, 1000, 300, 2, false), []);
    }

    #[test]
    fn ends_are_inclusive_and_repeats_count_once() {
        let obs = vec![o(0, "a"), o(0, "a"), o(300, "b")];
        assert_eq!(full_spans(&obs, 300, 300, 2, true), [(0, 3)]);
        assert_eq!(full_spans(&obs, 300, 299, 2, false), []);
    }
}
