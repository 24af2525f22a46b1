//! What one JSON document holds: classified in the one parse that checks it,
//! then unwrapped (arrays, `Records`, envelopes, AWS CLI exports) into records.

use std::fmt;
use std::io;

use serde::{Deserialize, de};
use serde_json::value::RawValue;

use super::{Limits, Location, Sink};

/// serde_json's message without its own "at line X column Y" (we say where).
pub(super) fn json_error(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        // Cut off: where the text ends says more than a column past it.
        Some(i) if e.is_eof() => {
            format!("{}: the text ends before the document is closed", &s[..i])
        }
        Some(i) => format!("{} (column {})", &s[..i], e.column()),
        None => s,
    }
}

/// What a document refused by serde_json is rejected with.
pub(super) fn malformed(e: &serde_json::Error) -> String {
    format!("malformed JSON: {}", json_error(e))
}

/// [`malformed`] for a document rejected at its first line (`(record n)`)
/// whose text was parsed from line `parse_start` (the document's own first
/// line, `doc_start`, or an earlier document's): past the document's first
/// line the error names its line within the document, since a column alone
/// would point into another one (from a review: a pretty-printed file broken
/// at line 75 was reported at line 1, "column 19"). Counted from the
/// document, not the file: a large file read in parts on several threads
/// knows the file's line of a place, not of a text (from a second review).
pub(super) fn malformed_from(
    e: &serde_json::Error,
    parse_start: Option<u64>,
    doc_start: Option<u64>,
) -> String {
    let line_in_document = match (parse_start, doc_start) {
        (Some(parsed), Some(doc)) => (parsed + e.line() as u64).checked_sub(doc),
        _ => None,
    };
    match line_in_document {
        Some(line) if line > 1 && !e.is_eof() => {
            let s = e.to_string();
            let head = s.rfind(" at line ").map_or(s.as_str(), |i| &s[..i]);
            format!(
                "malformed JSON: {head} (line {line} of the document, column {})",
                e.column()
            )
        }
        _ => malformed(e),
    }
}

/// A JSON document, classified in the one pass that checks it: an array (its items
/// still raw), an object (the keys that tell what it is), or anything else.
pub(super) enum Node<'a> {
    Array(Vec<&'a RawValue>),
    Object(Probe<'a>),
    Other,
}

/// The keys of a JSON object that tell what it is.
#[derive(Default)]
pub(super) struct Probe<'a> {
    /// `Records`: its items if it is an array.
    records: Option<Option<Vec<&'a RawValue>>>,
    /// `Events` (`aws cloudtrail lookup-events`, newest first): its items if it
    /// is an array.
    lookup_events: Option<Option<Vec<&'a RawValue>>>,
    /// `events` (`aws logs filter-log-events`, `get-log-events`, oldest first), or
    /// `logEvents` (a subscription's payload, as Firehose writes it to S3).
    log_events: Option<Option<Vec<&'a RawValue>>>,
    detail: Option<&'a RawValue>,
    detail_type: bool,
    /// `CloudTrailEvent`: an item of a lookup-events export on its own
    /// (`jq -c '.Events[]'`).
    cloudtrail_event: bool,
    event_name: bool,
    event_source: bool,
}

impl Probe<'_> {
    fn is_record(&self) -> bool {
        self.event_name || self.event_source
    }
}

/// Why a document could not be read, as the reason a sink is given.
pub(super) enum Unparsed {
    NotUtf8(std::str::Utf8Error),
    Json(serde_json::Error),
}

impl fmt::Display for Unparsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unparsed::NotUtf8(e) => write!(f, "not UTF-8 text ({e})"),
            Unparsed::Json(e) => f.write_str(&malformed(e)),
        }
    }
}

/// A document that is not UTF-8 (a damaged file) and holds several records (a
/// `Records` file, an array, an export): read with each byte that is not UTF-8
/// replaced (U+FFFD), and each record that then holds a replacement rejected on
/// its own, at its place (from a review: one bad byte lost every record of the
/// file). `false` (nothing reported) when it is not such a document: the caller
/// rejects it whole, as before. A record that held U+FFFD itself is rejected
/// with the damaged ones: CloudTrail writes UTF-8, so such a file is damaged or
/// made by hand anyway.
pub(super) fn read_damaged(
    bytes: &[u8],
    loc: &Location,
    limits: &Limits,
    sink: &mut impl Sink,
) -> bool {
    let text = String::from_utf8_lossy(bytes);
    match serde_json::from_str::<Node>(&text) {
        Ok(Node::Object(p)) if p.is_record() => false,
        Ok(Node::Other) | Err(_) => false,
        Ok(node) => {
            handle(node, &text, loc, 0, limits, &mut Damaged(sink));
            true
        }
    }
}

