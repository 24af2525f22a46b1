//! The tuning file to a [`Tuning`]: TOML parsed with spans, then checked key by key
//! so that every problem is reported at once, as `file:line:column: message`.

use std::collections::HashMap;
use std::ops::Range;

use serde_spanned::Spanned;
use toml::de::{DeTable, DeValue};

use super::breadth::{
    ALWAYS_WRITTEN, caller_chosen_only, evidence_takes_anyone, glob_over_policy_text,
    identity_without_account, matches_anything, may_match_a_sign_in, names_a_network,
    principal_everyone, reach_evidence, where_only,
};
use super::{
    Cidr, DedupKey, DetectionTuning, EXPIRY_WARNING_DAYS, Entry, Glob, Level, MAX_DEDUP_SECS,
    MAX_EXPIRY_DAYS, Matcher, Mode, Problem, Tuning, Values, parse_day,
};
use crate::catalog;
use crate::detection::{Countable, Indexed, Severity, WindowSpec};
use crate::window::MAX_WINDOW_SECS;

mod evidence_keys;
use evidence_keys::{ENGINE_EVIDENCE, evidence_keys_written};

/// The largest threshold: a window keeps at most this many records per group.
const MAX_THRESHOLD: usize = crate::window::MAX_OBSERVATIONS_PER_GROUP;
/// Entry ids become metric dimensions and SNS message attributes: kept plain.
const MAX_ID_CHARS: usize = 64;

/// CloudTrail's top-level record fields: a `match` path must start with one, so that
/// a misspelt field is an error rather than an entry that silently never matches.
const RECORD_FIELDS: &[&str] = &[
    "eventVersion",
    "userIdentity",
    "eventTime",
    "eventSource",
    "eventName",
    "awsRegion",
    "sourceIPAddress",
    "userAgent",
    "errorCode",
    "errorMessage",
    "requestParameters",
    "responseElements",
    "additionalEventData",
    "requestID",
    "eventID",
    "readOnly",
    "resources",
    "eventType",
    "apiVersion",
    "managementEvent",
    "recipientAccountId",
    "serviceEventDetails",
    "sharedEventID",
    "vpcEndpointId",
    "vpcEndpointAccountId",
    "eventCategory",
    "addendum",
    "sessionCredentialFromConsole",
    "edgeDeviceDetails",
    "tlsDetails",
    "insightDetails",
];

type Value<'i> = Spanned<DeValue<'i>>;

struct Checker<'t> {
    text: &'t str,
    source: &'t str,
    today: i64,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn at(&mut self, span: Range<usize>, message: String, level: Level) {
        let (line, column) = line_column(self.text, span.start);
        self.problems.push(Problem {
            source: self.source.to_owned(),
            line,
            column,
            message,
            level,
            about_expiry: false,
        });
    }
    fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.at(span, message.into(), Level::Error);
    }
    fn warn(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.at(span, message.into(), Level::Warning);
    }
    /// A warning of an entry's lapse ([`Problem::about_expiry`]).
    fn warn_expiry(&mut self, span: Range<usize>, message: String) {
        self.warn(span, message);
        if let Some(p) = self.problems.last_mut() {
            p.about_expiry = true;
        }
    }
    fn note(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.at(span, message.into(), Level::Note);
    }

    fn string<'v>(&mut self, v: &'v Value<'_>, what: &str) -> Option<&'v str> {
        match v.get_ref() {
            DeValue::String(s) => Some(s.as_ref()),
            other => {
                self.error(
                    v.span(),
                    format!("{what} must be a string, not {}", other.type_str()),
                );
                None
            }
        }
    }

    fn integer(&mut self, v: &Value<'_>, what: &str, min: i64, max: i64) -> Option<i64> {
        let n = match v.get_ref() {
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix()).ok(),
            other => {
                self.error(
                    v.span(),
                    format!("{what} must be an integer, not {}", other.type_str()),
                );
                return None;
            }
        };
        match n {
            Some(n) if (min..=max).contains(&n) => Some(n),
            _ => {
                self.error(v.span(), format!("{what} must be from {min} to {max}"));
                None
            }
        }
    }

    /// A string or a non-empty array of strings, each with its span.
    fn strings<'v>(&mut self, v: &'v Value<'_>, what: &str) -> Vec<(&'v str, Range<usize>)> {
        match v.get_ref() {
            DeValue::String(s) => vec![(s.as_ref(), v.span())],
            DeValue::Array(items) => {
                if items.is_empty() {
                    self.error(v.span(), format!("{what} is an empty list"));
                }
                let mut out = Vec::new();
                for item in items.iter() {
                    if let Some(s) = self.string(item, what) {
                        out.push((s, item.span()));
                    }
                }
                out
            }
            other => {
                self.error(
                    v.span(),
                    format!(
                        "{what} must be a string or a list of strings, not {}",
                        other.type_str()
                    ),
                );
                Vec::new()
            }
        }
    }

    fn table<'v, 'i>(&mut self, v: &'v Value<'i>, what: &str) -> Option<&'v DeTable<'i>> {
        match v.get_ref() {
            DeValue::Table(t) => Some(t),
            other => {
                self.error(
                    v.span(),
                    format!("{what} must be a table, not {}", other.type_str()),
                );
                None
            }
        }
    }
}

