//! Which `--accounts` and `--regions` values matched a record. A value that
//! matched none while records were looked at is most likely a typo
//! (`us-esat-1`): the replay then checked nothing of what was asked for, and
//! its clean summary must not pass for a clean archive.

use trailwatch::archive::layout::Filter;
use trailwatch::sanitize::one_line;

/// How many distinct values seen are kept to show beside a value that matched
/// nothing: enough to spot the typo, few enough for one line.
const SHOWN: usize = 5;

/// One list option's values, and what the records held.
struct ListMatches {
    /// `--regions`, and what its values are, for the warning.
    option: &'static str,
    what: &'static str,
    wanted: Vec<String>,
    matched: Vec<bool>,
    /// The first distinct values seen as the records hold them (sanitised when
    /// shown), and whether there were more.
    seen: Vec<String>,
    more_seen: bool,
}

impl ListMatches {
    fn new(option: &'static str, what: &'static str, wanted: &[String]) -> Self {
        ListMatches {
            option,
            what,
            wanted: wanted.to_vec(),
            matched: vec![false; wanted.len()],
            seen: Vec::new(),
            more_seen: false,
        }
    }

    /// Cheap per record: a few comparisons, and nothing when the option is unset.
    fn note(&mut self, value: Option<&str>) {
        let Some(value) = value.filter(|_| !self.wanted.is_empty()) else {
            return;
        };
        if let Some(i) = self.wanted.iter().position(|w| w == value) {
            self.matched[i] = true;
        }
        if self.more_seen || self.seen.iter().any(|s| s == value) {
            return;
        }
        if self.seen.len() < SHOWN {
            self.seen.push(value.to_owned());
        } else {
            self.more_seen = true;
        }
    }

    /// One warning per value that matched no record; none when no record with
    /// such a value was looked at (then there is nothing to compare with).
    fn warnings(&self) -> Vec<String> {
        if self.seen.is_empty() {
            return Vec::new();
        }
        let more = if self.more_seen { ", ..." } else { "" };
        let seen: Vec<String> = self.seen.iter().map(|s| one_line(s, 80)).collect();
        self.wanted
            .iter()
            .zip(&self.matched)
            .filter(|(_, matched)| !**matched)
            .map(|(value, _)| {
                format!(
                    "{} {} matched none of the records the detections read; {} seen among them: {}{more}",
                    self.option,
                    one_line(value, 80),
                    self.what,
                    seen.join(", ")
                )
            })
            .collect()
    }
}

/// `--accounts` and `--regions` together.
pub(super) struct FilterMatches {
    accounts: ListMatches,
    regions: ListMatches,
}

impl FilterMatches {
    pub(super) fn new(filter: &Filter) -> Self {
        FilterMatches {
            accounts: ListMatches::new("--accounts", "accounts", &filter.accounts),
            regions: ListMatches::new("--regions", "Regions", &filter.regions),
        }
    }

    /// Notes a record's account and Region, each on its own: a value is judged
    /// by whether any record held it, whatever the other options left out.
    pub(super) fn note(&mut self, account: Option<&str>, region: Option<&str>) {
        self.accounts.note(account);
        self.regions.note(region);
    }

    pub(super) fn warnings(&self) -> Vec<String> {
        let mut out = self.accounts.warnings();
        out.extend(self.regions.warnings());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(accounts: &[&str], regions: &[&str]) -> Filter {
        let owned = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect();
        Filter {
            since: None,
            until: None,
            accounts: owned(accounts),
            regions: owned(regions),
        }
    }

    #[test]
    fn a_value_no_record_held_is_named_with_what_was_seen() {
        let mut m = FilterMatches::new(&filter(&["111122223333"], &["eu-west-1", "us-esat-1"]));
        for region in ["us-east-1", "eu-west-1", "us-east-1"] {
            m.note(Some("111122223333"), Some(region));
        }
        assert_eq!(
            m.warnings(),
            [
                "--regions us-esat-1 matched none of the records the detections read; Regions seen among them: us-east-1, eu-west-1"
            ]
        );
    }

    #[test]
    fn at_most_a_few_values_are_shown() {
        let mut m = FilterMatches::new(&filter(&["999999999999"], &[]));
        for n in 0..8 {
            m.note(Some(&format!("11112222333{n}")), None);
        }
        let warnings = m.warnings();
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].ends_with(
                "accounts seen among them: 111122223330, 111122223331, 111122223332, 111122223333, 111122223334, ..."
            ),
            "{warnings:?}"
        );
    }

    #[test]
    fn nothing_is_said_when_nothing_was_looked_at_or_asked() {
        let mut asked = FilterMatches::new(&filter(&[], &["us-east-1"]));
        asked.note(Some("111122223333"), None);
        assert!(
            asked.warnings().is_empty(),
            "no Region seen: nothing to compare"
        );
        let mut unasked = FilterMatches::new(&filter(&[], &[]));
        unasked.note(Some("111122223333"), Some("us-east-1"));
        assert!(unasked.warnings().is_empty());
    }
}
