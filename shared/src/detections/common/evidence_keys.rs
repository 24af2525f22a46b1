//! Holds each detection's declared evidence keys (`Meta::evidence`) to its source:
//! every key its file writes by name, every key of the shared helpers it calls
//! (and of the helpers they call), and every request parameter it hands a helper
//! that copies parameters into the evidence. A tuning entry's `evidence.<key>` is
//! checked against the declared keys, so a key no sample reaches must be declared
//! all the same; the unit tests, the samples and the engine's debug builds hold
//! every signal they see to the list besides (`Meta::undeclared_evidence`).
//! The other way, every declared key must be found by the scan, in a sample's
//! signals, or in [`SEEN_ELSEWHERE`]: a stale key would let an `|absent` entry
//! on it match every finding.
//!
//! A plain scan of the text, not a parser: it reads `.with("key"`,
//! `.with_opt("key"` and `.with_json("key"`, function bodies up to the next `fn`,
//! and the parameter lists of the helpers in [`PARAMETER_HELPERS`] written in the
//! call or as a `const` of the same file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The helpers that copy request parameters into the evidence under their own
/// names, and which argument (from 0) holds the parameters. `params_evidence`
/// takes `(key, parameter)` pairs: the key is the pair's first text.
const PARAMETER_HELPERS: &[(&str, usize)] = &[
    ("change_evidence", 1),
    ("manual_change", 3),
    ("caller_change", 3),
    ("change_by_anyone_but", 3),
    ("successful_change", 3),
    ("aws_managed_policy_attached", 2),
    ("params_evidence", 1),
];

/// Declared keys that neither the scan nor a sample finds, each written where
/// the scan does not look: (detection, key).
const SEEN_ELSEWHERE: &[(&str, &str)] = &[
    // The keys naming what `id` and `name` name, by call (a `match`).
    ("macie-disabled", "scope"),
    ("macie-disabled", "scope_name"),
    ("macie-disabled", "template_name"),
    // `source_key`: a read replica's source, or a restore's.
    ("rds-instance-made-public", "restored_from"),
    // A trust provider's moved endpoints, `(key, value)` pairs.
    ("verified-access-opened", "authorization_endpoint"),
    ("verified-access-opened", "issuer"),
    ("verified-access-opened", "token_endpoint"),
    ("verified-access-opened", "user_info_endpoint"),
];

/// The part of a file before its unit tests.
fn code(text: &str) -> &str {
    text.split("\n#[cfg(test)]").next().unwrap_or(text)
}

/// The keys written by name: the text right after each `.with(`, `.with_opt(` or
/// `.with_json(` when it is a string literal.
fn written_keys(text: &str) -> BTreeSet<&str> {
    let mut keys = BTreeSet::new();
    for call in [".with(", ".with_opt(", ".with_json("] {
        for (at, _) in text.match_indices(call) {
            let rest = text[at + call.len()..].trim_start();
            if let Some(literal) = rest.strip_prefix('"') {
                keys.insert(&literal[..literal.find('"').unwrap_or(0)]);
            }
        }
    }
    keys
}

