//! Documents one after another, read one at a time: the way out when a text is
//! too large to hold whole (over `--max-document-bytes`) because it holds many
//! documents, not one (`cat` of a day of CloudTrail's files, which end without a
//! newline; `jq .` of a large JSON-lines file). From a review: such a text lost
//! every record to one rejection once it passed the limit.
//!
//! The text is walked byte by byte, brackets counted outside strings: each
//! top-level object or array, as it closes, is read as a document at the line it
//! starts on, so memory holds one document (and the text already read ahead) at
//! a time. A document over the limit is reported and skipped, and reading goes
//! on after it. What is not a document between them (a `null` that `jq`
//! printed, junk) is read as a value of its own, up to the next blank or
//! bracket. A document that never closes (a file cut off in a `cat`) gives way
//! to the next where one must begin (`Walker::begins_again`). A last document
//! the input ends inside is read as JSON lines if a line of it is an object on
//! its own, else reported as cut off.

use std::io::BufRead;

use super::framing::{document, each_line_as_document, stands_alone};
use super::{Limits, Sink, at, read_error};
use crate::event::nesting::{Bracket, Walk};

/// What the walk is in.
#[derive(Clone, Copy)]
enum Inside {
    /// Between documents.
    Nothing,
    /// A document opened at `line`, `depth` brackets open; its bytes are kept
    /// from `start` in the buffer, or dropped (`start` `None`) once it outgrew
    /// the limit, its end still looked for.
    Document {
        line: u64,
        depth: usize,
        start: Option<usize>,
    },
    /// A value that is not an object or an array, from `start`, opened at `line`.
    Scalar { line: u64, start: usize },
}

/// Whether a text (its first bytes) may hold documents: it opens with an
/// object or an array. Anything else (a flow log, plain text) is not cut into
/// values word by word (from a review: millions of rejections).
pub(super) fn opens_a_document(text: &[u8]) -> bool {
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    matches!(
        text.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{' | b'[')
    )
}

/// Reads `head` (already taken from the input, starting at line `first`) and
/// then the rest of `input`, document by document. With `one_line`, only up to
/// the end of the line `head` begins (consumed, newline included): the caller
/// reads what follows as JSON lines again.
pub(super) fn read_documents(
    mut head: Vec<u8>,
    first: u64,
    input: &mut impl BufRead,
    one_line: bool,
    source: &str,
    limits: &Limits,
    sink: &mut impl Sink,
) {
    if head.starts_with(b"\xEF\xBB\xBF") {
        head.drain(..3);
    }
    let mut walker = Walker {
        inside: Inside::Nothing,
        walk: Walk::default(),
        buf: head,
        line: first,
        last_significant: None,
        walked: 0,
        resync: None,
        after_newline: true,
        source,
        limits,
    };
    walker.scan_to(0, false, sink);
    loop {
        let more = match input.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                sink.rejected(&at(source, Some(walker.line)), &read_error(&e));
                return;
            }
        };
        if more.is_empty() {
            break;
        }
        let line_end = if one_line {
            memchr::memchr(b'\n', more)
        } else {
            None
        };
        let take = line_end.unwrap_or(more.len());
        walker.buf.extend_from_slice(&more[..take]);
        input.consume(take + usize::from(line_end.is_some()));
        walker.scan_to(walker.walked, false, sink);
        if line_end.is_some() {
            break;
        }
    }
    walker.scan_to(walker.walked, true, sink);
    walker.end(sink);
}

