//! A logging, monitoring or security resource deleted or changed through the
//! Cloud Control API (`DeleteResource`, `UpdateResource` naming its
//! CloudFormation type), successfully.
//!
//! Decisions: from an evasion review. Cloud Control deletes or patches any
//! resource by its CloudFormation type name, outside any stack: a trail, log
//! group, alarm, EventBridge rule, flow log, web ACL, GuardDuty detector or
//! Config recorder goes with one generic call, and the call Cloud Control then
//! makes to the owning service is recorded as made through it (which the
//! detections read as their caller's own act, `common::USER_DRIVEN_SERVICES`,
//! whatever its exact shape). So the request itself is judged, by the type it
//! names ([`DEFENCE_TYPES`]): a deletion is high, an update (a JSON Patch, shown
//! in the evidence) medium, since most patches are ordinary edits. A deletion is
//! medium too for the types every application has (log groups, alarms, rules,
//! keys, buckets...: not core in [`DEFENCE_TYPES`]) unless its identifier names CloudTrail's
//! or trailwatch's resources: the call Cloud Control makes to the service is
//! judged by that service's detection as well, and a preview stack torn down by
//! a Cloud Control tool (Pulumi's aws-native) paged high for each (from a
//! review). A core type whose own detection is medium (a flow log, a web ACL)
//! is medium here too (eighth session, from a review). A GuardDuty filter
//! deleted is low: it can only bring archived findings back. The type and
//! identifier are read in either casing. Calls AWS services make on their own
//! are left out.

use serde_json::Value;

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    aws_service_caller_but_stack, call_context, names_trail_bucket, request_text_any, succeeded_call,
};
use crate::event::Record;

pub struct CloudControlDefenceResourceChanged;

const CLOUD_CONTROL: &str = "cloudcontrolapi.amazonaws.com";
const NAMES: &[&str] = &["DeleteResource", "UpdateResource"];

/// The CloudFormation types whose deletion or change blinds the security team:
/// audit logging, log delivery and alarms, network logging and firewalls, the
/// security services, and the backups an intruder deletes before ransom. Compared
/// without regard to letter case. Each with whether it is core: the audit trail
/// and event data store, the organisation's log policy, GuardDuty, Security Hub
/// and Config, whose deletion is high whatever they are called. The others are
/// medium, as the service's own detection of the same deletion is (flow logs,
/// resolver query logging, Network Firewall, WAF, Detective, Macie, Access
/// Analyzer, backup vaults: from a review, a flow log replaced by Pulumi's
/// aws-native paged high here and medium directly), or types every application
/// has too.
pub const DEFENCE_TYPES: &[(&str, bool)] = &[
    ("AWS::CloudTrail::Trail", true),
    ("AWS::CloudTrail::EventDataStore", true),
    ("AWS::Logs::LogGroup", false),
    ("AWS::Logs::SubscriptionFilter", false),
    ("AWS::Logs::MetricFilter", false),
    ("AWS::Logs::AccountPolicy", true),
    ("AWS::CloudWatch::Alarm", false),
    ("AWS::CloudWatch::CompositeAlarm", false),
    ("AWS::Events::Rule", false),
    ("AWS::EC2::FlowLog", false),
    ("AWS::Route53Resolver::ResolverQueryLoggingConfig", false),
    ("AWS::Route53Resolver::ResolverQueryLoggingConfigAssociation", false),
    ("AWS::Route53Resolver::FirewallRuleGroupAssociation", false),
    ("AWS::NetworkFirewall::Firewall", false),
    ("AWS::NetworkFirewall::LoggingConfiguration", false),
    ("AWS::WAFv2::WebACL", false),
    ("AWS::WAFv2::WebACLAssociation", false),
    ("AWS::WAFv2::LoggingConfiguration", false),
    ("AWS::GuardDuty::Detector", true),
    (GUARDDUTY_FILTER, true),
    ("AWS::SecurityHub::Hub", true),
    ("AWS::Detective::Graph", false),
    ("AWS::Macie::Session", false),
    ("AWS::AccessAnalyzer::Analyzer", false),
    ("AWS::Config::ConfigurationRecorder", true),
    ("AWS::Config::DeliveryChannel", true),
    ("AWS::Config::ConfigRule", false),
    ("AWS::KMS::Key", false),
    ("AWS::Backup::BackupVault", false),
    ("AWS::Backup::BackupPlan", false),
    ("AWS::Backup::BackupSelection", false),
    ("AWS::S3::Bucket", false),
];

const GUARDDUTY_FILTER: &str = "AWS::GuardDuty::Filter";

