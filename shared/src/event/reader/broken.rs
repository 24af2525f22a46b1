//! A `Records` file or a JSON array broken inside: a download cut off, a gzip
//! stream that ends early, a record edited by hand. From a new user's review:
//! such a file was one rejection, every record in it lost, and "1 rejected"
//! read as one record lost. Its items are now read one by one up to the break,
//! each complete one as the whole file's would be, at its place
//! (`(record n)`), and the rest is one rejection saying how many came before.
//!
//! Reading never goes on after the break inside a document: a review showed
//! that a walk past a lost quote can land inside a record and read one of its
//! nested objects (text its caller wrote) as a record of its own. What comes
//! before the break is parsed exactly from the document's start, so every item
//! read is an item of the file. Documents that follow a whole one on the same
//! text (`cat` of log files, which end without a newline; gzip members) are
//! read in turn, from where the whole one ended.

use serde_json::value::RawValue;

use super::document::item;
use super::{Limits, Location, Sink};

/// Reads the items of a broken `Records` file or array in `bytes` (the text
/// from a document's first byte, or what of it was read before `why` stopped
/// the reading), and rejects the rest once. `false`, nothing reported, when
/// `bytes` opens neither form, is over the document limit, or its first item
/// is already broken: the caller rejects it whole, as before.
pub(super) fn read_broken(
    bytes: &[u8],
    loc: &Location,
    why: &str,
    limits: &Limits,
    sink: &mut impl Sink,
) -> bool {
    if bytes.len() > limits.max_document_bytes {
        return false;
    }
    // Cut inside a character, or a damaged byte: the text before it.
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default(),
    };
    let b = text.as_bytes();
    let mut at = 0;
    let mut place = loc.clone();
    let mut documents = 0;
    while let Some((start, records_file)) = items_start(&b[at..]) {
        match items(text, at + start, &mut place, limits, sink) {
            Ok(end) => {
                documents += 1;
                at = skip_blank(b, end);
                if records_file {
                    if b.get(at) != Some(&b'}') {
                        return rest_not_read(&mut place, None, why, sink);
                    }
                    at = skip_blank(b, at + 1);
                }
                if at == b.len() {
                    // Whole up to the end: the break came after it (a cut
                    // between documents, a stream cut there).
                    place.record = None;
                    sink.rejected(&place, why);
                    return true;
                }
            }
            Err(read) if read == 0 && documents == 0 => return false,
            Err(read) => return rest_not_read(&mut place, Some(read), why, sink),
        }
    }
    if documents == 0 {
        return false;
    }
    rest_not_read(&mut place, None, why, sink)
}

/// Reads the items of the array whose first item begins at `at`, each at its
/// place. `Ok(end)`, just after the array's `]`, when it closes; else
/// `Err(items read)`, at the item where it broke (in `place`).
fn items(
    text: &str,
    mut at: usize,
    place: &mut Location,
    limits: &Limits,
    sink: &mut impl Sink,
) -> Result<usize, usize> {
    let b = text.as_bytes();
    let mut read = 0;
    place.record = Some(1);
    at = skip_blank(b, at);
    if b.get(at) == Some(&b']') {
        return Ok(at + 1);
    }
    loop {
        place.record = Some(read + 1);
        let mut one = serde_json::Deserializer::from_str(&text[at..]).into_iter::<&RawValue>();
        let Some(Ok(raw)) = one.next() else {
            return Err(read);
        };
        at += one.byte_offset();
        item(raw, place, limits, sink);
        read += 1;
        at = skip_blank(b, at);
        match b.get(at) {
            Some(b',') => at = skip_blank(b, at + 1),
            Some(b']') => return Ok(at + 1),
            _ => {
                place.record = Some(read + 1);
                return Err(read);
            }
        }
    }
}

/// The rest of the text, from the item `place` names (`read` items of its
/// document before it) or from after the last whole document, is one
/// rejection with `why`; `true`.
fn rest_not_read(
    place: &mut Location,
    read: Option<usize>,
    why: &str,
    sink: &mut impl Sink,
) -> bool {
    let what = match read {
        Some(read) => format!("after {read} complete item(s) of its document"),
        None => {
            place.record = None;
            "after the whole documents before it".to_owned()
        }
    };
    sink.rejected(
        place,
        &format!("{why}: the rest of the text is not read ({what})"),
    );
    true
}

/// Whether `bytes` open a `Records` file or a JSON array ([`read_broken`]).
pub(super) fn opens_items(bytes: &[u8]) -> bool {
    items_start(bytes).is_some()
}

/// Where the first item of a `Records` file (`{"Records":[`, the key first,
/// as CloudTrail writes it) or a JSON array begins, blanks allowed between the
/// tokens, and whether it is a `Records` file.
fn items_start(b: &[u8]) -> Option<(usize, bool)> {
    let mut at = skip_blank(b, 0);
    if b.get(at..at + 3) == Some(b"\xEF\xBB\xBF") {
        at = skip_blank(b, at + 3);
    }
    match b.get(at)? {
        b'[' => Some((at + 1, false)),
        b'{' => {
            at = skip_blank(b, at + 1);
            let key = b"\"Records\"";
            if b.get(at..at + key.len())? != key {
                return None;
            }
            at = skip_blank(b, at + key.len());
            (b.get(at)? == &b':').then_some(())?;
            at = skip_blank(b, at + 1);
            (b.get(at)? == &b'[').then_some((at + 1, true))
        }
        _ => None,
    }
}

fn skip_blank(b: &[u8], mut at: usize) -> usize {
    while b.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    at
}