/// A sink that rejects the records of a damaged document that hold a
/// replaced byte, and passes the rest on.
struct Damaged<'s, S: Sink>(&'s mut S);

const DAMAGED: &str = "not UTF-8 text: a byte of this record is not UTF-8 (the file is damaged)";

impl<S: Sink> Sink for Damaged<'_, S> {
    fn record(&mut self, loc: &Location, json: &str) {
        if json.contains('\u{FFFD}') {
            self.0.rejected(loc, DAMAGED);
        } else {
            self.0.record(loc, json);
        }
    }
    fn rejected(&mut self, loc: &Location, reason: &str) {
        self.0.rejected(loc, reason);
    }
    fn not_cloudtrail(&mut self, loc: &Location) {
        self.0.not_cloudtrail(loc);
    }
    fn wanted(&mut self, json: &[u8]) -> bool {
        // A damaged record is looked at, to be reported.
        self.0.wanted(json) || json.windows(3).any(|w| w == "\u{FFFD}".as_bytes())
    }
    fn try_record(&mut self, loc: &Location, json: &str) -> bool {
        if json.contains('\u{FFFD}') {
            self.0.rejected(loc, DAMAGED);
            return true;
        }
        self.0.try_record(loc, json)
    }
    fn skipped(&mut self, n: u64) {
        self.0.skipped(n);
    }
    fn unreadable(&mut self, err: &io::Error) {
        self.0.unreadable(err);
    }
    fn file_done(&mut self, source: &str) {
        self.0.file_done(source);
    }
    fn stopped(&self) -> bool {
        self.0.stopped()
    }
}

/// Checks and classifies one JSON document in a single pass.
pub(super) fn parse(bytes: &[u8]) -> Result<(&str, Node<'_>), Unparsed> {
    let text = crate::event::utf8::text(bytes).map_err(Unparsed::NotUtf8)?;
    let node = serde_json::from_str::<Node>(text).map_err(Unparsed::Json)?;
    Ok((text, node))
}

impl<'de> Deserialize<'de> for Node<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

/// The answer of a visitor to scalars: they are not arrays or objects.
macro_rules! scalars_are {
    ($value:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
}

impl<'de> de::Visitor<'de> for NodeVisitor {
    type Value = Node<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    scalars_are!(Node::Other);

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<&RawValue>()? {
            if items.len() >= MAX_ITEMS {
                return Err(de::Error::custom(format_args!(
                    "more than {MAX_ITEMS} items in one array: not CloudTrail records"
                )));
            }
            items.push(item);
        }
        Ok(Node::Array(items))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut p = Probe::default();
        while let Some(key) = map.next_key::<Key>()? {
            let seen = match key {
                Key::Records => p.records.replace(map.next_value::<Items>()?.0).is_some(),
                Key::LookupEvents => p
                    .lookup_events
                    .replace(map.next_value::<Items>()?.0)
                    .is_some(),
                Key::LogEvents => p.log_events.replace(map.next_value::<Items>()?.0).is_some(),
                Key::Detail => p.detail.replace(map.next_value()?).is_some(),
                Key::DetailType => flag(&mut p.detail_type, &mut map)?,
                Key::EventName => flag(&mut p.event_name, &mut map)?,
                Key::EventSource => flag(&mut p.event_source, &mut map)?,
                Key::CloudTrailEvent => flag(&mut p.cloudtrail_event, &mut map)?,
                Key::Other => {
                    map.next_value::<de::IgnoredAny>()?;
                    false
                }
            };
            if seen {
                return Err(de::Error::custom(format_args!(
                    "duplicate key \"{}\"",
                    key.name()
                )));
            }
        }
        Ok(Node::Object(p))
    }
}

/// Marks a key as present; `true` if it already was.
fn flag<'de, A: de::MapAccess<'de>>(present: &mut bool, map: &mut A) -> Result<bool, A::Error> {
    map.next_value::<de::IgnoredAny>()?;
    Ok(std::mem::replace(present, true))
}

/// The keys `Probe` looks at, read without allocating.
#[derive(Debug, Clone, Copy)]
enum Key {
    Records,
    LookupEvents,
    LogEvents,
    Detail,
    DetailType,
    EventName,
    EventSource,
    CloudTrailEvent,
    Other,
}

