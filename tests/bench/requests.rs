//! Benchmark: DynamoDB requests per 1,000 events, for each stateful detection,
//! against moto. Counts, not times: moto's speed says nothing about DynamoDB's.
//!
//! Ignored by default; run it with `tests/bench/ddb-requests` (or
//! `cargo test -p trailwatch-tests --test bench_requests -- --ignored --nocapture`).
//! It prints one table; docs/state.md quotes it.
//!
//! Two counters: a decorator around the store counts the `Store` calls the engine
//! makes (and the observations each read returns); the HTTP client counts the
//! requests that reach DynamoDB, by operation (a read of many items takes several
//! Query pages).

use std::sync::atomic::{AtomicU64, Ordering};

use trailwatch::engine::{Engine, Settings};
use trailwatch::notify::Collect;
use trailwatch::state::{Claimed, Lease, Now, Observation, Store, StoreError, Take, Wrapper};
use trailwatch_tests::ddb::*;
use trailwatch_tests::moto::Moto;

/// Counts the calls made to the inner store.
struct Counted<S> {
    inner: S,
    puts: AtomicU64,
    ranges: AtomicU64,
    observations_read: AtomicU64,
    read_units: AtomicU64,
    claims: AtomicU64,
    claims_with_guards: AtomicU64,
    confirms: AtomicU64,
    releases: AtomicU64,
    extends: AtomicU64,
    held_checks: AtomicU64,
    /// Pass `claims_held` on (false: behave like a store that cannot tell, which
    /// is how every store behaved before the check existed).
    forward_held: bool,
}

impl<S: Store> Counted<S> {
    fn new(inner: S) -> Self {
        Counted {
            inner,
            puts: AtomicU64::new(0),
            ranges: AtomicU64::new(0),
            observations_read: AtomicU64::new(0),
            read_units: AtomicU64::new(0),
            claims: AtomicU64::new(0),
            claims_with_guards: AtomicU64::new(0),
            confirms: AtomicU64::new(0),
            releases: AtomicU64::new(0),
            extends: AtomicU64::new(0),
            held_checks: AtomicU64::new(0),
            forward_held: true,
        }
    }

    /// Counts one window read of `partition` that returned `got`.
    fn read(&self, partition: &str, got: Vec<Observation>) -> Vec<Observation> {
        self.ranges.fetch_add(1, Ordering::Relaxed);
        self.observations_read
            .fetch_add(got.len() as u64, Ordering::Relaxed);
        // Approximate item size: key and attribute names and values.
        let bytes: usize = got
            .iter()
            .map(|o| {
                2 + 2
                    + 5
                    + 7
                    + 10
                    + partition.len()
                    + 16
                    + o.event_id.len()
                    + o.value.len()
                    + o.payload.json().map_or(0, |j| j.len())
                    + 10
            })
            .sum();
        // A strongly consistent read costs 1 RCU per 4 KB, rounded up, at least 1.
        self.read_units
            .fetch_add(bytes.div_ceil(4096).max(1) as u64, Ordering::Relaxed);
        got
    }
}

impl<S: Store> Wrapper for Counted<S> {
    type Inner = S;

    fn inner(&self) -> &S {
        &self.inner
    }

    /// Each call counted as a request: an upper bound (the DynamoDB store skips
    /// the request for a term whose expiry it already knows within the slack).
    fn extend(
        &self,
        key: &str,
        expires_at: i64,
        slack_secs: i64,
        now: trailwatch::state::Now,
    ) -> impl std::future::Future<Output = Result<bool, StoreError>> + Send {
        self.extends.fetch_add(1, Ordering::Relaxed);
        self.inner.extend(key, expires_at, slack_secs, now)
    }

    /// Kept back, as DynamoDB cannot count without reading (see `Passing`).
    fn distinct_values_at_most(
        &self,
        _partition: &str,
        _from_ms: i64,
        _to_ms: i64,
        _now: i64,
        _enough: usize,
    ) -> impl std::future::Future<Output = Result<usize, StoreError>> + Send {
        std::future::ready(Ok(usize::MAX))
    }

