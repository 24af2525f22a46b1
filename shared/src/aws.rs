//! The one way trailwatch loads an AWS SDK configuration, with our HTTPS client.
//!
//! Two loaders, one client:
//! - [`mod@env`] (feature `aws`): the Lambda functions' configuration, read from the
//!   variables Lambda sets (`AWS_REGION`, `AWS_ACCESS_KEY_ID`,
//!   `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`) and `AWS_ENDPOINT_URL` /
//!   `AWS_ENDPOINT_URL_<SERVICE>`. No aws-config: its profile, SSO, STS, IMDS and
//!   container providers were a quarter of a function binary and a Lambda never
//!   uses them.
//! - [`loader`] / [`sdk_config`] (feature `aws-chain`, the CLI's default): the
//!   SDK's full chain (profiles, SSO, assume role, IMDS, ...).
//!
//! The SDK crates are built without `default-https-client`, whose aws-lc-rs crypto
//! was most of a function binary; so a configuration loaded any other way has no
//! HTTPS client and every call fails. The client here (`aws/https.rs`) is hyper 1's
//! HTTP/1.1 client with rustls and the ring provider. It trusts the platform's root certificates, read by
//! rustls-native-certs: `SSL_CERT_FILE` (a PEM bundle) or `SSL_CERT_DIR` replace
//! the system store, which is how a private endpoint's certificate authority is
//! trusted (and how the TLS tests trust their test CA).

pub mod env;
pub mod error;
mod https;
pub mod s3;
pub(crate) mod signed;

pub use aws_types::SdkConfig;
use aws_types::sdk_config::SharedHttpClient;

/// HTTPS (and plain HTTP, for endpoints such as moto) over rustls with ring,
/// verifying certificates against the platform's roots (see the module doc): our
/// HTTP/1.1 client (`aws/https.rs`).
pub fn http_client() -> SharedHttpClient {
    SharedHttpClient::new(https::HttpsClient::default())
}

/// A connector with `sdk`'s connect and read timeouts, for requests we sign
/// ourselves (`signed`: Security Hub's import, S3, SNS): the same client as
/// [`http_client`]'s, with its own connection pool (taking the connector from the
/// `SharedHttpClient` needs an SDK client's complete runtime components, which such
/// a request does not have).
pub fn http_connector(
    sdk: &SdkConfig,
) -> aws_smithy_runtime_api::client::http::SharedHttpConnector {
    let timeouts = sdk.timeout_config();
    aws_smithy_runtime_api::client::http::SharedHttpConnector::new(https::Https::new(
        timeouts.and_then(|t| t.connect_timeout()),
        timeouts.and_then(|t| t.read_timeout()),
    ))
}

/// The SDK's default loader with [`http_client`]; callers add what they need
/// (timeouts, a fixed endpoint) before `load`.
#[cfg(feature = "aws-chain")]
pub fn loader() -> aws_config::ConfigLoader {
    aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(http_client())
}

/// No AWS region in the environment: every client would fail on first use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoRegion;

impl std::fmt::Display for NoRegion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("no AWS region configured (set AWS_REGION or a profile region)")
    }
}

impl std::error::Error for NoRegion {}

/// Loads `loader` and checks that a region was found.
#[cfg(feature = "aws-chain")]
pub async fn load(loader: aws_config::ConfigLoader) -> Result<SdkConfig, NoRegion> {
    let sdk = loader.load().await;
    if sdk.region().is_none() {
        return Err(NoRegion);
    }
    Ok(sdk)
}

/// The standard configuration: [`loader`] as is, with a region required.
#[cfg(feature = "aws-chain")]
pub async fn sdk_config() -> Result<SdkConfig, NoRegion> {
    load(loader()).await
}