pub(super) fn parse(text: &str, source: &str, today: i64) -> Result<Tuning, Vec<Problem>> {
    let mut c = Checker {
        text,
        source,
        today,
        problems: Vec::new(),
    };
    let root = match DeTable::parse(text) {
        Ok(root) => root,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            c.error(span, format!("not valid TOML: {}", e.message().trim()));
            return Err(c.problems);
        }
    };
    let mut tuning = Tuning {
        source: source.to_owned(),
        digest: crate::finding::finding_id(&[text]),
        ..Tuning::default()
    };
    for (key, value) in root.get_ref().iter() {
        match key.get_ref().as_ref() {
            "detections" => {
                if let Some(t) = c.table(value, "[detections]") {
                    detections(&mut c, t, &mut tuning.detections);
                }
            }
            "suppress" => match value.get_ref() {
                DeValue::Array(items) => {
                    for item in items.iter() {
                        if let Some(t) = c.table(item, "a [[suppress]] entry")
                            && let Some(e) = entry(&mut c, t, item.span())
                        {
                            tuning.entries.push(e);
                        }
                    }
                }
                other => c.error(
                    value.span(),
                    format!(
                        "suppress must be an array of tables ([[suppress]]), not {}",
                        other.type_str()
                    ),
                ),
            },
            other => c.error(
                key.span(),
                format!("unknown key {other:?} (expected [detections.<id>] or [[suppress]])"),
            ),
        }
    }
    // Duplicate entry ids (each reported at its second use).
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut dups = Vec::new();
    if let Some(items) = lookup(root.get_ref(), "suppress").and_then(|v| v.get_ref().as_array()) {
        for item in items.iter() {
            let Some(id) = item
                .get_ref()
                .as_table()
                .and_then(|t| lookup(t, "id"))
                .filter(|v| v.get_ref().is_str())
            else {
                continue;
            };
            let name = id.get_ref().as_str().unwrap_or_default();
            let n = seen.entry(name).or_default();
            *n += 1;
            if *n == 2 {
                dups.push((id.span(), name.to_owned()));
            }
        }
    }
    for (span, name) in dups {
        c.error(
            span,
            format!("duplicate entry id {name:?} (ids must be unique)"),
        );
    }
    let mut problems = c.problems;
    problems.sort_by_key(|p| (p.line, p.column));
    if problems.iter().any(Problem::is_error) {
        return Err(problems);
    }
    (tuning.notes, tuning.warnings) = problems.into_iter().partition(|p| p.level == Level::Note);
    Ok(tuning)
}

