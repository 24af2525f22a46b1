//! Lone surrogate escapes: `\ud800` with no trailing half after it, or a
//! trailing half (`\udc00`) alone.
//!
//! JSON's grammar allows any `\uXXXX`, but such an escape names no character,
//! and serde_json refuses the text. CloudTrail values are written by whoever
//! calls the API, so one could carry such an escape (a Java string holding half
//! a pair, echoed by a service): refused whole, the record would be rejected,
//! and refused inside `requestParameters`, the value would read as absent and
//! the detections that read it would stay silent (found by a review: a decoy
//! policy statement hid a public bucket policy). Both now read the text again
//! with each lone escape replaced by `\ufffd`, the replacement character, which
//! is what a lossy UTF-16 decoder shows for it.

/// `text` with every lone surrogate escape replaced by `\ufffd`, or `None` when
/// it holds none. The replacement has the escape's length, so positions hold.
pub fn repaired(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out: Option<Vec<u8>> = None;
    let mut from = 0;
    while let Some(p) = bytes
        .get(from..)
        .and_then(|rest| memchr::memchr(b'\\', rest))
    {
        let at = from + p;
        from = match escape_at(bytes, at) {
            Some(0xD800..=0xDBFF) if matches!(escape_at(bytes, at + 6), Some(0xDC00..=0xDFFF)) => {
                at + 12
            }
            Some(0xD800..=0xDFFF) => {
                let fixed = out.get_or_insert_with(|| bytes.to_vec());
                fixed[at..at + 6].copy_from_slice(br"\ufffd");
                at + 6
            }
            Some(_) => at + 6,
            // Any other escape: skip the escaped character (so `\\u` is a
            // backslash, then `u`).
            None => at + 2,
        };
    }
    // Only ASCII bytes were replaced by ASCII bytes: still UTF-8.
    out.and_then(|b| String::from_utf8(b).ok())
}

/// `text` parsed as a JSON value, read again repaired (`event::repair`: lone
/// surrogate escapes, nesting past the limit, numbers past `f64`) when serde_json
/// refused it; `None` when it is not JSON.
/// For JSON carried inside a string (a policy, an event pattern), whose escapes
/// the record's own parse left as text.
pub fn parse_value(text: &str) -> Option<serde_json::Value> {
    serde_json::from_str(text)
        .ok()
        .or_else(|| serde_json::from_str(&super::repair::repaired(text)?).ok())
}

/// The code unit of the `\uXXXX` escape at `at`, if one is there.
fn escape_at(bytes: &[u8], at: usize) -> Option<u16> {
    let escape = bytes.get(at..at + 6)?;
    if !escape.starts_with(br"\u") || !escape[2..].iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u16::from_str_radix(std::str::from_utf8(&escape[2..]).ok()?, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lone_halves_are_replaced_and_pairs_kept() {
        assert_eq!(
            repaired(r#"{"a":"x\ud800y"}"#).as_deref(),
            Some(r#"{"a":"x\ufffdy"}"#)
        );
        assert_eq!(
            repaired(r#"{"a":"\uDC00"}"#).as_deref(),
            Some(r#"{"a":"\ufffd"}"#)
        );
        // A leading half followed by another leading half: both are lone.
        assert_eq!(
            repaired(r#""\ud800\ud800\udc00""#).as_deref(),
            Some(r#""\ufffd\ud800\udc00""#)
        );
        // At the very end of the text.
        assert_eq!(repaired(r#"\ud83d"#).as_deref(), Some(r#"\ufffd"#));
        // An escaped backslash, then a lone escape.
        assert_eq!(repaired(r#""\\\ud800""#).as_deref(), Some(r#""\\\ufffd""#));
        // Nothing to repair.
        for fine in [
            r#"{"a":"\ud83d\ude00"}"#,
            r#"{"a":"\u0041\n\\ud800"}"#,
            r#"{"a":"\\\\"}"#,
            r#"{"a":"\u00e9"}"#,
            r#"\u12"#,
            "",
        ] {
            assert_eq!(repaired(fine), None, "{fine}");
        }
    }

    #[test]
    fn the_repaired_text_parses_as_the_replacement_character() {
        let text = r#"{"s":"a\ud800b","t":"\udfff"}"#;
        assert!(serde_json::from_str::<serde_json::Value>(text).is_err());
        let v: serde_json::Value = serde_json::from_str(&repaired(text).unwrap()).unwrap();
        assert_eq!(v["s"], "a\u{FFFD}b");
        assert_eq!(v["t"], "\u{FFFD}");
        assert_eq!(parse_value(text).unwrap(), v);
        assert_eq!(parse_value(r#"{"a":1}"#).unwrap()["a"], 1);
        assert_eq!(parse_value("{not json"), None);
    }
}
