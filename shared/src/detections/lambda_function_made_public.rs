//! A Lambda function opened to anyone: a resource-policy statement for principal `*`
//! (`AddPermission`, recorded as `AddPermission20150331` or `AddPermission20150331v2`),
//! or a function URL without authentication (`CreateFunctionUrlConfig20211031` or
//! `UpdateFunctionUrlConfig20211031` with `authType` `NONE`), successfully.
//!
//! Decisions: a `*` permission narrowed by `sourceArn`, `sourceAccount` or
//! `principalOrgID` is how S3 or an organisation is allowed in, not a public function,
//! so it does not fire, unless the deployment names its own organisations
//! (`TRAILWATCH_ORGANIZATION_IDS`) and `principalOrgID` is none of them: anyone
//! can create an organisation, so that is a backdoor for the intruder's own; a `sourceArn` that pins no source (`arn:aws:s3:::*`: no
//! account, and a wildcard for the resource) does not narrow. The principal is
//! read from the request, or, when the request was stripped, from the statement
//! in the response.
//!
//! Amazon S3's service principal (`s3.amazonaws.com`) with none of those keys
//! counts too (from a review): then any account's bucket may send its event
//! notifications to the function, and so run it with data of the sender's
//! choosing; AWS's own control for Lambda (Security Hub Lambda.1) fails it for
//! that reason. Other services' principals without a source are left out: they
//! are usual for API Gateway and schedules, and a caller there still needs an
//! integration in the function's own account or one it names.

use serde_json::Value;

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{call_context, condition_entries, lambda_operation, one_or_many, organizations};
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
    evidence: "action exposure function function_url other_organizations region source_ip \
        statement_id user_agent",
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

/// Amazon S3's service principal, as a request or a statement writes it.
fn is_s3_service(v: &Value) -> bool {
    match v {
        Value::String(s) => s.trim().eq_ignore_ascii_case("s3.amazonaws.com"),
        Value::Object(o) => o.get("Service").is_some_and(is_s3_service),
        Value::Array(items) => items.iter().any(is_s3_service),
        _ => false,
    }
}

/// What `AddPermission` exposed to a grant to everyone.
const OTHER_ORGANIZATION: &str = "resource policy allows principal * in another organization";

/// Who `AddPermission` let in without narrowing it, if anyone, and the
/// organisations other than the deployment's own it was fenced to: the
/// request's `principal` (not narrowed by `sourceArn` or `sourceAccount`, nor by
/// `principalOrgID` of an organisation of our own), else the statement
/// CloudTrail returns as JSON text (its `Principal` and `Condition`).
fn exposure(rec: &Record) -> Option<(&'static str, Vec<String>)> {
    let judge = |principal: &Value| {
        if is_everyone(principal) {
            Some("resource policy allows principal *")
        } else if is_s3_service(principal) {
            Some("resource policy allows Amazon S3 from any account (no source account or ARN)")
        } else {
            None
        }
    };
    // Everyone fenced to an organisation: reported only when the organisation is
    // not ours (`common::organizations`). A service principal carries no
    // organisation, so S3 fenced to one lets nobody in (from a review).
    let fenced = |principal: &Value, foreign: Vec<String>| {
        (is_everyone(principal) && !foreign.is_empty()).then_some((OTHER_ORGANIZATION, foreign))
    };
    if let Some(p) = rec.request_param("principal").filter(|v| !v.is_null()) {
        let by_source = rec.request_param_str("sourceAccount").is_some()
            || rec.request_param_str("sourceArn").is_some_and(source_arn_pins);
        return match rec.request_param_str("principalOrgID") {
            _ if by_source => None,
            Some(org) => fenced(p, organizations::foreign_organization_id(org).into_iter().collect()),
            None => judge(p).map(|r| (r, Vec::new())),
        };
    }
    let statement = rec
        .response_element("statement")
        .and_then(Value::as_str)
        .and_then(crate::event::surrogates::parse_value)?;
    let condition = statement.get("Condition");
    let principal = statement.get("Principal")?;
    match narrowing(condition) {
        Narrowing::BySource => None,
        Narrowing::ByOrganization => fenced(principal, organizations::foreign_organizations(condition)),
        Narrowing::None => judge(principal).map(|r| (r, Vec::new())),
    }
}

