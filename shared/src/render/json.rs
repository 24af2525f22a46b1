//! The finding as JSON within a byte budget: what every channel with a size
//! limit sends (the SNS message's machine variants, OCSF's shortened copy).

use serde_json::{Map, Value, json};

use crate::finding::Finding;

/// At most this many event ids are listed with console links in the e-mail, and
/// kept in a finding cut down to its ids.
pub const MAX_LISTED_EVENTS: usize = 25;

/// The finding as JSON, within `max_bytes`: long evidence values are shortened
/// first (strings cut with a mark, other values replaced by a cut rendering of
/// their JSON), then the evidence is dropped; `evidence_truncated: true` says so.
pub fn finding_json(f: &Finding, max_bytes: usize) -> String {
    let full = f.to_json();
    if full.len() <= max_bytes {
        return full;
    }
    // Read back to cut it: nested deeper than serde_json reads (128 levels),
    // the finding is summed up by its ids, never sent whole over the budget.
    let mut v: Value = match serde_json::from_str(&full) {
        Ok(v) => v,
        Err(_) => return ids_only(f),
    };
    for cap in [4096usize, 1024, 256] {
        if let Some(Value::Object(ev)) = v.get_mut("evidence") {
            for (_, val) in ev.iter_mut() {
                let text = match &*val {
                    Value::String(s) => s.clone(),
                    Value::Null | Value::Bool(_) | Value::Number(_) => continue,
                    other => other.to_string(),
                };
                if text.len() > cap {
                    *val = Value::String(cut_utf8(&text, cap));
                }
            }
        }
        if let Some(obj) = v.as_object_mut() {
            obj.insert("evidence_truncated".into(), Value::Bool(true));
            trim_lists(obj);
        }
        let s = v.to_string();
        if s.len() <= max_bytes {
            return s;
        }
    }
    if let Some(obj) = v.as_object_mut() {
        obj.insert("evidence".into(), json!({}));
        obj.insert("user_agent".into(), Value::Null);
    }
    let s = v.to_string();
    if s.len() <= max_bytes {
        return s;
    }
    ids_only(f)
}

/// Only the finding's ids and verdict, each capped: always small, whatever the
/// record.
fn ids_only(f: &Finding) -> String {
    let capped = |v: &str| {
        if v.len() > 128 {
            cut_utf8(v, 128)
        } else {
            v.to_owned()
        }
    };
    json!({
        "finding_id": f.finding_id,
        "detection_id": f.detection_id,
        "title": f.title,
        "severity": f.severity,
        "account_id": f.account_id.as_deref().map(capped),
        "region": f.region.as_deref().map(capped),
        "event_ids": f.event_ids.iter().take(MAX_LISTED_EVENTS).map(|id| capped(id)).collect::<Vec<_>>(),
        "evidence_truncated": true,
    })
    .to_string()
}

/// Keeps long id lists readable within the budget (the first ids are kept).
fn trim_lists(obj: &mut Map<String, Value>) {
    for key in ["event_ids", "event_names", "event_sources"] {
        if let Some(Value::Array(items)) = obj.get_mut(key)
            && items.len() > 200
        {
            items.truncate(200);
        }
    }
}

/// The first `max` bytes of `s` on a char boundary, plus the cut mark.
pub(crate) fn cut_utf8(s: &str, max: usize) -> String {
    format!(
        "{}{}",
        &s[..s.floor_char_boundary(max)],
        crate::sanitize::CUT_MARK
    )
}
