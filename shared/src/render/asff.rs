//! A finding in the AWS Security Finding Format (ASFF, `SchemaVersion`
//! 2018-10-08), as Security Hub CSPM's `BatchImportFindings` takes it.
//!
//! Who may import what: with the default product ARN of a custom integration
//! (`arn:<partition>:securityhub:<region>:<account>:product/<account>/default`),
//! the caller must be the account in `AwsAccountId`; only allow-listed partner
//! products may import findings for other accounts. So `AwsAccountId` is always
//! the importing account (the one the function runs in, taken from the product
//! ARN), and the account the CloudTrail record is about, when it is another one (an
//! organisation trail), is named in `Resources` (an `AwsAccount` resource) and in
//! `ProductFields`. The finding then shows in the importing account's Security Hub
//! (and, with cross-Region aggregation, in its aggregation Region); see
//! docs/findings.md.
//!
//! The structure is plain data: replay prints it as JSON, the Security Hub
//! adapter (`notify::securityhub`) serializes it as is (serde) into the body of
//! its `BatchImportFindings` request.

use serde::Serialize;
use serde_json::Value;

use super::{account_id, attack, event_span_ms, region};
use crate::detection::Severity;
use crate::event::time::format_event_time;
use crate::finding::{Disposition, Finding};
use crate::render::cloudtrail_console_link;
use crate::sanitize::one_line;

pub const SCHEMA_VERSION: &str = "2018-10-08";
/// ASFF limits (characters) on the fields filled from our text and the record's.
pub const MAX_TITLE: usize = 256;
pub const MAX_DESCRIPTION: usize = 1024;
pub const MAX_RECOMMENDATION: usize = 512;
pub const MAX_PRODUCT_FIELD: usize = 2048;
/// The prefix of our `ProductFields` keys.
pub const FIELD_PREFIX: &str = "trailwatch/";

/// Where findings are imported: the custom-integration product of one account in
/// one Region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub partition: String,
    pub region: String,
    pub account_id: String,
}

