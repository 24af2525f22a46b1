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
//!
//! From a third evasion review, the lockout is read as the safety check reads
//! it: a policy past the check locks the account out unless some `Allow` still
//! lets the account (its root, or one of its principals, or everyone) change the
//! policy (`kms:PutKeyPolicy`, a wildcard covering it), with no condition or only
//! conditions on who calls, and no `Deny` of it (or of `kms:Decrypt`) to
//! everyone, to the account, or through `NotPrincipal`, under no condition or
//! one every caller meets (a `...Like` test of `*`). A deny to the account's
//! root, a `NotPrincipal` deny, a condition every caller meets, or an allow of
//! `kms:DescribeKey` only, or only before a date long past, all lock it too.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    allow_statements, aws_service_among, condition_keys, deny_statements, flag_value,
    policy_document, principal_accounts, principal_is_anyone, statement_covers_action, succeeded_call,
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

/// `PutKeyPolicy` past the lockout safety check with a policy under which the
/// account can no longer manage (or use) the key (see the top comment).
fn policy_locks_everyone_out(rec: &Record<'_>) -> bool {
    if rec.request_param("bypassPolicyLockoutSafetyCheck").and_then(flag_value) != Some(true) {
        return false;
    }
    let Some(doc) = rec.request_param("policy").and_then(policy_document) else {
        return false;
    };
    let own = rec.account_id();
    // A statement's principal that takes in the account: everyone, its root or
    // id, or any principal of it.
    let takes_in_account = |principal: Option<&serde_json::Value>| {
        principal_is_anyone(principal) || principal_accounts(principal).into_iter().any(|a| Some(a) == own)
    };
    let denied_to_all = deny_statements(&doc).iter().any(|d| {
        (takes_in_account(d.get("Principal")) || d.get("NotPrincipal").is_some())
            && always_holds(d.get("Condition"))
            && (statement_covers_action(d, "kms:PutKeyPolicy") || statement_covers_action(d, "kms:Decrypt"))
    });
    let manageable = allow_statements(&doc).iter().any(|a| {
        takes_in_account(a.get("Principal"))
            && statement_covers_action(a, "kms:PutKeyPolicy")
            && condition_keys(a.get("Condition")).all(names_the_caller)
    });
    denied_to_all || !manageable
}

/// A deny's condition that every caller meets: none, or only `...Like` tests
/// of a bare wildcard (`StringLike aws:PrincipalArn *`). Any other may leave
/// the account's own callers out (`StringNotEquals aws:PrincipalOrgID` denies
/// only outsiders), so such a deny is not taken as locking the account out.
fn always_holds(condition: Option<&serde_json::Value>) -> bool {
    use serde_json::Value;
    let Some(condition) = condition.filter(|c| !c.is_null()) else {
        return true;
    };
    let Some(operators) = condition.as_object() else {
        return false;
    };
    operators.iter().all(|(operator, keys)| {
        let op = operator.trim().to_ascii_lowercase();
        (op == "stringlike" || op == "arnlike")
            && keys.as_object().is_some_and(|keys| {
                keys.values().all(|v| match v {
                    Value::String(s) => s.trim() == "*",
                    Value::Array(items) => items.iter().any(|i| i.as_str().is_some_and(|s| s.trim() == "*")),
                    _ => false,
                })
            })
    })
}

/// A condition key that says who calls or from where, which the account's own
/// principals can meet; any other (a date, a tag, a request value) may never
/// hold, so an allow behind it is not counted on.
fn names_the_caller(key: &str) -> bool {
    let key = key.trim().to_ascii_lowercase();
    key.starts_with("aws:principal")
        || key.starts_with("aws:source")
        || matches!(
            key.as_str(),
            "aws:userid" | "aws:username" | "kms:calleraccount" | "aws:multifactorauthpresent" | "aws:securetransport"
        )
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
        // From a third evasion review: the other lockouts.
        let root = r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}"#;
        for statements in [
            format!(r#"{root},{{"Effect":"Deny","Principal":{{"AWS":"arn:aws:iam::111122223333:root"}},"Action":"kms:*","Resource":"*"}}"#),
            format!(r#"{root},{{"Effect":"Deny","NotPrincipal":{{"AWS":"arn:aws:iam::444455556666:root"}},"Action":"kms:*","Resource":"*"}}"#),
            format!(r#"{root},{{"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*","Condition":{{"StringLike":{{"aws:PrincipalArn":"*"}}}}}}"#),
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:DescribeKey","Resource":"*"}"#.to_owned(),
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}}"#.to_owned(),
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"kms:*","Resource":"*"}"#.to_owned(),
        ] {
            let doc = format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#);
            assert!(fires(&KmsKeyDisabledOrScheduledForDeletion, &policy(&doc, r#","bypassPolicyLockoutSafetyCheck":true"#)), "{statements}");
        }
        // Still manageable: an admin role of the account, or a caller fence.
        for statements in [
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/KeyAdmins"},"Action":["kms:Put*","kms:Describe*"],"Resource":"*"}"#,
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}"#,
        ] {
            let doc = format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#);
            assert!(!fires(&KmsKeyDisabledOrScheduledForDeletion, &policy(&doc, r#","bypassPolicyLockoutSafetyCheck":true"#)), "{statements}");
        }
    }

    #[test]
    fn near_misses() {
        assert!(!fires(&KmsKeyDisabledOrScheduledForDeletion, &failed("kms.amazonaws.com", "DisableKey", ROLE, r#"{"keyId":"k"}"#, "NotFoundException")));
        assert!(!fires(&KmsKeyDisabledOrScheduledForDeletion, &record("kms.amazonaws.com", "DisableKey", SERVICE, r#"{"keyId":"k"}"#, "")));
        assert!(!fires(&KmsKeyDisabledOrScheduledForDeletion, &record("kms.amazonaws.com", "CancelKeyDeletion", ROLE, r#"{"keyId":"k"}"#, "")));
        assert!(!fires(&KmsKeyDisabledOrScheduledForDeletion, &record("kms.amazonaws.com", "DisableKeyRotation", ROLE, r#"{"keyId":"k"}"#, "")));
    }
}
