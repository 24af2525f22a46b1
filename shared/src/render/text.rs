//! A finding as a readable block of text (`replay --format text`, the
//! default): every attacker-controlled value made safe, the labels in one
//! column. The e-mail's text is `notify::message`'s.

use crate::detection::Severity;
use crate::finding::Finding;
use crate::sanitize::compact_line;

impl Finding {
    /// A readable block of text; every attacker-controlled value is made safe.
    pub fn to_text(&self, colour: bool) -> String {
        use std::fmt::Write;
        let (on, off) = if colour {
            (severity_colour(self.severity), "\x1b[0m")
        } else {
            ("", "")
        };
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{on}[{}]{off} {} ({})",
            self.severity.upper(),
            self.title,
            self.detection_id
        );
        // The lines first, then written under one label width: the longest
        // label of this finding, at least 12 and at most 32 characters.
        let mut lines: Vec<(String, String)> = Vec::new();
        let line = |lines: &mut Vec<(String, String)>, label: &str, value: &str| {
            lines.push((label.to_owned(), compact_line(value, 300)));
        };
        let who = format!(
            "{}{}",
            self.actor.display,
            self.actor.qualifier(str::to_owned)
        );
        line(&mut lines, "actor", &who);
        if let Some(person) = self.actor.acting_for(str::to_owned) {
            line(&mut lines, "on behalf of", &person);
        }
        if self.actor.key != self.actor.display {
            line(&mut lines, "actor key", &self.actor.key);
        }
        // Each value made safe on its own, so that our two-space separator is
        // kept (compacting the whole line made a region value ` region x`
        // read as our label; from a review).
        lines.push((
            "account".to_owned(),
            format!(
                "{}  region {}",
                compact_line(or_dash(&self.account_id), 300),
                compact_line(or_dash(&self.region), 300)
            ),
        ));
        line(&mut lines, "source", or_dash(&self.source_ip));
        line(&mut lines, "user agent", or_dash(&self.user_agent));
        let when = match (&self.event_time.first, &self.event_time.last) {
            (Some(a), Some(b)) if a != b => format!("{a} .. {b}"),
            (Some(a), _) => a.clone(),
            _ => "-".into(),
        };
        line(&mut lines, "time", &when);
        if !self.event_sources.is_empty() {
            line(&mut lines, "event source", &self.event_sources.join(", "));
        }
        line(&mut lines, "events", &self.event_names.join(", "));
        if let Some(code) = &self.error_code {
            line(&mut lines, "error code", code);
        }
        for (k, v) in &self.evidence.0 {
            let text = match v {
                serde_json::Value::String(t) => t.clone(),
                other => other.to_string(),
            };
            if self.repeats_header(k, &text) {
                continue;
            }
            // Evidence keys read as words, as the other labels do.
            line(&mut lines, &text_label(k), &text);
        }
        line(&mut lines, "event ids", &self.event_ids.join(", "));
        if let Some(d) = self.disposition {
            let name = serde_json::to_value(d).ok();
            line(
                &mut lines,
                "disposition",
                name.as_ref().and_then(|v| v.as_str()).unwrap_or("-"),
            );
        }
        if let Some(entry) = &self.dry_run_suppression {
            line(&mut lines, "dry run of", entry);
        }
        let width = lines
            .iter()
            .map(|(l, _)| l.chars().count())
            .max()
            .unwrap_or(0)
            .clamp(TEXT_LABEL_MIN, TEXT_LABEL_MAX);
        for (label, value) in &lines {
            crate::sanitize::hanging_lines(&mut s, &format!("  {label:<width$} "), value);
        }
        s
    }
}

/// The narrowest and the widest label column of the text block.
pub const TEXT_LABEL_MIN: usize = 12;
pub const TEXT_LABEL_MAX: usize = 32;

/// The text block's own labels, which an evidence key must not read as.
const HEADER_LABELS: &[&str] = &[
    "actor",
    "actor key",
    "account",
    "source",
    "user agent",
    "time",
    "event source",
    "events",
    "error code",
    "event ids",
    "disposition",
    "dry run of",
];

/// An evidence key as the text block labels it: `target_account` reads
/// `target account`; a key that would then read as a header line's label
/// (`user_agent` beside a different `user agent`) keeps its own spelling, and
/// one spelt as a label already (`source`, `account`) is marked as evidence
/// (from a review: a launch template named like an address printed a second
/// `source` line).
pub fn text_label(key: &str) -> String {
    let words = key.replace('_', " ");
    if HEADER_LABELS.contains(&key) {
        format!("{key} (evidence)")
    } else if HEADER_LABELS.contains(&words.as_str()) {
        key.to_owned()
    } else {
        words
    }
}

impl Finding {
    /// An evidence entry that says again what the text block's header lines say
    /// (`source_ip`, `user_agent`, `error_code` as the finding has them, an
    /// `event_source` that is its one source): left out of the text block and
    /// the e-mail's evidence, kept in every other rendering.
    pub fn repeats_header(&self, key: &str, text: &str) -> bool {
        let same = |v: &Option<String>| v.as_deref() == Some(text);
        match key {
            "source_ip" => same(&self.source_ip),
            "user_agent" => same(&self.user_agent),
            "error_code" => same(&self.error_code),
            "event_source" => matches!(self.event_sources.as_slice(), [one] if one == text),
            _ => false,
        }
    }
}

fn or_dash(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("-")
}

fn severity_colour(s: Severity) -> &'static str {
    match s {
        Severity::Low => "\x1b[36m",
        Severity::Medium => "\x1b[33m",
        Severity::High => "\x1b[31m",
        Severity::Critical => "\x1b[1;31m",
    }
}
