//! The Security Hub adapter of [`Notifier`]: each finding is imported with
//! `BatchImportFindings` as the ASFF that [`render::asff`] builds, into the
//! default product of the function's own account (`TRAILWATCH_SECURITY_HUB`).
//!
//! Importing is idempotent: the ASFF `Id` is the finding id, so a retry after a
//! failure updates the finding instead of adding a second one. A response that
//! reports failed findings (`FailedCount`, `FailedFindings`) is a failure like a
//! failed call: the invocation fails, the claim is released, Lambda retries.
//!
//! The request is built here rather than by aws-sdk-securityhub, whose typed
//! model brings a serializer for every ASFF resource type: about 0.9 MB of each
//! arm64 function binary for one operation (README, binary size). It is one
//! `POST /findings/import` with the JSON body `{"Findings":[<ASFF>]}`, produced
//! by serde from [`asff::AsffFinding`] only (record text in a finding is
//! attacker-controlled: never pasted into JSON by hand), signed with SigV4
//! (service `securityhub`) with the configuration's credentials, session token
//! included, and sent through [`crate::aws::http_connector`]: the TLS, roots and
//! timeouts of the SDK clients.
//!
//! The endpoint is found as the SDK client would find it: `AWS_ENDPOINT_URL_SECURITYHUB`,
//! else `AWS_ENDPOINT_URL` (both through the configuration, so
//! `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` applies), else
//! `https://securityhub[-fips].<region>.<suffix>` for the configuration's Region,
//! whose partition gives the suffix (`signed::default_endpoint`). The Region decides,
//! not the product ARN: the request goes to the Security Hub of the Region the
//! function runs in, as the SDK client sent it, and Security Hub itself refuses a
//! product ARN of another Region.
//!
//! Like the SDK's standard retry mode, a throttled, timed-out or 5xx attempt is
//! tried again, at most 3 attempts within the operation timeout, after a jittered
//! exponential delay; unlike it, there is no retry quota shared across calls (one
//! call per finding, and Lambda retries the invocation anyway).

use std::time::SystemTime;

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sigv4::http_request::SigningSettings;
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_types::SdkConfig;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Notifier, NotifyError};
use crate::aws::error::MAX_CAUSE_CHARS;
use crate::aws::signed::{self, Failure, Request, Signer};
use crate::finding::Finding;
use crate::render::{self, asff};
use crate::sanitize::one_line;

/// The signing name of Security Hub.
const SERVICE: &str = "securityhub";
/// The SDK's service id, which names `AWS_ENDPOINT_URL_SECURITYHUB`.
const SERVICE_ID: &str = "SecurityHub";
const PATH: &str = "/findings/import";
const HEADERS: [(&str, &str); 1] = [("content-type", "application/json")];
/// What is read of a response: one finding's answer is a few hundred bytes; the
/// service is not attacker-controlled, but a proxy or a wrong endpoint may be.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// Imports findings into one account's Security Hub.
#[derive(Clone, Debug)]
pub struct SecurityHubNotifier {
    client: ImportClient,
    product: asff::Product,
}

impl SecurityHubNotifier {
    /// A notifier sending with `sdk`'s credentials, Region, endpoint settings and
    /// timeouts, through the SDK clients' TLS.
    pub fn new(sdk: &SdkConfig, product: asff::Product) -> SecurityHubNotifier {
        SecurityHubNotifier {
            client: ImportClient::new(sdk),
            product,
        }
    }

    pub fn product(&self) -> &asff::Product {
        &self.product
    }

    /// Imports one rendered finding.
    pub async fn import(&self, finding: &asff::AsffFinding) -> Result<(), NotifyError> {
        let failed = |cause: &str| {
            NotifyError(format!(
                "Security Hub BatchImportFindings of {} failed: {}",
                finding.id,
                one_line(cause, MAX_CAUSE_CHARS)
            ))
        };
        let out = self.client.import(finding).await.map_err(|e| failed(&e))?;
        imported(&finding.id, out)
    }
}