/// What a returned statement's `Condition` narrows the callers to.
enum Narrowing {
    /// A source account, ARN or event source token, as the request's keys do.
    BySource,
    /// An organisation only.
    ByOrganization,
    None,
}

/// How a returned statement's `Condition` narrows who may call. A function URL's
/// own condition (`lambda:FunctionUrlAuthType` `NONE`) narrows nothing (from a
/// review: any condition was taken as narrowing).
fn narrowing(condition: Option<&Value>) -> Narrowing {
    const BY_SOURCE: [&str; 2] = ["aws:sourceaccount", "lambda:eventsourcetoken"];
    let source_arn_pinned = |values: &Value| {
        let values = one_or_many(Some(values));
        !values.is_empty()
            && values
                .iter()
                .all(|v| v.as_str().is_some_and(source_arn_pins))
    };
    let mut by_organization = false;
    for (key, values) in condition_entries(condition) {
        let key = key.trim().to_ascii_lowercase();
        if BY_SOURCE.contains(&key.as_str()) || (key == "aws:sourcearn" && source_arn_pinned(values)) {
            return Narrowing::BySource;
        }
        by_organization |= key == "aws:principalorgid";
    }
    if by_organization {
        Narrowing::ByOrganization
    } else {
        Narrowing::None
    }
}

