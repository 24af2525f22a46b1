//! An `AWSCompromisedKeyQuarantine*` managed policy (any version) attached to an IAM
//! user (`AttachUserPolicy`, successful). AWS attaches it when it finds the user's
//! access key exposed in public; the caller is usually AWS itself, so no caller is
//! excluded.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_managed_policy_attached, IAM};
use crate::event::Record;

pub struct IamCompromisedKeyQuarantinePolicyAttached;

pub static META: Meta = Meta {
    id: "iam-compromised-key-quarantine-policy-attached",
    title: "AWS IAM CompromisedKeyQuarantine Policy Attached to User",
    description: "An AWSCompromisedKeyQuarantine policy was attached to an IAM user. \
                  AWS does this when it finds one of the user's access keys published \
                  (for example in a public repository): the key is known to others \
                  and may already be in use by an attacker.",
    severity: Severity::High,
    attack: &["T1552", "T1078.004"],
    origins: &[
        "Elastic detection-rules \
         credential_access_iam_compromisedkeyquarantine_policy_attached_to_user.toml",
    ],
    group: "iam-persistence",
    false_positives: &[
        "An administrator attaching the quarantine policy by hand as a precaution.",
    ],
    next_steps: "Treat the user's access keys as stolen: deactivate and rotate them, \
                 review every call made with them since they were created (source \
                 addresses, regions, new principals), and only then remove the \
                 quarantine policy.",
    triggers: &[Trigger::write(IAM, &["AttachUserPolicy"])],
    window: None,
};

impl Detection for IamCompromisedKeyQuarantinePolicyAttached {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        fire(aws_managed_policy_attached(rec, "AttachUserPolicy", "userName", |name| {
            name.starts_with("AWSCompromisedKeyQuarantine")
        })?)
    }
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
