//! The real `backtest` binary under a local Lambda Runtime API, against moto's
//! S3 and DynamoDB: the plan's manifest, a batch's findings as JSON lines, a burst
//! split across two batches run in reverse order (one finding), unreadable
//! keys (listed in the failures object, the batch goes on), and a batch that
//! stops short of its deadline for a retry. (Here rather than in
//! the workspace `tests/` crate because only a function's own package knows the
//! path of its binary.)

use std::io::Write;
use std::process::Stdio;

use aws_config::SdkConfig;
use serde_json::{Value, json};
use trailwatch_tests::moto::Moto;
use trailwatch_tests::one_request::refusing_proxy;
use trailwatch_tests::runtime::Runtime;
use trailwatch_tests::{root, unique};

const BIN: &str = env!("CARGO_BIN_EXE_backtest");
const ACCOUNT: &str = "111122223333";

/// The function, with its own archive and results buckets and state table.
struct Deployed {
    sdk: SdkConfig,
    archive: String,
    results: String,
    table: String,
    tuning_env: String,
    runtime: Runtime,
    /// The function process (killed when dropped).
    child: Option<tokio::process::Child>,
}

async fn deploy() -> Deployed {
    deploy_tuned(None).await
}

/// The function with `TRAILWATCH_TUNING` naming `tuning.toml` in the archive
/// bucket, which holds `tuning` (`Some("")`: the variable names a missing object).
async fn deploy_tuned(tuning: Option<&str>) -> Deployed {
    let moto = Moto::shared();
    let sdk = moto.sdk().await;
    let s3 = s3(&sdk);
    let (archive, results, table) = (unique("archive"), unique("results"), unique("backtest"));
    for b in [&archive, &results] {
        s3.create_bucket()
            .bucket(b)
            .send()
            .await
            .expect("CreateBucket");
    }
    trailwatch::state::dynamodb::create_table(&aws_sdk_dynamodb::Client::new(&sdk), &table)
        .await
        .expect("CreateTable");
    if let Some(text) = tuning.filter(|t| !t.is_empty()) {
        s3.put_object()
            .bucket(&archive)
            .key("tuning.toml")
            .body(text.as_bytes().to_vec().into())
            .send()
            .await
            .expect("PutObject tuning");
    }
    let tuning_env = tuning
        .map(|_| format!("s3://{archive}/tuning.toml"))
        .unwrap_or_default();
    let runtime = Runtime::start().await;
    let mut deployed = Deployed {
        sdk,
        archive,
        results,
        table,
        tuning_env,
        runtime,
        child: None,
    };
    deployed.child = Some(deployed.start_function(&moto.endpoint));
    deployed
}

impl Deployed {
    /// Kills the function process and starts another, its S3 requests sent to
    /// `s3`, on a Runtime API of its own: the old one's pending `next` would
    /// otherwise take the next invocation to the dead process.
    async fn restart_function(&mut self, s3: &str) {
        if let Some(mut old) = self.child.take() {
            old.kill().await.expect("SIGKILL");
        }
        self.runtime = Runtime::start().await;
        self.child = Some(self.start_function(s3));
    }

    /// The function restarted with its S3 requests sent through a proxy that
    /// answers AccessDenied to every request naming `refused` (a bucket policy
    /// or a KMS key that moto does not play).
    async fn restart_behind_refusing_proxy(&mut self, refused: &str) {
        let moto = Moto::shared()
            .endpoint
            .trim_start_matches("http://")
            .to_owned();
        self.restart_function(&refusing_proxy(moto, refused.to_owned()).await)
            .await;
    }

    /// A function process serving `runtime`, its S3 requests sent to `s3`
    /// (moto, or a proxy in front of it).
    fn start_function(&self, s3: &str) -> tokio::process::Child {
        let moto = Moto::shared();
        // TRAILWATCH_BACKTEST_BIN: a release build, for the measurement.
        let bin = std::env::var("TRAILWATCH_BACKTEST_BIN").unwrap_or_else(|_| BIN.to_owned());
        tokio::process::Command::new(bin)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", &self.runtime.addr)
            .env("AWS_LAMBDA_FUNCTION_NAME", "backtest")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1769")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ENDPOINT_URL", &moto.endpoint)
            .env("AWS_ENDPOINT_URL_S3", s3)
            .env("TRAILWATCH_TABLE", &self.table)
            .env("TRAILWATCH_ARCHIVE_BUCKET", &self.archive)
            // moto's own account owns its buckets (and does not check the header;
            // tests/s3_client.rs shows a refusal).
            .env("TRAILWATCH_ARCHIVE_BUCKET_OWNER", "123456789012")
            .env("TRAILWATCH_RESULTS_BUCKET", &self.results)
            .env("TRAILWATCH_TUNING", &self.tuning_env)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("the backtest binary starts")
    }
}

