//! Every bound on input and state holds whatever the input: nesting depth, gzip
//! bombs, record, document and file sizes, values kept per window group, binary
//! junk. Each violation is refused with an error that names where it was, memory
//! stays bounded, and the run goes on: the good records around it still fire.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;

use serde_json::Value;
use trailwatch::engine::{Engine, Settings};
use trailwatch::event::Record;
use trailwatch::event::reader::{self, Limits, Location, Sink};
use trailwatch::finding::Finding;
use trailwatch::notify::Collect;
use trailwatch::state::{MemoryStore, Observation, Store, StoreError, Wrapper};
use trailwatch::window::MAX_OBSERVATIONS_PER_GROUP;

const BIN: &str = env!("CARGO_BIN_EXE_trailwatch");

/// A successful StopLogging (fires cloudtrail-log-suspended and
/// cloudtrail-important-change) with the eventID `stop-<id>`.
fn stop(id: &str) -> String {
    format!(
        r#"{{"eventVersion":"1.09","userIdentity":{{"type":"IAMUser","principalId":"AIDAEXAMPLEEXAMPLE1","arn":"arn:aws:iam::111122223333:user/mallory","accountId":"111122223333","userName":"mallory"}},"eventTime":"2026-03-02T10:15:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.50","userAgent":"Boto3/1.34.0","requestParameters":{{"name":"management-trail"}},"responseElements":null,"eventID":"stop-{id}","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"111122223333"}}"#
    )
}

/// An ordinary call no detection looks at.
const DESCRIBE: &str = r#"{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ops","accountId":"111122223333","userName":"ops"},"eventTime":"2026-03-02T10:16:00Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"Boto3/1.34.0","requestParameters":null,"responseElements":null,"eventID":"describe","readOnly":true,"eventType":"AwsApiCall","recipientAccountId":"111122223333"}"#;

/// A StopLogging whose `requestParameters.x` is `open` x `depth`, then `close` x `depth`.
fn deep_stop(id: &str, depth: usize, open: &str, close: &str) -> String {
    let deep = format!("{}0{}", open.repeat(depth), close.repeat(depth));
    stop(id).replace(
        r#""requestParameters":{"name":"management-trail"}"#,
        &format!(r#""requestParameters":{{"name":"management-trail","x":{deep}}}"#),
    )
}

fn deep_arrays(id: &str, depth: usize) -> String {
    deep_stop(id, depth, "[", "]")
}

fn deep_objects(id: &str, depth: usize) -> String {
    deep_stop(id, depth, r#"{"a":"#, "}")
}

fn envelope(detail: &str) -> String {
    format!(
        r#"{{"version":"0","id":"1","detail-type":"AWS API Call via CloudTrail","source":"aws.cloudtrail","account":"111122223333","time":"2026-03-02T10:15:00Z","region":"us-east-1","resources":[],"detail":{detail}}}"#
    )
}

fn tmp(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("trailwatch-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write temp file");
    p
}

fn command(args: &[&str], paths: &[&Path]) -> Command {
    let mut c = Command::new(BIN);
    c.arg("replay")
        .args(["--format", "jsonl"])
        .args(args)
        .args(paths)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn replay(args: &[&str], paths: &[&Path]) -> Output {
    command(args, paths).output().expect("trailwatch runs")
}

/// `(eventID, detection id)` of every finding on stdout, sorted; fails if a stdout
/// line is not a finding.
fn fired(out: &Output) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {l:.200}"));
            (
                v["event_ids"][0].as_str().unwrap_or("").to_owned(),
                v["detection_id"].as_str().expect("detection_id").to_owned(),
            )
        })
        .collect();
    v.sort();
    v
}

