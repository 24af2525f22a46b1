//! An S3 bucket or object ACL that grants access to another AWS account
//! (`PutBucketAcl`, or the data event `PutObjectAcl`), successfully: a grant in the
//! ACL document to a canonical user other than the document's owner, or to an
//! account by its e-mail address.
//!
//! Decisions: an ACL names accounts by canonical user id, which says nothing about
//! the account by itself; the document (`AccessControlPolicy`) also names its
//! `Owner`, so a grantee id that differs from the owner's is another account. The
//! `awslogsdelivery` account that CloudFront's standard logs write through is left
//! out (its documented canonical ids, one for the China Regions' partition, from a
//! review): every CloudFront log bucket grants it. Grants
//! given as `x-amz-grant-*` headers or a canned ACL carry no owner to compare with
//! and are not judged here (`s3-acl-grants-public-access` judges their public
//! groups), except an `emailAddress=` grantee, which always names an account. Public groups in the document are that detection's too. Buckets created
//! since April 2023 refuse ACLs unless their owner turned them back on.

use serde_json::Value;

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_among, one_or_many, succeeded_call};
use crate::detections::s3_acl_grants_public_access::{grant_header_permission, texts};
use crate::event::Record;

pub struct S3AclGrantsAnotherAccount;

/// The canonical users of `awslogsdelivery`, which writes CloudFront standard logs
/// (CloudFront's developer guide, standard logging): the `aws` partition's, then the
/// China Regions' (`aws-cn`).
const CLOUDFRONT_LOG_DELIVERY: [&str; 2] = [
    "c4c1ede66af53448b93c283ce9448c4ba468c9432aa01d700d3878632f77d2d0",
    "a52cb28745c0c06e84ec548334e44bfa7fc2a85c54af20cd59e4969344b7af56",
];

pub static META: Meta = Meta {
    id: "s3-acl-grants-another-account",
    title: "AWS S3 ACL Grants Access to Another Account",
    description: "An access control list was set on a bucket or an object that grants another \
                  AWS account (named by canonical user id or e-mail address) access to it. The \
                  other account can then read, write or change the permissions of the data \
                  with its own credentials, which an intruder uses to copy data out without \
                  any credentials of this account.",
    severity: Severity::Medium,
    attack: &["T1537", "T1530"],
    origins: &[
        "trailwatch: from a red-team gap hunt (S3 ACLs naming another account, where \
         s3-acl-grants-public-access judges only the public groups)",
    ],
    group: "data-exposure",
    false_positives: &[
        "Buckets shared with a partner or another account of the organisation through ACLs \
         on purpose: tune by the bucket.",
        "Log buckets written by services that deliver through an ACL grant other than \
         CloudFront's.",
    ],
    next_steps: "Find the account behind the canonical id (the receiving party can tell you, or \
                 look it up among your organisation's accounts). If it is unknown, set the ACL \
                 back to the owner alone, consider disabling ACLs (bucket owner enforced), and \
                 review access to the bucket since the change.",
    evidence: "bucket grants key",
    triggers: &[
        Trigger::write("s3.amazonaws.com", &["PutBucketAcl"]),
        Trigger::data("s3.amazonaws.com", &["PutObjectAcl"]),
    ],
    window: None,
};

/// The grantees of the ACL document that are neither its owner nor CloudFront's
/// log delivery, each with the permission granted.
fn other_grantees(policy: &Value) -> Vec<(String, String)> {
    let owner = policy
        .get("Owner")
        .and_then(|o| o.get("ID"))
        .and_then(Value::as_str)
        .map(str::trim);
    let grants = policy.get("AccessControlList").and_then(|l| l.get("Grant"));
    let mut out = Vec::new();
    for grant in one_or_many(grants) {
        let Some(grantee) = grant.get("Grantee") else {
            continue;
        };
        let permission = grant.get("Permission").and_then(Value::as_str).unwrap_or("").trim();
        let id = grantee.get("ID").and_then(Value::as_str).map(str::trim).filter(|i| !i.is_empty());
        let email = grantee.get("EmailAddress").and_then(Value::as_str).map(str::trim).filter(|e| !e.is_empty());
        let who = match (id, email) {
            // Without the owner there is nothing to compare an id with.
            (Some(id), _) if owner.is_some_and(|o| !o.eq_ignore_ascii_case(id)) => {
                if CLOUDFRONT_LOG_DELIVERY.iter().any(|c| id.eq_ignore_ascii_case(c)) {
                    continue;
                }
                id.to_owned()
            }
            (None, Some(email)) => email.to_owned(),
            _ => continue,
        };
        if !out.iter().any(|(w, p)| *w == who && p == permission) {
            out.push((who, permission.to_owned()));
        }
    }
    out
}

