//! The pipeline both fuzz targets drive, and the invariants they check.
//!
//! Bytes go through the replay reader (`reader::read_stream`, gzip detection,
//! limits); every record it yields is parsed with `Record::from_json`, run through
//! the engine over the whole catalogue with an in-memory store, and every finding is
//! rendered as terminal text, as JSON and as an SNS message. A panic anywhere, or a
//! broken invariant below, is a crash for libFuzzer.
//!
//! Invariants:
//! - the reader never hands over a record larger than `max_record_bytes`, and every
//!   rejection has a reason;
//! - `Record::from_json` (its plain-record reader included) parses every record as
//!   serde_json alone does, errors included;
//! - the engine never fails with the memory store (a store error would stop a
//!   replay), and its futures never pend (no runtime is needed);
//! - the byte prefilter never skips a record that any detection acts on;
//! - `Finding::to_text(false)` has no control, format or bidi character but `\n`,
//!   one header line (the first), every other line indented, each line capped;
//! - `Finding::to_json` is valid JSON equal to the finding's own JSON value;
//! - the SNS subject is printable ASCII of at most 99 characters starting with the
//!   severity; the message is JSON whose per-protocol variants are valid (JSON
//!   variants parse, text variants carry no control character but `\n` and no forged
//!   header line); attribute values are non-empty and free of control characters.

pub mod mutate;

use std::future::Future;
use std::sync::OnceLock;
use std::task::{Context, Poll, Waker};

use serde_json::Value;
use trailwatch::engine::{Engine, Settings};
use trailwatch::event::Record;
use trailwatch::event::reader::{self, Limits, Location, Sink};
use trailwatch::finding::Finding;
use trailwatch::notify::Collect;
use trailwatch::notify::message;
use trailwatch::sanitize::is_unsafe;
use trailwatch::state::MemoryStore;

/// Small limits, so that inputs over them (and gzip that inflates past them) are
/// reached by short fuzz inputs.
pub const SMALL_LIMITS: Limits = Limits {
    max_record_bytes: 64 << 10,
    max_document_bytes: 256 << 10,
    max_file_bytes: 1 << 20,
};

/// Room for records carrying megabyte strings (structured mutations).
pub const LARGE_LIMITS: Limits = Limits {
    max_record_bytes: 2 << 20,
    max_document_bytes: 8 << 20,
    max_file_bytes: 16 << 20,
};

/// The wall clock the engine sees (2026-03-15), fixed so runs are reproducible.
pub const NOW: i64 = 1_773_532_800;

/// One engine for every input: it is immutable once built.
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::new(Settings::default()))
}

/// One engine per detection, to ask which detections a record is routed to.
fn solo_engines() -> &'static [Engine] {
    static ENGINES: OnceLock<Vec<Engine>> = OnceLock::new();
    ENGINES.get_or_init(|| {
        trailwatch::catalog::ALL
            .iter()
            .map(|d| Engine::with_detections([*d], Settings::default()))
            .collect()
    })
}

/// Polls a future once: the memory store and `Collect` never wait, so it must be
/// ready at once.
pub fn poll_once<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("a memory-store future was pending"),
    }
}

/// What one run saw (for the harness's own tests).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Seen {
    pub records: usize,
    pub parsed: usize,
    pub rejected: usize,
    pub not_cloudtrail: usize,
    pub findings: usize,
}

struct Check {
    limits: Limits,
    store: MemoryStore,
    out: Collect,
    seen: Seen,
}

impl Sink for Check {
    fn record(&mut self, loc: &Location, json: &str) {
        self.seen.records += 1;
        assert!(
            json.len() <= self.limits.max_record_bytes,
            "{loc}: a record of {} bytes passed the limit",
            json.len()
        );
        let engine = engine();
        let wanted = engine.wants_json(json.as_bytes());
        let parsed = Record::from_json(json);
        same_as_serde(json, &parsed);
        let Ok(rec) = parsed else {
            return;
        };
        self.seen.parsed += 1;
        // Sound prefilter: a record it would skip gives no detection it is routed
        // to a signal.
        if !wanted {
            let acting = solo_engines()
                .iter()
                .find(|e| e.wants(&rec) && e.detections()[0].evaluate(&rec).is_some());
            if let Some(e) = acting {
                let d = e.detections()[0];
                panic!(
                    "{loc}: the prefilter would skip a record {} acts on: {}",
                    d.meta().id,
                    preview(json)
                );
            }
        }
        let found = poll_once(engine.handle(&rec, &self.store, &self.out, NOW))
            .unwrap_or_else(|e| panic!("{loc}: the engine failed on the memory store: {e}"));
        assert_eq!(found.len(), self.out.take().len());
        for f in &found {
            check_finding(f);
        }
        self.seen.findings += found.len();
    }

