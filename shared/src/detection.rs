//! What a detection is: its metadata (beside its logic, in one file per detection
//! under `detections/`) and the signal it gives for one record.
//!
//! Detections are pure functions of one record. Stateless ones say "fire" with
//! evidence; windowed and correlated ones return an observation, and `window/`
//! decides with the state store whether the group crossed its threshold.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::Value;

use crate::event::Record;
use crate::event::prefilter::Peek;

/// Finding severity, lowest to highest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
    pub fn upper(self) -> &'static str {
        match self {
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }
}

/// Which CloudTrail events a detection needs. This drives the engine's index, the
/// EventBridge patterns in template.yaml and the docs table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// Events from `source` (e.g. `cloudtrail.amazonaws.com`) whose `eventName` is one
    /// of `names`; every event of the source when `names` is empty.
    Events {
        source: &'static str,
        names: &'static [&'static str],
        /// Read-only (`Get*`/`Describe*`/`List*`) events reach EventBridge only with
        /// the rule state `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS`.
        read_only: bool,
        /// Extra keys for the EventBridge pattern's `detail` (a JSON object), to keep
        /// a broad trigger narrow in AWS; the detection still checks them itself.
        detail_pattern: Option<&'static str>,
        /// A data event (S3 object-level, DynamoDB item-level, Lambda Invoke...): it
        /// reaches EventBridge only when the trail is configured to log data events.
        data_event: bool,
    },
    /// Any API call whose `userAgent` starts with this prefix.
    UserAgentPrefix(&'static str),
    /// Any API call, read-only ones included, whose `userAgent` starts with `prefix`,
    /// narrowed in EventBridge by `detail_alternatives`: a JSON array of `detail`
    /// objects, one of which must match every call the detection can fire on (the
    /// detection still checks everything itself; tests/patterns.rs proves the
    /// superset on the samples). Its rule runs with all management events.
    UserAgentMatching {
        prefix: &'static str,
        detail_alternatives: &'static str,
    },
    /// Any API call, read-only ones included, made as the account's root user
    /// (`userIdentity.type` `Root`), except the sign-in service's own events (the
    /// console sign-in detections take those). Its rule runs with all management
    /// events.
    RootIdentity,
}

