//! Tuning: one reviewed TOML file that says, per detection, whether it runs
//! (`mode`), how loud it is (`severity`), how repeats collapse (`dedup_secs`,
//! `dedup_by`) and how its window counts (`window_secs`, `threshold`), and which
//! known activity is suppressed (`[[suppress]]` entries with an owner, a reason and
//! an expiry). docs/tuning.md is the user's guide; `example.toml` shows every key.
//!
//! - `parse.rs`: the file to a [`Tuning`], every problem located (`file:line:column`);
//! - `breadth.rs`: the checks of whether an entry's match is too broad (any
//!   record, a name in any account, only what the caller chooses), which `parse.rs`
//!   reports;
//! - `parse/evidence_keys.rs`: an entry's `evidence.<key>` names held to the
//!   keys its detections write;
//! - `glob.rs`, `cidr.rs`: the value matchers of `[suppress.match]`;
//! - `apply.rs`: what the engine does with a finding once a tuning is set
//!   (off, then shadow, then suppression, then dedup, then notify);
//! - `location.rs`: where the functions read the file from (a path or S3);
//! - `tests.rs`: the tests of the file, its matching and the engine under it.
//!
//! Fail-safe by construction: an entry only suppresses a finding when every record
//! behind it matched the entry, a field that is absent never matches, and a tuning
//! with any error is refused whole (callers keep the last good one or none).

pub(crate) mod apply;
pub use apply::dedup_group;
mod breadth;
mod cidr;
mod glob;
pub mod location;
mod parse;

use std::cell::OnceCell;
use std::collections::HashMap;
use std::fmt;

use serde_json::Value;

use crate::detection::{Evidence, Severity};
use crate::event::Record;

pub use breadth::{
    REACH_EVIDENCE_KEYS, SIGN_IN_EVENT_NAMES, SIGN_IN_FIELDS, SIGN_IN_IDENTITY_TYPES,
};
pub use cidr::Cidr;
pub use glob::Glob;
pub use parse::{line_column, text_from_bytes};

/// A commented tuning file with every key (`trailwatch tuning example`).
pub const EXAMPLE: &str = include_str!("example.toml");

/// [`EXAMPLE`] with its expiry dates moved to 90 and 60 days after `today` (days
/// since the epoch): a file started from the example passes `check --strict`
/// for two months, whenever it is printed (from a review: the fixed dates
/// went stale).
pub fn example_for(today: i64) -> String {
    let day = |offset: i64| {
        let ms = (today + offset).saturating_mul(86_400_000);
        crate::event::time::format_event_time(ms)
            .chars()
            .take(10)
            .collect::<String>()
    };
    EXAMPLE
        .replace("\"2027-03-01\"", &format!("\"{}\"", day(90)))
        .replace("\"2027-01-31\"", &format!("\"{}\"", day(60)))
}

/// Warn this many days before an entry expires.
pub const EXPIRY_WARNING_DAYS: i64 = 14;
/// `expires` may be at most this many days ahead: every suppression is reviewed
/// at least once a year.
pub const MAX_EXPIRY_DAYS: i64 = 365;
/// The longest `dedup_secs` (30 days).
pub const MAX_DEDUP_SECS: i64 = 30 * 86_400;

/// A validated tuning.
#[derive(Debug, Clone, Default)]
pub struct Tuning {
    detections: HashMap<String, DetectionTuning>,
    entries: Vec<Entry>,
    /// Where it was read from (a path or an S3 URL), for logs.
    pub source: String,
    /// A digest of the text: which version was applied, for logs.
    pub digest: String,
    /// Expired and soon-expiring entries (the file is still valid).
    pub warnings: Vec<Problem>,
    /// What the file says that does not do all it seems to (see [`Level::Note`]).
    pub notes: Vec<Problem>,
}

/// What `mode` says about a detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Runs and notifies (the default).
    #[default]
    On,
    /// Runs; findings are counted and logged but never notified.
    Shadow,
    /// Does not run.
    Off,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::On => "on",
            Mode::Shadow => "shadow",
            Mode::Off => "off",
        }
    }
}

/// A field of a finding that groups repeats for dedup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DedupKey {
    Account,
    Actor,
    SourceIp,
    Region,
}

impl DedupKey {
    pub const ALL: [(&'static str, DedupKey); 4] = [
        ("account", DedupKey::Account),
        ("actor", DedupKey::Actor),
        ("source_ip", DedupKey::SourceIp),
        ("region", DedupKey::Region),
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            DedupKey::Account => "account",
            DedupKey::Actor => "actor",
            DedupKey::SourceIp => "source_ip",
            DedupKey::Region => "region",
        }
    }
}