struct Walker<'s, 'l> {
    inside: Inside,
    walk: Walk,
    /// The text read and not yet done with: from the start of the document (or
    /// value) under way.
    buf: Vec<u8>,
    /// The line the walk is on.
    line: u64,
    /// The last byte before the current one that is not a blank, strings or
    /// not: inside a document, a value opens only after `:`, `,` or `[`.
    last_significant: Option<u8>,
    /// How many bytes at the front of `buf` have been walked.
    walked: usize,
    /// The walk may be out of step with the text: the last document it closed
    /// did not parse whole, outgrew the limit, or never closed. A cut inside a
    /// string leaves the walk taking strings for structure, so its caller's
    /// text could close a document and open the next (from a review: a forged
    /// `StopLogging` that way). Until a document begins where a file does
    /// ([`Walker::begins_again`]) or a line does (no string holds a raw
    /// newline), neither right after `:`, `,` or `[`, nothing opens; the text
    /// passed over is reported once, here: its line and length.
    resync: Option<(u64, usize)>,
    /// The byte walked last was a newline (or nothing was walked yet).
    after_newline: bool,
    source: &'s str,
    limits: &'l Limits,
}

impl Walker<'_, '_> {
    /// Walks `buf[from..]`, reading each document as it closes, then lets go of
    /// what is done with. Unless `last` (the input has ended), the last few
    /// bytes wait for the next read: whether a document begins again there is
    /// told by the bytes after it (from a review: a restart at a read's edge was
    /// missed).
    fn scan_to(&mut self, from: usize, last: bool, sink: &mut impl Sink) {
        const LOOK_AHEAD: usize = 12;
        let limit = if last {
            self.buf.len()
        } else {
            self.buf.len().saturating_sub(LOOK_AHEAD)
        };
        let mut i = from;
        while i < limit {
            // A byte-order mark before a document (`cat` of files that each
            // begin with one) is read past, as at the start.
            if matches!(self.inside, Inside::Nothing) && self.buf[i..].starts_with(b"\xEF\xBB\xBF")
            {
                i += 3;
                continue;
            }
            let b = self.buf[i];
            if self.step(i, b, sink) {
                // The byte ended a value and starts something else: again.
                continue;
            }
            if b == b'\n' {
                self.line += 1;
            } else if !b.is_ascii_whitespace() {
                self.last_significant = Some(b);
            }
            self.after_newline = b == b'\n';
            i += 1;
        }
        // Keep the document under way and the bytes not walked yet, moved to
        // the front (no new memory).
        let keep_from = match self.inside {
            Inside::Document { start: Some(s), .. } | Inside::Scalar { start: s, .. } => s.min(i),
            _ => i,
        };
        self.buf.drain(..keep_from);
        self.walked = i - keep_from;
        self.inside = match self.inside {
            Inside::Document {
                line,
                depth,
                start: Some(s),
            } => Inside::Document {
                line,
                depth,
                start: Some(s - keep_from),
            },
            Inside::Scalar { line, start } => Inside::Scalar {
                line,
                start: start - keep_from,
            },
            other => other,
        };
        if self.buf.is_empty() {
            // A document given up on may have held the limit's worth.
            self.buf.shrink_to(super::BUFFER);
        }
    }

