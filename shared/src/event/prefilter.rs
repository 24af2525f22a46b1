//! Deciding from the raw bytes of a record whether any detection could care.
//!
//! Most CloudTrail traffic (Describe*, Get*, KMS, S3 data events) concerns no
//! detection. Parsing such a record only to drop it costs ten times more than
//! finding its `eventSource`, `eventName` and `userAgent` in the bytes, so replay
//! looks at those first. The peek is exact or it gives up: each key must occur
//! exactly once, as a key, with a plain string value (no escapes); anything else
//! (several records on one line, a nested key of the same name, escapes, odd
//! framing) answers `None` and the record is parsed in full.

use memchr::memmem;

/// The routing fields of one record, read from its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peek<'a> {
    pub event_source: &'a str,
    pub event_name: &'a str,
    pub user_agent: Option<&'a str>,
}

/// Reads the routing fields of a record (or of an EventBridge envelope around one)
/// from its JSON bytes, or `None` when that cannot be done exactly.
pub fn peek(json: &[u8]) -> Option<Peek<'_>> {
    let body = trim(json);
    if body.first() != Some(&b'{') || body.last() != Some(&b'}') {
        return None;
    }
    let event_name = unique_string(body, b"\"eventName\"")??;
    let event_source = unique_string(body, b"\"eventSource\"")??;
    let user_agent = unique_string(body, b"\"userAgent\"")?;
    Some(Peek {
        event_source,
        event_name,
        user_agent,
    })
}

fn trim(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |p| p + 1);
    &b[start..end]
}

/// `None`: cannot tell. `Some(None)`: the key is absent. `Some(Some(v))`: the
/// key occurs once, as a key, with the plain string value `v`.
fn unique_string<'a>(body: &'a [u8], key: &[u8]) -> Option<Option<&'a str>> {
    let mut hits = memmem::find_iter(body, key);
    let Some(at) = hits.next() else {
        return Some(None);
    };
    if hits.next().is_some() {
        return None;
    }
    let mut i = at + key.len();
    while body.get(i)?.is_ascii_whitespace() {
        i += 1;
    }
    if body[i] != b':' {
        // The text occurred as a value, not as a key: nothing exact to say.
        return None;
    }
    i += 1;
    while body.get(i)?.is_ascii_whitespace() {
        i += 1;
    }
    if body[i] != b'"' {
        return None;
    }
    let start = i + 1;
    let len = memchr::memchr2(b'"', b'\\', &body[start..])?;
    if body[start + len] != b'"' {
        return None;
    }
    std::str::from_utf8(&body[start..start + len])
        .ok()
        .map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_plain_records_and_envelopes() {
        let r = br#"{"eventSource":"ec2.amazonaws.com", "eventName" : "DescribeInstances","userAgent":"Boto3/1.0"}"#;
        assert_eq!(
            peek(r),
            Some(Peek {
                event_source: "ec2.amazonaws.com",
                event_name: "DescribeInstances",
                user_agent: Some("Boto3/1.0")
            })
        );
        let e = br#"{"detail-type":"AWS API Call via CloudTrail","detail":{"eventSource":"s3.amazonaws.com","eventName":"GetObject"}}"#;
        assert_eq!(
            peek(e).map(|p| (p.event_name, p.user_agent)),
            Some(("GetObject", None))
        );
    }

    #[test]
    fn gives_up_rather_than_guess() {
        for bad in [
            &br#"{"Records":[{"eventSource":"a","eventName":"X"},{"eventSource":"a","eventName":"Y"}]}"#[..],
            br#"{"eventSource":"a","eventName":"X","requestParameters":{"eventName":"Y"}}"#,
            br#"{"eventSource":"a","eventName":"X\"Y"}"#,
            br#"{"eventSource":"a","eventName":5}"#,
            br#"{"eventSource":"a","note":"eventName","eventName":"X"}"#,
            br#"{"eventSource":"a","eventName":"X""#,
            br#"{"eventSource":"a","eventName":"X","userAgent":["aws-cli/2"]}"#,
            br#"{"eventSource":"a"}"#,
            b"",
        ] {
            assert_eq!(peek(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn escaped_keys_inside_strings_do_not_count() {
        let r = br#"{"eventSource":"events.amazonaws.com","eventName":"PutRule","requestParameters":{"eventPattern":"{\"detail\":{\"eventName\":[\"StopLogging\"]}}"}}"#;
        assert_eq!(peek(r).map(|p| p.event_name), Some("PutRule"));
    }
}
