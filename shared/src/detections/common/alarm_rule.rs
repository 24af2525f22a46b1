//! CloudWatch composite alarm rules (`ALARM("a") AND NOT OK(b)`), read far enough
//! to tell whether one can ever be true: a rule that cannot keeps the alarm's
//! actions and never fires them.
//!
//! The rule is the caller's text: it is read with a depth limit and a size limit,
//! and anything this reader does not know (an unclosed name, a stray word) leaves
//! the rule unjudged. `AT_LEAST(...)` is read as a condition that may be true or
//! false, whatever its alarms. An alarm named by its ARN is the alarm of that
//! name.

/// A rule as read: constants, one alarm in one state, and the connectives
/// (`AND` and `OR` chains kept flat, so depth is only the rule's nesting).
enum Expr {
    Const(bool),
    /// The alarm (by its index among the rule's alarms) is in this state.
    Atom(usize, State),
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
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
const MAX_CHARS: usize = 10_240;
/// Up to this many distinct alarms, a (sub)rule is judged on every combination
/// of their states, as a truth table of 3^8 = 6,561 bits; beyond, it is judged
/// by its parts.
const MAX_ENUMERATED: usize = 8;

struct Reader<'a> {
    text: &'a [u8],
    at: usize,
    /// The rule's alarms by name; `None` for an `AT_LEAST` condition, which no
    /// name can refer to.
    alarms: Vec<Option<&'a [u8]>>,
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
        let mut items = vec![self.and(depth)?];
        while self.keyword("OR") {
            items.push(self.and(depth)?);
        }
        Some(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::Or(items)
        })
    }

    fn and(&mut self, depth: usize) -> Option<Expr> {
        let mut items = vec![self.not(depth)?];
        while self.keyword("AND") {
            items.push(self.not(depth)?);
        }
        Some(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::And(items)
        })
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

    /// A new alarm index for `name`, or the one it already has.
    fn alarm(&mut self, name: &'a [u8]) -> usize {
        // An alarm's ARN (`arn:<partition>:cloudwatch:<region>:<account>:alarm:<name>`)
        // names it as its name does; a name that merely holds `:alarm:` does not
        // (names may hold any printable character; from a review).
        let fields: Vec<&[u8]> = name.splitn(7, |&b| b == b':').collect();
        let name = match fields.as_slice() {
            [b"arn", _, b"cloudwatch", _, _, b"alarm", rest] => rest,
            _ => name,
        };
        match self.alarms.iter().position(|a| *a == Some(name)) {
            Some(i) => i,
            None => {
                self.alarms.push(Some(name));
                self.alarms.len() - 1
            }
        }
    }

    /// Skips a parenthesised list (quotes respected) after `AT_LEAST`.
    fn skip_group(&mut self) -> Option<()> {
        if !self.byte(b'(') {
            return None;
        }
        let mut open = 1usize;
        let mut quoted = false;
        while open > 0 {
            let b = *self.text.get(self.at)?;
            self.at += 1;
            match b {
                b'"' => quoted = !quoted,
                b'(' if !quoted => open += 1,
                b')' if !quoted => open -= 1,
                _ => {}
            }
        }
        Some(())
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
        if self.keyword("AT_LEAST") {
            // True or false whatever is known: an alarm of its own.
            self.skip_group()?;
            let free = self.alarms.len();
            self.alarms.push(None);
            return Some(Expr::Atom(free, State::Alarm));
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
        Some(Expr::Atom(self.alarm(name), state))
    }
}

/// The distinct alarms of `e`, in `out`; stops adding past `MAX_ENUMERATED + 1`.
fn alarms_of(e: &Expr, out: &mut Vec<usize>) {
    if out.len() > MAX_ENUMERATED {
        return;
    }
    match e {
        Expr::Const(_) => {}
        Expr::Atom(i, _) => {
            if !out.contains(i) {
                out.push(*i);
            }
        }
        Expr::Not(x) => alarms_of(x, out),
        Expr::And(xs) | Expr::Or(xs) => xs.iter().for_each(|x| alarms_of(x, out)),
    }
}

/// Truth tables over the states of a few alarms: bit `c` is the value when
/// alarm `local[k]` is in state `STATES[(c / 3^k) % 3]`.
struct Tables {
    local: Vec<usize>,
    /// `atoms[k * 3 + s]`: the combinations where alarm `local[k]` is in state `s`.
    atoms: Vec<Vec<u64>>,
    full: Vec<u64>,
}

impl Tables {
    fn new(local: Vec<usize>) -> Tables {
        let size = 3usize.pow(local.len() as u32);
        let words = size.div_ceil(64);
        let mut full = vec![u64::MAX; words];
        if !size.is_multiple_of(64) {
            full[words - 1] = (1u64 << (size % 64)) - 1;
        }
        let mut atoms = vec![vec![0u64; words]; local.len() * 3];
        for c in 0..size {
            let mut rest = c;
            for k in 0..local.len() {
                atoms[k * 3 + rest % 3][c / 64] |= 1 << (c % 64);
                rest /= 3;
            }
        }
        Tables { local, atoms, full }
    }

