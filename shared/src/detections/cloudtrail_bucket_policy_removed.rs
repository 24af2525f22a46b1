//! The bucket a trail delivers to stopped letting CloudTrail write, successfully:
//! its policy deleted (`DeleteBucketPolicy`), or replaced (`PutBucketPolicy`) by one
//! that no longer allows `cloudtrail.amazonaws.com` to put objects, or that denies it.
//!
//! Decisions: without that grant CloudTrail cannot deliver, and the trail goes
//! silent while it still shows as logging: evasion without touching the trail
//! itself. A bucket that receives CloudTrail is told by its name
//! (`common::names_trail_bucket`: `cloudtrail` in any case, or Control Tower's
//! and the Landing Zone Accelerator's log archive buckets), as
//! `cloudwatch-monitoring-silenced` tells a trail's log group; a trail bucket
//! named otherwise is not seen (a stated limit: the record does not say which
//! trail writes where). A new policy counts when no `Allow` statement
//! for the CloudTrail service principal covers `s3:PutObject` on this bucket's
//! objects (a grant for another bucket lets CloudTrail write nowhere here; of
//! its conditions only tests CloudTrail's deliveries never meet are judged, an
//! ACL other than `bucket-owner-full-control` or plain HTTP: the others are not,
//! as an organisation trail's rightly name another account), or when a `Deny`
//! statement covering it applies to CloudTrail (by name, as everyone, or as everyone
//! but the principals a `NotPrincipal` lists) without a condition, or with only
//! tests CloudTrail's own deliveries meet: TLS, the `bucket-owner-full-control`
//! ACL they send, or a source account or trail ARN naming the record's own account
//! (or any). A source naming another account is taken as sparing (an organisation
//! trail's deliveries come from the management account, which the record does not
//! name), as are the negated operators (the usual guard against other accounts'
//! trails).
//! The grant's object path is not judged either: CloudTrail writes under
//! `<trail prefix>/AWSLogs/...`, and the record does not say the trail's prefix,
//! so a grant moved to `bucket/unused/*` reads like one for a trail whose
//! prefix is `unused` (a stated limit, from a review).
//! Changes AWS services make on their own are left out; a stack's change counts.
//!
//! From a second evasion review: the bucket itself deleted (`DeleteBucket`,
//! which succeeds once it is emptied) stops delivery as surely, and frees its
//! name for another account to take; and a `Deny` counts whose condition
//! CloudTrail's deliveries meet from some time on (`DateGreaterThan` on
//! `aws:CurrentTime` or `aws:EpochTime`, `NumericGreaterThan` on the latter: a
//! time bomb that breaks delivery hours after a reviewer saw it working), or
//! always (`Null` `false` on `aws:SourceArn` or `aws:SourceAccount`, which
//! CloudTrail sends; a source account pattern with wildcards matching the
//! record's own account).
//!
//! From a third evasion review: a `Deny` of every AWS service
//! (`aws:PrincipalIsAWSService` true) or of CloudTrail by its service name
//! (`aws:PrincipalServiceName`) holds for CloudTrail, and so does a "perimeter"
//! deny that negates a key CloudTrail's deliveries never carry (`aws:SourceVpce`,
//! `aws:SourceVpc`, `aws:PrincipalOrgID`, `aws:PrincipalOrgPaths`) without sparing
//! AWS services in the same statement (`aws:PrincipalIsAWSService` false).
//!
//! The KMS key a trail encrypts with does the same when its policy stops letting
//! CloudTrail make data keys (from an evasion review): `PutKeyPolicy` on a key
//! whose new policy still shows it is a trail's (a statement for the CloudTrail
//! service principal, or a condition on the `aws:cloudtrail:arn` encryption
//! context, as the key policy CloudTrail's console writes has) but in which no
//! `Allow` for CloudTrail covers `kms:GenerateDataKey`, or an unconditioned `Deny`
//! that applies to CloudTrail does. A policy that drops every trace of CloudTrail
//! is not seen (nothing in the record says the key is a trail's), nor an `Allow`
//! whose conditions no longer match the trail.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    action_pattern_matches, allow_statements, aws_service_caller_but_stack, bare_operator, condition_keys,
    deny_statements, every_value_has_wildcard, flag_value, names_trail_bucket, one_or_many, policy_document, principal_is_anyone,
    principal_names_service, statement_covers_action, string_test_holds, succeeded_call,
};
use crate::event::Record;

