//! How a text holds its JSON documents: JSON lines, one document over many
//! lines, or documents written one after another.

use std::io::{self, BufRead, Read};
use std::ops::ControlFlow;

use serde_json::value::RawValue;

use super::broken::read_broken;
use super::document::{Node, Unparsed, handle, malformed_from, parse, read_damaged};
use super::lines::{Lines, is_blank, trim_line};
use super::{Limits, Location, Sink, at, read_error};

/// Reads decompressed text: JSON lines, or one document spread over many lines.
pub(super) fn read_plain(
    mut input: impl BufRead,
    source: &str,
    limits: &Limits,
    sink: &mut impl Sink,
) {
    // UTF-16 (PowerShell 5's `>`): one clear rejection, not one per line.
    // A stream that fails before its first byte (a gzip file broken in its
    // first block) is reported here: a reader that fails once then ends, as
    // the decompressor's does, would otherwise read as empty (from a review).
    let head = match input.fill_buf() {
        Ok(head) => head,
        Err(e) => {
            sink.rejected(&at(source, Some(1)), &read_error(&e));
            return;
        }
    };
    if starts_utf16(head) {
        sink.rejected(
            &at(source, None),
            "UTF-16 text (it starts with a UTF-16 byte-order mark): trailwatch reads UTF-8; \
             convert it (iconv -f UTF-16 -t UTF-8, or PowerShell's Out-File -Encoding utf8)",
        );
        return;
    }
    // Compressed otherwise than gzip (named on the command line: a directory
    // walk notes such files by name): one clear rejection, not one per line.
    if let Some(kind) = other_compression(head) {
        sink.rejected(
            &at(source, None),
            &format!(
                "compressed with {kind}: trailwatch reads gzip or plain text; decompress it first"
            ),
        );
        return;
    }
    // A first line too long for one document is kept, to be read document by
    // document below.
    let mut lines = Lines::new(limits.max_document_bytes, u64::MAX).keeping_a_long_first_line();
    // The first non-blank line decides: a complete JSON value means JSON lines.
    let mut whole: Option<(u64, Vec<u8>)> = None;
    let mut json_lines = false;
    let mut pretty = PrettyDocument::default();
    let read = lines.each(&mut input, |no, line| {
        if json_lines {
            pretty.line(no, line, source, limits, sink);
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
            pretty.read_as_json_line(line);
            ControlFlow::Continue(())
        } else {
            whole = Some((no, line.to_vec()));
            ControlFlow::Break(())
        }
    });
    pretty.flush(source, limits, sink);
    if let Err((no, e)) = read {
        return interrupted(lines.interrupted_line(), no, &e, source, limits, sink);
    }
    // The first line is over the document limit: documents back to back on one
    // line (`cat` of CloudTrail's files, which end without a newline), each read
    // on its own (from a review: the whole text was one rejection).
    if let Some(head) = lines.long_first.take() {
        // That line only: the lines after it are JSON lines again, each on its
        // own (from a review: one bad line lost the rest of the file). A line
        // that does not open a document is one rejection, as before.
        if super::stream::opens_a_document(&head) {
            super::stream::read_documents(head, 1, &mut input, true, source, limits, sink);
        } else {
            let len = head.len() as u64 + skip_rest_of_line(&mut input);
            sink.rejected(
                &at(source, Some(1)),
                &too_large(usize::try_from(len).unwrap_or(usize::MAX), limits),
            );
        }
        // The lines after it, as JSON lines with pretty-printed documents among
        // them (a review of this change: `jq .` output after the long line was
        // rejected line by line).
        let mut rest = Lines::new(limits.max_document_bytes, u64::MAX);
        rest.no = 1;
        let mut pretty = PrettyDocument::default();
        let read = rest.each(&mut input, |no, line| {
            pretty.line(no, line, source, limits, sink);
            ControlFlow::Continue(())
        });
        pretty.flush(source, limits, sink);
        if let Err((no, e)) = read {
            interrupted(rest.interrupted_line(), no, &e, source, limits, sink);
        }
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
        return interrupted(Some(&whole), first, &e, source, limits, sink);
    }
    if whole.len() == first_len + 1 {
        // Nothing after the first line: without the line end put back above, a
        // document cut off inside a string is reported as cut off, not as a
        // control character in the string (from a review).
        whole.pop();
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
        // Too large to hold whole: maybe many documents one after another
        // (`jq .` of a large file); each is read on its own (from a review: the
        // whole text was lost to one rejection). One document alone over the
        // limit is reported as before, and so is text that opens no document.
        // Junk before them (a tool's error line, from a review of this change):
        // one rejection, then the documents from the first line that opens one.
        let opens_later = (!super::stream::opens_a_document(&whole))
            .then(|| {
                memchr::memchr_iter(b'\n', &whole)
                    .map(|i| i + 1)
                    .find(|&at| matches!(whole.get(at), Some(b'{' | b'[')))
            })
            .flatten();
        if let Some(at_doc) = opens_later {
            let skipped = memchr::memchr_iter(b'\n', &whole[..at_doc]).count() as u64;
            sink.rejected(
                &at(source, Some(first)),
                &format!("not JSON: {skipped} line(s) before the first document"),
            );
            let docs = whole.split_off(at_doc);
            super::stream::read_documents(
                docs,
                first + skipped,
                &mut input,
                false,
                source,
                limits,
                sink,
            );
        } else if super::stream::opens_a_document(&whole) {
            super::stream::read_documents(whole, first, &mut input, false, source, limits, sink);
        } else {
            sink.rejected(
                &at(source, Some(first)),
                &format!(
                    "document over the {}-byte limit (--max-document-bytes)",
                    limits.max_document_bytes
                ),
            );
        }
        return;
    }
    match parse(&whole) {
        Ok((text, node)) => handle(node, text, &at(source, Some(first)), 0, limits, sink),
        Err(Unparsed::NotUtf8(_))
            if read_damaged(&whole, &at(source, Some(first)), limits, sink) => {}
        Err(Unparsed::NotUtf8(e))
            if read_cut_in_a_character(&whole, &e, &at(source, Some(first)), limits, sink) => {}
        Err(e @ Unparsed::NotUtf8(_)) => sink.rejected(&at(source, Some(first)), &e.to_string()),
        Err(Unparsed::Json(whole_err))
            if concatenated(&whole, &whole_err, Some(first), source, limits, sink) => {}
        Err(Unparsed::Json(whole_err)) => {
            // Maybe JSON lines whose first line is broken: if any later line stands
            // on its own, report lines one by one; else the file is one bad document.
            // A pretty-printed document (its first line only the bracket) has
            // lines of plain values that stand alone (a list's last string):
            // only objects alone on a line make it JSON lines (from a review).
            let pretty = matches!(trim_line(&whole[..first_len]), b"{" | b"[");
            if value_after_first(&whole, pretty) {
                each_line_as_document(&whole, Some(first), source, limits, sink);
            } else if cut_off_before_others(&whole, &whole_err, Some(first), source, limits, sink)
                || read_broken_syntax(&whole, &whole_err, &at(source, Some(first)), limits, sink)
            {
            } else {
                let mut line = first + whole_err.line().saturating_sub(1) as u64;
                // A document cut off ends on its last line with text, not on the
                // newline the reader put after it (from a review: a one-line file
                // was reported at line 2).
                if whole_err.is_eof() {
                    let text_end = whole
                        .iter()
                        .rposition(|b| !b.is_ascii_whitespace())
                        .map_or(0, |i| i + 1);
                    let last =
                        first + memchr::memchr_iter(b'\n', &whole[..text_end]).count() as u64;
                    line = line.min(last);
                }
                sink.rejected(
                    &at(source, Some(line)),
                    &Unparsed::Json(whole_err).to_string(),
                );
            }
        }
    }
}

