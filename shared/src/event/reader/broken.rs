//! A `Records` file or a JSON array broken inside: a download cut off, a gzip
//! member that ends early, a record edited by hand. From a new user's review:
//! such a file was one rejection, every record in it lost, and "1 rejected"
//! read as one record lost. Its items are now read one by one: each complete
//! one as the whole file's would be, at its place (`(record n)`); a malformed
//! one is rejected on its own and reading goes on after it where its brackets
//! close; where the text ends inside an item, or between items, the rest is
//! rejected once, saying how many records came before.

use serde_json::value::RawValue;

use super::document::item;
use super::{Limits, Location, Sink};

/// Reads the items of a broken `Records` file or array in `bytes` (the whole
/// document from its first byte, or what of it was read before `why` stopped
/// the reading), and rejects what cannot be read. `false`, nothing reported,
/// when `bytes` opens neither form: the caller rejects it whole, as before.
pub(super) fn read_broken(
    bytes: &[u8],
    loc: &Location,
    why: &str,
    limits: &Limits,
    sink: &mut impl Sink,
) -> bool {
    // Cut inside a character, or a damaged byte: the text before it.
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default(),
    };
    let Some((mut at, records_file)) = items_start(text.as_bytes()) else {
        return false;
    };
    let b = text.as_bytes();
    let mut place = loc.clone();
    let (mut items, mut broken) = (0usize, 0usize);
    loop {
        at = skip_blank(b, at);
        match b.get(at) {
            None => return stop(&mut place, items, why, sink),
            Some(b']') if items == 0 => {
                at += 1;
                break;
            }
            Some(_) => {}
        }
        let mut one = serde_json::Deserializer::from_str(&text[at..]).into_iter::<&RawValue>();
        items += 1;
        place.record = Some(items);
        match one.next() {
            Some(Ok(raw)) => {
                let end = at + one.byte_offset();
                item(raw, &place, limits, sink);
                at = end;
            }
            Some(Err(e)) if !e.is_eof() => {
                // Where its brackets close, the next item begins: reading goes
                // on there. Not closed: the text ends inside it.
                let close = matches!(b[at], b'{' | b'[')
                    .then(|| crate::event::nesting::closing(b, at))
                    .flatten();
                let Some(close) = close else {
                    return stop(&mut place, items - 1, why, sink);
                };
                broken += 1;
                sink.rejected(
                    &place,
                    &format!("malformed JSON in this record: {}", within(&e)),
                );
                at = close + 1;
            }
            _ => return stop(&mut place, items - 1, why, sink),
        }
        at = skip_blank(b, at);
        match b.get(at) {
            Some(b',') => at += 1,
            Some(b']') => {
                at += 1;
                break;
            }
            _ => return stop(&mut place, items, why, sink),
        }
    }
    // The array closed: what may follow it is the `Records` object's end.
    at = skip_blank(b, at);
    if records_file && b.get(at) == Some(&b'}') {
        at = skip_blank(b, at + 1);
    }
    if at < b.len() || broken == 0 {
        // The break is after the items (text after the document), or `why`
        // came from the reading, which stopped after the document's end.
        place.record = None;
        sink.rejected(
            &place,
            &format!("{why}: after the {items} item(s), which were read"),
        );
    }
    true
}

/// A record's own parse error, placed in the record (its columns count from
/// the record's first character, not the line's).
fn within(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let what = text
        .rfind(" at line ")
        .map_or(text.as_str(), |i| &text[..i]);
    if e.line() > 1 {
        format!(
            "{what} (line {}, column {} of the record)",
            e.line(),
            e.column()
        )
    } else {
        format!("{what} (character {} of the record)", e.column())
    }
}

/// Ends the reading where the text stops being an array of items: the rest is
/// one rejection, at the item it falls in, after `read` items; `true`. When
/// nothing came before it (the first item cut off), nothing is reported and
/// `false`: the caller rejects the document whole, as a cut-off record is.
fn stop(place: &mut Location, read: usize, why: &str, sink: &mut impl Sink) -> bool {
    if read == 0 {
        return false;
    }
    place.record = Some(read + 1);
    sink.rejected(
        place,
        &format!(
            "{why}: the records from here to the end are not read ({read} item(s) before it were)"
        ),
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
