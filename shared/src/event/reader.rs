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
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use serde::{Deserialize, de};
use serde_json::value::RawValue;

use super::Record;
use crate::engine::Prepared;

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

/// The reason a record that does not parse is rejected with.
pub fn invalid_record(e: &serde_json::Error) -> String {
    format!("invalid record: {e}")
}

/// Input files named on the command line, expanded: directories are walked
/// recursively (sorted, `.json`, `.jsonl`, `.ndjson` and `.gz` files only);
/// files named explicitly are taken whatever their extension. CloudTrail log
/// files (a copy of a trail's bucket, or its files named one by one) come in
/// the order an `s3://` replay reads them, across all the paths given: see
/// `archive_order`. Named a Region at a time (`us-east-1/* eu-west-1/*`), a
/// caller's records would otherwise reach the windows a Region at a time.
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
            let mut found = Vec::new();
            walk(p, &mut found)?;
            out.extend(found);
        } else {
            // A named file that cannot be opened is refused before anything is
            // read, as a missing one is. Not a named pipe: opening it would wait
            // for its writer (it is read when its turn comes).
            #[cfg(unix)]
            let fifo = std::os::unix::fs::FileTypeExt::is_fifo(&meta.file_type());
            #[cfg(not(unix))]
            let fifo = false;
            if !fifo {
                std::fs::File::open(p)
                    .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", p.display())))?;
            }
            out.push(p.clone());
        }
    }
    archive_order(&mut out);
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
        } else if is_input_name(&path) && regular_file(&path, kind) {
            out.push(path);
        }
    }
    Ok(())
}

/// Only regular files (or links to one) are read from a directory: opening a
/// named pipe or a device found there would wait for a writer forever. (A path
/// named on the command line is read whatever it is.)
fn regular_file(path: &Path, kind: std::fs::FileType) -> bool {
    kind.is_file() || (kind.is_symlink() && std::fs::metadata(path).is_ok_and(|m| m.is_file()))
}

/// Puts the CloudTrail log files among `files` in the order an `s3://` replay
/// reads a trail's bucket: day folder, then delivery minute in the file name,
/// then as given (a directory's files sorted by path). They take one another's
/// places; every other file, and stdin, keeps its place (a review of this
/// change: a later export named after the logs was read before them). Sorted
/// by path, a copy of the bucket would be read one account and Region after
/// another, each through every day: a caller's records would then reach the
/// windows up to a day out of time order, past the three hours the in-memory
/// state is sure to keep.
pub fn archive_order(files: &mut [PathBuf]) {
    let keys: Vec<Option<(i64, Option<i64>)>> = files
        .iter()
        .map(|p| {
            // Lossy: a log file under a directory whose name is not UTF-8 is
            // still known by its layout's part, which is.
            crate::archive::layout::LogKey::parse(&p.to_string_lossy()).map(|k| (k.day, k.minute))
        })
        .collect();
    let slots: Vec<usize> = (0..files.len()).filter(|&i| keys[i].is_some()).collect();
    let mut logs: Vec<(usize, PathBuf)> = slots
        .iter()
        .map(|&i| (i, std::mem::take(&mut files[i])))
        .collect();
    // Stable: ties keep the order given.
    logs.sort_by_key(|(i, _)| keys[*i]);
    for (slot, (_, path)) in slots.into_iter().zip(logs) {
        files[slot] = path;
    }
}

fn is_input_name(p: &Path) -> bool {
    is_input_file_name(&p.file_name().unwrap_or_default().to_string_lossy())
}

/// Whether a file of a directory (or an S3 day folder) is read: its name ends
/// in `.json`, `.jsonl`, `.ndjson` or `.gz`, in any letter case; `.DS_Store`,
/// notes and temporary files are not.
pub fn is_input_file_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
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

/// A decompressed stream up to this size is read whole before its lines are
/// split: a CloudTrail log file is one line of a few MB, which is then handed
/// over in place instead of being assembled piece by piece from the read buffer.
const WHOLE_GZ: usize = 8 << 20;

