//! Reads many files at once and hands what they hold to one sink in input order.
//!
//! Worker threads open, decompress, split and prefilter whole files, or byte
//! ranges of one large JSON-lines file (see `split`); the calling thread receives
//! each file's or range's records, errors and skip counts in input order, exactly
//! as [`reader::read_path`] over the files one after the other would have delivered
//! them (line numbers included). So a sink that runs the engine (windows included)
//! sees the same sequence whatever the number of threads, and findings are
//! identical.
//!
//! Memory stays bounded: at most `2 × threads` files or ranges are in flight, and
//! each sends its items in batches through a channel of two batches.

use std::collections::VecDeque;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

use super::ahead::{Ahead, Ready};
use super::reader::{self, Limits, Location, Place, Sink};
use super::split::{self, Chunk, ChunkEnd};

/// What a worker found, replayed into the real sink on the calling thread.
enum Item {
    /// The items that follow were found in this source (file name): sent once
    /// per job, so that each record carries only its place in it.
    Source(String),
    /// A record as the worker made it ready (see `ahead`).
    Ready(Place, Ready),
    Rejected(Place, String),
    NotCloudTrail(Place),
    /// Records the prefilter skipped since the previous item.
    Skipped(u64),
    Unreadable(io::Error),
    /// A range of a file ended, holding this many lines: the lines of the next
    /// range are numbered after them.
    ChunkDone(u64),
    /// A range of a file could not be read to its end (reported): the rest of the
    /// file is dropped.
    ChunkFailed,
    FileDone(String),
}

/// Items per batch, and bytes of record text per batch, before it is sent.
const BATCH_ITEMS: usize = 512;
const BATCH_BYTES: usize = 1 << 20;
/// A batch's items and the skip count that may precede the last one.
const BATCH_CAPACITY: usize = BATCH_ITEMS + 2;

/// Reads `paths` on `threads` worker threads into `sink`, in order. `prefilter`
/// stands in for [`Sink::wanted`] on the workers: `false` skips a record unparsed
/// (the sink hears of it through [`Sink::skipped`]); `ahead`: what the workers do
/// with the records it keeps. Stops early, dropping what is
/// in flight, once `sink.stopped()`. A large JSON-lines file is read in ranges of
/// [`split::DEFAULT_CHUNK_BYTES`].
pub fn read_paths(
    paths: &[PathBuf],
    threads: usize,
    limits: &Limits,
    prefilter: &(dyn Fn(&[u8]) -> bool + Sync),
    ahead: Ahead<'_>,
    sink: &mut impl Sink,
) {
    read_paths_in_chunks(
        paths,
        threads,
        split::DEFAULT_CHUNK_BYTES,
        limits,
        prefilter,
        ahead,
        sink,
    );
}

/// [`read_paths`], with JSON-lines files over `chunk_bytes` read in ranges of that
/// size (whatever the number of threads, so that the cut is tested with one).
pub fn read_paths_in_chunks(
    paths: &[PathBuf],
    threads: usize,
    chunk_bytes: u64,
    limits: &Limits,
    prefilter: &(dyn Fn(&[u8]) -> bool + Sync),
    ahead: Ahead<'_>,
    sink: &mut impl Sink,
) {
    let threads = threads.max(1);
    let in_flight = 2 * threads;
    // Jobs are taken in order, so the oldest unfinished job always has a worker.
    let (job_tx, job_rx) = sync_channel::<(Job<'_>, SyncSender<Vec<Item>>)>(in_flight);
    let job_rx = Arc::new(Mutex::new(job_rx));
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let jobs = Arc::clone(&job_rx);
            scope.spawn(move || worker(&jobs, limits, prefilter, ahead));
        }
        let mut order = Order {
            pending: VecDeque::new(),
            at: reader::at("", None),
            base: 0,
            dropping: false,
            stopped: false,
        };
        'paths: for path in paths {
            let jobs = match split::plan(path, limits, chunk_bytes) {
                Some(chunks) => chunks.into_iter().map(|c| Job::Chunk(path, c)).collect(),
                None => vec![Job::File(path)],
            };
            for job in jobs {
                while order.pending.len() >= in_flight && !order.stopped {
                    order.drain_one(sink);
                }
                if order.stopped {
                    break 'paths;
                }
                let (tx, rx) = sync_channel(2);
                if job_tx.send((job, tx)).is_err() {
                    break 'paths;
                }
                order.pending.push_back(rx);
            }
        }
        drop(job_tx);
        while !order.stopped && !order.pending.is_empty() {
            order.drain_one(sink);
        }
        // Dropping the receivers makes busy workers give up at their next batch.
        order.pending.clear();
    });
}