fn detections(c: &mut Checker<'_>, t: &DeTable<'_>, out: &mut HashMap<String, DetectionTuning>) {
    for (key, value) in t.iter() {
        let id = key.get_ref().as_ref();
        let Some(meta) = catalog::indexed(id) else {
            c.error(
                key.span(),
                format!(
                    "unknown detection id {id:?}{} (see `trailwatch list`)",
                    crate::spelling::detection_hint(id)
                ),
            );
            continue;
        };
        let Some(table) = c.table(value, &format!("[detections.{id}]")) else {
            continue;
        };
        let mut d = DetectionTuning::default();
        // A window or threshold already warned of on its own: the combined
        // rate below says nothing more.
        let mut warned_alone = false;
        for (k, v) in table.iter() {
            match k.get_ref().as_ref() {
                "mode" => match c.string(v, "mode") {
                    Some("on") => d.mode = Mode::On,
                    Some("shadow") => d.mode = Mode::Shadow,
                    Some("off") => d.mode = Mode::Off,
                    Some(other) => c.error(
                        v.span(),
                        format!("mode {other:?} is not one of \"on\", \"shadow\", \"off\""),
                    ),
                    None => {}
                },
                "severity" => match c.string(v, "severity") {
                    Some("low") => d.severity = Some(Severity::Low),
                    Some("medium") => d.severity = Some(Severity::Medium),
                    Some("high") => d.severity = Some(Severity::High),
                    Some("critical") => d.severity = Some(Severity::Critical),
                    Some(other) => c.error(
                        v.span(),
                        format!(
                            "severity {other:?} is not one of \"low\", \"medium\", \"high\", \"critical\""
                        ),
                    ),
                    None => {}
                },
                "dedup_secs" => {
                    if let Some(n) = c.integer(v, "dedup_secs", 0, MAX_DEDUP_SECS) {
                        d.dedup_secs = n;
                    }
                }
                "dedup_by" => {
                    let names = c.strings(v, "dedup_by");
                    let mut keys = Vec::new();
                    for (name, span) in names {
                        match DedupKey::ALL.iter().find(|(n, _)| *n == name) {
                            Some((_, k)) if keys.contains(k) => {
                                c.error(span, format!("dedup_by names {name:?} twice"))
                            }
                            Some((_, k)) => keys.push(*k),
                            None => c.error(
                                span,
                                format!(
                                    "dedup_by: {name:?} is not one of account, actor, source_ip, region"
                                ),
                            ),
                        }
                    }
                    if !keys.is_empty() {
                        d.dedup_by = keys;
                    }
                }
                "window_secs" => {
                    if !meta.window.is_some_and(WindowSpec::takes_window_secs) {
                        c.error(
                            k.span(),
                            format!("window_secs: {id} is not a windowed detection"),
                        );
                    } else if let Some(n) = c.integer(v, "window_secs", 1, MAX_WINDOW_SECS) {
                        // A tenth of the built-in window or less: a burst or pair
                        // spread as attacks usually are may never fit (seconds
                        // written for minutes; from a review).
                        if let Some(built_in) = meta.window.and_then(|w| w.window_far_below(n)) {
                            warned_alone = true;
                            c.warn(
                                v.span(),
                                format!(
                                    "window_secs {n} is a tenth or less of {id}'s built-in {built_in} s: \
                                     it may never fire (window_secs is in seconds)"
                                ),
                            );
                        }
                        d.window_secs = Some(n);
                    }
                }
                "threshold" => {
                    if !matches!(meta.window, Some(WindowSpec::Distinct { .. })) {
                        c.error(
                            k.span(),
                            format!("threshold: {id} does not count distinct values in a window"),
                        );
                    } else if let Some(n) = c.integer(v, "threshold", 2, MAX_THRESHOLD as i64) {
                        if let Some(WindowSpec::Distinct {
                            values: Countable::OneOf(set),
                            ..
                        }) = meta.window
                            && n as usize > set.len()
                        {
                            // Refused, not warned of: it can never be met, and
                            // the detection would be off without a word.
                            c.error(
                                v.span(),
                                format!(
                                    "threshold {n}: {id} counts only {} distinct values ({}), so \
                                     it would never fire",
                                    set.len(),
                                    set.join(", ")
                                ),
                            );
                        } else if let Some(WindowSpec::Distinct { min_distinct, .. }) = meta.window
                            && n as usize >= min_distinct.saturating_mul(10)
                        {
                            warned_alone = true;
                            c.warn(
                                v.span(),
                                format!(
                                    "threshold {n} is ten times {id}'s built-in {min_distinct} or more: \
                                     it may never fire"
                                ),
                            );
                        }
                        d.threshold = Some(n as usize);
                    }
                }
                other => c.error(
                    k.span(),
                    format!(
                        "unknown key {other:?} in [detections.{id}] (known: mode, severity, dedup_secs, dedup_by, window_secs, threshold)"
                    ),
                ),
            }
        }
        // Each under its own warning, a higher threshold in a shorter window
        // can still ask for a rate the burst never reaches (from a review of
        // tuning mistakes: 100 in 31 s for 11 in 300 s passed `--strict`).
        if let (
            Some(WindowSpec::Distinct {
                window_secs: built_in_secs,
                min_distinct,
                ..
            }),
            Some(threshold),
        ) = (meta.window, d.threshold)
        {
            let secs = d.window_secs.unwrap_or(built_in_secs);
            let rate = |n: usize, secs: i64| n as f64 / secs.max(1) as f64;
            let times = rate(threshold, secs) / rate(min_distinct, built_in_secs);
            if times >= 10.0 && !warned_alone {
                c.warn(
                    key.span(),
                    format!(
                        "[detections.{id}]: threshold {threshold} in window_secs {secs} asks for \
                         {times:.0} times the built-in rate ({min_distinct} in {built_in_secs} s): \
                         a burst slower than that is no longer reported"
                    ),
                );
            }
        }
        // From a review: both passed `tuning check --strict` in silence.
        if d.dedup_secs > 0 && !d.dedup_by.contains(&DedupKey::Actor) {
            c.warn(
                key.span(),
                format!(
                    "[detections.{id}]: dedup_by without \"actor\" holds back every other caller's \
                     {id} findings for dedup_secs once one is notified, an intruder's behind a \
                     routine one: add \"actor\""
                ),
            );
        }
        if id == SELF_PROTECTION && d != DetectionTuning::default() {
            c.note(
                key.span(),
                beyond_tuning_note("[detections.trailwatch-tampering]"),
            );
        }
        if id == crate::heartbeat::SILENT_ID && d != DetectionTuning::default() {
            c.note(
                key.span(),
                silence_check_note("[detections.pipeline-silent]"),
            );
        }
        // The live silence check does not follow the file (its own note).
        let highest = catalog::highest_severity(meta);
        if highest >= Severity::High && id != crate::heartbeat::SILENT_ID {
            let muted = match d.mode {
                Mode::Off => Some("mode = \"off\" stops its findings"),
                Mode::Shadow => {
                    Some("mode = \"shadow\" records its findings without notifying them")
                }
                Mode::On if d.severity.is_some_and(|s| s < highest) => {
                    Some("a lower severity can take its findings below a subscription's minimum")
                }
                Mode::On => None,
            };
            if let Some(what) = muted {
                c.note(
                    key.span(),
                    format!(
                        "{id} can report {} findings: {what}, in every account and Region",
                        highest.as_str()
                    ),
                );
            }
        }
        out.insert(id.to_owned(), d);
    }
}

