//! Backups set to expire within days, successfully: a recovery point's lifecycle
//! changed (`UpdateRecoveryPointLifecycle`) or a backup plan's rule created or
//! changed (`CreateBackupPlan`, `UpdateBackupPlan`, their copy actions included) so
//! that recovery points are deleted less than three days after they are made.
//!
//! Decisions: the quiet way to destroy backups: nothing is deleted by the caller,
//! AWS Backup's own retention does it a day later, as `backup-vault-or-plan-deleted`
//! leaves AWS Backup's deletions out. Below three days, as for S3 lifecycle rules
//! (`s3-bucket-lifecycle-short-expiration`). `DeleteAfterDays` is read at any depth
//! and in either casing, as a number or its text; a rule without one keeps its
//! points until deleted and does not count. Changes AWS services make on their own
//! are left out; a stack's change counts.
//!
//! A recovery point's `DeleteAfterDays` counts from the point's creation, not from
//! the call: 7 on a point made 60 days ago deletes it at once (from a review). So
//! for `UpdateRecoveryPointLifecycle` the answer decides when it says when:
//! `calculatedLifecycle.deleteAt` less than three days after the event fires,
//! later does not. Without a readable answer, the days requested are judged as for
//! a plan.
//!
//! From a third evasion review, the same setting elsewhere: an organisation's
//! backup policy (Organizations `CreatePolicy`, `UpdatePolicy` of a
//! `BACKUP_POLICY`) whose rules' `lifecycle.delete_after_days` (bare or
//! `@@assign`) is under three, reaching every member account; a Data Lifecycle
//! Manager policy whose schedule's `retainRule` keeps snapshots under three days
//! (`interval` in `DAYS`), or a default policy's `retainInterval` under three
//! (DLM deletes older ones itself; judged whatever the policy's state); and a
//! Recycle Bin rule whose retention is cut under three days (`UpdateRule`,
//! `retentionPeriod`: deleted snapshots and images then leave the bin for good
//! within a day). A DLM rule that keeps a count of snapshots is judged by the
//! hours its schedule's interval makes of it (seventh session); one made by a
//! cron expression is not.
//!
//! From a review of false positives (eighth session): a DLM schedule with an
//! `archiveRule` is not judged by its standard tier (its snapshots move to the
//! archive, kept 90 days at least); a new backup plan or DLM policy that also
//! keeps backups three days or more is medium, as it holds no recovery points
//! yet. One that keeps nothing that long, and an organisation's new backup
//! policy (which overrides members' plans once attached), stay high (from an
//! evasion review). A change to an existing plan stays high, even one that
//! restates a short rule beside the rule it lengthens: the record does not say
//! which changed.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    aws_service_caller_but_stack, one_or_many, organizations, policy_document, request_text_any, succeeded_call, text_is, values_at_key,
    whole_number,
};
use crate::event::Record;
use crate::event::time::{format_event_time, parse_response_time};

pub struct BackupRetentionShortened;

const BACKUP: &str = "backup.amazonaws.com";
const CALLS: &[&str] = &["CreateBackupPlan", "UpdateBackupPlan", "UpdateRecoveryPointLifecycle"];
const ORGANIZATIONS: &str = "organizations.amazonaws.com";
const ORGANIZATION_POLICY: &[&str] = &["CreatePolicy", "UpdatePolicy"];
const DLM: &str = "dlm.amazonaws.com";
const DLM_CALLS: &[&str] = &["CreateLifecyclePolicy", "UpdateLifecyclePolicy"];
const RECYCLE_BIN: &str = "rbin.amazonaws.com";
const RECYCLE_BIN_CALLS: &[&str] = &["UpdateRule"];
/// Retention below this many days fires.
const MAX_DAYS_EXCLUSIVE: u64 = 3;
const DAY_MS: i64 = 86_400_000;

