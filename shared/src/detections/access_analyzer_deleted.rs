//! An IAM Access Analyzer analyzer deleted (`DeleteAnalyzer`), or its findings
//! archived by hand (`UpdateFindings` with `status` `ARCHIVED`: the finding about a
//! backdoor trust or a shared bucket leaves the active list), or an archive rule
//! applied to the findings already there (`ApplyArchiveRule`: every existing finding
//! its filter matches is archived at once, the bulk form of the same), successfully.
//!
//! Decision: writing an archive rule (`CreateArchiveRule`, `UpdateArchiveRule`) also
//! hides findings, every new one its filter matches, but whether a filter is broad
//! cannot be told from the record, and a rule for each would be noise. Left out; a
//! catch-all archive rule is a gap. Applying one is a rare, explicit act on the
//! findings already raised, and counts.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{params_evidence, succeeded_call, text_is};
use crate::event::Record;

pub struct AccessAnalyzerDeleted;

const SOURCE: &str = "access-analyzer.amazonaws.com";
const NAMES: &[&str] = &["ApplyArchiveRule", "DeleteAnalyzer", "UpdateFindings"];

pub static META: Meta = Meta {
    id: "access-analyzer-deleted",
    title: "AWS IAM Access Analyzer Deleted or Its Findings Archived",
    description: "An IAM Access Analyzer analyzer was deleted, or findings were archived by \
                  hand or in bulk by applying an archive rule. Access Analyzer reports \
                  resources shared outside the account or organisation (buckets, roles, keys, \
                  snapshots) and unused access; without it, a backdoor trust policy or a \
                  bucket shared with an attacker's account raises no finding.",
    severity: Severity::Medium,
    attack: &["T1562.001"],
    origins: &["trailwatch: based on the IAM Access Analyzer DeleteAnalyzer API (the catalogue \
              continuation's \"Access Analyzer disabled or deleted\")"],
    group: "security-services",
    false_positives: &[
        "Replacing an account analyzer with an organisation analyzer, done by the security \
         team.",
        "Findings for intended sharing archived after review.",
    ],
    next_steps: "Check whether another analyzer still covers the account or organisation. If \
                 not and the deletion was unplanned, re-create it and review the caller's recent \
                 sharing and policy changes.",
    evidence: "action analyzer finding_ids resource rule",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

impl Detection for AccessAnalyzerDeleted {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, SOURCE, NAMES) {
            return None;
        }
        if rec.event_name() == "UpdateFindings" {
            if !text_is(rec.request_param("status"), "ARCHIVED") {
                return None;
            }
            return fire(
                params_evidence(rec, &[("analyzer", "analyzerArn"), ("resource", "resourceArn")])
                    .with("action", "UpdateFindings")
                    .with_json("finding_ids", rec.request_param("ids")),
            );
        }
        if rec.event_name() == "ApplyArchiveRule" {
            return fire(
                params_evidence(rec, &[("analyzer", "analyzerArn"), ("rule", "ruleName")])
                    .with("action", "ApplyArchiveRule"),
            );
        }
        fire(params_evidence(rec, &[("analyzer", "analyzerName")]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::calls::{call, failed};
    use crate::detections::common::testing::{eval, fires};
    use std::sync::LazyLock;

    static DELETE: LazyLock<String> =
        LazyLock::new(|| call("access-analyzer.amazonaws.com", "DeleteAnalyzer", r#"{"analyzerName":"org-analyzer"}"#));

    #[test]
    fn fires_with_the_analyzer() {
        match eval(&AccessAnalyzerDeleted, &DELETE) {
            Some(Signal::Fire(e)) => assert_eq!(
                e.get("analyzer").and_then(|v| v.as_str()),
                Some("org-analyzer")
            ),
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn ignores_failures_and_other_calls() {
        let denied = failed(&DELETE, "ResourceNotFoundException");
        assert!(!fires(&AccessAnalyzerDeleted, &denied));
        assert!(!fires(&AccessAnalyzerDeleted, &DELETE.replace("DeleteAnalyzer", "CreateAnalyzer")));
        assert!(!fires(
            &AccessAnalyzerDeleted,
            &DELETE.replace("DeleteAnalyzer", "DeleteArchiveRule")
        ));
    }

    /// From a review: an archive rule applied archives the existing findings in bulk.
    #[test]
    fn an_archive_rule_applied_counts() {
        let apply = call(SOURCE, "ApplyArchiveRule", r#"{"analyzerArn":"arn:aws:access-analyzer:us-east-1:111122223333:analyzer/org-analyzer","ruleName":"everything"}"#);
        match eval(&AccessAnalyzerDeleted, &apply) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("rule").and_then(|v| v.as_str()), Some("everything")),
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(!fires(&AccessAnalyzerDeleted, &failed(&apply, "AccessDeniedException")));
        assert!(!fires(&AccessAnalyzerDeleted, &apply.replace("ApplyArchiveRule", "CreateArchiveRule")));
    }

    /// From a review: findings archived by hand leave the active list.
    #[test]
    fn findings_archived_by_hand_count() {
        let update = |status: &str| {
            call(SOURCE, "UpdateFindings", &format!(r#"{{"analyzerArn":"arn:aws:access-analyzer:us-east-1:111122223333:analyzer/org-analyzer","ids":["a1b2c3d4-1111-2222-3333-444455556666"],"status":"{status}"}}"#))
        };
        match eval(&AccessAnalyzerDeleted, &update("ARCHIVED")) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("finding_ids"), Some(&serde_json::json!(["a1b2c3d4-1111-2222-3333-444455556666"]))),
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(!fires(&AccessAnalyzerDeleted, &update("ACTIVE")));
        assert!(!fires(&AccessAnalyzerDeleted, &failed(&update("ARCHIVED"), "AccessDeniedException")));
    }
}
