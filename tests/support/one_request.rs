//! A server of our own for one HTTP request, for what moto does not check: a
//! header S3 requires or acts on. It answers with the response given and hands
//! back the request's head, lower-cased, for the test to read.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::task::JoinHandle;

/// Listens on a free local port; returns its `http://` endpoint and the task
/// that answers the first request with `response` (status line, headers and
/// body) and yields that request's head.
pub async fn answer_once(response: String) -> (String, JoinHandle<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            socket.read_exact(&mut byte).await.unwrap();
            head.push(byte[0]);
        }
        socket.write_all(response.as_bytes()).await.unwrap();
        String::from_utf8(head).unwrap().to_ascii_lowercase()
    });
    (endpoint, server)
}

/// Asserts that the request `head` (lower-cased) carries the header `name` with
/// `value`, and that its signature covers it.
pub fn assert_signed_header(head: &str, name: &str, value: &str) {
    assert!(head.contains(&format!("\r\n{name}: {value}\r\n")), "{head}");
    let signed = head
        .split("signedheaders=")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .unwrap_or_default();
    assert!(signed.split(';').any(|h| h == name), "{head}");
}

/// What S3 answers a request it refuses, among them one naming an expected
/// bucket owner that does not own the bucket.
pub fn access_denied() -> String {
    let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code>\
                <Message>Access Denied</Message></Error>";
    format!(
        "HTTP/1.1 403 Forbidden\r\ncontent-type: application/xml\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// The functions' AWS configuration (Lambda's variables, test credentials,
/// us-east-1) aimed at `endpoint`.
pub fn sdk_at(endpoint: &str) -> aws_config::SdkConfig {
    let vars = [
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_ENDPOINT_URL", endpoint),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()));
    trailwatch::aws::env::from_vars(vars, aws_config::timeout::TimeoutConfig::builder().build())
        .unwrap()
}

/// A loopback proxy to `target` (`host:port`) that answers AccessDenied to
/// every request whose head holds `refused` (lower-cased) and forwards the
/// others, one request per connection: a bucket policy that lets the caller
/// list some prefixes and not others, which moto does not play.
pub async fn refusing_proxy(target: String, refused: String) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            let (target, refused) = (target.clone(), refused.clone());
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if inbound.read_exact(&mut byte).await.is_err() {
                        return;
                    }
                    head.push(byte[0]);
                }
                let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
                if text.contains(&refused) {
                    let answer = access_denied().replacen("\r\n", "\r\nconnection: close\r\n", 1);
                    let _ = inbound.write_all(answer.as_bytes()).await;
                    return;
                }
                // The answer ends the connection, so the next request comes on
                // a new one; a body (PutObject) follows the head.
                let head = String::from_utf8_lossy(&head);
                let kept: Vec<&str> = head
                    .trim_end()
                    .split("\r\n")
                    .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
                    .collect();
                let forwarded = format!("{}\r\nconnection: close\r\n\r\n", kept.join("\r\n"));
                let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await else {
                    return;
                };
                if outbound.write_all(forwarded.as_bytes()).await.is_err() {
                    return;
                }
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            });
        }
    });
    endpoint
}
