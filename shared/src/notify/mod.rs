//! The notification port: where findings go (SNS, and Security Hub when asked,
//! in Lambda; the terminal in replay).

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

    /// The destinations this notifier delivers to, by stable names. With more
    /// than one, the engine records each delivery on its own
    /// (`engine::delivery`), so that a retry after one refused sends the
    /// finding to that one alone.
    fn destinations(&self) -> Vec<&'static str> {
        vec![DEFAULT_DESTINATION]
    }

    /// Delivers to the destination named `to` (one of [`Self::destinations`])
    /// alone.
    fn notify_to(
        &self,
        to: &str,
        finding: &Finding,
    ) -> impl Future<Output = Result<(), NotifyError>> + Send {
        let _ = to;
        self.notify(finding)
    }

    /// Whether the order findings reach this notifier in is part of what it
    /// makes (lines written to the terminal or a file): the engine then
    /// delivers one record's findings one after another, never several at once
    /// (`engine::delivery`), so that a replay's output does not depend on timing.
    fn keeps_order(&self) -> bool {
        false
    }
}

/// The destination of a notifier that names none of its own.
pub const DEFAULT_DESTINATION: &str = "default";

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

    fn destinations(&self) -> Vec<&'static str> {
        self.as_ref().map_or_else(Vec::new, N::destinations)
    }

    fn keeps_order(&self) -> bool {
        self.as_ref().is_some_and(N::keeps_order)
    }

    async fn notify_to(&self, to: &str, finding: &Finding) -> Result<(), NotifyError> {
        match self {
            Some(n) => n.notify_to(to, finding).await,
            None => Ok(()),
        }
    }
}

/// Two destinations, the first before the second. Both are always tried: a
/// destination that refuses (Security Hub disabled by an intruder, a deleted
/// chat topic) must not keep the finding from the others. Any failure fails the
/// whole, with every cause; the engine then releases the claim and the
/// invocation is retried. Each destination's delivery is recorded on its own
/// (the engine delivers through [`Notifier::notify_to`] when there are
/// several), so the retry sends the finding to the refusing one alone.
pub struct Then<A, B>(pub A, pub B);

impl<A: Notifier, B: Notifier> Notifier for Then<A, B> {
    async fn notify(&self, finding: &Finding) -> Result<(), NotifyError> {
        let first = self.0.notify(finding).await;
        let second = self.1.notify(finding).await;
        match (first, second) {
            (Ok(()), Ok(())) => Ok(()),
            (Err(e), Ok(())) | (Ok(()), Err(e)) => Err(e),
            (Err(a), Err(b)) => Err(NotifyError(format!("{}; {}", a.0, b.0))),
        }
    }

    fn destinations(&self) -> Vec<&'static str> {
        let mut all = self.0.destinations();
        all.extend(self.1.destinations());
        all
    }

    fn keeps_order(&self) -> bool {
        self.0.keeps_order() || self.1.keeps_order()
    }

    async fn notify_to(&self, to: &str, finding: &Finding) -> Result<(), NotifyError> {
        if self.0.destinations().contains(&to) {
            self.0.notify_to(to, finding).await
        } else {
            self.1.notify_to(to, finding).await
        }
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

    /// A refusing destination fails the whole but holds nothing back from the
    /// others, whichever place it has in the chain.
    #[test]
    fn a_chain_tries_every_destination_and_fails_if_one_failed() {
        let f = finding();
        let ok = Then(None::<Fail>, Collect::default());
        assert!(block_on(ok.notify(&f)).is_ok());
        assert_eq!(ok.1.take().len(), 1);
        let failing_first = Then(Some(Fail), Collect::default());
        assert_eq!(block_on(failing_first.notify(&f)).unwrap_err().0, "down");
        assert_eq!(
            failing_first.1.take().len(),
            1,
            "sent despite the failure before"
        );
        let failing_last = Then(Collect::default(), Then(Some(Fail), Some(Fail)));
        assert_eq!(
            block_on(failing_last.notify(&f)).unwrap_err().0,
            "down; down"
        );
        assert_eq!(failing_last.0.take().len(), 1);
    }
}
