//! Cuts one large plain JSON-lines file into byte ranges that threads read apart.
//!
//! A file is cut into chunks of a fixed size at arbitrary offsets; a line belongs
//! to the chunk it starts in, so the reader of a chunk skips the partial line it
//! starts in the middle of, and reads its own last line to its end past the chunk.
//! Each chunk numbers its lines from 1 and says how many it held: whoever puts the
//! chunks back in order adds the lines of the chunks before (see `parallel`), and
//! every location reads as it does when the file is read in one go.
//!
//! Only what [`read_path`](super::reader::read_path) would read as JSON
//! lines is cut: the first non-blank line is a JSON value on its own. A gzip file
//! (a deflate stream cannot be entered in the middle), a document spread over many
//! lines (a pretty-printed `Records` file), stdin and anything that is not a
//! regular file are read whole, as before.

use std::fs::File;
use std::io::{self, BufRead, Read, Seek, SeekFrom};
use std::ops::{ControlFlow, Range};
use std::path::Path;

use super::reader::{self, BUFFER, Limits, Lines, Sink, at};

/// The default chunk size: large enough that the per-chunk work (open, seek, one
/// buffer) is lost in the reading, small enough that a few chunks in flight per
/// thread keep memory low.
pub const DEFAULT_CHUNK_BYTES: u64 = 4 << 20;

/// One byte range of a file to read as JSON lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub range: Range<u64>,
    /// The line (counted from the chunk's start) that decides the file's form, in
    /// the first chunk only; it is handled as a sequential read handles it.
    pub first_line: Option<u64>,
    /// The file's last chunk.
    pub last: bool,
}

/// How a chunk ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkEnd {
    /// Every line starting in the range was handed over; this many.
    Lines(u64),
    /// A read error, reported at its line: nothing after it in the file is read.
    Failed,
}

/// The chunks of `path` when it is a regular file larger than `chunk_bytes` that
/// reads as JSON lines, else `None` (read it whole). Looks at the file's first
/// `PROBE_BYTES` (or `chunk_bytes`) at most.
pub fn plan(path: &Path, limits: &Limits, chunk_bytes: u64) -> Option<Vec<Chunk>> {
    let chunk_bytes = chunk_bytes.max(1);
    // `-` is standard input to the reader, whatever file of that name exists.
    if path.as_os_str() == "-" {
        return None;
    }
    let meta = std::fs::metadata(path).ok()?;
    let size = meta.len();
    // A file over the file limit is read whole, to be cut off where the limit says.
    if !meta.is_file() || size <= chunk_bytes || size > limits.max_file_bytes {
        return None;
    }
    let probe = chunk_bytes.max(PROBE_BYTES);
    let (first_line, first_end) = first_line(File::open(path).ok()?, limits, probe)?;
    // The first chunk holds the line that decides, so that it knows which it is.
    let first = chunk_bytes.max(first_end);
    if first >= size {
        return None;
    }
    // Each cut is moved on to where a document must begin, so that no document
    // spread over lines (pretty-printed among JSON lines) is split between two
    // chunks: findings must not depend on the threads (from a review).
    let mut file = io::BufReader::with_capacity(BUFFER, File::open(path).ok()?);
    let mut starts = vec![0];
    let mut nominal = first;
    while nominal < size {
        match document_start_from(&mut file, nominal).ok()? {
            Some(start) => {
                starts.push(start);
                nominal = start.saturating_add(chunk_bytes);
            }
            None => break,
        }
    }
    if starts.len() < 2 {
        return None;
    }
    let chunks = starts
        .iter()
        .enumerate()
        .map(|(i, &start)| Chunk {
            range: start..starts.get(i + 1).copied().unwrap_or(size),
            first_line: (i == 0).then_some(first_line),
            last: i + 1 == starts.len(),
        })
        .collect();
    Some(chunks)
}

/// How far [`plan`] looks for the first non-blank line.
const PROBE_BYTES: u64 = 1 << 20;

/// How far before a cut [`document_start_from`] starts reading, to see how the
/// line before the cut ends.
const LOOK_BACK: u64 = 256;

