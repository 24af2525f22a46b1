//! The EventBridge rules derived from the detections' metadata: one pattern per
//! function group (the central rules, on trailwatch's own bus), the forwarding
//! rules of every account and Region (deploy/forwarder.yaml: everything some
//! detection can fire on, and the canary), and the state each rule needs.
//! template.yaml and deploy/forwarder.yaml carry these patterns; tests/template.rs
//! checks them and, with `TRAILWATCH_BLESS=1`, writes them.

pub mod matcher;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::catalog::{self, FunctionGroup};
use crate::detection::Trigger;

/// The rule state that lets read-only management events through.
pub const ALL_MANAGEMENT_EVENTS: &str = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS";

/// EventBridge's default limit on an event pattern's length, in characters.
pub const MAX_PATTERN_CHARS: usize = 2048;
/// EventBridge's default limit on rules per event bus.
pub const MAX_RULES_PER_BUS: usize = 300;
/// EventBridge's fixed limit on rules with a `wildcard` filter per event bus.
pub const MAX_WILDCARD_RULES_PER_BUS: usize = 30;

/// The heartbeat call each forwarder stack makes on a schedule (deploy/forwarder.yaml,
/// `CanarySchedule`): SSM `PutParameter` overwriting the String parameter
/// `<prefix>-canary` with the scheduled time. A write management event, so it
/// reaches EventBridge without read-only delivery; free (standard parameter, standard
/// throughput) and without side effects beyond that parameter's own history.
pub mod canary {
    use crate::detection::Trigger;

    pub const EVENT_SOURCE: &str = "ssm.amazonaws.com";
    pub const EVENT_NAME: &str = "PutParameter";
    /// `requestParameters.name` of a canary call ends with this (the parameter is
    /// `<prefix>-canary`).
    pub const NAME_SUFFIX: &str = "-canary";
    /// What the forwarding rules add for the canary, so that it always travels.
    pub const TRIGGER: Trigger = Trigger::write(EVENT_SOURCE, &[EVENT_NAME])
        .with_detail(r#"{"requestParameters":{"name":[{"suffix":"-canary"}]}}"#);
}

/// The forwarders' own rules and role, watched from two rules. EventBridge's
/// calls on a forwarding rule (`<prefix>-forward-<kind>-<n>`: disabling,
/// deleting, re-patterning or retargeting it, or a target change too large for
/// CloudTrail to log its parameters) and IAM's that can take the forwarder's
/// role away (`<prefix>-forwarder-<region>`: its trust, policies, boundary, or a
/// new version of a managed policy attached to it; any role's, since IAM takes
/// a role's name in any letter case and a pattern cannot, and a policy version
/// names only its policy) travel by
/// the rule of their service and also by the canary's rule, which carries them
/// with the canary (a review of the templates and an evasion review, ninth
/// session: one `DisableRule` on the rule of EventBridge's calls blinded the
/// account to the rest, and a trust narrowed to the canary's rule kept the
/// canary green while every other rule lost the role). Whichever goes first, the
/// other rule forwards the call; breaking the canary's rule itself silences the
/// canary (`pipeline-silent`). Such a call travels twice; the claims send each
/// finding once and windows count each event id once.
pub mod guard {
    /// The `detail` alternatives the canary's rule carries besides the canary.
    pub const ALTERNATIVES: &str = r#"[
        {"eventSource":["events.amazonaws.com"],"eventName":["DeleteRule","DisableRule","EnableRule","PutRule"],
         "requestParameters":{"name":[{"wildcard":"*-forward-*"}]}},
        {"eventSource":["events.amazonaws.com"],"eventName":["PutTargets","RemoveTargets"],
         "requestParameters":{"rule":[{"wildcard":"*-forward-*"}]}},
        {"eventSource":["events.amazonaws.com"],"eventName":["PutRule","PutTargets"],
         "requestParameters":{"reason":["requestParameters too large"]}},
        {"eventSource":["iam.amazonaws.com"],"eventName":["AttachRolePolicy","CreatePolicyVersion","DeleteRole",
         "DeleteRolePermissionsBoundary","DeleteRolePolicy","DetachRolePolicy","PutRolePermissionsBoundary",
         "PutRolePolicy","SetDefaultPolicyVersion","UpdateAssumeRolePolicy"]}
    ]"#;
    /// The services whose own rules must not carry the guard: a call that
    /// switches their rule off would switch the guard off with it.
    pub const WATCHED_SOURCES: [&str; 2] = ["events.amazonaws.com", "iam.amazonaws.com"];

    /// [`ALTERNATIVES`] parsed.
    pub fn alternatives() -> Vec<serde_json::Value> {
        serde_json::from_str(ALTERNATIVES).expect("guard::ALTERNATIVES is a JSON array")
    }
}