/// A file read whole, or one range of a file.
enum Job<'p> {
    File(&'p Path),
    Chunk(&'p Path, Chunk),
}

/// The calling thread's side: the jobs in input order, and where it is in a file.
struct Order {
    pending: VecDeque<Receiver<Vec<Item>>>,
    /// Where the item being replayed was found (its source from [`Item::Source`]).
    at: Location,
    /// Lines of the current file in the ranges already replayed.
    base: u64,
    /// A range of the current file failed: the rest of it is dropped.
    dropping: bool,
    /// The sink has stopped.
    stopped: bool,
}

impl Order {
    /// Replays the oldest job's batches into the sink.
    fn drain_one(&mut self, sink: &mut impl Sink) {
        let Some(job) = self.pending.pop_front() else {
            return;
        };
        for batch in job.iter() {
            for item in batch {
                self.replay(item, sink);
                if sink.stopped() {
                    self.stopped = true;
                    return;
                }
            }
        }
    }

    /// The full location of an item found at `p` in the current source.
    fn located(&mut self, p: Place) -> &Location {
        self.at.line = p.line.map(|l| l + self.base);
        self.at.record = p.record;
        &self.at
    }

    fn replay(&mut self, item: Item, sink: &mut impl Sink) {
        if self.dropping && !matches!(item, Item::FileDone(_) | Item::Source(_)) {
            return;
        }
        match item {
            Item::Source(source) => self.at.source = source,
            Item::Ready(p, ready) => ready.hand_to(self.located(p), sink),
            Item::Rejected(p, reason) => sink.rejected(self.located(p), &reason),
            Item::NotCloudTrail(p) => sink.not_cloudtrail(self.located(p)),
            Item::Skipped(n) => sink.skipped(n),
            Item::Unreadable(e) => sink.unreadable(&e),
            Item::ChunkDone(lines) => self.base += lines,
            Item::ChunkFailed => self.dropping = true,
            Item::FileDone(source) => {
                self.base = 0;
                self.dropping = false;
                sink.file_done(&source);
            }
        }
    }
}

type Jobs<'p> = Mutex<Receiver<(Job<'p>, SyncSender<Vec<Item>>)>>;

fn worker(
    jobs: &Jobs<'_>,
    limits: &Limits,
    prefilter: &(dyn Fn(&[u8]) -> bool + Sync),
    ahead: Ahead<'_>,
) {
    loop {
        // The lock is held only while taking a job, never while reading a file.
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok((job, out)) = job else { return };
        let mut collect = Collect {
            prefilter,
            ahead,
            source: None,
            batch: Vec::with_capacity(BATCH_CAPACITY),
            bytes: 0,
            skipped: 0,
            out,
            closed: false,
        };
        match job {
            Job::File(path) => {
                if let Err(e) = reader::read_path(path, limits, &mut collect) {
                    collect.push(Item::Unreadable(e), 0);
                }
            }
            Job::Chunk(path, chunk) => {
                let end = match split::read_chunk(path, &chunk, limits, &mut collect) {
                    ChunkEnd::Lines(n) => Item::ChunkDone(n),
                    ChunkEnd::Failed => Item::ChunkFailed,
                };
                collect.push(end, 0);
                if chunk.last {
                    collect.push(Item::FileDone(path.display().to_string()), 0);
                }
            }
        }
        collect.flush();
    }
}

/// The sink of a worker: batches what the reader finds for the calling thread.
struct Collect<'a> {
    prefilter: &'a (dyn Fn(&[u8]) -> bool + Sync),
    ahead: Ahead<'a>,
    /// The source last sent ([`Item::Source`]).
    source: Option<String>,
    batch: Vec<Item>,
    bytes: usize,
    skipped: u64,
    out: SyncSender<Vec<Item>>,
    /// The calling thread stopped listening: the rest of the file is dropped.
    closed: bool,
}

