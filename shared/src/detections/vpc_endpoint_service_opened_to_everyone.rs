//! A VPC endpoint service (PrivateLink) that lets any AWS principal connect
//! (`ModifyVpcEndpointServicePermissions` adding the principal `*`, successfully).
//!
//! Decisions: an endpoint service is meant to be shared with named accounts; `*` lets
//! every AWS account create an endpoint to it, and without acceptance required (a
//! separate setting) the connection is made at once. Named principals, however
//! many, are the service's ordinary use and do not count. EC2 logs the added
//! principals under `AddAllowedPrincipals` as text, a list, or the query API's
//! `{"content": ...}` items, sometimes inside a request wrapper: all are read.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{one_or_many, succeeded_call, texts_at_key, values_at_key};
use crate::event::Record;

pub struct VpcEndpointServiceOpenedToEveryone;

const EC2: &str = "ec2.amazonaws.com";
const CALLS: &[&str] = &["ModifyVpcEndpointServicePermissions"];

pub static META: Meta = Meta {
    id: "vpc-endpoint-service-opened-to-everyone",
    title: "AWS VPC Endpoint Service Opened to Every AWS Account",
    description: "A VPC endpoint service (PrivateLink) now allows the principal `*`: any AWS \
                  account can create an endpoint to it and reach the service behind it from \
                  its own network.",
    severity: Severity::Medium,
    attack: &["T1133", "T1599"],
    origins: &[
        "trailwatch: from a red-team gap hunt (network bridges: endpoint services opened to \
         everyone)",
    ],
    group: "network-exposure",
    false_positives: &[
        "Services published on purpose to every AWS customer, usually with acceptance \
         required: tune by the service.",
    ],
    next_steps: "Remove `*` from the service's allowed principals, list the endpoint \
                 connections made since the change and reject those from unknown accounts, \
                 and check that acceptance is required.",
    evidence: "added_principal service_id",
    triggers: &[Trigger::write(EC2, CALLS)],
    window: None,
};

/// The principals a request adds, in any of the shapes EC2 logs them: text, a list
/// of texts, or the query API's `{"content": ..., "tag": ...}` items.
fn added_principals<'r>(rec: &'r Record<'_>) -> Vec<&'r str> {
    let Some(params) = rec.request_parameters() else {
        return Vec::new();
    };
    values_at_key(params, "addAllowedPrincipals")
        .into_iter()
        .flat_map(|v| {
            let mut texts = texts_at_key(v, "content");
            texts.extend(one_or_many(Some(v)).into_iter().filter_map(|i| i.as_str()));
            texts
        })
        .collect()
}

impl Detection for VpcEndpointServiceOpenedToEveryone {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, EC2, CALLS) {
            return None;
        }
        if !added_principals(rec).iter().any(|p| p.trim() == "*") {
            return None;
        }
        let service = rec
            .request_parameters()
            .and_then(|p| texts_at_key(p, "serviceId").first().copied());
        fire(Evidence::new().with_opt("service_id", service).with("added_principal", "*"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, failed, record};
    use crate::detections::common::testing::{eval, fires};

    #[test]
    fn star_added_in_any_shape_fires() {
        for params in [
            r#"{"ModifyVpcEndpointServicePermissionsRequest":{"ServiceId":"vpce-svc-0a1b2c3d4e5f60718","AddAllowedPrincipals":{"tag":1,"content":"*"}}}"#,
            r#"{"serviceId":"vpce-svc-0a1b2c3d4e5f60718","addAllowedPrincipals":["arn:aws:iam::444455556666:root","*"]}"#,
            r#"{"serviceId":"vpce-svc-0a1b2c3d4e5f60718","addAllowedPrincipals":"*"}"#,
            r#"{"ServiceId":"vpce-svc-0a1b2c3d4e5f60718","AddAllowedPrincipals":[{"tag":1,"content":"arn:aws:iam::444455556666:root"},{"tag":2,"content":" * "}]}"#,
        ] {
            match eval(&VpcEndpointServiceOpenedToEveryone, &record(EC2, "ModifyVpcEndpointServicePermissions", ROLE, params, "")) {
                Some(Signal::Fire(e)) => assert_eq!(e.get("service_id").and_then(|v| v.as_str()), Some("vpce-svc-0a1b2c3d4e5f60718"), "{params}"),
                other => panic!("expected a finding for {params}, got {other:?}"),
            }
        }
    }

    #[test]
    fn named_principals_removals_failures_and_other_calls_do_not() {
        let named = r#"{"serviceId":"vpce-svc-1","addAllowedPrincipals":["arn:aws:iam::444455556666:root"]}"#;
        assert!(!fires(&VpcEndpointServiceOpenedToEveryone, &record(EC2, "ModifyVpcEndpointServicePermissions", ROLE, named, "")));
        let removed = r#"{"serviceId":"vpce-svc-1","removeAllowedPrincipals":["*"]}"#;
        assert!(!fires(&VpcEndpointServiceOpenedToEveryone, &record(EC2, "ModifyVpcEndpointServicePermissions", ROLE, removed, "")));
        let star = r#"{"serviceId":"vpce-svc-1","addAllowedPrincipals":["*"]}"#;
        assert!(!fires(&VpcEndpointServiceOpenedToEveryone, &failed(EC2, "ModifyVpcEndpointServicePermissions", ROLE, star, "Client.UnauthorizedOperation")));
        assert!(!fires(&VpcEndpointServiceOpenedToEveryone, &record(EC2, "ModifyVpcEndpointServiceConfiguration", ROLE, star, "")));
        assert!(!fires(&VpcEndpointServiceOpenedToEveryone, &record(EC2, "ModifyVpcEndpointServicePermissions", ROLE, "null", "")));
    }
}
