//! An `AWSCompromisedKeyQuarantine*` managed policy (any version) attached to an IAM
//! user (`AttachUserPolicy`, successful). AWS attaches it when it finds the user's
//! access key exposed in public; the caller is usually AWS itself, so no caller is
//! excluded. Before the managed policy existed, AWS put an inline policy named
//! `AWSExposedCredentialPolicy_DO_NOT_REMOVE` on the user (`PutUserPolicy`): the same
//! news, also taken (Panther's "AWS IAM Access Key Compromise Detection" reads it).
//!
//! Removing the quarantine is reported too, at medium (from a second evasion
//! review): `DetachUserPolicy` of the managed policy or `DeleteUserPolicy` of the
//! inline one. The quarantine denies the exposed user the means to lift it, so an
//! intruder does it with another identity and goes on using the leaked key;
//! lifting it after the key was rotated is the expected false positive.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_managed_policy_attached, change_evidence, is_event, IAM};
use crate::event::Record;

pub struct IamCompromisedKeyQuarantinePolicyAttached;

/// The inline policy AWS put on a user whose key it found exposed, before the
/// managed quarantine policies.
const EXPOSED_CREDENTIAL_POLICY: &str = "AWSExposedCredentialPolicy_DO_NOT_REMOVE";

pub static META: Meta = Meta {
    id: "iam-compromised-key-quarantine-policy-attached",
    title: "AWS IAM CompromisedKeyQuarantine Policy Attached to User",
    description: "An AWSCompromisedKeyQuarantine policy was attached to an IAM user (or, at \
                  medium severity, removed from one). \
                  AWS does this when it finds one of the user's access keys published \
                  (for example in a public repository): the key is known to others \
                  and may already be in use by an attacker.",
    severity: Severity::High,
    attack: &["T1552", "T1078.004"],
    origins: &[
        "Elastic detection-rules \
         credential_access_iam_compromisedkeyquarantine_policy_attached_to_user.toml",
        "Panther AWS IAM Access Key Compromise Detection (the older inline policy)",
    ],
    group: "iam-persistence",
    false_positives: &[
        "An administrator attaching the quarantine policy by hand as a precaution.",
    ],
    next_steps: "Treat the user's access keys as stolen: deactivate and rotate them, \
                 review every call made with them since they were created (source \
                 addresses, regions, new principals), and only then remove the \
                 quarantine policy.",
    evidence: "api caller caller_type policyArn policyName removed source_ip userName user_agent",
    triggers: &[Trigger::write(
        IAM,
        &["AttachUserPolicy", "DeleteUserPolicy", "DetachUserPolicy", "PutUserPolicy"],
    )],
    window: None,
};

impl Detection for IamCompromisedKeyQuarantinePolicyAttached {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn severity_for(&self, rec: &Record<'_>) -> Severity {
        if is_event(rec, IAM, &["DeleteUserPolicy", "DetachUserPolicy"]) {
            Severity::Medium
        } else {
            META.severity
        }
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if is_event(rec, IAM, &["DeleteUserPolicy"]) {
            let lifted = rec.succeeded()
                && rec.request_param_str("policyName").map(str::trim) == Some(EXPOSED_CREDENTIAL_POLICY);
            if !lifted {
                return None;
            }
            return fire(change_evidence(rec, &["userName", "policyName"]).with("removed", true));
        }
        if is_event(rec, IAM, &["DetachUserPolicy"]) {
            return fire(
                aws_managed_policy_attached(rec, "DetachUserPolicy", "userName", quarantine_policy)?.with("removed", true),
            );
        }
        if is_event(rec, IAM, &["PutUserPolicy"]) {
            let exposed = rec.succeeded()
                && rec.request_param_str("policyName").map(str::trim)
                    == Some(EXPOSED_CREDENTIAL_POLICY);
            if !exposed {
                return None;
            }
            return fire(change_evidence(rec, &["userName", "policyName"]));
        }
        fire(aws_managed_policy_attached(rec, "AttachUserPolicy", "userName", quarantine_policy)?)
    }
}

