//! Whole-buffer gzip decompression with libdeflate, for the command line
//! (feature `cli-gunzip`; the functions keep flate2 alone).
//!
//! A CloudTrail log file is one small gzip member. Decompressing it in one call,
//! into a buffer sized by its trailer, takes about two thirds of the time of
//! streaming it through flate2 (zlib-rs). Anything this does not handle exactly
//! as the streaming reader would (several members, junk after the member, a
//! header CRC, a broken stream, output over a limit) is declined, and the caller
//! streams the same bytes instead, so results and error messages do not change.

use std::cell::Cell;
use std::ptr::NonNull;

use libdeflate_sys as sys;

/// One libdeflate decompressor (not thread-safe: one per thread).
struct Inflater(NonNull<sys::libdeflate_decompressor>);

impl Inflater {
    fn new() -> Option<Inflater> {
        // SAFETY: no arguments; a null return (out of memory) is handled.
        NonNull::new(unsafe { sys::libdeflate_alloc_decompressor() }).map(Inflater)
    }
}

impl Drop for Inflater {
    fn drop(&mut self) {
        // SAFETY: the pointer came from libdeflate_alloc_decompressor and is freed once.
        unsafe { sys::libdeflate_free_decompressor(self.0.as_ptr()) }
    }
}

thread_local! {
    static INFLATER: Cell<Option<Inflater>> = const { Cell::new(None) };
}

/// gzip's FHCRC flag: the header carries a CRC16 that flate2 checks and
/// libdeflate skips, so such files are left to flate2.
const FHCRC: u8 = 0x02;

/// Decompresses `input`, a whole file holding exactly one gzip member, into the
/// start of `out` (grown as needed, never shrunk), if its content is at most
/// `max` bytes. Returns the content's length, or `None` when the streaming reader
/// must handle the file. One byte past the content is always left in `out`.
pub fn whole(input: &[u8], out: &mut Vec<u8>, max: usize) -> Option<usize> {
    if input.len() < 18 || input.get(3).is_some_and(|flags| flags & FHCRC != 0) {
        return None;
    }
    // The trailer's ISIZE: the content's length (mod 2^32) if there is one member.
    let trailer: [u8; 4] = input[input.len() - 4..].try_into().ok()?;
    let size = u32::from_le_bytes(trailer) as usize;
    if size > max {
        return None;
    }
    if out.len() <= size {
        out.resize(size + 1, 0);
    }
    let inflater = INFLATER.take().or_else(Inflater::new)?;
    let (mut used, mut written) = (0usize, 0usize);
    // SAFETY: `input` and `out[..size]` are valid for the lengths given, the
    // decompressor is this thread's alone, and both results are written by
    // libdeflate before they are read.
    let result = unsafe {
        sys::libdeflate_gzip_decompress_ex(
            inflater.0.as_ptr(),
            input.as_ptr().cast(),
            input.len(),
            out.as_mut_ptr().cast(),
            size,
            &mut used,
            &mut written,
        )
    };
    INFLATER.set(Some(inflater));
    // One member that spans the whole file and fills exactly what its trailer said.
    (result == sys::libdeflate_result_LIBDEFLATE_SUCCESS && used == input.len() && written == size)
        .then_some(size)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    fn gzip(text: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(text).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn one_member_comes_out_as_flate2_reads_it() {
        let text = br#"{"Records":[{"eventName":"StopLogging"}]}"#.repeat(1000);
        let mut out = Vec::new();
        let len = whole(&gzip(&text), &mut out, 1 << 20).unwrap();
        assert_eq!(&out[..len], &text[..]);
        assert!(out.len() > len);
        // The buffer is reused as it is: a smaller file after a larger one.
        let len = whole(&gzip(b"{}\n"), &mut out, 1 << 20).unwrap();
        assert_eq!(&out[..len], b"{}\n");
        let len = whole(&gzip(b""), &mut out, 1 << 20).unwrap();
        assert_eq!(len, 0);
    }

    /// Each of these is declined, for the streaming reader to read or report.
    #[test]
    fn declines_what_the_streaming_reader_must_handle() {
        let member = gzip(b"{\"eventName\":\"A\"}\n");
        let mut two = member.clone();
        two.extend_from_slice(&gzip(b"{\"eventName\":\"B\"}\n"));
        let mut junk = member.clone();
        junk.extend_from_slice(b"not gzip");
        let truncated = member[..member.len() - 6].to_vec();
        let mut corrupt = member.clone();
        let mid = corrupt.len() / 2;
        corrupt[mid] ^= 0xff;
        let mut header_crc = member.clone();
        header_crc[3] |= FHCRC;
        let mut out = Vec::new();
        for (what, input) in [
            ("two members", &two),
            ("junk after the member", &junk),
            ("truncated", &truncated),
            ("corrupt", &corrupt),
            ("header CRC", &header_crc),
        ] {
            assert_eq!(whole(input, &mut out, 1 << 20), None, "{what}");
        }
        // Over the limit: declined; at it: read.
        assert_eq!(whole(&member, &mut out, 17), None);
        assert_eq!(whole(&member, &mut out, 18), Some(18));
        // flate2 reads the two members, which is why they are declined.
        let mut both = String::new();
        flate2::read::MultiGzDecoder::new(&two[..])
            .read_to_string(&mut both)
            .unwrap();
        assert_eq!(both.lines().count(), 2);
    }
}
