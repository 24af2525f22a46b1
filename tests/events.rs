//! Replays every sample of `events/` and checks that exactly the detections its
//! directory's `expected.jsonc` names fire, no more, no less (and, where it gives
//! counts, exactly that many findings of each); that every finding names the
//! records behind it; and that every detection has positive and near-miss negative
//! samples.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;

use trailwatch::catalog;
use trailwatch_tests::{Expected, replay_file, root, sample_manifest};

const MANIFEST: &str = "expected.jsonc";

fn manifests() -> Vec<(String, BTreeMap<String, Expected>)> {
    let mut out = Vec::new();
    let mut dirs: Vec<_> = fs::read_dir(root().join("events"))
        .expect("events/ exists")
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .collect();
    dirs.sort_by_key(|e| e.file_name());
    for d in dirs {
        let name = d.file_name().to_string_lossy().into_owned();
        out.push((name, sample_manifest(&d.path())));
    }
    out
}

#[test]
fn every_sample_fires_exactly_what_its_manifest_says() {
    let known: BTreeSet<&str> = catalog::ALL.iter().map(|d| d.meta().id).collect();
    let mut failures = Vec::new();
    let mut files = 0;
    for (dir, manifest) in manifests() {
        let on_disk: BTreeSet<String> = fs::read_dir(root().join("events").join(&dir))
            .expect("readable")
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".json"))
            .collect();
        let listed: BTreeSet<String> = manifest.keys().cloned().collect();
        assert_eq!(
            on_disk, listed,
            "events/{dir}: files on disk and in {MANIFEST} differ"
        );
        for (file, expected) in &manifest {
            files += 1;
            for id in &expected.ids {
                assert!(
                    known.contains(id.as_str()),
                    "events/{dir}/{file}: unknown detection id {id}"
                );
            }
            let r = replay_file(&root().join("events").join(&dir).join(file));
            assert!(
                r.rejected.is_empty(),
                "events/{dir}/{file}: input problems {:?}",
                r.rejected
            );
            let fired: BTreeSet<&str> = r.findings.iter().map(|f| f.detection_id).collect();
            let want: BTreeSet<&str> = expected.ids.iter().map(String::as_str).collect();
            if fired != want {
                failures.push(format!(
                    "events/{dir}/{file}: expected {want:?}, fired {fired:?}"
                ));
            }
            if let Some(counts) = &expected.counts {
                let mut got: BTreeMap<&str, usize> = BTreeMap::new();
                for f in &r.findings {
                    *got.entry(f.detection_id).or_default() += 1;
                }
                let want: BTreeMap<&str, usize> =
                    counts.iter().map(|(id, n)| (id.as_str(), *n)).collect();
                if got != want {
                    failures.push(format!(
                        "events/{dir}/{file}: expected findings {want:?}, got {got:?}"
                    ));
                }
            }
            for f in &r.findings {
                // Tuning checks judge a detection by the highest severity it
                // can report (`catalog::highest_severity`).
                let index = catalog::indexed(f.detection_id).expect("indexed");
                assert!(
                    f.severity <= catalog::highest_severity(index),
                    "events/{dir}/{file}: {} reported {:?}, above catalog::highest_severity",
                    f.detection_id,
                    f.severity
                );
                assert!(
                    !f.event_ids.is_empty(),
                    "events/{dir}/{file}: {} names no event",
                    f.detection_id
                );
                for id in &f.event_ids {
                    assert!(
                        r.event_ids.contains(id),
                        "events/{dir}/{file}: {} names {id}, not in the file",
                        f.detection_id
                    );
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {files} samples disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_detection_has_positive_and_negative_samples() {
    let manifests = manifests();
    for d in catalog::ALL {
        let id = d.meta().id;
        let (_, manifest) = manifests
            .iter()
            .find(|(dir, _)| dir == id)
            .unwrap_or_else(|| panic!("no events/{id}/"));
        let positive = manifest
            .iter()
            .any(|(f, e)| f.starts_with("positive") && e.ids.iter().any(|i| i == id));
        let negative = manifest
            .iter()
            .any(|(f, e)| f.starts_with("negative") && !e.ids.iter().any(|i| i == id));
        assert!(
            positive && negative,
            "events/{id}/ needs a positive that fires {id} and a near-miss negative that does not"
        );
    }
}
