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
    /// The text holds the string `"Root"`: the record may be a call made as the
    /// root user (`false`: it is not one).
    pub root: bool,
}

/// Reads the routing fields of a record (or of an EventBridge envelope around one)
/// from its JSON bytes, or `None` when that cannot be done exactly.
pub fn peek(json: &[u8]) -> Option<Peek<'_>> {
    peek_using(json, routing_keys)
}

/// [`peek`] with the given way of finding the routing keys (tests compare them).
fn peek_using(json: &[u8], keys: fn(&[u8]) -> Option<Keys>) -> Option<Peek<'_>> {
    let body = trim(json);
    if body.first() != Some(&b'{') || body.last() != Some(&b'}') {
        return None;
    }
    let Keys {
        at: [name_at, source_at, agent_at],
        text,
    } = keys(body)?;
    if text.backslash && has_unicode_escape(body) {
        return None;
    }
    let value = |at: usize, key: usize| string_value(body, at, ROUTING_KEYS[key].len(), text.ascii);
    let event_name = value(name_at?, 0)?;
    let event_source = value(source_at?, 1)?;
    let user_agent = match agent_at {
        Some(at) => Some(value(at, 2)?),
        None => None,
    };
    Some(Peek {
        event_source,
        event_name,
        user_agent,
        root: text.root,
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
    match unique_hit(body, finder)? {
        Some(at) => string_value(body, at, finder.needle().len(), false).map(Some),
        None => Some(None),
    }
}

/// Where the finder's needle occurs in `body`: `Some(None)` when it does not,
/// `None` when it occurs more than once.
fn unique_hit(body: &[u8], finder: &memmem::Finder<'_>) -> Option<Option<usize>> {
    let mut hits = finder.find_iter(body);
    let first = hits.next();
    match hits.next() {
        Some(_) => None,
        None => Some(first),
    }
}

/// The plain string value of the key (quotes included, `key_len` bytes) found
/// at `at`; `None` when the text there is not a key with such a value.
/// `ascii`: every byte of `body` is known to be ASCII.
fn string_value(body: &[u8], at: usize, key_len: usize, ascii: bool) -> Option<&str> {
    let mut i = at + key_len;
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
    let value = &body[start..start + len];
    if ascii {
        debug_assert!(value.is_ascii());
        // SAFETY: every byte of `body` is below 0x80 (the key pass saw them
        // all), and ASCII text is UTF-8. Validating the three routing values
        // of every record was a twentieth of a replay's instructions.
        return Some(unsafe { std::str::from_utf8_unchecked(value) });
    }
    std::str::from_utf8(value).ok()
}

/// The routing keys, quoted as they appear in the text, in [`peek`]'s order.
const ROUTING_KEYS: [&[u8]; 3] = [b"\"eventName\"", b"\"eventSource\"", b"\"userAgent\""];

/// What the pass that finds the routing keys learns about the whole text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Text {
    /// Every byte is ASCII.
    ascii: bool,
    /// Some byte is a backslash (so an escape may hide a key).
    backslash: bool,
    /// The text holds [`ROOT`], the root user's identity type as a string.
    root: bool,
}

/// The identity type of the root user, in quotes, as [`Trigger::RootIdentity`]'s
/// records hold it (no escape can spell it otherwise: the peek gives up on those).
///
/// [`Trigger::RootIdentity`]: crate::detection::Trigger::RootIdentity
const ROOT: &[u8] = b"\"Root\"";

impl Text {
    /// The facts of `body`, a pass each: for the per-key search (the AVX2 key
    /// pass learns them on its way) and for the tests that compare the two.
    fn of(body: &[u8]) -> Text {
        Text {
            ascii: body.is_ascii(),
            backslash: memchr::memchr(b'\\', body).is_some(),
            root: memmem::find(body, ROOT).is_some(),
        }
    }
}

/// Where each routing key occurs in a text, and what the text holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Keys {
    /// Where each of [`ROUTING_KEYS`] occurs (`None` where it does not).
    at: [Option<usize>; 3],
    text: Text,
}

/// Where each of [`ROUTING_KEYS`] occurs in `body`, or `None` when one occurs
/// more than once. The same answer as a search for each key over the whole
/// text, in one pass over it where the CPU allows.
fn routing_keys(body: &[u8]) -> Option<Keys> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, checked just above.
        return unsafe { keys_avx2::routing_keys(body) };
    }
    routing_keys_by_search(body)
}

