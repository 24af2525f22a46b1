//! `batch` mode: one manifest item through every detection.
//!
//! - Keys are read in manifest (key) order, a few downloads ahead of the engine.
//! - State is the run's: the backtest table under `backtest#<run-id>#`, shared by
//!   every batch of the run, so windows and pairs see records of other batches
//!   whatever order the batches run in (see docs/backtest.md).
//! - The clock is event time (`engine::Clock::EventTime`, and the store's
//!   `Validity::EventTime`): a record's expiries and the validity of what it
//!   reads are judged at its own `eventTime`, so last year's bursts are found and
//!   nothing depends on when a batch happens to run; TTL deletes the items a
//!   month after they were written (wall clock).
//! - A key that cannot be read for good (NoSuchKey, AccessDenied, an archived
//!   storage class, an object over `MAX_OBJECT_BYTES`, corrupt gzip, not JSON)
//!   and records that are not valid are
//!   listed in `<run-id>/failures/<batch>.jsonl`; the batch goes on. Any other
//!   failure (S3 or DynamoDB unavailable, throttled beyond the retries,
//!   SNS) fails the batch after giving back the claims it took, and the state
//!   machine retries it. So does running short of time: the batch stops a
//!   minute before the invocation's deadline rather than be killed.
//! - The batch takes its claims as their owner (`DynamoStore::with_owner`): a
//!   retry takes again whatever an earlier attempt of the same batch left
//!   taken (killed, out of memory, its give-back refused), so it writes the
//!   same findings; other batches find them held, as before.

use std::collections::VecDeque;

use serde::Deserialize;
use serde_json::{Value, json};
use tracing::{info, warn};

use super::claims::Recording;
use super::plan::{Key, RecordFilter, put};
use super::{Backtest, BacktestConfig, BacktestError, check_run_id};
use crate::engine::{Clock, Engine, Settings};
use crate::event::Record;
use crate::event::reader::{self, Limits, Location, Sink};
use crate::finding::{Disposition, Finding};
use crate::lambda::tuning::{Refresh, TuningSource};
use crate::notify::sns::SnsNotifier;
use crate::state::DynamoStore;
use crate::state::dynamodb::Validity;

/// Downloads in flight ahead of the key being processed.
const PREFETCH: usize = 4;

/// A batch stops this long before the invocation's deadline, fails, and gives
/// its claims back, so that the state machine's retry finds its findings again
/// and other batches may take them meanwhile. (Killed by Lambda's timeout
/// instead, it would leave them to its retry alone: see `with_owner`.) A minute
/// covers giving back a batch's claims (one DeleteItem each, a few hundred at
/// most) with room for slow requests.
pub const DEADLINE_MARGIN_MS: i64 = 60_000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchInput {
    pub run_id: String,
    pub batch: String,
    pub keys: Vec<Key>,
    /// Records outside it are not evaluated (the files at the edges of the run's
    /// days hold some).
    #[serde(default)]
    pub filter: RecordFilter,
    /// Also publish the findings to the configured topic.
    #[serde(default)]
    pub publish: bool,
}

/// Every key of the backtest table starts with this (IAM `dynamodb:LeadingKeys`).
pub const KEY_PREFIX: &str = "backtest#";

/// The key prefix of a run's items in the backtest table.
pub fn key_prefix(run_id: &str) -> String {
    format!("{KEY_PREFIX}{run_id}#")
}

pub fn findings_key(run_id: &str, batch: &str) -> String {
    format!("{run_id}/findings/{batch}.jsonl")
}

pub fn failures_key(run_id: &str, batch: &str) -> String {
    format!("{run_id}/failures/{batch}.jsonl")
}

/// The engine's settings in a backtest: what the live functions run (every
/// detection but the disabled ones), on the event-time clock. Past heartbeat gaps
/// are not reported: live, silences come from the scheduled check, not from
/// records, and batches that run out of order would misplace them.
pub fn settings(config: &BacktestConfig, filter: &RecordFilter) -> Settings {
    Settings {
        disabled: config.disabled.iter().cloned().collect(),
        own_organizations: config.own_organizations.clone(),
        clock: Clock::EventTime,
        learn_until_ms: filter.learn_until_ms,
        ..Settings::default()
    }
}

