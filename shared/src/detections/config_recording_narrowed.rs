//! AWS Config left recording, but no longer everything: a recorder written with a
//! recording group that leaves resource types out (`PutConfigurationRecorder` with
//! `allSupported` false or left out beside a list of types or a by-type strategy,
//! or an exclusion list), or types taken off a recorder
//! (`DisassociateResourceTypes`), successfully, by anyone but an AWS service.
//!
//! Decisions: stopping or deleting the recorder is the seed detections' (Sigma's
//! `config-disabling-channel-recorder`, `config-recorder-stopped`,
//! `config-resource-deletion`); this is the quiet form they cannot see. The recorder
//! still shows as recording, but the types left out (IAM users, roles and policies
//! are the usual ones an intruder drops) get no configuration history and no rule
//! evaluation. Whether the group was narrower before is not in the event, so a
//! recorder first set up narrow (to save cost) fires too; the evidence names the
//! strategy and the types. A CloudFormation stack's call counts (it is its caller's
//! act); AWS services' own calls (Config's service-linked recorders) do not.
//! Recording once a day (`recordingMode` `DAILY`, a cost setting AWS offers for every
//! type or some) is left out: every type is still recorded, each day's end state
//! with it, and teams switch to it for cost routinely; a change made and undone
//! within the day is the gap it leaves (a review's case, kept as a decision).
//!
//! The recorder's role stripped does the same to every type at once (from an
//! evasion review): `DetachRolePolicy` of AWS's managed `AWS_ConfigRole` (or the
//! older `AWSConfigRole`) from any role, or a role named for the recorder
//! (`config` and `recorder` in its name, as Control Tower's
//! `aws-controltower-ConfigRecorderRole`, or the console's `config-role-<region>`)
//! losing any policy (detached or inline) or deleted. The recorder keeps reporting
//! that it records. Tearing a recorder down (Control Tower, a StackSet, Terraform
//! moving the role) reports each of these calls. A recorder moved to
//! another role (`PutConfigurationRecorder` with a new `roleARN`) is not seen: the
//! call does not say which role it had, nor what the new one may do.
//!
//! From a second evasion review: a role named for the recorder given AWS's
//! `AWSDenyAll`, any permissions boundary, or a trust that no longer lets Config
//! assume it (`AttachRolePolicy`, `PutRolePermissionsBoundary`,
//! `UpdateAssumeRolePolicy`), as the CloudTrail log role's are judged; and the
//! configuration history's retention cut below a year
//! (`PutRetentionConfiguration`, 30 days at least: Config deletes older history
//! for good; the default keeps seven years).
//!
//! From a third evasion review: a source account's authorization for an
//! aggregator deleted (`DeleteAggregationAuthorization`): the account keeps
//! recording, but the organisation's central view stops receiving it, as deleting
//! the aggregator (`config-resource-deletion`) does for every account.

use serde_json::Value;

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    aws_managed_policy_name, aws_service_caller_but_stack, flag_value, pascal_or_camel, policy_document,
    service_may_assume, succeeded_call, whole_number,
};
use crate::event::Record;

pub struct ConfigRecordingNarrowed;

const SOURCE: &str = "config.amazonaws.com";
const PUT: &str = "PutConfigurationRecorder";
const DISASSOCIATE: &str = "DisassociateResourceTypes";
const NAMES: &[&str] = &[DISASSOCIATE, PUT, RETENTION, AGGREGATOR_LET_GO];
/// A source account's leave for an aggregator to collect its configuration,
/// withdrawn: the central view loses the account (from a third evasion review).
const AGGREGATOR_LET_GO: &str = "DeleteAggregationAuthorization";
const IAM: &str = "iam.amazonaws.com";
const DETACH: &str = "DetachRolePolicy";
const ROLE_CHANGES: &[&str] = &[
    "AttachRolePolicy",
    "DeleteRole",
    "DeleteRolePolicy",
    DETACH,
    "PutRolePermissionsBoundary",
    "UpdateAssumeRolePolicy",
];
const RETENTION: &str = "PutRetentionConfiguration";
/// Configuration history kept fewer days than this is cut short.
const MIN_RETENTION_DAYS: u64 = 365;
/// The AWS managed policies a customer recorder role is given, by name (any
/// partition, any case): today's, and the older one console-made roles still
/// carry.
const CONFIG_ROLE_POLICIES: &[&str] = &["AWS_ConfigRole", "AWSConfigRole"];

