//! An EKS cluster created or deleted (`CreateCluster`, `DeleteCluster`), successfully.
//!
//! Sigma has no outcome filter; we require success, since a failed call neither
//! creates nor destroys anything. Low severity, as in Sigma.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::call_context;
use crate::event::Record;

pub struct EksClusterCreatedOrDeleted;

pub static META: Meta = Meta {
    id: "eks-cluster-created-or-deleted",
    title: "AWS EKS Cluster Created or Deleted",
    description: "An EKS cluster was created or deleted. A new cluster can host an attacker's \
                  own workloads (mining, tooling) under the account's bill; a deleted one can \
                  be sabotage. Both are infrequent and worth a glance.",
    severity: Severity::Low,
    attack: &["T1485", "T1496"],
    origins: &["Sigma rules/cloud/aws/cloudtrail/aws_eks_cluster_created_or_deleted.yml"],
    group: "compute-network",
    false_positives: &[
        "Platform teams creating or tearing down clusters, often through infrastructure code.",
    ],
    next_steps: "Check that the cluster belongs to a planned project. For an unexpected \
                 creation, look at its node groups and workloads; for a deletion, confirm with \
                 the owners and check backups.",
    evidence: "cluster region role_arn source_ip user_agent",
    triggers: &[Trigger::write(
        "eks.amazonaws.com",
        &["CreateCluster", "DeleteCluster"],
    )],
    window: None,
};

impl Detection for EksClusterCreatedOrDeleted {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "eks.amazonaws.com"
            || !matches!(rec.event_name(), "CreateCluster" | "DeleteCluster")
            || !rec.succeeded()
        {
            return None;
        }
        fire(call_context(rec)
            .with_opt("cluster", rec.request_param_str("name"))
            .with_opt("role_arn", rec.request_param_str("roleArn")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::compute_testing::{ACCESS_DENIED, IAM_USER, ROLE, record};
    use crate::detections::common::testing::fires;

    #[test]
    fn fires_on_creation_and_deletion_that_worked() {
        let p = r#"{"name":"analytics","roleArn":"arn:aws:iam::111122223333:role/EksCluster"}"#;
        assert!(fires(&EksClusterCreatedOrDeleted, &record("eks.amazonaws.com", "CreateCluster", IAM_USER, p, "")));
        assert!(fires(&EksClusterCreatedOrDeleted, &record("eks.amazonaws.com", "DeleteCluster", ROLE, "null", "")));
        assert!(!fires(&EksClusterCreatedOrDeleted, &record("eks.amazonaws.com", "CreateCluster", ROLE, p, ACCESS_DENIED)));
        assert!(!fires(&EksClusterCreatedOrDeleted, &record("eks.amazonaws.com", "CreateNodegroup", ROLE, p, "")));
    }
}
