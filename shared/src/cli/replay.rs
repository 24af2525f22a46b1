//! `trailwatch replay`: the same engine as the Lambdas, over files, with in-memory
//! state (or a DynamoDB table, `--state dynamodb`) and findings on the terminal.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use trailwatch::archive::layout;

use trailwatch::engine::{Engine, Settings};
use trailwatch::event::reader::{Limits, Sink};
use trailwatch::finding::{Disposition, Finding};
use trailwatch::sanitize::one_line;
use trailwatch::state::{MemoryStore, Store};

use super::output::{FindingsFormat, Format, Stdout_};
use super::{EXIT_ERROR, inputs};

#[derive(clap::Args)]
pub struct Args {
    /// Output: readable text blocks, or one JSON finding per line.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// With `--format sns`: what the JSON protocols (SQS, Lambda, HTTPS)
    /// carry, as the functions' TRAILWATCH_FINDINGS_FORMAT says. Default: json.
    #[arg(long, value_enum, value_name = "FORMAT")]
    findings_format: Option<FindingsFormat>,
    /// Exit with status 1 if any input was rejected (malformed, oversized,
    /// unreadable), or if values were read and none was a CloudTrail record
    /// (the wrong input). Files of a
    /// directory skipped by their names (not .json, .jsonl, .ndjson, .gz, .gzip
    /// or Firehose's) are counted in the summary, not rejected: a trail's bucket
    /// holds other files too.
    #[arg(long)]
    strict: bool,
    /// Exit with this status when any finding is notified (for CI, as `--exit-code
    /// 3`; not 2, which means an error, nor 1 with --strict, where it means a
    /// rejected input); a rejected input under --strict still exits 1. 0, the
    /// default: findings do not change the status. A finding --min-severity
    /// leaves out does not count.
    #[arg(long, value_name = "N", default_value_t = 0)]
    exit_code: u8,
    /// Print and count only findings of this severity or higher (each
    /// finding's own: some detections raise theirs above their listed
    /// severity); the summary says how many were left out.
    #[arg(long, value_name = "LEVEL", value_enum)]
    min_severity: Option<super::Level>,
    /// Detection ids not to run (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    disable: Vec<String>,
    /// Run only these detections (comma-separated ids): every other is disabled.
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "IDS",
        conflicts_with = "disable"
    )]
    only: Vec<String>,
    /// Records larger than this many bytes are rejected.
    #[arg(long, default_value_t = Limits::default().max_record_bytes,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    max_record_bytes: usize,
    /// A JSON document (a line, a `Records` file) larger than this many bytes is
    /// rejected: it would be held whole in memory.
    #[arg(long, default_value_t = Limits::default().max_document_bytes,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    max_document_bytes: usize,
    /// A file larger than this many bytes (after decompression) is rejected: its
    /// records up to the limit are read, the rest is reported, not read.
    #[arg(long, default_value_t = Limits::default().max_file_bytes,
          value_parser = clap::builder::RangedU64ValueParser::<u64>::new().range(1..))]
    max_file_bytes: u64,
    /// Threads that read, decompress and prefilter input (default: every core); a
    /// large JSON-lines file is read in ranges on all of them. Findings are the same
    /// for any number: records reach the detections in input order.
    #[arg(long, value_name = "N", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=4096))]
    threads: Option<usize>,
    /// With more than one thread, a JSON-lines file larger than this is read in
    /// ranges of this many bytes (for tests: the default suits real input).
    #[arg(long, hide = true, value_name = "BYTES", default_value_t = trailwatch::event::split::DEFAULT_CHUNK_BYTES,
          value_parser = clap::builder::RangedU64ValueParser::<u64>::new().range(1..))]
    chunk_bytes: u64,
    /// Do not print the summary or input errors on stderr.
    #[arg(long, short)]
    quiet: bool,
    /// First-seen detections only learn (record terms, fire nothing) during the
    /// first DAYS of event time, counted from the first record a first-seen
    /// detection takes (records none of them reads do not start it): in a replay,
    /// a term's first sighting in the input cannot be told from a new one.
    #[arg(long, value_name = "DAYS", value_parser = clap::builder::RangedI64ValueParser::<i64>::new().range(0..=365))]
    learn: Option<i64>,
    /// The name prefix of trailwatch's own resources, for `trailwatch-tampering`
    /// and the heartbeat canaries (the templates use the stack name).
    #[arg(long, value_name = "PREFIX", default_value = trailwatch::resources::DEFAULT_PREFIX)]
    resource_prefix: String,
    /// A gap longer than this between two heartbeat canaries of one account and
    /// Region is a `pipeline-silent` finding.
    #[arg(long, value_name = "SECS", default_value_t = trailwatch::heartbeat::DEFAULT_SILENCE_SECS,
          value_parser = clap::builder::RangedI64ValueParser::<i64>::new().range(60..=trailwatch::heartbeat::MAX_SILENCE_SECS))]
    silence_secs: i64,
    /// The organisation ids that are your own (comma-separated `o-...`): a grant
    /// to everyone fenced by `aws:PrincipalOrgID` to any other organisation is
    /// then reported (docs/coverage.md). Unset or empty, every organisation fence
    /// counts as private. The functions read TRAILWATCH_ORGANIZATION_IDS.
    #[arg(long, value_name = "IDS")]
    organization_ids: Option<String>,
    /// Where windowed and correlated detections keep their state: in memory, or
    /// in a DynamoDB table (standard AWS SDK configuration: AWS_REGION, credentials,
    /// AWS_ENDPOINT_URL for a local endpoint such as moto).
    #[arg(long, value_enum, default_value_t = StateKind::Memory)]
    state: StateKind,
    /// The DynamoDB table (with `--state dynamodb`).
    #[arg(long, value_name = "NAME")]
    table: Option<String>,
    /// Create the table (with TTL) if it does not exist (with `--state dynamodb`).
    #[arg(long)]
    create_table: bool,
    /// Apply this tuning file (modes, overrides, suppressions, dedup; see
    /// `trailwatch tuning example`).
    #[arg(long, value_name = "FILE")]
    tuning: Option<PathBuf>,
    /// The day tuning expiry is judged on (default: today, UTC).
    #[arg(long, value_name = "YYYY-MM-DD", requires = "tuning")]
    now: Option<String>,
    /// Print every finding, with its `disposition` (notified, suppressed, shadow,
    /// held-back), not only the notified ones.
    #[arg(long, requires = "tuning")]
    show_suppressed: bool,
    /// Only records at or after this time: a day (`2026-01-05`, from midnight UTC)
    /// or an RFC 3339 time with its zone (`2026-01-05T10:00:00Z`). For s3:// inputs,
    /// also the day folders listed.
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// Only records before this time (exclusive): a day (up to its end) or an
    /// RFC 3339 time with its zone (Z or an offset).
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
    /// Only records of these accounts (`recipientAccountId`, else
    /// `userIdentity.accountId`; comma-separated 12-digit ids). For s3://
    /// inputs, also the account folders read.
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    accounts: Vec<String>,
    /// Only records of these Regions (`awsRegion`; comma-separated). For s3://
    /// inputs, also the Region folders read. A Region this build does not know
    /// is read, with a warning naming the nearest known one.
    #[arg(long, value_delimiter = ',', value_name = "REGIONS")]
    regions: Vec<String>,
    /// For s3:// inputs: the account that must own the bucket (12 digits). S3
    /// then refuses every request (403) if another account owns it, say after
    /// the archive bucket was deleted and its name taken.
    #[arg(long, value_name = "ACCOUNT")]
    expected_bucket_owner: Option<String>,
    /// Files, directories (recursive) or s3://BUCKET/PREFIX (CloudTrail's S3
    /// layout; docs/replay-s3.md), read in the order given; none or `-` reads stdin.
    paths: Vec<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum StateKind {
    Memory,
    Dynamodb,
}

