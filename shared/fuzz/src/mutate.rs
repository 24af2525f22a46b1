//! Structured mutations of real CloudTrail records.
//!
//! The seed records are the repository's samples (`events/*/*.json`, embedded at
//! build time). A fuzz input picks a sample file, one of its records, and a short
//! list of mutations; the mutated record is written as text by our own writer, which
//! can produce what no JSON library would: invalid UTF-8, duplicate keys, lone
//! surrogate escapes, out-of-range numbers, keys spelled with escapes. The result is
//! fed through the replay pipeline three ways: JSON lines of raw records, JSON lines
//! of EventBridge envelopes, and one pretty `{"Records": [...]}` file (optionally
//! gzip-compressed); the unmutated records of the file stay around it, so windowed
//! detections see their bursts with one odd record inside.

use std::io::Write;
use std::sync::OnceLock;

use arbitrary::Arbitrary;
use serde_json::Value;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/samples.rs"));
}

/// One sample file: its records (the `detail` of envelopes, the items of
/// `Records`, or the records themselves).
pub struct Sample {
    pub records: Vec<Value>,
}

/// The samples, parsed once.
pub fn samples() -> &'static [Sample] {
    static SAMPLES: OnceLock<Vec<Sample>> = OnceLock::new();
    SAMPLES.get_or_init(|| {
        let mut out = Vec::new();
        for text in embedded::SAMPLES {
            let Ok(v) = serde_json::from_str::<Value>(text) else {
                continue;
            };
            let mut records = Vec::new();
            collect_records(v, &mut records);
            if !records.is_empty() {
                out.push(Sample { records });
            }
        }
        assert!(!out.is_empty(), "no sample records were embedded");
        out
    })
}

fn collect_records(v: Value, out: &mut Vec<Value>) {
    match v {
        Value::Array(items) => items.into_iter().for_each(|i| collect_records(i, out)),
        Value::Object(mut m) => {
            if let Some(Value::Array(items)) = m.remove("Records") {
                items.into_iter().for_each(|i| collect_records(i, out));
            } else if let Some(detail) = m.remove("detail") {
                out.push(detail);
            } else {
                out.push(Value::Object(m));
            }
        }
        _ => {}
    }
}

/// The (eventSource, eventName) pairs some detection triggers on, so that a mutated
/// record can be routed to any detection.
fn routes() -> &'static [(&'static str, &'static str)] {
    static ROUTES: OnceLock<Vec<(&'static str, &'static str)>> = OnceLock::new();
    ROUTES.get_or_init(|| {
        let mut out = Vec::new();
        for d in trailwatch::catalog::ALL {
            for t in d.meta().triggers {
                if let trailwatch::detection::Trigger::Events { source, names, .. } = *t {
                    out.push((source, names.first().copied().unwrap_or("AnyEvent")));
                    out.extend(names.iter().skip(1).map(|n| (source, *n)));
                }
            }
        }
        out
    })
}

/// An object's members in order: raw escaped key, value.
pub type Members = Vec<(Vec<u8>, Node)>;

/// A JSON tree that can also hold what valid JSON cannot: strings, keys and numbers
/// are kept as the raw bytes written between (or instead of) the quotes.
#[derive(Debug, Clone)]
pub enum Node {
    Null,
    Bool(bool),
    /// Raw number text (may be out of range or not a number at all).
    Num(Vec<u8>),
    /// Raw string content, already escaped (or deliberately not).
    Str(Vec<u8>),
    Arr(Vec<Node>),
    /// Members in order; keys are raw escaped content; duplicates allowed.
    Obj(Members),
}

fn escaped(s: &str) -> Vec<u8> {
    let quoted = serde_json::to_string(s).expect("a string serialises");
    quoted.as_bytes()[1..quoted.len() - 1].to_vec()
}

impl Node {
    pub fn from_value(v: &Value) -> Node {
        match v {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(*b),
            Value::Number(n) => Node::Num(n.to_string().into_bytes()),
            Value::String(s) => Node::Str(escaped(s)),
            Value::Array(a) => Node::Arr(a.iter().map(Node::from_value).collect()),
            Value::Object(m) => Node::Obj(
                m.iter()
                    .map(|(k, v)| (escaped(k), Node::from_value(v)))
                    .collect(),
            ),
        }
    }

