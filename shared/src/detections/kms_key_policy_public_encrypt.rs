//! A KMS key policy that lets everyone encrypt with the key (`CreateKey`,
//! `ReplicateKey` or `PutKeyPolicy` whose policy has an `Allow` statement for the
//! principal `*` or `{"AWS": "*"}` covering an action that encrypts with the key:
//! `kms:Encrypt`, `kms:GenerateDataKey` and its variants, `kms:ReEncryptTo`, without
//! a `Condition` that fences in the callers), successfully. The data-key actions
//! matter most: S3 and EBS encrypt with data keys, so they are what a ransomware copy
//! under a foreign key needs.
//!
//! Decisions: AWS-managed and many customer keys use `{"AWS": "*"}` fenced by
//! conditions such as `kms:CallerAccount` (with `kms:ViaService`, which alone fences
//! nothing: a service serves callers of every account); a statement so fenced is
//! not counted, while one whose condition any caller can meet (an empty block,
//! `aws:SecureTransport`, `kms:ViaService` alone, a wildcard value, an `...IfExists`
//! operator) is (`common::condition_restricts`).
//! "Covering" is IAM's reading: wildcards anywhere in an action (`kms:*crypt`), and
//! an `Allow` with `NotAction` that does not list `kms:Encrypt`. A replica key
//! (`ReplicateKey`) takes the policy given with the call, so it counts like a new
//! key. Splunk's title mentions MFA, but its logic does not test it, and neither do
//! we.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    policy_document, policy_exposure, statement_covers_action, succeeded_call,
};
use crate::event::Record;

pub struct KmsKeyPolicyPublicEncrypt;

const NAMES: &[&str] = &["CreateKey", "PutKeyPolicy", "ReplicateKey"];

pub static META: Meta = Meta {
    id: "kms-key-policy-public-encrypt",
    title: "AWS KMS Key Policy Lets Anyone Encrypt",
    description: "A KMS key was created or its policy changed so that any AWS principal, in any \
                  account, may encrypt with it. Ransomware operators use such keys to encrypt a \
                  victim's data with a key they alone control.",
    severity: Severity::High,
    attack: &["T1486"],
    origins: &["Splunk ESCU detections/cloud/aws_detect_users_creating_keys_with_encrypt_policy_without_mfa.yml"],
    group: "data-exposure",
    false_positives: &["Rare: keys deliberately shared with the public for encryption-only use."],
    next_steps: "Read the key policy. If the open statement was not intended, restore a policy \
                 limited to the account, check which principals used the key since (KMS events \
                 `Encrypt`, `GenerateDataKey`), and review the caller.",
    evidence: "key_id other_accounts other_organizations public replica_region",
    triggers: &[Trigger::write("kms.amazonaws.com", NAMES)],
    window: None,
};

/// The actions that let a caller encrypt with the key, directly or by giving itself
/// the right (a grant, or a policy of its own writing).
const ENCRYPTING_ACTIONS: [&str; 8] = [
    "kms:CreateGrant",
    "kms:PutKeyPolicy",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:GenerateDataKeyPair",
    "kms:GenerateDataKeyPairWithoutPlaintext",
    "kms:ReEncryptTo",
];

