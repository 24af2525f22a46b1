//! The DynamoDB state store against moto, and the same scenarios against the
//! in-memory store: the three stateful detections end to end through
//! `Engine::handle`, concurrency, retries, failed deliveries, a dying endpoint,
//! the table's schema, and `trailwatch replay --state dynamodb`.
//!
//! Every scenario runs the same function on both stores and requires the same
//! findings, byte for byte.

use std::collections::BTreeSet;
use std::sync::Arc;

use aws_sdk_dynamodb::types::{
    AttributeValue, BillingMode, KeyType, PutRequest, TimeToLiveStatus, WriteRequest,
};
use trailwatch::engine::{Engine, HandleError, Settings};
use trailwatch::finding::Finding;
use trailwatch::notify::Collect;
use trailwatch::state::dynamodb::{EVENT_TIME_KEEP_SECS, Validity, ensure_table, schema};
use trailwatch::state::{Claimed, Lease, MemoryStore, Now, Observation, Store, Take};
use trailwatch::window::MAX_OBSERVATIONS_PER_GROUP;
use trailwatch_tests::ddb::*;
use trailwatch_tests::moto::Moto;

/// The seed's three stateful detections, whose scenarios this file drives (other
/// detections of the catalogue also take some of these records).
fn engine() -> Engine {
    let ids = [
        "concurrent-sessions-different-ips",
        "create-login-profile-then-console-login",
        "getpassworddata-burst",
    ];
    Engine::with_detections(
        ids.iter()
            .map(|id| trailwatch::catalog::by_id(id).expect("a seed detection")),
        Settings::default(),
    )
}

async fn table() -> Table {
    Table::new(&Moto::shared().endpoint).await
}

/// Runs `steps` through a fresh in-memory store and a fresh DynamoDB store; both
/// must deliver the same findings. Returns them.
async fn on_both_stores(steps: &[Step]) -> Vec<Finding> {
    let engine = engine();
    let memory = drive(&engine, &MemoryStore::default(), steps).await;
    let t = table().await;
    let dynamo = drive(&engine, &t.store(), steps).await;
    assert_eq!(
        as_json(&memory),
        as_json(&dynamo),
        "the in-memory and DynamoDB stores delivered different findings"
    );
    memory
}

/// The distinct values a window finding lists.
fn listed(f: &Finding) -> BTreeSet<String> {
    let v = f
        .evidence
        .get("distinct_values")
        .unwrap_or_else(|| panic!("no distinct_values in {}", f.to_json()));
    v.as_array()
        .expect("a list")
        .iter()
        .map(|x| x.as_str().expect("text").to_owned())
        .collect()
}

/// 11 GetPasswordData calls by `actor` for 11 instances, 24 s apart from
/// `start` (so 240 s end to end).
fn burst(actor: &str, start: i64, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            get_password_data(
                &format!("{actor}-gpd-{start}-{i}"),
                start + 24 * i as i64,
                actor,
                &format!("i-{i:017}"),
            )
        })
        .collect()
}

/// A fixed shuffle (a permutation that is neither time order nor its reverse).
fn shuffled<T: Clone>(v: &[T]) -> Vec<T> {
    let n = v.len();
    let mut idx: Vec<usize> = (0..n).collect();
    // Deterministic Fisher-Yates with a small LCG.
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    for i in (1..n).rev() {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        idx.swap(i, (x >> 33) as usize % (i + 1));
    }
    idx.into_iter().map(|i| v[i].clone()).collect()
}

// ---------------------------------------------------------------------------
// The table

