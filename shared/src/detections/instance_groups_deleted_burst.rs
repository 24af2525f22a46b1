//! One caller deleting many groups of instances: at least five Auto Scaling groups
//! (`DeleteAutoScalingGroup`), EKS managed node groups (`DeleteNodegroup`), EC2
//! Fleets (`DeleteFleets`) or Spot Fleet requests (`CancelSpotFleetRequests`)
//! within ten minutes, or one call deleting five fleets, successfully.
//!
//! Decisions: this is the mass termination that `ec2-instances-terminated-burst`
//! cannot see. Auto Scaling, EKS and the fleets terminate the instances
//! themselves, so no `TerminateInstances` of the caller's is recorded, and the
//! record does not say how many instances went: the window counts groups and
//! fleets, and five (each usually several instances) in ten minutes is a wipe,
//! not a tidy-up. Every deletion counts, with or without `forceDelete` or
//! `TerminateInstances`: a group can only be deleted without force once it is
//! empty, so draining it first (scaling it to zero, as Terraform does before each
//! delete) and then deleting it is the same wipe in two calls (from a review), and
//! a fleet emptied first (`ModifyFleet` to zero) likewise. Scaling to zero alone
//! (`UpdateAutoScalingGroup`, `SetDesiredCapacity`, `ModifyFleet`) is left out:
//! instance schedulers do it every evening to every development group, and the
//! group stays. A fleet counts only when the answer shows it deleted or cancelled
//! by this call (`successfulFleetDeletionSet`, `successfulFleetRequestSet`, without
//! one already deleted or cancelled before); when there is no answer, as the
//! request names it. An Auto Scaling group's name is unique only in its account
//! and Region, so it counts with its Region, and a node group with its Region and
//! cluster; fleet ids are unique. The caller is the role behind an assumed-role
//! session (`common::account_role_term`), as in the other destruction bursts.
//! AWS services acting on their own (EKS removing a node group's Auto Scaling
//! group) are left out; a stack's deletions count as the person's own. One call's
//! fleets count as one value, their set (the store keeps one value per record),
//! so calls of up to four fleets count as calls: a known limit, as in
//! `ec2-instances-terminated-burst`. Fleet ids are read wherever the request or
//! answer holds them, since EC2 logs its newer calls under a wrapper
//! (`DeleteFleetsRequest`) and may write a list or one item.
//!
//! EMR clusters terminated in bulk (`TerminateJobFlows` naming five or more, from
//! a second evasion review) fire: EMR terminates their nodes itself. Fewer are not
//! counted in the window: orchestrators (Airflow, Step Functions) end transient
//! clusters one by one all day (a review of this change).

use serde_json::Value;

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, Repeats, Countable, WindowSpec};
use crate::detections::common::{
    account_role_term, aws_service_caller_but_stack, flag_value, joined, keep_first_occurrences,
    named_burst_signal, pascal_or_camel, request_flag, succeeded_call,
};
use crate::event::Record;

pub struct InstanceGroupsDeletedBurst;

const AUTOSCALING: &str = "autoscaling.amazonaws.com";
const AUTOSCALING_CALLS: &[&str] = &["DeleteAutoScalingGroup"];
const EKS: &str = "eks.amazonaws.com";
const EKS_CALLS: &[&str] = &["DeleteNodegroup"];
const EC2: &str = "ec2.amazonaws.com";
const FLEET_CALLS: &[&str] = &["CancelSpotFleetRequests", "DeleteFleets"];
const EMR: &str = "elasticmapreduce.amazonaws.com";
const EMR_CALLS: &[&str] = &["TerminateJobFlows"];
/// Groups and fleets that make a burst, in one call or within the window.
const MANY: usize = 5;

