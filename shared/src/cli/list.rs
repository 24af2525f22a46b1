//! `trailwatch list`: the detection table.

use std::fmt::Write as _;
use std::io::Write as _;

use trailwatch::catalog;
use trailwatch::detection::{Indexed, Meta, Severity, Trigger};

use super::{EXIT_ERROR, EXIT_OK, Level, ListFormat};

/// Narrows the list (all given must hold): for a subscription filter, a
/// `replay --only` list, or what covers one ATT&CK technique.
#[derive(clap::Args, Default)]
pub struct Filter {
    /// Only detections that can report findings of this severity or higher:
    /// judged by the highest severity a detection reports (some raise their
    /// findings above their listed severity), so that `replay --only` with this
    /// list misses none of them.
    #[arg(long, value_name = "LEVEL", value_enum)]
    min_severity: Option<Level>,
    /// Only detections mapped to one of these ATT&CK techniques (comma list); a
    /// technique also takes its sub-techniques (T1562 takes T1562.008).
    #[arg(long, value_delimiter = ',', value_name = "TECHNIQUES", value_parser = technique_id)]
    attack: Vec<String>,
    /// Only detections of this kind.
    #[arg(long, value_name = "KIND", value_parser = KINDS)]
    kind: Option<String>,
    /// Only detections of this function group (the Lambda function that runs
    /// them, `functions/<group>`).
    #[arg(long, value_name = "GROUP")]
    group: Option<String>,
}

const KINDS: [&str; 5] = [
    "stateless",
    "windowed",
    "correlated",
    "first-seen",
    "heartbeat",
];

impl Filter {
    /// A group none of the detections has is a typo, not an empty answer.
    fn check(&self, all: &[&Meta]) -> Result<(), String> {
        let Some(g) = self.group.as_deref() else {
            return Ok(());
        };
        let mut groups: Vec<&str> = all.iter().map(|m| m.group).collect();
        groups.sort_unstable();
        groups.dedup();
        if groups.iter().any(|k| k.eq_ignore_ascii_case(g.trim())) {
            return Ok(());
        }
        Err(format!(
            "unknown function group {:?}; the groups are: {}",
            trailwatch::sanitize::one_line(g, 100),
            groups.join(", ")
        ))
    }

    fn admits(&self, m: &Meta) -> bool {
        let technique = |asked: &str| {
            let asked = asked.trim();
            m.attack.iter().any(|t| {
                t.eq_ignore_ascii_case(asked)
                    || (t.len() > asked.len()
                        && t.as_bytes()[asked.len()] == b'.'
                        && t[..asked.len()].eq_ignore_ascii_case(asked))
            })
        };
        self.min_severity
            .is_none_or(|l| highest_severity(m) >= Severity::from(l))
            && (self.attack.is_empty() || self.attack.iter().any(|a| technique(a)))
            && self.kind.as_deref().is_none_or(|k| kind(m) == k)
            && self
                .group
                .as_deref()
                .is_none_or(|g| m.group.eq_ignore_ascii_case(g.trim()))
    }
}

/// An ATT&CK technique id as `--attack` takes it: `T` and four digits, with a
/// sub-technique's three after a dot (`T1562`, `t1562.008`); anything else is
/// refused, as an unknown `--group` is (from a review: `--attack foo` matched
/// nothing and exited 0).
fn technique_id(text: &str) -> Result<String, String> {
    let t = text.trim();
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let ok = t
        .strip_prefix(['T', 't'])
        .is_some_and(|rest| match rest.split_once('.') {
            Some((main, sub)) => digits(main, 4) && digits(sub, 3),
            None => digits(rest, 4),
        });
    if ok {
        Ok(t.to_owned())
    } else {
        Err(format!(
            "`{t}` is not an ATT&CK technique id (T1562, T1562.008)"
        ))
    }
}