/// The detection whose findings about the tuning bucket and file no tuning
/// reaches (`Detection::beyond_tuning`).
const SELF_PROTECTION: &str = crate::detections::trailwatch_tampering::META.id;

/// Says that `what` does not reach `trailwatch-tampering`'s findings about the
/// tuning: a note, so that nobody believes they silenced those.
fn beyond_tuning_note(what: &str) -> String {
    format!(
        "{what}: a change to the tuning bucket or file is reported whatever this file says \
         (its other trailwatch-tampering findings follow it)"
    )
}

/// Says that `what` does not reach the scheduled silence check's findings: no
/// record is behind them (a replay's, raised from canary gaps, follow it).
fn silence_check_note(what: &str) -> String {
    format!(
        "{what}: the functions' scheduled check reports a silent account and Region whatever \
         this file says (no record is behind that finding); only a replay's findings from canary \
         gaps follow it. To stop the live check, disable the detection (TRAILWATCH_DISABLED) or \
         change its threshold (TRAILWATCH_SILENCE_SECS)"
    )
}

fn entry(c: &mut Checker<'_>, t: &DeTable<'_>, span: Range<usize>) -> Option<Entry> {
    let mut ok = true;
    let mut id = None;
    let mut detections = Vec::new();
    // An id misspelt: the evidence keys are not judged against the others.
    let mut unknown_id = false;
    let mut reason = None;
    let mut owner = None;
    let mut expires = None;
    let mut dry_run = false;
    let mut matchers = None;
    let mut keys = Vec::new();
    for (k, v) in t.iter() {
        match k.get_ref().as_ref() {
            "id" => match c.string(v, "id") {
                Some(s) if valid_id(s) => id = Some(s.to_owned()),
                Some(s) => {
                    ok = false;
                    c.error(
                        v.span(),
                        format!(
                            "id {s:?} must be 1 to {MAX_ID_CHARS} letters, digits, '.', '_' or '-'"
                        ),
                    );
                }
                None => ok = false,
            },
            "detections" => {
                let names = c.strings(v, "detections");
                if names.is_empty() {
                    ok = false;
                }
                for (name, span) in names {
                    if name == SELF_PROTECTION {
                        c.note(
                            span.clone(),
                            beyond_tuning_note("a [[suppress]] entry naming trailwatch-tampering"),
                        );
                    }
                    if name == crate::heartbeat::SILENT_ID {
                        c.note(
                            span.clone(),
                            silence_check_note("a [[suppress]] entry naming pipeline-silent"),
                        );
                    }
                    if name == "*" || catalog::indexed(name).is_some() {
                        detections.push(name.to_owned());
                    } else {
                        ok = false;
                        unknown_id = true;
                        c.error(
                            span,
                            format!(
                                "unknown detection id {name:?}{} (see `trailwatch list`, or \"*\" for all)",
                                crate::spelling::detection_hint(name)
                            ),
                        );
                    }
                }
            }
            "reason" => reason = required_text(c, v, "reason"),
            "owner" => owner = required_text(c, v, "owner"),
            "expires" => expires = expiry(c, v),
            "dry_run" => match v.get_ref() {
                DeValue::Boolean(b) => dry_run = *b,
                other => {
                    ok = false;
                    c.error(
                        v.span(),
                        format!("dry_run must be true or false, not {}", other.type_str()),
                    );
                }
            },
            "match" => {
                matchers = matches(c, v).map(|(m, k)| {
                    keys = k;
                    m
                })
            }
            other => {
                ok = false;
                c.error(
                    k.span(),
                    format!(
                        "unknown key {other:?} in [[suppress]] (known: id, detections, reason, owner, expires, dry_run, match)"
                    ),
                );
            }
        }
    }
    let name = id.as_deref().unwrap_or("(no id)").to_owned();
    for (key, missing) in [
        ("id", id.is_none() && !has(t, "id")),
        ("detections", !has(t, "detections")),
        ("reason", !has(t, "reason")),
        ("owner", !has(t, "owner")),
        ("expires", !has(t, "expires")),
        ("match", !has(t, "match")),
    ] {
        if missing {
            c.error(
                span.clone(),
                format!("[[suppress]] entry {name:?} has no {key}"),
            );
        }
    }
    if let Some(DeValue::Table(m)) = lookup(t, "match").map(Spanned::get_ref)
        && !detections.is_empty()
        && !unknown_id
    {
        ok &= evidence_keys_written(c, m, &detections);
    }
    let (expires, expires_day) = expires?;
    if expires_day < c.today {
        c.warn_expiry(
            span.clone(),
            format!("entry {name:?} expired on {expires}: it no longer applies"),
        );
    } else if expires_day - c.today < EXPIRY_WARNING_DAYS {
        c.warn_expiry(
            span.clone(),
            format!(
                "entry {name:?} expires on {expires}, in {} day(s)",
                expires_day - c.today
            ),
        );
    }
    if !ok {
        return None;
    }
    let id = id?;
    let matchers: Vec<Matcher> = matchers?;
    // From a review: an entry on an account alone silenced every detection in
    // it and passed `--strict --protect` (the samples use other accounts). On
    // one detection below high it is a team's scoping choice (a sandbox).
    let wide = covered(&detections, |m| {
        catalog::highest_severity(m) >= Severity::High
    });
    if let Some(wide) = wide
        && where_only(&keys)
    {
        let which = if wide == "*" {
            "every detection".to_owned()
        } else {
            format!("{wide} (of high severity or above)")
        };
        c.warn(
            span.clone(),
            format!(
                "entry {id:?} covers {which} and narrows it only by where and how the call was \
                 recorded (accounts, Regions, call names, identity types, record metadata, any \
                 value of a field): it silences every caller there, an intruder's stolen keys \
                 included. Name who (the identity), what (the resource) or from where (a network)"
            ),
        );
    }
    // A sign-in attempt's identity is the user whose name was typed, by
    // anyone: an entry on it (the user retrying a forgotten password)
    // silences an intruder's guesses at that password (from a review).
    let sign_ins_only = !detections.is_empty()
        && detections
            .iter()
            .all(|d| catalog::reports_sign_in_attempts(d));
    if sign_ins_only && !names_a_network(&keys) {
        c.warn(
            span.clone(),
            format!(
                "entry {id:?} covers sign-in attempts only ({}), whose identity is the user \
                 whose name was typed, by anyone: it silences an intruder's guesses at that \
                 user's password too. Name where the sign-ins come from (sourceIPAddress, a \
                 public block of at most a /16)",
                detections.join(", ")
            ),
        );
    }
    // The same through `*` or a longer list, when the entry can match a
    // failed sign-in (from two reviews: an Identity Center user's id on every
    // detection silenced failures typed under that user's name; a type glob
    // beside the failure's own outcome silenced every failed login).
    let sign_ins = detections
        .iter()
        .filter(|d| *d == "*" || catalog::reports_sign_in_attempts(d))
        .map(String::as_str)
        .collect::<Vec<_>>();
    if !sign_ins_only
        && !sign_ins.is_empty()
        && may_match_a_sign_in(&keys)
        && !names_a_network(&keys)
    {
        let which = if sign_ins.contains(&"*") {
            "every detection (the failed sign-in ones among them)".to_owned()
        } else {
            sign_ins.join(", ")
        };
        c.warn(
            span.clone(),
            format!(
                "entry {id:?} covers {which} and can match a failed sign-in, whose identity is \
                 the user whose name was typed, by anyone: it silences an intruder's guesses \
                 at passwords too. Leave the sign-in detections out of its list, or name where \
                 the calls come from (sourceIPAddress, a public block of at most a /16)"
            ),
        );
    }
    // From a review: an entry meant for a principal's sightings from one network
    // was read as covering its later ones from elsewhere. A first-seen finding
    // is the term's first sighting, and a suppressed one makes it known as a
    // notified one does.
    let first_seen = covered(&detections, |m| {
        matches!(m.window, Some(WindowSpec::FirstSeen { .. }))
    });
    if let Some(first_seen) = first_seen.filter(|_| !dry_run) {
        let which = if first_seen == "*" {
            "every detection, first-seen ones among them".to_owned()
        } else {
            format!("{first_seen}, a first-seen detection")
        };
        c.note(
            span.clone(),
            format!(
                "entry {id:?} suppresses {which}: a suppressed \
                 first sighting still makes its term known, as a notified one would, so later \
                 sightings of the term do not fire whatever this entry's other keys or expiry"
            ),
        );
    }
    let fingerprint = Entry::fingerprint_of(&id, &detections, &matchers);
    let reaches = keys.iter().any(|(path, _, _)| reach_evidence(path));
    Some(Entry {
        reaches,
        id,
        fingerprint,
        detections,
        reason: reason?,
        owner: owner?,
        expires,
        expires_day,
        dry_run,
        matchers,
    })
}

