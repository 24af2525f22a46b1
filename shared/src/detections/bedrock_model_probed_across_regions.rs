//! One principal's Bedrock model calls (`InvokeModel`, `Converse`, their streaming
//! forms and `StartAsyncInvoke`) rejected or refused in three or more Regions
//! within an hour.
//!
//! Decisions: LLMjacking reports, and Stratus Red Team's
//! `aws.discovery.bedrock-enumerate-models-multiple-regions`, describe a stolen key
//! checked Region by Region for a usable model with a request made to fail
//! (`ValidationException`, such as a negative token limit) so that it costs nothing, or
//! refused (`AccessDeniedException`) where the model is not enabled. Only calls that
//! failed are taken: the EventBridge rule then stays off every production model call
//! (an application calls models all day, in one or two Regions, and succeeds), and the
//! state stays cheap. Errors that say AWS was busy or the model slow (throttling,
//! timeouts, service faults) are not probes and do not count: a multi-Region
//! application meets them in every Region at once. A key that goes on to run models
//! successfully is `bedrock-model-invoked-with-user-key` when it is a user's. Any
//! identity counts here, roles included: the probe is the same whatever was stolen. AWS
//! services (an identity of type `AWSService`, or `invokedBy` a service other than the
//! console's sign-in) are left out. The count is the Region of each call (`awsRegion`),
//! so it needs the records of every Region: deployed in one Region without the
//! organisation forwarders, it sees only that Region's calls and cannot fire.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, Repeats, Countable, WindowSpec};
use crate::detections::common::{
    BEDROCK_MODEL_CALLS, aws_service_caller, caller_evidence, region_per_principal,
};
use crate::event::Record;

pub struct BedrockModelProbedAcrossRegions;

const SOURCE: &str = "bedrock.amazonaws.com";
const NAMES: &[&str] = BEDROCK_MODEL_CALLS;
/// Failures of a well-formed, permitted call: load or faults on AWS's side.
const OPERATIONAL_ERRORS: &[&str] = &[
    "ThrottlingException",
    "ServiceUnavailableException",
    "InternalServerException",
    "ModelTimeoutException",
    "ModelNotReadyException",
];

pub static META: Meta = Meta {
    id: "bedrock-model-probed-across-regions",
    title: "AWS Bedrock Model Calls Failing Across Several Regions",
    description: "One principal's calls to Bedrock models failed in three or more Regions \
                  within an hour. Whoever steals a key checks Region by Region which models \
                  it may run, with requests made to fail so that they cost nothing, before \
                  running models at the victim's expense (LLMjacking).",
    severity: Severity::Medium,
    attack: &["T1526", "T1496.004", "T1078.004"],
    origins: &["trailwatch: based on Stratus Red Team \
             aws.discovery.bedrock-enumerate-models-multiple-regions and the LLMjacking \
             reports it cites (invalid model requests sent to several Regions)"],
    group: "ai-ml",
    false_positives: &[
        "A developer trying a model in several Regions with a request the model rejects.",
        "A multi-Region application whose model calls fail everywhere at once (a model \
         retired, a quota exhausted).",
    ],
    next_steps: "Find who owns the credentials and where the calls came from. If the calls \
                 are not explained, revoke the credentials, check whether models were run \
                 afterwards (the Bedrock bill, model invocation logs) and whether model access \
                 was enabled in new Regions.",
    evidence: "error_code model_id source_ip user_agent",
    triggers: &[Trigger::read_only(SOURCE, NAMES).with_detail(r#"{"errorCode":[{"exists":true}]}"#)],
    window: Some(WindowSpec::Distinct {
        window_secs: 3600,
        min_distinct: 3,
        repeats: Repeats::Always,
        values: Countable::Open,
    }),
};

impl Detection for BedrockModelProbedAcrossRegions {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != SOURCE
            || !NAMES.contains(&rec.event_name())
            || rec.error_code().is_none_or(|c| {
                c.trim().is_empty() || OPERATIONAL_ERRORS.contains(&c.trim())
            })
            || aws_service_caller(rec)
        {
            return None;
        }
        let evidence = caller_evidence(rec).with_opt("model_id", rec.request_param_str("modelId"));
        region_per_principal(rec, evidence)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::eval;

    fn record(name: &str, region: &str, extra: &str) -> String {
        format!(
            r#"{{"eventSource":"bedrock.amazonaws.com","eventName":"{name}","awsRegion":"{region}",
            "eventTime":"2026-06-02T10:00:01Z","recipientAccountId":"111122223333",
            "sourceIPAddress":"192.0.2.44","userAgent":"Boto3/1.35.0",
            "userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ml-dev",
            "accountId":"111122223333","accessKeyId":"AKIAIOSFODNN7EXAMPLE","userName":"ml-dev"}},
            {extra}"requestParameters":{{"modelId":"anthropic.claude-3-5-sonnet-20241022-v2:0"}}}}"#
        )
    }
    const REJECTED: &str = r#""errorCode":"ValidationException","#;

    #[test]
    fn a_failed_model_call_counts_its_region_per_principal() {
        for name in NAMES {
            match eval(&BedrockModelProbedAcrossRegions, &record(name, "eu-west-3", REJECTED)) {
                Some(Signal::Distinct { group, value, evidence }) => {
                    assert_eq!(group, "111122223333|arn:aws:iam::111122223333:user/ml-dev");
                    assert_eq!(value, "eu-west-3");
                    assert_eq!(
                        evidence.get("error_code").and_then(|v| v.as_str()),
                        Some("ValidationException")
                    );
                }
                other => panic!("{name}: expected Distinct, got {other:?}"),
            }
        }
    }

    #[test]
    fn successes_other_calls_services_and_missing_regions_are_ignored() {
        let b = &BedrockModelProbedAcrossRegions;
        assert_eq!(eval(b, &record("InvokeModel", "eu-west-3", "")), None);
        assert_eq!(eval(b, &record("InvokeModel", "eu-west-3", r#""errorCode":"","#)), None);
        for busy in OPERATIONAL_ERRORS {
            let rec = record("InvokeModel", "eu-west-3", &format!(r#""errorCode":"{busy}","#));
            assert_eq!(eval(b, &rec), None, "{busy}");
        }
        let denied = record("InvokeModel", "eu-west-3", r#""errorCode":"AccessDeniedException","#);
        assert!(eval(b, &denied).is_some());
        assert_eq!(eval(b, &record("ListFoundationModels", "eu-west-3", REJECTED)), None);
        assert_eq!(eval(b, &record("InvokeModel", "", REJECTED)), None);
        let svc = record("InvokeModel", "eu-west-3", REJECTED)
            .replace(r#""userName":"ml-dev""#, r#""userName":"ml-dev","invokedBy":"bedrock.amazonaws.com""#);
        assert!(svc.contains("invokedBy"));
        assert_eq!(eval(b, &svc), None);
    }
}