pub struct CloudTrailBucketPolicyRemoved;

const S3: &str = "s3.amazonaws.com";
const CALLS: &[&str] = &["DeleteBucket", "DeleteBucketPolicy", "PutBucketPolicy"];
const CLOUDTRAIL: &str = "cloudtrail.amazonaws.com";
const KMS: &str = "kms.amazonaws.com";
const PUT_KEY_POLICY: &str = "PutKeyPolicy";
/// The action CloudTrail calls to encrypt a log file (`kms:GenerateDataKey*`).
const GENERATE_DATA_KEY: &str = "kms:GenerateDataKey";

pub static META: Meta = Meta {
    id: "cloudtrail-bucket-policy-removed",
    title: "AWS CloudTrail Bucket or Key No Longer Lets CloudTrail Write",
    description: "A bucket that receives CloudTrail logs was deleted, or its policy deleted or \
                  replaced by one that no longer lets CloudTrail write to it; or the policy of \
                  the KMS key a trail encrypts with no longer lets CloudTrail use it. Log \
                  delivery fails from then on while the trail still shows as logging: the \
                  attacker's next actions are not recorded.",
    severity: Severity::High,
    attack: &["T1562.008"],
    origins: &[
        "trailwatch: from a red-team gap hunt (log delivery broken through the trail \
         bucket's policy, leaving the trail itself untouched)",
    ],
    group: "logging-tamper",
    false_positives: &[
        "Buckets whose names contain `cloudtrail` but do not receive logs, or a policy \
         rewritten in two steps (deleted, then put back).",
    ],
    next_steps: "Restore the bucket or key policy's CloudTrail statements, check the trail's \
                 delivery status (GetTrailStatus: LatestDeliveryError) and review what the \
                 caller did while delivery failed, from another account's trail or the \
                 event history.",
    evidence: "api bucket key",
    triggers: &[Trigger::write(S3, CALLS), Trigger::write(KMS, &[PUT_KEY_POLICY])],
    window: None,
};

/// Whether a principal block names the CloudTrail service.
fn names_cloudtrail(principal: Option<&serde_json::Value>) -> bool {
    principal_names_service(principal, CLOUDTRAIL)
}

/// Whether `statement` applies to the CloudTrail service: it names it or everyone,
/// or it names everyone but some principals (`NotPrincipal`) without CloudTrail.
fn applies_to_cloudtrail(statement: &serde_json::Value) -> bool {
    let principal = statement.get("Principal");
    principal_is_anyone(principal)
        || names_cloudtrail(principal)
        || statement
            .get("NotPrincipal")
            .is_some_and(|n| !names_cloudtrail(Some(n)) && !principal_is_anyone(Some(n)))
}

