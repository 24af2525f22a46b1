//! GuardDuty left running but partly blinded: a protection plan switched off for
//! an account (`UpdateDetector`) or for member accounts (`UpdateMemberDetectors`),
//! or the organisation's automatic enablement turned off
//! (`UpdateOrganizationConfiguration`), or malware scanning narrowed: a Malware
//! Protection for S3 plan deleted (`DeleteMalwareProtectionPlan`: its bucket is no
//! longer scanned), or EC2 malware scans limited to tagged resources
//! (`UpdateMalwareScanSettings` with `include` or `exclude` criteria, which an
//! intruder sets to the tags of the instances they use), successfully.
//!
//! Decisions: a plan is off when a `features` entry has `status` `DISABLED`, or a
//! legacy `dataSources` switch (`s3Logs`, `kubernetes.auditLogs`,
//! `malwareProtection.scanEc2InstanceWithFindings.ebsVolumes`) is false. Of the
//! `additionalConfiguration` entries, only `ECS_FARGATE_AGENT_MANAGEMENT` counts:
//! GuardDuty's agent is the only one Fargate tasks can run, so switching its
//! management off ends runtime monitoring there. `EC2_AGENT_MANAGEMENT` or
//! `EKS_ADDON_MANAGEMENT` `DISABLED` leaves the plan on (teams that deploy the
//! agent themselves turn GuardDuty's management off). For the organisation, the
//! change counts when new members stop being enabled: `autoEnableOrganizationMembers`
//! `NONE`, the legacy `autoEnable` false, a feature's `autoEnable` `NONE`, or a
//! legacy data source's `autoEnable` false. An
//! `UpdateDetector` that also sets `enable` false is `guardduty-detector-disabled`'s
//! finding, not a second one here. This is the quiet form of blinding GuardDuty:
//! the detector stays on, so the alarm on a disabled detector stays silent, while
//! S3, EKS, runtime and malware coverage go, for every member at once when a
//! delegated administrator does it.
//!
//! The same, one ECS cluster at a time: the `GuardDutyManaged` tag set to `false`
//! on a cluster (`TagResource` of ECS, or `CreateCluster` with it) stops GuardDuty
//! adding its agent to that cluster's new Fargate tasks, which can run no other
//! (from an evasion review). On EKS clusters and instances the tag only stops
//! GuardDuty managing an agent the team may run itself, as for the management
//! switches above, and does not count.
//!
//! One instance at a time, from a second review: the `GuardDutyExcluded` tag set to
//! `true` on an instance or volume (EC2 `CreateTags`) makes GuardDuty's own malware
//! scans skip it, as Inspector's exclusion tag does its scans
//! (`inspector-disabled`). Only `CreateTags` calls naming that tag reach the
//! function.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{flag_value, pascal_or_camel, request_flag, request_param_any, succeeded_call, text_is};
use crate::event::Record;
use crate::event::prefilter::{Needle, Peek};
use serde_json::Value;

pub struct GuardDutyProtectionPlanDisabled;

const SOURCE: &str = "guardduty.amazonaws.com";
const DETECTOR_UPDATES: &[&str] = &["UpdateDetector", "UpdateMemberDetectors"];
const ORGANIZATION_UPDATE: &str = "UpdateOrganizationConfiguration";
const DELETE_S3_PLAN: &str = "DeleteMalwareProtectionPlan";
const SCAN_SETTINGS: &str = "UpdateMalwareScanSettings";
const ECS: &str = "ecs.amazonaws.com";
const ECS_TAGGING: &[&str] = &["CreateCluster", "TagResource"];
/// The tag that keeps GuardDuty's agent out of a cluster's tasks when `false`.
const MANAGED_TAG: &str = "GuardDutyManaged";
const EC2: &str = "ec2.amazonaws.com";
/// The tag that keeps GuardDuty's malware scans off an instance or volume when `true`.
const EXCLUDED_TAG: &str = "GuardDutyExcluded";
const EXCLUDED_TAG_PATTERN: &str = r#"{"requestParameters":{"tagSet":{"items":{"key":["GuardDutyExcluded"]}}}}"#;
const NAMES: &[&str] = &[
    "UpdateDetector",
    "UpdateMemberDetectors",
    ORGANIZATION_UPDATE,
    DELETE_S3_PLAN,
    SCAN_SETTINGS,
];

