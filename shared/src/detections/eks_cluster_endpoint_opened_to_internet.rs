//! An EKS cluster's Kubernetes API endpoint opened to the whole internet
//! (`UpdateClusterConfig` whose `resourcesVpcConfig.publicAccessCidrs` holds a range
//! of prefix length 0, such as `0.0.0.0/0`, or ranges that add up to a sixteenth of
//! the internet or more, `0.0.0.0/1` with `128.0.0.0/1` (`common::cidrs_open_to_internet`),
//! with the public endpoint not switched off), successfully.
//!
//! Decisions: the API server then accepts connections from anywhere, and a stolen
//! kubeconfig or token (or an unpatched API server) is enough; clusters are made
//! private or narrowed to office and CI ranges on purpose, so widening one is rare.
//! `CreateCluster` is left out: a new cluster's endpoint is public to everyone by
//! default, so every default creation would fire. An update that switches the public
//! endpoint on without naming ranges (`endpointPublicAccess` true alone) counts too,
//! with `public_access_cidrs` `not stated`: the cluster keeps whatever ranges it had,
//! which for most clusters made private after creation is everyone.

use serde_json::Value;

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{cidrs_open_to_internet, flag_value, succeeded_call};
use crate::event::Record;

pub struct EksClusterEndpointOpenedToInternet;

const SOURCE: &str = "eks.amazonaws.com";

pub static META: Meta = Meta {
    id: "eks-cluster-endpoint-opened-to-internet",
    title: "AWS EKS Cluster API Endpoint Opened to the Internet",
    description: "An EKS cluster's Kubernetes API endpoint was opened to any address on the \
                  internet. A private or narrowed endpoint is the cluster's first line of \
                  defence; opened, a stolen kubeconfig or token works from anywhere, and \
                  scanners find the endpoint within minutes.",
    severity: Severity::Medium,
    attack: &["T1133", "T1562.007"],
    origins: &[
        "trailwatch: based on the EKS UpdateClusterConfig API and a review of Kubernetes \
         persistence techniques on AWS",
    ],
    group: "compute-network",
    false_positives: &[
        "A team opening a development cluster's endpoint on purpose (tune by cluster).",
    ],
    next_steps: "Check who needs the endpoint and from where. Unless it is meant to be public, \
                 narrow publicAccessCidrs again or make the endpoint private, then review the \
                 cluster's audit log for API calls from unknown addresses since.",
    evidence: "cluster public_access_cidrs",
    triggers: &[Trigger::write(SOURCE, &["UpdateClusterConfig"])],
    window: None,
};

impl Detection for EksClusterEndpointOpenedToInternet {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, SOURCE, &["UpdateClusterConfig"]) {
            return None;
        }
        let config = rec.request_param("resourcesVpcConfig")?;
        let public = config.get("endpointPublicAccess").and_then(flag_value);
        if public == Some(false) {
            return None;
        }
        let cidrs: Vec<&str> = match config.get("publicAccessCidrs") {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            Some(Value::String(s)) => vec![s.as_str()],
            _ => Vec::new(),
        };
        let open = cidrs_open_to_internet(&cidrs);
        let e = Evidence::new().with_opt("cluster", rec.request_param_str("name"));
        if !open.is_empty() {
            return fire(e.with("public_access_cidrs", open));
        }
        if cidrs.is_empty() && public == Some(true) {
            return fire(e.with("public_access_cidrs", "not stated"));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::calls::{call, failed};
    use crate::detections::common::testing::{eval, fires};

    fn update(config: &str) -> String {
        call(SOURCE, "UpdateClusterConfig", &format!(r#"{{"name":"prod","resourcesVpcConfig":{config}}}"#))
    }

    #[test]
    fn opening_the_endpoint_to_everyone_fires() {
        match eval(&EksClusterEndpointOpenedToInternet, &update(r#"{"endpointPublicAccess":true,"publicAccessCidrs":["0.0.0.0/0"]}"#)) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("cluster").and_then(|v| v.as_str()), Some("prod")),
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(fires(&EksClusterEndpointOpenedToInternet, &update(r#"{"publicAccessCidrs":["203.0.113.0/24","::/0"]}"#)));
        match eval(&EksClusterEndpointOpenedToInternet, &update(r#"{"endpointPublicAccess":"true","endpointPrivateAccess":true}"#)) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("public_access_cidrs").and_then(|v| v.as_str()), Some("not stated")),
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn narrow_ranges_private_endpoints_other_settings_and_refusals_do_not_fire() {
        for config in [
            r#"{"endpointPublicAccess":true,"publicAccessCidrs":["203.0.113.0/24"]}"#,
            r#"{"endpointPublicAccess":false,"endpointPrivateAccess":true}"#,
            r#"{"endpointPublicAccess":false,"publicAccessCidrs":["0.0.0.0/0"]}"#,
            r#"{"endpointPrivateAccess":true}"#,
        ] {
            assert!(!fires(&EksClusterEndpointOpenedToInternet, &update(config)), "{config}");
        }
        let logging = call(SOURCE, "UpdateClusterConfig", r#"{"name":"prod","logging":{"clusterLogging":[{"types":["audit"],"enabled":true}]}}"#);
        assert!(!fires(&EksClusterEndpointOpenedToInternet, &logging));
        let open = update(r#"{"publicAccessCidrs":["0.0.0.0/0"]}"#);
        assert!(!fires(&EksClusterEndpointOpenedToInternet, &failed(&open, "InvalidParameterException")));
    }
}