/// The events a detection takes, each named once (two services may share an
/// event name: SNS's and SQS's `AddPermission`).
fn events(m: &Meta) -> String {
    let mut parts: Vec<String> = Vec::new();
    for t in m.triggers {
        match t {
            Trigger::Events {
                source,
                names: [],
                detail_pattern: Some(_),
                ..
            } => parts.push(format!("{source} events its pattern selects")),
            Trigger::Events {
                source, names: [], ..
            } => parts.push(format!("any {source} event")),
            Trigger::Events { names, .. } => parts.extend(names.iter().map(|n| (*n).to_owned())),
            Trigger::UserAgentPrefix(p) => parts.push(format!("any call with user agent {p}*")),
            Trigger::UserAgentMatching { prefix, .. } => parts.push(format!(
                "any call with user agent {prefix}*, read-only ones too"
            )),
            Trigger::RootIdentity => {
                parts.push("any call made as the root user, read-only ones too".to_owned())
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    parts.retain(|p| seen.insert(p.clone()));
    parts.join(", ")
}

/// The highest severity a detection's findings can have: above its listed
/// severity for the few that raise some findings (`catalog::RAISED`).
fn highest_severity(m: &Meta) -> Severity {
    catalog::highest_severity(&Indexed::of(m))
}

/// The severity as the list shows it: `low`, or `low (up to critical)` for a
/// detection that can report findings above its listed severity.
fn severity_label(m: &Meta) -> String {
    let highest = highest_severity(m);
    if highest == m.severity {
        m.severity.as_str().to_owned()
    } else {
        format!("{} (up to {})", m.severity.as_str(), highest.as_str())
    }
}

fn kind(m: &Meta) -> &'static str {
    match m.window {
        None => "stateless",
        Some(trailwatch::detection::WindowSpec::Distinct { .. }) => "windowed",
        Some(trailwatch::detection::WindowSpec::Sequence { .. }) => "correlated",
        Some(trailwatch::detection::WindowSpec::FirstSeen { .. }) => "first-seen",
        Some(trailwatch::detection::WindowSpec::Heartbeat { .. }) => "heartbeat",
    }
}

/// What a stateful detection counts and over how long, in the names a tuning
/// file overrides them with (`window_secs`, `threshold`); `None` for a stateless
/// one. From a review: nothing showed them before a team overrode them.
fn window(m: &Meta) -> Option<serde_json::Value> {
    use trailwatch::detection::WindowSpec;
    Some(match m.window? {
        WindowSpec::Distinct {
            window_secs,
            min_distinct,
            repeats,
            values,
        } => {
            let mut w = serde_json::json!({
                "window_secs": window_secs,
                "threshold": min_distinct,
                "repeats": repeats.as_str(),
            });
            // A fixed set bounds the threshold a tuning file may set.
            if let trailwatch::detection::Countable::OneOf(set) = values {
                w["values"] = serde_json::json!(set);
            }
            w
        }
        WindowSpec::Sequence { max_gap_secs } => serde_json::json!({"window_secs": max_gap_secs}),
        WindowSpec::FirstSeen { days } => serde_json::json!({"history_days": days}),
        WindowSpec::Heartbeat {
            silence_secs,
            lookback_days,
            ..
        } => {
            serde_json::json!({"silence_secs": silence_secs, "lookback_days": lookback_days})
        }
    })
}

/// `window` as text: `window_secs 300, threshold 11`.
fn window_text(m: &Meta) -> Option<String> {
    let serde_json::Value::Object(fields) = window(m)? else {
        return None;
    };
    Some(
        fields
            .iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(word) => format!("{k} {word}"),
                serde_json::Value::Array(words) => format!(
                    "{k} {}",
                    words
                        .iter()
                        .filter_map(serde_json::Value::as_str)
                        .collect::<Vec<_>>()
                        .join("|")
                ),
                v => format!("{k} {v}"),
            })
            .collect::<Vec<_>>()
            .join(", "),
    )
}

/// Which CloudTrail events the trail and the rule must deliver. A detection
/// that takes management events and data events both (an ACL put on a bucket or
/// on an object) names both: without data-event logging it still sees the
/// management half.
fn needs(m: &Meta) -> &'static str {
    use trailwatch::detection::Trigger;
    let data = |t: &Trigger| {
        matches!(
            t,
            Trigger::Events {
                data_event: true,
                ..
            }
        )
    };
    let management = m.triggers.iter().filter(|t| !data(t));
    let read_only = management.clone().any(Trigger::takes_read_only_events);
    match (m.needs_data_events(), management.count() > 0, read_only) {
        (true, false, _) => "data events",
        (true, true, false) => "write + data events",
        (true, true, true) => "read-only + data events",
        (false, _, true) => "read-only",
        (false, _, false) => "write",
    }
}

pub fn run(format: ListFormat, ids: &[String], filter: &Filter) -> i32 {
    let all = metas();
    if let Err(e) = filter.check(&all) {
        say!("trailwatch: {e}");
        return EXIT_ERROR;
    }
    let named = if ids.is_empty() {
        None
    } else {
        match named(&all, ids) {
            Some(named) => Some(named),
            None => return EXIT_ERROR,
        }
    };
    let chosen: Vec<&Meta> = named
        .as_deref()
        .unwrap_or(&all)
        .iter()
        .copied()
        .filter(|m| filter.admits(m))
        .collect();
    if chosen.is_empty() && named.as_ref().is_none_or(|n| !n.is_empty()) {
        say!("trailwatch: no detection matches these filters");
    }
    let table = match format {
        // Named detections are shown whole.
        ListFormat::Text if named.is_some() => chosen
            .iter()
            .map(|m| detail(m))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => render(format, &chosen),
    };
    // Written in one go: `trailwatch list | head` closing the pipe early is not an
    // error (println! would panic on the broken pipe).
    match std::io::stdout().lock().write_all(table.as_bytes()) {
        Ok(()) => EXIT_OK,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => EXIT_OK,
        Err(e) => {
            say!("trailwatch: cannot write the list: {e}");
            EXIT_ERROR
        }
    }
}

