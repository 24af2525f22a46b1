//! The EC2 instance metadata service opened to version 1 requests: `HttpTokens`
//! set to `optional` for an instance (`ModifyInstanceMetadataOptions`) or as the
//! Region's default for new instances (`ModifyInstanceMetadataDefaults`),
//! successfully.
//!
//! Decisions: IMDSv1 answers a plain GET, so a server-side request forgery in any
//! application on the instance can read the instance role's credentials; IMDSv2's
//! session token stops that. Switching a running instance (or the default) back to
//! `optional` is the step that makes such a theft possible again. EC2 logs the
//! request nested under `requestParameters.ModifyInstanceMetadataOptionsRequest`
//! (and `...DefaultsRequest`); a flat `httpTokens` is read too, and key and value
//! letter case is ignored. A request that switches the endpoint on without naming
//! tokens fires when the response shows the instance accepting version 1.
//! A call that leaves an instance's endpoint disabled (in the request, or in
//! its options as the response shows them) opens nothing and is quiet; the
//! Region's default `optional` still counts beside a default endpoint
//! `disabled`, since launches take the defaults option by option.
//! `no-preference` as the Region's default (which hands the choice back to each
//! image) is not reported. Launches that ask for `optional` (`RunInstances`,
//! launch templates) are left out: many fleets still launch that way, and what
//! this reports is a setting taken back. AWS service identities are left out; a
//! stack update setting `HttpTokens: optional` counts like the call itself.
//!
//! From a review, the same setting taken back through the services that manage
//! the instances: a SageMaker notebook instance updated to accept version 1
//! (`UpdateNotebookInstance` with `instanceMetadataServiceConfiguration`'s
//! `minimumInstanceMetadataServiceVersion` `1`), and an Elastic Beanstalk
//! environment updated with `DisableIMDSv1` false (`UpdateEnvironment`, in the
//! `aws:autoscaling:launchconfiguration` or `aws:ec2:instances` option settings).

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_among, change_evidence, one_or_many, pascal_or_camel, succeeded_call};
use crate::event::Record;
use serde_json::Value;

pub struct Ec2ImdsV1Enabled;

const SOURCE: &str = "ec2.amazonaws.com";
const NAMES: &[&str] = &["ModifyInstanceMetadataOptions", "ModifyInstanceMetadataDefaults"];
const SAGEMAKER: &str = "sagemaker.amazonaws.com";
const BEANSTALK: &str = "elasticbeanstalk.amazonaws.com";

pub static META: Meta = Meta {
    id: "ec2-imdsv1-enabled",
    title: "AWS EC2 Instance Metadata Service Version 1 Enabled",
    description: "The instance metadata service of an EC2 instance, or the Region's default \
                  for new instances, was set to accept version 1 requests again. Version 1 \
                  answers any plain web request from the instance, so a request forgery flaw \
                  in an application there is enough to read the instance role's credentials.",
    severity: Severity::Medium,
    attack: &["T1552.005", "T1562"],
    origins: &["trailwatch: based on the AWS Threat Technique Catalog's cloud instance \
             metadata technique (T1552.005), whose precondition is IMDSv1 left or made \
             optional"],
    group: "identity-abuse",
    false_positives: &[
        "A legacy application that cannot use IMDSv2 tokens, switched back while it is \
         fixed.",
    ],
    next_steps: "Ask the instance's owner why version 1 is needed. If not, set HttpTokens \
                 back to required, review the instance role's recent calls for use from \
                 outside the instance, and look for request forgery in the applications it runs.",
    evidence: "api caller caller_type http_tokens instance_id resource setting source_ip \
        user_agent",
    triggers: &[
        Trigger::write(SOURCE, NAMES),
        Trigger::write(SAGEMAKER, &["UpdateNotebookInstance"]),
        Trigger::write(BEANSTALK, &["UpdateEnvironment"]),
    ],
    window: None,
};