pub static META: Meta = Meta {
    id: "backup-retention-shortened",
    title: "AWS Backup Recovery Points Set to Expire Within Days",
    description: "A recovery point, a backup plan's rule, an organisation's backup policy or \
                  a Data Lifecycle Manager policy was set to delete backups less than three days \
                  after they are made, or the Recycle Bin to let deleted snapshots and images \
                  go within days. AWS Backup then deletes them itself: a \
                  way to destroy the backups without a deletion by the caller in the trail.",
    severity: Severity::High,
    attack: &["T1490"],
    origins: &[
        "trailwatch: from a red-team gap hunt (recovery points expiring within days, backups \
         destroyed through their own retention)",
    ],
    group: "backup-exposure",
    false_positives: &[
        "Short-lived test plans, or frequent backups of scratch data kept a day or two on \
         purpose: tune by the plan or vault.",
    ],
    next_steps: "Set the retention back on the affected plans and recovery points before AWS \
                 Backup acts on it, check what was already deleted, and revoke the caller's \
                 credentials if the change was not planned.",
    evidence: "api delete_after_days deletes_at kept_hours retention_days scope target",
    triggers: &[
        Trigger::write(BACKUP, CALLS),
        Trigger::write(ORGANIZATIONS, ORGANIZATION_POLICY),
        Trigger::write(DLM, DLM_CALLS),
        Trigger::write(RECYCLE_BIN, RECYCLE_BIN_CALLS),
    ],
    window: None,
};

impl Detection for BackupRetentionShortened {
    fn meta(&self) -> &'static Meta {
        &META
    }

    /// A new backup plan or Data Lifecycle Manager policy that also keeps
    /// backups three days or more (the tiered plan: hourly points kept a day,
    /// daily ones five weeks) is medium: it holds no recovery points yet, and
    /// the points of other plans keep their own lifecycle (from a review: the
    /// classic hourly plan paged high). One that keeps nothing that long stays
    /// high: swapped in for the old one, it is the update's end by another way
    /// (from an evasion review). An organisation's new backup policy stays
    /// high: its `@@assign` overrides the members' plans of the same name once
    /// it is attached.
    fn severity_for(&self, rec: &Record<'_>) -> Severity {
        let longest_hours = match rec.event_name() {
            "CreateBackupPlan" if rec.event_source() == BACKUP => rec
                .request_parameters()
                .and_then(|p| kept_days(p).max())
                .map(|days| days.saturating_mul(24)),
            "CreateLifecyclePolicy" if rec.event_source() == DLM => {
                rec.request_parameters().and_then(|p| dlm_kept_hours(p).into_iter().max())
            }
            _ => None,
        };
        if longest_hours.is_some_and(|h| h >= MAX_DAYS_EXCLUSIVE * 24) {
            Severity::Medium
        } else {
            META.severity
        }
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if aws_service_caller_but_stack(rec) {
            return None;
        }
        if succeeded_call(rec, ORGANIZATIONS, ORGANIZATION_POLICY) {
            return organization_policy(rec);
        }
        if succeeded_call(rec, DLM, DLM_CALLS) {
            return lifecycle_policy(rec);
        }
        if succeeded_call(rec, RECYCLE_BIN, RECYCLE_BIN_CALLS) {
            return recycle_bin_rule(rec);
        }
        if !succeeded_call(rec, BACKUP, CALLS) {
            return None;
        }
        let shortest = kept_days(rec.request_parameters()?).min()?;
        let deletes_at = point_deletion(rec);
        let soon = match (deletes_at, rec.event_time_ms()) {
            (Some(at), Some(now)) => at - now < MAX_DAYS_EXCLUSIVE as i64 * DAY_MS,
            _ => shortest < MAX_DAYS_EXCLUSIVE,
        };
        if !soon {
            return None;
        }
        let target = request_text_any(rec, &["recoveryPointArn", "backupPlanId", "backupVaultName"])
            .or_else(|| {
                let plan = rec.request_param("backupPlan")?;
                ["backupPlanName", "BackupPlanName"]
                    .into_iter()
                    .find_map(|k| plan.get(k)?.as_str())
            });
        fire(
            Evidence::new()
                .with("api", rec.event_name())
                .with_opt("target", target)
                .with("delete_after_days", shortest)
                .with_opt("deletes_at", deletes_at.map(format_event_time)),
        )
    }
}

/// The days an AWS Backup request's rules and copy actions keep recovery points
/// (`DeleteAfterDays` at any depth, in either casing, a number or its text).
fn kept_days(params: &serde_json::Value) -> impl Iterator<Item = u64> + '_ {
    values_at_key(params, "deleteAfterDays")
        .into_iter()
        .filter_map(|v| whole_number(Some(v)))
}

/// A number of days given as a number or its text, or as an organisation
/// policy's `{"@@assign": ...}` of one.
fn days(v: &serde_json::Value) -> Option<u64> {
    whole_number(Some(organizations::assigned(v)))
}

