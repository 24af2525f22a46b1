//! Finds CloudTrail records in what people feed `trailwatch replay`.
//!
//! Accepted, from files, directories (recursively) or stdin, each optionally
//! gzip-compressed (by magic bytes, whatever the name):
//! - a raw CloudTrail record;
//! - an EventBridge envelope (the record in `detail`);
//! - a CloudTrail S3 log file, `{"Records": [...]}`;
//! - a JSON array of any of these;
//! - JSON lines (one of the above per line), or one pretty-printed document.
//!
//! Malformed input never stops a run: a bad line, record or file is reported with
//! its location and skipped. JSON values that are not CloudTrail (another
//! EventBridge event, a manifest) are counted and skipped.

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::value::RawValue;

/// Bounds that hold whatever the input.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// A record (one CloudTrail event) larger than this is rejected.
    pub max_record_bytes: usize,
    /// A file (after decompression) or stdin larger than this is cut off there
    /// with an error; what came before is still read.
    pub max_file_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        // EventBridge caps events at 256 KB and CloudTrail cuts oversized request
        // parameters at ~100 KB, so 1 MiB leaves room for any real record.
        Limits {
            max_record_bytes: 1 << 20,
            max_file_bytes: 4 << 30,
        }
    }
}

/// Where a record or an error was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub source: String,
    /// 1-based line (JSON lines), or the line the document starts on.
    pub line: Option<u64>,
    /// 1-based position of the record inside its document (arrays, `Records`).
    pub record: Option<usize>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if let Some(r) = self.record {
            write!(f, " (record {r})")?;
        }
        Ok(())
    }
}

/// Receives what the reader finds, in input order.
pub trait Sink {
    /// The JSON text of one CloudTrail record.
    fn record(&mut self, loc: &Location, json: &str);
    /// Input that is not valid (malformed JSON, an oversized record, a read error).
    fn rejected(&mut self, loc: &Location, reason: &str);
    /// A JSON value that is not a CloudTrail record (skipped, counted).
    fn not_cloudtrail(&mut self, loc: &Location);
    /// Asked before a JSON line or a record is parsed, with its bytes: `false` skips
    /// it unparsed (a replay whose detections cannot match it). The default keeps all.
    fn wanted(&mut self, _json: &[u8]) -> bool {
        true
    }
    /// Called after each input file is done.
    fn file_done(&mut self, _source: &str) {}
}

/// Input files named on the command line, expanded: directories are walked
/// recursively (sorted, `.json`, `.jsonl`, `.ndjson` and `.gz` files only);
/// files named explicitly are taken whatever their extension.
pub fn expand_paths(paths: &[PathBuf]) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            out.push(p.clone());
            continue;
        }
        let meta = std::fs::metadata(p)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", p.display())))?;
        if meta.is_dir() {
            walk(p, &mut out)?;
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?
        .collect::<Result<Vec<_>, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        let kind = e.file_type()?;
        if kind.is_dir() {
            walk(&path, out)?;
        } else if is_input_name(&path) {
            out.push(path);
        }
    }
    Ok(())
}