/// The `detail` alternatives that take every event of `triggers`: one per (event
/// source, extra pattern) with the names merged, and each user-agent alternative.
fn alternatives<'a>(triggers: impl IntoIterator<Item = &'a Trigger>) -> Vec<Value> {
    // (source, extra detail pattern) -> names (None: every event of the source)
    let mut by_source: BTreeMap<(&str, Option<&str>), Option<BTreeSet<&str>>> = BTreeMap::new();
    let mut prefixes: BTreeSet<&str> = BTreeSet::new();
    let mut ua_alternatives: Vec<Value> = Vec::new();
    let mut root = false;
    for t in triggers {
        match *t {
            Trigger::Events {
                source,
                names,
                detail_pattern,
                ..
            } => {
                let entry = by_source
                    .entry((source, detail_pattern))
                    .or_insert_with(|| Some(BTreeSet::new()));
                match (entry.as_mut(), names.is_empty()) {
                    (_, true) => *entry = None,
                    (Some(set), false) => set.extend(names.iter().copied()),
                    (None, false) => {}
                }
            }
            Trigger::UserAgentPrefix(p) => {
                prefixes.insert(p);
            }
            Trigger::UserAgentMatching {
                detail_alternatives,
                ..
            } => {
                let alts: Vec<Value> = serde_json::from_str(detail_alternatives)
                    .expect("detail_alternatives is a JSON array");
                for a in alts {
                    if !ua_alternatives.contains(&a) {
                        ua_alternatives.push(a);
                    }
                }
            }
            Trigger::RootIdentity => root = true,
        }
    }
    // A narrowed trigger is redundant when an unnarrowed one of the same source
    // already takes all its names.
    let plain: BTreeMap<&str, Option<BTreeSet<&str>>> = by_source
        .iter()
        .filter(|((_, p), _)| p.is_none())
        .map(|((s, _), n)| (*s, n.clone()))
        .collect();
    let mut out = Vec::new();
    for ((source, extra), names) in &by_source {
        if extra.is_some() {
            let covered = match (plain.get(source), names) {
                (Some(None), _) => true,
                (Some(Some(all)), Some(these)) => these.is_subset(all),
                _ => false,
            };
            if covered {
                continue;
            }
        }
        let mut alt = Map::new();
        alt.insert("eventSource".into(), json!([source]));
        if let Some(names) = names {
            alt.insert("eventName".into(), json!(names.iter().collect::<Vec<_>>()));
        }
        if let Some(p) = extra {
            let extra: Map<String, Value> =
                serde_json::from_str(p).expect("detail_pattern is a JSON object");
            for (k, v) in extra {
                assert!(!alt.contains_key(&k), "detail_pattern repeats {k}");
                alt.insert(k, v);
            }
        }
        out.push(Value::Object(alt));
    }
    for p in prefixes {
        out.push(json!({"userAgent": [{"prefix": p}]}));
    }
    out.extend(ua_alternatives);
    if root {
        out.push(root_alternative());
    }
    out
}

/// The `detail` alternative of [`Trigger::RootIdentity`]: calls made as the root
/// user, less the sign-in service's events, which the console sign-in triggers
/// name (so that a root sign-in travels by one forwarding rule, not two).
fn root_alternative() -> Value {
    json!({
        "eventSource": [{"anything-but": "signin.amazonaws.com"}],
        "userIdentity": {"type": ["Root"]}
    })
}

/// `{"source": [{"prefix": "aws."}], "detail": alternative}`, or with
/// `{"$or": alternatives}` as the detail. The source condition lets only events
/// AWS itself emitted through: `PutEvents` refuses a source beginning `aws.`, so
/// anyone allowed to put events on a bus (the central bus takes them from the
/// whole organisation) cannot forge a CloudTrail record, a canary included.
fn wrap(mut alternatives: Vec<Value>) -> Value {
    let detail = if alternatives.len() == 1 {
        alternatives.pop().expect("one alternative")
    } else {
        json!({ "$or": alternatives })
    };
    json!({ "source": [{ "prefix": AWS_SOURCE_PREFIX }], "detail": detail })
}

/// The beginning of every source AWS emits events under, and that `PutEvents`
/// refuses to anyone else.
pub const AWS_SOURCE_PREFIX: &str = "aws.";

/// The patterns of a function group's central rules, in order: one, unless the
/// group's alternatives do not fit EventBridge's limit in one pattern even with
/// the names compressed (by prefixes and merged alternatives); then as few as fit,
/// every alternative of an event source in the same rule, so that an event
/// matches one rule at most and the function is invoked once for it. An
/// alternative that names no source (calls made as root, user agents) goes into
/// every rule narrowed: to that rule's own sources, and in the first rule to every
/// source the others do not take. The first rule is named after the
/// group, the others after it with `-2`, `-3`... ([`group_rule_name`]).
pub fn group_patterns(group: &FunctionGroup) -> Vec<Value> {
    let detections = catalog::group_detections(group);
    let alts = alternatives(detections.iter().flat_map(|d| d.meta().triggers));
    assert!(!alts.is_empty(), "group {} has no trigger", group.name);
    let alts = merge_sources(alts);
    let one = fit(alts.clone());
    if pattern_len(&one) <= MAX_PATTERN_CHARS {
        return vec![one];
    }
    split_patterns(group.name, alts, MAX_PATTERN_CHARS)
}

/// A group's patterns split as [`group_patterns`] splits them when they do not
/// fit one rule, packed into rules of `limit` characters to begin with (tests
/// split every group so, to hold the split to the one-rule-per-event promise on
/// every sample).
pub fn split_group_patterns(group: &FunctionGroup, limit: usize) -> Vec<Value> {
    let detections = catalog::group_detections(group);
    let alts = merge_sources(alternatives(
        detections.iter().flat_map(|d| d.meta().triggers),
    ));
    split_patterns(group.name, alts, limit)
}

fn split_patterns(group: &str, alts: Vec<Value>, first_limit: usize) -> Vec<Value> {
    let (sourced, sourceless): (Vec<Value>, Vec<Value>) =
        alts.into_iter().partition(has_named_sources);
    // The narrowed copies take room the packing does not see: pack tighter until
    // every rule fits with them.
    let mut limit = first_limit;
    loop {
        let mut packed = pack_by_source(sourced.clone(), limit);
        // A group of source-less alternatives alone still has its one rule.
        if packed.is_empty() {
            packed.push(Vec::new());
        }
        let patterns = with_sourceless(packed, &sourceless, group);
        let longest = patterns.iter().map(pattern_len).max().unwrap_or(0);
        if longest <= MAX_PATTERN_CHARS {
            return patterns;
        }
        let tighter = limit.saturating_sub((longest - MAX_PATTERN_CHARS).max(32));
        assert!(
            tighter >= MAX_PATTERN_CHARS / 8,
            "group {group}: its alternatives cannot be packed into rules of {MAX_PATTERN_CHARS} characters"
        );
        limit = tighter;
    }
}