    /// One byte at `i`; `true` when it is to be stepped again (it ended a value
    /// and begins what follows).
    fn step(&mut self, i: usize, b: u8, sink: &mut impl Sink) -> bool {
        match self.inside {
            Inside::Nothing => {
                if b.is_ascii_whitespace() {
                    return false;
                }
                if let Some((line, passed)) = self.resync {
                    // A line's start is outside any string, not outside any
                    // document: writers that break lines without indenting
                    // put nested items at its start, after `,` or `[` (a
                    // third review forged a record that way).
                    let line_start = self.after_newline
                        && !matches!(self.last_significant, Some(b':' | b',' | b'['));
                    if !line_start && !self.begins_again(i, b) {
                        self.resync = Some((line, passed + 1));
                        return false;
                    }
                    self.resync = None;
                    if passed > 0 {
                        sink.rejected(
                            &at(self.source, Some(line)),
                            &format!(
                                "{passed} byte(s) after a broken document not read: reading goes on at line {}, where a document begins as a file or a line does",
                                self.line
                            ),
                        );
                    }
                }
                self.walk = Walk::default();
                self.inside = match self.walk.step(b) {
                    Some(Bracket::Open) => Inside::Document {
                        line: self.line,
                        depth: 1,
                        start: Some(i),
                    },
                    _ => Inside::Scalar {
                        line: self.line,
                        start: i,
                    },
                };
                false
            }
            Inside::Scalar { line, start } => {
                let ends =
                    !self.walk.in_string() && (b.is_ascii_whitespace() || matches!(b, b'{' | b'['));
                if ends {
                    if !document(
                        &self.buf[start..i],
                        self.source,
                        Some(line),
                        self.limits,
                        sink,
                    ) {
                        self.resync = Some((self.line, 0));
                    }
                    self.inside = Inside::Nothing;
                    return true;
                }
                self.walk.step(b);
                if i + 1 - start > self.limits.max_document_bytes {
                    // Junk without a blank for as long as a document may be:
                    // reported once, then read on as a new start.
                    self.over_limit(line, sink);
                    self.inside = Inside::Nothing;
                }
                false
            }
            Inside::Document { line, start, .. } if self.begins_again(i, b) => {
                // The document never closed (a file cut off in a `cat`): it
                // is given up, and another begins here (from a review: one
                // cut-off document swallowed everything after it).
                if start.is_some() {
                    sink.rejected(
                        &at(self.source, Some(line)),
                        &format!("document cut off: reading goes on at line {}", self.line),
                    );
                }
                self.inside = Inside::Nothing;
                self.resync = Some((self.line, 0));
                true
            }
            Inside::Document { line, depth, start } => {
                let depth = match self.walk.step(b) {
                    Some(Bracket::Open) => depth + 1,
                    Some(Bracket::Close) => depth - 1,
                    None => depth,
                };
                let mut start = start;
                if start.is_some_and(|s| i + 1 - s > self.limits.max_document_bytes) {
                    start = None;
                    self.over_limit(line, sink);
                }
                if depth == 0 {
                    let whole = start.is_some_and(|s| {
                        document(&self.buf[s..=i], self.source, Some(line), self.limits, sink)
                    });
                    if !whole {
                        self.resync = Some((self.line, 0));
                    }
                    self.inside = Inside::Nothing;
                } else {
                    self.inside = Inside::Document { line, depth, start };
                }
                false
            }
        }
    }

    /// Whether another document begins at `i` (byte `b`) inside one that has
    /// not closed. Inside a document a value opens only after `:`, `,` or `[`;
    /// and neither a raw `{"Records":` (the start of each of CloudTrail's files)
    /// nor a line that is only `{` or `[` (how `jq .` starts each document) can
    /// be inside a string. Either, not after those bytes, is a new document,
    /// whatever the walk believes about strings (a cut may have left it inside
    /// one). `framing::Restarts` asks the same of text held whole; here the
    /// line must end right after the bracket, since the walk sees only a few
    /// bytes past a read's edge.
    fn begins_again(&self, i: usize, b: u8) -> bool {
        if !matches!(b, b'{' | b'[') || matches!(self.last_significant, Some(b':' | b',' | b'[')) {
            return false;
        }
        let rest = &self.buf[i..];
        let records = rest.starts_with(b"{\"Records\":");
        let alone_on_its_line = (i == 0 || self.buf[i - 1] == b'\n')
            && matches!(rest.get(1..3), Some([b'\n', _]) | Some([b'\r', b'\n']));
        records || alone_on_its_line
    }

    fn over_limit(&mut self, line: u64, sink: &mut impl Sink) {
        sink.rejected(
            &at(self.source, Some(line)),
            &format!(
                "document over the {}-byte limit (--max-document-bytes); reading goes on after it",
                self.limits.max_document_bytes
            ),
        );
    }