fn is_input_name(p: &Path) -> bool {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
    [".json", ".jsonl", ".ndjson", ".gz"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

/// Reads one file (or `-` for stdin) and feeds `sink`. Errors opening the file are
/// returned; everything after that is reported to the sink.
pub fn read_path(path: &Path, limits: &Limits, sink: &mut impl Sink) -> io::Result<()> {
    let name = path.display().to_string();
    if name == "-" {
        read_stream(io::stdin().lock(), "<stdin>", limits, sink);
    } else {
        let f = File::open(path).map_err(|e| io::Error::new(e.kind(), format!("{name}: {e}")))?;
        read_stream(f, &name, limits, sink);
    }
    sink.file_done(&name);
    Ok(())
}

/// Reads a stream (plain or gzip) and feeds `sink`.
pub fn read_stream(input: impl Read, source: &str, limits: &Limits, sink: &mut impl Sink) {
    let mut buffered = BufReader::with_capacity(1 << 16, input);
    let gz = match buffered.fill_buf() {
        Ok(head) => head.starts_with(&[0x1f, 0x8b]),
        Err(e) => {
            sink.rejected(&at(source, None), &format!("read error: {e}"));
            return;
        }
    };
    if gz {
        let decoder = flate2::read::MultiGzDecoder::new(buffered);
        read_plain(
            BufReader::with_capacity(1 << 16, Capped::new(decoder, limits.max_file_bytes)),
            source,
            limits,
            sink,
        );
    } else {
        read_plain(
            Capped::new(buffered, limits.max_file_bytes),
            source,
            limits,
            sink,
        );
    }
}

fn at(source: &str, line: Option<u64>) -> Location {
    Location {
        source: source.to_owned(),
        line,
        record: None,
    }
}

/// Reads decompressed text: JSON lines, or one document spread over many lines.
fn read_plain(mut input: impl BufRead, source: &str, limits: &Limits, sink: &mut impl Sink) {
    let mut line = Vec::new();
    let mut line_no: u64 = 0;
    // The first non-blank line decides: a complete JSON value means JSON lines.
    let first = loop {
        line.clear();
        match input.read_until(b'\n', &mut line) {
            Ok(0) => {
                sink.rejected(&at(source, None), "empty input: no JSON value");
                return;
            }
            Ok(_) => {
                line_no += 1;
                if !is_blank(&line) {
                    break line_no;
                }
            }
            Err(e) => {
                sink.rejected(&at(source, Some(line_no + 1)), &read_error(&e));
                return;
            }
        }
    };
    if serde_json::from_slice::<&RawValue>(trim_line(&line)).is_ok()
        || std::str::from_utf8(trim_line(&line)).is_err()
    {
        // JSON lines (a lone line of invalid UTF-8 is reported as what it is).
        if sink.wanted(trim_line(&line)) {
            document(trim_line(&line), source, Some(first), limits, sink);
        }
        loop {
            line.clear();
            match input.read_until(b'\n', &mut line) {
                Ok(0) => return,
                Ok(_) => {
                    line_no += 1;
                    let l = trim_line(&line);
                    if !l.is_empty() && sink.wanted(l) {
                        document(l, source, Some(line_no), limits, sink);
                    }
                }
                Err(e) => {
                    sink.rejected(&at(source, Some(line_no + 1)), &read_error(&e));
                    return;
                }
            }
        }
    }
    // One document over several lines: read the rest, then parse it whole.
    let mut whole = std::mem::take(&mut line);
    if let Err(e) = input.read_to_end(&mut whole) {
        sink.rejected(&at(source, Some(first)), &read_error(&e));
        return;
    }
    match serde_json::from_slice::<&RawValue>(&whole) {
        Ok(_) => document(&whole, source, Some(first), limits, sink),
        Err(whole_err) => {
            // Maybe JSON lines whose first line is broken: if any later line stands
            // on its own, report lines one by one; else the file is one bad document.
            let lines: Vec<&[u8]> = whole.split(|b| *b == b'\n').collect();
            let standalone = lines
                .iter()
                .skip(1)
                .any(|l| !is_blank(l) && serde_json::from_slice::<&RawValue>(trim_line(l)).is_ok());
            if standalone {
                for (i, l) in lines.iter().enumerate() {
                    if !is_blank(l) {
                        document(trim_line(l), source, Some(first + i as u64), limits, sink);
                    }
                }
            } else {
                let line = first + whole_err.line().saturating_sub(1) as u64;
                sink.rejected(
                    &at(source, Some(line)),
                    &format!("malformed JSON: {}", json_error(&whole_err)),
                );
            }
        }
    }
}

fn read_error(e: &io::Error) -> String {
    format!("read error: {e}")
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

fn trim_line(line: &[u8]) -> &[u8] {
    let end = line
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |p| p + 1);
    let start = line[..end]
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(end);
    &line[start..end]
}

/// serde_json's message without its own "at line X column Y" (we say where).
fn json_error(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => format!("{} (column {})", &s[..i], e.column()),
        None => s,
    }
}

/// The parts of a JSON object that tell what it is.
#[derive(Deserialize)]
struct Probe<'a> {
    #[serde(rename = "Records", borrow, default)]
    records: Option<&'a RawValue>,
    #[serde(borrow, default)]
    detail: Option<&'a RawValue>,
    #[serde(rename = "detail-type", default)]
    detail_type: Option<IgnoredPresent>,
    #[serde(rename = "eventName", default)]
    event_name: Option<IgnoredPresent>,
    #[serde(rename = "eventSource", default)]
    event_source: Option<IgnoredPresent>,
}

/// Notes that a key is present, whatever its value.
struct IgnoredPresent;
impl<'de> Deserialize<'de> for IgnoredPresent {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d).map(|_| IgnoredPresent)
    }
}

