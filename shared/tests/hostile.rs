//! Attacker-controlled CloudTrail fields against every rendering of a finding.
//!
//! Whoever makes an API call writes `userIdentity.userName`, the user agent, the
//! request parameters and (for failed calls) the error message that CloudTrail
//! records. These tests set such fields to hostile values (forged header lines,
//! terminal escapes, C1 controls, bidi overrides, zero-width characters, NUL, JSON
//! escape look-alikes, 1 MB of text) in records that really fire, and check each
//! finding in every form it leaves trailwatch:
//! - the text block (`to_text`, plain and coloured) and the e-mail text: one line per
//!   field, nothing a terminal or a reader could be fooled by, lengths capped with a
//!   visible mark;
//! - the SNS subject and attributes: printable ASCII, within SNS limits;
//! - the JSON (`to_json`, the SNS JSON variants, `replay --format jsonl`): the
//!   original value, unchanged, or cut exactly as documented when too large.
//!
//! The oracle for "unsafe" characters is this file's own list (`forbidden`), not
//! `sanitize::is_unsafe`, so a category the sanitizer misses shows up here.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};
use trailwatch::engine::{Engine, Settings};
use trailwatch::event::Record;
use trailwatch::finding::Finding;
use trailwatch::notify::Collect;
use trailwatch::notify::message::{
    self, JSON_PROTOCOLS, MAX_EMAIL_BYTES, MAX_FINDING_JSON_BYTES, MAX_SUBJECT_CHARS,
    TEXT_PROTOCOLS,
};
use trailwatch::sanitize::CUT_MARK;
use trailwatch::state::MemoryStore;

const BIN: &str = env!("CARGO_BIN_EXE_trailwatch");

/// The wall clock handed to the engine (epoch seconds, after every event time here).
const NOW: i64 = 1_800_000_000;

/// SNS refuses a `Publish` whose message (with subject and attributes) is larger.
const SNS_MAX_BYTES: usize = 256 * 1024;

/// Characters of a value kept in text (render/text.rs and message.rs cut at 300).
const TEXT_VALUE_CHARS: usize = 300;

/// The longest line `to_text` may write: two spaces, a label (padded to at most
/// `TEXT_LABEL_MAX`), a space, a value of at most
/// 300 characters and the cut mark.
fn text_line_max() -> usize {
    2 + trailwatch::render::text::TEXT_LABEL_MAX + 1 + TEXT_VALUE_CHARS + CUT_MARK.chars().count()
}

/// The longest line the e-mail text may write: a field label (at most 40) and the
/// longest value line, "first .. last" of two cut values (2 x 312 + 4).
fn email_line_max() -> usize {
    2 + 40 + 1 + 2 * (TEXT_VALUE_CHARS + CUT_MARK.chars().count()) + 4
}

/// Characters that must never reach a terminal, a subject or an e-mail text: every
/// control character (C0 with CR/LF/TAB/ESC/BEL/NUL, DEL, C1 with NEL and CSI), the
/// Unicode Bidi_Control characters, zero-width and invisible format characters,
/// line and paragraph separators, and the invisible tag characters.
fn forbidden(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{061C}'                    // ARABIC LETTER MARK (Bidi_Control)
            | '\u{200B}'..='\u{200F}'     // zero-width space/joiners, LRM, RLM
            | '\u{2028}' | '\u{2029}'     // line and paragraph separators
            | '\u{202A}'..='\u{202E}'     // bidi embeddings and overrides
            | '\u{2060}'..='\u{206F}'     // word joiner, invisible operators, isolates, deprecated format
            | '\u{FEFF}'                  // zero-width no-break space
            | '\u{FFF9}'..='\u{FFFB}'     // interlinear annotation
            | '\u{00AD}'                  // soft hyphen
            | '\u{180E}'                  // Mongolian vowel separator
            | '\u{E0000}'..='\u{E007F}') // tag characters
}

// ---------------------------------------------------------------------------
// Hostile values and records that fire.

/// 1 MB of text that starts with a colour escape and ends with a forged finding.
fn huge() -> String {
    format!(
        "\x1b[31m{}\n[CRITICAL] Root login (detection_id: forged)",
        "A".repeat(1_000_000)
    )
}

/// (name, value) of every hostile value.
fn hostile_values() -> Vec<(&'static str, String)> {
    vec![
        (
            "forged header after LF",
            "eve\n[CRITICAL] Root login (detection_id: forged)\n  actor        root (Root)".into(),
        ),
        (
            "forged header after CRLF",
            "eve\r\n[CRITICAL] Root login (detection_id: forged)\r\nSubject: [LOW] all clear\r\n"
                .into(),
        ),
        (
            "ANSI SGR, clear screen, cursor home",
            "\x1b[31mred\x1b[0m\x1b[2J\x1b[H\x1b[1;1H[CRITICAL] forged".into(),
        ),
        (
            "OSC 8 hyperlink",
            "\x1b]8;;https://evil.example/\x1b\\click me\x1b]8;;\x1b\\".into(),
        ),
        ("OSC 0 window title ended by BEL", "\x1b]0;pwned\x07eve".into()),
        (
            "C1 controls NEL and CSI",
            "eve\u{85}[CRITICAL] forged\u{9b}31m\u{9d}0;t\u{9c}".into(),
        ),
        (
            "bidi overrides and isolates",
            "\u{202E}gnp.exe\u{202C} \u{2066}a\u{2069}\u{2067}b\u{2069}\u{2068}c\u{2069}\u{202A}\u{202B}\u{202D}".into(),
        ),
        (
            "zero-width characters",
            "ad\u{200B}mi\u{200C}n\u{200D}\u{2060}\u{FEFF}".into(),
        ),
        ("NUL, DEL and backspaces", "root\0x\x7f\x08\x08\x08\x08eve".into()),
        (
            "line and paragraph separators, VT, FF",
            "eve\u{2028}[CRITICAL] forged\u{2029}\u{0B}\u{0C}x".into(),
        ),
        (
            "JSON escape look-alikes as plain text",
            r#"\u001b[31m \" \\ \n \/ \ud83d"#.into(),
        ),
        ("1 MB", huge()),
    ]
}

