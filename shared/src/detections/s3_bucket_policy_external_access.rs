//! An S3 bucket policy that grants access to everyone or to another account
//! (`PutBucketPolicy`), successfully.
//!
//! Decisions: CloudTrail records the new policy as an object in
//! `requestParameters.bucketPolicy` (some exports: JSON text). It fires when an
//! `Allow` statement names the principal `*` without a `Condition` that fences in
//! the callers (keys such as `aws:PrincipalOrgID` or `aws:SourceVpc` with a concrete
//! value do; `aws:SecureTransport`, a wildcard value or one right after an id's
//! prefix (`o-*`, `vpce-*`), a negated, `...IfExists` or `ForAllValues:` operator or
//! an empty block do not: `common::condition_restricts`), or names an
//! AWS account other than the event's own, as a principal or in a condition that
//! narrows `*` to it (`aws:PrincipalAccount`, `aws:PrincipalArn`), or, when the
//! deployment names its own organisations, fences `*` to another organisation
//! (`common::organizations`); `Allow` with `NotPrincipal` counts as `*`. Service principals
//! (`cloudtrail.amazonaws.com` writing logs) do not count. Neither do `CanonicalUser`
//! principals: a canonical id cannot be told apart from the event's own account in
//! the record, and most such grants are CloudFront origin access identities (a
//! grant to another account through one is therefore not seen).
//! Elastic Load Balancing's log-delivery accounts (one per older Region), allowed
//! only `s3:PutObject`, are not another account either: that statement is how every
//! load balancer's access-log bucket is set up.
//! CloudFront is the exception among services: it reads the bucket for whichever
//! distribution names it as origin, in any account. A grant to
//! `cloudfront.amazonaws.com`, or to `*` fenced only by which service calls
//! (`aws:PrincipalServiceName`, `aws:PrincipalIsAWSService`), is public unless a
//! condition pins the distribution or its account (`aws:SourceArn`,
//! `aws:SourceAccount`); pinned to another account's distribution, it is a grant
//! to that account (from an evasion review: origin access control without its
//! `aws:SourceArn` was not seen).
//! A policy that opens nothing but replication into the bucket (the other
//! accounts may only write replicas: `REPLICATION_WRITES`) says so in its
//! evidence (`replication_writes_only`) and stays high: a replica is the current
//! version of its key, a replicated delete marker hides one (eighth session: a
//! medium for it, from a review of false positives, was undone by an evasion
//! review).
//! Directory buckets (S3 Express One Zone) log their bucket policies from
//! `s3express.amazonaws.com` and are shared with other accounts the same way
//! (from an evasion review: they were not watched).

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    PolicyExposure, allow_statements, condition_accounts, condition_restricts,
    condition_restricts_beyond_service, one_or_many, policy_document, policy_exposure,
    principal_accounts, principal_is_anyone, principal_names_service, succeeded_call,
};
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
    evidence: "bucket other_accounts other_organizations public replication_writes_only",
    triggers: &[
        Trigger::write("s3.amazonaws.com", &["PutBucketPolicy"]),
        Trigger::write(DIRECTORY_BUCKETS, &["PutBucketPolicy"]),
    ],
    window: None,
};

/// The event source of directory buckets' bucket-level calls.
const DIRECTORY_BUCKETS: &str = "s3express.amazonaws.com";

/// The accounts through which Elastic Load Balancing writes access logs, one per
/// Region that opened before August 2022 (later Regions use the service principal
/// `logdelivery.elasticloadbalancing.amazonaws.com`, which does not count anyway).
const ELB_LOG_ACCOUNTS: [&str; 26] = [
    "127311923021", // us-east-1
    "033677994240", // us-east-2
    "027434742980", // us-west-1
    "797873946194", // us-west-2
    "098369216593", // af-south-1
    "754344448648", // ap-east-1
    "589379963580", // ap-southeast-3
    "718504428378", // ap-south-1
    "383597477331", // ap-northeast-3
    "600734575887", // ap-northeast-2
    "114774131450", // ap-southeast-1
    "783225319266", // ap-southeast-2
    "582318560864", // ap-northeast-1
    "985666609251", // ca-central-1
    "054676820928", // eu-central-1
    "156460612806", // eu-west-1
    "652711504416", // eu-west-2
    "635631232127", // eu-south-1
    "009996457667", // eu-west-3
    "897822967062", // eu-north-1
    "076674570225", // me-south-1
    "507241528517", // sa-east-1
    "048591011584", // us-gov-west-1
    "190560391635", // us-gov-east-1
    "638102146993", // cn-north-1
    "037604701340", // cn-northwest-1 (from a review)
];

