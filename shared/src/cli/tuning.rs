//! `trailwatch tuning check|push|example`: validate a tuning file (and, with
//! `--protect`, prove it silences no known attack), upload it, or print a
//! commented example with every key.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use trailwatch::engine::{Engine, Settings};
use trailwatch::event::Record;
use trailwatch::event::reader::{self, Limits, Location, Sink};
use trailwatch::finding::{Disposition, Finding};
use trailwatch::notify::Collect;
use trailwatch::sanitize::one_line;
use trailwatch::state::MemoryStore;
use trailwatch::tuning::{self, Mode, Problem, Tuning};

use super::{EXIT_ERROR, EXIT_OK, EXIT_REJECTED};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Validate a tuning file: exit 0 when valid, 1 with every problem as
    /// `file:line:column: message`, 2 when it cannot be read.
    Check {
        /// The tuning file (TOML). Required: after --protect's paths, give it last.
        // Optional to the parser only: `--protect` takes every path after it, so
        // in `check --protect events/ tuning.toml` the file is its last value.
        #[arg(required_unless_present = "protect")]
        file: Option<PathBuf>,
        /// Replay these files or directories without and with the tuning; exit 1 if
        /// any finding that fires without it would be suppressed, shadowed or turned
        /// off (the CI gate: `--protect events/`). Given before FILE, it leaves FILE
        /// its last path.
        #[arg(long, value_name = "PATH", num_args = 1..)]
        protect: Vec<PathBuf>,
        /// The day expiry is judged on (default: today, UTC).
        #[arg(long, value_name = "YYYY-MM-DD")]
        now: Option<String>,
        /// Every warning fails too (exit 1): expired entries and entries
        /// expiring within 14 days, entries that could silence an attacker, a
        /// window or threshold far from the built-in, a dedup that holds one
        /// caller behind another; with --protect, a lowered severity. Notes do not.
        #[arg(long)]
        strict: bool,
        /// With --protect: replay as a deployment that names these organisation
        /// ids its own (as `replay --organization-ids`), so that grants fenced to
        /// other organisations fire and are protected too; pass your deployment's.
        #[arg(long, value_name = "IDS", requires = "protect")]
        organization_ids: Option<String>,
    },
    /// Validate a tuning file, then upload it to where the functions read it:
    /// `s3://BUCKET/KEY` (standard AWS SDK configuration), or a local path.
    Push {
        /// The tuning file to validate and upload.
        file: PathBuf,
        /// Where to: s3://BUCKET/KEY (where the functions read it), or a local path.
        #[arg(long, value_name = "LOCATION")]
        to: String,
        /// Refuse to upload a file with any warning (exit 1), as `tuning check
        /// --strict` fails on it; without it, the warnings are printed and the
        /// file is uploaded.
        #[arg(long)]
        strict: bool,
    },
    /// Print a commented tuning file with every key.
    Example,
}

pub fn run(cmd: Command) -> i32 {
    match cmd {
        Command::Check {
            file,
            mut protect,
            now,
            strict,
            organization_ids,
        } => {
            let own_organizations = match organization_ids
                .as_deref()
                .map(trailwatch::detections::common::organizations::own_organizations)
                .transpose()
            {
                Ok(ids) => ids.flatten(),
                Err(e) => {
                    say!("trailwatch: --organization-ids: {e}");
                    return EXIT_ERROR;
                }
            };
            let file = match file {
                Some(file) => file,
                None if protect.len() >= 2 => protect.pop().unwrap_or_default(),
                None => {
                    say!(
                        "trailwatch: tuning check: no tuning file: give it before --protect \
                         (`tuning check FILE --protect PATH...`)"
                    );
                    return EXIT_ERROR;
                }
            };
            check(&file, &protect, own_organizations, now.as_deref(), strict)
        }
        Command::Push { file, to, strict } => push(&file, &to, strict),
        Command::Example => {
            use std::io::Write;
            // A reader that goes away (`| head`) ends it quietly, as `list`
            // does; `print!` panicked on the closed pipe (from a review).
            match std::io::stdout().lock().write_all(
                tuning::example_for(tuning::day_of(trailwatch::state::wall_clock_secs()))
                    .as_bytes(),
            ) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    say!("trailwatch: cannot write the example: {e}");
                    EXIT_ERROR
                }
                _ => EXIT_OK,
            }
        }
    }
}