thread_local! {
    /// The buffer [`read_gz`] decompresses into, kept per thread and never
    /// cleared, so that neither its capacity nor its zeroing is paid again for
    /// the next file.
    static DECODED: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// Reads decompressed text: whole when it is small (the usual CloudTrail log
/// file), else its first [`WHOLE_GZ`] bytes and then the rest as it comes. Lines,
/// errors and their line numbers are those of reading it as one stream.
fn read_gz(mut decoded: impl Read, source: &str, limits: &Limits, sink: &mut impl Sink) {
    let mut buf = DECODED.take();
    let (len, outcome) = fill(&mut decoded, &mut buf);
    match outcome {
        Filled::All => return read_whole(buf, len, source, limits, sink),
        Filled::More => read_plain(
            buf[..len].chain(BufReader::with_capacity(BUFFER, decoded)),
            source,
            limits,
            sink,
        ),
        // What came before the error is read, then the error is reported where
        // the stream broke off. A last line without its newline that is a whole
        // JSON value (a CloudTrail log file, then junk after its gzip member)
        // is read too, and the error goes on the line after it (from a review:
        // streamed, that line was lost with the error); a line cut off by the
        // error (a truncated file) is not a line of its own.
        Filled::Failed(e) => {
            let text = &buf[..len];
            let tail = text.rsplit(|b| *b == b'\n').next().unwrap_or(text);
            if !tail.is_empty() && serde_json::from_slice::<serde::de::IgnoredAny>(tail).is_ok() {
                let lines = memchr::memchr_iter(b'\n', text).count() + 1;
                read_whole(buf, len, source, limits, sink);
                sink.rejected(&at(source, Some(lines as u64 + 1)), &read_error(&e));
                return;
            }
            read_plain(
                buf[..len].chain(BufReader::new(FailOnce(Some(e)))),
                source,
                limits,
                sink,
            )
        }
    }
    DECODED.set(buf);
}

/// Reads the whole decompressed text `buf[..len]`, then keeps `buf` for the
/// thread's next file. A last line without its newline is still a line.
fn read_whole(mut buf: Vec<u8>, len: usize, source: &str, limits: &Limits, sink: &mut impl Sink) {
    let mut end = len;
    if len > 0 && buf[len - 1] != b'\n' {
        if len == buf.len() {
            buf.push(b'\n');
        } else {
            buf[len] = b'\n';
        }
        end += 1;
    }
    read_plain(&buf[..end], source, limits, sink);
    DECODED.set(buf);
}

/// A gzip file of up to this size is read whole and decompressed in one call
/// ([`super::gunzip`]); CloudTrail log files are a few hundred KB.
#[cfg(feature = "cli-gunzip")]
const WHOLE_GZ_FILE: usize = 4 << 20;

#[cfg(feature = "cli-gunzip")]
thread_local! {
    /// The compressed bytes of the gzip file being read (see [`read_gz_file`]).
    static COMPRESSED: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// Reads a gzip file: in one call when it is small and plain (one member), else
/// streamed by [`read_gz`] from the same bytes, with the same outcome.
#[cfg(feature = "cli-gunzip")]
fn read_gz_file(mut input: impl BufRead, source: &str, limits: &Limits, sink: &mut impl Sink) {
    let stream = |head: &[u8], rest: &mut dyn BufRead, sink: &mut _| {
        let decoder = flate2::bufread::MultiGzDecoder::new(head.chain(rest));
        read_gz(
            Capped::new(decoder, limits.max_file_bytes),
            source,
            limits,
            sink,
        );
    };
    // Kept per thread like `DECODED`: a fresh buffer for every file was grown
    // by reallocation, each time into pages the kernel had to zero.
    let mut compressed = COMPRESSED.take();
    compressed.clear();
    let read = (&mut input)
        .take(WHOLE_GZ_FILE as u64 + 1)
        .read_to_end(&mut compressed);
    match read {
        Ok(n) if n <= WHOLE_GZ_FILE => {
            let max = usize::try_from(limits.max_file_bytes).map_or(WHOLE_GZ, |m| m.min(WHOLE_GZ));
            let mut buf = DECODED.take();
            match super::gunzip::whole(&compressed, &mut buf, max) {
                Some(len) => read_whole(buf, len, source, limits, sink),
                None => {
                    DECODED.set(buf);
                    stream(&compressed, &mut io::empty(), sink);
                }
            }
        }
        Ok(_) => stream(&compressed, &mut input, sink),
        // The streaming decoder meets the error where the file broke off.
        Err(e) => stream(&compressed, &mut BufReader::new(FailOnce(Some(e))), sink),
    }
    COMPRESSED.set(compressed);
}

/// How [`fill`] ended.
enum Filled {
    /// The stream ended.
    All,
    /// [`WHOLE_GZ`] bytes were read; the stream may go on.
    More,
    Failed(io::Error),
}

/// Reads `input` into `buf` from its start, up to [`WHOLE_GZ`] bytes, and says
/// how many. `buf` is only grown (zeroed once), never shrunk.
fn fill(input: &mut impl Read, buf: &mut Vec<u8>) -> (usize, Filled) {
    let mut len = 0;
    loop {
        if len == buf.len() {
            if len >= WHOLE_GZ {
                return (len, Filled::More);
            }
            buf.resize((len * 2).clamp(BUFFER, WHOLE_GZ), 0);
        }
        match input.read(&mut buf[len..]) {
            Ok(0) => return (len, Filled::All),
            Ok(n) => len += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (len, Filled::Failed(e)),
        }
    }
}

/// A reader that fails once with the error it holds, then ends.
struct FailOnce(Option<io::Error>);

impl Read for FailOnce {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        self.0.take().map_or(Ok(0), Err)
    }
}

pub(super) fn at(source: &str, line: Option<u64>) -> Location {
    Location {
        source: source.to_owned(),
        line,
        record: None,
    }
}

/// Reads decompressed text: JSON lines, or one document spread over many lines.
fn read_plain(mut input: impl BufRead, source: &str, limits: &Limits, sink: &mut impl Sink) {
    // UTF-16 (PowerShell 5's `>`): one clear rejection, not one per line.
    if let Ok(head) = input.fill_buf()
        && starts_utf16(head)
    {
        sink.rejected(
            &at(source, None),
            "UTF-16 text (it starts with a UTF-16 byte-order mark): trailwatch reads UTF-8; \
             convert it (iconv -f UTF-16 -t UTF-8, or PowerShell's Out-File -Encoding utf8)",
        );
        return;
    }
    let mut lines = Lines::new(limits.max_document_bytes, u64::MAX);
    // The first non-blank line decides: a complete JSON value means JSON lines.
    let mut whole: Option<(u64, Vec<u8>)> = None;
    let mut json_lines = false;
    let read = lines.each(&mut input, |no, line| {
        if json_lines {
            json_line(no, line, source, limits, sink);
            return ControlFlow::Continue(());
        }
        let line = match line {
            Ok(l) => trim_line(l),
            Err(_) => {
                json_lines = true;
                json_line(no, line, source, limits, sink);
                return ControlFlow::Continue(());
            }
        };
        if line.is_empty() {
            return ControlFlow::Continue(());
        }
        if decides_json_lines(no, line, source, limits, sink) {
            json_lines = true;
            ControlFlow::Continue(())
        } else {
            whole = Some((no, line.to_vec()));
            ControlFlow::Break(())
        }
    });
    if let Err((no, e)) = read {
        sink.rejected(&at(source, Some(no)), &read_error(&e));
        return;
    }
    let Some((first, mut whole)) = whole else {
        if !json_lines {
            sink.rejected(&at(source, None), "empty input: no JSON value");
        }
        return;
    };
    // One document over several lines: read the rest, then parse it whole.
    let first_len = whole.len();
    whole.push(b'\n');
    let room = limits.max_document_bytes.saturating_sub(whole.len()) as u64;
    let mut rest = (&mut input).take(room.saturating_add(1));
    if let Err(e) = rest.read_to_end(&mut whole) {
        sink.rejected(&at(source, Some(first)), &read_error(&e));
        return;
    }
    if whole.len() > limits.max_document_bytes {
        // Too large for one document: maybe JSON lines whose first line is
        // broken (a truncated head, a line of junk). If the first line does not
        // open a document and a later line is an object on its own, the file is
        // read as JSON lines from its first line, instead of losing every record
        // to one rejection. (A pretty-printed document has lines that stand
        // alone too, strings in arrays: it keeps its one rejection, which names
        // the limit to raise.)
        let complete = whole.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let opens_document = matches!(trim_line(&whole[..first_len]).last(), Some(b'{' | b'['));
        if !opens_document && value_after_first(&whole[..complete], true) {
            let tail = whole.split_off(complete);
            json_lines_after_all(
                &whole,
                first,
                io::Cursor::new(tail).chain(input),
                source,
                limits,
                sink,
            );
            return;
        }
        sink.rejected(
            &at(source, Some(first)),
            &format!(
                "document over the {}-byte limit (--max-document-bytes)",
                limits.max_document_bytes
            ),
        );
        return;
    }
    match parse(&whole) {
        Ok((text, node)) => handle(node, text, &at(source, Some(first)), 0, limits, sink),
        Err(e @ Unparsed::NotUtf8(_)) => sink.rejected(&at(source, Some(first)), &e.to_string()),
        Err(Unparsed::Json(whole_err))
            if concatenated(&whole, &whole_err, Some(first), source, limits, sink) => {}
        Err(Unparsed::Json(whole_err)) => {
            // Maybe JSON lines whose first line is broken: if any later line stands
            // on its own, report lines one by one; else the file is one bad document.
            if value_after_first(&whole, false) {
                each_line_as_document(&whole, Some(first), source, limits, sink);
            } else {
                let line = first + whole_err.line().saturating_sub(1) as u64;
                sink.rejected(
                    &at(source, Some(line)),
                    &Unparsed::Json(whole_err).to_string(),
                );
            }
        }
    }
}

/// Some line after the first of `text` is a JSON value on its own: JSON lines
/// whose first line is broken, not one document. `objects`: only a non-empty
/// object counts (a record; a pretty-printed document has lines that stand
/// alone too, strings in arrays, and empty objects, which hold no record).
fn value_after_first(text: &[u8], objects: bool) -> bool {
    text.split(|b| *b == b'\n')
        .skip(1)
        .any(|l| stands_alone(l, objects))
}

/// A line (trimmed) that is a JSON value on its own; with `objects`, a
/// non-empty object.
fn stands_alone(line: &[u8], objects: bool) -> bool {
    let l = trim_line(line);
    !l.is_empty()
        && (!objects || (l.len() > 2 && l.first() == Some(&b'{')))
        && serde_json::from_slice::<&RawValue>(l).is_ok()
}

/// Each non-blank line of `text` as a document of its own, numbered from
/// `first`: JSON lines found where one document was expected.
fn each_line_as_document(
    text: &[u8],
    first: Option<u64>,
    source: &str,
    limits: &Limits,
    sink: &mut impl Sink,
) {
    for (i, l) in text.split(|b| *b == b'\n').enumerate() {
        if !is_blank(l) {
            document(
                trim_line(l),
                source,
                first.map(|f| f + i as u64),
                limits,
                sink,
            );
        }
    }
}

/// A text that begins with a UTF-16 byte-order mark (PowerShell 5's `>`).
pub(super) fn starts_utf16(head: &[u8]) -> bool {
    head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF])
}

