//! The S3 calls of the functions, signed and sent by us (`aws::signed`): the
//! tuning file's `GetObject` (conditional) and `PutObject`, and the backtest's
//! `ListObjectsV2`, `GetObject` and `PutObject`.
//!
//! Why not aws-sdk-s3: it brings its response checksums, and with them crc-fast,
//! whose software fallback picks one of some fifty CRC tables at run time, so
//! link-time optimisation keeps them all. Dropping the SDK client took about
//! 0.45 MB off every arm64 function binary (README, Performance), for three
//! operations. What is given up: the SDK's checksum check of downloads (S3 still
//! checks uploads against the signed SHA-256, and a log file's gzip CRC covers
//! its bytes). The command line's archive reader (`archive/s3.rs`) keeps the SDK
//! client.
//!
//! Addressing: with a configured endpoint (`AWS_ENDPOINT_URL_S3`, else
//! `AWS_ENDPOINT_URL`; moto in the tests) buckets are addressed by path
//! (`<endpoint>/<bucket>/<key>`), which every S3-compatible endpoint and S3's
//! interface endpoints take (the SDK client was configured so when
//! `AWS_ENDPOINT_URL` was set). Otherwise, as the SDK client does, a bucket whose
//! name is a DNS label goes in the host name
//! (`https://<bucket>.s3.<region>.<suffix>/<key>`) and a dotted one in the path,
//! as does an older us-east-1 name with capitals or underscores
//! (`archive::layout::bucket_name`).
//! FIPS gives `s3-fips`, dual-stack `s3.dualstack` (or `s3-fips.dualstack`), both
//! on the partition's own suffix; FIPS in the China partition, which has none, is
//! refused as the SDK refuses it. A test holds these URLs to the SDK's own rules.
//! Keys are percent-encoded byte by byte except letters, digits, `-._~` and `/`,
//! and signed as sent (S3 signs the path once-encoded and unnormalised, with
//! the payload's SHA-256 in `x-amz-content-sha256`).
//!
//! Errors keep S3's code (`NoSuchKey`, `AccessDenied`, ...) so callers can tell a
//! key that will never be read from a call worth retrying; throttling (`SlowDown`),
//! 5xx answers, timeouts and broken connections are retried here first.

use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SigningSettings, UriPathNormalizationMode,
};
use aws_smithy_xml::decode::{Document, ScopedDecoder, try_data};
use aws_types::SdkConfig;

use super::signed::{self, Failure, Request, Response, Signer};
use crate::archive::layout::{BucketName, bucket_name};
use crate::aws::error::MAX_CAUSE_CHARS;
use crate::sanitize::one_line;

/// The signing name of S3, and the SDK's service id (`AWS_ENDPOINT_URL_S3`).
const SERVICE: &str = "s3";
const SERVICE_ID: &str = "S3";
/// What is read of a listing: a page of 1,000 keys is
/// a few hundred kilobytes.
const MAX_LISTING_BYTES: usize = 16 * 1024 * 1024;
/// What is read of a `PutObject` answer (empty when it succeeds).
const MAX_PUT_ANSWER_BYTES: usize = 64 * 1024;

/// An S3 client for the calls above.
#[derive(Clone, Debug)]
pub struct S3Client {
    signer: Signer,
    endpoint: Endpoint,
}

#[derive(Clone, Debug)]
enum Endpoint {
    /// A configured endpoint: path-style addressing under it.
    Configured(String),
    /// The Region's S3 host (`s3.<region>.<suffix>` and its FIPS and dual-stack
    /// forms), or why there is none.
    Regional(Result<String, String>),
}

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum S3Error {
    /// S3 answered with an error that retrying will not change.
    Service {
        status: u16,
        code: Option<String>,
        message: Option<String>,
    },
    /// The object is larger than the caller reads.
    TooLarge(String),
    /// No answer, or transient errors until the attempts ran out, or the request
    /// could not be made.
    Other(String),
}

