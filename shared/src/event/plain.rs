//! A fast reader for plain records: the shape nearly every CloudTrail record has.
//!
//! In a replay with every detection, a quarter of ordinary traffic must be parsed
//! (discovery calls the windows count), and serde_json's generic walk was a third
//! of the instructions. A record is *plain* when its text holds no backslash and
//! no control byte: every string then ends at the next quote, and the only
//! whitespace is the space. This reader walks such a record once, borrowing every
//! string, and validates what it skips (strings, numbers, literals, nesting) as
//! serde_json does.
//!
//! It is exact or it declines: the record it returns is the one
//! [`Record::from_json`]'s serde path builds, and on anything it does not handle
//! in the same way (a known field of an unusual type, a duplicate known key, the
//! keys of a `Records` file or an envelope, deep nesting, text after the object,
//! anything malformed) it answers `None` and the caller parses with serde, which
//! decides, errors included. `agrees_with_serde_*` tests hold the two together.

use std::borrow::Cow;

use super::record::{
    Addendum, InScopeOf, LazyValue, OnBehalfOf, Record, SessionAttributes, SessionContext,
    SessionIssuer, TlsDetails, UserIdentity, WebIdFederationData,
};

/// Nesting the reader follows before it declines (serde_json's limit is 128).
const MAX_DEPTH: usize = 64;

/// `text` as a [`Record`] when it is plain and well formed; `None`: parse it
/// with serde (see the module documentation).
pub(super) fn record(text: &str) -> Option<Record<'_>> {
    let bytes = text.as_bytes();
    // The quote map of an ordinary record lives on the stack.
    let words = bytes.len().div_ceil(64);
    let mut stack = [0u64; STACK_WORDS];
    let mut heap = Vec::new();
    let quotes: &mut [u64] = match stack.get_mut(..words) {
        Some(on_stack) => on_stack,
        None => {
            heap.resize(words, 0);
            &mut heap
        }
    };
    if !map_quotes(bytes, quotes) {
        return None;
    }
    let mut c = Cursor { text, i: 0, quotes };
    c.spaces();
    let mut rec = Record::default();
    let mut seen = Seen::default();
    c.object(|c, key| {
        let (bit, field) = match key {
            "eventSource" => (0, &mut rec.event_source),
            "eventName" => (1, &mut rec.event_name),
            "eventVersion" => (2, &mut rec.event_version),
            "eventTime" => (3, &mut rec.event_time),
            "eventType" => (4, &mut rec.event_type),
            "eventID" => (5, &mut rec.event_id),
            "awsRegion" => (6, &mut rec.aws_region),
            "sourceIPAddress" => (7, &mut rec.source_ip_address),
            "userAgent" => (8, &mut rec.user_agent),
            "errorCode" => (9, &mut rec.error_code),
            "errorMessage" => (10, &mut rec.error_message),
            "recipientAccountId" => (11, &mut rec.recipient_account_id),
            "vpcEndpointId" => (12, &mut rec.vpc_endpoint_id),
            "sessionCredentialFromConsole" => (13, &mut rec.session_credential_from_console),
            "eventCategory" => (19, &mut rec.event_category),
            "addendum" => {
                seen.first(20)?;
                rec.addendum = Some(c.nested(MAX_DEPTH, |c, d| c.text_object(d, addendum_field))?);
                return Some(());
            }
            "userIdentity" => {
                seen.first(14)?;
                rec.user_identity = Some(c.nested(MAX_DEPTH, user_identity)?);
                return Some(());
            }
            "tlsDetails" => {
                seen.first(15)?;
                rec.tls_details = Some(c.nested(MAX_DEPTH, |c, d| c.text_object(d, tls_field))?);
                return Some(());
            }
            "requestParameters" => {
                seen.first(16)?;
                return c.lazy(&mut rec.request_parameters);
            }
            "responseElements" => {
                seen.first(17)?;
                return c.lazy(&mut rec.response_elements);
            }
            "additionalEventData" => {
                seen.first(18)?;
                return c.lazy(&mut rec.additional_event_data);
            }
            // What makes a document a `Records` file, an envelope or an export:
            // the reader's classifying parse decides those (serde's `Record`
            // mirrors them, so that a duplicate fails as it fails there).
            "Records" | "detail" | "detail-type" | "Events" | "events" | "logEvents"
            | "CloudTrailEvent" => {
                return None;
            }
            _ => return c.skip(MAX_DEPTH - 1),
        };
        c.text_field(&mut seen, bit, field)
    })?;
    c.spaces();
    if c.i != bytes.len() {
        return None;
    }
    Some(rec)
}