#[derive(Default)]
struct Counts {
    records: u64,
    /// Parsed, then left out by --since/--until/--accounts/--regions.
    outside: u64,
    rejected: u64,
    not_cloudtrail: u64,
    /// Where the first value that is not CloudTrail was, to name it when
    /// nothing read was CloudTrail.
    first_not_cloudtrail: Option<String>,
    /// Taken by a windowed or correlated detection that could not place them:
    /// no readable `eventTime`.
    unplaced: u64,
    /// Canaries under another resource prefix, and the first one's parameter
    /// (in input order: the same whatever the thread count).
    foreign_canaries: u64,
    first_foreign_canary: Option<String>,
    findings: BTreeMap<&'static str, u64>,
    /// Findings below `--min-severity`: neither printed nor counted above.
    below_min_severity: u64,
    /// Under a tuning: per detection, [notified, suppressed, shadow, held-back].
    dispositions: BTreeMap<&'static str, [u64; 4]>,
    /// Under a tuning: per entry id, the findings it decided (suppressed, or
    /// marked by a dry-run entry).
    entries: BTreeMap<String, u64>,
}

impl Counts {
    /// Values were read and not one was a CloudTrail record: the wrong input,
    /// which a clean summary must not pass for a clean archive.
    fn nothing_was_cloudtrail(&self) -> bool {
        self.records == 0 && self.not_cloudtrail > 0
    }

