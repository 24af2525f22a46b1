//! The engine: routes a record to the detections that can match it, runs them, and
//! hands their findings to delivery (claim, notify, release on failure).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

use crate::catalog;
use crate::detection::{Detection, Signal, Trigger, WindowSpec};
use crate::event::Record;
use crate::finding::Finding;
use crate::notify::{Notifier, NotifyError};
use crate::state::{Store, StoreError};
use crate::tuning::{self, Mode, Tuning};
use crate::window::{self, Claim, Pending, WindowSettings};

/// How long a delivered finding's claim is kept: a retried or re-delivered event
/// within this time does not send it again (EventBridge retries for up to 24 h).
pub const CLAIM_TTL_SECS: i64 = 24 * 3600;

/// Engine settings: which detections run and how windows behave.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Detection ids that do not run.
    pub disabled: HashSet<String>,
    /// Window length overrides (seconds) by detection id.
    pub window_overrides: HashMap<String, i64>,
    /// Distinct-count threshold overrides by detection id.
    pub threshold_overrides: HashMap<String, usize>,
    /// The day (days since the epoch, UTC) a tuning's expiry dates are compared
    /// with (`replay --now`); `None`: the day of the wall clock.
    pub tuning_today: Option<i64>,
    pub window: WindowSettings,
    /// First-seen detections learn without firing for this many seconds of event
    /// time from the first record handled: a replay's first days only build the
    /// history (`trailwatch replay --learn`). `None` in the functions.
    pub learn_secs: Option<i64>,
    /// The heartbeat's silence threshold (seconds), overriding the detections'.
    pub silence_secs: Option<i64>,
    /// A heartbeat gap is also a `pipeline-silent` finding (replay: nothing else
    /// reports past silences). Live, the scheduled check reports them.
    pub gaps_are_silences: bool,
}

impl Settings {
    /// The settings of a replay: past heartbeat gaps are `pipeline-silent` findings.
    pub fn for_replay() -> Settings {
        Settings {
            gaps_are_silences: true,
            ..Settings::default()
        }
    }
}

/// Why handling a record failed. Either way the record must be retried.
#[derive(Debug)]
pub enum HandleError {
    Store(StoreError),
    Notify(NotifyError),
}

impl std::fmt::Display for HandleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HandleError::Store(e) => e.fmt(f),
            HandleError::Notify(e) => e.fmt(f),
        }
    }
}
impl std::error::Error for HandleError {}
impl From<StoreError> for HandleError {
    fn from(e: StoreError) -> Self {
        HandleError::Store(e)
    }
}

pub struct Engine {
    detections: Vec<&'static dyn Detection>,
    /// (eventSource, eventName) -> detections
    by_event: HashMap<(&'static str, &'static str), Vec<usize>>,
    /// eventSource -> detections that take every event of the source
    by_source: HashMap<&'static str, Vec<usize>>,
    /// user-agent prefix -> detections
    by_user_agent: Vec<(&'static str, usize)>,
    settings: Settings,
    /// `eventTime` (epoch ms) of the first record handled, for `learn_secs`.
    first_time_ms: std::sync::OnceLock<i64>,
    /// The tuning in force (replaced whole when the functions re-read it).
    tuning: RwLock<Option<Arc<Tuning>>>,
}

impl Engine {
    /// An engine over every detection of the catalogue, less the disabled ones.
    pub fn new(settings: Settings) -> Engine {
        Engine::with_detections(catalog::ALL.iter().copied(), settings)
    }

