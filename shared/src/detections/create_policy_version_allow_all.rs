//! A new managed-policy version (`CreatePolicyVersion`), successfully created, that
//! allows every action (`Action` `*` or `*:*`).
//!
//! Decision (seed): only that literal form counts, as the seed catalogue's logic
//! says and its labelled suites pin. An `Allow` with `NotAction` that lists a few
//! actions is nearly as broad; `iam-policy-version-created-or-default-set` still
//! reports such a version (outside infrastructure-as-code callers).

use serde_json::Value;

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::event::Record;

pub struct CreatePolicyVersionAllowAll;

pub static META: Meta = Meta {
    id: "create-policy-version-allow-all",
    title: "AWS Create Policy Version to allow all resources",
    description: "A customer managed IAM policy received a new version with a statement that \
                  allows every action. Anyone allowed to create policy versions can escalate \
                  to full administrator this way, since the new version can be made the \
                  default in the same call.",
    severity: Severity::Medium,
    attack: &["T1078", "T1078.004"],
    origins: &["Splunk ESCU detections/cloud/aws_create_policy_version_to_allow_all_resources.yml \
             (2a9b80d3-6340-4345-b5ad-212bf3d0dac4)"],
    group: "identity-abuse",
    false_positives: &[
        "An administrator deliberately granting full access through a managed policy \
         (discouraged, but it happens in sandbox accounts).",
        "A policy document that could not be parsed is reported for review and may be benign.",
    ],
    next_steps: "Check who is attached to the policy and whether the version is the default \
                 (set_as_default, or a later SetDefaultPolicyVersion). If unexpected, restore \
                 the previous default version, delete the new one, and review what the \
                 attached principals did since.",
    evidence: "policy_arn problem set_as_default statement",
    triggers: &[Trigger::Events {
        source: "iam.amazonaws.com",
        names: &["CreatePolicyVersion"],
        read_only: false,
        data_event: false,
        detail_pattern: None,
    }],
    window: None,
};

/// Decodes `%XX` escapes (RFC 3986; `+` stays as it is). A `%` not followed by two
/// hex digits is kept literally. `None` when the result is not UTF-8.
pub(crate) fn percent_decode(s: &str) -> Option<String> {
    fn hex(b: u8) -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        }
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// A policy document's text, percent-decoded when it opens with an escape: a JSON
/// document cannot start with `%`, so an escape there means the document is
/// encoded, whether it opens with `%7B` or with encoded whitespace (`%0A%7B`,
/// which JSON and IAM both accept). Bytes, not `&text[..3]`: the text is
/// attacker-controlled and may start with a multi-byte character (found by
/// fuzzing). `None` when the escapes do not decode.
pub(crate) fn decoded_document_text(text: &str) -> Option<std::borrow::Cow<'_, str>> {
    use std::borrow::Cow;
    match text.as_bytes() {
        [b'%', h, l, ..] if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => {
            percent_decode(text).map(Cow::Owned)
        }
        _ => Some(Cow::Borrowed(text)),
    }
}

/// The policy document in `requestParameters.<key>` as JSON: a JSON string
/// (percent-decoded first when it starts with a percent escape), or an object some producers
/// embed as is. `Err(())` when a document is present but does not parse; `Ok(None)`
/// when there is none.
pub(crate) fn policy_document_param(rec: &Record, key: &str) -> Result<Option<Value>, ()> {
    match rec.request_param(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => {
            let text = text.trim();
            if text.is_empty() {
                return Ok(None);
            }
            let text = decoded_document_text(text).ok_or(())?;
            crate::event::surrogates::parse_value(text.trim())
                .map(Some)
                .ok_or(())
        }
        Some(v @ Value::Object(_)) => Ok(Some(v.clone())),
        Some(_) => Err(()),
    }
}

/// A value that may be one item or a list of them.
pub(crate) fn one_or_many(v: &Value) -> &[Value] {
    match v {
        Value::Array(items) => items,
        other => std::slice::from_ref(other),
    }
}

/// `Effect` `Allow` (any case) and an `Action` that is, or lists, `*` or `*:*`.
pub(crate) fn allows_every_action(statement: &Value) -> bool {
    let Some(st) = statement.as_object() else {
        return false;
    };
    let allow = st
        .get("Effect")
        .and_then(Value::as_str)
        .is_some_and(|e| e.trim().eq_ignore_ascii_case("allow"));
    allow
        && st.get("Action").is_some_and(|a| {
            one_or_many(a)
                .iter()
                .filter_map(Value::as_str)
                .any(|a| matches!(a.trim(), "*" | "*:*"))
        })
}

