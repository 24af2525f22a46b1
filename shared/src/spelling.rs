//! Near misses of names: what a user most likely meant by a detection id, a
//! variable name or an option that does not exist.

/// The Levenshtein distance between `a` and `b`, in characters (one insertion,
/// deletion or substitution each).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// The name of `known` closest to `name` by edits (at most a third of its
/// length, letter case ignored), if any: what a user most likely meant.
pub fn nearest<'k>(name: &str, known: impl IntoIterator<Item = &'k str>) -> Option<&'k str> {
    let name = name
        .chars()
        .take(100)
        .collect::<String>()
        .to_ascii_lowercase();
    known
        .into_iter()
        .map(|k| (edit_distance(&name, &k.to_ascii_lowercase()), k))
        .min()
        .filter(|(d, _)| *d <= name.chars().count().div_ceil(3))
        .map(|(_, k)| k)
}

/// `; did you mean "<id>"?` for a detection id that is not one, when a known id
/// is near it; else nothing.
pub fn detection_hint(id: &str) -> String {
    nearest(id, crate::catalog::INDEX.iter().map(|d| d.id))
        .map_or(String::new(), |k| format!("; did you mean {k:?}?"))
}

#[cfg(test)]
mod tests {
    use super::{detection_hint, edit_distance, nearest};

    #[test]
    fn the_nearest_name_is_offered_when_near_enough() {
        assert_eq!(
            nearest(
                "cloudtrail-log-creatd",
                ["cloudtrail-log-created", "root-user-activity"]
            ),
            Some("cloudtrail-log-created")
        );
        assert_eq!(
            nearest(
                "Root-User-Activity",
                ["cloudtrail-log-created", "root-user-activity"]
            ),
            Some("root-user-activity")
        );
        assert_eq!(nearest("something-else", ["cloudtrail-log-created"]), None);
        assert_eq!(
            detection_hint("root-user-activty"),
            "; did you mean \"root-user-activity\"?"
        );
        assert_eq!(detection_hint("zzz"), "");
    }

    #[test]
    fn counts_single_character_edits() {
        assert_eq!(edit_distance("TRAILWATCH", "TRAILWATCH"), 0);
        assert_eq!(edit_distance("TRIALWATCH", "TRAILWATCH"), 2);
        assert_eq!(edit_distance("TRAILWATCHX", "TRAILWATCH"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("é", "e"), 1);
    }
}
