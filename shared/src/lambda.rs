//! The Lambda entry point shared by every function crate under `functions/`.
//!
//! A function is one group of the catalogue ([`catalog::GROUPS`]) behind one
//! EventBridge rule. Its `main.rs` calls [`run`] with the group's name; this module
//! reads and validates the configuration, builds the AWS clients (the SDK's own
//! environment variables apply, `AWS_ENDPOINT_URL` included, so a function runs
//! unchanged against a local endpoint), and serves invocations:
//!
//! - the input is an EventBridge event whose `detail` is one CloudTrail record, read
//!   with the engine's tolerant [`Record`] view;
//! - an event that cannot be parsed, or that is not CloudTrail, is logged with its id
//!   and fails the invocation (after Lambda's retries it lands in the dead-letter
//!   queue), never silently dropped;
//! - an event none of the group's detections looks at succeeds with no finding;
//! - findings go through [`Engine::handle`] with the DynamoDB store (keys prefixed
//!   `<group>#`) and the SNS notifier: each is claimed before it is published and the
//!   claim is released when publishing fails, which fails the invocation so Lambda
//!   retries it;
//! - logs are JSON lines (tracing) naming the event id, detection ids and outcome;
//!   the event itself is logged only at `trace` level. With `TRAILWATCH_METRICS`
//!   unset or `1`, one CloudWatch Embedded Metric Format line per finding counts
//!   findings per detection.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_lambda_events::eventbridge::EventBridgeEvent;
use lambda_runtime::service_fn;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use tracing::{debug, error, info, trace, warn};

use crate::catalog::{self, FunctionGroup};
use crate::engine::{Engine, Settings};
use crate::event::Record;
use crate::notify::Notifier;
use crate::notify::sns::SnsNotifier;
use crate::state::Store;
use crate::state::dynamodb::DynamoStore;

pub use lambda_runtime::{Context, Error, LambdaEvent};

/// Environment variable names.
pub const ENV_TABLE: &str = "TRAILWATCH_TABLE";
pub const ENV_TOPIC_ARN: &str = "TRAILWATCH_TOPIC_ARN";
pub const ENV_DISABLED: &str = "TRAILWATCH_DISABLED";
pub const ENV_LATENESS: &str = "TRAILWATCH_LATENESS_SECS";
pub const ENV_METRICS: &str = "TRAILWATCH_METRICS";
/// `TRAILWATCH_WINDOW_<DETECTION_ID_IN_UPPER_SNAKE_CASE>_SECS`.
pub const ENV_WINDOW_PREFIX: &str = "TRAILWATCH_WINDOW_";
pub const ENV_WINDOW_SUFFIX: &str = "_SECS";

/// The longest window or lateness accepted (seconds): state lives this long.
pub const MAX_WINDOW_SECS: i64 = 7 * 24 * 3600;

/// A function's validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub group: &'static FunctionGroup,
    pub table: String,
    pub topic_arn: String,
    pub settings: Settings,
    /// Print CloudWatch Embedded Metric Format lines (findings per detection).
    pub metrics: bool,
}

/// Everything wrong with the environment, said at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub Vec<String>);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid configuration: {}", self.0.join("; "))
    }
}
impl std::error::Error for ConfigError {}

/// `TRAILWATCH_WINDOW_<ID>_SECS` for a detection id.
pub fn window_var(detection_id: &str) -> String {
    format!(
        "{ENV_WINDOW_PREFIX}{}{ENV_WINDOW_SUFFIX}",
        detection_id.to_ascii_uppercase().replace('-', "_")
    )
}

impl Config {
    /// Reads the process environment.
    pub fn from_env(group: &'static FunctionGroup) -> Result<Config, ConfigError> {
        Config::from_vars(group, std::env::vars())
    }

    /// Reads and validates the given variables (all of them, so that a mistyped
    /// `TRAILWATCH_*` name is caught rather than ignored).
    pub fn from_vars(
        group: &'static FunctionGroup,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars.into_iter().collect();
        let mut problems = Vec::new();
        let get = |k: &str| vars.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());