/// `--now YYYY-MM-DD` (or today) as days since the epoch.
pub fn today(now: Option<&str>) -> Result<i64, String> {
    match now {
        Some(text) => tuning::parse_day(text)
            .ok_or_else(|| format!("--now {:?} is not a date YYYY-MM-DD", one_line(text, 40))),
        None => Ok(tuning::day_of(trailwatch::state::wall_clock_secs())),
    }
}

/// Reads and validates `file`, printing every problem. `Err(exit status)`.
pub fn load(file: &Path, today: i64, quiet: bool) -> Result<Tuning, i32> {
    load_read(file, today, quiet).map(|(t, _)| t)
}

/// As `load`, with the text that was validated (what `push` uploads: the file
/// may change between two reads).
fn load_read(file: &Path, today: i64, quiet: bool) -> Result<(Tuning, String), i32> {
    let source = one_line(&file.display().to_string(), 500);
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) => {
            say!("trailwatch: {source}: {e}");
            return Err(EXIT_ERROR);
        }
    };
    // A file that is not UTF-8 is an invalid file, located like its other
    // problems (from a review: it exited 2, as an unreadable one, unlocated).
    let text = match trailwatch::tuning::text_from_bytes(bytes, &source) {
        Ok(t) => t,
        Err(e) => {
            say!("{e}");
            return Err(EXIT_REJECTED);
        }
    };
    match Tuning::parse(&text, &source, today) {
        Ok(t) => {
            if !quiet {
                let mut said: Vec<Problem> = t.notes.iter().chain(&t.warnings).cloned().collect();
                said.sort_by_key(|p| (p.line, p.column));
                print_problems(&said);
            }
            Ok((t, text))
        }
        Err(problems) => {
            print_problems(&problems);
            Err(EXIT_REJECTED)
        }
    }
}

fn print_problems(problems: &[Problem]) {
    for p in problems {
        say!("{}", one_line(&p.to_string(), 2000));
    }
}

fn check(
    file: &Path,
    protect: &[PathBuf],
    own_organizations: Option<Arc<[String]>>,
    now: Option<&str>,
    strict: bool,
) -> i32 {
    let today = match today(now) {
        Ok(d) => d,
        Err(e) => {
            say!("trailwatch: {e}");
            return EXIT_ERROR;
        }
    };
    let t = match load(file, today, false) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let name = one_line(&file.display().to_string(), 500);
    let dry = t.entries().iter().filter(|e| e.dry_run).count();
    say!(
        "{name}: valid: {} suppression entries ({dry} dry-run), {} warning(s)",
        t.entries().len(),
        t.warnings.len()
    );
    let mut status = if strict && !t.warnings.is_empty() {
        EXIT_REJECTED
    } else {
        EXIT_OK
    };
    if !protect.is_empty() {
        match protected(&t, today, protect, own_organizations) {
            Ok(p) => status = status.max(p.report(&name, strict)),
            Err(e) => {
                say!("trailwatch: {}", one_line(&e, 2000));
                return EXIT_ERROR;
            }
        }
    }
    status
}

/// What `--protect` found.
pub struct Protection {
    /// Findings of the untuned replay: every one was checked.
    pub checked: usize,
    /// Why each silenced finding is silenced.
    pub silenced: Vec<String>,
    /// Findings notified at a lower severity (a subscription that filters on
    /// severity may no longer receive them): warnings, failures under `--strict`.
    pub lowered: Vec<String>,
}

impl Protection {
    /// Says what was found on stderr; the exit status it calls for.
    fn report(&self, name: &str, strict: bool) -> i32 {
        for line in &self.lowered {
            say!("{name}: --protect: warning: {line}");
        }
        for line in &self.silenced {
            say!("{name}: --protect: {line}");
        }
        if self.silenced.is_empty() {
            say!(
                "{name}: --protect: every finding still fires ({} checked)",
                self.checked
            );
        } else {
            say!(
                "{name}: --protect: {} of {} finding(s) would be silenced",
                self.silenced.len(),
                self.checked
            );
        }
        if !self.silenced.is_empty() || (strict && !self.lowered.is_empty()) {
            EXIT_REJECTED
        } else {
            EXIT_OK
        }
    }
}