impl Product {
    /// Reads `arn:<partition>:securityhub:<region>:<account>:product/<account>/default`.
    pub fn from_arn(arn: &str) -> Result<Product, String> {
        let parts: Vec<&str> = arn.split(':').collect();
        let valid_account = |a: &str| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit());
        match parts.as_slice() {
            ["arn", partition, "securityhub", region, account, resource]
                if !partition.is_empty()
                    && !region.is_empty()
                    && valid_account(account)
                    && *resource == format!("product/{account}/default") =>
            {
                Ok(Product {
                    partition: (*partition).to_owned(),
                    region: (*region).to_owned(),
                    account_id: (*account).to_owned(),
                })
            }
            _ => Err(format!(
                "{arn:?} is not a default product ARN (arn:<partition>:securityhub:<region>:<account>:product/<account>/default)"
            )),
        }
    }

    /// The product a deployment in the finding's own account and Region would
    /// import to (replay's "what would be imported"); `None` without a valid
    /// account id or region.
    pub fn of_finding(f: &Finding) -> Option<Product> {
        let region = region(f)?;
        Some(Product {
            partition: super::partition_of(region).to_owned(),
            region: region.to_owned(),
            account_id: account_id(f)?.to_owned(),
        })
    }

    pub fn arn(&self) -> String {
        format!(
            "arn:{}:securityhub:{}:{}:product/{}/default",
            self.partition, self.region, self.account_id, self.account_id
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffSeverity {
    /// INFORMATIONAL, LOW, MEDIUM, HIGH or CRITICAL.
    pub label: &'static str,
    /// Our own severity word.
    pub original: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FindingProviderFields {
    pub severity: AsffSeverity,
    pub types: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Resource {
    #[serde(rename = "Type")]
    pub kind: &'static str,
    pub id: String,
    /// Only the partitions ASFF names (`aws`, `aws-cn`, `aws-us-gov`): another
    /// would fail the import, and the field is optional.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partition: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// `partition` when ASFF's `Resource.Partition` takes it.
fn resource_partition(partition: &str) -> Option<String> {
    matches!(partition, "aws" | "aws-cn" | "aws-us-gov").then(|| partition.to_owned())
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Recommendation {
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Remediation {
    pub recommendation: Recommendation,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RemoteIp {
    #[serde(rename = "IpAddressV4")]
    pub ip_address_v4: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ApiCallAction {
    pub api: String,
    /// The first record's event source (`cloudtrail.amazonaws.com`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_name: Option<String>,
    /// `remoteip` when the caller is an IP address, `domain` for an AWS service.
    pub caller_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_ip_details: Option<RemoteIp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain_details: Option<DomainDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DomainDetails {
    pub domain: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Action {
    pub action_type: &'static str,
    pub aws_api_call_action: ApiCallAction,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Workflow {
    pub status: &'static str,
}

/// One ASFF finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffFinding {
    pub schema_version: &'static str,
    /// The trailwatch finding id: the same finding imported again updates it.
    pub id: String,
    pub product_arn: String,
    /// A custom integration may name itself, so that the console can be
    /// filtered on trailwatch (from a review).
    pub product_name: &'static str,
    pub company_name: &'static str,
    /// The detection id.
    pub generator_id: String,
    pub aws_account_id: String,
    pub region: String,
    pub types: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_observed_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_observed_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub severity: AsffSeverity,
    pub title: String,
    pub description: String,
    pub remediation: Remediation,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_url: Option<String>,
    pub product_fields: std::collections::BTreeMap<String, String>,
    pub resources: Vec<Resource>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    pub finding_provider_fields: FindingProviderFields,
    /// Set on the first import only (Security Hub ignores it on updates).
    pub workflow: Workflow,
    pub record_state: &'static str,
}

fn label(s: Severity) -> &'static str {
    match s {
        Severity::Low => "LOW",
        Severity::Medium => "MEDIUM",
        Severity::High => "HIGH",
        Severity::Critical => "CRITICAL",
    }
}

/// Record text made fit for ASFF strings that people read in the console: one
/// line, no control or bidi characters, at most `max` UTF-8 bytes. Bytes, not
/// characters: Security Hub's limits are not documented in either unit, and a
/// byte cap holds under any count (from a review: emoji names made an Evidence
/// field of 1,872 characters and 7,227 bytes against a limit of 2,048; a
/// refused import is a lost finding the attacker chose).
fn text(value: &str, max: usize) -> String {
    let s = one_line(value, max);
    if s.len() <= max {
        return s;
    }
    // Cut at a character boundary, leaving room for the mark.
    let room = max.saturating_sub(crate::sanitize::CUT_MARK.len());
    let mut cut = String::with_capacity(max);
    for c in s.chars() {
        if cut.len() + c.len_utf8() > room {
            break;
        }
        cut.push(c);
    }
    cut.push_str(crate::sanitize::CUT_MARK);
    cut
}

/// The evidence's strings made one line, every control, format and bidi
/// character a `?` (as [`text`] does): JSON escapes (`\r\n`, `\u001b`) would
/// give them back to whoever parses the field (from a review).
fn safe_strings(v: &mut Value) {
    match v {
        // Never cut here (a string has no more characters than bytes).
        Value::String(s) => *s = one_line(s, s.len()),
        Value::Array(items) => items.iter_mut().for_each(safe_strings),
        Value::Object(map) => map.values_mut().for_each(safe_strings),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// The evidence as JSON of at most `max` UTF-8 bytes that is still JSON (its
/// consumers parse it), its strings made safe ([`safe_strings`]): a long one
/// has its values cut, to 512, then 128, then 32 characters each, before the
/// text would be; past that, a mark alone.
fn evidence_json(f: &Finding, max: usize) -> String {
    let Ok(Value::Object(mut evidence)) = serde_json::to_value(&f.evidence) else {
        return r#"{"evidence_truncated":true}"#.to_owned();
    };
    evidence.values_mut().for_each(safe_strings);
    let full = Value::Object(evidence.clone()).to_string();
    if full.len() <= max {
        return full;
    }
    evidence.insert("evidence_truncated".into(), Value::Bool(true));
    for cap in [512, 128, 32] {
        for (_, v) in evidence.iter_mut() {
            let text = match &*v {
                Value::String(s) => s.clone(),
                Value::Null | Value::Bool(_) | Value::Number(_) => continue,
                other => other.to_string(),
            };
            if text.chars().count() > cap {
                let kept: String = text.chars().take(cap).collect();
                *v = Value::String(kept + crate::sanitize::CUT_MARK);
            }
        }
        let cut = Value::Object(evidence.clone()).to_string();
        if cut.len() <= max {
            return cut;
        }
    }
    r#"{"evidence_truncated":true}"#.to_owned()
}

/// The finding's description: the detection's own text first, then what the
/// records say, each record value quoted and capped. Record values are
/// attacker-controlled: unquoted and unbounded, a crafted user name could read
/// as our own facts ("... from 10.0.0.5 in account ... expected and benign")
/// and push the true ones past the length limit.
fn describe(f: &Finding) -> String {
    // Quotes of any look (curly, full-width, double primes, ditto marks,
    // ornaments) become `'`: a value must not seem to close its quote and open
    // one of ours.
    let quoted = |v: &str| {
        format!(
            "\"{}\"",
            crate::sanitize::one_line(v, MAX_QUOTED).replace(
                [
                    '"',
                    '\u{201C}',
                    '\u{201D}',
                    '\u{201E}',
                    '\u{201F}',
                    '\u{FF02}',
                    '\u{2033}',
                    '\u{2036}',
                    '\u{02BA}',
                    '\u{02DD}',
                    '\u{02EE}',
                    '\u{3003}',
                    '\u{301D}',
                    '\u{301E}',
                    '\u{301F}',
                    '\u{275D}',
                    '\u{275E}',
                    '\u{05F4}',
                    '\u{1F676}',
                    '\u{1F677}',
                    '\u{1F678}',
                    '\u{2E42}',
                    '\u{02F6}'
                ],
                "'"
            )
        )
    };
    let actor = if f.actor.display.is_empty() {
        "unknown"
    } else {
        &f.actor.display
    };
    // Account and address first: after the longest detection text, four values
    // cut at 128 characters would push the last past the 1024-character limit.
    let mut d = format!("{} Seen", f.meta.description);
    if let Some(a) = f.account_id.as_deref().filter(|a| !a.is_empty()) {
        d.push_str(&format!(" in account {}", quoted(a)));
    }
    if let Some(ip) = f.source_ip.as_deref().filter(|s| !s.is_empty()) {
        d.push_str(&format!(" from {}", quoted(ip)));
    }
    d.push_str(&format!(
        ": {} by {}",
        quoted(&f.event_names.join(", ")),
        quoted(actor)
    ));
    if let Some(code) = &f.error_code {
        d.push_str(&format!(" (error {})", quoted(code)));
    }
    d.push('.');
    d
}

/// How many characters of one record value the description quotes.
const MAX_QUOTED: usize = 128;

/// The ASFF finding for `f`, imported into `product` at `now_ms`.
/// `CreatedAt` is the first event time (stable across retries; now when that is
/// later than now), `UpdatedAt` now.
pub fn render(f: &Finding, product: &Product, now_ms: i64) -> AsffFinding {
    let meta = f.meta;
    let span = event_span_ms(f);
    let now = format_event_time(now_ms);
    let types = attack::asff_types(f.attack);
    let severity = AsffSeverity {
        label: label(f.severity),
        original: f.severity.as_str(),
    };
    let source_account = account_id(f);
    // ASFF takes at most 16 characters for a Region (every AWS Region name fits).
    let finding_region = region(f)
        .filter(|r| r.len() <= 16)
        .unwrap_or(&product.region)
        .to_owned();

    let description = describe(f);

    let mut fields = std::collections::BTreeMap::new();
    // Security Hub takes a field's value only when it holds a character that is
    // not white space (a record's blank user agent would fail the import).
    let mut field = |k: &str, v: &str| {
        if !v.trim().is_empty() {
            fields.insert(format!("{FIELD_PREFIX}{k}"), text(v, MAX_PRODUCT_FIELD));
        }
    };
    field("DetectionId", f.detection_id);
    field("FindingId", &f.finding_id);
    field("Actor", &f.actor.key);
    field("ActorType", f.actor.kind.as_deref().unwrap_or(""));
    // A cross-account caller's own account (the finding's is the record's).
    field("ActorAccountId", f.actor.account.as_deref().unwrap_or(""));
    // The Identity Center user a role session acted for.
    field(
        "ActorOnBehalfOf",
        f.actor.on_behalf_of.as_deref().unwrap_or(""),
    );
    field("SourceAccountId", f.account_id.as_deref().unwrap_or(""));
    field("SourceIp", f.source_ip.as_deref().unwrap_or(""));
    field("UserAgent", f.user_agent.as_deref().unwrap_or(""));
    field("EventNames", &f.event_names.join(","));
    field("EventSources", &f.event_sources.join(","));
    field("EventIds", &f.event_ids.join(","));
    field("ErrorCode", f.error_code.as_deref().unwrap_or(""));
    field("Attack", &f.attack.join(","));
    if let Some(id) = &f.dry_run_suppression {
        field("DryRunSuppression", id);
    }
    if let Some(d) = f.disposition.filter(|d| *d != Disposition::Notified) {
        field("Disposition", d.as_str());
    }
    field("Evidence", &evidence_json(f, MAX_PRODUCT_FIELD));

    // What the finding is about: the account of the record, and the caller when it
    // is an IAM principal.
    let mut resources = vec![Resource {
        kind: "AwsAccount",
        id: format!(
            "AWS::::Account:{}",
            source_account.unwrap_or(&product.account_id)
        ),
        partition: resource_partition(&product.partition),
        region: Some(finding_region.clone()),
    }];
    if f.actor.key.starts_with("arn:") {
        let kind = super::caller_resource_type(&f.actor.key);
        resources.push(Resource {
            kind,
            id: text(&f.actor.key, 512),
            partition: resource_partition(&product.partition),
            region: None,
        });
    }

    let action = f.event_names.first().map(|api| {
        let src = f.source_ip.as_deref().unwrap_or("").trim();
        let (caller_type, remote_ip_details, domain_details) = match src.parse::<std::net::IpAddr>()
        {
            Ok(std::net::IpAddr::V4(ip)) => (
                "remoteip",
                Some(RemoteIp {
                    ip_address_v4: ip.to_string(),
                }),
                None,
            ),
            // ASFF's remote address takes IPv4 only; the address stays in
            // the `SourceIp` product field.
            Ok(std::net::IpAddr::V6(_)) => ("remoteip", None, None),
            Err(_) if !src.is_empty() => (
                "domain",
                None,
                Some(DomainDetails {
                    domain: text(src, 128),
                }),
            ),
            Err(_) => ("remoteip", None, None),
        };
        Action {
            action_type: "AWS_API_CALL",
            aws_api_call_action: ApiCallAction {
                api: text(api, 128),
                service_name: f
                    .event_sources
                    .first()
                    .filter(|s| !s.trim().is_empty())
                    .map(|s| text(s, 128)),
                caller_type,
                remote_ip_details,
                domain_details,
                first_seen: span.map(|(a, _)| format_event_time(a)),
                last_seen: span.map(|(_, b)| format_event_time(b)),
            },
        }
    });

    // Only notified findings are imported; replay's `--show-suppressed` renders
    // the others too, and none of them may read as a live one (from a review).
    let workflow = match f.disposition {
        None | Some(Disposition::Notified) => "NEW",
        Some(Disposition::Suppressed | Disposition::Shadow | Disposition::HeldBack) => "SUPPRESSED",
    };

    AsffFinding {
        schema_version: SCHEMA_VERSION,
        id: f.finding_id.clone(),
        product_arn: product.arn(),
        product_name: "trailwatch",
        company_name: "trailwatch",
        generator_id: f.detection_id.to_owned(),
        aws_account_id: product.account_id.clone(),
        region: finding_region,
        types: types.clone(),
        first_observed_at: span.map(|(a, _)| format_event_time(a)),
        last_observed_at: span.map(|(_, b)| format_event_time(b)),
        // A record's event time may lie in the future; `CreatedAt` after
        // `UpdatedAt` is not a finding Security Hub should be asked to take.
        created_at: span
            .filter(|&(a, _)| a <= now_ms)
            .map(|(a, _)| format_event_time(a))
            .unwrap_or(now.clone()),
        updated_at: now,
        severity: severity.clone(),
        title: text(f.title, MAX_TITLE),
        description: text(&description, MAX_DESCRIPTION),
        remediation: Remediation {
            recommendation: Recommendation {
                text: text(meta.next_steps, MAX_RECOMMENDATION),
            },
        },
        source_url: f
            .event_ids
            .first()
            .and_then(|id| region(f).and_then(|r| cloudtrail_console_link(r, id))),
        product_fields: fields,
        resources,
        action,
        finding_provider_fields: FindingProviderFields { severity, types },
        workflow: Workflow { status: workflow },
        record_state: "ACTIVE",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::ocsf::tests::finding;

    /// The renderings' StopLogging record, by an assumed role of a member account
    /// in another Region.
    fn stop() -> String {
        crate::render::ocsf::tests::STOP
            .replace("us-east-1", "eu-west-1")
            .replace("111122223333", "444455556666")
            .replace("192.0.2.87", "203.0.113.9")
            .replace("\"IAMUser\"", "\"AssumedRole\"")
            .replace(":user/alice", ":assumed-role/ops/eve")
    }

    #[test]
    fn product_arns_are_checked() {
        let p = Product::from_arn(
            "arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default",
        )
        .unwrap();
        assert_eq!(p.account_id, "111122223333");
        assert_eq!(
            p.arn(),
            "arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default"
        );
        for bad in [
            "arn:aws:securityhub:us-east-1:111122223333:product/444455556666/default",
            "arn:aws:sns:us-east-1:111122223333:product/111122223333/default",
            "arn:aws:securityhub:us-east-1:1111:product/1111/default",
            "",
        ] {
            assert!(Product::from_arn(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_member_account_finding_is_imported_by_the_function_account() {
        let f = finding(&stop());
        let p = Product::from_arn(
            "arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default",
        )
        .unwrap();
        let a = render(&f, &p, 1_800_000_000_000);
        assert_eq!(a.aws_account_id, "111122223333");
        assert_eq!(a.id, f.finding_id);
        assert_eq!(a.generator_id, "cloudtrail-log-suspended");
        assert_eq!(a.region, "eu-west-1");
        assert_eq!(a.resources[0].id, "AWS::::Account:444455556666");
        assert_eq!(a.resources[1].kind, "Other");
        assert_eq!(
            a.product_fields["trailwatch/SourceAccountId"],
            "444455556666"
        );
        assert!(!a.product_fields.contains_key("trailwatch/ActorOnBehalfOf"));
        assert_eq!(
            a.product_fields["trailwatch/EventSources"],
            "cloudtrail.amazonaws.com"
        );
        assert_eq!(
            a.action
                .as_ref()
                .unwrap()
                .aws_api_call_action
                .service_name
                .as_deref(),
            Some("cloudtrail.amazonaws.com")
        );
        // A session of trusted identity propagation names its person.
        let tip = crate::event::acting_for_in_test(
            crate::render::ocsf::tests::STOP,
            "544894e8-80c1-707f-60e3-3ba6510dfac1",
        );
        assert_eq!(
            render(&finding(&tip), &p, 1_800_000_000_000).product_fields["trailwatch/ActorOnBehalfOf"],
            "544894e8-80c1-707f-60e3-3ba6510dfac1"
        );
        assert_eq!(a.severity.label, "HIGH");
        assert_eq!(a.types, ["TTPs/Defense Evasion"]);
        assert_eq!(a.created_at, "2026-03-14T13:15:27Z");
        assert_eq!(a.updated_at, "2027-01-15T08:00:00Z");
        let api = &a.action.as_ref().unwrap().aws_api_call_action;
        assert_eq!(
            api.remote_ip_details.as_ref().unwrap().ip_address_v4,
            "203.0.113.9"
        );
        let json = serde_json::to_value(&a).unwrap();
        for key in [
            "SchemaVersion",
            "Id",
            "ProductArn",
            "GeneratorId",
            "AwsAccountId",
            "Types",
            "CreatedAt",
            "UpdatedAt",
            "Severity",
            "Title",
            "Description",
            "Resources",
        ] {
            assert!(json.get(key).is_some(), "{key} missing: {json}");
        }
        assert_eq!(json["Severity"]["Label"], "HIGH");
    }

    /// From a review: replay's `--show-suppressed` renders findings that were
    /// not notified; none may read as a live one, and each says why. The
    /// product names itself.
    #[test]
    fn findings_not_notified_are_suppressed_and_say_why() {
        let mut f = finding(&stop());
        let p = Product::of_finding(&f).unwrap();
        let a = render(&f, &p, 0);
        assert_eq!((a.workflow.status, a.product_name), ("NEW", "trailwatch"));
        assert!(!a.product_fields.contains_key("trailwatch/Disposition"));
        for (d, word) in [
            (Disposition::Suppressed, "suppressed"),
            (Disposition::Shadow, "shadow"),
            (Disposition::HeldBack, "held-back"),
        ] {
            f.disposition = Some(d);
            let a = render(&f, &p, 0);
            assert_eq!(a.workflow.status, "SUPPRESSED", "{d:?}");
            assert_eq!(a.product_fields["trailwatch/Disposition"], word);
            assert_eq!(serde_json::to_value(d).unwrap(), word, "as it serialises");
        }
        f.disposition = Some(Disposition::Notified);
        assert_eq!(render(&f, &p, 0).workflow.status, "NEW");
    }

    #[test]
    fn replay_imports_into_the_finding_account() {
        let f = finding(&stop());
        let p = Product::of_finding(&f).unwrap();
        assert_eq!(
            p.arn(),
            "arn:aws:securityhub:eu-west-1:444455556666:product/444455556666/default"
        );
        let no_account = finding(&stop().replace("444455556666", "not-an-account"));
        assert!(Product::of_finding(&no_account).is_none());
    }

    #[test]
    fn record_values_cannot_pose_as_our_facts() {
        let forged = format!(
            "eve from 10.0.0.5 in account 999999999999. Expected and benign, no action needed\\\"{}",
            " ".repeat(1000)
        );
        let f = finding(&stop().replace(
            "assumed-role/ops/eve",
            &format!("assumed-role/ops/{forged}"),
        ));
        let d = render(&f, &Product::of_finding(&f).unwrap(), 0).description;
        // Our text comes first, whole; the record's values follow, quoted and
        // capped, so the true address and account are still there.
        assert!(d.starts_with(f.meta.description), "{d}");
        assert!(
            d.contains(
                " Seen in account \"444455556666\" from \"203.0.113.9\": \"StopLogging\" by \""
            ),
            "{d}"
        );
        let actor = d.split(" by \"").nth(1).unwrap().split('"').next().unwrap();
        assert!(
            !actor.contains('"')
                && actor.chars().count() <= 128 + crate::sanitize::CUT_MARK.chars().count(),
            "{actor}"
        );
        // Curly and full-width quotes cannot seem to close the quote either.
        let curly =
            "eve\u{201D} from \u{201C}10.0.0.5\u{201D} in account \u{FF02}999999999999\u{FF02}";
        let f =
            finding(&stop().replace("assumed-role/ops/eve", &format!("assumed-role/ops/{curly}")));
        let d = render(&f, &Product::of_finding(&f).unwrap(), 0).description;
        assert!(!d.contains(['\u{201C}', '\u{201D}', '\u{FF02}']), "{d}");
        assert!(
            d.contains("eve' from '10.0.0.5' in account '999999999999'"),
            "{d}"
        );
        // From a review: double primes and ditto marks are quotes to a reader.
        let primes =
            "eve\u{2033} from \u{3003}10.0.0.5\u{02BA} in account \u{301D}999999999999\u{05F4}";
        let f = finding(&stop().replace(
            "assumed-role/ops/eve",
            &format!("assumed-role/ops/{primes}"),
        ));
        let d = render(&f, &Product::of_finding(&f).unwrap(), 0).description;
        assert!(
            d.contains("eve' from '10.0.0.5' in account '999999999999'"),
            "{d}"
        );
    }

    /// The longest detection text, then every record value at its cap: the
    /// account and address are still within the limit, whole.
    #[test]
    fn the_account_survives_the_longest_description() {
        let longest = crate::detections::ALL
            .iter()
            .map(|d| d.meta())
            .max_by_key(|m| m.description.chars().count())
            .unwrap();
        let mut f = finding(&stop().replace(
            "assumed-role/ops/eve",
            &format!("assumed-role/ops/{}", "e".repeat(500)),
        ));
        f.meta = longest;
        f.event_names = (0..40).map(|i| format!("SomeLongEventName{i}")).collect();
        f.error_code = Some("E".repeat(500));
        f.source_ip = Some("s".repeat(500));
        let d = text(&describe(&f), MAX_DESCRIPTION);
        assert!(d.contains(" in account \"444455556666\" from \"sss"), "{d}");
    }

    #[test]
    fn what_asff_cannot_hold_is_left_out_not_sent() {
        let p = Product::of_finding(&finding(&stop())).unwrap();
        let now = 1_800_000_000_000;
        // IPv6: ASFF's remote address is IPv4 only, and it is no domain.
        let a = render(
            &finding(&stop().replace("203.0.113.9", "2001:db8::7")),
            &p,
            now,
        );
        let api = &a.action.as_ref().unwrap().aws_api_call_action;
        assert_eq!(api.caller_type, "remoteip");
        assert!(api.remote_ip_details.is_none() && api.domain_details.is_none());
        assert_eq!(a.product_fields["trailwatch/SourceIp"], "2001:db8::7");
        // An event time after now: created now, not after its update.
        let a = render(
            &finding(&stop().replace("2026-03-14", "2099-03-14")),
            &p,
            now,
        );
        assert_eq!(a.created_at, a.updated_at);
        assert_eq!(a.first_observed_at.as_deref(), Some("2099-03-14T13:15:27Z"));
        // A huge event id: no console link built from it, and the finding
        // stays far under BatchImportFindings' 240 KB.
        let id = "/".repeat(90_000);
        let a = render(
            &finding(&stop().replace("ce8e2f85-3e2a-52fd-a45f-31e73af3b829", &id)),
            &p,
            now,
        );
        assert!(a.source_url.is_none());
        let size = serde_json::to_string(&a).unwrap().len();
        assert!(size < 20_000, "{size}");
        let a = render(&finding(&stop()), &p, now);
        assert!(
            a.source_url
                .unwrap()
                .ends_with("#/events/ce8e2f85-3e2a-52fd-a45f-31e73af3b829")
        );
        // From a review: a blank value (a user agent of spaces, or of no-break
        // spaces) is no field (Security Hub refuses one without a non-space
        // character), and a Region over ASFF's 16 characters is the product's.
        for blank in ["   ", r"\u00a0\u3000"] {
            let a = render(&finding(&stop().replace("aws-cli/2.27.40", blank)), &p, now);
            assert!(
                !a.product_fields.contains_key("trailwatch/UserAgent"),
                "{blank:?}"
            );
        }
        let a = render(
            &finding(&stop().replace("eu-west-1", "eu-west-12345678901")),
            &p,
            now,
        );
        assert_eq!(a.region, "eu-west-1");
        // From a review: the EU Sovereign Cloud's product is in its partition,
        // and a resource there names none (ASFF knows three).
        let f = finding(&stop().replace("eu-west-1", "eusc-de-east-1"));
        let sovereign = Product::of_finding(&f).unwrap();
        assert!(
            sovereign
                .arn()
                .starts_with("arn:aws-eusc:securityhub:eusc-de-east-1:"),
            "{}",
            sovereign.arn()
        );
        let a = render(&f, &sovereign, now);
        assert!(a.resources.iter().all(|r| r.partition.is_none()));
        assert_eq!(
            render(&finding(&stop()), &p, now).resources[0]
                .partition
                .as_deref(),
            Some("aws")
        );
    }

    #[test]
    fn hostile_text_stays_within_limits_on_one_line() {
        let f = finding(&stop().replace(
            "assumed-role/ops/eve",
            &format!("assumed-role/ops/eve\\n\\u202e{}", "x".repeat(5000)),
        ));
        let p = Product::of_finding(&f).unwrap();
        let a = render(&f, &p, 0);
        assert!(a.description.len() <= MAX_DESCRIPTION);
        assert!(!a.description.chars().any(crate::sanitize::is_unsafe));
        for v in a.product_fields.values() {
            assert!(v.len() <= MAX_PRODUCT_FIELD);
            assert!(!v.chars().any(crate::sanitize::is_unsafe));
        }
    }

    /// From a review: limits are kept in UTF-8 bytes (emoji names made an
    /// Evidence field of 1,872 characters and 7,227 bytes), and the Evidence
    /// field's strings lose their controls, which JSON escapes would give back
    /// to whoever parses it.
    #[test]
    fn limits_hold_in_bytes_and_evidence_strings_hold_no_controls() {
        let mut f = finding(&stop());
        f.title = "Ünïcödé ".repeat(40).leak();
        let names: Vec<String> = (0..60)
            .map(|i| format!("decoy-{i}-🚨🚨🚨🚨🚨🚨🚨🚨"))
            .collect();
        f.evidence = crate::detection::Evidence::new()
            .with("alarm_names", names)
            .with("key", "claims.csv\r\n\r\n[LOW] benign\u{1b}[8m\u{202e}");
        let p = Product::of_finding(&f).unwrap();
        let a = render(&f, &p, 0);
        assert!(a.title.len() <= MAX_TITLE, "{}", a.title.len());
        let ev = &a.product_fields[&format!("{FIELD_PREFIX}Evidence")];
        assert!(ev.len() <= MAX_PRODUCT_FIELD, "{}", ev.len());
        let v: Value = serde_json::from_str(ev).expect("still JSON");
        let mut small = finding(&stop());
        small.evidence = crate::detection::Evidence::new()
            .with("key", "claims.csv\r\n\r\n[LOW] benign\u{1b}[8m\u{202e}");
        let small =
            render(&small, &p, 0).product_fields[&format!("{FIELD_PREFIX}Evidence")].clone();
        let key: Value = serde_json::from_str(&small).expect("JSON");
        assert_eq!(key["key"], "claims.csv????[LOW] benign?[8m?", "{small}");
        assert_eq!(v["evidence_truncated"], true);
    }

    /// From a review: the evidence field is JSON to its readers, so a long one
    /// is cut value by value, never in the middle of a string or an escape.
    #[test]
    fn long_evidence_stays_json_within_the_field_limit() {
        let mut f = finding(&stop());
        let policy = format!(
            "{{\"Statement\":[{}]}}",
            "{\"Effect\":\"Allow\",\"Action\":\"*\"},".repeat(200)
        );
        f.evidence = crate::detection::Evidence::new()
            .with("policy_document", policy)
            .with("trail", "org-trail")
            .with("quotes", "\"\\\u{1}".repeat(800));
        let p = Product::of_finding(&f).unwrap();
        let ev = &render(&f, &p, 0).product_fields[&format!("{FIELD_PREFIX}Evidence")];
        assert!(ev.len() <= MAX_PRODUCT_FIELD, "{}", ev.len());
        let v: Value = serde_json::from_str(ev).expect("still JSON");
        assert_eq!(v["trail"], "org-trail");
        assert_eq!(v["evidence_truncated"], true);
        assert!(
            v["policy_document"]
                .as_str()
                .unwrap()
                .starts_with("{\"Statement\":[{")
        );
        // A short one is as it was.
        f.evidence = crate::detection::Evidence::new().with("trail", "org-trail");
        let ev = &render(&f, &p, 0).product_fields[&format!("{FIELD_PREFIX}Evidence")];
        assert_eq!(ev, r#"{"trail":"org-trail"}"#);
    }
}
