//! The SNS adapter of [`Notifier`]: one `Publish` per finding, with the subject,
//! per-protocol message (`MessageStructure=json`) and attributes built by
//! [`super::message`].
//!
//! The request is built and signed here rather than by aws-sdk-sns, as Security
//! Hub's import and the S3 calls are (`aws::signed`): the SDK client crate
//! brought its endpoint rules, serializers and a parser for every error of the
//! service into each function binary, for this one operation, and took the
//! `backtest` binary past the 6 MB aim (docs/performance.md). It is one `POST /`
//! of a form (`Action=Publish`, query protocol, every value percent-encoded:
//! record text in a finding is attacker-controlled), signed with SigV4 (service
//! `sns`) with the configuration's credentials, and sent through the SDK
//! clients' TLS. The endpoint is found as the SDK client would:
//! `AWS_ENDPOINT_URL_SNS`, else `AWS_ENDPOINT_URL`, else
//! `https://sns[-fips].<region>.<suffix>` (GovCloud's FIPS endpoint is its
//! ordinary host unless dual-stack). Retries as `aws::signed` describes: a
//! throttled, timed-out or 5xx attempt is tried again, at most 3 attempts.

use aws_sigv4::http_request::SigningSettings;
use aws_types::SdkConfig;

use super::message::{self, MachineFormat, SnsMessage};
use super::{Notifier, NotifyError};
use crate::aws::error::MAX_CAUSE_CHARS;
use crate::aws::signed::{self, Failure, Request, Signer};
use crate::finding::Finding;
use crate::sanitize::one_line;

/// The signing name of SNS.
const SERVICE: &str = "sns";
/// The SDK's service id, which names `AWS_ENDPOINT_URL_SNS`.
const SERVICE_ID: &str = "SNS";
const HEADERS: [(&str, &str); 1] = [(
    "content-type",
    "application/x-www-form-urlencoded; charset=utf-8",
)];
/// What is read of a response: a `PublishResponse` is a few hundred bytes.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;
/// How long one `Publish` attempt may wait for its answer, and the whole call,
/// at least (longer when the configuration says so). SNS takes no idempotency
/// token, so an attempt given up while its request lands is a second copy on
/// the retry: under the functions' 2 s attempt limit for every call, an SNS
/// answering in 2.2 s got each finding 6 to 8 times, and the invocation failed
/// anyway (from a review of delivery under faults). A connection that cannot
/// be made still fails within the connect limit: nothing was sent.
pub(crate) const PUBLISH_ATTEMPT: std::time::Duration = std::time::Duration::from_secs(8);
pub(crate) const PUBLISH_OPERATION: std::time::Duration = std::time::Duration::from_secs(12);

/// Sends `Publish` requests with one SDK configuration's credentials, Region,
/// endpoint settings and timeouts. Cheap to clone.
#[derive(Clone, Debug)]
pub struct SnsClient {
    signer: Signer,
    /// The endpoint's URL, or why there is none (the SDK client, too, fails
    /// each call when it cannot resolve an endpoint).
    url: Result<String, String>,
}

impl SnsClient {
    pub fn new(sdk: &SdkConfig) -> SnsClient {
        let mut signer = Signer::new(sdk);
        signer.attempt_timeout = signer.attempt_timeout.map(|t| t.max(PUBLISH_ATTEMPT));
        signer.operation_timeout = signer.operation_timeout.map(|t| t.max(PUBLISH_OPERATION));
        SnsClient {
            signer,
            url: endpoint(sdk),
        }
    }

    /// One `Publish`; the message id SNS gave it.
    async fn publish(&self, publish: &Publish<'_>) -> Result<String, String> {
        let body = publish.form();
        let url = self.url.as_deref().map_err(|e| e.clone())?;
        let request = Request {
            method: "POST",
            url,
            headers: &HEADERS,
            body: body.as_bytes(),
        };
        self.signer
            .call(
                SERVICE,
                &SigningSettings::default(),
                &request,
                &[],
                MAX_RESPONSE_BYTES,
                |r| parse_response(r.status, &r.body),
            )
            .await
            .map_err(|f| f.cause)
    }
}

/// What one `Publish` sends.
struct Publish<'a> {
    topic_arn: &'a str,
    message: &'a str,
    subject: Option<&'a str>,
    /// `MessageStructure=json`: `message` holds one text per protocol.
    per_protocol: bool,
    attributes: &'a [(&'static str, message::Attribute)],
}

