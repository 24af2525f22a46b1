//! Per-event costs: the byte prefilter, record parsing, the engine, a Lambda
//! invocation (without the network) and the SNS message, plus reader throughput.
//!
//! Run with `cargo bench -p trailwatch-tests --bench per_event`.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use trailwatch::catalog;
use trailwatch::engine::{Engine, Settings};
use trailwatch::event::Record;
use trailwatch::event::reader::{self, Limits, Location, Sink};
use trailwatch::lambda::{Config, Handler};
use trailwatch::notify::{Collect, message};
use trailwatch::state::MemoryStore;

/// A StopLogging envelope from the samples: fires two detections.
const STOP_LOGGING: &str =
    include_str!("../../events/cloudtrail-log-suspended/positive-stop-logging-iam-user.json");

/// An ordinary record no detection looks at (the bulk of real traffic).
const DESCRIBE: &str = r#"{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLEEXAMPLE1:i-0abc","arn":"arn:aws:sts::111122223333:assumed-role/app/i-0abc","accountId":"111122223333","accessKeyId":"ASIAEXAMPLEEXAMPLE1","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLEEXAMPLE1","arn":"arn:aws:iam::111122223333:role/app","accountId":"111122223333","userName":"app"},"attributes":{"creationDate":"2026-03-02T09:00:00Z","mfaAuthenticated":"false"}}},"eventTime":"2026-03-02T10:16:00Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeVpcEndpoints","awsRegion":"eu-west-1","sourceIPAddress":"198.51.100.7","userAgent":"Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.1 md/arch#x86_64 lang/python#3.11.6","requestParameters":{"instancesSet":{},"filterSet":{}},"responseElements":null,"requestID":"0f1e2d3c-0000-4000-8000-000000000002","eventID":"9d7c2a41-0000-4000-8000-000000000002","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"ec2.eu-west-1.amazonaws.com"}}"#;

/// The record inside the StopLogging envelope.
fn stop_logging_record() -> String {
    let v: serde_json::Value = serde_json::from_str(STOP_LOGGING).expect("sample is JSON");
    v["detail"].to_string()
}

fn prefilter(c: &mut Criterion) {
    let engine = Engine::new(Settings::default());
    let stop = stop_logging_record();
    let mut g = c.benchmark_group("prefilter");
    g.throughput(Throughput::Elements(1));
    g.bench_function("ordinary record (skipped)", |b| {
        b.iter(|| assert!(!engine.wants_json(black_box(DESCRIBE.as_bytes()))))
    });
    g.bench_function("StopLogging (kept)", |b| {
        b.iter(|| assert!(engine.wants_json(black_box(stop.as_bytes()))))
    });
    g.finish();
}

fn parse_and_evaluate(c: &mut Criterion) {
    let engine = Engine::new(Settings::default());
    let stop = stop_logging_record();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let mut g = c.benchmark_group("engine");
    g.throughput(Throughput::Elements(1));
    g.bench_function("parse a record", |b| {
        b.iter(|| Record::from_json(black_box(&stop)).expect("parses"))
    });
    g.bench_function(
        "parse + handle StopLogging (2 findings, memory store)",
        |b| {
            let store = MemoryStore::default();
            let out = Collect::default();
            let mut n = 0u64;
            b.iter_batched(
                || {
                    // A new eventID each time: a repeated one would be a duplicate.
                    n += 1;
                    stop.replace("\"eventID\":\"", &format!("\"eventID\":\"{n:x}-"))
                },
                |json| {
                    let rec = Record::from_json(&json).expect("parses");
                    let found = rt
                        .block_on(engine.handle(&rec, &store, &out, 1_773_532_800))
                        .expect("memory store");
                    assert_eq!(found.len(), 2);
                    out.take()
                },
                BatchSize::SmallInput,
            )
        },
    );
    g.finish();
}

fn lambda_invocation(c: &mut Criterion) {
    let group = catalog::function("logging-tamper").expect("group exists");
    let vars = [
        ("TRAILWATCH_TABLE", "trailwatch-state"),
        (
            "TRAILWATCH_TOPIC_ARN",
            "arn:aws:sns:us-east-1:111122223333:trailwatch-findings",
        ),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()));
    let config = Config::from_vars(group, vars).expect("valid configuration");
    let handler = Handler::new(&config, MemoryStore::default(), Collect::default());
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let quiet = STOP_LOGGING.replace("\"StopLogging\"", "\"DescribeTrails\"");
    let mut g = c.benchmark_group("lambda handler (no network)");
    g.throughput(Throughput::Elements(1));
    // Criterion calls the closure more than once: the counter outlives it, so that
    // every invocation carries a new eventID (a repeated one is a duplicate).
    let mut n = 0u64;
    g.bench_function("StopLogging envelope, 2 findings", |b| {
        b.iter_batched(
            || {
                n += 1;
                STOP_LOGGING.replace("\"eventID\": \"", &format!("\"eventID\": \"{n:x}-"))
            },
            |payload| {
                let summary = rt
                    .block_on(handler.handle_at(&payload, "req", 1_773_532_800))
                    .expect("handled");
                assert_eq!(
                    summary["findings"].as_array().map(Vec::len),
                    Some(2),
                    "{summary} {payload}"
                );
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("envelope no detection takes", |b| {
        b.iter(|| rt.block_on(handler.handle_at(black_box(&quiet), "req", 1_773_532_800)))
    });
    g.finish();

    let stop = stop_logging_record();
    let rec = Record::from_json(&stop).expect("parses");
    let engine = Engine::new(Settings::default());
    let out = Collect::default();
    rt.block_on(engine.handle(&rec, &MemoryStore::default(), &out, 1_773_532_800))
        .expect("fires");
    let finding = out.take().pop().expect("a finding");
    c.bench_function("SNS message (subject, e-mail text, JSON)", |b| {
        b.iter(|| message::build(black_box(&finding)))
    });
}

/// Counts what the reader hands over.
struct Count(u64);
impl Sink for Count {
    fn record(&mut self, _: &Location, json: &str) {
        self.0 += json.len() as u64;
    }
    fn rejected(&mut self, loc: &Location, reason: &str) {
        panic!("{loc}: {reason}");
    }
    fn not_cloudtrail(&mut self, _: &Location) {}
}

fn reader_throughput(c: &mut Criterion) {
    let stop = stop_logging_record();
    let records = 10_000;
    let mut jsonl = String::new();
    for i in 0..records {
        jsonl.push_str(if i % 50 == 0 { &stop } else { DESCRIBE });
        jsonl.push('\n');
    }
    let s3 = format!("{{\"Records\":[{}]}}", jsonl.trim_end().replace('\n', ","));
    let mut g = c.benchmark_group("reader (no prefilter)");
    g.throughput(Throughput::Elements(records));
    for (name, text) in [("JSON lines", &jsonl), ("Records file", &s3)] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut n = Count(0);
                reader::read_stream(text.as_bytes(), "bench", &Limits::default(), &mut n);
                n.0
            })
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    prefilter,
    parse_and_evaluate,
    lambda_invocation,
    reader_throughput
);
criterion_main!(benches);
