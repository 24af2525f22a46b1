//! `plan` mode: the run's keys, in time order, grouped into batches, written as
//! the manifest the Distributed Map reads.
//!
//! Which keys: the archive layout's prefix planning (`archive::layout`, shared
//! with `trailwatch replay s3://`): each requested prefix is read as a place in
//! the CloudTrail layout, accounts and Regions not asked for are never listed,
//! and with `since`/`until` only the day folders that can hold such records are
//! (then the file names' delivery minutes narrow the keys). Each batch carries the
//! filter, and the batch keeps only the records inside it.
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
use crate::archive::layout::{self, Filter, LogKey, Plan, Scope, Step};

/// Defaults sized so that a batch takes a few minutes, well inside Lambda's 15
/// (docs/backtest.md, Speed).
pub const DEFAULT_MAX_KEYS: usize = 200;
pub const DEFAULT_MAX_BYTES: u64 = 8 << 20;
/// A run lists at most this many keys: the manifest is built in memory. Split
/// larger archives into several executions with one `run_id` (docs/backtest.md).
pub const MAX_KEYS_PER_RUN: usize = 2_000_000;

/// A listing past [`MAX_KEYS_PER_RUN`]: invalid, since another attempt would
/// list as many (not retried; from a review).
fn too_many_keys(under: &str) -> BacktestError {
    BacktestError::Invalid(format!(
        "more than {MAX_KEYS_PER_RUN} keys{under}: split the run (several executions \
         with one run_id, docs/backtest.md)"
    ))
}

/// The most a batch's keys may take in its manifest item (JSON): Step Functions
/// refuses an item over 256 KiB, which a `max_keys_per_batch` of thousands of
/// long keys would reach (from a review); the filter and the id take the rest.
pub const MAX_ITEM_KEY_BYTES: usize = 200 * 1024;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    pub run_id: String,
    /// Names this plan's manifest and batches inside the run (the state machine
    /// passes the execution name), so that several executions of one run (one per
    /// quarter, say) share its state without overwriting each other's results.
    #[serde(default)]
    pub part: Option<String>,
    /// Where trails write in the archive bucket (the bucket root, a trail's key
    /// prefix, `AWSLogs/<o-id>/`, an account, a Region or a day folder), as
    /// `trailwatch replay s3://BUCKET/PREFIX` reads them; empty: the bucket root.
    #[serde(default)]
    pub prefixes: Vec<String>,
    /// A day (`2026-01-05`) or an RFC 3339 time: records from then on.
    #[serde(default)]
    pub since: Option<String>,
    /// A day (to its end) or a time: records before then.
    #[serde(default)]
    pub until: Option<String>,
    /// A day (its start) or a time: first-seen detections learn from records
    /// before it (record their terms, fire nothing), so that an archive's first
    /// days do not report every caller as new.
    #[serde(default)]
    pub learn_until: Option<String>,
    /// Account ids and Regions to read (empty: all).
    #[serde(default)]
    pub accounts: Vec<String>,
    #[serde(default)]
    pub regions: Vec<String>,
    #[serde(default)]
    pub max_keys_per_batch: Option<usize>,
    #[serde(default)]
    pub max_bytes_per_batch: Option<u64>,
    /// The execution's input as written (the state machine passes
    /// `$$.Execution.Input`). The state machine picks the fields above by name,
    /// so a misspelt one (`"regoins"`) would be dropped there and the run would
    /// read everything: its names are checked here instead.
    #[serde(default)]
    pub execution_input: Option<Value>,
}

/// The fields an execution's input may have (docs/backtest.md, "Run").
pub const EXECUTION_FIELDS: &[&str] = &[
    "run_id",
    "prefixes",
    "since",
    "until",
    "learn_until",
    "accounts",
    "regions",
    "publish",
    "max_keys_per_batch",
    "max_bytes_per_batch",
    "max_concurrency",
];

/// The largest `max_concurrency` a run may ask for (the stack parameter's own
/// bound).
pub const MAX_CONCURRENCY: u64 = 10_000;

