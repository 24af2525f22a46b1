//! GPU, accelerator or high-memory EC2 capacity made ready without launching it
//! directly: a launch template or template version, an EC2 fleet or Spot Fleet, an
//! Auto Scaling group or launch configuration, an EKS managed node group or an AWS
//! Batch compute environment or an EMR cluster, instance group or fleet
//! (`RunJobFlow`, `AddInstanceGroups`, `AddInstanceFleet`, `ModifyInstanceFleet`,
//! since a third evasion review) that asks for such instances, a stopped instance
//! resized to one (`ModifyInstanceAttribute`), a capacity reservation or fleet of
//! them, a Capacity Block bought for them (`PurchaseCapacityBlock`, whose type only
//! its answer names), or a Service Quotas increase for the accelerated instance
//! families. The resize, reservations and Capacity Blocks were added after a review;
//! an existing fleet or Spot Fleet switched to such types by its template
//! overrides (`ModifyFleet`, `ModifySpotFleetRequest`) after a second one.
//!
//! Decisions: a miner with stolen keys often starts here rather than with
//! `RunInstances` (which `ec2-unusual-instance-type-launched` watches): new
//! accounts have no GPU quota, so the first call is a quota increase, and the
//! instances then come from a template through a fleet or an Auto Scaling group,
//! which the EC2 service launches on the caller's behalf (those launches are left
//! out of the launch detection as service calls). Only the accelerated families
//! (p, g, gr, vt, inf, trn, dl, f) and the high-memory `u-` family count, as
//! `common::unusual_instance_type` tells them: a fleet or node pool that lists
//! general-purpose 24xlarge or bare-metal sizes among its candidates is ordinary
//! cluster scaling, and the launch detection still judges what is run directly.
//!
//! Where the request asks for them, anywhere in it (a template's
//! `LaunchTemplateData`, a fleet's template overrides, a Spot Fleet's launch
//! specifications, an Auto Scaling group's mixed-instances overrides, a launch
//! configuration), as the member's name says, in any letter case:
//! - `instanceType`: a type, as a string or as `{"value": ...}`;
//! - `instanceTypes` (EKS node groups, Batch compute environments): a list of
//!   types, or for Batch also of families (`p3`, `g5`);
//! - attribute-based selection (`InstanceRequirements`): `AcceleratorCount` with a
//!   minimum of one or more, `AcceleratorTypes` naming `gpu`, `fpga` or `inference`,
//!   `AllowedInstanceTypes` naming an accelerated family (`p5.*`, `g*`), and, after
//!   an evasion review, any `AcceleratorNames`, `AcceleratorManufacturers` naming
//!   a GPU or ML-chip maker, or `AcceleratorTotalMemoryMiB` with a minimum above 0;
//!   an ECS Managed Instances capacity provider's requirements included
//!   (`CreateCapacityProvider`, `UpdateCapacityProvider`).
//!
//! Not seen: a template version that inherits its type from `SourceVersion`, and a
//! group that names only a template (its type is judged when the template is made).
//!
//! Quota increases: `serviceCode` `ec2` with the code of an accelerated or
//! high-memory family's On-Demand or Spot vCPU quota ([`ACCELERATED_QUOTA_CODES`],
//! as the Service Quotas console lists them), or, for any other EC2 code, a quota
//! name in the response (`requestedQuota.quotaName`) that names such a family
//! (`Running On-Demand Trn instances`, `All P5 Spot Instance Requests`). A refused
//! request has no response, so only its code decides; refused calls count, with
//! their error (probing what the stolen identity may do). Quotas of other services
//! (SageMaker's GPU instance quotas, dedicated hosts) are not judged. Calls made by an AWS
//! service (Auto Scaling's own fleets, the Auto Scaling groups of EKS node groups and
//! Batch environments) are left out: the node group or environment itself, asked
//! for by the caller, is what is judged. A CloudFormation stack's calls are not
//! left out, as in the launch detection.

use serde_json::Value;

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    aws_service_caller_but_stack, call_context, instance_type_text, unusual_instance_type, with_error,
};
use crate::event::Record;

pub struct ComputeGpuCapacityPrepared;

