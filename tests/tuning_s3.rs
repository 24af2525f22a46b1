//! The functions' tuning read from S3, against moto: the real handler (DynamoDB,
//! SNS) with `TRAILWATCH_TUNING=s3://...`. A missing object at a cold start runs
//! untuned; a pushed file applies at the next re-read (at most every 60 s), which
//! is a conditional GET answered 304 while nothing changed; a bad file pushed, the
//! object deleted, or S3 unreachable keep the last good tuning in force; a bucket
//! another account owns is not read; and no file hides the record of its own
//! upload from the self-protection function.

use aws_config::SdkConfig;
use serde_json::{Value, json};
use trailwatch::aws::s3::S3Client;
use trailwatch::catalog;
use trailwatch::lambda::tuning::{Refresh, TuningSource};
use trailwatch::lambda::{
    Config, ENV_TABLE, ENV_TOPIC_ARN, ENV_TUNING, ENV_TUNING_BUCKET_OWNER, Handler, LambdaHandler,
};
use trailwatch::tuning::location::{Location, put_s3};
use trailwatch_tests::moto::Moto;
use trailwatch_tests::one_request::{access_denied, answer_once, assert_signed_header, sdk_at};
use trailwatch_tests::queue::{drain, drain_detection_ids, subscribed_queue, table_and_topic};
use trailwatch_tests::{root, unique};

/// Now, in epoch seconds: expiry is judged on the clock the handler is given.
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The day 100 days from now (`YYYY-MM-DD`): an entry's expiry.
fn in_100_days() -> String {
    let time = trailwatch::event::time::format_event_time((now() + 100 * 86_400) * 1000);
    time[..10].to_owned()
}

/// A file suppressing `cloudtrail-log-suspended` for alice (expiring in 100 days).
fn good_tuning() -> String {
    format!(
        r#"[[suppress]]
id = "maintenance"
detections = ["cloudtrail-log-suspended"]
reason = "quarterly maintenance"
owner = "platform@example.com"
expires = "{}"
[suppress.match]
"userIdentity.arn" = "arn:aws:iam::111122223333:user/alice"
"#,
        in_100_days()
    )
}

/// The sample `events/<path>` with event id `id`.
fn sample(path: &str, id: &str) -> Value {
    let text = std::fs::read_to_string(root().join("events").join(path)).unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["detail"]["eventID"] = json!(id);
    v
}

/// The StopLogging sample with event id `id` (it fires two detections).
fn stop_logging(id: &str) -> String {
    sample(
        "cloudtrail-log-suspended/positive-stop-logging-iam-user.json",
        id,
    )
    .to_string()
}

async fn table_topic_queue(sdk: &SdkConfig) -> (String, String, String) {
    let (table, topic) = table_and_topic(sdk, "tuning").await;
    let queue = subscribed_queue(sdk, &topic, None).await;
    (table, topic, queue)
}

async fn bucket(sdk: &SdkConfig) -> String {
    bucket_named(sdk, unique("tuning").to_ascii_lowercase()).await
}

/// A new bucket holding [`good_tuning`] at `key`.
async fn bucket_with_good_tuning(sdk: &SdkConfig, key: &str) -> String {
    let bucket = bucket(sdk).await;
    put_s3(
        &S3Client::new(sdk),
        &bucket,
        key,
        good_tuning().into_bytes(),
    )
    .await
    .unwrap();
    bucket
}

async fn bucket_named(sdk: &SdkConfig, name: String) -> String {
    Moto::create_bucket(sdk, &name).await;
    name
}

fn config(table: &str, topic: &str, tuning: &str) -> Config {
    owned_config(table, topic, tuning, "")
}

/// [`config`] with `TRAILWATCH_TUNING_BUCKET_OWNER` (empty: unset).
fn owned_config(table: &str, topic: &str, tuning: &str, owner: &str) -> Config {
    Config::from_vars(
        catalog::function("logging-tamper").unwrap(),
        [
            (ENV_TABLE.to_owned(), table.to_owned()),
            (ENV_TOPIC_ARN.to_owned(), topic.to_owned()),
            (ENV_TUNING.to_owned(), tuning.to_owned()),
            (ENV_TUNING_BUCKET_OWNER.to_owned(), owner.to_owned()),
        ],
    )
    .expect("valid configuration")
}

/// Detection ids of the messages in the queue now.
async fn sent(sdk: &SdkConfig, queue: &str) -> Vec<String> {
    drain_detection_ids(sdk, queue).await
}