const STOP_EVENT_ID: &str = "9d7c2a41-0000-4000-8000-000000000001";

/// A successful StopLogging: fires cloudtrail-log-suspended and cloudtrail-important-change.
fn stop_logging() -> Value {
    json!({
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLEEXAMPLE1",
            "arn": "arn:aws:iam::111122223333:user/mallory", "accountId": "111122223333",
            "accessKeyId": "AKIAEXAMPLEEXAMPLE1", "userName": "mallory"},
        "eventTime": "2026-03-02T10:15:00Z",
        "eventSource": "cloudtrail.amazonaws.com",
        "eventName": "StopLogging",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.50",
        "userAgent": "Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.1",
        "requestParameters": {"name": "management-trail"},
        "responseElements": null,
        "eventID": STOP_EVENT_ID,
        "readOnly": false,
        "eventType": "AwsApiCall",
        "recipientAccountId": "111122223333"
    })
}

/// A failed console sign-in with "Failed authentication": fires
/// consolelogin-failed-authentication and credential-access-failed-login.
fn console_login_failure() -> Value {
    json!({
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "principalId": "AIDAOLAEXAMPLE000001",
            "accountId": "444455556666", "accessKeyId": "", "userName": "ola"},
        "eventTime": "2026-09-17T07:02:18Z",
        "eventSource": "signin.amazonaws.com",
        "eventName": "ConsoleLogin",
        "awsRegion": "eu-north-1",
        "sourceIPAddress": "192.0.2.77",
        "userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
        "errorMessage": "Failed authentication",
        "requestParameters": null,
        "responseElements": {"ConsoleLogin": "Failure"},
        "additionalEventData": {"LoginTo": "https://console.aws.amazon.com/console/home",
            "MobileVersion": "No", "MFAUsed": "No"},
        "eventID": "ed199a89-68bb-4198-85a4-4d9ed5e3d65d",
        "readOnly": false,
        "eventType": "AwsConsoleSignIn",
        "recipientAccountId": "444455556666"
    })
}

/// The user agent of an AWS CLI call with the endpoint-override feature code `N`.
const CLI_UA: &str =
    "aws-cli/2.27.40 md/awscrt#0.26.1 ua/2.1 os/linux#6.8.0 m/E,N,b,Z md/command#s3.ls";

/// An AWS CLI call through an overridden endpoint: fires aws-cli-custom-endpoint-url.
fn cli_override() -> Value {
    json!({
        "eventVersion": "1.10",
        "userIdentity": {"type": "AssumedRole", "principalId": "AROAQXEXAMPLEPIPE001:i-0c4f",
            "arn": "arn:aws:sts::123456789012:assumed-role/DataPipeline/i-0c4f",
            "accountId": "123456789012", "accessKeyId": "ASIAQXEXAMPLEPIPE001",
            "sessionContext": {"sessionIssuer": {"type": "Role", "userName": "DataPipeline"}}},
        "eventTime": "2026-03-14T08:15:42Z",
        "eventSource": "s3.amazonaws.com",
        "eventName": "ListBuckets",
        "awsRegion": "us-west-2",
        "sourceIPAddress": "198.51.100.140",
        "userAgent": CLI_UA,
        "requestParameters": {"Host": "s3.us-west-2.amazonaws.com"},
        "responseElements": null,
        "eventID": "d4f3389f-a02f-52fe-bb84-193e3484066d",
        "readOnly": true,
        "eventType": "AwsApiCall",
        "recipientAccountId": "123456789012",
        "tlsDetails": {"tlsVersion": "TLSv1.3", "clientProvidedHostHeader": "s3.us-west-2.amazonaws.com"}
    })
}

const SUSPENDED: &str = "cloudtrail-log-suspended";
const IMPORTANT: &str = "cloudtrail-important-change";
const FAILED_AUTH: &str = "consolelogin-failed-authentication";
const FAILED_LOGIN: &str = "credential-access-failed-login";
const CLI: &str = "aws-cli-custom-endpoint-url";

/// One attacker-controlled field of one kind of record.
#[derive(Clone)]
struct Case {
    name: &'static str,
    base: fn() -> Value,
    /// JSON pointer of the record field set to `prefix` + the hostile value.
    field: &'static str,
    /// Text before the hostile value (an AWS CLI user agent must stay one).
    prefix: &'static str,
    /// The detections the record fires, hostile or not (sorted).
    fires: &'static [&'static str],
    /// Where every finding carries the field: JSON pointers into the finding JSON.
    carried: &'static [&'static str],
}

