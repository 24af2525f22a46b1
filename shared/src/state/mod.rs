//! The state port: what windowed and correlated detections keep between events.
//!
//! Two kinds of item live in one store:
//! - **observations**, grouped in partitions (one per detection and group key),
//!   ordered by `eventTime` and identified by the CloudTrail `eventID`, so writing
//!   the same record twice changes nothing;
//! - **claims**, one per finding, taken with an atomic conditional write so that a
//!   finding is sent once however many invocations reach it at the same moment. A
//!   claim is first a short delivery lease and is confirmed once the finding is
//!   delivered, so that a process dying in between loses nothing: its lease lapses
//!   and a retry delivers.
//!
//! Every item carries an expiry (epoch seconds). Stores delete expired items lazily
//! (DynamoDB TTL can take days), so every read ignores items whose expiry has passed.
//! The in-memory adapter is in `memory.rs`; the DynamoDB one (`dynamodb.rs`, feature
//! `aws`) implements the same contract against one table. `keys.rs` names the
//! kinds of key every item's key begins with.

#[cfg(feature = "aws")]
pub mod dynamodb;
pub mod keys;
pub mod memory;
pub mod wrapper;

use std::future::Future;
use std::sync::Arc;

#[cfg(feature = "aws")]
pub use dynamodb::DynamoStore;
pub use memory::MemoryStore;
pub use wrapper::Wrapper;

/// One record's contribution to a window or pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    /// `eventTime` in epoch milliseconds.
    pub time_ms: i64,
    /// CloudTrail `eventID` (or a digest when the record has none).
    pub event_id: String,
    /// The counted value (an IP, an instance id) or the side of a pair.
    pub value: String,
    /// What the finding will need about the record (opaque to the store).
    pub payload: Payload,
}

/// What a finding will need about an observed record, opaque to stores. A store
/// that keeps text (DynamoDB) writes [`Payload::json`] and reads text back; the
/// in-memory store keeps the value as built, so that a replay does not serialize
/// every observation only to parse back the few that make a finding.
#[derive(Clone)]
pub struct Payload(Repr);

#[derive(Clone)]
enum Repr {
    Json(Arc<str>),
    Built(Arc<dyn PayloadValue>),
}

/// A value a payload can hold as built; its JSON is what text stores keep.
pub trait PayloadValue: std::any::Any + Send + Sync {
    fn to_json(&self) -> Result<String, StoreError>;
}

impl Payload {
    /// A payload holding `value` as built.
    pub fn built(value: impl PayloadValue) -> Payload {
        Payload(Repr::Built(Arc::new(value)))
    }

    /// The payload's JSON text.
    pub fn json(&self) -> Result<std::borrow::Cow<'_, str>, StoreError> {
        match &self.0 {
            Repr::Json(s) => Ok(std::borrow::Cow::Borrowed(s)),
            Repr::Built(v) => v.to_json().map(std::borrow::Cow::Owned),
        }
    }

    /// The value as built, when it is a `T` (not read back from text).
    pub fn built_as<T: PayloadValue>(&self) -> Option<&T> {
        match &self.0 {
            Repr::Built(v) => {
                let any: &dyn std::any::Any = &**v;
                any.downcast_ref()
            }
            Repr::Json(_) => None,
        }
    }
}

impl From<String> for Payload {
    fn from(s: String) -> Payload {
        Payload(Repr::Json(s.into()))
    }
}

impl From<&str> for Payload {
    fn from(s: &str) -> Payload {
        Payload(Repr::Json(s.into()))
    }
}

impl std::fmt::Debug for Payload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.json() {
            Ok(j) => j.fmt(f),
            Err(e) => write!(f, "<{e}>"),
        }
    }
}

/// Payloads are equal when their JSON is.
impl PartialEq for Payload {
    fn eq(&self, other: &Payload) -> bool {
        match (self.json(), other.json()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for Payload {}

/// The question of [`Store::distinct_values_at_most`], asked with a put (see
/// [`Store::put_then_count_distinct`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DistinctCount {
    pub from_ms: i64,
    pub to_ms: i64,
    /// Items expired at `now` (epoch seconds) do not count.
    pub now: i64,
    pub enough: usize,
}

/// What recording a heartbeat found (see [`Store::beat`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Beat {
    /// The member had no unexpired heartbeat before. A retry of the same
    /// heartbeat gets this answer again, for the same reason as `After`'s.
    First,
    /// The member's previous heartbeat was at this time (epoch ms). A retry of
    /// the same heartbeat (same time) gets the same answer, so that a finding
    /// its first attempt failed to deliver is built again (its claim decides
    /// whether to send it).
    After(i64),
    /// The member already has a heartbeat later than this one (a record that
    /// arrived out of order): nothing changed.
    Stale,
}

/// The two clocks a claim is judged by (epoch seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    /// What item expiries (windows, confirmed claims, first-seen history) are
    /// compared with: the wall clock live, the record's event time in a backtest
    /// (`engine::Clock::EventTime`).
    pub valid: i64,
    /// The wall clock: what delivery leases are compared with, in every mode (a
    /// lease stands for a running process, whose life is wall-clock time).
    pub wall: i64,
    /// Whether `valid` is the wall clock (the live functions, [`Now::live`])
    /// rather than event time (`engine::Clock::EventTime`): a record dated
    /// ahead of a live clock was forged, one ahead of today in a replay is
    /// only synthetic.
    pub live: bool,
}

