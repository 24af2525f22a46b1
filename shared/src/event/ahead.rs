//! Work done on a reader thread, ahead of the one thread that feeds the engine in
//! input order: parsing each wanted record, and running the engine's stateless
//! half on it ([`Engine::prepare`]).

use super::reader::{self, Location, Sink};
use super::{OwnedRecord, Record};
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
    /// Like `Prepare`, but the record is dropped on the reader thread unless its
    /// preparation [`Prepared::needs_record`]: the sink gets the preparation
    /// alone ([`Sink::prepared`]). The record's text is then never copied, and
    /// the engine's thread frees nothing the reader made but the preparation.
    PrepareOnly(&'e Engine),
}

/// One record as a reader thread hands it over.
pub enum Ready {
    Text(String),
    Parsed(OwnedRecord, Option<Prepared>),
    Prepared(Prepared),
}

impl std::fmt::Debug for Ready {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ready::Text(json) => f.write_str(json),
            Ready::Parsed(rec, _) => rec.fmt(f),
            Ready::Prepared(p) => p.fmt(f),
        }
    }
}

impl Ahead<'_> {
    /// Makes the record `json` ready for the sink; `Err`: the reason it is
    /// rejected (it does not parse), as the sink itself would word it.
    pub fn ready(self, json: &str) -> Result<Ready, String> {
        match self {
            Ahead::Text => Ok(Ready::Text(json.to_owned())),
            Ahead::PrepareOnly(engine) => {
                let mut repaired = String::new();
                let rec = Record::from_json_repairing(json, &mut repaired)
                    .map_err(|e| reader::invalid_record(&e, json))?;
                prepare_only(engine, &rec, json).map_err(|e| reader::invalid_record(&e, json))
            }
            Ahead::Parse | Ahead::Prepare(_) => {
                let rec = OwnedRecord::parse(json.to_owned())
                    .map_err(|e| reader::invalid_record(&e, json))?;
                Ok(self.parsed(rec))
            }
        }
    }

    /// Like [`Ahead::ready`] for a document not yet known to be a record (see
    /// [`Sink::try_record`]): `None` when it is not one, or does not parse, or
    /// the sink wants text.
    pub fn ready_if_record(self, json: &str) -> Option<Ready> {
        match self {
            Ahead::Text => None,
            Ahead::PrepareOnly(engine) => {
                let mut repaired = String::new();
                let rec = Record::from_json_repairing(json, &mut repaired).ok()?;
                if !rec.names_an_event() {
                    return None;
                }
                prepare_only(engine, &rec, json).ok()
            }
            Ahead::Parse | Ahead::Prepare(_) => {
                let rec = OwnedRecord::parse(json.to_owned()).ok()?;
                rec.record().names_an_event().then(|| self.parsed(rec))
            }
        }
    }

    /// A parsed record, prepared if asked.
    fn parsed(self, rec: OwnedRecord) -> Ready {
        let prepared = match self {
            Ahead::Prepare(engine) | Ahead::PrepareOnly(engine) => {
                Some(engine.prepare(rec.record()))
            }
            Ahead::Text | Ahead::Parse => None,
        };
        Ready::Parsed(rec, prepared)
    }
}

/// [`Ahead::PrepareOnly`] on a record parsed in place from `json`: the
/// preparation alone, or, if it needs the record, the record too (parsed again
/// from a copy of its text: first-seen and heartbeat records are few).
fn prepare_only(engine: &Engine, rec: &Record<'_>, json: &str) -> Result<Ready, serde_json::Error> {
    let prepared = engine.prepare(rec);
    if !prepared.needs_record() {
        return Ok(Ready::Prepared(prepared));
    }
    let owned = OwnedRecord::parse(json.to_owned())?;
    Ok(Ready::Parsed(owned, Some(prepared)))
}

impl Ready {
    /// Hands the record to `sink` as found at `loc`.
    pub fn hand_to(self, loc: &Location, sink: &mut impl Sink) {
        match self {
            Ready::Text(json) => sink.record(loc, &json),
            Ready::Parsed(rec, prepared) => sink.parsed(loc, rec.record(), prepared),
            Ready::Prepared(prepared) => sink.prepared(loc, prepared),
        }
    }
}