/// Reads `read` (whole lines, numbered from `first`, its last ending in a
/// newline) and then `rest` as JSON lines, numbered on from there.
fn json_lines_after_all(
    read: &[u8],
    first: u64,
    mut rest: impl BufRead,
    source: &str,
    limits: &Limits,
    sink: &mut impl Sink,
) {
    let mut no = first;
    for l in read[..read.len().saturating_sub(1)].split(|b| *b == b'\n') {
        json_line(no, Ok(l), source, limits, sink);
        no += 1;
    }
    let mut lines = Lines::new(limits.max_document_bytes, u64::MAX);
    lines.no = no - 1;
    let read = lines.each(&mut rest, |no, line| {
        json_line(no, line, source, limits, sink);
        ControlFlow::Continue(())
    });
    if let Err((no, e)) = read {
        sink.rejected(&at(source, Some(no)), &read_error(&e));
    }
}

fn too_large(len: usize, limits: &Limits) -> String {
    format!(
        "line of {len} bytes or more is over the {}-byte document limit (--max-document-bytes)",
        limits.max_document_bytes
    )
}

/// One line of an input known to be JSON lines: blank lines are skipped, an
/// oversized one (`Err(length)`) is reported, the rest are read as documents.
pub(super) fn json_line(
    no: u64,
    line: Result<&[u8], usize>,
    source: &str,
    limits: &Limits,
    sink: &mut impl Sink,
) {
    match line {
        Err(len) => sink.rejected(&at(source, Some(no)), &too_large(len, limits)),
        Ok(line) => {
            let line = trim_line(line);
            if line.is_empty() {
                return;
            }
            // An oversized line is parsed, so that it is reported, not skipped.
            if line.len() > limits.max_record_bytes {
                return document(line, source, Some(no), limits, sink);
            }
            if !sink.wanted(line) {
                return;
            }
            if let Ok(text) = crate::event::utf8::text(line)
                && !looks_like_envelope(text)
                && sink.try_record(&at(source, Some(no)), text)
            {
                return;
            }
            document(line, source, Some(no), limits, sink);
        }
    }
}

