//! A store that remembers the claims one batch took, so that a batch that fails
//! after finding something gives them back: its retry finds the same findings
//! and writes them, instead of finding them "already reported" by an attempt
//! whose output was never written.

use std::sync::Mutex;

use crate::state::{Beat, Observation, Store, StoreError};

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

    /// Releases every claim taken through this store; the first error is
    /// returned after trying them all.
    pub async fn give_back(&self) -> Result<usize, StoreError> {
        let taken = std::mem::take(&mut *self.taken.lock().unwrap_or_else(|p| p.into_inner()));
        let mut first_error = None;
        for key in &taken {
            if let Err(e) = self.inner.release(key).await {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(taken.len()), Err)
    }
}

impl<S: Store> Store for Recording<S> {
    async fn put(
        &self,
        partition: &str,
        obs: &Observation,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        self.inner.put(partition, obs, expires_at).await
    }

    async fn range(
        &self,
        partition: &str,
        from_ms: i64,
        to_ms: i64,
        now: i64,
    ) -> Result<Vec<Observation>, StoreError> {
        self.inner.range(partition, from_ms, to_ms, now).await
    }

    async fn claim(
        &self,
        key: &str,
        guards: &[String],
        expires_at: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let took = self.inner.claim(key, guards, expires_at, now).await?;
        if took {
            self.taken
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(key.to_owned());
        }
        Ok(took)
    }

    async fn release(&self, key: &str) -> Result<(), StoreError> {
        self.inner.release(key).await?;
        self.taken
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|k| k != key);
        Ok(())
    }

    async fn distinct_values_at_most(
        &self,
        partition: &str,
        from_ms: i64,
        to_ms: i64,
        now: i64,
    ) -> Result<usize, StoreError> {
        self.inner
            .distinct_values_at_most(partition, from_ms, to_ms, now)
            .await
    }

    async fn beat(
        &self,
        partition: &str,
        member: &str,
        time_ms: i64,
        expires_at: i64,
        now: i64,
    ) -> Result<Beat, StoreError> {
        self.inner
            .beat(partition, member, time_ms, expires_at, now)
            .await
    }

    async fn members(&self, partition: &str, now: i64) -> Result<Vec<(String, i64)>, StoreError> {
        self.inner.members(partition, now).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::MemoryStore;

    #[tokio::test]
    async fn claims_taken_are_given_back_and_others_kept() {
        let inner = MemoryStore::default();
        inner.claim("earlier", &[], 100, 0).await.unwrap();
        let s = Recording::new(inner);
        assert!(s.claim("a", &[], 100, 0).await.unwrap());
        assert!(!s.claim("earlier", &[], 100, 0).await.unwrap());
        assert_eq!(s.give_back().await.unwrap(), 1);
        assert!(s.claim("a", &[], 100, 0).await.unwrap(), "given back");
        assert!(!s.claim("earlier", &[], 100, 0).await.unwrap(), "kept");
    }
}
