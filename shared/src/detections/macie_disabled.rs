//! Amazon Macie switched off (`DisableMacie`), paused (`UpdateMacieSession` with
//! status `PAUSED`, or `UpdateMemberSession`: the administrator pausing a member
//! account) or detached from its administrator
//! (`DisassociateFromAdministratorAccount`, `DisassociateFromMasterAccount`), a member
//! removed by the administrator (`DisassociateMember`, `DeleteMember`), or a findings
//! filter that archives what it matches (`CreateFindingsFilter`,
//! `UpdateFindingsFilter` with `action` `ARCHIVE`: a suppression rule), successfully.
//! Added after a review (blinding it without pausing it): automated sensitive data
//! discovery switched off (`UpdateAutomatedDiscoveryConfiguration` `DISABLED`, or
//! no longer enabled for new members: `autoEnableOrganizationMembers` `NONE`),
//! findings no longer published to Security Hub (`PutFindingsPublicationConfiguration`
//! with both kinds off) and buckets taken out of discovery's scope
//! (`UpdateClassificationScope` adding or replacing `s3.excludes.bucketNames`);
//! after a later one, a classification job cancelled or paused
//! (`UpdateClassificationJob` with `jobStatus` `CANCELLED` or `USER_PAUSED`);
//! after a second one, Macie no longer enabled in the organisation's new accounts
//! (`UpdateOrganizationConfiguration` with `autoEnable` false, as GuardDuty's,
//! Inspector's and Detective's detections judge it) and automated discovery switched
//! off for chosen members (`BatchUpdateAutomatedDiscoveryAccounts` with an account
//! at `DISABLED`); after the eleventh session's left-outs, automated discovery
//! blinded by content (`UpdateSensitivityInspectionTemplate` excluding managed
//! data identifiers, or including allow lists: text an allow list matches is
//! not reported as sensitive, and a list's regex can match anything), and an
//! allow list changed (`UpdateAllowList`: a list a template or job already uses
//! changes what it hides without the template changing; creating one hides
//! nothing until it is used).
//!
//! Decision: `UpdateMacieSession` also changes the publishing frequency; only a
//! session set to `PAUSED` fires, and the same for a member's session. Filters that only show (`NOOP`) do not.
//! An `UpdateFindingsFilter` that rewrites `findingCriteria` without `action`
//! fires: the filter keeps its action, which the record does not hold, and
//! Terraform's `aws_macie2_findings_filter` sends the action only when it
//! changed, so widening an archiving filter looks like this (from the twelfth
//! session's left-outs).

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    filter_action, filter_criteria_without_action, flag_value, request_flag, succeeded_call, text_is,
};
use crate::event::Record;

pub struct MacieDisabled;

const SOURCE: &str = "macie2.amazonaws.com";
const NAMES: &[&str] = &[
    "DisableMacie",
    "UpdateMacieSession",
    "UpdateMemberSession",
    "DisassociateFromAdministratorAccount",
    "DisassociateFromMasterAccount",
    "DisassociateMember",
    "DeleteMember",
    "CreateFindingsFilter",
    "UpdateFindingsFilter",
    "UpdateAutomatedDiscoveryConfiguration",
    "PutFindingsPublicationConfiguration",
    "UpdateClassificationScope",
    "UpdateClassificationJob",
    "UpdateOrganizationConfiguration",
    "BatchUpdateAutomatedDiscoveryAccounts",
    "UpdateSensitivityInspectionTemplate",
    "UpdateAllowList",
];

/// The findings-filter calls: they count only when the filter archives what it
/// matches (a suppression rule).
const FILTERS: &[&str] = &["CreateFindingsFilter", "UpdateFindingsFilter"];

