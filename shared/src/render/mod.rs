//! Renderings of a finding for the places security teams already work: OCSF
//! Detection Finding (SIEMs, data lakes), AWS Security Finding Format (Security
//! Hub CSPM `BatchImportFindings`) and AWS Chatbot custom notifications (Slack,
//! Microsoft Teams, Amazon Chime). Pure functions of a [`Finding`] and its
//! detection's metadata (which the finding carries), so that they work for
//! every detection, the replay CLI prints exactly what the functions send, and the
//! tests need no network. Field-by-field tables: docs/findings.md.
//!
//! [`Finding`]: crate::finding::Finding

pub mod asff;
pub mod attack;
pub mod chat;
pub mod ocsf;

use crate::event::time::parse_event_time;
use crate::finding::Finding;

/// First and last event time of a finding in epoch milliseconds, when readable
/// (one stands in for the other when only one is).
pub fn event_span_ms(f: &Finding) -> Option<(i64, i64)> {
    let first = f.event_time.first.as_deref().and_then(parse_event_time);
    let last = f.event_time.last.as_deref().and_then(parse_event_time);
    match (first, last) {
        (Some(a), Some(b)) => Some((a.min(b), a.max(b))),
        (Some(t), None) | (None, Some(t)) => Some((t, t)),
        (None, None) => None,
    }
}

/// The finding's account id when it is one (12 digits): account ids go into ARNs,
/// resource ids and chat keywords, where free text from a record must not.
pub(crate) fn account_id(f: &Finding) -> Option<&str> {
    f.account_id
        .as_deref()
        .filter(|a| crate::detections::common::is_account_id(a))
}

/// The finding's region when it looks like an AWS region name.
pub(crate) fn region(f: &Finding) -> Option<&str> {
    f.region.as_deref().filter(|r| {
        !r.is_empty()
            && r.len() <= 32
            && r.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    })
}

/// The partition of an AWS Region, from its name's prefix (the ISO ones'
/// longer prefixes first); commercial `aws` for any other.
pub(crate) fn partition_of(region: &str) -> &'static str {
    [
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("eusc-", "aws-eusc"),
        ("us-isob-", "aws-iso-b"),
        ("us-isof-", "aws-iso-f"),
        ("us-iso-", "aws-iso"),
        ("eu-isoe-", "aws-iso-e"),
    ]
    .iter()
    .find(|(prefix, _)| region.starts_with(prefix))
    .map_or("aws", |(_, p)| p)
}

/// The current time in epoch milliseconds (callers that stamp a rendering).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
