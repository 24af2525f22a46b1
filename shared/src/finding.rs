//! The finding model, and its JSON (its readable text is `render::text`).

use std::borrow::Cow;

use serde::Serialize;

use crate::detection::{Evidence, Meta, Severity};
use crate::event::time::format_event_time;
use crate::event::{Actor, Record};

/// First and last `eventTime` of the records behind a finding (RFC 3339, UTC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimeSpan {
    pub first: Option<String>,
    pub last: Option<String>,
}

/// What tuning decided about a finding (`trailwatch replay --show-suppressed`, the
/// functions' logs and metrics, OCSF status). Absent where no decision was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Disposition {
    Notified,
    Suppressed,
    Shadow,
    HeldBack,
}

impl Disposition {
    /// The word it serialises as.
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Notified => "notified",
            Disposition::Suppressed => "suppressed",
            Disposition::Shadow => "shadow",
            Disposition::HeldBack => "held-back",
        }
    }
}

/// What a detection reports: enough for an analyst to judge it without the raw logs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Stable id of this finding (same records, same id): used to send it once.
    pub finding_id: String,
    /// The detection's metadata, for renderings that explain it (not serialised:
    /// `detection_id`, `title`, `severity` and `attack` say which it is).
    #[serde(skip)]
    pub meta: &'static Meta,
    pub detection_id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    pub attack: &'static [&'static str],
    pub account_id: Option<String>,
    pub region: Option<String>,
    pub actor: Actor,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    pub event_time: TimeSpan,
    /// Every CloudTrail `eventID` that contributed.
    pub event_ids: Vec<String>,
    /// The distinct `eventName`s that contributed, in order of first appearance.
    pub event_names: Vec<String>,
    /// The distinct `eventSource`s (the services called, as
    /// `cloudtrail.amazonaws.com`) that contributed, in order of first
    /// appearance: an `eventName` alone can be two services' (`DeleteRule`).
    pub event_sources: Vec<String>,
    /// `errorCode` of the record that triggered it, for rules that fire on attempts.
    pub error_code: Option<String>,
    pub evidence: Evidence,
    /// Set by tuning (see `Disposition`); not serialised when unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disposition: Option<Disposition>,
    /// The id of the dry-run suppression entry that matched: the finding is still
    /// notified, marked with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run_suppression: Option<String>,
    /// Delivered by a retry to the destinations an earlier attempt missed: that
    /// attempt published it elsewhere, and the log line says so.
    #[serde(skip)]
    pub finished_late: bool,
}

impl Finding {
    /// A finding about one record (stateless detections).
    pub fn from_record(meta: &'static Meta, rec: &Record<'_>, evidence: Evidence) -> Finding {
        let time = rec
            .event_time_ms()
            .map(format_event_time)
            .or_else(|| rec.event_time.as_deref().map(str::to_owned));
        let identity = record_identity(rec);
        Finding {
            finding_id: finding_id(&[meta.id, &identity]),
            meta,
            detection_id: meta.id,
            title: meta.title,
            severity: meta.severity,
            attack: meta.attack,
            account_id: rec.account_id().map(str::to_owned),
            region: rec.region().map(str::to_owned),
            actor: Actor::of(rec),
            source_ip: rec.source_ip().map(str::to_owned),
            user_agent: rec.user_agent().map(str::to_owned),
            event_time: TimeSpan {
                first: time.clone(),
                last: time,
            },
            event_ids: rec
                .event_id()
                .map(|id| vec![id.to_owned()])
                .unwrap_or_default(),
            event_names: vec![rec.event_name().to_owned()],
            event_sources: event_source(rec).map(Cow::into_owned).into_iter().collect(),
            error_code: rec.error_code().map(str::to_owned),
            evidence,
            disposition: None,
            dry_run_suppression: None,
            finished_late: false,
        }
    }

    pub fn to_json(&self) -> String {
        // Serialising this struct cannot fail: every key is a string and every value
        // is plain data.
        crate::sanitize::json_line(
            serde_json::to_string(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}")),
        )
    }
}