/// `[detections.<id>]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectionTuning {
    pub mode: Mode,
    pub severity: Option<Severity>,
    /// 0: no dedup.
    pub dedup_secs: i64,
    pub dedup_by: Vec<DedupKey>,
    pub window_secs: Option<i64>,
    pub threshold: Option<usize>,
}

impl Default for DetectionTuning {
    fn default() -> Self {
        DetectionTuning {
            mode: Mode::On,
            severity: None,
            dedup_secs: 0,
            dedup_by: vec![DedupKey::Account, DedupKey::Actor],
            window_secs: None,
            threshold: None,
        }
    }
}

/// One `[[suppress]]` entry.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: String,
    /// The id and a digest of what the entry covers (its detections and
    /// `match`): what a window's observations keep of the entries their record
    /// matched. An entry narrowed under the same id is then another entry, so
    /// records its old definition matched do not let it suppress a burst.
    pub fingerprint: String,
    /// Detection ids, or `*` for all.
    pub detections: Vec<String>,
    pub reason: String,
    pub owner: String,
    /// `YYYY-MM-DD`, the last day (UTC) it applies.
    pub expires: String,
    /// `expires` in days since the Unix epoch.
    pub expires_day: i64,
    pub dry_run: bool,
    matchers: Vec<Matcher>,
    /// Whether a key reads where a share or trust reaches
    /// ([`REACH_EVIDENCE_KEYS`]): the entry then misses a finding that reaches
    /// further (`breadth::WIDER_REACH_KEYS`).
    reaches: bool,
}

#[derive(Debug, Clone)]
struct Matcher {
    /// The CloudTrail field path, split at dots.
    path: Vec<String>,
    values: Values,
    /// The key and its values as written, for [`Entry::fingerprint`].
    definition: String,
}

#[derive(Debug, Clone)]
enum Values {
    Globs(Vec<Glob>),
    Cidrs(Vec<Cidr>),
    /// `|absent = true`: the path reaches no value ([`Fields::absent`]).
    Absent,
}

impl Entry {
    /// See [`Entry::fingerprint`]: key order and detection order do not matter.
    fn fingerprint_of(id: &str, detections: &[String], matchers: &[Matcher]) -> String {
        let mut detections: Vec<&str> = detections.iter().map(String::as_str).collect();
        detections.sort_unstable();
        let mut definitions: Vec<&str> = matchers.iter().map(|m| m.definition.as_str()).collect();
        definitions.sort_unstable();
        let digest =
            crate::finding::finding_id(&[&detections.join("\u{1f}"), &definitions.join("\u{1e}")]);
        format!("{id}@{}", &digest[..12])
    }

    /// Whether the entry names `detection` (or `*`).
    pub fn names(&self, detection: &str) -> bool {
        self.detections.iter().any(|d| d == "*" || d == detection)
    }
    /// Whether it still applies on `day` (days since the epoch): `expires` is the
    /// last day it does.
    pub fn active(&self, day: i64) -> bool {
        day <= self.expires_day
    }
    /// Whether a key reads the evidence's `key` (`evidence.<key>` or
    /// `evidence.<key>[]`).
    fn names_evidence(&self, key: &str) -> bool {
        // A key of values only: an absent key pins no reach (it reads a list
        // of nulls as absent, which `reaches_wider` counts as reaching).
        self.matchers
            .iter()
            .filter(|m| !matches!(m.values, Values::Absent))
            .any(|m| match m.path.as_slice() {
                [root, named] => {
                    root == EVIDENCE_ROOT && named.strip_suffix(LIST_MARK).unwrap_or(named) == key
                }
                _ => false,
            })
    }
    /// Whether every key of `match` matches the record, or the evidence the
    /// detection gave for it (`evidence.<key>`): its field's text, or through a
    /// list (`items[]`) every item's, each any of the key's values; for an
    /// `|absent` key, the path reaching no value ([`Fields::absent`]).
    fn matches(&self, fields: &Fields<'_, '_>, evidence: &Evidence) -> bool {
        if self.reaches && breadth::reaches_wider(evidence, |key| self.names_evidence(key)) {
            return false;
        }
        self.matchers.iter().all(|m| {
            let in_evidence = match m.path.split_first() {
                Some((root, rest)) if root == EVIDENCE_ROOT => Some(rest),
                _ => None,
            };
            let values = match &m.values {
                Values::Absent => {
                    return match in_evidence {
                        Some(rest) => evidence_absent(evidence, rest),
                        None => fields.absent(&m.path),
                    };
                }
                values => values,
            };
            let texts = match in_evidence {
                Some(rest) => evidence_texts(evidence, rest),
                None => fields.texts(&m.path),
            };
            let Some(texts) = texts else {
                return false;
            };
            texts.iter().all(|text| match values {
                Values::Globs(gs) => gs.iter().any(|g| g.matches(text)),
                Values::Cidrs(cs) => cs.iter().any(|c| c.contains(text)),
                Values::Absent => false,
            })
        })
    }
}