/// The legacy data-source switches, as paths under `dataSources`.
const DATA_SOURCE_SWITCHES: &[(&str, &[&str])] = &[
    ("S3_DATA_EVENTS", &["S3Logs", "Enable"]),
    ("EKS_AUDIT_LOGS", &["Kubernetes", "AuditLogs", "Enable"]),
    (
        "EBS_MALWARE_PROTECTION",
        &["MalwareProtection", "ScanEc2InstanceWithFindings", "EbsVolumes"],
    ),
];

/// The organisation's legacy data-source switches for new members, as paths under
/// `dataSources`.
const ORGANIZATION_DATA_SOURCE_SWITCHES: &[(&str, &[&str])] = &[
    ("S3_DATA_EVENTS", &["S3Logs", "AutoEnable"]),
    ("EKS_AUDIT_LOGS", &["Kubernetes", "AuditLogs", "AutoEnable"]),
    (
        "EBS_MALWARE_PROTECTION",
        &["MalwareProtection", "ScanEc2InstanceWithFindings", "EbsVolumes", "AutoEnable"],
    ),
];

pub static META: Meta = Meta {
    id: "guardduty-protection-plan-disabled",
    title: "AWS GuardDuty Protection Plan Disabled",
    description: "A GuardDuty protection plan (S3, EKS, runtime, malware, RDS or Lambda \
                  monitoring) was switched off for an account or for member accounts, or \
                  the organisation stopped enabling GuardDuty, or some of its plans, in new \
                  accounts, or malware scanning was narrowed (an S3 plan deleted, EC2 scans \
                  limited by tags). The detector \
                  stays on, so the alarm on a disabled detector stays quiet, while the \
                  activity the plan watched is no longer analysed.",
    severity: Severity::Medium,
    attack: &["T1562.001"],
    origins: &[
        "trailwatch: based on GuardDuty's UpdateDetector, UpdateMemberDetectors and \
         UpdateOrganizationConfiguration APIs, the partial form of \
         guardduty-detector-disabled that a delegated administrator applies to every member",
    ],
    group: "security-services",
    false_positives: &[
        "Cost reviews that turn off a plan for accounts where it is not needed (for \
         example EKS audit logs where no cluster runs).",
        "An organisation rolling GuardDuty out account by account on purpose.",
    ],
    next_steps: "Read which plans and which accounts the evidence names. Confirm the \
                 change with the security team; if unplanned, turn the plans back on and \
                 review the caller's other recent actions and what ran unwatched since.",
    evidence: "action detector_id ecs_cluster member_accounts resources switched_off",
    triggers: &[
        Trigger::write(SOURCE, NAMES),
        Trigger::write(ECS, ECS_TAGGING),
        Trigger::write(EC2, &["CreateTags"]).with_detail(EXCLUDED_TAG_PATTERN),
    ],
    window: None,
};