pub static META: Meta = Meta {
    id: "macie-disabled",
    title: "AWS Macie Disabled or Paused",
    description: "Amazon Macie was disabled, paused, detached from the administrator \
                  account, or blinded: discovery off, findings no longer published, buckets \
                  taken out of scope. Macie finds sensitive data and public or shared S3 buckets; with it \
                  off, staging data for exfiltration from those buckets raises no findings.",
    severity: Severity::Medium,
    attack: &["T1562.001"],
    origins: &["Elastic detection-rules defense_evasion_macie_or_inspector_disabled.toml \
              (its Macie part)"],
    group: "security-services",
    false_positives: &[
        "Cost reviews or account decommissioning by the security team.",
        "Archiving filters for buckets and findings the team has reviewed and accepted.",
        "Terraform changing a saved view's (`NOOP`) criteria: its `aws_macie2_findings_filter` \
         leaves the unchanged `action` out, so the record cannot tell it from an archiving \
         filter widened (`evidence.filter_action_unstated`). Suppress by the pipeline's role, \
         the filter's `evidence.filter_id` and `\"evidence.filter_action_unstated\" = \"true\"` \
         together: without the flag the entry also silences that role switching the filter to \
         `ARCHIVE`.",
        "A sensitivity inspection template that excludes managed data identifiers the team \
         does not need (names, addresses) or uses an allow list of its test data: each update \
         restates them. A tuning entry matching `eventName` \
         `UpdateSensitivityInspectionTemplate`, the kinds it allows in \
         `evidence.template_hides[]` (`managed_identifiers`, `allow_lists`), the team's own \
         choices in `evidence.excluded_identifiers[]` and `evidence.allow_lists[]` (every \
         item must be one of them; name only the kinds listed) and the caller's role keeps \
         any other exclusion or allow list reported.",
        "The team refining an allow list of its test data (`UpdateAllowList`).",
    ],
    next_steps: "Confirm with the security team. If unplanned, re-enable Macie, and review S3 \
                 access to sensitive buckets and the caller's activity since the change.",
    evidence: "action allow_list allow_list_criteria allow_list_name allow_lists criteria \
        discovery_disabled_for excluded_identifiers filter filter_action_unstated filter_id job \
        job_status member scope scope_name status template template_hides template_name",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

impl Detection for MacieDisabled {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, SOURCE, NAMES) {
            return None;
        }
        let status = rec.request_param_str("status");
        if matches!(rec.event_name(), "UpdateMacieSession" | "UpdateMemberSession")
            && !text_is(rec.request_param("status"), "PAUSED")
        {
            return None;
        }
        let unstated = rec.event_name() == "UpdateFindingsFilter"
            && filter_criteria_without_action(rec, "FindingCriteria");
        if FILTERS.contains(&rec.event_name())
            && !unstated
            && !text_is(filter_action(rec), "ARCHIVE")
        {
            return None;
        }
        // Read once, for the decision and the evidence.
        let excluded = template_ids(rec, "excludes", "managedDataIdentifierIds");
        let allow_lists = template_ids(rec, "includes", "allowListIds");
        let disabled_for = discovery_disabled_for(rec);
        let blinded = match rec.event_name() {
            // Off for this account, or no longer enabled for the organisation's new
            // members.
            "UpdateAutomatedDiscoveryConfiguration" => {
                text_is(rec.request_param("status"), "DISABLED")
                    || text_is(rec.request_param("autoEnableOrganizationMembers"), "NONE")
            }
            "PutFindingsPublicationConfiguration" => {
                let hub = rec.request_param("securityHubConfiguration");
                let off = |k: &str| hub.and_then(|h| h.get(k)).and_then(flag_value) == Some(false);
                off("publishClassificationFindings") && off("publishPolicyFindings")
            }
            // A sensitive-data discovery job stopped for good or paused (from an
            // evasion review); resuming one (`RUNNING`) does not count.
            "UpdateClassificationJob" => ["CANCELLED", "USER_PAUSED"]
                .iter()
                .any(|s| text_is(rec.request_param("jobStatus"), s)),
            "UpdateOrganizationConfiguration" => {
                request_flag(rec, "autoEnable").or_else(|| request_flag(rec, "AutoEnable")) == Some(false)
            }
            "BatchUpdateAutomatedDiscoveryAccounts" => !disabled_for.is_empty(),
            // The template replaces what discovery looks for: a restatement
            // of the same exclusions fires again (as an archiving filter's
            // does); a template that only adds custom identifiers does not.
            "UpdateSensitivityInspectionTemplate" => !excluded.is_empty() || !allow_lists.is_empty(),
            "UpdateClassificationScope" => {
                let excludes = rec.request_param("s3").and_then(|s3| s3.get("excludes"));
                let adds = excludes.and_then(|e| e.get("operation")).is_some_and(|o| {
                    text_is(Some(o), "ADD") || text_is(Some(o), "REPLACE")
                });
                let named = excludes
                    .and_then(|e| e.get("bucketNames"))
                    .and_then(|b| b.as_array())
                    .is_some_and(|b| !b.is_empty());
                adds && named
            }
            _ => true,
        };
        if !blinded {
            return None;
        }
        // What `id` and `name` name: the template, allow list, filter or
        // classification scope, else a member (a new filter has no id yet).
        let (id_key, name_key) = match rec.event_name() {
            "UpdateSensitivityInspectionTemplate" => ("template", "template_name"),
            "UpdateAllowList" => ("allow_list", "allow_list_name"),
            "UpdateFindingsFilter" => ("filter_id", "filter"),
            "UpdateClassificationScope" => ("scope", "scope_name"),
            _ => ("member", "filter"),
        };
        let hides = template_hides(&excluded, &allow_lists);
        fire(
            Evidence::new()
                .with("action", rec.event_name())
                .with_opt("status", status)
                .with_opt(id_key, rec.request_param_str("id"))
                .with_opt(name_key, rec.request_param_str("name"))
                .with_opt("job", rec.request_param_str("jobId"))
                .with_opt("job_status", rec.request_param_str("jobStatus"))
                .with_json("criteria", rec.request_param("findingCriteria"))
                .with_opt("filter_action_unstated", unstated.then_some(true))
                .with_opt("discovery_disabled_for", some_listed(disabled_for))
                .with_opt("excluded_identifiers", some_listed(excluded))
                .with_opt("allow_lists", some_listed(allow_lists))
                .with_opt("template_hides", hides)
                .with_json("allow_list_criteria", allow_list_criteria(rec)),
        )
    }
}