fn s3(sdk: &SdkConfig) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// The `detail` of every envelope of a sample file.
fn records(sample: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(root().join("events").join(sample)).expect("sample");
    match serde_json::from_str(&text).expect("sample JSON") {
        Value::Array(envs) => envs.into_iter().map(|e| e["detail"].clone()).collect(),
        env => vec![env["detail"].clone()],
    }
}

/// A CloudTrail log file as CloudTrail writes it: `{"Records":[...]}`, gzip.
fn log_file(records: &[Value]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(json!({ "Records": records }).to_string().as_bytes())
        .expect("gzip");
    gz.finish().expect("gzip")
}

/// The archive key of a log file of `ACCOUNT` in us-east-1 (`stamp`: YYYYMMDDTHHmmZ).
fn trail_key(account: &str, stamp: &str, id: &str) -> String {
    let (y, m, d) = (&stamp[0..4], &stamp[4..6], &stamp[6..8]);
    format!(
        "AWSLogs/{account}/CloudTrail/us-east-1/{y}/{m}/{d}/{account}_CloudTrail_us-east-1_{stamp}_{id}.json.gz"
    )
}

impl Deployed {
    async fn put(&self, key: &str, body: Vec<u8>) -> Value {
        let size = body.len();
        s3(&self.sdk)
            .put_object()
            .bucket(&self.archive)
            .key(key)
            .body(body.into())
            .send()
            .await
            .expect("PutObject");
        json!({"key": key, "size": size})
    }

    /// The StopLogging sample's records, put as one log file of `ACCOUNT`
    /// (`stamp`, `id`: see `trail_key`); its manifest item.
    async fn put_stop_logging(&self, stamp: &str, id: &str) -> (Vec<Value>, Value) {
        let stop = records("cloudtrail-log-suspended/positive-stop-logging-iam-user.json");
        let key = self
            .put(&trail_key(ACCOUNT, stamp, id), log_file(&stop))
            .await;
        (stop, key)
    }

    async fn get(&self, key: &str) -> Option<String> {
        let got = s3(&self.sdk)
            .get_object()
            .bucket(&self.results)
            .key(key)
            .send()
            .await
            .ok()?;
        let bytes = got.body.collect().await.expect("body").into_bytes();
        Some(String::from_utf8(bytes.to_vec()).expect("UTF-8"))
    }

    async fn batch(&self, run: &str, batch: &str, keys: &[Value]) -> Value {
        self.runtime
            .invoke(&json!({"mode": "batch", "run_id": run, "batch": batch, "keys": keys}))
            .await
            .ok()
    }

    /// Each line of a JSON-lines object in the results bucket, `None` without one.
    async fn json_lines(&self, key: &str) -> Option<Vec<Value>> {
        let text = self.get(key).await?;
        Some(
            text.lines()
                .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
                .collect(),
        )
    }

    /// The findings a batch wrote, one per line (none without an object).
    async fn finding_lines(&self, run: &str, batch: &str) -> Vec<Value> {
        self.json_lines(&format!("{run}/findings/{batch}.jsonl"))
            .await
            .unwrap_or_default()
    }

    /// (detection id, event ids) of each line of a findings object.
    async fn findings(&self, run: &str, batch: &str) -> Vec<(String, Vec<String>)> {
        self.finding_lines(run, batch)
            .await
            .into_iter()
            .map(|f| {
                let ids = f["event_ids"]
                    .as_array()
                    .expect("event_ids")
                    .iter()
                    .map(|v| v.as_str().expect("id").to_owned())
                    .collect();
                (
                    f["detection_id"].as_str().expect("detection_id").to_owned(),
                    ids,
                )
            })
            .collect()
    }
}

fn ids(records: &[Value]) -> Vec<String> {
    records
        .iter()
        .map(|r| r["eventID"].as_str().expect("eventID").to_owned())
        .collect()
}