pub static META: Meta = Meta {
    id: "config-recording-narrowed",
    title: "AWS Config Recording Narrowed to Some Resource Types",
    description: "An AWS Config recorder was set to record only some resource types, types \
                  were taken off it, or the role it records with was stripped of its \
                  permissions. The recorder still reports that it is recording, but changes \
                  to the types left out (IAM roles and policies, say; every type, for the \
                  role) leave no configuration history and escape Config rules. Or the \
                  configuration history was set to be kept less than a year, so Config \
                  deletes what is older.",
    severity: Severity::Medium,
    attack: &["T1562.001", "T1562.008"],
    origins: &[
        "trailwatch: based on the AWS Config PutConfigurationRecorder recording group \
         (allSupported, exclusionByResourceTypes) and DisassociateResourceTypes APIs, the \
         partial form of stopping the recorder",
    ],
    group: "logging-tamper",
    false_positives: &[
        "A recorder set up to record only some types to save cost, or a periodic recording \
         change by the platform team: tune by recorder once the choice is confirmed.",
        "A recorder torn down with its role (Control Tower, a StackSet, Terraform replacing \
         the role): one finding per policy detached and for the role deleted.",
    ],
    next_steps: "Compare the recorder's recording group and role with the organisation's \
                 standard (DescribeConfigurationRecorders, and the role's policies). If types \
                 were dropped or the role stripped without a reason, restore them and review \
                 changes to those types made since, from CloudTrail.",
    evidence: "action aggregator_account aggregator_region boundary excluded_types \
        include_global_resource_types policy policy_name recorded_types recorder removed_types \
        retention_days role strategy",
    triggers: &[Trigger::write(SOURCE, NAMES), Trigger::write(IAM, ROLE_CHANGES)],
    window: None,
};

/// What a recording group leaves out: `Some(evidence)` when `allSupported` is false
/// (only the listed types are recorded) or an exclusion list names types; `None`
/// for a group that records every supported type, or no group at all.
fn narrowing(group: &Value) -> Option<Evidence> {
    let all_supported = pascal_or_camel(group, "AllSupported").and_then(flag_value);
    let excluded = pascal_or_camel(group, "ExclusionByResourceTypes")
        .and_then(|e| pascal_or_camel(e, "ResourceTypes"))
        .and_then(Value::as_array)
        .filter(|types| !types.is_empty());
    let strategy = pascal_or_camel(group, "RecordingStrategy")
        .and_then(|s| pascal_or_camel(s, "UseOnly"))
        .and_then(Value::as_str);
    // `allSupported` left out reads as false: a group that lists types, or names a
    // strategy by types, records only those.
    let by_types = strategy.is_some_and(|s| {
        s.eq_ignore_ascii_case("INCLUSION_BY_RESOURCE_TYPES")
            || s.eq_ignore_ascii_case("EXCLUSION_BY_RESOURCE_TYPES")
    });
    let listed = pascal_or_camel(group, "ResourceTypes")
        .and_then(Value::as_array)
        .is_some_and(|t| !t.is_empty());
    let narrow = all_supported == Some(false)
        || excluded.is_some()
        || (all_supported != Some(true) && (by_types || listed));
    if !narrow {
        return None;
    }
    Some(
        Evidence::new()
            .with_opt("strategy", strategy)
            .with_json("recorded_types", pascal_or_camel(group, "ResourceTypes"))
            .with_json("excluded_types", excluded.map(|t| Value::Array(t.clone())).as_ref())
            .with_json(
                "include_global_resource_types",
                pascal_or_camel(group, "IncludeGlobalResourceTypes"),
            ),
    )
}