/// An execution input that is an object of known fields, or why not. The fields
/// only the state machine reads are checked here too: a `max_concurrency` of 0
/// is a Distributed Map without a limit (up to 10,000 batches at once, in the
/// account whose Lambda concurrency the live functions share), and a `publish`
/// that is not a boolean would fail every batch (from a review).
fn check_execution_input(input: &Value) -> Result<(), String> {
    let Some(fields) = input.as_object() else {
        return Err("the execution input must be a JSON object".into());
    };
    if let Some(k) = fields
        .keys()
        .find(|k| !EXECUTION_FIELDS.contains(&k.as_str()))
    {
        return Err(format!(
            "unknown field {:?} in the execution input (known: {})",
            crate::sanitize::one_line(k, 100),
            EXECUTION_FIELDS.join(", ")
        ));
    }
    if let Some(v) = fields.get("max_concurrency")
        && !v
            .as_u64()
            .is_some_and(|n| (1..=MAX_CONCURRENCY).contains(&n))
    {
        return Err(format!(
            "max_concurrency must be a whole number from 1 to {MAX_CONCURRENCY} (0 would \
             be no limit at all)"
        ));
    }
    if fields.get("publish").is_some_and(|v| !v.is_boolean()) {
        return Err("publish must be true or false".into());
    }
    Ok(())
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
    pub filter: RecordFilter,
}

/// The run's filter as a batch applies it to records (epoch ms; empty lists:
/// all accounts, all Regions).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordFilter {
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    /// First-seen detections learn without firing from records before it (the
    /// run's `learn_until`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learn_until_ms: Option<i64>,
    #[serde(default)]
    pub accounts: Vec<String>,
    #[serde(default)]
    pub regions: Vec<String>,
}

impl RecordFilter {
    pub fn to_filter(&self) -> Filter {
        Filter {
            since: self.since_ms,
            until: self.until_ms,
            accounts: self.accounts.clone(),
            regions: self.regions.clone(),
        }
    }
}

impl PlanInput {
    /// The filter and the learning period's end, every problem at once.
    fn filter(&self) -> Result<(Filter, Option<i64>), String> {
        let mut problems = Vec::new();
        let mut bound = |text: &Option<String>, parse: fn(&str) -> Result<i64, String>, what| {
            let r = text.as_deref().map(parse).transpose();
            r.unwrap_or_else(|e| {
                problems.push(format!("{what}: {e}"));
                None
            })
        };
        let since = bound(&self.since, layout::parse_since, "since");
        let until = bound(&self.until, layout::parse_until, "until");
        let learn_until = bound(&self.learn_until, layout::parse_since, "learn_until");
        let mut list = |items, parse: fn(&[String]) -> Result<Vec<String>, String>, what| {
            parse(items).unwrap_or_else(|e| {
                problems.push(format!("{what}: {e}"));
                Vec::new()
            })
        };
        let accounts = list(&self.accounts, layout::parse_accounts, "accounts");
        let regions = list(&self.regions, layout::parse_regions, "regions");
        // `["$ACCOUNT"]` of an unset variable names nothing: refused, as
        // replay's `--accounts ""` is, not read as every account (from a review).
        for (what, items) in [("accounts", &self.accounts), ("regions", &self.regions)] {
            if layout::only_blanks(items) {
                problems.push(format!(
                    "{what}: the list is empty (leave the field out to take them all)"
                ));
            }
        }
        let filter = Filter {
            since,
            until,
            accounts,
            regions,
        };
        if let (Some(s), Some(u)) = (filter.since, filter.until)
            && s >= u
        {
            problems.push("since is not before until".into());
        }
        if let (Some(s), Some(l)) = (filter.since, learn_until)
            && l <= s
        {
            problems.push("learn_until is not after since: nothing would be learnt".into());
        }
        if problems.is_empty() {
            Ok((filter, learn_until))
        } else {
            Err(problems.join("; "))
        }
    }
}

/// Where the manifest of a run (or of one part of it) is written.
pub fn manifest_key(run_id: &str, part: Option<&str>) -> String {
    match part {
        Some(p) => format!("{run_id}/manifest-{p}.json"),
        None => format!("{run_id}/manifest.json"),
    }
}

/// Empty objects hold no records (the layout's walk already leaves out digests,
/// Insights, folder markers and other names a replay does not read:
/// `Plan::keep`).
fn is_log_file(k: &Key) -> bool {
    k.size > 0
}

/// Day folder, then delivery minute, then key, across accounts and Regions
/// (the order `trailwatch replay s3://` reads in). The map reads the manifest
/// in that order, so a run moves through time: first-seen terms, the learning
/// end and tuning dedup periods, which depend on what came before, see nearly
/// all of it. Account by account instead, a term first used in one Region in
/// March would hide its use in another in January, and come out "new" in
/// March. A key of no known layout sorts first, by name.
fn sort_in_time_order(keys: &mut [Key]) {
    keys.sort_by_cached_key(|k| {
        let at = LogKey::parse(&k.key).map(|l| (l.day, l.minute));
        (at, k.key.clone())
    });
}

