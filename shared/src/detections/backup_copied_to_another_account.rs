//! Backups sent to a vault in another account, successfully: a copy job started by
//! hand (`StartCopyJob`), or a backup plan created or changed so that its rules copy
//! every recovery point there (`CreateBackupPlan`, `UpdateBackupPlan` with a copy
//! action's `DestinationBackupVaultArn`); or a Data Lifecycle Manager policy whose
//! share rules hand every snapshot it takes to other accounts
//! (`CreateLifecyclePolicy`, `UpdateLifecyclePolicy` with `shareRules`'
//! `targetAccounts`: the scheduled shares themselves are DLM's, from a review).
//! From a later review: an EFS file system replicated to another account
//! (`CreateReplicationConfiguration` whose destination `fileSystemId` is an ARN of
//! another account: a live copy of every file there), and an organisation's backup
//! policy (`CreatePolicy`, `UpdatePolicy` of Organizations, the policy's
//! `target_backup_vault_arn` in another account: every member account's plans
//! copy there: a central backup account is AWS's recommended design, so medium as
//! a plan's copy rule is, the account named for the analyst).
//!
//! Decisions: the destination counts when its vault ARN names an account other than
//! the one the event was recorded in. The vault ARN is looked for under its name at
//! any depth of the request, in either casing, since a plan nests it in a list of
//! rules, each with a list of copy actions. Copies that AWS services start on their
//! own (a plan's scheduled copies) are left out: the plan that asked for them is
//! what this watches. Organisations that keep a central backup account will see
//! their own copies here, and tune by that account.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    arn_account, aws_service_caller_but_stack, foreign_arn_account, keep_first_occurrences, one_or_many, other_accounts,
    organizations, policy_document, request_text_any, succeeded_call, texts_at_key, values_at_key,
};
use crate::event::Record;

pub struct BackupCopiedToAnotherAccount;

const BACKUP: &str = "backup.amazonaws.com";
const CALLS: &[&str] = &["StartCopyJob", "CreateBackupPlan", "UpdateBackupPlan"];
const DLM: &str = "dlm.amazonaws.com";
const DLM_CALLS: &[&str] = &["CreateLifecyclePolicy", "UpdateLifecyclePolicy"];
const EFS: &str = "elasticfilesystem.amazonaws.com";
const EFS_CALLS: &[&str] = &["CreateReplicationConfiguration"];
const ORGANIZATIONS: &str = "organizations.amazonaws.com";
const ORGANIZATION_POLICY: &[&str] = &["CreatePolicy", "UpdatePolicy"];

pub static META: Meta = Meta {
    id: "backup-copied-to-another-account",
    title: "AWS Backup Copied to Another Account",
    description: "A backup copy job, a backup plan's copy rule, or a Data Lifecycle Manager \
                  policy's share rule sends recovery points or snapshots to another AWS \
                  account. The other account gets a full copy of the \
                  data it can restore on its own, out of reach of this account's controls.",
    severity: Severity::Medium,
    attack: &["T1537"],
    origins: &[
        "trailwatch: from a red-team gap hunt (AWS Backup recovery points copied to an \
         account outside the organisation)",
    ],
    group: "backup-exposure",
    false_positives: &[
        "A central backup account of the organisation receiving its members' copies: tune by \
         that account.",
    ],
    next_steps: "Identify the destination account. If it is not the organisation's, stop the \
                 copy jobs, remove the copy rule from the plan, and revoke the caller's \
                 credentials; ask the destination's owner to delete the copies if possible.",
    evidence: "api backup_plan description destination_file_systems destination_vaults \
        file_system lifecycle_policy other_accounts recovery_point",
    triggers: &[
        Trigger::write(BACKUP, CALLS),
        Trigger::write(DLM, DLM_CALLS),
        Trigger::write(EFS, EFS_CALLS),
        Trigger::write(ORGANIZATIONS, ORGANIZATION_POLICY),
    ],
    window: None,
};

impl Detection for BackupCopiedToAnotherAccount {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if aws_service_caller_but_stack(rec) {
            return None;
        }
        if succeeded_call(rec, DLM, DLM_CALLS) {
            return lifecycle_policy_shares(rec);
        }
        if succeeded_call(rec, EFS, EFS_CALLS) {
            return efs_replicated_out(rec);
        }
        let organization_policy = succeeded_call(rec, ORGANIZATIONS, ORGANIZATION_POLICY);
        if !organization_policy && !succeeded_call(rec, BACKUP, CALLS) {
            return None;
        }
        let own = rec.account_id();
        let document = organization_policy
            .then(|| rec.request_param("content").and_then(policy_document))
            .flatten();
        let named: Vec<&str> = match &document {
            // An organisation's backup policy: each copy action's target, assigned.
            Some(doc) => values_at_key(doc, "target_backup_vault_arn")
                .into_iter()
                .filter_map(|v| organizations::assigned(v).as_str())
                .collect(),
            None if organization_policy => return None,
            None => texts_at_key(rec.request_parameters()?, "destinationBackupVaultArn"),
        };
        let mut vaults: Vec<&str> = named
            .into_iter()
            .map(str::trim)
            .filter(|v| foreign_arn_account(rec, v).is_some())
            .collect();
        keep_first_occurrences(&mut vaults);
        if vaults.is_empty() {
            return None;
        }
        let accounts = other_accounts(vaults.iter().filter_map(|v| arn_account(v)), own);
        let plan = request_text_any(rec, &["backupPlanId", "BackupPlanId", "policyId", "name"]);
        let source = request_text_any(rec, &["recoveryPointArn", "RecoveryPointArn"]);
        fire(
            Evidence::new()
                .with("api", rec.event_name())
                .with("destination_vaults", vaults)
                .with("other_accounts", accounts)
                .with_opt("backup_plan", plan)
                .with_opt("recovery_point", source),
        )
    }
}

