//! A CloudTrail Lake event data store told to stop taking events
//! (`StopEventDataStoreIngestion`), deleted (`DeleteEventDataStore`), or given a
//! retention of 90 days or less (`UpdateEventDataStore` with `retentionPeriod`),
//! successfully.
//!
//! Decisions: an organisation that keeps its audit trail in CloudTrail Lake rather
//! than (or beside) a trail to S3 loses it the same way a trail is stopped or deleted,
//! so this is the Lake's counterpart of `cloudtrail-log-suspended` and
//! `cloudtrail-log-deleted`, kept apart from them (their logic is the seed catalogue's).
//! A deleted store stays recoverable for seven days; the finding says which store.
//! Shortening the retention removes every event older than the new period at
//! once, for good, where a deleted store can still be restored (from a review): the
//! call names only the new period, so any of 90 days or less fires, at medium
//! severity (the API takes 7 to 3,653; stores keep a year or seven by default; an
//! update that restates a short retention a store already had, or lengthens it,
//! looks the same); a longer one, however much shorter than before, does not.
//! An update that turns an organisation's store into one account's
//! (`organizationEnabled` false: high, every member account goes unrecorded) or a
//! multi-Region store into one Region's (`multiRegionEnabled` false: medium) fires
//! as well, as those changes to a trail do (from a third evasion review).
//! Refused calls change nothing and do not fire. A store kept running but told to
//! drop management events (`UpdateEventDataStore` with such selectors) is
//! `cloudtrail-management-events-disabled`'s, as for a trail.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{flag_value, request_param_any, succeeded_call, whole_number};
use crate::event::Record;

pub struct CloudTrailLakeIngestionStopped;

const SOURCE: &str = "cloudtrail.amazonaws.com";
const NAMES: &[&str] = &["StopEventDataStoreIngestion", "DeleteEventDataStore", UPDATE];
const UPDATE: &str = "UpdateEventDataStore";
/// A retention of this many days or fewer fires.
const SHORT_RETENTION_DAYS: u64 = 90;

pub static META: Meta = Meta {
    id: "cloudtrail-lake-ingestion-stopped",
    title: "AWS CloudTrail Lake Event Data Store Stopped, Deleted or Its Retention Cut",
    description: "A CloudTrail Lake event data store stopped taking events, was deleted, \
                  stopped taking the organisation's member accounts or the other Regions, or \
                  was given a retention of 90 days or less. Where the organisation's audit \
                  trail lives in CloudTrail Lake, this silences it as surely as stopping a \
                  trail: what the intruder does next goes unrecorded, deletion removes what \
                  was already recorded, and a shorter retention erases the older history at \
                  once and for good.",
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
        "A store kept 90 days or less on purpose (an Insights or test store) updated with its \
         retention restated or lengthened (medium): tune by store.",
    ],
    next_steps: "Confirm with the owner of the event data store. If unplanned, start \
                 ingestion again (or restore the store within its seven-day recovery window), \
                 set the retention back (what it already removed is gone: look for copies in \
                 the trails' S3 buckets), check that trails still record, and review the \
                 caller's other activity.",
    evidence: "action event_data_store multi_region_enabled organization_enabled retention_days",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

impl Detection for CloudTrailLakeIngestionStopped {
    fn meta(&self) -> &'static Meta {
        &META
    }

    /// A short retention is reported at medium: the call does not say whether it
    /// was longer before.
    fn severity_for(&self, rec: &Record<'_>) -> Severity {
        if rec.event_name() == UPDATE && !narrowed(rec, ORGANIZATION) {
            Severity::Medium
        } else {
            META.severity
        }
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, SOURCE, NAMES) {
            return None;
        }
        let update = rec.event_name() == UPDATE;
        let retention = whole_number(request_param_any(rec, &["retentionPeriod", "RetentionPeriod"]))
            .filter(|days| update && *days <= SHORT_RETENTION_DAYS);
        let (one_account, one_region) = (update && narrowed(rec, ORGANIZATION), update && narrowed(rec, MULTI_REGION));
        if update && retention.is_none() && !one_account && !one_region {
            return None;
        }
        let store = request_param_any(rec, &["eventDataStore", "EventDataStore"])
            .and_then(|v| v.as_str());
        fire(
            Evidence::new()
                .with("action", rec.event_name())
                .with_opt("event_data_store", store)
                .with_opt("retention_days", retention)
                .with_opt("organization_enabled", one_account.then_some(false))
                .with_opt("multi_region_enabled", one_region.then_some(false)),
        )
    }
}

/// The request's spellings of the switch that makes a store take every member
/// account's events, and of the one that makes it take every Region's.
const ORGANIZATION: [&str; 2] = ["organizationEnabled", "OrganizationEnabled"];
const MULTI_REGION: [&str; 2] = ["multiRegionEnabled", "MultiRegionEnabled"];

/// Whether an update turns `switch` off: an organisation's store made one
/// account's (every member goes unrecorded, high), or a store made one Region's
/// (medium), as `cloudtrail-log-updated` judges a trail (a third evasion review).
fn narrowed(rec: &Record<'_>, switch: [&str; 2]) -> bool {
    request_param_any(rec, &switch).and_then(flag_value) == Some(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::calls::{call, failed};
    use crate::detections::common::testing::{eval, fires};

    const STORE: &str = r#"{"eventDataStore":"arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE"}"#;

    #[test]
    fn stopping_or_deleting_a_store_fires_with_it() {
        for name in &NAMES[..2] {
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
        for name in ["StartEventDataStoreIngestion", "StartQuery", UPDATE, "StopLogging"] {
            assert!(!fires(&CloudTrailLakeIngestionStopped, &call(SOURCE, name, STORE)), "{name}");
        }
    }

    /// From a review: a store's retention cut to a week erased its history at
    /// once, and only its deletion (recoverable for a week) fired.
    #[test]
    fn a_retention_of_ninety_days_or_less_fires() {
        let update = |retention: &str| {
            call(
                SOURCE,
                UPDATE,
                &format!(
                    r#"{{"eventDataStore":"arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/EXAMPLE","retentionPeriod":{retention}}}"#
                ),
            )
        };
        for short in ["7", "90", "\"30\""] {
            match eval(&CloudTrailLakeIngestionStopped, &update(short)) {
                Some(Signal::Fire(e)) => assert!(e.get("retention_days").is_some(), "{short}"),
                other => panic!("expected a finding for {short}, got {other:?}"),
            }
            let json = update(short);
            let rec = Record::from_json(&json).unwrap();
            assert_eq!(CloudTrailLakeIngestionStopped.severity_for(&rec), Severity::Medium);
        }
        for long_or_unreadable in ["91", "366", "2557", "null", "\"a week\"", "-7"] {
            assert!(
                !fires(&CloudTrailLakeIngestionStopped, &update(long_or_unreadable)),
                "{long_or_unreadable}"
            );
        }
        assert!(!fires(
            &CloudTrailLakeIngestionStopped,
            &failed(&update("7"), "AccessDeniedException")
        ));
    }
}
