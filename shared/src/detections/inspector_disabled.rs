//! Amazon Inspector scanning switched off (`Disable` on `inspector2`), a member
//! account taken out of the administrator's view (`DisassociateMember`), the
//! organisation's automatic enablement of EC2 or ECR scanning turned off for new
//! accounts (`UpdateOrganizationConfiguration`; the optional Lambda switches are
//! resent false by organisations that never used them, so they do not count), or a
//! suppression rule made (`CreateFilter`, `UpdateFilter` with `action` `SUPPRESS`:
//! matching findings stop showing; an `UpdateFilter` rewriting `filterCriteria`
//! without `action` too, since the filter keeps an action the record does not
//! hold and a CLI or SDK caller may leave it out), or deep inspection switched off
//! (`UpdateEc2DeepInspectionConfiguration` with `activateDeepInspection` false: the
//! application packages of Linux instances are no longer scanned; or, by the
//! administrator for members, `BatchUpdateMemberEc2DeepInspectionStatus` with some
//! account's `activateDeepInspection` false, added after a review), successfully. The
//! member and organisation
//! cases are those GuardDuty's, Macie's and Security Hub's detections take too.
//!
//! After an evasion review, the same one resource at a time: the exclusion tags
//! Inspector documents, `InspectorEc2Exclusion` put on an instance (EC2
//! `CreateTags`), and `InspectorExclusion` `LambdaStandardScanning` or
//! `InspectorCodeExclusion` `LambdaCodeScanning` put on a function (Lambda
//! `TagResource`, recorded with a version suffix), as the `GuardDutyManaged` tag
//! is judged for GuardDuty.
//!
//! After a second review, from the ECR side: the registry's scanning set back to
//! ECR's own (`PutRegistryScanningConfiguration` with `scanType` `BASIC`), or left
//! enhanced with no rule (no repository is scanned), takes every image out of
//! Inspector's scans, as `Disable` of `ECR` does. A registry that never used
//! Inspector and is set to basic scanning again is reported too: the record cannot
//! tell, and the call is rare. Enhanced rules narrowed to some repositories are not
//! judged.
//!
//! Decision: `Disable` with a `resourceTypes` list turns off only those scan types
//! (EC2, ECR, Lambda); it still fires, with the list in the evidence, since each type
//! switched off is a blind spot.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    aws_service_among, aws_service_or_linked_role, filter_action, filter_criteria_without_action, flag_value, lambda_operation,
    pascal_or_camel,
    succeeded_call, text_is, values_at_key,
};
use crate::event::Record;
use crate::event::prefilter::{Needle, Peek};

pub struct InspectorDisabled;

const SOURCE: &str = "inspector2.amazonaws.com";
const NAMES: &[&str] = &[
    "CreateFilter",
    "Disable",
    "DisassociateMember",
    "UpdateEc2DeepInspectionConfiguration",
    "BatchUpdateMemberEc2DeepInspectionStatus",
    "UpdateFilter",
    "UpdateOrganizationConfiguration",
];

const EC2: &str = "ec2.amazonaws.com";
const LAMBDA: &str = "lambda.amazonaws.com";
const ECR: &str = "ecr.amazonaws.com";
const REGISTRY_SCANNING: &str = "PutRegistryScanningConfiguration";
/// The instance tag that takes an instance out of Inspector's scans.
const EC2_EXCLUSION: &str = "InspectorEc2Exclusion";
/// Only `CreateTags` calls that put the exclusion tag reach the function.
const EC2_EXCLUSION_PATTERN: &str = r#"{"requestParameters":{"tagSet":{"items":{"key":["InspectorEc2Exclusion"]}}}}"#;
/// The function tags (key, value) that take a function out of Inspector's scans.
const LAMBDA_EXCLUSIONS: [(&str, &str); 2] = [
    ("InspectorExclusion", "LambdaStandardScanning"),
    ("InspectorCodeExclusion", "LambdaCodeScanning"),
];

