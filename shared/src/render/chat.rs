//! A finding as an AWS Chatbot (Amazon Q Developer in chat applications) custom
//! notification: the JSON that Chatbot turns into a Slack, Microsoft Teams or
//! Amazon Chime message when it reads it from an SNS topic it is subscribed to.
//!
//! Chatbot renders `description` as the chat client's markdown, and chat clients
//! act on more than formatting: `@here`/`<!channel>` notify people, URLs and bare
//! domain names become links, `<url|text>` hides where a link goes. Every value
//! from the CloudTrail record therefore goes through [`chat_value`]: one line, no
//! control or bidi characters, capped, `@ < > & |` and backticks replaced by
//! look-alikes, `://`, `www.` and `mailto:` defanged, and the whole set in a code span (no formatting,
//! no link detection inside). The title, next steps and keywords are our own text
//! (metadata, severity, ids checked for their shape).

use serde_json::{Value, json};

use super::{account_id, region};
use crate::finding::{Disposition, Finding};
use crate::render::cloudtrail_console_link;
use crate::sanitize::defanged_line;

/// The custom-notification schema version Chatbot documents.
pub const VERSION: &str = "1.0";
/// Longest record value shown (characters, before the code-span backticks).
pub const MAX_VALUE_CHARS: usize = 120;
/// At most this many evidence entries are listed.
pub const MAX_EVIDENCE_LINES: usize = 6;

/// An attacker-controlled value, made inert for chat markdown (see module docs).
pub fn chat_value(text: &str, max_chars: usize) -> String {
    // Defanged as the e-mail is (`://`, `www.`, `mailto:`): the code span is
    // all that stops link detection, and not every client has one (from a
    // review).
    let line = defanged_line(text.trim(), max_chars);
    let mut out = String::with_capacity(line.len() + 2);
    out.push('`');
    for c in line.chars() {
        out.push(match c {
            '`' => '\'',
            '@' => '＠',
            '<' => '‹',
            '>' => '›',
            '&' => '＆',
            '|' => '¦',
            other => other,
        });
    }
    if out.len() == 1 {
        out.push('-');
    }
    out.push('`');
    out
}

