//! `trailwatch list`: the detection table.

use std::fmt::Write as _;
use std::io::Write as _;

use trailwatch::catalog;
use trailwatch::detection::{Meta, Trigger};

use super::{EXIT_ERROR, EXIT_OK, ListFormat};

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

fn kind(m: &Meta) -> &'static str {
    match m.window {
        None => "stateless",
        Some(trailwatch::detection::WindowSpec::Distinct { .. }) => "windowed",
        Some(trailwatch::detection::WindowSpec::Sequence { .. }) => "correlated",
        Some(trailwatch::detection::WindowSpec::FirstSeen { .. }) => "first-seen",
        Some(trailwatch::detection::WindowSpec::Heartbeat { .. }) => "heartbeat",
    }
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

pub fn run(format: ListFormat, ids: &[String]) -> i32 {
    let all = metas();
    let table = if ids.is_empty() {
        render(format, &all)
    } else {
        let known: Vec<&str> = all.iter().map(|m| m.id).collect();
        let mut chosen: Vec<&Meta> = Vec::new();
        let mut unknown = false;
        // Ids as `--only` takes them: comma lists too, any letter case, once each.
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
                    eprintln!("trailwatch: {}", super::unknown_id(id, &known));
                }
            }
        }
        if unknown {
            return EXIT_ERROR;
        }
        match format {
            ListFormat::Text => chosen
                .iter()
                .map(|m| detail(m))
                .collect::<Vec<_>>()
                .join("\n"),
            _ => render(format, &chosen),
        }
    };
    // Written in one go: `trailwatch list | head` closing the pipe early is not an
    // error (println! would panic on the broken pipe).
    match std::io::stdout().lock().write_all(table.as_bytes()) {
        Ok(()) => EXIT_OK,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => EXIT_OK,
        Err(e) => {
            eprintln!("trailwatch: cannot write the list: {e}");
            EXIT_ERROR
        }
    }
}

fn metas() -> Vec<&'static Meta> {
    catalog::ALL.iter().map(|d| d.meta()).collect()
}

/// One detection whole, for a person deciding what it means when it fires.
fn detail(m: &Meta) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} ({}, {})", m.id, m.severity.as_str(), kind(m));
    let _ = writeln!(out, "  {}", m.title);
    let _ = writeln!(out, "  function group: {}", m.group);
    let _ = writeln!(out, "  events: {}", events(m));
    if !m.attack.is_empty() {
        let _ = writeln!(out, "  ATT&CK: {}", m.attack.join(", "));
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
            let _ = writeln!(
                out,
                "{:<w$}  {:<8}  {:<10}  TITLE / EVENTS",
                "ID", "SEVERITY", "KIND"
            );
            for m in metas {
                let _ = writeln!(
                    out,
                    "{:<w$}  {:<8}  {:<10}  {}",
                    m.id,
                    m.severity.as_str(),
                    kind(m),
                    m.title
                );
                let _ = writeln!(out, "{:<w$}  {:<8}  {:<10}  ({})", "", "", "", events(m));
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
                    m.severity.as_str(),
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
                        "id": m.id, "title": m.title, "severity": m.severity, "kind": kind(m),
                        "events": events(m), "read_only_events": m.needs_read_only_events(),
                        "data_events": m.needs_data_events(), "group": m.group,
                        "attack": m.attack, "origin": m.origins.first(), "origins": m.origins,
                        "description": m.description, "false_positives": m.false_positives,
                    })
                })
                .collect();
            let _ = writeln!(out, "{}", serde_json::Value::Array(rows));
        }
    }
    out
}
