//! SageMaker asked for GPU or other accelerated instances, successfully: a
//! training, tuning, processing or transform job, a notebook instance (created or
//! resized), an endpoint configuration or a HyperPod cluster (created or updated)
//! whose request names an `ml.` instance type of an accelerated family (`p`, `g`,
//! `gr`, `inf`, `trn`, `dl`, `f`, `vt`, as `common::unusual_instance_type` tells
//! them).
//!
//! Decisions: SageMaker launches the instances itself, in its own service account,
//! so neither `ec2-unusual-instance-type-launched` nor
//! `compute-gpu-capacity-prepared` sees them, and a miner with stolen keys gets
//! GPUs billed to the account through a training job as well as through EC2 (from
//! an evasion review). The instance type is read wherever the request names one
//! (`instanceType`, in any nesting: a job's `resourceConfig` or its instance
//! groups, a processing job's `clusterConfig`, an endpoint's production variants,
//! a cluster's instance groups). Only the accelerated families count: SageMaker's
//! large general-purpose and memory sizes are ordinary data work. Jobs started by
//! AWS services on their own (SageMaker Pipelines' steps carry the pipeline's
//! caller) are left out; a stack's count. Teams that train on GPUs every day
//! should tune the detection by their execution roles or callers.

use serde_json::Value;

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    aws_service_caller_but_stack, instance_type_text, request_text_any, succeeded_call, unusual_instance_type,
    values_at_key,
};
use crate::event::Record;

pub struct SageMakerGpuComputeRequested;

const SAGEMAKER: &str = "sagemaker.amazonaws.com";
const CALLS: &[&str] = &[
    "CreateCluster",
    "CreateEndpointConfig",
    "CreateHyperParameterTuningJob",
    "CreateNotebookInstance",
    "CreateProcessingJob",
    "CreateTrainingJob",
    "CreateTransformJob",
    "UpdateCluster",
    "UpdateNotebookInstance",
];

pub static META: Meta = Meta {
    id: "sagemaker-gpu-compute-requested",
    title: "AWS SageMaker GPU Instances Requested",
    description: "A SageMaker job, notebook instance, endpoint configuration or HyperPod \
                  cluster asked for GPU or other accelerated instances. SageMaker runs them \
                  in its own service account, out of sight of the EC2 detections, and \
                  cryptocurrency miners with stolen credentials use training jobs to get \
                  GPUs billed to the account.",
    severity: Severity::Medium,
    attack: &["T1496"],
    origins: &[
        "trailwatch: from an evasion review (GPU capacity through SageMaker rather than EC2, \
         beside compute-gpu-capacity-prepared)",
    ],
    group: "hijacking",
    false_positives: &[
        "Machine-learning teams training or serving models on GPUs: exclude their SageMaker \
         execution roles or the callers that start their jobs.",
    ],
    next_steps: "Ask the account's owners whether the job or instance was planned. If not, \
                 stop it (StopTrainingJob, StopNotebookInstance, DeleteEndpoint, DeleteCluster), \
                 look at the container image and the code it ran, and contain the identity \
                 that made the call.",
    triggers: &[Trigger::write(SAGEMAKER, CALLS)],
    window: None,
};

/// The accelerated `ml.` instance types a request names, trimmed, without
/// repeats, in request order.
fn accelerated_types(params: &Value) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for v in ["instanceType", "InstanceType"]
        .into_iter()
        .flat_map(|k| values_at_key(params, k))
    {
        let Some(text) = instance_type_text(v).map(str::trim) else {
            continue;
        };
        let accelerated = text
            .get(..3)
            .filter(|p| p.eq_ignore_ascii_case("ml."))
            .and_then(|_| text.get(3..))
            .and_then(unusual_instance_type)
            == Some("accelerated");
        if accelerated && !out.contains(&text) {
            out.push(text);
        }
    }
    out
}

