//! Replication configured on an S3 bucket (`PutBucketReplication`), successfully.
//!
//! Decisions: Splunk's row reports every replication set-up with its destination.
//! Replication to a bucket of the same account is ordinary resilience, so each rule
//! is judged on its own: a rule whose destination names the event's own `Account`
//! with `AccessControlTranslation` is left out; one that names another account, or
//! none (the field is optional, and we cannot tell who owns a bucket from its
//! ARN), makes the call fire. So does one that names the own account without
//! `AccessControlTranslation`: S3 checks `Account` against the bucket's owner only
//! when replica ownership is translated, so there the caller's word is all it is,
//! and an intruder would write the victim's account beside their bucket. A Put
//! replaces the whole configuration, so an intruder can resend the bucket's own
//! disaster-recovery rule beside one to their bucket: that call fires, and the
//! finding lists only the destinations not known to be the account's own. A call
//! that lists no rule at all fires too. Replication to another account is reported
//! as such. A rule whose `Status` is `Disabled` copies nothing and is not judged (that
//! is how replication is paused); a call whose rules are all disabled does not fire.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{one_or_many, succeeded_call};
use crate::event::Record;

pub struct S3BucketReplicationConfigured;

pub static META: Meta = Meta {
    id: "s3-bucket-replication-configured",
    title: "AWS S3 Bucket Replication Configured",
    description: "Replication was set up on a bucket: from now on every new object is copied by S3 \
                  itself to the destination bucket. Pointed at an attacker's bucket, it is a quiet \
                  and lasting exfiltration channel.",
    severity: Severity::Medium,
    attack: &["T1537"],
    origins: &[
        "Splunk ESCU detections/cloud/aws_exfiltration_via_bucket_replication.yml",
        "SigmaHQ rules/cloud/aws/cloudtrail/aws_s3_data_management_tampering.yml (the replication part)",
    ],
    group: "data-exposure",
    false_positives: &[
        "Disaster-recovery or data-lake replication set up by the bucket's owners, usually \
         through infrastructure as code.",
        "Replication to a bucket of the same account: S3 checks a destination's account \
         only when replica ownership is translated (AccessControlTranslation), which \
         same-account rules leave out, so such a rule is reported like any other; \
         suppress the replicating role or known destinations in the tuning file.",
    ],
    next_steps: "Check the destination bucket and account in the finding. If they are not the \
                 organisation's, remove the replication rule, and list what was replicated since.",
    evidence: "bucket destination_accounts destination_buckets",
    triggers: &[Trigger::write("s3.amazonaws.com", &["PutBucketReplication"])],
    window: None,
};

impl Detection for S3BucketReplicationConfigured {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, "s3.amazonaws.com", &["PutBucketReplication"]) {
            return None;
        }
        let rules = one_or_many(
            rec.request_param("ReplicationConfiguration")
                .and_then(|c| c.get("Rule")),
        );
        let disabled = |r: &serde_json::Value| {
            r.get("Status")
                .and_then(|s| s.as_str())
                .is_some_and(|s| s.trim().eq_ignore_ascii_case("Disabled"))
        };
        let active: Vec<&serde_json::Value> = rules.iter().copied().filter(|r| !disabled(r)).collect();
        if !rules.is_empty() && active.is_empty() {
            return None;
        }
        let destinations: Vec<&serde_json::Value> = active
            .into_iter()
            .filter_map(|r| r.get("Destination"))
            .collect();
        let own = rec.account_id();
        // The destinations not known to be the account's own: another account
        // named, none, or the own one where S3 did not check it.
        let checked_own = |d: &serde_json::Value| {
            account(d).is_some_and(|a| Some(a) == own)
                && d.get("AccessControlTranslation").is_some_and(|t| !t.is_null())
        };
        let outside: Vec<&serde_json::Value> =
            destinations.iter().copied().filter(|d| !checked_own(d)).collect();
        if !destinations.is_empty() && outside.is_empty() {
            return None;
        }
        let buckets: Vec<&str> = outside
            .iter()
            .filter_map(|d| d.get("Bucket")?.as_str())
            .collect();
        let foreign: Vec<&str> = outside
            .iter()
            .filter_map(|d| account(d))
            .filter(|a| Some(*a) != own)
            .collect();
        let e = Evidence::new()
            .with_opt("bucket", rec.request_param_str("bucketName"))
            .with("destination_buckets", buckets);
        let e = if foreign.is_empty() {
            e
        } else {
            e.with("destination_accounts", foreign)
        };
        fire(e)
    }
}