pub static META: Meta = Meta {
    id: "instance-groups-deleted-burst",
    title: "AWS Many Auto Scaling Groups, Node Groups or Fleets Deleted by One Caller",
    description: "One caller deleted at least five Auto Scaling groups, EKS node groups, EC2 \
                  Fleets, Spot Fleets or EMR clusters within ten minutes (or five fleets or \
                  clusters in one call). \
                  Those services terminate the instances themselves, so this mass \
                  termination shows no termination call of the caller's: the impact step \
                  of a destructive attack.",
    severity: Severity::High,
    attack: &["T1485", "T1529"],
    origins: &[
        "trailwatch: the Auto Scaling, EKS and fleet counterpart of \
         ec2-instances-terminated-burst (equivalent calls for mass termination)",
    ],
    group: "correlation",
    false_positives: &[
        "Pipelines that tear down whole test environments under their own role \
         (terraform destroy, stack deletions): tune by that role.",
    ],
    next_steps: "Stop the caller: revoke its credentials. Check which services lost their \
                 capacity, recreate the groups and fleets from their templates, and review \
                 what else the caller deleted.",
    evidence: "api auto_scaling_group cluster cluster_count clusters fleet_count fleets \
        force_delete node_group source_ip terminate_instances",
    triggers: &[
        Trigger::write(AUTOSCALING, AUTOSCALING_CALLS),
        Trigger::write(EKS, EKS_CALLS),
        Trigger::write(EC2, FLEET_CALLS),
        Trigger::write(EMR, EMR_CALLS),
    ],
    window: Some(WindowSpec::Distinct {
        window_secs: 600,
        min_distinct: MANY,
        repeats: Repeats::Always,
        values: Countable::Open,
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
            let name = rec.request_param_str("autoScalingGroupName")?.trim();
            let evidence = Evidence::new()
                .with("auto_scaling_group", name)
                .with("force_delete", request_flag(rec, "forceDelete") == Some(true));
            return group(rec, &["autoscaling", rec.region().unwrap_or(""), name], evidence);
        }
        if succeeded_call(rec, EKS, EKS_CALLS) {
            let cluster = rec.request_param_str("name")?.trim();
            let name = rec.request_param_str("nodegroupName")?.trim();
            let evidence = Evidence::new().with("cluster", cluster).with("node_group", name);
            return group(rec, &["eks", rec.region().unwrap_or(""), cluster, name], evidence);
        }
        if succeeded_call(rec, EC2, FLEET_CALLS) {
            return fleets(rec);
        }
        if succeeded_call(rec, EMR, EMR_CALLS) {
            return clusters(rec);
        }
        None
    }
}

/// One group deleted: it counts by `parts` (its service, Region and names), unless
/// a name is empty.
fn group(rec: &Record<'_>, parts: &[&str], evidence: Evidence) -> Option<Signal> {
    if parts[2..].iter().any(|p| p.is_empty()) {
        return None;
    }
    Some(Signal::Distinct {
        group: account_role_term(rec),
        value: joined(parts, ':'),
        evidence: evidence
            .with("api", rec.event_name())
            .with_opt("source_ip", rec.source_ip()),
    })
}

/// Fleets deleted: five in one call fire, fewer count as their set.
fn fleets(rec: &Record<'_>) -> Option<Signal> {
    let params = rec.request_parameters()?;
    let mut ids = Vec::new();
    match successful_set(rec) {
        Some(done) => answered_ids(done, 0, &mut ids),
        None => fleet_ids(params, 0, &mut ids),
    }
    keep_first_occurrences(&mut ids);
    let terminate = terminates_instances(params);
    named_burst_signal(rec, ids, |count, listed| {
        Evidence::new()
            .with("api", rec.event_name())
            .with_opt("fleet_count", count)
            .with("fleets", listed)
            .with("terminate_instances", terminate)
            .with_opt("source_ip", rec.source_ip())
    })
}

/// EMR clusters terminated (`jobFlowIds`, a list or one id): five in one call
/// fire; fewer are left out.
fn clusters(rec: &Record<'_>) -> Option<Signal> {
    let listed = rec.request_param("jobFlowIds")?;
    let mut ids: Vec<&str> = match listed {
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        other => other.as_str().into_iter().collect(),
    };
    ids.retain(|id| !id.trim().is_empty());
    keep_first_occurrences(&mut ids);
    if ids.len() < MANY {
        return None;
    }
    named_burst_signal(rec, ids, |count, listed| {
        Evidence::new()
            .with("api", rec.event_name())
            .with_opt("cluster_count", count)
            .with("clusters", listed)
            .with_opt("source_ip", rec.source_ip())
    })
}

/// Deepest nesting searched: EC2 wraps its request and answer once
/// (`DeleteFleetsRequest`, `DeleteFleetsResponse`) and its lists once or twice more.
const MAX_DEPTH: usize = 6;

