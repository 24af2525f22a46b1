//! The engine in two halves. [`Engine::prepare`] runs the detections on a record
//! and builds everything that depends on the record alone: stateless findings,
//! window observations with their payloads, first-seen terms. `Engine::apply`
//! then consults the store, in input order. The Lambda functions do both at once
//! ([`Engine::handle`]); replay prepares records on its reader threads, so that
//! the one thread that must keep input order only does the state's share.

use std::sync::Arc;

use super::Engine;
use crate::detection::{Detection, Evidence, Meta, Side, Signal, WindowSpec};
use crate::event::Record;
use crate::finding::Finding;
use crate::state::keys;
use crate::state::{Observation, Payload, Store, StoreError};
use crate::tuning::{DetectionTuning, Mode, Tuning};
use crate::window::{self, Claim, GroupKey, Lifetime, Pending};

/// The detections' verdicts on one record before the store is read, in
/// catalogue order, and the tuning they were reached under.
#[derive(Debug)]
pub struct Prepared {
    steps: Vec<Step>,
    pub(super) tuning: Option<Arc<Tuning>>,
    /// The record's `eventTime` in epoch milliseconds: all the store's half
    /// needs of the record unless [`Prepared::needs_record`].
    pub(super) event_time_ms: Option<i64>,
    /// A windowed or correlated detection took the record but could not place
    /// it: it has no readable `eventTime`.
    unplaced: bool,
    /// A heartbeat detection took the record, a canary under another prefix:
    /// its parameter's name (replay says so at the end).
    foreign_canary: Option<String>,
}

impl Prepared {
    /// Whether `Engine::apply` needs the record itself: a first-seen or
    /// heartbeat finding is built from it there. Windows and pairs build theirs
    /// from their observations, stateless findings are built already.
    pub fn needs_record(&self) -> bool {
        self.steps
            .iter()
            .any(|s| matches!(s, Step::FirstSeen { .. } | Step::Beat { .. }))
    }

    /// A windowed or correlated detection took the record, which has no
    /// readable `eventTime`, so no window could count it (replay says so).
    pub fn unplaced(&self) -> bool {
        self.unplaced
    }

    /// The parameter of a canary under another prefix than this deployment's
    /// (`heartbeat::foreign_canary`), when a heartbeat detection took the record.
    pub fn foreign_canary(&self) -> Option<&str> {
        self.foreign_canary.as_deref()
    }

    /// The tuning the record was prepared under; `Engine::apply` applies the
    /// same one, even if the engine's has been replaced since.
    pub fn tuning(&self) -> Option<&Tuning> {
        self.tuning.as_deref()
    }
}

/// One detection's verdict. `matched`: the tuning's suppression entries that
/// matched the record.
#[derive(Debug)]
enum Step {
    /// Decided on the record alone (a stateless detection).
    Ready(Box<Pending>),
    Distinct {
        meta: &'static Meta,
        /// (window seconds, distinct values needed), overrides applied.
        spec: (i64, usize),
        claim_is_final: bool,
        key: GroupKey,
        obs: Observation,
    },
    Pair {
        meta: &'static Meta,
        gap_secs: i64,
        key: GroupKey,
        side: Side,
        obs: Observation,
    },
    FirstSeen {
        meta: &'static Meta,
        days: i64,
        term: String,
        evidence: Evidence,
        matched: Vec<String>,
    },
    Beat {
        meta: &'static Meta,
        member: String,
        evidence: Evidence,
        matched: Vec<String>,
        silence_secs: i64,
        lookback_days: i64,
        live_on_gap: bool,
        /// False when the tuning switched the detection off: the beat is
        /// recorded, nothing is reported.
        report: bool,
    },
}

impl Step {
    /// A window or pair step: it waits on the store, and may run beside others.
    fn is_window(&self) -> bool {
        matches!(self, Step::Distinct { .. } | Step::Pair { .. })
    }

    /// The partition a window or pair step writes to.
    fn partition(&self) -> Option<&str> {
        match self {
            Step::Distinct { key, .. } | Step::Pair { key, .. } => Some(key.partition()),
            _ => None,
        }
    }
}

/// Two steps of `run` write to one partition. One record's observations there
/// share a sort key (its time and event id), so the second replaces the first:
/// side by side, which one stays would depend on timing. No detection does this
/// today (each names a resource once); such a run goes one step after another.
fn repeats_a_partition(run: &[Step]) -> bool {
    let mut seen = std::collections::HashSet::with_capacity(run.len());
    run.iter()
        .filter_map(Step::partition)
        .any(|p| !seen.insert(p))
}

/// What a window stores about `rec` (see [`window::observation`]); `None` for a
/// record without an event time, which cannot be placed in a window.
fn observe(
    rec: &Record<'_>,
    value: String,
    evidence: Evidence,
    matched: &[String],
    last: &mut Option<Payload>,
) -> Option<Observation> {
    let time_ms = rec.event_time_ms()?;
    Some(window::observation(
        rec, time_ms, value, evidence, matched, last,
    ))
}