/// Cuts `keys` (in manifest order) into batches of at most `max_keys` keys and
/// `max_bytes` bytes.
pub fn batches(
    keys: Vec<Key>,
    max_keys: usize,
    max_bytes: u64,
    filter: &RecordFilter,
    part: Option<&str>,
) -> Vec<Batch> {
    let mut out: Vec<Batch> = Vec::new();
    let mut bytes = 0u64;
    let mut item_bytes = 0usize;
    for k in keys {
        let key_bytes = serde_json::to_vec(&k).map_or(k.key.len() + 64, |v| v.len() + 1);
        let fits = out.last().is_some_and(|b| {
            b.keys.len() < max_keys
                && bytes.saturating_add(k.size) <= max_bytes
                && item_bytes + key_bytes <= MAX_ITEM_KEY_BYTES
        });
        if !fits {
            out.push(Batch {
                batch: String::new(),
                keys: Vec::new(),
                filter: filter.clone(),
            });
            bytes = 0;
            item_bytes = 0;
        }
        bytes = bytes.saturating_add(k.size);
        item_bytes += key_bytes;
        if let Some(b) = out.last_mut() {
            b.keys.push(k);
        }
    }
    let width = out.len().to_string().len().max(6);
    for (i, b) in out.iter_mut().enumerate() {
        b.batch = match part {
            Some(p) => format!("{p}-{i:0width$}"),
            None => format!("{i:0width$}"),
        };
    }
    out
}

/// What a listing of `prefix` found: the objects, and with a delimiter the
/// folders below it.
#[derive(Default)]
struct Listed {
    keys: Vec<Key>,
    folders: Vec<String>,
}

/// Lists `prefix` (with Delimiter "/" when `folders`), every page, in key order.
async fn list(
    s3: &crate::aws::s3::S3Client,
    (bucket, owner): (&str, Option<&str>),
    prefix: &str,
    folders: bool,
) -> Result<Listed, BacktestError> {
    let mut out = Listed::default();
    let mut token: Option<String> = None;
    loop {
        let page = s3
            .list_objects_v2(
                bucket,
                owner,
                prefix,
                folders.then_some("/"),
                token.as_deref(),
            )
            .await
            .map_err(|e| {
                BacktestError::Failed(format!(
                    "S3 ListObjectsV2 of s3://{bucket}/{}: {e}",
                    crate::sanitize::one_line(prefix, 300),
                ))
            })?;
        out.keys.extend(
            page.objects
                .into_iter()
                .map(|(key, size)| Key { key, size }),
        );
        out.folders.extend(page.prefixes);
        if out.keys.len() > MAX_KEYS_PER_RUN {
            return Err(too_many_keys(" under the prefixes"));
        }
        match page.next {
            // The same page again would list it forever.
            Some(t) if token.as_deref() == Some(t.as_str()) => {
                return Err(BacktestError::Failed(format!(
                    "S3 ListObjectsV2 of s3://{bucket}/{}: the same continuation token twice",
                    crate::sanitize::one_line(prefix, 300),
                )));
            }
            Some(t) => token = Some(t),
            None => return Ok(out),
        }
    }
}

/// Day folders listed at once while planning: an organisation's quarter is tens
/// of thousands of them, which one at a time would outlast the plan's 15
/// minutes (from a review).
const DAY_LISTINGS_AT_ONCE: usize = 32;

