//! An OpenID Connect identity provider created (`CreateOpenIDConnectProvider`,
//! successful) by a caller who had not created one in the last 10 days (first-seen
//! term: account and caller). AWS service identities are left out; a stack or
//! pipeline registering a provider counts (an attacker's issuer is a way in with no
//! credentials left behind), once per caller in ten days.
//!
//! The caller in the term is the role of an assumed-role session, not the session
//! (`common::account_principal_term`): the CLI and SDKs name a new session on every
//! assume, and ECS tasks after the task, so a session term would be new each run.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, WindowSpec};
use crate::detections::common::{IAM, aws_service_among, change_evidence, first_seen_by_actor, is_event};
use crate::event::Record;

pub struct IamOidcProviderCreatedByRareUser;

pub static META: Meta = Meta {
    id: "iam-oidc-provider-created-by-rare-user",
    title: "AWS IAM OIDC Provider Created by Rare User",
    description: "A caller who does not usually do so registered an OpenID Connect \
                  identity provider. Roles that trust a provider can be assumed by \
                  whoever issues its tokens; an attacker registers their own issuer \
                  (or a CI platform they control) to come back without credentials in \
                  the account.",
    severity: Severity::Medium,
    attack: &["T1484.002", "T1098"],
    origins: &[
        "Elastic detection-rules: AWS IAM OIDC Provider Created by Rare User",
    ],
    group: "iam-persistence",
    false_positives: &[
        "Platform teams connecting a new CI system or Kubernetes cluster by hand.",
    ],
    next_steps: "Check the provider URL and client ids; list roles whose trust policy \
                 names the provider. If unknown, delete the provider and review \
                 AssumeRoleWithWebIdentity calls through it.",
    evidence: "api caller caller_type clientIDList source_ip url user_agent",
    triggers: &[Trigger::write(IAM, &["CreateOpenIDConnectProvider"])],
    window: Some(WindowSpec::FirstSeen { days: 10 }),
};

impl Detection for IamOidcProviderCreatedByRareUser {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !is_event(rec, IAM, &["CreateOpenIDConnectProvider"]) || !rec.succeeded() || aws_service_among(rec, &[]) {
            return None;
        }
        first_seen_by_actor(rec, None, change_evidence(rec, &["url", "clientIDList"]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::iam_testing::*;

    const PARAMS: &str = r#"{"url":"https://token.example.net","clientIDList":["sts.amazonaws.com"]}"#;

    #[test]
    fn fires_per_caller() {
        assert_eq!(
            first_seen_term(&IamOidcProviderCreatedByRareUser, &iam("CreateOpenIDConnectProvider", USER, PARAMS)).as_deref(),
            Some("111122223333|arn:aws:iam::111122223333:user/alice")
        );
        for who in [ROLE, ROOT, FEDERATED] {
            assert!(first_seen_term(&IamOidcProviderCreatedByRareUser, &iam("CreateOpenIDConnectProvider", who, "null")).is_some());
        }
    }

    #[test]
    fn ignores_failures_and_aws_services() {
        let exists = iam_failed("CreateOpenIDConnectProvider", USER, PARAMS, "EntityAlreadyExists");
        assert_eq!(first_seen_term(&IamOidcProviderCreatedByRareUser, &exists), None);
        // A stack registering an identity provider is someone's new way in.
        assert!(first_seen_term(&IamOidcProviderCreatedByRareUser, &iam("CreateOpenIDConnectProvider", CFN, PARAMS)).is_some());
        let service = r#"{"type":"AWSService","invokedBy":"eks.amazonaws.com"}"#;
        assert_eq!(first_seen_term(&IamOidcProviderCreatedByRareUser, &iam("CreateOpenIDConnectProvider", service, PARAMS)), None);
        assert_eq!(first_seen_term(&IamOidcProviderCreatedByRareUser, &iam("DeleteOpenIDConnectProvider", USER, PARAMS)), None);
    }
}
