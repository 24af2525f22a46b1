//! Reading again a text serde_json refused for its form rather than its content:
//! lone surrogate escapes (`event::surrogates`) and values nested past its
//! recursion limit (`event::nesting`). Both are written by callers of the API,
//! and refusing the record for them would hide its call from every detection.

use super::{nesting, surrogates};

/// `text` with lone surrogate escapes replaced by `\ufffd` and values opening
/// deeper than [`nesting::KEEP`] levels cut; `None` when it holds neither.
pub fn repaired(text: &str) -> Option<String> {
    let fixed = surrogates::repaired(text);
    let text = fixed.as_deref().unwrap_or(text);
    nesting::cut_deeper_than(text, nesting::KEEP).or(fixed)
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
}
