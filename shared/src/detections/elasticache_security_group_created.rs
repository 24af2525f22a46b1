//! An ElastiCache (EC2-Classic) cache security group created
//! (`CreateCacheSecurityGroup`), successfully.
//!
//! Sigma has no outcome filter; we require success. Cache security groups belong to
//! EC2-Classic, which AWS retired, so any new one today is odd; low severity as Sigma.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::call_context;
use crate::event::Record;

pub struct ElastiCacheSecurityGroupCreated;

pub static META: Meta = Meta {
    id: "elasticache-security-group-created",
    title: "AWS ElastiCache Security Group Created",
    description: "A cache security group was created for ElastiCache. These groups control \
                  which networks reach a cache cluster; a new one can be the first step to \
                  exposing cached data (sessions, tokens) to a network the attacker controls.",
    severity: Severity::Low,
    attack: &["T1136", "T1133"],
    origins: &["Sigma rules/cloud/aws/cloudtrail/aws_elasticache_security_group_created.yml"],
    group: "compute-network",
    false_positives: &["Legacy ElastiCache set-ups managed by hand."],
    next_steps: "Check which cache clusters use the group and which sources it admits.",
    evidence: "cache_security_group region source_ip user_agent",
    triggers: &[Trigger::write(
        "elasticache.amazonaws.com",
        &["CreateCacheSecurityGroup"],
    )],
    window: None,
};

impl Detection for ElastiCacheSecurityGroupCreated {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "elasticache.amazonaws.com"
            || rec.event_name() != "CreateCacheSecurityGroup"
            || !rec.succeeded()
        {
            return None;
        }
        fire(call_context(rec).with_opt(
            "cache_security_group",
            rec.request_param_str("cacheSecurityGroupName"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::compute_testing::{ACCESS_DENIED, IAM_USER, record};
    use crate::detections::common::testing::fires;

    #[test]
    fn fires_on_successful_creation_only() {
        let p = r#"{"cacheSecurityGroupName":"cache-open","description":"temp"}"#;
        assert!(fires(&ElastiCacheSecurityGroupCreated, &record("elasticache.amazonaws.com", "CreateCacheSecurityGroup", IAM_USER, p, "")));
        assert!(fires(&ElastiCacheSecurityGroupCreated, &record("elasticache.amazonaws.com", "CreateCacheSecurityGroup", IAM_USER, "null", "")));
        assert!(!fires(&ElastiCacheSecurityGroupCreated, &record("elasticache.amazonaws.com", "CreateCacheSecurityGroup", IAM_USER, p, ACCESS_DENIED)));
        assert!(!fires(&ElastiCacheSecurityGroupCreated, &record("elasticache.amazonaws.com", "CreateCacheSubnetGroup", IAM_USER, p, "")));
    }
}