impl Trigger {
    /// Write (mutating) management events `names` of `source`; every event of the
    /// source when `names` is empty.
    pub const fn write(source: &'static str, names: &'static [&'static str]) -> Trigger {
        Trigger::Events {
            source,
            names,
            read_only: false,
            detail_pattern: None,
            data_event: false,
        }
    }
    /// Read-only management events (`Get*`, `Describe*`, `List*`, ...): the rule
    /// must run in state `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS`.
    pub const fn read_only(source: &'static str, names: &'static [&'static str]) -> Trigger {
        Trigger::Events {
            source,
            names,
            read_only: true,
            detail_pattern: None,
            data_event: false,
        }
    }
    /// `first` then `more`, as one array of `N` (which must be their two lengths
    /// added; checked at compile time): a detection that watches a shared list and
    /// some calls of its own.
    pub const fn joined<const A: usize, const B: usize, const N: usize>(
        first: [Trigger; A],
        more: [Trigger; B],
    ) -> [Trigger; N] {
        assert!(
            A + B == N,
            "the joined length must be the two lengths added"
        );
        let mut out = [Trigger::read_only("", &[]); N];
        let mut i = 0;
        while i < N {
            out[i] = if i < A { first[i] } else { more[i - A] };
            i += 1;
        }
        out
    }
    /// The trigger takes read-only management events, which reach EventBridge only
    /// with the rule state `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS`.
    pub fn takes_read_only_events(&self) -> bool {
        matches!(
            self,
            Trigger::Events {
                read_only: true,
                ..
            } | Trigger::UserAgentMatching { .. }
                | Trigger::RootIdentity
        )
    }
    /// Data events: seen only when the trail logs them.
    pub const fn data(source: &'static str, names: &'static [&'static str]) -> Trigger {
        Trigger::Events {
            source,
            names,
            read_only: false,
            detail_pattern: None,
            data_event: true,
        }
    }
    /// The same trigger with extra keys for the EventBridge pattern's `detail`.
    pub const fn with_detail(self, pattern: &'static str) -> Trigger {
        match self {
            Trigger::Events {
                source,
                names,
                read_only,
                data_event,
                ..
            } => Trigger::Events {
                source,
                names,
                read_only,
                detail_pattern: Some(pattern),
                data_event,
            },
            other => other,
        }
    }
}

/// Parameters of a stateful detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowSpec {
    /// Fire when at least `min_distinct` distinct values of one group fall within
    /// any `window_secs` span of `eventTime`; `repeats` says whether a span whose
    /// values were all reported already is reported again.
    Distinct {
        window_secs: i64,
        min_distinct: usize,
        repeats: Repeats,
        /// What the window can count: a fixed set (steps, kinds), or values without
        /// a bound (callers, addresses, resources, call names).
        values: Countable,
    },
    /// Fire when a `Second` observation follows a `First` one with the same key at
    /// most `max_gap_secs` later (by `eventTime`), whichever arrives first.
    Sequence { max_gap_secs: i64 },
    /// "New terms": fire when a `Signal::FirstSeen` term has not been seen in the
    /// last `days` days (history is kept as expiring items in the state store).
    FirstSeen { days: i64 },
    /// A heartbeat: each `Signal::Beat` records its member's last-seen time; a beat
    /// that follows the previous one by more than `silence_secs` ends a silence and
    /// fires, live only when `live_on_gap` (otherwise only in a replay: live, a
    /// scheduled check reports the silence while it lasts). Members not seen for
    /// `lookback_days` are forgotten.
    Heartbeat {
        silence_secs: i64,
        lookback_days: i64,
        live_on_gap: bool,
    },
}

/// The values a distinct-count window can count. A tuning threshold above the
/// size of a fixed set could never be met, and is refused (`tuning::parse`); a
/// test replays every sample and holds each value a detection gives to its set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Countable {
    /// No fixed set.
    Open,
    /// Only these (the steps of a sequence, the kinds of what was learned).
    OneOf(&'static [&'static str]),
}

/// What a distinct-count window does with a later span of a group when every
/// value in it, each from the same address and actor, was in a finding of the
/// group notified within the day (`window::Reported`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeats {
    /// Not reported again: the values name what was touched from where (the
    /// caller's own addresses, the instances one host reads), so the same
    /// values from the same addresses and actors are an activity already
    /// reported, and an analyst paged for it every window learns nothing (from
    /// a review: one engineer's VPN egress addresses paged all day). A span
    /// with any other value, address or actor, or a record whose source is no
    /// address, is reported, naming what is new (`new_values`, `new_sources`).
    /// Chosen only where a new incident cannot bring the same values back: an
    /// evasion review found Regions, kinds of call, object keys and sprayed
    /// users that do.
    OnlyNew,
    /// Reported in every window: the values can come back in a new incident
    /// (a small fixed set such as Regions or steps of a sequence, names that
    /// can be made again), the window is an attack in itself (a spray), or it
    /// is a rate limit of one finding per window.
    Always,
}

impl Repeats {
    /// The word `trailwatch list` shows.
    pub fn as_str(self) -> &'static str {
        match self {
            Repeats::OnlyNew => "only-new",
            Repeats::Always => "always",
        }
    }
}

impl WindowSpec {
    /// A distinct-count window's length or a pair's gap: what a tuning file's
    /// `window_secs` and `TRAILWATCH_WINDOW_<ID>_SECS` override (first-seen
    /// histories and heartbeat thresholds have settings of their own).
    pub fn takes_window_secs(self) -> bool {
        matches!(
            self,
            WindowSpec::Distinct { .. } | WindowSpec::Sequence { .. }
        )
    }

