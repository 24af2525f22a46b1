//! One principal launching compute (EC2 instances, Spot requests, fleets, ECS clusters,
//! Auto Scaling groups, and the launches other services make for it: Batch compute
//! environments, EKS managed node groups, EMR clusters, SageMaker notebook
//! instances and jobs, CodeBuild builds, App Runner services, Lightsail
//! instances) in five or more
//! Regions within an hour, whatever the outcome.
//!
//! Decisions: whoever steals keys to mine cryptocurrency starts as much compute as the
//! account's quotas allow, and quotas are per Region, so the launches sweep Region
//! after Region; many of them fail on quotas or capacity, and those attempts are the
//! same sweep, so every outcome counts. Most organisations run in one to three Regions;
//! five within an hour is past an ordinary multi-Region deployment, and
//! Region-by-Region rollouts through CloudFormation StackSets (their execution roles,
//! `AWSCloudFormationStackSetExecutionRole` and `stacksets-exec-<32 hex digits>`) or Auto Scaling
//! come from AWS services, which are left out. A stack of the caller's own counts:
//! one stack per Region is as easy a sweep as one call per Region. The launches Auto Scaling makes are
//! such service calls, so the intruder's own `CreateAutoScalingGroup` is what counts
//! for a sweep done through groups. The group is the principal (the role for
//! assumed-role sessions, with its identity provider for a web identity session:
//! one autoscaler role trusted by several Regions' clusters is several workloads);
//! the count is `awsRegion`, so the detection needs every Region's records (the
//! organisation forwarders).

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, Repeats, Countable, WindowSpec};
use crate::detections::common::{
    aws_service_caller_but_stack, caller_evidence, is_event, region_per_principal,
};
use crate::event::Record;

pub struct ComputeLaunchedAcrossRegions;

const EC2: &str = "ec2.amazonaws.com";
const EC2_LAUNCHES: &[&str] = &["RunInstances", "RequestSpotInstances", "RequestSpotFleet", "CreateFleet"];
const ECS: &str = "ecs.amazonaws.com";
const ECS_LAUNCHES: &[&str] = &["CreateCluster"];
const AUTOSCALING: &str = "autoscaling.amazonaws.com";
const AUTOSCALING_LAUNCHES: &[&str] = &["CreateAutoScalingGroup"];
/// Services that launch instances for their caller, and whose own launches are
/// service calls: the caller's request is what counts (from a review: a sweep
/// through them went uncounted). AWS Batch compute environments, EKS managed
/// node groups, EMR clusters.
const BATCH: &str = "batch.amazonaws.com";
const BATCH_LAUNCHES: &[&str] = &["CreateComputeEnvironment"];
const EKS: &str = "eks.amazonaws.com";
const EKS_LAUNCHES: &[&str] = &["CreateNodegroup"];
const EMR: &str = "elasticmapreduce.amazonaws.com";
const EMR_LAUNCHES: &[&str] = &["RunJobFlow"];
/// Compute that other services run for their caller, each a miner's host in
/// public reports of mining sweeps (from an evasion review): SageMaker notebook
/// instances and training or processing jobs, CodeBuild builds, App Runner
/// services.
const SAGEMAKER: &str = "sagemaker.amazonaws.com";
const SAGEMAKER_LAUNCHES: &[&str] = &["CreateNotebookInstance", "CreateProcessingJob", "CreateTrainingJob"];
const CODEBUILD: &str = "codebuild.amazonaws.com";
const CODEBUILD_LAUNCHES: &[&str] = &["StartBuild"];
const APPRUNNER: &str = "apprunner.amazonaws.com";
const APPRUNNER_LAUNCHES: &[&str] = &["CreateService"];
/// Lightsail instances: virtual servers on a flat price, launched Region by
/// Region as EC2's are (from a later evasion review).
const LIGHTSAIL: &str = "lightsail.amazonaws.com";
const LIGHTSAIL_LAUNCHES: &[&str] = &["CreateInstances", "CreateInstancesFromSnapshot"];

