//! Finds CloudTrail records in what people feed `trailwatch replay`, and in the
//! S3 objects read by the backtest function (`lambda/backtest/batch.rs`) and by
//! `archive::recorded` (`trailwatch replay s3://...`).
//!
//! Accepted, from files, directories (recursively) or stdin, each optionally
//! gzip-compressed (by magic bytes, whatever the name):
//! - a raw CloudTrail record;
//! - an EventBridge envelope (the record in `detail`);
//! - a CloudTrail S3 log file, `{"Records": [...]}`;
//! - an `aws cloudtrail lookup-events` export, `{"Events": [...]}`: each item's
//!   `CloudTrailEvent` (JSON text, or an object), read oldest first (the export
//!   lists the newest first); one such item on its own (`jq -c '.Events[]'`);
//! - a CloudWatch Logs export (`aws logs filter-log-events`, `get-log-events`),
//!   `{"events": [...]}`, or a subscription's payload as Firehose writes it to S3
//!   (`{"messageType": "DATA_MESSAGE", "logEvents": [...]}`, payloads back to
//!   back): each item's `message` holding a record or an envelope (any other
//!   message, a control message's included, is not CloudTrail);
//! - a JSON array of any of these (nested once at the most: `[[record]]`);
//! - JSON lines (one of the above per line), or one pretty-printed document;
//! - documents written one after another (`cat` of log files, `jq` without
//!   `-c`): when the first is an object or an array, each is read at its own
//!   line; what cannot be read after them is read as JSON lines if a line of it
//!   is an object on its own, else rejected once, reading going on where another
//!   document begins (a line that is only `{` or `[`, or `{"Records":`).
//!
//! Each step is a file under `reader/`: `paths` (which files, in which order),
//! `decompress` (gzip), `lines` (a stream cut into lines), `framing` (JSON
//! lines, one document, or documents back to back), `stream` (documents back to
//! back past the document limit, read one at a time) and `document` (what a
//! document holds, unwrapped into records).
//!
//! Malformed input never stops a run: a bad line, record or file is reported with
//! its location and skipped. JSON values that are not CloudTrail (another
//! EventBridge event, a manifest) are counted and skipped.

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, Read};
use std::path::Path;

use super::Record;
use crate::engine::Prepared;

mod broken;
mod decompress;
mod document;
mod framing;
mod lines;
mod paths;
mod stream;

#[cfg(not(feature = "cli-gunzip"))]
use decompress::read_gz;
#[cfg(feature = "cli-gunzip")]
use decompress::read_gz_file;
use framing::read_plain;

pub(super) use framing::{PrettyDocument, decides_json_lines, starts_json_lines, starts_utf16};
pub(super) use lines::{Lines, trim_line};
pub use paths::{
    INPUT_EXTENSIONS, LeftOut, archive_order, expand_paths, expand_paths_noting, is_input_file_name,
};

/// Bounds that hold whatever the input.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// A record (one CloudTrail event) larger than this is rejected.
    pub max_record_bytes: usize,
    /// A JSON document held whole in memory (a JSON line, a `Records` file, a
    /// pretty-printed file) larger than this is rejected: memory stays bounded
    /// whatever the input.
    pub max_document_bytes: usize,
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
            // CloudTrail log files hold at most a few thousand records (~10 MB).
            max_document_bytes: 64 << 20,
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

/// A [`Location`] without its source: where in the source an item was found,
/// for the readers that hand items over between threads and send the source
/// once (`parallel`, `archive::recorded`).
#[derive(Debug, Clone, Copy)]
pub struct Place {
    pub line: Option<u64>,
    pub record: Option<usize>,
}

impl Location {
    pub fn place(&self) -> Place {
        Place {
            line: self.line,
            record: self.record,
        }
    }
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
    /// Offered a document that most likely is one record (a JSON line, an item of
    /// `Records`), before the reader checks what it is: a sink that parses records
    /// parses it here, and if it is a record (valid JSON naming an event source or
    /// name) takes it, `true`. Else (`false`) the reader checks and classifies the
    /// document as usual, so one parse does for the common case. The default
    /// takes nothing.
    fn try_record(&mut self, _loc: &Location, _json: &str) -> bool {
        false
    }
    /// Records that a prefilter on another thread skipped (see `parallel`).
    fn skipped(&mut self, _n: u64) {}
    /// A file that could not be opened or read at all (the error names it).
    fn unreadable(&mut self, _err: &io::Error) {}
    /// A record parsed on a reader thread (see `ahead`), with what the engine
    /// prepared from it there, if asked to. Reader threads report a record that
    /// does not parse with [`Sink::rejected`] and [`invalid_record`]'s reason.
    fn parsed(&mut self, loc: &Location, rec: &Record<'_>, _prepared: Option<Prepared>) {
        self.record(loc, rec.raw.unwrap_or_default());
    }
    /// A record prepared on a reader thread and dropped there, as a sink asks with
    /// [`super::ahead::Ahead::PrepareOnly`]: only the preparation comes (it does not
    /// [`Prepared::needs_record`]). Only such a sink hears of it; the default
    /// ignores it.
    fn prepared(&mut self, _loc: &Location, _prepared: Prepared) {}
    /// Called after each input file is done.
    fn file_done(&mut self, _source: &str) {}
    /// `true` once the sink wants nothing more (parallel reading then stops).
    fn stopped(&self) -> bool {
        false
    }
}

/// The reason a record (`json`) that does not parse is rejected with. A value
/// of the wrong type is named by its key (from a review: `eventName` given a
/// number was reported at a line and column of the record's own text, which
/// are not the file's); the location already says where the record is.
pub fn invalid_record(e: &serde_json::Error, json: &str) -> String {
    let message = e.to_string();
    let message = message
        .rfind(" at line ")
        .map_or(message.as_str(), |i| &message[..i]);
    match (e.classify(), key_before(json, e.line(), e.column())) {
        (serde_json::error::Category::Data, Some(key)) => {
            format!("invalid record: `{key}`: {message}")
        }
        _ => format!("invalid record: {message}"),
    }
}

