//! The HTTP client of every call trailwatch makes to AWS: HTTP/1.1 over rustls with
//! ring, trusting the platform's roots (`SSL_CERT_FILE` or `SSL_CERT_DIR` replace
//! them; see the parent module), and plain HTTP for endpoints such as moto.
//!
//! Why our own and not the SDK's (`aws-smithy-http-client`): that client always
//! offers HTTP/2, so the h2 crate, hyper's HTTP/2 half and the client's own layers
//! were linked into every function (0.44 MB of each arm64 binary) for endpoints
//! that answer HTTP/1.1 (DynamoDB, SNS, S3, Security Hub). What it did that matters
//! is done here too: one connection pool per pair of timeouts, with a timer that
//! expires idle connections; the connect timeout over name resolution, the TCP
//! connect and the TLS handshake together; the read timeout on the wait for the
//! response; AES-GCM suites (see [`provider`]); each request's connection handed to the SDK's
//! retries, which close it after a transient failure; and the errors sorted as the
//! retry policy expects (a refused or dropped connection and a timeout are
//! retried, a malformed request is not).

use std::collections::HashMap;
use std::error::Error;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::connection::{CaptureSmithyConnection, ConnectionMetadata};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::ErrorKind;
use hyper::Uri;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{
    CaptureConnection, HttpConnector as TcpConnector, capture_connection,
};
use hyper_util::rt::{TokioExecutor, TokioTimer};

/// The timeouts a connector applies: connect, then read.
type Timeouts = (Option<Duration>, Option<Duration>);

/// The SDK clients' HTTP client: one [`Https`] connector, and so one connection
/// pool, per pair of timeouts asked for (the SDK asks once per operation).
#[derive(Debug, Default)]
pub(crate) struct HttpsClient {
    connectors: Mutex<HashMap<Timeouts, SharedHttpConnector>>,
}

impl HttpClient for HttpsClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        let key = (settings.connect_timeout(), settings.read_timeout());
        // A poisoned lock only means another thread panicked while inserting: the
        // map is still whole.
        let mut connectors = self.connectors.lock().unwrap_or_else(|e| e.into_inner());
        connectors
            .entry(key)
            .or_insert_with(|| SharedHttpConnector::new(Https::new(key.0, key.1)))
            .clone()
    }
}

/// One connection pool and its timeouts.
#[derive(Debug, Clone)]
pub(crate) struct Https {
    client: Client<TimedConnect, SdkBody>,
    read_timeout: Option<Duration>,
}

impl Https {
    pub(crate) fn new(connect_timeout: Option<Duration>, read_timeout: Option<Duration>) -> Https {
        let mut tcp = TcpConnector::new();
        // The scheme is the TLS layer's to check: it takes https and http.
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        // HTTP/1.1 only: hyper-rustls then offers no ALPN at all, which every
        // AWS endpoint takes as HTTP/1.1.
        let tls = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls_config())
            .https_or_http()
            .enable_http1()
            .wrap_connector(tcp);
        let tls = TimedConnect {
            inner: tls,
            limit: connect_timeout,
        };
        // The pool's timer: without it, idle connections are never expired by
        // time, and one AWS closed meanwhile is tried first (as the SDK's client).
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .build(tls);
        Https {
            client,
            read_timeout,
        }
    }
}

/// rustls with ring and the platform's roots, as the SDK's client configured it
/// (the roots read once per process).
fn tls_config() -> rustls::ClientConfig {
    use std::io::Write as _;
    static ROOTS: std::sync::LazyLock<Arc<rustls::RootCertStore>> =
        std::sync::LazyLock::new(|| {
            let found = rustls_native_certs::load_native_certs();
            if !found.errors.is_empty() {
                // Before any logger: on standard error, which Lambda keeps in the logs.
                // A closed standard error must not end the process (`let _`).
                let _ = writeln!(
                    std::io::stderr(),
                    "trailwatch: some root certificates could not be read: {:?}",
                    found.errors
                );
            }
            let mut roots = rustls::RootCertStore::empty();
            let (_added, _ignored) = roots.add_parsable_certificates(found.certs);
            if roots.is_empty() {
                let _ = writeln!(
                    std::io::stderr(),
                    "trailwatch: no root certificates found: every HTTPS call will fail"
                );
            }
            Arc::new(roots)
        });
    let provider = Arc::new(provider());
    rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        // ring's provider supports TLS 1.2 and 1.3, the safe defaults: a static
        // fact of the build, not something input can change.
        .expect("ring supports the default TLS versions")
        .with_root_certificates(ROOTS.clone())
        .with_no_client_auth()
}

