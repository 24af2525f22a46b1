//! SageMaker asked for GPU or other accelerated instances, successfully: a
//! training, tuning, processing or transform job, a notebook instance (created or
//! resized), an endpoint configuration or a HyperPod cluster (created or updated)
//! whose request names an `ml.` instance type of an accelerated family (`p`, `g`,
//! `gr`, `inf`, `trn`, `dl`, `f`, `vt`, as `common::unusual_instance_type` tells
//! them).
//!
//! Pipelines (`CreatePipeline`, `UpdatePipeline`) are judged by the instance types
//! their definition's steps name, and Studio apps (`CreateApp`) by theirs.
//!
//! Decisions: SageMaker launches the instances itself, in its own service account,
//! so neither `ec2-unusual-instance-type-launched` nor
//! `compute-gpu-capacity-prepared` sees them, and a miner with stolen keys gets
//! GPUs billed to the account through a training job as well as through EC2 (from
//! an evasion review). The instance type is read wherever the request names one
//! (`instanceType`, in any nesting: a job's `resourceConfig` or its instance
//! groups, a processing job's `clusterConfig`, an endpoint's production variants,
//! a cluster's instance groups). Only the accelerated families count: SageMaker's
//! large general-purpose and memory sizes are ordinary data work. Keys inside the
//! caller's own maps (hyper-parameters, environment, tags) ask for nothing, and a
//! group scaled to zero instances is no request, unless the cluster scales itself
//! (HyperPod with Karpenter, whose groups start at zero). Jobs SageMaker starts itself
//! (`invokedBy` SageMaker: a pipeline's steps, a tuning job's training jobs) are
//! left out, since their pipeline or tuning job is judged when it is created or
//! updated (from a review: a pipeline was an unwatched way in); a pipeline whose
//! steps take their type from a parameter's default is not seen. A stack's calls
//! count. Teams that train on GPUs every day should tune the detection by their
//! execution roles or callers.
//!
//! From a second evasion review: an optimization job's `deploymentInstanceType`
//! counts as an instance type; a training plan (`CreateTrainingPlan`) reserves
//! accelerated capacity whatever its offering (plans offer no other kind) and
//! always counts; Bedrock's marketplace model endpoints
//! (`CreateMarketplaceModelEndpoint`, `UpdateMarketplaceModelEndpoint`) run on
//! SageMaker instances their `endpointConfig` names, launched by Bedrock, so
//! they are judged here; and Bedrock provisioned throughput
//! (`CreateProvisionedModelThroughput`: model units billed by the hour, or for
//! one or six months' commitment) always counts, its units and commitment in
//! the evidence.
//!
//! Provisioned throughput bought without a commitment for a custom model of the
//! call's own account (`modelId` an ARN of this account's `custom-model/`), of at
//! most two model units, is low: that is how a fine-tuned model is evaluated,
//! billed by the hour. A foundation model, another account's model, a model
//! named otherwise, more units (an evasion review) or any commitment stays
//! medium (a review of false positives (ninth session)).

use serde_json::Value;

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    arn_account, aws_service_caller_but_stack, instance_type_text, request_text_any, succeeded_call, unusual_instance_type,
};
use crate::event::Record;

pub struct SageMakerGpuComputeRequested;

const SAGEMAKER: &str = "sagemaker.amazonaws.com";
const CALLS: &[&str] = &[
    "CreateApp",
    "CreateCluster",
    "CreateEndpointConfig",
    "CreateHyperParameterTuningJob",
    "CreateNotebookInstance",
    "CreatePipeline",
    "CreateProcessingJob",
    "CreateTrainingJob",
    "CreateTransformJob",
    "CreateOptimizationJob",
    "CreateTrainingPlan",
    "UpdateCluster",
    "UpdateNotebookInstance",
    "UpdatePipeline",
];
const BEDROCK: &str = "bedrock.amazonaws.com";
const BEDROCK_CALLS: &[&str] = &[
    "CreateMarketplaceModelEndpoint",
    "CreateProvisionedModelThroughput",
    "UpdateMarketplaceModelEndpoint",
];
/// Calls that reserve accelerated capacity whatever their request says.
const ALWAYS_ACCELERATED: &[&str] = &["CreateProvisionedModelThroughput", "CreateTrainingPlan"];

