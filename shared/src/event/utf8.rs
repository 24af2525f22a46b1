//! The UTF-8 check of whole records before they are parsed.
//!
//! Every record a detection wants is checked in full (`serde_json` then reads it
//! as `&str` without checking again). In the command line that is a few percent of
//! a replay; simdutf8 checks long ASCII text several times faster than std. Its
//! error carries no position, so invalid text is checked again by std for the
//! located message. The functions (one event per invocation) keep std's.

/// `bytes` as text, or std's error saying where it stops being UTF-8.
pub fn text(bytes: &[u8]) -> Result<&str, std::str::Utf8Error> {
    #[cfg(feature = "cli-utf8")]
    if let Ok(text) = simdutf8::basic::from_utf8(bytes) {
        return Ok(text);
    }
    std::str::from_utf8(bytes)
}

#[cfg(test)]
mod tests {
    use super::text;

    #[test]
    fn agrees_with_std_on_valid_and_invalid_text() {
        let samples: [&[u8]; 7] = [
            b"",
            b"{\"eventName\":\"ListBuckets\"}",
            "{\"userName\":\"\u{e9}l\u{e8}ve \u{1f600}\"}".as_bytes(),
            b"{\"a\":\"\xff\"}",
            b"{\"a\":\"\xc3\"}",
            b"\xed\xa0\x80 surrogate",
            b"\xf4\x90\x80\x80 past U+10FFFF",
        ];
        for s in samples {
            // Long inputs take the vector path: repeat each sample past 64 bytes.
            for input in [s.to_vec(), s.repeat(40)] {
                let ours = text(&input).map_err(|e| e.valid_up_to());
                let std = std::str::from_utf8(&input).map_err(|e| e.valid_up_to());
                assert_eq!(ours, std, "{input:?}");
            }
        }
    }
}
