//! The in-memory adapter of the state port, for replay and tests.
//!
//! Memory stays bounded on long replays: each partition keeps at most
//! `max_per_partition` observations (the oldest go first), observations far
//! older than their group's newest event time (more than `horizon_ms`) are
//! swept out from time to time, and groups that went quiet that long ago go
//! whole. Both bounds only drop what no window could still use unless
//! events arrive later than the allowed lateness.

use std::collections::{BTreeMap, VecDeque};

use foldhash::{HashMap, HashSet};
use std::sync::Mutex;

use super::{
    Beat, Claimed, DistinctCount, Lease, Now, Observation, Store, StoreError, Take, refusal,
};

/// One stored observation and when it expires. The observation is boxed and its
/// time copied beside it: an item is 24 bytes, so that an insert into the middle
/// of a partition (records out of time order, as when files of several Regions
/// are read one after the other) shifts little, and a search by time reads only
/// the deque.
struct Item {
    time_ms: i64,
    expires_at: i64,
    obs: Box<Observation>,
}

impl Item {
    fn new(obs: Observation, expires_at: i64) -> Item {
        Item {
            time_ms: obs.time_ms,
            expires_at,
            obs: Box::new(obs),
        }
    }

    /// Whether this item sorts before `other`, by (time, event id); the event
    /// id is looked at only on a tie.
    fn before(&self, other: &Item) -> bool {
        self.time_ms < other.time_ms
            || (self.time_ms == other.time_ms && self.obs.event_id < other.obs.event_id)
    }

    fn same_key(&self, other: &Item) -> bool {
        self.time_ms == other.time_ms && self.obs.event_id == other.obs.event_id
    }
}

/// One partition: its items ordered by (time_ms, event_id), and how many of them
/// hold each value, kept up to date on every insert and removal so that a window
/// far from its threshold is told so without a scan.
///
/// A deque, not a tree: records mostly arrive in time order, so an insert is
/// nearly always a push at the back, and expiry pops from the front.
#[derive(Default)]
struct Partition {
    items: VecDeque<Item>,
    values: HashMap<String, usize>,
    /// The longest any of its observations asked to live past its event time
    /// (expiry less time, ms; at most [`LONGEST_LIFE_MS`]). The sweep keeps at
    /// least that much, so that a window a tuning lengthened (up to 7 days)
    /// keeps its partners as DynamoDB keeps items until their expiry (from a
    /// review); one partition is one detection's group, so others are not
    /// kept longer for it.
    longest_life_ms: i64,
    /// The newest event time stored here: the horizon of this partition's own
    /// sweep. Measured from the newest time of all partitions, one group's
    /// progress (a record dated years ahead, another Region's files read first)
    /// swept the observations of every other (from a review).
    newest_ms: Option<i64>,
    /// The event time of the observation written last: where replay is in
    /// this group's records, which is not its newest when one of its files
    /// dated later was read first.
    last_written_ms: i64,
    /// [`Inner::sweeps`] when last written: a partition written since the last
    /// sweep is in use, and is never dropped whole.
    written_at_sweep: u64,
}

impl Partition {
    fn insert(&mut self, item: Item) {
        match self.values.get_mut(item.obs.value.as_str()) {
            Some(c) => *c += 1,
            None => {
                self.values.insert(item.obs.value.clone(), 1);
            }
        }
        if self.items.back().is_none_or(|last| last.before(&item)) {
            self.items.push_back(item);
            return;
        }
        let at = self.items.partition_point(|i| i.before(&item));
        match self.items.get_mut(at) {
            // The same record again: one copy, the latest.
            Some(same) if same.same_key(&item) => {
                let old = std::mem::replace(same, item);
                self.forget(&old.obs.value);
            }
            _ => self.items.insert(at, item),
        }
    }

    fn forget(&mut self, value: &str) {
        if let Some(c) = self.values.get_mut(value) {
            *c -= 1;
            if *c == 0 {
                self.values.remove(value);
            }
        }
    }

    fn pop_first(&mut self) {
        if let Some(item) = self.items.pop_front() {
            self.forget(&item.obs.value);
        }
    }