    fn rejected(&mut self, loc: &Location, reason: &str) {
        assert!(!reason.is_empty(), "{loc}: rejected without a reason");
        assert!(!loc.source.is_empty());
        self.seen.rejected += 1;
    }

    fn not_cloudtrail(&mut self, _loc: &Location) {
        self.seen.not_cloudtrail += 1;
    }

    fn wanted(&mut self, json: &[u8]) -> bool {
        // Exercise the prefilter on whole lines too, but keep everything: the
        // soundness check is made per record in `record`.
        let _ = engine().wants_json(json);
        true
    }
}

/// Reads `bytes` as one replay input and checks every record and finding.
pub fn check_stream(bytes: &[u8], limits: Limits) -> Seen {
    let mut sink = Check {
        limits,
        store: MemoryStore::default(),
        out: Collect::default(),
        seen: Seen::default(),
    };
    reader::read_stream(bytes, "fuzz", &limits, &mut sink);
    sink.seen
}

/// Arbitrary text as the event pattern of a rule someone puts: read by
/// `rules::matcher` against a few events (identity calls, an empty event, an
/// event of arrays), then put in an EventBridge `PutRule` record that goes through
/// the whole pipeline (`eventbridge-rule-on-identity-creation` judges it). The
/// pattern is attacker-written text: the matcher may refuse it, never panic.
pub fn check_rule_pattern(bytes: &[u8]) -> Seen {
    let text = String::from_utf8_lossy(bytes);
    if let Ok(pattern) = serde_json::from_str::<Value>(&text) {
        let events = [
            serde_json::json!({"source": "aws.iam", "detail-type": "AWS API Call via CloudTrail",
                "detail": {"eventSource": "iam.amazonaws.com", "eventName": "CreateUser"}}),
            serde_json::json!({}),
            serde_json::json!({"source": ["aws.iam", 7, null], "detail": [{"eventName": ["CreateRole", true]}, 1.5]}),
        ];
        for event in &events {
            let _ = trailwatch::rules::matcher::matches(&pattern, event);
        }
    }
    let record = serde_json::json!({
        "eventVersion": "1.10",
        "eventTime": "2026-03-15T00:00:00Z",
        "eventSource": "events.amazonaws.com",
        "eventName": "PutRule",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.9",
        "userAgent": "aws-cli/2.17.0",
        "recipientAccountId": "111122223333",
        "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLE", "accountId": "111122223333",
            "arn": "arn:aws:iam::111122223333:user/x", "userName": "x"},
        "requestParameters": {"name": "fuzzed", "eventPattern": text, "state": "ENABLED"},
        "responseElements": {"ruleArn": "arn:aws:events:us-east-1:111122223333:rule/fuzzed"},
    });
    check_stream(record.to_string().as_bytes(), LARGE_LIMITS)
}

fn preview(s: &str) -> String {
    s.chars().take(300).collect()
}

/// Longest line `to_text` may write: indent, label, space, 300 characters and the
/// cut mark.
const MAX_TEXT_LINE_CHARS: usize = 2 + 40 + 1 + 300 + 20;