/// The first line start at or after `from` where a document must begin: the line
/// opens with `{` or `[`, and the last non-blank line before it ends with `}` or
/// `]`. Inside one JSON value no such pair of lines can occur (a comma would stand
/// between them, and a string cannot hold a raw newline), so a cut there splits no
/// document, whatever its layout; JSON lines meet it at every line. `None` when no
/// such line starts before the end of the file. A line whose end lies before what
/// was read is taken as not closing a document (the cut moves one line on).
///
/// Not the readers' restart points (`framing::Restarts`,
/// `stream::Walker::begins_again`): those guess where reading can go on in
/// damaged text; this must never cut a valid file inside a document, so it asks
/// more of a line and guesses nothing.
fn document_start_from(file: &mut io::BufReader<File>, from: u64) -> io::Result<Option<u64>> {
    let mut pos = from.saturating_sub(LOOK_BACK);
    file.seek(SeekFrom::Start(pos))?;
    // Whether the last non-blank line seen ends a document; unknown (false) for
    // the line the reading starts in, unless it starts the file. The tail of a
    // line entered in the middle tells how it ends too.
    let mut closed = false;
    let mut at_line_start = pos == 0;
    // The last non-blank byte of the current line, if any yet.
    let mut last: Option<u8> = None;
    loop {
        let buf = filled(file)?;
        if buf.is_empty() {
            return Ok(None);
        }
        let mut used = 0;
        for &b in buf {
            if at_line_start {
                if pos + used as u64 >= from && closed && matches!(b, b'{' | b'[') {
                    return Ok(Some(pos + used as u64));
                }
                at_line_start = false;
            }
            used += 1;
            if b == b'\n' {
                if let Some(l) = last.take() {
                    closed = matches!(l, b'}' | b']');
                }
                at_line_start = true;
            } else if !b.is_ascii_whitespace() {
                last = Some(b);
            }
        }
        file.consume(used);
        pos += used as u64;
    }
}

/// The number of the first non-blank line, and the offset after it, when it lies
/// wholly in the first `limit` bytes and makes the input JSON lines; `None` for
/// gzip, a document spread over lines, or a first line too long to tell.
fn first_line(file: File, limits: &Limits, limit: u64) -> Option<(u64, u64)> {
    let mut head = Vec::new();
    let mut input = file.take(limit);
    let mut scanned = 0;
    let mut no = 0;
    loop {
        let before = head.len();
        let n = (&mut input)
            .take(BUFFER as u64)
            .read_to_end(&mut head)
            .ok()?;
        // Gzip, and UTF-16 (one rejection for the whole file, as read whole), are
        // not cut.
        if before == 0 && (head.starts_with(&[0x1f, 0x8b]) || reader::starts_utf16(&head)) {
            return None;
        }
        while let Some(i) = memchr::memchr(b'\n', &head[scanned..]) {
            let line = &head[scanned..scanned + i];
            no += 1;
            scanned += i + 1;
            if line.len() > limits.max_document_bytes {
                return None;
            }
            let line = reader::trim_line(line);
            if !line.is_empty() {
                return reader::starts_json_lines(line).then_some((no, scanned as u64));
            }
        }
        if n == 0 {
            return None;
        }
    }
}

/// Reads the lines starting in `chunk` of `path` into `sink`, numbered from 1 at
/// the first of them, exactly as a sequential read hands over JSON lines.
pub fn read_chunk(path: &Path, chunk: &Chunk, limits: &Limits, sink: &mut impl Sink) -> ChunkEnd {
    let source = path.display().to_string();
    let start = chunk.range.start;
    let opened = File::open(path).and_then(|mut f| {
        f.seek(SeekFrom::Start(start.saturating_sub(1)))?;
        Ok(super::aligned::AlignedBufReader::with_capacity(BUFFER, f))
    });
    // Past the line that the previous chunk owns: the first line starts after a
    // newline at or after the byte before the range.
    let skipped = opened.and_then(|mut input| {
        let from = match start {
            0 => Some(0),
            _ => skip_line(&mut input, start - 1, chunk.range.end)?,
        };
        Ok((input, from))
    });
    let (mut input, from) = match skipped {
        Ok((input, Some(from))) => (input, from),
        Ok((_, None)) => return ChunkEnd::Lines(0),
        Err(e) => {
            // Where the chunk's first line would have been.
            sink.rejected(&at(&source, Some(1)), &reader::read_error(&e));
            return ChunkEnd::Failed;
        }
    };
    let mut lines = Lines::new(limits.max_document_bytes, chunk.range.end - from);
    // A pretty-printed document among the lines is read whole, as on one thread
    // (from a review: findings then depended on the file's size and the threads).
    // One that straddles the end of the range is given back line by line.
    let mut pretty = reader::PrettyDocument::default();
    let read = lines.each(&mut input, |no, line| {
        let decided = chunk.first_line == Some(no)
            && line.is_ok_and(|l| {
                reader::decides_json_lines(no, reader::trim_line(l), &source, limits, sink)
            });
        match line {
            Ok(l) if decided => pretty.read_as_json_line(l),
            _ if !decided => pretty.line(no, line, &source, limits, sink),
            _ => {}
        }
        ControlFlow::Continue(())
    });
    pretty.flush(&source, limits, sink);
    match read {
        Ok(()) => ChunkEnd::Lines(lines.no),
        Err((no, e)) => {
            sink.rejected(&at(&source, Some(no)), &reader::read_error(&e));
            ChunkEnd::Failed
        }
    }
}