    /// The unexpired items whose time lies in `[from_ms, to_ms]`, in order.
    fn span(&self, from_ms: i64, to_ms: i64, now: i64) -> impl Iterator<Item = &Item> {
        let start = self.items.partition_point(|i| i.time_ms < from_ms);
        self.items
            .range(start..)
            .take_while(move |i| i.time_ms <= to_ms)
            .filter(move |i| i.expires_at > now)
    }

    fn len(&self) -> usize {
        self.items.len()
    }

    /// O(1) while the whole partition holds fewer than `enough` distinct values
    /// (the common case: a window far from its threshold); otherwise counts the
    /// span's values without copying payloads, stopping at `enough`.
    fn distinct_values_at_most(&self, from_ms: i64, to_ms: i64, now: i64, enough: usize) -> usize {
        if self.values.len() < enough {
            return self.values.len();
        }
        if from_ms > to_ms {
            return 0;
        }
        let mut seen: HashSet<&str> = HashSet::default();
        for i in self.span(from_ms, to_ms, now) {
            seen.insert(i.obs.value.as_str());
            if seen.len() >= enough {
                break;
            }
        }
        seen.len()
    }
}

/// A claim: confirmed until `valid_until` (validity clock), or a delivery lease.
struct ClaimItem {
    valid_until: i64,
    /// While a delivery is under way: its lease (token, wall-clock lapse).
    lease: Option<Lease>,
}

impl ClaimItem {
    /// Delivered (no lease under way) and still valid at `valid_now`.
    fn confirmed_at(&self, valid_now: i64) -> bool {
        self.lease.is_none() && self.valid_until > valid_now
    }

    /// What holds the claim at `now`, if anything (the DynamoDB adapter's
    /// condition, item for item).
    fn holder(&self, now: Now) -> Option<Claimed> {
        match &self.lease {
            Some(l) if l.until > now.wall => Some(Claimed::Leased { until: l.until }),
            Some(_) => None,
            None if self.valid_until > now.valid => Some(Claimed::Held),
            None => None,
        }
    }
}

/// A member's last heartbeat, and the one before it (if unexpired then): what
/// a retry of the last one is answered with.
#[derive(Clone, Copy)]
struct Heartbeat {
    last_ms: i64,
    expires_at: i64,
    before: Option<(i64, i64)>,
}

#[derive(Default)]
struct Inner {
    partitions: hashbrown::HashMap<String, Partition, foldhash::fast::RandomState>,
    claims: HashMap<String, ClaimItem>,
    /// heartbeat partition -> member -> its heartbeats
    members: HashMap<String, BTreeMap<String, Heartbeat>>,
    newest_ms: i64,
    puts_since_sweep: usize,
    /// Sweeps done.
    sweeps: u64,
}

/// The most [`Partition::longest_life_ms`] may grow to: a week's window, its
/// lateness and a margin. Observations stored on the wall clock with old event
/// times (tests) would otherwise stop the sweep.
const LONGEST_LIFE_MS: i64 = 8 * 86_400 * 1000;

pub struct MemoryStore {
    inner: Mutex<Inner>,
    max_per_partition: usize,
    horizon_ms: i64,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new(crate::window::MAX_OBSERVATIONS_PER_GROUP, 3 * 3600 * 1000)
    }
}

impl MemoryStore {
    /// `horizon_ms`: how far behind the newest event time observations are kept.
    pub fn new(max_per_partition: usize, horizon_ms: i64) -> Self {
        MemoryStore {
            inner: Mutex::new(Inner::default()),
            max_per_partition,
            horizon_ms,
        }
    }