/// The key of a log file of an organization trail.
fn org_key(account: &str, region: &str, stamp: &str) -> String {
    let (y, m, d) = (&stamp[0..4], &stamp[4..6], &stamp[6..8]);
    format!(
        "AWSLogs/{ORG}/{account}/CloudTrail/{region}/{y}/{m}/{d}/{account}_CloudTrail_{region}_{stamp}_x.json.gz"
    )
}

const ORG: &str = "o-abc123def4";
const OTHER: &str = "444455556666";

#[tokio::test]
async fn plan_writes_the_filtered_keys_in_time_order_as_batches() {
    let d = deploy().await;
    let stop = records("cloudtrail-log-suspended/positive-stop-logging-iam-user.json");
    let body = log_file(&stop);
    // Two accounts, two Regions, three days; the filter keeps one account, one
    // Region and one day (with the next day's first hour, for late delivery).
    let mut wanted = Vec::new();
    for account in [ACCOUNT, OTHER] {
        for region in ["us-east-1", "eu-west-1"] {
            for stamp in [
                "20260101T1200Z",
                "20260102T0000Z",
                "20260102T1200Z",
                "20260103T0030Z",
                "20260103T1200Z",
            ] {
                let k = d.put(&org_key(account, region, stamp), body.clone()).await;
                let inside = !stamp.starts_with("20260101") && stamp != "20260103T1200Z";
                if account == ACCOUNT && region == "us-east-1" && inside {
                    wanted.push(k);
                }
            }
        }
    }
    // A digest beside the logs and an empty object: not planned.
    d.put(
        &format!("AWSLogs/{ORG}/{ACCOUNT}/CloudTrail-Digest/us-east-1/2026/01/02/digest.json.gz"),
        body.clone(),
    )
    .await;
    d.put(&org_key(ACCOUNT, "us-east-1", "20260102T0600Z"), Vec::new())
        .await;

    let run = unique("plan");
    let out = d
        .runtime
        .invoke(&json!({
            "mode": "plan", "run_id": run, "part": "q1", "prefixes": [format!("AWSLogs/{ORG}/")],
            "since": "2026-01-02", "until": "2026-01-02",
            "accounts": [ACCOUNT], "regions": ["us-east-1"], "max_keys_per_batch": 2,
        }))
        .await
        .ok();
    let bytes: u64 = wanted.iter().map(|k| k["size"].as_u64().unwrap()).sum();
    assert_eq!(
        out,
        json!({
            "run_id": run,
            "manifest": {"bucket": d.results, "key": format!("{run}/manifest-q1.json")},
            "keys": 3, "bytes": bytes, "batches": 2,
        })
    );
    let manifest: Value = serde_json::from_str(
        &d.get(&format!("{run}/manifest-q1.json"))
            .await
            .expect("manifest"),
    )
    .expect("JSON manifest");
    let filter = json!({
        "since_ms": 1_767_312_000_000_i64, "until_ms": 1_767_398_400_000_i64,
        "accounts": [ACCOUNT], "regions": ["us-east-1"],
    });
    assert_eq!(
        manifest,
        json!([
            {"batch": "q1-000000", "keys": [wanted[0], wanted[1]], "filter": filter},
            {"batch": "q1-000001", "keys": [wanted[2]], "filter": filter},
        ])
    );

    // A bad request fails as invalid (not retried by the state machine).
    for bad in [
        json!({"mode": "plan", "run_id": "a/b"}),
        json!({"mode": "plan", "run_id": "r", "since": "last week"}),
        json!({"mode": "plan", "run_id": "r", "prefixes": ["AWSLogs/not-an-account/"]}),
        // As the state machine passes a misspelt execution input: "regoins".
        json!({"mode": "plan", "run_id": "r", "execution_input": {"regoins": ["us-east-1"]}}),
        // From a review: an unset variable's account, a Distributed Map without
        // a limit, and a range that holds no log file (a mistyped
        // organisation id reads nothing: not a quiet "success").
        json!({"mode": "plan", "run_id": "r", "accounts": [""]}),
        json!({"mode": "plan", "run_id": "r", "execution_input": {"max_concurrency": 0}}),
        json!({"mode": "plan", "run_id": "r", "prefixes": ["AWSLogs/o-nosuchorg1/"]}),
        json!({"mode": "plan", "run_id": "r", "prefixes": [format!("AWSLogs/{ORG}/")],
               "since": "2025-06-01", "until": "2025-06-02"}),
    ] {
        let err = d.runtime.invoke(&bad).await.err();
        assert_eq!(
            err["errorType"], "trailwatch.BacktestInvalid",
            "{bad}: {err}"
        );
    }
}

