//! An S3 bucket or object ACL that grants access to everyone or to every AWS user
//! (`PutBucketAcl`, or the data event `PutObjectAcl`), successfully.
//!
//! Decisions: public is a grant to the groups `AllUsers` or `AuthenticatedUsers`
//! (any AWS account), given in the ACL document (`AccessControlPolicy.
//! AccessControlList.Grant`, one grant or a list), in an `x-amz-grant-*` header, or
//! by a canned ACL (`public-read`, `public-read-write`, `authenticated-read`).
//! Grants to the log delivery group or to canonical users do not count (another
//! account's canonical user is `s3-acl-grants-another-account`'s). A canned
//! ACL sent with an upload or copy (`PutObject`, `CopyObject` with `x-amz-acl`) is
//! not watched: routing every upload to the detections would cost far more than
//! it finds, and buckets created since April 2023 refuse ACLs unless their owner
//! turned them back on (`PutBucketOwnershipControls`).

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{one_or_many, succeeded_call};
use crate::event::Record;

pub struct S3AclGrantsPublicAccess;

const PUBLIC_GROUPS: &[&str] = &[
    "acs.amazonaws.com/groups/global/AllUsers",
    "acs.amazonaws.com/groups/global/AuthenticatedUsers",
];
const PUBLIC_CANNED: &[&str] = &["authenticated-read", "public-read", "public-read-write"];

pub static META: Meta = Meta {
    id: "s3-acl-grants-public-access",
    title: "AWS S3 ACL Grants Public Access",
    description: "An access control list was set on a bucket or an object that lets anyone, or any \
                  AWS user, read or write it. ACLs are the old way to make S3 data public, and \
                  they bypass bucket policies that look private.",
    severity: Severity::Medium,
    attack: &["T1530"],
    origins: &["trailwatch: based on S3 public-exposure techniques (PutBucketAcl / PutObjectAcl to \
                AllUsers or AuthenticatedUsers)"],
    group: "data-exposure",
    false_positives: &["Buckets and objects published on purpose (static websites, public downloads)."],
    next_steps: "Check what the bucket or object holds. If it should not be public, set the ACL back \
                 to private, enable Block Public Access, and look for reads from unknown \
                 addresses since the change.",
    evidence: "bucket canned_acl key public_grants",
    triggers: &[
        Trigger::write("s3.amazonaws.com", &["PutBucketAcl"]),
        Trigger::data("s3.amazonaws.com", &["PutObjectAcl"]),
    ],
    window: None,
};

/// The last part of a public group's URI (`AllUsers`, `AuthenticatedUsers`).
fn group_name(uri: &str) -> &str {
    uri.rsplit('/').next().unwrap_or(uri)
}

/// A request value that may be text or a list of text (some exports wrap headers in
/// lists), as text items.
pub(crate) fn texts(v: Option<&serde_json::Value>) -> Vec<&str> {
    one_or_many(v).into_iter().filter_map(|t| t.as_str()).collect()
}

/// The permission an `x-amz-grant-*` request parameter grants (`read`,
/// `full-control`), however the record spells the header (`x_amz_grant_read`).
pub(crate) fn grant_header_permission(key: &str) -> Option<String> {
    key.to_ascii_lowercase()
        .replace('_', "-")
        .strip_prefix("x-amz-grant-")
        .map(str::to_owned)
}

