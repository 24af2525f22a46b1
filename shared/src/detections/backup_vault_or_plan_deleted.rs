//! AWS Backup protection removed: a backup vault, backup plan or recovery point
//! deleted (`DeleteBackupVault`, `DeleteBackupPlan`, `DeleteRecoveryPoint`), or a
//! vault's lock removed (`DeleteBackupVaultLockConfiguration`), successfully.
//!
//! Decisions: deleting recovery points is included because a vault can only be
//! deleted once it is empty, so an attacker destroying backups deletes the points
//! first. Deletions by AWS Backup itself (retention expiry: an `AWSService` identity
//! or `invokedBy` AWS Backup) are skipped; a stack deletion that takes a vault or
//! plan with it counts. A plan's resource assignment deleted (`DeleteBackupSelection`)
//! is left out: AWS Backup has no call to change an assignment, so every change to
//! which resources a plan covers is a deletion followed by a creation.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_among, succeeded_call};
use crate::event::Record;

pub struct BackupVaultOrPlanDeleted;

const NAMES: &[&str] = &[
    "DeleteBackupPlan",
    "DeleteBackupVault",
    "DeleteBackupVaultLockConfiguration",
    "DeleteRecoveryPoint",
];

pub static META: Meta = Meta {
    id: "backup-vault-or-plan-deleted",
    title: "AWS Backup Vault, Plan or Recovery Point Deleted",
    description: "Backups or the plans that make them were deleted. Destroying backups before \
                  destroying or encrypting the data is the classic step that turns an incident \
                  into a permanent loss.",
    severity: Severity::Medium,
    attack: &["T1490"],
    origins: &["trailwatch: based on backup destruction before ransomware (AWS Backup Delete* calls)"],
    group: "backup-exposure",
    false_positives: &["Clean-up of obsolete plans and vaults by the backup administrators."],
    next_steps: "Check what the vault or plan protected and whether other copies exist. If the \
                 deletion was not planned, stop the caller, recreate the plan and review other \
                 destructive calls made by it.",
    triggers: &[Trigger::write("backup.amazonaws.com", NAMES)],
    window: None,
};

impl Detection for BackupVaultOrPlanDeleted {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, "backup.amazonaws.com", NAMES)
            || aws_service_among(rec, &["backup.amazonaws.com"])
        {
            return None;
        }
        fire(
            Evidence::new()
                .with_opt("backup_vault", rec.request_param_str("backupVaultName"))
                .with_opt("backup_plan", rec.request_param_str("backupPlanId"))
                .with_opt("recovery_point", rec.request_param_str("recoveryPointArn")),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::fires;

    #[test]
    fn fires_on_each_deletion() {
        for (name, params) in [
            ("DeleteBackupVault", r#"{"backupVaultName":"prod-vault"}"#),
            ("DeleteBackupPlan", r#"{"backupPlanId":"8a1b2c3d-0000-4a5b-9c8d-7e6f5a4b3c2d"}"#),
            ("DeleteRecoveryPoint", r#"{"backupVaultName":"prod-vault","recoveryPointArn":"arn:aws:ec2:us-east-1::snapshot/snap-1"}"#),
            ("DeleteBackupVaultLockConfiguration", r#"{"backupVaultName":"prod-vault"}"#),
        ] {
            assert!(fires(&BackupVaultOrPlanDeleted, &record("backup.amazonaws.com", name, ROLE, params, "")), "{name}");
        }
    }

    #[test]
    fn near_misses() {
        let p = r#"{"backupVaultName":"prod-vault"}"#;
        assert!(!fires(&BackupVaultOrPlanDeleted, &failed("backup.amazonaws.com", "DeleteBackupVault", ROLE, p, "InvalidRequestException")));
        assert!(!fires(&BackupVaultOrPlanDeleted, &record("backup.amazonaws.com", "DeleteRecoveryPoint", SERVICE, p, "")));
        let by_backup = ROLE.replace(r#""accountId":"111122223333","#, r#""accountId":"111122223333","invokedBy":"backup.amazonaws.com","#);
        assert_ne!(by_backup, ROLE);
        assert!(!fires(&BackupVaultOrPlanDeleted, &record("backup.amazonaws.com", "DeleteRecoveryPoint", &by_backup, p, "")));
        // A stack deleted with its vault or plan takes the protection away all the same.
        let by_stack = by_backup.replace("backup.amazonaws.com", "cloudformation.amazonaws.com");
        assert!(fires(&BackupVaultOrPlanDeleted, &record("backup.amazonaws.com", "DeleteRecoveryPoint", &by_stack, p, "")));
        assert!(!fires(&BackupVaultOrPlanDeleted, &record("backup.amazonaws.com", "DeleteBackupSelection", ROLE, p, "")));
    }
}
