//! General helpers of every theme: record readers, call results, evidence and
//! window keys; and the `testing` module of the unit tests.

use std::net::IpAddr;

use crate::detection::Evidence;
use crate::event::Record;

/// `sourceIPAddress` when it is a literal IPv4 or IPv6 address (not `AWS Internal`
/// or a service name such as `cloudformation.amazonaws.com`).
pub fn source_ip_literal(rec: &Record) -> Option<IpAddr> {
    rec.source_ip()?.trim().parse().ok()
}

/// The first of `keys` present in `requestParameters`: some services log their keys
/// in PascalCase, others in camelCase (`ControlStatus`, `controlStatus`).
pub fn request_param_any<'r>(rec: &'r Record, keys: &[&str]) -> Option<&'r serde_json::Value> {
    keys.iter().find_map(|k| rec.request_param(k))
}

/// `key` of the request, else of the response (a stripped request: Cognito's
/// identity pools echo their whole configuration), null taken as absent.
pub fn request_or_response<'r>(rec: &'r Record, key: &str) -> Option<&'r serde_json::Value> {
    rec.request_param(key)
        .filter(|v| !v.is_null())
        .or_else(|| rec.response_element(key).filter(|v| !v.is_null()))
}

/// The first of `keys` whose `requestParameters` value is text: one parameter
/// spelled the ways CloudTrail may spell it (`accountId`, `AccountId`), or the
/// first of several parameters that name the same thing (`snapshotId`,
/// `dBSnapshotIdentifier`).
pub fn request_text_any<'r>(rec: &'r Record, keys: &[&str]) -> Option<&'r str> {
    keys.iter().find_map(|k| rec.request_param_str(k))
}

/// `obj[key]`, with `key` in the API's PascalCase (`ServiceEnabled`) or in the
/// camelCase some records use (`serviceEnabled`).
pub fn pascal_or_camel<'v>(obj: &'v serde_json::Value, key: &str) -> Option<&'v serde_json::Value> {
    let o = obj.as_object()?;
    o.get(key).or_else(|| {
        let mut chars = key.chars();
        let first = chars.next()?.to_ascii_lowercase();
        o.get(&format!("{first}{}", chars.as_str()))
    })
}

/// Every value held under a key named `key` (ASCII case ignored) anywhere in `v`,
/// depth first, an object's keys in their sorted order (serde_json keeps objects
/// sorted) and a list's items in order; a value found is not searched further.
/// For parameters that CloudTrail nests under request wrappers, lists of rules or
/// either casing (`KmsKeyId`, `kmsKeyId`; `DestinationBackupVaultArn` in each copy
/// action of each rule). The search stops at a depth far below anything a request holds, so a
/// crafted record cannot make it costly.
pub fn values_at_key<'v>(v: &'v serde_json::Value, key: &str) -> Vec<&'v serde_json::Value> {
    fn walk<'v>(
        v: &'v serde_json::Value,
        key: &str,
        depth: usize,
        out: &mut Vec<&'v serde_json::Value>,
    ) {
        if depth > 12 {
            return;
        }
        match v {
            serde_json::Value::Object(o) => {
                for (k, child) in o {
                    if k.eq_ignore_ascii_case(key) {
                        out.push(child);
                    } else {
                        walk(child, key, depth + 1, out);
                    }
                }
            }
            serde_json::Value::Array(items) => {
                for item in items {
                    walk(item, key, depth + 1, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(v, key, 0, &mut out);
    out
}

/// The text values among [`values_at_key`].
pub fn texts_at_key<'v>(v: &'v serde_json::Value, key: &str) -> Vec<&'v str> {
    values_at_key(v, key)
        .into_iter()
        .filter_map(|v| v.as_str())
        .collect()
}

/// The distinct texts at `key` anywhere in `v`, trimmed and without empty ones, in
/// the order the request gave them: the resources one call names.
pub fn distinct_texts_at_key<'v>(v: &'v serde_json::Value, key: &str) -> Vec<&'v str> {
    let mut out: Vec<&str> = texts_at_key(v, key)
        .into_iter()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    keep_first_occurrences(&mut out);
    out
}

/// Longest window value or event id [`bounded_value`] keeps whole.
pub const MAX_WINDOW_VALUE_BYTES: usize = 512;

