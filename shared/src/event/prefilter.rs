//! Deciding from the raw bytes of a record whether any detection could care.
//!
//! Most CloudTrail traffic (Describe*, Get*, KMS, S3 data events) concerns no
//! detection. Parsing such a record only to drop it costs ten times more than
//! finding its `eventSource`, `eventName` and `userAgent` in the bytes, so replay
//! looks at those first. The peek is exact or it gives up: each key must occur
//! exactly once, as a key, with a plain string value (no escapes); anything else
//! (several records on one line, a nested key of the same name, escapes, odd
//! framing) answers `None` and the record is parsed in full.

use memchr::memmem;

/// The routing fields of one record, read from its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peek<'a> {
    pub event_source: &'a str,
    pub event_name: &'a str,
    pub user_agent: Option<&'a str>,
}

/// Reads the routing fields of a record (or of an EventBridge envelope around one)
/// from its JSON bytes, or `None` when that cannot be done exactly.
pub fn peek(json: &[u8]) -> Option<Peek<'_>> {
    let body = trim(json);
    if body.first() != Some(&b'{') || body.last() != Some(&b'}') {
        return None;
    }
    if has_unicode_escape(body) {
        return None;
    }
    static EVENT_NAME: Needle = Needle::new("\"eventName\"");
    static EVENT_SOURCE: Needle = Needle::new("\"eventSource\"");
    static USER_AGENT: Needle = Needle::new("\"userAgent\"");
    let event_name = unique_field(body, &EVENT_NAME)??;
    let event_source = unique_field(body, &EVENT_SOURCE)??;
    let user_agent = unique_field(body, &USER_AGENT)?;
    Some(Peek {
        event_source,
        event_name,
        user_agent,
    })
}

/// True when a string in `body` holds a `\u` escape. A key spelled with escapes
/// (`"user\u0041gent"`) is the same key to a JSON parser but invisible to a byte
/// search, so the peek could miss the real field and read a nested one (found by
/// fuzzing: the record was skipped although its user agent routed it).
fn has_unicode_escape(body: &[u8]) -> bool {
    let mut from = 0;
    while let Some(p) = body
        .get(from..)
        .and_then(|rest| memchr::memchr(b'\\', rest))
    {
        let at = from + p;
        if body.get(at + 1) == Some(&b'u') {
            return true;
        }
        // Skip the escaped character, so `\\u` (a backslash, then `u`) does not count.
        from = at + 2;
    }
    false
}

fn trim(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |p| p + 1);
    &b[start..end]
}

/// The value of `"key"` in the record's bytes: `None` when that cannot be told
/// exactly (see `peek`), `Some(None)` when the key is absent. `key` is the key in
/// quotes (`"clientProvidedHostHeader"`). Call it only on
/// bytes that `peek` accepted (so that no `\u` escape can hide a key).
pub fn unique_field<'a>(json: &'a [u8], key: &Needle) -> Option<Option<&'a str>> {
    unique_string(json, key.finder())
}

/// Text that raw checks look for in every record they see: its searcher is built
/// once, on first use (building one costs more than searching a record).
pub struct Needle {
    text: &'static str,
    finder: std::sync::OnceLock<memmem::Finder<'static>>,
}

impl Needle {
    pub const fn new(text: &'static str) -> Needle {
        Needle {
            text,
            finder: std::sync::OnceLock::new(),
        }
    }

    /// The text looked for.
    pub fn text(&self) -> &'static str {
        self.text
    }

    pub fn finder(&self) -> &memmem::Finder<'static> {
        self.finder
            .get_or_init(|| memmem::Finder::new(self.text.as_bytes()))
    }

    /// `json` contains the text. On bytes the peek accepted (no `\u` escapes),
    /// every key and every letter of a value appears literally.
    pub fn is_in(&self, json: &[u8]) -> bool {
        self.finder().find(json).is_some()
    }
}