/// What a StopLogging with each of `ids` fires.
fn stops_fired(ids: &[&str]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = ids
        .iter()
        .flat_map(|id| {
            ["cloudtrail-important-change", "cloudtrail-log-suspended"]
                .map(|d| (format!("stop-{id}"), d.to_owned()))
        })
        .collect();
    v.sort();
    v
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_reports(err: &str, reports: &[&str]) {
    for r in reports {
        assert!(err.contains(r), "stderr lacks {r:?}:\n{err:.3000}");
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(bytes).expect("gzip");
    enc.finish().expect("gzip")
}

// ---------------------------------------------------------------------------
// (a) Nesting depth.

/// A StopLogging carrying a value nested 100,000 arrays or objects deep in
/// `requestParameters` (as a JSON line, the first line of a file, an EventBridge
/// `detail`, an item of `Records`), or 200 deep, past the JSON parser's recursion
/// limit (128), is read with that value cut (`event::repair`) and fires, without
/// a stack overflow: a caller cannot hide a call by nesting junk in it. A
/// 100,000-deep bare array is counted as not CloudTrail, an unclosed one is
/// malformed, located; `--strict` exits 1 for it with the same findings.
#[test]
fn deep_nesting_is_cut_and_the_record_still_fires() {
    const DEEP: usize = 100_000;
    let lines = [
        stop("1"),
        deep_arrays("a", DEEP),
        deep_objects("b", DEEP),
        deep_arrays("c", 200),
        envelope(&deep_objects("d", DEEP)),
        format!(
            r#"{{"Records":[{},{}]}}"#,
            stop("2"),
            deep_arrays("e", DEEP)
        ),
        format!("{}0{}", "[".repeat(DEEP), "]".repeat(DEEP)),
        "[".repeat(DEEP),
        stop("3"),
    ];
    let file = tmp("deep.jsonl", (lines.join("\n") + "\n").as_bytes());
    let first = tmp(
        "deep-first.jsonl",
        format!("{}\n{}\n", deep_objects("f", DEEP), stop("4")).as_bytes(),
    );
    for strict in [false, true] {
        let args: &[&str] = if strict { &["--strict"] } else { &[] };
        let out = replay(args, &[&file, &first]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(if strict { 1 } else { 0 }), "{err}");
        assert_eq!(
            fired(&out),
            stops_fired(&["1", "2", "3", "4", "a", "b", "c", "d", "e", "f"]),
            "{err}"
        );
        assert_reports(
            &err,
            &[
                "deep.jsonl:8: malformed JSON: EOF while parsing a list",
                "1 not CloudTrail",
                "1 rejected",
            ],
        );
        assert!(!err.contains("recursion limit"), "{err}");
    }
}

/// What the reader found, and what the engine made of the records (as the CLI does).
#[derive(Default)]
struct Run {
    fired: Vec<(String, String)>,
    rejected: Vec<(String, String)>,
    not_cloudtrail: Vec<String>,
}

impl Sink for Run {
    fn record(&mut self, loc: &Location, json: &str) {
        let mut repaired = String::new();
        let rec = match Record::from_json_repairing(json, &mut repaired) {
            Ok(r) => r,
            Err(e) => {
                self.rejected
                    .push((loc.to_string(), format!("invalid record: {e}")));
                return;
            }
        };
        for f in handle(&rec) {
            self.fired.push((
                f.event_ids.first().cloned().unwrap_or_default(),
                f.detection_id.to_owned(),
            ));
        }
    }
    fn rejected(&mut self, loc: &Location, reason: &str) {
        self.rejected.push((loc.to_string(), reason.to_owned()));
    }
    fn not_cloudtrail(&mut self, loc: &Location) {
        self.not_cloudtrail.push(loc.to_string());
    }
}

/// The catalogue's findings for one record, with fresh state.
fn handle(rec: &Record<'_>) -> Vec<Finding> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    rt.block_on(Engine::new(Settings::default()).handle(
        rec,
        &MemoryStore::default(),
        &Collect::default(),
        1_800_000_000,
    ))
    .expect("handled")
}