impl Detection for S3AclGrantsPublicAccess {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, "s3.amazonaws.com", &["PutBucketAcl", "PutObjectAcl"]) {
            return None;
        }
        let params = rec.request_parameters()?.as_object()?;
        let canned = texts(params.get("x-amz-acl"))
            .into_iter()
            .find(|c| PUBLIC_CANNED.iter().any(|p| c.trim().eq_ignore_ascii_case(p)));
        // Each public grant as `<group>:<permission>` (`AllUsers:READ`): who
        // may now do what (from a responder's review: the finding named only
        // the bucket).
        let mut public = Vec::new();
        let mut grant = |text: &str, permission: &str| {
            for group in PUBLIC_GROUPS.iter().filter(|g| text.contains(**g)) {
                let named = format!("{}:{}", group_name(group), permission.to_ascii_uppercase().replace('-', "_"));
                if !public.contains(&named) {
                    public.push(named);
                }
            }
        };
        for (k, v) in params {
            if let Some(permission) = grant_header_permission(k) {
                texts(Some(v)).into_iter().for_each(|t| grant(t, &permission));
            }
        }
        let grants = params
            .get("AccessControlPolicy")
            .and_then(|p| p.get("AccessControlList"))
            .and_then(|l| l.get("Grant"));
        for g in one_or_many(grants) {
            if let Some(uri) = g.get("Grantee").and_then(|e| e.get("URI")).and_then(|u| u.as_str()) {
                grant(uri, g.get("Permission").and_then(|p| p.as_str()).unwrap_or("unstated"));
            }
        }
        // Some records carry the grant headers under `AccessControlList` directly.
        if let Some(list) = params.get("AccessControlList").and_then(|l| l.as_object()) {
            for (k, v) in list {
                let permission = grant_header_permission(k).unwrap_or_else(|| k.clone());
                texts(Some(v)).into_iter().for_each(|t| grant(t, &permission));
            }
        }
        if canned.is_none() && public.is_empty() {
            return None;
        }
        fire(
            Evidence::new()
                .with_opt("bucket", rec.request_param_str("bucketName"))
                .with_opt("key", rec.request_param_str("key"))
                .with_opt("canned_acl", canned)
                .with_opt("public_grants", (!public.is_empty()).then_some(public)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, failed, record};
    use crate::detections::common::testing::fires;

    fn acl(grants: &str) -> String {
        format!(r#"{{"bucketName":"press-kit-assets","acl":"","AccessControlPolicy":{{"AccessControlList":{{"Grant":{grants}}},"Owner":{{"ID":"d25639fbe9c19cd30a4c0f43fbf00e2d3f96400a9aa8dabfbbebe1906Example"}}}}}}"#)
    }
    const OWNER: &str = r#"{"Grantee":{"xsi:type":"CanonicalUser","ID":"d25639fbe9c19cd30a4c0f43fbf00e2d3f96400a9aa8dabfbbebe1906Example"},"Permission":"FULL_CONTROL"}"#;

    #[test]
    fn fires_on_public_grants_headers_and_canned_acls() {
        let list = acl(&format!(r#"[{OWNER},{{"Grantee":{{"xsi:type":"Group","URI":"http://acs.amazonaws.com/groups/global/AllUsers"}},"Permission":"READ"}}]"#));
        assert!(fires(&S3AclGrantsPublicAccess, &record("s3.amazonaws.com", "PutBucketAcl", ROLE, &list, "")));
        let single = acl(r#"{"Grantee":{"URI":"http://acs.amazonaws.com/groups/global/AuthenticatedUsers"},"Permission":"WRITE"}"#);
        assert!(fires(&S3AclGrantsPublicAccess, &record("s3.amazonaws.com", "PutObjectAcl", ROLE, &single, "")));
        for params in [
            r#"{"bucketName":"b","acl":"","x-amz-acl":["public-read"]}"#,
            r#"{"bucketName":"b","key":"k","acl":"","x-amz-grant-read":"uri=http://acs.amazonaws.com/groups/global/AllUsers"}"#,
            r#"{"bucketName":"b","key":"k","acl":"","AccessControlList":{"x_amz_grant_read":"uri=http://acs.amazonaws.com/groups/global/AllUsers"}}"#,
        ] {
            assert!(fires(&S3AclGrantsPublicAccess, &record("s3.amazonaws.com", "PutObjectAcl", ROLE, params, "")), "{params}");
        }
    }

    /// From a responder's review: the finding said which bucket, not who
    /// may now do what.
    #[test]
    fn the_evidence_names_each_public_grant() {
        let grants = |params: &str| match crate::detections::common::testing::eval(
            &S3AclGrantsPublicAccess,
            &record("s3.amazonaws.com", "PutObjectAcl", ROLE, params, ""),
        ) {
            Some(Signal::Fire(e)) => e.get("public_grants").cloned(),
            other => panic!("expected a finding, got {other:?}"),
        };
        let list = acl(&format!(
            r#"[{OWNER},{{"Grantee":{{"URI":"http://acs.amazonaws.com/groups/global/AllUsers"}},"Permission":"READ"}},{{"Grantee":{{"URI":"http://acs.amazonaws.com/groups/global/AuthenticatedUsers"}},"Permission":"FULL_CONTROL"}}]"#
        ));
        assert_eq!(grants(&list), Some(serde_json::json!(["AllUsers:READ", "AuthenticatedUsers:FULL_CONTROL"])));
        let headers = r#"{"bucketName":"b","x-amz-grant-write-acp":"uri=http://acs.amazonaws.com/groups/global/AllUsers","x-amz-grant-read":"id=abc, uri=http://acs.amazonaws.com/groups/global/AllUsers"}"#;
        let mut got = grants(headers).unwrap();
        got.as_array_mut().unwrap().sort_by_key(|v| v.to_string());
        assert_eq!(got, serde_json::json!(["AllUsers:READ", "AllUsers:WRITE_ACP"]));
        assert_eq!(grants(r#"{"bucketName":"b","x-amz-acl":"public-read"}"#), None);
    }

    #[test]
    fn near_misses() {
        let log_delivery = acl(&format!(r#"[{OWNER},{{"Grantee":{{"URI":"http://acs.amazonaws.com/groups/s3/LogDelivery"}},"Permission":"WRITE"}}]"#));
        assert!(!fires(&S3AclGrantsPublicAccess, &record("s3.amazonaws.com", "PutBucketAcl", ROLE, &log_delivery, "")));
        assert!(!fires(&S3AclGrantsPublicAccess, &record("s3.amazonaws.com", "PutBucketAcl", ROLE, &acl(OWNER), "")));
        assert!(!fires(&S3AclGrantsPublicAccess, &record("s3.amazonaws.com", "PutBucketAcl", ROLE, r#"{"bucketName":"b","x-amz-acl":["private"]}"#, "")));
        let public = r#"{"bucketName":"b","x-amz-acl":"public-read"}"#;
        assert!(!fires(&S3AclGrantsPublicAccess, &failed("s3.amazonaws.com", "PutBucketAcl", ROLE, public, "AccessDenied")));
        assert!(!fires(&S3AclGrantsPublicAccess, &record("s3.amazonaws.com", "PutBucketPolicy", ROLE, public, "")));
        assert!(!fires(&S3AclGrantsPublicAccess, &record("s3.amazonaws.com", "PutBucketAcl", ROLE, "null", "")));
    }
}
