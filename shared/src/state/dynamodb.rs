//! The DynamoDB adapter of the state port: one table, items expire through TTL.
//!
//! The table layout is defined once, in [`schema`]: `template.yaml`, the table
//! creation in `table.rs` (tests, `trailwatch replay --create-table`) and
//! `docs/state.md` follow it.
//!
//! - **Observations**: `pk` = key prefix + partition, `sk` =
//!   `{time_ms:015}#{event_id}`, attributes `value`, `payload`, `expires_at`.
//!   Writing the same record twice writes the same key: one item.
//! - **Claims**: `pk` = key prefix + claim key, `sk` = `claim`, attribute
//!   `expires_at`, and `lease` (a token) while the claim is a delivery lease.
//!   Taken with a conditional `PutItem` (no guards) or a `TransactWriteItems`
//!   (the claim plus one `ConditionCheck` per guard), so that exactly one of many
//!   concurrent callers gets it; confirmed with a conditional `UpdateItem`.
//!
//! DynamoDB TTL deletes expired items lazily (up to days later), so every read and
//! every claim condition compares `expires_at` with the caller's `now` itself.
//! Over event time ([`Validity::EventTime`]) they compare `valid_until` instead,
//! and `expires_at` only tells TTL when to delete.
//! Reads are strongly consistent: a caller always sees its own write and every
//! write that completed before it.
//!
//! Every key starts with the store's key prefix (`<function group>#`, `replay#` for
//! the CLI), so IAM can confine each function to its own items with the
//! `dynamodb:LeadingKeys` condition.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Put, TransactWriteItem};

use super::{Beat, Claimed, Lease, Now, Observation, Store, StoreError, Take, refusal};
use crate::window::MAX_OBSERVATIONS_PER_GROUP;

pub mod schema;
mod table;

pub use table::{TableCheck, create_table, ensure_table};

/// Event ids longer than this (bytes) are replaced by a digest in the sort key
/// (DynamoDB sort keys hold at most 1,024 bytes) and kept in [`schema::EVENT_ID`].
const MAX_SORT_KEY_ID_BYTES: usize = 512;

/// How often a claim is retried when DynamoDB reports a conflicting transaction.
const CLAIM_ATTEMPTS: u32 = 5;

/// Window and pair steps of one record, and then its findings' deliveries, in
/// flight at once (`Store::steps_at_once`).
pub const STEPS_AT_ONCE: usize = 16;

/// Which clock item expiries are in, and so which attribute reads compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Validity {
    /// The Lambda functions: expiries are wall-clock times, in `expires_at`, which
    /// is also the TTL attribute.
    Live,
    /// Replay and backtests (`engine::Clock::EventTime`): expiries are event
    /// times, in `valid_until`; `expires_at` (TTL) is set to the wall clock of
    /// the write plus `keep_secs`, so DynamoDB never deletes state a run still
    /// uses however old its events are.
    EventTime { keep_secs: i64 },
}

/// How long event-time state is kept (wall clock) before TTL may delete it.
pub const EVENT_TIME_KEEP_SECS: i64 = 30 * 86_400;

/// The DynamoDB adapter of [`Store`].
#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
    prefix: String,
    validity: Validity,
    /// Claim keys this process saw taken (by itself or by another caller): the
    /// only ones `claims_held` asks DynamoDB about, so that ordinary traffic pays
    /// no extra request and a flood against a reported burst pays one small read.
    seen_claims: std::sync::Arc<std::sync::Mutex<std::collections::HashSet<String>>>,
    /// Confirmed claims' expiries this process wrote or read while extending
    /// them (`Store::extend`): a first-seen term seen again within the slack of
    /// what is known costs no request.
    known_expiries: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, i64>>>,
    /// Set by [`DynamoStore::with_owner`].
    owner: Option<Owner>,
}

/// Who takes the claims: an owner (a backtest batch) and this attempt of it.
#[derive(Clone, Debug)]
struct Owner {
    /// `<owner>#`: what every attempt's [`schema::OWNER`] starts with.
    prefix: String,
    /// `<owner>#<attempt>`: this attempt's.
    me: String,
}

/// Whether the item that refused a claim holds the very lease `take` writes:
/// its token is unique to this delivery, so no other can hold it.
fn own_lease(item: Option<&HashMap<String, AttributeValue>>, take: &Take) -> bool {
    let Take::Lease(lease) = take else {
        return false;
    };
    item.and_then(|i| i.get(schema::LEASE))
        .is_some_and(|v| matches!(v, AttributeValue::S(t) if *t == lease.token))
}

/// A number attribute of `item`.
fn item_number(item: &HashMap<String, AttributeValue>, key: &str) -> Option<i64> {
    item.get(key)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse::<i64>().ok())
}

impl Owner {
    /// A claim item an earlier attempt of this owner wrote.
    const EARLIER_ATTEMPT: &str = "begins_with(#owner, :owner_prefix) AND #owner <> :owner_me";

    fn values(&self) -> [(String, AttributeValue); 2] {
        [
            (
                ":owner_prefix".to_owned(),
                AttributeValue::S(self.prefix.clone()),
            ),
            (":owner_me".to_owned(), AttributeValue::S(self.me.clone())),
        ]
    }
}

/// `seen_claims` is forgotten whole beyond this many keys (a bound on memory in a
/// long-lived container; forgetting only costs the flood its first full read).
const MAX_SEEN_CLAIMS: usize = 4_096;