/// Whether a `Deny` statement's condition holds for CloudTrail's own deliveries
/// into the bucket of account `own`: none at all, or only tests they meet (TLS,
/// the `bucket-owner-full-control` ACL, a source account or trail ARN of `own` or
/// any account), that name it as an AWS service, or that negate a key its
/// deliveries never carry (a VPC endpoint, an organisation). Other conditions
/// (encryption headers, another account's source, other negated tests) cannot be
/// judged from the policy alone and are taken as sparing it.
fn holds_for_cloudtrail(statement: &serde_json::Value, own: Option<&str>) -> bool {
    let Some(condition) = statement.get("Condition").filter(|c| !c.is_null()) else {
        return true;
    };
    let Some(operators) = condition.as_object() else {
        return false;
    };
    operators.iter().all(|(operator, keys)| {
        let op = bare_operator(operator);
        let op = op.as_str();
        let Some(keys) = keys.as_object() else {
            return false;
        };
        keys.iter().all(|(key, value)| {
            let values = one_or_many(Some(value));
            let text = |v: &serde_json::Value| v.as_str().map(str::trim).unwrap_or_default().to_owned();
            let any_or_own = |account: &str| account.chars().all(|c| c == '*') || Some(account) == own;
            let key = key.trim().to_ascii_lowercase();
            match (op, key.as_str()) {
                // A key's values are alternatives: `["true", "false"]` always holds.
                ("bool", "aws:securetransport") => values.iter().any(|v| flag_value(v) == Some(true)),
                // Every string test of the ACL, as IAM reads it (from reviews: a
                // deny of `bucket-owner-*` by pattern, or of every ACL but
                // `private`, read as sparing CloudTrail).
                (_, "s3:x-amz-acl") => string_test_holds(op, &values, CLOUDTRAIL_ACL) == Some(true),
                // `StringEquals` is no pattern: its `*` names no account (from a
                // review: a deny of the literal `*` fired high).
                ("stringequals" | "stringequalsignorecase", "aws:sourceaccount") => {
                    values.iter().any(|v| own.is_some_and(|own| text(v) == own))
                }
                ("stringlike", "aws:sourceaccount") => {
                    values.iter().any(|v| any_or_own(&text(v)))
                        || own.is_some_and(|own| values.iter().any(|v| action_pattern_matches(&text(v), own)))
                }
                // From some time on: a time bomb (the date may be past: at once).
                ("dategreaterthan" | "dategreaterthanequals", "aws:currenttime" | "aws:epochtime")
                | ("numericgreaterthan" | "numericgreaterthanequals", "aws:epochtime") => true,
                // CloudTrail's deliveries carry their source.
                ("null", "aws:sourcearn" | "aws:sourceaccount") => {
                    values.iter().any(|v| flag_value(v) == Some(false))
                }
                // CloudTrail is an AWS service principal, named as itself (from a
                // third evasion review: a deny of every service, or of CloudTrail
                // by its service name, looked like a condition it escapes).
                ("bool", "aws:principalisawsservice") => values.iter().all(|v| flag_value(v) == Some(true)),
                (
                    "stringequals" | "stringequalsignorecase" | "stringlike",
                    "aws:principalservicename" | "aws:principalservicenameslist",
                ) => string_test_holds(op, &values, "cloudtrail.amazonaws.com") == Some(true),
                // Keys a service principal's deliveries never carry: a negated test
                // of one holds (the "perimeter" deny that forgot to spare services).
                (
                    "stringnotequals" | "stringnotequalsignorecase" | "stringnotlike",
                    "aws:sourcevpce" | "aws:sourcevpc" | "aws:principalorgid" | "aws:principalorgpaths",
                ) => true,
                (
                    "stringequals" | "stringequalsignorecase" | "stringlike" | "arnequals" | "arnlike",
                    "aws:sourcearn" | "kms:encryptioncontext:aws:cloudtrail:arn",
                ) => {
                    // `StringEquals` takes no wildcard; the `Arn` operators and
                    // `StringLike` do, also across fields (`arn:aws:cloudtrail:*`).
                    let pattern = !op.starts_with("stringequals");
                    let trail = format!("arn:aws:cloudtrail:us-east-1:{}:trail/t", own.unwrap_or("111122223333"));
                    values.iter().any(|v| {
                        let arn = text(v);
                        let fields: Vec<&str> = arn.split(':').collect();
                        if !pattern {
                            return !arn.contains(['*', '?'])
                                && fields.len() >= 6
                                && fields[2] == "cloudtrail"
                                && Some(fields[4]) == own;
                        }
                        arn.chars().all(|c| c == '*')
                            || action_pattern_matches(&arn, &trail)
                            || (fields.len() >= 6 && matches!(fields[2], "cloudtrail" | "*") && any_or_own(fields[4]))
                    })
                }
                _ => false,
            }
        })
    })
}

/// The canned ACL CloudTrail sends with every log file it writes.
const CLOUDTRAIL_ACL: &str = "bucket-owner-full-control";

