//! AWS Config resources (rules, recorder, channel, packs, ...) deleted, not by a managing service.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::event::Record;

pub struct ConfigResourceDeletion;

const SOURCE: &str = "config.amazonaws.com";
const EVENTS: &[&str] = &[
    "DeleteConfigRule",
    "DeleteOrganizationConfigRule",
    "DeleteConfigurationAggregator",
    "DeleteConfigurationRecorder",
    "DeleteConformancePack",
    "DeleteOrganizationConformancePack",
    "DeleteDeliveryChannel",
    "DeleteRemediationConfiguration",
    "DeleteRetentionConfiguration",
];

/// Services that create and remove Config rules and packs on their own; their
/// deletions (seen as `userIdentity.invokedBy`) are expected. Config's own
/// multi-account setup removes an organisation rule's copy from every member
/// account after the `DeleteOrganizationConfigRule` that fired in the management
/// (or delegated administrator) account: one finding for the change, not one per
/// member.
const MANAGING_SERVICES: &[&str] = &[
    "securityhub.amazonaws.com",
    "fms.amazonaws.com",
    "controltower.amazonaws.com",
    "config-conforms.amazonaws.com",
    MULTI_ACCOUNT_SETUP,
];

/// Config's multi-account setup, and the only deletions it makes in a member: an
/// organisation rule's or pack's copy, with its remediation.
const MULTI_ACCOUNT_SETUP: &str = "config-multiaccountsetup.amazonaws.com";
const MULTI_ACCOUNT_SETUP_DELETES: &[&str] = &[
    "DeleteConfigRule",
    "DeleteConformancePack",
    "DeleteRemediationConfiguration",
];

/// The `requestParameters` key naming what each API deletes.
const TARGET_KEYS: &[(&str, &str)] = &[
    ("DeleteConfigRule", "configRuleName"),
    ("DeleteOrganizationConfigRule", "organizationConfigRuleName"),
    (
        "DeleteConfigurationAggregator",
        "configurationAggregatorName",
    ),
    ("DeleteConfigurationRecorder", "configurationRecorderName"),
    ("DeleteConformancePack", "conformancePackName"),
    (
        "DeleteOrganizationConformancePack",
        "organizationConformancePackName",
    ),
    ("DeleteDeliveryChannel", "deliveryChannelName"),
    ("DeleteRemediationConfiguration", "configRuleName"),
    ("DeleteRetentionConfiguration", "retentionConfigurationName"),
];

pub static META: Meta = Meta {
    id: "config-resource-deletion",
    title: "AWS Config Resource Deletion",
    description: "An AWS Config rule, conformance pack, recorder, delivery channel, aggregator, \
                  remediation or retention setting was deleted by someone other than the AWS \
                  services that manage them. Removing these weakens compliance monitoring and \
                  can hide later misconfiguration.",
    severity: Severity::Medium,
    attack: &["T1562.001", "T1562.008"],
    origins: &["Elastic detection-rules defense_evasion_config_service_rule_deletion.toml \
             (7024e2a0-315d-4334-bb1a-552d604f27bc)"],
    group: "logging-tamper",
    false_positives: &[
        "Account restructuring or teardown by administrators.",
        "Centrally managed tooling (other than Security Hub, Firewall Manager, Control Tower, \
         conformance packs and organisation rules, which are already excluded) that replaces Config resources.",
    ],
    next_steps: "Check what was deleted and whether it protected a security control, confirm the \
                 change with the caller or its pipeline, restore the resource if it was not \
                 planned, and review the caller's other recent changes.",
    evidence: "deleted invoked_by",
    triggers: &[Trigger::Events {
        source: SOURCE,
        names: EVENTS,
        read_only: false,
        data_event: false,
        detail_pattern: None,
    }],
    window: None,
};