impl S3Error {
    /// S3's error code (`NoSuchKey`, `AccessDenied`, ...), when it gave one.
    pub fn code(&self) -> Option<&str> {
        match self {
            S3Error::Service { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            S3Error::Service { status, .. } => Some(*status),
            _ => None,
        }
    }
}

impl std::fmt::Display for S3Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            S3Error::Service {
                status,
                code,
                message,
            } => {
                write!(f, "HTTP {status}")?;
                if let Some(c) = code {
                    write!(f, ": {c}")?;
                }
                if let Some(m) = message {
                    write!(f, ": {m}")?;
                }
                Ok(())
            }
            S3Error::TooLarge(cause) | S3Error::Other(cause) => f.write_str(cause),
        }
    }
}

impl std::error::Error for S3Error {}

/// What a `GetObject` found.
#[derive(Debug, PartialEq, Eq)]
pub enum Got {
    /// The `If-None-Match` ETag still matches.
    NotModified,
    Object {
        body: Vec<u8>,
        etag: Option<String>,
    },
}

/// One page of a listing.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ListPage {
    /// Keys and sizes, in S3's (key) order.
    pub objects: Vec<(String, u64)>,
    /// With a delimiter: the common prefixes ("folders").
    pub prefixes: Vec<String>,
    /// The token of the next page, when the listing is truncated.
    pub next: Option<String>,
}

impl S3Client {
    /// A client with `sdk`'s credentials, Region, endpoint settings and timeouts.
    pub fn new(sdk: &SdkConfig) -> S3Client {
        let endpoint = match signed::configured_endpoint(sdk, SERVICE_ID) {
            Some(url) => Endpoint::Configured(url.trim_end_matches('/').to_owned()),
            None => Endpoint::Regional(match sdk.region() {
                None => Err("no AWS region configured".to_owned()),
                Some(r) => regional_host(
                    r.as_ref(),
                    sdk.use_fips().unwrap_or(false),
                    sdk.use_dual_stack().unwrap_or(false),
                ),
            }),
        };
        S3Client {
            signer: Signer::new(sdk),
            endpoint,
        }
    }

    /// The first byte of an object (`GetObject` with `Range: bytes=0-0`): whether
    /// S3 and KMS let the object be read at all, for the price of one byte. An
    /// empty object (416, no byte to give) is readable.
    pub async fn first_byte(
        &self,
        bucket: &str,
        key: &str,
        expected_owner: Option<&str>,
    ) -> Result<(), S3Error> {
        let url = self.url(bucket, Some(key), &[]).map_err(S3Error::Other)?;
        let owner = owner_header(expected_owner);
        let headers: Vec<(&str, &str)> =
            owner.into_iter().chain([("range", "bytes=0-0")]).collect();
        let request = Request {
            method: "GET",
            url: &url,
            headers: &headers,
            body: &[],
        };
        self.call(&request, &[], 64, |r| match r.status {
            200..=299 | 416 => Ok(()),
            _ => Err(r),
        })
        .await
    }

    /// `GetObject`, with `If-None-Match` when an ETag is given; an object over
    /// `max_bytes` is [`S3Error::TooLarge`]. With `expected_owner` (an account
    /// id), S3 refuses (403) to read a bucket another account owns: a bucket
    /// deleted and created again elsewhere under the same name is not read.
    pub async fn get_object(
        &self,
        bucket: &str,
        key: &str,
        expected_owner: Option<&str>,
        if_none_match: Option<&str>,
        max_bytes: usize,
    ) -> Result<Got, S3Error> {
        let url = self.url(bucket, Some(key), &[]).map_err(S3Error::Other)?;
        let owner = owner_header(expected_owner);
        let condition = if_none_match.map(|etag| ("if-none-match", etag));
        let headers: Vec<(&str, &str)> = owner.into_iter().chain(condition).collect();
        let request = Request {
            method: "GET",
            url: &url,
            headers: &headers,
            body: &[],
        };
        self.call(&request, &["etag"], max_bytes, |r| match r.status {
            200..=299 => Ok(Got::Object {
                etag: r.headers.into_iter().next().flatten(),
                body: r.body,
            }),
            304 => Ok(Got::NotModified),
            _ => Err(r),
        })
        .await
    }

