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
//! whose partition gives the suffix (`default_endpoint`). The Region decides,
//! not the product ARN: the request goes to the Security Hub of the Region the
//! function runs in, as the SDK client sent it, and Security Hub itself refuses a
//! product ARN of another Region.
//!
//! Like the SDK's standard retry mode, a throttled, timed-out or 5xx attempt is
//! tried again, at most 3 attempts within the operation timeout, after a jittered
//! exponential delay; unlike it, there is no retry quota shared across calls (one
//! call per finding, and Lambda retries the invocation anyway).

use std::time::{Duration, SystemTime};

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::http::{HttpConnector, SharedHttpConnector};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use aws_types::SdkConfig;
use aws_types::service_config::ServiceConfigKey;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Notifier, NotifyError};
use crate::aws_error::{MAX_CAUSE_CHARS, innermost};
use crate::finding::Finding;
use crate::render::{self, asff};
use crate::sanitize::one_line;

/// The signing name of Security Hub.
const SERVICE: &str = "securityhub";
/// The SDK's service id, which names `AWS_ENDPOINT_URL_SECURITYHUB`.
const SERVICE_ID: &str = "SecurityHub";
const PATH: &str = "/findings/import";
/// The SDK's standard retry mode: attempts per call, the first delay's cap.
const MAX_ATTEMPTS: u32 = 3;
const INITIAL_BACKOFF: Duration = Duration::from_secs(1);
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
            client: ImportClient::new(sdk, crate::aws::http_connector(sdk)),
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
                "Security Hub refused finding {} ({} failed): {}",
                finding.id,
                count,
                one_line(&why.join("; "), MAX_CAUSE_CHARS)
            )));
        }
        Ok(())
    }
}

impl Notifier for SecurityHubNotifier {
    async fn notify(&self, finding: &Finding) -> Result<(), NotifyError> {
        self.import(&asff::render(finding, &self.product, render::now_ms()))
            .await
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
    #[allow(dead_code)] // parsed to check the shape; only failures are reported
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
    connector: SharedHttpConnector,
    /// The full URL of `BatchImportFindings`, or why there is none (the SDK
    /// client, too, fails each call when it cannot resolve an endpoint).
    url: Result<String, String>,
    region: Option<String>,
    credentials: Option<SharedCredentialsProvider>,
    attempt_timeout: Option<Duration>,
    operation_timeout: Option<Duration>,
}

/// One attempt's failure, and whether another attempt may succeed.
struct Failure {
    cause: String,
    transient: bool,
}

impl Failure {
    fn permanent(cause: impl Into<String>) -> Failure {
        Failure {
            cause: cause.into(),
            transient: false,
        }
    }
}

impl ImportClient {
    fn new(sdk: &SdkConfig, connector: SharedHttpConnector) -> ImportClient {
        let timeouts = sdk.timeout_config();
        ImportClient {
            connector,
            url: endpoint(sdk).map(|base| format!("{}{PATH}", base.trim_end_matches('/'))),
            region: sdk.region().map(|r| r.as_ref().to_owned()),
            credentials: sdk.credentials_provider(),
            attempt_timeout: timeouts.and_then(|t| t.operation_attempt_timeout()),
            operation_timeout: timeouts.and_then(|t| t.operation_timeout()),
        }
    }

    /// `BatchImportFindings` of one finding, retried as described in the module doc.
    async fn import(&self, finding: &asff::AsffFinding) -> Result<ImportOutput, String> {
        let body = serde_json::to_vec(&ImportInput {
            findings: [finding],
        })
        .map_err(|e| format!("request not built: {e}"))?;
        // The last transient failure, for an operation timeout that ends the
        // retries: "timed out" alone would hide a refused connection.
        let mut last = None;
        let attempts = async {
            let mut attempt = 1;
            loop {
                match self.attempt(&body).await {
                    Ok(out) => return Ok(out),
                    Err(f) if f.transient && attempt < MAX_ATTEMPTS => {
                        last = Some(f.cause);
                        tokio::time::sleep(backoff(attempt)).await;
                        attempt += 1;
                    }
                    Err(f) => return Err(f.cause),
                }
            }
        };
        let result = match self.operation_timeout {
            Some(limit) => tokio::time::timeout(limit, attempts).await.ok(),
            None => Some(attempts.await),
        };
        result.unwrap_or_else(|| {
            Err(match last {
                Some(cause) => format!("timed out (before: {cause})"),
                None => "timed out".to_owned(),
            })
        })
    }

    /// One signed request and its answer, within the attempt timeout.
    async fn attempt(&self, body: &[u8]) -> Result<ImportOutput, Failure> {
        let request = self.signed_request(body, SystemTime::now()).await?;
        let exchange = async {
            let response = self
                .connector
                .call(request)
                .await
                .map_err(|e| connector_failure(&e))?;
            let status = response.status().as_u16();
            let error_type = response
                .headers()
                .get("x-amzn-errortype")
                .map(str::to_owned);
            let body = read_bounded(response.into_body()).await?;
            Ok::<_, Failure>((status, error_type, body))
        };
        let (status, error_type, body) = match self.attempt_timeout {
            Some(limit) => tokio::time::timeout(limit, exchange)
                .await
                .unwrap_or_else(|_| {
                    Err(Failure {
                        cause: "timed out".to_owned(),
                        transient: true,
                    })
                })?,
            None => exchange.await?,
        };
        parse_response(status, error_type.as_deref(), &body)
    }

