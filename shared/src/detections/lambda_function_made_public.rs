//! A Lambda function opened to anyone: a resource-policy statement for principal `*`
//! (`AddPermission`, recorded as `AddPermission20150331` or `AddPermission20150331v2`),
//! or a function URL without authentication (`CreateFunctionUrlConfig20211031` or
//! `UpdateFunctionUrlConfig20211031` with `authType` `NONE`), successfully.
//!
//! Decisions: a `*` permission narrowed by `sourceArn`, `sourceAccount` or
//! `principalOrgID` is how S3 or an organisation is allowed in, not a public function,
//! so it does not fire. The principal is read from the request, or, when the request
//! was stripped, from the statement in the response.

use serde_json::Value;

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{call_context, lambda_operation};
use crate::event::Record;

pub struct LambdaFunctionMadePublic;

pub static META: Meta = Meta {
    id: "lambda-function-made-public",
    title: "AWS Lambda Function Made Public",
    description: "A Lambda function can now be invoked by anyone: its resource policy allows \
                  every principal, or it got a function URL that needs no authentication. \
                  Attackers do this to keep a backdoor they can call from outside with no \
                  credentials, running with the function's role.",
    severity: Severity::High,
    attack: &["T1546", "T1190"],
    origins: &[
        "trailwatch: based on Stratus Red Team aws.persistence.lambda-backdoor-function \
         and the Lambda function URL auth type NONE",
    ],
    group: "compute-network",
    false_positives: &[
        "Public webhooks or APIs served straight from a function URL on purpose.",
    ],
    next_steps: "Read the function's policy (GetPolicy) and URL configuration. Unless the \
                 function is meant to be public, remove the statement or set the URL's auth \
                 type to AWS_IAM, then review the function's invocations since the change.",
    triggers: &[Trigger::write(
        "lambda.amazonaws.com",
        &[
            "AddPermission20150331",
            "AddPermission20150331v2",
            "CreateFunctionUrlConfig20211031",
            "UpdateFunctionUrlConfig20211031",
        ],
    )],
    window: None,
};

/// `*`, or `{"AWS": "*"}` as a policy statement may write it.
fn is_everyone(v: &Value) -> bool {
    match v {
        Value::String(s) => s.trim() == "*",
        Value::Object(o) => o.get("AWS").is_some_and(is_everyone),
        Value::Array(items) => items.iter().any(is_everyone),
        _ => false,
    }
}

/// The principal granted by `AddPermission`: the request's `principal`, else the
/// `Principal` of the statement CloudTrail returns as JSON text.
fn granted_to_everyone(rec: &Record) -> bool {
    if let Some(p) = rec.request_param("principal").filter(|v| !v.is_null()) {
        return is_everyone(p);
    }
    rec.response_element("statement")
        .and_then(Value::as_str)
        .and_then(crate::event::surrogates::parse_value)
        .and_then(|st| st.get("Principal").map(is_everyone))
        .unwrap_or(false)
}

