//! Security services and account controls (GuardDuty, Security Hub, detective
//! services, organisation and Region settings, WAF): helpers of that theme.
//! Console sign-ins are in `signin.rs`.

use serde_json::Value;

use crate::detection::Evidence;
use crate::event::Record;

use super::general::{flag_value, pascal_or_camel, succeeded_call};

/// `requestParameters.<key>` read as a flag (JSON boolean or `"true"`/`"false"` text).
pub fn request_flag(rec: &Record, key: &str) -> Option<bool> {
    rec.request_param(key).and_then(flag_value)
}

/// A findings filter's update that rewrites what it matches (`criteria`, the
/// request's criteria field, PascalCase, read in either case) without saying
/// what it does with its matches (`Action` missing, null or empty): the filter
/// keeps its action, which the record does not hold. Terraform's Macie filter
/// sends only the fields that changed, and any CLI or SDK caller may leave the
/// action out, so an archiving rule widened is recorded this way (from the
/// twelfth session's left-outs).
pub fn filter_criteria_without_action(rec: &Record, criteria: &str) -> bool {
    let Some(params) = rec.request_parameters() else {
        return false;
    };
    unstated(filter_action(rec)) && pascal_or_camel(params, criteria).is_some_and(|c| !c.is_null())
}

/// A findings filter's `Action` in its request, read in either case.
pub fn filter_action<'r>(rec: &'r Record) -> Option<&'r Value> {
    rec.request_parameters()
        .and_then(|p| pascal_or_camel(p, "Action"))
}

/// A rule's action (or list of actions) the request does not state: missing,
/// null, an empty text or an empty list.
pub fn unstated(action: Option<&Value>) -> bool {
    match action {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(Value::Array(items)) => items.is_empty(),
        Some(_) => false,
    }
}

/// The three WAF APIs: classic global, classic regional, and WAFv2.
pub const WAF_SOURCES: [&str; 3] = [
    "waf.amazonaws.com",
    "waf-regional.amazonaws.com",
    "wafv2.amazonaws.com",
];

/// The triggers of a WAF detection: `names` on each of the WAF APIs.
pub const fn waf_triggers(names: &'static [&'static str]) -> [crate::detection::Trigger; 3] {
    use crate::detection::Trigger;
    [
        Trigger::write(WAF_SOURCES[0], names),
        Trigger::write(WAF_SOURCES[1], names),
        Trigger::write(WAF_SOURCES[2], names),
    ]
}

/// A successful call of one of `names` on any of the WAF APIs.
pub fn succeeded_waf_call(rec: &Record, names: &[&str]) -> bool {
    WAF_SOURCES
        .iter()
        .any(|source| succeeded_call(rec, source, names))
}

/// The evidence of a WAF change: which API, the resource's name and id (WAFv2 uses
/// `name`/`id`, classic WAF `webACLId`/`ruleId`/`ruleGroupId`), and its scope.
pub fn waf_evidence(rec: &Record) -> Evidence {
    Evidence::new()
        .with("action", rec.event_name())
        .with("api", rec.event_source())
        .with_opt("name", rec.request_param_str("name"))
        .with_opt(
            "id",
            ["id", "webACLId", "ruleId", "ruleGroupId"]
                .iter()
                .find_map(|k| rec.request_param_str(k)),
        )
        .with_opt("resource_arn", rec.request_param_str("resourceArn"))
        .with_opt("scope", rec.request_param_str("scope"))
}

/// A WAFv2 update that leaves the ACL or rule group with no rules. WAFv2's updates
/// replace the whole specification with the one sent, and `rules` is optional: sent
/// as an empty list or `null`, or left out, the rules are gone. Left out counts only
/// in a request recorded whole, one that carries `visibilityConfig` (which both
/// updates require).
pub fn waf_rules_emptied(rec: &Record) -> bool {
    match rec.request_param("rules") {
        Some(Value::Array(rules)) => rules.is_empty(),
        Some(Value::Null) | None => rec
            .request_param("visibilityConfig")
            .is_some_and(Value::is_object),
        Some(_) => false,
    }
}

/// Evidence made of request parameters: each `(key, parameter)` pair adds
/// `requestParameters.<parameter>` under `key` when it is a non-empty string.
pub fn params_evidence(rec: &Record, pairs: &[(&'static str, &str)]) -> Evidence {
    pairs.iter().fold(Evidence::new(), |e, (key, param)| {
        e.with_opt(key, rec.request_param_str(param))
    })
}

/// Whether a bucket name says CloudTrail delivers to it: `cloudtrail` anywhere
/// (the console's `aws-cloudtrail-logs-...`, most organisations' own names), or
/// the log archive buckets of Control Tower (`aws-controltower-logs-...`) and
/// the Landing Zone Accelerator (`aws-accelerator-central-logs-...`), which hold
/// organisation trails (from a review: those two were not seen). Any letter
/// case. The record never says which trail writes where, so a trail bucket
/// named otherwise is not seen.
pub fn names_trail_bucket(name: &str) -> bool {
    let name = name.trim().to_ascii_lowercase();
    name.contains("cloudtrail")
        || name.starts_with("aws-controltower-logs-")
        || name.starts_with("aws-accelerator-central-logs-")
}

#[cfg(test)]
pub mod calls {
    //! Test records of the security-services theme: one API call by an IAM user.

    /// A successful `name` call on `source` by the IAM user `x` of 111122223333, with
    /// `params` (JSON text) as its `requestParameters`.
    pub fn call(source: &str, name: &str, params: &str) -> String {
        format!(
            r#"{{"eventSource":"{source}","eventName":"{name}","awsRegion":"us-east-1",
            "sourceIPAddress":"192.0.2.30","userAgent":"aws-cli/2.15.0",
            "userIdentity":{{"type":"IAMUser","principalId":"AIDAEXAMPLE",
              "arn":"arn:aws:iam::111122223333:user/x","accountId":"111122223333","userName":"x"}},
            "requestParameters":{params},"responseElements":null}}"#
        )
    }

    /// The same record, refused with error `code`.
    pub fn failed(json: &str, code: &str) -> String {
        let error = format!(r#""errorCode":"{code}","errorMessage":"refused","requestParameters""#);
        let out = json.replacen("\"requestParameters\"", &error, 1);
        assert_ne!(
            out, json,
            "the record has no requestParameters to put the error before"
        );
        out
    }
}
