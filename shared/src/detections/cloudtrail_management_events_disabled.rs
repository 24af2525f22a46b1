//! A trail told to stop recording management events, or their write half, through
//! its event selectors (`PutEventSelectors`), or a CloudTrail Lake event data store
//! told the same through its advanced selectors (`UpdateEventDataStore`: the store
//! keeps running, as a trail does), successfully. A store left with data events only
//! is reported at medium severity (a data-events store's own update looks the same);
//! stores of configuration items, Insights or network activity are not judged.
//!
//! Decisions: the Elastic rule matches `includeManagementEvents` false anywhere in the
//! request. We read the selectors as CloudTrail applies them, all together: a basic
//! selector records management events unless `includeManagementEvents` is false (the
//! API's default is true), an advanced selector when it selects `eventCategory` =
//! `Management`. The call fires when no selector records management events, or when
//! those that do record only read-only ones (`readWriteType` `ReadOnly`, or
//! `readOnly` = `true`): the writes an intruder makes would then go unrecorded too. A
//! request that adds data events beside management events does not fire. A request
//! with no readable selectors at all does not fire (nothing to judge).
//!
//! Recording management events of only some services is the quieter form: a basic
//! selector's `excludeManagementEventSources` (KMS, the RDS Data API), or an advanced
//! management selector's `eventSource` field narrowed (`notEquals`, `notStartsWith`,
//! `notEndsWith` leave services out; `equals`, `startsWith`, `endsWith` keep only
//! some). An event data store's management selector may also filter on
//! `eventName`, `eventType`, `userIdentity.arn` and `sessionCredentialFromConsole`:
//! any condition on those narrows it too (every management event but the intruder's
//! role's, or but `StopLogging`, or console sessions only), and is reported the same
//! way, the field named. When every selector that records management writes is
//! narrowed so, the call fires with the narrowing in `narrowed_sources`.
//!
//! A request CloudTrail logged as its too-large stub (selectors padded past the
//! limit, up to 500 values of 2,048 characters) hides what is recorded now: it
//! fires at medium severity (hundreds of data resources listed by name can be as
//! long), with what the response names.

use serde_json::Value;

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{flag_value, request_omitted_as_too_large, succeeded_call};
use crate::event::Record;

pub struct CloudTrailManagementEventsDisabled;

const SOURCE: &str = "cloudtrail.amazonaws.com";
const STORE_UPDATE: &str = "UpdateEventDataStore";
const NAMES: &[&str] = &["PutEventSelectors", STORE_UPDATE];

pub static META: Meta = Meta {
    id: "cloudtrail-management-events-disabled",
    title: "AWS CloudTrail Management Events Disabled via Event Selectors",
    description: "A trail's event selectors were rewritten so that it no longer records \
                  management events, or records only the read-only ones. The trail still looks \
                  healthy (it is logging, it was not deleted), yet the API calls that change \
                  the account, including the attacker's own, are no longer in it.",
    severity: Severity::High,
    attack: &["T1562.008"],
    origins: &[
        "Elastic detection-rules defense_evasion_cloudtrail_management_events_disabled_via_eventselectors.toml",
        "trailwatch: based on Stratus Red Team aws.defense-evasion.cloudtrail-event-selectors",
    ],
    group: "logging-tamper",
    false_positives: &[
        "A trail dedicated to data events (S3 objects, Lambda invocations) whose owner keeps \
         management events in another trail.",
        "Leaving KMS or RDS Data API events out to save cost (a documented option): tune by \
         trail once the choice is confirmed.",
    ],
    next_steps: "Check whether another trail still records this account's management events in \
                 every Region. If not, restore the selectors (includeManagementEvents true, \
                 readWriteType All) at once, review the caller, and use other sources for the \
                 gap since this call.",
    evidence: "advanced_event_selectors effect event_data_store event_selectors narrowed_sources \
        original_size trail",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

/// What the selectors record of management events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Management {
    None,
    ReadOnly,
    Writes,
}

