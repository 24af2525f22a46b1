//! An EKS access entry created, updated or deleted, or an access policy associated or
//! disassociated (`CreateAccessEntry`, `UpdateAccessEntry`, `DeleteAccessEntry`,
//! `AssociateAccessPolicy`, `DisassociateAccessPolicy`), successfully, by someone other
//! than an AWS service.
//!
//! From a third evasion review, two more doors of the same kind: an OIDC identity
//! provider associated with the cluster (`AssociateIdentityProviderConfig`: tokens of
//! an issuer the caller picks sign in to Kubernetes, whose RBAC CloudTrail does not
//! see), and an IAM role handed to a service account's pods through EKS Pod Identity
//! (`CreatePodIdentityAssociation`, `UpdatePodIdentityAssociation`: every pod
//! running as that account gets the role's credentials, as an instance profile gives
//! an instance's).
//!
//! Calls by an AWS service are left out (identity type `AWSService` or `invokedBy` a
//! service: EKS's own, and a CloudFormation stack's, whose access entries are
//! reviewed with the stack). A tool's user agent (eksctl, Terraform) is no exemption:
//! the caller writes it (`common::stack_deployment_caller`); a platform team's role
//! is exempted in the tuning file by its ARN. The admin-policy case also has its own, higher-severity
//! detection, `eks-access-entry-cluster-admin`.
//!
//! From a review of false positives (ninth session): onboarding a principal is
//! two calls, a `CreateAccessEntry` and the `AssociateAccessPolicy` that gives it
//! its rights, so every onboarding paged twice. An entry of type `STANDARD` (the
//! default) with no Kubernetes groups and no username of the caller's choosing
//! grants nothing by itself: low, not silent (a binding in the cluster to its
//! default username is not visible here). The policy's association stays medium.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_caller, call_context};
use crate::event::Record;

pub struct EksAccessEntryModified;

const NAMES: &[&str] = &[
    "AssociateAccessPolicy",
    "AssociateIdentityProviderConfig",
    "CreateAccessEntry",
    "CreatePodIdentityAssociation",
    "DeleteAccessEntry",
    "DisassociateAccessPolicy",
    "UpdateAccessEntry",
    "UpdatePodIdentityAssociation",
];

pub static META: Meta = Meta {
    id: "eks-access-entry-modified",
    title: "AWS EKS Access Entry, Identity Provider or Pod Role Modified",
    description: "Someone changed who may access an EKS cluster, or what its pods may do in \
                  AWS: an access entry or access policy was added, changed or removed, an \
                  OIDC identity provider was associated, or an IAM role was given to a \
                  service account's pods, by someone other than an AWS service. Adding an \
                  entry or a provider grants access to Kubernetes; removing one can lock \
                  defenders out; a pod role hands its credentials to whatever runs there.",
    severity: Severity::Medium,
    attack: &["T1098", "T1078.004"],
    origins: &["Elastic rules/integrations/aws/persistence_eks_access_entry_modified.toml"],
    group: "compute-network",
    false_positives: &[
        "Platform engineers managing access by hand or with eksctl or Terraform: exempt \
         their role by its ARN in the tuning file (a user agent is the caller's to set).",
    ],
    next_steps: "Check the principal ARN and Kubernetes groups or policy involved, and whether \
                 the change was requested. Revert unexpected access and review the cluster's \
                 audit log for the principal.",
    evidence: "cluster issuer_url kubernetes_groups namespace policy_arn principal_arn region \
        role_arn service_account source_ip target_role_arn user_agent",
    triggers: &[Trigger::write("eks.amazonaws.com", NAMES)],
    window: None,
};

impl Detection for EksAccessEntryModified {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn severity_for(&self, rec: &Record<'_>) -> Severity {
        if empty_standard_entry(rec) { Severity::Low } else { META.severity }
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "eks.amazonaws.com"
            || !NAMES.contains(&rec.event_name())
            || !rec.succeeded()
            || aws_service_caller(rec)
        {
            return None;
        }
        let e = call_context(rec)
            .with_opt("cluster", rec.request_param_str("name"))
            .with_opt("principal_arn", rec.request_param_str("principalArn"))
            .with_opt("policy_arn", rec.request_param_str("policyArn"))
            .with_json("kubernetes_groups", rec.request_param("kubernetesGroups"))
            .with_opt(
                "issuer_url",
                rec.request_param("oidc").and_then(|o| o.get("issuerUrl")).and_then(|u| u.as_str()),
            )
            .with_opt("role_arn", rec.request_param_str("roleArn"))
            .with_opt("target_role_arn", rec.request_param_str("targetRoleArn"))
            .with_opt("namespace", rec.request_param_str("namespace"))
            .with_opt("service_account", rec.request_param_str("serviceAccount"));
        fire(e)
    }
}

