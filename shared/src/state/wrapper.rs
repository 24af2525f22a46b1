//! Stores that wrap another store: a wrapper names its inner store and writes
//! only the calls it changes (remembering claims, counting requests, watching
//! reads); every other call goes to the inner store unchanged.

use std::future::Future;

use super::{Beat, Claimed, Lease, Now, Observation, Store, StoreError, Take};

/// A store in front of [`Wrapper::inner`]. Each method's default passes the call
/// on; a wrapper overrides what it changes. Every wrapper is a [`Store`].
pub trait Wrapper: Send + Sync {
    type Inner: Store;

    fn inner(&self) -> &Self::Inner;

    fn steps_at_once(&self) -> usize {
        self.inner().steps_at_once()
    }

    fn put(
        &self,
        partition: &str,
        obs: Observation,
        expires_at: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.inner().put(partition, obs, expires_at)
    }

    fn range(
        &self,
        partition: &str,
        from_ms: i64,
        to_ms: i64,
        now: i64,
    ) -> impl Future<Output = Result<Vec<Observation>, StoreError>> + Send {
        self.inner().range(partition, from_ms, to_ms, now)
    }

    fn range_oldest_first(
        &self,
        partition: &str,
        from_ms: i64,
        to_ms: i64,
        now: i64,
    ) -> impl Future<Output = Result<Vec<Observation>, StoreError>> + Send {
        self.inner()
            .range_oldest_first(partition, from_ms, to_ms, now)
    }

    fn claim(
        &self,
        key: &str,
        guards: &[String],
        take: Take<'_>,
        now: Now,
    ) -> impl Future<Output = Result<Claimed, StoreError>> + Send {
        self.inner().claim(key, guards, take, now)
    }

    fn confirm(
        &self,
        key: &str,
        lease: &Lease,
        expires_at: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        self.inner().confirm(key, lease, expires_at)
    }

    fn release(
        &self,
        key: &str,
        lease: Option<&Lease>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.inner().release(key, lease)
    }

    fn extend(
        &self,
        key: &str,
        expires_at: i64,
        slack_secs: i64,
        now: Now,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        self.inner().extend(key, expires_at, slack_secs, now)
    }

    fn distinct_values_at_most(
        &self,
        partition: &str,
        from_ms: i64,
        to_ms: i64,
        now: i64,
        enough: usize,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send {
        self.inner()
            .distinct_values_at_most(partition, from_ms, to_ms, now, enough)
    }

    fn claims_held(
        &self,
        keys: &[String],
        now: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        self.inner().claims_held(keys, now)
    }

    fn any_claim_held(
        &self,
        keys: &[String],
        now: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        self.inner().any_claim_held(keys, now)
    }

    fn beat(
        &self,
        partition: &str,
        member: &str,
        time_ms: i64,
        expires_at: i64,
        now: i64,
    ) -> impl Future<Output = Result<Beat, StoreError>> + Send {
        self.inner()
            .beat(partition, member, time_ms, expires_at, now)
    }

    fn members(
        &self,
        partition: &str,
        now: i64,
    ) -> impl Future<Output = Result<Vec<(String, i64)>, StoreError>> + Send {
        self.inner().members(partition, now)
    }

    fn member(
        &self,
        partition: &str,
        member: &str,
        now: i64,
    ) -> impl Future<Output = Result<Option<i64>, StoreError>> + Send {
        self.inner().member(partition, member, now)
    }
}

impl<W: Wrapper> Store for W {
    fn steps_at_once(&self) -> usize {
        Wrapper::steps_at_once(self)
    }

    fn put(
        &self,
        partition: &str,
        obs: Observation,
        expires_at: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        Wrapper::put(self, partition, obs, expires_at)
    }

    fn range(
        &self,
        partition: &str,
        from_ms: i64,
        to_ms: i64,
        now: i64,
    ) -> impl Future<Output = Result<Vec<Observation>, StoreError>> + Send {
        Wrapper::range(self, partition, from_ms, to_ms, now)
    }

    fn range_oldest_first(
        &self,
        partition: &str,
        from_ms: i64,
        to_ms: i64,
        now: i64,
    ) -> impl Future<Output = Result<Vec<Observation>, StoreError>> + Send {
        Wrapper::range_oldest_first(self, partition, from_ms, to_ms, now)
    }

    fn claim(
        &self,
        key: &str,
        guards: &[String],
        take: Take<'_>,
        now: Now,
    ) -> impl Future<Output = Result<Claimed, StoreError>> + Send {
        Wrapper::claim(self, key, guards, take, now)
    }

    fn confirm(
        &self,
        key: &str,
        lease: &Lease,
        expires_at: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        Wrapper::confirm(self, key, lease, expires_at)
    }

    fn release(
        &self,
        key: &str,
        lease: Option<&Lease>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        Wrapper::release(self, key, lease)
    }

    fn extend(
        &self,
        key: &str,
        expires_at: i64,
        slack_secs: i64,
        now: Now,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        Wrapper::extend(self, key, expires_at, slack_secs, now)
    }

    fn distinct_values_at_most(
        &self,
        partition: &str,
        from_ms: i64,
        to_ms: i64,
        now: i64,
        enough: usize,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send {
        Wrapper::distinct_values_at_most(self, partition, from_ms, to_ms, now, enough)
    }

    fn claims_held(
        &self,
        keys: &[String],
        now: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        Wrapper::claims_held(self, keys, now)
    }

    fn any_claim_held(
        &self,
        keys: &[String],
        now: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        Wrapper::any_claim_held(self, keys, now)
    }

    fn beat(
        &self,
        partition: &str,
        member: &str,
        time_ms: i64,
        expires_at: i64,
        now: i64,
    ) -> impl Future<Output = Result<Beat, StoreError>> + Send {
        Wrapper::beat(self, partition, member, time_ms, expires_at, now)
    }

    fn members(
        &self,
        partition: &str,
        now: i64,
    ) -> impl Future<Output = Result<Vec<(String, i64)>, StoreError>> + Send {
        Wrapper::members(self, partition, now)
    }

    fn member(
        &self,
        partition: &str,
        member: &str,
        now: i64,
    ) -> impl Future<Output = Result<Option<i64>, StoreError>> + Send {
        Wrapper::member(self, partition, member, now)
    }
}
