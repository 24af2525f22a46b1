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
//! conditions on who calls that a caller of the account can meet (a caller
//! account or ARN test must name the account), and no `Deny` of it (or of
//! `kms:Decrypt`) to the whole account (everyone, its root or id, or all but a
//! `NotPrincipal` that does not name the account itself) under no condition or
//! one every caller of it meets (`...Like *` on a key every request has, `Null`
//! false on one, TLS, a test naming the whole account, or a negated test naming
//! only other accounts). A deny to one role leaves the others in charge; so
//! does an allow that leaves one role out. Left out: an allow behind a source address,
//! which the account's admins may well meet. A deny to the account's
//! root, a `NotPrincipal` deny, a condition every caller meets, or an allow of
//! `kms:DescribeKey` only, or only before a date long past, all lock it too.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    allow_statements, arn_account, aws_service_among, bare_operator, condition_pattern_matches, deny_statements,
    flag_value, is_other_account, one_or_many, policy_document, principal_accounts, principal_is_anyone,
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
    evidence: "action custom_key_store_id key_id pending_window_days policy_locks_everyone_out",
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
    let denied_to_all = deny_statements(&doc).iter().any(|d| {
        denies_whole_account(d, own)
            && holds_for_the_account(d.get("Condition"), own)
            && (statement_covers_action(d, "kms:PutKeyPolicy") || statement_covers_action(d, "kms:Decrypt"))
    });
    let manageable = allow_statements(&doc).iter().any(|a| {
        let principal = a.get("Principal");
        (principal_is_anyone(principal) || principal_accounts(principal).into_iter().any(|p| Some(p) == own))
            && statement_covers_action(a, "kms:PutKeyPolicy")
            && allow_condition_can_hold(a.get("Condition"), own)
    });
    denied_to_all || !manageable
}

/// A deny that reaches every principal of the account: to everyone, to the
/// account itself (its root or id), or to all but principals that `NotPrincipal`
/// names unless it names the account itself (AWS judges the account first: a
/// `NotPrincipal` of one role alone denies the whole account, from a review). A
/// deny to one role or user of it leaves the others (from a review of the
/// first version).
fn denies_whole_account(deny: &serde_json::Value, own: Option<&str>) -> bool {
    let names_account = |p: &serde_json::Value| {
        p.as_str().is_some_and(|p| {
            let p = p.trim();
            Some(p) == own || own.is_some_and(|own| p.ends_with(&format!(":{own}:root")))
        })
    };
    let names_it = |principals: Option<&serde_json::Value>| {
        principals
            .and_then(|p| p.get("AWS"))
            .is_some_and(|aws| one_or_many(Some(aws)).into_iter().any(names_account))
    };
    if let Some(excepted) = deny.get("NotPrincipal") {
        return !names_it(Some(excepted));
    }
    let principal = deny.get("Principal");
    principal_is_anyone(principal) || names_it(principal)
}