        let table = match get(ENV_TABLE) {
            Some(t) if t.chars().any(char::is_whitespace) => {
                problems.push(format!("{ENV_TABLE} {t:?} is not a table name or ARN"));
                String::new()
            }
            Some(t) => t.to_owned(),
            None => {
                problems.push(format!("{ENV_TABLE} is not set (the state table's name)"));
                String::new()
            }
        };
        let topic_arn = match get(ENV_TOPIC_ARN) {
            Some(a) if a.starts_with("arn:") && a.split(':').nth(2) == Some("sns") => a.to_owned(),
            Some(a) => {
                problems.push(format!(
                    "{ENV_TOPIC_ARN} {a:?} is not an SNS topic ARN (arn:<partition>:sns:<region>:<account>:<name>)"
                ));
                String::new()
            }
            None => {
                problems.push(format!(
                    "{ENV_TOPIC_ARN} is not set (the findings topic's ARN)"
                ));
                String::new()
            }
        };

        let mut settings = Settings::default();
        if let Some(list) = get(ENV_DISABLED) {
            for id in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                if catalog::by_id(id).is_none() {
                    problems.push(format!("{ENV_DISABLED}: unknown detection id {id:?}"));
                } else {
                    settings.disabled.insert(id.to_owned());
                }
            }
        }
        if let Some(v) = get(ENV_LATENESS) {
            match parse_secs(v, true) {
                Ok(s) => settings.window.lateness_secs = s,
                Err(e) => problems.push(format!("{ENV_LATENESS}: {e}")),
            }
        }
        let windowed: HashMap<String, &'static str> = catalog::ALL
            .iter()
            .map(|d| d.meta())
            .filter(|m| m.stateful())
            .map(|m| (window_var(m.id), m.id))
            .collect();
        let mut names: Vec<&String> = vars
            .keys()
            .filter(|k| k.starts_with(ENV_WINDOW_PREFIX))
            .collect();
        names.sort();
        for name in names {
            let value = vars[name].trim();
            match windowed.get(name.as_str()) {
                None => problems.push(format!(
                    "{name}: no windowed detection has this name (known: {})",
                    windowed
                        .keys()
                        .cloned()
                        .collect::<BTreeSet<_>>()
                        .into_iter()
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
                Some(id) => match parse_secs(value, false) {
                    Ok(s) => {
                        settings.window_overrides.insert((*id).to_owned(), s);
                    }
                    Err(e) => problems.push(format!("{name}: {e}")),
                },
            }
        }
        let metrics = match get(ENV_METRICS) {
            None | Some("1") | Some("true") => true,
            Some("0") | Some("false") => false,
            Some(other) => {
                problems.push(format!("{ENV_METRICS}: {other:?} is not 0/1/true/false"));
                true
            }
        };

        if problems.is_empty() {
            Ok(Config {
                group,
                table,
                topic_arn,
                settings,
                metrics,
            })
        } else {
            Err(ConfigError(problems))
        }
    }

    /// The prefix of every key this function writes in the state table; IAM limits
    /// the function to it (`dynamodb:LeadingKeys`).
    pub fn key_prefix(&self) -> String {
        key_prefix(self.group.name)
    }
}

/// `<group>#` (the schema's one definition).
pub fn key_prefix(group: &str) -> String {
    crate::state::dynamodb::schema::key_prefix(group)
}

fn parse_secs(v: &str, zero_ok: bool) -> Result<i64, String> {
    match v.parse::<i64>() {
        Ok(s) if s > MAX_WINDOW_SECS => {
            Err(format!("{s} is over the {MAX_WINDOW_SECS}-second maximum"))
        }
        Ok(s) if s > 0 || (zero_ok && s == 0) => Ok(s),
        _ => Err(format!("{v:?} is not a positive number of seconds")),
    }
}

/// Time limits on every AWS call, so that a hung connection fails the invocation
/// (its claim is released and Lambda retries) well before the function's 30 s
/// timeout would kill it between a claim and its notification. An invocation makes
/// a few calls of a few milliseconds each.
pub fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .operation_attempt_timeout(Duration::from_secs(2))
        .operation_timeout(Duration::from_secs(5))
        .build()
}

/// Loads the AWS SDK configuration from the environment (region, credentials,
/// `AWS_ENDPOINT_URL`, ...) with [`timeouts`]. Fails when no region is configured.
pub async fn sdk_config() -> Result<SdkConfig, ConfigError> {
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(timeouts())
        .load()
        .await;
    if sdk.region().is_none() {
        return Err(ConfigError(vec![
            "no AWS region configured (set AWS_REGION)".into(),
        ]));
    }
    Ok(sdk)
}

