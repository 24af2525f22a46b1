//! A customer-managed KMS key disabled (`DisableKey`), scheduled for deletion
//! (`ScheduleKeyDeletion`) or stripped of its imported key material
//! (`DeleteImportedKeyMaterial`), successfully.
//!
//! A key made from imported material (origin `EXTERNAL`) becomes unusable the moment
//! its material is deleted, with no waiting period, until the same material is
//! imported again: for whoever does not hold a copy, that is the deletion at once.
//!
//! Decisions: all three make every piece of data encrypted under the key unreadable
//! (deletion for good, after the waiting period); they are one finding type, with
//! the event name and, for deletion, the waiting period in days. Calls by AWS
//! service identities (`AWSService`) are skipped; a stack that removes its key (a
//! CloudFormation `invokedBy`) counts: the same destruction through a stack update.
//!
//! From an evasion review, two more ways to the same end: a custom key store
//! disconnected (`DisconnectCustomKeyStore`: every key in a CloudHSM or external
//! key store then fails every cryptographic call, `DisableKey` on all of them at
//! once), and a key policy that locks everyone out (`PutKeyPolicy` with
//! `bypassPolicyLockoutSafetyCheck` true and a document that allows nothing, or
//! denies every principal `kms:Decrypt` without a condition): the key can no longer
//! be used, and no one but AWS Support can give it a policy again. The safety
//! check is there to refuse exactly such policies, so skipping it on an ordinary
//! policy is not reported.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    allow_statements, aws_service_among, deny_statements, flag_value, policy_document, principal_is_anyone,
    statement_covers_action, succeeded_call,
};
use crate::event::Record;

pub struct KmsKeyDisabledOrScheduledForDeletion;

const NAMES: &[&str] = &[
    "DeleteImportedKeyMaterial",
    "DisableKey",
    "ScheduleKeyDeletion",
    "DisconnectCustomKeyStore",
    "PutKeyPolicy",
];

pub static META: Meta = Meta {
    id: "kms-key-disabled-or-scheduled-for-deletion",
    title: "AWS KMS Key Disabled, Scheduled for Deletion or Stripped of Its Key Material",
    description: "A KMS key was disabled, scheduled for deletion or had its imported key \
                  material deleted. Everything encrypted under it (volumes, buckets, databases, \
                  secrets) becomes unreadable while it is disabled or without its material, and \
                  is lost for good once it is deleted: a way to destroy data, or to hold it for \
                  ransom, without touching the data itself.",
    severity: Severity::Medium,
    attack: &["T1485", "T1486"],
    origins: &["trailwatch: based on KMS key destruction techniques (DisableKey, ScheduleKeyDeletion, \
                DeleteImportedKeyMaterial)"],
    group: "data-exposure",
    false_positives: &["Retiring keys no longer used, after checking that nothing depends on them."],
    next_steps: "Find what the key encrypts (CloudTrail `Decrypt` and `GenerateDataKey` events, \
                 resources naming it). If the change was not planned, cancel the deletion \
                 (`CancelKeyDeletion`) and enable the key again at once, then review the caller.",
    triggers: &[Trigger::write("kms.amazonaws.com", NAMES)],
    window: None,
};

impl Detection for KmsKeyDisabledOrScheduledForDeletion {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, "kms.amazonaws.com", NAMES) || aws_service_among(rec, &[]) {
            return None;
        }
        let locked_out = rec.event_name() == "PutKeyPolicy";
        if locked_out && !policy_locks_everyone_out(rec) {
            return None;
        }
        fire(
            Evidence::new()
                .with("action", rec.event_name())
                .with_opt("key_id", rec.request_param_str("keyId"))
                .with_opt("custom_key_store_id", rec.request_param_str("customKeyStoreId"))
                .with_opt("policy_locks_everyone_out", locked_out.then_some(true))
                .with_json("pending_window_days", rec.request_param("pendingWindowInDays")),
        )
    }
}