/// The wall clock in epoch seconds (0 if the system clock is before 1970).
pub fn wall_clock_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl Now {
    /// Live: both clocks are the wall clock.
    pub fn live(now: i64) -> Now {
        Now {
            valid: now,
            wall: now,
            live: true,
        }
    }

    /// Event time: expiries judged by `valid`, leases by the wall clock.
    pub fn event_time(valid: i64, wall: i64) -> Now {
        Now {
            valid,
            wall,
            live: false,
        }
    }
}

/// A delivery lease: a claim taken before a finding is delivered, confirmed after.
/// If its holder dies in between, the lease lapses at `until` (wall clock) and a
/// retry takes it over and delivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// Unique to one delivery attempt: only it may confirm or release the lease.
    pub token: String,
    /// When the lease lapses (epoch seconds, wall clock).
    pub until: i64,
}

impl Lease {
    /// A lease with a fresh token, lapsing at `until`.
    pub fn new(until: i64) -> Lease {
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let token = crate::finding::finding_id(&[
            &std::process::id().to_string(),
            &nanos.to_string(),
            &COUNTER.fetch_add(1, Ordering::Relaxed).to_string(),
        ]);
        Lease { token, until }
    }
}

/// How [`Store::claim`] takes a claim.
#[derive(Debug, Clone, Copy)]
pub enum Take<'a> {
    /// Confirmed at once, held until `expires_at` (validity clock): for claims
    /// with nothing to deliver (a term learnt, a finding tuning keeps quiet).
    Confirmed { expires_at: i64 },
    /// As a delivery lease, to be confirmed ([`Store::confirm`]) or released.
    Lease(&'a Lease),
}

/// What [`Store::claim`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claimed {
    /// This caller holds the claim now.
    Taken,
    /// A confirmed claim holds it (or a guard): the finding was delivered.
    Held,
    /// Only a live delivery lease of another caller holds it (or a guard), until
    /// this time (wall clock): that delivery may still fail or die, so the finding
    /// is not known to be delivered.
    Leased { until: i64 },
}

/// The answer for a refused claim: a confirmed holder means delivered; only
/// leases mean a delivery under way (the latest lapse is reported).
pub(crate) fn refusal(holders: impl IntoIterator<Item = Claimed>) -> Option<Claimed> {
    holders.into_iter().fold(None, |acc, h| match (acc, h) {
        (Some(Claimed::Held), _) | (_, Claimed::Held) => Some(Claimed::Held),
        (Some(Claimed::Leased { until: a }), Claimed::Leased { until: b }) => {
            Some(Claimed::Leased { until: a.max(b) })
        }
        (_, h) => Some(h),
    })
}

/// A failed call to the state store. The invocation must fail so it is retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError {
    message: String,
    /// See [`StoreError::refused`].
    refused: bool,
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let refused = if self.refused {
            "refused for good: "
        } else {
            ""
        };
        write!(f, "state store: {refused}{}", self.message)
    }
}
impl std::error::Error for StoreError {}

impl StoreError {
    /// A failure a retry may get past (throttling, a timeout, a bad answer).
    pub fn new(message: impl Into<String>) -> StoreError {
        StoreError {
            message: message.into(),
            refused: false,
        }
    }

    /// The store refuses this function for good: access denied (a policy on the
    /// table), the table gone, its key unusable. Retrying does not help, and an
    /// intruder can cause it: stateless findings are then sent without a claim
    /// (`engine::delivery`). A flag, not a mark in the text, so that no message
    /// can pass for one.
    pub fn refused(cause: String) -> StoreError {
        StoreError {
            message: cause,
            refused: true,
        }
    }

    /// Whether this is [`StoreError::refused`]'s.
    pub fn is_refused(&self) -> bool {
        self.refused
    }

    /// What failed, without what [`Display`](std::fmt::Display) puts first.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// The state port. All methods are atomic per call and read what was written
/// before them (strong consistency).
pub trait Store: Send + Sync {
    /// How many window and pair steps of one record may wait on this store at
    /// once. A record may name many resources (`StopInstances` with a thousand
    /// instances is a thousand windows): one request after another, a remote
    /// store would outlast the function's timeout on every retry. Each step has
    /// a partition of its own (the engine runs a record whose steps share one
    /// step after another), so the findings do not depend on the order the
    /// store answers in. The same number of a record's findings are delivered
    /// at once (`engine::delivery`: a thousand windows can make a thousand
    /// findings). 1 (the default): one after another, for a store that answers
    /// at once (in memory).
    fn steps_at_once(&self) -> usize {
        1
    }

