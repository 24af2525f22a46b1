//! Windowed counts and ordered pairs, on top of the state port.
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
//!   A longer attack yields another finding at least two windows later.
//! - Pairs: a `First` and a `Second` with the same key fire when the second's time is
//!   within `[first, first + max_gap]`; the claim is the first record's, so one
//!   creation followed by many logins is one finding.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::detection::{Evidence, Meta, Side, WindowSpec};
use crate::event::time::format_event_time;
use crate::event::{Actor, Record};
use crate::finding::{Finding, TimeSpan, finding_id, record_identity};
use crate::state::{Observation, Payload, PayloadValue, Store, StoreError};

/// At most this many observations are kept per group (the oldest go first): a
/// bound on memory and on the work one event can cause.
pub const MAX_OBSERVATIONS_PER_GROUP: usize = 2_000;

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
}

/// The claim a finding must take before it is delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub key: String,
    /// Claims whose presence means this finding was already reported.
    pub guards: Vec<String>,
    /// When the claim lapses (epoch seconds); `None`: the engine's default
    /// (`engine::CLAIM_TTL_SECS` from now). First-seen terms live for their history.
    pub expires_at: Option<i64>,
}

/// What the finding needs about each contributing record.
///
/// Replay keeps tens of thousands of these in memory (one per observation), so
/// the record's fields live in one string (`text`, cut at `ends`) rather than
/// nine: one allocation instead of nine, and evidence that repeats one of them
/// points at it ([`Kept`]). Stores that keep text see the JSON of
/// [`ContextJson`], the same as when the fields were separate.
#[derive(Debug, Clone)]
struct Context {
    text: Box<str>,
    /// Where each of [`Text`]'s fields ends in `text`.
    ends: [u32; TEXT_FIELDS],
    /// Which optional fields are present (bit per [`Text`]).
    present: u16,
    evidence: Vec<(Cow<'static, str>, Kept)>,
    /// The tuning entries this record matched when it was observed: a windowed
    /// finding is suppressed only by an entry every one of its records matched.
    tuning: Vec<String>,
}

/// The text fields of a [`Context`], in the order they are stored.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Text {
    EventName,
    SourceIp,
    UserAgent,
    AccountId,
    Region,
    ActorKey,
    ActorDisplay,
    ActorType,
    ErrorCode,
}

const TEXT_FIELDS: usize = 9;

/// Every [`Text`] field, in order.
const ALL_TEXT: [Text; TEXT_FIELDS] = [
    Text::EventName,
    Text::SourceIp,
    Text::UserAgent,
    Text::AccountId,
    Text::Region,
    Text::ActorKey,
    Text::ActorDisplay,
    Text::ActorType,
    Text::ErrorCode,
];

/// A per-record evidence value as a [`Context`] keeps it. Most windows' evidence
/// repeats the caller's address, agent or error (`caller_evidence`), which the
/// context's text already holds: such a string is kept as the field it equals,
/// not as a second copy (the user agent averages 135 bytes on the bench corpus,
/// and a replay keeps one context per observation).
#[derive(Debug, Clone, PartialEq)]
enum Kept {
    /// A string equal to this text field of the context.
    Field(Text),
    Value(Value),
}

/// A [`Context`] as JSON: what DynamoDB items hold.
#[derive(Serialize, Deserialize)]
struct ContextJson<'a> {
    #[serde(borrow)]
    event_name: Cow<'a, str>,
    #[serde(default, borrow)]
    source_ip: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    user_agent: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    account_id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    region: Option<Cow<'a, str>>,
    #[serde(borrow)]
    actor_key: Cow<'a, str>,
    #[serde(borrow)]
    actor_display: Cow<'a, str>,
    #[serde(default, borrow)]
    actor_type: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    error_code: Option<Cow<'a, str>>,
    #[serde(default)]
    evidence: Cow<'a, [(Cow<'static, str>, Value)]>,
    #[serde(default, skip_serializing_if = "no_entries")]
    tuning: Cow<'a, [String]>,
}