    /// Observations held, over all partitions (for tests and memory checks).
    pub fn observation_count(&self) -> usize {
        self.lock().partitions.values().map(Partition::len).sum()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the maps half-updated in a way
        // that matters here, so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stores `obs` in `partition` and returns the partition. Every
    /// `SWEEP_EVERY` puts, first drops what lies past the horizon.
    fn insert<'a>(
        &self,
        inner: &'a mut Inner,
        partition: &str,
        obs: Observation,
        expires_at: i64,
    ) -> &'a Partition {
        inner.newest_ms = inner.newest_ms.max(obs.time_ms);
        let life_ms = expires_at.saturating_mul(1000).saturating_sub(obs.time_ms);
        inner.puts_since_sweep += 1;
        if inner.puts_since_sweep >= SWEEP_EVERY {
            inner.puts_since_sweep = 0;
            self.sweep(inner);
        }
        let sweeps = inner.sweeps;
        let items = inner.partitions.entry_ref(partition).or_default();
        items.longest_life_ms = items.longest_life_ms.max(life_ms.min(LONGEST_LIFE_MS));
        items.newest_ms = Some(items.newest_ms.map_or(obs.time_ms, |n| n.max(obs.time_ms)));
        items.last_written_ms = obs.time_ms;
        items.written_at_sweep = sweeps;
        items.insert(Item::new(obs, expires_at));
        while items.len() > self.max_per_partition {
            items.pop_first();
        }
        items
    }

    /// Drops each partition's observations older than the horizon behind the
    /// earlier of the present and the time of its last written observation
    /// (longer for a partition whose observations asked to live longer), and
    /// the partitions left empty. A partition not written since the last sweep
    /// whose newest observation is past the horizon behind the present goes
    /// whole: a group that has gone quiet.
    ///
    /// The present is the median of the last written times of the partitions
    /// written since the last sweep, not the newest time of all: one record
    /// dated decades ahead raised that for good, and every group quiet for one
    /// sweep interval was then dropped with the window it still had (from a
    /// review). A median moves only when most of the groups in use move, as
    /// they do when replay passes from one Region's files to the next. Last
    /// written, not newest: when one Region's files dated a day later are read
    /// first, its callers' newest times stay a day ahead of the records being
    /// read, and a group's window was swept as it filled (two reviews: one
    /// caller's record read first, then every caller's).
    fn sweep(&self, inner: &mut Inner) {
        let sweeps = inner.sweeps;
        let mut written: Vec<i64> = inner
            .partitions
            .values()
            .filter(|p| p.written_at_sweep == sweeps)
            .map(|p| p.last_written_ms)
            .collect();
        let present = if written.is_empty() {
            inner.newest_ms
        } else {
            let middle = written.len() / 2;
            *written.select_nth_unstable(middle).1
        };
        inner.partitions.retain(|key, partition| {
            // Held-back findings (tuning dedup) must outlive windows: the next
            // notification, however much later, reports them.
            if super::keys::is(super::keys::HELD_BACK, key) {
                return true;
            }
            let keep_ms = self.horizon_ms.max(partition.longest_life_ms);
            let newest = partition.newest_ms.unwrap_or(present);
            let quiet =
                partition.written_at_sweep < sweeps && newest < present.saturating_sub(keep_ms);
            if quiet {
                return false;
            }
            let cutoff = partition
                .last_written_ms
                .min(present)
                .saturating_sub(keep_ms);
            // Items are in time order: the old ones are at the front, and the
            // sweep costs what it removes, not what is kept.
            while partition.items.front().is_some_and(|i| i.time_ms < cutoff) {
                partition.pop_first();
            }
            !partition.items.is_empty()
        });
        inner.sweeps += 1;
    }
}

/// Puts between sweeps. Replay sweeps often: freeing a few thousand
/// observations at a time keeps their memory in use, where freeing tens of
/// thousands at once left it to be faulted in again (on the bench corpus, 8,192
/// against 65,536: a tenth less time and memory).
const SWEEP_EVERY: usize = 8_192;

impl Store for MemoryStore {
    async fn put(
        &self,
        partition: &str,
        obs: Observation,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        self.insert(&mut self.lock(), partition, obs, expires_at);
        Ok(())
    }

    async fn put_then_count_distinct(
        &self,
        partition: &str,
        obs: Observation,
        expires_at: i64,
        count: DistinctCount,
    ) -> Result<usize, StoreError> {
        let mut g = self.lock();
        let p = self.insert(&mut g, partition, obs, expires_at);
        Ok(p.distinct_values_at_most(count.from_ms, count.to_ms, count.now, count.enough))
    }