/// `PutKeyPolicy` past the lockout safety check with a policy under which nobody
/// can use the key: no `Allow` statement at all, or a `Deny` of `kms:Decrypt` to
/// every principal with no condition.
fn policy_locks_everyone_out(rec: &Record<'_>) -> bool {
    if rec.request_param("bypassPolicyLockoutSafetyCheck").and_then(flag_value) != Some(true) {
        return false;
    }
    let Some(doc) = rec.request_param("policy").and_then(policy_document) else {
        return false;
    };
    allow_statements(&doc).is_empty()
        || deny_statements(&doc).iter().any(|d| {
            principal_is_anyone(d.get("Principal"))
                && d.get("Condition").is_none()
                && statement_covers_action(d, "kms:Decrypt")
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, USER, failed, record};
    use crate::detections::common::testing::{eval, fires};
    use serde_json::json;

    #[test]
    fn fires_on_each_call() {
        let rec = record("kms.amazonaws.com", "ScheduleKeyDeletion", USER, r#"{"keyId":"1234abcd-12ab-34cd-56ef-1234567890ab","pendingWindowInDays":7}"#, "");
        match eval(&KmsKeyDisabledOrScheduledForDeletion, &rec) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("pending_window_days"), Some(&json!(7))),
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(fires(&KmsKeyDisabledOrScheduledForDeletion, &record("kms.amazonaws.com", "DisableKey", ROLE, r#"{"keyId":"k"}"#, "")));
        let material = record("kms.amazonaws.com", "DeleteImportedKeyMaterial", ROLE, r#"{"keyId":"k"}"#, "");
        assert!(fires(&KmsKeyDisabledOrScheduledForDeletion, &material));
        let refused = failed("kms.amazonaws.com", "DeleteImportedKeyMaterial", ROLE, r#"{"keyId":"k"}"#, "UnsupportedOperationException");
        assert!(!fires(&KmsKeyDisabledOrScheduledForDeletion, &refused));
    }

    /// From an evasion review: the key store cut off, or the key's policy locking
    /// everyone out past the safety check.
    #[test]
    fn a_disconnected_key_store_and_a_lockout_policy_count() {
        let store = record("kms.amazonaws.com", "DisconnectCustomKeyStore", ROLE, r#"{"customKeyStoreId":"cks-1234567890abcdef0"}"#, "");
        match eval(&KmsKeyDisabledOrScheduledForDeletion, &store) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("custom_key_store_id"), Some(&json!("cks-1234567890abcdef0"))),
            other => panic!("expected a finding, got {other:?}"),
        }
        let policy = |doc: &str, bypass: &str| {
            let doc = serde_json::to_string(doc).unwrap();
            record("kms.amazonaws.com", "PutKeyPolicy", ROLE, &format!(r#"{{"keyId":"k","policyName":"default","policy":{doc}{bypass}}}"#), "")
        };
        let deny_all = r#"{"Version":"2012-10-17","Statement":[{"Sid":"x","Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*"}]}"#;
        assert!(fires(&KmsKeyDisabledOrScheduledForDeletion, &policy(deny_all, r#","bypassPolicyLockoutSafetyCheck":true"#)));
        let nothing = r#"{"Version":"2012-10-17","Statement":[]}"#;
        assert!(fires(&KmsKeyDisabledOrScheduledForDeletion, &policy(nothing, r#","bypassPolicyLockoutSafetyCheck":"true""#)));
        // The safety check kept: AWS refuses such a policy, so it was not put.
        assert!(!fires(&KmsKeyDisabledOrScheduledForDeletion, &policy(deny_all, "")));
        // An ordinary policy, the check skipped: not reported.
        let ordinary = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},
            {"Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}]}"#;
        assert!(!fires(&KmsKeyDisabledOrScheduledForDeletion, &policy(ordinary, r#","bypassPolicyLockoutSafetyCheck":true"#)));
    }

    #[test]
    fn near_misses() {
        assert!(!fires(&KmsKeyDisabledOrScheduledForDeletion, &failed("kms.amazonaws.com", "DisableKey", ROLE, r#"{"keyId":"k"}"#, "NotFoundException")));
        assert!(!fires(&KmsKeyDisabledOrScheduledForDeletion, &record("kms.amazonaws.com", "DisableKey", SERVICE, r#"{"keyId":"k"}"#, "")));
        assert!(!fires(&KmsKeyDisabledOrScheduledForDeletion, &record("kms.amazonaws.com", "CancelKeyDeletion", ROLE, r#"{"keyId":"k"}"#, "")));
        assert!(!fires(&KmsKeyDisabledOrScheduledForDeletion, &record("kms.amazonaws.com", "DisableKeyRotation", ROLE, r#"{"keyId":"k"}"#, "")));
    }
}
