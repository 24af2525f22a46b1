//! GPU, accelerator or very large EC2 capacity made ready without launching it
//! directly: a launch template or template version of such a type, an EC2 fleet or
//! Spot Fleet that asks for one, or a Service Quotas increase for the accelerated
//! instance families.
//!
//! Decisions: a miner with stolen keys often starts here rather than with
//! `RunInstances` (which `ec2-unusual-instance-type-launched` watches): new
//! accounts have no GPU quota, so the first call is a quota increase, and the
//! instances then come from a template through a fleet or an Auto Scaling group,
//! which the EC2 service launches on the caller's behalf (those launches are left
//! out of the launch detection as service calls). The types are judged as the
//! launch detection judges them (`common::unusual_instance_type`).
//!
//! Where the types are read: every `InstanceType`/`instanceType` member anywhere
//! in the request (a template's `LaunchTemplateData`, a fleet's template overrides,
//! a Spot Fleet's launch specifications), as a string or as `{"value": ...}`.
//! Attribute-based selection (`InstanceRequirements`) names no type and is not
//! judged.
//!
//! Quota increases: `serviceCode` `ec2` with the code of an accelerated or
//! high-memory family's On-Demand or Spot vCPU quota ([`ACCELERATED_QUOTA_CODES`],
//! as the Service Quotas console lists them), or, for any other EC2 code, a quota
//! name in the response that names such a family (`Running On-Demand Trn
//! instances`, `All G and VT Spot Instance Requests`). A refused request has no
//! response, so only its code decides; refused calls count, with their error
//! (probing what the stolen identity may do). Calls made by an AWS service (Auto
//! Scaling's own fleets, EKS node groups' templates) are left out; a CloudFormation
//! stack's are not, as in the launch detection.

use serde_json::Value;

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    aws_service_caller_but_stack, call_context, instance_type_text, unusual_instance_type, with_error,
};
use crate::event::Record;

pub struct ComputeGpuCapacityPrepared;

pub static META: Meta = Meta {
    id: "compute-gpu-capacity-prepared",
    title: "AWS GPU Capacity Prepared by Template, Fleet or Quota Increase",
    description: "Someone prepared GPU, accelerator, high-memory or very large EC2 capacity \
                  without launching it directly: a launch template or fleet of such \
                  instance types, or a Service Quotas increase for the accelerated \
                  instance families. Cryptocurrency miners and model trainers with stolen \
                  credentials raise the GPU quota first and launch through templates, \
                  fleets and Auto Scaling groups.",
    severity: Severity::Medium,
    attack: &["T1496", "T1578.002"],
    origins: &[
        "trailwatch: based on reported cryptomining intrusions that raised EC2 GPU quotas \
         and launched through launch templates and fleets, beside Stratus Red Team \
         aws.execution.ec2-launch-unusual-instances",
    ],
    group: "hijacking",
    false_positives: &[
        "Machine-learning, rendering or analytics teams preparing GPU capacity: a quota \
         increase is usually planned with the account's owners.",
    ],
    next_steps: "Ask the account's owners whether the capacity was planned. If not, withdraw \
                 the quota request, delete the template or fleet, look for instances and \
                 Auto Scaling groups using them, and contain the identity that made the call.",
    triggers: &[
        Trigger::write("ec2.amazonaws.com", EC2_NAMES),
        Trigger::write("servicequotas.amazonaws.com", &[QUOTA_INCREASE]),
    ],
    window: None,
};

const EC2_NAMES: &[&str] = &[
    "CreateFleet",
    "CreateLaunchTemplate",
    "CreateLaunchTemplateVersion",
    "RequestSpotFleet",
];

const QUOTA_INCREASE: &str = "RequestServiceQuotaIncrease";

/// EC2 vCPU quotas of the accelerated and high-memory families: On-Demand P, G and
/// VT, Inf, Trn, DL, F and High Memory instances, and the P and G-and-VT Spot
/// requests.
pub const ACCELERATED_QUOTA_CODES: &[&str] = &[
    "L-417A185B",
    "L-DB2E81BA",
    "L-1945791B",
    "L-2C3B7624",
    "L-6E869C2A",
    "L-74FC7D96",
    "L-43DA4232",
    "L-7212CCBC",
    "L-3819A6DF",
];

/// The instance families a quota name may list that this detection cares about.
const ACCELERATED_FAMILIES: &[&str] = &["p", "g", "vt", "gr", "inf", "trn", "dl", "f", "high memory"];

/// Whether an EC2 quota's name (`Running On-Demand G and VT instances`, `All P Spot
/// Instance Requests`) names an accelerated or high-memory family.
fn names_accelerated_family(quota_name: &str) -> bool {
    let name = quota_name.trim().to_ascii_lowercase();
    let families = name
        .strip_prefix("running on-demand ")
        .and_then(|n| n.strip_suffix(" instances"))
        .or_else(|| {
            name.strip_prefix("all ")
                .and_then(|n| n.strip_suffix(" spot instance requests"))
        });
    families.is_some_and(|f| {
        f.split(" and ")
            .flat_map(|part| part.split(", "))
            .any(|family| ACCELERATED_FAMILIES.contains(&family.trim()))
    })
}