/// A pretty-printed document among JSON lines (`jq -c` of one file, then `cat`
/// of another: from a review, each of its lines was rejected on its own). A
/// line that is only `{` or `[`, which no JSON line can be, opens it; its lines
/// are kept, their brackets counted outside strings, until the depth is back to
/// zero: the document is then parsed once and read whole (a review of this
/// change: parsing at every closing line was quadratic, and a document indented
/// as a whole never closed). Anything else (it does not parse, the depth goes
/// below zero, it outgrows `--max-document-bytes`, the input ends) gives the
/// lines back to be read one by one, as before. Well-formed JSON lines never
/// reach it.
#[derive(Default)]
pub(in crate::event) struct PrettyDocument {
    /// The opening line's number, and the text kept since (lines and newlines).
    pending: Option<(u64, Vec<u8>)>,
    /// Open brackets in the kept text, outside strings.
    depth: i64,
    walk: crate::event::nesting::Walk,
    /// The last non-blank line kept ends with `}` or `]`.
    closed: bool,
    /// The last line read as a JSON line was an object on its one line (a
    /// record): right after it an indented bracket opens a document, and an
    /// indented line is read as a JSON line (elsewhere it is rejected unread,
    /// [`indented_unread`]).
    after_object_line: bool,
}

impl PrettyDocument {
    /// Counts the brackets of `line` outside strings.
    fn scan(&mut self, line: &[u8]) {
        use crate::event::nesting::Bracket;
        for &b in line {
            match self.walk.step(b) {
                Some(Bracket::Open) => self.depth += 1,
                Some(Bracket::Close) => self.depth -= 1,
                None => {}
            }
        }
    }

