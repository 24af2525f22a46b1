//! An Amazon Detective behaviour graph deleted (`DeleteGraph`), a member account
//! leaving one (`DisassociateMembership`), or the administrator removing members
//! (`DeleteMembers`: their data stops flowing in, the same loss seen from the other
//! side), successfully; after an evasion review, also the organisation's new
//! accounts no longer enrolled (`UpdateOrganizationConfiguration` with
//! `autoEnable` false), as the GuardDuty, Inspector and Macie detections judge it.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{request_flag, request_param_any, succeeded_call};
use crate::event::Record;

pub struct DetectiveGraphDeleted;

const SOURCE: &str = "detective.amazonaws.com";
const NAMES: &[&str] = &[
    "DeleteGraph",
    "DeleteMembers",
    "DisassociateMembership",
    "UpdateOrganizationConfiguration",
];

pub static META: Meta = Meta {
    id: "detective-graph-deleted",
    title: "AWS Detective Graph Deleted",
    description: "An Amazon Detective behaviour graph was deleted, or a member account left it. \
                  Detective keeps a year of linked CloudTrail, VPC flow and GuardDuty data for \
                  investigations; deleting the graph throws that history away and stops \
                  collection.",
    severity: Severity::Medium,
    attack: &["T1562.001", "T1485"],
    origins: &["Elastic detection-rules defense_evasion_detective_graph_deleted.toml"],
    group: "security-services",
    false_positives: &[
        "Decommissioning Detective or an account, or removing accounts that left the \
         organisation, by the security team.",
    ],
    next_steps: "Confirm with the security team. If unplanned, re-create the graph and invite \
                 the members again (the old history is lost), and review the caller's activity.",
    evidence: "accounts action auto_enable graph",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

impl Detection for DetectiveGraphDeleted {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, SOURCE, NAMES) {
            return None;
        }
        if rec.event_name() == "UpdateOrganizationConfiguration" && auto_enable(rec) != Some(false) {
            return None;
        }
        fire(
            Evidence::new()
                .with("action", rec.event_name())
                .with_opt(
                    "graph",
                    request_param_any(rec, &["graphArn", "GraphArn"]).and_then(|g| g.as_str()),
                )
                .with_json("accounts", request_param_any(rec, &["accountIds", "AccountIds"]))
                .with_opt("auto_enable", auto_enable(rec)),
        )
    }
}

/// `autoEnable` of `UpdateOrganizationConfiguration`, in the API's own PascalCase
/// (`AutoEnable`, as Detective documents the request) or camelCase (from a review).
fn auto_enable(rec: &Record<'_>) -> Option<bool> {
    request_flag(rec, "AutoEnable").or_else(|| request_flag(rec, "autoEnable"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::calls::{call, failed};
    use crate::detections::common::testing::{eval, fires};
    use std::sync::LazyLock;

    static DELETE: LazyLock<String> =
        LazyLock::new(|| call("detective.amazonaws.com", "DeleteGraph", r#"{"graphArn":"arn:aws:detective:us-east-1:111122223333:graph:0123abcd"}"#));

    #[test]
    fn fires_with_the_graph() {
        match eval(&DetectiveGraphDeleted, &DELETE) {
            Some(Signal::Fire(e)) => assert_eq!(
                e.get("graph").and_then(|v| v.as_str()),
                Some("arn:aws:detective:us-east-1:111122223333:graph:0123abcd")
            ),
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(fires(
            &DetectiveGraphDeleted,
            &DELETE.replace("DeleteGraph", "DisassociateMembership")
        ));
    }

    #[test]
    fn ignores_failures_and_other_calls() {
        let denied = failed(&DELETE, "ValidationException");
        assert!(!fires(&DetectiveGraphDeleted, &denied));
        assert!(!fires(&DetectiveGraphDeleted, &DELETE.replace("DeleteGraph", "CreateGraph")));
        assert!(!fires(&DetectiveGraphDeleted, &DELETE.replace("DeleteGraph", "CreateMembers")));
    }

    #[test]
    fn new_accounts_no_longer_enrolled_count() {
        let org = |flag: &str| {
            call(
                "detective.amazonaws.com",
                "UpdateOrganizationConfiguration",
                &format!(r#"{{"graphArn":"arn:aws:detective:us-east-1:111122223333:graph:0123abcd","autoEnable":{flag}}}"#),
            )
        };
        assert!(fires(&DetectiveGraphDeleted, &org("false")));
        assert!(!fires(&DetectiveGraphDeleted, &org("true")));
        assert!(!fires(&DetectiveGraphDeleted, &org("null")));
        // From a review: the request as Detective documents it, in PascalCase.
        let pascal = r#"{"GraphArn":"arn:aws:detective:us-east-1:111122223333:graph:0123abcd","AutoEnable":false}"#;
        assert!(fires(&DetectiveGraphDeleted, &call("detective.amazonaws.com", "UpdateOrganizationConfiguration", pascal)));
        assert!(!fires(&DetectiveGraphDeleted, &call("detective.amazonaws.com", "UpdateOrganizationConfiguration", &pascal.replace("false", "true"))));
    }

    #[test]
    fn members_removed_by_the_administrator_count() {
        let removed = call(
            "detective.amazonaws.com",
            "DeleteMembers",
            r#"{"GraphArn":"arn:aws:detective:us-east-1:111122223333:graph:0123abcd","AccountIds":["444455556666"]}"#,
        );
        match eval(&DetectiveGraphDeleted, &removed) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("graph").and_then(|v| v.as_str()), Some("arn:aws:detective:us-east-1:111122223333:graph:0123abcd"));
                assert_eq!(e.get("accounts"), Some(&serde_json::json!(["444455556666"])));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
    }
}