/// An organisation's backup policy whose rules keep recovery points under
/// three days.
fn organization_policy(rec: &Record<'_>) -> Option<Signal> {
    let doc = policy_document(rec.request_param("content")?)?;
    let shortest = values_at_key(&doc, "delete_after_days")
        .into_iter()
        .filter_map(days)
        .min()
        .filter(|d| *d < MAX_DAYS_EXCLUSIVE)?;
    fire(
        Evidence::new()
            .with("api", rec.event_name())
            .with("scope", "organization")
            .with_opt("target", rec.request_param_str("name").or_else(|| rec.request_param_str("policyId")))
            .with("delete_after_days", shortest),
    )
}

/// A Data Lifecycle Manager policy whose schedule keeps snapshots under three
/// days: a `retainRule` by interval in days, or a default policy's
/// `retainInterval` (days, at the top of the request or in its
/// `policyDetails`), or by count: a schedule that keeps `count` snapshots made
/// every `interval` hours keeps them count times interval hours (seventh
/// session, a left-out of a review: one snapshot of a daily schedule is a day of
/// recovery). A schedule made by a cron expression is not judged by count (its
/// interval is not given). Judged whatever its `state`: a policy created
/// disabled is enabled later by a call that restates nothing (from a review).
fn lifecycle_policy(rec: &Record<'_>) -> Option<Signal> {
    let params = rec.request_parameters()?;
    let hours = dlm_kept_hours(params)
        .into_iter()
        .min()
        .filter(|h| *h < MAX_DAYS_EXCLUSIVE * 24)?;
    fire(
        Evidence::new()
            .with("api", rec.event_name())
            .with_opt("target", rec.request_param_str("policyId"))
            .with("delete_after_days", hours / 24)
            .with("kept_hours", hours),
    )
}

/// The hours each judged rule of a Data Lifecycle Manager request keeps its
/// snapshots (see [`lifecycle_policy`]).
fn dlm_kept_hours(params: &serde_json::Value) -> Vec<u64> {
    let schedules: Vec<&serde_json::Value> = values_at_key(params, "schedules")
        .into_iter()
        .flat_map(|s| one_or_many(Some(s)))
        .collect();
    // A schedule with an `archiveRule` moves its snapshots to the archive tier
    // when its `retainRule` ends, and the archive keeps them 90 days at least:
    // nothing is deleted then (from a review: a monthly archive schedule's
    // standard tier of 0 days paged high).
    let archiving: Vec<&serde_json::Value> = schedules
        .iter()
        .filter(|s| s.get("archiveRule").is_some_and(|a| !a.is_null()))
        .filter_map(|s| s.get("retainRule"))
        .collect();
    let by_rule = values_at_key(params, "retainRule")
        .into_iter()
        .filter(|r| !archiving.iter().any(|a| std::ptr::eq(*a, *r)))
        .filter(|r| text_is(r.get("intervalUnit"), "DAYS"))
        .filter_map(|r| whole_number(r.get("interval")))
        .map(|days| days.saturating_mul(24));
    let by_default = values_at_key(params, "retainInterval")
        .into_iter()
        .filter_map(|v| whole_number(Some(v)))
        .map(|days| days.saturating_mul(24));
    let by_count = schedules
        .iter()
        .filter(|s| s.get("archiveRule").is_none_or(serde_json::Value::is_null))
        .filter_map(|schedule| {
            let create = schedule.get("createRule")?;
            if !text_is(create.get("intervalUnit"), "HOURS") {
                return None;
            }
            let every = whole_number(create.get("interval"))?;
            let count = whole_number(schedule.get("retainRule")?.get("count"))?;
            Some(count.saturating_mul(every))
        });
    by_rule.chain(by_default).chain(by_count).collect()
}

/// A Recycle Bin rule whose retention is cut under three days.
fn recycle_bin_rule(rec: &Record<'_>) -> Option<Signal> {
    let period = rec.request_param("retentionPeriod")?;
    if !text_is(period.get("retentionPeriodUnit"), "DAYS") {
        return None;
    }
    let kept = whole_number(period.get("retentionPeriodValue")).filter(|d| *d < MAX_DAYS_EXCLUSIVE)?;
    fire(
        Evidence::new()
            .with("api", rec.event_name())
            .with_opt("target", rec.request_param_str("identifier"))
            .with("retention_days", kept),
    )
}

