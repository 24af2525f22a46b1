//! An attempt to launch GPU, accelerator or very large EC2 instances (`RunInstances`,
//! `RequestSpotInstances`), whether it succeeded or not.
//!
//! Decisions: "unusual" means a type an attacker wants for mining or model training and
//! a workload rarely needs: the accelerated families (p, g, gr, inf, trn, dl, f, vt), the
//! high-memory `u-` family, bare metal (but EC2 Mac's, which exists only as bare
//! metal: a review of false positives, ninth session), and any size of 24xlarge or more. Failed calls
//! count, with their error code: a denied launch of p-class instances is the attacker
//! testing what the stolen identity may do (Stratus Red Team's technique is exactly
//! that). Launches made by an AWS service (Auto Scaling, EKS node groups, fleets) are
//! left out: their instance types come from reviewed configuration. A CloudFormation
//! stack's launch is not: a stack is only another way for its caller to launch the
//! instances, as easily written by an intruder as a `RunInstances` call.
//!
//! Where the type is read: the request's `instanceType`; for a launch from a launch
//! template, which leaves it out of the request, the launched instances' types in
//! the response (so a refused template launch, which has no response, is not
//! seen); for a Spot request, `launchSpecification.instanceType`. Fleets
//! (`CreateFleet`, `RequestSpotFleet`) are left out: their types sit in launch
//! template overrides and the instances are launched by the fleet service.

use serde_json::Value;

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    aws_service_caller_but_stack, call_context, instance_type_text as type_text, one_or_many, unusual_instance_type,
    with_error,
};
use crate::event::Record;

pub struct Ec2UnusualInstanceTypeLaunched;

pub static META: Meta = Meta {
    id: "ec2-unusual-instance-type-launched",
    title: "AWS EC2 Launch of Unusual Instance Types",
    description: "Someone tried to launch GPU, accelerator, high-memory, bare-metal or very \
                  large EC2 instances. Attackers with stolen credentials launch these for \
                  cryptocurrency mining or model training at the victim's expense; failed \
                  attempts show them probing what the identity may launch.",
    severity: Severity::Medium,
    attack: &["T1496", "T1578.002"],
    origins: &[
        "trailwatch: based on Stratus Red Team aws.execution.ec2-launch-unusual-instances and \
         Panther's idea of unusual EC2 launches",
    ],
    group: "compute-network",
    false_positives: &[
        "Machine-learning, rendering or analytics teams launching GPU or large instances \
         by hand.",
    ],
    next_steps: "Check whether the account runs such workloads. If not, terminate the \
                 instances, look for the key pair and user data used, and contain the \
                 identity (its keys or sessions) that made the call.",
    evidence: "error_code error_message instance_type max_count reason region source_ip succeeded \
        user_agent",
    triggers: &[Trigger::write("ec2.amazonaws.com", NAMES)],
    window: None,
};

const NAMES: &[&str] = &["RequestSpotInstances", "RunInstances"];

/// The instance types the call launches or asks for (see the top comment for
/// where each call says it).
fn instance_types<'r>(rec: &'r Record) -> Vec<&'r str> {
    if rec.event_name() == "RequestSpotInstances" {
        return rec
            .request_param("launchSpecification")
            .and_then(|l| l.get("instanceType"))
            .and_then(type_text)
            .into_iter()
            .collect();
    }
    if let Some(t) = rec.request_param("instanceType").and_then(type_text) {
        return vec![t];
    }
    one_or_many(
        rec.response_element("instancesSet")
            .and_then(|s| s.get("items")),
    )
    .into_iter()
    .filter_map(|i| i.get("instanceType").and_then(type_text))
    .collect()
}

/// How many instances the call asks for, at most.
fn requested_count(rec: &Record) -> Option<Value> {
    if rec.event_name() == "RequestSpotInstances" {
        return rec.request_param("instanceCount").cloned();
    }
    rec.request_param("instancesSet")
        .and_then(|s| s.get("items"))
        .and_then(|i| i.get(0))
        .and_then(|i| i.get("maxCount"))
        .cloned()
}

