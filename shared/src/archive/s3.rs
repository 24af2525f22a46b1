//! Reads a CloudTrail archive from S3 along a [`Plan`]: ListObjectsV2 with
//! Delimiter "/" for the levels the plan does not know, plain listings of the day
//! folders it keeps, then GetObject of the kept keys, several at once, delivered
//! in order ([`layout::sort_day`] within a day, days in order).
//!
//! Memory is bounded: at most `max_objects` objects are in flight (downloading,
//! decoding, or waiting for the caller), a new download starts only while the
//! bytes in flight are under `max_bytes` (an object counts its compressed size
//! until decoded, then what the decoded value holds: [`Held`]), and the keys of
//! one day are listed at a time. A key that cannot be read (AccessDenied,
//! deleted since the listing, a body cut off after retries) is delivered as an
//! error for the caller to report; a bucket that does not exist or credentials
//! that do not work end the walk with an error.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use tokio::runtime::Handle;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, mpsc, oneshot};
use tokio::task::{JoinHandle, JoinSet};

use super::layout::{self, Plan, Step};
use crate::aws::error::short_cause;
use crate::sanitize::one_line;

/// An S3 client from the SDK's usual chain (credentials, Region, profile). A
/// configured endpoint (`AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, or a profile's
/// `endpoint_url`: moto, MinIO) gets path-style addressing, which such servers
/// need; it is read from the loaded configuration as the SDK reads it, so that
/// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` applies and a profile's endpoint counts
/// (from a review; the functions' own client decides the same way).
pub async fn client() -> Result<Client, String> {
    let sdk = crate::aws::sdk_config()
        .await
        .map_err(|_| "no AWS Region configured (set AWS_REGION to the bucket's Region)")?;
    let custom = crate::aws::signed::configured_endpoint(&sdk, "S3").is_some();
    let conf = aws_sdk_s3::config::Builder::from(&sdk)
        .force_path_style(custom)
        .build();
    Ok(Client::from_conf(conf))
}

/// Bounds of one archive read.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Objects in flight at once (downloading, decoding or waiting in order).
    pub max_objects: usize,
    /// Bytes in flight: no download starts while objects downloading (their
    /// compressed size) and decoded (what they hold) reach this. An object
    /// larger than this still goes, alone.
    pub max_bytes: u64,
    /// An object larger than this is not downloaded (reported instead).
    pub max_object_bytes: u64,
    /// Day-folder listings run at once.
    pub list_concurrency: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_objects: 16,
            max_bytes: 256 << 20,
            max_object_bytes: 4 << 30,
            list_concurrency: 8,
        }
    }
}

/// Holds an object's share of the in-flight bounds until dropped.
pub struct Permit {
    _objects: OwnedSemaphorePermit,
    _bytes: Share,
}

/// What a decoded object keeps in memory until the caller drops it: the walk
/// counts it against `max_bytes` in place of the compressed size, so files that
/// decode to many kept records hold back new downloads.
pub trait Held {
    fn held_bytes(&self) -> u64;
}

/// The bytes in flight. Unlike a semaphore, a share may grow past the bound
/// once its object is in memory (an object is never dropped for it); only new
/// downloads wait, until the total is back under it.
struct Budget {
    used: Mutex<u64>,
    max: u64,
    freed: Notify,
}

impl Budget {
    fn new(max: u64) -> Arc<Budget> {
        Arc::new(Budget {
            used: Mutex::new(0),
            max: max.max(1),
            freed: Notify::new(),
        })
    }