pub static META: Meta = Meta {
    id: "compute-gpu-capacity-prepared",
    title: "AWS GPU Capacity Prepared by Template, Fleet, Auto Scaling or Quota Increase",
    description: "Someone prepared GPU, accelerator or high-memory EC2 capacity without \
                  launching it directly: a launch template, fleet, Auto Scaling group, EKS \
                  node group or Batch compute environment of such instances, or a Service \
                  Quotas increase for the accelerated \
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
        "Cluster autoscalers that create fleets for GPU node pools as an ordinary role \
         (Karpenter, ParallelCluster): exclude their controller's role.",
    ],
    next_steps: "Ask the account's owners whether the capacity was planned. If not, withdraw \
                 the quota request, delete the template, fleet or group, look for instances \
                 launched from them, and contain the identity that made the call.",
    evidence: "desired_value error_code error_message instance_type quota_code quota_name reason \
        region source_ip succeeded user_agent",
    triggers: &[
        Trigger::write("autoscaling.amazonaws.com", AUTO_SCALING_NAMES),
        Trigger::write("batch.amazonaws.com", BATCH_NAMES),
        Trigger::write("ec2.amazonaws.com", EC2_NAMES),
        Trigger::write("eks.amazonaws.com", EKS_NAMES),
        Trigger::write("elasticmapreduce.amazonaws.com", EMR_NAMES),
        Trigger::write("ecs.amazonaws.com", ECS_NAMES),
        Trigger::write("servicequotas.amazonaws.com", &[QUOTA_INCREASE]),
    ],
    window: None,
};

const AUTO_SCALING_NAMES: &[&str] = &[
    "CreateAutoScalingGroup",
    "CreateLaunchConfiguration",
    "UpdateAutoScalingGroup",
];

const EC2_NAMES: &[&str] = &[
    "CreateCapacityReservation",
    "CreateCapacityReservationFleet",
    "CreateFleet",
    "CreateLaunchTemplate",
    "CreateLaunchTemplateVersion",
    "ModifyFleet",
    "ModifyInstanceAttribute",
    "ModifySpotFleetRequest",
    "PurchaseCapacityBlock",
    "RequestSpotFleet",
];

const EKS_NAMES: &[&str] = &["CreateNodegroup"];

/// ECS Managed Instances: a capacity provider whose launch template's
/// `instanceRequirements` ECS launches from itself (from an evasion review).
const ECS_NAMES: &[&str] = &["CreateCapacityProvider", "UpdateCapacityProvider"];

const BATCH_NAMES: &[&str] = &["CreateComputeEnvironment", "UpdateComputeEnvironment"];

/// EMR clusters and their instance groups and fleets, which EMR launches under its
/// own role (from a third evasion review).
const EMR_NAMES: &[&str] = &["RunJobFlow", "AddInstanceGroups", "AddInstanceFleet", "ModifyInstanceFleet"];

const QUOTA_INCREASE: &str = "RequestServiceQuotaIncrease";

/// EC2 vCPU quotas of the accelerated and high-memory families: On-Demand P, G and
/// VT, Inf, Trn, DL, F and High Memory instances; Spot requests of P2 to P4, P5, G
/// and VT, Inf, Trn, DL and F instances.
pub const ACCELERATED_QUOTA_CODES: &[&str] = &[
    "L-417A185B",
    "L-DB2E81BA",
    "L-1945791B",
    "L-2C3B7624",
    "L-6E869C2A",
    "L-74FC7D96",
    "L-43DA4232",
    "L-7212CCBC",
    "L-C4BD4855",
    "L-3819A6DF",
    "L-B5D1601B",
    "L-6B0D517C",
    "L-85EED4F7",
    "L-88CF9481",
];

/// The accelerated families by their letters (`p` covers `p5`, `p4d`...).
const ACCELERATED_LETTERS: &[&str] = &["p", "g", "gr", "vt", "inf", "trn", "dl", "f"];

/// A family as a quota name or a type pattern writes it (`P5`, `g4dn`, `Inf`, `g*`)
/// is an accelerated one: its letters, then nothing, a generation (a digit) or `*`.
fn accelerated_family(family: &str) -> bool {
    let family = family.trim().to_ascii_lowercase();
    let letters = family.len() - family.trim_start_matches(|c: char| c.is_ascii_alphabetic()).len();
    let rest = &family[letters..];
    ACCELERATED_LETTERS.contains(&&family[..letters])
        && (rest.is_empty() || rest.starts_with(|c: char| c.is_ascii_digit() || c == '*'))
}