/// What an answer of 2xx says of the one finding sent: imported only when
/// Security Hub counts it a success. A body without that (`{}` from a proxy or
/// a wrong endpoint) is not taken as delivery: the retry tries again.
fn imported(id: &str, out: ImportOutput) -> Result<(), NotifyError> {
    let failed_findings = out.failed_findings.unwrap_or_default();
    let failed_count = out.failed_count.unwrap_or(0);
    if failed_count > 0 || !failed_findings.is_empty() {
        let why: Vec<String> = failed_findings
            .iter()
            .map(|f| {
                format!(
                    "{}: {} {}",
                    f.id.as_deref().unwrap_or("?"),
                    f.error_code.as_deref().unwrap_or("?"),
                    f.error_message.as_deref().unwrap_or("")
                )
            })
            .collect();
        let count = if failed_count > 0 {
            failed_count
        } else {
            failed_findings.len() as i64
        };
        return Err(NotifyError(format!(
            "Security Hub refused finding {id} ({count} failed): {}",
            one_line(&why.join("; "), MAX_CAUSE_CHARS)
        )));
    }
    if out.success_count != Some(1) {
        let said = out
            .success_count
            .map_or_else(|| "absent".to_owned(), |n| n.to_string());
        return Err(NotifyError(format!(
            "Security Hub BatchImportFindings of {id} answered without a success (SuccessCount {said})"
        )));
    }
    Ok(())
}

impl Notifier for SecurityHubNotifier {
    async fn notify(&self, finding: &Finding) -> Result<(), NotifyError> {
        self.import(&asff::render(finding, &self.product, render::now_ms()))
            .await
    }

    fn destinations(&self) -> Vec<&'static str> {
        vec!["security-hub"]
    }
}

/// The request body: `{"Findings":[<ASFF>]}`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ImportInput<'a> {
    findings: [&'a asff::AsffFinding; 1],
}

/// The body of a successful response (fields the API may leave out are optional).
#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
struct ImportOutput {
    failed_count: Option<i64>,
    success_count: Option<i64>,
    failed_findings: Option<Vec<FailedFinding>>,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
struct FailedFinding {
    id: Option<String>,
    error_code: Option<String>,
    error_message: Option<String>,
}

/// What one import needs from the SDK configuration.
#[derive(Clone, Debug)]
struct ImportClient {
    signer: Signer,
    /// The full URL of `BatchImportFindings`, or why there is none (the SDK
    /// client, too, fails each call when it cannot resolve an endpoint).
    url: Result<String, String>,
}

impl ImportClient {
    fn new(sdk: &SdkConfig) -> ImportClient {
        ImportClient {
            signer: Signer::new(sdk),
            url: endpoint(sdk).map(|base| format!("{}{PATH}", base.trim_end_matches('/'))),
        }
    }

    /// `BatchImportFindings` of one finding, retried as `aws::signed` describes.
    async fn import(&self, finding: &asff::AsffFinding) -> Result<ImportOutput, String> {
        let body = serde_json::to_vec(&ImportInput {
            findings: [finding],
        })
        .map_err(|e| format!("request not built: {e}"))?;
        let url = self.url.as_deref().map_err(|e| e.clone())?;
        let request = Request {
            method: "POST",
            url,
            headers: &HEADERS,
            body: &body,
        };
        self.signer
            .call(
                SERVICE,
                &SigningSettings::default(),
                &request,
                &["x-amzn-errortype"],
                MAX_RESPONSE_BYTES,
                |r| parse_response(r.status, r.headers[0].as_deref(), &r.body),
            )
            .await
            .map_err(|f| f.cause)
    }

