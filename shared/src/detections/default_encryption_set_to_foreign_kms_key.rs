//! A default encryption key pointed at a KMS key that another account owns,
//! successfully: an S3 bucket's default encryption (`PutBucketEncryption` naming a
//! `KMSMasterKeyID`) or the Region's EBS encryption-by-default key
//! (`ModifyEbsDefaultKmsKeyId`).
//!
//! Decisions: the ransomware set-up that needs no copy at all. From the change on,
//! every new object in the bucket, or every new volume and snapshot in the Region, is
//! encrypted under a key the attacker's account controls; disabling that key later
//! makes the data unreadable. A key named by a bare id or an alias is in the caller's
//! own account, so only a key ARN can name another account (`foreign_key_account`,
//! as the copy detections judge it). The key is looked for under its name at any
//! depth of the request (a bucket's rules are a list, and EC2 may wrap its
//! parameters in a request object). Changes AWS services make on their own are left
//! out; a CloudFormation stack's change counts, as the person's own.
//!
//! From a third evasion review: a Secrets Manager secret put under another
//! account's key (`UpdateSecret`, or `CreateSecret`, naming a `kmsKeyId` ARN):
//! every version of it is re-encrypted under that key, whose owner can then
//! read it or make it unreadable, the same lever over a secret.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_caller_but_stack, foreign_key_account, succeeded_call, texts_at_key};
use crate::event::Record;

pub struct DefaultEncryptionSetToForeignKmsKey;

const S3: &str = "s3.amazonaws.com";
/// Directory buckets (S3 Express One Zone) are managed under their own source;
/// one keeps its customer managed key for its whole life.
const S3_EXPRESS: &str = "s3express.amazonaws.com";
const EC2: &str = "ec2.amazonaws.com";
const S3_CALLS: &[&str] = &["PutBucketEncryption"];
const EC2_CALLS: &[&str] = &["ModifyEbsDefaultKmsKeyId"];
const SECRETS: &str = "secretsmanager.amazonaws.com";
const SECRETS_CALLS: &[&str] = &["CreateSecret", "UpdateSecret"];

pub static META: Meta = Meta {
    id: "default-encryption-set-to-foreign-kms-key",
    title: "AWS Default Encryption Set to Another Account's KMS Key",
    description: "An S3 bucket's default encryption, the Region's default key for EBS \
                  volumes, or a Secrets Manager secret now names a KMS key that belongs to \
                  another AWS account. Whatever \
                  is written from then on is encrypted under a key its owner does not \
                  control: the other account can read it, or disable the key and hold the \
                  data for ransom.",
    severity: Severity::High,
    attack: &["T1486", "T1537"],
    origins: &[
        "trailwatch: from a red-team gap hunt (bucket default encryption and the EBS default \
         key switched to an attacker's KMS key, the ransomware path that needs no copy)",
    ],
    group: "data-exposure",
    false_positives: &[
        "Organisations that keep their KMS keys in a central security account: tune by that \
         account's keys.",
    ],
    next_steps: "Identify the account that owns the key. If it is not the organisation's, put \
                 the previous default key back, re-encrypt what was written since under an \
                 own key, and revoke the caller's credentials.",
    evidence: "api kms_key kms_key_account target",
    triggers: &[
        Trigger::write(S3, S3_CALLS),
        Trigger::write(S3_EXPRESS, S3_CALLS),
        Trigger::write(EC2, EC2_CALLS),
        Trigger::write(SECRETS, SECRETS_CALLS),
    ],
    window: None,
};

impl Detection for DefaultEncryptionSetToForeignKmsKey {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        let bucket = succeeded_call(rec, S3, S3_CALLS) || succeeded_call(rec, S3_EXPRESS, S3_CALLS);
        let secret = succeeded_call(rec, SECRETS, SECRETS_CALLS);
        if !(bucket || secret || succeeded_call(rec, EC2, EC2_CALLS)) || aws_service_caller_but_stack(rec) {
            return None;
        }
        let params = rec.request_parameters()?;
        let key_name = if bucket { "KMSMasterKeyID" } else { "kmsKeyId" };
        let (key, key_account) = texts_at_key(params, key_name)
            .into_iter()
            .map(str::trim)
            .find_map(|key| Some((key, foreign_key_account(rec, key)?)))?;
        let target = if bucket {
            rec.request_param_str("bucketName")
        } else if secret {
            rec.request_param_str("secretId").or_else(|| rec.request_param_str("name"))
        } else {
            Some("EBS encryption by default")
        };
        fire(
            Evidence::new()
                .with("api", rec.event_name())
                .with_opt("target", target)
                .with("kms_key", key)
                .with("kms_key_account", key_account),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, USER, failed, record};
    use crate::detections::common::testing::{eval, fires};

    const FOREIGN: &str = "arn:aws:kms:us-east-1:444455556666:key/0f1e2d3c-4b5a-4697-8877-665544332211";
    const OWN: &str = "arn:aws:kms:us-east-1:111122223333:key/0f1e2d3c-4b5a-4697-8877-665544332211";