    async fn put(
        &self,
        partition: &str,
        obs: Observation,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        self.puts.fetch_add(1, Ordering::Relaxed);
        self.inner.put(partition, obs, expires_at).await
    }

    /// Counted as a window read, as `range` is.
    async fn range_oldest_first(
        &self,
        partition: &str,
        from_ms: i64,
        to_ms: i64,
        now: i64,
    ) -> Result<Vec<Observation>, StoreError> {
        let got = self
            .inner
            .range_oldest_first(partition, from_ms, to_ms, now)
            .await?;
        Ok(self.read(partition, got))
    }

    async fn range(
        &self,
        partition: &str,
        from_ms: i64,
        to_ms: i64,
        now: i64,
    ) -> Result<Vec<Observation>, StoreError> {
        let got = self.inner.range(partition, from_ms, to_ms, now).await?;
        Ok(self.read(partition, got))
    }

    async fn claim(
        &self,
        key: &str,
        guards: &[String],
        take: Take<'_>,
        now: Now,
    ) -> Result<Claimed, StoreError> {
        self.claims.fetch_add(1, Ordering::Relaxed);
        if !guards.is_empty() {
            self.claims_with_guards.fetch_add(1, Ordering::Relaxed);
        }
        self.inner.claim(key, guards, take, now).await
    }

    async fn confirm(&self, key: &str, lease: &Lease, expires_at: i64) -> Result<bool, StoreError> {
        self.confirms.fetch_add(1, Ordering::Relaxed);
        self.inner.confirm(key, lease, expires_at).await
    }

    async fn release(&self, key: &str, lease: Option<&Lease>) -> Result<(), StoreError> {
        self.releases.fetch_add(1, Ordering::Relaxed);
        self.inner.release(key, lease).await
    }
    async fn claims_held(&self, keys: &[String], now: i64) -> Result<bool, StoreError> {
        if !self.forward_held {
            return Ok(false);
        }
        self.held_checks.fetch_add(1, Ordering::Relaxed);
        self.inner.claims_held(keys, now).await
    }

    /// Counted with the claims checks (a claim of news asks about the group's
    /// claims this way); `forward_held` off answers as a store that cannot tell.
    async fn any_claim_held(&self, keys: &[String], now: i64) -> Result<bool, StoreError> {
        if !self.forward_held {
            return Ok(false);
        }
        self.held_checks.fetch_add(1, Ordering::Relaxed);
        self.inner.any_claim_held(keys, now).await
    }
}

/// A small deterministic generator.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

struct Workload {
    name: &'static str,
    records: Vec<String>,
}

fn workloads() -> Vec<Workload> {
    let mut rng = Lcg(7);
    let mut out = Vec::new();

    // GetPasswordData, ordinary: 20 principals over 2 hours, each call for one of
    // 30 instances; one principal bursts through 15 instances in 3 minutes.
    let mut records: Vec<String> = (0..985)
        .map(|i| {
            let actor = format!("svc{}", rng.next(20));
            let secs = rng.next(7200) as i64;
            get_password_data(
                &format!("g{i}"),
                secs,
                &actor,
                &format!("i-{:02}", rng.next(30)),
            )
        })
        .collect();
    records.extend((0..15).map(|i| {
        get_password_data(
            &format!("gb{i}"),
            3000 + 12 * i,
            "intruder",
            &format!("i-x{i:02}"),
        )
    }));
    out.push(Workload {
        name: "getpassworddata-burst, 20 principals over 2 h (1 burst)",
        records,
    });

    // GetPasswordData, worst case: one principal, 1,000 instances in 5 minutes.
    out.push(Workload {
        name: "getpassworddata-burst, 1 principal, 1,000 calls in 5 min",
        records: (0..1000)
            .map(|i| {
                get_password_data(
                    &format!("h{i}"),
                    (i * 3 / 10) as i64,
                    "hot",
                    &format!("i-{i:04}"),
                )
            })
            .collect(),
    });

    // Console page loads: 100 people over 2 hours, each from one address; five
    // of them also from a second address within a minute.
    let mut records: Vec<String> = (0..990)
        .map(|i| {
            let who = rng.next(100);
            console_load(
                &format!("c{i}"),
                rng.next(7200) as i64,
                &format!("user{who}"),
                &format!("10.0.{}.{}", who / 250, who % 250),
            )
        })
        .collect();
    for k in 0..5u64 {
        records.push(console_load(
            &format!("cs{k}a"),
            1000 * k as i64,
            &format!("user{k}"),
            &format!("10.0.0.{k}"),
        ));
        records.push(console_load(
            &format!("cs{k}b"),
            1000 * k as i64 + 45,
            &format!("user{k}"),
            "203.0.113.66",
        ));
    }
    out.push(Workload {
        name: "concurrent-sessions-different-ips, 100 users over 2 h (5 pairs)",
        records,
    });

    // Console passwords then sign-ins: 500 creations, 500 logins of which half
    // follow a creation of the same user from the same address within the hour.
    let mut records = Vec::new();
    for i in 0..500i64 {
        let user = format!("u{i}");
        records.push(create_login_profile(
            &format!("p{i}"),
            10 * i,
            &user,
            "198.51.100.7",
        ));
        let (ip, after) = if i % 2 == 0 {
            ("198.51.100.7", 600)
        } else {
            ("203.0.113.8", 600)
        };
        records.push(console_login(&format!("l{i}"), 10 * i + after, &user, ip));
    }
    out.push(Workload {
        name: "create-login-profile-then-console-login, 500 + 500 (250 pairs)",
        records,
    });
    out
}