impl Detection for CreatePolicyVersionAllowAll {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "iam.amazonaws.com"
            || rec.event_name() != "CreatePolicyVersion"
            || !rec.succeeded()
        {
            return None;
        }
        let evidence = Evidence::new()
            .with_opt("policy_arn", rec.request_param_str("policyArn"))
            .with_json("set_as_default", rec.request_param("setAsDefault"));
        // No document (absent, null, or the "requestParameters too large" stub that
        // #6 reports): nothing to judge here.
        let doc = match policy_document_param(rec, "policyDocument") {
            Ok(Some(doc)) => doc,
            Ok(None) => return None,
            Err(()) => return fire(evidence.with("problem", "unparseable policy document")),
        };
        let statement = doc
            .as_object()
            .and_then(|d| d.get("Statement"))
            .map(one_or_many)
            .unwrap_or_default()
            .iter()
            .find(|s| allows_every_action(s))?;
        fire(evidence.with("statement", statement.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::{eval, fires};

    fn record(doc: &str, extra: &str) -> String {
        format!(
            r#"{{"eventSource":"iam.amazonaws.com","eventName":"CreatePolicyVersion",
            "eventTime":"2026-02-14T16:20:00Z","awsRegion":"us-east-1","recipientAccountId":"111122223333",
            "sourceIPAddress":"192.0.2.60","userAgent":"Boto3/1.34.50 Python/3.12.2",
            "userIdentity":{{"type":"IAMUser","principalId":"AIDAEXAMPLEUSERID","arn":"arn:aws:iam::111122223333:user/ivan",
                "accountId":"111122223333","userName":"ivan"}},{extra}
            "requestParameters":{{"policyArn":"arn:aws:iam::111122223333:policy/app-deploy",
                "policyDocument":{doc},"setAsDefault":true}}}}"#
        )
    }

    /// A policy document as the JSON string CloudTrail stores.
    fn doc(policy: &str) -> String {
        serde_json::to_string(policy).unwrap()
    }

    fn evidence(json: &str) -> Evidence {
        crate::detections::common::testing::fired_evidence(&CreatePolicyVersionAllowAll, json)
    }

