//! A small EventBridge event-pattern matcher: does a rule's pattern match an
//! event? Tests prove the templates' patterns with it, and
//! `eventbridge-rule-on-identity-creation` reads the patterns of rules others put
//! (attacker-controlled text: it returns an error, never panics, on any shape). It follows the EventBridge user guide ("Creating event
//! patterns", "Comparison operators for use in event patterns") for the operators
//! trailwatch's patterns use: exact values (string, number, boolean, null),
//! `prefix`, `suffix` (both also with `equals-ignore-case`), `equals-ignore-case`,
//! `wildcard`, `anything-but` (values, or `prefix`/`suffix`/`wildcard`/
//! `equals-ignore-case`), `exists`, `numeric` and `$or`; arrays in the event match
//! when any element does. Anything else is an error, never a guess.
//!
//! Where the guide leaves a corner open, the matcher takes the strict reading
//! (e.g. string operators never match numbers), so that "the pattern matches this
//! event" claims in tests are not flattered by it.

use serde_json::{Map, Value};

/// True when `pattern` matches `event`; an error names an operator or shape it does
/// not know.
pub fn matches(pattern: &Value, event: &Value) -> Result<bool, String> {
    match pattern {
        Value::Object(p) => object(p, Some(event)),
        other => Err(format!("a pattern is a JSON object, not {other}")),
    }
}