    pub(in crate::event) fn line(
        &mut self,
        no: u64,
        line: Result<&[u8], usize>,
        source: &str,
        limits: &Limits,
        sink: &mut impl Sink,
    ) {
        if self.pending.is_some() {
            let Ok(l) = line else {
                self.flush(source, limits, sink);
                return json_line(no, line, source, limits, sink);
            };
            // A line where a document must begin (see `split`): the one kept
            // never closed, and is given back; this line starts afresh, as it
            // does when a chunk of the file starts with it.
            if self.closed && matches!(l.first(), Some(b'{' | b'[')) {
                self.flush(source, limits, sink);
                return self.line(no, line, source, limits, sink);
            }
            if let Some(last) = l.iter().rev().find(|b| !b.is_ascii_whitespace()) {
                self.closed = matches!(last, b'}' | b']');
            }
            self.scan(l);
            let Some((start, kept)) = &mut self.pending else {
                return;
            };
            kept.extend_from_slice(l);
            kept.push(b'\n');
            // A line that ends inside a string: no pretty-printed document
            // does (a string holds no raw newline), so it was cut here, and
            // the walk's idea of what is a string is wrong from here on (from
            // a review: a caller's `]]]` then read as brackets closed it).
            if self.walk.in_string() {
                self.flush(source, limits, sink);
                return;
            }
            if self.depth == 0 {
                if let Ok((text, node)) = parse(kept) {
                    let start = *start;
                    handle(node, text, &at(source, Some(start)), 0, limits, sink);
                    self.reset();
                } else {
                    self.flush(source, limits, sink);
                }
            } else if self.depth < 0 || kept.len() > limits.max_document_bytes {
                self.flush(source, limits, sink);
            }
            return;
        }
        // Short lines only: a record's line is never looked at twice. Only
        // at the line's start, where printers put a document's own bracket,
        // or indented right after a JSON line (a document indented as a
        // whole): any other bracket alone on its line is nested, a value of
        // its record, which may be a caller's (from a review, fifteenth
        // session: after a cut, a caller's nested object was opened and read
        // as a record). Inside a printed document the line before a nested
        // bracket ends with `,` or `[`, never with a whole object.
        if let Ok(l) = line
            && l.len() <= 16
            && (matches!(l.first(), Some(b'{' | b'[')) || self.after_object_line)
            && matches!(trim_line(l), b"{" | b"[")
        {
            self.reset();
            self.scan(l);
            let mut kept = l.to_vec();
            kept.push(b'\n');
            self.pending = Some((no, kept));
            return;
        }
        match line {
            Ok(l) if is_blank(l) => {}
            Ok(l) if indented_unread(l, self.after_object_line, &at(source, Some(no)), sink) => {
                self.after_object_line = false;
                return;
            }
            Ok(l) => self.read_as_json_line(l),
            Err(_) => self.after_object_line = false,
        }
        json_line(no, line, source, limits, sink);
    }

    /// Notes a line read as a JSON line outside this reader (a file's or a
    /// part's first line, which decides how the rest is read).
    pub(in crate::event) fn read_as_json_line(&mut self, line: &[u8]) {
        self.after_object_line = object_on_its_line(line);
    }

    fn reset(&mut self) {
        *self = PrettyDocument::default();
    }