/// An evidence key (ours, but read back from state for windowed detections) as a
/// label: letters, digits and spaces only.
fn label(key: &str) -> String {
    key.chars()
        .take(40)
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .trim()
        .to_owned()
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

/// An evidence entry that says what the *Actor*, *API* and *Account* lines say:
/// the call (`api`, `action`), the caller and its type, the source address (a
/// window's list of one address too), the error code, the Region, as the
/// finding has them. From a review: `action` and a window's `source_ip` took
/// the slots of a root session's `mfa_authenticated` and `root_account_id`.
fn repeats_a_line(f: &Finding, key: &str, v: &Value) -> bool {
    let text = match v {
        Value::String(s) => s.as_str(),
        // A list that says only what the line says.
        Value::Array(items) if items.len() == 1 => match items[0].as_str() {
            Some(s) => s,
            None => return false,
        },
        _ => return false,
    };
    match key {
        "api" | "action" => f.event_names.iter().take(10).any(|n| n == text),
        "caller" => f.actor.display == text,
        "caller_type" => f.actor.kind.as_deref() == Some(text),
        "source_ip" => f.source_ip.as_deref() == Some(text),
        "error_code" => f.error_code.as_deref() == Some(text),
        "region" => f.region.as_deref() == Some(text),
        _ => false,
    }
}

/// The custom notification for a finding (a JSON object; publish it as the SNS
/// message, with no message structure).
pub fn render(f: &Finding) -> Value {
    let meta = f.meta;
    let v = |s: &str| chat_value(s, MAX_VALUE_CHARS);
    let mut lines = Vec::new();
    let mut who = format!("*Actor* {}", v(&f.actor.display));
    who.push_str(&f.actor.qualifier(|kind| v(kind)));
    lines.push(who);
    if let Some(person) = f.actor.acting_for(|id| v(id)) {
        lines.push(format!("*On behalf of* {person}"));
    }
    let mut what = format!(
        "*API* {}",
        v(&f.event_names
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join(", "))
    );
    if let Some(ip) = f.source_ip.as_deref().filter(|s| !s.is_empty()) {
        what.push_str(&format!(" from {}", v(ip)));
    }
    if let Some(code) = &f.error_code {
        what.push_str(&format!(" error {}", v(code)));
    }
    lines.push(what);
    lines.push(format!(
        "*Account* {} *Region* {}",
        v(f.account_id.as_deref().unwrap_or("-")),
        v(f.region.as_deref().unwrap_or("-"))
    ));
    let evidence_from = lines.len();
    // What the lines above say already is not listed again, and entries past
    // the last listed are counted (from a review: six slots went to the API,
    // the caller and the address, and the other account was dropped unsaid).
    let listed: Vec<(String, &Value)> = f
        .evidence
        .0
        .iter()
        .filter(|(k, val)| !repeats_a_line(f, k, val))
        .map(|(k, val)| (label(k), val))
        .filter(|(l, _)| !l.is_empty())
        .collect();
    for (l, val) in listed.iter().take(MAX_EVIDENCE_LINES) {
        lines.push(format!("*{l}* {}", v(&scalar_text(val))));
    }
    if listed.len() > MAX_EVIDENCE_LINES {
        lines.push(format!(
            "*Evidence* {} more: see the finding JSON",
            listed.len() - MAX_EVIDENCE_LINES
        ));
    }
    let when = match (&f.event_time.first, &f.event_time.last) {
        (Some(a), Some(b)) if a != b => format!("{} .. {}", v(a), v(b)),
        (Some(a), _) => v(a),
        _ => v("-"),
    };
    let evidence_to = lines.len();
    if let Some(id) = &f.dry_run_suppression {
        lines.push(format!(
            "*Dry run* a tuning entry would suppress it: {}",
            v(id)
        ));
    }
    lines.push(format!("*Time* {when}"));
    lines.push(format!("*Finding* `{}`", f.finding_id));
    let description = within_budget(&lines, evidence_from..evidence_to);

    let mut next_steps = vec![meta.next_steps.to_owned()];
    if let Some(link) = f
        .event_ids
        .first()
        .and_then(|id| region(f).and_then(|r| cloudtrail_console_link(r, id)))
    {
        next_steps.push(format!("CloudTrail event: {link}"));
    }
    if f.event_ids.len() > 1 {
        next_steps.push(format!(
            "{} CloudTrail events in all: see the finding JSON or Security Hub.",
            f.event_ids.len()
        ));
    }

    let mut keywords = vec![f.severity.upper().to_owned(), f.detection_id.to_owned()];
    if let Some(a) = account_id(f) {
        keywords.push(a.to_owned());
    }
    // A finding the tuning did not notify (replay's `--show-suppressed`) says
    // so in its title, so that it cannot pass for a live one (from a review).
    let held = f
        .disposition
        .filter(|d| *d != Disposition::Notified)
        .map(|d| d.as_str().to_ascii_uppercase());
    let title = match &held {
        Some(d) => format!("[{d}] [{}] {}", f.severity.upper(), f.title),
        None => format!("[{}] {}", f.severity.upper(), f.title),
    };
    keywords.extend(held);

    json!({
        "version": VERSION,
        "source": "custom",
        "id": f.finding_id,
        "content": {
            "textType": "client-markdown",
            "title": title,
            "description": description,
            "nextSteps": next_steps,
            "keywords": keywords,
        },
        "metadata": {
            "summary": title,
        },
    })
}

/// The most characters of a description: Slack refuses a text block over 3,000,
/// and a value's defanging (`[:]//`) and cut mark can take it past its cap.
pub const MAX_DESCRIPTION_CHARS: usize = 2_800;

/// `lines` joined, with evidence lines (the range) dropped from the last until
/// the text fits [`MAX_DESCRIPTION_CHARS`], and a line saying so: our own lines
/// (who, what, where, when, the finding's id) are always kept.
fn within_budget(lines: &[String], evidence: std::ops::Range<usize>) -> String {
    let mut shown = evidence.len();
    loop {
        let mut kept: Vec<&str> = lines[..evidence.start + shown]
            .iter()
            .map(String::as_str)
            .collect();
        if shown < evidence.len() {
            kept.push("*Evidence* cut: see the finding JSON");
        }
        kept.extend(lines[evidence.end..].iter().map(String::as_str));
        let text = kept.join("\n");
        if shown == 0 || text.chars().count() <= MAX_DESCRIPTION_CHARS {
            return text;
        }
        shown -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::ocsf::tests::{STOP, finding};

    /// From a review: a finding the tuning held back says so, in its title and
    /// keywords; a dry run's entry is named.
    #[test]
    fn a_finding_not_notified_says_so() {
        let mut f = finding(STOP);
        f.disposition = Some(Disposition::Shadow);
        let n = render(&f);
        assert!(
            n["content"]["title"]
                .as_str()
                .unwrap()
                .starts_with("[SHADOW] [HIGH] "),
            "{n}"
        );
        assert_eq!(n["metadata"]["summary"], n["content"]["title"]);
        assert_eq!(
            n["content"]["keywords"].as_array().unwrap().last(),
            Some(&json!("SHADOW"))
        );
        f.disposition = Some(Disposition::Notified);
        f.dry_run_suppression = Some("ci-runner".into());
        let n = render(&f);
        assert!(
            n["content"]["title"]
                .as_str()
                .unwrap()
                .starts_with("[HIGH] "),
            "{n}"
        );
        let d = n["content"]["description"].as_str().unwrap();
        assert!(
            d.contains("*Dry run* a tuning entry would suppress it: `ci-runner`"),
            "{d}"
        );
    }

    #[test]
    fn the_notification_has_chatbot_shape() {
        let n = render(&finding(STOP));
        assert_eq!(n["version"], "1.0");
        assert_eq!(n["source"], "custom");
        let c = &n["content"];
        assert_eq!(c["textType"], "client-markdown");
        assert!(c["title"].as_str().unwrap().starts_with("[HIGH] "));
        let d = c["description"].as_str().unwrap();
        assert!(d.contains("*Actor* `alice` (`IAMUser`)"), "{d}");
        assert!(d.contains("`192.0.2.87`"), "{d}");
        assert!(d.contains("*trail* `org-trail`"), "{d}");
        assert!(!c["nextSteps"].as_array().unwrap().is_empty());
        assert_eq!(
            c["keywords"],
            json!(["HIGH", "cloudtrail-log-suspended", "111122223333"])
        );
    }

    /// From a review of the docs: evidence that says what the *API* line
    /// says (the call as `action`, a window's one address as a list, the error
    /// code) took slots that other evidence needed.
    #[test]
    fn evidence_the_lines_show_takes_no_slot() {
        let mut f = finding(STOP);
        f.error_code = Some("AccessDenied".into());
        let ip = f.source_ip.clone().unwrap();
        f.evidence = crate::detection::Evidence(vec![
            ("action".into(), json!(f.event_names[0])),
            ("source_ip".into(), json!([ip])),
            ("error_code".into(), json!("AccessDenied")),
            ("mfa_authenticated".into(), json!(true)),
            ("other_ips".into(), json!([ip, "198.51.100.9"])),
        ]);
        let n = render(&f);
        let d = n["content"]["description"].as_str().unwrap();
        for gone in ["*action*", "*source ip*", "*error code*"] {
            assert!(!d.contains(gone), "{gone} in {d}");
        }
        assert!(d.contains("*mfa authenticated* `true`"), "{d}");
        assert!(d.contains("198.51.100.9"), "a list with more is kept: {d}");
    }

    /// From a review: six evidence values full of `://` (each written `[:]//`,
    /// longer than its cap) and long own fields stay under Slack's limit, with
    /// our own lines kept and the cut said.
    #[test]
    fn the_description_fits_a_slack_block_whatever_the_values() {
        let mut f = finding(STOP);
        let long = "x://".repeat(200);
        f.actor.display = long.clone();
        f.actor.kind = Some(long.clone());
        f.source_ip = Some(long.clone());
        f.error_code = Some(long.clone());
        f.event_names = vec![long.clone(); 10];
        f.event_time.first = Some(long.clone());
        f.account_id = Some(long.clone());
        f.region = Some(long.clone());
        f.event_time.last = Some(format!("{long}y"));
        f.evidence = crate::detection::Evidence(
            ["a", "b", "c", "d", "e", "f"]
                .into_iter()
                .map(|k| (std::borrow::Cow::Borrowed(k), json!(long.clone())))
                .collect(),
        );
        let n = render(&f);
        let d = n["content"]["description"].as_str().unwrap();
        assert!(d.chars().count() <= MAX_DESCRIPTION_CHARS, "{}", d.len());
        assert!(d.contains("*Evidence* cut"), "{d}");
        assert!(d.contains("*Finding* `") && d.contains("*Time* "), "{d}");
        // Without long values nothing is cut.
        let plain = render(&finding(STOP));
        assert!(
            !plain["content"]["description"]
                .as_str()
                .unwrap()
                .contains("cut")
        );
    }

    #[test]
    fn hostile_values_are_inert() {
        let hostile = [
            "<!channel> @here @alice",
            "<https://evil.example/x|click me>",
            "see http://203.0.113.5/payload and evil.example",
            "`code` *bold* _it_ ~strike~ [link](https://evil.example)",
            "line1\nline2\r\u{202e}txt.exe\u{200b}",
            "&lt;!here&gt;",
        ];
        for h in hostile {
            let detail = STOP
                .replace(
                    "\"userName\":\"alice\"",
                    &format!("\"userName\":{}", json!(h)),
                )
                .replace("\"org-trail\"", &json!(h).to_string())
                .replace("\"192.0.2.87\"", &json!(h).to_string());
            let n = render(&finding(&detail));
            let d = n["content"]["description"].as_str().unwrap();
            // Our own line structure is intact: the value could not add lines.
            assert_eq!(d.lines().count(), 6, "{d}");
            for line in d.lines() {
                assert!(!line.chars().any(crate::sanitize::is_unsafe), "{line:?}");
                for bad in ["<", ">", "@", "://", "&lt;"] {
                    assert!(!line.contains(bad), "{bad:?} in {line:?}");
                }
                // Every record value is inside a code span: backticks pair up.
                assert_eq!(line.matches('`').count() % 2, 0, "{line}");
            }
            for v in d.split('`').skip(1).step_by(2) {
                assert!(!v.contains('`'));
            }
            let title = n["content"]["title"].as_str().unwrap();
            assert!(!title.contains(h), "{title}");
        }
    }

    #[test]
    fn long_values_are_capped() {
        let detail = STOP.replace("org-trail", &"t".repeat(10_000));
        let d = render(&finding(&detail))["content"]["description"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(d.len() < 2_000, "{}", d.len());
        assert!(d.contains(crate::sanitize::CUT_MARK));
    }

    /// A record's huge event id builds no console link (its percent-encoding
    /// made a link three times its size, past SNS's 256 KB).
    #[test]
    fn a_huge_event_id_makes_no_link() {
        let id = "ce8e2f85-3e2a-52fd-a45f-31e73af3b829";
        let linked = render(&finding(STOP))["content"]["nextSteps"].to_string();
        assert!(linked.contains(&format!("#/events/{id}")), "{linked}");
        let n = render(&finding(&STOP.replace(id, &"/".repeat(90_000))));
        let size = n.to_string().len();
        assert!(size < 20_000, "{size}");
        assert!(!n["content"]["nextSteps"].to_string().contains("#/events/"));
    }
}