    #[cfg(test)]
    fn used(&self) -> u64 {
        *self
            .used
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A share of `bytes`, once the total is under the bound (at once when
    /// nothing is in flight, so an object larger than the bound goes alone).
    /// One task waits at a time (the walk), so `notify_one`'s stored wake-up
    /// cannot be lost between the check and the wait.
    async fn enter(self: &Arc<Self>, bytes: u64) -> Share {
        loop {
            {
                let mut used = self
                    .used
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if *used + bytes.min(self.max) <= self.max {
                    *used += bytes;
                    return Share {
                        budget: Arc::clone(self),
                        bytes,
                    };
                }
            }
            self.freed.notified().await;
        }
    }
}

/// One object's part of a [`Budget`], given back when dropped.
struct Share {
    budget: Arc<Budget>,
    bytes: u64,
}

impl Share {
    /// The object now holds `bytes` (decoded: more or less than it took).
    fn resize(&mut self, bytes: u64) {
        let mut used = self
            .budget
            .used
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *used = used.saturating_sub(self.bytes) + bytes;
        drop(used);
        if bytes < self.bytes {
            self.budget.freed.notify_one();
        }
        self.bytes = bytes;
    }
}

impl Drop for Share {
    fn drop(&mut self) {
        self.resize(0);
    }
}

/// What the walk delivers, in order.
pub enum Delivery<T> {
    /// An object: its key, listed size and the decoder's result (or why it could
    /// not be read). Drop `permit` once done with it.
    Object {
        key: String,
        size: u64,
        outcome: Result<T, String>,
        permit: Permit,
    },
    /// A prefix that could not be listed: what is under it is not read.
    Unlisted { prefix: String, cause: String },
    /// A key whose download ended without a result (its task stopped).
    Lost { key: String, cause: String },
}

/// Requests made, for the summary.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Walked {
    pub list_requests: u64,
    pub keys_listed: u64,
    pub keys_read: u64,
    /// Folder levels listed (accounts, Regions, years...), and the folders
    /// they held: listings that found nothing mean nothing is under the PREFIX.
    pub folder_listings: u64,
    pub folders_found: u64,
}

enum Pending<T> {
    Object {
        key: String,
        done: oneshot::Receiver<Delivery<T>>,
    },
    Unlisted {
        prefix: String,
        cause: String,
    },
}

/// A walk under way: [`Reader::next_blocking`] hands over deliveries in order.
pub struct Reader<T> {
    rx: mpsc::Receiver<Pending<T>>,
    task: JoinHandle<Result<Walked, String>>,
    handle: Handle,
    /// The walk's [`Walk::fatal`]: a download that fails for good after the
    /// walk has started its last one still ends the read with an error.
    fatal: Fatal,
}

/// The first error a download met that no other request would escape: set by
/// the download tasks, read by the walk before each download and by
/// [`Reader::finish`].
#[derive(Clone, Default)]
struct Fatal(Arc<Mutex<Option<String>>>);

impl Fatal {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Keeps the first error: `cause` is built only for it.
    fn set(&self, cause: impl FnOnce() -> String) {
        self.lock().get_or_insert_with(cause);
    }

    fn get(&self) -> Option<String> {
        self.lock().clone()
    }
}

/// The decoder of downloaded bytes, run on the runtime's blocking threads (which
/// bound how many decode at once).
pub type Decode<T> = Arc<dyn Fn(&str, Vec<u8>) -> T + Send + Sync>;

/// The bucket read, and the account that must own it: with an owner, S3 refuses
/// every request (403 AccessDenied) when another account owns the bucket, so an
/// archive bucket deleted and created again elsewhere under its name is not read.
#[derive(Debug, Clone)]
pub struct Bucket {
    pub name: String,
    pub expected_owner: Option<String>,
}

/// Starts reading `bucket` along `plan` on `handle`'s runtime.
pub fn start<T: Held + Send + 'static>(
    handle: &Handle,
    client: Client,
    bucket: Bucket,
    plan: Plan,
    options: Options,
    decode: Decode<T>,
) -> Reader<T> {
    let (tx, rx) = mpsc::channel(options.max_objects.max(1));
    let fatal = Fatal::default();
    let walk = Walk {
        client,
        bucket,
        proven: false,
        held: Vec::new(),
        fatal: fatal.clone(),
        plan,
        options,
        decode,
        tx,
        objects: Arc::new(Semaphore::new(options.max_objects.max(1))),
        bytes: Budget::new(options.max_bytes),
        walked: Walked::default(),
    };
    Reader {
        rx,
        task: handle.spawn(walk.run()),
        handle: handle.clone(),
        fatal,
    }
}

impl<T> Reader<T> {
    /// The next delivery, waiting for it; `None` once the walk is over. Call from
    /// outside the runtime.
    pub fn next_blocking(&mut self) -> Option<Delivery<T>> {
        match self.rx.blocking_recv()? {
            // A download task that ended without a word (it panicked) loses
            // its key, never the rest of the walk (from a review).
            Pending::Object { key, done } => {
                Some(done.blocking_recv().unwrap_or_else(|_| Delivery::Lost {
                    cause: format!(
                        "{}: its download stopped before it was read",
                        one_line(&key, 300)
                    ),
                    key,
                }))
            }
            Pending::Unlisted { prefix, cause } => Some(Delivery::Unlisted { prefix, cause }),
        }
    }

