//! A buffered reader whose buffer starts on a 64-byte boundary.
//!
//! Reading a file copies its cached pages into the buffer `read` names. On this
//! project's build machine (AMD EPYC, Linux) that copy took three times as long
//! into a buffer 16 bytes past a 32-byte boundary as into an aligned one (0.6 s
//! against 0.2 s for the 1.2 GB bench file with 256 KiB reads). std's
//! `BufReader` takes its buffer wherever the allocator puts a byte array, which
//! for the one-thread replay was such a place: a quarter of that replay's time
//! went to the kernel's copy. This reader fixes the buffer's start instead.

use std::io::{self, BufRead, Read};

/// The buffer's alignment: a cache line.
const ALIGN: usize = 64;

/// `std::io::BufReader` with its buffer aligned to [`ALIGN`] bytes: the same
/// reads of the inner reader, the same bytes handed out.
pub struct AlignedBufReader<R> {
    inner: R,
    buf: Box<[u8]>,
    /// Where the aligned part of `buf` starts, and its length.
    start: usize,
    capacity: usize,
    /// The unread bytes are `pos..filled` of the aligned part.
    pos: usize,
    filled: usize,
}

impl<R: Read> AlignedBufReader<R> {
    pub fn with_capacity(capacity: usize, inner: R) -> Self {
        let buf = vec![0u8; capacity + ALIGN].into_boxed_slice();
        // A byte pointer can always be aligned; `min` only keeps the slice in range.
        let start = buf.as_ptr().align_offset(ALIGN).min(ALIGN);
        AlignedBufReader {
            inner,
            buf,
            start,
            capacity,
            pos: 0,
            filled: 0,
        }
    }
}

impl<R: Read> AlignedBufReader<R> {
    /// [`BufRead::fill_buf`], reading on until at least `n` bytes are buffered
    /// (or the input ends): what starts a stream is told from its first bytes,
    /// and a pipe may hand over one byte at a time.
    pub fn fill_at_least(&mut self, n: usize) -> io::Result<&[u8]> {
        let (start, capacity) = (self.start, self.capacity);
        if self.pos > 0 {
            // Keep the unread bytes at the front, so that there is room after them.
            self.buf
                .copy_within(start + self.pos..start + self.filled, start);
            self.filled -= self.pos;
            self.pos = 0;
        }
        let want = n.min(capacity);
        while self.filled < want {
            match self
                .inner
                .read(&mut self.buf[start + self.filled..start + capacity])
            {
                Ok(0) => break,
                Ok(got) => self.filled += got,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(&self.buf[start..start + self.filled])
    }
}

impl<R: Read> Read for AlignedBufReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        // As std's: a read at least as large as the buffer, with nothing buffered,
        // goes straight to the inner reader.
        if self.pos == self.filled && out.len() >= self.capacity {
            return self.inner.read(out);
        }
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for AlignedBufReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        let (start, capacity) = (self.start, self.capacity);
        if self.pos >= self.filled {
            self.filled = self.inner.read(&mut self.buf[start..start + capacity])?;
            self.pos = 0;
        }
        Ok(&self.buf[start + self.pos..start + self.filled])
    }

    fn consume(&mut self, amount: usize) {
        self.pos = (self.pos + amount).min(self.filled);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufReader;

    /// A reader that hands out at most `step` bytes a call, so that reads end
    /// at odd places.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(out.len()).min(self.1);
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    /// A stream that arrives a byte at a time is still told by its first bytes
    /// (from a review: `gzip -c | trailwatch replay -` could hand over one).
    #[test]
    fn the_first_bytes_are_gathered_from_a_trickle() {
        let mut r = AlignedBufReader::with_capacity(64, Trickle(b"\x1f\x8bxyz", 1));
        assert_eq!(r.fill_at_least(2).unwrap(), b"\x1f\x8b");
        let mut rest = Vec::new();
        r.read_to_end(&mut rest).unwrap();
        assert_eq!(rest, b"\x1f\x8bxyz");
        let mut short = AlignedBufReader::with_capacity(64, Trickle(b"{", 1));
        assert_eq!(short.fill_at_least(2).unwrap(), b"{");
        let mut partly_read = AlignedBufReader::with_capacity(8, Trickle(b"abcdefghij", 3));
        partly_read.fill_buf().unwrap();
        partly_read.consume(2);
        assert_eq!(partly_read.fill_at_least(4).unwrap(), b"cdef");
    }

    #[test]
    fn its_buffer_is_aligned() {
        for capacity in [1, 7, 64, 1000, 1 << 18] {
            let mut r = AlignedBufReader::with_capacity(capacity, &b"x"[..]);
            let head = r.fill_buf().unwrap().as_ptr();
            assert_eq!(head as usize % ALIGN, 0, "{capacity}");
        }
    }

    /// The same bytes as std's `BufReader`, call for call, for reads of every
    /// size and lines of every length, over inner reads that end anywhere.
    #[test]
    fn reads_as_std_bufreader_does() {
        let text: Vec<u8> = (0..5000u32)
            .flat_map(|i| {
                let mut line = vec![b'a' + (i % 26) as u8; (i as usize * 7) % 90];
                line.push(b'\n');
                line
            })
            .collect();
        for capacity in [1, 16, 100, 4096] {
            for step in [1, 3, 64, 1000, usize::MAX] {
                let mut ours = AlignedBufReader::with_capacity(capacity, Trickle(&text, step));
                let mut std = BufReader::with_capacity(capacity, Trickle(&text, step));
                for round in 0.. {
                    let (mut a, mut b) = (Vec::new(), Vec::new());
                    let (x, y) = match round % 3 {
                        0 => (
                            ours.read_until(b'\n', &mut a),
                            std.read_until(b'\n', &mut b),
                        ),
                        1 => {
                            let size = (round * 37) % (2 * capacity + 3);
                            a.resize(size, 0);
                            b.resize(size, 0);
                            (ours.read(&mut a), std.read(&mut b))
                        }
                        _ => {
                            let x = ours.fill_buf().map(|s| s.to_vec());
                            let y = std.fill_buf().map(|s| s.to_vec());
                            let take = x.as_ref().map_or(0, |s| s.len() / 2);
                            ours.consume(take);
                            std.consume(take);
                            (x.map(|s| s.len()), y.map(|s| s.len()))
                        }
                    };
                    let (x, y) = (x.unwrap(), y.unwrap());
                    assert_eq!(
                        (x, &a),
                        (y, &b),
                        "capacity {capacity} step {step} round {round}"
                    );
                    if round % 3 == 0 && x == 0 {
                        break;
                    }
                }
            }
        }
    }

    #[test]
    fn errors_reach_the_caller() {
        struct Broken;
        impl Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("disk on fire"))
            }
        }
        let mut r = AlignedBufReader::with_capacity(8, Broken);
        assert_eq!(r.fill_buf().unwrap_err().to_string(), "disk on fire");
        let mut out = String::new();
        assert!(r.read_to_string(&mut out).is_err());
    }
}
