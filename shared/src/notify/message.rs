//! What one finding looks like on SNS: the subject, the per-protocol message
//! (`MessageStructure=json`) and the message attributes that subscription filter
//! policies route on. Pure functions, no AWS client: the SNS adapter (`sns.rs`)
//! only sends what this builds, and tests check it without a network.
//!
//! Every CloudTrail value that reaches the subject or the e-mail text is
//! attacker-controlled: it passes through [`one_line`] (no control, format or bidi
//! character, capped length with a mark), and the subject is additionally plain
//! ASCII, as SNS requires. The JSON variants carry the original values, escaped by
//! the JSON encoder.

use std::fmt::Write;

use serde_json::{Map, Value};

use crate::finding::Finding;
use crate::render::json::cut_utf8;
pub use crate::render::json::{MAX_LISTED_EVENTS, finding_json};
pub use crate::render::{cloudtrail_console_link, url_encode};
use crate::sanitize::one_line;

/// SNS subjects must be shorter than 100 characters.
pub const MAX_SUBJECT_CHARS: usize = 99;
/// The mark that ends a shortened subject part (ASCII, unlike `sanitize::CUT_MARK`).
pub const SUBJECT_CUT: &str = "...";
/// First budget for one JSON copy of the finding, and for the e-mail text. The
/// message carries five JSON copies and two texts, each escaped once more inside
/// the per-protocol object: `build` shrinks the budgets until the whole fits in
/// [`MAX_MESSAGE_BYTES`].
pub const MAX_FINDING_JSON_BYTES: usize = 48 * 1024;
pub const MAX_EMAIL_BYTES: usize = 32 * 1024;
/// SNS refuses a Publish over 256 KiB (message, subject and attributes together):
/// the message stays under this, leaving room for the rest.
pub const MAX_MESSAGE_BYTES: usize = 240 * 1024;

/// The protocols whose subscribers get the finding as JSON. `default` is used by
/// every protocol that has no key of its own.
pub const JSON_PROTOCOLS: &[&str] = &["default", "sqs", "lambda", "https", "http"];
/// The protocols whose subscribers get the readable text.
pub const TEXT_PROTOCOLS: &[&str] = &["email", "email-json"];

/// The message attribute names, for filter policies.
pub const ATTR_SEVERITY: &str = "severity";
pub const ATTR_SEVERITY_RANK: &str = "severity_rank";
pub const ATTR_DETECTION_ID: &str = "detection_id";
pub const ATTR_ACCOUNT_ID: &str = "account_id";
/// Set only on findings a dry-run suppression entry matched: the entry's id.
pub const ATTR_DRY_RUN_SUPPRESSION: &str = "dry_run_suppression";

/// One message attribute: SNS `DataType` `String` or `Number`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attribute {
    String(String),
    Number(String),
}

impl Attribute {
    pub fn data_type(&self) -> &'static str {
        match self {
            Attribute::String(_) => "String",
            Attribute::Number(_) => "Number",
        }
    }
    pub fn value(&self) -> &str {
        match self {
            Attribute::String(v) | Attribute::Number(v) => v,
        }
    }
}

/// Everything one `Publish` call sends.
#[derive(Debug, Clone, PartialEq)]
pub struct SnsMessage {
    pub subject: String,
    /// The JSON object of per-protocol messages (`MessageStructure=json`).
    pub message: String,
    pub attributes: Vec<(&'static str, Attribute)>,
}

/// What the JSON protocols (`default`, `sqs`, `lambda`, `http`, `https`) get:
/// trailwatch's own finding JSON (the default, what existing subscribers parse),
/// or the OCSF Detection Finding (`TRAILWATCH_FINDINGS_FORMAT=ocsf`). E-mail
/// always gets the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MachineFormat {
    #[default]
    Json,
    Ocsf,
}

impl MachineFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            MachineFormat::Json => "json",
            MachineFormat::Ocsf => "ocsf",
        }
    }
    pub fn parse(s: &str) -> Option<MachineFormat> {
        match s {
            "json" => Some(MachineFormat::Json),
            "ocsf" => Some(MachineFormat::Ocsf),
            _ => None,
        }
    }
}

/// The message attribute that says the JSON protocols carry OCSF (set only then,
/// so that the default message is unchanged).
pub const ATTR_FORMAT: &str = "format";

/// Builds the SNS message for a finding (trailwatch JSON for machines).
pub fn build(f: &Finding) -> SnsMessage {
    build_as(f, MachineFormat::Json)
}

