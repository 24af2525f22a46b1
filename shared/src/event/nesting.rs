//! How deep a JSON text nests its arrays and objects, and cutting what nests too
//! deep.
//!
//! serde_json refuses a text nested more than 128 levels deep (its recursion
//! limit, which keeps a hostile text from overflowing the stack). CloudTrail
//! values are written by whoever calls the API, so a caller could hang a deep
//! value on a call (an extra request member of a free-form type) to have the
//! whole record refused: a `StopLogging` no detection would see (found by a
//! review). Such a record is read again with each value that starts too deep
//! replaced by the string [`CUT`] (`event::repair`): every field a detection
//! reads lies within the first few levels.

/// What a value nested too deep is replaced by: a JSON string, quotes included.
pub const CUT: &str = "\"(cut: nested too deep)\"";

/// How many levels a record's text keeps when it is read again: well under
/// serde_json's 128, with room for an EventBridge envelope around the record.
pub const KEEP: usize = 64;

/// True when the JSON text nests arrays and objects more than `limit` deep.
pub fn deeper_than(json: &str, limit: usize) -> bool {
    // Nesting is never deeper than the count of opening brackets, and almost no
    // value has that many: counting them is a fraction of walking the text.
    let opening = json.bytes().filter(|b| matches!(b, b'[' | b'{')).count();
    if opening <= limit {
        return false;
    }
    let mut depth = 0usize;
    let mut walk = Walk::default();
    for &b in json.as_bytes() {
        match walk.step(b) {
            Some(Bracket::Open) => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            Some(Bracket::Close) => depth = depth.saturating_sub(1),
            None => {}
        }
    }
    false
}

/// `json` with every array or object that opens deeper than `keep` levels
/// replaced by [`CUT`]; `None` when none is that deep, or when one never closes
/// (the text is broken anyway, and its own error says where).
pub fn cut_deeper_than(json: &str, keep: usize) -> Option<String> {
    if !deeper_than(json, keep) {
        return None;
    }
    let bytes = json.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let (mut copied, mut depth, mut at) = (0, 0usize, 0);
    let mut walk = Walk::default();
    while let Some(&b) = bytes.get(at) {
        match walk.step(b) {
            Some(Bracket::Open) if depth == keep => {
                let end = closing(bytes, at)?;
                out.extend_from_slice(&bytes[copied..at]);
                out.extend_from_slice(CUT.as_bytes());
                copied = end + 1;
                at = end + 1;
                continue;
            }
            Some(Bracket::Open) => depth += 1,
            Some(Bracket::Close) => depth = depth.saturating_sub(1),
            None => {}
        }
        at += 1;
    }
    out.extend_from_slice(&bytes[copied..]);
    // Only whole ASCII-delimited values were replaced: still UTF-8.
    String::from_utf8(out).ok()
}

/// The index of the bracket that closes the one at `open`, strings skipped.
fn closing(bytes: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut walk = Walk::default();
    for (i, &b) in bytes.iter().enumerate().skip(open) {
        match walk.step(b) {
            Some(Bracket::Open) => depth += 1,
            Some(Bracket::Close) => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            None => {}
        }
    }
    None
}

pub(super) enum Bracket {
    Open,
    Close,
}

/// A byte-by-byte walk of JSON text that tells brackets outside strings.
#[derive(Default)]
pub(super) struct Walk {
    in_string: bool,
    escaped: bool,
}

impl Walk {
    /// The last byte stepped over was inside a string (or its closing quote
    /// not yet seen).
    pub(super) fn in_string(&self) -> bool {
        self.in_string
    }

    pub(super) fn step(&mut self, b: u8) -> Option<Bracket> {
        if self.in_string {
            match b {
                _ if self.escaped => self.escaped = false,
                b'\\' => self.escaped = true,
                b'"' => self.in_string = false,
                _ => {}
            }
            return None;
        }
        match b {
            b'"' => self.in_string = true,
            b'[' | b'{' => return Some(Bracket::Open),
            b']' | b'}' => return Some(Bracket::Close),
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brackets_inside_strings_do_not_count() {
        assert!(!deeper_than(r#"["[[[[", "\"{{{{"]"#, 1));
        assert!(deeper_than("[[]]", 1));
        assert!(!deeper_than("[[]]", 2));
    }

    #[test]
    fn values_opening_past_the_kept_levels_become_the_marker() {
        let text = r#"{"a":{"b":[1,{"c":"]}"}],"d":[[]]},"e":{"f":2}}"#;
        assert_eq!(cut_deeper_than(text, 4), None);
        assert_eq!(
            cut_deeper_than(text, 2).unwrap(),
            format!(r#"{{"a":{{"b":{CUT},"d":{CUT}}},"e":{{"f":2}}}}"#)
        );
        let cut = cut_deeper_than(text, 1).unwrap();
        assert_eq!(cut, format!(r#"{{"a":{CUT},"e":{CUT}}}"#));
        serde_json::from_str::<serde_json::Value>(&cut).unwrap();
    }

    #[test]
    fn a_hundred_thousand_levels_are_cut_without_recursion() {
        let deep = format!(
            r#"{{"x":{}0{},"name":"t"}}"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let cut = cut_deeper_than(&deep, KEEP).unwrap();
        let v: serde_json::Value = serde_json::from_str(&cut).unwrap();
        assert_eq!(v["name"], "t");
        let mut x = &v["x"];
        // `x` is the second level; the 64th's item is the cut.
        for _ in 2..KEEP {
            x = &x[0];
        }
        assert_eq!(
            x[0],
            serde_json::Value::String("(cut: nested too deep)".into())
        );
    }

    #[test]
    fn unclosed_text_is_left_to_its_own_error() {
        assert_eq!(cut_deeper_than(&"[".repeat(100), 64), None);
    }
}
