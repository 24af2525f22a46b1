//! Making attacker-controlled text safe to show.
//!
//! CloudTrail fields (user agents, names, request parameters, error messages) are
//! written by whoever makes the API call. Before such text reaches an e-mail
//! subject, a text body or a terminal it loses every control character (newlines
//! that would fake a second header line, ANSI escapes that would repaint a
//! terminal), every bidirectional override (which reorders what a reader sees), and
//! its length beyond a cap, with a visible mark. JSON output keeps original values:
//! a JSON encoder escapes them itself.

/// The mark that replaces a removed run of characters or the cut tail.
pub const CUT_MARK: &str = "…[truncated]";

/// Returns `text` on one line, with control, format and bidi characters replaced by
/// `?` (visible, so tampering shows), cut to at most `max_chars` characters.
pub fn one_line(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars + CUT_MARK.len()));
    for (count, c) in text.chars().enumerate() {
        if count == max_chars {
            out.push_str(CUT_MARK);
            return out;
        }
        out.push(if is_unsafe(c) { '?' } else { c });
    }
    out
}

/// True for characters that must never reach a subject, a text body or a terminal.
pub fn is_unsafe(c: char) -> bool {
    // Controls (C0, DEL, C1), and every format character (Unicode category Cf):
    // bidi marks, embeddings, overrides and isolates, zero-width characters, the
    // invisible tag characters that can spell hidden text. Plus the line and
    // paragraph separators, which end a line in some viewers.
    c.is_control()
        || matches!(c,
            '\u{00AD}'                     // soft hyphen
            | '\u{0600}'..='\u{0605}' | '\u{061C}' | '\u{06DD}' | '\u{070F}'
            | '\u{0890}'..='\u{0891}' | '\u{08E2}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'       // zero-width and directional marks
            | '\u{2028}' | '\u{2029}'       // line and paragraph separators
            | '\u{202A}'..='\u{202E}'       // bidi embeddings and overrides
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'       // bidi isolates, deprecated format controls
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}' | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}' | '\u{E0020}'..='\u{E007F}') // tag characters
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_what_could_forge_or_repaint() {
        let hostile = "bob\n[HIGH] forged finding\r\x1b[31mred\x1b[0m \u{202E}gnp.exe\u{0085}";
        let safe = one_line(hostile, 200);
        assert!(!safe.chars().any(is_unsafe), "{safe:?}");
        assert!(!safe.contains('\n') && !safe.contains('\x1b'));
        assert!(safe.starts_with("bob?[HIGH]"));
    }

    #[test]
    fn caps_length_with_a_mark() {
        let long = "a".repeat(1_000_000);
        let s = one_line(&long, 100);
        assert_eq!(s.chars().count(), 100 + CUT_MARK.chars().count());
        assert!(s.ends_with(CUT_MARK));
        assert_eq!(one_line("short", 100), "short");
        assert_eq!(one_line(&"é".repeat(10), 10), "é".repeat(10));
    }
}