/// Records up to this many 64-byte blocks (4 KiB) map their quotes on the stack.
const STACK_WORDS: usize = 64;

/// Fills `quotes` (one bit per byte of `bytes`, 64 to a word, low bit first)
/// with where the quotes are; false when `bytes` holds a backslash or a byte
/// below 0x20 (a control character, which JSON forbids in strings, or
/// whitespace other than the space): the record is then not plain.
///
/// In a plain record every quote opens or closes a string, so the cursor finds
/// a string's end by looking up the next bit instead of searching the text: one
/// pass over the record in blocks of 64 bytes instead of a search per string
/// (the searches were a third of this reader's instructions).
fn map_quotes(bytes: &[u8], quotes: &mut [u64]) -> bool {
    let mut bad = false;
    let (blocks, rest) = bytes.as_chunks::<64>();
    let mut words = quotes.iter_mut();
    for (block, word) in blocks.iter().zip(words.by_ref()) {
        let (q, b) = block_marks(block);
        *word = q;
        bad |= b;
    }
    if !rest.is_empty() {
        // Padded with spaces: neither a quote nor a control byte.
        let mut last = [b' '; 64];
        last[..rest.len()].copy_from_slice(rest);
        let (q, b) = block_marks(&last);
        if let Some(word) = words.next() {
            *word = q;
        }
        bad |= b;
    }
    !bad
}

/// For one 64-byte block: its quotes as a bit mask, and whether it holds a
/// backslash or a control byte.
#[cfg(target_arch = "x86_64")]
fn block_marks(block: &[u8; 64]) -> (u64, bool) {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8, _mm_setzero_si128,
    };
    let mut quotes = 0u64;
    // SAFETY: SSE2 is part of every x86_64 target, and each load reads the 16
    // bytes at offset 0, 16, 32 or 48 of a 64-byte array (`loadu`: any alignment).
    unsafe {
        let quote = _mm_set1_epi8(b'"' as i8);
        let backslash = _mm_set1_epi8(b'\\' as i8);
        let below_space = _mm_set1_epi8(0x1f);
        let mut bad = _mm_setzero_si128();
        for k in 0..4 {
            let v = _mm_loadu_si128(block.as_ptr().add(16 * k).cast::<__m128i>());
            let q = _mm_movemask_epi8(_mm_cmpeq_epi8(v, quote)) as u32 & 0xffff;
            quotes |= u64::from(q) << (16 * k);
            // A byte is at most 0x1f when the unsigned minimum with 0x1f is itself.
            let control = _mm_cmpeq_epi8(_mm_min_epu8(v, below_space), v);
            bad = _mm_or_si128(bad, _mm_or_si128(control, _mm_cmpeq_epi8(v, backslash)));
        }
        (quotes, _mm_movemask_epi8(bad) != 0)
    }
}

#[cfg(not(target_arch = "x86_64"))]
use block_marks_by_byte as block_marks;

/// [`block_marks`] a byte at a time: other CPUs' version (the tests hold the
/// two to the same answers).
#[cfg(any(test, not(target_arch = "x86_64")))]
fn block_marks_by_byte(block: &[u8; 64]) -> (u64, bool) {
    let mut quotes = 0u64;
    let mut bad = false;
    for (i, &b) in block.iter().enumerate() {
        quotes |= u64::from(b == b'"') << i;
        bad |= b == b'\\' || b < 0x20;
    }
    (quotes, bad)
}

/// The position of the first quote at or after `from` in the map.
fn next_quote(quotes: &[u64], from: usize) -> Option<usize> {
    let mut w = from / 64;
    let mut word = quotes.get(w)? & (u64::MAX << (from % 64));
    while word == 0 {
        w += 1;
        word = *quotes.get(w)?;
    }
    Some(w * 64 + word.trailing_zeros() as usize)
}

/// The known keys one object has had (a bit each), so that a repeated one
/// declines (serde fails the record on a duplicate field).
#[derive(Default)]
struct Seen(u32);

impl Seen {
    fn first(&mut self, bit: u32) -> Option<()> {
        let mask = 1 << bit;
        if self.0 & mask != 0 {
            return None;
        }
        self.0 |= mask;
        Some(())
    }
}

