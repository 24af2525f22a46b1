//! A network ACL rule that allows all traffic (`CreateNetworkAclEntry` or
//! `ReplaceNetworkAclEntry` with protocol `-1` and action `allow`), made or attempted by
//! an identity that has not made one in the last seven days.
//!
//! Denied attempts count, as in Elastic's rule: a new identity trying to open a subnet
//! is probing what its credentials allow (the error is in the evidence).
//!
//! First-seen on account and principal, as Elastic's new-terms rule keys on the
//! caller's ARN; for a role session, the role's ARN (SDKs name a new session on
//! every assume, which would make every pipeline run new). Calls from infrastructure-as-code tools are left out (their rules are
//! reviewed in code). Both directions count: an all-traffic egress rule is the way out.

use serde_json::Value;

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, WindowSpec};
use crate::detections::common::{
    account_principal_term, call_context, deployment_tool_caller, nacl_entry_evidence, with_error,
};
use crate::event::Record;

pub struct Ec2NaclAllowAllNewIdentity;

pub static META: Meta = Meta {
    id: "ec2-nacl-allow-all-new-identity",
    title: "AWS EC2 NACL Entry Allowing All Traffic by New Identity",
    description: "An identity that has not done so in the last seven days created or replaced \
                  a network ACL rule allowing every protocol and port. Such a rule removes the \
                  subnet-level filter altogether, which opens a path in or out for an attacker \
                  who controls that identity.",
    severity: Severity::Medium,
    attack: &["T1562.007"],
    origins: &["Elastic rules/integrations/aws/defense_evasion_ec2_nacl_all_traffic_allowed_new_identity.toml"],
    group: "compute-network",
    false_positives: &[
        "A new administrator or pipeline role setting up default allow-all ACL rules (the \
         VPC default ACL has them), outside infrastructure code.",
    ],
    next_steps: "Check the rule's CIDR and direction and the subnets using the ACL. Confirm the \
                 change with the identity's owner; replace the rule with the intended narrow \
                 one if it was not planned.",
    triggers: &[Trigger::write(
        "ec2.amazonaws.com",
        &["CreateNetworkAclEntry", "ReplaceNetworkAclEntry"],
    )],
    window: Some(WindowSpec::FirstSeen { days: 7 }),
};

/// Protocol `-1` (all), written as a number or as text.
fn all_protocols(v: Option<&Value>) -> bool {
    match v {
        Some(Value::String(s)) => s.trim() == "-1",
        Some(Value::Number(n)) => n.as_i64() == Some(-1),
        _ => false,
    }
}

impl Detection for Ec2NaclAllowAllNewIdentity {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "ec2.amazonaws.com"
            || !matches!(rec.event_name(), "CreateNetworkAclEntry" | "ReplaceNetworkAclEntry")
            || deployment_tool_caller(rec)
        {
            return None;
        }
        let allow = rec
            .request_param_str("ruleAction")
            .is_some_and(|a| a.trim().eq_ignore_ascii_case("allow"));
        if !allow || !all_protocols(rec.request_param("aclProtocol")) {
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
    fn narrow_or_deny_rules_and_iac_do_not_count() {
        for (p, a) in [(r#""6""#, "allow"), (r#""-1""#, "deny"), ("null", "allow")] {
            let r = record("ec2.amazonaws.com", "CreateNetworkAclEntry", ROLE, &entry(p, a), "");
            assert_eq!(term(&r), None, "{p} {a}");
        }
        let tf = record("ec2.amazonaws.com", "CreateNetworkAclEntry", ROLE, &entry(r#""-1""#, "allow"), "")
            .replace("aws-cli/2.17.20", "APN/1.0 HashiCorp/1.0 Terraform/1.9.8");
        assert_eq!(term(&tf), None);
        let no_params = record("ec2.amazonaws.com", "CreateNetworkAclEntry", ROLE, "null", "");
        assert_eq!(term(&no_params), None);
    }
}
