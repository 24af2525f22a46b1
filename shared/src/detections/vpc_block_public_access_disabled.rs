//! The Region's VPC Block Public Access lifted, successfully: its internet-gateway
//! block turned off (`ModifyVpcBlockPublicAccessOptions` with
//! `InternetGatewayBlockMode` `off`), a VPC or subnet excluded from it
//! (`CreateVpcBlockPublicAccessExclusion`, `ModifyVpcBlockPublicAccessExclusion`
//! with an `allow-...` mode), or an organisation's EC2 declarative policy assigning
//! `off` to `vpc_block_public_access.internet_gateway_block.mode`, or allowing
//! exclusions (`exclusions_allowed` `enabled`).
//!
//! Decisions: from a third evasion review. The block stops traffic through every
//! internet gateway of the Region's VPCs whatever their security groups, routes
//! and public addresses say; only accounts that turned it on ever call this, so
//! switching it off is rare, and it re-exposes every VPC at once (high). An
//! exclusion re-opens one VPC or subnet (medium: exclusions are how the block is
//! meant to be lived with, and each is worth a look). An organisation policy that
//! turns it off reaches every account it is attached to, which cannot turn it on
//! themselves (high); one that allows exclusions lets each account open its own
//! (medium). The block moved between its two on modes (`block-bidirectional`,
//! `block-ingress`) is left out: inbound traffic stays blocked. Refused calls and
//! AWS services are left out; a stack's change counts.

use serde_json::Value;

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    aws_service_caller_but_stack, ec2_request, organizations, pascal_or_camel, policy_document, succeeded_call,
    text_is,
};
use crate::event::Record;

pub struct VpcBlockPublicAccessDisabled;

const EC2: &str = "ec2.amazonaws.com";
const OPTIONS: &str = "ModifyVpcBlockPublicAccessOptions";
const EXCLUSIONS: &[&str] = &["CreateVpcBlockPublicAccessExclusion", "ModifyVpcBlockPublicAccessExclusion"];
const ORGANIZATIONS: &str = "organizations.amazonaws.com";
const ORGANIZATION_POLICY: &[&str] = &["CreatePolicy", "UpdatePolicy"];

pub static META: Meta = Meta {
    id: "vpc-block-public-access-disabled",
    title: "AWS VPC Block Public Access Turned Off or Excluded",
    description: "The Region-wide VPC Block Public Access, which stops traffic through every \
                  internet gateway whatever the security groups and routes say, was turned \
                  off, a VPC or subnet was excluded from it, or an organisation's declarative \
                  policy turned it off or allowed exclusions. Every network it protected can \
                  now be reached from the internet again.",
    severity: Severity::High,
    attack: &["T1562.007", "T1133"],
    origins: &["trailwatch: based on the EC2 VPC Block Public Access APIs and the Organizations \
              EC2 declarative policy, from a third evasion review"],
    group: "network-exposure",
    false_positives: &[
        "A VPC that must serve the internet, excluded on purpose (medium): tune by the VPC.",
    ],
    next_steps: "Turn the block back on or remove the exclusion unless the change was \
                 planned, then look for security groups, routes and public addresses opened \
                 since in the networks it covered.",
    evidence: "action exclusion_id exclusion_mode internet_gateway_block_mode lifted policy_id \
        policy_name scope subnet_id vpc_id",
    triggers: &[
        Trigger::write(EC2, &[OPTIONS]),
        Trigger::write(EC2, EXCLUSIONS),
        Trigger::write(ORGANIZATIONS, ORGANIZATION_POLICY),
    ],
    window: None,
};

/// A request's text field, in the API's PascalCase or the flat camelCase.
fn field<'r>(request: &'r Value, key: &str) -> Option<&'r str> {
    pascal_or_camel(request, key).and_then(Value::as_str).map(str::trim)
}

/// What an organisation's EC2 declarative policy does to the block: `Some(true)`
/// when it turns it off, `Some(false)` when it only allows exclusions.
fn organization_policy_lifts(rec: &Record<'_>) -> Option<bool> {
    let doc = policy_document(rec.request_param("content")?)?;
    let block = doc.get("ec2_attributes")?.get("vpc_block_public_access")?;
    let igw = block.get("internet_gateway_block")?;
    if text_is(igw.get("mode").map(organizations::assigned), "off") {
        return Some(true);
    }
    text_is(igw.get("exclusions_allowed").map(organizations::assigned), "enabled").then_some(false)
}

