//! The table's schema: the one definition the template, the tests and the docs use.

/// Partition key (string).
pub const PARTITION_KEY: &str = "pk";
/// Sort key (string).
pub const SORT_KEY: &str = "sk";
/// The TTL attribute: epoch seconds (number). DynamoDB TTL is enabled on it.
pub const TTL_ATTRIBUTE: &str = "expires_at";
/// Observation attribute: the counted value or the side of a pair (string).
pub const VALUE: &str = "value";
/// Observation attribute: what the finding needs about the record (JSON string).
pub const PAYLOAD: &str = "payload";
/// Observation attribute, only when the sort key holds a digest of an
/// over-long event id: the event id itself (string).
pub const EVENT_ID: &str = "event_id";
/// Claim attribute, while the claim is a delivery lease: the lease's token
/// (string); `expires_at` is then the lease's lapse (wall clock).
pub const LEASE: &str = "lease";
/// Event-time validity (number, epoch seconds), only in a store over event
/// time ([`super::Validity::EventTime`]): what reads and conditions compare,
/// while `expires_at` (TTL) is set from the wall clock for deletion alone.
pub const VALID_UNTIL: &str = "valid_until";
/// The sort key of every claim item.
pub const CLAIM_SORT_KEY: &str = "claim";
/// Claim attribute, only in a store with an owner (a backtest batch):
/// `<owner>#<attempt>`, so that a later attempt of the same owner takes
/// the claims an earlier one left behind (string).
pub const OWNER: &str = "owner";
/// Heartbeat members: `sk` = this prefix + member, attribute [`LAST_SEEN`].
pub const MEMBER_SORT_PREFIX: &str = "m#";
/// Heartbeat attribute: the member's last-seen event time, epoch ms (number).
pub const LAST_SEEN: &str = "last_seen";
/// Heartbeat attributes: the heartbeat before the last one and its validity
/// (-1 when there was none), kept so that a retry of the last one is
/// answered as it was the first time.
pub const BEFORE_SEEN: &str = "before_seen";
pub const BEFORE_VALID: &str = "before_valid";
/// Billing mode of the table.
pub const BILLING_MODE: &str = "PAY_PER_REQUEST";
/// The key prefix of `trailwatch replay`.
pub const REPLAY_PREFIX: &str = "replay#";

/// The key prefix of a Lambda function group (`<group>#`): every key the
/// function writes starts with it, so IAM can scope it with
/// `dynamodb:LeadingKeys` = `<group>#*`.
pub fn key_prefix(group: &str) -> String {
    format!("{group}#")
}