    /// The built-in window length or gap, when an override of `secs` is a tenth
    /// of it or less: such a window may never fire (seconds written for
    /// minutes). Asked by the tuning file's check and the functions' start-up.
    pub fn window_far_below(self, secs: i64) -> Option<i64> {
        let built_in = match self {
            WindowSpec::Distinct { window_secs, .. } => window_secs,
            WindowSpec::Sequence { max_gap_secs } => max_gap_secs,
            _ => return None,
        };
        (secs.saturating_mul(10) <= built_in).then_some(built_in)
    }
}

/// Everything about a detection that is not its logic.
#[derive(Debug)]
pub struct Meta {
    /// Stable id used by findings, tests, the CLI and the docs.
    pub id: &'static str,
    pub title: &'static str,
    /// What it detects and why it matters, in our words.
    pub description: &'static str,
    pub severity: Severity,
    /// MITRE ATT&CK technique ids.
    pub attack: &'static [&'static str],
    /// The upstream rules this implements (project, file, rule id), or for our own
    /// detections what they are based on. A row of another catalogue that detects
    /// exactly the same behaviour is one more origin here, not a second detection.
    pub origins: &'static [&'static str],
    /// The Lambda function group (`catalog::GROUPS`, a crate under `functions/`)
    /// that runs this detection.
    pub group: &'static str,
    pub false_positives: &'static [&'static str],
    /// What to look at next, for the person reading the alert.
    pub next_steps: &'static str,
    /// Every key its signals' evidence may hold (what a tuning entry's
    /// `evidence.<key>` can name), sorted and separated by spaces: one text
    /// rather than a list, as every function carries it for every detection
    /// (`Indexed`), and a list of texts cost a pointer and a relocation per
    /// key (100 KB of a function binary). A debug build stops on a signal with
    /// a key not listed (so the tests and the fuzzing do); a release build does
    /// not check. Tests hold
    /// every signal of the unit tests, the samples and the engine's debug builds
    /// to it ([`Meta::undeclared_evidence`]), and every key a detection's file
    /// writes by name.
    pub evidence: &'static str,
    pub triggers: &'static [Trigger],
    /// `None` for stateless detections.
    pub window: Option<WindowSpec>,
}

/// The keys of a [`Meta::evidence`] text.
fn keys_of(evidence: &'static str) -> impl Iterator<Item = &'static str> {
    evidence.split_ascii_whitespace()
}

/// A detection is its id: two metadata are equal when their ids are (findings
/// compare equal by their detection's).
impl PartialEq for Meta {
    fn eq(&self, other: &Meta) -> bool {
        std::ptr::eq(self, other) || self.id == other.id
    }
}

/// What a function needs to know of every detection, its own group's or not: the
/// id and window that configuration and tuning name, and the severity tuning
/// checks warn by. Kept apart from [`Meta`] so
/// that a function binary does not carry the whole catalogue's text
/// (`detections::INDEX`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Indexed {
    pub id: &'static str,
    pub severity: Severity,
    pub window: Option<WindowSpec>,
    /// See [`Meta::evidence`].
    pub evidence: &'static str,
}

impl Indexed {
    pub const fn of(meta: &Meta) -> Indexed {
        Indexed {
            id: meta.id,
            severity: meta.severity,
            window: meta.window,
            evidence: meta.evidence,
        }
    }

    /// See [`Meta::evidence_keys`].
    pub fn evidence_keys(&self) -> impl Iterator<Item = &'static str> {
        keys_of(self.evidence)
    }
}