/// ring's TLS, with only what AWS endpoints need: AES-GCM suites (TLS 1.3, and
/// ECDHE for TLS 1.2) over the NIST curves, and certificates signed with ECDSA
/// (P-256, P-384) or RSA. Built here rather than filtered from ring's default
/// provider, which names every suite, curve and algorithm and so keeps them all
/// in the link: ChaCha20-Poly1305, X25519 and Ed25519 cost each function
/// binary about 130 KB (issue 13's 6 MB). An endpoint of one's own
/// (`AWS_ENDPOINT_URL`) must offer the same: any TLS server library does.
fn provider() -> rustls::crypto::CryptoProvider {
    use rustls::crypto::ring::{cipher_suite as suite, kx_group};
    rustls::crypto::CryptoProvider {
        cipher_suites: vec![
            suite::TLS13_AES_256_GCM_SHA384,
            suite::TLS13_AES_128_GCM_SHA256,
            suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            suite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        ],
        kx_groups: vec![kx_group::SECP256R1, kx_group::SECP384R1],
        signature_verification_algorithms: SIGNATURES,
        secure_random: &RingRandom,
        key_provider: &NoClientKeys,
    }
}

/// The signatures a server's certificate chain and handshake may use: rustls's
/// list for ring, Ed25519 aside (no AWS endpoint uses it).
const SIGNATURES: rustls::crypto::WebPkiSupportedAlgorithms = {
    use rustls::SignatureScheme as S;
    use webpki::ring as alg;
    rustls::crypto::WebPkiSupportedAlgorithms {
        all: &[
            alg::ECDSA_P256_SHA256,
            alg::ECDSA_P256_SHA384,
            alg::ECDSA_P384_SHA256,
            alg::ECDSA_P384_SHA384,
            alg::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
            alg::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
            alg::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
            alg::RSA_PKCS1_2048_8192_SHA256,
            alg::RSA_PKCS1_2048_8192_SHA384,
            alg::RSA_PKCS1_2048_8192_SHA512,
            alg::RSA_PKCS1_2048_8192_SHA256_ABSENT_PARAMS,
            alg::RSA_PKCS1_2048_8192_SHA384_ABSENT_PARAMS,
            alg::RSA_PKCS1_2048_8192_SHA512_ABSENT_PARAMS,
        ],
        mapping: &[
            // For TLS 1.2 the curve is not fixed by the scheme; for 1.3 it is.
            (
                S::ECDSA_NISTP384_SHA384,
                &[alg::ECDSA_P384_SHA384, alg::ECDSA_P256_SHA384],
            ),
            (
                S::ECDSA_NISTP256_SHA256,
                &[alg::ECDSA_P256_SHA256, alg::ECDSA_P384_SHA256],
            ),
            (
                S::RSA_PSS_SHA512,
                &[alg::RSA_PSS_2048_8192_SHA512_LEGACY_KEY],
            ),
            (
                S::RSA_PSS_SHA384,
                &[alg::RSA_PSS_2048_8192_SHA384_LEGACY_KEY],
            ),
            (
                S::RSA_PSS_SHA256,
                &[alg::RSA_PSS_2048_8192_SHA256_LEGACY_KEY],
            ),
            (S::RSA_PKCS1_SHA512, &[alg::RSA_PKCS1_2048_8192_SHA512]),
            (S::RSA_PKCS1_SHA384, &[alg::RSA_PKCS1_2048_8192_SHA384]),
            (S::RSA_PKCS1_SHA256, &[alg::RSA_PKCS1_2048_8192_SHA256]),
        ],
    }
};

/// The operating system's randomness through ring, as rustls's ring provider
/// takes it.
#[derive(Debug)]
struct RingRandom;

