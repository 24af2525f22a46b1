//! Command-line interface.

/// `eprintln!` that cannot panic: a closed or full standard error (`2>&-`,
/// `2>/dev/full`, a pipe whose reader has left) loses the message, not the exit
/// code (from a review: the replay ended in a panic, exit 101). `say!(in ...)`
/// writes without a line end, as `eprint!`.
macro_rules! say {
    (in $($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($arg)*);
    }};
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

#[cfg(feature = "cli-alloc")]
pub mod alloc;
mod generate;
mod list;
mod output;
mod replay;
mod tuning;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// CloudTrail threat detections: replay logs locally, list what is detected, check
/// a tuning file, or write a synthetic corpus.
#[derive(Parser)]
#[command(name = "trailwatch", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every detection over CloudTrail files and print the findings.
    ///
    /// Reads raw records, EventBridge envelopes, S3 log files ({"Records": [...]}),
    /// JSON arrays and JSON lines of these, plain or gzip-compressed; directories are
    /// read recursively; s3://BUCKET/PREFIX reads CloudTrail's S3 layout; no PATH
    /// (or `-`) reads stdin. Findings go to stdout, the summary and input errors to
    /// stderr.
    Replay(Box<replay::Args>),
    /// Write a synthetic CloudTrail corpus (deterministic from a seed) for benchmarks
    /// and demos: ordinary traffic with true attacks for the 24 seed detections (the
    /// newer detections' attacks are the samples under events/).
    Generate(generate::Args),
    /// Check, push or print a tuning file (modes, overrides, suppressions, dedup).
    #[command(subcommand)]
    Tuning(tuning::Command),
    /// List the detections, or show the named ones whole (description, false
    /// positives, next steps, origins, samples).
    List {
        /// text: one block per detection; markdown: the README's table; json: one
        /// object per detection, with its kind, triggers, window and origins.
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
        /// Detection ids to show (all of them when none).
        #[arg(value_name = "ID")]
        ids: Vec<String>,
        #[command(flatten)]
        filter: list::Filter,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ListFormat {
    Text,
    Markdown,
    Json,
}

/// A severity as `--min-severity` takes it (`list`, `replay`).
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Level {
    Low,
    Medium,
    High,
    Critical,
}

impl From<Level> for trailwatch::detection::Severity {
    fn from(level: Level) -> Self {
        use trailwatch::detection::Severity;
        match level {
            Level::Low => Severity::Low,
            Level::Medium => Severity::Medium,
            Level::High => Severity::High,
            Level::Critical => Severity::Critical,
        }
    }
}

/// Exit statuses.
pub const EXIT_OK: i32 = 0;
/// `--strict` and some input was rejected.
pub const EXIT_REJECTED: i32 = 1;
/// Usage error, unreadable path, or findings could not be written.
pub const EXIT_ERROR: i32 = 2;

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_ERROR } else { EXIT_OK };
            let _ = e.print();
            return code;
        }
    };
    match cli.command {
        Command::Replay(args) => replay::run(*args),
        Command::Generate(args) => generate::run(args),
        Command::Tuning(cmd) => tuning::run(cmd),
        Command::List {
            format,
            ids,
            filter,
        } => list::run(format, &ids, &filter),
    }
}

/// What to say of a detection id none of `known` is: the id, and the nearest
/// known one when there is one (`--disable`, `--only`, `list ID`).
pub(crate) fn unknown_id(id: &str, known: &[&str]) -> String {
    let hint = nearest_id(id, known).map_or(String::new(), |k| format!("; did you mean {k:?}?"));
    format!(
        "unknown detection id {:?}{hint} (see `trailwatch list`)",
        trailwatch::sanitize::one_line(id, 100)
    )
}

/// The known id closest to `id` by edits (at most a third of its length), if any.
fn nearest_id<'k>(id: &str, known: &[&'k str]) -> Option<&'k str> {
    trailwatch::spelling::nearest(id, known.iter().copied())
}

/// Paths given on the command line; none means stdin.
fn inputs(paths: &[PathBuf]) -> Vec<PathBuf> {
    if paths.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        paths.to_vec()
    }
}