/// Checks the renderings of one finding.
pub fn check_finding(f: &Finding) {
    // Terminal text.
    let text = f.to_text(false);
    let header = format!("[{}] {} ({})", f.severity.upper(), f.title, f.detection_id);
    // The column values start at: that of the first field (`actor`). A line
    // indented to it continues the value above (a hanging indent).
    let value_column = text
        .lines()
        .nth(1)
        .and_then(|l| l.strip_prefix("  actor"))
        .map(|rest| 2 + "actor".len() + (rest.len() - rest.trim_start().len()));
    for (i, line) in text.split_terminator('\n').enumerate() {
        if let Some(c) = line.chars().find(|&c| c.is_control() || is_unsafe(c)) {
            panic!("to_text line {i} holds {c:?}: {}", preview(line));
        }
        if i == 0 {
            assert_eq!(line, header, "to_text header");
        } else {
            let field = line.starts_with("  ") && !line[2..].starts_with(' ');
            let continued = i > 1
                && value_column.is_some_and(|col| {
                    line.len() > col
                        && line.as_bytes()[..col].iter().all(|&b| b == b' ')
                        && line.as_bytes()[col] != b' '
                });
            assert!(
                field || continued,
                "to_text line {i} is neither an indented field nor a value continued under its column: {}",
                preview(line)
            );
        }
        assert!(
            line.chars().count() <= MAX_TEXT_LINE_CHARS,
            "to_text line {i} has {} characters",
            line.chars().count()
        );
    }
    assert!(text.ends_with('\n'));

    // JSON: valid, and exactly the finding's values.
    let json = f.to_json();
    let parsed: Value = serde_json::from_str(&json)
        .unwrap_or_else(|e| panic!("to_json is not JSON ({e}): {}", preview(&json)));
    let expected = serde_json::to_value(f).expect("a finding serialises");
    assert!(parsed == expected, "to_json does not preserve the finding");

    // SNS.
    let m = message::build(f);
    let subject = &m.subject;
    assert!(
        subject.chars().count() <= message::MAX_SUBJECT_CHARS,
        "subject too long: {subject}"
    );
    assert!(
        subject.bytes().all(|b| (0x20..0x7f).contains(&b)),
        "subject not printable ASCII: {subject:?}"
    );
    assert!(
        subject.starts_with(&format!("[{}] ", f.severity.upper())),
        "subject: {subject}"
    );
    let per_protocol: Value = serde_json::from_str(&m.message).expect("SNS message is JSON");
    let per_protocol = per_protocol.as_object().expect("SNS message is an object");
    for p in message::JSON_PROTOCOLS {
        let inner = per_protocol[*p].as_str().expect("JSON variant is a string");
        let v: Value = serde_json::from_str(inner).expect("JSON variant parses");
        assert_eq!(v["detection_id"], f.detection_id);
        assert_eq!(v["finding_id"], f.finding_id.as_str());
    }
    for p in message::TEXT_PROTOCOLS {
        let body = per_protocol[*p].as_str().expect("text variant is a string");
        for (i, line) in body.split_terminator('\n').enumerate() {
            if let Some(c) = line.chars().find(|&c| c.is_control() || is_unsafe(c)) {
                panic!("e-mail line {i} holds {c:?}: {}", preview(line));
            }
            if i == 0 {
                assert_eq!(line, header, "e-mail header");
            } else {
                assert!(!line.starts_with('['), "forged e-mail header: {line}");
            }
        }
    }
    assert!(m.message.len() < 256 * 1024, "SNS message over 256 KiB");
    for (name, attr) in &m.attributes {
        let v = attr.value();
        assert!(
            !v.is_empty() && !v.chars().any(|c| c.is_control() || is_unsafe(c)),
            "attribute {name}: {v:?}"
        );
    }
}

/// `Record::from_json` (the command line's plain-record reader first, with
/// feature `cli-plain-records`) gives what serde_json alone gives: the same record,
/// or an error with the same text.
fn same_as_serde(json: &str, parsed: &Result<Record<'_>, serde_json::Error>) {
    let by_serde = serde_json::from_str::<Record<'_>>(json).map(|mut r| {
        r.raw = Some(json);
        r
    });
    match (parsed, &by_serde) {
        (Ok(a), Ok(b)) => assert_eq!(format!("{a:?}"), format!("{b:?}"), "{json}"),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{json}"),
        _ => panic!(
            "Record::from_json and serde_json disagree on {json}: {parsed:?} against {by_serde:?}"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_samples_go_through_and_fire() {
        let mut total = Seen::default();
        for s in mutate::samples() {
            let mut lines = Vec::new();
            for r in &s.records {
                lines.extend_from_slice(r.to_string().as_bytes());
                lines.push(b'\n');
            }
            let seen = check_stream(&lines, LARGE_LIMITS);
            total.records += seen.records;
            total.findings += seen.findings;
        }
        assert!(total.records > 100, "{total:?}");
        assert!(total.findings > 20, "{total:?}");
    }

    #[test]
    fn a_rule_pattern_goes_through_the_matcher_and_the_pipeline() {
        let backdoor = br#"{"source":["aws.iam"],"detail":{"eventSource":["iam.amazonaws.com"],"eventName":["CreateUser"]}}"#;
        assert_eq!(
            check_rule_pattern(backdoor).findings,
            1,
            "the backdoor trigger is a finding"
        );
        for odd in [
            &b"{"[..],
            b"[]",
            b"{\"detail\":{\"eventName\":[{\"wildcard\":\"*a*a*a*a*a*a*a*b\"}]}}",
            b"\xff\xfe",
        ] {
            let seen = check_rule_pattern(odd);
            assert_eq!(
                (seen.parsed, seen.findings),
                (1, 0),
                "{}",
                String::from_utf8_lossy(odd)
            );
        }
    }
}