    /// Writes the node; `pretty` puts each member and element on its own line.
    pub fn write(&self, out: &mut Vec<u8>, pretty: bool) {
        let sep: &[u8] = if pretty { b",\n" } else { b"," };
        match self {
            Node::Null => out.extend_from_slice(b"null"),
            Node::Bool(true) => out.extend_from_slice(b"true"),
            Node::Bool(false) => out.extend_from_slice(b"false"),
            Node::Num(n) => out.extend_from_slice(n),
            Node::Str(s) => {
                out.push(b'"');
                out.extend_from_slice(s);
                out.push(b'"');
            }
            Node::Arr(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.extend_from_slice(sep);
                    }
                    item.write(out, pretty);
                }
                out.push(b']');
            }
            Node::Obj(members) => {
                out.push(b'{');
                if pretty && !members.is_empty() {
                    out.push(b'\n');
                }
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.extend_from_slice(sep);
                    }
                    out.push(b'"');
                    out.extend_from_slice(k);
                    out.extend_from_slice(if pretty { b"\": " } else { b"\":" });
                    v.write(out, pretty);
                }
                if pretty && !members.is_empty() {
                    out.push(b'\n');
                }
                out.push(b'}');
            }
        }
    }

    fn count(&self) -> usize {
        1 + match self {
            Node::Arr(items) => items.iter().map(Node::count).sum(),
            Node::Obj(members) => members.iter().map(|(_, v)| v.count()).sum(),
            _ => 0,
        }
    }

    /// The `n`th node in pre-order (0 is `self`).
    fn nth_mut(&mut self, n: usize) -> Option<&mut Node> {
        let mut n = n;
        self.nth_inner(&mut n)
    }

    fn nth_inner(&mut self, n: &mut usize) -> Option<&mut Node> {
        if *n == 0 {
            return Some(self);
        }
        *n -= 1;
        match self {
            Node::Arr(items) => {
                for item in items {
                    if let Some(found) = item.nth_inner(n) {
                        return Some(found);
                    }
                }
                None
            }
            Node::Obj(members) => {
                for (_, v) in members {
                    if let Some(found) = v.nth_inner(n) {
                        return Some(found);
                    }
                }
                None
            }
            _ => None,
        }
    }

    /// The object member at `path` (keys compared with their escaped form).
    fn member_mut(&mut self, path: &[&str], create: bool) -> Option<&mut (Vec<u8>, Node)> {
        let (first, rest) = path.split_first()?;
        let Node::Obj(members) = self else {
            return None;
        };
        let key = escaped(first);
        let pos = match members.iter().position(|(k, _)| *k == key) {
            Some(p) => p,
            None if create => {
                let fill = if rest.is_empty() {
                    Node::Null
                } else {
                    Node::Obj(Vec::new())
                };
                members.push((key, fill));
                members.len() - 1
            }
            None => return None,
        };
        if rest.is_empty() {
            Some(&mut members[pos])
        } else {
            members[pos].1.member_mut(rest, create)
        }
    }

    /// The object that holds the member at `path`, and the member's index.
    fn parent_of(&mut self, path: &[&str]) -> Option<(&mut Members, usize)> {
        let (last, init) = path.split_last()?;
        let parent = if init.is_empty() {
            self
        } else {
            &mut self.member_mut(init, false)?.1
        };
        let Node::Obj(members) = parent else {
            return None;
        };
        let key = escaped(last);
        let pos = members.iter().position(|(k, _)| *k == key)?;
        Some((members, pos))
    }

    /// Deletes the `n`th member or element found in pre-order.
    fn delete_nth(&mut self, n: &mut usize) -> bool {
        match self {
            Node::Arr(items) => {
                if *n < items.len() {
                    items.remove(*n);
                    return true;
                }
                *n -= items.len();
                items.iter_mut().any(|i| i.delete_nth(n))
            }
            Node::Obj(members) => {
                if *n < members.len() {
                    members.remove(*n);
                    return true;
                }
                *n -= members.len();
                members.iter_mut().any(|(_, v)| v.delete_nth(n))
            }
            _ => false,
        }
    }

    /// How many objects with at least one member the tree holds.
    fn count_objects(&self) -> usize {
        let own = usize::from(matches!(self, Node::Obj(m) if !m.is_empty()));
        own + match self {
            Node::Arr(items) => items.iter().map(Node::count_objects).sum(),
            Node::Obj(members) => members.iter().map(|(_, v)| v.count_objects()).sum(),
            _ => 0,
        }
    }

    /// The `n`th object (in pre-order) with at least one member.
    fn nth_object(&mut self, n: &mut usize) -> Option<&mut Members> {
        let is_target = matches!(self, Node::Obj(m) if !m.is_empty());
        if is_target {
            if *n == 0 {
                let Node::Obj(m) = self else { unreachable!() };
                return Some(m);
            }
            *n -= 1;
        }
        match self {
            Node::Arr(items) => items.iter_mut().find_map(|i| i.nth_object(n)),
            Node::Obj(members) => members.iter_mut().find_map(|(_, v)| v.nth_object(n)),
            _ => None,
        }
    }
}

