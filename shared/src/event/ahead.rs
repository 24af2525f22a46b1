//! Work done on a reader thread, ahead of the one thread that feeds the engine in
//! input order: parsing each wanted record, and running the engine's stateless
//! half on it ([`Engine::prepare`]).

use super::OwnedRecord;
use super::reader::{self, Location, Sink};
use crate::engine::{Engine, Prepared};

/// What reader threads do with each record their sink wants.
#[derive(Clone, Copy, Default)]
pub enum Ahead<'e> {
    /// Nothing: the sink gets the text ([`Sink::record`]).
    #[default]
    Text,
    /// Parse it: the sink gets the record ([`Sink::parsed`]).
    Parse,
    /// Parse it and prepare it for `Engine::handle_prepared`: the sink gets both.
    Prepare(&'e Engine),
}

/// One record as a reader thread hands it over.
pub enum Ready {
    Text(String),
    Parsed(OwnedRecord, Option<Prepared>),
}

impl std::fmt::Debug for Ready {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ready::Text(json) => f.write_str(json),
            Ready::Parsed(rec, _) => rec.fmt(f),
        }
    }
}

impl Ahead<'_> {
    /// Makes the record `json` ready for the sink; `Err`: the reason it is
    /// rejected (it does not parse), as the sink itself would word it.
    pub fn ready(self, json: &str) -> Result<Ready, String> {
        if let Ahead::Text = self {
            return Ok(Ready::Text(json.to_owned()));
        }
        let rec = OwnedRecord::parse(json.to_owned()).map_err(|e| reader::invalid_record(&e))?;
        Ok(self.parsed(rec))
    }

    /// Like [`Ahead::ready`] for a document not yet known to be a record (see
    /// [`Sink::try_record`]): `None` when it is not one, or does not parse, or
    /// the sink wants text.
    pub fn ready_if_record(self, json: &str) -> Option<Ready> {
        if let Ahead::Text = self {
            return None;
        }
        let rec = OwnedRecord::parse(json.to_owned()).ok()?;
        rec.record().names_an_event().then(|| self.parsed(rec))
    }

    /// A parsed record, prepared if asked.
    fn parsed(self, rec: OwnedRecord) -> Ready {
        let prepared = match self {
            Ahead::Prepare(engine) => Some(engine.prepare(rec.record())),
            Ahead::Text | Ahead::Parse => None,
        };
        Ready::Parsed(rec, prepared)
    }
}

impl Ready {
    /// Hands the record to `sink` as found at `loc`.
    pub fn hand_to(self, loc: &Location, sink: &mut impl Sink) {
        match self {
            Ready::Text(json) => sink.record(loc, &json),
            Ready::Parsed(rec, prepared) => sink.parsed(loc, rec.record(), prepared),
        }
    }
}