    /// Counts a finding: in the tuning's preview (dispositions, entries)
    /// whether or not `shown`, and as a finding only when shown (`--min-severity`),
    /// notified ones left out counted apart.
    fn count(&mut self, f: &Finding, shown: bool) {
        let notified = matches!(f.disposition, None | Some(Disposition::Notified));
        if !shown && notified {
            self.below_min_severity += 1;
        }
        let Some(d) = f.disposition else {
            if shown {
                *self.findings.entry(f.detection_id).or_default() += 1;
            }
            return;
        };
        let slot = match d {
            Disposition::Notified => 0,
            Disposition::Suppressed => 1,
            Disposition::Shadow => 2,
            Disposition::HeldBack => 3,
        };
        // The preview of what the tuning does counts every finding: an entry
        // must not read "0 finding(s)" because --min-severity hid its findings
        // (from a review).
        self.dispositions.entry(f.detection_id).or_default()[slot] += 1;
        if d == Disposition::Notified && shown {
            *self.findings.entry(f.detection_id).or_default() += 1;
        }
        // The entry that decided it, and a dry-run entry that matched it too.
        let suppressed = |key: &str| {
            f.evidence
                .get(key)
                .and_then(|v| v.as_str())
                .filter(|_| d == Disposition::Suppressed)
        };
        let entries = [
            suppressed("suppressed_by"),
            suppressed("dry_run_match").or(f.dry_run_suppression.as_deref()),
        ];
        for e in entries.into_iter().flatten() {
            *self.entries.entry(e.to_owned()).or_default() += 1;
        }
    }
}

