//! The Lambda entry point shared by every function crate under `functions/`.
//!
//! A function is one group of the catalogue ([`crate::catalog::GROUPS`]) behind one
//! EventBridge rule. Its `main.rs` calls [`run`] with the group's detections
//! (its static in `catalog::functions`, so that the binary links no other
//! group's); this module
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
//!   retries it; with `TRAILWATCH_SECURITY_HUB` and `TRAILWATCH_CHAT_TOPIC_ARN` a
//!   finding is first imported into Security Hub, then published to the chat topic,
//!   then to the findings topic ([`Destinations`]), and any failure does the same;
//! - logs are JSON lines (tracing) naming the event id, detection ids and outcome;
//!   the event itself is logged only at `trace` level. With `TRAILWATCH_METRICS`
//!   unset or `1`, one CloudWatch Embedded Metric Format line per finding counts
//!   findings per detection.
//! - with `TRAILWATCH_TUNING`, the tuning file is read at start-up and re-read at
//!   most every minute (`tuning.rs`); findings it does not notify are logged as one
//!   JSON line naming the entry and counted (EMF `TunedFindings`).

pub mod backtest;
mod config;
mod envelope;
mod logs;
pub use logs::{
    FOREIGN_CANARIES, HEARTBEAT_CHECKS, METRICS_NAMESPACE, TUNING_ERRORS, TUNING_WARNINGS,
};
pub mod tuning;

use std::fmt;

use crate::aws::SdkConfig;
use lambda_runtime::service_fn;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use tracing::{debug, error, info, trace, warn};

use crate::catalog::{FunctionGroup, GroupDetections};
use crate::engine::{Engine, HandleError};
use crate::event::Record;
use crate::finding::{Disposition, Finding};
use crate::notify::securityhub::SecurityHubNotifier;
use crate::notify::sns::{ChatNotifier, SnsNotifier};
use crate::notify::{Notifier, Then};
use crate::state::Store;
use crate::state::dynamodb::DynamoStore;

pub use config::*;
use envelope::{Envelope, parse_envelope, probe_id};
pub use lambda_runtime::{Context, Error, LambdaEvent};
pub use logs::init_logging;
use logs::{emit_metric, emit_tuned};
use tuning::TuningSource;

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
    tuning: Option<TuningSource>,
}

/// Where a deployed function's findings go, in this order: Security Hub
/// (optional; idempotent, so first: a retry after a later failure only updates
/// it), the chat topic (optional), the findings topic.
pub type Destinations = Then<Option<SecurityHubNotifier>, Then<Option<ChatNotifier>, SnsNotifier>>;

/// The handler as deployed: DynamoDB state, SNS notifications (and Security Hub,
/// chat when configured).
pub type LambdaHandler = Handler<DynamoStore, Destinations>;

/// The SDK clients of deployed handlers, built once: building a client is not
/// free (the SDK sets up a TLS connector to check the configuration, parsing
/// every trusted root certificate), and clones share one client.
#[derive(Clone, Debug)]
pub struct Clients {
    sdk: SdkConfig,
    dynamodb: aws_sdk_dynamodb::Client,
    sns: crate::notify::sns::SnsClient,
}

impl Clients {
    pub fn new(sdk: &SdkConfig) -> Clients {
        Clients {
            sdk: sdk.clone(),
            dynamodb: aws_sdk_dynamodb::Client::new(sdk),
            sns: crate::notify::sns::SnsClient::new(sdk),
        }
    }
}

impl LambdaHandler {
    /// Builds the AWS clients from `sdk` for a validated configuration.
    pub fn from_config(config: &Config, sdk: &SdkConfig) -> LambdaHandler {
        LambdaHandler::from_clients(config, &Clients::new(sdk))
    }

