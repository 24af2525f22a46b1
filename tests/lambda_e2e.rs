//! End to end against moto (DynamoDB, SNS, SQS): the real Lambda handler of every
//! function group, its DynamoDB store and its SNS notifier, with the table and topic
//! created as template.yaml creates them and an SQS queue subscribed to the topic.
//!
//! Every sample of `events/` is fed, envelope by envelope (a sequence file is a JSON
//! array of envelopes: one invocation each), to the handlers of all five functions,
//! each file with a fresh table. The queue must then hold exactly one message per
//! finding the file's manifest names (subject, attributes, JSON body naming the
//! detection and the file's event ids), nothing for negatives, and nothing more when
//! the same envelopes are delivered a second time (every sample a stateful detection
//! reads or fires on, one in four of the others).
//!
//! With a chat topic (`TRAILWATCH_CHAT_TOPIC_ARN`) and an SQS queue subscribed to
//! it too, each finding also reaches the chat topic once, as the AWS Chatbot
//! custom notification `render::chat` makes of it, record values made inert.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;

use aws_config::SdkConfig;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use trailwatch::catalog;
use trailwatch::event::Record;
use trailwatch::finding::Finding;
use trailwatch::lambda::{
    Clients, Config, Context, ENV_CHAT_TOPIC_ARN, ENV_TABLE, ENV_TOPIC_ARN, InvocationError,
    LambdaEvent, LambdaHandler,
};
use trailwatch::notify::Collect;
use trailwatch::notify::message::{self, MAX_SUBJECT_CHARS};
use trailwatch::render::chat;
use trailwatch::state::MemoryStore;
use trailwatch::state::dynamodb::create_table;
use trailwatch_tests::moto::Moto;
use trailwatch_tests::queue::{drain, drain_detection_ids, drain_finding_ids, subscribed_queue};
use trailwatch_tests::{root, unique};

// ---------------------------------------------------------------------------
// moto plumbing

async fn sdk() -> SdkConfig {
    Moto::shared().sdk().await
}

/// The topic as the template makes it (KMS-encrypted with the AWS managed key).
async fn topic(sdk: &SdkConfig) -> String {
    aws_sdk_sns::Client::new(sdk)
        .create_topic()
        .name(unique("findings"))
        .attributes("KmsMasterKeyId", "alias/aws/sns")
        .send()
        .await
        .expect("CreateTopic")
        .topic_arn()
        .expect("topic ARN")
        .to_owned()
}

/// The handlers of every function group over one table and topic.
fn handlers(sdk: &SdkConfig, table: &str, topic: &str) -> Vec<LambdaHandler> {
    handlers_on(&Clients::new(sdk), table, topic)
}

/// [`handlers`] on clients already built (the sample test makes handlers for
/// every sample: building their clients anew was a fifth of the test
/// process's CPU in a debug build).
fn handlers_on(clients: &Clients, table: &str, topic: &str) -> Vec<LambdaHandler> {
    catalog::functions::ALL
        .iter()
        .map(|g| {
            let vars = [
                (ENV_TABLE.to_owned(), table.to_owned()),
                (ENV_TOPIC_ARN.to_owned(), topic.to_owned()),
            ];
            let config = Config::from_vars(g, vars).expect("valid configuration");
            LambdaHandler::from_clients(&config, clients)
        })
        .collect()
}

fn event(payload: &str) -> LambdaEvent<Box<RawValue>> {
    let raw = RawValue::from_string(payload.to_owned()).expect("JSON payload");
    LambdaEvent::new(raw, Context::default())
}

// ---------------------------------------------------------------------------
// samples

struct Sample {
    name: String,
    /// One invocation each.
    envelopes: Vec<String>,
    /// `detail.eventID` of every envelope.
    event_ids: BTreeSet<String>,
    expected: BTreeSet<String>,
    /// Whether the envelopes are delivered a second time (see
    /// [`STATELESS_REDELIVERED_EVERY`]).
    redeliver: bool,
}

/// Every sample that a windowed, correlated, first-seen or heartbeat detection
/// reads or fires on is delivered twice; of the others, one in this many. A
/// stateless finding's second delivery meets its claim, the same check whatever
/// the detection.
const STATELESS_REDELIVERED_EVERY: usize = 4;

