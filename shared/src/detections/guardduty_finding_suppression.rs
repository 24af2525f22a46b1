//! GuardDuty told to look away: a trusted IP list activated or replaced
//! (`CreateIPSet`, `UpdateIPSet`, and their newer entity-list forms, which take
//! domains too: `CreateTrustedEntitySet`, `UpdateTrustedEntitySet`), a threat list's
//! content replaced (`UpdateThreatIntelSet`, `UpdateThreatEntitySet`, with a new
//! `location`; medium), or a suppression rule written (`CreateFilter` or
//! `UpdateFilter` with action `ARCHIVE`), or findings archived by a script
//! (`ArchiveFindings` outside the console), successfully.
//!
//! Decisions: GuardDuty raises no findings for traffic from the addresses of an active
//! trusted IP list, so an attacker adds their own. A new list fires only when it is
//! created active (`activate: true`; an inactive list changes nothing yet). An update
//! fires when it activates the list or points it at a new `location` (the list's
//! content is replaced). A threat list works the other way (its addresses raise more
//! findings), so creating or activating one hides nothing; pointing one at new
//! content can empty it, and fires at medium: no more than deleting or switching
//! off the list (`guardduty-threat-intel-set-deleted`), which threat-feed
//! automation does every day when it rotates its lists (from a review: the
//! rotation paged high, the deletion medium). Filters fire with action `ARCHIVE`
//! (or, below, with none stated): a `NOOP` filter is a saved search and hides
//! nothing. Sigma's rule (#72) is `CreateIPSet` alone, a subset.
//! An `UpdateFilter` that rewrites `findingCriteria` without `action` fires at
//! medium: the filter keeps its action, which the record does not hold, so a
//! CLI or SDK caller leaving `action` out widens an archiving rule unseen
//! otherwise (Terraform restates the action); a saved search edited the same way
//! is the price. Analysts archive the
//! findings they triaged in the console every day; an `ArchiveFindings` from an SDK
//! or the CLI is how an intruder clears the findings their own tools raised, so it
//! counts. The console is told by its session (`common::console_session_caller`),
//! not by the agent alone, which any SDK may send; AWS services are left out. A SOAR playbook that archives by API fires
//! too: suppress its role.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    aws_service_caller, console_session_caller, filter_action, filter_criteria_without_action, request_flag,
    request_text_any, succeeded_call, text_is,
};
use crate::event::Record;

pub struct GuardDutyFindingSuppression;

const SOURCE: &str = "guardduty.amazonaws.com";
const NAMES: &[&str] = &[
    "CreateIPSet",
    "UpdateIPSet",
    "CreateTrustedEntitySet",
    "UpdateTrustedEntitySet",
    "UpdateThreatIntelSet",
    "UpdateThreatEntitySet",
    "CreateFilter",
    "UpdateFilter",
    "ArchiveFindings",
];