#[tokio::test]
#[ignore = "benchmark: run with tests/bench/ddb-requests"]
async fn dynamodb_requests_per_1000_events() {
    let engine = Engine::new(Settings::default());
    let endpoint = &Moto::shared().endpoint;
    let mut report = String::new();
    report.push_str(
        "| workload | events | findings | PutItem | Query | TransactWriteItems | PutItem (claims) | UpdateItem (confirms) | DeleteItem | requests | per event | observations read per event | approx. RCU per event |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for w in workloads() {
        assert_eq!(w.records.len(), 1000, "{}", w.name);
        let table = Table::new(endpoint).await;
        let store = Counted::new(table.store());
        let out = Collect::default();
        table.requests.reset();
        for r in &w.records {
            handle(&engine, &store, &out, r, NOW)
                .await
                .expect("handled");
        }
        let findings = out.take().len();
        let http = table.requests.snapshot();
        let get = |k: &str| http.get(k).copied().unwrap_or(0);
        let puts = store.puts.load(Ordering::Relaxed);
        let claims_plain =
            store.claims.load(Ordering::Relaxed) - store.claims_with_guards.load(Ordering::Relaxed);
        let total: u64 = http.values().sum();
        let n = w.records.len() as f64;
        let rcu = store.read_units.load(Ordering::Relaxed) as f64;
        report.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.2} | {:.1} | {:.1} |\n",
            w.name,
            w.records.len(),
            findings,
            puts,
            get("Query"),
            get("TransactWriteItems"),
            get("PutItem") - puts,
            get("UpdateItem"),
            get("DeleteItem"),
            total,
            total as f64 / n,
            store.observations_read.load(Ordering::Relaxed) as f64 / n,
            rcu / n,
        ));
        assert_eq!(get("PutItem"), puts + claims_plain, "{}: {http:?}", w.name);
        assert_eq!(
            get("UpdateItem"),
            store.confirms.load(Ordering::Relaxed),
            "{}: one confirmation per delivered finding",
            w.name
        );
    }
    println!("\n{report}");
}

/// Reads every record of a corpus through the whole catalogue into a counting
/// in-memory store: each `Store` call is one DynamoDB request (a range read may
/// take more pages on DynamoDB; the window reads are measured above).
struct CorpusRun<'a> {
    engine: &'a Engine,
    store: &'a Counted<trailwatch::state::MemoryStore>,
    first_seen_claims: &'a AtomicU64,
    rt: tokio::runtime::Runtime,
    out: Collect,
    records: u64,
}