/// Every service's launches, by event source.
const LAUNCHES: [(&str, &[&str]); 10] = [
    (EC2, EC2_LAUNCHES),
    (ECS, ECS_LAUNCHES),
    (AUTOSCALING, AUTOSCALING_LAUNCHES),
    (BATCH, BATCH_LAUNCHES),
    (EKS, EKS_LAUNCHES),
    (EMR, EMR_LAUNCHES),
    (SAGEMAKER, SAGEMAKER_LAUNCHES),
    (CODEBUILD, CODEBUILD_LAUNCHES),
    (APPRUNNER, APPRUNNER_LAUNCHES),
    (LIGHTSAIL, LIGHTSAIL_LAUNCHES),
];

pub static META: Meta = Meta {
    id: "compute-launched-across-regions",
    title: "AWS Compute Launched Across Many Regions",
    description: "One principal launched, or tried to launch, EC2 instances, Spot capacity, \
                  ECS clusters, Auto Scaling groups, Batch compute environments, EKS node \
                  groups, EMR clusters, SageMaker notebooks or jobs, CodeBuild builds, App \
                  Runner services or Lightsail instances in five or more Regions within an hour. Quotas are per Region, \
                  so whoever steals keys to mine cryptocurrency sweeps Region after Region to \
                  start as much compute as the account allows.",
    severity: Severity::High,
    attack: &["T1496.001", "T1535", "T1578.002"],
    origins: &["trailwatch: based on the AWS Threat Technique Catalog's compute hijacking \
             techniques (EC2, ECS) and public reports of stolen keys used to launch miners in \
             every Region"],
    group: "hijacking",
    false_positives: &[
        "A deployment pipeline that launches instances, or creates Auto Scaling groups, in \
         many Regions itself rather than through StackSets (Spinnaker's global deploys): \
         tune by its role.",
        "Region-wide capacity or quota tests.",
        "A CI role starting CodeBuild builds in many Regions itself (builds started by \
         CodePipeline are the service's and left out): tune by that role.",
        "Self-managed StackSets whose execution role has a custom name (only the default \
         execution roles are recognised as StackSets' own): tune by that role.",
        "A team hunting for scarce GPU capacity Region by Region (every attempt failing \
         with InsufficientInstanceCapacity): the attempts count like a miner's, whose \
         launches fail the same way.",
        "One autoscaler role shared by clusters in five Regions through EKS Pod Identity, \
         whose sessions name no identity provider (IRSA's do, and count apart): tune by \
         that role, or give each cluster a role of its own.",
    ],
    next_steps: "Check whether the principal deploys to these Regions. If not, revoke the \
                 credentials, then stop and terminate what was launched (delete Batch compute \
                 environments and EKS node groups, terminate EMR clusters: their services \
                 replace instances terminated alone): the finding lists the \
                 Regions that crossed the threshold, and a sweep often goes on to more, so \
                 search the principal's launches in every enabled Region. Look for other \
                 launch paths (launch templates, Auto Scaling groups, Lambda, ECS tasks) the \
                 intruder may have set up.",
    evidence: "api error_code identity_provider source_ip user_agent",
    triggers: &[
        Trigger::write(EC2, EC2_LAUNCHES),
        Trigger::write(ECS, ECS_LAUNCHES),
        Trigger::write(AUTOSCALING, AUTOSCALING_LAUNCHES),
        Trigger::write(BATCH, BATCH_LAUNCHES),
        Trigger::write(EKS, EKS_LAUNCHES),
        Trigger::write(EMR, EMR_LAUNCHES),
        Trigger::write(SAGEMAKER, SAGEMAKER_LAUNCHES),
        Trigger::write(CODEBUILD, CODEBUILD_LAUNCHES),
        Trigger::write(APPRUNNER, APPRUNNER_LAUNCHES),
        Trigger::write(LIGHTSAIL, LIGHTSAIL_LAUNCHES),
    ],
    window: Some(WindowSpec::Distinct {
        window_secs: 3600,
        min_distinct: 5,
        repeats: Repeats::Always,
        values: Countable::Open,
    }),
};