/// The first of an entry's `detections` that is `"*"` or one `applies` to.
fn covered(detections: &[String], applies: impl Fn(&Indexed) -> bool) -> Option<&str> {
    detections
        .iter()
        .map(String::as_str)
        .find(|d| *d == "*" || catalog::indexed(d).is_some_and(&applies))
}

fn valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.chars().count() <= MAX_ID_CHARS
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn required_text(c: &mut Checker<'_>, v: &Value<'_>, what: &str) -> Option<String> {
    let s = c.string(v, what)?;
    if s.trim().is_empty() {
        c.error(v.span(), format!("{what} is empty"));
        return None;
    }
    Some(s.trim().to_owned())
}

/// `expires`: a `YYYY-MM-DD` string (or a bare TOML date), at most a year ahead.
fn expiry(c: &mut Checker<'_>, v: &Value<'_>) -> Option<(String, i64)> {
    let text = match v.get_ref() {
        DeValue::String(s) => s.to_string(),
        DeValue::Datetime(d) if d.time.is_none() && d.offset.is_none() => d.to_string(),
        other => {
            c.error(
                v.span(),
                format!(
                    "expires must be a date \"YYYY-MM-DD\", not {}",
                    other.type_str()
                ),
            );
            return None;
        }
    };
    let Some(day) = parse_day(&text) else {
        c.error(
            v.span(),
            format!("expires {text:?} is not a date \"YYYY-MM-DD\""),
        );
        return None;
    };
    if day - c.today > MAX_EXPIRY_DAYS {
        c.error(
            v.span(),
            format!(
                "expires {text} is more than {MAX_EXPIRY_DAYS} days ahead: review suppressions at least yearly"
            ),
        );
        return None;
    }
    Some((text, day))
}

