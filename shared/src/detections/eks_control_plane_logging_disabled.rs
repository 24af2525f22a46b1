//! EKS control-plane log types switched off (`UpdateClusterConfig` whose
//! `logging.clusterLogging[]` has an entry with `enabled` false and at least one type),
//! successfully.
//!
//! The request lists log types per entry; only an entry that disables some type counts
//! (an update that only enables logging, or changes other settings, does not).
//!
//! A request that names all five types, some on and some off, restates the whole
//! logging setting, as Terraform and the console send it whatever changed (from a
//! second evasion review: enabling the audit log fired high, the types never on
//! listed as disabled). It is medium when the audit log is among the disabled,
//! low otherwise; any other request stays high, and the enabled types are in the
//! evidence.
//!
//! From a review of false positives (ninth session): turning off only the
//! controller manager's and the scheduler's logs (the costly, chatty types, on
//! after a debugging session) is low however the request is written, as its
//! restatement already was; `api`, `audit` or `authenticator` among the disabled
//! keep the rules above.

use serde_json::Value;

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{call_context, flag_value};
use crate::event::Record;

pub struct EksControlPlaneLoggingDisabled;

pub static META: Meta = Meta {
    id: "eks-control-plane-logging-disabled",
    title: "AWS EKS Control Plane Logging Disabled",
    description: "Logging of an EKS cluster's control plane (API server, audit, authenticator \
                  logs) was turned off for some log types. Without the audit log, what \
                  happens inside Kubernetes is no longer recorded, which is what an attacker \
                  wants before acting in the cluster.",
    severity: Severity::High,
    attack: &["T1562.008"],
    origins: &["Elastic rules/integrations/aws/defense_evasion_eks_control_plane_logging_disabled.toml"],
    group: "compute-network",
    false_positives: &[
        "Cost reduction on development clusters (turning off the costly audit or API logs).",
    ],
    next_steps: "Re-enable the log types unless the change was approved, and look at what the \
                 caller and other principals did in the cluster while logging was off.",
    evidence: "cluster disabled_log_types enabled_log_types region source_ip user_agent",
    triggers: &[Trigger::write("eks.amazonaws.com", &["UpdateClusterConfig"])],
    window: None,
};

