//! The engine: routes a record to the detections that can match it, runs them, and
//! hands their findings to delivery (claim, notify, release on failure).

use std::collections::{HashMap, HashSet};

use crate::catalog;
use crate::detection::{Detection, Signal, Trigger, WindowSpec};
use crate::event::Record;
use crate::finding::Finding;
use crate::notify::{Notifier, NotifyError};
use crate::state::{Store, StoreError};
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
    pub window: WindowSettings,
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
                    Trigger::UserAgentPrefix(p) => by_user_agent.push((p, i)),
                }
            }
        }
        Engine {
            detections,
            by_event,
            by_source,
            by_user_agent,
            settings,
        }
    }

    pub fn detections(&self) -> &[&'static dyn Detection] {
        &self.detections
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
        let mut out = Vec::new();
        for i in self.candidates(rec) {
            let det = self.detections[i];
            let meta = det.meta();
            let Some(signal) = det.evaluate(rec) else {
                continue;
            };
            match (signal, meta.window) {
                (Signal::Fire(evidence), _) => {
                    let finding = Finding::from_record(meta, rec, evidence);
                    let claim = Claim {
                        key: format!("f|{}", finding.finding_id),
                        guards: Vec::new(),
                    };
                    out.push(Pending { finding, claim });
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
                    let w = self
                        .settings
                        .window_overrides
                        .get(meta.id)
                        .copied()
                        .unwrap_or(window_secs);
                    let spec = (w, min_distinct);
                    if let Some(p) = window::observe_distinct(
                        store,
                        meta,
                        spec,
                        self.settings.window,
                        rec,
                        &group,
                        &value,
                        &evidence,
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
                    let gap = self
                        .settings
                        .window_overrides
                        .get(meta.id)
                        .copied()
                        .unwrap_or(max_gap_secs);
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
                            now,
                        )
                        .await?,
                    );
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
    /// findings delivered by this call.
    pub async fn handle<S: Store + ?Sized, N: Notifier + ?Sized>(
        &self,
        rec: &Record<'_>,
        store: &S,
        notifier: &N,
        now: i64,
    ) -> Result<Vec<Finding>, HandleError> {
        let pending = self.evaluate(rec, store, now).await?;
        let mut delivered = Vec::new();
        for p in pending {
            if deliver(store, notifier, &p, now).await? {
                delivered.push(p.finding);
            }
        }
        Ok(delivered)
    }
}

/// Claims, notifies, and releases the claim on failure. `Ok(false)` when the
/// finding had already been delivered (its claim is held).
async fn deliver<S: Store + ?Sized, N: Notifier + ?Sized>(
    store: &S,
    notifier: &N,
    p: &Pending,
    now: i64,
) -> Result<bool, HandleError> {
    if !store
        .claim(&p.claim.key, &p.claim.guards, now + CLAIM_TTL_SECS, now)
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