    fn bucket(key: &str) -> String {
        format!(
            r#"{{"bucketName":"orders-archive","Host":"orders-archive.s3.us-east-1.amazonaws.com","encryption":[""],
            "ServerSideEncryptionConfiguration":{{"xmlns":"http://s3.amazonaws.com/doc/2006-03-01/",
            "Rule":{{"ApplyServerSideEncryptionByDefault":{{"SSEAlgorithm":"aws:kms","KMSMasterKeyID":"{key}"}},"BucketKeyEnabled":true}}}}}}"#
        )
    }

    /// From a third evasion review: a secret put under another account's key.
    #[test]
    fn a_secret_under_a_foreign_key_fires() {
        let update = |key: &str| record(SECRETS, "UpdateSecret", ROLE, &format!(r#"{{"secretId":"prod/db","kmsKeyId":"{key}"}}"#), "");
        match eval(&DefaultEncryptionSetToForeignKmsKey, &update(FOREIGN)) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("target").and_then(|v| v.as_str()), Some("prod/db")),
            other => panic!("expected a finding, got {other:?}"),
        }
        let create = record(SECRETS, "CreateSecret", ROLE, &format!(r#"{{"name":"prod/api","kmsKeyId":"{FOREIGN}"}}"#), "");
        assert!(fires(&DefaultEncryptionSetToForeignKmsKey, &create));
        for key in [OWN, "alias/secrets", "0f1e2d3c-4b5a-4697-8877-665544332211"] {
            assert!(!fires(&DefaultEncryptionSetToForeignKmsKey, &update(key)), "{key}");
        }
        let value_only = record(SECRETS, "UpdateSecret", ROLE, r#"{"secretId":"prod/db","secretString":"HIDDEN_DUE_TO_SECURITY_REASONS"}"#, "");
        assert!(!fires(&DefaultEncryptionSetToForeignKmsKey, &value_only));
    }

    #[test]
    fn a_bucket_or_the_ebs_default_under_a_foreign_key_fires() {
        match eval(&DefaultEncryptionSetToForeignKmsKey, &record(S3, "PutBucketEncryption", ROLE, &bucket(FOREIGN), "")) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("kms_key_account").and_then(|v| v.as_str()), Some("444455556666"));
                assert_eq!(e.get("target").and_then(|v| v.as_str()), Some("orders-archive"));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        // Rules as a list, the second one foreign.
        let rules = format!(
            r#"{{"bucketName":"b","ServerSideEncryptionConfiguration":{{"Rule":[
            {{"ApplyServerSideEncryptionByDefault":{{"SSEAlgorithm":"aws:kms","KMSMasterKeyID":"{OWN}"}}}},
            {{"ApplyServerSideEncryptionByDefault":{{"SSEAlgorithm":"aws:kms","KMSMasterKeyID":"{FOREIGN}"}}}}]}}}}"#
        );
        assert!(fires(&DefaultEncryptionSetToForeignKmsKey, &record(S3, "PutBucketEncryption", USER, &rules, "")));
        // A directory bucket (S3 Express One Zone), under its own source (from
        // a review of newer shapes: it was not watched).
        let directory = bucket(FOREIGN).replace("orders-archive", "orders--use1-az4--x-s3");
        assert!(fires(&DefaultEncryptionSetToForeignKmsKey, &record(S3_EXPRESS, "PutBucketEncryption", ROLE, &directory, "")));
        for params in [
            format!(r#"{{"ModifyEbsDefaultKmsKeyIdRequest":{{"KmsKeyId":"{FOREIGN}"}}}}"#),
            format!(r#"{{"kmsKeyId":"{FOREIGN}"}}"#),
        ] {
            assert!(fires(&DefaultEncryptionSetToForeignKmsKey, &record(EC2, "ModifyEbsDefaultKmsKeyId", ROLE, &params, "")), "{params}");
        }
    }

    #[test]
    fn own_keys_s3_keys_services_failures_and_other_calls_do_not() {
        for key in [OWN, "0f1e2d3c-4b5a-4697-8877-665544332211", "alias/archive", " "] {
            assert!(!fires(&DefaultEncryptionSetToForeignKmsKey, &record(S3, "PutBucketEncryption", ROLE, &bucket(key), "")), "{key}");
        }
        let sse_s3 = r#"{"bucketName":"b","ServerSideEncryptionConfiguration":{"Rule":{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}}}"#;
        assert!(!fires(&DefaultEncryptionSetToForeignKmsKey, &record(S3, "PutBucketEncryption", ROLE, sse_s3, "")));
        assert!(!fires(&DefaultEncryptionSetToForeignKmsKey, &record(S3, "PutBucketEncryption", SERVICE, &bucket(FOREIGN), "")));
        assert!(!fires(&DefaultEncryptionSetToForeignKmsKey, &failed(S3, "PutBucketEncryption", ROLE, &bucket(FOREIGN), "AccessDenied")));
        let ebs = format!(r#"{{"kmsKeyId":"{FOREIGN}"}}"#);
        assert!(!fires(&DefaultEncryptionSetToForeignKmsKey, &record(EC2, "ResetEbsDefaultKmsKeyId", ROLE, &ebs, "")));
        assert!(!fires(&DefaultEncryptionSetToForeignKmsKey, &record(S3, "ModifyEbsDefaultKmsKeyId", ROLE, &ebs, "")));
        // The EBS call names its key `KmsKeyId`, not S3's `KMSMasterKeyID`.
        let wrong_key = format!(r#"{{"KMSMasterKeyID":"{FOREIGN}"}}"#);
        assert!(!fires(&DefaultEncryptionSetToForeignKmsKey, &record(EC2, "ModifyEbsDefaultKmsKeyId", ROLE, &wrong_key, "")));
        assert!(!fires(&DefaultEncryptionSetToForeignKmsKey, &record(EC2, "ModifyEbsDefaultKmsKeyId", ROLE, r#"{}"#, "")));
    }
}