fn user_identity<'a>(c: &mut Cursor<'_, 'a>, depth: usize) -> Option<UserIdentity<'a>> {
    let mut u = UserIdentity::default();
    let mut seen = Seen::default();
    c.object(|c, key| {
        let (bit, field) = match key {
            "type" => (0, &mut u.kind),
            "principalId" => (1, &mut u.principal_id),
            "arn" => (2, &mut u.arn),
            "accountId" => (3, &mut u.account_id),
            "accessKeyId" => (4, &mut u.access_key_id),
            "userName" => (5, &mut u.user_name),
            "invokedBy" => (6, &mut u.invoked_by),
            "sessionContext" => {
                seen.first(7)?;
                u.session_context = Some(c.nested(depth, session_context)?);
                return Some(());
            }
            "onBehalfOf" => {
                seen.first(8)?;
                u.on_behalf_of =
                    Some(c.nested(depth, |c, d| c.text_object(d, on_behalf_of_field))?);
                return Some(());
            }
            "inScopeOf" => {
                seen.first(9)?;
                u.in_scope_of = Some(c.nested(depth, |c, d| c.text_object(d, in_scope_of_field))?);
                return Some(());
            }
            _ => return c.skip(depth - 1),
        };
        c.text_field(&mut seen, bit, field)
    })?;
    Some(u)
}

fn session_context<'a>(c: &mut Cursor<'_, 'a>, depth: usize) -> Option<SessionContext<'a>> {
    let mut s = SessionContext::default();
    let mut seen = Seen::default();
    c.object(|c, key| {
        match key {
            "sessionIssuer" => {
                seen.first(0)?;
                s.session_issuer = Some(c.nested(depth, |c, d| c.text_object(d, issuer_field))?);
            }
            "attributes" => {
                seen.first(1)?;
                s.attributes = Some(c.nested(depth, |c, d| c.text_object(d, attributes_field))?);
            }
            "assumedRoot" => c.text_field(&mut seen, 2, &mut s.assumed_root)?,
            "webIdFederationData" => {
                seen.first(3)?;
                s.web_id_federation_data =
                    Some(c.nested(depth, |c, d| c.text_object(d, web_identity_field))?);
            }
            _ => c.skip(depth - 1)?,
        }
        Some(())
    })?;
    Some(s)
}

/// A text field of an object and its bit in the duplicate check: for
/// [`Cursor::text_object`].
type TextSlot<'t, 'a> = Option<(u32, &'t mut Option<Cow<'a, str>>)>;

fn issuer_field<'t, 'a>(s: &'t mut SessionIssuer<'a>, key: &str) -> TextSlot<'t, 'a> {
    Some(match key {
        "type" => (0, &mut s.kind),
        "principalId" => (1, &mut s.principal_id),
        "arn" => (2, &mut s.arn),
        "accountId" => (3, &mut s.account_id),
        // One field under two spellings: either after the other is a duplicate.
        "userName" | "username" => (4, &mut s.user_name),
        _ => return None,
    })
}

fn addendum_field<'t, 'a>(a: &'t mut Addendum<'a>, key: &str) -> TextSlot<'t, 'a> {
    match key {
        "originalEventID" => Some((0, &mut a.original_event_id)),
        _ => None,
    }
}

fn in_scope_of_field<'t, 'a>(i: &'t mut InScopeOf<'a>, key: &str) -> TextSlot<'t, 'a> {
    Some(match key {
        "issuerType" => (0, &mut i.issuer_type),
        "credentialsIssuedTo" => (1, &mut i.credentials_issued_to),
        _ => return None,
    })
}

fn on_behalf_of_field<'t, 'a>(o: &'t mut OnBehalfOf<'a>, key: &str) -> TextSlot<'t, 'a> {
    Some(match key {
        "userId" => (0, &mut o.user_id),
        "identityStoreArn" => (1, &mut o.identity_store_arn),
        _ => return None,
    })
}

fn web_identity_field<'t, 'a>(w: &'t mut WebIdFederationData<'a>, key: &str) -> TextSlot<'t, 'a> {
    match key {
        "federatedProvider" => Some((0, &mut w.federated_provider)),
        _ => None,
    }
}

fn attributes_field<'t, 'a>(s: &'t mut SessionAttributes<'a>, key: &str) -> TextSlot<'t, 'a> {
    Some(match key {
        "mfaAuthenticated" => (0, &mut s.mfa_authenticated),
        "creationDate" => (1, &mut s.creation_date),
        _ => return None,
    })
}

