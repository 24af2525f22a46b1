//! Requests to AWS that trailwatch signs and sends itself, without an SDK client:
//! Security Hub's import (`notify/securityhub.rs`), the functions' S3 calls
//! (`aws/s3.rs`) and SNS's `Publish` (`notify/sns.rs`). Each SDK client crate brings serializers, endpoint rules and, for
//! S3, checksum tables worth hundreds of kilobytes of every function binary, for
//! the one or three operations we call.
//!
//! What they share with the SDK clients: the configuration's credentials, Region,
//! endpoint settings and timeouts, and the TLS of [`crate::aws::http_connector`].
//! Like the SDK's standard retry mode, a throttled, timed-out or 5xx attempt is
//! tried again, at most [`MAX_ATTEMPTS`] attempts within the operation timeout,
//! after a jittered exponential delay; unlike it, there is no retry quota shared
//! across calls.

use std::future::Future;
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

use crate::aws::error::innermost;

/// The SDK's standard retry mode: attempts per call, the first delay's cap.
pub(crate) const MAX_ATTEMPTS: u32 = 3;
pub(crate) const INITIAL_BACKOFF: Duration = Duration::from_secs(1);

/// One attempt's failure, and whether another attempt may succeed.
#[derive(Debug)]
pub(crate) struct Failure {
    pub cause: String,
    pub transient: bool,
    /// The answer was longer than the caller reads (permanent).
    pub over_limit: bool,
}

impl Failure {
    pub fn new(cause: impl Into<String>, transient: bool) -> Failure {
        Failure {
            cause: cause.into(),
            transient,
            over_limit: false,
        }
    }

    pub fn permanent(cause: impl Into<String>) -> Failure {
        Failure::new(cause, false)
    }

    fn over_limit(limit: usize) -> Failure {
        Failure {
            over_limit: true,
            ..Failure::permanent(format!("unreadable response: over {limit} bytes"))
        }
    }
}

/// What a signed call needs from the SDK configuration.
#[derive(Clone, Debug)]
pub(crate) struct Signer {
    pub connector: SharedHttpConnector,
    pub region: Option<String>,
    pub credentials: Option<SharedCredentialsProvider>,
    pub attempt_timeout: Option<Duration>,
    pub operation_timeout: Option<Duration>,
}

/// A response: status, the headers asked for, and the body (bounded).
#[derive(Debug)]
pub(crate) struct Response {
    pub status: u16,
    pub headers: Vec<Option<String>>,
    pub body: Vec<u8>,
}

/// A request to sign: method, full URL (path and query already percent-encoded),
/// headers to send and sign, body.
pub(crate) struct Request<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
}

impl Signer {
    pub fn new(sdk: &SdkConfig) -> Signer {
        let timeouts = sdk.timeout_config();
        Signer {
            connector: crate::aws::http_connector(sdk),
            region: sdk.region().map(|r| r.as_ref().to_owned()),
            credentials: sdk.credentials_provider(),
            attempt_timeout: timeouts.and_then(|t| t.operation_attempt_timeout()),
            operation_timeout: timeouts.and_then(|t| t.operation_timeout()),
        }
    }

    /// `request` signed for `service` with `settings`, sent, and answered:
    /// `judge` turns each attempt's response into the result or a failure, and
    /// transient failures are tried again (see the module doc). At most
    /// `max_body` bytes of a response are read; more is a failure.
    pub async fn call<T>(
        &self,
        service: &str,
        settings: &SigningSettings,
        request: &Request<'_>,
        read_headers: &[&str],
        max_body: usize,
        judge: impl Fn(Response) -> Result<T, Failure>,
    ) -> Result<T, Failure> {
        retried(self.operation_timeout, || async {
            let signed = self
                .sign(service, settings, request, SystemTime::now())
                .await
                .map_err(Failure::permanent)?;
            let exchange = async {
                let response = self
                    .connector
                    .call(signed)
                    .await
                    .map_err(|e| connector_failure(&e))?;
                let status = response.status().as_u16();
                let headers = read_headers
                    .iter()
                    .map(|h| response.headers().get(*h).map(str::to_owned))
                    .collect();
                let length = response
                    .headers()
                    .get("content-length")
                    .and_then(|n| n.trim().parse::<usize>().ok());
                let body = if (200..300).contains(&status) {
                    // Refused before it is downloaded when its length says so.
                    if length.is_some_and(|n| n > max_body) {
                        return Err(Failure::over_limit(max_body));
                    }
                    read_body(response.into_body(), max_body, length, Overflow::Fail).await?
                } else {
                    // An error's text is only read for its code and message: a
                    // long one (a proxy's page) is cut, not a failure of its own.
                    read_body(response.into_body(), MAX_ERROR_BODY, None, Overflow::Cut).await?
                };
                Ok::<_, Failure>(Response {
                    status,
                    headers,
                    body,
                })
            };
            let response = within(self.attempt_timeout, exchange).await?;
            judge(response)
        })
        .await
    }