/// The longest event source a finding shows. Real ones are under 64 bytes
/// (`bedrock-agentcore-control.amazonaws.com`); a record's own text past it is
/// cut, with the mark, so that a forged source (a detection that takes any
/// call of a root session takes any source) cannot crowd out of a size-bound
/// message what it must carry, nor push a window's item past DynamoDB's item
/// size (from a review: both happened).
pub const MAX_EVENT_SOURCE_BYTES: usize = 128;

/// The record's `eventSource` as findings show it: trimmed, cut at
/// [`MAX_EVENT_SOURCE_BYTES`], and none when blank.
pub fn event_source<'r>(rec: &'r Record<'_>) -> Option<Cow<'r, str>> {
    let source = rec.event_source().trim();
    if source.is_empty() {
        None
    } else if source.len() > MAX_EVENT_SOURCE_BYTES {
        Some(Cow::Owned(crate::render::json::cut_utf8(
            source,
            MAX_EVENT_SOURCE_BYTES,
        )))
    } else {
        Some(Cow::Borrowed(source))
    }
}

/// The id of a stateless finding about a call CloudTrail wrote to two accounts
/// (a cross-account call: the caller's copy and the resource owner's, one
/// `sharedEventID`, each its own `eventID`): the same for both copies, so that
/// the call is one finding, claimed and sent once (from a review, fifteenth
/// session: six detections reported such calls twice). The severity is part of
/// it: a detection that judges the copies apart (one critical, the other not)
/// sends both, never only the first to arrive. `None` for a record without
/// the field.
pub fn cross_account_finding_id(
    meta: &Meta,
    rec: &Record<'_>,
    severity: Severity,
) -> Option<String> {
    let shared = rec.shared_event_id()?;
    Some(finding_id(&[
        meta.id,
        "sharedEventID",
        &shared,
        severity.as_str(),
    ]))
}

/// What identifies a record when deduplicating: the call's `eventID` (the first
/// record's for one CloudTrail wrote again, [`Record::call_id`]), else a digest
/// of the fields that distinguish it.
pub fn record_identity(rec: &Record<'_>) -> String {
    match rec.call_id() {
        Some(id) => id.to_owned(),
        None => finding_id(&[
            rec.event_source(),
            rec.event_name(),
            rec.event_time.as_deref().unwrap_or(""),
            rec.source_ip().unwrap_or(""),
            crate::event::actor_key(rec),
            rec.request_parameters()
                .map(|v| v.to_string())
                .unwrap_or_default()
                .as_str(),
        ]),
    }
}