pub static META: Meta = Meta {
    id: "guardduty-finding-suppression",
    title: "AWS GuardDuty Detection Suppression",
    description: "GuardDuty was configured to stay silent: a trusted IP or entity list (which \
                  takes domains too) was activated or replaced, a threat list's content \
                  replaced, or a suppression rule now archives matching \
                  findings as they arrive (or an existing rule's criteria were rewritten \
                  without its action, which the record does not hold: medium). Traffic from a trusted address raises no findings \
                  at all, so an intruder who adds their own address, or archives the findings \
                  their tools cause, works on without an alert.",
    severity: Severity::High,
    attack: &["T1562.001"],
    origins: &[
        "Elastic detection-rules defense_evasion_guardduty_finding_suppression.toml",
        "SigmaHQ rules/cloud/aws/cloudtrail/aws_guardduty_disruption.yml",
    ],
    group: "security-services",
    false_positives: &[
        "The security team registering the organisation's own scanners or egress addresses \
         as trusted, or suppressing known-benign finding types.",
        "Threat-intelligence feeds whose list location is rotated by automation.",
        "A response playbook that archives triaged findings through the API (at most 50 \
         per call, so one clean-up is many findings): suppress `ArchiveFindings` by the \
         playbook's role ARN; the same role creating an archiving filter is still reported.",
        "Infrastructure as code restating a trusted IP list or an archiving filter on every \
         update: pin its role and the list's exact S3 location, and protect that object.",
        "A script changing a saved search's (`NOOP`) criteria without restating its `action` \
         (Terraform restates it): the record cannot tell it from an archiving rule widened \
         (`evidence.filter_action_unstated`, medium). Suppress by the script's role, the \
         filter's `evidence.name` and `\"evidence.filter_action_unstated\" = \"true\"` \
         together: without the flag the entry also silences that role switching the filter \
         to `ARCHIVE`.",
    ],
    next_steps: "Read the list location or the filter criteria in the evidence: which \
                 addresses, finding types or resources are now ignored? Confirm the change with \
                 the security team; if unexpected, deactivate the list or delete the filter and \
                 review the archived findings and the caller's other activity.",
    evidence: "action detector_id filter_action filter_action_unstated finding_criteria \
        finding_ids findings_archived location name set_id",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

/// A threat list's content replaced: it can only raise fewer findings.
fn threat_list_replaced(rec: &Record<'_>) -> bool {
    matches!(rec.event_name(), "UpdateThreatIntelSet" | "UpdateThreatEntitySet")
}

/// A filter's criteria rewritten without its action: it may archive.
fn filter_widened_unstated(rec: &Record<'_>) -> bool {
    rec.event_name() == "UpdateFilter" && filter_criteria_without_action(rec, "FindingCriteria")
}

impl Detection for GuardDutyFindingSuppression {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn severity_for(&self, rec: &Record<'_>) -> Severity {
        if threat_list_replaced(rec) || filter_widened_unstated(rec) {
            Severity::Medium
        } else {
            META.severity
        }
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, SOURCE, NAMES) {
            return None;
        }
        let name = rec.event_name();
        if name == "ArchiveFindings" {
            if aws_service_caller(rec) || console_session_caller(rec) {
                return None;
            }
            let ids = rec.request_param("findingIds").and_then(|v| v.as_array());
            return fire(
                Evidence::new()
                    .with("action", name)
                    .with_opt("detector_id", rec.request_param_str("detectorId"))
                    .with_opt("findings_archived", ids.map(|ids| ids.len()))
                    .with_json("finding_ids", rec.request_param("findingIds")),
            );
        }
        let activates = request_flag(rec, "activate") == Some(true);
        let unstated = filter_widened_unstated(rec);
        let suppresses = if name.ends_with("Filter") {
            unstated || text_is(filter_action(rec), "ARCHIVE")
        } else if threat_list_replaced(rec) {
            rec.request_param_str("location").is_some()
        } else if name.starts_with("Create") {
            activates
        } else {
            activates || rec.request_param_str("location").is_some()
        };
        if !suppresses {
            return None;
        }
        fire(
            Evidence::new()
                .with("action", name)
                .with_opt("detector_id", rec.request_param_str("detectorId"))
                .with_opt("name", request_text_any(rec, &["name", "filterName"]))
                .with_opt(
                    "set_id",
                    request_text_any(rec, &["ipSetId", "threatIntelSetId", "trustedEntitySetId", "threatEntitySetId"]),
                )
                .with_opt("location", rec.request_param_str("location"))
                .with_opt("filter_action", rec.request_param_str("action"))
                .with_opt("filter_action_unstated", unstated.then_some(true))
                .with_json("finding_criteria", rec.request_param("findingCriteria")),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing;
    use crate::detections::common::testing::{eval, fires};

    fn call(name: &str, params: &str) -> String {
        format!(
            r#"{{"eventSource":"guardduty.amazonaws.com","eventName":"{name}",
            "awsRegion":"us-east-1","sourceIPAddress":"198.51.100.23","userAgent":"Boto3/1.34.0",
            "userIdentity":{{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/mallory",
              "accountId":"111122223333","userName":"mallory"}},
            "requestParameters":{params},"responseElements":null}}"#
        )
    }

    #[test]
    fn an_active_trusted_ip_list_fires_with_its_location() {
        let rec = call(
            "CreateIPSet",
            r#"{"detectorId":"d1","name":"corp","format":"TXT","activate":true,
               "location":"https://s3.amazonaws.com/bucket-x/ips.txt"}"#,
        );
        match eval(&GuardDutyFindingSuppression, &rec) {
            Some(Signal::Fire(e)) => {
                assert_eq!(
                    e.get("location").and_then(|v| v.as_str()),
                    Some("https://s3.amazonaws.com/bucket-x/ips.txt")
                );
                assert_eq!(e.get("action").and_then(|v| v.as_str()), Some("CreateIPSet"));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        // A threat list raises more findings: creating or activating one hides nothing.
        assert!(!fires(
            &GuardDutyFindingSuppression,
            &call("CreateThreatIntelSet", r#"{"detectorId":"d1","activate":"true","location":"https://s3.amazonaws.com/b/bad.txt"}"#)
        ));
        assert!(!fires(
            &GuardDutyFindingSuppression,
            &call("UpdateThreatIntelSet", r#"{"detectorId":"d1","threatIntelSetId":"t1","activate":true}"#)
        ));
    }

    #[test]
    fn the_entity_list_forms_count_as_the_ip_lists_do() {
        let trusted = call("CreateTrustedEntitySet", r#"{"detectorId":"d1","name":"ops","format":"TXT","activate":true,
            "location":"https://s3.amazonaws.com/bucket-x/entities.txt"}"#);
        assert!(fires(&GuardDutyFindingSuppression, &trusted));
        let switched_on = call("UpdateTrustedEntitySet", r#"{"detectorId":"d1","trustedEntitySetId":"e1","activate":true}"#);
        match eval(&GuardDutyFindingSuppression, &switched_on) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("set_id").and_then(|v| v.as_str()), Some("e1")),
            other => panic!("expected a finding, got {other:?}"),
        }
        let replaced = call("UpdateThreatEntitySet", r#"{"detectorId":"d1","threatEntitySetId":"t9","location":"https://s3.amazonaws.com/b/empty.txt"}"#);
        assert!(fires(&GuardDutyFindingSuppression, &replaced));
        // Medium, as deleting the list is; a trusted list stays high.
        let severity = |json: &str| testing::severity(&GuardDutyFindingSuppression, json);
        assert_eq!(severity(&replaced), Severity::Medium);
        assert_eq!(severity(&trusted), Severity::High);
        let inactive = call("CreateTrustedEntitySet", r#"{"detectorId":"d1","name":"ops","activate":false,"location":"https://s3.amazonaws.com/b/x.txt"}"#);
        assert!(!fires(&GuardDutyFindingSuppression, &inactive));
        let threat_on = call("UpdateThreatEntitySet", r#"{"detectorId":"d1","threatEntitySetId":"t9","activate":true}"#);
        assert!(!fires(&GuardDutyFindingSuppression, &threat_on));
    }

    #[test]
    fn an_inactive_list_does_not_fire() {
        for p in [
            r#"{"detectorId":"d1","activate":false,"location":"https://s3.amazonaws.com/b/x.txt"}"#,
            r#"{"detectorId":"d1"}"#,
            "null",
        ] {
            assert!(!fires(&GuardDutyFindingSuppression, &call("CreateIPSet", p)), "{p}");
        }
    }

    #[test]
    fn updates_fire_when_they_activate_or_replace_the_list() {
        assert!(fires(
            &GuardDutyFindingSuppression,
            &call("UpdateIPSet", r#"{"detectorId":"d1","ipSetId":"s1","activate":true}"#)
        ));
        assert!(fires(
            &GuardDutyFindingSuppression,
            &call(
                "UpdateThreatIntelSet",
                r#"{"detectorId":"d1","threatIntelSetId":"t1","location":"https://s3.amazonaws.com/b/empty.txt"}"#
            )
        ));
        assert!(!fires(
            &GuardDutyFindingSuppression,
            &call("UpdateIPSet", r#"{"detectorId":"d1","ipSetId":"s1","name":"renamed"}"#)
        ));
        assert!(!fires(
            &GuardDutyFindingSuppression,
            &call("UpdateIPSet", r#"{"detectorId":"d1","ipSetId":"s1","activate":false}"#)
        ));
    }

    #[test]
    fn only_archiving_filters_fire() {
        assert!(fires(
            &GuardDutyFindingSuppression,
            &call(
                "CreateFilter",
                r#"{"detectorId":"d1","name":"quiet","action":"ARCHIVE","findingCriteria":{"criterion":{"type":{"eq":["Recon:EC2/PortProbeUnprotectedPort"]}}}}"#
            )
        ));
        assert!(fires(
            &GuardDutyFindingSuppression,
            &call("UpdateFilter", r#"{"detectorId":"d1","filterName":"f","action":"archive"}"#)
        ));
        assert!(!fires(
            &GuardDutyFindingSuppression,
            &call("CreateFilter", r#"{"detectorId":"d1","name":"view","action":"NOOP"}"#)
        ));
        assert!(!fires(
            &GuardDutyFindingSuppression,
            &call("UpdateFilter", r#"{"detectorId":"d1","filterName":"f","action":7}"#)
        ));
    }

    /// Terraform sends only what changed: criteria rewritten without `action`
    /// may widen an archiving rule, and fire at medium, naming the filter.
    #[test]
    fn criteria_rewritten_without_the_action_fire_at_medium() {
        let widened = call(
            "UpdateFilter",
            r#"{"detectorId":"d1","filterName":"quiet","findingCriteria":{"criterion":{"severity":{"lt":9}}}}"#,
        );
        match eval(&GuardDutyFindingSuppression, &widened) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("filter_action_unstated"), Some(&serde_json::json!(true)));
                assert_eq!(e.get("name"), Some(&serde_json::json!("quiet")));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(testing::severity(&GuardDutyFindingSuppression, &widened), Severity::Medium);
        let archive = call(
            "UpdateFilter",
            r#"{"detectorId":"d1","filterName":"quiet","action":"ARCHIVE","findingCriteria":{"criterion":{"severity":{"lt":9}}}}"#,
        );
        assert_eq!(testing::severity(&GuardDutyFindingSuppression, &archive), Severity::High);
        match eval(&GuardDutyFindingSuppression, &archive) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("filter_action_unstated"), None),
            other => panic!("{other:?}"),
        }
        // An empty action is none; the request's keys in either case.
        let empty = call(
            "UpdateFilter",
            r#"{"detectorId":"d1","filterName":"quiet","action":"","findingCriteria":{"criterion":{}}}"#,
        );
        assert_eq!(testing::severity(&GuardDutyFindingSuppression, &empty), Severity::Medium);
        assert!(fires(&GuardDutyFindingSuppression, &empty));
        let pascal = call(
            "UpdateFilter",
            r#"{"DetectorId":"d1","FilterName":"quiet","Action":"ARCHIVE","FindingCriteria":{"Criterion":{}}}"#,
        );
        assert_eq!(testing::severity(&GuardDutyFindingSuppression, &pascal), Severity::High);
        let pascal_unstated = pascal.replace(r#""Action":"ARCHIVE","#, "");
        assert_eq!(testing::severity(&GuardDutyFindingSuppression, &pascal_unstated), Severity::Medium);
        for quiet in [
            // A saved search, said so; a rename or a new rank; a new filter
            // without an action is a saved search (NOOP is the default).
            r#"{"detectorId":"d1","filterName":"quiet","action":"NOOP","findingCriteria":{"criterion":{"severity":{"lt":9}}}}"#,
            r#"{"detectorId":"d1","filterName":"quiet","description":"renamed","rank":2}"#,
            r#"{"detectorId":"d1","filterName":"quiet","action":null,"findingCriteria":null}"#,
        ] {
            assert!(!fires(&GuardDutyFindingSuppression, &call("UpdateFilter", quiet)), "{quiet}");
        }
        assert!(!fires(
            &GuardDutyFindingSuppression,
            &call("CreateFilter", r#"{"detectorId":"d1","name":"view","findingCriteria":{"criterion":{"severity":{"gte":7}}}}"#)
        ));
    }

    #[test]
    fn failures_and_deletions_do_not_fire() {
        let denied = call("CreateIPSet", r#"{"detectorId":"d1","activate":true}"#).replace(
            "\"requestParameters\"",
            r#""errorCode":"AccessDeniedException","requestParameters""#,
        );
        assert!(!fires(&GuardDutyFindingSuppression, &denied));
        assert!(!fires(
            &GuardDutyFindingSuppression,
            &call("DeleteIPSet", r#"{"detectorId":"d1","ipSetId":"s1"}"#)
        ));
    }

    /// Findings archived by a script count; by the console or a service they do not.
    #[test]
    fn findings_archived_outside_the_console_fire() {
        let archive = call("ArchiveFindings", r#"{"detectorId":"d1","findingIds":["a2c4e6f8","b3d5f7a9"]}"#);
        match eval(&GuardDutyFindingSuppression, &archive) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("findings_archived").and_then(|v| v.as_u64()), Some(2)),
            other => panic!("expected a finding, got {other:?}"),
        }
        let browser = archive.replace("Boto3/1.34.0", "Mozilla/5.0 (Macintosh) Chrome/124.0");
        assert!(fires(&GuardDutyFindingSuppression, &browser), "a browser agent alone is no console");
        let console = browser.replace(r#""userIdentity""#, r#""sessionCredentialFromConsole":"true","userIdentity""#);
        assert!(!fires(&GuardDutyFindingSuppression, &console));
        let cloudshell = console.replace("Mozilla/5.0 (Macintosh) Chrome/124.0", "aws-cli/2.17.0 exec-env/CloudShell");
        assert!(fires(&GuardDutyFindingSuppression, &cloudshell), "the CLI on console credentials");
        let console_agent = archive.replace("Boto3/1.34.0", "console.amazonaws.com");
        assert!(fires(&GuardDutyFindingSuppression, &console_agent), "the console's agent alone, from an SDK");
        let old_console = console_agent.replace(r#""userIdentity""#, r#""sessionCredentialFromConsole":"true","userIdentity""#);
        assert!(!fires(&GuardDutyFindingSuppression, &old_console));
        let service = archive.replace(r#""type":"IAMUser""#, r#""invokedBy":"securityhub.amazonaws.com","type":"IAMUser""#);
        assert_ne!(service, archive);
        assert!(!fires(&GuardDutyFindingSuppression, &service));
        let denied = archive.replace("\"requestParameters\"", r#""errorCode":"AccessDeniedException","requestParameters""#);
        assert!(!fires(&GuardDutyFindingSuppression, &denied));
    }
}
