//! Shared by the DynamoDB tests (dynamodb.rs, properties.rs, bench/requests.rs):
//! clients for moto, tables, CloudTrail records as JSON text, and a driver that runs
//! records through `Engine::handle` on any store.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{Credentials, Region};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use trailwatch::engine::{Engine, HandleError};
use trailwatch::event::Record;
use trailwatch::event::time::format_event_time;
use trailwatch::finding::Finding;
use trailwatch::notify::{Collect, Notifier, NotifyError};
use trailwatch::state::dynamodb::create_table;
use trailwatch::state::{DynamoStore, Store};

// ---------------------------------------------------------------------------
// Clients

/// DynamoDB requests sent by one client, by operation (`PutItem`, `Query`, ...),
/// and how many of them were under way at once at most.
#[derive(Debug, Default)]
pub struct Requests {
    by_operation: Mutex<BTreeMap<String, u64>>,
    under_way: AtomicUsize,
    most_under_way: AtomicUsize,
}

impl Requests {
    fn add(&self, op: &str) {
        *self
            .by_operation
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(op.to_owned())
            .or_default() += 1;
    }
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.by_operation
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
    pub fn reset(&self) {
        self.by_operation
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        self.most_under_way.store(0, Ordering::SeqCst);
    }
    /// The most requests sent and not yet answered at one time (waiting for
    /// moto's turn included) since the last [`Requests::reset`].
    pub fn most_at_once(&self) -> usize {
        self.most_under_way.load(Ordering::SeqCst)
    }
    pub fn total(&self) -> u64 {
        self.snapshot().values().sum()
    }
}

/// An HTTP client that counts requests and lets one request at a time through to
/// one moto server.
///
/// Why one at a time: DynamoDB applies each request atomically (conditional writes
/// and transactions are serializable). moto's threaded server does not: requests
/// run in parallel threads on shared dicts, and a cancelled `TransactWriteItems`
/// restores a deep copy of the whole table taken when it started, erasing every
/// write other threads made meanwhile. Serializing the requests makes moto behave
/// like DynamoDB at request granularity; the callers (many tokio tasks) still run
/// concurrently and interleave their requests in any order, which is exactly what
/// the concurrency tests need.
///
/// It can also answer the first `conflicts` `TransactWriteItems` requests as
/// DynamoDB answers a transaction that met another on one of its items
/// (`TransactionCanceledException`, reason `TransactionConflict`), which moto,
/// one request at a time, never does.
#[derive(Debug, Clone)]
struct Lockstep {
    inner: SharedHttpClient,
    gate: Arc<tokio::sync::Mutex<()>>,
    requests: Arc<Requests>,
    conflicts: Arc<AtomicUsize>,
}

#[derive(Debug)]
struct LockstepConnector {
    inner: SharedHttpConnector,
    gate: Arc<tokio::sync::Mutex<()>>,
    requests: Arc<Requests>,
    conflicts: Arc<AtomicUsize>,
}

impl HttpClient for Lockstep {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(LockstepConnector {
            inner: self.inner.http_connector(settings, components),
            gate: self.gate.clone(),
            requests: self.requests.clone(),
            conflicts: self.conflicts.clone(),
        })
    }
}

impl HttpConnector for LockstepConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let op = request
            .headers()
            .get("x-amz-target")
            .and_then(|t| t.rsplit('.').next())
            .unwrap_or("?")
            .to_owned();
        self.requests.add(&op);
        if op == "TransactWriteItems"
            && self
                .conflicts
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
        {
            return HttpConnectorFuture::ready(Ok(transaction_conflict()));
        }
        let inner = self.inner.clone();
        let gate = self.gate.clone();
        let requests = self.requests.clone();
        HttpConnectorFuture::new(async move {
            let _under_way = UnderWay::new(requests);
            // moto builds the whole response before it sends the headers, so the
            // request is complete once the response future resolves.
            let _turn = gate.lock_owned().await;
            inner.call(request).await
        })
    }
}

/// One request sent and not yet answered (or given up), counted in [`Requests`].
struct UnderWay(Arc<Requests>);

impl UnderWay {
    fn new(requests: Arc<Requests>) -> UnderWay {
        let now = requests.under_way.fetch_add(1, Ordering::SeqCst) + 1;
        requests.most_under_way.fetch_max(now, Ordering::SeqCst);
        UnderWay(requests)
    }
}

impl Drop for UnderWay {
    fn drop(&mut self) {
        self.0.under_way.fetch_sub(1, Ordering::SeqCst);
    }
}

/// DynamoDB's answer to a transaction that met another on one of its items.
fn transaction_conflict() -> HttpResponse {
    let body = r#"{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException","Message":"Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict]","CancellationReasons":[{"Code":"TransactionConflict","Message":"Transaction is ongoing for the item"}]}"#;
    let mut response = HttpResponse::new(
        StatusCode::try_from(400).expect("a status"),
        SdkBody::from(body),
    );
    response
        .headers_mut()
        .insert("content-type", "application/x-amz-json-1.0");
    response
}