/// An EventBridge envelope names its `detail-type` near its start; such a line is
/// not offered as a record (parsing it as one would only be wasted). A guess that
/// is wrong either way costs time, never a different result.
fn looks_like_envelope(text: &str) -> bool {
    static DETAIL_TYPE: crate::event::prefilter::Needle =
        crate::event::prefilter::Needle::new("\"detail-type\"");
    DETAIL_TYPE.is_in(&text.as_bytes()[..text.len().min(512)])
}

/// The first non-blank line (trimmed) of a plain input: when it is a JSON value on
/// its own (or not UTF-8 at all), the input is JSON lines and the line is handled;
/// `false` (nothing reported) when it is the start of a document over many lines.
pub(super) fn decides_json_lines(
    no: u64,
    line: &[u8],
    source: &str,
    limits: &Limits,
    sink: &mut impl Sink,
) -> bool {
    match parse(line) {
        Ok((text, node)) => {
            handle(node, text, &at(source, Some(no)), 0, limits, sink);
            true
        }
        // A lone line of invalid UTF-8 is reported as what it is.
        Err(e @ Unparsed::NotUtf8(_)) => {
            sink.rejected(&at(source, Some(no)), &e.to_string());
            true
        }
        Err(Unparsed::Json(_)) => false,
    }
}

/// Whether a first non-blank line would make [`decides_json_lines`] answer `true`,
/// without handling it.
pub(super) fn starts_json_lines(line: &[u8]) -> bool {
    !matches!(parse(line), Err(Unparsed::Json(_)))
}

/// Splits a stream into lines, handing each over straight from the reader's buffer
/// when it lies wholly inside it (no copy), else from a scratch buffer. A line
/// longer than `max` is not kept: it is reported as `Err(its length)` and the
/// reader moves on to the next one. No line starting `end` bytes or more into the
/// input is read (a byte range of a file, see `split`).
pub(super) struct Lines {
    scratch: Vec<u8>,
    max: usize,
    /// Bytes of the current line dropped because it is over `max`.
    dropped: usize,
    /// Lines handed over so far.
    pub(super) no: u64,
    /// Bytes consumed from the input so far.
    offset: u64,
    end: u64,
}

impl Lines {
    pub(super) fn new(max: usize, end: u64) -> Self {
        Lines {
            scratch: Vec::new(),
            max,
            dropped: 0,
            no: 0,
            offset: 0,
            end,
        }
    }

    /// Calls `f(line number, line)` until the input ends or `f` breaks. A read
    /// error comes back with the number of the line it interrupted.
    pub(super) fn each(
        &mut self,
        input: &mut impl BufRead,
        mut f: impl FnMut(u64, Result<&[u8], usize>) -> ControlFlow<()>,
    ) -> Result<(), (u64, io::Error)> {
        loop {
            let at_line_start = self.scratch.is_empty() && self.dropped == 0;
            if at_line_start && self.offset >= self.end {
                return Ok(());
            }
            let buf = match input.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err((self.no + 1, e)),
            };
            if buf.is_empty() {
                // The last line, without a final newline.
                if !self.scratch.is_empty() || self.dropped > 0 {
                    self.no += 1;
                    let _ = self.deliver(&mut f);
                }
                return Ok(());
            }
            let (take, complete) = match memchr::memchr(b'\n', buf) {
                Some(i) => (i, true),
                None => (buf.len(), false),
            };
            let mut flow = ControlFlow::Continue(());
            if complete {
                self.no += 1;
                if self.scratch.is_empty() && self.dropped == 0 {
                    flow = if take > self.max {
                        f(self.no, Err(take))
                    } else {
                        f(self.no, Ok(&buf[..take]))
                    };
                } else {
                    self.append(&buf[..take]);
                    flow = self.deliver(&mut f);
                }
                input.consume(take + 1);
                self.offset += take as u64 + 1;
            } else {
                self.append(&buf[..take]);
                input.consume(take);
                self.offset += take as u64;
            }
            if flow.is_break() {
                return Ok(());
            }
        }
    }

    fn append(&mut self, part: &[u8]) {
        if self.dropped > 0 || self.scratch.len() + part.len() > self.max {
            self.dropped += self.scratch.len() + part.len();
            self.scratch.clear();
        } else {
            self.scratch.extend_from_slice(part);
        }
    }

    /// Hands over the line assembled in the scratch buffer (or its dropped length)
    /// and empties the buffer, keeping its allocation.
    fn deliver(
        &mut self,
        f: &mut impl FnMut(u64, Result<&[u8], usize>) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        let flow = if self.dropped > 0 {
            let len = std::mem::take(&mut self.dropped);
            f(self.no, Err(len))
        } else {
            f(self.no, Ok(&self.scratch))
        };
        self.scratch.clear();
        flow
    }
}