    /// `request` signed at `now` (see [`signed`]).
    pub async fn sign(
        &self,
        service: &str,
        settings: &SigningSettings,
        request: &Request<'_>,
        now: SystemTime,
    ) -> Result<HttpRequest, String> {
        let region = self
            .region
            .as_deref()
            .ok_or_else(|| "no AWS region configured".to_owned())?;
        let provider = self
            .credentials
            .as_ref()
            .ok_or_else(|| "no credentials provider configured".to_owned())?;
        signed(service, settings, region, provider, request, now).await
    }
}

/// `request`, signed with SigV4 for `service` at `now` in `region` with
/// `credentials` (headers; the session token is sent and signed as
/// `X-Amz-Security-Token`).
pub(crate) async fn signed(
    service: &str,
    settings: &SigningSettings,
    region: &str,
    credentials: &SharedCredentialsProvider,
    request: &Request<'_>,
    now: SystemTime,
) -> Result<HttpRequest, String> {
    let credentials = credentials
        .provide_credentials()
        .await
        .map_err(|e| crate::aws::error::no_credentials(&innermost(&e)))?;
    let identity = credentials.into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(now)
        .settings(settings.clone())
        .build()
        .map_err(|e| format!("request not signed: {e}"))?
        .into();
    let signable = SignableRequest::new(
        request.method,
        request.url,
        request.headers.iter().copied(),
        SignableBody::Bytes(request.body),
    )
    .map_err(|e| format!("request not signed: {e}"))?;
    let (instructions, _signature) = sign(signable, &params)
        .map_err(|e| format!("request not signed: {e}"))?
        .into_parts();
    let (signature_headers, _query_params) = instructions.into_parts();

    let not_built = |e: &dyn std::fmt::Display| format!("request not built: {e}");
    let mut http = HttpRequest::new(SdkBody::from(request.body.to_vec()));
    http.set_method(request.method).map_err(|e| not_built(&e))?;
    http.set_uri(request.url).map_err(|e| not_built(&e))?;
    for (name, value) in request.headers {
        http.headers_mut()
            .try_insert((*name).to_owned(), (*value).to_owned())
            .map_err(|e| not_built(&e))?;
    }
    for h in signature_headers {
        http.headers_mut()
            .try_insert(h.name(), h.value().to_owned())
            .map_err(|e| not_built(&e))?;
    }
    Ok(http)
}

/// Runs `attempt` until it succeeds, fails for good, or [`MAX_ATTEMPTS`] are
/// made, within `operation_timeout`. The failure is the last attempt's (or a
/// timeout, transient).
pub(crate) async fn retried<T, F, Fut>(
    operation_timeout: Option<Duration>,
    mut attempt: F,
) -> Result<T, Failure>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    // The last transient failure, for an operation timeout that ends the
    // retries: "timed out" alone would hide a refused connection.
    let mut last = None;
    let attempts = async {
        let mut n = 1;
        loop {
            match attempt().await {
                Ok(out) => return Ok(out),
                Err(f) if f.transient && n < MAX_ATTEMPTS => {
                    last = Some(f.cause);
                    tokio::time::sleep(backoff(n)).await;
                    n += 1;
                }
                Err(f) => return Err(f),
            }
        }
    };
    let result = match operation_timeout {
        Some(limit) => tokio::time::timeout(limit, attempts).await.ok(),
        None => Some(attempts.await),
    };
    result.unwrap_or_else(|| {
        Err(Failure::new(
            match last {
                Some(cause) => format!("timed out (before: {cause})"),
                None => "timed out".to_owned(),
            },
            true,
        ))
    })
}

/// `exchange` within the attempt timeout, if there is one.
async fn within<T>(
    limit: Option<Duration>,
    exchange: impl Future<Output = Result<T, Failure>>,
) -> Result<T, Failure> {
    match limit {
        Some(limit) => tokio::time::timeout(limit, exchange)
            .await
            .unwrap_or_else(|_| Err(Failure::new("timed out", true))),
        None => exchange.await,
    }
}

/// The delay before attempt `attempt + 1`: a random part of 1 s, 2 s, ... (the
/// standard retry mode's full jitter). The clock's nanoseconds are random enough
/// to spread the retries of concurrent functions; this is not cryptography.
pub(crate) fn backoff(attempt: u32) -> Duration {
    let cap = INITIAL_BACKOFF.saturating_mul(1 << attempt.saturating_sub(1).min(4));
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    cap.mul_f64(f64::from(nanos % 1000) / 1000.0)
}

