//! The replay as a reader's [`Sink`]: each record read is counted, filtered,
//! prepared and handed to the engine with the replay's store, its findings
//! written and counted; and the loop over local files, on reader threads or
//! one after the other.

use std::path::PathBuf;
use std::time::Instant;

use trailwatch::archive::layout::Filter;
use trailwatch::engine::{Engine, HandleError, Prepared};
use trailwatch::event::Record;
use trailwatch::event::ahead::Ahead;
use trailwatch::event::parallel;
use trailwatch::event::reader::{self, Limits, Location, Sink};
use trailwatch::finding::Disposition;
use trailwatch::notify::Notifier;
use trailwatch::sanitize::one_line;
use trailwatch::state::Store;

use super::super::output::Stdout_;
use super::super::{EXIT_OK, EXIT_REJECTED};
use super::{Args, Counts};

pub(super) struct Replay<'a, S: Store> {
    pub(super) engine: &'a Engine,
    pub(super) store: S,
    pub(super) out: Stdout_,
    pub(super) rt: tokio::runtime::Runtime,
    pub(super) counts: Counts,
    pub(super) quiet: bool,
    /// Set when findings can no longer be written; the run stops.
    pub(super) fatal: Option<String>,
    pub(super) strict: bool,
    pub(super) progress: Progress,
    pub(super) show_suppressed: bool,
    pub(super) filter: Filter,
    /// Which `--accounts` and `--regions` values matched a record.
    pub(super) matches: super::matched::FilterMatches,
}

/// A one-line progress report on stderr for long replays, only on a terminal.
pub(super) struct Progress {
    enabled: bool,
    started: Instant,
    last: Instant,
    pub(super) files_done: usize,
    /// Local files to read, when all inputs are local (S3 keys are found as the
    /// replay goes).
    files: Option<usize>,
    /// Bytes downloaded (S3 inputs).
    pub(super) bytes: u64,
    shown: bool,
}

impl Progress {
    pub(super) fn new(enabled: bool, files: Option<usize>) -> Self {
        let now = Instant::now();
        Progress {
            enabled,
            started: now,
            last: now,
            files_done: 0,
            files,
            bytes: 0,
            shown: false,
        }
    }

    /// Cheap enough for every record: looks at the clock every 64k records.
    fn tick(&mut self, records: u64, force: bool) {
        if !self.enabled || (!force && records & 0xffff != 0) {
            return;
        }
        let now = Instant::now();
        if now.duration_since(self.last).as_millis() < 250
            || now.duration_since(self.started).as_millis() < 1000
        {
            return;
        }
        self.last = now;
        let rate = records as f64 / now.duration_since(self.started).as_secs_f64().max(1e-9);
        let total = self.files.map(|n| format!("/{n}")).unwrap_or_default();
        let bytes = if self.bytes > 0 {
            format!(", {:.1} MB downloaded", self.bytes as f64 / 1e6)
        } else {
            String::new()
        };
        say!(in
            "\r\x1b[K{records} records, {rate:.0} records/s, {}{total} files{bytes}",
            self.files_done
        );
        self.shown = true;
    }

    pub(super) fn clear(&mut self) {
        if self.shown {
            say!(in "\r\x1b[K");
            self.shown = false;
        }
    }
}