impl DynamoStore {
    /// A store over `table` whose keys all start with `key_prefix`
    /// (see [`schema::key_prefix`]).
    pub fn new(client: Client, table: impl Into<String>, key_prefix: impl Into<String>) -> Self {
        DynamoStore {
            client,
            table: table.into(),
            prefix: key_prefix.into(),
            validity: Validity::Live,
            seen_claims: std::sync::Arc::default(),
            known_expiries: std::sync::Arc::default(),
            owner: None,
        }
    }

    /// The same store taking its claims as `owner`, in an attempt of its own:
    /// a claim an earlier attempt of the same owner took (confirmed or leased)
    /// is free to this one, and is not held against it. So a backtest batch that
    /// dies after taking claims (killed, out of memory, its give-back refused)
    /// finds the same findings again when it is retried, instead of finding
    /// them already reported by an attempt whose output was never written.
    /// Within one attempt, and for every other owner, claims behave as ever.
    pub fn with_owner(mut self, owner: &str) -> Self {
        let attempt = Lease::new(0).token;
        self.owner = Some(Owner {
            prefix: format!("{owner}#"),
            me: format!("{owner}#{attempt}"),
        });
        self
    }

    /// The same store with expiries in `validity`'s clock (it must be the
    /// engine's: `Clock::EventTime` needs [`Validity::EventTime`]).
    pub fn with_validity(mut self, validity: Validity) -> Self {
        self.validity = validity;
        self
    }

    pub fn validity(&self) -> Validity {
        self.validity
    }