impl rustls::crypto::SecureRandom for RingRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), rustls::crypto::GetRandomFailed> {
        use ring::rand::SecureRandom as _;
        ring::rand::SystemRandom::new()
            .fill(buf)
            .map_err(|_| rustls::crypto::GetRandomFailed)
    }
}

/// trailwatch presents no client certificate: no private key is ever loaded.
#[derive(Debug)]
struct NoClientKeys;

impl rustls::crypto::KeyProvider for NoClientKeys {
    fn load_private_key(
        &self,
        _: rustls::pki_types::PrivateKeyDer<'static>,
    ) -> Result<Arc<dyn rustls::sign::SigningKey>, rustls::Error> {
        Err(rustls::Error::General(
            "trailwatch loads no private key (no client certificate)".to_owned(),
        ))
    }
}

impl HttpConnector for Https {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let mut request = match request.try_into_http1x() {
            Ok(request) => request,
            Err(e) => return HttpConnectorFuture::ready(Err(ConnectorError::user(e.into()))),
        };
        // The SDK's retries close a connection after a transient failure (a 5xx,
        // a timeout) so that the next attempt reaches another host: they need the
        // connection this request goes out on (from a review).
        let captured = capture_connection(&mut request);
        if let Some(capture) = request.extensions().get::<CaptureSmithyConnection>() {
            capture.set_connection_retriever(move || connection_of(&captured));
        }
        let sent = self.client.request(request);
        let read_timeout = self.read_timeout;
        HttpConnectorFuture::new(async move {
            let answer = match read_timeout {
                Some(limit) => match tokio::time::timeout(limit, sent).await {
                    Ok(answer) => answer,
                    Err(elapsed) => return Err(ConnectorError::timeout(elapsed.into())),
                },
                None => sent.await,
            };
            match answer {
                Ok(response) => HttpResponse::try_from(response.map(SdkBody::from_body_1_x))
                    .map_err(|e| ConnectorError::other(e.into(), None)),
                Err(e) => Err(classify(e)),
            }
        })
    }
}

/// The connection a request went out on, for the SDK to close (poison) after a
/// transient failure; `None` before one is made.
fn connection_of(captured: &CaptureConnection) -> Option<ConnectionMetadata> {
    captured.connection_metadata().as_ref()?;
    let captured = captured.clone();
    Some(
        ConnectionMetadata::builder()
            .proxied(false)
            .poison_fn(move || {
                if let Some(connection) = captured.connection_metadata().as_ref() {
                    connection.poison();
                }
            })
            .build(),
    )
}

/// The TLS connector with one time limit over name resolution, the TCP connect and
/// the TLS handshake together, as the SDK's client had (from a review: the TCP
/// connector's own limit covers only `connect()`, so a stalled handshake waited
/// for ever where no read timeout is set).
#[derive(Debug, Clone)]
struct TimedConnect {
    inner: hyper_rustls::HttpsConnector<TcpConnector>,
    limit: Option<Duration>,
}

/// A connection not made within its time limit.
#[derive(Debug)]
struct ConnectTimedOut(Duration);

impl std::fmt::Display for ConnectTimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "connection not made within {:?}", self.0)
    }
}

impl Error for ConnectTimedOut {}

impl tower_service::Service<Uri> for TimedConnect {
    type Response =
        <hyper_rustls::HttpsConnector<TcpConnector> as tower_service::Service<Uri>>::Response;
    type Error = BoxError;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Self::Response, BoxError>> + Send>,
    >;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let connecting = self.inner.call(uri);
        let limit = self.limit;
        Box::pin(async move {
            match limit {
                Some(limit) => match tokio::time::timeout(limit, connecting).await {
                    Ok(connected) => connected,
                    Err(_) => Err(Box::new(ConnectTimedOut(limit)) as BoxError),
                },
                None => connecting.await,
            }
        })
    }
}

