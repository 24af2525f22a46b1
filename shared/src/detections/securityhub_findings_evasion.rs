//! Security Hub findings hidden: suppressed (`BatchUpdateFindings` with workflow
//! status `SUPPRESSED`), archived (`UpdateFindings` with record state `ARCHIVED`), or
//! suppressed from now on by an automation rule (`CreateAutomationRule`,
//! `BatchUpdateAutomationRules` whose actions set the workflow status `SUPPRESSED`),
//! successfully. The same for the newer Security Hub's OCSF findings:
//! `BatchUpdateFindingsV2` with `StatusId` 3 (Suppressed) or 5 (Archived), and
//! automation rules (`CreateAutomationRuleV2`, `UpdateAutomationRuleV2`) whose finding
//! fields update sets either. An automation rule that sets the severity to
//! informational (`Severity.Label` `INFORMATIONAL`, or V2's `SeverityId` 1) hides
//! its findings too: alerting is routed by severity, and the rule applies to every
//! future finding its criteria match. So does a rule that marks its findings
//! `RESOLVED` (V2's `StatusId` 4) on arrival: resolving one finding after a fix is
//! triage, resolving every future one unseen takes them out of the views of new
//! work. Lowering to `LOW` is ordinary tuning. A rule's update that rewrites its
//! `Criteria`, or switches it on (`RuleStatus` `ENABLED`), without its `Actions`
//! (`BatchUpdateAutomationRules`, `UpdateAutomationRuleV2`) counts too: the rule
//! keeps actions the record does not hold, and a suppressing rule widened or
//! switched back on looks like this. Items the service lists as unprocessed
//! changed nothing and do not count.
//!
//! Decisions: Sigma's rule takes every `BatchUpdateFindings`, `UpdateFindings`,
//! `DeleteInsight` and `UpdateInsight` call. Most of those are ordinary triage (notes,
//! severity, `RESOLVED` after a fix) and an insight is only a saved view: deleting one
//! hides no finding. We keep the calls that take findings out of sight, and add the
//! automation rules that do it to every future finding. Keys are read in the API's
//! PascalCase and, for hand-made records, in camelCase.

use serde_json::Value;

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
// Keys are read in the API's PascalCase and, for hand-made records, in camelCase.
use crate::detections::common::{pascal_or_camel as field, succeeded_call, text_is, unstated, whole_number};
use crate::event::Record;

pub struct SecurityHubFindingsEvasion;

const SOURCE: &str = "securityhub.amazonaws.com";
const NAMES: &[&str] = &[
    "BatchUpdateFindings",
    "UpdateFindings",
    "CreateAutomationRule",
    "BatchUpdateAutomationRules",
    "BatchUpdateFindingsV2",
    "CreateAutomationRuleV2",
    "UpdateAutomationRuleV2",
];