pub fn run(mut args: Args) -> i32 {
    // Nothing named and a person at the keyboard: say what the silence is.
    if !args.quiet
        && inputs(&args.paths).iter().any(|p| p.as_os_str() == "-")
        && std::io::stdin().is_terminal()
    {
        say!(
            "trailwatch: reading CloudTrail records from standard input (end with Ctrl-D); \
             name files, directories or s3:// archives to read them instead (trailwatch replay --help)"
        );
    }
    let plan = gather(&inputs(&args.paths)).and_then(|(inputs, skipped_by_name)| {
        Ok(Plan {
            inputs,
            filter: filter(&args)?,
            skipped_by_name,
        })
    });
    let plan = match plan {
        Ok(p) => p,
        Err(e) => {
            say!("trailwatch: {e}");
            return EXIT_ERROR;
        }
    };
    // Said whatever `--quiet` says, like the other signs of a wrong input.
    for warning in layout::unknown_regions(&plan.filter.regions) {
        say!("trailwatch: warning: {warning}");
    }
    if let Some(owner) = &args.expected_bucket_owner {
        let problem = if !layout::is_account(owner) {
            Some(format!(
                "{:?} is not an account id (12 digits)",
                one_line(owner, 80)
            ))
        } else if !plan.inputs.iter().any(|i| matches!(i, Input::S3 { .. })) {
            Some("applies to s3:// inputs only".to_owned())
        } else {
            None
        };
        if let Some(p) = problem {
            say!("trailwatch: --expected-bucket-owner: {p}");
            return EXIT_ERROR;
        }
    }
    match chosen_detections(&args.disable, &args.only) {
        Ok(disabled) => args.disable = disabled,
        Err(problems) => {
            for p in problems {
                say!("trailwatch: {p}");
            }
            return EXIT_ERROR;
        }
    }
    if let Some(Err(e)) = args
        .organization_ids
        .as_deref()
        .map(trailwatch::detections::common::organizations::own_organizations)
    {
        say!("trailwatch: --organization-ids: {e}");
        return EXIT_ERROR;
    }
    // From a new user's review: the requests of findings the tuning held back
    // read as ones the functions send (nothing in their subject or attributes
    // says otherwise), ready for `aws sns publish`.
    if args.show_suppressed && args.format == Format::Sns {
        say!(
            "trailwatch: --show-suppressed with --format sns: the functions publish notified \
             findings only, so every line of --format sns is a request they would send; see \
             the others' dispositions with --format jsonl, text, chat or ocsf"
        );
        return EXIT_ERROR;
    }
    if args.findings_format.is_some() && args.format != Format::Sns {
        say!("trailwatch: --findings-format applies to --format sns only");
        return EXIT_ERROR;
    }
    if let Err(e) = trailwatch::resources::set_prefix(&args.resource_prefix) {
        say!("trailwatch: --resource-prefix: {e}");
        return EXIT_ERROR;
    }
    // 2 means an error, and 1 a rejected input under --strict.
    if args.exit_code == 2 || (args.exit_code == 1 && args.strict) {
        say!(
            "trailwatch: --exit-code {}: {} (use 3 to 255)",
            args.exit_code,
            if args.exit_code == 2 {
                "2 already means an error"
            } else {
                "with --strict, 1 already means a rejected input"
            }
        );
        return EXIT_ERROR;
    }
    // The learning span starts at the first record a first-seen detection
    // takes in this process: against a
    // table that keeps the history, every run would learn again and hide up to
    // the span's new terms (from a review).
    if args.state == StateKind::Dynamodb && args.learn.is_some() {
        say!(
            "trailwatch: --learn needs --state memory: a table keeps the history, and each \
             run would learn again (replay the learning span once without --learn's findings, \
             or use a backtest's learn_until)"
        );
        return EXIT_ERROR;
    }
    if args.state == StateKind::Memory && (args.table.is_some() || args.create_table) {
        say!("trailwatch: --table and --create-table need --state dynamodb");
        return EXIT_ERROR;
    }
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            say!("trailwatch: cannot start the async runtime: {e}");
            return EXIT_ERROR;
        }
    };
    match args.state {
        StateKind::Memory => execute(MemoryStore::default(), rt, &plan, &args),
        StateKind::Dynamodb => {
            let Some(table) = args.table.as_deref() else {
                say!("trailwatch: --state dynamodb needs --table NAME");
                return EXIT_ERROR;
            };
            match rt.block_on(dynamodb::connect(table, args.create_table, args.quiet)) {
                Ok(store) => execute(store, rt, &plan, &args),
                Err(e) => {
                    say!("trailwatch: {}", one_line(&e, 2000));
                    EXIT_ERROR
                }
            }
        }
    }
}

mod matched;
mod plan;
mod s3;
mod sink;
mod summary;

use sink::{Progress, Replay, prefilter, read_local};

use plan::{Input, Plan, filter, gather, local_files};

#[cfg(feature = "aws-chain")]
mod dynamodb {
    use trailwatch::state::DynamoStore;
    use trailwatch::state::dynamodb::{EVENT_TIME_KEEP_SECS, Validity, ensure_table, schema};