/// One window value for the whole set of resources a call names: sorted, so the
/// same set counts once whatever its order, and any new member makes a new value
/// (a value of the first name alone let an intruder lead every call with one
/// sacrificial resource); bounded as [`bounded_value`] bounds it.
pub fn set_value(names: &[&str]) -> String {
    let mut sorted = names.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    bounded_value(sorted.join(","))
}

/// `value` whole up to [`MAX_WINDOW_VALUE_BYTES`]; past it, its start and a
/// stable digest (FNV-1a) of the whole, so it stays small and still tells
/// values apart. Every window value and event id is kept so: a failed call's
/// parameters are logged as sent, and 2,000 observations of a 240 KB instance
/// id, each read back with its group, took a function past its memory on every
/// retry (from a review).
pub fn bounded_value(mut value: String) -> String {
    if value.len() > MAX_WINDOW_VALUE_BYTES {
        let digest = value.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        value.truncate(value.floor_char_boundary(MAX_WINDOW_VALUE_BYTES - 17));
        value.push_str(&format!("#{digest:016x}"));
    }
    value
}

/// Resources listed in a burst finding, at most.
const MAX_BURST_LISTED: usize = 100;

/// What a call naming `names` (distinct, in the call's order) adds to a burst: a
/// [`Signal::Batch`] of their count, set value ([`set_value`]) and first hundred
/// names, in the window of its account and role ([`super::account_role_term`]: a
/// re-assumed role does not split the burst). The engine makes it a finding alone
/// when the count reaches the window's built-in threshold, or a lower tuned one
/// (a raised one must not hide a wipe done in calls of many), else an
/// observation: the window keeps one value per record.
/// `evidence` is given how many the call named (`Some` for the finding alone) and
/// the names to list. `None` when it names nothing.
///
/// [`Signal::Batch`]: crate::detection::Signal::Batch
pub fn named_burst_signal<'n>(
    rec: &Record,
    mut names: Vec<&'n str>,
    evidence: impl Fn(Option<usize>, Vec<&'n str>) -> Evidence,
) -> Option<crate::detection::Signal> {
    if names.is_empty() {
        return None;
    }
    let count = names.len();
    let value = set_value(&names);
    names.truncate(MAX_BURST_LISTED);
    Some(crate::detection::Signal::Batch {
        group: super::account_role_term(rec),
        value,
        count,
        alone: evidence(Some(count), names.clone()),
        in_window: evidence(None, names),
    })
}

/// Drops the later copies of repeated items, keeping each first one in its place:
/// lists reported in the order the request gave them, each item once.
pub fn keep_first_occurrences<T: Eq + std::hash::Hash + Copy>(items: &mut Vec<T>) {
    let mut seen = std::collections::HashSet::new();
    items.retain(|i| seen.insert(*i));
}

/// An enum-like text value equal to `want`, without regard to case or padding.
pub fn text_is(v: Option<&serde_json::Value>, want: &str) -> bool {
    v.and_then(|v| v.as_str())
        .is_some_and(|s| s.trim().eq_ignore_ascii_case(want))
}

/// The evidence every record-level finding of a failed attempt should carry.
pub fn with_error(e: Evidence, rec: &Record) -> Evidence {
    e.with_opt("error_code", rec.error_code())
        .with_opt("error_message", rec.error_message())
}

/// The error codes AWS services use for "not allowed".
pub fn is_access_denied(code: &str) -> bool {
    matches!(
        code,
        "AccessDenied"
            | "AccessDeniedException"
            | "UnauthorizedOperation"
            | "Client.UnauthorizedOperation"
    )
}

/// A call of one of `names` on `source` that succeeded (no `errorCode`/`errorMessage`).
pub fn succeeded_call(rec: &Record, source: &str, names: &[&str]) -> bool {
    rec.event_source() == source && names.contains(&rec.event_name()) && rec.succeeded()
}

/// A value that is different for every record, to count records (not values) in a
/// distinct-count window: the call's `eventID` ([`Record::call_id`]), else the
/// time, address and user name together.
pub fn value_per_record(rec: &Record) -> String {
    match rec.call_id() {
        Some(id) => id.to_owned(),
        None => format!(
            "{}|{}|{}",
            rec.event_time.as_deref().unwrap_or(""),
            rec.source_ip().unwrap_or(""),
            rec.user_name().unwrap_or("")
        ),
    }
}

// --- Helpers for #12 concurrent-sessions-different-ips, #21
// --- create-login-profile-then-console-login and #23 getpassworddata-burst.

