//! An ElastiCache cache security group deleted, or its ingress changed
//! (`DeleteCacheSecurityGroup`, `AuthorizeCacheSecurityGroupIngress`,
//! `RevokeCacheSecurityGroupIngress`), successfully.
//!
//! Sigma also lists `...Egress` variants; ElastiCache has no such API, so they are not
//! triggers here. Success is required (Sigma has no outcome filter).

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::call_context;
use crate::event::Record;

pub struct ElastiCacheSecurityGroupModifiedOrDeleted;

const NAMES: &[&str] = &[
    "AuthorizeCacheSecurityGroupIngress",
    "DeleteCacheSecurityGroup",
    "RevokeCacheSecurityGroupIngress",
];

pub static META: Meta = Meta {
    id: "elasticache-security-group-modified-or-deleted",
    title: "AWS ElastiCache Security Group Modified or Deleted",
    description: "A cache security group was deleted or its allowed sources changed. Letting \
                  another EC2 security group (possibly of another account) reach a cache \
                  exposes what it holds; revoking access can disrupt the application.",
    severity: Severity::Low,
    attack: &["T1562.007", "T1531"],
    origins: &["Sigma rules/cloud/aws/cloudtrail/aws_elasticache_security_group_modified_or_deleted.yml"],
    group: "compute-network",
    false_positives: &["Legacy ElastiCache set-ups maintained by hand."],
    next_steps: "Check the EC2 security group and owner account now admitted (or removed), and \
                 whether the cache's owners expected the change.",
    evidence: "cache_security_group ec2_security_group ec2_security_group_owner region source_ip \
        user_agent",
    triggers: &[Trigger::write("elasticache.amazonaws.com", NAMES)],
    window: None,
};

impl Detection for ElastiCacheSecurityGroupModifiedOrDeleted {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "elasticache.amazonaws.com"
            || !NAMES.contains(&rec.event_name())
            || !rec.succeeded()
        {
            return None;
        }
        fire(call_context(rec)
            .with_opt("cache_security_group", rec.request_param_str("cacheSecurityGroupName"))
            .with_opt("ec2_security_group", rec.request_param_str("eC2SecurityGroupName"))
            .with_opt("ec2_security_group_owner", rec.request_param_str("eC2SecurityGroupOwnerId")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::compute_testing::{ACCESS_DENIED, ROLE, record};
    use crate::detections::common::testing::fires;

    #[test]
    fn fires_on_each_change_that_worked() {
        let p = r#"{"cacheSecurityGroupName":"cache-sg","eC2SecurityGroupName":"ext","eC2SecurityGroupOwnerId":"444455556666"}"#;
        for name in NAMES {
            assert!(fires(&ElastiCacheSecurityGroupModifiedOrDeleted, &record("elasticache.amazonaws.com", name, ROLE, p, "")), "{name}");
            assert!(!fires(&ElastiCacheSecurityGroupModifiedOrDeleted, &record("elasticache.amazonaws.com", name, ROLE, p, ACCESS_DENIED)), "{name}");
        }
        assert!(!fires(&ElastiCacheSecurityGroupModifiedOrDeleted, &record("elasticache.amazonaws.com", "CreateCacheSecurityGroup", ROLE, p, "")));
    }
}
