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

#[cfg(test)]
mod tests {
    use super::edit_distance;

    #[test]
    fn counts_single_character_edits() {
        assert_eq!(edit_distance("TRAILWATCH", "TRAILWATCH"), 0);
        assert_eq!(edit_distance("TRIALWATCH", "TRAILWATCH"), 2);
        assert_eq!(edit_distance("TRAILWATCHX", "TRAILWATCH"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("é", "e"), 1);
    }
}