fn combine(a: Management, b: Management) -> Management {
    use Management::*;
    match (a, b) {
        (Writes, _) | (_, Writes) => Writes,
        (ReadOnly, _) | (_, ReadOnly) => ReadOnly,
        _ => None,
    }
}

fn basic(sel: &Value) -> Management {
    if sel.get("includeManagementEvents").and_then(flag_value) == Some(false) {
        return Management::None;
    }
    match sel.get("readWriteType").and_then(Value::as_str) {
        Some(t) if t.eq_ignore_ascii_case("ReadOnly") => Management::ReadOnly,
        _ => Management::Writes,
    }
}

/// `field` of an advanced selector's field selectors has `equals` containing `value`.
fn advanced_equals(sel: &Value, field: &str, value: &str) -> bool {
    sel.get("fieldSelectors")
        .and_then(Value::as_array)
        .is_some_and(|fs| {
            fs.iter().any(|f| {
                f.get("field").and_then(Value::as_str) == Some(field)
                    && f.get("equals")
                        .and_then(Value::as_array)
                        .is_some_and(|eq| {
                            eq.iter()
                                .any(|v| v.as_str().is_some_and(|s| s.eq_ignore_ascii_case(value)))
                        })
            })
        })
}

fn advanced(sel: &Value) -> Management {
    if !advanced_equals(sel, "eventCategory", "Management") {
        Management::None
    } else if advanced_equals(sel, "readOnly", "true") && !advanced_equals(sel, "readOnly", "false") {
        Management::ReadOnly
    } else {
        Management::Writes
    }
}

/// The fields besides `eventSource` that an event data store's management selector
/// may filter on: any condition on one narrows what it records.
const NARROWING_FIELDS: [&str; 4] = [
    "eventName",
    "eventType",
    "sessionCredentialFromConsole",
    "userIdentity.arn",
];

/// An `eventName` condition that only leaves out read calls (`notStartsWith` `Get`,
/// `List`, `Describe`...: a common way to cut a store's cost), so every write is still
/// recorded.
fn leaves_out_reads_only(condition: &Value) -> bool {
    const READS: [&str; 5] = ["Get", "List", "Describe", "Head", "Lookup"];
    let only_these = |op: &str| {
        condition.get(op).is_none_or(|v| {
            v.as_array().is_some_and(|vs| {
                vs.iter().all(|v| v.as_str().is_some_and(|s| READS.iter().any(|r| s.starts_with(r))))
            })
        })
    };
    ["equals", "startsWith", "endsWith", "notEndsWith"]
        .iter()
        .all(|op| condition.get(op).is_none())
        && only_these("notEquals")
        && only_these("notStartsWith")
}