pub static META: Meta = Meta {
    id: "securityhub-findings-evasion",
    title: "AWS Security Hub Findings Suppressed or Archived",
    description: "Security Hub findings were suppressed or archived, or an automation rule now \
                  suppresses matching findings as they arrive. Suppressed findings drop out of \
                  the views and notifications responders rely on, so an intruder can hide what \
                  GuardDuty, Inspector or Config reported about them.",
    severity: Severity::Medium,
    attack: &["T1562.001"],
    origins: &["SigmaHQ rules/cloud/aws/cloudtrail/aws_securityhub_finding_evasion.yml"],
    group: "security-services",
    false_positives: &[
        "Analysts suppressing accepted risks or false positives during triage; tuning \
         automation rules written by the security team.",
        "A SOAR setting findings to SUPPRESSED one call at a time: a dedup of an hour by \
         account and actor (the tuning file) notifies its first call and holds back the \
         repeats; another identity still gets a finding of its own.",
        "A script switching rules on or editing their criteria without restating their \
         actions (Terraform restates them): the record cannot tell a note-adding rule from a \
         suppressing one (`evidence.rule_actions_unstated`). Suppress by the script's role, \
         `evidence.rules_changed[]` and `\"evidence.rule_actions_unstated\" = \"true\"` \
         together: without the flag the entry also silences that role making those rules \
         suppress.",
    ],
    next_steps: "List the findings or the rule criteria in the evidence and check whether they \
                 concern resources the caller touched recently. Confirm with the security team; \
                 if unexpected, set the findings back to NEW, disable the rule and review the \
                 caller's other activity.",
    evidence: "action criteria filters findings metadata_uids rule_actions_unstated rule_name \
        rules rules_changed",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

/// `{"Workflow": {"Status": "SUPPRESSED"}}` in an object of finding fields.
fn suppresses(fields: &Value) -> bool {
    text_is(
        field(fields, "Workflow").and_then(|w| field(w, "Status")),
        "SUPPRESSED",
    )
}

/// An automation rule's finding fields update that suppresses or resolves, or
/// sets the severity to informational.
fn rule_update_hides(fields: &Value) -> bool {
    let resolves = text_is(
        field(fields, "Workflow").and_then(|w| field(w, "Status")),
        "RESOLVED",
    );
    let severity = field(fields, "Severity");
    let label = severity.and_then(|s| field(s, "Label"));
    // Without a label, ASFF derives it from `Normalized` (0 is informational), or
    // from `Product` when that is all there is.
    let derived_zero = label.is_none()
        && severity.is_some_and(|s| {
            let normalized = field(s, "Normalized");
            match normalized {
                Some(n) => whole_number(Some(n)) == Some(0),
                None => whole_number(field(s, "Product")) == Some(0),
            }
        });
    suppresses(fields) || resolves || text_is(label, "INFORMATIONAL") || derived_zero
}

/// An automation rule (`CreateAutomationRule`'s parameters, or one entry of
/// `BatchUpdateAutomationRules`) with an action that suppresses findings.
fn rule_suppresses(rule: &Value) -> bool {
    field(rule, "Actions")
        .and_then(Value::as_array)
        .is_some_and(|actions| {
            actions.iter().any(|a| {
                field(a, "FindingFieldsUpdate").is_some_and(rule_update_hides)
            })
        })
}

/// An OCSF finding status that takes the finding out of sight: 3 (Suppressed) or
/// 5 (Archived), given as a number or its text.
fn ocsf_status_hides(v: Option<&Value>) -> bool {
    matches!(whole_number(v), Some(3 | 5))
}

/// A V2 automation rule whose finding fields update hides findings.
fn rule_v2_hides(rule: &Value) -> bool {
    field(rule, "Actions")
        .and_then(Value::as_array)
        .is_some_and(|actions| {
            actions.iter().any(|a| {
                let update = field(a, "FindingFieldsUpdate");
                let status = update.and_then(|u| field(u, "StatusId"));
                // 4, Resolved: hidden when a rule sets it on arrival.
                ocsf_status_hides(status)
                    || whole_number(status) == Some(4)
                    || whole_number(update.and_then(|u| field(u, "SeverityId"))) == Some(1)
            })
        })
}

/// An automation rule's update that rewrites its criteria, or switches it on,
/// without its actions: the rule keeps actions the record does not hold, so a
/// suppressing rule widened to more findings, or switched back on, looks like
/// this (from the thirteenth session, as the GuardDuty, Macie and Inspector
/// filters are judged; Terraform restates a rule's actions on every update).
fn actions_unstated(rule: &Value) -> bool {
    let widened = field(rule, "Criteria").is_some_and(|c| !c.is_null());
    let enabled = text_is(field(rule, "RuleStatus"), "ENABLED");
    unstated(field(rule, "Actions")) && (widened || enabled)
}

/// The items of `BatchUpdateAutomationRules` the service applied: those it
/// lists under `UnprocessedAutomationRules` changed nothing.
fn applied<'r>(rec: &'r Record<'_>, items: &'r [Value]) -> impl Iterator<Item = &'r Value> {
    let refused: Vec<&str> = rec
        .response_elements()
        .and_then(|r| field(r, "UnprocessedAutomationRules"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|u| field(u, "RuleArn").and_then(Value::as_str))
        .collect();
    items.iter().filter(move |item| {
        field(item, "RuleArn")
            .and_then(Value::as_str)
            .is_none_or(|arn| !refused.contains(&arn))
    })
}

