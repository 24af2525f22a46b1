//! A SageMaker notebook instance given a lifecycle configuration
//! (`UpdateNotebookInstance` naming one), a lifecycle configuration's scripts
//! replaced (`UpdateNotebookInstanceLifecycleConfig`), or a Studio domain, user
//! profile or space given lifecycle configurations (`UpdateDomain`,
//! `UpdateUserProfile`, `UpdateSpace`, or a profile or space created with them,
//! `CreateUserProfile`, `CreateSpace`, from a review, and a domain created with
//! them as its defaults, `CreateDomain`, from a later one: attaching
//! `LifecycleConfigArns` anywhere in its settings: the script runs as the
//! profile's execution role when an app starts), successfully.
//!
//! Decisions: a lifecycle script runs as root on the notebook at its next start,
//! with the notebook's execution role. So whoever may update a notebook (and stop
//! and start it) can run code as that role: read its credentials, or reach what
//! the role reaches. Both ways of changing what runs at start are reported; an
//! update that only detaches the configuration (`disassociateLifecycleConfig`) or
//! changes other settings is not, nor is creating a configuration (it runs nothing
//! until a notebook uses it). SageMaker logs request keys in camel case; the
//! capitalised API spelling is read too. AWS service calls are skipped;
//! infrastructure-as-code is not, as the user agent is the caller's to choose.
//!
//! A user profile or domain created with lifecycle configurations
//! (`CreateUserProfile`, `CreateDomain`) is low: that is how every profile is
//! onboarded with the standard auto-shutdown script, and the script runs only in
//! the new profile's or domain's apps, as the execution role their creator gave
//! them. A space created with them (`CreateSpace`: shared spaces others open), a
//! domain created with them for its shared spaces (`defaultSpaceSettings`, from a
//! code review) and every update of an existing notebook, domain, profile or
//! space stay medium (a review of false positives (ninth session)).

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::change_by_anyone_but;
use crate::event::Record;

pub struct SageMakerNotebookLifecycleConfigChanged;

const SOURCE: &str = "sagemaker.amazonaws.com";
const ATTACH: &str = "UpdateNotebookInstance";
const REPLACE: &str = "UpdateNotebookInstanceLifecycleConfig";
/// The Studio calls whose settings may attach lifecycle configurations.
const STUDIO: &[&str] = &[
    "UpdateDomain",
    "UpdateSpace",
    "UpdateUserProfile",
    "CreateDomain",
    "CreateSpace",
    "CreateUserProfile",
];
const NAMES: &[&str] = &[
    "CreateDomain",
    "CreateSpace",
    "CreateUserProfile",
    "UpdateDomain",
    ATTACH,
    REPLACE,
    "UpdateSpace",
    "UpdateUserProfile",
];

/// Creations whose scripts run only in the created profile's or domain's own
/// apps: low.
const CREATED_OWN: &[&str] = &["CreateDomain", "CreateUserProfile"];

/// The lifecycle configuration ARNs attached anywhere in `v`: values of keys named
/// `LifecycleConfigArns` in any letter case (the app settings of JupyterLab,
/// JupyterServer, KernelGateway and CodeEditor each have the list). A default
/// resource spec's single `LifecycleConfigArn` only picks, among the scripts
/// already attached to the domain or profile, the one an app starts with: what
/// attaching them reported already (a review caught a space choosing one firing).
/// Bounded in depth: request JSON is caller-written.
fn lifecycle_config_arns<'v>(v: &'v serde_json::Value, depth: usize, out: &mut Vec<&'v str>) {
    use serde_json::Value;
    if depth > 8 {
        return;
    }
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let key = k.to_ascii_lowercase();
                if key == "lifecycleconfigarns" {
                    let items = match v {
                        Value::Array(items) => items.iter().collect(),
                        other => vec![other],
                    };
                    out.extend(items.into_iter().filter_map(Value::as_str).filter(|s| !s.trim().is_empty()));
                } else {
                    lifecycle_config_arns(v, depth + 1, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| lifecycle_config_arns(i, depth + 1, out)),
        _ => {}
    }
}