/// A statement that only lets Elastic Load Balancing's log accounts write objects
/// (`s3:PutObject`): how every access-log bucket for a load balancer is set up.
fn elb_log_delivery(statement: &serde_json::Value) -> bool {
    let principal = statement.get("Principal");
    let accounts = principal_accounts(principal);
    // Every AWS principal named must be one of them (an unreadable one, or `*`
    // beside them, keeps the statement in).
    let named = one_or_many(principal.and_then(|p| p.get("AWS"))).len();
    let actions = one_or_many(statement.get("Action"));
    !accounts.is_empty()
        && accounts.len() == named
        && accounts.iter().all(|a| ELB_LOG_ACCOUNTS.contains(a))
        && !actions.is_empty()
        && actions
            .iter()
            .all(|a| a.as_str().is_some_and(|a| a.trim().eq_ignore_ascii_case("s3:PutObject")))
}

/// What the bucket policy `doc` of an account `own` opens, of the `Allow`
/// statements `keep` takes, CloudFront's grants included.
fn opened_by_policy(
    doc: &serde_json::Value,
    own: Option<&str>,
    keep: impl Fn(&serde_json::Value) -> bool,
) -> PolicyExposure {
    let mut exposure = policy_exposure(doc, own, keep);
    through_cloudfront(doc, own, &mut exposure);
    exposure
}

/// What a replication destination's policy lets the source account do: write
/// replicas, deletions and tags, hand their ownership to the bucket's owner,
/// and read whether versioning is on.
const REPLICATION_WRITES: &[&str] = &[
    "s3:ReplicateObject",
    "s3:ReplicateDelete",
    "s3:ReplicateTags",
    "s3:ObjectOwnerOverrideToBucketOwner",
    "s3:GetBucketVersioning",
];

/// A statement naming AWS principals (not everyone, not `NotPrincipal`) whose
/// every action is one of [`REPLICATION_WRITES`], written out without
/// wildcards, with no `NotAction`.
fn replication_writes_only(statement: &serde_json::Value) -> bool {
    let principal = statement.get("Principal");
    let actions = one_or_many(statement.get("Action"));
    !principal_is_anyone(principal)
        && statement.get("NotPrincipal").is_none()
        && statement.get("NotAction").is_none()
        && !actions.is_empty()
        && actions.iter().all(|a| {
            a.as_str().is_some_and(|a| {
                REPLICATION_WRITES.iter().any(|r| r.eq_ignore_ascii_case(a.trim()))
            })
        })
}

/// Adds what CloudFront's grants open (see the top comment): everyone, when no
/// condition names the distribution or its account, else the accounts named.
fn through_cloudfront(doc: &serde_json::Value, own: Option<&str>, out: &mut PolicyExposure) {
    for st in allow_statements(doc) {
        let principal = st.get("Principal");
        let cloudfront = principal_names_service(principal, "cloudfront.amazonaws.com");
        // CloudFront always sends the source keys, so for its own grant an
        // `...IfExists` test of them narrows as the plain test does (from a
        // review: origin access control written so read as public).
        let read_plainly = cloudfront.then(|| without_if_exists(st.get("Condition"))).flatten();
        let condition = read_plainly.as_ref().or(st.get("Condition"));
        // `*` fenced by a service key alone (a fence on anything else leaves it
        // to `policy_exposure`).
        let any_service = principal_is_anyone(principal) && condition_restricts(condition);
        if !cloudfront && !any_service {
            continue;
        }
        if !condition_restricts_beyond_service(condition) {
            out.public = true;
        }
        if cloudfront {
            for account in condition_accounts(condition) {
                if Some(account) != own && !out.accounts.iter().any(|a| a == account) {
                    out.accounts.push(account.to_owned());
                }
            }
            // Fenced to another organisation's distributions (`aws:SourceOrgID`),
            // as a grant to everyone fenced so is (from a review).
            out.organizations
                .extend(crate::detections::common::organizations::foreign_organizations(condition));
        }
    }
    out.accounts.sort();
    out.organizations.sort();
    out.organizations.dedup();
}

