//! An EKS access entry given a cluster-wide admin access policy
//! (`AssociateAccessPolicy` with `AmazonEKSClusterAdminPolicy` or
//! `AmazonEKSAdminPolicy`), successfully.
//!
//! Matched on the policy's name at the end of its ARN, whatever the partition. The
//! access scope (cluster or namespaces) is reported: admin on a namespace is less than
//! cluster admin, but still lets its holder read every secret there.
//!
//! From a review of false positives (sixth session): onboarding a team onto a shared
//! cluster gives its role `AmazonEKSAdminPolicy` on its own namespaces, so that
//! scope is medium. It stays high when a namespace is `kube-system`, a cluster
//! controller's (`argocd`, `flux-system`, `karpenter`...) or a wildcard that could
//! take one (`*`, `kube-*`): their service accounts hold the cluster.

use serde_json::Value;

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::call_context;
use crate::event::Record;

pub struct EksAccessEntryClusterAdmin;

pub static META: Meta = Meta {
    id: "eks-access-entry-cluster-admin",
    title: "AWS EKS Access Entry Granted Cluster Admin Policy",
    description: "An IAM principal was given an EKS admin access policy through an access \
                  entry. That principal now administers the Kubernetes cluster (or the named \
                  namespaces) without any change inside the cluster: a way to take over \
                  workloads and their secrets from the AWS side.",
    severity: Severity::High,
    attack: &["T1098", "T1078.004"],
    origins: &["Elastic rules/integrations/aws/privilege_escalation_eks_access_entry_granted_cluster_admin_policy.toml"],
    group: "compute-network",
    false_positives: &[
        "Platform teams granting admin to a new operator role or a break-glass role.",
        "A team's role made admin of its own namespaces on a shared cluster (medium \
         severity).",
    ],
    next_steps: "Check the principal that received the policy and who granted it. If \
                 unexpected, disassociate the policy, delete the access entry, and review \
                 the cluster's audit log for that principal.",
    evidence: "access_scope cluster policy_arn principal_arn region source_ip user_agent",
    triggers: &[Trigger::write("eks.amazonaws.com", &["AssociateAccessPolicy"])],
    window: None,
};

/// Namespaces whose service accounts hold the cluster: the system's, and (from a
/// review of the change) those of the controllers that deploy or patch anything
/// anywhere (Argo CD, Flux), launch nodes (Karpenter) or admit every object
/// (Gatekeeper, Kyverno), or mint certificates (cert-manager). Admin of one is
/// admin of the cluster.
const CLUSTER_HOLDERS: &[&str] = &[
    "kube-system",
    "argocd",
    "flux-system",
    "karpenter",
    "gatekeeper-system",
    "kyverno",
    "cert-manager",
];

/// `AmazonEKSAdminPolicy` on named namespaces, none of them one of
/// [`CLUSTER_HOLDERS`] or a wildcard that could take one.
fn team_namespaces_only(rec: &Record<'_>) -> bool {
    let Some(scope) = rec.request_param("accessScope") else {
        return false;
    };
    let namespaced = scope
        .get("type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("namespace"));
    let policy = rec.request_param_str("policyArn").unwrap_or_default().trim();
    let admin = policy.rsplit('/').next() == Some("AmazonEKSAdminPolicy");
    let namespaces: Vec<&str> = scope
        .get("namespaces")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|n| n.as_str().unwrap_or("*").trim())
        .collect();
    let takes_system = |n: &&str| match n.strip_suffix('*') {
        Some(prefix) => CLUSTER_HOLDERS.iter().any(|h| h.starts_with(prefix)),
        None => CLUSTER_HOLDERS.iter().any(|h| n.eq_ignore_ascii_case(h)),
    };
    namespaced && admin && !namespaces.is_empty() && !namespaces.iter().any(takes_system)
}

