//! The findings of every sample under events/ in each rendering: OCSF Detection
//! Finding validated against the JSON Schema of OCSF 1.8.0 (tests/ocsf/, generated
//! from the OCSF schema repository at its tag), ASFF with Security Hub's required
//! fields, and the chat notification; each checked to agree with the trailwatch
//! finding it renders.
//!
//! The schema is checked with Python's `jsonschema` from the pinned test venv (a
//! dependency of cfn-lint, already installed by tests/run) rather than a Rust JSON
//! Schema crate: nothing more to compile for every engineer, and it implements
//! draft 2020-12 in full.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use trailwatch::finding::Finding;
use trailwatch::render::{asff, chat, ocsf};
use trailwatch_tests::{replay_file, root, unique};

const SCHEMA: &str = "tests/ocsf/detection_finding-1.8.0.schema.json";

/// Every sample file under events/, sorted.
fn samples() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in fs::read_dir(root().join("events")).expect("events/") {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for f in fs::read_dir(&dir).unwrap() {
            let f = f.unwrap().path();
            if f.extension().is_some_and(|e| e == "json") {
                out.push(f);
            }
        }
    }
    out.sort();
    out
}

fn all_findings() -> Vec<(PathBuf, Finding)> {
    let mut out = Vec::new();
    for path in samples() {
        for f in replay_file(&path).findings {
            out.push((path.clone(), f));
        }
    }
    assert!(out.len() > 20, "only {} sample findings", out.len());
    out
}

/// The test venv's Python (tests/run makes it), else `python3`.
fn python() -> PathBuf {
    let venv = root().join(".venv-test/bin/python");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    }
}

/// Runs tests/ocsf/validate.py on `lines`: (success, its output).
fn validate(lines: &[String]) -> (bool, String) {
    let file = std::env::temp_dir().join(format!("{}.jsonl", unique("ocsf")));
    fs::write(&file, lines.join("\n")).unwrap();
    let out = Command::new(python())
        .arg(root().join("tests/ocsf/validate.py"))
        .arg(root().join(SCHEMA))
        .arg(&file)
        .output()
        .expect("python runs");
    let _ = fs::remove_file(&file);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !text.contains("ModuleNotFoundError"),
        "Python's jsonschema is missing: run tests/run (it installs the pinned test venv)\n{text}"
    );
    (out.status.success(), text)
}

fn name(p: &Path) -> String {
    p.strip_prefix(root()).unwrap_or(p).display().to_string()
}

