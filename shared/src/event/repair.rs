//! Reading again a text serde_json refused for its form rather than its content:
//! lone surrogate escapes (`event::surrogates`), values nested past its
//! recursion limit (`event::nesting`) and numbers past `f64`'s range (`1e400`).
//! All are written by callers of the API, and refusing the record, or reading a
//! nested value as absent, for them would hide the call from the detections.

use super::{nesting, surrogates};

/// `text` with lone surrogate escapes replaced by `\ufffd`, values opening
/// deeper than [`nesting::KEEP`] levels cut, and numbers out of `f64`'s range
/// written as strings; `None` when it holds none of them.
pub fn repaired(text: &str) -> Option<String> {
    let fixed = surrogates::repaired(text);
    let fixed = match nesting::cut_deeper_than(fixed.as_deref().unwrap_or(text), nesting::KEEP) {
        Some(cut) => Some(cut),
        None => fixed,
    };
    match huge_numbers_quoted(fixed.as_deref().unwrap_or(text)) {
        Some(quoted) => Some(quoted),
        None => fixed,
    }
}

/// `text` with each number outside strings that `f64` cannot hold (serde_json
/// refuses it: "number out of range") written as a string of its digits; `None`
/// when there is none. Found by a review: `"MaxEntries": 1e400` left a request's
/// parameters unreadable.
fn huge_numbers_quoted(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out: Option<Vec<u8>> = None;
    let (mut copied, mut at) = (0, 0);
    let mut walk = nesting::Walk::default();
    while let Some(&b) = bytes.get(at) {
        // A number holds no quote or bracket: the walk need not see its bytes.
        if !walk.in_string() && (b == b'-' || b.is_ascii_digit()) {
            let end = at
                + bytes[at..]
                    .iter()
                    .take_while(|c| {
                        c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'e' | b'E')
                    })
                    .count();
            // Only ASCII was taken: the slice is on character boundaries.
            let token = &text[at..end];
            if token.parse::<f64>().is_ok_and(f64::is_infinite) {
                let buf = out.get_or_insert_with(|| Vec::with_capacity(bytes.len() + 8));
                buf.extend_from_slice(&bytes[copied..at]);
                buf.push(b'"');
                buf.extend_from_slice(token.as_bytes());
                buf.push(b'"');
                copied = end;
            }
            at = end;
            continue;
        }
        walk.step(b);
        at += 1;
    }
    let mut buf = out?;
    buf.extend_from_slice(&bytes[copied..]);
    String::from_utf8(buf).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repairs_both_at_once_and_nothing_else() {
        let text = format!(
            r#"{{"a":"\udc00","b":{}1{}}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        let fixed = repaired(&text).unwrap();
        let v: serde_json::Value = serde_json::from_str(&fixed).unwrap();
        assert_eq!(v["a"], "\u{FFFD}");
        assert!(fixed.contains(nesting::CUT));
        assert_eq!(repaired(r#"{"a":"\ud800\udc00","b":[[1]]}"#), None);
    }

    #[test]
    fn numbers_past_f64_become_strings_and_others_stay() {
        let text = r#"{"MaxEntries":1e400,"n":-2E+999,"ok":[1,2.5,-3e10,123456789012345678901234567890],"s":"1e400"}"#;
        assert!(serde_json::from_str::<serde_json::Value>(text).is_err());
        let fixed = repaired(text).unwrap();
        let v: serde_json::Value = serde_json::from_str(&fixed).unwrap();
        assert_eq!(v["MaxEntries"], "1e400");
        assert_eq!(v["n"], "-2E+999");
        assert_eq!(v["ok"][1], 2.5);
        assert_eq!(v["s"], "1e400");
        assert_eq!(repaired(r#"{"a":[1e300,"x\"1e999"]}"#), None);
    }
}