impl Publish<'_> {
    /// The form body of the request, every name and value percent-encoded.
    fn form(&self) -> String {
        let mut fields: Vec<(String, &str)> = vec![
            ("Action".into(), "Publish"),
            ("Version".into(), "2010-03-31"),
            ("TopicArn".into(), self.topic_arn),
            ("Message".into(), self.message),
        ];
        if let Some(subject) = self.subject {
            fields.push(("Subject".into(), subject));
        }
        if self.per_protocol {
            fields.push(("MessageStructure".into(), "json"));
        }
        for (n, (name, attr)) in self.attributes.iter().enumerate() {
            let entry = format!("MessageAttributes.entry.{}", n + 1);
            fields.push((format!("{entry}.Name"), name));
            fields.push((format!("{entry}.Value.DataType"), attr.data_type()));
            fields.push((format!("{entry}.Value.StringValue"), attr.value()));
        }
        let mut out = String::new();
        for (i, (name, value)) in fields.iter().enumerate() {
            if i > 0 {
                out.push('&');
            }
            percent_encode(name, &mut out);
            out.push('=');
            percent_encode(value, &mut out);
        }
        out
    }
}

/// `text` percent-encoded into `out`: every byte but the unreserved characters
/// of RFC 3986, as the SDK encodes a query-protocol form.
fn percent_encode(text: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
    }
}

/// The text of the first `<tag>` element of an XML answer, unescaped. The
/// answers are small and come from SNS (or whatever answers at its
/// endpoint): read bounded, never executed.
fn element<'b>(body: &'b str, tag: &str) -> Option<std::borrow::Cow<'b, str>> {
    let open = format!("<{tag}>");
    let start = body.find(&open)? + open.len();
    let end = body[start..].find(&format!("</{tag}>"))? + start;
    let raw = body[start..end].trim();
    if !raw.contains('&') {
        return Some(std::borrow::Cow::Borrowed(raw));
    }
    Some(std::borrow::Cow::Owned(
        raw.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    ))
}

/// A response's status and body as the message id or a failure. A 2xx answer
/// without a message id is not taken as delivery (a proxy, a wrong endpoint): a
/// permanent failure of this call, so the invocation fails and Lambda's retry
/// tries again.
fn parse_response(status: u16, body: &[u8]) -> Result<String, Failure> {
    let text = String::from_utf8_lossy(body);
    if (200..300).contains(&status) {
        return element(&text, "MessageId")
            .filter(|id| !id.is_empty())
            .map(|id| id.into_owned())
            .ok_or_else(|| Failure::permanent("answered without a MessageId"));
    }
    let code = element(&text, "Code").filter(|c| !c.is_empty());
    let message = element(&text, "Message").filter(|m| !m.is_empty());
    Err(signed::service_failure(
        status,
        code.as_deref(),
        message.as_deref(),
        &TRANSIENT_CODES,
    ))
}

/// The error codes tried again besides 429 and 5xx answers.
const TRANSIENT_CODES: [&str; 11] = [
    "Throttling",
    "Throttled",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "TooManyRequestsException",
    "RequestTimeout",
    "RequestTimeoutException",
    "KMSThrottling",
    "InternalError",
    "InternalFailure",
];

/// The base URL of SNS for `sdk` (see the module doc). GovCloud's FIPS
/// endpoint is its ordinary host unless dual-stack: the SDK's rules name no
/// `sns-fips` host there (from a review).
fn endpoint(sdk: &SdkConfig) -> Result<String, String> {
    signed::service_endpoint(sdk, SERVICE_ID, SERVICE, true)
}

/// Publishes findings to one SNS topic.
#[derive(Clone, Debug)]
pub struct SnsNotifier {
    client: SnsClient,
    topic_arn: String,
    format: MachineFormat,
}

impl SnsNotifier {
    pub fn new(client: SnsClient, topic_arn: impl Into<String>) -> SnsNotifier {
        SnsNotifier {
            client,
            topic_arn: topic_arn.into(),
            format: MachineFormat::Json,
        }
    }

    /// What the JSON protocols get (`TRAILWATCH_FINDINGS_FORMAT`).
    pub fn with_format(mut self, format: MachineFormat) -> SnsNotifier {
        self.format = format;
        self
    }