    /// A store over `table`, with the standard AWS SDK configuration. Checks that the
    /// table exists (or creates it with `create`).
    pub async fn connect(table: &str, create: bool, quiet: bool) -> Result<DynamoStore, String> {
        let config = trailwatch::aws::sdk_config()
            .await
            .map_err(|e| format!("--state dynamodb: {e}"))?;
        let client = aws_sdk_dynamodb::Client::new(&config);
        let check = ensure_table(&client, table, create)
            .await
            .map_err(|e| e.to_string())?;
        if !quiet {
            if check.created {
                say!(
                    "trailwatch: created DynamoDB table {table} (TTL on {})",
                    schema::TTL_ATTRIBUTE
                );
            } else if !check.ttl_enabled {
                say!(
                    "trailwatch: warning: TTL is not enabled on {} of table {table}: expired items \
                     are ignored but never deleted",
                    schema::TTL_ATTRIBUTE
                );
            }
        }
        // Windows and claims go by event time: old events stay valid in the
        // table, and TTL deletes them a while after the run (wall clock).
        Ok(
            DynamoStore::new(client, table, schema::REPLAY_PREFIX).with_validity(
                Validity::EventTime {
                    keep_secs: EVENT_TIME_KEEP_SECS,
                },
            ),
        )
    }
}

#[cfg(not(feature = "aws-chain"))]
mod dynamodb {
    pub async fn connect(
        _table: &str,
        _create: bool,
        _quiet: bool,
    ) -> Result<trailwatch::state::MemoryStore, String> {
        Err(
            "--state dynamodb: this build of trailwatch has no AWS support (feature `aws-chain`)"
                .into(),
        )
    }
}

/// The detections to disable, from `--disable` or `--only` (ids trimmed, empty
/// ones ignored), or every unknown id with the nearest known one.
fn chosen_detections(disable: &[String], only: &[String]) -> Result<Vec<String>, Vec<String>> {
    let known: Vec<&str> = trailwatch::catalog::ALL
        .iter()
        .map(|d| d.meta().id)
        .collect();
    let (option, ids) = if only.is_empty() {
        ("--disable", disable)
    } else {
        ("--only", only)
    };
    let named = !ids.is_empty();
    let ids: Vec<&str> = ids
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    // `--only "$UNSET"` would run nothing and pass: it must name an id (an empty
    // `--disable` disables nothing, as before).
    if named && ids.is_empty() && option == "--only" {
        return Err(vec![format!("{option}: no detection id given")]);
    }
    let problems: Vec<String> = ids
        .iter()
        .filter(|id| !known.contains(id))
        .map(|id| format!("{option}: {}", super::unknown_id(id, &known)))
        .collect();
    if !problems.is_empty() {
        return Err(problems);
    }
    if only.is_empty() {
        return Ok(ids.iter().map(|s| (*s).to_owned()).collect());
    }
    Ok(known
        .iter()
        .filter(|k| !ids.contains(k))
        .map(|k| (*k).to_owned())
        .collect())
}