    /// How the walk ended: its counts, or why it could not go on.
    pub fn finish(self) -> Result<Walked, String> {
        drop(self.rx);
        let walked = self
            .handle
            .block_on(self.task)
            .map_err(|e| format!("S3 reader stopped: {e}"))??;
        self.fatal.get().map_or(Ok(walked), Err)
    }
}

struct Walk<T> {
    client: Client,
    bucket: Bucket,
    /// A listing has succeeded: the bucket and the credentials work, so a
    /// refusal is one folder's (skipped), not the whole walk's.
    proven: bool,
    /// Folders refused before any listing succeeded: reported once one does,
    /// the walk's error if none does. Whether a refusal ends the walk must not
    /// depend on how the folders sort (a policy that lets the caller list one
    /// account's prefix and not another's; from a review).
    held: Vec<(String, String)>,
    /// Set by a download that met an error no other request would escape
    /// (expired credentials): the walk stops at its next step.
    fatal: Fatal,
    plan: Plan,
    options: Options,
    decode: Decode<T>,
    tx: mpsc::Sender<Pending<T>>,
    objects: Arc<Semaphore>,
    bytes: Arc<Budget>,
    walked: Walked,
}

/// Listing failures that end the walk: nothing else would be readable either.
const FATAL_CODES: &[&str] = &[
    "NoSuchBucket",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
    "TokenRefreshRequired",
    "PermanentRedirect",
    "AuthorizationHeaderMalformed",
];

enum ListError {
    Fatal(String),
    Skip(String),
}

/// Folders refused before any listing succeeded that end the walk: a caller
/// who may list nothing (no `s3:ListBucket`, another owner than
/// `--expected-bucket-owner`) is told after this many requests, not after one
/// per planned folder; a policy that refuses some accounts' prefixes rarely
/// refuses this many before one it allows.
const MAX_HELD_REFUSALS: usize = 256;

