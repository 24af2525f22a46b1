//! The real `logging-tamper` binary against an in-process Lambda Runtime API
//! emulator, with moto standing in for DynamoDB and SNS: start-up, a finding, a
//! duplicate delivery, a rejected event, and a bad configuration, exactly as Lambda
//! would run them. (Here rather than in the workspace `tests/` crate because only a
//! function's own package knows the path of its binary.)

use std::collections::VecDeque;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::{BehaviorVersion, Region};
use aws_sdk_sns::config::Credentials;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use trailwatch_tests::moto::Moto;
use trailwatch_tests::root;

const BIN: &str = env!("CARGO_BIN_EXE_logging-tamper");

/// What the function posted back for one invocation.
#[derive(Debug, Clone)]
enum Outcome {
    Response(Value),
    Error(Value),
}

#[derive(Default)]
struct State {
    queue: VecDeque<(String, String)>,
    outcomes: Vec<(String, Outcome)>,
}

/// A Runtime API on a loopback port: hands out the queued events on
/// `GET .../invocation/next` (holding the request open when there are none) and
/// records what comes back.
struct Emulator {
    addr: String,
    state: Arc<Mutex<State>>,
    changed: Arc<Notify>,
}

impl Emulator {
    async fn start(events: Vec<(String, String)>) -> Emulator {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let state = Arc::new(Mutex::new(State {
            queue: events.into(),
            outcomes: Vec::new(),
        }));
        let changed = Arc::new(Notify::new());
        let (s, c) = (state.clone(), changed.clone());
        tokio::spawn(async move {
            loop {
                let Ok((conn, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(serve(conn, s.clone(), c.clone()));
            }
        });
        Emulator {
            addr,
            state,
            changed,
        }
    }

    /// Waits until `n` invocations have been answered.
    async fn outcomes(&self, n: usize) -> Vec<(String, Outcome)> {
        let wait = async {
            loop {
                let notified = self.changed.notified();
                {
                    let s = self.state.lock().unwrap();
                    if s.outcomes.len() >= n {
                        return s.outcomes.clone();
                    }
                }
                notified.await;
            }
        };
        tokio::time::timeout(Duration::from_secs(60), wait)
            .await
            .expect("the function answered every invocation within 60 s")
    }
}

async fn serve(conn: TcpStream, state: Arc<Mutex<State>>, changed: Arc<Notify>) {
    let (read, mut write) = conn.into_split();
    let mut read = BufReader::new(read);
    loop {
        // Request line and headers (HTTP/1.1, keep-alive).
        let mut line = String::new();
        if read.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let (method, path) = (
            parts.next().unwrap_or("").to_owned(),
            parts.next().unwrap_or("").to_owned(),
        );
        let mut length = 0usize;
        loop {
            let mut h = String::new();
            if read.read_line(&mut h).await.unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0u8; length];
        if read.read_exact(&mut body).await.is_err() {
            return;
        }
        let reply = if method == "GET" && path.ends_with("/invocation/next") {
            let next = loop {
                let notified = changed.notified();
                if let Some(e) = state.lock().unwrap().queue.pop_front() {
                    break e;
                }
                notified.await; // nothing left: hold the request open
            };
            let (id, payload) = next;
            let deadline = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis()
                + 30_000;
            format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                 lambda-runtime-aws-request-id: {id}\r\n\
                 lambda-runtime-deadline-ms: {deadline}\r\n\
                 lambda-runtime-invoked-function-arn: arn:aws:lambda:us-east-1:123456789012:function:logging-tamper\r\n\
                 lambda-runtime-trace-id: Root=1-00000000-000000000000000000000000\r\n\
                 content-length: {}\r\n\r\n{payload}",
                payload.len()
            )
        } else if method == "POST" && path.contains("/invocation/") {
            let id = path.split('/').rev().nth(1).unwrap_or("").to_owned();
            let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let outcome = if path.ends_with("/response") {
                Outcome::Response(value)
            } else {
                Outcome::Error(value)
            };
            state.lock().unwrap().outcomes.push((id, outcome));
            changed.notify_waiters();
            "HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n".to_owned()
        } else {
            "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n".to_owned()
        };
        if write.write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

fn command(runtime_api: &str) -> tokio::process::Command {
    let mut c = tokio::process::Command::new(BIN);
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_LAMBDA_RUNTIME_API", runtime_api)
        .env("AWS_LAMBDA_FUNCTION_NAME", "logging-tamper")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_invocations_like_lambda() {
    let moto = Moto::shared();
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(&moto.endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "static"))
        .load()
        .await;
    let table = unique("rt-state");
    trailwatch::state::dynamodb::create_table(&aws_sdk_dynamodb::Client::new(&sdk), &table)
        .await
        .unwrap();
    let topic = aws_sdk_sns::Client::new(&sdk)
        .create_topic()
        .name(unique("rt-findings"))
        .send()
        .await
        .unwrap()
        .topic_arn()
        .unwrap()
        .to_owned();

    let stop_logging = std::fs::read_to_string(
        root().join("events/cloudtrail-log-suspended/positive-stop-logging-iam-user.json"),
    )
    .unwrap();
    let stop_logging: String = serde_json::from_str::<Value>(&stop_logging)
        .unwrap()
        .to_string();
    let not_cloudtrail = r#"{"version":"0","id":"sched-42","detail-type":"Scheduled Event","source":"aws.events","detail":{}}"#;
    let emulator = Emulator::start(vec![
        ("req-1".into(), stop_logging.clone()),
        ("req-2".into(), stop_logging.clone()),
        ("req-3".into(), not_cloudtrail.into()),
    ])
    .await;

    let mut child = command(&emulator.addr)
        .env("AWS_ENDPOINT_URL", &moto.endpoint)
        .env("TRAILWATCH_TABLE", &table)
        .env("TRAILWATCH_TOPIC_ARN", &topic)
        .spawn()
        .expect("the function binary starts");
    let outcomes = emulator.outcomes(3).await;
    child.start_kill().ok();
    let out = child.wait_with_output().await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);

    let by_id = |id: &str| {
        outcomes
            .iter()
            .find(|(i, _)| i == id)
            .map(|(_, o)| o.clone())
            .unwrap()
    };
    match by_id("req-1") {
        Outcome::Response(v) => {
            let ids: Vec<&str> = v["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|f| f["detection_id"].as_str())
                .collect();
            assert!(ids.contains(&"cloudtrail-log-suspended"), "{v}");
            assert_eq!(v["outcome"], "notified");
        }
        other => panic!("req-1: {other:?}\n{stdout}"),
    }
    match by_id("req-2") {
        Outcome::Response(v) => assert_eq!(
            v["findings"],
            serde_json::json!([]),
            "a duplicate sends nothing"
        ),
        other => panic!("req-2: {other:?}\n{stdout}"),
    }
    match by_id("req-3") {
        Outcome::Error(v) => {
            assert_eq!(v["errorType"], "trailwatch.InvalidEvent", "{v}");
            assert!(
                v["errorMessage"].as_str().unwrap().contains("sched-42"),
                "{v}"
            );
        }
        other => panic!("req-3: {other:?}"),
    }

    // Logs: JSON lines with the outcome; never the event itself at the default level.
    let mut outcomes_logged = Vec::new();
    for line in stdout.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"));
        if let Some(o) = v["outcome"].as_str() {
            outcomes_logged.push(o.to_owned());
        }
    }
    assert!(
        !stdout.contains("md/command#cloudtrail.stop-logging"),
        "the event payload was logged:\n{stdout}"
    );
    for o in ["notified", "no_finding", "rejected"] {
        assert!(
            outcomes_logged.iter().any(|l| l == o),
            "no {o} log line:\n{stdout}"
        );
    }
    assert!(
        stdout.contains("\"detection_id\":\"cloudtrail-log-suspended\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("\"_aws\""),
        "an Embedded Metric Format line per finding:\n{stdout}"
    );
}

#[tokio::test]
async fn a_bad_configuration_stops_the_function_at_start_up() {
    let emulator = Emulator::start(Vec::new()).await;
    let out = command(&emulator.addr)
        .env("TRAILWATCH_TOPIC_ARN", "not-an-arn")
        .env("TRAILWATCH_DISABLED", "no-such-detection")
        .output()
        .await
        .unwrap();
    assert!(
        !out.status.success(),
        "the function must not serve with a bad configuration"
    );
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for needle in [
        "TRAILWATCH_TABLE",
        "TRAILWATCH_TOPIC_ARN",
        "no-such-detection",
    ] {
        assert!(all.contains(needle), "{needle} not named in:\n{all}");
    }
}