/// The answer's set of fleets the call deleted or cancelled, under EC2's answer
/// wrapper or at the top; `None` when the record has no such answer.
fn successful_set<'r>(rec: &'r Record<'_>) -> Option<&'r Value> {
    const KEYS: [&str; 2] = ["successfulFleetDeletionSet", "successfulFleetRequestSet"];
    let answer = rec.response_elements()?.as_object()?;
    let find = |o: &'r serde_json::Map<String, Value>| KEYS.iter().find_map(|k| o.get(*k));
    find(answer).or_else(|| answer.values().filter_map(Value::as_object).find_map(find))
}

/// The fleet ids of an answer's successful set, except those whose previous state
/// says they were already deleted or cancelled before this call.
fn answered_ids<'v>(v: &'v Value, depth: usize, out: &mut Vec<&'v str>) {
    if depth > MAX_DEPTH {
        return;
    }
    match v {
        Value::Array(items) => items.iter().for_each(|i| answered_ids(i, depth + 1, out)),
        Value::Object(o) => {
            let gone_before = o.iter().any(|(k, v)| {
                k.to_ascii_lowercase().starts_with("previous")
                    && v.as_str().is_some_and(|s| {
                        let s = s.trim().to_ascii_lowercase();
                        s.starts_with("deleted") || s.starts_with("cancelled")
                    })
            });
            if !gone_before {
                o.values().for_each(|i| answered_ids(i, depth + 1, out));
            }
        }
        _ => fleet_ids(v, depth, out),
    }
}

/// Whether the request asks for the instances to be terminated:
/// `TerminateInstances` (any letter case of its first letter) true, at the top or
/// under EC2's request wrapper. Evidence only: a fleet deleted without, after it
/// was emptied, is the same wipe.
fn terminates_instances(params: &Value) -> bool {
    let flag = |v: &Value| pascal_or_camel(v, "TerminateInstances").and_then(flag_value) == Some(true);
    flag(params) || params.as_object().is_some_and(|top| top.values().any(flag))
}

