//! A tuning entry's `evidence.<key>` names held to the keys its detections
//! write (`Meta::evidence`): the one check of the file that reads the
//! catalogue's evidence lists.

use toml::de::{DeTable, DeValue};

use super::Checker;
use crate::catalog;
use crate::detection::Indexed;

/// Each `evidence.<key>` of an entry's `match` names a key the entry's
/// `detections` write (`Meta::evidence`, shown by `trailwatch list ID`). A
/// misspelt key never matches; a misspelt `|absent` one is absent from every
/// finding, so the entry matches them all and silences more than it says. So
/// a value key must be written by one of the detections, and an `|absent` key
/// by each of a list's (a review: a list of two where one wrote the key left
/// the other's every finding silenced); over `"*"` an `|absent` key written by
/// only some is refused too. A name below the key (`open_rules[].from_port`)
/// is not catalogued: with `|absent` it is a note (a warning would fail
/// `--strict` on a right one). A key the engine adds after
/// matching is refused for `|absent` where the other modifiers are checked
/// (`matches`), and here for a value: it never matches.
pub(super) fn evidence_keys_written(
    c: &mut Checker<'_>,
    m: &DeTable<'_>,
    detections: &[String],
) -> bool {
    let every = detections.iter().any(|d| d == "*");
    let scope: Vec<&Indexed> = if every {
        crate::detections::INDEX.iter().collect()
    } else {
        detections
            .iter()
            .filter_map(|d| catalog::indexed(d))
            .collect()
    };
    let mut ok = true;
    for (k, v) in m.iter() {
        let key = k.get_ref().as_ref();
        let (path, modifier) = key
            .split_once('|')
            .map_or((key, None), |(p, m)| (p, Some(m)));
        let Some(rest) = path
            .strip_prefix(crate::tuning::EVIDENCE_ROOT)
            .and_then(|r| r.strip_prefix('.'))
        else {
            continue;
        };
        // Malformed paths and modifiers are refused in `matches`, once.
        let malformed = |p: &str| {
            let p = p.strip_suffix(crate::tuning::LIST_MARK).unwrap_or(p);
            p.is_empty() || p.contains(crate::tuning::LIST_MARK) || p.chars().any(char::is_control)
        };
        // An `|absent` key whose value is not `true` is refused there too.
        let not_true = !matches!(v.get_ref(), DeValue::Boolean(true));
        if modifier.is_some_and(|m| m != "absent" && m != "cidr")
            || (modifier == Some("absent") && not_true)
            || rest.split('.').any(malformed)
        {
            continue;
        }
        let mut names = rest.split('.');
        let first = names.next().unwrap_or(rest);
        let nested = names.next().is_some();
        let name = first
            .strip_suffix(crate::tuning::LIST_MARK)
            .unwrap_or(first);
        let absent = modifier == Some("absent");
        let writers: Vec<&str> = scope
            .iter()
            .filter(|d| d.evidence_keys().any(|k| k == name))
            .map(|d| d.id)
            .collect();
        if ENGINE_EVIDENCE.contains(&name) && writers.is_empty() {
            if !absent {
                ok = false;
                c.error(
                    k.span(),
                    format!(
                        "{key:?}: the engine adds {name} to a finding after its tuning entries \
                         are matched, so the entry would never match"
                    ),
                );
            }
            continue;
        }
        if writers.is_empty() {
            ok = false;
            let which = match scope.as_slice() {
                [one] => format!("{} never writes", one.id),
                _ if every => "no detection writes".to_owned(),
                _ => "none of its detections writes".to_owned(),
            };
            let outcome = if absent {
                "it would be absent from every finding, and the entry would match them all"
            } else {
                "the entry would never match"
            };
            c.error(
                k.span(),
                format!(
                    "{key:?}: {which} the evidence key {name:?}, so {outcome}{}",
                    keys_hint(name, &scope)
                ),
            );
            continue;
        }
        if !absent {
            continue;
        }
        let without: Vec<&Indexed> = scope
            .iter()
            .copied()
            .filter(|d| !writers.contains(&d.id))
            .collect();
        if every && !without.is_empty() {
            // From two reviews: as a warning it loaded live and muted the
            // caller's every finding of the detections that never write it.
            ok = false;
            c.error(
                k.span(),
                format!(
                    "{key:?}: over every detection (\"*\"), the {} that never write the \
                     evidence key {name:?} ({}) have it absent from every finding, and the \
                     entry would match each one its other keys match: list the detections \
                     that write it ({})",
                    without.len(),
                    listed(&without.iter().map(|d| d.id).collect::<Vec<_>>(), 3),
                    listed(&writers, 5),
                ),
            );
        } else if !without.is_empty() {
            ok = false;
            let one = without.len() == 1;
            c.error(
                k.span(),
                format!(
                    "{key:?}: {} never write{} the evidence key {name:?}, which is then absent \
                     from every one of {} findings, and the entry would match each one its \
                     other keys match: give {} an entry of {} own{}",
                    without.iter().map(|d| d.id).collect::<Vec<_>>().join(", "),
                    if one { "s" } else { "" },
                    if one { "its" } else { "their" },
                    if one { "it" } else { "them" },
                    if one { "its" } else { "their" },
                    keys_hint(name, &without),
                ),
            );
        } else if nested {
            // A note, not a warning: the name may well be right, and `--strict`
            // could not be met (from a review).
            c.note(
                k.span(),
                format!(
                    "{key:?}: the names below evidence.{first} are not checked, and a misspelt \
                     one is absent from every finding, which the entry then matches: try it \
                     with `tuning check --protect` on a sample that has the field, or \
                     dry_run = true first"
                ),
            );
        }
    }
    ok
}