    /// The expiries `Store::extend` knows of, locked.
    fn known_expiries(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, i64>> {
        self.known_expiries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Remembers that the claim `key` is confirmed until `valid` (bounded like
    /// `seen_claims`).
    fn remember_expiry(&self, key: &str, valid: i64) {
        let mut known = self.known_expiries();
        if known.len() >= MAX_SEEN_CLAIMS {
            known.clear();
        }
        known.insert(key.to_owned(), valid);
    }

    /// Forgets the expiry `Store::extend` knew of the claim `key` (the item was
    /// deleted or taken anew).
    fn forget_expiry(&self, key: &str) {
        self.known_expiries().remove(key);
    }

    /// An `UpdateItem` of the claim item `key`.
    fn claim_update(
        &self,
        key: &str,
    ) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(&self.table)
            .key(schema::PARTITION_KEY, self.pk(key))
            .key(schema::SORT_KEY, claim_sk())
    }

    /// `update` setting the claim's expiry attributes to `expires_at`, and the
    /// `SET` clauses to write (names `#e<i>`, values `:e<i>`).
    fn set_expiry(
        &self,
        mut update: aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder,
        expires_at: i64,
    ) -> (
        aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder,
        Vec<String>,
    ) {
        let mut sets = Vec::new();
        for (i, (name, value)) in self.expiry_attrs(expires_at).into_iter().enumerate() {
            update = update
                .expression_attribute_names(format!("#e{i}"), name)
                .expression_attribute_values(format!(":e{i}"), value);
            sets.push(format!("#e{i} = :e{i}"));
        }
        (update, sets)
    }

    /// The attribute reads and conditions compare with the caller's `now`.
    fn valid_attr(&self) -> &'static str {
        match self.validity {
            Validity::Live => schema::TTL_ATTRIBUTE,
            Validity::EventTime { .. } => schema::VALID_UNTIL,
        }
    }

    /// The expiry attributes of an item valid until `expires_at`.
    fn expiry_attrs(&self, expires_at: i64) -> Vec<(&'static str, AttributeValue)> {
        let n = |v: i64| AttributeValue::N(v.to_string());
        match self.validity {
            Validity::Live => vec![(schema::TTL_ATTRIBUTE, n(expires_at))],
            Validity::EventTime { keep_secs } => {
                let wall = super::wall_clock_secs();
                vec![
                    (schema::VALID_UNTIL, n(expires_at)),
                    (schema::TTL_ATTRIBUTE, n(wall.saturating_add(keep_secs))),
                ]
            }
        }
    }

    /// What holds a claim item at `now` (the in-memory store's rule, item for
    /// item): a lease until its lapse (wall clock), a confirmed claim until its
    /// validity.
    fn holder(&self, item: &HashMap<String, AttributeValue>, now: Now) -> Option<Claimed> {
        if item.contains_key(schema::LEASE) {
            let until = item_number(item, schema::TTL_ATTRIBUTE)?;
            (until > now.wall).then_some(Claimed::Leased { until })
        } else {
            self.confirmed_until(item, now).map(|_| Claimed::Held)
        }
    }

    /// A confirmed claim item's validity, when it is held at `now` (no lease).
    fn confirmed_until(&self, item: &HashMap<String, AttributeValue>, now: Now) -> Option<i64> {
        if item.contains_key(schema::LEASE) {
            return None;
        }
        item_number(item, self.valid_attr()).filter(|valid| *valid > now.valid)
    }

    /// A refused claim's answer from the items that refused it. DynamoDB
    /// returns them (`ReturnValuesOnConditionCheckFailure`); an endpoint that
    /// does not (older DynamoDB-compatible stores) fails the call, so that the
    /// invocation is retried: taking it for a delivered finding would drop the
    /// finding without a word (from a review of delivery under faults).
    fn refused<'a>(
        &self,
        items: impl IntoIterator<Item = Option<&'a HashMap<String, AttributeValue>>>,
        now: Now,
    ) -> Result<Claimed, StoreError> {
        let mut holders = Vec::new();
        for item in items {
            let Some(item) = item else {
                return Err(StoreError::new(format!(
                    "DynamoDB table {}: a claim was refused without the item that refused it \
                     (does the endpoint support ReturnValuesOnConditionCheckFailure?)",
                    self.table
                )));
            };
            // Refused by an item this reading does not find held (the
            // condition and this reading use the same `now`, so not
            // expected): asked again, as a lease that lapses now would be.
            holders.push(
                self.holder(item, now)
                    .unwrap_or(Claimed::Leased { until: now.wall }),
            );
        }
        Ok(refusal(holders).unwrap_or(Claimed::Held))
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    pub fn key_prefix(&self) -> &str {
        &self.prefix
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Remembers that `keys` were seen taken (see `seen_claims`).
    fn saw_claims<'k>(&self, keys: impl IntoIterator<Item = &'k str>) {
        let mut seen = self.seen_claims.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() >= MAX_SEEN_CLAIMS {
            seen.clear();
        }
        // Only window, news and pair claims are ever asked about.
        seen.extend(
            keys.into_iter()
                .filter(|k| {
                    super::keys::is(super::keys::WINDOW_CLAIM, k)
                        || super::keys::is(super::keys::NEWS_CLAIM, k)
                })
                .map(str::to_owned),
        );
    }

    /// Whether one of `keys` is held ([`DynamoStore::claim_held`]), asking one
    /// after another until one is.
    async fn first_held<'k>(
        &self,
        keys: impl IntoIterator<Item = &'k String>,
        now: i64,
    ) -> Result<bool, StoreError> {
        for key in keys {
            if self.claim_held(key, now).await? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// One strongly consistent `Query` of the claim item `key`: is it there and
    /// unexpired at `now`?
    async fn claim_held(&self, key: &str, now: i64) -> Result<bool, StoreError> {
        // Confirmed (a lease under way is left to the full path) and valid; not
        // an earlier attempt's of this owner, which the full path takes.
        let mut filter = "attribute_not_exists(#lease) AND #exp > :now".to_owned();
        let mut query = self.client.query();
        if let Some(owner) = &self.owner {
            filter = format!("{filter} AND NOT ({})", Owner::EARLIER_ATTEMPT);
            query = query
                .expression_attribute_names("#owner", schema::OWNER)
                .set_expression_attribute_values(Some(owner.values().into_iter().collect()));
        }
        let page = query
            .table_name(&self.table)
            .consistent_read(true)
            .key_condition_expression("#pk = :p AND #sk = :s")
            .filter_expression(filter)
            .expression_attribute_names("#pk", schema::PARTITION_KEY)
            .expression_attribute_names("#sk", schema::SORT_KEY)
            .expression_attribute_names("#lease", schema::LEASE)
            .expression_attribute_names("#exp", self.valid_attr())
            .expression_attribute_values(":p", self.pk(key))
            .expression_attribute_values(":s", claim_sk())
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .select(aws_sdk_dynamodb::types::Select::Count)
            .send()
            .await
            .map_err(|e| self.error("Query (claim)", e))?;
        Ok(page.count() > 0)
    }

    /// One `Query` of `partition` over `[from_ms, to_ms]`, every page until
    /// [`MAX_OBSERVATIONS_PER_GROUP`] unexpired items are read, from the newest
    /// or from the oldest end; returned ordered by time then event id.
    async fn read_span(
        &self,
        partition: &str,
        (from_ms, to_ms): (i64, i64),
        now: i64,
        newest_first: bool,
    ) -> Result<Vec<Observation>, StoreError> {
        if from_ms > to_ms {
            return Ok(Vec::new());
        }
        // `#` sorts before `$`, so [lo, hi] holds every event id at both ends.
        let lo = format!("{}#", time_part(from_ms));
        let hi = format!("{}$", time_part(to_ms));
        let mut out = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let page = self
                .live_items(partition, now)
                .scan_index_forward(!newest_first)
                .key_condition_expression("#pk = :p AND #sk BETWEEN :lo AND :hi")
                .expression_attribute_values(":lo", AttributeValue::S(lo.clone()))
                .expression_attribute_values(":hi", AttributeValue::S(hi.clone()))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| self.error("Query", e))?;
            for item in page.items() {
                let obs = observation_of(item).ok_or_else(|| {
                    StoreError::new(format!(
                        "DynamoDB Query on table {}: malformed observation item in partition {:?}",
                        self.table,
                        crate::sanitize::one_line(partition, 200)
                    ))
                })?;
                out.push(obs);
                if out.len() >= MAX_OBSERVATIONS_PER_GROUP {
                    break;
                }
            }
            match page.last_evaluated_key() {
                Some(k) if !k.is_empty() && out.len() < MAX_OBSERVATIONS_PER_GROUP => {
                    start = Some(k.clone())
                }
                _ => break,
            }
        }
        out.sort_by(|a, b| (a.time_ms, &a.event_id).cmp(&(b.time_ms, &b.event_id)));
        Ok(out)
    }