/// What is read of an error answer's body.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// What a body longer than its reader's limit gets.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Overflow {
    /// A failure ([`Failure::over_limit`]).
    Fail,
    /// The first bytes, the rest unread.
    Cut,
}

/// At most `limit` bytes of `body`. `expected`: the length the answer
/// announced, reserved at once.
async fn read_body(
    body: SdkBody,
    limit: usize,
    expected: Option<usize>,
    overflow: Overflow,
) -> Result<Vec<u8>, Failure> {
    let mut stream = ByteStream::new(body);
    let mut out = Vec::with_capacity(expected.unwrap_or(0).min(limit));
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|e| Failure::new(format!("unreadable response: {}", innermost(&e)), true))?;
        let room = limit - out.len();
        if chunk.len() > room {
            if overflow == Overflow::Fail {
                return Err(Failure::over_limit(limit));
            }
            out.extend_from_slice(&chunk[..room]);
            break;
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// A connector error as the SDK clients' errors read (aws::error::short_cause):
/// "timed out", "connection failed: <innermost cause>", ...
pub(crate) fn connector_failure(e: &ConnectorError) -> Failure {
    let cause = if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_io() {
        format!("connection failed: {}", innermost(e))
    } else {
        format!("request not sent: {}", innermost(e))
    };
    // The SDK retries timeouts, I/O errors and errors marked transient (a reply
    // cut short, as when a kept-alive connection was closed by the other end as
    // the request went out: from a review); other errors are the request's.
    let transient = e.as_other() == Some(aws_smithy_types::retry::ErrorKind::TransientError);
    Failure::new(cause, e.is_timeout() || e.is_io() || transient)
}

/// The endpoint configured for the service whose SDK id is `service_id`:
/// `AWS_ENDPOINT_URL_<SERVICE>`, else `AWS_ENDPOINT_URL` (both through the
/// configuration, so `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` applies).
pub(crate) fn configured_endpoint(sdk: &SdkConfig, service_id: &str) -> Option<String> {
    let configured = ServiceConfigKey::builder()
        .service_id(service_id)
        .env(crate::aws::env::ENDPOINT_URL)
        .profile("endpoint_url")
        .build()
        .ok()
        .and_then(|key| sdk.service_config()?.load_config(key));
    configured.or_else(|| sdk.endpoint_url().map(str::to_owned))
}

/// An error answer as a failure: `HTTP <status>`, then the service's error code
/// and message when it gave them. Transient (tried again) when throttled or
/// timed out (one of the service's `transient_codes`), or for 429 and 5xx.
pub(crate) fn service_failure(
    status: u16,
    code: Option<&str>,
    message: Option<&str>,
    transient_codes: &[&str],
) -> Failure {
    let cause = match (code, message) {
        (Some(c), Some(m)) => format!("HTTP {status}: {c}: {m}"),
        (Some(c), None) => format!("HTTP {status}: {c}"),
        (None, Some(m)) => format!("HTTP {status}: {m}"),
        (None, None) => format!("HTTP {status}"),
    };
    let throttled = code.is_some_and(|c| transient_codes.contains(&c));
    Failure::new(
        cause,
        throttled || matches!(status, 429 | 500 | 502 | 503 | 504),
    )
}

/// The base URL of the service named `host` (its host name's first label,
/// also its signing name) whose SDK id is `service_id`, as its SDK client
/// finds it: the configured endpoint ([`configured_endpoint`]), else
/// [`default_endpoint`] for the configuration's Region, FIPS and dual-stack
/// settings.
pub(crate) fn service_endpoint(
    sdk: &SdkConfig,
    service_id: &str,
    host: &str,
    fips_at_plain_host_in_gov_cloud: bool,
) -> Result<String, String> {
    if let Some(url) = configured_endpoint(sdk, service_id) {
        return Ok(url);
    }
    let region = sdk
        .region()
        .ok_or_else(|| "no AWS region configured".to_owned())?;
    default_endpoint(
        host,
        region.as_ref(),
        sdk.use_fips().unwrap_or(false),
        sdk.use_dual_stack().unwrap_or(false),
        fips_at_plain_host_in_gov_cloud,
    )
}

/// `https://<host>[-fips].<region>.<suffix>`, the suffix of the Region's
/// partition ([`partition`]), or its dual-stack suffix.
/// `fips_at_plain_host_in_gov_cloud`: the service's FIPS endpoint in GovCloud
/// is its ordinary host, unless dual-stack (SNS's, by its SDK's rules).
pub(crate) fn default_endpoint(
    host: &str,
    region: &str,
    fips: bool,
    dual_stack: bool,
    fips_at_plain_host_in_gov_cloud: bool,
) -> Result<String, String> {
    let (suffix, dual_stack_suffix) = partition(region)?;
    let suffix = if dual_stack {
        dual_stack_suffix
    } else {
        suffix
    };
    let plain_fips =
        fips_at_plain_host_in_gov_cloud && !dual_stack && region.starts_with("us-gov-");
    let fips = if fips && !plain_fips { "-fips" } else { "" };
    Ok(format!("https://{host}{fips}.{region}.{suffix}"))
}

/// The DNS suffix of a Region's partition and its dual-stack suffix, as in the
/// SDK's partition table (aws-sdk-s3 1.157's): China (`cn-*`), the European
/// Sovereign Cloud (`eusc-de-*`), the ISO partitions (`us-iso-*`, `us-isob-*`,
/// `eu-isoe-*`, `us-isof-*`), else commercial and GovCloud (`amazonaws.com`, and
/// `api.aws`; a Region of no known partition is taken as commercial, as the SDK
/// does). `Err` when `region` is not a DNS label (it becomes one in a host name).
pub(crate) fn partition(region: &str) -> Result<(&'static str, &'static str), String> {
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
    const PARTITIONS: [(&str, &str, &str); 6] = [
        ("cn-", "amazonaws.com.cn", "api.amazonwebservices.com.cn"),
        ("eusc-de-", "amazonaws.eu", "api.amazonwebservices.eu"),
        ("us-isob-", "sc2s.sgov.gov", "api.aws.scloud"),
        ("us-iso-", "c2s.ic.gov", "api.aws.ic.gov"),
        ("eu-isoe-", "cloud.adc-e.uk", "api.cloud-aws.adc-e.uk"),
        ("us-isof-", "csp.hci.ic.gov", "api.aws.hci.ic.gov"),
    ];
    Ok(PARTITIONS
        .iter()
        .find(|(prefix, ..)| region.starts_with(prefix))
        .map_or(("amazonaws.com", "api.aws"), |(_, suffix, dual)| {
            (suffix, dual)
        }))
}

/// A configuration from the variables Lambda sets, with static test credentials
/// in `region` and `extra` variables, for the tests of signed requests.
#[cfg(test)]
pub(crate) fn test_config(region: &str, extra: &[(&str, &str)]) -> SdkConfig {
    let mut vars = vec![
        ("AWS_REGION".to_owned(), region.to_owned()),
        ("AWS_ACCESS_KEY_ID".to_owned(), "AKIDEXAMPLE".to_owned()),
        ("AWS_SECRET_ACCESS_KEY".to_owned(), "secret".to_owned()),
    ];
    vars.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let timeouts = aws_types::sdk_config::TimeoutConfig::builder().build();
    crate::aws::env::from_vars(vars, timeouts).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_jittered_under_a_doubling_cap() {
        for (attempt, cap) in [(1, 1), (2, 2), (3, 4), (4, 8)] {
            let cap = INITIAL_BACKOFF * cap;
            assert!(backoff(attempt) < cap, "{attempt}");
        }
        assert!(backoff(40) <= INITIAL_BACKOFF * 16);
    }

    #[test]
    fn regions_are_dns_labels_of_a_partition() {
        assert_eq!(partition("eu-west-1"), Ok(("amazonaws.com", "api.aws")));
        assert_eq!(partition("us-gov-west-1").map(|p| p.0), Ok("amazonaws.com"));
        assert_eq!(partition("cn-north-1").map(|p| p.0), Ok("amazonaws.com.cn"));
        assert_eq!(partition("eusc-de-east-1").map(|p| p.0), Ok("amazonaws.eu"));
        assert_eq!(
            partition("us-iso-east-1"),
            Ok(("c2s.ic.gov", "api.aws.ic.gov"))
        );
        assert_eq!(
            partition("us-isob-east-1"),
            Ok(("sc2s.sgov.gov", "api.aws.scloud"))
        );
        assert_eq!(
            partition("eu-isoe-west-1").map(|p| p.0),
            Ok("cloud.adc-e.uk")
        );
        assert_eq!(
            partition("us-isof-south-1").map(|p| p.0),
            Ok("csp.hci.ic.gov")
        );
        for bad in [
            "",
            "-eu",
            "eu-",
            "EU-west-1",
            "eu.west",
            "evil.example/x",
            &"a".repeat(64),
        ] {
            assert!(partition(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn transient_failures_are_retried_and_the_last_cause_kept() {
        let mut calls = 0;
        let r: Result<(), Failure> = retried(None, || {
            calls += 1;
            let n = calls;
            async move { Err(Failure::new(format!("attempt {n}"), n < 2)) }
        })
        .await;
        let f = r.unwrap_err();
        assert_eq!((f.cause.as_str(), f.transient), ("attempt 2", false));
        assert_eq!(calls, 2, "a permanent failure ends the retries");
    }
}