pub(super) fn read_error(e: &io::Error) -> String {
    format!("read error: {e}")
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

/// A line without its surrounding ASCII whitespace, nor a UTF-8 byte-order mark
/// before it: Windows tools (PowerShell, Notepad) begin a file with one, which no
/// JSON value can start with, so taking it away loses nothing.
pub(super) fn trim_line(line: &[u8]) -> &[u8] {
    let end = line
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |p| p + 1);
    let mut line = &line[..end];
    let start = line
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(end);
    line = &line[start..];
    if let Some(rest) = line.strip_prefix(b"\xEF\xBB\xBF") {
        let start = rest
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(rest.len());
        line = &rest[start..];
    }
    line
}

/// serde_json's message without its own "at line X column Y" (we say where).
fn json_error(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => format!("{} (column {})", &s[..i], e.column()),
        None => s,
    }
}

/// A JSON document, classified in the one pass that checks it: an array (its items
/// still raw), an object (the keys that tell what it is), or anything else.
enum Node<'a> {
    Array(Vec<&'a RawValue>),
    Object(Probe<'a>),
    Other,
}

/// The keys of a JSON object that tell what it is.
#[derive(Default)]
struct Probe<'a> {
    /// `Records`: its items if it is an array.
    records: Option<Option<Vec<&'a RawValue>>>,
    /// `Events` (`aws cloudtrail lookup-events`, newest first): its items if it
    /// is an array.
    lookup_events: Option<Option<Vec<&'a RawValue>>>,
    /// `events` (`aws logs filter-log-events`, `get-log-events`, oldest first).
    log_events: Option<Option<Vec<&'a RawValue>>>,
    detail: Option<&'a RawValue>,
    detail_type: bool,
    /// `CloudTrailEvent`: an item of a lookup-events export on its own
    /// (`jq -c '.Events[]'`).
    cloudtrail_event: bool,
    event_name: bool,
    event_source: bool,
}

impl Probe<'_> {
    fn is_record(&self) -> bool {
        self.event_name || self.event_source
    }
}

/// Why a document could not be read, as the reason a sink is given.
enum Unparsed {
    NotUtf8(std::str::Utf8Error),
    Json(serde_json::Error),
}

impl fmt::Display for Unparsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unparsed::NotUtf8(e) => write!(f, "not UTF-8 text ({e})"),
            Unparsed::Json(e) => write!(f, "malformed JSON: {}", json_error(e)),
        }
    }
}

/// Checks and classifies one JSON document in a single pass.
fn parse(bytes: &[u8]) -> Result<(&str, Node<'_>), Unparsed> {
    let text = crate::event::utf8::text(bytes).map_err(Unparsed::NotUtf8)?;
    let node = serde_json::from_str::<Node>(text).map_err(Unparsed::Json)?;
    Ok((text, node))
}

impl<'de> Deserialize<'de> for Node<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

/// The answer of a visitor to scalars: they are not arrays or objects.
macro_rules! scalars_are {
    ($value:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
}

impl<'de> de::Visitor<'de> for NodeVisitor {
    type Value = Node<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    scalars_are!(Node::Other);

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<&RawValue>()? {
            if items.len() >= MAX_ITEMS {
                return Err(de::Error::custom(format_args!(
                    "more than {MAX_ITEMS} items in one array: not CloudTrail records"
                )));
            }
            items.push(item);
        }
        Ok(Node::Array(items))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut p = Probe::default();
        while let Some(key) = map.next_key::<Key>()? {
            let seen = match key {
                Key::Records => p.records.replace(map.next_value::<Items>()?.0).is_some(),
                Key::LookupEvents => p
                    .lookup_events
                    .replace(map.next_value::<Items>()?.0)
                    .is_some(),
                Key::LogEvents => p.log_events.replace(map.next_value::<Items>()?.0).is_some(),
                Key::Detail => p.detail.replace(map.next_value()?).is_some(),
                Key::DetailType => flag(&mut p.detail_type, &mut map)?,
                Key::EventName => flag(&mut p.event_name, &mut map)?,
                Key::EventSource => flag(&mut p.event_source, &mut map)?,
                Key::CloudTrailEvent => flag(&mut p.cloudtrail_event, &mut map)?,
                Key::Other => {
                    map.next_value::<de::IgnoredAny>()?;
                    false
                }
            };
            if seen {
                return Err(de::Error::custom(format_args!("duplicate key {key:?}")));
            }
        }
        Ok(Node::Object(p))
    }
}

/// Marks a key as present; `true` if it already was.
fn flag<'de, A: de::MapAccess<'de>>(present: &mut bool, map: &mut A) -> Result<bool, A::Error> {
    map.next_value::<de::IgnoredAny>()?;
    Ok(std::mem::replace(present, true))
}

