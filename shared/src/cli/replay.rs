//! `trailwatch replay`: the same engine as the Lambdas, over files, with in-memory
//! state and findings on the terminal.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use trailwatch::engine::{Engine, HandleError, Settings};
use trailwatch::event::Record;
use trailwatch::event::reader::{self, Limits, Location, Sink};
use trailwatch::sanitize::one_line;
use trailwatch::state::MemoryStore;

use super::output::{Format, Stdout_};
use super::{EXIT_ERROR, EXIT_OK, EXIT_REJECTED, inputs};

#[derive(clap::Args)]
pub struct Args {
    /// Output: readable text blocks, or one JSON finding per line.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Exit with status 1 if any input was rejected (malformed, oversized, unreadable).
    #[arg(long)]
    strict: bool,
    /// Detection ids not to run (comma-separated).
    #[arg(long, value_delimiter = ',')]
    disable: Vec<String>,
    /// Records larger than this many bytes are rejected.
    #[arg(long, default_value_t = Limits::default().max_record_bytes)]
    max_record_bytes: usize,
    /// A file larger than this many bytes (after decompression) is read up to there.
    #[arg(long, default_value_t = Limits::default().max_file_bytes)]
    max_file_bytes: u64,
    /// Do not print the summary or input errors on stderr.
    #[arg(long, short)]
    quiet: bool,
    /// Files or directories (recursive); none or `-` reads stdin.
    paths: Vec<PathBuf>,
}

#[derive(Default)]
struct Counts {
    records: u64,
    rejected: u64,
    not_cloudtrail: u64,
    findings: BTreeMap<&'static str, u64>,
}

struct Replay<'a> {
    engine: &'a Engine,
    store: MemoryStore,
    out: Stdout_,
    rt: tokio::runtime::Runtime,
    now: i64,
    counts: Counts,
    quiet: bool,
    /// Set when findings can no longer be written; the run stops.
    fatal: Option<String>,
}

impl Replay<'_> {
    fn warn(&self, loc: &Location, reason: &str) {
        if !self.quiet {
            eprintln!(
                "trailwatch: {}: {}",
                one_line(&loc.to_string(), 300),
                one_line(reason, 500)
            );
        }
    }
}

impl Sink for Replay<'_> {
    fn record(&mut self, loc: &Location, json: &str) {
        if self.fatal.is_some() {
            return;
        }
        let rec = match Record::from_json(json) {
            Ok(r) => r,
            Err(e) => {
                self.counts.rejected += 1;
                self.warn(loc, &format!("invalid record: {e}"));
                return;
            }
        };
        self.counts.records += 1;
        let handled = self
            .rt
            .block_on(self.engine.handle(&rec, &self.store, &self.out, self.now));
        match handled {
            Ok(found) => {
                for f in found {
                    *self.counts.findings.entry(f.detection_id).or_default() += 1;
                }
            }
            Err(HandleError::Notify(e)) => self.fatal = Some(format!("cannot write findings: {e}")),
            Err(e) => self.fatal = Some(e.to_string()),
        }
    }

    fn rejected(&mut self, loc: &Location, reason: &str) {
        self.counts.rejected += 1;
        self.warn(loc, reason);
    }

    fn not_cloudtrail(&mut self, _loc: &Location) {
        self.counts.not_cloudtrail += 1;
    }
}

pub fn run(args: Args) -> i32 {
    let paths = match reader::expand_paths(&inputs(&args.paths)) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("trailwatch: {e}");
            return EXIT_ERROR;
        }
    };
    let known: Vec<&str> = trailwatch::catalog::ALL
        .iter()
        .map(|d| d.meta().id)
        .collect();
    if let Some(bad) = args.disable.iter().find(|id| !known.contains(&id.as_str())) {
        eprintln!("trailwatch: --disable: unknown detection id {bad:?} (see `trailwatch list`)");
        return EXIT_ERROR;
    }
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("trailwatch: cannot start the async runtime: {e}");
            return EXIT_ERROR;
        }
    };
    let settings = Settings {
        disabled: args.disable.iter().cloned().collect(),
        ..Settings::default()
    };
    let engine = Engine::new(settings);
    let limits = Limits {
        max_record_bytes: args.max_record_bytes,
        max_file_bytes: args.max_file_bytes,
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let mut replay = Replay {
        engine: &engine,
        store: MemoryStore::default(),
        out: Stdout_::new(args.format),
        rt,
        now,
        counts: Counts::default(),
        quiet: args.quiet,
        fatal: None,
    };
    let started = Instant::now();
    for path in &paths {
        if let Err(e) = reader::read_path(path, &limits, &mut replay) {
            replay.counts.rejected += 1;
            if !args.quiet {
                eprintln!("trailwatch: {e}");
            }
        }
        if replay.fatal.is_some() {
            break;
        }
    }
    let flushed = replay.out.flush();
    if let Some(msg) = &replay.fatal {
        if !msg.contains("broken pipe") {
            eprintln!("trailwatch: {msg}");
            return EXIT_ERROR;
        }
        return EXIT_OK;
    }
    if let Err(e) = flushed {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("trailwatch: cannot write findings: {e}");
            return EXIT_ERROR;
        }
    }
    let c = &replay.counts;
    if !args.quiet {
        let secs = started.elapsed().as_secs_f64();
        let total: u64 = c.findings.values().sum();
        eprintln!(
            "trailwatch: {} records read, {} rejected, {} not CloudTrail, {} findings in {:.3}s ({:.0} records/s)",
            c.records,
            c.rejected,
            c.not_cloudtrail,
            total,
            secs,
            c.records as f64 / secs.max(1e-9)
        );
        for (id, n) in &c.findings {
            eprintln!("  {n:>6}  {id}");
        }
    }
    if args.strict && c.rejected > 0 {
        EXIT_REJECTED
    } else {
        EXIT_OK
    }
}
