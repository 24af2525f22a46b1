//! What a window keeps about each record it counts: what the finding will need
//! about that record, should the window fire.
//!
//! Replay keeps one context per observed record in memory (tens of thousands at
//! a time on a busy organisation's trail), so a context is kept small:
//! - the record's own fields (event name, address, error) live in one string;
//! - its event source is one of a few hundred services: each thread keeps one
//!   copy of each ([`shared_source`]);
//! - the caller's fields (agent, account, Region, actor) are the same on most of
//!   one caller's records, so contexts share them: each thread remembers the
//!   callers it packed lately ([`shared_caller`]);
//! - evidence that repeats one of those fields points at it ([`Kept`]), and a
//!   list of evidence equal to a recent one is shared with it ([`shared_evidence`]):
//!   the discovery windows' evidence is the same three fields on every record.
//!
//! Stores that keep text (DynamoDB) see the JSON of [`ContextJson`], which spells
//! every value out.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::detection::Evidence;
use crate::event::Record;
use crate::state::{Payload, PayloadValue, StoreError};

/// What the finding needs about one contributing record.
#[derive(Debug, Clone)]
pub(super) struct Context {
    /// [`OWN`]: the record's event name, address and error.
    own: Packed<3>,
    /// [`Text::EventSource`], shared with the thread's other contexts.
    source: Option<Arc<str>>,
    /// [`CALLER`]: agent, account, Region and actor, shared with the other
    /// contexts of the same caller.
    caller: Arc<Packed<8>>,
    /// Each value either points at a field of this context or is kept as is.
    pub(super) evidence: KeptEvidence,
    /// The tuning entries this record matched when it was observed: a windowed
    /// finding is suppressed only by an entry every one of its records matched.
    pub(super) tuning: Vec<String>,
}

/// The text fields of a [`Context`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Text {
    EventName,
    SourceIp,
    UserAgent,
    AccountId,
    Region,
    ActorKey,
    ActorDisplay,
    ActorType,
    ErrorCode,
    EventSource,
    /// The caller's own account when it is not the record's (`Actor::account`).
    ActorAccount,
    /// The Identity Center user a role session acted for (`Actor::on_behalf_of`).
    OnBehalfOf,
}

const TEXT_FIELDS: usize = 12;

/// Every [`Text`] field, in the order [`Context::pack`] takes them.
const ALL_TEXT: [Text; TEXT_FIELDS] = [
    Text::EventName,
    Text::SourceIp,
    Text::UserAgent,
    Text::AccountId,
    Text::Region,
    Text::ActorKey,
    Text::ActorDisplay,
    Text::ActorType,
    Text::ErrorCode,
    Text::EventSource,
    Text::ActorAccount,
    Text::OnBehalfOf,
];

/// The fields a context keeps of its own, in order.
const OWN: [Text; 3] = [Text::EventName, Text::SourceIp, Text::ErrorCode];
/// The fields a context shares with its caller's other records, in order.
const CALLER: [Text; 8] = [
    Text::UserAgent,
    Text::AccountId,
    Text::Region,
    Text::ActorKey,
    Text::ActorDisplay,
    Text::ActorType,
    Text::ActorAccount,
    Text::OnBehalfOf,
];

/// Where a [`Text`] field lives in a context: at this index of its own string,
/// or of its caller's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Own(usize),
    Caller(usize),
    /// The context's [`Text::EventSource`].
    Source,
}

/// Each [`Text`] field's place, by its discriminant: [`OWN`] and [`CALLER`] read
/// the other way round, and the source (a test holds that together they name
/// every field once).
const PLACES: [Place; TEXT_FIELDS] = {
    let mut places = [Place::Own(0); TEXT_FIELDS];
    places[Text::EventSource as usize] = Place::Source;
    let mut i = 0;
    while i < OWN.len() {
        places[OWN[i] as usize] = Place::Own(i);
        i += 1;
    }
    let mut i = 0;
    while i < CALLER.len() {
        places[CALLER[i] as usize] = Place::Caller(i);
        i += 1;
    }
    places
};

/// The index of `field` among a caller's fields ([`CALLER`]).
const fn caller_index(field: Text) -> usize {
    match PLACES[field as usize] {
        Place::Caller(i) => i,
        Place::Own(_) | Place::Source => panic!("not a caller field"),
    }
}

