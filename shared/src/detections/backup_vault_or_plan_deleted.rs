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
//!
//! Added after an evasion review, the ways to stop backups or their safety net
//! without deleting a vault: resource types opted out of AWS Backup in a Region
//! (`UpdateRegionSettings` with some `resourceTypeOptInPreference` false: every
//! plan then skips them), an EFS file system's automatic backups switched off
//! (`PutBackupPolicy` with status `DISABLED`), and a Recycle Bin retention rule
//! deleted or unlocked (`rbin` `DeleteRule`, `UnlockRule`: deleted snapshots and
//! images are then gone for good, not held for recovery). After a later review,
//! Data Lifecycle Manager, EBS's own snapshot and AMI scheduler: a lifecycle
//! policy deleted (`DeleteLifecyclePolicy`) or switched off (`UpdateLifecyclePolicy`
//! with `state` `DISABLED`), the scheduled snapshots stop as a deleted plan's
//! backups do.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_among, flag_value, succeeded_call, text_is, values_at_key};
use crate::event::Record;

pub struct BackupVaultOrPlanDeleted;

const BACKUP: &str = "backup.amazonaws.com";
const NAMES: &[&str] = &[
    "DeleteBackupPlan",
    "DeleteBackupVault",
    "DeleteBackupVaultLockConfiguration",
    "DeleteRecoveryPoint",
    "UpdateRegionSettings",
];
const EFS: &str = "elasticfilesystem.amazonaws.com";
const EFS_NAMES: &[&str] = &["PutBackupPolicy"];
const RECYCLE_BIN: &str = "rbin.amazonaws.com";
const RECYCLE_BIN_NAMES: &[&str] = &["DeleteRule", "UnlockRule"];
const DLM: &str = "dlm.amazonaws.com";
const DLM_NAMES: &[&str] = &["DeleteLifecyclePolicy", "UpdateLifecyclePolicy"];

pub static META: Meta = Meta {
    id: "backup-vault-or-plan-deleted",
    title: "AWS Backup Vault, Plan or Recovery Point Deleted, or Backups Switched Off",
    description: "Backups or the plans that make them were deleted, or backups were switched \
                  off (resource types opted out of AWS Backup, EFS automatic backups disabled, \
                  a Recycle Bin retention rule deleted or unlocked). Destroying backups before \
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
    evidence: "api backup_plan backup_vault file_system lifecycle_policy opted_out recovery_point \
        recycle_bin_rule",
    triggers: &[
        Trigger::write(BACKUP, NAMES),
        Trigger::write(EFS, EFS_NAMES),
        Trigger::write(RECYCLE_BIN, RECYCLE_BIN_NAMES),
        Trigger::write(DLM, DLM_NAMES),
    ],
    window: None,
};

/// The resource types AWS Backup protects by default in a Region: the console
/// and tools resend the whole preference map, where the newer types are off
/// unless someone turned them on, so only these switched off count (from a
/// review: enabling S3 listed five types as opted out).
const ON_BY_DEFAULT: &[&str] = &["Aurora", "DynamoDB", "EBS", "EC2", "EFS", "FSx", "RDS", "Storage Gateway"];

/// The on-by-default resource types a Region settings update opts out of AWS
/// Backup (set to false in `resourceTypeOptInPreference`); `None` when it opts
/// none out.
fn opted_out_types(rec: &Record<'_>) -> Option<Vec<String>> {
    let request = rec.request_parameters()?;
    let preferences = values_at_key(request, "resourceTypeOptInPreference");
    let out: Vec<String> = preferences
        .iter()
        .filter_map(|p| p.as_object())
        .flatten()
        .filter(|(kind, on)| {
            flag_value(on) == Some(false) && ON_BY_DEFAULT.iter().any(|d| d.eq_ignore_ascii_case(kind.trim()))
        })
        .map(|(kind, _)| kind.clone())
        .collect();
    (!out.is_empty()).then_some(out)
}

