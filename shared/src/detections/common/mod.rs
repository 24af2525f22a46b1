//! Predicates and evidence shared by several detections.
//!
//! The helpers live in one file per theme, and every item is re-exported here, so
//! `common::X` names it wherever it lives:
//!
//! - `general.rs`: record readers, results and evidence used across every theme
//!   (`request_param_any`, `text_is`, `with_error`, `succeeded_call`, `joined`,
//!   window keys, flags and counts), and the `testing` module.
//! - `callers.rs`: who made the call: AWS services, the console, deployment and
//!   infrastructure-as-code tools, long-term and session keys, instance credentials;
//!   `agent.rs`: the answers about a user agent, worked out once per agent and thread
//!   (not re-exported: `common::agent::facts`).
//! - `signin.rs`: failed and successful console sign-ins.
//! - `compute.rs`: compute-network (EC2, VPC, Lambda, containers, Systems Manager),
//!   and `compute_testing`.
//! - `security.rs`: security services and account controls (WAF, request flags and
//!   parameters), and `calls`.
//! - `policy.rs`: data-exposure: resource policies, principals, action patterns,
//!   sharing lists, and `data_testing`.
//! - `discovery.rs`: the discovery call list, the stable principal, per-principal
//!   terms and counts, the Bedrock model calls.
//! - `organizations.rs`: the organisations a deployment calls its own, in scope
//!   while a detection runs (not re-exported: `common::organizations`).
//! - `ecr.rs`: the ECR scan-finding detections, and `ecr_testing`.
//! - `iam.rs`: iam-persistence: IAM calls, change evidence, managed and inline
//!   policies, trust policies, and `iam_testing`.

pub(crate) mod agent;
pub mod alarm_rule;
mod callers;
mod compute;
mod discovery;
mod ecr;
#[cfg(test)]
mod evidence_keys;
mod general;
mod iam;
pub mod organizations;
mod policy;
mod security;
mod signin;

pub use callers::*;
pub use compute::*;
pub use discovery::*;
pub use ecr::*;
pub use general::*;
pub use iam::*;
pub use policy::*;
pub use security::*;
pub use signin::*;
