//! A CloudTrail Lake event data store told to stop taking events
//! (`StopEventDataStoreIngestion`) or deleted (`DeleteEventDataStore`), successfully.
//!
//! Decisions: an organisation that keeps its audit trail in CloudTrail Lake rather
//! than (or beside) a trail to S3 loses it the same way a trail is stopped or deleted,
//! so this is the Lake's counterpart of `cloudtrail-log-suspended` and
//! `cloudtrail-log-deleted`, kept apart from them (their logic is the seed catalogue's).
//! A deleted store stays recoverable for seven days; the finding says which store.
//! Refused calls change nothing and do not fire. A store kept running but told to
//! drop management events (`UpdateEventDataStore` with such selectors) is
//! `cloudtrail-management-events-disabled`'s, as for a trail.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{request_param_any, succeeded_call};
use crate::event::Record;

pub struct CloudTrailLakeIngestionStopped;

const SOURCE: &str = "cloudtrail.amazonaws.com";
const NAMES: &[&str] = &["StopEventDataStoreIngestion", "DeleteEventDataStore"];

pub static META: Meta = Meta {
    id: "cloudtrail-lake-ingestion-stopped",
    title: "AWS CloudTrail Lake Event Data Store Stopped or Deleted",
    description: "A CloudTrail Lake event data store stopped taking events or was deleted. \
                  Where the organisation's audit trail lives in CloudTrail Lake, this silences \
                  it as surely as stopping a trail: what the intruder does next goes \
                  unrecorded, and deletion removes what was already recorded.",
    severity: Severity::High,
    attack: &["T1562.008"],
    origins: &[
        "trailwatch: based on the CloudTrail Lake StopEventDataStoreIngestion and \
         DeleteEventDataStore APIs, the Lake counterpart of the trail tampering rules, and \
         a review of CloudTrail evasion techniques",
    ],
    group: "logging-tamper",
    false_positives: &[
        "The platform team retiring an event data store it replaced, or pausing a test \
         store.",
    ],
    next_steps: "Confirm with the owner of the event data store. If unplanned, start \
                 ingestion again (or restore the store within its seven-day recovery window), \
                 check that trails still record, and review the caller's other activity.",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

impl Detection for CloudTrailLakeIngestionStopped {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, SOURCE, NAMES) {
            return None;
        }
        let store = request_param_any(rec, &["eventDataStore", "EventDataStore"])
            .and_then(|v| v.as_str());
        fire(
            Evidence::new()
                .with("action", rec.event_name())
                .with_opt("event_data_store", store),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::calls::{call, failed};
    use crate::detections::common::testing::{eval, fires};

    const STORE: &str = r#"{"eventDataStore":"arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE"}"#;

    #[test]
    fn stopping_or_deleting_a_store_fires_with_it() {
        for name in NAMES {
            match eval(&CloudTrailLakeIngestionStopped, &call(SOURCE, name, STORE)) {
                Some(Signal::Fire(e)) => assert!(
                    e.get("event_data_store")
                        .and_then(|v| v.as_str())
                        .is_some_and(|s| s.contains(":eventdatastore/")),
                    "{name}"
                ),
                other => panic!("expected a finding for {name}, got {other:?}"),
            }
        }
        assert!(fires(&CloudTrailLakeIngestionStopped, &call(SOURCE, "DeleteEventDataStore", "null")));
    }

    #[test]
    fn refusals_restarts_and_queries_do_not_fire() {
        assert!(!fires(
            &CloudTrailLakeIngestionStopped,
            &failed(&call(SOURCE, "StopEventDataStoreIngestion", STORE), "AccessDeniedException")
        ));
        for name in ["StartEventDataStoreIngestion", "StartQuery", "UpdateEventDataStore", "StopLogging"] {
            assert!(!fires(&CloudTrailLakeIngestionStopped, &call(SOURCE, name, STORE)), "{name}");
        }
    }
}
