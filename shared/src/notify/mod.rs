//! The notification port: where findings go (SNS in Lambda, the terminal in replay).

pub mod message;
#[cfg(feature = "securityhub")]
pub mod securityhub;
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

/// No notifier: an optional destination that is not configured.
impl<N: Notifier> Notifier for Option<N> {
    async fn notify(&self, finding: &Finding) -> Result<(), NotifyError> {
        match self {
            Some(n) => n.notify(finding).await,
            None => Ok(()),
        }
    }
}

/// Two destinations, the first before the second; the first failure fails the
/// whole (the engine then releases the claim and the invocation is retried, so
/// put idempotent destinations first: a retry repeats what had succeeded).
pub struct Then<A, B>(pub A, pub B);

impl<A: Notifier, B: Notifier> Notifier for Then<A, B> {
    async fn notify(&self, finding: &Finding) -> Result<(), NotifyError> {
        self.0.notify(finding).await?;
        self.1.notify(finding).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fail;
    impl Notifier for Fail {
        async fn notify(&self, _: &Finding) -> Result<(), NotifyError> {
            Err(NotifyError("down".into()))
        }
    }

    fn finding() -> Finding {
        let rec = crate::event::Record::from_json(
            r#"{"eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","eventID":"e"}"#,
        )
        .unwrap();
        let meta = crate::catalog::by_id("cloudtrail-log-suspended")
            .unwrap()
            .meta();
        Finding::from_record(meta, &rec, crate::detection::Evidence::new())
    }

    fn block_on<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn a_chain_stops_at_the_first_failure() {
        let f = finding();
        let ok = Then(None::<Fail>, Collect::default());
        assert!(block_on(ok.notify(&f)).is_ok());
        assert_eq!(ok.1.take().len(), 1);
        let failing = Then(Some(Fail), Collect::default());
        assert!(block_on(failing.notify(&f)).is_err());
        assert!(failing.1.take().is_empty(), "nothing sent after a failure");
    }
}
