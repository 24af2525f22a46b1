//! An access key created for the root user itself: `CreateAccessKey`, successful,
//! called as root and naming no IAM user.
//!
//! Decisions: a key root creates for an IAM user is `create-access-key-for-another-user`;
//! this one is root's own, which AWS advises never to have. A failed attempt (root
//! already holds two keys) leaves nothing behind and is not reported. The evidence
//! names the new key's id, never its secret.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{IAM, access_key_field, change_evidence, is_event};
use crate::event::Record;

pub struct IamRootAccessKeyCreated;

pub static META: Meta = Meta {
    id: "iam-root-access-key-created",
    title: "AWS Root Access Key Created",
    description: "The root user created an access key for itself. A root key is a \
                  long-term credential with every permission in the account that no policy \
                  can limit; intruders who reach the root user create one to keep their access \
                  after the password and MFA are reset.",
    severity: Severity::High,
    attack: &["T1098.001", "T1078.004"],
    origins: &["trailwatch: based on the AWS Threat Technique Catalog's root-user \
             technique (T1078.A002) and AWS's advice that the root user hold no access key"],
    group: "iam-persistence",
    false_positives: &[
        "A legacy integration that still needs a root key (rare: AWS lists no task that \
         requires one).",
    ],
    next_steps: "Confirm with the account owner. If unexpected, deactivate and delete the \
                 key, secure the root password and MFA, and review every call made as root \
                 since the key was created (its id is in the evidence).",
    evidence: "access_key_id api caller caller_type source_ip user_agent",
    triggers: &[Trigger::write(IAM, &["CreateAccessKey"])],
    window: None,
};

impl Detection for IamRootAccessKeyCreated {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !is_event(rec, IAM, &["CreateAccessKey"])
            || !rec.succeeded()
            || rec.identity_type() != Some("Root")
            || rec
                .request_param_str("userName")
                .is_some_and(|u| !u.trim().is_empty())
        {
            return None;
        }
        fire(change_evidence(rec, &[]).with_opt("access_key_id", access_key_field(rec, "accessKeyId")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::iam_testing::*;
    use crate::detections::common::testing::{eval, fires};

    const NEW_KEY: &str = r#""responseElements":{"accessKey":{"accessKeyId":"AKIAEXAMPLEROOTKEY01",
        "status":"Active","userName":"Root"}}"#;

    #[test]
    fn fires_for_roots_own_key_with_its_id() {
        let created = record(IAM, "CreateAccessKey", ROOT, "null", "")
            .replace(r#""responseElements":null"#, NEW_KEY);
        let Some(Signal::Fire(e)) = eval(&IamRootAccessKeyCreated, &created) else {
            panic!("expected a finding");
        };
        assert_eq!(e.get("access_key_id").and_then(|v| v.as_str()), Some("AKIAEXAMPLEROOTKEY01"));
        assert!(fires(&IamRootAccessKeyCreated, &iam("CreateAccessKey", ROOT, "{}")));
        assert!(fires(&IamRootAccessKeyCreated, &iam("CreateAccessKey", ROOT, r#"{"userName":""}"#)));
    }

    #[test]
    fn ignores_keys_for_users_other_callers_and_failures() {
        assert!(!fires(&IamRootAccessKeyCreated, &iam("CreateAccessKey", ROOT, r#"{"userName":"bob"}"#)));
        for who in [USER, ROLE, FEDERATED] {
            assert!(!fires(&IamRootAccessKeyCreated, &iam("CreateAccessKey", who, "{}")));
        }
        assert!(!fires(&IamRootAccessKeyCreated, &iam_failed("CreateAccessKey", ROOT, "{}", "LimitExceeded")));
        assert!(!fires(&IamRootAccessKeyCreated, &iam("CreateLoginProfile", ROOT, "{}")));
    }
}