/// Fields where attacker-controlled text and routing decisions live.
const FIELDS: &[&[&str]] = &[
    &["eventName"],
    &["eventSource"],
    &["userAgent"],
    &["eventTime"],
    &["eventID"],
    &["sourceIPAddress"],
    &["errorCode"],
    &["errorMessage"],
    &["awsRegion"],
    &["recipientAccountId"],
    &["requestParameters"],
    &["responseElements"],
    &["additionalEventData"],
    &["tlsDetails"],
    &["tlsDetails", "clientProvidedHostHeader"],
    &["userIdentity"],
    &["userIdentity", "type"],
    &["userIdentity", "userName"],
    &["userIdentity", "arn"],
    &["userIdentity", "principalId"],
    &["userIdentity", "accountId"],
    &["userIdentity", "invokedBy"],
    &["userIdentity", "sessionContext"],
    &[
        "userIdentity",
        "sessionContext",
        "sessionIssuer",
        "userName",
    ],
    &[
        "userIdentity",
        "sessionContext",
        "attributes",
        "mfaAuthenticated",
    ],
    &["requestParameters", "name"],
    &["requestParameters", "userName"],
    &["requestParameters", "policyDocument"],
    &["requestParameters", "eventName"],
    &["requestParameters", "eventSource"],
    &["requestParameters", "userAgent"],
    &["responseElements", "ConsoleLogin"],
    &["additionalEventData", "MFAUsed"],
];

/// Where a mutation applies.
#[derive(Debug, Arbitrary)]
pub enum Target {
    /// A node by pre-order index (modulo the node count).
    Node(u16),
    /// A named field (index into `FIELDS`); created when absent.
    Field(u8),
}

/// What a value becomes when its type is wrong.
#[derive(Debug, Arbitrary)]
pub enum WrongType {
    Null,
    True,
    False,
    Int,
    Float,
    EmptyString,
    EmptyArray,
    StringArray,
    EmptyObject,
    Object,
}

#[derive(Debug, Arbitrary)]
pub enum Mutation {
    Delete(Target),
    WrongType(Target, WrongType),
    /// A long string: the length code maps mostly to short and medium lengths, and
    /// rarely to up to 1 MiB.
    LongString(Target, u32, u8),
    /// Wraps the value in up to ~400 levels of arrays or objects.
    Nest(Target, u16, bool),
    /// Splices invalid UTF-8 (or raw control bytes) into a string or key.
    Junk(Target, u8, u16),
    /// An odd number: out of range, negative zero, huge integers, not a number.
    Number(Target, u8),
    /// Adds a second member with the key of an existing one.
    DuplicateKey(Target, bool),
    /// Splices an escape sequence (lone surrogates, NUL, bad escapes) into a string.
    Escape(Target, u8, u16),
    /// Replaces a string with hostile text (newlines, ANSI, RTL, forged headers).
    Hostile(Target, u8),
    /// Respells a key with `\u` escapes (same key for a JSON parser, not for bytes).
    EscapeKey(Target),
    /// Routes the record to some detection (sets `eventSource` and `eventName`).
    Route(u8),
}

fn target_node<'a>(root: &'a mut Node, t: &Target) -> Option<&'a mut Node> {
    match *t {
        Target::Node(i) => {
            let n = usize::from(i) % root.count();
            root.nth_mut(n)
        }
        Target::Field(i) => {
            let path = FIELDS[usize::from(i) % FIELDS.len()];
            root.member_mut(path, true).map(|m| &mut m.1)
        }
    }
}

