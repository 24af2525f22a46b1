//! Where a tuning file lives for the functions (`TRAILWATCH_TUNING`): a local path,
//! or an S3 object `s3://BUCKET/KEY`. S3 because a conditional `GetObject`
//! (`If-None-Match` with the last ETag) makes the periodic re-read one cheap
//! request answered `304 Not Modified`, objects have no practical size limit (an
//! SSM parameter stops at 4 KB, 8 KB on the advanced tier: about 40 entries), and
//! bucket versioning keeps every pushed file. docs/tuning.md says more.

use std::path::PathBuf;

/// A tuning file larger than this is refused unread: a function must not run out of
/// memory on a mistaken upload (100 entries take about 40 KB).
pub const MAX_TUNING_BYTES: u64 = 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Local(PathBuf),
    S3 {
        bucket: String,
        key: String,
        /// The account that must own the bucket (`x-amz-expected-bucket-owner`),
        /// when known: see [`Location::owned_by`].
        owner: Option<String>,
    },
}

impl Location {
    pub fn parse(text: &str) -> Result<Location, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("empty tuning location".into());
        }
        if let Some(rest) = text.strip_prefix("s3://") {
            return match rest.split_once('/') {
                Some((bucket, key)) if !bucket.is_empty() && !key.is_empty() => Ok(Location::S3 {
                    bucket: bucket.to_owned(),
                    key: key.to_owned(),
                    owner: None,
                }),
                _ => Err(format!(
                    "{text:?} is not s3://BUCKET/KEY (both parts are needed)"
                )),
            };
        }
        if text.contains("://") || text.starts_with("arn:") {
            return Err(format!(
                "{text:?}: only local paths and s3://BUCKET/KEY are supported"
            ));
        }
        Ok(Location::Local(PathBuf::from(text)))
    }

    /// This S3 location, read only while `account` owns its bucket. A bucket
    /// that is deleted can be created again by anyone: without the check, the
    /// functions would read whatever tuning that account put there (the
    /// templates set [`ENV_BUCKET_OWNER`] to their own account).
    pub fn owned_by(self, account: &str) -> Result<Location, String> {
        if !crate::archive::layout::is_account(account) {
            return Err(format!("{account:?} is not a 12-digit AWS account id"));
        }
        match self {
            Location::S3 { bucket, key, .. } => Ok(Location::S3 {
                bucket,
                key,
                owner: Some(account.to_owned()),
            }),
            Location::Local(_) => {
                Err("a bucket owner applies to an s3://BUCKET/KEY tuning only".into())
            }
        }
    }

    /// The location `TRAILWATCH_TUNING` names (`None`: no tuning), owned by the
    /// account `TRAILWATCH_TUNING_BUCKET_OWNER` names when that is set. `get`
    /// reads a variable, empty counting as unset. Errors name the variable.
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<Option<Location>, String> {
        let location = match get(ENV_LOCATION) {
            None => None,
            Some(text) => Some(Location::parse(&text).map_err(|e| format!("{ENV_LOCATION}: {e}"))?),
        };
        match (location, get(ENV_BUCKET_OWNER)) {
            (location, None) => Ok(location),
            (Some(l), Some(account)) => l
                .owned_by(&account)
                .map(Some)
                .map_err(|e| format!("{ENV_BUCKET_OWNER}: {e}")),
            (None, Some(_)) => Err(format!("{ENV_BUCKET_OWNER} is set without {ENV_LOCATION}")),
        }
    }
}

/// Where the functions' tuning file is: a local path or `s3://BUCKET/KEY`.
pub const ENV_LOCATION: &str = "TRAILWATCH_TUNING";
/// The account that must own the tuning file's bucket (see [`Location::owned_by`]).
pub const ENV_BUCKET_OWNER: &str = "TRAILWATCH_TUNING_BUCKET_OWNER";

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Local(p) => write!(f, "{}", p.display()),
            Location::S3 { bucket, key, .. } => write!(f, "s3://{bucket}/{key}"),
        }
    }
}

/// An S3 client from the standard SDK configuration. With a custom endpoint
/// (`AWS_ENDPOINT_URL`, e.g. moto) it addresses buckets by path.
#[cfg(feature = "aws-chain")]
pub async fn s3_client() -> Result<crate::aws::s3::S3Client, String> {
    let sdk = crate::aws::sdk_config().await.map_err(|e| e.to_string())?;
    Ok(crate::aws::s3::S3Client::new(&sdk))
}

#[cfg(feature = "aws")]
pub async fn put_s3(
    client: &crate::aws::s3::S3Client,
    bucket: &str,
    key: &str,
    bytes: Vec<u8>,
) -> Result<(), String> {
    client
        .put_object(bucket, key, &bytes, "application/toml")
        .await
        .map_err(|e| format!("S3 PutObject: {e}"))
}

/// What a conditional read found.
#[cfg(feature = "aws")]
#[derive(Debug)]
pub enum Fetched {
    /// The ETag given still matches.
    NotModified,
    /// New content and its ETag.
    Body { text: String, etag: Option<String> },
}

/// `GetObject` with `If-None-Match: etag` when one is given, refused by S3
/// unless `owner` (when given) owns the bucket.
#[cfg(feature = "aws")]
pub async fn get_s3(
    client: &crate::aws::s3::S3Client,
    bucket: &str,
    key: &str,
    owner: Option<&str>,
    etag: Option<&str>,
) -> Result<Fetched, String> {
    use crate::aws::s3::{Got, S3Error};
    let limit = usize::try_from(MAX_TUNING_BYTES).unwrap_or(usize::MAX);
    let (bytes, etag) = match client.get_object(bucket, key, owner, etag, limit).await {
        Ok(Got::NotModified) => return Ok(Fetched::NotModified),
        Ok(Got::Object { body, etag }) => (body, etag),
        Err(S3Error::TooLarge(_)) => {
            return Err(format!(
                "s3://{bucket}/{key} is larger than {MAX_TUNING_BYTES} bytes"
            ));
        }
        Err(e) => return Err(format!("S3 GetObject s3://{bucket}/{key}: {e}")),
    };
    let text = super::text_from_bytes(bytes, &format!("s3://{bucket}/{key}"))?;
    Ok(Fetched::Body { text, etag })
}