/// `[suppress.match]`: field path (with an optional `|cidr` or `|absent`) to a
/// value or a list (`true` for `|absent`). The matchers, and every key that
/// takes values as `(path, whether |cidr, values)` for the entry's own breadth
/// checks (an absent key names nothing, so it joins none of them).
#[allow(clippy::type_complexity)]
fn matches(
    c: &mut Checker<'_>,
    v: &Value<'_>,
) -> Option<(Vec<Matcher>, Vec<(String, bool, Vec<String>)>)> {
    let t = c.table(v, "match")?;
    if t.is_empty() {
        c.error(
            v.span(),
            "match is empty: an entry must say which records it covers",
        );
        return None;
    }
    let mut out = Vec::new();
    let mut ok = true;
    let mut plain: Vec<(String, Vec<String>)> = Vec::new();
    // Every key, `|cidr` ones too: (path, whether `|cidr`, values).
    let mut all: Vec<(String, bool, Vec<String>)> = Vec::new();
    for (k, val) in t.iter() {
        let key = k.get_ref().as_ref();
        let (path, modifier) = match key.split_once('|') {
            Some((p, m)) => (p, Some(m)),
            None => (key, None),
        };
        let parts: Vec<String> = path.split('.').map(str::to_owned).collect();
        let name = |p: &str| p.strip_suffix(super::LIST_MARK).unwrap_or(p).to_owned();
        if parts.iter().any(|p| {
            let n = name(p);
            n.is_empty() || n.chars().any(char::is_control) || n.contains(super::LIST_MARK)
        }) {
            ok = false;
            c.error(
                k.span(),
                format!("{key:?} is not a field path (names joined by dots, a list's name followed by [])"),
            );
            continue;
        }
        if parts[0] == super::EVIDENCE_ROOT {
            if parts.len() < 2 {
                ok = false;
                c.error(
                    k.span(),
                    format!("{key:?}: name a key of the finding's evidence (evidence.<key>, as a finding shows it)"),
                );
                continue;
            }
        } else if !RECORD_FIELDS.contains(&name(&parts[0]).as_str()) {
            ok = false;
            c.error(
                k.span(),
                format!(
                    "{key:?}: {:?} is not a CloudTrail record field (e.g. userIdentity.arn, sourceIPAddress, userAgent, requestParameters.<name>) nor evidence.<key>{}",
                    parts[0],
                    field_hint(&name(&parts[0]))
                ),
            );
            continue;
        }
        if let Some(other) = modifier.filter(|m| !matches!(*m, "cidr" | "absent")) {
            ok = false;
            c.error(
                k.span(),
                format!("{key:?}: unknown modifier |{other} (|cidr or |absent)"),
            );
            continue;
        }
        if modifier == Some("absent") {
            // Only ever narrows an entry, so it joins none of the breadth
            // checks below: an absent field names no caller and no resource.
            match val.get_ref() {
                DeValue::Boolean(true) => {}
                other => {
                    ok = false;
                    c.error(
                        val.span(),
                        format!(
                            "{key:?} takes true (the field is missing or null), not {}: a field \
                             with any text, number or boolean is written \"{path}\" = \"*\" \
                             (a list's items \"name[].field\" = \"*\")",
                            match other {
                                DeValue::Boolean(false) => "false",
                                other => other.type_str(),
                            }
                        ),
                    );
                    continue;
                }
            }
            // From a review: the engine adds these to a finding after its
            // entries are matched, so an absent key on them always matched.
            if parts[0] == super::EVIDENCE_ROOT
                && ENGINE_EVIDENCE.contains(&name(&parts[1]).as_str())
            {
                ok = false;
                c.error(
                    k.span(),
                    format!(
                        "{key:?}: the engine adds {} to a finding after its tuning entries are \
                         matched, so it is absent from every record an entry sees",
                        name(&parts[1])
                    ),
                );
                continue;
            }
            if EVERY_RECORD.contains(&path) {
                c.note(
                    k.span(),
                    format!("{key:?} never matches: every CloudTrail record has {path}"),
                );
            } else if parts[0] == "resources" && parts.len() > 1 {
                c.note(
                    k.span(),
                    format!(
                        "{key:?} is absent only where resources is: resources is a list, write \
                         resources[].<field>"
                    ),
                );
            }
            out.push(Matcher {
                path: parts,
                values: Values::Absent,
                definition: format!("{key}=true"),
            });
            continue;
        }
        let values = c.strings(val, key);
        if values.is_empty() {
            ok = false;
            continue;
        }
        if let Some(why) = never_matches(&parts) {
            c.note(k.span(), format!("{key:?} never matches: {why}"));
        }
        // Only for the caller's address: other fields hold a block's text
        // (`requestParameters.cidrBlock`), which a text value matches.
        if modifier.is_none()
            && path == "sourceIPAddress"
            && let Some((block, _)) = values
                .iter()
                .find(|(v, _)| v.contains('/') && Cidr::new(v).is_ok())
        {
            c.note(
                k.span(),
                format!("{key:?}: {block:?} is matched as text, not as an address block: write \"{path}|cidr\""),
            );
        }
        // A list is any of its values: their order and repeats do not matter.
        let mut texts: Vec<&str> = values.iter().map(|(v, _)| *v).collect();
        texts.sort_unstable();
        texts.dedup();
        let definition = format!("{key}={}", texts.join("\u{1f}"));
        all.push((
            path.to_owned(),
            modifier == Some("cidr"),
            texts.iter().map(|t| (*t).to_owned()).collect(),
        ));
        if modifier.is_none() {
            plain.push((
                path.to_owned(),
                texts.iter().map(|t| (*t).to_owned()).collect(),
            ));
        }
        let compiled = if modifier == Some("cidr") {
            Values::Cidrs(compile(c, &mut ok, values, Cidr::new, "bad CIDR block"))
        } else {
            Values::Globs(compile(c, &mut ok, values, Glob::new, "bad glob"))
        };
        if let Values::Globs(globs) = &compiled {
            if glob_over_policy_text(path, globs) {
                c.warn(
                    k.span(),
                    format!(
                        "{key:?} matches a policy document's text with a wildcard: the document \
                         with another principal or statement beside the text matched (an \
                         outsider's account added to a trust you meant to allow) matches too, \
                         and is silenced. Write the whole document without wildcards (escape a \
                         `*` in it as `\\*`), or match who made the change (the identity and its \
                         account)"
                    ),
                );
            }
            if evidence_takes_anyone(path, globs) {
                c.warn(
                    k.span(),
                    format!(
                        "{key:?} takes everyone (\"*\") or any account in the finding's \
                         evidence: a share or trust with an outsider matches as surely as one \
                         with the accounts you mean, and is silenced. List those accounts or \
                         principals without wildcards in their account id"
                    ),
                );
            }
            if principal_everyone(path, globs) {
                c.warn(
                    k.span(),
                    format!(
                        "{key:?} takes the principal \"*\" (everyone) or any account: a \
                         statement allowing them matches as surely as a deny naming everyone, so \
                         a policy opened to the public or to an outsider is silenced. Name the \
                         principals you mean, without wildcards in their account"
                    ),
                );
            }
        }
        out.push(Matcher {
            path: parts,
            values: compiled,
            definition,
        });
    }
    for m in out.iter().filter(|m| matches!(m.values, Values::Absent)) {
        let path = m.path.join(".");
        if all.iter().any(|(p, _, _)| *p == path) {
            c.note(
                v.span(),
                format!(
                    "this match never matches: {path:?} is asked to be absent and to have a value"
                ),
            );
        }
    }
    if ok && !out.is_empty() && out.iter().all(|m| matches!(m.values, Values::Absent)) {
        c.error(
            v.span(),
            "every key of this match is |absent: an entry must also say which records it \
             covers with a key that takes values (the identity, the call, the resource)",
        );
        return None;
    }
    if ok && let Some(field) = identity_without_account(&plain) {
        c.warn(
            v.span(),
            format!(
                "this entry names an identity by {field} without pinning its account to literal \
                 account ids: a user or role of that name in any other account matches too (an \
                 organization trail's members, cross-account callers, an account the intruder \
                 owns). Add \"userIdentity.accountId\" = \"<account id>\", or write the account \
                 id in the ARN (recipientAccountId does not pin the caller: a cross-account call \
                 is recorded under the account it acts on)"
            ),
        );
    }
    if ok
        && all.iter().all(|(path, cidr, values)| {
            ALWAYS_WRITTEN.contains(&path.as_str())
                && values.iter().any(|v| matches_anything(*cidr, v))
        })
    {
        c.warn(
            v.span(),
            "every key of this match takes any value of a field every record has (\"*\", \
             \"?*\", a block of /1 or wider): the entry covers every record of its detections, or \
             half of them, as an empty match would, and silences them. Name what it is for (the \
             identity, the call, the resource)",
        );
    }
    if ok && caller_chosen_only(&all) {
        c.warn(
            v.span(),
            "anyone with stolen keys can match this entry and silence their own findings: it \
             matches what the caller chooses (userAgent, tlsDetails, sourceIdentity, a session \
             or federated user's name, invokedBy, a private address without a VPC endpoint \
             key, or request parameters alone) \
             and no key names who the caller is. Add one: the identity (userIdentity.arn with a \
             literal user or role name and its account, a principal or access key id), or \
             vpcEndpointAccountId beside a private block",
        );
    }
    ok.then_some((out, all))
}