impl<S: Store> Replay<'_, S> {
    /// What a replay that ends here exits with: `--strict` on a rejection (or a
    /// finding `--format asff` had to leave out), else `--exit-code` when a
    /// finding was notified.
    pub(super) fn exit_status(&self, args: &Args) -> i32 {
        // A finding `--format asff` left out (named on stderr) still fired: a
        // gate on `--exit-code` fails whatever the format (from a review: with
        // ASFF, a record without a valid account passed a gate the other formats
        // failed).
        // Nothing read being CloudTrail fails as a rejection does: a gate on
        // `--strict` must not pass the wrong input (from a usability review).
        let notified: u64 = self.counts.findings.values().sum();
        let failed = self.counts.rejected > 0
            || self.out.not_importable() > 0
            || self.counts.nothing_was_cloudtrail();
        if args.strict && failed {
            EXIT_REJECTED
        } else if notified > 0 && args.exit_code != 0 {
            i32::from(args.exit_code)
        } else {
            EXIT_OK
        }
    }

    /// Runs the store's half of a prepared record (`rec`: the record, unless it
    /// was dropped on a reader thread) and counts what it found.
    fn handle(&mut self, rec: Option<&Record<'_>>, prepared: Prepared) {
        if let Some(name) = prepared.foreign_canary() {
            self.counts.foreign_canaries += 1;
            if self.counts.first_foreign_canary.is_none() {
                self.counts.first_foreign_canary = Some(one_line(name, 200));
            }
        }
        // The wall clock, for delivery leases; windows and claims go by event time.
        let wall = trailwatch::state::wall_clock_secs();
        let handled = finish(
            &self.rt,
            self.engine
                .handle_prepared(rec, prepared, &self.store, &self.out, wall),
        );
        match handled {
            Ok(found) => {
                for f in found {
                    let shown = self.out.shows(&f);
                    self.counts.count(&f, shown);
                    if !shown {
                        continue;
                    }
                    let notified = matches!(f.disposition, None | Some(Disposition::Notified));
                    if self.show_suppressed
                        && !notified
                        && let Err(e) = finish(&self.rt, self.out.notify(&f))
                    {
                        self.fatal = Some(format!("cannot write findings: {e}"));
                    }
                }
            }
            // Findings are written to stdout: the notifier failing is the output
            // failing, whichever of a record's findings met it (`| head` closing
            // the pipe ends the replay quietly, below).
            Err(e) => match e.first_cause() {
                HandleError::Notify(n) => self.fatal = Some(format!("cannot write findings: {n}")),
                _ => self.fatal = Some(e.to_string()),
            },
        }
    }

    /// Counts one more record read (and shows progress), unless the replay has
    /// already failed: then `false`, and the record is left alone.
    fn counted(&mut self) -> bool {
        if self.fatal.is_some() {
            return false;
        }
        self.counts.records += 1;
        self.progress.tick(self.counts.records, false);
        true
    }

    /// Counts a record a window took but could not place, and names the first
    /// (a window that silently skips records would hide a burst).
    fn note_unplaced(&mut self, loc: &Location, prepared: &Prepared) {
        if prepared.unplaced() {
            self.counts.unplaced += 1;
            if self.counts.unplaced == 1 {
                self.warn(
                    loc,
                    "no readable eventTime: windowed and correlated detections cannot count this \
                     record (the first such; the summary counts them all)",
                );
            }
        }
    }

    fn warn(&self, loc: &Location, reason: &str) {
        if !self.quiet {
            say!(
                "trailwatch: {}: {}",
                one_line(&loc.to_string(), 300),
                one_line(reason, 500)
            );
        }
    }
}

/// Runs `fut` to its end. It is polled once in place first: with the
/// in-memory store a record's future is ready at once, and entering the
/// runtime for every record (`block_on`) cost about as much as the store's
/// share of the work. A future that has to wait (DynamoDB) goes on under
/// `block_on`; the runtime is entered for the first poll too, so that it can
/// register its I/O and timers.
fn finish<F: std::future::Future>(rt: &tokio::runtime::Runtime, fut: F) -> F::Output {
    use std::task::{Context, Poll, Waker};
    let mut fut = std::pin::pin!(fut);
    let _entered = rt.enter();
    match fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => out,
        Poll::Pending => rt.block_on(fut),
    }
}