/// EC2 resources tagged `GuardDutyExcluded=true` (`CreateTags`): their ids.
fn ec2_resources_excluded<'r>(rec: &'r Record<'_>) -> Option<Vec<&'r str>> {
    let tags = rec.request_param("tagSet")?.get("items")?.as_array()?;
    let excluded = tags.iter().any(|t| {
        pascal_or_camel(t, "Key")
            .and_then(Value::as_str)
            .is_some_and(|k| k.trim() == EXCLUDED_TAG)
            && text_is(pascal_or_camel(t, "Value"), "true")
    });
    excluded.then(|| {
        rec.request_param("resourcesSet")
            .and_then(|r| r.get("items"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|i| pascal_or_camel(i, "ResourceId")?.as_str())
            .collect()
    })
}

/// An ECS cluster tagged `GuardDutyManaged=false`: its resource (ARN or name).
fn ecs_cluster_opted_out<'r>(rec: &'r Record<'_>) -> Option<&'r str> {
    // GuardDuty reads the cluster's tag only (a service's or task definition's
    // says nothing to it).
    if rec.event_name() == "TagResource"
        && !rec.request_param_str("resourceArn").is_some_and(|a| a.contains(":cluster/"))
    {
        return None;
    }
    let tags = request_param_any(rec, &["tags", "Tags"])?;
    // ECS writes `[{"key": ..., "value": ...}]`; a map is read too.
    let off = |v: Option<&Value>| text_is(v, "false");
    let opted_out = match tags {
        Value::Array(items) => items.iter().any(|t| {
            pascal_or_camel(t, "Key")
                .and_then(Value::as_str)
                .is_some_and(|k| k.trim() == MANAGED_TAG)
                && off(pascal_or_camel(t, "Value"))
        }),
        Value::Object(map) => off(map.get(MANAGED_TAG)),
        _ => false,
    };
    opted_out.then(|| {
        rec.request_param_str("resourceArn")
            .or_else(|| rec.request_param_str("clusterName"))
            .unwrap_or("cluster")
    })
}

/// `obj` followed along `path` (each key in PascalCase or camelCase).
fn at_path<'v>(obj: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(obj, |v, key| pascal_or_camel(v, key))
}

/// The names of the `features` entries whose `field` reads `off` (any case).
fn features_set_to(rec: &Record<'_>, field: &str, off: &str) -> Vec<String> {
    let features = request_param_any(rec, &["features", "Features"]).and_then(Value::as_array);
    features
        .into_iter()
        .flatten()
        .filter(|f| {
            pascal_or_camel(f, field)
                .and_then(Value::as_str)
                .is_some_and(|s| s.trim().eq_ignore_ascii_case(off))
        })
        .map(|f| {
            pascal_or_camel(f, "Name")
                .and_then(Value::as_str)
                .unwrap_or("(unnamed)")
                .to_owned()
        })
        .collect()
}

/// The plans an `UpdateDetector` or `UpdateMemberDetectors` switches off.
fn plans_switched_off(rec: &Record<'_>) -> Vec<String> {
    let mut off = features_set_to(rec, "Status", "DISABLED");
    off.extend(agent_set_to(rec, "Status", "DISABLED"));
    add_data_sources_off(rec, DATA_SOURCE_SWITCHES, &mut off);
    off
}

/// The only agent some workloads can run: its management switched off is their
/// monitoring switched off.
const SOLE_AGENTS: [&str; 1] = ["ECS_FARGATE_AGENT_MANAGEMENT"];

/// `FEATURE/CONFIGURATION` for each of [`SOLE_AGENTS`] whose `field` reads `off`
/// in a feature's `additionalConfiguration`.
fn agent_set_to(rec: &Record<'_>, field: &str, off: &str) -> Vec<String> {
    let features = request_param_any(rec, &["features", "Features"]).and_then(Value::as_array);
    let name = |v: &Value| pascal_or_camel(v, "Name").and_then(Value::as_str).unwrap_or("(unnamed)").to_owned();
    let mut found = Vec::new();
    for feature in features.into_iter().flatten() {
        let configs = pascal_or_camel(feature, "AdditionalConfiguration").and_then(Value::as_array);
        for config in configs.into_iter().flatten() {
            let sole = pascal_or_camel(config, "Name")
                .and_then(Value::as_str)
                .is_some_and(|n| SOLE_AGENTS.iter().any(|a| a.eq_ignore_ascii_case(n.trim())));
            let set_off = pascal_or_camel(config, field)
                .and_then(Value::as_str)
                .is_some_and(|s| s.trim().eq_ignore_ascii_case(off));
            if sole && set_off {
                found.push(format!("{}/{}", name(feature), name(config)));
            }
        }
    }
    found
}