    /// An engine over the given detections (a Lambda function's group), less the
    /// disabled ones.
    pub fn with_detections(
        detections: impl IntoIterator<Item = &'static dyn Detection>,
        settings: Settings,
    ) -> Engine {
        let detections: Vec<_> = detections
            .into_iter()
            .filter(|d| !settings.disabled.contains(d.meta().id))
            .collect();
        let mut by_event: HashMap<_, Vec<usize>> = HashMap::new();
        let mut by_source: HashMap<_, Vec<usize>> = HashMap::new();
        let mut by_user_agent = Vec::new();
        for (i, d) in detections.iter().enumerate() {
            for t in d.meta().triggers {
                match *t {
                    Trigger::Events {
                        source, names: &[], ..
                    } => by_source.entry(source).or_default().push(i),
                    Trigger::Events { source, names, .. } => {
                        for &n in names {
                            let v = by_event.entry((source, n)).or_default();
                            if !v.contains(&i) {
                                v.push(i);
                            }
                        }
                    }
                    Trigger::UserAgentPrefix(p) | Trigger::UserAgentMatching { prefix: p, .. } => {
                        by_user_agent.push((p, i))
                    }
                }
            }
        }
        Engine {
            detections,
            by_event,
            by_source,
            by_user_agent,
            settings,
            first_time_ms: std::sync::OnceLock::new(),
            tuning: RwLock::new(None),
        }
    }

    /// Puts `tuning` in force for the records handled from now on (`None`: untuned).
    pub fn set_tuning(&self, tuning: Option<Arc<Tuning>>) {
        *self.tuning.write().unwrap_or_else(|p| p.into_inner()) = tuning;
    }

    /// The tuning in force.
    pub fn tuning(&self) -> Option<Arc<Tuning>> {
        self.tuning
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn detections(&self) -> &[&'static dyn Detection] {
        &self.detections
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// True when some detection could match a record with these fields: the cheap
    /// test that lets a reader skip parsing records nothing looks at.
    pub fn wants(&self, source: &str, name: &str, user_agent: Option<&str>) -> bool {
        self.by_event.contains_key(&(source, name))
            || self.by_source.contains_key(source)
            || user_agent
                .is_some_and(|ua| self.by_user_agent.iter().any(|(p, _)| ua.starts_with(p)))
    }

    /// `wants` on the raw JSON of a record or envelope: `false` only when its
    /// routing fields could be read exactly and no detection takes them.
    pub fn wants_json(&self, json: &[u8]) -> bool {
        let Some(p) = crate::event::prefilter::peek(json) else {
            return true;
        };
        self.routed(p.event_source, p.event_name, p.user_agent)
            .any(|i| self.detections[i].may_match_raw(&p, json))
    }

    /// The detections records with these fields are routed to (possibly repeated).
    fn routed<'s>(
        &'s self,
        source: &'s str,
        name: &'s str,
        user_agent: Option<&'s str>,
    ) -> impl Iterator<Item = usize> + 's {
        let by_event = self.by_event.get(&(source, name)).into_iter().flatten();
        let by_source = self.by_source.get(source).into_iter().flatten();
        let by_ua = self
            .by_user_agent
            .iter()
            .filter(move |(p, _)| user_agent.is_some_and(|ua| ua.starts_with(p)))
            .map(|(_, i)| i);
        by_event.chain(by_source).chain(by_ua).copied()
    }