/// Whether an EC2 quota's name (`Running On-Demand G and VT instances`, `All P4, P3
/// and P2 Spot Instance Requests`) names an accelerated or high-memory family.
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
        f == "high memory"
            || f.split(" and ")
                .flat_map(|part| part.split(", "))
                .any(accelerated_family)
    })
}

/// Every string in `v`, at any depth (EC2 writes lists as `{"tag":1,"content":..}`
/// or `{"item":[..]}`, Auto Scaling as arrays).
fn strings_in<'v>(v: &'v Value, out: &mut Vec<&'v str>) {
    match v {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|i| strings_in(i, out)),
        Value::Object(o) => o.values().for_each(|i| strings_in(i, out)),
        _ => {}
    }
}

/// The least of an attribute-based range (`{"Min": 1}`, as a number or its text).
fn minimum(v: &Value) -> Option<f64> {
    let min = v.as_object()?.iter().find(|(k, _)| k.eq_ignore_ascii_case("min"))?.1;
    min.as_f64().or_else(|| min.as_str()?.trim().parse().ok())
}

/// An instance type that counts (accelerated or high-memory), with why it counts.
fn accelerated_type(t: &str) -> Option<(String, &'static str)> {
    match unusual_instance_type(t) {
        Some(why @ ("accelerated" | "high-memory")) => Some((t.to_owned(), why)),
        _ => None,
    }
}

/// The first text of an accelerator attribute (`name`) that `counts` (given it
/// trimmed and in lower case), as the evidence says it.
fn accelerator_text(value: &Value, name: &str, counts: impl Fn(&str) -> bool) -> Option<(String, &'static str)> {
    let mut texts = Vec::new();
    strings_in(value, &mut texts);
    texts
        .into_iter()
        .find(|t| counts(&t.trim().to_ascii_lowercase()))
        .map(|t| (format!("{name} {t}"), "accelerator requested"))
}

/// What the request asks for that counts (see the top comment): the first such
/// type or attribute, and why it counts. Walks the whole request in document order.
fn asks_for_gpu(v: &Value) -> Option<(String, &'static str)> {
    match v {
        Value::Object(o) => o.iter().find_map(|(key, value)| {
            let key = key.to_ascii_lowercase();
            match key.as_str() {
                // EMR's uniform clusters name theirs apart (`masterInstanceType`,
                // `slaveInstanceType`; from a review).
                "instancetype" | "masterinstancetype" | "slaveinstancetype" => {
                    instance_type_text(value).and_then(accelerated_type)
                }
                "instancetypes" => {
                    let mut types = Vec::new();
                    strings_in(value, &mut types);
                    types.into_iter().find_map(|t| {
                        let t = t.trim();
                        // Batch also takes a family alone (`p3`).
                        accelerated_type(t).or_else(|| {
                            (!t.contains('.') && accelerated_family(t)).then(|| (t.to_owned(), "accelerated"))
                        })
                    })
                }
                "acceleratorcount" => minimum(value)
                    .filter(|m| *m >= 1.0)
                    .map(|m| (format!("AcceleratorCount min {m}"), "accelerator requested")),
                "acceleratortypes" | "acceleratortype" => accelerator_text(value, "AcceleratorTypes", |k| {
                    matches!(k, "gpu" | "fpga" | "inference")
                }),
                // From an evasion review: the other attributes that select
                // accelerated types (names and memory require an accelerator on
                // the type; a manufacturer names GPU or ML-chip makers).
                "acceleratornames" | "acceleratorname" => accelerator_text(value, "AcceleratorNames", |n| !n.is_empty()),
                "acceleratormanufacturers" | "acceleratormanufacturer" => {
                    accelerator_text(value, "AcceleratorManufacturers", |m| {
                        matches!(m, "nvidia" | "amd" | "xilinx" | "habana" | "amazon-web-services")
                    })
                }
                "acceleratortotalmemorymib" => minimum(value)
                    .filter(|m| *m > 0.0)
                    .map(|m| (format!("AcceleratorTotalMemoryMiB min {m}"), "accelerator requested")),
                "allowedinstancetypes" | "allowedinstancetype" => {
                    let mut patterns = Vec::new();
                    strings_in(value, &mut patterns);
                    patterns
                        .into_iter()
                        .find(|p| accelerated_family(p.split('.').next().unwrap_or(p)))
                        .map(|p| (p.to_owned(), "accelerated"))
                }
                _ => asks_for_gpu(value),
            }
        }),
        Value::Array(items) => items.iter().find_map(asks_for_gpu),
        _ => None,
    }
}

