//! Reading the EventBridge envelope of an invocation.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use tracing::debug;

/// What trailwatch reads of an EventBridge envelope.
pub(super) struct Envelope {
    pub id: Option<String>,
    pub detail_type: String,
    /// `None` when the envelope has none (read leniently).
    pub source: Option<String>,
    pub detail: Box<RawValue>,
}

/// The envelope's id, detail-type, source and detail: typed with
/// aws_lambda_events, and when that fails on a field trailwatch does not use (a
/// malformed `time`, say), read leniently, so that only what matters can reject
/// an event.
pub(super) fn parse_envelope(payload: &str) -> Result<Envelope, serde_json::Error> {
    #[derive(Deserialize)]
    struct Loose {
        #[serde(default)]
        id: Option<Value>,
        #[serde(rename = "detail-type")]
        detail_type: String,
        #[serde(default)]
        source: Option<String>,
        detail: Box<RawValue>,
    }
    match serde_json::from_str::<EventBridgeEvent<Box<RawValue>>>(payload) {
        Ok(e) => Ok(Envelope {
            id: e.id,
            detail_type: e.detail_type,
            source: Some(e.source),
            detail: e.detail,
        }),
        Err(typed) => match serde_json::from_str::<Loose>(payload) {
            Ok(l) => {
                debug!(reason = %typed, "envelope read leniently");
                let id = l.id.map(|v| match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                });
                Ok(Envelope {
                    id,
                    detail_type: l.detail_type,
                    source: l.source,
                    detail: l.detail,
                })
            }
            Err(_) => Err(typed),
        },
    }
}

/// The EventBridge `id` when the payload has one, for logs about bad events.
pub(super) fn probe_id(payload: &str) -> String {
    #[derive(Deserialize)]
    struct Probe {
        #[serde(default)]
        id: Option<Value>,
    }
    match serde_json::from_str::<Probe>(payload)
        .ok()
        .and_then(|p| p.id)
    {
        Some(Value::String(s)) => crate::sanitize::one_line(&s, 128),
        Some(other) => crate::sanitize::one_line(&other.to_string(), 128),
        None => "(no id)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_event_ids_are_probed() {
        assert_eq!(probe_id(r#"{"id":"abc","detail":1}"#), "abc");
        assert_eq!(probe_id(r#"{"id":7}"#), "7");
        assert_eq!(probe_id("not json"), "(no id)");
    }
}