impl Detection for ConfigResourceDeletion {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        let name = rec.event_name();
        if rec.event_source() != SOURCE || !EVENTS.contains(&name) || !rec.succeeded() {
            return None;
        }
        let managed = rec.invoked_by().is_some_and(|by| {
            let by = by.trim();
            MANAGING_SERVICES.iter().any(|s| s.eq_ignore_ascii_case(by))
                && (!by.eq_ignore_ascii_case(MULTI_ACCOUNT_SETUP) || MULTI_ACCOUNT_SETUP_DELETES.contains(&name))
        });
        if managed {
            return None;
        }
        let target = TARGET_KEYS
            .iter()
            .find(|(event, _)| *event == name)
            .and_then(|(_, key)| rec.request_param_str(key));
        fire(
            Evidence::new()
                .with_opt("deleted", target)
                .with_opt("invoked_by", rec.invoked_by()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::{eval, fires};

    const DELETE_RULE: &str = r#"{"eventSource":"config.amazonaws.com","eventName":"DeleteConfigRule",
        "userIdentity":{"type":"IAMUser","userName":"raj","arn":"arn:aws:iam::123456789012:user/raj"},
        "sourceIPAddress":"192.0.2.33","requestParameters":{"configRuleName":"s3-bucket-public-read-prohibited"},
        "responseElements":null}"#;

    fn invoked_by(service: &str) -> String {
        DELETE_RULE.replace(
            r#""type":"IAMUser","userName":"raj","arn":"arn:aws:iam::123456789012:user/raj""#,
            &format!(
                r#""type":"AssumedRole","arn":"arn:aws:sts::123456789012:assumed-role/svc/x","invokedBy":"{service}""#
            ),
        )
    }

    #[test]
    fn fires_on_a_deleted_rule_and_names_it() {
        let Some(Signal::Fire(ev)) = eval(&ConfigResourceDeletion, DELETE_RULE) else {
            panic!("expected a finding");
        };
        assert_eq!(
            ev.get("deleted").and_then(|v| v.as_str()),
            Some("s3-bucket-public-read-prohibited")
        );
    }

    #[test]
    fn fires_on_every_listed_api() {
        for (event, key) in TARGET_KEYS {
            let rec = DELETE_RULE
                .replace("DeleteConfigRule", event)
                .replace("configRuleName", key);
            let Some(Signal::Fire(ev)) = eval(&ConfigResourceDeletion, &rec) else {
                panic!("expected a finding for {event}");
            };
            assert_eq!(
                ev.get("deleted").and_then(|v| v.as_str()),
                Some("s3-bucket-public-read-prohibited"),
                "{event}"
            );
        }
    }

    #[test]
    fn ignores_deletions_by_managing_services() {
        for service in MANAGING_SERVICES {
            assert!(
                !fires(&ConfigResourceDeletion, &invoked_by(service)),
                "{service}"
            );
        }
    }

    #[test]
    fn multi_account_setup_removes_only_organisation_rules_and_packs() {
        let by_setup = |event: &str| invoked_by(MULTI_ACCOUNT_SETUP).replace("DeleteConfigRule", event);
        for event in MULTI_ACCOUNT_SETUP_DELETES {
            assert!(!fires(&ConfigResourceDeletion, &by_setup(event)), "{event}");
        }
        for event in ["DeleteConfigurationRecorder", "DeleteDeliveryChannel", "DeleteRetentionConfiguration"] {
            assert!(fires(&ConfigResourceDeletion, &by_setup(event)), "{event}");
        }
    }

    #[test]
    fn fires_when_another_service_invoked_it() {
        let rec = invoked_by("cloudformation.amazonaws.com");
        let Some(Signal::Fire(ev)) = eval(&ConfigResourceDeletion, &rec) else {
            panic!("expected a finding");
        };
        assert_eq!(
            ev.get("invoked_by").and_then(|v| v.as_str()),
            Some("cloudformation.amazonaws.com")
        );
        // An empty invokedBy is no exclusion.
        assert!(fires(&ConfigResourceDeletion, &invoked_by("")));
    }

    #[test]
    fn ignores_a_failed_deletion() {
        let denied = DELETE_RULE.replace(
            r#""responseElements":null"#,
            r#""responseElements":null,"errorCode":"AccessDeniedException""#,
        );
        assert!(!fires(&ConfigResourceDeletion, &denied));
        let missing = DELETE_RULE.replace(
            r#""responseElements":null"#,
            r#""responseElements":null,"errorCode":"NoSuchConfigRuleException""#,
        );
        assert!(!fires(&ConfigResourceDeletion, &missing));
    }

    #[test]
    fn ignores_apis_outside_the_list() {
        for name in [
            "StopConfigurationRecorder",
            "DeleteEvaluationResults",
            "DeleteAggregationAuthorization",
            "PutConfigRule",
        ] {
            assert!(
                !fires(
                    &ConfigResourceDeletion,
                    &DELETE_RULE.replace("DeleteConfigRule", name)
                ),
                "{name}"
            );
        }
        let other = DELETE_RULE.replace("config.amazonaws.com", "securityhub.amazonaws.com");
        assert!(!fires(&ConfigResourceDeletion, &other));
    }

    #[test]
    fn fires_for_root_without_request_parameters() {
        let root = DELETE_RULE
            .replace(
                r#""type":"IAMUser","userName":"raj","arn":"arn:aws:iam::123456789012:user/raj""#,
                r#""type":"Root","arn":"arn:aws:iam::123456789012:root""#,
            )
            .replace(
                r#"{"configRuleName":"s3-bucket-public-read-prohibited"}"#,
                "null",
            );
        let Some(Signal::Fire(ev)) = eval(&ConfigResourceDeletion, &root) else {
            panic!("expected a finding");
        };
        assert!(ev.get("deleted").is_none());
    }
}