impl Meta {
    /// The keys of the signal's evidence (both of a batch's) that
    /// [`Meta::evidence`] does not list.
    pub fn undeclared_evidence<'s>(&self, signal: &'s Signal) -> Vec<&'s str> {
        signal
            .evidence_keys()
            .filter(|k| !self.evidence_keys().any(|declared| declared == *k))
            .collect()
    }
    /// The keys of [`Meta::evidence`].
    pub fn evidence_keys(&self) -> impl Iterator<Item = &'static str> {
        keys_of(self.evidence)
    }
    pub fn stateful(&self) -> bool {
        self.window.is_some()
    }
    /// Whether the functions fire it from records. `pipeline-silent` fires from
    /// canary gaps only in a replay: live, the scheduled check reports silences.
    pub fn fires_live_from_records(&self) -> bool {
        !matches!(
            self.window,
            Some(WindowSpec::Heartbeat {
                live_on_gap: false,
                ..
            })
        )
    }
    /// Some trigger is a data event (needs the trail's data-event logging).
    pub fn needs_data_events(&self) -> bool {
        self.triggers.iter().any(|t| {
            matches!(
                t,
                Trigger::Events {
                    data_event: true,
                    ..
                }
            )
        })
    }
    pub fn needs_read_only_events(&self) -> bool {
        self.triggers.iter().any(Trigger::takes_read_only_events)
    }
}

/// Detection-specific facts for the analyst, in the order they were added.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evidence(pub Vec<(Cow<'static, str>, Value)>);

impl Evidence {
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds `key: value`; a key given again keeps its place and takes the new
    /// value, so a finding's evidence never repeats a key (from a review: a
    /// detection's second `api` made the JSON a strict parser, or a SIEM that
    /// refuses duplicate fields, rejects).
    pub fn with(self, key: &'static str, value: impl Into<Value>) -> Self {
        self.set(Cow::Borrowed(key), value.into())
    }
    fn set(mut self, key: Cow<'static, str>, value: Value) -> Self {
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => *v = value,
            None => self.0.push((key, value)),
        }
        self
    }
    /// Adds `key: value` when there is a value.
    pub fn with_opt<V: Into<Value>>(self, key: &'static str, value: Option<V>) -> Self {
        match value {
            Some(v) => self.with(key, v),
            None => self,
        }
    }
    /// Adds `key` with a clone of a JSON value from the record, when present and not null.
    pub fn with_json(self, key: &'static str, value: Option<&Value>) -> Self {
        match value {
            Some(v) if !v.is_null() => self.with(key, v.clone()),
            _ => self,
        }
    }
    /// Adds an entry whose key was read back from storage (as [`Evidence::with`]).
    pub fn with_owned_key(self, key: String, value: Value) -> Self {
        self.set(Cow::Owned(key), value)
    }
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for Evidence {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// Which side of an ordered pair an observation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    First,
    Second,
}

impl Side {
    /// The side's name, the value its observations are stored under.
    pub fn name(self) -> &'static str {
        match self {
            Side::First => "first",
            Side::Second => "second",
        }
    }
}

/// What a detection says about one record.
#[derive(Debug, Clone, PartialEq)]
pub enum Signal {
    /// A finding, now.
    Fire(Evidence),
    /// Count `value` for `group` in the detection's sliding window. `evidence` holds
    /// per-record facts that the finding aggregates (e.g. the error code).
    Distinct {
        group: String,
        value: String,
        evidence: Evidence,
    },
    /// One side of an ordered pair joined on `key`.
    Pair {
        key: String,
        side: Side,
        evidence: Evidence,
    },
    /// A term (e.g. `account|actor|eventName`): fires when it was not seen in the
    /// detection's `FirstSeen` history.
    FirstSeen { term: String, evidence: Evidence },
    /// A heartbeat of `member` (e.g. `account|region`), see `WindowSpec::Heartbeat`.
    Beat { member: String, evidence: Evidence },
    /// One record naming `count` distinct resources of a distinct-count window's
    /// `group` at once (a call terminating many instances). At or above the
    /// window's built-in threshold (or a lower tuned one) it is a finding on its
    /// own (`alone`), under a claim the group's such records share for the
    /// built-in window, so that a run of such calls is one finding; below it, it
    /// counts in the window as `value` (`in_window`), as a `Distinct` signal
    /// would ([`Signal::below_threshold`]).
    Batch {
        group: String,
        value: String,
        count: usize,
        alone: Evidence,
        in_window: Evidence,
    },
}