/// Replays `paths` without and with `tuning`; says what the tuning would silence.
/// A protect set that cannot be read whole, or in which nothing fires untuned,
/// is an error: a gate that checked nothing must not pass.
pub fn protected(
    tuning: &Tuning,
    today: i64,
    paths: &[PathBuf],
    own_organizations: Option<Arc<[String]>>,
) -> Result<Protection, String> {
    let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let paths = reader::expand_paths(paths).map_err(|e| e.to_string())?;
    // From a new user's review: an empty directory was said to fire nothing.
    if paths.is_empty() {
        return Err(format!(
            "--protect: no input files in {} ({} or a Firehose object's name): no finding would be checked",
            shown.join(", "),
            reader::INPUT_EXTENSIONS.join(", ")
        ));
    }
    let (untuned, places) = replay(&paths, None, today, own_organizations.clone())?;
    if untuned.is_empty() {
        return Err(format!(
            "--protect: nothing fires untuned in {}: no finding would be checked",
            shown.join(", ")
        ));
    }
    let (tuned, _) = replay(
        &paths,
        Some(Arc::new(tuning.clone())),
        today,
        own_organizations,
    )?;
    let by_id: HashMap<&str, &Finding> = tuned.iter().map(|f| (f.finding_id.as_str(), f)).collect();
    let mut out = Vec::new();
    let mut lowered = Vec::new();
    for f in &untuned {
        let det = f.detection_id;
        let ids = format!(
            "{}{}",
            one_line(&f.event_ids.join(", "), 500),
            files_of(&places, &f.event_ids)
        );
        let tuned_finding = by_id
            .get(f.finding_id.as_str())
            .copied()
            .or_else(|| twin_by_records(&tuned, f));
        if let Some(g) = tuned_finding.filter(|g| g.severity < f.severity) {
            lowered.push(format!(
                "[detections.{det}] severity = \"{}\" lowers {det} from {} on event ids: {ids}",
                g.severity.as_str(),
                f.severity.as_str()
            ));
        }
        // What the tuned replay did with the finding decides; `off` is only why
        // it is missing (a finding no tuning reaches is still notified).
        // A tuned finding without a disposition is one no tuning reached.
        let why = match tuned_finding.map(|g| g.disposition.unwrap_or(Disposition::Notified)) {
            Some(Disposition::HeldBack) => tuned_finding
                .and_then(|g| held_behind_another_actor(tuning, &tuned, g))
                .map(|(by, notified)| {
                    format!(
                        "[detections.{det}] dedup_by = {by} holds back {det} by {:?} behind {:?}'s finding",
                        one_line(&f.actor.key, 200),
                        one_line(notified, 200)
                    )
                }),
            Some(Disposition::Suppressed) => {
                let entry = tuned_finding
                    .and_then(|g| g.evidence.get("suppressed_by"))
                    .and_then(|v| v.as_str())
                    .unwrap_or("?")
                    .to_owned();
                Some(format!("entry {entry:?}"))
            }
            Some(Disposition::Shadow) => Some(format!("[detections.{det}] mode = \"shadow\"")),
            Some(Disposition::Notified) => None,
            None if tuning.mode(det) == Mode::Off => {
                Some(format!("[detections.{det}] mode = \"off\""))
            }
            // A changed window or threshold, and no tuned finding shares a record.
            None => Some(format!("[detections.{det}] window_secs/threshold")),
        };
        if let Some(why) = why {
            out.push(format!("{why} silences {det} on event ids: {ids}"));
        }
    }
    Ok(Protection {
        checked: untuned.len(),
        silenced: out,
        lowered,
    })
}

/// ` (in FILE, ...)`: the files the records `ids` were read from, so that a
/// gate's failure points at the sample it would silence (from a review: event
/// ids alone sent people grepping).
fn files_of(places: &Places, ids: &[String]) -> String {
    let mut files: Vec<&str> = Vec::new();
    for id in ids {
        if let Some(file) = places.get(id)
            && !files.contains(&&**file)
        {
            files.push(file);
        }
    }
    if files.is_empty() {
        String::new()
    } else {
        format!(" (in {})", one_line(&files.join(", "), 500))
    }
}

/// Where each record of a replay was read from, by its identity (the ids a
/// finding names).
type Places = HashMap<String, Arc<str>>;

