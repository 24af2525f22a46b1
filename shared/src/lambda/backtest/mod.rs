//! The `backtest` Lambda function: the whole catalogue over an S3 archive of
//! CloudTrail log files, driven by a Step Functions Distributed Map
//! (deploy/backtest.yaml, docs/backtest.md).
//!
//! One binary, two modes chosen by the input's `mode`:
//! - `plan` ([`plan`]): lists the archive's keys under the requested prefixes,
//!   puts them in time order (day, delivery minute, key), groups them into batches of at most N keys and B bytes, and writes
//!   the batches as a JSON array (the manifest) to the results bucket, where the
//!   map's `ItemReader` reads it;
//! - `batch` ([`batch`]): one manifest item: reads its keys (GetObject, gzip),
//!   runs every detection on their records with the run's DynamoDB state (shared
//!   by all batches, so a burst that spans batches is found once) on the
//!   event-time clock, and writes the findings as JSON lines to
//!   `s3://<results>/<run-id>/findings/<batch>.jsonl` (and publishes them to SNS
//!   when the run asks and a topic is configured).

pub mod batch;
mod claims;
mod config;
pub mod plan;

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use tracing::{error, info};

pub use config::{BacktestConfig, ENV_ARCHIVE_BUCKET, ENV_RESULTS_BUCKET};

use super::{Error, LambdaEvent, init_logging};

/// What the state machine sends: the mode and that mode's input.
#[derive(Debug, Deserialize)]
#[serde(tag = "mode", rename_all = "lowercase", deny_unknown_fields)]
pub enum Request {
    Plan(plan::PlanInput),
    Batch(batch::BatchInput),
}

/// A run id names the run's results prefix and its keys in the state table: an
/// execution name limited to characters safe in both.
pub fn check_run_id(id: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && id.len() <= 80
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "run_id {:?} must be 1 to 80 letters, digits, '-' or '_' (the execution name)",
            crate::sanitize::one_line(id, 100)
        ))
    }
}

/// Why an invocation failed. Step Functions retries `Failed` (a retry may
/// succeed) and not `Invalid` (docs/backtest.md, the state machine's `Retry`).
#[derive(Debug)]
pub enum BacktestError {
    /// The input is not a request this function accepts.
    Invalid(String),
    /// S3, DynamoDB or SNS failed; the batch's claims were given back.
    Failed(String),
}

impl std::fmt::Display for BacktestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BacktestError::Invalid(m) => write!(f, "invalid request: {m}"),
            BacktestError::Failed(m) => write!(f, "failed: {m}"),
        }
    }
}
impl std::error::Error for BacktestError {}

impl From<BacktestError> for lambda_runtime::Diagnostic {
    fn from(e: BacktestError) -> Self {
        let error_type = match e {
            BacktestError::Invalid(_) => ERROR_INVALID,
            BacktestError::Failed(_) => ERROR_FAILED,
        };
        lambda_runtime::Diagnostic {
            error_type: error_type.into(),
            error_message: e.to_string(),
        }
    }
}

/// The error types Step Functions sees (`ErrorEquals` in the state machine).
pub const ERROR_INVALID: &str = "trailwatch.BacktestInvalid";
pub const ERROR_FAILED: &str = "trailwatch.BacktestFailed";

/// The handler: clients and configuration for both modes.
pub struct Backtest {
    pub config: BacktestConfig,
    pub s3: crate::aws::s3::S3Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sns: crate::notify::sns::SnsClient,
}

impl Backtest {
    /// S3 reads and writes take `sdk`'s time limits (a log file of tens of MB
    /// must have time to arrive); the state table and the topic take
    /// `config::delivery_timeouts`, so that a delivery ends well within its
    /// lease (from a review: with S3's three minutes per call, a slow `Publish`
    /// outlived its 60 s lease and another batch could take the claim over).
    pub fn from_config(config: BacktestConfig, sdk: &crate::aws::SdkConfig) -> Backtest {
        let delivery = sdk
            .to_builder()
            .timeout_config(config::delivery_timeouts())
            .build();
        Backtest {
            config,
            s3: crate::aws::s3::S3Client::new(sdk),
            dynamodb: aws_sdk_dynamodb::Client::new(&delivery),
            sns: crate::notify::sns::SnsClient::new(&delivery),
        }
    }

    /// One invocation, which Lambda stops at `deadline_ms` (epoch milliseconds):
    /// an input that is not a request fails it with the reason.
    pub async fn handle(&self, payload: &str, deadline_ms: i64) -> Result<Value, BacktestError> {
        let request: Request = serde_json::from_str(payload)
            .map_err(|e| BacktestError::Invalid(format!("not a backtest request: {e}")))?;
        match request {
            Request::Plan(input) => plan::run(self, input).await,
            Request::Batch(input) => batch::run(self, input, deadline_ms).await,
        }
    }
}

/// The whole life of the function, like [`super::run`] for the detection groups.
pub async fn run() -> Result<(), Error> {
    init_logging();
    let config = match BacktestConfig::from_env() {
        Ok(c) => c,
        Err(e) => {
            error!(error = %e, "start-up failed");
            return Err(e.into());
        }
    };
    if let Some(prefix) = &config.resource_prefix
        && let Err(e) = crate::resources::set_prefix(prefix)
    {
        error!(error = %e, "start-up failed");
        return Err(e.into());
    }
    let sdk = config::sdk_config().await.map_err(|e| {
        error!(error = %e, "start-up failed");
        e
    })?;
    let handler = Backtest::from_config(config, &sdk);
    info!(
        table = handler.config.table,
        archive_bucket = handler.config.archive_bucket,
        results_bucket = handler.config.results_bucket,
        topic_arn = handler.config.topic_arn.as_deref().unwrap_or(""),
        "ready"
    );
    let handler = &handler;
    lambda_runtime::run(lambda_runtime::service_fn(
        move |ev: LambdaEvent<Box<RawValue>>| {
            Box::pin(async move {
                let deadline_ms = i64::try_from(ev.context.deadline).unwrap_or(i64::MAX);
                let out = handler.handle(ev.payload.get(), deadline_ms).await;
                if let Err(e) = &out {
                    error!(request_id = ev.context.request_id, error = %e, "backtest invocation failed");
                }
                out
            })
        },
    ))
    .await
}