    /// The POST of `body` signed at `now` (see [`signed_post`]).
    #[cfg(test)]
    async fn signed_request(&self, body: &[u8], now: SystemTime) -> Result<HttpRequest, String> {
        let url = self.url.as_deref().map_err(|e| e.clone())?;
        let request = Request {
            method: "POST",
            url,
            headers: &HEADERS,
            body,
        };
        self.signer
            .sign(SERVICE, &SigningSettings::default(), &request, now)
            .await
    }
}

/// A Security Hub request: `POST url` of the JSON `body`, signed with SigV4 at
/// `now` in `region` with `credentials` (headers; the session token is sent and
/// signed as `X-Amz-Security-Token`). Also the tests' read-back (`GetFindings`).
pub async fn signed_post(
    url: &str,
    region: &str,
    credentials: &SharedCredentialsProvider,
    body: &[u8],
    now: SystemTime,
) -> Result<HttpRequest, String> {
    let request = Request {
        method: "POST",
        url,
        headers: &HEADERS,
        body,
    };
    signed::signed(
        SERVICE,
        &SigningSettings::default(),
        region,
        credentials,
        &request,
        now,
    )
    .await
}

/// A response's status and body as the operation's output or a failure.
fn parse_response(
    status: u16,
    error_type: Option<&str>,
    body: &[u8],
) -> Result<ImportOutput, Failure> {
    if (200..300).contains(&status) {
        return serde_json::from_slice(body)
            .map_err(|e| Failure::permanent(format!("unreadable response: {e}")));
    }
    let (code, message) = service_error(error_type, body);
    Err(signed::service_failure(
        status,
        code.as_deref(),
        message.as_deref(),
        &TRANSIENT_CODES,
    ))
}

/// The error codes tried again besides 429 and 5xx answers.
const TRANSIENT_CODES: [&str; 5] = [
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "RequestTimeout",
    "RequestTimeoutException",
];

/// The error code and message of a REST-JSON error: the code from the
/// `x-amzn-ErrorType` header, else the body's `__type` or `code`; the message
/// from the body's `message` or `Message`. Both cleaned as the SDK does
/// (`Code:extra` and `namespace#Code` give `Code`).
fn service_error(error_type: Option<&str>, body: &[u8]) -> (Option<String>, Option<String>) {
    let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let field = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| json.get(n).and_then(Value::as_str))
            .filter(|s| !s.is_empty())
    };
    let code = error_type
        .filter(|s| !s.is_empty())
        .or_else(|| field(&["__type", "code", "Code"]))
        .map(|c| {
            let c = c.split(':').next().unwrap_or(c);
            c.rsplit('#').next().unwrap_or(c).to_owned()
        });
    let message = field(&["message", "Message", "errorMessage"]).map(str::to_owned);
    (code, message)
}