    async fn range(
        &self,
        partition: &str,
        from_ms: i64,
        to_ms: i64,
        now: i64,
    ) -> Result<Vec<Observation>, StoreError> {
        let g = self.lock();
        let Some(p) = g.partitions.get(partition) else {
            return Ok(Vec::new());
        };
        if from_ms > to_ms {
            return Ok(Vec::new());
        }
        Ok(p.span(from_ms, to_ms, now)
            .map(|i| (*i.obs).clone())
            .collect())
    }

    async fn distinct_values_at_most(
        &self,
        partition: &str,
        from_ms: i64,
        to_ms: i64,
        now: i64,
        enough: usize,
    ) -> Result<usize, StoreError> {
        let g = self.lock();
        Ok(g.partitions.get(partition).map_or(0, |p| {
            p.distinct_values_at_most(from_ms, to_ms, now, enough)
        }))
    }

    async fn claims_held(&self, keys: &[String], now: i64) -> Result<bool, StoreError> {
        let g = self.lock();
        Ok(keys
            .iter()
            .any(|k| g.claims.get(k).is_some_and(|c| c.confirmed_at(now))))
    }

    async fn claim(
        &self,
        key: &str,
        guards: &[String],
        take: Take<'_>,
        now: Now,
    ) -> Result<Claimed, StoreError> {
        let mut g = self.lock();
        let holders = std::iter::once(key)
            .chain(guards.iter().map(String::as_str))
            .filter_map(|k| g.claims.get(k).and_then(|c| c.holder(now)));
        if let Some(refused) = refusal(holders) {
            return Ok(refused);
        }
        let item = match take {
            Take::Confirmed { expires_at } => ClaimItem {
                valid_until: expires_at,
                lease: None,
            },
            Take::Lease(lease) => ClaimItem {
                valid_until: now.valid,
                lease: Some(lease.clone()),
            },
        };
        g.claims.insert(key.to_owned(), item);
        Ok(Claimed::Taken)
    }