/// The role a Config recorder records with, stripped: `AWS_ConfigRole` detached
/// from any role, or a role named for the recorder losing an inline policy or
/// deleted.
fn recorder_role_stripped(rec: &Record<'_>) -> Option<Signal> {
    if aws_service_caller_but_stack(rec) {
        return None;
    }
    let role = rec.request_param_str("roleName")?;
    let config_policy = rec.event_name() == DETACH
        && rec
            .request_param_str("policyArn")
            .and_then(aws_managed_policy_name)
            .is_some_and(|name| {
                // In any case, as IAM resolves a managed policy's ARN (from a review).
                CONFIG_ROLE_POLICIES
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(name))
            });
    let lower = role.to_ascii_lowercase();
    let recorder_role =
        (lower.contains("config") && lower.contains("recorder")) || lower.starts_with("config-role");
    if !config_policy && !recorder_role {
        return None;
    }
    match rec.event_name() {
        // Attached, only AWS's deny-everything policy strips it.
        "AttachRolePolicy" => {
            let deny_all = rec
                .request_param_str("policyArn")
                .and_then(aws_managed_policy_name)
                .is_some_and(|n| n.eq_ignore_ascii_case("AWSDenyAll"));
            if !deny_all {
                return None;
            }
        }
        // A new trust strips it when Config may no longer take the role.
        "UpdateAssumeRolePolicy" => {
            let config_may_assume = rec
                .request_param("policyDocument")
                .and_then(policy_document)
                .is_none_or(|doc| service_may_assume(&doc, SOURCE, rec.account_id()));
            if config_may_assume {
                return None;
            }
        }
        _ => {}
    }
    fire(
        Evidence::new()
            .with("action", rec.event_name())
            .with("role", role)
            .with_opt("policy", rec.request_param_str("policyArn"))
            .with_opt("policy_name", rec.request_param_str("policyName"))
            .with_opt("boundary", rec.request_param_str("permissionsBoundary")),
    )
}