/// The keys `Probe` looks at, read without allocating.
#[derive(Debug, Clone, Copy)]
enum Key {
    Records,
    LookupEvents,
    LogEvents,
    Detail,
    DetailType,
    EventName,
    EventSource,
    CloudTrailEvent,
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_str<E: de::Error>(self, k: &str) -> Result<Key, E> {
                Ok(match k {
                    "Records" => Key::Records,
                    "Events" => Key::LookupEvents,
                    "events" => Key::LogEvents,
                    "detail" => Key::Detail,
                    "detail-type" => Key::DetailType,
                    "eventName" => Key::EventName,
                    "eventSource" => Key::EventSource,
                    "CloudTrailEvent" => Key::CloudTrailEvent,
                    _ => Key::Other,
                })
            }
        }
        d.deserialize_identifier(V)
    }
}

/// The items of an array, or `None` for any other value.
struct Items<'a>(Option<Vec<&'a RawValue>>);

/// The most items one array of a document may hold: each costs 16 bytes here
/// whatever its size, so a document of `[0,0,0,...]` within the size limit
/// (a few KiB gzipped) would take eight times that limit (from a review). A
/// CloudTrail record is hundreds of bytes: a 64 MiB document holds well under
/// half a million.
const MAX_ITEMS: usize = 1_000_000;

