//! The notification port: where findings go (SNS in Lambda, the terminal in replay).

pub mod message;
#[cfg(feature = "aws")]
pub mod sns;

use std::future::Future;

use crate::finding::Finding;

/// A finding could not be delivered. The invocation must fail so it is retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyError(pub String);

impl std::fmt::Display for NotifyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "notification: {}", self.0)
    }
}
impl std::error::Error for NotifyError {}

/// Delivers findings. `Ok` means the finding is durably handed over.
pub trait Notifier: Send + Sync {
    fn notify(&self, finding: &Finding) -> impl Future<Output = Result<(), NotifyError>> + Send;
}

/// Collects findings in memory (tests, and callers that render them later).
#[derive(Default)]
pub struct Collect(pub std::sync::Mutex<Vec<Finding>>);

impl Collect {
    pub fn take(&self) -> Vec<Finding> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl Notifier for Collect {
    async fn notify(&self, finding: &Finding) -> Result<(), NotifyError> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(finding.clone());
        Ok(())
    }
}