/// What one batch read and found.
#[derive(Default)]
struct Report {
    records: u64,
    /// Records read but outside the run's filter.
    outside: u64,
    findings: Vec<Finding>,
    /// JSON lines for the failures object.
    failures: Vec<String>,
    failed_keys: u64,
    rejected_records: u64,
    /// JSON values read that are not CloudTrail records (a digest file,
    /// another service's log in a day folder): listed among the failures, so
    /// that a batch of them does not succeed as if it had read a quiet day.
    not_cloudtrail: u64,
}

/// Why a key could not be fetched.
enum Fetch {
    /// Retrying will not help: reported, the batch goes on. `denied`: S3
    /// refused the key (AccessDenied), which fails a batch whose every key it
    /// refuses (see `process`).
    Unreadable { cause: String, denied: bool },
    /// S3 failed: the batch fails and is retried.
    Failed(String),
}

/// The largest object a batch reads: CloudTrail writes log files of a few MB
/// (compressed), so a larger object is not one of its files; it is reported
/// (refused on its announced length, before it is downloaded). Up to
/// `PREFETCH + 1` objects are in memory at once.
const MAX_OBJECT_BYTES: usize = 64 * 1024 * 1024;

async fn fetch(
    s3: crate::aws::s3::S3Client,
    (bucket, owner): (String, Option<String>),
    key: String,
) -> Result<Vec<u8>, Fetch> {
    use crate::aws::s3::{Got, S3Error};
    match s3
        .get_object(&bucket, &key, owner.as_deref(), None, MAX_OBJECT_BYTES)
        .await
    {
        Ok(Got::Object { body, .. }) => Ok(body),
        // Not asked for (no ETag was sent): an answer S3 does not give.
        Ok(Got::NotModified) => Err(Fetch::Failed("S3 GetObject: HTTP 304".to_owned())),
        Err(e @ S3Error::TooLarge(_)) => Err(Fetch::Unreadable {
            cause: format!("S3 GetObject: {e}"),
            denied: false,
        }),
        Err(e) => {
            let msg = format!("S3 GetObject: {e}");
            Err(match e.code() {
                Some(code @ ("AccessDenied" | "NoSuchKey" | "InvalidObjectState")) => {
                    Fetch::Unreadable {
                        cause: msg,
                        // Refused: not granted, or archived (from a review).
                        denied: code != "NoSuchKey",
                    }
                }
                _ => Fetch::Failed(msg),
            })
        }
    }
}

/// A download under way, aborted when dropped unawaited: a batch that stops
/// (failed, out of time) does not leave its downloads running into memory that
/// no one will read.
struct Download(tokio::task::JoinHandle<Result<Vec<u8>, Fetch>>);

impl Download {
    async fn join(mut self) -> Result<Result<Vec<u8>, Fetch>, tokio::task::JoinError> {
        (&mut self.0).await
    }
}

impl Drop for Download {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Collects the records of one object that some detection may want, each with
/// where the reader found it (a record that then fails to parse is reported
/// there, not by its rank among the kept ones).
struct Collected<'e> {
    engine: &'e Engine,
    records: Vec<(Location, String)>,
    skipped: u64,
    rejected: Vec<(Location, String)>,
    /// How many values were not CloudTrail records, and where the first was.
    other: u64,
    first_other: Option<Location>,
}

impl Sink for Collected<'_> {
    fn record(&mut self, loc: &Location, json: &str) {
        self.records.push((loc.clone(), json.to_owned()));
    }
    fn rejected(&mut self, loc: &Location, reason: &str) {
        self.rejected.push((loc.clone(), reason.to_owned()));
    }
    fn not_cloudtrail(&mut self, loc: &Location) {
        self.other += 1;
        if self.first_other.is_none() {
            self.first_other = Some(loc.clone());
        }
    }
    fn wanted(&mut self, json: &[u8]) -> bool {
        let keep = self.engine.wants_json(json);
        if !keep {
            self.skipped += 1;
        }
        keep
    }
    fn skipped(&mut self, n: u64) {
        self.skipped += n;
    }
}