/// The log files of one prefix under `plan`, added to `out` (which holds the
/// other prefixes' already: [`MAX_KEYS_PER_RUN`] bounds them all): listings
/// level by level (only what the filter leaves open), then the day folders'
/// keys the plan keeps, [`DAY_LISTINGS_AT_ONCE`] folders at a time (the keys
/// are put in time order afterwards).
async fn walk(
    s3: &crate::aws::s3::S3Client,
    bucket: (&str, Option<&str>),
    plan: &Plan,
    out: &mut Vec<Key>,
) -> Result<(), BacktestError> {
    let mut days = Vec::new();
    let mut todo: Vec<Step> = plan.start();
    todo.reverse();
    while let Some(step) = todo.pop() {
        match step {
            Step::List { prefix, level } => {
                let listed = list(s3, bucket, &prefix, true).await?;
                let mut next = plan.expand(&prefix, level, &listed.folders);
                next.reverse();
                todo.extend(next);
            }
            Step::Day { prefix, .. } => days.push(prefix),
        }
    }
    for chunk in days.chunks(DAY_LISTINGS_AT_ONCE) {
        let mut set = tokio::task::JoinSet::new();
        for prefix in chunk {
            let (s3, prefix) = (s3.clone(), prefix.clone());
            let (name, owner) = (bucket.0.to_owned(), bucket.1.map(str::to_owned));
            set.spawn(async move { list(&s3, (&name, owner.as_deref()), &prefix, false).await });
        }
        while let Some(done) = set.join_next().await {
            let listed =
                done.map_err(|e| BacktestError::Failed(format!("S3 listing stopped: {e}")))??;
            out.extend(listed.keys.into_iter().filter(|k| plan.keep(&k.key)));
        }
        if out.len() > MAX_KEYS_PER_RUN {
            return Err(too_many_keys(""));
        }
    }
    Ok(())
}

/// Why the archive cannot be read, when S3 refuses the first and the last key
/// planned for the same reason: the trail's KMS key not granted to the backtest
/// role or a bucket policy (`AccessDenied`), or the files archived to a storage
/// class that must be restored first (`InvalidObjectState`). The batches skip a
/// key they cannot read, so without this a run of such an archive succeeded
/// having read nothing when its batches held one key each (from a review). One
/// byte of each is read; any other answer leaves the judgement to the batches.
async fn refused_archive(
    s3: &crate::aws::s3::S3Client,
    bucket: (&str, Option<&str>),
    keys: &[Key],
) -> Option<String> {
    let (first, last) = (keys.first()?, keys.last()?);
    let mut causes = Vec::new();
    for key in if keys.len() > 1 {
        vec![first, last]
    } else {
        vec![first]
    } {
        match s3.first_byte(bucket.0, &key.key, bucket.1).await {
            Err(e) if matches!(e.code(), Some("AccessDenied" | "InvalidObjectState")) => {
                causes.push((e.code().map(str::to_owned), key.key.clone()));
            }
            _ => return None,
        }
    }
    let code = causes[0].0.clone()?;
    if causes
        .iter()
        .any(|(c, _)| c.as_deref() != Some(code.as_str()))
    {
        return None;
    }
    let remedy = if code == "AccessDenied" {
        "grant the backtest role the archive's KMS key (ArchiveKmsKeyArn) and s3:GetObject \
         in the bucket policy"
    } else {
        "the log files are in an archived storage class: restore them (S3 RestoreObject, \
         or a Batch Operations restore job) before the backtest"
    };
    Some(format!(
        "S3 refuses to read the archive ({code} for the first and the last key planned, e.g. \
         {}): {remedy}",
        crate::sanitize::one_line(&causes[0].1, 300)
    ))
}