/// A context's evidence: key and value, in order.
pub(super) type KeptEvidence = Arc<[(Cow<'static, str>, Kept)]>;

/// A per-record evidence value as a [`Context`] keeps it. Most windows' evidence
/// repeats the caller's address, agent or error (`caller_evidence`), which the
/// context holds already: such a string is kept as the field it equals, not as a
/// second copy.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Kept {
    /// A string equal to this text field of the context.
    Field(Text),
    Value(Value),
}

/// Up to `N` optional strings in one allocation: string `i` is
/// `text[ends[i - 1]..ends[i]]` when bit `i` of `present` is set.
#[derive(Debug, Clone)]
struct Packed<const N: usize> {
    text: Box<str>,
    ends: [u32; N],
    present: u16,
}

impl<const N: usize> Packed<N> {
    fn new(fields: [Option<&str>; N]) -> Packed<N> {
        let mut text = String::with_capacity(fields.iter().flatten().map(|f| f.len()).sum());
        let mut ends = [0u32; N];
        let mut present = 0u16;
        for (i, f) in fields.iter().enumerate() {
            if let Some(f) = f {
                text.push_str(f);
                present |= 1 << i;
            }
            // Record text is far below 4 GiB (records are capped at a few MiB).
            ends[i] = u32::try_from(text.len()).unwrap_or(u32::MAX);
        }
        Packed {
            text: text.into_boxed_str(),
            ends,
            present,
        }
    }

    fn get(&self, i: usize) -> Option<&str> {
        if self.present & (1 << i) == 0 {
            return None;
        }
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        self.text.get(start..*self.ends.get(i)? as usize)
    }

    /// Whether this holds exactly `fields` (absent and empty differ).
    fn holds(&self, fields: &[Option<&str>; N]) -> bool {
        fields.iter().enumerate().all(|(i, f)| self.get(i) == *f)
    }
}

/// Callers a thread keeps for sharing before it starts afresh: a bound on what
/// the table holds, far above the callers of one organisation's busy hour.
const MAX_CALLERS: usize = 4_096;

/// Callers whose fields are longer than this together are packed for their
/// context alone, never kept in the table: the agent is caller-controlled text,
/// and the table must not hold thousands of huge ones after their contexts are
/// gone (a thread's table stays near 8 MiB at most). Ordinary callers take a few
/// hundred bytes.
const MAX_SHARED_CALLER_BYTES: usize = 2_048;

/// A thread's recently packed callers, by content. The hasher's seed is random
/// (per thread): callers are attacker-controlled text, and a known seed would let
/// crafted agents pile up under one hash.
struct Callers {
    table: hashbrown::HashTable<Arc<Packed<8>>>,
    hasher: foldhash::fast::RandomState,
}

thread_local! {
    static CALLERS: RefCell<Callers> = RefCell::new(Callers {
        table: hashbrown::HashTable::new(),
        hasher: foldhash::fast::RandomState::default(),
    });
    /// The evidence lists this thread built last (see [`shared_evidence`]).
    static RECENT_EVIDENCE: RefCell<Vec<KeptEvidence>> = const { RefCell::new(Vec::new()) };
    /// The event sources this thread kept (see [`shared_source`]).
    static SOURCES: RefCell<HashSet<Arc<str>, foldhash::fast::RandomState>> =
        RefCell::new(HashSet::default());
}

/// Event sources a thread keeps for sharing before it starts afresh: AWS has
/// a few hundred services, and a source is cut short (`finding::event_source`).
const MAX_SOURCES: usize = 1_024;

/// `source` as one shared copy: a window over a busy caller's reads held the
/// same few service names in every context (about 3 % of the memory of a
/// replay built to fill windows, docs/performance.md).
fn shared_source(source: &str) -> Arc<str> {
    SOURCES.with_borrow_mut(|sources| {
        if let Some(found) = sources.get(source) {
            return found.clone();
        }
        if sources.len() >= MAX_SOURCES {
            sources.clear();
        }
        let kept: Arc<str> = source.into();
        sources.insert(kept.clone());
        kept
    })
}

/// A hash of a caller's agent, actor, Region, own account and the person it
/// acted for: the fields that tell one caller's records apart from another's
/// (the record's account and the actor's name and type follow from the
/// actor's ARN; the person and the caller's account do not: from a review, one
/// role session acting for 4,000 people put them all under one hash and replay
/// ran nineteen times slower). Each is hashed whole (an attacker controls
/// them); callers that differ only in the other fields share a hash and are
/// told apart by [`Packed::holds`].
fn caller_hash(hasher: &foldhash::fast::RandomState, fields: [Option<&str>; 8]) -> u64 {
    use std::hash::BuildHasher;
    const AGENT: usize = caller_index(Text::UserAgent);
    const ACTOR: usize = caller_index(Text::ActorKey);
    const REGION: usize = caller_index(Text::Region);
    const ACCOUNT: usize = caller_index(Text::ActorAccount);
    const PERSON: usize = caller_index(Text::OnBehalfOf);
    let field = |i: usize| fields[i].unwrap_or_default();
    hasher.hash_one(field(AGENT))
        ^ hasher.hash_one(field(ACTOR)).rotate_left(21)
        ^ hasher.hash_one(field(REGION)).rotate_left(42)
        ^ hasher.hash_one(field(ACCOUNT)).rotate_left(11)
        ^ hasher.hash_one(field(PERSON)).rotate_left(53)
}

/// The caller `fields` packed, shared with this thread's earlier contexts that
/// have the same ones.
fn shared_caller(fields: [Option<&str>; 8]) -> Arc<Packed<8>> {
    if fields.iter().flatten().map(|f| f.len()).sum::<usize>() > MAX_SHARED_CALLER_BYTES {
        return Arc::new(Packed::new(fields));
    }
    CALLERS.with_borrow_mut(|c| {
        let hash = caller_hash(&c.hasher, fields);
        if let Some(found) = c.table.find(hash, |p| p.holds(&fields)) {
            return found.clone();
        }
        if c.table.len() >= MAX_CALLERS {
            c.table.clear();
        }
        let packed = Arc::new(Packed::new(fields));
        let hasher = &c.hasher;
        c.table.insert_unique(hash, packed.clone(), |p| {
            caller_hash(hasher, std::array::from_fn(|i| p.get(i)))
        });
        packed
    })
}

/// Evidence lists a thread keeps for sharing.
const RECENT_EVIDENCE_LISTS: usize = 4;

/// `kept` as a shared list: one of the lists this thread built last when equal
/// (the discovery windows keep the same three fields about every record).
fn shared_evidence(kept: Vec<(Cow<'static, str>, Kept)>) -> KeptEvidence {
    RECENT_EVIDENCE.with_borrow_mut(|recent| {
        if let Some(found) = recent.iter().find(|e| ***e == *kept) {
            return found.clone();
        }
        let list: Arc<[_]> = kept.into();
        if recent.len() >= RECENT_EVIDENCE_LISTS {
            recent.remove(0);
        }
        recent.push(list.clone());
        list
    })
}

/// A [`Context`] as JSON: what DynamoDB items hold.
#[derive(Serialize, Deserialize)]
struct ContextJson<'a> {
    #[serde(borrow)]
    event_name: Cow<'a, str>,
    #[serde(default, borrow)]
    source_ip: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    user_agent: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    account_id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    region: Option<Cow<'a, str>>,
    #[serde(borrow)]
    actor_key: Cow<'a, str>,
    #[serde(borrow)]
    actor_display: Cow<'a, str>,
    #[serde(default, borrow)]
    actor_type: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    error_code: Option<Cow<'a, str>>,
    // Newer than the others: absent from items written before them, and left
    // out when empty (every item of a window carries its context).
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    event_source: Option<Cow<'a, str>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    actor_account: Option<Cow<'a, str>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    on_behalf_of: Option<Cow<'a, str>>,
    #[serde(default)]
    evidence: Cow<'a, [(Cow<'static, str>, Value)]>,
    #[serde(default, skip_serializing_if = "no_entries")]
    tuning: Cow<'a, [String]>,
}