/// `; did you mean "<field>"?` for a first part that is not a record field,
/// when one is near it, letter case ignored (from a new user's review); else
/// nothing.
fn field_hint(name: &str) -> String {
    crate::spelling::nearest(name, RECORD_FIELDS.iter().copied())
        .map_or(String::new(), |f| format!("; did you mean {f:?}?"))
}

/// Fields every CloudTrail record has, whatever its version or caller (the
/// breadth checks' `ALWAYS_WRITTEN` holds some a few records lack).
const EVERY_RECORD: &[&str] = &[
    "eventTime",
    "eventSource",
    "eventName",
    "eventID",
    "awsRegion",
];

/// Why a path can never reach a string, number or boolean, for the paths a
/// record always shapes the same way: the objects CloudTrail writes (matched
/// only through a field inside them) and `resources`, a list.
fn never_matches(parts: &[String]) -> Option<&'static str> {
    const OBJECTS: &[&str] = &[
        "userIdentity",
        "userIdentity.sessionContext",
        "userIdentity.sessionContext.sessionIssuer",
        "userIdentity.sessionContext.attributes",
        "requestParameters",
        "responseElements",
        "additionalEventData",
        "serviceEventDetails",
        "tlsDetails",
    ];
    let path = parts.join(".");
    if parts[0] == "resources" {
        Some("resources is a list: write resources[].<field> to match each of its items")
    } else if OBJECTS.contains(&path.as_str()) {
        Some("it ends on an object; name a field inside it")
    } else {
        None
    }
}

