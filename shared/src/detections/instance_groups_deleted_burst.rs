//! One caller deleting many groups of instances together with their instances:
//! at least five Auto Scaling groups force-deleted (`DeleteAutoScalingGroup` with
//! `forceDelete`), EC2 Fleets deleted with their instances (`DeleteFleets` with
//! `TerminateInstances`) or Spot Fleet requests cancelled with theirs
//! (`CancelSpotFleetRequests` with `TerminateInstances`) within ten minutes, or one
//! call naming five fleets, successfully.
//!
//! Decisions: this is the mass termination that `ec2-instances-terminated-burst`
//! cannot see. Auto Scaling and the fleets terminate the instances themselves, so
//! no `TerminateInstances` of the caller's is recorded, and the answer does not
//! say how many instances went: the window counts groups and fleets, and five
//! (each usually several instances) in ten minutes is a wipe, not a tidy-up. A
//! group or fleet deleted without its instances (they keep running) does not
//! count. Scaling a group to zero (`UpdateAutoScalingGroup`, `SetDesiredCapacity`)
//! is left out: instance schedulers do it every evening to every development
//! group, and the group stays, so it is undone by scaling back. An Auto Scaling
//! group's name is unique only in its account and Region, so it counts with its
//! Region; fleet ids are unique. The caller is the role behind an assumed-role
//! session (`common::account_role_term`), as in the other destruction bursts. AWS
//! services acting on their own are left out; a stack's deletions count as the
//! person's own. One call's fleets count as one value, their set (the store keeps
//! one value per record), so calls of up to four fleets count as calls: a known
//! limit, as in `ec2-instances-terminated-burst`. Fleet ids are read wherever the
//! request holds them, since EC2
//! logs its newer calls under a wrapper (`DeleteFleetsRequest`) and may write a
//! list or one item.

use serde_json::Value;

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, WindowSpec, fire};
use crate::detections::common::{
    NamedBurst, account_role_term, aws_service_caller_but_stack, flag_value, joined, named_burst, request_flag,
    succeeded_call,
};
use crate::event::Record;

pub struct InstanceGroupsDeletedBurst;

const AUTOSCALING: &str = "autoscaling.amazonaws.com";
const AUTOSCALING_CALLS: &[&str] = &["DeleteAutoScalingGroup"];
const EC2: &str = "ec2.amazonaws.com";
const FLEET_CALLS: &[&str] = &["CancelSpotFleetRequests", "DeleteFleets"];
/// Groups and fleets that make a burst, in one call or within the window.
const MANY: usize = 5;

pub static META: Meta = Meta {
    id: "instance-groups-deleted-burst",
    title: "AWS Many Auto Scaling Groups or Fleets Deleted With Their Instances",
    description: "One caller force-deleted at least five Auto Scaling groups, EC2 Fleets or \
                  Spot Fleets together with their running instances within ten minutes (or \
                  five fleets in one call). Auto Scaling and the fleets terminate the \
                  instances themselves, so this mass termination shows no termination call \
                  of the caller's: the impact step of a destructive attack.",
    severity: Severity::High,
    attack: &["T1485", "T1529"],
    origins: &[
        "trailwatch: the Auto Scaling and fleet counterpart of ec2-instances-terminated-burst \
         (equivalent calls for mass termination)",
    ],
    group: "correlation",
    false_positives: &[
        "Pipelines that tear down whole test environments under their own role: tune by \
         that role.",
    ],
    next_steps: "Stop the caller: revoke its credentials. Check which services lost their \
                 capacity, recreate the groups and fleets from their templates, and review \
                 what else the caller deleted.",
    triggers: &[
        Trigger::write(AUTOSCALING, AUTOSCALING_CALLS),
        Trigger::write(EC2, FLEET_CALLS),
    ],
    window: Some(WindowSpec::Distinct {
        window_secs: 600,
        min_distinct: MANY,
    }),
};

impl Detection for InstanceGroupsDeletedBurst {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if aws_service_caller_but_stack(rec) {
            return None;
        }
        if succeeded_call(rec, AUTOSCALING, AUTOSCALING_CALLS) {
            return auto_scaling_group(rec);
        }
        if succeeded_call(rec, EC2, FLEET_CALLS) {
            return fleets(rec);
        }
        None
    }
}

