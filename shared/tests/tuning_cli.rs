//! `trailwatch tuning check|example` and `replay --tuning`, end to end on the
//! binary: exit statuses, located problems, the --protect gate on the bundled
//! attack samples, dispositions and the summary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_trailwatch");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn tmp(name: &str, text: &str) -> PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("trailwatch-tuning-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("trailwatch runs")
}

/// The findings `replay --format jsonl` printed, one per line.
fn findings(o: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Suppresses the sample attack `positive-assumed-role-sdk.json` of
/// cloudwatch-log-group-deletion (its role and address).
const SILENCES_AN_ATTACK: &str = r#"
[[suppress]]
id = "app-role-log-rotation"
detections = ["cloudwatch-log-group-deletion"]
reason = "the app role rotates its own log groups"
owner = "platform@example.com"
expires = "2027-03-01"
[suppress.match]
"userIdentity.arn" = "arn:aws:sts::*:assumed-role/ec2-app-role/*"
"sourceIPAddress|cidr" = "203.0.113.0/24"
"#;

#[test]
fn check_exit_statuses_and_located_problems() {
    let example = run(&["tuning", "example"]);
    assert!(example.status.success());
    let good = tmp("example.toml", &String::from_utf8(example.stdout).unwrap());
    let good = good.to_str().unwrap();
    let o = run(&["tuning", "check", good, "--now", "2026-12-01"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // A warning (expiring within 14 days) fails only with --strict.
    let o = run(&["tuning", "check", good, "--now", "2027-01-25"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(":67:1: warning: entry \"localstack-dev\" expires"),
        "{}",
        stderr(&o)
    );
    let o = run(&["tuning", "check", good, "--now", "2027-01-25", "--strict"]);
    assert_eq!(o.status.code(), Some(1));

    let bad = tmp(
        "bad.toml",
        "[detections.getpassworddata-burst]\nthreshold = 0\n\n[detections.no-such]\nmode = \"on\"\n",
    );
    let o = run(&[
        "tuning",
        "check",
        bad.to_str().unwrap(),
        "--now",
        "2026-12-01",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let text = stderr(&o);
    let name = bad.display().to_string();
    assert!(
        text.contains(&format!("{name}:2:13: threshold must be from 2 to 2000")),
        "{text}"
    );
    assert!(
        text.contains(&format!("{name}:4:13: unknown detection id \"no-such\"")),
        "{text}"
    );

    let o = run(&["tuning", "check", "/nonexistent/tuning.toml"]);
    assert_eq!(o.status.code(), Some(2));
    // replay refuses an invalid file before reading anything.
    let o = run(&[
        "replay",
        "--tuning",
        bad.to_str().unwrap(),
        "--now",
        "2026-12-01",
        "-",
    ]);
    assert_eq!(o.status.code(), Some(2));
}

/// `--protect` takes every path after it, so a tuning file given after the
/// paths is its last value: the gate runs the same, not "missing FILE".
#[test]
fn protect_given_before_the_file_leaves_it_the_last_path() {
    let t = tmp("silences-after.toml", SILENCES_AN_ATTACK);
    let events = root().join("events");
    let o = run(&[
        "tuning",
        "check",
        "--now",
        "2026-12-01",
        "--protect",
        events.to_str().unwrap(),
        t.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = stderr(&o);
    assert!(text.contains("silences-after.toml: valid: "), "{text}");
    assert!(
        text.contains("entry \"app-role-log-rotation\" silences cloudwatch-log-group-deletion"),
        "{text}"
    );
    // One path alone is the paths, and the file is missing.
    let o = run(&["tuning", "check", "--protect", events.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no tuning file"), "{}", stderr(&o));
}

/// Event ids of two samples of `trailwatch-tampering` about the tuning itself.
const TUNING_FILE_OVERWRITTEN: &str = "f64c0354-a2c8-8310-17bc-b5d8a641c196";
const TUNING_BUCKET_VERSIONING_SUSPENDED: &str = "b4deda69-0e58-252e-2a5f-625e83b64e62";

/// The organisation-fence samples fire only for a deployment that names its
/// own organisations: `--organization-ids` makes the gate protect them (from a
/// review: a suppression of one passed the gate).
#[test]
fn protect_with_organization_ids_protects_the_organisation_fence_samples() {
    let t = tmp(
        "fence.toml",
        r#"
[[suppress]]
id = "partner-org-bucket"
detections = ["s3-bucket-policy-external-access"]
reason = "finance exports bucket"
owner = "platform@example.com"
expires = "2027-03-01"
[suppress.match]
"requestParameters.bucketName" = "finance-exports"
"userIdentity.arn" = "arn:aws:sts::111122223333:assumed-role/StorageAdmin/*"
"#,
    );
    let sample = root().join("events/s3-bucket-policy-external-access");
    let gate = |extra: &[&str]| {
        let mut args = vec![
            "tuning",
            "check",
            t.to_str().unwrap(),
            "--now",
            "2026-12-01",
        ];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--protect", sample.to_str().unwrap()]);
        run(&args)
    };
    let without = gate(&[]);
    assert_eq!(without.status.code(), Some(0), "{}", stderr(&without));
    let with = gate(&["--organization-ids", "o-a1b2c3d4e5"]);
    assert_eq!(with.status.code(), Some(1), "{}", stderr(&with));
    assert!(
        stderr(&with)
            .contains("entry \"partner-org-bucket\" silences s3-bucket-policy-external-access"),
        "{}",
        stderr(&with)
    );
    let bad = gate(&["--organization-ids", "o-nope"]);
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    assert!(
        stderr(&bad).contains("--organization-ids: not an organization id"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn protect_refuses_a_tuning_that_silences_a_sample_attack() {
    let t = tmp("silences.toml", SILENCES_AN_ATTACK);
    let events = root().join("events");
    let o = run(&[
        "tuning",
        "check",
        t.to_str().unwrap(),
        "--now",
        "2026-12-01",
        "--protect",
        events.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = stderr(&o);
    assert!(
        text.contains("entry \"app-role-log-rotation\" silences cloudwatch-log-group-deletion on event ids: d825ddd3-7788-49a8-aa42-2b3b33a87fe8 (in "),
        "{text}"
    );
    // The sample it silences is named, as read.
    assert!(
        text.contains("events/cloudwatch-log-group-deletion/positive-assumed-role-sdk.json)"),
        "{text}"
    );
    assert!(text.contains(": --protect: 1 of "), "{text}");
    assert!(text.contains(" finding(s) would be silenced"), "{text}");
    // Shadow and off are silencing too; a dry run is not.
    let t = tmp(
        "modes.toml",
        "[detections.cloudtrail-log-suspended]\nmode = \"shadow\"\n[detections.cloudtrail-log-deleted]\nmode = \"off\"\n\
         [detections.trailwatch-tampering]\nmode = \"off\"\n",
    );
    let o = run(&[
        "tuning",
        "check",
        t.to_str().unwrap(),
        "--protect",
        events.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let text = stderr(&o);
    assert!(
        text.contains("[detections.cloudtrail-log-suspended] mode = \"shadow\" silences"),
        "{text}"
    );
    assert!(
        text.contains("[detections.cloudtrail-log-deleted] mode = \"off\" silences"),
        "{text}"
    );
    // Off silences trailwatch-tampering, but not on the tuning bucket and file:
    // no tuning reaches those findings.
    assert!(
        text.contains(
            "[detections.trailwatch-tampering] mode = \"off\" silences trailwatch-tampering"
        ),
        "{text}"
    );
    for tuning_change in [TUNING_FILE_OVERWRITTEN, TUNING_BUCKET_VERSIONING_SUSPENDED] {
        assert!(!text.contains(tuning_change), "{text}");
    }
    // That is a note, not a warning: `--strict` passes a file with notes only.
    let noted = tmp(
        "noted.toml",
        "[detections.trailwatch-tampering]\nseverity = \"medium\"\n",
    );
    let o = run(&["tuning", "check", "--strict", noted.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("noted.toml:1:13: note: [detections.trailwatch-tampering]"),
        "{}",
        stderr(&o)
    );
    let dry = tmp(
        "dry.toml",
        &SILENCES_AN_ATTACK.replace("[suppress.match]", "dry_run = true\n[suppress.match]"),
    );
    let o = run(&[
        "tuning",
        "check",
        dry.to_str().unwrap(),
        "--now",
        "2026-12-01",
        "--protect",
        events.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// From a first-hour review: a detection the tuning switched off reported
/// nothing and the summary said nothing of it.
#[test]
fn replay_names_the_detections_the_tuning_switched_off() {
    let t = tmp(
        "off.toml",
        "[detections.cloudwatch-log-group-deletion]\nmode = \"off\"\n",
    );
    let sample = root().join("events/cloudwatch-log-group-deletion/positive-assumed-role-sdk.json");
    let o = run(&[
        "replay",
        "--tuning",
        t.to_str().unwrap(),
        "--only",
        "cloudwatch-log-group-deletion",
        sample.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(o.stdout.is_empty(), "nothing runs");
    let summary = stderr(&o);
    assert!(
        summary.contains("off by the tuning (not run): cloudwatch-log-group-deletion"),
        "{summary}"
    );
}

#[test]
fn replay_shows_dispositions_and_counts_them() {
    let t = tmp("replay.toml", SILENCES_AN_ATTACK);
    // Two of the detection's samples: the attack the entry silences, and the
    // root console's deletion, which it does not (the latter is also
    // `root-user-activity`'s, which this test is not about).
    let samples = root().join("events/cloudwatch-log-group-deletion");
    let (silenced, root_console) = (
        samples.join("positive-assumed-role-sdk.json"),
        samples.join("positive-root-console.json"),
    );
    let t = t.to_str().unwrap();
    let (silenced, root_console) = (silenced.to_str().unwrap(), root_console.to_str().unwrap());
    let others = "root-user-activity";
    let notified = run(&[
        "replay",
        "--format",
        "jsonl",
        "--tuning",
        t,
        "--now",
        "2026-12-01",
        "--disable",
        others,
        silenced,
        root_console,
    ]);
    assert!(notified.status.success(), "{}", stderr(&notified));
    let lines = findings(&notified);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["disposition"], "notified");
    let summary = stderr(&notified);
    assert!(
        summary.contains("entry app-role-log-rotation: 1 finding(s)"),
        "{summary}"
    );
    assert!(
        summary.contains("        1          1       0         0  cloudwatch-log-group-deletion"),
        "{summary}"
    );

    let all = run(&[
        "replay",
        "--format",
        "jsonl",
        "--tuning",
        t,
        "--now",
        "2026-12-01",
        "--show-suppressed",
        "--disable",
        others,
        silenced,
        root_console,
    ]);
    let lines = findings(&all);
    let mut d: Vec<&str> = lines
        .iter()
        .map(|l| l["disposition"].as_str().unwrap())
        .collect();
    d.sort_unstable();
    assert_eq!(d, ["notified", "suppressed"]);
    let s = lines
        .iter()
        .find(|l| l["disposition"] == "suppressed")
        .unwrap();
    assert_eq!(s["evidence"]["suppressed_by"], "app-role-log-rotation");
    // After the entry's last day it no longer applies.
    let later = run(&[
        "replay",
        "--format",
        "jsonl",
        "--tuning",
        t,
        "--now",
        "2027-03-02",
        "--disable",
        others,
        silenced,
        root_console,
    ]);
    assert_eq!(String::from_utf8_lossy(&later.stdout).lines().count(), 2);
    assert!(
        stderr(&later).contains("expired on 2027-03-01"),
        "{}",
        stderr(&later)
    );
}

/// From a review: a narrower dry-run entry meant to replace a broad one is
/// credited with what it matches, the findings the broad entry suppresses too
/// (it showed 0), and the suppressed finding names it in its evidence.
#[test]
fn a_trial_entry_beside_a_broad_one_is_credited_with_its_matches() {
    let trial = SILENCES_AN_ATTACK.to_owned()
        + r#"
[[suppress]]
id = "narrow-trial"
detections = ["cloudwatch-log-group-deletion"]
reason = "the app role's own log groups only"
owner = "platform@example.com"
expires = "2027-03-01"
dry_run = true
[suppress.match]
"userIdentity.arn" = "arn:aws:sts::*:assumed-role/ec2-app-role/*"
"sourceIPAddress|cidr" = "203.0.113.0/24"
"requestParameters.logGroupName" = "/app/*"
"#;
    let t = tmp("trial.toml", &trial);
    let sample = root().join("events/cloudwatch-log-group-deletion/positive-assumed-role-sdk.json");
    let text = std::fs::read_to_string(&sample).unwrap();
    let mut rec: serde_json::Value = serde_json::from_str(&text).unwrap();
    let group = rec["detail"]["requestParameters"]["logGroupName"].clone();
    let narrow = tmp("narrow.json", &{
        rec["detail"]["requestParameters"]["logGroupName"] = "/app/worker".into();
        rec.to_string()
    });
    assert_ne!(group, "/app/worker");
    let replay = |input: &Path| {
        run(&[
            "replay",
            "--format",
            "jsonl",
            "--show-suppressed",
            "--tuning",
            t.to_str().unwrap(),
            "--now",
            "2026-12-01",
            input.to_str().unwrap(),
        ])
    };
    let o = replay(&narrow);
    let summary = stderr(&o);
    assert!(
        summary.contains("entry app-role-log-rotation: 1 finding(s)"),
        "{summary}"
    );
    assert!(
        summary.contains("entry narrow-trial (dry run): 1 finding(s)"),
        "{summary}"
    );
    let line: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&o.stdout).lines().next().unwrap()).unwrap();
    assert_eq!(line["disposition"], "suppressed");
    assert_eq!(line["evidence"]["dry_run_match"], "narrow-trial");
    // The sample's own log group is outside the trial: credited to the broad
    // entry alone.
    let summary = stderr(&replay(&sample));
    assert!(
        summary.contains("entry app-role-log-rotation: 1 finding(s)"),
        "{summary}"
    );
    assert!(
        summary.contains("entry narrow-trial (dry run): 0 finding(s)"),
        "{summary}"
    );
}

#[test]
fn push_validates_before_it_writes() {
    let bad = tmp("push-bad.toml", "[detections.nope]\n");
    let dest = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("trailwatch-pushed-{}.toml", std::process::id()));
    let d = dest.to_str().unwrap();
    let o = run(&["tuning", "push", bad.to_str().unwrap(), "--to", d]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(!dest.exists(), "an invalid file is not pushed");
    let good = tmp(
        "push-good.toml",
        "[detections.cloudtrail-log-created]\nmode = \"shadow\"\n",
    );
    let o = run(&["tuning", "push", good.to_str().unwrap(), "--to", d]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(&dest).unwrap(),
        "[detections.cloudtrail-log-created]\nmode = \"shadow\"\n"
    );
    let o = run(&[
        "tuning",
        "push",
        good.to_str().unwrap(),
        "--to",
        "s3://bucket-only",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    std::fs::remove_file(&dest).ok();
}

/// `tuning push` prints a file's warnings and uploads it; with `--strict` it
/// refuses to upload a file with any warning, as `tuning check --strict` fails
/// on it (a threshold ten times the built-in is a warning on any day).
#[test]
fn push_prints_warnings_and_strict_refuses_them() {
    let text = "[detections.getpassworddata-burst]\nthreshold = 200\n";
    let warned = tmp("push-warned.toml", text);
    let dest = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "trailwatch-pushed-warned-{}.toml",
        std::process::id()
    ));
    let d = dest.to_str().unwrap();
    let push = |extra: &[&str]| {
        let mut args = vec!["tuning", "push", warned.to_str().unwrap(), "--to", d];
        args.extend_from_slice(extra);
        run(&args)
    };
    let warning = "push-warned.toml:2:13: warning: threshold 200";
    let o = push(&["--strict"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains(warning), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("1 warning(s), not pushed (--strict)"),
        "{}",
        stderr(&o)
    );
    assert!(
        !dest.exists(),
        "a file with a warning is not pushed under --strict"
    );
    let o = push(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains(warning), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&dest).unwrap(), text);
    // A file without warnings is pushed under --strict too.
    let clean = tmp(
        "push-clean.toml",
        "[detections.cloudtrail-log-created]\nmode = \"shadow\"\n",
    );
    let o = run(&[
        "tuning",
        "push",
        clean.to_str().unwrap(),
        "--to",
        d,
        "--strict",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(std::fs::read_to_string(&dest).unwrap().contains("shadow"));
    std::fs::remove_file(&dest).ok();
}

/// The DeleteLogGroup sample's record, as another actor
/// (`role`) `minutes` later, with its own event id.
fn log_group_deleted_by(role: &str, minutes: u32, id: &str) -> String {
    let text = std::fs::read_to_string(
        root().join("events/cloudwatch-log-group-deletion/positive-assumed-role-sdk.json"),
    )
    .unwrap();
    let mut rec: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut rec = rec["detail"].take();
    rec["eventID"] = id.into();
    rec["eventTime"] = format!("2026-09-15T02:{:02}:09Z", 14 + minutes).into();
    rec["userIdentity"]["arn"] = format!("arn:aws:sts::123456789012:assumed-role/{role}/s").into();
    rec["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"] =
        format!("arn:aws:iam::123456789012:role/{role}").into();
    rec.to_string()
}

/// The gate fails when it could not check: an unreadable record, or nothing
/// firing untuned (a wrong path); it names a dedup that holds an actor's finding
/// back behind another's, and warns of lowered severities (failing under
/// `--strict`).
#[test]
fn protect_checks_everything_it_is_given_and_what_dedup_and_severity_hide() {
    let all = SILENCES_AN_ATTACK.replace(
        "\"sourceIPAddress|cidr\" = \"203.0.113.0/24\"",
        "\"eventName\" = \"*\"",
    );
    // `tuning check TUNING [EXTRA] --protect PROTECT` exits with `code` and
    // says each of `needles`.
    let check = |tuning: &str, extra: &[&str], protect: &Path, code: i32, needles: &[&str]| {
        let tuning = tmp("protect.toml", tuning);
        let mut args = vec![
            "tuning",
            "check",
            tuning.to_str().unwrap(),
            "--now",
            "2026-12-01",
        ];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--protect", protect.to_str().unwrap()]);
        let o = run(&args);
        let text = stderr(&o);
        assert_eq!(o.status.code(), Some(code), "{text}");
        for n in needles {
            assert!(text.contains(n), "{n}: {text}");
        }
    };
    // Read whole, but a sample on which nothing fires (a wrong path, say).
    let quiet = root().join("events/cloudwatch-log-group-deletion/negative-not-found.json");
    check(&all, &[], &quiet, 2, &["nothing fires untuned"]);
    // A directory without an input file says so (from a new user's review).
    let empty = tmp("anchor.txt", "").with_file_name("protect-empty");
    std::fs::create_dir_all(&empty).unwrap();
    check(&all, &[], &empty, 2, &["--protect: no input files in "]);
    let attack = log_group_deleted_by("ec2-app-role", 0, "a-1");
    let mixed = tmp("mixed.jsonl", &format!("{attack}\n{{\"not\": json\n"));
    let unread = [
        "1 record(s) could not be read (the first: ",
        "mixed.jsonl:2",
    ];
    check(&all, &[], &mixed, 2, &unread);

    // Another role deletes a log group 26 minutes after the pipeline did: a
    // dedup by account alone holds the intruder's finding back.
    let two = tmp(
        "two.jsonl",
        &format!(
            "{}\n{}\n",
            log_group_deleted_by("TerraformCI", 0, "a-1"),
            log_group_deleted_by("Attacker", 26, "a-2")
        ),
    );
    let dedup = "[detections.cloudwatch-log-group-deletion]\ndedup_secs = 2592000\n";
    let held = [
        "dedup_by = [\"account\"] holds back cloudwatch-log-group-deletion by \"arn:aws:sts::123456789012:assumed-role/Attacker",
        "silences cloudwatch-log-group-deletion on event ids: a-2",
    ];
    check(
        &format!("{dedup}dedup_by = [\"account\"]\n"),
        &[],
        &two,
        1,
        &held,
    );
    // By account and actor (the default), the two are their own groups.
    check(dedup, &[], &two, 0, &["(2 checked)"]);
    // The intruder is notified later, once the pipeline's period has lapsed:
    // its held finding still waited behind the pipeline's, not its own.
    let three = tmp(
        "three.jsonl",
        &format!(
            "{}\n{}\n{}\n",
            log_group_deleted_by("TerraformCI", 0, "a-1"),
            log_group_deleted_by("Attacker", 26, "a-2"),
            log_group_deleted_by("Attacker", 40, "a-3")
        ),
    );
    let short =
        "[detections.cloudwatch-log-group-deletion]\ndedup_secs = 1800\ndedup_by = [\"account\"]\n";
    check(short, &[], &three, 1, &held);

    let low = "[detections.cloudwatch-log-group-deletion]\nseverity = \"low\"\n";
    let lowered = [
        "warning: [detections.cloudwatch-log-group-deletion] severity = \"low\" lowers cloudwatch-log-group-deletion from medium",
    ];
    check(low, &[], &two, 0, &lowered);
    check(low, &["--strict"], &two, 1, &lowered);

    // From a review: the gate replays as `replay` does, canary gaps included,
    // so a file that shadows or turns off pipeline-silent fails it.
    let canaries = root().join("events/pipeline-silent");
    for mode in ["shadow", "off"] {
        let muted = format!("[detections.pipeline-silent]\nmode = \"{mode}\"\n");
        check(
            &muted,
            &[],
            &canaries,
            1,
            &[&format!(
                "mode = \"{mode}\" silences pipeline-silent on event ids: "
            )],
        );
    }
}

/// From a review: a window override gives a windowed finding another id, and
/// the gate then took any tuned finding sharing a record as firing: a lowered
/// severity and a hold behind another actor's finding went unseen once
/// `window_secs` was set beside them.
#[test]
fn protect_judges_a_re_identified_windowed_finding_as_it_judges_one_found_by_id() {
    let sample = std::fs::read_to_string(
        root()
            .join("events/getpassworddata-burst/positive-11-instances-rotating-ip-and-agent.json"),
    )
    .unwrap();
    let envelopes: Vec<serde_json::Value> = serde_json::from_str(&sample).unwrap();
    let mut lines = Vec::new();
    // The pipeline's burst, then an intruder's in the same minutes.
    for (role, suffix) in [("ci-deployer", ""), ("intruder", "-b")] {
        for e in &envelopes {
            let mut r = e["detail"].clone();
            let text = r.to_string().replace("ci-deployer", role);
            r = serde_json::from_str(&text).unwrap();
            let id = format!("{}{suffix}", r["eventID"].as_str().unwrap());
            r["eventID"] = id.into();
            lines.push(r.to_string());
        }
    }
    let bursts = tmp("two-bursts.jsonl", &(lines.join("\n") + "\n"));
    let check = |tuning: &str, code: i32, needle: &str| {
        let file = tmp("rewindowed.toml", tuning);
        let o = run(&[
            "tuning",
            "check",
            "--strict",
            file.to_str().unwrap(),
            "--now",
            "2026-12-01",
            "--protect",
            bursts.to_str().unwrap(),
        ]);
        let text = stderr(&o);
        assert_eq!(o.status.code(), Some(code), "{tuning}: {text}");
        assert!(text.contains(needle), "{tuning}: {needle}: {text}");
    };
    let section = "[detections.getpassworddata-burst]\n";
    check(
        &format!("{section}window_secs = 290\n"),
        0,
        "every finding still fires",
    );
    check(
        &format!("{section}window_secs = 290\nseverity = \"low\"\n"),
        1,
        "severity = \"low\" lowers getpassworddata-burst from medium",
    );
    check(
        &format!("{section}window_secs = 290\ndedup_secs = 3600\ndedup_by = [\"account\"]\n"),
        1,
        "dedup_by = [\"account\"] holds back getpassworddata-burst",
    );
}

/// The records of a sample file (a list of EventBridge envelopes or one), with
/// copies of its first record `days` later after them, each with its own id.
fn sample_and_later_copies(sample: &str, days: &[i64]) -> String {
    let text = std::fs::read_to_string(root().join("events").join(sample)).unwrap();
    let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
    let envelopes = match parsed {
        serde_json::Value::Array(items) => items,
        one => vec![one],
    };
    let mut records: Vec<serde_json::Value> = envelopes
        .into_iter()
        .map(|mut e| e["detail"].take())
        .collect();
    let first = records[0].clone();
    let time = first["eventTime"].as_str().unwrap();
    let day = &time[8..10];
    for d in days {
        let mut copy = first.clone();
        let later = format!("{:02}", day.parse::<i64>().unwrap() + d);
        copy["eventTime"] = format!("{}{later}{}", &time[..8], &time[10..]).into();
        copy["eventID"] = format!("later-copy-{d}").into();
        records.push(copy);
    }
    records
        .iter()
        .map(serde_json::Value::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// From a review: a window or pair gap a tuning lengthens past a day outlived
/// the day its finding's claim was kept, and one burst (one creation and its
/// logins) was reported again every day. Each is reported once.
#[test]
fn a_window_lengthened_past_a_day_reports_its_burst_once() {
    for (detection, sample, days) in [
        (
            "getpassworddata-burst",
            "getpassworddata-burst/positive-11-instances-rotating-ip-and-agent.json",
            vec![1, 2],
        ),
        (
            "create-login-profile-then-console-login",
            "create-login-profile-then-console-login/positive-login-10-minutes-after-creation.json",
            vec![1, 2],
        ),
    ] {
        let tuning = tmp(
            "three-days.toml",
            &format!("[detections.{detection}]\nwindow_secs = 259200\n"),
        );
        let records = tmp("three-days.jsonl", &sample_and_later_copies(sample, &days));
        let o = run(&[
            "replay",
            records.to_str().unwrap(),
            "--tuning",
            tuning.to_str().unwrap(),
            "--format",
            "jsonl",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let ids: Vec<String> = String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|f| f["detection_id"] == detection)
            .map(|f| f["finding_id"].to_string())
            .collect();
        assert_eq!(ids.len(), 1, "{detection}: {ids:?}");
    }
}

/// From a review: a file that is not UTF-8 exited 2 (as a file that cannot be
/// read) with no position. It is an invalid file: exit 1, at its first bad byte.
#[test]
fn a_file_that_is_not_utf8_is_invalid_at_its_first_bad_byte() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("tw-tuning-utf8-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("latin1.toml");
    std::fs::write(
        &file,
        b"[detections.cloudtrail-log-deleted]\nmode = \"caf\xc3\xa9 sh\xe9dow\"\n",
    )
    .unwrap();
    let out = run(&["tuning", "check", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains("latin1.toml:2:16: not UTF-8 text (byte 0xE9)"),
        "{said}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The recipe `macie-disabled`'s false-positive text gives for a team's
/// standing exclusions in the sensitivity inspection template: the same
/// exclusions restated are suppressed; credentials excluded beside them (the
/// sample attack) are still notified.
#[test]
fn the_macie_template_recipe_keeps_a_new_exclusion_reported() {
    let t = tmp(
        "macie.toml",
        r#"
[[suppress]]
id = "macie-standing-exclusions"
detections = ["macie-disabled"]
reason = "we do not scan for names and addresses"
owner = "security@example.com"
expires = "2027-06-01"
[suppress.match]
"userIdentity.arn" = "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6789/*"
"eventName" = "UpdateSensitivityInspectionTemplate"
"evidence.template_hides[]" = ["managed_identifiers"]
"evidence.excluded_identifiers[]" = ["NAME", "ADDRESS"]
"#,
    );
    let attack =
        root().join("events/macie-disabled/positive-discovery-template-excludes-credentials.json");
    let text = std::fs::read_to_string(&attack).unwrap();
    let mut standing: serde_json::Value = serde_json::from_str(&text).unwrap();
    standing["detail"]["requestParameters"]["excludes"]["managedDataIdentifierIds"] =
        serde_json::json!(["NAME", "ADDRESS"]);
    standing["detail"]["eventID"] = serde_json::json!("0d6f3e39-5b1a-4c3e-9d7e-1f2a3b4c5d6e");
    // The same exclusions with an allow list included beside them (from a
    // review: an allow list matching any text passed under the first recipe).
    let mut with_list = standing.clone();
    with_list["detail"]["requestParameters"]["includes"]["allowListIds"] =
        serde_json::json!(["7rrhc8o9bqv1k3c2d4e5f6a7b"]);
    with_list["detail"]["eventID"] = serde_json::json!("5a0b7c1d-2e3f-4a5b-8c6d-7e8f9a0b1c2d");
    let standing = tmp("macie-standing.json", &standing.to_string());
    let with_list = tmp("macie-with-list.json", &with_list.to_string());
    let o = replay_tuned(
        &t,
        &[
            standing.to_str().unwrap(),
            with_list.to_str().unwrap(),
            attack.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let dispositions: Vec<String> = findings(&o)
        .into_iter()
        .map(|f| {
            format!(
                "{} {} {}",
                f["evidence"]["excluded_identifiers"],
                f["evidence"]["allow_lists"],
                f["disposition"]
            )
        })
        .collect();
    assert_eq!(
        dispositions,
        [
            r#"["NAME","ADDRESS"] ["7rrhc8o9bqv1k3c2d4e5f6a7b"] "notified""#,
            r#"["AWS_CREDENTIALS","CREDIT_CARD_NUMBER","OPENSSH_PRIVATE_KEY"] null "notified""#
        ],
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("entry macie-standing-exclusions: 1 finding(s)"),
        "{}",
        stderr(&o)
    );
    // The gate agrees: no sample attack is silenced, and the file is clean.
    passes_the_gate(&t);
}

/// The recipe the filters' false-positive texts give for a pipeline editing a
/// saved view's criteria without restating its action (Terraform's Macie
/// filter): with the flag, the routine edit is suppressed, while the same role
/// switching that view to ARCHIVE, or widening another filter, is notified
/// (from a review: the first recipe, without the flag, silenced the switch).
#[test]
fn the_unstated_filter_recipe_keeps_a_switch_to_archive_reported() {
    let t = tmp(
        "macie-view.toml",
        r#"
[[suppress]]
id = "terraform-saved-views"
detections = ["macie-disabled"]
reason = "Terraform edits the team's saved views"
owner = "security@example.com"
expires = "2027-06-01"
[suppress.match]
"userIdentity.sessionContext.sessionIssuer.arn" = "arn:aws:iam::111122223333:role/security-tooling-terraform"
"evidence.filter_id" = "0b7c2f4e-3a1d-4e6b-9c8f-71d2e5a9b304"
"evidence.filter_action_unstated" = "true"
"#,
    );
    let sample =
        root().join("events/macie-disabled/positive-archiving-filter-widened-by-terraform.json");
    let widened: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sample).unwrap()).unwrap();
    let view_id = "0b7c2f4e-3a1d-4e6b-9c8f-71d2e5a9b304";
    let variant = |event_id: &str, id: &str, action: Option<&str>| {
        let mut v = widened.clone();
        v["detail"]["eventID"] = serde_json::json!(event_id);
        v["detail"]["requestParameters"]["id"] = serde_json::json!(id);
        if let Some(a) = action {
            v["detail"]["requestParameters"]["action"] = serde_json::json!(a);
        }
        v.to_string()
    };
    let records = [
        variant("7f1e0c2a-0000-4000-8000-000000000001", view_id, None),
        variant(
            "7f1e0c2a-0000-4000-8000-000000000002",
            view_id,
            Some("ARCHIVE"),
        ),
    ]
    .join("\n");
    let records = tmp("macie-view.jsonl", &records);
    let o = replay_tuned(
        &t,
        &[
            "--show-suppressed",
            records.to_str().unwrap(),
            sample.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let seen: Vec<String> = findings(&o)
        .into_iter()
        .map(|f| format!("{} {}", f["event_ids"][0], f["disposition"]))
        .collect();
    assert_eq!(
        seen,
        [
            r#""7f1e0c2a-0000-4000-8000-000000000001" "suppressed""#,
            r#""7f1e0c2a-0000-4000-8000-000000000002" "notified""#,
            &format!(
                r#""{}" "notified""#,
                widened["detail"]["eventID"].as_str().unwrap()
            ),
        ],
        "{}",
        stderr(&o)
    );
    passes_the_gate(&t);
}

/// The gate agrees with a recipe: `tuning check --strict --protect events/`
/// passes (no sample attack silenced, the file clean).
fn passes_the_gate(t: &std::path::Path) {
    let o = run(&[
        "tuning",
        "check",
        t.to_str().unwrap(),
        "--now",
        "2026-12-01",
        "--strict",
        "--protect",
        root().join("events").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// `replay --format jsonl --tuning T --now 2026-12-01 ARGS...`.
fn replay_tuned(t: &std::path::Path, args: &[&str]) -> std::process::Output {
    let mut all = vec![
        "replay",
        "--format",
        "jsonl",
        "--tuning",
        t.to_str().unwrap(),
        "--now",
        "2026-12-01",
    ];
    all.extend_from_slice(args);
    run(&all)
}