/// The patterns of packed rules, each given its narrowed copy of every
/// source-less alternative.
fn with_sourceless(rules: Vec<Vec<Value>>, sourceless: &[Value], group: &str) -> Vec<Value> {
    let sources: Vec<BTreeSet<String>> = rules
        .iter()
        .map(|r| r.iter().flat_map(named_sources).collect())
        .collect();
    rules
        .into_iter()
        .enumerate()
        .map(|(i, mut rule)| {
            let others: BTreeSet<String> = sources
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .flat_map(|(_, s)| s.iter().cloned())
                .collect();
            for alt in sourceless {
                rule.extend(narrowed(alt, i == 0, &sources[i], &others, group));
            }
            fit(rule)
        })
        .collect()
}

/// The sources an alternative names (none for a source-less one).
fn named_sources(alt: &Value) -> BTreeSet<String> {
    alt["eventSource"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_owned))
        .collect()
}

/// A source-less alternative as one rule of a split group takes it: in the first
/// rule, for every source but those of the other rules (and those it excluded
/// already); in another, for that rule's own sources it does not exclude (none
/// left: not at all). Only an alternative with no `eventSource`, or an
/// `anything-but` of names, can be narrowed so; any other is refused.
fn narrowed(
    alt: &Value,
    first: bool,
    own: &BTreeSet<String>,
    others: &BTreeSet<String>,
    group: &str,
) -> Option<Value> {
    let excluded: BTreeSet<String> = match alt.get("eventSource") {
        None => BTreeSet::new(),
        Some(Value::Array(matchers)) => match matchers.as_slice() {
            [matcher] => match matcher.get("anything-but") {
                Some(Value::String(s)) => [s.clone()].into(),
                Some(Value::Array(names)) if names.iter().all(Value::is_string) => names
                    .iter()
                    .filter_map(|n| n.as_str().map(str::to_owned))
                    .collect(),
                _ => {
                    panic!("group {group}: cannot narrow an alternative's sources per rule: {alt}")
                }
            },
            _ => panic!("group {group}: cannot narrow an alternative's sources per rule: {alt}"),
        },
        Some(_) => panic!("group {group}: cannot narrow an alternative's sources per rule: {alt}"),
    };
    let mut narrowed = alt.clone();
    if first {
        // Nothing to leave to other rules: the alternative as it was.
        if others.is_empty() {
            return Some(narrowed);
        }
        let all: Vec<String> = excluded.union(others).cloned().collect();
        narrowed["eventSource"] = json!([{ "anything-but": all }]);
    } else {
        let mine: Vec<&String> = own.difference(&excluded).collect();
        if mine.is_empty() {
            return None;
        }
        narrowed["eventSource"] = json!(mine);
    }
    Some(narrowed)
}

/// An alternative that lists its event sources by name.
fn has_named_sources(alt: &Value) -> bool {
    alt["eventSource"]
        .as_array()
        .is_some_and(|s| !s.is_empty() && s.iter().all(Value::is_string))
}

/// The name of a group's `index`th central rule (from 0), after the stack's:
/// `<group>`, then `<group>-2`, `<group>-3`...
pub fn group_rule_name(group: &FunctionGroup, index: usize) -> String {
    match index {
        0 => group.name.to_owned(),
        n => format!("{}-{}", group.name, n + 1),
    }
}

/// Alternatives that name their sources packed into as few rules as fit `limit`
/// characters each, in order: alternatives that share an event source are bundled
/// first (one rule takes them all), then bundles fill the first rule with room.
/// (Source-less alternatives are `with_sourceless`'s.)
fn pack_by_source(alternatives: Vec<Value>, limit: usize) -> Vec<Vec<Value>> {
    let mut bundles: Vec<(BTreeSet<String>, Vec<Value>)> = Vec::new();
    for alt in alternatives {
        let mut sources = named_sources(&alt);
        let mut members = vec![alt];
        // Every bundle sharing a source joins this one.
        let mut i = 0;
        while i < bundles.len() {
            if bundles[i].0.is_disjoint(&sources) {
                i += 1;
            } else {
                let (theirs, mut alts) = bundles.remove(i);
                sources.extend(theirs);
                alts.append(&mut members);
                members = alts;
            }
        }
        bundles.push((sources, members));
    }
    let mut rules: Vec<Vec<Value>> = Vec::new();
    for (_, bundle) in bundles {
        first_fit(&mut rules, bundle, fit, limit);
    }
    rules
}

/// Puts `piece` into the first of `rules` it still fits in (within `limit`
/// characters) once `shape`d into a pattern, or into a new rule.
fn first_fit(
    rules: &mut Vec<Vec<Value>>,
    piece: Vec<Value>,
    shape: fn(Vec<Value>) -> Value,
    limit: usize,
) {
    let fits = |rule: &Vec<Value>| {
        let mut all = rule.clone();
        all.extend(piece.iter().cloned());
        pattern_len(&shape(all)) <= limit
    };
    match rules.iter_mut().find(|r| fits(r)) {
        Some(rule) => rule.extend(piece),
        None => rules.push(piece),
    }
}

/// Shared beginnings shorter than this never become a prefix: a short one
/// (`Delete`) would take most of a service's events.
const MIN_NAME_PREFIX: usize = 10;

