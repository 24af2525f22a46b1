//! Reading CloudTrail: the record view, its time stamps, the caller, and the reader
//! that finds records in files, EventBridge envelopes and S3 log files.

pub mod actor;
pub mod ahead;
pub(crate) mod aligned;
#[cfg(feature = "cli-gunzip")]
pub mod gunzip;
pub mod nesting;
pub mod owned;
pub mod parallel;
#[cfg(feature = "cli-plain-records")]
mod plain;
pub mod prefilter;
pub mod reader;
pub mod record;
pub mod repair;
pub mod split;
pub mod surrogates;
pub mod time;
pub mod utf8;

#[cfg(test)]
pub(crate) use actor::acting_for_in_test;
pub use actor::{Actor, actor_display, actor_display_text, actor_key};
pub(crate) use actor::{caller_account_elsewhere, person_acted_for};
pub use owned::OwnedRecord;
pub use record::Record;