/// The detections `ids` name, as `--only` takes them (comma lists too, any letter
/// case, once each); `None` after naming every unknown one on stderr.
fn named(all: &[&'static Meta], ids: &[String]) -> Option<Vec<&'static Meta>> {
    let known: Vec<&str> = all.iter().map(|m| m.id).collect();
    let mut chosen: Vec<&Meta> = Vec::new();
    let mut unknown = false;
    let ids = ids
        .iter()
        .flat_map(|i| i.split(','))
        .map(str::trim)
        .filter(|i| !i.is_empty());
    for id in ids {
        match all.iter().find(|m| m.id.eq_ignore_ascii_case(id)) {
            Some(m) if chosen.iter().any(|c| c.id == m.id) => {}
            Some(m) => chosen.push(m),
            None => {
                unknown = true;
                say!("trailwatch: {}", super::unknown_id(id, &known));
            }
        }
    }
    if chosen.is_empty() && !unknown {
        // `list ""` (an unset shell variable) names nothing: refused, as
        // `--only ""` is, not shown as every detection or as none.
        say!("trailwatch: the detection ids given are empty");
        return None;
    }
    (!unknown).then_some(chosen)
}

fn metas() -> Vec<&'static Meta> {
    catalog::ALL.iter().map(|d| d.meta()).collect()
}

/// One detection whole, for a person deciding what it means when it fires.
fn detail(m: &Meta) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} ({}, {})", m.id, m.severity.as_str(), kind(m));
    let _ = writeln!(out, "  {}", m.title);
    if highest_severity(m) != m.severity {
        let _ = writeln!(
            out,
            "  severity: {}, up to {} for some findings",
            m.severity.as_str(),
            highest_severity(m).as_str()
        );
    }
    let _ = writeln!(out, "  function group: {}", m.group);
    let _ = writeln!(out, "  events: {}", events(m));
    if let Some(w) = window_text(m) {
        let _ = writeln!(out, "  window: {w}");
    }
    if !m.attack.is_empty() {
        let _ = writeln!(out, "  ATT&CK: {}", m.attack.join(", "));
    }
    if !m.evidence.is_empty() {
        // What a tuning entry's `evidence.<key>` may name.
        let keys: Vec<&str> = m.evidence_keys().collect();
        let _ = writeln!(out, "  evidence keys: {}", keys.join(", "));
    }
    let _ = writeln!(out, "\n  {}", m.description);
    if !m.false_positives.is_empty() {
        let _ = writeln!(out, "\n  False positives:");
        for f in m.false_positives {
            let _ = writeln!(out, "  - {f}");
        }
    }
    let _ = writeln!(out, "\n  Next steps: {}", m.next_steps);
    if !m.origins.is_empty() {
        let _ = writeln!(out, "\n  Origins:");
        for o in m.origins {
            let _ = writeln!(out, "  - {o}");
        }
    }
    let _ = writeln!(out, "\n  Samples: events/{}/ (in the source tree)", m.id);
    out
}

fn render(format: ListFormat, metas: &[&Meta]) -> String {
    let mut out = String::new();
    match format {
        ListFormat::Text => {
            let w = metas.iter().map(|m| m.id.len()).max().unwrap_or(0);
            // As wide as the widest label shown, "SEVERITY" at least.
            let sw = metas
                .iter()
                .map(|m| severity_label(m).len())
                .max()
                .unwrap_or(0)
                .max("SEVERITY".len());
            let _ = writeln!(
                out,
                "{:<w$}  {:<sw$}  {:<10}  TITLE / EVENTS",
                "ID", "SEVERITY", "KIND"
            );
            for m in metas {
                let _ = writeln!(
                    out,
                    "{:<w$}  {:<sw$}  {:<10}  {}",
                    m.id,
                    severity_label(m),
                    kind(m),
                    m.title
                );
                let _ = writeln!(out, "{:<w$}  {:<sw$}  {:<10}  ({})", "", "", "", events(m));
            }
        }
        ListFormat::Markdown => {
            let _ = writeln!(
                out,
                "| id | severity | title | events | kind | needs | ATT&CK |"
            );
            let _ = writeln!(out, "|---|---|---|---|---|---|---|");
            for m in metas {
                let _ = writeln!(
                    out,
                    "| `{}` | {} | {} | {} | {} | {} | {} |",
                    m.id,
                    severity_label(m),
                    m.title,
                    events(m),
                    kind(m),
                    needs(m),
                    m.attack.join(", ")
                );
            }
        }
        ListFormat::Json => {
            let rows: Vec<_> = metas
                .iter()
                .map(|m| {
                    serde_json::json!({
                        "id": m.id, "title": m.title, "severity": m.severity,
                        "highest_severity": highest_severity(m), "kind": kind(m),
                        "events": events(m), "read_only_events": m.needs_read_only_events(),
                        "data_events": m.needs_data_events(), "group": m.group,
                        "attack": m.attack, "origin": m.origins.first(), "origins": m.origins,
                        "description": m.description, "false_positives": m.false_positives,
                        "window": window(m), "evidence_keys": m.evidence_keys().collect::<Vec<_>>(),
                    })
                })
                .collect();
            let _ = writeln!(out, "{}", serde_json::Value::Array(rows));
        }
    }
    out
}