#[expect(
    clippy::ptr_arg,
    reason = "serde's skip_serializing_if passes the field as it is"
)]
fn no_entries(tuning: &Cow<'_, [String]>) -> bool {
    tuning.is_empty()
}

impl Context {
    pub(super) fn of(rec: &Record<'_>, evidence: Evidence, matched: &[String]) -> Context {
        // The actor's fields as `Actor::of` gives them, borrowed where it can.
        let display = crate::event::actor_display_text(rec);
        let source = crate::finding::event_source(rec);
        Context::pack(
            [
                Some(rec.event_name()),
                rec.source_ip(),
                rec.user_agent(),
                rec.account_id(),
                rec.region(),
                Some(crate::event::actor_key(rec)),
                Some(&display),
                rec.identity_type(),
                rec.error_code(),
                source.as_deref(),
                crate::event::caller_account_elsewhere(rec),
                crate::event::person_acted_for(rec),
            ],
            evidence.0,
            matched.to_vec(),
        )
    }

    /// The context of `fields` (in [`ALL_TEXT`] order) and `evidence`.
    fn pack(
        fields: [Option<&str>; TEXT_FIELDS],
        evidence: Vec<(Cow<'static, str>, Value)>,
        tuning: Vec<String>,
    ) -> Context {
        // Every store keeps the same, bounded text (`bound.rs`).
        let fields = fields.map(|f| f.map(super::bound::text));
        let field = |t: Text| fields[t as usize].as_deref();
        let own = Packed::new(OWN.map(field));
        let source = field(Text::EventSource).map(shared_source);
        let caller = shared_caller(CALLER.map(field));
        let kept = evidence
            .into_iter()
            .map(|(k, v)| {
                let v = super::bound::value(v);
                let kept = match &v {
                    Value::String(s) => ALL_TEXT
                        .into_iter()
                        .find(|&f| field(f) == Some(s.as_str()))
                        .map(Kept::Field),
                    _ => None,
                };
                (k, kept.unwrap_or(Kept::Value(v)))
            })
            .collect();
        Context {
            own,
            source,
            caller,
            evidence: shared_evidence(kept),
            tuning,
        }
    }

    /// The evidence value `kept` stands for.
    pub(super) fn value<'c>(&'c self, kept: &'c Kept) -> Cow<'c, Value> {
        match kept {
            Kept::Field(f) => Cow::Owned(Value::String(self.text(*f).to_owned())),
            Kept::Value(v) => Cow::Borrowed(v),
        }
    }

    /// Whether this context's evidence is `evidence`, key for key and value for value.
    pub(super) fn has_evidence(&self, evidence: &[(Cow<'static, str>, Value)]) -> bool {
        self.evidence.len() == evidence.len()
            && self
                .evidence
                .iter()
                .zip(evidence)
                .all(|((k, kept), (ek, ev))| {
                    k == ek
                        && match (kept, ev) {
                            (Kept::Field(f), Value::String(s)) => self.get(*f) == Some(s.as_str()),
                            (Kept::Field(_), _) => false,
                            (Kept::Value(v), ev) => v == ev,
                        }
                })
    }

    pub(super) fn get(&self, field: Text) -> Option<&str> {
        match PLACES[field as usize] {
            Place::Own(i) => self.own.get(i),
            Place::Caller(i) => self.caller.get(i),
            Place::Source => self.source.as_deref(),
        }
    }

    pub(super) fn text(&self, field: Text) -> &str {
        self.get(field).unwrap_or_default()
    }

    pub(super) fn owned(&self, field: Text) -> Option<String> {
        self.get(field).map(str::to_owned)
    }

    fn json(&self) -> ContextJson<'_> {
        let cow = |f| self.get(f).map(Cow::Borrowed);
        ContextJson {
            event_name: Cow::Borrowed(self.text(Text::EventName)),
            source_ip: cow(Text::SourceIp),
            user_agent: cow(Text::UserAgent),
            account_id: cow(Text::AccountId),
            region: cow(Text::Region),
            actor_key: Cow::Borrowed(self.text(Text::ActorKey)),
            actor_display: Cow::Borrowed(self.text(Text::ActorDisplay)),
            actor_type: cow(Text::ActorType),
            error_code: cow(Text::ErrorCode),
            event_source: cow(Text::EventSource),
            actor_account: cow(Text::ActorAccount),
            on_behalf_of: cow(Text::OnBehalfOf),
            evidence: self
                .evidence
                .iter()
                .map(|(k, kept)| (k.clone(), self.value(kept).into_owned()))
                .collect(),
            tuning: Cow::Borrowed(&self.tuning),
        }
    }

    fn from_json(j: ContextJson<'_>) -> Context {
        Context::pack(
            [
                Some(&j.event_name),
                j.source_ip.as_deref(),
                j.user_agent.as_deref(),
                j.account_id.as_deref(),
                j.region.as_deref(),
                Some(&j.actor_key),
                Some(&j.actor_display),
                j.actor_type.as_deref(),
                j.error_code.as_deref(),
                j.event_source.as_deref(),
                j.actor_account.as_deref(),
                j.on_behalf_of.as_deref(),
            ],
            j.evidence.into_owned(),
            j.tuning.into_owned(),
        )
    }

    /// The context a payload holds: as built (the in-memory store), or read back
    /// from its text (DynamoDB).
    pub(super) fn read(payload: &Payload) -> Result<Cow<'_, Context>, StoreError> {
        if let Some(c) = payload.built_as::<Context>() {
            return Ok(Cow::Borrowed(c));
        }
        let text = payload.json()?;
        serde_json::from_str::<ContextJson>(&text)
            .map(|j| Cow::Owned(Context::from_json(j)))
            .map_err(|e| StoreError::new(format!("unreadable window item: {e}")))
    }
}

impl PayloadValue for Context {
    fn to_json(&self) -> Result<String, StoreError> {
        serde_json::to_string(&self.json()).map_err(|e| StoreError::new(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields<'a>(ua: &'a str, actor: &'a str, ip: &'a str) -> [Option<&'a str>; TEXT_FIELDS] {
        [
            Some("ListUsers"),
            Some(ip),
            Some(ua),
            Some("111122223333"),
            Some("us-east-1"),
            Some(actor),
            Some("a"),
            Some("IAMUser"),
            None,
            Some("iam.amazonaws.com"),
            None,
            None,
        ]
    }

    #[test]
    fn a_context_reads_back_from_its_json_field_for_field() {
        let c = Context::pack(
            [
                Some("ListUsers"),
                None,
                Some("aws-cli/2"),
                Some("111122223333"),
                Some(""),
                Some("arn:aws:iam::111122223333:user/a"),
                Some("a"),
                None,
                Some("AccessDenied"),
                Some("iam.amazonaws.com"),
                Some("444455556666"),
                Some("d4f8a4b8-1011-70f8-6a2c-1c1e5e5e5e5e"),
            ],
            vec![
                ("k".into(), Value::from(1)),
                ("user_agent".into(), Value::from("aws-cli/2")),
                ("error_code".into(), Value::from("AccessDenied")),
                ("other".into(), Value::from("aws-cli/3")),
            ],
            vec!["t1".into()],
        );
        // Evidence repeating a field points at it; other values are kept as given.
        let kept: Vec<&Kept> = c.evidence.iter().map(|(_, k)| k).collect();
        assert_eq!(
            kept,
            [
                &Kept::Value(Value::from(1)),
                &Kept::Field(Text::UserAgent),
                &Kept::Field(Text::ErrorCode),
                &Kept::Value(Value::from("aws-cli/3")),
            ]
        );
        assert_eq!(c.get(Text::SourceIp), None);
        assert_eq!(c.get(Text::Region), Some(""));
        assert_eq!(c.get(Text::ErrorCode), Some("AccessDenied"));
        let json = c.to_json().unwrap();
        let v: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["event_name"], "ListUsers");
        assert_eq!(v["source_ip"], Value::Null);
        assert_eq!(v["actor_display"], "a");
        assert_eq!(v["event_source"], "iam.amazonaws.com");
        assert_eq!(v["actor_account"], "444455556666");
        assert_eq!(
            v["evidence"],
            serde_json::json!([
                ["k", 1],
                ["user_agent", "aws-cli/2"],
                ["error_code", "AccessDenied"],
                ["other", "aws-cli/3"]
            ])
        );
        let payload = Payload::from(json.as_str());
        let back = Context::read(&payload).unwrap();
        for f in ALL_TEXT {
            assert_eq!(back.get(f), c.get(f), "{f:?}");
        }
        assert_eq!(
            (back.evidence.clone(), back.tuning.clone()),
            (c.evidence, c.tuning)
        );
    }

    /// Whatever a record holds, a context's JSON stays far below a DynamoDB
    /// item's 400 KB: every field and evidence value 200 KB of control
    /// characters (six bytes each as JSON) takes under 100 KB, and evidence that
    /// repeats a cut field still points at it. Reading it back cuts nothing more.
    #[test]
    fn a_context_of_huge_fields_stays_small_as_json() {
        let huge = "\u{1}".repeat(200 * 1024);
        let evidence = (0..8)
            .map(|i| (Cow::Owned(format!("e{i}")), Value::from(huge.clone())))
            .chain([("agent".into(), Value::from(huge.clone()))])
            .collect();
        let c = Context::pack([Some(huge.as_str()); TEXT_FIELDS], evidence, vec![]);
        let agent = c.text(Text::UserAgent);
        assert!(agent.ends_with(crate::sanitize::CUT_MARK) && agent.len() < 1024);
        assert!(
            c.evidence
                .iter()
                .all(|(_, k)| *k == Kept::Field(Text::EventName))
        );
        let json = c.to_json().unwrap();
        assert!(json.len() < 100 * 1024, "{} bytes", json.len());
        let payload = Payload::from(json.as_str());
        let back = Context::read(&payload).unwrap();
        assert_eq!(back.to_json().unwrap(), json);
    }

    /// An item written before the newer fields read back without them, and a
    /// context without them writes none.
    #[test]
    fn the_newer_fields_are_optional_in_items() {
        let old = r#"{"event_name":"ListUsers","source_ip":null,"user_agent":"ua","account_id":"111122223333","region":"us-east-1","actor_key":"arn:a","actor_display":"a","actor_type":"IAMUser","error_code":null,"evidence":[]}"#;
        let payload = Payload::from(old);
        let c = Context::read(&payload).unwrap();
        assert_eq!(c.get(Text::EventName), Some("ListUsers"));
        for f in [Text::EventSource, Text::ActorAccount, Text::OnBehalfOf] {
            assert_eq!(c.get(f), None, "{f:?}");
        }
        let v: Value = serde_json::from_str(&c.to_json().unwrap()).unwrap();
        for key in ["event_source", "actor_account", "on_behalf_of"] {
            assert!(v.get(key).is_none(), "{key} written: {v}");
        }
    }

    /// The own and caller fields name every field once, and each is read back
    /// from where it was packed.
    #[test]
    fn every_field_has_one_place() {
        let mut named: Vec<Text> = OWN
            .iter()
            .chain(&CALLER)
            .chain(&[Text::EventSource])
            .copied()
            .collect();
        assert_eq!(named.len(), TEXT_FIELDS);
        named.sort_by_key(|&t| t as usize);
        assert_eq!(named, ALL_TEXT);
        let texts: Vec<String> = ALL_TEXT.iter().map(|t| format!("{t:?}")).collect();
        let c = Context::pack(
            std::array::from_fn(|i| Some(texts[i].as_str())),
            vec![],
            vec![],
        );
        for (t, text) in ALL_TEXT.iter().zip(&texts) {
            assert_eq!(c.get(*t), Some(text.as_str()));
        }
    }

    /// Contexts of one caller share its fields; another agent, or an absent field
    /// where the other has an empty one, is another caller. Each context still
    /// reads its own fields.
    #[test]
    fn a_callers_contexts_share_its_fields() {
        let ev = || vec![("source_ip".into(), Value::from("198.51.100.1"))];
        let a = Context::pack(fields("aws-cli/2", "arn:a", "198.51.100.1"), ev(), vec![]);
        let b = Context::pack(fields("aws-cli/2", "arn:a", "198.51.100.2"), ev(), vec![]);
        assert!(Arc::ptr_eq(&a.caller, &b.caller));
        assert_eq!(a.get(Text::SourceIp), Some("198.51.100.1"));
        assert_eq!(b.get(Text::SourceIp), Some("198.51.100.2"));
        let c = Context::pack(fields("aws-cli/3", "arn:a", "198.51.100.1"), ev(), vec![]);
        assert!(!Arc::ptr_eq(&a.caller, &c.caller));
        assert_eq!(c.get(Text::UserAgent), Some("aws-cli/3"));
        let mut no_type = fields("aws-cli/2", "arn:a", "198.51.100.1");
        no_type[Text::ActorType as usize] = None;
        let mut empty_type = no_type;
        empty_type[Text::ActorType as usize] = Some("");
        let d = Context::pack(no_type, ev(), vec![]);
        let e = Context::pack(empty_type, ev(), vec![]);
        assert!(!Arc::ptr_eq(&d.caller, &e.caller));
        assert_eq!(
            (d.get(Text::ActorType), e.get(Text::ActorType)),
            (None, Some(""))
        );
    }

    /// Callers that differ only in the person a session acted for, or in
    /// their own account, hash apart: else one session acting for thousands
    /// of people put every context under one hash (from a review).
    #[test]
    fn a_callers_person_and_account_tell_it_apart() {
        let hasher = foldhash::fast::RandomState::default();
        let caller = |account: Option<&str>, person: Option<&str>| {
            let f = fields("ua", "arn:a", "198.51.100.1");
            let mut c: [Option<&str>; 8] = CALLER.map(|t| f[t as usize]);
            c[caller_index(Text::ActorAccount)] = account;
            c[caller_index(Text::OnBehalfOf)] = person;
            caller_hash(&hasher, c)
        };
        let base = caller(None, Some("p-1"));
        assert_ne!(base, caller(None, Some("p-2")));
        assert_ne!(base, caller(Some("444455556666"), Some("p-1")));
        assert_ne!(caller(Some("1"), None), caller(Some("2"), None));
    }

    /// Contexts of one source share one copy of it, whatever their caller.
    #[test]
    fn a_source_is_kept_once() {
        let a = Context::pack(fields("ua", "arn:a", "198.51.100.1"), vec![], vec![]);
        let b = Context::pack(fields("other", "arn:b", "198.51.100.2"), vec![], vec![]);
        let (sa, sb) = (a.source.as_ref().unwrap(), b.source.as_ref().unwrap());
        assert!(Arc::ptr_eq(sa, sb));
        assert_eq!(a.get(Text::EventSource), Some("iam.amazonaws.com"));
    }

    /// Equal evidence lists are shared; the values a shared list points at are
    /// each context's own.
    #[test]
    fn equal_evidence_lists_are_shared() {
        let ev = |ip: &str| vec![("source_ip".into(), Value::from(ip))];
        let a = Context::pack(
            fields("ua", "arn:a", "198.51.100.1"),
            ev("198.51.100.1"),
            vec![],
        );
        let b = Context::pack(
            fields("ua", "arn:a", "198.51.100.2"),
            ev("198.51.100.2"),
            vec![],
        );
        assert!(Arc::ptr_eq(&a.evidence, &b.evidence));
        let (ka, kb) = (&a.evidence[0].1, &b.evidence[0].1);
        assert_eq!(a.value(ka).as_str(), Some("198.51.100.1"));
        assert_eq!(b.value(kb).as_str(), Some("198.51.100.2"));
        // Not a field of the context: kept as a value, in a list of its own.
        let c = Context::pack(
            fields("ua", "arn:a", "198.51.100.1"),
            ev("203.0.113.9"),
            vec![],
        );
        assert!(!Arc::ptr_eq(&a.evidence, &c.evidence));
        assert_eq!(c.evidence[0].1, Kept::Value(Value::from("203.0.113.9")));
    }

    /// A caller with huge fields is packed for its context alone: right, and not
    /// kept in the thread's table.
    #[test]
    fn huge_callers_are_not_kept() {
        let agent = "a".repeat(MAX_SHARED_CALLER_BYTES);
        let a = Context::pack(fields(&agent, "arn:a", "198.51.100.1"), vec![], vec![]);
        let b = Context::pack(fields(&agent, "arn:a", "198.51.100.1"), vec![], vec![]);
        assert!(!Arc::ptr_eq(&a.caller, &b.caller));
        assert_eq!(a.get(Text::UserAgent), Some(agent.as_str()));
        assert_eq!(b.get(Text::ActorKey), Some("arn:a"));
        let held = CALLERS.with_borrow(|c| {
            c.table.iter().any(|p| {
                p.get(0)
                    .is_some_and(|ua| ua.len() >= MAX_SHARED_CALLER_BYTES)
            })
        });
        assert!(!held);
    }

    /// Past the table's bound the thread starts afresh: contexts built before
    /// keep their fields, and new ones are right.
    #[test]
    fn many_callers_stay_right() {
        let kept: Vec<(String, Context)> = (0..MAX_CALLERS + 50)
            .map(|i| {
                let actor = format!("arn:aws:iam::111122223333:user/u{i}");
                let c = Context::pack(fields("ua", &actor, "198.51.100.1"), vec![], vec![]);
                (actor, c)
            })
            .collect();
        for (actor, c) in &kept {
            assert_eq!(c.get(Text::ActorKey), Some(actor.as_str()));
        }
        let again = Context::pack(fields("ua", &kept[0].0, "198.51.100.1"), vec![], vec![]);
        assert_eq!(again.get(Text::ActorKey), Some(kept[0].0.as_str()));
    }
}
