//! A group's memory of what its notified findings reported (`Repeats::OnlyNew`):
//! the (value, network, actor) triples of each finding, kept for a day, and
//! what a later span holds that the memory does not (see the module above).

use std::collections::BTreeSet;

use super::MAX_LISTED_VALUES;
use super::context::{Context, Text};
use crate::engine::CLAIM_TTL_SECS;
use crate::state::{Observation, Store, StoreError};

/// The (value, address, actor) triples a distinct-count finding reported, to
/// be written to its group's memory (`r|<detection>|<group>`) once the finding
/// is notified: an item whose payload is `{"pairs": [[value, address, actor],
/// ...]}`, dated at the record that made the finding and kept for a day (see
/// [`Repeats`](crate::detection::Repeats)).
#[derive(Debug, Clone, PartialEq)]
pub struct Reported {
    pub partition: String,
    pub obs: Observation,
    pub expires_at: i64,
}

/// Whether `partition` is a group's memory of reported values.
#[cfg(feature = "lambda")]
pub(crate) fn is_reported_memory(partition: &str) -> bool {
    crate::state::keys::is(crate::state::keys::REPORTED, partition)
}

/// A memory item's payload once its finding was given back (a backtest batch
/// that failed): it remembers nothing.
#[cfg(feature = "lambda")]
pub(crate) const FORGOTTEN: &str = r#"{"pairs":[]}"#;
/// A reported item's `value`.
pub(super) const REPORTED_VALUE: &str = "reported";
/// A span with more (value, address, actor) triples than this, or whose memory would
/// take more bytes than the next, is not remembered: such a burst (a
/// thousand instances) does not come back with the same values, and a DynamoDB
/// item holds 400 KB.
pub(super) const MAX_REMEMBERED_VALUES: usize = 500;
pub(super) const MAX_REMEMBERED_BYTES: usize = 64 * 1024;

/// How long a group's memory keeps what a finding reported: a day, whatever
/// the window (a tuned week-long window kept it three weeks; from a review).
pub(super) const REMEMBERED_SECS: i64 = CLAIM_TTL_SECS;

/// Who made an observation: the network it came from (an address as written
/// canonically, IPv6 whole: an AWS subnet is one /64 shared by its hosts;
/// other text as written) and the actor (a role session: a role's sessions
/// are different people), and whether the source is an address.
pub(super) fn caller_of(o: &Observation) -> Result<(String, String, bool), StoreError> {
    let context = Context::read(&o.payload)?;
    let source = context.text(Text::SourceIp);
    let address = source.trim().parse::<std::net::IpAddr>().ok();
    let network = address.map_or_else(|| source.to_owned(), |a| a.to_canonical().to_string());
    Ok((
        network,
        context.text(Text::ActorKey).to_owned(),
        address.is_some(),
    ))
}

/// An observation's (value, network, actor) triple, and whether its source is
/// an address (see [`caller_of`]).
///
/// Where the window's value is the caller's own network (an IPv6 address
/// counted as its /64, `concurrent-sessions-different-ips`), the network is
/// that value: a laptop's next temporary address in a reported /64 is the same
/// place, not a new caller (from a review: it paged again).
pub(super) fn triple_of(o: &Observation) -> Result<(Triple, bool), StoreError> {
    let (mut network, actor, placed) = caller_of(o)?;
    if let Ok(ip @ std::net::IpAddr::V6(_)) = network.parse::<std::net::IpAddr>()
        && o.value == crate::detections::common::ip_network(ip)
    {
        network = o.value.clone();
    }
    Ok(((o.value.clone(), network, actor), placed))
}

/// A value, the network it came from and the actor who asked.
pub(super) type Triple = (String, String, String);

/// What a group's memory keeps of a notified finding, and what a later span is
/// compared with: each value with the network and the actor it came from, so
/// that the same values from another place or person, or another value from a
/// known one, are news (from two reviews: values and networks kept apart let an
/// intruder's reads from a reported address of instances reported from another
/// pass, and another session of the same role passed as the first).
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(super) struct Seen {
    pub(super) pairs: BTreeSet<Triple>,
    /// Networks of the span that are no address (never known), not kept.
    #[serde(skip)]
    unplaced: BTreeSet<String>,
}

impl Seen {
    /// Of a span's observations' triples (see [`triple_of`]).
    pub(super) fn of(triples: &[(Triple, bool)]) -> Seen {
        let mut seen = Seen::default();
        for (triple, placed) in triples {
            if !placed {
                seen.unplaced.insert(triple.1.clone());
            }
            seen.pairs.insert(triple.clone());
        }
        seen
    }

    /// Whether a triple of its came from `triple`'s network and actor.
    pub(super) fn knows_caller(&self, triple: &Triple) -> bool {
        self.pairs
            .iter()
            .any(|(_, network, actor)| network == &triple.1 && actor == &triple.2)
    }

    /// What is news against `known` (at most [`MAX_LISTED_VALUES`] of each;
    /// `None` for none): the values of triples it does not hold, and the
    /// networks none of its triples came from, or that are no address.
    pub(super) fn news(&self, known: &Seen) -> (Option<Vec<String>>, Option<Vec<String>>) {
        let mut values: Vec<String> = Vec::new();
        let mut networks: Vec<String> = self.unplaced.iter().cloned().collect();
        for (value, network, _) in self.pairs.iter().filter(|p| !known.pairs.contains(*p)) {
            if values.len() < MAX_LISTED_VALUES && !values.contains(value) {
                values.push(value.clone());
            }
            if networks.len() < MAX_LISTED_VALUES
                && !networks.contains(network)
                && !known.pairs.iter().any(|k| &k.1 == network)
            {
                networks.push(network.clone());
            }
        }
        let some = |mut v: Vec<String>| {
            v.sort();
            (!v.is_empty()).then_some(v)
        };
        (some(values), some(networks))
    }