/// [`routing_keys`] as one search per key (and a pass each for the text's facts).
fn routing_keys_by_search(body: &[u8]) -> Option<Keys> {
    static FINDERS: std::sync::OnceLock<[memmem::Finder<'static>; 3]> = std::sync::OnceLock::new();
    let finders = FINDERS.get_or_init(|| ROUTING_KEYS.map(memmem::Finder::new));
    let mut at = [None; 3];
    for (slot, finder) in at.iter_mut().zip(finders) {
        *slot = unique_hit(body, finder)?;
    }
    Some(Keys {
        at,
        text: Text::of(body),
    })
}

#[cfg(target_arch = "x86_64")]
mod keys_avx2 {
    use std::arch::x86_64::{
        __m256i, _mm256_and_si256, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8,
        _mm256_or_si256, _mm256_set1_epi8, _mm256_setzero_si256,
    };

    use super::{Keys, ROOT, ROUTING_KEYS, Text};

    /// The routing keys begin with a quote, then `e` or `u`, and have `N`, `S` or
    /// `g` six bytes in (`"eventName"`, `"eventSource"`, `"userAgent"`): three
    /// byte tests, 32 positions at a time, leave almost only the keys themselves
    /// (no other key of a CloudTrail record passes all three) to compare in full.
    /// The same pass notes whether the text is ASCII, holds a backslash and holds
    /// `"Root"` (a quote, then `R`: rare, then compared in full), which spares the
    /// peek a pass for each.
    #[target_feature(enable = "avx2")]
    pub(super) fn routing_keys(body: &[u8]) -> Option<Keys> {
        const SPAN: usize = 32;
        const LAST: usize = 6;
        // Whole blocks of `body` first (each reads `LAST + SPAN` bytes). The
        // last bytes, fewer than `LAST + SPAN`, then go through the same code as
        // a copy padded with spaces: a space is no quote, no backslash and
        // ASCII, so the padding adds no hit and changes no fact, and every hit
        // lies inside `body`. One or two more blocks cost a tenth of reading the
        // tail byte by byte.
        let blocks = match body.len().checked_sub(LAST + SPAN) {
            Some(spare) => spare / SPAN + 1,
            None => 0,
        };
        let tail_at = blocks * SPAN;
        let rest = &body[tail_at..];
        let mut padded = [b' '; SPAN + LAST + SPAN];
        padded[..rest.len()].copy_from_slice(rest);
        let mut found = [None; 3];
        let splat = |b: u8| _mm256_set1_epi8(b as i8);
        let (quote, e, u) = (splat(b'"'), splat(b'e'), splat(b'u'));
        let (n, s, g) = (splat(b'N'), splat(b'S'), splat(b'g'));
        let capital_r = splat(b'R');
        let mut root = false;
        let backslash = splat(b'\\');
        // The bytes seen OR-ed together (a high bit: not ASCII), and backslashes.
        let (mut all, mut slashes) = (_mm256_setzero_si256(), _mm256_setzero_si256());
        // (bytes, where they start in `body`, how many positions to test)
        for (bytes, base, len) in [(body, 0, tail_at), (&padded[..], tail_at, rest.len())] {
            let mut i = 0;
            while i < len {
                let load = |at: usize| {
                    debug_assert!(at + SPAN <= bytes.len());
                    // SAFETY: `at` is at most `i + LAST`, and `i + LAST + SPAN`
                    // is within `bytes`: for `body`, `i < tail_at` and
                    // `tail_at - SPAN + LAST + SPAN <= body.len()`; for `padded`,
                    // `i` is 0 or `SPAN` (`rest.len() < LAST + SPAN`), and
                    // `padded` holds `SPAN + LAST + SPAN` bytes. `loadu` has no
                    // alignment requirement.
                    unsafe { _mm256_loadu_si256(bytes.as_ptr().add(at).cast::<__m256i>()) }
                };
                let (v0, v1, v6) = (load(i), load(i + 1), load(i + LAST));
                all = _mm256_or_si256(all, v0);
                slashes = _mm256_or_si256(slashes, _mm256_cmpeq_epi8(v0, backslash));
                let first = _mm256_cmpeq_epi8(v0, quote);
                let second = _mm256_or_si256(_mm256_cmpeq_epi8(v1, e), _mm256_cmpeq_epi8(v1, u));
                let seventh = _mm256_or_si256(
                    _mm256_or_si256(_mm256_cmpeq_epi8(v6, n), _mm256_cmpeq_epi8(v6, s)),
                    _mm256_cmpeq_epi8(v6, g),
                );
                let hits = _mm256_and_si256(first, _mm256_and_si256(second, seventh));
                let mut mask = _mm256_movemask_epi8(hits) as u32;
                while mask != 0 {
                    if !note_key(body, base + i + mask.trailing_zeros() as usize, &mut found) {
                        return None;
                    }
                    mask &= mask - 1;
                }
                if !root {
                    let quote_r = _mm256_and_si256(first, _mm256_cmpeq_epi8(v1, capital_r));
                    let mut mask = _mm256_movemask_epi8(quote_r) as u32;
                    while mask != 0 {
                        let at = base + i + mask.trailing_zeros() as usize;
                        root |= body[at..].starts_with(ROOT);
                        mask &= mask - 1;
                    }
                }
                i += SPAN;
            }
        }
        Some(Keys {
            at: found,
            text: Text {
                ascii: _mm256_movemask_epi8(all) == 0,
                backslash: _mm256_movemask_epi8(slashes) != 0,
                root,
            },
        })
    }

    /// Records a routing key starting at `at`, if one does: `false` when it is the
    /// key's second occurrence.
    fn note_key(body: &[u8], at: usize, found: &mut [Option<usize>; 3]) -> bool {
        for (slot, key) in found.iter_mut().zip(ROUTING_KEYS) {
            if body[at..].starts_with(key) {
                if slot.is_some() {
                    return false;
                }
                *slot = Some(at);
            }
        }
        true
    }
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
                user_agent: Some("Boto3/1.0"),
                root: false,
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

    /// `"Root"` is found wherever it starts: inside the pass's 32-byte blocks, at
    /// their ends, and in the last bytes, which the pass reads as a padded copy.
    #[test]
    fn the_root_type_is_found_at_every_offset() {
        for before in 0..80 {
            for after in [0, 1, 5, 31, 32, 33, 40] {
                let rec = format!(
                    r#"{{"a":"{}","userIdentity":{{"type":"Root"}},"z":"{}"}}"#,
                    "x".repeat(before),
                    "y".repeat(after)
                );
                let keys = routing_keys(rec.as_bytes()).unwrap();
                assert!(keys.text.root, "{rec}");
                assert_eq!(keys.text, Text::of(rec.as_bytes()), "{rec}");
                let role = rec.replace("Root", "Role");
                assert!(!routing_keys(role.as_bytes()).unwrap().text.root, "{role}");
            }
        }
    }

    /// The one-pass key search gives the same peek as a search per key, whatever
    /// the keys' places: near the end (the part read as a padded copy), repeated,
    /// overlapping, inside values, escaped, on texts of every length.
    #[test]
    fn one_pass_and_per_key_searches_agree() {
        let texts: Vec<Vec<u8>> = crate::detections::common::testing::sample_lines()
            .into_iter()
            .map(String::into_bytes)
            .collect();
        assert!(texts.len() > 500, "{} sample texts", texts.len());
        let inserts: [&[u8]; 13] = [
            br#""eventName":"X","#,
            br#""eventSource":"s3.amazonaws.com","#,
            br#""userAgent":"aws-cli/2","#,
            br#""eventName"eventName""#,
            br#""a":"eventSource","#,
            br#"\"userAgent\""#,
            br#""eventNam""#,
            br#""type":"Root","#,
            br#""Roo""#,
            b"  ",
            // Text the pass must notice: not ASCII, not UTF-8, a backslash.
            "é".as_bytes(),
            b"\xff",
            br"\\",
        ];
        let mut next = crate::detections::common::testing::xorshift(0x9e37_79b9_7f4a_7c15);
        let (mut cases, mut not_ascii, mut slashed, mut root) = (0, 0, 0, 0);
        for base in &texts {
            for _ in 0..8 {
                let mut t = base.clone();
                match next(4) {
                    0 => {}
                    1 => {
                        let at = next(t.len() + 1);
                        let what = inserts[next(inserts.len())];
                        t.splice(at..at, what.iter().copied());
                    }
                    2 => {
                        // Near the end, which the pass reads as a padded copy: a
                        // routing key, the root type or a byte it must notice.
                        let at = t.len().saturating_sub(next(48));
                        let what = match next(3) {
                            0 => inserts[next(3)],
                            1 => inserts[7],
                            _ => inserts[inserts.len() - 1 - next(3)],
                        };
                        t.splice(at..at, what.iter().copied());
                    }
                    _ => t.truncate(next(t.len() + 1)),
                }
                if next(2) == 0 {
                    t.insert(0, b' ');
                }
                let by_search = peek_using(&t, routing_keys_by_search);
                assert_eq!(
                    peek_using(&t, routing_keys),
                    by_search,
                    "{}",
                    String::from_utf8_lossy(&t)
                );
                // And what the pass tells of the text (ASCII, backslashes). The
                // key positions may differ where the peek gives up either way
                // (overlapping keys, which a search counts once).
                if let Some(keys) = routing_keys(&t) {
                    assert_eq!(keys.text, Text::of(&t), "{}", String::from_utf8_lossy(&t));
                    not_ascii += usize::from(!keys.text.ascii);
                    slashed += usize::from(keys.text.backslash);
                    root += usize::from(keys.text.root);
                }
                cases += 1;
            }
        }
        assert!(cases > 4_000);
        assert!(
            not_ascii > 100 && slashed > 100 && root > 100,
            "{not_ascii} {slashed} {root}"
        );
        // And the one-pass search found the keys where there are some.
        let plain = br#"{"eventSource":"s3.amazonaws.com","eventName":"GetObject","userAgent":"aws-cli/2.27.40"}"#;
        assert_eq!(
            routing_keys(plain).map(|k| k.at),
            Some([Some(34), Some(1), Some(58)])
        );
    }
}