/// Each `fn` of `text` by name, with its text up to the next `fn`.
fn functions(text: &str) -> Vec<(&str, &str)> {
    let starts: Vec<usize> = text.match_indices("fn ").map(|(at, _)| at).collect();
    starts
        .iter()
        .enumerate()
        .filter(|&(_, &at)| at == 0 || !is_ident(text.as_bytes()[at - 1]))
        .map(|(i, &at)| {
            let end = starts.get(i + 1).copied().unwrap_or(text.len());
            let name = &text[at + 3..];
            let name = &name[..name.bytes().position(|b| !is_ident(b)).unwrap_or(0)];
            (name, &text[at..end])
        })
        .collect()
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Where `text` calls `name(` (as a whole name), the offset after the `(`; not
/// the function's own declaration.
fn calls(text: &str, name: &str) -> Vec<usize> {
    let call = format!("{name}(");
    text.match_indices(call.as_str())
        .filter(|&(at, _)| at == 0 || !is_ident(text.as_bytes()[at - 1]))
        .filter(|&(at, _)| !text[..at].ends_with("fn "))
        .map(|(at, _)| at + call.len())
        .collect()
}

/// The arguments of the call whose `(` ends just before `from`, split at the
/// top-level commas (string literals skipped whole).
fn arguments(text: &str, from: usize) -> Vec<&str> {
    let bytes = text.as_bytes();
    let (mut depth, mut start, mut i) = (0usize, from, from);
    let mut args = Vec::new();
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' if depth == 0 => {
                args.push(&text[start..i]);
                return args;
            }
            b')' | b']' | b'}' => depth -= 1,
            b',' if depth == 0 => {
                args.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    args
}

/// The string literals of `text`; with `pairs`, only each `("key", ...)` pair's first.
fn literals(text: &str, pairs: bool) -> BTreeSet<&str> {
    let mut out = BTreeSet::new();
    let mut parts = text.split('"');
    let mut before = parts.next().unwrap_or("");
    while let (Some(literal), Some(after)) = (parts.next(), parts.next()) {
        if !pairs || before.trim_end().ends_with('(') {
            out.insert(literal);
        }
        before = after;
    }
    out
}

/// The request parameters `text` hands the helpers of [`PARAMETER_HELPERS`]: the
/// literals of the argument, or of a `const` it names in `file` (whose code is
/// `consts`).
fn parameter_keys<'t>(text: &'t str, consts: &'t str, file: &Path) -> BTreeSet<&'t str> {
    let mut keys = BTreeSet::new();
    for &(helper, index) in PARAMETER_HELPERS {
        let pairs = helper == "params_evidence";
        for at in calls(text, helper) {
            let Some(arg) = arguments(text, at).get(index).map(|a| a.trim()) else {
                continue;
            };
            keys.extend(literals(arg, pairs));
            let named = arg.trim_start_matches('&');
            if named
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                && !named.is_empty()
            {
                let declared = format!("const {named}:");
                let at = consts.find(&declared).unwrap_or_else(|| {
                    panic!(
                        "{}: {helper} is handed {named}, not a const of this file",
                        file.display()
                    )
                });
                let value = &consts[at..];
                keys.extend(literals(
                    &value[..value.find(';').unwrap_or(value.len())],
                    pairs,
                ));
            }
        }
    }
    keys
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("detections/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_detection_declares_the_evidence_keys_its_source_writes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/detections");
    // The shared helpers' keys, each with the keys of the helpers it calls.
    let common: Vec<(PathBuf, String)> = rust_files(&dir.join("common"))
        .into_iter()
        .filter(|p| !p.ends_with("evidence_keys.rs"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("common/");
            (p, text)
        })
        .collect();
    let mut bodies: BTreeMap<&str, String> = BTreeMap::new();
    // Each helper's keys written by name, and the parameters it hands a
    // helper that copies them (`aws_managed_policy_attached` hands
    // `change_evidence` its `policyArn`).
    let mut helpers: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (path, text) in &common {
        let file = code(text);
        for (name, body) in functions(file) {
            bodies.entry(name).or_default().push_str(body);
            let keys = helpers.entry(name).or_default();
            keys.extend(written_keys(body));
            keys.extend(parameter_keys(body, file, path));
        }
    }
    loop {
        let mut grew = false;
        for (name, body) in &bodies {
            let reached: BTreeSet<&str> = helpers
                .iter()
                .filter(|(other, keys)| {
                    *other != name && !keys.is_empty() && !calls(body, other).is_empty()
                })
                .flat_map(|(_, keys)| keys.iter().copied())
                .collect();
            let own = helpers.get_mut(name).expect("every body has keys");
            let before = own.len();
            own.extend(reached);
            grew |= own.len() > before;
        }
        if !grew {
            break;
        }
    }
    assert!(
        helpers["change_evidence"].contains("caller"),
        "the scan lost the helpers"
    );
    assert!(
        helpers["aws_managed_policy_attached"].contains("policyArn"),
        "the scan lost the parameters"
    );

    let metas: BTreeMap<&str, &crate::detection::Meta> = crate::detections::ALL
        .iter()
        .map(|d| (d.meta().id, d.meta()))
        .collect();
    // The keys every sample's signals give, by detection; each must be declared
    // (a tuning entry's `evidence.<key>` is checked against the list).
    let mut observed: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut signals = 0;
    let all = crate::detections::ALL;
    super::testing::for_each_sample_signal(all, |i, signal| {
        let meta = all[i].meta();
        let undeclared = meta.undeclared_evidence(signal);
        assert!(
            undeclared.is_empty(),
            "{}: {undeclared:?} not in its evidence keys",
            meta.id
        );
        // Declared, so the detection's own (static) names stand for them.
        let seen = observed.entry(meta.id).or_default();
        seen.extend(
            meta.evidence_keys()
                .filter(|k| signal.evidence_keys().any(|s| s == *k)),
        );
        signals += 1;
    });
    assert!(signals >= 1000, "only {signals} signals");
    let mut unseen: Vec<String> = Vec::new();
    let mut checked = 0;
    for file in rust_files(&dir) {
        if file.ends_with("mod.rs") {
            continue;
        }
        let whole = std::fs::read_to_string(&file).expect("a detection's file");
        let text = code(&whole);
        let mut keys = written_keys(text);
        keys.extend(parameter_keys(text, text, &file));
        for (helper, own) in &helpers {
            if !own.is_empty() && !calls(text, helper).is_empty() {
                keys.extend(own.iter().copied());
            }
        }
        let id = text
            .split_once("\n    id: \"")
            .map(|(_, rest)| &rest[..rest.find('"').unwrap_or(0)]);
        let Some(meta) = id.and_then(|id| metas.get(id)) else {
            assert!(
                keys.is_empty(),
                "{}: writes {keys:?} but names its id by a constant",
                file.display()
            );
            continue;
        };
        let undeclared: Vec<&&str> = keys
            .iter()
            .filter(|k| !meta.evidence_keys().any(|d| d == **k))
            .collect();
        assert!(
            undeclared.is_empty(),
            "{}: evidence keys {undeclared:?} are not in its META.evidence",
            meta.id
        );
        // The other way: a declared key that neither the scan nor a sample
        // finds may be stale, and an `|absent` entry on it would be taken and
        // match every finding of the detection.
        for (_, key) in SEEN_ELSEWHERE.iter().filter(|(id, _)| *id == meta.id) {
            assert!(
                text.contains(&format!("\"{key}\"")),
                "{}: {key} is not in its code",
                meta.id
            );
        }
        for declared in meta.evidence_keys() {
            let sampled = observed.get(meta.id).is_some_and(|o| o.contains(declared));
            if !keys.contains(declared)
                && !sampled
                && !SEEN_ELSEWHERE.contains(&(meta.id, declared))
            {
                unseen.push(format!("{} {declared}", meta.id));
            }
        }
        checked += 1;
    }
    assert!(
        unseen.is_empty(),
        "declared but neither written by name nor in a sample: {unseen:?}"
    );
    // Only `pipeline_silent.rs` names its id by a constant (and writes no key).
    assert!(
        checked + 1 >= crate::detections::COUNT,
        "only {checked} files checked"
    );
}
