//! The kinds of key trailwatch writes to its store: the first part of every
//! partition and claim key (`<kind>|<detection>|<group>...`), in one place so
//! that no two kinds can be read as each other (a test holds them apart). A
//! function's DynamoDB keys also begin with its group (`<group>#`, the
//! table's schema).

/// A window's observations: `w|<detection>|<group>`.
pub const WINDOW: &str = "w";

/// A distinct-count finding's claim: its span's window bucket's. A later
/// record can rebuild a span that starts in the bucket either side for three
/// windows after this one's start, arriving up to the lateness. Pairs claim
/// under it too (by their first record).
pub const WINDOW_CLAIM: &str = "c";

/// The claim of a finding of a new caller (`Repeats::OnlyNew`): a span holding
/// a (address, actor) no notified finding of the group named within the day,
/// once one did, where the group's claim is held. Apart from [`WINDOW_CLAIM`],
/// bucketed by the record's own time and guarded by the buckets either side,
/// so that a new caller in the buckets a routine activity's finding holds is
/// still reported, at most once per window (claims per caller were tried:
/// every new address of a burst then paged on its own).
pub const NEWS_CLAIM: &str = "u";

/// The claim of a record that is a burst on its own (`Signal::Batch`),
/// bucketed by the built-in window and keyed by the caller's session and
/// network: a run of one caller's such records (an autoscaler's calls) is one
/// finding, while a burst the window counts, or another session's batch under
/// the same role (a stolen token's wipe beside the autoscaler's routine
/// calls), is still reported (from two reviews: a claim shared by the role
/// swallowed both), and a longer tuned window does not merge more.
pub const BATCH_CLAIM: &str = "b";

/// A group's memory of the values its notified findings reported.
pub const REPORTED: &str = "r";

/// A first-seen term's history claim.
pub const FIRST_SEEN: &str = "n";

/// A stateless finding's claim: `f|<finding id>`.
pub const FINDING_CLAIM: &str = "f";

/// A finding's claim for one of several destinations: `t|<destination>|<claim>`.
pub const DESTINATION_CLAIM: &str = "t";

/// A tuning's dedup period: `d|<detection>|<group>|<dedup_secs>`.
pub const DEDUP_PERIOD: &str = "d";

/// Findings a tuning's dedup held back (a partition `h|<detection>|<group>`),
/// and the claim each is held under (`h|<group digest>|<claim>`). Kept past
/// any window: the next notification reports them.
pub const HELD_BACK: &str = "h";

/// The claims of the heartbeat's findings about a silent member: silent since
/// its last canary, dated ahead, never heard.
pub const SILENT_CLAIM: &str = "s";
pub const DATED_AHEAD_CLAIM: &str = "a";
pub const NEVER_HEARD_CLAIM: &str = "e";

/// Whether `key` is of `kind` (`<kind>|...`).
pub fn is(kind: &str, key: &str) -> bool {
    key.strip_prefix(kind)
        .is_some_and(|rest| rest.starts_with('|'))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind above.
    const KINDS: [&str; 13] = [
        WINDOW,
        WINDOW_CLAIM,
        NEWS_CLAIM,
        BATCH_CLAIM,
        REPORTED,
        FIRST_SEEN,
        FINDING_CLAIM,
        DESTINATION_CLAIM,
        DEDUP_PERIOD,
        HELD_BACK,
        SILENT_CLAIM,
        DATED_AHEAD_CLAIM,
        NEVER_HEARD_CLAIM,
    ];

    /// The kinds as stored: a changed letter orphans every item of its kind
    /// already in a table (first-seen histories, memories, claims, periods).
    /// Never change one.
    #[test]
    fn the_kinds_are_what_tables_hold() {
        assert_eq!(
            KINDS,
            [
                "w", "c", "u", "b", "r", "n", "f", "t", "d", "h", "s", "a", "e"
            ]
        );
    }

    /// No kind is another's (the heartbeat's partitions among them), nor
    /// begins another kind's keys.
    #[test]
    fn the_kinds_are_apart() {
        let mut kinds = KINDS.to_vec();
        kinds.extend([
            crate::heartbeat::PARTITION,
            crate::heartbeat::EXPECTED_PARTITION,
        ]);
        for (i, a) in kinds.iter().enumerate() {
            assert!(!a.is_empty() && !a.contains('|'), "{a:?}");
            for b in &kinds[i + 1..] {
                assert_ne!(a, b);
                assert!(!is(a, b) && !is(b, a), "{a:?} and {b:?}");
            }
        }
        assert!(is(HELD_BACK, "h|det|g") && !is(HELD_BACK, "hb") && !is(HELD_BACK, "hx|x"));
    }
}