/// A stateless finding's claim: its own id's, for a day.
fn record_claim(finding: &Finding) -> Claim {
    Claim {
        key: format!("{}|{}", keys::FINDING_CLAIM, finding.finding_id),
        guards: Vec::new(),
        lifetime: Lifetime::For(super::CLAIM_TTL_SECS),
    }
}

impl Engine {
    /// Runs every routed detection on `rec` under the tuning in force, without
    /// the store. Safe on any thread.
    pub fn prepare(&self, rec: &Record<'_>) -> Prepared {
        let tuning = self.tuning();
        let mut steps = Vec::new();
        // The record's last window payload, shared by windows that store the same.
        let mut payload = None;
        let mut unplaced = false;
        let mut heartbeat_routed = false;
        let t = tuning.as_deref();
        // Only when configured: a scope costs two thread-local writes a record.
        let _organizations = self
            .settings
            .own_organizations
            .as_ref()
            .map(|ids| crate::detections::common::organizations::in_scope(Some(ids)));
        for &i in self.candidates(rec).iter() {
            let det = self.detections[i];
            let meta = det.meta();
            let tuned = t.and_then(|t| t.detection(meta.id));
            let off = tuned.is_some_and(|d| d.mode == Mode::Off) && !det.beyond_tuning(rec);
            // A heartbeat detection switched off still records its canaries:
            // the scheduled check reads them whatever the tuning says, and
            // without them it would report every pair silent, then forget
            // them all (from a review).
            let heartbeat = matches!(meta.window, Some(WindowSpec::Heartbeat { .. }));
            heartbeat_routed |= heartbeat;
            if off && !heartbeat {
                continue;
            }
            let Some(signal) = det.evaluate(rec) else {
                continue;
            };

            let window_override = tuned
                .and_then(|d| d.window_secs)
                .or_else(|| self.settings.window_overrides.get(meta.id).copied());
            // Most detections give one signal; a call naming several resources may
            // give one per resource (`Detection::further_signals`).
            for signal in std::iter::once(signal).chain(det.further_signals(rec)) {
                // A tuning entry's `evidence.<key>` is checked against the
                // declared keys: a key written but not declared would be refused.
                debug_assert_eq!(
                    meta.undeclared_evidence(&signal),
                    Vec::<&str>::new(),
                    "{}: evidence keys not in its metadata",
                    meta.id
                );
                // A burst in one record is judged at the built-in threshold or
                // the one in force if lower: a threshold raised for a window's
                // noise must not hide a wipe done in calls of many (from a
                // review: six calls of forty instances under a threshold of
                // fifty were nothing). Below the bar, one value of the window.
                // Looked up for batches only: windows see most of the traffic.
                let signal = match (&signal, meta.window) {
                    (Signal::Batch { .. }, Some(WindowSpec::Distinct { min_distinct, .. })) => {
                        let bar = self
                            .threshold(meta, tuned)
                            .map_or(min_distinct, |t| t.min(min_distinct));
                        signal.below_threshold(bar)
                    }
                    _ => signal,
                };
                // Per signal: an entry may match the evidence (`evidence.<key>`),
                // which differs between a call's resources.
                let matched = match t {
                    Some(t) if t.has_entries_for(meta.id) => {
                        t.matching(meta.id, rec, signal.evidence())
                    }
                    _ => Vec::new(),
                };
                let windowed = matches!(
                    signal,
                    Signal::Distinct { .. } | Signal::Pair { .. } | Signal::Batch { .. }
                );
                match self.step(
                    det,
                    tuned,
                    t,
                    rec,
                    signal,
                    &matched,
                    window_override,
                    &mut payload,
                ) {
                    Some(mut step) => {
                        if let Step::Beat { report, .. } = &mut step {
                            *report = !off;
                        }
                        steps.push(step)
                    }
                    None => unplaced |= windowed && rec.event_time_ms().is_none(),
                }
            }
        }
        Prepared {
            steps,
            tuning,
            event_time_ms: rec.event_time_ms(),
            unplaced,
            foreign_canary: heartbeat_routed
                .then(|| crate::heartbeat::foreign_canary(rec))
                .flatten(),
        }
    }

    /// The threshold in force of a distinct-count detection: the tuning file's,
    /// else the configured override, else the built-in. `None` for other kinds.
    fn threshold(&self, meta: &Meta, tuned: Option<&DetectionTuning>) -> Option<usize> {
        let Some(WindowSpec::Distinct { min_distinct, .. }) = meta.window else {
            return None;
        };
        Some(
            tuned
                .and_then(|d| d.threshold)
                .or_else(|| self.settings.threshold_overrides.get(meta.id).copied())
                .unwrap_or(min_distinct),
        )
    }