impl Detection for Ec2UnusualInstanceTypeLaunched {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "ec2.amazonaws.com"
            || !NAMES.contains(&rec.event_name())
            || aws_service_caller_but_stack(rec)
        {
            return None;
        }
        let (ty, why) = instance_types(rec)
            .into_iter()
            .find_map(|t| Some((t, unusual_instance_type(t)?)))?;
        let e = call_context(rec)
            .with("instance_type", ty)
            .with("reason", why)
            .with_opt("max_count", requested_count(rec))
            .with("succeeded", rec.succeeded());
        fire(with_error(e, rec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detection::Evidence;
    use crate::detections::common::compute_testing::{DENIED, IAM_USER, ROLE, SERVICE, record};
    use crate::detections::common::testing::{fired_evidence, fires};

    fn launch(ty: &str) -> String {
        format!(r#"{{"instanceType":{ty},"instancesSet":{{"items":[{{"imageId":"ami-0a1b2c3d","minCount":1,"maxCount":10}}]}}}}"#)
    }

    fn evidence(json: &str) -> Evidence {
        fired_evidence(&Ec2UnusualInstanceTypeLaunched, json)
    }

    #[test]
    fn classifies_instance_types() {
        for (t, why) in [
            ("p2.xlarge", Some("accelerated")),
            ("p5.48xlarge", Some("accelerated")),
            ("g4dn.xlarge", Some("accelerated")),
            ("G5.2XLARGE", Some("accelerated")),
            ("gr6.8xlarge", Some("accelerated")),
            ("inf2.xlarge", Some("accelerated")),
            ("trn1.32xlarge", Some("accelerated")),
            ("dl1.24xlarge", Some("accelerated")),
            ("f1.2xlarge", Some("accelerated")),
            ("u-6tb1.metal", Some("high-memory")),
            ("u7i-12tb.224xlarge", Some("high-memory")),
            ("u7in-16tb.224xlarge", Some("high-memory")),
            ("ux-1.large", None),
            ("u7i.large", None),
            ("m5.metal", Some("bare metal")),
            ("mac2-m2pro.metal", None),
            ("mac1.metal", None),
            ("mac-m4.metal", None),
            ("macx9.metal", Some("bare metal")),
            ("c5.24xlarge", Some("very large")),
            ("r6i.32xlarge", Some("very large")),
            ("m5.xlarge", None),
            ("m6g.16xlarge", None),
            ("c7g.large", None),
            ("t3.micro", None),
            ("gp3", None),
            ("", None),
            ("é.xlarge", None),
        ] {
            assert_eq!(unusual_instance_type(t), why, "{t}");
        }
    }

    #[test]
    fn a_denied_gpu_launch_fires_with_its_error() {
        let e = evidence(&record("ec2.amazonaws.com", "RunInstances", ROLE, &launch(r#""p2.xlarge""#), DENIED));
        assert_eq!(e.get("error_code").unwrap(), "Client.UnauthorizedOperation");
        assert_eq!(e.get("succeeded").unwrap(), false);
        assert_eq!(e.get("max_count").unwrap(), 10);
        let e = evidence(&record("ec2.amazonaws.com", "RunInstances", IAM_USER, &launch(r#"{"value":"g5.12xlarge"}"#), ""));
        assert_eq!(e.get("instance_type").unwrap(), "g5.12xlarge");
    }

    #[test]
    fn template_launches_are_read_from_the_response_and_spot_requests_from_their_specification() {
        let template = r#"{"instancesSet":{"items":[{"minCount":1,"maxCount":4}]},
            "launchTemplate":{"launchTemplateId":"lt-0a1b2c3d4e5f60718","version":"$Latest"}}"#;
        let launched = r#""responseElements":{"instancesSet":{"items":[
            {"instanceId":"i-0aa","instanceType":"g5.xlarge"},{"instanceId":"i-0bb","instanceType":"g5.xlarge"}]}},"#;
        let e = evidence(&record("ec2.amazonaws.com", "RunInstances", ROLE, template, launched));
        assert_eq!(e.get("instance_type").unwrap(), "g5.xlarge");
        assert_eq!(e.get("max_count").unwrap(), 4);
        let one = r#""responseElements":{"instancesSet":{"items":{"instanceId":"i-0aa","instanceType":"p4d.24xlarge"}}},"#;
        assert!(fires(&Ec2UnusualInstanceTypeLaunched, &record("ec2.amazonaws.com", "RunInstances", ROLE, template, one)));
        let ordinary = r#""responseElements":{"instancesSet":{"items":[{"instanceId":"i-0aa","instanceType":"t3.small"}]}},"#;
        assert!(!fires(&Ec2UnusualInstanceTypeLaunched, &record("ec2.amazonaws.com", "RunInstances", ROLE, template, ordinary)));
        // A refused template launch has no response: nothing says the type.
        assert!(!fires(&Ec2UnusualInstanceTypeLaunched, &record("ec2.amazonaws.com", "RunInstances", ROLE, template, DENIED)));

        let spot = |ty: &str| format!(r#"{{"instanceCount":20,"type":"one-time","launchSpecification":{{"imageId":"ami-0a1b2c3d","instanceType":"{ty}"}}}}"#);
        let e = evidence(&record("ec2.amazonaws.com", "RequestSpotInstances", IAM_USER, &spot("p3.16xlarge"), DENIED));
        assert_eq!(e.get("instance_type").unwrap(), "p3.16xlarge");
        assert_eq!(e.get("max_count").unwrap(), 20);
        assert!(!fires(&Ec2UnusualInstanceTypeLaunched, &record("ec2.amazonaws.com", "RequestSpotInstances", IAM_USER, &spot("m5.large"), "")));
    }

    #[test]
    fn a_stack_launch_is_its_callers() {
        let stack = ROLE.replace(r#""type":"AssumedRole""#, r#""invokedBy":"cloudformation.amazonaws.com","type":"AssumedRole""#);
        assert_ne!(stack, ROLE);
        let rec = record("ec2.amazonaws.com", "RunInstances", &stack, &launch(r#""g5.12xlarge""#), "");
        assert!(fires(&Ec2UnusualInstanceTypeLaunched, &rec));
    }

    #[test]
    fn ordinary_types_services_and_missing_types_do_not_fire() {
        assert!(!fires(&Ec2UnusualInstanceTypeLaunched, &record("ec2.amazonaws.com", "RunInstances", ROLE, &launch(r#""t3.micro""#), "")));
        assert!(!fires(&Ec2UnusualInstanceTypeLaunched, &record("ec2.amazonaws.com", "RunInstances", SERVICE, &launch(r#""p3.2xlarge""#), "")));
        let auto_scaling = ROLE.replace(r#""type":"AssumedRole""#, r#""invokedBy":"autoscaling.amazonaws.com","type":"AssumedRole""#);
        assert!(!fires(&Ec2UnusualInstanceTypeLaunched, &record("ec2.amazonaws.com", "RunInstances", &auto_scaling, &launch(r#""p3.2xlarge""#), "")));
        assert!(!fires(&Ec2UnusualInstanceTypeLaunched, &record("ec2.amazonaws.com", "RunInstances", ROLE, &launch("null"), "")));
        assert!(!fires(&Ec2UnusualInstanceTypeLaunched, &record("ec2.amazonaws.com", "RunInstances", ROLE, "null", "")));
        assert!(!fires(&Ec2UnusualInstanceTypeLaunched, &record("ec2.amazonaws.com", "StartInstances", ROLE, &launch(r#""p2.xlarge""#), "")));
    }
}
