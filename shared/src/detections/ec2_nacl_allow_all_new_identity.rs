//! A network ACL rule that allows all traffic (`CreateNetworkAclEntry` or
//! `ReplaceNetworkAclEntry` with protocol `-1` and action `allow`) from or to the
//! internet, made or attempted by an identity that has not made one in the last seven
//! days.
//!
//! "The internet" is the entry's block as `common::cidrs_open_to_internet` reads it
//! (`/0`, or a block of a sixteenth of the address space or more): all protocols from
//! the VPC's own range or one address is everyday infrastructure, not a subnet's
//! filter removed. An entry whose block is absent or not a CIDR counts (it cannot be
//! told narrow).
//!
//! Denied attempts count, as in Elastic's rule: a new identity trying to open a subnet
//! is probing what its credentials allow (the error is in the evidence).
//!
//! First-seen on account and principal, as Elastic's new-terms rule keys on the
//! caller's ARN; for a role session, the role's ARN (SDKs name a new session on
//! every assume, which would make every pipeline run new). Calls a CloudFormation
//! stack makes are left out (its rules are reviewed with the template); a tool's user
//! agent is no exemption, since the caller writes it (`common::stack_deployment_caller`).
//! Both directions count: an all-traffic egress rule is the way out.
//!
//! From a second evasion review: every port of TCP or UDP (protocol `6` or `17`,
//! or their names, with a port range of 0, or 1 since a third review, to 65535)
//! opens as much of what matters as `-1` does, and the older spelling `all` is `-1`.

use serde_json::Value;

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, WindowSpec};
use crate::detections::common::{
    account_principal_term, call_context, cidrs_open_to_internet, nacl_entry_evidence,
    stack_deployment_caller, with_error,
};
use crate::event::Record;

pub struct Ec2NaclAllowAllNewIdentity;

pub static META: Meta = Meta {
    id: "ec2-nacl-allow-all-new-identity",
    title: "AWS EC2 NACL Entry Allowing All Traffic by New Identity",
    description: "An identity that has not done so in the last seven days created or replaced \
                  a network ACL rule allowing every protocol and port from or to the internet. Such a rule removes the \
                  subnet-level filter altogether, which opens a path in or out for an attacker \
                  who controls that identity.",
    severity: Severity::Medium,
    attack: &["T1562.007"],
    origins: &["Elastic rules/integrations/aws/defense_evasion_ec2_nacl_all_traffic_allowed_new_identity.toml"],
    group: "compute-network",
    false_positives: &[
        "A new administrator or pipeline role setting up default allow-all ACL rules (the \
         VPC default ACL has them) outside CloudFormation: exempt the pipeline's role by \
         its ARN in the tuning file.",
    ],
    next_steps: "Check the rule's CIDR and direction and the subnets using the ACL. Confirm the \
                 change with the identity's owner; replace the rule with the intended narrow \
                 one if it was not planned.",
    evidence: "cidr_block egress error_code error_message ipv6_cidr_block network_acl_id protocol \
        region rule_action rule_number source_ip user_agent",
    triggers: &[Trigger::write(
        "ec2.amazonaws.com",
        &["CreateNetworkAclEntry", "ReplaceNetworkAclEntry"],
    )],
    window: Some(WindowSpec::FirstSeen { days: 7 }),
};

/// Protocol `-1` (all), written as a number or as text, or its older name `all`.
fn all_protocols(v: Option<&Value>) -> bool {
    match v {
        Some(Value::String(s)) => s.trim() == "-1" || s.trim().eq_ignore_ascii_case("all"),
        Some(Value::Number(n)) => n.as_i64() == Some(-1),
        _ => false,
    }
}