/// `value[key]` with the key's letter case ignored.
fn field<'v>(value: &'v Value, key: &str) -> Option<&'v Value> {
    value
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

/// A setting of the request, nested under `<EventName>Request` (as EC2 logs it) or
/// flat.
fn request_setting<'r>(rec: &'r Record, key: &str) -> Option<&'r Value> {
    let params = rec.request_parameters()?;
    field(params, &format!("{}Request", rec.event_name()))
        .and_then(|n| field(n, key))
        .or_else(|| field(params, key))
}

/// A setting of the instance's metadata options as the response shows them
/// (`instanceMetadataOptions.<key>`, under `<EventName>Response` or flat).
fn response_option<'r>(rec: &'r Record, key: &str) -> Option<&'r str> {
    let response = rec.response_elements()?;
    let inner = field(response, &format!("{}Response", rec.event_name())).unwrap_or(response);
    field(field(inner, "instanceMetadataOptions")?, key)?
        .as_str()
        .map(str::trim)
}

/// The response shows the instance's metadata options accepting version 1
/// (`instanceMetadataOptions.httpTokens` `optional`).
fn response_allows_v1(rec: &Record) -> bool {
    response_option(rec, "httpTokens").is_some_and(|t| t.eq_ignore_ascii_case("optional"))
}

impl Detection for Ec2ImdsV1Enabled {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if succeeded_call(rec, SAGEMAKER, &["UpdateNotebookInstance"])
            || succeeded_call(rec, BEANSTALK, &["UpdateEnvironment"])
        {
            return managed_instances_take_v1(rec);
        }
        if !succeeded_call(rec, SOURCE, NAMES) || aws_service_among(rec, &[]) {
            return None;
        }
        let text = |key| request_setting(rec, key).and_then(Value::as_str).map(str::trim);
        // With an instance's endpoint off, no request of either version is
        // answered: an `optional` sent beside `HttpEndpoint: disabled` (stack
        // tools send every setting) opens nothing. The Region's defaults are
        // taken option by option at launch, so a default `optional` still reaches
        // any instance launched with the endpoint on: it counts.
        let disabled = |e: Option<&str>| e.is_some_and(|e| e.eq_ignore_ascii_case("disabled"));
        if rec.event_name() == "ModifyInstanceMetadataOptions"
            && (disabled(text("HttpEndpoint")) || disabled(response_option(rec, "httpEndpoint")))
        {
            return None;
        }
        let tokens = match text("HttpTokens") {
            Some(t) if t.eq_ignore_ascii_case("optional") => t,
            // The endpoint switched on without naming tokens: the response says what
            // the instance now accepts.
            None if text("HttpEndpoint").is_some_and(|e| e.eq_ignore_ascii_case("enabled"))
                && response_allows_v1(rec) =>
            {
                "optional"
            }
            _ => return None,
        };
        let instance = request_setting(rec, "InstanceId").and_then(Value::as_str);
        fire(
            change_evidence(rec, &[])
                .with("http_tokens", tokens)
                .with_opt("instance_id", instance),
        )
    }
}