    /// A strongly consistent `Query` of `partition`'s items still valid at `now`:
    /// the part a window's and the heartbeat members' reads share (their key
    /// conditions add `#sk`, named here, and their own values).
    fn live_items(
        &self,
        partition: &str,
        now: i64,
    ) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
        self.client
            .query()
            .table_name(&self.table)
            .consistent_read(true)
            .filter_expression("#exp > :now")
            .expression_attribute_names("#pk", schema::PARTITION_KEY)
            .expression_attribute_names("#sk", schema::SORT_KEY)
            .expression_attribute_names("#exp", self.valid_attr())
            .expression_attribute_values(":p", self.pk(partition))
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
    }

    fn pk(&self, key: &str) -> AttributeValue {
        AttributeValue::S(format!("{}{key}", self.prefix))
    }

    fn error<E, R>(&self, operation: &str, e: SdkError<E, R>) -> StoreError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        sdk_error(operation, &self.table, e)
    }

    /// One claim attempt. `Ok(None)`: a conflicting transaction, try again.
    async fn try_claim(
        &self,
        key: &str,
        guards: &[&String],
        take: Take<'_>,
        now: Now,
    ) -> Result<Option<Claimed>, StoreError> {
        use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure as OnFail;
        // Free: absent, a lapsed lease (wall clock), or a confirmed claim expired
        // at `now.valid` (a lease carries no validity attribute).
        let free = match self.validity {
            Validity::Live => {
                "attribute_not_exists(#pk) OR (attribute_exists(#lease) AND #exp <= :wall) \
                 OR (attribute_not_exists(#lease) AND #exp <= :valid)"
            }
            Validity::EventTime { .. } => {
                "attribute_not_exists(#pk) OR (attribute_exists(#lease) AND #exp <= :wall) \
                 OR #valid <= :valid"
            }
        };
        let mut names = HashMap::from([
            ("#pk".to_owned(), schema::PARTITION_KEY.to_owned()),
            ("#exp".to_owned(), schema::TTL_ATTRIBUTE.to_owned()),
            ("#lease".to_owned(), schema::LEASE.to_owned()),
        ]);
        if self.validity != Validity::Live {
            names.insert("#valid".to_owned(), schema::VALID_UNTIL.to_owned());
        }
        let mut values = HashMap::from([
            (":wall".to_owned(), AttributeValue::N(now.wall.to_string())),
            (
                ":valid".to_owned(),
                AttributeValue::N(now.valid.to_string()),
            ),
        ]);
        let mut item = HashMap::from([
            (schema::PARTITION_KEY.to_owned(), self.pk(key)),
            (schema::SORT_KEY.to_owned(), claim_sk()),
        ]);
        let owned;
        let free = match &self.owner {
            None => free,
            Some(owner) => {
                names.insert("#owner".to_owned(), schema::OWNER.to_owned());
                values.extend(owner.values());
                item.insert(
                    schema::OWNER.to_owned(),
                    AttributeValue::S(owner.me.clone()),
                );
                owned = format!("({free}) OR ({})", Owner::EARLIER_ATTEMPT);
                owned.as_str()
            }
        };
        match take {
            Take::Confirmed { expires_at } => {
                item.extend(
                    self.expiry_attrs(expires_at)
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v)),
                );
            }
            Take::Lease(lease) => {
                item.insert(
                    schema::LEASE.to_owned(),
                    AttributeValue::S(lease.token.clone()),
                );
                item.insert(
                    schema::TTL_ATTRIBUTE.to_owned(),
                    AttributeValue::N(lease.until.to_string()),
                );
            }
        }
        if guards.is_empty() {
            let put = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression(free)
                .set_expression_attribute_names(Some(names))
                .set_expression_attribute_values(Some(values))
                .return_values_on_condition_check_failure(OnFail::AllOld)
                .send()
                .await;
            return match put {
                Ok(_) => Ok(Some(Claimed::Taken)),
                Err(e) => match e.as_service_error() {
                    Some(aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(c))
                        if own_lease(c.item(), &take) =>
                    {
                        // The SDK retried a write whose first attempt did land
                        // (its answer was lost): the lease refusing it is ours.
                        Ok(Some(Claimed::Taken))
                    }
                    Some(aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(c)) => {
                        self.refused([c.item()], now).map(Some)
                    }
                    Some(se) if se.is_transaction_conflict_exception() => Ok(None),
                    _ => Err(self.error("PutItem (claim)", e)),
                },
            };
        }
        let build = |what: &str, e: aws_sdk_dynamodb::error::BuildError| {
            StoreError::new(format!(
                "DynamoDB TransactWriteItems on table {}: cannot build the {what}: {e}",
                self.table
            ))
        };
        let mut items = Vec::with_capacity(guards.len() + 1);
        items.push(
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(item))
                        .condition_expression(free)
                        .set_expression_attribute_names(Some(names.clone()))
                        .set_expression_attribute_values(Some(values.clone()))
                        .return_values_on_condition_check_failure(OnFail::AllOld)
                        .build()
                        .map_err(|e| build("claim", e))?,
                )
                .build(),
        );
        for guard in guards {
            items.push(
                TransactWriteItem::builder()
                    .condition_check(
                        ConditionCheck::builder()
                            .table_name(&self.table)
                            .key(schema::PARTITION_KEY, self.pk(guard))
                            .key(schema::SORT_KEY, claim_sk())
                            .condition_expression(free)
                            .set_expression_attribute_names(Some(names.clone()))
                            .set_expression_attribute_values(Some(values.clone()))
                            .return_values_on_condition_check_failure(OnFail::AllOld)
                            .build()
                            .map_err(|e| build("guard check", e))?,
                    )
                    .build(),
            );
        }
        let sent = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match sent {
            Ok(_) => Ok(Some(Claimed::Taken)),
            Err(e) => {
                use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError as T;
                if let Some(T::TransactionCanceledException(tc)) = e.as_service_error() {
                    let reasons = tc.cancellation_reasons();
                    let failed: Vec<_> = reasons
                        .iter()
                        .filter(|r| r.code() == Some("ConditionalCheckFailed"))
                        .map(|r| r.item())
                        .collect();
                    if !failed.is_empty() {
                        return self.refused(failed, now).map(Some);
                    }
                    if reasons
                        .iter()
                        .filter_map(|r| r.code())
                        .all(|c| matches!(c, "None" | "TransactionConflict" | "ThrottlingError"))
                    {
                        return Ok(None);
                    }
                }
                Err(self.error("TransactWriteItems (claim)", e))
            }
        }
    }
}

fn claim_sk() -> AttributeValue {
    AttributeValue::S(schema::CLAIM_SORT_KEY.to_owned())
}