/// A force-deleted Auto Scaling group counts by its Region and name.
fn auto_scaling_group(rec: &Record<'_>) -> Option<Signal> {
    if request_flag(rec, "forceDelete") != Some(true) {
        return None;
    }
    let name = rec.request_param_str("autoScalingGroupName")?.trim();
    if name.is_empty() {
        return None;
    }
    Some(Signal::Distinct {
        group: account_role_term(rec),
        value: joined(&["autoscaling", rec.region().unwrap_or(""), name], ':'),
        evidence: Evidence::new()
            .with("api", rec.event_name())
            .with("auto_scaling_group", name)
            .with_opt("source_ip", rec.source_ip()),
    })
}

/// Fleets deleted with their instances: five in one call fire, fewer count as
/// their set.
fn fleets(rec: &Record<'_>) -> Option<Signal> {
    let params = rec.request_parameters()?;
    if !terminates_instances(params) {
        return None;
    }
    let mut ids = Vec::new();
    fleet_ids(params, 0, &mut ids);
    match named_burst(ids, MANY)? {
        NamedBurst::Alone { count, listed } => fire(
            Evidence::new()
                .with("api", rec.event_name())
                .with("fleet_count", count)
                .with("fleets", listed)
                .with_opt("source_ip", rec.source_ip()),
        ),
        NamedBurst::InWindow { value, listed } => Some(Signal::Distinct {
            group: account_role_term(rec),
            value,
            evidence: Evidence::new()
                .with("api", rec.event_name())
                .with("fleets", listed)
                .with_opt("source_ip", rec.source_ip()),
        }),
    }
}

/// Deepest nesting the request is searched to: EC2 wraps its request once
/// (`DeleteFleetsRequest`) and its lists once or twice more.
const MAX_DEPTH: usize = 6;

/// Whether the request asks for the instances to be terminated:
/// `TerminateInstances` (any letter case of its first letter) true, at the top or
/// under EC2's request wrapper.
fn terminates_instances(params: &Value) -> bool {
    let Some(top) = params.as_object() else {
        return false;
    };
    let flag = |o: &serde_json::Map<String, Value>| {
        ["TerminateInstances", "terminateInstances"]
            .iter()
            .any(|k| o.get(*k).and_then(flag_value) == Some(true))
    };
    flag(top) || top.values().any(|v| v.as_object().is_some_and(flag))
}