    async fn confirm(&self, key: &str, lease: &Lease, expires_at: i64) -> Result<bool, StoreError> {
        let mut g = self.lock();
        match g.claims.get_mut(key) {
            Some(c) if c.lease.as_ref().is_some_and(|l| l.token == lease.token) => {
                c.lease = None;
                c.valid_until = expires_at;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn extend(
        &self,
        key: &str,
        expires_at: i64,
        slack_secs: i64,
        now: Now,
    ) -> Result<bool, StoreError> {
        let mut g = self.lock();
        match g.claims.get_mut(key) {
            Some(c)
                if c.confirmed_at(now.valid)
                    && c.valid_until < expires_at.saturating_sub(slack_secs) =>
            {
                c.valid_until = expires_at;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn release(&self, key: &str, lease: Option<&Lease>) -> Result<(), StoreError> {
        let mut g = self.lock();
        let ours = match (g.claims.get(key), lease) {
            (Some(c), Some(l)) => c.lease.as_ref().is_some_and(|h| h.token == l.token),
            (_, None) => true,
            (None, Some(_)) => false,
        };
        if ours {
            g.claims.remove(key);
        }
        Ok(())
    }

    async fn beat(
        &self,
        partition: &str,
        member: &str,
        time_ms: i64,
        expires_at: i64,
        now: i64,
    ) -> Result<Beat, StoreError> {
        let mut g = self.lock();
        let members = g.members.entry(partition.to_owned()).or_default();
        let held = members.get(member).copied();
        let live = held.filter(|h| h.expires_at > now);
        let beat = match live {
            // The same heartbeat again: its first answer.
            Some(h) if h.last_ms == time_ms => {
                return Ok(match h.before {
                    Some((t, exp)) if exp > now => Beat::After(t),
                    _ => Beat::First,
                });
            }
            Some(h) if h.last_ms > time_ms => return Ok(Beat::Stale),
            Some(h) => Beat::After(h.last_ms),
            None => Beat::First,
        };
        let before = held.map(|h| (h.last_ms, h.expires_at));
        let beat_item = Heartbeat {
            last_ms: time_ms,
            expires_at,
            before,
        };
        members.insert(member.to_owned(), beat_item);
        Ok(beat)
    }

    async fn member(
        &self,
        partition: &str,
        member: &str,
        now: i64,
    ) -> Result<Option<i64>, StoreError> {
        let g = self.lock();
        Ok(g.members
            .get(partition)
            .and_then(|m| m.get(member))
            .filter(|h| h.expires_at > now)
            .map(|h| h.last_ms))
    }

    async fn members(&self, partition: &str, now: i64) -> Result<Vec<(String, i64)>, StoreError> {
        let g = self.lock();
        Ok(g.members
            .get(partition)
            .into_iter()
            .flatten()
            .filter(|(_, h)| h.expires_at > now)
            .map(|(m, h)| (m.clone(), h.last_ms))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Payload;

    fn obs(t: i64, id: &str, v: &str) -> Observation {
        Observation {
            time_ms: t,
            event_id: id.into(),
            value: v.into(),
            payload: Payload::from(""),
        }
    }

    fn at_most(s: &MemoryStore, enough: usize) -> usize {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(s.distinct_values_at_most("p", 0, 10_000, 0, enough))
            .unwrap()
    }

    /// The per-value counts follow overwrites and evictions: the cheap answer is
    /// never below the true count, and the scan stops at `enough`.
    #[test]
    fn value_counts_follow_overwrites_and_evictions() {
        let s = MemoryStore::new(3, i64::MAX);
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let put = |o: Observation| rt.block_on(s.put("p", o, 1)).unwrap();
        put(obs(1, "a", "x"));
        put(obs(2, "b", "y"));
        assert_eq!(at_most(&s, 5), 2);
        // The same record again with another value replaces it.
        put(obs(2, "b", "x"));
        assert_eq!(at_most(&s, 5), 1);
        put(obs(3, "c", "y"));
        put(obs(4, "d", "z"));
        // Capped at 3 items: (1, a, x) went first; x is still held by (2, b).
        assert_eq!(s.observation_count(), 3);
        assert_eq!(at_most(&s, 5), 3);
        put(obs(5, "e", "w"));
        assert_eq!(at_most(&s, 9), 3, "x left with (2, b)");
        // At or above `enough`, this store stops counting there (the port allows it).
        assert_eq!(at_most(&s, 2), 2, "the scan stops at enough");
    }

    /// One lookup answers as a put followed by a count: same counts, same items,
    /// through overwrites, evictions, the cheap answer and the counted one.
    #[test]
    fn put_then_count_answers_as_put_and_count() {
        let (a, b) = (MemoryStore::new(4, i64::MAX), MemoryStore::new(4, i64::MAX));
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let steps = [
            (1, "a", "x"),
            (2, "b", "y"),
            (2, "b", "x"),
            (3, "c", "y"),
            (40, "d", "z"),
            (5, "e", "w"),
            (6, "f", "v"),
        ];
        for (i, (t, id, v)) in steps.into_iter().enumerate() {
            for enough in [2, 3, 9] {
                let count = DistinctCount {
                    from_ms: 0,
                    to_ms: 10 + i as i64,
                    now: 0,
                    enough,
                };
                let p = format!("p{enough}");
                let one = rt
                    .block_on(a.put_then_count_distinct(&p, obs(t, id, v), 1, count))
                    .unwrap();
                rt.block_on(b.put(&p, obs(t, id, v), 1)).unwrap();
                let two = rt
                    .block_on(b.distinct_values_at_most(&p, 0, 10 + i as i64, 0, enough))
                    .unwrap();
                assert_eq!(one, two, "step {i}, enough {enough}");
            }
        }
        assert_eq!(a.observation_count(), b.observation_count());
        assert_eq!(
            rt.block_on(a.range("p9", 0, 100, 0)).unwrap(),
            rt.block_on(b.range("p9", 0, 100, 0)).unwrap()
        );
    }

    /// Late records are put in their place, and a late copy of a stored record
    /// replaces it: `range` stays ordered by time, then event id.
    #[test]
    fn late_records_are_kept_in_order() {
        let s = MemoryStore::new(10, i64::MAX);
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let put = |o: Observation| rt.block_on(s.put("p", o, 1)).unwrap();
        put(obs(5, "e", "x"));
        put(obs(9, "i", "y"));
        put(obs(1, "a", "z"));
        put(obs(5, "d", "w"));
        put(obs(5, "e", "v"));
        let held: Vec<(i64, String, String)> = rt
            .block_on(s.range("p", 0, 10, 0))
            .unwrap()
            .into_iter()
            .map(|o| (o.time_ms, o.event_id, o.value))
            .collect();
        let want = [(1, "a", "z"), (5, "d", "w"), (5, "e", "v"), (9, "i", "y")];
        let want: Vec<_> = want
            .iter()
            .map(|(t, id, v)| (*t, id.to_string(), v.to_string()))
            .collect();
        assert_eq!(held, want);
        assert_eq!(at_most(&s, 9), 4, "x went with its replaced copy");
        assert_eq!(rt.block_on(s.range("p", 2, 5, 0)).unwrap().len(), 2);
    }

    /// Every `SWEEP_EVERY` puts, observations older than the horizon behind the
    /// newest one go, with their value counts, and empty partitions with them;
    /// held-back findings (`h|`) stay.
    #[test]
    fn the_sweep_drops_what_is_past_the_horizon() {
        let s = MemoryStore::new(usize::MAX, 1_000);
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        // Expiries at 0: no observation asks to outlive the horizon.
        let put = |p: &str, o: Observation| rt.block_on(s.put(p, o, 0)).unwrap();
        put("old", obs(0, "a", "x"));
        put("h|held", obs(0, "h", "x"));
        put("mixed", obs(10, "b", "x"));
        put("mixed", obs(5_500, "c", "y"));
        // Two sweeps: the first sees every partition just written; by the
        // second, "old" and "mixed" have gone quiet.
        for i in 0..2 * SWEEP_EVERY - 4 {
            put("new", obs(6_000 + i as i64 % 10, &format!("n{i}"), "z"));
        }
        let g = s.lock();
        assert!(!g.partitions.contains_key("old"));
        assert!(g.partitions.contains_key("h|held"));
        let mixed = &g.partitions["mixed"];
        assert_eq!(mixed.len(), 1);
        assert_eq!(mixed.values.keys().collect::<Vec<_>>(), ["y"]);
        assert_eq!(g.partitions["new"].len(), 2 * SWEEP_EVERY - 4);
    }

    /// A store keeping observations three hours behind their group's newest,
    /// and a runtime to drive it.
    fn three_hour_store() -> (MemoryStore, tokio::runtime::Runtime) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        (MemoryStore::new(usize::MAX, 3 * 3_600_000), rt)
    }

    /// From a review: each group is swept behind its own newest time. A record
    /// dated decades ahead, or another Region's files read first, no longer
    /// sweeps away the observations of groups still being written.
    #[test]
    fn one_group_far_ahead_does_not_sweep_the_others() {
        let (s, rt) = three_hour_store();
        let put = |p: &str, o: Observation| rt.block_on(s.put(p, o, 0)).unwrap();
        // A record of 2099 in one group.
        put("ahead", obs(4_070_908_800_000, "f", "x"));
        // Another group's burst across two sweeps, in 2026.
        let start = 1_780_000_000_000;
        for i in 0..3 * SWEEP_EVERY {
            put("burst", obs(start + i as i64, &format!("b{i}"), "y"));
        }
        let g = s.lock();
        assert_eq!(g.partitions["burst"].len(), 3 * SWEEP_EVERY);
        assert_eq!(g.partitions["ahead"].len(), 1);
    }

    /// From a review: a group quiet for a sweep interval or two (another
    /// caller's burst read in between) keeps its window although a record
    /// dated decades ahead came before; it goes once the groups in use have
    /// passed its horizon.
    #[test]
    fn one_record_far_ahead_does_not_drop_quiet_groups() {
        let hour = 3_600_000;
        let (s, rt) = three_hour_store();
        let put = |p: &str, o: Observation| rt.block_on(s.put(p, o, 0)).unwrap();
        let start = 1_780_000_000_000;
        put("ahead", obs(4_070_908_800_000, "f", "x"));
        put("quiet", obs(start, "q", "x"));
        for i in 0..3 * SWEEP_EVERY {
            put("burst", obs(start + i as i64, &format!("b{i}"), "y"));
        }
        assert_eq!(s.lock().partitions["quiet"].len(), 1, "within its window");
        // Four hours on, past the horizon: the quiet group goes.
        for i in 0..2 * SWEEP_EVERY {
            put(
                "later",
                obs(start + 4 * hour + i as i64, &format!("l{i}"), "y"),
            );
        }
        assert!(!s.lock().partitions.contains_key("quiet"));
    }

    /// From a review: a group's own record dated hours ahead, read first (the
    /// caller's calls in another Region's file), no longer sweeps its window
    /// behind that record while the groups in use are still hours before it.
    #[test]
    fn a_groups_own_record_far_ahead_does_not_sweep_its_window() {
        let hour = 3_600_000;
        let (s, rt) = three_hour_store();
        let put = |p: &str, o: Observation| rt.block_on(s.put(p, o, 0)).unwrap();
        let start = 1_780_000_000_000;
        put("caller", obs(start + 10 * hour, "late-region", "x"));
        for i in 0..3 * SWEEP_EVERY {
            let t = start + i as i64;
            if i % 1_000 == 0 {
                put("caller", obs(t, &format!("c{i}"), &format!("v{i}")));
            }
            put(&format!("other{}", i % 500), obs(t, &format!("o{i}"), "y"));
        }
        assert_eq!(
            s.lock().partitions["caller"].len(),
            26,
            "every observation of the burst is kept"
        );
    }

    /// From a review of the fix above: when every caller's file of a day later
    /// is read first (one Region's export, then another's), every group in use
    /// has its newest record a day ahead, and so had the median of them; the
    /// sweep goes by where each group's records are being read.
    #[test]
    fn a_region_of_the_next_day_read_first_does_not_sweep_the_windows() {
        let day = 86_400_000;
        let (s, rt) = three_hour_store();
        let put = |p: &str, o: Observation| rt.block_on(s.put(p, o, 0)).unwrap();
        let start = 1_780_000_000_000;
        for g in 0..50 {
            put(
                &format!("caller{g}"),
                obs(start + day, &format!("next-day{g}"), "x"),
            );
        }
        for i in 0..3 * SWEEP_EVERY {
            put(
                &format!("caller{}", i % 50),
                obs(start + i as i64, &format!("c{i}"), "y"),
            );
        }
        let g = s.lock();
        let kept = g.partitions["caller0"].len();
        assert_eq!(
            kept,
            1 + (3 * SWEEP_EVERY).div_ceil(50),
            "the day's window is kept"
        );
    }

    /// From a review: a tuning may lengthen a window to a week, and its
    /// observations then ask to live that long; the sweep keeps them, as
    /// DynamoDB keeps its items until their expiry.
    #[test]
    fn the_sweep_keeps_what_a_lengthened_window_still_needs() {
        let hour = 3_600_000;
        let (s, rt) = three_hour_store();
        let put = |p: &str, o: Observation, expires_at: i64| {
            rt.block_on(s.put(p, o, expires_at)).unwrap()
        };
        // A day's window and an hour's lateness, in event time (seconds).
        put("day", obs(0, "a", "x"), 25 * 3_600);
        put("hour", obs(0, "b", "x"), 2 * 3_600);
        for i in 0..2 * SWEEP_EVERY {
            put("new", obs(5 * hour + i as i64, &format!("n{i}"), "z"), 0);
        }
        let g = s.lock();
        assert!(
            g.partitions.contains_key("day"),
            "five hours on, a day's window still needs it"
        );
        assert!(
            !g.partitions.contains_key("hour"),
            "swept at the same horizon as before"
        );
    }
}