/// A clear error for a failed SDK call: the operation, the table, and the SDK's
/// whole error chain (service error code and message, or the transport failure).
fn sdk_error<E, R>(operation: &str, table: &str, e: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    let message = format!(
        "DynamoDB {operation} on table {table} failed: {}",
        crate::aws::error::short_cause(&e)
    );
    // Denied, the table gone, or its KMS key unusable: no retry will do
    // better (from a review of delivery under faults: a table policy denying
    // the functions stopped every finding, the one about that policy too).
    // Not KMS throttling: that passes (from a review).
    let refused = e.code().is_some_and(|code| {
        matches!(
            code,
            "AccessDeniedException"
                | "ResourceNotFoundException"
                | "KMSAccessDeniedException"
                | "KMSDisabledException"
                | "KMSInvalidStateException"
                | "KMSNotFoundException"
        )
    });
    if refused {
        StoreError::refused(message)
    } else {
        StoreError::new(message)
    }
}

/// The time part of a sort key: 15 digits for non-negative times (the documented
/// layout), `-` and 15 digits of `10^15 + t` for negative ones, so that the byte
/// order of the keys is the order of the times in `(-10^15, 10^15)` ms.
fn time_part(time_ms: i64) -> String {
    const SPAN: i64 = 1_000_000_000_000_000;
    let t = time_ms.clamp(-SPAN + 1, SPAN - 1);
    if t >= 0 {
        format!("{t:015}")
    } else {
        format!("-{:015}", SPAN + t)
    }
}

fn parse_time_part(s: &str) -> Option<i64> {
    const SPAN: i64 = 1_000_000_000_000_000;
    match s.strip_prefix('-') {
        Some(rest) => rest.parse::<i64>().ok().map(|v| v - SPAN),
        None => s.parse().ok(),
    }
}

/// `(sort key, event id attribute if the key holds a digest)`.
fn observation_sk(obs: &Observation) -> (String, Option<&str>) {
    if obs.event_id.len() <= MAX_SORT_KEY_ID_BYTES {
        (format!("{}#{}", time_part(obs.time_ms), obs.event_id), None)
    } else {
        let digest = crate::finding::finding_id(&[&obs.event_id]);
        (
            format!("{}#~{digest}", time_part(obs.time_ms)),
            Some(&obs.event_id),
        )
    }
}

fn observation_of(item: &HashMap<String, AttributeValue>) -> Option<Observation> {
    let s = |k: &str| item.get(k).and_then(|v| v.as_s().ok());
    let sk = s(schema::SORT_KEY)?;
    let (time, id) = sk.split_once('#')?;
    let event_id = match s(schema::EVENT_ID) {
        Some(full) => full.clone(),
        None => id.to_owned(),
    };
    Some(Observation {
        time_ms: parse_time_part(time)?,
        event_id,
        value: s(schema::VALUE)?.clone(),
        payload: s(schema::PAYLOAD)?.as_str().into(),
    })
}

impl Store for DynamoStore {
    /// Each step is two or three requests of some milliseconds; sixteen at once
    /// take a thousand-instance `StopInstances` in about a second, not fifteen.
    /// The live functions, `replay --state dynamodb` and the backtest alike.
    fn steps_at_once(&self) -> usize {
        STEPS_AT_ONCE
    }

    /// `PutItem`: the key is the partition, the time and the event id, so a second
    /// write of the same record replaces the first.
    async fn put(
        &self,
        partition: &str,
        obs: Observation,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let (sk, long_id) = observation_sk(&obs);
        let mut put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(schema::PARTITION_KEY, self.pk(partition))
            .item(schema::SORT_KEY, AttributeValue::S(sk))
            .item(schema::VALUE, AttributeValue::S(obs.value.clone()))
            .item(
                schema::PAYLOAD,
                AttributeValue::S(obs.payload.json()?.into_owned()),
            );
        for (name, value) in self.expiry_attrs(expires_at) {
            put = put.item(name, value);
        }
        if let Some(id) = long_id {
            put = put.item(schema::EVENT_ID, AttributeValue::S(id.to_owned()));
        }
        put.send()
            .await
            .map_err(|e| self.error("PutItem (observation)", e))?;
        Ok(())
    }

    /// `Query pk = :p AND sk BETWEEN :lo AND :hi`, strongly consistent, newest
    /// first, every page until [`MAX_OBSERVATIONS_PER_GROUP`] unexpired items are
    /// read (a `FilterExpression` drops the expired ones). Returns the newest
    /// [`MAX_OBSERVATIONS_PER_GROUP`] of the span, ordered by time then event id.
    async fn range(
        &self,
        partition: &str,
        from_ms: i64,
        to_ms: i64,
        now: i64,
    ) -> Result<Vec<Observation>, StoreError> {
        self.read_span(partition, (from_ms, to_ms), now, true).await
    }

    /// The same `Query` oldest first: the oldest [`MAX_OBSERVATIONS_PER_GROUP`].
    async fn range_oldest_first(
        &self,
        partition: &str,
        from_ms: i64,
        to_ms: i64,
        now: i64,
    ) -> Result<Vec<Observation>, StoreError> {
        self.read_span(partition, (from_ms, to_ms), now, false)
            .await
    }

