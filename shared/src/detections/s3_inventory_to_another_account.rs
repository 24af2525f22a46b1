//! An S3 inventory report delivered to a bucket of another account
//! (`PutBucketInventoryConfiguration` whose destination's `AccountId` is not the
//! event's own, successfully).
//!
//! Decisions: an inventory lists every object of the bucket (key, size, dates,
//! encryption, replication and lock status) daily or weekly: a map of the data, and
//! its keys often carry names, ids and dates, delivered to the other account with no
//! further call. S3 names the destination's owner in `AccountId` when the caller
//! gives it; without it S3 does not check the destination's owner at all, and the
//! bucket ARN does not name an account, so such a destination is not judged (a
//! stated limit: most configurations leave the field out, and firing on all of them
//! would drown the rest). The account is
//! read at any depth and in either casing, as the configuration nests it. A
//! configuration saved disabled fires too (one call enables it); the evidence says
//! which. Changes AWS
//! services make on their own are left out; a stack's change counts.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    aws_service_caller_but_stack, other_accounts, succeeded_call, texts_at_key,
};
use crate::event::Record;

pub struct S3InventoryToAnotherAccount;

const S3: &str = "s3.amazonaws.com";
const CALLS: &[&str] = &["PutBucketInventoryConfiguration"];

pub static META: Meta = Meta {
    id: "s3-inventory-to-another-account",
    title: "AWS S3 Inventory Delivered to Another Account",
    description: "A bucket's inventory report now goes to a bucket in another AWS account. \
                  The report lists every object in the bucket, with its size, dates and \
                  encryption, on a schedule: a map of the data handed to the other account.",
    severity: Severity::Medium,
    attack: &["T1537", "T1619"],
    origins: &[
        "trailwatch: from a red-team gap hunt (S3 inventory reports sent to another account)",
    ],
    group: "data-exposure",
    false_positives: &[
        "Inventories collected in the organisation's central data or security account: tune \
         by that account.",
    ],
    next_steps: "Identify the destination account. If it is not the organisation's, delete \
                 the inventory configuration and ask what the reports already delivered held.",
    evidence: "bucket destination_bucket enabled other_accounts",
    triggers: &[Trigger::write(S3, CALLS)],
    window: None,
};

impl Detection for S3InventoryToAnotherAccount {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, S3, CALLS) || aws_service_caller_but_stack(rec) {
            return None;
        }
        let params = rec.request_parameters()?;
        let others = other_accounts(texts_at_key(params, "AccountId"), rec.account_id());
        if others.is_empty() {
            return None;
        }
        fire(
            Evidence::new()
                .with_opt("bucket", rec.request_param_str("bucketName"))
                .with_opt("destination_bucket", texts_at_key(params, "Bucket").first().copied())
                .with_opt("enabled", texts_at_key(params, "IsEnabled").first().copied())
                .with("other_accounts", others),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::{eval, fires};

    fn inventory(account: Option<&str>) -> String {
        let owner = account.map(|a| format!(r#""AccountId":"{a}","#)).unwrap_or_default();
        format!(
            r#"{{"bucketName":"claims-archive","id":"daily","inventory":[""],"InventoryConfiguration":{{"xmlns":"http://s3.amazonaws.com/doc/2006-03-01/",
            "Id":"daily","IsEnabled":"true","IncludedObjectVersions":"All","Schedule":{{"Frequency":"Daily"}},
            "Destination":{{"S3BucketDestination":{{{owner}"Bucket":"arn:aws:s3:::inventory-drop","Format":"CSV"}}}}}}}}"#
        )
    }

    #[test]
    fn an_inventory_sent_to_another_account_fires() {
        match eval(&S3InventoryToAnotherAccount, &record(S3, "PutBucketInventoryConfiguration", ROLE, &inventory(Some("444455556666")), "")) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("other_accounts"), Some(&serde_json::json!(["444455556666"])));
                assert_eq!(e.get("destination_bucket").and_then(|v| v.as_str()), Some("arn:aws:s3:::inventory-drop"));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn own_or_unnamed_destinations_services_and_failures_do_not() {
        for account in [Some("111122223333"), None, Some("not-an-account")] {
            assert!(!fires(&S3InventoryToAnotherAccount, &record(S3, "PutBucketInventoryConfiguration", ROLE, &inventory(account), "")), "{account:?}");
        }
        let foreign = inventory(Some("444455556666"));
        assert!(!fires(&S3InventoryToAnotherAccount, &record(S3, "PutBucketInventoryConfiguration", SERVICE, &foreign, "")));
        assert!(!fires(&S3InventoryToAnotherAccount, &failed(S3, "PutBucketInventoryConfiguration", ROLE, &foreign, "AccessDenied")));
        assert!(!fires(&S3InventoryToAnotherAccount, &record(S3, "PutBucketAnalyticsConfiguration", ROLE, &foreign, "")));
    }
}