    /// Gives the kept lines back, each read as a JSON line, except an indented
    /// one, which is a nested value of the document (Prettier prints short
    /// objects on one line, a caller's among them: from a review, fifteenth
    /// session, such a line was read as a record) and is rejected unread.
    /// (Reading a broken document's complete items here was tried and
    /// dropped: a document opened inside a caller's value then read their
    /// objects as records, and JSON lines after a cut one were lost.)
    pub(in crate::event) fn flush(&mut self, source: &str, limits: &Limits, sink: &mut impl Sink) {
        if let Some((start, kept)) = self.pending.take() {
            let body = kept.strip_suffix(b"\n").unwrap_or(&kept);
            for (i, l) in body.split(|b| *b == b'\n').enumerate() {
                let no = start + i as u64;
                if is_blank(l) || !indented_unread(l, false, &at(source, Some(no)), sink) {
                    json_line(no, Ok(l), source, limits, sink);
                }
            }
        }
        self.reset();
    }
}

/// Some line after the first of `text` is a JSON value on its own: JSON lines
/// whose first line is broken, not one document. `objects`: only a non-empty
/// object counts (a record; a pretty-printed document has lines that stand
/// alone too, strings in arrays, and empty objects, which hold no record).
/// With `objects`, only a line at its line's start counts: a printer that puts
/// short objects on one line (Prettier) indents the nested ones, which may be a
/// caller's (from a review, fifteenth session: such a line made a cut file
/// JSON lines, and its caller's object a record).
fn value_after_first(text: &[u8], objects: bool) -> bool {
    text.split(|b| *b == b'\n')
        .skip(1)
        .filter(|l| !objects || !starts_indented(l))
        .any(|l| stands_alone(l, objects))
}

/// A line that begins with a blank: inside a printed document, a nested value.
pub(super) fn starts_indented(line: &[u8]) -> bool {
    line.first().is_some_and(|b| matches!(b, b' ' | b'\t'))
}

/// A line (trimmed) that is a JSON value on its own; with `objects`, a
/// non-empty object.
pub(super) fn stands_alone(line: &[u8], objects: bool) -> bool {
    let l = trim_line(line);
    !l.is_empty()
        && (!objects || (l.len() > 2 && l.first() == Some(&b'{')))
        && serde_json::from_slice::<&RawValue>(l).is_ok()
}

/// Each non-blank line of `text` as a document of its own, numbered from
/// `first`: JSON lines found where one document was expected.
pub(super) fn each_line_as_document(
    text: &[u8],
    first: Option<u64>,
    source: &str,
    limits: &Limits,
    sink: &mut impl Sink,
) {
    let mut after_object_line = false;
    for (i, l) in text.split(|b| *b == b'\n').enumerate() {
        if is_blank(l) {
            continue;
        }
        let no = first.map(|f| f + i as u64);
        if indented_unread(l, after_object_line, &at(source, no), sink) {
            after_object_line = false;
            continue;
        }
        after_object_line = object_on_its_line(l);
        document(trim_line(l), source, no, limits, sink);
    }
}

/// Why an indented line is not read as a JSON line.
const INDENTED_UNREAD: &str = "not read: an indented line where JSON lines were read, \
     most likely a nested value of a pretty-printed document that could not be read \
     whole (cut off or broken); its values may be a caller's";

/// An indented line not right after a JSON line's object: inside a printed
/// document (Prettier prints short objects on one line, a caller's nested one
/// among them), so it is rejected unread (`true`). From a review, fifteenth
/// session: such a line, given back after a cut, was read as a record. Inside a
/// printed document the line before a nested value ends with `,` or an opening
/// bracket, never with a whole object, so indented JSON lines still read.
fn indented_unread(
    line: &[u8],
    after_object_line: bool,
    at: &Location,
    sink: &mut impl Sink,
) -> bool {
    if after_object_line || !starts_indented(line) {
        return false;
    }
    sink.rejected(at, INDENTED_UNREAD);
    true
}

/// A line that is an object on its own line, by its ends (`{...}`).
fn object_on_its_line(line: &[u8]) -> bool {
    let t = trim_line(line);
    t.len() > 2 && t.first() == Some(&b'{') && t.last() == Some(&b'}')
}

/// The compression a text's first bytes show when it is one the reader does
/// not take: bzip2, zstd, xz or zip.
fn other_compression(head: &[u8]) -> Option<&'static str> {
    if head.len() >= 4 && head.starts_with(b"BZh") && (b'1'..=b'9').contains(&head[3]) {
        Some("bzip2")
    } else if head.starts_with(&[0x28, 0xB5, 0x2F, 0xFD]) {
        Some("zstd")
    } else if head.starts_with(&[0xFD, b'7', b'z', b'X', b'Z', 0x00]) {
        Some("xz")
    } else if head.starts_with(b"PK\x03\x04") {
        Some("zip")
    } else {
        None
    }
}