    /// `PutObject` of `body` with its content type.
    pub async fn put_object(
        &self,
        bucket: &str,
        key: &str,
        body: &[u8],
        content_type: &str,
    ) -> Result<(), S3Error> {
        let url = self.url(bucket, Some(key), &[]).map_err(S3Error::Other)?;
        // S3 refuses a PUT without a length (411), and the HTTP client sends none
        // for an empty body.
        let length = body.len().to_string();
        let request = Request {
            method: "PUT",
            url: &url,
            headers: &[("content-type", content_type), ("content-length", &length)],
            body,
        };
        self.call(&request, &[], MAX_PUT_ANSWER_BYTES, |r| match r.status {
            200..=299 => Ok(()),
            _ => Err(r),
        })
        .await
    }

    /// One page of `ListObjectsV2` of `prefix`, with `delimiter` if given, from
    /// the page `token` names; refused (403) when `expected_owner` is given and
    /// another account owns the bucket.
    pub async fn list_objects_v2(
        &self,
        bucket: &str,
        expected_owner: Option<&str>,
        prefix: &str,
        delimiter: Option<&str>,
        token: Option<&str>,
    ) -> Result<ListPage, S3Error> {
        let mut query = vec![("list-type", "2"), ("prefix", prefix)];
        query.extend(delimiter.map(|d| ("delimiter", d)));
        query.extend(token.map(|t| ("continuation-token", t)));
        let url = self.url(bucket, None, &query).map_err(S3Error::Other)?;
        let owner: Vec<(&str, &str)> = owner_header(expected_owner).into_iter().collect();
        let request = Request {
            method: "GET",
            url: &url,
            headers: &owner,
            body: &[],
        };
        let body = self
            .call(&request, &[], MAX_LISTING_BYTES, |r| match r.status {
                200..=299 => Ok(r.body),
                _ => Err(r),
            })
            .await?;
        parse_listing(&body).map_err(|e| S3Error::Other(format!("unreadable listing: {e}")))
    }

    /// Sends `request`: `answer` takes a response as the result, or hands it
    /// back as an error response (judged here: transient ones are retried).
    async fn call<T>(
        &self,
        request: &Request<'_>,
        read_headers: &[&str],
        max_body: usize,
        answer: impl Fn(Response) -> Result<T, Response>,
    ) -> Result<T, S3Error> {
        let settings = signing_settings();
        let outcome = self
            .signer
            .call(
                SERVICE,
                &settings,
                request,
                read_headers,
                max_body,
                |r| match answer(r) {
                    Ok(v) => Ok(Ok(v)),
                    Err(r) => {
                        let error = service_error(&r);
                        if transient(&error) {
                            Err(Failure::new(error.to_string(), true))
                        } else {
                            Ok(Err(error))
                        }
                    }
                },
            )
            .await;
        match outcome {
            Ok(result) => result,
            Err(f) if f.over_limit => Err(S3Error::TooLarge(f.cause)),
            Err(f) => Err(S3Error::Other(one_line(&f.cause, MAX_CAUSE_CHARS))),
        }
    }

    /// The URL of `key` in `bucket` (or of the bucket, for a listing), with the
    /// query `query`.
    fn url(
        &self,
        bucket: &str,
        key: Option<&str>,
        query: &[(&str, &str)],
    ) -> Result<String, String> {
        let Some(rules) = bucket_name(bucket) else {
            return Err(format!(
                "{:?} is not an S3 bucket name",
                one_line(bucket, 80)
            ));
        };
        if key == Some("") {
            return Err("an empty S3 key".to_owned());
        }
        let path = key.map(encode_key);
        // By path, `<base>/<bucket>[/<key>]`; by host name, `https://<bucket>.<host>/[<key>]`.
        let by_path = |base: &str| match &path {
            Some(p) => format!("{base}/{bucket}/{p}"),
            None => format!("{base}/{bucket}"),
        };
        let mut url = match &self.endpoint {
            Endpoint::Configured(base) => by_path(base),
            Endpoint::Regional(host) => {
                let host = host.as_ref().map_err(Clone::clone)?;
                if bucket.contains('.') || rules == BucketName::Legacy {
                    // A dotted name does not match the wildcard certificate,
                    // and a legacy one (capitals, underscores) is no host name.
                    by_path(&format!("https://{host}"))
                } else {
                    format!("https://{bucket}.{host}/{}", path.unwrap_or_default())
                }
            }
        };
        for (i, (name, value)) in query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(name);
            url.push('=');
            url.push_str(&encode(value, false));
        }
        Ok(url)
    }
}

