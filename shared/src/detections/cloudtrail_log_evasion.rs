//! A successful IAM call whose request CloudTrail dropped as too large (the "omitted"
//! stub): the policy it set is missing from the log.
//!
//! Decisions: high when the call sets a permissions or trust policy
//! (`POLICY_CALLS`): IAM caps those documents at a few thousand characters,
//! whitespace not counted, far below what CloudTrail omits, so only padding gets
//! one there, and the stub then hides an administrator grant or a backdoored
//! trust from every detection that reads the document (from an evasion review:
//! it was medium, below the high findings the same call makes unpadded). Medium
//! for the other IAM calls, whose SAML metadata or certificate chains can be
//! that large on their own.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{REQUEST_TOO_LARGE as TOO_LARGE, request_omitted_as_too_large};
use crate::event::Record;
use crate::event::prefilter::{Needle, Peek};

pub struct CloudTrailLogEvasion;

/// The IAM calls that set a permissions or trust policy document.
const POLICY_CALLS: &[&str] = &[
    "CreatePolicy",
    "CreatePolicyVersion",
    "CreateRole",
    "PutGroupPolicy",
    "PutRolePolicy",
    "PutUserPolicy",
    "UpdateAssumeRolePolicy",
];

pub static META: Meta = Meta {
    id: "cloudtrail-log-evasion",
    title: "AWS CloudTrail Log Evasion",
    description: "An IAM call succeeded but CloudTrail logged only a placeholder instead of its \
                  request, because the request was too large. IAM ignores whitespace when it \
                  checks policy size, so padding a policy hides what was granted from the audit \
                  log while the permissions still take effect.",
    severity: Severity::Medium,
    attack: &["T1562.008"],
    origins: &["Elastic detection-rules defense_evasion_cloudtrail_logging_evasion.toml (9ebd48ac-a0e2-430a-a219-fe072a50146b)"],
    group: "logging-tamper",
    false_positives: &[
        "Very rarely, a legitimate but enormous policy or trust document; padding with whitespace \
         is not normal practice.",
        "Large SAML metadata (UpdateSAMLProvider, CreateSAMLProvider) or certificate chains \
         (UploadServerCertificate) can reach the size on their own; a SAML provider's \
         metadata swapped under the placeholder is still worth a look (GetSAMLProvider).",
    ],
    next_steps: "Fetch what was actually set, since the log does not show it: GetPolicyVersion, \
                 GetRolePolicy, GetUserPolicy, GetGroupPolicy or GetRole for the resource the \
                 caller touched (the responses are URL-encoded JSON). Review the permissions it \
                 grants, who made the call, and what that principal did next.",
    evidence: "api original_size reason",
    triggers: &[Trigger::Events {
        source: "iam.amazonaws.com",
        names: &[],
        read_only: false,
        data_event: false,
        detail_pattern: Some(r#"{"requestParameters":{"reason":["requestParameters too large"]}}"#),
    }],
    window: None,
};

impl Detection for CloudTrailLogEvasion {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn severity_for(&self, rec: &Record<'_>) -> Severity {
        if POLICY_CALLS.contains(&rec.event_name()) {
            Severity::High
        } else {
            META.severity
        }
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "iam.amazonaws.com" || !rec.succeeded() {
            return None;
        }
        if !request_omitted_as_too_large(rec) {
            return None;
        }
        fire(
            Evidence::new()
                .with_opt("api", Some(rec.event_name()).filter(|n| !n.is_empty()))
                .with("reason", TOO_LARGE)
                .with_json("original_size", rec.request_param("originalSize")),
        )
    }

    /// Every IAM event is routed here, but only the omitted stub can match: its
    /// reason text must be in the bytes (the peek excludes `\u` escapes).
    fn may_match_raw(&self, _peek: &Peek<'_>, json: &[u8]) -> bool {
        static STUB: Needle = Needle::new(TOO_LARGE);
        STUB.is_in(json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::{eval, fires};
    use serde_json::Value;

    const PADDED: &str = r#"{"eventVersion":"1.10","eventSource":"iam.amazonaws.com",
        "eventName":"PutRolePolicy","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.61",
        "userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/Builder/x",
          "accountId":"111122223333"},
        "requestParameters":{"reason":"requestParameters too large","omitted":true,"originalSize":131072},
        "responseElements":null}"#;

    #[test]
    fn fires_with_the_api_and_size() {
        match eval(&CloudTrailLogEvasion, PADDED) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("api"), Some(&Value::from("PutRolePolicy")));
                assert_eq!(e.get("original_size"), Some(&Value::from(131072)));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    /// A policy or trust document padded past CloudTrail's limit is high; other
    /// IAM calls (SAML metadata, certificates) stay at the metadata's medium.
    #[test]
    fn a_padded_policy_document_is_high() {
        for name in POLICY_CALLS {
            let json = PADDED.replace("PutRolePolicy", name);
            let rec = crate::event::Record::from_json(&json).unwrap();
            assert_eq!(CloudTrailLogEvasion.severity_for(&rec), Severity::High, "{name}");
        }
        for name in ["UpdateSAMLProvider", "UploadServerCertificate", "TagRole"] {
            let json = PADDED.replace("PutRolePolicy", name);
            let rec = crate::event::Record::from_json(&json).unwrap();
            assert_eq!(CloudTrailLogEvasion.severity_for(&rec), Severity::Medium, "{name}");
        }
    }

    #[test]
    fn omitted_may_be_text() {
        for text in [r#""true""#, r#""True""#] {
            let json = PADDED.replace(r#""omitted":true"#, &format!(r#""omitted":{text}"#));
            assert!(fires(&CloudTrailLogEvasion, &json), "{text}");
        }
    }

    #[test]
    fn any_iam_call_counts() {
        for name in [
            "CreatePolicy",
            "CreatePolicyVersion",
            "UpdateAssumeRolePolicy",
            "TagRole",
        ] {
            let json = PADDED.replace("PutRolePolicy", name);
            assert!(fires(&CloudTrailLogEvasion, &json), "{name}");
        }
        let no_size = PADDED.replace(r#","originalSize":131072"#, "");
        assert!(fires(&CloudTrailLogEvasion, &no_size));
    }

    #[test]
    fn needs_both_markers_and_success() {
        for (from, to) in [
            (r#""omitted":true"#, r#""omitted":false"#),
            (r#""omitted":true"#, r#""omitted":"false""#),
            (r#""omitted":true"#, r#""omitted":null"#),
            (r#""omitted":true,"#, ""),
            (r#""omitted":true"#, r#""omitted":1"#),
            ("requestParameters too large", "responseElements too large"),
            ("requestParameters too large", "RequestParameters Too Large"),
            (
                r#""responseElements":null"#,
                r#""errorCode":"MalformedPolicyDocument","responseElements":null"#,
            ),
        ] {
            assert!(
                !fires(&CloudTrailLogEvasion, &PADDED.replace(from, to)),
                "{to}"
            );
        }
    }

    #[test]
    fn only_iam_and_only_the_request_stub() {
        let lambda = PADDED.replace("iam.amazonaws.com", "lambda.amazonaws.com");
        assert!(!fires(&CloudTrailLogEvasion, &lambda));
        // The stub in responseElements instead of requestParameters does not count.
        let response = r#"{"eventSource":"iam.amazonaws.com","eventName":"GetAccountAuthorizationDetails",
            "requestParameters":{"filter":["Role"]},
            "responseElements":{"reason":"requestParameters too large","omitted":true}}"#;
        assert!(!fires(&CloudTrailLogEvasion, response));
        let not_object = r#"{"eventSource":"iam.amazonaws.com","eventName":"PutUserPolicy",
            "requestParameters":"requestParameters too large"}"#;
        assert!(!fires(&CloudTrailLogEvasion, not_object));
    }

    #[test]
    fn raw_precheck_keeps_the_stub_and_drops_ordinary_iam_calls() {
        use crate::event::prefilter::peek;
        let stub = PADDED.as_bytes();
        let p = peek(stub).expect("plain record");
        assert!(CloudTrailLogEvasion.may_match_raw(&p, stub));
        let plain = br#"{"eventSource":"iam.amazonaws.com","eventName":"GetRole","requestParameters":{"roleName":"x"}}"#;
        let p = peek(plain).expect("plain record");
        assert!(!CloudTrailLogEvasion.may_match_raw(&p, plain));
    }
}