/// A stable 128-bit id (hex) of the given parts: FNV-1a, twice with different seeds.
/// Not cryptographic; it only has to be stable across processes and versions.
pub fn finding_id(parts: &[&str]) -> String {
    let mut a: u64 = 0xcbf2_9ce4_8422_2325;
    let mut b: u64 = 0x8422_2325_cbf2_9ce4;
    for part in parts {
        for &byte in part.as_bytes().iter().chain(std::iter::once(&0xffu8)) {
            a = (a ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
            b = (b ^ u64::from(byte))
                .wrapping_mul(0x0000_0100_0000_01b3)
                .rotate_left(5);
        }
    }
    format!("{a:016x}{b:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// From a review of newer record shapes: a record CloudTrail wrote again
    /// with data it lacked (`addendum`) is the first record's call, for
    /// findings and for the windows that count records (they counted the two
    /// as two failed logins); its own `eventID` is still listed.
    #[test]
    fn a_record_written_again_is_the_same_call() {
        let first = r#"{"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","eventID":"aaaa-1"}"#;
        let again = r#"{"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","eventID":"bbbb-2",
            "addendum":{"reason":"UPDATED_DATA","updatedFields":"userIdentity","originalEventID":"aaaa-1"}}"#;
        let (first, again) = (
            Record::from_json(first).unwrap(),
            Record::from_json(again).unwrap(),
        );
        assert_eq!(record_identity(&again), record_identity(&first));
        assert_eq!(
            crate::detections::common::value_per_record(&again),
            crate::detections::common::value_per_record(&first)
        );
        assert_eq!(again.event_id(), Some("bbbb-2"));
        // A late record that names no first one is its own call.
        let late = r#"{"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","eventID":"cccc-3",
            "addendum":{"reason":"DELIVERY_DELAY"}}"#;
        assert_eq!(Record::from_json(late).unwrap().call_id(), Some("cccc-3"));
    }

    /// The two copies of one cross-account call (one `sharedEventID`, two
    /// `eventID`s, one per account) make one finding id, each keeping its own
    /// event id; another call, a record without the field, or another
    /// severity, its own.
    #[test]
    fn the_copies_of_a_cross_account_call_are_one_finding() {
        let meta = crate::catalog::by_id("resource-shared-with-another-account")
            .unwrap()
            .meta();
        let copy = |event_id: &str, recipient: &str, shared: &str| {
            let text = format!(
                r#"{{"eventSource":"kms.amazonaws.com","eventName":"CreateGrant","eventID":"{event_id}",
                "recipientAccountId":"{recipient}","sharedEventID":{shared},
                "userIdentity":{{"type":"AWSAccount","principalId":"AROAEXAMPLE:s","accountId":"111122223333"}}}}"#
            );
            Record::from_json(Box::leak(text.into_boxed_str())).unwrap()
        };
        let id = |rec: &Record<'_>| cross_account_finding_id(meta, rec, Severity::Medium);
        let (callers, owners) = (
            copy("e-1", "111122223333", r#""s-1""#),
            copy("e-2", "444455556666", r#""s-1""#),
        );
        assert!(id(&callers).is_some());
        assert_eq!(id(&callers), id(&owners));
        assert_ne!(
            id(&owners),
            cross_account_finding_id(meta, &owners, Severity::Critical)
        );
        assert_ne!(id(&copy("e-3", "444455556666", r#""s-2""#)), id(&owners));
        for missing in [r#""""#, r#""  ""#, "null", "{}"] {
            assert_eq!(id(&copy("e-2", "444455556666", missing)), None, "{missing}");
        }
        let finding = Finding::from_record(meta, &owners, Evidence::new());
        assert_eq!(finding.event_ids, ["e-2"]);
        assert_eq!(finding.actor.account.as_deref(), Some("111122223333"));
        assert!(finding.to_text(false).contains("from account 111122223333"));
        assert_eq!(finding.event_sources, ["kms.amazonaws.com"]);
        let text = finding.to_text(false);
        assert!(
            text.lines()
                .any(|l| l.trim_start().starts_with("event source ")
                    && l.trim_end().ends_with(" kms.amazonaws.com")),
            "{text}"
        );
        let callers = Finding::from_record(meta, &callers, Evidence::new());
        assert_eq!(callers.actor.account, None);
    }

    /// A finding's source is the record's, trimmed, none when blank, and a
    /// forged long one cut with the mark (from a review: a 100 KB source
    /// left only the ids of a finding in its size-bound copies).
    #[test]
    fn an_event_source_is_trimmed_and_cut() {
        let of = |source: &str| {
            let json =
                serde_json::json!({"eventSource": source, "eventName": "CreateUser"}).to_string();
            let rec = Record::from_json(&json).unwrap();
            event_source(&rec).map(Cow::into_owned)
        };
        assert_eq!(
            of(" iam.amazonaws.com ").as_deref(),
            Some("iam.amazonaws.com")
        );
        assert_eq!(of("   "), None);
        assert_eq!(of(""), None);
        // Three-byte characters: the cap falls inside one, and the cut must not.
        let long = of(&"€".repeat(100_000)).unwrap();
        let kept = long.strip_suffix(crate::sanitize::CUT_MARK).unwrap();
        assert!(!kept.is_empty() && kept.len() <= MAX_EVENT_SOURCE_BYTES);
        assert!(kept.chars().all(|c| c == '€'));
    }
}