/// Every instance type named anywhere in `v` (see the top comment), in document order.
fn instance_types<'v>(v: &'v Value, out: &mut Vec<&'v str>) {
    match v {
        Value::Object(o) => {
            for (key, value) in o {
                if key.eq_ignore_ascii_case("instanceType") {
                    out.extend(instance_type_text(value));
                } else {
                    instance_types(value, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| instance_types(item, out)),
        _ => {}
    }
}

/// The first unusual type the EC2 request names, and why it is unusual.
fn unusual_requested_type<'r>(rec: &'r Record) -> Option<(&'r str, &'static str)> {
    let mut types = Vec::new();
    instance_types(rec.request_parameters()?, &mut types);
    types
        .into_iter()
        .find_map(|t| Some((t, unusual_instance_type(t)?)))
}

/// A member of the response's `requestedQuota` (CloudTrail writes it in camel
/// case; the API's own spelling is accepted too).
fn requested_quota<'r>(rec: &'r Record, key: &str) -> Option<&'r Value> {
    rec.response_element("requestedQuota")
        .or_else(|| rec.response_element("RequestedQuota"))?
        .get(key)
}

/// The evidence of an EC2 quota increase for an accelerated family, if it is one.
fn accelerated_quota_increase(rec: &Record) -> Option<Evidence> {
    if rec.request_param_str("serviceCode").map(str::trim) != Some("ec2") {
        return None;
    }
    let code = rec.request_param_str("quotaCode").map(str::trim);
    let name = requested_quota(rec, "quotaName").and_then(Value::as_str);
    let known_code = code.is_some_and(|c| ACCELERATED_QUOTA_CODES.contains(&c));
    if !known_code && !name.is_some_and(names_accelerated_family) {
        return None;
    }
    Some(
        call_context(rec)
            .with_opt("quota_code", code)
            .with_opt("quota_name", name)
            .with_json("desired_value", rec.request_param("desiredValue")),
    )
}