#[expect(
    clippy::ptr_arg,
    reason = "serde's skip_serializing_if passes the field as it is"
)]
fn no_entries(tuning: &Cow<'_, [String]>) -> bool {
    tuning.is_empty()
}

impl Context {
    fn of(rec: &Record<'_>, evidence: Evidence, matched: &[String]) -> Context {
        // The actor's fields as `Actor::of` gives them, borrowed where it can.
        let display = crate::event::actor_display_text(rec);
        Context::pack(
            [
                Some(rec.event_name()),
                rec.source_ip(),
                rec.user_agent(),
                rec.account_id(),
                rec.region(),
                Some(crate::event::actor_key(rec)),
                Some(&display),
                rec.identity_type(),
                rec.error_code(),
            ],
            evidence.0,
            matched.to_vec(),
        )
    }

    fn pack(
        fields: [Option<&str>; TEXT_FIELDS],
        evidence: Vec<(Cow<'static, str>, Value)>,
        tuning: Vec<String>,
    ) -> Context {
        let mut context = Context::pack_text(fields, tuning);
        context.evidence = evidence
            .into_iter()
            .map(|(k, v)| (k, context.keep(v)))
            .collect();
        context
    }

    /// The context of `fields`, without evidence yet.
    fn pack_text(fields: [Option<&str>; TEXT_FIELDS], tuning: Vec<String>) -> Context {
        let mut text = String::with_capacity(fields.iter().flatten().map(|f| f.len()).sum());
        let mut ends = [0u32; TEXT_FIELDS];
        let mut present = 0u16;
        for (i, f) in fields.iter().enumerate() {
            if let Some(f) = f {
                text.push_str(f);
                present |= 1 << i;
            }
            // Record text is far below 4 GiB (records are capped at a few MiB).
            ends[i] = u32::try_from(text.len()).unwrap_or(u32::MAX);
        }
        Context {
            text: text.into_boxed_str(),
            ends,
            present,
            evidence: Vec::new(),
            tuning,
        }
    }

    /// `v` as this context keeps it: a field of its own when `v` is that text.
    fn keep(&self, v: Value) -> Kept {
        if let Value::String(s) = &v
            && let Some(f) = ALL_TEXT
                .into_iter()
                .find(|&f| self.get(f) == Some(s.as_str()))
        {
            return Kept::Field(f);
        }
        Kept::Value(v)
    }

    /// The evidence value `kept` stands for.
    fn value<'c>(&'c self, kept: &'c Kept) -> Cow<'c, Value> {
        match kept {
            Kept::Field(f) => Cow::Owned(Value::String(self.text(*f).to_owned())),
            Kept::Value(v) => Cow::Borrowed(v),
        }
    }

    /// Whether this context's evidence is `evidence`, key for key and value for value.
    fn has_evidence(&self, evidence: &[(Cow<'static, str>, Value)]) -> bool {
        self.evidence.len() == evidence.len()
            && self
                .evidence
                .iter()
                .zip(evidence)
                .all(|((k, kept), (ek, ev))| {
                    k == ek
                        && match (kept, ev) {
                            (Kept::Field(f), Value::String(s)) => self.get(*f) == Some(s.as_str()),
                            (Kept::Field(_), _) => false,
                            (Kept::Value(v), ev) => v == ev,
                        }
                })
    }

    fn get(&self, field: Text) -> Option<&str> {
        let i = field as usize;
        if self.present & (1 << i) == 0 {
            return None;
        }
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        self.text.get(start..self.ends[i] as usize)
    }

    fn text(&self, field: Text) -> &str {
        self.get(field).unwrap_or_default()
    }

    fn owned(&self, field: Text) -> Option<String> {
        self.get(field).map(str::to_owned)
    }

    fn json(&self) -> ContextJson<'_> {
        let cow = |f| self.get(f).map(Cow::Borrowed);
        ContextJson {
            event_name: Cow::Borrowed(self.text(Text::EventName)),
            source_ip: cow(Text::SourceIp),
            user_agent: cow(Text::UserAgent),
            account_id: cow(Text::AccountId),
            region: cow(Text::Region),
            actor_key: Cow::Borrowed(self.text(Text::ActorKey)),
            actor_display: Cow::Borrowed(self.text(Text::ActorDisplay)),
            actor_type: cow(Text::ActorType),
            error_code: cow(Text::ErrorCode),
            evidence: self
                .evidence
                .iter()
                .map(|(k, kept)| (k.clone(), self.value(kept).into_owned()))
                .collect(),
            tuning: Cow::Borrowed(&self.tuning),
        }
    }

    fn from_json(j: ContextJson<'_>) -> Context {
        Context::pack(
            [
                Some(&j.event_name),
                j.source_ip.as_deref(),
                j.user_agent.as_deref(),
                j.account_id.as_deref(),
                j.region.as_deref(),
                Some(&j.actor_key),
                Some(&j.actor_display),
                j.actor_type.as_deref(),
                j.error_code.as_deref(),
            ],
            j.evidence.into_owned(),
            j.tuning.into_owned(),
        )
    }
}

impl PayloadValue for Context {
    fn to_json(&self) -> Result<String, StoreError> {
        serde_json::to_string(&self.json()).map_err(|e| StoreError(e.to_string()))
    }
}

impl Context {
    /// The context a payload holds: as built (the in-memory store), or read back
    /// from its text (DynamoDB).
    fn read(payload: &Payload) -> Result<Cow<'_, Context>, StoreError> {
        if let Some(c) = payload.built_as::<Context>() {
            return Ok(Cow::Borrowed(c));
        }
        let text = payload.json()?;
        serde_json::from_str::<ContextJson>(&text)
            .map(|j| Cow::Owned(Context::from_json(j)))
            .map_err(|e| StoreError(format!("unreadable window item: {e}")))
    }
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

pub(crate) fn partition_key(kind: &str, detection: &str, group: &str) -> String {
    // Built on every observation: plain pushes, not the formatting machinery.
    let key = crate::detections::common::joined(&[kind, detection, group], '|');
    if key.len() <= MAX_KEY_BYTES {
        key
    } else {
        format!("{kind}|{detection}|#{}", finding_id(&[group]))
    }
}

fn expiry(now: i64, time_ms: i64, live_secs: i64) -> i64 {
    now.max(time_ms.div_euclid(1000)) + live_secs
}

/// A first-seen ("new terms") finding for `term`, pending its claim: the claim is
/// the term's history item, kept for `days` after the record (or after `now` if
/// later), so the finding is delivered only when no invocation or earlier record
/// holds the term. Reading nothing first keeps it at one conditional write per
/// event; a failed delivery gives the claim back, so a retry fires again.
///
/// A term seen every day still fires again `days` after its first sighting (the
/// history is not extended on every sighting, which would cost a write per event);
/// docs/state.md says so.
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
            key: partition_key("n", meta.id, term),
            guards: Vec::new(),
            expires_at: Some(expiry(now, time_ms, days.saturating_mul(86_400))),
        },
        matched: Vec::new(),
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
    Observation {
        time_ms,
        event_id: record_identity(rec),
        value,
        payload,
    }
}

