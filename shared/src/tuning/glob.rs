//! Globs for `[suppress.match]` values: `*` matches any run of characters (also
//! none), `?` exactly one character, `\` makes the next `*`, `?` or `\` literal;
//! everything else matches itself, case-sensitively. A pattern without wildcards is
//! an exact comparison.

/// One compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    text: String,
    tokens: Vec<Token>,
    /// No wildcard: compare `literal` with the whole text.
    literal: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Char(char),
    One,
    Any,
}

/// Patterns longer than this are refused: CloudTrail values are short, and the
/// matcher's worst case grows with pattern length times text length.
pub const MAX_GLOB_CHARS: usize = 1024;

impl Glob {
    /// Compiles `pattern`, or says what is wrong with it.
    pub fn new(pattern: &str) -> Result<Glob, String> {
        if pattern.is_empty() {
            return Err(
                "empty pattern (a missing field never matches; to match any value use \"*\")"
                    .into(),
            );
        }
        if pattern.chars().count() > MAX_GLOB_CHARS {
            return Err(format!("pattern longer than {MAX_GLOB_CHARS} characters"));
        }
        if let Some(c) = pattern.chars().find(|c| c.is_control()) {
            return Err(format!("control character {:?} in pattern", c));
        }
        let mut tokens = Vec::new();
        let mut chars = pattern.chars();
        while let Some(c) = chars.next() {
            tokens.push(match c {
                '*' => {
                    // `**` is the same as `*`; keep one.
                    if tokens.last() == Some(&Token::Any) {
                        continue;
                    }
                    Token::Any
                }
                '?' => Token::One,
                '\\' => match chars.next() {
                    Some(e @ ('*' | '?' | '\\')) => Token::Char(e),
                    Some(other) => {
                        return Err(format!(
                            "\\{other} is not an escape (only \\*, \\? and \\\\ are)"
                        ));
                    }
                    None => return Err("pattern ends with a lone \\".into()),
                },
                c => Token::Char(c),
            });
        }
        let literal = tokens
            .iter()
            .map(|t| match t {
                Token::Char(c) => Some(*c),
                _ => None,
            })
            .collect::<Option<String>>();
        Ok(Glob {
            text: pattern.to_owned(),
            tokens,
            literal,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the pattern has no wildcard (escaped ones are literal).
    pub fn is_literal(&self) -> bool {
        self.literal.is_some()
    }

    /// Whether the whole of `text` matches. Linear in practice; at worst pattern
    /// length times text length (one backtrack point, the last `*`).
    pub fn matches(&self, text: &str) -> bool {
        if let Some(lit) = &self.literal {
            return lit == text;
        }
        let t: Vec<char> = text.chars().collect();
        let p = &self.tokens;
        let (mut pi, mut ti) = (0usize, 0usize);
        // Where to resume after the last `*`: (pattern index after it, text index).
        let mut star: Option<(usize, usize)> = None;
        while ti < t.len() {
            match p.get(pi) {
                Some(Token::Any) => {
                    star = Some((pi + 1, ti));
                    pi += 1;
                }
                Some(Token::One) => {
                    pi += 1;
                    ti += 1;
                }
                Some(Token::Char(c)) if *c == t[ti] => {
                    pi += 1;
                    ti += 1;
                }
                _ => match star {
                    // Let the last `*` take one more character and retry.
                    Some((sp, st)) => {
                        pi = sp;
                        ti = st + 1;
                        star = Some((sp, st + 1));
                    }
                    None => return false,
                },
            }
        }
        p[pi..].iter().all(|t| *t == Token::Any)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        Glob::new(p).unwrap().matches(t)
    }

    #[test]
    fn stars_questions_and_exact_text() {
        let arn = "arn:aws:sts::111122223333:assumed-role/TerraformCI/session-42";
        assert!(m("arn:aws:sts::*:assumed-role/TerraformCI/*", arn));
        assert!(!m("arn:aws:sts::*:assumed-role/TerraformCD/*", arn));
        assert!(m("*", ""));
        assert!(m("*", "anything"));
        assert!(m("a*b*c", "abc"));
        assert!(m("a*b*c", "axxbyyc"));
        assert!(!m("a*b*c", "axxbyy"));
        assert!(m("aws-cli/?.*", "aws-cli/2.15.0 Python/3.11"));
        assert!(!m("aws-cli/?.*", "aws-cli/.15"));
        assert!(m("??", "é1"), "? is one character, not one byte");
        assert!(m("exact", "exact"));
        assert!(!m("exact", "exact "));
        assert!(!m("Exact", "exact"), "case-sensitive");
        assert!(m("*a*a*a*a*b", &format!("{}b", "a".repeat(200))));
        assert!(!m("*a*a*a*a*b", &"a".repeat(200)));
    }

    #[test]
    fn escapes_make_wildcards_literal() {
        assert!(m(r"a\*b", "a*b"));
        assert!(!m(r"a\*b", "axb"));
        assert!(m(r"what\?", "what?"));
        assert!(m(r"c:\\*", r"c:\dir"));
    }

    #[test]
    fn bad_patterns_are_refused_with_a_reason() {
        for (p, why) in [
            ("", "empty"),
            ("a\\", "lone"),
            (r"\d+", "not an escape"),
            ("a\u{7}b", "control"),
        ] {
            let e = Glob::new(p).unwrap_err();
            assert!(e.contains(why), "{p:?}: {e}");
        }
        assert!(Glob::new(&"x".repeat(MAX_GLOB_CHARS + 1)).is_err());
    }
}