pub static META: Meta = Meta {
    id: "sagemaker-gpu-compute-requested",
    title: "AWS SageMaker GPU Instances Requested",
    description: "A SageMaker job, pipeline, notebook instance, Studio app, endpoint \
                  configuration, HyperPod cluster or training plan (or a Bedrock marketplace \
                  endpoint or provisioned throughput) asked for GPU or other accelerated \
                  capacity. SageMaker runs it \
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
    evidence: "api commitment domain_id instance_types model model_units offering resource \
        space_or_user_profile",
    triggers: &[Trigger::write(SAGEMAKER, CALLS), Trigger::write(BEDROCK, BEDROCK_CALLS)],
    window: None,
};

/// Subtrees whose keys are the caller's own names (a job's hyper-parameters, a
/// container's environment, tags): an `InstanceType` there asks for nothing.
const FREE_FORM: [&str; 3] = ["hyperparameters", "environment", "tags"];

/// The accelerated `ml.` instance types a request asks for, trimmed, without
/// repeats, in request order: every `instanceType` (in any letter case) and every
/// item of an `instanceTypes` list (HyperPod's flexible instance groups), except
/// in the caller's free-form maps and in a group whose `instanceCount` is 0 (a
/// HyperPod update restates every group, scaled down ones included), unless the
/// cluster scales itself ([`autoscaled`]).
fn accelerated_types(params: &Value) -> Vec<&str> {
    fn walk<'v>(v: &'v Value, out: &mut Vec<&'v str>, depth: usize, zero_asks: bool) {
        if depth > 32 {
            return;
        }
        match v {
            Value::Array(items) => items.iter().for_each(|i| walk(i, out, depth + 1, zero_asks)),
            Value::Object(map) => {
                // A group scaled to zero asks for nothing, its flexible types included.
                let scaled_to_zero = !zero_asks && map.iter().any(|(k, c)| {
                    k.eq_ignore_ascii_case("instanceCount") && (c.as_u64() == Some(0) || c.as_str().is_some_and(|t| t.trim() == "0"))
                });
                if scaled_to_zero {
                    return;
                }
                for (key, value) in map {
                    let key_lower = key.to_ascii_lowercase();
                    if FREE_FORM.contains(&key_lower.as_str()) {
                        continue;
                    }
                    let named: Vec<&str> = match key_lower.as_str() {
                        "instancetype" | "deploymentinstancetype" => instance_type_text(value).into_iter().collect(),
                        "instancetypes" => {
                            value.as_array().into_iter().flatten().filter_map(Value::as_str).collect()
                        }
                        _ => {
                            walk(value, out, depth + 1, zero_asks);
                            Vec::new()
                        }
                    };
                    for text in named.into_iter().map(str::trim) {
                        if accelerated(text) && !out.contains(&text) {
                            out.push(text);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(params, &mut out, 0, autoscaled(params));
    out
}

/// A HyperPod cluster that scales itself (`autoScaling.mode` `Enable`, Karpenter):
/// its groups must start at zero instances, and the service launches their types
/// when work asks for them, with no later call of the caller's to see (from a
/// review: a GPU cluster made that way went unreported).
fn autoscaled(params: &Value) -> bool {
    let Some(map) = params.as_object() else {
        return false;
    };
    map.iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("autoScaling"))
        .filter_map(|(_, v)| v.as_object())
        .flat_map(|o| o.iter())
        .any(|(k, v)| k.eq_ignore_ascii_case("mode") && v.as_str().is_some_and(|m| m.trim().eq_ignore_ascii_case("enable")))
}

/// An `ml.` instance type of an accelerated family.
fn accelerated(text: &str) -> bool {
    text.get(..3)
        .filter(|p| p.eq_ignore_ascii_case("ml."))
        .and_then(|_| text.get(3..))
        .and_then(unusual_instance_type)
        == Some("accelerated")
}

/// The pipeline definition of `CreatePipeline` or `UpdatePipeline` (JSON text),
/// whose steps name their instance types (`InstanceType`).
fn pipeline_definition(rec: &Record<'_>) -> Option<Value> {
    rec.request_param_str("pipelineDefinition")
        .and_then(|text| crate::event::surrogates::parse_value(text.trim()))
}

/// Bedrock provisioned throughput with no commitment (`commitmentDuration`
/// absent, null or blank) for a custom model of the record's own account: a
/// `modelId` ARN of Bedrock whose account is the record's and whose resource is
/// a `custom-model/`; and at most [`EVALUATION_MODEL_UNITS`] model units (an
/// evasion review: forty units of one's own model by the hour cost as much as
/// a committed foundation model).
fn own_custom_model_by_the_hour(rec: &Record<'_>) -> bool {
    if rec.event_source() != BEDROCK || rec.event_name() != "CreateProvisionedModelThroughput" {
        return false;
    }
    let committed = match rec.request_param("commitmentDuration") {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.trim().is_empty(),
        Some(_) => true,
    };
    let own_custom_model = request_text_any(rec, &["modelId"]).is_some_and(|model| {
        let model = model.trim();
        let parts: Vec<&str> = model.splitn(6, ':').collect();
        matches!(parts.as_slice(), [_, _, "bedrock", _, _, resource] if resource.starts_with("custom-model/"))
            && arn_account(model).is_some_and(|account| rec.account_id() == Some(account))
    });
    let units = rec.request_param("modelUnits").and_then(|v| match v {
        Value::Number(n) => n.as_u64(),
        Value::String(t) => t.trim().parse().ok(),
        _ => None,
    });
    !committed && own_custom_model && units.is_some_and(|u| u <= EVALUATION_MODEL_UNITS)
}

/// The model units an evaluation of one's own fine-tuned model takes: Bedrock's
/// default quota for provisioned throughput without commitment.
const EVALUATION_MODEL_UNITS: u64 = 2;

impl Detection for SageMakerGpuComputeRequested {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn severity_for(&self, rec: &Record<'_>) -> Severity {
        if own_custom_model_by_the_hour(rec) {
            Severity::Low
        } else {
            META.severity
        }
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !(succeeded_call(rec, SAGEMAKER, CALLS) || succeeded_call(rec, BEDROCK, BEDROCK_CALLS))
            || aws_service_caller_but_stack(rec)
        {
            return None;
        }
        if ALWAYS_ACCELERATED.contains(&rec.event_name()) {
            return fire(
                Evidence::new()
                    .with("api", rec.event_name())
                    .with_opt("resource", request_text_any(rec, &["trainingPlanName", "provisionedModelName"]))
                    .with_opt("offering", request_text_any(rec, &["trainingPlanOfferingId"]))
                    .with_opt("model", request_text_any(rec, &["modelId"]))
                    .with_json("model_units", rec.request_param("modelUnits"))
                    .with_opt("commitment", request_text_any(rec, &["commitmentDuration"])),
            );
        }
        let definition = matches!(rec.event_name(), "CreatePipeline" | "UpdatePipeline")
            .then(|| pipeline_definition(rec))
            .flatten();
        let types = match &definition {
            Some(d) => accelerated_types(d),
            None => accelerated_types(rec.request_parameters()?),
        };
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
            "pipelineName",
            "appName",
            "optimizationJobName",
            "endpointName",
            "endpointArn",
        ]);
        fire(
            Evidence::new()
                .with("api", rec.event_name())
                .with_opt("resource", name)
                // A Studio app is nearly always named `default`: its domain and
                // space (or user profile) say whose it is.
                .with_opt("domain_id", request_text_any(rec, &["domainId"]))
                .with_opt("space_or_user_profile", request_text_any(rec, &["spaceName", "userProfileName"]))
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

    /// From a review: HyperPod's flexible groups, pipelines and Studio apps count;
    /// a group scaled to zero and the caller's own maps do not.
    #[test]
    fn flexible_groups_pipelines_and_apps_count_and_free_form_maps_do_not() {
        let flexible = r#"{"clusterName":"hp","instanceGroups":[{"instanceGroupName":"w","instanceRequirements":{"instanceTypes":["ml.c5.xlarge","ml.p5.48xlarge"]},"instanceCount":16}]}"#;
        assert_eq!(types("CreateCluster", flexible), Some(json!(["ml.p5.48xlarge"])));
        let definition = serde_json::to_string(
            r#"{"Version":"2020-12-01","Steps":[{"Name":"Train","Type":"Training","Arguments":{"ResourceConfig":{"InstanceType":"ml.p4d.24xlarge","InstanceCount":2}}}]}"#,
        )
        .unwrap();
        let pipeline = format!(r#"{{"pipelineName":"nightly","pipelineDefinition":{definition},"roleArn":"arn:aws:iam::111122223333:role/Pipe"}}"#);
        assert_eq!(types("CreatePipeline", &pipeline), Some(json!(["ml.p4d.24xlarge"])));
        assert_eq!(types("UpdatePipeline", &pipeline), Some(json!(["ml.p4d.24xlarge"])));
        let app = r#"{"domainId":"d-1","appType":"JupyterLab","appName":"default","resourceSpec":{"instanceType":"ml.g5.2xlarge"}}"#;
        assert_eq!(types("CreateApp", app), Some(json!(["ml.g5.2xlarge"])));
        match eval(&SageMakerGpuComputeRequested, &record(SAGEMAKER, "CreateApp", ROLE, app, "")) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("domain_id"), Some(&json!("d-1"))),
            other => panic!("expected a finding, got {other:?}"),
        }
        let scaled_down = r#"{"clusterName":"hp","instanceGroups":[{"instanceGroupName":"w","instanceType":"ml.p5.48xlarge","instanceCount":0},{"instanceGroupName":"c","instanceType":"ml.c5.xlarge","instanceCount":2}]}"#;
        assert_eq!(types("UpdateCluster", scaled_down), None);
        let flexible_down = r#"{"clusterName":"hp","instanceGroups":[{"instanceGroupName":"w","instanceRequirements":{"instanceTypes":["ml.p5.48xlarge"]},"instanceCount":0}]}"#;
        assert_eq!(types("UpdateCluster", flexible_down), None);
        // A cluster that scales itself starts its groups at zero: they ask all the same.
        let karpenter = flexible_down.replace(
            r#""clusterName":"hp","#,
            r#""clusterName":"hp","autoScaling":{"mode":"Enable","autoScalerType":"Karpenter"},"#,
        );
        assert_eq!(types("CreateCluster", &karpenter), Some(json!(["ml.p5.48xlarge"])));
        let off = karpenter.replace(r#""mode":"Enable""#, r#""mode":"Disable""#);
        assert_eq!(types("UpdateCluster", &off), None);
        let in_hyperparameters = r#"{"trainingJobName":"t","hyperParameters":{"InstanceType":"ml.p3.2xlarge"},"environment":{"instanceType":"ml.p3.2xlarge"},"tags":[{"key":"instanceType","value":"ml.p3.2xlarge"}],"resourceConfig":{"instanceType":"ml.m5.xlarge"}}"#;
        assert_eq!(types("CreateTrainingJob", in_hyperparameters), None);
        let plain_pipeline = r#"{"pipelineName":"nightly","pipelineDefinition":"not json"}"#;
        assert_eq!(types("CreatePipeline", plain_pipeline), None);
    }

    /// From a second evasion review: optimization jobs, training plans and
    /// Bedrock's marketplace endpoints and provisioned throughput.
    #[test]
    fn optimization_jobs_training_plans_and_bedrock_capacity_fire() {
        let optimize = r#"{"optimizationJobName":"o","deploymentInstanceType":"ml.p4d.24xlarge","modelSource":{"s3":{"s3Uri":"s3://m/"}}}"#;
        assert_eq!(types("CreateOptimizationJob", optimize), Some(json!(["ml.p4d.24xlarge"])));
        let optimize_cpu = optimize.replace("ml.p4d.24xlarge", "ml.c5.xlarge");
        assert_eq!(types("CreateOptimizationJob", &optimize_cpu), None);
        let plan = r#"{"trainingPlanName":"tp-1","trainingPlanOfferingId":"tpo-0a1b2c3d4e5f6a7b8"}"#;
        match eval(&SageMakerGpuComputeRequested, &record(SAGEMAKER, "CreateTrainingPlan", ROLE, plan, "")) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("resource"), Some(&json!("tp-1")));
                assert_eq!(e.get("offering"), Some(&json!("tpo-0a1b2c3d4e5f6a7b8")));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let marketplace = r#"{"modelSourceIdentifier":"arn:aws:sagemaker:us-east-1:aws:hub-content/SageMakerPublicHub/Model/m/1.0.0",
            "endpointConfig":{"sageMaker":{"initialInstanceCount":4,"instanceType":"ml.p4d.24xlarge","executionRole":"arn:aws:iam::111122223333:role/X"}},
            "acceptEula":true,"endpointName":"llm-ep"}"#;
        let endpoint = |name: &str, params: &str| eval(&SageMakerGpuComputeRequested, &record(BEDROCK, name, ROLE, params, ""));
        for name in ["CreateMarketplaceModelEndpoint", "UpdateMarketplaceModelEndpoint"] {
            match endpoint(name, marketplace) {
                Some(Signal::Fire(e)) => {
                    assert_eq!(e.get("instance_types"), Some(&json!(["ml.p4d.24xlarge"])), "{name}");
                    assert_eq!(e.get("resource"), Some(&json!("llm-ep")), "{name}");
                }
                other => panic!("expected a finding for {name}, got {other:?}"),
            }
        }
        assert_eq!(endpoint("CreateMarketplaceModelEndpoint", &marketplace.replace("ml.p4d.24xlarge", "ml.m5.xlarge")), None);
        let throughput = r#"{"modelUnits":10,"provisionedModelName":"pm1","modelId":"anthropic.claude-3-haiku-20240307-v1:0:200k","commitmentDuration":"SixMonths"}"#;
        match endpoint("CreateProvisionedModelThroughput", throughput) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("model_units"), Some(&json!(10)));
                assert_eq!(e.get("commitment"), Some(&json!("SixMonths")));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let denied = record(BEDROCK, "CreateProvisionedModelThroughput", ROLE, throughput, r#""errorCode":"AccessDeniedException","#);
        assert!(!fires(&SageMakerGpuComputeRequested, &denied));
        // Training plans named on another service's call are not SageMaker's.
        assert!(!fires(&SageMakerGpuComputeRequested, &record(BEDROCK, "CreateTrainingPlan", ROLE, plan, "")));
        assert!(!fires(&SageMakerGpuComputeRequested, &record(SAGEMAKER, "CreateProvisionedModelThroughput", ROLE, throughput, "")));
    }

    fn severity(json: &str) -> Severity {
        SageMakerGpuComputeRequested.severity_for(&crate::event::Record::from_json(json).expect("test record parses"))
    }

    /// Ninth session, from a review of false positives: throughput without a
    /// commitment for this account's own custom model is low; a foundation
    /// model, another account's model or a commitment stays medium.
    #[test]
    fn own_custom_model_throughput_by_the_hour_is_low() {
        let custom = "arn:aws:bedrock:us-east-1:111122223333:custom-model/amazon.nova-lite-v1:0:300k/a1b2c3d4e5f6";
        let throughput = |model: &str, commitment: &str| {
            record(BEDROCK, "CreateProvisionedModelThroughput", ROLE,
                &format!(r#"{{"modelUnits":1,"provisionedModelName":"ft-eval","modelId":"{model}"{commitment}}}"#), "")
        };
        for commitment in ["", r#","commitmentDuration":null"#, r#","commitmentDuration":" ""#] {
            let rec = throughput(custom, commitment);
            assert!(fires(&SageMakerGpuComputeRequested, &rec), "{rec}");
            assert_eq!(severity(&rec), Severity::Low, "{rec}");
        }
        for (model, commitment) in [
            (custom, r#","commitmentDuration":"OneMonth""#),
            ("arn:aws:bedrock:us-east-1:444455556666:custom-model/amazon.nova-lite-v1:0:300k/a1b2c3d4e5f6", ""),
            ("arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0", ""),
            ("anthropic.claude-3-haiku-20240307-v1:0:200k", ""),
            ("my-fine-tuned-model", ""),
            ("arn:aws:bedrock:us-east-1:111122223333:imported-model/abc123", ""),
            ("arn:aws:sagemaker:us-east-1:111122223333:custom-model/x", ""),
        ] {
            let rec = throughput(model, commitment);
            assert!(fires(&SageMakerGpuComputeRequested, &rec), "{rec}");
            assert_eq!(severity(&rec), Severity::Medium, "{rec}");
        }
        // More units than an evaluation takes, or none said, stays medium.
        for units in [r#""modelUnits":40"#, r#""modelUnits":"3""#, r#""modelUnits":null"#] {
            let rec = throughput(custom, "").replace(r#""modelUnits":1"#, units);
            assert!(rec.contains(units), "{rec}");
            assert_eq!(severity(&rec), Severity::Medium, "{rec}");
        }
        let two = throughput(custom, "").replace(r#""modelUnits":1"#, r#""modelUnits":"2""#);
        assert_eq!(severity(&two), Severity::Low, "{two}");
        let gpu = r#"{"trainingJobName":"t","resourceConfig":{"instanceType":"ml.p4d.24xlarge"}}"#;
        assert_eq!(severity(&record(SAGEMAKER, "CreateTrainingJob", ROLE, gpu, "")), Severity::Medium);
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