    /// A conditional `PutItem` without guards, a `TransactWriteItems` with them;
    /// a claim is free when absent, a lapsed lease, or a confirmed claim expired at
    /// `now`. A refusal returns the refusing items (`ReturnValuesOnConditionCheckFailure`),
    /// so telling a live lease from a delivered finding costs no request.
    /// Conflicting transactions are retried a few times with a short backoff;
    /// throttling is retried by the SDK.
    async fn claim(
        &self,
        key: &str,
        guards: &[String],
        take: Take<'_>,
        now: Now,
    ) -> Result<Claimed, StoreError> {
        // One transaction cannot name an item twice.
        let mut unique: Vec<&String> = Vec::with_capacity(guards.len());
        for g in guards {
            if g != key && !unique.contains(&g) {
                unique.push(g);
            }
        }
        for attempt in 0..CLAIM_ATTEMPTS {
            if let Some(taken) = self.try_claim(key, &unique, take, now).await? {
                // Taken here, or refused because it or a guard is held.
                self.saw_claims(std::iter::once(key).chain(unique.iter().map(|g| g.as_str())));
                if taken == Claimed::Taken {
                    // A new item: whatever expiry was known of an earlier one is not its.
                    self.forget_expiry(key);
                }
                return Ok(taken);
            }
            if attempt + 1 < CLAIM_ATTEMPTS {
                tokio::time::sleep(backoff(attempt)).await;
            }
        }
        Err(StoreError::new(format!(
            "DynamoDB claim on table {}: still conflicting with other transactions after {} attempts",
            self.table, CLAIM_ATTEMPTS
        )))
    }

    /// `UpdateItem`: sets the expiry and removes the lease, on condition that the
    /// lease is still `lease`.
    async fn confirm(&self, key: &str, lease: &Lease, expires_at: i64) -> Result<bool, StoreError> {
        let update = self
            .claim_update(key)
            .condition_expression("#lease = :token")
            .expression_attribute_names("#lease", schema::LEASE)
            .expression_attribute_values(":token", AttributeValue::S(lease.token.clone()));
        let (update, sets) = self.set_expiry(update, expires_at);
        let sent = update
            .update_expression(format!("SET {} REMOVE #lease", sets.join(", ")))
            .send()
            .await;
        match sent {
            Ok(_) => Ok(true),
            Err(e) => match e.as_service_error() {
                Some(se) if se.is_conditional_check_failed_exception() => Ok(false),
                _ => Err(self.error("UpdateItem (confirm claim)", e)),
            },
        }
    }

    /// A conditional `UpdateItem` of the claim's expiry (held, confirmed, lapsing
    /// more than `slack_secs` before `expires_at`), skipped when this process
    /// already knows an expiry within the slack. A refused update returns the item
    /// (`ALL_OLD`), whose expiry is remembered.
    async fn extend(
        &self,
        key: &str,
        expires_at: i64,
        slack_secs: i64,
        now: Now,
    ) -> Result<bool, StoreError> {
        let threshold = expires_at.saturating_sub(slack_secs);
        if self
            .known_expiries()
            .get(key)
            .is_some_and(|e| *e >= threshold)
        {
            return Ok(false);
        }
        let update = self
            .claim_update(key)
            .condition_expression(
                "attribute_exists(#pk) AND attribute_not_exists(#lease) AND #valid > :now AND #valid < :threshold",
            )
            .expression_attribute_names("#pk", schema::PARTITION_KEY)
            .expression_attribute_names("#lease", schema::LEASE)
            .expression_attribute_names("#valid", self.valid_attr())
            .expression_attribute_values(":now", AttributeValue::N(now.valid.to_string()))
            .expression_attribute_values(":threshold", AttributeValue::N(threshold.to_string()))
            .return_values_on_condition_check_failure(
                aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure::AllOld,
            );
        let (update, sets) = self.set_expiry(update, expires_at);
        let sent = update
            .update_expression(format!("SET {}", sets.join(", ")))
            .send()
            .await;
        match sent {
            Ok(_) => {
                self.remember_expiry(key, expires_at);
                Ok(true)
            }
            Err(e) => match e.as_service_error() {
                Some(se) if se.is_conditional_check_failed_exception() => {
                    // Remember a confirmed claim's expiry; a lease or an absent
                    // item is asked about again next time.
                    let item = match se {
                        aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(c) => c.item(),
                        _ => None,
                    };
                    if let Some(valid) = item.and_then(|i| self.confirmed_until(i, now)) {
                        self.remember_expiry(key, valid);
                    }
                    Ok(false)
                }
                _ => Err(self.error("UpdateItem (extend claim)", e)),
            },
        }
    }

    /// `DeleteItem` of the claim; with `lease`, on condition that it is still
    /// that lease.
    async fn release(&self, key: &str, lease: Option<&Lease>) -> Result<(), StoreError> {
        self.forget_expiry(key);
        let mut delete = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(schema::PARTITION_KEY, self.pk(key))
            .key(schema::SORT_KEY, claim_sk());
        if let Some(l) = lease {
            delete = delete
                .condition_expression("#lease = :token")
                .expression_attribute_names("#lease", schema::LEASE)
                .expression_attribute_values(":token", AttributeValue::S(l.token.clone()));
        } else if let Some(owner) = &self.owner {
            // Only while it is still this attempt's: another batch may have
            // taken it since (its validity passed at a later record's time).
            delete = delete
                .condition_expression("#owner = :owner_me")
                .expression_attribute_names("#owner", schema::OWNER)
                .expression_attribute_values(":owner_me", AttributeValue::S(owner.me.clone()));
        }
        match delete.send().await {
            Ok(_) => Ok(()),
            Err(e) => match e.as_service_error() {
                Some(se) if se.is_conditional_check_failed_exception() => Ok(()),
                _ => Err(self.error("DeleteItem (claim)", e)),
            },
        }
    }

    async fn any_claim_held(&self, keys: &[String], now: i64) -> Result<bool, StoreError> {
        self.first_held(keys, now).await
    }