/// A condition value's texts: strings trimmed, numbers and booleans written
/// out (an account id may be given as a number, from a review).
fn texts(v: &serde_json::Value) -> Vec<String> {
    use serde_json::Value;
    one_or_many(Some(v))
        .into_iter()
        .filter_map(|t| match t {
            Value::String(s) => Some(s.trim().to_owned()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .collect()
}

/// A deny's condition that every caller of the account meets: none; a
/// `...Like` test of a bare wildcard on a key every signed request has (or any
/// key, `...IfExists`); `Null` false on such a key; `aws:SecureTransport` true
/// (KMS takes TLS only); a test of the caller's account or ARN that takes in the
/// whole account (its id, `arn:...:iam::<account>:*`); or a negated one whose
/// values all name other accounts ("deny everyone but the intruder's account").
/// Any other may leave the account's callers out (`StringNotEquals
/// aws:PrincipalOrgID` denies only outsiders; a tag or encryption-context test
/// only some calls), so such a deny is not taken as locking the account out.
fn holds_for_the_account(condition: Option<&serde_json::Value>, own: Option<&str>) -> bool {
    let Some(condition) = condition.filter(|c| !c.is_null()) else {
        return true;
    };
    let Some(operators) = condition.as_object() else {
        return false;
    };
    operators.iter().all(|(operator, keys)| {
        let if_exists = operator.trim().to_ascii_lowercase().ends_with("ifexists");
        // Read without `ForAnyValue:`/`ForAllValues:` too (from a review).
        let op = bare_operator(operator);
        let op = op.as_str();
        keys.as_object().is_some_and(|keys| {
            !keys.is_empty()
                && keys.iter().all(|(key, value)| {
                    let key = key.trim().to_ascii_lowercase();
                    let present = ALWAYS_PRESENT.contains(&key.as_str());
                    let values = texts(value);
                    match op {
                        "stringlike" | "arnlike" if values.iter().any(|v| v == "*") => present || if_exists,
                        // `StringEquals` reads a wildcard literally: it names no one.
                        "stringequals" | "stringequalsignorecase" => {
                            ACCOUNT_KEYS.contains(&key.as_str())
                                && values.iter().any(|v| !v.contains(['*', '?']) && whole_account(v, own))
                        }
                        "stringlike" | "arnequals" | "arnlike" => {
                            ACCOUNT_KEYS.contains(&key.as_str()) && values.iter().any(|v| whole_account(v, own))
                        }
                        // A key's values are alternatives.
                        "null" => present && values.iter().any(|v| v.eq_ignore_ascii_case("false")),
                        "bool" => key == "aws:securetransport" && values.iter().any(|v| v.eq_ignore_ascii_case("true")),
                        "stringnotequals" | "stringnotlike" | "arnnotequals" | "arnnotlike" => {
                            ACCOUNT_KEYS.contains(&key.as_str())
                                && !values.is_empty()
                                && values.iter().all(|v| other_account(v, own))
                        }
                        _ => false,
                    }
                })
        })
    })
}

/// Keys every signed request carries.
const ALWAYS_PRESENT: [&str; 3] = ["aws:principalarn", "aws:principalaccount", "kms:calleraccount"];
/// Keys whose values are the caller's account, or an ARN naming it.
const ACCOUNT_KEYS: [&str; 3] = ["aws:principalaccount", "kms:calleraccount", "aws:principalarn"];

/// A value naming an account other than `own`: an account id, or an ARN of one.
fn other_account(value: &str, own: Option<&str>) -> bool {
    is_other_account(value, own) || arn_account(value).is_some_and(|a| is_other_account(a, own))
}

/// A value that takes in every principal of `own`: its id, or an ARN pattern
/// of its IAM principals that leaves the name to a wildcard (`arn:aws:iam::<own>:*`).
fn whole_account(value: &str, own: Option<&str>) -> bool {
    Some(value) == own
        || (arn_account(value).is_some_and(|a| Some(a) == own)
            && value.split(':').nth(5).is_some_and(|resource| resource.starts_with('*')))
}

/// Whether some principal of the account can meet an allow's condition: each
/// entry [`own_caller_can_meet`]; a block of another shape cannot be counted on.
fn allow_condition_can_hold(condition: Option<&serde_json::Value>, own: Option<&str>) -> bool {
    let Some(condition) = condition.filter(|c| !c.is_null()) else {
        return true;
    };
    condition.as_object().is_some_and(|operators| {
        operators.iter().all(|(operator, keys)| {
            let op = bare_operator(operator);
            keys.as_object()
                .is_some_and(|keys| keys.iter().all(|(key, value)| own_caller_can_meet(&op, key, value, own)))
        })
    })
}

/// Whether some principal of the account can meet one condition entry of an
/// allow: a key that says who calls or from where (any other, a date, a tag,
/// a request value, may never hold; nor can a test that the caller is an AWS
/// service), and, for the caller's account or ARN, a value that names the
/// account (or, negated, values that do not take in the whole account: one
/// role left out leaves the rest; from a review: `StringEquals
/// aws:PrincipalAccount <another account>` passed). `op` is the operator as
/// [`bare_operator`] gives it. From an audit of condition operators: a test
/// that a key every signed call carries is missing (`Null` `true`), plain
/// HTTP (`aws:SecureTransport` `false`), a wildcard under `StringEquals`
/// (read literally) or a pattern of another account's ARNs is met by no one.
fn own_caller_can_meet(op: &str, key: &str, value: &serde_json::Value, own: Option<&str>) -> bool {
    let negated = op.contains("not");
    let key = key.trim().to_ascii_lowercase();
    if key.starts_with("aws:principalservicename") || key == "aws:principalisawsservice" {
        return false;
    }
    let about_the_caller = key.starts_with("aws:principal")
        || key.starts_with("aws:source")
        || matches!(
            key.as_str(),
            "aws:userid"
                | "aws:username"
                | "kms:calleraccount"
                | "aws:multifactorauthpresent"
                | "aws:multifactorauthage"
                | "aws:securetransport"
        );
    if !about_the_caller {
        return false;
    }
    let values = texts(value);
    // A key's values are alternatives.
    if op == "null" && ALWAYS_PRESENT.contains(&key.as_str()) {
        return values.iter().any(|v| v.eq_ignore_ascii_case("false"));
    }
    if op == "bool" && key == "aws:securetransport" {
        return values.iter().any(|v| v.eq_ignore_ascii_case("true"));
    }
    if !ACCOUNT_KEYS.contains(&key.as_str()) {
        return true;
    }
    if negated {
        return !values.iter().any(|v| whole_account(v, own));
    }
    let pattern = op.contains("like") || op.starts_with("arn");
    values.iter().any(|v| {
        if !v.contains(['*', '?']) {
            return !other_account(v, own);
        }
        // An ARN pattern whose account field is a literal account takes that
        // account's principals only; an id pattern must take the account's id.
        pattern
            && match own {
                Some(own) if !v.starts_with("arn:") => condition_pattern_matches(v, own),
                Some(_) => !other_account(v, own),
                None => true,
            }
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
        // From a review of that change: conditions no caller of the account
        // meets, and denies every caller of it meets.
        for statements in [
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"444455556666"}}}"#.to_owned(),
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*","Condition":{"StringNotEquals":{"kms:CallerAccount":"111122223333"}}}"#.to_owned(),
            format!(r#"{root},{{"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*","Condition":{{"StringNotEquals":{{"aws:PrincipalAccount":"444455556666"}}}}}}"#),
            format!(r#"{root},{{"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*","Condition":{{"Null":{{"aws:PrincipalArn":"false"}}}}}}"#),
            format!(r#"{root},{{"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*","Condition":{{"Bool":{{"aws:SecureTransport":"true"}}}}}}"#),
            format!(r#"{root},{{"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*","Condition":{{"StringLikeIfExists":{{"aws:PrincipalArn":"*"}}}}}}"#),
            format!(r#"{root},{{"Effect":"Deny","Principal":{{"AWS":"111122223333"}},"Action":"kms:PutKeyPolicy","Resource":"*"}}"#),
            // From a review of the rewrite: a deny naming the account by its
            // condition, a NotPrincipal of one role alone, an allow to services.
            format!(r#"{root},{{"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*","Condition":{{"StringEquals":{{"aws:PrincipalAccount":"111122223333"}}}}}}"#),
            format!(r#"{root},{{"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*","Condition":{{"ArnLike":{{"aws:PrincipalArn":"arn:aws:iam::111122223333:*"}}}}}}"#),
            format!(r#"{root},{{"Effect":"Deny","NotPrincipal":{{"AWS":"arn:aws:iam::111122223333:role/KeyAdmins"}},"Action":"kms:*","Resource":"*"}}"#),
            r#"{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"Bool":{"aws:PrincipalIsAWSService":"true"}}}"#.to_owned(),
        ] {
            let doc = format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#);
            assert!(fires(&KmsKeyDisabledOrScheduledForDeletion, &policy(&doc, r#","bypassPolicyLockoutSafetyCheck":true"#)), "{statements}");
        }
        // Still manageable: an admin role of the account, or a caller fence.
        for statements in [
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/KeyAdmins"},"Action":["kms:Put*","kms:Describe*"],"Resource":"*"}"#,
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}"#,
            // A deny to one role, or to all but the account's admins, leaves the account in charge.
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:role/CiRole"},"Action":"kms:Decrypt","Resource":"*"}"#,
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:root","arn:aws:iam::111122223333:role/KeyAdmins"]},"Action":"kms:PutKeyPolicy","Resource":"*"}"#,
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"111122223333"}}}"#,
            // From a review of the rewrite: one role left out, an MFA age, an
            // account id as a number, denies of only tagged keys or some contexts.
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*","Condition":{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/Intern"}}}"#,
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*","Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}}"#,
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":111122223333}}}"#,
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringLike":{"aws:ResourceTag/Quarantine":"*"}}}"#,
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringLike":{"kms:EncryptionContext:Project":"*"}}}"#,
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
