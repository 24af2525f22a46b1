//! `plan` mode: the run's keys, in key order, grouped into batches, written as
//! the manifest the Distributed Map reads.
//!
//! Batches are cut here rather than by the map's `ItemBatcher`: the batcher
//! bounds the JSON size of a batch, not the bytes of the objects it names, and a
//! batch must fit one Lambda invocation's time. A batch holds at most
//! `max_keys_per_batch` keys and `max_bytes_per_batch` compressed bytes (a single
//! larger object is a batch of its own). Its id is its position, zero-padded, so
//! a retried batch writes the same findings object.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tracing::info;

use super::{Backtest, BacktestError, check_run_id};

/// Defaults sized so that a batch takes about a minute (docs/backtest.md).
pub const DEFAULT_MAX_KEYS: usize = 200;
pub const DEFAULT_MAX_BYTES: u64 = 64 << 20;
/// A run lists at most this many keys: the manifest is built in memory. Split
/// larger archives into several executions with one `run_id` (docs/backtest.md).
pub const MAX_KEYS_PER_RUN: usize = 2_000_000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    pub run_id: String,
    /// Key prefixes of the archive bucket to read (e.g. one per account, Region
    /// and month); empty: the whole bucket.
    #[serde(default)]
    pub prefixes: Vec<String>,
    #[serde(default)]
    pub max_keys_per_batch: Option<usize>,
    #[serde(default)]
    pub max_bytes_per_batch: Option<u64>,
}

/// One archive object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Key {
    pub key: String,
    pub size: u64,
}

/// One item of the manifest: what one `batch` invocation reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    pub batch: String,
    pub keys: Vec<Key>,
}

/// Where the manifest of a run is written.
pub fn manifest_key(run_id: &str) -> String {
    format!("{run_id}/manifest.json")
}

/// Keys that are not log files: digests, Insights, folder markers, empty objects.
fn is_log_file(k: &Key) -> bool {
    k.size > 0
        && !k.key.ends_with('/')
        && !k
            .key
            .split('/')
            .any(|part| part == "CloudTrail-Digest" || part == "CloudTrail-Insight")
}

/// Cuts `keys` (in key order) into batches of at most `max_keys` keys and
/// `max_bytes` bytes.
pub fn batches(keys: Vec<Key>, max_keys: usize, max_bytes: u64) -> Vec<Batch> {
    let mut out: Vec<Batch> = Vec::new();
    let mut bytes = 0u64;
    for k in keys {
        let fits = out
            .last()
            .is_some_and(|b| b.keys.len() < max_keys && bytes.saturating_add(k.size) <= max_bytes);
        if !fits {
            out.push(Batch {
                batch: String::new(),
                keys: Vec::new(),
            });
            bytes = 0;
        }
        bytes = bytes.saturating_add(k.size);
        if let Some(b) = out.last_mut() {
            b.keys.push(k);
        }
    }
    let width = out.len().to_string().len().max(6);
    for (i, b) in out.iter_mut().enumerate() {
        b.batch = format!("{i:0width$}");
    }
    out
}

/// Every object under `prefix`, in key order.
async fn list(s3: &aws_sdk_s3::Client, bucket: &str, prefix: &str) -> Result<Vec<Key>, String> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = s3
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .set_continuation_token(token.take())
            .send()
            .await
            .map_err(|e| {
                format!(
                    "S3 ListObjectsV2 of s3://{bucket}/{}: {}",
                    crate::sanitize::one_line(prefix, 300),
                    crate::aws_error::short_cause(&e)
                )
            })?;
        for o in page.contents() {
            if let Some(key) = o.key() {
                out.push(Key {
                    key: key.to_owned(),
                    size: o.size().unwrap_or(0).max(0) as u64,
                });
            }
        }
        if out.len() > MAX_KEYS_PER_RUN {
            return Err(format!(
                "more than {MAX_KEYS_PER_RUN} keys under the prefixes: split the run \
                 (several executions with one run_id, docs/backtest.md)"
            ));
        }
        match page.next_continuation_token() {
            Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_owned()),
            _ => return Ok(out),
        }
    }
}

