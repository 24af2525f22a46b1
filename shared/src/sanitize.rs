//! Making attacker-controlled text safe to show.
//!
//! CloudTrail fields (user agents, names, request parameters, error messages) are
//! written by whoever makes the API call. Before such text reaches an e-mail
//! subject, a text body or a terminal it loses every control character (newlines
//! that would fake a second header line, ANSI escapes that would repaint a
//! terminal), every bidirectional override (which reorders what a reader sees), and
//! its length beyond a cap, with a visible mark. JSON output keeps original values:
//! a JSON encoder escapes the ASCII controls itself, and [`json_line`] the rest
//! of what could act on a terminal or a viewer (C1 controls, bidi and invisible
//! characters) or break line readers and queues, as `\uXXXX` escapes that mean
//! the same characters to any JSON reader.

mod marks;

/// The mark that replaces a removed run of characters or the cut tail.
pub const CUT_MARK: &str = "…[truncated]";

/// Returns `text` on one line, with control, format and bidi characters replaced by
/// `?` (visible, so tampering shows), cut to at most `max_chars` characters. A
/// character keeps at most [`MAX_STACKED_MARKS`] combining marks in a row; the
/// rest of the run becomes one `?`.
pub fn one_line(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars + CUT_MARK.len()));
    // Marks before any letter have none to sit on but the text before the value
    // (our quote or backtick): counted as a full stack, they become one `?`.
    let mut marks_in_a_row = MAX_STACKED_MARKS;
    for (count, c) in text.chars().enumerate() {
        if count == max_chars {
            out.push_str(CUT_MARK);
            return out;
        }
        marks_in_a_row = if is_stacking_mark(c) {
            marks_in_a_row + 1
        } else {
            0
        };
        match marks_in_a_row {
            0..=MAX_STACKED_MARKS => out.push(if is_unsafe(c) { '?' } else { c }),
            n if n == MAX_STACKED_MARKS + 1 => out.push('?'),
            _ => {}
        }
    }
    out
}

/// [`one_line`] with every run of blank characters (white space, and the blank
/// Braille pattern and the null notehead, which draw nothing and pad as well)
/// written as one space: a value padded to the width of a line cannot wrap into
/// a line of its own that reads as one of ours, in a terminal's text output, an
/// e-mail or a chat post.
pub fn compact_line(text: &str, max_chars: usize) -> String {
    // Blanks collapse before the cap, so that padding cannot push what follows
    // it out; one character past the cap is kept for `one_line` to mark the cut.
    let mut collapsed = String::with_capacity(text.len().min(max_chars + 1));
    let mut kept = 0;
    let mut blank_run = false;
    for c in text.chars() {
        if is_blank(c) {
            blank_run = kept > 0;
            continue;
        }
        if kept > max_chars {
            break;
        }
        if blank_run {
            collapsed.push(' ');
            kept += 1;
            blank_run = false;
        }
        collapsed.push(c);
        kept += 1;
    }
    one_line(&collapsed, max_chars)
}

/// The widest line [`hanging_lines`] writes, where it can: under what mail
/// clients and narrow terminals wrap.
pub const LINE_COLUMNS: usize = 76;