impl<T: Held + Send + 'static> Walk<T> {
    async fn run(mut self) -> Result<Walked, String> {
        let mut days: Vec<(i64, String)> = Vec::new();
        let mut todo: Vec<Step> = self.plan.start();
        todo.reverse();
        // Depth first, in S3's order; the first listing proves the bucket and the
        // credentials, so any failure of it ends the walk.
        while let Some(step) = todo.pop() {
            match step {
                Step::Day { prefix, day } => days.push((day, prefix)),
                Step::List { prefix, level } => {
                    let found = match self.list(&prefix, true).await {
                        Ok((folders, _)) => {
                            self.prove().await;
                            self.walked.folder_listings += 1;
                            self.walked.folders_found += folders.len() as u64;
                            folders
                        }
                        Err(ListError::Fatal(e)) => return Err(e),
                        Err(ListError::Skip(cause)) => {
                            self.refused(prefix, cause).await?;
                            continue;
                        }
                    };
                    let mut next = self.plan.expand(&prefix, level, &found);
                    next.reverse();
                    todo.extend(next);
                }
            }
        }
        days.sort();
        let mut at = 0;
        while at < days.len() {
            let day = days[at].0;
            let end = days[at..]
                .iter()
                .position(|(d, _)| *d != day)
                .map_or(days.len(), |n| at + n);
            let prefixes: Vec<String> = days[at..end].iter().map(|(_, p)| p.clone()).collect();
            at = end;
            let mut keys = self.list_day(prefixes).await?;
            let sizes: std::collections::HashMap<String, u64> = keys.iter().cloned().collect();
            let mut names: Vec<String> = keys.drain(..).map(|(k, _)| k).collect();
            layout::sort_day(&mut names);
            for key in names {
                self.stop_if_fatal()?;
                let size = sizes.get(&key).copied().unwrap_or(0);
                if !self.fetch(key, size).await {
                    return Ok(self.walked);
                }
            }
        }
        if !self.proven && !self.held.is_empty() {
            return Err(self.none_listed());
        }
        // A plan of day folders alone lists no folder: nothing found may be a
        // quiet range or a PREFIX with nothing under it; one listing of the
        // PREFIX tells (from a review).
        if self.walked.keys_listed == 0 && self.walked.folder_listings == 0 {
            let root = self.plan.scope_prefix();
            if let Ok((folders, objects)) = self.list(&root, true).await {
                self.walked.folder_listings += 1;
                self.walked.folders_found += (folders.len() + objects.len()) as u64;
            }
        }
        Ok(self.walked)
    }

    /// The walk's error when a download met one that ends it.
    fn stop_if_fatal(&self) -> Result<(), String> {
        self.fatal.get().map_or(Ok(()), Err)
    }

    async fn unlisted(&self, prefix: String, cause: String) {
        // A closed channel means the caller stopped: nothing more to say.
        let _ = self.tx.send(Pending::Unlisted { prefix, cause }).await;
    }

    /// A folder that could not be listed (see [`Walk::held`]). `Err` once
    /// [`MAX_HELD_REFUSALS`] folders are refused before any listing succeeded.
    async fn refused(&mut self, prefix: String, cause: String) -> Result<(), String> {
        if self.proven {
            self.unlisted(prefix, cause).await;
        } else {
            self.held.push((prefix, cause));
            if self.held.len() >= MAX_HELD_REFUSALS {
                return Err(self.none_listed());
            }
        }
        Ok(())
    }

    /// The walk's error when folders were refused and none was listed.
    fn none_listed(&self) -> String {
        match self.held.as_slice() {
            [] => "nothing could be listed".to_owned(),
            [(_, cause)] => cause.clone(),
            [(_, cause), rest @ ..] => {
                format!(
                    "{cause} (and {} more folders refused, none listed)",
                    rest.len()
                )
            }
        }
    }

    /// A listing succeeded: the folders refused before it are reported.
    async fn prove(&mut self) {
        if !self.proven {
            self.proven = true;
            for (prefix, cause) in std::mem::take(&mut self.held) {
                self.unlisted(prefix, cause).await;
            }
        }
    }

    /// The kept keys (and sizes) of one day's folders, listed a few at a time.
    async fn list_day(&mut self, prefixes: Vec<String>) -> Result<Vec<(String, u64)>, String> {
        let mut out = Vec::new();
        for chunk in prefixes.chunks(self.options.list_concurrency.max(1)) {
            let mut set = JoinSet::new();
            for (i, prefix) in chunk.iter().enumerate() {
                let (client, bucket, prefix) =
                    (self.client.clone(), self.bucket.clone(), prefix.clone());
                set.spawn(async move { (i, list(&client, &bucket, &prefix, false).await) });
            }
            let mut results: Vec<Option<ListResult>> = (0..chunk.len()).map(|_| None).collect();
            while let Some(done) = set.join_next().await {
                let (i, result) = done.map_err(|e| format!("S3 listing stopped: {e}"))?;
                results[i] = Some(result);
            }
            for (prefix, result) in chunk.iter().zip(results) {
                let Some((requests, result)) = result else {
                    continue;
                };
                self.walked.list_requests += requests;
                match result {
                    Ok((_, objects)) => {
                        self.prove().await;
                        self.walked.keys_listed += objects.len() as u64;
                        out.extend(objects.into_iter().filter(|(k, _)| self.plan.keep(k)));
                    }
                    Err(ListError::Fatal(e)) => return Err(e),
                    Err(ListError::Skip(cause)) => self.refused(prefix.clone(), cause).await?,
                }
            }
        }
        Ok(out)
    }

    async fn list(
        &mut self,
        prefix: &str,
        folders: bool,
    ) -> Result<(Vec<String>, Vec<(String, u64)>), ListError> {
        let (requests, result) = list(&self.client, &self.bucket, prefix, folders).await;
        self.walked.list_requests += requests;
        result
    }

    /// Starts one download; `false` once the caller has stopped listening.
    async fn fetch(&mut self, key: String, size: u64) -> bool {
        // Taken in key order, so the oldest object never waits for a later one.
        let Ok(objects) = Arc::clone(&self.objects).acquire_owned().await else {
            return false;
        };
        let mut bytes = self.bytes.enter(size).await;
        let (done_tx, done_rx) = oneshot::channel();
        let pending = Pending::Object {
            key: key.clone(),
            done: done_rx,
        };
        if self.tx.send(pending).await.is_err() {
            return false;
        }
        self.walked.keys_read += 1;
        let (client, bucket, decode) = (
            self.client.clone(),
            self.bucket.clone(),
            self.decode.clone(),
        );
        let max = self.options.max_object_bytes;
        let fatal = self.fatal.clone();
        tokio::spawn(async move {
            let outcome = match get(&client, &bucket, &key, max).await {
                Ok(body) => {
                    let name = key.clone();
                    tokio::task::spawn_blocking(move || decode(&name, body))
                        .await
                        .map_err(|e| format!("decoding stopped: {e}"))
                }
                Err(GetError { cause, ends_walk }) => {
                    if ends_walk {
                        fatal.set(|| {
                            format!(
                                "cannot read s3://{}/{}: {cause}",
                                bucket.name,
                                one_line(&key, 300)
                            )
                        });
                    }
                    Err(cause)
                }
            };
            // The body is gone; what stays until the caller is done is the
            // decoded value.
            bytes.resize(outcome.as_ref().map_or(0, Held::held_bytes));
            let permit = Permit {
                _objects: objects,
                _bytes: bytes,
            };
            let _ = done_tx.send(Delivery::Object {
                key,
                size,
                outcome,
                permit,
            });
        });
        true
    }
}

