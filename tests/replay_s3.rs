//! `trailwatch replay s3://BUCKET/PREFIX` against moto's S3: an organization trail
//! (2 accounts x 2 Regions x 3 days of gzip log files) and a plain account trail.
//! Findings are asserted exactly for each filter, and moto's own request log shows
//! which listings and downloads were made: nothing outside the planned prefixes.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::process::Output;
use std::sync::OnceLock;

use serde_json::{Value, json};
use trailwatch_tests::moto::Moto;
use trailwatch_tests::one_request::{
    access_denied, answer_once, assert_signed_header, refusing_proxy,
};
use trailwatch_tests::{root, trailwatch_on, unique};

const ORG: &str = "o-a1b2c3d4e5";
const A: &str = "111122223333";
const B: &str = "444455556666";
const EAST: &str = "us-east-1";
const WEST: &str = "eu-west-1";

/// A record from a sample, moved to `account`, `region` and `time`, named `id`.
fn record(sample: &Value, account: &str, region: &str, time: &str, id: &str) -> Value {
    let mut r = sample.get("detail").unwrap_or(sample).clone();
    r["recipientAccountId"] = json!(account);
    r["awsRegion"] = json!(region);
    r["eventTime"] = json!(time);
    r["eventID"] = json!(id);
    r["userIdentity"]["accountId"] = json!(account);
    let arn = r["userIdentity"]["arn"]
        .as_str()
        .unwrap_or("")
        .replace("111122223333", account);
    r["userIdentity"]["arn"] = json!(arn);
    r
}

fn sample(path: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(root().join("events").join(path)).unwrap())
        .unwrap()
}

/// StopLogging by `user` (fires cloudtrail-log-suspended and
/// cloudtrail-important-change).
fn stop_logging(account: &str, region: &str, time: &str, id: &str, user: &str) -> Value {
    let mut r = record(
        &sample("cloudtrail-log-suspended/positive-stop-logging-iam-user.json"),
        account,
        region,
        time,
        id,
    );
    r["userIdentity"]["userName"] = json!(user);
    r["userIdentity"]["arn"] = json!(format!("arn:aws:iam::{account}:user/{user}"));
    r
}

/// An ordinary read by an SDK (no detection fires on it).
fn ordinary(account: &str, region: &str, time: &str, id: &str) -> Value {
    let mut r = stop_logging(account, region, time, id, "app");
    r["eventSource"] = json!("ec2.amazonaws.com");
    r["eventName"] = json!("DescribeRegions");
    r["readOnly"] = json!(true);
    r["userAgent"] = json!("aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5");
    r["requestParameters"] = Value::Null;
    r
}

fn gzip(records: &[Value]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(json!({ "Records": records }).to_string().as_bytes())
        .unwrap();
    gz.finish().unwrap()
}

/// `YYYY/MM/DD` folder and `YYYYMMDDTHHmmZ` of a day and a delivery time.
fn key(base: &str, account: &str, region: &str, day: &str, hhmm: &str, id: &str) -> String {
    let (y, m, d) = (&day[..4], &day[5..7], &day[8..10]);
    format!(
        "{base}{account}/CloudTrail/{region}/{y}/{m}/{d}/{account}_CloudTrail_{region}_{y}{m}{d}T{hhmm}Z_{id}.json.gz"
    )
}

