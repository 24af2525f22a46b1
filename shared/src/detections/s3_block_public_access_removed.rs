//! S3 Block Public Access removed or weakened, on a bucket or the whole account:
//! `DeleteBucketPublicAccessBlock`, `DeleteAccountPublicAccessBlock`, or
//! `PutBucketPublicAccessBlock` / `PutAccountPublicAccessBlock` with one of the four
//! settings false, successfully.
//!
//! Decisions: a `Put` that keeps all four settings true (or carries no
//! configuration) changes nothing and does not fire; the settings may be booleans
//! or text. A `Put` replaces the whole configuration and a setting it leaves out is
//! stored as false, so a setting counts as off unless it is explicitly true
//! (`{"BlockPublicAcls": true}` alone turns the other three off). The finding
//! lists the settings turned off.
//!
//! From an evasion review: an organisation's S3 policy (`CreatePolicy` or
//! `UpdatePolicy` of Organizations) whose `public_access_block_configuration`
//! assigns `none` turns all four settings off at organisation level for every
//! account it is attached to, and accounts cannot turn them back on while it
//! applies. Its content is read as the declarative policy JSON text it is (the
//! `@@assign` operator, either a bare value); a policy assigning `all` does not fire.
//! A created policy acts only once attached; it is reported at creation, as the
//! step before, and when an attached one is rewritten. High: it reaches every
//! account the policy is attached to.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{flag_value, organizations, policy_document, succeeded_call, text_is};
use crate::event::Record;

pub struct S3BlockPublicAccessRemoved;

const NAMES: &[&str] = &[
    "DeleteAccountPublicAccessBlock",
    "DeleteBucketPublicAccessBlock",
    "PutAccountPublicAccessBlock",
    "PutBucketPublicAccessBlock",
];
const ORGANIZATIONS: &str = "organizations.amazonaws.com";
const ORGANIZATION_POLICY: &[&str] = &["CreatePolicy", "UpdatePolicy"];
const SETTINGS: &[&str] = &[
    "BlockPublicAcls",
    "BlockPublicPolicy",
    "IgnorePublicAcls",
    "RestrictPublicBuckets",
];

pub static META: Meta = Meta {
    id: "s3-block-public-access-removed",
    title: "AWS S3 Block Public Access Removed or Weakened",
    description: "S3 Block Public Access was deleted or partly turned off for a bucket or for the \
                  whole account. It is the guard that keeps a mistaken or malicious policy or ACL \
                  from making data public; removing it is usually the step before exposing a \
                  bucket.",
    severity: Severity::Medium,
    attack: &["T1562.001", "T1530"],
    origins: &["trailwatch: based on S3 public-exposure techniques (Delete/Put*PublicAccessBlock)"],
    group: "data-exposure",
    false_positives: &["Buckets deliberately opened for public websites or downloads."],
    next_steps: "Check which buckets the change affects and whether any bucket policy or ACL now \
                 grants public access; restore the block if not planned, and review the caller.",
    evidence: "bucket deleted policy_id policy_name scope settings_off",
    triggers: &[
        Trigger::write("s3.amazonaws.com", NAMES),
        Trigger::write(ORGANIZATIONS, ORGANIZATION_POLICY),
    ],
    window: None,
};

impl Detection for S3BlockPublicAccessRemoved {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn severity_for(&self, rec: &Record<'_>) -> Severity {
        if rec.event_source() == ORGANIZATIONS {
            Severity::High
        } else {
            META.severity
        }
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if succeeded_call(rec, ORGANIZATIONS, ORGANIZATION_POLICY) {
            return organization_policy_turns_block_off(rec);
        }
        if !succeeded_call(rec, "s3.amazonaws.com", NAMES) {
            return None;
        }
        let scope = if rec.event_name().contains("Account") {
            "account"
        } else {
            "bucket"
        };
        let e = Evidence::new()
            .with("scope", scope)
            .with_opt("bucket", rec.request_param_str("bucketName"));
        if rec.event_name().starts_with("Delete") {
            return fire(e.with("deleted", true));
        }
        let config = rec
            .request_param("PublicAccessBlockConfiguration")?
            .as_object()?;
        let off: Vec<&str> = SETTINGS
            .iter()
            .copied()
            .filter(|s| config.get(*s).and_then(flag_value) != Some(true))
            .collect();
        if off.is_empty() {
            return None;
        }
        fire(e.with("settings_off", off))
    }
}

