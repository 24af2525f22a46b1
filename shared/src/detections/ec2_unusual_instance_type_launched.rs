//! An attempt to launch GPU, accelerator or very large EC2 instances (`RunInstances`),
//! whether it succeeded or not.
//!
//! Decisions: "unusual" means a type an attacker wants for mining or model training and
//! a workload rarely needs: the accelerated families (p, g, gr, inf, trn, dl, f, vt), the
//! high-memory `u-` family, bare metal, and any size of 24xlarge or more. Failed calls
//! count, with their error code: a denied launch of p-class instances is the attacker
//! testing what the stolen identity may do (Stratus Red Team's technique is exactly
//! that). Launches made by an AWS service (Auto Scaling, EKS node groups) are left out:
//! their instance types come from reviewed configuration.

use serde_json::Value;

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_caller, call_context, with_error};
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
    triggers: &[Trigger::write("ec2.amazonaws.com", &["RunInstances"])],
    window: None,
};

/// Why an instance type is unusual, or `None` for an ordinary one.
pub fn unusual_instance_type(instance_type: &str) -> Option<&'static str> {
    let t = instance_type.trim().to_ascii_lowercase();
    let (family, size) = t.split_once('.')?;
    if family.starts_with("u-") {
        return Some("high-memory");
    }
    let letters: String = family.chars().take_while(char::is_ascii_alphabetic).collect();
    // The family must continue with a generation number (`p4d`, `inf2`), so that
    // `g` does not match a type that merely starts with that letter.
    let generation = family[letters.len()..].starts_with(|c: char| c.is_ascii_digit());
    if generation && matches!(letters.as_str(), "p" | "g" | "gr" | "inf" | "trn" | "dl" | "f" | "vt") {
        return Some("accelerated");
    }
    if size.starts_with("metal") {
        return Some("bare metal");
    }
    let multiple = size.strip_suffix("xlarge")?.parse::<u32>().ok()?;
    (multiple >= 24).then_some("very large")
}

/// `instanceType` as a string, or the `{"value": ...}` form some records use.
fn instance_type<'r>(rec: &'r Record) -> Option<&'r str> {
    match rec.request_param("instanceType")? {
        Value::String(s) => Some(s),
        Value::Object(o) => o.get("value")?.as_str(),
        _ => None,
    }
}

impl Detection for Ec2UnusualInstanceTypeLaunched {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "ec2.amazonaws.com"
            || rec.event_name() != "RunInstances"
            || aws_service_caller(rec)
        {
            return None;
        }
        let ty = instance_type(rec)?;
        let why = unusual_instance_type(ty)?;
        let max_count = rec
            .request_param("instancesSet")
            .and_then(|s| s.get("items"))
            .and_then(|i| i.get(0))
            .and_then(|i| i.get("maxCount"))
            .cloned();
        let e = call_context(rec)
            .with("instance_type", ty)
            .with("reason", why)
            .with_opt("max_count", max_count)
            .with("succeeded", rec.succeeded());
        fire(with_error(e, rec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detection::Evidence;
    use crate::detections::common::compute_testing::{DENIED, IAM_USER, ROLE, SERVICE, record};
    use crate::detections::common::testing::{eval, fires};

    fn launch(ty: &str) -> String {
        format!(r#"{{"instanceType":{ty},"instancesSet":{{"items":[{{"imageId":"ami-0a1b2c3d","minCount":1,"maxCount":10}}]}}}}"#)
    }

    fn evidence(json: &str) -> Evidence {
        match eval(&Ec2UnusualInstanceTypeLaunched, json) {
            Some(Signal::Fire(e)) => e,
            other => panic!("expected a finding, got {other:?}"),
        }
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
            ("m5.metal", Some("bare metal")),
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
    fn ordinary_types_services_and_missing_types_do_not_fire() {
        assert!(!fires(&Ec2UnusualInstanceTypeLaunched, &record("ec2.amazonaws.com", "RunInstances", ROLE, &launch(r#""t3.micro""#), "")));
        assert!(!fires(&Ec2UnusualInstanceTypeLaunched, &record("ec2.amazonaws.com", "RunInstances", SERVICE, &launch(r#""p3.2xlarge""#), "")));
        assert!(!fires(&Ec2UnusualInstanceTypeLaunched, &record("ec2.amazonaws.com", "RunInstances", ROLE, &launch("null"), "")));
        assert!(!fires(&Ec2UnusualInstanceTypeLaunched, &record("ec2.amazonaws.com", "RunInstances", ROLE, "null", "")));
        assert!(!fires(&Ec2UnusualInstanceTypeLaunched, &record("ec2.amazonaws.com", "StartInstances", ROLE, &launch(r#""p2.xlarge""#), "")));
    }
}
