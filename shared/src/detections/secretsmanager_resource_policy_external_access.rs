//! A Secrets Manager resource policy that lets everyone, or another AWS account,
//! use a secret (`PutResourcePolicy`), successfully.
//!
//! Decisions: the policy is JSON text (some exports: an object) in
//! `resourcePolicy`. As for bucket policies, a statement for the principal `*` counts
//! unless a `Condition` fences in its callers (`common::condition_restricts`: an
//! empty block, `aws:SecureTransport` or a wildcard value fence nothing), and an
//! account principal counts when it is not the
//! event's own account.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{policy_document, policy_exposure, succeeded_call};
use crate::event::Record;

pub struct SecretsManagerResourcePolicyExternalAccess;

pub static META: Meta = Meta {
    id: "secretsmanager-resource-policy-external-access",
    title: "AWS Secrets Manager Secret Shared with Another Account or Everyone",
    description: "A resource policy was attached to a secret that lets another AWS account, or \
                  anyone, use it. A secret readable from an outside account is a credential handed \
                  over for as long as the policy stays.",
    severity: Severity::High,
    attack: &["T1098", "T1555.006"],
    origins: &["trailwatch: based on resource-policy exposure of secrets (PutResourcePolicy \
                granting * or a foreign account)"],
    group: "data-exposure",
    false_positives: &["Secrets shared on purpose with the organisation's other accounts."],
    next_steps: "Check the receiving account. If unknown, delete the resource policy, rotate the \
                 secret, and look for GetSecretValue calls from other accounts since the change.",
    evidence: "other_accounts other_organizations public secret",
    triggers: &[Trigger::write("secretsmanager.amazonaws.com", &["PutResourcePolicy"])],
    window: None,
};

impl Detection for SecretsManagerResourcePolicyExternalAccess {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, "secretsmanager.amazonaws.com", &["PutResourcePolicy"]) {
            return None;
        }
        let doc = rec.request_param("resourcePolicy").and_then(policy_document)?;
        let exposure = policy_exposure(&doc, rec.account_id(), |_| true);
        if !exposure.exposed() {
            return None;
        }
        let e = Evidence::new().with_opt("secret", rec.request_param_str("secretId"));
        fire(exposure.exposure_evidence(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, failed, record};
    use crate::detections::common::testing::{eval, fires};
    use serde_json::json;

    fn put(statement: &str) -> String {
        let text = format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#);
        format!(r#"{{"secretId":"prod/payments/db","resourcePolicy":{},"blockPublicPolicy":false}}"#, serde_json::to_string(&text).unwrap())
    }

    #[test]
    fn fires_on_foreign_account_or_public() {
        let rec = record("secretsmanager.amazonaws.com", "PutResourcePolicy", ROLE,
            &put(r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:role/Reader"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}"#), "");
        match eval(&SecretsManagerResourcePolicyExternalAccess, &rec) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("other_accounts"), Some(&json!(["444455556666"]))),
            other => panic!("expected a finding, got {other:?}"),
        }
        let public = record("secretsmanager.amazonaws.com", "PutResourcePolicy", ROLE,
            &put(r#"{"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*"}"#), "");
        assert!(fires(&SecretsManagerResourcePolicyExternalAccess, &public));
    }

    #[test]
    fn near_misses() {
        for statement in [
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/App"},"Action":"secretsmanager:GetSecretValue"}"#,
            r#"{"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}"#,
            r#"{"Effect":"Deny","Principal":"*","Action":"secretsmanager:DeleteSecret"}"#,
        ] {
            let rec = record("secretsmanager.amazonaws.com", "PutResourcePolicy", ROLE, &put(statement), "");
            assert!(!fires(&SecretsManagerResourcePolicyExternalAccess, &rec), "{statement}");
        }
        let open = put(r#"{"Effect":"Allow","Principal":"*","Action":"secretsmanager:*"}"#);
        assert!(!fires(&SecretsManagerResourcePolicyExternalAccess, &failed("secretsmanager.amazonaws.com", "PutResourcePolicy", ROLE, &open, "PublicPolicyException")));
        assert!(!fires(&SecretsManagerResourcePolicyExternalAccess, &record("secretsmanager.amazonaws.com", "PutResourcePolicy", ROLE, "null", "")));
        assert!(!fires(&SecretsManagerResourcePolicyExternalAccess, &record("secretsmanager.amazonaws.com", "DeleteResourcePolicy", ROLE, &open, "")));
    }
}