fn long_len(code: u32) -> usize {
    let v = (code >> 8) as usize;
    match code & 0xff {
        // Rare: up to 1 MiB.
        0xa5 => v % ((1 << 20) + 1),
        c if c & 0x0f == 0x05 => v % 65_537,
        _ => v % 1025,
    }
}

const FILLS: &[&str] = &[
    "a",
    "é",
    "\\n",
    "\\u0000",
    "\\u202e",
    "\\u001b[31m",
    "\u{1F600}",
    "\\\"",
    "[HIGH] Fake (x)\\n",
    "\u{200b}",
    " ",
    "\\\\",
];

const JUNK: &[&[u8]] = &[
    b"\xff",
    b"\xc3",
    b"\xed\xa0\x80",
    b"\xf8\x88\x80\x80\x80",
    b"\xc0\x80",
    b"\xf4\x90\x80\x80",
    b"\xe2\x80",
    b"\x00",
    b"\n",
    b"\r",
    b"\t",
    b"\x1b",
    b"\"",
    b"\\",
];

const NUMBERS: &[&str] = &[
    "1e999",
    "-1e999",
    "-0",
    "1e-999",
    "-0.0",
    "0e0",
    "123456789012345678901234567890",
    "-9223372036854775809",
    "18446744073709551616",
    "9223372036854775807",
    "1.7976931348623157e308",
    "4.9e-324",
    "NaN",
    "Infinity",
    "-Infinity",
    "-",
    "01",
    "1.",
    ".5",
    "1e",
    "0x10",
    "1_000",
    "1e+",
    "2e308",
];

const ESCAPES: &[&str] = &[
    "\\ud800",
    "\\udc00",
    "\\ud800\\udc00",
    "\\ud83d\\ude00",
    "\\udbff\\udfff",
    "\\ud800\\u0041",
    "\\u0000",
    "\\u001f",
    "\\u007f",
    "\\u0085",
    "\\u2028",
    "\\ufeff",
    "\\uffff",
    "\\u",
    "\\u12",
    "\\uzzzz",
    "\\x41",
    "\\",
    "\\'",
    "\\/",
];

const HOSTILE: &[&str] = &[
    "eve\\nsecond line",
    "eve\\r\\n[HIGH] Forged finding (forged-id)",
    "\\n[CRITICAL] CloudTrail logging stopped (cloudtrail-log-suspended)\\n  actor        root",
    "\\u001b[2J\\u001b[31mred\\u001b[0m",
    "\\u001b]0;title\\u0007",
    "\\u202egnp.exe",
    "admin\\u200b",
    "nul\\u0000byte",
    "[HIGH] Fake (x)",
    "\\\"detection_id\\\":\\\"x\\\"",
    "{\\\"detection_id\\\":\\\"forged\\\",\\\"severity\\\":\\\"low\\\"}",
    "Subject: [LOW] all clear\\r\\n",
    "\\u2028\\u2029\\u0085",
    "\\ufeff\\u2066\\u2069",
    "aws-cli/2.0 --endpoint-url \\u001b[8m",
    "arn:aws:iam::111122223333:user/\\n[HIGH] x",
];

fn set_string(node: &mut Node, raw: Vec<u8>) {
    *node = Node::Str(raw);
}

fn string_bytes(node: &mut Node) -> &mut Vec<u8> {
    if !matches!(node, Node::Str(_)) {
        *node = Node::Str(b"value".to_vec());
    }
    let Node::Str(s) = node else { unreachable!() };
    s
}

fn splice(s: &mut Vec<u8>, at: u16, what: &[u8]) {
    let at = usize::from(at) % (s.len() + 1);
    s.splice(at..at, what.iter().copied());
}

fn wrong(kind: &WrongType) -> Node {
    match kind {
        WrongType::Null => Node::Null,
        WrongType::True => Node::Bool(true),
        WrongType::False => Node::Bool(false),
        WrongType::Int => Node::Num(b"42".to_vec()),
        WrongType::Float => Node::Num(b"-1.5e3".to_vec()),
        WrongType::EmptyString => Node::Str(Vec::new()),
        WrongType::EmptyArray => Node::Arr(Vec::new()),
        WrongType::StringArray => Node::Arr(vec![Node::Str(b"x".to_vec())]),
        WrongType::EmptyObject => Node::Obj(Vec::new()),
        WrongType::Object => Node::Obj(vec![(b"a".to_vec(), Node::Num(b"1".to_vec()))]),
    }
}