    /// The input ended: a value under way is read; a document cut off is read
    /// as JSON lines when a line of it stands alone, else reported; text passed
    /// over after a broken document is reported (a third review: it was lost
    /// without a word).
    fn end(&mut self, sink: &mut impl Sink) {
        if let Some((line, passed)) = self.resync.take()
            && passed > 0
        {
            sink.rejected(
                &at(self.source, Some(line)),
                &format!("{passed} byte(s) after a broken document not read: no document begins after it as a file does"),
            );
        }
        match std::mem::replace(&mut self.inside, Inside::Nothing) {
            Inside::Nothing | Inside::Document { start: None, .. } => {}
            Inside::Scalar { line, start } => {
                document(
                    &self.buf[start..],
                    self.source,
                    Some(line),
                    self.limits,
                    sink,
                );
            }
            Inside::Document {
                line,
                start: Some(s),
                ..
            } => {
                let rest = &self.buf[s..];
                if rest
                    .split(|b| *b == b'\n')
                    .skip(1)
                    .filter(|l| !super::framing::starts_indented(l))
                    .any(|l| stands_alone(l, true))
                {
                    each_line_as_document(rest, Some(line), self.source, self.limits, sink);
                } else {
                    sink.rejected(
                        &at(self.source, Some(line)),
                        "document cut off: the input ends inside it",
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Location, read_stream};
    use super::*;

    #[derive(Default, Debug, PartialEq)]
    struct Seen(Vec<String>);
    impl Sink for Seen {
        fn record(&mut self, loc: &Location, json: &str) {
            let name = json
                .split("\"eventName\":\"")
                .nth(1)
                .and_then(|r| r.split('"').next());
            self.0.push(format!("{loc} record {}", name.unwrap_or("?")));
        }
        fn rejected(&mut self, loc: &Location, reason: &str) {
            self.0.push(format!("{loc} rejected {reason}"));
        }
        fn not_cloudtrail(&mut self, loc: &Location) {
            self.0.push(format!("{loc} other"));
        }
    }

    const LIMITS: Limits = Limits {
        max_record_bytes: 1000,
        max_document_bytes: 400,
        max_file_bytes: 1 << 30,
    };

    fn rec(name: &str) -> String {
        format!(r#"{{"eventSource":"iam.amazonaws.com","eventName":"{name}","x":"a {{ ] \" b"}}"#)
    }

    fn read(bytes: &[u8]) -> Vec<String> {
        let mut seen = Seen::default();
        read_stream(bytes, "t", &LIMITS, &mut seen);
        seen.0
    }

    /// The same text handed over in reads of every size up to `most`.
    fn read_in_pieces(bytes: &[u8], most: usize) -> Vec<Vec<String>> {
        (1..=most)
            .map(|size| {
                let mut seen = Seen::default();
                let mut input = std::io::BufReader::with_capacity(size, bytes);
                read_documents(Vec::new(), 1, &mut input, false, "t", &LIMITS, &mut seen);
                seen.0
            })
            .collect()
    }

    #[test]
    fn pretty_documents_over_the_limit_are_read_one_by_one() {
        let pretty: String = (0..12)
            .map(|i| {
                format!(
                    "{{\n  \"Records\": [\n    {}\n  ]\n}}\n",
                    rec(&format!("P{i}"))
                )
            })
            .collect();
        assert!(pretty.len() > LIMITS.max_document_bytes);
        let seen = read(pretty.as_bytes());
        let expected: Vec<String> = (0..12)
            .map(|i| format!("t:{} (record 1) record P{i}", 1 + 5 * i))
            .collect();
        assert_eq!(seen, expected);
    }

    #[test]
    fn documents_back_to_back_on_one_line_are_read_one_by_one() {
        let line: String = (0..12)
            .map(|i| format!("{{\"Records\":[{}]}}", rec(&format!("C{i}"))))
            .collect();
        assert!(line.len() > LIMITS.max_document_bytes);
        let text = format!("{line}\n{}\n", rec("Next"));
        let seen = read(text.as_bytes());
        let mut expected: Vec<String> = (0..12)
            .map(|i| format!("t:1 (record 1) record C{i}"))
            .collect();
        expected.push("t:2 record Next".to_owned());
        assert_eq!(seen, expected);
        // Whatever the reads' sizes, the same.
        for (size, pieces) in read_in_pieces(text.as_bytes(), 64).into_iter().enumerate() {
            assert_eq!(pieces, expected, "reads of {} bytes", size + 1);
        }
    }

    #[test]
    fn one_document_over_the_limit_is_reported_and_reading_goes_on() {
        let big = format!("{{\"Records\":[{}]}}", vec![rec("Big"); 8].join(","));
        assert!(big.len() > LIMITS.max_document_bytes);
        let text = format!("{}\n{big}\nnull\n{}junk!\n{}", rec("A"), rec("B"), rec("C"));
        let seen = read_in_pieces(text.as_bytes(), 1).remove(0);
        assert_eq!(
            seen,
            [
                "t:1 record A".to_owned(),
                format!(
                    "t:2 rejected document over the {}-byte limit (--max-document-bytes); reading goes on after it",
                    LIMITS.max_document_bytes
                ),
                "t:3 other".to_owned(),
                "t:4 record B".to_owned(),
                "t:4 rejected malformed JSON: expected value (column 1)".to_owned(),
                "t:5 record C".to_owned(),
            ]
        );
    }

    #[test]
    fn a_document_the_input_ends_inside_is_reported_or_read_as_lines() {
        let cut = format!(
            "{}\n{{\n  \"Records\": [\n    {}",
            rec("A"),
            &rec("Z")[..20]
        );
        let seen = read_in_pieces(cut.as_bytes(), 1).remove(0);
        assert_eq!(
            seen,
            [
                "t:1 record A",
                "t:2 rejected document cut off: the input ends inside it"
            ]
        );
        // Lines that stand alone inside it are records (JSON lines after a broken head).
        let lines = format!("{{\"Records\": [\n{}\n{}\n", rec("L1"), rec("L2"));
        let seen = read_in_pieces(lines.as_bytes(), 1).remove(0);
        assert_eq!(
            seen,
            [
                "t:1 rejected malformed JSON: EOF while parsing a list: the text ends before the document is closed",
                "t:2 record L1",
                "t:3 record L2"
            ]
        );
    }

    /// From a review: a document that never closes (a file cut off in a `cat`,
    /// a `jq .` document cut short) swallowed everything after it. Another
    /// begins at `{"Records":` or at a line that is only `{`, when not after
    /// `:`, `,` or `[`.
    #[test]
    fn a_document_cut_off_gives_way_to_the_next() {
        let file = |name: &str| format!("{{\"Records\":[{}]}}", rec(name));
        let half = file("Half");
        let cut_in_string = &half[..half.len() - 20];
        let text = format!("{}{cut_in_string}{}{}", file("A"), file("B"), "x".repeat(0));
        let big = format!(
            "{text}{}",
            (0..10).map(|i| file(&format!("C{i}"))).collect::<String>()
        );
        assert!(big.len() > LIMITS.max_document_bytes);
        let seen = read(big.as_bytes());
        let records: Vec<&String> = seen.iter().filter(|l| l.contains(" record ")).collect();
        assert_eq!(records.len(), 12, "{seen:?}");
        assert!(
            seen.iter()
                .any(|l| l.contains("document cut off: reading goes on at line 1")),
            "{seen:?}"
        );
        let pretty = |name: &str| format!("{{\n  \"Records\": [\n    {}\n  ]\n}}\n", rec(name));
        let cut = pretty("Cut");
        let text: String = format!("{}{}\n", pretty("A"), &cut[..cut.len() - 12])
            + &(0..10)
                .map(|i| pretty(&format!("P{i}")))
                .collect::<String>();
        let seen = read(text.as_bytes());
        let records = seen.iter().filter(|l| l.contains(" record ")).count();
        assert_eq!(records, 11, "{seen:?}");
        // A nested object's key `Records` or a `{` line after `[` is no new start.
        let nested = format!(
            "[\n{{\"eventSource\":\"s\",\"eventName\":\"N\",\"x\":{{\"Records\":[1]}}}},\n{{\n\"eventName\":\"M\"}}\n]\n{}",
            (0..10).map(|i| file(&format!("D{i}"))).collect::<String>()
        );
        let seen = read(nested.as_bytes());
        assert!(!seen.iter().any(|l| l.contains("rejected")), "{seen:?}");
        assert_eq!(
            seen.iter().filter(|l| l.contains(" record ")).count(),
            12,
            "{seen:?}"
        );
    }

    /// From a review: text that opens no document (a flow log) over the limit
    /// is one rejection, not one per word; a byte-order mark before documents
    /// back to back is read past.
    #[test]
    fn plain_text_over_the_limit_is_one_rejection_and_a_bom_is_read_past() {
        let flow = "2 111122223333 eni-0a1b2c3d 10.0.0.1 10.0.0.2 443 49152 6 10 840 1700000000 1700000060 ACCEPT OK\n".repeat(20);
        let seen = read(flow.as_bytes());
        assert_eq!(seen.len(), 1, "{seen:?}");
        let back_to_back: String = (0..12)
            .map(|i| format!("{{\"Records\":[{}]}}", rec(&format!("B{i}"))))
            .collect();
        let seen = read(format!("\u{feff}{back_to_back}").as_bytes());
        assert_eq!(seen.len(), 12, "{seen:?}");
        assert!(seen.iter().all(|l| l.contains(" record ")), "{seen:?}");
    }

    /// From a review: after a first line over the limit, the lines after it
    /// are JSON lines again, each on its own: one bad line loses only itself.
    #[test]
    fn after_a_long_first_line_the_lines_are_read_one_by_one() {
        let first: String = (0..12)
            .map(|i| format!("{{\"Records\":[{}]}}", rec(&format!("F{i}"))))
            .collect();
        let text = format!(
            "{first}\n{}\nWARN could not parse \"userAgent\n{}\n",
            rec("L2"),
            rec("L4")
        );
        let seen = read(text.as_bytes());
        let records: Vec<&String> = seen.iter().filter(|l| l.contains(" record ")).collect();
        assert_eq!(records.len(), 14, "{seen:?}");
        assert!(
            seen.contains(&"t:2 record L2".to_owned())
                && seen.contains(&"t:4 record L4".to_owned()),
            "{seen:?}"
        );
        assert_eq!(
            seen.iter().filter(|l| l.contains("rejected")).count(),
            1,
            "{seen:?}"
        );
        // A first line over the limit that opens no document: one rejection, then lines.
        let text = format!("{}\n{}\n", "x".repeat(500), rec("After"));
        let seen = read(text.as_bytes());
        assert_eq!(seen.len(), 2, "{seen:?}");
        assert_eq!(seen[1], "t:2 record After");
    }

    #[test]
    fn other_compressions_are_one_rejection() {
        for head in [
            &b"BZh91AY&SY"[..],
            &[0x28, 0xB5, 0x2F, 0xFD, 0, 0][..],
            &[0xFD, b'7', b'z', b'X', b'Z', 0, 1][..],
            &b"PK\x03\x04rest"[..],
        ] {
            let mut bytes = head.to_vec();
            bytes.extend_from_slice(b"\nline\nline\n");
            let seen = read(&bytes);
            assert_eq!(seen.len(), 1, "{seen:?}");
            assert!(seen[0].contains("compressed with"), "{seen:?}");
        }
    }

    /// From a review of this change: pretty documents after a long first line,
    /// junk before documents past the limit, a byte-order mark before each of
    /// several documents, and a restart at a read's edge.
    #[test]
    fn pretty_after_a_long_line_junk_before_boms_between_and_read_edges() {
        let file = |name: &str| format!("{{\"Records\":[{}]}}", rec(name));
        let pretty = |name: &str| format!("{{\n  \"Records\": [\n    {}\n  ]\n}}\n", rec(name));
        let long: String = (0..6).map(|i| file(&format!("L{i}"))).collect();
        assert!(long.len() > LIMITS.max_document_bytes);
        let text = format!("{long}\n{}{}", pretty("P1"), pretty("P2"));
        let seen = read(text.as_bytes());
        assert_eq!(
            seen.iter().filter(|l| l.contains(" record ")).count(),
            8,
            "{seen:?}"
        );
        assert!(!seen.iter().any(|l| l.contains("rejected")), "{seen:?}");
        // Every line of the documents pretty, as `jq .` writes them.
        let jq = |name: &str| {
            let v: serde_json::Value = serde_json::from_str(&file(name)).unwrap();
            format!("{}\n", serde_json::to_string_pretty(&v).unwrap())
        };
        let text = format!(
            "jq: error (at a.json:0): Cannot iterate over null\n{}",
            (0..4).map(|i| jq(&format!("J{i}"))).collect::<String>()
        );
        assert!(text.len() > LIMITS.max_document_bytes);
        let seen = read(text.as_bytes());
        assert_eq!(
            seen.iter().filter(|l| l.contains(" record ")).count(),
            4,
            "{seen:?}"
        );
        assert_eq!(
            seen.iter().filter(|l| l.contains("rejected")).count(),
            1,
            "{seen:?}"
        );
        let boms: String = (0..6)
            .map(|i| format!("\u{feff}{}", file(&format!("B{i}"))))
            .collect();
        assert!(boms.len() > LIMITS.max_document_bytes);
        let seen = read(boms.as_bytes());
        assert_eq!(
            seen.iter().filter(|l| l.contains(" record ")).count(),
            6,
            "{seen:?}"
        );
        assert!(!seen.iter().any(|l| l.contains("rejected")), "{seen:?}");
        // A cut-off document, then files: the same whatever the reads' sizes.
        let cut = pretty("Cut");
        // Cut inside a string (after `,` or `:` a new file's start is taken for
        // a value, the heuristic's limit).
        let inside = cut.find(" { ]").unwrap();
        let text = format!(
            "{}{}",
            &cut[..inside],
            (0..3).map(|i| file(&format!("R{i}"))).collect::<String>()
        );
        for (size, seen) in read_in_pieces(text.as_bytes(), 40).into_iter().enumerate() {
            assert_eq!(
                seen.iter().filter(|l| l.contains(" record ")).count(),
                3,
                "reads of {}: {seen:?}",
                size + 1
            );
        }
    }
    /// From a review: a file cut inside a string left the walk taking the next
    /// file's strings for structure; a caller's string of `}` then closed the
    /// document in its eyes, and an object in the caller's parameters was read
    /// as a document of its own (a forged `StopLogging`). After a document not
    /// read whole, nothing opens until one begins as a file or a line does,
    /// not right after `:`, `,` or `[`.
    #[test]
    fn a_walk_out_of_step_reads_nothing_its_caller_wrote() {
        let file = |records: &[String]| format!("{{\"Records\":[{}]}}", records.join(","));
        let stop =
            r#"{"eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","FORGED":1}"#;
        let tagged = format!(
            r#"{{"eventSource":"ec2.amazonaws.com","eventName":"CreateTags","requestParameters":{{"value":"{}"}}}}"#,
            ",".repeat(500)
        );
        let x = file(&[rec("X1"), tagged, rec("X2")]);
        let cut = x.find(",,,,").unwrap() + 250;
        let gadget = format!(
            r#"{{"eventSource":"ec2.amazonaws.com","eventName":"CreateLaunchTemplate","requestParameters":{{"description":"{}\"","launchTemplateData":{{"Records":[{stop}],"userData":"x"}}}}}}"#,
            "}".repeat(10)
        );
        // Inline, and with the nested record at a line's start, as writers
        // that break lines without indenting put it (a third review: a line's
        // start after `[` reopened the walk there).
        let column_0 = gadget.replace(
            "[{\"eventSource\":\"cloudtrail",
            "[\n{\"eventSource\":\"cloudtrail",
        );
        assert_ne!(column_0, gadget);
        for gadget in [gadget, column_0] {
            let text = format!(
                "{}{}{}\n{}",
                file(&[rec("A")]),
                &x[..cut],
                file(&[gadget, rec("C")]),
                file(&[rec("D")])
            );
            for seen in read_in_pieces(text.as_bytes(), 16) {
                assert!(!seen.iter().any(|l| l.contains("StopLogging")), "{seen:?}");
                // The file after the broken text is read again.
                assert!(seen.iter().any(|l| l.ends_with("record D")), "{seen:?}");
            }
        }
    }
}
