//! One caller deleting many snapshots: at least ten distinct EBS, RDS or Aurora
//! snapshots (`DeleteSnapshot`, `DeleteDBSnapshot`, `DeleteDBClusterSnapshot`) within
//! ten minutes, successfully.
//!
//! Decisions: each call deletes one snapshot, so the window counts snapshot ids per
//! account and caller (the session for assumed roles, as the other bursts). Ten in
//! ten minutes is far above a person's tidying and below a script wiping a
//! Region's recovery copies before ransomware or a wiper runs. Deletions AWS
//! services make on their own (Data Lifecycle Manager and AWS Backup retention,
//! by `invokedBy` or an `AWSService` identity) are left out; a stack's deletions
//! count, as the person's own.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, WindowSpec};
use crate::detections::common::{account_actor_group, aws_service_caller_but_stack, request_text_any, succeeded_call};
use crate::event::Record;

pub struct SnapshotsDeletedBurst;

const EC2: &str = "ec2.amazonaws.com";
const RDS: &str = "rds.amazonaws.com";
const EC2_CALLS: &[&str] = &["DeleteSnapshot"];
const RDS_CALLS: &[&str] = &["DeleteDBClusterSnapshot", "DeleteDBSnapshot"];

pub static META: Meta = Meta {
    id: "snapshots-deleted-burst",
    title: "AWS Many Snapshots Deleted by One Caller",
    description: "One caller deleted at least ten different EBS or database snapshots within \
                  ten minutes. Wiping the recovery copies is how ransomware and destructive \
                  attacks make sure the damage that follows cannot be undone.",
    severity: Severity::High,
    attack: &["T1490", "T1485"],
    origins: &[
        "trailwatch: from a red-team gap hunt (destruction bursts: snapshots deleted en masse \
         before an impact)",
    ],
    group: "backup-exposure",
    false_positives: &[
        "Clean-up scripts that prune old snapshots under a person's or a pipeline's \
         credentials: tune by that role.",
    ],
    next_steps: "Stop the caller: revoke its credentials. Check what recovery copies remain \
                 (other Regions, AWS Backup vaults, shared copies) and what the caller did \
                 next.",
    triggers: &[Trigger::write(EC2, EC2_CALLS), Trigger::write(RDS, RDS_CALLS)],
    window: Some(WindowSpec::Distinct {
        window_secs: 600,
        min_distinct: 10,
    }),
};

impl Detection for SnapshotsDeletedBurst {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !(succeeded_call(rec, EC2, EC2_CALLS) || succeeded_call(rec, RDS, RDS_CALLS))
            || aws_service_caller_but_stack(rec)
        {
            return None;
        }
        let snapshot = request_text_any(rec, &["snapshotId", "dBSnapshotIdentifier", "dBClusterSnapshotIdentifier"])?
            .trim();
        if snapshot.is_empty() {
            return None;
        }
        Some(Signal::Distinct {
            group: account_actor_group(rec),
            value: snapshot.to_owned(),
            evidence: Evidence::new()
                .with("api", rec.event_name())
                .with_opt("source_ip", rec.source_ip()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::eval;

    #[test]
    fn each_deleted_snapshot_counts_per_caller() {
        for (source, name, params, id) in [
            (EC2, "DeleteSnapshot", r#"{"snapshotId":"snap-0a1b2c3d4e5f60718"}"#, "snap-0a1b2c3d4e5f60718"),
            (RDS, "DeleteDBSnapshot", r#"{"dBSnapshotIdentifier":"orders-2026-05-01"}"#, "orders-2026-05-01"),
            (RDS, "DeleteDBClusterSnapshot", r#"{"dBClusterSnapshotIdentifier":"c-2026-05-01"}"#, "c-2026-05-01"),
        ] {
            match eval(&SnapshotsDeletedBurst, &record(source, name, ROLE, params, "")) {
                Some(Signal::Distinct { group, value, .. }) => {
                    assert_eq!(group, "111122223333|arn:aws:sts::111122223333:assumed-role/DataOps/ops-session");
                    assert_eq!(value, id);
                }
                other => panic!("expected an observation for {name}, got {other:?}"),
            }
        }
    }

    #[test]
    fn services_failures_unnamed_and_other_calls_do_not_count() {
        let params = r#"{"snapshotId":"snap-1"}"#;
        assert_eq!(eval(&SnapshotsDeletedBurst, &record(EC2, "DeleteSnapshot", SERVICE, params, "")), None);
        assert_eq!(eval(&SnapshotsDeletedBurst, &failed(EC2, "DeleteSnapshot", ROLE, params, "InvalidSnapshot.InUse")), None);
        assert_eq!(eval(&SnapshotsDeletedBurst, &record(EC2, "DeleteSnapshot", ROLE, r#"{"snapshotId":" "}"#, "")), None);
        assert_eq!(eval(&SnapshotsDeletedBurst, &record(EC2, "DeleteSnapshot", ROLE, "null", "")), None);
        assert_eq!(eval(&SnapshotsDeletedBurst, &record(EC2, "CreateSnapshot", ROLE, params, "")), None);
        assert_eq!(eval(&SnapshotsDeletedBurst, &record(RDS, "DeleteSnapshot", ROLE, params, "")), None);
    }
}