/// An EFS replication whose destination file system is another account's (named by
/// its ARN).
fn efs_replicated_out(rec: &Record<'_>) -> Option<Signal> {
    let destinations: Vec<&str> = values_at_key(rec.request_param("destinations")?, "fileSystemId")
        .into_iter()
        .filter_map(|d| d.as_str())
        .map(str::trim)
        .filter(|d| foreign_arn_account(rec, d).is_some())
        .collect();
    if destinations.is_empty() {
        return None;
    }
    let accounts = other_accounts(destinations.iter().filter_map(|d| arn_account(d)), rec.account_id());
    fire(
        Evidence::new()
            .with("api", rec.event_name())
            .with("destination_file_systems", destinations.clone())
            .with("other_accounts", accounts)
            .with_opt("file_system", request_text_any(rec, &["sourceFileSystemId", "SourceFileSystemId"])),
    )
}

/// A DLM policy sharing its snapshots with accounts other than the record's own.
fn lifecycle_policy_shares(rec: &Record<'_>) -> Option<Signal> {
    let targets = values_at_key(rec.request_parameters()?, "targetAccounts");
    let accounts = other_accounts(
        targets
            .into_iter()
            .flat_map(|t| one_or_many(Some(t)))
            .filter_map(|a| a.as_str()),
        rec.account_id(),
    );
    if accounts.is_empty() {
        return None;
    }
    fire(
        Evidence::new()
            .with("api", rec.event_name())
            .with("other_accounts", accounts)
            .with_opt("lifecycle_policy", request_text_any(rec, &["policyId", "PolicyId"]))
            .with_opt("description", request_text_any(rec, &["description", "Description"])),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::{eval, fires};

    const FOREIGN_VAULT: &str = "arn:aws:backup:us-east-1:444455556666:backup-vault:drop";
    const OWN_VAULT: &str = "arn:aws:backup:us-west-2:111122223333:backup-vault:dr";

    fn copy(vault: &str) -> String {
        format!(
            r#"{{"recoveryPointArn":"arn:aws:ec2:us-east-1::snapshot/snap-0a1b2c3d4e5f60718","sourceBackupVaultName":"prod",
            "destinationBackupVaultArn":"{vault}","iamRoleArn":"arn:aws:iam::111122223333:role/service-role/AWSBackupDefaultServiceRole"}}"#
        )
    }

    fn plan(vaults: &[&str]) -> String {
        let actions: Vec<String> = vaults
            .iter()
            .map(|v| format!(r#"{{"DestinationBackupVaultArn":"{v}","Lifecycle":{{"DeleteAfterDays":35}}}}"#))
            .collect();
        format!(
            r#"{{"backupPlanId":"0f1e2d3c-4b5a","backupPlan":{{"BackupPlanName":"nightly","Rules":[
            {{"RuleName":"daily","TargetBackupVaultName":"prod","CopyActions":[{}]}}]}}}}"#,
            actions.join(",")
        )
    }

    #[test]
    fn a_copy_job_or_a_plan_copying_to_another_account_fires() {
        match eval(&BackupCopiedToAnotherAccount, &record(BACKUP, "StartCopyJob", ROLE, &copy(FOREIGN_VAULT), "")) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("other_accounts"), Some(&serde_json::json!(["444455556666"])));
                assert!(e.get("recovery_point").is_some());
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        for name in ["CreateBackupPlan", "UpdateBackupPlan"] {
            match eval(&BackupCopiedToAnotherAccount, &record(BACKUP, name, ROLE, &plan(&[OWN_VAULT, FOREIGN_VAULT]), "")) {
                Some(Signal::Fire(e)) => assert_eq!(e.get("destination_vaults"), Some(&serde_json::json!([FOREIGN_VAULT])), "{name}"),
                other => panic!("expected a finding for {name}, got {other:?}"),
            }
        }
    }

    fn lifecycle(targets: &str) -> String {
        format!(
            r#"{{"executionRoleArn":"arn:aws:iam::111122223333:role/AWSDataLifecycleManagerDefaultRole",
            "description":"daily","state":"ENABLED","policyDetails":{{"policyType":"EBS_SNAPSHOT_MANAGEMENT",
            "resourceTypes":["VOLUME"],"targetTags":[{{"key":"backup","value":"true"}}],
            "schedules":[{{"name":"daily","createRule":{{"interval":24,"intervalUnit":"HOURS"}},
            "retainRule":{{"count":7}},"shareRules":[{{"targetAccounts":{targets}}}]}}]}}}}"#
        )
    }

    /// From a review: a DLM policy's share rule hands every snapshot it takes to
    /// another account.
    #[test]
    fn a_lifecycle_policy_sharing_with_another_account_fires() {
        for name in ["CreateLifecyclePolicy", "UpdateLifecyclePolicy"] {
            match eval(&BackupCopiedToAnotherAccount, &record(DLM, name, ROLE, &lifecycle(r#"["111122223333","444455556666"]"#), "")) {
                Some(Signal::Fire(e)) => assert_eq!(e.get("other_accounts"), Some(&serde_json::json!(["444455556666"])), "{name}"),
                other => panic!("expected a finding for {name}, got {other:?}"),
            }
        }
        assert!(!fires(&BackupCopiedToAnotherAccount, &record(DLM, "CreateLifecyclePolicy", ROLE, &lifecycle(r#"["111122223333"]"#), "")));
        assert!(!fires(&BackupCopiedToAnotherAccount, &record(DLM, "CreateLifecyclePolicy", ROLE, &lifecycle("[]"), "")));
        assert!(!fires(&BackupCopiedToAnotherAccount, &failed(DLM, "CreateLifecyclePolicy", ROLE, &lifecycle(r#"["444455556666"]"#), "AccessDeniedException")));
        assert!(!fires(&BackupCopiedToAnotherAccount, &record(DLM, "DeleteLifecyclePolicy", ROLE, &lifecycle(r#"["444455556666"]"#), "")));
    }

    #[test]
    fn own_vaults_plans_without_copies_services_and_failures_do_not() {
        assert!(!fires(&BackupCopiedToAnotherAccount, &record(BACKUP, "StartCopyJob", ROLE, &copy(OWN_VAULT), "")));
        assert!(!fires(&BackupCopiedToAnotherAccount, &record(BACKUP, "CreateBackupPlan", ROLE, &plan(&[OWN_VAULT]), "")));
        assert!(!fires(&BackupCopiedToAnotherAccount, &record(BACKUP, "CreateBackupPlan", ROLE, &plan(&[]), "")));
        assert!(!fires(&BackupCopiedToAnotherAccount, &record(BACKUP, "StartCopyJob", ROLE, &copy("drop"), "")));
        assert!(!fires(&BackupCopiedToAnotherAccount, &record(BACKUP, "StartCopyJob", SERVICE, &copy(FOREIGN_VAULT), "")));
        assert!(!fires(&BackupCopiedToAnotherAccount, &failed(BACKUP, "StartCopyJob", ROLE, &copy(FOREIGN_VAULT), "AccessDeniedException")));
        assert!(!fires(&BackupCopiedToAnotherAccount, &record(BACKUP, "StartBackupJob", ROLE, &copy(FOREIGN_VAULT), "")));
    }

    /// From a later review: an EFS file system replicated to another account, and
    /// an organisation's backup policy copying to another account's vault.
    #[test]
    fn efs_replication_and_organisation_backup_policies_to_another_account_fire() {
        let efs = |destination: &str| {
            record(EFS, "CreateReplicationConfiguration", ROLE, &format!(
                r#"{{"sourceFileSystemId":"fs-0a1b2c3d","destinations":[{{"fileSystemId":"{destination}","region":"us-east-1","roleArn":"arn:aws:iam::111122223333:role/efs-repl"}}]}}"#
            ), "")
        };
        assert!(fires(&BackupCopiedToAnotherAccount, &efs("arn:aws:elasticfilesystem:us-east-1:444455556666:file-system/fs-0f9e8d7c")));
        assert!(!fires(&BackupCopiedToAnotherAccount, &efs("fs-0f9e8d7c")));
        let policy = |vault: &str| {
            let doc = format!(
                r#"{{"plans":{{"daily":{{"rules":{{"d":{{"target_backup_vault_name":{{"@@assign":"Default"}},"copy_actions":{{"{vault}":{{"target_backup_vault_arn":{{"@@assign":"{vault}"}},"lifecycle":{{"delete_after_days":{{"@@assign":"30"}}}}}}}}}}}}}}}}}}"#
            );
            let doc = serde_json::to_string(&doc).unwrap();
            record(ORGANIZATIONS, "CreatePolicy", ROLE, &format!(r#"{{"name":"org-backups","type":"BACKUP_POLICY","content":{doc}}}"#), "")
        };
        let outside = policy("arn:aws:backup:us-east-1:444455556666:backup-vault:collector");
        assert!(fires(&BackupCopiedToAnotherAccount, &outside));
        // Each member's own vault (the policy's placeholder), and a policy of another kind.
        assert!(!fires(&BackupCopiedToAnotherAccount, &policy("arn:aws:backup:us-east-1:$account:backup-vault:secondary")));
        let scp = record(ORGANIZATIONS, "CreatePolicy", ROLE, r#"{"name":"x","type":"SERVICE_CONTROL_POLICY","content":"{\"Version\":\"2012-10-17\",\"Statement\":[]}"}"#, "");
        assert!(!fires(&BackupCopiedToAnotherAccount, &scp));
    }
}
