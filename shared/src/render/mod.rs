//! Renderings of a finding for the places security teams already work: OCSF
//! Detection Finding (SIEMs, data lakes), AWS Security Finding Format (Security
//! Hub CSPM `BatchImportFindings`) and AWS Chatbot custom notifications (Slack,
//! Microsoft Teams, Amazon Chime). Pure functions of a [`Finding`] and its
//! detection's metadata (which the finding carries), so that they work for
//! every detection, the replay CLI prints exactly what the functions send, and the
//! tests need no network. Field-by-field tables: docs/findings.md. Also the
//! readable text block (`text`) and the JSON within a byte budget (`json`).
//!
//! [`Finding`]: crate::finding::Finding

pub mod asff;
pub mod attack;
pub mod chat;
pub mod json;
pub mod ocsf;
pub mod text;

use std::fmt::Write;

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

/// The resource type ASFF gives a caller's ARN, which OCSF's `resources` reuse:
/// an IAM user or role by the ARN's resource part, anything else (an assumed
/// role's session, a federated user) `Other`.
pub(crate) fn caller_resource_type(arn: &str) -> &'static str {
    match arn.splitn(6, ':').nth(5) {
        Some(r) if r.starts_with("user/") => "AwsIamUser",
        Some(r) if r.starts_with("role/") => "AwsIamRole",
        _ => "Other",
    }
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

/// Longest event id a console link is made for (CloudTrail's are 36 characters).
const MAX_LINKED_EVENT_ID: usize = 64;

/// The CloudTrail console's event-history page of one event, or `None` when the
/// region does not look like an AWS region or the id like a CloudTrail event id
/// (a UUID: letters, digits and dashes), so that no link carries odd text and a
/// record's huge id cannot make the chat message or the Security Hub finding
/// that carry the link too large to deliver.
pub fn cloudtrail_console_link(region: &str, event_id: &str) -> Option<String> {
    let valid_region = !region.is_empty()
        && region.len() <= 32
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let valid_id = !event_id.is_empty()
        && event_id.len() <= MAX_LINKED_EVENT_ID
        && event_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !valid_region || !valid_id {
        return None;
    }
    let domain = if region.starts_with("cn-") {
        "console.amazonaws.cn"
    } else if region.starts_with("us-gov-") {
        "console.amazonaws-us-gov.com"
    } else {
        "console.aws.amazon.com"
    };
    let r = url_encode(region);
    Some(format!(
        "https://{r}.{domain}/cloudtrailv2/home?region={r}#/events/{}",
        url_encode(event_id)
    ))
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}