impl Detection for VpcBlockPublicAccessDisabled {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn severity_for(&self, rec: &Record<'_>) -> Severity {
        let medium = EXCLUSIONS.contains(&rec.event_name())
            || (rec.event_source() == ORGANIZATIONS && organization_policy_lifts(rec) == Some(false));
        if medium { Severity::Medium } else { META.severity }
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if aws_service_caller_but_stack(rec) {
            return None;
        }
        if succeeded_call(rec, ORGANIZATIONS, ORGANIZATION_POLICY) {
            let off = organization_policy_lifts(rec)?;
            return fire(organizations::with_policy_named(
                Evidence::new()
                    .with("scope", "organization")
                    .with("lifted", if off { "turned off" } else { "exclusions allowed" }),
                rec,
            ));
        }
        if succeeded_call(rec, EC2, &[OPTIONS]) {
            let request = ec2_request(rec)?;
            let mode = field(request, "InternetGatewayBlockMode")?;
            if !mode.eq_ignore_ascii_case("off") {
                return None;
            }
            return fire(Evidence::new().with("action", OPTIONS).with("internet_gateway_block_mode", mode));
        }
        if succeeded_call(rec, EC2, EXCLUSIONS) {
            let request = ec2_request(rec)?;
            let mode = field(request, "InternetGatewayExclusionMode")?;
            if !mode.to_ascii_lowercase().starts_with("allow") {
                return None;
            }
            return fire(
                Evidence::new()
                    .with("action", rec.event_name())
                    .with("exclusion_mode", mode)
                    .with_opt("vpc_id", field(request, "VpcId"))
                    .with_opt("subnet_id", field(request, "SubnetId"))
                    .with_opt("exclusion_id", field(request, "ExclusionId")),
            );
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::{eval, fires};

    fn severity(json: &str) -> Severity {
        testing::severity(&VpcBlockPublicAccessDisabled, json)
    }

    #[test]
    fn the_block_turned_off_fires_high_in_either_form() {
        for params in [
            r#"{"ModifyVpcBlockPublicAccessOptionsRequest":{"InternetGatewayBlockMode":"off"}}"#,
            r#"{"internetGatewayBlockMode":"OFF"}"#,
        ] {
            let rec = record(EC2, OPTIONS, ROLE, params, "");
            assert!(fires(&VpcBlockPublicAccessDisabled, &rec), "{params}");
            assert_eq!(severity(&rec), Severity::High);
        }
        let on = record(EC2, OPTIONS, ROLE, r#"{"ModifyVpcBlockPublicAccessOptionsRequest":{"InternetGatewayBlockMode":"block-ingress"}}"#, "");
        assert!(!fires(&VpcBlockPublicAccessDisabled, &on));
        let refused = failed(EC2, OPTIONS, ROLE, r#"{"internetGatewayBlockMode":"off"}"#, "UnauthorizedOperation");
        assert!(!fires(&VpcBlockPublicAccessDisabled, &refused));
        let service = record(EC2, OPTIONS, SERVICE, r#"{"internetGatewayBlockMode":"off"}"#, "");
        assert!(!fires(&VpcBlockPublicAccessDisabled, &service));
    }

    #[test]
    fn exclusions_that_allow_traffic_fire_medium() {
        let exclusion = record(
            EC2,
            "CreateVpcBlockPublicAccessExclusion",
            ROLE,
            r#"{"CreateVpcBlockPublicAccessExclusionRequest":{"VpcId":"vpc-0a1b2c3d","InternetGatewayExclusionMode":"allow-bidirectional"}}"#,
            "",
        );
        match eval(&VpcBlockPublicAccessDisabled, &exclusion) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("vpc_id").and_then(|v| v.as_str()), Some("vpc-0a1b2c3d")),
            other => panic!("expected a finding, got {other:?}"),
        }
        assert_eq!(severity(&exclusion), Severity::Medium);
        let unknown = exclusion.replace("allow-bidirectional", "some-new-mode");
        assert!(!fires(&VpcBlockPublicAccessDisabled, &unknown));
    }

    #[test]
    fn organisation_policies_that_lift_the_block_fire() {
        let policy = |content: &str| {
            let content = serde_json::to_string(content).unwrap();
            record(ORGANIZATIONS, "CreatePolicy", ROLE, &format!(r#"{{"name":"ec2","type":"DECLARATIVE_POLICY_EC2","content":{content}}}"#), "")
        };
        let off = policy(r#"{"ec2_attributes":{"vpc_block_public_access":{"internet_gateway_block":{"mode":{"@@assign":"off"}}}}}"#);
        assert!(fires(&VpcBlockPublicAccessDisabled, &off));
        assert_eq!(severity(&off), Severity::High);
        let exclusions = policy(
            r#"{"ec2_attributes":{"vpc_block_public_access":{"internet_gateway_block":{"mode":{"@@assign":"block_ingress"},"exclusions_allowed":{"@@assign":"enabled"}}}}}"#,
        );
        assert!(fires(&VpcBlockPublicAccessDisabled, &exclusions));
        assert_eq!(severity(&exclusions), Severity::Medium);
        let kept = policy(r#"{"ec2_attributes":{"vpc_block_public_access":{"internet_gateway_block":{"mode":{"@@assign":"block_bidirectional"}}}}}"#);
        assert!(!fires(&VpcBlockPublicAccessDisabled, &kept));
    }
}