/// The tuned finding that stands for `untuned` when a changed window or
/// threshold gave it another id: one of the same detection sharing a record
/// with it, a notified one first and the most severe of those, so the checks
/// above judge it as they judge a finding found by id. From a review: with
/// `window_secs` set too, a lowered severity and a hold behind another actor's
/// finding went unseen, since any twin notified or held back counted as firing.
fn twin_by_records<'t>(tuned: &'t [Finding], untuned: &Finding) -> Option<&'t Finding> {
    let rank = |g: &Finding| match g.disposition {
        Some(Disposition::Notified) | None => 3,
        Some(Disposition::HeldBack) => 2,
        Some(Disposition::Shadow) => 1,
        Some(Disposition::Suppressed) => 0,
    };
    tuned
        .iter()
        .filter(|g| {
            g.detection_id == untuned.detection_id
                && g.event_ids.iter().any(|id| untuned.event_ids.contains(id))
        })
        .max_by_key(|g| (rank(g), g.severity))
}

/// A finding held back by dedup is silenced when the notified finding its
/// group waits behind is another actor's (a `dedup_by` without `actor`): the
/// later actor's calls reach no one until that group's next notification. The
/// `dedup_by` list as written, and the actor notified.
fn held_behind_another_actor<'t>(
    tuning: &Tuning,
    tuned: &'t [Finding],
    held: &Finding,
) -> Option<(String, &'t str)> {
    let settings = tuning.detection(held.detection_id)?;
    let by = settings.dedup_by.as_slice();
    let group = trailwatch::tuning::dedup_group(held, by);
    let time = |f: &Finding| {
        f.event_time
            .last
            .as_deref()
            .and_then(trailwatch::event::time::parse_event_time)
    };
    // The one it waited behind: the group's last notified finding before it,
    // within the dedup period of its time (a later notification of the group,
    // the held actor's own perhaps, does not count).
    let at = tuned.iter().position(|t| std::ptr::eq(t, held))?;
    let held_ms = time(held)?;
    let notified = tuned[..at].iter().rev().find(|n| {
        n.detection_id == held.detection_id
            && n.disposition == Some(Disposition::Notified)
            && trailwatch::tuning::dedup_group(n, by) == group
            && time(n).is_some_and(|t| held_ms - t < settings.dedup_secs.saturating_mul(1000))
    })?;
    (notified.actor.key != held.actor.key).then(|| {
        let names: Vec<String> = by.iter().map(|k| format!("{:?}", k.as_str())).collect();
        (
            format!("[{}]", names.join(", ")),
            notified.actor.key.as_str(),
        )
    })
}

/// Every finding of a replay of `paths` (with its disposition under a tuning),
/// and, replayed without a tuning, where each record it took was read from.
fn replay(
    paths: &[PathBuf],
    tuning: Option<Arc<Tuning>>,
    today: i64,
    own_organizations: Option<Arc<[String]>>,
) -> Result<(Vec<Finding>, Places), String> {
    let keep_places = tuning.is_none();
    // As `replay`: windows and claims go by event time, and a gap between
    // canaries is a `pipeline-silent` finding (from a review: the gate missed a
    // file that shadowed or turned off that critical detection).
    let settings = Settings {
        tuning_today: Some(today),
        own_organizations,
        ..Settings::for_replay()
    };
    let engine = Engine::new(settings);
    engine.set_tuning(tuning);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let mut sink = Collector {
        engine: &engine,
        store: MemoryStore::default(),
        notifier: Collect::default(),
        rt,
        now: trailwatch::state::wall_clock_secs(),
        found: Vec::new(),
        error: None,
        unreadable: 0,
        first_unreadable: None,
        places: keep_places.then(Places::new),
        source: None,
    };
    for p in paths {
        reader::read_path(p, &Limits::default(), &mut sink).map_err(|e| e.to_string())?;
        if let Some(e) = sink.error.take() {
            return Err(e);
        }
    }
    if let Some(first) = sink.first_unreadable {
        return Err(format!(
            "--protect: {} record(s) could not be read (the first: {first}): the gate must read every record it is given",
            sink.unreadable
        ));
    }
    Ok((sink.found, sink.places.unwrap_or_default()))
}