/// A text that begins with a UTF-16 byte-order mark (PowerShell 5's `>`).
pub(in crate::event) fn starts_utf16(head: &[u8]) -> bool {
    head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF])
}

/// Consumes `input` through the end of its current line: the bytes skipped.
fn skip_rest_of_line(input: &mut impl BufRead) -> u64 {
    let mut skipped = 0u64;
    loop {
        let (used, done) = match input.fill_buf() {
            Ok([]) | Err(_) => return skipped,
            Ok(buf) => match memchr::memchr(b'\n', buf) {
                Some(k) => (k + 1, true),
                None => (buf.len(), false),
            },
        };
        input.consume(used);
        skipped += used as u64;
        if done {
            return skipped;
        }
    }
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
        interrupted(lines.interrupted_line(), no, &e, source, limits, sink);
    }
}

/// A read error at line `no`, `cut` the text of the document it interrupted
/// so far. When the input ended early (a gzip stream cut short, as a
/// truncated download of a large log file is) and that text opens a `Records`
/// file or an array, its complete records are read first ([`read_broken`]),
/// as for a file decompressed whole; then the error, once. Another error (a
/// checksum that fails, a bad block) may have damaged what was read, which is
/// rejected whole, as before.
fn interrupted(
    cut: Option<&[u8]>,
    no: u64,
    e: &io::Error,
    source: &str,
    limits: &Limits,
    sink: &mut impl Sink,
) {
    let loc = at(source, Some(no));
    let why = read_error(e);
    let salvaged = e.kind() == io::ErrorKind::UnexpectedEof
        && cut.is_some_and(|text| {
            super::broken::opens_items(text) && read_broken(text, &loc, &why, limits, sink)
        });
    if !salvaged {
        sink.rejected(&loc, &why);
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
pub(in crate::event) fn json_line(
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
                document(line, source, Some(no), limits, sink);
                return;
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
pub(in crate::event) fn decides_json_lines(
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
        // A lone line of invalid UTF-8 is reported as what it is; a damaged
        // `Records` file loses only its damaged records.
        Err(e @ Unparsed::NotUtf8(_)) => {
            let loc = at(source, Some(no));
            let read = read_damaged(line, &loc, limits, sink)
                || matches!(&e, Unparsed::NotUtf8(u) if read_cut_in_a_character(line, u, &loc, limits, sink));
            if !read {
                sink.rejected(&loc, &e.to_string());
            }
            true
        }
        Err(Unparsed::Json(_)) => false,
    }
}

/// Whether a first non-blank line would make [`decides_json_lines`] answer `true`,
/// without handling it.
pub(in crate::event) fn starts_json_lines(line: &[u8]) -> bool {
    !matches!(parse(line), Err(Unparsed::Json(_)))
}

/// One JSON document in its own right (a JSON line): unwraps arrays, `Records`
/// files and envelopes into records. `true` when the text parsed whole as one
/// value (else it was read in parts, up to a break, or rejected).
pub(super) fn document(
    bytes: &[u8],
    source: &str,
    line: Option<u64>,
    limits: &Limits,
    sink: &mut impl Sink,
) -> bool {
    let loc = at(source, line);
    match parse(bytes) {
        Ok((text, node)) => {
            handle(node, text, &loc, 0, limits, sink);
            return true;
        }
        Err(Unparsed::Json(e)) if concatenated(bytes, &e, line, source, limits, sink) => {}
        Err(Unparsed::Json(e)) if cut_off_before_others(bytes, &e, line, source, limits, sink) => {}
        Err(Unparsed::Json(e)) if read_broken_syntax(bytes, &e, &loc, limits, sink) => {}
        Err(Unparsed::NotUtf8(_)) if read_damaged(bytes, &loc, limits, sink) => {}
        Err(Unparsed::NotUtf8(e)) if read_cut_in_a_character(bytes, &e, &loc, limits, sink) => {}
        Err(e) => sink.rejected(&loc, &e.to_string()),
    }
    false
}

/// A first document cut off with others after it (`cat` of log files, the
/// first cut off in its download): read as [`concatenated`] reads one cut off
/// after whole ones ([`after_cut_off`]), its complete records first, then the
/// documents from where the next begins. `false`, nothing reported, when no
/// document begins after it ([`Restarts`]) or it was refused for what it holds
/// (a duplicate key), not for its text. From a review: every file after a
/// first one cut off was lost.
fn cut_off_before_others(
    bytes: &[u8],
    e: &serde_json::Error,
    line: Option<u64>,
    source: &str,
    limits: &Limits,
    sink: &mut impl Sink,
) -> bool {
    use serde_json::error::Category;
    if !matches!(e.classify(), Category::Syntax | Category::Eof) {
        return false;
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return false;
    };
    if Restarts::new(bytes).after(0).is_none() {
        return false;
    }
    after_cut_off(
        text,
        line,
        malformed_from(e, line, line),
        source,
        limits,
        sink,
    );
    true
}

/// [`read_broken`] for a document refused for its text (cut off, malformed),
/// not for what it holds (a duplicate key): `false` for the latter.
fn read_broken_syntax(
    bytes: &[u8],
    e: &serde_json::Error,
    loc: &Location,
    limits: &Limits,
    sink: &mut impl Sink,
) -> bool {
    use serde_json::error::Category;
    matches!(e.classify(), Category::Syntax | Category::Eof)
        && read_broken(
            bytes,
            loc,
            &malformed_from(e, loc.line, loc.line),
            limits,
            sink,
        )
}

/// [`read_broken`] for a text that ends inside a character of several bytes
/// (cut off there); `false` for a byte that is not UTF-8 elsewhere.
fn read_cut_in_a_character(
    bytes: &[u8],
    e: &std::str::Utf8Error,
    loc: &Location,
    limits: &Limits,
    sink: &mut impl Sink,
) -> bool {
    e.error_len().is_none()
        && read_broken(
            bytes,
            loc,
            "not UTF-8 text: it ends inside a character (the text is cut off)",
            limits,
            sink,
        )
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
        let rest = &text[start..];
        if rest
            .as_bytes()
            .split(|b| *b == b'\n')
            .filter(|l| !starts_indented(l))
            .any(|l| stands_alone(l, true))
        {
            each_line_as_document(rest.as_bytes(), tail_line, source, limits, sink);
        } else {
            after_cut_off(
                rest,
                tail_line,
                malformed_from(&e, first, tail_line),
                source,
                limits,
                sink,
            );
        }
    }
    true
}

/// What follows a document that could not be read among documents back to
/// back (`whole`, from its start at line `line`, refused for `why`): when another document begins
/// after it ([`Restarts`]: a line that is only `{` or `[`, as `jq .` starts
/// each, or `{"Records":`, as each of CloudTrail's files starts), the cut-off part is
/// one rejection and reading goes on there, document by document; else the
/// rest is one rejection (from a review: a file cut off in the middle of a
/// `cat` lost every file after it). A loop, not recursion: a text of many
/// cut-off documents costs no stack.
fn after_cut_off(
    whole: &str,
    mut line: Option<u64>,
    mut why: String,
    source: &str,
    limits: &Limits,
    sink: &mut impl Sink,
) {
    // Where the cut-off document under way begins in `whole`.
    let mut from = 0usize;
    let mut restarts = Restarts::new(whole.as_bytes());
    loop {
        let rest = &whole[from..];
        let Some(restart) = restarts.after(from).map(|r| r - from) else {
            // Its complete records first, if it is a `Records` file or an array.
            if !read_broken(rest.as_bytes(), &at(source, line), &why, limits, sink) {
                sink.rejected(&at(source, line), &why);
            }
            return;
        };
        let newlines = memchr::memchr_iter(b'\n', &rest.as_bytes()[..restart]).count() as u64;
        let restart_line = line.map(|l| l + newlines);
        // Counted from the rejection's own place, not the file's start: a
        // large file read in parts knows the file's line of a place only (from
        // a review: "at line 1194" of a piece, for the file's 5966).
        let said = match newlines {
            0 => format!("{why} (cut off: reading goes on further along its line)"),
            1 => format!("{why} (cut off: reading goes on 1 line below)"),
            n => format!("{why} (cut off: reading goes on {n} lines below)"),
        };
        if !read_broken(
            &rest.as_bytes()[..restart],
            &at(source, line),
            &said,
            limits,
            sink,
        ) {
            sink.rejected(&at(source, line), &said);
        }
        from += restart;
        line = restart_line;
        // The documents from there on, each at its own line, up to the next
        // that cannot be read. (A restart is at an ASCII bracket: a character
        // boundary.)
        let text = &whole[from..];
        let text_line = line;
        let mut stream = serde_json::Deserializer::from_str(text).into_iter::<&RawValue>();
        let mut counted_to = 0usize;
        loop {
            let before = stream.byte_offset();
            let start = text[before..]
                .find(|c: char| !c.is_ascii_whitespace())
                .map_or(before, |i| before + i);
            let at_line = line.map(|l| {
                l + memchr::memchr_iter(b'\n', &text.as_bytes()[counted_to..start]).count() as u64
            });
            match stream.next() {
                None => return,
                Some(Ok(raw)) => {
                    counted_to = start;
                    line = at_line;
                    let loc = at(source, at_line);
                    match serde_json::from_str::<Node>(raw.get()) {
                        Ok(node) => handle(node, raw.get(), &loc, 0, limits, sink),
                        Err(e) => sink.rejected(&loc, &Unparsed::Json(e).to_string()),
                    }
                }
                Some(Err(e)) => {
                    from += start;
                    line = at_line;
                    why = malformed_from(&e, text_line, at_line);
                    break;
                }
            }
        }
    }
}

/// Where a document may begin again in a text after a cut-off one: a line
/// that is only `{` or `[` (trailing blanks aside), or the text `{"Records":`
/// anywhere (CloudTrail's files, back to back without newlines), unless a `:`,
/// `,` or `[` comes just before it (blanks aside): there it is a value inside
/// the cut-off document, a request parameter shaped `{"Records":[...]}` whose
/// items are its caller's text, not records. A cut cannot change the byte
/// before such a value, wherever it falls (a review of the first fix, which
/// skipped only a complete value: a cut inside one its caller made large read
/// its items as records). The price: a file that begins right after a cut
/// falling just after one of those three bytes is not found, and is part of
/// the one rejection. The stream reader's `Walker::begins_again` asks the same
/// over a document past the size limit, read a buffer at a time.
///
/// Each kind's next place is kept until the reading passes it, so a text of
/// many cuts is searched once, not once per cut (from reviews: quadratic
/// twice, on nested candidates and on many small cut-off files).
struct Restarts<'t> {
    text: &'t [u8],
    /// The next line-alone bracket found, and where its search began.
    line: Option<(usize, Option<usize>)>,
    /// The next `{"Records":` found, and where its search began.
    records: Option<(usize, Option<usize>)>,
}

