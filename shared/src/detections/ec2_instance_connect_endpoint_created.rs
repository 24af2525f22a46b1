//! An EC2 Instance Connect Endpoint created (`CreateInstanceConnectEndpoint`),
//! successfully, by anyone but an AWS service (a CloudFormation stack's counts, as
//! its caller's: from a second evasion review).
//!
//! Decisions: an endpoint in a private subnet lets whoever holds the IAM permission
//! open SSH or RDP tunnels (`OpenTunnel`) to any instance there, with no bastion, no
//! public address and no VPN: a door into the private network that security groups
//! and network reviews were not built around. Creations are rare (one per VPC or
//! subnet, set up once), so each is reported; the tunnels themselves are not (they are
//! everyday use once an endpoint exists).

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_caller_but_stack, call_context, succeeded_call};
use crate::event::Record;

pub struct Ec2InstanceConnectEndpointCreated;

const NAMES: &[&str] = &["CreateInstanceConnectEndpoint"];

pub static META: Meta = Meta {
    id: "ec2-instance-connect-endpoint-created",
    title: "AWS EC2 Instance Connect Endpoint Created",
    description: "An EC2 Instance Connect Endpoint was created. It lets anyone with the \
                  right IAM permission open SSH or RDP tunnels to instances in private \
                  subnets, without a bastion, a public address or a VPN: intruders with \
                  cloud credentials create one to reach hosts the network was built to hide.",
    severity: Severity::Medium,
    attack: &["T1133", "T1572"],
    origins: &[
        "trailwatch: based on the EC2 CreateInstanceConnectEndpoint API and public research \
         on Instance Connect Endpoint tunnels",
    ],
    group: "compute-network",
    false_positives: &["The network team setting up private access for administrators."],
    next_steps: "Check which subnet and security group the endpoint uses and who may call \
                 ec2-instance-connect:OpenTunnel. If unplanned, delete the endpoint and \
                 review the tunnels opened through it (OpenTunnel events) and the instances \
                 reached.",
    evidence: "preserve_client_ip region source_ip subnet user_agent",
    triggers: &[Trigger::write("ec2.amazonaws.com", NAMES)],
    window: None,
};

impl Detection for Ec2InstanceConnectEndpointCreated {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, "ec2.amazonaws.com", NAMES) || aws_service_caller_but_stack(rec) {
            return None;
        }
        let request = rec.request_param("CreateInstanceConnectEndpointRequest");
        let field = |k: &str| {
            rec.request_param_str(k)
                .or_else(|| request.and_then(|r| r.get(k)).and_then(|v| v.as_str()))
        };
        fire(
            call_context(rec)
                .with_opt("subnet", field("SubnetId").or_else(|| field("subnetId")))
                .with_json(
                    "preserve_client_ip",
                    request
                        .and_then(|r| r.get("PreserveClientIp"))
                        .or_else(|| rec.request_param("preserveClientIp")),
                ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::compute_testing::{DENIED, IAM_USER, SERVICE, record};
    use crate::detections::common::testing::{eval, fires};

    const CREATE: &str = r#"{"CreateInstanceConnectEndpointRequest":{"SubnetId":"subnet-0a1b2c3d4e5f67890","SecurityGroupId":{"content":"sg-0a1b2c3d","tag":1},"ClientToken":"x"}}"#;

    #[test]
    fn a_new_endpoint_fires_with_its_subnet() {
        match eval(&Ec2InstanceConnectEndpointCreated, &record("ec2.amazonaws.com", "CreateInstanceConnectEndpoint", IAM_USER, CREATE, "")) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("subnet").and_then(|v| v.as_str()), Some("subnet-0a1b2c3d4e5f67890")),
            other => panic!("expected a finding, got {other:?}"),
        }
        let flat = r#"{"subnetId":"subnet-0a1b2c3d4e5f67890"}"#;
        assert!(fires(&Ec2InstanceConnectEndpointCreated, &record("ec2.amazonaws.com", "CreateInstanceConnectEndpoint", IAM_USER, flat, "")));
    }

    #[test]
    fn refusals_services_and_deletions_do_not_fire() {
        assert!(!fires(&Ec2InstanceConnectEndpointCreated, &record("ec2.amazonaws.com", "CreateInstanceConnectEndpoint", IAM_USER, CREATE, DENIED)));
        assert!(!fires(&Ec2InstanceConnectEndpointCreated, &record("ec2.amazonaws.com", "CreateInstanceConnectEndpoint", SERVICE, CREATE, "")));
        let stack = r#"{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/Deployer/s","accountId":"111122223333","invokedBy":"cloudformation.amazonaws.com"}"#;
        assert!(fires(&Ec2InstanceConnectEndpointCreated, &record("ec2.amazonaws.com", "CreateInstanceConnectEndpoint", stack, CREATE, "")));
        assert!(!fires(&Ec2InstanceConnectEndpointCreated, &record("ec2.amazonaws.com", "DeleteInstanceConnectEndpoint", IAM_USER, CREATE, "")));
    }
}