/// A notebook instance or a Beanstalk environment set to accept version 1: the
/// finding naming it.
fn managed_instances_take_v1(rec: &Record<'_>) -> Option<Signal> {
    if aws_service_among(rec, &[]) {
        return None;
    }
    let (resource, setting) = if rec.event_source() == SAGEMAKER {
        let minimum = rec
            .request_param("instanceMetadataServiceConfiguration")
            .and_then(|c| pascal_or_camel(c, "MinimumInstanceMetadataServiceVersion"));
        let v1 = match minimum? {
            Value::String(v) => v.trim() == "1",
            Value::Number(n) => n.as_u64() == Some(1),
            _ => false,
        };
        (v1.then(|| rec.request_param_str("notebookInstanceName"))?, "minimumInstanceMetadataServiceVersion=1")
    } else {
        let reenabled = one_or_many(rec.request_param("optionSettings")).into_iter().any(|o| {
            let text = |k: &str| pascal_or_camel(o, k).and_then(Value::as_str).map(str::trim);
            text("OptionName").is_some_and(|n| n.eq_ignore_ascii_case("DisableIMDSv1"))
                && text("Value").is_some_and(|v| v.eq_ignore_ascii_case("false"))
        });
        (reenabled.then(|| rec.request_param_str("environmentName").or_else(|| rec.request_param_str("environmentId")))?, "DisableIMDSv1=false")
    };
    fire(
        change_evidence(rec, &[])
            .with("http_tokens", "optional")
            .with("setting", setting)
            .with_opt("resource", resource),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::iam_testing::{CFN, ROLE, USER, record};
    use crate::detections::common::testing::{eval, fires};

    fn nested(name: &str, tokens: &str) -> String {
        format!(r#"{{"{name}Request":{{"InstanceId":"i-0abc","HttpTokens":"{tokens}","HttpEndpoint":"enabled"}}}}"#)
    }

    #[test]
    fn fires_when_tokens_become_optional_for_an_instance_or_the_default() {
        let rec = record(SOURCE, "ModifyInstanceMetadataOptions", ROLE,
            &nested("ModifyInstanceMetadataOptions", "optional"), "");
        let Some(Signal::Fire(e)) = eval(&Ec2ImdsV1Enabled, &rec) else {
            panic!("expected a finding");
        };
        assert_eq!(e.get("instance_id").and_then(|v| v.as_str()), Some("i-0abc"));
        assert!(fires(&Ec2ImdsV1Enabled, &record(SOURCE, "ModifyInstanceMetadataDefaults", USER,
            r#"{"ModifyInstanceMetadataDefaultsRequest":{"HttpTokens":"optional"}}"#, "")));
        // The flat form and other letter cases.
        assert!(fires(&Ec2ImdsV1Enabled, &record(SOURCE, "ModifyInstanceMetadataOptions", USER,
            r#"{"instanceId":"i-0abc","httpTokens":"Optional"}"#, "")));
        assert!(fires(&Ec2ImdsV1Enabled, &record(SOURCE, "ModifyInstanceMetadataOptions", USER,
            r#"{"modifyInstanceMetadataOptionsRequest":{"httpTokens":"OPTIONAL"}}"#, "")));
    }

    #[test]
    fn ignores_required_tokens_other_settings_services_and_failures() {
        let d = &Ec2ImdsV1Enabled;
        let name = "ModifyInstanceMetadataOptions";
        assert!(!fires(d, &record(SOURCE, name, USER, &nested(name, "required"), "")));
        assert!(!fires(d, &record(SOURCE, name, USER,
            r#"{"ModifyInstanceMetadataOptionsRequest":{"InstanceId":"i-0abc","HttpPutResponseHopLimit":2}}"#, "")));
        assert!(!fires(d, &record(SOURCE, name, USER, "null", "")));
        // A stack update setting `HttpTokens: optional` is the same weakening.
        assert!(fires(d, &record(SOURCE, name, CFN, &nested(name, "optional"), "")));
        let service = r#"{"type":"AWSService","invokedBy":"ec2.amazonaws.com"}"#;
        assert!(!fires(d, &record(SOURCE, name, service, &nested(name, "optional"), "")));
        assert!(!fires(d, &record(SOURCE, name, USER, &nested(name, "optional"),
            r#""errorCode":"Client.UnauthorizedOperation","#)));
        assert!(!fires(d, &record(SOURCE, "RunInstances", USER, &nested("RunInstances", "optional"), "")));
        // The endpoint switched on while tokens stay required.
        let on = record(SOURCE, name, USER,
            r#"{"ModifyInstanceMetadataOptionsRequest":{"InstanceId":"i-0abc","HttpEndpoint":"enabled"}}"#, "")
            .replace(r#""responseElements":null"#, &response("required"));
        assert!(!fires(d, &on));
    }

    /// With an instance's endpoint off nothing answers, whatever the tokens say.
    #[test]
    fn an_endpoint_left_disabled_is_quiet() {
        let d = &Ec2ImdsV1Enabled;
        let name = "ModifyInstanceMetadataOptions";
        let off = nested(name, "optional").replace(r#""HttpEndpoint":"enabled""#, r#""HttpEndpoint":"Disabled""#);
        assert!(!fires(d, &record(SOURCE, name, USER, &off, "")));
        // The Region's default is taken option by option at launch: a default
        // `optional` reaches instances launched with the endpoint on.
        assert!(fires(d, &record(SOURCE, "ModifyInstanceMetadataDefaults", USER,
            r#"{"ModifyInstanceMetadataDefaultsRequest":{"HttpTokens":"optional","HttpEndpoint":"disabled"}}"#, "")));
        // Tokens alone, on an instance whose endpoint the response shows off.
        let tokens_only = record(SOURCE, name, USER,
            r#"{"ModifyInstanceMetadataOptionsRequest":{"InstanceId":"i-0abc","HttpTokens":"optional"}}"#, "");
        assert!(fires(d, &tokens_only));
        let shown_off = tokens_only.replace(r#""responseElements":null"#,
            r#""responseElements":{"ModifyInstanceMetadataOptionsResponse":{"instanceMetadataOptions":{"httpTokens":"optional","httpEndpoint":"disabled"}}}"#);
        assert!(!fires(d, &shown_off));
    }

    fn response(tokens: &str) -> String {
        format!(r#""responseElements":{{"ModifyInstanceMetadataOptionsResponse":{{"instanceId":"i-0abc",
            "instanceMetadataOptions":{{"state":"pending","httpTokens":"{tokens}","httpEndpoint":"enabled"}}}}}}"#)
    }

    #[test]
    fn fires_when_the_endpoint_is_switched_on_and_the_response_shows_version_1() {
        let name = "ModifyInstanceMetadataOptions";
        let on = record(SOURCE, name, USER,
            r#"{"ModifyInstanceMetadataOptionsRequest":{"InstanceId":"i-0abc","HttpEndpoint":"enabled"}}"#, "")
            .replace(r#""responseElements":null"#, &response("optional"));
        let Some(Signal::Fire(e)) = eval(&Ec2ImdsV1Enabled, &on) else {
            panic!("expected a finding");
        };
        assert_eq!(e.get("http_tokens").and_then(|v| v.as_str()), Some("optional"));
    }

    /// From a review: version 1 taken back through SageMaker and Elastic Beanstalk.
    #[test]
    fn notebooks_and_beanstalk_environments_taking_v1_fire() {
        let notebook = |minimum: &str| {
            record(SAGEMAKER, "UpdateNotebookInstance", ROLE,
                &format!(r#"{{"notebookInstanceName":"research","instanceMetadataServiceConfiguration":{{"minimumInstanceMetadataServiceVersion":{minimum}}}}}"#), "")
        };
        assert!(fires(&Ec2ImdsV1Enabled, &notebook(r#""1""#)));
        assert!(!fires(&Ec2ImdsV1Enabled, &notebook(r#""2""#)));
        let environment = |value: &str| {
            record(BEANSTALK, "UpdateEnvironment", ROLE,
                &format!(r#"{{"environmentName":"shop-prod","optionSettings":[{{"namespace":"aws:autoscaling:launchconfiguration","optionName":"DisableIMDSv1","value":"{value}"}}]}}"#), "")
        };
        assert!(fires(&Ec2ImdsV1Enabled, &environment("false")));
        assert!(!fires(&Ec2ImdsV1Enabled, &environment("true")));
        let other = record(BEANSTALK, "UpdateEnvironment", ROLE,
            r#"{"environmentName":"shop-prod","versionLabel":"v42"}"#, "");
        assert!(!fires(&Ec2ImdsV1Enabled, &other));
    }
}