impl Detection for KmsKeyPolicyPublicEncrypt {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, "kms.amazonaws.com", NAMES) {
            return None;
        }
        let doc = rec.request_param("policy").and_then(policy_document)?;
        let exposure = policy_exposure(&doc, rec.account_id(), |st| {
            ENCRYPTING_ACTIONS
                .iter()
                .any(|action| statement_covers_action(st, action))
        });
        if !exposure.public {
            return None;
        }
        let key = rec.request_param_str("keyId").or_else(|| {
            rec.response_element("keyMetadata")?
                .get("keyId")?
                .as_str()
        });
        fire(exposure.exposure_evidence(
            Evidence::new()
                .with_opt("key_id", key)
                .with_opt("replica_region", rec.request_param_str("replicaRegion")),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, USER, failed, record};
    use crate::detections::common::testing::fires;

    fn put(statement: &str) -> String {
        let text = format!(r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"root","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::111122223333:root"}},"Action":"kms:*","Resource":"*"}},{statement}]}}"#);
        format!(r#"{{"keyId":"1234abcd-12ab-34cd-56ef-1234567890ab","policyName":"default","policy":{}}}"#, serde_json::to_string(&text).unwrap())
    }

    #[test]
    fn fires_on_public_encrypt() {
        for statement in [
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":["kms:Encrypt","kms:GenerateDataKey*"],"Resource":"*"}"#,
            r#"{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}"#,
            r#"{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":"kms:Enc*","Resource":"*"}"#,
        ] {
            assert!(fires(&KmsKeyPolicyPublicEncrypt, &record("kms.amazonaws.com", "PutKeyPolicy", ROLE, &put(statement), "")), "{statement}");
        }
        let create = put(r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Encrypt","Resource":"*"}"#).replace(r#""keyId":"1234abcd-12ab-34cd-56ef-1234567890ab","policyName":"default","#, r#""keySpec":"SYMMETRIC_DEFAULT","#);
        assert!(fires(&KmsKeyPolicyPublicEncrypt, &record("kms.amazonaws.com", "CreateKey", USER, &create, "")));
    }

    #[test]
    fn iam_wildcards_not_action_and_replicas_count() {
        for statement in [
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:*crypt","Resource":"*"}"#,
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":["kms:Encr?pt"],"Resource":"*"}"#,
            r#"{"Effect":"Allow","Principal":"*","NotAction":["kms:ScheduleKeyDeletion","kms:PutKeyPolicy"],"Resource":"*"}"#,
            // Data keys alone are enough to encrypt S3 objects and EBS volumes.
            r#"{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":"kms:GenerateDataKey*","Resource":"*"}"#,
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:GenerateDataKeyWithoutPlaintext","Resource":"*"}"#,
            r#"{"Effect":"Allow","Principal":"*","Action":"kms:Re*","Resource":"*"}"#,
            // Anyone may give itself the right: a grant, or a policy of its own.
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:CreateGrant","Resource":"*"}"#,
            r#"{"Effect":"Allow","Principal":"*","Action":"kms:PutKeyPolicy","Resource":"*"}"#,
            // `kms:ViaService` alone: the service serves callers of every account.
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Encrypt","Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}}"#,
        ] {
            assert!(fires(&KmsKeyPolicyPublicEncrypt, &record("kms.amazonaws.com", "PutKeyPolicy", ROLE, &put(statement), "")), "{statement}");
        }
        let replica = put(r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Encrypt","Resource":"*"}"#)
            .replace(r#""policyName":"default","#, r#""replicaRegion":"eu-west-1","#);
        match crate::detections::common::testing::eval(&KmsKeyPolicyPublicEncrypt, &record("kms.amazonaws.com", "ReplicateKey", ROLE, &replica, "")) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("replica_region").and_then(|v| v.as_str()), Some("eu-west-1")),
            other => panic!("expected a finding, got {other:?}"),
        }
        let not_encrypt = put(r#"{"Effect":"Allow","Principal":"*","NotAction":"kms:*","Resource":"*"}"#);
        assert!(!fires(&KmsKeyPolicyPublicEncrypt, &record("kms.amazonaws.com", "PutKeyPolicy", ROLE, &not_encrypt, "")));
        let describe = put(r#"{"Effect":"Allow","Principal":"*","Action":["kms:DescribeKey","kms:GetPublicKey"],"Resource":"*"}"#);
        assert!(!fires(&KmsKeyPolicyPublicEncrypt, &record("kms.amazonaws.com", "PutKeyPolicy", ROLE, &describe, "")));
        assert!(!fires(&KmsKeyPolicyPublicEncrypt, &record("kms.amazonaws.com", "PutKeyPolicy", ROLE, &not_encrypt, "")));
    }

    #[test]
    fn near_misses() {
        for statement in [
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*"}"#,
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":["kms:Encrypt"],"Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"111122223333","kms:ViaService":"s3.us-east-1.amazonaws.com"}}}"#,
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"kms:Encrypt","Resource":"*"}"#,
            r#"{"Effect":"Deny","Principal":"*","Action":"kms:Encrypt","Resource":"*"}"#,
        ] {
            assert!(!fires(&KmsKeyPolicyPublicEncrypt, &record("kms.amazonaws.com", "PutKeyPolicy", ROLE, &put(statement), "")), "{statement}");
        }
        let open = put(r#"{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}"#);
        assert!(!fires(&KmsKeyPolicyPublicEncrypt, &failed("kms.amazonaws.com", "PutKeyPolicy", ROLE, &open, "MalformedPolicyDocumentException")));
        for params in ["null", r#"{"keySpec":"SYMMETRIC_DEFAULT"}"#, r#"{"policy":"{not json"}"#] {
            assert!(!fires(&KmsKeyPolicyPublicEncrypt, &record("kms.amazonaws.com", "CreateKey", ROLE, params, "")), "{params}");
        }
    }
}