impl Detection for SageMakerGpuComputeRequested {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, SAGEMAKER, CALLS) || aws_service_caller_but_stack(rec) {
            return None;
        }
        let types = accelerated_types(rec.request_parameters()?);
        if types.is_empty() {
            return None;
        }
        let name = request_text_any(rec, &[
            "trainingJobName",
            "hyperParameterTuningJobName",
            "processingJobName",
            "transformJobName",
            "notebookInstanceName",
            "endpointConfigName",
            "clusterName",
        ]);
        fire(
            Evidence::new()
                .with("api", rec.event_name())
                .with_opt("resource", name)
                .with("instance_types", types),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::compute_testing::{ROLE, record};
    use crate::detections::common::testing::{eval, fires};
    use serde_json::json;

    fn types(name: &str, params: &str) -> Option<Value> {
        match eval(&SageMakerGpuComputeRequested, &record(SAGEMAKER, name, ROLE, params, "")) {
            Some(Signal::Fire(e)) => e.get("instance_types").cloned(),
            None => None,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn accelerated_instances_in_every_request_shape_fire() {
        for (name, params, want) in [
            (
                "CreateTrainingJob",
                r#"{"trainingJobName":"t1","resourceConfig":{"instanceType":"ml.p4d.24xlarge","instanceCount":4}}"#,
                json!(["ml.p4d.24xlarge"]),
            ),
            (
                "CreateTrainingJob",
                r#"{"trainingJobName":"t2","resourceConfig":{"instanceGroups":[{"instanceType":"ml.c5.xlarge"},{"instanceType":" ML.G5.12XLARGE "}]}}"#,
                json!(["ML.G5.12XLARGE"]),
            ),
            (
                "CreateProcessingJob",
                r#"{"processingJobName":"p","processingResources":{"clusterConfig":{"instanceType":"ml.trn1.32xlarge","instanceCount":1}}}"#,
                json!(["ml.trn1.32xlarge"]),
            ),
            ("CreateNotebookInstance", r#"{"notebookInstanceName":"n","instanceType":"ml.p3.2xlarge"}"#, json!(["ml.p3.2xlarge"])),
            ("UpdateNotebookInstance", r#"{"notebookInstanceName":"n","instanceType":"ml.g4dn.xlarge"}"#, json!(["ml.g4dn.xlarge"])),
            (
                "CreateEndpointConfig",
                r#"{"endpointConfigName":"e","productionVariants":[{"variantName":"a","instanceType":"ml.inf2.48xlarge"},{"variantName":"b","instanceType":"ml.inf2.48xlarge"}]}"#,
                json!(["ml.inf2.48xlarge"]),
            ),
            (
                "CreateCluster",
                r#"{"clusterName":"hp","instanceGroups":[{"instanceGroupName":"w","InstanceType":"ml.p5.48xlarge","instanceCount":8}]}"#,
                json!(["ml.p5.48xlarge"]),
            ),
        ] {
            assert_eq!(types(name, params), Some(want), "{name} {params}");
        }
    }

    #[test]
    fn general_purpose_failures_services_and_other_sources_do_not() {
        for params in [
            r#"{"trainingJobName":"t","resourceConfig":{"instanceType":"ml.m5.24xlarge"}}"#,
            r#"{"trainingJobName":"t","resourceConfig":{"instanceType":"ml.r5.metal"}}"#,
            r#"{"trainingJobName":"t","resourceConfig":{"instanceType":"p4d.24xlarge"}}"#,
            r#"{"trainingJobName":"t","resourceConfig":{"instanceType":"ml.g"}}"#,
            r#"{"trainingJobName":"t","resourceConfig":{"instanceType":"ml.ĝ5.xlarge"}}"#,
            r#"{"trainingJobName":"t"}"#,
            "null",
        ] {
            assert_eq!(types("CreateTrainingJob", params), None, "{params}");
        }
        let gpu = r#"{"trainingJobName":"t","resourceConfig":{"instanceType":"ml.p4d.24xlarge"}}"#;
        let denied = record(SAGEMAKER, "CreateTrainingJob", ROLE, gpu, r#""errorCode":"AccessDeniedException","#);
        assert!(!fires(&SageMakerGpuComputeRequested, &denied));
        let service = r#"{"type":"AWSService","invokedBy":"sagemaker.amazonaws.com"}"#;
        assert!(!fires(&SageMakerGpuComputeRequested, &record(SAGEMAKER, "CreateTrainingJob", service, gpu, "")));
        assert!(!fires(&SageMakerGpuComputeRequested, &record("ec2.amazonaws.com", "CreateTrainingJob", ROLE, gpu, "")));
        assert!(!fires(&SageMakerGpuComputeRequested, &record(SAGEMAKER, "DescribeTrainingJob", ROLE, gpu, "")));
    }
}
