//! A store that remembers the claims one batch took, so that a batch that fails
//! after finding something gives them back: its retry finds the same findings
//! and writes them, instead of finding them "already reported" by an attempt
//! whose output was never written.

use std::sync::Mutex;

use crate::state::{Claimed, Lease, Now, Store, StoreError, Take, Wrapper};

pub struct Recording<S> {
    inner: S,
    taken: Mutex<Vec<String>>,
}

impl<S: Store> Recording<S> {
    pub fn new(inner: S) -> Self {
        Recording {
            inner,
            taken: Mutex::new(Vec::new()),
        }
    }

    /// Releases every claim taken through this store (leased or confirmed: all
    /// are this batch's own; the owned DynamoDB store deletes only those no other
    /// batch took since); the first error is returned after trying them all.
    pub async fn give_back(&self) -> Result<usize, StoreError> {
        let taken = std::mem::take(&mut *self.taken.lock().unwrap_or_else(|p| p.into_inner()));
        let mut first_error = None;
        for key in &taken {
            if let Err(e) = self.inner.release(key, None).await {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(taken.len()), Err)
    }
}

impl<S: Store> Wrapper for Recording<S> {
    type Inner = S;

    fn inner(&self) -> &S {
        &self.inner
    }

    async fn claim(
        &self,
        key: &str,
        guards: &[String],
        take: Take<'_>,
        now: Now,
    ) -> Result<Claimed, StoreError> {
        let claimed = self.inner.claim(key, guards, take, now).await?;
        if claimed == Claimed::Taken {
            self.taken
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(key.to_owned());
        }
        Ok(claimed)
    }

    async fn release(&self, key: &str, lease: Option<&Lease>) -> Result<(), StoreError> {
        self.inner.release(key, lease).await?;
        self.taken
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|k| k != key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::MemoryStore;

    #[tokio::test]
    async fn claims_taken_are_given_back_and_others_kept() {
        let now = Now::live(0);
        let held = Take::Confirmed { expires_at: 100 };
        let inner = MemoryStore::default();
        inner.claim("earlier", &[], held, now).await.unwrap();
        let s = Recording::new(inner);
        assert_eq!(
            Store::claim(&s, "a", &[], held, now).await.unwrap(),
            Claimed::Taken
        );
        let lease = Lease::new(50);
        assert_eq!(
            Store::claim(&s, "b", &[], Take::Lease(&lease), now)
                .await
                .unwrap(),
            Claimed::Taken
        );
        assert_eq!(
            Store::claim(&s, "earlier", &[], held, now).await.unwrap(),
            Claimed::Held
        );
        assert_eq!(s.give_back().await.unwrap(), 2);
        for key in ["a", "b"] {
            assert_eq!(
                Store::claim(&s, key, &[], held, now).await.unwrap(),
                Claimed::Taken,
                "{key} given back"
            );
        }
        assert_eq!(
            Store::claim(&s, "earlier", &[], held, now).await.unwrap(),
            Claimed::Held,
            "kept"
        );
    }
}