/// When AWS Backup will delete the recovery point, as the answer to
/// `UpdateRecoveryPointLifecycle` gives it (`calculatedLifecycle.deleteAt`).
fn point_deletion(rec: &Record<'_>) -> Option<i64> {
    if rec.event_name() != "UpdateRecoveryPointLifecycle" {
        return None;
    }
    let calculated = rec
        .response_element("calculatedLifecycle")
        .or_else(|| rec.response_element("CalculatedLifecycle"))?;
    parse_response_time(calculated.get("deleteAt").or_else(|| calculated.get("DeleteAt"))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::{eval, fires};

    fn lifecycle(days: &str) -> String {
        format!(
            r#"{{"backupVaultName":"prod-vault","recoveryPointArn":"arn:aws:ec2:us-east-1::snapshot/snap-0a1b2c3d4e5f60718","lifecycle":{{"deleteAfterDays":{days}}}}}"#
        )
    }

    fn plan(days: &str, copy_days: &str) -> String {
        format!(
            r#"{{"backupPlanId":"0f1e2d3c","backupPlan":{{"BackupPlanName":"nightly","Rules":[{{"RuleName":"daily","TargetBackupVaultName":"prod-vault",
            "Lifecycle":{{"DeleteAfterDays":{days}}},"CopyActions":[{{"DestinationBackupVaultArn":"arn:aws:backup:us-west-2:111122223333:backup-vault:dr","Lifecycle":{{"DeleteAfterDays":{copy_days}}}}}]}}]}}}}"#
        )
    }

    /// From a third evasion review: the organisation's backup policy, DLM and
    /// the Recycle Bin.
    #[test]
    fn the_same_retention_elsewhere_fires() {
        let org = |days: &str| {
            let content = serde_json::to_string(&format!(
                r#"{{"plans":{{"nightly":{{"rules":{{"daily":{{"lifecycle":{{"delete_after_days":{days}}}}}}}}}}}}}"#
            ))
            .unwrap();
            record(ORGANIZATIONS, "UpdatePolicy", ROLE, &format!(r#"{{"policyId":"p-1","content":{content}}}"#), "")
        };
        assert!(fires(&BackupRetentionShortened, &org(r#"{"@@assign":"1"}"#)));
        assert!(fires(&BackupRetentionShortened, &org("2")));
        assert!(!fires(&BackupRetentionShortened, &org(r#"{"@@assign":"35"}"#)));
        let dlm = |state: &str, rule: &str| {
            record(DLM, "UpdateLifecyclePolicy", ROLE, &format!(
                r#"{{"policyId":"policy-0a1b","state":"{state}","policyDetails":{{"schedules":[{{"name":"nightly","retainRule":{rule}}}]}}}}"#
            ), "")
        };
        assert!(fires(&BackupRetentionShortened, &dlm("ENABLED", r#"{"interval":1,"intervalUnit":"DAYS"}"#)));
        // Created disabled, it is enabled later by a call that restates nothing.
        assert!(fires(&BackupRetentionShortened, &dlm("DISABLED", r#"{"interval":1,"intervalUnit":"DAYS"}"#)));
        // A default policy's retention, at the top or in its details.
        let default = |params: &str| record(DLM, "CreateLifecyclePolicy", ROLE, params, "");
        assert!(fires(&BackupRetentionShortened, &default(r#"{"defaultPolicy":"VOLUME","createInterval":1,"retainInterval":2,"state":"ENABLED"}"#)));
        assert!(fires(&BackupRetentionShortened, &default(r#"{"state":"ENABLED","policyDetails":{"policyLanguage":"SIMPLIFIED","resourceType":"VOLUME","createInterval":1,"retainInterval":2}}"#)));
        assert!(!fires(&BackupRetentionShortened, &default(r#"{"defaultPolicy":"VOLUME","createInterval":1,"retainInterval":7,"state":"ENABLED"}"#)));
        assert!(!fires(&BackupRetentionShortened, &dlm("ENABLED", r#"{"interval":1,"intervalUnit":"WEEKS"}"#)));
        assert!(!fires(&BackupRetentionShortened, &dlm("ENABLED", r#"{"count":1}"#)));
        // By count: snapshots kept times the hours between them (a left-out
        // taken up); a cron schedule's interval is not given.
        let counted = |every: &str, count: &str| {
            record(DLM, "CreateLifecyclePolicy", ROLE, &format!(
                r#"{{"state":"ENABLED","policyDetails":{{"policyType":"EBS_SNAPSHOT_MANAGEMENT","schedules":[{{"name":"daily","createRule":{every},"retainRule":{{"count":{count}}}}}]}}}}"#
            ), "")
        };
        let daily = r#"{"interval":24,"intervalUnit":"HOURS","times":["03:00"]}"#;
        let hourly = r#"{"interval":1,"intervalUnit":"HOURS"}"#;
        let cron = r#"{"cronExpression":"cron(0 3 * * ? *)"}"#;
        match eval(&BackupRetentionShortened, &counted(daily, "2")) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("kept_hours"), Some(&serde_json::json!(48))),
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(fires(&BackupRetentionShortened, &counted(hourly, "48")));
        for (every, count) in [(daily, "3"), (daily, "14"), (hourly, "72"), (cron, "1")] {
            assert!(!fires(&BackupRetentionShortened, &counted(every, count)), "{every} {count}");
        }
        let bin = |value: &str, unit: &str| {
            record(RECYCLE_BIN, "UpdateRule", ROLE, &format!(
                r#"{{"identifier":"a1b2c3d4e5f","retentionPeriod":{{"retentionPeriodValue":{value},"retentionPeriodUnit":"{unit}"}}}}"#
            ), "")
        };
        assert!(fires(&BackupRetentionShortened, &bin("1", "DAYS")));
        assert!(!fires(&BackupRetentionShortened, &bin("7", "DAYS")));
        assert!(!fires(&BackupRetentionShortened, &record(RECYCLE_BIN, "UpdateRule", ROLE, r#"{"identifier":"a1","description":"x"}"#, "")));
    }

    /// From a review of false positives: an archive schedule's standard tier
    /// ends by moving snapshots to the archive, not deleting them; a new plan or
    /// policy holds no recovery points yet.
    #[test]
    fn archive_tiers_are_not_deletions_and_new_plans_are_medium() {
        let archive = |archive_rule: &str| {
            record(DLM, "UpdateLifecyclePolicy", ROLE, &format!(
                r#"{{"policyId":"policy-0a1b","state":"ENABLED","policyDetails":{{"schedules":[{{"name":"monthly","createRule":{{"cronExpression":"cron(0 3 1 * ? *)"}},"retainRule":{{"interval":0,"intervalUnit":"DAYS"}}{archive_rule}}}]}}}}"#
            ), "")
        };
        let to_archive = r#","archiveRule":{"retainRule":{"retentionArchiveTier":{"interval":12,"intervalUnit":"MONTHS"}}}"#;
        assert!(!fires(&BackupRetentionShortened, &archive(to_archive)));
        assert!(fires(&BackupRetentionShortened, &archive("")));
        assert!(fires(&BackupRetentionShortened, &archive(r#","archiveRule":null"#)));
        // A second schedule without an archive is still judged.
        let two = record(DLM, "UpdateLifecyclePolicy", ROLE, &format!(
            r#"{{"policyId":"p","policyDetails":{{"schedules":[{{"name":"monthly","retainRule":{{"interval":0,"intervalUnit":"DAYS"}}{to_archive}}},{{"name":"hourly","createRule":{{"interval":1,"intervalUnit":"HOURS"}},"retainRule":{{"count":24}}}}]}}}}"#
        ), "");
        assert!(fires(&BackupRetentionShortened, &two));
        let severity = |name: &str, source: &str, params: &str| {
            testing::severity(&BackupRetentionShortened, &record(source, name, ROLE, params, ""))
        };
        assert_eq!(severity("CreateBackupPlan", BACKUP, &plan("1", "35")), Severity::Medium);
        // From an evasion review: a new plan keeping nothing three days is the
        // update's end by a swap, and an organisation's new backup policy
        // overrides the members' plans once attached.
        assert_eq!(severity("CreateBackupPlan", BACKUP, &plan("1", "2")), Severity::High);
        let org = r#"{"name":"org-nightly","type":"BACKUP_POLICY","content":"{\"plans\":{\"nightly\":{\"rules\":{\"daily\":{\"lifecycle\":{\"delete_after_days\":{\"@@assign\":\"1\"}}}}}}}"}"#;
        assert_eq!(severity("CreatePolicy", ORGANIZATIONS, org), Severity::High);
        let dlm = |schedules: &str| {
            format!(r#"{{"state":"ENABLED","policyDetails":{{"schedules":[{schedules}]}}}}"#)
        };
        let hourly = r#"{"name":"hourly","createRule":{"interval":1,"intervalUnit":"HOURS"},"retainRule":{"count":24}}"#;
        let daily = r#"{"name":"daily","createRule":{"interval":24,"intervalUnit":"HOURS"},"retainRule":{"interval":30,"intervalUnit":"DAYS"}}"#;
        assert_eq!(severity("CreateLifecyclePolicy", DLM, &dlm(&format!("{hourly},{daily}"))), Severity::Medium);
        assert_eq!(severity("CreateLifecyclePolicy", DLM, &dlm(hourly)), Severity::High);
        assert_eq!(severity("UpdateBackupPlan", BACKUP, &plan("1", "35")), Severity::High);
        assert_eq!(severity("UpdateRecoveryPointLifecycle", BACKUP, &lifecycle("1")), Severity::High);
    }

    #[test]
    fn retention_below_three_days_fires() {
        for days in ["1", "\"2\"", "0"] {
            match eval(&BackupRetentionShortened, &record(BACKUP, "UpdateRecoveryPointLifecycle", ROLE, &lifecycle(days), "")) {
                Some(Signal::Fire(e)) => assert!(e.get("target").is_some(), "{days}"),
                other => panic!("expected a finding for {days}, got {other:?}"),
            }
        }
        // A copy action's retention counts as much as the rule's own.
        match eval(&BackupRetentionShortened, &record(BACKUP, "UpdateBackupPlan", ROLE, &plan("35", "1"), "")) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("delete_after_days"), Some(&serde_json::json!(1))),
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(fires(&BackupRetentionShortened, &record(BACKUP, "CreateBackupPlan", ROLE, &plan("1", "35"), "")));
    }

    /// From a review: days count from the point's creation, so the answer's
    /// deletion time decides.
    #[test]
    fn a_point_whose_answer_deletes_it_within_days_fires() {
        let answered = |days: &str, delete_at: &str| {
            // The record is made at 2026-05-04T10:00:00Z.
            record(BACKUP, "UpdateRecoveryPointLifecycle", ROLE, &lifecycle(days), "").replace(
                r#""responseElements":null"#,
                &format!(r#""responseElements":{{"calculatedLifecycle":{{"deleteAt":{delete_at}}}}}"#),
            )
        };
        // Seven days on a point made sixty days ago: deleted at once.
        let old_point = answered("7", r#""Apr 27, 2026 10:00:00 AM""#);
        assert!(old_point.contains("calculatedLifecycle"));
        match eval(&BackupRetentionShortened, &old_point) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("deletes_at"), Some(&serde_json::json!("2026-04-27T10:00:00Z"))),
            other => panic!("expected a finding, got {other:?}"),
        }
        // Forty days on a point made thirty-nine days ago: a day left.
        assert!(fires(&BackupRetentionShortened, &answered("40", "1777975200")));
        // Deleted three days or more after the call: no finding, whatever the
        // number of days (the answer is AWS's own reckoning).
        assert!(!fires(&BackupRetentionShortened, &answered("35", r#""2026-06-08T10:00:00Z""#)));
        assert!(!fires(&BackupRetentionShortened, &answered("2", r#""2026-05-07T10:00:00Z""#)));
        // An unreadable answer falls back to the days asked.
        assert!(fires(&BackupRetentionShortened, &answered("1", r#""soon""#)));
        assert!(!fires(&BackupRetentionShortened, &answered("7", r#""soon""#)));
    }

    #[test]
    fn longer_or_unset_retention_services_and_failures_do_not() {
        assert!(!fires(&BackupRetentionShortened, &record(BACKUP, "UpdateRecoveryPointLifecycle", ROLE, &lifecycle("3"), "")));
        assert!(!fires(&BackupRetentionShortened, &record(BACKUP, "UpdateBackupPlan", ROLE, &plan("35", "90"), "")));
        let cold_only = r#"{"backupVaultName":"v","recoveryPointArn":"arn:x","lifecycle":{"moveToColdStorageAfterDays":1}}"#;
        assert!(!fires(&BackupRetentionShortened, &record(BACKUP, "UpdateRecoveryPointLifecycle", ROLE, cold_only, "")));
        assert!(!fires(&BackupRetentionShortened, &record(BACKUP, "UpdateRecoveryPointLifecycle", ROLE, &lifecycle("null"), "")));
        assert!(!fires(&BackupRetentionShortened, &record(BACKUP, "UpdateRecoveryPointLifecycle", SERVICE, &lifecycle("1"), "")));
        assert!(!fires(&BackupRetentionShortened, &failed(BACKUP, "UpdateRecoveryPointLifecycle", ROLE, &lifecycle("1"), "InvalidParameterValueException")));
        assert!(!fires(&BackupRetentionShortened, &record(BACKUP, "StartBackupJob", ROLE, &lifecycle("1"), "")));
    }
}
