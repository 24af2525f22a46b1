//! A Redshift snapshot shared with another account (`AuthorizeSnapshotAccess`
//! naming an `accountWithRestoreAccess` other than the event's own, successfully).
//!
//! Decisions: the warehouse form of `ebs-snapshot-shared` and `rds-snapshot-shared`:
//! the other account can restore the whole cluster, data included, in an account it
//! controls. Redshift snapshots cannot be made public, so only named accounts
//! count; a grant to the event's own account changes nothing. Shares that AWS
//! services make on their own are left out.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_caller_but_stack, foreign_account, succeeded_call};
use crate::event::Record;

pub struct RedshiftSnapshotShared;

const REDSHIFT: &str = "redshift.amazonaws.com";
const CALLS: &[&str] = &["AuthorizeSnapshotAccess"];

pub static META: Meta = Meta {
    id: "redshift-snapshot-shared",
    title: "AWS Redshift Snapshot Shared With Another Account",
    description: "A Redshift snapshot was shared with another AWS account, which can now \
                  restore the whole data warehouse from it in an account of its own.",
    severity: Severity::High,
    attack: &["T1537"],
    origins: &[
        "trailwatch: from a red-team gap hunt (Redshift snapshots shared out, beside the EBS \
         and RDS snapshot shares)",
    ],
    group: "backup-exposure",
    false_positives: &[
        "Snapshots shared on purpose with the organisation's analytics or disaster-recovery \
         accounts: tune by the account.",
    ],
    next_steps: "Identify the account. If it is not the organisation's, revoke the access \
                 (RevokeSnapshotAccess), check whether it restored or copied the snapshot, and \
                 revoke the caller's credentials.",
    evidence: "cluster other_account snapshot",
    triggers: &[Trigger::write(REDSHIFT, CALLS)],
    window: None,
};

impl Detection for RedshiftSnapshotShared {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, REDSHIFT, CALLS) || aws_service_caller_but_stack(rec) {
            return None;
        }
        let account = foreign_account(rec, rec.request_param_str("accountWithRestoreAccess")?)?;
        let snapshot = rec
            .request_param_str("snapshotIdentifier")
            .or_else(|| rec.request_param_str("snapshotArn"));
        fire(
            Evidence::new()
                .with_opt("snapshot", snapshot)
                .with_opt("cluster", rec.request_param_str("snapshotClusterIdentifier"))
                .with("other_account", account),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::{eval, fires};

    fn share(account: &str) -> String {
        format!(r#"{{"snapshotIdentifier":"rs:analytics-2026-05-04-10-00","snapshotClusterIdentifier":"analytics","accountWithRestoreAccess":"{account}"}}"#)
    }

    #[test]
    fn a_share_with_another_account_fires() {
        match eval(&RedshiftSnapshotShared, &record(REDSHIFT, "AuthorizeSnapshotAccess", ROLE, &share("444455556666"), "")) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("other_account").and_then(|v| v.as_str()), Some("444455556666"));
                assert_eq!(e.get("cluster").and_then(|v| v.as_str()), Some("analytics"));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn own_account_odd_values_services_failures_and_revocations_do_not() {
        for account in ["111122223333", "all", "", "4444"] {
            assert!(!fires(&RedshiftSnapshotShared, &record(REDSHIFT, "AuthorizeSnapshotAccess", ROLE, &share(account), "")), "{account}");
        }
        assert!(!fires(&RedshiftSnapshotShared, &record(REDSHIFT, "AuthorizeSnapshotAccess", SERVICE, &share("444455556666"), "")));
        assert!(!fires(&RedshiftSnapshotShared, &failed(REDSHIFT, "AuthorizeSnapshotAccess", ROLE, &share("444455556666"), "AccessDenied")));
        assert!(!fires(&RedshiftSnapshotShared, &record(REDSHIFT, "RevokeSnapshotAccess", ROLE, &share("444455556666"), "")));
    }
}
