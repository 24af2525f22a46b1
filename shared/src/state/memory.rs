//! The in-memory adapter of the state port, for replay and tests.
//!
//! Memory stays bounded on long replays: each partition keeps at most
//! `max_per_partition` observations (the oldest go first), and observations far
//! older than the newest event time seen (more than `horizon_ms`) are swept out
//! from time to time. Both bounds only drop what no window could still use unless
//! events arrive later than the allowed lateness.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use super::{Beat, Claimed, Lease, Now, Observation, Store, StoreError, Take, refusal};

/// One partition: (time_ms, event_id) -> (value, payload, expires_at).
type Partition = BTreeMap<(i64, String), (String, String, i64)>;

/// A claim: confirmed until `valid_until` (validity clock), or a delivery lease.
struct ClaimItem {
    valid_until: i64,
    /// While a delivery is under way: its lease (token, wall-clock lapse).
    lease: Option<Lease>,
}

impl ClaimItem {
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

#[derive(Default)]
struct Inner {
    partitions: HashMap<String, Partition>,
    claims: HashMap<String, ClaimItem>,
    /// heartbeat partition -> member -> (last seen ms, expires_at)
    members: HashMap<String, BTreeMap<String, (i64, i64)>>,
    newest_ms: i64,
    puts_since_sweep: usize,
}

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
        self.lock().partitions.values().map(BTreeMap::len).sum()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the maps half-updated in a way
        // that matters here, so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

const SWEEP_EVERY: usize = 65_536;

impl Store for MemoryStore {
    async fn put(
        &self,
        partition: &str,
        obs: &Observation,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let mut g = self.lock();
        let inner = &mut *g;
        inner.newest_ms = inner.newest_ms.max(obs.time_ms);
        let items = inner.partitions.entry(partition.to_owned()).or_default();
        items.insert(
            (obs.time_ms, obs.event_id.clone()),
            (obs.value.clone(), obs.payload.clone(), expires_at),
        );
        while items.len() > self.max_per_partition {
            items.pop_first();
        }
        inner.puts_since_sweep += 1;
        if inner.puts_since_sweep >= SWEEP_EVERY {
            inner.puts_since_sweep = 0;
            let cutoff = inner.newest_ms.saturating_sub(self.horizon_ms);
            inner.partitions.retain(|key, items| {
                // Held-back findings (tuning dedup) must outlive windows: the next
                // notification, however much later, reports them.
                if key.starts_with("h|") {
                    return true;
                }
                items.retain(|(t, _), _| *t >= cutoff);
                !items.is_empty()
            });
        }
        Ok(())
    }

    async fn range(
        &self,
        partition: &str,
        from_ms: i64,
        to_ms: i64,
        now: i64,
    ) -> Result<Vec<Observation>, StoreError> {
        let g = self.lock();
        let Some(items) = g.partitions.get(partition) else {
            return Ok(Vec::new());
        };
        if from_ms > to_ms {
            return Ok(Vec::new());
        }
        Ok(items
            .range((from_ms, String::new())..)
            .take_while(|((t, _), _)| *t <= to_ms)
            .filter(|(_, (_, _, exp))| *exp > now)
            .map(|((t, id), (value, payload, _))| Observation {
                time_ms: *t,
                event_id: id.clone(),
                value: value.clone(),
                payload: payload.clone(),
            })
            .collect())
    }

    /// Counts without copying payloads: the common case of a window that is far
    /// from its threshold costs a scan of short values, not a copy of the window.
    async fn distinct_values_at_most(
        &self,
        partition: &str,
        from_ms: i64,
        to_ms: i64,
        now: i64,
    ) -> Result<usize, StoreError> {
        let g = self.lock();
        let Some(items) = g.partitions.get(partition) else {
            return Ok(0);
        };
        if from_ms > to_ms {
            return Ok(0);
        }
        let values: std::collections::HashSet<&str> = items
            .range((from_ms, String::new())..)
            .take_while(|((t, _), _)| *t <= to_ms)
            .filter(|(_, (_, _, exp))| *exp > now)
            .map(|(_, (value, _, _))| value.as_str())
            .collect();
        Ok(values.len())
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
        let previous = members
            .get(member)
            .filter(|(_, exp)| *exp > now)
            .map(|(t, _)| *t);
        let beat = match previous {
            Some(t) if t >= time_ms => return Ok(Beat::Stale),
            Some(t) => Beat::After(t),
            None => Beat::First,
        };
        members.insert(member.to_owned(), (time_ms, expires_at));
        Ok(beat)
    }

    async fn members(&self, partition: &str, now: i64) -> Result<Vec<(String, i64)>, StoreError> {
        let g = self.lock();
        Ok(g.members
            .get(partition)
            .into_iter()
            .flatten()
            .filter(|(_, (_, exp))| *exp > now)
            .map(|(m, (t, _))| (m.clone(), *t))
            .collect())
    }
}