    /// The detections a record is routed to, each once, in catalogue order.
    fn candidates(&self, rec: &Record<'_>) -> Vec<usize> {
        let mut out: Vec<usize> = self
            .routed(rec.event_source(), rec.event_name(), rec.user_agent())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Runs every routed detection on `rec`: stateless ones decide at once,
    /// stateful ones through `store`. Returns the findings with their claims; nothing
    /// is delivered yet. `now` is the wall clock (epoch seconds), used for expiry.
    pub async fn evaluate<S: Store + ?Sized>(
        &self,
        rec: &Record<'_>,
        store: &S,
        now: i64,
    ) -> Result<Vec<Pending>, StoreError> {
        self.evaluate_tuned(rec, store, now, self.tuning().as_deref())
            .await
    }

    /// `evaluate` under `tuning`: detections it turns off do not run, its window
    /// and threshold overrides apply, and each finding carries the suppression
    /// entries that matched every record behind it.
    async fn evaluate_tuned<S: Store + ?Sized>(
        &self,
        rec: &Record<'_>,
        store: &S,
        now: i64,
        tuning: Option<&Tuning>,
    ) -> Result<Vec<Pending>, StoreError> {
        let mut out = Vec::new();
        // One heartbeat write per record, shared by the heartbeat detections.
        let mut beat: Option<(String, crate::state::Beat)> = None;
        for i in self.candidates(rec) {
            let det = self.detections[i];
            let meta = det.meta();
            let tuned = tuning.and_then(|t| t.detection(meta.id));
            if tuned.is_some_and(|d| d.mode == Mode::Off) {
                continue;
            }
            let Some(signal) = det.evaluate(rec) else {
                continue;
            };
            let matched = match tuning {
                Some(t) if t.has_entries_for(meta.id) => t.matching(meta.id, rec),
                _ => Vec::new(),
            };
            let window_override = tuned
                .and_then(|d| d.window_secs)
                .or_else(|| self.settings.window_overrides.get(meta.id).copied());
            match (signal, meta.window) {
                (Signal::Fire(evidence), _) => {
                    let mut finding = Finding::from_record(meta, rec, evidence);
                    finding.severity = det.severity_for(rec);
                    let claim = Claim {
                        key: format!("f|{}", finding.finding_id),
                        guards: Vec::new(),
                        expires_at: None,
                    };
                    out.push(Pending {
                        finding,
                        claim,
                        matched,
                    });
                }
                (
                    Signal::Distinct {
                        group,
                        value,
                        evidence,
                    },
                    Some(WindowSpec::Distinct {
                        window_secs,
                        min_distinct,
                    }),
                ) => {
                    let w = window_override.unwrap_or(window_secs);
                    let threshold = tuned
                        .and_then(|d| d.threshold)
                        .or_else(|| self.settings.threshold_overrides.get(meta.id).copied())
                        .unwrap_or(min_distinct);
                    let spec = (w, threshold);
                    // Shadowed and suppressed findings take claims of their own.
                    let claim_is_final = tuning.is_none_or(|t| {
                        t.mode(meta.id) != Mode::Shadow && !t.has_entries_for(meta.id)
                    });
                    if let Some(p) = window::observe_distinct(
                        store,
                        meta,
                        spec,
                        claim_is_final,
                        self.settings.window,
                        rec,
                        &group,
                        &value,
                        &evidence,
                        &matched,
                        now,
                    )
                    .await?
                    {
                        out.push(p);
                    }
                }
                (
                    Signal::Pair {
                        key,
                        side,
                        evidence,
                    },
                    Some(WindowSpec::Sequence { max_gap_secs }),
                ) => {
                    let gap = window_override.unwrap_or(max_gap_secs);
                    out.extend(
                        window::observe_pair(
                            store,
                            meta,
                            gap,
                            self.settings.window,
                            rec,
                            &key,
                            side,
                            &evidence,
                            &matched,
                            now,
                        )
                        .await?,
                    );
                }
                (Signal::FirstSeen { term, evidence }, Some(WindowSpec::FirstSeen { days })) => {
                    let mut p = window::first_seen(meta, days, rec, &term, evidence, now);
                    p.matched = matched;
                    out.push(p);
                }
                (
                    Signal::Beat { member, evidence },
                    Some(WindowSpec::Heartbeat {
                        silence_secs,
                        lookback_days,
                        live_on_gap,
                    }),
                ) => {
                    let Some(t) = rec.event_time_ms() else {
                        continue;
                    };
                    let b = match &beat {
                        Some((m, b)) if *m == member => *b,
                        _ => {
                            let expires = now.max(t / 1000) + lookback_days * 86_400;
                            let b = store
                                .beat(crate::heartbeat::PARTITION, &member, t, expires, now)
                                .await?;
                            beat = Some((member.clone(), b));
                            b
                        }
                    };
                    let silence = self.settings.silence_secs.unwrap_or(silence_secs);
                    let crate::state::Beat::After(previous) = b else {
                        continue;
                    };
                    if t - previous <= silence.saturating_mul(1000)
                        || !(live_on_gap || self.settings.gaps_are_silences)
                    {
                        continue;
                    }
                    let mut evidence = evidence;
                    evidence
                        .0
                        .extend(crate::heartbeat::gap_evidence(&member, previous, t).0);
                    let mut finding = Finding::from_record(meta, rec, evidence);
                    finding.event_time.first =
                        Some(crate::event::time::format_event_time(previous));
                    let claim = Claim {
                        key: format!("f|{}", finding.finding_id),
                        guards: Vec::new(),
                        expires_at: None,
                    };
                    out.push(Pending {
                        finding,
                        claim,
                        matched,
                    });
                }
                // A stateful signal from a detection without a matching window spec is
                // a programming error caught by the catalogue tests; never fire on it.
                _ => {}
            }
        }
        Ok(out)
    }

    /// Evaluates `rec` and delivers each new finding exactly once: claim it, notify,
    /// and give the claim back if notifying fails (so a retry sends it). Returns the
    /// findings delivered by this call; under a tuning, also those it decided not
    /// to notify, each with its `disposition` (see `tuning::apply`).
    pub async fn handle<S: Store + ?Sized, N: Notifier + ?Sized>(
        &self,
        rec: &Record<'_>,
        store: &S,
        notifier: &N,
        now: i64,
    ) -> Result<Vec<Finding>, HandleError> {
        if let (Some(_), Some(t)) = (self.settings.learn_secs, rec.event_time_ms()) {
            self.first_time_ms.get_or_init(|| t);
        }
        let tuning = self.tuning();
        let pending = self
            .evaluate_tuned(rec, store, now, tuning.as_deref())
            .await?;
        let today = self
            .settings
            .tuning_today
            .unwrap_or_else(|| tuning::day_of(now));
        let mut delivered = Vec::new();
        for p in pending {
            if self.learning(&p, rec) {
                // Record the term in the history, report nothing.
                store
                    .claim(&p.claim.key, &p.claim.guards, claim_expiry(&p, now), now)
                    .await?;
                continue;
            }
            if let Some(t) = tuning.as_deref() {
                if let Some(f) = tuning::apply::apply(t, today, store, notifier, p, now).await? {
                    delivered.push(f);
                }
            } else if deliver(store, notifier, &p, now).await? {
                delivered.push(p.finding);
            }
        }
        Ok(delivered)
    }
}

impl Engine {
    /// A first-seen finding about a record inside the learning span.
    fn learning(&self, p: &Pending, rec: &Record<'_>) -> bool {
        let (Some(span), Some(t)) = (self.settings.learn_secs, rec.event_time_ms()) else {
            return false;
        };
        let first = *self.first_time_ms.get_or_init(|| t);
        t < first.saturating_add(span.saturating_mul(1000))
            && self.detections.iter().any(|d| {
                d.meta().id == p.finding.detection_id
                    && matches!(d.meta().window, Some(WindowSpec::FirstSeen { .. }))
            })
    }
}

pub(crate) fn claim_expiry(p: &Pending, now: i64) -> i64 {
    p.claim.expires_at.unwrap_or(now + CLAIM_TTL_SECS)
}

/// Delivers findings that did not come from one record (the heartbeat's scheduled
/// check): each exactly once, like [`Engine::handle`].
pub async fn deliver_all<S: Store + ?Sized, N: Notifier + ?Sized>(
    store: &S,
    notifier: &N,
    pending: Vec<Pending>,
    now: i64,
) -> Result<Vec<Finding>, HandleError> {
    let mut delivered = Vec::new();
    for p in pending {
        if deliver(store, notifier, &p, now).await? {
            delivered.push(p.finding);
        }
    }
    Ok(delivered)
}

/// Claims, notifies, and releases the claim on failure. `Ok(false)` when the
/// finding had already been delivered (its claim is held).
pub(crate) async fn deliver<S: Store + ?Sized, N: Notifier + ?Sized>(
    store: &S,
    notifier: &N,
    p: &Pending,
    now: i64,
) -> Result<bool, HandleError> {
    if !store
        .claim(&p.claim.key, &p.claim.guards, claim_expiry(p, now), now)
        .await?
    {
        return Ok(false);
    }
    if let Err(e) = notifier.notify(&p.finding).await {
        // Best effort: if the release fails too, the retry will not resend, so say so.
        if let Err(re) = store.release(&p.claim.key).await {
            return Err(HandleError::Notify(NotifyError(format!(
                "{e}; and releasing its claim failed: {re}"
            ))));
        }
        return Err(HandleError::Notify(e));
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    //! The first-seen primitive, with a detection made for the test.
    use super::*;
    use crate::detection::{Evidence, Meta, Severity};
    use crate::notify::{Collect, Notifier};
    use crate::state::MemoryStore;

    struct NewCaller;
    static NEW_CALLER: Meta = Meta {
        id: "test-new-caller",
        title: "t",
        description: "d",
        severity: Severity::Low,
        attack: &["T1078"],
        origins: &["test"],
        group: "correlation",
        false_positives: &["none"],
        next_steps: "none",
        triggers: &[Trigger::write("iam.amazonaws.com", &["CreateUser"])],
        window: Some(WindowSpec::FirstSeen { days: 10 }),
    };
    impl Detection for NewCaller {
        fn meta(&self) -> &'static Meta {
            &NEW_CALLER
        }
        fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
            Some(Signal::FirstSeen {
                term: crate::event::actor_key(rec).to_owned(),
                evidence: Evidence::new(),
            })
        }
    }

