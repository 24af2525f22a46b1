//! Real TLS between the function and AWS: moto behind HTTPS with a server
//! certificate from a test certificate authority made here, the real binary
//! trusting that CA through `SSL_CERT_FILE` (see trailwatch::aws). Findings are
//! imported into Security Hub (a request trailwatch signs itself, on its own
//! connector: it must trust the same roots as the SDK clients) and published to
//! SNS over TLS, and read back; with another CA trusted instead, the same server
//! is refused and the invocation fails, so verification is really on.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};

use super::*;

/// A temporary directory with `ca.pem` (the test CA), `server.pem` and
/// `server.key` (for `localhost` and 127.0.0.1, issued by that CA) and
/// `other-ca.pem` (a CA that issued nothing here). Removed on drop.
struct TestPki {
    dir: PathBuf,
}

impl TestPki {
    fn new() -> TestPki {
        let dir = std::env::temp_dir().join(unique("trailwatch-tls"));
        std::fs::create_dir_all(&dir).unwrap();
        let ca = ca("trailwatch test CA");
        let key = KeyPair::generate().unwrap();
        let mut params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server = params.signed_by(&key, &ca).unwrap();
        let write = |name: &str, text: String| std::fs::write(dir.join(name), text).unwrap();
        write("ca.pem", ca.pem());
        write("server.pem", server.pem());
        write("server.key", key.serialize_pem());
        write("other-ca.pem", self::ca("trailwatch untrusted CA").pem());
        TestPki { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn pem(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).unwrap()
    }
}

impl Drop for TestPki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

/// Trusts only the test CA, given in code rather than through the environment.
fn test_tls(ca_pem: Vec<u8>) -> aws_smithy_http_client::tls::TlsContext {
    use aws_smithy_http_client::tls::{TlsContext, TrustStore};
    TlsContext::builder()
        .with_trust_store(TrustStore::empty().with_pem_certificate(ca_pem))
        .build()
        .unwrap()
}

const RUSTLS_RING: aws_smithy_http_client::tls::Provider =
    aws_smithy_http_client::tls::Provider::Rustls(
        aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
    );

/// The test's own clients for the HTTPS moto (setup and read-back).
async fn test_sdk(moto: &Moto, ca_pem: Vec<u8>) -> SdkConfig {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(RUSTLS_RING)
        .tls_context(test_tls(ca_pem))
        .build_https();
    moto.sdk_with(http).await
}

/// The connector of the test's own Security Hub reads from the HTTPS moto.
fn test_connector(ca_pem: Vec<u8>) -> SharedHttpConnector {
    SharedHttpConnector::new(
        aws_smithy_http_client::Connector::builder()
            .tls_provider(RUSTLS_RING)
            .tls_context(test_tls(ca_pem))
            .build(),
    )
}

/// Runs the binary on one StopLogging event against `moto` (Security Hub
/// included, unless `hub` names another endpoint for it), trusting the CA in
/// `trusted` (a PEM file) and nothing else; its outcome.
async fn invoke_trusting(
    moto: &Moto,
    hub: Option<&str>,
    trusted: &Path,
    table: &str,
    topic: &str,
) -> Outcome {
    let emulator = Emulator::start(vec![("tls-1".into(), stop_logging().to_string())]).await;
    // `command` clears the environment: no SSL_CERT_DIR adds the system store.
    let mut child = command(&emulator.addr)
        .env("AWS_ENDPOINT_URL", &moto.endpoint)
        .env(
            "AWS_ENDPOINT_URL_SECURITYHUB",
            hub.unwrap_or(&moto.endpoint),
        )
        .env("SSL_CERT_FILE", trusted)
        .env("TRAILWATCH_TABLE", table)
        .env("TRAILWATCH_TOPIC_ARN", topic)
        .env("TRAILWATCH_SECURITY_HUB", product_arn())
        .spawn()
        .expect("the function binary starts");
    let outcome = emulator.outcome("tls-1").await;
    child.start_kill().ok();
    let _ = child.wait().await;
    outcome
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn findings_are_imported_and_published_over_tls_and_an_untrusted_certificate_fails_the_invocation()
 {
    let pki = TestPki::new();
    let moto = Moto::start_tls(&pki.path("server.pem"), &pki.path("server.key"));
    assert!(moto.endpoint.starts_with("https://localhost:"));
    let sdk = test_sdk(&moto, pki.pem("ca.pem")).await;
    let hub_reader = test_connector(pki.pem("ca.pem"));
    let (table, topic) = table_and_topic(&sdk).await;
    let queue = subscribed_queue(&sdk, &topic, None).await;

    // Trusting another CA: the handshake fails, so does delivery and the invocation.
    match invoke_trusting(&moto, None, &pki.path("other-ca.pem"), &table, &topic).await {
        Outcome::Error(v) => {
            assert_eq!(v["errorType"], "trailwatch.DeliveryFailed", "{v}");
            let message = v["errorMessage"].as_str().unwrap_or("");
            assert!(message.contains("certificate"), "{message}");
        }
        other => panic!("an untrusted server certificate was accepted: {other:?}"),
    }
    assert_eq!(drain(&sdk, &queue).await, Vec::<Value>::new());

    // Only Security Hub behind TLS (DynamoDB and SNS on the plain moto): its
    // import, on trailwatch's own connector rather than an SDK client's, is
    // refused for the same reason, and that fails the invocation.
    let plain = Moto::shared();
    let plain_sdk = plain.sdk().await;
    let (plain_table, plain_topic) = table_and_topic(&plain_sdk).await;
    let outcome = invoke_trusting(
        plain,
        Some(&moto.endpoint),
        &pki.path("other-ca.pem"),
        &plain_table,
        &plain_topic,
    )
    .await;
    match outcome {
        Outcome::Error(v) => {
            assert_eq!(v["errorType"], "trailwatch.DeliveryFailed", "{v}");
            let message = v["errorMessage"].as_str().unwrap_or("");
            assert!(
                message.contains("Security Hub BatchImportFindings")
                    && message.contains("certificate"),
                "{message}"
            );
        }
        other => panic!("Security Hub accepted an untrusted certificate: {other:?}"),
    }
    assert_eq!(
        imported(&sdk, &moto.endpoint, &hub_reader).await,
        Vec::<Value>::new()
    );

    // Trusting the test CA: the findings go out over TLS and arrive.
    let sent = match invoke_trusting(&moto, None, &pki.path("ca.pem"), &table, &topic).await {
        Outcome::Response(v) => {
            assert_eq!(v["outcome"], "notified", "{v}");
            finding_ids(&v)
        }
        other => panic!("over TLS with the test CA trusted: {other:?}"),
    };
    assert!(
        sent.iter().any(|(d, _)| d == "cloudtrail-log-suspended"),
        "{sent:?}"
    );
    let hub = imported(&sdk, &moto.endpoint, &hub_reader).await;
    for (_, id) in &sent {
        let copies = hub.iter().filter(|f| f["Id"] == *id).count();
        assert_eq!(copies, 1, "{id} imported over TLS, once: {hub:?}");
    }
    let got = drain_finding_ids(&sdk, &queue).await;
    let mut want = sent;
    want.sort();
    assert_eq!(got, want, "every finding sent arrived, once");
}
