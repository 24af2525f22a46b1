//! A store that remembers the claims one batch took, so that a batch that fails
//! after finding something gives them back: its retry finds the same findings
//! and writes them, instead of finding them "already reported" by an attempt
//! whose output was never written. What its notified findings wrote to their
//! windows' memory of reported values is emptied too: a retry that found it
//! would take its own findings for repeats (from a review).

use std::sync::Mutex;

use crate::state::{Claimed, Lease, Now, Observation, Store, StoreError, Take, Wrapper};

pub struct Recording<S> {
    inner: S,
    taken: Mutex<Vec<String>>,
    /// The memory items written (partition, item, expiry), to empty on give-back.
    remembered: Mutex<Vec<(String, Observation, i64)>>,
}

impl<S: Store> Recording<S> {
    pub fn new(inner: S) -> Self {
        Recording {
            inner,
            taken: Mutex::new(Vec::new()),
            remembered: Mutex::new(Vec::new()),
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
        let remembered =
            std::mem::take(&mut *self.remembered.lock().unwrap_or_else(|p| p.into_inner()));
        for (partition, obs, expires_at) in remembered {
            // The same key, nothing in it: an overwrite, as a retried record's is.
            let emptied = Observation {
                payload: crate::window::FORGOTTEN.to_owned().into(),
                ..obs
            };
            if let Err(e) = self.inner.put(&partition, emptied, expires_at).await {
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

    async fn put(
        &self,
        partition: &str,
        obs: Observation,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        if crate::window::is_reported_memory(partition) {
            self.remembered
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((partition.to_owned(), obs.clone(), expires_at));
        }
        self.inner.put(partition, obs, expires_at).await
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

    /// A notified finding's memory written by a batch that then failed is
    /// emptied on give-back, so that its retry reports the finding again;
    /// observations of windows are left as they are.
    #[tokio::test]
    async fn memory_written_is_emptied_on_give_back() {
        let item = |partition: &str, payload: &str| {
            (
                partition.to_owned(),
                Observation {
                    time_ms: 1_000,
                    event_id: "c|det|g|0".to_owned(),
                    value: "reported".to_owned(),
                    payload: payload.to_owned().into(),
                },
            )
        };
        let s = Recording::new(MemoryStore::default());
        let remembered = r#"{"pairs":[["i-1","192.0.2.1","alice"]]}"#;
        for (partition, obs) in [item("r|det|g", remembered), item("w|det|g", remembered)] {
            Store::put(&s, &partition, obs, 100_000).await.unwrap();
        }
        s.give_back().await.unwrap();
        let read = |partition: &'static str| {
            let s = &s;
            async move {
                let items = Store::range(s, partition, 0, 2_000, 0).await.unwrap();
                assert_eq!(items.len(), 1, "{partition}");
                items[0].payload.json().unwrap().to_string()
            }
        };
        assert_eq!(read("r|det|g").await, crate::window::FORGOTTEN);
        assert_eq!(read("w|det|g").await, remembered);
    }

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