/// Compiles each value, reporting the ones that do not compile at their place.
fn compile<T>(
    c: &mut Checker<'_>,
    ok: &mut bool,
    values: Vec<(&str, Range<usize>)>,
    new: fn(&str) -> Result<T, String>,
    what: &str,
) -> Vec<T> {
    let mut out = Vec::new();
    for (s, span) in values {
        match new(s) {
            Ok(v) => out.push(v),
            Err(e) => {
                *ok = false;
                c.error(span, format!("{what} {s:?}: {e}"));
            }
        }
    }
    out
}

/// The text of a tuning file read as bytes. One that is not UTF-8 is refused
/// with where its first bad byte is, `source:line:column`, as every other
/// problem is located: the CLI, a function's local file and its S3 object say
/// the same (from a review: the functions said only "not UTF-8 text").
pub fn text_from_bytes(bytes: Vec<u8>, source: &str) -> Result<String, String> {
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        // Lossless: the bytes up to there are UTF-8.
        let before = String::from_utf8_lossy(&bytes[..valid]);
        let (line, column) = line_column(&before, before.len());
        let byte = bytes.get(valid).copied().unwrap_or_default();
        format!(
            "{source}:{line}:{column}: not UTF-8 text (byte 0x{byte:02X}): save the file as UTF-8"
        )
    })
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[start..].chars().count() + 1;
    (line, column)
}

fn lookup<'t, 'i>(t: &'t DeTable<'i>, key: &str) -> Option<&'t Value<'i>> {
    t.iter()
        .find(|(k, _)| k.get_ref().as_ref() == key)
        .map(|(_, v)| v)
}

fn has(t: &DeTable<'_>, key: &str) -> bool {
    lookup(t, key).is_some()
}