fn failure_line(key: &str, location: Option<&Location>, error: &str) -> String {
    let mut v = json!({"key": key, "error": crate::sanitize::one_line(error, 1000)});
    if let Some(l) = location {
        v["location"] = json!(l.to_string());
    }
    v.to_string()
}

async fn process(
    bt: &Backtest,
    engine: &Engine,
    store: &Recording<DynamoStore>,
    notifier: &Option<SnsNotifier>,
    keys: &[Key],
    filter: &RecordFilter,
    stop_at_ms: i64,
) -> Result<Report, String> {
    let out_of_time = |done: usize, key: &str| {
        format!(
            "out of time: stopped {}s before the invocation's deadline, in key {} of {} ({}); \
             a retry starts the batch again (plan smaller batches if this repeats)",
            DEADLINE_MARGIN_MS / 1000,
            done + 1,
            keys.len(),
            crate::sanitize::one_line(key, 300)
        )
    };
    let filter = filter.to_filter();
    let limits = Limits::default();
    let mut report = Report::default();
    let mut pending = keys.iter();
    let mut inflight = VecDeque::new();
    let spawn = |k: &Key| {
        (
            k.key.clone(),
            Download(tokio::spawn(fetch(
                bt.s3.clone(),
                (
                    bt.config.archive_bucket.clone(),
                    bt.config.archive_bucket_owner.clone(),
                ),
                k.key.clone(),
            ))),
        )
    };
    inflight.extend(pending.by_ref().take(PREFETCH).map(spawn));
    let mut done = 0;
    let mut denied = 0;
    while let Some((key, task)) = inflight.pop_front() {
        if crate::render::now_ms() >= stop_at_ms {
            return Err(out_of_time(done, &key));
        }
        done += 1;
        inflight.extend(pending.next().map(spawn));
        let bytes = match task.join().await {
            Ok(Ok(b)) => b,
            Ok(Err(Fetch::Unreadable {
                cause: e,
                denied: refused,
            })) => {
                denied += usize::from(refused);
                warn!(
                    key = crate::sanitize::one_line(&key, 300),
                    error = e,
                    "unreadable key skipped"
                );
                report.failed_keys += 1;
                report.failures.push(failure_line(&key, None, &e));
                continue;
            }
            Ok(Err(Fetch::Failed(e))) => {
                return Err(format!("{}: {e}", crate::sanitize::one_line(&key, 300)));
            }
            Err(e) => return Err(format!("download task: {e}")),
        };
        let mut got = Collected {
            engine,
            records: Vec::new(),
            skipped: 0,
            rejected: Vec::new(),
            other: 0,
            first_other: None,
        };
        reader::read_stream(&bytes[..], &key, &limits, &mut got);
        drop(bytes);
        for (loc, reason) in &got.rejected {
            report.rejected_records += 1;
            report.failures.push(failure_line(&key, Some(loc), reason));
        }
        // One line a key, as the CLI counts them (from a review: a digest
        // file or another service's JSON read as an empty day, unreported).
        if got.other > 0 {
            report.not_cloudtrail += got.other;
            report.failures.push(failure_line(
                &key,
                got.first_other.as_ref(),
                &format!(
                    "{} JSON value(s) that are not CloudTrail records (no \"Records\" list, \
                     no eventName and eventSource): not a trail's log file",
                    got.other
                ),
            ));
        }
        report.records += got.skipped;
        // A key with any record it could not read counts once among the failed.
        let mut key_failed = !got.rejected.is_empty();
        for (loc, json) in &got.records {
            let mut repaired = String::new();
            let rec = match Record::from_json_repairing(json, &mut repaired) {
                Ok(r) => r,
                Err(e) => {
                    key_failed = true;
                    report.rejected_records += 1;
                    report.failures.push(failure_line(
                        &key,
                        Some(loc),
                        &reader::invalid_record(&e, json),
                    ));
                    continue;
                }
            };
            report.records += 1;
            if !filter.admits(rec.event_time_ms(), rec.account_id(), rec.region()) {
                report.outside += 1;
                continue;
            }
            // The engine takes the wall clock (for leases) and judges the
            // record at its own time (`Clock::EventTime`).
            let wall_ms = crate::render::now_ms();
            if wall_ms >= stop_at_ms {
                return Err(out_of_time(done - 1, &key));
            }
            let wall = wall_ms.div_euclid(1000);
            // Every finding in the order decided: the notified ones (also sent to
            // the notifier) and, under a tuning, those it held back, with their
            // disposition.
            let decided = engine
                .handle(&rec, store, notifier, wall)
                .await
                .map_err(|e| e.to_string())?;
            report.findings.extend(decided);
        }
        if key_failed {
            report.failed_keys += 1;
        }
    }
    // One refused key is skipped, as replay skips it; every key of a batch of
    // several refused is a run that cannot read its archive (the trail's KMS
    // key not granted, a bucket policy), which must not succeed with nothing
    // read (from a review). A batch of one key (a large file, the last batch)
    // is judged like a key, not a run.
    if denied > 1 && denied == keys.len() {
        return Err(format!(
            "every key of this batch was refused (AccessDenied, or InvalidObjectState for \
             archived files), e.g. {}: grant the backtest role the archive's KMS key \
             (ArchiveKmsKeyArn) and s3:GetObject in the bucket policy, or restore the \
             archived files first",
            report.failures.first().map_or("", String::as_str)
        ));
    }
    Ok(report)
}