#[tokio::test]
async fn a_burst_split_across_two_batches_run_in_reverse_order_is_found_once() {
    let d = deploy().await;
    // Twelve secrets read within a minute (threshold ten in five minutes), split
    // six and six over two log files, in two batches.
    let burst = records("secretsmanager-rapid-retrieval/positive-12-secrets-in-a-minute.json");
    let first = d
        .put(
            &trail_key(ACCOUNT, "20260504T1235Z", "a"),
            log_file(&burst[..6]),
        )
        .await;
    let second = d
        .put(
            &trail_key(ACCOUNT, "20260504T1240Z", "b"),
            log_file(&burst[6..]),
        )
        .await;
    let run = unique("split");

    // The later half first: six secrets, nothing yet.
    let out = d.batch(&run, "000001", std::slice::from_ref(&second)).await;
    assert_eq!(out["records"], 6, "{out}");
    assert_eq!(out["findings"], 0, "{out}");
    assert_eq!(out["findings_key"], Value::Null);
    // The earlier half completes the burst, whose other records it reads from
    // the table.
    let out = d.batch(&run, "000000", std::slice::from_ref(&first)).await;
    assert_eq!(out["findings"], 1, "{out}");
    let found = d.findings(&run, "000000").await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "secretsmanager-rapid-retrieval");
    // The first ten secrets make the span; records of both batches are in it.
    let got = &found[0].1;
    assert!(got.len() >= 10, "{got:?}");
    assert!(got.iter().all(|id| ids(&burst).contains(id)), "{got:?}");
    for half in [&burst[..6], &burst[6..]] {
        assert!(ids(half).iter().any(|id| got.contains(id)), "{got:?}");
    }

    // Run again, the other batch finds it already reported; the batch that
    // reported it takes its own claim again (as after a crash) and writes the
    // same finding (now seeing all twelve records) to the same object.
    let written = d.finding_lines(&run, "000000").await;
    let out = d.batch(&run, "000001", std::slice::from_ref(&second)).await;
    assert_eq!(out["findings"], 0, "{out}");
    let out = d.batch(&run, "000000", std::slice::from_ref(&first)).await;
    assert_eq!(out["findings"], 1, "{out}");
    let again = d.finding_lines(&run, "000000").await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0]["finding_id"], written[0]["finding_id"]);
    assert!(d.findings(&run, "000001").await.is_empty());
}

#[tokio::test]
async fn a_batch_writes_each_finding_as_one_json_line() {
    let d = deploy().await;
    let stop = records("cloudtrail-log-suspended/positive-stop-logging-iam-user.json");
    let quiet = records("cloudtrail-log-suspended/negative-start-logging.json");
    let a = d
        .put(&trail_key(ACCOUNT, "20260314T1315Z", "a"), log_file(&quiet))
        .await;
    let b = d
        .put(&trail_key(ACCOUNT, "20260314T1320Z", "b"), log_file(&stop))
        .await;
    let run = unique("lines");
    let out = d.batch(&run, "000000", &[a.clone(), b.clone()]).await;
    assert_eq!(
        out,
        json!({
            "run_id": run, "batch": "000000", "keys": 2, "records": 2, "outside_filter": 0, "findings": 2,
            "findings_key": format!("{run}/findings/000000.jsonl"),
            "failed_keys": 0, "rejected_records": 0, "not_cloudtrail": 0, "failures_key": null,
        })
    );
    assert_eq!(d.findings(&run, "000000").await, stop_findings(&stop));

    // The same keys with a filter that leaves their records out.
    let runtime = &d.runtime;
    let keys = [a, b];
    let outside = |run: String| {
        let request = json!({"mode": "batch", "run_id": run, "batch": "000000", "keys": keys,
                             "filter": {"since_ms": 1_773_532_800_000_i64, "until_ms": null}});
        async move { runtime.invoke(&request).await.ok() }
    };
    let out = outside(unique("outside")).await;
    // StartLogging, which no detection takes, is skipped before the filter.
    assert_eq!(out["outside_filter"], 1, "{out}");
    assert_eq!(out["findings"], 0, "{out}");
    assert_eq!(out["findings_key"], Value::Null, "{out}");

    // From a review: a batch that finds nothing still writes its (empty)
    // object, so a retry replaces what an earlier attempt of it had written
    // (put here by hand: an attempt whose findings another batch has since
    // reported, after it gave its claims back).
    let run = unique("replaced");
    let key = format!("{run}/findings/000000.jsonl");
    s3(&d.sdk)
        .put_object()
        .bucket(&d.results)
        .key(&key)
        .body(b"{\"stale\": true}\n".to_vec().into())
        .send()
        .await
        .expect("PutObject");
    let out = outside(run).await;
    assert_eq!(out["findings"], 0, "{out}");
    assert_eq!(
        d.get(&key).await.as_deref(),
        Some(""),
        "the earlier attempt's object replaced"
    );
}