/// Builds the SNS message for a finding, with `format` for the JSON protocols.
pub fn build_as(f: &Finding, format: MachineFormat) -> SnsMessage {
    let (mut json_budget, mut text_budget) = (MAX_FINDING_JSON_BYTES, MAX_EMAIL_BYTES);
    let now = crate::render::now_ms();
    let message = loop {
        // Escaped as text inside the copy (`sanitize::json_line`): SNS decodes
        // the outer JSON, and a queue subscribed raw must not get U+FFFF.
        let finding_json = crate::sanitize::json_line(match format {
            MachineFormat::Json => finding_json(f, json_budget),
            MachineFormat::Ocsf => crate::render::ocsf::to_json_within(f, now, json_budget),
        });
        let text = email_text_within(f, text_budget);
        let mut per_protocol = Map::new();
        for p in JSON_PROTOCOLS {
            per_protocol.insert((*p).to_owned(), Value::String(finding_json.clone()));
        }
        for p in TEXT_PROTOCOLS {
            per_protocol.insert((*p).to_owned(), Value::String(text.clone()));
        }
        let message = Value::Object(per_protocol).to_string();
        // Escaping can double a copy (quotes, backslashes): shrink until it fits.
        // At the smallest budgets the JSON is the bounded summary of ids.
        if message.len() <= MAX_MESSAGE_BYTES || json_budget <= 1024 {
            break message;
        }
        json_budget /= 2;
        text_budget /= 2;
    };
    let mut attributes = attributes(f);
    if format == MachineFormat::Ocsf {
        attributes.push((ATTR_FORMAT, Attribute::String("ocsf".to_owned())));
    }
    SnsMessage {
        subject: subject(f),
        message,
        attributes,
    }
}

/// The `severity_rank` attribute of a severity: 1 (low) to 4 (critical).
/// template.yaml's `SeverityRank` mapping, which the e-mail subscription's
/// numeric filter reads, must give the same numbers (tests/template.rs).
pub fn severity_rank(severity: crate::detection::Severity) -> u8 {
    match severity {
        crate::detection::Severity::Low => 1,
        crate::detection::Severity::Medium => 2,
        crate::detection::Severity::High => 3,
        crate::detection::Severity::Critical => 4,
    }
}

/// The attributes subscription filter policies can route on: `severity`
/// (`low`..`critical`, as in the finding JSON), `severity_rank` (1..4, for numeric
/// filters such as "at least high"), `detection_id` and `account_id` (`unknown`
/// when the record had none: SNS rejects empty attribute values), and
/// `dry_run_suppression` (the entry id) on findings a dry-run tuning entry matched.
pub fn attributes(f: &Finding) -> Vec<(&'static str, Attribute)> {
    let rank = severity_rank(f.severity);
    let account = f
        .account_id
        .as_deref()
        .map(|a| ascii_line(a, 64))
        .filter(|a| !a.trim().is_empty())
        .unwrap_or_else(|| "unknown".to_owned());
    vec![
        (
            ATTR_SEVERITY,
            Attribute::String(f.severity.as_str().to_owned()),
        ),
        (ATTR_SEVERITY_RANK, Attribute::Number(rank.to_string())),
        (
            ATTR_DETECTION_ID,
            Attribute::String(f.detection_id.to_owned()),
        ),
        (ATTR_ACCOUNT_ID, Attribute::String(account)),
    ]
    .into_iter()
    .chain(f.dry_run_suppression.as_deref().map(|id| {
        // Entry ids are validated plain ASCII; bounded all the same.
        (
            ATTR_DRY_RUN_SUPPRESSION,
            Attribute::String(ascii_line(id, 64)),
        )
    }))
    .collect()
}

/// The subject: `[SEVERITY] title: most telling evidence by actor (account)`,
/// plain printable ASCII, at most [`MAX_SUBJECT_CHARS`] characters. The severity,
/// title and account are kept whole (up to the limit); the evidence and the actor are
/// shortened first, with a `...` mark.
pub fn subject(f: &Finding) -> String {
    let head = ascii_line(&format!("[{}] {}", f.severity.upper(), f.title), 200);
    let account = f
        .account_id
        .as_deref()
        .filter(|a| !a.is_empty())
        .map(|a| format!(" ({})", ascii_line(a, 20)))
        .unwrap_or_default();
    // A record value with spaces or parentheses could read as the subject's own
    // `by <actor> (<account>)` ("ops (999999999999)"): it goes in quotes (its
    // own made single). The caller's name is such a value too.
    let quoted = |value: String| {
        if value.contains([' ', '(', ')', '"']) {
            format!("\"{}\"", value.replace('"', "'"))
        } else {
            value
        }
    };
    let actor_plain = ascii_line(&f.actor.display, 200);
    let actor = quoted(actor_plain.clone());
    let telling = telling_evidence(f).map(|(label, value)| {
        let value = quoted(ascii_line(&value, 200));
        if label.is_empty() {
            value
        } else {
            format!("{label} {value}")
        }
    });

    let fixed = head.chars().count() + account.chars().count();
    if fixed >= MAX_SUBJECT_CHARS {
        return cut(&format!("{head}{account}"), MAX_SUBJECT_CHARS);
    }
    // What is left is shared by ": evidence" and " by actor": both whole when they
    // fit; else the actor shortened to its role or user (before a `/`); else the
    // evidence keeps what the actor (at most 20 characters) leaves.
    let left = MAX_SUBJECT_CHARS - fixed;
    let need = |t: &str, sep: usize| {
        if t.is_empty() {
            0
        } else {
            sep + t.chars().count()
        }
    };
    let ev_text = telling.unwrap_or_default();
    let ev_need = need(&ev_text, 2);
    let short_actor = quoted(
        actor_plain
            .split('/')
            .next()
            .unwrap_or(&actor_plain)
            .to_owned(),
    );
    let (actor_text, actor_room) = if need(&actor, 4) + ev_need <= left {
        (actor.clone(), need(&actor, 4))
    } else if need(&short_actor, 4) + ev_need <= left {
        (short_actor.clone(), need(&short_actor, 4))
    } else {
        let room = need(&short_actor, 4).min(4 + 16).min(left);
        (short_actor.clone(), room)
    };
    // A short name whole, or at least four characters of a longer one; a quoted
    // one keeps its closing quote when cut, which takes a character more.
    let whole = actor_room > 4 && actor_room == need(&actor_text, 4);
    let least = 4 + 4 + usize::from(actor_text.starts_with('"'));
    let actor_part = if whole || actor_room >= least {
        format!(" by {}", cut_quoted(&actor_text, actor_room - 4))
    } else {
        String::new()
    };
    let ev_room = left - actor_part.chars().count();
    let evidence_part = if !ev_text.is_empty() && ev_room >= 2 + 6 {
        format!(": {}", cut_quoted(&ev_text, ev_room - 2))
    } else {
        String::new()
    };
    let s = format!("{head}{evidence_part}{actor_part}{account}");
    debug_assert!(s.chars().count() <= MAX_SUBJECT_CHARS, "{s}");
    cut(&s, MAX_SUBJECT_CHARS)
}