/// Applies one mutation to a record.
pub fn apply(root: &mut Node, m: &Mutation) {
    match m {
        Mutation::Delete(Target::Node(i)) => {
            let total = root.count();
            let mut n = usize::from(*i) % total;
            root.delete_nth(&mut n);
        }
        Mutation::Delete(Target::Field(i)) => {
            if let Some((members, pos)) = root.parent_of(FIELDS[usize::from(*i) % FIELDS.len()]) {
                members.remove(pos);
            }
        }
        Mutation::WrongType(t, kind) => {
            if let Some(n) = target_node(root, t) {
                *n = wrong(kind);
            }
        }
        Mutation::LongString(t, code, fill) => {
            if let Some(n) = target_node(root, t) {
                let fill = FILLS[usize::from(*fill) % FILLS.len()];
                let len = long_len(*code);
                set_string(n, fill.repeat(len.div_ceil(fill.len().max(1))).into_bytes());
            }
        }
        Mutation::Nest(t, depth, objects) => {
            if let Some(n) = target_node(root, t) {
                let mut v = std::mem::replace(n, Node::Null);
                for _ in 0..usize::from(*depth) % 401 {
                    v = if *objects {
                        Node::Obj(vec![(b"k".to_vec(), v)])
                    } else {
                        Node::Arr(vec![v])
                    };
                }
                *n = v;
            }
        }
        Mutation::Junk(t, which, at) => {
            let junk = JUNK[usize::from(*which) % JUNK.len()];
            match *t {
                Target::Node(_) => {
                    if let Some(n) = target_node(root, t) {
                        splice(string_bytes(n), *at, junk);
                    }
                }
                // Into the key itself.
                Target::Field(i) => {
                    if let Some(m) = root.member_mut(FIELDS[usize::from(i) % FIELDS.len()], false) {
                        splice(&mut m.0, *at, junk);
                    }
                }
            }
        }
        Mutation::Number(t, which) => {
            if let Some(n) = target_node(root, t) {
                let text = NUMBERS[usize::from(*which) % NUMBERS.len()];
                *n = Node::Num(text.as_bytes().to_vec());
            }
        }
        Mutation::DuplicateKey(t, same) => {
            let members = match *t {
                Target::Node(i) => {
                    let objects = root.count_objects();
                    if objects == 0 {
                        return;
                    }
                    let mut n = usize::from(i) % objects;
                    root.nth_object(&mut n).map(|m| (m, 0usize))
                }
                Target::Field(i) => root.parent_of(FIELDS[usize::from(i) % FIELDS.len()]),
            };
            if let Some((members, pos)) = members {
                let (k, v) = members[pos].clone();
                let v = if *same {
                    v
                } else {
                    Node::Str(b"StopLogging".to_vec())
                };
                members.push((k, v));
            }
        }
        Mutation::Escape(t, which, at) => {
            if let Some(n) = target_node(root, t) {
                let esc = ESCAPES[usize::from(*which) % ESCAPES.len()];
                splice(string_bytes(n), *at, esc.as_bytes());
            }
        }
        Mutation::Hostile(t, which) => {
            if let Some(n) = target_node(root, t) {
                let text = HOSTILE[usize::from(*which) % HOSTILE.len()];
                set_string(n, text.as_bytes().to_vec());
            }
        }
        Mutation::EscapeKey(t) => {
            let member = match *t {
                Target::Node(i) => {
                    let objects = root.count_objects();
                    if objects == 0 {
                        return;
                    }
                    let mut n = usize::from(i) % objects;
                    root.nth_object(&mut n).and_then(|m| m.first_mut())
                }
                Target::Field(i) => root.member_mut(FIELDS[usize::from(i) % FIELDS.len()], false),
            };
            if let Some((k, _)) = member {
                let mut spelled = Vec::new();
                for &b in k.iter() {
                    if b.is_ascii_alphanumeric() {
                        write!(spelled, "\\u{:04x}", b).expect("write to a Vec");
                    } else {
                        spelled.push(b);
                    }
                }
                *k = spelled;
            }
        }
        Mutation::Route(which) => {
            let routes = routes();
            let (source, name) = routes[usize::from(*which) % routes.len()];
            if let Some(m) = root.member_mut(&["eventSource"], true) {
                m.1 = Node::Str(escaped(source));
            }
            if let Some(m) = root.member_mut(&["eventName"], true) {
                m.1 = Node::Str(escaped(name));
            }
        }
    }
}