/// Fields the caller of an API controls (the 1 MB value is tried on these).
fn attacker_cases() -> Vec<Case> {
    vec![
        Case {
            name: "StopLogging userName",
            base: stop_logging,
            field: "/userIdentity/userName",
            prefix: "",
            fires: &[IMPORTANT, SUSPENDED],
            carried: &["/actor/display"],
        },
        Case {
            name: "StopLogging arn",
            base: stop_logging,
            field: "/userIdentity/arn",
            prefix: "arn:aws:iam::111122223333:user/",
            fires: &[IMPORTANT, SUSPENDED],
            carried: &["/actor/key"],
        },
        Case {
            name: "StopLogging userAgent",
            base: stop_logging,
            field: "/userAgent",
            prefix: "",
            fires: &[IMPORTANT, SUSPENDED],
            carried: &["/user_agent"],
        },
        Case {
            name: "StopLogging trail name",
            base: stop_logging,
            field: "/requestParameters/name",
            prefix: "",
            fires: &[IMPORTANT, SUSPENDED],
            carried: &["/evidence/trail"],
        },
        Case {
            name: "StopLogging sourceIPAddress",
            base: stop_logging,
            field: "/sourceIPAddress",
            prefix: "",
            fires: &[IMPORTANT, SUSPENDED],
            carried: &["/source_ip"],
        },
        Case {
            // A failed stop: only the Sigma rule (which fires on attempts) reports it.
            name: "StopLogging errorMessage",
            base: stop_logging,
            field: "/errorMessage",
            prefix: "",
            fires: &[IMPORTANT],
            carried: &["/evidence/error_message"],
        },
        Case {
            name: "ConsoleLogin userName",
            base: console_login_failure,
            field: "/userIdentity/userName",
            prefix: "",
            fires: &[FAILED_AUTH, FAILED_LOGIN],
            carried: &["/actor/display", "/evidence/user_name"],
        },
        Case {
            // Not "Failed authentication" any more: only the catch-all rule fires.
            name: "ConsoleLogin errorMessage",
            base: console_login_failure,
            field: "/errorMessage",
            prefix: "",
            fires: &[FAILED_LOGIN],
            carried: &["/evidence/error_message"],
        },
        Case {
            name: "ConsoleLogin userAgent",
            base: console_login_failure,
            field: "/userAgent",
            prefix: "",
            fires: &[FAILED_AUTH, FAILED_LOGIN],
            carried: &["/user_agent"],
        },
        Case {
            name: "ConsoleLogin sourceIPAddress",
            base: console_login_failure,
            field: "/sourceIPAddress",
            prefix: "",
            fires: &[FAILED_AUTH, FAILED_LOGIN],
            carried: &["/source_ip"],
        },
        Case {
            name: "AWS CLI userAgent, after the tokens",
            base: cli_override,
            field: "/userAgent",
            prefix: "aws-cli/2.27.40 md/awscrt#0.26.1 ua/2.1 os/linux#6.8.0 m/E,N,b,Z md/command#s3.ls ",
            fires: &[CLI],
            carried: &["/user_agent"],
        },
        Case {
            name: "AWS CLI userAgent, inside the command token",
            base: cli_override,
            field: "/userAgent",
            prefix: "aws-cli/2.27.40 ua/2.1 m/E,N,b,Z md/command#",
            fires: &[CLI],
            carried: &["/user_agent"],
        },
        Case {
            name: "AWS CLI Host header",
            base: cli_override,
            field: "/tlsDetails/clientProvidedHostHeader",
            prefix: "",
            fires: &[CLI],
            carried: &["/evidence/host_header"],
        },
        Case {
            name: "AWS CLI errorMessage",
            base: cli_override,
            field: "/errorMessage",
            prefix: "",
            fires: &[CLI],
            carried: &["/evidence/error_message"],
        },
    ]
}

/// Fields CloudTrail itself writes (only odd files carry hostile ones): tried with
/// the short hostile values.
fn aws_set_cases() -> Vec<Case> {
    vec![
        Case {
            name: "StopLogging recipientAccountId",
            base: stop_logging,
            field: "/recipientAccountId",
            prefix: "",
            fires: &[IMPORTANT, SUSPENDED],
            carried: &["/account_id"],
        },
        Case {
            name: "StopLogging awsRegion",
            base: stop_logging,
            field: "/awsRegion",
            prefix: "",
            fires: &[IMPORTANT, SUSPENDED],
            carried: &["/region"],
        },
        Case {
            name: "StopLogging eventTime",
            base: stop_logging,
            field: "/eventTime",
            prefix: "",
            fires: &[IMPORTANT, SUSPENDED],
            carried: &["/event_time/first", "/event_time/last"],
        },
    ]
}

/// Sets the value at `pointer` (its parent object must exist).
fn set(v: &mut Value, pointer: &str, value: Value) {
    let (parent, key) = pointer.rsplit_once('/').expect("a JSON pointer");
    v.pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("no object at {parent:?}"))
        .insert(key.to_owned(), value);
}

/// The record of `case` with its field set to `prefix` + `value`, as JSON text.
fn record(case: &Case, value: &str) -> String {
    let mut v = (case.base)();
    set(
        &mut v,
        case.field,
        Value::from(format!("{}{value}", case.prefix)),
    );
    v.to_string()
}

/// The findings the whole catalogue delivers for one record (fresh state), sorted by
/// detection id.
fn findings(json: &str) -> Vec<Finding> {
    let rec = Record::from_json(json).expect("the record parses");
    let engine = Engine::new(Settings::default());
    let store = MemoryStore::default();
    let sink = Collect::default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let mut found = rt
        .block_on(engine.handle(&rec, &store, &sink, NOW))
        .expect("handled");
    assert_eq!(found.len(), sink.take().len(), "delivered = notified");
    found.sort_by_key(|f| f.detection_id);
    found
}

fn ids(found: &[Finding]) -> Vec<&'static str> {
    found.iter().map(|f| f.detection_id).collect()
}

/// The start of a long string, for failure messages.
fn snip(s: &str) -> String {
    let head: String = s.chars().take(600).collect();
    if head.len() < s.len() {
        format!("{head:?}... ({} bytes)", s.len())
    } else {
        format!("{head:?}")
    }
}

// ---------------------------------------------------------------------------
// The checks.

/// Checks that `text` holds no forbidden character but `\n` and, with `colour`, ESC
/// starting an SGR sequence (`ESC [ digits/; m`); returns the number of ESCs.
fn assert_clean(text: &str, colour: bool, ctx: &str) -> usize {
    let mut escs = 0;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            assert!(colour, "{ctx}: ESC in uncoloured text: {}", snip(text));
            escs += 1;
            assert_eq!(
                chars.next(),
                Some('['),
                "{ctx}: ESC is not a CSI: {}",
                snip(text)
            );
            loop {
                match chars.next() {
                    Some('0'..='9' | ';') => {}
                    Some('m') => break,
                    other => panic!(
                        "{ctx}: ESC [ ... ended by {other:?}, not an SGR sequence: {}",
                        snip(text)
                    ),
                }
            }
        } else if c != '\n' {
            assert!(
                !forbidden(c),
                "{ctx}: forbidden {c:?} (U+{:04X}) in {}",
                c as u32,
                snip(text)
            );
        }
    }
    escs
}

