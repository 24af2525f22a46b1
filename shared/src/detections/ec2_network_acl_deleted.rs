//! A network ACL or an ACL entry deleted (`DeleteNetworkAcl`,
//! `DeleteNetworkAclEntry`), successfully.
//!
//! Deleting a deny rule opens traffic it blocked; deleting a whole ACL is only possible
//! when no subnet uses it. Both are reported, medium severity, as Elastic does.
//!
//! From a third evasion review: an entry replaced in place by one that allows
//! traffic from or to the internet (`ReplaceNetworkAclEntry` with `ruleAction`
//! `allow` and a block `common::cidrs_open_to_internet` reads as the internet)
//! opens what deleting the deny rule under that number would. The record does not
//! say what the rule was before: an allow restated reads the same.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{call_context, cidrs_open_to_internet, nacl_entry_evidence};
use crate::event::Record;

pub struct Ec2NetworkAclDeleted;

pub static META: Meta = Meta {
    id: "ec2-network-acl-deleted",
    title: "AWS EC2 Network Access Control List Deletion",
    description: "A network ACL or one of its rules was deleted. Removing a deny rule lets \
                  through traffic the network team meant to block, which attackers do to \
                  reach a subnet or to open a way out for data.",
    severity: Severity::Medium,
    attack: &["T1562.007"],
    origins: &["Elastic rules/integrations/aws/defense_evasion_ec2_network_acl_deletion.toml"],
    group: "compute-network",
    false_positives: &[
        "Clean-up of VPCs and subnets, or rule changes made through infrastructure code.",
    ],
    next_steps: "Find what the deleted rule did (AWS Config history of the ACL) and restore it \
                 if it was a deny rule nobody meant to remove.",
    evidence: "cidr_block egress ipv6_cidr_block network_acl_id protocol region rule_action \
        rule_number source_ip user_agent",
    triggers: &[Trigger::write(
        "ec2.amazonaws.com",
        &["DeleteNetworkAcl", "DeleteNetworkAclEntry", REPLACE],
    )],
    window: None,
};

impl Detection for Ec2NetworkAclDeleted {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "ec2.amazonaws.com"
            || !matches!(rec.event_name(), "DeleteNetworkAcl" | "DeleteNetworkAclEntry" | REPLACE)
            || !rec.succeeded()
        {
            return None;
        }
        if rec.event_name() == REPLACE && !allows_the_internet(rec) {
            return None;
        }
        fire(nacl_entry_evidence(call_context(rec), rec))
    }
}

/// An entry replaced in place (see the top comment).
const REPLACE: &str = "ReplaceNetworkAclEntry";

/// The replacing entry allows traffic from or to the internet.
fn allows_the_internet(rec: &Record<'_>) -> bool {
    let allow = rec
        .request_param_str("ruleAction")
        .is_some_and(|a| a.trim().eq_ignore_ascii_case("allow"));
    let block = rec
        .request_param_str("cidrBlock")
        .or_else(|| rec.request_param_str("ipv6CidrBlock"));
    allow && block.is_some_and(|b| !cidrs_open_to_internet(&[b]).is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::compute_testing::{DENIED, IAM_USER, ROOT, record};
    use crate::detections::common::testing::fires;

    #[test]
    fn fires_on_acl_and_entry_deletion() {
        let entry = r#"{"networkAclId":"acl-0a1b2c3d","ruleNumber":90,"egress":false}"#;
        assert!(fires(&Ec2NetworkAclDeleted, &record("ec2.amazonaws.com", "DeleteNetworkAclEntry", IAM_USER, entry, "")));
        assert!(fires(&Ec2NetworkAclDeleted, &record("ec2.amazonaws.com", "DeleteNetworkAcl", ROOT, "null", "")));
    }

    #[test]
    fn ignores_failures_and_creation() {
        let denied = record("ec2.amazonaws.com", "DeleteNetworkAcl", IAM_USER, "{}", DENIED);
        assert!(!fires(&Ec2NetworkAclDeleted, &denied));
        let create = record("ec2.amazonaws.com", "CreateNetworkAclEntry", IAM_USER, "{}", "");
        assert!(!fires(&Ec2NetworkAclDeleted, &create));
    }

    /// From a third evasion review: a deny rule replaced by an allow from anywhere.
    #[test]
    fn an_entry_replaced_by_an_allow_from_the_internet_fires() {
        let entry = |action: &str, cidr: &str| {
            format!(r#"{{"networkAclId":"acl-0a1b2c3d","ruleNumber":50,"egress":false,"ruleAction":"{action}","aclProtocol":"6","cidrBlock":"{cidr}","portRange":{{"from":22,"to":22}}}}"#)
        };
        let replace = |json: &str| record("ec2.amazonaws.com", REPLACE, IAM_USER, json, "");
        assert!(fires(&Ec2NetworkAclDeleted, &replace(&entry("allow", "0.0.0.0/0"))));
        assert!(fires(&Ec2NetworkAclDeleted, &replace(&entry("ALLOW", "0.0.0.0/1"))));
        assert!(!fires(&Ec2NetworkAclDeleted, &replace(&entry("allow", "10.0.0.0/8"))));
        assert!(!fires(&Ec2NetworkAclDeleted, &replace(&entry("deny", "0.0.0.0/0"))));
    }
}