    /// The step one signal of `det` on `rec` asks for; `None` when it asks for none
    /// (a window's record without an event time, or a signal its window spec does
    /// not take).
    #[allow(clippy::too_many_arguments)]
    fn step(
        &self,
        det: &dyn Detection,
        tuned: Option<&DetectionTuning>,
        t: Option<&Tuning>,
        rec: &Record<'_>,
        signal: Signal,
        matched: &[String],
        window_override: Option<i64>,
        payload: &mut Option<Payload>,
    ) -> Option<Step> {
        let meta = det.meta();
        let step = match (signal, meta.window) {
            (Signal::Fire(evidence), _) => {
                let mut finding = Finding::from_record(meta, rec, evidence);
                finding.severity = det.severity_for(rec);
                if let Some(key) = det.finding_key(rec) {
                    finding.finding_id = crate::finding::finding_id(&[meta.id, &key]);
                } else if let Some(id) =
                    crate::finding::cross_account_finding_id(meta, rec, finding.severity)
                {
                    finding.finding_id = id;
                }
                let claim = record_claim(&finding);
                Step::Ready(Box::new(Pending {
                    finding,
                    claim,
                    matched: matched.to_vec(),
                    beyond_tuning: t.is_some() && det.beyond_tuning(rec),
                    reported: None,
                }))
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
                    ..
                }),
            ) => {
                let obs = observe(rec, value, evidence, matched, payload)?;
                let threshold = self.threshold(meta, tuned).unwrap_or(min_distinct);
                // Shadowed and suppressed findings take claims of their own.
                let claim_is_final = t
                    .is_none_or(|t| t.mode(meta.id) != Mode::Shadow && !t.has_entries_for(meta.id));
                Step::Distinct {
                    meta,
                    spec: (window_override.unwrap_or(window_secs), threshold),
                    claim_is_final,
                    key: GroupKey::new(meta.id, group),
                    obs,
                }
            }
            // A burst in one record (at or above the bar: see `prepare`): a
            // finding now, under a claim shared by one caller's such records of
            // the built-in window, so that a run of them is one finding (from a
            // review: an autoscaler's twenty calls of twelve instances were
            // twenty); the finding names the run's first call. Without an event
            // time, the record's own claim.
            (
                Signal::Batch { group, alone, .. },
                Some(WindowSpec::Distinct { window_secs, .. }),
            ) => {
                let mut finding = Finding::from_record(meta, rec, alone);
                finding.severity = det.severity_for(rec);
                // One caller's run: the session and its network, within the
                // group (another session of the role is another run).
                let caller = crate::detections::common::joined(
                    &[
                        &group,
                        crate::event::actor_key(rec),
                        &crate::detections::common::source_network(rec).unwrap_or_default(),
                    ],
                    '|',
                );
                let claim = match rec.event_time_ms() {
                    Some(time_ms) => window::bucket_claim(
                        keys::BATCH_CLAIM,
                        meta,
                        &caller,
                        window_secs,
                        self.settings.window,
                        time_ms,
                    ),
                    None => record_claim(&finding),
                };
                Step::Ready(Box::new(Pending {
                    finding,
                    claim,
                    matched: matched.to_vec(),
                    beyond_tuning: t.is_some() && det.beyond_tuning(rec),
                    reported: None,
                }))
            }
            (
                Signal::Pair {
                    key,
                    side,
                    evidence,
                },
                Some(WindowSpec::Sequence { max_gap_secs }),
            ) => {
                let value = side.name().to_owned();
                let obs = observe(rec, value, evidence, matched, payload)?;
                Step::Pair {
                    meta,
                    gap_secs: window_override.unwrap_or(max_gap_secs),
                    key: GroupKey::new(meta.id, key),
                    obs,
                    side,
                }
            }
            (Signal::FirstSeen { term, evidence }, Some(WindowSpec::FirstSeen { days })) => {
                Step::FirstSeen {
                    meta,
                    days,
                    term,
                    evidence,
                    matched: matched.to_vec(),
                }
            }
            (
                Signal::Beat { member, evidence },
                Some(WindowSpec::Heartbeat {
                    silence_secs,
                    lookback_days,
                    live_on_gap,
                }),
            ) => Step::Beat {
                meta,
                member,
                evidence,
                matched: matched.to_vec(),
                silence_secs,
                lookback_days,
                live_on_gap,
                report: true,
            },
            // A stateful signal from a detection without a matching window spec
            // is a programming error caught by the catalogue tests; never fire
            // on it.
            _ => return None,
        };
        Some(step)
    }

    /// The store's half: windows, pairs and heartbeats of a prepared record.
    /// Returns the findings with their claims; nothing is delivered yet. `now`
    /// is the validity clock (epoch seconds), used for expiry. `rec` may be
    /// `None` only if the preparation does not [`Prepared::needs_record`]. With
    /// the findings, the first error of a step the store failed, if any.
    pub(super) async fn apply<S: Store + ?Sized>(
        &self,
        rec: Option<&Record<'_>>,
        prepared: Prepared,
        store: &S,
        now: i64,
    ) -> (Vec<Pending>, Option<StoreError>) {
        let mut out = Vec::new();
        let mut failed: Option<StoreError> = None;
        // A step the store failed is noted and the others go on: the findings
        // they and the stateless detections built are delivered, then the
        // invocation fails so that the retry takes the failed step again (from
        // a review: one throttled window held back every finding of its event).
        macro_rules! or_next {
            ($e:expr) => {
                match $e {
                    Ok(v) => v,
                    Err(e) => {
                        failed.get_or_insert(e);
                        continue;
                    }
                }
            };
        }
        let prepared_time = prepared.event_time_ms;
        // One heartbeat write per record, shared by the heartbeat detections.
        let mut beat: Option<(String, crate::state::Beat)> = None;
        let at_once = store.steps_at_once().max(1);
        let mut steps = prepared.steps.into_iter().peekable();
        while let Some(step) = steps.next() {
            match step {
                Step::Ready(p) => out.push(*p),
                step @ (Step::Distinct { .. } | Step::Pair { .. }) => {
                    // One after another (the in-memory store, or a lone step): no
                    // stream to build for it on replay's busiest path.
                    if at_once == 1 || !steps.peek().is_some_and(Step::is_window) {
                        out.extend(or_next!(self.window_step(step, store, now).await));
                        continue;
                    }
                    // This step and the window steps right after it (one per
                    // resource the record names) go to the store together, their
                    // findings kept in step order.
                    let mut run = vec![step];
                    run.extend(std::iter::from_fn(|| steps.next_if(Step::is_window)));
                    let at_once = if repeats_a_partition(&run) {
                        1
                    } else {
                        at_once
                    };
                    let steps_run: Vec<_> = run
                        .into_iter()
                        .map(|step| self.window_step(step, store, now))
                        .collect();
                    for found in super::at_once::in_order(steps_run, at_once).await {
                        out.extend(or_next!(found));
                    }
                }
                Step::FirstSeen {
                    meta,
                    days,
                    term,
                    evidence,
                    matched,
                } => {
                    // Never without the record: see `needs_record`.
                    let Some(rec) = rec else { continue };
                    let mut p = window::first_seen(meta, days, rec, &term, evidence, now);
                    p.matched = matched;
                    out.push(p);
                }
                Step::Beat {
                    meta,
                    member,
                    evidence,
                    matched,
                    silence_secs,
                    lookback_days,
                    live_on_gap,
                    report,
                } => {
                    // Never without the record: see `needs_record`.
                    let (Some(rec), Some(t)) = (rec, prepared_time) else {
                        continue;
                    };
                    // Under event time `now` is the record's own: only a live
                    // canary can be ahead of it.
                    if t.div_euclid(1000)
                        > now.saturating_add(crate::heartbeat::MAX_CANARY_AHEAD_SECS)
                    {
                        #[cfg(feature = "lambda")]
                        tracing::warn!(
                            member = crate::sanitize::one_line(&member, 100),
                            ahead_secs = t.div_euclid(1000) - now,
                            "a canary dated ahead of the clock is ignored: CloudTrail does not \
                             write one, so it was forged (the function invoked directly?)"
                        );
                        continue;
                    }
                    let b = match &beat {
                        Some((m, b)) if *m == member => *b,
                        _ => {
                            let expires = now.max(t / 1000) + lookback_days * 86_400;
                            let b = or_next!(
                                store
                                    .beat(crate::heartbeat::PARTITION, &member, t, expires, now)
                                    .await
                            );
                            beat = Some((member.clone(), b));
                            b
                        }
                    };
                    if !report {
                        continue;
                    }
                    let silence = self.settings.silence_secs.unwrap_or(silence_secs);
                    let previous = match b {
                        crate::state::Beat::After(previous) => previous,
                        // A pair's first canary (within the lookback) ends the
                        // silence the scheduled check measured from arming it:
                        // an expected pair never heard from, or one back after
                        // the lookback. Live only (a replay arms nothing).
                        crate::state::Beat::First if live_on_gap => {
                            match or_next!(crate::heartbeat::armed_since(store, &member, now).await)
                            {
                                Some(since) if since < t => since,
                                _ => continue,
                            }
                        }
                        _ => continue,
                    };
                    let never_heard = !matches!(b, crate::state::Beat::After(_));
                    if t - previous <= silence.saturating_mul(1000)
                        || !(live_on_gap || self.settings.gaps_are_silences)
                    {
                        continue;
                    }
                    let mut evidence = evidence;
                    evidence
                        .0
                        .extend(crate::heartbeat::gap_evidence(&member, previous, t).0);
                    if never_heard {
                        evidence = evidence.with("never_heard", true);
                    }
                    let mut finding = Finding::from_record(meta, rec, evidence);
                    finding.event_time.first =
                        Some(crate::event::time::format_event_time(previous));
                    let claim = record_claim(&finding);
                    out.push(Pending {
                        finding,
                        claim,
                        matched,
                        beyond_tuning: false,
                        reported: None,
                    });
                }
            }
        }
        (out, failed)
    }

    /// The store's half of one window or pair step: the findings it completes.
    async fn window_step<S: Store + ?Sized>(
        &self,
        step: Step,
        store: &S,
        now: i64,
    ) -> Result<Vec<Pending>, StoreError> {
        let window = self.settings.window;
        match step {
            Step::Distinct {
                meta,
                spec,
                claim_is_final,
                key,
                obs,
            } => Ok(window::observe_distinct(
                store,
                meta,
                spec,
                claim_is_final,
                window,
                &key,
                obs,
                now,
            )
            .await?
            .into_iter()
            .collect()),
            Step::Pair {
                meta,
                gap_secs,
                key,
                side,
                obs,
            } => window::observe_pair(store, meta, gap_secs, window, &key, side, obs, now).await,
            // Only window steps are handed here (`Step::is_window`).
            Step::Ready(_) | Step::FirstSeen { .. } | Step::Beat { .. } => Ok(Vec::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Settings;
    use crate::event::OwnedRecord;
    use crate::notify::Collect;
    use crate::state::MemoryStore;

    fn call(n: usize, source: &str, name: &str) -> String {
        format!(
            r#"{{"eventVersion":"1.09","eventSource":"{source}.amazonaws.com","eventName":"{name}",
            "eventTime":"2026-05-04T10:{n:02}:00Z","eventID":"e-{n}","awsRegion":"us-east-1",
            "recipientAccountId":"111122223333","sourceIPAddress":"198.51.100.9",
            "userAgent":"Boto3/1.34.1","requestParameters":{{"name":"trail"}},
            "userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/eve",
            "accountId":"111122223333","principalId":"AIDAEXAMPLE","userName":"eve"}}}}"#
        )
    }

    /// Replay prepares records on reader threads and hands them to the engine's
    /// thread, without the record itself unless the preparation needs it: a
    /// window, a stateless and a first-seen finding come out as `handle` makes
    /// them.
    #[test]
    fn records_prepared_on_another_thread_give_the_findings_of_handle() {
        let calls = [
            ("iam", "GetAccountAuthorizationDetails"),
            ("iam", "GetAccountSummary"),
            ("iam", "ListAccessKeys"),
            ("iam", "ListAttachedUserPolicies"),
            ("iam", "ListGroups"),
            ("iam", "ListPolicies"),
            ("iam", "ListRoles"),
            ("iam", "ListUsers"),
            ("sts", "GetCallerIdentity"),
            ("s3", "ListBuckets"),
            ("ec2", "DescribeInstances"),
            ("ec2", "DescribeKeyPairs"),
            ("cloudtrail", "StopLogging"),
            ("ec2", "DescribeRegions"),
            ("ec2", "CreateKeyPair"),
        ];
        let records: Vec<String> = calls
            .iter()
            .enumerate()
            .map(|(n, (source, name))| call(n, source, name))
            .collect();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let now = 1_800_000_000;

        let engine = Engine::new(Settings::for_replay());
        let (store, out) = (MemoryStore::default(), Collect::default());
        let mut direct = Vec::new();
        for json in &records {
            let rec = Record::from_json(json).unwrap();
            direct.extend(rt.block_on(engine.handle(&rec, &store, &out, now)).unwrap());
        }

        let engine = Engine::new(Settings::for_replay());
        let prepared: Vec<(OwnedRecord, Prepared)> = std::thread::scope(|s| {
            s.spawn(|| {
                records
                    .iter()
                    .map(|json| {
                        let rec = OwnedRecord::parse(json.clone()).unwrap();
                        let p = engine.prepare(rec.record());
                        (rec, p)
                    })
                    .collect()
            })
            .join()
            .unwrap()
        });
        let (store, out) = (MemoryStore::default(), Collect::default());
        let mut handed = Vec::new();
        let mut without_record = 0;
        for (rec, p) in prepared {
            // What `Ahead::PrepareOnly` hands over.
            let rec = if p.needs_record() {
                Some(rec.record())
            } else {
                without_record += 1;
                None
            };
            let found = engine.handle_prepared(rec, p, &store, &out, now);
            handed.extend(rt.block_on(found).unwrap());
        }
        assert_eq!(without_record, records.len() - 1);

        let ids = |f: &[Finding]| -> Vec<String> {
            f.iter().map(|f| f.detection_id.to_string()).collect()
        };
        assert!(ids(&direct).contains(&"discovery-sweep-by-principal".to_string()));
        assert!(ids(&direct).contains(&"cloudtrail-log-suspended".to_string()));
        assert!(ids(&direct).contains(&"ec2-keypair-created-by-new-principal".to_string()));
        assert_eq!(
            serde_json::to_string(&handed).unwrap(),
            serde_json::to_string(&direct).unwrap()
        );
    }

    /// `count` instances terminated by one call `n` minutes (and `n` seconds) after
    /// 10:00, ids unique to the call.
    fn terminate(n: usize, count: usize) -> String {
        let ids: Vec<String> = (0..count)
            .map(|i| format!(r#"{{"instanceId":"i-{n:04}{i:013x}"}}"#))
            .collect();
        format!(
            r#"{{"eventVersion":"1.09","eventSource":"ec2.amazonaws.com","eventName":"TerminateInstances",
            "eventTime":"2026-05-04T10:{m:02}:{n:02}Z","eventID":"t-{n}","awsRegion":"us-east-1",
            "recipientAccountId":"111122223333","sourceIPAddress":"198.51.100.9","userAgent":"Boto3/1.34.1",
            "requestParameters":{{"instancesSet":{{"items":[{ids}]}}}},"responseElements":null,
            "userIdentity":{{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/karpenter/node-1",
            "accountId":"111122223333","principalId":"AROAEXAMPLE:node-1",
            "sessionContext":{{"sessionIssuer":{{"type":"Role","arn":"arn:aws:iam::111122223333:role/karpenter","userName":"karpenter"}}}}}}}}"#,
            m = n / 3,
            ids = ids.join(",")
        )
    }

    fn burst_findings(settings: Settings, calls: &[String]) -> Vec<Finding> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let engine = Engine::new(settings);
        let (store, out) = (MemoryStore::default(), Collect::default());
        let mut found = Vec::new();
        for json in calls {
            let rec = Record::from_json(json).unwrap();
            found.extend(
                rt.block_on(engine.handle(&rec, &store, &out, 1_800_000_000))
                    .unwrap(),
            );
        }
        found.retain(|f| f.detection_id == "ec2-instances-terminated-burst");
        found
    }

    /// From a review: an autoscaler's twenty calls of twelve instances within
    /// eight minutes were twenty findings, one per call. A call that is a burst on
    /// its own now takes a claim shared by the group's such calls (one finding for
    /// the run); the bar is the built-in threshold, or the one in force if lower
    /// (a raised threshold must not hide a wipe done in calls of many, from a
    /// review of the change); a burst the window counts keeps its own claim.
    #[test]
    fn a_run_of_calls_each_a_burst_is_one_finding() {
        let run: Vec<String> = (0..20).map(|n| terminate(n, 12)).collect();
        let found = burst_findings(Settings::for_replay(), &run);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[0].evidence.get("instance_count"),
            Some(&serde_json::json!(12))
        );

        // Tuned to fifty, calls of twelve are still bursts: one finding for the run.
        let fifty = || {
            let mut s = Settings::for_replay();
            s.threshold_overrides
                .insert("ec2-instances-terminated-burst".into(), 50);
            s
        };
        assert_eq!(burst_findings(fifty(), &run).len(), 1);
        let forties: Vec<String> = (0..6).map(|n| terminate(n, 40)).collect();
        assert_eq!(burst_findings(fifty(), &forties).len(), 1);

        // Tuned to five, a call of seven is a burst on its own.
        let mut five = Settings::for_replay();
        five.threshold_overrides
            .insert("ec2-instances-terminated-burst".into(), 5);
        assert_eq!(burst_findings(five, &[terminate(0, 7)]).len(), 1);
        assert_eq!(
            burst_findings(Settings::for_replay(), &[terminate(0, 7)]),
            Vec::new()
        );

        // Small calls that make a burst in the window, and a call that is one on
        // its own, minutes later: each is reported (another session of the same
        // role may be behind the small calls).
        let mut mixed: Vec<String> = (0..10).map(|n| terminate(n, 2)).collect();
        mixed.push(terminate(12, 15));
        assert_eq!(burst_findings(Settings::for_replay(), &mixed).len(), 2);

        // An hour later, the next run is reported again.
        let later = terminate(0, 12)
            .replace("T10:00:00Z", "T11:30:00Z")
            .replace("\"t-0\"", "\"t-late\"");
        assert_eq!(
            burst_findings(Settings::for_replay(), &[terminate(0, 12), later]).len(),
            2
        );

        // Another session of the same role, from elsewhere, minutes after the
        // autoscaler's run (a stolen token's wipe): reported beside it (from a
        // review of the claim shared by the role).
        let intruder = terminate(9, 300)
            .replace(
                "assumed-role/karpenter/node-1",
                "assumed-role/karpenter/stolen",
            )
            .replace("198.51.100.9", "203.0.113.50");
        let mut covered = run.clone();
        covered.push(intruder);
        assert_eq!(burst_findings(Settings::for_replay(), &covered).len(), 2);

        // Without an event time, the call's own claim, as before.
        let untimed = terminate(0, 12).replace("\"eventTime\":\"2026-05-04T10:00:00Z\",", "");
        assert_eq!(burst_findings(Settings::for_replay(), &[untimed]).len(), 1);
    }

    /// A memory store that makes every write and claim wait once, as a remote
    /// store's request does, and notes how many of each waited at the same time.
    struct Overlapping {
        inner: MemoryStore,
        at_once: usize,
        waiting: std::sync::atomic::AtomicUsize,
        most: std::sync::atomic::AtomicUsize,
        claiming: std::sync::atomic::AtomicUsize,
        most_claiming: std::sync::atomic::AtomicUsize,
    }

    impl Overlapping {
        fn new(at_once: usize) -> Self {
            Overlapping {
                inner: MemoryStore::default(),
                at_once,
                waiting: 0.into(),
                most: 0.into(),
                claiming: 0.into(),
                most_claiming: 0.into(),
            }
        }
    }

    /// Counts `under_way` up while `f` waits once, noting the most in `most`.
    async fn counted<T>(
        under_way: &std::sync::atomic::AtomicUsize,
        most: &std::sync::atomic::AtomicUsize,
        f: impl std::future::Future<Output = T>,
    ) -> T {
        use std::sync::atomic::Ordering::SeqCst;
        let n = under_way.fetch_add(1, SeqCst) + 1;
        most.fetch_max(n, SeqCst);
        tokio::task::yield_now().await;
        under_way.fetch_sub(1, SeqCst);
        f.await
    }

    impl crate::state::Wrapper for Overlapping {
        type Inner = MemoryStore;
        fn inner(&self) -> &MemoryStore {
            &self.inner
        }
        fn steps_at_once(&self) -> usize {
            self.at_once
        }
        async fn put(
            &self,
            partition: &str,
            obs: Observation,
            expires_at: i64,
        ) -> Result<(), StoreError> {
            let put = self.inner.put(partition, obs, expires_at);
            counted(&self.waiting, &self.most, put).await
        }
        async fn claim(
            &self,
            key: &str,
            guards: &[String],
            take: crate::state::Take<'_>,
            now: crate::state::Now,
        ) -> Result<crate::state::Claimed, StoreError> {
            let claim = self.inner.claim(key, guards, take, now);
            counted(&self.claiming, &self.most_claiming, claim).await
        }
    }

    /// A record naming many instances is one window step per instance: against
    /// a remote store they wait together (a thousand in a row outlasted the
    /// function's timeout on every retry, from a review), and the findings are
    /// those of one step after another, in the same order.
    /// An EC2 call by one IAM user, `minute` minutes into the hour.
    fn ec2(id: &str, minute: u32, name: &str, params: &str) -> String {
        format!(
            r#"{{"eventVersion":"1.09","eventSource":"ec2.amazonaws.com","eventName":"{name}",
            "eventTime":"2026-05-04T10:{minute:02}:00Z","eventID":"{id}","awsRegion":"us-east-1",
            "recipientAccountId":"111122223333","sourceIPAddress":"198.51.100.9",
            "userAgent":"Boto3/1.34.1","requestParameters":{params},
            "userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/eve",
            "accountId":"111122223333","principalId":"AIDAEXAMPLE","userName":"eve"}}}}"#
        )
    }

    /// The `requestParameters` of a call naming instances `i-00` to `i-<n-1>`.
    fn instances_set(n: usize) -> String {
        let instances: Vec<String> = (0..n)
            .map(|i| format!(r#"{{"instanceId":"i-{i:02}"}}"#))
            .collect();
        format!(
            r#"{{"instancesSet":{{"items":[{}]}}}}"#,
            instances.join(",")
        )
    }

    /// A user-data change of instance `i-<n>`.
    fn user_data_changed(id: &str, minute: u32, n: usize) -> String {
        let params = format!(r#"{{"instanceId":"i-{n:02}","userData":"<sensitiveDataRemoved>"}}"#);
        ec2(id, minute, "ModifyInstanceAttribute", &params)
    }

    /// Handles `records` in order against `store`: the findings `handle`
    /// returned, in their order, which the notifier also received (in the order
    /// their deliveries ended, which findings delivered together do not fix).
    fn run_on<S: Store>(engine: &Engine, store: &S, records: &[String]) -> Vec<Finding> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let out = Collect::default();
        let mut handled = Vec::new();
        for json in records {
            let rec = Record::from_json(json).unwrap();
            handled.extend(
                rt.block_on(engine.handle(&rec, store, &out, 1_800_000_000))
                    .unwrap(),
            );
        }
        let by_id = |mut f: Vec<Finding>| {
            f.sort_by(|a, b| a.finding_id.cmp(&b.finding_id));
            f
        };
        let notified: Vec<_> = out
            .take()
            .into_iter()
            .map(|mut f| {
                // What `handle` returns says how tuning decided; the notifier is
                // sent only what it notifies.
                f.disposition = None;
                f
            })
            .collect();
        let undecided: Vec<_> = handled
            .iter()
            .filter(|f| {
                f.disposition
                    .is_none_or(|d| d == crate::finding::Disposition::Notified)
            })
            .cloned()
            .map(|mut f| {
                f.disposition = None;
                f
            })
            .collect();
        assert_eq!(by_id(notified), by_id(undecided));
        handled
    }

    /// The user-data engine alone.
    fn user_data_engine() -> Engine {
        use crate::detections::ec2_stop_modify_user_data_start::Ec2StopModifyUserDataStart;
        Engine::with_detections(
            [&Ec2StopModifyUserDataStart as &dyn Detection],
            Settings::for_replay(),
        )
    }

    #[test]
    fn the_window_steps_of_one_record_wait_on_the_store_together() {
        let set = instances_set(40);
        let records = [
            ec2("stop", 0, "StopInstances", &set),
            user_data_changed("modify", 1, 7),
            user_data_changed("modify-2", 1, 31),
            ec2("start", 2, "StartInstances", &set),
        ];
        let engine = user_data_engine();
        let run = |store: &Overlapping| run_on(&engine, store, &records);
        let (one_by_one, together) = (Overlapping::new(1), Overlapping::new(16));
        let (expected, found) = (run(&one_by_one), run(&together));
        use std::sync::atomic::Ordering::SeqCst;
        assert_eq!(one_by_one.most.load(SeqCst), 1);
        assert_eq!(
            together.most.load(SeqCst),
            16,
            "sixteen of the forty steps waited together"
        );
        let instance = |f: &Finding| f.evidence.get("instance_id").map(ToString::to_string);
        assert_eq!(
            expected.iter().map(instance).collect::<Vec<_>>(),
            [
                Some(r#"["i-07"]"#.to_owned()),
                Some(r#"["i-31"]"#.to_owned())
            ]
        );
        assert_eq!(found, expected);
    }

    /// A record that makes many findings (one per instance it starts after a
    /// user-data change) has them delivered several at once against a remote
    /// store (a thousand, three requests each, one after another, outlasted the
    /// function's timeout on every retry, from a review), with the findings,
    /// and their order, of one after another. Under a tuning that collapses the
    /// detection's repeats they go one after another: which of them opens the
    /// dedup period must not depend on timing.
    #[test]
    fn the_findings_of_one_record_are_delivered_together() {
        let mut records = vec![ec2("stop", 0, "StopInstances", &instances_set(40))];
        records.extend((0..40).map(|n| user_data_changed(&format!("modify-{n}"), 1, n)));
        records.push(ec2("start", 2, "StartInstances", &instances_set(40)));
        let engine = user_data_engine();
        let (one_by_one, together) = (Overlapping::new(1), Overlapping::new(16));
        let expected = run_on(&engine, &one_by_one, &records);
        let found = run_on(&engine, &together, &records);
        use std::sync::atomic::Ordering::SeqCst;
        assert_eq!(expected.len(), 40);
        assert_eq!(one_by_one.most_claiming.load(SeqCst), 1);
        assert_eq!(
            together.most_claiming.load(SeqCst),
            16,
            "sixteen of the forty deliveries leased their claims together"
        );
        assert_eq!(found, expected);

        // A notifier whose output is its order takes them one after another.
        struct Lines(Collect);
        impl crate::notify::Notifier for Lines {
            async fn notify(&self, f: &Finding) -> Result<(), crate::notify::NotifyError> {
                self.0.notify(f).await
            }
            fn keeps_order(&self) -> bool {
                true
            }
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let (in_order, lines) = (Overlapping::new(16), Lines(Collect::default()));
        for json in &records {
            let rec = Record::from_json(json).unwrap();
            rt.block_on(engine.handle(&rec, &in_order, &lines, 1_800_000_000))
                .unwrap();
        }
        assert_eq!(in_order.most_claiming.load(SeqCst), 1);
        assert_eq!(lines.0.take(), expected, "in the findings' order");

        let collapsing = "[detections.ec2-stop-modify-user-data-start]\n\
                          dedup_secs = 3600\ndedup_by = [\"actor\"]\n";
        let tuning = crate::tuning::Tuning::parse(collapsing, "t.toml", 20_788).unwrap();
        engine.set_tuning(Some(Arc::new(tuning)));
        let (one_by_one, together) = (Overlapping::new(1), Overlapping::new(16));
        let expected = run_on(&engine, &one_by_one, &records);
        let found = run_on(&engine, &together, &records);
        assert_eq!(together.most_claiming.load(SeqCst), 1);
        let held = |f: &[Finding]| {
            f.iter()
                .filter(|f| f.disposition == Some(crate::finding::Disposition::HeldBack))
                .count()
        };
        assert_eq!((expected.len(), held(&expected)), (40, 39));
        assert_eq!(found, expected);
    }

    /// From a review: the heartbeat check's findings (one per silent account
    /// and Region) went out one after another; an outage silencing every member
    /// queued them into the check's timeout. They are delivered together, each
    /// once, as a record's are.
    #[test]
    fn findings_of_the_scheduled_check_are_delivered_together() {
        use crate::window::{Claim, Lifetime};
        use std::sync::atomic::Ordering::SeqCst;
        let pending = || -> Vec<crate::window::Pending> {
            (0..40)
                .map(|n| crate::window::Pending {
                    finding: crate::render::ocsf::tests::finding(crate::render::ocsf::tests::STOP),
                    claim: Claim {
                        key: format!("s|member-{n}"),
                        guards: Vec::new(),
                        lifetime: Lifetime::For(3600),
                    },
                    matched: Vec::new(),
                    beyond_tuning: false,
                    reported: None,
                })
                .collect()
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let (one_by_one, together) = (Overlapping::new(1), Overlapping::new(16));
        let out = Collect::default();
        let sent = |store: &Overlapping| {
            rt.block_on(crate::engine::deliver_all(
                store,
                &out,
                pending(),
                1_800_000_000,
                60,
            ))
            .unwrap()
            .len()
        };
        assert_eq!(sent(&one_by_one), 40);
        assert_eq!(one_by_one.most_claiming.load(SeqCst), 1);
        assert_eq!(sent(&together), 40);
        assert_eq!(together.most_claiming.load(SeqCst), 16);
        assert_eq!(out.take().len(), 80, "each once per store");
        // Again: every claim is held, nothing goes out twice.
        assert_eq!(sent(&together), 0);
    }
}