/// Whether an `Allow` statement's condition holds a test CloudTrail's deliveries
/// never meet: an ACL test that `bucket-owner-full-control`, the one they send,
/// fails, plain HTTP (they come over TLS), a missing source, or a source
/// compared by `StringEquals` with a wildcard in every value, which it takes
/// literally (from a review). Such a grant is kept, and lets
/// nothing in (from an evasion review: the write statement conditioned on
/// `private`, or on `aws:SecureTransport` `false`, silenced the trail and fired
/// nothing). Its other tests are not judged (an organisation trail's rightly
/// name another account).
fn never_met_by_cloudtrail(statement: &serde_json::Value) -> bool {
    let operators = statement.get("Condition").and_then(|c| c.as_object());
    operators.into_iter().flatten().any(|(operator, keys)| {
        let op = bare_operator(operator);
        keys.as_object().into_iter().flatten().any(|(key, value)| {
            let values = one_or_many(Some(value));
            match (op.as_str(), key.trim().to_ascii_lowercase().as_str()) {
                ("bool", "aws:securetransport") => values.iter().all(|v| flag_value(v) == Some(false)),
                (op, "s3:x-amz-acl") => string_test_holds(op, &values, CLOUDTRAIL_ACL) == Some(false),
                // CloudTrail's deliveries carry their source, never a literal `*`.
                ("null", "aws:sourcearn" | "aws:sourceaccount") => {
                    values.iter().all(|v| flag_value(v) == Some(true))
                }
                (
                    "stringequals" | "stringequalsignorecase",
                    "aws:sourcearn" | "aws:sourceaccount" | "kms:encryptioncontext:aws:cloudtrail:arn",
                ) => every_value_has_wildcard(&values),
                _ => false,
            }
        })
    })
}

/// Whether `statement`'s `Resource` takes in objects of `bucket`: `*`, or an S3
/// ARN whose bucket part matches the name (IAM's `*` and `?`; a pattern without a
/// `/` must match `<bucket>/<key>` whole). A statement without `Resource`
/// (`NotResource`) is taken as covering it.
fn covers_objects_of(statement: &serde_json::Value, bucket: &str) -> bool {
    let Some(resource) = statement.get("Resource") else {
        return true;
    };
    let matches = |pattern: &str, text: &str| {
        // A pattern too long to compile is taken as covering: no finding on it.
        crate::tuning::Glob::new(pattern).map_or(true, |g| g.matches(text))
    };
    one_or_many(Some(resource))
        .iter()
        .filter_map(|v| v.as_str())
        .map(str::trim)
        .any(|r| {
            if r == "*" {
                return true;
            }
            let Some((_, rest)) = r.split_once(":s3:::") else {
                return false;
            };
            match rest.split_once('/') {
                Some((bucket_part, _)) => matches(bucket_part, bucket),
                None => matches(rest, &format!("{bucket}/AWSLogs/")),
            }
        })
}

/// Whether a bucket policy lets CloudTrail deliver: an `Allow` for its service
/// principal covers `s3:PutObject` on `bucket`'s objects, and no unconditioned
/// `Deny` that applies to it does.
fn lets_cloudtrail_write(doc: &serde_json::Value, bucket: &str, own: Option<&str>) -> bool {
    let allowed = allow_statements(doc).into_iter().any(|st| {
        applies_to_cloudtrail(st)
            && statement_covers_action(st, "s3:PutObject")
            && covers_objects_of(st, bucket)
            && !never_met_by_cloudtrail(st)
    });
    let denied = deny_statements(doc).into_iter().any(|st| {
        applies_to_cloudtrail(st) && statement_covers_action(st, "s3:PutObject") && holds_for_cloudtrail(st, own)
    });
    allowed && !denied
}

/// Whether a key policy shows the key is a trail's: a statement for the CloudTrail
/// service principal, or a condition on CloudTrail's encryption context.
fn trail_key_policy(doc: &serde_json::Value) -> bool {
    one_or_many(doc.get("Statement")).iter().any(|st| {
        names_cloudtrail(st.get("Principal"))
            || condition_keys(st.get("Condition"))
                .any(|k| k.to_ascii_lowercase().contains("aws:cloudtrail:arn"))
    })
}