fn tls_field<'t, 'a>(t: &'t mut TlsDetails<'a>, key: &str) -> TextSlot<'t, 'a> {
    match key {
        "clientProvidedHostHeader" => Some((0, &mut t.client_provided_host_header)),
        _ => None,
    }
}

/// A position in plain text (no backslash, no control byte).
struct Cursor<'q, 'a> {
    text: &'a str,
    i: usize,
    /// The text's quote map ([`map_quotes`]).
    quotes: &'q [u64],
}

impl<'a> Cursor<'_, 'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.i).copied()
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        (self.peek()? == b).then(|| self.i += 1)
    }

    fn spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
    }

    /// A string at the cursor, without its quotes.
    fn string(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let start = self.i;
        let end = next_quote(self.quotes, start)?;
        self.i = end + 1;
        // Quotes are ASCII, so both ends are character boundaries.
        self.text.get(start..end)
    }

    /// An object at the cursor, handing each key to `f` with the cursor on its
    /// value; `f` reads the value.
    fn object(&mut self, mut f: impl FnMut(&mut Self, &'a str) -> Option<()>) -> Option<()> {
        self.eat(b'{')?;
        self.spaces();
        if self.eat(b'}').is_some() {
            return Some(());
        }
        loop {
            let key = self.string()?;
            self.spaces();
            self.eat(b':')?;
            self.spaces();
            f(self, key)?;
            self.spaces();
            match self.peek()? {
                b',' => {
                    self.i += 1;
                    self.spaces();
                }
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// A known text field: a string, or `null` (absent). Other types decline:
    /// serde reads them leniently or refuses them (`eventName`).
    fn text_or_null(&mut self) -> Option<Option<Cow<'a, str>>> {
        match self.peek()? {
            b'"' => Some(Some(Cow::Borrowed(self.string()?))),
            b'n' => self.literal(b"null").map(|()| None),
            _ => None,
        }
    }

    /// The value of the known text field `field`, whose bit in `seen` is `bit`:
    /// declines when the key came before.
    fn text_field(
        &mut self,
        seen: &mut Seen,
        bit: u32,
        field: &mut Option<Cow<'a, str>>,
    ) -> Option<()> {
        seen.first(bit)?;
        *field = self.text_or_null()?;
        Some(())
    }

    /// An object whose known keys are all text fields, which `slot` names;
    /// other keys are skipped.
    fn text_object<T: Default>(
        &mut self,
        depth: usize,
        slot: for<'t> fn(&'t mut T, &str) -> TextSlot<'t, 'a>,
    ) -> Option<T> {
        let mut out = T::default();
        let mut seen = Seen::default();
        self.object(|c, key| match slot(&mut out, key) {
            Some((bit, field)) => c.text_field(&mut seen, bit, field),
            None => c.skip(depth - 1),
        })?;
        Some(out)
    }

    /// A known nested object, where `depth` levels of nesting are left; other
    /// types decline.
    fn nested<T>(
        &mut self,
        depth: usize,
        read: impl FnOnce(&mut Self, usize) -> Option<T>,
    ) -> Option<T> {
        if self.peek()? != b'{' || depth == 0 {
            return None;
        }
        read(self, depth - 1)
    }

    /// A value kept as its text until a detection asks for it.
    fn lazy(&mut self, slot: &mut LazyValue<'a>) -> Option<()> {
        let start = self.i;
        self.skip(MAX_DEPTH - 1)?;
        *slot = LazyValue::from_text(self.text.get(start..self.i)?);
        Some(())
    }

    /// Any value, checked as serde_json checks what it skips; `depth`: the
    /// nesting still allowed below this value.
    fn skip(&mut self, depth: usize) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(drop),
            b'{' if depth > 0 => self.object(|c, _| c.skip(depth - 1)),
            b'[' if depth > 0 => self.array(depth - 1),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn array(&mut self, depth: usize) -> Option<()> {
        self.eat(b'[')?;
        self.spaces();
        if self.eat(b']').is_some() {
            return Some(());
        }
        loop {
            self.skip(depth)?;
            self.spaces();
            match self.peek()? {
                b',' => {
                    self.i += 1;
                    self.spaces();
                }
                b']' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.i + word.len();
        (self.text.as_bytes().get(self.i..end)? == word).then(|| self.i = end)
    }

    /// A number in JSON's grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn number(&mut self) -> Option<()> {
        let _ = self.eat(b'-');
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.eat(b'.').is_some() {
            self.some_digits()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            self.some_digits()?;
        }
        Some(())
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.i += 1;
        }
    }

    fn some_digits(&mut self) -> Option<()> {
        let start = self.i;
        self.digits();
        (self.i > start).then_some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// serde's answer, with nothing of ours in front of it.
    fn by_serde(text: &str) -> Option<String> {
        let rec: Record<'_> = serde_json::from_str(text).ok()?;
        Some(format!("{rec:?}"))
    }

    /// Whenever the plain reader answers, serde gives the same record. Returns
    /// whether the plain reader answered.
    fn agrees(text: &str) -> bool {
        let Some(ours) = record(text) else {
            return false;
        };
        assert_eq!(Some(format!("{ours:?}")), by_serde(text), "{text}");
        true
    }

    fn samples() -> Vec<String> {
        crate::detections::common::testing::sample_lines()
    }

    #[test]
    fn agrees_with_serde_on_every_sample() {
        let texts = samples();
        assert!(texts.len() > 500, "{} sample texts", texts.len());
        let read = texts.iter().filter(|t| agrees(t)).count();
        // Envelopes (their `detail-type`) and records with escapes go to serde;
        // most records are plain.
        assert!(read * 3 > texts.len(), "{read} of {} read", texts.len());
    }

    /// Every single-byte deletion, and an insertion of each character that
    /// shapes JSON at every position, of a few samples: wherever the plain
    /// reader answers, serde agrees.
    #[test]
    fn agrees_with_serde_on_every_small_edit() {
        let texts = samples();
        let records: Vec<&String> = texts
            .iter()
            .filter(|t| t.contains("\"sessionIssuer\"") && record(t).is_some())
            .take(2)
            .chain(
                texts
                    .iter()
                    .filter(|t| t.contains("\"tlsDetails\"") && record(t).is_some())
                    .take(1),
            )
            .collect();
        assert_eq!(records.len(), 3);
        let inserts = [
            "\"", "{", "}", "[", "]", ",", ":", "0", "-", "e", ".", " ", "n", "1",
        ];
        let (mut cases, mut read) = (0, 0);
        for text in records {
            for at in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
                let mut variants = Vec::new();
                if let Some(c) = text[at..].chars().next() {
                    variants.push(format!("{}{}", &text[..at], &text[at + c.len_utf8()..]));
                }
                for ins in inserts {
                    variants.push(format!("{}{ins}{}", &text[..at], &text[at..]));
                }
                for v in variants {
                    cases += 1;
                    read += usize::from(agrees(&v));
                }
            }
        }
        assert!(cases > 10_000 && read > 1_000, "{read} of {cases} read");
    }

    #[test]
    fn declines_what_serde_reads_otherwise_or_refuses() {
        let cases = [
            // Known fields of other types: serde reads them leniently, or refuses.
            r#"{"eventName":"X","recipientAccountId":123456789012}"#,
            r#"{"eventName":5}"#,
            r#"{"eventName":"X","userIdentity":null}"#,
            r#"{"eventName":"X","tlsDetails":["x"]}"#,
            r#"{"eventName":"X","userAgent":["a"]}"#,
            // Duplicates: serde refuses the record.
            r#"{"eventName":"X","eventName":"Y"}"#,
            r#"{"eventName":"X","userIdentity":{"arn":"a","arn":"b"}}"#,
            r#"{"eventName":"X","userIdentity":{"sessionContext":{"sessionIssuer":{"userName":"a","username":"b"}}}}"#,
            r#"{"eventName":"X","requestParameters":{},"requestParameters":null}"#,
            // Escapes, control bytes, other whitespace.
            r#"{"eventName":"X\"Y"}"#,
            "{\"eventName\":\"X\tY\"}",
            "{\"eventName\":\n\"X\"}",
            // Envelopes and log files.
            r#"{"detail-type":"AWS API Call via CloudTrail","detail":{"eventName":"X"}}"#,
            r#"{"Records":[{"eventName":"X"}]}"#,
            // Malformed.
            r#"{"eventName":"X"} x"#,
            r#"{"eventName":"X",}"#,
            r#"{"eventName":"X","n":01}"#,
            r#"{"eventName":"X","n":1.}"#,
            r#"{"eventName":"X","n":-}"#,
            r#"{"eventName":"X","n":1e}"#,
            r#"{"eventName":"X","n":tru}"#,
            r#"{"eventName":"X","a":[1,]}"#,
            r#"["X"]"#,
            "",
        ];
        for text in cases {
            assert!(record(text).is_none(), "{text}");
        }
        // Deep nesting goes to serde, which applies its own limit.
        let deep = format!(
            r#"{{"eventName":"X","a":{}{}}}"#,
            "[".repeat(70),
            "]".repeat(70)
        );
        assert!(record(&deep).is_none());
        let shallow = format!(
            r#"{{"eventName":"X","a":{}{}}}"#,
            "[".repeat(50),
            "]".repeat(50)
        );
        assert!(agrees(&shallow));
    }

    #[test]
    fn reads_plain_records_as_serde_does() {
        let cases = [
            r#"{"eventName":"X"}"#,
            r#" { "eventName" : "X" , "errorCode" : null } "#,
            r#"{"eventName":"X","n":-0.5e+3,"m":[true,false,null,{"a":[]}],"o":{}}"#,
            r#"{"eventName":"X","requestParameters":null,"responseElements":{"a":[1,{"b":"c"}]}}"#,
            r#"{"eventName":"X","userIdentity":{"type":"AssumedRole","sessionContext":{"sessionIssuer":{"username":"u"},"attributes":{"mfaAuthenticated":"true"},"other":1}}}"#,
            r#"{"eventName":"\u00e9t\u00e9"}"#,
            r#"{"eventName":"été ✓","eventName2":"x","eventName2":"y"}"#,
            r#"{"eventSource":"s","tlsDetails":{"clientProvidedHostHeader":"h","x":[]}}"#,
        ];
        for text in cases {
            if text.contains('\\') {
                assert!(record(text).is_none());
            } else {
                assert!(agrees(text), "{text}");
            }
        }
        let r = record(r#"{"eventName":"X","additionalEventData":{"MFAUsed":"Yes"}}"#).unwrap();
        assert_eq!(r.additional_data_str("MFAUsed"), Some("Yes"));
    }

    /// The quote map marks exactly the quotes, and refuses exactly the texts
    /// with a backslash or a control byte, whatever their length (blocks of 64
    /// bytes, the padded last one) and wherever the byte falls.
    #[test]
    fn the_quote_map_marks_quotes_and_refuses_what_is_not_plain() {
        for len in [0usize, 1, 15, 16, 17, 63, 64, 65, 127, 128, 129, 200] {
            let text: Vec<u8> = (0..len)
                .map(|i| {
                    if i % 7 == 3 {
                        b'"'
                    } else {
                        b'a' + (i % 26) as u8
                    }
                })
                .collect();
            let mut quotes = vec![0u64; len.div_ceil(64)];
            assert!(map_quotes(&text, &mut quotes), "{len}");
            let marked: Vec<usize> = (0..len)
                .filter(|&i| quotes[i / 64] >> (i % 64) & 1 == 1)
                .collect();
            let want: Vec<usize> = (0..len).filter(|&i| text[i] == b'"').collect();
            assert_eq!(marked, want, "{len}");
            for at in 0..len {
                for odd in [b'\\', 0x00, 0x09, 0x0a, 0x1f] {
                    let mut t = text.clone();
                    t[at] = odd;
                    assert!(!map_quotes(&t, &mut quotes), "{len} {at} {odd}");
                }
                // Bytes above 0x7f (here a UTF-8 lead byte) and the space are plain.
                let mut t = text.clone();
                t[at] = if at % 2 == 0 { 0xc3 } else { b' ' };
                assert!(map_quotes(&t, &mut quotes), "{len} {at}");
            }
        }
    }

    /// Both versions of a block's marks agree, for every byte value at every
    /// position of a block.
    #[test]
    fn block_marks_agree_byte_by_byte() {
        let mut base = [b'x'; 64];
        for i in (0..64).step_by(5) {
            base[i] = b'"';
        }
        for at in 0..64 {
            for b in 0..=255u8 {
                let mut block = base;
                block[at] = b;
                assert_eq!(block_marks(&block), block_marks_by_byte(&block), "{at} {b}");
            }
        }
    }

    /// Records past the stack map's 4 KiB read through a map on the heap.
    #[test]
    fn large_records_agree_with_serde() {
        for size in [4_000, 4_096, 4_200, 70_000] {
            let text = format!(
                r#"{{"eventName":"X","requestParameters":{{"policy":"{}"}},"eventSource":"s.amazonaws.com"}}"#,
                "p".repeat(size)
            );
            assert!(agrees(&text), "{size}");
        }
        let bad = format!(r#"{{"eventName":"X","a":"{}\n"}}"#, "p".repeat(5_000));
        assert!(record(&bad).is_none());
    }
}