/// The exclusion tag a tagging call puts, as `key=value`, when it puts one.
fn exclusion_tag(rec: &Record<'_>) -> Option<String> {
    let request = rec.request_parameters()?;
    match rec.event_source() {
        EC2 if rec.event_name() == "CreateTags" => values_at_key(request, "items")
            .into_iter()
            .filter_map(|items| items.as_array())
            .flatten()
            .filter_map(|t| pascal_or_camel(t, "Key")?.as_str())
            .find(|k| k.trim() == EC2_EXCLUSION)
            .map(|k| k.trim().to_owned()),
        LAMBDA if lambda_operation(rec.event_name()) == "TagResource" => {
            let tags = request.get("tags")?.as_object()?;
            LAMBDA_EXCLUSIONS.iter().find_map(|(key, value)| {
                text_is(tags.get(*key), value).then(|| format!("{key}={value}"))
            })
        }
        _ => None,
    }
}

pub static META: Meta = Meta {
    id: "inspector-disabled",
    title: "AWS Inspector Disabled",
    description: "Amazon Inspector scanning was disabled for the account, or for some \
                  accounts or resource types, or its deep inspection of instances' \
                  application packages switched off. Vulnerable instances, images and functions then \
                  stop producing findings, which suits an intruder who relies on a known \
                  vulnerability or planted a vulnerable image.",
    severity: Severity::Medium,
    attack: &["T1562.001"],
    origins: &["Elastic detection-rules defense_evasion_macie_or_inspector_disabled.toml \
              (its Inspector part)"],
    group: "security-services",
    false_positives: &[
        "Cost reviews, account decommissioning, or a change of delegated administrator by \
         the security team.",
        "Suppression rules for risks the team has accepted.",
        "A script changing a saved filter's (`NONE`) criteria without restating its `action` \
         (Terraform restates it): the record cannot tell it from a suppression rule widened \
         (`evidence.filter_action_unstated`). Suppress by the script's role, \
         `evidence.filter_arn` and `\"evidence.filter_action_unstated\" = \"true\"` together: \
         without the flag the entry also silences that role switching the filter to \
         `SUPPRESS`.",
    ],
    next_steps: "Check which accounts and resource types were disabled (evidence). Confirm \
                 with the security team; if unplanned, re-enable Inspector and review the \
                 caller's activity and recent deployments.",
    evidence: "account_id account_ids action auto_enable_off criteria exclusion_tag filter \
        filter_action_unstated filter_arn no_rules resource_types resources scan_type",
    triggers: &[
        Trigger::write(SOURCE, NAMES),
        Trigger::write(EC2, &["CreateTags"]).with_detail(EC2_EXCLUSION_PATTERN),
        Trigger::write(LAMBDA, &[]).with_detail(r#"{"eventName":[{"prefix":"TagResource"}]}"#),
        Trigger::write(ECR, &[REGISTRY_SCANNING]),
    ],
    window: None,
};

impl Detection for InspectorDisabled {
    fn meta(&self) -> &'static Meta {
        &META
    }

    /// Every Lambda event reaches this detection (its tagging calls carry a
    /// version suffix), and every EC2 `CreateTags`: only those whose bytes name an
    /// Inspector exclusion tag are parsed (a review of the bench found the Lambda
    /// reads parsed for nothing).
    fn may_match_raw(&self, peek: &Peek<'_>, json: &[u8]) -> bool {
        static INSPECTOR_TAG: Needle = Needle::new("Inspector");
        match peek.event_source {
            LAMBDA => peek.event_name.starts_with("TagResource") && INSPECTOR_TAG.is_in(json),
            EC2 => INSPECTOR_TAG.is_in(json),
            _ => true,
        }
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if matches!(rec.event_source(), EC2 | LAMBDA) {
            if !rec.succeeded() {
                return None;
            }
            let tag = exclusion_tag(rec)?;
            let resources = [rec.request_param("resourcesSet"), rec.request_param("resource")]
                .into_iter()
                .flatten()
                .find(|v| !v.is_null());
            return fire(
                Evidence::new()
                    .with("action", rec.event_name())
                    .with("exclusion_tag", tag)
                    .with_json("resources", resources),
            );
        }
        if succeeded_call(rec, ECR, &[REGISTRY_SCANNING]) {
            // Inspector itself resetting the registry when its scanning is switched
            // off is the `Disable` finding's (from a review).
            if aws_service_or_linked_role(rec) || aws_service_among(rec, &["inspector2.amazonaws.com"]) {
                return None;
            }
            let scan_type = rec.request_param_str("scanType").map(str::trim);
            let no_rules = rec
                .request_param("rules")
                .is_none_or(|r| r.is_null() || r.as_array().is_some_and(Vec::is_empty));
            let basic = scan_type.is_some_and(|t| t.eq_ignore_ascii_case("BASIC"));
            let enhanced = scan_type.is_some_and(|t| t.eq_ignore_ascii_case("ENHANCED"));
            if !(basic || enhanced && no_rules) {
                return None;
            }
            return fire(
                Evidence::new()
                    .with("action", rec.event_name())
                    .with_opt("scan_type", scan_type)
                    .with("resource_types", vec!["ECR"])
                    .with_opt("no_rules", (enhanced && no_rules).then_some(true)),
            );
        }
        if !succeeded_call(rec, SOURCE, NAMES) {
            return None;
        }
        let auto_enable_off = auto_enable_off(rec);
        let unstated = rec.event_name() == "UpdateFilter" && filter_criteria_without_action(rec, "FilterCriteria");
        let counts = match rec.event_name() {
            "Disable" | "DisassociateMember" => true,
            "UpdateOrganizationConfiguration" => !auto_enable_off.is_empty(),
            "UpdateEc2DeepInspectionConfiguration" => {
                rec.request_param("activateDeepInspection").and_then(flag_value) == Some(false)
            }
            "BatchUpdateMemberEc2DeepInspectionStatus" => rec
                .request_param("accountIds")
                .and_then(|a| a.as_array())
                .into_iter()
                .flatten()
                .any(|a| a.get("activateDeepInspection").and_then(flag_value) == Some(false)),
            // A filter counts only as a suppression rule (its matches hidden),
            // or as a filter whose criteria were rewritten without its action
            // (which the record does not hold).
            _ => text_is(filter_action(rec), "SUPPRESS") || unstated,
        };
        if !counts {
            return None;
        }
        let evidence = if auto_enable_off.is_empty() {
            Evidence::new()
        } else {
            Evidence::new().with("auto_enable_off", auto_enable_off)
        };
        fire(
            evidence
                .with("action", rec.event_name())
                .with_opt("account_id", rec.request_param_str("accountId"))
                .with_json("resource_types", rec.request_param("resourceTypes"))
                .with_json("account_ids", rec.request_param("accountIds"))
                .with_opt("filter", rec.request_param_str("name"))
                .with_opt("filter_arn", rec.request_param_str("filterArn"))
                .with_json("criteria", rec.request_param("filterCriteria"))
                .with_opt("filter_action_unstated", unstated.then_some(true)),
        )
    }
}