#[test]
fn every_sample_finding_is_a_valid_ocsf_detection_finding() {
    let found = all_findings();
    let mut lines = Vec::new();
    for (path, f) in &found {
        let o = ocsf::render(f, 0);
        let ctx = format!("{} {}", name(path), f.detection_id);
        // Values agree with the trailwatch finding.
        assert_eq!(o["finding_info"]["uid"], f.finding_id.as_str(), "{ctx}");
        assert_eq!(
            o["finding_info"]["analytic"]["uid"], f.detection_id,
            "{ctx}"
        );
        assert_eq!(o["finding_info"]["title"], f.title, "{ctx}");
        assert_eq!(
            o["finding_info"]["attacks"].as_array().map_or(0, Vec::len),
            f.attack.len(),
            "{ctx}"
        );
        assert_eq!(o["severity_id"], ocsf::severity_id(f.severity).0, "{ctx}");
        assert_eq!(
            o["cloud"]["account"]["uid"].as_str(),
            f.account_id.as_deref(),
            "{ctx}"
        );
        assert_eq!(o["actor"]["user"]["uid"], f.actor.key.as_str(), "{ctx}");
        let related: Vec<&str> = o["finding_info"]["related_events"]
            .as_array()
            .map(|a| a.iter().filter_map(|e| e["uid"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(related, f.event_ids, "{ctx}");
        let operations: Vec<&str> = o["evidences"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["api"]["operation"].as_str())
            .collect();
        assert_eq!(operations, f.event_names, "{ctx}");
        assert_eq!(
            o["unmapped"]["trailwatch"],
            serde_json::to_value(f).unwrap(),
            "{ctx}"
        );
        assert!(o["time"].as_i64().unwrap() > 0, "{ctx}: an event time");
        lines.push(o.to_string());
    }
    let (ok, report) = validate(&lines);
    assert!(ok, "OCSF schema violations:\n{report}");
    assert!(
        report.contains(&format!("{} checked, 0 invalid", lines.len())),
        "{report}"
    );
}

#[test]
fn the_schema_check_can_fail() {
    let (_, f) = all_findings().swap_remove(0);
    let good = ocsf::render(&f, 0);
    let mut cases = Vec::new();
    for (what, pointer, value) in [
        ("no class", "/class_uid", Value::Null),
        ("wrong class", "/class_uid", json!(2001)),
        ("string time", "/time", json!("2026-03-14T13:15:27Z")),
        ("unknown status", "/status_id", json!(7)),
        ("misspelt field", "/finding_info/titel", json!("x")),
    ] {
        let mut v = good.clone();
        match (pointer.rsplit_once('/'), value) {
            (Some((parent, key)), Value::Null) => {
                v.pointer_mut(if parent.is_empty() { "" } else { parent })
                    .and_then(Value::as_object_mut)
                    .unwrap()
                    .remove(key);
            }
            (Some((parent, key)), value) => {
                v.pointer_mut(parent)
                    .and_then(Value::as_object_mut)
                    .unwrap()
                    .insert(key.to_owned(), value);
            }
            _ => unreachable!(),
        }
        cases.push((what, v.to_string()));
    }
    for (what, line) in cases {
        let (ok, report) = validate(&[line]);
        assert!(!ok, "{what}: accepted\n{report}");
    }
    let (ok, report) = validate(&[good.to_string()]);
    assert!(ok, "{report}");
}

#[test]
fn every_sample_finding_renders_as_asff_security_hub_accepts() {
    for (path, f) in all_findings() {
        let ctx = format!("{} {}", name(&path), f.detection_id);
        let Some(product) = asff::Product::of_finding(&f) else {
            panic!("{ctx}: samples carry an account id and a region");
        };
        let a = serde_json::to_value(asff::render(&f, &product, 0)).unwrap();
        for key in [
            "AwsAccountId",
            "CreatedAt",
            "Description",
            "GeneratorId",
            "Id",
            "ProductArn",
            "Resources",
            "SchemaVersion",
            "Severity",
            "Title",
            "Types",
            "UpdatedAt",
        ] {
            let v = &a[key];
            assert!(
                !v.is_null() && v != "" && v != &json!([]),
                "{ctx}: required {key} missing: {a}"
            );
        }
        assert_eq!(a["Id"], f.finding_id.as_str(), "{ctx}");
        assert_eq!(a["GeneratorId"], f.detection_id, "{ctx}");
        assert_eq!(a["SchemaVersion"], "2018-10-08", "{ctx}");
        assert_eq!(a["Severity"]["Label"], f.severity.upper(), "{ctx}");
        assert_eq!(a["Region"].as_str(), f.region.as_deref(), "{ctx}");
        assert_eq!(a["FindingProviderFields"]["Types"], a["Types"], "{ctx}");
        for t in a["Types"].as_array().unwrap() {
            let ns = t.as_str().unwrap().split('/').next().unwrap();
            assert!(
                [
                    "Software and Configuration Checks",
                    "TTPs",
                    "Effects",
                    "Unusual Behaviors",
                    "Sensitive Data Identifications"
                ]
                .contains(&ns),
                "{ctx}: type {t}"
            );
        }
        assert!(a["Title"].as_str().unwrap().chars().count() <= asff::MAX_TITLE);
        assert!(a["Description"].as_str().unwrap().chars().count() <= asff::MAX_DESCRIPTION);
        let size = a.to_string().len();
        assert!(size < 240 * 1024, "{ctx}: {size} bytes");
    }
}

#[test]
fn every_sample_finding_has_a_chat_notification() {
    let mut detections = BTreeSet::new();
    for (path, f) in all_findings() {
        let ctx = format!("{} {}", name(&path), f.detection_id);
        let n = chat::render(&f);
        assert_eq!(n["version"], "1.0", "{ctx}");
        assert_eq!(n["source"], "custom", "{ctx}");
        let c = &n["content"];
        assert!(c["title"].as_str().unwrap().contains(f.title), "{ctx}");
        let keywords = c["keywords"].as_array().unwrap();
        assert!(keywords.contains(&json!(f.detection_id)), "{ctx}");
        assert!(keywords.contains(&json!(f.severity.upper())), "{ctx}");
        let d = c["description"].as_str().unwrap();
        for bad in ["<", ">", "@", "://"] {
            assert!(!d.contains(bad), "{ctx}: {bad:?} in {d}");
        }
        detections.insert(f.detection_id);
    }
    assert!(detections.len() > 10, "{detections:?}");
}