fn check_batch_id(id: &str) -> Result<(), String> {
    if !id.is_empty()
        && id.len() <= 100
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        Ok(())
    } else {
        Err(format!(
            "batch {:?} must be 1 to 100 letters, digits, '-' or '_'",
            crate::sanitize::one_line(id, 100)
        ))
    }
}

pub async fn run(
    bt: &Backtest,
    input: BatchInput,
    deadline_ms: i64,
) -> Result<Value, BacktestError> {
    check_run_id(&input.run_id).map_err(BacktestError::Invalid)?;
    check_batch_id(&input.batch).map_err(BacktestError::Invalid)?;
    // The notifier: SNS when the run publishes, else none (every finding is
    // written to S3 either way, from what the engine decided).
    let sns = match (input.publish, &bt.config.topic_arn) {
        (false, _) => None,
        (true, Some(arn)) => Some(SnsNotifier::new(bt.sns.clone(), arn.clone())),
        (true, None) => {
            return Err(BacktestError::Invalid(
                "publish is true but the function has no topic (TRAILWATCH_TOPIC_ARN)".into(),
            ));
        }
    };
    let engine = Engine::new(settings(&bt.config, &input.filter));
    let tuning = load_tuning(bt, &engine).await?;
    let store = Recording::new(
        DynamoStore::new(
            bt.dynamodb.clone(),
            bt.config.table.clone(),
            key_prefix(&input.run_id),
        )
        .with_validity(Validity::EventTime {
            keep_secs: bt.config.state_keep_secs,
        })
        // An attempt that died with claims taken leaves them to its retry.
        .with_owner(&input.batch),
    );
    let stop_at_ms = deadline_ms.saturating_sub(DEADLINE_MARGIN_MS);
    let outcome = match process(
        bt,
        &engine,
        &store,
        &sns,
        &input.keys,
        &input.filter,
        stop_at_ms,
    )
    .await
    {
        Ok(report) => write(bt, &input, &report, tuning.as_deref())
            .await
            .map(|v| (v, report)),
        Err(e) => Err(BacktestError::Failed(e)),
    };
    match outcome {
        Ok((summary, report)) => {
            info!(
                run_id = input.run_id,
                batch = input.batch,
                keys = input.keys.len(),
                records = report.records,
                findings = report.findings.len(),
                failed_keys = report.failed_keys,
                not_cloudtrail = report.not_cloudtrail,
                "batch done"
            );
            Ok(summary)
        }
        Err(e) => {
            // The retry must find these findings again.
            let given_back = store.give_back().await;
            Err(BacktestError::Failed(match given_back {
                Ok(n) => format!("batch {}: {e} ({n} claims given back)", input.batch),
                // The retry takes them again as this batch's own.
                Err(re) => format!(
                    "batch {}: {e} (and giving back its claims failed: {re})",
                    input.batch
                ),
            }))
        }
    }
}

