//! An RDS DB snapshot or cluster snapshot shared with another account or made
//! public (`ModifyDBSnapshotAttribute` / `ModifyDBClusterSnapshotAttribute` with
//! `attributeName` `restore` and `valuesToAdd`), successfully.
//!
//! Decision: `valuesToAdd` holding `all` is public; a 12-digit account other than the
//! event's own is sharing. Removals (`valuesToRemove`) do not fire. AWS Backup's
//! shares to one account for a cross-account copy are left out
//! (`common::backup_service_copy`; the copy's configuration is
//! `backup-copied-to-another-account`).

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{PolicyExposure, backup_service_copy, is_account_id, one_or_many};
use crate::event::Record;

pub struct RdsSnapshotShared;

pub static META: Meta = Meta {
    id: "rds-snapshot-shared",
    title: "AWS RDS Snapshot Shared with Another Account or Made Public",
    description: "The permission to restore an RDS database snapshot was given to another AWS \
                  account or to everyone. The receiver can restore the whole database in its \
                  own account and read every row.",
    severity: Severity::High,
    attack: &["T1537"],
    origins: &["trailwatch: based on Stratus Red Team aws.exfiltration.rds-share-snapshot \
                (ModifyDBSnapshotAttribute restore)"],
    group: "backup-exposure",
    false_positives: &[
        "Snapshots shared on purpose with a backup, analytics or migration account of the \
         organisation.",
    ],
    next_steps: "Check the receiving account. If unknown, remove it from the snapshot's restore \
                 attribute, treat the database content as exposed (credentials, personal data) \
                 and review the caller's activity.",
    evidence: "other_accounts other_organizations public snapshot",
    triggers: &[Trigger::write(
        "rds.amazonaws.com",
        &["ModifyDBClusterSnapshotAttribute", "ModifyDBSnapshotAttribute"],
    )],
    window: None,
};

impl Detection for RdsSnapshotShared {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "rds.amazonaws.com"
            || !matches!(
                rec.event_name(),
                "ModifyDBSnapshotAttribute" | "ModifyDBClusterSnapshotAttribute"
            )
            || !rec.succeeded()
            || !rec
                .request_param_str("attributeName")
                .is_some_and(|a| a.trim().eq_ignore_ascii_case("restore"))
        {
            return None;
        }
        let own = rec.account_id();
        let mut exposure = PolicyExposure::default();
        for v in one_or_many(rec.request_param("valuesToAdd")) {
            let Some(v) = v.as_str().map(str::trim) else {
                continue;
            };
            if v.eq_ignore_ascii_case("all") {
                exposure.public = true;
            } else if is_account_id(v) && Some(v) != own && !exposure.accounts.iter().any(|a| a == v) {
                exposure.accounts.push(v.to_owned());
            }
        }
        exposure.accounts.sort();
        if !exposure.exposed() || (backup_service_copy(rec) && !exposure.public && exposure.accounts.len() == 1) {
            return None;
        }
        let snapshot = rec
            .request_param_str("dBSnapshotIdentifier")
            .or_else(|| rec.request_param_str("dBClusterSnapshotIdentifier"));
        fire(exposure.exposure_evidence(Evidence::new().with_opt("snapshot", snapshot)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, USER, failed, record};
    use crate::detections::common::testing::{eval, fires};
    use serde_json::json;

    #[test]
    fn fires_on_another_account_or_all() {
        let rec = record("rds.amazonaws.com", "ModifyDBSnapshotAttribute", USER,
            r#"{"attributeName":"restore","dBSnapshotIdentifier":"orders-nightly","valuesToAdd":["444455556666"]}"#, "");
        match eval(&RdsSnapshotShared, &rec) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("other_accounts"), Some(&json!(["444455556666"])));
                assert_eq!(e.get("snapshot"), Some(&json!("orders-nightly")));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let cluster = record("rds.amazonaws.com", "ModifyDBClusterSnapshotAttribute", ROLE,
            r#"{"attributeName":"restore","dBClusterSnapshotIdentifier":"aurora-snap","valuesToAdd":["all"]}"#, "");
        assert!(fires(&RdsSnapshotShared, &cluster));
    }

    #[test]
    fn near_misses() {
        for params in [
            r#"{"attributeName":"restore","dBSnapshotIdentifier":"s","valuesToAdd":["111122223333"]}"#,
            r#"{"attributeName":"restore","dBSnapshotIdentifier":"s","valuesToRemove":["444455556666"]}"#,
            r#"{"attributeName":"other","dBSnapshotIdentifier":"s","valuesToAdd":["all"]}"#,
            r#"{"attributeName":"restore","valuesToAdd":"bogus"}"#,
            r#"{"dBSnapshotIdentifier":"s","valuesToAdd":["all"]}"#,
            "null",
        ] {
            let rec = record("rds.amazonaws.com", "ModifyDBSnapshotAttribute", ROLE, params, "");
            assert!(!fires(&RdsSnapshotShared, &rec), "{params}");
        }
        let denied = failed("rds.amazonaws.com", "ModifyDBSnapshotAttribute", ROLE,
            r#"{"attributeName":"restore","valuesToAdd":["all"]}"#, "AccessDenied");
        assert!(!fires(&RdsSnapshotShared, &denied));
    }
}