/// Evidence keys that name what was acted on, most telling first.
const TELLING_KEYS: &[&str] = &[
    "trail",
    "target_user",
    "user_name",
    "policy_arn",
    "log_group",
    "log_stream",
    "alarm_names",
    "db_instance",
    "db_cluster",
    "environment_name",
    "environment_id",
    "access_key_user",
    "deleted",
    "api",
    "cli_command",
    "distinct_count",
];

/// The evidence entry that best says what was acted on, as (label, value): a known
/// resource key if present, else the first short scalar entry that is not a user
/// agent (free text the caller writes, which says nothing of what was acted on
/// and could read as the subject's own `by <actor> (<account>)`). ARNs are
/// shortened to their resource name.
fn telling_evidence(f: &Finding) -> Option<(String, String)> {
    let render = |v: &Value| -> Option<String> {
        match v {
            Value::String(s) if !s.trim().is_empty() => Some(short_arn(s.trim()).to_owned()),
            Value::Number(n) => Some(n.to_string()),
            Value::Array(items) if !items.is_empty() => {
                let parts: Vec<String> = items
                    .iter()
                    .filter_map(|i| match i {
                        Value::String(s) => Some(short_arn(s).to_owned()),
                        Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    })
                    .collect();
                (!parts.is_empty()).then(|| parts.join(", "))
            }
            _ => None,
        }
    };
    let label = |k: &str| k.replace('_', " ");
    for key in TELLING_KEYS {
        if let Some(v) = f.evidence.get(key).and_then(render) {
            return Some((label(key), v));
        }
    }
    f.evidence
        .0
        .iter()
        .filter(|(k, _)| !k.ends_with("user_agent"))
        .filter(|(_, v)| matches!(v, Value::String(s) if s.chars().count() <= 80 && !s.trim().is_empty()))
        .find_map(|(k, v)| render(v).map(|v| (label(k), v)))
}

/// `arn:...:trail/org-trail` -> `org-trail`: the resource's name, everything
/// after its type (`role/service-role/x` -> `service-role/x`), or after the last
/// `:` when it has no `/` (`function:f:prod` -> `prod`); anything else
/// unchanged. Not only the last segment: a caller's invalid
/// `trail/decoy/management-events` read as the real `management-events` trail
/// (from a review of delivery under faults).
fn short_arn(s: &str) -> &str {
    let Some(resource) = s.strip_prefix("arn:").and_then(|_| s.splitn(6, ':').nth(5)) else {
        return s;
    };
    let name = match resource.split_once('/') {
        Some((_, name)) => name,
        None => resource.rsplit(':').next().unwrap_or(resource),
    };
    if name.is_empty() { s } else { name }
}

/// [`one_line`], then every non-ASCII character as `?` (SNS subjects are ASCII),
/// and `=?` as `=-?`: mail readers decode an RFC 2047 encoded word
/// (`=?UTF-8?B?...?=`) in a subject, which would bring back the characters
/// (line breaks, right-to-left overrides) this removed.
fn ascii_line(text: &str, max_chars: usize) -> String {
    let mut s: String = one_line(text, text.chars().count())
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c
            } else {
                '?'
            }
        })
        .collect();
    if s.contains("=?") {
        s = s.replace("=?", "=-?");
    }
    if s.chars().count() > max_chars {
        s = cut(&s, max_chars);
    }
    s
}

/// [`cut`], keeping a quoted value's closing quote while its opening one stays.
/// A cut that would leave an opening quote alone ends before it instead: what
/// follows in the subject (`by <actor>`) must not read as part of the value
/// (from a review).
fn cut_quoted(s: &str, max: usize) -> String {
    let out = match s.strip_suffix('"') {
        Some(open) if s.chars().count() > max && max > SUBJECT_CUT.len() + 1 => {
            let kept = cut(open, max - 1);
            // Only the opening quote, with nothing of the value after it, is no
            // quoted value.
            let opened = kept
                .rfind('"')
                .is_some_and(|at| kept[at + 1..] != *SUBJECT_CUT);
            if opened {
                format!("{kept}\"")
            } else {
                cut(s, max)
            }
        }
        _ => cut(s, max),
    };
    if out.matches('"').count() % 2 == 0 {
        return out;
    }
    match out.rfind('"') {
        Some(at) => cut(&format!("{}{SUBJECT_CUT}", out[..at].trim_end()), max),
        None => out,
    }
}

