//! A store that remembers the claims one batch took, so that a batch that fails
//! after finding something gives them back: its retry finds the same findings
//! and writes them, instead of finding them "already reported" by an attempt
//! whose output was never written.

use std::sync::Mutex;

use crate::state::{Beat, Claimed, Lease, Now, Observation, Store, StoreError, Take};

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
    /// are this batch's own); the first error is returned after trying them all.
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

    async fn confirm(&self, key: &str, lease: &Lease, expires_at: i64) -> Result<bool, StoreError> {
        self.inner.confirm(key, lease, expires_at).await
    }

    async fn release(&self, key: &str, lease: Option<&Lease>) -> Result<(), StoreError> {
        self.inner.release(key, lease).await?;
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
        enough: usize,
    ) -> Result<usize, StoreError> {
        self.inner
            .distinct_values_at_most(partition, from_ms, to_ms, now, enough)
            .await
    }

    async fn claims_held(&self, keys: &[String], now: i64) -> Result<bool, StoreError> {
        self.inner.claims_held(keys, now).await
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
        let now = Now::live(0);
        let held = Take::Confirmed { expires_at: 100 };
        let inner = MemoryStore::default();
        inner.claim("earlier", &[], held, now).await.unwrap();
        let s = Recording::new(inner);
        assert_eq!(s.claim("a", &[], held, now).await.unwrap(), Claimed::Taken);
        let lease = Lease::new(50);
        assert_eq!(
            s.claim("b", &[], Take::Lease(&lease), now).await.unwrap(),
            Claimed::Taken
        );
        assert_eq!(
            s.claim("earlier", &[], held, now).await.unwrap(),
            Claimed::Held
        );
        assert_eq!(s.give_back().await.unwrap(), 2);
        for key in ["a", "b"] {
            assert_eq!(
                s.claim(key, &[], held, now).await.unwrap(),
                Claimed::Taken,
                "{key} given back"
            );
        }
        assert_eq!(
            s.claim("earlier", &[], held, now).await.unwrap(),
            Claimed::Held,
            "kept"
        );
    }
}