/// A run's learning period: a first-seen detection records the terms of the
/// records before `learn_until_ms` without firing, and fires on them without one.
#[tokio::test]
async fn first_seen_terms_before_the_learning_end_only_build_history() {
    let d = deploy().await;
    let sessions =
        records("ssm-session-started-first-time/positive-two-sessions-same-instance.json");
    let key = d
        .put(
            &trail_key(ACCOUNT, "20260513T1245Z", "s"),
            log_file(&sessions),
        )
        .await;
    let fired = |found: Vec<(String, Vec<String>)>| {
        found
            .into_iter()
            .any(|(id, _)| id == "ssm-session-started-first-time")
    };
    let plain = unique("nolearn");
    d.batch(&plain, "000000", std::slice::from_ref(&key)).await;
    assert!(fired(d.findings(&plain, "000000").await));

    // 2026-05-14T00:00:00Z: after both sessions.
    let learning = unique("learn");
    let out = d
        .runtime
        .invoke(
            &json!({"mode": "batch", "run_id": learning, "batch": "000000", "keys": [key],
                        "filter": {"since_ms": null, "until_ms": null,
                                   "learn_until_ms": 1_778_716_800_000_i64}}),
        )
        .await
        .ok();
    assert_eq!(out["records"], 2, "{out}");
    assert!(!fired(d.findings(&learning, "000000").await), "{out}");
}

/// A tuning file in S3: what it suppresses is still written, with its
/// disposition and the entry, and the summary counts it; a tuning that cannot be
/// read fails the batch instead of running untuned.
#[tokio::test]
async fn a_tuned_batch_writes_suppressed_findings_with_their_disposition() {
    // The batch judges expiry by the wall clock: the entry expires 100 days
    // from today (a fixed date would stop applying, and the test fail, once
    // it had passed).
    let now_secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs() as i64;
    let expires =
        &trailwatch::event::time::format_event_time((now_secs + 100 * 86_400) * 1000)[..10];
    let tuning = format!(
        r#"
[[suppress]]
id = "alice-trail-maintenance"
detections = ["cloudtrail-log-suspended"]
reason = "alice rotates the trail's bucket"
owner = "secops@example.com"
expires = "{expires}"
[suppress.match]
"userIdentity.arn" = "arn:aws:iam::111122223333:user/alice"
"#
    );
    let d = deploy_tuned(Some(&tuning)).await;
    let (_, key) = d.put_stop_logging("20260314T1320Z", "tuned").await;
    let run = unique("tuned");
    let out = d.batch(&run, "000001", &[key]).await;
    assert_eq!(out["findings"], 2, "{out}");
    assert_eq!(out["not_notified"], 1, "{out}");
    assert!(out["tuning_digest"].is_string(), "{out}");
    let lines = d
        .json_lines(&format!("{run}/findings/000001.jsonl"))
        .await
        .expect("findings object");
    let by_id = |id: &str| {
        lines
            .iter()
            .find(|f| f["detection_id"] == id)
            .unwrap_or_else(|| panic!("{id} in {lines:?}"))
            .clone()
    };
    let suspended = by_id("cloudtrail-log-suspended");
    assert_eq!(suspended["disposition"], "suppressed", "{suspended}");
    assert_eq!(
        suspended["evidence"]["suppressed_by"], "alice-trail-maintenance",
        "{suspended}"
    );
    let change = by_id("cloudtrail-important-change");
    assert!(
        change["disposition"].is_null() || change["disposition"] == "notified",
        "{change}"
    );

    let missing = deploy_tuned(Some("")).await;
    let err = missing
        .runtime
        .invoke(
            &json!({"mode": "batch", "run_id": unique("untuned"), "batch": "000001", "keys": []}),
        )
        .await
        .err();
    assert_eq!(err["errorType"], "trailwatch.BacktestFailed", "{err}");
    assert!(
        err["errorMessage"]
            .as_str()
            .unwrap()
            .contains("tuning.toml"),
        "{err}"
    );
}

