//! An EC2 instance's role credentials making five or more different discovery calls
//! (`DISCOVERY_TRIGGERS`) within ten minutes.
//!
//! Decisions: instance credentials are recognised by the session name, which EC2
//! sets to the instance id (`.../assumed-role/<role>/i-0abc...`); the group is that
//! session, so each instance counts on its own. Any outcome counts. Applications on
//! instances read one or two of these calls; a shell on a compromised instance
//! asking who it is, which users, roles, buckets, snapshots, trails and detectors
//! exist is the pattern of Stratus Red Team `aws.discovery.ec2-enumerate-from-instance`.
//! Infrastructure as code running on an instance (a Terraform or Pulumi runner,
//! Atlantis, Ansible; `common::service_or_iac_caller`) is left out: every plan
//! reads the identity, Regions, trails and detectors it manages. Its agent is the
//! caller's to choose, a gap docs/coverage.md lists with the other agent-based
//! exclusions.

use crate::detection::{Detection, Meta, Severity, Signal, Repeats, Countable, WindowSpec};
use crate::detections::common::{
    DISCOVERY_TRIGGERS, account_actor_group, call_value, caller_evidence, iac_agent, is_discovery_call,
    raw_may_use_instance_credentials, service_or_iac_caller, uses_instance_credentials,
};
use crate::event::Record;
use crate::event::prefilter::Peek;

pub struct Ec2InstanceRoleEnumeration;

pub static META: Meta = Meta {
    id: "ec2-instance-role-enumeration",
    title: "AWS Discovery Calls from an EC2 Instance Role",
    description: "The role credentials of one EC2 instance made five or more different \
                  reconnaissance calls (identity, users, roles, buckets, snapshots, trails, \
                  detectors...) within ten minutes. Workloads call the few APIs they need; an \
                  intruder on the instance, or holding its stolen credentials, maps the account.",
    severity: Severity::Medium,
    attack: &["T1580", "T1087.004", "T1078.004"],
    origins: &["trailwatch: based on Stratus Red Team aws.discovery.ec2-enumerate-from-instance"],
    group: "discovery",
    false_positives: &[
        "Inventory or security agents on instances that scan the account with the instance role.",
        "An engineer troubleshooting from an instance shell.",
        "EKS worker nodes, whose controllers (VPC CNI, EBS CSI, load balancer controller) \
         read instances, networks, security groups and snapshots with the node role: \
         exclude the node role.",
    ],
    next_steps: "Identify the instance (the session name) and what runs on it. Check the calls' \
                 source address: outside the instance's network means stolen credentials. \
                 Isolate the instance and revoke the role's sessions if unexplained.",
    evidence: "error_code source_ip user_agent",
    triggers: DISCOVERY_TRIGGERS,
    window: Some(WindowSpec::Distinct {
        window_secs: 600,
        min_distinct: 5,
        repeats: Repeats::Always,
        values: Countable::Open,
    }),
};

impl Detection for Ec2InstanceRoleEnumeration {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !is_discovery_call(rec) || !uses_instance_credentials(rec) || service_or_iac_caller(rec) {
            return None;
        }
        Some(Signal::Distinct {
            group: account_actor_group(rec),
            value: call_value(rec),
            evidence: caller_evidence(rec),
        })
    }

    /// Most discovery calls come from people and tools, not instance profiles.
    fn may_match_raw(&self, peek: &Peek<'_>, json: &[u8]) -> bool {
        !iac_agent(peek.user_agent) && raw_may_use_instance_credentials(json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::eval;

    fn record(name: &str, session: &str) -> String {
        format!(
            r#"{{"eventSource":"iam.amazonaws.com","eventName":"{name}","eventTime":"2026-06-02T10:00:01Z",
            "recipientAccountId":"111122223333","sourceIPAddress":"10.0.3.17","userAgent":"aws-cli/2.15.30",
            "userIdentity":{{"type":"AssumedRole","principalId":"AROAEXAMPLEWEB:{session}",
              "arn":"arn:aws:sts::111122223333:assumed-role/web-server/{session}","accountId":"111122223333",
              "sessionContext":{{"ec2RoleDelivery":"2.0","sessionIssuer":{{"type":"Role","arn":"arn:aws:iam::111122223333:role/web-server"}}}}}}}}"#
        )
    }

    #[test]
    fn instance_sessions_count_discovery_names_per_instance() {
        match eval(&Ec2InstanceRoleEnumeration, &record("ListUsers", "i-0a1b2c3d4e5f67890")) {
            Some(Signal::Distinct { group, value, .. }) => {
                assert_eq!(
                    group,
                    "111122223333|arn:aws:sts::111122223333:assumed-role/web-server/i-0a1b2c3d4e5f67890"
                );
                assert_eq!(value, "iam.amazonaws.com:ListUsers");
            }
            other => panic!("expected Distinct, got {other:?}"),
        }
    }

    #[test]
    fn other_sessions_and_calls_are_ignored() {
        assert_eq!(eval(&Ec2InstanceRoleEnumeration, &record("ListUsers", "alice")), None);
        assert_eq!(eval(&Ec2InstanceRoleEnumeration, &record("ListUsers", "i-")), None);
        assert_eq!(eval(&Ec2InstanceRoleEnumeration, &record("CreateUser", "i-0a1b2c3d")), None);
        let user = record("ListUsers", "i-0a1b2c3d").replace(r#""type":"AssumedRole""#, r#""type":"IAMUser""#);
        assert_eq!(eval(&Ec2InstanceRoleEnumeration, &user), None);
    }

    /// A Terraform runner on an instance reads what its plan manages.
    #[test]
    fn infrastructure_as_code_on_an_instance_is_left_out() {
        use crate::detections::common::testing::raw;
        let plan = record("ListUsers", "i-0a1b2c3d").replace(
            "aws-cli/2.15.30",
            "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.72.1",
        );
        assert_eq!(eval(&Ec2InstanceRoleEnumeration, &plan), None);
        assert_eq!(raw(&Ec2InstanceRoleEnumeration, &plan), Some(false));
    }

    #[test]
    fn the_raw_check_keeps_instance_sessions_only() {
        use crate::detections::common::testing::raw;
        let det = &Ec2InstanceRoleEnumeration;
        assert_eq!(raw(det, &record("ListUsers", "i-0a1b2c3d")), Some(true));
        assert_eq!(raw(det, &record("ListUsers", "alice")), Some(false));
        let escaped = record("ListUsers", "i-0a1b2c3d").replace("web-server/i-", r"web-server\/i-");
        assert_eq!(raw(det, &escaped), Some(true), "an escaped slash");
        assert!(eval(det, &escaped).is_some());
        let user = record("ListUsers", "i-0a1b2c3d")
            .replace(r#""type":"AssumedRole""#, r#""type":"IAMUser""#);
        assert_eq!(raw(det, &user), Some(false));
    }
}