impl Collect<'_> {
    /// `loc`'s place, after its source if that is new to the calling thread.
    fn place(&mut self, loc: &Location) -> Place {
        if self.source.as_deref() != Some(loc.source.as_str()) {
            self.source = Some(loc.source.clone());
            self.push(Item::Source(loc.source.clone()), 0);
        }
        loc.place()
    }

    fn push(&mut self, item: Item, bytes: usize) {
        if self.closed {
            return;
        }
        if self.skipped > 0 {
            let n = std::mem::take(&mut self.skipped);
            self.batch.push(Item::Skipped(n));
        }
        self.batch.push(item);
        self.bytes += bytes;
        if self.batch.len() >= BATCH_ITEMS || self.bytes >= BATCH_BYTES {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.skipped > 0 && !self.closed {
            let n = std::mem::take(&mut self.skipped);
            self.batch.push(Item::Skipped(n));
        }
        if self.batch.is_empty() || self.closed {
            return;
        }
        self.bytes = 0;
        // Sized up front: grown one push at a time, every batch was reallocated
        // eight times.
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH_CAPACITY));
        self.closed = self.out.send(batch).is_err();
    }
}

impl Sink for Collect<'_> {
    fn record(&mut self, loc: &Location, json: &str) {
        match self.ahead.ready(json) {
            Ok(ready) => {
                let place = self.place(loc);
                self.push(Item::Ready(place, ready), json.len());
            }
            Err(why) => self.rejected(loc, &why),
        }
    }
    fn try_record(&mut self, loc: &Location, json: &str) -> bool {
        match self.ahead.ready_if_record(json) {
            Some(ready) => {
                let place = self.place(loc);
                self.push(Item::Ready(place, ready), json.len());
                true
            }
            None => false,
        }
    }
    fn rejected(&mut self, loc: &Location, reason: &str) {
        let place = self.place(loc);
        self.push(Item::Rejected(place, reason.to_owned()), reason.len());
    }
    fn not_cloudtrail(&mut self, loc: &Location) {
        let place = self.place(loc);
        self.push(Item::NotCloudTrail(place), 0);
    }
    fn wanted(&mut self, json: &[u8]) -> bool {
        if self.closed {
            return false;
        }
        let wanted = (self.prefilter)(json);
        if !wanted {
            self.skipped += 1;
            // Skip counts alone also make a batch now and then (progress).
            if self.skipped >= 1 << 16 {
                self.flush();
            }
        }
        wanted
    }
    fn file_done(&mut self, source: &str) {
        self.push(Item::FileDone(source.to_owned()), 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Everything a sink hears, as text, in order; with `.2`, records are parsed
    /// (on the workers when reading in parallel), as replay does; `.3` counts the
    /// records that came with the engine's preparation.
    #[derive(Default)]
    struct Log(Vec<String>, u64, bool, usize);

    impl Sink for Log {
        fn record(&mut self, loc: &Location, json: &str) {
            if !self.2 {
                return self.0.push(format!("record {loc} {json}"));
            }
            match crate::event::Record::from_json(json) {
                Ok(rec) => self.parsed(loc, &rec, None),
                Err(e) => self.rejected(loc, &reader::invalid_record(&e, json)),
            }
        }
        fn parsed(
            &mut self,
            loc: &Location,
            rec: &crate::event::Record<'_>,
            prepared: Option<crate::engine::Prepared>,
        ) {
            self.3 += usize::from(prepared.is_some());
            self.0
                .push(format!("parsed {loc} {}", rec.raw.unwrap_or_default()));
        }
        fn rejected(&mut self, loc: &Location, reason: &str) {
            self.0.push(format!("rejected {loc} {reason}"));
        }
        fn not_cloudtrail(&mut self, loc: &Location) {
            self.0.push(format!("other {loc}"));
        }
        fn wanted(&mut self, json: &[u8]) -> bool {
            let keep = !json.windows(4).any(|w| w == b"Skip");
            self.1 += u64::from(!keep);
            keep
        }
        fn skipped(&mut self, n: u64) {
            self.1 += n;
        }
        fn unreadable(&mut self, e: &io::Error) {
            self.0.push(format!("unreadable {}", e.kind()));
        }
        fn file_done(&mut self, source: &str) {
            self.0.push(format!("done {source}"));
        }
    }

    #[test]
    fn any_number_of_threads_delivers_the_sequential_order() {
        let dir = std::env::temp_dir().join(format!("tw-parallel-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut paths = Vec::new();
        for f in 0..23 {
            let p = dir.join(format!("{f:02}.jsonl"));
            let mut text = String::new();
            for r in 0..(f * 37 % 1500) {
                let name = if r % 3 == 0 { "Skip" } else { "Keep" };
                text.push_str(&format!(
                    "{{\"eventSource\":\"s\",\"eventName\":\"{name}\",\"n\":{r}}}\n"
                ));
                if r % 401 == 7 {
                    text.push_str("{broken\n");
                }
                if r % 333 == 5 {
                    text.push_str("{\"eventSource\":\"s\",\"eventName\":5}\n");
                }
            }
            std::fs::write(&p, text).unwrap();
            paths.push(p);
        }
        paths.insert(5, dir.join("missing.json"));
        let limits = Limits::default();
        let mut sequential = Log::default();
        for p in &paths {
            if let Err(e) = reader::read_path(p, &limits, &mut sequential) {
                sequential.unreadable(&e);
            }
        }
        let keep = |j: &[u8]| !j.windows(4).any(|w| w == b"Skip");
        let mut parsing = Log(Vec::new(), 0, true, 0);
        for p in &paths {
            if let Err(e) = reader::read_path(p, &limits, &mut parsing) {
                parsing.unreadable(&e);
            }
        }
        assert!(
            parsing
                .0
                .iter()
                .any(|l| l.contains("invalid record: ") && l.contains("invalid type"))
        );
        let engine = crate::engine::Engine::new(Default::default());
        for threads in [1, 2, 3, 8] {
            // Parsed on the workers: the same records and rejections, in order.
            for ahead in [Ahead::Parse, Ahead::Prepare(&engine)] {
                let mut parallel = Log(Vec::new(), 0, true, 0);
                read_paths_in_chunks(&paths, threads, 2000, &limits, &keep, ahead, &mut parallel);
                assert_eq!(
                    parallel.0, parsing.0,
                    "{threads} threads, parsed on workers"
                );
                assert_eq!(
                    parallel.1, parsing.1,
                    "{threads} threads, parsed on workers"
                );
                // Every record parsed comes with its preparation when asked for.
                let records = parsing.0.iter().filter(|l| l.starts_with("parsed")).count();
                let want = if matches!(ahead, Ahead::Prepare(_)) {
                    records
                } else {
                    0
                };
                assert_eq!(parallel.3, want, "{threads} threads");
            }
            let mut parallel = Log::default();
            read_paths(&paths, threads, &limits, &keep, Ahead::Text, &mut parallel);
            assert_eq!(parallel.0, sequential.0, "{threads} threads");
            assert_eq!(parallel.1, sequential.1, "{threads} threads");
            // Every file of more than 2,000 bytes is read in ranges.
            let mut ranges = Log::default();
            read_paths_in_chunks(
                &paths,
                threads,
                2000,
                &limits,
                &keep,
                Ahead::Text,
                &mut ranges,
            );
            assert_eq!(ranges.0, sequential.0, "{threads} threads, in ranges");
            assert_eq!(ranges.1, sequential.1, "{threads} threads, in ranges");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A sink that stops after a few records.
    struct Impatient(usize);
    impl Sink for Impatient {
        fn record(&mut self, _: &Location, _: &str) {
            self.0 += 1;
        }
        fn rejected(&mut self, _: &Location, _: &str) {}
        fn not_cloudtrail(&mut self, _: &Location) {}
        fn stopped(&self) -> bool {
            self.0 >= 3
        }
    }

    #[test]
    fn a_stopped_sink_hears_no_more_and_the_workers_end() {
        let dir = std::env::temp_dir().join(format!("tw-parallel-stop-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let line = "{\"eventSource\":\"s\",\"eventName\":\"Keep\"}\n".repeat(5000);
        let paths: Vec<PathBuf> = (0..20)
            .map(|i| {
                let p = dir.join(format!("{i}.jsonl"));
                std::fs::write(&p, &line).unwrap();
                p
            })
            .collect();
        let mut sink = Impatient(0);
        read_paths(
            &paths,
            2,
            &Limits::default(),
            &|_| true,
            Ahead::Text,
            &mut sink,
        );
        assert_eq!(sink.0, 3);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