/// Read verbs: a prefix starting with one could take a service's high-volume reads
/// (`DescribeSnapshot...`) into a rule that receives every management event.
const READ_VERBS: [&str; 3] = ["Describe", "Get", "List"];

/// `alternatives` wrapped, made to fit [`MAX_PATTERN_CHARS`]: while the pattern is
/// too long, the names of one `eventName` list that share a prefix and save the
/// most characters are replaced by `{"prefix": ...}` (`RestoreDBInstanceFromS3`,
/// `RestoreDBInstanceToPointInTime`, ...: `RestoreDBInstance`). A prefix may take
/// events of the source that no detection names; they reach the function, whose
/// detections check the name themselves and ignore them. So this only happens
/// where the pattern would not fit otherwise: a group's one central rule is
/// exact until its list outgrows the limit. Deterministic (ties go to the
/// alphabetically first prefix), as the template test needs.
///
/// When no prefix is left to take, two alternatives of sources and names alone
/// become one listing both sources and both name lists (the two with the fewest
/// names, so that the fewest other calls get in): it also takes one service's
/// names from the other's source, calls that mostly do not exist and that the
/// detections ignore. Never for a list with a read verb's name, which could
/// take a high-volume read of the other service.
fn fit(mut alternatives: Vec<Value>) -> Value {
    while pattern_len(&wrap(alternatives.clone())) > MAX_PATTERN_CHARS {
        if let Some((alt, prefix)) = best_prefix(&alternatives) {
            if let Some(Value::Array(names)) = alternatives[alt].get_mut("eventName") {
                names.retain(|n| !n.as_str().is_some_and(|n| n.starts_with(&prefix)));
                names.push(json!({ "prefix": prefix }));
            }
        } else if let Some((first, second)) = smallest_mergeable_pair(&alternatives) {
            let other = alternatives.remove(second);
            let merged = &mut alternatives[first];
            for key in ["eventSource", "eventName"] {
                if let (Some(Value::Array(mine)), Some(Value::Array(theirs))) =
                    (merged.get_mut(key), other.get(key))
                {
                    for v in theirs {
                        if !mine.contains(v) {
                            mine.push(v.clone());
                        }
                    }
                }
            }
            // A name one service lists whole and another by a prefix
            // (Lambda's `AddPermission`, SQS's) is taken by the prefix alone.
            if let Some(Value::Array(names)) = merged.get_mut("eventName") {
                let prefixes: Vec<String> = names
                    .iter()
                    .filter_map(|n| Some(n.get("prefix")?.as_str()?.to_owned()))
                    .collect();
                names.retain(|n| {
                    n.as_str()
                        .is_none_or(|n| !prefixes.iter().any(|p| n.starts_with(p.as_str())))
                });
            }
        } else {
            break;
        }
    }
    wrap(alternatives)
}

/// The two alternatives of `eventSource` and `eventName` alone, without a
/// read verb's name, with the fewest names between them (ties: the first).
fn smallest_mergeable_pair(alternatives: &[Value]) -> Option<(usize, usize)> {
    let names = |alt: &Value| -> Option<usize> {
        let map = alt.as_object()?;
        if map.len() != 2 || !matches!(map.get("eventSource"), Some(Value::Array(_))) {
            return None;
        }
        let Some(Value::Array(names)) = map.get("eventName") else {
            return None;
        };
        let reads = names.iter().any(|n| {
            let text = n
                .as_str()
                .or_else(|| n.get("prefix").and_then(Value::as_str));
            text.is_none_or(|t| READ_VERBS.iter().any(|v| t.starts_with(v)))
        });
        (!reads).then_some(names.len())
    };
    let sized: Vec<(usize, usize)> = alternatives
        .iter()
        .enumerate()
        .filter_map(|(i, alt)| Some((i, names(alt)?)))
        .collect();
    let mut best: Option<(usize, usize, usize)> = None;
    for (a, &(i, n)) in sized.iter().enumerate() {
        for &(j, m) in &sized[a + 1..] {
            if best.is_none_or(|(total, _, _)| n + m < total) {
                best = Some((n + m, i, j));
            }
        }
    }
    best.map(|(_, i, j)| (i, j))
}

/// The (alternative, prefix) whose replacement saves the most characters, if any
/// saves some: each prefix shared by two names next to each other in sorted order.
fn best_prefix(alternatives: &[Value]) -> Option<(usize, String)> {
    let mut best: Option<(usize, usize, String)> = None;
    for (i, alt) in alternatives.iter().enumerate() {
        let Some(Value::Array(names)) = alt.get("eventName") else {
            continue;
        };
        let mut plain: Vec<&str> = names.iter().filter_map(Value::as_str).collect();
        plain.sort_unstable();
        for pair in plain.windows(2) {
            let common = pair[0]
                .bytes()
                .zip(pair[1].bytes())
                .take_while(|(a, b)| a == b)
                .count();
            let Some(prefix) = pair[0].get(..common) else {
                continue;
            };
            if common < MIN_NAME_PREFIX || READ_VERBS.iter().any(|v| prefix.starts_with(v)) {
                continue;
            }
            // `"name",` per name taken, against `{"prefix":"..."},`.
            let taken: usize = plain
                .iter()
                .filter(|n| n.starts_with(prefix))
                .map(|n| n.len() + 3)
                .sum();
            let cost = prefix.len() + r#"{"prefix":""},"#.len();
            let saved = taken.saturating_sub(cost);
            let better = match &best {
                None => saved > 0,
                Some((s, _, p)) => saved > *s || (saved == *s && prefix < p.as_str()),
            };
            if better {
                best = Some((saved, i, prefix.to_owned()));
            }
        }
    }
    best.map(|(_, i, p)| (i, p))
}