    /// Its JSON, unless it is too large to keep (see [`MAX_REMEMBERED_VALUES`]).
    pub(super) fn kept(&self) -> Option<String> {
        if self.pairs.len() > MAX_REMEMBERED_VALUES {
            return None;
        }
        serde_json::to_string(self)
            .ok()
            .filter(|json| json.len() <= MAX_REMEMBERED_BYTES)
    }
}

/// What notified findings of `memory`'s group reported within the day before
/// `t_ms`, or in a span that can hold it (up to `w_ms` after it: a record
/// delivered after the finding of a span it belongs to; from a review),
/// together. An item that does not read as one is passed over: what it held is
/// reported again.
pub(super) async fn reported_before<S: Store + ?Sized>(
    store: &S,
    memory: &str,
    t_ms: i64,
    w_ms: i64,
    now: i64,
) -> Result<Seen, StoreError> {
    let from = t_ms.saturating_sub(REMEMBERED_SECS.saturating_mul(1000));
    let mut known = Seen::default();
    for item in store
        .range(memory, from, t_ms.saturating_add(w_ms), now)
        .await?
    {
        if item.value != REPORTED_VALUE {
            continue;
        }
        if let Ok(seen) = serde_json::from_str::<Seen>(&item.payload.json()?) {
            known.pairs.extend(seen.pairs);
        }
    }
    Ok(known)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detection::Evidence;
    use crate::event::Record;
    use crate::window::observation;

    /// A group's memory keeps a span's (value, network, actor) triples, unless
    /// there are more than 500 of them or their JSON passes 64 KB: then the
    /// next span is reported, never held back by a memory cut short. What is
    /// news: the values of triples not known, and networks no known triple
    /// came from.
    #[test]
    fn a_memory_keeps_triples_and_names_what_is_new() {
        let seen = |triples: &[(&str, &str, &str)]| Seen {
            pairs: triples
                .iter()
                .map(|(v, n, a)| (v.to_string(), n.to_string(), a.to_string()))
                .collect(),
            unplaced: BTreeSet::new(),
        };
        let known = seen(&[("i-1", "192.0.2.1", "alice"), ("i-2", "192.0.2.1", "alice")]);
        assert_eq!(
            known.kept().expect("kept"),
            r#"{"pairs":[["i-1","192.0.2.1","alice"],["i-2","192.0.2.1","alice"]]}"#
        );
        // A known value from a known network, but not together, is news; so
        // is a known one asked for by another actor from a known network.
        let crossed = seen(&[
            ("i-1", "192.0.2.1", "alice"),
            ("i-3", "192.0.2.1", "alice"),
            ("i-2", "198.51.100.9", "alice"),
            ("i-1", "192.0.2.1", "bob"),
        ]);
        assert_eq!(
            crossed.news(&known),
            (
                Some(vec!["i-1".to_owned(), "i-2".to_owned(), "i-3".to_owned()]),
                Some(vec!["198.51.100.9".to_owned()])
            )
        );
        assert_eq!(
            seen(&[("i-2", "192.0.2.1", "alice")]).news(&known),
            (None, None)
        );
        let mut internal = seen(&[("i-2", "AWS Internal", "alice")]);
        internal.unplaced.insert("AWS Internal".into());
        assert_eq!(
            internal.news(&known),
            (
                Some(vec!["i-2".to_owned()]),
                Some(vec!["AWS Internal".to_owned()])
            )
        );
        let many = |n: usize, len: usize| Seen {
            pairs: (0..n)
                .map(|i| (format!("{i:0len$}"), "192.0.2.1".to_owned(), "a".to_owned()))
                .collect(),
            unplaced: BTreeSet::new(),
        };
        assert!(many(500, 8).kept().is_some());
        assert!(many(501, 8).kept().is_none(), "501 triples");
        assert!(many(100, 700).kept().is_none(), "70 KB");
    }

    /// A source that is no address (a service acting for the caller) is never
    /// placed: nothing from it counts as known.
    #[test]
    fn a_service_source_is_not_placed() {
        let pair = |source: &str| {
            let json = format!(
                r#"{{"eventSource":"ec2.amazonaws.com","eventName":"DescribeInstanceAttribute","eventID":"e1",
                "sourceIPAddress":"{source}","eventTime":"2026-06-02T10:00:01Z"}}"#
            );
            let rec = Record::from_json(&json).unwrap();
            let obs = observation(&rec, 1, "i-1".into(), Evidence::new(), &[], &mut None);
            triple_of(&obs).unwrap()
        };
        // An IPv6 address whole: a subnet's hosts share its /64.
        assert_eq!(
            pair("2001:DB8:1:2::9"),
            (
                ("i-1".into(), "2001:db8:1:2::9".into(), "unknown".into()),
                true
            )
        );
        assert_eq!(pair("::ffff:192.0.2.7").0.1, "192.0.2.7");
        assert!(!pair("cloudformation.amazonaws.com").1);
        assert!(!pair("AWS Internal").1);
    }
}