/// AWS's quarantine policy, any version (`AWSCompromisedKeyQuarantineV3`).
fn quarantine_policy(name: &str) -> bool {
    name.to_ascii_lowercase().starts_with("awscompromisedkeyquarantine")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::iam_testing::*;
    use crate::detections::common::testing::fires;

    fn attach(identity: &str, policy: &str) -> String {
        iam(
            "AttachUserPolicy",
            identity,
            &format!(r#"{{"userName":"ci-bot","policyArn":"arn:aws:iam::aws:policy/{policy}"}}"#),
        )
    }

    #[test]
    fn fires_on_every_version_of_the_quarantine_policy() {
        for p in ["AWSCompromisedKeyQuarantine", "AWSCompromisedKeyQuarantineV2", "AWSCompromisedKeyQuarantineV3"] {
            assert!(fires(&IamCompromisedKeyQuarantinePolicyAttached, &attach(ROLE, p)), "{p}");
        }
        assert!(fires(&IamCompromisedKeyQuarantinePolicyAttached, &attach(CFN, "AWSCompromisedKeyQuarantineV2")));
    }

    /// From a second evasion review: the quarantine lifted is medium.
    #[test]
    fn the_quarantine_lifted_is_medium() {
        let detach = attach(ROLE, "AWSCompromisedKeyQuarantineV3").replace("AttachUserPolicy", "DetachUserPolicy");
        let delete = iam("DeleteUserPolicy", ROLE, r#"{"userName":"ci-bot","policyName":"AWSExposedCredentialPolicy_DO_NOT_REMOVE"}"#);
        for json in [&detach, &delete] {
            assert!(fires(&IamCompromisedKeyQuarantinePolicyAttached, json), "{json}");
            let rec = Record::from_json(json).unwrap();
            assert_eq!(IamCompromisedKeyQuarantinePolicyAttached.severity_for(&rec), Severity::Medium);
        }
        let other = attach(ROLE, "ReadOnlyAccess").replace("AttachUserPolicy", "DetachUserPolicy");
        assert!(!fires(&IamCompromisedKeyQuarantinePolicyAttached, &other));
        let other_inline = iam("DeleteUserPolicy", ROLE, r#"{"userName":"ci-bot","policyName":"s3-read"}"#);
        assert!(!fires(&IamCompromisedKeyQuarantinePolicyAttached, &other_inline));
    }

    #[test]
    fn ignores_other_policies_and_customer_copies() {
        assert!(!fires(&IamCompromisedKeyQuarantinePolicyAttached, &attach(USER, "ReadOnlyAccess")));
        let copy = iam(
            "AttachUserPolicy",
            USER,
            r#"{"userName":"ci-bot","policyArn":"arn:aws:iam::111122223333:policy/AWSCompromisedKeyQuarantineV2"}"#,
        );
        assert!(!fires(&IamCompromisedKeyQuarantinePolicyAttached, &copy));
    }

    #[test]
    fn the_older_inline_policy_counts_too() {
        let put = |identity: &str, name: &str| {
            iam(
                "PutUserPolicy",
                identity,
                &format!(r#"{{"userName":"ci-bot","policyName":"{name}","policyDocument":"{{}}"}}"#),
            )
        };
        assert!(fires(&IamCompromisedKeyQuarantinePolicyAttached, &put(ROLE, "AWSExposedCredentialPolicy_DO_NOT_REMOVE")));
        assert!(!fires(&IamCompromisedKeyQuarantinePolicyAttached, &put(USER, "ci-bot-s3-access")));
        let denied = iam_failed(
            "PutUserPolicy",
            USER,
            r#"{"userName":"ci-bot","policyName":"AWSExposedCredentialPolicy_DO_NOT_REMOVE"}"#,
            "AccessDenied",
        );
        assert!(!fires(&IamCompromisedKeyQuarantinePolicyAttached, &denied));
    }

    #[test]
    fn ignores_failed_calls_and_missing_parameters() {
        let denied = iam_failed(
            "AttachUserPolicy",
            USER,
            r#"{"userName":"ci-bot","policyArn":"arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV2"}"#,
            "AccessDenied",
        );
        assert!(!fires(&IamCompromisedKeyQuarantinePolicyAttached, &denied));
        assert!(!fires(&IamCompromisedKeyQuarantinePolicyAttached, &iam("AttachUserPolicy", USER, "null")));
    }
}