/// A `CreateAccessEntry` of type `STANDARD` (or none: the default) naming no
/// Kubernetes group and no username: it grants nothing until a policy is
/// associated with it.
fn empty_standard_entry(rec: &Record) -> bool {
    let blank = |key: &str| match rec.request_param(key) {
        None | Some(serde_json::Value::Null) => true,
        Some(serde_json::Value::String(s)) => s.trim().is_empty(),
        Some(serde_json::Value::Array(items)) => items.is_empty(),
        Some(_) => false,
    };
    rec.event_name() == "CreateAccessEntry"
        && (blank("type") || rec.request_param_str("type").is_some_and(|t| t.trim().eq_ignore_ascii_case("STANDARD")))
        && blank("kubernetesGroups")
        && blank("username")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::compute_testing::{ACCESS_DENIED, IAM_USER, ROLE, SERVICE, record};
    use crate::detections::common::testing::{self, fires};

    const ENTRY: &str = r#"{"name":"prod-cluster","principalArn":"arn:aws:iam::111122223333:role/ContractorRole","kubernetesGroups":["viewers"]}"#;

    #[test]
    fn fires_on_every_access_change() {
        for name in NAMES {
            assert!(fires(&EksAccessEntryModified, &record("eks.amazonaws.com", name, IAM_USER, ENTRY, "")), "{name}");
        }
        assert!(fires(&EksAccessEntryModified, &record("eks.amazonaws.com", "DeleteAccessEntry", ROLE, "null", "")));
    }

    /// An empty standard entry is low; groups, a username, another type or the
    /// policy's association stay medium.
    #[test]
    fn an_entry_granting_nothing_yet_is_low() {
        let severity = |name: &str, params: &str| {
            let json = record("eks.amazonaws.com", name, ROLE, params, "");
            assert!(fires(&EksAccessEntryModified, &json), "{json}");
            testing::severity(&EksAccessEntryModified, &json)
        };
        let arn = r#""name":"prod","principalArn":"arn:aws:iam::111122223333:role/team-payments-deployer""#;
        for low in [format!("{{{arn}}}"), format!(r#"{{{arn},"type":"STANDARD","kubernetesGroups":[]}}"#)] {
            assert_eq!(severity("CreateAccessEntry", &low), Severity::Low, "{low}");
        }
        for medium in [
            format!(r#"{{{arn},"kubernetesGroups":["system:masters"]}}"#),
            format!(r#"{{{arn},"username":"admin"}}"#),
            format!(r#"{{{arn},"type":"EC2_LINUX"}}"#),
        ] {
            assert_eq!(severity("CreateAccessEntry", &medium), Severity::Medium, "{medium}");
        }
        let policy = format!(r#"{{{arn},"policyArn":"arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"}}"#);
        assert_eq!(severity("AssociateAccessPolicy", &policy), Severity::Medium);
        assert_eq!(severity("UpdateAccessEntry", &format!("{{{arn}}}")), Severity::Medium);
    }

    #[test]
    fn a_tools_agent_still_fires() {
        let eksctl = record("eks.amazonaws.com", "CreateAccessEntry", ROLE, ENTRY, "").replace("aws-cli/2.17.20", "eksctl/0.190.0");
        assert!(eksctl.contains("eksctl/0.190.0"));
        assert!(fires(&EksAccessEntryModified, &eksctl));
    }

    #[test]
    fn services_failures_and_reads_do_not_fire() {
        assert!(!fires(&EksAccessEntryModified, &record("eks.amazonaws.com", "CreateAccessEntry", SERVICE, ENTRY, "")));
        assert!(!fires(&EksAccessEntryModified, &record("eks.amazonaws.com", "CreateAccessEntry", ROLE, ENTRY, ACCESS_DENIED)));
        assert!(!fires(&EksAccessEntryModified, &record("eks.amazonaws.com", "ListAccessEntries", ROLE, ENTRY, "")));
    }
}