/// The archive: every object, by key.
fn tree() -> Vec<(String, Vec<u8>)> {
    let org = format!("AWSLogs/{ORG}/");
    let plain = "plain/AWSLogs/".to_owned();
    let mut files: Vec<(String, Vec<Value>)> = Vec::new();
    for account in [A, B] {
        for region in [EAST, WEST] {
            for day in ["2026-01-04", "2026-01-05", "2026-01-06"] {
                for (hhmm, at) in [("1005", "10:02:00"), ("1010", "10:07:00")] {
                    let id = format!("ord-{account}-{region}-{day}-{hhmm}");
                    let rec = ordinary(account, region, &format!("{day}T{at}Z"), &id);
                    files.push((key(&org, account, region, day, hhmm, "ord"), vec![rec]));
                }
            }
        }
    }
    let mut add = |k: String, r: Value| match files.iter_mut().find(|(f, _)| *f == k) {
        Some((_, records)) => records.push(r),
        None => files.push((k, vec![r])),
    };
    let day5 = |hhmm| key(&org, A, EAST, "2026-01-05", hhmm, "ord");
    add(
        day5("1005"),
        stop_logging(A, EAST, "2026-01-05T10:01:00Z", "s1", "alice"),
    );
    // A burst of six CLI calls in eight seconds, delivered in two files.
    let burst = sample("discovery-api-burst-via-cli/positive-six-calls-in-eight-seconds.json");
    let times = [
        "10:04:57", "10:04:58", "10:04:59", "10:05:01", "10:05:03", "10:05:05",
    ];
    for (i, (r, t)) in burst.as_array().unwrap().iter().zip(times).enumerate() {
        let hhmm = if i < 3 { "1005" } else { "1010" };
        let rec = record(
            r,
            A,
            EAST,
            &format!("2026-01-05T{t}Z"),
            &format!("burst-{i}"),
        );
        add(day5(hhmm), rec);
    }
    // Base, account, Region, day folder, delivery, file id; eventTime, event id, user.
    let stops = [
        // Just before midnight, delivered in the next day's folder.
        "org A east 2026-01-06 0003 late  2026-01-05T23:59:30Z night nora",
        // After midnight, in a file delivered within the hour's grace.
        "org A east 2026-01-06 0035 early 2026-01-06T00:30:00Z early erin",
        "org B west 2026-01-05 1005 ord   2026-01-05T10:03:00Z s2    bob",
        "org A east 2026-01-04 1005 ord   2026-01-04T10:03:00Z s3    carol",
        "org A west 2026-01-05 1005 ord   2026-01-05T10:03:00Z s4    dave",
        // Account B, us-east-1, the 4th: after a cut-off gzip and gzip of what is
        // not JSON (below), and an object moved to Glacier (GetObject refuses
        // it: InvalidObjectState), a file that must still be read.
        "org B east 2026-01-04 1025 glacier 2026-01-04T10:22:00Z s6  hank",
        "org B east 2026-01-04 1030 after 2026-01-04T10:25:00Z s5    gina",
        // A plain account trail, under a trail prefix.
        "plain A east 2026-01-05 1005 p   2026-01-05T10:00:00Z p1    frank",
    ];
    for line in stops {
        let f: Vec<&str> = line.split_whitespace().collect();
        let base = if f[0] == "org" { &org } else { &plain };
        let account = if f[1] == "A" { A } else { B };
        let region = if f[2] == "east" { EAST } else { WEST };
        add(
            key(base, account, region, f[3], f[4], f[5]),
            stop_logging(account, region, f[6], f[7], f[8]),
        );
    }
    let mut out: Vec<(String, Vec<u8>)> = files.iter().map(|(k, r)| (k.clone(), gzip(r))).collect();
    let whole = gzip(&[ordinary(B, EAST, "2026-01-04T10:10:00Z", "cut")]);
    out.push((
        key(&org, B, EAST, "2026-01-04", "1015", "cut"),
        whole[..whole.len() / 2].to_vec(),
    ));
    let mut not_json = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    not_json.write_all(b"<html>not a log</html>").unwrap();
    out.push((
        key(&org, B, EAST, "2026-01-04", "1020", "html"),
        not_json.finish().unwrap(),
    ));
    out.sort();
    out
}

struct Archive {
    moto: Moto,
    log: PathBuf,
    bucket: String,
    /// The same objects as local files.
    dir: PathBuf,
}

/// The archive in a moto of its own (its request log is read by the tests).
fn archive() -> &'static Archive {
    static ARCHIVE: OnceLock<Archive> = OnceLock::new();
    ARCHIVE.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(unique("tw-replay-s3"));
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("moto.log");
        let moto = Moto::start_logged(&log);
        let bucket = unique("trail").to_ascii_lowercase();
        let objects = tree();
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async { fill(&moto.sdk().await, &bucket, &objects).await });
        let files = dir.join("files");
        for (k, body) in &objects {
            let path = files.join(k);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, body).unwrap();
        }
        Archive {
            moto,
            log,
            bucket,
            dir: files,
        }
    })
}

