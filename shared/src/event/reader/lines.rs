//! Splitting a stream into lines, in place where it can, and trimming them.

use std::io::{self, BufRead};
use std::ops::ControlFlow;

/// Splits a stream into lines, handing each over straight from the reader's buffer
/// when it lies wholly inside it (no copy), else from a scratch buffer. A line
/// longer than `max` is not kept: it is reported as `Err(its length)` and the
/// reader moves on to the next one. No line starting `end` bytes or more into the
/// input is read (a byte range of a file, see `split`).
pub(in crate::event) struct Lines {
    scratch: Vec<u8>,
    max: usize,
    /// Bytes of the current line dropped because it is over `max`.
    dropped: usize,
    /// Lines handed over so far.
    pub(in crate::event) no: u64,
    /// Bytes consumed from the input so far.
    offset: u64,
    end: u64,
    /// Keep the input's first line when it is over `max`, and stop there: set
    /// by [`Lines::keeping_a_long_first_line`].
    keep_long_first: bool,
    /// That first line's bytes so far (at least `max`): the rest of it is still
    /// in the input.
    pub(in crate::event) long_first: Option<Vec<u8>>,
}

impl Lines {
    pub(in crate::event) fn new(max: usize, end: u64) -> Self {
        Lines {
            scratch: Vec::new(),
            max,
            dropped: 0,
            no: 0,
            offset: 0,
            end,
            keep_long_first: false,
            long_first: None,
        }
    }

    /// A first line over `max` is not dropped: [`Lines::each`] stops inside it,
    /// its bytes so far in `long_first`, for a caller that reads it otherwise
    /// (documents back to back on one line: `cat` of CloudTrail's files).
    pub(in crate::event) fn keeping_a_long_first_line(mut self) -> Self {
        self.keep_long_first = true;
        self
    }

    /// Whether `part` would make the first line too long to keep while it is
    /// kept whole: then it is kept, and the reading stops.
    fn stops_at_long_first(&mut self, part: &[u8]) -> bool {
        if !self.keep_long_first
            || self.no != 0
            || self.dropped > 0
            || self.scratch.len() + part.len() <= self.max
        {
            return false;
        }
        let mut kept = std::mem::take(&mut self.scratch);
        kept.extend_from_slice(part);
        self.long_first = Some(kept);
        true
    }

    /// Calls `f(line number, line)` until the input ends or `f` breaks. A read
    /// error comes back with the number of the line it interrupted.
    pub(in crate::event) fn each(
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
            if self.stops_at_long_first(&buf[..take]) {
                input.consume(take);
                self.offset += take as u64;
                return Ok(());
            }
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

    /// The line a read error interrupted, as far as it was read: `None` when
    /// nothing of it was kept (empty, or over `max` and dropped).
    pub(in crate::event) fn interrupted_line(&self) -> Option<&[u8]> {
        (self.dropped == 0 && !self.scratch.is_empty()).then_some(self.scratch.as_slice())
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

pub(super) fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

/// A line without its surrounding ASCII whitespace, nor a UTF-8 byte-order mark
/// before it: Windows tools (PowerShell, Notepad) begin a file with one, which no
/// JSON value can start with, so taking it away loses nothing.
pub(in crate::event) fn trim_line(line: &[u8]) -> &[u8] {
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
