//! CloudWatch composite alarm rules (`ALARM("a") AND NOT OK(b)`), read far enough
//! to tell whether one can ever be true: a rule that cannot keeps the alarm's
//! actions and never fires them.
//!
//! The rule is the caller's text: it is read with a depth limit and a size limit,
//! and anything this reader does not know (`AT_LEAST`, an unclosed name) leaves the
//! rule unjudged.

/// A rule as read: constants, one alarm in one state, and the connectives.
enum Expr {
    Const(bool),
    /// The alarm (by its index among the rule's alarms) is in this state.
    Atom(usize, State),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

#[derive(Clone, Copy, PartialEq)]
enum State {
    Alarm,
    Ok,
    InsufficientData,
}

const STATES: [State; 3] = [State::Alarm, State::Ok, State::InsufficientData];
/// Deeper nesting than any real rule: a crafted one must not exhaust the stack.
const MAX_DEPTH: usize = 64;
/// CloudWatch takes rules of up to 10,240 characters.
const MAX_LEN: usize = 10_240;
/// Up to this many distinct alarms, every combination of their states is tried
/// (3^8 = 6,561); beyond, only the constants are folded.
const MAX_ENUMERATED: usize = 8;

struct Reader<'a> {
    text: &'a [u8],
    at: usize,
    alarms: Vec<&'a [u8]>,
}

impl<'a> Reader<'a> {
    fn skip_space(&mut self) {
        while self.text.get(self.at).is_some_and(u8::is_ascii_whitespace) {
            self.at += 1;
        }
    }

    /// The keyword `word` (any case) at the cursor, followed by no name character.
    fn keyword(&mut self, word: &str) -> bool {
        self.skip_space();
        let end = self.at + word.len();
        let matches = self
            .text
            .get(self.at..end)
            .is_some_and(|t| t.eq_ignore_ascii_case(word.as_bytes()))
            && !self
                .text
                .get(end)
                .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_');
        if matches {
            self.at = end;
        }
        matches
    }

    fn byte(&mut self, b: u8) -> bool {
        self.skip_space();
        let found = self.text.get(self.at) == Some(&b);
        if found {
            self.at += 1;
        }
        found
    }

    fn or(&mut self, depth: usize) -> Option<Expr> {
        let mut left = self.and(depth)?;
        while self.keyword("OR") {
            left = Expr::Or(Box::new(left), Box::new(self.and(depth)?));
        }
        Some(left)
    }

    fn and(&mut self, depth: usize) -> Option<Expr> {
        let mut left = self.not(depth)?;
        while self.keyword("AND") {
            left = Expr::And(Box::new(left), Box::new(self.not(depth)?));
        }
        Some(left)
    }

    fn not(&mut self, depth: usize) -> Option<Expr> {
        if depth > MAX_DEPTH {
            return None;
        }
        if self.keyword("NOT") {
            return Some(Expr::Not(Box::new(self.not(depth + 1)?)));
        }
        self.primary(depth + 1)
    }

    fn primary(&mut self, depth: usize) -> Option<Expr> {
        if self.byte(b'(') {
            let inner = self.or(depth)?;
            return self.byte(b')').then_some(inner);
        }
        if self.keyword("TRUE") {
            return Some(Expr::Const(true));
        }
        if self.keyword("FALSE") {
            return Some(Expr::Const(false));
        }
        let state = if self.keyword("ALARM") {
            State::Alarm
        } else if self.keyword("OK") {
            State::Ok
        } else if self.keyword("INSUFFICIENT_DATA") {
            State::InsufficientData
        } else {
            return None;
        };
        if !self.byte(b'(') {
            return None;
        }
        self.skip_space();
        let name = if self.text.get(self.at) == Some(&b'"') {
            let start = self.at + 1;
            let len = self.text.get(start..)?.iter().position(|&b| b == b'"')?;
            self.at = start + len + 1;
            &self.text[start..start + len]
        } else {
            let start = self.at;
            let len = self.text.get(start..)?.iter().position(|&b| b == b')')?;
            self.at = start + len;
            self.text[start..start + len].trim_ascii()
        };
        if !self.byte(b')') {
            return None;
        }
        let index = match self.alarms.iter().position(|a| *a == name) {
            Some(i) => i,
            None => {
                self.alarms.push(name);
                self.alarms.len() - 1
            }
        };
        Some(Expr::Atom(index, state))
    }
}

