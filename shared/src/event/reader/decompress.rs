//! Gzip input: decompressed whole into a kept buffer when it is small (the usual
//! CloudTrail log file), streamed when it is not.

#[cfg(feature = "cli-gunzip")]
use std::io::BufRead;
use std::io::{self, BufReader, Read};

#[cfg(feature = "cli-gunzip")]
use super::Capped;
use super::framing::read_plain;
use super::{BUFFER, Limits, Sink, at, read_error};

/// A decompressed stream up to this size is read whole before its lines are
/// split: a CloudTrail log file is one line of a few MB, which is then handed
/// over in place instead of being assembled piece by piece from the read buffer.
pub(super) const WHOLE_GZ: usize = 8 << 20;

thread_local! {
    /// The buffer [`read_gz`] decompresses into, kept per thread and never
    /// cleared, so that neither its capacity nor its zeroing is paid again for
    /// the next file.
    static DECODED: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// Reads decompressed text: whole when it is small (the usual CloudTrail log
/// file), else its first [`WHOLE_GZ`] bytes and then the rest as it comes. Lines,
/// errors and their line numbers are those of reading it as one stream.
pub(super) fn read_gz(mut decoded: impl Read, source: &str, limits: &Limits, sink: &mut impl Sink) {
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
            if ended_between_members(&e)
                && !tail.is_empty()
                && serde_json::from_slice::<serde::de::IgnoredAny>(tail).is_ok()
            {
                let lines = memchr::memchr_iter(b'\n', text).count() + 1;
                read_whole(buf, len, source, limits, sink);
                sink.rejected(&at(source, Some(lines as u64 + 1)), &read_error(&e));
                return;
            }
            // Damaged data (a checksum failed, a bad block) is known before
            // any line is read: none is (a third review: JSON lines of a
            // stream that failed its checksum were read, a changed record
            // among them). Past `WHOLE_GZ` the stream is read as it comes and
            // its check fails only at the end: a stated limit.
            if !ended_between_members(&e) {
                sink.rejected(&at(source, Some(1)), &read_error(&e));
                DECODED.set(buf);
                return;
            }
            // Else the lines before the error, and a `Records` file or an
            // array it cut off (a truncated download) read up to the break
            // (`framing::interrupted`, as for any stream).
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

/// Whether an error reading a gzip stream leaves the text before it as it was
/// written: the stream ended early, what follows a member is not another
/// (junk after a log file), or our own size limit stopped it (`Capped`, an
/// `Other` error; the decoder's are not). Not a failed checksum or a bad
/// block: the text may be damaged, and a damaged record may still parse (from
/// a review: a changed byte read as `alicf` where the record said `alice`).
/// Named, not guessed: a decoder error this does not know is taken as damage.
fn ended_between_members(e: &io::Error) -> bool {
    match e.kind() {
        io::ErrorKind::UnexpectedEof | io::ErrorKind::Other => true,
        io::ErrorKind::InvalidInput => e.to_string() == "invalid gzip header",
        _ => false,
    }
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
/// ([`crate::event::gunzip`]); CloudTrail log files are a few hundred KB.
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
pub(super) fn read_gz_file(
    mut input: impl BufRead,
    source: &str,
    limits: &Limits,
    sink: &mut impl Sink,
) {
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
            match crate::event::gunzip::whole(&compressed, &mut buf, max) {
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