    /// Publishes `message` as is (no per-protocol structure, no subject), with
    /// the finding's message attributes: the chat topic's custom notifications.
    pub async fn publish_plain(
        &self,
        message: &str,
        attributes: &[(&'static str, message::Attribute)],
    ) -> Result<String, NotifyError> {
        self.send(&Publish {
            topic_arn: &self.topic_arn,
            message,
            subject: None,
            per_protocol: false,
            attributes,
        })
        .await
    }

    pub fn topic_arn(&self) -> &str {
        &self.topic_arn
    }

    /// Sends an already built message; returns the SNS message id.
    pub async fn publish(&self, m: &SnsMessage) -> Result<String, NotifyError> {
        self.send(&Publish {
            topic_arn: &self.topic_arn,
            message: &m.message,
            subject: Some(&m.subject),
            per_protocol: true,
            attributes: &m.attributes,
        })
        .await
    }

    /// Sends, and names the topic in an error.
    async fn send(&self, publish: &Publish<'_>) -> Result<String, NotifyError> {
        self.client.publish(publish).await.map_err(|cause| {
            NotifyError(format!(
                "SNS Publish to {} failed: {}",
                self.topic_arn,
                one_line(&cause, MAX_CAUSE_CHARS)
            ))
        })
    }
}

impl Notifier for SnsNotifier {
    async fn notify(&self, finding: &Finding) -> Result<(), NotifyError> {
        self.publish(&message::build_as(finding, self.format))
            .await
            .map(|_| ())
    }

    fn destinations(&self) -> Vec<&'static str> {
        vec!["findings-topic"]
    }
}

/// Sends each finding as an AWS Chatbot custom notification to the chat topic
/// (a topic of its own: Chatbot subscribes over HTTPS, and so may existing
/// subscribers of the findings topic that expect trailwatch's JSON).
#[derive(Clone, Debug)]
pub struct ChatNotifier(pub SnsNotifier);

impl Notifier for ChatNotifier {
    async fn notify(&self, finding: &Finding) -> Result<(), NotifyError> {
        let text = crate::sanitize::json_line(crate::render::chat::render(finding).to_string());
        self.0
            .publish_plain(&text, &message::attributes(finding))
            .await
            .map(|_| ())
    }

    fn destinations(&self) -> Vec<&'static str> {
        vec!["chat-topic"]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attribute(value: &str) -> message::Attribute {
        message::Attribute::String(value.to_owned())
    }

    /// Every value is percent-encoded: record text cannot add a field of its own.
    #[test]
    fn the_form_encodes_every_value_and_numbers_the_attributes() {
        let attributes = [
            ("severity", attribute("high")),
            ("detection_id", attribute("x&Action=DeleteTopic")),
        ];
        let form = Publish {
            topic_arn: "arn:aws:sns:us-east-1:111122223333:findings",
            message: "{\"default\":\"a b=c&d ü\"}",
            subject: Some("[HIGH] x"),
            per_protocol: true,
            attributes: &attributes,
        }
        .form();
        let fields: Vec<&str> = form.split('&').collect();
        assert_eq!(fields[0], "Action=Publish");
        assert_eq!(fields[1], "Version=2010-03-31");
        assert_eq!(
            fields[2],
            "TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A111122223333%3Afindings"
        );
        assert_eq!(
            fields[3],
            "Message=%7B%22default%22%3A%22a%20b%3Dc%26d%20%C3%BC%22%7D"
        );
        assert_eq!(fields[4], "Subject=%5BHIGH%5D%20x");
        assert_eq!(fields[5], "MessageStructure=json");
        assert_eq!(fields[6], "MessageAttributes.entry.1.Name=severity");
        assert_eq!(fields[7], "MessageAttributes.entry.1.Value.DataType=String");
        assert_eq!(
            fields[8],
            "MessageAttributes.entry.1.Value.StringValue=high"
        );
        assert_eq!(
            fields[11],
            "MessageAttributes.entry.2.Value.StringValue=x%26Action%3DDeleteTopic"
        );
        assert_eq!(fields.len(), 12);
        let plain = Publish {
            topic_arn: "t",
            message: "m",
            subject: None,
            per_protocol: false,
            attributes: &[],
        };
        assert_eq!(
            plain.form(),
            "Action=Publish&Version=2010-03-31&TopicArn=t&Message=m"
        );
    }

    #[test]
    fn answers_give_the_message_id_or_a_short_cause() {
        let ok = br#"<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>5f1c2d3e-0000-4abc-8def-0123456789ab</MessageId></PublishResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishResponse>"#;
        assert_eq!(
            parse_response(200, ok).unwrap(),
            "5f1c2d3e-0000-4abc-8def-0123456789ab"
        );
        let missing = parse_response(200, b"<html>ok</html>").unwrap_err();
        assert!(
            !missing.transient && missing.cause.contains("MessageId"),
            "{missing:?}"
        );
        let not_found = br#"<ErrorResponse><Error><Type>Sender</Type><Code>NotFound</Code><Message>Topic does not exist</Message></Error><RequestId>r</RequestId></ErrorResponse>"#;
        let f = parse_response(404, not_found).unwrap_err();
        assert_eq!(f.cause, "HTTP 404: NotFound: Topic does not exist");
        assert!(!f.transient);
        let throttled = br#"<ErrorResponse><Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>"#;
        assert!(parse_response(400, throttled).unwrap_err().transient);
        for code in ["Throttled", "KMSThrottling", "InternalError"] {
            let body = format!("<ErrorResponse><Error><Code>{code}</Code></Error></ErrorResponse>");
            assert!(
                parse_response(400, body.as_bytes()).unwrap_err().transient,
                "{code}"
            );
        }
        let double = br#"<ErrorResponse><Error><Code>X</Code><Message>&amp;lt;</Message></Error></ErrorResponse>"#;
        assert_eq!(
            parse_response(400, double).unwrap_err().cause,
            "HTTP 400: X: &lt;"
        );
        assert!(parse_response(503, b"").unwrap_err().transient);
        let escaped = br#"<ErrorResponse><Error><Code>InvalidParameter</Code><Message>a &lt;b&gt; &amp; c</Message></Error></ErrorResponse>"#;
        assert_eq!(
            parse_response(400, escaped).unwrap_err().cause,
            "HTTP 400: InvalidParameter: a <b> & c"
        );
    }

