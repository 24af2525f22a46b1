//! Security Hub switched off (`DisableSecurityHub`, or `DisableSecurityHubV2` for the
//! newer Security Hub that AWS now ships beside Security Hub CSPM), its standards disabled
//! (`BatchDisableStandards`), or the account detached from its Security Hub
//! administrator (`DisassociateFromAdministratorAccount`, or the older
//! `DisassociateFromMasterAccount`), successfully. Also what has the same effect one
//! piece at a time: members removed by the administrator (`DisassociateMembers`,
//! `DeleteMembers`), a product's findings no longer imported
//! (`DisableImportFindingsForProduct`, e.g. GuardDuty's), and controls switched off
//! (`UpdateStandardsControl` with `ControlStatus` `DISABLED`, or
//! `BatchUpdateStandardsControlAssociations` with some association `DISABLED`). And
//! the organisation-wide form: a central configuration policy created or changed so
//! that it switches Security Hub off (`CreateConfigurationPolicy` or
//! `UpdateConfigurationPolicy` with `SecurityHub.ServiceEnabled` false) in every account
//! it is associated with, enables no standard, or switches off a control that
//! checks CloudTrail, GuardDuty or Config are on (named among the disabled
//! controls, or left out of a list of enabled ones; from a review: the same in
//! one account paged high, for the whole organisation nothing). A policy that
//! only switches off ordinary controls is left out, unlike the one-account
//! control calls above: a policy carries its whole list on every update, so every
//! later edit would fire again for controls switched off long ago. Associating
//! an existing policy with more accounts (`StartConfigurationPolicyAssociation`)
//! is left out: the call does not say what the policy holds. And the cross-Region aggregation removed
//! (`DeleteFindingAggregator`, `DeleteAggregatorV2`) or set to link no Region
//! (`UpdateFindingAggregator`, `UpdateAggregatorV2` with `RegionLinkingMode`
//! `NO_REGIONS`): the linked Regions' findings stop reaching the home Region the
//! team watches. Narrowing the linked Regions is left out: the record does not say
//! which Regions were linked before. And the organisation's administrator no
//! longer enabling Security Hub in new accounts (`UpdateOrganizationConfiguration`
//! with `AutoEnable` false; added after a review, as GuardDuty's and Inspector's
//! versions of it already fired). New accounts given Security Hub with no
//! standards (`AutoEnableStandards` `NONE` with `AutoEnable` true) are not
//! reported: AWS's Security Reference Architecture sets exactly that on every run,
//! in every Region, and enables the standards itself (from a review of a first
//! version that did).
//!
//! Severity: high, but medium for ordinary controls switched off one call at a
//! time (every control but those checking that CloudTrail, GuardDuty and Config
//! are on: `KEY_CONTROLS`, PCI's controls of those services and their numbers
//! in the CIS benchmark's versions): AWS advises switching some off in every Region
//! but one (from an evasion review), and organisations that keep the default
//! SSE-S3 switch the trail-encryption control off with a reason everywhere.
//!
//! Decision: the Elastic rule watches `DisableSecurityHub`; disabling every standard or
//! leaving the administrator has the same effect for the security team (no checks, or
//! no findings centrally), so they are part of this one behaviour.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    one_or_many, pascal_or_camel, request_param_any, succeeded_call, text_is,
};
use crate::event::Record;

pub struct SecurityHubDisabled;

const SOURCE: &str = "securityhub.amazonaws.com";
const NAMES: &[&str] = &[
    "DisableSecurityHub",
    "DisableSecurityHubV2",
    "BatchDisableStandards",
    "DisassociateFromAdministratorAccount",
    "DisassociateFromMasterAccount",
    "DisassociateMembers",
    "DeleteMembers",
    "DisableImportFindingsForProduct",
    "UpdateStandardsControl",
    "BatchUpdateStandardsControlAssociations",
    "CreateConfigurationPolicy",
    "UpdateConfigurationPolicy",
    "DeleteFindingAggregator",
    "DeleteAggregatorV2",
    "UpdateFindingAggregator",
    "UpdateAggregatorV2",
    "UpdateOrganizationConfiguration",
];