/// `sourceIPAddress` as canonical text when it is a literal IP address, so that one
/// address written two ways (`2001:DB8::1` and `2001:db8:0::1`, or `::ffff:192.0.2.7`
/// and `192.0.2.7`) gives the same value. `None` for `AWS Internal`, service names
/// and anything else that is not an address.
pub fn source_ip_normalized(rec: &Record) -> Option<String> {
    source_ip_literal(rec).map(|ip| ip.to_canonical().to_string())
}

/// Where a caller calls from, for the windows that count per address: an IPv4
/// address as it is, an IPv6 one as its `/64` (`2001:db8:1:2::/64`). A host is
/// given a whole `/64` and may take a new address in it for every call, so the
/// address alone let one caller split such a window (from a review).
pub fn source_network(rec: &Record) -> Option<String> {
    Some(ip_network(source_ip_literal(rec)?))
}

/// [`source_network`] of an address: IPv4 as it is, IPv6 as its `/64`.
pub fn ip_network(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            format!("{}/64", std::net::Ipv6Addr::from(prefix))
        }
    }
}

/// The window group "who, in which account": `<account>|<actor key>`, with
/// `unknown` for a record that names no account.
pub fn account_actor_group(rec: &Record) -> String {
    joined(
        &[
            rec.account_id().unwrap_or("unknown"),
            crate::event::actor_key(rec),
        ],
        '|',
    )
}

/// `source:name`, the value the discovery windows count.
pub fn call_value(rec: &Record) -> String {
    joined(&[rec.event_source(), rec.event_name()], ':')
}

/// `parts` joined by `sep`, in one allocation (keys built for every observation
/// of a window, where `format!` showed in profiles).
pub fn joined(parts: &[&str], sep: char) -> String {
    let len = parts.iter().map(|p| p.len() + sep.len_utf8()).sum();
    let mut out = String::with_capacity(len);
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.push(sep);
        }
        out.push_str(p);
    }
    out
}

// --- Helpers for #6 cloudtrail-log-evasion and #8 cloudtrail-log-updated.

/// Whether a count that CloudTrail may write as a JSON number or as its text
/// (`backupRetentionPeriod`, `partNumber`) is `n`.
pub fn count_is(v: Option<&serde_json::Value>, n: u64) -> bool {
    match v {
        Some(serde_json::Value::Number(x)) => x.as_u64() == Some(n),
        Some(serde_json::Value::String(s)) => s.trim() == n.to_string(),
        _ => false,
    }
}