pub async fn run(bt: &Backtest, input: PlanInput) -> Result<Value, BacktestError> {
    check_run_id(&input.run_id).map_err(BacktestError::Invalid)?;
    let max_keys = input.max_keys_per_batch.unwrap_or(DEFAULT_MAX_KEYS);
    let max_bytes = input.max_bytes_per_batch.unwrap_or(DEFAULT_MAX_BYTES);
    if max_keys == 0 || max_bytes == 0 {
        return Err(BacktestError::Invalid(
            "max_keys_per_batch and max_bytes_per_batch must be positive".into(),
        ));
    }
    let mut prefixes = input.prefixes.clone();
    if prefixes.is_empty() {
        prefixes.push(String::new());
    }
    let bucket = &bt.config.archive_bucket;
    let mut keys = Vec::new();
    for p in &prefixes {
        keys.extend(
            list(&bt.s3, bucket, p)
                .await
                .map_err(BacktestError::Failed)?,
        );
    }
    // Overlapping prefixes list a key twice; key order across prefixes.
    keys.sort_by(|a, b| a.key.cmp(&b.key));
    keys.dedup_by(|a, b| a.key == b.key);
    keys.retain(is_log_file);
    let total_bytes: u64 = keys.iter().map(|k| k.size).sum();
    let total_keys = keys.len();
    let batches = batches(keys, max_keys, max_bytes);
    let manifest_key = manifest_key(&input.run_id);
    let body = serde_json::to_vec(&batches)
        .map_err(|e| BacktestError::Failed(format!("manifest: {e}")))?;
    put(bt, &manifest_key, body, "application/json").await?;
    info!(
        run_id = input.run_id,
        keys = total_keys,
        bytes = total_bytes,
        batches = batches.len(),
        manifest = manifest_key,
        "planned"
    );
    Ok(json!({
        "run_id": input.run_id,
        "manifest": {"bucket": bt.config.results_bucket, "key": manifest_key},
        "keys": total_keys,
        "bytes": total_bytes,
        "batches": batches.len(),
    }))
}

/// Writes one object of the results bucket.
pub(super) async fn put(
    bt: &Backtest,
    key: &str,
    body: Vec<u8>,
    content_type: &str,
) -> Result<(), BacktestError> {
    bt.s3
        .put_object()
        .bucket(&bt.config.results_bucket)
        .key(key)
        .content_type(content_type)
        .body(body.into())
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            BacktestError::Failed(format!(
                "S3 PutObject s3://{}/{key}: {}",
                bt.config.results_bucket,
                crate::aws_error::short_cause(&e)
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(key: &str, size: u64) -> Key {
        Key {
            key: key.into(),
            size,
        }
    }

    #[test]
    fn batches_hold_n_keys_or_b_bytes_and_a_big_object_alone() {
        let keys = vec![k("a", 10), k("b", 10), k("c", 10), k("d", 100), k("e", 1)];
        let got: Vec<(String, Vec<String>)> = batches(keys, 2, 25)
            .into_iter()
            .map(|b| (b.batch, b.keys.into_iter().map(|k| k.key).collect()))
            .collect();
        let want = [
            ("000000", vec!["a", "b"]),
            ("000001", vec!["c"]),
            ("000002", vec!["d"]),
            ("000003", vec!["e"]),
        ];
        assert_eq!(got.len(), want.len(), "{got:?}");
        for ((id, keys), (wid, wkeys)) in got.iter().zip(want) {
            assert_eq!(
                (id.as_str(), keys.clone()),
                (wid, wkeys.iter().map(|s| s.to_string()).collect())
            );
        }
    }

    #[test]
    fn digests_and_markers_are_not_log_files() {
        assert!(is_log_file(&k(
            "AWSLogs/1/CloudTrail/us-east-1/2026/01/01/x.json.gz",
            5
        )));
        assert!(!is_log_file(&k(
            "AWSLogs/1/CloudTrail-Digest/us-east-1/2026/01/01/x.json.gz",
            5
        )));
        assert!(!is_log_file(&k("AWSLogs/1/CloudTrail/", 0)));
        assert!(!is_log_file(&k(
            "AWSLogs/1/CloudTrail/us-east-1/2026/01/01/y.json.gz",
            0
        )));
    }
}