/// Every key of the pattern object must match (`$or`: one of its alternatives).
fn object(p: &Map<String, Value>, event: Option<&Value>) -> Result<bool, String> {
    for (key, sub) in p {
        let ok = if key == "$or" {
            let alts = sub
                .as_array()
                .filter(|a| a.len() >= 2)
                .ok_or("$or takes an array of at least two patterns")?;
            let mut any = false;
            for alt in alts {
                let alt = alt.as_object().ok_or("$or alternatives are objects")?;
                if object(alt, event)? {
                    any = true;
                    break;
                }
            }
            any
        } else {
            let field = event.and_then(|e| e.as_object()).and_then(|o| o.get(key));
            field_matches(sub, field)?
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A pattern value against the event's value at the same key (`None`: absent).
fn field_matches(sub: &Value, field: Option<&Value>) -> Result<bool, String> {
    match sub {
        Value::Object(nested) => match field {
            // A nested pattern looks into an object, or into any object of an array.
            Some(Value::Array(items)) => {
                for item in items {
                    if object(nested, Some(item))? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Some(v @ Value::Object(_)) => object(nested, Some(v)),
            // Only `exists: false` leaves can match what is not there.
            _ => object(nested, None),
        },
        Value::Array(conditions) => {
            if conditions.is_empty() {
                return Err("an empty list of values matches nothing".into());
            }
            for c in conditions {
                if condition(c, field)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        other => Err(format!("pattern values are lists or objects, not {other}")),
    }
}

/// One entry of a value list against the event's value (each element when it is
/// an array).
fn condition(c: &Value, field: Option<&Value>) -> Result<bool, String> {
    if let Value::Object(op) = c
        && let Some(Value::Bool(want)) = op.get("exists")
    {
        if op.len() != 1 {
            return Err("exists stands alone".into());
        }
        let present = matches!(field, Some(v) if !v.is_object());
        return Ok(present == *want);
    }
    let values: Vec<&Value> = match field {
        None => return Ok(false),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(v) => vec![v],
    };
    for v in values {
        if leaf(c, v)? {
            return Ok(true);
        }
    }
    Ok(false)
}

fn leaf(c: &Value, v: &Value) -> Result<bool, String> {
    match c {
        Value::String(s) => Ok(v.as_str() == Some(s.as_str())),
        Value::Number(n) => Ok(v.as_f64().is_some() && v.as_f64() == n.as_f64()),
        Value::Bool(_) | Value::Null => Ok(v == c),
        Value::Object(op) => {
            if op.len() != 1 {
                return Err(format!("one operator per condition: {c}"));
            }
            let (name, arg) = op.iter().next().expect("one entry");
            operator(name, arg, v)
        }
        Value::Array(_) => Err(format!("nested lists are not conditions: {c}")),
    }
}

fn operator(name: &str, arg: &Value, v: &Value) -> Result<bool, String> {
    let text = v.as_str();
    match name {
        "prefix" | "suffix" => {
            let (want, fold) = string_or_ignore_case(arg, name)?;
            Ok(text.is_some_and(|t| {
                let (t, want) = folded(t, &want, fold);
                if name == "prefix" {
                    t.starts_with(&want)
                } else {
                    t.ends_with(&want)
                }
            }))
        }
        "equals-ignore-case" => {
            let want = arg.as_str().ok_or("equals-ignore-case takes a string")?;
            Ok(text.is_some_and(|t| t.to_lowercase() == want.to_lowercase()))
        }
        "wildcard" => {
            let want = arg.as_str().ok_or("wildcard takes a string")?;
            check_wildcard(want)?;
            Ok(text.is_some_and(|t| wildcard(want, t)))
        }
        "anything-but" => anything_but(arg, v),
        "numeric" => numeric(arg, v),
        other => Err(format!("operator {other} is not supported here")),
    }
}

/// `"x"` or `{"equals-ignore-case": "x"}`.
fn string_or_ignore_case(arg: &Value, op: &str) -> Result<(String, bool), String> {
    match arg {
        Value::String(s) => Ok((s.clone(), false)),
        Value::Object(m) if m.len() == 1 => match m.get("equals-ignore-case") {
            Some(Value::String(s)) => Ok((s.clone(), true)),
            _ => Err(format!("{op} takes a string or equals-ignore-case")),
        },
        _ => Err(format!("{op} takes a string or equals-ignore-case")),
    }
}

fn folded(t: &str, want: &str, fold: bool) -> (String, String) {
    if fold {
        (t.to_lowercase(), want.to_lowercase())
    } else {
        (t.to_owned(), want.to_owned())
    }
}

fn anything_but(arg: &Value, v: &Value) -> Result<bool, String> {
    match arg {
        // Values: a string, a number, or a list of either.
        Value::String(_) | Value::Number(_) => Ok(is_scalar(v) && !leaf(arg, v)?),
        Value::Array(list) => {
            if list.is_empty() || !list.iter().all(|x| x.is_string() || x.is_number()) {
                return Err("anything-but lists hold strings or numbers".into());
            }
            if !is_scalar(v) {
                return Ok(false);
            }
            for x in list {
                if leaf(x, v)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Value::Object(m) if m.len() == 1 => {
            let (name, inner) = m.iter().next().expect("one entry");
            let Some(text) = v.as_str() else {
                // The strict reading: string filters never match other types.
                return Ok(false);
            };
            let wants: Vec<&str> = match inner {
                Value::String(s) => vec![s.as_str()],
                Value::Array(a) if !a.is_empty() && a.iter().all(Value::is_string) => {
                    a.iter().filter_map(Value::as_str).collect()
                }
                _ => return Err(format!("anything-but {name} takes a string or strings")),
            };
            let hit = |w: &str| -> Result<bool, String> {
                Ok(match name.as_str() {
                    "prefix" => text.starts_with(w),
                    "suffix" => text.ends_with(w),
                    "equals-ignore-case" => text.to_lowercase() == w.to_lowercase(),
                    "wildcard" => {
                        check_wildcard(w)?;
                        wildcard(w, text)
                    }
                    other => return Err(format!("anything-but {other} is not supported")),
                })
            };
            for w in wants {
                if hit(w)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        other => Err(format!(
            "anything-but takes values or one filter, not {other}"
        )),
    }
}

fn is_scalar(v: &Value) -> bool {
    v.is_string() || v.is_number()
}

fn numeric(arg: &Value, v: &Value) -> Result<bool, String> {
    let parts = arg.as_array().ok_or("numeric takes a list")?;
    if parts.is_empty() || parts.len() % 2 != 0 || parts.len() > 4 {
        return Err("numeric takes one or two (operator, number) pairs".into());
    }
    let Some(x) = v.as_f64() else {
        return Ok(false);
    };
    for pair in parts.chunks(2) {
        let op = pair[0].as_str().ok_or("numeric operator is a string")?;
        let n = pair[1].as_f64().ok_or("numeric bound is a number")?;
        let ok = match op {
            "<" => x < n,
            "<=" => x <= n,
            "=" => x == n,
            ">" => x > n,
            ">=" => x >= n,
            other => return Err(format!("numeric operator {other}")),
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

/// EventBridge refuses consecutive `*` in a wildcard; so do we.
fn check_wildcard(p: &str) -> Result<(), String> {
    if p.contains("**") {
        return Err(format!("wildcard {p:?} has consecutive *"));
    }
    Ok(())
}

/// `*` matches any run of characters (none included); `\*` is a literal star and
/// `\\` a literal backslash.
pub fn wildcard(pattern: &str, text: &str) -> bool {
    #[derive(PartialEq)]
    enum Tok {
        Star,
        Char(char),
    }
    let mut toks = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '*' => toks.push(Tok::Star),
            '\\' => match chars.next() {
                Some(e) => toks.push(Tok::Char(e)),
                None => toks.push(Tok::Char('\\')),
            },
            other => toks.push(Tok::Char(other)),
        }
    }
    let text: Vec<char> = text.chars().collect();
    greedy_wildcard(
        &toks,
        &text,
        |t| *t == Tok::Star,
        |t, c| *t == Tok::Char(*c),
    )
}

/// Wildcard matching of `pattern` against `text`, element by element: `is_star`
/// elements match any run (none included), the others one element each where
/// `matches` says so. The classic greedy match that backtracks to the last star
/// only: its cost is bounded by the product of the two lengths, whatever the
/// pattern (patterns may be attacker-written). Shared by EventBridge wildcards
/// here and IAM action patterns (`detections::common::action_pattern_matches`).
pub(crate) fn greedy_wildcard<P, T>(
    pattern: &[P],
    text: &[T],
    is_star: impl Fn(&P) -> bool,
    matches: impl Fn(&P, &T) -> bool,
) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(tok) if is_star(tok) => {
                star = Some((p, t));
                p += 1;
            }
            Some(tok) if matches(tok, &text[t]) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                // Let the last star take one more element, and retry after it.
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(is_star)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn m(p: Value, e: Value) -> bool {
        matches(&p, &e).unwrap()
    }

    #[test]
    fn exact_values_and_missing_fields() {
        let e =
            json!({"detail": {"eventName": "StopLogging", "readOnly": false, "n": 3, "z": null}});
        assert!(m(
            json!({"detail": {"eventName": ["StopLogging"]}}),
            e.clone()
        ));
        assert!(!m(
            json!({"detail": {"eventName": ["stoplogging"]}}),
            e.clone()
        ));
        assert!(m(json!({"detail": {"readOnly": [false]}}), e.clone()));
        assert!(!m(json!({"detail": {"readOnly": [true]}}), e.clone()));
        assert!(!m(json!({"detail": {"readOnly": ["false"]}}), e.clone()));
        assert!(m(json!({"detail": {"n": [3]}}), e.clone()));
        assert!(m(json!({"detail": {"z": [null]}}), e.clone()));
        assert!(!m(json!({"detail": {"missing": ["x"]}}), e.clone()));
        assert!(!m(
            json!({"detail": {"eventName": {"nested": ["x"]}}}),
            e.clone()
        ));
        // Every key must match.
        assert!(!m(
            json!({"detail": {"eventName": ["StopLogging"], "n": [4]}}),
            e
        ));
    }

    #[test]
    fn arrays_in_events_match_on_any_element() {
        let e = json!({"resources": ["a", "b"], "items": [{"k": "x"}, {"k": "y"}]});
        assert!(m(json!({"resources": ["b"]}), e.clone()));
        assert!(!m(json!({"resources": ["c"]}), e.clone()));
        assert!(m(json!({"items": {"k": ["y"]}}), e.clone()));
        assert!(!m(json!({"items": {"k": ["z"]}}), e));
    }

    #[test]
    fn prefix_suffix_and_ignore_case() {
        let e = json!({"ua": "aws-cli/2.27.31 m/E,N", "host": "S3.amazonaws.COM", "n": 5});
        assert!(m(json!({"ua": [{"prefix": "aws-cli/"}]}), e.clone()));
        assert!(!m(json!({"ua": [{"prefix": "AWS-CLI/"}]}), e.clone()));
        assert!(m(
            json!({"ua": [{"prefix": {"equals-ignore-case": "AWS-CLI/"}}]}),
            e.clone()
        ));
        assert!(!m(
            json!({"host": [{"suffix": ".amazonaws.com"}]}),
            e.clone()
        ));
        assert!(m(
            json!({"host": [{"suffix": {"equals-ignore-case": ".amazonaws.com"}}]}),
            e.clone()
        ));
        assert!(m(
            json!({"host": [{"equals-ignore-case": "s3.AMAZONAWS.com"}]}),
            e.clone()
        ));
        // String operators never match numbers.
        assert!(!m(json!({"n": [{"prefix": "5"}]}), e));
    }

    #[test]
    fn wildcards() {
        assert!(wildcard("aws-cli/*m/N*", "aws-cli/2 x m/N,b"));
        assert!(wildcard("aws-cli/*m/*,N*", "aws-cli/2 m/E,N"));
        assert!(!wildcard("aws-cli/*m/*,N*", "aws-cli/2 m/E,n"));
        assert!(wildcard("*", ""));
        assert!(wildcard("a*", "a"));
        assert!(!wildcard("a*b", "ab c"));
        assert!(wildcard("a*b", "a xx b"));
        assert!(wildcard("*.vpce.amazonaws.com", "x.vpce.amazonaws.com"));
        assert!(!wildcard(
            "*.vpce.amazonaws.com",
            "x.vpce.amazonaws.com:443"
        ));
        assert!(wildcard("a\\*b", "a*b"));
        assert!(!wildcard("a\\*b", "axb"));
        assert!(wildcard("*a*a*a", "aaaa"));
        assert!(!wildcard("*a*a*a", "aab"));
        assert!(matches(&json!({"x": [{"wildcard": "a**"}]}), &json!({"x": "a"})).is_err());
    }

    #[test]
    fn anything_but_forms() {
        let e = json!({"s": "ec2.amazonaws.com", "n": 7, "b": true});
        assert!(m(
            json!({"s": [{"anything-but": "iam.amazonaws.com"}]}),
            e.clone()
        ));
        assert!(!m(
            json!({"s": [{"anything-but": "ec2.amazonaws.com"}]}),
            e.clone()
        ));
        assert!(!m(
            json!({"s": [{"anything-but": ["iam.amazonaws.com", "ec2.amazonaws.com"]}]}),
            e.clone()
        ));
        assert!(m(json!({"n": [{"anything-but": [1, 2]}]}), e.clone()));
        assert!(!m(
            json!({"s": [{"anything-but": {"prefix": "ec2."}}]}),
            e.clone()
        ));
        assert!(m(
            json!({"s": [{"anything-but": {"prefix": "iam."}}]}),
            e.clone()
        ));
        assert!(!m(
            json!({"s": [{"anything-but": {"suffix": ".amazonaws.com"}}]}),
            e.clone()
        ));
        assert!(m(
            json!({"s": [{"anything-but": {"suffix": ".api.aws"}}]}),
            e.clone()
        ));
        assert!(!m(
            json!({"s": [{"anything-but": {"wildcard": "*.amazonaws.*"}}]}),
            e.clone()
        ));
        assert!(!m(
            json!({"s": [{"anything-but": {"equals-ignore-case": "EC2.amazonaws.com"}}]}),
            e.clone()
        ));
        // Absent fields and other types do not match anything-but.
        assert!(!m(json!({"gone": [{"anything-but": "x"}]}), e.clone()));
        assert!(!m(
            json!({"n": [{"anything-but": {"prefix": "x"}}]}),
            e.clone()
        ));
        assert!(!m(json!({"b": [{"anything-but": "x"}]}), e));
    }

    #[test]
    fn exists_and_numeric() {
        let e = json!({"d": {"p": {"pw": "x"}, "n": 10, "o": {"k": 1}}});
        assert!(m(
            json!({"d": {"p": {"pw": [{"exists": true}]}}}),
            e.clone()
        ));
        assert!(!m(
            json!({"d": {"p": {"pw": [{"exists": false}]}}}),
            e.clone()
        ));
        assert!(m(
            json!({"d": {"p": {"gone": [{"exists": false}]}}}),
            e.clone()
        ));
        assert!(m(
            json!({"d": {"gone": {"deeper": [{"exists": false}]}}}),
            e.clone()
        ));
        assert!(!m(
            json!({"d": {"gone": {"deeper": [{"exists": true}]}}}),
            e.clone()
        ));
        // exists looks at leaves, not objects.
        assert!(!m(json!({"d": {"o": [{"exists": true}]}}), e.clone()));
        assert!(m(
            json!({"d": {"n": [{"numeric": [">", 5, "<=", 10]}]}}),
            e.clone()
        ));
        assert!(!m(json!({"d": {"n": [{"numeric": ["<", 10]}]}}), e));
    }

    #[test]
    fn or_at_any_level() {
        let p = json!({"detail": {"$or": [
            {"eventSource": ["iam.amazonaws.com"], "eventName": ["CreateAccessKey"]},
            {"userAgent": [{"prefix": "aws-cli/"}]}
        ]}});
        assert!(m(
            p.clone(),
            json!({"detail": {"eventSource": "iam.amazonaws.com", "eventName": "CreateAccessKey"}})
        ));
        assert!(m(
            p.clone(),
            json!({"detail": {"eventSource": "s3.amazonaws.com", "userAgent": "aws-cli/2"}})
        ));
        assert!(!m(
            p,
            json!({"detail": {"eventSource": "iam.amazonaws.com", "eventName": "GetUser"}})
        ));
    }

    #[test]
    fn unknown_operators_and_shapes_are_errors() {
        let e = json!({"x": "10.0.0.1"});
        assert!(matches(&json!({"x": [{"cidr": "10.0.0.0/8"}]}), &e).is_err());
        assert!(matches(&json!({"x": "10.0.0.1"}), &e).is_err());
        assert!(matches(&json!({"x": []}), &e).is_err());
        assert!(matches(&json!({"$or": [{"x": ["a"]}]}), &e).is_err());
        assert!(matches(&json!(["x"]), &e).is_err());
    }
}