impl Detection for ComputeGpuCapacityPrepared {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if aws_service_caller_but_stack(rec) {
            return None;
        }
        let e = match (rec.event_source(), rec.event_name()) {
            ("ec2.amazonaws.com", name) if EC2_NAMES.contains(&name) => {
                let (ty, why) = unusual_requested_type(rec)?;
                call_context(rec)
                    .with("instance_type", ty)
                    .with("reason", why)
            }
            ("servicequotas.amazonaws.com", QUOTA_INCREASE) => accelerated_quota_increase(rec)?,
            _ => return None,
        };
        fire(with_error(e.with("succeeded", rec.succeeded()), rec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::compute_testing::{ACCESS_DENIED, DENIED, IAM_USER, ROLE, SERVICE, record};
    use crate::detections::common::testing::{eval, fires};

    fn evidence(json: &str) -> Evidence {
        match eval(&ComputeGpuCapacityPrepared, json) {
            Some(Signal::Fire(e)) => e,
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    fn template(name: &str, ty: &str) -> String {
        let wrapper = format!("{name}Request");
        record(
            "ec2.amazonaws.com",
            name,
            ROLE,
            &format!(
                r#"{{"{wrapper}":{{"LaunchTemplateName":"build","LaunchTemplateData":{{"ImageId":"ami-0a1b2c3d",
                "InstanceType":{ty},"tag":1}},"tag":1}}}}"#
            ),
            "",
        )
    }

    fn quota(code: &str, response: &str, extra: &str) -> String {
        record(
            "servicequotas.amazonaws.com",
            QUOTA_INCREASE,
            IAM_USER,
            &format!(r#"{{"serviceCode":"ec2","quotaCode":"{code}","desiredValue":256.0}}"#),
            &format!(r#""responseElements":{response},{extra}"#),
        )
    }

    #[test]
    fn a_gpu_launch_template_or_version_fires() {
        for name in ["CreateLaunchTemplate", "CreateLaunchTemplateVersion"] {
            let e = evidence(&template(name, r#""p4d.24xlarge""#));
            assert_eq!(e.get("instance_type").unwrap(), "p4d.24xlarge");
            assert_eq!(e.get("reason").unwrap(), "accelerated");
        }
        let e = evidence(&template("CreateLaunchTemplate", r#"{"value":"g5.12xlarge"}"#));
        assert_eq!(e.get("instance_type").unwrap(), "g5.12xlarge");
        assert!(!fires(&ComputeGpuCapacityPrepared, &template("CreateLaunchTemplate", r#""t3.micro""#)));
    }

    #[test]
    fn fleets_fire_on_any_unusual_override_and_denied_calls_count() {
        let fleet = r#"{"CreateFleetRequest":{"LaunchTemplateConfigs":{"LaunchTemplateSpecification":
            {"LaunchTemplateId":"lt-0abc","Version":"1"},"Overrides":[{"InstanceType":"m5.large","tag":1},
            {"InstanceType":"g4dn.12xlarge","tag":2}],"tag":1},"TargetCapacitySpecification":
            {"TotalTargetCapacity":40,"DefaultTargetCapacityType":"spot"},"Type":"instant"}}"#;
        let e = evidence(&record("ec2.amazonaws.com", "CreateFleet", ROLE, fleet, DENIED));
        assert_eq!(e.get("instance_type").unwrap(), "g4dn.12xlarge");
        assert_eq!(e.get("error_code").unwrap(), "Client.UnauthorizedOperation");
        assert_eq!(e.get("succeeded").unwrap(), false);
        let spot = r#"{"spotFleetRequestConfig":{"targetCapacity":20,"launchSpecifications":
            {"item":[{"instanceType":"c5.large"},{"instanceType":"p3.16xlarge"}]}}}"#;
        let e = evidence(&record("ec2.amazonaws.com", "RequestSpotFleet", IAM_USER, spot, ""));
        assert_eq!(e.get("instance_type").unwrap(), "p3.16xlarge");
        let ordinary = fleet.replace("g4dn.12xlarge", "c6i.2xlarge");
        assert!(!fires(&ComputeGpuCapacityPrepared, &record("ec2.amazonaws.com", "CreateFleet", ROLE, &ordinary, "")));
        // Attribute-based selection names no type.
        let by_attributes = r#"{"CreateFleetRequest":{"LaunchTemplateConfigs":{"Overrides":
            {"InstanceRequirements":{"AcceleratorCount":{"Min":1}}}}}}"#;
        assert!(!fires(&ComputeGpuCapacityPrepared, &record("ec2.amazonaws.com", "CreateFleet", ROLE, by_attributes, "")));
    }

    #[test]
    fn aws_services_are_left_out() {
        let fleet = r#"{"CreateFleetRequest":{"LaunchTemplateConfigs":{"Overrides":{"InstanceType":"p3.2xlarge"}}}}"#;
        assert!(!fires(&ComputeGpuCapacityPrepared, &record("ec2.amazonaws.com", "CreateFleet", SERVICE, fleet, "")));
    }

    #[test]
    fn gpu_quota_increases_fire_by_code_or_by_name() {
        let accepted = r#"{"requestedQuota":{"id":"a1b2","serviceCode":"ec2","quotaCode":"L-DB2E81BA",
            "quotaName":"Running On-Demand G and VT instances","desiredValue":256.0,"status":"PENDING"}}"#;
        let e = evidence(&quota("L-DB2E81BA", accepted, ""));
        assert_eq!(e.get("quota_name").unwrap(), "Running On-Demand G and VT instances");
        assert_eq!(e.get("desired_value").unwrap(), 256.0);
        // Refused: no response, the code decides.
        let e = evidence(&quota("L-417A185B", "null", ACCESS_DENIED));
        assert_eq!(e.get("quota_code").unwrap(), "L-417A185B");
        assert_eq!(e.get("succeeded").unwrap(), false);
        // A code not listed, whose name says Trn.
        let trn = r#"{"requestedQuota":{"quotaCode":"L-0000TRN1","quotaName":"Running On-Demand Trn instances"}}"#;
        assert!(fires(&ComputeGpuCapacityPrepared, &quota("L-0000TRN1", trn, "")));
        let spot = r#"{"requestedQuota":{"quotaCode":"L-0000SPOT","quotaName":"All Inf Spot Instance Requests"}}"#;
        assert!(fires(&ComputeGpuCapacityPrepared, &quota("L-0000SPOT", spot, "")));
    }

    #[test]
    fn other_quota_increases_are_ignored() {
        let standard = r#"{"requestedQuota":{"quotaCode":"L-1216C47A",
            "quotaName":"Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances"}}"#;
        assert!(!fires(&ComputeGpuCapacityPrepared, &quota("L-1216C47A", standard, "")));
        let eips = r#"{"requestedQuota":{"quotaCode":"L-0263D0A3","quotaName":"EC2-VPC Elastic IPs"}}"#;
        assert!(!fires(&ComputeGpuCapacityPrepared, &quota("L-0263D0A3", eips, "")));
        // The same code under another service is not an EC2 quota.
        let lambda = quota("L-DB2E81BA", "null", "").replace(r#""serviceCode":"ec2""#, r#""serviceCode":"lambda""#);
        assert!(!fires(&ComputeGpuCapacityPrepared, &lambda));
    }

    #[test]
    fn quota_names_are_read_by_family() {
        for (name, accelerated) in [
            ("Running On-Demand P instances", true),
            ("Running On-Demand G and VT instances", true),
            ("Running On-Demand High Memory instances", true),
            ("All G and VT Spot Instance Requests", true),
            ("All DL Spot Instance Requests", true),
            ("Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances", false),
            ("Running On-Demand X instances", false),
            ("All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests", false),
            ("Running Dedicated p3 Hosts", false),
            ("", false),
        ] {
            assert_eq!(names_accelerated_family(name), accelerated, "{name}");
        }
    }
}
