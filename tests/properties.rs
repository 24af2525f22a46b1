//! Property tests: random sequences of records (random times in a few windows,
//! random actors and values, duplicates, shuffled arrival order) through the
//! in-memory store, the DynamoDB store (moto) and a brute-force reference model of
//! the semantics documented in `window.rs`:
//!
//! - distinct-count windows: a group fires iff some span `[s, s + W]` (both ends
//!   included) holds at least `min_distinct` distinct values of the group, counting
//!   each eventID once;
//! - ordered pairs: a creation fires iff some login with the same key lies in
//!   `[creation, creation + gap]`; each such creation gives one finding.
//!
//! Both stores must deliver exactly the same findings, and the groups (creations)
//! that fired must be the model's.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use trailwatch::engine::{Engine, Settings};
use trailwatch::finding::Finding;
use trailwatch::state::MemoryStore;
use trailwatch_tests::ddb::*;
use trailwatch_tests::moto::Moto;

/// Cases per property against moto: each costs a few hundred requests.
const DYNAMO_CASES: u32 = 24;
/// Cases per property with the in-memory store alone (cheap): the model is checked
/// on many more sequences than the two stores are compared on.
const MEMORY_CASES: u32 = 1000;

fn config(cases: u32) -> Config {
    Config {
        cases,
        max_shrink_iters: 64,
        failure_persistence: None,
        ..Config::default()
    }
}

/// One generated record of a windowed detection.
#[derive(Debug, Clone)]
struct W {
    /// false: getpassworddata-burst (11 distinct instances in 300 s);
    /// true: concurrent-sessions-different-ips (2 distinct IPs in 300 s).
    sessions: bool,
    actor: u8,
    value: u8,
    secs: i64,
    /// Index of the record: its eventID (copies keep it).
    id: usize,
}

impl W {
    fn json(&self) -> String {
        let actor = format!("p{}", self.actor);
        let id = format!("w{}", self.id);
        if self.sessions {
            console_load(&id, self.secs, &actor, &format!("192.0.2.{}", self.value))
        } else {
            get_password_data(&id, self.secs, &actor, &format!("i-{:02}", self.value))
        }
    }
    fn detection(&self) -> &'static str {
        if self.sessions { SESSIONS } else { BURST }
    }
}

/// Records, then a schedule: the indexes in arrival order (with repeats).
///
/// Times lie on a coarse grid (60 s for GetPasswordData, 150 s for console loads),
/// each possibly one second late, so that spans of exactly 299, 300 and 301 s (the
/// window's edge) are common. Each case picks how crowded its bursts are (actors,
/// minutes, instances), so that 10, 11 and 12 distinct instances in a window all
/// occur.
fn windowed() -> impl Strategy<Value = (Vec<W>, Vec<usize>)> {
    (
        1u8..=2,
        prop_oneof![Just(7i64), Just(11)],
        prop_oneof![Just(11u8), Just(12), Just(16)],
    )
        .prop_flat_map(|(actors, minutes, values)| {
            let burst = (Just(false), 0..actors, 0..values, 0..minutes, 0i64..2);
            let sessions = (Just(true), 0u8..2, 0u8..3, 0i64..6, 0i64..2);
            (
                prop::collection::vec(burst, 0..40),
                prop::collection::vec(sessions, 0..6),
            )
        })
        .prop_filter("at least one record", |(b, s)| {
            !b.is_empty() || !s.is_empty()
        })
        .prop_map(|(b, s)| {
            b.into_iter()
                .chain(s)
                .enumerate()
                .map(|(id, (sessions, actor, value, slot, late))| W {
                    sessions,
                    actor,
                    value,
                    secs: if sessions { 150 } else { 60 } * slot + late,
                    id,
                })
                .collect::<Vec<W>>()
        })
        .prop_flat_map(|records| {
            let n = records.len();
            (
                Just(records),
                prop::collection::vec(0..n, 0..8),
                Just((0..n).collect::<Vec<usize>>()).prop_shuffle(),
            )
        })
        .prop_flat_map(|(records, dups, order)| {
            let mut schedule = order;
            schedule.extend(dups);
            (Just(records), Just(schedule).prop_shuffle())
        })
}