/// For the calls that can also switch things on: a control switched off
/// (`UpdateStandardsControl` with `ControlStatus` `DISABLED`, or a batch update with
/// some association `DISABLED`), or a configuration policy that turns the service off.
/// `key_controls_off`: what [`policy_key_controls_off`] found in the request's
/// configuration policy, worked out once by the caller.
fn switches_off(rec: &Record<'_>, key_controls_off: &[&str]) -> bool {
    match rec.event_name() {
        "CreateConfigurationPolicy" | "UpdateConfigurationPolicy" => {
            policy_blinds(configuration_policy(rec), key_controls_off)
        }
        "UpdateFindingAggregator" | "UpdateAggregatorV2" => text_is(
            request_param_any(rec, &["RegionLinkingMode", "regionLinkingMode"]),
            "NO_REGIONS",
        ),
        "UpdateOrganizationConfiguration" => {
            // Under central configuration AutoEnable is false by rule: policies
            // enable the accounts (AWS's recommended set-up; a review caught it
            // firing).
            let central = request_param_any(rec, &["OrganizationConfiguration", "organizationConfiguration"])
                .and_then(|c| pascal_or_camel(c, "ConfigurationType"));
            let auto = request_param_any(rec, &["AutoEnable", "autoEnable"]);
            !text_is(central, "CENTRAL")
                && (matches!(auto, Some(serde_json::Value::Bool(false))) || text_is(auto, "false"))
        }
        "UpdateStandardsControl" => {
            text_is(request_param_any(rec, &["ControlStatus", "controlStatus"]), "DISABLED")
        }
        "BatchUpdateStandardsControlAssociations" => one_or_many(request_param_any(
            rec,
            &["StandardsControlAssociationUpdates", "standardsControlAssociationUpdates"],
        ))
        .iter()
        .any(|u| {
            text_is(
                u.get("AssociationStatus").or_else(|| u.get("associationStatus")),
                "DISABLED",
            )
        }),
        _ => true,
    }
}

/// A configuration policy that blinds every account it is associated with: its
/// Security Hub part says `ServiceEnabled` false (a boolean, or its text), enables no
/// standard (`EnabledStandardIdentifiers` an empty list), or switches off a
/// [`KEY_CONTROLS`] control, by naming it among the disabled controls or by
/// leaving it out of a list of enabled ones (a policy that lists the enabled
/// controls disables all others). A policy that only narrows ordinary standards or
/// controls is left out: the security team tunes them all the time, and a policy
/// carries its whole list on every update.
fn policy_blinds(policy: Option<&serde_json::Value>, key_controls_off: &[&str]) -> bool {
    let hub = policy.and_then(|p| pascal_or_camel(p, "SecurityHub"));
    let enabled = hub.and_then(|h| pascal_or_camel(h, "ServiceEnabled"));
    let service_off = match enabled {
        Some(serde_json::Value::Bool(enabled)) => !enabled,
        v => text_is(v, "false"),
    };
    // A control runs only in an enabled standard that holds it: a list of
    // standards none of which holds the key controls (the tagging standard alone)
    // is as blind as an empty one (from a review of the change).
    let no_standard = hub
        .and_then(|h| pascal_or_camel(h, "EnabledStandardIdentifiers"))
        .and_then(serde_json::Value::as_array)
        .is_some_and(|standards| {
            !standards
                .iter()
                .filter_map(serde_json::Value::as_str)
                .any(|arn| KEY_STANDARDS.iter().any(|k| arn.to_ascii_lowercase().contains(k)))
        });
    service_off || no_standard || !key_controls_off.is_empty()
}

/// A configuration policy call's policy (`ConfigurationPolicy`, either case).
fn configuration_policy<'r>(rec: &'r Record<'_>) -> Option<&'r serde_json::Value> {
    request_param_any(rec, &["ConfigurationPolicy", "configurationPolicy"])
}

/// The standards (by the name in their ARN) that hold some of [`KEY_CONTROLS`]:
/// AWS Foundational Security Best Practices, the CIS benchmark, PCI DSS and NIST
/// SP 800-53 (NIST 800-171 and the tagging standard hold none).
const KEY_STANDARDS: &[&str] = &[
    "aws-foundational-security-best-practices",
    "cis-aws-foundations-benchmark",
    "pci-dss",
    "nist-800-53",
];

/// The [`KEY_CONTROLS`] a configuration policy switches off, named or left out.
/// A control is named by its id or its ARN (read after the last `/`, as the
/// one-account calls' are).
fn policy_key_controls_off(policy: Option<&serde_json::Value>) -> Vec<&'static str> {
    let controls = policy
        .and_then(|p| pascal_or_camel(p, "SecurityHub"))
        .and_then(|h| pascal_or_camel(h, "SecurityControlsConfiguration"));
    let ids = |key: &str| -> Option<Vec<&str>> {
        controls
            .and_then(|c| pascal_or_camel(c, key))
            .and_then(serde_json::Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(serde_json::Value::as_str)
                    .map(|id| id.trim().rsplit('/').next().unwrap_or(""))
                    .collect()
            })
    };
    let disabled = ids("DisabledSecurityControlIdentifiers").unwrap_or_default();
    let enabled = ids("EnabledSecurityControlIdentifiers");
    KEY_CONTROLS
        .iter()
        .copied()
        .filter(|key| {
            disabled.iter().any(|id| id.eq_ignore_ascii_case(key))
                || enabled.as_ref().is_some_and(|on| !on.iter().any(|id| id.eq_ignore_ascii_case(key)))
        })
        .collect()
}