impl Detection for EksAccessEntryClusterAdmin {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn severity_for(&self, rec: &Record<'_>) -> Severity {
        if team_namespaces_only(rec) {
            Severity::Medium
        } else {
            META.severity
        }
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "eks.amazonaws.com"
            || rec.event_name() != "AssociateAccessPolicy"
            || !rec.succeeded()
        {
            return None;
        }
        let policy = rec.request_param_str("policyArn")?.trim();
        let name = policy.rsplit('/').next().unwrap_or(policy);
        if !matches!(name, "AmazonEKSClusterAdminPolicy" | "AmazonEKSAdminPolicy") {
            return None;
        }
        let scope = rec
            .request_param("accessScope")
            .and_then(|s| s.get("type"))
            .and_then(Value::as_str);
        let e = call_context(rec)
            .with_opt("cluster", rec.request_param_str("name"))
            .with_opt("principal_arn", rec.request_param_str("principalArn"))
            .with("policy_arn", policy)
            .with_opt("access_scope", scope);
        fire(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing;
    use crate::detections::common::compute_testing::{ACCESS_DENIED, IAM_USER, ROLE, record};
    use crate::detections::common::testing::fires;

    fn associate(policy: &str) -> String {
        format!(
            r#"{{"name":"prod-cluster","principalArn":"arn:aws:iam::111122223333:role/ContractorRole",
            "policyArn":"{policy}","accessScope":{{"type":"cluster"}}}}"#
        )
    }

    #[test]
    fn fires_on_both_admin_policies() {
        for p in [
            "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
            "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy",
        ] {
            assert!(fires(&EksAccessEntryClusterAdmin, &record("eks.amazonaws.com", "AssociateAccessPolicy", IAM_USER, &associate(p), "")), "{p}");
        }
    }

    /// From a review of false positives: a team's namespaces are medium; the
    /// system namespace, a wildcard that takes it, or the cluster stay high.
    #[test]
    fn namespaces_of_a_team_are_medium() {
        let scoped = |policy: &str, scope: &str| {
            let params = format!(
                r#"{{"name":"platform-prod","principalArn":"arn:aws:iam::111122223333:role/team-payments-deployer",
                "policyArn":"arn:aws:eks::aws:cluster-access-policy/{policy}","accessScope":{scope}}}"#
            );
            let json = record("eks.amazonaws.com", "AssociateAccessPolicy", ROLE, &params, "");
            assert!(fires(&EksAccessEntryClusterAdmin, &json), "{policy} {scope}");
            testing::severity(&EksAccessEntryClusterAdmin, &json)
        };
        let team = r#"{"type":"namespace","namespaces":["payments","payments-jobs"]}"#;
        assert_eq!(scoped("AmazonEKSAdminPolicy", team), Severity::Medium);
        for scope in [
            r#"{"type":"cluster"}"#,
            r#"{"type":"namespace","namespaces":["payments","kube-system"]}"#,
            r#"{"type":"namespace","namespaces":["kube-*"]}"#,
            r#"{"type":"namespace","namespaces":["argocd"]}"#,
            r#"{"type":"namespace","namespaces":["payments","flux-*"]}"#,
            r#"{"type":"namespace","namespaces":["*"]}"#,
            r#"{"type":"namespace","namespaces":[]}"#,
            r#"{"type":"namespace","namespaces":[7]}"#,
            r#"{"type":"namespace"}"#,
        ] {
            assert_eq!(scoped("AmazonEKSAdminPolicy", scope), Severity::High, "{scope}");
        }
        assert_eq!(scoped("AmazonEKSClusterAdminPolicy", team), Severity::High);
    }

    #[test]
    fn view_policies_failures_and_missing_policy_do_not_fire() {
        let view = associate("arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy");
        assert!(!fires(&EksAccessEntryClusterAdmin, &record("eks.amazonaws.com", "AssociateAccessPolicy", ROLE, &view, "")));
        let admin = associate("arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy");
        assert!(!fires(&EksAccessEntryClusterAdmin, &record("eks.amazonaws.com", "AssociateAccessPolicy", ROLE, &admin, ACCESS_DENIED)));
        assert!(!fires(&EksAccessEntryClusterAdmin, &record("eks.amazonaws.com", "AssociateAccessPolicy", ROLE, "null", "")));
        assert!(!fires(&EksAccessEntryClusterAdmin, &record("eks.amazonaws.com", "DisassociateAccessPolicy", ROLE, &admin, "")));
    }
}