/// Counts `obs` (from [`observation`]) in the sliding window of `group`, whose
/// items live in `partition` (`partition_key("w", meta.id, group)`); returns the
/// finding when the record completes (or belongs to) a span with enough distinct
/// values. `claim_is_final`: a held claim means the finding cannot be delivered
/// (true unless a tuning may report it under a claim of its own, see
/// `tuning::apply`).
#[allow(clippy::too_many_arguments)]
pub async fn observe_distinct<S: Store + ?Sized>(
    store: &S,
    meta: &'static Meta,
    spec: (i64, usize),
    claim_is_final: bool,
    settings: WindowSettings,
    partition: &str,
    group: &str,
    obs: Observation,
    now: i64,
) -> Result<Option<Pending>, StoreError> {
    let (window_secs, min_distinct) = spec;
    let t = obs.time_ms;
    let w = window_secs * 1000;
    store
        .put(
            partition,
            obs,
            expiry(now, t, window_secs + settings.lateness_secs),
        )
        .await?;
    // Every span containing the record lies in [t - w, t + w]: fewer distinct values
    // there than the threshold means no finding, without reading the window back.
    if store
        .distinct_values_at_most(partition, t - w, t + w, now, min_distinct)
        .await?
        < min_distinct
    {
        return Ok(None);
    }
    let claim_key = |b: i64| partition_key("c", meta.id, &format!("{group}|{b}"));
    // A span containing the record starts in `[t - w, t]`, so its bucket is the
    // record's or the one before; either claim held blocks both (key or guard).
    // A flood against a reported burst stops here, without reading the group
    // back or rebuilding the finding from its items.
    if claim_is_final {
        let b = t.div_euclid(w);
        if store
            .claims_held(&[claim_key(b - 1), claim_key(b)], now)
            .await?
        {
            return Ok(None);
        }
    }
    let around = store.range(partition, t - w, t + w, now).await?;
    let Some((start, end)) = first_full_span(&around, t, w, min_distinct) else {
        return Ok(None);
    };
    let span = &around[start..end];
    let bucket = span[0].time_ms.div_euclid(w);
    let claim = Claim {
        key: claim_key(bucket),
        guards: vec![claim_key(bucket - 1), claim_key(bucket + 1)],
        expires_at: None,
    };
    let (finding, matched) = span_finding(meta, span, &claim.key, Some(meta_value_label(meta)))?;
    Ok(Some(Pending {
        finding,
        claim,
        matched,
    }))
}