/// A replication destination's `Account`, when it has one.
fn account(destination: &serde_json::Value) -> Option<&str> {
    destination.get("Account").and_then(|a| a.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, failed, record};
    use crate::detections::common::testing::{eval, fires};
    use serde_json::json;

    fn put(rule: &str) -> String {
        format!(r#"{{"bucketName":"claims-archive","replication":"","ReplicationConfiguration":{{"Role":"arn:aws:iam::111122223333:role/s3-repl","Rule":{rule}}}}}"#)
    }

    #[test]
    fn fires_on_foreign_or_unknown_destination() {
        let rec = record("s3.amazonaws.com", "PutBucketReplication", ROLE, &put(
            r#"{"ID":"r1","Status":"Enabled","Destination":{"Bucket":"arn:aws:s3:::drop-zone-7","Account":"444455556666","AccessControlTranslation":{"Owner":"Destination"}}}"#), "");
        match eval(&S3BucketReplicationConfigured, &rec) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("destination_accounts"), Some(&json!(["444455556666"])));
                assert_eq!(e.get("destination_buckets"), Some(&json!(["arn:aws:s3:::drop-zone-7"])));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let unknown = record("s3.amazonaws.com", "PutBucketReplication", ROLE, &put(
            r#"[{"ID":"r1","Status":"Enabled","Destination":{"Bucket":"arn:aws:s3:::replica"}}]"#), "");
        assert!(fires(&S3BucketReplicationConfigured, &unknown));
        assert!(fires(&S3BucketReplicationConfigured, &record("s3.amazonaws.com", "PutBucketReplication", ROLE, "null", "")));
    }

    #[test]
    fn a_rule_to_an_unnamed_account_beside_one_to_the_own_account_fires() {
        let mixed = record("s3.amazonaws.com", "PutBucketReplication", ROLE, &put(
            r#"[{"ID":"dr","Status":"Enabled","Destination":{"Bucket":"arn:aws:s3:::replica","Account":"111122223333","AccessControlTranslation":{"Owner":"Destination"}}},
                {"ID":"r2","Status":"Enabled","Destination":{"Bucket":"arn:aws:s3:::drop-zone-7"}}]"#), "");
        match eval(&S3BucketReplicationConfigured, &mixed) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("destination_buckets"), Some(&json!(["arn:aws:s3:::drop-zone-7"])));
                assert_eq!(e.get("destination_accounts"), None);
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let own_and_foreign = record("s3.amazonaws.com", "PutBucketReplication", ROLE, &put(
            r#"[{"Destination":{"Bucket":"arn:aws:s3:::replica","Account":"111122223333","AccessControlTranslation":{"Owner":"Destination"}}},
                {"Destination":{"Bucket":"arn:aws:s3:::drop-zone-7","Account":"444455556666"}}]"#), "");
        match eval(&S3BucketReplicationConfigured, &own_and_foreign) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("destination_buckets"), Some(&json!(["arn:aws:s3:::drop-zone-7"])));
                assert_eq!(e.get("destination_accounts"), Some(&json!(["444455556666"])));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    /// S3 checks `Account` only with `AccessControlTranslation`: without it, the
    /// own account named beside an outside bucket is the caller's word.
    #[test]
    fn the_own_account_unchecked_by_s3_is_not_trusted() {
        let unchecked = record("s3.amazonaws.com", "PutBucketReplication", ROLE, &put(
            r#"{"ID":"r1","Status":"Enabled","Destination":{"Bucket":"arn:aws:s3:::attacker-drop","Account":"111122223333"}}"#), "");
        match eval(&S3BucketReplicationConfigured, &unchecked) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("destination_buckets"), Some(&json!(["arn:aws:s3:::attacker-drop"])));
                assert_eq!(e.get("destination_accounts"), None);
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let null_translation = unchecked.replace(
            r#""Account":"111122223333""#,
            r#""Account":"111122223333","AccessControlTranslation":null"#,
        );
        assert!(fires(&S3BucketReplicationConfigured, &null_translation));
    }

    #[test]
    fn near_misses() {
        let own = record("s3.amazonaws.com", "PutBucketReplication", ROLE, &put(
            r#"{"ID":"r1","Status":"Enabled","Destination":{"Bucket":"arn:aws:s3:::replica","Account":"111122223333","AccessControlTranslation":{"Owner":"Destination"}}}"#), "");
        assert!(!fires(&S3BucketReplicationConfigured, &own));
        let own_twice = record("s3.amazonaws.com", "PutBucketReplication", ROLE, &put(
            r#"[{"Destination":{"Bucket":"arn:aws:s3:::replica","Account":"111122223333","AccessControlTranslation":{"Owner":"Destination"}}},
                {"Destination":{"Bucket":"arn:aws:s3:::replica-eu","Account":"111122223333","AccessControlTranslation":{"Owner":"Destination"}}}]"#), "");
        assert!(!fires(&S3BucketReplicationConfigured, &own_twice));
        let paused = record("s3.amazonaws.com", "PutBucketReplication", ROLE, &put(
            r#"[{"ID":"dr","Status":"Disabled","Destination":{"Bucket":"arn:aws:s3:::drop-zone-7","Account":"444455556666"}},
                {"ID":"eu","Status":"disabled","Destination":{"Bucket":"arn:aws:s3:::replica-eu"}}]"#), "");
        assert!(!fires(&S3BucketReplicationConfigured, &paused));
        let one_live = paused.replacen(r#""Status":"disabled""#, r#""Status":"Enabled""#, 1);
        assert!(fires(&S3BucketReplicationConfigured, &one_live));
        let denied = failed("s3.amazonaws.com", "PutBucketReplication", ROLE, &put(r#"{"Destination":{"Bucket":"arn:aws:s3:::x"}}"#), "AccessDenied");
        assert!(!fires(&S3BucketReplicationConfigured, &denied));
        assert!(!fires(&S3BucketReplicationConfigured, &record("s3.amazonaws.com", "DeleteBucketReplication", ROLE, "null", "")));
    }
}