/// One JSON document: unwraps arrays, `Records` files and envelopes into records.
fn document(bytes: &[u8], source: &str, line: Option<u64>, limits: &Limits, sink: &mut impl Sink) {
    let loc = at(source, line);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            sink.rejected(&loc, &format!("not UTF-8 text ({e})"));
            return;
        }
    };
    match serde_json::from_str::<&RawValue>(text) {
        Ok(raw) => value(raw, &loc, 0, limits, sink),
        Err(e) => sink.rejected(&loc, &format!("malformed JSON: {}", json_error(&e))),
    }
}

/// How deep arrays may nest around records (`[[record]]` is accepted, no deeper).
const MAX_WRAPPING: usize = 2;

fn value(raw: &RawValue, loc: &Location, depth: usize, limits: &Limits, sink: &mut impl Sink) {
    let text = raw.get();
    match text.as_bytes().first() {
        Some(b'[') if depth < MAX_WRAPPING => match serde_json::from_str::<Vec<&RawValue>>(text) {
            Ok(items) => {
                for (i, item) in items.into_iter().enumerate() {
                    let mut l = loc.clone();
                    l.record = Some(i + 1);
                    value(item, &l, depth + 1, limits, sink);
                }
            }
            Err(e) => sink.rejected(loc, &format!("malformed JSON array: {}", json_error(&e))),
        },
        Some(b'{') => object(raw, loc, depth, limits, sink),
        _ => sink.not_cloudtrail(loc),
    }
}

fn object(raw: &RawValue, loc: &Location, depth: usize, limits: &Limits, sink: &mut impl Sink) {
    let probe = match serde_json::from_str::<Probe>(raw.get()) {
        Ok(p) => p,
        // Any valid JSON object deserializes into Probe unless a probed key has a
        // value of the wrong shape; report that as malformed.
        Err(e) => {
            sink.rejected(loc, &format!("unexpected structure: {}", json_error(&e)));
            return;
        }
    };
    if probe.event_name.is_some() || probe.event_source.is_some() {
        return record(raw.get(), loc, limits, sink);
    }
    if let Some(records) = probe.records {
        if records.get().starts_with('[') && depth < MAX_WRAPPING {
            return value(records, loc, depth + 1, limits, sink);
        }
        return sink.rejected(loc, "\"Records\" is not an array");
    }
    if let (Some(detail), Some(_)) = (probe.detail, probe.detail_type) {
        let inner = serde_json::from_str::<Probe>(detail.get());
        return match inner {
            Ok(p) if p.event_name.is_some() || p.event_source.is_some() => {
                record(detail.get(), loc, limits, sink)
            }
            Ok(_) => sink.not_cloudtrail(loc),
            Err(_) if !detail.get().starts_with('{') => sink.not_cloudtrail(loc),
            Err(e) => sink.rejected(
                loc,
                &format!("unexpected structure in detail: {}", json_error(&e)),
            ),
        };
    }
    sink.not_cloudtrail(loc)
}

fn record(text: &str, loc: &Location, limits: &Limits, sink: &mut impl Sink) {
    if text.len() > limits.max_record_bytes {
        sink.rejected(
            loc,
            &format!(
                "record of {} bytes is over the {}-byte limit",
                text.len(),
                limits.max_record_bytes
            ),
        );
    } else if sink.wanted(text.as_bytes()) {
        sink.record(loc, text);
    }
}

/// A reader that fails once more than `left` bytes were read: a gzip bomb or an
/// endless stdin ends with an error instead of exhausting memory.
struct Capped<R> {
    inner: R,
    left: u64,
    limit: u64,
}