pub static META: Meta = Meta {
    id: "sagemaker-notebook-lifecycle-config-changed",
    title: "AWS SageMaker Notebook Lifecycle Configuration Changed",
    description: "A notebook instance was given a lifecycle configuration, or a lifecycle \
                  configuration's scripts were replaced. Those scripts run as root when the \
                  notebook starts, with the notebook's IAM role: a caller allowed only to \
                  update and restart a notebook can thereby run code as that role and take \
                  its credentials.",
    severity: Severity::Medium,
    attack: &["T1059.004", "T1552.005", "T1078.004"],
    origins: &[
        "trailwatch: based on Stratus Red Team aws.execution.sagemaker-update-lifecycle-config",
    ],
    group: "ai-ml",
    false_positives: &[
        "Data science platform teams rolling out a new start-up script to their notebooks, \
         by hand or through infrastructure-as-code.",
    ],
    next_steps: "Read the configuration's OnStart and OnCreate scripts \
                 (DescribeNotebookInstanceLifecycleConfig, base64). If they were not planned, \
                 detach the configuration, stop the notebook, rotate what its execution role \
                 can reach, and review the role's calls since the notebook last started.",
    evidence: "api caller caller_type domain_id lifecycle_config lifecycle_configs \
        notebook_instance source_ip space user_agent user_profile",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

/// A request parameter as SageMaker logs it (camel case) or as the API spells it.
fn param<'r>(rec: &'r Record, camel: &str, pascal: &str) -> Option<&'r str> {
    rec.request_param_str(camel)
        .or_else(|| rec.request_param_str(pascal))
}

/// A new domain's default space settings name lifecycle configurations: they
/// run in every shared space created later, which other members open (a code
/// review of the ninth session's cut), as `CreateSpace`'s do.
fn sets_shared_spaces(rec: &Record<'_>) -> bool {
    let mut arns = Vec::new();
    if let Some(space) = rec
        .request_parameters()
        .and_then(|r| r.get("defaultSpaceSettings").or_else(|| r.get("DefaultSpaceSettings")))
    {
        lifecycle_config_arns(space, 0, &mut arns);
    }
    !arns.is_empty()
}

impl Detection for SageMakerNotebookLifecycleConfigChanged {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn severity_for(&self, rec: &Record<'_>) -> Severity {
        if CREATED_OWN.contains(&rec.event_name()) && !sets_shared_spaces(rec) {
            Severity::Low
        } else {
            META.severity
        }
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        let evidence = change_by_anyone_but(rec, SOURCE, NAMES, &[], &[])?;
        if STUDIO.contains(&rec.event_name()) {
            let mut arns = Vec::new();
            lifecycle_config_arns(rec.request_parameters()?, 0, &mut arns);
            if arns.is_empty() {
                return None;
            }
            return fire(
                evidence
                    .with_opt("domain_id", param(rec, "domainId", "DomainId"))
                    .with_opt("user_profile", param(rec, "userProfileName", "UserProfileName"))
                    .with_opt("space", param(rec, "spaceName", "SpaceName"))
                    .with("lifecycle_configs", arns),
            );
        }
        let config = if rec.event_name() == ATTACH {
            // Only an update that sets a configuration changes what runs at start.
            Some(param(rec, "lifecycleConfigName", "LifecycleConfigName")?)
        } else {
            param(rec, "notebookInstanceLifecycleConfigName", "NotebookInstanceLifecycleConfigName")
        };
        fire(
            evidence
                .with_opt("notebook_instance", param(rec, "notebookInstanceName", "NotebookInstanceName"))
                .with_opt("lifecycle_config", config),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::{self, eval, fires};
    use serde_json::json;

    const ATTACHED: &str = r#"{"notebookInstanceName":"research-nb","lifecycleConfigName":"nb-start-7f3a"}"#;

    #[test]
    fn fires_when_a_configuration_is_attached() {
        match eval(&SageMakerNotebookLifecycleConfigChanged, &record(SOURCE, ATTACH, ROLE, ATTACHED, "")) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("notebook_instance"), Some(&json!("research-nb")));
                assert_eq!(e.get("lifecycle_config"), Some(&json!("nb-start-7f3a")));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let pascal = r#"{"NotebookInstanceName":"research-nb","LifecycleConfigName":"nb-start-7f3a"}"#;
        assert!(fires(&SageMakerNotebookLifecycleConfigChanged, &record(SOURCE, ATTACH, ROLE, pascal, "")));
    }

    #[test]
    fn fires_when_a_configurations_scripts_are_replaced() {
        let replaced = r#"{"notebookInstanceLifecycleConfigName":"nb-start-7f3a","onStart":[{"content":"IyEvYmluL2Jhc2g="}]}"#;
        match eval(&SageMakerNotebookLifecycleConfigChanged, &record(SOURCE, REPLACE, ROLE, replaced, "")) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("lifecycle_config"), Some(&json!("nb-start-7f3a"))),
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(fires(&SageMakerNotebookLifecycleConfigChanged, &record(SOURCE, REPLACE, ROLE, "null", "")));
    }