/// `text` without its SGR sequences (`ESC [ digits/; m`).
fn strip_sgr(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for d in chars.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The labels of `to_text`'s lines, in order, for this finding: the text format's
/// contract (one line per field, evidence in order, event ids last).
fn expected_text_labels(f: &Finding) -> Vec<String> {
    let mut labels = vec!["actor".to_owned()];
    if f.actor.key != f.actor.display {
        labels.push("actor key".into());
    }
    for l in ["account", "source", "user agent", "time"] {
        labels.push(l.into());
    }
    if !f.event_sources.is_empty() {
        labels.push("event source".into());
    }
    labels.push("events".into());
    if f.error_code.is_some() {
        labels.push("error code".into());
    }
    labels.extend(
        f.evidence
            .0
            .iter()
            .filter(|(k, v)| {
                let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                !f.repeats_header(k, &text)
            })
            .map(|(k, _)| trailwatch::render::text::text_label(k)),
    );
    labels.push("event ids".into());
    labels
}

/// (a): both text renderings of a hostile finding.
fn check_text(h: &Finding, innocent: &Finding, value_chars: usize, ctx: &str) {
    let header = format!("[{}] {} ({})", h.severity.upper(), h.title, h.detection_id);
    for colour in [false, true] {
        let ctx = format!("{ctx}, to_text({colour})");
        let text = h.to_text(colour);
        let escs = assert_clean(&text, colour, &ctx);
        let innocent_escs = assert_clean(&innocent.to_text(colour), colour, &ctx);
        assert_eq!(escs, innocent_escs, "{ctx}: ESC count: {}", snip(&text));
        assert_eq!(escs, if colour { 2 } else { 0 }, "{ctx}");
        let lines: Vec<&str> = text.lines().collect();
        // The colour codes are all on the header line; without them it is the header.
        assert_eq!(strip_sgr(lines[0]), header, "{ctx}");
        assert!(lines[1..].iter().all(|l| !l.contains('\x1b')), "{ctx}");
        let plain = strip_sgr(&text);
        let labels = expected_text_labels(h);
        // One label width per finding: its longest label, within bounds.
        let width = labels
            .iter()
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(0)
            .clamp(
                trailwatch::render::text::TEXT_LABEL_MIN,
                trailwatch::render::text::TEXT_LABEL_MAX,
            );
        // A long value goes on under its column (a hanging indent): the lines
        // that start with the blank prefix continue the field above.
        let blank = " ".repeat(2 + width + 1);
        let mut fields: Vec<(&str, String)> = Vec::new();
        for line in &lines[1..] {
            assert!(
                line.chars().count() <= text_line_max(),
                "{ctx}: line of {} chars",
                line.chars().count()
            );
            match (line.strip_prefix(&blank), fields.last_mut()) {
                (Some(more), Some((_, value))) => {
                    assert!(!more.starts_with(' '), "{ctx}: line {}", snip(line));
                    value.push_str(more);
                }
                _ => fields.push((line, String::new())),
            }
        }
        assert_eq!(
            fields.len(),
            labels.len(),
            "{ctx}: one header and one field per label: {}",
            snip(&plain)
        );
        for ((line, more), label) in fields.iter().zip(&labels) {
            let prefix = format!("  {label:<width$} ");
            assert!(
                line.starts_with(&prefix),
                "{ctx}: line {} does not start with {prefix:?}",
                snip(line)
            );
            let _ = more;
        }
        if value_chars > TEXT_VALUE_CHARS {
            // The mark has no blank in it, so a break inside it is where the
            // line was full: the field's lines joined as they are end with it.
            assert!(
                fields
                    .iter()
                    .any(|(line, more)| format!("{line}{more}").ends_with(CUT_MARK)),
                "{ctx}: no cut mark: {}",
                snip(&text)
            );
        }
    }
}

/// (b): the SNS subject, the e-mail text, the attributes and the total size.
fn check_sns(h: &Finding, innocent: &Finding, value_chars: usize, ctx: &str) -> Value {
    let m = message::build(h);
    let s = &m.subject;
    assert!(
        s.chars().all(|c| (' '..='~').contains(&c)),
        "{ctx}: subject not printable ASCII: {s:?}"
    );
    assert!(
        s.chars().count() <= MAX_SUBJECT_CHARS,
        "{ctx}: subject of {} chars",
        s.chars().count()
    );
    assert!(
        s.starts_with(&format!("[{}] {}", h.severity.upper(), h.title)),
        "{ctx}: subject {s:?}"
    );
    for (name, a) in &m.attributes {
        assert!(
            !a.value().is_empty() && a.value().chars().all(|c| (' '..='~').contains(&c)),
            "{ctx}: attribute {name} = {:?}",
            a.value()
        );
    }
    let attr_bytes: usize = m
        .attributes
        .iter()
        .map(|(n, a)| n.len() + a.data_type().len() + a.value().len())
        .sum();
    let total = m.message.len() + s.len() + attr_bytes;
    assert!(total < SNS_MAX_BYTES, "{ctx}: SNS message of {total} bytes");

    let v: Value = serde_json::from_str(&m.message)
        .unwrap_or_else(|e| panic!("{ctx}: SNS message is not JSON: {e}"));
    let innocent_email = message::email_text(innocent);
    for p in TEXT_PROTOCOLS {
        let ctx = format!("{ctx}, SNS {p}");
        let text = v[p]
            .as_str()
            .unwrap_or_else(|| panic!("{ctx}: no text variant"));
        assert_eq!(text, message::email_text(h), "{ctx}");
        assert!(
            text.len() <= MAX_EMAIL_BYTES + CUT_MARK.len() + 1,
            "{ctx}: {} bytes",
            text.len()
        );
        assert_clean(text, false, &ctx);
        // Header, section titles and the closing lines are ours: the same lines as for
        // an innocent finding; every value sits on an indented line.
        let ours = |t: &str| -> Vec<String> {
            t.lines()
                .filter(|l| !l.starts_with(' '))
                .map(str::to_owned)
                .collect()
        };
        assert_eq!(
            ours(text),
            ours(&innocent_email),
            "{ctx}: unindented lines differ: {}",
            snip(text)
        );
        for line in text.lines() {
            assert!(
                line.chars().count() <= email_line_max(),
                "{ctx}: line of {} chars",
                line.chars().count()
            );
        }
        if value_chars > TEXT_VALUE_CHARS {
            assert!(
                text.contains(CUT_MARK),
                "{ctx}: no cut mark: {}",
                snip(text)
            );
        }
    }
    v
}

/// (c): `to_json` and the SNS JSON variants carry `original` unchanged at every
/// pointer in `carried` (the SNS copy only when it fits its budget whole).
fn check_json(h: &Finding, sns: &Value, carried: &[&str], original: &str, ctx: &str) {
    let full = h.to_json();
    let v: Value =
        serde_json::from_str(&full).unwrap_or_else(|e| panic!("{ctx}: to_json is not JSON: {e}"));
    for p in carried {
        assert_eq!(
            v.pointer(p).and_then(Value::as_str),
            Some(original),
            "{ctx}: to_json at {p}"
        );
    }
    for proto in JSON_PROTOCOLS {
        let ctx = format!("{ctx}, SNS {proto}");
        let inner_text = sns[proto]
            .as_str()
            .unwrap_or_else(|| panic!("{ctx}: no JSON variant"));
        let inner: Value =
            serde_json::from_str(inner_text).unwrap_or_else(|e| panic!("{ctx}: not JSON: {e}"));
        if full.len() <= MAX_FINDING_JSON_BYTES {
            assert_eq!(inner, v, "{ctx}: the finding JSON, whole");
        } else {
            // Too large: cut as `message::finding_json` documents (see
            // `the_one_megabyte_value_is_cut_as_documented_in_sns_json`).
            assert!(inner_text.len() <= MAX_FINDING_JSON_BYTES, "{ctx}");
            assert_eq!(inner["evidence_truncated"], true, "{ctx}");
            assert_eq!(inner["finding_id"], v["finding_id"], "{ctx}");
            assert_eq!(inner["detection_id"], v["detection_id"], "{ctx}");
        }
    }
}

/// Runs every check on every finding of `case` with `value`.
fn check_case(case: &Case, label: &str, value: &str) {
    let ctx = format!("{} = {label}", case.name);
    let original = format!("{}{value}", case.prefix);
    let hostile = findings(&record(case, value));
    let innocent = findings(&record(case, "innocent"));
    assert_eq!(ids(&innocent), case.fires, "{ctx}: innocent record");
    assert_eq!(ids(&hostile), case.fires, "{ctx}: hostile record");
    let value_chars = original.chars().count();
    for (h, i) in hostile.iter().zip(&innocent) {
        let ctx = format!("{ctx}, {}", h.detection_id);
        check_text(h, i, value_chars, &ctx);
        let sns = check_sns(h, i, value_chars, &ctx);
        check_json(h, &sns, case.carried, &original, &ctx);
    }
}

// ---------------------------------------------------------------------------
// Tests.

/// Every caller-controlled field (userName, arn, userAgent, trail name, error
/// message, source address) of StopLogging, failed console sign-in and AWS CLI
/// endpoint-override records, set to every hostile value including 1 MB: each
/// finding's text (plain and coloured) and e-mail are one line per field, free of
/// controls/escapes/bidi/zero-width characters, length-capped with the cut mark;
/// the SNS subject is printable ASCII within 99 characters starting with the
/// severity; attributes are printable; the SNS message is under 256 KiB; and
/// `to_json` and the SNS JSON variants carry the original value unchanged.
#[test]
fn hostile_caller_fields_are_inert_in_text_and_intact_in_json() {
    for case in attacker_cases() {
        for (label, value) in hostile_values() {
            check_case(&case, label, &value);
        }
    }
}

/// The same guarantees for fields CloudTrail writes itself (account, Region, event
/// time), as odd replay files may carry anything there; the short hostile values.
#[test]
fn hostile_aws_set_fields_are_inert_in_text_and_intact_in_json() {
    for case in aws_set_cases() {
        for (label, value) in hostile_values() {
            if value.len() < 10_000 {
                check_case(&case, label, &value);
            }
        }
    }
}

/// Valid but unusual JSON escapes in the record text (`\u0076`, `\/`, a surrogate
/// pair, `\u001b`, `\u0000`, `\u202e`, `\"`, `\\`) decode to the characters they
/// stand for: the JSON outputs carry exactly those characters, the text shows none
/// of the dangerous ones, and the literal backslash text stays visible.
#[test]
fn valid_json_escapes_in_the_record_decode_once_and_render_safely() {
    let escaped = r#"e\u0076e\/\ud83d\ude00\u001b[2J\u0000\u202e\"\\u001b"#;
    let decoded = "eve/\u{1F600}\x1b[2J\0\u{202e}\"\\u001b";
    let json = stop_logging()
        .to_string()
        .replace(
            "\"userName\":\"mallory\"",
            &format!("\"userName\":\"{escaped}\""),
        )
        .replace(
            "\"name\":\"management-trail\"",
            &format!("\"name\":\"{escaped}\""),
        );
    assert!(json.contains(escaped), "the escapes are in the record text");
    let found = findings(&json);
    assert_eq!(ids(&found), [IMPORTANT, SUSPENDED]);
    let innocent = findings(&stop_logging().to_string());
    for (h, i) in found.iter().zip(&innocent) {
        let ctx = format!("escapes, {}", h.detection_id);
        check_text(h, i, decoded.chars().count(), &ctx);
        let sns = check_sns(h, i, decoded.chars().count(), &ctx);
        check_json(
            h,
            &sns,
            &["/actor/display", "/evidence/trail"],
            decoded,
            &ctx,
        );
        let text = h.to_text(false);
        assert!(
            text.contains("eve/\u{1F600}?[2J??\"\\u001b"),
            "{ctx}: the decoded value, made safe: {text}"
        );
    }
}

/// A 1 MB caller-controlled value is cut in the SNS JSON exactly as
/// `message::finding_json` documents: a long evidence string keeps its first 4096
/// bytes and the cut mark (`evidence_truncated: true`, all else whole); a long user
/// agent makes it drop the evidence and the user agent; a long top-level value that
/// is neither (user name, source address) leaves only ids and the verdict. `to_json`
/// itself never cuts.
#[test]
fn the_one_megabyte_value_is_cut_as_documented_in_sns_json() {
    let big = huge();
    let cut_4096 = format!("{}{CUT_MARK}", &big[..4096]);
    let minimal_keys = [
        "account_id",
        "detection_id",
        "event_ids",
        "evidence_truncated",
        "finding_id",
        "region",
        "severity",
        "title",
    ];
    for case in attacker_cases() {
        let original = format!("{}{big}", case.prefix);
        for h in findings(&record(&case, &big)) {
            let ctx = format!("{}, {}", case.name, h.detection_id);
            let full: Value = serde_json::from_str(&h.to_json()).unwrap();
            for p in case.carried {
                assert_eq!(full.pointer(p).and_then(Value::as_str), Some(&*original));
            }
            let m = message::build(&h);
            let outer: Value = serde_json::from_str(&m.message).unwrap();
            let inner: Value = serde_json::from_str(outer["default"].as_str().unwrap()).unwrap();
            assert_eq!(inner["evidence_truncated"], true, "{ctx}");
            let top = case.carried[0];
            if top.starts_with("/evidence/") {
                // Stage 1: evidence strings cut to 4096 bytes, everything else whole.
                let mut expected = full.clone();
                for (_, val) in expected["evidence"].as_object_mut().unwrap().iter_mut() {
                    if val.as_str().is_some_and(|s| s.len() > 4096) {
                        *val = Value::from(cut_4096.clone());
                    }
                }
                expected["evidence_truncated"] = Value::Bool(true);
                assert_eq!(inner, expected, "{ctx}");
                assert_eq!(inner.pointer(top).and_then(Value::as_str), Some(&*cut_4096));
            } else if top == "/user_agent" {
                // Stage 2: no evidence, no user agent; the rest whole.
                let mut expected = full.clone();
                expected["evidence"] = json!({});
                expected["user_agent"] = Value::Null;
                expected["evidence_truncated"] = Value::Bool(true);
                assert_eq!(inner, expected, "{ctx}");
            } else {
                // Stage 3: ids and verdict only.
                let mut keys: Vec<&str> = inner
                    .as_object()
                    .unwrap()
                    .keys()
                    .map(String::as_str)
                    .collect();
                keys.sort_unstable();
                assert_eq!(keys, minimal_keys, "{ctx}");
                for k in ["finding_id", "detection_id", "event_ids", "account_id"] {
                    assert_eq!(inner[k], full[k], "{ctx}: {k}");
                }
            }
        }
    }
}

/// The SNS message stays under 256 KiB when JSON escaping inflates it: a trail
/// name of 23,000 `\"` pairs is 46 KB of finding JSON (under the 48 KiB budget of
/// one copy), but every `\` and `"` is escaped again when the five JSON copies are
/// put into the per-protocol JSON object.
#[test]

fn escape_heavy_values_keep_the_sns_message_under_256_kib() {
    let case = &attacker_cases()[3];
    assert_eq!(case.name, "StopLogging trail name");
    let value = "\\\"".repeat(11_500);
    for h in findings(&record(case, &value)) {
        assert!(h.to_json().len() <= MAX_FINDING_JSON_BYTES);
        let m = message::build(&h);
        assert!(
            m.message.len() < SNS_MAX_BYTES,
            "{}: SNS message of {} bytes",
            h.detection_id,
            m.message.len()
        );
    }
}

/// A 1 MB account id or Region (fields CloudTrail writes, so only a forged or
/// corrupted record has one) still gives an SNS message under 256 KiB.
#[test]

fn huge_account_or_region_keeps_the_sns_message_under_256_kib() {
    for case in aws_set_cases().iter().take(2) {
        for h in findings(&record(case, &huge())) {
            let m = message::build(&h);
            assert!(
                m.message.len() < SNS_MAX_BYTES,
                "{}, {}: SNS message of {} bytes",
                case.name,
                h.detection_id,
                m.message.len()
            );
        }
    }
}

/// Every Unicode Bidi_Control character (ALM U+061C, LRM, RLM, LRE..RLO, LRI..PDI)
/// is kept out of the text, e-mail and subject: none can reorder what is shown.
#[test]

fn every_bidi_control_is_removed_from_text() {
    let bidi: Vec<char> = "\u{061C}\u{200E}\u{200F}\u{202A}\u{202B}\u{202C}\u{202D}\u{202E}\u{2066}\u{2067}\u{2068}\u{2069}"
        .chars()
        .collect();
    let case = &attacker_cases()[0];
    for c in bidi {
        let value = format!("eve{c}exe.gnp");
        let found = findings(&record(case, &value));
        let innocent = findings(&record(case, "innocent"));
        for (h, i) in found.iter().zip(&innocent) {
            let ctx = format!("U+{:04X}, {}", c as u32, h.detection_id);
            check_text(h, i, value.chars().count(), &ctx);
            check_sns(h, i, value.chars().count(), &ctx);
        }
    }
}

/// Invisible format characters (soft hyphen, Mongolian vowel separator, the
/// deprecated U+206A..U+206F, and the tag characters U+E0001/U+E0020..U+E007F that
/// can spell hidden text) are kept out of the text and e-mail, as
/// `sanitize::one_line` promises for "format" characters.
#[test]

fn invisible_format_characters_are_removed_from_text() {
    // "eve" followed by the tag-character spelling of "root" (invisible).
    let tags: String = "root"
        .chars()
        .map(|c| char::from_u32(0xE0000 + c as u32).unwrap())
        .collect();
    let values = [
        format!("eve\u{E0001}{tags}\u{E007F}"),
        "ad\u{00AD}min".to_owned(),
        "ad\u{180E}min".to_owned(),
        "ad\u{206A}\u{206B}\u{206C}\u{206D}\u{206E}\u{206F}min".to_owned(),
    ];
    let case = &attacker_cases()[0];
    for value in values {
        let found = findings(&record(case, &value));
        let innocent = findings(&record(case, "innocent"));
        for (h, i) in found.iter().zip(&innocent) {
            let ctx = format!("{value:?}, {}", h.detection_id);
            check_text(h, i, value.chars().count(), &ctx);
            check_sns(h, i, value.chars().count(), &ctx);
        }
    }
}

// ---------------------------------------------------------------------------
// The CLI.

fn tmp_dir() -> PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("trailwatch-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn tmp(name: &str, bytes: &[u8]) -> PathBuf {
    let p = tmp_dir().join(name);
    std::fs::write(&p, bytes).expect("write temp file");
    p
}

fn replay(args: &[&str], paths: &[&Path]) -> Output {
    Command::new(BIN)
        .arg("replay")
        .args(args)
        .args(paths)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("trailwatch runs")
}

/// Every hostile record of the tests above (each with its own eventID), one per line.
fn hostile_jsonl() -> (String, Vec<(String, Case, String)>) {
    let mut lines = String::new();
    let mut index = Vec::new();
    let cases = attacker_cases().into_iter().chain(aws_set_cases());
    for (n, case) in cases.enumerate() {
        let attacker = n < attacker_cases().len();
        for (k, (_, value)) in hostile_values().into_iter().enumerate() {
            if !attacker && value.len() > 10_000 {
                continue;
            }
            let event_id = format!("hostile-{n}-{k}");
            let mut v = (case.base)();
            set(
                &mut v,
                case.field,
                Value::from(format!("{}{value}", case.prefix)),
            );
            set(&mut v, "/eventID", Value::from(event_id.clone()));
            lines.push_str(&v.to_string());
            lines.push('\n');
            index.push((event_id, case.clone(), value));
        }
    }
    (lines, index)
}

/// `trailwatch replay` on a file of hostile records: in text mode stdout holds no
/// ESC, CR, bidi, zero-width or other forbidden character, every non-indented line
/// is a genuine finding header (one per finding), every line is length-capped; in
/// jsonl mode every stdout line is one JSON object equal to the engine's own
/// finding, carrying the exact original hostile value; the same findings both ways.
#[test]
fn replay_output_of_hostile_records_is_safe_text_and_exact_jsonl() {
    let (lines, index) = hostile_jsonl();
    let file = tmp("hostile.jsonl", lines.as_bytes());

    let jsonl = replay(&["--format", "jsonl"], &[&file]);
    let err = String::from_utf8_lossy(&jsonl.stderr);
    assert_eq!(jsonl.status.code(), Some(0), "{}", snip(&err));
    assert!(err.contains(" 0 rejected"), "{}", snip(&err));
    let stdout = String::from_utf8(jsonl.stdout).expect("UTF-8 stdout");
    let mut seen = 0;
    let mut total = 0;
    for line in stdout.lines() {
        total += 1;
        let v: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("stdout line is not one JSON object ({e}): {}", snip(line)));
        assert!(v.is_object());
        let event_id = v["event_ids"][0].as_str().expect("an event id");
        let (_, case, value) = index
            .iter()
            .find(|(id, _, _)| id == event_id)
            .unwrap_or_else(|| panic!("unknown event id {event_id}"));
        let original = format!("{}{value}", case.prefix);
        // Detections added since a case was written may fire on it too (their text
        // is checked below with every other line); the carried values and the
        // equality with the engine's own finding are checked on the detections the
        // case is about.
        let about = case
            .fires
            .iter()
            .any(|id| v["detection_id"].as_str() == Some(*id));
        for p in case.carried.iter().filter(|_| about) {
            assert_eq!(
                v.pointer(p).and_then(Value::as_str),
                Some(&*original),
                "{} {event_id}: {p}",
                case.name
            );
        }
        if !about {
            // Another detection: windowed and first-seen ones see the whole file
            // (many records of one caller), so no one-record finding to compare.
            continue;
        }
        // Exactly the engine's finding for the same record.
        let mut rec = (case.base)();
        set(&mut rec, case.field, Value::from(original.clone()));
        set(&mut rec, "/eventID", Value::from(event_id));
        let engine_json: Vec<Value> = findings(&rec.to_string())
            .iter()
            .map(|f| serde_json::from_str(&f.to_json()).unwrap())
            .collect();
        assert!(
            engine_json.contains(&v),
            "{} {event_id}: CLI finding differs from the engine's",
            case.name
        );
        seen += 1;
    }
    let expected: usize = index.iter().map(|(_, c, _)| c.fires.len()).sum();
    assert_eq!(seen, expected, "one JSON line per finding");

    let text = replay(&["--format", "text"], &[&file]);
    assert_eq!(text.status.code(), Some(0));
    let stdout = String::from_utf8(text.stdout).expect("UTF-8 stdout");
    assert_clean(&stdout, false, "replay --format text");
    assert!(!stdout.contains('\x1b') && !stdout.contains('\r'));
    let headers: Vec<String> = trailwatch::catalog::ALL
        .iter()
        .map(|d| {
            let m = d.meta();
            format!("[{}] {} ({})", m.severity.upper(), m.title, m.id)
        })
        .collect();
    let mut blocks = 0;
    for line in stdout.lines() {
        if line.is_empty() {
            continue;
        }
        if !line.starts_with("  ") {
            assert!(
                headers.iter().any(|h| h == line),
                "a non-indented line that is no finding header: {}",
                snip(line)
            );
            blocks += 1;
        }
        assert!(
            line.chars().count() <= text_line_max(),
            "line of {} chars",
            line.chars().count()
        );
    }
    assert_eq!(blocks, total, "one header per finding");
    let _ = std::fs::remove_file(&file);
}