impl<R> Capped<R> {
    fn new(inner: R, limit: u64) -> Self {
        Capped {
            inner,
            left: limit,
            limit,
        }
    }
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            // One more byte would go over: check whether there is one.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(io::Error::other(format!(
                    "input is larger than the {}-byte limit",
                    self.limit
                ))),
            };
        }
        let max = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..max])?;
        self.left -= n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Capped<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.left == 0 {
            let more = !self.inner.fill_buf()?.is_empty();
            if more {
                return Err(io::Error::other(format!(
                    "input is larger than the {}-byte limit",
                    self.limit
                )));
            }
            return Ok(&[]);
        }
        let left = usize::try_from(self.left).unwrap_or(usize::MAX);
        let buf = self.inner.fill_buf()?;
        let n = buf.len().min(left);
        Ok(&buf[..n])
    }
    fn consume(&mut self, amt: usize) {
        self.left = self.left.saturating_sub(amt as u64);
        self.inner.consume(amt);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Seen {
        records: Vec<(String, String)>,
        rejected: Vec<(String, String)>,
        other: Vec<String>,
    }
    impl Sink for Seen {
        fn record(&mut self, loc: &Location, json: &str) {
            self.records.push((loc.to_string(), json.to_owned()));
        }
        fn rejected(&mut self, loc: &Location, reason: &str) {
            self.rejected.push((loc.to_string(), reason.to_owned()));
        }
        fn not_cloudtrail(&mut self, loc: &Location) {
            self.other.push(loc.to_string());
        }
    }

    fn read(bytes: &[u8]) -> Seen {
        let mut s = Seen::default();
        read_stream(
            bytes,
            "t",
            &Limits {
                max_record_bytes: 1000,
                max_file_bytes: 100_000,
            },
            &mut s,
        );
        s
    }

    const REC: &str = r#"{"eventSource":"iam.amazonaws.com","eventName":"CreateUser"}"#;

    #[test]
    fn reads_every_shape() {
        let envelope = format!(
            r#"{{"detail-type":"AWS API Call via CloudTrail","source":"aws.iam","detail":{REC}}}"#
        );
        let records_file = format!("{{\"Records\":[{REC},{REC}]}}");
        let array = format!("[{envelope},{REC}]");
        let jsonl = format!("{REC}\n\n{envelope}\n{records_file}\n");
        let pretty = format!("{{\n  \"Records\": [\n    {REC}\n  ]\n}}\n");
        for (input, n) in [
            (REC.to_string(), 1),
            (envelope, 1),
            (records_file, 2),
            (array, 2),
            (jsonl, 4),
            (pretty, 1),
        ] {
            let s = read(input.as_bytes());
            assert_eq!(s.records.len(), n, "{input}");
            assert!(
                s.rejected.is_empty() && s.other.is_empty(),
                "{input}: {:?} {:?}",
                s.rejected,
                s.other
            );
        }
    }

    #[test]
    fn reads_gzip() {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(format!("{{\"Records\":[{REC}]}}").as_bytes())
            .unwrap();
        let s = read(&enc.finish().unwrap());
        assert_eq!(s.records.len(), 1);
    }

    #[test]
    fn locates_bad_lines_and_keeps_the_good_ones() {
        let input = format!("{REC}\n{{\"eventName\": \n{REC}\n\u{0}\u{1}junk\n");
        let s = read(input.as_bytes());
        assert_eq!(s.records.len(), 2);
        assert_eq!(s.rejected.len(), 2, "{:?}", s.rejected);
        assert_eq!(s.rejected[0].0, "t:2");
        assert_eq!(s.rejected[1].0, "t:4");
    }

    #[test]
    fn a_broken_first_line_does_not_lose_the_rest() {
        let input = format!("{{\"truncated\": tru\n{REC}\n{REC}\n");
        let s = read(input.as_bytes());
        assert_eq!(s.records.len(), 2);
        assert_eq!(s.rejected[0].0, "t:1");
    }

    #[test]
    fn a_broken_document_is_one_located_error() {
        let s = read(b"{\n \"Records\": [\n  {\"eventName\": \"X\"},\n  {\"eventName\": \n");
        assert!(s.records.is_empty());
        assert_eq!(s.rejected.len(), 1);
        assert!(
            s.rejected[0].1.starts_with("malformed JSON"),
            "{:?}",
            s.rejected
        );
    }

    #[test]
    fn non_cloudtrail_values_are_counted_not_rejected() {
        let s = read(br#"{"detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","detail":{"state":"running"}}
{"a":1}
42
"#);
        assert_eq!(s.other.len(), 3);
        assert!(s.rejected.is_empty() && s.records.is_empty());
    }

    #[test]
    fn limits_hold() {
        let big = format!(r#"{{"eventName":"X","pad":"{}"}}"#, "a".repeat(2000));
        let s = read(big.as_bytes());
        assert_eq!(s.rejected.len(), 1);
        assert!(s.rejected[0].1.contains("over the 1000-byte limit"));
        let mut s = Seen::default();
        let many = format!("{REC}\n").repeat(100);
        read_stream(
            many.as_bytes(),
            "t",
            &Limits {
                max_record_bytes: 1000,
                max_file_bytes: 1000,
            },
            &mut s,
        );
        assert!(s.records.len() < 100);
        assert!(
            s.rejected.last().unwrap().1.contains("limit"),
            "{:?}",
            s.rejected
        );
        assert!(read(b"").rejected[0].1.contains("empty"));
        assert!(read(b"  \n\n").rejected[0].1.contains("empty"));
    }
}
