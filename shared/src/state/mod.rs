//! The state port: what windowed and correlated detections keep between events.
//!
//! Two kinds of item live in one store:
//! - **observations**, grouped in partitions (one per detection and group key),
//!   ordered by `eventTime` and identified by the CloudTrail `eventID`, so writing
//!   the same record twice changes nothing;
//! - **claims**, one per finding, taken with an atomic conditional write so that a
//!   finding is sent once however many invocations reach it at the same moment.
//!
//! Every item carries an expiry (epoch seconds). Stores delete expired items lazily
//! (DynamoDB TTL can take days), so every read ignores items whose expiry has passed.
//! The in-memory adapter is in `memory.rs`; the DynamoDB one (`dynamodb.rs`, feature
//! `aws`) implements the same contract against one table.

#[cfg(feature = "aws")]
pub mod dynamodb;
pub mod memory;

use std::future::Future;

#[cfg(feature = "aws")]
pub use dynamodb::DynamoStore;
pub use memory::MemoryStore;

/// One record's contribution to a window or pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    /// `eventTime` in epoch milliseconds.
    pub time_ms: i64,
    /// CloudTrail `eventID` (or a digest when the record has none).
    pub event_id: String,
    /// The counted value (an IP, an instance id) or the side of a pair.
    pub value: String,
    /// What the finding will need about the record, as JSON (opaque to the store).
    pub payload: String,
}

/// What recording a heartbeat found (see [`Store::beat`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Beat {
    /// The member had no unexpired heartbeat before.
    First,
    /// The member's previous heartbeat was at this time (epoch ms).
    After(i64),
    /// The member already has a heartbeat at this time or later (a retry, or a
    /// record that arrived out of order): nothing changed.
    Stale,
}

/// A failed call to the state store. The invocation must fail so it is retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "state store: {}", self.0)
    }
}
impl std::error::Error for StoreError {}

/// The state port. All methods are atomic per call and read what was written
/// before them (strong consistency).
pub trait Store: Send + Sync {
    /// Stores `obs` in `partition`. Writing an observation with the same `time_ms`
    /// and `event_id` again leaves one copy.
    fn put(
        &self,
        partition: &str,
        obs: &Observation,
        expires_at: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The observations of `partition` whose `time_ms` lies in `[from_ms, to_ms]`,
    /// ordered by time then event id, without those expired at `now` (epoch s).
    fn range(
        &self,
        partition: &str,
        from_ms: i64,
        to_ms: i64,
        now: i64,
    ) -> impl Future<Output = Result<Vec<Observation>, StoreError>> + Send;

    /// Takes the claim `key` unless it or any of `guards` is held (and unexpired at
    /// `now`). `Ok(true)`: this caller holds it now and must deliver the finding.
    fn claim(
        &self,
        key: &str,
        guards: &[String],
        expires_at: i64,
        now: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Gives a claim back, after its finding could not be delivered.
    fn release(&self, key: &str) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// An upper bound on the distinct values of `partition` in `[from_ms, to_ms]`,
    /// when the store can tell it more cheaply than [`Store::range`] (which also
    /// returns every payload); `usize::MAX` otherwise. The caller only asks whether
    /// the count reaches `enough`: an answer of `enough` or more may stop counting
    /// there. Windows use it to skip the full read when no span can reach its
    /// threshold.
    fn distinct_values_at_most(
        &self,
        _partition: &str,
        _from_ms: i64,
        _to_ms: i64,
        _now: i64,
        _enough: usize,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send {
        std::future::ready(Ok(usize::MAX))
    }

    /// True when one of the claims `keys` is certainly held (and unexpired at
    /// `now`). `false` means not held, or not known without a request the store
    /// judges not worth making: the caller then takes the full path. Windows use
    /// it to stop a flood against a burst already reported from rebuilding its
    /// finding on every event.
    fn claims_held(
        &self,
        _keys: &[String],
        _now: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        std::future::ready(Ok(false))
    }

    /// Records that `member` of `partition` (e.g. an account and Region of the
    /// pipeline heartbeat) was last seen at `time_ms`, unless it was seen at that
    /// time or later already; one atomic conditional write.
    fn beat(
        &self,
        partition: &str,
        member: &str,
        time_ms: i64,
        expires_at: i64,
        now: i64,
    ) -> impl Future<Output = Result<Beat, StoreError>> + Send;

    /// Every unexpired member of `partition` with its last-seen time (epoch ms),
    /// ordered by member.
    fn members(
        &self,
        partition: &str,
        now: i64,
    ) -> impl Future<Output = Result<Vec<(String, i64)>, StoreError>> + Send;
}