/// `alternatives` with the event-source alternatives that differ only in their
/// source merged into one listing every source: `{"eventSource": [a, b], ...}`
/// matches exactly what the two did (WAF's three APIs share one name list), in
/// fewer characters of a pattern EventBridge caps at [`MAX_PATTERN_CHARS`]. Order
/// is kept: each merged alternative stands where its first source was.
fn merge_sources(alternatives: Vec<Value>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::with_capacity(alternatives.len());
    'next: for alt in alternatives {
        if let Value::Object(map) = &alt
            && let Some(Value::Array(sources)) = map.get("eventSource")
        {
            let rest = |m: &Map<String, Value>| {
                let mut m = m.clone();
                m.remove("eventSource");
                m
            };
            let mine = rest(map);
            for earlier in out.iter_mut() {
                if let Value::Object(e) = earlier
                    && matches!(e.get("eventSource"), Some(Value::Array(_)))
                    && rest(e) == mine
                    && let Some(Value::Array(theirs)) = e.get_mut("eventSource")
                {
                    theirs.extend(sources.iter().cloned());
                    continue 'next;
                }
            }
        }
        out.push(alt);
    }
    out
}

/// Order-insensitive form of a pattern: value lists and `$or` alternatives sorted.
pub fn normalize(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), normalize(v))).collect())
        }
        Value::Array(items) => {
            let mut items: Vec<Value> = items.iter().map(normalize).collect();
            items.sort_by_key(|i| i.to_string());
            Value::Array(items)
        }
        other => other.clone(),
    }
}

/// True when some detection of the group needs read-only management events.
pub fn needs_read_only(group: &FunctionGroup) -> bool {
    catalog::group_detections(group)
        .iter()
        .any(|d| d.meta().needs_read_only_events())
}

/// The state of the group's rule: `ENABLED`, or [`ALL_MANAGEMENT_EVENTS`] where a
/// detection needs read-only events.
pub fn group_rule_state(group: &FunctionGroup) -> &'static str {
    if needs_read_only(group) {
        ALL_MANAGEMENT_EVENTS
    } else {
        "ENABLED"
    }
}

/// Which forwarding rules an event travels by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forwarding {
    /// State `ENABLED`: every write management event (and data event) some
    /// trigger names, read-only triggers' names included (an `ENABLED` rule never
    /// receives read-only events, so listing them costs nothing and still forwards
    /// a write call that a read-only trigger happens to name), and the canary.
    Write,
    /// State [`ALL_MANAGEMENT_EVENTS`]: the read-only triggers only, each narrowed to
    /// `readOnly: true`, so that no event travels by both kinds of rule.
    ReadOnly,
}

impl Forwarding {
    pub fn state(self) -> &'static str {
        match self {
            Forwarding::Write => "ENABLED",
            Forwarding::ReadOnly => ALL_MANAGEMENT_EVENTS,
        }
    }
    /// The name part of its rules (`<prefix>-forward-<kind>-<n>`).
    pub fn kind(self) -> &'static str {
        match self {
            Forwarding::Write => "write",
            Forwarding::ReadOnly => "read-only",
        }
    }
}

/// The patterns of the forwarding rules of one kind, in order: as few rules as fit
/// in [`MAX_PATTERN_CHARS`] each. Alternatives of one event source stay in one rule
/// (a narrowed and a plain alternative of a source may both match one event, and
/// two rules would forward it twice); the user-agent alternatives go into the first
/// rule; the canary and [`guard`] go into a write rule of their own choosing.
/// Empty when no trigger needs this kind.
pub fn forwarder_patterns(kind: Forwarding) -> Vec<Value> {
    let triggers: Vec<&Trigger> = catalog::ALL
        .iter()
        .flat_map(|d| d.meta().triggers)
        .filter(|t| kind == Forwarding::Write || t.takes_read_only_events())
        .collect();
    let mut alts = alternatives(triggers);
    // The canary travels with the guard (`add_guard`), whatever names it.
    let canary = alternatives([&canary::TRIGGER]);
    alts.retain(|a| !canary.contains(a));
    if kind == Forwarding::ReadOnly {
        for a in &mut alts {
            let m = a.as_object_mut().expect("alternatives are objects");
            assert!(
                !m.contains_key("readOnly"),
                "a trigger pattern sets readOnly"
            );
            m.insert("readOnly".into(), json!([true]));
        }
    }
    // Bundles that must share a rule: the alternatives of one source, and all the
    // source-less (user-agent) alternatives.
    let mut bundles: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for a in alts {
        let key = a["eventSource"][0].as_str().unwrap_or("").to_owned();
        bundles.entry(key).or_default().push(a);
    }
    let mut rules: Vec<Vec<Value>> = Vec::new();
    for (source, bundle) in bundles {
        for piece in split_to_fit(bundle, &source) {
            first_fit(&mut rules, piece, wrap, MAX_PATTERN_CHARS);
        }
    }
    if kind == Forwarding::Write {
        add_guard(&mut rules, canary);
    }
    rules.into_iter().map(wrap).collect()
}

/// Puts the canary with [`guard::ALTERNATIVES`] in the first write rule with
/// room for them that carries no alternative of the services the guard watches
/// ([`guard::WATCHED_SOURCES`]), or in a rule of their own.
fn add_guard(rules: &mut Vec<Vec<Value>>, canary: Vec<Value>) {
    let watched = |a: &Value| {
        a["eventSource"]
            .as_array()
            .is_some_and(|s| guard::WATCHED_SOURCES.iter().any(|w| s.contains(&json!(w))))
    };
    let mut bundle = canary;
    bundle.extend(guard::alternatives());
    let room = rules.iter().position(|r| {
        !r.iter().any(watched) && {
            let mut with = r.clone();
            with.extend(bundle.iter().cloned());
            pattern_len(&wrap(with)) <= MAX_PATTERN_CHARS
        }
    });
    match room {
        Some(i) => rules[i].extend(bundle),
        None => rules.push(bundle),
    }
}

