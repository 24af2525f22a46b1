//! The EventBridge rules derived from the detections' metadata: one pattern per
//! function group, and the rule state it needs. template.yaml (and the forwarder
//! templates) carry these patterns; tests/template.rs checks them and, with
//! `TRAILWATCH_BLESS=1`, writes them.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::catalog::{self, FunctionGroup};
use crate::detection::Trigger;

/// The rule state that lets read-only management events through.
pub const ALL_MANAGEMENT_EVENTS: &str = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS";

/// One `detail` alternative: an event source with its names (`None` = every name)
/// and an extra pattern, or a user-agent prefix.
pub fn group_pattern(group: &FunctionGroup) -> Value {
    // (source, extra detail pattern) -> names (None: every event of the source)
    let mut by_source: BTreeMap<(&str, Option<&str>), Option<BTreeSet<&str>>> = BTreeMap::new();
    let mut prefixes: BTreeSet<&str> = BTreeSet::new();
    for d in catalog::group_detections(group) {
        for t in d.meta().triggers {
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
            }
        }
    }
    // A narrowed trigger is redundant when an unnarrowed one of the same source
    // already takes all its names.
    let plain: BTreeMap<&str, Option<BTreeSet<&str>>> = by_source
        .iter()
        .filter(|((_, p), _)| p.is_none())
        .map(|((s, _), n)| (*s, n.clone()))
        .collect();
    let mut alternatives = Vec::new();
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
        alternatives.push(Value::Object(alt));
    }
    for p in prefixes {
        alternatives.push(json!({"userAgent": [{"prefix": p}]}));
    }
    assert!(
        !alternatives.is_empty(),
        "group {} has no trigger",
        group.name
    );
    let detail = if alternatives.len() == 1 {
        alternatives.pop().unwrap()
    } else {
        json!({"$or": alternatives})
    };
    json!({ "detail": detail })
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