type ListResult = (u64, Result<(Vec<String>, Vec<(String, u64)>), ListError>);

/// One prefix, every page: the folders (with `folders`, Delimiter "/") or the
/// objects; with the number of requests made.
async fn list(client: &Client, bucket: &Bucket, prefix: &str, folders: bool) -> ListResult {
    let mut requests = 0;
    let mut found = (Vec::new(), Vec::new());
    let mut token: Option<String> = None;
    loop {
        requests += 1;
        let mut req = client
            .list_objects_v2()
            .bucket(&bucket.name)
            .set_expected_bucket_owner(bucket.expected_owner.clone())
            .prefix(prefix)
            .set_continuation_token(token.clone());
        if folders {
            req = req.delimiter("/");
        }
        let page = match req.send().await {
            Ok(p) => p,
            Err(e) => return (requests, Err(list_error(&e, &bucket.name, prefix))),
        };
        found.0.extend(
            page.common_prefixes()
                .iter()
                .filter_map(|p| p.prefix().map(str::to_owned)),
        );
        found.1.extend(page.contents().iter().filter_map(|o| {
            let size = o.size().and_then(|s| u64::try_from(s).ok()).unwrap_or(0);
            o.key().map(|k| (k.to_owned(), size))
        }));
        if page.is_truncated() != Some(true) {
            return (requests, Ok(found));
        }
        // A truncated page must lead to a new one: without a token the rest
        // of the folder would be dropped unsaid, and a token given again would
        // never end.
        match page.next_continuation_token() {
            Some(t) if token.as_deref() != Some(t) => token = Some(t.to_owned()),
            _ => {
                let cause = format!(
                    "cannot list s3://{}/{}: a truncated page without a new continuation token",
                    bucket.name,
                    one_line(prefix, 300)
                );
                return (requests, Err(ListError::Skip(cause)));
            }
        }
    }
}

fn list_error<E, R>(e: &SdkError<E, R>, bucket: &str, prefix: &str) -> ListError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    let text = format!(
        "cannot list s3://{bucket}/{}: {}",
        one_line(prefix, 300),
        short_cause(e)
    );
    if ends_walk(e) {
        ListError::Fatal(text)
    } else {
        // A refusal of one folder, or a timeout or broken connection after the
        // SDK's retries: that folder is reported and skipped (or, before any
        // listing succeeded, held: `Walk::held`), not a whole replay lost.
        ListError::Skip(text)
    }
}

/// An S3 error no other request of the walk would escape: the bucket is gone,
/// the credentials are refused or expired, the bucket is in another Region, or
/// the request could not be built or sent for a reason other than the network
/// (no credentials, or credentials that failed to load or refresh: the SDK
/// reports those as a dispatch failure of kind "other"; from a review). A
/// timeout or a broken connection is one folder's or key's.
fn ends_walk<E, R>(e: &SdkError<E, R>) -> bool
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    match e {
        SdkError::ServiceError(se) => se.err().code().is_some_and(|c| FATAL_CODES.contains(&c)),
        SdkError::ConstructionFailure(_) => true,
        SdkError::DispatchFailure(d) => {
            let transient =
                d.as_other() == Some(aws_smithy_types::retry::ErrorKind::TransientError);
            !(d.is_timeout() || d.is_io() || transient)
        }
        _ => false,
    }
}

/// Why one key could not be read.
struct GetError {
    cause: String,
    /// The walk cannot go on either ([`ends_walk`]).
    ends_walk: bool,
}

/// Tries for a body that breaks off mid-download (the SDK retries the request
/// itself, not the reading of its body).
const BODY_ATTEMPTS: u32 = 3;