/// Why an invocation failed: the event goes back to Lambda (retries, then the
/// dead-letter queue / on-failure destination).
#[derive(Debug)]
pub enum InvocationError {
    /// Not an EventBridge event, or its `detail` is not a CloudTrail record.
    Invalid { event_id: String, reason: String },
    /// The state store or SNS failed; a retry may succeed.
    Delivery { event_id: String, reason: String },
}

impl fmt::Display for InvocationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvocationError::Invalid { event_id, reason } => {
                write!(f, "event {event_id} rejected: {reason}")
            }
            InvocationError::Delivery { event_id, reason } => {
                write!(f, "event {event_id} not delivered: {reason}")
            }
        }
    }
}
impl std::error::Error for InvocationError {}

impl From<InvocationError> for lambda_runtime::Diagnostic {
    fn from(e: InvocationError) -> Self {
        let error_type = match e {
            InvocationError::Invalid { .. } => "trailwatch.InvalidEvent",
            InvocationError::Delivery { .. } => "trailwatch.DeliveryFailed",
        };
        lambda_runtime::Diagnostic {
            error_type: error_type.into(),
            error_message: e.to_string(),
        }
    }
}

/// The handler of one function: its engine, store and notifier.
pub struct Handler<S, N> {
    pub group: &'static FunctionGroup,
    engine: Engine,
    store: S,
    notifier: N,
    metrics: bool,
}

/// The handler as deployed: DynamoDB state, SNS notifications.
pub type LambdaHandler = Handler<DynamoStore, SnsNotifier>;

impl LambdaHandler {
    /// Builds the AWS clients from `sdk` for a validated configuration.
    pub fn from_config(config: &Config, sdk: &SdkConfig) -> LambdaHandler {
        let store = DynamoStore::new(
            aws_sdk_dynamodb::Client::new(sdk),
            config.table.clone(),
            config.key_prefix(),
        );
        let notifier = SnsNotifier::new(aws_sdk_sns::Client::new(sdk), config.topic_arn.clone());
        Handler::new(config, store, notifier)
    }
}

/// The envelope's id, detail-type and detail: typed with aws_lambda_events, and
/// when that fails on a field trailwatch does not use (a malformed `time`, say),
/// read leniently, so that only what matters can reject an event.
fn parse_envelope(
    payload: &str,
) -> Result<(Option<String>, String, Box<RawValue>), serde_json::Error> {
    #[derive(Deserialize)]
    struct Loose {
        #[serde(default)]
        id: Option<Value>,
        #[serde(rename = "detail-type")]
        detail_type: String,
        detail: Box<RawValue>,
    }
    match serde_json::from_str::<EventBridgeEvent<Box<RawValue>>>(payload) {
        Ok(e) => Ok((e.id, e.detail_type, e.detail)),
        Err(typed) => match serde_json::from_str::<Loose>(payload) {
            Ok(l) => {
                debug!(reason = %typed, "envelope read leniently");
                let id = l.id.map(|v| match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                });
                Ok((id, l.detail_type, l.detail))
            }
            Err(_) => Err(typed),
        },
    }
}

/// The EventBridge `id` when the payload has one, for logs about bad events.
fn probe_id(payload: &str) -> String {
    #[derive(Deserialize)]
    struct Probe {
        #[serde(default)]
        id: Option<Value>,
    }
    match serde_json::from_str::<Probe>(payload)
        .ok()
        .and_then(|p| p.id)
    {
        Some(Value::String(s)) => crate::sanitize::one_line(&s, 128),
        Some(other) => crate::sanitize::one_line(&other.to_string(), 128),
        None => "(no id)".into(),
    }
}

impl<S: Store, N: Notifier> Handler<S, N> {
    pub fn new(config: &Config, store: S, notifier: N) -> Handler<S, N> {
        let engine = Engine::with_detections(
            catalog::group_detections(config.group),
            config.settings.clone(),
        );
        Handler {
            group: config.group,
            engine,
            store,
            notifier,
            metrics: config.metrics,
        }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// One invocation. `Ok` carries a summary (what `cargo lambda invoke` prints).
    pub async fn handle(
        &self,
        event: LambdaEvent<Box<RawValue>>,
    ) -> Result<Value, InvocationError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        self.handle_at(event.payload.get(), &event.context.request_id, now)
            .await
    }