/// Input errors on stderr cannot be forged either: a file whose name holds a
/// newline, a forged header, ESC and a bidi override, and bad lines that carry
/// escapes, CR and bidi characters (a record whose `eventName` is an object of
/// hostile strings, a raw ESC inside a string, a CR and U+202E outside any string),
/// are reported on one located line each with no forbidden character, and the good
/// record before them still fires.
#[test]
fn replay_errors_about_hostile_input_are_safe_on_stderr() {
    let good = stop_logging().to_string();
    let bad_name = json!({
        "eventSource": "cloudtrail.amazonaws.com",
        "eventName": {"\x1b]0;pwned\x07": "\n[CRITICAL] forged\u{202e}\r\n"}
    });
    let input = format!(
        "{good}\n{bad_name}\n{{\"x\":\"\x1b[31m\"}}\nx\r[CRITICAL] forged\u{202e}\x1b[2J\n"
    );
    let name = "evil\x1b[31m\n[CRITICAL] forged\u{202e}.jsonl";
    let file = tmp(name, input.as_bytes());
    let out = replay(&["--format", "jsonl"], &[&file]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 2, "the good record fires twice");
    let err = String::from_utf8(out.stderr).expect("UTF-8 stderr");
    assert_clean(&err, false, "stderr");
    assert!(
        err.lines()
            .all(|l| l.starts_with("trailwatch: ") || l.starts_with("  ")),
        "every stderr line is ours: {err}"
    );
    let located = "evil?[31m?[CRITICAL] forged?.jsonl";
    for report in [
        format!("{located}:2: invalid record"),
        format!("{located}:3: malformed JSON"),
        format!("{located}:4: malformed JSON"),
    ] {
        assert!(err.contains(&report), "stderr lacks {report:?}: {err}");
    }
    assert!(err.contains("1 records read, 3 rejected"), "{err}");
}