/// The e-mail grantees of `x-amz-grant-*` headers (`emailAddress="..."`): an
/// e-mail always names an account, whatever the owner, so they are judged even
/// though an id in a header is not.
fn email_header_grants(params: &serde_json::Map<String, Value>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (key, value) in params {
        let Some(permission) = grant_header_permission(key) else {
            continue;
        };
        for text in texts(Some(value)) {
            for part in text.split(',') {
                let part = part.trim();
                let Some((kind, who)) = part.split_once('=') else {
                    continue;
                };
                let who = who.trim().trim_matches('"').trim();
                if kind.trim().eq_ignore_ascii_case("emailAddress") && !who.is_empty() {
                    out.push((who.to_owned(), permission.to_ascii_uppercase().replace('-', "_")));
                }
            }
        }
    }
    out
}

impl Detection for S3AclGrantsAnotherAccount {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        // A Batch Operations job replacing ACLs runs a policy its creator wrote, on
        // every object of a manifest: only AWS Backup restoring what it saved acts
        // on its own here.
        if !succeeded_call(rec, "s3.amazonaws.com", &["PutBucketAcl", "PutObjectAcl"])
            || aws_service_among(rec, &["backup.amazonaws.com"])
        {
            return None;
        }
        let params = rec.request_parameters()?.as_object()?;
        let mut grantees = params.get("AccessControlPolicy").map(other_grantees).unwrap_or_default();
        grantees.extend(email_header_grants(params));
        if grantees.is_empty() {
            return None;
        }
        let grants: Vec<Value> = grantees
            .into_iter()
            .map(|(who, permission)| serde_json::json!({"grantee": who, "permission": permission}))
            .collect();
        fire(Evidence::new()
            .with_opt("bucket", rec.request_param_str("bucketName"))
            .with_opt("key", rec.request_param_str("key"))
            .with("grants", grants))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::{eval, fires};

    const OWNER_ID: &str = "d25639fbe9c19cd30a4c0f43fbf00e2d3f96400a9aa8dabfbbebe1906Example";
    const OTHER_ID: &str = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be";

