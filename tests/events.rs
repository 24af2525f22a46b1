//! Replays every sample of `events/` and checks that exactly the detections its
//! directory's `expected.jsonc` names fire, no more, no less (and, where it gives
//! counts, exactly that many findings of each); that every finding names the
//! records behind it; and that every detection has positive and near-miss negative
//! samples.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use trailwatch::catalog;
use trailwatch::engine::Settings;
use trailwatch_tests::{
    Expected, Replayed, named_manifest, replay_file_with, root, sample_manifest,
};

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

/// Replays the sample at `path` under `settings`; with it, how what fired
/// differs from `expected.ids`, if it does (`label` names the case).
fn replay_against(
    path: &Path,
    settings: Settings,
    expected: &Expected,
    label: &str,
) -> (Replayed, Option<String>) {
    let r = replay_file_with(path, settings);
    assert!(
        r.rejected.is_empty(),
        "{label}: input problems {:?}",
        r.rejected
    );
    let fired: BTreeSet<&str> = r.findings.iter().map(|f| f.detection_id).collect();
    let want: BTreeSet<&str> = expected.ids.iter().map(String::as_str).collect();
    let problem = (fired != want).then(|| format!("{label}: expected {want:?}, fired {fired:?}"));
    (r, problem)
}

#[test]
fn every_sample_fires_exactly_what_its_manifest_says() {
    let known: BTreeSet<&str> = catalog::ALL.iter().map(|d| d.meta().id).collect();
    let mut failures = Vec::new();
    let mut files = 0;
    let mut reach_keys_seen = BTreeSet::new();
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
            let (r, problem) = replay_against(
                &root().join("events").join(&dir).join(file),
                Settings::for_replay(),
                expected,
                &format!("events/{dir}/{file}"),
            );
            failures.extend(problem);
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
                // From a review: a key written twice made the JSON a strict
                // parser (or a SIEM) rejects.
                let mut keys = BTreeSet::new();
                if let Some((k, _)) = f.evidence.0.iter().find(|(k, _)| !keys.insert(k)) {
                    failures.push(format!(
                        "events/{dir}/{file}: {} writes the evidence key {k} twice",
                        f.detection_id
                    ));
                }
                reach_keys_seen.extend(reach_evidence_outside(
                    f,
                    &format!("events/{dir}/{file}"),
                    &mut failures,
                ));
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
    let unseen: Vec<&&str> = trailwatch::tuning::REACH_EVIDENCE_KEYS
        .iter()
        .filter(|k| !reach_keys_seen.contains(**k))
        .collect();
    assert!(
        unseen.is_empty(),
        "REACH_EVIDENCE_KEYS {unseen:?} are in no sample's finding: a key renamed?"
    );
}

/// `tuning::REACH_EVIDENCE_KEYS` are the evidence keys that name where a
/// share or trust reaches outside the record's account: `tuning check` lets an
/// entry listing accounts there stand without naming a caller. Holds the
/// samples' findings to it: the accounts such a key names (account ids, the
/// account of an ARN) are never the finding's own. Returns the keys seen.
fn reach_evidence_outside(
    f: &trailwatch::finding::Finding,
    label: &str,
    failures: &mut Vec<String>,
) -> Vec<&'static str> {
    fn accounts(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) => {
                let s = s.trim();
                if let Some(a) = trailwatch::detections::common::arn_account(s) {
                    out.push(a.to_owned());
                } else if trailwatch::detections::common::is_account_id(s) {
                    out.push(s.to_owned());
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|i| accounts(i, out)),
            serde_json::Value::Object(m) => m.values().for_each(|i| accounts(i, out)),
            _ => {}
        }
    }
    let mut seen = Vec::new();
    for key in trailwatch::tuning::REACH_EVIDENCE_KEYS {
        let Some(v) = f.evidence.get(key) else {
            continue;
        };
        seen.push(*key);
        let mut named = Vec::new();
        accounts(v, &mut named);
        if named.iter().any(|a| Some(a) == f.account_id.as_ref()) {
            failures.push(format!(
                "{label}: {}'s evidence {key} = {v} names the finding's own account",
                f.detection_id
            ));
        }
    }
    seen
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

/// The organisation a sample deployment calls its own.
const OWN_ORGANIZATION: &str = "o-a1b2c3d4e5";
/// The manifest of what a directory's samples fire when the deployment names
/// [`OWN_ORGANIZATION`] (`replay --organization-ids`).
const OWN_ORGANIZATION_MANIFEST: &str = "expected-with-own-organization.jsonc";

/// A grant to everyone fenced to an organisation is private to a deployment that
/// names none of its own (`expected.jsonc` says nothing fires), and reported when
/// the organisation is not among those it names; an image shared within a named
/// organisation is not reported. Every `organization-fence-*` sample is in such
/// a manifest, and each manifest holds one that fires.
#[test]
fn organization_fences_fire_only_around_other_organizations() {
    let settings = || Settings {
        own_organizations: Some(vec![OWN_ORGANIZATION.to_owned()].into()),
        ..Settings::for_replay()
    };
    let mut failures = Vec::new();
    let mut manifests_read = 0;
    for (dir, _) in manifests() {
        let path = root().join("events").join(&dir);
        let fences: BTreeSet<String> = fs::read_dir(&path)
            .expect("readable")
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("organization-fence-") && n.ends_with(".json"))
            .collect();
        let manifest_path = path.join(OWN_ORGANIZATION_MANIFEST);
        if !manifest_path.exists() {
            assert!(
                fences.is_empty(),
                "events/{dir}: {fences:?} need {OWN_ORGANIZATION_MANIFEST}"
            );
            continue;
        }
        manifests_read += 1;
        let manifest = named_manifest(&manifest_path);
        for f in &fences {
            assert!(
                manifest.contains_key(f),
                "events/{dir}/{f}: not in {OWN_ORGANIZATION_MANIFEST}"
            );
        }
        assert!(
            manifest.values().any(|e| e.ids.contains(&dir)),
            "events/{dir}/{OWN_ORGANIZATION_MANIFEST}: no sample fires {dir}"
        );
        for (file, expected) in &manifest {
            let (r, problem) = replay_against(
                &path.join(file),
                settings(),
                expected,
                &format!("events/{dir}/{file} with {OWN_ORGANIZATION}"),
            );
            failures.extend(problem);
            for f in r
                .findings
                .iter()
                .filter(|f| fences.contains(file.as_str()) && f.detection_id == dir)
            {
                assert!(
                    f.evidence.get("other_organizations").is_some(),
                    "events/{dir}/{file}: the finding does not name the organisation"
                );
            }
        }
    }
    assert!(
        manifests_read > 0,
        "no {OWN_ORGANIZATION_MANIFEST} under events/"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