pub async fn run(bt: &Backtest, input: PlanInput) -> Result<Value, BacktestError> {
    if let Some(given) = &input.execution_input {
        check_execution_input(given).map_err(BacktestError::Invalid)?;
        // Refused here once, not by every batch it would start.
        if given.get("publish") == Some(&Value::Bool(true)) && bt.config.topic_arn.is_none() {
            return Err(BacktestError::Invalid(
                "publish is true but the function has no topic (TRAILWATCH_TOPIC_ARN)".into(),
            ));
        }
    }
    check_run_id(&input.run_id).map_err(BacktestError::Invalid)?;
    if let Some(p) = &input.part {
        check_run_id(p).map_err(|e| BacktestError::Invalid(format!("part: {e}")))?;
    }
    let part = input.part.as_deref();
    let max_keys = input.max_keys_per_batch.unwrap_or(DEFAULT_MAX_KEYS);
    let max_bytes = input.max_bytes_per_batch.unwrap_or(DEFAULT_MAX_BYTES);
    if max_keys == 0 || max_bytes == 0 {
        return Err(BacktestError::Invalid(
            "max_keys_per_batch and max_bytes_per_batch must be positive".into(),
        ));
    }
    let (filter, learn_until_ms) = input.filter().map_err(BacktestError::Invalid)?;
    let mut prefixes = input.prefixes.clone();
    if prefixes.is_empty() {
        prefixes.push(String::new());
    }
    let now_ms = crate::render::now_ms();
    let mut plans = Vec::new();
    for p in &prefixes {
        let scope = Scope::parse(p).map_err(BacktestError::Invalid)?;
        plans.push(Plan::new(scope, filter.clone(), now_ms));
    }
    let bucket = (
        bt.config.archive_bucket.as_str(),
        bt.config.archive_bucket_owner.as_deref(),
    );
    let mut keys = Vec::new();
    for plan in &plans {
        walk(&bt.s3, bucket, plan, &mut keys).await?;
    }
    keys.retain(is_log_file);
    sort_in_time_order(&mut keys);
    // Overlapping prefixes list a key twice (next to each other once sorted).
    keys.dedup_by(|a, b| a.key == b.key);
    // A misspelt organisation id, prefix or Region reads nothing: a run that
    // "finds nothing" would read as detections that do not fire (from a review).
    if keys.is_empty() {
        return Err(BacktestError::Invalid(format!(
            "no CloudTrail log file under {} in the range and filters given: check the \
             prefixes (an organisation trail's AWSLogs/o-.../), the dates, accounts and Regions",
            prefixes
                .iter()
                .map(|p| format!("s3://{}/{}", bucket.0, crate::sanitize::one_line(p, 200)))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    if let Some(why) = refused_archive(&bt.s3, bucket, &keys).await {
        return Err(BacktestError::Invalid(why));
    }
    let total_bytes: u64 = keys.iter().map(|k| k.size).sum();
    let total_keys = keys.len();
    let record_filter = RecordFilter {
        since_ms: filter.since,
        until_ms: filter.until,
        learn_until_ms,
        accounts: filter.accounts,
        regions: filter.regions,
    };
    let batches = batches(keys, max_keys, max_bytes, &record_filter, part);
    let manifest_key = manifest_key(&input.run_id, part);
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
        .put_object(&bt.config.results_bucket, key, &body, content_type)
        .await
        .map_err(|e| {
            BacktestError::Failed(format!(
                "S3 PutObject s3://{}/{key}: {e}",
                bt.config.results_bucket,
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
    fn a_misspelt_execution_field_is_named() {
        assert!(check_execution_input(&json!({"regions": ["us-east-1"], "publish": true})).is_ok());
        let e = check_execution_input(&json!({"regoins": ["us-east-1"]})).unwrap_err();
        assert!(
            e.starts_with("unknown field \"regoins\" in the execution input"),
            "{e}"
        );
        assert!(check_execution_input(&json!(["us-east-1"])).is_err());
        // From a review: 0 is a Distributed Map without a limit, and a publish
        // that is not a boolean fails every batch.
        for bad in [
            json!({"max_concurrency": 0}),
            json!({"max_concurrency": 10_001}),
            json!({"max_concurrency": "50"}),
            json!({"max_concurrency": 2.5}),
            json!({"publish": "true"}),
        ] {
            assert!(check_execution_input(&bad).is_err(), "{bad}");
        }
        assert!(check_execution_input(&json!({"max_concurrency": 1, "publish": false})).is_ok());
        assert!(check_execution_input(&json!({"max_concurrency": 10_000})).is_ok());
    }

    /// From a review: `["$ACCOUNT"]` of an unset variable is refused, not read
    /// as every account; a blank item beside a real one is dropped.
    #[test]
    fn a_blank_list_of_accounts_or_regions_is_refused() {
        let input = |v: Value| -> PlanInput {
            serde_json::from_value(
                json!({"run_id": "r1"})
                    .as_object()
                    .unwrap()
                    .clone()
                    .into_iter()
                    .chain(v.as_object().unwrap().clone())
                    .collect::<serde_json::Map<_, _>>()
                    .into(),
            )
            .unwrap()
        };
        for blank in [json!({"accounts": [""]}), json!({"regions": [" "]})] {
            let e = input(blank.clone()).filter().unwrap_err();
            assert!(e.contains("the list is empty"), "{blank}: {e}");
        }
        let (f, _) = input(json!({"accounts": ["", "111122223333"]}))
            .filter()
            .unwrap();
        assert_eq!(f.accounts, ["111122223333"]);
        let (f, _) = input(json!({})).filter().unwrap();
        assert!(f.accounts.is_empty() && f.regions.is_empty());
    }

    /// Day, then delivery minute, across accounts and Regions: a later Region's
    /// January comes before an earlier one's March.
    #[test]
    fn the_manifest_moves_through_time_across_accounts_and_regions() {
        let key = |account: &str, region: &str, stamp: &str| {
            let (y, m, d) = (&stamp[0..4], &stamp[4..6], &stamp[6..8]);
            format!(
                "AWSLogs/o-abc123def4/{account}/CloudTrail/{region}/{y}/{m}/{d}/{account}_CloudTrail_{region}_{stamp}_x.json.gz"
            )
        };
        let mut keys = vec![
            k(&key("111122223333", "eu-west-1", "20260301T1000Z"), 1),
            k(&key("111122223333", "us-east-1", "20260115T0900Z"), 1),
            k(&key("444455556666", "ap-south-1", "20260115T0855Z"), 1),
            k(&key("111122223333", "eu-west-1", "20260115T0900Z"), 1),
            k("notes/readme.txt", 1),
        ];
        sort_in_time_order(&mut keys);
        let got: Vec<&str> = keys.iter().map(|k| k.key.as_str()).collect();
        assert_eq!(
            got,
            [
                "notes/readme.txt",
                &key("444455556666", "ap-south-1", "20260115T0855Z"),
                &key("111122223333", "eu-west-1", "20260115T0900Z"),
                &key("111122223333", "us-east-1", "20260115T0900Z"),
                &key("111122223333", "eu-west-1", "20260301T1000Z"),
            ]
        );
    }

    #[test]
    fn a_batch_item_stays_under_the_step_functions_limit() {
        let long = "x".repeat(1_000);
        let keys: Vec<Key> = (0..1_000).map(|i| k(&format!("{long}{i:04}"), 1)).collect();
        let got = batches(keys, 5_000, u64::MAX, &RecordFilter::default(), None);
        assert!(got.len() > 1, "cut by size");
        for b in &got {
            let item = serde_json::to_vec(b).unwrap().len();
            assert!(item < 256 * 1024, "{} bytes", item);
        }
        assert_eq!(got.iter().map(|b| b.keys.len()).sum::<usize>(), 1_000);
    }

    #[test]
    fn batches_hold_n_keys_or_b_bytes_and_a_big_object_alone() {
        let keys = vec![k("a", 10), k("b", 10), k("c", 10), k("d", 100), k("e", 1)];
        let got: Vec<(String, Vec<String>)> = batches(keys, 2, 25, &RecordFilter::default(), None)
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
    fn a_part_names_its_batches_and_manifest() {
        let got = batches(vec![k("a", 1)], 2, 25, &RecordFilter::default(), Some("q1"));
        assert_eq!(got[0].batch, "q1-000000");
        assert_eq!(manifest_key("r", Some("q1")), "r/manifest-q1.json");
        assert_eq!(manifest_key("r", None), "r/manifest.json");
    }

    #[test]
    fn a_learning_period_reaches_every_batch_and_must_end_after_since() {
        let input: PlanInput = serde_json::from_value(json!({
            "run_id": "r", "since": "2026-01-01", "learn_until": "2026-01-15",
        }))
        .unwrap();
        let (filter, learn) = input.filter().unwrap();
        assert_eq!(learn, Some(filter.since.unwrap() + 14 * 86_400_000));
        let record_filter = RecordFilter {
            learn_until_ms: learn,
            ..RecordFilter::default()
        };
        let manifest =
            serde_json::to_value(batches(vec![k("a", 1)], 2, 25, &record_filter, None)).unwrap();
        assert_eq!(manifest[0]["filter"]["learn_until_ms"], json!(learn));
        // Without one, the manifest is as before.
        let plain = serde_json::to_value(RecordFilter::default()).unwrap();
        assert!(plain.get("learn_until_ms").is_none());
        let backwards: PlanInput = serde_json::from_value(json!({
            "run_id": "r", "since": "2026-01-15", "learn_until": "2026-01-01",
        }))
        .unwrap();
        assert!(backwards.filter().unwrap_err().contains("learn_until"));
    }

    #[test]
    fn a_bad_filter_names_every_problem() {
        let input: PlanInput = serde_json::from_value(json!({
            "run_id": "r", "since": "yesterday", "accounts": ["12"], "regions": ["us-east-1"],
        }))
        .unwrap();
        let e = input.filter().unwrap_err();
        assert!(e.contains("since") && e.contains("accounts"), "{e}");
        assert!(!is_log_file(&k(
            "AWSLogs/1/CloudTrail/us-east-1/2026/01/01/y.json.gz",
            0
        )));
    }
}