/// Whether a source ARN pins a source: it names an account (Lambda takes none
/// or twelve digits there), or a resource without a wildcard (an S3 bucket's
/// ARN names no account). `arn:aws:s3:::*` pins nothing: every account's
/// buckets match it (from an evasion review: it passed for a narrowed grant).
fn source_arn_pins(arn: &str) -> bool {
    let literal = |s: &str| !s.is_empty() && !s.contains(['*', '?']);
    match arn.trim().splitn(6, ':').collect::<Vec<_>>().as_slice() {
        [_, _, _, _, account, resource] => literal(account) || literal(resource),
        _ => literal(arn.trim()),
    }
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
                let (exposure, organizations) = exposure(rec)?;
                let e = if organizations.is_empty() {
                    e
                } else {
                    e.with("other_organizations", organizations)
                };
                fire(e
                    .with("exposure", exposure)
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

    /// With the deployment's own organisation in scope, everyone fenced to
    /// another fires, in the request or the returned statement; S3's principal
    /// carries no organisation, so S3 fenced to one lets nobody in.
    #[test]
    fn everyone_fenced_to_another_organisation_fires_when_ours_are_named() {
        use crate::detections::common::organizations::in_scope;
        let request = |principal: &str, org: &str| {
            let params = format!(r#"{{"functionName":"f","action":"lambda:InvokeFunction","principal":"{principal}","principalOrgID":"{org}"}}"#);
            record("lambda.amazonaws.com", "AddPermission20150331v2", ROLE, &params, "")
        };
        let statement = r#""responseElements":{"statement":"{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"lambda:InvokeFunction\",\"Condition\":{\"StringEquals\":{\"aws:PrincipalOrgID\":\"o-zz9y8x7w6v\"}}}"},"#;
        let stripped = record("lambda.amazonaws.com", "AddPermission20150331v2", ROLE, r#"{"functionName":"f"}"#, statement);
        assert!(!fires(&LambdaFunctionMadePublic, &request("*", "o-zz9y8x7w6v")));
        assert!(!fires(&LambdaFunctionMadePublic, &stripped));
        let ids: std::sync::Arc<[String]> = vec!["o-a1b2c3d4e5".to_owned()].into();
        let _scope = in_scope(Some(&ids));
        for json in [request("*", "o-zz9y8x7w6v"), stripped] {
            let e = evidence(&json);
            assert_eq!(e.get("other_organizations"), Some(&serde_json::json!(["o-zz9y8x7w6v"])));
            assert_eq!(e.get("exposure").and_then(|v| v.as_str()), Some(OTHER_ORGANIZATION));
        }
        assert!(!fires(&LambdaFunctionMadePublic, &request("*", "o-a1b2c3d4e5")));
        assert!(!fires(&LambdaFunctionMadePublic, &request("s3.amazonaws.com", "o-zz9y8x7w6v")));
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

    /// From a review: S3's principal with no source lets any account's bucket
    /// run the function; other services' are left out.
    #[test]
    fn amazon_s3_without_a_source_fires() {
        let open = r#"{"functionName":"thumbnailer","statementId":"s3","action":"lambda:InvokeFunction","principal":"s3.amazonaws.com"}"#;
        let e = evidence(&record("lambda.amazonaws.com", "AddPermission20150331v2", ROLE, open, ""));
        assert!(e.get("exposure").and_then(|v| v.as_str()).is_some_and(|x| x.contains("Amazon S3 from any account")), "{e:?}");
        for quiet in [
            r#"{"functionName":"f","principal":"s3.amazonaws.com","sourceAccount":"111122223333"}"#,
            r#"{"functionName":"f","principal":"apigateway.amazonaws.com"}"#,
            r#"{"functionName":"f","principal":"events.amazonaws.com"}"#,
        ] {
            assert!(!fires(&LambdaFunctionMadePublic, &record("lambda.amazonaws.com", "AddPermission20150331v2", ROLE, quiet, "")), "{quiet}");
        }
        // The same read from the returned statement: no condition, or one.
        let stripped = r#"{"functionName":"thumbnailer"}"#;
        let bare = r#""responseElements":{"statement":"{\"Sid\":\"s3\",\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"s3.amazonaws.com\"},\"Action\":\"lambda:InvokeFunction\"}"},"#;
        assert!(fires(&LambdaFunctionMadePublic, &record("lambda.amazonaws.com", "AddPermission20150331v2", ROLE, stripped, bare)));
        let conditioned = r#""responseElements":{"statement":"{\"Sid\":\"s3\",\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"s3.amazonaws.com\"},\"Action\":\"lambda:InvokeFunction\",\"Condition\":{\"StringEquals\":{\"AWS:SourceAccount\":\"111122223333\"}}}"},"#;
        assert!(!fires(&LambdaFunctionMadePublic, &record("lambda.amazonaws.com", "AddPermission20150331v2", ROLE, stripped, conditioned)));
        // A function URL's permission: its condition narrows no caller.
        let url = r#""responseElements":{"statement":"{\"Sid\":\"url\",\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"lambda:InvokeFunctionUrl\",\"Condition\":{\"StringEquals\":{\"lambda:FunctionUrlAuthType\":\"NONE\"}}}"},"#;
        assert!(fires(&LambdaFunctionMadePublic, &record("lambda.amazonaws.com", "AddPermission20150331v2", ROLE, stripped, url)));
    }

    /// From an evasion review: a source ARN that pins no source (no account, a
    /// wildcard bucket) narrows nothing, in the request or the returned
    /// statement; one naming a bucket or an account does.
    #[test]
    fn a_source_arn_of_any_bucket_does_not_narrow() {
        let add = |params: &str, resp: &str| {
            record("lambda.amazonaws.com", "AddPermission20150331v2", ROLE, params, resp)
        };
        for source in ["arn:aws:s3:::*", "arn:aws:s3:::upload*", "*"] {
            let params = format!(
                r#"{{"functionName":"f","principal":"s3.amazonaws.com","sourceArn":"{source}"}}"#
            );
            assert!(fires(&LambdaFunctionMadePublic, &add(&params, "")), "{source}");
            let resp = format!(
                r#""responseElements":{{"statement":"{{\"Effect\":\"Allow\",\"Principal\":{{\"Service\":\"s3.amazonaws.com\"}},\"Action\":\"lambda:InvokeFunction\",\"Condition\":{{\"ArnLike\":{{\"AWS:SourceArn\":\"{source}\"}}}}}}"}},"#
            );
            let stripped = r#"{"functionName":"f"}"#;
            assert!(fires(&LambdaFunctionMadePublic, &add(stripped, &resp)), "{resp}");
        }
        for source in ["arn:aws:s3:::uploads", "arn:aws:sns:us-east-1:111122223333:*"] {
            let params = format!(
                r#"{{"functionName":"f","principal":"s3.amazonaws.com","sourceArn":"{source}"}}"#
            );
            assert!(!fires(&LambdaFunctionMadePublic, &add(&params, "")), "{source}");
        }
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
