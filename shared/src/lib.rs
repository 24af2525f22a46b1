//! trailwatch: CloudTrail detections for AWS Lambda and for local replay.
//!
//! Ports and adapters: the engine, the windows and the detections know nothing of
//! AWS clients; the adapters that do (DynamoDB, SNS, Security Hub, S3, the
//! Lambda runtime) sit behind the features `aws`, `aws-chain` and `lambda`.
//! - `archive`: CloudTrail's S3 key layout, prefix planning for a replay filter,
//!   log files decoded off the engine's thread in order (`recorded`), and
//!   (feature `aws-chain`) the S3 reader of log files.
//! - `event`: the tolerant CloudTrail record view and the reader of files/envelopes.
//! - `detection` + `detections/`: one file per detection, metadata beside logic.
//! - `catalog`: the list of all detections and their function groups.
//! - `rules`: the EventBridge patterns derived from the detections' metadata.
//! - `engine`: routes a record to the detections indexed by (eventSource, eventName).
//! - `window`: sliding windows, ordered pairs and first-seen terms on `state::Store`.
//! - `heartbeat`: the pipeline canary (silence is a finding); `resources`: how
//!   trailwatch recognises its own resources (the name prefix).
//! - `state`: the `Store` port, with an in-memory adapter (DynamoDB lives beside it).
//! - `finding`: the finding model and its renderings.
//! - `tuning`: the tuning file (modes, overrides, suppressions, dedup) and how it
//!   applies to findings.
//! - `notify`: the `Notifier` port; `message` builds SNS messages, `sns` sends them.
//! - `render`: the finding as OCSF, ASFF (Security Hub) and a chat notification.
//! - `sanitize`: attacker-controlled text made safe to show; `spelling`: what a
//!   misspelt name most likely meant.
//! - `aws` (feature `aws`): the one loader of AWS SDK configurations (our HTTPS
//!   client), the signed S3 client, and `aws::error`: an SDK error told in one short line.
//! - `lambda` (feature `lambda`): the entry point of the functions under `functions/`.

pub mod archive;
#[cfg(feature = "aws")]
pub mod aws;
pub mod catalog;
pub mod detection;
pub mod detections;
pub mod engine;
pub mod event;
pub mod finding;
pub mod heartbeat;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod notify;
pub mod render;
pub mod resources;
pub mod rules;
pub mod sanitize;
pub mod spelling;
pub mod state;
pub mod tuning;
pub mod window;
