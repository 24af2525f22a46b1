//! The `trailwatch` binary, end to end: inputs of every shape, bad input located
//! and skipped, exit statuses, and stdout carrying findings only.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_trailwatch");

/// A successful StopLogging: fires cloudtrail-log-suspended and cloudtrail-important-change.
const STOP_LOGGING: &str = r#"{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLEEXAMPLE1","arn":"arn:aws:iam::111122223333:user/mallory","accountId":"111122223333","accessKeyId":"AKIAEXAMPLEEXAMPLE1","userName":"mallory"},"eventTime":"2026-03-02T10:15:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.50","userAgent":"aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64","requestParameters":{"name":"management-trail"},"responseElements":null,"requestID":"5e0f1c2a-0000-4000-8000-000000000001","eventID":"9d7c2a41-0000-4000-8000-000000000001","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}"#;

/// An ordinary call no detection looks at.
const DESCRIBE: &str = r#"{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ops","accountId":"111122223333","userName":"ops"},"eventTime":"2026-03-02T10:16:00Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"Boto3/1.34.0","requestParameters":null,"responseElements":null,"eventID":"9d7c2a41-0000-4000-8000-000000000002","readOnly":true,"eventType":"AwsApiCall","recipientAccountId":"111122223333"}"#;

fn tmp(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("trailwatch-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write temp file");
    p
}

fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("trailwatch runs");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(bytes) = stdin {
        input.write_all(bytes).expect("write stdin");
    }
    drop(input);
    child.wait_with_output().expect("trailwatch finishes")
}

fn replay(paths: &[&Path], extra: &[&str]) -> Output {
    let mut args = vec!["replay", "--format", "jsonl"];
    args.extend_from_slice(extra);
    let strs: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    args.extend(strs.iter().map(String::as_str));
    run(&args, None)
}

/// Detection ids of the findings on stdout; fails if any stdout line is not one.
fn fired(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {l}"));
            v["detection_id"]
                .as_str()
                .unwrap_or_else(|| panic!("no detection_id: {l}"))
                .to_owned()
        })
        .collect()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts a usage error: exit 2, with `says` in what stderr says; `ctx` says
/// which case of a loop failed.
fn assert_refused(out: &Output, says: &str, ctx: &str) {
    assert_eq!(out.status.code(), Some(2), "{ctx}: {}", stderr(out));
    assert!(stderr(out).contains(says), "{ctx}: {}", stderr(out));
}