/// The groups that must fire, brute force over every span start.
fn windowed_model(records: &[W]) -> BTreeSet<(&'static str, u8)> {
    let mut fired = BTreeSet::new();
    for r in records {
        let (need, w) = if r.sessions { (2, 300) } else { (11, 300) };
        let group: Vec<&W> = records
            .iter()
            .filter(|x| x.sessions == r.sessions && x.actor == r.actor)
            .collect();
        // A span starting at this record's time.
        let distinct: BTreeSet<u8> = group
            .iter()
            .filter(|x| x.secs >= r.secs && x.secs <= r.secs + w)
            .map(|x| x.value)
            .collect();
        if distinct.len() >= need {
            fired.insert((r.detection(), r.actor));
        }
    }
    fired
}

/// `(detection, actor)` of each finding.
fn windowed_groups(found: &[Finding]) -> BTreeSet<(&'static str, u8)> {
    found
        .iter()
        .map(|f| {
            let actor = f
                .actor
                .key
                .rsplit('/')
                .next()
                .and_then(|a| a.strip_prefix('p'))
                .and_then(|a| a.parse().ok())
                .unwrap_or_else(|| panic!("unexpected actor {}", f.actor.key));
            (f.detection_id, actor)
        })
        .collect()
}

/// Runs one generated case through the in-memory store (and the DynamoDB store
/// when `dynamo`), checks it against the model; `Ok(true)` if some group fired.
fn windowed_case(
    rt: &tokio::runtime::Runtime,
    engine: &Engine,
    records: &[W],
    schedule: &[usize],
    dynamo: bool,
) -> Result<bool, TestCaseError> {
    let steps: Vec<Step> = schedule
        .iter()
        .map(|&i| Step {
            json: records[i].json(),
            now: NOW,
        })
        .collect();
    let memory = rt.block_on(drive(engine, &MemoryStore::default(), &steps));
    if dynamo {
        // A fresh table per case keeps moto fast (it scans the whole table for
        // every query and copies it for every transaction).
        let table = rt.block_on(Table::new(&Moto::shared().endpoint));
        let found = rt.block_on(drive(engine, &table.store(), &steps));
        prop_assert_eq!(as_json(&memory), as_json(&found));
    }
    let want = windowed_model(records);
    prop_assert_eq!(windowed_groups(&memory), want.clone());
    // One finding per group per window: a group whose records all lie within one
    // window length fires once; for console sessions (repeats only-new), once
    // more at most, for an address its first finding did not name.
    let mut per_group: BTreeMap<(&str, u8), Vec<&Finding>> = BTreeMap::new();
    for f in &memory {
        for g in windowed_groups(std::slice::from_ref(f)) {
            per_group.entry(g).or_default().push(f);
        }
    }
    for ((det, actor), found) in &per_group {
        let times: Vec<i64> = records
            .iter()
            .filter(|r| r.detection() == *det && r.actor == *actor)
            .map(|r| r.secs)
            .collect();
        let spread = times.iter().max().unwrap() - times.iter().min().unwrap();
        if spread > 300 {
            continue;
        }
        let most = if *det == SESSIONS { 2 } else { 1 };
        prop_assert!(
            (1..=most).contains(&found.len()),
            "{} p{} within one window fired {} times",
            det,
            actor,
            found.len()
        );
        if let [first, second] = found.as_slice() {
            let named = first.evidence.get("distinct_values").cloned();
            let new = second.evidence.get("new_sources").cloned();
            let news = new.as_ref().and_then(|v| v.as_array()).map_or(0, Vec::len);
            prop_assert!(news > 0, "a second finding names no new source: {:?}", new);
            for address in new.iter().flat_map(|v| v.as_array()).flatten() {
                prop_assert!(
                    named
                        .as_ref()
                        .and_then(|v| v.as_array())
                        .is_none_or(|n| !n.contains(address)),
                    "{} was named by the first finding",
                    address
                );
            }
        }
    }
    Ok(!want.is_empty())
}