/// What a template update hides from discovery, by kind (`managed_identifiers`,
/// `allow_lists`): a tuning entry for a team's standing exclusions names the
/// kinds it allows, so that an allow list included beside them is reported
/// (from a review; `evidence.allow_lists|absent` says the same since tuning
/// can require a key to be absent).
fn template_hides(excluded: &[&str], allow_lists: &[&str]) -> Option<Vec<&'static str>> {
    let kinds = [("managed_identifiers", excluded), ("allow_lists", allow_lists)]
        .into_iter()
        .filter(|(_, ids)| !ids.is_empty())
        .map(|(kind, _)| kind)
        .collect();
    some_listed(kinds)
}

/// A list for the evidence, none when it is empty.
fn some_listed<T>(list: Vec<T>) -> Option<Vec<T>> {
    (!list.is_empty()).then_some(list)
}

/// What `UpdateAllowList` makes the list match: a regex, or an S3 object of words.
fn allow_list_criteria<'r>(rec: &'r Record<'_>) -> Option<&'r serde_json::Value> {
    (rec.event_name() == "UpdateAllowList")
        .then(|| rec.request_param("criteria"))
        .flatten()
}

/// The ids `UpdateSensitivityInspectionTemplate` lists under `part.key`
/// (`excludes.managedDataIdentifierIds`, `includes.allowListIds`), all of
/// them: a tuning entry allows the list only while every item is one it names
/// (from a review: the first 20 of a longer list let the rest through).
fn template_ids<'r>(rec: &'r Record<'_>, part: &str, key: &str) -> Vec<&'r str> {
    if rec.event_name() != "UpdateSensitivityInspectionTemplate" {
        return Vec::new();
    }
    rec.request_param(part)
        .and_then(|p| p.get(key))
        .and_then(|ids| ids.as_array())
        .into_iter()
        .flatten()
        .filter_map(|id| id.as_str())
        .collect()
}