/// GetObject, the whole body.
async fn get(client: &Client, bucket: &Bucket, key: &str, max: u64) -> Result<Vec<u8>, GetError> {
    let cut = |cause: String| GetError {
        cause,
        ends_walk: false,
    };
    let mut attempt = 0;
    loop {
        attempt += 1;
        let out = client
            .get_object()
            .bucket(&bucket.name)
            .set_expected_bucket_owner(bucket.expected_owner.clone())
            .key(key)
            .send()
            .await
            .map_err(|e| GetError {
                cause: short_cause(&e),
                ends_walk: ends_walk(&e),
            })?;
        let len = out
            .content_length()
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(0);
        if len > max {
            return Err(cut(format!(
                "object of {len} bytes is over the {max}-byte limit (--max-file-bytes)"
            )));
        }
        match out.body.collect().await {
            Ok(bytes) => return Ok(bytes.to_vec()),
            Err(e) if attempt >= BODY_ATTEMPTS => {
                return Err(cut(format!(
                    "body cut off: {}",
                    one_line(&e.to_string(), 300)
                )));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200 << attempt)).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;

    /// Whether `enter` would grant `bytes` now (polled once, not awaited).
    fn enters_now(budget: &Arc<Budget>, bytes: u64) -> Option<Share> {
        let mut entering = std::pin::pin!(budget.enter(bytes));
        let waker = std::task::Waker::noop();
        match entering
            .as_mut()
            .poll(&mut std::task::Context::from_waker(waker))
        {
            std::task::Poll::Ready(share) => Some(share),
            std::task::Poll::Pending => None,
        }
    }

    /// From a review: credentials that fail to load or refresh come back as a
    /// dispatch failure of kind "other" and end the walk; a timeout or a broken
    /// connection is one folder's or key's.
    #[test]
    fn failed_credentials_end_the_walk_and_a_timeout_does_not() {
        use aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Error;
        use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
        use aws_smithy_runtime_api::client::result::ConnectorError;
        type Error = SdkError<ListObjectsV2Error, HttpResponse>;
        let cause = || -> Box<dyn std::error::Error + Send + Sync> { "no credentials".into() };
        let other: Error = SdkError::dispatch_failure(ConnectorError::other(cause(), None));
        let timeout: Error = SdkError::dispatch_failure(ConnectorError::timeout(cause()));
        let io: Error = SdkError::dispatch_failure(ConnectorError::io(cause()));
        assert!(ends_walk(&other));
        assert!(!ends_walk(&timeout));
        assert!(!ends_walk(&io));
        assert!(!ends_walk(&Error::timeout_error(cause())));
        assert!(ends_walk(&Error::construction_failure(cause())));
    }

    #[test]
    fn an_object_larger_than_the_bound_goes_alone() {
        let budget = Budget::new(100);
        let big = enters_now(&budget, 500).expect("nothing in flight: it goes");
        assert_eq!(budget.used(), 500);
        assert!(enters_now(&budget, 1).is_none(), "nothing goes beside it");
        drop(big);
        assert_eq!(budget.used(), 0);
        assert!(enters_now(&budget, 60).is_some());
    }

    #[test]
    fn decoded_objects_count_what_they_hold_not_what_they_took() {
        let budget = Budget::new(100);
        let mut first = enters_now(&budget, 40).expect("room");
        let _second = enters_now(&budget, 40).expect("room");
        // Compressed, the first took 40; decoded, it keeps 1,000 bytes of
        // records: no new download starts until it is handed over.
        first.resize(1_000);
        assert_eq!(budget.used(), 1_040);
        assert!(enters_now(&budget, 10).is_none());
        drop(first);
        assert_eq!(budget.used(), 40);
        assert!(enters_now(&budget, 10).is_some());
        // A file the prefilter keeps little of makes room as soon as it is decoded.
        let mut third = enters_now(&budget, 60).expect("room");
        assert!(enters_now(&budget, 10).is_none());
        third.resize(5);
        assert_eq!(budget.used(), 45);
        assert!(enters_now(&budget, 10).is_some());
    }

    #[tokio::test]
    async fn a_waiting_download_starts_once_room_is_made() {
        let budget = Budget::new(100);
        let held = budget.enter(90).await;
        let waiting = {
            let budget = Arc::clone(&budget);
            tokio::spawn(async move { budget.enter(50).await.bytes })
        };
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        drop(held);
        assert_eq!(waiting.await.expect("entered"), 50);
    }
}