    /// The POST of `body` signed at `now` (see [`signed_post`]).
    async fn signed_request(&self, body: &[u8], now: SystemTime) -> Result<HttpRequest, Failure> {
        let url = self.url.as_deref().map_err(Failure::permanent)?;
        let region = self
            .region
            .as_deref()
            .ok_or_else(|| Failure::permanent("no AWS region configured"))?;
        let provider = self
            .credentials
            .as_ref()
            .ok_or_else(|| Failure::permanent("no credentials provider configured"))?;
        signed_post(url, region, provider, body, now)
            .await
            .map_err(Failure::permanent)
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
    let credentials = credentials
        .provide_credentials()
        .await
        .map_err(|e| format!("no credentials: {e}"))?;
    let identity = credentials.into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(SERVICE)
        .time(now)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| format!("request not signed: {e}"))?
        .into();
    let headers = [("content-type", "application/json")];
    let signable = SignableRequest::new(
        "POST",
        url,
        headers.iter().copied(),
        SignableBody::Bytes(body),
    )
    .map_err(|e| format!("request not signed: {e}"))?;
    let (instructions, _signature) = sign(signable, &params)
        .map_err(|e| format!("request not signed: {e}"))?
        .into_parts();
    let (signature_headers, _query_params) = instructions.into_parts();

    let not_built = |e: &dyn std::fmt::Display| format!("request not built: {e}");
    let mut request = HttpRequest::new(SdkBody::from(body.to_vec()));
    request.set_method("POST").map_err(|e| not_built(&e))?;
    request.set_uri(url).map_err(|e| not_built(&e))?;
    for (name, value) in headers {
        request
            .headers_mut()
            .try_insert(name, value)
            .map_err(|e| not_built(&e))?;
    }
    for h in signature_headers {
        request
            .headers_mut()
            .try_insert(h.name(), h.value().to_owned())
            .map_err(|e| not_built(&e))?;
    }
    Ok(request)
}

/// The delay before attempt `attempt + 1`: a random part of 1 s, 2 s, ... (the
/// standard retry mode's full jitter). The clock's nanoseconds are random enough
/// to spread the retries of concurrent functions; this is not cryptography.
fn backoff(attempt: u32) -> Duration {
    let cap = INITIAL_BACKOFF.saturating_mul(1 << attempt.saturating_sub(1).min(4));
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    cap.mul_f64(f64::from(nanos % 1000) / 1000.0)
}

/// At most [`MAX_RESPONSE_BYTES`] of `body`; more is a failure.
async fn read_bounded(body: SdkBody) -> Result<Vec<u8>, Failure> {
    let mut stream = ByteStream::new(body);
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| Failure {
            cause: format!("unreadable response: {}", innermost(&e)),
            transient: true,
        })?;
        if out.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(Failure::permanent(format!(
                "unreadable response: over {MAX_RESPONSE_BYTES} bytes"
            )));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
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
    let cause = match (&code, &message) {
        (Some(c), Some(m)) => format!("HTTP {status}: {c}: {m}"),
        (Some(c), None) => format!("HTTP {status}: {c}"),
        (None, Some(m)) => format!("HTTP {status}: {m}"),
        (None, None) => format!("HTTP {status}"),
    };
    let throttled = code.as_deref().is_some_and(|c| {
        matches!(
            c,
            "ThrottlingException"
                | "Throttling"
                | "TooManyRequestsException"
                | "RequestTimeout"
                | "RequestTimeoutException"
        )
    });
    Err(Failure {
        cause,
        transient: throttled || matches!(status, 429 | 500 | 502 | 503 | 504),
    })
}

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

/// A connector error as the SDK clients' errors read (aws_error::short_cause):
/// "timed out", "connection failed: <innermost cause>", ...
fn connector_failure(e: &ConnectorError) -> Failure {
    let cause = if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_io() {
        format!("connection failed: {}", innermost(e))
    } else {
        format!("request not sent: {}", innermost(e))
    };
    Failure {
        cause,
        // The SDK retries timeouts and I/O errors; other errors are the request's.
        transient: e.is_timeout() || e.is_io(),
    }
}

/// The base URL of Security Hub for `sdk` (see the module doc).
fn endpoint(sdk: &SdkConfig) -> Result<String, String> {
    let configured = ServiceConfigKey::builder()
        .service_id(SERVICE_ID)
        .env(crate::aws::env::ENDPOINT_URL)
        .profile("endpoint_url")
        .build()
        .ok()
        .and_then(|key| sdk.service_config()?.load_config(key));
    if let Some(url) = configured.or_else(|| sdk.endpoint_url().map(str::to_owned)) {
        return Ok(url);
    }
    let region = sdk
        .region()
        .ok_or_else(|| "no AWS region configured".to_owned())?;
    default_endpoint(
        region.as_ref(),
        sdk.use_fips().unwrap_or(false),
        sdk.use_dual_stack().unwrap_or(false),
    )
}