/// Replays `inputs` through every detection with `store` as the state: the same code
/// for every store.
fn execute<S: Store>(
    store: S,
    rt: tokio::runtime::Runtime,
    Plan {
        inputs,
        filter,
        skipped_by_name,
    }: &Plan,
    args: &Args,
) -> i32 {
    let settings = Settings {
        disabled: args.disable.iter().cloned().collect(),
        learn_secs: args.learn.map(|days| days * 86_400),
        silence_secs: Some(args.silence_secs),
        tuning_today: args.now.as_deref().and_then(trailwatch::tuning::parse_day),
        // Checked in `run`.
        own_organizations: args.organization_ids.as_deref().and_then(|ids| {
            trailwatch::detections::common::organizations::own_organizations(ids)
                .ok()
                .flatten()
        }),
        ..Settings::for_replay()
    };
    // Shared with the S3 reader's decoding threads (the prefilter).
    let engine = Arc::new(Engine::new(settings));
    if let Some(file) = &args.tuning {
        let today = match super::tuning::today(args.now.as_deref()) {
            Ok(d) => d,
            Err(e) => {
                say!("trailwatch: {e}");
                return EXIT_ERROR;
            }
        };
        match super::tuning::load(file, today, args.quiet) {
            Ok(t) => engine.set_tuning(Some(std::sync::Arc::new(t))),
            Err(_) => return EXIT_ERROR,
        }
    }
    let limits = Limits {
        max_record_bytes: args.max_record_bytes,
        max_document_bytes: args.max_document_bytes,
        max_file_bytes: args.max_file_bytes,
    };
    let mut replay = Replay {
        engine: &engine,
        store,
        out: Stdout_::new(
            args.format,
            args.findings_format.unwrap_or(FindingsFormat::Json).into(),
        )
        .showing_at_least(args.min_severity.map(Into::into)),
        rt,
        counts: Counts::default(),
        quiet: args.quiet,
        fatal: None,
        strict: args.strict,
        progress: Progress::new(
            !args.quiet && std::io::stderr().is_terminal(),
            local_files(inputs),
        ),
        show_suppressed: args.show_suppressed,
        filter: filter.clone(),
        matches: matched::FilterMatches::new(filter),
    };
    let threads = args.threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let started = Instant::now();
    let mut s3_requests = 0;
    for input in inputs {
        match input {
            // The names the summary's skipped-by-name line gives (from a new
            // user's review: Firehose's were left out here).
            Input::Empty(dir) => replay.unreadable(&std::io::Error::other(format!(
                "{}: no input files in it ({} or a Firehose object's name)",
                one_line(&dir.display().to_string(), 500),
                trailwatch::event::reader::INPUT_EXTENSIONS.join(", ")
            ))),
            Input::Unread { dir, files } => {
                replay.counts.rejected += files.len() as u64 - 1;
                replay.unreadable(&std::io::Error::other(format!(
                    "{}: {} file(s) not read, compressed in a form trailwatch does not read \
                     (bzip2, zstd, xz, zip), e.g. {}: decompress them (or gzip them) first",
                    one_line(&dir.display().to_string(), 500),
                    files.len(),
                    files
                        .first()
                        .map(|f| one_line(&f.display().to_string(), 500))
                        .unwrap_or_default()
                )));
            }
            Input::Local(paths) => read_local(
                paths,
                threads,
                &limits,
                args.strict,
                args.chunk_bytes,
                &mut replay,
            ),
            Input::S3 { bucket, prefix } => {
                let strict = args.strict;
                let e = Arc::clone(&engine);
                let keep: s3::Prefilter = Arc::new(move |json: &[u8]| prefilter(&e, strict, json));
                let source = s3::Source {
                    bucket,
                    expected_owner: args.expected_bucket_owner.as_deref(),
                    prefix,
                    filter,
                    limits: &limits,
                    threads,
                    prefilter: keep,
                    engine: Arc::clone(&engine),
                };
                match s3::read(&source, &mut replay) {
                    Ok(n) => s3_requests += n,
                    Err(e) => {
                        replay.progress.clear();
                        let _ = replay.out.flush();
                        say!("trailwatch: {}", one_line(&e, 2000));
                        return EXIT_ERROR;
                    }
                }
            }
        }
        if replay.fatal.is_some() {
            break;
        }
    }
    replay.progress.clear();
    let flushed = replay.out.flush();
    if let Some(msg) = &replay.fatal {
        // Only the terminal going away ends a replay quietly; a state store error
        // that happens to mention a broken pipe is still an error.
        if !(msg.starts_with("cannot write findings:") && msg.ends_with("broken pipe")) {
            say!("trailwatch: {msg}");
            return EXIT_ERROR;
        }
        // Findings were being written when the reader went away (`| head`):
        // the exit status says what was read up to then (`--strict` on a
        // rejection, `--exit-code` on a notified finding; from a review, which
        // found both taken from the flags alone); what came after was not read.
        return replay.exit_status(args);
    }
    if let Err(e) = flushed
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        say!("trailwatch: cannot write findings: {e}");
        return EXIT_ERROR;
    }
    summary::report(&summary::Ending {
        args,
        engine: &engine,
        counts: &replay.counts,
        filter,
        skipped_by_name,
        s3: (s3_requests > 0).then_some((
            replay.progress.files_done,
            replay.progress.bytes,
            s3_requests,
        )),
        secs: started.elapsed().as_secs_f64(),
        filter_warnings: replay.matches.warnings(),
    });
    let code = replay.exit_status(args);
    // The process ends next: freeing a long replay's window items one by one
    // took about 5 % of its time, for nothing.
    std::mem::forget(replay.store);
    code
}