/// What the StopLogging sample gives (events/cloudtrail-log-suspended/expected.jsonc).
fn stop_findings(stop: &[Value]) -> Vec<(String, Vec<String>)> {
    ["cloudtrail-important-change", "cloudtrail-log-suspended"]
        .into_iter()
        .map(|d| (d.to_owned(), ids(stop)))
        .collect()
}

/// A batch whose invocation is about to time out stops (a minute before the
/// deadline), fails as retryable and writes nothing; its retry, with time
/// enough, finds every finding (a timed-out batch would have left its claims
/// taken and its findings unwritten).
#[tokio::test]
async fn a_batch_short_of_time_fails_for_a_retry_that_delivers() {
    let d = deploy().await;
    let (stop, key) = d.put_stop_logging("20260314T1320Z", "late").await;
    let run = unique("deadline");
    let request = json!({"mode": "batch", "run_id": run, "batch": "000003", "keys": [key]});
    let margin =
        u128::try_from(trailwatch::lambda::backtest::batch::DEADLINE_MARGIN_MS).expect("positive");
    let err = d
        .runtime
        .invoke_within(&request, margin - 5_000)
        .await
        .err();
    assert_eq!(err["errorType"], "trailwatch.BacktestFailed", "{err}");
    let message = err["errorMessage"].as_str().expect("message");
    assert!(
        message.contains("out of time") && message.contains("key 1 of 1"),
        "{message}"
    );
    assert!(d.findings(&run, "000003").await.is_empty());
    let out = d.runtime.invoke(&request).await.ok();
    assert_eq!(out["findings"], 2, "{out}");
    assert_eq!(d.findings(&run, "000003").await, stop_findings(&stop));
}

#[tokio::test]
async fn unreadable_keys_are_listed_and_the_batch_goes_on() {
    let d = deploy().await;
    let stop = records("cloudtrail-log-suspended/positive-stop-logging-iam-user.json");
    let missing = json!({"key": trail_key(ACCOUNT, "20260314T1300Z", "gone"), "size": 10});
    let corrupt = d
        .put(
            &trail_key(ACCOUNT, "20260314T1305Z", "corrupt"),
            b"\x1f\x8b\x08\x00not gzip at all".to_vec(),
        )
        .await;
    let good = d
        .put(
            &trail_key(ACCOUNT, "20260314T1320Z", "good"),
            log_file(&stop),
        )
        .await;
    // From a review: JSON that is not a trail's log file (a digest-like
    // object, a lower-case `records`) was read as a quiet file, unreported.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(br#"{"records":[{"eventname":"StopLogging"}]}"#)
        .expect("gzip");
    let foreign = d
        .put(
            &trail_key(ACCOUNT, "20260314T1325Z", "foreign"),
            gz.finish().expect("gzip"),
        )
        .await;
    let run = unique("unreadable");
    let out = d
        .batch(
            &run,
            "000007",
            &[missing.clone(), corrupt.clone(), good, foreign.clone()],
        )
        .await;
    assert_eq!(out["findings"], 2, "{out}");
    assert_eq!(out["failed_keys"], 2, "{out}");
    assert_eq!(out["records"], 1, "{out}");
    assert_eq!(out["not_cloudtrail"], 1, "{out}");
    let lines = d
        .json_lines(&format!("{run}/failures/000007.jsonl"))
        .await
        .expect("failures object");
    let failures = format!("{lines:?}");
    assert_eq!(lines.len(), 3, "{failures}");
    assert_eq!(lines[0]["key"], missing["key"]);
    assert!(
        lines[0]["error"].as_str().unwrap().contains("NoSuchKey"),
        "{failures}"
    );
    assert_eq!(lines[1]["key"], corrupt["key"]);
    assert_eq!(lines[2]["key"], foreign["key"]);
    assert!(
        lines[2]["error"]
            .as_str()
            .unwrap()
            .contains("1 JSON value(s) that are not CloudTrail records"),
        "{failures}"
    );
    assert_eq!(d.findings(&run, "000007").await, stop_findings(&stop));
}

