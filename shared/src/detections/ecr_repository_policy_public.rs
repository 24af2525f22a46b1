//! An ECR repository or registry policy that grants access to everyone
//! (`SetRepositoryPolicy`, `PutRegistryPolicy` with an `Allow` statement for the
//! principal `*`), successfully.
//!
//! Decisions: the policy is JSON text in `policyText`. As for bucket policies, a
//! public statement is not counted when its `Condition` fences in the callers (an
//! organisation, account, network or source with a concrete value); one any caller
//! can meet (`aws:SecureTransport`, a wildcard, a negation, an empty block) fences
//! nothing (`common::condition_restricts`). Other accounts named in a public policy are
//! listed in its finding; a policy that names other accounts without being public is
//! `resource-shared-with-another-account`'s (lower stakes: cross-account pulls are the
//! everyday way images are shared inside an organisation).
//!
//! From a review: a repository creation template with a public `repositoryPolicy`
//! (`CreateRepositoryCreationTemplate`, `UpdateRepositoryCreationTemplate`) gives
//! that policy to every repository created under its prefix from then on (pushes,
//! pull-through caches, replication), and counts; and a policy that the record
//! holds only in its answer (`responseElements.policyText`, a request stripped) is
//! read from there.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{policy_document, policy_exposure, succeeded_call};
use crate::event::Record;

pub struct EcrRepositoryPolicyPublic;

const NAMES: &[&str] = &[
    "PutRegistryPolicy",
    "SetRepositoryPolicy",
    "CreateRepositoryCreationTemplate",
    "UpdateRepositoryCreationTemplate",
];

pub static META: Meta = Meta {
    id: "ecr-repository-policy-public",
    title: "AWS ECR Repository or Registry Policy Grants Public Access",
    description: "A container repository or registry policy now lets anyone act on it. Public pull \
                  access exposes the images, with whatever code and secrets were built into them; \
                  public push lets anyone replace them.",
    severity: Severity::Medium,
    attack: &["T1537", "T1525"],
    origins: &["Elastic detection-rules exfiltration_ecr_repository_policy_granted_public_access.toml"],
    group: "resource-sharing",
    false_positives: &["Repositories meant to be public (open-source images)."],
    next_steps: "Read the statement and the actions it grants. If the repository should not be \
                 public, restore the previous policy, check pulls from unknown accounts, and \
                 review images pushed since the change.",
    evidence: "creation_template_prefix other_accounts other_organizations public repository",
    triggers: &[Trigger::write("ecr.amazonaws.com", NAMES)],
    window: None,
};

impl Detection for EcrRepositoryPolicyPublic {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, "ecr.amazonaws.com", NAMES) {
            return None;
        }
        let text = rec
            .request_param("policyText")
            .or_else(|| rec.request_param("repositoryPolicy"))
            .or_else(|| rec.response_element("policyText"));
        let doc = text.and_then(policy_document)?;
        let exposure = policy_exposure(&doc, rec.account_id(), |_| true);
        if !exposure.public {
            return None;
        }
        let e = Evidence::new()
            .with_opt("repository", rec.request_param_str("repositoryName"))
            .with_opt("creation_template_prefix", rec.request_param_str("prefix"));
        fire(exposure.exposure_evidence(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, failed, record};
    use crate::detections::common::testing::{eval, fires};
    use serde_json::json;

    fn set(statement: &str) -> String {
        let text = format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#);
        format!(r#"{{"repositoryName":"payments-api","policyText":{},"force":false}}"#, serde_json::to_string(&text).unwrap())
    }

    #[test]
    fn fires_on_a_public_statement() {
        let rec = record("ecr.amazonaws.com", "SetRepositoryPolicy", ROLE,
            &set(r#"{"Sid":"pull","Effect":"Allow","Principal":"*","Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}"#), "");
        match eval(&EcrRepositoryPolicyPublic, &rec) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("public"), Some(&json!(true)));
                assert_eq!(e.get("repository"), Some(&json!("payments-api")));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let registry = record("ecr.amazonaws.com", "PutRegistryPolicy", ROLE,
            &set(r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"ecr:ReplicateImage","Resource":"*"}"#), "");
        assert!(fires(&EcrRepositoryPolicyPublic, &registry));
    }

    #[test]
    fn an_empty_condition_does_not_hide_a_public_statement() {
        for condition in [r#"{}"#, r#"{"StringEquals":{}}"#, "null"] {
            let statement = format!(
                r#"{{"Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage","Condition":{condition}}}"#
            );
            let rec = record("ecr.amazonaws.com", "SetRepositoryPolicy", ROLE, &set(&statement), "");
            assert!(fires(&EcrRepositoryPolicyPublic, &rec), "{condition}");
        }
    }

    /// From a review: a creation template's policy, and a policy in the answer only.
    #[test]
    fn a_public_creation_template_or_answered_policy_fires() {
        let public = r#"{"Sid":"p","Effect":"Allow","Principal":"*","Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}"#;
        let text = format!(r#"{{"Version":"2012-10-17","Statement":[{public}]}}"#);
        let text = serde_json::to_string(&text).unwrap();
        for name in ["CreateRepositoryCreationTemplate", "UpdateRepositoryCreationTemplate"] {
            let params = format!(r#"{{"prefix":"ROOT","appliedFor":["CREATE_ON_PUSH","PULL_THROUGH_CACHE"],"repositoryPolicy":{text}}}"#);
            match eval(&EcrRepositoryPolicyPublic, &record("ecr.amazonaws.com", name, ROLE, &params, "")) {
                Some(Signal::Fire(e)) => assert_eq!(e.get("creation_template_prefix"), Some(&serde_json::json!("ROOT"))),
                other => panic!("expected a finding for {name}, got {other:?}"),
            }
        }
        let answered = record("ecr.amazonaws.com", "SetRepositoryPolicy", ROLE, r#"{"repositoryName":"payments-api"}"#, "").replace(
            r#""responseElements":null"#,
            &format!(r#""responseElements":{{"registryId":"111122223333","repositoryName":"payments-api","policyText":{text}}}"#),
        );
        assert!(fires(&EcrRepositoryPolicyPublic, &answered));
    }

    #[test]
    fn near_misses() {
        for statement in [
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"ecr:BatchGetImage"}"#,
            r#"{"Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}"#,
            r#"{"Effect":"Deny","Principal":"*","Action":"ecr:*"}"#,
        ] {
            let rec = record("ecr.amazonaws.com", "SetRepositoryPolicy", ROLE, &set(statement), "");
            assert!(!fires(&EcrRepositoryPolicyPublic, &rec), "{statement}");
        }
        let denied = failed("ecr.amazonaws.com", "SetRepositoryPolicy", ROLE,
            &set(r#"{"Effect":"Allow","Principal":"*","Action":"ecr:*"}"#), "AccessDeniedException");
        assert!(!fires(&EcrRepositoryPolicyPublic, &denied));
        for params in ["null", r#"{"policyText":"not json"}"#, r#"{"policyText":42}"#] {
            assert!(!fires(&EcrRepositoryPolicyPublic, &record("ecr.amazonaws.com", "SetRepositoryPolicy", ROLE, params, "")), "{params}");
        }
    }
}