/// Whether a key policy lets CloudTrail make data keys: an `Allow` that applies
/// to it covers `kms:GenerateDataKey` under no test its deliveries never meet
/// (as for the bucket's grant), and no `Deny` that applies to it does
/// without a condition, or with only tests CloudTrail's own deliveries for
/// account `own` meet (a source account or trail ARN, or the trail's encryption
/// context, of `own` or any account; as for the bucket).
fn lets_cloudtrail_encrypt(doc: &serde_json::Value, own: Option<&str>) -> bool {
    let allowed = allow_statements(doc).into_iter().any(|st| {
        applies_to_cloudtrail(st) && statement_covers_action(st, GENERATE_DATA_KEY) && !never_met_by_cloudtrail(st)
    });
    let denied = deny_statements(doc).into_iter().any(|st| {
        applies_to_cloudtrail(st)
            && statement_covers_action(st, GENERATE_DATA_KEY)
            && holds_for_cloudtrail(st, own)
    });
    allowed && !denied
}

/// A trail's key policy rewritten so that CloudTrail cannot encrypt with it.
fn trail_key_locked(rec: &Record<'_>) -> Option<Signal> {
    let doc = policy_document(rec.request_param("policy")?)?;
    if !trail_key_policy(&doc) || lets_cloudtrail_encrypt(&doc, rec.account_id()) {
        return None;
    }
    fire(
        Evidence::new()
            .with("api", PUT_KEY_POLICY)
            .with_opt("key", rec.request_param_str("keyId").map(str::trim)),
    )
}

impl Detection for CloudTrailBucketPolicyRemoved {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if aws_service_caller_but_stack(rec) {
            return None;
        }
        if succeeded_call(rec, KMS, &[PUT_KEY_POLICY]) {
            return trail_key_locked(rec);
        }
        if !succeeded_call(rec, S3, CALLS) {
            return None;
        }
        let bucket = rec.request_param_str("bucketName")?.trim();
        if !names_trail_bucket(bucket) {
            return None;
        }
        if rec.event_name() == "PutBucketPolicy" {
            let doc = policy_document(rec.request_param("bucketPolicy")?)?;
            if lets_cloudtrail_write(&doc, bucket, rec.account_id()) {
                return None;
            }
        }
        fire(Evidence::new().with("api", rec.event_name()).with("bucket", bucket))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::fires;

    const BUCKET: &str = "aws-cloudtrail-logs-111122223333-0a1b2c3d";
    const ACL_CHECK: &str = r#"{"Sid":"AWSCloudTrailAclCheck","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::aws-cloudtrail-logs-111122223333-0a1b2c3d"}"#;
    const WRITE: &str = r#"{"Sid":"AWSCloudTrailWrite","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::aws-cloudtrail-logs-111122223333-0a1b2c3d/AWSLogs/111122223333/*","Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}}"#;

    fn put(bucket: &str, statements: &[&str]) -> String {
        format!(
            r#"{{"bucketName":"{bucket}","Host":"{bucket}.s3.us-east-1.amazonaws.com","policy":[""],"bucketPolicy":{{"Version":"2012-10-17","Statement":[{}]}}}}"#,
            statements.join(",")
        )
    }