/// From a review: a key S3 refuses is skipped, as replay skips it, but a
/// batch of several whose every key is refused (the archive's KMS key not granted, a
/// bucket policy) fails, so that a run cannot succeed having read nothing.
#[tokio::test]
async fn a_batch_whose_every_key_is_refused_fails() {
    let mut d = deploy().await;
    let (_, denied) = d.put_stop_logging("20260314T1300Z", "denied").await;
    let (_, denied_too) = d.put_stop_logging("20260314T1305Z", "denied-too").await;
    let (_, good) = d.put_stop_logging("20260314T1320Z", "good").await;
    d.restart_behind_refusing_proxy("denied").await;
    let run = unique("refused");
    let out = d.batch(&run, "000001", &[denied.clone(), good]).await;
    assert_eq!(out["failed_keys"], 1, "{out}");
    assert_eq!(out["findings"], 2, "{out}");
    // A batch of one key (a large file, the last batch) is judged as a key.
    let alone = d.batch(&run, "000002", std::slice::from_ref(&denied)).await;
    assert_eq!(alone["failed_keys"], 1, "{alone}");
    let keys = [denied, denied_too];
    let request = json!({"mode": "batch", "run_id": run, "batch": "000003", "keys": keys});
    let err = d.runtime.invoke(&request).await.err();
    assert!(
        err.to_string()
            .contains("every key of this batch was refused"),
        "{err}"
    );
}

/// From a review: batches of one key each judged every refused key alone, so a
/// run over an archive S3 refuses whole (the KMS key not granted, files archived
/// to Glacier) succeeded having read nothing. The plan reads the first byte of
/// its first and last key, and refuses such a run with the remedy.
#[tokio::test]
async fn a_plan_over_an_archive_s3_refuses_fails_with_the_remedy() {
    let mut d = deploy().await;
    d.put_stop_logging("20260314T1300Z", "denied-a").await;
    d.put_stop_logging("20260314T1310Z", "denied-b").await;
    d.restart_behind_refusing_proxy("denied").await;
    let plan = |run: &str| {
        json!({"mode": "plan", "run_id": run, "prefixes": [format!("AWSLogs/{ACCOUNT}/")],
               "since": "2026-03-14", "until": "2026-03-14", "max_keys_per_batch": 1})
    };
    let err = d.runtime.invoke(&plan(&unique("refused-plan"))).await.err();
    assert_eq!(err["errorType"], "trailwatch.BacktestInvalid", "{err}");
    let message = err["errorMessage"].as_str().unwrap_or_default();
    assert!(
        message.contains("S3 refuses to read the archive")
            && message.contains("AccessDenied")
            && message.contains("KMS key"),
        "{err}"
    );
    // One key readable, the last: the run goes ahead, its batches skip the others.
    d.put_stop_logging("20260314T1320Z", "good").await;
    let out = d
        .runtime
        .invoke(&plan(&unique("partly-refused-plan")))
        .await
        .ok();
    assert_eq!(out["keys"], 3, "{out}");
}

/// Files archived to Glacier cannot be read until restored: the plan says so.
#[tokio::test]
async fn a_plan_over_archived_files_asks_for_a_restore() {
    let d = deploy().await;
    let stop = records("cloudtrail-log-suspended/positive-stop-logging-iam-user.json");
    for stamp in ["20260314T1300Z", "20260314T1310Z"] {
        s3(&d.sdk)
            .put_object()
            .bucket(&d.archive)
            .key(trail_key(ACCOUNT, stamp, "cold"))
            .storage_class(aws_sdk_s3::types::StorageClass::Glacier)
            .body(log_file(&stop).into())
            .send()
            .await
            .expect("PutObject GLACIER");
    }
    let err = d
        .runtime
        .invoke(&json!({"mode": "plan", "run_id": unique("cold-plan"), "prefixes": [format!("AWSLogs/{ACCOUNT}/")],
                        "since": "2026-03-14", "until": "2026-03-14"}))
        .await
        .err();
    assert_eq!(err["errorType"], "trailwatch.BacktestInvalid", "{err}");
    let message = err["errorMessage"].as_str().unwrap_or_default();
    assert!(
        message.contains("InvalidObjectState") && message.contains("restore"),
        "{err}"
    );
}