#[tokio::test]
async fn the_table_has_the_schema_and_ttl() {
    let (client, _) = client(&Moto::shared().endpoint).await;
    let name = unique("schema");

    let missing = ensure_table(&client, &name, false).await.unwrap_err();
    assert!(
        missing.message().contains(&name)
            && missing.message().contains("does not exist")
            && missing.message().contains("--create-table"),
        "{missing}"
    );

    let check = ensure_table(&client, &name, true).await.expect("created");
    assert!(check.created && check.ttl_enabled);
    let again = ensure_table(&client, &name, false).await.expect("exists");
    assert!(!again.created && again.ttl_enabled);

    let d = client
        .describe_table()
        .table_name(&name)
        .send()
        .await
        .expect("describe");
    let t = d.table().expect("table");
    let keys: Vec<(&str, &KeyType)> = t
        .key_schema()
        .iter()
        .map(|k| (k.attribute_name(), k.key_type()))
        .collect();
    assert_eq!(
        keys,
        vec![
            (schema::PARTITION_KEY, &KeyType::Hash),
            (schema::SORT_KEY, &KeyType::Range)
        ]
    );
    for a in t.attribute_definitions() {
        assert_eq!(a.attribute_type().as_str(), "S", "{}", a.attribute_name());
    }
    assert_eq!(
        t.billing_mode_summary().and_then(|b| b.billing_mode()),
        Some(&BillingMode::PayPerRequest)
    );
    let ttl = client
        .describe_time_to_live()
        .table_name(&name)
        .send()
        .await
        .expect("describe ttl");
    let ttl = ttl.time_to_live_description().expect("ttl description");
    assert_eq!(ttl.attribute_name(), Some(schema::TTL_ATTRIBUTE));
    assert_eq!(ttl.time_to_live_status(), Some(&TimeToLiveStatus::Enabled));

    // A table with other keys is refused with a clear message.
    let other = unique("otherkeys");
    client
        .create_table()
        .table_name(&other)
        .attribute_definitions(
            aws_sdk_dynamodb::types::AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(aws_sdk_dynamodb::types::ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            aws_sdk_dynamodb::types::KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .expect("create other table");
    let wrong = ensure_table(&client, &other, true).await.unwrap_err();
    assert!(wrong.message().contains("key schema"), "{wrong}");
}

// ---------------------------------------------------------------------------
// The Store contract, call by call, on both stores

fn obs(t: i64, id: &str, v: &str) -> Observation {
    Observation {
        time_ms: t,
        event_id: id.into(),
        value: v.into(),
        payload: format!(r#"{{"id":"{id}"}}"#).into(),
    }
}

/// Every answer of a sequence of calls, as text: puts, duplicate puts, ranges
/// with inclusive ends, expired items, claims with guards, expiry, release.
async fn contract<S: Store>(s: &S) -> Vec<String> {
    let mut log = Vec::new();
    let p = "w|test|group";
    for (t, id, v, exp) in [
        (1_000, "b", "x", 500),
        (1_000, "a", "y", 500),
        (2_000, "c", "x", 500),
        (3_000, "d", "z", 100), // expires first
        (5_000, "e", "x", 500),
        (-5_000, "neg", "n", 500),
    ] {
        s.put(p, obs(t, id, v), exp).await.unwrap();
    }
    // The same record again (a retry): one copy.
    s.put(p, obs(2_000, "c", "x"), 500).await.unwrap();
    s.put("w|test|other", obs(2_000, "c", "x"), 500)
        .await
        .unwrap();
    let show = |v: Vec<Observation>| {
        v.iter()
            .map(|o| {
                format!(
                    "{}:{}:{}:{}",
                    o.time_ms,
                    o.event_id,
                    o.value,
                    o.payload.json().unwrap()
                )
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    for (from, to, now) in [
        (1_000, 3_000, 50),
        (1_000, 3_000, 100),
        (1_001, 2_999, 50),
        (0, 10_000, 499),
        (0, 10_000, 500),
        (-10_000, 0, 50),
        (3_000, 1_000, 50),
        (10_000, 20_000, 50),
    ] {
        log.push(format!(
            "range {from}..{to} @{now}: {}",
            show(s.range(p, from, to, now).await.unwrap())
        ));
    }
    log.push(format!(
        "range of a missing partition: {}",
        show(s.range("w|none", 0, 10_000, 0).await.unwrap())
    ));
    let g = |k: &str| k.to_owned();
    let claims: Vec<(&str, Vec<String>, i64, i64)> = vec![
        ("c|1", vec![], 1_000, 10),
        ("c|1", vec![], 1_000, 10),                          // held
        ("c|2", vec![g("c|1"), g("c|3")], 1_000, 10),        // guard held
        ("c|3", vec![g("c|2"), g("c|4")], 1_000, 10),        // free
        ("c|2", vec![g("c|1"), g("c|3")], 1_000, 999),       // guards still held
        ("c|1", vec![], 1_000, 1_000),                       // expired: free again
        ("c|5", vec![g("c|5"), g("c|6"), g("c|6")], 50, 10), // self and repeated guards
        ("c|6", vec![g("c|5")], 50, 50),                     // guard expired at 50
    ];
    for (k, guards, exp, now) in claims {
        let take = Take::Confirmed { expires_at: exp };
        log.push(format!(
            "claim {k} {guards:?} @{now}: {:?}",
            s.claim(k, &guards, take, Now::live(now)).await.unwrap()
        ));
    }
    s.release("c|3", None).await.unwrap();
    s.release("c|never-taken", None).await.unwrap();
    log.push(format!(
        "claim c|3 after release: {:?}",
        s.claim(
            "c|3",
            &[],
            Take::Confirmed { expires_at: 1_000 },
            Now::live(10)
        )
        .await
        .unwrap()
    ));
    log.extend(lease_contract(s).await);
    log.extend(extend_contract(s).await);
    log
}

/// First-seen history: a held, confirmed claim's expiry moves forward when it
/// would lapse more than the slack before the new one; an absent, expired or
/// leased claim does not move.
async fn extend_contract<S: Store>(s: &S) -> Vec<String> {
    let at = |valid: i64| Now::live(valid);
    let confirmed = |expires_at| Take::Confirmed { expires_at };
    let mut log = Vec::new();
    let mut step = |what: &str, got: String| log.push(format!("{what}: {got}"));
    let took = s.claim("n|1", &[], confirmed(1_000), at(10)).await.unwrap();
    step("history taken", format!("{took:?}"));
    let within = s.extend("n|1", 1_050, 100, at(20)).await.unwrap();
    step("extend within the slack", format!("{within}"));
    let moved = s.extend("n|1", 2_000, 100, at(20)).await.unwrap();
    step("extend past the slack", format!("{moved}"));
    let held = s
        .claim("n|1", &[], confirmed(5_000), at(1_500))
        .await
        .unwrap();
    step("held past its first expiry", format!("{held:?}"));
    let lapsed = s
        .claim("n|1", &[], confirmed(5_000), at(2_000))
        .await
        .unwrap();
    step("lapsed at the moved expiry", format!("{lapsed:?}"));
    let absent = s.extend("n|never", 5_000, 100, at(20)).await.unwrap();
    step("extend an absent claim", format!("{absent}"));
    s.claim("n|2", &[], confirmed(100), at(10)).await.unwrap();
    let expired = s.extend("n|2", 5_000, 100, at(200)).await.unwrap();
    step("extend an expired claim", format!("{expired}"));
    let retaken = s
        .claim("n|2", &[], confirmed(5_000), at(200))
        .await
        .unwrap();
    step("expired claim taken again", format!("{retaken:?}"));
    let lease = Lease::new(300);
    s.claim("n|3", &[], Take::Lease(&lease), at(10))
        .await
        .unwrap();
    let leased = s.extend("n|3", 5_000, 100, at(20)).await.unwrap();
    step("extend a lease", format!("{leased}"));
    log
}

/// Delivery leases: lapse on the wall clock, takeover, confirmation and release
/// by their token only, a confirmed guard outranking a leased one.
async fn lease_contract<S: Store>(s: &S) -> Vec<String> {
    let at = |valid: i64, wall: i64| Now::event_time(valid, wall);
    let (l1, l2, l3, l4) = (
        Lease::new(100),
        Lease::new(100),
        Lease::new(200),
        Lease::new(300),
    );
    let confirmed = Take::Confirmed { expires_at: 1_000 };
    let guard = ["l|1".to_owned()];
    let mut log = Vec::new();
    let mut step = |what: &str, got: String| log.push(format!("{what}: {got}"));
    step(
        "lease",
        format!(
            "{:?}",
            s.claim("l|1", &[], Take::Lease(&l1), at(10, 10))
                .await
                .unwrap()
        ),
    );
    step(
        "claim under a live lease",
        format!(
            "{:?}",
            s.claim("l|1", &[], confirmed, at(5_000, 50)).await.unwrap()
        ),
    );
    step(
        "guard under a live lease",
        format!(
            "{:?}",
            s.claim("l|2", &guard, Take::Lease(&l2), at(10, 50))
                .await
                .unwrap()
        ),
    );
    step(
        "confirm by another token",
        format!("{}", s.confirm("l|1", &l2, 1_000).await.unwrap()),
    );
    step(
        "takeover of a lapsed lease",
        format!(
            "{:?}",
            s.claim("l|1", &[], Take::Lease(&l3), at(10, 100))
                .await
                .unwrap()
        ),
    );
    step(
        "confirm by the lapsed lease",
        format!("{}", s.confirm("l|1", &l1, 1_000).await.unwrap()),
    );
    s.release("l|1", Some(&l1)).await.unwrap();
    step(
        "release by the lapsed lease changed nothing",
        format!(
            "{:?}",
            s.claim("l|1", &[], confirmed, at(10, 150)).await.unwrap()
        ),
    );
    step(
        "confirm",
        format!("{}", s.confirm("l|1", &l3, 1_000).await.unwrap()),
    );
    step(
        "confirmed, held whatever the wall clock",
        format!(
            "{:?}",
            s.claim("l|1", &[], Take::Lease(&l4), at(999, 9_999))
                .await
                .unwrap()
        ),
    );
    step(
        "confirmed claim expired",
        format!(
            "{:?}",
            s.claim("l|1", &[], Take::Lease(&l4), at(1_000, 150))
                .await
                .unwrap()
        ),
    );
    s.release("l|1", Some(&l4)).await.unwrap();
    step(
        "released",
        format!(
            "{:?}",
            s.claim("l|1", &[], confirmed, at(10, 150)).await.unwrap()
        ),
    );
    s.claim("l|3", &[], Take::Lease(&l2), at(10, 10))
        .await
        .unwrap();
    let both = ["l|3".to_owned(), "l|1".to_owned()];
    step(
        "a confirmed guard outranks a leased one",
        format!(
            "{:?}",
            s.claim("l|4", &both, confirmed, at(10, 10)).await.unwrap()
        ),
    );
    log
}

#[tokio::test]
async fn both_stores_answer_every_call_alike() {
    let t = table().await;
    let memory = contract(&MemoryStore::default()).await;
    let dynamo = contract(&t.store()).await;
    assert_eq!(memory, dynamo);
    // And the answers are the contract's (spot checks).
    assert!(memory[0].ends_with(
        r#"1000:a:y:{"id":"a"},1000:b:x:{"id":"b"},2000:c:x:{"id":"c"},3000:d:z:{"id":"d"}"#
    ));
    assert!(
        !memory[1].contains("3000:d"),
        "expired at 100: {}",
        memory[1]
    );
    assert!(
        memory[4].ends_with(": "),
        "all expired at 500: {}",
        memory[4]
    );
    assert!(memory[5].contains("-5000:neg"), "{}", memory[5]);
    let claims: Vec<&str> = memory
        .iter()
        .filter(|l| l.starts_with("claim c|"))
        .map(|l| l.rsplit(' ').next().unwrap())
        .collect();
    assert_eq!(
        claims,
        [
            "Taken", "Held", "Held", "Taken", "Held", "Taken", "Taken", "Taken", "Taken"
        ]
    );
    let leases: Vec<&str> = memory
        .iter()
        .skip_while(|l| !l.starts_with("lease"))
        .take_while(|l| !l.starts_with("history taken"))
        .map(|l| l.split_once(": ").unwrap().1)
        .collect();
    assert_eq!(
        leases,
        [
            "Taken",
            "Leased { until: 100 }",
            "Leased { until: 100 }",
            "false",
            "Taken",
            "false",
            "Leased { until: 200 }",
            "true",
            "Held",
            "Taken",
            "Taken",
            "Held"
        ]
    );
    let extends: Vec<&str> = memory
        .iter()
        .skip_while(|l| !l.starts_with("history taken"))
        .map(|l| l.split_once(": ").unwrap().1)
        .collect();
    assert_eq!(
        extends,
        [
            "Taken", "false", "true", "Held", "Taken", "false", "false", "Taken", "false"
        ]
    );
    // A store over event time answers alike (its validity is `valid_until`).
    let event_time = t.store().with_validity(Validity::EventTime {
        keep_secs: EVENT_TIME_KEEP_SECS,
    });
    assert_eq!(contract(&event_time).await, memory);
}

type Item = std::collections::HashMap<String, AttributeValue>;

/// Every item of the table (one Scan page: the tests' tables are small).
async fn scan_all(t: &Table) -> Vec<Item> {
    t.client
        .scan()
        .table_name(&t.name)
        .send()
        .await
        .expect("Scan")
        .items
        .unwrap_or_default()
}

/// Writes `items` into the table 25 at a time (faster than one PutItem each).
async fn put_all(t: &Table, items: impl Iterator<Item = Item>) {
    let items: Vec<Item> = items.collect();
    for chunk in items.chunks(25) {
        let writes: Vec<WriteRequest> = chunk
            .iter()
            .map(|item| {
                let put = PutRequest::builder()
                    .set_item(Some(item.clone()))
                    .build()
                    .unwrap();
                WriteRequest::builder().put_request(put).build()
            })
            .collect();
        t.client
            .batch_write_item()
            .request_items(&t.name, writes)
            .send()
            .await
            .expect("batch write");
    }
}

#[tokio::test]
async fn reads_page_through_and_keep_the_newest_observations() {
    let t = table().await;
    let store = t.store();
    let memory = MemoryStore::default();
    let partition = "w|test|big";
    let n = MAX_OBSERVATIONS_PER_GROUP + 150;
    // ~1 KB each: more than one 1 MB Query page.
    let pad = "p".repeat(1000);
    let all: Vec<Observation> = (0..n)
        .map(|i| Observation {
            time_ms: 1_000 * i as i64,
            event_id: format!("e{i:05}"),
            value: format!("v{}", i % 7),
            payload: pad.as_str().into(),
        })
        .collect();
    for o in &all {
        memory.put(partition, o.clone(), 10_000).await.unwrap();
    }
    // Seed DynamoDB in batches (faster than one PutItem each), as `put` would.
    let items = all.iter().map(|o| {
        Item::from([
            (
                schema::PARTITION_KEY.to_owned(),
                AttributeValue::S(format!("{}{partition}", store.key_prefix())),
            ),
            (
                schema::SORT_KEY.to_owned(),
                AttributeValue::S(format!("{:015}#{}", o.time_ms, o.event_id)),
            ),
            (schema::VALUE.to_owned(), AttributeValue::S(o.value.clone())),
            (
                schema::PAYLOAD.to_owned(),
                AttributeValue::S(o.payload.json().unwrap().into_owned()),
            ),
            (
                schema::TTL_ATTRIBUTE.to_owned(),
                AttributeValue::N("10000".into()),
            ),
        ])
    });
    put_all(&t, items).await;
    t.requests.reset();
    let got = store
        .range(partition, 0, 1_000 * n as i64, 5_000)
        .await
        .unwrap();
    assert_eq!(got.len(), MAX_OBSERVATIONS_PER_GROUP);
    assert_eq!(
        got.first().unwrap().event_id,
        "e00150",
        "the newest are kept"
    );
    assert_eq!(got.last().unwrap().event_id, format!("e{:05}", n - 1));
    assert!(got.windows(2).all(|w| w[0].time_ms < w[1].time_ms));
    let queries = t.requests.snapshot().get("Query").copied().unwrap_or(0);
    assert!(queries >= 2, "expected several pages, got {queries} Query");
    let from_memory = memory
        .range(partition, 0, 1_000 * n as i64, 5_000)
        .await
        .unwrap();
    assert_eq!(got, from_memory);
}

#[tokio::test]
async fn an_over_long_event_id_round_trips() {
    let t = table().await;
    let s = t.store();
    let long = "é".repeat(700); // 1,400 bytes: more than a sort key may hold
    s.put("w|x|y", obs(7, &long, "v"), 100).await.unwrap();
    s.put("w|x|y", obs(7, &long, "v"), 100).await.unwrap();
    let got = s.range("w|x|y", 0, 10, 0).await.unwrap();
    assert_eq!(got, vec![obs(7, &long, "v")]);
}

// ---------------------------------------------------------------------------
// Scenarios: the three stateful detections end to end, on both stores

#[tokio::test]
async fn a_burst_straddling_a_five_minute_boundary_is_one_finding_in_any_order() {
    // 12:03:00 .. 12:07:00: across the 12:05 boundary of the tumbling originals.
    let records = burst("alice", 180, 11);
    let mut reversed = records.clone();
    reversed.reverse();
    for order in [records.clone(), reversed, shuffled(&records)] {
        let found = on_both_stores(&steps(&order)).await;
        assert_eq!(counts(&found), [(BURST, 1)].into(), "{found:#?}");
        assert_eq!(listed(&found[0]).len(), 11);
        assert_eq!(found[0].event_ids.len(), 11);
    }
    // Two console loads from two addresses 20 s apart, across 12:05.
    let found = on_both_stores(&steps(&[
        console_load("cs-1", 290, "dana", "198.51.100.23"),
        console_load("cs-2", 310, "dana", "203.0.113.9"),
    ]))
    .await;
    assert_eq!(counts(&found), [(SESSIONS, 1)].into());
    assert_eq!(
        listed(&found[0]),
        ["198.51.100.23", "203.0.113.9"].map(String::from).into()
    );
}

#[tokio::test]
async fn exactly_at_the_threshold() {
    // 10 distinct instances: nothing; the 11th: one finding.
    let ten = burst("bob", 0, 10);
    assert!(on_both_stores(&steps(&ten)).await.is_empty());
    let eleven = burst("bob", 0, 11);
    assert_eq!(
        counts(&on_both_stores(&steps(&eleven)).await),
        [(BURST, 1)].into()
    );

    // The window's ends are inclusive: 11 instances spanning exactly 300 s fire,
    // spanning 301 s do not.
    let spread = |last: i64| -> Vec<String> {
        (0..11)
            .map(|i| {
                let t = if i == 10 { last } else { 10 * i as i64 };
                get_password_data(&format!("sp-{last}-{i}"), t, "carol", &format!("i-{i}"))
            })
            .collect()
    };
    assert_eq!(
        counts(&on_both_stores(&steps(&spread(300))).await),
        [(BURST, 1)].into()
    );
    assert!(on_both_stores(&steps(&spread(301))).await.is_empty());

    // One address seen many times: nothing; two addresses: one finding.
    let one_ip: Vec<String> = (0..5)
        .map(|i| console_load(&format!("one-{i}"), 30 * i, "erin", "192.0.2.10"))
        .collect();
    assert!(on_both_stores(&steps(&one_ip)).await.is_empty());
    let two_ips = [
        console_load("two-1", 0, "erin", "192.0.2.10"),
        console_load("two-2", 300, "erin", "192.0.2.11"),
    ];
    assert_eq!(
        counts(&on_both_stores(&steps(&two_ips)).await),
        [(SESSIONS, 1)].into()
    );
    let too_far = [
        console_load("far-1", 0, "erin", "192.0.2.10"),
        console_load("far-2", 301, "erin", "192.0.2.11"),
    ];
    assert!(on_both_stores(&steps(&too_far)).await.is_empty());
    // The same address written two ways is one address.
    let same = [
        console_load("v6-1", 0, "erin", "2001:DB8::7"),
        console_load("v6-2", 10, "erin", "2001:db8:0:0::7"),
    ];
    assert!(on_both_stores(&steps(&same)).await.is_empty());
}

#[tokio::test]
async fn duplicates_change_nothing() {
    // Every record twice in a row, then the whole sequence again.
    let records = burst("dave", 0, 11);
    let mut twice: Vec<String> = records
        .iter()
        .flat_map(|r| [r.clone(), r.clone()])
        .collect();
    twice.extend(records.clone());
    let found = on_both_stores(&steps(&twice)).await;
    assert_eq!(counts(&found), [(BURST, 1)].into());
    assert_eq!(found[0].event_ids.len(), 11);

    // Ten instances, some asked for several times under new event ids: still ten.
    let mut ten = burst("dave2", 0, 10);
    ten.extend((0..5).map(|i| {
        get_password_data(
            &format!("again-{i}"),
            200 + i,
            "dave2",
            &format!("i-{i:017}"),
        )
    }));
    ten.extend(ten.clone());
    assert!(on_both_stores(&steps(&ten)).await.is_empty());
}

/// A caller controls its user agent: one padded to 200 KB on every call of a
/// burst must not push a window's items past DynamoDB's 400 KB item limit
/// (the write would fail on every retry and the burst go unreported). Both
/// stores find the burst alike and show the agent cut, with the mark.
#[tokio::test]
async fn a_burst_with_a_200_kb_user_agent_is_found_on_both_stores() {
    let padded = format!("Boto3/1.34.0 {}", "x".repeat(200 * 1024));
    let records: Vec<String> = burst("erin", 0, 11)
        .iter()
        .map(|r| r.replace("Boto3/1.34.0 Python/3.12.1", &padded))
        .collect();
    assert!(records.iter().all(|r| r.len() > 200 * 1024));
    let found = on_both_stores(&steps(&records)).await;
    assert_eq!(counts(&found), [(BURST, 1)].into(), "{found:#?}");
    assert_eq!(found[0].event_ids.len(), 11);
    let agent = found[0].user_agent.as_deref().expect("an agent");
    assert!(agent.starts_with("Boto3/1.34.0 xxx"), "{agent:.40}");
    assert!(
        agent.ends_with(trailwatch::sanitize::CUT_MARK),
        "{agent:.40}"
    );
    assert!(agent.len() < 8 * 1024, "{} bytes", agent.len());
}

/// A failed call's parameters are logged as sent: ten instances and an eleventh
/// "instance id" of 300 KB in a failed call are one burst, found alike on both
/// stores, the long value listed by its start and a digest. Uncut it was an
/// item over 400 KB (a replay with `--state dynamodb` stopped there), and two
/// thousand such items read back with the group took a function past its memory.
#[tokio::test]
async fn a_failed_call_with_a_300_kb_instance_id_counts_as_one_value() {
    let mut records = burst("fay", 0, 10);
    let huge = format!("i-{}", "9".repeat(300 * 1024));
    records.push(
        get_password_data("fay-huge", 250, "fay", &huge).replace(
            r#""responseElements":null"#,
            r#""errorCode":"InvalidInstanceID.Malformed","errorMessage":"Invalid id","responseElements":null"#,
        ),
    );
    let found = on_both_stores(&steps(&records)).await;
    assert_eq!(counts(&found), [(BURST, 1)].into(), "{found:#?}");
    let values = listed(&found[0]);
    assert_eq!(values.len(), 11);
    let long = values
        .iter()
        .find(|v| v.starts_with("i-999"))
        .expect("the long value");
    assert!(long.len() <= 512, "{} bytes", long.len());
}

#[tokio::test]
async fn late_and_reordered_events() {
    // The earliest event of the burst arrives last and completes it.
    let mut records = burst("frank", 600, 11);
    let first = records.remove(0);
    records.push(first);
    let found = on_both_stores(&steps(&records)).await;
    assert_eq!(counts(&found), [(BURST, 1)].into());

    // The same, but it arrives after its partners expired (window 300 s + allowed
    // lateness 3600 s after they were stored): evaluated against what remains,
    // which is not enough.
    let late_now = NOW + 300 + 3600;
    let mut late = steps(&records);
    late.last_mut().unwrap().now = late_now;
    assert!(on_both_stores(&late).await.is_empty());
    // One second earlier it still meets them.
    late.last_mut().unwrap().now = late_now - 1;
    assert_eq!(counts(&on_both_stores(&late).await), [(BURST, 1)].into());

    // Console loads out of order.
    let found = on_both_stores(&steps(&[
        console_load("ooo-3", 500, "gina", "192.0.2.3"),
        console_load("ooo-1", 100, "gina", "192.0.2.1"),
        console_load("ooo-2", 350, "gina", "192.0.2.2"),
    ]))
    .await;
    assert_eq!(counts(&found), [(SESSIONS, 1)].into());
}

#[tokio::test]
async fn two_actors_interleaved() {
    let a = burst("hank", 0, 11);
    let b = burst("ivy", 30, 11);
    let interleaved: Vec<String> = a
        .iter()
        .zip(&b)
        .flat_map(|(x, y)| [x.clone(), y.clone()])
        .collect();
    let found = on_both_stores(&steps(&interleaved)).await;
    assert_eq!(counts(&found), [(BURST, 2)].into());
    let actors: BTreeSet<&str> = found.iter().map(|f| f.actor.key.as_str()).collect();
    assert_eq!(actors.len(), 2);
    for f in &found {
        assert_eq!(listed(f).len(), 11, "each lists only its own instances");
        let who = if f.actor.key.contains("hank") {
            "hank"
        } else {
            "ivy"
        };
        assert!(f.event_ids.iter().all(|id| id.starts_with(who)), "{f:#?}");
    }
    // Six instances each: neither reaches eleven, together they would.
    let a = burst("jack", 0, 6);
    let b = burst("kate", 0, 6);
    let interleaved: Vec<String> = a
        .iter()
        .zip(&b)
        .flat_map(|(x, y)| [x.clone(), y.clone()])
        .collect();
    assert!(on_both_stores(&steps(&interleaved)).await.is_empty());
    // Console loads of two people from their own addresses: nothing.
    let loads = [
        console_load("il-1", 0, "lena", "192.0.2.1"),
        console_load("il-2", 5, "mike", "192.0.2.2"),
        console_load("il-3", 10, "lena", "192.0.2.1"),
        console_load("il-4", 15, "mike", "192.0.2.2"),
    ];
    assert!(on_both_stores(&steps(&loads)).await.is_empty());
}

#[tokio::test]
async fn login_after_a_new_console_password() {
    let ip = "198.51.100.77";
    let create = create_login_profile("clp-1", 0, "harold", ip);
    let login = |id: &str, secs: i64| console_login(id, secs, "harold", ip);

    // 10 minutes later: a finding naming both records.
    let found = on_both_stores(&steps(&[create.clone(), login("in-10", 600)])).await;
    assert_eq!(counts(&found), [(PAIR, 1)].into());
    assert_eq!(found[0].event_ids, vec!["clp-1", "in-10"]);
    // Exactly 60 minutes: still; 61 minutes: nothing.
    assert_eq!(
        counts(&on_both_stores(&steps(&[create.clone(), login("in-60", 3600)])).await),
        [(PAIR, 1)].into()
    );
    assert!(
        on_both_stores(&steps(&[create.clone(), login("in-61", 3660)]))
            .await
            .is_empty()
    );
    // The login arrives before the creation: a finding all the same.
    let found = on_both_stores(&steps(&[login("first", 900), create.clone()])).await;
    assert_eq!(counts(&found), [(PAIR, 1)].into());
    assert_eq!(found[0].event_ids, vec!["clp-1", "first"]);
    // A login before the creation in event time: nothing.
    assert!(
        on_both_stores(&steps(&[login("before", -60), create.clone()]))
            .await
            .is_empty()
    );
    // Another address, another user: nothing.
    assert!(
        on_both_stores(&steps(&[
            create.clone(),
            console_login("other-ip", 60, "harold", "203.0.113.1"),
            console_login("other-user", 60, "irene", ip),
        ]))
        .await
        .is_empty()
    );
    // Several logins after one creation, retried: one finding.
    let found = on_both_stores(&steps(&[
        create.clone(),
        login("l1", 60),
        login("l2", 120),
        login("l1", 60),
        create.clone(),
        login("l3", 180),
    ]))
    .await;
    assert_eq!(counts(&found), [(PAIR, 1)].into());
}

/// `StopInstances` or `StartInstances` (`name`) of `instances` (i-000 and on),
/// or the user data of `instances` instance ids replaced, by one role.
fn instances_call(id: &str, secs: i64, name: &str, instances: usize) -> String {
    let params = if name == "ModifyInstanceAttribute" {
        format!(r#"{{"instanceId":"i-{instances:03}","userData":"<sensitiveDataRemoved>"}}"#)
    } else {
        let items: Vec<String> = (0..instances)
            .map(|i| format!(r#"{{"instanceId":"i-{i:03}"}}"#))
            .collect();
        format!(
            r#"{{"instancesSet":{{"items":[{}]}},"force":false}}"#,
            items.join(",")
        )
    };
    format!(
        r#"{{"eventVersion":"1.09","userIdentity":{{"type":"AssumedRole","principalId":"AROAEXAMPLEROLEID:ops","arn":"arn:aws:sts::444455556666:assumed-role/Operators/ops","accountId":"444455556666","sessionContext":{{"sessionIssuer":{{"type":"Role","arn":"arn:aws:iam::444455556666:role/Operators","userName":"Operators"}}}}}},"eventTime":"{}","eventSource":"ec2.amazonaws.com","eventName":"{name}","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.50","userAgent":"aws-cli/2.17.20","requestParameters":{params},"responseElements":null,"eventID":"{id}","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"444455556666","eventCategory":"Management"}}"#,
        at(secs)
    )
}

/// A record naming hundreds of instances is hundreds of windows, which the
/// DynamoDB store takes sixteen at a time (`Store::steps_at_once`): the same
/// finding as one after another in memory, and every instance's observation
/// written.
#[tokio::test]
async fn a_record_naming_hundreds_of_instances_is_found_alike_on_both_stores() {
    let engine = Engine::with_detections(
        [
            trailwatch::catalog::by_id("ec2-stop-modify-user-data-start")
                .expect("in the catalogue"),
        ],
        Settings::default(),
    );
    let records = [
        instances_call("stop", 0, "StopInstances", 300),
        instances_call("modify", 60, "ModifyInstanceAttribute", 123),
        instances_call("start", 120, "StartInstances", 300),
    ];
    let memory = drive(&engine, &MemoryStore::default(), &steps(&records)).await;
    let t = table().await;
    let dynamo = drive(&engine, &t.store(), &steps(&records)).await;
    assert_eq!(as_json(&memory), as_json(&dynamo));
    assert_eq!(memory.len(), 1, "{:?}", as_json(&memory));
    assert_eq!(
        memory[0].evidence.get("instance_id"),
        Some(&serde_json::json!(["i-123"]))
    );
    assert_eq!(memory[0].event_ids, ["stop", "modify", "start"]);
    assert_eq!(t.requests.snapshot().get("PutItem"), Some(&601));
    assert_eq!(
        t.requests.most_at_once(),
        trailwatch::state::dynamodb::STEPS_AT_ONCE,
        "one request of each of sixteen windows under way together"
    );
}

/// A record that makes many findings (one per instance it starts after a
/// user-data change) has them leased, delivered and confirmed several at once
/// on DynamoDB (`engine::delivery`): every one delivered once, as in memory,
/// and handling the record again (a retry) delivers none of them twice.
#[tokio::test]
async fn a_record_making_many_findings_delivers_each_once() {
    let engine = Engine::with_detections(
        [
            trailwatch::catalog::by_id("ec2-stop-modify-user-data-start")
                .expect("in the catalogue"),
        ],
        Settings::default(),
    );
    let mut records = vec![instances_call("stop", 0, "StopInstances", 40)];
    records.extend(
        (0..40).map(|i| instances_call(&format!("modify-{i}"), 60, "ModifyInstanceAttribute", i)),
    );
    let start = instances_call("start", 120, "StartInstances", 40);
    records.push(start.clone());
    let by_id = |mut f: Vec<Finding>| {
        f.sort_by(|a, b| a.finding_id.cmp(&b.finding_id));
        as_json(&f)
    };
    let memory = drive(&engine, &MemoryStore::default(), &steps(&records)).await;
    let t = table().await;
    let dynamo = drive(&engine, &t.store(), &steps(&records)).await;
    assert_eq!(memory.len(), 40);
    assert_eq!(by_id(memory), by_id(dynamo));

    let again = drive(&engine, &t.store(), &steps(&[start])).await;
    assert!(again.is_empty(), "{:?}", as_json(&again));
}

// ---------------------------------------------------------------------------
// Concurrency: many invocations cross the threshold at once

/// How many times [`all_at_once`] handles a record that meets another
/// delivery's lease. The clock stands still (`NOW`), so a lease never lapses:
/// a retry succeeds once the lease's holder has confirmed or given it back.
/// Each attempt waits about 1.5 s for that itself (`engine::LEASE_POLLS`).
const LEASED_ATTEMPTS: usize = 20;

/// Starts every record on its own task at once; returns the delivered findings.
/// A record that fails on another delivery's lease ([`HandleError::Leased`],
/// which a slow moto makes likelier) is handled again, as Lambda retries the
/// invocation, at most [`LEASED_ATTEMPTS`] times in all; any other failure
/// fails the test.
async fn all_at_once<S: Store + 'static>(
    engine: &Arc<Engine>,
    store: &Arc<S>,
    records: Vec<String>,
) -> Vec<Finding> {
    let out = Arc::new(Collect::default());
    let start = Arc::new(tokio::sync::Barrier::new(records.len()));
    let tasks: Vec<_> = records
        .into_iter()
        .map(|json| {
            let (engine, store, out, start) =
                (engine.clone(), store.clone(), out.clone(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                let mut attempt = 1;
                loop {
                    match handle(&engine, &*store, &*out, &json, NOW).await {
                        Err(HandleError::Leased { .. }) if attempt < LEASED_ATTEMPTS => {
                            attempt += 1
                        }
                        other => return other,
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        t.await
            .expect("task")
            .unwrap_or_else(|e| panic!("handle failed: {e}"));
    }
    out.take()
}

/// `rounds` rounds, each on a fresh store from `new_store` and with fresh groups.
async fn concurrency_rounds<S, F, Fut>(new_store: F, rounds: usize)
where
    S: Store + 'static,
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = S>,
{
    let engine = Arc::new(engine());
    for round in 0..rounds {
        // A fresh table each round keeps moto fast (it copies the whole table for
        // every transaction and scans it for every query).
        let store = Arc::new(new_store().await);
        // 32 distinct instances, 4 s apart from 12:04:00 (across 12:05): every
        // invocation may see a full window, with spans starting in two buckets.
        let actor = format!("conc{round}");
        let records: Vec<String> = (0..32)
            .map(|i| {
                get_password_data(
                    &format!("{actor}-{i}"),
                    240 + 4 * i as i64,
                    &actor,
                    &format!("i-{i}"),
                )
            })
            .collect();
        let found = all_at_once(&engine, &store, records).await;
        assert_eq!(counts(&found), [(BURST, 1)].into(), "round {round}");

        // The two below in every other round: moto is slow (tens of ms a query).
        if round % 2 == 1 {
            continue;
        }
        // 32 console loads from 32 addresses.
        let ips: Vec<String> = (0..32)
            .map(|i| {
                console_load(
                    &format!("{actor}-ip-{i}"),
                    280 + i,
                    &actor,
                    &format!("192.0.2.{i}"),
                )
            })
            .collect();
        let found = all_at_once(&engine, &store, ips).await;
        // One finding, and at most one more (under the group's news claim) for
        // addresses the first did not name, when a load reached the group
        // after the first finding was remembered: every address of the burst
        // paging on its own is the failure this guards against.
        assert!(
            (1..=2).contains(&found.len()),
            "round {round}: {:?}",
            counts(&found)
        );
        assert!(found.iter().all(|f| f.detection_id == SESSIONS));
        if let [first, second] = found.as_slice() {
            let named = first
                .evidence
                .get("distinct_values")
                .and_then(|v| v.as_array());
            let new = second
                .evidence
                .get("new_sources")
                .and_then(|v| v.as_array());
            let new = new.unwrap_or_else(|| panic!("round {round}: no new source in {second:?}"));
            assert!(!new.is_empty() && new.iter().all(|a| named.is_none_or(|n| !n.contains(a))));
        }

        // One new console password and 31 logins with it.
        let user = format!("user{round}");
        let mut pair = vec![create_login_profile(
            &format!("{user}-c"),
            0,
            &user,
            "192.0.2.200",
        )];
        pair.extend(
            (0..31).map(|i| console_login(&format!("{user}-l{i}"), 10 + i, &user, "192.0.2.200")),
        );
        let found = all_at_once(&engine, &store, pair).await;
        assert_eq!(counts(&found), [(PAIR, 1)].into(), "round {round}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_invocations_give_exactly_one_finding_dynamodb() {
    // A server of its own, as the replay test below: the two longest tests here
    // then run side by side. Six rounds, not the memory store's twenty: each
    // round costs moto about 6.5 s of one core (twenty were 130 s, the longest
    // test of CI), and its Python runs one thread at a time, so more rounds add
    // few interleavings the first six and the memory store's twenty do not.
    let moto = Moto::start();
    concurrency_rounds(|| async { Table::new(&moto.endpoint).await.store() }, 6).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_invocations_give_exactly_one_finding_memory() {
    concurrency_rounds(|| async { MemoryStore::default() }, 20).await;
}

// ---------------------------------------------------------------------------
// Retries and failures

/// A live step per record, each handed over a minute after its event time.
fn live(records: &[(i64, String)]) -> Vec<Step> {
    records
        .iter()
        .map(|(secs, json)| Step {
            json: json.clone(),
            now: BASE + secs + 60,
        })
        .collect()
}

/// One engineer's two VPN egress addresses, in use all day: the console
/// sessions window reports them once, not in every window they meet again
/// (from a review: every window paged). A third address is news and names
/// itself; a day after the finding the same two are reported again.
#[tokio::test]
async fn a_window_reports_the_same_values_once_a_day_and_any_new_one_at_once() {
    let pair = |id: &str, secs: i64| {
        [
            (
                secs,
                console_load(&format!("{id}-a"), secs, "rosa", "198.51.100.7"),
            ),
            (
                secs + 20,
                console_load(&format!("{id}-b"), secs + 20, "rosa", "203.0.113.40"),
            ),
        ]
    };
    let mut records: Vec<(i64, String)> = Vec::new();
    // Every half hour for five hours: the same two addresses.
    for i in 0..10 {
        records.extend(pair(&format!("vpn{i}"), 1800 * i));
    }
    let found = on_both_stores(&live(&records)).await;
    assert_eq!(counts(&found), [(SESSIONS, 1)].into(), "{found:#?}");
    assert!(found[0].evidence.get("new_values").is_none());

    // A third address six hours in: reported, naming the address that is new.
    records.push((
        6 * 3600,
        console_load("new-1", 6 * 3600, "rosa", "192.0.2.99"),
    ));
    records.push((
        6 * 3600 + 30,
        console_load("new-2", 6 * 3600 + 30, "rosa", "198.51.100.7"),
    ));
    let found = on_both_stores(&live(&records)).await;
    assert_eq!(counts(&found), [(SESSIONS, 2)].into(), "{found:#?}");
    assert_eq!(
        found[1].evidence.get("new_values"),
        Some(&serde_json::json!(["192.0.2.99"]))
    );
    assert_eq!(
        listed(&found[1]),
        ["192.0.2.99", "198.51.100.7"].map(String::from).into()
    );

    // A day and a minute after the first finding the pair is reported again:
    // the second address was last reported over a day ago (the first was in
    // the second finding, within the day).
    records.extend(pair("next-day", 86_400 + 60));
    let found = on_both_stores(&live(&records)).await;
    assert_eq!(counts(&found), [(SESSIONS, 3)].into(), "{found:#?}");
    assert_eq!(
        found[2].evidence.get("new_values"),
        Some(&serde_json::json!(["203.0.113.40"]))
    );

    // A new address delivered before the loads it makes a burst with, in a
    // span after one that only repeats (from a review: only the earliest span
    // holding the last record was looked at, a repeat, and nothing fired).
    let early = [
        (0, console_load("oo-1", 0, "vic", "198.51.100.7")),
        (20, console_load("oo-2", 20, "vic", "203.0.113.40")),
        (3350, console_load("oo-3", 3350, "vic", "198.51.100.7")),
        (3360, console_load("oo-4", 3360, "vic", "203.0.113.40")),
        (3700, console_load("oo-5", 3700, "vic", "192.0.2.77")),
        (3500, console_load("oo-6", 3500, "vic", "198.51.100.7")),
    ];
    let found = on_both_stores(&live(&early)).await;
    assert_eq!(counts(&found), [(SESSIONS, 2)].into(), "{found:#?}");
    assert_eq!(
        found[1].evidence.get("new_values"),
        Some(&serde_json::json!(["192.0.2.77"]))
    );

    // Another engineer's same two addresses are another group: reported.
    let other: Vec<(i64, String)> = pair("vpn0", 0)
        .into_iter()
        .chain(pair("sam", 3600).map(|(t, j)| (t, j.replace("rosa", "sam"))))
        .collect();
    let found = on_both_stores(&live(&other)).await;
    assert_eq!(counts(&found), [(SESSIONS, 2)].into(), "{found:#?}");
}

/// A new address minutes after a reported burst, within the buckets its claim
/// holds, was merged into that finding (from a review: the routine pair's daily
/// finding became a time an intruder could predict). It is reported under a
/// claim of news, once per window; the known pair's loads and the burst's own
/// growth stop at the claims.
#[tokio::test]
async fn a_new_caller_under_a_reported_claim_is_reported_once_per_window() {
    let load = |id: &str, secs: i64, ip: &str| (secs, console_load(id, secs, "rosa", ip));
    let records = [
        load("nc-1", 0, "198.51.100.7"),
        load("nc-2", 20, "203.0.113.40"),
        // The known pair again, under the claim: nothing.
        load("nc-3", 60, "198.51.100.7"),
        load("nc-4", 80, "203.0.113.40"),
        // A new address: reported, naming it.
        load("nc-5", 150, "192.0.2.99"),
        // Another, in the same window: merged into the news finding.
        load("nc-6", 170, "192.0.2.100"),
        load("nc-7", 200, "198.51.100.7"),
        // And its retry: nothing more.
        load("nc-5", 150, "192.0.2.99"),
    ];
    let found = on_both_stores(&live(&records)).await;
    assert_eq!(counts(&found), [(SESSIONS, 2)].into(), "{found:#?}");
    assert!(found[0].evidence.get("new_sources").is_none());
    assert_eq!(
        found[1].evidence.get("new_sources"),
        Some(&serde_json::json!(["192.0.2.99"]))
    );
    assert_eq!(found[1].event_ids.last().map(String::as_str), Some("nc-5"));

    // A hotel address at 08:06 is news under the 08:00 finding's claim; an
    // intruder at 08:11, whose window's group claim is free, takes that claim
    // as it did before claims of news (from a review: the first version took
    // the news claim first, whose guard then held the intruder's window).
    let dana = |id: &str, secs: i64, ip: &str| (secs, console_load(id, secs, "dana", ip));
    let records = [
        dana("hn-1", 10, "198.51.100.7"),
        dana("hn-2", 40, "203.0.113.40"),
        dana("hn-3", 360, "192.0.2.77"),
        dana("hn-4", 380, "198.51.100.7"),
        dana("hn-5", 660, "198.51.100.7"),
        dana("hn-6", 690, "45.133.1.20"),
    ];
    last_names(&records, 3, "45.133.1.20").await;

    // A record of the first finding's span delivered after it (an earlier
    // time than the record that made the finding) finds the memory: it is
    // dated at the span's start (from a review: it was dated at the record
    // that made the finding, and the earlier record read nothing).
    let records = [
        dana("late-1", 10, "198.51.100.7"),
        dana("late-2", 180, "203.0.113.40"),
        dana("late-3", 120, "45.133.1.20"),
    ];
    last_names(&records, 2, "45.133.1.20").await;

    // A record just before the reported span, delivered after it, reads the
    // memory up to a window after it (a second review: it read up to its own
    // time, found nothing, and was refused by the group's claim).
    let records = [
        dana("early-1", 600, "198.51.100.7"),
        dana("early-2", 630, "203.0.113.40"),
        dana("early-3", 570, "45.133.1.20"),
    ];
    last_names(&records, 2, "45.133.1.20").await;

    // A laptop's next temporary IPv6 address in the reported /64 is the same
    // place (a second review: it paged again as a new caller).
    let records = [
        dana("v6-1", 0, "198.51.100.7"),
        dana("v6-2", 20, "2001:db8:4:5::1"),
        dana("v6-3", 140, "2001:db8:4:5::2"),
        dana("v6-4", 150, "198.51.100.7"),
    ];
    let found = on_both_stores(&live(&records)).await;
    assert_eq!(counts(&found), [(SESSIONS, 1)].into(), "{found:#?}");
}

/// Runs `records` live on both stores: `n` console-session findings, the last
/// naming `source`, and no other, as new.
async fn last_names(records: &[(i64, String)], n: usize, source: &str) {
    let found = on_both_stores(&live(records)).await;
    assert_eq!(counts(&found), [(SESSIONS, n)].into(), "{found:#?}");
    assert_eq!(
        found[n - 1].evidence.get("new_sources"),
        Some(&serde_json::json!([source]))
    );
}

/// The memory of reported values is written only once a finding is notified:
/// a delivery that fails leaves nothing to hold back its retry, nor the same
/// values' next span.
async fn a_failed_delivery_remembers_nothing<S: Store>(store: &S) -> Vec<Finding> {
    let engine = engine();
    let sns = FailFirst::new(1);
    let first = [
        console_load("fd-1", 0, "tara", "198.51.100.7"),
        console_load("fd-2", 20, "tara", "203.0.113.40"),
    ];
    assert!(
        handle(&engine, store, &sns, &first[0], BASE + 60)
            .await
            .unwrap()
            .is_empty()
    );
    match handle(&engine, store, &sns, &first[1], BASE + 80).await {
        Err(HandleError::Notify(_)) => {}
        other => panic!("expected a delivery failure, got {other:?}"),
    }
    // Not retried (the event was lost); the same two addresses an hour later
    // are reported, since nothing was.
    let later = [
        console_load("fd-3", 3600, "tara", "198.51.100.7"),
        console_load("fd-4", 3620, "tara", "203.0.113.40"),
    ];
    for r in &later {
        handle(&engine, store, &sns, r, BASE + 3700).await.unwrap();
    }
    // And now that it was, two hours later they are not.
    let again = [
        console_load("fd-5", 7200, "tara", "198.51.100.7"),
        console_load("fd-6", 7220, "tara", "203.0.113.40"),
    ];
    for r in &again {
        assert!(
            handle(&engine, store, &sns, r, BASE + 7300)
                .await
                .unwrap()
                .is_empty()
        );
    }
    let delivered = sns.delivered.take();
    assert_eq!(counts(&delivered), [(SESSIONS, 1)].into(), "{delivered:#?}");
    assert_eq!(delivered[0].event_ids, ["fd-3", "fd-4"]);
    delivered
}

#[tokio::test]
async fn a_failed_delivery_leaves_its_values_unremembered() {
    let memory = a_failed_delivery_remembers_nothing(&MemoryStore::default()).await;
    let dynamo = a_failed_delivery_remembers_nothing(&table().await.store()).await;
    assert_eq!(as_json(&memory), as_json(&dynamo));
}

async fn retries<S: Store>(store: &S) {
    let engine = engine();
    let records = burst("nina", 0, 11);
    let out = Collect::default();
    for r in &records {
        handle(&engine, store, &out, r, NOW).await.unwrap();
    }
    assert_eq!(out.take().len(), 1);
    // A Lambda retry of the last record, then a re-delivery of everything.
    for r in records.iter().rev().chain(&records) {
        assert!(
            handle(&engine, store, &out, r, NOW + 60)
                .await
                .unwrap()
                .is_empty()
        );
    }
    assert!(out.take().is_empty());
}

async fn failed_delivery<S: Store>(store: &S) -> Vec<Finding> {
    let engine = engine();
    let records = burst("olga", 0, 11);
    let sns = FailFirst::new(1);
    for r in &records[..10] {
        assert!(
            handle(&engine, store, &sns, r, NOW)
                .await
                .unwrap()
                .is_empty()
        );
    }
    // The publish fails: the invocation fails and the claim is given back.
    match handle(&engine, store, &sns, &records[10], NOW).await {
        Err(HandleError::Notify(e)) => assert!(e.0.contains("simulated"), "{e}"),
        other => panic!("expected a delivery failure, got {other:?}"),
    }
    assert!(sns.delivered.take().is_empty());
    // Lambda retries it: delivered exactly once, and never again.
    let found = handle(&engine, store, &sns, &records[10], NOW + 5)
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    for r in &records {
        assert!(
            handle(&engine, store, &sns, r, NOW + 10)
                .await
                .unwrap()
                .is_empty()
        );
    }
    let delivered = sns.delivered.take();
    assert_eq!(delivered.len(), 1);
    delivered
}

#[tokio::test]
async fn a_retried_record_sends_nothing_new() {
    retries(&MemoryStore::default()).await;
    retries(&table().await.store()).await;
}

#[tokio::test]
async fn a_failed_publish_is_delivered_once_on_retry() {
    let memory = failed_delivery(&MemoryStore::default()).await;
    let dynamo = failed_delivery(&table().await.store()).await;
    assert_eq!(as_json(&memory), as_json(&dynamo));
}

#[tokio::test]
async fn a_dead_endpoint_fails_the_invocation_and_the_retry_delivers_once() {
    let moto = Moto::start();
    let t = Table::new(&moto.endpoint).await;
    let store = t.store();
    let engine = engine();
    let out = Collect::default();
    let records = burst("pete", 0, 11);
    for r in &records[..10] {
        assert!(
            handle(&engine, &store, &out, r, NOW)
                .await
                .unwrap()
                .is_empty()
        );
    }

    moto.stop();
    let err = handle(&engine, &store, &out, &records[10], NOW)
        .await
        .expect_err("DynamoDB is gone: the invocation must fail");
    let msg = err.to_string();
    assert!(matches!(err, HandleError::Store(_)), "{msg}");
    assert!(
        msg.contains("DynamoDB PutItem")
            && msg.contains(&t.name)
            && msg.contains("connection failed: "),
        "unclear error: {msg}"
    );
    // A short cause, not the SDK's Debug dump of the error chain.
    assert!(
        !msg.contains("ConnectorError") && !msg.contains('{') && msg.len() < 500,
        "{msg}"
    );
    assert!(out.take().is_empty(), "nothing delivered while failing");

    // moto comes back empty (DynamoDB would have kept the table and its items):
    // recreate the table and the items the first ten invocations wrote.
    moto.restart();
    trailwatch::state::dynamodb::create_table(&t.client, &t.name)
        .await
        .expect("table recreated");
    for r in &records[..10] {
        assert!(
            handle(&engine, &store, &out, r, NOW)
                .await
                .unwrap()
                .is_empty()
        );
    }
    // The retried invocation delivers the finding, once.
    let found = handle(&engine, &store, &out, &records[10], NOW + 30)
        .await
        .expect("retry succeeds");
    assert_eq!(counts(&found), [(BURST, 1)].into());
    assert!(
        handle(&engine, &store, &out, &records[10], NOW + 60)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(out.take().len(), 1);
    moto.stop();
}

// ---------------------------------------------------------------------------
// Event time (replay, backtests): last year's records meet as they did then

/// A successful `GetFederationToken` by IAM user `user` (a first-seen detection
/// with a 10-day history).
fn federation_token(id: &str, secs: i64, user: &str) -> String {
    format!(
        r#"{{"eventVersion":"1.08","userIdentity":{{"type":"IAMUser","principalId":"AIDAEXAMPLE{user}","arn":"arn:aws:iam::444455556666:user/{user}","accountId":"444455556666","accessKeyId":"AKIAEXAMPLE","userName":"{user}"}},"eventTime":"{}","eventSource":"sts.amazonaws.com","eventName":"GetFederationToken","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.9","userAgent":"aws-cli/2.15.0","requestParameters":{{"name":"ops-temp","durationSeconds":3600}},"responseElements":{{"federatedUser":{{"arn":"arn:aws:sts::444455556666:federated-user/ops-temp","federatedUserId":"444455556666:ops-temp"}}}},"requestID":"r-{id}","eventID":"{id}","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"444455556666","eventCategory":"Management"}}"#,
        at(secs)
    )
}

fn wall_clock() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

const FIRST_SEEN: &str = "sts-federation-token-first-seen";

/// `Clock::EventTime` (what replay and backtests use): a burst of a year ago is
/// found, and a first-seen term unseen for its 10 days of event time (not ten
/// days after its first sighting) fires again,
/// on both stores alike; DynamoDB keeps last year's items (TTL from the wall
/// clock) and compares their event-time validity. Live, the same records at one
/// wall-clock instant fire the term once.
#[tokio::test]
async fn event_time_finds_last_years_burst_and_recurring_terms_on_both_stores() {
    const DAY: i64 = 86_400;
    let engine = |settings: Settings| {
        Engine::with_detections(
            [BURST, FIRST_SEEN]
                .iter()
                .map(|id| trailwatch::catalog::by_id(id).expect("in the catalogue")),
            settings,
        )
    };
    let year_ago = -365 * DAY;
    let mut records = burst("yuri", year_ago, 11);
    // alice's token on days 0 (new), 5 (seen: known until day 15), 14 (seen
    // within ten days of day 5), 25 (unseen for eleven days: new again), 26.
    for (i, day) in [0, 5, 14, 25, 26].into_iter().enumerate() {
        records.push(federation_token(
            &format!("fed-{i}"),
            year_ago + 3600 + day * DAY,
            "alice",
        ));
    }
    let wall = wall_clock();
    let steps = steps_at(&records, wall);
    let replay = engine(Settings::for_replay());
    let memory = drive(&replay, &MemoryStore::default(), &steps).await;
    let t = table().await;
    let store = t.store().with_validity(Validity::EventTime {
        keep_secs: EVENT_TIME_KEEP_SECS,
    });
    let dynamo = drive(&replay, &store, &steps).await;
    assert_eq!(as_json(&memory), as_json(&dynamo));
    assert_eq!(counts(&memory), [(BURST, 1), (FIRST_SEEN, 2)].into());
    let fired: Vec<&str> = memory
        .iter()
        .filter(|f| f.detection_id == FIRST_SEEN)
        .flat_map(|f| f.event_ids.iter().map(String::as_str))
        .collect();
    assert_eq!(fired, ["fed-0", "fed-3"]);

    // Every item is valid in last year's time and kept by TTL well past the run.
    let items = scan_all(&t).await;
    assert!(items.len() > 11, "observations and claims: {}", items.len());
    let number = |item: &std::collections::HashMap<String, AttributeValue>, k: &str| {
        item.get(k)
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse::<i64>().ok())
            .unwrap_or_else(|| panic!("no {k} in {item:?}"))
    };
    for item in &items {
        assert!(!item.contains_key(schema::LEASE), "a lease left: {item:?}");
        assert!(
            number(item, schema::VALID_UNTIL) < wall - 300 * DAY,
            "{item:?}"
        );
        assert!(
            number(item, schema::TTL_ATTRIBUTE) >= wall + EVENT_TIME_KEEP_SECS,
            "{item:?}"
        );
    }

    // Live mode is unchanged: the wall clock says no time has passed.
    let live = drive(
        &engine(Settings::default()),
        &MemoryStore::default(),
        &steps,
    )
    .await;
    assert_eq!(counts(&live), [(BURST, 1), (FIRST_SEEN, 1)].into());
}

// ---------------------------------------------------------------------------
// The CLI: `trailwatch replay --state dynamodb`

fn replay(moto: &Moto, args: &[&str]) -> std::process::Output {
    trailwatch_tests::trailwatch_on(&moto.endpoint)
        .arg("replay")
        .args(args)
        .output()
        .expect("trailwatch runs")
}

/// One sample directory in this many of a stateless detection's is replayed on
/// DynamoDB by `replay_on_dynamodb_finds_what_replay_in_memory_finds`; every
/// stateful detection's is. A stateless finding touches the table only through
/// its claim, the same two requests whatever the detection, and lambda_e2e.rs
/// already sends every sample through the handlers on DynamoDB.
const STATELESS_SAMPLE_EVERY: usize = 8;

/// How many of the first streams with findings the test replays a second time.
const REPLAYED_AGAIN: usize = 3;

#[test]
fn replay_on_dynamodb_finds_what_replay_in_memory_finds() {
    // A server of its own: the longest test here (two replays of every sample,
    // one request at a time) then runs beside the others instead of queueing
    // behind them on the shared server's one Python process.
    let moto = Moto::start();
    let root = trailwatch_tests::root().join("events");
    let events = root.to_str().expect("utf-8 path");
    let table = unique("cli");

    let missing = replay(&moto, &["--state", "dynamodb", "--table", &table, events]);
    assert_eq!(missing.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(
        stderr.contains("does not exist") && stderr.contains("--create-table"),
        "{stderr}"
    );
    let misuse = replay(&moto, &["--table", &table, events]);
    assert_eq!(misuse.status.code(), Some(2));

    // Each chosen sample directory is a stream: replayed in memory, then into a
    // table of its own, then (the first few) into it again. One table per
    // directory: moto 5.2's Query reads every item of the table (DynamoDB reads
    // one partition), so the test's time grew with the items a table held (20
    // streams of consecutive directories took about 100 s on a 2-core VM; one
    // directory each, 49 s for all of them).
    let mut dirs: Vec<(String, bool)> = std::fs::read_dir(&root)
        .expect("events/")
        .map(|e| e.expect("a directory entry").path())
        .map(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            let stateful = trailwatch::catalog::by_id(name).is_some_and(|d| d.meta().stateful());
            (p.to_str().expect("utf-8 path").to_owned(), stateful)
        })
        .collect();
    dirs.sort();
    let stateful = trailwatch::catalog::ALL
        .iter()
        .filter(|d| d.meta().stateful())
        .count();
    assert_eq!(
        dirs.iter().filter(|(_, s)| *s).count(),
        stateful,
        "one sample directory per stateful detection, named by its id"
    );
    let mut stateless_seen = 0;
    dirs.retain(|(_, stateful)| {
        *stateful || {
            stateless_seen += 1;
            stateless_seen % STATELESS_SAMPLE_EVERY == 1
        }
    });
    let lines = |o: &std::process::Output| -> Vec<String> {
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(str::to_owned)
            .collect()
    };
    let (mut found, mut replayed_again) = (Vec::new(), 0);
    for (dir, _) in &dirs {
        let table = unique("cli");
        let memory = replay(&moto, &["--format", "jsonl", dir]);
        assert!(
            memory.status.success(),
            "{}",
            String::from_utf8_lossy(&memory.stderr)
        );
        let dynamo_args = [
            "--format", "jsonl", "--state", "dynamodb", "--table", &table,
        ];
        let dynamo = replay(
            &moto,
            &[&dynamo_args[..], &["--create-table", dir]].concat(),
        );
        assert!(
            dynamo.status.success(),
            "{}",
            String::from_utf8_lossy(&dynamo.stderr)
        );
        let (m, d) = (lines(&memory), lines(&dynamo));
        assert_eq!(
            m, d,
            "replay findings differ between memory and DynamoDB on {dir}"
        );

        // A second replay into the same table delivers nothing: every finding's
        // claim is held (idempotency across runs, as for Lambda retries).
        if replayed_again < REPLAYED_AGAIN && !m.is_empty() {
            replayed_again += 1;
            let again = replay(&moto, &[&dynamo_args[..], &[dir.as_str()]].concat());
            assert!(again.status.success());
            assert!(lines(&again).is_empty(), "{:?}", lines(&again));
        }
        found.extend(m);
    }
    assert_eq!(replayed_again, REPLAYED_AGAIN);
    assert!(found.len() > 100, "{} findings", found.len());
    for id in [BURST, SESSIONS, PAIR] {
        assert!(
            found.iter().any(|l| l.contains(id)),
            "no {id} finding in the samples"
        );
    }
}

// ---------------------------------------------------------------------------
// The pipeline heartbeat: `Store::beat`/`members` on both stores, and the
// pipeline function's live path (canaries, scheduled check) on DynamoDB.

async fn heartbeat_contract<S: Store>(s: &S) -> Vec<String> {
    use trailwatch::state::Beat;
    let mut log = Vec::new();
    let t0 = BASE * 1000;
    for (member, t) in [
        ("a|eu-west-1", t0),
        ("a|eu-west-1", t0 + 300_000),
        ("a|eu-west-1", t0 + 300_000),
        ("a|eu-west-1", t0 + 100_000),
        ("b|us-east-1", t0 + 50_000),
    ] {
        let b = s.beat("hb", member, t, NOW + 86_400, NOW).await.unwrap();
        log.push(format!("{member} {t} {b:?}"));
    }
    assert_eq!(
        log[..4],
        [
            format!("a|eu-west-1 {t0} {:?}", Beat::First),
            format!("a|eu-west-1 {} {:?}", t0 + 300_000, Beat::After(t0)),
            // A retry of that heartbeat: its first answer, so that a finding
            // its first attempt failed to deliver is built again.
            format!("a|eu-west-1 {} {:?}", t0 + 300_000, Beat::After(t0)),
            format!("a|eu-west-1 {} {:?}", t0 + 100_000, Beat::Stale),
        ]
    );
    let members = s.members("hb", NOW).await.unwrap();
    assert_eq!(
        members,
        [
            ("a|eu-west-1".to_owned(), t0 + 300_000),
            ("b|us-east-1".to_owned(), t0 + 50_000)
        ]
    );
    // One member read alone: its last heartbeat, none for an unknown one.
    for (member, now) in [
        ("a|eu-west-1", NOW),
        ("c|sa-east-1", NOW),
        ("a|eu-west-1", NOW + 86_400),
    ] {
        let one = s.member("hb", member, now).await.unwrap();
        log.push(format!("{member} at {now}: {one:?}"));
    }
    assert_eq!(
        s.member("hb", "a|eu-west-1", NOW).await.unwrap(),
        Some(t0 + 300_000)
    );
    assert_eq!(s.member("hb", "c|sa-east-1", NOW).await.unwrap(), None);
    // Expired members are gone, and a beat after expiry starts afresh.
    assert!(s.members("hb", NOW + 86_400).await.unwrap().is_empty());
    assert_eq!(
        s.member("hb", "a|eu-west-1", NOW + 86_400).await.unwrap(),
        None
    );
    let b = s
        .beat(
            "hb",
            "a|eu-west-1",
            t0 + 900_000,
            NOW + 3 * 86_400,
            NOW + 2 * 86_400,
        )
        .await
        .unwrap();
    log.push(format!("after expiry {b:?}"));
    assert_eq!(b, Beat::First);
    // Its retry gets the same answer (a never-heard pair's restoration is
    // built from it again when its first delivery failed).
    let again = s
        .beat(
            "hb",
            "a|eu-west-1",
            t0 + 900_000,
            NOW + 3 * 86_400,
            NOW + 2 * 86_400 + 60,
        )
        .await
        .unwrap();
    log.push(format!("its retry {again:?}"));
    assert_eq!(again, Beat::First);
    assert!(s.members("other", NOW).await.unwrap().is_empty());
    log
}

#[tokio::test]
async fn both_stores_keep_heartbeats_alike() {
    let memory = heartbeat_contract(&MemoryStore::default()).await;
    let t = table().await;
    let dynamo = heartbeat_contract(&t.store()).await;
    assert_eq!(memory, dynamo);
    // A backtest's store: validity in `valid_until`, beside the TTL attribute.
    let event_time = t.store().with_validity(Validity::EventTime {
        keep_secs: EVENT_TIME_KEEP_SECS,
    });
    assert_eq!(memory, heartbeat_contract(&event_time).await);
}

fn canary_envelope(id: &str, secs: i64, account: &str, region: &str) -> String {
    serde_json::json!({
        "version": "0", "id": format!("env-{id}"), "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.ssm", "account": account, "time": at(secs), "region": region, "resources": [],
        "detail": {
            "eventVersion": "1.10", "eventSource": "ssm.amazonaws.com", "eventName": "PutParameter",
            "eventID": id, "eventTime": at(secs), "awsRegion": region, "recipientAccountId": account,
            "userIdentity": {"type": "AssumedRole", "accountId": account, "invokedBy": "scheduler.amazonaws.com",
                "arn": format!("arn:aws:sts::{account}:assumed-role/trailwatch-fwd-canary/s")},
            "requestParameters": {"name": "/trailwatch-fwd-canary", "type": "String", "overwrite": true},
            "responseElements": {"version": 3, "tier": "Standard"}
        }
    })
    .to_string()
}

const SCHEDULED: &str = r#"{"version":"0","id":"sched-1","detail-type":"Scheduled Event","source":"aws.events","account":"111122223333","time":"2026-04-11T13:00:00Z","region":"eu-west-1","resources":["arn:aws:events:eu-west-1:111122223333:rule/trailwatch-pipeline-check"],"detail":{}}"#;

/// The detection ids an invocation reports as delivered.
fn delivered_ids(out: &serde_json::Value) -> Vec<String> {
    out["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["detection_id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_pipeline_function_reports_a_silence_once_and_its_end() {
    use trailwatch::lambda::{Config, Handler};
    let t = table().await;
    let group = trailwatch::catalog::function("pipeline").expect("pipeline group");
    let config = Config::from_vars(
        group,
        [
            ("TRAILWATCH_TABLE".to_owned(), t.name.clone()),
            (
                "TRAILWATCH_TOPIC_ARN".to_owned(),
                "arn:aws:sns:eu-west-1:111122223333:tw".to_owned(),
            ),
        ],
    )
    .expect("config");
    let store = t.store();
    let h = Handler::new(&config, store.clone(), Collect::default());
    let (acct, region) = ("444455556666", "eu-west-1");
    // Canaries every 5 minutes for half an hour: nothing to report.
    for i in 0..6 {
        let out = h
            .handle_at(
                &canary_envelope(&format!("c{i}"), i * 300, acct, region),
                "r",
                BASE + i * 300,
            )
            .await
            .expect("canary handled");
        assert!(delivered_ids(&out).is_empty(), "{out}");
    }
    let last = BASE + 5 * 300;
    // Ten minutes after the last canary: still within the threshold.
    let out = h
        .handle_at(SCHEDULED, "r", last + 600)
        .await
        .expect("check");
    assert!(delivered_ids(&out).is_empty(), "{out}");
    // Twenty minutes after: silent, reported once however often the check runs.
    let out = h
        .handle_at(SCHEDULED, "r", last + 1200)
        .await
        .expect("check");
    assert_eq!(delivered_ids(&out), ["pipeline-silent"], "{out}");
    for later in [1500, 3600, 7200] {
        let out = h
            .handle_at(SCHEDULED, "r", last + later)
            .await
            .expect("check");
        assert!(delivered_ids(&out).is_empty(), "{out}");
    }
    // The canary returns: restored. Its first publish fails; the retry of the
    // same canary still reports it (the heartbeat answers the retry as it
    // answered the first attempt), once; and the next check finds nothing.
    let back = last + 7500;
    let flaky = Handler::new(&config, store.clone(), FailFirst::new(1));
    let canary = canary_envelope("c-back", back - BASE, acct, region);
    let first = flaky.handle_at(&canary, "r", back).await;
    assert!(first.is_err(), "{first:?}");
    let out = flaky
        .handle_at(&canary, "r", back + 60)
        .await
        .expect("canary handled");
    assert_eq!(delivered_ids(&out), ["pipeline-restored"], "{out}");
    let out = flaky
        .handle_at(&canary, "r", back + 120)
        .await
        .expect("canary handled");
    assert!(delivered_ids(&out).is_empty(), "{out}");
    let out = h.handle_at(SCHEDULED, "r", back + 60).await.expect("check");
    assert!(delivered_ids(&out).is_empty(), "{out}");
    // A second outage is a second finding.
    let out = h
        .handle_at(SCHEDULED, "r", back + 1200)
        .await
        .expect("check");
    assert_eq!(delivered_ids(&out), ["pipeline-silent"], "{out}");
}

/// First-seen history in a backtest: batch Q takes a term, batch P (same run,
/// same key prefix, its own store) moves it, Q fails and gives its claim back,
/// then P takes the term anew from an older record and sees it again: the new
/// item moves as the first did (P must not trust what it knew of the old one).
async fn history_retaken_after_a_give_back<S1: Store, S2: Store>(p: &S1, q: &S2) -> Vec<String> {
    const D: i64 = 86_400;
    let wall = wall_clock();
    let at = |v: i64| Now::event_time(v, wall);
    let c = |e| Take::Confirmed { expires_at: e };
    let mut log = Vec::new();
    log.push(format!(
        "Q takes day 50: {:?}",
        q.claim("n|x", &[], c(60 * D), at(50 * D)).await.unwrap()
    ));
    log.push(format!(
        "P extends at day 59: {}",
        p.extend("n|x", 69 * D, D, at(59 * D)).await.unwrap()
    ));
    q.release("n|x", None).await.unwrap();
    log.push(format!(
        "P retakes at day 55: {:?}",
        p.claim("n|x", &[], c(65 * D), at(55 * D)).await.unwrap()
    ));
    log.push(format!(
        "P extends at day 58: {}",
        p.extend("n|x", 68 * D, D, at(58 * D)).await.unwrap()
    ));
    log.push(format!(
        "seen at day 66: {:?}",
        p.claim("n|x", &[], c(76 * D), at(66 * D)).await.unwrap()
    ));
    log
}

#[tokio::test]
async fn a_retaken_history_is_not_mistaken_for_the_one_given_back() {
    let memory = MemoryStore::default();
    let mem = history_retaken_after_a_give_back(&memory, &memory).await;
    let t = table().await;
    let prefix = format!("{}#", trailwatch_tests::unique("retaken"));
    let ev = Validity::EventTime {
        keep_secs: EVENT_TIME_KEEP_SECS,
    };
    let p = trailwatch::state::DynamoStore::new(t.client.clone(), &t.name, prefix.clone())
        .with_validity(ev);
    let q =
        trailwatch::state::DynamoStore::new(t.client.clone(), &t.name, prefix).with_validity(ev);
    let ddb = history_retaken_after_a_give_back(&p, &q).await;
    assert_eq!(mem, ddb);
}

#[tokio::test]
async fn history_moves_cost_one_request_then_none_within_the_slack() {
    let t = table().await;
    let s = t.store();
    let at = |v: i64| Now::live(v);
    s.claim("n|1", &[], Take::Confirmed { expires_at: 1_000 }, at(10))
        .await
        .unwrap();
    t.requests.reset();
    for i in 0..5 {
        let moved = s.extend("n|1", 1_050 + i, 100, at(20 + i)).await.unwrap();
        assert!(!moved);
    }
    assert_eq!(
        t.requests.snapshot().get("UpdateItem").copied(),
        Some(1),
        "one refused UpdateItem, then known"
    );
}

/// Under shadow, dedup and learning, a term seen every six days stays known.
#[tokio::test]
async fn history_moves_under_tuning_and_learning() {
    const DAY: i64 = 86_400;
    let wall = wall_clock();
    let base = -365 * DAY;
    for (name, toml, learn) in [
        ("untuned", "", false),
        (
            "shadow",
            "[detections.sts-federation-token-first-seen]\nmode = \"shadow\"\n",
            false,
        ),
        (
            "dedup",
            "[detections.sts-federation-token-first-seen]\ndedup_secs = 60\ndedup_by = [\"actor\"]\n",
            false,
        ),
        ("learning", "", true),
    ] {
        let mut settings = Settings::for_replay();
        if learn {
            // Learn through day 12; days 18 and 24 must still be known.
            settings.learn_until_ms = Some((BASE + base + 3600 + 13 * DAY) * 1000);
        }
        let engine =
            Engine::with_detections([trailwatch::catalog::by_id(FIRST_SEEN).unwrap()], settings);
        if !toml.is_empty() {
            let t = trailwatch::tuning::Tuning::parse(toml, "t.toml", wall / DAY)
                .unwrap_or_else(|p| panic!("{p:?}"));
            engine.set_tuning(Some(Arc::new(t)));
        }
        // Each sighting: whether it was decided (notified, shadowed...).
        async fn sightings<S: Store>(
            engine: &Engine,
            store: &S,
            base: i64,
            wall: i64,
        ) -> Vec<bool> {
            let out = Collect::default();
            let mut decided = Vec::new();
            for (i, d) in [0, 6, 12, 18, 24].into_iter().enumerate() {
                let json = federation_token(&format!("fed-{i}"), base + 3600 + d * DAY, "alice");
                let rec = trailwatch::event::Record::from_json(&json).unwrap();
                let got = engine.handle(&rec, store, &out, wall).await.unwrap();
                decided.push(!got.is_empty());
            }
            decided
        }
        let want = if learn {
            [false; 5]
        } else {
            [true, false, false, false, false]
        };
        let memory = sightings(&engine, &MemoryStore::default(), base, wall).await;
        assert_eq!(memory, want, "{name}, in memory");
        // docs/state.md lists this among the DynamoDB history tests: the same
        // on the table, under event time as a backtest runs it.
        let t = table().await;
        let store = t.store().with_validity(Validity::EventTime {
            keep_secs: EVENT_TIME_KEEP_SECS,
        });
        assert_eq!(
            sightings(&engine, &store, base, wall).await,
            want,
            "{name}, on DynamoDB"
        );
    }
}

/// A backtest batch's claims name it as their owner: a later attempt of the same
/// batch takes what an earlier one left (a confirmed claim, a lease, or a guard)
/// and does not count it held, so a batch that died with claims taken finds
/// its findings again; within one attempt, and for any other batch, claims
/// behave as they always do.
#[tokio::test]
async fn a_later_attempt_of_a_batch_takes_the_claims_an_earlier_one_left() {
    let t = table().await;
    let prefix = format!("{}#", trailwatch_tests::unique("owned"));
    let store = || {
        trailwatch::state::DynamoStore::new(t.client.clone(), &t.name, prefix.clone())
            .with_validity(Validity::EventTime {
                keep_secs: EVENT_TIME_KEEP_SECS,
            })
    };
    let wall = wall_clock();
    let now = Now::event_time(100, wall);
    let held = Take::Confirmed { expires_at: 1_000 };
    let window = "c|d|actor|1".to_owned();

    let first = store().with_owner("000007");
    assert_eq!(
        first.claim(&window, &[], held, now).await.unwrap(),
        Claimed::Taken
    );
    let dying = Lease::new(wall + 600);
    assert_eq!(
        first
            .claim("f|stateless", &[], Take::Lease(&dying), now)
            .await
            .unwrap(),
        Claimed::Taken
    );
    // The attempt dies here: nothing given back.

    let other = store().with_owner("000008");
    let live = store();
    for s in [&other, &live] {
        assert_eq!(
            s.claim(&window, &[], held, now).await.unwrap(),
            Claimed::Held
        );
        assert_eq!(
            s.claim("f|stateless", &[], held, now).await.unwrap(),
            Claimed::Leased { until: wall + 600 }
        );
    }
    // A batch whose name starts like this one's is another batch.
    let longer = store().with_owner("0000070");
    assert_eq!(
        longer.claim(&window, &[], held, now).await.unwrap(),
        Claimed::Held
    );

    let retry = store().with_owner("000007");
    assert_eq!(
        retry.claim(&window, &[], held, now).await.unwrap(),
        Claimed::Taken
    );
    assert_eq!(
        retry.claim("f|stateless", &[], held, now).await.unwrap(),
        Claimed::Taken
    );
    // Within the attempt, its own claims are held as ever (a flood of the same
    // burst is reported once), on the full path and the cheap one.
    assert_eq!(
        retry.claim(&window, &[], held, now).await.unwrap(),
        Claimed::Held
    );
    assert!(
        retry
            .claims_held(std::slice::from_ref(&window), 100)
            .await
            .unwrap()
    );
    // And after their expiry they are free again.
    let later = Now::event_time(1_000, wall);
    let held = Take::Confirmed { expires_at: 5_000 };
    assert_eq!(
        retry.claim(&window, &[], held, later).await.unwrap(),
        Claimed::Taken
    );

    // A third attempt: the second's claim is free as a guard too, and then not
    // held against it on the cheap path either.
    let third = store().with_owner("000007");
    let next = "c|d|actor|2".to_owned();
    assert_eq!(
        third
            .claim(&next, std::slice::from_ref(&window), held, later)
            .await
            .unwrap(),
        Claimed::Taken
    );
    assert!(
        !third
            .claims_held(std::slice::from_ref(&window), 1_000)
            .await
            .unwrap()
    );
    assert!(
        third
            .claims_held(std::slice::from_ref(&next), 1_000)
            .await
            .unwrap()
    );
    // Another batch still finds the window held, by the guard's owner or not.
    assert_eq!(
        other.claim(&window, &[], held, later).await.unwrap(),
        Claimed::Held
    );
    // A give-back deletes only what is still the attempt's own: the window
    // claim is the second attempt's, so the third gives back only its own.
    third.release(&window, None).await.unwrap();
    assert_eq!(
        other.claim(&window, &[], held, later).await.unwrap(),
        Claimed::Held,
        "another attempt's claim is not given back"
    );
    third.release(&next, None).await.unwrap();
    assert_eq!(
        other.claim(&next, &[], held, later).await.unwrap(),
        Claimed::Taken,
        "its own is"
    );
}

/// The detection of the flood tests: ten secrets read within five minutes.
const FLOODED: &str = "secretsmanager-rapid-retrieval";

/// A backtest batch that ran first may have stored a flood of one caller's
/// reads of one secret (more than a window read returns: the newest 2,000)
/// just after nine reads of nine other secrets, one second apart; the burst's
/// records then arrive in `order`. Whichever completes it must still see the
/// others, before and after it: a full read with records after this one is
/// read again from this record outwards, on both sides.
async fn flood_then_burst(order: &[usize]) {
    let text = std::fs::read_to_string(
        trailwatch_tests::root()
            .join("events/secretsmanager-rapid-retrieval/positive-12-secrets-in-a-minute.json"),
    )
    .unwrap();
    let sample: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    // The burst's records, re-stamped one second apart ending at T; the flood
    // re-reads another secret from T + 10 s on, one read per millisecond.
    let at = |secs: i64, ms: i64| {
        trailwatch::event::time::format_event_time((secs * 1000 + ms).max(0)).replace(".000Z", "Z")
    };
    let record = |i: usize, id: &str, time: String| {
        let mut r = sample[i]["detail"].clone();
        r["eventID"] = id.into();
        r["eventTime"] = time.into();
        r.to_string()
    };
    let t0 = 1_780_000_000;
    let burst: Vec<String> = (0..9)
        .map(|i| record(i, &format!("burst-{i}"), at(t0 - 8 + i as i64, 0)))
        .collect();
    let engine = Engine::with_detections(
        [trailwatch::catalog::by_id(FLOODED).expect("in the catalogue")],
        Settings::for_replay(),
    );
    let t = table().await;
    let store = t.store().with_validity(Validity::EventTime {
        keep_secs: EVENT_TIME_KEEP_SECS,
    });
    let wall = wall_clock();
    // A tenth secret, which the burst does not read: the finding needs it and
    // every one of the burst's nine.
    let first_flood = record(11, "flood-0", at(t0 + 10, 0));
    let found = drive(&engine, &store, &steps_at(&[first_flood], wall)).await;
    assert!(found.is_empty());
    // The stored observation, copied 2,100 times (as the engine would store
    // each further read), a millisecond apart.
    let items = scan_all(&t).await;
    assert_eq!(items.len(), 1, "{items:?}");
    let stored = &items[0];
    let copies = (1..=MAX_OBSERVATIONS_PER_GROUP as i64 + 100).map(|i| {
        let mut item = stored.clone();
        item.insert(
            schema::SORT_KEY.into(),
            AttributeValue::S(format!("{:015}#flood-{i}", (t0 + 10) * 1000 + i)),
        );
        item
    });
    put_all(&t, copies).await;
    let arriving: Vec<String> = order.iter().map(|&i| burst[i].clone()).collect();
    let found = drive(&engine, &store, &steps_at(&arriving, wall)).await;
    assert_eq!(
        counts(&found),
        [(FLOODED, 1)].into(),
        "{order:?}: {found:?}"
    );
    for i in 0..9 {
        assert!(
            found[0].event_ids.contains(&format!("burst-{i}")),
            "{order:?}: {:?}",
            found[0].event_ids
        );
    }
}

#[tokio::test]
async fn a_later_flood_stored_first_does_not_hide_a_burst_arriving_backwards() {
    flood_then_burst(&[8, 7, 6, 5, 4, 3, 2, 1, 0]).await;
}

#[tokio::test]
async fn a_later_flood_stored_first_does_not_hide_a_burst_completed_in_the_middle() {
    flood_then_burst(&[0, 1, 2, 3, 4, 6, 7, 8, 5]).await;
}

/// docs/state.md, "The claim": a transaction that meets another on one of its
/// items (`TransactionConflict`) is tried again, up to five attempts; a claim
/// still conflicting after them is an error (the invocation fails and is
/// retried), never a claim taken or held (from a review of the tests: moto,
/// one request at a time, never conflicts).
#[tokio::test]
async fn a_conflicting_transaction_is_tried_again_then_an_error() {
    use trailwatch::state::DynamoStore;
    let t = table().await;
    let endpoint = &Moto::shared().endpoint;
    let at = Now::live(NOW);
    let take = Take::Confirmed {
        expires_at: NOW + 3_600,
    };
    // Two conflicts, then the claim goes through and is the one taken.
    let (client, _) = conflicting_client(endpoint, 2).await;
    let store = DynamoStore::new(client, &t.name, format!("{}#", unique("c")));
    assert_eq!(
        store.claim("k", &["g".to_owned()], take, at).await,
        Ok(Claimed::Taken)
    );
    assert_eq!(
        store.claim("k", &[], take, at).await,
        Ok(Claimed::Held),
        "the claim was written once"
    );
    // Five conflicts: every attempt met one. (A claim with guards is a
    // transaction; one without is a conditional PutItem, which cannot meet
    // a transaction's conflict.)
    let (client, requests) = conflicting_client(endpoint, 5).await;
    let store = DynamoStore::new(client, &t.name, format!("{}#", unique("c")));
    let guards = ["g".to_owned()];
    let e = store
        .claim("k", &guards, take, at)
        .await
        .expect_err("five conflicts");
    assert!(e.message().contains("still conflicting"), "{e}");
    assert_eq!(requests.snapshot().get("TransactWriteItems"), Some(&5));
    // Nothing was written: the next attempt (Lambda's retry) takes it.
    assert_eq!(
        store.claim("k", &guards, take, at).await,
        Ok(Claimed::Taken)
    );
}

/// Dedup's held-back findings are stored, read back and counted the same way on
/// DynamoDB as in memory: the notification after a period reports how many it
/// held back and their first and last event times (from a review of the tests:
/// only the in-memory store was checked, and a held item whose decision time
/// did not read back from DynamoDB would have been counted by event time
/// unseen).
#[tokio::test]
async fn dedup_counts_what_it_held_back_on_both_stores() {
    let engine = Engine::with_detections(
        [trailwatch::catalog::by_id("create-access-key-for-another-user").expect("a seed")],
        Settings::default(),
    );
    let tuning = trailwatch::tuning::Tuning::parse(
        "[detections.create-access-key-for-another-user]\ndedup_secs = 3600\ndedup_by = [\"actor\"]\n",
        "t.toml",
        NOW / 86_400,
    )
    .unwrap_or_else(|p| panic!("{p:?}"));
    engine.set_tuning(Some(Arc::new(tuning)));
    let key_for = |i: usize, secs: i64| {
        format!(
            r#"{{"eventVersion":"1.09","userIdentity":{{"type":"IAMUser","principalId":"AIDAEXAMPLEALICE0001","arn":"arn:aws:iam::444455556666:user/alice","accountId":"444455556666","accessKeyId":"AKIAEXAMPLEALICE0001","userName":"alice"}},"eventTime":"{}","eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.50","userAgent":"aws-cli/2.17.0","requestParameters":{{"userName":"user-{i}"}},"responseElements":{{"accessKey":{{"userName":"user-{i}","accessKeyId":"AKIAEXAMPLEKEY00000{i}","status":"Active"}}}},"requestID":"req-dedup-{i}","eventID":"dedup-{i}","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"444455556666","eventCategory":"Management"}}"#,
            at(secs)
        )
    };
    // One notified, two held back within the hour and a late one older than
    // the notified one (counted by decision order, which must read back from
    // DynamoDB), then one after the hour that reports all three.
    let records: Vec<String> = [(0, 0), (1, 600), (4, -300), (2, 1_200), (3, 3_700)]
        .into_iter()
        .map(|(i, secs)| key_for(i, secs))
        .collect();
    let steps = steps_at(&records, BASE + 7_200);
    let memory = drive(&engine, &MemoryStore::default(), &steps).await;
    let t = table().await;
    let dynamo = drive(&engine, &t.store(), &steps).await;
    assert_eq!(as_json(&memory), as_json(&dynamo));
    assert_eq!(memory.len(), 2, "{:?}", as_json(&memory));
    let report = &memory[1].evidence;
    assert_eq!(report.get("held_back_count"), Some(&serde_json::json!(3)));
    assert_eq!(
        report.get("held_back_first"),
        Some(&serde_json::json!(at(-300)))
    );
    assert_eq!(
        report.get("held_back_last"),
        Some(&serde_json::json!(at(1_200)))
    );
}

/// From a review of delivery under faults: a table the function may no longer
/// use (a policy denying it, the table deleted: `ResourceNotFoundException`)
/// refused every claim, so no finding went out, the one about that change among
/// them. A stateless finding is sent without a claim; the invocation still fails.
#[tokio::test]
async fn a_deleted_table_does_not_silence_a_stateless_finding() {
    let t = table().await;
    t.client
        .delete_table()
        .table_name(&t.name)
        .send()
        .await
        .expect("DeleteTable");
    let engine = Engine::with_detections(
        [trailwatch::catalog::by_id("cloudtrail-log-suspended").expect("a detection")],
        Settings::default(),
    );
    let text = std::fs::read_to_string(
        trailwatch_tests::root()
            .join("events/cloudtrail-log-suspended/positive-stop-logging-iam-user.json"),
    )
    .expect("sample");
    let envelope: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let detail = envelope["detail"].to_string();
    let rec = trailwatch::event::Record::from_json(&detail).expect("record");
    let out = Collect::default();
    let err = engine
        .handle(&rec, &t.store(), &out, 1_900_000_000)
        .await
        .expect_err("the invocation fails");
    let text = err.to_string();
    assert!(
        text.contains("sent without a claim") && text.contains("ResourceNotFoundException"),
        "{text}"
    );
    let sent = out.take();
    assert_eq!(sent.len(), 1, "{text}");
    assert_eq!(sent[0].detection_id, "cloudtrail-log-suspended");
}