/// `reader::read_stream` with the default limits, on a thread with a 1 MiB stack:
/// records nested 100,000 deep (arrays, objects, in a `detail`, in `Records`) and 200
/// deep are handed over without recursing (no stack overflow on a small stack),
/// read as the CLI reads them (`Record::from_json_repairing`, the deep value cut)
/// and fire; a record nested 100 deep is within the limit and fires as it is; the
/// good records around them fire.
#[test]
fn deep_nesting_through_read_stream_needs_no_deep_stack() {
    const DEEP: usize = 100_000;
    let input = [
        stop("1"),
        deep_arrays("a", DEEP),
        deep_objects("b", DEEP),
        envelope(&deep_arrays("c", DEEP)),
        format!(
            r#"{{"Records":[{},{}]}}"#,
            deep_objects("d", DEEP),
            stop("2")
        ),
        deep_objects("e", 200),
        deep_arrays("ok", 100),
        stop("3"),
    ]
    .join("\n");
    let run = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || {
            let mut run = Run::default();
            reader::read_stream(input.as_bytes(), "deep", &Limits::default(), &mut run);
            run
        })
        .expect("thread")
        .join()
        .expect("no panic, no stack overflow");
    let mut fired = run.fired.clone();
    fired.sort();
    let mut expected = stops_fired(&["1", "2", "3", "a", "b", "c", "d", "e", "ok"]);
    expected.sort();
    assert_eq!(fired, expected, "rejected: {:?}", run.rejected);
    assert!(run.rejected.is_empty(), "{:?}", run.rejected);
    assert!(run.not_cloudtrail.is_empty());
}

// ---------------------------------------------------------------------------
// (b) Gzip bombs.

/// Peak resident memory (KiB) of `cmd`, measured by GNU time
/// (`/usr/bin/time -f %M`), with its output. The bounds on memory are what these
/// tests are for: without the tool, or without a figure from it, they fail
/// (install Debian's `time` package) rather than pass unchecked.
fn run_measured(cmd: Command, name: &str) -> (Output, u64) {
    let time = Path::new("/usr/bin/time");
    assert!(
        time.exists(),
        "/usr/bin/time (GNU time, Debian package `time`) is needed to measure the peak memory of {name}"
    );
    let report = tmp(&format!("{name}.maxrss"), b"");
    let mut wrapped = Command::new(time);
    wrapped
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&report)
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = wrapped.output().expect("trailwatch runs under time");
    let text = std::fs::read_to_string(&report).unwrap_or_default();
    let kib = text
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak memory for {name} from /usr/bin/time: {text:?}"));
    eprintln!("peak RSS of {name}: {kib} KiB");
    (out, kib)
}

/// One gzip member of `describes` DESCRIBE lines (about 500 bytes each).
fn describe_member(describes: usize) -> Vec<u8> {
    gzip(format!("{DESCRIBE}\n").repeat(describes).as_bytes())
}

const MIB: u64 = 1 << 20;

/// A gzip file of under 1 MB that inflates to over 180 MiB of JSON lines (a
/// StopLogging, then 400,000 ordinary records, as 21 gzip members) is read only up to
/// `--max-file-bytes` (10 MB, after decompression): the StopLogging before the cut
/// fires, the cut is reported with the file and line and the limit, the next file is
/// still read, peak memory stays far below the inflated size, and `--strict` exits 1.
#[test]
fn a_gzip_bomb_is_cut_off_at_max_file_bytes() {
    let member = describe_member(20_000);
    let mut bomb = gzip(format!("{}\n", stop("before")).as_bytes());
    for _ in 0..20 {
        bomb.extend_from_slice(&member);
    }
    let inflated = (stop("before").len() + 1) as u64 + 20 * 20_000 * (DESCRIBE.len() + 1) as u64;
    assert!(inflated > 180 * MIB, "{inflated}");
    assert!(
        (bomb.len() as u64) < 4 * MIB,
        "{} bytes on disk",
        bomb.len()
    );
    let bomb = tmp("bomb.json.gz", &bomb);
    let next = tmp("after-bomb.json", stop("next").as_bytes());
    for strict in [false, true] {
        let mut args = vec!["--max-file-bytes", "10000000", "--threads", "1"];
        if strict {
            args.push("--strict");
        }
        let (out, peak_kib) = run_measured(command(&args, &[&bomb, &next]), "bomb-cut");
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(if strict { 1 } else { 0 }), "{err}");
        assert_eq!(fired(&out), stops_fired(&["before", "next"]), "{err}");
        assert_reports(
            &err,
            &[
                "bomb.json.gz:",
                "read error: input is larger than the 10000000-byte limit",
                " 1 rejected",
            ],
        );
        // About 10 MB of ~500-byte records were read, not 200 MiB of them.
        let read: u64 = err
            .split(" records read")
            .next()
            .and_then(|s| s.rsplit(' ').next())
            .and_then(|n| n.parse().ok())
            .expect("the summary counts records");
        assert!(
            (15_000..25_000).contains(&read),
            "{read} records read: {err}"
        );
        assert!(
            peak_kib * 1024 < 64 * MIB,
            "peak RSS {peak_kib} KiB for a 10 MB cap"
        );
    }
    let _ = std::fs::remove_file(&bomb);
}