/// A sample file's JSON values as EventBridge envelopes: envelopes as they are,
/// raw records and `Records` files wrapped the way EventBridge would.
fn envelopes(v: Value, out: &mut Vec<Value>) {
    match v {
        Value::Array(items) => items.into_iter().for_each(|i| envelopes(i, out)),
        Value::Object(ref m) if m.contains_key("detail-type") => out.push(v),
        Value::Object(mut m) if m.contains_key("Records") => {
            envelopes(m.remove("Records").unwrap(), out)
        }
        Value::Object(m) if m.contains_key("eventSource") => {
            let kind = if m.get("eventType") == Some(&json!("AwsConsoleSignIn")) {
                "AWS Console Sign In via CloudTrail"
            } else {
                "AWS API Call via CloudTrail"
            };
            let service = m["eventSource"]
                .as_str()
                .unwrap_or("")
                .split('.')
                .next()
                .unwrap_or("");
            out.push(json!({
                "version": "0",
                "id": format!("wrapped-{}", m.get("eventID").and_then(Value::as_str).unwrap_or("none")),
                "detail-type": kind,
                "source": format!("aws.{service}"),
                "account": m.get("recipientAccountId").cloned().unwrap_or(json!("123456789012")),
                "time": m.get("eventTime").cloned().unwrap_or(Value::Null),
                "region": m.get("awsRegion").cloned().unwrap_or(json!("us-east-1")),
                "resources": [],
                "detail": Value::Object(m),
            }))
        }
        other => panic!("not a sample event: {other}"),
    }
}

fn samples() -> Vec<Sample> {
    let mut dirs: Vec<_> = fs::read_dir(root().join("events"))
        .expect("events/")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let stateful = |id: &str| catalog::by_id(id).is_some_and(|d| d.meta().stateful());
    let mut out = Vec::new();
    let mut stateless_only = 0;
    for dir in dirs {
        let m = trailwatch_tests::sample_manifest(&dir);
        let dir_stateful = stateful(&dir.file_name().unwrap().to_string_lossy());
        for (file, expected) in m {
            let expected = expected.ids;
            let path = dir.join(&file);
            let text =
                fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            // A lone surrogate escape, which serde_json refuses, is sent as U+FFFD
            // (what the functions read it as: `event::surrogates`).
            let text = trailwatch::event::surrogates::repaired(&text).unwrap_or(text);
            let mut envs = Vec::new();
            envelopes(serde_json::from_str(&text).expect("sample JSON"), &mut envs);
            let event_ids = envs
                .iter()
                .filter_map(|e| e["detail"]["eventID"].as_str().map(str::to_owned))
                .collect();
            let redeliver = dir_stateful || expected.iter().any(|id| stateful(id)) || {
                stateless_only += 1;
                stateless_only % STATELESS_REDELIVERED_EVERY == 1
            };
            out.push(Sample {
                redeliver,
                name: format!(
                    "events/{}/{file}",
                    dir.file_name().unwrap().to_string_lossy()
                ),
                envelopes: envs.iter().map(Value::to_string).collect(),
                event_ids,
                // What the functions send: replay-only findings (past heartbeat gaps)
                // are reported live by the scheduled check instead.
                expected: expected
                    .into_iter()
                    .filter(|id| {
                        catalog::by_id(id).is_some_and(|d| d.meta().fires_live_from_records())
                    })
                    .collect(),
            });
        }
    }
    assert!(
        out.len() >= catalog::ALL.len() * 2,
        "too few samples: {}",
        out.len()
    );
    out
}

// ---------------------------------------------------------------------------
// checks of one SNS message