    /// Asks only about keys this process saw taken (one small `Query` each, until
    /// one is held); any other key answers `false` at no cost.
    async fn claims_held(&self, keys: &[String], now: i64) -> Result<bool, StoreError> {
        let asked: Vec<&String> = {
            let seen = self.seen_claims.lock().unwrap_or_else(|p| p.into_inner());
            keys.iter().filter(|k| seen.contains(k.as_str())).collect()
        };
        self.first_held(asked, now).await
    }

    /// An `UpdateItem` of the member's item on condition that it is absent,
    /// expired or older, returning the old item: one write, atomic under
    /// concurrency. A refused retry of the last heartbeat is answered from the
    /// item the refusal returns.
    async fn beat(
        &self,
        partition: &str,
        member: &str,
        time_ms: i64,
        expires_at: i64,
        now: i64,
    ) -> Result<Beat, StoreError> {
        use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
        use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure as OnFail;
        let n = |v: i64| AttributeValue::N(v.to_string());
        // The old last heartbeat becomes the one before (read before the SET
        // applies); -1 stands for none.
        let mut set = vec![
            "#before = if_not_exists(#last, :none)".to_owned(),
            "#before_valid = if_not_exists(#exp, :none)".to_owned(),
            "#last = :t".to_owned(),
        ];
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(schema::PARTITION_KEY, self.pk(partition))
            .key(
                schema::SORT_KEY,
                AttributeValue::S(format!("{}{member}", schema::MEMBER_SORT_PREFIX)),
            );
        for (i, (name, value)) in self.expiry_attrs(expires_at).into_iter().enumerate() {
            let placeholder = if name == self.valid_attr() {
                "#exp".to_owned()
            } else {
                format!("#x{i}")
            };
            set.push(format!("{placeholder} = :x{i}"));
            update = update
                .expression_attribute_names(placeholder, name)
                .expression_attribute_values(format!(":x{i}"), value);
        }
        let result = update
            .update_expression(format!("SET {}", set.join(", ")))
            .condition_expression("attribute_not_exists(#pk) OR #exp <= :now OR #last < :t")
            .expression_attribute_names("#pk", schema::PARTITION_KEY)
            .expression_attribute_names("#exp", self.valid_attr())
            .expression_attribute_names("#last", schema::LAST_SEEN)
            .expression_attribute_names("#before", schema::BEFORE_SEEN)
            .expression_attribute_names("#before_valid", schema::BEFORE_VALID)
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":t", n(time_ms))
            .expression_attribute_values(":none", n(-1))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .return_values_on_condition_check_failure(OnFail::AllOld)
            .send()
            .await;
        match result {
            Ok(out) => {
                let old = out.attributes();
                let number = |k: &str| old.and_then(|o| item_number(o, k));
                match (number(schema::LAST_SEEN), number(self.valid_attr())) {
                    (Some(t), Some(exp)) if exp > now => Ok(Beat::After(t)),
                    _ => Ok(Beat::First),
                }
            }
            Err(e) => match e.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(c)) => {
                    // A live heartbeat at this time or later. The same one again
                    // (a retry) gets its first answer.
                    let held = |k: &str| c.item().and_then(|o| item_number(o, k));
                    Ok(
                        match (
                            held(schema::LAST_SEEN),
                            held(schema::BEFORE_SEEN),
                            held(schema::BEFORE_VALID),
                        ) {
                            (Some(last), Some(t), Some(exp))
                                if last == time_ms && t >= 0 && exp > now =>
                            {
                                Beat::After(t)
                            }
                            (Some(last), _, _) if last == time_ms => Beat::First,
                            _ => Beat::Stale,
                        },
                    )
                }
                _ => Err(self.error("UpdateItem (heartbeat)", e)),
            },
        }
    }

    /// `Query pk = :p AND sk = "m#<member>"`, strongly consistent: the one item
    /// (a Query, which the functions' role already has, rather than GetItem).
    async fn member(
        &self,
        partition: &str,
        member: &str,
        now: i64,
    ) -> Result<Option<i64>, StoreError> {
        let page = self
            .live_items(partition, now)
            .key_condition_expression("#pk = :p AND #sk = :m")
            .expression_attribute_values(
                ":m",
                AttributeValue::S(format!("{}{member}", schema::MEMBER_SORT_PREFIX)),
            )
            .send()
            .await
            .map_err(|e| self.error("Query (heartbeat)", e))?;
        match page.items().first() {
            None => Ok(None),
            Some(item) => item_number(item, schema::LAST_SEEN)
                .map(Some)
                .ok_or_else(|| {
                    StoreError::new(format!(
                        "DynamoDB Query on table {}: malformed heartbeat item in partition {:?}",
                        self.table,
                        crate::sanitize::one_line(partition, 200)
                    ))
                }),
        }
    }

    /// `Query pk = :p AND begins_with(sk, "m#")`, strongly consistent, every page.
    async fn members(&self, partition: &str, now: i64) -> Result<Vec<(String, i64)>, StoreError> {
        let mut out = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let page = self
                .live_items(partition, now)
                .key_condition_expression("#pk = :p AND begins_with(#sk, :m)")
                .expression_attribute_values(
                    ":m",
                    AttributeValue::S(schema::MEMBER_SORT_PREFIX.to_owned()),
                )
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| self.error("Query (heartbeats)", e))?;
            for item in page.items() {
                let member = item
                    .get(schema::SORT_KEY)
                    .and_then(|v| v.as_s().ok())
                    .and_then(|sk| sk.strip_prefix(schema::MEMBER_SORT_PREFIX));
                let last = item_number(item, schema::LAST_SEEN);
                match (member, last) {
                    (Some(m), Some(t)) => out.push((m.to_owned(), t)),
                    _ => {
                        return Err(StoreError::new(format!(
                            "DynamoDB Query on table {}: malformed heartbeat item in partition {:?}",
                            self.table,
                            crate::sanitize::one_line(partition, 200)
                        )));
                    }
                }
            }
            match page.last_evaluated_key() {
                Some(k) if !k.is_empty() => start = Some(k.clone()),
                _ => break,
            }
        }
        out.sort();
        Ok(out)
    }
}