/// One gate per moto endpoint, shared by every client of this process.
fn gate(endpoint: &str) -> Arc<tokio::sync::Mutex<()>> {
    static GATES: OnceLock<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>> = OnceLock::new();
    GATES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(endpoint.to_owned())
        .or_default()
        .clone()
}

/// A DynamoDB client for the moto server at `endpoint` (region us-east-1, static
/// test credentials), and the count of the requests it sends.
pub async fn client(endpoint: &str) -> (Client, Arc<Requests>) {
    conflicting_client(endpoint, 0).await
}

/// A DynamoDB client like [`client`] whose first `conflicts` transactions are
/// answered as conflicting with another.
pub async fn conflicting_client(endpoint: &str, conflicts: usize) -> (Client, Arc<Requests>) {
    let requests = Arc::new(Requests::default());
    let http = Lockstep {
        inner: trailwatch::aws::http_client(),
        gate: gate(endpoint),
        requests: requests.clone(),
        conflicts: Arc::new(AtomicUsize::new(conflicts)),
    };
    let config = trailwatch::aws::loader()
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "static"))
        .http_client(http)
        .load()
        .await;
    (Client::new(&config), requests)
}

pub use crate::unique;

/// A fresh table with the trailwatch schema and TTL, on the shared moto server.
pub struct Table {
    pub client: Client,
    pub name: String,
    pub requests: Arc<Requests>,
}

impl Table {
    pub async fn new(endpoint: &str) -> Table {
        let (client, requests) = client(endpoint).await;
        let name = unique("tw");
        create_table(&client, &name)
            .await
            .unwrap_or_else(|e| panic!("create table {name}: {e}"));
        requests.reset();
        Table {
            client,
            name,
            requests,
        }
    }

    /// A store over this table whose keys start with a prefix of their own.
    pub fn store(&self) -> DynamoStore {
        DynamoStore::new(self.client.clone(), &self.name, format!("{}#", unique("t")))
    }
}

// ---------------------------------------------------------------------------
// Records (CloudTrail record shape, as JSON text)

/// 2026-04-11T12:00:00Z in epoch seconds: a 5-minute boundary.
pub const BASE: i64 = 1_775_908_800;

/// `eventTime` of `BASE + secs`.
pub fn at(secs: i64) -> String {
    format_event_time((BASE + secs) * 1000)
}

/// A wall clock shortly after the events (epoch seconds).
pub const NOW: i64 = BASE + 3600;

const ACCOUNT: &str = "444455556666";

fn role(actor: &str) -> String {
    format!(
        r#"{{"type":"AssumedRole","principalId":"AROAEXAMPLEROLEID:{actor}","arn":"arn:aws:sts::{ACCOUNT}:assumed-role/Operators/{actor}","accountId":"{ACCOUNT}","accessKeyId":"ASIAEXAMPLE{actor}","sessionContext":{{"sessionIssuer":{{"type":"Role","userName":"Operators"}}}}}}"#
    )
}

/// `GetPasswordData` by `actor` for `instance` (getpassworddata-burst).
pub fn get_password_data(id: &str, secs: i64, actor: &str, instance: &str) -> String {
    format!(
        r#"{{"eventVersion":"1.09","userIdentity":{},"eventTime":"{}","eventSource":"ec2.amazonaws.com","eventName":"GetPasswordData","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.50","userAgent":"Boto3/1.34.0 Python/3.12.1","requestParameters":{{"instanceId":"{instance}"}},"responseElements":null,"requestID":"req-{id}","eventID":"{id}","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"{ACCOUNT}","eventCategory":"Management"}}"#,
        role(actor),
        at(secs)
    )
}

/// A console page load (`DescribeEventAggregates`) by `actor` from `ip`
/// (concurrent-sessions-different-ips).
pub fn console_load(id: &str, secs: i64, actor: &str, ip: &str) -> String {
    format!(
        r#"{{"eventVersion":"1.09","userIdentity":{},"eventTime":"{}","eventSource":"health.amazonaws.com","eventName":"DescribeEventAggregates","awsRegion":"us-east-1","sourceIPAddress":"{ip}","userAgent":"Mozilla/5.0 (X11; Linux x86_64)","requestParameters":{{"aggregateField":"eventTypeCategory"}},"responseElements":null,"requestID":"req-{id}","eventID":"{id}","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"{ACCOUNT}","eventCategory":"Management"}}"#,
        role(actor),
        at(secs)
    )
}