/// The first `n` of `items`, and `...` when there are more.
fn listed(items: &[&str], n: usize) -> String {
    let mut out = items.iter().take(n).copied().collect::<Vec<_>>().join(", ");
    if items.len() > n {
        out.push_str(", ...");
    }
    out
}

/// The keys an entry's detections write, to name beside a key none of them
/// writes: all of them when there are few, else the one it is likeliest a
/// misspelling of.
fn keys_hint(name: &str, scope: &[&Indexed]) -> String {
    let mut keys: Vec<&str> = scope.iter().flat_map(|d| d.evidence_keys()).collect();
    keys.sort_unstable();
    keys.dedup();
    if keys.len() <= 12 {
        let whose = if scope.len() == 1 { "its" } else { "their" };
        return format!(" ({whose} keys: {})", keys.join(", "));
    }
    // A key the name begins with (the longest), else one that begins with the
    // name (the shortest), else the nearest by spelling; a name of fewer than
    // four letters begins too many (a review: `bucket_name` was offered
    // `budgetName` beside `bucket`).
    let lower = name.to_ascii_lowercase();
    let begins = |k: &&str| lower.starts_with(&k.to_ascii_lowercase());
    let extends = |k: &&str| k.to_ascii_lowercase().starts_with(&lower);
    let long_enough = |k: &&str| k.len() >= 4 && lower.len() >= 4;
    let near = keys
        .iter()
        .copied()
        .filter(long_enough)
        .filter(begins)
        .max_by_key(|k| k.len())
        .or_else(|| {
            keys.iter()
                .copied()
                .filter(long_enough)
                .filter(extends)
                .min_by_key(|k| k.len())
        })
        .or_else(|| crate::spelling::nearest(name, keys.iter().copied()));
    let list = " (`trailwatch list ID` shows a detection's evidence keys)";
    near.map_or(list.to_owned(), |k| format!("; did you mean {k:?}?{list}"))
}

/// The evidence keys the engine adds to a finding after its record's tuning
/// entries are matched: a window's count, values and news, a first-seen
/// detection's history, the heartbeat's silence, the tuning's own marks and
/// held-back counts.
pub(super) const ENGINE_EVIDENCE: &[&str] = &[
    "distinct_count",
    "distinct_values",
    "new_values",
    "new_sources",
    "history_days",
    "silent_from",
    "silent_until",
    "silent_secs",
    "last_canary",
    "checked_at",
    "never_heard",
    "expected_since",
    "suppressed_by",
    "dry_run_match",
    "held_back_count",
    "held_back_first",
    "held_back_last",
    "pipeline",
    "canary_dated_ahead",
];