/// A problem in a tuning file, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub source: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub level: Level,
    /// A warning of an entry's expiry (lapsed or near): it weakens no
    /// detection, so the functions do not count it in `TuningWarnings`.
    pub about_expiry: bool,
}

/// How much a [`Problem`] matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// The file is refused.
    Error,
    /// The file is valid (`--strict` refuses it), but an entry lapsed or is
    /// near its expiry, or weakens a detection more than it seems to.
    Warning,
    /// Something the file says that does not do all it seems to: valid, even
    /// under `--strict`.
    Note,
}

impl Problem {
    pub fn is_error(&self) -> bool {
        self.level == Level::Error
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.level {
            Level::Error => "",
            Level::Warning => "warning: ",
            Level::Note => "note: ",
        };
        write!(
            f,
            "{}:{}:{}: {kind}{}",
            self.source, self.line, self.column, self.message
        )
    }
}

impl Tuning {
    /// Parses and validates a tuning file. `source` names it in problems; `today`
    /// (days since the epoch, UTC) decides what has expired. `Err` holds every
    /// problem (errors, warnings and notes), in file order.
    pub fn parse(text: &str, source: &str, today: i64) -> Result<Tuning, Vec<Problem>> {
        parse::parse(text, source, today)
    }

    /// The settings of a detection (defaults when the file does not name it).
    pub fn detection(&self, id: &str) -> Option<&DetectionTuning> {
        self.detections.get(id)
    }

    pub fn mode(&self, id: &str) -> Mode {
        self.detections.get(id).map_or(Mode::On, |d| d.mode)
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn entry(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// Detections whose mode is `off`.
    pub fn off(&self) -> impl Iterator<Item = &str> {
        self.detections
            .iter()
            .filter(|(_, d)| d.mode == Mode::Off)
            .map(|(id, _)| id.as_str())
    }

    /// Whether some entry names `detection`: when none does, records are not
    /// looked at for it.
    pub fn has_entries_for(&self, detection: &str) -> bool {
        self.entries.iter().any(|e| e.names(detection))
    }

    /// The fingerprints of the entries (expired or not, dry-run or not) that
    /// name `detection` and match every key on `rec` and on `evidence`, what the
    /// detection gave for it (the finding's, or a window's record's part of it).
    /// Expiry is decided when the finding is, so a window's records matched
    /// earlier still count, as long as the entry has not been changed since.
    pub fn matching(&self, detection: &str, rec: &Record<'_>, evidence: &Evidence) -> Vec<String> {
        let fields = Fields::new(rec);
        self.entries
            .iter()
            .filter(|e| e.names(detection) && e.matches(&fields, evidence))
            .map(|e| e.fingerprint.clone())
            .collect()
    }

    /// Of the entries matched by every record of a finding, the one that suppresses
    /// it (the first active, non-dry-run one in file order) and the first active
    /// dry-run one.
    pub fn decide<'t>(
        &'t self,
        matched: &[String],
        today: i64,
    ) -> (Option<&'t Entry>, Option<&'t Entry>) {
        let mut active = self
            .entries
            .iter()
            .filter(|e| e.active(today) && matched.contains(&e.fingerprint));
        let suppress = active.clone().find(|e| !e.dry_run);
        let dry = active.find(|e| e.dry_run);
        (suppress, dry)
    }
}

/// Today (UTC) in days since the epoch, from epoch seconds.
pub fn day_of(epoch_secs: i64) -> i64 {
    epoch_secs.div_euclid(86_400)
}

/// `YYYY-MM-DD` to days since the epoch.
pub fn parse_day(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    crate::event::time::parse_event_time(&format!("{text}T00:00:00Z"))
        .map(|ms| ms.div_euclid(86_400_000))
}

/// The fields of one record, by dotted path: the record's JSON is parsed into a
/// tree only when an entry first asks (records behind findings are few).
struct Fields<'r, 'a> {
    rec: &'r Record<'a>,
    tree: OnceCell<Option<Value>>,
}

impl<'r, 'a> Fields<'r, 'a> {
    fn new(rec: &'r Record<'a>) -> Self {
        Fields {
            rec,
            tree: OnceCell::new(),
        }
    }

    /// The texts of the field: strings as they are, numbers and booleans as their
    /// JSON text. A part written `name[]` goes into the list `name`, item by item:
    /// one text per item, all or nothing. `None` when the field is absent, null,
    /// an object or an array, or a list is empty or not a list, or any item lacks
    /// the rest of the path: an entry then does not match, and the finding goes out.
    fn texts(&self, path: &[String]) -> Option<Vec<String>> {
        let mut out = Vec::new();
        collect_texts(self.tree()?, path, &mut out)?;
        Some(out)
    }

