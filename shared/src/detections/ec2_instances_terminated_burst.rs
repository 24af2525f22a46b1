//! One caller terminating many EC2 instances (`TerminateInstances`, or Auto
//! Scaling's `TerminateInstanceInAutoScalingGroup`, successfully): one call naming
//! at least ten instances, or calls naming ten different first instances within
//! ten minutes.
//!
//! Decisions: a call may name many instances, but a window keeps one value per
//! record (the store keeps one observation per event), so a call that names ten or
//! more (or a lower tuned threshold) fires on its own, under a claim the caller's
//! such calls share for ten minutes (a run of them, an autoscaler's twenty calls
//! of twelve, is one finding: from a review), and smaller calls count in the
//! window by the set of
//! instances they name (`common::set_value`: a repeated call counts once, and a
//! sacrificial instance put first in every call no longer merges them, as counting
//! by the first instance did). When the answer says which instances were running
//! or stopped before the call (`previousState`), only those count: an instance
//! already shutting down or terminated is not terminated again, so controllers
//! re-issuing calls for the same few instances make no burst, and a sacrificial
//! instance terminated long ago adds nothing (from a review of the set values). Calls of up to nine instances therefore count as
//! calls, not instances: ten calls of nine are needed where ninety instances went
//! (a reviewer batched by nine and stayed under it). A known limit, stated in the
//! description; counting instances needs a store that keeps several values of one
//! record. The
//! group is the account and the role behind an assumed-role session, not the
//! session (`common::account_role_term`): an intruder who re-assumes the role
//! between calls would otherwise split the burst (IAM Identity Center's roles stay
//! per person). Terminations AWS services make on their own (Auto Scaling
//! scale-in, Spot interruptions, EKS node groups) are left out; a stack's count.
//! An Auto Scaling group's instance terminated on request is terminated by Auto
//! Scaling's own role, so the caller's `TerminateInstanceInAutoScalingGroup` is
//! what counts, as that instance (from a review: twelve such calls went unseen).
//! Whole groups and fleets deleted are `instance-groups-deleted-burst`.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, Repeats, Countable, WindowSpec};
use crate::detections::common::{
    aws_service_caller_but_stack, distinct_texts_at_key, named_burst_signal, succeeded_call,
};
use crate::event::Record;

pub struct Ec2InstancesTerminatedBurst;

const EC2: &str = "ec2.amazonaws.com";
const CALLS: &[&str] = &["TerminateInstances"];
const AUTOSCALING: &str = "autoscaling.amazonaws.com";
/// One instance of an Auto Scaling group, terminated by Auto Scaling's own role on
/// the caller's request: the caller's call is the only record of who asked.
const AUTOSCALING_CALLS: &[&str] = &["TerminateInstanceInAutoScalingGroup"];
/// Instances that make a burst, in one call or within the window.
const MANY: usize = 10;

pub static META: Meta = Meta {
    id: "ec2-instances-terminated-burst",
    title: "AWS Many EC2 Instances Terminated by One Caller",
    description: "One caller terminated at least ten EC2 instances in one call, or made ten \
                  termination calls on different instances within ten minutes. Mass \
                  termination takes down services and destroys the instance storage that is \
                  not backed up: the impact step of a destructive attack.",
    severity: Severity::High,
    attack: &["T1485", "T1529"],
    origins: &[
        "trailwatch: from a red-team gap hunt (destruction bursts: instances terminated en \
         masse)",
    ],
    group: "correlation",
    false_positives: &[
        "Pipelines that tear down test or build fleets under their own role: tune by that role.",
        "Node autoscalers that call EC2 themselves (Karpenter consolidating ten or more nodes \
         in one call, under its controller's role; Kubernetes Cluster Autoscaler removing ten \
         nodes with one Auto Scaling call each as a cluster empties): tune by that role.",
    ],
    next_steps: "Stop the caller: revoke its credentials and check termination protection on \
                 what remains. Review what else it deleted and restore the services from \
                 their images and backups.",
    evidence: "instance_count instances source_ip",
    triggers: &[Trigger::write(EC2, CALLS), Trigger::write(AUTOSCALING, AUTOSCALING_CALLS)],
    window: Some(WindowSpec::Distinct {
        window_secs: 600,
        min_distinct: MANY,
        repeats: Repeats::Always,
        values: Countable::Open,
    }),
};