/// `CreateLoginProfile` for `user`, called from `ip`
/// (create-login-profile-then-console-login, first side).
pub fn create_login_profile(id: &str, secs: i64, user: &str, ip: &str) -> String {
    format!(
        r#"{{"eventVersion":"1.09","userIdentity":{{"type":"IAMUser","principalId":"AIDAEXAMPLECREATOR","arn":"arn:aws:iam::{ACCOUNT}:user/gwen","accountId":"{ACCOUNT}","accessKeyId":"AKIAEXAMPLEKEY000002","userName":"gwen"}},"eventTime":"{}","eventSource":"iam.amazonaws.com","eventName":"CreateLoginProfile","awsRegion":"us-east-1","sourceIPAddress":"{ip}","userAgent":"aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0","requestParameters":{{"userName":"{user}","passwordResetRequired":false}},"responseElements":{{"loginProfile":{{"userName":"{user}","passwordResetRequired":false}}}},"requestID":"req-{id}","eventID":"{id}","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"{ACCOUNT}","eventCategory":"Management"}}"#,
        at(secs)
    )
}

/// A successful `ConsoleLogin` as `user` from `ip` (second side).
pub fn console_login(id: &str, secs: i64, user: &str, ip: &str) -> String {
    format!(
        r#"{{"eventVersion":"1.09","userIdentity":{{"type":"IAMUser","principalId":"AIDAEXAMPLE{user}","arn":"arn:aws:iam::{ACCOUNT}:user/{user}","accountId":"{ACCOUNT}","userName":"{user}"}},"eventTime":"{}","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"{ip}","userAgent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64)","requestParameters":null,"responseElements":{{"ConsoleLogin":"Success"}},"additionalEventData":{{"LoginTo":"https://console.aws.amazon.com/console/home","MobileVersion":"No","MFAUsed":"No"}},"eventID":"{id}","readOnly":false,"eventType":"AwsConsoleSignIn","managementEvent":true,"recipientAccountId":"{ACCOUNT}","eventCategory":"Management"}}"#,
        at(secs)
    )
}

pub const BURST: &str = "getpassworddata-burst";
pub const SESSIONS: &str = "concurrent-sessions-different-ips";
pub const PAIR: &str = "create-login-profile-then-console-login";

// ---------------------------------------------------------------------------
// Driving the engine

/// One record handed to `Engine::handle` at wall clock `now`.
#[derive(Debug, Clone)]
pub struct Step {
    pub json: String,
    pub now: i64,
}

pub fn steps(records: &[String]) -> Vec<Step> {
    steps_at(records, NOW)
}

/// The records, each handed over at wall clock `now`.
pub fn steps_at(records: &[String], now: i64) -> Vec<Step> {
    records
        .iter()
        .map(|json| Step {
            json: json.clone(),
            now,
        })
        .collect()
}

/// Handles one record; the findings it delivered.
pub async fn handle<S: Store, N: Notifier>(
    engine: &Engine,
    store: &S,
    notifier: &N,
    json: &str,
    now: i64,
) -> Result<Vec<Finding>, HandleError> {
    let rec = Record::from_json(json).unwrap_or_else(|e| panic!("test record: {e}\n{json}"));
    engine.handle(&rec, store, notifier, now).await
}

/// Handles every step in order; every delivered finding, in order. A record's
/// findings are in the order `handle` returns them: against DynamoDB several
/// are delivered at once, and reach the notifier in the order they end.
pub async fn drive<S: Store>(engine: &Engine, store: &S, steps: &[Step]) -> Vec<Finding> {
    let out = Collect::default();
    let mut delivered = Vec::new();
    for s in steps {
        let decided = handle(engine, store, &out, &s.json, s.now)
            .await
            .unwrap_or_else(|e| panic!("handle failed: {e}"));
        let mut notified = out.take();
        let place = |f: &Finding| decided.iter().position(|d| d.finding_id == f.finding_id);
        notified.sort_by_key(place);
        delivered.extend(notified);
    }
    delivered
}

/// Findings as JSON lines, to compare two runs exactly.
pub fn as_json(findings: &[Finding]) -> Vec<String> {
    findings.iter().map(Finding::to_json).collect()
}

/// How many findings of each detection.
pub fn counts(findings: &[Finding]) -> BTreeMap<&'static str, usize> {
    let mut m = BTreeMap::new();
    for f in findings {
        *m.entry(f.detection_id).or_default() += 1;
    }
    m
}

/// A notifier that fails its first `n` deliveries, then collects.
#[derive(Default)]
pub struct FailFirst {
    pub remaining_failures: Mutex<u32>,
    pub delivered: Collect,
}

impl FailFirst {
    pub fn new(n: u32) -> Self {
        FailFirst {
            remaining_failures: Mutex::new(n),
            delivered: Collect::default(),
        }
    }
}

impl Notifier for FailFirst {
    async fn notify(&self, finding: &Finding) -> Result<(), NotifyError> {
        {
            let mut left = self
                .remaining_failures
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if *left > 0 {
                *left -= 1;
                return Err(NotifyError("simulated SNS outage".into()));
            }
        }
        self.delivered.notify(finding).await
    }
}
