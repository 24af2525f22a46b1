//! An AWS Backup vault's access policy opened to another account or to everyone
//! (`PutBackupVaultAccessPolicy`, successfully).
//!
//! Decisions: judged as the other resource policies are (`common::policy_exposure`):
//! an `Allow` statement for the principal `*` counts unless a `Condition` fences in
//! its callers (the organisation, named accounts...: the usual policy for
//! organisation-wide copies, open to `*` but fenced by `aws:PrincipalOrgID`, stays
//! quiet), and an account principal counts when it is not the event's own account.
//! `Deny` statements (the vault protections AWS recommends) open nothing. A vault
//! that another account may copy from, restore from or delete in hands that account
//! the backups. A grant of `backup:CopyIntoBackupVault` alone opens nothing either:
//! it is how AWS's cross-account backup lets member accounts copy into a central
//! vault, and it lets no one read, copy out or delete (from a review: it fired on
//! that set-up).

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{one_or_many, policy_document, policy_exposure, request_param_any, succeeded_call};
use crate::event::Record;

pub struct BackupVaultPolicyExternalAccess;

const BACKUP: &str = "backup.amazonaws.com";
const CALLS: &[&str] = &["PutBackupVaultAccessPolicy"];

pub static META: Meta = Meta {
    id: "backup-vault-policy-external-access",
    title: "AWS Backup Vault Opened to Another Account or Everyone",
    description: "A backup vault's access policy now lets another AWS account, or anyone, act \
                  on it. An account that may copy or restore recovery points from the vault \
                  takes the backups with it; one that may delete them can destroy the copy \
                  meant to survive an attack.",
    severity: Severity::High,
    attack: &["T1537", "T1490"],
    origins: &[
        "trailwatch: from a red-team gap hunt (resource policies opened on services no \
         detection watched: AWS Backup vaults)",
    ],
    group: "backup-exposure",
    false_positives: &[
        "A central backup account allowed into its members' vaults by account id rather than \
         by organisation: tune by the account.",
    ],
    next_steps: "Read the policy in the evidence: which accounts, which actions? If the \
                 receiving account is unknown, put the previous policy back, check the vault's \
                 copy and restore jobs since the change, and revoke the caller's credentials.",
    evidence: "backup_vault other_accounts other_organizations public",
    triggers: &[Trigger::write(BACKUP, CALLS)],
    window: None,
};

impl Detection for BackupVaultPolicyExternalAccess {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, BACKUP, CALLS) {
            return None;
        }
        let doc = policy_document(request_param_any(rec, &["policy", "Policy"])?)?;
        let exposure = policy_exposure(&doc, rec.account_id(), grants_more_than_copying_in);
        if !exposure.exposed() {
            return None;
        }
        let vault = rec
            .request_param_str("backupVaultName")
            .or_else(|| rec.request_param_str("BackupVaultName"));
        fire(exposure.exposure_evidence(Evidence::new().with_opt("backup_vault", vault)))
    }
}

/// The statement allows something besides copying recovery points into the vault
/// (a pattern, `NotAction`, or an action that is not text counts as more).
fn grants_more_than_copying_in(statement: &serde_json::Value) -> bool {
    match (statement.get("Action"), statement.get("NotAction")) {
        (Some(actions), _) => one_or_many(Some(actions)).iter().any(|a| {
            a.as_str()
                .is_none_or(|a| !a.trim().eq_ignore_ascii_case("backup:CopyIntoBackupVault"))
        }),
        (None, Some(_)) => true,
        (None, None) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, failed, record};
    use crate::detections::common::testing::{eval, fires};

    fn params(statement: &str) -> String {
        let text = format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#);
        format!(r#"{{"backupVaultName":"prod-vault","policy":{}}}"#, serde_json::to_string(&text).unwrap())
    }

    const FOREIGN: &str = r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"backup:CopyFromBackupVault","Resource":"*"}"#;
    const PUBLIC: &str = r#"{"Effect":"Allow","Principal":"*","Action":"backup:*","Resource":"*"}"#;

    #[test]
    fn copying_in_beside_more_or_by_pattern_still_fires() {
        for st in [
            r#"{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":["backup:CopyIntoBackupVault","backup:DeleteRecoveryPoint"],"Resource":"*"}"#,
            r#"{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"backup:Copy*","Resource":"*"}"#,
            r#"{"Effect":"Allow","Principal":{"AWS":"444455556666"},"NotAction":"backup:CopyIntoBackupVault","Resource":"*"}"#,
        ] {
            assert!(fires(&BackupVaultPolicyExternalAccess, &record(BACKUP, "PutBackupVaultAccessPolicy", ROLE, &params(st), "")), "{st}");
        }
    }

    #[test]
    fn a_vault_opened_to_another_account_or_everyone_fires() {
        match eval(&BackupVaultPolicyExternalAccess, &record(BACKUP, "PutBackupVaultAccessPolicy", ROLE, &params(FOREIGN), "")) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("other_accounts"), Some(&serde_json::json!(["444455556666"])));
                assert_eq!(e.get("backup_vault").and_then(|v| v.as_str()), Some("prod-vault"));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        match eval(&BackupVaultPolicyExternalAccess, &record(BACKUP, "PutBackupVaultAccessPolicy", ROLE, &params(PUBLIC), "")) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("public"), Some(&serde_json::json!(true))),
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn fenced_denying_own_account_and_failed_policies_do_not() {
        let org = r#"{"Effect":"Allow","Principal":"*","Action":"backup:CopyIntoBackupVault","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}"#;
        let deny = r#"{"Effect":"Deny","Principal":"*","Action":["backup:DeleteRecoveryPoint","backup:DeleteBackupVault"],"Resource":"*"}"#;
        let own = r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/BackupAdmin"},"Action":"backup:*","Resource":"*"}"#;
        // The central vault of AWS's cross-account backup: members copy in, nothing more.
        let copy_in = r#"{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::444455556666:root","555566667777"]},"Action":"backup:CopyIntoBackupVault","Resource":"*"}"#;
        for st in [org, deny, own, copy_in] {
            assert!(!fires(&BackupVaultPolicyExternalAccess, &record(BACKUP, "PutBackupVaultAccessPolicy", ROLE, &params(st), "")), "{st}");
        }
        assert!(!fires(&BackupVaultPolicyExternalAccess, &failed(BACKUP, "PutBackupVaultAccessPolicy", ROLE, &params(PUBLIC), "AccessDeniedException")));
        assert!(!fires(&BackupVaultPolicyExternalAccess, &record(BACKUP, "PutBackupVaultNotifications", ROLE, &params(PUBLIC), "")));
        assert!(!fires(&BackupVaultPolicyExternalAccess, &record(BACKUP, "PutBackupVaultAccessPolicy", ROLE, r#"{"backupVaultName":"v","policy":"not json"}"#, "")));
    }
}