    /// One invocation with an explicit clock (epoch seconds).
    pub async fn handle_at(
        &self,
        payload: &str,
        request_id: &str,
        now: i64,
    ) -> Result<Value, InvocationError> {
        trace!(request_id, payload, "event");
        let (envelope_id, detail_type, detail) = match parse_envelope(payload) {
            Ok(parts) => parts,
            Err(e) => {
                let event_id = probe_id(payload);
                warn!(request_id, event_id, outcome = "rejected", reason = %e, "not an EventBridge event");
                return Err(InvocationError::Invalid {
                    event_id,
                    reason: format!("not an EventBridge event: {e}"),
                });
            }
        };
        let event_id = envelope_id
            .as_deref()
            .map(|s| crate::sanitize::one_line(s, 128))
            .unwrap_or_else(|| "(no id)".into());
        let reject = |reason: String| {
            warn!(request_id, event_id, detail_type = %crate::sanitize::one_line(&detail_type, 100),
                  outcome = "rejected", reason, "not a CloudTrail event");
            Err(InvocationError::Invalid {
                event_id: event_id.clone(),
                reason,
            })
        };
        if !detail_type.ends_with("via CloudTrail") {
            return reject(format!(
                "detail-type {:?} is not a CloudTrail one",
                crate::sanitize::one_line(&detail_type, 100)
            ));
        }
        let rec = match Record::from_json(detail.get()) {
            Ok(r) => r,
            Err(e) => return reject(format!("detail is not a CloudTrail record: {e}")),
        };
        if rec.event_source.is_none() || rec.event_name.is_none() {
            return reject("detail has no eventSource or eventName".into());
        }
        let cloudtrail_id = rec.event_id().unwrap_or("(none)").to_owned();
        if !self
            .engine
            .wants(rec.event_source(), rec.event_name(), rec.user_agent())
        {
            debug!(
                request_id,
                event_id,
                cloudtrail_event_id = cloudtrail_id,
                event_source = rec.event_source(),
                event_name = rec.event_name(),
                outcome = "ignored",
                "no detection of this function looks at the event"
            );
            return Ok(json!({"event_id": event_id, "outcome": "ignored", "findings": []}));
        }
        match self
            .engine
            .handle(&rec, &self.store, &self.notifier, now)
            .await
        {
            Ok(delivered) => {
                for f in &delivered {
                    info!(
                        request_id,
                        event_id,
                        cloudtrail_event_id = cloudtrail_id,
                        detection_id = f.detection_id,
                        finding_id = f.finding_id,
                        severity = f.severity.as_str(),
                        outcome = "notified",
                        "finding published"
                    );
                    if self.metrics {
                        emit_metric(self.group.name, f.detection_id);
                    }
                }
                if delivered.is_empty() {
                    info!(
                        request_id,
                        event_id,
                        cloudtrail_event_id = cloudtrail_id,
                        event_name = rec.event_name(),
                        outcome = "no_finding",
                        "evaluated, nothing to send"
                    );
                }
                Ok(json!({
                    "event_id": event_id,
                    "outcome": if delivered.is_empty() { "no_finding" } else { "notified" },
                    "findings": delivered.iter().map(|f| json!({
                        "detection_id": f.detection_id,
                        "finding_id": f.finding_id,
                    })).collect::<Vec<_>>(),
                }))
            }
            Err(e) => {
                error!(request_id, event_id, cloudtrail_event_id = cloudtrail_id, outcome = "failed", error = %e,
                       "delivery failed; the invocation fails so that Lambda retries it");
                Err(InvocationError::Delivery {
                    event_id,
                    reason: e.to_string(),
                })
            }
        }
    }
}

/// One CloudWatch Embedded Metric Format line: `Findings` = 1 for the detection.
fn emit_metric(function: &str, detection_id: &str) {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let line = json!({
        "_aws": {
            "Timestamp": ms,
            "CloudWatchMetrics": [{
                "Namespace": "trailwatch",
                "Dimensions": [["function", "detection_id"]],
                "Metrics": [{"Name": "Findings", "Unit": "Count"}],
            }],
        },
        "function": function,
        "detection_id": detection_id,
        "Findings": 1,
    });
    println!("{line}");
}