impl Detection for Ec2InstancesTerminatedBurst {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if aws_service_caller_but_stack(rec) {
            return None;
        }
        // The call's order is kept for the evidence; a repeated id counts once.
        let instances = if succeeded_call(rec, EC2, CALLS) {
            match newly_terminated(rec) {
                Some(ids) => ids,
                None => distinct_texts_at_key(rec.request_parameters()?, "instanceId"),
            }
        } else if succeeded_call(rec, AUTOSCALING, AUTOSCALING_CALLS) {
            // One instance per call: it counts as that instance, as a
            // `TerminateInstances` of it alone does.
            let id = rec.request_param_str("instanceId")?.trim();
            if id.is_empty() { Vec::new() } else { vec![id] }
        } else {
            return None;
        };
        named_burst_signal(rec, instances, |count, listed| match count {
            Some(count) => Evidence::new()
                .with("instance_count", count)
                .with("instances", listed),
            None => Evidence::new()
                .with("instances", listed)
                .with_opt("source_ip", rec.source_ip()),
        })
    }
}

/// The instances the answer shows this call terminated (previously neither
/// shutting down nor terminated), in its order; `None` when the answer does not
/// say (no response, or items without a previous state).
fn newly_terminated<'r>(rec: &'r Record<'_>) -> Option<Vec<&'r str>> {
    let items = rec
        .response_element("instancesSet")?
        .get("items")?
        .as_array()?;
    let mut out = Vec::new();
    for item in items {
        let id = item.get("instanceId")?.as_str()?.trim();
        let before = item.get("previousState")?.get("name")?.as_str()?.trim();
        let already = before.eq_ignore_ascii_case("shutting-down") || before.eq_ignore_ascii_case("terminated");
        if !already && !id.is_empty() && !out.contains(&id) {
            out.push(id);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::eval;

    fn terminate(ids: &[String]) -> String {
        let items: Vec<String> = ids.iter().map(|i| format!(r#"{{"instanceId":"{i}"}}"#)).collect();
        format!(r#"{{"instancesSet":{{"items":[{}]}}}}"#, items.join(","))
    }

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("i-0a1b2c3d4e5f6{i:04}")).collect()
    }

    #[test]
    fn a_small_call_counts_by_its_set_of_instances_a_big_one_fires() {
        match eval(&Ec2InstancesTerminatedBurst, &record(EC2, "TerminateInstances", ROLE, &terminate(&ids(3)), "")) {
            Some(Signal::Distinct { group, value, .. }) => {
                assert_eq!(group, "111122223333|arn:aws:iam::111122223333:role/DataOps");
                assert_eq!(value, "i-0a1b2c3d4e5f60000,i-0a1b2c3d4e5f60001,i-0a1b2c3d4e5f60002");
            }
            other => panic!("expected an observation, got {other:?}"),
        }
        // A sacrificial instance leading every call no longer merges the calls; the
        // same set in another order is the same value.
        let value = |list: &[String]| match eval(&Ec2InstancesTerminatedBurst, &record(EC2, "TerminateInstances", ROLE, &terminate(list), "")) {
            Some(Signal::Distinct { value, .. }) => value,
            other => panic!("expected an observation, got {other:?}"),
        };
        let all = ids(5);
        let (a, b) = ([all[0].clone(), all[1].clone()], [all[0].clone(), all[2].clone()]);
        assert_ne!(value(&a), value(&b));
        assert_eq!(value(&[all[3].clone(), all[4].clone()]), value(&[all[4].clone(), all[3].clone()]));
        // Another session of the same role counts in the same group: re-assuming
        // the role does not split the burst.
        let other_session = record(EC2, "TerminateInstances", ROLE, &terminate(&ids(3)), "")
            .replace("assumed-role/DataOps/ops-session", "assumed-role/DataOps/ops-session-2");
        assert!(other_session.contains("ops-session-2"));
        match eval(&Ec2InstancesTerminatedBurst, &other_session) {
            Some(Signal::Distinct { group, .. }) => {
                assert_eq!(group, "111122223333|arn:aws:iam::111122223333:role/DataOps")
            }
            other => panic!("expected an observation, got {other:?}"),
        }
        match eval(&Ec2InstancesTerminatedBurst, &record(EC2, "TerminateInstances", ROLE, &terminate(&ids(12)), "")) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("instance_count"), Some(&serde_json::json!(12))),
            other => panic!("expected a finding, got {other:?}"),
        }
        // A repeated id counts once, wherever it stands.
        let mut repeated = ids(5);
        repeated.extend(ids(5));
        match eval(&Ec2InstancesTerminatedBurst, &record(EC2, "TerminateInstances", ROLE, &terminate(&repeated), "")) {
            Some(Signal::Distinct { evidence, .. }) => assert_eq!(evidence.get("instances").and_then(|v| v.as_array()).map(Vec::len), Some(5)),
            other => panic!("expected an observation, got {other:?}"),
        }
    }

    fn answered(ids: &[String], before: &str) -> String {
        let items: Vec<String> = ids
            .iter()
            .map(|i| format!(r#"{{"instanceId":"{i}","currentState":{{"code":32,"name":"shutting-down"}},"previousState":{{"code":16,"name":"{before}"}}}}"#))
            .collect();
        record(EC2, "TerminateInstances", ROLE, &terminate(ids), "")
            .replace(r#""responseElements":null"#, &format!(r#""responseElements":{{"instancesSet":{{"items":[{}]}}}}"#, items.join(",")))
    }

    /// From a review: calls re-issued for instances already going count nothing,
    /// so a few instances cannot make ten values.
    #[test]
    fn instances_already_going_do_not_count_again() {
        let ids = ids(3);
        let first = answered(&ids, "running");
        assert!(first.contains("previousState"));
        assert!(matches!(eval(&Ec2InstancesTerminatedBurst, &first), Some(Signal::Distinct { .. })));
        for before in ["shutting-down", "terminated"] {
            assert_eq!(eval(&Ec2InstancesTerminatedBurst, &answered(&ids, before)), None, "{before}");
        }
        // A sacrificial instance terminated long ago adds nothing to a call's value.
        let fresh = answered(&ids[1..], "running");
        let mut with_old = answered(&ids, "running");
        with_old = with_old.replacen(r#""previousState":{"code":16,"name":"running"}"#, r#""previousState":{"code":48,"name":"terminated"}"#, 1);
        let value = |json: &str| match eval(&Ec2InstancesTerminatedBurst, json) {
            Some(Signal::Distinct { value, .. }) => value,
            other => panic!("expected an observation, got {other:?}"),
        };
        assert_eq!(value(&with_old), value(&fresh));
    }

    #[test]
    fn an_auto_scaling_groups_instance_terminated_on_request_counts_as_itself() {
        const AS: &str = "autoscaling.amazonaws.com";
        let one = |id: &str| {
            record(AS, "TerminateInstanceInAutoScalingGroup", ROLE, &format!(r#"{{"instanceId":"{id}","shouldDecrementDesiredCapacity":true}}"#), "")
        };
        match eval(&Ec2InstancesTerminatedBurst, &one("i-0a1b2c3d4e5f60001")) {
            Some(Signal::Distinct { group, value, .. }) => {
                assert_eq!(group, "111122223333|arn:aws:iam::111122223333:role/DataOps");
                assert_eq!(value, "i-0a1b2c3d4e5f60001");
            }
            other => panic!("expected an observation, got {other:?}"),
        }
        assert_eq!(eval(&Ec2InstancesTerminatedBurst, &one(" ")), None);
        assert_eq!(eval(&Ec2InstancesTerminatedBurst, &record(AS, "TerminateInstanceInAutoScalingGroup", SERVICE, r#"{"instanceId":"i-1"}"#, "")), None);
        assert_eq!(eval(&Ec2InstancesTerminatedBurst, &failed(AS, "TerminateInstanceInAutoScalingGroup", ROLE, r#"{"instanceId":"i-1"}"#, "ValidationError")), None);
    }

    #[test]
    fn services_failures_empty_and_other_calls_do_not_count() {
        let one = terminate(&ids(1));
        assert_eq!(eval(&Ec2InstancesTerminatedBurst, &record(EC2, "TerminateInstances", SERVICE, &one, "")), None);
        assert_eq!(eval(&Ec2InstancesTerminatedBurst, &failed(EC2, "TerminateInstances", ROLE, &one, "OperationNotPermitted")), None);
        assert_eq!(eval(&Ec2InstancesTerminatedBurst, &record(EC2, "TerminateInstances", ROLE, r#"{"instancesSet":{}}"#, "")), None);
        assert_eq!(eval(&Ec2InstancesTerminatedBurst, &record(EC2, "TerminateInstances", ROLE, "null", "")), None);
        assert_eq!(eval(&Ec2InstancesTerminatedBurst, &record(EC2, "StopInstances", ROLE, &one, "")), None);
    }
}