/// Writes `prefix` and `value` (already made one line), wrapped at
/// [`LINE_COLUMNS`] (and at least 40 columns of value a line) under a
/// hanging indent: every line after the first starts with as many spaces as
/// the prefix is wide. A long value is never soft-wrapped by a mail client or
/// terminal, so none of its text reaches the first column, where our header
/// line (`[HIGH] Title (id)`) starts (from a review: a user agent of 65
/// characters and a fake header, folded at 80 columns, read as a finding of
/// its own). Breaks at a space in the second half of a line, else after a `/`,
/// `:`, `,`, `|`, `&` or `=` there (between an ARN's parts), else anywhere.
/// Widths are counted as a terminal may draw them, at most: two columns for
/// any character beyond ASCII (a wide CJK character or an emoji takes two;
/// from a review, 76 of them folded an 80-column terminal), so text beyond
/// ASCII wraps sooner than it must, never later.
pub fn hanging_lines(out: &mut String, prefix: &str, value: &str) {
    let indent = prefix.chars().count();
    let room = LINE_COLUMNS.saturating_sub(indent).max(40);
    let width = |c: char| if c.is_ascii() { 1 } else { 2 };
    let mut rest = value;
    let mut lead = prefix.to_owned();
    loop {
        // The byte where the line's room ends: the first character that
        // would not fit.
        let mut used = 0;
        let end = rest
            .char_indices()
            .find(|&(_, c)| {
                used += width(c);
                used > room
            })
            .map(|(at, _)| at);
        let cut = match end {
            None => rest.len(),
            // At least one character a line, whatever its width.
            Some(0) => rest.chars().next().map_or(0, char::len_utf8),
            Some(end) => {
                let in_second_half =
                    |at: &usize| rest[..*at].chars().map(width).sum::<usize>() >= room / 2;
                rest[..end]
                    .rfind(' ')
                    .filter(in_second_half)
                    // Else after a separator of an ARN, a path or a list, so that
                    // an ARN breaks between its parts, not inside a name (from a
                    // review: `...analyzer/org-a` / `nalyzer`).
                    .or_else(|| {
                        rest[..end]
                            .rfind(['/', ':', ',', '|', '&', '='])
                            .map(|at| at + 1)
                            .filter(in_second_half)
                    })
                    .unwrap_or(end)
            }
        };
        let (line, tail) = rest.split_at(cut);
        out.push_str(&lead);
        out.push_str(line.trim_end());
        out.push('\n');
        rest = tail.trim_start_matches(' ');
        if rest.is_empty() {
            return;
        }
        lead = " ".repeat(indent);
    }
}

/// White space that is not a control (which [`one_line`] shows as `?`, so that
/// tampering shows) nor otherwise unsafe, and the blank Braille pattern and the
/// null notehead, which draw nothing and pad as well.
fn is_blank(c: char) -> bool {
    (c.is_whitespace() && !is_unsafe(c)) || matches!(c, '\u{2800}' | '\u{1D159}')
}