/// JSON logs on stdout, at the level named by `RUST_LOG`, else Lambda's
/// `AWS_LAMBDA_LOG_LEVEL` (a plain level: `trace` .. `error`), else `info`. Per-module filters are not supported: they would link a regex engine.
pub fn init_logging() {
    let level = ["RUST_LOG", "AWS_LAMBDA_LOG_LEVEL"]
        .iter()
        .find_map(|k| std::env::var(k).ok().and_then(|v| log_level(&v)))
        .unwrap_or(tracing::Level::INFO);
    let _ = tracing_subscriber::fmt()
        .json()
        .with_max_level(level)
        .with_target(false)
        .with_current_span(false)
        .flatten_event(true)
        .try_init();
}

/// A plain level name (any case); Lambda's own `FATAL` counts as `error`.
fn log_level(v: &str) -> Option<tracing::Level> {
    match v.trim().to_ascii_lowercase().as_str() {
        "trace" => Some(tracing::Level::TRACE),
        "debug" => Some(tracing::Level::DEBUG),
        "info" => Some(tracing::Level::INFO),
        "warn" => Some(tracing::Level::WARN),
        "error" | "fatal" => Some(tracing::Level::ERROR),
        _ => None,
    }
}

/// The whole life of a function: logging, configuration (a bad one stops it at
/// start-up with every problem in the log), clients, then invocations until the
/// runtime stops.
pub async fn run(group_name: &str) -> Result<(), Error> {
    init_logging();
    let Some(group) = catalog::group(group_name) else {
        let known: Vec<_> = catalog::GROUPS.iter().map(|g| g.name).collect();
        error!(
            group = group_name,
            "unknown function group (known: {})",
            known.join(", ")
        );
        return Err(format!("unknown function group {group_name:?}").into());
    };
    let config = match Config::from_env(group) {
        Ok(c) => c,
        Err(e) => {
            error!(group = group.name, error = %e, "start-up failed");
            return Err(e.into());
        }
    };
    let sdk = match sdk_config().await {
        Ok(s) => s,
        Err(e) => {
            error!(group = group.name, error = %e, "start-up failed");
            return Err(e.into());
        }
    };
    let handler = LambdaHandler::from_config(&config, &sdk);
    info!(
        group = group.name,
        detections = handler.engine().detections().len(),
        table = config.table,
        topic_arn = config.topic_arn,
        key_prefix = config.key_prefix(),
        "ready"
    );
    let handler = &handler;
    // Boxed: the handler's future is deep (engine, store, SDK), and nesting it in
    // the runtime's future unboxed overflows the compiler's layout query depth.
    lambda_runtime::run(service_fn(move |ev: LambdaEvent<Box<RawValue>>| {
        Box::pin(handler.handle(ev))
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:trailwatch-findings";

    #[test]
    fn a_complete_environment_is_accepted() {
        let g = catalog::group("correlation").unwrap();
        let c = Config::from_vars(
            g,
            vars(&[
                (ENV_TABLE, "state"),
                (ENV_TOPIC_ARN, TOPIC),
                (
                    ENV_DISABLED,
                    "getpassworddata-burst, cloudtrail-log-deleted",
                ),
                (
                    "TRAILWATCH_WINDOW_CONCURRENT_SESSIONS_DIFFERENT_IPS_SECS",
                    "600",
                ),
                (ENV_LATENESS, "0"),
                ("PATH", "/usr/bin"),
            ]),
        )
        .unwrap();
        assert_eq!(c.table, "state");
        assert_eq!(c.key_prefix(), "correlation#");
        assert!(c.settings.disabled.contains("getpassworddata-burst"));
        assert_eq!(
            c.settings.window_overrides["concurrent-sessions-different-ips"],
            600
        );
        assert_eq!(c.settings.window.lateness_secs, 0);
        assert!(c.metrics);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let g = catalog::group("logging-tamper").unwrap();
        let e = Config::from_vars(
            g,
            vars(&[
                (ENV_TOPIC_ARN, "trailwatch-findings"),
                (ENV_DISABLED, "no-such-rule"),
                ("TRAILWATCH_WINDOW_GETPASSWORD_BURST_SECS", "60"),
                ("TRAILWATCH_WINDOW_GETPASSWORDDATA_BURST_SECS", "-5"),
                (ENV_LATENESS, "soon"),
            ]),
        )
        .unwrap_err();
        let text = e.to_string();
        for needle in [
            ENV_TABLE,
            ENV_TOPIC_ARN,
            "no-such-rule",
            "GETPASSWORD_BURST",
            "\"-5\"",
            ENV_LATENESS,
        ] {
            assert!(text.contains(needle), "{needle} missing from: {text}");
        }
        assert_eq!(e.0.len(), 6, "{text}");
    }

    #[test]
    fn window_variable_names_follow_the_ids() {
        assert_eq!(
            window_var("getpassworddata-burst"),
            "TRAILWATCH_WINDOW_GETPASSWORDDATA_BURST_SECS"
        );
    }

    fn handler(group: &str) -> Handler<crate::state::MemoryStore, crate::notify::Collect> {
        let g = catalog::group(group).unwrap();
        let c = Config::from_vars(g, vars(&[(ENV_TABLE, "t"), (ENV_TOPIC_ARN, TOPIC)])).unwrap();
        Handler::new(
            &c,
            crate::state::MemoryStore::default(),
            crate::notify::Collect::default(),
        )
    }

    fn stop_logging(envelope_time: &str) -> String {
        json!({
            "version": "0", "id": "env-1", "detail-type": "AWS API Call via CloudTrail",
            "source": "aws.cloudtrail", "account": "123456789012", "time": envelope_time,
            "region": "us-east-1", "resources": [],
            "detail": {
                "eventSource": "cloudtrail.amazonaws.com", "eventName": "StopLogging",
                "eventID": "ev-1", "eventTime": "2026-03-14T13:15:27Z", "awsRegion": "us-east-1",
                "recipientAccountId": "123456789012",
                "userIdentity": {"type": "IAMUser", "userName": "alice",
                                 "arn": "arn:aws:iam::123456789012:user/alice"},
                "requestParameters": {"name": "org-trail"}
            }
        })
        .to_string()
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn a_finding_is_sent_once_and_a_malformed_envelope_time_is_tolerated() {
        let h = handler("logging-tamper");
        for time in ["2026-03-14T13:15:27Z", "redacted"] {
            let out = block_on(h.handle_at(&stop_logging(time), "r", 1_800_000_000)).unwrap();
            let sent = h.notifier.take();
            if time == "redacted" {
                // Same record again: already claimed.
                assert_eq!(out["findings"], json!([]), "{out}");
                assert!(sent.is_empty());
            } else {
                assert_eq!(out["outcome"], "notified", "{out}");
                assert!(
                    sent.iter()
                        .any(|f| f.detection_id == "cloudtrail-log-suspended")
                );
            }
        }
    }

    #[test]
    fn other_groups_ignore_the_event_and_bad_events_are_rejected() {
        let h = handler("signin-failures");
        let out = block_on(h.handle_at(&stop_logging("2026-03-14T13:15:27Z"), "r", 0)).unwrap();
        assert_eq!(out["outcome"], "ignored");
        for bad in [
            r#"{"id":"a","detail-type":"Scheduled Event","detail":{}}"#,
            r#"{"id":"b","detail-type":"AWS API Call via CloudTrail","detail":"text"}"#,
            r#"{"id":"c","source":"aws.iam"}"#,
            "",
        ] {
            let e = block_on(h.handle_at(bad, "r", 0)).unwrap_err();
            assert!(matches!(e, InvocationError::Invalid { .. }), "{bad}: {e}");
        }
    }

    #[test]
    fn log_levels_are_plain_names() {
        assert_eq!(log_level(" WARN "), Some(tracing::Level::WARN));
        assert_eq!(log_level("FATAL"), Some(tracing::Level::ERROR));
        assert_eq!(log_level("trailwatch=debug"), None);
    }

    #[test]
    fn bad_event_ids_are_probed() {
        assert_eq!(probe_id(r#"{"id":"abc","detail":1}"#), "abc");
        assert_eq!(probe_id(r#"{"id":7}"#), "7");
        assert_eq!(probe_id("not json"), "(no id)");
    }
}
