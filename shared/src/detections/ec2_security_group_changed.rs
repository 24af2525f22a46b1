//! A security group created or its rules changed (`CreateSecurityGroup`,
//! `AuthorizeSecurityGroupIngress/Egress`, `RevokeSecurityGroupIngress/Egress`,
//! `ModifySecurityGroupRules`), or the groups of an instance or of a network interface
//! replaced (`ModifyInstanceAttribute` or `ModifyNetworkInterfaceAttribute` with
//! `groupSet`), successfully.
//!
//! Low severity on purpose: this is everyday work, kept as an audit trail. The precise
//! "opened to the internet" case is `ec2-security-group-open-to-internet`.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{call_context, instance_id_param};
use crate::event::Record;

pub struct Ec2SecurityGroupChanged;

const RULE_CALLS: &[&str] = &[
    "AuthorizeSecurityGroupEgress",
    "AuthorizeSecurityGroupIngress",
    "CreateSecurityGroup",
    "ModifySecurityGroupRules",
    "RevokeSecurityGroupEgress",
    "RevokeSecurityGroupIngress",
];

pub static META: Meta = Meta {
    id: "ec2-security-group-changed",
    title: "AWS EC2 Security Group Configuration Change",
    description: "A security group was created or its rules were changed, or an instance was \
                  moved to other security groups. Security groups are the instance firewall: \
                  attackers loosen them to reach a host or to get data out. Teams change them \
                  every day, so this is an audit-trail finding of low severity.",
    severity: Severity::Low,
    attack: &["T1562.007", "T1133"],
    origins: &[
        "Elastic rules/integrations/aws/persistence_ec2_security_group_configuration_change_detection.toml",
    ],
    group: "compute-network",
    false_positives: &[
        "Routine changes by administrators, Terraform, CloudFormation or Kubernetes \
         controllers that manage security groups.",
    ],
    next_steps: "Look at the rule: which ports and which sources. Changes that open ports to \
                 wide ranges, or that the owner of the group does not recognise, should be \
                 reverted.",
    evidence: "group_id group_name group_set instance_id ip_permissions network_interface_id \
        region rules source_ip user_agent",
    triggers: &[
        Trigger::write("ec2.amazonaws.com", RULE_CALLS),
        Trigger::write(
            "ec2.amazonaws.com",
            &["ModifyInstanceAttribute", "ModifyNetworkInterfaceAttribute"],
        ),
    ],
    window: None,
};

impl Detection for Ec2SecurityGroupChanged {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "ec2.amazonaws.com" || !rec.succeeded() {
            return None;
        }
        let name = rec.event_name();
        if matches!(name, "ModifyInstanceAttribute" | "ModifyNetworkInterfaceAttribute") {
            // Only the security-group form of the call.
            let groups = rec.request_param("groupSet").filter(|v| !v.is_null())?;
            let e = call_context(rec)
                .with_opt("instance_id", instance_id_param(rec))
                .with_opt("network_interface_id", rec.request_param_str("networkInterfaceId"))
                .with("group_set", groups.clone());
            return fire(e);
        }
        if !RULE_CALLS.contains(&name) {
            return None;
        }
        // `ModifySecurityGroupRules` wraps its request: `{"ModifySecurityGroupRulesRequest":
        // {"GroupId": ..., "SecurityGroupRule": ...}}`.
        let wrapped = rec.request_param("ModifySecurityGroupRulesRequest");
        let group_id = rec
            .request_param_str("groupId")
            .or_else(|| wrapped.and_then(|w| w.get("GroupId")).and_then(|v| v.as_str()));
        let e = call_context(rec)
            .with_opt("group_id", group_id)
            .with_opt("group_name", rec.request_param_str("groupName"))
            .with_json("ip_permissions", rec.request_param("ipPermissions"))
            .with_json("rules", wrapped.and_then(|w| w.get("SecurityGroupRule")));
        fire(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::compute_testing::{DENIED, IAM_USER, ROLE, record};
    use crate::detections::common::testing::fires;

    #[test]
    fn fires_on_every_rule_call() {
        for name in RULE_CALLS {
            let r = record("ec2.amazonaws.com", name, ROLE, r#"{"groupId":"sg-0a1b2c3d"}"#, "");
            assert!(fires(&Ec2SecurityGroupChanged, &r), "{name}");
        }
    }

    #[test]
    fn instance_attribute_counts_only_for_group_set() {
        let groups = r#"{"instanceId":"i-0a1b2c3d","groupSet":{"items":[{"groupId":"sg-0a1b2c3d"}]}}"#;
        assert!(fires(&Ec2SecurityGroupChanged, &record("ec2.amazonaws.com", "ModifyInstanceAttribute", IAM_USER, groups, "")));
        let user_data = r#"{"instanceId":"i-0a1b2c3d","userData":"<sensitiveDataRemoved>"}"#;
        assert!(!fires(&Ec2SecurityGroupChanged, &record("ec2.amazonaws.com", "ModifyInstanceAttribute", IAM_USER, user_data, "")));
        let interface = r#"{"networkInterfaceId":"eni-0a1b2c3d","groupSet":{"items":[{"groupId":"sg-0a1b2c3d"}]}}"#;
        assert!(fires(&Ec2SecurityGroupChanged, &record("ec2.amazonaws.com", "ModifyNetworkInterfaceAttribute", IAM_USER, interface, "")));
        let description = r#"{"networkInterfaceId":"eni-0a1b2c3d","description":{"value":"web"}}"#;
        assert!(!fires(&Ec2SecurityGroupChanged, &record("ec2.amazonaws.com", "ModifyNetworkInterfaceAttribute", IAM_USER, description, "")));
        let null_groups = r#"{"instanceId":"i-0a1b2c3d","groupSet":null}"#;
        assert!(!fires(&Ec2SecurityGroupChanged, &record("ec2.amazonaws.com", "ModifyInstanceAttribute", IAM_USER, null_groups, "")));
    }

    #[test]
    fn ignores_failures_and_reads() {
        let denied = record("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", ROLE, "{}", DENIED);
        assert!(!fires(&Ec2SecurityGroupChanged, &denied));
        let read = record("ec2.amazonaws.com", "DescribeSecurityGroups", ROLE, "{}", "");
        assert!(!fires(&Ec2SecurityGroupChanged, &read));
    }
}