/// The rule's value when each alarm is in `states[i]`; with `None` states
/// unknown, `None` when it depends on them.
fn value(e: &Expr, states: Option<&[State]>) -> Option<bool> {
    match e {
        Expr::Const(c) => Some(*c),
        Expr::Atom(i, s) => states.map(|st| st[*i] == *s),
        Expr::Not(x) => value(x, states).map(|v| !v),
        Expr::And(a, b) => match (value(a, states), value(b, states)) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (Some(true), Some(true)) => Some(true),
            _ => None,
        },
        Expr::Or(a, b) => match (value(a, states), value(b, states)) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (Some(false), Some(false)) => Some(false),
            _ => None,
        },
    }
}

/// Whether `rule` is false whatever its alarms' states (`FALSE`, `NOT TRUE`,
/// `ALARM(a) AND OK(a)`, `x AND FALSE`, ...). A rule this reader cannot read
/// whole is not judged (false).
pub fn never_true(rule: &str) -> bool {
    if rule.len() > MAX_LEN {
        return false;
    }
    let mut reader = Reader {
        text: rule.as_bytes(),
        at: 0,
        alarms: Vec::new(),
    };
    let Some(expr) = reader.or(0) else {
        return false;
    };
    reader.skip_space();
    if reader.at != reader.text.len() {
        return false;
    }
    let n = reader.alarms.len();
    if n > MAX_ENUMERATED {
        return value(&expr, None) == Some(false);
    }
    // Every combination of states, as the digits of a number in base three.
    let mut states = vec![State::Alarm; n];
    for combination in 0..3usize.pow(n as u32) {
        let mut rest = combination;
        for s in states.iter_mut() {
            *s = STATES[rest % 3];
            rest /= 3;
        }
        if value(&expr, Some(&states)) != Some(false) {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::never_true;

    #[test]
    fn rules_that_can_never_be_true() {
        for rule in [
            "FALSE",
            " ( false ) ",
            "NOT TRUE",
            "ALARM(CIS-3.5) AND FALSE",
            "(ALARM(a) OR ALARM(b)) AND (FALSE)",
            "FALSE OR FALSE",
            "(ALARM(a) AND FALSE) OR FALSE",
            "ALARM(cis-root-usage) AND OK(cis-root-usage)",
            "ALARM(\"cis root\") AND NOT ALARM( \"cis root\" )",
            "NOT (TRUE OR ALARM(a))",
        ] {
            assert!(never_true(rule), "{rule}");
        }
    }

    #[test]
    fn rules_that_can_be_true_or_cannot_be_read() {
        for rule in [
            "ALARM(a) OR FALSE",
            "ALARM(FALSE-positives)",
            "TRUE",
            "ALARM(a) AND NOT ALARM(b)",
            // A quoted name holds parentheses and keywords.
            "ALARM(\"x) AND FALSE AND (y\")",
            "ALARM(a) AND OK(b)",
            "AT_LEAST(2, ALARM, (a, b, c)) AND FALSE",
            "ALARM(a",
            "FALSE FALSE",
            "",
        ] {
            assert!(!never_true(rule), "{rule}");
        }
    }

    /// Crafted rules neither overflow the stack nor take long.
    #[test]
    fn deep_or_wide_rules_are_safe() {
        let deep = format!("{}FALSE{}", "(".repeat(30_000), ")".repeat(30_000));
        assert!(!never_true(&deep), "too long to judge");
        let nested = format!("{}FALSE{}", "(".repeat(5_000), ")".repeat(5_000));
        assert!(!never_true(&nested), "deeper than the limit");
        let deep_enough = format!("{}FALSE{}", "NOT ".repeat(2_000), "");
        assert!(!never_true(&deep_enough), "deeper than the limit");
        let wide: Vec<String> = (0..40).map(|i| format!("ALARM(a{i})")).collect();
        assert!(never_true(&format!("({}) AND FALSE", wide.join(" OR "))));
        assert!(
            !never_true(&format!("{} AND FALSE", wide.join(" OR "))),
            "AND binds first"
        );
        assert!(!never_true(&wide.join(" AND ")));
    }
}