/// The evidence of an EC2 quota increase for an accelerated family, if it is one.
fn accelerated_quota_increase(rec: &Record) -> Option<Evidence> {
    if rec.request_param_str("serviceCode").map(str::trim) != Some("ec2") {
        return None;
    }
    let code = rec.request_param_str("quotaCode").map(str::trim);
    let name = rec
        .response_element("requestedQuota")
        .and_then(|q| q.get("quotaName"))
        .and_then(Value::as_str);
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
            ("ec2.amazonaws.com", name) if EC2_NAMES.contains(&name) => capacity(rec)?,
            ("autoscaling.amazonaws.com", name) if AUTO_SCALING_NAMES.contains(&name) => capacity(rec)?,
            ("eks.amazonaws.com", name) if EKS_NAMES.contains(&name) => capacity(rec)?,
            ("ecs.amazonaws.com", name) if ECS_NAMES.contains(&name) => capacity(rec)?,
            ("batch.amazonaws.com", name) if BATCH_NAMES.contains(&name) => capacity(rec)?,
            ("elasticmapreduce.amazonaws.com", name) if EMR_NAMES.contains(&name) => capacity(rec)?,
            ("servicequotas.amazonaws.com", QUOTA_INCREASE) => accelerated_quota_increase(rec)?,
            _ => return None,
        };
        fire(with_error(e.with("succeeded", rec.succeeded()), rec))
    }
}

