//! A finding as an OCSF Detection Finding (class 2004, category Findings) at
//! schema version [`VERSION`], with the profiles [`PROFILES`].
//!
//! Why 1.8.0: it is the newest release of the OCSF schema when this was written;
//! Detection Finding has kept its shape since 1.1.0 (where it replaced Security
//! Finding), and the few attributes used here that 1.1.0 lacks are listed in
//! docs/findings.md. Tests validate every sample finding against the JSON Schema
//! of 1.8.0 generated from the schema repository (tests/ocsf/).
//!
//! Values from the CloudTrail record are kept as they are (a JSON encoder escapes
//! them); only our own text (titles, descriptions, next steps) is prose.

use std::net::IpAddr;

use serde_json::{Map, Value, json};

use super::{account_id, attack, event_span_ms};
use crate::detection::Severity;
use crate::finding::{Disposition, Finding};

/// The OCSF schema version of every object rendered here.
pub const VERSION: &str = "1.8.0";
/// The profiles whose attributes are used: `cloud` (`cloud`, `api`), `host`
/// (`actor`), `security_control` (`action_id`, `disposition_id`, `is_alert`).
pub const PROFILES: &[&str] = &["cloud", "host", "security_control"];

pub const CLASS_UID: i64 = 2004;
pub const CATEGORY_UID: i64 = 2;
/// Activity 1, Create: each finding is one new detection (a retry carries the
/// same `finding_info.uid`, so consumers can deduplicate on it).
pub const ACTIVITY_ID: i64 = 1;

/// OCSF `severity_id`: 2 Low, 3 Medium, 4 High, 5 Critical.
pub fn severity_id(s: Severity) -> (i64, &'static str) {
    match s {
        Severity::Low => (2, "Low"),
        Severity::Medium => (3, "Medium"),
        Severity::High => (4, "High"),
        Severity::Critical => (5, "Critical"),
    }
}

/// What tuning decided, in OCSF terms: (`status_id`, `status`, `disposition_id`,
/// `disposition`, `is_alert`). See docs/findings.md.
pub fn status(d: Option<Disposition>) -> (i64, &'static str, i64, &'static str, bool) {
    match d {
        None | Some(Disposition::Notified) => (1, "New", 15, "Detected", true),
        // Reviewed and judged benign by a suppression entry: OCSF's own status.
        Some(Disposition::Suppressed) => (3, "Suppressed", 16, "No Action", false),
        // Shadow mode and held-back findings are recorded, not sent: no OCSF status
        // says that, so Other with our word in `status`.
        Some(Disposition::Shadow) => (99, "Shadow", 17, "Logged", false),
        Some(Disposition::HeldBack) => (99, "Held Back", 14, "Delayed", false),
    }
}