impl trailwatch::event::reader::Sink for CorpusRun<'_> {
    fn record(&mut self, _loc: &trailwatch::event::reader::Location, json: &str) {
        let Ok(rec) = trailwatch::event::Record::from_json(json) else {
            return;
        };
        self.records += 1;
        let first_seen = self
            .engine
            .detections()
            .iter()
            .filter(|d| {
                matches!(
                    d.meta().window,
                    Some(trailwatch::detection::WindowSpec::FirstSeen { .. })
                ) && d.evaluate(&rec).is_some()
            })
            .count();
        self.first_seen_claims
            .fetch_add(first_seen as u64, Ordering::Relaxed);
        self.rt
            .block_on(self.engine.handle(&rec, self.store, &self.out, NOW))
            .expect("in-memory store");
    }
    fn rejected(&mut self, _: &trailwatch::event::reader::Location, _: &str) {}
    fn not_cloudtrail(&mut self, _: &trailwatch::event::reader::Location) {}
}

/// State requests per 1,000 events of the bench corpus (`trailwatch generate`),
/// through every detection: ordinary traffic with the generator's attacks.
/// `TRAILWATCH_BENCH_CORPUS` names the corpus (tests/bench/corpus-requests makes it).
#[test]
#[ignore = "benchmark: run with tests/bench/corpus-requests"]
fn state_requests_per_1000_events_of_the_bench_corpus() {
    let path = std::env::var("TRAILWATCH_BENCH_CORPUS").expect("TRAILWATCH_BENCH_CORPUS");
    let engine = Engine::new(Settings::for_replay());
    let store = Counted::new(trailwatch::state::MemoryStore::default());
    let first_seen_claims = AtomicU64::new(0);
    let mut run = CorpusRun {
        engine: &engine,
        store: &store,
        first_seen_claims: &first_seen_claims,
        rt: tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime"),
        out: Collect::default(),
        records: 0,
    };
    trailwatch::event::reader::read_path(
        std::path::Path::new(&path),
        &trailwatch::event::reader::Limits::default(),
        &mut run,
    )
    .expect("corpus readable");
    let n = run.records.max(1) as f64 / 1000.0;
    let get = |c: &AtomicU64| c.load(Ordering::Relaxed) as f64 / n;
    let claims = get(&store.claims);
    let first = get(&first_seen_claims);
    println!(
        "| records | findings | first-seen claims | history moves | other claims | confirms | window writes | window reads | releases | requests |\n|---|---|---|---|---|---|---|---|---|---|\n| {} | {} | {first:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} |",
        run.records,
        run.out.take().len(),
        get(&store.extends),
        claims - first,
        get(&store.confirms),
        get(&store.puts),
        get(&store.ranges),
        get(&store.releases),
        claims
            + get(&store.extends)
            + get(&store.confirms)
            + get(&store.puts)
            + get(&store.ranges)
            + get(&store.releases),
    );
    println!("(per 1,000 events)");
    assert!(run.records > 0, "no records in {path}");
}

/// The records of a flood against one reported burst: one principal asks for the
/// password of a new instance every 0.15 s, so the 5-minute window holds far more
/// than the 2,000 items a group keeps.
fn flood_records(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            get_password_data(
                &format!("f{i:05}"),
                (i * 15 / 100) as i64,
                "flooder",
                &format!("i-{i:05}"),
            )
        })
        .collect()
}

/// Feeds `records` to `engine`, returning the findings and the seconds taken.
async fn feed<S: Store>(engine: &Engine, store: &S, records: &[String]) -> (usize, f64) {
    let out = Collect::default();
    let started = std::time::Instant::now();
    for r in records {
        handle(engine, store, &out, r, NOW).await.expect("handled");
    }
    (out.take().len(), started.elapsed().as_secs_f64())
}

