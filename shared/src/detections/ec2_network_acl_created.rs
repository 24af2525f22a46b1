//! A network ACL or an ACL entry created (`CreateNetworkAcl`, `CreateNetworkAclEntry`),
//! successfully. Low severity: routine for network teams and infrastructure code.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{call_context, nacl_entry_evidence};
use crate::event::Record;

pub struct Ec2NetworkAclCreated;

pub static META: Meta = Meta {
    id: "ec2-network-acl-created",
    title: "AWS EC2 Network Access Control List Creation",
    description: "A network ACL or one of its rules was created. Network ACLs decide what may \
                  enter or leave a subnet; a new allow rule can open a path for persistence or \
                  exfiltration that security groups alone would have blocked. Ordinary network \
                  work does this too, hence the low severity.",
    severity: Severity::Low,
    attack: &["T1133"],
    origins: &["Elastic rules/integrations/aws/persistence_ec2_network_acl_creation.toml"],
    group: "compute-network",
    false_positives: &[
        "Network changes made by administrators, Terraform or CloudFormation; new VPCs and \
         subnets come with new ACLs and rules.",
    ],
    next_steps: "Check the rule (direction, protocol, ports, CIDR, allow or deny) and whether \
                 a change request covers it. Remove unexpected allow rules.",
    evidence: "cidr_block egress ipv6_cidr_block network_acl_id protocol region rule_action \
        rule_number source_ip user_agent vpc_id",
    triggers: &[Trigger::write(
        "ec2.amazonaws.com",
        &["CreateNetworkAcl", "CreateNetworkAclEntry"],
    )],
    window: None,
};

impl Detection for Ec2NetworkAclCreated {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "ec2.amazonaws.com"
            || !matches!(rec.event_name(), "CreateNetworkAcl" | "CreateNetworkAclEntry")
            || !rec.succeeded()
        {
            return None;
        }
        fire(nacl_entry_evidence(call_context(rec), rec).with_opt("vpc_id", rec.request_param_str("vpcId")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::compute_testing::{DENIED, IAM_USER, ROLE, record};
    use crate::detections::common::testing::{eval, fires};

    #[test]
    fn fires_on_acl_and_entry_creation() {
        let acl = record("ec2.amazonaws.com", "CreateNetworkAcl", ROLE, r#"{"vpcId":"vpc-0a1b2c3d"}"#, "");
        assert!(fires(&Ec2NetworkAclCreated, &acl));
        let entry = r#"{"networkAclId":"acl-0a1b2c3d","ruleNumber":100,"egress":false,"ruleAction":"allow",
            "aclProtocol":"6","cidrBlock":"198.51.100.0/24","portRange":{"from":443,"to":443}}"#;
        match eval(&Ec2NetworkAclCreated, &record("ec2.amazonaws.com", "CreateNetworkAclEntry", IAM_USER, entry, "")) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("network_acl_id").unwrap(), "acl-0a1b2c3d");
                assert_eq!(e.get("rule_action").unwrap(), "allow");
                assert_eq!(e.get("cidr_block").unwrap(), "198.51.100.0/24");
            }
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn ignores_failures_and_other_acl_calls() {
        let denied = record("ec2.amazonaws.com", "CreateNetworkAclEntry", ROLE, "{}", DENIED);
        assert!(!fires(&Ec2NetworkAclCreated, &denied));
        let replace = record("ec2.amazonaws.com", "ReplaceNetworkAclEntry", ROLE, "{}", "");
        assert!(!fires(&Ec2NetworkAclCreated, &replace));
        assert!(fires(&Ec2NetworkAclCreated, &record("ec2.amazonaws.com", "CreateNetworkAcl", ROLE, "null", "")));
    }
}