impl<'de> Deserialize<'de> for Items<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = Items<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }
            scalars_are!(Items(None));
            fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                match NodeVisitor.visit_seq(seq)? {
                    Node::Array(items) => Ok(Items(Some(items))),
                    _ => Ok(Items(None)),
                }
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map
                    .next_entry::<de::IgnoredAny, de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(Items(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// One JSON document in its own right (a JSON line): unwraps arrays, `Records`
/// files and envelopes into records.
fn document(bytes: &[u8], source: &str, line: Option<u64>, limits: &Limits, sink: &mut impl Sink) {
    let loc = at(source, line);
    match parse(bytes) {
        Ok((text, node)) => handle(node, text, &loc, 0, limits, sink),
        Err(Unparsed::Json(e)) if concatenated(bytes, &e, line, source, limits, sink) => {}
        Err(e) => sink.rejected(&loc, &e.to_string()),
    }
}

/// Documents written one after another (`cat` of CloudTrail files, which end
/// without a newline; `jq` without `-c`, which may print a `null` among them):
/// when `bytes`, refused as one document with `err` ("trailing characters"),
/// begins with an object or an array, each value is handled as a document at its
/// own line (a scalar is not CloudTrail), and `true`. What cannot be read after
/// them, if anything (a cut-off last file, junk), is read as JSON lines when a
/// line of it is an object on its own (records after a bad line are not lost),
/// else reported as one rejection at its line. `false` (nothing reported) when
/// `bytes` does not begin with a document: the caller goes on as before (a
/// cut-off first line of JSON lines may parse as a number and a string).
fn concatenated(
    bytes: &[u8],
    err: &serde_json::Error,
    first: Option<u64>,
    source: &str,
    limits: &Limits,
    sink: &mut impl Sink,
) -> bool {
    if !err.to_string().starts_with("trailing characters") {
        return false;
    }
    let Ok(text) = crate::event::utf8::text(bytes) else {
        return false;
    };
    let documents = || serde_json::Deserializer::from_str(text).into_iter::<&RawValue>();
    // First the values are counted, holding nothing (a line of a million `{}` is
    // not kept whole), up to where what follows them cannot be read. The first
    // must be an object or an array: a cut-off first line of JSON lines may
    // parse as a number and a string, and is no stream of documents.
    let (mut count, mut tail) = (0usize, None);
    let mut stream = documents();
    loop {
        let before = stream.byte_offset();
        match stream.next() {
            None => break,
            Some(Ok(v)) if count > 0 || v.get().starts_with(['{', '[']) => count += 1,
            Some(Ok(_)) => return false,
            Some(Err(e)) => {
                tail = Some((before, e));
                break;
            }
        }
    }
    // One document alone would have parsed; one and a tail is worth keeping.
    if count == 0 {
        return false;
    }
    // Line numbers counted on from the last value's, not from the start.
    let (mut line, mut counted_to) = (first, 0usize);
    let mut line_at = |offset: usize| {
        let start = text[offset..]
            .find(|c: char| !c.is_ascii_whitespace())
            .map_or(offset, |i| offset + i);
        let newlines = text.as_bytes()[counted_to..start]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        line = line.map(|l| l + newlines as u64);
        counted_to = start;
        (line, start)
    };
    let mut stream = documents();
    for _ in 0..count {
        let before = stream.byte_offset();
        let Some(Ok(raw)) = stream.next() else {
            break;
        };
        let loc = at(source, line_at(before).0);
        match serde_json::from_str::<Node>(raw.get()) {
            Ok(node) => handle(node, raw.get(), &loc, 0, limits, sink),
            Err(e) => sink.rejected(&loc, &Unparsed::Json(e).to_string()),
        }
    }
    if let Some((offset, e)) = tail {
        let (tail_line, start) = line_at(offset);
        let rest = &text.as_bytes()[start..];
        if rest.split(|b| *b == b'\n').any(|l| stands_alone(l, true)) {
            each_line_as_document(rest, tail_line, source, limits, sink);
        } else {
            sink.rejected(&at(source, tail_line), &Unparsed::Json(e).to_string());
        }
    }
    true
}

/// How deep arrays may nest around records (`[[record]]` is accepted, no deeper).
const MAX_WRAPPING: usize = 2;

/// A value inside a document (an array item, a `Records` item).
fn value(raw: &RawValue, loc: &Location, depth: usize, limits: &Limits, sink: &mut impl Sink) {
    let text = raw.get();
    // Most items are records: look at their bytes before parsing them.
    if text.starts_with('{') && (!admit(text, loc, limits, sink) || sink.try_record(loc, text)) {
        return;
    }
    match serde_json::from_str::<Node>(text) {
        Ok(node) => handle(node, text, loc, depth, limits, sink),
        Err(e) => sink.rejected(loc, &format!("unexpected structure: {}", json_error(&e))),
    }
}

/// The size limit, then the sink's prefilter: `false` when the item is done with.
fn admit(text: &str, loc: &Location, limits: &Limits, sink: &mut impl Sink) -> bool {
    if text.len() > limits.max_record_bytes {
        sink.rejected(
            loc,
            &format!(
                "record of {} bytes is over the {}-byte limit",
                text.len(),
                limits.max_record_bytes
            ),
        );
        return false;
    }
    sink.wanted(text.as_bytes())
}

fn handle(
    node: Node<'_>,
    text: &str,
    loc: &Location,
    depth: usize,
    limits: &Limits,
    sink: &mut impl Sink,
) {
    match node {
        Node::Array(items) if depth < MAX_WRAPPING => each_item(items, loc, depth, limits, sink),
        Node::Array(_) | Node::Other => sink.not_cloudtrail(loc),
        Node::Object(p) if p.is_record() => {
            // Items were admitted before they were parsed; documents not yet.
            if depth > 0 || admit(text, loc, limits, sink) {
                sink.record(loc, text);
            }
        }
        Node::Object(Probe {
            records: Some(records),
            ..
        }) => match records {
            Some(items) if depth < MAX_WRAPPING => each_item(items, loc, depth, limits, sink),
            Some(_) => sink.rejected(loc, "\"Records\" nested too deeply"),
            None => sink.rejected(loc, "\"Records\" is not an array"),
        },
        Node::Object(Probe {
            detail: Some(detail),
            detail_type: true,
            ..
        }) => envelope(detail, loc, limits, sink),
        // lookup-events lists the newest first: read oldest first, as the
        // windows and first-seen detections expect (each keeps its own place).
        Node::Object(Probe {
            lookup_events: Some(Some(items)),
            ..
        }) => each_exported(items, true, loc, limits, sink),
        Node::Object(Probe {
            log_events: Some(Some(items)),
            ..
        }) => each_exported(items, false, loc, limits, sink),
        Node::Object(Probe {
            cloudtrail_event: true,
            ..
        }) => exported(text, loc, limits, sink),
        Node::Object(_) => sink.not_cloudtrail(loc),
    }
}

/// The items of an AWS CLI export, each at its own place in the list, read
/// last to first when the list is `newest_first`.
fn each_exported(
    items: Vec<&RawValue>,
    newest_first: bool,
    loc: &Location,
    limits: &Limits,
    sink: &mut impl Sink,
) {
    let mut l = loc.clone();
    let mut read = |(i, item): (usize, &RawValue)| {
        l.record = Some(i + 1);
        exported(item.get(), &l, limits, sink);
    };
    if newest_first {
        items.into_iter().enumerate().rev().for_each(&mut read);
    } else {
        items.into_iter().enumerate().for_each(&mut read);
    }
}

/// An item of an AWS CLI export: `lookup-events` gives each record as the JSON
/// text of `CloudTrailEvent` (already an object after `jq '... |= fromjson'`),
/// CloudWatch Logs (a trail, or an EventBridge rule, delivering to a log group)
/// as the text of `message`. Text that is not JSON is rejected, as a malformed
/// line is.
fn exported(item: &str, loc: &Location, limits: &Limits, sink: &mut impl Sink) {
    #[derive(Deserialize)]
    struct Exported<'a> {
        #[serde(rename = "CloudTrailEvent", borrow, default)]
        cloudtrail_event: Option<&'a RawValue>,
        #[serde(borrow, default)]
        message: Option<&'a RawValue>,
    }
    // `CloudTrailEvent` is always a record; a log group's `message` may be any
    // text (an application's log line is not CloudTrail, not malformed input).
    let (raw, always_a_record) = match serde_json::from_str::<Exported>(item) {
        Ok(Exported {
            cloudtrail_event: Some(r),
            ..
        }) => (r, true),
        Ok(Exported {
            message: Some(r), ..
        }) => (r, false),
        _ => return sink.not_cloudtrail(loc),
    };
    let text: std::borrow::Cow<'_, str> = match raw.get().as_bytes().first() {
        Some(b'"') => match serde_json::from_str::<String>(raw.get()) {
            Ok(t) => t.into(),
            Err(_) => return sink.not_cloudtrail(loc),
        },
        Some(b'{') => raw.get().into(),
        _ => return sink.not_cloudtrail(loc),
    };
    match serde_json::from_str::<Node>(&text) {
        Ok(Node::Object(p)) if p.is_record() => {
            if admit(&text, loc, limits, sink) {
                sink.record(loc, &text);
            }
        }
        Ok(Node::Object(Probe {
            detail: Some(detail),
            detail_type: true,
            ..
        })) => envelope(detail, loc, limits, sink),
        Err(e) if always_a_record => sink.rejected(loc, &Unparsed::Json(e).to_string()),
        _ => sink.not_cloudtrail(loc),
    }
}