    #[test]
    fn near_misses() {
        let other_settings = r#"{"notebookInstanceName":"research-nb","instanceType":"ml.t3.large"}"#;
        assert!(!fires(&SageMakerNotebookLifecycleConfigChanged, &record(SOURCE, ATTACH, ROLE, other_settings, "")));
        let detached = r#"{"notebookInstanceName":"research-nb","disassociateLifecycleConfig":true}"#;
        assert!(!fires(&SageMakerNotebookLifecycleConfigChanged, &record(SOURCE, ATTACH, ROLE, detached, "")));
        assert!(!fires(&SageMakerNotebookLifecycleConfigChanged, &failed(SOURCE, ATTACH, ROLE, ATTACHED, "ValidationException")));
        assert!(!fires(&SageMakerNotebookLifecycleConfigChanged, &record(SOURCE, ATTACH, SERVICE, ATTACHED, "")));
        let created = r#"{"notebookInstanceLifecycleConfigName":"nb-start-7f3a"}"#;
        assert!(!fires(&SageMakerNotebookLifecycleConfigChanged, &record(SOURCE, "CreateNotebookInstanceLifecycleConfig", ROLE, created, "")));
    }

    #[test]
    fn studio_settings_that_attach_a_configuration_count() {
        let arn = "arn:aws:sagemaker:us-east-1:111122223333:studio-lifecycle-config/jl-start";
        let profile = format!(
            r#"{{"domainId":"d-abc123","userProfileName":"ana","userSettings":{{"jupyterLabAppSettings":{{"lifecycleConfigArns":["{arn}"],"defaultResourceSpec":{{"lifecycleConfigArn":"{arn}"}}}}}}}}"#
        );
        match eval(&SageMakerNotebookLifecycleConfigChanged, &record(SOURCE, "UpdateUserProfile", ROLE, &profile, "")) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("user_profile").and_then(|v| v.as_str()), Some("ana"));
                assert_eq!(e.get("lifecycle_configs").and_then(|v| v.as_array()).map(Vec::len), Some(1));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        // From a review: a profile or space created with them runs them too.
        // From a later one: so does a domain created with them as its defaults.
        for name in ["CreateUserProfile", "CreateSpace", "CreateDomain"] {
            assert!(fires(&SageMakerNotebookLifecycleConfigChanged, &record(SOURCE, name, ROLE, &profile, "")), "{name}");
        }
        let plain_profile = r#"{"domainId":"d-abc123","userProfileName":"ben","userSettings":{"executionRole":"arn:aws:iam::111122223333:role/ds"}}"#;
        assert!(!fires(&SageMakerNotebookLifecycleConfigChanged, &record(SOURCE, "CreateUserProfile", ROLE, plain_profile, "")));
        // A default resource spec only picks a script already attached.
        let picks = format!(
            r#"{{"domainId":"d-abc123","spaceName":"s2","spaceSettings":{{"jupyterLabAppSettings":{{"defaultResourceSpec":{{"lifecycleConfigArn":"{arn}"}}}}}}}}"#
        );
        for name in ["CreateSpace", "UpdateSpace"] {
            assert!(!fires(&SageMakerNotebookLifecycleConfigChanged, &record(SOURCE, name, ROLE, &picks, "")), "{name}");
        }
        let pascal = format!(r#"{{"DomainId":"d-abc123","DefaultUserSettings":{{"KernelGatewayAppSettings":{{"LifecycleConfigArns":["{arn}"]}}}}}}"#);
        assert!(fires(&SageMakerNotebookLifecycleConfigChanged, &record(SOURCE, "UpdateDomain", ROLE, &pascal, "")));
        let other = r#"{"domainId":"d-abc123","spaceName":"s1","spaceSettings":{"jupyterLabAppSettings":{"lifecycleConfigArns":[]}}}"#;
        assert!(!fires(&SageMakerNotebookLifecycleConfigChanged, &record(SOURCE, "UpdateSpace", ROLE, other, "")));
        assert!(!fires(&SageMakerNotebookLifecycleConfigChanged, &record(SOURCE, "UpdateUserProfile", ROLE, "null", "")));
        assert!(!fires(&SageMakerNotebookLifecycleConfigChanged, &failed(SOURCE, "UpdateUserProfile", ROLE, &profile, "AccessDenied")));
    }