impl Detection for BackupVaultOrPlanDeleted {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        let calls = [(BACKUP, NAMES), (EFS, EFS_NAMES), (RECYCLE_BIN, RECYCLE_BIN_NAMES), (DLM, DLM_NAMES)];
        if !calls.iter().any(|(source, names)| succeeded_call(rec, source, names))
            || aws_service_among(rec, &[BACKUP])
        {
            return None;
        }
        let e = Evidence::new().with("api", rec.event_name());
        let e = match rec.event_name() {
            "UpdateRegionSettings" => e.with("opted_out", opted_out_types(rec)?),
            "PutBackupPolicy" => {
                let policy = rec.request_parameters().map(|r| values_at_key(r, "status")).unwrap_or_default();
                if !policy.iter().any(|s| text_is(Some(s), "DISABLED")) {
                    return None;
                }
                e.with_opt("file_system", rec.request_param_str("fileSystemId"))
            }
            "UpdateLifecyclePolicy" if !text_is(rec.request_param("state"), "DISABLED") => return None,
            "DeleteLifecyclePolicy" | "UpdateLifecyclePolicy" => {
                e.with_opt("lifecycle_policy", rec.request_param_str("policyId"))
            }
            "DeleteRule" | "UnlockRule" => {
                e.with_opt("recycle_bin_rule", rec.request_param_str("identifier"))
            }
            _ => e
                .with_opt("backup_vault", rec.request_param_str("backupVaultName"))
                .with_opt("backup_plan", rec.request_param_str("backupPlanId"))
                .with_opt("recovery_point", rec.request_param_str("recoveryPointArn")),
        };
        fire(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::fires;

    /// From an evasion review: backups switched off without a deletion.
    #[test]
    fn backups_switched_off_or_their_recycle_bin_removed_fire() {
        let opt_out = record(BACKUP, "UpdateRegionSettings", ROLE, r#"{"resourceTypeOptInPreference":{"EBS":true,"EFS":false,"RDS":"false"}}"#, "");
        assert!(fires(&BackupVaultOrPlanDeleted, &opt_out));
        let opt_in = record(BACKUP, "UpdateRegionSettings", ROLE, r#"{"resourceTypeOptInPreference":{"EBS":true},"resourceTypeManagementPreference":{"DynamoDB":true}}"#, "");
        assert!(!fires(&BackupVaultOrPlanDeleted, &opt_in));
        // The whole map resent with the newer types off, as tools send it.
        let whole_map = record(BACKUP, "UpdateRegionSettings", ROLE, r#"{"resourceTypeOptInPreference":{"EBS":true,"EC2":true,"S3":true,"Redshift":false,"Timestream":false,"DocumentDB":false,"Neptune":false}}"#, "");
        assert!(!fires(&BackupVaultOrPlanDeleted, &whole_map));
        let efs = |status: &str| record(EFS, "PutBackupPolicy", ROLE, &format!(r#"{{"fileSystemId":"fs-0a1b2c3d","backupPolicy":{{"status":"{status}"}}}}"#), "");
        assert!(fires(&BackupVaultOrPlanDeleted, &efs("DISABLED")));
        assert!(!fires(&BackupVaultOrPlanDeleted, &efs("ENABLED")));
        for name in RECYCLE_BIN_NAMES {
            assert!(fires(&BackupVaultOrPlanDeleted, &record(RECYCLE_BIN, name, ROLE, r#"{"identifier":"a1b2c3d4e5f"}"#, "")), "{name}");
        }
        assert!(!fires(&BackupVaultOrPlanDeleted, &record(RECYCLE_BIN, "CreateRule", ROLE, r#"{"resourceType":"EBS_SNAPSHOT"}"#, "")));
        assert!(!fires(&BackupVaultOrPlanDeleted, &failed(RECYCLE_BIN, "DeleteRule", ROLE, r#"{"identifier":"a1b2c3d4e5f"}"#, "ConflictException")));
    }

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

    /// From a later review: Data Lifecycle Manager's policies deleted or switched off.
    #[test]
    fn a_snapshot_lifecycle_policy_deleted_or_disabled_fires() {
        let dlm = |name: &str, params: &str| record(DLM, name, ROLE, params, "");
        assert!(fires(&BackupVaultOrPlanDeleted, &dlm("DeleteLifecyclePolicy", r#"{"policyId":"policy-0a1b2c3d4e5f60718"}"#)));
        assert!(fires(&BackupVaultOrPlanDeleted, &dlm("UpdateLifecyclePolicy", r#"{"policyId":"policy-0a1b2c3d4e5f60718","state":"DISABLED"}"#)));
        assert!(!fires(&BackupVaultOrPlanDeleted, &dlm("UpdateLifecyclePolicy", r#"{"policyId":"policy-0a1b2c3d4e5f60718","state":"ENABLED","description":"daily"}"#)));
        assert!(!fires(&BackupVaultOrPlanDeleted, &dlm("UpdateLifecyclePolicy", r#"{"policyId":"policy-0a1b2c3d4e5f60718","executionRoleArn":"arn:aws:iam::111122223333:role/dlm"}"#)));
    }
}