impl<'t> Restarts<'t> {
    fn new(text: &'t [u8]) -> Self {
        Restarts {
            text,
            line: None,
            records: None,
        }
    }

    /// The first place after `at` (the start of the document cut off there).
    fn after(&mut self, at: usize) -> Option<usize> {
        let text = self.text;
        let after_a_separator = |at: usize| {
            matches!(
                text[..at].iter().rev().find(|b| !b.is_ascii_whitespace()),
                Some(b':' | b',' | b'[')
            )
        };
        let line = cached(&mut self.line, at, |from| {
            memchr::memchr_iter(b'\n', &text[from..])
                .map(|i| from + i + 1)
                .find(|&start| {
                    let line_end =
                        memchr::memchr(b'\n', &text[start..]).map_or(text.len(), |e| start + e);
                    matches!(trim_line(&text[start..line_end]), b"{" | b"[")
                        && matches!(text.get(start), Some(b'{' | b'['))
                        && !after_a_separator(start)
                })
        });
        static RECORDS: crate::event::prefilter::Needle =
            crate::event::prefilter::Needle::new("{\"Records\":");
        let records = cached(&mut self.records, at, |from| {
            text.get(from + 1..).and_then(|t| {
                RECORDS
                    .finder()
                    .find_iter(t)
                    .map(|i| from + 1 + i)
                    .find(|&c| !after_a_separator(c))
            })
        });
        match (line, records) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// The first place after `at`: the one kept when it is still ahead (or none
/// was found from an earlier start), else `search(at)`'s, kept.
fn cached(
    kept: &mut Option<(usize, Option<usize>)>,
    at: usize,
    search: impl FnOnce(usize) -> Option<usize>,
) -> Option<usize> {
    match *kept {
        Some((_, Some(found))) if found > at => Some(found),
        Some((from, None)) if from <= at => None,
        _ => {
            let found = search(at);
            *kept = Some((at, found));
            found
        }
    }
}
