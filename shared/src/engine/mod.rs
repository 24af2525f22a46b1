//! The engine: routes a record to the detections that can match it, runs them, and
//! hands their findings to delivery (`delivery`: lease the claim, notify, confirm;
//! release on failure).

mod at_once;
mod delivery;
mod prepared;
mod routes;

use routes::Routes;

pub use delivery::{CLAIM_LEASE_SECS, CLAIM_TTL_SECS, deliver_all};
pub(crate) use delivery::{
    claim_expiry, confirm, deliver, delivered, lease_or_send, send, take_under, unsent_error,
};
pub use prepared::Prepared;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

use crate::catalog;
use crate::detection::{Detection, WindowSpec};
use crate::event::Record;
use crate::finding::Finding;
use crate::notify::{Notifier, NotifyError};
use crate::state::{Now, Store, StoreError};
use crate::tuning::{self, Tuning};
use crate::window::{Pending, WindowSettings};

/// Which clock "now" is for windows, claims and first-seen history.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Clock {
    /// Live traffic (the Lambda functions): now is the wall clock; a record later
    /// than the allowed lateness misses partners that have expired.
    #[default]
    Wall,
    /// Replay and backtests: now is each record's `eventTime`, so last year's
    /// records meet each other as they did then, and a first-seen term unseen for
    /// N days of event time fires again. Leases still use the wall clock. A
    /// DynamoDB store must then be built with `Validity::EventTime`.
    EventTime,
}

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
    /// time from the first record a first-seen detection takes: a replay's first
    /// days only build the history (`trailwatch replay --learn`). `None` in the
    /// functions.
    pub learn_secs: Option<i64>,
    /// First-seen detections also learn without firing from every record before
    /// this event time (epoch ms): a backtest's learning period, the same for all
    /// of its batches whatever order they run in.
    pub learn_until_ms: Option<i64>,
    /// The heartbeat's silence threshold (seconds), overriding the detections'.
    pub silence_secs: Option<i64>,
    /// The heartbeat members (`account|region`) the scheduled check expects to
    /// hear from, whether or not they ever sent a canary.
    pub expected_members: Vec<String>,
    /// A heartbeat gap is also a `pipeline-silent` finding (replay: nothing else
    /// reports past silences). Live, the scheduled check reports them.
    pub gaps_are_silences: bool,
    /// The clock expiries are judged by (wall clock live, event time in replay).
    pub clock: Clock,
    /// The delivery lease's length (seconds, wall clock); `None`: [`CLAIM_LEASE_SECS`].
    pub lease_secs: Option<i64>,
    /// The organisation ids the deployment calls its own: a grant to everyone
    /// fenced to another organisation is then reported
    /// (`detections::common::organizations`). `None`: every organisation fence
    /// counts as private.
    pub own_organizations: Option<Arc<[String]>>,
}

impl Settings {
    /// The settings of a replay: event time, and past heartbeat gaps are
    /// `pipeline-silent` findings.
    pub fn for_replay() -> Settings {
        Settings {
            gaps_are_silences: true,
            clock: Clock::EventTime,
            ..Settings::default()
        }
    }

    pub fn lease_secs(&self) -> i64 {
        self.lease_secs.unwrap_or(CLAIM_LEASE_SECS)
    }

    /// The clocks for handling a record whose `eventTime` is `event_time_ms`
    /// at wall-clock time `wall`.
    pub fn now_at(&self, event_time_ms: Option<i64>, wall: i64) -> Now {
        match self.clock {
            Clock::Wall => Now::live(wall),
            Clock::EventTime => {
                Now::event_time(event_time_ms.map_or(wall, |t| t.div_euclid(1000)), wall)
            }
        }
    }
}

/// Why handling a record failed. Either way the record must be retried.
#[derive(Debug)]
pub enum HandleError {
    Store(StoreError),
    Notify(NotifyError),
    /// Another delivery holds the finding's lease (it may yet fail or die): the
    /// retry, once the lease is confirmed or has lapsed, knows.
    Leased {
        key: String,
        until: i64,
    },
    /// Some of an event's findings were decided (`decided`: delivered, held or
    /// suppressed), `failed` others were not, the first for `first`: the
    /// invocation fails so that the retry delivers those (the decided ones are
    /// claimed and not sent again). One finding that fails on every attempt (a
    /// destination refusing it) holds none of the others back.
    Partly {
        decided: Vec<Finding>,
        failed: usize,
        first: Box<HandleError>,
    },
    /// A finding one destination refused (`cause`) and another took this time:
    /// it is published (logged and counted as such), and the invocation fails so
    /// that the retry takes it to the one that refused.
    Unfinished {
        published: Box<Finding>,
        cause: NotifyError,
    },
}

impl HandleError {
    /// The error itself, or for [`HandleError::Partly`] the first finding's.
    pub fn first_cause(&self) -> &HandleError {
        match self {
            HandleError::Partly { first, .. } => first.first_cause(),
            other => other,
        }
    }

    /// Gathers the failures of an event's findings, each tried in turn: `Ok`
    /// when none failed, the one error alone when nothing else was decided.
    fn gather(
        mut decided: Vec<Finding>,
        failures: Vec<HandleError>,
    ) -> Result<Vec<Finding>, HandleError> {
        // A finding that reached some of its destinations is published: it is
        // among the decided ones, and its failure stays one.
        let failures: Vec<HandleError> = failures
            .into_iter()
            .map(|f| match f {
                HandleError::Unfinished { published, cause } => {
                    decided.push(*published);
                    HandleError::Notify(NotifyError(format!(
                        "{} (its other destinations took it)",
                        cause.0
                    )))
                }
                other => other,
            })
            .collect();
        let failed = failures.len();
        let mut failures = failures.into_iter();
        match failures.next() {
            None => Ok(decided),
            Some(first) if decided.is_empty() && failed == 1 => Err(first),
            Some(first) => Err(HandleError::Partly {
                decided,
                failed,
                first: Box::new(first),
            }),
        }
    }
}