struct Collector<'e> {
    engine: &'e Engine,
    store: MemoryStore,
    notifier: Collect,
    rt: tokio::runtime::Runtime,
    now: i64,
    found: Vec<Finding>,
    error: Option<String>,
    /// Records rejected or not valid, and where the first was.
    unreadable: u64,
    first_unreadable: Option<String>,
    /// Where each record taken was read from, when asked; the file being read.
    places: Option<Places>,
    source: Option<Arc<str>>,
}

impl Collector<'_> {
    fn unreadable(&mut self, loc: &Location, reason: &str) {
        self.unreadable += 1;
        self.first_unreadable
            .get_or_insert_with(|| one_line(&format!("{loc}: {reason}"), 500));
    }
}

impl Sink for Collector<'_> {
    fn record(&mut self, loc: &Location, json: &str) {
        let mut repaired = String::new();
        let rec = match Record::from_json_repairing(json, &mut repaired) {
            Ok(rec) => rec,
            Err(e) => {
                return self.unreadable(loc, &trailwatch::event::reader::invalid_record(&e, json));
            }
        };
        if let Some(places) = &mut self.places {
            let source = match &self.source {
                Some(s) if **s == *loc.source => s.clone(),
                _ => self.source.insert(Arc::from(loc.source.as_str())).clone(),
            };
            places.insert(trailwatch::finding::record_identity(&rec), source);
        }
        match self.rt.block_on(
            self.engine
                .handle(&rec, &self.store, &self.notifier, self.now),
        ) {
            Ok(found) => self.found.extend(found),
            Err(e) => self.error = Some(e.to_string()),
        }
    }
    fn rejected(&mut self, loc: &Location, reason: &str) {
        self.unreadable(loc, reason);
    }
    fn not_cloudtrail(&mut self, _loc: &Location) {}
    fn wanted(&mut self, json: &[u8]) -> bool {
        self.engine.wants_json(json)
    }
    fn stopped(&self) -> bool {
        self.error.is_some()
    }
}

fn push(file: &Path, to: &str, strict: bool) -> i32 {
    let today = match today(None) {
        Ok(d) => d,
        Err(e) => {
            say!("trailwatch: {e}");
            return EXIT_ERROR;
        }
    };
    // The bytes validated are the bytes uploaded.
    let text = match load_read(file, today, false) {
        Ok((t, _)) if strict && !t.warnings.is_empty() => {
            say!(
                "trailwatch: {}: {} warning(s), not pushed (--strict)",
                one_line(&file.display().to_string(), 500),
                t.warnings.len()
            );
            return EXIT_REJECTED;
        }
        Ok((_, text)) => text,
        Err(code) => return code,
    };
    match upload(text.as_bytes(), to) {
        Ok(()) => {
            say!(
                "trailwatch: pushed {} to {}",
                one_line(&file.display().to_string(), 500),
                one_line(to, 500)
            );
            EXIT_OK
        }
        Err(e) => {
            say!(
                "trailwatch: push to {}: {}",
                one_line(to, 500),
                one_line(&e, 2000)
            );
            EXIT_ERROR
        }
    }
}

#[cfg(feature = "aws-chain")]
fn upload(bytes: &[u8], to: &str) -> Result<(), String> {
    match tuning::location::Location::parse(to)? {
        tuning::location::Location::Local(path) => {
            // Write beside, then rename: a function reading it never sees half a file.
            if path.is_dir() {
                return Err(format!("{} is a directory", path.display()));
            }
            let tmp = path.with_extension("tmp-push");
            // Nothing half-done is left beside it, whichever step fails.
            std::fs::write(&tmp, bytes)
                .and_then(|()| std::fs::rename(&tmp, &path))
                .map_err(|e| {
                    let _ = std::fs::remove_file(&tmp);
                    e.to_string()
                })
        }
        tuning::location::Location::S3 { bucket, key, .. } => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(async {
                let client = tuning::location::s3_client().await?;
                tuning::location::put_s3(&client, &bucket, &key, bytes.to_vec()).await
            })
        }
    }
}

#[cfg(not(feature = "aws-chain"))]
fn upload(_bytes: &[u8], _to: &str) -> Result<(), String> {
    Err("this build of trailwatch has no AWS support (feature `aws-chain`)".into())
}