impl Detection for ComputeLaunchedAcrossRegions {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !LAUNCHES.iter().any(|(source, names)| is_event(rec, source, names))
            || aws_service_caller_but_stack(rec)
            || stack_set_rollout(rec)
        {
            return None;
        }
        let signal = region_per_principal(rec, caller_evidence(rec).with("api", rec.event_name()))?;
        Some(per_identity_provider(rec, signal))
    }
}

/// A web identity session counts with its identity provider: one role trusted by
/// the OIDC providers of clusters in five Regions (an autoscaler such as
/// Karpenter, each cluster launching in its own Region) is five workloads, not a
/// sweep (from a review: a high every two hours). AWS writes the provider, and a
/// stolen token is one cluster's, so a sweep from it is still one group; the
/// role's other sessions keep the role alone.
fn per_identity_provider(rec: &Record<'_>, signal: Signal) -> Signal {
    match (signal, rec.web_identity_provider()) {
        (Signal::Distinct { group, value, evidence }, Some(provider)) => Signal::Distinct {
            group: format!("{group}|{}", provider.trim()),
            value,
            evidence: evidence.with("identity_provider", provider),
        },
        (signal, _) => signal,
    }
}

/// A StackSet's stack instance at work: CloudFormation calling as one of the roles
/// StackSets deploy through: the self-managed default name, or the
/// service-managed role AWS names `stacksets-exec-` and 32 hexadecimal digits.
/// Any role named `stacksets-exec-miner` that trusts CloudFormation took a
/// one-stack-per-Region sweep past the detection (from a review).
fn stack_set_rollout(rec: &Record) -> bool {
    let role = rec.session_issuer_arn().and_then(|arn| arn.rsplit('/').next());
    rec.invoked_by() == Some("cloudformation.amazonaws.com")
        && role.is_some_and(|r| {
            r == "AWSCloudFormationStackSetExecutionRole"
                || r.strip_prefix("stacksets-exec-").is_some_and(|hash| {
                    hash.len() == 32 && hash.bytes().all(|b| b.is_ascii_hexdigit())
                })
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::eval;

    fn record(source: &str, name: &str, region: &str, extra: &str) -> String {
        format!(
            r#"{{"eventSource":"{source}","eventName":"{name}","awsRegion":"{region}",
            "eventTime":"2026-06-02T10:00:01Z","recipientAccountId":"111122223333",
            "sourceIPAddress":"192.0.2.44","userAgent":"Boto3/1.35.0",
            "userIdentity":{{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/Deploy/s1",
            "accountId":"111122223333","sessionContext":{{"sessionIssuer":{{"type":"Role",
            "arn":"arn:aws:iam::111122223333:role/Deploy"}}}}{extra}}},
            "requestParameters":{{}}}}"#
        )
    }

    /// From a review: one Karpenter role trusted by five Regions' clusters.
    #[test]
    fn a_web_identity_session_counts_with_its_provider() {
        let provider = "arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";
        let web = record(EC2, "CreateFleet", "eu-west-1", "").replace(
            r#""sessionContext":{"sessionIssuer""#,
            &format!(r#""sessionContext":{{"webIdFederationData":{{"federatedProvider":"{provider}","attributes":{{}}}},"sessionIssuer""#),
        );
        for parsed in [Record::from_json(&web).unwrap(), Record::from_json(&web.replace("\"CreateFleet\"", "\"Create\\u0046leet\"")).unwrap()] {
            assert_eq!(parsed.web_identity_provider(), Some(provider), "the plain reader and serde_json agree");
        }
        match eval(&ComputeLaunchedAcrossRegions, &web) {
            Some(Signal::Distinct { group, evidence, .. }) => {
                assert_eq!(group, format!("111122223333|arn:aws:iam::111122223333:role/Deploy|{provider}"));
                assert_eq!(evidence.get("identity_provider").and_then(|v| v.as_str()), Some(provider));
            }
            other => panic!("expected Distinct, got {other:?}"),
        }
        // Any other session of the role (an empty webIdFederationData, as
        // CloudTrail writes it) keeps the role alone.
        let plain = record(EC2, "CreateFleet", "eu-west-1", "").replace(
            r#""sessionContext":{"sessionIssuer""#,
            r#""sessionContext":{"webIdFederationData":{},"sessionIssuer""#,
        );
        match eval(&ComputeLaunchedAcrossRegions, &plain) {
            Some(Signal::Distinct { group, .. }) => {
                assert_eq!(group, "111122223333|arn:aws:iam::111122223333:role/Deploy")
            }
            other => panic!("expected Distinct, got {other:?}"),
        }
    }

    #[test]
    fn every_launch_counts_its_region_per_role_whatever_the_outcome() {
        for (source, name) in [
            (EC2, "RunInstances"),
            (EC2, "CreateFleet"),
            (ECS, "CreateCluster"),
            (AUTOSCALING, "CreateAutoScalingGroup"),
            // From an evasion review: the other services' compute.
            (SAGEMAKER, "CreateNotebookInstance"),
            (SAGEMAKER, "CreateTrainingJob"),
            (CODEBUILD, "StartBuild"),
            (APPRUNNER, "CreateService"),
            (LIGHTSAIL, "CreateInstances"),
        ] {
            match eval(&ComputeLaunchedAcrossRegions, &record(source, name, "sa-east-1", "")) {
                Some(Signal::Distinct { group, value, evidence }) => {
                    assert_eq!(group, "111122223333|arn:aws:iam::111122223333:role/Deploy");
                    assert_eq!(value, "sa-east-1");
                    assert_eq!(evidence.get("api").and_then(|v| v.as_str()), Some(name));
                }
                other => panic!("{name}: expected Distinct, got {other:?}"),
            }
        }
        let failed = record(EC2, "RunInstances", "ap-south-1", "")
            .replace(r#""requestParameters""#, r#""errorCode":"VcpuLimitExceeded","requestParameters""#);
        assert!(eval(&ComputeLaunchedAcrossRegions, &failed).is_some());
    }

    #[test]
    fn services_other_calls_and_missing_regions_are_ignored() {
        let d = &ComputeLaunchedAcrossRegions;
        let scaling = record(EC2, "RunInstances", "sa-east-1", r#","invokedBy":"autoscaling.amazonaws.com""#);
        assert!(scaling.contains("invokedBy"));
        assert_eq!(eval(d, &scaling), None);
        assert_eq!(eval(d, &record(EC2, "StartInstances", "sa-east-1", "")), None);
        assert_eq!(eval(d, &record(ECS, "RunTask", "sa-east-1", "")), None);
        assert_eq!(eval(d, &record(EC2, "RunInstances", " ", "")), None);
        // A StackSet rolling out through its execution role is left out; the
        // caller's own stack is not.
        let stack_set = record(EC2, "RunInstances", "sa-east-1", r#","invokedBy":"cloudformation.amazonaws.com""#)
            .replace("role/Deploy", "role/AWSCloudFormationStackSetExecutionRole");
        assert_eq!(eval(d, &stack_set), None);
        let own_stack = record(EC2, "RunInstances", "sa-east-1", r#","invokedBy":"cloudformation.amazonaws.com""#);
        assert!(eval(d, &own_stack).is_some());
        // Service-managed StackSets' roles are AWS's `stacksets-exec-<hash>`; a
        // role of one's own named like them is not one.
        let named = |role: &str| own_stack.replace("role/Deploy", &format!("role/{role}"));
        assert_eq!(eval(d, &named("stacksets-exec-0f3c9a2d4b6e81a70c5d2e9f1a3b7c4d")), None);
        assert!(eval(d, &named("stacksets-exec-miner")).is_some());
        assert!(eval(d, &named("stacksets-exec-0f3c9a2d4b6e81a70c5d2e9f1a3b7c4d-x")).is_some());
    }
}