/// Creates `bucket` in moto and writes `objects` into it.
async fn fill(sdk: &aws_config::SdkConfig, bucket: &str, objects: &[(String, Vec<u8>)]) {
    Moto::create_bucket(sdk, bucket).await;
    let s3 = Moto::s3(sdk);
    for (k, body) in objects {
        // Listed like any key, refused by GetObject until restored.
        let class = k
            .contains("_glacier.")
            .then_some(aws_sdk_s3::types::StorageClass::Glacier);
        s3.put_object()
            .bucket(bucket)
            .key(k)
            .set_storage_class(class)
            .body(body.clone().into())
            .send()
            .await
            .unwrap();
    }
}

/// One replay; the moto requests it made (runs are serialised for the log).
/// One replay against moto at a time: each reads moto's request log for its own.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn replay(args: &[&str]) -> (Output, Vec<String>) {
    let _one = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let a = archive();
    let before = std::fs::read_to_string(&a.log).unwrap_or_default().len();
    let out = trailwatch_on(&a.moto.endpoint)
        .arg("replay")
        .args(["--format", "jsonl"])
        .args(args)
        .output()
        .expect("trailwatch runs");
    // moto writes its log line after the response: give it a moment.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let log = std::fs::read_to_string(&a.log).unwrap_or_default();
    let requests = log[before..]
        .lines()
        .map(plain)
        .filter_map(|l| {
            l.split('"')
                .nth(1)
                .map(|r| decode(r.trim_end_matches(" HTTP/1.1")))
        })
        .collect();
    (out, requests)
}