/// TCP or UDP (`6`, `17`, or their names) on every port (`portRange` 0 to 65535).
fn every_port_of_tcp_or_udp(rec: &Record) -> bool {
    let protocol = match rec.request_param("aclProtocol") {
        Some(Value::String(s)) => s.trim().to_ascii_lowercase(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return false,
    };
    let port = |k: &str| {
        let v = rec.request_param("portRange")?.get(k)?;
        v.as_i64().or_else(|| v.as_str()?.trim().parse().ok())
    };
    // Port 0 carries no TCP or UDP service: 1 to 65535 opens the same (a third
    // evasion review).
    matches!(protocol.as_str(), "6" | "17" | "tcp" | "udp")
        && port("from").is_some_and(|p| p <= 1)
        && port("to") == Some(65535)
}

/// The entry's block (`cidrBlock`, else `ipv6CidrBlock`) is a CIDR block narrower
/// than the internet.
fn narrow_block(rec: &Record) -> bool {
    let block = rec
        .request_param_str("cidrBlock")
        .or_else(|| rec.request_param_str("ipv6CidrBlock"));
    block.is_some_and(|b| {
        let parses = b
            .trim()
            .split_once('/')
            .is_some_and(|(a, len)| a.trim().parse::<std::net::IpAddr>().is_ok() && len.trim().parse::<u32>().is_ok());
        parses && cidrs_open_to_internet(&[b]).is_empty()
    })
}

impl Detection for Ec2NaclAllowAllNewIdentity {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "ec2.amazonaws.com"
            || !matches!(rec.event_name(), "CreateNetworkAclEntry" | "ReplaceNetworkAclEntry")
            || stack_deployment_caller(rec)
        {
            return None;
        }
        let allow = rec
            .request_param_str("ruleAction")
            .is_some_and(|a| a.trim().eq_ignore_ascii_case("allow"));
        let every_protocol = all_protocols(rec.request_param("aclProtocol")) || every_port_of_tcp_or_udp(rec);
        if !allow || !every_protocol || narrow_block(rec) {
            return None;
        }
        Some(Signal::FirstSeen {
            term: account_principal_term(rec),
            evidence: with_error(nacl_entry_evidence(call_context(rec), rec), rec),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::compute_testing::{DENIED, IAM_USER, ROLE, record};
    use crate::detections::common::testing::eval;

    fn entry(protocol: &str, action: &str) -> String {
        format!(
            r#"{{"networkAclId":"acl-0a1b2c3d","ruleNumber":50,"egress":true,"ruleAction":"{action}",
            "aclProtocol":{protocol},"cidrBlock":"0.0.0.0/0","portRange":{{}},"icmpTypeCode":{{}}}}"#
        )
    }

    /// From a second evasion review: every port of TCP or UDP, and `all`.
    #[test]
    fn every_port_of_tcp_or_udp_and_the_word_all_count() {
        let ports = |protocol: &str, from: &str, to: &str| {
            entry(protocol, "allow").replace(r#""portRange":{}"#, &format!(r#""portRange":{{"from":{from},"to":{to}}}"#))
        };
        for json in [ports(r#""6""#, "0", "65535"), ports(r#""17""#, r#""0""#, r#""65535""#), ports(r#""tcp""#, "0", "65535"), ports(r#""6""#, "1", "65535"), entry(r#""all""#, "allow")] {
            assert!(term(&record("ec2.amazonaws.com", "ReplaceNetworkAclEntry", ROLE, &json, "")).is_some(), "{json}");
        }
        for json in [ports(r#""6""#, "3389", "3389"), ports(r#""6""#, "2", "65535"), ports(r#""1""#, "0", "65535"), entry(r#""6""#, "allow")] {
            assert!(term(&record("ec2.amazonaws.com", "ReplaceNetworkAclEntry", ROLE, &json, "")).is_none(), "{json}");
        }
    }

    fn term(json: &str) -> Option<String> {
        match eval(&Ec2NaclAllowAllNewIdentity, json) {
            Some(Signal::FirstSeen { term, .. }) => Some(term),
            None => None,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn an_allow_all_rule_is_a_term_of_account_and_caller() {
        let r = record("ec2.amazonaws.com", "CreateNetworkAclEntry", IAM_USER, &entry(r#""-1""#, "allow"), "");
        assert_eq!(term(&r).unwrap(), "111122223333|arn:aws:iam::111122223333:user/dana");
        let numeric = record("ec2.amazonaws.com", "ReplaceNetworkAclEntry", ROLE, &entry("-1", "ALLOW"), "");
        assert!(term(&numeric).is_some());
    }

    #[test]
    fn a_denied_attempt_counts_with_its_error() {
        let denied = record("ec2.amazonaws.com", "CreateNetworkAclEntry", ROLE, &entry(r#""-1""#, "allow"), DENIED);
        let Some(Signal::FirstSeen { term, evidence }) = eval(&Ec2NaclAllowAllNewIdentity, &denied) else {
            panic!("a denied attempt is a term");
        };
        assert!(term.starts_with("111122223333|"), "{term}");
        assert!(evidence.get("error_code").is_some(), "{evidence:?}");
    }

    #[test]
    fn narrow_or_deny_rules_and_stacks_do_not_count() {
        for (p, a) in [(r#""6""#, "allow"), (r#""-1""#, "deny"), ("null", "allow")] {
            let r = record("ec2.amazonaws.com", "CreateNetworkAclEntry", ROLE, &entry(p, a), "");
            assert_eq!(term(&r), None, "{p} {a}");
        }
        let tf = record("ec2.amazonaws.com", "CreateNetworkAclEntry", ROLE, &entry(r#""-1""#, "allow"), "")
            .replace("aws-cli/2.17.20", "APN/1.0 HashiCorp/1.0 Terraform/1.9.8");
        assert!(tf.contains("Terraform/1.9.8"));
        assert!(term(&tf).is_some(), "an agent is the caller's to write");
        let by_stack = ROLE.replacen(r#"{"type""#, r#"{"invokedBy":"cloudformation.amazonaws.com","type""#, 1);
        let stack = record("ec2.amazonaws.com", "CreateNetworkAclEntry", &by_stack, &entry(r#""-1""#, "allow"), "");
        assert_eq!(term(&stack), None);
        for narrow in ["10.0.0.0/8", "198.51.100.7/32", " 172.16.0.0/12 "] {
            let r = record("ec2.amazonaws.com", "CreateNetworkAclEntry", ROLE,
                &entry(r#""-1""#, "allow").replace("0.0.0.0/0", narrow), "");
            assert_eq!(term(&r), None, "{narrow}");
        }
        for wide in ["0.0.0.0/1", "128.0.0.0/2"] {
            let r = record("ec2.amazonaws.com", "CreateNetworkAclEntry", ROLE,
                &entry(r#""-1""#, "allow").replace("0.0.0.0/0", wide), "");
            assert!(term(&r).is_some(), "{wide}");
        }
        let v6 = entry(r#""-1""#, "allow").replace(r#""cidrBlock":"0.0.0.0/0""#, r#""ipv6CidrBlock":"::/0""#);
        assert!(term(&record("ec2.amazonaws.com", "CreateNetworkAclEntry", ROLE, &v6, "")).is_some());
        let v6_narrow = v6.replace("::/0", "2001:db8::/56");
        assert_eq!(term(&record("ec2.amazonaws.com", "CreateNetworkAclEntry", ROLE, &v6_narrow, "")), None);
        let garbled = entry(r#""-1""#, "allow").replace("0.0.0.0/0", "anywhere");
        assert!(term(&record("ec2.amazonaws.com", "CreateNetworkAclEntry", ROLE, &garbled, "")).is_some());
        let no_params = record("ec2.amazonaws.com", "CreateNetworkAclEntry", ROLE, "null", "");
        assert_eq!(term(&no_params), None);
    }
}