const BOTH: [&str; 2] = ["cloudtrail-important-change", "cloudtrail-log-suspended"];
const ONE: [&str; 1] = ["cloudtrail-important-change"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_s3_tuning_applies_at_the_next_reread_and_failures_keep_the_last_good_one() {
    let sdk = Moto::shared().sdk().await;
    let (table, topic, queue) = table_topic_queue(&sdk).await;
    let bucket = bucket(&sdk).await;
    let s3 = S3Client::new(&sdk);
    let handler = LambdaHandler::from_config(
        &config(&table, &topic, &format!("s3://{bucket}/tuning.toml")),
        &sdk,
    );
    let t0 = now();

    // Cold start, no object yet: untuned, and said so.
    assert!(
        matches!(handler.load_tuning(t0).await, Some(Refresh::Failed(e)) if e.contains("NoSuchKey"))
    );
    assert!(handler.engine().tuning().is_none());
    handler
        .handle_at(&stop_logging("e1"), "r1", t0)
        .await
        .unwrap();
    assert_eq!(sent(&sdk, &queue).await, BOTH);

    // Pushed: not read before a minute has passed, then applied.
    put_s3(&s3, &bucket, "tuning.toml", good_tuning().into_bytes())
        .await
        .unwrap();
    handler
        .handle_at(&stop_logging("e2"), "r2", t0 + 30)
        .await
        .unwrap();
    assert_eq!(sent(&sdk, &queue).await, BOTH);
    let out = handler
        .handle_at(&stop_logging("e3"), "r3", t0 + 61)
        .await
        .unwrap();
    assert_eq!(sent(&sdk, &queue).await, ONE);
    assert_eq!(out["not_notified"][0]["entry"], "maintenance", "{out}");
    let good = handler.engine().tuning().unwrap().digest.clone();

    // Unchanged: the conditional GET says so.
    assert_eq!(handler.load_tuning(t0 + 62).await, Some(Refresh::Unchanged));

    // A bad file pushed: refused, the last good one stays.
    put_s3(
        &s3,
        &bucket,
        "tuning.toml",
        b"[[suppress]]\nid = 1\n".to_vec(),
    )
    .await
    .unwrap();
    assert!(
        matches!(handler.load_tuning(t0 + 130).await, Some(Refresh::Failed(e)) if e.contains("invalid tuning file"))
    );
    assert_eq!(handler.engine().tuning().unwrap().digest, good);
    handler
        .handle_at(&stop_logging("e4"), "r4", t0 + 131)
        .await
        .unwrap();
    assert_eq!(sent(&sdk, &queue).await, ONE);

    // A file that is not UTF-8: refused, located as the CLI locates it.
    put_s3(
        &s3,
        &bucket,
        "tuning.toml",
        b"# tuning\n# owner: Ren\xe9e\n".to_vec(),
    )
    .await
    .unwrap();
    let r = handler.load_tuning(t0 + 140).await;
    assert!(
        matches!(&r, Some(Refresh::Failed(e)) if e.contains("/tuning.toml:2:13: not UTF-8 text (byte 0xE9)")),
        "{r:?}"
    );
    assert_eq!(handler.engine().tuning().unwrap().digest, good);

    // Deleted: the same.
    Moto::s3(&sdk)
        .delete_object()
        .bucket(&bucket)
        .key("tuning.toml")
        .send()
        .await
        .unwrap();
    assert!(matches!(
        handler.load_tuning(t0 + 200).await,
        Some(Refresh::Failed(_))
    ));
    assert_eq!(handler.engine().tuning().unwrap().digest, good);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_unreachable_keeps_the_last_good_tuning_or_runs_untuned() {
    // A server of its own, stopped half-way.
    let moto = Moto::start();
    let sdk = moto.sdk().await;
    let bucket = bucket_with_good_tuning(&sdk, "t.toml").await;
    let location = Location::S3 {
        bucket: bucket.clone(),
        key: "t.toml".into(),
        owner: None,
    };
    let memory = || {
        let c = config("t", "arn:aws:sns:us-east-1:111122223333:t", "ignored.toml");
        Handler::new(
            &c,
            trailwatch::state::MemoryStore::default(),
            trailwatch::notify::Collect::default(),
        )
    };
    let loaded = memory().with_tuning(TuningSource::new(
        location.clone(),
        Some(S3Client::new(&sdk)),
    ));
    assert!(matches!(
        loaded.load_tuning(now()).await,
        Some(Refresh::Loaded(_))
    ));
    moto.stop();
    assert!(matches!(
        loaded.load_tuning(now() + 61).await,
        Some(Refresh::Failed(_))
    ));
    assert!(
        loaded.engine().tuning().is_some(),
        "the last good tuning stays"
    );
    let out = loaded
        .handle_at(&stop_logging("u1"), "r", now() + 62)
        .await
        .unwrap();
    assert_eq!(out["findings"].as_array().unwrap().len(), 1, "{out}");
    assert_eq!(out["not_notified"][0]["disposition"], "suppressed", "{out}");

    // A cold start while S3 is away: untuned, every finding notified.
    let cold = memory().with_tuning(TuningSource::new(location, Some(S3Client::new(&sdk))));
    assert!(matches!(
        cold.load_tuning(now()).await,
        Some(Refresh::Failed(_))
    ));
    assert!(cold.engine().tuning().is_none());
    let out = cold
        .handle_at(&stop_logging("u2"), "r", now())
        .await
        .unwrap();
    assert_eq!(out["findings"].as_array().unwrap().len(), 2, "{out}");
}

/// With `TRAILWATCH_TUNING_BUCKET_OWNER` (as the templates set it) every read of
/// the tuning file names the account that must own its bucket, in a signed
/// header. Its owner's bucket is read as before (moto); S3 answers any other
/// account's bucket, say one created again under the same name after a
/// deletion, with 403 AccessDenied, which a server of our own plays here: the
/// file is not read, and the function runs untuned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tuning_bucket_another_account_owns_is_not_read() {
    let sdk = Moto::shared().sdk().await;
    let bucket = bucket_with_good_tuning(&sdk, "tuning.toml").await;
    let tuning = format!("s3://{bucket}/tuning.toml");
    let (table, topic) = ("t", "arn:aws:sns:us-east-1:111122223333:t");
    // moto's own account owns every bucket it holds.
    let owned = owned_config(table, topic, &tuning, "123456789012");
    let handler = LambdaHandler::from_config(&owned, &sdk);
    assert!(matches!(
        handler.load_tuning(now()).await,
        Some(Refresh::Loaded(_))
    ));

    let (endpoint, server) = answer_once(access_denied()).await;
    let elsewhere = sdk_at(&endpoint);
    let owned = owned_config(table, topic, &tuning, "111122223333");
    let cold = LambdaHandler::from_config(&owned, &elsewhere);
    assert!(
        matches!(cold.load_tuning(now()).await, Some(Refresh::Failed(e)) if e.contains("AccessDenied"))
    );
    assert!(cold.engine().tuning().is_none());
    let head = server.await.unwrap();
    assert!(
        head.starts_with(&format!("get /{bucket}/tuning.toml http/1.1\r\n")),
        "{head}"
    );
    assert_signed_header(&head, "x-amz-expected-bucket-owner", "111122223333");
}

/// The sample event `events/trailwatch-tampering/<name>`, by mallory, in
/// `bucket` when it names the tuning bucket.
fn tampering(name: &str, id: &str, bucket: &str) -> String {
    let mut v = sample(&format!("trailwatch-tampering/{name}"), id);
    v["detail"]["userIdentity"] = json!({
        "type": "IAMUser", "principalId": "AIDAEXAMPLEMALLORY01",
        "arn": "arn:aws:iam::111122223333:user/mallory", "accountId": "111122223333",
        "userName": "mallory"
    });
    v.to_string()
        .replace("trailwatch-tuningbucket-1abcd2efgh3i", bucket)
}

/// An intruder's tuning file turns `trailwatch-tampering` off and suppresses
/// everything its author does. The self-protection function has read it by the
/// time the record of its upload arrives, and still publishes that record's
/// finding, at its own severity; the intruder's other tampering is silenced, as
/// the file says (and the upload's finding is what gives it away).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tuning_file_cannot_hide_its_own_upload() {
    let sdk = Moto::shared().sdk().await;
    let (table, topic, queue) = table_topic_queue(&sdk).await;
    // The name CloudFormation gives the tuning bucket of a stack `trailwatch`.
    let bucket = format!(
        "trailwatch-tuningbucket-{}",
        unique("b").to_ascii_lowercase()
    );
    let bucket = bucket_named(&sdk, bucket).await;
    let hostile = format!(
        r#"[detections.trailwatch-tampering]
mode = "off"

[[suppress]]
id = "quiet"
detections = ["*"]
reason = "nothing to see"
owner = "mallory@example.com"
expires = "{}"
[suppress.match]
"userIdentity.arn" = "arn:aws:iam::111122223333:user/mallory"
"#,
        in_100_days()
    );
    put_s3(
        &S3Client::new(&sdk),
        &bucket,
        "tuning.toml",
        hostile.into_bytes(),
    )
    .await
    .unwrap();
    let config = Config::from_vars(
        catalog::function("self-protection").unwrap(),
        [
            (ENV_TABLE.to_owned(), table.clone()),
            (ENV_TOPIC_ARN.to_owned(), topic.clone()),
            (ENV_TUNING.to_owned(), format!("s3://{bucket}/tuning.toml")),
        ],
    )
    .expect("valid configuration");
    let handler = LambdaHandler::from_config(&config, &sdk);
    let t0 = now();
    assert!(matches!(
        handler.load_tuning(t0).await,
        Some(Refresh::Loaded(_))
    ));
    assert!(handler.engine().tuning().is_some());

    let role = tampering(
        "positive-role-policy-deleted-name-in-other-case.json",
        "t1",
        &bucket,
    );
    handler.handle_at(&role, "r1", t0).await.unwrap();
    assert_eq!(sent(&sdk, &queue).await, Vec::<String>::new());

    let upload = tampering("positive-tuning-file-overwritten.json", "t2", &bucket);
    let out = handler.handle_at(&upload, "r2", t0 + 1).await.unwrap();
    let messages = drain(&sdk, &queue).await;
    assert_eq!(messages.len(), 1, "{out}");
    let attributes = &messages[0]["MessageAttributes"];
    assert_eq!(attributes["detection_id"]["Value"], "trailwatch-tampering");
    assert_eq!(attributes["severity"]["Value"], "medium", "{attributes}");
}