/// Puts the configured tuning in force on `engine`, read now (each batch reads
/// the file as it is when the batch starts): its digest, or `None` untuned. A
/// tuning that cannot be read or is invalid fails the batch: a backtest asked
/// to show what a tuning does must not quietly run without it.
async fn load_tuning(bt: &Backtest, engine: &Engine) -> Result<Option<String>, BacktestError> {
    let Some(location) = &bt.config.tuning else {
        return Ok(None);
    };
    let source = TuningSource::new(location.clone(), Some(bt.s3.clone()));
    let now = crate::render::now_ms().div_euclid(1000);
    match source
        .refresh(engine, crate::lambda::logs::BACKTEST_FUNCTION, now, true)
        .await
    {
        Refresh::Loaded(digest) => Ok(Some(digest)),
        Refresh::Failed(e) => Err(BacktestError::Failed(format!("tuning {location}: {e}"))),
        // A forced first read either loads or fails.
        Refresh::Unchanged => Err(BacktestError::Failed(format!(
            "tuning {location}: nothing was read"
        ))),
    }
}

/// Writes the findings and the failures. The findings object is written even
/// empty: an earlier attempt of this batch may have written one, given its
/// claims back and seen another batch report them since, and that object must
/// not stay to report them twice (from a review).
async fn write(
    bt: &Backtest,
    input: &BatchInput,
    r: &Report,
    tuning: Option<&str>,
) -> Result<Value, BacktestError> {
    let key = findings_key_of(input);
    let mut body = String::new();
    for f in &r.findings {
        body.push_str(&f.to_json());
        body.push('\n');
    }
    put(bt, &key, body.into_bytes(), "application/x-ndjson").await?;
    let findings_key = (!r.findings.is_empty()).then_some(key);
    let mut failures = None;
    if !r.failures.is_empty() {
        let key = failures_key(&input.run_id, &input.batch);
        put(
            bt,
            &key,
            (r.failures.join("\n") + "\n").into_bytes(),
            "application/x-ndjson",
        )
        .await?;
        failures = Some(key);
    }
    let not_notified = r
        .findings
        .iter()
        .filter(|f| !matches!(f.disposition, None | Some(Disposition::Notified)))
        .count();
    let mut summary = json!({
        "run_id": input.run_id,
        "batch": input.batch,
        "keys": input.keys.len(),
        "records": r.records,
        "outside_filter": r.outside,
        "findings": r.findings.len(),
        "findings_key": findings_key,
        "failed_keys": r.failed_keys,
        "rejected_records": r.rejected_records,
        "not_cloudtrail": r.not_cloudtrail,
        "failures_key": failures,
    });
    // Only under a tuning: what an untuned run reports stays as it was.
    if let Some(digest) = tuning {
        summary["tuning_digest"] = json!(digest);
        summary["not_notified"] = json!(not_notified);
    }
    Ok(summary)
}

fn findings_key_of(input: &BatchInput) -> String {
    findings_key(&input.run_id, &input.batch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    /// Set when dropped: the task holding it was stopped.
    struct Stopped(Arc<AtomicBool>);
    impl Drop for Stopped {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    #[tokio::test]
    async fn a_download_dropped_unawaited_is_stopped() {
        let stopped = Arc::new(AtomicBool::new(false));
        let flag = Stopped(Arc::clone(&stopped));
        let download = Download(tokio::spawn(async move {
            let _flag = flag;
            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
            Ok(Vec::new())
        }));
        tokio::task::yield_now().await;
        assert!(!stopped.load(Ordering::SeqCst));
        drop(download);
        for _ in 0..100 {
            if stopped.load(Ordering::SeqCst) {
                return;
            }
            tokio::task::yield_now().await;
        }
        panic!("the download is still running");
    }

    #[tokio::test]
    async fn a_download_awaited_gives_its_bytes() {
        let download = Download(tokio::spawn(async { Ok(b"log".to_vec()) }));
        assert!(matches!(download.join().await, Ok(Ok(b)) if b == b"log"));
    }
}