impl std::fmt::Display for HandleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HandleError::Store(e) => e.fmt(f),
            HandleError::Notify(e) => e.fmt(f),
            HandleError::Unfinished { cause, .. } => {
                write!(f, "{cause} (its other destinations took it)")
            }
            HandleError::Leased { key, until } => write!(
                f,
                "finding claim {:?} is leased by another delivery until {until} (epoch s); \
                 retry after it",
                crate::sanitize::one_line(key, 200)
            ),
            // Every finding delivered, a step after them failed (the heartbeat
            // check's arming, a window the store failed).
            HandleError::Partly {
                decided,
                failed: 0,
                first,
            } => write!(
                f,
                "{first} (after {} finding(s) delivered or decided)",
                decided.len()
            ),
            HandleError::Partly {
                decided,
                failed,
                first,
            } => write!(
                f,
                "{failed} finding(s) not delivered everywhere ({} delivered somewhere or \
                 decided; one a destination took counts in both): {first}",
                decided.len()
            ),
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
    /// Which of `detections` a record is routed to.
    routes: Routes,
    settings: Settings,
    /// `eventTime` (epoch ms) of the first record a first-seen detection took,
    /// for `learn_secs`.
    first_time_ms: std::sync::OnceLock<i64>,
    /// First-seen sightings recorded without a finding, inside the learning span.
    learned: std::sync::atomic::AtomicU64,
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
        Engine {
            routes: Routes::new(&detections),
            detections,
            settings,
            first_time_ms: std::sync::OnceLock::new(),
            learned: std::sync::atomic::AtomicU64::new(0),
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

    /// True when some detection could match the record: the cheap test that lets
    /// a function answer "ignored" without running any.
    pub fn wants(&self, rec: &Record<'_>) -> bool {
        self.routes.wants(rec)
    }

    /// The detections a record is routed to, each once, in catalogue order.
    fn candidates(&self, rec: &Record<'_>) -> std::borrow::Cow<'_, [usize]> {
        self.routes.candidates(rec)
    }

    /// `wants` on the raw JSON of a record or envelope: `false` only when its
    /// routing fields could be read exactly and no detection takes them.
    pub fn wants_json(&self, json: &[u8]) -> bool {
        let Some(p) = crate::event::prefilter::peek(json) else {
            return true;
        };
        self.routes
            .routed(p.event_source, p.event_name, p.user_agent, p.root)
            .any(|i| self.detections[i].may_match_raw(&p, json))
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
        match self.apply(Some(rec), self.prepare(rec), store, now).await {
            (_, Some(e)) => Err(e),
            (pending, None) => Ok(pending),
        }
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
        self.handle_prepared(Some(rec), self.prepare(rec), store, notifier, now)
            .await
    }

    /// [`Engine::handle`] for a record prepared by [`Engine::prepare`] (on any
    /// thread): the same findings, delivered the same way, under the tuning it
    /// was prepared with. The record itself may be left out (`None`) when the
    /// preparation does not [`Prepared::needs_record`].
    pub async fn handle_prepared<S: Store + ?Sized, N: Notifier + ?Sized>(
        &self,
        rec: Option<&Record<'_>>,
        prepared: Prepared,
        store: &S,
        notifier: &N,
        now: i64,
    ) -> Result<Vec<Finding>, HandleError> {
        let event_time_ms = prepared.event_time_ms;
        let at = self.settings.now_at(event_time_ms, now);
        let tuning = prepared.tuning.clone();
        let (pending, step_failed) = self.apply(rec, prepared, store, at.valid).await;
        let today = self
            .settings
            .tuning_today
            .unwrap_or_else(|| tuning::day_of(now));
        let how = delivery::Deciding {
            tuning: tuning.as_deref(),
            today,
            at,
            event_time_ms,
        };
        // Every finding is tried, whatever befell another: one that a
        // destination refuses on every attempt must not keep the others from
        // theirs (the invocation still fails, so that the retry tries it again).
        let outcomes = self.decide_all(pending, how, store, notifier).await;
        let (mut delivered, mut failures) = (Vec::new(), Vec::new());
        for outcome in outcomes {
            match outcome {
                Ok(Some(f)) => delivered.push(f),
                Ok(None) => {}
                Err(e) => failures.push(e),
            }
        }
        // A failed step is no finding left undelivered: it is told as a step
        // that failed after the findings went out (`failed: 0`).
        match (HandleError::gather(delivered, failures), step_failed) {
            (result, None) | (result @ Err(_), Some(_)) => result,
            (Ok(decided), Some(e)) if decided.is_empty() => Err(HandleError::Store(e)),
            (Ok(decided), Some(e)) => Err(HandleError::Partly {
                decided,
                failed: 0,
                first: Box::new(HandleError::Store(e)),
            }),
        }
    }
}

impl Engine {
    /// How many first-seen sightings were learnt (recorded, not reported) inside
    /// the learning span (`--learn`, a backtest's `learn_until`).
    pub fn learned(&self) -> u64 {
        self.learned.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A first-seen finding about a record (whose `eventTime` is
    /// `event_time_ms`) inside the learning span. The span starts at the first
    /// record a first-seen detection takes: not at the first record handled,
    /// which would depend on what the prefilter skips (`--strict` skips
    /// nothing) and on the other detections enabled.
    fn learning(&self, p: &Pending, event_time_ms: Option<i64>) -> bool {
        let Some(t) = event_time_ms else {
            return false;
        };
        let first_seen = self.detections.iter().any(|d| {
            d.meta().id == p.finding.detection_id
                && matches!(d.meta().window, Some(WindowSpec::FirstSeen { .. }))
        });
        if !first_seen {
            return false;
        }
        // A span of zero learns nothing (from a review: records dated before
        // the first one were learnt). In a longer span, records dated before
        // the first one are older history still, and are learnt too.
        let by_span = self.settings.learn_secs.is_some_and(|span| {
            let first = *self.first_time_ms.get_or_init(|| t);
            span > 0 && t < first.saturating_add(span.saturating_mul(1000))
        });
        by_span || self.settings.learn_until_ms.is_some_and(|until| t < until)
    }
}

/// How far a first-seen term's history may lag its last sighting before a new
/// sighting moves it (`Store::extend`): a term is new when it was not seen in the
/// last N days, to within this; a term seen every minute costs one extra write a
/// day, not one per sighting.
pub const FIRST_SEEN_REFRESH_SLACK_SECS: i64 = 86_400;

#[cfg(test)]
mod tests {
    //! The first-seen primitive, with a detection made for the test.
    use super::delivery::CONFIRM_ATTEMPTS;
    use super::*;
    use crate::detection::{Evidence, Meta, Severity, Signal, Trigger};
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
        evidence: "",
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

    /// The history counts from the last sighting, not the first: a term seen
    /// every six days stays known however long it goes on; unseen for eleven
    /// days it is new again. A sighting within a day of the last move costs no
    /// write.
    #[test]
    fn a_term_seen_within_its_history_stays_known() {
        let engine = Engine::with_detections([&NewCaller as &dyn Detection], Settings::default());
        let store = MemoryStore::default();
        let day = 86_400;
        let mut fired = Vec::new();
        for (i, d) in [0, 6, 12, 18, 24].into_iter().enumerate() {
            let id = i.to_string();
            fired.extend(run(
                &engine,
                &store,
                &[(&id, "2026-01-01T00:00:00Z", "alice")],
                NOW + d * day,
            ));
        }
        assert_eq!(fired, [true, false, false, false, false]);
        let again = run(
            &engine,
            &store,
            &[("9", "2026-01-01T00:00:00Z", "alice")],
            NOW + 35 * day,
        );
        assert_eq!(again, [true], "unseen for eleven days");
        // Within the slack the history does not move: the write is saved.
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let key = crate::window::partition_key("n", "test-new-caller", "arn:aws:iam::1:user/alice");
        let at = Now::live(NOW + 35 * day + 3_600);
        let moved = rt.block_on(store.extend(
            &key,
            NOW + 45 * day + 3_600,
            FIRST_SEEN_REFRESH_SLACK_SECS,
            at,
        ));
        assert_eq!(moved, Ok(false));
    }

    /// Live, a record dated far ahead of the clock (forged: CloudTrail stamps
    /// its own time) keeps its first-seen term for the history's days from now,
    /// not from its date: a term of 2099 no longer stays known until then.
    #[test]
    fn a_term_dated_far_ahead_is_kept_from_now() {
        let engine = Engine::with_detections([&NewCaller as &dyn Detection], Settings::default());
        let store = MemoryStore::default();
        let day = 86_400;
        let forged = run(
            &engine,
            &store,
            &[("f", "2099-01-01T00:00:00Z", "alice")],
            NOW,
        );
        assert_eq!(forged, [true]);
        let real = run(
            &engine,
            &store,
            &[("r", "2026-01-12T00:00:00Z", "alice")],
            NOW + 11 * day,
        );
        assert_eq!(real, [true], "ten days of history from now, not from 2099");
    }

    /// `candidates` lends a route's list as it is: each must hold every detection
    /// once, in catalogue order, as the merged lists are.
    #[test]
    fn route_lists_are_in_catalogue_order_each_once() {
        let engine = Engine::new(Settings::default());
        let by_event = engine.routes.by_event.values().flatten();
        for (_, list) in by_event.chain(&engine.routes.by_source) {
            assert!(list.windows(2).all(|w| w[0] < w[1]), "{list:?}");
        }
    }

    /// Calls made as root reach `root-user-activity` from any source, whether the
    /// record is parsed or only peeked at; other identities and the sign-in
    /// service's events do not.
    #[test]
    fn root_calls_are_routed_whatever_their_source() {
        let engine = Engine::new(Settings::default());
        let root_detection = engine
            .detections
            .iter()
            .position(|d| d.meta().id == "root-user-activity")
            .unwrap();
        let call = |source: &str, name: &str, identity: &str| {
            format!(
                r#"{{"eventSource":"{source}","eventName":"{name}","eventTime":"2026-01-01T00:00:00Z",
                "userIdentity":{{"type":"{identity}","arn":"arn:aws:iam::1:root","accountId":"1"}}}}"#
            )
        };
        let routed = |json: &str| {
            let rec = Record::from_json(json).unwrap();
            let parsed = engine.candidates(&rec).contains(&root_detection);
            assert_eq!(
                engine.wants(&rec),
                parsed || !engine.candidates(&rec).is_empty()
            );
            (parsed, engine.wants_json(json.as_bytes()))
        };
        let rare = call("sqs.amazonaws.com", "ListQueueTags", "Root");
        assert_eq!(routed(&rare), (true, true));
        assert_eq!(routed(&rare.replace("Root", "IAMUser")), (false, false));
        let sign_in = call("signin.amazonaws.com", "ConsoleLogin", "Root");
        assert!(!routed(&sign_in).0);
    }

    /// `--learn` counts from the first record a first-seen detection takes; a
    /// backtest's `learn_until`
    /// is a fixed time, whatever order records come in.
    #[test]
    fn learning_records_terms_without_firing() {
        let by_span = Settings {
            learn_secs: Some(86_400),
            ..Settings::default()
        };
        let until = Settings {
            learn_until_ms: crate::event::time::parse_event_time("2026-01-02T00:00:00Z"),
            ..Settings::default()
        };
        type Case<'a> = (Settings, &'a [(&'a str, &'a str, &'a str)], &'a [bool]);
        let cases: [Case<'_>; 2] = [
            (
                by_span,
                &[
                    ("1", "2026-01-01T00:00:00Z", "alice"),
                    ("2", "2026-01-01T12:00:00Z", "bob"),
                    ("3", "2026-01-02T00:00:01Z", "alice"),
                    ("4", "2026-01-02T00:00:01Z", "carol"),
                ],
                &[false, false, false, true],
            ),
            (
                until,
                &[
                    ("1", "2026-01-02T00:00:00Z", "carol"),
                    ("2", "2026-01-01T12:00:00Z", "bob"),
                    ("3", "2026-01-01T23:59:59Z", "alice"),
                    ("4", "2026-01-02T00:00:01Z", "alice"),
                    ("5", "2026-01-02T00:00:02Z", "bob"),
                ],
                &[true, false, false, false, false],
            ),
        ];
        for (settings, records, want) in cases {
            let engine = Engine::with_detections([&NewCaller as &dyn Detection], settings);
            let fired = run(&engine, &MemoryStore::default(), records, NOW);
            assert_eq!(fired, want);
        }
    }

    /// The learning span starts at the first record a first-seen detection
    /// takes, not at an earlier one that only reached the engine (`--strict`
    /// hands every record over; by default the prefilter drops this one).
    #[test]
    fn learning_starts_at_the_first_record_a_first_seen_detection_takes() {
        let settings = Settings {
            learn_secs: Some(86_400),
            ..Settings::default()
        };
        let engine = Engine::with_detections([&NewCaller as &dyn Detection], settings);
        let store = MemoryStore::default();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let other = r#"{"eventSource":"kms.amazonaws.com","eventName":"Decrypt","eventID":"0",
            "eventTime":"2026-01-01T00:00:00Z","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/x"}}"#;
        let rec = Record::from_json(other).unwrap();
        let handled = rt.block_on(engine.handle(&rec, &store, &Collect::default(), NOW));
        assert!(handled.unwrap().is_empty());
        let records = [
            ("1", "2026-01-02T12:00:00Z", "alice"),
            ("2", "2026-01-03T11:59:59Z", "bob"),
            ("3", "2026-01-03T12:00:00Z", "carol"),
        ];
        assert_eq!(run(&engine, &store, &records, NOW), [false, false, true]);
    }

    /// From a review: `--learn 0` learns nothing, not even records dated
    /// before the first; a longer span learns those as older history.
    #[test]
    fn a_span_of_zero_learns_nothing_and_a_longer_one_learns_older_records() {
        let records = [
            ("1", "2026-01-02T00:00:00Z", "alice"),
            ("2", "2026-01-01T00:00:00Z", "bob"),
            ("3", "2026-01-04T00:00:00Z", "carol"),
        ];
        for (days, want) in [(0, [true, true, true]), (1, [false, false, true])] {
            let settings = Settings {
                learn_secs: Some(days * 86_400),
                ..Settings::default()
            };
            let engine = Engine::with_detections([&NewCaller as &dyn Detection], settings);
            assert_eq!(
                run(&engine, &MemoryStore::default(), &records, NOW),
                want,
                "{days} days"
            );
        }
    }

    #[test]
    fn in_event_time_a_term_unseen_for_its_history_fires_again() {
        // The wall clock stands still (a replay of last year's records): only
        // event time can tell that ten days have passed.
        // Seen on day 5, the term is known until day 15: unseen after that, it
        // is new again on day 16.
        let records = [
            ("1", "2025-01-01T00:00:00Z", "alice"),
            ("2", "2025-01-06T00:00:00Z", "alice"),
            ("3", "2025-01-17T00:00:01Z", "alice"),
            ("4", "2025-01-18T00:00:00Z", "alice"),
        ];
        let replay = Settings {
            clock: Clock::EventTime,
            ..Settings::default()
        };
        let engine = Engine::with_detections([&NewCaller as &dyn Detection], replay);
        let fired = run(&engine, &MemoryStore::default(), &records, NOW);
        assert_eq!(fired, [true, false, true, false]);
        // Live, the same records at one wall-clock instant fire once.
        let engine = Engine::with_detections([&NewCaller as &dyn Detection], Settings::default());
        let fired = run(&engine, &MemoryStore::default(), &records, NOW);
        assert_eq!(fired, [true, false, false, false]);
    }

    #[test]
    fn a_delivery_that_died_holding_its_lease_is_retried_once_it_lapses() {
        let engine = Engine::with_detections([&NewCaller as &dyn Detection], Settings::default());
        let store = MemoryStore::default();
        let json = record("1", "2026-01-01T00:00:00Z", "alice");
        let rec = Record::from_json(&json).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        // An invocation took the lease and died before publishing.
        let pending = rt.block_on(engine.evaluate(&rec, &store, NOW)).unwrap();
        let key = &pending[0].claim.key;
        let dead = rt
            .block_on(delivery::lease(
                &store,
                key,
                &[],
                Now::live(NOW),
                CLAIM_LEASE_SECS,
            ))
            .unwrap();
        assert!(dead.is_some());
        // A retry within the lease fails (the finding may still be on its way).
        let sink = Collect::default();
        let early = rt.block_on(engine.handle(&rec, &store, &sink, NOW + CLAIM_LEASE_SECS - 1));
        assert!(
            matches!(early, Err(HandleError::Leased { .. })),
            "{early:?}"
        );
        assert!(sink.take().is_empty());
        // Once it lapses, the retry delivers, exactly once.
        let later = NOW + CLAIM_LEASE_SECS;
        assert_eq!(
            rt.block_on(engine.handle(&rec, &store, &sink, later))
                .unwrap()
                .len(),
            1
        );
        assert!(
            rt.block_on(engine.handle(&rec, &store, &sink, later + 1))
                .unwrap()
                .is_empty()
        );
        assert_eq!(sink.take().len(), 1);
    }

    struct Failing;
    impl Notifier for Failing {
        async fn notify(&self, _: &Finding) -> Result<(), NotifyError> {
            Err(NotifyError("down".into()))
        }
    }

    /// Refuses one detection's findings on every attempt (a destination that
    /// refuses them: Security Hub switched off, a deleted chat topic), sends
    /// the others to its sink.
    struct RefusesOne(&'static str, Collect);
    impl Notifier for RefusesOne {
        async fn notify(&self, f: &Finding) -> Result<(), NotifyError> {
            if f.detection_id == self.0 {
                return Err(NotifyError("refused".into()));
            }
            self.1.notify(f).await
        }
    }

    /// A StopLogging call: two findings (`cloudtrail-important-change`,
    /// `cloudtrail-log-suspended`).
    const STOP_BY_MALLORY: &str = r#"{"eventVersion":"1.09","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging",
        "eventID":"stop-1","eventTime":"2026-01-01T00:00:00Z","awsRegion":"us-east-1",
        "recipientAccountId":"111122223333","sourceIPAddress":"203.0.113.50","userAgent":"aws-cli/2.15.0",
        "userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/mallory",
        "accountId":"111122223333","userName":"mallory"},"requestParameters":{"name":"trail"}}"#;

    /// From a review: one finding refused on every attempt held back the
    /// event's later findings at every retry, until the event went to the
    /// dead-letter queue. Every finding is tried; the invocation fails, naming
    /// how many were not delivered, and each retry sends only those.
    #[test]
    fn a_finding_refused_every_time_does_not_hold_the_others_back() {
        let engine = Engine::new(Settings::default());
        let store = MemoryStore::default();
        let rec = Record::from_json(STOP_BY_MALLORY).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let fired: Vec<&str> = rt
            .block_on(engine.handle(&rec, &MemoryStore::default(), &Collect::default(), NOW))
            .unwrap()
            .iter()
            .map(|f| f.detection_id)
            .collect();
        assert_eq!(
            fired,
            ["cloudtrail-important-change", "cloudtrail-log-suspended"]
        );
        let refusing = RefusesOne("cloudtrail-important-change", Collect::default());
        for attempt in 0..3 {
            match rt.block_on(engine.handle(&rec, &store, &refusing, NOW + attempt)) {
                Err(HandleError::Partly {
                    decided,
                    failed,
                    first,
                }) => {
                    assert_eq!(
                        attempt, 0,
                        "only the first attempt has another finding to send"
                    );
                    assert_eq!(failed, 1);
                    assert_eq!(decided[0].detection_id, "cloudtrail-log-suspended");
                    assert!(first.to_string().contains("refused"), "{first}");
                }
                Err(HandleError::Notify(e)) => assert!(attempt > 0 && e.0 == "refused", "{e}"),
                other => panic!("attempt {attempt}: {other:?}"),
            }
        }
        let sent: Vec<&str> = refusing.1.take().iter().map(|f| f.detection_id).collect();
        assert_eq!(
            sent,
            ["cloudtrail-log-suspended"],
            "sent once, not at every retry"
        );
    }

    /// A destination that refuses until it is told to take findings, named.
    struct Destination {
        name: &'static str,
        refuses: std::sync::atomic::AtomicBool,
        took: Collect,
    }
    impl Destination {
        fn new(name: &'static str, refuses: bool) -> Destination {
            Destination {
                name,
                refuses: refuses.into(),
                took: Collect::default(),
            }
        }
    }
    impl Notifier for Destination {
        async fn notify(&self, f: &Finding) -> Result<(), NotifyError> {
            if self.refuses.load(std::sync::atomic::Ordering::SeqCst) {
                return Err(NotifyError(format!("{} refused", self.name)));
            }
            self.took.notify(f).await
        }
        fn destinations(&self) -> Vec<&'static str> {
            vec![self.name]
        }
    }

    /// From a review: with several destinations, one that refuses failed the
    /// invocation and each retry sent the finding again to those that had
    /// taken it. Each delivery is recorded on its own: the retries send it to
    /// the refusing one alone, and once it takes it, nothing more goes out.
    #[test]
    fn a_retry_sends_a_finding_only_where_it_was_refused() {
        use crate::notify::Then;
        let engine = Engine::new(Settings::default());
        let store = MemoryStore::default();
        let rec = Record::from_json(STOP_BY_MALLORY).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let chain = Then(
            Destination::new("security-hub", true),
            Then(
                None::<Destination>,
                Destination::new("findings-topic", false),
            ),
        );
        assert_eq!(chain.destinations(), ["security-hub", "findings-topic"]);
        for attempt in 0..3 {
            let e = rt
                .block_on(engine.handle(&rec, &store, &chain, NOW + attempt))
                .unwrap_err();
            assert!(e.to_string().contains("security-hub refused"), "{e}");
            // From a review: the first attempt published both findings (the
            // topic took them), so they are decided, to be logged and counted
            // (the health topic's alarms count them); the retries publish
            // nothing new.
            let HandleError::Partly {
                decided, failed, ..
            } = &e
            else {
                panic!("attempt {attempt}: {e:?}");
            };
            assert_eq!(*failed, 2, "attempt {attempt}");
            let expected = if attempt == 0 { 2 } else { 0 };
            assert_eq!(decided.len(), expected, "attempt {attempt}: {decided:?}");
        }
        let count = |d: &Destination| d.took.0.lock().unwrap().len();
        assert_eq!(
            count(&chain.1.1),
            2,
            "each of the two findings once, not at every retry"
        );
        assert_eq!(count(&chain.0), 0);
        chain
            .0
            .refuses
            .store(false, std::sync::atomic::Ordering::SeqCst);
        let delivered = rt
            .block_on(engine.handle(&rec, &store, &chain, NOW + 3))
            .unwrap();
        // Finished, not published anew: the first attempt published (and
        // counted) them, so they are marked not to be counted again (from a
        // review: counted again here).
        assert_eq!(delivered.len(), 2);
        assert!(delivered.iter().all(|f| f.finished_late), "{delivered:?}");
        assert_eq!((count(&chain.0), count(&chain.1.1)), (2, 2));
        // Delivered everywhere: a later copy of the event sends nothing.
        assert!(
            rt.block_on(engine.handle(&rec, &store, &chain, NOW + 4))
                .unwrap()
                .is_empty()
        );
        assert_eq!((count(&chain.0), count(&chain.1.1)), (2, 2));
    }

    /// From a review: after a partial failure gave a window's claim back, a
    /// later record could make the burst's earliest full span start a bucket
    /// sooner; its claim (guarded by the given-back one) was taken, and the
    /// destinations that had taken the burst got it again under the new key.
    /// A destination's claim carries the finding's guards as its own.
    #[test]
    fn a_burst_reclaimed_under_an_adjacent_bucket_goes_only_where_it_was_refused() {
        use crate::notify::Then;
        use crate::window::{Claim, Lifetime};
        let store = MemoryStore::default();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let chain = Then(
            Destination::new("security-hub", false),
            Destination::new("findings-topic", true),
        );
        let pending = |bucket: i64| Pending {
            finding: crate::render::ocsf::tests::finding(crate::render::ocsf::tests::STOP),
            claim: Claim {
                key: format!("c|burst|{bucket}"),
                guards: vec![
                    format!("c|burst|{}", bucket - 1),
                    format!("c|burst|{}", bucket + 1),
                ],
                lifetime: Lifetime::For(3600),
            },
            matched: Vec::new(),
            beyond_tuning: false,
            reported: None,
        };
        let at = Now::live(NOW);
        let deliver = |p: &Pending| rt.block_on(delivery::deliver(&store, &chain, p, at, 60));
        assert!(deliver(&pending(10)).is_err(), "the topic refuses");
        chain
            .1
            .refuses
            .store(false, std::sync::atomic::Ordering::SeqCst);
        // Finished where it was refused: published (and counted) by the first
        // attempt, so not again.
        assert!(matches!(deliver(&pending(9)), Ok(Some(sent)) if !sent.first));
        let count = |d: &Destination| d.took.0.lock().unwrap().len();
        assert_eq!((count(&chain.0), count(&chain.1)), (1, 1), "each once");
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
    /// Counts `CreateUser` calls per caller: a window on the call `NewCaller`
    /// also takes.
    struct CountsCreations;
    static COUNTS_CREATIONS: Meta = Meta {
        id: "test-counts-creations",
        window: Some(WindowSpec::Distinct {
            window_secs: 300,
            min_distinct: 2,
            repeats: crate::detection::Repeats::OnlyNew,
            values: crate::detection::Countable::Open,
        }),
        ..NEW_CALLER
    };
    impl Detection for CountsCreations {
        fn meta(&self) -> &'static Meta {
            &COUNTS_CREATIONS
        }
        fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
            Some(Signal::Distinct {
                group: crate::event::actor_key(rec).to_owned(),
                value: rec.event_id()?.to_owned(),
                evidence: Evidence::new(),
            })
        }
    }

    /// A store that cannot write observations (a throttled window partition).
    struct WindowsDown(MemoryStore);
    impl crate::state::Wrapper for WindowsDown {
        type Inner = MemoryStore;
        fn inner(&self) -> &MemoryStore {
            &self.0
        }
        async fn put(
            &self,
            _: &str,
            _: crate::state::Observation,
            _: i64,
        ) -> Result<(), crate::state::StoreError> {
            Err(crate::state::StoreError::new("throttled"))
        }
    }

    /// From a review: a window step the store failed held back every finding of
    /// its event, the others' included, on every retry while it failed. They are
    /// delivered, and the invocation fails so that the retry takes the window
    /// again.
    #[test]
    fn a_failed_window_step_holds_back_no_other_finding_of_its_event() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let engine = Engine::with_detections(
            [&NewCaller as &dyn Detection, &CountsCreations],
            Settings::default(),
        );
        let store = WindowsDown(MemoryStore::default());
        let sink = Collect::default();
        let json = record("1", "2026-01-01T00:00:00Z", "alice");
        let rec = Record::from_json(&json).unwrap();
        match rt.block_on(engine.handle(&rec, &store, &sink, NOW)) {
            Err(HandleError::Partly {
                decided,
                failed,
                first,
            }) => {
                assert_eq!(decided.len(), 1);
                assert_eq!(decided[0].detection_id, "test-new-caller");
                assert_eq!(failed, 0, "a failed step is no undelivered finding");
                assert!(first.to_string().contains("throttled"), "{first}");
            }
            other => panic!("expected the window's failure beside a delivery, got {other:?}"),
        }
        assert_eq!(sink.take().len(), 1, "the first-seen finding went out");
        // The retry sends nothing twice, and fails again while the store does.
        assert!(matches!(
            rt.block_on(engine.handle(&rec, &store, &sink, NOW)),
            Err(HandleError::Store(_))
        ));
        assert!(sink.take().is_empty());
    }

    /// A store that refuses every claim: for good (`refused`: a table policy
    /// denying the function), or for now.
    struct ClaimsRefused {
        inner: MemoryStore,
        refused: bool,
        /// Only claims whose key starts so (a deny on some leading keys).
        only: &'static str,
    }
    impl crate::state::Wrapper for ClaimsRefused {
        type Inner = MemoryStore;
        fn inner(&self) -> &MemoryStore {
            &self.inner
        }
        async fn claim(
            &self,
            key: &str,
            guards: &[String],
            take: crate::state::Take<'_>,
            now: Now,
        ) -> Result<crate::state::Claimed, crate::state::StoreError> {
            if !key.starts_with(self.only) {
                return self.inner.claim(key, guards, take, now).await;
            }
            let cause = "DynamoDB PutItem (claim) on table t failed: AccessDeniedException: no";
            Err(if self.refused {
                crate::state::StoreError::refused(cause.into())
            } else {
                crate::state::StoreError::new("throttled")
            })
        }
    }

    /// From a review of delivery under faults: a table that refuses the
    /// function for good (a policy denying it) kept every finding from going
    /// out, the one about that policy among them. The finding is sent without
    /// a claim and the invocation fails (the failed-events queue and its alarm
    /// see the event); a store failing for now sends nothing, as before.
    #[test]
    fn a_store_refusing_for_good_does_not_silence_a_finding() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let engine = Engine::with_detections([&NewCaller as &dyn Detection], Settings::default());
        let rec_json = record("1", "2026-01-01T00:00:00Z", "alice");
        let rec = Record::from_json(&rec_json).unwrap();
        let sink = Collect::default();
        let store = ClaimsRefused {
            inner: MemoryStore::default(),
            refused: true,
            only: "",
        };
        match rt.block_on(engine.handle(&rec, &store, &sink, NOW)) {
            Err(HandleError::Partly { decided, first, .. }) => {
                assert_eq!(decided.len(), 1, "counted as published");
                assert!(
                    first.to_string().contains("sent without a claim")
                        && first.to_string().contains("AccessDeniedException"),
                    "{first}"
                );
            }
            other => panic!("expected a failure beside the finding sent, got {other:?}"),
        }
        assert_eq!(sink.take().len(), 1, "the finding went out");
        let store = ClaimsRefused {
            inner: MemoryStore::default(),
            refused: false,
            only: "",
        };
        assert!(matches!(
            rt.block_on(engine.handle(&rec, &store, &sink, NOW)),
            Err(HandleError::Store(_))
        ));
        assert!(
            sink.take().is_empty(),
            "a store failing for now: the retry sends it"
        );
    }

    /// From an adversarial review of that fallback: with several destinations
    /// a deny on their claims alone (`t|...`) still kept the finding from every
    /// one; and with the whole table denied and one destination refusing, the
    /// finding the other took was not counted as published (the tampering and
    /// silence alarms count them).
    #[test]
    fn refused_claims_keep_no_destination_from_a_finding() {
        use crate::notify::Then;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let engine = Engine::new(Settings::default());
        let rec = Record::from_json(STOP_BY_MALLORY).unwrap();
        for only in ["t|", ""] {
            let store = ClaimsRefused {
                inner: MemoryStore::default(),
                refused: true,
                only,
            };
            let chain = Then(
                Destination::new("chat-topic", false),
                Destination::new("findings-topic", false),
            );
            let e = rt
                .block_on(engine.handle(&rec, &store, &chain, NOW))
                .unwrap_err();
            assert!(
                e.to_string().contains("sent without a claim"),
                "{only:?}: {e}"
            );
            let HandleError::Partly { decided, .. } = &e else {
                panic!("{only:?}: {e:?}");
            };
            let sent = chain.0.took.take().len();
            assert!(sent > 0, "{only:?}: nothing reached the chat topic");
            assert_eq!(chain.1.took.take().len(), sent, "{only:?}");
            assert_eq!(decided.len(), sent, "{only:?}: counted as published");
        }
        // The whole table denied and one destination refusing: the other's
        // copy is published, and counted so.
        let store = ClaimsRefused {
            inner: MemoryStore::default(),
            refused: true,
            only: "",
        };
        let chain = Then(
            Destination::new("chat-topic", true),
            Destination::new("findings-topic", false),
        );
        let e = rt
            .block_on(engine.handle(&rec, &store, &chain, NOW))
            .unwrap_err();
        let HandleError::Partly { decided, .. } = &e else {
            panic!("{e:?}");
        };
        let sent = chain.1.took.take().len();
        assert!(sent > 0 && decided.len() == sent, "{e}");
        assert!(e.to_string().contains("chat-topic refused"), "{e}");
        assert!(
            !e.to_string().contains("notification: notification:"),
            "{e}"
        );
    }

    /// A store whose confirmations fail `failures` times first.
    struct FlakyConfirm {
        inner: MemoryStore,
        failures: std::sync::atomic::AtomicUsize,
    }

    impl crate::state::Wrapper for FlakyConfirm {
        type Inner = MemoryStore;
        fn inner(&self) -> &MemoryStore {
            &self.inner
        }
        async fn confirm(
            &self,
            key: &str,
            lease: &crate::state::Lease,
            expires_at: i64,
        ) -> Result<bool, crate::state::StoreError> {
            use std::sync::atomic::Ordering::SeqCst;
            if self
                .failures
                .fetch_update(SeqCst, SeqCst, |n| n.checked_sub(1))
                .is_ok()
            {
                return Err(crate::state::StoreError::new("throttled"));
            }
            self.inner.confirm(key, lease, expires_at).await
        }
    }

    /// From a review: a confirmation refused for a moment is tried again, so
    /// the lease does not lapse into a second delivery of the finding by a
    /// later event; refused every time, the delivery still stands.
    #[test]
    fn a_refused_confirmation_is_tried_again() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let engine = Engine::with_detections([&NewCaller as &dyn Detection], Settings::default());
        let (first, later) = (
            record("1", "2026-01-01T00:00:00Z", "alice"),
            record("2", "2026-01-01T00:10:00Z", "alice"),
        );
        for (failures, again) in [(2, 0), (CONFIRM_ATTEMPTS as usize, 1)] {
            let store = FlakyConfirm {
                inner: MemoryStore::default(),
                failures: failures.into(),
            };
            let out = Collect::default();
            let handle = |json: &str, now: i64| {
                let rec = Record::from_json(json).unwrap();
                rt.block_on(engine.handle(&rec, &store, &out, now))
                    .unwrap()
                    .len()
            };
            assert_eq!(
                handle(&first, NOW),
                1,
                "delivered whatever the confirmation did"
            );
            // Ten minutes on, the lease has lapsed: the term is held only if
            // it was confirmed.
            assert_eq!(handle(&later, NOW + 600), again, "{failures} refusals");
        }
    }

    /// A heartbeat canary of account 444455556666 in `region`, at `at` (epoch s).
    fn canary(id: &str, region: &str, at: i64) -> String {
        format!(
            r#"{{"eventSource":"ssm.amazonaws.com","eventName":"PutParameter","eventID":"{id}",
            "eventTime":"{}","recipientAccountId":"444455556666","awsRegion":"{region}",
            "requestParameters":{{"name":"trailwatch-canary","overwrite":true}}}}"#,
            crate::event::time::format_event_time(at * 1000)
        )
    }

    /// An engine of `pipeline-restored` alone, an empty store and a runtime.
    fn heartbeat_engine() -> (Engine, MemoryStore, tokio::runtime::Runtime) {
        let restored = crate::catalog::by_id("pipeline-restored").unwrap();
        let engine = Engine::with_detections([restored], Settings::default());
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        (engine, MemoryStore::default(), rt)
    }

    /// From a review: a canary dated ahead of the wall clock (forged, by invoking
    /// the function directly) is not taken, so it cannot keep its pair heard and
    /// turn the real canaries away as out of date.
    #[test]
    fn a_canary_from_the_future_is_not_taken() {
        let (engine, store, rt) = heartbeat_engine();
        let handle = |id: &str, at: i64, now: i64| {
            let json = canary(id, "sa-east-1", at);
            let rec = Record::from_json(&json).unwrap();
            rt.block_on(engine.handle(&rec, &store, &Collect::default(), now))
                .unwrap()
                .len()
        };
        assert_eq!(handle("c1", NOW, NOW), 0, "the first canary");
        assert_eq!(handle("forged", NOW + 10 * 86_400, NOW + 60), 0);
        // An hour of silence, then a real canary: restored, as if the forged
        // one had never come.
        assert_eq!(handle("c2", NOW + 3_600, NOW + 3_600), 1);
    }

    /// The bound is `MAX_CANARY_AHEAD_SECS` (300 s) exactly: a canary 301 s
    /// ahead of the clock is not recorded, one 300 s ahead (a clock's skew) is.
    #[test]
    fn a_canary_at_most_five_minutes_ahead_is_taken() {
        use crate::heartbeat::{MAX_CANARY_AHEAD_SECS, PARTITION};
        use crate::state::Store;
        let (engine, store, rt) = heartbeat_engine();
        let last_heard = |id: &str, at: i64, now: i64| {
            let json = canary(id, "sa-east-1", at);
            let rec = Record::from_json(&json).unwrap();
            rt.block_on(engine.handle(&rec, &store, &Collect::default(), now))
                .unwrap();
            let heard = rt.block_on(store.members(PARTITION, now)).unwrap();
            assert_eq!(heard.len(), 1, "{heard:?}");
            heard[0].1 / 1000
        };
        assert_eq!(MAX_CANARY_AHEAD_SECS, 300);
        assert_eq!(last_heard("c1", NOW, NOW), NOW);
        assert_eq!(last_heard("c2", NOW + 60 + 301, NOW + 60), NOW, "ignored");
        assert_eq!(
            last_heard("c3", NOW + 60 + 300, NOW + 60),
            NOW + 360,
            "at the bound"
        );
    }

    /// A pair the scheduled check armed (expected, never heard from) is
    /// restored by its first canary once the threshold has passed since the
    /// arming, once, and rebuilt by the retry of a failed delivery; one armed
    /// more recently, or never armed, is not.
    #[test]
    fn an_expected_pair_never_heard_from_is_restored_by_its_first_canary() {
        use crate::heartbeat::{arm, member};
        use serde_json::Value;
        let (engine, store, rt) = heartbeat_engine();
        let (quiet, recent) = (
            member("444455556666", "sa-east-1"),
            member("444455556666", "eu-west-1"),
        );
        rt.block_on(arm(&store, &[quiet, recent], NOW)).unwrap();
        let first = canary("c-sa", "sa-east-1", NOW + 3_600);
        let rec = Record::from_json(&first).unwrap();
        assert!(
            rt.block_on(engine.handle(&rec, &store, &Failing, NOW + 3_600))
                .is_err(),
            "a restoration that cannot be delivered fails the invocation"
        );
        let out = Collect::default();
        let found = rt
            .block_on(engine.handle(&rec, &store, &out, NOW + 3_660))
            .unwrap();
        assert_eq!(found.len(), 1, "the retry builds it again");
        let evidence = &found[0].evidence;
        assert_eq!(evidence.get("never_heard"), Some(&Value::Bool(true)));
        assert_eq!(
            evidence.get("silent_from").and_then(Value::as_str),
            Some("2026-01-01T00:00:00Z"),
            "measured from the arming"
        );
        assert!(
            rt.block_on(engine.handle(&rec, &store, &out, NOW + 3_720))
                .unwrap()
                .is_empty(),
            "once"
        );
        for (region, at) in [("eu-west-1", NOW + 600), ("us-east-1", NOW + 3_600)] {
            let json = canary(&format!("c-{region}"), region, at);
            let rec = Record::from_json(&json).unwrap();
            assert!(
                rt.block_on(engine.handle(&rec, &store, &out, at))
                    .unwrap()
                    .is_empty(),
                "{region}: armed within the threshold, or never armed"
            );
        }
    }
}