    /// The handler of a validated configuration on clients already built (tests
    /// that make many handlers; a function makes one).
    pub fn from_clients(config: &Config, clients: &Clients) -> LambdaHandler {
        let sdk = &clients.sdk;
        let store = DynamoStore::new(
            clients.dynamodb.clone(),
            config.table.clone(),
            config.key_prefix(),
        );
        let sns = clients.sns.clone();
        let findings = SnsNotifier::new(sns.clone(), config.topic_arn.clone())
            .with_format(config.findings_format);
        let chat = config
            .chat_topic_arn
            .as_ref()
            .map(|arn| ChatNotifier(SnsNotifier::new(sns.clone(), arn.clone())));
        let security_hub = config
            .security_hub
            .clone()
            .map(|product| SecurityHubNotifier::new(sdk, product));
        let mut handler = Handler::new(config, store, Then(security_hub, Then(chat, findings)));
        if let Some(loc @ crate::tuning::location::Location::S3 { .. }) = &config.tuning {
            let s3 = crate::aws::s3::S3Client::new(sdk);
            handler.tuning = Some(TuningSource::new(loc.clone(), Some(s3)));
        }
        handler
    }
}

impl<S: Store, N: Notifier> Handler<S, N> {
    pub fn new(config: &Config, store: S, notifier: N) -> Handler<S, N> {
        let engine = Engine::with_detections(
            config.function.detections.iter().copied(),
            config.settings.clone(),
        );
        Handler {
            group: config.function.group,
            engine,
            store,
            notifier,
            metrics: config.metrics,
            tuning: config
                .tuning
                .as_ref()
                .map(|l| TuningSource::new(l.clone(), None)),
        }
    }

    /// Replaces the tuning source (tests: an S3 location with their own client).
    pub fn with_tuning(mut self, source: TuningSource) -> Self {
        self.tuning = Some(source);
        self
    }