fn each_item(
    items: Vec<&RawValue>,
    loc: &Location,
    depth: usize,
    limits: &Limits,
    sink: &mut impl Sink,
) {
    let mut l = loc.clone();
    for (i, item) in items.into_iter().enumerate() {
        l.record = Some(i + 1);
        value(item, &l, depth + 1, limits, sink);
    }
}

/// An EventBridge envelope: the record is its `detail`.
fn envelope(detail: &RawValue, loc: &Location, limits: &Limits, sink: &mut impl Sink) {
    let text = detail.get();
    if !text.starts_with('{') {
        return sink.not_cloudtrail(loc);
    }
    match serde_json::from_str::<Node>(text) {
        Ok(Node::Object(p)) if p.is_record() => {
            if admit(text, loc, limits, sink) {
                sink.record(loc, text);
            }
        }
        Ok(_) => sink.not_cloudtrail(loc),
        Err(e) => sink.rejected(
            loc,
            &format!("unexpected structure in detail: {}", json_error(&e)),
        ),
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

    /// A directory holding a copy of a trail's bucket is read day by day, then by
    /// delivery minute (across accounts and Regions), as `s3://` reads it; other
    /// files keep their places. A log file named on its own takes its place
    /// among the directory's (from a review: named a Region at a time, a
    /// caller's records reached the windows a Region at a time).
    #[test]
    fn a_copy_of_a_trails_bucket_is_read_in_delivery_order() {
        let root = std::env::temp_dir().join(format!("trailwatch-order-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let log = |account: &str, region: &str, day: &str, stamp: &str| {
            let dir = format!("AWSLogs/{account}/CloudTrail/{region}/2026/02/{day}");
            let name = format!("{account}_CloudTrail_{region}_202602{day}T{stamp}Z_x.json.gz");
            format!("{dir}/{name}")
        };
        let files = [
            log("111122223333", "ap-southeast-2", "25", "2350"),
            log("111122223333", "eu-west-1", "25", "1100"),
            log("111122223333", "us-east-1", "25", "1000"),
            log("111122223333", "us-east-1", "26", "0005"),
            log("444455556666", "eu-west-1", "25", "1000"),
            "AWSLogs/notes.jsonl".to_owned(),
            "extra/a.json".to_owned(),
        ];
        for f in &files {
            let path = root.join(f);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, b"").unwrap();
        }
        let lone = root.join(&files[0]);
        let got: Vec<String> = expand_paths(&[root.clone(), lone])
            .unwrap()
            .iter()
            .map(|p| p.strip_prefix(&root).unwrap().to_str().unwrap().to_owned())
            .collect();
        // The other files keep their places (path order: AWSLogs/1111... <
        // AWSLogs/4444... < AWSLogs/notes.jsonl < extra/); the log files take
        // the other slots in delivery order.
        let want: Vec<&str> = [2, 4, 1, 0, 0, 5, 6, 3]
            .iter()
            .map(|&i| files[i].as_str())
            .collect();
        assert_eq!(got, want);
        std::fs::remove_dir_all(&root).unwrap();
    }

    /// A log file under a directory whose name is not UTF-8 still takes its
    /// place by day and minute.
    #[cfg(unix)]
    #[test]
    fn a_log_file_under_a_non_utf8_folder_is_ordered_too() {
        use std::os::unix::ffi::OsStrExt;
        let odd = std::ffi::OsStr::from_bytes(b"copy-\xff");
        let key = |day: &str, stamp: &str| {
            Path::new(odd).join(format!(
                "AWSLogs/111122223333/CloudTrail/us-east-1/2026/02/{day}/111122223333_CloudTrail_us-east-1_202602{day}T{stamp}Z_x.json.gz"
            ))
        };
        let (later, earlier) = (key("26", "0005"), key("25", "1000"));
        let mut files = vec![later.clone(), earlier.clone()];
        archive_order(&mut files);
        assert_eq!(files, [earlier, later]);
    }

    /// A named pipe in a directory is not opened (it would block the replay
    /// forever); a link to a file is read, a dangling one is not.
    #[cfg(unix)]
    #[test]
    fn a_directory_walk_takes_regular_files_only() {
        let root = std::env::temp_dir().join(format!("trailwatch-walk-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("a.jsonl"), b"").unwrap();
        let made = std::process::Command::new("mkfifo")
            .arg(root.join("pipe.jsonl"))
            .status()
            .unwrap();
        assert!(made.success());
        std::os::unix::fs::symlink(root.join("a.jsonl"), root.join("b.jsonl")).unwrap();
        std::os::unix::fs::symlink(root.join("gone.jsonl"), root.join("c.jsonl")).unwrap();
        let got: Vec<String> = expand_paths(std::slice::from_ref(&root))
            .unwrap()
            .iter()
            .map(|p| p.strip_prefix(&root).unwrap().to_str().unwrap().to_owned())
            .collect();
        assert_eq!(got, ["a.jsonl", "b.jsonl"]);
        std::fs::remove_dir_all(&root).unwrap();
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

    /// A sink that parses records, as replay does; with `.1`, it also takes the
    /// records offered before classification ([`Sink::try_record`]).
    #[derive(Default)]
    struct Parsing(Vec<String>, bool);

    impl Sink for Parsing {
        fn record(&mut self, loc: &Location, json: &str) {
            match crate::event::Record::from_json(json) {
                Ok(rec) => self.0.push(format!("{loc} record {}", rec.event_name())),
                Err(e) => self.rejected(loc, &invalid_record(&e)),
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
                max_document_bytes: 50_000,
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