/// A condition block with the `IfExists` suffix dropped from the operators that
/// test only the keys CloudFront always sends (`aws:SourceArn`,
/// `aws:SourceAccount`); others keep it (a key CloudFront does not send, such as
/// `aws:PrincipalOrgID`, passes an `IfExists` test for anyone: from a review).
/// A dropped operator's keys join those of the plain one already there.
fn without_if_exists(condition: Option<&serde_json::Value>) -> Option<serde_json::Value> {
    use serde_json::{Map, Value};
    let operators = condition?.as_object()?;
    let always_sent = |keys: &Map<String, Value>| {
        !keys.is_empty()
            && keys.keys().all(|k| {
                let k = k.trim();
                k.eq_ignore_ascii_case("aws:SourceArn") || k.eq_ignore_ascii_case("aws:SourceAccount")
            })
    };
    let mut out: Map<String, Value> = Map::new();
    for (op, keys) in operators {
        let suffix_at = op
            .len()
            .checked_sub("IfExists".len())
            .filter(|&at| op.is_char_boundary(at) && op[at..].eq_ignore_ascii_case("IfExists"));
        let plain = match (suffix_at, keys.as_object()) {
            (Some(at), Some(k)) if always_sent(k) => &op[..at],
            _ => op.as_str(),
        };
        match (out.get_mut(plain), keys) {
            (Some(Value::Object(there)), Value::Object(more)) => {
                for (k, v) in more {
                    there.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
            _ => {
                out.insert(plain.to_owned(), keys.clone());
            }
        }
    }
    Some(Value::Object(out))
}

impl Detection for S3BucketPolicyExternalAccess {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, "s3.amazonaws.com", &["PutBucketPolicy"])
            && !succeeded_call(rec, DIRECTORY_BUCKETS, &["PutBucketPolicy"])
        {
            return None;
        }
        let doc = rec
            .request_param("bucketPolicy")
            .or_else(|| rec.request_param("policy"))
            .and_then(policy_document)?;
        let own = rec.account_id();
        let exposure = opened_by_policy(&doc, own, |st| !elb_log_delivery(st));
        if !exposure.exposed() {
            return None;
        }
        // All it opens is replication into the bucket: said, not lowered. A
        // replica written there is the current version of its key, and a
        // replicated delete marker hides one, so it stays high (from an evasion
        // review of a medium for it); tune a disaster-recovery partner by
        // `evidence.other_accounts[]`.
        let beyond_replication =
            opened_by_policy(&doc, own, |st| !elb_log_delivery(st) && !replication_writes_only(st));
        let e = Evidence::new()
            .with_opt("bucket", rec.request_param_str("bucketName"))
            .with_opt("replication_writes_only", (!beyond_replication.exposed()).then_some(true));
        fire(exposure.exposure_evidence(e))
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

    /// A directory bucket shared with another account, from its own event source.
    #[test]
    fn fires_on_a_directory_bucket_shared_with_another_account() {
        let params = put(
            r#"[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"s3express:CreateSession","Resource":"*"}]"#,
        );
        let rec = record(DIRECTORY_BUCKETS, "PutBucketPolicy", ROLE, &params, "");
        assert!(fires(&S3BucketPolicyExternalAccess, &rec));
        let own = params.replace("444455556666", "111122223333");
        let rec = record(DIRECTORY_BUCKETS, "PutBucketPolicy", ROLE, &own, "");
        assert!(!fires(&S3BucketPolicyExternalAccess, &rec));
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

    /// A replication destination's policy lets the source account write
    /// replicas only: said in the evidence, and high (a replica overwrites a
    /// key's current version). Reads, listing, versioning changes, wildcards
    /// or a second grant are not "replication only".
    #[test]
    fn replication_writes_alone_are_said() {
        let severity = |statements: &str| {
            let json = record("s3.amazonaws.com", "PutBucketPolicy", ROLE, &put(statements), "");
            match eval(&S3BucketPolicyExternalAccess, &json) {
                Some(Signal::Fire(e)) if e.get("replication_writes_only") == Some(&json!(true)) => Severity::Medium,
                Some(Signal::Fire(_)) => Severity::High,
                other => panic!("expected a finding for {statements}, got {other:?}"),
            }
        };
        let source = r#""Principal":{"AWS":"arn:aws:iam::444455556666:role/s3-replication"}"#;
        let replication = format!(
            r#"{{"Effect":"Allow",{source},"Action":["s3:ReplicateObject","s3:ReplicateDelete","s3:ReplicateTags","s3:ObjectOwnerOverrideToBucketOwner"],"Resource":"arn:aws:s3:::finance-exports/*"}},
            {{"Effect":"Allow",{source},"Action":"s3:GetBucketVersioning","Resource":"arn:aws:s3:::finance-exports"}}"#
        );
        assert_eq!(severity(&format!("[{replication}]")), Severity::Medium);
        for more in [
            format!(r#"{{"Effect":"Allow",{source},"Action":["s3:List*","s3:PutBucketVersioning"],"Resource":"*"}}"#),
            format!(r#"{{"Effect":"Allow",{source},"Action":"s3:Replicate*","Resource":"*"}}"#),
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"},"Action":"s3:GetObject","Resource":"*"}"#.to_owned(),
            r#"{"Effect":"Allow","Principal":"*","Action":"s3:ReplicateObject","Resource":"*"}"#.to_owned(),
            format!(r#"{{"Effect":"Allow",{source},"NotAction":"s3:GetObject","Resource":"*"}}"#),
        ] {
            assert_eq!(severity(&format!("[{replication},{more}]")), Severity::High, "{more}");
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
            r#"{"IpAddress":{"aws:SourceIp":["0.0.0.0/1","128.0.0.0/1"]}}"#,
            r#"{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","0.0.0.0/0"]}}"#,
            r#"{"StringNotEquals":{"aws:PrincipalAccount":"444455556666"}}"#,
            r#"{"StringEquals":{"aws:PrincipalTag/team":"data"}}"#,
            r#"{"StringLike":{"aws:Referer":"https://example.com/*"}}"#,
            r#"{"Bool":{"aws:PrincipalIsAWSService":"false"}}"#,
            // From an evasion review: any AWS service, CloudFront among them,
            // reads for any customer.
            r#"{"Bool":{"aws:PrincipalIsAWSService":"true"}}"#,
            r#"{"StringEquals":{"aws:PrincipalServiceName":"cloudfront.amazonaws.com"}}"#,
            // Through some VPC endpoint: any account's, the caller's own included.
            r#"{"Null":{"aws:SourceVpc":"false"}}"#,
            r#"{"Null":{"aws:PrincipalAccount":"false"}}"#,
        ] {
            let statement = format!(r#"[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{condition}}}]"#);
            let rec = record("s3.amazonaws.com", "PutBucketPolicy", ROLE, &put(&statement), "");
            assert!(fires(&S3BucketPolicyExternalAccess, &rec), "{condition}");
        }
        for condition in [
            r#"{"StringEquals":{"aws:SourceVpce":"vpce-0a1b2c3d"}}"#,
            r#"{"IpAddress":{"aws:SourceIp":["203.0.113.0/24"]}}"#,
            r#"{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","172.16.0.0/12"]}}"#,
            r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/*"}}"#,
            r#"{"StringEquals":{"aws:PrincipalOrgID":["o-exampleorg"]},"Bool":{"aws:SecureTransport":"true"}}"#,
        ] {
            let statement = format!(r#"[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{condition}}}]"#);
            let rec = record("s3.amazonaws.com", "PutBucketPolicy", ROLE, &put(&statement), "");
            assert!(!fires(&S3BucketPolicyExternalAccess, &rec), "{condition}");
        }
    }

    /// From an evasion review: CloudFront reads for any distribution that names
    /// the bucket, in any account, unless a condition pins the distribution.
    #[test]
    fn cloudfront_grants_are_judged_by_the_distribution_they_pin() {
        let judged = |condition: &str| {
            let statement = format!(
                r#"[{{"Effect":"Allow","Principal":{{"Service":"cloudfront.amazonaws.com"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::finance-exports/*"{condition}}}]"#
            );
            let rec = record("s3.amazonaws.com", "PutBucketPolicy", ROLE, &put(&statement), "");
            match eval(&S3BucketPolicyExternalAccess, &rec) {
                Some(Signal::Fire(e)) => Some(e),
                _ => None,
            }
        };
        let public = judged("").expect("no condition: any distribution");
        assert_eq!(public.get("public"), Some(&json!(true)));
        let wild = r#","Condition":{"StringLike":{"AWS:SourceArn":"arn:aws:cloudfront::*:distribution/*"}}"#;
        assert!(judged(wild).is_some());
        let theirs = r#","Condition":{"StringEquals":{"AWS:SourceArn":"arn:aws:cloudfront::444455556666:distribution/E2QWRUHEXAMPLE"}}"#;
        let e = judged(theirs).expect("another account's distribution");
        assert_eq!(e.get("other_accounts"), Some(&json!(["444455556666"])));
        assert_eq!(e.get("public"), None);
        // Origin access control as AWS documents it: the own distribution.
        let own = r#","Condition":{"StringEquals":{"AWS:SourceArn":"arn:aws:cloudfront::111122223333:distribution/E2QWRUHEXAMPLE"}}"#;
        assert!(judged(own).is_none());
        let own_account = r#","Condition":{"StringEquals":{"aws:SourceAccount":"111122223333"}}"#;
        assert!(judged(own_account).is_none());
        // CloudFront always sends the key: IfExists narrows as the plain test.
        let if_exists = r#","Condition":{"StringEqualsIfExists":{"AWS:SourceArn":"arn:aws:cloudfront::111122223333:distribution/E2QWRUHEXAMPLE"}}"#;
        assert!(judged(if_exists).is_none());
        let theirs_if_exists = r#","Condition":{"ArnLikeIfExists":{"AWS:SourceArn":"arn:aws:cloudfront::444455556666:distribution/*"}}"#;
        assert_eq!(judged(theirs_if_exists).and_then(|e| e.get("other_accounts").cloned()), Some(json!(["444455556666"])));
        // From a review: keys CloudFront does not send keep their IfExists
        // (any distribution passes it), and a plain block beside a dropped one
        // keeps its keys.
        for open in [
            r#","Condition":{"StringEqualsIfExists":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}"#,
            r#","Condition":{"StringEqualsIfExists":{"aws:SourceVpce":"vpce-0a1b2c3d"}}"#,
        ] {
            assert_eq!(judged(open).and_then(|e| e.get("public").cloned()), Some(json!(true)), "{open}");
        }
        let both = r#","Condition":{"StringEquals":{"AWS:SourceArn":"arn:aws:cloudfront::111122223333:distribution/E2QWRUHEXAMPLE"},"StringEqualsIfExists":{"s3:ExistingObjectTag/public":"yes"}}"#;
        assert!(judged(both).is_none());
    }

    /// Delegating the bucket to access points: another account's are that
    /// account's to grant from, the own account's are not outside.
    #[test]
    fn delegation_to_another_accounts_access_points_fires() {
        let delegated = |condition: &str| {
            let statement = format!(r#"[{{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":{condition}}}]"#);
            record("s3.amazonaws.com", "PutBucketPolicy", ROLE, &put(&statement), "")
        };
        for other in [
            r#"{"StringEquals":{"s3:DataAccessPointAccount":"444455556666"}}"#,
            r#"{"StringLike":{"s3:DataAccessPointArn":"arn:aws:s3:us-east-1:444455556666:accesspoint/*"}}"#,
        ] {
            match eval(&S3BucketPolicyExternalAccess, &delegated(other)) {
                Some(Signal::Fire(e)) => assert_eq!(e.get("other_accounts"), Some(&json!(["444455556666"])), "{other}"),
                got => panic!("{other}: expected a finding, got {got:?}"),
            }
        }
        let own = r#"{"StringEquals":{"s3:DataAccessPointAccount":"111122223333"}}"#;
        assert!(!fires(&S3BucketPolicyExternalAccess, &delegated(own)));
    }

    #[test]
    fn load_balancer_log_delivery_is_not_another_account() {
        let elb = r#"[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::127311923021:root"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::alb-logs/AWSLogs/111122223333/*"}]"#;
        assert!(!fires(&S3BucketPolicyExternalAccess, &record("s3.amazonaws.com", "PutBucketPolicy", ROLE, &put(elb), "")));
        // Ningxia's log account, in its partition (from a review).
        let ningxia = elb.replace("arn:aws:iam::127311923021:root", "arn:aws-cn:iam::037604701340:root");
        assert!(!fires(&S3BucketPolicyExternalAccess, &record("s3.amazonaws.com", "PutBucketPolicy", ROLE, &put(&ningxia), "")));
        for open in [
            // More than writing logs.
            r#"[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::127311923021:root"},"Action":["s3:PutObject","s3:GetObject"],"Resource":"*"}]"#,
            // Anyone beside the log account.
            r#"[{"Effect":"Allow","Principal":{"AWS":["127311923021","*"]},"Action":"s3:PutObject","Resource":"*"}]"#,
            // Another account beside it.
            r#"[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::127311923021:root","arn:aws:iam::444455556666:root"]},"Action":"s3:PutObject","Resource":"*"}]"#,
        ] {
            assert!(fires(&S3BucketPolicyExternalAccess, &record("s3.amazonaws.com", "PutBucketPolicy", ROLE, &put(open), "")), "{open}");
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