/// The reader's buffer, filled again if empty; an interrupted read is tried again.
fn filled(input: &mut impl BufRead) -> io::Result<&[u8]> {
    loop {
        match input.fill_buf() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
            Ok(_) => break,
        }
    }
    input.fill_buf()
}

/// Consumes `input` (at offset `pos`) through the next newline before `end`: the
/// offset after it, or `None` when no line starts before `end`.
fn skip_line(input: &mut impl BufRead, mut pos: u64, end: u64) -> io::Result<Option<u64>> {
    while pos < end {
        let buf = filled(input)?;
        if buf.is_empty() {
            return Ok(None);
        }
        let window = &buf[..buf
            .len()
            .min(usize::try_from(end - pos).unwrap_or(usize::MAX))];
        if let Some(i) = memchr::memchr(b'\n', window) {
            input.consume(i + 1);
            return Ok(Some(pos + i as u64 + 1));
        }
        let n = window.len();
        input.consume(n);
        pos += n as u64;
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::reader::Location;

    /// Everything a sink hears, in order, with locations kept apart for shifting.
    #[derive(Default, Debug, PartialEq)]
    struct Log(Vec<(&'static str, Location, String)>);

    impl Sink for Log {
        fn record(&mut self, loc: &Location, json: &str) {
            self.0.push(("record", loc.clone(), json.to_owned()));
        }
        fn rejected(&mut self, loc: &Location, reason: &str) {
            self.0.push(("rejected", loc.clone(), reason.to_owned()));
        }
        fn not_cloudtrail(&mut self, loc: &Location) {
            self.0.push(("other", loc.clone(), String::new()));
        }
        fn wanted(&mut self, json: &[u8]) -> bool {
            let keep = !json.windows(4).any(|w| w == b"Skip");
            if !keep {
                self.0.push(("skipped", at("", None), String::new()));
            }
            keep
        }
    }

    const LIMITS: Limits = Limits {
        max_record_bytes: 300,
        max_document_bytes: 600,
        max_file_bytes: 1 << 30,
    };

    fn rec(name: &str, n: usize) -> String {
        format!(r#"{{"eventSource":"s.amazonaws.com","eventName":"{name}","n":{n}}}"#)
    }

    /// A file written for one test, in a directory of its own that goes with it.
    struct Scratch {
        dir: std::path::PathBuf,
        path: std::path::PathBuf,
    }

    impl std::ops::Deref for Scratch {
        type Target = Path;
        fn deref(&self) -> &Path {
            &self.path
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    /// `bytes` in a file named `name` (names are unique across these tests).
    fn tmp(name: &str, bytes: &[u8]) -> Scratch {
        let dir = std::env::temp_dir().join(format!("tw-split-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        Scratch { dir, path }
    }

    fn sequential(path: &Path) -> Log {
        let mut log = Log::default();
        reader::read_path(path, &LIMITS, &mut log).unwrap();
        log
    }

    /// The chunks read one after the other, their line numbers put back in place
    /// as `parallel` does; `None` when the file is not cut.
    fn chunked(path: &Path, chunk_bytes: u64) -> Option<(usize, Log)> {
        let chunks = plan(path, &LIMITS, chunk_bytes)?;
        let mut log = Log::default();
        let mut base = 0;
        for c in &chunks {
            let mut part = Log::default();
            let ChunkEnd::Lines(n) = read_chunk(path, c, &LIMITS, &mut part) else {
                panic!("chunk {c:?} failed: {part:?}");
            };
            for (kind, mut loc, text) in part.0 {
                loc.line = loc.line.map(|l| l + base);
                log.0.push((kind, loc, text));
            }
            base += n;
        }
        Some((chunks.len(), log))
    }

    /// Every edge the cut can meet, in one file.
    fn awkward() -> Vec<u8> {
        let mut text = String::from("\n  \r\n");
        for i in 0..60 {
            match i % 10 {
                // CRLF line ends.
                0 => text.push_str(&format!("{}\r\n", rec("Keep", i))),
                // Empty and blank lines.
                1 => text.push_str("\n\n \t \n"),
                // Malformed JSON, and bytes that are not UTF-8.
                2 => text.push_str("{\"eventName\": \n"),
                3 => text.push_str("\u{0}\u{1}junk\n"),
                // A line over the record limit, and one over the document limit
                // (longer than many chunks).
                4 => text.push_str(&format!("{}\n", rec(&"L".repeat(400), i))),
                5 => text.push_str(&format!("{}\n", rec(&"H".repeat(5000), i))),
                // A `Records` file and an envelope on one line; a skipped record.
                6 => text.push_str(&format!(
                    "{{\"Records\":[{},{}]}}\n",
                    rec("A", i),
                    rec("Skip", i)
                )),
                7 => text.push_str(&format!(
                    "{{\"detail-type\":\"AWS API Call via CloudTrail\",\"detail\":{}}}\n",
                    rec("E", i)
                )),
                8 => text.push_str("{\"not\":\"cloudtrail\"}\n"),
                _ => text.push_str(&format!("{}\n", rec("Skip", i))),
            }
        }
        // No final newline.
        text.push_str(&rec("Last", 99));
        let mut bytes = text.into_bytes();
        // Invalid UTF-8 inside a line.
        bytes.extend_from_slice(b"\n{\"eventName\":\"\xff\"}\n");
        bytes
    }

    #[test]
    fn any_cut_reads_as_the_file_read_in_one_go() {
        let path = tmp("awkward.jsonl", &awkward());
        let whole = sequential(&path);
        assert_eq!(whole.0.len(), 56);
        let rejected = whole.0.iter().filter(|(k, ..)| *k == "rejected").count();
        assert_eq!(rejected, 4 * 6 + 1);
        for size in [1, 2, 3, 5, 17, 64, 100, 333, 1000, 4096] {
            let (n, log) = chunked(&path, size).expect("JSON lines are cut");
            assert!(n >= 2, "{size}: {n} chunks");
            assert_eq!(log, whole, "chunks of {size} bytes");
        }
    }

    /// From a review: a pretty-printed document among JSON lines that a cut would
    /// fall inside was read line by line with more than one thread, and whole with
    /// one. The cut now moves on to where a document must begin.
    #[test]
    fn a_pretty_document_is_never_cut() {
        let mut text = String::new();
        for i in 0..8 {
            text.push_str(&format!("{}\n", rec("Keep", i)));
        }
        let pretty = format!(
            "{{\n  \"Records\": [\n    {},\n    {}\n  ]\n}}\n",
            rec("Pretty", 1),
            rec("Pretty", 2)
        );
        text.push_str(&pretty);
        text.push_str(&format!("{}\n", rec("After", 0)));
        // One object over several lines, indented, then a JSON line.
        text.push_str(&format!(
            "{{\n  \"eventName\": \"Spread\",\n  \"eventSource\": \"s.amazonaws.com\"\n}}\n{}\n",
            rec("Tail", 0)
        ));
        let path = tmp("straddle.jsonl", text.as_bytes());
        let whole = sequential(&path);
        let records = whole.0.iter().filter(|(k, ..)| *k == "record").count();
        assert_eq!(records, 8 + 2 + 1 + 1 + 1, "{whole:?}");
        assert!(whole.0.iter().all(|(k, ..)| *k != "rejected"), "{whole:?}");
        for size in 1..=text.len() as u64 {
            if let Some((_, log)) = chunked(&path, size) {
                assert_eq!(log, whole, "chunks of {size} bytes");
            }
        }
        // A pretty document cut off after a line that closes an inner object: the
        // next document is read whole all the same, on any number of threads. The
        // cut one's record printed on one indented line is rejected unread: it
        // cannot be told from a caller's nested object printed so (a review,
        // fifteenth session, forged a record that way).
        let cut = format!(
            "{}\n{{\n  \"Records\": [\n    {}\n{}{}\n",
            rec("Keep", 0),
            rec("Lost", 1),
            pretty,
            rec("After", 0)
        );
        let path = tmp("cutoff.jsonl", cut.as_bytes());
        let whole = sequential(&path);
        let names: Vec<&str> = whole
            .0
            .iter()
            .filter(|(k, ..)| *k == "record")
            .filter_map(|(_, _, json)| json.split("\"eventName\":\"").nth(1)?.split('"').next())
            .collect();
        assert_eq!(names, ["Keep", "Pretty", "Pretty", "After"], "{whole:?}");
        for size in 1..=cut.len() as u64 {
            if let Some((_, log)) = chunked(&path, size) {
                assert_eq!(log, whole, "chunks of {size} bytes");
            }
        }
    }

    #[test]
    fn a_malformed_line_in_the_third_chunk_keeps_its_line_number() {
        // 5 lines of 100 bytes per 500-byte chunk: line 13 lies in the third.
        let line = |name: &str| format!("{:<99}\n", rec(name, 0));
        let mut text: String = (1..=20).map(|_| line("Keep")).collect();
        let broken = format!("{:<99}\n", "{\"eventName\": ");
        text.replace_range(1200..1300, &broken);
        let path = tmp("third.jsonl", text.as_bytes());
        let (n, log) = chunked(&path, 500).unwrap();
        assert_eq!(n, 4);
        let rejected: Vec<String> = log
            .0
            .iter()
            .filter(|(k, ..)| *k == "rejected")
            .map(|(_, loc, _)| loc.to_string())
            .collect();
        assert_eq!(rejected, [format!("{}:13", path.display())]);
        assert_eq!(log, sequential(&path));
    }

    #[test]
    fn a_line_longer_than_the_chunk_belongs_to_the_chunk_it_starts_in() {
        let long = rec(&"x".repeat(250), 1);
        let text = format!("{}\n{long}\n{}\n", rec("A", 0), rec("B", 2));
        let path = tmp("long.jsonl", text.as_bytes());
        let chunks = plan(&path, &LIMITS, 64).unwrap();
        let counts: Vec<ChunkEnd> = chunks
            .iter()
            .map(|c| read_chunk(&path, c, &LIMITS, &mut Log::default()))
            .collect();
        // Line 2 runs past many chunk sizes: the cut moves on to line 3, where a
        // document must begin, so chunk 0 holds lines 1 and 2.
        assert_eq!(counts, [ChunkEnd::Lines(2), ChunkEnd::Lines(1)]);
        assert_eq!(
            chunks[1].range.start,
            (rec("A", 0).len() + long.len() + 2) as u64
        );
        assert_eq!(chunked(&path, 64).unwrap().1, sequential(&path));
    }

    #[test]
    fn only_plain_json_lines_are_cut() {
        let jsonl = format!("{}\n", rec("A", 0)).repeat(50);
        let small = tmp("small.jsonl", jsonl.as_bytes());
        assert!(plan(&small, &LIMITS, 1 << 20).is_none(), "one chunk");
        let chunks = plan(&small, &LIMITS, 1000).unwrap();
        // Each cut moves on to the next line start: 18 lines of 56 bytes.
        let line = rec("A", 0).len() as u64 + 1;
        assert_eq!(line, 56);
        let ranges: Vec<_> = chunks.iter().map(|c| c.range.clone()).collect();
        assert_eq!(ranges[..2], [0..1008, 1008..2016]);
        assert_eq!(chunks.len(), (jsonl.len() as u64).div_ceil(1008) as usize);
        assert_eq!(ranges.last().unwrap().end, jsonl.len() as u64);
        // A chunk smaller than the first line: the first chunk holds it whole,
        // and every other chunk one line.
        let chunks = plan(&small, &LIMITS, 10).unwrap();
        assert_eq!(chunks[0].range, 0..line);
        assert_eq!(chunks[1].range.end - chunks[1].range.start, line);
        assert_eq!(chunks[0].first_line, Some(1));
        assert!(chunks.last().unwrap().last && !chunks[0].last);

        let pretty = format!(
            "{{\n \"Records\": [\n{}\n ]\n}}\n",
            vec![rec("A", 0); 30].join(",\n")
        );
        assert!(plan(&tmp("pretty.json", pretty.as_bytes()), &LIMITS, 100).is_none());

        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, jsonl.as_bytes()).unwrap();
        let gz = gz.finish().unwrap();
        assert!(plan(&tmp("a.jsonl.gz", &gz), &LIMITS, 10).is_none());

        // A first line too long to tell: read whole.
        let first_long = format!("{}\n", rec(&"x".repeat(700), 0)).repeat(5);
        assert!(plan(&tmp("firstlong.jsonl", first_long.as_bytes()), &LIMITS, 100).is_none());
        // Over the file limit: read whole, to be cut off where the limit says.
        let capped = Limits {
            max_file_bytes: 100,
            ..LIMITS
        };
        assert!(plan(&small, &capped, 50).is_none());
        // Blank lines first: the first non-blank line decides.
        let blank_first = format!("\n\n{jsonl}");
        let chunks = plan(&tmp("blank.jsonl", blank_first.as_bytes()), &LIMITS, 100).unwrap();
        assert_eq!(chunks[0].first_line, Some(3));
    }
}
