//! Layers set on a Lambda function (`UpdateFunctionConfiguration`, recorded as
//! `UpdateFunctionConfiguration20150331` or `...20150331v2`, with a non-empty
//! `layers` list), successfully.
//!
//! Sigma fires when the request carries `layers` at all; an empty list removes every
//! layer, so it does not count here. Layers from another account are flagged in the
//! evidence: they are code the function's owner does not control. Calls an AWS
//! service makes (CloudFormation updating a function with its layers on every stack
//! deployment, for example) are left out: they would fire on each release.

use serde_json::Value;

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{LAMBDA_CONFIGURATION_UPDATES, call_context, lambda_change_by_caller};
use crate::event::Record;

pub struct LambdaLayerAttached;

pub static META: Meta = Meta {
    id: "lambda-layer-attached",
    title: "AWS New Lambda Layer Attached",
    description: "Layers were attached to a Lambda function. A layer's code, including a \
                  Lambda extension, runs inside every invocation with the function's role and \
                  sees its events, so a malicious layer is a backdoor that leaves the \
                  function's own code untouched.",
    severity: Severity::Medium,
    attack: &["T1525", "T1546"],
    origins: &[
        "Sigma rules/cloud/aws/cloudtrail/aws_new_lambda_layer_attached.yml",
        "trailwatch: based on Stratus Red Team aws.persistence.lambda-layer-extension",
    ],
    group: "compute-network",
    false_positives: &[
        "Deployments that add monitoring or shared-library layers (observability vendors' \
         extensions, in-house common code).",
    ],
    next_steps: "Check each layer's publisher account and version. Download and inspect \
                 unknown layers; remove them and review what the function's role did since.",
    evidence: "function layers layers_from_other_accounts region source_ip user_agent",
    triggers: &[Trigger::write("lambda.amazonaws.com", LAMBDA_CONFIGURATION_UPDATES)],
    window: None,
};

/// The account in a layer version ARN (`arn:aws:lambda:<region>:<account>:layer:...`).
fn layer_account(arn: &str) -> Option<&str> {
    arn.split(':').nth(4).filter(|a| !a.is_empty())
}

impl Detection for LambdaLayerAttached {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !lambda_change_by_caller(rec, "UpdateFunctionConfiguration") {
            return None;
        }
        let layers: Vec<&str> = rec
            .request_param("layers")
            .and_then(Value::as_array)?
            .iter()
            .filter_map(Value::as_str)
            .filter(|l| !l.trim().is_empty())
            .collect();
        if layers.is_empty() {
            return None;
        }
        let own = rec.account_id();
        let foreign: Vec<&str> = layers
            .iter()
            .copied()
            .filter(|l| layer_account(l).is_some_and(|a| Some(a) != own))
            .collect();
        let mut e = call_context(rec)
            .with_opt("function", rec.request_param_str("functionName"))
            .with("layers", layers);
        if !foreign.is_empty() {
            e = e.with("layers_from_other_accounts", foreign);
        }
        fire(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detection::Evidence;
    use crate::detections::common::compute_testing::{ACCESS_DENIED, IAM_USER, ROLE, record};
    use crate::detections::common::testing::{fired_evidence, fires};

    fn evidence(json: &str) -> Evidence {
        fired_evidence(&LambdaLayerAttached, json)
    }

    #[test]
    fn fires_and_flags_layers_of_other_accounts() {
        let params = r#"{"functionName":"orders-api","layers":[
            "arn:aws:lambda:us-east-1:111122223333:layer:common-utils:4",
            "arn:aws:lambda:us-east-1:444455556666:layer:log-forwarder:1"]}"#;
        let e = evidence(&record("lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2", IAM_USER, params, ""));
        assert_eq!(e.get("layers").unwrap().as_array().unwrap().len(), 2);
        assert_eq!(
            e.get("layers_from_other_accounts").unwrap()[0],
            "arn:aws:lambda:us-east-1:444455556666:layer:log-forwarder:1"
        );
        let own = r#"{"functionName":"orders-api","layers":["arn:aws:lambda:us-east-1:111122223333:layer:common-utils:4"]}"#;
        let e = evidence(&record("lambda.amazonaws.com", "UpdateFunctionConfiguration20150331", ROLE, own, ""));
        assert!(e.get("layers_from_other_accounts").is_none());
    }

    #[test]
    fn other_configuration_changes_do_not_fire() {
        for params in [
            r#"{"functionName":"orders-api","memorySize":512}"#,
            r#"{"functionName":"orders-api","layers":[]}"#,
            r#"{"functionName":"orders-api","layers":null}"#,
            r#"{"functionName":"orders-api","layers":"arn:aws:lambda:us-east-1:1:layer:x:1"}"#,
            "null",
        ] {
            assert!(!fires(&LambdaLayerAttached, &record("lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2", ROLE, params, "")), "{params}");
        }
        let params = r#"{"functionName":"f","layers":["arn:aws:lambda:us-east-1:444455556666:layer:x:1"]}"#;
        assert!(!fires(&LambdaLayerAttached, &record("lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2", ROLE, params, ACCESS_DENIED)));
        assert!(!fires(&LambdaLayerAttached, &record("lambda.amazonaws.com", "UpdateFunctionCode20150331v2", ROLE, params, "")));
    }
}
