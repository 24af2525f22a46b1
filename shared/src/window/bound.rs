//! How much of one text a window keeps about a record.
//!
//! A window's DynamoDB item holds the record's context (`context.rs`) as JSON,
//! and an item holds at most 400 KB. A caller writes its own user agent, and a
//! failed call's parameters are logged as sent: uncut, an agent padded to
//! 200 KB (spelled twice, as the agent and as evidence) made every write of a
//! burst's observations fail, so each invocation failed on every retry and the
//! burst was never reported. So each text field and each evidence value of a
//! context is kept to [`MAX_KEPT_JSON_BYTES`] as JSON, cut with the mark beyond:
//! in memory as in DynamoDB, so both stores give the same findings. Real agents,
//! ARNs and parameters are far shorter and kept whole.

use std::borrow::Cow;

use serde_json::Value;

use crate::sanitize::CUT_MARK;

/// The most one field or evidence value of a context takes as JSON, mark
/// included. Twelve fields and a detection's few evidence values stay far
/// below an item's 400 KB however each is written.
pub(super) const MAX_KEPT_JSON_BYTES: usize = 4 * 1024;

/// The bytes `c` takes inside a JSON string as serde_json writes it.
fn escaped_len(c: char) -> usize {
    match c {
        '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
        '\0'..='\u{1f}' => 6,
        c => c.len_utf8(),
    }
}

/// `s`, or its start and the mark when it takes more than [`MAX_KEPT_JSON_BYTES`]
/// inside a JSON string.
pub(super) fn text(s: &str) -> Cow<'_, str> {
    // No character takes more than six bytes escaped: short text needs no walk
    // (nearly every field of a real record).
    if s.len() * 6 <= MAX_KEPT_JSON_BYTES {
        return Cow::Borrowed(s);
    }
    let room = MAX_KEPT_JSON_BYTES - CUT_MARK.len();
    let mut taken = 0;
    let mut cut_at = None;
    for (i, c) in s.char_indices() {
        if cut_at.is_none() && taken + escaped_len(c) > room {
            cut_at = Some(i);
        }
        taken += escaped_len(c);
        if taken > MAX_KEPT_JSON_BYTES {
            let end = cut_at.unwrap_or(i);
            return Cow::Owned(format!("{}{CUT_MARK}", &s[..end]));
        }
    }
    Cow::Borrowed(s)
}

/// An upper bound on the bytes `v` takes as JSON, counted until it passes `max`.
fn may_exceed(v: &Value, max: usize) -> bool {
    fn add(v: &Value, total: &mut usize, max: usize) -> bool {
        *total += match v {
            Value::String(s) => s.len() * 6 + 2,
            Value::Array(items) => {
                for item in items {
                    if add(item, total, max) {
                        return true;
                    }
                    *total += 1;
                }
                2
            }
            Value::Object(map) => {
                for (k, item) in map {
                    *total += k.len() * 6 + 4;
                    if add(item, total, max) {
                        return true;
                    }
                }
                2
            }
            // A number takes at most 24 bytes, `false` five.
            _ => 24,
        };
        *total > max
    }
    add(v, &mut 0, max)
}

/// `v` as a context keeps it: a string as [`text`] keeps it; a list or object
/// taking more than [`MAX_KEPT_JSON_BYTES`] as JSON becomes its JSON text, cut.
pub(super) fn value(v: Value) -> Value {
    match v {
        Value::String(s) => match text(&s) {
            Cow::Borrowed(_) => Value::String(s),
            Cow::Owned(cut) => Value::String(cut),
        },
        v @ (Value::Array(_) | Value::Object(_)) if may_exceed(&v, MAX_KEPT_JSON_BYTES) => {
            let json = v.to_string();
            if json.len() <= MAX_KEPT_JSON_BYTES {
                v
            } else {
                Value::String(text(&json).into_owned())
            }
        }
        v => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json_len(v: &Value) -> usize {
        v.to_string().len()
    }

    #[test]
    fn real_text_is_kept_whole() {
        let agent = "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) \
                     terraform-provider-aws/5.80.0 aws-sdk-go-v2/1.32.6 os/linux lang/go#1.23.3";
        assert!(matches!(text(agent), Cow::Borrowed(a) if a == agent));
        // Up to the limit as JSON, even past the walk-free length.
        let whole = "é".repeat(MAX_KEPT_JSON_BYTES / 2);
        assert!(matches!(text(&whole), Cow::Borrowed(_)));
    }

    #[test]
    fn long_text_is_cut_to_the_limit_as_json_on_a_char_boundary() {
        for unit in ["x", "é", "\u{1}", "\"", "😀"] {
            let long = unit.repeat(200 * 1024);
            let kept = text(&long);
            assert!(kept.ends_with(CUT_MARK), "{unit:?}");
            let as_json = json_len(&Value::String(kept.to_string()));
            // Within the limit, and no more than one character short of it.
            assert!(as_json - 2 <= MAX_KEPT_JSON_BYTES, "{unit:?}: {as_json}");
            assert!(as_json - 2 > MAX_KEPT_JSON_BYTES - 7, "{unit:?}: {as_json}");
            // Cutting again keeps it as it is.
            assert_eq!(text(&kept), kept);
        }
    }

    #[test]
    fn values_past_the_limit_are_cut_and_small_ones_kept() {
        let small = serde_json::json!({"names": ["a", "b"], "count": 2});
        assert_eq!(value(small.clone()), small);
        let long_list = Value::Array(
            (0..5_000)
                .map(|i| Value::String(format!("name-{i}")))
                .collect(),
        );
        let kept = value(long_list);
        let Value::String(s) = &kept else {
            panic!("{kept:.60}")
        };
        assert!(s.starts_with(r#"["name-0","name-1""#) && s.ends_with(CUT_MARK));
        assert!(json_len(&kept) - 2 <= MAX_KEPT_JSON_BYTES);
        // A list just under the bound's estimate but over the limit as JSON of
        // control characters is cut too.
        let controls = serde_json::json!(["\u{1}".repeat(800)]);
        assert!(json_len(&value(controls)) - 2 <= MAX_KEPT_JSON_BYTES);
        assert_eq!(value(Value::from(7)), Value::from(7));
    }
}