impl<S: Store> Sink for Replay<'_, S> {
    fn record(&mut self, loc: &Location, json: &str) {
        if self.fatal.is_some() {
            return;
        }
        let mut repaired = String::new();
        match Record::from_json_repairing(json, &mut repaired) {
            Ok(rec) => self.parsed(loc, &rec, None),
            Err(e) => self.rejected(loc, &reader::invalid_record(&e, json)),
        }
    }

    fn try_record(&mut self, loc: &Location, json: &str) -> bool {
        if self.fatal.is_some() {
            return true;
        }
        let mut repaired = String::new();
        match Record::from_json_repairing(json, &mut repaired) {
            Ok(rec) if rec.names_an_event() => {
                self.parsed(loc, &rec, None);
                true
            }
            _ => false,
        }
    }

    /// `prepared`: what a reader thread prepared (else it is prepared here).
    fn parsed(&mut self, loc: &Location, rec: &Record<'_>, prepared: Option<Prepared>) {
        if !self.counted() {
            return;
        }
        if !self.filter.is_empty() {
            self.matches.note(rec.account_id(), rec.region());
            if !self
                .filter
                .admits(rec.event_time_ms(), rec.account_id(), rec.region())
            {
                self.counts.outside += 1;
                return;
            }
        }
        let prepared = prepared.unwrap_or_else(|| self.engine.prepare(rec));
        self.note_unplaced(loc, &prepared);
        self.handle(Some(rec), prepared);
    }

    /// Asked for with `Ahead::PrepareOnly`, which `preparing` picks only when
    /// there is no record filter (the filter reads the record).
    fn prepared(&mut self, loc: &Location, prepared: Prepared) {
        if self.counted() {
            self.note_unplaced(loc, &prepared);
            self.handle(None, prepared);
        }
    }

    fn rejected(&mut self, loc: &Location, reason: &str) {
        self.counts.rejected += 1;
        self.warn(loc, reason);
    }

    fn not_cloudtrail(&mut self, loc: &Location) {
        self.counts.not_cloudtrail += 1;
        if self.counts.first_not_cloudtrail.is_none() {
            self.counts.first_not_cloudtrail = Some(one_line(&loc.to_string(), 500));
        }
    }

    fn wanted(&mut self, json: &[u8]) -> bool {
        if prefilter(self.engine, self.strict, json) {
            return true;
        }
        self.skipped(1);
        false
    }

    fn skipped(&mut self, n: u64) {
        // A skipped record is read and clean: no detection can match it.
        let before = self.counts.records;
        self.counts.records += n;
        self.progress.tick(
            self.counts.records,
            before >> 16 != self.counts.records >> 16,
        );
    }

    fn unreadable(&mut self, err: &std::io::Error) {
        self.counts.rejected += 1;
        if !self.quiet {
            say!("trailwatch: {}", one_line(&err.to_string(), 2000));
        }
    }

    fn file_done(&mut self, _source: &str) {
        self.progress.files_done += 1;
        self.progress.tick(self.counts.records, true);
    }

    fn stopped(&self) -> bool {
        self.fatal.is_some()
    }
}

/// Local files: on worker threads in order, or one after the other.
pub(super) fn read_local<S: Store>(
    paths: &[PathBuf],
    threads: usize,
    limits: &Limits,
    strict: bool,
    chunk_bytes: u64,
    replay: &mut Replay<'_, S>,
) {
    // With more than one thread even a single file goes to the workers: a large
    // JSON-lines file is cut into ranges, and reading overlaps the detections.
    if threads > 1 {
        let engine = replay.engine;
        let keep = move |json: &[u8]| prefilter(engine, strict, json);
        // The workers also run the detections' stateless half: this thread only
        // does what needs the state, in input order.
        let ahead = preparing(engine, &replay.filter);
        parallel::read_paths_in_chunks(paths, threads, chunk_bytes, limits, &keep, ahead, replay);
    } else {
        for path in paths {
            if let Err(e) = reader::read_path(path, limits, replay) {
                replay.unreadable(&e);
            }
            if replay.fatal.is_some() {
                break;
            }
        }
    }
}

/// What reader threads that prepare records do with them: without a record
/// filter (which reads the record on the engine's thread) a record is dropped
/// there once prepared, unless a first-seen or heartbeat finding needs it.
pub(super) fn preparing<'e>(engine: &'e Engine, filter: &Filter) -> Ahead<'e> {
    if filter.is_empty() {
        Ahead::PrepareOnly(engine)
    } else {
        Ahead::Prepare(engine)
    }
}

/// Whether a record's raw JSON needs parsing. `--strict` parses every record, so
/// that every malformed one is reported.
pub(super) fn prefilter(engine: &Engine, strict: bool, json: &[u8]) -> bool {
    strict || engine.wants_json(json)
}