/// A flood against a live burst whose group is full (2,000 observations): the
/// group's finding is already claimed, and every further event adds its item.
/// Before: each event rebuilt the finding from all stored items (and read the
/// whole group on DynamoDB) only to find the claim held; after: one check of the
/// claims that could cover it. Both paths in one run: `forward_held` off is the
/// old behaviour. Times are printed, never asserted (moto's say little about
/// DynamoDB's; the in-memory ones are this machine's).
#[tokio::test]
#[ignore = "benchmark: run with tests/bench/ddb-requests flood"]
async fn flood_against_a_reported_burst() {
    const FILL: usize = 2_000;
    const MEASURED: usize = 200;
    const MEASURED_DDB: usize = 50;
    let engine = Engine::new(Settings::default());
    let records = flood_records(FILL + MEASURED);
    let (fill, measured) = records.split_at(FILL);
    let mut report = String::from(
        "| store | check | events | findings | requests | per event | observations read per event | ms per event |\n|---|---|---|---|---|---|---|---|\n",
    );
    for forward_held in [false, true] {
        let check = if forward_held { "after" } else { "before" };
        // In memory: the whole flood, timed over its last events.
        let mut mem = Counted::new(trailwatch::state::MemoryStore::default());
        mem.forward_held = forward_held;
        let (found, _) = feed(&engine, &Passing(&mem), fill).await;
        assert_eq!(found, 1, "the burst is reported once");
        let (found, secs) = feed(&engine, &Passing(&mem), measured).await;
        assert_eq!(found, 0, "nothing more in the flood");
        report.push_str(&format!(
            "| in memory | {check} | {MEASURED} | 0 | - | - | - | {:.3} |\n",
            secs * 1000.0 / MEASURED as f64
        ));

        // DynamoDB (moto): the group is filled by direct writes (as the flood's
        // earlier events would have), one event reports the burst, then the flood.
        let table = Table::new(&Moto::shared().endpoint).await;
        let mut store = Counted::new(table.store());
        store.forward_held = forward_held;
        let (found, _) = feed(&engine, &store, &fill[FILL - 1..]).await;
        assert_eq!(found, 0, "one event alone is no burst");
        for (i, r) in fill.iter().enumerate().take(FILL - 1) {
            let rec = trailwatch::event::Record::from_json(r).expect("record");
            let obs = Observation {
                time_ms: rec.event_time_ms().expect("time"),
                event_id: format!("f{i:05}"),
                value: format!("i-{i:05}"),
                payload: PAYLOAD.into(),
            };
            store
                .inner
                .put(&flood_partition(), obs, NOW + 7200)
                .await
                .expect("put");
        }
        let (found, _) = feed(&engine, &store, &measured[..1]).await;
        assert_eq!(found, 1, "the burst is reported once");
        store.observations_read.store(0, Ordering::Relaxed);
        table.requests.reset();
        // Fewer events: moto takes about a second per read of the full group.
        let (found, secs) = feed(&engine, &store, &measured[1..=MEASURED_DDB]).await;
        assert_eq!(found, 0, "nothing more in the flood");
        let n = MEASURED_DDB as f64;
        let total = table.requests.total();
        report.push_str(&format!(
            "| DynamoDB (moto) | {check} | {MEASURED_DDB} | 0 | {total} ({:?}) | {:.2} | {:.1} | {:.1} |\n",
            table.requests.snapshot(),
            total as f64 / n,
            store.observations_read.load(Ordering::Relaxed) as f64 / n,
            secs * 1000.0 / n,
        ));
    }
    println!("\n{report}");
}

/// What the engine stores about a GetPasswordData record of the flood (the
/// finding is built from these items).
const PAYLOAD: &str = r#"{"event_name":"GetPasswordData","source_ip":"203.0.113.50","account_id":"444455556666","region":"eu-west-1","actor_key":"arn:aws:sts::444455556666:assumed-role/Operators/flooder","actor_display":"Operators/flooder","actor_type":"AssumedRole","evidence":[]}"#;

fn flood_partition() -> String {
    "w|getpassworddata-burst|444455556666|arn:aws:sts::444455556666:assumed-role/Operators/flooder"
        .to_owned()
}

/// Passes every call on, `distinct_values_at_most` too (`Counted` keeps it back to
/// model DynamoDB, which cannot count without reading).
struct Passing<'a, S>(&'a Counted<S>);

impl<S: Store> Wrapper for Passing<'_, S> {
    type Inner = Counted<S>;

    fn inner(&self) -> &Counted<S> {
        self.0
    }

    fn distinct_values_at_most(
        &self,
        p: &str,
        from: i64,
        to: i64,
        now: i64,
        enough: usize,
    ) -> impl std::future::Future<Output = Result<usize, StoreError>> + Send {
        self.0
            .inner
            .distinct_values_at_most(p, from, to, now, enough)
    }
}