#[test]
fn every_input_shape_gives_the_same_findings() {
    let envelope = format!(
        r#"{{"version":"0","id":"1","detail-type":"AWS API Call via CloudTrail","source":"aws.cloudtrail","account":"111122223333","time":"2026-03-02T10:15:00Z","region":"us-east-1","resources":[],"detail":{STOP_LOGGING}}}"#
    );
    let shapes = [
        ("raw.json", STOP_LOGGING.to_owned()),
        ("envelope.json", envelope.clone()),
        (
            "records.json",
            format!(r#"{{"Records":[{DESCRIBE},{STOP_LOGGING}]}}"#),
        ),
        ("array.json", format!("[{envelope},{DESCRIBE}]")),
        ("lines.jsonl", format!("{DESCRIBE}\n{envelope}\n")),
        (
            "pretty.json",
            serde_json::to_string_pretty(
                &serde_json::from_str::<serde_json::Value>(STOP_LOGGING).unwrap(),
            )
            .unwrap(),
        ),
    ];
    for (name, text) in shapes {
        let out = replay(&[&tmp(name, text.as_bytes())], &[]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(&out));
        let mut ids = fired(&out);
        ids.sort();
        assert_eq!(
            ids,
            ["cloudtrail-important-change", "cloudtrail-log-suspended"],
            "{name}"
        );
    }
    // gzip, recognised by its bytes whatever the name
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(format!(r#"{{"Records":[{STOP_LOGGING}]}}"#).as_bytes())
        .unwrap();
    let out = replay(&[&tmp("log.json.gz", &gz.finish().unwrap())], &[]);
    assert_eq!(fired(&out).len(), 2, "{}", stderr(&out));
    // stdin
    let out = run(
        &["replay", "--format", "jsonl"],
        Some(STOP_LOGGING.as_bytes()),
    );
    assert_eq!(fired(&out).len(), 2, "{}", stderr(&out));
}

#[test]
fn bad_input_is_located_and_skipped_and_strict_fails() {
    let huge = format!(
        r#"{{"eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","pad":"{}"}}"#,
        "x".repeat(5 << 20)
    );
    let mixed = format!(
        "{STOP_LOGGING}\n{{\"eventSource\":\"cloudtrail.amazonaws.com\",\"eventName\":\n{{\"eventSource\":\"iam.amazonaws.com\",\"eventName\":42}}\n\x00\x01\x02\u{fffd}junk\n{huge}\n{DESCRIBE}\n"
    );
    let file = tmp("mixed.jsonl", mixed.as_bytes());
    let empty = tmp("empty.json", b"");
    let out = replay(&[&file, &empty], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(fired(&out).len(), 2, "the good record still fires");
    let err = stderr(&out);
    for line in [
        ":2: malformed JSON",
        ":3: invalid record",
        ":4: malformed JSON",
        ":5: record of",
    ] {
        assert!(err.contains(line), "stderr lacks {line:?}:\n{err}");
    }
    assert!(err.contains("empty.json: empty input"), "{err}");
    assert!(err.contains("2 records read, 5 rejected"), "{err}");
    let strict = replay(&[&file], &["--strict"]);
    assert_eq!(strict.status.code(), Some(1));
    assert_eq!(
        fired(&strict).len(),
        2,
        "--strict still reports what it found"
    );
}

/// A record a window takes but cannot place in time is named (the first) and
/// counted, on one thread and on several: a window that skipped it silently
/// would hide a burst.
#[test]
fn records_a_window_cannot_place_are_named_and_counted() {
    let call = |time: &str| {
        format!(
            r#"{{"eventSource":"ec2.amazonaws.com","eventName":"GetPasswordData","eventID":"e",{time}"recipientAccountId":"111122223333","sourceIPAddress":"203.0.113.9","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/eve","accountId":"111122223333"}},"requestParameters":{{"instanceId":"i-1"}}}}"#
        )
    };
    let lines = [
        call(r#""eventTime":"2026-03-01T10:00:00Z","#),
        call(""),
        call(r#""eventTime":"redacted","#),
        call(r#""eventTime":null,"#),
    ];
    let file = tmp(
        "untimed.jsonl",
        format!("{}\n", lines.join("\n")).as_bytes(),
    );
    for threads in ["1", "2"] {
        let out = replay(&[&file], &["--threads", threads]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("untimed.jsonl:2: no readable eventTime"),
            "{err}"
        );
        assert_eq!(err.matches("no readable eventTime").count(), 1, "{err}");
        assert!(
            err.contains("  3 records without a readable eventTime"),
            "{err}"
        );
    }
    let timed = tmp("timed.jsonl", format!("{}\n", lines[0]).as_bytes());
    assert!(!stderr(&replay(&[&timed], &[])).contains("eventTime"));
}

/// Beside CloudTrail records, values that are not CloudTrail are counted, not
/// rejected. When nothing read was CloudTrail (the wrong input), a warning
/// names the first value, and `--strict` exits 1, as for a rejected input: from
/// a usability review, such a run looked clean.
#[test]
fn non_cloudtrail_values_are_counted_not_rejected() {
    let other = r#"{"version":"0","id":"2","detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","account":"111122223333","time":"2026-03-02T10:15:00Z","region":"us-east-1","resources":[],"detail":{"instance-id":"i-0abc","state":"running"}}"#;
    let mixed = tmp(
        "other-and-one.jsonl",
        format!("{other}\n{STOP_LOGGING}\n").as_bytes(),
    );
    let out = replay(&[&mixed], &["--strict"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(fired(&out).len(), 2);
    assert_summary(
        &out,
        "1 records read, 0 rejected, 1 not CloudTrail",
        "mixed",
    );
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));

    let only = tmp("other.jsonl", format!("{other}\n{other}\n").as_bytes());
    let warning = format!(
        "trailwatch: warning: no CloudTrail record was read: 2 value(s) read are not \
         CloudTrail (the first at {}:1)",
        only.display()
    );
    for (extra, status) in [
        (&[][..], 0),
        (&["--strict"][..], 1),
        (&["--strict", "-q"][..], 1),
    ] {
        let out = replay(&[&only], extra);
        assert_eq!(
            out.status.code(),
            Some(status),
            "{extra:?}: {}",
            stderr(&out)
        );
        assert!(fired(&out).is_empty());
        assert!(
            stderr(&out).contains(&warning),
            "{extra:?}: {}",
            stderr(&out)
        );
    }
    assert_summary(
        &replay(&[&only], &[]),
        "0 rejected, 2 not CloudTrail",
        "only",
    );
}

/// From a usability review: `--regions us-esat-1` matched nothing and the run
/// ended as a clean one. A value no record held is named, with a few values
/// that were seen; a warning, not a failure.
#[test]
fn a_filter_value_that_matched_no_record_is_named() {
    let file = tmp("one-stop-logging.json", STOP_LOGGING.as_bytes());
    let warnings = |extra: &[&str]| {
        let out = replay(&[&file], extra);
        assert_eq!(out.status.code(), Some(0), "{extra:?}: {}", stderr(&out));
        stderr(&out)
            .lines()
            .filter(|l| l.starts_with("trailwatch: warning:"))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        warnings(&["--regions", "us-esat-1,us-east-1", "--strict"]),
        [
            // Said before reading (an s3:// replay reads only the Regions
            // asked), then again once nothing matched.
            "trailwatch: warning: --regions: \"us-esat-1\" is not a Region this build knows \
             (did you mean us-east-1?); read as given",
            "trailwatch: warning: --regions us-esat-1 matched none of the records the detections read; Regions seen among them: us-east-1"
        ]
    );
    assert_eq!(
        warnings(&["--accounts", "999999999999", "-q"]),
        [
            "trailwatch: warning: --accounts 999999999999 matched none of the records the \
             detections read; accounts seen among them: 111122223333"
        ]
    );
    assert!(warnings(&["--regions", "us-east-1", "--accounts", "111122223333"]).is_empty());
    // Judged on its own: the Region matched even though --since left the record out.
    assert!(warnings(&["--regions", "us-east-1", "--since", "2027-01-01"]).is_empty());
}

#[test]
fn a_missing_path_is_exit_2() {
    let out = replay(&[Path::new("/nonexistent/trailwatch-input.json")], &[]);
    assert_refused(&out, "/nonexistent/trailwatch-input.json", "missing path");
    let out = run(&["replay", "--disable", "no-such-detection"], Some(b""));
    assert_eq!(out.status.code(), Some(2));
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// Asserts that the run's summary line (`N records read, ...`) contains
/// `expected`; `ctx` says which case of a loop failed.
fn assert_summary(out: &Output, expected: &str, ctx: &str) {
    let summary = stderr(out)
        .lines()
        .rfind(|l| l.contains("records read"))
        .unwrap_or_default()
        .to_owned();
    assert!(summary.contains(expected), "{ctx}: {}", stderr(out));
}

/// STOP_LOGGING with another event id, `tail` its last 12 characters.
fn stop_logging_with_id(tail: &str) -> String {
    STOP_LOGGING.replace(
        "8000-000000000001\",\"readOnly",
        &format!("8000-{tail}\",\"readOnly"),
    )
}

/// A trail's log group sent through a subscription to Firehose: the objects are
/// CloudWatch Logs' gzip payloads, named without an extension. A directory of
/// them is read whole; a note beside them is not.
#[test]
fn a_copy_of_a_firehose_bucket_is_read() {
    let root = tmp("firehose-root", b"").with_file_name("firehose");
    let dir = root.join("2026/03/02/10");
    std::fs::create_dir_all(&dir).unwrap();
    let payload = |records: &[&str]| {
        let events: Vec<String> = records
            .iter()
            .enumerate()
            .map(|(i, r)| {
                format!(
                    r#"{{"id":"{i}","timestamp":1772446500000,"message":{}}}"#,
                    serde_json::to_string(r).unwrap()
                )
            })
            .collect();
        format!(
            r#"{{"messageType":"DATA_MESSAGE","owner":"111122223333","logGroup":"aws-cloudtrail-logs","logStream":"111122223333_CloudTrail_us-east-1","subscriptionFilters":["to-firehose"],"logEvents":[{}]}}"#,
            events.join(",")
        )
    };
    let name = "trail-to-s3-1-2026-03-02-10-15-02-0b6d3c1e-4f2a-4c8e-9a57-21d4f0e6b3aa";
    // Firehose joins the payloads of one buffer back to back, each gzip.
    let mut object = gzip(payload(&[STOP_LOGGING, DESCRIBE]).as_bytes());
    object.extend(gzip(payload(&[DESCRIBE]).as_bytes()));
    std::fs::write(dir.join(name), object).unwrap();
    std::fs::write(dir.join("placeholder"), b"not CloudTrail").unwrap();
    let out = replay(&[&root], &["--strict"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(fired(&out).len(), 2, "{}", stderr(&out));
    assert_summary(&out, "3 records read, 0 rejected", "");
}

/// From a review: values one after another with nothing between them are each
/// read (`cat` of CloudTrail's files, which end without a newline, lost every
/// record to one "trailing characters" rejection; `jq` without `-c` too). A
/// stream with a bad tail: `exports_and_streams_keep_what_they_can`.
#[test]
fn concatenated_documents_are_each_read() {
    let second = stop_logging_with_id("0000000000b1")
        .replace("management-trail", "second-trail")
        .replace("10:15:00Z", "11:45:00Z");
    let log = |r: &str| format!("{{\"Records\":[{r}]}}");
    let mut cat = gzip(log(STOP_LOGGING).as_bytes());
    cat.extend(gzip(log(&second).as_bytes()));
    let out = replay(&[&tmp("cat.json.gz", &cat)], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(fired(&out).len(), 4, "{}", stderr(&out));
    assert_summary(&out, "2 records read, 0 rejected", "");

    let pretty = |r: &str| {
        serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(r).unwrap())
            .unwrap()
    };
    let jq = format!("{}\n{}\n", pretty(STOP_LOGGING), pretty(&second));
    let out = replay(&[&tmp("jq.json", jq.as_bytes())], &[]);
    assert_eq!(fired(&out).len(), 4, "{}", stderr(&out));
    assert_summary(&out, "2 records read, 0 rejected", "");

    // From the review of this change: JSON lines whose first line is a cut-off
    // piece that parses as values one after another (a number, a string) are not
    // a stream of documents; the lines after it are read as before.
    let cut = format!("123456789012\",\"type\":\"IAMUser\"}}}}\n{STOP_LOGGING}\n{second}\n");
    let out = replay(&[&tmp("cut.jsonl", cut.as_bytes())], &[]);
    assert_summary(&out, "2 records read, 1 rejected", "");
    assert_eq!(fired(&out).len(), 4, "{}", stderr(&out));
}

/// From a review: what the AWS CLI exports is read, not counted as one value
/// that is not CloudTrail: `aws cloudtrail lookup-events` (each record the JSON
/// text of `CloudTrailEvent`) and `aws logs filter-log-events` of a trail's log
/// group (the text of `message`). A UTF-16 file gets one clear rejection.
#[test]
fn aws_cli_exports_are_read() {
    let quoted = serde_json::to_string(STOP_LOGGING).unwrap();
    let lookup = format!(
        r#"{{"Events": [{{"EventId": "9d7c2a41", "EventName": "StopLogging", "CloudTrailEvent": {quoted}}},
                        {{"EventId": "x", "EventName": "Other", "CloudTrailEvent": "not json"}}],
            "NextToken": "abc"}}"#
    );
    let out = replay(&[&tmp("lookup.json", lookup.as_bytes())], &[]);
    assert_eq!(fired(&out).len(), 2, "{}", stderr(&out));
    assert_summary(&out, "1 records read, 1 rejected, 0 not CloudTrail", "");
    let logs = format!(
        r#"{{"events": [{{"logStreamName": "111122223333_CloudTrail_us-east-1", "timestamp": 1772446500000,
             "message": {quoted}, "ingestionTime": 1772446501000, "eventId": "1"}}], "searchedLogStreams": []}}"#
    );
    let out = replay(&[&tmp("logs.json", logs.as_bytes())], &[]);
    assert_eq!(fired(&out).len(), 2, "{}", stderr(&out));
    // lookup-events items one per line (`jq -c '.Events[]'`).
    let items = format!(
        "{{\"EventId\": \"9d7c2a41\", \"EventName\": \"StopLogging\", \"CloudTrailEvent\": {quoted}}}\n"
    );
    let out = replay(&[&tmp("items.jsonl", items.as_bytes())], &[]);
    assert_eq!(fired(&out).len(), 2, "{}", stderr(&out));
    assert_summary(&out, "1 records read, 0 rejected, 0 not CloudTrail", "");

    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(STOP_LOGGING.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let out = replay(&[&tmp("utf16.json", &utf16)], &[]);
    assert!(stderr(&out).contains("UTF-16 text"), "{}", stderr(&out));
    assert_summary(&out, "0 records read, 1 rejected", "");
}

/// From the second review of the reader: concatenated CloudTrail files whose
/// last one is cut off keep every complete one (the bad tail is one rejection);
/// a lookup-events export is read oldest first (it lists the newest first);
/// a malformed CloudTrailEvent is rejected, not skipped; a big UTF-16 file gets
/// one rejection on any number of threads.
#[test]
fn exports_and_streams_keep_what_they_can() {
    let log = |r: &str| format!("{{\"Records\":[{r}]}}");
    let second = stop_logging_with_id("0000000000c1").replace("management-trail", "third-trail");
    let cut = log(&second);
    let cut = &cut[..cut.len() / 2];
    let stream = format!("{}{}{cut}", log(STOP_LOGGING), log(DESCRIBE));
    let out = replay(&[&tmp("cat-cut.json", stream.as_bytes())], &[]);
    assert_summary(&out, "2 records read, 1 rejected", "");
    assert_eq!(fired(&out).len(), 2, "{}", stderr(&out));
    // One complete file before the cut one, and a null among documents (jq
    // printing a missing field), keep theirs too.
    let one = format!("{}{cut}", log(STOP_LOGGING));
    let out = replay(&[&tmp("one-cut.json", one.as_bytes())], &[]);
    assert_summary(&out, "1 records read, 1 rejected", "");
    let with_null = format!("{STOP_LOGGING}null{DESCRIBE}{second}\n");
    let out = replay(&[&tmp("with-null.json", with_null.as_bytes())], &[]);
    assert_summary(&out, "3 records read, 0 rejected, 1 not CloudTrail", "");

    // Newest first, as lookup-events lists them: two StopLogging calls half an
    // hour apart are read in time order.
    let quoted = |r: &str| serde_json::to_string(r).unwrap();
    let later = stop_logging_with_id("0000000000d1").replace("10:15:00Z", "10:45:00Z");
    let lookup = format!(
        r#"{{"Events":[{{"CloudTrailEvent":{}}},{{"CloudTrailEvent":{}}},{{"CloudTrailEvent":"{{\"eventName\": "}}]}}"#,
        quoted(&later),
        quoted(STOP_LOGGING)
    );
    let out = replay(&[&tmp("lookup-order.json", lookup.as_bytes())], &[]);
    let times: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["event_time"]["first"].to_string()
        })
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "oldest first: {times:?}"
    );
    assert_summary(&out, "2 records read, 1 rejected", "");

    let mut utf16: Vec<u8> = vec![0xFF, 0xFE];
    let line: Vec<u8> = format!("{STOP_LOGGING}\n")
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    while utf16.len() < 5 << 20 {
        utf16.extend(&line);
    }
    let big = tmp("utf16-big.jsonl", &utf16);
    for threads in ["1", "2"] {
        let out = replay(&[&big], &["--threads", threads]);
        assert_summary(&out, "0 records read, 1 rejected", threads);
    }
}