/// The retry policy's reading of a failed exchange: a connection that could not be
/// made or was lost is I/O (retried), a timed-out one a timeout (retried), a reply
/// cut short transient; anything else is not retried.
fn classify(e: hyper_util::client::legacy::Error) -> ConnectorError {
    if chain(&e).any(|s| s.is::<ConnectTimedOut>()) {
        return ConnectorError::timeout(e.into());
    }
    let hyper = chain(&e).find_map(|s| s.downcast_ref::<hyper::Error>());
    if let Some(h) = hyper {
        if h.is_timeout() {
            return ConnectorError::timeout(e.into());
        }
        if h.is_incomplete_message() {
            return ConnectorError::other(e.into(), Some(ErrorKind::TransientError));
        }
        if h.is_closed() || h.is_canceled() {
            return ConnectorError::io(e.into());
        }
        if h.is_user() {
            return ConnectorError::user(e.into());
        }
    }
    if e.is_connect() || chain(&e).any(|s| s.is::<std::io::Error>()) {
        return ConnectorError::io(e.into());
    }
    ConnectorError::other(e.into(), None)
}

/// `e` and its sources.
fn chain<'a>(e: &'a (dyn Error + 'static)) -> impl Iterator<Item = &'a (dyn Error + 'static)> {
    std::iter::successors(Some(e), |&e| e.source())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(url: &str) -> HttpRequest {
        let mut request = HttpRequest::new(SdkBody::empty());
        request.set_uri(url).unwrap();
        request
    }

    /// A server that takes one connection and says nothing for five seconds.
    async fn silent_server() -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = silent.local_addr().unwrap();
        let held = tokio::spawn(async move {
            let (socket, _) = silent.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(5)).await;
            drop(socket);
        });
        (addr, held)
    }

    /// The retry policy's view of a failure: a refused connection is I/O and a
    /// server that never answers a timeout (both retried); an answer is an answer.
    #[tokio::test]
    async fn failures_are_sorted_as_the_retry_policy_expects() {
        // A port nothing listens on: bound, then released.
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let https = Https::new(Some(Duration::from_secs(2)), Some(Duration::from_secs(2)));
        let refused = https
            .call(get(&format!("http://{closed}/")))
            .await
            .unwrap_err();
        assert!(refused.is_io(), "{refused:?}");

        // A server that takes the connection and says nothing.
        let (addr, held) = silent_server().await;
        let quick = Https::new(
            Some(Duration::from_secs(2)),
            Some(Duration::from_millis(200)),
        );
        let waited = quick
            .call(get(&format!("http://{addr}/")))
            .await
            .unwrap_err();
        assert!(waited.is_timeout(), "{waited:?}");
        held.abort();

        // A server that answers: the status and body come back.
        let answering = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = answering.local_addr().unwrap();
        tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let (mut socket, _) = answering.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            let _ = socket.read(&mut buf).await;
            let _ = socket
                .write_all(b"HTTP/1.1 418 I'm a teapot\r\ncontent-length: 2\r\n\r\nhi")
                .await;
        });
        let answer = https.call(get(&format!("http://{addr}/"))).await.unwrap();
        assert_eq!(answer.status().as_u16(), 418);
        assert_eq!(answer.body().bytes(), None, "streamed, not buffered");
    }

    /// From a review: the connect timeout covers the TLS handshake too, so a
    /// server that takes the connection and never answers the handshake is a
    /// timeout (retried), not a wait for ever.
    #[tokio::test]
    async fn a_stalled_tls_handshake_is_a_timeout() {
        let (addr, held) = silent_server().await;
        let https = Https::new(Some(Duration::from_millis(200)), None);
        let stalled = tokio::time::timeout(
            Duration::from_secs(3),
            https.call(get(&format!("https://localhost:{}/", addr.port()))),
        )
        .await
        .expect("the connector's own limit ends the wait")
        .unwrap_err();
        assert!(stalled.is_timeout(), "{stalled:?}");
        held.abort();
    }

    /// One connector, and so one pool, per pair of timeouts.
    #[test]
    fn one_pool_per_pair_of_timeouts() {
        let client = HttpsClient::default();
        let components = aws_smithy_runtime_api::client::runtime_components::RuntimeComponentsBuilder::for_tests()
            .build()
            .unwrap();
        let settings = |read: u64| {
            HttpConnectorSettings::builder()
                .connect_timeout(Duration::from_secs(1))
                .read_timeout(Duration::from_secs(read))
                .build()
        };
        let _a = client.http_connector(&settings(5), &components);
        let _b = client.http_connector(&settings(5), &components);
        let _c = client.http_connector(&settings(9), &components);
        assert_eq!(client.connectors.lock().unwrap().len(), 2);
    }
}