fn run_windowed(cases: u32, dynamo: bool) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let engine = Engine::new(Settings::default());
    let fired = std::cell::Cell::new(0u32);
    TestRunner::new(config(cases))
        .run(&windowed(), |(records, schedule)| {
            if windowed_case(&rt, &engine, &records, &schedule, dynamo)? {
                fired.set(fired.get() + 1);
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        fired.get() > 0,
        "no generated case fired: the generator is too weak"
    );
}

#[test]
fn windows_agree_with_the_model_on_both_stores() {
    run_windowed(DYNAMO_CASES, true);
}

#[test]
fn windows_agree_with_the_model_in_memory() {
    run_windowed(MEMORY_CASES, false);
}

/// One generated record of the pair detection.
#[derive(Debug, Clone)]
struct P {
    login: bool,
    user: u8,
    ip: u8,
    /// Minutes from BASE.
    mins: i64,
    id: usize,
}

impl P {
    fn json(&self) -> String {
        let user = format!("u{}", self.user);
        let ip = format!("198.51.100.{}", self.ip);
        let id = format!("p{}", self.id);
        if self.login {
            console_login(&id, self.mins * 60, &user, &ip)
        } else {
            create_login_profile(&id, self.mins * 60, &user, &ip)
        }
    }
}

fn pairs() -> impl Strategy<Value = (Vec<P>, Vec<usize>)> {
    let record = (any::<bool>(), 0u8..2, 0u8..2, 0i64..150);
    prop::collection::vec(record, 1..24)
        .prop_map(|v| {
            v.into_iter()
                .enumerate()
                .map(|(id, (login, user, ip, mins))| P {
                    login,
                    user,
                    ip,
                    mins,
                    id,
                })
                .collect::<Vec<P>>()
        })
        .prop_flat_map(|records| {
            let n = records.len();
            (
                Just(records),
                prop::collection::vec(0..n, 0..6),
                Just((0..n).collect::<Vec<usize>>()).prop_shuffle(),
            )
        })
        .prop_flat_map(|(records, dups, order)| {
            let mut schedule = order;
            schedule.extend(dups);
            (Just(records), Just(schedule).prop_shuffle())
        })
}

/// The creations that must fire: a login of the same user from the same address
/// at or after the creation and at most 60 minutes later.
fn pairs_model(records: &[P]) -> BTreeSet<String> {
    records
        .iter()
        .filter(|c| !c.login)
        .filter(|c| {
            records.iter().any(|l| {
                l.login
                    && l.user == c.user
                    && l.ip == c.ip
                    && l.mins >= c.mins
                    && l.mins <= c.mins + 60
            })
        })
        .map(|c| format!("p{}", c.id))
        .collect()
}

fn pairs_case(
    rt: &tokio::runtime::Runtime,
    engine: &Engine,
    records: &[P],
    schedule: &[usize],
    dynamo: bool,
) -> Result<bool, TestCaseError> {
    let steps: Vec<Step> = schedule
        .iter()
        .map(|&i| Step {
            json: records[i].json(),
            now: NOW,
        })
        .collect();
    let memory = rt.block_on(drive(engine, &MemoryStore::default(), &steps));
    if dynamo {
        let table = rt.block_on(Table::new(&Moto::shared().endpoint));
        let found = rt.block_on(drive(engine, &table.store(), &steps));
        prop_assert_eq!(as_json(&memory), as_json(&found));
    }
    // Each finding names its creation first; each creation fires once.
    let mut per_creation: BTreeMap<String, usize> = BTreeMap::new();
    for f in &memory {
        prop_assert_eq!(f.detection_id, PAIR);
        let first = f.event_ids.first().cloned().unwrap_or_default();
        *per_creation.entry(first).or_default() += 1;
    }
    if let Some((c, n)) = per_creation.iter().find(|(_, n)| **n > 1) {
        return Err(TestCaseError::fail(format!("{c} fired {n} times")));
    }
    let fired: BTreeSet<String> = per_creation.into_keys().collect();
    prop_assert_eq!(fired.clone(), pairs_model(records));
    Ok(!fired.is_empty())
}

fn run_pairs(cases: u32, dynamo: bool) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    // The pair alone: other detections read ConsoleLogin records too (a sign-in
    // without MFA, a root sign-in) and are not what this property is about.
    let engine = Engine::new(Settings {
        disabled: trailwatch::catalog::ALL
            .iter()
            .map(|d| d.meta().id.to_owned())
            .filter(|id| id != PAIR)
            .collect(),
        ..Settings::default()
    });
    let fired = std::cell::Cell::new(0u32);
    TestRunner::new(config(cases))
        .run(&pairs(), |(records, schedule)| {
            if pairs_case(&rt, &engine, &records, &schedule, dynamo)? {
                fired.set(fired.get() + 1);
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        fired.get() > 0,
        "no generated case fired: the generator is too weak"
    );
}

#[test]
fn pairs_agree_with_the_model_on_both_stores() {
    run_pairs(DYNAMO_CASES, true);
}

#[test]
fn pairs_agree_with_the_model_in_memory() {
    run_pairs(MEMORY_CASES, false);
}