    const ALLOW_ALL: &str = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},
        {"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

    #[test]
    fn fires_on_an_allow_star_statement_and_reports_it() {
        let e = evidence(&record(&doc(ALLOW_ALL), ""));
        assert_eq!(
            e.get("policy_arn").and_then(|v| v.as_str()),
            Some("arn:aws:iam::111122223333:policy/app-deploy")
        );
        assert_eq!(e.get("set_as_default"), Some(&Value::Bool(true)));
        let st = e.get("statement").unwrap();
        assert_eq!(st["Action"], "*");
    }

    #[test]
    fn accepts_single_statement_action_lists_and_star_colon_star() {
        let cases = [
            r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
            r#"{"Statement":[{"Effect":"allow","Action":["ec2:Describe*","*"],"Resource":"arn:aws:s3:::b"}]}"#,
            r#"{"Statement":[{"Effect":"ALLOW","Action":"*:*","Resource":"*"}]}"#,
            r#"{"Statement":{"Effect":"Allow","Action":["*:*"]}}"#,
        ];
        for policy in cases {
            assert!(
                fires(&CreatePolicyVersionAllowAll, &record(&doc(policy), "")),
                "{policy}"
            );
        }
    }

    #[test]
    fn decodes_a_percent_encoded_document() {
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22%2A%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D";
        assert!(fires(
            &CreatePolicyVersionAllowAll,
            &record(&doc(encoded), "")
        ));
        let lower = encoded.replace("%7B", "%7b");
        assert!(fires(
            &CreatePolicyVersionAllowAll,
            &record(&doc(&lower), "")
        ));
        // Encoded whitespace before the document: JSON and IAM accept it.
        for lead in ["%0A", "%20%20", "%0D%0A%09"] {
            assert!(
                fires(&CreatePolicyVersionAllowAll, &record(&doc(&format!("{lead}{encoded}")), "")),
                "{lead}"
            );
        }
    }

    #[test]
    fn ignores_narrow_or_denying_statements() {
        let cases = [
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}"#,
            r#"{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#,
            r#"{"Statement":[{"Action":"*","Resource":"*"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"*"}]}"#,
            r#"{"Statement":[]}"#,
            r#"{"Version":"2012-10-17"}"#,
            r#"{"Statement":["*"]}"#,
        ];
        for policy in cases {
            assert!(
                !fires(&CreatePolicyVersionAllowAll, &record(&doc(policy), "")),
                "{policy}"
            );
        }
    }

    #[test]
    fn ignores_a_failed_call() {
        let denied = record(
            &doc(ALLOW_ALL),
            r#""errorCode":"AccessDenied","errorMessage":"denied","#,
        );
        assert!(!fires(&CreatePolicyVersionAllowAll, &denied));
        let limit = record(&doc(ALLOW_ALL), r#""errorCode":"LimitExceededException","#);
        assert!(!fires(&CreatePolicyVersionAllowAll, &limit));
    }

    #[test]
    fn an_unparseable_document_fires_for_review() {
        for bad in [
            doc(r#"{"Statement":[{"Effect":"Allow","#),
            doc("%7B%22broken"),
            "17".into(),
        ] {
            let e = evidence(&record(&bad, ""));
            assert_eq!(
                e.get("problem").and_then(|v| v.as_str()),
                Some("unparseable policy document"),
                "{bad}"
            );
            assert!(e.get("policy_arn").is_some());
        }
    }

    #[test]
    fn the_omitted_stub_or_a_missing_document_does_not_fire() {
        let stub = r#"{"eventSource":"iam.amazonaws.com","eventName":"CreatePolicyVersion",
            "recipientAccountId":"111122223333",
            "requestParameters":{"reason":"requestParameters too large","omitted":true}}"#;
        assert_eq!(eval(&CreatePolicyVersionAllowAll, stub), None);
        assert!(!fires(&CreatePolicyVersionAllowAll, &record("null", "")));
        assert!(!fires(&CreatePolicyVersionAllowAll, &record(r#""""#, "")));
        let no_params = r#"{"eventSource":"iam.amazonaws.com","eventName":"CreatePolicyVersion","requestParameters":null}"#;
        assert_eq!(eval(&CreatePolicyVersionAllowAll, no_params), None);
    }

    #[test]
    fn accepts_a_document_embedded_as_an_object() {
        assert!(fires(&CreatePolicyVersionAllowAll, &record(ALLOW_ALL, "")));
    }

    #[test]
    fn any_caller_type_counts() {
        let role = record(&doc(ALLOW_ALL), "").replace(
            r#"{"type":"IAMUser","principalId":"AIDAEXAMPLEUSERID","arn":"arn:aws:iam::111122223333:user/ivan","#,
            r#"{"type":"AssumedRole","principalId":"AROAEXAMPLE:x","arn":"arn:aws:sts::111122223333:assumed-role/Dev/x","#,
        );
        assert!(role.contains("AssumedRole"));
        assert!(fires(&CreatePolicyVersionAllowAll, &role));
    }

    #[test]
    fn ignores_other_events() {
        let other = record(&doc(ALLOW_ALL), "").replace("CreatePolicyVersion", "CreatePolicy");
        assert!(!fires(&CreatePolicyVersionAllowAll, &other));
    }

    #[test]
    fn a_document_starting_with_multibyte_text_is_only_unparseable() {
        // Regression (found by fuzzing): looking for a leading `%7B` sliced the
        // text in the middle of a character and panicked.
        let unparseable = eval(&CreatePolicyVersionAllowAll, &record(&doc("not json"), ""));
        for text in ["é", "éé", "€%7B", "%7é", "\u{1F600}"] {
            let got = eval(&CreatePolicyVersionAllowAll, &record(&doc(text), ""));
            assert_eq!(got.is_some(), unparseable.is_some(), "{text:?}");
        }
    }

    #[test]
    fn percent_decoder_keeps_stray_percent_signs() {
        assert_eq!(percent_decode("%7B%zz%4").as_deref(), Some("{%zz%4"));
        assert_eq!(percent_decode("a+b%20c").as_deref(), Some("a+b c"));
        assert_eq!(percent_decode("%FF"), None);
    }
}