/// `None`: cannot tell. `Some(None)`: the key is absent. `Some(Some(v))`: the
/// key occurs once, as a key, with the plain string value `v`.
fn unique_string<'a>(body: &'a [u8], finder: &memmem::Finder<'_>) -> Option<Option<&'a str>> {
    let key = finder.needle();
    let mut hits = finder.find_iter(body);
    let Some(at) = hits.next() else {
        return Some(None);
    };
    if hits.next().is_some() {
        return None;
    }
    let mut i = at + key.len();
    while body.get(i)?.is_ascii_whitespace() {
        i += 1;
    }
    if body[i] != b':' {
        // The text occurred as a value, not as a key: nothing exact to say.
        return None;
    }
    i += 1;
    while body.get(i)?.is_ascii_whitespace() {
        i += 1;
    }
    if body[i] != b'"' {
        return None;
    }
    let start = i + 1;
    let len = memchr::memchr2(b'"', b'\\', &body[start..])?;
    if body[start + len] != b'"' {
        return None;
    }
    std::str::from_utf8(&body[start..start + len])
        .ok()
        .map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_plain_records_and_envelopes() {
        let r = br#"{"eventSource":"ec2.amazonaws.com", "eventName" : "DescribeInstances","userAgent":"Boto3/1.0"}"#;
        assert_eq!(
            peek(r),
            Some(Peek {
                event_source: "ec2.amazonaws.com",
                event_name: "DescribeInstances",
                user_agent: Some("Boto3/1.0")
            })
        );
        let e = br#"{"detail-type":"AWS API Call via CloudTrail","detail":{"eventSource":"s3.amazonaws.com","eventName":"GetObject"}}"#;
        assert_eq!(
            peek(e).map(|p| (p.event_name, p.user_agent)),
            Some(("GetObject", None))
        );
    }

    #[test]
    fn gives_up_rather_than_guess() {
        for bad in [
            &br#"{"Records":[{"eventSource":"a","eventName":"X"},{"eventSource":"a","eventName":"Y"}]}"#[..],
            br#"{"eventSource":"a","eventName":"X","requestParameters":{"eventName":"Y"}}"#,
            br#"{"eventSource":"a","eventName":"X\"Y"}"#,
            br#"{"eventSource":"a","eventName":5}"#,
            br#"{"eventSource":"a","note":"eventName","eventName":"X"}"#,
            br#"{"eventSource":"a","eventName":"X""#,
            br#"{"eventSource":"a","eventName":"X","userAgent":["aws-cli/2"]}"#,
            br#"{"eventSource":"a"}"#,
            br#"{"eventSource":"a","eventName":"X","user\u0041gent":"aws-cli/2"}"#,
            b"",
        ] {
            assert_eq!(peek(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    /// Regression (fuzz target `mutated_record`): a key respelled with `\u` escapes
    /// hid the real `userAgent` from the byte search, so an `aws-cli/` call no event
    /// rule takes was skipped although the user-agent rule routes it; and an escaped
    /// top-level `eventName` let a nested one be read instead.
    #[test]
    fn unicode_escapes_make_it_give_up() {
        let hidden_agent = br#"{"eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","user\u0041gent":"aws-cli/2.27.40 m/N,E"}"#;
        let rec =
            crate::event::Record::from_json(std::str::from_utf8(hidden_agent).unwrap()).unwrap();
        assert_eq!(rec.user_agent(), Some("aws-cli/2.27.40 m/N,E"));
        assert_eq!(peek(hidden_agent), None);
        let nested_name = br#"{"eventSource":"cloudtrail.amazonaws.com","event\u004eame":"StopLogging","requestParameters":{"eventName":"DescribeTrails"}}"#;
        assert_eq!(peek(nested_name), None);
        // An escaped backslash followed by `u` is no escape: the peek still answers.
        let path =
            br#"{"eventSource":"a","eventName":"B","requestParameters":{"path":"C:\\users"}}"#;
        assert_eq!(peek(path).map(|p| p.event_name), Some("B"));
        assert!(!has_unicode_escape(br#"{"a":"\\"}"#));
        assert!(has_unicode_escape(br#"{"a":"\\\u0041"}"#));
        assert!(!has_unicode_escape(b"\\"));
    }

    #[test]
    fn escaped_keys_inside_strings_do_not_count() {
        let r = br#"{"eventSource":"events.amazonaws.com","eventName":"PutRule","requestParameters":{"eventPattern":"{\"detail\":{\"eventName\":[\"StopLogging\"]}}"}}"#;
        assert_eq!(peek(r).map(|p| p.event_name), Some("PutRule"));
    }
}