    /// Reads the tuning now (start-up), whatever the time since the last read.
    pub async fn load_tuning(&self, now: i64) -> Option<tuning::Refresh> {
        let src = self.tuning.as_ref()?;
        Some(src.refresh(&self.engine, self.group.name, now, true).await)
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// One invocation. `Ok` carries a summary (what `cargo lambda invoke` prints).
    pub async fn handle(
        &self,
        event: LambdaEvent<Box<RawValue>>,
    ) -> Result<Value, InvocationError> {
        let now = crate::state::wall_clock_secs();
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
        if let Some(src) = &self.tuning {
            src.refresh(&self.engine, self.group.name, now, false).await;
        }
        let Envelope {
            id: envelope_id,
            detail_type,
            source,
            detail,
        } = match parse_envelope(payload) {
            Ok(envelope) => envelope,
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
        // The rules take only AWS's own sources, which PutEvents refuses to anyone
        // else; an event from another source, or with none (a payload invoked
        // directly; from a review), did not come through them.
        match source.as_deref() {
            Some(s) if s.starts_with(crate::rules::AWS_SOURCE_PREFIX) => {}
            Some(s) => {
                return reject(format!(
                    "source {:?} is not one AWS emits",
                    crate::sanitize::one_line(s, 100)
                ));
            }
            None => return reject("no source: not an event EventBridge delivered".into()),
        }
        if detail_type == "Scheduled Event" && self.keeps_heartbeat() {
            if self.checks_heartbeat() {
                return self.check_silence(request_id, &event_id, now).await;
            }
            // `pipeline-silent` disabled (DisabledDetections): its schedule is
            // answered, not failed and retried.
            info!(
                request_id,
                event_id,
                outcome = "ignored",
                "pipeline-silent is disabled"
            );
            return Ok(ignored(&event_id));
        }
        if !detail_type.ends_with("via CloudTrail") {
            return reject(format!(
                "detail-type {:?} is not a CloudTrail one",
                crate::sanitize::one_line(&detail_type, 100)
            ));
        }
        let mut repaired = String::new();
        let rec = match Record::from_json_repairing(detail.get(), &mut repaired) {
            Ok(r) => r,
            Err(e) => return reject(format!("detail is not a CloudTrail record: {e}")),
        };
        if rec.event_source.is_none() || rec.event_name.is_none() {
            return reject("detail has no eventSource or eventName".into());
        }
        let cloudtrail_id = rec.event_id().unwrap_or("(none)").to_owned();
        // A canary under another prefix: a forwarder deployed with the wrong
        // ResourcePrefix, its account and Region never watched; counted for the
        // `foreign-canaries` health alarm (the heartbeat logs it too).
        if self.keeps_heartbeat()
            && self.metrics
            && crate::heartbeat::foreign_canary(&rec).is_some()
        {
            logs::emit_foreign_canary(self.group.name);
        }
        if !self.engine.wants(&rec) {
            debug!(
                request_id,
                event_id,
                cloudtrail_event_id = cloudtrail_id,
                event_source = rec.event_source(),
                event_name = rec.event_name(),
                outcome = "ignored",
                "no detection of this function looks at the event"
            );
            return Ok(ignored(&event_id));
        }
        let handled = self
            .engine
            .handle(&rec, &self.store, &self.notifier, now)
            .await;
        let ids = (request_id, event_id.as_str(), cloudtrail_id.as_str());
        match handled {
            Ok(decided) => {
                let (delivered, held) = self.log_decided(ids, decided);
                if delivered.is_empty() && held.is_empty() {
                    info!(
                        request_id,
                        event_id,
                        cloudtrail_event_id = cloudtrail_id,
                        event_name = rec.event_name(),
                        outcome = "no_finding",
                        "evaluated, nothing to send"
                    );
                }
                Ok(summary(&event_id, &delivered, &held))
            }
            Err(e) => {
                // Those of the event's findings that were delivered all the same
                // are logged and counted: the retry will not send them again.
                if let HandleError::Partly { decided, .. } = &e {
                    self.log_decided(ids, decided.clone());
                }
                error!(request_id, event_id, cloudtrail_event_id = cloudtrail_id, outcome = "failed", error = %e,
                       "delivery failed; the invocation fails so that Lambda retries it");
                Err(InvocationError::Delivery {
                    event_id,
                    reason: short_cause(&e),
                })
            }
        }
    }

    /// Logs each decided finding (one JSON line naming the tuning entry that
    /// decided it) and counts it; the delivered ones, and those tuning held.
    fn log_decided(
        &self,
        (request_id, event_id, cloudtrail_id): (&str, &str, &str),
        decided: Vec<Finding>,
    ) -> (Vec<Finding>, Vec<Finding>) {
        let (delivered, held): (Vec<Finding>, Vec<Finding>) = decided
            .into_iter()
            .partition(|f| matches!(f.disposition, None | Some(Disposition::Notified)));
        for f in held.iter().chain(&delivered) {
            let (outcome, entry) = tuned_outcome(f);
            info!(
                request_id,
                event_id,
                cloudtrail_event_id = cloudtrail_id,
                detection_id = f.detection_id,
                finding_id = f.finding_id,
                severity = f.severity.as_str(),
                outcome,
                entry = entry.unwrap_or(""),
                finding_event_ids = f.event_ids.join(","),
                "{}",
                if outcome == "notified" && f.finished_late {
                    "finding delivered where an earlier attempt failed (it published the finding elsewhere)"
                } else if outcome == "notified" {
                    "finding published"
                } else {
                    "finding not notified (tuning)"
                }
            );
            if self.metrics {
                // A retry finishing a delivery counts it again: whether the
                // attempt that began it lived to count it is not known (it may
                // have died between two destinations), and a health alarm
                // counted twice sends two messages, never none (a review of
                // this change, after one that counted it once).
                if outcome == "notified" {
                    emit_metric(self.group.name, f);
                }
                if f.disposition.is_some() {
                    emit_tuned(self.group.name, f.detection_id, outcome, entry);
                }
            }
        }
        (delivered, held)
    }
}

impl<S: Store, N: Notifier> Handler<S, N> {
    /// True for the function that runs `pipeline-silent` (not disabled): its
    /// schedule asks it to look for silent accounts and Regions.
    fn checks_heartbeat(&self) -> bool {
        self.engine
            .detections()
            .iter()
            .any(|d| d.meta().id == crate::heartbeat::SILENT_ID)
    }

    /// True for the function of the heartbeat's group, whatever it disables.
    fn keeps_heartbeat(&self) -> bool {
        self.group.name == crate::heartbeat::GROUP
    }

    /// The scheduled heartbeat check: a `pipeline-silent` finding per silent
    /// account and Region, once per outage.
    async fn check_silence(
        &self,
        request_id: &str,
        event_id: &str,
        now: i64,
    ) -> Result<Value, InvocationError> {
        let silence = self
            .engine
            .settings()
            .silence_secs
            .unwrap_or(crate::heartbeat::DEFAULT_SILENCE_SECS);
        let expected = &self.engine.settings().expected_members;
        let checked = crate::heartbeat::check_silence(&self.store, silence, now, expected).await;
        // The expected members first missed now are armed before the silences
        // found are delivered (a long delivery may meet the timeout), and a
        // refused arming write holds none of them back: the check fails after
        // delivering them, and its retry arms what is left.
        let delivered = match checked {
            Ok(check) => {
                let armed = crate::heartbeat::arm(&self.store, &check.to_arm, now).await;
                let lease = self.engine.settings().lease_secs();
                let delivered = crate::engine::deliver_all(
                    &self.store,
                    &self.notifier,
                    check.findings,
                    now,
                    lease,
                )
                .await;
                match (delivered, armed) {
                    (Ok(delivered), Err(e)) if delivered.is_empty() => Err(e.into()),
                    (Ok(delivered), Err(e)) => Err(HandleError::Partly {
                        decided: delivered,
                        failed: 0,
                        first: Box::new(e.into()),
                    }),
                    (delivered, _) => delivered,
                }
            }
            Err(e) => Err(e.into()),
        };
        let log_silent = |delivered: &[Finding]| {
            for f in delivered {
                warn!(
                    request_id,
                    event_id,
                    detection_id = f.detection_id,
                    finding_id = f.finding_id,
                    account = f.account_id.as_deref().unwrap_or("-"),
                    region = f.region.as_deref().unwrap_or("-"),
                    outcome = "notified",
                    "pipeline silent"
                );
                if self.metrics {
                    emit_metric(self.group.name, f);
                }
            }
        };
        match delivered {
            Ok(delivered) => {
                log_silent(&delivered);
                if self.metrics {
                    logs::emit_heartbeat_check(self.group.name);
                }
                Ok(summary(event_id, &delivered, &[]))
            }
            Err(e) => {
                if let HandleError::Partly { decided, .. } = &e {
                    log_silent(decided);
                }
                error!(request_id, event_id, outcome = "failed", error = %e,
                       "heartbeat check failed; the invocation fails so that it is retried");
                Err(InvocationError::Delivery {
                    event_id: event_id.to_owned(),
                    reason: short_cause(&e),
                })
            }
        }
    }
}

/// Longest cause a failed invocation states: the error Lambda records (and the
/// dead-letter queue keeps) stays readable whatever an SDK or a destination said.
const MAX_CAUSE_CHARS: usize = 400;

/// The cause of a failed delivery on one line, cut to [`MAX_CAUSE_CHARS`].
fn short_cause(e: &HandleError) -> String {
    crate::sanitize::one_line(&e.to_string(), MAX_CAUSE_CHARS)
}

/// What an invocation returns for an event it has nothing to do with.
fn ignored(event_id: &str) -> Value {
    json!({"event_id": event_id, "outcome": "ignored", "findings": []})
}

/// What an invocation returns: its outcome, the findings it delivered and those
/// tuning held back (with their disposition and entry).
fn summary(event_id: &str, delivered: &[Finding], held: &[Finding]) -> Value {
    json!({
        "event_id": event_id,
        "outcome": if delivered.is_empty() { "no_finding" } else { "notified" },
        "findings": delivered.iter().map(|f| json!({
            "detection_id": f.detection_id,
            "finding_id": f.finding_id,
        })).collect::<Vec<_>>(),
        "not_notified": held.iter().map(|f| json!({
            "detection_id": f.detection_id,
            "finding_id": f.finding_id,
            "disposition": tuned_outcome(f).0,
            "entry": tuned_outcome(f).1,
        })).collect::<Vec<_>>(),
    })
}

/// The disposition's name and the entry behind it, for logs and metrics.
fn tuned_outcome(f: &Finding) -> (&'static str, Option<&str>) {
    let suppressed_by = || f.evidence.get("suppressed_by").and_then(|v| v.as_str());
    match f.disposition {
        Some(Disposition::Suppressed) => ("suppressed", suppressed_by()),
        Some(Disposition::Shadow) => ("shadow", None),
        Some(Disposition::HeldBack) => ("held-back", None),
        Some(Disposition::Notified) | None => ("notified", f.dry_run_suppression.as_deref()),
    }
}

/// What detections read process-wide from the configuration (they are pure
/// functions of one record): the resource prefix and the stack's log retention.
fn set_process_wide(config: &Config) -> Result<(), String> {
    if let Some(prefix) = &config.resource_prefix {
        crate::resources::set_prefix(prefix)?;
    }
    if let Some(days) = config.log_retention_days {
        crate::resources::set_log_retention_days(days);
    }
    Ok(())
}

/// The whole life of a function: logging, configuration (a bad one stops it at
/// start-up with every problem in the log), clients, then invocations until the
/// runtime stops.
pub async fn run(function: &'static GroupDetections) -> Result<(), Error> {
    init_logging();
    let group = function.group;
    let config = match Config::from_env(function) {
        Ok(c) => c,
        Err(e) => {
            error!(group = group.name, error = %e, "start-up failed");
            return Err(e.into());
        }
    };
    if let Err(e) = set_process_wide(&config) {
        error!(group = group.name, error = %e, "start-up failed");
        return Err(e.into());
    }
    // The findings topic is in the central account and Region, with the bus.
    crate::resources::set_home_from_arn(&config.topic_arn);
    let sdk = match sdk_config().await {
        Ok(s) => s,
        Err(e) => {
            error!(group = group.name, error = %e, "start-up failed");
            return Err(e.into());
        }
    };
    // At error level, as a bad RUST_LOG is: seen whatever level was chosen.
    for warning in &config.warnings {
        error!(group = group.name, warning = %warning, "configuration: most likely a mistake");
    }
    let handler = LambdaHandler::from_config(&config, &sdk);
    let started = crate::state::wall_clock_secs();
    handler.load_tuning(started).await;
    info!(
        group = group.name,
        detections = handler.engine().detections().len(),
        table = config.table,
        topic_arn = config.topic_arn,
        key_prefix = config.key_prefix(),
        security_hub = config.security_hub.as_ref().map(|p| p.arn()),
        chat_topic_arn = config.chat_topic_arn,
        findings_format = config.findings_format.as_str(),
        tuning = config
            .tuning
            .as_ref()
            .map(|l| l.to_string())
            .unwrap_or_default(),
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
    use crate::catalog;
    use crate::lambda::config::tests::{TOPIC, vars};

    /// From a review: causes from several destinations, each capped, added up
    /// to two kilobytes in the error Lambda records; the whole is capped.
    #[test]
    fn a_delivery_failure_states_a_short_cause() {
        let each = format!(
            "SNS Publish to arn:aws:sns:us-east-1:111122223333:{} failed",
            "t".repeat(250)
        );
        let e = HandleError::Notify(crate::notify::NotifyError(vec![each; 4].join("; ")));
        assert!(e.to_string().chars().count() > 1000);
        let cause = short_cause(&e);
        assert!(
            cause.chars().count() <= MAX_CAUSE_CHARS + crate::sanitize::CUT_MARK.chars().count(),
            "{cause}"
        );
        assert!(cause.starts_with("notification: SNS Publish"), "{cause}");
    }

    /// The stack's log retention reaches trailwatch-tampering through the
    /// process-wide setting (14 days, as the detection's own test sets it: the
    /// setting is process-wide and first-set wins).
    #[test]
    fn start_up_hands_the_log_retention_to_the_detections() {
        let c = config::tests::with_var(
            "self-protection",
            config::ENV_LOG_RETENTION_DAYS,
            Some("14"),
        )
        .unwrap();
        set_process_wide(&c).unwrap();
        assert_eq!(crate::resources::log_retention_days(), Some(14));
    }

    fn handler(group: &str) -> Handler<crate::state::MemoryStore, crate::notify::Collect> {
        let g = catalog::function(group).unwrap();
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

    pub(super) fn block_on<F: std::future::Future>(f: F) -> F::Output {
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

    /// A caller who hangs a value nested past the parser's limit on its call
    /// (100,000 levels here) does not have the record refused: it is read with
    /// that value cut (`event::repair`) and fires (from a review).
    #[test]
    fn a_record_nested_past_the_parsers_limit_still_fires() {
        let h = handler("logging-tamper");
        let deep = format!("{}0{}", "[".repeat(100_000), "]".repeat(100_000));
        let event = stop_logging("t").replace(
            r#""name":"org-trail""#,
            &format!(r#""name":"org-trail","x":{deep}"#),
        );
        assert!(event.contains(&deep));
        let out = block_on(h.handle_at(&event, "r", 1_800_000_000)).unwrap();
        assert_eq!(out["outcome"], "notified", "{out}");
        let sent = h.notifier.take();
        let f = sent
            .iter()
            .find(|f| f.detection_id == "cloudtrail-log-suspended")
            .expect("StopLogging fires");
        assert!(format!("{f:?}").contains("org-trail"), "{f:?}");
    }

    /// An envelope from a source AWS does not emit, or with none (invoked
    /// directly; from a review), is refused as the record it carries is not
    /// one the rules delivered; the same record from `aws.cloudtrail` is taken.
    #[test]
    fn an_envelope_not_from_aws_is_refused() {
        let h = handler("logging-tamper");
        let mut e: serde_json::Value = serde_json::from_str(&stop_logging("t")).unwrap();
        for source in [Some("custom.app"), None] {
            match source {
                Some(s) => e["source"] = json!(s),
                None => {
                    e.as_object_mut().unwrap().remove("source");
                }
            }
            let refused = block_on(h.handle_at(&e.to_string(), "r", 1_800_000_000));
            assert!(
                matches!(refused, Err(InvocationError::Invalid { .. })),
                "{source:?}: {refused:?}"
            );
        }
        assert!(h.notifier.take().is_empty());
        let taken = block_on(h.handle_at(&stop_logging("t"), "r", 1_800_000_000)).unwrap();
        assert_eq!(taken["outcome"], "notified", "{taken}");
    }

    /// The heartbeat check's schedule, as EventBridge Scheduler sends it.
    const SCHEDULE: &str =
        r#"{"id":"s","detail-type":"Scheduled Event","source":"aws.events","detail":{}}"#;

    /// The `pipeline` function with `extra` environment variables.
    fn pipeline_handler(
        extra: &[(&str, &str)],
    ) -> Handler<crate::state::MemoryStore, crate::notify::Collect> {
        let g = catalog::function("pipeline").unwrap();
        let mut all = vec![(ENV_TABLE, "t"), (ENV_TOPIC_ARN, TOPIC)];
        all.extend_from_slice(extra);
        Handler::new(
            &Config::from_vars(g, vars(&all)).unwrap(),
            crate::state::MemoryStore::default(),
            crate::notify::Collect::default(),
        )
    }

    /// A canary of one account and Region, heard 10,000 s before 1_800_000_000.
    fn silent_since_long_ago<S: Store, N: crate::notify::Notifier>(h: &Handler<S, N>) {
        let seen = block_on(h.store.beat(
            crate::heartbeat::PARTITION,
            "111122223333|us-east-1",
            1_799_990_000_000,
            1_800_086_400,
            1_799_990_000,
        ));
        assert!(seen.is_ok(), "{seen:?}");
    }

    /// With `pipeline-silent` disabled the schedule raises nothing, even for a
    /// member silent for long; the canaries still keep the heartbeat.
    #[test]
    fn a_disabled_pipeline_silent_is_not_raised_by_the_schedule() {
        let h = pipeline_handler(&[(config::ENV_DISABLED, crate::heartbeat::SILENT_ID)]);
        silent_since_long_ago(&h);
        let out = block_on(h.handle_at(SCHEDULE, "r", 1_800_000_000)).unwrap();
        assert_eq!(out["outcome"], "ignored", "{out}");
        assert!(h.notifier.take().is_empty());
        // Enabled, the same silence is reported.
        let h = handler("pipeline");
        silent_since_long_ago(&h);
        block_on(h.handle_at(SCHEDULE, "r", 1_800_000_000)).unwrap();
        assert!(
            h.notifier
                .take()
                .iter()
                .any(|f| f.detection_id == crate::heartbeat::SILENT_ID)
        );
    }

    /// The expected accounts and Regions reach the scheduled check: one never
    /// heard from is reported after the threshold.
    #[test]
    fn the_schedule_reports_an_expected_region_never_heard_from() {
        let h = pipeline_handler(&[
            (config::ENV_EXPECTED_ACCOUNTS, "111122223333"),
            (config::ENV_EXPECTED_REGIONS, "ap-south-1"),
        ]);
        block_on(h.handle_at(SCHEDULE, "r", 1_800_000_000)).unwrap();
        assert!(h.notifier.take().is_empty(), "armed");
        block_on(h.handle_at(SCHEDULE, "r", 1_800_001_000)).unwrap();
        let sent = h.notifier.take();
        assert_eq!(sent.len(), 1, "{sent:?}");
        assert_eq!(sent[0].detection_id, crate::heartbeat::SILENT_ID);
        assert_eq!(sent[0].region.as_deref(), Some("ap-south-1"));
    }

    /// From a review: a refused arming write holds back no silence found; the
    /// check fails after delivering it, and its retry arms without sending the
    /// silence again.
    #[test]
    fn a_check_whose_arming_fails_still_delivers_then_fails() {
        let g = catalog::function("pipeline").unwrap();
        let vars_ = vars(&[
            (ENV_TABLE, "t"),
            (ENV_TOPIC_ARN, TOPIC),
            (config::ENV_EXPECTED_ACCOUNTS, "444455556666"),
            (config::ENV_EXPECTED_REGIONS, "ap-south-1"),
        ]);
        let h = Handler::new(
            &Config::from_vars(g, vars_).unwrap(),
            crate::heartbeat::RefusesToArm::new("444455556666|ap-south-1"),
            crate::notify::Collect::default(),
        );
        silent_since_long_ago(&h);
        let e = block_on(h.handle_at(SCHEDULE, "r", 1_800_000_000)).unwrap_err();
        assert!(e.to_string().contains("throttled"), "{e}");
        assert!(
            e.to_string().contains("after 1 finding(s) delivered"),
            "{e}"
        );
        let sent = h.notifier.take();
        assert_eq!(sent.len(), 1, "the silence found: {sent:?}");
        assert_eq!(sent[0].region.as_deref(), Some("us-east-1"));
        // The retry, the store writable again: arms, sends nothing twice.
        h.store
            .refuse
            .store(false, std::sync::atomic::Ordering::SeqCst);
        block_on(h.handle_at(SCHEDULE, "r", 1_800_000_060)).unwrap();
        assert!(h.notifier.take().is_empty());
        let armed = block_on(
            h.store
                .members(crate::heartbeat::EXPECTED_PARTITION, 1_800_000_060),
        )
        .unwrap();
        assert_eq!(armed.len(), 1, "{armed:?}");
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
            // A CloudTrail record put on the bus by someone with PutEvents.
            &stop_logging("2026-03-14T13:15:27Z")
                .replace(r#""source":"aws.cloudtrail""#, r#""source":"com.example""#),
            "",
        ] {
            let e = block_on(h.handle_at(bad, "r", 0)).unwrap_err();
            assert!(matches!(e, InvocationError::Invalid { .. }), "{bad}: {e}");
        }
    }
}