/// The OCSF object of a finding. `now_ms` is used only when no event time of the
/// finding can be read (OCSF requires `time`).
pub fn render(f: &Finding, now_ms: i64) -> Value {
    let meta = f.meta;
    let span = event_span_ms(f);
    let time = span.map(|(_, last)| last).unwrap_or(now_ms);
    let (sev_id, sev) = severity_id(f.severity);
    let (status_id, status_name, disposition_id, disposition, is_alert) = status(f.disposition);

    let mut finding_info = Map::new();
    finding_info.insert("uid".into(), json!(f.finding_id));
    finding_info.insert("title".into(), json!(f.title));
    finding_info.insert("desc".into(), json!(meta.description));
    finding_info.insert(
        "types".into(),
        json!(attack::asff_types(f.attack).into_iter().collect::<Vec<_>>()),
    );
    finding_info.insert(
        "analytic".into(),
        json!({"uid": f.detection_id, "name": f.title, "type_id": 1, "type": "Rule"}),
    );
    let attacks: Vec<Value> = f.attack.iter().map(|id| attack_object(id)).collect();
    if !attacks.is_empty() {
        finding_info.insert("attacks".into(), Value::Array(attacks));
    }
    if let Some((first, last)) = span {
        finding_info.insert("first_seen_time".into(), json!(first));
        finding_info.insert("last_seen_time".into(), json!(last));
    }
    finding_info.insert("data_sources".into(), json!(["AWS CloudTrail"]));
    if !f.event_ids.is_empty() {
        let related: Vec<Value> = f
            .event_ids
            .iter()
            .map(|id| json!({"uid": id, "product_uid": "cloudtrail"}))
            .collect();
        finding_info.insert("related_events_count".into(), json!(related.len()));
        finding_info.insert("related_events".into(), Value::Array(related));
    }

    let mut o = Map::new();
    o.insert("activity_id".into(), json!(ACTIVITY_ID));
    o.insert("activity_name".into(), json!("Create"));
    o.insert("category_uid".into(), json!(CATEGORY_UID));
    o.insert("category_name".into(), json!("Findings"));
    o.insert("class_uid".into(), json!(CLASS_UID));
    o.insert("class_name".into(), json!("Detection Finding"));
    o.insert("type_uid".into(), json!(CLASS_UID * 100 + ACTIVITY_ID));
    o.insert("type_name".into(), json!("Detection Finding: Create"));
    o.insert("time".into(), json!(time));
    o.insert("timezone_offset".into(), json!(0));
    if let Some((first, last)) = span {
        o.insert("start_time".into(), json!(first));
        o.insert("end_time".into(), json!(last));
    }
    o.insert("count".into(), json!(f.event_ids.len().max(1)));
    o.insert("severity_id".into(), json!(sev_id));
    o.insert("severity".into(), json!(sev));
    o.insert("message".into(), json!(f.title));
    o.insert("status_id".into(), json!(status_id));
    o.insert("status".into(), json!(status_name));
    if let Some(detail) = status_detail(f) {
        o.insert("status_detail".into(), json!(detail));
    }
    o.insert("action_id".into(), json!(3));
    o.insert("action".into(), json!("Observed"));
    o.insert("disposition_id".into(), json!(disposition_id));
    o.insert("disposition".into(), json!(disposition));
    o.insert("is_alert".into(), json!(is_alert));
    o.insert(
        "metadata".into(),
        json!({
            "version": VERSION,
            "profiles": PROFILES,
            "uid": f.finding_id,
            "product": {
                "name": "trailwatch",
                "vendor_name": "trailwatch",
                "version": env!("CARGO_PKG_VERSION"),
            },
        }),
    );
    o.insert("finding_info".into(), Value::Object(finding_info));
    o.insert("cloud".into(), cloud(f));
    if let Some(r) = resources(f) {
        o.insert("resources".into(), r);
    }
    // The first record's call and service (its name and source come first).
    if let Some(name) = f.event_names.first() {
        let mut api = json!({"operation": name});
        if let Some(source) = f.event_sources.first() {
            api["service"] = json!({"name": source});
        }
        o.insert("api".into(), api);
    }
    o.insert("actor".into(), actor(f));
    o.insert("evidences".into(), Value::Array(evidences(f)));
    o.insert("remediation".into(), json!({"desc": meta.next_steps}));
    if let Some(obs) = observables(f) {
        o.insert("observables".into(), obs);
    }
    // The trailwatch finding whole, for consumers that want our own fields.
    o.insert(
        "unmapped".into(),
        json!({"trailwatch": serde_json::to_value(f).unwrap_or(Value::Null)}),
    );
    Value::Object(o)
}

/// One JSON line, within `max_bytes` when it can be: a finding whose evidence is
/// huge keeps its evidence only in a shortened copy (see `render::json::finding_json`).
/// Should that not do (a burst of thousands of event ids, a huge agent or caller
/// repeated in every evidence: values a record's author chooses), the parts that
/// repeat or multiply them go, and the shortened copy in `unmapped` is what
/// remains of them; what is left is our own bounded text and the required
/// attributes. SNS refuses a message over 256 KiB, and a finding refused on every
/// retry is never delivered.
pub fn to_json_within(f: &Finding, now_ms: i64, max_bytes: usize) -> String {
    let mut v = render(f, now_ms);
    let full = v.to_string();
    if full.len() <= max_bytes {
        return full;
    }
    let short = crate::render::json::finding_json(f, max_bytes / 2);
    if let Some(u) = v.get_mut("unmapped") {
        u["trailwatch"] = serde_json::from_str(&short).unwrap_or(Value::Null);
    }
    if let Some(Value::Array(evs)) = v.get_mut("evidences") {
        for e in evs {
            if let Value::Object(m) = e {
                m.remove("data");
            }
        }
    }
    let shortened = v.to_string();
    if shortened.len() <= max_bytes {
        return shortened;
    }
    if let Value::Object(m) = &mut v {
        for optional in ["evidences", "observables", "actor", "api", "resources"] {
            m.remove(optional);
        }
        if let Some(Value::Object(info)) = m.get_mut("finding_info") {
            // `related_events_count` stays.
            info.remove("related_events");
        }
    }
    v.to_string()
}