/// How a selector that records management writes is narrowed to some services: its
/// excluded sources or its source conditions, as text; `None` when it records every
/// service's.
fn source_narrowing(sel: &Value) -> Option<Vec<String>> {
    let mut out: Vec<String> = sel
        .get("excludeManagementEventSources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|s| format!("excluded {s}"))
        .collect();
    let fields = sel.get("fieldSelectors").and_then(Value::as_array);
    for f in fields.into_iter().flatten() {
        let Some(field) = f.get("field").and_then(Value::as_str) else {
            continue;
        };
        // The event source is named by its conditions alone (as before); the other
        // fields a store's management selector may filter on are named with them.
        let named: &str = if field.eq_ignore_ascii_case("eventSource") {
            ""
        } else if let Some(other) = NARROWING_FIELDS.iter().find(|n| field.eq_ignore_ascii_case(n)) {
            other
        } else {
            continue;
        };
        if named == "eventName" && leaves_out_reads_only(f) {
            continue;
        }
        for (op, label) in [
            ("notEquals", "excluded"),
            ("notStartsWith", "excluded prefix"),
            ("notEndsWith", "excluded suffix"),
            ("equals", "only"),
            ("startsWith", "only prefix"),
            ("endsWith", "only suffix"),
        ] {
            let values = f.get(op).and_then(Value::as_array).into_iter().flatten();
            out.extend(values.filter_map(Value::as_str).map(|v| match named {
                "" => format!("{label} {v}"),
                field => format!("{field} {label} {v}"),
            }));
        }
    }
    (!out.is_empty()).then_some(out)
}

impl Detection for CloudTrailManagementEventsDisabled {
    fn meta(&self) -> &'static Meta {
        &META
    }

    /// An event data store left with data events only is medium: a store kept for
    /// data events has its selectors updated the same way (the request does not
    /// say what the store held).
    fn severity_for(&self, rec: &Record<'_>) -> Severity {
        if request_omitted_as_too_large(rec) {
            return Severity::Medium;
        }
        let store_without_management = rec.event_name() == STORE_UPDATE
            && rec
                .request_param("advancedEventSelectors")
                .and_then(Value::as_array)
                .is_some_and(|sels| sels.iter().all(|s| advanced(s) == Management::None));
        if store_without_management {
            Severity::Medium
        } else {
            META.severity
        }
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, SOURCE, NAMES) {
            return None;
        }
        if request_omitted_as_too_large(rec) {
            // Selectors padded past CloudTrail's size limit are logged as a stub:
            // what the trail or store records now is unknown (from a review).
            return fire(
                Evidence::new()
                    .with(
                        "effect",
                        "selectors not in the log: the request was too large for CloudTrail to \
                         record, so what is recorded now is unknown",
                    )
                    .with_opt("trail", rec.response_element_str("trailARN"))
                    .with_opt("event_data_store", rec.response_element_str("eventDataStoreArn"))
                    .with_json("original_size", rec.request_param("originalSize")),
            );
        }
        let basic_sel = rec.request_param("eventSelectors").and_then(Value::as_array);
        let advanced_sel = rec
            .request_param("advancedEventSelectors")
            .and_then(Value::as_array);
        if basic_sel.is_none() && advanced_sel.is_none() {
            return None;
        }
        // Each selector read once: what it records, and how it narrows the services.
        let selectors: Vec<(Management, &Value)> = basic_sel
            .into_iter()
            .flatten()
            .map(|s| (basic(s), s))
            .chain(advanced_sel.into_iter().flatten().map(|s| (advanced(s), s)))
            .collect();
        let recorded = selectors
            .iter()
            .map(|(m, _)| *m)
            .fold(Management::None, combine);
        let mut narrowed = None;
        let effect = match recorded {
            Management::Writes => {
                // Fires only when every selector recording writes leaves services out.
                let writers: Vec<Option<Vec<String>>> = selectors
                    .iter()
                    .filter(|(m, _)| *m == Management::Writes)
                    .map(|(_, s)| source_narrowing(s))
                    .collect();
                if writers.iter().any(Option::is_none) {
                    return None;
                }
                let all: Vec<String> = writers.into_iter().flatten().flatten().collect();
                let by_source_only = all
                    .iter()
                    .all(|n| !NARROWING_FIELDS.iter().any(|f| n.starts_with(f)));
                narrowed = Some(all);
                if by_source_only {
                    "management events of some services no longer recorded"
                } else {
                    "some management events no longer recorded"
                }
            }
            Management::ReadOnly => "management write events no longer recorded",
            Management::None if rec.event_name() == STORE_UPDATE => {
                // A store of configuration items, Insights or network activity never
                // held management events; a data-events store's update looks like one
                // switched to data only (medium: `severity_for`).
                let data = advanced_sel
                    .into_iter()
                    .flatten()
                    .any(|s| advanced_equals(s, "eventCategory", "Data"));
                if !data {
                    return None;
                }
                "management events no longer recorded"
            }
            Management::None => "management events no longer recorded",
        };
        fire(
            Evidence::new()
                .with_opt("narrowed_sources", narrowed)
                .with_opt("trail", rec.request_param_str("trailName"))
                .with_opt("event_data_store", rec.request_param_str("eventDataStore"))
                .with("effect", effect)
                .with_json("event_selectors", rec.request_param("eventSelectors"))
                .with_json(
                    "advanced_event_selectors",
                    rec.request_param("advancedEventSelectors"),
                ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing;
    use crate::detections::common::testing::{eval, fires};

    fn put(params: &str) -> String {
        format!(
            r#"{{"eventSource":"cloudtrail.amazonaws.com","eventName":"PutEventSelectors",
            "awsRegion":"us-east-1","sourceIPAddress":"203.0.113.8","userAgent":"aws-cli/2.15.0",
            "userIdentity":{{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/x",
              "accountId":"111122223333","userName":"x"}},
            "requestParameters":{params},"responseElements":null}}"#
        )
    }

    fn effect(json: &str) -> Option<String> {
        match eval(&CloudTrailManagementEventsDisabled, json) {
            Some(Signal::Fire(e)) => e.get("effect").and_then(|v| v.as_str()).map(String::from),
            None => None,
            other => panic!("unexpected {other:?}"),
        }
    }

    /// From a review: selectors padded past CloudTrail's size limit were logged as
    /// the stub, with nothing to judge, and did not fire.
    #[test]
    fn selectors_too_large_to_log_fire_at_medium() {
        const STUB: &str = r#"{"reason":"requestParameters too large","omitted":true,"originalSize":131584}"#;
        let padded = put(STUB);
        assert!(effect(&padded).is_some_and(|e| e.contains("too large")));
        let rec = Record::from_json(&padded).unwrap();
        assert_eq!(CloudTrailManagementEventsDisabled.severity_for(&rec), Severity::Medium);
        let store = padded.replace("PutEventSelectors", STORE_UPDATE);
        assert!(fires(&CloudTrailManagementEventsDisabled, &store));
        // Refused, or not the stub: nothing.
        let refused = padded.replace(r#""requestParameters""#, r#""errorCode":"AccessDenied","requestParameters""#);
        assert!(!fires(&CloudTrailManagementEventsDisabled, &refused));
        for not_omitted in [r#""omitted":false"#, r#""omitted":null"#] {
            let json = padded.replace(r#""omitted":true"#, not_omitted);
            assert!(!fires(&CloudTrailManagementEventsDisabled, &json), "{not_omitted}");
        }
    }

    #[test]
    fn basic_selectors_without_management_events_fire() {
        let off = put(
            r#"{"trailName":"main","eventSelectors":[{"readWriteType":"ReadOnly","includeManagementEvents":false,
               "dataResources":[{"type":"AWS::S3::Object","values":[]}],"excludeManagementEventSources":[]}]}"#,
        );
        assert_eq!(effect(&off).as_deref(), Some("management events no longer recorded"));
        let text_flag = put(r#"{"trailName":"main","eventSelectors":[{"includeManagementEvents":"false"}]}"#);
        assert!(fires(&CloudTrailManagementEventsDisabled, &text_flag));
        let read_only = put(
            r#"{"trailName":"main","eventSelectors":[{"readWriteType":"ReadOnly","includeManagementEvents":true}]}"#,
        );
        assert_eq!(
            effect(&read_only).as_deref(),
            Some("management write events no longer recorded")
        );
    }

    #[test]
    fn selectors_that_keep_management_writes_do_not_fire() {
        for p in [
            r#"{"trailName":"main","eventSelectors":[{"readWriteType":"All","includeManagementEvents":true}]}"#,
            r#"{"trailName":"main","eventSelectors":[{"readWriteType":"All"}]}"#,
            // A data-only selector beside a management one.
            r#"{"trailName":"main","eventSelectors":[{"includeManagementEvents":false,"dataResources":[]},
                {"includeManagementEvents":true,"readWriteType":"WriteOnly"}]}"#,
            r#"{"trailName":"main"}"#,
            "null",
        ] {
            assert!(!fires(&CloudTrailManagementEventsDisabled, &put(p)), "{p}");
        }
    }

    #[test]
    fn advanced_selectors_are_read_too() {
        let data_only = put(
            r#"{"trailName":"main","advancedEventSelectors":[{"name":"s3","fieldSelectors":[
               {"field":"eventCategory","equals":["Data"]},{"field":"resources.type","equals":["AWS::S3::Object"]}]}]}"#,
        );
        assert_eq!(effect(&data_only).as_deref(), Some("management events no longer recorded"));
        let reads = put(
            r#"{"trailName":"main","advancedEventSelectors":[{"name":"mgmt","fieldSelectors":[
               {"field":"eventCategory","equals":["Management"]},{"field":"readOnly","equals":["true"]}]}]}"#,
        );
        assert_eq!(
            effect(&reads).as_deref(),
            Some("management write events no longer recorded")
        );
        let all = put(
            r#"{"trailName":"main","advancedEventSelectors":[{"name":"mgmt","fieldSelectors":[
               {"field":"eventCategory","equals":["Management"]}]}]}"#,
        );
        assert!(!fires(&CloudTrailManagementEventsDisabled, &all));
    }

    #[test]
    fn a_store_narrowed_by_caller_event_or_session_fires() {
        let store = |field: &str| {
            crate::detections::common::calls::call(SOURCE, STORE_UPDATE, &format!(r#"{{"eventDataStore":"arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/a1b2",
                "advancedEventSelectors":[{{"name":"mgmt","fieldSelectors":[{{"field":"eventCategory","equals":["Management"]}},{field}]}}]}}"#))
        };
        for (field, shown) in [
            (r#"{"field":"userIdentity.arn","notStartsWith":["arn:aws:sts::111122223333:assumed-role/Ops"]}"#,
                "userIdentity.arn excluded prefix arn:aws:sts::111122223333:assumed-role/Ops"),
            (r#"{"field":"eventName","notEquals":["StopLogging","CreateAccessKey"]}"#, "eventName excluded StopLogging"),
            (r#"{"field":"sessionCredentialFromConsole","equals":["true"]}"#, "sessionCredentialFromConsole only true"),
            (r#"{"field":"eventType","equals":["AwsConsoleSignIn"]}"#, "eventType only AwsConsoleSignIn"),
        ] {
            match eval(&CloudTrailManagementEventsDisabled, &store(field)) {
                Some(Signal::Fire(e)) => {
                    let listed = e.get("narrowed_sources").and_then(|v| v.as_array()).cloned().unwrap_or_default();
                    assert!(listed.iter().any(|v| v.as_str() == Some(shown)), "{field}: {listed:?}");
                }
                other => panic!("expected a finding for {field}, got {other:?}"),
            }
        }
        // Reads left out by name: every write is still recorded.
        let reads_out = store(r#"{"field":"eventName","notStartsWith":["Get","List","Describe"]}"#);
        assert!(!fires(&CloudTrailManagementEventsDisabled, &reads_out));
        // A condition on a field a management selector does not narrow by.
        let readonly_all = store(r#"{"field":"readOnly","equals":["false","true"]}"#);
        assert!(!fires(&CloudTrailManagementEventsDisabled, &readonly_all));
    }

    #[test]
    fn leaving_services_out_of_every_management_selector_fires() {
        let some = Some("management events of some services no longer recorded".to_owned());
        let basic_excluded = put(r#"{"trailName":"org","eventSelectors":[{"readWriteType":"All","includeManagementEvents":true,"excludeManagementEventSources":["kms.amazonaws.com"]}]}"#);
        assert_eq!(effect(&basic_excluded), some);
        let advanced_excluded = put(r#"{"trailName":"org","advancedEventSelectors":[{"name":"m","fieldSelectors":[
            {"field":"eventCategory","equals":["Management"]},{"field":"eventSource","notEquals":["iam.amazonaws.com","sts.amazonaws.com"]}]}]}"#);
        assert_eq!(effect(&advanced_excluded), some);
        match eval(&CloudTrailManagementEventsDisabled, &advanced_excluded) {
            Some(Signal::Fire(e)) => assert_eq!(
                e.get("narrowed_sources"),
                Some(&serde_json::json!(["excluded iam.amazonaws.com", "excluded sts.amazonaws.com"]))
            ),
            other => panic!("expected a finding, got {other:?}"),
        }
        let only = put(r#"{"trailName":"org","advancedEventSelectors":[{"fieldSelectors":[
            {"field":"eventCategory","equals":["Management"]},{"field":"eventSource","equals":["ec2.amazonaws.com"]}]}]}"#);
        assert_eq!(effect(&only), some);
        // A second selector still records every service: nothing is lost.
        let covered = put(r#"{"trailName":"org","advancedEventSelectors":[
            {"fieldSelectors":[{"field":"eventCategory","equals":["Management"]},{"field":"eventSource","notEquals":["kms.amazonaws.com"]}]},
            {"fieldSelectors":[{"field":"eventCategory","equals":["Management"]}]}]}"#);
        assert_eq!(effect(&covered), None);
        let empty_exclusion = put(r#"{"trailName":"org","eventSelectors":[{"readWriteType":"All","includeManagementEvents":true,"excludeManagementEventSources":[]}]}"#);
        assert_eq!(effect(&empty_exclusion), None);
    }

    #[test]
    fn failures_do_not_fire() {
        let denied = put(r#"{"trailName":"main","eventSelectors":[{"includeManagementEvents":false}]}"#)
            .replace(
                "\"requestParameters\"",
                r#""errorCode":"TrailNotFoundException","requestParameters""#,
            );
        assert!(!fires(&CloudTrailManagementEventsDisabled, &denied));
    }

    /// From a review: an event data store's selectors, and `readOnly` naming both
    /// values (every management event).
    #[test]
    fn event_data_stores_and_both_read_values() {
        let store = |selectors: &str| {
            crate::detections::common::calls::call(
                SOURCE,
                "UpdateEventDataStore",
                &format!(r#"{{"eventDataStore":"arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/EXAMPLE","advancedEventSelectors":{selectors},"retentionPeriod":7}}"#),
            )
        };
        let data_only = r#"[{"name":"s3","fieldSelectors":[{"field":"eventCategory","equals":["Data"]},{"field":"resources.type","equals":["AWS::S3::Object"]}]}]"#;
        assert!(crate::detections::common::testing::fires(&CloudTrailManagementEventsDisabled, &store(data_only)));
        let all = r#"[{"name":"mgmt","fieldSelectors":[{"field":"eventCategory","equals":["Management"]}]}]"#;
        assert!(!crate::detections::common::testing::fires(&CloudTrailManagementEventsDisabled, &store(all)));
        let both = r#"[{"name":"mgmt","fieldSelectors":[{"field":"eventCategory","equals":["Management"]},{"field":"readOnly","equals":["true","false"]}]}]"#;
        assert!(!crate::detections::common::testing::fires(&CloudTrailManagementEventsDisabled, &store(both)));
        let reads = r#"[{"name":"mgmt","fieldSelectors":[{"field":"eventCategory","equals":["Management"]},{"field":"readOnly","equals":["true"]}]}]"#;
        assert!(crate::detections::common::testing::fires(&CloudTrailManagementEventsDisabled, &store(reads)));
        let data_json = store(data_only);
        let rec = Record::from_json(&data_json).unwrap();
        assert_eq!(CloudTrailManagementEventsDisabled.severity_for(&rec), Severity::Medium);
        assert_eq!(
            testing::severity(&CloudTrailManagementEventsDisabled, &store(reads)),
            Severity::High
        );
        // Stores that never hold management events.
        for other in ["ConfigurationItem", "Insight", "NetworkActivity"] {
            let sel = format!(r#"[{{"name":"x","fieldSelectors":[{{"field":"eventCategory","equals":["{other}"]}}]}}]"#);
            assert!(!crate::detections::common::testing::fires(&CloudTrailManagementEventsDisabled, &store(&sel)), "{other}");
        }
        // A store renamed or its retention changed, selectors untouched: nothing to judge.
        let rename = crate::detections::common::calls::call(SOURCE, "UpdateEventDataStore", r#"{"eventDataStore":"x","name":"audit"}"#);
        assert!(!crate::detections::common::testing::fires(&CloudTrailManagementEventsDisabled, &rename));
    }
}
