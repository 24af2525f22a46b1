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
//! HTTPS client and every call fails. The client here is hyper 1 with rustls and
//! the ring provider. It trusts the platform's root certificates, read by
//! rustls-native-certs: `SSL_CERT_FILE` (a PEM bundle) or `SSL_CERT_DIR` replace
//! the system store, which is how a private endpoint's certificate authority is
//! trusted (and how the TLS tests trust their test CA).

pub mod env;
pub mod error;
pub mod s3;
pub(crate) mod signed;

use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
pub use aws_types::SdkConfig;
use aws_types::sdk_config::SharedHttpClient;

/// The TLS of every connection trailwatch makes to AWS: rustls with ring and the
/// default context, i.e. the platform's roots (see the module doc). One function
/// so that the SDK clients and Security Hub's signed requests cannot drift apart.
fn tls_provider() -> tls::Provider {
    tls::Provider::Rustls(CryptoMode::Ring)
}

/// HTTPS (and plain HTTP, for endpoints such as moto) over rustls with ring,
/// verifying certificates against the platform's roots (see the module doc).
pub fn http_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls_provider())
        .build_https()
}

/// The connector that [`http_client`] gives an SDK client of `sdk`: the same
/// TLS provider and roots, `sdk`'s connect and read timeouts, its sleep. For
/// requests we sign ourselves (`signed`: Security Hub's import, S3): taking the connector from
/// the `SharedHttpClient` itself needs an SDK client's complete runtime
/// components (endpoint resolver, auth schemes, retry strategy, ...), which such
/// a request does not have. Its connection pool is its own.
pub fn http_connector(
    sdk: &SdkConfig,
) -> aws_smithy_runtime_api::client::http::SharedHttpConnector {
    use aws_smithy_runtime_api::client::http::{HttpConnectorSettings, SharedHttpConnector};
    let mut settings = HttpConnectorSettings::builder();
    if let Some(t) = sdk.timeout_config() {
        settings.set_connect_timeout(t.connect_timeout());
        settings.set_read_timeout(t.read_timeout());
    }
    let mut builder =
        aws_smithy_http_client::Connector::builder().connector_settings(settings.build());
    builder.set_sleep_impl(sdk.sleep_impl());
    SharedHttpConnector::new(builder.tls_provider(tls_provider()).build())
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