/// A log line without the colour codes the server puts around failed requests.
fn plain(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // ESC [ ... m
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Percent-decoding of a logged request line (keys and prefixes are plain ASCII).
fn decode(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        match u8::from_str_radix(rest.get(i + 1..i + 3).unwrap_or("zz"), 16) {
            Ok(b) => {
                out.push(b as char);
                rest = &rest[i + 3..];
            }
            Err(_) => {
                out.push('%');
                rest = &rest[i + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn url(prefix: &str) -> String {
    format!("s3://{}/{prefix}", archive().bucket)
}

/// (detection id, first event id) of each finding printed.
fn findings(out: &Output) -> BTreeSet<(String, String)> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let f: Value = serde_json::from_str(l).expect("a JSON finding");
            (
                f["detection_id"].as_str().unwrap().to_owned(),
                f["event_ids"][0].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pairs(items: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    items
        .iter()
        .map(|(d, e)| ((*d).to_owned(), (*e).to_owned()))
        .collect()
}

const SUSPENDED: &str = "cloudtrail-log-suspended";
const CHANGE: &str = "cloudtrail-important-change";
const BURST: &str = "discovery-api-burst-via-cli";

/// What was listed (prefix, with or without delimiter) and downloaded (key).
fn listed(requests: &[String]) -> Vec<String> {
    requests
        .iter()
        .filter(|r| r.contains("list-type=2"))
        .map(|r| {
            let prefix = r
                .split("prefix=")
                .nth(1)
                .unwrap_or("")
                .split('&')
                .next()
                .unwrap_or("");
            let delim = if r.contains("delimiter=/") { " /" } else { "" };
            format!("{prefix}{delim}")
        })
        .collect()
}

/// The keys downloaded, sorted (downloads run at once, so the log's order varies).
fn downloaded(requests: &[String]) -> Vec<String> {
    let bucket = format!("GET /{}/", archive().bucket);
    let mut keys: Vec<String> = requests
        .iter()
        .filter(|r| r.contains("x-id=GetObject"))
        .filter_map(|r| r.strip_prefix(&bucket))
        .map(|r| r.split('?').next().unwrap_or("").to_owned())
        .collect();
    keys.sort();
    keys
}

/// The filters of one day (the 5th) of account A in us-east-1.
const A_EAST_ON_THE_5TH: [&str; 8] = [
    "--since",
    "2026-01-05",
    "--until",
    "2026-01-05",
    "--accounts",
    A,
    "--regions",
    EAST,
];

#[test]
fn a_day_of_one_account_and_region_reads_only_its_folders() {
    let (out, requests) = replay(&[&[url("").as_str()][..], &A_EAST_ON_THE_5TH].concat());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    // alice's StopLogging, the burst across two files, nora's just before midnight
    // (in the 6th's folder); not erin's after midnight, nor anything of B, of
    // eu-west-1 or of the 4th.
    assert_eq!(
        findings(&out),
        pairs(&[
            (CHANGE, "s1"),
            (SUSPENDED, "s1"),
            (BURST, "burst-0"),
            (CHANGE, "night"),
            (SUSPENDED, "night"),
        ]),
        "{stderr}"
    );
    let org = format!("AWSLogs/{ORG}/{A}/CloudTrail/{EAST}/2026/01/");
    assert_eq!(
        listed(&requests),
        [
            "AWSLogs/ /".to_owned(),
            format!("{org}05/"),
            format!("{org}06/")
        ]
    );
    // The 6th's files delivered at 10:05 and 10:10 are past the hour's grace.
    let org = format!("AWSLogs/{ORG}/");
    assert_eq!(
        downloaded(&requests),
        [
            key(&org, A, EAST, "2026-01-05", "1005", "ord"),
            key(&org, A, EAST, "2026-01-05", "1010", "ord"),
            key(&org, A, EAST, "2026-01-06", "0003", "late"),
            key(&org, A, EAST, "2026-01-06", "0035", "early"),
        ]
    );
    assert!(stderr.contains("records outside"), "{stderr}");
}

#[test]
fn findings_are_the_same_for_any_number_of_threads_and_for_local_files() {
    let args = [
        "--since",
        "2026-01-05T10:00:00Z",
        "--until",
        "2026-01-06T01:00:00Z",
    ];
    let org = url(&format!("AWSLogs/{ORG}/"));
    let (one, _) = replay(&[&[org.as_str(), "--threads", "1"][..], &args].concat());
    let (two, _) = replay(&[&[org.as_str(), "--threads", "2"][..], &args].concat());
    assert_eq!(one.status.code(), Some(0));
    assert_eq!(two.status.code(), Some(0));
    assert_eq!(one.stdout, two.stdout, "byte-identical output");
    let expected = pairs(&[
        (CHANGE, "s1"),
        (SUSPENDED, "s1"),
        (BURST, "burst-0"),
        (CHANGE, "night"),
        (SUSPENDED, "night"),
        (CHANGE, "early"),
        (SUSPENDED, "early"),
        (CHANGE, "s2"),
        (SUSPENDED, "s2"),
        (CHANGE, "s4"),
        (SUSPENDED, "s4"),
    ]);
    assert_eq!(findings(&one), expected);
    // Without a filter, reader threads drop each record once it is prepared
    // (unless a finding needs it): the output is still that of one thread.
    let (one_all, _) = replay(&[org.as_str(), "--threads", "1"]);
    let (two_all, _) = replay(&[org.as_str(), "--threads", "2"]);
    assert!(findings(&one_all).len() > expected.len());
    assert_eq!(one_all.stdout, two_all.stdout, "byte-identical output");
    // The same filters on the same files read locally: records filtered by their
    // own eventTime, account and Region.
    let local = archive().dir.join("AWSLogs");
    let (files, requests) = replay(&[&[local.to_str().unwrap()][..], &args].concat());
    assert!(requests.is_empty());
    assert_eq!(findings(&files), expected);
}

#[test]
fn the_whole_organization_lists_each_level_and_reads_every_file() {
    let (out, requests) = replay(&[&url(&format!("AWSLogs/{ORG}"))]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The broken files are reported; without --strict the exit status is 0.
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let all = findings(&out);
    for id in ["s1", "s2", "s3", "s4", "s5", "night", "early"] {
        assert!(
            all.contains(&(SUSPENDED.to_owned(), id.to_owned())),
            "{id}: {all:?}"
        );
    }
    assert!(
        !all.iter().any(|(_, e)| e == "p1"),
        "the plain trail is elsewhere"
    );
    let org_keys = tree()
        .into_iter()
        .filter(|(k, _)| k.starts_with("AWSLogs/"))
        .count();
    assert_eq!(downloaded(&requests).len(), org_keys);
    let lists = listed(&requests);
    let base = format!("AWSLogs/{ORG}/");
    assert_eq!(lists[0], format!("{base} /"));
    assert!(lists.contains(&format!("{base}{B}/CloudTrail/ /")));
    assert!(lists.contains(&format!("{base}{B}/CloudTrail/{WEST}/2026/01/ /")));
    assert!(lists.iter().all(|l| l.starts_with(&base)), "{lists:?}");
}

#[test]
fn an_unreadable_key_is_reported_by_name_and_skipped() {
    let args = [
        "--accounts",
        B,
        "--regions",
        EAST,
        "--since",
        "2026-01-04",
        "--until",
        "2026-01-04",
    ];
    let root_url = url("");
    let (lenient, _) = replay(&[&[root_url.as_str()][..], &args].concat());
    assert_eq!(lenient.status.code(), Some(0));
    let (strict, requests) = replay(&[&[root_url.as_str(), "--strict"][..], &args].concat());
    let stderr = String::from_utf8_lossy(&strict.stderr);
    assert_eq!(strict.status.code(), Some(1), "{stderr}");
    let org = format!("AWSLogs/{ORG}/");
    for (k, why) in [
        (key(&org, B, EAST, "2026-01-04", "1015", "cut"), "deflate"),
        (
            key(&org, B, EAST, "2026-01-04", "1020", "html"),
            "expected value",
        ),
        (
            key(&org, B, EAST, "2026-01-04", "1025", "glacier"),
            "InvalidObjectState",
        ),
    ] {
        let line = stderr.lines().find(|l| l.contains(&k));
        assert!(
            line.is_some_and(|l| l.contains(why)),
            "{k}: {why} not in: {stderr}"
        );
    }
    // The file after them is still read; hank's record in Glacier is not.
    assert_eq!(
        findings(&strict),
        pairs(&[(CHANGE, "s5"), (SUSPENDED, "s5")])
    );
    assert_eq!(downloaded(&requests).len(), 6);
}

#[test]
fn a_plain_trail_is_read_from_an_account_or_a_day_prefix() {
    let day = format!("plain/AWSLogs/{A}/CloudTrail/{EAST}/2026/01/05/");
    let (out, requests) = replay(&[&url(&day)]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(findings(&out), pairs(&[(CHANGE, "p1"), (SUSPENDED, "p1")]));
    // A day prefix is listed as it is: no walk above it.
    assert_eq!(listed(&requests), [day]);
    let (account, requests) = replay(&[
        &url("plain/"),
        "--accounts",
        A,
        "--since",
        "2026-01-05",
        "--until",
        "2026-01-05",
    ]);
    assert_eq!(
        findings(&account),
        pairs(&[(CHANGE, "p1"), (SUSPENDED, "p1")])
    );
    assert_eq!(
        listed(&requests),
        [
            "plain/AWSLogs/ /".to_owned(),
            format!("plain/AWSLogs/{A}/CloudTrail/ /"),
            format!("plain/AWSLogs/{A}/CloudTrail/{EAST}/2026/01/05/"),
            format!("plain/AWSLogs/{A}/CloudTrail/{EAST}/2026/01/06/"),
        ]
    );
}

/// An older us-east-1 bucket, named with capitals and underscores before S3's
/// 2018 rules, holding the plain trail: read like any other.
#[test]
fn a_legacy_bucket_name_is_read() {
    let a = archive();
    let legacy = format!("Old_Trail_{}", unique("logs"));
    let plain: Vec<_> = tree()
        .into_iter()
        .filter(|(k, _)| k.starts_with("plain/"))
        .collect();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async { fill(&a.moto.sdk().await, &legacy, &plain).await });
    let day = format!("plain/AWSLogs/{A}/CloudTrail/{EAST}/2026/01/05/");
    let (out, _) = replay(&[&format!("s3://{legacy}/{day}")]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(findings(&out), pairs(&[(CHANGE, "p1"), (SUSPENDED, "p1")]));
}

/// `--expected-bucket-owner`: the owner's archive reads as before (moto's own
/// account owns its buckets; it does not check the header). S3 refuses a bucket
/// another account owns with 403 AccessDenied, which a server of our own plays
/// here: the replay stops at its first listing, naming the refusal, and that
/// listing named the owner. A value that is not an account id, or one without
/// an s3:// input, is refused before any request.
#[test]
fn the_expected_bucket_owner_is_sent_and_a_refusal_stops_the_replay() {
    let day = A_EAST_ON_THE_5TH;
    let (out, _) = replay(
        &[
            &[url("").as_str()][..],
            &day,
            &["--expected-bucket-owner", "123456789012"],
        ]
        .concat(),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let (unchecked, _) = replay(&[&[url("").as_str()][..], &day].concat());
    assert_eq!(findings(&out), findings(&unchecked));
    assert!(!findings(&out).is_empty());

    let head = stopped_by_access_denied(&[
        "s3://trail-archive/AWSLogs/",
        "--expected-bucket-owner",
        "444455556666",
    ]);
    assert!(
        head.starts_with("get /trail-archive/?list-type=2"),
        "{head}"
    );
    // aws-sdk-s3 signs it too.
    assert_signed_header(&head, "x-amz-expected-bucket-owner", "444455556666");

    for bad in [
        vec![
            url(""),
            "--expected-bucket-owner".into(),
            "4444-5555-6666".into(),
        ],
        vec![
            root().join("events").display().to_string(),
            "--expected-bucket-owner".into(),
            B.into(),
        ],
    ] {
        let args: Vec<&str> = bad.iter().map(String::as_str).collect();
        let (out, requests) = replay(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("--expected-bucket-owner"), "{stderr}");
        assert!(requests.is_empty(), "{requests:?}");
    }
}

/// A listing page that says it is cut off but gives no token to go on would
/// drop the rest of the folder unsaid: it is an error naming the folder (here
/// the first listing, so the replay stops).
#[test]
fn a_truncated_listing_without_a_token_is_an_error() {
    let page = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult \
                xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>trail-archive</Name>\
                <Prefix>AWSLogs/</Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys>\
                <Delimiter>/</Delimiter><IsTruncated>true</IsTruncated><CommonPrefixes>\
                <Prefix>AWSLogs/111122223333/</Prefix></CommonPrefixes></ListBucketResult>";
    let answer = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/xml\r\ncontent-length: {}\r\n\r\n{page}",
        page.len()
    );
    let (out, _) = answered(answer, &["s3://trail-archive/AWSLogs/"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "s3://trail-archive/AWSLogs/: a truncated page without a new continuation token"
        ),
        "{stderr}"
    );
}

/// A plan of day folders alone (account, Region and day known) lists no folder
/// first: its first day listing, refused, stops the replay as a refused first
/// folder listing does, instead of reading nothing and succeeding.
#[test]
fn a_refused_first_day_listing_stops_the_replay() {
    let head = stopped_by_access_denied(&[
        &format!("s3://trail-archive/AWSLogs/{A}/"),
        "--regions",
        EAST,
        "--since",
        "2026-01-05T10:00:00Z",
        "--until",
        "2026-01-05T11:00:00Z",
    ]);
    let day = format!("awslogs%2f{A}%2fcloudtrail%2f{EAST}%2f2026%2f01%2f05%2f");
    assert!(head.contains(&day), "{head}");
}

/// The archive's moto behind proxies that refuse the requests whose head
/// holds a needle: one replay at a time (the lock held), and a runtime that
/// keeps the proxies serving.
struct Refusing {
    _one: std::sync::MutexGuard<'static, ()>,
    rt: tokio::runtime::Runtime,
    target: String,
}

impl Refusing {
    fn new() -> Refusing {
        let a = archive();
        Refusing {
            _one: SERIAL.lock().unwrap_or_else(|p| p.into_inner()),
            rt: tokio::runtime::Runtime::new().unwrap(),
            target: a.moto.endpoint.trim_start_matches("http://").to_owned(),
        }
    }

    /// A proxy's endpoint that refuses what holds `needle` (lower case).
    fn proxy(&self, needle: &str) -> String {
        self.rt
            .block_on(refusing_proxy(self.target.clone(), needle.to_owned()))
    }
}

/// From a review: a folder refused to the caller (a policy that lets it list
/// some accounts' prefixes and not others) is reported and skipped whichever
/// account sorts first; before, a refusal of the first-sorted one stopped the
/// replay and a refusal of a later one did not. `--strict` makes it exit 1.
#[test]
fn a_refused_account_folder_is_skipped_whichever_sorts_first() {
    let refusing = Refusing::new();
    for (refused, kept, lost) in [(A, "s2", "s1"), (B, "s1", "s2")] {
        let proxy = refusing.proxy(&format!(
            "prefix=awslogs%2f{}%2f{refused}%2f",
            ORG.to_ascii_lowercase()
        ));
        let run = |strict: bool| {
            trailwatch_on(&proxy)
                .args(["replay", "--format", "jsonl"])
                .arg(url(&format!("AWSLogs/{ORG}/")))
                .args(["--since", "2026-01-05", "--until", "2026-01-05"])
                .args([
                    "--accounts",
                    &format!("{A},{B}"),
                    "--regions",
                    &format!("{EAST},{WEST}"),
                ])
                .args(strict.then_some("--strict"))
                .output()
                .expect("trailwatch runs")
        };
        let out = run(false);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{refused}: {stderr}");
        assert!(stderr.contains("AccessDenied"), "{stderr}");
        assert!(
            stderr.contains(&format!("AWSLogs/{ORG}/{refused}/CloudTrail/")),
            "{stderr}"
        );
        let found = findings(&out);
        assert!(
            found.contains(&(SUSPENDED.to_owned(), kept.to_owned())),
            "{refused}: {found:?}"
        );
        assert!(
            !found.iter().any(|(_, id)| id == lost),
            "{refused}: {found:?}"
        );
        assert_eq!(run(true).status.code(), Some(1), "{refused}, --strict");
    }
}

/// A caller who may list nothing is told after 256 refused folders, not after
/// one request per planned folder (here 2 accounts x 5 Regions x 27 days).
#[test]
fn a_walk_whose_listings_are_all_refused_stops() {
    let refusing = Refusing::new();
    let proxy = refusing.proxy("list-type=2");
    let out = trailwatch_on(&proxy)
        .args(["replay", "--format", "jsonl"])
        .arg(url(&format!("AWSLogs/{ORG}/")))
        .args(["--since", "2026-01-01", "--until", "2026-01-26"])
        .args(["--accounts", &format!("{A},{B}")])
        .args([
            "--regions",
            "us-east-1,us-east-2,us-west-1,us-west-2,eu-west-1",
        ])
        .output()
        .expect("trailwatch runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("AccessDenied"), "{stderr}");
    assert!(
        stderr.contains("255 more folders refused, none listed"),
        "{stderr}"
    );
}

/// A replay of `args` whose first request S3 refuses (AccessDenied, played by
/// [`answered`]): asserts that it stops with exit 2 naming the refusal, and
/// returns that request's head.
fn stopped_by_access_denied(args: &[&str]) -> String {
    let (out, head) = answered(access_denied(), args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("AccessDenied"), "{stderr}");
    head
}

/// A replay of `args` against a server of our own that answers its first
/// request with `answer`; the outcome and that request's head.
fn answered(answer: String, args: &[&str]) -> (Output, String) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (endpoint, server) = rt.block_on(answer_once(answer));
    let out = trailwatch_on(&endpoint)
        .args(["replay", "--format", "jsonl"])
        .args(args)
        .output()
        .expect("trailwatch runs");
    (out, rt.block_on(server).unwrap())
}

#[test]
fn a_missing_bucket_or_a_prefix_outside_the_layout_is_an_error() {
    let (out, _) = replay(&["s3://no-such-bucket-for-trailwatch/"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("NoSuchBucket"), "{stderr}");
    let (out, requests) = replay(&[&url(&format!("AWSLogs/{A}/CloudTrail-Digest/"))]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected CloudTrail"));
    assert!(requests.is_empty());
    let (out, _) = replay(&[&url(""), "--since", "2026-01-06", "--until", "2026-01-05"]);
    assert_eq!(out.status.code(), Some(2));
    // From a review: a PREFIX under which there is nothing (mistyped) says so,
    // and `--strict` fails on it; a quiet range is said, not an error.
    let (mistyped, quiet) = (url("trial-logs/"), url(&format!("AWSLogs/{ORG}/")));
    let range = ["--since", "2026-02-01", "--until", "2026-02-01"];
    // A mistyped organization with accounts, Regions and days named: day
    // folders alone are planned, and one more listing tells it from a quiet range.
    let typo = url("AWSLogs/o-typo123456/");
    let named = [
        "--accounts",
        A,
        "--regions",
        EAST,
        "--since",
        "2026-01-05",
        "--until",
        "2026-01-05",
    ];
    for (strict, code) in [(None, 0), (Some("--strict"), 1)] {
        for args in [
            [mistyped.as_str()]
                .into_iter()
                .chain(strict)
                .collect::<Vec<&str>>(),
            [typo.as_str()]
                .into_iter()
                .chain(named)
                .chain(strict)
                .collect(),
        ] {
            let (out, _) = replay(&args);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
            assert!(stderr.contains("nothing under it"), "{stderr}");
        }
        let args: Vec<&str> = [quiet.as_str()]
            .into_iter()
            .chain(range)
            .chain(strict)
            .collect();
        let (out, _) = replay(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        assert!(stderr.contains("no log file for the days"), "{stderr}");
    }
}

/// From a review of replay from S3: a date PREFIX lists nothing above it (a
/// year PREFIX listed its Region folder, which a policy narrowed to the PREFIX
/// refuses), and says that its last day's late records, delivered under the
/// next day's folder, are not read (a day PREFIX found nothing of nora's
/// record from 23:59:30, and said nothing).
#[test]
fn a_date_prefix_lists_nothing_above_it_and_names_the_late_records_it_cuts_off() {
    let region = format!("AWSLogs/{ORG}/{A}/CloudTrail/{EAST}/");
    let year = format!("{region}2026/");
    let (out, requests) = replay(&[&url(&year)]);
    assert_eq!(out.status.code(), Some(0));
    let lists = listed(&requests);
    assert!(!lists.is_empty());
    assert!(lists.iter().all(|l| l.starts_with(&year)), "{lists:?}");
    let day = format!("{region}2026/01/05/");
    let (out, _) = replay(&[&url(&day)]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!findings(&out).iter().any(|(_, id)| id == "night"));
    assert!(
        stderr.contains("late records are delivered under the next day's folder (2026/01/06/)"),
        "{stderr}"
    );
    // Through the Region folder, nora's record is read; nothing is said.
    let (out, _) = replay(&[
        &url(&region),
        "--since",
        "2026-01-05",
        "--until",
        "2026-01-05",
    ]);
    assert!(findings(&out).iter().any(|(_, id)| id == "night"));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("late records"));
}

/// From a review of replay from S3: a range whose day folders could not be
/// listed was followed by "no log file for the days ... asked", as if quiet;
/// and a run whose every download was refused (a missing kms:Decrypt) ended
/// like a clean one. Both are said; the exit codes stay as documented (0, and
/// 1 with --strict).
#[test]
fn a_range_left_unread_is_not_reported_as_quiet() {
    let refusing = Refusing::new();
    let run = |refused: &str, args: &[&str]| {
        trailwatch_on(&refusing.proxy(refused))
            .args(["replay", "--format", "jsonl"])
            .args(args)
            .output()
            .expect("trailwatch runs")
    };
    // Every day folder refused (the month's listing, with its delimiter, is not).
    let out = run(
        "%2f2026%2f01%2f0",
        &[&url(&format!("AWSLogs/{ORG}/{A}/")), "--regions", EAST],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("AccessDenied"), "{stderr}");
    assert!(
        stderr.contains("no log file found, but 3 folder(s) could not be listed"),
        "{stderr}"
    );
    assert!(!stderr.contains("no log file for the days"), "{stderr}");
    // Every download refused.
    let root = url(&format!("AWSLogs/{ORG}/"));
    let out = run(
        "x-id=getobject",
        &[&[root.as_str()][..], &A_EAST_ON_THE_5TH].concat(),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("log file(s) found could be read (named above): check s3:GetObject"),
        "{stderr}"
    );
    assert!(findings(&out).is_empty());
}