/// The fleet ids (`fleet-...`, `sfr-...`) named anywhere in `v`, trimmed, in order
/// (repeats included: the caller removes them).
fn fleet_ids<'v>(v: &'v Value, depth: usize, out: &mut Vec<&'v str>) {
    if depth > MAX_DEPTH {
        return;
    }
    match v {
        Value::String(s) => {
            let id = s.trim();
            if id.starts_with("fleet-") || id.starts_with("sfr-") {
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

    fn delete_group(params: &str) -> String {
        record(AUTOSCALING, "DeleteAutoScalingGroup", ROLE, params, "")
    }

    #[test]
    fn a_deleted_group_counts_by_region_and_name_per_role_forced_or_drained_first() {
        let forced = delete_group(r#"{"autoScalingGroupName":"checkout-web","forceDelete":true}"#);
        assert_eq!(
            observed(&forced),
            (
                "111122223333|arn:aws:iam::111122223333:role/DataOps".to_owned(),
                "autoscaling:us-east-1:checkout-web".to_owned()
            )
        );
        // Without force the group was emptied first (Terraform drains, then
        // deletes): the same group, the same value.
        for params in [
            r#"{"autoScalingGroupName":"checkout-web"}"#,
            r#"{"autoScalingGroupName":"checkout-web","forceDelete":false}"#,
        ] {
            assert_eq!(observed(&delete_group(params)).1, "autoscaling:us-east-1:checkout-web", "{params}");
        }
        match eval(&InstanceGroupsDeletedBurst, &forced) {
            Some(Signal::Distinct { evidence, .. }) => {
                assert_eq!(evidence.get("force_delete"), Some(&serde_json::json!(true)))
            }
            other => panic!("expected an observation, got {other:?}"),
        }
        for params in [r#"{"autoScalingGroupName":" ","forceDelete":true}"#, r#"{"forceDelete":true}"#, "null"] {
            assert_eq!(eval(&InstanceGroupsDeletedBurst, &delete_group(params)), None, "{params}");
        }
    }

    #[test]
    fn a_deleted_node_group_counts_by_region_cluster_and_name() {
        let json = record(EKS, "DeleteNodegroup", ROLE, r#"{"name":"prod","nodegroupName":"prod-ng-0"}"#, "");
        assert_eq!(observed(&json).1, "eks:us-east-1:prod:prod-ng-0");
        let unnamed = record(EKS, "DeleteNodegroup", ROLE, r#"{"name":"prod"}"#, "");
        assert_eq!(eval(&InstanceGroupsDeletedBurst, &unnamed), None);
        // EKS's own role removing the node group's Auto Scaling group is left out.
        let service = record(AUTOSCALING, "DeleteAutoScalingGroup", SERVICE, r#"{"autoScalingGroupName":"eks-ng-1"}"#, "");
        assert_eq!(eval(&InstanceGroupsDeletedBurst, &service), None);
    }

    fn wrapped(ids: &[&str], terminate: bool) -> String {
        let items: Vec<String> = ids.iter().enumerate().map(|(n, i)| format!(r#"{{"content":"{i}","tag":{}}}"#, n + 1)).collect();
        format!(r#"{{"DeleteFleetsRequest":{{"FleetId":[{}],"TerminateInstances":{terminate}}}}}"#, items.join(","))
    }

    /// From a second evasion review: EMR clusters terminated in bulk.
    #[test]
    fn emr_clusters_terminated_count_as_fleets_do() {
        let terminate = |ids: &str| record(EMR, "TerminateJobFlows", ROLE, &format!(r#"{{"jobFlowIds":{ids}}}"#), "");
        let six = terminate(r#"["j-2AXXXXXXGAPLF","j-3BXXXXXXHBQMG","j-1CXXXXXXICRNH","j-4DXXXXXXJDSOI","j-5EXXXXXXKETPJ","j-6FXXXXXXLFUQK"]"#);
        match eval(&InstanceGroupsDeletedBurst, &six) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("cluster_count"), Some(&serde_json::json!(6))),
            other => panic!("expected a finding, got {other:?}"),
        }
        // One cluster at a time is an orchestrator's everyday work: not counted.
        assert_eq!(eval(&InstanceGroupsDeletedBurst, &terminate(r#""j-2AXXXXXXGAPLF""#)), None);
        assert_eq!(eval(&InstanceGroupsDeletedBurst, &terminate("[]")), None);
        assert_eq!(eval(&InstanceGroupsDeletedBurst, &failed(EMR, "TerminateJobFlows", ROLE, r#"{"jobFlowIds":["j-1"]}"#, "AccessDenied")), None);
    }

    #[test]
    fn fleets_count_as_their_set_five_fire() {
        let two = record(EC2, "DeleteFleets", ROLE, &wrapped(&["fleet-b1", "fleet-a1"], true), "");
        assert_eq!(observed(&two).1, "fleet-a1,fleet-b1");
        let five = record(EC2, "DeleteFleets", ROLE, &wrapped(&["fleet-1", "fleet-2", "fleet-3", "fleet-4", "fleet-5"], true), "");
        match eval(&InstanceGroupsDeletedBurst, &five) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("fleet_count"), Some(&serde_json::json!(5))),
            other => panic!("expected a finding, got {other:?}"),
        }
        // One fleet, written as a single item, and Spot Fleet in its camelCase form.
        let one = r#"{"DeleteFleetsRequest":{"FleetId":{"content":"fleet-9","tag":1},"TerminateInstances":true}}"#;
        assert_eq!(observed(&record(EC2, "DeleteFleets", ROLE, one, "")).1, "fleet-9");
        let spot = r#"{"spotFleetRequestIdSet":{"items":[{"spotFleetRequestId":"sfr-1"}]},"terminateInstances":true}"#;
        assert_eq!(observed(&record(EC2, "CancelSpotFleetRequests", ROLE, spot, "")).1, "sfr-1");
        // A repeated id counts once; a fleet emptied first and deleted without
        // terminating counts as well.
        let twice = record(EC2, "DeleteFleets", ROLE, &wrapped(&["fleet-1", "fleet-1", "fleet-1", "fleet-1", "fleet-2"], true), "");
        assert_eq!(observed(&twice).1, "fleet-1,fleet-2");
        let kept = record(EC2, "DeleteFleets", ROLE, &wrapped(&["fleet-1"], false), "");
        match eval(&InstanceGroupsDeletedBurst, &kept) {
            Some(Signal::Distinct { evidence, .. }) => {
                assert_eq!(evidence.get("terminate_instances"), Some(&serde_json::json!(false)))
            }
            other => panic!("expected an observation, got {other:?}"),
        }
        let no_ids = r#"{"DeleteFleetsRequest":{"TerminateInstances":true}}"#;
        assert_eq!(eval(&InstanceGroupsDeletedBurst, &record(EC2, "DeleteFleets", ROLE, no_ids, "")), None);
    }

    /// From a review: the call succeeds when every fleet it names fails; the answer
    /// says which went.
    #[test]
    fn the_answer_decides_which_fleets_went() {
        let answered = |request: &str, answer: &str| {
            record(EC2, "DeleteFleets", ROLE, request, "").replace(r#""responseElements":null"#, &format!(r#""responseElements":{answer}"#))
        };
        let request = wrapped(&["fleet-1", "fleet-2", "fleet-3", "fleet-4", "fleet-5"], true);
        let none_went = answered(
            &request,
            r#"{"DeleteFleetsResponse":{"successfulFleetDeletionSet":"","unsuccessfulFleetDeletionSet":{"item":[{"fleetId":"fleet-1","error":{"code":"fleetIdDoesNotExist"}}]}}}"#,
        );
        assert!(none_went.contains("unsuccessfulFleetDeletionSet"));
        assert_eq!(eval(&InstanceGroupsDeletedBurst, &none_went), None);
        let two_went = answered(
            &request,
            r#"{"DeleteFleetsResponse":{"successfulFleetDeletionSet":{"item":[
                {"currentFleetState":"deleted_terminating","previousFleetState":"active","fleetId":"fleet-2"},
                {"currentFleetState":"deleted_terminating","previousFleetState":"deleted_running","fleetId":"fleet-3"},
                {"currentFleetState":"deleted_terminating","previousFleetState":"active","fleetId":"fleet-4"}]},
                "unsuccessfulFleetDeletionSet":""}}"#,
        );
        assert_eq!(observed(&two_went).1, "fleet-2,fleet-4");
        let spot = answered(
            r#"{"CancelSpotFleetRequestsRequest":{"SpotFleetRequestId":{"content":"sfr-1","tag":1},"TerminateInstances":true}}"#,
            r#"{"CancelSpotFleetRequestsResponse":{"successfulFleetRequestSet":{"item":{"currentSpotFleetRequestState":"cancelled_terminating","previousSpotFleetRequestState":"active","spotFleetRequestId":"sfr-1"}}}}"#,
        );
        assert_eq!(observed(&spot).1, "sfr-1");
    }

    #[test]
    fn failures_services_and_other_calls_do_not_count() {
        let force = r#"{"autoScalingGroupName":"checkout-web","forceDelete":true}"#;
        assert_eq!(eval(&InstanceGroupsDeletedBurst, &record(AUTOSCALING, "DeleteAutoScalingGroup", SERVICE, force, "")), None);
        assert_eq!(
            eval(&InstanceGroupsDeletedBurst, &failed(AUTOSCALING, "DeleteAutoScalingGroup", ROLE, force, "ResourceInUse")),
            None
        );
        // A stack's deletion is the person's own.
        let stack = record(AUTOSCALING, "DeleteAutoScalingGroup", ROLE, force, "")
            .replace(r#""type":"AssumedRole","#, r#""type":"AssumedRole","invokedBy":"cloudformation.amazonaws.com","#);
        assert!(stack.contains("invokedBy"));
        assert!(matches!(eval(&InstanceGroupsDeletedBurst, &stack), Some(Signal::Distinct { .. })));
        // Scaling to zero and other calls are not deletions.
        let zero = r#"{"autoScalingGroupName":"checkout-web","minSize":0,"maxSize":0,"desiredCapacity":0}"#;
        assert_eq!(eval(&InstanceGroupsDeletedBurst, &record(AUTOSCALING, "UpdateAutoScalingGroup", ROLE, zero, "")), None);
        assert_eq!(eval(&InstanceGroupsDeletedBurst, &record(EC2, "DeleteAutoScalingGroup", ROLE, force, "")), None);
    }
}