/// The key whose value ends at `line`/`column` (1-based, serde_json's) of
/// `json`: the last `"key":` before that point, if it is a plain name.
fn key_before(json: &str, line: usize, column: usize) -> Option<&str> {
    let line_start = if line <= 1 {
        0
    } else {
        memchr::memchr_iter(b'\n', json.as_bytes()).nth(line - 2)? + 1
    };
    let end = (line_start + column).min(json.len());
    let before = json.get(..end)?;
    // The last `:` before the value, then the key's closing quote before it
    // (whitespace may stand between: `"eventName" : 42`; a review of this change).
    let colon = before.rfind(':')?;
    let close = before[..colon].trim_end();
    let close = close.strip_suffix('"')?;
    let open = close.rfind('"')?;
    let key = &close[open + 1..];
    (!key.is_empty()
        && key.len() <= 64
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
    .then_some(key)
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
    // Aligned: the kernel copies file pages into a misaligned buffer far slower.
    let mut buffered = super::aligned::AlignedBufReader::with_capacity(BUFFER, input);
    // Two bytes tell gzip and UTF-16 apart from text, even from a pipe that
    // hands over one at a time.
    let gz = match buffered.fill_at_least(2) {
        Ok(head) => head.starts_with(&[0x1f, 0x8b]),
        Err(e) => {
            sink.rejected(&at(source, None), &format!("read error: {e}"));
            return;
        }
    };
    if gz {
        #[cfg(feature = "cli-gunzip")]
        read_gz_file(buffered, source, limits, sink);
        #[cfg(not(feature = "cli-gunzip"))]
        read_gz(
            Capped::new(
                flate2::bufread::MultiGzDecoder::new(buffered),
                limits.max_file_bytes,
            ),
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

/// Read buffer: most JSON lines lie wholly inside it and are handed over in place.
pub(super) const BUFFER: usize = 1 << 18;

pub(super) fn at(source: &str, line: Option<u64>) -> Location {
    Location {
        source: source.to_owned(),
        line,
        record: None,
    }
}

pub(super) fn read_error(e: &io::Error) -> String {
    format!("read error: {e}")
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
                    "input is larger than the {}-byte limit (--max-file-bytes)",
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
                    "input is larger than the {}-byte limit (--max-file-bytes)",
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
    use super::decompress::WHOLE_GZ;
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
                max_document_bytes: 50_000,
                max_file_bytes: 100_000,
            },
            &mut s,
        );
        s
    }

    /// `text` printed again as `jq .` prints it.
    fn jq(text: &str) -> String {
        serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(text).unwrap())
            .unwrap()
    }

    /// [`read`] under the default limits (large files).
    fn read_default(bytes: &[u8]) -> Seen {
        let mut s = Seen::default();
        read_stream(bytes, "t", &Limits::default(), &mut s);
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

    /// From a review: a trail's log group sent on through a subscription and
    /// Firehose to S3 is payloads back to back, each with `logEvents`; a control
    /// message among them is not CloudTrail.
    #[test]
    fn subscription_payloads_from_firehose_are_read() {
        let message = serde_json::to_string(REC).unwrap();
        let data = format!(
            r#"{{"messageType":"DATA_MESSAGE","owner":"111122223333","logGroup":"aws-cloudtrail-logs","logStream":"111122223333_CloudTrail_us-east-1","subscriptionFilters":["to-firehose"],"logEvents":[{{"id":"1","timestamp":1767225600000,"message":{message}}},{{"id":"2","timestamp":1767225600001,"message":{message}}}]}}"#
        );
        let control = r#"{"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logGroup":"","logStream":"","subscriptionFilters":[],"logEvents":[{"id":"","timestamp":1767225600000,"message":"CWL CONTROL MESSAGE: Checking health of destination Firehose."}]}"#;
        let s = read(format!("{data}{control}{data}").as_bytes());
        assert_eq!(s.records.len(), 4, "{:?} {:?}", s.rejected, s.other);
        assert!(s.rejected.is_empty(), "{:?}", s.rejected);
        assert_eq!(s.other.len(), 1, "the control message: {:?}", s.other);
    }

    /// From a review: one byte that is not UTF-8 in a `Records` file lost every
    /// record of it. Only the damaged record is rejected, at its place.
    #[test]
    fn a_damaged_byte_loses_only_its_record() {
        // The text with its one U+0001 replaced by a byte that is not UTF-8.
        let damaged = |text: String| {
            let mut bytes = text.into_bytes();
            let at = bytes.iter().position(|b| *b == 1).unwrap();
            bytes[at] = 0xE9;
            bytes
        };
        let bad = REC.replace("CreateUser", "Create\u{1}User");
        let records = |sep: &str| damaged(format!("{{{sep}\"Records\":[{REC},{bad},{REC}]{sep}}}"));
        for doc in [records(""), records("\n")] {
            let s = read(&doc);
            assert_eq!(s.records.len(), 2, "{:?}", s.rejected);
            assert_eq!(s.rejected.len(), 1, "{:?}", s.rejected);
            assert!(s.rejected[0].0.ends_with("(record 2)"), "{:?}", s.rejected);
            assert!(s.rejected[0].1.contains("not UTF-8"), "{:?}", s.rejected);
        }
        // A record alone is rejected whole, as before.
        let s = read(&damaged(bad.clone()));
        assert!(s.records.is_empty());
        assert!(
            s.rejected[0].1.starts_with("not UTF-8 text ("),
            "{:?}",
            s.rejected
        );
    }

    /// From a new user's review: a `Records` file or an array broken inside (a
    /// download cut off, a gzip stream ending early, a record edited by hand)
    /// lost every record, "1 rejected". Its complete records before the break
    /// are read; the rest is one rejection saying how many came before. Reading
    /// does not go on inside a document after a break (from a review: past a
    /// lost quote, a walk could read a record's nested object as a record).
    #[test]
    fn a_broken_records_file_keeps_the_records_before_the_break() {
        use std::io::Write;
        let name = |i: usize| REC.replace("CreateUser", &format!("CreateUser{i}"));
        let items: Vec<String> = (1..=6).map(name).collect();
        let whole = format!("{{\"Records\":[{}]}}", items.join(","));
        let pretty = jq(&whole);
        // Cut inside the fourth record: one line, pretty-printed, an array,
        // inside a character of several bytes, a malformed fourth record.
        let cut = |text: &str| {
            let at = text.find("CreateUser4").unwrap() + 4;
            text[..at].to_owned()
        };
        let array = format!("[{}]", items.join(","));
        let accented = whole.replace("CreateUser4", "Créé4");
        let mid_char = &accented.as_bytes()[..accented.find("Créé4").unwrap() + 3];
        let malformed = whole.replacen(
            "\"eventName\":\"CreateUser4\"",
            "\"eventName\"\"CreateUser4\"",
            1,
        );
        let plain_cut = (cut(&whole), cut(&pretty), cut(&array));
        for (what, bytes) in [
            ("one line", plain_cut.0.as_bytes()),
            ("pretty", plain_cut.1.as_bytes()),
            ("array", plain_cut.2.as_bytes()),
            ("mid-character", mid_char),
            ("malformed", malformed.as_bytes()),
        ] {
            let s = read(bytes);
            assert_eq!(s.records.len(), 3, "{what}: {:?}", s.rejected);
            assert_eq!(s.rejected.len(), 1, "{what}: {:?}", s.rejected);
            assert!(
                s.rejected[0].0.ends_with("(record 4)"),
                "{what}: {:?}",
                s.rejected
            );
            assert!(
                s.rejected[0]
                    .1
                    .contains("(after 3 complete item(s) of its document)"),
                "{what}: {:?}",
                s.rejected
            );
        }
        // Pretty-printed records holding a list of plain values, whose last
        // item stands alone on its line (from a review: read line by line, the
        // file lost every record).
        let listed = whole.replace(
            "\"eventName\"",
            "\"resources\":[\"arn:aws:iam::111122223333:user/a\"],\"eventName\"",
        );
        let listed = jq(&listed);
        let s = read(cut(&listed).as_bytes());
        assert_eq!(s.records.len(), 3, "{:?}", s.rejected);
        assert_eq!(s.rejected.len(), 1, "{:?}", s.rejected);
        // A gzip stream cut off: the records it held whole, then the error.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(whole.as_bytes()).unwrap();
        let gz = gz.finish().unwrap();
        let s = read(&gz[..gz.len() * 3 / 4]);
        assert!(
            !s.records.is_empty() && s.records.len() < 6,
            "{:?}",
            s.rejected
        );
        assert_eq!(s.rejected.len(), 1, "{:?}", s.rejected);
        assert!(
            s.rejected[0].1.starts_with("read error: "),
            "{:?}",
            s.rejected
        );
        // A stream whose data fails its checksum is not read item by item: a
        // damaged record may still parse (from a review: two flipped bytes, one
        // breaking the text, the other turning a StopLogging into StopLoggIng).
        let mut stored = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::none());
        stored.write_all(whole.as_bytes()).unwrap();
        let mut stored = stored.finish().unwrap();
        let at = stored
            .windows(11)
            .position(|w| w == b"CreateUser5")
            .unwrap();
        let pristine = stored.clone();
        stored[at + 6] = b'X';
        stored[at + 12] = b'X';
        let s = read(&stored);
        assert!(s.records.is_empty(), "{:?}", s.records);
        assert_eq!(s.rejected.len(), 1, "{:?}", s.rejected);
        assert!(s.rejected[0].1.contains("checksum"), "{:?}", s.rejected);
        // One changed byte that leaves the text whole JSON (a second review:
        // the whole text was read, the damaged record with it).
        let mut quiet = pristine;
        quiet[at + 6] = b'X';
        let s = read(&quiet);
        assert!(s.records.is_empty(), "{:?}", s.records);
        assert_eq!(s.rejected.len(), 1, "{:?}", s.rejected);
        assert!(s.rejected[0].1.contains("checksum"), "{:?}", s.rejected);
        // JSON lines the same (a third review: they were read line by line).
        let lines = format!(
            "{REC}\n{}\n{REC}\n",
            REC.replace("CreateUser", "CreateUser5")
        );
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::none());
        gz.write_all(lines.as_bytes()).unwrap();
        let mut gz = gz.finish().unwrap();
        let at = gz.windows(11).position(|w| w == b"CreateUser5").unwrap();
        gz[at + 6] = b'X';
        let s = read(&gz);
        assert!(s.records.is_empty(), "{:?}", s.records);
        assert_eq!(s.rejected.len(), 1, "{:?}", s.rejected);
        // Log files back to back on one line (`cat`), the second cut: the
        // first whole, the second's complete records.
        let two = format!("{whole}{}", cut(&whole));
        let s = read(two.as_bytes());
        assert_eq!(s.records.len(), 9, "{:?}", s.rejected);
        assert_eq!(s.rejected.len(), 1, "{:?}", s.rejected);
        // The first cut, the second whole after it on the same line: the
        // first's complete records, then the second, read from where it begins
        // as a file does (never at a value inside the broken one: see
        // `a_records_key_inside_a_cut_off_file_is_not_a_file`).
        let two = format!("{}{whole}", cut(&whole));
        let s = read(two.as_bytes());
        assert_eq!(s.records.len(), 9, "{:?}", s.rejected);
        assert_eq!(s.rejected.len(), 1, "{:?}", s.rejected);
        // Not a `Records` file (another key first), or the first record cut
        // off: one rejection, as before.
        for other in [
            format!("{{\"id\":1,\"Records\":[{REC},{REC}"),
            format!("{{\"Records\":[{}", &REC[..REC.len() - 5]),
        ] {
            let s = read(other.as_bytes());
            assert!(s.records.is_empty(), "{other}");
            assert_eq!(s.rejected.len(), 1, "{other}: {:?}", s.rejected);
        }
    }

    /// From a review: a nested object after a lost quote was read as a record
    /// of its own (the walk past a break landed inside a record, and a value
    /// its caller wrote became a forged call). Nothing after the break of a
    /// document is read.
    #[test]
    fn nothing_after_a_break_inside_a_document_is_read() {
        let forged = r#"{"eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","userIdentity":{"arn":"FORGED"}}"#;
        let attacker = format!(
            r#"{{"eventSource":"s3.amazonaws.com","eventName":"PutObject","requestParameters":{{"entries":[[{{"note":"hello\" world"}},{forged}],{forged}]}}}}"#
        );
        // The second record loses a closing quote.
        let lost_quote = REC.replacen("iam.amazonaws.com\"", "iam.amazonaws.com", 1);
        let doc = format!("{{\"Records\":[{REC},{lost_quote},{attacker},{REC}]}}");
        let s = read(doc.as_bytes());
        assert_eq!(s.records.len(), 1, "{:?}", s.records);
        assert!(
            s.records.iter().all(|(_, r)| !r.contains("FORGED")),
            "{:?}",
            s.records
        );
        assert_eq!(s.rejected.len(), 1, "{:?}", s.rejected);
    }

    /// From a review: a document cut off among documents back to back lost every
    /// document after it. Reading goes on where another begins: a line that is
    /// only `{` (as `jq .` writes them), or `{"Records":` (`cat` of CloudTrail's
    /// files).
    #[test]
    fn a_document_cut_off_in_the_middle_loses_only_itself() {
        let pretty = |name: &str| {
            format!(
                "{{\n  \"eventSource\": \"iam.amazonaws.com\",\n  \"eventName\": \"{name}\"\n}}\n"
            )
        };
        let cut = pretty("Cut");
        let cut = &cut[..cut.len() - 3];
        let text = format!("{}{cut}\n{}{}", pretty("A"), pretty("B"), pretty("C"));
        let s = read(text.as_bytes());
        assert_eq!(s.records.len(), 3, "{:?}", s.rejected);
        assert_eq!(s.rejected.len(), 1, "{:?}", s.rejected);
        assert!(
            s.rejected[0].0 == "t:5" && s.rejected[0].1.contains("reading goes on 3 lines below"),
            "{:?}",
            s.rejected
        );
        assert_eq!(
            s.records
                .iter()
                .map(|(l, _)| l.as_str())
                .collect::<Vec<_>>(),
            ["t:1", "t:8", "t:12"]
        );
        let file = |id: &str| format!("{{\"Records\":[{REC},{REC}],\"id\":\"{id}\"}}");
        let half = file("half");
        let text = format!(
            "{}{}{}",
            file("one"),
            &half[..half.len() / 2],
            file("three")
        );
        // The cut-off file's complete record is read too (a new user's review).
        let s = read(text.as_bytes());
        assert_eq!(s.records.len(), 5, "{:?}", s.rejected);
        assert_eq!(s.rejected.len(), 1, "{:?}", s.rejected);
        // Many cut-off documents: one rejection each, no stack to speak of.
        let many = format!(
            "{}{}{}",
            file("first"),
            "{\"Records\":[{\"eventName\":\"x".repeat(1_000),
            file("last")
        );
        let s = read(many.as_bytes());
        assert_eq!(s.records.len(), 4);
        assert_eq!(s.rejected.len(), 1_000);
        // The first file cut off: the files after it are read too (a second
        // review: every one was lost), compact or pretty.
        let cut_then_two = |cut: &str, next: &dyn Fn(&str) -> String| {
            format!("{}{}{}", &cut[..cut.len() / 2], next("two"), next("three"))
        };
        let s = read(cut_then_two(&half, &file).as_bytes());
        assert_eq!(s.records.len(), 5, "{:?}", s.rejected);
        assert_eq!(s.rejected.len(), 1, "{:?}", s.rejected);
        let jq_file = |id: &str| jq(&file(id)) + "\n";
        let s = read(cut_then_two(&jq_file("cut"), &jq_file).as_bytes());
        assert_eq!(s.records.len(), 4 + 1, "{:?} {:?}", s.records, s.rejected);
        assert_eq!(s.rejected.len(), 1, "{:?}", s.rejected);
    }

    /// Left out in the thirteenth session: a gzip stream cut short kept its
    /// complete records only when its text was read whole (up to 8 MiB, one
    /// line); a larger log file, or a pretty-printed one, was one rejection.
    #[test]
    fn a_cut_gzip_stream_keeps_its_records_whatever_its_size_or_layout() {
        let record = |n: usize| {
            format!(
                r#"{{"eventVersion":"1.09","eventSource":"iam.amazonaws.com","eventName":"CreateUser{n}","eventTime":"2026-06-01T10:00:00Z","eventID":"{n:08}","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/a"}}}}"#
            )
        };
        let gzip_cut = |text: &str| {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            std::io::Write::write_all(&mut gz, text.as_bytes()).unwrap();
            let gz = gz.finish().unwrap();
            gz[..gz.len() * 3 / 4].to_vec()
        };
        let records: Vec<String> = (0..60_000).map(record).collect();
        let large = format!("{{\"Records\":[{}]}}", records.join(","));
        assert!(large.len() > decompress::WHOLE_GZ, "{}", large.len());
        let s = read_default(gzip_cut(&large).as_slice());
        assert!(
            s.records.len() > 30_000 && s.records.len() < 60_000,
            "{} {:?}",
            s.records.len(),
            s.rejected
        );
        assert_eq!(s.rejected.len(), 1, "{:?}", s.rejected);
        assert!(
            s.rejected[0].1.starts_with("read error: ")
                && s.rejected[0].1.contains("complete item(s)"),
            "{:?}",
            s.rejected
        );
        // Each record read is one of the file's, whole, in order.
        assert!(
            s.records
                .iter()
                .zip(&records)
                .all(|((_, got), want)| got == want)
        );
        // Pretty-printed (`jq .` of a log file, then gzip), small.
        let pretty = jq(&format!("{{\"Records\":[{}]}}", records[..40].join(",")));
        let s = read(&gzip_cut(&pretty));
        assert!(
            s.records.len() > 10 && s.records.len() < 40,
            "{} {:?}",
            s.records.len(),
            s.rejected
        );
        assert_eq!(s.rejected.len(), 1, "{:?}", s.rejected);
    }

    /// Left out in the thirteenth session: reading went on at any `{"Records":` after a cut, one
    /// inside the cut-off file's record included. A request parameter shaped
    /// `{"Records":[...]}` was then read as a file of its own, so whoever made
    /// the call chose records (here a `StopLogging`). It is a value inside the
    /// cut-off document, and reading goes on at the next file.
    #[test]
    fn a_break_inside_a_pretty_document_names_its_own_line() {
        // A record broken by hand at some line of a `jq .` file: the items
        // before it are read, and the rejection, placed at the document's
        // first line and the record's number, names the broken line within the
        // document (it said "column 19" of the document's first line).
        let file = jq(&format!("{{\"Records\":[{REC},{REC},{REC}]}}"));
        let second = file.match_indices("\"eventName\":").nth(1).unwrap().0;
        let broken_line = 1 + file[..second].matches('\n').count();
        assert!(broken_line > 2);
        let bad = format!(
            "{}\"eventName\" {}",
            &file[..second],
            &file[second + "\"eventName\":".len()..]
        );
        let column = second - file[..second].rfind('\n').unwrap();
        // `"eventName"  "CreateUser"`: serde stops at the value's quote.
        let want = format!(
            "(line {broken_line} of the document, column {})",
            column + 13
        );
        let s = read(bad.as_bytes());
        assert_eq!(s.records.len(), 1, "{:?}", s.rejected);
        assert_eq!(s.rejected.len(), 1, "{:?}", s.rejected);
        assert_eq!(s.rejected[0].0, "t:1 (record 2)");
        assert!(s.rejected[0].1.contains(&want), "{want}: {:?}", s.rejected);
        // The same file after a whole one (`cat`), and after a cut-off one:
        // the place is the document's first line, the line counted from it.
        let whole = jq(&format!("{{\"Records\":[{REC}]}}"));
        let lines_before = 1 + whole.matches('\n').count() as u64;
        let s = read(format!("{whole}\n{bad}").as_bytes());
        assert_eq!(s.records.len(), 2, "{:?}", s.rejected);
        assert_eq!(
            s.rejected[0].0,
            format!("t:{} (record 2)", 1 + lines_before)
        );
        assert!(s.rejected[0].1.contains(&want), "{want}: {:?}", s.rejected);
        let cut = &whole[..whole.len() - 3];
        let s = read(format!("{cut}\n{bad}").as_bytes());
        assert_eq!(s.rejected.len(), 2, "{:?}", s.rejected);
        assert!(s.rejected[1].1.contains(&want), "{want}: {:?}", s.rejected);
        // Broken on its first line, the column is on the place's line.
        let s = read(format!("[{REC},{{\"eventName\" 1}}]").as_bytes());
        let why = &s.rejected[0].1;
        assert!(why.contains("(column ") && !why.contains("(line "), "{why}");
    }

    /// From a review (fifteenth session): among JSON lines, a `jq .` file cut
    /// inside a string left the bracket count reading strings as structure, a
    /// caller's `]]]` closed the document early, and a caller's nested object,
    /// a bracket indented on its own line, was opened and read as a record.
    /// Whatever the cut, no object a caller wrote is read.
    #[test]
    fn a_cut_pretty_file_among_json_lines_opens_nothing_a_caller_wrote() {
        // As `jq .` prints it, keys in their order (the user agent before the
        // request parameters, as CloudTrail writes them).
        let callers = |forged_last: bool| {
            let forged = "        {\n          \"eventSource\": \"cloudtrail.amazonaws.com\",\n          \"eventName\": \"StopLogging\",\n          \"requestParameters\": {\n            \"name\": \"FORGED\"\n          }\n        }";
            let items = if forged_last {
                format!("          \"x\",\n{forged}")
            } else {
                format!("{forged},\n          \"x\"")
            };
            format!(
                "{{\n  \"Records\": [\n    {{\n      \"eventSource\": \"ec2.amazonaws.com\",\n      \"eventName\": \"RunInstances\",\n      \"userAgent\": \"]]]]]]]]]]]]]]]]\",\n      \"requestParameters\": {{\n        \"items\": [\n{items}\n        ]\n      }},\n      \"eventID\": \"c\"\n    }}\n  ]\n}}"
            )
        };
        let a = jq(&format!("{{\"Records\":[{REC},{REC}]}}"));
        for last in [true, false] {
            let b = callers(last);
            assert!(serde_json::from_str::<serde_json::Value>(&b).is_ok(), "{b}");
            for cut in (1..a.len() - 1).step_by(3) {
                let text = format!("{REC}\n{}{b}\n{REC}\n", &a[..cut]);
                let s = read(text.as_bytes());
                assert!(
                    s.records
                        .iter()
                        .all(|(_, r)| !r.contains("FORGED") || r.contains("RunInstances")),
                    "cut {cut}, last {last}: {:?}",
                    s.records
                );
            }
        }
    }

    /// From a second review (fifteenth session): Prettier prints short objects
    /// on one line, a caller's nested one among them; given back after a cut,
    /// or taken for JSON lines, such a line was read as a record. An indented
    /// line is read as a JSON line only right after a JSON line's object
    /// (inside a printed document the line before ends with `,` or a bracket),
    /// so indented JSON lines still read.
    #[test]
    fn a_callers_object_printed_on_one_indented_line_is_not_a_record() {
        let forged = r#"{ "eventSource": "cloudtrail.amazonaws.com", "eventName": "StopLogging" }"#;
        let printed = format!(
            "{{\n  \"Records\": [\n    {{\n      \"eventSource\": \"ec2.amazonaws.com\",\n      \"eventName\": \"RunInstances\",\n      \"requestParameters\": {{\n        \"items\": [\n          {forged},\n          {forged}\n        ]\n      }}\n    }},\n    {REC}\n  ]\n}}\n"
        );
        assert!(serde_json::from_str::<serde_json::Value>(&printed).is_ok());
        let is_forged = |s: &Seen| {
            s.records
                .iter()
                .any(|(_, r)| r.contains("StopLogging") && !r.contains("RunInstances"))
        };
        for cut in (1..printed.len()).step_by(5) {
            for text in [
                format!("{REC}\n{}\n{REC}\n", &printed[..cut]),
                printed[..cut].to_owned(),
            ] {
                let s = read(text.as_bytes());
                assert!(!is_forged(&s), "cut {cut}: {:?}", s.records);
            }
        }
        // Whole, it is read whole: the caller's objects stay parameters.
        let s = read(format!("{REC}\n{printed}{REC}\n").as_bytes());
        assert!(!is_forged(&s) && s.rejected.is_empty(), "{:?}", s.rejected);
        assert_eq!(s.records.len(), 4);
        // JSON lines indented as a whole still read, line after line.
        let s = read(format!("  {REC}\n  {REC}\n\n  {REC}\n").as_bytes());
        assert_eq!(
            (s.records.len(), s.rejected.len()),
            (3, 0),
            "{:?}",
            s.rejected
        );
    }

    #[test]
    fn a_records_key_inside_a_cut_off_file_is_not_a_file() {
        let forged =
            r#"{"eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","FORGED":1}"#;
        let nested = format!(
            r#"{{"Records":[{{"eventSource":"kinesis.amazonaws.com","eventName":"PutRecords","requestParameters":{{"Records":[{forged}],"streamName":"s"}},"eventID":"x"}},{{"eventName":"Cut"#
        );
        let whole = format!("{{\"Records\":[{REC}]}}");
        for between in ["", "\n"] {
            let text = format!("{whole}{nested}{between}{whole}");
            let s = read(text.as_bytes());
            assert!(
                s.records.iter().all(|(_, r)| r != forged),
                "{:?}",
                s.records
            );
            // The cut-off file's complete record, and both whole files.
            assert_eq!(s.records.len(), 3, "{:?} {:?}", s.records, s.rejected);
            assert_eq!(s.rejected.len(), 1, "{:?}", s.rejected);
        }
        // Nested in a list, or alone on its line inside the cut-off text, the
        // same; a next file cut off again is still read up to its break.
        let listed = nested.replace(r#"{"Records":[{forged}]"#, "").replace(
            r#""requestParameters":{"#,
            &format!(r#""requestParameters":{{"items":[{{"Records":[{forged}]}}],"#),
        );
        let lined = nested.replace(r#""requestParameters":{"#, "\"requestParameters\":\n{\n");
        for cut in [listed, lined] {
            let text = format!("{whole}{cut}{nested}");
            let s = read(text.as_bytes());
            assert!(
                s.records.iter().all(|(_, r)| r != forged),
                "{cut}: {:?}",
                s.records
            );
            assert_eq!(
                s.records.len(),
                3,
                "{cut}: {:?} {:?}",
                s.records,
                s.rejected
            );
        }
        // From a review of the first fix: a cut inside the nested object (its
        // caller can make it most of the file) restarted there and read its
        // items up to the break. At every cut, with a file after it or none.
        let padded = nested.replace(
            r#","streamName":"s""#,
            &format!(r#","data":"{}","streamName":"s""#, "x".repeat(200)),
        );
        let inner = padded
            .find(r#"{"Records":[{"eventSource":"cloudtrail"#)
            .unwrap();
        for cut in (inner + 1..padded.len()).step_by(7) {
            for after in ["", whole.as_str()] {
                let text = format!("{whole}{}{after}", &padded[..cut]);
                let s = read(text.as_bytes());
                assert!(
                    s.records.iter().all(|(_, r)| r != forged),
                    "cut at {cut}: {:?}",
                    s.records
                );
            }
        }
        // Many nested candidates in one cut-off file cost one pass, not one per
        // candidate (the first fix took minutes on a few MB of them).
        let many = format!(
            "{whole}{{\"Records\":[{{\"p\":[{}{{\"eventName\":\"Cut{whole}",
            r#"{"Records":[]},"#.repeat(200_000)
        );
        let s = read_default(many.as_bytes());
        assert_eq!(s.records.len(), 2, "{:?}", s.rejected);
        assert_eq!(s.rejected.len(), 1, "{:?}", s.rejected);
        // Many cut-off files, then many lines: each cut searched the lines
        // after it again (a second review: 41 s on 3 MB).
        let text = format!(
            "{{\"Records\":[{REC}]}}{}{}\n",
            r#"{"Records":}"#.repeat(3_000),
            "\n[]".repeat(300_000)
        );
        let s = read_default(text.as_bytes());
        assert_eq!(s.records.len(), 1, "{:?}", &s.rejected[..3]);
    }

    /// A sink that parses records, as replay does; with `.1`, it also takes the
    /// records offered before classification ([`Sink::try_record`]).
    #[derive(Default)]
    struct Parsing(Vec<String>, bool);

    impl Sink for Parsing {
        fn record(&mut self, loc: &Location, json: &str) {
            match crate::event::Record::from_json(json) {
                Ok(rec) => self.0.push(format!("{loc} record {}", rec.event_name())),
                Err(e) => self.rejected(loc, &invalid_record(&e, json)),
            }
        }
        fn try_record(&mut self, loc: &Location, json: &str) -> bool {
            match crate::event::Record::from_json(json) {
                Ok(rec) if self.1 && rec.names_an_event() => {
                    self.0.push(format!("{loc} record {}", rec.event_name()));
                    true
                }
                _ => false,
            }
        }
        fn rejected(&mut self, loc: &Location, reason: &str) {
            self.0.push(format!("{loc} rejected {reason}"));
        }
        fn not_cloudtrail(&mut self, loc: &Location) {
            self.0.push(format!("{loc} other"));
        }
    }

    #[test]
    fn records_taken_in_one_parse_are_those_the_reader_would_classify_as_records() {
        let odd = [
            REC,
            r#"{"eventName":null,"eventSource":null}"#,
            r#"{"eventName":null,"detail-type":"x","detail":{"eventName":"Inner"}}"#,
            r#"{"eventName":"A","Records":[],"Records":[]}"#,
            r#"{"eventName":"A","detail":{},"detail":{}}"#,
            r#"{"eventName":"A","detail-type":"x","detail-type":"y"}"#,
            r#"{"eventName":"A","eventName":"B"}"#,
            r#"{"eventName":"A","awsRegion":"x","awsRegion":"y"}"#,
            r#"{"eventName":5}"#,
            r#"{"eventName":"A"} {"eventName":"B"}"#,
            r#"{"eventName":"A","requestParameters":{"#,
            r#"{"eventName":"A","Records":[{"eventName":"B"}]}"#,
            r#"{"Records":[{"eventName":"B"},{"eventName":7},{"x":1},{"eventName":"C","eventName":"D"}]}"#,
            r#"{"detail-type":"AWS API Call via CloudTrail","detail":{"eventName":"E"}}"#,
            r#"{"source":"aws.iam","detail":{"eventName":"E"},"detail-type":"late"}"#,
            r#"[{"eventName":"F"},{"eventSource":"s"}]"#,
            r#"{"userIdentity":{"type":"Root"}}"#,
            // The exports' keys, twice (from a review), and an envelope whose
            // detail holds them twice: the detail is offered first too.
            r#"{"eventName":"A","Events":[],"Events":[]}"#,
            r#"{"eventName":"A","events":1,"events":2}"#,
            r#"{"eventName":"A","CloudTrailEvent":1,"CloudTrailEvent":2}"#,
            r#"{"detail-type":"x","detail":{"eventName":"A","CloudTrailEvent":1,"CloudTrailEvent":2}}"#,
            r#"{"detail-type":"x","detail":{"eventName":"A","Events":[],"Events":[]}}"#,
            r#"{"detail-type":"x","detail":{"eventName":"A","Events":[{"x":1}]}}"#,
            r#"{"detail-type":"x","detail":{"x":1}}"#,
            r#"{"detail-type":"x","detail":[{"eventName":"A"}]}"#,
        ];
        let deep = format!(
            r#"{{"eventName":"A","requestParameters":{}{}}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        let mut input = odd.join("\n");
        input.push('\n');
        input.push_str(&deep);
        input.push('\n');
        input.push_str(&format!(r#"{{"eventName":"{}"}}"#, "x".repeat(2000)));
        let limits = Limits {
            max_record_bytes: 1000,
            max_document_bytes: 50_000,
            max_file_bytes: 100_000,
        };
        let mut slow = Parsing::default();
        read_stream(input.as_bytes(), "t", &limits, &mut slow);
        let mut fast = Parsing(Vec::new(), true);
        read_stream(input.as_bytes(), "t", &limits, &mut fast);
        assert_eq!(fast.0, slow.0);
        assert!(slow.0.len() > odd.len(), "{:#?}", slow.0);
        assert!(slow.0.iter().any(|l| l.contains("malformed JSON")));
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

    /// A gzip stream is read whole up to `WHOLE_GZ` bytes and streamed past
    /// that: either way its records, rejections and line numbers are those of
    /// the same text uncompressed, wherever the cut falls.
    #[test]
    fn gzip_reads_like_its_text_below_and_past_the_whole_read_size() {
        use std::io::Write;
        let limits = Limits {
            max_record_bytes: 1000,
            max_document_bytes: 50_000,
            max_file_bytes: 4 * WHOLE_GZ as u64,
        };
        let seen = |bytes: &[u8]| {
            let mut s = Parsing::default();
            read_stream(bytes, "t", &limits, &mut s);
            s.0
        };
        // Mostly blank lines: cheap to read, so the test stays quick.
        let line = format!("{REC}\n{}\n{{\"eventName\": \n", " ".repeat(4000));
        let big = line.repeat(WHOLE_GZ / line.len() + 3);
        for text in [format!("{REC}\n{REC}"), big.clone(), format!("{big}{REC}")] {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            enc.write_all(text.as_bytes()).unwrap();
            let (plain, gz) = (seen(text.as_bytes()), seen(&enc.finish().unwrap()));
            assert!(
                plain.len() >= 2
                    && plain.iter().any(|l| l.contains("rejected")) == (text.len() > 200)
            );
            assert_eq!(gz.len(), plain.len());
            assert!(
                gz == plain,
                "first difference at {:?}",
                gz.iter().zip(&plain).position(|(a, b)| a != b)
            );
        }
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

    /// From a review: a pretty-printed document among JSON lines (`jq -c` of
    /// one file, then `cat` of another) is read whole at its first line; one
    /// that does not parse gives its lines back, each reported where it is.
    #[test]
    fn a_pretty_printed_document_among_json_lines_is_read_whole() {
        let pretty = serde_json::to_string_pretty(&serde_json::json!({"Records": [
            {"eventSource": "iam.amazonaws.com", "eventName": "CreateUser"}
        ]}))
        .unwrap();
        let input = format!("{REC}\n{pretty}\n{REC}\n");
        let s = read(input.as_bytes());
        assert!(s.rejected.is_empty(), "{:?}", s.rejected);
        assert_eq!(s.records.len(), 3);
        assert_eq!(s.records[1].0, "t:2 (record 1)");
        let broken = format!("{REC}\n{{\n\"eventName\": \n}}\n{REC}\n");
        let s = read(broken.as_bytes());
        assert_eq!(s.records.len(), 2);
        let at: Vec<&str> = s.rejected.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(at, ["t:2", "t:3", "t:4"]);
        // Every line in column 0 (Python's `indent=0`), or the whole document
        // indented: read whole, once (a review of this change).
        let flat = format!("{REC}\n{{\n\"Records\": [\n{REC},\n{REC}\n]\n}}\n{REC}\n");
        let s = read(flat.as_bytes());
        assert!(s.rejected.is_empty(), "{:?}", s.rejected);
        assert_eq!(s.records.len(), 4);
        let indented = format!("{REC}\n  {{\n    \"Records\": [{REC}]\n  }}\n{REC}\n");
        let s = read(indented.as_bytes());
        assert!(s.rejected.is_empty(), "{:?}", s.rejected);
        assert_eq!(s.records.len(), 3);
        // Never closed: the lines are given back at the end.
        let open = format!("{REC}\n[\n{REC}\n");
        let s = read(open.as_bytes());
        assert_eq!(s.records.len(), 2, "{:?}", s.rejected);
        assert_eq!(s.rejected.len(), 1);
    }

    /// From a review: a document cut off on its one line is reported there,
    /// not on the line after, and says it was cut off.
    #[test]
    fn a_cut_off_document_is_reported_on_its_last_line() {
        for (text, at) in [
            ("{\"eventName\":\"StopLogging\"", "t:1"),
            ("{\n\"eventName\":\"StopLogging\",\n\"x\": 1\n\n\n", "t:3"),
            // Cut inside a string on its one line (from a review: the line
            // end the reader puts back was read as a control character).
            ("{\"Records\":[{\"eventName\":\"StopLog", "t:1"),
            ("{\"Records\":[{\"eventName\":\"StopLog\n", "t:1"),
        ] {
            let s = read(text.as_bytes());
            assert_eq!(s.rejected.len(), 1, "{text:?}");
            assert_eq!(s.rejected[0].0, at, "{text:?}");
            assert!(
                s.rejected[0]
                    .1
                    .contains("ends before the document is closed"),
                "{:?}",
                s.rejected
            );
        }
    }

    /// From a review: a value of the wrong type is named by its key, without
    /// the record text's own line and column.
    #[test]
    fn a_wrongly_typed_value_is_named_by_its_key() {
        let e = |json: &str| {
            let Err(err) = crate::event::Record::from_json(json) else {
                panic!("accepted: {json}")
            };
            invalid_record(&err, json)
        };
        let json = "{\n  \"eventSource\": \"cloudtrail.amazonaws.com\",\n  \"eventName\": 42\n}";
        assert_eq!(
            e(json),
            "invalid record: `eventName`: invalid type: integer `42`, expected a string"
        );
        let one_line = r#"{"eventSource":"s","eventName":["a"]}"#;
        assert!(
            e(one_line).starts_with("invalid record: `eventName`: invalid type: sequence"),
            "{}",
            e(one_line)
        );
        assert!(!e(one_line).contains("at line"));
        assert_eq!(key_before("{\"a\":1}", 9, 1), None, "a line past the text");
        let spaced =
            r#"{"eventVersion":"1.08","eventSource":"iam.amazonaws.com","eventName" : 42}"#;
        assert!(
            e(spaced).starts_with("invalid record: `eventName`:"),
            "{}",
            e(spaced)
        );
    }

    #[test]
    fn a_broken_first_line_does_not_lose_the_rest() {
        let input = format!("{{\"truncated\": tru\n{REC}\n{REC}\n");
        let s = read(input.as_bytes());
        assert_eq!(s.records.len(), 2);
        assert_eq!(s.rejected[0].0, "t:1");
    }

    /// The same in a file too large to be one document: every record after the
    /// broken line is read, each at its own line, wherever the limit falls.
    #[test]
    fn a_broken_first_line_does_not_lose_a_large_file() {
        let input = format!("{{\"truncated\": tru\n{}", format!("{REC}\n\n").repeat(500));
        for max_document_bytes in [200, 1_000, 1_001, 7_777] {
            let mut s = Seen::default();
            let limits = Limits {
                max_record_bytes: 1000,
                max_document_bytes,
                max_file_bytes: 1 << 20,
            };
            read_stream(input.as_bytes(), "t", &limits, &mut s);
            assert_eq!(
                s.records.len(),
                500,
                "{max_document_bytes}: {:?}",
                s.rejected
            );
            assert_eq!(s.rejected.len(), 1, "{:?}", s.rejected);
            assert_eq!(s.rejected[0].0, "t:1");
            assert_eq!(s.records[0].0, "t:2");
            assert_eq!(s.records[499].0, "t:1000");
        }
        // A document that is too large stays one located rejection: records
        // one per line, or pretty-printed with lines that stand alone (strings
        // in arrays, an empty object).
        let pretty = "{\n \"eventVersion\": \"1.08\",\n \"policies\": [\n  \"arn:aws:iam::aws:policy/X\"\n ],\n \"tags\": [\n  {}\n ]\n},\n";
        let limits = Limits {
            max_record_bytes: 1000,
            max_document_bytes: 1_000,
            max_file_bytes: 1 << 20,
        };
        for doc in [
            format!("{{\"Records\": [\n{}]}}\n", format!("{REC},\n").repeat(500)),
            format!("{{\n\"Records\": [\n{}]}}\n", pretty.repeat(100)),
            format!("[\n{}]\n", format!("{REC}\n,").repeat(500)),
        ] {
            let mut s = Seen::default();
            read_stream(doc.as_bytes(), "t", &limits, &mut s);
            assert!(s.records.is_empty());
            assert_eq!(s.rejected.len(), 1, "{:?}", s.rejected.first());
            assert!(
                s.rejected[0].1.contains("over the 1000-byte limit"),
                "{:?}",
                s.rejected
            );
        }
        let doc = format!("{{\"Records\": [\n{}]}}\n", format!("{REC},\n").repeat(500));
        let mut s = Seen::default();
        read_stream(doc.as_bytes(), "t", &limits, &mut s);
        assert!(s.records.is_empty());
        assert_eq!(s.rejected.len(), 1);
        assert!(
            s.rejected[0].1.contains("over the 1000-byte limit"),
            "{:?}",
            s.rejected
        );
    }

    /// From a new user's review: a duplicate key is named as the document
    /// writes it (it was `EventName`).
    #[test]
    fn a_duplicate_key_is_named_as_written() {
        for (text, key) in [
            (r#"{"eventName":"A","eventName":"B"}"#, "\"eventName\""),
            (r#"{"Records":[],"Records":[]}"#, "\"Records\""),
            (
                r#"{"detail-type":"x","detail-type":"y"}"#,
                "\"detail-type\"",
            ),
        ] {
            let s = read(text.as_bytes());
            assert_eq!(s.rejected.len(), 1, "{text}");
            assert!(
                s.rejected[0].1.contains(&format!("duplicate key {key}")),
                "{:?}",
                s.rejected
            );
        }
    }

    /// A broken document is one located error, after its complete records.
    #[test]
    fn a_broken_document_is_one_located_error() {
        let s = read(b"{\n \"Records\": [\n  {\"eventName\": \"X\"},\n  {\"eventName\": \n");
        assert_eq!(s.records.len(), 1, "{:?}", s.rejected);
        assert_eq!(s.rejected.len(), 1);
        assert_eq!(s.rejected[0].0, "t:1 (record 2)");
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
                max_document_bytes: 50_000,
                max_file_bytes: 1000,
            },
            &mut s,
        );
        // 1000 bytes hold 16 whole lines of 61 bytes (976); the 17th is cut
        // off, and the limit's error stands at its line.
        assert_eq!(s.records.len(), 16);
        assert_eq!(
            s.rejected,
            [(
                "t:17".to_owned(),
                "read error: input is larger than the 1000-byte limit (--max-file-bytes)"
                    .to_owned()
            )]
        );
        assert!(read(b"").rejected[0].1.contains("empty"));
        assert!(read(b"  \n\n").rejected[0].1.contains("empty"));
    }
}
