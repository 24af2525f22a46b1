//! `trailwatch replay` of one large JSON-lines file cut into ranges read on several
//! threads: the findings, their order, the summary and every located error are
//! byte for byte those of `--threads 1`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_trailwatch");

fn dir() -> PathBuf {
    let d = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("trailwatch-threads-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn trailwatch(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("trailwatch runs")
}

/// stderr without the run time and rate of the summary line.
fn summary(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .map(|l| match l.find(" findings in ") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A generated corpus (true attacks among ordinary traffic), with input errors
/// sprinkled through it and CRLF line ends on a stretch; returns the file and the
/// line numbers of the errors.
fn corpus() -> (PathBuf, Vec<usize>) {
    let d = dir();
    let clean = d.join("clean.jsonl");
    let out = trailwatch(&[
        "generate",
        "--records",
        "4000",
        "--seed",
        "11",
        "--out",
        clean.to_str().expect("utf-8 path"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&clean).expect("generated corpus");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    for line in &mut lines[1000..1400] {
        line.push('\r');
    }
    let mut bad = Vec::new();
    for (i, junk) in [
        (17, "{\"eventName\": ".to_owned()),
        (
            1999,
            format!("{{\"eventName\":\"X\",\"pad\":\"{}\"}}", "a".repeat(3000)),
        ),
        (3001, "\u{1}junk".to_owned()),
    ] {
        lines.insert(i, junk);
        bad.push(i + 1);
    }
    let path = d.join("corpus.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").expect("write corpus");
    (path, bad)
}

fn replay(path: &Path, args: &[&str]) -> Output {
    let mut all = vec!["replay", "--format", "jsonl", "--max-record-bytes", "2800"];
    all.extend_from_slice(args);
    all.push(path.to_str().expect("utf-8 path"));
    trailwatch(&all)
}

#[test]
fn a_file_cut_into_ranges_replays_as_on_one_thread() {
    let (path, bad) = corpus();
    let size = std::fs::metadata(&path).expect("corpus").len();
    let one = replay(&path, &["--threads", "1"]);
    assert!(one.status.success(), "{}", summary(&one));
    let findings = String::from_utf8_lossy(&one.stdout).lines().count();
    assert!(findings > 20, "{findings} findings");
    let errors = summary(&one);
    for line in &bad {
        let at = format!("{}:{line}:", path.display());
        assert!(errors.contains(&at), "no error at {at}\n{errors}");
    }
    assert!(errors.contains("4000 records read, 3 rejected"), "{errors}");
    // Ranges of 64 KiB and of an odd size well under one record's worth of lines.
    for chunk in ["65536", "4099"] {
        let ranges = replay(&path, &["--threads", "4", "--chunk-bytes", chunk]);
        assert!(size / chunk.parse::<u64>().expect("number") > 20);
        assert!(ranges.status.success());
        assert!(
            ranges.stdout == one.stdout,
            "findings differ with ranges of {chunk} bytes"
        );
        assert_eq!(summary(&ranges), errors, "ranges of {chunk} bytes");
    }
}