/// The log types of every `clusterLogging` entry whose `enabled` is `enabled`.
fn types_set(rec: &Record, enabled: bool) -> Vec<Value> {
    rec.request_param("logging")
        .and_then(|l| l.get("clusterLogging"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|entry| entry.get("enabled").and_then(flag_value) == Some(enabled))
        .filter_map(|entry| entry.get("types").and_then(Value::as_array))
        .flatten()
        .filter(|t| t.is_string())
        .cloned()
        .collect()
}

fn disabled_types(rec: &Record) -> Vec<Value> {
    types_set(rec, false)
}

/// The control plane's five log types.
const LOG_TYPES: [&str; 5] = ["api", "audit", "authenticator", "controllerManager", "scheduler"];

impl Detection for EksControlPlaneLoggingDisabled {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn severity_for(&self, rec: &Record<'_>) -> Severity {
        let disabled = disabled_types(rec);
        let only_chatty = disabled.iter().all(|t| {
            t.as_str()
                .map(str::trim)
                .is_some_and(|t| t.eq_ignore_ascii_case("controllerManager") || t.eq_ignore_ascii_case("scheduler"))
        });
        if !disabled.is_empty() && only_chatty {
            return Severity::Low;
        }
        // A restatement names every type, on or off; a request that enables one
        // type beside the types it turns off is no restatement (a review of this
        // change: any enabled entry lowered the finding).
        let mut named: Vec<String> = types_set(rec, true)
            .iter()
            .chain(disabled_types(rec).iter())
            .filter_map(|t| t.as_str().map(|t| t.trim().to_ascii_lowercase()))
            .collect();
        named.sort();
        named.dedup();
        if !LOG_TYPES.iter().all(|t| named.iter().any(|n| n.eq_ignore_ascii_case(t))) {
            return META.severity;
        }
        let audit_off = disabled_types(rec)
            .iter()
            .any(|t| t.as_str().is_some_and(|t| t.trim().eq_ignore_ascii_case("audit")));
        if audit_off { Severity::Medium } else { Severity::Low }
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "eks.amazonaws.com"
            || rec.event_name() != "UpdateClusterConfig"
            || !rec.succeeded()
        {
            return None;
        }
        let types = disabled_types(rec);
        if types.is_empty() {
            return None;
        }
        let enabled = types_set(rec, true);
        let mut e = call_context(rec)
            .with_opt("cluster", rec.request_param_str("name"))
            .with("disabled_log_types", types);
        if !enabled.is_empty() {
            e = e.with("enabled_log_types", enabled);
        }
        fire(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing;
    use crate::detections::common::compute_testing::{ACCESS_DENIED, IAM_USER, ROLE, record};
    use crate::detections::common::testing::fires;

    fn logging(entries: &str) -> String {
        format!(r#"{{"name":"prod-cluster","logging":{{"clusterLogging":[{entries}]}}}}"#)
    }

    #[test]
    fn fires_when_some_type_is_disabled() {
        let off = logging(r#"{"types":["audit","authenticator"],"enabled":false}"#);
        assert!(fires(&EksControlPlaneLoggingDisabled, &record("eks.amazonaws.com", "UpdateClusterConfig", IAM_USER, &off, "")));
        let mixed = logging(r#"{"types":["api"],"enabled":true},{"types":["audit"],"enabled":"false"}"#);
        assert!(fires(&EksControlPlaneLoggingDisabled, &record("eks.amazonaws.com", "UpdateClusterConfig", ROLE, &mixed, "")));
    }

    /// From a second evasion review: a whole setting restated.
    #[test]
    fn a_restated_setting_is_lower() {
        let severity = |entries: &str| {
            let json = record("eks.amazonaws.com", "UpdateClusterConfig", ROLE, &logging(entries), "");
            assert!(fires(&EksControlPlaneLoggingDisabled, &json), "{entries}");
            testing::severity(&EksControlPlaneLoggingDisabled, &json)
        };
        assert_eq!(
            severity(r#"{"types":["audit"],"enabled":true},{"types":["api","authenticator","controllerManager","scheduler"],"enabled":false}"#),
            Severity::Low
        );
        assert_eq!(
            severity(r#"{"types":["api"],"enabled":true},{"types":["audit","authenticator","controllerManager","scheduler"],"enabled":false}"#),
            Severity::Medium
        );
        assert_eq!(severity(r#"{"types":["audit","scheduler"],"enabled":false}"#), Severity::High);
        // Not a restatement: one type on beside the types turned off.
        assert_eq!(severity(r#"{"types":["api"],"enabled":true},{"types":["audit","authenticator"],"enabled":false}"#), Severity::High);
        // The chatty types alone, in any form, are low.
        assert_eq!(severity(r#"{"types":["controllerManager","scheduler"],"enabled":false}"#), Severity::Low);
        assert_eq!(severity(r#"{"types":["scheduler"],"enabled":false},{"types":["controllerManager"],"enabled":false}"#), Severity::Low);
        assert_eq!(severity(r#"{"types":["controllerManager","api"],"enabled":false}"#), Severity::High);
        assert_eq!(severity(r#"{"types":["scheduler",""],"enabled":false}"#), Severity::High);
    }

    #[test]
    fn enabling_empty_lists_other_settings_and_failures_do_not_fire() {
        for p in [
            logging(r#"{"types":["audit"],"enabled":true}"#),
            logging(r#"{"types":[],"enabled":false}"#),
            logging(r#"{"types":["audit"]}"#),
            r#"{"name":"prod-cluster","resourcesVpcConfig":{"endpointPublicAccess":false}}"#.to_owned(),
            "null".to_owned(),
        ] {
            assert!(!fires(&EksControlPlaneLoggingDisabled, &record("eks.amazonaws.com", "UpdateClusterConfig", ROLE, &p, "")), "{p}");
        }
        let off = logging(r#"{"types":["audit"],"enabled":false}"#);
        assert!(!fires(&EksControlPlaneLoggingDisabled, &record("eks.amazonaws.com", "UpdateClusterConfig", ROLE, &off, ACCESS_DENIED)));
    }
}