/// One structured fuzz input.
#[derive(Debug, Arbitrary)]
pub struct Input {
    pub sample: u16,
    pub record: u8,
    pub mutations: Vec<Mutation>,
    /// Cut the JSON-lines rendering after this many bytes.
    pub truncate: Option<u16>,
    /// Gzip the `Records` file.
    pub gzip: bool,
}

/// At most this many mutations per input.
pub const MAX_MUTATIONS: usize = 8;

/// The three renderings of the (mutated) records of one input.
pub struct Rendered {
    pub lines: Vec<u8>,
    pub envelopes: Vec<u8>,
    pub records_file: Vec<u8>,
}

const ENVELOPE_HEAD: &[u8] = br#"{"version":"0","id":"00000000-0000-4000-8000-000000000000","detail-type":"AWS API Call via CloudTrail","source":"aws.fuzz","account":"111122223333","time":"2026-03-14T13:15:27Z","region":"us-east-1","resources":[],"detail":"#;

/// Builds the mutated record set of `input` and renders it three ways.
pub fn render(input: &Input) -> Rendered {
    let all = samples();
    let sample = &all[usize::from(input.sample) % all.len()];
    let chosen = usize::from(input.record) % sample.records.len();
    let mut nodes: Vec<Node> = sample.records.iter().map(Node::from_value).collect();
    for m in input.mutations.iter().take(MAX_MUTATIONS) {
        apply(&mut nodes[chosen], m);
    }

    let mut lines = Vec::new();
    let mut envelopes = Vec::new();
    let mut records_file = b"{\n  \"Records\": [\n".to_vec();
    for (i, n) in nodes.iter().enumerate() {
        n.write(&mut lines, false);
        lines.push(b'\n');
        envelopes.extend_from_slice(ENVELOPE_HEAD);
        n.write(&mut envelopes, false);
        envelopes.extend_from_slice(b"}\n");
        if i > 0 {
            records_file.extend_from_slice(b",\n");
        }
        n.write(&mut records_file, true);
    }
    records_file.extend_from_slice(b"\n  ]\n}\n");
    if let Some(cut) = input.truncate {
        lines.truncate(usize::from(cut));
    }
    if input.gzip {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&records_file).expect("gzip to memory");
        records_file = enc.finish().expect("gzip to memory");
    }
    Rendered {
        lines,
        envelopes,
        records_file,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(json: &str) -> Node {
        Node::from_value(&serde_json::from_str(json).unwrap())
    }

    fn text(n: &Node) -> String {
        let mut out = Vec::new();
        n.write(&mut out, false);
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn writer_round_trips_values() {
        for s in samples() {
            for r in &s.records {
                let mut out = Vec::new();
                Node::from_value(r).write(&mut out, true);
                let back: Value = serde_json::from_slice(&out).unwrap();
                assert_eq!(&back, r);
            }
        }
    }

    #[test]
    fn mutations_do_what_they_say() {
        let base = r#"{"eventName":"X","userIdentity":{"userName":"bob"}}"#;
        let mut n = record(base);
        apply(&mut n, &Mutation::EscapeKey(Target::Field(0)));
        assert!(text(&n).starts_with(r#"{"\u0065\u0076"#), "{}", text(&n));
        let v: Value = serde_json::from_str(&text(&n)).unwrap();
        assert_eq!(v["eventName"], "X");

        let mut n = record(base);
        apply(&mut n, &Mutation::DuplicateKey(Target::Field(0), false));
        assert_eq!(
            text(&n),
            r#"{"eventName":"X","userIdentity":{"userName":"bob"},"eventName":"StopLogging"}"#
        );

        let mut n = record(base);
        apply(&mut n, &Mutation::Nest(Target::Field(17), 3, false));
        assert_eq!(
            text(&n),
            r#"{"eventName":"X","userIdentity":{"userName":[[["bob"]]]}}"#
        );

        let mut n = record(base);
        apply(&mut n, &Mutation::Delete(Target::Field(17)));
        assert_eq!(text(&n), r#"{"eventName":"X","userIdentity":{}}"#);

        let mut n = record(base);
        apply(&mut n, &Mutation::Junk(Target::Node(1), 0, 0));
        let mut out = Vec::new();
        n.write(&mut out, false);
        assert!(std::str::from_utf8(&out).is_err());
    }
}