/// A rule an update call changes: whether it leaves its actions unstated,
/// whether its stated actions hide findings, and its id.
struct Changed<'v> {
    unstated: bool,
    hides: bool,
    id: Option<&'v Value>,
}

impl Detection for SecurityHubFindingsEvasion {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, SOURCE, NAMES) {
            return None;
        }
        let params = rec.request_parameters()?;
        // The rules an update call changes, each judged once.
        let rules: Vec<Changed<'_>> = match rec.event_name() {
            "UpdateAutomationRuleV2" => vec![Changed {
                unstated: actions_unstated(params),
                hides: rule_v2_hides(params),
                id: field(params, "Identifier"),
            }],
            "BatchUpdateAutomationRules" => field(params, "UpdateAutomationRulesRequestItems")
                .and_then(Value::as_array)
                .map(|items| {
                    applied(rec, items)
                        .map(|r| Changed {
                            unstated: actions_unstated(r),
                            hides: rule_suppresses(r),
                            id: field(r, "RuleArn"),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        let unstated = rules.iter().any(|r| r.unstated);
        let suppressing = rules.iter().any(|r| r.hides);
        // The rules that now hide findings, or may: named in the evidence
        // before the requests themselves, whose text an attacker writes.
        let changed: Vec<Value> = rules
            .iter()
            .filter(|r| r.unstated || r.hides)
            .filter_map(|r| r.id.cloned())
            .collect();
        let hidden = unstated
            || suppressing
            || match rec.event_name() {
                "BatchUpdateFindings" => suppresses(params),
                "UpdateFindings" => text_is(field(params, "RecordState"), "ARCHIVED"),
                "CreateAutomationRule" => rule_suppresses(params),
                "BatchUpdateFindingsV2" => ocsf_status_hides(field(params, "StatusId")),
                "CreateAutomationRuleV2" => rule_v2_hides(params),
                _ => false,
            };
        if !hidden {
            return None;
        }
        fire(
            Evidence::new()
                .with("action", rec.event_name())
                .with_json("findings", field(params, "FindingIdentifiers"))
                .with_json("metadata_uids", field(params, "MetadataUids"))
                .with_json("filters", field(params, "Filters"))
                .with_json("rule_name", field(params, "RuleName"))
                .with_json("criteria", field(params, "Criteria"))
                .with_opt("rules_changed", (!changed.is_empty()).then_some(changed))
                .with_json("rules", field(params, "UpdateAutomationRulesRequestItems"))
                // Only when no rule of the call says it hides findings: a tuning
                // entry on the flag must not take a rule switched to suppress
                // beside another edited without its actions (from a review).
                .with_opt("rule_actions_unstated", (unstated && !suppressing).then_some(true)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::{eval, fires};

    fn call(name: &str, params: &str) -> String {
        format!(
            r#"{{"eventSource":"securityhub.amazonaws.com","eventName":"{name}",
            "awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.77","userAgent":"aws-cli/2.15.0",
            "userIdentity":{{"type":"AssumedRole","principalId":"AROAEXAMPLE:x",
              "arn":"arn:aws:sts::111122223333:assumed-role/Dev/x","accountId":"111122223333"}},
            "requestParameters":{params},"responseElements":null}}"#
        )
    }

    const SUPPRESS: &str = r#"{"FindingIdentifiers":[{"Id":"arn:aws:securityhub:eu-west-1:111122223333:finding/1","ProductArn":"arn:aws:securityhub:eu-west-1::product/aws/guardduty"}],
        "Workflow":{"Status":"SUPPRESSED"},"Note":{"Text":"fp","UpdatedBy":"x"}}"#;

    #[test]
    fn suppressing_findings_fires_with_them() {
        match eval(&SecurityHubFindingsEvasion, &call("BatchUpdateFindings", SUPPRESS)) {
            Some(Signal::Fire(e)) => assert!(e.get("findings").is_some_and(|f| f.is_array())),
            other => panic!("expected a finding, got {other:?}"),
        }
        let camel = r#"{"findingIdentifiers":[],"workflow":{"status":"suppressed"}}"#;
        assert!(fires(&SecurityHubFindingsEvasion, &call("BatchUpdateFindings", camel)));
    }

    #[test]
    fn the_ocsf_forms_hide_with_status_3_or_5() {
        let batch = |status: &str| {
            format!(r#"{{"MetadataUids":["a1b2c3d4-0000-4000-8000-000000000001"],"StatusId":{status},"Comment":"noise"}}"#)
        };
        for status in ["3", "5", "\"3\""] {
            assert!(fires(&SecurityHubFindingsEvasion, &call("BatchUpdateFindingsV2", &batch(status))), "{status}");
        }
        for status in ["1", "2", "4", "null"] {
            assert!(!fires(&SecurityHubFindingsEvasion, &call("BatchUpdateFindingsV2", &batch(status))), "{status}");
        }
        let rule = |status: u8| {
            format!(r#"{{"RuleName":"quiet","RuleStatus":"ENABLED","RuleOrder":1.0,"Criteria":{{"OcsfFindingCriteria":{{}}}},
                "Actions":[{{"Type":"FINDING_FIELDS_UPDATE","FindingFieldsUpdate":{{"StatusId":{status},"Comment":"auto"}}}}]}}"#)
        };
        for name in ["CreateAutomationRuleV2", "UpdateAutomationRuleV2"] {
            assert!(fires(&SecurityHubFindingsEvasion, &call(name, &rule(3))), "{name}");
            assert!(!fires(&SecurityHubFindingsEvasion, &call(name, &rule(2))), "{name}");
        }
    }

    #[test]
    fn ordinary_triage_does_not_fire() {
        for p in [
            r#"{"FindingIdentifiers":[],"Workflow":{"Status":"RESOLVED"}}"#,
            r#"{"FindingIdentifiers":[],"Note":{"Text":"looked at it"}}"#,
            r#"{"FindingIdentifiers":[],"Workflow":"SUPPRESSED"}"#,
            "null",
        ] {
            assert!(!fires(&SecurityHubFindingsEvasion, &call("BatchUpdateFindings", p)), "{p}");
        }
        assert!(!fires(
            &SecurityHubFindingsEvasion,
            &call("UpdateFindings", r#"{"Filters":{},"Name":"Test Insight"}"#)
        ));
        assert!(!fires(
            &SecurityHubFindingsEvasion,
            &call("DeleteInsight", r#"{"InsightArn":"arn:x"}"#)
        ));
    }

    #[test]
    fn archiving_with_the_old_api_fires() {
        assert!(fires(
            &SecurityHubFindingsEvasion,
            &call("UpdateFindings", r#"{"Filters":{"Id":[{"Value":"f1","Comparison":"EQUALS"}]},"RecordState":"ARCHIVED"}"#)
        ));
        assert!(!fires(
            &SecurityHubFindingsEvasion,
            &call("UpdateFindings", r#"{"Filters":{},"RecordState":"ACTIVE"}"#)
        ));
    }

    #[test]
    fn automation_rules_that_suppress_fire() {
        let rule = r#"{"RuleName":"quiet","RuleOrder":1,"Criteria":{"ResourceId":[{"Value":"i-0abc","Comparison":"EQUALS"}]},
            "Actions":[{"Type":"FINDING_FIELDS_UPDATE","FindingFieldsUpdate":{"Workflow":{"Status":"SUPPRESSED"}}}]}"#;
        assert!(fires(&SecurityHubFindingsEvasion, &call("CreateAutomationRule", rule)));
        let batch = format!(r#"{{"UpdateAutomationRulesRequestItems":[{rule}]}}"#);
        assert!(fires(&SecurityHubFindingsEvasion, &call("BatchUpdateAutomationRules", &batch)));
        let severity_only = rule.replace(
            r#"{"Workflow":{"Status":"SUPPRESSED"}}"#,
            r#"{"Severity":{"Label":"LOW"}}"#,
        );
        assert!(!fires(&SecurityHubFindingsEvasion, &call("CreateAutomationRule", &severity_only)));
        // Informational is out of sight of severity-routed alerting.
        let informational = severity_only.replace("LOW", "INFORMATIONAL");
        assert!(fires(&SecurityHubFindingsEvasion, &call("CreateAutomationRule", &informational)));
        let normalized = severity_only.replace(r#"{"Label":"LOW"}"#, r#"{"Normalized":0}"#);
        assert!(fires(&SecurityHubFindingsEvasion, &call("CreateAutomationRule", &normalized)));
        let normalized_low = severity_only.replace(r#"{"Label":"LOW"}"#, r#"{"Normalized":20}"#);
        assert!(!fires(&SecurityHubFindingsEvasion, &call("CreateAutomationRule", &normalized_low)));
        let v2 = r#"{"RuleName":"quiet","RuleOrder":1.0,"Criteria":{},"Actions":[{"Type":"FINDING_FIELDS_UPDATE","FindingFieldsUpdate":{"SeverityId":1}}]}"#;
        assert!(fires(&SecurityHubFindingsEvasion, &call("CreateAutomationRuleV2", v2)));
        assert!(!fires(&SecurityHubFindingsEvasion, &call("CreateAutomationRuleV2", &v2.replace(r#""SeverityId":1"#, r#""SeverityId":2"#))));
        // A rule resolving every future finding on arrival hides them too (one
        // finding resolved by hand is triage: see the batch update test).
        let resolves = rule.replace("SUPPRESSED", "RESOLVED");
        assert!(fires(&SecurityHubFindingsEvasion, &call("CreateAutomationRule", &resolves)));
        let resolves_v2 = v2.replace(r#""SeverityId":1"#, r#""StatusId":4"#);
        assert!(fires(&SecurityHubFindingsEvasion, &call("CreateAutomationRuleV2", &resolves_v2)));
        let notified = rule.replace("SUPPRESSED", "NOTIFIED");
        assert!(!fires(&SecurityHubFindingsEvasion, &call("CreateAutomationRule", &notified)));
    }

    /// A rule's criteria rewritten without its actions: the rule keeps actions
    /// the record does not hold, and may suppress what the criteria now match.
    #[test]
    fn rule_criteria_rewritten_without_actions_count() {
        let arn = "arn:aws:securityhub:eu-west-1:111122223333:automation-rule/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111";
        let widened = format!(
            r#"{{"UpdateAutomationRulesRequestItems":[{{"RuleArn":"{arn}","Criteria":{{"SeverityLabel":[{{"Value":"CRITICAL","Comparison":"NOT_EQUALS"}}]}}}}]}}"#
        );
        match eval(&SecurityHubFindingsEvasion, &call("BatchUpdateAutomationRules", &widened)) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("rule_actions_unstated"), Some(&serde_json::json!(true)));
                assert_eq!(e.get("rules_changed"), Some(&serde_json::json!([arn])));
                assert!(e.get("rules").is_some_and(|r| r.to_string().contains(arn)));
            }
            other => panic!("{other:?}"),
        }
        // A rule switched to suppress beside another edited without its
        // actions: reported, without the flag a tuning entry may take.
        let rule = |arn: &str| format!(r#"{{"RuleArn":"{arn}","Actions":[{{"Type":"FINDING_FIELDS_UPDATE","FindingFieldsUpdate":{{"Workflow":{{"Status":"SUPPRESSED"}}}}}}]}}"#);
        let mixed = format!(
            r#"{{"UpdateAutomationRulesRequestItems":[{},{{"RuleArn":"{arn}","Criteria":{{}}}}]}}"#,
            rule("arn:aws:securityhub:eu-west-1:111122223333:automation-rule/other")
        );
        match eval(&SecurityHubFindingsEvasion, &call("BatchUpdateAutomationRules", &mixed)) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("rule_actions_unstated"), None);
                assert_eq!(e.get("rules_changed").and_then(|r| r.as_array()).map(Vec::len), Some(2));
            }
            other => panic!("{other:?}"),
        }
        // Switched back on without its actions, or with an empty list of them.
        for on in [
            format!(r#"{{"UpdateAutomationRulesRequestItems":[{{"RuleArn":"{arn}","RuleStatus":"ENABLED"}}]}}"#),
            format!(r#"{{"UpdateAutomationRulesRequestItems":[{{"RuleArn":"{arn}","Criteria":{{}},"Actions":[]}}]}}"#),
        ] {
            assert!(fires(&SecurityHubFindingsEvasion, &call("BatchUpdateAutomationRules", &on)), "{on}");
        }
        assert!(fires(&SecurityHubFindingsEvasion, &call("UpdateAutomationRuleV2", r#"{"Identifier":"a1b2","RuleStatus":"ENABLED"}"#)));
        // An item the service did not process changed nothing.
        let refused = call("BatchUpdateAutomationRules", &widened).replace(
            r#""responseElements":null"#,
            &format!(r#""responseElements":{{"ProcessedAutomationRules":[],"UnprocessedAutomationRules":[{{"RuleArn":"{arn}","ErrorCode":400,"ErrorMessage":"x"}}]}}"#),
        );
        assert!(refused.contains("UnprocessedAutomationRules"));
        assert!(!fires(&SecurityHubFindingsEvasion, &refused));
        // The V2 rule is named.
        match eval(&SecurityHubFindingsEvasion, &call("UpdateAutomationRuleV2", r#"{"Identifier":"a1b2","Criteria":{}}"#)) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("rules_changed"), Some(&serde_json::json!(["a1b2"]))),
            other => panic!("{other:?}"),
        }
        let v2 = r#"{"Identifier":"a1b2","Criteria":{"OcsfFindingCriteria":{}}}"#;
        assert!(fires(&SecurityHubFindingsEvasion, &call("UpdateAutomationRuleV2", v2)));
        // Renamed, reordered or switched off, or actions stated that hide nothing.
        for quiet in [
            format!(r#"{{"UpdateAutomationRulesRequestItems":[{{"RuleArn":"{arn}","RuleOrder":3,"RuleStatus":"DISABLED"}}]}}"#),
            format!(
                r#"{{"UpdateAutomationRulesRequestItems":[{{"RuleArn":"{arn}","Criteria":{{}},"Actions":[{{"Type":"FINDING_FIELDS_UPDATE","FindingFieldsUpdate":{{"Note":{{"Text":"x","UpdatedBy":"y"}}}}}}]}}]}}"#
            ),
        ] {
            assert!(!fires(&SecurityHubFindingsEvasion, &call("BatchUpdateAutomationRules", &quiet)), "{quiet}");
        }
        assert!(!fires(&SecurityHubFindingsEvasion, &call("UpdateAutomationRuleV2", r#"{"Identifier":"a1b2","RuleName":"x"}"#)));
    }

    #[test]
    fn failures_do_not_fire() {
        let denied = call("BatchUpdateFindings", SUPPRESS).replace(
            "\"requestParameters\"",
            r#""errorCode":"AccessDeniedException","requestParameters""#,
        );
        assert!(!fires(&SecurityHubFindingsEvasion, &denied));
    }
}