/// The accounts `BatchUpdateAutomatedDiscoveryAccounts` switches discovery off for.
fn discovery_disabled_for<'r>(rec: &'r Record<'_>) -> Vec<&'r str> {
    if rec.event_name() != "BatchUpdateAutomatedDiscoveryAccounts" {
        return Vec::new();
    }
    rec.request_param("accounts")
        .and_then(|a| a.as_array())
        .into_iter()
        .flatten()
        .filter(|a| text_is(a.get("status"), "DISABLED"))
        .filter_map(|a| a.get("accountId")?.as_str())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::calls::{call, failed};
    use crate::detections::common::testing::{eval, fires};
    use std::sync::LazyLock;

    static DISABLE: LazyLock<String> =
        LazyLock::new(|| call("macie2.amazonaws.com", "DisableMacie", r#"null"#));

    #[test]
    fn a_classification_job_cancelled_or_paused_counts() {
        let job = |status: &str| {
            call("macie2.amazonaws.com", "UpdateClassificationJob", &format!(r#"{{"jobId":"3ce05dbb7ec5505def334104bf0d3d0b","jobStatus":"{status}"}}"#))
        };
        assert!(fires(&MacieDisabled, &job("CANCELLED")));
        assert!(fires(&MacieDisabled, &job("USER_PAUSED")));
        assert!(!fires(&MacieDisabled, &job("RUNNING")));
        assert!(!fires(&MacieDisabled, &failed(&job("CANCELLED"), "AccessDeniedException")));
    }

    #[test]
    fn a_member_session_paused_by_the_administrator_counts() {
        let member = |status: &str| {
            call("macie2.amazonaws.com", "UpdateMemberSession", &format!(r#"{{"id":"444455556666","status":"{status}"}}"#))
        };
        assert!(fires(&MacieDisabled, &member("PAUSED")));
        assert!(!fires(&MacieDisabled, &member("ENABLED")));
        assert!(!fires(&MacieDisabled, &failed(&member("PAUSED"), "AccessDeniedException")));
    }

    #[test]
    fn members_removed_and_archiving_filters_count() {
        for name in ["DisassociateMember", "DeleteMember"] {
            assert!(fires(&MacieDisabled, &call("macie2.amazonaws.com", name, r#"{"id":"444455556666"}"#)), "{name}");
        }
        let filter = |action: &str| {
            format!(r#"{{"name":"quiet","action":"{action}","findingCriteria":{{"criterion":{{"severity.description":{{"eq":["Low","Medium","High"]}}}}}}}}"#)
        };
        for name in ["CreateFindingsFilter", "UpdateFindingsFilter"] {
            assert!(fires(&MacieDisabled, &call("macie2.amazonaws.com", name, &filter("ARCHIVE"))), "{name}");
            assert!(fires(&MacieDisabled, &call("macie2.amazonaws.com", name, &filter("archive"))), "{name}");
            assert!(!fires(&MacieDisabled, &call("macie2.amazonaws.com", name, &filter("NOOP"))), "{name}");
        }
        assert!(!fires(&MacieDisabled, &call("macie2.amazonaws.com", "UpdateFindingsFilter", r#"{"id":"f1","description":"x"}"#)));
        // Criteria rewritten without the action (Terraform sends only what
        // changed): the filter may archive.
        let widened = call(
            "macie2.amazonaws.com",
            "UpdateFindingsFilter",
            r#"{"id":"f1","findingCriteria":{"criterion":{"severity.description":{"eq":["Low","Medium","High"]}}}}"#,
        );
        match eval(&MacieDisabled, &widened) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("filter_action_unstated"), Some(&serde_json::json!(true)));
                assert_eq!(e.get("filter_id"), Some(&serde_json::json!("f1")));
                assert_eq!(e.get("member"), None);
            }
            other => panic!("{other:?}"),
        }
        let created = call("macie2.amazonaws.com", "CreateFindingsFilter", r#"{"name":"v","findingCriteria":{"criterion":{}}}"#);
        assert!(!fires(&MacieDisabled, &created));
    }

    /// From a review: blinding Macie without pausing it.
    #[test]
    fn discovery_off_findings_unpublished_and_buckets_excluded_count() {
        let macie = |name: &str, params: &str| call("macie2.amazonaws.com", name, params);
        assert!(fires(&MacieDisabled, &macie("UpdateAutomatedDiscoveryConfiguration", r#"{"status":"DISABLED"}"#)));
        assert!(!fires(&MacieDisabled, &macie("UpdateAutomatedDiscoveryConfiguration", r#"{"status":"ENABLED"}"#)));
        let org = r#"{"status":"ENABLED","autoEnableOrganizationMembers":"NONE"}"#;
        assert!(fires(&MacieDisabled, &macie("UpdateAutomatedDiscoveryConfiguration", org)));
        let all = r#"{"status":"ENABLED","autoEnableOrganizationMembers":"ALL"}"#;
        assert!(!fires(&MacieDisabled, &macie("UpdateAutomatedDiscoveryConfiguration", all)));
        let publish = |a: &str, b: &str| {
            macie("PutFindingsPublicationConfiguration",
                &format!(r#"{{"securityHubConfiguration":{{"publishClassificationFindings":{a},"publishPolicyFindings":{b}}}}}"#))
        };
        assert!(fires(&MacieDisabled, &publish("false", "false")));
        assert!(!fires(&MacieDisabled, &publish("true", "false")));
        let scope = |op: &str, names: &str| {
            macie("UpdateClassificationScope", &format!(r#"{{"id":"s1","s3":{{"excludes":{{"bucketNames":{names},"operation":"{op}"}}}}}}"#))
        };
        assert!(fires(&MacieDisabled, &scope("ADD", r#"["customer-exports"]"#)));
        assert!(fires(&MacieDisabled, &scope("REPLACE", r#"["customer-exports"]"#)));
        assert!(!fires(&MacieDisabled, &scope("REMOVE", r#"["customer-exports"]"#)));
        assert!(!fires(&MacieDisabled, &scope("REPLACE", "[]")));
    }

    /// Twelfth session (a left-out of the security-services review): Macie
    /// blinded by content, not by bucket.
    #[test]
    fn discovery_blinded_by_excluded_identifiers_or_allow_lists_counts() {
        let template = |params: &str| call(SOURCE, "UpdateSensitivityInspectionTemplate", params);
        let excluded = template(
            r#"{"id":"9f3c2a","excludes":{"managedDataIdentifierIds":["CREDIT_CARD_NUMBER","AWS_CREDENTIALS"]},"includes":{"customDataIdentifierIds":["c1"]}}"#,
        );
        match crate::detections::common::testing::eval(&MacieDisabled, &excluded) {
            Some(Signal::Fire(e)) => assert_eq!(
                e.get("excluded_identifiers"),
                Some(&serde_json::json!(["CREDIT_CARD_NUMBER", "AWS_CREDENTIALS"]))
            ),
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(fires(&MacieDisabled, &template(r#"{"id":"9f3c2a","includes":{"allowListIds":["al-1"]}}"#)));
        // Custom identifiers added, or nothing excluded: discovery sees more, not less.
        assert!(!fires(&MacieDisabled, &template(r#"{"id":"9f3c2a","includes":{"customDataIdentifierIds":["c1"]}}"#)));
        assert!(!fires(&MacieDisabled, &template(r#"{"id":"9f3c2a","excludes":{"managedDataIdentifierIds":[]},"description":"d"}"#)));
        assert!(!fires(&MacieDisabled, &failed(&template(r#"{"id":"9f3c2a","includes":{"allowListIds":["al-1"]}}"#), "AccessDeniedException")));
        let list = call(SOURCE, "UpdateAllowList", r#"{"id":"al-1","name":"test-cards","criteria":{"regex":".*"}}"#);
        match crate::detections::common::testing::eval(&MacieDisabled, &list) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("allow_list_criteria"), Some(&serde_json::json!({"regex": ".*"})))
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(!fires(&MacieDisabled, &call(SOURCE, "CreateAllowList", r#"{"name":"test-cards","criteria":{"regex":".*"}}"#)));
    }

    /// From a second review: new accounts left without Macie, and discovery off for
    /// chosen members.
    #[test]
    fn organisation_auto_enable_off_and_members_discovery_off_count() {
        let org = |flag: &str| call(SOURCE, "UpdateOrganizationConfiguration", &format!(r#"{{"autoEnable":{flag}}}"#));
        assert!(fires(&MacieDisabled, &org("false")));
        assert!(fires(&MacieDisabled, &org(r#""false""#)));
        assert!(!fires(&MacieDisabled, &org("true")));
        let members = |status: &str| {
            call(
                SOURCE,
                "BatchUpdateAutomatedDiscoveryAccounts",
                &format!(r#"{{"accounts":[{{"accountId":"444455556666","status":"{status}"}},{{"accountId":"555566667777","status":"ENABLED"}}]}}"#),
            )
        };
        match crate::detections::common::testing::eval(&MacieDisabled, &members("DISABLED")) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("discovery_disabled_for"), Some(&serde_json::json!(["444455556666"])));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(!fires(&MacieDisabled, &members("ENABLED")));
        assert!(!fires(&MacieDisabled, &call(SOURCE, "BatchUpdateAutomatedDiscoveryAccounts", "{}")));
    }

    #[test]
    fn fires_on_disable_pause_and_detach() {
        assert!(fires(&MacieDisabled, &DISABLE));
        let pause = DISABLE
            .replace("DisableMacie", "UpdateMacieSession")
            .replace("\"requestParameters\":null", r#""requestParameters":{"status":"PAUSED"}"#);
        assert!(fires(&MacieDisabled, &pause));
        assert!(fires(
            &MacieDisabled,
            &DISABLE.replace("DisableMacie", "DisassociateFromAdministratorAccount")
        ));
    }

    #[test]
    fn ignores_other_session_updates_failures_and_calls() {
        let frequency = DISABLE.replace("DisableMacie", "UpdateMacieSession").replace(
            "\"requestParameters\":null",
            r#""requestParameters":{"findingPublishingFrequency":"SIX_HOURS"}"#,
        );
        assert!(!fires(&MacieDisabled, &frequency));
        let enable = DISABLE
            .replace("DisableMacie", "UpdateMacieSession")
            .replace("\"requestParameters\":null", r#""requestParameters":{"status":"ENABLED"}"#);
        assert!(!fires(&MacieDisabled, &enable));
        let denied = failed(&DISABLE, "AccessDeniedException");
        assert!(!fires(&MacieDisabled, &denied));
        assert!(!fires(&MacieDisabled, &DISABLE.replace("DisableMacie", "EnableMacie")));
        assert!(!fires(
            &MacieDisabled,
            &DISABLE.replace("macie2.amazonaws.com", "macie.amazonaws.com")
        ));
    }
}