impl Signal {
    /// What the detection gave as evidence with this signal.
    pub fn evidence(&self) -> &Evidence {
        match self {
            Signal::Fire(evidence)
            | Signal::Distinct { evidence, .. }
            | Signal::Pair { evidence, .. }
            | Signal::FirstSeen { evidence, .. }
            | Signal::Beat { evidence, .. }
            | Signal::Batch {
                alone: evidence, ..
            } => evidence,
        }
    }

    /// Every key of the signal's evidence, and of a batch's evidence for its
    /// window too.
    pub fn evidence_keys(&self) -> impl Iterator<Item = &str> {
        let in_window = match self {
            Signal::Batch { in_window, .. } => Some(in_window),
            _ => None,
        };
        std::iter::once(self.evidence())
            .chain(in_window)
            .flat_map(|e| e.0.iter())
            .map(|(k, _)| k.as_ref())
    }

    /// A [`Signal::Batch`] under a window of `threshold` distinct values: a
    /// `Distinct` observation when it names fewer, else unchanged. Other signals
    /// unchanged.
    pub fn below_threshold(self, threshold: usize) -> Signal {
        match self {
            Signal::Batch {
                group,
                value,
                count,
                in_window,
                ..
            } if count < threshold => Signal::Distinct {
                group,
                value,
                evidence: in_window,
            },
            other => other,
        }
    }
}

/// One detection: metadata and logic, in one file under `detections/`.
pub trait Detection: Send + Sync {
    fn meta(&self) -> &'static Meta;
    /// Looks at one record that matched one of the detection's triggers.
    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal>;

    /// A cheap test on the raw JSON of a record routed here, before it is parsed:
    /// `false` only when `evaluate` would certainly return `None`. Detections with
    /// broad triggers (every IAM event, every aws-cli call) narrow them here so that
    /// replay need not parse what they would drop.
    fn may_match_raw(&self, _peek: &Peek<'_>, _json: &[u8]) -> bool {
        true
    }

    /// The severity of a finding about `rec`: the metadata's, unless the detection
    /// knows better about this record (a change made by CloudFormation on someone's
    /// behalf, say).
    fn severity_for(&self, _rec: &Record<'_>) -> Severity {
        self.meta().severity
    }

    /// What makes two of this detection's stateless findings the same one, when
    /// it is not the record: the records sharing a key share a finding id, and so
    /// its claim, and only the first is notified (the parts of one multipart copy
    /// are one object rewritten). `None` (most detections): the record.
    fn finding_key(&self, _rec: &Record<'_>) -> Option<String> {
        None
    }

    /// Whether a stateless finding about `rec` is out of the tuning file's reach:
    /// delivered at its own severity whatever the file's mode, severity,
    /// suppressions and dedup say. Only for what could rewrite the tuning itself
    /// (`trailwatch-tampering` on the tuning bucket and file): a tuning file must
    /// not be able to hide its own change. `false` for every other detection.
    /// Stateless detections only: windows, pairs and first-seen findings always
    /// follow the tuning (the engine would run such a detection while `off` and
    /// then tune its findings).
    fn beyond_tuning(&self, _rec: &Record<'_>) -> bool {
        false
    }

    /// More signals of the same kind for other groups, asked only when `evaluate`
    /// gave one: a call naming several resources (`StopInstances` on three
    /// instances) counts in each resource's window. Empty for most detections.
    fn further_signals(&self, _rec: &Record<'_>) -> Vec<Signal> {
        Vec::new()
    }
}

/// The `Some(Signal::Fire(..))` shorthand used by stateless detections.
pub fn fire(evidence: Evidence) -> Option<Signal> {
    Some(Signal::Fire(evidence))
}