/// A bundle that does not fit one pattern is split by its names (one alternative
/// per share of the names); what still does not fit fails loudly.
fn split_to_fit(bundle: Vec<Value>, source: &str) -> Vec<Vec<Value>> {
    if pattern_len(&wrap(bundle.clone())) <= MAX_PATTERN_CHARS {
        return vec![bundle];
    }
    let mut out = Vec::new();
    for alt in bundle {
        let names = alt["eventName"].as_array().cloned().unwrap_or_default();
        if pattern_len(&wrap(vec![alt.clone()])) <= MAX_PATTERN_CHARS {
            out.push(vec![alt]);
            continue;
        }
        assert!(
            names.len() > 1,
            "one forwarding alternative of {source} exceeds {MAX_PATTERN_CHARS} characters: {alt}"
        );
        let (a, b) = names.split_at(names.len() / 2);
        for half in [a, b] {
            let mut part = alt.clone();
            part["eventName"] = Value::Array(half.to_vec());
            out.extend(split_to_fit(vec![part], source));
        }
    }
    out
}

/// The length EventBridge counts: the pattern as compact JSON.
pub fn pattern_len(pattern: &Value) -> usize {
    pattern.to_string().chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarding_covers_every_group_and_the_canary() {
        let write = forwarder_patterns(Forwarding::Write);
        assert!(!write.is_empty());
        for p in write
            .iter()
            .chain(&forwarder_patterns(Forwarding::ReadOnly))
        {
            assert!(pattern_len(p) <= MAX_PATTERN_CHARS, "{p}");
        }
        let canary = json!({"source": "aws.ssm", "detail-type": "AWS API Call via CloudTrail", "detail": {
            "eventSource": canary::EVENT_SOURCE, "eventName": canary::EVENT_NAME,
            "readOnly": false, "requestParameters": {"name": "trailwatch-canary", "type": "String"}}});
        let n = write
            .iter()
            .filter(|p| matcher::matches(p, &canary).unwrap())
            .count();
        assert_eq!(n, 1, "the canary travels by exactly one rule");
        // A change to a forwarding rule travels by two: the rule of EventBridge's
        // calls and the canary's; a rule of another name by one.
        for (service, name, params) in [
            (
                "events",
                "DisableRule",
                json!({"name": "trailwatch-forward-write-6"}),
            ),
            (
                "events",
                "DeleteRule",
                json!({"name": "tw-forward-read-only-1", "force": true}),
            ),
            (
                "events",
                "EnableRule",
                json!({"name": "trailwatch-forward-write-6"}),
            ),
            (
                "events",
                "PutRule",
                json!({"name": "trailwatch-forward-write-13", "eventPattern": "{}"}),
            ),
            (
                "events",
                "RemoveTargets",
                json!({"rule": "trailwatch-forward-write-2", "ids": ["central-bus"]}),
            ),
            (
                "events",
                "PutTargets",
                json!({"rule": "trailwatch-forward-write-2", "targets": []}),
            ),
            (
                "events",
                "PutTargets",
                json!({"reason": "requestParameters too large", "omitted": true}),
            ),
            (
                "iam",
                "UpdateAssumeRolePolicy",
                json!({"roleName": "trailwatch-forwarder-us-east-1", "policyDocument": "{}"}),
            ),
            (
                "iam",
                "DeleteRolePolicy",
                json!({"roleName": "TrailWatch-Forwarder-eu-west-1", "policyName": "put-events"}),
            ),
            (
                "iam",
                "CreatePolicyVersion",
                json!({"policyArn": "arn:aws:iam::111122223333:policy/shared-deny", "setAsDefault": true}),
            ),
        ] {
            let change = json!({"source": format!("aws.{service}"), "detail-type": "AWS API Call via CloudTrail",
                "detail": {"eventSource": format!("{service}.amazonaws.com"), "eventName": name, "readOnly": false,
                "requestParameters": params}});
            let by: Vec<&Value> = write
                .iter()
                .filter(|p| matcher::matches(p, &change).unwrap())
                .collect();
            assert_eq!(by.len(), 2, "{name}: {change}");
            // One of the two is the canary's rule.
            assert!(
                by.iter().any(|p| matcher::matches(p, &canary).unwrap()),
                "{name}: not by the canary's rule"
            );
            let mut other = change.clone();
            // EventBridge's rule names are exact: another rule's call travels once.
            let mut renamed = false;
            for key in ["name", "rule"] {
                if other["detail"]["requestParameters"].get(key).is_some() {
                    other["detail"]["requestParameters"][key] = json!("nightly-report");
                    renamed = true;
                }
            }
            if renamed {
                let n = write
                    .iter()
                    .filter(|p| matcher::matches(p, &other).unwrap())
                    .count();
                assert_eq!(n, 1, "{name} on another rule or role: {other}");
            }
        }
        let other = json!({"source": "aws.ssm", "detail": {"eventSource": "ssm.amazonaws.com", "eventName": "PutParameter",
            "requestParameters": {"name": "app-config"}}});
        assert!(!write.iter().any(|p| matcher::matches(p, &other).unwrap()));
        // Put by someone with `PutEvents` (any source but AWS's own): a forged
        // canary travels by no rule.
        let mut forged = canary.clone();
        forged["source"] = json!("com.example.forged");
        assert!(!write.iter().any(|p| matcher::matches(p, &forged).unwrap()));
    }

    #[test]
    fn read_only_forwarding_needs_read_only_true() {
        for p in forwarder_patterns(Forwarding::ReadOnly) {
            let alts = p["detail"]["$or"]
                .as_array()
                .cloned()
                .unwrap_or_else(|| vec![p["detail"].clone()]);
            for a in alts {
                assert_eq!(a["readOnly"], json!([true]), "{a}");
            }
        }
    }

    #[test]
    fn sources_sharing_a_name_list_share_one_alternative() {
        let alts = vec![
            json!({"eventSource": ["a.amazonaws.com"], "eventName": ["X", "Y"]}),
            json!({"eventSource": ["b.amazonaws.com"], "eventName": ["Z"]}),
            json!({"eventSource": ["c.amazonaws.com"], "eventName": ["X", "Y"]}),
            json!({"eventSource": ["d.amazonaws.com"], "eventName": ["X", "Y"], "errorCode": [{"exists": false}]}),
            json!({"userAgent": [{"prefix": "x"}]}),
        ];
        assert_eq!(
            merge_sources(alts),
            vec![
                json!({"eventSource": ["a.amazonaws.com", "c.amazonaws.com"], "eventName": ["X", "Y"]}),
                json!({"eventSource": ["b.amazonaws.com"], "eventName": ["Z"]}),
                json!({"eventSource": ["d.amazonaws.com"], "eventName": ["X", "Y"], "errorCode": [{"exists": false}]}),
                json!({"userAgent": [{"prefix": "x"}]}),
            ]
        );
    }

    #[test]
    fn oversized_bundles_are_split_by_name() {
        let names: Vec<String> = (0..300).map(|i| format!("SomeLongApiName{i:04}")).collect();
        let alt = json!({"eventSource": ["example.amazonaws.com"], "eventName": names});
        let parts = split_to_fit(vec![alt], "example.amazonaws.com");
        assert!(parts.len() > 1);
        let mut seen = 0;
        for p in &parts {
            assert!(pattern_len(&wrap(p.clone())) <= MAX_PATTERN_CHARS);
            seen += p
                .iter()
                .map(|a| a["eventName"].as_array().unwrap().len())
                .sum::<usize>();
        }
        assert_eq!(seen, 300, "every name is kept");
    }

    /// A central pattern over the limit takes prefixes, longest savings first, until
    /// it fits; every name is still matched, and one that fits is left exact.
    #[test]
    fn an_oversized_central_pattern_takes_prefixes_until_it_fits() {
        let mut names: Vec<String> = (0..90)
            .map(|i| format!("RestoreSomethingFrom{i:03}"))
            .collect();
        names.extend((0..40).map(|i| format!("Other{i:02}")));
        let alt = json!({"eventSource": ["example.amazonaws.com"], "eventName": names.clone()});
        assert!(pattern_len(&wrap(vec![alt.clone()])) > MAX_PATTERN_CHARS);
        let fitted = fit(vec![alt]);
        assert!(pattern_len(&fitted) <= MAX_PATTERN_CHARS, "{fitted}");
        let list = fitted["detail"]["eventName"].as_array().unwrap().clone();
        assert!(
            list.contains(&json!({"prefix": "RestoreSomethingFrom0"})),
            "{fitted}"
        );
        for n in &names {
            let event = json!({"source": "aws.example", "detail": {"eventSource": "example.amazonaws.com", "eventName": n}});
            assert_eq!(matcher::matches(&fitted, &event), Ok(true), "{n}");
        }
        // A read verb's shared beginning never becomes a prefix.
        let reads: Vec<String> = (0..120)
            .map(|i| format!("DescribeSomethingLong{i:03}"))
            .collect();
        let alt = json!({"eventSource": ["example.amazonaws.com"], "eventName": reads});
        let kept = fit(vec![alt.clone()]);
        assert_eq!(
            kept,
            wrap(vec![alt]),
            "left over the limit for the template test to refuse"
        );
        // Short shared beginnings (`Other`) never become a prefix.
        assert!(list.iter().all(|v| {
            v.get("prefix")
                .is_none_or(|p| p.as_str().unwrap().len() >= MIN_NAME_PREFIX)
        }));
        let small = json!({"eventSource": ["example.amazonaws.com"], "eventName": ["RestoreThingFromA", "RestoreThingFromB"]});
        assert_eq!(fit(vec![small.clone()]), wrap(vec![small]));
    }

    /// Thirty alternatives of one source and two short names each: too many
    /// for one pattern, and no prefix shortens them.
    fn thirty_plain_alternatives() -> Vec<Value> {
        (0..30)
            .map(|i| {
                json!({"eventSource": [format!("service{i:02}.amazonaws.com")],
                       "eventName": [format!("Change{i:02}"), format!("Remove{i:02}")]})
            })
            .collect()
    }

    /// With no prefix left to take, the smallest alternatives of sources and
    /// names alone merge until the pattern fits: every call is still matched,
    /// an alternative with a read verb's name or a condition on a request
    /// parameter is never merged, and a pattern that fits is left as it is.
    #[test]
    fn an_oversized_central_pattern_merges_its_smallest_plain_alternatives() {
        let mut alts = thirty_plain_alternatives();
        let reads = json!({"eventSource": ["reads.amazonaws.com"], "eventName": ["GetThing", "ListThings"]});
        let bucket = json!({"eventSource": ["s3.amazonaws.com"], "eventName": ["PutBucketPolicy"],
                            "requestParameters": {"bucketName": [{"wildcard": "*-tuningbucket-*"}]}});
        alts.push(reads.clone());
        alts.push(bucket.clone());
        assert!(pattern_len(&wrap(alts.clone())) > MAX_PATTERN_CHARS);
        let fitted = fit(alts.clone());
        assert!(pattern_len(&fitted) <= MAX_PATTERN_CHARS, "{fitted}");
        let kept = fitted["detail"]["$or"].as_array().unwrap();
        assert!(kept.len() < alts.len(), "{fitted}");
        assert!(kept.contains(&reads) && kept.contains(&bucket), "{fitted}");
        for alt in &alts {
            let source = alt["eventSource"][0].as_str().unwrap();
            for name in alt["eventName"].as_array().unwrap() {
                let mut detail = json!({"eventSource": source, "eventName": name});
                if alt.get("requestParameters").is_some() {
                    detail["requestParameters"] = json!({"bucketName": "tw-tuningbucket-1"});
                }
                let event = json!({"source": "aws.x", "detail": detail});
                assert_eq!(matcher::matches(&fitted, &event), Ok(true), "{event}");
            }
        }
        let fits = alts[..3].to_vec();
        assert_eq!(fit(fits.clone()), wrap(fits));
    }

    /// Two alternatives merged, one listing a name the other takes by a prefix
    /// (Lambda's `AddPermission` prefix, SQS's `AddPermission`): the name is
    /// dropped, since the prefix matches it for every source of the merge.
    #[test]
    fn a_merged_name_a_prefix_already_takes_is_dropped() {
        let mut alts = thirty_plain_alternatives();
        alts.push(json!({"eventSource": ["lambda.amazonaws.com"], "eventName": [{"prefix": "AddPermission"}]}));
        alts.push(json!({"eventSource": ["sqs.amazonaws.com"], "eventName": ["AddPermission"]}));
        let fitted = fit(alts);
        let merged = fitted["detail"]["$or"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| {
                a["eventSource"]
                    .as_array()
                    .unwrap()
                    .contains(&json!("sqs.amazonaws.com"))
            })
            .unwrap()
            .clone();
        let names = merged["eventName"].as_array().unwrap();
        assert!(
            names.contains(&json!({"prefix": "AddPermission"})),
            "{merged}"
        );
        assert!(!names.contains(&json!("AddPermission")), "{merged}");
        let event = json!({"source": "aws.sqs", "detail": {"eventSource": "sqs.amazonaws.com", "eventName": "AddPermission"}});
        assert_eq!(matcher::matches(&fitted, &event), Ok(true));
    }

    /// Alternatives too many for one pattern are packed into rules that each fit,
    /// with every alternative of one event source in the same rule: an event of
    /// any source matches exactly one rule.
    #[test]
    fn alternatives_too_many_for_one_rule_are_packed_by_source() {
        let mut alts: Vec<Value> = (0..60)
            .map(|i| {
                json!({"eventSource": [format!("service{i:02}.amazonaws.com")],
                       "eventName": [format!("ChangeSomethingLong{i:02}"), format!("RemoveSomethingLong{i:02}")]})
            })
            .collect();
        // A narrowed alternative of one source beside its plain one, and one that
        // lists two sources, one of them another's.
        alts.push(
            json!({"eventSource": ["service07.amazonaws.com"], "eventName": ["PutThing"],
                         "requestParameters": {"name": [{"prefix": "x"}]}}),
        );
        alts.push(json!({"eventSource": ["service08.amazonaws.com", "service41.amazonaws.com"], "eventName": ["Shared"]}));
        let rules: Vec<Value> = pack_by_source(alts.clone(), MAX_PATTERN_CHARS)
            .into_iter()
            .map(fit)
            .collect();
        assert!(rules.len() > 1, "needs more than one rule");
        for rule in &rules {
            assert!(pattern_len(rule) <= MAX_PATTERN_CHARS, "{rule}");
        }
        for alt in &alts {
            for source in alt["eventSource"].as_array().unwrap() {
                for name in alt["eventName"].as_array().unwrap() {
                    let mut detail = json!({"eventSource": source, "eventName": name});
                    if alt.get("requestParameters").is_some() {
                        detail["requestParameters"] = json!({"name": "x1"});
                    }
                    let event = json!({"source": "aws.x", "detail": detail});
                    let matching = rules
                        .iter()
                        .filter(|r| matcher::matches(r, &event) == Ok(true))
                        .count();
                    assert_eq!(matching, 1, "{event}");
                }
            }
        }
    }

    /// From a review: an alternative that names no source (calls made as root) is
    /// narrowed per rule, so a root call of any source matches exactly one rule.
    #[test]
    fn a_sourceless_alternative_is_narrowed_to_each_rule() {
        let sourced: Vec<Value> = (0..60)
            .map(|i| {
                json!({"eventSource": [format!("service{i:02}.amazonaws.com")],
                       "eventName": [format!("C{i:02}hangeSomethingLong"), format!("R{i:02}emoveSomethingLong")]})
            })
            .collect();
        // Names that share no long beginning: no prefix shortens them.
        let packed = pack_by_source(sourced, MAX_PATTERN_CHARS);
        assert!(packed.len() > 1);
        let rules = with_sourceless(packed, &[root_alternative()], "test");
        let as_root = |source: &str| json!({"source": "aws.x", "detail": {"eventSource": source, "eventName": "Anything", "userIdentity": {"type": "Root"}}});
        for source in [
            "service00.amazonaws.com",
            "service59.amazonaws.com",
            "s3.amazonaws.com",
        ] {
            let matching = rules
                .iter()
                .filter(|r| matcher::matches(r, &as_root(source)) == Ok(true))
                .count();
            assert_eq!(matching, 1, "{source}");
        }
        // The sign-in service's root events stay out, as the alternative says.
        let signin = rules
            .iter()
            .filter(|r| matcher::matches(r, &as_root("signin.amazonaws.com")) == Ok(true))
            .count();
        assert_eq!(signin, 0);
    }
}