    fn of(&self, e: &Expr) -> Vec<u64> {
        match e {
            Expr::Const(true) => self.full.clone(),
            Expr::Const(false) => vec![0; self.full.len()],
            Expr::Atom(i, s) => {
                let k = self.local.iter().position(|l| l == i).unwrap_or(0);
                let s = STATES.iter().position(|x| x == s).unwrap_or(0);
                self.atoms[k * 3 + s].clone()
            }
            Expr::Not(x) => self
                .of(x)
                .iter()
                .zip(&self.full)
                .map(|(v, f)| !v & f)
                .collect(),
            Expr::And(xs) => xs.iter().fold(self.full.clone(), |acc, x| {
                acc.iter().zip(self.of(x)).map(|(a, b)| a & b).collect()
            }),
            Expr::Or(xs) => xs.iter().fold(vec![0; self.full.len()], |acc, x| {
                acc.iter().zip(self.of(x)).map(|(a, b)| a | b).collect()
            }),
        }
    }
}

/// Whether `e` is false (`want` false) or true (`want` true) whatever its alarms'
/// states. Judged whole on a truth table when it has few alarms, else by its
/// parts (an `AND` is never true when some of its operands, taken together,
/// never are).
fn constant(e: &Expr, want: bool) -> bool {
    let mut alarms = Vec::new();
    alarms_of(e, &mut alarms);
    if alarms.len() <= MAX_ENUMERATED {
        let tables = Tables::new(alarms);
        let table = tables.of(e);
        return if want {
            table == tables.full
        } else {
            table.iter().all(|w| *w == 0)
        };
    }
    match (e, want) {
        (Expr::Const(c), _) => *c == want,
        (Expr::Atom(..), _) => false,
        (Expr::Not(x), _) => constant(x, !want),
        (Expr::And(xs), true) | (Expr::Or(xs), false) => xs.iter().all(|x| constant(x, want)),
        (Expr::Or(xs), true) => xs.iter().any(|x| constant(x, true)),
        (Expr::And(xs), false) => {
            if xs.iter().any(|x| constant(x, false)) {
                return true;
            }
            // Operands with few alarms, gathered while they share few: a
            // contradiction between them (`ALARM(a) AND OK(a)`) beside a large rest.
            let mut group: Vec<&Expr> = Vec::new();
            let mut group_alarms: Vec<usize> = Vec::new();
            let contradicts = |group: &[&Expr], alarms: &[usize]| {
                group.len() > 1 && {
                    let tables = Tables::new(alarms.to_vec());
                    let all = group.iter().fold(tables.full.clone(), |acc, x| {
                        acc.iter().zip(tables.of(x)).map(|(a, b)| a & b).collect()
                    });
                    all.iter().all(|w| *w == 0)
                }
            };
            for x in xs {
                let mut mine = Vec::new();
                alarms_of(x, &mut mine);
                if mine.len() > MAX_ENUMERATED {
                    continue;
                }
                let mut union = group_alarms.clone();
                union.extend(mine.iter().filter(|a| !group_alarms.contains(a)));
                if union.len() > MAX_ENUMERATED {
                    if contradicts(&group, &group_alarms) {
                        return true;
                    }
                    group.clear();
                    union = mine;
                }
                group.push(x);
                group_alarms = union;
            }
            contradicts(&group, &group_alarms)
        }
    }
}

/// Whether `rule` is false whatever its alarms' states (`FALSE`, `NOT TRUE`,
/// `ALARM(a) AND OK(a)`, `x AND FALSE`, ...). A rule this reader cannot read
/// whole is not judged (false).
pub fn never_true(rule: &str) -> bool {
    if rule.chars().count() > MAX_CHARS {
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
    reader.at == reader.text.len() && constant(&expr, false)
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
            // From a review: an alarm by name and by ARN, AT_LEAST, many alarms.
            "ALARM(a) AND OK(arn:aws:cloudwatch:us-east-1:111122223333:alarm:a)",
            "AT_LEAST(2, ALARM, (a, b, c)) AND FALSE",
            "ALARM(x) AND OK(x) AND (ALARM(b1) OR ALARM(b2) OR ALARM(b3) OR ALARM(b4) OR ALARM(b5) OR ALARM(b6) OR ALARM(b7) OR ALARM(b8))",
            "ALARM(b1) AND ALARM(b2) AND ALARM(b3) AND ALARM(b4) AND ALARM(b5) AND ALARM(b6) AND ALARM(b7) AND ALARM(b8) AND ALARM(x) AND OK(x)",
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
            "AT_LEAST(2, ALARM, (a, b, c)) OR ALARM(d)",
            "AT_LEAST(2, ALARM, (\"a)\", b))",
            // Names that hold `:alarm:` without being ARNs, and an empty name beside
            // an AT_LEAST (a third review).
            "ALARM(\"foo:alarm:a\") AND OK(a)",
            "ALARM(\"x:alarm:y\") AND NOT ALARM(\"z:alarm:y\")",
            "AT_LEAST(1, ALARM, (a, b)) AND NOT ALARM(\"\")",
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
        // A rule of a thousand alarm tests over eight alarms is judged at once.
        let many: Vec<String> = (0..1_000).map(|i| format!("OK(a{})", i % 8)).collect();
        assert!(never_true(&format!("FALSE AND ({})", many.join(" OR "))));
        assert!(!never_true(&many.join(" OR ")));
        let wide: Vec<String> = (0..40).map(|i| format!("ALARM(a{i})")).collect();
        assert!(never_true(&format!("({}) AND FALSE", wide.join(" OR "))));
        assert!(
            !never_true(&format!("{} AND FALSE", wide.join(" OR "))),
            "AND binds first"
        );
        assert!(!never_true(&wide.join(" AND ")));
    }
}