/// 10, 20, 40, 80 ms, plus up to as much again of jitter (from the clock: good
/// enough to split callers that collided).
fn backoff(attempt: u32) -> Duration {
    let base = 10u64 << attempt.min(6);
    let jitter = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::from(d.subsec_nanos()))
        .unwrap_or(0)
        % base;
    Duration::from_millis(base + jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// From a review: a claim whose first write landed but whose answer was
    /// lost is refused on the SDK's retry by its own lease; that is taken, not
    /// another delivery's (which made the finding wait for Lambda's retry).
    #[test]
    fn a_lease_refused_by_its_own_token_is_ours() {
        let lease = Lease {
            token: "tok-1".into(),
            until: 100,
        };
        let item = |token: &str| {
            HashMap::from([(schema::LEASE.to_owned(), AttributeValue::S(token.into()))])
        };
        assert!(own_lease(Some(&item("tok-1")), &Take::Lease(&lease)));
        assert!(!own_lease(Some(&item("tok-2")), &Take::Lease(&lease)));
        assert!(!own_lease(Some(&HashMap::new()), &Take::Lease(&lease)));
        assert!(!own_lease(None, &Take::Lease(&lease)));
        assert!(!own_lease(
            Some(&item("tok-1")),
            &Take::Confirmed { expires_at: 100 }
        ));
    }

    /// From a review of delivery under faults: a refusal without the item
    /// that refused it (an endpoint without `ReturnValuesOnConditionCheckFailure`)
    /// was taken for a delivered finding, which was then dropped. It fails the
    /// call now, so that the invocation is retried.
    #[test]
    fn a_refusal_without_its_item_fails_the_call() {
        let conf = aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
            .build();
        let store = DynamoStore::new(Client::from_conf(conf), "state", "g#");
        let now = Now::live(1_000);
        let e = store.refused([None], now).unwrap_err();
        assert!(e.message().contains("without the item"), "{e:?}");
        let confirmed = HashMap::from([(
            schema::TTL_ATTRIBUTE.to_owned(),
            AttributeValue::N("2000".into()),
        )]);
        assert_eq!(store.refused([Some(&confirmed)], now), Ok(Claimed::Held));
        let lease = HashMap::from([
            (schema::LEASE.to_owned(), AttributeValue::S("tok".into())),
            (
                schema::TTL_ATTRIBUTE.to_owned(),
                AttributeValue::N("1030".into()),
            ),
        ]);
        assert_eq!(
            store.refused([Some(&lease)], now),
            Ok(Claimed::Leased { until: 1030 })
        );
        // One item missing among others still fails.
        assert!(store.refused([Some(&confirmed), None], now).is_err());
    }

    fn obs(t: i64, id: &str) -> Observation {
        Observation {
            time_ms: t,
            event_id: id.into(),
            value: "v".into(),
            payload: "{}".into(),
        }
    }

    #[test]
    fn sort_keys_order_like_times() {
        let times = [
            -62_135_596_800_000,
            -1_000,
            -1,
            0,
            1,
            999,
            1_700_000_000_000,
            253_402_300_799_000,
        ];
        let keys: Vec<String> = times.iter().map(|&t| time_part(t)).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        for &t in &times {
            assert_eq!(parse_time_part(&time_part(t)), Some(t));
        }
        assert_eq!(time_part(1_700_000_000_000), "001700000000000");
    }

    #[test]
    fn range_bounds_hold_every_event_id_at_both_ends() {
        let lo = format!("{}#", time_part(1000));
        let hi = format!("{}$", time_part(2000));
        for (t, id) in [(1000, ""), (1000, "a"), (2000, "\u{10FFFF}"), (2000, "~zz")] {
            let (sk, _) = observation_sk(&obs(t, id));
            assert!(lo <= sk && sk <= hi, "{sk}");
        }
        for t in [999, 2001] {
            let (sk, _) = observation_sk(&obs(t, "x"));
            assert!(!(lo <= sk && sk <= hi), "{sk}");
        }
    }

    #[test]
    fn a_long_event_id_goes_to_its_own_attribute() {
        let long = "x".repeat(2000);
        let o = obs(5, &long);
        let (sk, id) = observation_sk(&o);
        assert!(sk.len() < 100);
        assert_eq!(id, Some(long.as_str()));
        let mut item = HashMap::new();
        item.insert(schema::SORT_KEY.to_owned(), AttributeValue::S(sk));
        item.insert(schema::EVENT_ID.to_owned(), AttributeValue::S(long.clone()));
        item.insert(schema::VALUE.to_owned(), AttributeValue::S("v".into()));
        item.insert(schema::PAYLOAD.to_owned(), AttributeValue::S("{}".into()));
        assert_eq!(observation_of(&item), Some(o));
    }

    #[test]
    fn an_event_id_may_contain_the_separator() {
        let o = obs(7, "a#b");
        let (sk, _) = observation_sk(&o);
        let mut item = HashMap::new();
        item.insert(schema::SORT_KEY.to_owned(), AttributeValue::S(sk));
        item.insert(schema::VALUE.to_owned(), AttributeValue::S("v".into()));
        item.insert(schema::PAYLOAD.to_owned(), AttributeValue::S("{}".into()));
        assert_eq!(observation_of(&item), Some(o));
    }
}