    fn grant(id: &str, permission: &str) -> String {
        format!(r#"{{"Grantee":{{"xsi:type":"CanonicalUser","ID":"{id}"}},"Permission":"{permission}"}}"#)
    }

    fn acl(grants: &str, owner: &str) -> String {
        format!(r#"{{"bucketName":"finance-exports","acl":"","AccessControlPolicy":{{"xmlns":"http://s3.amazonaws.com/doc/2006-03-01/","AccessControlList":{{"Grant":{grants}}},"Owner":{{"ID":"{owner}"}}}}}}"#)
    }

    fn put(params: &str) -> String {
        record("s3.amazonaws.com", "PutBucketAcl", ROLE, params, "")
    }

    #[test]
    fn a_grant_to_another_canonical_user_fires() {
        let params = acl(&format!("[{},{}]", grant(OWNER_ID, "FULL_CONTROL"), grant(OTHER_ID, "READ")), OWNER_ID);
        let Some(Signal::Fire(e)) = eval(&S3AclGrantsAnotherAccount, &put(&params)) else {
            panic!("expected a finding");
        };
        assert_eq!(e.get("grants").unwrap(), &serde_json::json!([{"grantee": OTHER_ID, "permission": "READ"}]));
        assert_eq!(e.get("bucket").unwrap(), "finance-exports");
        // One grant rather than a list, on an object.
        let object = acl(&grant(OTHER_ID, "READ_ACP"), OWNER_ID).replace(r#""acl":"""#, r#""key":"q3.csv","acl":"""#);
        assert!(fires(&S3AclGrantsAnotherAccount, &record("s3.amazonaws.com", "PutObjectAcl", ROLE, &object, "")));
    }

    #[test]
    fn a_grant_by_email_fires() {
        let email = r#"{"Grantee":{"xsi:type":"AmazonCustomerByEmail","EmailAddress":"drop@example.net"},"Permission":"WRITE"}"#;
        assert!(fires(&S3AclGrantsAnotherAccount, &put(&acl(email, OWNER_ID))));
    }

    #[test]
    fn the_owner_public_groups_cloudfront_logs_and_headers_do_not() {
        let own = acl(&grant(OWNER_ID, "FULL_CONTROL"), OWNER_ID);
        assert!(!fires(&S3AclGrantsAnotherAccount, &put(&own)));
        for log_delivery in CLOUDFRONT_LOG_DELIVERY {
            let cloudfront = acl(&format!("[{},{}]", grant(OWNER_ID, "FULL_CONTROL"), grant(log_delivery, "FULL_CONTROL")), OWNER_ID);
            assert!(!fires(&S3AclGrantsAnotherAccount, &put(&cloudfront)), "{log_delivery}");
        }
        let public = acl(r#"{"Grantee":{"xsi:type":"Group","URI":"http://acs.amazonaws.com/groups/global/AllUsers"},"Permission":"READ"}"#, OWNER_ID);
        assert!(!fires(&S3AclGrantsAnotherAccount, &put(&public)));
        // No owner to compare with.
        let ownerless = acl(&grant(OTHER_ID, "READ"), OWNER_ID).replace(&format!(r#","Owner":{{"ID":"{OWNER_ID}"}}"#), "");
        assert!(!fires(&S3AclGrantsAnotherAccount, &put(&ownerless)));
        let header = format!(r#"{{"bucketName":"b","acl":"","x-amz-grant-read":"id=\"{OTHER_ID}\""}}"#);
        assert!(!fires(&S3AclGrantsAnotherAccount, &put(&header)));
    }

    #[test]
    fn batch_operations_and_email_headers_fire() {
        let params = acl(&grant(OTHER_ID, "READ"), OWNER_ID);
        let batch = record("s3.amazonaws.com", "PutObjectAcl", ROLE, &params, "").replace(
            r#""userIdentity":{"type":"AssumedRole""#,
            r#""userIdentity":{"invokedBy":"batchoperations.s3.amazonaws.com","type":"AssumedRole""#,
        );
        assert!(fires(&S3AclGrantsAnotherAccount, &batch));
        let restore = batch.replace("batchoperations.s3.amazonaws.com", "backup.amazonaws.com");
        assert!(!fires(&S3AclGrantsAnotherAccount, &restore));
        let header = r#"{"bucketName":"b","acl":"","x-amz-grant-full-control":"id=\"abc\", emailAddress=\"drop@example.net\""}"#;
        let Some(Signal::Fire(e)) = eval(&S3AclGrantsAnotherAccount, &put(header)) else {
            panic!("expected a finding");
        };
        assert_eq!(e.get("grants").unwrap(), &serde_json::json!([{"grantee": "drop@example.net", "permission": "FULL_CONTROL"}]));
    }

    #[test]
    fn failures_services_and_bad_input_do_not() {
        let params = acl(&grant(OTHER_ID, "READ"), OWNER_ID);
        assert!(!fires(&S3AclGrantsAnotherAccount, &failed("s3.amazonaws.com", "PutBucketAcl", ROLE, &params, "AccessControlListNotSupported")));
        assert!(!fires(&S3AclGrantsAnotherAccount, &record("s3.amazonaws.com", "PutBucketAcl", SERVICE, &params, "")));
        assert!(!fires(&S3AclGrantsAnotherAccount, &record("s3.amazonaws.com", "PutBucketPolicy", ROLE, &params, "")));
        for bad in ["null", r#"{"AccessControlPolicy":"x"}"#, r#"{"AccessControlPolicy":{"AccessControlList":{"Grant":[1,{"Grantee":7}]},"Owner":{"ID":5}}}"#] {
            assert!(!fires(&S3AclGrantsAnotherAccount, &put(bad)), "{bad}");
        }
    }
}