/// A flag that CloudTrail or a log pipeline may write as a JSON boolean or as text
/// (`"true"`, `"False"`, ...). `None` for anything else (null, numbers, other text).
pub fn flag_value(v: &serde_json::Value) -> Option<bool> {
    match v {
        serde_json::Value::Bool(b) => Some(*b),
        serde_json::Value::String(s) if s.trim().eq_ignore_ascii_case("true") => Some(true),
        serde_json::Value::String(s) if s.trim().eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// The `reason` CloudTrail writes when it replaces a request over its size limit
/// with a stub (`{"reason": ..., "omitted": true, "originalSize": ...}`).
pub const REQUEST_TOO_LARGE: &str = "requestParameters too large";

/// CloudTrail logged the stub of a request too large to record in place of its
/// parameters: what the call set is missing from the log.
pub fn request_omitted_as_too_large(rec: &Record) -> bool {
    rec.request_param_str("reason") == Some(REQUEST_TOO_LARGE)
        && rec.request_param("omitted").and_then(flag_value) == Some(true)
}

/// A whole, non-negative number given as a JSON number or its text (`7`, `"7"`).
pub fn whole_number(v: Option<&serde_json::Value>) -> Option<u64> {
    match v? {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `requestParameters.domainName` of a Route 53 Domains call: text, or the
/// `{"name": ...}` object AWS's documented sample record shows.
pub fn domain_name<'r>(rec: &'r Record) -> Option<&'r str> {
    let v = rec.request_param("domainName")?;
    v.as_str()
        .or_else(|| v.get("name")?.as_str())
        .map(str::trim)
}

/// The evidence of a call on one registered domain: its name ([`domain_name`]).
pub fn domain_evidence(rec: &Record) -> Evidence {
    Evidence::new().with_opt("domain", domain_name(rec))
}

#[cfg(test)]
pub mod testing {
    //! Builds records for unit tests from JSON text.
    use crate::detection::{Detection, Evidence, Signal};
    use crate::event::Record;

    /// A fixed xorshift sequence from `seed`, for tests that build many cases:
    /// the same cases on every run. Each call gives a number below `n`.
    pub fn xorshift(seed: u64) -> impl FnMut(usize) -> usize {
        let mut state = seed;
        move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        }
    }

    /// Every sample of `events/` as one compact line (how JSON lines and log
    /// files hold it), and its envelope's `detail` likewise.
    pub fn sample_lines() -> Vec<String> {
        let events = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../events");
        let mut texts = Vec::new();
        for dir in std::fs::read_dir(&events).expect("events/").flatten() {
            for file in std::fs::read_dir(dir.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                let Ok(text) = std::fs::read_to_string(file.path()) else {
                    continue;
                };
                let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
                    continue;
                };
                // A file holds one envelope or a list of them: each, and its record.
                let envelopes = match &v {
                    serde_json::Value::Array(items) => items.iter().collect(),
                    one => vec![one],
                };
                for envelope in envelopes {
                    texts.push(serde_json::to_string(envelope).expect("JSON"));
                    if let Some(detail) = envelope.get("detail") {
                        texts.push(serde_json::to_string(detail).expect("JSON"));
                    }
                }
            }
        }
        texts
    }

    /// Calls `each` with every signal (further signals included) a detection of
    /// `detections`, by its index there, gives a record of `events/`.
    pub fn for_each_sample_signal(
        detections: &[&dyn Detection],
        mut each: impl FnMut(usize, &Signal),
    ) {
        for line in sample_lines() {
            let Ok(rec) = Record::from_json(&line) else {
                continue;
            };
            for (i, d) in detections.iter().enumerate() {
                for signal in d.evaluate(&rec).into_iter().chain(d.further_signals(&rec)) {
                    each(i, &signal);
                }
            }
        }
    }

    /// Evaluates `det` on the record in `json` (a raw CloudTrail record).
    pub fn eval(det: &dyn Detection, json: &str) -> Option<Signal> {
        let rec = Record::from_json(json).expect("test record parses");
        // A batch as the engine takes it under the built-in threshold: counted in
        // the window below it, a finding of its own at or above it.
        let got = det.evaluate(&rec);
        // Its further signals too (a call naming several resources).
        let further = got
            .as_ref()
            .map(|_| det.further_signals(&rec))
            .unwrap_or_default();
        for signal in got.iter().chain(&further) {
            let undeclared = det.meta().undeclared_evidence(signal);
            assert!(
                undeclared.is_empty(),
                "{}: evidence keys {undeclared:?} not in its metadata",
                det.meta().id
            );
        }
        let got = got.map(|signal| match det.meta().window {
            Some(crate::detection::WindowSpec::Distinct { min_distinct, .. }) => {
                match signal.below_threshold(min_distinct) {
                    Signal::Batch { alone, .. } => Signal::Fire(alone),
                    other => other,
                }
            }
            _ => signal,
        });
        // Replay skips what the raw check refuses: it must keep every record
        // `evaluate` takes.
        if got.is_some() {
            assert_ne!(raw(det, json), Some(false), "raw check refused {json}");
        }
        got
    }

    /// The severity `det` gives the record in `json` (a raw CloudTrail record).
    pub fn severity(det: &dyn Detection, json: &str) -> crate::detection::Severity {
        det.severity_for(&Record::from_json(json).expect("test record parses"))
    }

    /// The detection's raw check on `json`, `None` when the peek gives up (the
    /// record is then parsed whatever the check says).
    pub fn raw(det: &dyn Detection, json: &str) -> Option<bool> {
        let p = crate::event::prefilter::peek(json.as_bytes())?;
        Some(det.may_match_raw(&p, json.as_bytes()))
    }

    /// The evidence of the finding `det` makes (statelessly) of the record;
    /// panics when it makes none.
    pub fn fired_evidence(det: &dyn Detection, json: &str) -> Evidence {
        match eval(det, json) {
            Some(Signal::Fire(e)) => e,
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    /// True when `det` fires (statelessly) on the record.
    pub fn fires(det: &dyn Detection, json: &str) -> bool {
        matches!(eval(det, json), Some(Signal::Fire(_)))
    }
}

#[cfg(test)]
mod tests {
    use super::{
        distinct_texts_at_key, named_burst_signal, set_value, source_network, texts_at_key,
    };

    #[test]
    fn a_call_of_many_names_is_one_batch_of_its_set() {
        use crate::detection::{Evidence, Signal};
        let json = r#"{"eventSource":"ec2.amazonaws.com","eventName":"TerminateInstances","recipientAccountId":"111122223333",
            "userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/eve","accountId":"111122223333"}}"#;
        let rec = crate::event::Record::from_json(json).expect("record");
        let listed = |count: Option<usize>, names: Vec<&str>| {
            Evidence::new()
                .with_opt("count", count)
                .with("names", names)
        };
        assert_eq!(named_burst_signal(&rec, Vec::new(), listed), None);
        match named_burst_signal(&rec, vec!["b", "a"], listed) {
            Some(Signal::Batch {
                value,
                count,
                in_window,
                ..
            }) => {
                assert_eq!((value.as_str(), count), ("a,b", 2));
                assert_eq!(in_window.get("names"), Some(&serde_json::json!(["b", "a"])));
            }
            other => panic!("expected a batch, got {other:?}"),
        }
        let many: Vec<String> = (0..150).map(|i| format!("i-{i:03}")).collect();
        match named_burst_signal(&rec, many.iter().map(String::as_str).collect(), listed) {
            Some(Signal::Batch { count, alone, .. }) => {
                assert_eq!(count, 150);
                assert_eq!(alone.get("count"), Some(&serde_json::json!(150)));
                assert_eq!(
                    alone.get("names").and_then(|n| n.as_array()).map(Vec::len),
                    Some(100)
                );
            }
            other => panic!("expected a batch, got {other:?}"),
        }
    }
    use serde_json::json;

    #[test]
    fn an_ipv6_caller_is_its_64_an_ipv4_one_its_address() {
        let rec =
            |ip: &str| format!(r#"{{"eventSource":"s","eventName":"n","sourceIPAddress":"{ip}"}}"#);
        let network = |ip: &str| {
            let json = rec(ip);
            let r = crate::event::Record::from_json(&json).expect("record");
            source_network(&r)
        };
        assert_eq!(
            network("2001:db8:1:2::10").as_deref(),
            Some("2001:db8:1:2::/64")
        );
        assert_eq!(
            network("2001:db8:1:2:ffff::15"),
            network("2001:db8:1:2::10")
        );
        assert_ne!(network("2001:db8:1:3::10"), network("2001:db8:1:2::10"));
        assert_eq!(network("198.51.100.9").as_deref(), Some("198.51.100.9"));
        assert_eq!(
            network("::ffff:198.51.100.9").as_deref(),
            Some("198.51.100.9")
        );
        assert_eq!(network("AWS Internal"), None);
    }

    #[test]
    fn a_set_value_is_sorted_unique_and_stays_small_but_distinct() {
        assert_eq!(set_value(&["b", "a", "b"]), "a,b");
        let long: Vec<String> = (0..60)
            .map(|i| format!("snapshot-with-a-long-name-{i:03}"))
            .collect();
        let names: Vec<&str> = long.iter().map(String::as_str).collect();
        let one = set_value(&names);
        assert!(one.len() <= 512, "{}", one.len());
        // Two long sets that differ only past the cut still differ.
        let mut other = names.clone();
        other[59] = "snapshot-with-a-long-name-zzz";
        assert_ne!(one, set_value(&other));
        assert_eq!(set_value(&["é"; 1]), "é");
        let v = json!({"items": [{"id": " x "}, {"id": "y"}, {"id": "x"}, {"id": ""}]});
        assert_eq!(distinct_texts_at_key(&v, "id"), vec!["x", "y"]);
    }

    #[test]
    fn texts_at_key_finds_either_casing_at_any_depth_in_order() {
        let v = json!({
            "ModifyEbsDefaultKmsKeyIdRequest": {"KmsKeyId": "a"},
            "rules": [{"copyActions": [{"kmsKeyId": "b"}, {"KMSKEYID": {"kmsKeyId": "inside a found value"}}]}],
            "kmsKeyId": null
        });
        assert_eq!(texts_at_key(&v, "kmsKeyId"), vec!["a", "b"]);
        assert!(texts_at_key(&json!("kmsKeyId"), "kmsKeyId").is_empty());
        // Nesting past the bound is not searched (and does not overflow the stack).
        let mut deep = json!({"kmsKeyId": "too deep"});
        for _ in 0..40 {
            deep = json!([deep]);
        }
        assert!(texts_at_key(&deep, "kmsKeyId").is_empty());
    }
}