pub static META: Meta = Meta {
    id: "securityhub-disabled",
    title: "AWS Security Hub Disabled",
    description: "Security Hub was disabled in an account and Region, its security standards \
                  were turned off, the account left its Security Hub administrator, a central \
                  configuration policy was set to turn Security Hub off, enable no standard \
                  that checks the logging services, or switch off a control that checks \
                  CloudTrail, Config or GuardDuty are on, or its cross-Region aggregation was \
                  deleted. Posture checks stop, or \
                  findings stop reaching the central team, and the aggregated findings of \
                  GuardDuty, Inspector and Macie are no longer collected there.",
    severity: Severity::High,
    attack: &["T1562.001"],
    origins: &["Elastic detection-rules defense_evasion_securityhub_disabled.toml"],
    group: "security-services",
    false_positives: &[
        "Decommissioning an account or Region, changing the administrator account, or \
         replacing one standard with another, done by the security team.",
        "The security team switching off controls that do not apply to the account, or \
         stopping a product's findings it does not use: tune by caller or control.",
        "A central configuration policy that keeps a key control off on purpose (Config.1 \
         where Control Tower records elsewhere) fires again on each edit, since a policy \
         restates its whole list: tune by the policy (`requestParameters.Identifier`) with \
         `\"evidence.key_controls_off[]\" = [\"Config.1\"]`, which misses once another key \
         control is switched off.",
    ],
    next_steps: "Confirm with the security team. If unplanned, re-enable Security Hub and its \
                 standards (or re-accept the administrator's invitation), check the other \
                 Regions and security services for the same change, and review the caller's \
                 activity.",
    evidence: "accounts action configuration_policy control control_associations disabled_reason \
        finding_aggregator key_controls_off product_subscription standards updated_reason",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

/// The controls that check the logging and detection services are on: switching
/// one off hides the checks that CloudTrail, GuardDuty or Config are running. A
/// trail's CloudWatch Logs delivery (`CloudTrail.5`, which an organisation trail
/// does without), its bucket's access logging and its tags are ordinary (from a
/// review: they paged high in every member account). So are the trail's KMS
/// encryption (`CloudTrail.2`, failed wherever the default SSE-S3 is enough, so
/// switched off with a reason across organisations) and its log file validation
/// (`.4`): turning either off on a trail is itself reported high
/// (`cloudtrail-log-updated`), so the control is a second witness, not the only
/// one (from a review of a security team's routine work). The trail's bucket not
/// public (`.6`) stays key: a public ACL or Block Public Access removed on that
/// bucket is only medium elsewhere (from a review of the cut).
const KEY_CONTROLS: &[&str] = &["CloudTrail.1", "CloudTrail.3", "CloudTrail.6", "Config.1", "GuardDuty.1"];

/// PCI's ids carry a `PCI.` prefix and number the services' controls their own
/// way: `PCI.CloudTrail.2` is the trail being on; `.1` (encryption), `.3`
/// (validation) and `.4` (CloudWatch Logs delivery) are ordinary as their
/// foundational twins are.
const PCI_KEY_CONTROLS: &[&str] = &["CloudTrail.2", "Config.1", "GuardDuty.1"];

/// The key controls of the CIS benchmark in each version Security Hub runs,
/// whose ids are section numbers (`.../cis-aws-foundations-benchmark/v/1.2.0/2.1`):
/// the numbers of its logging section that are [`KEY_CONTROLS`] (the trail on in
/// every Region, its bucket not public where the version checks it, Config on),
/// so that its validation, encryption, CloudWatch Logs delivery, access logging,
/// key rotation and flow logs are ordinary as their own ids are (from a review:
/// one control was high or medium by the call that switched it off). A version
/// not listed keeps every numbered control key.
const CIS_KEY_CONTROLS: &[(&str, &[&str])] = &[
    ("1.2.0", &["2.1", "2.3", "2.5"]),
    ("1.4.0", &["3.1", "3.3", "3.5"]),
    ("3.0.0", &["3.1", "3.3"]),
    ("5.0.0", &["3.1", "3.3"]),
];

/// Whether switching off the control `id` (an ARN or a bare id) hides a check of
/// the logging services.
fn key_control(id: &str) -> bool {
    let id = id.trim();
    let mut parts = id.rsplit('/');
    let last = parts.next().unwrap_or("");
    if let Some(pci) = last.get(..4).filter(|p| p.eq_ignore_ascii_case("PCI.")).map(|_| &last[4..]) {
        return PCI_KEY_CONTROLS.iter().any(|k| pci.eq_ignore_ascii_case(k));
    }
    if !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let version = parts.next().unwrap_or("");
        return CIS_KEY_CONTROLS
            .iter()
            .find(|(v, _)| *v == version)
            .is_none_or(|(_, numbers)| numbers.contains(&last));
    }
    KEY_CONTROLS.iter().any(|k| last.eq_ignore_ascii_case(k))
}