impl Detection for ConfigRecordingNarrowed {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if succeeded_call(rec, IAM, ROLE_CHANGES) {
            return recorder_role_stripped(rec);
        }
        if !succeeded_call(rec, SOURCE, NAMES) || aws_service_caller_but_stack(rec) {
            return None;
        }
        if rec.event_name() == AGGREGATOR_LET_GO {
            return fire(
                Evidence::new()
                    .with("action", AGGREGATOR_LET_GO)
                    .with_opt("aggregator_account", rec.request_param_str("authorizedAccountId"))
                    .with_opt("aggregator_region", rec.request_param_str("authorizedAwsRegion")),
            );
        }
        if rec.event_name() == RETENTION {
            let days = whole_number(rec.request_param("retentionPeriodInDays"))
                .filter(|d| *d < MIN_RETENTION_DAYS)?;
            return fire(Evidence::new().with("action", RETENTION).with("retention_days", days));
        }
        if rec.event_name() == DISASSOCIATE {
            return fire(
                Evidence::new()
                    .with("action", DISASSOCIATE)
                    .with_opt("recorder", rec.request_param_str("configurationRecorderArn"))
                    .with_json("removed_types", rec.request_param("resourceTypes")),
            );
        }
        let recorder = rec.request_param("configurationRecorder")?;
        let group = pascal_or_camel(recorder, "RecordingGroup")?;
        let evidence = narrowing(group)?;
        fire(
            evidence.with("action", PUT).with_opt(
                "recorder",
                pascal_or_camel(recorder, "Name").and_then(Value::as_str),
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::calls::{call, failed};
    use crate::detections::common::testing::{eval, fires};
    use serde_json::json;

    fn put(group: &str) -> String {
        call(
            SOURCE,
            PUT,
            &format!(
                r#"{{"configurationRecorder":{{"name":"default","roleARN":"arn:aws:iam::111122223333:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig","recordingGroup":{group}}}}}"#
            ),
        )
    }

    #[test]
    fn a_recorder_narrowed_to_some_types_fires_with_them() {
        let only = put(
            r#"{"allSupported":false,"includeGlobalResourceTypes":false,"resourceTypes":["AWS::EC2::Instance"],"recordingStrategy":{"useOnly":"INCLUSION_BY_RESOURCE_TYPES"}}"#,
        );
        match eval(&ConfigRecordingNarrowed, &only) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("recorded_types"), Some(&json!(["AWS::EC2::Instance"])));
                assert_eq!(e.get("strategy"), Some(&json!("INCLUSION_BY_RESOURCE_TYPES")));
                assert_eq!(e.get("recorder"), Some(&json!("default")));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let excluded = put(
            r#"{"allSupported":false,"exclusionByResourceTypes":{"resourceTypes":["AWS::IAM::Role","AWS::IAM::Policy"]},"recordingStrategy":{"useOnly":"EXCLUSION_BY_RESOURCE_TYPES"}}"#,
        );
        match eval(&ConfigRecordingNarrowed, &excluded) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("excluded_types"), Some(&json!(["AWS::IAM::Role", "AWS::IAM::Policy"])))
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        // `allSupported` left out: the listed types only.
        assert!(fires(&ConfigRecordingNarrowed, &put(r#"{"recordingStrategy":{"useOnly":"INCLUSION_BY_RESOURCE_TYPES"},"resourceTypes":["AWS::EC2::Instance"]}"#)));
        assert!(fires(&ConfigRecordingNarrowed, &put(r#"{"resourceTypes":["AWS::EC2::Instance"]}"#)));
        // The flag as text, and Pascal-case keys.
        assert!(fires(&ConfigRecordingNarrowed, &put(r#"{"AllSupported":"false","ResourceTypes":["AWS::S3::Bucket"]}"#)));
        let off = call(
            SOURCE,
            DISASSOCIATE,
            r#"{"configurationRecorderArn":"arn:aws:config:us-east-1:111122223333:configuration-recorder/default/abc","resourceTypes":["AWS::IAM::User","AWS::IAM::Role"]}"#,
        );
        match eval(&ConfigRecordingNarrowed, &off) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("removed_types"), Some(&json!(["AWS::IAM::User", "AWS::IAM::Role"]))),
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn full_recording_services_and_refusals_do_not_fire() {
        for group in [
            r#"{"allSupported":true,"includeGlobalResourceTypes":true}"#,
            r#"{"allSupported":true,"exclusionByResourceTypes":{"resourceTypes":[]}}"#,
            "{}",
        ] {
            assert!(!fires(&ConfigRecordingNarrowed, &put(group)), "{group}");
        }
        let narrow = put(r#"{"allSupported":false,"resourceTypes":["AWS::EC2::Instance"]}"#);
        assert!(!fires(&ConfigRecordingNarrowed, &failed(&narrow, "AccessDeniedException")));
        let service = narrow.replacen(
            r#""accountId":"111122223333""#,
            r#""accountId":"111122223333","invokedBy":"config.amazonaws.com""#,
            1,
        );
        assert_ne!(service, narrow);
        assert!(!fires(&ConfigRecordingNarrowed, &service));
        let no_recorder = call(SOURCE, PUT, "null");
        assert!(!fires(&ConfigRecordingNarrowed, &no_recorder));
    }

    /// From a second evasion review: the recorder's role denied everything,
    /// bounded or no longer Config's to assume; and history kept under a year.
    #[test]
    fn the_recorders_role_blocked_and_short_history_fire() {
        let role = "aws-controltower-ConfigRecorderRole";
        let deny_all = call(IAM, "AttachRolePolicy", &format!(r#"{{"roleName":"{role}","policyArn":"arn:aws:iam::aws:policy/AWSDenyAll"}}"#));
        let boundary = call(IAM, "PutRolePermissionsBoundary", &format!(r#"{{"roleName":"{role}","permissionsBoundary":"arn:aws:iam::111122223333:policy/nothing"}}"#));
        let trust = |service: &str| {
            let doc = format!(r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"Service":"{service}"}},"Action":"sts:AssumeRole"}}]}}"#);
            call(IAM, "UpdateAssumeRolePolicy", &json!({"roleName": role, "policyDocument": doc}).to_string())
        };
        for json in [&deny_all, &boundary, &trust("ec2.amazonaws.com")] {
            assert!(fires(&ConfigRecordingNarrowed, json), "{json}");
        }
        assert!(!fires(&ConfigRecordingNarrowed, &trust("config.amazonaws.com")));
        assert!(!fires(&ConfigRecordingNarrowed, &deny_all.replace(role, "app-runtime")));
        let retention = |days: &str| call(SOURCE, "PutRetentionConfiguration", &format!(r#"{{"retentionPeriodInDays":{days}}}"#));
        match eval(&ConfigRecordingNarrowed, &retention("30")) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("retention_days"), Some(&json!(30))),
            other => panic!("expected a finding, got {other:?}"),
        }
        for days in ["365", "2557", "\"x\"", "null"] {
            assert!(!fires(&ConfigRecordingNarrowed, &retention(days)), "{days}");
        }
    }

    /// From an evasion review: the recorder's role stripped records nothing
    /// while the recorder reports recording.
    #[test]
    fn the_recorders_role_stripped_fires() {
        let detach = |role: &str, policy: &str| {
            call(IAM, DETACH, &format!(r#"{{"roleName":"{role}","policyArn":"{policy}"}}"#))
        };
        for json in [
            detach("config-role-us-east-1", "arn:aws:iam::aws:policy/service-role/AWS_ConfigRole"),
            detach("audit-recorder", "arn:aws-us-gov:iam::aws:policy/service-role/AWS_ConfigRole"),
            detach("aws-controltower-ConfigRecorderRole", "arn:aws:iam::111122223333:policy/extra"),
            call(IAM, "DeleteRolePolicy", r#"{"roleName":"ConfigRecorderRole","policyName":"s3-delivery"}"#),
            call(IAM, "DeleteRole", r#"{"roleName":"aws-controltower-ConfigRecorderRole"}"#),
            // The older managed policy, and the console's role name.
            detach("audit", "arn:aws:iam::aws:policy/service-role/AWSConfigRole"),
            // In any case, as IAM resolves it.
            detach("audit", "arn:aws:iam::aws:policy/service-role/aws_configrole"),
            call(IAM, "DeleteRolePolicy", r#"{"roleName":"config-role-eu-west-1","policyName":"config-role-eu-west-1_AWSConfigDeliveryPermissions_eu-west-1"}"#),
        ] {
            match eval(&ConfigRecordingNarrowed, &json) {
                Some(Signal::Fire(e)) => assert!(e.get("role").is_some(), "{json}"),
                other => panic!("expected a finding for {json}, got {other:?}"),
            }
        }
        for json in [
            detach("app-runtime", "arn:aws:iam::aws:policy/ReadOnlyAccess"),
            detach("config-reader", "arn:aws:iam::111122223333:policy/AWS_ConfigRole"),
            call(IAM, "DeleteRole", r#"{"roleName":"app-config-loader"}"#),
            call(IAM, "AttachRolePolicy", r#"{"roleName":"ConfigRecorderRole","policyArn":"arn:aws:iam::aws:policy/service-role/AWS_ConfigRole"}"#),
            call(IAM, "AttachRolePolicy", r#"{"roleName":"app-runtime","policyArn":"arn:aws:iam::aws:policy/AWSDenyAll"}"#),
        ] {
            assert!(!fires(&ConfigRecordingNarrowed, &json), "{json}");
        }
        let refused = failed(
            &detach("config-role", "arn:aws:iam::aws:policy/service-role/AWS_ConfigRole"),
            "AccessDenied",
        );
        assert!(!fires(&ConfigRecordingNarrowed, &refused));
    }
}