/// `https://securityhub[-fips].<region>.<suffix>`, the suffix of the Region's
/// partition as in the SDK's partition table: `amazonaws.com.cn` in China
/// (`cn-*`), `c2s.ic.gov` and `sc2s.sgov.gov` in the ISO partitions, else
/// `amazonaws.com` (commercial and GovCloud; a Region of no known partition is
/// taken as commercial, as the SDK does). Dual-stack: `api.aws`, in China
/// `api.amazonwebservices.com.cn`; the ISO partitions have none.
fn default_endpoint(region: &str, fips: bool, dual_stack: bool) -> Result<String, String> {
    // A Region is a DNS label (and here it becomes one): nothing else may reach
    // the URL.
    let valid = !region.is_empty()
        && region.len() <= 63
        && !region.starts_with('-')
        && !region.ends_with('-')
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !valid {
        return Err(format!("{region:?} is not a valid AWS region"));
    }
    let (suffix, dual_stack_suffix) = if region.starts_with("cn-") {
        ("amazonaws.com.cn", Some("api.amazonwebservices.com.cn"))
    } else if region.starts_with("us-isob-") {
        ("sc2s.sgov.gov", None)
    } else if region.starts_with("us-iso-") {
        ("c2s.ic.gov", None)
    } else {
        ("amazonaws.com", Some("api.aws"))
    };
    let suffix = match (dual_stack, dual_stack_suffix) {
        (false, _) => suffix,
        (true, Some(s)) => s,
        (true, None) => {
            return Err(format!(
                "dual-stack endpoints are not available in {region}'s partition"
            ));
        }
    };
    let fips = if fips { "-fips" } else { "" };
    Ok(format!("https://{SERVICE}{fips}.{region}.{suffix}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_types::sdk_config::TimeoutConfig;

    fn sdk(extra: &[(&str, &str)]) -> SdkConfig {
        let mut vars = vec![
            ("AWS_REGION".to_owned(), "us-east-1".to_owned()),
            ("AWS_ACCESS_KEY_ID".to_owned(), "AKIDEXAMPLE".to_owned()),
            ("AWS_SECRET_ACCESS_KEY".to_owned(), "secret".to_owned()),
        ];
        vars.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        crate::aws::env::from_vars(vars, TimeoutConfig::builder().build()).unwrap()
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
        let e = |r, fips, ds| default_endpoint(r, fips, ds);
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
        assert_eq!(
            e("us-gov-west-1", true, false).unwrap(),
            "https://securityhub-fips.us-gov-west-1.amazonaws.com"
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
        assert!(
            e("us-isob-east-1", false, true)
                .unwrap_err()
                .contains("dual-stack")
        );
        for bad in ["", "us-east-1/x", "evil.com#", "US-EAST-1", "-a", "a b"] {
            assert!(e(bad, false, false).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn configured_endpoints_come_first_per_service_then_global() {
        let url = |extra: &[(&str, &str)]| ImportClient::new(&sdk(extra), connector()).url;
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

    fn connector() -> SharedHttpConnector {
        crate::aws::http_connector(&sdk(&[]))
    }

    fn header<'a>(r: &'a HttpRequest, name: &str) -> Option<&'a str> {
        r.headers().get(name)
    }

    #[tokio::test]
    async fn the_request_is_signed_json_of_one_finding() {
        let client =
            ImportClient::new(&sdk(&[("AWS_SESSION_TOKEN", "session-token")]), connector());
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
        let r = ImportClient::new(&sdk(&[]), connector())
            .signed_request(&body, at)
            .await
            .ok()
            .unwrap();
        assert_eq!(header(&r, "x-amz-security-token"), None);
        assert!(header(&r, "authorization").is_some());
    }

    #[tokio::test]
    async fn an_unusable_configuration_fails_each_import_without_a_request() {
        let client = ImportClient::new(
            &sdk(&[
                ("AWS_REGION", "us-iso-east-1"),
                ("AWS_USE_DUALSTACK_ENDPOINT", "true"),
            ]),
            connector(),
        );
        let e = client.import(&finding()).await.unwrap_err();
        assert!(e.contains("dual-stack"), "{e}");
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
            refused.failed_findings.unwrap(),
            vec![FailedFinding {
                id: Some("f1".into()),
                error_code: Some("InvalidInput".into()),
                error_message: Some("bad".into()),
            }]
        );
        // Absent fields are absent, not errors; a body that is not the shape is.
        assert_eq!(
            parse_response(200, None, b"{}").ok().unwrap(),
            ImportOutput::default()
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
        n.client.operation_timeout = Some(Duration::from_millis(500));
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

    #[test]
    fn backoff_is_jittered_under_a_doubling_cap() {
        for attempt in 1..=3 {
            let cap = INITIAL_BACKOFF * (1 << (attempt - 1));
            assert!(backoff(attempt) < cap, "{attempt}");
        }
        assert!(backoff(40) <= INITIAL_BACKOFF * 16);
    }
}