    fn record(id: &str, time: &str, user: &str) -> String {
        format!(
            r#"{{"eventSource":"iam.amazonaws.com","eventName":"CreateUser","eventID":"{id}",
            "eventTime":"{time}","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::1:user/{user}"}}}}"#
        )
    }

    /// Fires per record of `records` (id, time, user): true where a finding was delivered.
    fn run(
        engine: &Engine,
        store: &MemoryStore,
        records: &[(&str, &str, &str)],
        now: i64,
    ) -> Vec<bool> {
        let sink = Collect::default();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        records
            .iter()
            .map(|(id, t, u)| {
                let json = record(id, t, u);
                let rec = Record::from_json(&json).unwrap();
                !rt.block_on(engine.handle(&rec, store, &sink, now))
                    .unwrap()
                    .is_empty()
            })
            .collect()
    }

    const NOW: i64 = 1_767_225_600; // 2026-01-01

    #[test]
    fn a_term_fires_once_within_its_history_and_again_after_it() {
        let engine = Engine::with_detections([&NewCaller as &dyn Detection], Settings::default());
        let store = MemoryStore::default();
        let fired = run(
            &engine,
            &store,
            &[
                ("1", "2026-01-01T00:00:00Z", "alice"),
                ("2", "2026-01-02T00:00:00Z", "alice"),
                ("3", "2026-01-02T00:00:00Z", "bob"),
                ("1", "2026-01-01T00:00:00Z", "alice"),
            ],
            NOW,
        );
        assert_eq!(fired, [true, false, true, false]);
        // Eleven days later the history has lapsed.
        let fired = run(
            &engine,
            &store,
            &[("4", "2026-01-12T00:00:01Z", "alice")],
            NOW + 11 * 86_400,
        );
        assert_eq!(fired, [true]);
    }

    #[test]
    fn learning_records_terms_without_firing() {
        let settings = Settings {
            learn_secs: Some(86_400),
            ..Settings::default()
        };
        let engine = Engine::with_detections([&NewCaller as &dyn Detection], settings);
        let store = MemoryStore::default();
        let fired = run(
            &engine,
            &store,
            &[
                ("1", "2026-01-01T00:00:00Z", "alice"),
                ("2", "2026-01-01T12:00:00Z", "bob"),
                ("3", "2026-01-02T00:00:01Z", "alice"),
                ("4", "2026-01-02T00:00:01Z", "carol"),
            ],
            NOW,
        );
        assert_eq!(fired, [false, false, false, true]);
    }

    struct Failing;
    impl Notifier for Failing {
        async fn notify(&self, _: &Finding) -> Result<(), NotifyError> {
            Err(NotifyError("down".into()))
        }
    }

    #[test]
    fn a_failed_delivery_gives_the_term_back() {
        let engine = Engine::with_detections([&NewCaller as &dyn Detection], Settings::default());
        let store = MemoryStore::default();
        let json = record("1", "2026-01-01T00:00:00Z", "alice");
        let rec = Record::from_json(&json).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        assert!(
            rt.block_on(engine.handle(&rec, &store, &Failing, NOW))
                .is_err()
        );
        assert_eq!(
            run(
                &engine,
                &store,
                &[("1", "2026-01-01T00:00:00Z", "alice")],
                NOW
            ),
            [true]
        );
    }
}
