//! One downloaded log file read on any thread, kept for the sink on the thread
//! that runs the engine: objects are decoded as they arrive, in parallel, and
//! replayed into the sink in key order, so findings do not depend on timing.

use crate::event::ahead::{Ahead, Ready};
use crate::event::reader::{self, Limits, Location, Place, Sink};

/// What the reader found in one object, in order.
#[derive(Debug, Default)]
pub struct Recorded {
    /// The object's name: every item was found in it.
    source: String,
    items: Vec<Found>,
    /// Bytes of record text held (what `archive::s3::Held` counts).
    text_bytes: usize,
}

#[cfg(feature = "aws-chain")]
/// The text of the records kept (their parsed forms refer to it or copy parts
/// of it) and each item's own size: the S3 walk's measure of a decoded object.
impl crate::archive::s3::Held for Recorded {
    fn held_bytes(&self) -> u64 {
        let items = self.items.len() * std::mem::size_of::<Found>();
        (self.text_bytes + items) as u64
    }
}

/// An item and where in the object it was found (not a whole [`Location`]: the
/// source is the same for every item).
#[derive(Debug)]
enum Found {
    /// A record as made ready here (see `ahead`).
    Ready(Place, Ready),
    Rejected(Place, String),
    NotCloudTrail(Place),
    /// Records the prefilter passed over since the previous item.
    Skipped(u64),
}

impl Recorded {
    /// Reads `bytes` (gzip or not) as the reader reads a file named `source`.
    /// `prefilter` stands in for [`Sink::wanted`]: `false` passes a record over
    /// unparsed (the sink later hears of it through [`Sink::skipped`]). `ahead`:
    /// what is done here with the records kept.
    pub fn read(
        source: &str,
        bytes: &[u8],
        limits: &Limits,
        prefilter: &dyn Fn(&[u8]) -> bool,
        ahead: Ahead<'_>,
    ) -> Recorded {
        let mut keep = Keep {
            prefilter,
            ahead,
            out: Recorded {
                source: source.to_owned(),
                ..Recorded::default()
            },
            passed: 0,
        };
        reader::read_stream(bytes, source, limits, &mut keep);
        keep.note_passed();
        keep.out
    }

    /// Hands everything to `sink` in the order it was found; stops (returning
    /// `true`) as soon as the sink has stopped.
    pub fn replay(self, sink: &mut impl Sink) -> bool {
        let mut loc = Location {
            source: self.source,
            line: None,
            record: None,
        };
        for item in self.items {
            if let Found::Ready(p, _) | Found::Rejected(p, _) | Found::NotCloudTrail(p) = &item {
                (loc.line, loc.record) = (p.line, p.record);
            }
            match item {
                Found::Ready(_, ready) => ready.hand_to(&loc, sink),
                Found::Rejected(_, why) => sink.rejected(&loc, &why),
                Found::NotCloudTrail(_) => sink.not_cloudtrail(&loc),
                Found::Skipped(n) => sink.skipped(n),
            }
            if sink.stopped() {
                return true;
            }
        }
        false
    }
}

struct Keep<'a> {
    prefilter: &'a dyn Fn(&[u8]) -> bool,
    ahead: Ahead<'a>,
    out: Recorded,
    passed: u64,
}

impl Keep<'_> {
    fn note_passed(&mut self) {
        if self.passed > 0 {
            self.out
                .items
                .push(Found::Skipped(std::mem::take(&mut self.passed)));
        }
    }

    fn push(&mut self, item: Found, bytes: usize) {
        self.note_passed();
        self.out.text_bytes += bytes;
        self.out.items.push(item);
    }
}

impl Sink for Keep<'_> {
    fn record(&mut self, loc: &Location, json: &str) {
        match self.ahead.ready(json) {
            Ok(ready) => self.push(Found::Ready(loc.place(), ready), json.len()),
            Err(why) => self.rejected(loc, &why),
        }
    }
    /// One parse for the usual item of `Records`, as the local reader does.
    fn try_record(&mut self, loc: &Location, json: &str) -> bool {
        match self.ahead.ready_if_record(json) {
            Some(ready) => {
                self.push(Found::Ready(loc.place(), ready), json.len());
                true
            }
            None => false,
        }
    }
    fn rejected(&mut self, loc: &Location, reason: &str) {
        self.push(
            Found::Rejected(loc.place(), reason.to_owned()),
            reason.len(),
        );
    }
    fn not_cloudtrail(&mut self, loc: &Location) {
        self.push(Found::NotCloudTrail(loc.place()), 0);
    }
    fn wanted(&mut self, json: &[u8]) -> bool {
        let keep = (self.prefilter)(json);
        self.passed += u64::from(!keep);
        keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn keep(json: &[u8]) -> bool {
        !json.windows(4).any(|w| w == b"Skip")
    }

    /// Records and rejections as text; the count of records passed over.
    #[derive(Default)]
    struct Heard(Vec<String>, u64);

    impl Sink for Heard {
        fn record(&mut self, loc: &Location, json: &str) {
            self.0.push(format!("{loc} {json}"));
        }
        fn rejected(&mut self, loc: &Location, reason: &str) {
            self.0.push(format!("rejected {loc}: {reason}"));
        }
        fn not_cloudtrail(&mut self, _: &Location) {}
        fn wanted(&mut self, json: &[u8]) -> bool {
            self.1 += u64::from(!keep(json));
            keep(json)
        }
        fn skipped(&mut self, n: u64) {
            self.1 += n;
        }
    }

    #[test]
    fn a_gzip_records_file_replays_as_the_reader_reads_it() {
        let text = r#"{"Records":[{"eventSource":"s","eventName":"Keep"},{"eventSource":"s","eventName":"Skip"},{"eventSource":"s","eventName":"Keep","n":2}]}"#;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(text.as_bytes()).unwrap();
        let gz = gz.finish().unwrap();
        let mut direct = Heard::default();
        reader::read_stream(&gz[..], "k.json.gz", &Limits::default(), &mut direct);
        let recorded = Recorded::read("k.json.gz", &gz, &Limits::default(), &keep, Ahead::Text);
        let mut replayed = Heard::default();
        assert!(!recorded.replay(&mut replayed));
        assert_eq!(replayed.0, direct.0);
        assert_eq!((replayed.1, direct.1), (1, 1));
        assert_eq!(replayed.0.len(), 2);

        // Parsed on the decoding thread: the same records, in the same order; one
        // that does not parse is rejected with the reason the engine's thread gives.
        let parsed = Recorded::read("k.json.gz", &gz, &Limits::default(), &keep, Ahead::Parse);
        let mut heard = Heard::default();
        assert!(!parsed.replay(&mut heard));
        assert_eq!(heard.0, direct.0);
        let bad = br#"{"Records":[{"eventSource":"s","eventName":5}]}"#;
        let parsed = Recorded::read("b.json", bad, &Limits::default(), &keep, Ahead::Parse);
        let mut heard = Heard::default();
        parsed.replay(&mut heard);
        assert_eq!(heard.0.len(), 1);
        assert!(
            heard.0[0].starts_with(
                "rejected b.json:1 (record 1): invalid record: `eventName`: invalid type"
            ),
            "{:?}",
            heard.0
        );

        let broken = Recorded::read(
            "bad.json.gz",
            &gz[..gz.len() / 2],
            &Limits::default(),
            &keep,
            Ahead::Text,
        );
        let mut heard = Heard::default();
        broken.replay(&mut heard);
        assert!(
            heard
                .0
                .iter()
                .any(|l| l.starts_with("rejected bad.json.gz")),
            "{:?}",
            heard.0
        );
    }
}