/// An organisation S3 policy created or rewritten to assign `none` to Block
/// Public Access: a finding naming the policy.
fn organization_policy_turns_block_off(rec: &Record<'_>) -> Option<Signal> {
    let doc = policy_document(rec.request_param("content")?)?;
    let setting = doc.get("s3_attributes")?.get("public_access_block_configuration")?;
    if !text_is(Some(organizations::assigned(setting)), "none") {
        return None;
    }
    fire(organizations::with_policy_named(
        Evidence::new()
            .with("scope", "organization")
            .with("settings_off", SETTINGS.to_vec()),
        rec,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, failed, record};
    use crate::detections::common::testing::{eval, fires};
    use serde_json::json;

    fn put(config: &str) -> String {
        format!(r#"{{"bucketName":"press-kit-assets","publicAccessBlock":"","PublicAccessBlockConfiguration":{config}}}"#)
    }

    #[test]
    fn fires_on_deletion_and_on_settings_turned_off() {
        assert!(fires(&S3BlockPublicAccessRemoved, &record("s3.amazonaws.com", "DeleteBucketPublicAccessBlock", ROLE, r#"{"bucketName":"b","publicAccessBlock":""}"#, "")));
        assert!(fires(&S3BlockPublicAccessRemoved, &record("s3.amazonaws.com", "DeleteAccountPublicAccessBlock", ROLE, "null", "")));
        let rec = record("s3.amazonaws.com", "PutBucketPublicAccessBlock", ROLE,
            &put(r#"{"BlockPublicAcls":true,"IgnorePublicAcls":true,"BlockPublicPolicy":false,"RestrictPublicBuckets":"false"}"#), "");
        match eval(&S3BlockPublicAccessRemoved, &rec) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("settings_off"), Some(&json!(["BlockPublicPolicy", "RestrictPublicBuckets"]))),
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn a_setting_left_out_is_turned_off() {
        let partial = put(r#"{"BlockPublicAcls":true}"#);
        match eval(&S3BlockPublicAccessRemoved, &record("s3.amazonaws.com", "PutBucketPublicAccessBlock", ROLE, &partial, "")) {
            Some(Signal::Fire(e)) => assert_eq!(
                e.get("settings_off"),
                Some(&json!(["BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"]))
            ),
            other => panic!("expected a finding, got {other:?}"),
        }
        let empty = put(r#"{"xmlns":"http://s3.amazonaws.com/doc/2006-03-01/"}"#);
        assert!(fires(&S3BlockPublicAccessRemoved, &record("s3.amazonaws.com", "PutAccountPublicAccessBlock", ROLE, &empty, "")));
        let not_an_object = put(r#""""#);
        assert!(!fires(&S3BlockPublicAccessRemoved, &record("s3.amazonaws.com", "PutBucketPublicAccessBlock", ROLE, &not_an_object, "")));
    }

    /// From an evasion review: the organisation's S3 policy assigning `none`.
    #[test]
    fn an_organisation_policy_assigning_none_fires() {
        let org = |name: &str, params: &str| record(ORGANIZATIONS, name, ROLE, params, "");
        let none = r#"{\"s3_attributes\":{\"public_access_block_configuration\":{\"@@assign\":\"none\"}}}"#;
        let created = org("CreatePolicy", &format!(r#"{{"name":"s3-bpa","type":"S3_POLICY","content":"{none}"}}"#));
        match eval(&S3BlockPublicAccessRemoved, &created) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("scope"), Some(&json!("organization")));
                assert_eq!(e.get("policy_name"), Some(&json!("s3-bpa")));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let updated = org("UpdatePolicy", &format!(r#"{{"policyId":"p-5s3a1b2c","content":"{}"}}"#, none.replace("none", "NONE")));
        assert!(fires(&S3BlockPublicAccessRemoved, &updated));
        let updated = crate::event::Record::from_json(&updated).unwrap();
        assert_eq!(S3BlockPublicAccessRemoved.severity_for(&updated), Severity::High);
        let all = org("UpdatePolicy", &format!(r#"{{"policyId":"p-5s3a1b2c","content":"{}"}}"#, none.replace("none", "all")));
        assert!(!fires(&S3BlockPublicAccessRemoved, &all));
        let scp = org("CreatePolicy", r#"{"name":"deny","type":"SERVICE_CONTROL_POLICY","content":"{\"Version\":\"2012-10-17\",\"Statement\":[]}"}"#);
        assert!(!fires(&S3BlockPublicAccessRemoved, &scp));
        assert!(!fires(&S3BlockPublicAccessRemoved, &failed(ORGANIZATIONS, "UpdatePolicy", ROLE, &format!(r#"{{"policyId":"p-1","content":"{none}"}}"#), "AccessDeniedException")));
    }

    #[test]
    fn near_misses() {
        let all_on = put(r#"{"BlockPublicAcls":true,"IgnorePublicAcls":true,"BlockPublicPolicy":true,"RestrictPublicBuckets":true}"#);
        assert!(!fires(&S3BlockPublicAccessRemoved, &record("s3.amazonaws.com", "PutAccountPublicAccessBlock", ROLE, &all_on, "")));
        assert!(!fires(&S3BlockPublicAccessRemoved, &record("s3.amazonaws.com", "PutBucketPublicAccessBlock", ROLE, r#"{"bucketName":"b"}"#, "")));
        assert!(!fires(&S3BlockPublicAccessRemoved, &failed("s3.amazonaws.com", "DeleteBucketPublicAccessBlock", ROLE, r#"{"bucketName":"b"}"#, "AccessDenied")));
        assert!(!fires(&S3BlockPublicAccessRemoved, &record("ec2.amazonaws.com", "DeleteBucketPublicAccessBlock", ROLE, "{}", "")));
    }
}