/// The fleet ids (`fleet-...`, `sfr-...`) named anywhere in the request, trimmed,
/// each once, in the request's order.
fn fleet_ids<'v>(v: &'v Value, depth: usize, out: &mut Vec<&'v str>) {
    if depth > MAX_DEPTH {
        return;
    }
    match v {
        Value::String(s) => {
            let id = s.trim();
            if (id.starts_with("fleet-") || id.starts_with("sfr-")) && !out.contains(&id) {
                out.push(id);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| fleet_ids(i, depth + 1, out)),
        Value::Object(o) => o.values().for_each(|i| fleet_ids(i, depth + 1, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::eval;

    fn observed(json: &str) -> (String, String) {
        match eval(&InstanceGroupsDeletedBurst, json) {
            Some(Signal::Distinct { group, value, .. }) => (group, value),
            other => panic!("expected an observation, got {other:?}"),
        }
    }

    #[test]
    fn a_force_deleted_group_counts_by_region_and_name_per_role() {
        let json = record(
            AUTOSCALING,
            "DeleteAutoScalingGroup",
            ROLE,
            r#"{"autoScalingGroupName":"checkout-web","forceDelete":true}"#,
            "",
        );
        assert_eq!(
            observed(&json),
            (
                "111122223333|arn:aws:iam::111122223333:role/DataOps".to_owned(),
                "autoscaling:us-east-1:checkout-web".to_owned()
            )
        );
        // The flag as text counts too; without it (the group was empty, or the
        // call fails while instances run) nothing was terminated.
        let text = json.replace("\"forceDelete\":true", "\"forceDelete\":\"true\"");
        assert_eq!(observed(&text).1, "autoscaling:us-east-1:checkout-web");
        for params in [
            r#"{"autoScalingGroupName":"checkout-web"}"#,
            r#"{"autoScalingGroupName":"checkout-web","forceDelete":false}"#,
            r#"{"autoScalingGroupName":" ","forceDelete":true}"#,
            r#"{"forceDelete":true}"#,
        ] {
            assert_eq!(
                eval(&InstanceGroupsDeletedBurst, &record(AUTOSCALING, "DeleteAutoScalingGroup", ROLE, params, "")),
                None,
                "{params}"
            );
        }
    }

    #[test]
    fn fleets_deleted_with_their_instances_count_as_their_set_five_fire() {
        let wrapped = |ids: &[&str]| {
            let items: Vec<String> = ids.iter().map(|i| format!(r#"{{"content":"{i}","tag":{}}}"#, 1)).collect();
            format!(r#"{{"DeleteFleetsRequest":{{"FleetId":[{}],"TerminateInstances":true}}}}"#, items.join(","))
        };
        let two = record(EC2, "DeleteFleets", ROLE, &wrapped(&["fleet-b1", "fleet-a1"]), "");
        assert_eq!(observed(&two).1, "fleet-a1,fleet-b1");
        let five = record(EC2, "DeleteFleets", ROLE, &wrapped(&["fleet-1", "fleet-2", "fleet-3", "fleet-4", "fleet-5"]), "");
        match eval(&InstanceGroupsDeletedBurst, &five) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("fleet_count"), Some(&serde_json::json!(5))),
            other => panic!("expected a finding, got {other:?}"),
        }
        // One fleet, written as a single item, and Spot Fleet in its camelCase form.
        let one = r#"{"DeleteFleetsRequest":{"FleetId":{"content":"fleet-9","tag":1},"TerminateInstances":true}}"#;
        assert_eq!(observed(&record(EC2, "DeleteFleets", ROLE, one, "")).1, "fleet-9");
        let spot = r#"{"spotFleetRequestIdSet":{"items":[{"spotFleetRequestId":"sfr-1"}]},"terminateInstances":true}"#;
        assert_eq!(observed(&record(EC2, "CancelSpotFleetRequests", ROLE, spot, "")).1, "sfr-1");
        // A repeated id counts once.
        let twice = record(EC2, "DeleteFleets", ROLE, &wrapped(&["fleet-1", "fleet-1", "fleet-1", "fleet-1", "fleet-2"]), "");
        assert_eq!(observed(&twice).1, "fleet-1,fleet-2");
    }

    #[test]
    fn fleets_left_running_failures_and_services_do_not_count() {
        let kept = r#"{"DeleteFleetsRequest":{"FleetId":{"content":"fleet-9","tag":1},"TerminateInstances":false}}"#;
        assert_eq!(eval(&InstanceGroupsDeletedBurst, &record(EC2, "DeleteFleets", ROLE, kept, "")), None);
        let spot_kept = r#"{"spotFleetRequestIdSet":{"items":[{"spotFleetRequestId":"sfr-1"}]},"terminateInstances":false}"#;
        assert_eq!(eval(&InstanceGroupsDeletedBurst, &record(EC2, "CancelSpotFleetRequests", ROLE, spot_kept, "")), None);
        let no_ids = r#"{"DeleteFleetsRequest":{"TerminateInstances":true}}"#;
        assert_eq!(eval(&InstanceGroupsDeletedBurst, &record(EC2, "DeleteFleets", ROLE, no_ids, "")), None);
        let force = r#"{"autoScalingGroupName":"checkout-web","forceDelete":true}"#;
        assert_eq!(eval(&InstanceGroupsDeletedBurst, &record(AUTOSCALING, "DeleteAutoScalingGroup", SERVICE, force, "")), None);
        assert_eq!(
            eval(&InstanceGroupsDeletedBurst, &failed(AUTOSCALING, "DeleteAutoScalingGroup", ROLE, force, "AccessDenied")),
            None
        );
        // A stack's deletion is the person's own.
        let stack = record(AUTOSCALING, "DeleteAutoScalingGroup", ROLE, force, r#""invokedBy":"cloudformation.amazonaws.com","#);
        assert!(matches!(eval(&InstanceGroupsDeletedBurst, &stack), Some(Signal::Distinct { .. })));
        // Scaling to zero and other calls are not deletions.
        let zero = r#"{"autoScalingGroupName":"checkout-web","minSize":0,"maxSize":0,"desiredCapacity":0}"#;
        assert_eq!(eval(&InstanceGroupsDeletedBurst, &record(AUTOSCALING, "UpdateAutoScalingGroup", ROLE, zero, "")), None);
        assert_eq!(eval(&InstanceGroupsDeletedBurst, &record(EC2, "DeleteAutoScalingGroup", ROLE, force, "")), None);
    }
}