/// The scan types the API requires in every `autoEnable` (EC2 and ECR scanning);
/// the optional ones (Lambda, Lambda code) are resent as they stand on every
/// change, false included, by organisations that never turned them on, and the
/// request does not say what they were.
const REQUIRED_SCANS: [&str; 2] = ["ec2", "ecr"];

/// The required scan types whose `autoEnable` switch the request turns off (false,
/// as a flag or its text), sorted.
fn auto_enable_off(rec: &Record<'_>) -> Vec<String> {
    let mut off: Vec<String> = rec
        .request_param("autoEnable")
        .and_then(|a| a.as_object())
        .into_iter()
        .flatten()
        .filter(|(k, v)| {
            REQUIRED_SCANS.iter().any(|r| r.eq_ignore_ascii_case(k)) && flag_value(v) == Some(false)
        })
        .map(|(k, _)| k.clone())
        .collect();
    off.sort();
    off
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::calls::{call, failed};
    use crate::detections::common::testing::{eval, fires};
    use std::sync::LazyLock;
    use serde_json::json;

    static DISABLE: LazyLock<String> =
        LazyLock::new(|| call("inspector2.amazonaws.com", "Disable", r#"{"resourceTypes":["EC2","ECR"]}"#));

    /// From a second review: Inspector's image scans switched off from ECR.
    #[test]
    fn registry_scanning_taken_from_inspector_fires() {
        let registry = |params: &str| call(ECR, REGISTRY_SCANNING, params);
        assert!(fires(&InspectorDisabled, &registry(r#"{"scanType":"BASIC","rules":[]}"#)));
        assert!(fires(&InspectorDisabled, &registry(r#"{"scanType":"BASIC","rules":[{"scanFrequency":"SCAN_ON_PUSH","repositoryFilters":[{"filter":"*","filterType":"WILDCARD"}]}]}"#)));
        match eval(&InspectorDisabled, &registry(r#"{"scanType":"ENHANCED","rules":[]}"#)) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("no_rules"), Some(&json!(true))),
            other => panic!("expected a finding, got {other:?}"),
        }
        let scanned = r#"{"scanType":"ENHANCED","rules":[{"scanFrequency":"CONTINUOUS_SCAN","repositoryFilters":[{"filter":"*","filterType":"WILDCARD"}]}]}"#;
        assert!(!fires(&InspectorDisabled, &registry(scanned)));
        assert!(!fires(&InspectorDisabled, &failed(&registry(r#"{"scanType":"BASIC"}"#), "AccessDeniedException")));
    }

    #[test]
    fn deep_inspection_switched_off_fires() {
        let deep = |on: &str| call(SOURCE, "UpdateEc2DeepInspectionConfiguration", &format!(r#"{{"activateDeepInspection":{on}}}"#));
        assert!(fires(&InspectorDisabled, &deep("false")));
        assert!(!fires(&InspectorDisabled, &deep("true")));
        let paths = call(SOURCE, "UpdateEc2DeepInspectionConfiguration", r#"{"packagePaths":["/opt/app"]}"#);
        assert!(!fires(&InspectorDisabled, &paths));
        assert!(!fires(&InspectorDisabled, &failed(&deep("false"), "AccessDeniedException")));
        // The administrator's form for members (from a review).
        let members = |on: &str| {
            call(SOURCE, "BatchUpdateMemberEc2DeepInspectionStatus",
                &format!(r#"{{"accountIds":[{{"accountId":"444455556666","activateDeepInspection":true}},{{"accountId":"555566667777","activateDeepInspection":{on}}}]}}"#))
        };
        assert!(fires(&InspectorDisabled, &members("false")));
        assert!(!fires(&InspectorDisabled, &members("true")));
    }

    #[test]
    fn suppression_rules_count() {
        let filter = |action: &str| {
            format!(r#"{{"name":"quiet","action":"{action}","filterCriteria":{{"severity":[{{"comparison":"EQUALS","value":"CRITICAL"}}]}}}}"#)
        };
        for name in ["CreateFilter", "UpdateFilter"] {
            assert!(fires(&InspectorDisabled, &call("inspector2.amazonaws.com", name, &filter("SUPPRESS"))), "{name}");
            assert!(!fires(&InspectorDisabled, &call("inspector2.amazonaws.com", name, &filter("NONE"))), "{name}");
        }
        // Criteria rewritten without the action (Terraform sends only what
        // changed): the filter may suppress.
        let widened = call(
            "inspector2.amazonaws.com",
            "UpdateFilter",
            r#"{"filterArn":"arn:aws:inspector2:us-east-1:111122223333:owner/111122223333/filter/0123456789abcdef","filterCriteria":{"severity":[{"comparison":"NOT_EQUALS","value":"INFORMATIONAL"}]}}"#,
        );
        match eval(&InspectorDisabled, &widened) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("filter_action_unstated"), Some(&json!(true)));
                assert!(e.get("filter_arn").is_some());
            }
            other => panic!("{other:?}"),
        }
        let renamed = call(
            "inspector2.amazonaws.com",
            "UpdateFilter",
            r#"{"filterArn":"arn:aws:inspector2:us-east-1:111122223333:owner/111122223333/filter/0123456789abcdef","name":"renamed"}"#,
        );
        assert!(!fires(&InspectorDisabled, &renamed));
        let created = call("inspector2.amazonaws.com", "CreateFilter", r#"{"name":"v","filterCriteria":{"severity":[]}}"#);
        assert!(!fires(&InspectorDisabled, &created));
    }

    #[test]
    fn fires_with_the_resource_types() {
        match eval(&InspectorDisabled, &DISABLE) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("resource_types"), Some(&json!(["EC2", "ECR"])))
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(fires(
            &InspectorDisabled,
            &DISABLE.replace(r#"{"resourceTypes":["EC2","ECR"]}"#, "null")
        ));
    }

    #[test]
    fn ignores_failures_and_other_calls() {
        let denied = failed(&DISABLE, "AccessDeniedException");
        assert!(!fires(&InspectorDisabled, &denied));
        assert!(!fires(&InspectorDisabled, &DISABLE.replace("\"Disable\"", "\"Enable\"")));
        assert!(!fires(
            &InspectorDisabled,
            &DISABLE.replace("inspector2.amazonaws.com", "ssm.amazonaws.com")
        ));
    }

    /// From a review: a member taken out, and new accounts no longer scanned.
    #[test]
    fn members_removed_and_auto_enable_off_count() {
        let member = call(SOURCE, "DisassociateMember", r#"{"accountId":"444455556666"}"#);
        match eval(&InspectorDisabled, &member) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("account_id"), Some(&json!("444455556666"))),
            other => panic!("expected a finding, got {other:?}"),
        }
        let org = call(SOURCE, "UpdateOrganizationConfiguration", r#"{"autoEnable":{"ec2":false,"ecr":true,"lambda":"false","lambdaCode":false}}"#);
        match eval(&InspectorDisabled, &org) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("auto_enable_off"), Some(&json!(["ec2"]))),
            other => panic!("expected a finding, got {other:?}"),
        }
        let on = call(SOURCE, "UpdateOrganizationConfiguration", r#"{"autoEnable":{"ec2":true,"ecr":true,"lambda":false,"lambdaCode":false}}"#);
        assert!(!fires(&InspectorDisabled, &on));
        assert!(!fires(&InspectorDisabled, &failed(&member, "AccessDeniedException")));
    }

    /// From an evasion review: Inspector's exclusion tags on an instance or a
    /// function.
    #[test]
    fn exclusion_tags_count() {
        use crate::detections::common::calls::call;
        let ec2 = |key: &str| {
            call(EC2, "CreateTags", &format!(r#"{{"resourcesSet":{{"items":[{{"resourceId":"i-0a1b2c3d4e5f60718"}}]}},"tagSet":{{"items":[{{"key":"{key}","value":""}}]}}}}"#))
        };
        assert!(fires(&InspectorDisabled, &ec2("InspectorEc2Exclusion")));
        assert!(!fires(&InspectorDisabled, &ec2("Owner")));
        let lambda = |name: &str, key: &str, value: &str| {
            call(LAMBDA, name, &format!(r#"{{"resource":"arn:aws:lambda:us-east-1:111122223333:function:payments","tags":{{"{key}":"{value}"}}}}"#))
        };
        assert!(fires(&InspectorDisabled, &lambda("TagResource20170331v2", "InspectorExclusion", "LambdaStandardScanning")));
        assert!(fires(&InspectorDisabled, &lambda("TagResource20170331", "InspectorCodeExclusion", "LambdaCodeScanning")));
        assert!(!fires(&InspectorDisabled, &lambda("TagResource20170331v2", "team", "payments")));
        assert!(!fires(&InspectorDisabled, &lambda("UntagResource20170331v2", "InspectorExclusion", "LambdaStandardScanning")));
    }
}