/// Adds to `off` the plans whose legacy `dataSources` switch (`switches`) is false.
fn add_data_sources_off(rec: &Record<'_>, switches: &[(&str, &[&str])], off: &mut Vec<String>) {
    let Some(sources) = request_param_any(rec, &["dataSources", "DataSources"]) else {
        return;
    };
    for (plan, path) in switches {
        if at_path(sources, path).and_then(flag_value) == Some(false) && !off.iter().any(|p| p == plan) {
            off.push((*plan).to_owned());
        }
    }
}

/// What an `UpdateOrganizationConfiguration` stops enabling in new members.
/// `UpdateMalwareScanSettings` criteria that scan only some resources: a
/// non-empty `scanResourceCriteria.include` or `exclude`.
fn scans_narrowed(rec: &Record<'_>) -> Vec<String> {
    let criteria = request_param_any(rec, &["scanResourceCriteria", "ScanResourceCriteria"]);
    ["Include", "Exclude"]
        .into_iter()
        .filter(|key| {
            criteria
                .and_then(|c| pascal_or_camel(c, key))
                .is_some_and(|v| match v {
                    Value::Object(m) => !m.is_empty(),
                    Value::Array(a) => !a.is_empty(),
                    _ => false,
                })
        })
        .map(|key| format!("EBS_MALWARE_SCANS_LIMITED_BY_{}", key.to_ascii_uppercase()))
        .collect()
}

fn organization_enablement_off(rec: &Record<'_>) -> Vec<String> {
    let mut off = Vec::new();
    let members = request_param_any(rec, &["autoEnableOrganizationMembers", "AutoEnableOrganizationMembers"]);
    if text_is(members, "NONE") || request_flag(rec, "autoEnable") == Some(false)
    {
        off.push("GuardDuty in new member accounts".to_owned());
    }
    off.extend(features_set_to(rec, "AutoEnable", "NONE"));
    off.extend(agent_set_to(rec, "AutoEnable", "NONE"));
    add_data_sources_off(rec, ORGANIZATION_DATA_SOURCE_SWITCHES, &mut off);
    off
}