fn status_detail(f: &Finding) -> Option<String> {
    let mut parts = Vec::new();
    match f.disposition {
        Some(Disposition::Suppressed) => parts.push("suppressed by a tuning entry".to_owned()),
        Some(Disposition::Shadow) => {
            parts.push("detection in shadow mode: recorded, not notified".to_owned())
        }
        Some(Disposition::HeldBack) => parts.push("held back by tuning: not notified".to_owned()),
        _ => {}
    }
    if let Some(id) = &f.dry_run_suppression {
        parts.push(format!("matches dry-run suppression {id}; notified"));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// `T1562.008` -> technique T1562, sub-technique T1562.008, tactic when known.
fn attack_object(id: &str) -> Value {
    let (parent, sub) = attack::split(id);
    let mut a = Map::new();
    a.insert("technique".into(), json!({"uid": parent}));
    if let Some(sub) = sub {
        a.insert("sub_technique".into(), json!({"uid": sub}));
    }
    if let Some(t) = attack::tactic(id) {
        a.insert("tactic".into(), json!({"uid": t.uid, "name": t.name}));
    }
    Value::Object(a)
}

/// Region and account only when they look like one (`render::region`,
/// `render::account_id`): they are copied into every rendering of the message,
/// and the shrinking steps of `to_json_within` keep `cloud`, so a record's
/// oversized value would otherwise carry the SNS message past its limit. The
/// value as the record had it stays in `unmapped.trailwatch` (capped).
fn cloud(f: &Finding) -> Value {
    let mut c = Map::new();
    c.insert("provider".into(), json!("AWS"));
    if let Some(r) = super::region(f) {
        c.insert("region".into(), json!(r));
        c.insert("cloud_partition".into(), json!(super::partition_of(r)));
    }
    if let Some(a) = account(f) {
        c.insert("account".into(), a);
    }
    Value::Object(c)
}

/// What the finding is about, as inventory and asset tools key it: the account
/// the record is about (`AwsAccount`, the type name ASFF gives it, with its
/// Region and partition), and the caller when it is an IAM principal
/// (`AwsIamUser`, `AwsIamRole`, else `Other`; its uid the ARN). Both only when
/// they have the form of one (an account id, an ARN with an account); the last
/// step of `to_json_within` drops them with the actor.
fn resources(f: &Finding) -> Option<Value> {
    let mut out = Vec::new();
    if let Some(a) = account_id(f) {
        let mut r = Map::new();
        r.insert("type".into(), json!("AwsAccount"));
        r.insert("uid".into(), json!(a));
        if let Some(region) = super::region(f) {
            r.insert("region".into(), json!(region));
            r.insert("cloud_partition".into(), json!(super::partition_of(region)));
        }
        out.push(Value::Object(r));
    }
    let key = f.actor.key.as_str();
    if key.starts_with("arn:") && caller_account(f).is_some() {
        let kind = super::caller_resource_type(key);
        let mut r = Map::new();
        r.insert("type".into(), json!(kind));
        r.insert("uid".into(), json!(key));
        r.insert("name".into(), json!(f.actor.display));
        out.push(Value::Object(r));
    }
    (!out.is_empty()).then_some(Value::Array(out))
}

/// The record's account as an OCSF `account` (type 10, AWS Account).
fn account(f: &Finding) -> Option<Value> {
    super::account_id(f).map(|a| json!({"uid": a, "type_id": 10, "type": "AWS Account"}))
}

/// OCSF `user.type_id`: Root is the account's admin; AWS services are services.
fn user_type_id(kind: Option<&str>) -> i64 {
    match kind {
        Some("Root") => 2,
        Some("IAMUser" | "AssumedRole" | "FederatedUser" | "IdentityCenterUser") => 1,
        Some("AWSService") => 4,
        Some(_) => 99,
        None => 0,
    }
}

/// The caller's own account: the one the record names when it is not the
/// record's (a cross-account call), else from its key (`userIdentity.arn`,
/// else the bare account id). `None` for a service, or a caller known only by
/// a principal id in its own account.
fn caller_account(f: &Finding) -> Option<&str> {
    use crate::detections::common::{arn_account, is_account_id};
    let key = f.actor.key.as_str();
    f.actor
        .account
        .as_deref()
        .or_else(|| arn_account(key))
        .or_else(|| is_account_id(key).then_some(key))
}

fn user(f: &Finding) -> Value {
    let mut u = Map::new();
    u.insert("uid".into(), json!(f.actor.key));
    u.insert("name".into(), json!(f.actor.display));
    let type_id = user_type_id(f.actor.kind.as_deref());
    u.insert("type_id".into(), json!(type_id));
    // `type` is `type_id`'s caption; the source's own word only for Other. The
    // record's `userIdentity.type` stays in `unmapped.trailwatch.actor`.
    let caption = match type_id {
        1 => Some("User"),
        2 => Some("Admin"),
        4 => Some("Service"),
        99 => f.actor.kind.as_deref(),
        _ => None,
    };
    if let Some(caption) = caption {
        u.insert("type".into(), json!(caption));
    }
    if let Some(a) = caller_account(f) {
        u.insert(
            "account".into(),
            json!({"uid": a, "type_id": 10, "type": "AWS Account"}),
        );
    }
    Value::Object(u)
}

fn actor(f: &Finding) -> Value {
    json!({"user": user(f)})
}

/// `sourceIPAddress` is an IP, or the name of the AWS service that made the call
/// (`cloudtrail.amazonaws.com`: OCSF's `svc_name`), or free text (`name`):
/// only an IP goes to `ip`.
fn endpoint(source: &str) -> Value {
    match source.trim().parse::<IpAddr>() {
        Ok(ip) => json!({"ip": ip.to_string()}),
        Err(_) if service_name(source) => json!({"svc_name": source}),
        Err(_) => json!({"name": source}),
    }
}

/// A service's host name (`cloudtrail.amazonaws.com`), as CloudTrail writes
/// the source of a call an AWS service made.
fn service_name(source: &str) -> bool {
    source.len() <= 128
        && source.ends_with(".amazonaws.com")
        && source
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-'))
}

/// One evidence per distinct API call: the operation, the caller, where from;
/// the detection's own facts (`evidence`) on the first.
fn evidences(f: &Finding) -> Vec<Value> {
    let mut out = Vec::new();
    let names: Vec<&str> = if f.event_names.is_empty() {
        vec![""]
    } else {
        f.event_names.iter().map(String::as_str).collect()
    };
    for (i, name) in names.iter().enumerate() {
        let mut e = Map::new();
        if !name.is_empty() {
            e.insert("name".into(), json!(name));
            e.insert("api".into(), json!({"operation": name}));
        }
        e.insert("actor".into(), actor(f));
        if let Some(src) = f.source_ip.as_deref().filter(|s| !s.is_empty()) {
            e.insert("src_endpoint".into(), endpoint(src));
        }
        if let Some(ua) = f.user_agent.as_deref().filter(|s| !s.is_empty()) {
            e.insert("http_request".into(), json!({"user_agent": ua}));
        }
        if i == 0 {
            let mut data = serde_json::to_value(&f.evidence).unwrap_or(Value::Null);
            // The detection's own `error_code` (a window's list of codes)
            // stands: replacing it with the first record's changed its type
            // and lost the rest (from a review).
            if let (Value::Object(m), Some(code)) = (&mut data, &f.error_code) {
                m.entry("error_code").or_insert_with(|| json!(code));
            }
            if data.as_object().is_some_and(|m| !m.is_empty()) {
                e.insert("data".into(), data);
            }
        }
        out.push(Value::Object(e));
    }
    out
}

/// The values an analyst pivots on: the source IP, the caller, the account.
fn observables(f: &Finding) -> Option<Value> {
    let mut obs = Vec::new();
    if let Some(ip) = f
        .source_ip
        .as_deref()
        .and_then(|s| s.trim().parse::<IpAddr>().ok())
    {
        obs.push(json!({"name": "evidences[].src_endpoint.ip", "type_id": 2, "type": "IP Address", "value": ip.to_string()}));
    }
    if f.actor.key != "unknown" {
        obs.push(json!({"name": "actor.user.uid", "type_id": 31, "type": "User Object: uid", "value": f.actor.key}));
    }
    if let Some(a) = account_id(f) {
        obs.push(json!({"name": "cloud.account.uid", "type_id": 35, "type": "Account Object: uid", "value": a}));
    }
    (!obs.is_empty()).then_some(Value::Array(obs))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::catalog;
    use crate::detection::Evidence;
    use crate::event::Record;

    /// A StopLogging record for the renderings' tests.
    pub(crate) const STOP: &str = r#"{"eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging",
        "eventID":"ce8e2f85-3e2a-52fd-a45f-31e73af3b829","awsRegion":"us-east-1",
        "eventTime":"2026-03-14T13:15:27Z","recipientAccountId":"111122223333",
        "sourceIPAddress":"192.0.2.87","userAgent":"aws-cli/2.27.40",
        "userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice",
          "accountId":"111122223333","userName":"alice"},
        "requestParameters":{"name":"org-trail"}}"#;

    pub(crate) fn finding(detail: &str) -> Finding {
        let rec = Record::from_json(detail).unwrap();
        let meta = catalog::by_id("cloudtrail-log-suspended").unwrap().meta();
        let ev = Evidence::new().with_opt("trail", rec.request_param_str("name"));
        Finding::from_record(meta, &rec, ev)
    }

    #[test]
    fn required_fields_and_values_agree_with_the_finding() {
        let f = finding(STOP);
        let o = render(&f, 0);
        assert_eq!(o["class_uid"], 2004);
        assert_eq!(o["category_uid"], 2);
        assert_eq!(o["activity_id"], 1);
        assert_eq!(o["type_uid"], 200401);
        assert_eq!(o["time"], 1_773_494_127_000i64);
        assert_eq!(o["severity_id"], 4);
        assert_eq!(o["metadata"]["version"], VERSION);
        assert_eq!(o["metadata"]["product"]["name"], "trailwatch");
        assert_eq!(o["finding_info"]["uid"], f.finding_id.as_str());
        assert_eq!(o["finding_info"]["title"], f.title);
        assert_eq!(
            o["finding_info"]["analytic"]["uid"],
            "cloudtrail-log-suspended"
        );
        assert_eq!(o["finding_info"]["attacks"][0]["technique"]["uid"], "T1562");
        assert_eq!(
            o["finding_info"]["attacks"][0]["sub_technique"]["uid"],
            "T1562.001"
        );
        assert_eq!(o["finding_info"]["attacks"][0]["tactic"]["uid"], "TA0005");
        assert_eq!(
            o["finding_info"]["related_events"][0]["uid"],
            "ce8e2f85-3e2a-52fd-a45f-31e73af3b829"
        );
        assert_eq!(o["cloud"]["account"]["uid"], "111122223333");
        assert_eq!(o["cloud"]["region"], "us-east-1");
        assert_eq!(
            o["actor"]["user"]["uid"],
            "arn:aws:iam::111122223333:user/alice"
        );
        assert_eq!(o["actor"]["user"]["type"], "User");
        assert_eq!(o["actor"]["user"]["account"]["uid"], "111122223333");
        assert_eq!(o["evidences"][0]["api"]["operation"], "StopLogging");
        assert_eq!(o["api"]["operation"], "StopLogging");
        assert_eq!(o["api"]["service"]["name"], "cloudtrail.amazonaws.com");
        assert_eq!(o["evidences"][0]["src_endpoint"]["ip"], "192.0.2.87");
        assert_eq!(o["evidences"][0]["data"]["trail"], "org-trail");
        assert_eq!(o["status_id"], 1);
        assert!(o["remediation"]["desc"].as_str().unwrap().len() > 10);
        assert_eq!(
            o["unmapped"]["trailwatch"]["finding_id"],
            f.finding_id.as_str()
        );
    }

    /// From a review: the user's account is the caller's own, not the account
    /// the record is about (a cross-account caller was filed under the victim's).
    #[test]
    fn the_user_account_is_the_caller_s() {
        let cross = STOP.replace(
            "arn:aws:iam::111122223333:user/alice",
            "arn:aws:iam::999988887777:user/mallory",
        );
        let o = render(&finding(&cross), 0);
        assert_eq!(o["actor"]["user"]["account"]["uid"], "999988887777");
        assert_eq!(o["cloud"]["account"]["uid"], "111122223333");
        let mut f = finding(STOP);
        f.actor.key = "cloudtrail.amazonaws.com".into();
        f.actor.kind = Some("AWSService".into());
        let o = render(&f, 0);
        assert!(o["actor"]["user"].get("account").is_none(), "{o}");
        assert_eq!(o["actor"]["user"]["type"], "Service");
    }

    /// The account the record is about, and an IAM caller, as resources; a
    /// caller known by no ARN (a service, a bare principal id) is none, and a
    /// Region that is not one leaves the account without Region or partition.
    #[test]
    fn resources_name_the_account_and_an_iam_caller() {
        let o = render(&finding(STOP), 0);
        assert_eq!(
            o["resources"],
            json!([
                {"type": "AwsAccount", "uid": "111122223333", "region": "us-east-1",
                 "cloud_partition": "aws"},
                {"type": "AwsIamUser", "uid": "arn:aws:iam::111122223333:user/alice",
                 "name": "alice"},
            ])
        );
        for (caller, kind) in [
            ("arn:aws:iam::111122223333:role/deployer", "AwsIamRole"),
            ("arn:aws:sts::111122223333:assumed-role/deployer/s", "Other"),
        ] {
            let f = finding(&STOP.replace("arn:aws:iam::111122223333:user/alice", caller));
            assert_eq!(render(&f, 0)["resources"][1]["type"], kind, "{caller}");
        }

        let mut service = finding(&STOP.replace("us-east-1", "Not A Region"));
        service.actor.key = "cloudtrail.amazonaws.com".into();
        let o = render(&service, 0);
        assert_eq!(
            o["resources"],
            json!([{"type": "AwsAccount", "uid": "111122223333"}])
        );
        service.account_id = Some("not-an-account".into());
        assert!(render(&service, 0).get("resources").is_none());
    }

    #[test]
    fn dispositions_map_to_status() {
        let mut f = finding(STOP);
        f.disposition = Some(Disposition::Suppressed);
        let o = render(&f, 0);
        assert_eq!(
            (o["status_id"].as_i64(), o["is_alert"].as_bool()),
            (Some(3), Some(false))
        );
        f.disposition = Some(Disposition::Shadow);
        assert_eq!(render(&f, 0)["status_id"], 99);
        assert_eq!(render(&f, 0)["status"], "Shadow");
        f.disposition = Some(Disposition::Notified);
        f.dry_run_suppression = Some("ci-runner".into());
        let o = render(&f, 0);
        assert_eq!(o["status_id"], 1);
        assert!(o["status_detail"].as_str().unwrap().contains("ci-runner"));
    }

    #[test]
    fn a_service_name_is_not_an_ip_and_time_falls_back() {
        let f = finding(
            &STOP
                .replace("192.0.2.87", "cloudtrail.amazonaws.com")
                .replace("2026-03-14T13:15:27Z", "redacted"),
        );
        let o = render(&f, 42);
        assert_eq!(
            o["evidences"][0]["src_endpoint"],
            json!({"svc_name": "cloudtrail.amazonaws.com"}),
            "OCSF's field for a service-to-service call"
        );
        assert_eq!(o["time"], 42);
        assert!(o.get("start_time").is_none());
        // Free text a record may carry instead of an address is a name.
        let text = finding(&STOP.replace("192.0.2.87", "AWS Internal"));
        let o = render(&text, 42);
        assert_eq!(
            o["evidences"][0]["src_endpoint"],
            json!({"name": "AWS Internal"})
        );
    }

    /// From a review: a window's list of error codes in the evidence was
    /// replaced by the first record's code (another type, the rest lost).
    #[test]
    fn the_evidence_error_code_stands() {
        let mut f = finding(STOP);
        f.error_code = Some("ValidationException".into());
        let data = |f: &Finding| render(f, 0)["evidences"][0]["data"]["error_code"].clone();
        assert_eq!(data(&f), "ValidationException");
        f.evidence =
            Evidence::new().with("error_code", vec!["ValidationException", "AccessDenied"]);
        assert_eq!(data(&f), json!(["ValidationException", "AccessDenied"]));
    }

    /// From a review: the partition, so that ARNs can be built for aws-cn and
    /// aws-us-gov accounts.
    #[test]
    fn the_cloud_names_its_partition() {
        let partition = |region: &str| {
            let f = finding(&STOP.replace("us-east-1", region));
            render(&f, 0)["cloud"]["cloud_partition"].clone()
        };
        assert_eq!(partition("us-east-1"), "aws");
        assert_eq!(partition("cn-northwest-1"), "aws-cn");
        assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
    }

    /// What a record's author can make huge or many (event ids by padding a
    /// burst, the agent and caller repeated in every evidence) keeps the SNS
    /// message within its limit in OCSF too, and the required attributes stay.
    #[test]
    fn many_event_ids_or_a_huge_agent_still_fit_an_sns_message() {
        use crate::notify::message::{MachineFormat, build_as};
        let base = finding(STOP);
        let mut many_ids = base.clone();
        many_ids.event_ids = (0..2_000)
            .map(|i| format!("{i:08}-aaaa-bbbb-cccc-dddddddddddd"))
            .collect();
        let mut huge_agent = base.clone();
        huge_agent.user_agent = Some("A".repeat(100_000));
        let mut agent_per_call = base.clone();
        agent_per_call.user_agent = Some("B".repeat(10_000));
        agent_per_call.event_names = (0..20).map(|i| format!("Call{i}")).collect();
        // `cloud` survives every shrinking step: a region or account that is not
        // one must not ride in it.
        let mut huge_region = base.clone();
        huge_region.region = Some("r".repeat(60_000));
        let mut huge_account = base.clone();
        huge_account.account_id = Some("1".repeat(60_000));
        for (case, f) in [
            ("ids", many_ids),
            ("agent", huge_agent),
            ("per call", agent_per_call),
            ("region", huge_region),
            ("account", huge_account),
        ] {
            let m = build_as(&f, MachineFormat::Ocsf);
            assert!(m.message.len() <= 256 * 1024, "{case}: {}", m.message.len());
            let outer: Value = serde_json::from_str(&m.message).unwrap();
            let o: Value = serde_json::from_str(outer["sqs"].as_str().unwrap()).unwrap();
            for required in [
                "activity_id",
                "category_uid",
                "class_uid",
                "cloud",
                "finding_info",
                "metadata",
                "severity_id",
                "time",
                "type_uid",
            ] {
                assert!(o.get(required).is_some(), "{case}: {required} missing");
            }
            assert_eq!(o["finding_info"]["uid"], json!(f.finding_id), "{case}");
        }
        let o = render(&base, 0);
        assert_eq!(o["cloud"]["region"], "us-east-1");
        assert_eq!(o["cloud"]["account"]["uid"], "111122223333");
    }

    #[test]
    fn huge_evidence_is_shortened() {
        let mut f = finding(STOP);
        f.evidence = Evidence::new().with("policy", "p".repeat(400_000));
        let s = to_json_within(&f, 0, 64 * 1024);
        assert!(s.len() < 64 * 1024, "{}", s.len());
        let v: Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["unmapped"]["trailwatch"]["evidence_truncated"], true);
    }
}