impl Key {
    /// The key as a document writes it (from a new user's review: the
    /// duplicate `eventName` was reported as `EventName`).
    fn name(self) -> &'static str {
        match self {
            Key::Records => "Records",
            Key::LookupEvents => "Events",
            Key::LogEvents => "events or logEvents",
            Key::Detail => "detail",
            Key::DetailType => "detail-type",
            Key::EventName => "eventName",
            Key::EventSource => "eventSource",
            Key::CloudTrailEvent => "CloudTrailEvent",
            Key::Other => "(another key)",
        }
    }
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_str<E: de::Error>(self, k: &str) -> Result<Key, E> {
                Ok(match k {
                    "Records" => Key::Records,
                    "Events" => Key::LookupEvents,
                    // CloudWatch Logs' subscription payload (a trail's log group
                    // sent on through Firehose to S3) names them `logEvents`.
                    "events" | "logEvents" => Key::LogEvents,
                    "detail" => Key::Detail,
                    "detail-type" => Key::DetailType,
                    "eventName" => Key::EventName,
                    "eventSource" => Key::EventSource,
                    "CloudTrailEvent" => Key::CloudTrailEvent,
                    _ => Key::Other,
                })
            }
        }
        d.deserialize_identifier(V)
    }
}

/// The items of an array, or `None` for any other value.
struct Items<'a>(Option<Vec<&'a RawValue>>);

/// The most items one array of a document may hold: each costs 16 bytes here
/// whatever its size, so a document of `[0,0,0,...]` within the size limit
/// (a few KiB gzipped) would take eight times that limit (from a review). A
/// CloudTrail record is hundreds of bytes: a 64 MiB document holds well under
/// half a million.
const MAX_ITEMS: usize = 1_000_000;