/// Whether a deletion is of a core type, or its identifier (parts split at `|`,
/// `/` and `:`) names CloudTrail's resources (`cloudtrail` in it, or a log
/// archive bucket: `common::names_trail_bucket`) or trailwatch's own.
fn core_deletion(rec: &Record<'_>, kind: &str) -> bool {
    if DEFENCE_TYPES.iter().any(|(t, core)| *core && t.eq_ignore_ascii_case(kind)) {
        return true;
    }
    let identifier = request_text_any(rec, &["identifier", "Identifier"]).unwrap_or("");
    identifier.split(['|', '/', ':']).any(|part| {
        !part.trim().is_empty() && (names_trail_bucket(part) || crate::resources::is_ours(part))
    })
}

pub static META: Meta = Meta {
    id: "cloudcontrol-defence-resource-changed",
    title: "AWS Logging or Security Resource Deleted or Changed Through Cloud Control",
    description: "A trail, log group, alarm, EventBridge rule, flow log, firewall, web ACL, \
                  security service, key, backup vault or bucket was deleted or changed through \
                  the generic Cloud Control API. One call by type name removes what the \
                  service-specific detections watch for, and the call Cloud Control then makes \
                  to the service is recorded as its own.",
    severity: Severity::High,
    attack: &["T1562.008", "T1562.001", "T1485"],
    origins: &[
        "trailwatch: from an evasion review (the Cloud Control API as a way round the \
         service-specific deletion detections)",
    ],
    group: "logging-tamper",
    false_positives: &[
        "Infrastructure tools built on Cloud Control (the Terraform awscc provider, \
         resource managers) removing or editing these resources on purpose: tune by their \
         role.",
        "Preview or test stacks torn down through Cloud Control (Pulumi's aws-native \
         provider): their log groups, alarms, rules and buckets are medium.",
    ],
    next_steps: "Check the type and identifier in the evidence. If the change was not \
                 planned, restore the resource (re-create the trail, alarm or detector; restore \
                 the logs from their archive), revoke the caller's credentials, and review what \
                 happened while it was gone.",
    evidence: "identifier patch region resource_type source_ip user_agent",
    triggers: &[Trigger::write(CLOUD_CONTROL, NAMES)],
    window: None,
};

/// The request's resource type, when it is one of [`DEFENCE_TYPES`].
fn defence_type<'r>(rec: &'r Record<'_>) -> Option<&'r str> {
    let kind = request_text_any(rec, &["typeName", "TypeName"])?;
    DEFENCE_TYPES.iter().any(|(t, _)| t.eq_ignore_ascii_case(kind)).then_some(kind)
}