/// Whether a control switch-off names only ordinary controls: the id after the
/// ARN's last `/` (`.../v/1.0.0/S3.1`) or a batch update's `SecurityControlId`.
fn only_ordinary_controls(rec: &Record<'_>) -> bool {
    let ids: Vec<&str> = match rec.event_name() {
        "UpdateStandardsControl" => request_param_any(rec, &["StandardsControlArn", "standardsControlArn"])
            .and_then(|v| v.as_str())
            .into_iter()
            .collect(),
        "BatchUpdateStandardsControlAssociations" => one_or_many(request_param_any(
            rec,
            &["StandardsControlAssociationUpdates", "standardsControlAssociationUpdates"],
        ))
        .into_iter()
        .filter(|u| text_is(u.get("AssociationStatus").or_else(|| u.get("associationStatus")), "DISABLED"))
        .filter_map(|u| u.get("SecurityControlId").or_else(|| u.get("securityControlId")))
        .filter_map(|v| v.as_str())
        .collect(),
        _ => return false,
    };
    !ids.is_empty() && !ids.iter().any(|id| key_control(id))
}

impl Detection for SecurityHubDisabled {
    fn meta(&self) -> &'static Meta {
        &META
    }

    /// One ordinary control switched off is medium: AWS's own advice (global
    /// resource controls outside the home Region) makes many, and a high each
    /// would get the rule switched off (from an evasion review). The service,
    /// standards, membership and the logging services' controls stay high.
    fn severity_for(&self, rec: &Record<'_>) -> Severity {
        if only_ordinary_controls(rec) {
            Severity::Medium
        } else {
            META.severity
        }
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, SOURCE, NAMES) {
            return None;
        }
        let off = policy_key_controls_off(configuration_policy(rec));
        if !switches_off(rec, &off) {
            return None;
        }
        let key_controls_off = (!off.is_empty()).then(|| serde_json::json!(off));
        fire(
            Evidence::new()
                .with("action", rec.event_name())
                .with_json(
                    "standards",
                    rec.request_param("StandardsSubscriptionArns")
                        .or_else(|| rec.request_param("standardsSubscriptionArns")),
                )
                .with_json(
                    "accounts",
                    request_param_any(rec, &["AccountIds", "accountIds"]),
                )
                .with_json(
                    "product_subscription",
                    request_param_any(rec, &["ProductSubscriptionArn", "productSubscriptionArn"]),
                )
                .with_json(
                    "control",
                    request_param_any(rec, &["StandardsControlArn", "standardsControlArn"]),
                )
                .with_json(
                    "disabled_reason",
                    request_param_any(rec, &["DisabledReason", "disabledReason"]),
                )
                // A batch's controls, each with its standard and status (from a
                // review: the finding named none).
                .with_json(
                    "control_associations",
                    request_param_any(
                        rec,
                        &["StandardsControlAssociationUpdates", "standardsControlAssociationUpdates"],
                    ),
                )
                .with_json(
                    "configuration_policy",
                    request_param_any(rec, &["Name", "name", "Identifier", "identifier"]),
                )
                .with_json("key_controls_off", key_controls_off.as_ref())
                .with_json(
                    "updated_reason",
                    request_param_any(rec, &["UpdatedReason", "updatedReason"]),
                )
                .with_json(
                    "finding_aggregator",
                    request_param_any(
                        rec,
                        &["FindingAggregatorArn", "findingAggregatorArn", "AggregatorV2Arn", "aggregatorV2Arn"],
                    ),
                ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing;
    use crate::detections::common::testing::{eval, fires};
    use serde_json::json;

    const DISABLE: &str = r#"{"eventSource":"securityhub.amazonaws.com","eventName":"DisableSecurityHub",
        "awsRegion":"us-east-1","sourceIPAddress":"198.51.100.9","userAgent":"Boto3/1.34.0",
        "userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/dev",
          "accountId":"111122223333","userName":"dev"},
        "requestParameters":null,"responseElements":null}"#;

    /// From a review: new accounts of the organisation no longer get Security Hub.
    #[test]
    fn auto_enable_switched_off_for_the_organisation_counts() {
        let org = |params: &str| DISABLE.replace("DisableSecurityHub", "UpdateOrganizationConfiguration")
            .replace(r#""requestParameters":null"#, &format!(r#""requestParameters":{params}"#));
        assert!(fires(&SecurityHubDisabled, &org(r#"{"AutoEnable":false,"AutoEnableStandards":"NONE"}"#)));
        assert!(fires(&SecurityHubDisabled, &org(r#"{"autoEnable":"false"}"#)));
        assert!(!fires(&SecurityHubDisabled, &org(r#"{"AutoEnable":true,"AutoEnableStandards":"DEFAULT"}"#)));
        // Security Hub in new accounts without default standards: the Security
        // Reference Architecture's own setting, on every run (from a review).
        let bare = org(r#"{"AutoEnable":true,"AutoEnableStandards":"NONE","OrganizationConfiguration":{"ConfigurationType":"LOCAL"}}"#);
        assert!(!fires(&SecurityHubDisabled, &bare));
        assert!(!fires(&SecurityHubDisabled, &org(r#"{"OrganizationConfiguration":{"ConfigurationType":"CENTRAL"}}"#)));
        let central = org(r#"{"AutoEnable":false,"AutoEnableStandards":"NONE","OrganizationConfiguration":{"ConfigurationType":"CENTRAL"}}"#);
        assert!(!fires(&SecurityHubDisabled, &central));
    }

    #[test]
    fn controls_count_only_when_switched_off() {
        let with = |name: &str, params: &str| {
            DISABLE
                .replace("DisableSecurityHub", name)
                .replace("\"requestParameters\":null", &format!("\"requestParameters\":{params}"))
        };
        let control = "arn:aws:securityhub:us-east-1:111122223333:control/aws-foundational-security-best-practices/v/1.0.0/CloudTrail.1";
        for status in ["DISABLED", "disabled"] {
            let p = format!(r#"{{"StandardsControlArn":"{control}","ControlStatus":"{status}","DisabledReason":"noise"}}"#);
            assert!(fires(&SecurityHubDisabled, &with("UpdateStandardsControl", &p)), "{status}");
        }
        let enabled = format!(r#"{{"StandardsControlArn":"{control}","ControlStatus":"ENABLED"}}"#);
        assert!(!fires(&SecurityHubDisabled, &with("UpdateStandardsControl", &enabled)));
        let batch = |status: &str| {
            format!(r#"{{"StandardsControlAssociationUpdates":[{{"SecurityControlId":"CloudTrail.1","StandardsArn":"arn:aws:securityhub:us-east-1::standards/aws-foundational-security-best-practices/v/1.0.0","AssociationStatus":"{status}"}}]}}"#)
        };
        match eval(&SecurityHubDisabled, &with("BatchUpdateStandardsControlAssociations", &batch("DISABLED"))) {
            Some(Signal::Fire(e)) => {
                let controls = e.get("control_associations").map(|v| v.to_string()).unwrap_or_default();
                assert!(controls.contains("CloudTrail.1"), "{e:?}");
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        // The reason written with a control switched off is shown (from a review).
        let reasoned = format!(r#"{{"StandardsControlArn":"{control}","ControlStatus":"DISABLED","DisabledReason":"KMS not required"}}"#);
        match eval(&SecurityHubDisabled, &with("UpdateStandardsControl", &reasoned)) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("disabled_reason").and_then(|v| v.as_str()), Some("KMS not required")),
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(!fires(&SecurityHubDisabled, &with("BatchUpdateStandardsControlAssociations", &batch("ENABLED"))));
        assert!(!fires(&SecurityHubDisabled, &with("BatchUpdateStandardsControlAssociations", "null")));
        // CloudTrail's controls are high; an ordinary control is medium.
        let severity = |name: &str, params: &str| {
            testing::severity(&SecurityHubDisabled, &with(name, params))
        };
        let p = format!(r#"{{"StandardsControlArn":"{control}","ControlStatus":"DISABLED"}}"#);
        assert_eq!(severity("UpdateStandardsControl", &p), Severity::High);
        let s3 = p.replace("CloudTrail.1", "S3.1");
        assert_eq!(severity("UpdateStandardsControl", &s3), Severity::Medium);
        assert_eq!(severity("BatchUpdateStandardsControlAssociations", &batch("DISABLED")), Severity::High);
        let ordinary = batch("DISABLED").replace("CloudTrail.1", "IAM.6");
        assert_eq!(severity("BatchUpdateStandardsControlAssociations", &ordinary), Severity::Medium);
        assert_eq!(severity("DisableSecurityHub", "null"), Severity::High);
        // PCI's and CIS 1.2's ids name CloudTrail too (from a review); a
        // multi-byte id is read, not sliced through.
        for id in ["pci-dss/v/3.2.1/PCI.CloudTrail.2", "cis-aws-foundations-benchmark/v/1.2.0/2.1"] {
            let arn = format!("arn:aws:securityhub:us-east-1:111122223333:control/{id}");
            let p = format!(r#"{{"StandardsControlArn":"{arn}","ControlStatus":"DISABLED"}}"#);
            assert_eq!(severity("UpdateStandardsControl", &p), Severity::High, "{id}");
        }
        // CIS's numbered controls are key by their number in their version
        // only (from a review: its IAM and metric-filter controls paged high);
        // a version not known keeps them all key.
        for (id, want) in [
            ("cis-aws-foundations-benchmark/v/1.2.0/3.1", Severity::Medium),
            ("cis-aws-foundations-benchmark/v/1.2.0/1.13", Severity::Medium),
            ("cis-aws-foundations-benchmark/v/1.2.0/2.5", Severity::High),
            // From a review of the change: the logging section's ordinary
            // controls are as ordinary as their own ids (CloudTrail.5, EC2.6).
            ("cis-aws-foundations-benchmark/v/1.2.0/2.4", Severity::Medium),
            // From a review of a security team's routine work: the trail's
            // encryption and validation are ordinary (turning them off is
            // reported high by the trail's detection); its bucket not public
            // stays key (a public ACL on it is only medium elsewhere).
            ("cis-aws-foundations-benchmark/v/1.2.0/2.7", Severity::Medium),
            ("cis-aws-foundations-benchmark/v/1.2.0/2.2", Severity::Medium),
            ("cis-aws-foundations-benchmark/v/1.4.0/3.7", Severity::Medium),
            ("cis-aws-foundations-benchmark/v/3.0.0/3.2", Severity::Medium),
            ("cis-aws-foundations-benchmark/v/3.0.0/3.5", Severity::Medium),
            ("aws-foundational-security-best-practices/v/1.0.0/CloudTrail.2", Severity::Medium),
            ("aws-foundational-security-best-practices/v/1.0.0/CloudTrail.4", Severity::Medium),
            ("aws-foundational-security-best-practices/v/1.0.0/CloudTrail.6", Severity::High),
            ("cis-aws-foundations-benchmark/v/1.2.0/2.3", Severity::High),
            ("cis-aws-foundations-benchmark/v/1.4.0/3.3", Severity::High),
            ("aws-foundational-security-best-practices/v/1.0.0/CloudTrail.3", Severity::High),
            ("pci-dss/v/3.2.1/PCI.CloudTrail.1", Severity::Medium),
            ("pci-dss/v/3.2.1/PCI.CloudTrail.3", Severity::Medium),
            ("cis-aws-foundations-benchmark/v/1.4.0/3.4", Severity::Medium),
            ("cis-aws-foundations-benchmark/v/3.0.0/3.3", Severity::High),
            ("cis-aws-foundations-benchmark/v/3.0.0/3.7", Severity::Medium),
            ("cis-aws-foundations-benchmark/v/5.0.0/3.9", Severity::Medium),
            ("cis-aws-foundations-benchmark/v/5.0.0/3.7", Severity::Medium),
            ("cis-aws-foundations-benchmark/v/5.0.0/3.1", Severity::High),
            ("pci-dss/v/3.2.1/PCI.CloudTrail.4", Severity::Medium),
            ("pci-dss/v/3.2.1/PCI.CloudTrail.2", Severity::High),
            ("cis-aws-foundations-benchmark/v/5.0.0/4.1", Severity::Medium),
            ("cis-aws-foundations-benchmark/v/1.4.0/3.1", Severity::High),
            ("cis-aws-foundations-benchmark/v/1.4.0/1.12", Severity::Medium),
            ("cis-aws-foundations-benchmark/v/3.0.0/2.1.1", Severity::Medium),
            ("cis-aws-foundations-benchmark/v/9.0.0/1.1", Severity::High),
            ("aws-foundational-security-best-practices/v/1.0.0/CloudTrail.5", Severity::Medium),
            ("aws-foundational-security-best-practices/v/1.0.0/GuardDuty.6", Severity::Medium),
            ("aws-foundational-security-best-practices/v/1.0.0/Config.1", Severity::High),
            ("pci-dss/v/3.2.1/PCI.GuardDuty.1", Severity::High),
            ("pci-dss/v/3.2.1/PCI.IAM.1", Severity::Medium),
        ] {
            let arn = format!("arn:aws:securityhub:us-east-1:111122223333:control/{id}");
            let p = format!(r#"{{"StandardsControlArn":"{arn}","ControlStatus":"DISABLED"}}"#);
            assert_eq!(severity("UpdateStandardsControl", &p), want, "{id}");
        }
        for id in ["Configéx", "CloudTrailé1", "é", "PCI.é"] {
            let odd = batch("DISABLED").replace("CloudTrail.1", id);
            assert_eq!(severity("BatchUpdateStandardsControlAssociations", &odd), Severity::Medium, "{id}");
        }
    }

    #[test]
    fn configuration_policies_count_only_when_they_turn_the_service_off() {
        let policy = |name: &str, hub: &str| {
            DISABLE.replace("DisableSecurityHub", name).replace(
                "\"requestParameters\":null",
                &format!(r#""requestParameters":{{"Name":"org-wide","ConfigurationPolicy":{{"SecurityHub":{hub}}}}}"#),
            )
        };
        let off = r#"{"ServiceEnabled":false}"#;
        for name in ["CreateConfigurationPolicy", "UpdateConfigurationPolicy"] {
            match eval(&SecurityHubDisabled, &policy(name, off)) {
                Some(Signal::Fire(e)) => {
                    assert_eq!(e.get("configuration_policy"), Some(&json!("org-wide")))
                }
                other => panic!("expected a finding for {name}, got {other:?}"),
            }
        }
        let camel = policy("UpdateConfigurationPolicy", off)
            .replace("ConfigurationPolicy\":", "configurationPolicy\":")
            .replace("SecurityHub\":", "securityHub\":")
            .replace("ServiceEnabled\":false", "serviceEnabled\":\"false\"");
        assert!(fires(&SecurityHubDisabled, &camel));
        // The service on, but no standard, or a control that checks the logging
        // services switched off, named or left out (from a review).
        let fsbp = r#"["arn:aws:securityhub:us-east-1::standards/aws-foundational-security-best-practices/v/1.0.0"]"#;
        for (hub, off) in [
            (r#"{"ServiceEnabled":true,"EnabledStandardIdentifiers":[]}"#.to_owned(), None),
            (
                format!(r#"{{"ServiceEnabled":true,"EnabledStandardIdentifiers":{fsbp},"SecurityControlsConfiguration":{{"DisabledSecurityControlIdentifiers":["IAM.6","cloudtrail.1"]}}}}"#),
                Some(json!(["CloudTrail.1"])),
            ),
            (
                format!(r#"{{"ServiceEnabled":true,"EnabledStandardIdentifiers":{fsbp},"SecurityControlsConfiguration":{{"EnabledSecurityControlIdentifiers":["CloudTrail.1","CloudTrail.3","CloudTrail.6","Config.1","S3.1"]}}}}"#),
                Some(json!(["GuardDuty.1"])),
            ),
            // Only a standard that holds no key control (from a review).
            (
                r#"{"ServiceEnabled":true,"EnabledStandardIdentifiers":["arn:aws:securityhub:us-east-1::standards/aws-resource-tagging-standard/v/1.0.0"]}"#.to_owned(),
                None,
            ),
            // A control named by its ARN (from a review).
            (
                format!(r#"{{"ServiceEnabled":true,"EnabledStandardIdentifiers":{fsbp},"SecurityControlsConfiguration":{{"DisabledSecurityControlIdentifiers":["arn:aws:securityhub:us-east-1:111122223333:security-control/GuardDuty.1"]}}}}"#),
                Some(json!(["GuardDuty.1"])),
            ),
        ] {
            match eval(&SecurityHubDisabled, &policy("UpdateConfigurationPolicy", &hub)) {
                Some(Signal::Fire(e)) => assert_eq!(e.get("key_controls_off").cloned(), off, "{hub}"),
                other => panic!("expected a finding for {hub}, got {other:?}"),
            }
        }
        // Ordinary controls switched off, or every key control listed as enabled:
        // the team's tuning, not reported.
        for hub in [
            format!(r#"{{"ServiceEnabled":true,"EnabledStandardIdentifiers":{fsbp},"SecurityControlsConfiguration":{{"DisabledSecurityControlIdentifiers":["IAM.6","CloudTrail.5","CloudTrail.2"]}}}}"#),
            format!(r#"{{"ServiceEnabled":true,"EnabledStandardIdentifiers":{fsbp},"SecurityControlsConfiguration":{{"EnabledSecurityControlIdentifiers":["CloudTrail.1","CloudTrail.3","CloudTrail.6","Config.1","GuardDuty.1"]}}}}"#),
            format!(r#"{{"ServiceEnabled":true,"EnabledStandardIdentifiers":{fsbp},"SecurityControlsConfiguration":{{"EnabledSecurityControlIdentifiers":["arn:aws:securityhub:us-east-1:111122223333:security-control/CloudTrail.1","CloudTrail.3","CloudTrail.6","Config.1","GuardDuty.1"]}}}}"#),
            r#"{"ServiceEnabled":true,"EnabledStandardIdentifiers":["arn:aws:securityhub:us-east-1::standards/cis-aws-foundations-benchmark/v/1.2.0"]}"#.to_owned(),
            format!(r#"{{"ServiceEnabled":true,"EnabledStandardIdentifiers":{fsbp},"SecurityControlsConfiguration":{{"DisabledSecurityControlIdentifiers":[]}}}}"#),
            r#"{"ServiceEnabled":true}"#.to_owned(),
        ] {
            assert!(!fires(&SecurityHubDisabled, &policy("CreateConfigurationPolicy", &hub)), "{hub}");
        }
        assert!(!fires(&SecurityHubDisabled, &policy("UpdateConfigurationPolicy", "{}")));
        assert!(!fires(
            &SecurityHubDisabled,
            &DISABLE.replace("DisableSecurityHub", "UpdateConfigurationPolicy")
        ));
    }

    #[test]
    fn fires_on_each_call() {
        for name in NAMES
            .iter()
            .filter(|n| !n.contains("StandardsControl") && !n.contains("ConfigurationPolicy") && !n.starts_with("Update"))
        {
            assert!(fires(&SecurityHubDisabled, &DISABLE.replace("DisableSecurityHub", name)), "{name}");
        }
        let standards = DISABLE.replace("DisableSecurityHub", "BatchDisableStandards").replace(
            "\"requestParameters\":null",
            r#""requestParameters":{"StandardsSubscriptionArns":["arn:aws:securityhub:us-east-1:111122223333:subscription/cis/1.4.0"]}"#,
        );
        match eval(&SecurityHubDisabled, &standards) {
            Some(Signal::Fire(e)) => assert_eq!(
                e.get("standards"),
                Some(&json!(["arn:aws:securityhub:us-east-1:111122223333:subscription/cis/1.4.0"]))
            ),
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn the_region_aggregation_deleted_names_the_aggregator() {
        let arn = "arn:aws:securityhub:us-east-1:111122223333:finding-aggregator/123e4567-e89b-12d3-a456-426652340000";
        let delete = DISABLE.replace("DisableSecurityHub", "DeleteFindingAggregator").replace(
            "\"requestParameters\":null",
            &format!(r#""requestParameters":{{"FindingAggregatorArn":"{arn}"}}"#),
        );
        match eval(&SecurityHubDisabled, &delete) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("finding_aggregator"), Some(&json!(arn))),
            other => panic!("expected a finding, got {other:?}"),
        }
        let v2 = delete.replace("DeleteFindingAggregator", "DeleteAggregatorV2").replace("FindingAggregatorArn", "AggregatorV2Arn");
        assert!(fires(&SecurityHubDisabled, &v2));
        for name in ["UpdateFindingAggregator", "UpdateAggregatorV2"] {
            let update = |mode: &str| {
                delete.replace("DeleteFindingAggregator", name).replace(
                    r#""FindingAggregatorArn""#,
                    &format!(r#""RegionLinkingMode":"{mode}","FindingAggregatorArn""#),
                )
            };
            assert!(fires(&SecurityHubDisabled, &update("NO_REGIONS")), "{name}");
            assert!(!fires(&SecurityHubDisabled, &update("SPECIFIED_REGIONS")), "{name}");
            assert!(!fires(&SecurityHubDisabled, &update("ALL_REGIONS")), "{name}");
        }
    }

    #[test]
    fn ignores_failures_and_other_calls() {
        let denied = DISABLE.replace(
            "\"requestParameters\"",
            r#""errorCode":"AccessDeniedException","errorMessage":"denied","requestParameters""#,
        );
        assert!(!fires(&SecurityHubDisabled, &denied));
        for (from, to) in [
            ("DisableSecurityHub", "EnableSecurityHub"),
            ("DisableSecurityHub", "BatchEnableStandards"),
            ("securityhub.amazonaws.com", "guardduty.amazonaws.com"),
        ] {
            assert!(!fires(&SecurityHubDisabled, &DISABLE.replace(from, to)), "{to}");
        }
    }
}
