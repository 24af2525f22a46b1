//! The account's cost alerting removed: a Cost Anomaly Detection monitor or alert
//! subscription deleted (`DeleteAnomalyMonitor`, `DeleteAnomalySubscription`), or
//! a budget or one of its notifications deleted (`DeleteBudget`,
//! `DeleteNotification`), successfully, by anyone but an AWS service.
//!
//! Decisions: from a third evasion review. Resource hijacking (mining on stolen
//! instances, a model invoked on the account's bill) shows first as cost; an
//! intruder who deletes the alerts that would tell the owners buys days before
//! anyone looks, as one who changes the billing contact does
//! (`account-security-contact-changed`). Deleting a budget is also how teams tidy
//! up, so this is low: worth a look beside whatever else the caller did.
//! Updates (a threshold raised, a subscriber removed) are left out: they are how
//! the alerts are tuned, and the record does not say what they were before.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::change_by_anyone_but;
use crate::event::Record;

pub struct CostAlertingDeleted;

const COST_EXPLORER: &str = "ce.amazonaws.com";
const ANOMALY_NAMES: &[&str] = &["DeleteAnomalyMonitor", "DeleteAnomalySubscription"];
const BUDGETS: &str = "budgets.amazonaws.com";
const BUDGET_NAMES: &[&str] = &["DeleteBudget", "DeleteNotification"];

pub static META: Meta = Meta {
    id: "cost-alerting-deleted",
    title: "AWS Cost Anomaly Monitor or Budget Alert Deleted",
    description: "A Cost Anomaly Detection monitor or alert subscription, or a budget or one of \
                  its notifications, was deleted. These are what tell the owners that the bill \
                  is climbing; removing them is how an intruder running miners or models on \
                  the account's money keeps it unnoticed for longer.",
    severity: Severity::Low,
    attack: &["T1496", "T1562.001"],
    origins: &["trailwatch: from a third evasion review (resource hijacking hidden by removing \
              the cost alerts)"],
    group: "hijacking",
    false_positives: &["A finance or platform team retiring or replacing budgets and monitors."],
    next_steps: "Check with the account's owners whether the alert was retired on purpose; if \
                 not, recreate it, look at the account's cost by service for the last days, \
                 and review what else the caller did.",
    evidence: "api budgetName caller caller_type monitorArn notification source_ip \
        subscriptionArn user_agent",
    triggers: &[
        Trigger::write(COST_EXPLORER, ANOMALY_NAMES),
        Trigger::write(BUDGETS, BUDGET_NAMES),
    ],
    window: None,
};

impl Detection for CostAlertingDeleted {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        change_by_anyone_but(rec, COST_EXPLORER, ANOMALY_NAMES, &["monitorArn", "subscriptionArn"], &[])
            .or_else(|| change_by_anyone_but(rec, BUDGETS, BUDGET_NAMES, &["budgetName", "notification"], &[]))
            .and_then(fire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::calls::{call, failed};
    use crate::detections::common::testing::{fired_evidence, fires};

    #[test]
    fn monitors_subscriptions_budgets_and_notifications_deleted_fire() {
        let monitor = call(
            COST_EXPLORER,
            "DeleteAnomalyMonitor",
            r#"{"monitorArn":"arn:aws:ce::111122223333:anomalymonitor/8f2e6c1a-1b2c-4d5e-9f00-123456789abc"}"#,
        );
        let e = fired_evidence(&CostAlertingDeleted, &monitor);
        assert!(e.get("monitorArn").is_some(), "{e:?}");
        assert!(fires(&CostAlertingDeleted, &call(COST_EXPLORER, "DeleteAnomalySubscription", r#"{"subscriptionArn":"arn:aws:ce::111122223333:anomalysubscription/1"}"#)));
        assert!(fires(&CostAlertingDeleted, &call(BUDGETS, "DeleteBudget", r#"{"accountId":"111122223333","budgetName":"monthly"}"#)));
        assert!(fires(&CostAlertingDeleted, &call(BUDGETS, "DeleteNotification", r#"{"accountId":"111122223333","budgetName":"monthly"}"#)));
    }

    #[test]
    fn refusals_updates_and_other_sources_do_not_fire() {
        let delete = call(BUDGETS, "DeleteBudget", r#"{"budgetName":"monthly"}"#);
        assert!(!fires(&CostAlertingDeleted, &failed(&delete, "AccessDeniedException")));
        assert!(!fires(&CostAlertingDeleted, &call(BUDGETS, "UpdateBudget", r#"{"budgetName":"monthly"}"#)));
        assert!(!fires(&CostAlertingDeleted, &call(COST_EXPLORER, "DeleteBudget", r#"{"budgetName":"monthly"}"#)));
    }
}