/// From a review: a UTF-8 byte-order mark (PowerShell, Notepad) before a
/// document or a JSON-lines file lost the document, or the first line.
#[test]
fn a_byte_order_mark_is_read_past() {
    let bom = "\u{feff}";
    let document = format!("{bom}{{\"Records\": [\n{STOP_LOGGING}\n]}}\n");
    let lines = format!("{bom}{STOP_LOGGING}\n{DESCRIBE}\n");
    for (name, text) in [("bom.json", document), ("bom.jsonl", lines)] {
        let out = replay(&[&tmp(name, text.as_bytes())], &[]);
        assert_eq!(fired(&out).len(), 2, "{name}: {}", stderr(&out));
        assert_summary(&out, "0 rejected", name);
    }
}

/// From a review: a named file that cannot be opened is refused before anything
/// is read (exit 2), as a missing one is, not reported as one rejected input
/// beside the others' findings. A socket is unreadable whoever runs the test.
#[cfg(unix)]
#[test]
fn an_unreadable_named_file_is_exit_2_before_anything_is_read() {
    let socket = tmp("socket-dir", b"").with_extension("sock");
    let _ = std::fs::remove_file(&socket);
    let _listener = std::os::unix::net::UnixListener::bind(&socket).expect("bind a socket");
    let good = tmp("stop-before-socket.json", STOP_LOGGING.as_bytes());
    let out = replay(&[&good, &socket], &[]);
    assert_refused(&out, &socket.to_string_lossy(), "socket");
    assert!(
        out.stdout.is_empty(),
        "nothing is read: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    // An empty filter list (an unset shell variable) is not "every account".
    for option in ["--accounts", "--regions"] {
        let out = replay(&[&good], &[option, ""]);
        assert_refused(&out, "the list is empty", option);
    }
    // So is an S3 PREFIX outside CloudTrail's layout, whatever comes before it
    // (it was found only once the inputs before it had been replayed).
    let digest = Path::new("s3://archive/AWSLogs/111122223333/CloudTrail-Digest/");
    let out = replay(&[&good, digest], &[]);
    assert_refused(&out, "expected CloudTrail", "digest prefix");
    assert!(
        out.stdout.is_empty(),
        "nothing is read: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn disabled_detections_do_not_fire() {
    let out = replay(
        &[&tmp("stop.json", STOP_LOGGING.as_bytes())],
        &["--disable", "cloudtrail-important-change"],
    );
    assert_eq!(fired(&out), ["cloudtrail-log-suspended"]);
}

/// From a UX review: `--exit-code N` makes notified findings fail a CI step.
#[test]
fn exit_code_on_findings() {
    let stop = tmp("stop-exit.json", STOP_LOGGING.as_bytes());
    let quiet = tmp("describe-exit.json", DESCRIBE.as_bytes());
    assert_eq!(
        replay(&[&stop], &["--exit-code", "3"]).status.code(),
        Some(3)
    );
    assert_eq!(
        replay(&[&quiet], &["--exit-code", "3"]).status.code(),
        Some(0)
    );
    assert_eq!(replay(&[&stop], &[]).status.code(), Some(0));
    // A rejected input under --strict says so first.
    let bad = tmp(
        "bad-exit.jsonl",
        format!("{STOP_LOGGING}\n{{oops\n").as_bytes(),
    );
    assert_eq!(
        replay(&[&bad], &["--exit-code", "3", "--strict"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        replay(&[&bad], &["--exit-code", "3"]).status.code(),
        Some(3)
    );
    // `| head` closing the pipe while findings are written keeps the status.
    let records: String = (0..2000)
        .map(|i| stop_logging_with_id(&format!("{i:012}")) + "\n")
        .collect();
    let many = tmp("many-exit.jsonl", records.as_bytes());
    let mut child = std::process::Command::new(BIN)
        .args(["replay", "--format", "jsonl", "--exit-code", "3"])
        .arg(&many)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn trailwatch");
    drop(child.stdout.take());
    assert_eq!(
        child.wait_with_output().expect("wait").status.code(),
        Some(3)
    );
}

/// From a UX review: `--only` runs the detections it names and no other; ids
/// are trimmed (`--disable "a, b"`), and every unknown one is reported with the
/// nearest known id.
#[test]
fn only_and_disable_name_detections_helpfully() {
    let stop = tmp("stop-only.json", STOP_LOGGING.as_bytes());
    let out = replay(&[&stop], &["--only", "cloudtrail-important-change"]);
    assert_eq!(fired(&out), ["cloudtrail-important-change"]);
    let out = replay(
        &[&stop],
        &[
            "--disable",
            "cloudtrail-important-change, cloudtrail-log-suspended",
        ],
    );
    assert!(fired(&out).is_empty(), "{}", stderr(&out));
    let out = replay(
        &[&stop],
        &["--disable", "cloudtrail-log-suspend,no-such-thing-at-all"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("did you mean \"cloudtrail-log-suspended\""),
        "{err}"
    );
    assert!(err.contains("\"no-such-thing-at-all\" (see"), "{err}");
    let out = replay(&[&stop], &["--only", "a", "--disable", "b"]);
    assert_eq!(out.status.code(), Some(2));
    // An empty list (an unset shell variable) would run nothing and pass.
    for empty in ["", " , "] {
        let out = replay(&[&stop], &["--only", empty]);
        assert_refused(&out, "no detection id", empty);
    }
}

#[test]
fn text_output_cannot_be_forged_by_field_values() {
    let hostile = STOP_LOGGING.replace(
        "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64",
        r"x\n[HIGH] Forged (fake-detection)\u001b[2J\u202e",
    );
    let out = run(&["replay"], Some(hostile.as_bytes()));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains('\x1b') && !text.contains('\u{202e}'),
        "{text}"
    );
    assert!(
        !text.lines().any(|l| l.starts_with("[HIGH] Forged")),
        "{text}"
    );
    assert_eq!(
        text.lines().filter(|l| l.starts_with('[')).count(),
        2,
        "{text}"
    );
}

#[test]
fn list_names_every_detection() {
    let out = run(&["list", "--format", "json"], None);
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(rows.len(), trailwatch::catalog::ALL.len());
    for (row, d) in rows.iter().zip(trailwatch::catalog::ALL.iter()) {
        assert_eq!(row["id"], d.meta().id);
        assert_eq!(row["group"], d.meta().group);
        assert!(
            row["origins"].as_array().is_some_and(|o| !o.is_empty()),
            "{row}"
        );
    }
}

/// From a review: `generate --shape s3` writes a trail's layout: each file one
/// account's records in one Region (its folders'), none later than the minute
/// the file is named for, none more than 31 minutes before it; every record once.
#[test]
fn generated_log_files_follow_a_trails_layout() {
    use trailwatch::archive::layout::LogKey;
    use trailwatch::event::time::parse_event_time;
    let root = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("trailwatch-gen-s3-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let out = run(
        &[
            "generate",
            "--records",
            "20000",
            "--seed",
            "3",
            "--shape",
            "s3",
            "--records-per-file",
            "500",
            "--out",
            root.to_str().unwrap(),
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let (mut files, mut records) = (0, 0);
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            files += 1;
            let rel: Vec<String> = path
                .strip_prefix(&root)
                .unwrap()
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            // AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<file>, read as a
            // replay reads a trail's keys.
            let name = rel.join("/");
            let key =
                LogKey::parse(&name).unwrap_or_else(|| panic!("{name}: not a trail's layout"));
            let named = key
                .minute
                .unwrap_or_else(|| panic!("{name}: no delivery minute"));
            assert_eq!(
                named.div_euclid(86_400_000),
                key.day,
                "{name}: filed under its day"
            );
            let mut text = String::new();
            std::io::Read::read_to_string(
                &mut flate2::read::GzDecoder::new(std::fs::File::open(&path).unwrap()),
                &mut text,
            )
            .unwrap();
            let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
            let batch = doc["Records"].as_array().unwrap();
            assert!(!batch.is_empty() && batch.len() <= 500, "{name}");
            records += batch.len();
            for r in batch {
                assert_eq!(
                    r["recipientAccountId"].as_str(),
                    Some(key.account.as_str()),
                    "{name}"
                );
                assert_eq!(r["awsRegion"].as_str(), Some(key.region.as_str()), "{name}");
                let text = r["eventTime"].as_str().unwrap();
                let t = parse_event_time(text).unwrap();
                assert!(
                    t < named,
                    "{name}: {text} is not before the minute it is named for"
                );
                assert!(
                    t >= named - 31 * 60_000,
                    "{name}: {text} is more than 31 minutes before its name"
                );
            }
        }
    }
    assert_eq!(records, 20000);
    assert!(files >= 40, "{files} files");
    std::fs::remove_dir_all(&root).unwrap();
}

/// From a new user's review: the generator's manifest counted three attack
/// episodes of `concurrent-sessions-different-ips` and replay found two (the
/// third came from the same pair of addresses the same day, an ongoing
/// activity reported once). Every episode is found: each detection of the
/// manifest fires at least as many times as it has episodes.
#[test]
fn every_generated_attack_episode_is_found() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let corpus = dir.join(format!(
        "trailwatch-gen-episodes-{}.jsonl",
        std::process::id()
    ));
    let manifest = dir.join(format!(
        "trailwatch-gen-episodes-{}.json",
        std::process::id()
    ));
    // Seeds whose episodes meet the same account's identity again (one pair
    // of addresses for every episode found 1 and 2 of 3).
    for seed in ["1", "3"] {
        let out = run(
            &[
                "generate",
                "--records",
                "30000",
                "--seed",
                seed,
                "--out",
                corpus.to_str().unwrap(),
                "--manifest",
                manifest.to_str().unwrap(),
            ],
            None,
        );
        assert!(out.status.success(), "{}", stderr(&out));
        let counts: std::collections::BTreeMap<String, usize> =
            serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
        assert!(counts.len() >= 20, "{counts:?}");
        let found = fired(&replay(&[&corpus], &[]));
        for (detection, episodes) in &counts {
            let n = found.iter().filter(|d| *d == detection).count();
            assert!(
                n >= *episodes,
                "seed {seed}: {detection}: {episodes} episodes, {n} findings"
            );
        }
    }
    std::fs::remove_file(&corpus).unwrap();
    std::fs::remove_file(&manifest).unwrap();
}

/// `trailwatch list | head` and the like: the reader is gone before anything is
/// written (the pipe's read end is closed before the command starts). From a
/// review: `tuning example` panicked and `generate --out -` exited 2.
#[test]
fn output_into_a_closed_pipe_exits_quietly() {
    for args in [
        &["list", "--format", "json"][..],
        &["tuning", "example"],
        &["generate", "--records", "20000", "--out", "-"],
    ] {
        let (reader, writer) = std::io::pipe().expect("a pipe");
        drop(reader);
        let out = Command::new(BIN)
            .args(args)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .expect("spawn trailwatch");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    }
}

/// From a review: a replay cut short by a closed pipe exits as it would have:
/// `--strict` with a rejected record exits 1, not 0.
#[test]
fn a_strict_replay_into_a_closed_pipe_still_reports_a_rejection() {
    let mut records = String::from("{bad\n");
    records.extend((0..200).map(|i| stop_logging_with_id(&format!("{i:012}")) + "\n"));
    let file = tmp("bad-then-findings.jsonl", records.as_bytes());
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let out = Command::new(BIN)
        .args(["replay", "--strict", "--format", "jsonl"])
        .arg(&file)
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("spawn trailwatch");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

/// From a review: mistakes that were taken quietly are usage errors, or (a
/// directory with nothing to read) a reported rejection.
#[test]
fn quiet_mistakes_are_refused() {
    // Under the target directory, not the system's: nothing left behind in /tmp.
    let empty = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("trailwatch-empty-{}", std::process::id()));
    std::fs::create_dir_all(&empty).expect("a directory");
    let empty = empty.display().to_string();
    let file = tmp("one-stop.json", STOP_LOGGING.as_bytes());
    let file = file.display().to_string();
    let tuning = tmp(
        "quiet-mistakes.toml",
        b"[detections.cloudtrail-log-suspended]\nmode = \"shadow\"\n",
    );
    let tuning = tuning.display().to_string();
    for (args, says) in [
        (vec!["replay", "-", "-"], "more than once"),
        (
            vec!["replay", "--exit-code", "2", file.as_str()],
            "--exit-code 2",
        ),
        (
            vec!["replay", "--strict", "--exit-code", "1", file.as_str()],
            "--exit-code 1",
        ),
        (
            vec![
                "replay",
                "--state",
                "dynamodb",
                "--table",
                "t",
                "--learn",
                "7",
                file.as_str(),
            ],
            "--learn needs --state memory",
        ),
        (vec!["list", ""], "are empty"),
        (
            vec![
                "replay",
                "--tuning",
                tuning.as_str(),
                "--show-suppressed",
                "--format",
                "sns",
                file.as_str(),
            ],
            "--show-suppressed with --format sns",
        ),
    ] {
        assert_refused(&run(&args, Some(b"")), says, &format!("{args:?}"));
    }
    // Without --strict, 1 means nothing else: a CI job's usual choice.
    let out = run(&["replay", "--exit-code", "1", file.as_str()], None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    // A directory with no input file in it is reported and counted as rejected
    // (as an S3 PREFIX with nothing under it), and the other inputs are read.
    for (strict, code) in [(None, 0), (Some("--strict"), 1)] {
        let args: Vec<&str> = ["replay", "--format", "jsonl"]
            .into_iter()
            .chain(strict)
            .chain([empty.as_str(), file.as_str()])
            .collect();
        let out = run(&args, None);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("no input files in it"),
            "{}",
            stderr(&out)
        );
        assert!(!fired(&out).is_empty(), "the other input is read");
    }
}

/// From a new user's review: the summary says how many first-seen sightings
/// `--learn` kept from being reported, and `--learn 0` keeps none.
#[test]
fn the_summary_counts_what_learn_kept_quiet() {
    let samples =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../events/sts-federation-token-first-seen");
    let samples = samples.display().to_string();
    let learnt = |days: &str| -> u64 {
        let out = run(
            &["replay", "--format", "jsonl", "--learn", days, &samples],
            None,
        );
        assert!(out.status.success(), "{}", stderr(&out));
        let err = stderr(&out);
        let line = err
            .lines()
            .find(|l| l.contains("first-seen sightings learnt"))
            .unwrap_or_else(|| panic!("{err}"));
        line.split_whitespace().next().unwrap().parse().unwrap()
    };
    assert!(learnt("30") > 0);
    assert_eq!(learnt("0"), 0);
    let plain = run(&["replay", "--format", "jsonl", &samples], None);
    assert!(!stderr(&plain).contains("sightings learnt"));
}

/// `trailwatch replay events/ | head`, from a review: a record with two
/// findings meeting the closed pipe ended the replay with an error (exit 2).
#[test]
fn replay_into_a_closed_pipe_exits_quietly() {
    // Enough findings to fill the output buffer long before the end.
    let records: String = (0..2000)
        .map(|i| {
            stop_logging_with_id(&format!("{i:012}"))
                .replace("management-trail", &format!("trail-{i}"))
                + "\n"
        })
        .collect();
    let file = tmp("two-findings-each.jsonl", records.as_bytes());
    let mut child = std::process::Command::new(BIN)
        .args(["replay", "--format", "jsonl"])
        .arg(&file)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn trailwatch");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        !stderr(&out).contains("cannot write") && !stderr(&out).contains("not delivered"),
        "{}",
        stderr(&out)
    );
}

/// From a review: a detection's window and threshold, which a tuning file
/// overrides by these names, are shown (null for a stateless one).
#[test]
fn list_shows_windows_and_thresholds() {
    let out = run(
        &[
            "list",
            "--format",
            "json",
            "getpassworddata-burst",
            "cloudtrail-log-suspended",
            "concurrent-sessions-different-ips",
        ],
        None,
    );
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let window = |id: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .map(|r| r["window"].clone())
            .unwrap()
    };
    assert_eq!(
        window("getpassworddata-burst"),
        serde_json::json!({"window_secs": 300, "threshold": 11, "repeats": "always"})
    );
    assert_eq!(
        window("concurrent-sessions-different-ips")["repeats"],
        "only-new"
    );
    assert_eq!(window("cloudtrail-log-suspended"), serde_json::Value::Null);
    let text = run(&["list", "getpassworddata-burst"], None);
    assert!(
        String::from_utf8_lossy(&text.stdout)
            .contains("window: repeats always, threshold 11, window_secs 300"),
        "{}",
        String::from_utf8_lossy(&text.stdout)
    );
}

/// From a UX review: `list ID` shows a detection whole; an unknown id is named
/// with the nearest known one.
#[test]
fn list_shows_the_named_detections_whole() {
    let out = run(&["list", "cloudtrail-log-suspended"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    for part in [
        "cloudtrail-log-suspended (high, stateless)",
        "False positives:",
        "Next steps:",
        "events/cloudtrail-log-suspended/",
    ] {
        assert!(text.contains(part), "{part}: {text}");
    }
    assert!(!text.contains("cloudtrail-log-deleted"), "{text}");
    let out = run(
        &["list", "--format", "json", "cloudtrail-log-suspended"],
        None,
    );
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.as_array().map(Vec::len), Some(1));
    // Comma lists, any letter case, each once.
    let out = run(
        &[
            "list",
            "--format",
            "json",
            "CloudTrail-Log-Suspended,cloudtrail-log-suspended",
            "cloudtrail-log-deleted",
        ],
        None,
    );
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.as_array().map(Vec::len), Some(2), "{rows}");
    let out = run(&["list", "cloudtrail-log-suspend"], None);
    assert_refused(
        &out,
        "did you mean \"cloudtrail-log-suspended\"",
        "list typo",
    );
}

/// `list` narrows by severity, ATT&CK technique (with its sub-techniques), kind
/// and function group, all of them holding, over the named ids too.
#[test]
fn list_filters_narrow_the_catalogue() {
    let rows = |args: &[&str]| -> Vec<serde_json::Value> {
        let mut all = vec!["list", "--format", "json"];
        all.extend_from_slice(args);
        let out = run(&all, None);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        serde_json::from_slice(&out.stdout).expect("json")
    };
    let ids = |rows: &[serde_json::Value]| -> Vec<String> {
        rows.iter()
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let impair = rows(&["--attack", "t1562", "--min-severity", "high"]);
    assert!(ids(&impair).contains(&"cloudtrail-log-suspended".to_owned()));
    for r in &impair {
        assert!(
            matches!(r["highest_severity"].as_str(), Some("high" | "critical")),
            "{r}"
        );
        let techniques = r["attack"].as_array().unwrap();
        assert!(
            techniques.iter().any(|t| {
                let t = t.as_str().unwrap();
                t == "T1562" || t.starts_with("T1562.")
            }),
            "{r}"
        );
    }
    // A parent does not take a technique that merely shares its digits, and
    // what is no technique id is refused (from a review: `--attack foo` exited 0).
    assert!(rows(&["--attack", "T1098"]).iter().all(|r| {
        r["attack"].as_array().unwrap().iter().any(|t| {
            let t = t.as_str().unwrap();
            t == "T1098" || t.starts_with("T1098.")
        })
    }));
    for bad in ["T156", "foo", "T1562.8"] {
        let out = run(&["list", "--attack", bad], None);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(
            stderr(&out).contains("is not an ATT&CK technique id"),
            "{bad}"
        );
    }
    let first_seen = rows(&["--kind", "first-seen", "--group", "DISCOVERY"]);
    assert!(!first_seen.is_empty());
    assert!(
        first_seen
            .iter()
            .all(|r| r["kind"] == "first-seen" && r["group"] == "discovery")
    );
    let named = rows(&[
        "--kind",
        "windowed",
        "cloudtrail-log-suspended,discovery-sweep-by-principal",
    ]);
    assert_eq!(ids(&named), ["discovery-sweep-by-principal"]);
    // A group no detection has is a typo, named with the real ones.
    let out = run(&["list", "--group", "discover"], None);
    assert_refused(&out, "the groups are: ", "unknown group");
}

/// From a usability review: `list --min-severity` judged a detection by its
/// listed severity, so `replay --only "$(list --min-severity high ...)"` lost
/// the critical findings of a detection listed low. It goes by the highest
/// severity a detection reports, and every format shows it.
#[test]
fn min_severity_keeps_a_detection_whose_findings_are_raised() {
    let raised = "eventbridge-rule-disabled-or-deleted";
    let out = run(
        &["list", "--format", "json", "--min-severity", "high"],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("json");
    let row = rows
        .iter()
        .find(|r| r["id"] == raised)
        .unwrap_or_else(|| panic!("{raised} left out of --min-severity high"));
    assert_eq!(row["severity"], "low", "{row}");
    assert_eq!(row["highest_severity"], "critical", "{row}");
    // A detection that raises nothing is still judged by its own severity.
    assert!(rows.iter().all(|r| r["id"] != "cloudtrail-log-created"));
    let critical = run(
        &["list", "--format", "json", "--min-severity", "critical"],
        None,
    );
    let critical: Vec<serde_json::Value> = serde_json::from_slice(&critical.stdout).unwrap();
    assert!(critical.iter().any(|r| r["id"] == raised));
    assert!(critical.iter().all(|r| r["highest_severity"] == "critical"));

    let text = run(&["list", "--min-severity", "high"], None);
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    let line = text
        .lines()
        .find(|l| l.starts_with(raised))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains("low (up to critical)"), "{line}");
    let markdown = run(&["list", "--format", "markdown", raised], None);
    assert!(
        String::from_utf8_lossy(&markdown.stdout)
            .contains(&format!("| `{raised}` | low (up to critical) |")),
        "{}",
        String::from_utf8_lossy(&markdown.stdout)
    );
    let whole = run(&["list", raised], None);
    assert!(
        String::from_utf8_lossy(&whole.stdout).contains("severity: low, up to critical"),
        "{}",
        String::from_utf8_lossy(&whole.stdout)
    );
}

#[test]
fn readme_detection_table_is_the_generated_one() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .expect("README.md");
    let start = "<!-- detection-table:start -->\n";
    let (_, rest) = readme.split_once(start).expect("table start marker");
    let (table, _) = rest
        .split_once("<!-- detection-table:end -->")
        .expect("table end marker");
    let out = run(&["list", "--format", "markdown"], None);
    assert_eq!(
        table,
        String::from_utf8_lossy(&out.stdout),
        "README's detection table is stale: paste `trailwatch list --format markdown` between the markers"
    );
}

/// The table's `needs` column names data events alone only where a detection
/// takes nothing else: an ACL put on a bucket (management) or an object (data)
/// works in part without data-event logging.
#[test]
fn the_needs_column_tells_mixed_triggers_apart() {
    let out = run(&["list", "--format", "markdown"], None);
    let table = String::from_utf8_lossy(&out.stdout).into_owned();
    let needs = |id: &str| {
        let row = table
            .lines()
            .find(|l| l.starts_with(&format!("| `{id}` |")))
            .unwrap_or_else(|| panic!("no row for {id}"));
        let cells: Vec<&str> = row.split(" | ").collect();
        cells[cells.len() - 2].to_string()
    };
    assert_eq!(needs("s3-acl-grants-public-access"), "write + data events");
    assert_eq!(needs("trailwatch-tampering"), "write + data events");
    assert_eq!(needs("s3-objects-batch-deleted"), "data events");
    assert_eq!(needs("discovery-sweep-by-principal"), "read-only");
    assert_eq!(needs("cloudtrail-log-deleted"), "write");
}

#[test]
fn any_number_of_threads_gives_identical_output() {
    let events = Path::new(env!("CARGO_MANIFEST_DIR")).join("../events");
    let one = replay(&[&events], &["--threads", "1"]);
    assert_eq!(one.status.code(), Some(0), "{}", stderr(&one));
    assert!(fired(&one).len() > 40, "the samples fire: {}", stderr(&one));
    for threads in ["2", "5"] {
        let many = replay(&[&events], &["--threads", threads]);
        assert_eq!(many.status.code(), Some(0), "{}", stderr(&many));
        assert_eq!(
            String::from_utf8_lossy(&many.stdout),
            String::from_utf8_lossy(&one.stdout),
            "--threads {threads}"
        );
    }
    let zero = replay(&[&events], &["--threads", "0"]);
    assert_eq!(zero.status.code(), Some(2), "--threads 0 is a usage error");
}

#[test]
fn a_line_over_the_document_limit_is_refused_and_reading_goes_on() {
    let long = format!("{{\"pad\":\"{}\"}}", "y".repeat(300_000));
    // A second StopLogging with its own eventID (the same one would be a duplicate).
    let again = STOP_LOGGING.replace("-000000000001\",\"readOnly", "-000000000009\",\"readOnly");
    assert_ne!(again, STOP_LOGGING);
    let file = tmp(
        "long-line.jsonl",
        format!("{STOP_LOGGING}\n{long}\n{again}\n").as_bytes(),
    );
    let out = replay(&[&file], &["--max-document-bytes", "100000"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(fired(&out).len(), 4, "both good records fire");
    let err = stderr(&out);
    assert!(err.contains("long-line.jsonl:2: line of"), "{err}");
    assert!(err.contains("over the 100000-byte document limit"), "{err}");
}

/// `replay --min-severity` goes by each finding's own severity, in every
/// format and in the summary: the eventbridge samples report low findings and
/// critical ones (trailwatch's own rules), and only the critical ones are shown.
#[test]
fn min_severity_leaves_out_lower_findings_everywhere() {
    let dir = sample("eventbridge-rule-disabled-or-deleted");
    let all = replay(&[&dir], &[]);
    let severities = |out: &Output| -> Vec<String> {
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
                v["severity"].as_str().expect("severity").to_owned()
            })
            .collect()
    };
    let at_least_high = |s: &String| matches!(s.as_str(), "high" | "critical");
    let every = severities(&all);
    let high = every.iter().filter(|s| at_least_high(s)).count();
    assert!(high > 0 && high < every.len(), "{every:?}");

    let out = replay(&[&dir], &["--min-severity", "high"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let shown = severities(&out);
    assert_eq!(shown.len(), high, "{shown:?}");
    assert!(shown.iter().all(at_least_high), "{shown:?}");
    assert_summary(&out, &format!("{high} findings in"), "--min-severity high");
    let below = every.len() - high;
    assert!(
        stderr(&out).contains(&format!("  {below} findings below high not shown")),
        "{}",
        stderr(&out)
    );
    // Per detection, only what was shown is counted.
    assert!(
        !stderr(&out).contains("logs-streamed-to-another-account"),
        "{}",
        stderr(&out)
    );
    for format in ["ocsf", "asff", "chat", "sns"] {
        let out = run(
            &[
                "replay",
                "--format",
                format,
                "--min-severity",
                "high",
                dir.to_str().unwrap(),
            ],
            None,
        );
        assert_eq!(out.status.code(), Some(0), "{format}: {}", stderr(&out));
        let lines = String::from_utf8_lossy(&out.stdout).lines().count();
        assert_eq!(lines, high, "{format}");
    }
    let text = run(
        &["replay", "--min-severity", "high", dir.to_str().unwrap()],
        None,
    );
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    let blocks = text.matches("[CRITICAL]").count() + text.matches("[HIGH]").count();
    assert_eq!(blocks, high, "{text}");
    assert!(
        !text.contains("[LOW]") && !text.contains("[MEDIUM]"),
        "{text}"
    );
    // A finding left out does not trip --exit-code.
    let low_only = sample("eventbridge-rule-disabled-or-deleted/positive-delete-rule.json");
    let gate = |extra: &[&str]| {
        let mut args = vec!["--exit-code", "3"];
        args.extend_from_slice(extra);
        replay(&[&low_only], &args).status.code()
    };
    assert_eq!(gate(&[]), Some(3));
    assert_eq!(gate(&["--min-severity", "medium"]), Some(0));
    let out = replay(&[&low_only], &["--min-severity", "severe"]);
    assert_refused(&out, "invalid value 'severe'", "unknown level");
}

/// From a usability review: files a directory walk does not take by name were
/// skipped without a word. One summary line counts them and names the first;
/// they are no rejection, `--strict` or not.
#[test]
fn files_skipped_by_name_are_said_once() {
    let dir = tmp("by-name-root", b"").with_file_name("by-name");
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["a.json", "b.log", "d.txt", "e.json.bak", "expected.jsonc"] {
        std::fs::write(dir.join(name), STOP_LOGGING).unwrap();
    }
    // JSON with comments (events/'s expectations) is skipped without a word;
    // a link to a directory is said apart (from a review).
    #[cfg(unix)]
    {
        let target = dir.with_file_name("by-name-target");
        std::fs::create_dir_all(&target).unwrap();
        let _ = std::fs::remove_file(dir.join("linked"));
        std::os::unix::fs::symlink(&target, dir.join("linked")).unwrap();
    }
    let out = replay(&[&dir], &["--strict"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(fired(&out).len(), 2, "a.json alone is read");
    let err = stderr(&out);
    let said: Vec<&str> = err.lines().filter(|l| l.contains("by name")).collect();
    assert_eq!(said.len(), 1, "{err}");
    assert!(
        said[0].starts_with("  3 file(s) in the directories read skipped by name (not .json, "),
        "{err}"
    );
    assert!(
        said[0].ends_with(&format!("e.g. {}", dir.join("b.log").display())),
        "{err}"
    );
    #[cfg(unix)]
    assert!(
        err.contains(&format!(
            "  1 symbolic link(s) to directories, or broken, not followed, e.g. {}",
            dir.join("linked").display()
        )),
        "{err}"
    );
    assert_summary(&out, "1 records read, 0 rejected", "by name");
    // Named on the command line, a file is read whatever its name.
    let named = replay(&[&dir.join("b.log")], &[]);
    assert_eq!(fired(&named).len(), 2, "{}", stderr(&named));
    assert!(!stderr(&named).contains("by name"), "{}", stderr(&named));
}

/// The repository's events/ directory (samples shared with tests/events.rs).
fn sample(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("events")
        .join(path)
}

#[test]
fn the_resource_prefix_decides_what_is_trailwatch_s_own() {
    let file = sample("trailwatch-tampering/positive-disable-forwarding-rule.json");
    let default = replay(&[&file], &[]);
    let ids = fired(&default);
    assert!(ids.iter().any(|i| i == "trailwatch-tampering"), "{ids:?}");
    let other = replay(&[&file], &["--resource-prefix", "secwatch"]);
    let ids = fired(&other);
    assert!(!ids.iter().any(|i| i == "trailwatch-tampering"), "{ids:?}");
    let bad = replay(&[&file], &["--resource-prefix", "a b"]);
    assert_refused(&bad, "--resource-prefix", "bad prefix");
}

#[test]
fn own_organizations_decide_which_organisation_fences_are_reported() {
    let theirs = sample(
        "s3-bucket-policy-external-access/organization-fence-bucket-read-by-another-organization.json",
    );
    let ours = sample(
        "s3-bucket-policy-external-access/negative-org-restricted-and-service-principal.json",
    );
    assert!(
        fired(&replay(&[&theirs], &[])).is_empty(),
        "no list: every fence is private"
    );
    // An empty list is no list.
    assert!(fired(&replay(&[&theirs], &["--organization-ids", ""])).is_empty());
    let named = replay(
        &[&theirs, &ours],
        &["--organization-ids", "o-a1b2c3d4e5, o-0000000000"],
    );
    assert_eq!(
        fired(&named),
        ["s3-bucket-policy-external-access"],
        "{}",
        stderr(&named)
    );
    let finding: serde_json::Value = serde_json::from_slice(
        named
            .stdout
            .split(|b| *b == b'\n')
            .next()
            .unwrap_or_default(),
    )
    .expect("JSON");
    assert_eq!(
        finding["evidence"]["other_organizations"],
        serde_json::json!(["o-zz9y8x7w6v"])
    );
    let bad = replay(
        &[&theirs],
        &["--organization-ids", "o-a1b2c3d4e5,111122223333"],
    );
    assert_refused(&bad, "--organization-ids: not an organization id", "bad id");
    assert!(
        stderr(&bad).contains("\"111122223333\""),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn the_silence_threshold_decides_which_canary_gaps_are_findings() {
    // Canaries every 5 minutes, two missing: a 15-minute gap, at the threshold.
    let file = sample("pipeline-silent/negative-gap-under-threshold.json");
    let default = replay(&[&file], &[]);
    assert!(fired(&default).is_empty(), "{}", stderr(&default));
    let strict = replay(&[&file], &["--silence-secs", "600"]);
    let mut ids = fired(&strict);
    ids.sort();
    assert_eq!(
        ids,
        ["pipeline-restored", "pipeline-silent"],
        "{}",
        stderr(&strict)
    );
    let out = String::from_utf8(strict.stdout).unwrap();
    assert!(out.contains("\"silent_secs\":900"), "{out}");
    let too_short = replay(&[&file], &["--silence-secs", "5"]);
    assert_eq!(too_short.status.code(), Some(2));
}

/// A file of two records that each fire (`name` in the temp dir), and their
/// findings as `--format jsonl` prints them.
fn two_findings(name: &str) -> (String, Vec<serde_json::Value>) {
    let input = format!("{STOP_LOGGING}\n{DESCRIBE}\n");
    let file = tmp(name, input.as_bytes());
    let findings: Vec<serde_json::Value> = String::from_utf8_lossy(&replay(&[&file], &[]).stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(findings.len(), 2, "{findings:?}");
    (file.display().to_string(), findings)
}

/// `--format ocsf|asff|chat`: one object per line, one line per finding, in the
/// same order as `jsonl`, each naming the same finding; the same output twice.
#[test]
fn replay_renders_ocsf_asff_and_chat_one_object_per_line() {
    let (path, findings) = two_findings("formats.jsonl");
    for format in ["ocsf", "asff", "chat"] {
        let out = run(&["replay", "--format", format, &path], None);
        assert!(out.status.success(), "{format}: {out:?}");
        let again = run(&["replay", "--format", format, &path], None);
        assert_eq!(out.stdout, again.stdout, "{format}: stable output");
        let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| {
                serde_json::from_str(l).unwrap_or_else(|e| panic!("{format}: not JSON ({e}): {l}"))
            })
            .collect();
        assert_eq!(lines.len(), findings.len(), "{format}");
        for (line, f) in lines.iter().zip(&findings) {
            let (id, detection) = match format {
                "ocsf" => {
                    assert_eq!(line["class_uid"], 2004);
                    assert_eq!(line["cloud"]["account"]["uid"], "111122223333");
                    assert_eq!(line["evidences"][0]["src_endpoint"]["ip"], "203.0.113.50");
                    (
                        &line["finding_info"]["uid"],
                        &line["finding_info"]["analytic"]["uid"],
                    )
                }
                "asff" => {
                    assert_eq!(line["SchemaVersion"], "2018-10-08");
                    assert_eq!(line["AwsAccountId"], "111122223333");
                    assert_eq!(
                        line["ProductArn"],
                        "arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default"
                    );
                    assert_eq!(
                        line["UpdatedAt"], "2026-03-02T10:15:00Z",
                        "replay stamps the event time"
                    );
                    (&line["Id"], &line["GeneratorId"])
                }
                _ => {
                    assert_eq!(line["source"], "custom");
                    assert!(
                        line["content"]["description"]
                            .as_str()
                            .unwrap()
                            .contains("`mallory`")
                    );
                    (&line["id"], &line["content"]["keywords"][1])
                }
            };
            assert_eq!(id, &f["finding_id"], "{format}");
            assert_eq!(detection, &f["detection_id"], "{format}");
        }
    }
}

/// `--format sns`: one `Publish` request per finding, as the functions send it:
/// the subject, every protocol's message (the finding JSON, or OCSF with
/// `--findings-format ocsf`, and the e-mail text) and the attributes filter
/// policies match. `--findings-format` without `--format sns` is refused.
#[test]
fn replay_prints_the_sns_publish_the_functions_send() {
    let (path, findings) = two_findings("sns.jsonl");
    // No --findings-format: trailwatch's JSON, as the functions by default.
    for machine in ["default", "json", "ocsf"] {
        let mut args = vec!["replay", "--format", "sns", path.as_str()];
        if machine != "default" {
            args.extend(["--findings-format", machine]);
        }
        let out = run(&args, None);
        assert!(out.status.success(), "{machine}: {out:?}");
        let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect();
        assert_eq!(lines.len(), findings.len(), "{machine}");
        for (line, f) in lines.iter().zip(&findings) {
            let severity = f["severity"].as_str().unwrap();
            let subject = line["Subject"].as_str().unwrap();
            assert!(
                subject.starts_with(&format!("[{}] ", severity.to_uppercase())),
                "{subject}"
            );
            assert!(subject.len() < 100, "{subject}");
            assert_eq!(line["MessageStructure"], "json");
            let attributes = &line["MessageAttributes"];
            assert_eq!(attributes["severity"]["StringValue"], severity);
            assert_eq!(attributes["detection_id"]["StringValue"], f["detection_id"]);
            assert_eq!(attributes["account_id"]["StringValue"], "111122223333");
            assert_eq!(attributes["severity_rank"]["DataType"], "Number");
            let message: serde_json::Value =
                serde_json::from_str(line["Message"].as_str().unwrap()).unwrap();
            for protocol in [
                "default",
                "sqs",
                "lambda",
                "https",
                "http",
                "email",
                "email-json",
            ] {
                assert!(message[protocol].is_string(), "{protocol} in {message}");
            }
            let default: serde_json::Value =
                serde_json::from_str(message["default"].as_str().unwrap()).unwrap();
            assert_eq!(message["default"], message["sqs"]);
            if machine == "ocsf" {
                assert_eq!(default["class_uid"], 2004);
                assert_eq!(default["finding_info"]["uid"], f["finding_id"]);
                assert_eq!(attributes["format"]["StringValue"], "ocsf");
            } else {
                assert_eq!(default["finding_id"], f["finding_id"]);
                assert!(attributes.get("format").is_none(), "{attributes}");
            }
            assert!(
                message["email"]
                    .as_str()
                    .unwrap()
                    .contains(f["title"].as_str().unwrap())
            );
        }
    }
    let refused = run(
        &[
            "replay",
            "--format",
            "jsonl",
            "--findings-format",
            "ocsf",
            &path,
        ],
        None,
    );
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("--format sns"),
        "{refused:?}"
    );
}

/// From a review: a finding ASFF cannot carry (its record names no Region) is
/// not written to stdout as some other object: it is said on stderr, and
/// `--strict` exits 1; the other formats still print it.
#[test]
fn asff_leaves_out_a_finding_security_hub_would_refuse_and_says_so() {
    let no_region = STOP_LOGGING.replace(r#""awsRegion":"us-east-1","#, "");
    assert_ne!(
        no_region, STOP_LOGGING,
        "the record had a Region to take out"
    );
    let file = tmp("no-region.jsonl", format!("{no_region}\n").as_bytes());
    let path = file.display().to_string();
    for strict in [false, true] {
        let mut args = vec!["replay", "--format", "asff", path.as_str()];
        if strict {
            args.push("--strict");
        }
        let out = run(&args, None);
        assert_eq!(
            out.status.code(),
            Some(if strict { 1 } else { 0 }),
            "{out:?}"
        );
        assert!(
            out.stdout.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("Security Hub would refuse it"), "{err}");
    }
    let jsonl = run(&["replay", "--format", "jsonl", &path], None);
    assert!(!jsonl.stdout.is_empty());
    // Said with -q too; the finding fired though it was not written, so a gate
    // on --exit-code fails as with the other formats (from a review).
    let quiet = run(
        &[
            "replay",
            "-q",
            "--format",
            "asff",
            "--exit-code",
            "3",
            &path,
        ],
        None,
    );
    assert_eq!(quiet.status.code(), Some(3), "{quiet:?}");
    assert!(String::from_utf8_lossy(&quiet.stderr).contains("Security Hub would refuse it"));
}

/// From a review: CloudTrail log files named a Region at a time (`us-east-1/*
/// eu-west-1/*`) are read as a copy of the bucket is, by day and delivery
/// minute across the paths, so a caller's records reach the windows in time
/// order; the findings come out in that order.
#[test]
fn log_files_named_a_region_at_a_time_are_read_in_delivery_order() {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("trailwatch-cli-order-{}", std::process::id()));
    let file = |region: &str, stamp: &str, tail: &str| {
        let path = root.join(format!(
            "AWSLogs/111122223333/CloudTrail/{region}/2026/02/25/111122223333_CloudTrail_{region}_20260225T{stamp}Z_x.json"
        ));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let record = stop_logging_with_id(tail);
        std::fs::write(&path, format!("{{\"Records\":[{record}]}}")).unwrap();
        path
    };
    // Named us-east-1 first; eu-west-1's file was delivered an hour earlier.
    let later = file("us-east-1", "1000", "00000000000a");
    let earlier = file("eu-west-1", "0900", "00000000000b");
    // An empty directory between them (reported) does not part them.
    let empty = root.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = replay(&[later.as_path(), empty.as_path(), earlier.as_path()], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["event_ids"][0].to_string())
        .collect();
    assert!(ids.len() >= 2, "{ids:?}");
    let first_b = ids
        .iter()
        .position(|i| i.ends_with("00000000000b\""))
        .unwrap();
    let first_a = ids
        .iter()
        .position(|i| i.ends_with("00000000000a\""))
        .unwrap();
    assert!(first_b < first_a, "eu-west-1's file is read first: {ids:?}");
}

/// From a review: replaying another deployment's archive under the default
/// prefix quietly set its canaries aside (no silence, no restoration) and its
/// resources' changes (no trailwatch-tampering). It is said, even with --quiet.
#[test]
fn canaries_under_another_prefix_are_said() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../events/pipeline-silent");
    let sample = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("positive-"))
        })
        .expect("a pipeline-silent positive");
    let canaries = std::fs::read_to_string(&sample)
        .unwrap()
        .matches("\"PutParameter\"")
        .count();
    assert!(canaries > 1);
    // Counted once each (two heartbeat detections take every canary), the
    // same on one thread and on four.
    for threads in ["1", "4"] {
        let other = replay(
            &[sample.as_path()],
            &[
                "--quiet",
                "--resource-prefix",
                "prod-tw",
                "--threads",
                threads,
            ],
        );
        assert!(other.status.success(), "{}", stderr(&other));
        assert!(
            stderr(&other).contains(&format!(
                "{canaries} canary record(s) (the first on \"trailwatch-forwarder-canary\") do not start with the resource prefix \"prod-tw\""
            )),
            "{}",
            stderr(&other)
        );
    }
    let own = replay(&[sample.as_path()], &["--quiet"]);
    assert!(!stderr(&own).contains("canary record"), "{}", stderr(&own));
}

/// A trail that logs network activity events writes a VPC endpoint's record of
/// each call through it beside the call's own: the same caller and call name,
/// no parameters, no response (`eventCategory` `NetworkActivity`). The call is
/// judged once, on its own record; a call the endpoint refused
/// (`VpceAccessDenied`) has no other record and is judged as a refused call.
#[test]
fn a_vpc_endpoints_copy_of_a_call_is_not_judged_again() {
    let through_endpoint = STOP_LOGGING
        .replace("\"203.0.113.50\"", "\"10.0.141.54\"")
        .replace(
            ",\"eventCategory\":\"Management\"}",
            ",\"vpcEndpointId\":\"vpce-0a1b2c3d4e5f67890\",\"vpcEndpointAccountId\":\"111122223333\",\"eventCategory\":\"Management\"}",
        );
    let copy = |id: &str, error: &str| {
        format!(
            r#"{{"eventVersion":"1.11","userIdentity":{{"type":"IAMUser","principalId":"AIDAEXAMPLEEXAMPLE1","arn":"arn:aws:iam::111122223333:user/mallory","accountId":"111122223333","accessKeyId":"AKIAEXAMPLEEXAMPLE1","userName":"mallory"}},"eventTime":"2026-03-02T10:15:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","sourceIPAddress":"10.0.141.54","userAgent":"aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64",{error}"requestID":"5e0f1c2a-0000-4000-8000-000000000001","eventID":"{id}","eventType":"AwsVpceEvent","recipientAccountId":"111122223333","sharedEventID":"735fbea7-a934-43f7-a926-355589c59007","vpcEndpointId":"vpce-0a1b2c3d4e5f67890","vpcEndpointAccountId":"111122223333","eventCategory":"NetworkActivity"}}"#
        )
    };
    let let_through = copy("33980b64-2ce1-471d-856c-376497e887bb", "");
    let refused = copy(
        "43980b64-2ce1-471d-856c-376497e887bc",
        r#""errorCode":"VpceAccessDenied","errorMessage":"The request was denied due to a VPC endpoint policy","#,
    );
    // The detections that fire on `text`, sorted.
    let fired_on = |name: &str, text: String| {
        let path = tmp(name, text.as_bytes());
        let mut found = fired(&replay(&[path.as_path()], &[]));
        found.sort();
        found
    };
    let both_fire = ["cloudtrail-important-change", "cloudtrail-log-suspended"];
    let both = format!(r#"{{"Records":[{through_endpoint},{let_through}]}}"#);
    assert_eq!(fired_on("network-activity.json", both), both_fire);
    let alone = format!("{let_through}\n");
    assert!(fired_on("network-activity-alone.json", alone).is_empty());
    // A copy written with the call's parameters (as a public rule test writes
    // one) is judged on them.
    let with_parameters = let_through.replacen(
        "\"requestID\"",
        "\"requestParameters\":{\"name\":\"management-trail\"},\"requestID\"",
        1,
    );
    let with_parameters = format!("{with_parameters}\n");
    assert_eq!(
        fired_on("network-activity-with-parameters.json", with_parameters),
        both_fire
    );
    // Another account's credentials through the endpoint: that account's
    // trail has the call's own record, this one may not (from a review).
    let outsider = let_through.replace(
        "\"arn:aws:iam::111122223333:user/mallory\",\"accountId\":\"111122223333\"",
        "\"arn:aws:iam::999988887777:user/mallory\",\"accountId\":\"999988887777\"",
    );
    assert!(outsider.contains("999988887777"));
    assert_eq!(
        fired_on("network-activity-outsider.json", format!("{outsider}\n")),
        both_fire
    );
    let denied = format!("{refused}\n");
    assert_eq!(
        fired_on("network-activity-denied.json", denied),
        ["cloudtrail-important-change"]
    );
}