/// The measurement docs/backtest.md quotes (tests/bench/backtest runs it with a
/// release build): one batch of the `trailwatch generate --shape s3` files in
/// `TRAILWATCH_BENCH_S3_DIR`, through the real binary against moto. Prints
/// records/s; moto's DynamoDB, a Python server, bounds it (see the docs for the
/// extrapolation to DynamoDB).
#[tokio::test]
#[ignore]
async fn measure_one_batch() {
    let dir = std::env::var("TRAILWATCH_BENCH_S3_DIR").expect("TRAILWATCH_BENCH_S3_DIR");
    let mut files = Vec::new();
    let root = std::path::PathBuf::from(dir);
    let mut stack = vec![root.clone()];
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            stack.extend(
                std::fs::read_dir(&p)
                    .expect("dir")
                    .map(|e| e.expect("entry").path()),
            );
        } else if p.to_string_lossy().ends_with(".json.gz") {
            files.push(p);
        }
    }
    files.sort();
    let d = deploy().await;
    let mut keys = Vec::new();
    let mut bytes = 0;
    for f in &files {
        let body = std::fs::read(f).expect("file");
        bytes += body.len();
        // The generator writes the archive layout: the relative path is the key.
        let key = f
            .strip_prefix(&root)
            .expect("under the dir")
            .to_string_lossy()
            .into_owned();
        keys.push(d.put(&key, body).await);
    }
    let started = std::time::Instant::now();
    let out = d.batch(&unique("measure"), "000000", &keys).await;
    let secs = started.elapsed().as_secs_f64();
    let records = out["records"].as_u64().unwrap_or(0);
    println!(
        "one batch: {} files, {bytes} bytes compressed, {records} records, {} findings, {secs:.2} s, {:.0} records/s",
        keys.len(),
        out["findings"],
        records as f64 / secs
    );
}

/// A loopback proxy to `target` that forwards every request until one begins
/// `PUT ` (the batch writing its findings): that connection is then held, the
/// request never reaching `target`, and `held` is notified.
async fn holding_proxy(target: String) -> (String, std::sync::Arc<tokio::sync::Notify>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("address"));
    let held = std::sync::Arc::new(tokio::sync::Notify::new());
    let notify = held.clone();
    tokio::spawn(async move {
        while let Ok((inbound, _)) = listener.accept().await {
            let (target, notify) = (target.clone(), notify.clone());
            tokio::spawn(async move {
                let Ok(outbound) = tokio::net::TcpStream::connect(&target).await else {
                    return;
                };
                let (mut in_read, mut in_write) = inbound.into_split();
                let (mut out_read, mut out_write) = outbound.into_split();
                tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut out_read, &mut in_write).await;
                });
                let mut buf = vec![0; 64 * 1024];
                loop {
                    let n = match in_read.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    if buf[..n].starts_with(b"PUT ") {
                        notify.notify_one();
                        // Held open and unanswered until the process dies.
                        let _ = in_read.read_to_end(&mut Vec::new()).await;
                        return;
                    }
                    if out_write.write_all(&buf[..n]).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (endpoint, held)
}

/// The process dies (SIGKILL) after it took its findings' claims and while it
/// writes them, as Lambda kills a function at its timeout or out of memory:
/// nothing is given back. The retry, a new process, takes those claims again as
/// the same batch's and writes the findings; another batch finds them held.
#[tokio::test]
async fn a_batch_killed_while_writing_its_findings_writes_them_on_retry() {
    let mut d = deploy().await;
    let (stop, key) = d.put_stop_logging("20260314T1325Z", "killed").await;
    let (proxy, held) = holding_proxy(
        Moto::shared()
            .endpoint
            .trim_start_matches("http://")
            .to_owned(),
    )
    .await;
    d.restart_function(&proxy).await;
    let run = unique("killed");
    let request = json!({"mode": "batch", "run_id": run, "batch": "000004", "keys": [key]});
    tokio::select! {
        answer = d.runtime.invoke(&request) => panic!("answered before writing: {answer:?}"),
        () = held.notified() => {}
    }
    assert!(d.findings(&run, "000004").await.is_empty());

    d.restart_function(&Moto::shared().endpoint).await;
    let out = d.runtime.invoke(&request).await.ok();
    assert_eq!(out["findings"], 2, "{out}");
    assert_eq!(d.findings(&run, "000004").await, stop_findings(&stop));
    // For another batch of the run they were reported.
    let other = d.batch(&run, "000005", &[json!(key)]).await;
    assert_eq!(other["findings"], 0, "{other}");
}