impl<'de> Deserialize<'de> for Items<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = Items<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }
            scalars_are!(Items(None));
            fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                match NodeVisitor.visit_seq(seq)? {
                    Node::Array(items) => Ok(Items(Some(items))),
                    _ => Ok(Items(None)),
                }
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map
                    .next_entry::<de::IgnoredAny, de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(Items(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// How deep arrays may nest around records (`[[record]]` is accepted, no deeper).
const MAX_WRAPPING: usize = 2;

/// A value inside a document (an array item, a `Records` item).
fn value(raw: &RawValue, loc: &Location, depth: usize, limits: &Limits, sink: &mut impl Sink) {
    let text = raw.get();
    // Most items are records: look at their bytes before parsing them.
    if text.starts_with('{') && (!admit(text, loc, limits, sink) || sink.try_record(loc, text)) {
        return;
    }
    match serde_json::from_str::<Node>(text) {
        Ok(node) => handle(node, text, loc, depth, limits, sink),
        Err(e) => sink.rejected(loc, &format!("unexpected structure: {}", json_error(&e))),
    }
}

/// An item of a `Records` file or an array read on its own (`broken`), as
/// [`each_item`] reads those of a whole one.
pub(super) fn item(raw: &RawValue, loc: &Location, limits: &Limits, sink: &mut impl Sink) {
    value(raw, loc, 1, limits, sink);
}

/// The size limit, then the sink's prefilter: `false` when the item is done with.
fn admit(text: &str, loc: &Location, limits: &Limits, sink: &mut impl Sink) -> bool {
    if text.len() > limits.max_record_bytes {
        sink.rejected(
            loc,
            &format!(
                "record of {} bytes is over the {}-byte limit (--max-record-bytes)",
                text.len(),
                limits.max_record_bytes
            ),
        );
        return false;
    }
    sink.wanted(text.as_bytes())
}

pub(super) fn handle(
    node: Node<'_>,
    text: &str,
    loc: &Location,
    depth: usize,
    limits: &Limits,
    sink: &mut impl Sink,
) {
    match node {
        Node::Array(items) if depth < MAX_WRAPPING => each_item(items, loc, depth, limits, sink),
        Node::Array(_) | Node::Other => sink.not_cloudtrail(loc),
        Node::Object(p) if p.is_record() => {
            // Items were admitted before they were parsed; documents not yet.
            if depth > 0 || admit(text, loc, limits, sink) {
                sink.record(loc, text);
            }
        }
        Node::Object(Probe {
            records: Some(records),
            ..
        }) => match records {
            Some(items) if depth < MAX_WRAPPING => each_item(items, loc, depth, limits, sink),
            Some(_) => sink.rejected(loc, "\"Records\" nested too deeply"),
            None => sink.rejected(loc, "\"Records\" is not an array"),
        },
        Node::Object(Probe {
            detail: Some(detail),
            detail_type: true,
            ..
        }) => envelope(detail, loc, limits, sink),
        // lookup-events lists the newest first: read oldest first, as the
        // windows and first-seen detections expect (each keeps its own place).
        Node::Object(Probe {
            lookup_events: Some(Some(items)),
            ..
        }) => each_exported(items, true, loc, limits, sink),
        Node::Object(Probe {
            log_events: Some(Some(items)),
            ..
        }) => each_exported(items, false, loc, limits, sink),
        Node::Object(Probe {
            cloudtrail_event: true,
            ..
        }) => exported(text, loc, limits, sink),
        Node::Object(_) => sink.not_cloudtrail(loc),
    }
}

/// The items of an AWS CLI export, each at its own place in the list, read
/// last to first when the list is `newest_first`.
fn each_exported(
    items: Vec<&RawValue>,
    newest_first: bool,
    loc: &Location,
    limits: &Limits,
    sink: &mut impl Sink,
) {
    let mut l = loc.clone();
    let mut read = |(i, item): (usize, &RawValue)| {
        l.record = Some(i + 1);
        exported(item.get(), &l, limits, sink);
    };
    if newest_first {
        items.into_iter().enumerate().rev().for_each(&mut read);
    } else {
        items.into_iter().enumerate().for_each(&mut read);
    }
}

/// An item of an AWS CLI export: `lookup-events` gives each record as the JSON
/// text of `CloudTrailEvent` (already an object after `jq '... |= fromjson'`),
/// CloudWatch Logs (a trail, or an EventBridge rule, delivering to a log group)
/// as the text of `message`. Text that is not JSON is rejected, as a malformed
/// line is.
fn exported(item: &str, loc: &Location, limits: &Limits, sink: &mut impl Sink) {
    #[derive(Deserialize)]
    struct Exported<'a> {
        #[serde(rename = "CloudTrailEvent", borrow, default)]
        cloudtrail_event: Option<&'a RawValue>,
        #[serde(borrow, default)]
        message: Option<&'a RawValue>,
    }
    // `CloudTrailEvent` is always a record; a log group's `message` may be any
    // text (an application's log line is not CloudTrail, not malformed input).
    let (raw, always_a_record) = match serde_json::from_str::<Exported>(item) {
        Ok(Exported {
            cloudtrail_event: Some(r),
            ..
        }) => (r, true),
        Ok(Exported {
            message: Some(r), ..
        }) => (r, false),
        _ => return sink.not_cloudtrail(loc),
    };
    let text: std::borrow::Cow<'_, str> = match raw.get().as_bytes().first() {
        Some(b'"') => match serde_json::from_str::<String>(raw.get()) {
            Ok(t) => t.into(),
            Err(_) => return sink.not_cloudtrail(loc),
        },
        Some(b'{') => raw.get().into(),
        _ => return sink.not_cloudtrail(loc),
    };
    match serde_json::from_str::<Node>(&text) {
        Ok(Node::Object(p)) if p.is_record() => {
            if admit(&text, loc, limits, sink) {
                sink.record(loc, &text);
            }
        }
        Ok(Node::Object(Probe {
            detail: Some(detail),
            detail_type: true,
            ..
        })) => envelope(detail, loc, limits, sink),
        Err(e) if always_a_record => sink.rejected(loc, &Unparsed::Json(e).to_string()),
        _ => sink.not_cloudtrail(loc),
    }
}

fn each_item(
    items: Vec<&RawValue>,
    loc: &Location,
    depth: usize,
    limits: &Limits,
    sink: &mut impl Sink,
) {
    let mut l = loc.clone();
    for (i, item) in items.into_iter().enumerate() {
        l.record = Some(i + 1);
        value(item, &l, depth + 1, limits, sink);
    }
}

/// An EventBridge envelope: the record is its `detail`.
fn envelope(detail: &RawValue, loc: &Location, limits: &Limits, sink: &mut impl Sink) {
    let text = detail.get();
    if !text.starts_with('{') {
        return sink.not_cloudtrail(loc);
    }
    // Most details are records: asked `wanted` and offered before they are
    // classified, as the items of `Records` are ([`value`]), so that a wanted
    // envelope is not read a third time (the envelope, the detail's class, the
    // record). A detail over the limit goes the long way, to be reported.
    if text.len() <= limits.max_record_bytes
        && (!sink.wanted(text.as_bytes()) || sink.try_record(loc, text))
    {
        return;
    }
    match serde_json::from_str::<Node>(text) {
        Ok(Node::Object(p)) if p.is_record() => {
            if admit(text, loc, limits, sink) {
                sink.record(loc, text);
            }
        }
        Ok(_) => sink.not_cloudtrail(loc),
        Err(e) => sink.rejected(
            loc,
            &format!("unexpected structure in detail: {}", json_error(&e)),
        ),
    }
}