impl Detection for GuardDutyProtectionPlanDisabled {
    fn meta(&self) -> &'static Meta {
        &META
    }

    /// Every EC2 `CreateTags` of a replay reaches this detection: only those whose
    /// bytes name the exclusion tag are parsed.
    fn may_match_raw(&self, peek: &Peek<'_>, json: &[u8]) -> bool {
        static EXCLUDED: Needle = Needle::new(EXCLUDED_TAG);
        peek.event_source != EC2 || EXCLUDED.is_in(json)
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if succeeded_call(rec, ECS, ECS_TAGGING) {
            let cluster = ecs_cluster_opted_out(rec)?;
            return fire(
                Evidence::new()
                    .with("action", rec.event_name())
                    .with("switched_off", vec!["RUNTIME_MONITORING (ECS cluster tag GuardDutyManaged=false)"])
                    .with("ecs_cluster", cluster),
            );
        }
        if succeeded_call(rec, EC2, &["CreateTags"]) {
            let resources = ec2_resources_excluded(rec)?;
            return fire(
                Evidence::new()
                    .with("action", rec.event_name())
                    .with("switched_off", vec!["EC2 malware scans (tag GuardDutyExcluded=true)"])
                    .with("resources", resources),
            );
        }
        if !succeeded_call(rec, SOURCE, NAMES) {
            return None;
        }
        let name = rec.event_name();
        let off = if DETECTOR_UPDATES.contains(&name) {
            // Switching the whole detector off is guardduty-detector-disabled's.
            if request_flag(rec, "enable") == Some(false) {
                return None;
            }
            plans_switched_off(rec)
        } else if name == DELETE_S3_PLAN {
            vec!["S3_MALWARE_PROTECTION_PLAN".to_owned()]
        } else if name == SCAN_SETTINGS {
            scans_narrowed(rec)
        } else {
            organization_enablement_off(rec)
        };
        if off.is_empty() {
            return None;
        }
        let accounts = request_param_any(rec, &["accountIds", "AccountIds"]);
        fire(
            Evidence::new()
                .with("action", name)
                .with_opt("detector_id", rec.request_param_str("detectorId"))
                .with("switched_off", off)
                .with_json("member_accounts", accounts),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::calls::{call, failed};
    use crate::detections::common::testing::{eval, fires};

    const DETECTOR: &str = r#""detectorId":"12abc34d567e8fa901bc2d34e56789f0""#;

    fn update(name: &str, rest: &str) -> String {
        call(SOURCE, name, &format!("{{{DETECTOR}{rest}}}"))
    }

    fn switched_off(json: &str) -> Vec<String> {
        match eval(&GuardDutyProtectionPlanDisabled, json) {
            Some(Signal::Fire(e)) => serde_json::from_value(e.get("switched_off").cloned().unwrap_or_default()).unwrap_or_default(),
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    /// From an evasion review: the tag that keeps GuardDuty's agent out of an ECS
    /// cluster's Fargate tasks.
    #[test]
    fn an_ecs_cluster_tagged_out_of_guardduty_counts() {
        let tag = |value: &str| {
            call("ecs.amazonaws.com", "TagResource", &format!(
                r#"{{"resourceArn":"arn:aws:ecs:us-east-1:111122223333:cluster/payments","tags":[{{"key":"team","value":"pay"}},{{"key":"GuardDutyManaged","value":"{value}"}}]}}"#
            ))
        };
        assert!(fires(&GuardDutyProtectionPlanDisabled, &tag("false")));
        assert!(fires(&GuardDutyProtectionPlanDisabled, &tag("FALSE")));
        assert!(!fires(&GuardDutyProtectionPlanDisabled, &tag("true")));
        let created = call("ecs.amazonaws.com", "CreateCluster", r#"{"clusterName":"quiet","tags":[{"key":"GuardDutyManaged","value":"false"}]}"#);
        assert!(fires(&GuardDutyProtectionPlanDisabled, &created));
        let plain = call("ecs.amazonaws.com", "CreateCluster", r#"{"clusterName":"shop","tags":[{"key":"team","value":"shop"}]}"#);
        assert!(!fires(&GuardDutyProtectionPlanDisabled, &plain));
        assert!(!fires(&GuardDutyProtectionPlanDisabled, &failed(&tag("false"), "AccessDeniedException")));
        let service = tag("false").replace("cluster/payments", "service/payments/api");
        assert!(!fires(&GuardDutyProtectionPlanDisabled, &service));
        let eks = call("eks.amazonaws.com", "TagResource", r#"{"resourceArn":"arn:aws:eks:us-east-1:111122223333:cluster/k","tags":{"GuardDutyManaged":"false"}}"#);
        assert!(!fires(&GuardDutyProtectionPlanDisabled, &eks));
    }

    #[test]
    fn a_feature_disabled_for_the_account_or_members_fires() {
        let features = r#","features":[{"name":"S3_DATA_EVENTS","status":"DISABLED"},{"name":"LAMBDA_NETWORK_LOGS","status":"ENABLED"},{"name":"RUNTIME_MONITORING","status":"disabled"}]"#;
        assert_eq!(switched_off(&update("UpdateDetector", features)), ["S3_DATA_EVENTS", "RUNTIME_MONITORING"]);
        let members = update("UpdateMemberDetectors", &format!(r#","accountIds":["333344445555"]{features}"#));
        match eval(&GuardDutyProtectionPlanDisabled, &members) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("member_accounts"), Some(&serde_json::json!(["333344445555"]))),
            other => panic!("expected a finding, got {other:?}"),
        }
        let pascal = update("UpdateDetector", r#","Features":[{"Name":"EKS_AUDIT_LOGS","Status":"DISABLED"}]"#);
        assert_eq!(switched_off(&pascal), ["EKS_AUDIT_LOGS"]);
    }

    #[test]
    fn legacy_data_sources_switched_off_fire() {
        let legacy = update(
            "UpdateDetector",
            r#","dataSources":{"s3Logs":{"enable":false},"kubernetes":{"auditLogs":{"enable":"false"}},"malwareProtection":{"scanEc2InstanceWithFindings":{"ebsVolumes":false}}}"#,
        );
        assert_eq!(switched_off(&legacy), ["S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "EBS_MALWARE_PROTECTION"]);
        let on = update("UpdateDetector", r#","dataSources":{"s3Logs":{"enable":true}}"#);
        assert!(!fires(&GuardDutyProtectionPlanDisabled, &on));
    }

    #[test]
    fn the_organisation_stops_enabling_new_members() {
        for rest in [
            r#","autoEnableOrganizationMembers":"NONE""#,
            r#","autoEnable":false"#,
            r#","autoEnableOrganizationMembers":"ALL","features":[{"name":"RUNTIME_MONITORING","autoEnable":"NONE"}]"#,
            r#","autoEnable":true,"dataSources":{"s3Logs":{"autoEnable":false}}"#,
            r#","dataSources":{"kubernetes":{"auditLogs":{"autoEnable":false}}}"#,
            r#","dataSources":{"malwareProtection":{"scanEc2InstanceWithFindings":{"ebsVolumes":{"autoEnable":false}}}}"#,
        ] {
            assert!(fires(&GuardDutyProtectionPlanDisabled, &update(ORGANIZATION_UPDATE, rest)), "{rest}");
        }
        for rest in [
            r#","autoEnableOrganizationMembers":"ALL","features":[{"name":"S3_DATA_EVENTS","autoEnable":"ALL"}]"#,
            r#","autoEnableOrganizationMembers":"NEW""#,
            r#","autoEnable":true"#,
            r#","autoEnable":true,"dataSources":{"s3Logs":{"autoEnable":true}}"#,
        ] {
            assert!(!fires(&GuardDutyProtectionPlanDisabled, &update(ORGANIZATION_UPDATE, rest)), "{rest}");
        }
    }

    /// Fargate tasks run only GuardDuty's own agent: its management off is
    /// their runtime monitoring off, for the account, members or new members.
    #[test]
    fn the_fargate_agent_switched_off_fires() {
        let fargate = r#","features":[{"name":"RUNTIME_MONITORING","status":"ENABLED","additionalConfiguration":[{"name":"EC2_AGENT_MANAGEMENT","status":"ENABLED"},{"name":"ECS_FARGATE_AGENT_MANAGEMENT","status":"DISABLED"}]}]"#;
        for name in ["UpdateDetector", "UpdateMemberDetectors"] {
            assert_eq!(switched_off(&update(name, fargate)), ["RUNTIME_MONITORING/ECS_FARGATE_AGENT_MANAGEMENT"], "{name}");
        }
        let org = r#","features":[{"name":"RUNTIME_MONITORING","autoEnable":"ALL","additionalConfiguration":[{"name":"ECS_FARGATE_AGENT_MANAGEMENT","autoEnable":"NONE"}]}]"#;
        assert_eq!(switched_off(&update(ORGANIZATION_UPDATE, org)), ["RUNTIME_MONITORING/ECS_FARGATE_AGENT_MANAGEMENT"]);
        let on = fargate.replace(r#""ECS_FARGATE_AGENT_MANAGEMENT","status":"DISABLED""#, r#""ECS_FARGATE_AGENT_MANAGEMENT","status":"ENABLED""#);
        assert!(!fires(&GuardDutyProtectionPlanDisabled, &update("UpdateDetector", &on)));
    }

    #[test]
    fn enabling_tuning_and_whole_detector_changes_are_left_out() {
        for rest in [
            r#","features":[{"name":"RUNTIME_MONITORING","status":"ENABLED","additionalConfiguration":[{"name":"EC2_AGENT_MANAGEMENT","status":"DISABLED"}]}]"#,
            r#","findingPublishingFrequency":"SIX_HOURS""#,
            r#","enable":false,"features":[{"name":"S3_DATA_EVENTS","status":"DISABLED"}]"#,
            "",
        ] {
            assert!(!fires(&GuardDutyProtectionPlanDisabled, &update("UpdateDetector", rest)), "{rest}");
        }
        let off = update("UpdateDetector", r#","features":[{"name":"S3_DATA_EVENTS","status":"DISABLED"}]"#);
        assert!(!fires(&GuardDutyProtectionPlanDisabled, &failed(&off, "AccessDeniedException")));
        assert!(!fires(&GuardDutyProtectionPlanDisabled, &call(SOURCE, "UpdateDetector", "null")));
    }

    /// From a review: deleting an S3 malware plan, or limiting EC2 malware scans
    /// to some tags, narrows what GuardDuty scans.
    #[test]
    fn malware_scans_narrowed_count() {
        let deleted = call(SOURCE, "DeleteMalwareProtectionPlan", r#"{"malwareProtectionPlanId":"b4c7f464ab3a4EXAMPLE"}"#);
        assert_eq!(switched_off(&deleted), ["S3_MALWARE_PROTECTION_PLAN"]);
        let exclude = update("UpdateMalwareScanSettings", r#","scanResourceCriteria":{"exclude":{"EC2_INSTANCE_TAG":{"mapEquals":[{"key":"env","value":"prod"}]}}},"ebsSnapshotPreservation":"NO_RETENTION""#);
        assert_eq!(switched_off(&exclude), ["EBS_MALWARE_SCANS_LIMITED_BY_EXCLUDE"]);
        let include = update("UpdateMalwareScanSettings", r#","scanResourceCriteria":{"Include":{"EC2_INSTANCE_TAG":{"mapEquals":[{"key":"scan","value":"yes"}]}}}"#);
        assert_eq!(switched_off(&include), ["EBS_MALWARE_SCANS_LIMITED_BY_INCLUDE"]);
        for quiet in [r#","ebsSnapshotPreservation":"RETENTION_WITH_FINDING""#, r#","scanResourceCriteria":{"exclude":{}}"#] {
            assert!(!fires(&GuardDutyProtectionPlanDisabled, &update("UpdateMalwareScanSettings", quiet)), "{quiet}");
        }
        assert!(!fires(&GuardDutyProtectionPlanDisabled, &failed(&deleted, "AccessDeniedException")));
    }

    /// From a second review: GuardDuty's own exclusion tag on an instance.
    #[test]
    fn an_instance_tagged_out_of_malware_scans_fires() {
        let tag = |key: &str, value: &str| {
            call(EC2, "CreateTags", &format!(
                r#"{{"resourcesSet":{{"items":[{{"resourceId":"i-0a1b2c3d4e5f60718"}}]}},"tagSet":{{"items":[{{"key":"Name","value":"web"}},{{"key":"{key}","value":"{value}"}}]}}}}"#
            ))
        };
        match eval(&GuardDutyProtectionPlanDisabled, &tag("GuardDutyExcluded", "true")) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("resources"), Some(&serde_json::json!(["i-0a1b2c3d4e5f60718"]))),
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(!fires(&GuardDutyProtectionPlanDisabled, &tag("GuardDutyExcluded", "false")));
        assert!(!fires(&GuardDutyProtectionPlanDisabled, &tag("Owner", "true")));
        assert!(!fires(&GuardDutyProtectionPlanDisabled, &failed(&tag("GuardDutyExcluded", "true"), "Client.UnauthorizedOperation")));
    }
}