/// A gzip file that inflates to one JSON document larger than the default 64 MiB
/// `--max-document-bytes` is refused with the default limits, naming the file, the
/// line and the limit, with peak memory bounded (well under the inflated size):
/// - as one line of 100 MiB (`{"Records":[...]}` on one line), after which the
///   StopLogging on the next line is still read and fires;
/// - as a pretty-printed document of 100 MiB over many lines, after which the next
///   file is still read.
#[test]
fn a_gzip_bomb_over_the_document_limit_is_refused_with_default_limits() {
    let item = format!("{DESCRIBE},");
    let per_member = 20_000;
    let members = 100 * MIB as usize / (item.len() * per_member) + 1;
    let records_member = gzip(item.repeat(per_member).as_bytes());
    let pretty_member = gzip(format!("{item}\n").repeat(per_member).as_bytes());

    let mut one_line = gzip(b"{\"Records\":[");
    let mut pretty = gzip(b"{\n  \"Records\": [\n");
    for _ in 0..members {
        one_line.extend_from_slice(&records_member);
        pretty.extend_from_slice(&pretty_member);
    }
    one_line.extend_from_slice(&gzip(
        format!("{DESCRIBE}]}}\n{}\n", stop("after-line")).as_bytes(),
    ));
    pretty.extend_from_slice(&gzip(format!("{DESCRIBE}\n  ]\n}}\n").as_bytes()));
    let inflated = (members * per_member * item.len()) as u64;
    assert!(inflated > 100 * MIB, "{inflated}");
    assert!((one_line.len() as u64) < 2 * MIB, "{}", one_line.len());

    let one_line = tmp("one-line-bomb.json.gz", &one_line);
    let pretty = tmp("pretty-bomb.json.gz", &pretty);
    let next = tmp("after-pretty.json", stop("next").as_bytes());
    let (out, peak_kib) = run_measured(
        command(&["--threads", "1"], &[&one_line, &pretty, &next]),
        "bomb-document",
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(fired(&out), stops_fired(&["after-line", "next"]), "{err}");
    assert_reports(
        &err,
        &[
            // Read document by document since the sixth session (documents back
            // to back over the limit): the one document over it is reported.
            "one-line-bomb.json.gz:1: document over the 67108864-byte limit (--max-document-bytes)",
            "pretty-bomb.json.gz:1: document over the 67108864-byte limit (--max-document-bytes)",
            " 2 rejected",
        ],
    );
    // One document held up to the limit (64 MiB), never the 100 MiB inflated.
    assert!(
        peak_kib * 1024 < 64 * MIB + 48 * MIB,
        "peak RSS {peak_kib} KiB for a 64 MiB document limit"
    );
    let _ = std::fs::remove_file(&one_line);
    let _ = std::fs::remove_file(&pretty);
}

// ---------------------------------------------------------------------------
// (c) Record and document limits set by flags.

/// `--max-record-bytes` holds inside documents too: an oversized record among the
/// items of a `Records` file and one in an EventBridge `detail` are refused with
/// their location (`file:line (record n)`) and size, the records beside them fire.
#[test]
fn max_record_bytes_refuses_items_and_details_by_location() {
    let big = stop("big").replace("management-trail", &"t".repeat(10_000));
    let file = tmp(
        "records.json",
        format!(
            "{{\"Records\":[{},{big},{}]}}\n{}\n",
            stop("1"),
            stop("2"),
            envelope(&big)
        )
        .as_bytes(),
    );
    let out = replay(&["--max-record-bytes", "5000"], &[&file]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(fired(&out), stops_fired(&["1", "2"]), "{err}");
    let size = big.len();
    assert_reports(
        &err,
        &[
            &format!(
                "records.json:1 (record 2): record of {size} bytes is over the 5000-byte limit"
            ),
            &format!("records.json:2: record of {size} bytes is over the 5000-byte limit"),
            " 2 rejected",
        ],
    );
    let strict = replay(&["--max-record-bytes", "5000", "--strict"], &[&file]);
    assert_eq!(strict.status.code(), Some(1));
}

/// `--max-document-bytes` holds for a pretty-printed document spread over many
/// lines (read whole only up to the limit): it is refused as one located error
/// naming the flag, and the next file is still read and fires.
#[test]
fn max_document_bytes_refuses_a_multi_line_document() {
    let records: Vec<Value> = (0..40)
        .map(|i| serde_json::from_str(&stop(&format!("doc-{i}"))).unwrap())
        .collect();
    let doc = serde_json::to_string_pretty(&serde_json::json!({ "Records": records })).unwrap();
    assert!(doc.len() > 20_000 && doc.lines().count() > 100);
    let doc = tmp("pretty.json", doc.as_bytes());
    let next = tmp("next.json", stop("next").as_bytes());
    let out = replay(&["--max-document-bytes", "10000"], &[&doc, &next]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(fired(&out), stops_fired(&["next"]), "{err}");
    assert_reports(
        &err,
        &[
            "pretty.json:1: document over the 10000-byte limit (--max-document-bytes)",
            " 1 rejected",
        ],
    );
    let strict = replay(
        &["--max-document-bytes", "10000", "--strict"],
        &[&doc, &next],
    );
    assert_eq!(strict.status.code(), Some(1));
    assert_eq!(fired(&strict), stops_fired(&["next"]));
}

// ---------------------------------------------------------------------------
// (d) Values kept per window group.

/// A `Store` that passes every call to a `MemoryStore` and remembers the largest
/// answer `range` gave for each partition.
struct Spy {
    inner: MemoryStore,
    largest_range: Mutex<std::collections::HashMap<String, usize>>,
    ranges: std::sync::atomic::AtomicUsize,
}

impl Wrapper for Spy {
    type Inner = MemoryStore;

    fn inner(&self) -> &MemoryStore {
        &self.inner
    }

    async fn range(
        &self,
        partition: &str,
        from_ms: i64,
        to_ms: i64,
        now: i64,
    ) -> Result<Vec<Observation>, StoreError> {
        let got = self.inner.range(partition, from_ms, to_ms, now).await?;
        self.ranges
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut m = self.largest_range.lock().unwrap();
        let e = m.entry(partition.to_owned()).or_default();
        *e = (*e).max(got.len());
        Ok(got)
    }
}

/// The eventTime of 2026-03-02T10:00:00Z (a multiple of 300 s) plus `ms`.
fn event_time(ms: i64) -> String {
    let t = 1_772_445_600_000i64 + ms;
    let secs = t / 1000;
    let (h, m, s) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
    format!("2026-03-02T{h:02}:{m:02}:{s:02}.{:03}Z", t % 1000)
}

/// Feeds `n` records of one group through the engine with a spying in-memory store;
/// returns (findings delivered per record index, the spy).
fn flood(n: usize, record: impl Fn(usize) -> String) -> (Vec<(usize, Finding)>, Spy) {
    let spy = Spy {
        inner: MemoryStore::default(),
        largest_range: Mutex::default(),
        ranges: Default::default(),
    };
    let engine = Engine::new(Settings::default());
    let sink = Collect::default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let mut out = Vec::new();
    for i in 0..n {
        let json = record(i);
        let rec = Record::from_json(&json).expect("record parses");
        for f in rt
            .block_on(engine.handle(&rec, &spy, &sink, 1_800_000_000))
            .expect("handled")
        {
            out.push((i, f));
        }
    }
    (out, spy)
}

/// One principal asks for instance password data 2,500 times within 250 seconds
/// (one 5-minute window): 2,490 calls cycle over 10 instances (below the threshold
/// of 11), then 10 new instances follow. The in-memory store keeps at most
/// `MAX_OBSERVATIONS_PER_GROUP` (2,000) observations for the group, the oldest going
/// first, and no `range` call returns more; the engine handles every record without
/// error; getpassworddata-burst still finds the burst among the capped observations
/// and fires exactly once (at the first new instance, with 11 distinct instances and
/// the 2,000 kept records as its events), not again for the 9 after it.
#[test]
fn a_window_group_keeps_at_most_the_cap_and_fires_once() {
    let n = MAX_OBSERVATIONS_PER_GROUP + 500;
    let first_new = n - 10;
    let (found, spy) = flood(n, |i| {
        let instance = if i < first_new {
            format!("i-{:017x}", i % 10)
        } else {
            format!("i-new{i:012x}")
        };
        format!(
            r#"{{"eventVersion":"1.09","eventSource":"ec2.amazonaws.com","eventName":"GetPasswordData","eventTime":"{}","recipientAccountId":"444455556666","userIdentity":{{"type":"AssumedRole","arn":"arn:aws:sts::444455556666:assumed-role/CiRunner/build","accountId":"444455556666"}},"requestParameters":{{"instanceId":"{instance}"}},"responseElements":null,"eventID":"gpd-{i}","readOnly":true}}"#,
            event_time(i as i64 * 100)
        )
    });
    let ids: Vec<(usize, &str)> = found.iter().map(|(i, f)| (*i, f.detection_id)).collect();
    assert_eq!(
        ids,
        [(first_new, "getpassworddata-burst")],
        "fires once, at the 11th distinct instance"
    );
    let f = &found[0].1;
    assert_eq!(f.evidence.get("distinct_count"), Some(&Value::from(11)));
    assert_eq!(f.event_ids.len(), MAX_OBSERVATIONS_PER_GROUP);
    assert_eq!(
        f.event_ids.first().map(String::as_str),
        Some(&*format!("gpd-{}", n - 10 - MAX_OBSERVATIONS_PER_GROUP + 1)),
        "the oldest observations were dropped"
    );
    assert_eq!(spy.inner.observation_count(), MAX_OBSERVATIONS_PER_GROUP);
    let largest = spy.largest_range.lock().unwrap();
    assert_eq!(largest.len(), 1, "one group: {:?}", largest.keys());
    assert_eq!(
        largest.values().copied().max(),
        Some(MAX_OBSERVATIONS_PER_GROUP),
        "range never answers more than the cap"
    );
}

/// A flood against a burst already reported: one principal asks for the password
/// of a new instance every 0.1 s, 2,500 times (the group full at 2,000). The
/// finding fires once, at the 11th instance; every later event finds the claim
/// of its bucket (or the one before) held and stops there: the group is never
/// read back again, and no finding is rebuilt.
#[test]
fn a_flood_against_a_reported_burst_reads_nothing_back() {
    let n = MAX_OBSERVATIONS_PER_GROUP + 500;
    let (found, spy) = flood(n, |i| {
        format!(
            r#"{{"eventVersion":"1.09","eventSource":"ec2.amazonaws.com","eventName":"GetPasswordData","eventTime":"{}","recipientAccountId":"444455556666","userIdentity":{{"type":"AssumedRole","arn":"arn:aws:sts::444455556666:assumed-role/CiRunner/build","accountId":"444455556666"}},"requestParameters":{{"instanceId":"i-{i:017x}"}},"responseElements":null,"eventID":"gpd-{i}","readOnly":true}}"#,
            event_time(i as i64 * 100)
        )
    });
    let ids: Vec<(usize, &str)> = found.iter().map(|(i, f)| (*i, f.detection_id)).collect();
    assert_eq!(ids, [(10, "getpassworddata-burst")], "fires once");
    assert_eq!(
        spy.ranges.load(std::sync::atomic::Ordering::Relaxed),
        1,
        "only the event that completed the burst read the group"
    );
    assert_eq!(spy.inner.observation_count(), MAX_OBSERVATIONS_PER_GROUP);
}

// ---------------------------------------------------------------------------
// (e) Binary junk, invalid UTF-8, broken gzip.

/// Deterministic pseudo-random bytes (xorshift).
fn junk(n: usize, mut seed: u64) -> Vec<u8> {
    (0..n)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect()
}

/// Binary junk (a line of it among JSON lines, and a whole file of it), invalid
/// UTF-8 inside a record's string, a truncated gzip file and a gzip file followed
/// by junk are each reported with their file and line, the run exits 0 (1 with
/// `--strict`), and every good record around them (before the break in a gzip
/// file, after the junk line, in the next file) fires.
/// From a review: an array of a million tiny items within the size limit
/// would hold eight times that limit in item pointers; it is refused as not
/// CloudTrail records, with its place.
#[test]
fn an_array_of_a_million_tiny_items_is_refused() {
    let items = vec!["0"; 1_000_001].join(",");
    let file = tmp(
        "tiny-items.json",
        format!("{{\"Records\":[{items}]}}").as_bytes(),
    );
    let out = replay(&[], &[&file]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_reports(&err, &["tiny-items.json:"]);
    assert!(
        err.contains("more than 1000000 items in one array"),
        "{err}"
    );
}

#[test]
fn junk_invalid_utf8_and_broken_gzip_are_located_and_skipped() {
    let mut junk_line: Vec<u8> = junk(4096, 7).into_iter().filter(|b| *b != b'\n').collect();
    junk_line[0] = 0xff;
    let mut mixed = format!("{}\n", stop("1")).into_bytes();
    mixed.extend_from_slice(&junk_line);
    mixed.push(b'\n');
    mixed.extend_from_slice(
        &stop("bad-utf8")
            .replace("Boto3/1.34.0", "Boto3\u{1}")
            .replace('\u{1}', "\u{ff}")
            .into_bytes()
            .into_iter()
            // U+00FF is C3 BF in UTF-8: keep only the continuation byte, invalid alone.
            .filter(|b| *b != 0xc3)
            .collect::<Vec<u8>>(),
    );
    mixed.push(b'\n');
    mixed.extend_from_slice(format!("{}\n", stop("2")).as_bytes());
    let mixed = tmp("mixed.jsonl", &mixed);

    let mut binary = junk(64 * 1024, 99);
    binary[0] = 0xfe;
    let binary = tmp("binary.bin", &binary);

    let plain = format!(
        "{}\n{}{}\n",
        stop("3"),
        format!("{DESCRIBE}\n").repeat(4000),
        stop("lost")
    );
    let full = gzip(plain.as_bytes());
    let truncated = tmp("truncated.json.gz", &full[..full.len() / 2]);

    let mut trailing = gzip(format!("{}\n", stop("4")).as_bytes());
    trailing.extend_from_slice(b"this is not a gzip member\n");
    let trailing = tmp("trailing.json.gz", &trailing);

    // From a review: a log file without a final newline (as CloudTrail
    // writes them) followed by junk lost its one line.
    let mut cut = gzip(stop("6").as_bytes());
    cut.extend_from_slice(b"junk");
    let cut = tmp("cut.json.gz", &cut);
    let mut log_file = gzip(format!("{{\"Records\":[{}]}}", stop("7")).as_bytes());
    log_file.extend_from_slice(b"junk");
    let log_file = tmp("log-file.json.gz", &log_file);

    // From a review: a stream broken in its first block read as empty input.
    let mut broken = gzip(format!("{}\n", stop("lost-too")).as_bytes());
    broken[12] ^= 0x55;
    let broken = tmp("broken-first-block.json.gz", &broken);

    // From a new user's review: a CloudTrail log file (one `Records` line)
    // cut off lost every record in it; those before the break are read.
    let records = format!(
        "{{\"Records\":[{},{}{}]}}",
        stop("8"),
        format!("{DESCRIBE},").repeat(4000),
        stop("lost-three")
    );
    let records = gzip(records.as_bytes());
    let cut_log_file = tmp("cut-log-file.json.gz", &records[..records.len() / 2]);

    let good = tmp("good.json", stop("5").as_bytes());
    let paths: [&Path; 9] = [
        &mixed,
        &binary,
        &truncated,
        &trailing,
        &cut,
        &log_file,
        &broken,
        &cut_log_file,
        &good,
    ];
    for strict in [false, true] {
        let args: &[&str] = if strict { &["--strict"] } else { &[] };
        let out = replay(args, &paths);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(if strict { 1 } else { 0 }), "{err}");
        assert_eq!(
            fired(&out),
            stops_fired(&["1", "2", "3", "4", "5", "6", "7", "8"]),
            "{err}"
        );
        assert_reports(
            &err,
            &[
                "mixed.jsonl:2: not UTF-8 text",
                "mixed.jsonl:3: not UTF-8 text",
                "binary.bin:",
                "truncated.json.gz:",
                "trailing.json.gz:2: read error",
                "cut.json.gz:2: read error",
                "log-file.json.gz:2: read error",
                "broken-first-block.json.gz:1: read error",
                "cut-log-file.json.gz:1 (record ",
            ],
        );
        assert!(
            err.lines()
                .any(|l| l.contains("truncated.json.gz:") && l.contains("read error")),
            "{err}"
        );
    }
}

/// From a review: a closed or full standard error (`2>/dev/full`, a pipe whose
/// reader left) made the first message a panic, exit 101: the exit code a
/// pipeline tests is kept, the message lost.
#[test]
fn a_full_standard_error_keeps_the_exit_code() {
    let file = tmp("full-stderr.jsonl", stop("full-stderr").as_bytes());
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full")
    };
    let out = command(&["--exit-code", "3"], &[&file])
        .stderr(full())
        .output()
        .expect("the binary runs");
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let missing = Command::new(BIN)
        .args(["tuning", "check", "/nonexistent/tuning.toml"])
        .stderr(full())
        .output()
        .expect("the binary runs");
    assert_eq!(missing.status.code(), Some(2));
}

/// From a review: documents back to back past `--max-document-bytes` (`cat` of
/// CloudTrail's files, which end without a newline; `jq .` of a large file), on
/// one line or pretty-printed, were one rejection: every record was lost. Each
/// is read on its own, from a file or standard input, on any number of threads.
#[test]
fn documents_back_to_back_past_the_limit_are_each_read() {
    let ids: Vec<String> = (0..30).map(|i| format!("cat-{i}")).collect();
    let one_line: String = ids
        .iter()
        .map(|id| format!("{{\"Records\":[{}]}}", stop(id)))
        .collect();
    let pretty: String = ids
        .iter()
        .map(|id| {
            let v: serde_json::Value = serde_json::from_str(&stop(id)).unwrap();
            format!("{}\n", serde_json::to_string_pretty(&v).unwrap())
        })
        .collect();
    let limit = "4000";
    assert!(one_line.len() > 4000 && pretty.len() > 4000);
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    for (name, text) in [
        ("cat-one-line.json", &one_line),
        ("jq-pretty.json", &pretty),
    ] {
        let file = tmp(name, text.as_bytes());
        for threads in ["1", "2"] {
            let out = replay(
                &["--max-document-bytes", limit, "--threads", threads],
                &[&file],
            );
            assert_eq!(
                fired(&out),
                stops_fired(&ids),
                "{name} {threads}: {}",
                stderr(&out)
            );
            assert!(
                stderr(&out).contains(" 0 rejected"),
                "{name}: {}",
                stderr(&out)
            );
        }
        let mut piped = command(&["--max-document-bytes", limit], &[])
            .stdin(Stdio::piped())
            .spawn()
            .expect("trailwatch runs");
        std::io::Write::write_all(&mut piped.stdin.take().unwrap(), text.as_bytes()).unwrap();
        let out = piped.wait_with_output().unwrap();
        assert_eq!(
            fired(&out),
            stops_fired(&ids),
            "{name} on stdin: {}",
            stderr(&out)
        );
    }
}

/// From a review: logs of a directory compressed in a form trailwatch does not
/// read were skipped, and a gate on `--strict` passed a directory it had not
/// read whole. They are counted as rejected, said in one line.
#[test]
fn files_compressed_in_an_unread_form_fail_strict() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("trailwatch-limits-bz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("good.json"), stop("bz-good")).unwrap();
    std::fs::write(dir.join("a.json.bz2"), b"BZh9").unwrap();
    std::fs::write(dir.join("b.json.zst"), b"\x28\xb5\x2f\xfd").unwrap();
    let out = replay(&["--strict"], &[&dir]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(fired(&out), stops_fired(&["bz-good"]));
    let err = stderr(&out);
    assert!(
        err.contains("2 file(s) not read, compressed") && err.contains(" 2 rejected"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