/// The evidence of a template, fleet or group that asks for GPU capacity (a
/// Capacity Block's request names an offering: its answer names the type).
fn capacity(rec: &Record) -> Option<Evidence> {
    let asked_in = |v: Option<&Value>| v.and_then(asks_for_gpu);
    // The older form of a resize names the attribute and its value apart:
    // `{"attribute": "instanceType", "value": "p4d.24xlarge"}`.
    let attribute_form = || {
        rec.request_param_str("attribute")
            .is_some_and(|a| a.trim().eq_ignore_ascii_case("instanceType"))
            .then(|| rec.request_param_str("value").and_then(accelerated_type))
            .flatten()
    };
    let (asked, why) = asked_in(rec.request_parameters()).or_else(attribute_form).or_else(|| {
        (rec.event_name() == "PurchaseCapacityBlock")
            .then(|| asked_in(rec.response_elements()))
            .flatten()
    })?;
    Some(call_context(rec).with("instance_type", asked).with("reason", why))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::compute_testing::{ACCESS_DENIED, DENIED, IAM_USER, ROLE, SERVICE, record};
    use crate::detections::common::testing::{fired_evidence, fires};

    fn evidence(json: &str) -> Evidence {
        fired_evidence(&ComputeGpuCapacityPrepared, json)
    }

    /// From a third evasion review and its review: EMR clusters of GPU types, by
    /// instance group, fleet or the uniform cluster's own fields.
    #[test]
    fn gpu_emr_clusters_fire() {
        for params in [
            r#"{"name":"etl","instances":{"instanceGroups":[{"instanceRole":"CORE","instanceType":"p3.16xlarge","instanceCount":20}]}}"#,
            r#"{"name":"etl","instances":{"masterInstanceType":"m5.xlarge","slaveInstanceType":"p4d.24xlarge","instanceCount":8}}"#,
            r#"{"name":"etl","instances":{"instanceFleets":[{"instanceFleetType":"CORE","instanceTypeConfigs":[{"instanceType":"g5.48xlarge"}]}]}}"#,
        ] {
            assert!(fires(&ComputeGpuCapacityPrepared, &record("elasticmapreduce.amazonaws.com", "RunJobFlow", ROLE, params, "")), "{params}");
        }
        let cpu = r#"{"name":"etl","instances":{"masterInstanceType":"m5.xlarge","slaveInstanceType":"r5.4xlarge","instanceCount":8}}"#;
        assert!(!fires(&ComputeGpuCapacityPrepared, &record("elasticmapreduce.amazonaws.com", "RunJobFlow", ROLE, cpu, "")));
    }

    /// From a second evasion review: an existing CPU fleet switched to GPUs.
    #[test]
    fn a_fleet_switched_to_gpus_by_its_overrides_fires() {
        for (name, ty) in [("ModifyFleet", "p4d.24xlarge"), ("ModifySpotFleetRequest", "g5.12xlarge")] {
            let rec = record("ec2.amazonaws.com", name, ROLE, &format!(
                r#"{{"{name}Request":{{"FleetId":"fleet-1a2b3c4d","TargetCapacitySpecification":{{"TotalTargetCapacity":40}},
                "LaunchTemplateConfig":{{"LaunchTemplateSpecification":{{"LaunchTemplateId":"lt-0abc1234def567890","Version":"1"}},
                "Overrides":{{"InstanceType":"{ty}","tag":1}},"tag":1}}}}}}"#), "");
            assert_eq!(evidence(&rec).get("instance_type").and_then(|v| v.as_str()), Some(ty), "{name}");
            let cpu = rec.replace(ty, "c5.large");
            assert!(!fires(&ComputeGpuCapacityPrepared, &cpu), "{name}");
            let capacity_only = record("ec2.amazonaws.com", name, ROLE,
                &format!(r#"{{"{name}Request":{{"FleetId":"fleet-1","TargetCapacitySpecification":{{"TotalTargetCapacity":40}}}}}}"#), "");
            assert!(!fires(&ComputeGpuCapacityPrepared, &capacity_only), "{name}");
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

    /// From a review: GPU capacity without a launch call.
    #[test]
    fn a_resize_a_reservation_or_a_capacity_block_of_gpus_fires() {
        let resize = |ty: &str| {
            record("ec2.amazonaws.com", "ModifyInstanceAttribute", ROLE,
                &format!(r#"{{"instanceId":"i-0a1b2c3d4e5f60718","instanceType":{{"value":"{ty}"}}}}"#), "")
        };
        assert_eq!(evidence(&resize("p4d.24xlarge")).get("instance_type").unwrap(), "p4d.24xlarge");
        assert!(!fires(&ComputeGpuCapacityPrepared, &resize("m5.large")));
        // The attribute and its value apart (a review of this change).
        let legacy = |ty: &str| {
            record("ec2.amazonaws.com", "ModifyInstanceAttribute", ROLE,
                &format!(r#"{{"instanceId":"i-0a1b2c3d4e5f60718","attribute":"instanceType","value":"{ty}"}}"#), "")
        };
        assert_eq!(evidence(&legacy("p4d.24xlarge")).get("instance_type").unwrap(), "p4d.24xlarge");
        assert!(!fires(&ComputeGpuCapacityPrepared, &legacy("m5.large")));
        let user_data = record("ec2.amazonaws.com", "ModifyInstanceAttribute", ROLE,
            r#"{"instanceId":"i-0a1b2c3d4e5f60718","userData":"<sensitiveDataRemoved>"}"#, "");
        assert!(!fires(&ComputeGpuCapacityPrepared, &user_data));
        let reservation = record("ec2.amazonaws.com", "CreateCapacityReservation", ROLE,
            r#"{"CreateCapacityReservationRequest":{"InstanceType":"p5.48xlarge","InstancePlatform":"Linux/UNIX","AvailabilityZone":"us-east-1a","InstanceCount":2}}"#, "");
        assert_eq!(evidence(&reservation).get("instance_type").unwrap(), "p5.48xlarge");
        let fleet = record("ec2.amazonaws.com", "CreateCapacityReservationFleet", ROLE,
            r#"{"CreateCapacityReservationFleetRequest":{"InstanceTypeSpecification":[{"InstanceType":"g5.48xlarge","InstancePlatform":"Linux/UNIX","Weight":1}],"TotalTargetCapacity":8}}"#, "");
        assert!(fires(&ComputeGpuCapacityPrepared, &fleet));
        let block = |ty: &str| {
            record("ec2.amazonaws.com", "PurchaseCapacityBlock", ROLE,
                r#"{"PurchaseCapacityBlockRequest":{"CapacityBlockOfferingId":"cb-0a1b2c3d4e5f60718","InstancePlatform":"Linux/UNIX"}}"#,
                &format!(r#""responseElements":{{"PurchaseCapacityBlockResponse":{{"capacityReservation":{{"instanceType":"{ty}","totalInstanceCount":1}}}}}},"#))
        };
        assert_eq!(evidence(&block("p5.48xlarge")).get("instance_type").unwrap(), "p5.48xlarge");
        assert!(!fires(&ComputeGpuCapacityPrepared, &block("m7i.large")));
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
        // General-purpose candidates of any size are cluster scaling, not GPU capacity.
        let big = fleet.replace("g4dn.12xlarge", "m6i.24xlarge").replace("m5.large", "m5.metal");
        assert!(!fires(&ComputeGpuCapacityPrepared, &record("ec2.amazonaws.com", "CreateFleet", ROLE, &big, "")));
    }

    #[test]
    fn attribute_based_selection_of_accelerators_fires() {
        for (requirements, asked) in [
            (r#"{"AcceleratorCount":{"Min":1},"VCpuCount":{"Min":4}}"#, "AcceleratorCount min 1"),
            (r#"{"AcceleratorCount":{"Min":"2"}}"#, "AcceleratorCount min 2"),
            (r#"{"AcceleratorType":{"tag":1,"content":"gpu"}}"#, "AcceleratorTypes gpu"),
            (r#"{"AcceleratorTypes":{"item":["fpga"]}}"#, "AcceleratorTypes fpga"),
            (r#"{"AllowedInstanceTypes":[{"tag":1,"content":"c6i.*"},{"tag":2,"content":"p5.*"}]}"#, "p5.*"),
            (r#"{"AllowedInstanceTypes":["g*"]}"#, "g*"),
            (r#"{"AcceleratorName":{"tag":1,"content":"h100"}}"#, "AcceleratorNames h100"),
            (r#"{"AcceleratorNames":["a100"]}"#, "AcceleratorNames a100"),
            (r#"{"AcceleratorManufacturer":{"tag":1,"content":"nvidia"}}"#, "AcceleratorManufacturers nvidia"),
            (r#"{"AcceleratorTotalMemoryMiB":{"Min":40000}}"#, "AcceleratorTotalMemoryMiB min 40000"),
        ] {
            let fleet = format!(
                r#"{{"CreateFleetRequest":{{"LaunchTemplateConfigs":{{"Overrides":{{"InstanceRequirements":{requirements}}}}}}}}}"#
            );
            let e = evidence(&record("ec2.amazonaws.com", "CreateFleet", ROLE, &fleet, ""));
            assert_eq!(e.get("instance_type").unwrap(), asked, "{requirements}");
        }
        for requirements in [
            r#"{"AcceleratorCount":{"Min":0,"Max":0}}"#,
            r#"{"AcceleratorTypes":["none"]}"#,
            r#"{"AllowedInstanceTypes":["c6i.*","m*","gp*"]}"#,
            r#"{"VCpuCount":{"Min":64}}"#,
            r#"{"AcceleratorTotalMemoryMiB":{"Min":0}}"#,
            r#"{"AcceleratorManufacturers":["intel"]}"#,
        ] {
            let fleet = format!(
                r#"{{"CreateFleetRequest":{{"LaunchTemplateConfigs":{{"Overrides":{{"InstanceRequirements":{requirements}}}}}}}}}"#
            );
            assert!(!fires(&ComputeGpuCapacityPrepared, &record("ec2.amazonaws.com", "CreateFleet", ROLE, &fleet, "")), "{requirements}");
        }
    }

    /// From an evasion review: ECS Managed Instances launch from the capacity
    /// provider's requirements themselves.
    #[test]
    fn ecs_managed_instance_capacity_providers_fire() {
        let provider = r#"{"name":"gpu-pool","managedInstancesProvider":{"infrastructureRoleArn":"arn:aws:iam::111122223333:role/ecsInfra",
            "instanceLaunchTemplate":{"ec2InstanceProfileArn":"arn:aws:iam::111122223333:instance-profile/ecsInstance",
            "instanceRequirements":{"vCpuCount":{"min":8},"memoryMiB":{"min":32768},"acceleratorTypes":["gpu"],"allowedInstanceTypes":["p5.*"]}}}}"#;
        for name in ECS_NAMES {
            assert!(fires(&ComputeGpuCapacityPrepared, &record("ecs.amazonaws.com", name, ROLE, provider, "")), "{name}");
        }
        let general = provider.replace(r#","acceleratorTypes":["gpu"],"allowedInstanceTypes":["p5.*"]"#, "");
        assert!(!fires(&ComputeGpuCapacityPrepared, &record("ecs.amazonaws.com", "CreateCapacityProvider", ROLE, &general, "")));
        let auto_scaling = r#"{"name":"asg-pool","autoScalingGroupProvider":{"autoScalingGroupArn":"arn:aws:autoscaling:us-east-1:111122223333:autoScalingGroup:x"}}"#;
        assert!(!fires(&ComputeGpuCapacityPrepared, &record("ecs.amazonaws.com", "CreateCapacityProvider", ROLE, auto_scaling, "")));
    }

    #[test]
    fn auto_scaling_groups_and_launch_configurations_fire() {
        let group = r#"{"autoScalingGroupName":"workers","minSize":0,"maxSize":40,"desiredCapacity":40,
            "mixedInstancesPolicy":{"launchTemplate":{"launchTemplateSpecification":{"launchTemplateId":"lt-0abc"},
            "overrides":[{"instanceType":"t3.large"},{"instanceType":"p4d.24xlarge"}]}}}"#;
        for name in ["CreateAutoScalingGroup", "UpdateAutoScalingGroup"] {
            let e = evidence(&record("autoscaling.amazonaws.com", name, ROLE, group, ""));
            assert_eq!(e.get("instance_type").unwrap(), "p4d.24xlarge");
        }
        let config = r#"{"launchConfigurationName":"lc-1","imageId":"ami-0abc","instanceType":"g5.48xlarge"}"#;
        assert!(fires(&ComputeGpuCapacityPrepared, &record("autoscaling.amazonaws.com", "CreateLaunchConfiguration", IAM_USER, config, "")));
        // A group that names only its template: judged when the template was made.
        let by_template = r#"{"autoScalingGroupName":"workers","launchTemplate":{"launchTemplateId":"lt-0abc"},"maxSize":40}"#;
        assert!(!fires(&ComputeGpuCapacityPrepared, &record("autoscaling.amazonaws.com", "CreateAutoScalingGroup", ROLE, by_template, "")));
    }

    #[test]
    fn eks_node_groups_and_batch_environments_fire() {
        let nodes = r#"{"clusterName":"ml","nodegroupName":"train","instanceTypes":["g5.12xlarge"],
            "amiType":"AL2_x86_64_GPU","scalingConfig":{"minSize":0,"maxSize":20,"desiredSize":20}}"#;
        let e = evidence(&record("eks.amazonaws.com", "CreateNodegroup", ROLE, nodes, ""));
        assert_eq!(e.get("instance_type").unwrap(), "g5.12xlarge");
        let general = nodes.replace("g5.12xlarge", "m6i.large");
        assert!(!fires(&ComputeGpuCapacityPrepared, &record("eks.amazonaws.com", "CreateNodegroup", ROLE, &general, "")));
        let batch = r#"{"computeEnvironmentName":"render","type":"MANAGED",
            "computeResources":{"type":"SPOT","maxvCpus":2048,"instanceTypes":["optimal","p3"]}}"#;
        for name in ["CreateComputeEnvironment", "UpdateComputeEnvironment"] {
            let e = evidence(&record("batch.amazonaws.com", name, IAM_USER, batch, ""));
            assert_eq!(e.get("instance_type").unwrap(), "p3", "{name}");
        }
        for types in [r#"["optimal"]"#, r#"["c5","m5.large","gp"]"#] {
            let other = batch.replace(r#"["optimal","p3"]"#, types);
            assert!(!fires(&ComputeGpuCapacityPrepared, &record("batch.amazonaws.com", "CreateComputeEnvironment", IAM_USER, &other, "")), "{types}");
        }
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
        // Every Spot code of the accelerated families decides alone when refused.
        for code in ["L-C4BD4855", "L-6B0D517C", "L-B5D1601B", "L-85EED4F7", "L-88CF9481", "L-7212CCBC"] {
            assert!(fires(&ComputeGpuCapacityPrepared, &quota(code, "null", ACCESS_DENIED)), "{code}");
        }
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
            ("All P5 Spot Instance Requests", true),
            ("All P4, P3 and P2 Spot Instance Requests", true),
            ("Running On-Demand Inf instances", true),
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
