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

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_among, succeeded_call};
use crate::event::Record;

pub struct KmsKeyDisabledOrScheduledForDeletion;

const NAMES: &[&str] = &["DeleteImportedKeyMaterial", "DisableKey", "ScheduleKeyDeletion"];

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
        fire(
            Evidence::new()
                .with_opt("key_id", rec.request_param_str("keyId"))
                .with_json("pending_window_days", rec.request_param("pendingWindowInDays")),
        )
    }
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

    #[test]
    fn near_misses() {
        assert!(!fires(&KmsKeyDisabledOrScheduledForDeletion, &failed("kms.amazonaws.com", "DisableKey", ROLE, r#"{"keyId":"k"}"#, "NotFoundException")));
        assert!(!fires(&KmsKeyDisabledOrScheduledForDeletion, &record("kms.amazonaws.com", "DisableKey", SERVICE, r#"{"keyId":"k"}"#, "")));
        assert!(!fires(&KmsKeyDisabledOrScheduledForDeletion, &record("kms.amazonaws.com", "CancelKeyDeletion", ROLE, r#"{"keyId":"k"}"#, "")));
        assert!(!fires(&KmsKeyDisabledOrScheduledForDeletion, &record("kms.amazonaws.com", "DisableKeyRotation", ROLE, r#"{"keyId":"k"}"#, "")));
    }
}