/// [`compact_line`] for a plain-text body that a mail client renders: `://` is
/// written `[:]//`, `www.` (in any letter case) `www[.]` and `mailto:`
/// `mailto[:]`, the marks mail clients make links from, so that a URL in a
/// record is not a link beside our console links. A bare domain name or address
/// may still be made a link by some clients.
pub fn defanged_line(text: &str, max_chars: usize) -> String {
    let line = compact_line(text, max_chars).replace("://", "[:]//");
    let mut out = String::with_capacity(line.len() + 8);
    let mut rest = line.as_str();
    while !rest.is_empty() {
        let mark = ["www.", "mailto:"].into_iter().find(|m| {
            rest.get(..m.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(m))
        });
        match mark {
            Some(m) => {
                let (head, tail) = rest.split_at(m.len());
                // `www.` -> `www[.]`, `mailto:` -> `mailto[:]`, letter case kept.
                let (word, sign) = head.split_at(m.len() - 1);
                out.push_str(word);
                out.push('[');
                out.push_str(sign);
                out.push(']');
                rest = tail;
            }
            None => {
                let c = rest.chars().next().unwrap_or_default();
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    out
}

/// Combining marks one character keeps in a row ([`one_line`]): enough for any
/// written language's accents, too few to draw a tower of marks over the lines
/// around it in a chat client or a console.
pub const MAX_STACKED_MARKS: usize = 3;

/// A combining mark of any script (`marks.rs`, Unicode categories Mn and Me):
/// text generators stack them without limit, and a list of the usual blocks
/// left others (Cyrillic Extended-A, Vedic, Tibetan, musical symbols) to draw
/// towers with.
fn is_stacking_mark(c: char) -> bool {
    marks::is_combining_mark(c)
}

/// True for characters that must never reach a subject, a text body or a terminal.
pub fn is_unsafe(c: char) -> bool {
    // Controls (C0, DEL, C1), and every format character (Unicode category Cf):
    // bidi marks, embeddings, overrides and isolates, zero-width characters, the
    // invisible tag characters that can spell hidden text. Plus the line and
    // paragraph separators, which end a line in some viewers; the rest of
    // Unicode's default-ignorable code points, which show as nothing (variation
    // selectors and fillers can spell hidden text as well as tags can); and the
    // noncharacters, which some message queues refuse.
    c.is_control()
        || is_noncharacter(c)
        || matches!(c,
            '\u{00AD}'                     // soft hyphen
            | '\u{034F}'                   // combining grapheme joiner
            | '\u{0600}'..='\u{0605}' | '\u{061C}' | '\u{06DD}' | '\u{070F}'
            | '\u{0890}'..='\u{0891}' | '\u{08E2}'
            | '\u{115F}' | '\u{1160}'      // Hangul fillers
            | '\u{17B4}' | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'       // Mongolian variation selectors
            | '\u{200B}'..='\u{200F}'       // zero-width and directional marks
            | '\u{2028}' | '\u{2029}'       // line and paragraph separators
            | '\u{202A}'..='\u{202E}'       // bidi embeddings and overrides
            | '\u{2060}'..='\u{206F}'       // word joiner, invisible operators, isolates
            | '\u{3164}' | '\u{FFA0}'       // Hangul fillers
            | '\u{FE00}'..='\u{FE0F}'       // variation selectors
            | '\u{FEFF}'
            | '\u{FFF0}'..='\u{FFFB}'
            | '\u{110BD}' | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}') // tags, variation selectors supplement
}

/// `json` (text serde_json wrote) with every non-ASCII character [`is_unsafe`]
/// names, and DEL, written as `\\uXXXX` escapes (a pair of them above the first
/// plane). serde_json escapes only the ASCII controls and writes the rest as they
/// are, and only inside strings, where an escape means the same character. Left
/// raw they would act where the JSON is read: the line separators U+0085, U+2028
/// and U+2029 split lines for some readers, cutting a JSON line in two; SQS
/// refuses noncharacters such as U+FFFF; the C1 control U+009B starts an escape
/// sequence that repaints a terminal showing `replay --format jsonl`; and bidi
/// overrides and invisible characters make a value read as another in a SIEM's
/// viewer.
pub fn json_line(json: String) -> String {
    if !json.chars().any(json_hazard) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if json_hazard(c) {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// ASCII is left to serde_json: it escapes the C0 controls, and outside strings
/// (pretty-printed output) a newline is structure.
fn json_hazard(c: char) -> bool {
    u32::from(c) >= 0x7F && is_unsafe(c)
}

/// Unicode's noncharacters: U+FDD0..U+FDEF and the last two code points of
/// every plane.
fn is_noncharacter(c: char) -> bool {
    let u = u32::from(c);
    (0xFDD0..=0xFDEF).contains(&u) || u & 0xFFFE == 0xFFFE
}

#[cfg(test)]
mod tests {

    /// Long values wrap under their column, wide characters counted as two
    /// columns, nothing lost but the blanks at a break, never a line empty.
    #[test]
    fn hanging_lines_wrap_under_the_value_column() {
        let width = |l: &str| {
            l.chars()
                .map(|c| if c.is_ascii() { 1 } else { 2 })
                .sum::<usize>()
        };
        for value in [
            "Mozilla/5.0-(X11;Linux-x86_64)AppleWebKit/537.36-x[LOW] AWS CloudWatch Alarm Deletion (cloudwatch-alarm-deletion)".to_owned(),
            "警報".repeat(60),
            "🚨".repeat(90),
            format!("{} {}", "a".repeat(100), "é".repeat(50)),
            "short".to_owned(),
            String::new(),
        ] {
            let mut out = String::new();
            hanging_lines(&mut out, "  user agent   ", &value);
            let lines: Vec<&str> = out.lines().collect();
            assert!(lines[0].starts_with("  user agent   "), "{out}");
            for l in &lines[1..] {
                assert!(l.starts_with(&" ".repeat(15)) && !l[15..].starts_with(' '), "{out}");
            }
            for l in &lines {
                assert!(width(l) <= LINE_COLUMNS, "{} columns: {l}", width(l));
            }
            let joined: String = lines.iter().map(|l| &l[15..]).collect::<String>().replace(' ', "");
            assert_eq!(joined, value.replace(' ', ""));
        }
        // An ARN breaks between its parts, not inside a name (from a review).
        let arn = "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_PlatformAdministrators_0123456789abcdef/first.last@example.com";
        let mut out = String::new();
        hanging_lines(&mut out, "  actor key       ", arn);
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines.len() > 1, "{out}");
        for l in &lines[..lines.len() - 1] {
            assert!(l.ends_with('/') || l.ends_with(':'), "{out}");
        }
        let joined: String = lines
            .iter()
            .map(|l| &l["  actor key       ".len()..])
            .collect();
        assert_eq!(joined, arn);
    }
    use super::*;

    #[test]
    fn strips_what_could_forge_or_repaint() {
        let hostile = "bob\n[HIGH] forged finding\r\x1b[31mred\x1b[0m \u{202E}gnp.exe\u{0085}";
        let safe = one_line(hostile, 200);
        assert!(!safe.chars().any(is_unsafe), "{safe:?}");
        assert!(!safe.contains('\n') && !safe.contains('\x1b'));
        assert!(safe.starts_with("bob?[HIGH]"));
    }

    /// Stacked combining marks (text drawn over the lines around it) keep three;
    /// accents are untouched.
    #[test]
    fn towers_of_combining_marks_are_cut_to_three() {
        let tower = format!("a{}b", "\u{0336}\u{0489}".repeat(60));
        assert_eq!(one_line(&tower, 1000), "a\u{0336}\u{0489}\u{0336}?b");
        let accents = "Jose\u{0301} and Zoe\u{0308}\u{0301}";
        assert_eq!(one_line(accents, 1000), accents);
        // From a review: marks before any letter would sit on our delimiter.
        assert_eq!(one_line("\u{0336}\u{0336}admin", 1000), "?admin");
        // Thai tone marks, Arabic vowel marks, Hebrew points, Devanagari signs;
        // from a review, marks of blocks a list of the usual ones had left out
        // (Cyrillic Extended-A here; `marks.rs` tests the table's other blocks).
        for mark in ['\u{0E48}', '\u{064E}', '\u{05B8}', '\u{0941}', '\u{2DE0}'] {
            let tower = format!("x{}y", mark.to_string().repeat(80));
            assert_eq!(
                one_line(&tower, 1000),
                format!("x{mark}{mark}{mark}?y"),
                "{mark:?}"
            );
        }
        // What the scripts write stays: a Thai syllable with vowel and tone
        // marks, an Arabic letter with shadda and a vowel, a Hebrew shin with
        // dagesh, shin dot and qamats, a Devanagari letter with nukta, vowel
        // sign and anusvara.
        for word in [
            "\u{0E01}\u{0E34}\u{0E48}",
            "\u{0628}\u{0651}\u{064E}",
            "\u{05E9}\u{05BC}\u{05C1}\u{05B8}",
            "\u{0921}\u{093C}\u{0941}\u{0902}",
        ] {
            assert_eq!(one_line(word, 1000), word);
        }
    }

    /// Characters that show as nothing can spell hidden text (variation
    /// selectors, fillers, tags); noncharacters break some queues.
    #[test]
    fn invisible_and_noncharacters_become_marks() {
        for c in [
            '\u{FE00}',
            '\u{FE0F}',
            '\u{E0100}',
            '\u{E01EF}',
            '\u{E0041}',
            '\u{3164}',
            '\u{115F}',
            '\u{1160}',
            '\u{FFA0}',
            '\u{034F}',
            '\u{17B4}',
            '\u{180B}',
            '\u{2065}',
            '\u{FFFF}',
            '\u{FFFE}',
            '\u{FDD0}',
            '\u{1FFFF}',
            '\u{10FFFE}',
        ] {
            assert!(is_unsafe(c), "U+{:04X}", u32::from(c));
            assert_eq!(one_line(&format!("a{c}b"), 10), "a?b");
        }
        for c in [
            'a',
            'é',
            '\u{FDCF}',
            '\u{FDF0}',
            '\u{FFFD}',
            '\u{1F600}',
            '\u{2800}',
            '\u{4E2D}',
        ] {
            assert!(!is_unsafe(c), "U+{:04X}", u32::from(c));
        }
    }

    #[test]
    fn json_lines_escape_line_separators_and_noncharacters() {
        let v =
            serde_json::json!({"a": "x\u{2028}y\u{2029}z\u{85}\u{FFFF}\u{FFFE}\u{FDD0}é\u{1F600}"});
        let line = json_line(v.to_string());
        assert_eq!(
            line,
            r#"{"a":"x\u2028y\u2029z\u0085\uffff\ufffe\ufdd0é😀"}"#
        );
        assert_eq!(serde_json::from_str::<serde_json::Value>(&line).unwrap(), v);
        assert!(!line.chars().any(json_hazard));
        let plain = r#"{"a":"b"}"#.to_owned();
        assert_eq!(json_line(plain.clone()), plain);
    }

    /// From a review: what a record could make act on a terminal or a viewer
    /// reading the JSON output is escaped, and reads back as the same value.
    #[test]
    fn json_lines_escape_terminal_controls_bidi_and_invisible_characters() {
        let v = serde_json::json!({
            "userAgent": "aws-cli/2\u{9b}3F\u{9b}0J\u{7f}",
            "userName": "eve\u{202E}nimda\u{2066}x\u{2069}",
            "hidden": "a\u{200B}b\u{E0041}c\u{FE0F}",
        });
        let line = json_line(v.to_string());
        assert!(line.is_ascii(), "{line}");
        for escape in [
            r"\u009b",
            r"\u007f",
            r"\u202e",
            r"\u2066",
            r"\u200b",
            r"\udb40\udc41",
            r"\ufe0f",
        ] {
            assert!(line.contains(escape), "{escape} in {line}");
        }
        assert_eq!(serde_json::from_str::<serde_json::Value>(&line).unwrap(), v);
        // Pretty-printed JSON keeps its structure.
        let pretty = serde_json::to_string_pretty(&v).unwrap();
        assert_eq!(
            json_line(pretty.clone()).lines().count(),
            pretty.lines().count()
        );
    }

    /// From a review: padding of any blank character is one space (no wrap
    /// into a fake line of ours), and link marks in any letter case are broken.
    #[test]
    fn blank_runs_collapse_and_link_marks_break_in_any_case() {
        let padded = format!("aws-cli/2{}  disposition  suppressed", " ".repeat(60));
        assert_eq!(
            compact_line(&padded, 300),
            "aws-cli/2 disposition suppressed"
        );
        let notes = format!("x{}y", "\u{1D159}\u{2800}".repeat(80));
        assert_eq!(compact_line(&notes, 300), "x y");
        // The cap counts what shows; controls still show as marks.
        let long = format!("a{}b c", " ".repeat(500));
        assert_eq!(compact_line(&long, 5), "a b c");
        assert_eq!(compact_line(&long, 4), format!("a b {CUT_MARK}"));
        assert_eq!(compact_line(" \tx\ny\u{3000}\u{3000}z ", 10), "?x?y z");
        assert_eq!(
            defanged_line("see Www.evil.example, wWw.x and MailTo:a@b https://c", 300),
            "see Www[.]evil.example, wWw[.]x and MailTo[:]a@b https[:]//c"
        );
        assert_eq!(defanged_line("é www", 300), "é www");
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