/// The base URL of Security Hub for `sdk` (see the module doc).
fn endpoint(sdk: &SdkConfig) -> Result<String, String> {
    signed::service_endpoint(sdk, SERVICE_ID, SERVICE, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn sdk(extra: &[(&str, &str)]) -> SdkConfig {
        crate::aws::signed::test_config("us-east-1", extra)
    }

    fn product() -> asff::Product {
        asff::Product::from_arn(
            "arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default",
        )
        .unwrap()
    }

    /// A finding whose record text is hostile to hand-made JSON.
    fn finding() -> asff::AsffFinding {
        let mut f = asff::AsffFinding {
            schema_version: asff::SCHEMA_VERSION,
            id: "trailwatch/cloudtrail-log-suspended/abc".into(),
            product_arn: product().arn(),
            product_name: "trailwatch",
            company_name: "trailwatch",
            generator_id: "cloudtrail-log-suspended".into(),
            aws_account_id: "111122223333".into(),
            region: "us-east-1".into(),
            types: vec!["TTPs/Defense Evasion".into()],
            first_observed_at: None,
            last_observed_at: None,
            created_at: "2026-01-01T00:00:00.000Z".into(),
            updated_at: "2026-01-01T00:00:00.000Z".into(),
            severity: asff::AsffSeverity {
                label: "HIGH",
                original: "high",
            },
            title: "Trail \"x\"}],\"Findings\":[{\"Id\":\"evil\"".into(),
            description: "d".into(),
            remediation: asff::Remediation {
                recommendation: asff::Recommendation { text: "r".into() },
            },
            source_url: None,
            product_fields: Default::default(),
            resources: vec![],
            action: None,
            finding_provider_fields: asff::FindingProviderFields {
                severity: asff::AsffSeverity {
                    label: "HIGH",
                    original: "high",
                },
                types: vec![],
            },
            workflow: asff::Workflow { status: "NEW" },
            record_state: "ACTIVE",
        };
        f.product_fields
            .insert("trailwatch/user".into(), "a\\\"b".into());
        f
    }

    #[test]
    fn the_default_endpoint_follows_the_region_s_partition() {
        let e = |r, fips, ds| signed::default_endpoint(SERVICE, r, fips, ds, false);
        assert_eq!(
            e("eu-west-3", false, false).unwrap(),
            "https://securityhub.eu-west-3.amazonaws.com"
        );
        assert_eq!(
            e("us-east-1", true, false).unwrap(),
            "https://securityhub-fips.us-east-1.amazonaws.com"
        );
        assert_eq!(
            e("us-east-1", true, true).unwrap(),
            "https://securityhub-fips.us-east-1.api.aws"
        );
        assert_eq!(
            e("cn-north-1", false, false).unwrap(),
            "https://securityhub.cn-north-1.amazonaws.com.cn"
        );
        assert_eq!(
            e("cn-northwest-1", false, true).unwrap(),
            "https://securityhub.cn-northwest-1.api.amazonwebservices.com.cn"
        );
        // Unlike SNS, Security Hub's FIPS endpoint in GovCloud is its own
        // `-fips` host, with and without dual-stack (checked against the
        // endpoint cases AWS's SDKs test).
        assert_eq!(
            e("us-gov-west-1", true, false).unwrap(),
            "https://securityhub-fips.us-gov-west-1.amazonaws.com"
        );
        assert_eq!(
            e("us-gov-west-1", true, true).unwrap(),
            "https://securityhub-fips.us-gov-west-1.api.aws"
        );
        assert_eq!(
            e("us-gov-east-1", false, true).unwrap(),
            "https://securityhub.us-gov-east-1.api.aws"
        );
        assert_eq!(
            e("us-iso-east-1", false, false).unwrap(),
            "https://securityhub.us-iso-east-1.c2s.ic.gov"
        );
        assert_eq!(
            e("us-isob-east-1", true, false).unwrap(),
            "https://securityhub-fips.us-isob-east-1.sc2s.sgov.gov"
        );
        assert_eq!(
            e("us-isob-east-1", false, true).unwrap(),
            "https://securityhub.us-isob-east-1.api.aws.scloud"
        );
        assert_eq!(
            e("eusc-de-east-1", false, false).unwrap(),
            "https://securityhub.eusc-de-east-1.amazonaws.eu"
        );
        for bad in ["", "us-east-1/x", "evil.com#", "US-EAST-1", "-a", "a b"] {
            assert!(e(bad, false, false).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn configured_endpoints_come_first_per_service_then_global() {
        let url = |extra: &[(&str, &str)]| ImportClient::new(&sdk(extra)).url;
        assert_eq!(
            url(&[]).unwrap(),
            "https://securityhub.us-east-1.amazonaws.com/findings/import"
        );
        assert_eq!(
            url(&[("AWS_ENDPOINT_URL", "http://127.0.0.1:5000/")]).unwrap(),
            "http://127.0.0.1:5000/findings/import"
        );
        assert_eq!(
            url(&[
                ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
                (
                    "AWS_ENDPOINT_URL_SECURITYHUB",
                    "https://hub.example:8443/base"
                )
            ])
            .unwrap(),
            "https://hub.example:8443/base/findings/import"
        );
        assert_eq!(
            url(&[
                ("AWS_ENDPOINT_URL_SECURITYHUB", "https://hub.example:8443"),
                ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
            ])
            .unwrap(),
            "https://securityhub.us-east-1.amazonaws.com/findings/import"
        );
        assert_eq!(
            url(&[
                ("AWS_REGION", "cn-north-1"),
                ("AWS_USE_FIPS_ENDPOINT", "true")
            ])
            .unwrap(),
            "https://securityhub-fips.cn-north-1.amazonaws.com.cn/findings/import"
        );
    }

    fn header<'a>(r: &'a HttpRequest, name: &str) -> Option<&'a str> {
        r.headers().get(name)
    }

    #[tokio::test]
    async fn the_request_is_signed_json_of_one_finding() {
        let client = ImportClient::new(&sdk(&[("AWS_SESSION_TOKEN", "session-token")]));
        let f = finding();
        let body = serde_json::to_vec(&ImportInput { findings: [&f] }).unwrap();
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600); // 2026-01-01
        let r = client.signed_request(&body, at).await.ok().unwrap();
        assert_eq!(r.method(), "POST");
        assert_eq!(
            r.uri(),
            "https://securityhub.us-east-1.amazonaws.com/findings/import"
        );
        assert_eq!(header(&r, "content-type"), Some("application/json"));
        assert_eq!(header(&r, "x-amz-date"), Some("20260101T000000Z"));
        assert_eq!(header(&r, "x-amz-security-token"), Some("session-token"));
        let auth = header(&r, "authorization").unwrap();
        assert!(
            auth.starts_with(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/securityhub/aws4_request, SignedHeaders="
            ),
            "{auth}"
        );
        let signed = auth
            .split("SignedHeaders=")
            .nth(1)
            .and_then(|s| s.split(',').next())
            .unwrap();
        for h in ["content-type", "host", "x-amz-date", "x-amz-security-token"] {
            assert!(signed.split(';').any(|s| s == h), "{h} not in {signed}");
        }
        assert!(auth.contains(", Signature="), "{auth}");

        // The body is serde's: the hostile title stays a string inside the one finding.
        let sent: Value = serde_json::from_slice(r.body().bytes().unwrap()).unwrap();
        let findings = sent["Findings"].as_array().unwrap();
        assert_eq!(findings.len(), 1);
        assert_eq!(sent.as_object().unwrap().len(), 1);
        assert_eq!(findings[0]["Title"], f.title.as_str());
        assert_eq!(findings[0]["Id"], f.id.as_str());
        assert_eq!(findings[0]["ProductFields"]["trailwatch/user"], "a\\\"b");
        for k in [
            "SchemaVersion",
            "ProductArn",
            "GeneratorId",
            "AwsAccountId",
            "CreatedAt",
            "UpdatedAt",
            "Severity",
            "Title",
            "Description",
            "Types",
            "Resources",
            "FindingProviderFields",
            "Workflow",
            "RecordState",
        ] {
            assert!(findings[0].get(k).is_some(), "{k}: {sent}");
        }
        assert_eq!(findings[0]["Severity"]["Label"], "HIGH");
        assert_eq!(findings[0]["Workflow"]["Status"], "NEW");

        // Without a session token there is no token header.
        let r = ImportClient::new(&sdk(&[]))
            .signed_request(&body, at)
            .await
            .ok()
            .unwrap();
        assert_eq!(header(&r, "x-amz-security-token"), None);
        assert!(header(&r, "authorization").is_some());
    }

    #[tokio::test]
    async fn an_unusable_configuration_fails_each_import_without_a_request() {
        let client = ImportClient::new(&sdk(&[("AWS_REGION", "us_east_1")]));
        let e = client.import(&finding()).await.unwrap_err();
        assert!(e.contains("not a valid AWS region"), "{e}");
    }

    fn failure(r: Result<ImportOutput, Failure>) -> (String, bool) {
        match r {
            Ok(out) => panic!("expected a failure, got {out:?}"),
            Err(f) => (f.cause, f.transient),
        }
    }

    #[test]
    fn responses_are_parsed_into_counts_and_failed_findings() {
        let ok = parse_response(
            200,
            None,
            br#"{"FailedCount":0,"SuccessCount":1,"FailedFindings":[]}"#,
        )
        .ok()
        .unwrap();
        assert_eq!(ok.failed_count, Some(0));
        assert_eq!(ok.success_count, Some(1));
        let refused = parse_response(
            200,
            None,
            br#"{"FailedCount":1,"SuccessCount":0,"FailedFindings":[{"Id":"f1","ErrorCode":"InvalidInput","ErrorMessage":"bad"}]}"#,
        )
        .ok()
        .unwrap();
        assert_eq!(
            refused.failed_findings.as_deref(),
            Some(
                &[FailedFinding {
                    id: Some("f1".into()),
                    error_code: Some("InvalidInput".into()),
                    error_message: Some("bad".into()),
                }][..]
            )
        );
        // Absent fields are absent, not errors; a body that is not the shape is.
        assert_eq!(
            parse_response(200, None, b"{}").ok().unwrap(),
            ImportOutput::default()
        );
        // From a review: only a counted success is delivery.
        assert!(imported("f1", ok).is_ok());
        let none = imported("f1", ImportOutput::default()).unwrap_err().0;
        assert!(
            none.contains("without a success (SuccessCount absent)"),
            "{none}"
        );
        let zero = ImportOutput {
            failed_count: Some(0),
            success_count: Some(0),
            failed_findings: None,
        };
        assert!(imported("f1", zero).is_err());
        let refused = imported("f1", refused).unwrap_err().0;
        assert!(
            refused.contains("refused finding f1 (1 failed): f1: InvalidInput bad"),
            "{refused}"
        );
        let (cause, transient) = failure(parse_response(200, None, b"<html>"));
        assert!(cause.starts_with("unreadable response: "), "{cause}");
        assert!(!transient);
        let (cause, _) = failure(parse_response(200, None, br#"{"FailedCount":"x"}"#));
        assert!(cause.starts_with("unreadable response: "), "{cause}");
    }

    #[test]
    fn error_statuses_name_status_code_and_message() {
        let (cause, transient) = failure(parse_response(
            403,
            Some("InvalidAccessException:http://internal.amazon.com/coral/"),
            br#"{"Code":"InvalidAccessException","Message":"Account is not subscribed to AWS Security Hub"}"#,
        ));
        assert_eq!(
            cause,
            "HTTP 403: InvalidAccessException: Account is not subscribed to AWS Security Hub"
        );
        assert!(!transient);
        let (cause, transient) = failure(parse_response(
            400,
            None,
            br#"{"__type":"com.amazonaws.securityhub#ThrottlingException","message":"slow down"}"#,
        ));
        assert_eq!(cause, "HTTP 400: ThrottlingException: slow down");
        assert!(transient);
        let (cause, transient) = failure(parse_response(503, None, b"Service Unavailable"));
        assert_eq!(cause, "HTTP 503");
        assert!(transient);
        let (cause, _) = failure(parse_response(404, None, br#"{"message":"no such path"}"#));
        assert_eq!(cause, "HTTP 404: no such path");
    }

    #[tokio::test]
    async fn a_refused_connection_is_one_short_line_naming_the_finding() {
        // Nothing listens on port 9 of loopback; no retry delay in the test.
        let sdk = sdk(&[("AWS_ENDPOINT_URL", "http://127.0.0.1:9")]);
        let mut n = SecurityHubNotifier::new(&sdk, product());
        n.client.signer.operation_timeout = Some(Duration::from_millis(500));
        let f = finding();
        let e = n.import(&f).await.unwrap_err().0;
        assert!(
            e.starts_with(&format!(
                "Security Hub BatchImportFindings of {} failed: ",
                f.id
            )),
            "{e}"
        );
        assert!(
            e.ends_with("timed out") || e.contains("connection failed: "),
            "{e}"
        );
        assert!(!e.contains('{') && !e.contains('\n'), "{e}");
    }
}