    /// From a review of delivery under faults: an SNS answering in 2.5 s,
    /// past the functions' 2 s attempt limit for other calls, got each finding
    /// several times (every attempt had landed) and the call failed anyway.
    /// One request now, answered.
    #[tokio::test]
    async fn a_slow_answer_is_waited_for_not_sent_again() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(AtomicUsize::new(0));
        let counted = requests.clone();
        let server = tokio::spawn(async move {
            loop {
                let (mut socket, _) = listener.accept().await.unwrap();
                let counted = counted.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 64 * 1024];
                    let _ = socket.read(&mut buf).await;
                    counted.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
                    let body = "<PublishResponse><PublishResult><MessageId>m-1</MessageId>\
                                </PublishResult></PublishResponse>";
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = socket.write_all(answer.as_bytes()).await;
                });
            }
        });
        let vars = [
            ("AWS_REGION", "us-east-1".to_owned()),
            ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "secret".to_owned()),
            ("AWS_ENDPOINT_URL", format!("http://{addr}")),
        ]
        .map(|(k, v)| (k.to_owned(), v));
        // The functions' limits for every other call (`lambda::timeouts`).
        let timeouts = aws_types::sdk_config::TimeoutConfig::builder()
            .connect_timeout(std::time::Duration::from_secs(2))
            .operation_attempt_timeout(std::time::Duration::from_secs(2))
            .operation_timeout(std::time::Duration::from_secs(5))
            .build();
        let sdk = crate::aws::env::from_vars(vars, timeouts).unwrap();
        let client = SnsClient::new(&sdk);
        let publish = Publish {
            topic_arn: "arn:aws:sns:us-east-1:111122223333:findings",
            message: "m",
            subject: None,
            per_protocol: false,
            attributes: &[],
        };
        assert_eq!(client.publish(&publish).await.as_deref(), Ok("m-1"));
        assert_eq!(requests.load(Ordering::SeqCst), 1);
        server.abort();
    }

    #[test]
    fn the_endpoint_is_the_configured_one_else_the_regions() {
        let sdk = |extra: &[(&str, &str)]| signed::test_config("eu-west-1", extra);
        assert_eq!(
            endpoint(&sdk(&[])).unwrap(),
            "https://sns.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            endpoint(&sdk(&[("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")])).unwrap(),
            "http://127.0.0.1:5000"
        );
        assert_eq!(
            endpoint(&sdk(&[("AWS_ENDPOINT_URL_SNS", "http://127.0.0.1:5001")])).unwrap(),
            "http://127.0.0.1:5001"
        );
        assert_eq!(
            endpoint(&signed::test_config("cn-north-1", &[])).unwrap(),
            "https://sns.cn-north-1.amazonaws.com.cn"
        );
        let at = |region: &str, extra: &[(&str, &str)]| {
            endpoint(&signed::test_config(region, extra)).unwrap()
        };
        let fips = ("AWS_USE_FIPS_ENDPOINT", "true");
        let dual = ("AWS_USE_DUALSTACK_ENDPOINT", "true");
        assert_eq!(
            at("us-east-1", &[fips]),
            "https://sns-fips.us-east-1.amazonaws.com"
        );
        assert_eq!(at("us-east-1", &[dual]), "https://sns.us-east-1.api.aws");
        assert_eq!(
            at("us-east-1", &[fips, dual]),
            "https://sns-fips.us-east-1.api.aws"
        );
        // GovCloud: FIPS at the ordinary host, as the SDK's rules say.
        assert_eq!(
            at("us-gov-west-1", &[fips]),
            "https://sns.us-gov-west-1.amazonaws.com"
        );
        assert_eq!(
            at("us-gov-west-1", &[fips, dual]),
            "https://sns-fips.us-gov-west-1.api.aws"
        );
    }
}