    /// Stores `obs` in `partition`. Writing an observation with the same `time_ms`
    /// and `event_id` again leaves one copy.
    fn put(
        &self,
        partition: &str,
        obs: Observation,
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

    /// As [`Store::range`], but of more than [`crate::window::MAX_OBSERVATIONS_PER_GROUP`]
    /// observations the oldest rather than the newest: a window's read of the
    /// records just after one. The default suits a store whose `range` returns
    /// all it holds (the in-memory store: it keeps no more per group).
    fn range_oldest_first(
        &self,
        partition: &str,
        from_ms: i64,
        to_ms: i64,
        now: i64,
    ) -> impl Future<Output = Result<Vec<Observation>, StoreError>> + Send {
        async move {
            let mut all = self.range(partition, from_ms, to_ms, now).await?;
            all.truncate(crate::window::MAX_OBSERVATIONS_PER_GROUP);
            Ok(all)
        }
    }

    /// Takes the claim `key` unless it or any of `guards` is held at `now`: a
    /// held claim is a confirmed one unexpired at `now.valid`, or a delivery lease
    /// unexpired at `now.wall`. [`Claimed::Taken`]: this caller holds it now (as a
    /// lease, or at once as a confirmed claim, per `take`). One atomic conditional
    /// write; a refused claim says whether what held it was a live lease.
    fn claim(
        &self,
        key: &str,
        guards: &[String],
        take: Take<'_>,
        now: Now,
    ) -> impl Future<Output = Result<Claimed, StoreError>> + Send;

    /// Turns the lease `lease` on `key` into a confirmed claim held until
    /// `expires_at` (validity clock), after its finding was delivered. `Ok(false)`:
    /// the lease was no longer this caller's (it lapsed and another delivery took
    /// it over, or it was released).
    fn confirm(
        &self,
        key: &str,
        lease: &Lease,
        expires_at: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Moves the expiry of the confirmed claim `key` to `expires_at` (validity
    /// clock) when it is held at `now` (no delivery lease, valid past
    /// `now.valid`) and would lapse more than `slack_secs` before `expires_at`.
    /// A first-seen term's history: every sighting keeps the term for its N days
    /// (to within `slack_secs`), so a term is new only when it was not seen in the
    /// last N days. `Ok(true)`: the expiry moved. One conditional write at most.
    fn extend(
        &self,
        key: &str,
        expires_at: i64,
        slack_secs: i64,
        now: Now,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Gives a claim back, after its finding could not be delivered. With `lease`,
    /// only if the claim is still that lease (never another delivery's).
    fn release(
        &self,
        key: &str,
        lease: Option<&Lease>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

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

    /// [`Store::put`], then [`Store::distinct_values_at_most`] over the same
    /// partition: what a distinct-count window asks on every record it counts. A
    /// store holding partitions in memory finds the partition once for both (the
    /// second lookup of its key was most of a replay's hashing).
    fn put_then_count_distinct(
        &self,
        partition: &str,
        obs: Observation,
        expires_at: i64,
        count: DistinctCount,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send {
        async move {
            self.put(partition, obs, expires_at).await?;
            self.distinct_values_at_most(
                partition,
                count.from_ms,
                count.to_ms,
                count.now,
                count.enough,
            )
            .await
        }
    }

    /// True when one of the claims `keys` is certainly confirmed (delivered, no
    /// lease under way) and unexpired at `now` (the validity clock). `false` means
    /// not held, held by a delivery lease still under way, or not known without a
    /// request the store judges not worth making: the caller then takes the full
    /// path (which waits for or takes over a lease). Windows use
    /// it to stop a flood against a burst already reported from rebuilding its
    /// finding on every event.
    fn claims_held(
        &self,
        _keys: &[String],
        _now: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        std::future::ready(Ok(false))
    }

    /// As [`Store::claims_held`], but asking about every key, whether or not
    /// this process saw it taken (one small request each, until one is held).
    /// Only a rare decision uses it: which of two claims a finding of news
    /// takes (`window::NEWS_CLAIM`).
    fn any_claim_held(
        &self,
        keys: &[String],
        now: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        self.claims_held(keys, now)
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

    /// `member`'s last-seen time in `partition` (epoch ms) when it is an
    /// unexpired member: one item read, where [`Store::members`] reads them all.
    fn member(
        &self,
        partition: &str,
        member: &str,
        now: i64,
    ) -> impl Future<Output = Result<Option<i64>, StoreError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::StoreError;

    /// Only [`StoreError::refused`] makes a refusal: a message that reads like
    /// one (an SDK's text, a table's name) does not.
    #[test]
    fn a_refusal_is_a_flag_not_a_text() {
        let lookalike = StoreError::new("refused for good: AccessDenied");
        assert!(!lookalike.is_refused());
        let refused = StoreError::refused("AccessDeniedException on table t".into());
        assert!(refused.is_refused());
        assert_eq!(
            refused.to_string(),
            "state store: refused for good: AccessDeniedException on table t"
        );
        assert_eq!(refused.message(), "AccessDeniedException on table t");
    }
}