/// The evidence key under which a distinct-count finding lists its values.
fn meta_value_label(meta: &Meta) -> &'static str {
    match meta.window {
        Some(WindowSpec::Distinct { .. }) => "distinct_values",
        _ => "values",
    }
}

/// The earliest span `[s, s + w]` that contains `t` and holds `min_distinct`
/// distinct values; returned as a range of indexes into `obs` (sorted by time).
fn first_full_span(
    obs: &[Observation],
    t: i64,
    w: i64,
    min_distinct: usize,
) -> Option<(usize, usize)> {
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
            return Some((start, end));
        }
        if let Some(c) = counts.get_mut(obs[start].value.as_str()) {
            *c -= 1;
            if *c == 0 {
                counts.remove(obs[start].value.as_str());
            }
        }
    }
    None
}

/// Records `obs` (from [`observation`], its value the side's name), one side of
/// an ordered pair kept in `partition` (`partition_key("w", meta.id, key)`), and
/// returns the findings it completes.
#[allow(clippy::too_many_arguments)]
pub async fn observe_pair<S: Store + ?Sized>(
    store: &S,
    meta: &'static Meta,
    max_gap_secs: i64,
    settings: WindowSettings,
    partition: &str,
    key: &str,
    side: Side,
    obs: Observation,
    now: i64,
) -> Result<Vec<Pending>, StoreError> {
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
    let mut out = Vec::new();
    match side {
        Side::First => {
            // The earliest login after this creation names the finding.
            if let Some(second) = partners.first() {
                out.push(pair_finding(meta, &obs, second, key)?);
            }
        }
        Side::Second => {
            for first in &partners {
                out.push(pair_finding(meta, first, &obs, key)?);
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
) -> Result<Pending, StoreError> {
    let claim_key = partition_key("c", meta.id, &format!("{key}|{}", first.event_id));
    let (finding, matched) =
        span_finding(meta, &[first.clone(), second.clone()], &claim_key, None)?;
    Ok(Pending {
        finding,
        claim: Claim {
            key: claim_key,
            guards: Vec::new(),
            expires_at: None,
        },
        matched,
    })
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
    for (o, c) in span.iter().zip(&contexts) {
        if !event_ids.contains(&o.event_id) {
            event_ids.push(o.event_id.clone());
        }
        let name = c.text(Text::EventName);
        if !event_names.iter().any(|n| n == name) {
            event_names.push(name.to_owned());
        }
    }
    let mut evidence = Evidence::new();
    if let Some(label) = value_label {
        let mut values: Vec<&str> = Vec::new();
        for o in span {
            if !values.contains(&o.value.as_str()) {
                values.push(&o.value);
            }
        }
        let count = values.len();
        values.truncate(MAX_LISTED_VALUES);
        evidence = evidence.with("distinct_count", count).with(label, values);
    }
    // Per-record evidence: for windows, each key lists its distinct values; for
    // pairs, a key holds its one value (a list only if both sides differ).
    let mut merged: Vec<(&str, Vec<Value>)> = Vec::new();
    for c in &contexts {
        for (k, kept) in &c.evidence {
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
        },
        source_ip: head.owned(Text::SourceIp),
        user_agent: head.owned(Text::UserAgent),
        event_time: TimeSpan { first, last },
        event_ids,
        event_names,
        error_code: head.owned(Text::ErrorCode),
        evidence,
        disposition: None,
        dry_run_suppression: None,
    };
    Ok((finding, matched))
}

#[cfg(test)]
mod tests {
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

    fn o(t: i64, v: &str) -> Observation {
        Observation {
            time_ms: t,
            event_id: format!("{t}{v}"),
            value: v.into(),
            payload: "".into(),
        }
    }

    #[test]
    fn a_context_reads_back_from_its_json_field_for_field() {
        let c = Context::pack(
            [
                Some("ListUsers"),
                None,
                Some("aws-cli/2"),
                Some("111122223333"),
                Some(""),
                Some("arn:aws:iam::111122223333:user/a"),
                Some("a"),
                None,
                Some("AccessDenied"),
            ],
            vec![
                ("k".into(), Value::from(1)),
                ("user_agent".into(), Value::from("aws-cli/2")),
                ("error_code".into(), Value::from("AccessDenied")),
                ("other".into(), Value::from("aws-cli/3")),
            ],
            vec!["t1".into()],
        );
        // Evidence repeating a field points at it; other values are kept as given.
        let kept: Vec<&Kept> = c.evidence.iter().map(|(_, k)| k).collect();
        assert_eq!(
            kept,
            [
                &Kept::Value(Value::from(1)),
                &Kept::Field(Text::UserAgent),
                &Kept::Field(Text::ErrorCode),
                &Kept::Value(Value::from("aws-cli/3")),
            ]
        );
        assert_eq!(c.get(Text::SourceIp), None);
        assert_eq!(c.get(Text::Region), Some(""));
        assert_eq!(c.get(Text::ErrorCode), Some("AccessDenied"));
        let json = c.to_json().unwrap();
        let v: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["event_name"], "ListUsers");
        assert_eq!(v["source_ip"], Value::Null);
        assert_eq!(v["actor_display"], "a");
        assert_eq!(
            v["evidence"],
            serde_json::json!([
                ["k", 1],
                ["user_agent", "aws-cli/2"],
                ["error_code", "AccessDenied"],
                ["other", "aws-cli/3"]
            ])
        );
        let payload = Payload::from(json.as_str());
        let back = Context::read(&payload).unwrap();
        for f in ALL_TEXT {
            assert_eq!(back.get(f), c.get(f), "{f:?}");
        }
        assert_eq!(
            (back.evidence.clone(), back.tuning.clone()),
            (c.evidence, c.tuning)
        );
    }

    #[test]
    fn span_must_contain_the_new_record() {
        let obs = vec![o(0, "a"), o(100, "b"), o(1000, "c")];
        assert_eq!(first_full_span(&obs, 100, 300, 2), Some((0, 2)));
        assert_eq!(first_full_span(&obs, 1000, 300, 2), None);
    }

    #[test]
    fn ends_are_inclusive_and_repeats_count_once() {
        let obs = vec![o(0, "a"), o(0, "a"), o(300, "b")];
        assert_eq!(first_full_span(&obs, 300, 300, 2), Some((0, 3)));
        assert_eq!(first_full_span(&obs, 300, 299, 2), None);
    }
}
