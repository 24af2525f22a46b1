//! An S3 bucket policy that grants access to everyone or to another account
//! (`PutBucketPolicy`), successfully.
//!
//! Decisions: CloudTrail records the new policy as an object in
//! `requestParameters.bucketPolicy` (some exports: JSON text). It fires when an
//! `Allow` statement names the principal `*` without a `Condition` that fences in
//! the callers (keys such as `aws:PrincipalOrgID` or `aws:SourceVpc` with a concrete
//! value do; `aws:SecureTransport`, a wildcard value, a negated operator or an empty
//! block do not: `common::condition_restricts`), or names an
//! AWS account other than the event's own. Service principals
//! (`cloudtrail.amazonaws.com` writing logs) do not count. Neither do `CanonicalUser`
//! principals: a canonical id cannot be told apart from the event's own account in
//! the record, and most such grants are CloudFront origin access identities (a
//! grant to another account through one is therefore not seen).

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{policy_document, policy_exposure, succeeded_call};
use crate::event::Record;

pub struct S3BucketPolicyExternalAccess;

pub static META: Meta = Meta {
    id: "s3-bucket-policy-external-access",
    title: "AWS S3 Bucket Policy Grants Public or Cross-Account Access",
    description: "A bucket policy was set that lets everyone, or an AWS account outside this \
                  one, use the bucket. A backdoored bucket policy gives an attacker lasting \
                  read access to the data from their own account, without any credential of \
                  this one.",
    severity: Severity::High,
    attack: &["T1537", "T1530"],
    origins: &["trailwatch: based on Stratus Red Team aws.exfiltration.s3-backdoor-bucket-policy \
                (PutBucketPolicy)"],
    group: "data-exposure",
    false_positives: &[
        "Buckets meant for public websites or downloads.",
        "Buckets shared on purpose with the organisation's other accounts (log archive, data \
         lake); suppress the known accounts.",
    ],
    next_steps: "Read the statement that opened the bucket and check the receiving account. If it \
                 is not expected, restore the previous policy, turn on Block Public Access, check \
                 the bucket's access logs for reads from that account and review the caller.",
    triggers: &[Trigger::write("s3.amazonaws.com", &["PutBucketPolicy"])],
    window: None,
};

impl Detection for S3BucketPolicyExternalAccess {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, "s3.amazonaws.com", &["PutBucketPolicy"])
        {
            return None;
        }
        let doc = rec
            .request_param("bucketPolicy")
            .or_else(|| rec.request_param("policy"))
            .and_then(policy_document)?;
        let exposure = policy_exposure(&doc, rec.account_id(), |_| true);
        if !exposure.exposed() {
            return None;
        }
        let e = Evidence::new().with_opt("bucket", rec.request_param_str("bucketName"));
        fire(exposure.evidence(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, failed, record};
    use crate::detections::common::testing::{eval, fires};
    use serde_json::json;

    fn put(statement: &str) -> String {
        format!(
            r#"{{"bucketName":"finance-exports","bucketPolicy":{{"Version":"2012-10-17","Statement":{statement}}},"Host":"finance-exports.s3.amazonaws.com","policy":""}}"#
        )
    }

    #[test]
    fn fires_on_another_account() {
        let rec = record("s3.amazonaws.com", "PutBucketPolicy", ROLE, &put(
            r#"[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":["s3:GetObject","s3:ListBucket"],"Resource":"*"}]"#), "");
        match eval(&S3BucketPolicyExternalAccess, &rec) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("other_accounts"), Some(&json!(["444455556666"])));
                assert_eq!(e.get("bucket"), Some(&json!("finance-exports")));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn fires_on_public_statement_and_on_policy_text() {
        for statement in [
            r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}"#,
            r#"[{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":"s3:*","Resource":"*"}]"#,
        ] {
            let rec = record("s3.amazonaws.com", "PutBucketPolicy", ROLE, &put(statement), "");
            assert!(fires(&S3BucketPolicyExternalAccess, &rec), "{statement}");
        }
        let text = record("s3.amazonaws.com", "PutBucketPolicy", ROLE,
            r#"{"bucketName":"b","bucketPolicy":"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\"}]}"}"#, "");
        assert!(fires(&S3BucketPolicyExternalAccess, &text));
    }

    #[test]
    fn a_condition_any_caller_can_meet_does_not_fence_a_public_grant() {
        for condition in [
            r#"{"Bool":{"aws:SecureTransport":"true"}}"#,
            r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:*"}}"#,
            r#"{"IpAddress":{"aws:SourceIp":["0.0.0.0/0"]}}"#,
            r#"{"StringNotEquals":{"aws:PrincipalAccount":"444455556666"}}"#,
            r#"{"StringEquals":{"aws:PrincipalTag/team":"data"}}"#,
            r#"{"StringLike":{"aws:Referer":"https://example.com/*"}}"#,
        ] {
            let statement = format!(r#"[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{condition}}}]"#);
            let rec = record("s3.amazonaws.com", "PutBucketPolicy", ROLE, &put(&statement), "");
            assert!(fires(&S3BucketPolicyExternalAccess, &rec), "{condition}");
        }
        for condition in [
            r#"{"StringEquals":{"aws:SourceVpce":"vpce-0a1b2c3d"}}"#,
            r#"{"IpAddress":{"aws:SourceIp":["203.0.113.0/24"]}}"#,
            r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/*"}}"#,
            r#"{"StringEquals":{"aws:PrincipalOrgID":["o-exampleorg"]},"Bool":{"aws:SecureTransport":"true"}}"#,
        ] {
            let statement = format!(r#"[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{condition}}}]"#);
            let rec = record("s3.amazonaws.com", "PutBucketPolicy", ROLE, &put(&statement), "");
            assert!(!fires(&S3BucketPolicyExternalAccess, &rec), "{condition}");
        }
    }

    #[test]
    fn near_misses() {
        for statement in [
            r#"[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/Reader"},"Action":"s3:GetObject"}]"#,
            r#"[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject"}]"#,
            r#"[{"Effect":"Deny","Principal":"*","Action":"s3:*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]"#,
            r#"[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-exampleorg"}}}]"#,
            r#""not a list""#,
        ] {
            let rec = record("s3.amazonaws.com", "PutBucketPolicy", ROLE, &put(statement), "");
            assert!(!fires(&S3BucketPolicyExternalAccess, &rec), "{statement}");
        }
        for params in ["null", "{}", r#"{"bucketPolicy":"invalid-json-policy"}"#] {
            let rec = record("s3.amazonaws.com", "PutBucketPolicy", ROLE, params, "");
            assert!(!fires(&S3BucketPolicyExternalAccess, &rec), "{params}");
        }
        let denied = failed("s3.amazonaws.com", "PutBucketPolicy", ROLE,
            &put(r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}"#), "AccessDenied");
        assert!(!fires(&S3BucketPolicyExternalAccess, &denied));
    }
}