impl Detection for CloudControlDefenceResourceChanged {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn severity_for(&self, rec: &Record<'_>) -> Severity {
        // A GuardDuty filter deleted can only bring findings back: what it
        // archived is reported again (from a review of a security team's
        // routine work). Setting one to archive is `guardduty-finding-suppression`'s,
        // on the `UpdateFilter` call Cloud Control makes.
        if rec.event_name() == "DeleteResource"
            && defence_type(rec).is_some_and(|kind| kind.eq_ignore_ascii_case(GUARDDUTY_FILTER))
        {
            return Severity::Low;
        }
        let core = defence_type(rec).is_some_and(|kind| core_deletion(rec, kind));
        if rec.event_name() == "UpdateResource" || !core {
            Severity::Medium
        } else {
            META.severity
        }
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, CLOUD_CONTROL, NAMES) || aws_service_caller_but_stack(rec) {
            return None;
        }
        let kind = defence_type(rec)?;
        let patch = rec
            .request_param("patchDocument")
            .or_else(|| rec.request_param("PatchDocument"))
            .and_then(Value::as_str);
        fire(
            call_context(rec)
                .with("resource_type", kind)
                .with_opt("identifier", request_text_any(rec, &["identifier", "Identifier"]))
                .with_opt("patch", patch),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::{fired_evidence, fires};

    fn call(name: &str, params: &str) -> String {
        record(CLOUD_CONTROL, name, ROLE, params, "")
    }

    #[test]
    fn a_defence_resource_deleted_or_patched_fires() {
        let deleted = call("DeleteResource", r#"{"typeName":"AWS::Logs::LogGroup","identifier":"aws-cloudtrail-logs-org","clientToken":"t-1"}"#);
        let e = fired_evidence(&CloudControlDefenceResourceChanged, &deleted);
        assert_eq!(e.get("resource_type").and_then(|v| v.as_str()), Some("AWS::Logs::LogGroup"));
        assert_eq!(e.get("identifier").and_then(|v| v.as_str()), Some("aws-cloudtrail-logs-org"));
        let severity = |rec: &str| testing::severity(&CloudControlDefenceResourceChanged, rec);
        assert_eq!(severity(&deleted), Severity::High);
        let patched = call(
            "UpdateResource",
            r#"{"TypeName":"aws::cloudtrail::trail","Identifier":"org-trail","PatchDocument":"[{\"op\":\"replace\",\"path\":\"/IsLogging\",\"value\":false}]"}"#,
        );
        let e = fired_evidence(&CloudControlDefenceResourceChanged, &patched);
        assert!(e.get("patch").and_then(|v| v.as_str()).is_some_and(|p| p.contains("IsLogging")));
        assert_eq!(severity(&patched), Severity::Medium);
        let filter_patched = call(
            "UpdateResource",
            r#"{"typeName":"AWS::GuardDuty::Filter","identifier":"12abc34d|quiet","patchDocument":"[{\"op\":\"replace\",\"path\":\"/Action\",\"value\":\"ARCHIVE\"}]"}"#,
        );
        assert_eq!(severity(&filter_patched), Severity::Medium, "a filter patched may archive");
        // An application's resources deleted: medium, unless named for CloudTrail
        // or trailwatch; the core types stay high whatever their name.
        for (kind, identifier, want) in [
            ("AWS::Logs::LogGroup", "/aws/lambda/pr-1423-orders-api", Severity::Medium),
            ("AWS::Events::Rule", "pr-1423-nightly", Severity::Medium),
            ("AWS::S3::Bucket", "pr-1423-uploads", Severity::Medium),
            ("AWS::Logs::MetricFilter", "CloudTrail/DefaultLogGroup|root-usage", Severity::High),
            ("AWS::S3::Bucket", "aws-controltower-logs-444455556666-us-east-1", Severity::High),
            ("AWS::S3::Bucket", "aws-controltower-s3-access-logs-444455556666-us-east-1", Severity::Medium),
            ("AWS::Events::Rule", &format!("default|{}-logging-tamper", crate::resources::prefix()), Severity::High),
            ("AWS::GuardDuty::Detector", "12abc34d567e8fa901bc2d34e56789f0", Severity::High),
            ("AWS::CloudTrail::Trail", "org-audit", Severity::High),
            // As medium as their own detections of the same deletion (eighth
            // session, from a review).
            ("AWS::EC2::FlowLog", "fl-0123456789abcdef0", Severity::Medium),
            ("AWS::WAFv2::WebACL", "edge-acl|3f2a|REGIONAL", Severity::Medium),
            ("AWS::Backup::BackupVault", "prod-vault", Severity::Medium),
            // A suppression rule deleted brings findings back (ninth session's
            // review of a security team's work); the detector stays high.
            ("AWS::GuardDuty::Filter", "12abc34d567e8fa901bc2d34e56789f0|archive-scanner", Severity::Low),
            ("aws::guardduty::filter", "12abc34d567e8fa901bc2d34e56789f0|trailwatch-x", Severity::Low),
        ] {
            let json = call("DeleteResource", &format!(r#"{{"typeName":"{kind}","identifier":"{identifier}"}}"#));
            assert!(fires(&CloudControlDefenceResourceChanged, &json), "{kind}");
            assert_eq!(severity(&json), want, "{kind} {identifier}");
        }
    }

    #[test]
    fn other_types_reads_failures_and_services_do_not() {
        let queue = call("DeleteResource", r#"{"typeName":"AWS::SQS::Queue","identifier":"jobs"}"#);
        assert!(!fires(&CloudControlDefenceResourceChanged, &queue));
        let read = record(CLOUD_CONTROL, "GetResource", ROLE, r#"{"typeName":"AWS::CloudTrail::Trail","identifier":"org-trail"}"#, "");
        assert!(!fires(&CloudControlDefenceResourceChanged, &read));
        let params = r#"{"typeName":"AWS::GuardDuty::Detector","identifier":"12abc34d567e8fa901bc2d34e56789f0"}"#;
        assert!(!fires(&CloudControlDefenceResourceChanged, &failed(CLOUD_CONTROL, "DeleteResource", ROLE, params, "AccessDeniedException")));
        assert!(!fires(&CloudControlDefenceResourceChanged, &record(CLOUD_CONTROL, "DeleteResource", SERVICE, params, "")));
        assert!(fires(&CloudControlDefenceResourceChanged, &call("DeleteResource", params)));
    }
}