impl Detection for LambdaFunctionMadePublic {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "lambda.amazonaws.com" || !rec.succeeded() {
            return None;
        }
        let e = call_context(rec).with_opt("function", rec.request_param_str("functionName"));
        match lambda_operation(rec.event_name()) {
            "AddPermission" => {
                let narrowed = ["sourceArn", "sourceAccount", "principalOrgID"]
                    .iter()
                    .any(|k| rec.request_param_str(k).is_some());
                if narrowed || !granted_to_everyone(rec) {
                    return None;
                }
                fire(e
                    .with("exposure", "resource policy allows principal *")
                    .with_opt("action", rec.request_param_str("action"))
                    .with_opt("statement_id", rec.request_param_str("statementId")))
            }
            "CreateFunctionUrlConfig" | "UpdateFunctionUrlConfig" => {
                let open = rec
                    .request_param_str("authType")
                    .is_some_and(|a| a.trim().eq_ignore_ascii_case("NONE"));
                if !open {
                    return None;
                }
                let url = rec.response_element("functionUrl").and_then(Value::as_str);
                fire(e
                    .with("exposure", "function URL without authentication")
                    .with_opt("function_url", url))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detection::Evidence;
    use crate::detections::common::compute_testing::{ACCESS_DENIED, IAM_USER, ROLE, record};
    use crate::detections::common::testing::{fired_evidence, fires};

    fn evidence(json: &str) -> Evidence {
        fired_evidence(&LambdaFunctionMadePublic, json)
    }

    const PUBLIC: &str = r#"{"functionName":"report-builder","statementId":"open","action":"lambda:InvokeFunction","principal":"*"}"#;

    #[test]
    fn fires_on_a_permission_for_everyone() {
        for name in ["AddPermission20150331v2", "AddPermission20150331"] {
            let e = evidence(&record("lambda.amazonaws.com", name, IAM_USER, PUBLIC, ""));
            assert_eq!(e.get("function").unwrap(), "report-builder");
            assert_eq!(e.get("action").unwrap(), "lambda:InvokeFunction");
        }
    }

    #[test]
    fn reads_the_principal_from_the_returned_statement() {
        let stripped = r#"{"functionName":"report-builder"}"#;
        let resp = r#""responseElements":{"statement":"{\"Sid\":\"x\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},\"Action\":\"lambda:InvokeFunction\"}"},"#;
        assert!(fires(&LambdaFunctionMadePublic, &record("lambda.amazonaws.com", "AddPermission20150331v2", ROLE, stripped, resp)));
        assert!(!fires(&LambdaFunctionMadePublic, &record("lambda.amazonaws.com", "AddPermission20150331v2", ROLE, stripped, "")));
        let bad = r#""responseElements":{"statement":"not json"},"#;
        assert!(!fires(&LambdaFunctionMadePublic, &record("lambda.amazonaws.com", "AddPermission20150331v2", ROLE, stripped, bad)));
    }

    #[test]
    fn narrowed_or_named_principals_do_not_fire() {
        for params in [
            r#"{"functionName":"f","principal":"s3.amazonaws.com","sourceArn":"arn:aws:s3:::uploads"}"#,
            r#"{"functionName":"f","principal":"*","sourceAccount":"111122223333"}"#,
            r#"{"functionName":"f","principal":"*","principalOrgID":"o-a1b2c3d4e5"}"#,
            r#"{"functionName":"f","principal":"444455556666"}"#,
            r#"{"functionName":"f","principal":null}"#,
        ] {
            assert!(!fires(&LambdaFunctionMadePublic, &record("lambda.amazonaws.com", "AddPermission20150331v2", ROLE, params, "")), "{params}");
        }
        let denied = record("lambda.amazonaws.com", "AddPermission20150331v2", ROLE, PUBLIC, ACCESS_DENIED);
        assert!(!fires(&LambdaFunctionMadePublic, &denied));
    }

    #[test]
    fn function_urls_fire_only_without_auth() {
        let open = r#"{"functionName":"report-builder","authType":"NONE"}"#;
        let resp = r#""responseElements":{"functionUrl":"https://abcdefexample.lambda-url.us-east-1.on.aws/"},"#;
        let e = evidence(&record("lambda.amazonaws.com", "CreateFunctionUrlConfig20211031", ROLE, open, resp));
        assert_eq!(e.get("function_url").unwrap(), "https://abcdefexample.lambda-url.us-east-1.on.aws/");
        assert!(fires(&LambdaFunctionMadePublic, &record("lambda.amazonaws.com", "UpdateFunctionUrlConfig20211031", ROLE, open, "")));
        let iam = r#"{"functionName":"report-builder","authType":"AWS_IAM"}"#;
        assert!(!fires(&LambdaFunctionMadePublic, &record("lambda.amazonaws.com", "CreateFunctionUrlConfig20211031", ROLE, iam, "")));
        assert!(!fires(&LambdaFunctionMadePublic, &record("lambda.amazonaws.com", "CreateFunctionUrlConfig20211031", ROLE, "null", "")));
    }
}