/// What one received message says, after checking its shape. `Err` describes what
/// is wrong.
fn check_message(env: &Value, sample: &Sample) -> Result<(String, String, i64), String> {
    if env["Type"] != "Notification" {
        return Err(format!("not a notification: {env}"));
    }
    let attr = |k: &str| -> Result<(&str, &str), String> {
        let a = &env["MessageAttributes"][k];
        Ok((
            a["Type"].as_str().ok_or(format!("attribute {k} missing"))?,
            a["Value"]
                .as_str()
                .ok_or(format!("attribute {k} has no value"))?,
        ))
    };
    let (_, severity) = attr("severity")?;
    let (rank_type, rank) = attr("severity_rank")?;
    let (_, detection) = attr("detection_id")?;
    let (_, account) = attr("account_id")?;
    if rank_type != "Number" {
        return Err(format!("severity_rank is {rank_type}"));
    }
    // The rank the e-mail subscription's numeric filter routes on, held to the
    // severity it stands for (the high queue's expectation is built from the
    // severity below, not from this rank).
    let want_rank = match severity {
        "low" => "1",
        "medium" => "2",
        "high" => "3",
        "critical" => "4",
        other => return Err(format!("severity {other:?} is none of the four")),
    };
    if rank != want_rank {
        return Err(format!("severity_rank {rank} for severity {severity}"));
    }
    let finding: Value = serde_json::from_str(env["Message"].as_str().ok_or("no Message")?)
        .map_err(|e| format!("the message is not the finding JSON: {e}"))?;
    if finding["detection_id"] != detection {
        return Err(format!(
            "detection_id attribute {detection} vs body {}",
            finding["detection_id"]
        ));
    }
    if finding["severity"] != severity {
        return Err(format!(
            "severity attribute {severity} vs body {}",
            finding["severity"]
        ));
    }
    let body_account = finding["account_id"].as_str().unwrap_or("unknown");
    if body_account != account {
        return Err(format!(
            "account_id attribute {account} vs body {body_account}"
        ));
    }
    let ids: Vec<&str> = finding["event_ids"]
        .as_array()
        .ok_or("no event_ids")?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    if ids.is_empty() || ids.iter().any(|id| !sample.event_ids.contains(*id)) {
        return Err(format!(
            "event_ids {ids:?} are not the file's {:?}",
            sample.event_ids
        ));
    }
    let subject = env["Subject"].as_str().ok_or("no Subject")?;
    let title = finding["title"].as_str().unwrap_or_default();
    let head = format!("[{}] {}", severity.to_ascii_uppercase(), title);
    let head: String = head.chars().take(MAX_SUBJECT_CHARS - 3).collect();
    if !subject.starts_with(&head)
        || subject.chars().count() > MAX_SUBJECT_CHARS
        || !subject
            .chars()
            .all(|c| c.is_ascii() && !c.is_ascii_control())
    {
        return Err(format!("bad subject {subject:?}"));
    }
    Ok((
        detection.to_owned(),
        finding["finding_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        rank.parse().map_err(|_| format!("severity_rank {rank}"))?,
    ))
}

// ---------------------------------------------------------------------------

// Every sample, in two halves that run side by side, each against a moto server
// of its own: the test waits on one request at a time, and one moto server (a
// single Python process) keeps one core busy at most.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sample_through_the_real_handlers_yields_the_expected_messages_1_of_2() {
    every_sample_through_the_real_handlers(0, 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sample_through_the_real_handlers_yields_the_expected_messages_2_of_2() {
    every_sample_through_the_real_handlers(1, 2).await;
}

/// The samples whose index is `part` modulo `parts`, each through every
/// function's handler: the expected detections fire once, as SNS messages in the
/// finding format; a second pass (every sample with state, some without) sends
/// nothing.
async fn every_sample_through_the_real_handlers(part: usize, parts: usize) {
    let moto = Moto::start();
    let sdk = moto.sdk().await;
    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    let topic = topic(&sdk).await;
    let queue = subscribed_queue(&sdk, &topic, None).await;
    // The e-mail subscription's filter in template.yaml, for minimum severity high.
    let high_queue = subscribed_queue(
        &sdk,
        &topic,
        Some(r#"{"severity_rank":[{"numeric":[">=",3]}]}"#),
    )
    .await;

    let clients = Clients::new(&sdk);
    let mut failures = Vec::new();
    let (mut files, mut invocations, mut messages_total) = (0, 0, 0);
    // The findings of severity high or above, which the filtered queue must hold,
    // and only those (checked once at the end: the queue keeps them meanwhile).
    // Counted by finding id: two sample files may hold the same records.
    let mut high: BTreeMap<String, usize> = BTreeMap::new();
    for sample in samples().into_iter().skip(part).step_by(parts) {
        files += 1;
        let table = unique("state");
        create_table(&ddb, &table)
            .await
            .expect("create the state table");
        let hs = handlers_on(&clients, &table, &topic);

        let mut delivered: BTreeSet<String> = BTreeSet::new();
        for round in 0..if sample.redeliver { 2 } else { 1 } {
            for env in &sample.envelopes {
                for h in &hs {
                    invocations += 1;
                    match h.handle(event(env)).await {
                        Ok(summary) => {
                            for f in summary["findings"].as_array().into_iter().flatten() {
                                let id = f["finding_id"].as_str().unwrap().to_owned();
                                if round == 1 || !delivered.insert(id.clone()) {
                                    failures.push(format!(
                                        "{}: finding {id} delivered twice",
                                        sample.name
                                    ));
                                }
                            }
                        }
                        Err(e) => failures.push(format!(
                            "{} ({}): invocation failed: {e}",
                            sample.name, h.group.name
                        )),
                    }
                }
            }
            let got = drain(&sdk, &queue).await;
            messages_total += got.len();
            if round == 1 {
                if !got.is_empty() {
                    failures.push(format!(
                        "{}: the replayed envelopes sent {} more message(s)",
                        sample.name,
                        got.len()
                    ));
                }
                continue;
            }
            let mut fired = BTreeSet::new();
            let mut received_ids = BTreeSet::new();
            for env in &got {
                match check_message(env, &sample) {
                    Ok((detection, finding_id, rank)) => {
                        fired.insert(detection);
                        if rank >= 3 {
                            *high.entry(finding_id.clone()).or_default() += 1;
                        }
                        received_ids.insert(finding_id);
                    }
                    Err(e) => failures.push(format!("{}: {e}", sample.name)),
                }
            }
            if fired != sample.expected {
                failures.push(format!(
                    "{}: expected {:?}, the queue got {:?}",
                    sample.name, sample.expected, fired
                ));
            }
            if received_ids != delivered || got.len() != delivered.len() {
                failures.push(format!(
                    "{}: handlers delivered {} finding(s), the queue got {} message(s)",
                    sample.name,
                    delivered.len(),
                    got.len()
                ));
            }
        }
    }
    // Every message the filtered queue got, counted by finding id.
    let mut high_got: BTreeMap<String, usize> = BTreeMap::new();
    for env in drain(&sdk, &high_queue).await {
        let id = serde_json::from_str::<Value>(env["Message"].as_str().unwrap_or_default())
            .ok()
            .and_then(|f| f["finding_id"].as_str().map(str::to_owned))
            .unwrap_or_default();
        *high_got.entry(id).or_default() += 1;
    }
    if high_got != high {
        failures.push(format!(
            "the severity-filtered queue got {high_got:?} (messages by finding id), expected {high:?}"
        ));
    }
    assert!(
        !high.is_empty(),
        "no sample produced a finding of severity high"
    );
    eprintln!("{files} sample files, {invocations} invocations, {messages_total} SNS messages");
    assert!(messages_total > 0, "no sample produced a message");
    assert!(
        failures.is_empty(),
        "{} problem(s) over {files} files and {invocations} invocations:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn what_is_not_cloudtrail_is_rejected_with_its_id() {
    let sdk = sdk().await;
    let table = unique("state");
    create_table(&aws_sdk_dynamodb::Client::new(&sdk), &table)
        .await
        .unwrap();
    let topic = topic(&sdk).await;
    let hs = handlers(&sdk, &table, &topic);
    let cases = [
        (
            r#"{"id":"sched-1","detail-type":"Scheduled Event","source":"aws.events","detail":{}}"#,
            "sched-1",
        ),
        (
            r#"{"id":"no-detail-type","detail":{"eventSource":"iam.amazonaws.com","eventName":"CreateUser"}}"#,
            "no-detail-type",
        ),
        (
            r#"{"id":"bad-detail","detail-type":"AWS API Call via CloudTrail","source":"aws.iam","detail":[1,2]}"#,
            "bad-detail",
        ),
        (
            r#"{"id":"empty-detail","detail-type":"AWS API Call via CloudTrail","source":"aws.iam","detail":{}}"#,
            "empty-detail",
        ),
        (r#"[1,2,3]"#, "(no id)"),
    ];
    for (payload, id) in cases {
        for h in &hs {
            if h.group.name == "pipeline" && payload.contains("Scheduled Event") {
                // Its schedule: the heartbeat check (no canary seen: no finding).
                let out = h.handle(event(payload)).await.expect("the heartbeat check");
                assert_eq!(out["findings"], serde_json::json!([]), "{out}");
                continue;
            }
            match h.handle(event(payload)).await {
                Err(e @ InvocationError::Invalid { .. }) => {
                    assert!(e.to_string().contains(id), "{payload}: {e}")
                }
                other => panic!(
                    "{payload} ({}): expected a rejection, got {other:?}",
                    h.group.name
                ),
            }
        }
    }
}

#[tokio::test]
async fn events_no_detection_wants_succeed_with_nothing_sent() {
    let sdk = sdk().await;
    let table = unique("state");
    create_table(&aws_sdk_dynamodb::Client::new(&sdk), &table)
        .await
        .unwrap();
    let topic = topic(&sdk).await;
    let queue = subscribed_queue(&sdk, &topic, None).await;
    let payload = json!({
        "id": "describe-1", "detail-type": "AWS API Call via CloudTrail", "source": "aws.ec2",
        "detail": {"eventSource": "ec2.amazonaws.com", "eventName": "DescribeVpcEndpoints",
                   "eventID": "e-describe-1", "userAgent": "Boto3/1.34.0"}
    })
    .to_string();
    for h in handlers(&sdk, &table, &topic) {
        let summary = h.handle(event(&payload)).await.expect("success");
        assert_eq!(summary["outcome"], "ignored", "{}", h.group.name);
    }
    assert!(drain(&sdk, &queue).await.is_empty());
}

#[tokio::test]
async fn a_failed_publish_fails_the_invocation_and_a_retry_sends_it_once() {
    let sdk = sdk().await;
    let table = unique("state");
    create_table(&aws_sdk_dynamodb::Client::new(&sdk), &table)
        .await
        .unwrap();
    let topic = topic(&sdk).await;
    let queue = subscribed_queue(&sdk, &topic, None).await;
    let sample = samples()
        .into_iter()
        .find(|s| s.name.contains("cloudtrail-log-suspended/positive") && s.envelopes.len() == 1)
        .expect("a StopLogging sample");
    let group = catalog::function("logging-tamper").unwrap();
    let config = |topic: &str| {
        Config::from_vars(
            group,
            [
                (ENV_TABLE.to_owned(), table.clone()),
                (ENV_TOPIC_ARN.to_owned(), topic.to_owned()),
            ],
        )
        .unwrap()
    };
    // SNS refuses (no such topic): the invocation fails, and the claims are given back.
    let missing = format!("{topic}-missing");
    let broken = LambdaHandler::from_config(&config(&missing), &sdk);
    match broken.handle(event(&sample.envelopes[0])).await {
        Err(e @ InvocationError::Delivery { .. }) => assert!(e.to_string().contains("SNS"), "{e}"),
        other => panic!("expected a delivery failure, got {other:?}"),
    }
    // Lambda's retry, now that SNS works: sent once, and once only.
    let working = LambdaHandler::from_config(&config(&topic), &sdk);
    let first = working
        .handle(event(&sample.envelopes[0]))
        .await
        .expect("retry succeeds");
    // Both of the sample's findings: the failed attempt gave back every claim
    // it had taken, not only the first.
    let both = ["cloudtrail-important-change", "cloudtrail-log-suspended"];
    let mut sent: Vec<&str> = first["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["detection_id"].as_str().unwrap_or_default())
        .collect();
    sent.sort_unstable();
    assert_eq!(sent, both, "{first}");
    let again = working
        .handle(event(&sample.envelopes[0]))
        .await
        .expect("duplicate succeeds");
    assert_eq!(again["findings"], json!([]), "a duplicate sends nothing");
    assert_eq!(drain_detection_ids(&sdk, &queue).await, both);
}

/// The sample StopLogging by an IAM user (two findings: the suspension and the
/// important change), with `userName` set to `user_name`, as an envelope; and
/// its CloudTrail record.
fn stop_logging_by(user_name: &str) -> (String, String) {
    let path = root().join("events/cloudtrail-log-suspended/positive-stop-logging-iam-user.json");
    let mut envelope: Value =
        serde_json::from_str(&fs::read_to_string(&path).expect("the sample")).expect("JSON");
    envelope["detail"]["userIdentity"]["userName"] = json!(user_name);
    let detail = envelope["detail"].to_string();
    (envelope.to_string(), detail)
}

/// What the chat topic's subscriber got, by finding id: the custom notification
/// (parsed), the message attributes, and the message as sent. Panics on a
/// message twice or not JSON.
async fn chat_messages(sdk: &SdkConfig, queue: &str) -> BTreeMap<String, (Value, Value, String)> {
    let mut out = BTreeMap::new();
    for env in drain(sdk, queue).await {
        assert_eq!(env["Type"], "Notification", "{env}");
        // Published plain: no subject, no per-protocol structure.
        assert!(env["Subject"].is_null(), "{env}");
        let text = env["Message"].as_str().expect("a Message");
        let body: Value = serde_json::from_str(text)
            .unwrap_or_else(|e| panic!("the chat message is not JSON ({e}): {text}"));
        let id = body["id"]
            .as_str()
            .expect("the notification's id")
            .to_owned();
        let previous = out.insert(
            id,
            (body, env["MessageAttributes"].clone(), text.to_owned()),
        );
        assert!(previous.is_none(), "a chat message twice: {env}");
    }
    out
}

/// With `TRAILWATCH_CHAT_TOPIC_ARN`, each finding also goes to the chat topic,
/// once, as the AWS Chatbot custom notification `render::chat` makes of it,
/// with the finding's message attributes; the findings topic still gets its own
/// message. Record values are made inert as render/chat.rs promises: a
/// `userName` with chat markdown, a mention, a link, a newline and a bidi
/// override reaches the chat only defanged, in a code span, on its own line.
/// A chat topic that refuses fails the invocation without keeping the finding
/// from the findings topic; the retry sends it to the chat topic alone (each
/// destination's delivery is recorded on its own).
#[tokio::test]
async fn findings_reach_the_chat_topic_as_chatbot_notifications_with_record_values_inert() {
    let sdk = sdk().await;
    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    let findings_topic = topic(&sdk).await;
    let chat_topic = topic(&sdk).await;
    let findings_queue = subscribed_queue(&sdk, &findings_topic, None).await;
    let chat_queue = subscribed_queue(&sdk, &chat_topic, None).await;
    let group = catalog::function("logging-tamper").unwrap();
    let handler = |table: &str, chat: &str| {
        let vars = [
            (ENV_TABLE.to_owned(), table.to_owned()),
            (ENV_TOPIC_ARN.to_owned(), findings_topic.clone()),
            (ENV_CHAT_TOPIC_ARN.to_owned(), chat.to_owned()),
        ];
        LambdaHandler::from_config(&Config::from_vars(group, vars).unwrap(), &sdk)
    };
    let new_table = || async {
        let table = unique("state");
        create_table(&ddb, &table).await.expect("CreateTable");
        table
    };
    let both = ["cloudtrail-important-change", "cloudtrail-log-suspended"];

    let hostile = "*bold* <@here> <!channel> `x` evil|https://evil.example\nline2 \u{202e}gpj.exe";
    let (envelope, detail) = stop_logging_by(hostile);
    let h = handler(&new_table().await, &chat_topic);
    // The findings the handler's engine makes of the record (fresh state,
    // collected in memory): what the chat messages must render.
    let collect = Collect::default();
    let now = trailwatch::state::wall_clock_secs();
    let rec = Record::from_json(&detail).expect("the record");
    let expected: BTreeMap<String, Finding> = h
        .engine()
        .handle(&rec, &MemoryStore::default(), &collect, now)
        .await
        .expect("in memory")
        .into_iter()
        .map(|f| (f.finding_id.clone(), f))
        .collect();
    let mut detections: Vec<&str> = expected.values().map(|f| f.detection_id).collect();
    detections.sort_unstable();
    assert_eq!(detections, both);

    let summary = h.handle(event(&envelope)).await.expect("delivered");
    let sent: BTreeSet<String> = summary["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["finding_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(sent, expected.keys().cloned().collect(), "{summary}");
    let chat = chat_messages(&sdk, &chat_queue).await;
    assert_eq!(
        chat.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "one chat message per finding"
    );
    assert_eq!(drain_detection_ids(&sdk, &findings_queue).await, both);

    let actor_line = format!(
        "*Actor* {} (`IAMUser`)",
        chat::chat_value(hostile, chat::MAX_VALUE_CHARS)
    );
    let (_, plain_detail) = stop_logging_by("alice");
    let plain_lines = |f: &Finding| {
        let rec = Record::from_json(&plain_detail).unwrap();
        let mut plain = f.clone();
        plain.actor = trailwatch::event::Actor::of(&rec);
        chat::render(&plain)["content"]["description"]
            .as_str()
            .unwrap()
            .lines()
            .count()
    };
    for (id, f) in &expected {
        let (body, attributes, raw) = &chat[id];
        assert_eq!(body, &chat::render(f), "the chat message of {id}");
        // The schema AWS Chatbot reads, held here too (not only through render).
        let severity = f.severity.upper();
        assert_eq!(body["version"], "1.0", "{body}");
        assert_eq!(body["source"], "custom", "{body}");
        assert_eq!(body["content"]["textType"], "client-markdown", "{body}");
        assert_eq!(
            body["content"]["title"],
            format!("[{severity}] {}", f.title),
            "{body}"
        );
        let keywords = body["content"]["keywords"].as_array().unwrap();
        assert!(
            keywords.contains(&json!(severity)) && keywords.contains(&json!(f.detection_id)),
            "{body}"
        );
        let description = body["content"]["description"].as_str().unwrap();
        assert!(
            description.contains(&format!("*Finding* `{id}`")),
            "{description}"
        );
        // The message attributes of the findings topic's messages, for
        // subscription filters.
        let want: serde_json::Map<String, Value> = message::attributes(f)
            .iter()
            .map(|(name, a)| {
                (
                    name.to_string(),
                    json!({"Type": a.data_type(), "Value": a.value()}),
                )
            })
            .collect();
        assert_eq!(attributes, &Value::Object(want), "{id}");
        assert_eq!(attributes["detection_id"]["Value"], f.detection_id);

        // The hostile name: not raw anywhere in the message, defanged in a
        // code span on the actor's line, and no line more than with a plain name.
        let title = body["content"]["title"].as_str().unwrap();
        let summary = body["metadata"]["summary"].as_str().unwrap();
        for text in [description, title, summary] {
            assert!(!text.contains(hostile), "{text:?}");
        }
        for bad in ["<@here>", "<!channel>", "`x`", "https://evil", "\u{202e}"] {
            assert!(!raw.contains(bad), "{bad:?} in {raw}");
        }
        // Not even escaped (the message is a JSON line: `sanitize::json_line`).
        assert!(!raw.to_ascii_lowercase().contains("\\u202e"), "{raw}");
        let line = description
            .lines()
            .find(|l| l.starts_with("*Actor* "))
            .unwrap_or_else(|| panic!("no actor line: {description}"));
        assert_eq!(line, actor_line, "{description}");
        let value = line
            .strip_prefix("*Actor* `")
            .and_then(|l| l.strip_suffix("` (`IAMUser`)"))
            .expect("the name in one code span");
        assert!(
            !value.contains(['`', '@', '<', '>', '|', '\u{202e}']) && !value.contains("://"),
            "{value:?}"
        );
        assert!(
            value.contains("*bold*"),
            "kept, inert in the span: {value:?}"
        );
        assert_eq!(description.lines().count(), plain_lines(f), "{description}");
    }

    // The chat topic refuses (no such topic): the invocation fails, naming it,
    // and the findings topic gets each finding all the same.
    let missing = format!("{chat_topic}-missing");
    let table = new_table().await;
    match handler(&table, &missing).handle(event(&envelope)).await {
        Err(e @ InvocationError::Delivery { .. }) => {
            assert!(e.to_string().contains(&missing), "{e}")
        }
        other => panic!("expected a delivery failure, got {other:?}"),
    }
    let findings_first = drain_finding_ids(&sdk, &findings_queue).await;
    assert!(chat_messages(&sdk, &chat_queue).await.is_empty());
    // Lambda's retry, with the chat topic back: the findings' claims were given
    // back, but their delivery to the findings topic is recorded, so each goes
    // to the chat topic alone; a duplicate then sends nothing.
    let retried = handler(&table, &chat_topic);
    let summary = retried.handle(event(&envelope)).await.expect("the retry");
    assert_eq!(
        summary["findings"].as_array().unwrap().len(),
        2,
        "{summary}"
    );
    let chat = chat_messages(&sdk, &chat_queue).await;
    assert_eq!(
        chat.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    let findings_again = drain_finding_ids(&sdk, &findings_queue).await;
    let mut want: Vec<(String, String)> = expected
        .values()
        .map(|f| (f.detection_id.to_owned(), f.finding_id.clone()))
        .collect();
    want.sort();
    assert_eq!(findings_first, want, "the refused attempt's messages");
    assert!(findings_again.is_empty(), "sent again: {findings_again:?}");
    let again = retried.handle(event(&envelope)).await.expect("duplicate");
    assert_eq!(again["findings"], json!([]), "{again}");
    assert!(chat_messages(&sdk, &chat_queue).await.is_empty());
    assert!(drain(&sdk, &findings_queue).await.is_empty());
}