/// S3's signing: the path signed as sent (encoded once, not normalised), and the
/// payload's SHA-256 sent in `x-amz-content-sha256`.
fn signing_settings() -> SigningSettings {
    let mut s = SigningSettings::default();
    s.percent_encoding_mode = PercentEncodingMode::Single;
    s.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    s.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    s
}

/// The header that makes S3 refuse (403) a request to a bucket `account` does
/// not own.
fn owner_header(account: Option<&str>) -> Option<(&'static str, &str)> {
    account.map(|a| ("x-amz-expected-bucket-owner", a))
}

/// `s3[-fips][.dualstack].<region>.<suffix>`.
fn regional_host(region: &str, fips: bool, dual_stack: bool) -> Result<String, String> {
    // S3's dual-stack hosts keep the partition's own suffix.
    let (suffix, _) = signed::partition(region)?;
    // The China partition has no FIPS endpoints: refused here, as the SDK
    // refuses it, rather than at the request with a name that does not resolve.
    if fips && suffix == "amazonaws.com.cn" {
        return Err(format!(
            "S3 has no FIPS endpoints in {region} (the China partition): unset AWS_USE_FIPS_ENDPOINT"
        ));
    }
    let name = match (fips, dual_stack) {
        (false, false) => "s3",
        (true, false) => "s3-fips",
        (false, true) => "s3.dualstack",
        (true, true) => "s3-fips.dualstack",
    };
    Ok(format!("{name}.{region}.{suffix}"))
}

/// A key for the path: every byte but letters, digits, `-._~` and `/`
/// percent-encoded.
fn encode_key(key: &str) -> String {
    encode(key, true)
}