    fn severity(json: &str) -> Severity {
        testing::severity(&SageMakerNotebookLifecycleConfigChanged, json)
    }

    /// Ninth session, from a review of false positives: a profile or domain
    /// created with the standard auto-shutdown script is low; a space created
    /// with one, and an existing profile, domain, space or notebook given one,
    /// stay medium.
    #[test]
    fn a_profile_or_domain_created_with_a_script_is_low() {
        let arn = "arn:aws:sagemaker:us-east-1:111122223333:studio-lifecycle-config/auto-shutdown-jupyterlab";
        let profile = format!(
            r#"{{"domainId":"d-abcd1234efgh","userProfileName":"priya","userSettings":{{"executionRole":"arn:aws:iam::111122223333:role/ds","jupyterLabAppSettings":{{"lifecycleConfigArns":["{arn}"]}}}}}}"#
        );
        let domain = format!(
            r#"{{"domainName":"ds-studio","authMode":"IAM","defaultUserSettings":{{"executionRole":"arn:aws:iam::111122223333:role/ds","jupyterLabAppSettings":{{"lifecycleConfigArns":["{arn}"]}}}}}}"#
        );
        for (name, params) in [("CreateUserProfile", &profile), ("CreateDomain", &domain)] {
            let rec = record(SOURCE, name, ROLE, params, "");
            assert!(fires(&SageMakerNotebookLifecycleConfigChanged, &rec), "{name}");
            assert_eq!(severity(&rec), Severity::Low, "{name}");
        }
        let space = format!(
            r#"{{"domainId":"d-abcd1234efgh","spaceName":"team","spaceSettings":{{"jupyterLabAppSettings":{{"lifecycleConfigArns":["{arn}"]}}}}}}"#
        );
        // A new domain's default for shared spaces runs where others work.
        let shared_default = format!(
            r#"{{"domainName":"ds-studio","authMode":"IAM","defaultUserSettings":{{"executionRole":"arn:aws:iam::111122223333:role/ds"}},"defaultSpaceSettings":{{"jupyterLabAppSettings":{{"lifecycleConfigArns":["{arn}"]}}}}}}"#
        );
        for (name, params) in [
            ("CreateDomain", &shared_default),
            ("CreateSpace", &space),
            ("UpdateSpace", &space),
            ("UpdateUserProfile", &profile),
            ("UpdateDomain", &domain),
        ] {
            let rec = record(SOURCE, name, ROLE, params, "");
            assert!(fires(&SageMakerNotebookLifecycleConfigChanged, &rec), "{name}");
            assert_eq!(severity(&rec), Severity::Medium, "{name}");
        }
        assert_eq!(severity(&record(SOURCE, ATTACH, ROLE, ATTACHED, "")), Severity::Medium);
    }
}