/// Cuts ASCII `s` to at most `max` characters, ending in [`SUBJECT_CUT`] when cut.
fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let keep = max.saturating_sub(SUBJECT_CUT.len());
    let mut out: String = s.chars().take(keep).collect();
    out.truncate(out.trim_end().len());
    out.push_str(SUBJECT_CUT);
    out.chars().take(max).collect()
}

/// The readable e-mail body: what happened, who, from where, when, why it matters,
/// what to check next, the event ids with CloudTrail console links.
pub fn email_text(f: &Finding) -> String {
    email_text_within(f, MAX_EMAIL_BYTES)
}

/// [`email_text`] cut to at most `max_bytes` (and a newline).
fn email_text_within(f: &Finding, max_bytes: usize) -> String {
    let m = f.meta;
    let safe = |v: &str| crate::sanitize::defanged_line(v, 300);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "[{}] {} ({})",
        f.severity.upper(),
        f.title,
        f.detection_id
    );

    section(&mut s, "What happened");
    let mut what = f.event_names.iter().map(|n| safe(n)).collect::<Vec<_>>();
    what.truncate(20);
    field(&mut s, "API call", &what.join(", "));
    if !f.event_sources.is_empty() {
        let mut sources = f.event_sources.iter().map(|n| safe(n)).collect::<Vec<_>>();
        sources.truncate(20);
        field(&mut s, "Event source", &sources.join(", "));
    }
    if let Some(code) = &f.error_code {
        field(&mut s, "Error code", &safe(code));
    }
    for (k, v) in &f.evidence.0 {
        let text = match v {
            Value::String(t) => t.clone(),
            // Lists of values (windowed findings) read better without JSON quotes.
            Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => items
                .iter()
                .map(|i| match i {
                    Value::String(t) => t.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(", "),
            other => other.to_string(),
        };
        // The one source the lines above name already (`aws-cli-custom-endpoint-url`).
        if k == "event_source" && f.repeats_header(k, &text) {
            continue;
        }
        field(&mut s, &one_line(&k.replace('_', " "), 40), &safe(&text));
    }

    section(&mut s, "Who");
    let mut who = safe(&f.actor.display);
    who.push_str(
        &f.actor
            .qualifier(|kind| crate::sanitize::defanged_line(kind, 40)),
    );
    field(&mut s, "Principal", &who);
    // Cut at 64: an Identity Center user id is 47 with its store's prefix (a
    // review found it cut at 40).
    if let Some(person) = f
        .actor
        .acting_for(|id| crate::sanitize::defanged_line(id, 64))
    {
        field(&mut s, "On behalf of", &person);
    }
    if f.actor.key != f.actor.display {
        field(&mut s, "Identity", &safe(&f.actor.key));
    }
    field(
        &mut s,
        "Account",
        &safe(f.account_id.as_deref().unwrap_or("-")),
    );

    section(&mut s, "From where");
    field(
        &mut s,
        "Source IP",
        &safe(f.source_ip.as_deref().unwrap_or("-")),
    );
    field(
        &mut s,
        "User agent",
        &safe(f.user_agent.as_deref().unwrap_or("-")),
    );
    field(&mut s, "Region", &safe(f.region.as_deref().unwrap_or("-")));

    section(&mut s, "When");
    let when = match (&f.event_time.first, &f.event_time.last) {
        (Some(a), Some(b)) if a != b => format!("{} .. {}", safe(a), safe(b)),
        (Some(a), _) => safe(a),
        _ => "-".into(),
    };
    field(&mut s, "Event time", &when);

    section(&mut s, "Why it matters");
    paragraph(&mut s, m.description);
    if !m.attack.is_empty() {
        let _ = writeln!(s, "  MITRE ATT&CK: {}", m.attack.join(", "));
    }
    if !m.false_positives.is_empty() {
        section(&mut s, "Known benign causes");
        for fp in m.false_positives {
            paragraph_item(&mut s, fp);
        }
    }
    section(&mut s, "What to check next");
    paragraph(&mut s, m.next_steps);

    section(&mut s, "CloudTrail events");
    for id in f.event_ids.iter().take(MAX_LISTED_EVENTS) {
        let _ = writeln!(s, "  {}", safe(id));
        if let Some(link) = f
            .region
            .as_deref()
            .and_then(|r| cloudtrail_console_link(r, id))
        {
            let _ = writeln!(s, "    {link}");
        }
    }
    if f.event_ids.len() > MAX_LISTED_EVENTS {
        let _ = writeln!(
            s,
            "  ... and {} more (see the JSON finding)",
            f.event_ids.len() - MAX_LISTED_EVENTS
        );
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "Finding id: {}", f.finding_id);
    let _ = writeln!(s, "-- trailwatch");
    if s.len() > max_bytes {
        s = cut_utf8(&s, max_bytes);
        s.push('\n');
    }
    s
}

fn section(s: &mut String, title: &str) {
    let _ = writeln!(s, "\n{title}");
}

/// A labelled line, a long value wrapped under its column
/// ([`crate::sanitize::hanging_lines`]).
fn field(s: &mut String, label: &str, value: &str) {
    crate::sanitize::hanging_lines(s, &format!("  {label:<14} "), value);
}

/// Our own prose (metadata), wrapped at about 76 columns and indented.
fn paragraph(s: &mut String, text: &str) {
    wrap(s, text, "  ", "  ");
}

fn paragraph_item(s: &mut String, text: &str) {
    wrap(s, text, "  - ", "    ");
}

fn wrap(s: &mut String, text: &str, first: &str, rest: &str) {
    let mut line = String::from(first);
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.chars().count() + 1 + word.chars().count() > 76 {
            let _ = writeln!(s, "{line}");
            line = String::from(rest);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    if !empty {
        let _ = writeln!(s, "{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog;
    use crate::detection::{Evidence, Severity};
    use crate::event::Record;
    use crate::finding::Finding;
    use serde_json::json;

    fn finding(detail: &str) -> Finding {
        let rec = Record::from_json(detail).unwrap();
        let meta = catalog::by_id("cloudtrail-log-suspended").unwrap().meta();
        let ev = Evidence::new().with_opt("trail", rec.request_param_str("name"));
        Finding::from_record(meta, &rec, ev)
    }

    const STOP: &str = r#"{"eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging",
        "eventID":"ce8e2f85-3e2a-52fd-a45f-31e73af3b829","awsRegion":"us-east-1",
        "eventTime":"2026-03-14T13:15:27Z","recipientAccountId":"123456789012",
        "sourceIPAddress":"192.0.2.87","userAgent":"aws-cli/2.27.40",
        "userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/alice",
          "accountId":"123456789012","userName":"alice"},
        "requestParameters":{"name":"arn:aws:cloudtrail:us-east-1:123456789012:trail/org-trail"}}"#;

    /// From a review: a finding whose JSON cannot be read back to be cut
    /// (nested past serde_json's 128 levels) went out whole, over any budget.
    #[test]
    fn a_finding_too_deep_to_cut_is_summed_up_by_its_ids() {
        let mut f = finding(STOP);
        let mut deep = serde_json::Value::String("x".repeat(1000));
        for _ in 0..200 {
            deep = serde_json::Value::Array(vec![deep, serde_json::Value::String("y".repeat(100))]);
        }
        f.evidence = Evidence::new().with("policy", deep);
        let s = finding_json(&f, 4096);
        assert!(s.len() <= 4096, "{} bytes", s.len());
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["finding_id"], f.finding_id.as_str());
        assert_eq!(v["evidence_truncated"], true);
    }

    /// From a review: the e-mail cut an Identity Center user id with its
    /// store's prefix (47 characters) at 40.
    #[test]
    fn the_email_names_the_whole_id_of_the_person_a_session_acted_for() {
        let person = "9067642ac7-544894e8-80c1-707f-60e3-3ba6510dfac1";
        let tip = crate::event::acting_for_in_test(STOP, person);
        let text = email_text(&finding(&tip));
        assert!(
            text.contains(&format!("On behalf of   {person} (Identity")),
            "{text}"
        );
        assert!(
            text.contains("Event source   cloudtrail.amazonaws.com\n"),
            "{text}"
        );
    }

    /// Evidence naming the finding's one source (`aws-cli-custom-endpoint-url`)
    /// is not a second line of it in the text or the e-mail; another source is.
    #[test]
    fn the_one_event_source_is_shown_once() {
        for (evidence, lines) in [("cloudtrail.amazonaws.com", 1), ("s3.amazonaws.com", 2)] {
            let mut f = finding(STOP);
            f.evidence = Evidence::new().with("event_source", evidence);
            let email = email_text(&f);
            let text = f.to_text(false);
            let count = |t: &str| {
                t.lines()
                    .filter(|l| l.to_lowercase().replace('_', " ").contains("event source"))
                    .count()
            };
            assert_eq!(
                (count(&email), count(&text)),
                (lines, lines),
                "{email}\n{text}"
            );
        }
    }

    #[test]
    fn a_user_agent_is_never_the_subject_s_evidence() {
        let mut f = finding(STOP);
        f.evidence = Evidence::new()
            .with("user_agent", "x by root (999999999999)")
            .with("mfa_used", "No");
        let s = subject(&f);
        assert!(!s.contains("999999999999"), "{s}");
        assert!(s.contains("mfa used No"), "{s}");
    }

    /// A record's value cannot pose as the subject's own `by <actor>
    /// (<account>)`, nor carry an encoded word a mail reader would decode.
    #[test]
    fn evidence_values_are_quoted_when_they_could_pose_as_ours() {
        let mut f = finding(STOP);
        f.evidence = Evidence::new().with("user_name", "x by root (999999999999)");
        let s = subject(&f);
        assert!(
            s.contains(r#": user name "x by root (999999999999)" by alice"#),
            "{s}"
        );
        f.evidence = Evidence::new().with("user_name", format!("x \"by root{}", "y".repeat(200)));
        let s = subject(&f);
        assert!(s.chars().count() <= MAX_SUBJECT_CHARS, "{s}");
        assert!(s.contains(&format!("{SUBJECT_CUT}\" by")), "{s}");
        assert_eq!(s.matches('"').count(), 2, "{s}");
        // Cut before its opening quote: no lone closing one.
        assert_eq!(cut_quoted(r#"user name "x by root""#, 8), "user...");
        assert_eq!(
            cut_quoted(r#"user name "x by root""#, 16),
            r#"user name "x...""#
        );
        // From a review: a cut just past the opening quote left it alone, and
        // the subject's "by <actor>" read as part of the value.
        let value = r#"user name "x by root""#;
        for max in 0..=value.len() + 2 {
            let cut = cut_quoted(value, max);
            if value.len() <= max {
                assert_eq!(cut, value);
            } else {
                assert!(cut.chars().count() <= max, "{max}: {cut}");
            }
            assert_eq!(cut.matches('"').count() % 2, 0, "{max}: {cut}");
        }
        assert_eq!(cut_quoted(value, 14), "user name...");
        f.evidence = Evidence::new().with("user_name", "=?UTF-8?B?4oCuW0xPV10gYWxsIGZpbmU=?=");
        let s = subject(&f);
        assert!(!s.contains("=?"), "{s}");
        // Plain names and numbers read as before.
        f.evidence = Evidence::new().with("distinct_count", 12);
        assert!(
            subject(&f).contains(": distinct count 12 by alice"),
            "{}",
            subject(&f)
        );
    }

    /// The subject names a resource by its whole name: a caller's invalid
    /// `trail/decoy/management-events` is not the real `management-events`
    /// trail (from a review of delivery under faults).
    #[test]
    fn an_arn_is_named_by_its_whole_resource_name() {
        for (arn, name) in [
            (
                "arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail",
                "org-trail",
            ),
            (
                "arn:aws:cloudtrail:us-east-1:111122223333:trail/decoy/management-events",
                "decoy/management-events",
            ),
            (
                "arn:aws:iam::111122223333:role/service-role/x",
                "service-role/x",
            ),
            (
                "arn:aws:lambda:us-east-1:111122223333:function:f:prod",
                "prod",
            ),
            ("arn:aws:s3:::logs-bucket", "logs-bucket"),
            ("arn:aws:s3:::logs-bucket/AWSLogs/x.gz", "AWSLogs/x.gz"),
            ("arn:aws:iam::111122223333:root", "root"),
            ("arn:partial", "arn:partial"),
            ("org-trail", "org-trail"),
            (
                "arn:aws:cloudtrail:us-east-1:111122223333:trail/",
                "arn:aws:cloudtrail:us-east-1:111122223333:trail/",
            ),
        ] {
            assert_eq!(short_arn(arn), name, "{arn}");
        }
    }

    #[test]
    fn subject_reads_like_the_example() {
        let f = finding(STOP);
        let s = subject(&f);
        assert_eq!(
            s,
            format!(
                "[HIGH] {}: trail org-trail by alice (123456789012)",
                f.title
            )
        );
    }

    #[test]
    fn hostile_values_cannot_break_the_subject() {
        let hostile = STOP
            .replace(
                "\"userName\":\"alice\"",
                r#""userName":"eve\r\nSubject: [LOW] all fine\u001b[2J\u202eécho""#,
            )
            .replace("trail/org-trail", &format!("trail/{}", "x".repeat(500)));
        let f = finding(&hostile);
        let s = subject(&f);
        assert!(s.chars().count() <= MAX_SUBJECT_CHARS, "{s}");
        assert!(s.is_ascii(), "{s}");
        assert!(!s.chars().any(|c| c.is_ascii_control()), "{s:?}");
        assert!(s.starts_with("[HIGH] "), "{s}");
        assert!(s.ends_with("(123456789012)"), "{s}");
        assert!(s.contains(SUBJECT_CUT), "{s}");

        let body = email_text(&f);
        for line in body.lines() {
            assert!(!line.starts_with("Subject:"), "{line}");
            assert!(!line.chars().any(crate::sanitize::is_unsafe), "{line:?}");
        }
        assert!(!body.contains('\r'));
    }

    /// From a review: a caller named `ops (999999999999)` read as the subject's
    /// own account; a three-letter name was left out although it fitted.
    #[test]
    fn the_subject_quotes_a_caller_that_could_pose_as_its_parts() {
        let posing = finding(&STOP.replace(
            "\"userName\":\"alice\"",
            "\"userName\":\"ops (999999999999)\"",
        ));
        let s = subject(&posing);
        assert!(
            s.ends_with(" by \"ops (999999999999)\" (123456789012)"),
            "{s}"
        );
        let eve = finding(&STOP.replace("\"userName\":\"alice\"", "\"userName\":\"eve\""));
        let s = subject(&eve);
        assert!(s.ends_with(" by eve (123456789012)"), "{s}");
        // Cut, the quote is still closed.
        let long = finding(&STOP.replace(
            "\"userName\":\"alice\"",
            &format!("\"userName\":\"ops ({})\"", "9".repeat(150)),
        ));
        let s = subject(&long);
        let by = s.split(" by ").nth(1).unwrap_or_default();
        assert!(by.starts_with('"') && by.matches('"').count() == 2, "{s}");
        assert!(s.chars().count() <= MAX_SUBJECT_CHARS, "{s}");
        // Whatever room the evidence leaves, a quoted caller's quote is closed
        // (from a review: at exactly eight characters it was left open).
        const TITLE: &str = "A long detection title leaving the caller little room in the subject line, \
                             longer than the subject itself";
        let quoted = finding(&STOP.replace(
            "\"userName\":\"alice\"",
            "\"userName\":\"ops (999999999999) admin\"",
        ));
        let mut cut_seen = false;
        for title in 40..99 {
            let mut f = quoted.clone();
            f.title = &TITLE[..title];
            let s = subject(&f);
            if let Some(by) = s.split(" by \"").nth(1) {
                assert_eq!(by.matches('"').count(), 1, "{s}");
                cut_seen |= by.contains(SUBJECT_CUT);
            }
        }
        assert!(cut_seen, "some room cuts the quoted caller");
    }

    /// From a review: a URL in a record must not be a link in the e-mail beside
    /// our console links, nor a padded value wrap into a line of its own.
    #[test]
    fn the_email_body_defangs_urls_and_padding() {
        let f = finding(&STOP.replace(
            "aws-cli/2.27.40",
            &format!(
                "https://signin.aws.amazon.com.evil.example/verify{}Source IP      10.0.0.5",
                " ".repeat(200)
            ),
        ));
        let body = email_text(&f);
        let agent = field_value(&body, "User agent");
        assert!(
            agent.ends_with(
                "https[:]//signin.aws.amazon.com.evil.example/verify Source IP 10.0.0.5"
            ),
            "{agent}"
        );
        assert!(
            !body.contains("https://signin.aws.amazon.com.evil"),
            "{body}"
        );
        // Our own console links stay links.
        assert!(body.contains("https://"), "{body}");
        // A link without a scheme, and padding of blank Braille patterns.
        let f = finding(&STOP.replace(
            "aws-cli/2.27.40",
            &format!(
                "www.signin-aws.example/verify{}Source IP 10.0.0.5",
                "\u{2800}".repeat(120)
            ),
        ));
        let agent = field_value(&email_text(&f), "User agent");
        assert!(
            agent.ends_with("www[.]signin-aws.example/verify Source IP 10.0.0.5"),
            "{agent}"
        );
    }

    /// The value of the e-mail's field `label`, its lines joined: every line
    /// after the first is indented to the value's column, none reaches the
    /// first column, and none is wider than the body's 76 columns.
    fn field_value(body: &str, label: &str) -> String {
        let mut lines = body
            .lines()
            .skip_while(|l| !l.trim_start().starts_with(label));
        let first = lines.next().unwrap_or_default();
        let column = first.len() - first[2 + label.len()..].trim_start().len();
        let mut value = first[column..].to_owned();
        for l in lines.take_while(|l| l.len() > column && l[..column].trim().is_empty()) {
            assert!(l.chars().count() <= crate::sanitize::LINE_COLUMNS, "{l}");
            value.push(' ');
            value.push_str(&l[column..]);
        }
        value
    }

    /// From a review: a value folded by the mail client at 80 columns put a fake
    /// header line (`[LOW] ...`) at the first column. Long values are wrapped
    /// under their column instead.
    #[test]
    fn a_long_value_wraps_under_its_column_not_at_the_first() {
        let fake = "[LOW] AWS CloudWatch Alarm Deletion (cloudwatch-alarm-deletion)";
        let agent = format!(
            "{}{fake}",
            "Mozilla/5.0-(X11;Linux-x86_64)AppleWebKit/537.36-Chrome/131.0.0.0-x"
        );
        let f = finding(&STOP.replace("aws-cli/2.27.40", &agent));
        for body in [email_text(&f), f.to_text(false)] {
            for line in body.lines().skip(1) {
                // Only our section titles start at the first column.
                assert!(!line.starts_with('['), "{line}\n{body}");
                // Our console links are one word each, left whole.
                let link = line.trim_start().starts_with("https://");
                assert!(
                    link || line.chars().count() <= crate::sanitize::LINE_COLUMNS,
                    "{line}\n{body}"
                );
            }
        }
        assert_eq!(
            field_value(&email_text(&f), "User agent").replace(" ", ""),
            agent.replace(" ", "")
        );
    }

    #[test]
    fn subject_fits_without_evidence_or_account() {
        let f = finding(
            r#"{"eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","eventID":"e1"}"#,
        );
        let s = subject(&f);
        assert!(
            s.starts_with("[HIGH] ") && s.ends_with(" by unknown"),
            "{s}"
        );
        let mut long = f.clone();
        long.title = "A very long detection title that goes on and on and on and on well past the hundred character limit of SNS";
        let s = subject(&long);
        assert!(
            s.chars().count() <= MAX_SUBJECT_CHARS && s.ends_with(SUBJECT_CUT),
            "{s}"
        );
    }

    /// What a subscriber receives (each protocol's string, which SNS decodes
    /// from the message) holds no U+FFFF or line separator, only their escapes:
    /// SQS refuses U+FFFE and U+FFFF, and line readers split on U+2028.
    #[test]
    fn delivered_copies_escape_noncharacters_and_separators() {
        let f = finding(&STOP.replace("trail/org-trail", "trail/org\\uffff\\u2028trail"));
        let v: Value = serde_json::from_str(&build(&f).message).unwrap();
        for p in JSON_PROTOCOLS.iter().chain(TEXT_PROTOCOLS) {
            let delivered = v[p].as_str().unwrap();
            assert!(
                !delivered.contains(['\u{FFFF}', '\u{2028}']),
                "{p}: {delivered}"
            );
        }
        let inner: Value = serde_json::from_str(v["sqs"].as_str().unwrap()).unwrap();
        assert_eq!(
            inner["evidence"]["trail"],
            "arn:aws:cloudtrail:us-east-1:123456789012:trail/org\u{FFFF}\u{2028}trail"
        );
    }

    #[test]
    fn message_has_a_variant_per_protocol() {
        let f = finding(STOP);
        let m = build(&f);
        let v: Value = serde_json::from_str(&m.message).unwrap();
        for p in JSON_PROTOCOLS {
            let inner: Value = serde_json::from_str(v[p].as_str().unwrap()).unwrap();
            assert_eq!(inner["detection_id"], "cloudtrail-log-suspended");
            assert_eq!(
                inner["event_ids"][0],
                "ce8e2f85-3e2a-52fd-a45f-31e73af3b829"
            );
        }
        for p in TEXT_PROTOCOLS {
            let text = v[p].as_str().unwrap();
            assert!(text.contains("Why it matters"), "{text}");
            assert!(text.contains("What to check next"));
            assert!(text.contains("192.0.2.87"));
            assert!(text.contains(
                "https://us-east-1.console.aws.amazon.com/cloudtrailv2/home?region=us-east-1#/events/ce8e2f85-3e2a-52fd-a45f-31e73af3b829"
            ));
        }
        let attrs: Vec<(&str, &str)> = m.attributes.iter().map(|(k, v)| (*k, v.value())).collect();
        assert!(attrs.contains(&("severity", "high")));
        assert!(attrs.contains(&("severity_rank", "3")));
        let ranks = [
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ]
        .map(severity_rank);
        assert_eq!(ranks, [1, 2, 3, 4]);
        assert!(attrs.contains(&("detection_id", "cloudtrail-log-suspended")));
        assert!(attrs.contains(&("account_id", "123456789012")));
    }

    #[test]
    fn huge_evidence_stays_within_the_sns_limit() {
        let mut f = finding(STOP);
        f.evidence = Evidence::new()
            .with("statement", "s".repeat(200_000))
            .with("policy", json!({"big": "p".repeat(200_000)}));
        f.event_ids = (0..5000).map(|i| format!("id-{i}")).collect();
        let m = build(&f);
        assert!(m.message.len() < 256 * 1024, "{}", m.message.len());
        let v: Value = serde_json::from_str(&m.message).unwrap();
        let inner: Value = serde_json::from_str(v["default"].as_str().unwrap()).unwrap();
        assert_eq!(inner["evidence_truncated"], true);
        assert_eq!(inner["detection_id"], "cloudtrail-log-suspended");
    }

    #[test]
    fn ocsf_replaces_only_the_machine_variants() {
        let f = finding(STOP);
        let m = build_as(&f, MachineFormat::Ocsf);
        let v: Value = serde_json::from_str(&m.message).unwrap();
        for p in JSON_PROTOCOLS {
            let inner: Value = serde_json::from_str(v[p].as_str().unwrap()).unwrap();
            assert_eq!(inner["class_uid"], 2004, "{p}");
            assert_eq!(inner["finding_info"]["uid"], f.finding_id.as_str());
        }
        for p in TEXT_PROTOCOLS {
            assert!(v[p].as_str().unwrap().contains("Why it matters"));
        }
        assert!(
            m.attributes
                .iter()
                .any(|(k, a)| *k == ATTR_FORMAT && a.value() == "ocsf")
        );
        assert!(!build(&f).attributes.iter().any(|(k, _)| *k == ATTR_FORMAT));
    }

    #[test]
    fn console_links_are_encoded_and_checked() {
        assert_eq!(
            cloudtrail_console_link("eu-west-1", "6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d").unwrap(),
            "https://eu-west-1.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-1#/events/6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d"
        );
        assert!(cloudtrail_console_link("evil.example.com/", "x").is_none());
        // Not a CloudTrail id: no link (a record's 90 KB of slashes would have
        // made a 270 KB one).
        assert!(cloudtrail_console_link("eu-west-1", "a b/c#d").is_none());
        assert!(cloudtrail_console_link("eu-west-1", &"/".repeat(90_000)).is_none());
        assert!(cloudtrail_console_link("eu-west-1", &"a".repeat(65)).is_none());
        assert!(cloudtrail_console_link("eu-west-1", "").is_none());
        assert!(
            cloudtrail_console_link("cn-north-1", "x")
                .unwrap()
                .contains("console.amazonaws.cn")
        );
    }

    #[test]
    fn missing_account_is_unknown_in_attributes() {
        let f = finding(r#"{"eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging"}"#);
        let a = attributes(&f);
        assert!(
            a.iter()
                .any(|(k, v)| *k == ATTR_ACCOUNT_ID && v.value() == "unknown")
        );
    }
}