    #[test]
    fn a_trail_bucket_losing_the_write_grant_fires() {
        let deleted = format!(r#"{{"bucketName":"{BUCKET}","Host":"x","policy":[""]}}"#);
        assert!(fires(&CloudTrailBucketPolicyRemoved, &record(S3, "DeleteBucketPolicy", ROLE, &deleted, "")));
        assert!(fires(&CloudTrailBucketPolicyRemoved, &record(S3, "PutBucketPolicy", ROLE, &put(BUCKET, &[ACL_CHECK]), "")));
        let deny = r#"{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}"#;
        assert!(fires(&CloudTrailBucketPolicyRemoved, &record(S3, "PutBucketPolicy", ROLE, &put(BUCKET, &[ACL_CHECK, WRITE, deny]), "")));
        let tls_true = r#"{"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}"#;
        assert!(fires(&CloudTrailBucketPolicyRemoved, &record(S3, "PutBucketPolicy", ROLE, &put(BUCKET, &[ACL_CHECK, WRITE, tls_true]), "")));
        let all_but_me = r#"{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:role/Attacker"},"Action":"s3:*","Resource":"*"}"#;
        assert!(fires(&CloudTrailBucketPolicyRemoved, &record(S3, "PutBucketPolicy", ROLE, &put(BUCKET, &[ACL_CHECK, WRITE, all_but_me]), "")));
        let upper = put("Org-CloudTrail-Archive", &[ACL_CHECK]);
        assert!(fires(&CloudTrailBucketPolicyRemoved, &record(S3, "PutBucketPolicy", ROLE, &upper, "")));
        // A write grant for another bucket lets CloudTrail write nowhere here.
        let elsewhere = WRITE.replace(BUCKET, "some-other-bucket");
        assert!(fires(&CloudTrailBucketPolicyRemoved, &record(S3, "PutBucketPolicy", ROLE, &put(BUCKET, &[ACL_CHECK, &elsewhere]), "")));
        let other_bucket_only = WRITE.replace(&format!("{BUCKET}/AWSLogs/111122223333/*"), "other-cloudtrail-bucket*");
        assert!(fires(&CloudTrailBucketPolicyRemoved, &record(S3, "PutBucketPolicy", ROLE, &put(BUCKET, &[ACL_CHECK, &other_bucket_only]), "")));
    }

    /// A grant whose resource takes in this bucket's objects, by wildcard or in a
    /// list, keeps CloudTrail writing.
    /// A deny whose condition CloudTrail's own deliveries meet: the ACL they
    /// send, the own account as source, the own trails' ARN.
    #[test]
    fn a_deny_with_a_condition_cloudtrail_meets_fires() {
        let deny = |condition: &str| {
            format!(r#"{{"Effect":"Deny","Principal":{{"Service":"cloudtrail.amazonaws.com"}},"Action":"s3:PutObject","Resource":"*","Condition":{condition}}}"#)
        };
        for condition in [
            r#"{"StringEquals":{"aws:SourceAccount":"111122223333"}}"#,
            r#"{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}"#,
            r#"{"ArnLike":{"aws:SourceArn":"arn:aws:cloudtrail:*:111122223333:trail/*"}}"#,
            r#"{"StringLike":{"aws:SourceAccount":"*"},"Bool":{"aws:SecureTransport":true}}"#,
            // From a second evasion review: a time bomb, and tests every delivery passes.
            r#"{"DateGreaterThan":{"aws:CurrentTime":"2026-05-02T03:00:00Z"}}"#,
            r#"{"NumericGreaterThanEquals":{"aws:EpochTime":"1777000000"}}"#,
            r#"{"Null":{"aws:SourceArn":"false"}}"#,
            r#"{"StringLike":{"aws:SourceAccount":"1111*"}}"#,
        ] {
            let policy = put(BUCKET, &[ACL_CHECK, WRITE, &deny(condition)]);
            assert!(fires(&CloudTrailBucketPolicyRemoved, &record(S3, "PutBucketPolicy", ROLE, &policy, "")), "{condition}");
        }
        for spares in [
            // Another account's trails: the usual confused-deputy guard, or an
            // organisation trail we cannot tell.
            r#"{"StringNotEquals":{"aws:SourceAccount":"111122223333"}}"#,
            r#"{"StringEquals":{"aws:SourceAccount":"999988887777"}}"#,
            r#"{"StringEquals":{"s3:x-amz-server-side-encryption":"AES256"}}"#,
            // A window that ends, a missing source, another account's pattern.
            r#"{"DateLessThan":{"aws:CurrentTime":"2026-05-02T03:00:00Z"}}"#,
            r#"{"Null":{"aws:SourceArn":"true"}}"#,
            r#"{"StringLike":{"aws:SourceAccount":"9999*"}}"#,
            r#"{"StringEquals":{"aws:SourceAccount":"1111*"}}"#,
        ] {
            let policy = put(BUCKET, &[ACL_CHECK, WRITE, &deny(spares)]);
            assert!(!fires(&CloudTrailBucketPolicyRemoved, &record(S3, "PutBucketPolicy", ROLE, &policy, "")), "{spares}");
        }
    }

    /// From a second evasion review: the trail's bucket deleted.
    #[test]
    fn a_trail_bucket_deleted_fires() {
        let delete = record(S3, "DeleteBucket", ROLE, &format!(r#"{{"bucketName":"{BUCKET}","Host":"{BUCKET}.s3.us-east-1.amazonaws.com"}}"#), "");
        assert!(fires(&CloudTrailBucketPolicyRemoved, &delete));
        let other = delete.replace(BUCKET, "build-artifacts-111122223333");
        assert!(!fires(&CloudTrailBucketPolicyRemoved, &other));
        // The log archive buckets of Control Tower and the Landing Zone
        // Accelerator hold organisation trails (from a review); their access-log
        // buckets do not.
        for (bucket, fired) in [
            ("aws-controltower-logs-444455556666-us-east-1", true),
            ("aws-accelerator-central-logs-444455556666-us-east-1", true),
            ("aws-controltower-s3-access-logs-444455556666-us-east-1", false),
        ] {
            let json = delete.replace(BUCKET, bucket);
            assert_eq!(fires(&CloudTrailBucketPolicyRemoved, &json), fired, "{bucket}");
        }
        let not_empty = failed(S3, "DeleteBucket", ROLE, &format!(r#"{{"bucketName":"{BUCKET}"}}"#), "BucketNotEmpty");
        assert!(!fires(&CloudTrailBucketPolicyRemoved, &not_empty));
    }

    #[test]
    fn wildcard_and_listed_resources_keep_the_grant() {
        for resource in [
            r#""*""#,
            r#""arn:aws:s3:::*""#,
            r#""arn:aws:s3:::aws-cloudtrail-logs-*/*""#,
            r#""arn:aws:s3:::aws-cloudtrail-logs-111122223333-????????/AWSLogs/*""#,
            r#"["arn:aws:s3:::some-other-bucket/*","arn:aws:s3:::aws-cloudtrail-logs-111122223333-0a1b2c3d/AWSLogs/*"]"#,
        ] {
            let write = format!(r#"{{"Effect":"Allow","Principal":{{"Service":"cloudtrail.amazonaws.com"}},"Action":"s3:PutObject","Resource":{resource}}}"#);
            assert!(!fires(&CloudTrailBucketPolicyRemoved, &record(S3, "PutBucketPolicy", ROLE, &put(BUCKET, &[ACL_CHECK, &write]), "")), "{resource}");
        }
    }

    #[test]
    fn a_policy_keeping_the_grant_other_buckets_services_and_failures_do_not() {
        assert!(!fires(&CloudTrailBucketPolicyRemoved, &record(S3, "PutBucketPolicy", ROLE, &put(BUCKET, &[ACL_CHECK, WRITE]), "")));
        let tls_only = r#"{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}"#;
        assert!(!fires(&CloudTrailBucketPolicyRemoved, &record(S3, "PutBucketPolicy", ROLE, &put(BUCKET, &[ACL_CHECK, WRITE, tls_only]), "")));
        let sse = r#"{"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"*","Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption":"aws:kms"}}}"#;
        assert!(!fires(&CloudTrailBucketPolicyRemoved, &record(S3, "PutBucketPolicy", ROLE, &put(BUCKET, &[ACL_CHECK, WRITE, sse]), "")));
        let spares_trail = r#"{"Effect":"Deny","NotPrincipal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"*"}"#;
        assert!(!fires(&CloudTrailBucketPolicyRemoved, &record(S3, "PutBucketPolicy", ROLE, &put(BUCKET, &[ACL_CHECK, WRITE, spares_trail]), "")));
        let deleted = |b: &str| format!(r#"{{"bucketName":"{b}"}}"#);
        assert!(!fires(&CloudTrailBucketPolicyRemoved, &record(S3, "DeleteBucketPolicy", ROLE, &deleted("orders-archive"), "")));
        assert!(!fires(&CloudTrailBucketPolicyRemoved, &record(S3, "DeleteBucketPolicy", SERVICE, &deleted(BUCKET), "")));
        assert!(!fires(&CloudTrailBucketPolicyRemoved, &failed(S3, "DeleteBucketPolicy", ROLE, &deleted(BUCKET), "AccessDenied")));
        assert!(!fires(&CloudTrailBucketPolicyRemoved, &record(S3, "GetBucketPolicy", ROLE, &deleted(BUCKET), "")));
    }

    /// From an evasion review: the trail's key policy rewritten so that CloudTrail
    /// cannot encrypt, delivery failing while the trail reports logging.
    #[test]
    fn a_trail_key_policy_without_cloudtrails_data_keys_fires() {
        use crate::detections::common::calls::call;
        const ROOT: &str = r#"{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}"#;
        const ENCRYPT: &str = r#"{"Sid":"Allow CloudTrail to encrypt logs","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"kms:GenerateDataKey*","Resource":"*","Condition":{"StringEquals":{"aws:SourceArn":"arn:aws:cloudtrail:us-east-1:111122223333:trail/main"},"StringLike":{"kms:EncryptionContext:aws:cloudtrail:arn":"arn:aws:cloudtrail:*:111122223333:trail/*"}}}"#;
        const DESCRIBE: &str = r#"{"Sid":"Allow CloudTrail to describe key","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"kms:DescribeKey","Resource":"*"}"#;
        const DECRYPT: &str = r#"{"Sid":"Allow principals in the account to decrypt log files","Effect":"Allow","Principal":{"AWS":"*"},"Action":["kms:Decrypt","kms:ReEncryptFrom"],"Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"111122223333"},"StringLike":{"kms:EncryptionContext:aws:cloudtrail:arn":"arn:aws:cloudtrail:*:111122223333:trail/*"}}}"#;
        const DENY_CT: &str = r#"{"Effect":"Deny","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"kms:GenerateDataKey*","Resource":"*"}"#;
        let put = |statements: &[&str]| {
            let policy = format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, statements.join(","));
            call(
                KMS,
                PUT_KEY_POLICY,
                &format!(
                    r#"{{"keyId":"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab","policyName":"default","policy":{},"bypassPolicyLockoutSafetyCheck":false}}"#,
                    serde_json::to_string(&policy).unwrap()
                ),
            )
        };
        let det = &CloudTrailBucketPolicyRemoved;
        assert!(!fires(det, &put(&[ROOT, ENCRYPT, DESCRIBE, DECRYPT])), "the console's trail key policy");
        for locked in [
            put(&[ROOT, DESCRIBE, DECRYPT]),
            put(&[ROOT, DECRYPT]),
            put(&[ROOT, ENCRYPT, DESCRIBE, DECRYPT, DENY_CT]),
        ] {
            assert!(fires(det, &locked), "{locked}");
        }
        // No trace of CloudTrail, or another key: not judged.
        assert!(!fires(det, &put(&[ROOT])));
        // A deny whose conditions CloudTrail's own deliveries meet still blocks it
        // (from a review): an empty block, the trail's encryption context, the
        // account's own source.
        for blocking in [
            r#""Condition":{}"#,
            r#""Condition":{"StringLike":{"kms:EncryptionContext:aws:cloudtrail:arn":"*"}}"#,
            r#""Condition":{"StringEquals":{"aws:SourceAccount":"111122223333"}}"#,
        ] {
            let deny = DENY_CT.replace(r#""Resource":"*""#, &format!(r#""Resource":"*",{blocking}"#));
            assert!(fires(det, &put(&[ROOT, ENCRYPT, DESCRIBE, &deny])), "{blocking}");
        }
        // A deny under a condition they need not meet is not judged; a refusal
        // changes nothing.
        let conditioned = DENY_CT.replace(r#""Resource":"*""#, r#""Resource":"*","Condition":{"Bool":{"aws:ViaAWSService":"false"}}"#);
        assert!(!fires(det, &put(&[ROOT, ENCRYPT, DESCRIBE, &conditioned])));
        let refused = crate::detections::common::calls::failed(&put(&[ROOT, DECRYPT]), "AccessDeniedException");
        assert!(!fires(det, &refused));
    }
}