/// Values aimed at chat clients: mentions, links, hidden link targets, markdown.
fn chat_hostile_values() -> Vec<(&'static str, String)> {
    vec![
        (
            "slack broadcast",
            "<!channel> <!here> @here @channel".into(),
        ),
        ("slack user mention", "<@U012AB3CD> ping".into()),
        (
            "hidden link",
            "<https://evil.example/login|Open the AWS console>".into(),
        ),
        (
            "bare url and domain",
            "see https://evil.example/x or evil.example".into(),
        ),
        (
            "markdown link",
            "[AWS console](https://evil.example)".into(),
        ),
        (
            "markdown",
            "*bold* _italic_ ~strike~ `code` ```block``` > quote # head".into(),
        ),
        ("html entities", "&lt;!channel&gt; &amp;".into()),
    ]
}

/// The chat notification, OCSF and ASFF of every finding of every attacker case,
/// for every hostile value and the chat-specific ones: in chat, record values add
/// no line, mention, link or markup (every one sits in a code span without `@ < >`
/// or `://`), and the title is the innocent one; in ASFF the text fields are free
/// of unsafe characters; OCSF carries the original value in `unmapped`.
#[test]
fn hostile_caller_fields_are_inert_in_chat_and_asff() {
    use trailwatch::render::{asff, chat, ocsf};
    let mut values = hostile_values();
    values.retain(|(_, v)| v.len() < 10_000);
    values.extend(chat_hostile_values());
    for case in attacker_cases() {
        let innocent = findings(&record(&case, "innocent"));
        for (label, value) in &values {
            let hostile = findings(&record(&case, value));
            assert_eq!(ids(&hostile), case.fires, "{} = {label}", case.name);
            for (h, i) in hostile.iter().zip(&innocent) {
                let ctx = format!("{} = {label}, {}", case.name, h.detection_id);
                let (hc, ic) = (chat::render(h), chat::render(i));
                let d = hc["content"]["description"].as_str().unwrap();
                let innocent_lines = ic["content"]["description"]
                    .as_str()
                    .unwrap()
                    .lines()
                    .count();
                assert_eq!(d.lines().count(), innocent_lines, "{ctx}: {d}");
                assert_eq!(hc["content"]["title"], ic["content"]["title"], "{ctx}");
                assert_eq!(
                    hc["content"]["keywords"], ic["content"]["keywords"],
                    "{ctx}"
                );
                for line in d.lines() {
                    assert!(!line.chars().any(forbidden), "{ctx}: {line:?}");
                    for bad in ["<", ">", "@", "://", "&lt;"] {
                        assert!(!line.contains(bad), "{ctx}: {bad:?} in {line:?}");
                    }
                    assert_eq!(line.matches('`').count() % 2, 0, "{ctx}: {line}");
                }
                let product = asff::Product::of_finding(h).expect("account and region");
                let a = asff::render(h, &product, 0);
                for text in [&a.title, &a.description]
                    .into_iter()
                    .chain(a.product_fields.values())
                {
                    assert!(!text.chars().any(forbidden), "{ctx}: {text:?}");
                }
                assert!(
                    a.description.chars().count() <= asff::MAX_DESCRIPTION,
                    "{ctx}"
                );
                let o = ocsf::render(h, 0);
                let original = format!("{}{value}", case.prefix);
                for pointer in case.carried {
                    assert_eq!(
                        o["unmapped"]["trailwatch"].pointer(pointer),
                        Some(&json!(original)),
                        "{ctx}: {pointer} kept as data"
                    );
                }
            }
        }
    }
}

/// From a review: a value padded with blank characters to the width of a
/// terminal would wrap into a line of its own that reads as one of ours
/// (`  disposition  suppressed`). Text output, the e-mail and the chat post
/// write any run of blanks as one space.
#[test]
fn padding_cannot_wrap_into_a_line_of_ours() {
    let forged = format!(
        "trail{}  disposition  suppressed{}x",
        " ".repeat(60),
        "\u{2800}".repeat(70)
    );
    let mut rec = stop_logging();
    rec["requestParameters"]["name"] = json!(forged);
    let found = findings(&rec.to_string());
    assert!(!found.is_empty());
    for f in &found {
        let chat = trailwatch::render::chat::render(f).to_string();
        for (what, text) in [
            ("text", f.to_text(false)),
            ("e-mail", trailwatch::notify::message::email_text(f)),
            ("chat", chat),
        ] {
            assert!(
                text.contains("trail disposition suppressed x"),
                "{what}: {text}"
            );
            assert!(!text.contains("  disposition"), "{what}: {text}");
        }
        // Our own two-space separator stays: the account's values are
        // compacted one by one.
        let text = f.to_text(false);
        assert!(text.contains("111122223333  region us-east-1"), "{text}");
    }
}