    /// Whether the path reaches no value: a part of it missing or null, or a
    /// list it goes into (`name[]`) missing, null, empty or without the rest
    /// of the path in any item. An empty string or list at its end is a value.
    /// Where the record holds something else than the path expects (text where
    /// it goes into an object or a list), or could not be read, it is not
    /// absent: the entry then does not match, and the finding goes out.
    fn absent(&self, path: &[String]) -> bool {
        self.tree().is_some_and(|tree| reaches_nothing(tree, path))
    }

    fn tree(&self) -> Option<&Value> {
        self.tree
            .get_or_init(|| self.rec.raw.and_then(crate::event::surrogates::parse_value))
            .as_ref()
    }
}

/// [`Fields::absent`] below `v`.
fn reaches_nothing(v: &Value, path: &[String]) -> bool {
    match (path.split_first(), v) {
        (_, Value::Null) => true,
        (None, _) => false,
        (Some((part, rest)), Value::Object(object)) => {
            let (name, list) = match part.strip_suffix(LIST_MARK) {
                Some(name) => (name, true),
                None => (part.as_str(), false),
            };
            // A key with a dot in its name (Macie's `severity.description`)
            // cannot be named by a dotted path: one that begins with the
            // path's next part and a dot counts as present (from a review).
            if object.get(name).is_none() && !rest.is_empty() {
                let dotted = format!("{name}.");
                if object.keys().any(|k| k.starts_with(&dotted)) {
                    return false;
                }
            }
            field_reaches_nothing(object.get(name), list, rest)
        }
        (Some(_), _) => false,
    }
}

/// Whether a field (`None` when missing), read as a list when `list`, reaches
/// no value by `rest`.
fn field_reaches_nothing(field: Option<&Value>, list: bool, rest: &[String]) -> bool {
    match field {
        None | Some(Value::Null) => true,
        Some(Value::Array(items)) if list => items.iter().all(|item| reaches_nothing(item, rest)),
        Some(_) if list => false,
        Some(v) => reaches_nothing(v, rest),
    }
}

/// [`Fields::texts`] below `v`.
fn collect_texts(v: &Value, path: &[String], out: &mut Vec<String>) -> Option<()> {
    let Some((part, rest)) = path.split_first() else {
        out.push(match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => return None,
        });
        return Some(());
    };
    match part.strip_suffix(LIST_MARK) {
        Some(name) => {
            let items = v.as_object()?.get(name)?.as_array()?;
            if items.is_empty() {
                return None;
            }
            items
                .iter()
                .try_for_each(|item| collect_texts(item, rest, out))
        }
        None => collect_texts(v.as_object()?.get(part)?, rest, out),
    }
}

/// What ends a path part that goes into a list, item by item (`items[]`).
pub(crate) const LIST_MARK: &str = "[]";

/// The first part of a `match` key that reads the finding's evidence rather
/// than the record: `evidence.trusted_principals[]`.
pub(crate) const EVIDENCE_ROOT: &str = "evidence";

/// The texts at `path` below the evidence, as [`Fields::texts`] gives a
/// record's. A key the evidence holds more than once must match in each
/// (none of the detections writes one twice; fail-safe if one did).
fn evidence_texts(evidence: &Evidence, path: &[String]) -> Option<Vec<String>> {
    let (first, rest) = path.split_first()?;
    let (name, list) = match first.strip_suffix(LIST_MARK) {
        Some(name) => (name, true),
        None => (first.as_str(), false),
    };
    let mut out = Vec::new();
    let mut found = false;
    for (_, v) in evidence.0.iter().filter(|(k, _)| k == name) {
        found = true;
        if list {
            let items = v.as_array().filter(|items| !items.is_empty())?;
            items
                .iter()
                .try_for_each(|item| collect_texts(item, rest, &mut out))?;
        } else {
            collect_texts(v, rest, &mut out)?;
        }
    }
    found.then_some(out)
}

/// [`Fields::absent`] for `evidence.<path>`: no evidence key of that name, or
/// none whose value reaches anything by the rest of the path.
fn evidence_absent(evidence: &Evidence, path: &[String]) -> bool {
    let Some((first, rest)) = path.split_first() else {
        return false;
    };
    let (name, list) = match first.strip_suffix(LIST_MARK) {
        Some(name) => (name, true),
        None => (first.as_str(), false),
    };
    evidence
        .0
        .iter()
        .filter(|(k, _)| k == name)
        .all(|(_, v)| field_reaches_nothing(Some(v), list, rest))
}

#[cfg(test)]
mod tests;