fn encode(text: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'.' | b'_' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An error answer's code and message, from S3's XML error document when there
/// is one (a `HEAD` or a 304 has none).
fn service_error(r: &Response) -> S3Error {
    let (code, message) = error_document(&r.body).unwrap_or_default();
    S3Error::Service {
        status: r.status,
        code: code.map(|c| one_line(&c, 100)),
        message: message.map(|m| one_line(&m, 300)),
    }
}

/// Worth another attempt: throttling, S3's internal errors and timeouts.
fn transient(e: &S3Error) -> bool {
    let S3Error::Service { status, code, .. } = e else {
        return false;
    };
    matches!(status, 429 | 500 | 502 | 503 | 504)
        || matches!(
            code.as_deref(),
            Some(
                "SlowDown"
                    | "InternalError"
                    | "RequestTimeout"
                    | "ServiceUnavailable"
                    | "Throttling"
            )
        )
}

/// `<Error><Code>..</Code><Message>..</Message></Error>`; other elements (some
/// errors add nested details) are skipped unread.
fn error_document(body: &[u8]) -> Option<(Option<String>, Option<String>)> {
    let mut doc = Document::try_from(body).ok()?;
    let mut root = doc.root_element().ok()?;
    if !root.start_el().matches("Error") {
        return None;
    }
    let (mut code, mut message) = (None, None);
    while let Some(mut tag) = root.next_tag() {
        let slot = if tag.start_el().matches("Code") {
            &mut code
        } else if tag.start_el().matches("Message") {
            &mut message
        } else {
            continue;
        };
        *slot = text_of(&mut tag).ok().filter(|t| !t.is_empty());
    }
    Some((code, message))
}

fn text_of(tag: &mut ScopedDecoder<'_, '_>) -> Result<String, String> {
    try_data(tag)
        .map(|t| t.into_owned())
        .map_err(|e| e.to_string())
}

/// A `ListObjectsV2` answer: `Contents` (`Key`, `Size`), `CommonPrefixes`
/// (`Prefix`), `IsTruncated`, `NextContinuationToken`.
fn parse_listing(body: &[u8]) -> Result<ListPage, String> {
    // The XML reader takes a document cut short for a complete one: a listing
    // must end with its closing tag, or keys would go missing unreported.
    if !body.trim_ascii_end().ends_with(b"</ListBucketResult>") {
        return Err("the listing is not complete".to_owned());
    }
    let mut doc = Document::try_from(body).map_err(|e| e.to_string())?;
    let mut root = doc.root_element().map_err(|e| e.to_string())?;
    if !root.start_el().matches("ListBucketResult") {
        return Err(format!(
            "<{}> instead of <ListBucketResult>",
            root.start_el().local()
        ));
    }
    let mut page = ListPage::default();
    let (mut truncated, mut token) = (false, None);
    while let Some(mut tag) = root.next_tag() {
        let name = tag.start_el().local().to_owned();
        match name.as_str() {
            "Contents" => {
                let (mut key, mut size) = (None, 0u64);
                while let Some(mut field) = tag.next_tag() {
                    let field_name = field.start_el().local().to_owned();
                    match field_name.as_str() {
                        "Key" => key = Some(text_of(&mut field)?),
                        "Size" => {
                            let text = text_of(&mut field)?;
                            size = text
                                .trim()
                                .parse()
                                .map_err(|_| format!("size {:?}", one_line(&text, 40)))?;
                        }
                        _ => {}
                    }
                }
                let key = key.ok_or("an object without a key")?;
                page.objects.push((key, size));
            }
            "CommonPrefixes" => {
                while let Some(mut field) = tag.next_tag() {
                    if field.start_el().matches("Prefix") {
                        page.prefixes.push(text_of(&mut field)?);
                    }
                }
            }
            "IsTruncated" => truncated = text_of(&mut tag)?.trim() == "true",
            "NextContinuationToken" => token = Some(text_of(&mut tag)?),
            _ => {}
        }
    }
    if truncated {
        page.next = Some(
            token
                .filter(|t| !t.is_empty())
                .ok_or("a truncated listing without a continuation token")?,
        );
    }
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    fn sdk(extra: &[(&str, &str)]) -> SdkConfig {
        crate::aws::signed::test_config("eu-west-1", extra)
    }

    #[test]
    fn buckets_go_in_the_host_name_unless_an_endpoint_is_configured() {
        let url = |extra: &[(&str, &str)], bucket: &str, key: Option<&str>| {
            S3Client::new(&sdk(extra)).url(bucket, key, &[])
        };
        assert_eq!(
            url(&[], "tuning-bucket", Some("trailwatch/tuning.toml")).unwrap(),
            "https://tuning-bucket.s3.eu-west-1.amazonaws.com/trailwatch/tuning.toml"
        );
        assert_eq!(
            url(&[], "logs.example.com", Some("a")).unwrap(),
            "https://s3.eu-west-1.amazonaws.com/logs.example.com/a"
        );
        assert_eq!(
            url(
                &[
                    ("AWS_USE_FIPS_ENDPOINT", "true"),
                    ("AWS_USE_DUALSTACK_ENDPOINT", "true")
                ],
                "b-1",
                Some("k")
            )
            .unwrap(),
            "https://b-1.s3-fips.dualstack.eu-west-1.amazonaws.com/k"
        );
        assert_eq!(
            url(&[("AWS_REGION", "cn-north-1")], "b-1", Some("k")).unwrap(),
            "https://b-1.s3.cn-north-1.amazonaws.com.cn/k"
        );
        assert_eq!(
            url(
                &[
                    ("AWS_REGION", "eu-isoe-west-1"),
                    ("AWS_USE_DUALSTACK_ENDPOINT", "true")
                ],
                "b-1",
                Some("k")
            )
            .unwrap(),
            "https://b-1.s3.dualstack.eu-isoe-west-1.cloud.adc-e.uk/k"
        );
        assert_eq!(
            url(
                &[("AWS_ENDPOINT_URL", "http://127.0.0.1:5000/")],
                "b-1",
                Some("k")
            )
            .unwrap(),
            "http://127.0.0.1:5000/b-1/k"
        );
        assert_eq!(
            url(
                &[
                    ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
                    ("AWS_ENDPOINT_URL_S3", "https://s3.example:8443")
                ],
                "b-1",
                None
            )
            .unwrap(),
            "https://s3.example:8443/b-1"
        );
        // An older us-east-1 bucket (capitals, underscores, longer names) is
        // reached by path: it is no host name.
        assert_eq!(
            url(
                &[("AWS_REGION", "us-east-1")],
                "Old_Trail_Logs",
                Some("AWSLogs/k")
            )
            .unwrap(),
            "https://s3.us-east-1.amazonaws.com/Old_Trail_Logs/AWSLogs/k"
        );
        assert_eq!(
            url(&[], &"a".repeat(64), None).unwrap(),
            format!("https://s3.eu-west-1.amazonaws.com/{}", "a".repeat(64))
        );
        for bad in [
            "",
            "ab",
            "a/b",
            "evil.example#",
            "-ab",
            "..x",
            "a b c",
            &"a".repeat(256),
        ] {
            assert!(url(&[], bad, Some("k")).is_err(), "{bad:?}");
        }
        assert!(url(&[], "b-1", Some("")).is_err());
    }

    /// Our addressing is the SDK's: the S3 client's own endpoint rules give the
    /// same URL for each kind of name, Region and endpoint variant.
    #[cfg(feature = "aws-chain")]
    #[test]
    fn buckets_are_addressed_as_the_sdk_s_endpoint_rules_address_them() {
        use aws_sdk_s3::config::endpoint::{DefaultResolver, Params, ResolveEndpoint};
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let long_legacy = "a".repeat(64);
        for bucket in [
            "b-1",
            "logs.example.com",
            "Old_Trail_Logs",
            long_legacy.as_str(),
        ] {
            let variants = [
                "us-east-1",
                "eu-west-1",
                "us-gov-west-1",
                "cn-north-1",
                "eusc-de-east-1",
                "us-iso-east-1",
                "us-isob-east-1",
                "eu-isoe-west-1",
                "us-isof-south-1",
            ]
            .into_iter()
            .flat_map(|r| {
                [
                    (r, false, false),
                    (r, true, false),
                    (r, false, true),
                    (r, true, true),
                ]
            });
            for (region, fips, dual_stack) in variants {
                let mut extra = vec![("AWS_REGION", region)];
                if fips {
                    extra.push(("AWS_USE_FIPS_ENDPOINT", "true"));
                }
                if dual_stack {
                    extra.push(("AWS_USE_DUALSTACK_ENDPOINT", "true"));
                }
                let ours = S3Client::new(&sdk(&extra)).url(bucket, None, &[]);
                let params = Params::builder()
                    .bucket(bucket)
                    .region(region)
                    .use_fips(fips)
                    .use_dual_stack(dual_stack)
                    .build()
                    .unwrap();
                let resolver = DefaultResolver::new();
                let theirs = rt.block_on(resolver.resolve_endpoint(&params));
                let case = format!("{bucket} {region} fips={fips} dual-stack={dual_stack}");
                match (ours, theirs) {
                    (Ok(ours), Ok(theirs)) => assert_eq!(
                        ours.trim_end_matches('/'),
                        theirs.url().trim_end_matches('/'),
                        "{case}"
                    ),
                    // A combination the partition does not offer is refused by both.
                    (Err(_), Err(_)) => {}
                    (ours, theirs) => panic!("{case}: ours {ours:?}, the SDK's {theirs:?}"),
                }
            }
        }
    }

    #[test]
    fn keys_and_query_values_are_percent_encoded() {
        let c = S3Client::new(&sdk(&[("AWS_ENDPOINT_URL", "http://localhost:5000")]));
        assert_eq!(
            c.url(
                "b-1",
                Some("AWSLogs/o-ab/111122223333/CloudTrail/eu-west-1/2026/01/01/x_y-z~.json.gz"),
                &[]
            )
            .unwrap(),
            "http://localhost:5000/b-1/AWSLogs/o-ab/111122223333/CloudTrail/eu-west-1/2026/01/01/x_y-z~.json.gz"
        );
        assert_eq!(
            c.url("b-1", Some("a b/ü?#%+&="), &[]).unwrap(),
            "http://localhost:5000/b-1/a%20b/%C3%BC%3F%23%25%2B%26%3D"
        );
        assert_eq!(
            c.url(
                "b-1",
                None,
                &[
                    ("list-type", "2"),
                    ("prefix", "AWSLogs/o-1/"),
                    ("continuation-token", "a+b/c=")
                ]
            )
            .unwrap(),
            "http://localhost:5000/b-1?list-type=2&prefix=AWSLogs%2Fo-1%2F&continuation-token=a%2Bb%2Fc%3D"
        );
    }

    #[tokio::test]
    async fn requests_are_signed_for_s3_with_the_payload_hash() {
        let c = S3Client::new(&sdk(&[("AWS_SESSION_TOKEN", "token")]));
        let url = c.url("b-1", Some("a b.toml"), &[]).unwrap();
        let request = Request {
            method: "PUT",
            url: &url,
            headers: &[("content-type", "application/toml")],
            body: b"x = 1\n",
        };
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600);
        let r = c
            .signer
            .sign(SERVICE, &signing_settings(), &request, at)
            .await
            .unwrap();
        assert_eq!(r.uri(), "https://b-1.s3.eu-west-1.amazonaws.com/a%20b.toml");
        let h = |n: &str| r.headers().get(n).map(str::to_owned);
        // SHA-256 of the body.
        assert_eq!(
            h("x-amz-content-sha256").as_deref(),
            Some("9e26bf369911c45c243c684147b23fc9e1dcfcf257d299a1c632016a6fcd33f4")
        );
        let auth = h("authorization").unwrap();
        assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-west-1/s3/aws4_request, SignedHeaders="), "{auth}");
        for signed_header in [
            "content-type",
            "host",
            "x-amz-content-sha256",
            "x-amz-date",
            "x-amz-security-token",
        ] {
            assert!(auth.contains(signed_header), "{signed_header} in {auth}");
        }
    }

    /// AWS's own worked examples of S3 signatures (Amazon S3 API reference,
    /// "Examples: Signature Calculations in AWS Signature Version 4"): the same
    /// request signed with our settings gives the published signature.
    #[tokio::test]
    async fn the_signing_matches_aws_s_published_s3_examples() {
        use aws_credential_types::Credentials;
        use aws_credential_types::provider::SharedCredentialsProvider;
        let credentials = SharedCredentialsProvider::new(Credentials::new(
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            None,
            None,
            "example",
        ));
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_369_353_600); // 2013-05-24
        let signature = |url: &'static str, headers: &'static [(&'static str, &'static str)]| {
            let credentials = credentials.clone();
            async move {
                let request = Request {
                    method: "GET",
                    url,
                    headers,
                    body: &[],
                };
                let r = signed::signed(
                    SERVICE,
                    &signing_settings(),
                    "us-east-1",
                    &credentials,
                    &request,
                    at,
                )
                .await
                .unwrap();
                let auth = r.headers().get("authorization").unwrap().to_owned();
                auth.rsplit("Signature=").next().unwrap().to_owned()
            }
        };
        // GET Object, with a Range header.
        assert_eq!(
            signature(
                "https://examplebucket.s3.amazonaws.com/test.txt",
                &[("range", "bytes=0-9")]
            )
            .await,
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
        // GET Bucket (a listing): the query canonicalised.
        assert_eq!(
            signature(
                "https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J",
                &[]
            )
            .await,
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"
        );
    }

    #[test]
    fn listings_are_read_with_prefixes_and_the_next_token() {
        let page = parse_listing(
            br#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b-1</Name><Prefix>AWSLogs/</Prefix>
<KeyCount>3</KeyCount><MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>
<Contents><Key>AWSLogs/a&amp;b.json.gz</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>&quot;x&quot;</ETag><Size>1234</Size><StorageClass>STANDARD</StorageClass></Contents>
<Contents><Key>AWSLogs/c.json.gz</Key><Size>0</Size></Contents>
<CommonPrefixes><Prefix>AWSLogs/111122223333/</Prefix></CommonPrefixes>
<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken></ListBucketResult>"#,
        )
        .unwrap();
        assert_eq!(
            page,
            ListPage {
                objects: vec![
                    ("AWSLogs/a&b.json.gz".into(), 1234),
                    ("AWSLogs/c.json.gz".into(), 0)
                ],
                prefixes: vec!["AWSLogs/111122223333/".into()],
                next: Some("1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=".into()),
            }
        );
        let last =
            parse_listing(b"<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>")
                .unwrap();
        assert_eq!(last, ListPage::default());
        for bad in [
            &b"<Error><Code>x</Code></Error>"[..],
            b"not xml",
            b"<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>",
            b"<ListBucketResult><Contents><Key>k</Key><Size>-1</Size></Contents></ListBucketResult>",
            b"<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
            b"<ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken></NextContinuationToken></ListBucketResult>",
            // Cut short: the reader alone would take it for a whole listing.
            b"<ListBucketResult><Contents><Key>b</Key><Si",
            b"<ListBucketResult><Contents><Key>a</Key></Contents></Wrong><Contents><Key>b</Key></Contents>",
        ] {
            assert!(parse_listing(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn errors_keep_s3_s_code_and_only_transient_ones_are_retried() {
        let response = |status, body: &[u8]| Response {
            status,
            headers: vec![],
            body: body.to_vec(),
        };
        let e = service_error(&response(
            404,
            b"<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>k</Key></Error>",
        ));
        assert_eq!(e.code(), Some("NoSuchKey"));
        assert_eq!(
            e.to_string(),
            "HTTP 404: NoSuchKey: The specified key does not exist."
        );
        assert!(!transient(&e));
        let slow = service_error(&response(503, b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"));
        assert!(transient(&slow));
        let bare = service_error(&response(403, b""));
        assert_eq!((bare.code(), bare.to_string().as_str()), (None, "HTTP 403"));
        // Nested details do not lose the code.
        let detailed = service_error(&response(
            403,
            b"<Error><Code>AccessDenied</Code><Details><Reason>x</Reason></Details><Message>Access Denied</Message></Error>",
        ));
        assert_eq!(
            detailed.to_string(),
            "HTTP 403: AccessDenied: Access Denied"
        );
        // A hostile message stays one line.
        let odd = service_error(&response(
            400,
            b"<Error><Code>X</Code><Message>a\nb</Message></Error>",
        ));
        assert!(!odd.to_string().contains('\n'), "{odd}");
        assert!(transient(&service_error(&response(500, b"<html>"))));
    }

    #[tokio::test]
    async fn a_refused_connection_is_a_short_error_after_the_retries() {
        let mut c = S3Client::new(&sdk(&[("AWS_ENDPOINT_URL", "http://127.0.0.1:9")]));
        c.signer.operation_timeout = Some(Duration::from_millis(500));
        let e = c
            .get_object("b-1", "k", None, None, 1024)
            .await
            .unwrap_err();
        let text = e.to_string();
        assert!(matches!(e, S3Error::Other(_)), "{e:?}");
        assert!(
            text.contains("timed out") || text.contains("connection failed: "),
            "{text}"
        );
        assert!(!text.contains('\n'));
    }
}
