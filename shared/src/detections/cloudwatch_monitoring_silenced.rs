//! Monitoring kept in place but silenced: CloudWatch alarm actions switched off
//! (`DisableAlarmActions`, or an alarm rewritten with `actionsEnabled` false by
//! `PutMetricAlarm` or `PutCompositeAlarm`, naming actions) or muted on a schedule
//! (`PutAlarmMuteRule`, whose `muteTargets.alarmNames` keep evaluating with their
//! actions muted while the rule is active: added after an evasion review), or a
//! CloudTrail log group's metric filter deleted
//! (`DeleteMetricFilter`), its subscription filter deleted (`DeleteSubscriptionFilter`:
//! the stream that forwards the trail to a SIEM or a Firehose stops), or its retention
//! cut to three days or less (`PutRetentionPolicy`), or the account-wide subscription
//! filter deleted (`DeleteAccountPolicy` of type `SUBSCRIPTION_FILTER_POLICY`: the
//! same stream for every log group at once, the trail's included), successfully, by
//! anyone but an AWS service. A metric filter overwritten with a pattern that never matches
//! (`PutMetricFilter` under the same name) silences its alarm too, but the call does
//! not show what it replaced: left out.
//!
//! Decisions: the CIS alarms (root use, IAM changes, trail changes, console
//! failures...) are metric filters on the log group CloudTrail delivers to, each
//! feeding an alarm. Deleting the alarm is `cloudwatch-alarm-deletion`; deleting its
//! filter, or keeping the alarm but switching its actions off, silences it as
//! surely and is what an intruder who knows that detection does. A log group that
//! receives CloudTrail is told by its name containing `cloudtrail` (any case: the
//! console's `aws-cloudtrail-logs-...`, the older `CloudTrail/DefaultLogGroup`,
//! Control Tower's `aws-controltower/CloudTrailLogs`); a trail delivering to a group
//! named otherwise is not seen, a limit docs/coverage.md lists. Retention of three
//! days or less on such a group is the log-group form of
//! `s3-bucket-lifecycle-short-expiration`: the record of the intrusion ages out
//! before anyone reads it. Alarm actions switched off count for every alarm: it
//! is rare outside maintenance, and the alarm names are in the evidence.
//! Infrastructure-as-code callers are not excluded (a stack update is the same act).
//!
//! The role CloudTrail assumes to write to that log group, stripped (its policy
//! deleted or detached, or the role deleted: `DeleteRolePolicy`,
//! `DetachRolePolicy`, `DeleteRole` on a role named as the console
//! (`CloudTrailRoleForCloudWatchLogs_...`), the guide (`CloudTrail_CloudWatchLogs_Role`)
//! and Control Tower (`aws-controltower-CloudWatchLogsRole`) name it, or
//! `cloudtrail` with `cloudwatch` or `cwl` in its name), silences every filter at once while
//! the trail still reports logging (from an evasion review); so does AWS's
//! `AWSDenyAll` attached to it, or any permissions boundary put on it (a later
//! review). Roles that merely read CloudTrail (a SIEM forwarder, a query role) do
//! not count. A deny written into the role's own inline policy does the same and
//! is not seen: the record would need judging which writes the role still may
//! make. The account-wide subscription filter rewritten to leave a CloudTrail log
//! group out (`PutAccountPolicy` whose `selectionCriteria` names it) counts too.
//!
//! The backstop of the two seed deletion detections (from an evasion review of
//! this group): `cloudwatch-log-group-deletion` and `cloudwatch-alarm-deletion`
//! leave out, by their specification, calls without an address for a source or
//! with the agent `AWS Internal`, which a caller may send. Here a CloudTrail log
//! group deleted that way (a stack, a forged agent: `DeleteLogGroup`) is high, and
//! alarms deleted from an address with a forged `AWS Internal` agent
//! (`DeleteAlarms`, unless all are Application Auto Scaling's `TargetTracking-`
//! alarms, which console scaling changes delete that way) are medium; what the seeds report is not reported twice. A
//! composite alarm given an actions suppressor (`PutCompositeAlarm` with
//! `actionsSuppressor`, outside a stack) keeps `actionsEnabled` true while another
//! alarm holds its actions back: medium too. So is a cross-account observability
//! link or sink deleted (`DeleteLink`, `DeleteSink` of CloudWatch's `oam`): the
//! source account's metrics, logs and traces stop reaching the monitoring account,
//! whose alarms and dashboards go quiet while everything stays in place.
//!
//! A service's vended log delivery deleted (`DeleteDelivery`, its source or its
//! destination: CloudFront's access logs and others sent through CloudWatch
//! Logs' delivery API) is low: one service's record stops, not the trail's.
//!
//! From a third evasion review: a composite alarm whose rule is never true
//! (`FALSE`, `NOT TRUE`, `x AND FALSE`, `ALARM(a) AND OK(a)`: every combination
//! of its alarms' states is tried, `common::alarm_rule`; AWS documents `FALSE` for
//! testing) keeps its actions and never fires them; and a
//! CloudWatch Logs resource policy deleted (`DeleteResourcePolicy`), or one of
//! AWS's delivery policies rewritten without its service's `logs:PutLogEvents`
//! (`PutResourcePolicy` of the same name): the deliveries that wrote through it
//! (vended logs, DNS query logs) fail quietly; medium for the names AWS gives
//! those policies (`AWSLogDeliveryWrite...`, `route53-query-logging...`), low for
//! others.
//!
//! From a second evasion review: a link rewritten to share no metrics
//! (`UpdateLink` whose `resourceTypes` leave out `AWS::CloudWatch::Metric`) does
//! the same to the alarms while the link stays; and the CloudTrail log role's
//! trust replaced by one that no longer lets CloudTrail assume it
//! (`UpdateAssumeRolePolicy`) silences every filter as stripping its policy does.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    alarm_rule, aws_managed_policy_name, aws_service_caller_but_stack, called_from_ip_not_aws_internal, one_or_many,
    policy_document, request_flag, request_text_any, service_may, service_may_assume, source_ip_literal,
    succeeded_call,
    whole_number,
};
use crate::event::Record;

pub struct CloudWatchMonitoringSilenced;

const LOGS: &str = "logs.amazonaws.com";
const MONITORING: &str = "monitoring.amazonaws.com";
const LOG_CHANGES: &[&str] = &[
    "DeleteAccountPolicy",
    "DeleteDelivery",
    "DeleteDeliveryDestination",
    "DeleteDeliverySource",
    "DeleteLogGroup",
    "DeleteLogStream",
    "PutAccountPolicy",
    "DeleteMetricFilter",
    "DeleteSubscriptionFilter",
    "PutRetentionPolicy",
    RESOURCE_POLICY_DELETED,
    RESOURCE_POLICY_PUT,
];
/// The same policy rewritten so that it no longer lets the delivery services
/// write (from a review: `PutResourcePolicy` replaces a policy of the same name).
const RESOURCE_POLICY_PUT: &str = "PutResourcePolicy";
/// The resource policy that lets services deliver into log groups deleted: their
/// deliveries fail quietly (from a third evasion review).
const RESOURCE_POLICY_DELETED: &str = "DeleteResourcePolicy";

/// Whether a CloudWatch Logs resource policy's name is one AWS gives the policies
/// its log deliveries write through (vended logs', DNS query logs').
fn delivery_policy_name(name: &str) -> bool {
    delivery_service(name).is_some()
}

/// The service a delivery policy named `name` lets write: vended logs' delivery
/// service, or Route 53 for its query logging policy.
fn delivery_service(name: &str) -> Option<&'static str> {
    let lower = name.trim().to_ascii_lowercase();
    if lower.starts_with("awslogdeliverywrite") {
        Some("delivery.logs.amazonaws.com")
    } else if lower.starts_with("route53-query-logging") {
        Some("route53.amazonaws.com")
    } else {
        None
    }
}

/// A delivery policy (by its name) rewritten so that it no longer lets its
/// service put log events for this account (`common::service_may`: no allow, an
/// unconditional deny, or another account's `aws:SourceAccount`; a review found
/// the deny and the foreign account read as allowed): the deliveries fail as if
/// it were deleted. A document that cannot be read is not judged.
fn delivery_policy_gutted(rec: &Record<'_>) -> bool {
    let Some(service) = rec.request_param_str("policyName").and_then(delivery_service) else {
        return false;
    };
    let Some(doc) = rec.request_param("policyDocument").and_then(policy_document) else {
        return false;
    };
    !service_may(&doc, service, "logs:PutLogEvents", rec.account_id())
}
const MUTE_RULE: &str = "PutAlarmMuteRule";
const ALARM_CHANGES: &[&str] = &[
    "DeleteAlarms",
    "DisableAlarmActions",
    "PutMetricAlarm",
    "PutCompositeAlarm",
    MUTE_RULE,
];
/// CloudWatch cross-account observability: a link shares a source account's
/// metrics, logs and traces with a monitoring account's sink.
const OAM: &str = "oam.amazonaws.com";
const OAM_CHANGES: &[&str] = &["DeleteLink", "DeleteSink", "UpdateLink"];
/// CloudWatch Logs' deliveries of services' own logs (CloudFront's access logs,
/// Verified Access's, Bedrock agents'...): a delivery, its source or its
/// destination deleted stops them (from the left-out list of an evasion review).
const DELIVERIES: [&str; 3] = ["DeleteDelivery", "DeleteDeliveryDestination", "DeleteDeliverySource"];

/// The resource type a link must share for the monitoring account's alarms.
const SHARED_METRICS: &str = "AWS::CloudWatch::Metric";
const IAM: &str = "iam.amazonaws.com";
const ROLE_CHANGES: &[&str] = &[
    "DeleteRole",
    "DeleteRolePolicy",
    "DetachRolePolicy",
    "AttachRolePolicy",
    "PutRolePermissionsBoundary",
    "UpdateAssumeRolePolicy",
];

/// Retention this short (in days) lets the trail's records age out within a
/// weekend.
const MAX_RETENTION_DAYS: u64 = 3;

pub static META: Meta = Meta {
    id: "cloudwatch-monitoring-silenced",
    title: "AWS CloudWatch Monitoring Silenced",
    description: "CloudWatch alarm actions were switched off or muted by a mute rule, or on a log group named \
                  for CloudTrail a metric filter or a subscription filter (the stream to a \
                  SIEM) was deleted or the retention cut to three days or less, or the \
                  account-wide subscription filter (every log group's stream) was deleted, \
                  or the role CloudTrail writes to its log group with was stripped; or \
                  a CloudTrail log group or alarms were deleted by a stack or behind a \
                  forged AWS agent, a composite alarm was given an actions suppressor, \
                  or a cross-account observability link was deleted or stopped sharing \
                  metrics (or, at low severity, a service's log delivery was deleted). \
                  The alarms and filters stay listed, so a glance finds \
                  monitoring in place, but the alerts on root use, IAM or trail changes no \
                  longer fire, or the trail's records soon disappear.",
    severity: Severity::Medium,
    attack: &["T1562.001", "T1562.008", "T1070"],
    origins: &[
        "trailwatch: based on the CIS AWS Foundations metric-filter alarms and the \
         CloudWatch Logs and alarm APIs that silence them without a deletion",
    ],
    group: "monitoring-tamper",
    false_positives: &[
        "Alarm actions switched off for a planned maintenance window.",
        "A monitoring stack replacing its metric filters (a delete, then a new \
         PutMetricFilter).",
        "Short retention on purpose where the trail is also kept in S3.",
    ],
    next_steps: "Check which alarm, filter or log group changed and whether the change \
                 was planned. If not, restore the filter, the alarm actions or the \
                 retention, then review what happened since, reading the trail in S3 if \
                 the log group lost it.",
    evidence: "action actions_suppressor alarm_name alarm_names alarm_rule boundary delivery \
        every_alarm filter_name link_or_sink log_group log_stream mute_rule policy_arn \
        policy_name policy_type resource_types retention_days role selection_criteria user_agent",
    triggers: &[
        Trigger::write(LOGS, LOG_CHANGES),
        Trigger::write(MONITORING, ALARM_CHANGES),
        Trigger::write(IAM, ROLE_CHANGES),
        Trigger::write(OAM, OAM_CHANGES),
    ],
    window: None,
};

/// The role CloudTrail writes to its log group with, by its name: the names the
/// console, the guide and Control Tower give it, or `cloudtrail` with a word for
/// CloudWatch Logs (`cloudwatch`, `cwl`; `logs` only as `cloudtrail-logs-role`),
/// less the roles that read what CloudTrail wrote (readers, queries, exports,
/// forwarders).
fn trail_log_role(name: &str) -> bool {
    let lower = name.trim().to_ascii_lowercase();
    let known = ["cloudtrail_cloudwatchlogs_role", "cloudtrailroleforcloudwatchlogs_", "aws-controltower-cloudwatchlogsrole"]
        .iter()
        .any(|p| lower.starts_with(p));
    let reader = ["read", "query", "athena", "export", "forward", "siem"]
        .iter()
        .any(|w| lower.contains(w));
    // `logs` alone names too many readers (`cloudtrail-logs-archiver`): only the
    // role's own name, `cloudtrail-logs-role` and the like, counts with it.
    let squeezed: String = lower.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    let logs_role = squeezed.starts_with("cloudtraillogsrole");
    known || (lower.contains("cloudtrail") && (lower.contains("cloudwatch") || lower.contains("cwl") || logs_role) && !reader)
}

/// A caller from an address sending the agent `AWS Internal`: AWS writes that
/// agent for its own calls, whose source is a service's name, so from an
/// address it is a caller hiding behind it (any SDK may set its whole agent).
fn forged_internal_agent(rec: &Record<'_>) -> bool {
    rec.user_agent().is_some_and(|a| a.trim() == "AWS Internal") && source_ip_literal(rec).is_some()
}

/// Whether a deletion names an alarm other than those Application Auto Scaling
/// manages (`TargetTracking-...`): the console's scaling changes delete those with
/// the agent `AWS Internal` from the user's address.
fn names_own_alarm(rec: &Record<'_>) -> bool {
    rec.request_param("alarmNames")
        .and_then(|v| v.as_array())
        .is_some_and(|names| {
            names
                .iter()
                .filter_map(|n| n.as_str())
                .any(|n| !n.trim().starts_with("TargetTracking-"))
        })
}

/// The log group receives CloudTrail, by its name.
fn trail_log_group(name: &str) -> bool {
    name.to_ascii_lowercase().contains("cloudtrail")
}


/// Whether the alarm change names one of trailwatch's own health alarms (its
/// resource prefix): the central rule of `trailwatch-tampering` has no room left
/// for `DisableAlarmActions`, so it is told here (from a review).
fn names_trailwatch_alarm(rec: &Record<'_>) -> bool {
    let prefix = crate::resources::prefix();
    let named = |v: &serde_json::Value| v.as_str().is_some_and(|n| n.trim().starts_with(prefix));
    let listed = |names: Option<&serde_json::Value>| {
        names
            .and_then(|v| v.as_array())
            .is_some_and(|names| names.iter().any(named))
    };
    listed(rec.request_param("alarmNames"))
        || listed(muted_alarms(rec))
        || mutes_every_alarm(rec)
        || rec.request_param("alarmName").is_some_and(named)
}

/// Whether the record is in `home`, the central Region and account, where
/// trailwatch's health alarms are; when they are not known (replay, the
/// backtest), every account and Region might be.
fn in_home(rec: &Record<'_>, home: Option<(&str, &str)>) -> bool {
    home.is_none_or(|(region, account)| rec.region() == Some(region) && rec.account_id() == Some(account))
}

/// A mute rule that names no alarm: it mutes every alarm of the account and
/// Region, trailwatch's own among them (from a review).
fn mutes_every_alarm(rec: &Record<'_>) -> bool {
    rec.event_name() == MUTE_RULE
        && muted_alarms(rec)
            .and_then(|v| v.as_array())
            .is_none_or(Vec::is_empty)
}

/// The alarms a mute rule mutes (`muteTargets.alarmNames`).
fn muted_alarms<'r>(rec: &'r Record<'_>) -> Option<&'r serde_json::Value> {
    rec.request_param("muteTargets")?.get("alarmNames")
}

/// Whether an alarm written names any action. One written with its actions
/// switched off and none named is judged as one written without actions, which
/// is not seen: the write replaces the alarm, so both drop what actions it had,
/// and the call does not show what it replaced (a stated limit; trailwatch's own
/// alarms are `trailwatch-tampering`'s). New alarms of preview stages are made
/// so (from a review: `actionsEnabled: stage == 'prod'` in CDK paged for each).
fn names_actions(rec: &Record<'_>) -> bool {
    ["alarmActions", "oKActions", "OKActions", "insufficientDataActions"]
        .iter()
        .filter_map(|k| rec.request_param(k))
        .any(|v| one_or_many(Some(v)).iter().any(|a| a.as_str().is_some_and(|a| !a.trim().is_empty())))
}

impl Detection for CloudWatchMonitoringSilenced {
    fn meta(&self) -> &'static Meta {
        &META
    }

    /// trailwatch's own health alarms silenced are tampering with trailwatch:
    /// critical, as `trailwatch-tampering`'s findings are.
    fn severity_for(&self, rec: &Record<'_>) -> Severity {
        if rec.event_source() == MONITORING
            && mutes_every_alarm(rec)
            && !in_home(rec, crate::resources::home())
        {
            // Every alarm muted away from the central account and Region: a
            // member's forward-failed alarm at most among them, and "quiet
            // hours" rules are routine there; high, not critical, so that the
            // `tampering-reported` health alarm, which counts critical ones,
            // stays for trailwatch's own (from a review, fifteenth session).
            Severity::High
        } else if rec.event_source() == MONITORING && names_trailwatch_alarm(rec) {
            Severity::Critical
        } else if rec.event_source() == LOGS
            && matches!(rec.event_name(), RESOURCE_POLICY_DELETED | RESOURCE_POLICY_PUT)
            && !rec.request_param_str("policyName").is_some_and(delivery_policy_name)
        {
            // Some other policy: one service's writes, if any.
            Severity::Low
        } else if rec.event_source() == LOGS && DELIVERIES.contains(&rec.event_name()) {
            // A service's vended logs (a distribution's access logs, say) stopped:
            // one service's record, not the trail's.
            Severity::Low
        } else if rec.event_source() == LOGS
            && rec.event_name() == "DeleteLogGroup"
            && rec.request_param_str("logGroupName").is_some_and(trail_log_group)
        {
            // The trail's log group gone, with its filters and alarms' inputs.
            Severity::High
        } else {
            META.severity
        }
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if aws_service_caller_but_stack(rec) {
            return None;
        }
        if succeeded_call(rec, MONITORING, ALARM_CHANGES) {
            if rec.event_name() == MUTE_RULE {
                let e = Evidence::new()
                    .with("action", MUTE_RULE)
                    .with_opt("mute_rule", rec.request_param_str("name"))
                    .with_json("alarm_names", muted_alarms(rec));
                return fire(if mutes_every_alarm(rec) { e.with("every_alarm", true) } else { e });
            }
            if rec.event_name() == "DeleteAlarms" && !(forged_internal_agent(rec) && names_own_alarm(rec)) {
                return None;
            }
            let suppressed = rec.event_name() == "PutCompositeAlarm"
                && rec.request_param_str("actionsSuppressor").is_some_and(|a| !a.trim().is_empty())
                && rec.invoked_by() != Some("cloudformation.amazonaws.com");
            // From a third evasion review: a composite alarm whose rule can never
            // be true keeps its actions and never fires them.
            let never = rec.event_name() == "PutCompositeAlarm"
                && rec.request_param_str("alarmRule").is_some_and(alarm_rule::never_true)
                && rec.invoked_by() != Some("cloudformation.amazonaws.com");
            if never {
                return fire(
                    Evidence::new()
                        .with("action", rec.event_name())
                        .with_opt("alarm_name", rec.request_param_str("alarmName"))
                        .with_opt("alarm_rule", rec.request_param_str("alarmRule")),
                );
            }
            if suppressed {
                return fire(
                    Evidence::new()
                        .with("action", rec.event_name())
                        .with_opt("alarm_name", rec.request_param_str("alarmName"))
                        .with_opt("actions_suppressor", rec.request_param_str("actionsSuppressor")),
                );
            }
            if !matches!(rec.event_name(), "DisableAlarmActions" | "DeleteAlarms")
                && (request_flag(rec, "actionsEnabled") != Some(false) || !names_actions(rec))
            {
                return None;
            }
            return fire(
                Evidence::new()
                    .with("action", rec.event_name())
                    .with_json("alarm_names", rec.request_param("alarmNames"))
                    .with_opt("alarm_name", rec.request_param_str("alarmName")),
            );
        }
        if succeeded_call(rec, OAM, OAM_CHANGES) {
            let mut e = Evidence::new();
            if rec.event_name() == "UpdateLink" {
                let types = rec.request_param("resourceTypes").or_else(|| rec.request_param("ResourceTypes"))?;
                let shares_metrics = one_or_many(Some(types))
                    .iter()
                    .any(|t| t.as_str().is_some_and(|t| t.trim().eq_ignore_ascii_case(SHARED_METRICS)));
                if shares_metrics {
                    return None;
                }
                e = e.with_json("resource_types", Some(types));
            }
            return fire(
                e.with("action", rec.event_name())
                    .with_opt("link_or_sink", request_text_any(rec, &["Identifier", "identifier"])),
            );
        }
        if succeeded_call(rec, IAM, ROLE_CHANGES) {
            // A role named for CloudTrail: the one it writes to its log group with.
            let role = rec.request_param_str("roleName").filter(|r| trail_log_role(r))?;
            // A new trust silences it when CloudTrail may no longer take the role.
            if rec.event_name() == "UpdateAssumeRolePolicy"
                && rec
                    .request_param("policyDocument")
                    .and_then(policy_document)
                    .is_none_or(|doc| service_may_assume(&doc, "cloudtrail.amazonaws.com", rec.account_id()))
            {
                return None;
            }
            // Attached, only AWS's deny-everything policy silences it.
            if rec.event_name() == "AttachRolePolicy"
                && !rec
                    .request_param_str("policyArn")
                    .and_then(aws_managed_policy_name)
                    .is_some_and(|n| n.eq_ignore_ascii_case("AWSDenyAll"))
            {
                return None;
            }
            return fire(
                Evidence::new()
                    .with("action", rec.event_name())
                    .with("role", role)
                    .with_opt("policy_name", rec.request_param_str("policyName"))
                    .with_opt("policy_arn", rec.request_param_str("policyArn"))
                    .with_opt("boundary", rec.request_param_str("permissionsBoundary")),
            );
        }
        if !succeeded_call(rec, LOGS, LOG_CHANGES) {
            return None;
        }
        if DELIVERIES.contains(&rec.event_name()) {
            return fire(
                Evidence::new()
                    .with("action", rec.event_name())
                    .with_opt("delivery", request_text_any(rec, &["id", "name"])),
            );
        }
        if rec.event_name() == RESOURCE_POLICY_PUT && !delivery_policy_gutted(rec) {
            return None;
        }
        if matches!(rec.event_name(), RESOURCE_POLICY_DELETED | RESOURCE_POLICY_PUT) {
            return fire(
                Evidence::new()
                    .with("action", rec.event_name())
                    .with_opt("policy_name", rec.request_param_str("policyName")),
            );
        }
        if matches!(rec.event_name(), "PutAccountPolicy" | "DeleteAccountPolicy") {
            // Only the account-wide subscription filter forwards logs; the other
            // account policies (data protection, field indexes) do not.
            let kind = rec.request_param_str("policyType")?;
            // Rewritten, it counts when it leaves the trail's log group out: its
            // only selector is `LogGroupName NOT IN [...]`, so a trail group named
            // there stops streaming (from an evasion review).
            let criteria = match rec.event_name() {
                "PutAccountPolicy" => Some(rec.request_param_str("selectionCriteria").filter(|c| trail_log_group(c))?),
                _ => None,
            };
            if !kind.trim().eq_ignore_ascii_case("SUBSCRIPTION_FILTER_POLICY") {
                return None;
            }
            return fire(
                Evidence::new()
                    .with("action", rec.event_name())
                    .with("policy_type", kind)
                    .with_opt("policy_name", rec.request_param_str("policyName"))
                    .with_opt("selection_criteria", criteria),
            );
        }
        let deletion = matches!(rec.event_name(), "DeleteLogGroup" | "DeleteLogStream");
        // Behind a forged `AWS Internal` agent, which the seeds leave out, any
        // group's or stream's deletion (flow logs', WAF's, DNS queries') counts
        // (from a second evasion review).
        // Not in a console session: the console's own pages call with that agent
        // too (a review of this change).
        if deletion && forged_internal_agent(rec) && !rec.from_console_session() {
            return fire(
                Evidence::new()
                    .with("action", rec.event_name())
                    .with_opt("log_group", rec.request_param_str("logGroupName"))
                    .with_opt("log_stream", rec.request_param_str("logStreamName"))
                    .with("user_agent", "AWS Internal"),
            );
        }
        let group = rec.request_param_str("logGroupName").filter(|g| trail_log_group(g))?;
        // A deletion the seed reports is not reported twice.
        if deletion && called_from_ip_not_aws_internal(rec) {
            return None;
        }
        let evidence = Evidence::new().with("action", rec.event_name()).with("log_group", group);
        if rec.event_name() == "PutRetentionPolicy" {
            let days = whole_number(rec.request_param("retentionInDays")).filter(|d| *d <= MAX_RETENTION_DAYS)?;
            return fire(evidence.with("retention_days", days));
        }
        fire(
            evidence
                .with_opt("filter_name", rec.request_param_str("filterName"))
                .with_opt("log_stream", rec.request_param_str("logStreamName")),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing;
    use crate::detections::common::calls::{call, failed};
    use crate::detections::common::testing::{eval, fired_evidence, fires};

    const GROUP: &str = "aws-cloudtrail-logs-111122223333-3f2a1b9c";

    fn retention(group: &str, days: &str) -> String {
        call(LOGS, "PutRetentionPolicy", &format!(r#"{{"logGroupName":"{group}","retentionInDays":{days}}}"#))
    }

    /// From an evasion review of this group: what the seed deletions leave out by
    /// their specification (a stack, a forged `AWS Internal` agent), and a
    /// composite alarm's actions held back by a suppressor.
    #[test]
    fn deletions_the_seeds_leave_out_and_suppressed_composite_alarms_fire() {
        let delete = call(LOGS, "DeleteLogGroup", &format!(r#"{{"logGroupName":"{GROUP}"}}"#));
        // Seen by cloudwatch-log-group-deletion: not twice.
        assert!(!fires(&CloudWatchMonitoringSilenced, &delete));
        let forged = delete.replace("aws-cli/2.15.0", "AWS Internal");
        assert_eq!(fired_evidence(&CloudWatchMonitoringSilenced, &forged).get("log_group"), Some(&serde_json::json!(GROUP)));
        assert_eq!(testing::severity(&CloudWatchMonitoringSilenced, &forged), Severity::High);
        let stack = delete
            .replace("192.0.2.30", "cloudformation.amazonaws.com")
            .replace(r#""userIdentity":{"#, r#""userIdentity":{"invokedBy":"cloudformation.amazonaws.com","#);
        assert!(fires(&CloudWatchMonitoringSilenced, &stack));
        // Another group behind the forged agent counts too, at medium (a second
        // evasion review); a stack deleting another group does not.
        let other_group = forged.replace(GROUP, "/aws/lambda/shop");
        assert!(fires(&CloudWatchMonitoringSilenced, &other_group));
        assert_eq!(testing::severity(&CloudWatchMonitoringSilenced, &other_group), Severity::Medium);
        assert!(!fires(&CloudWatchMonitoringSilenced, &stack.replace(GROUP, "/aws/lambda/shop")));
        let alarms = call(MONITORING, "DeleteAlarms", r#"{"alarmNames":["cis-root-usage","cis-iam-changes"]}"#);
        assert!(!fires(&CloudWatchMonitoringSilenced, &alarms), "cloudwatch-alarm-deletion's");
        assert!(fires(&CloudWatchMonitoringSilenced, &alarms.replace("aws-cli/2.15.0", "AWS Internal")));
        // Application Auto Scaling's own alarms, deleted by a console scaling change.
        let scaling = alarms
            .replace("aws-cli/2.15.0", "AWS Internal")
            .replace(r#"["cis-root-usage","cis-iam-changes"]"#, r#"["TargetTracking-table/orders-AlarmHigh-7b1e"]"#);
        assert!(scaling.contains("TargetTracking-"));
        assert!(!fires(&CloudWatchMonitoringSilenced, &scaling));
        // A stack deleting its alarms is everyday work: left to the seed's rules.
        let stack_alarms = alarms.replace("192.0.2.30", "cloudformation.amazonaws.com").replace("aws-cli/2.15.0", "AWS Internal");
        assert!(!fires(&CloudWatchMonitoringSilenced, &stack_alarms));
        let link = call(OAM, "DeleteLink", r#"{"Identifier":"arn:aws:oam:us-east-1:111122223333:link/a1b2c3d4-5678-90ab-cdef-example11111"}"#);
        assert!(fired_evidence(&CloudWatchMonitoringSilenced, &link).get("link_or_sink").is_some());
        assert!(!fires(&CloudWatchMonitoringSilenced, &failed(&link, "AccessDeniedException")));
        let composite = |extra: &str| {
            call(MONITORING, "PutCompositeAlarm", &format!(r#"{{"alarmName":"security-composite","actionsEnabled":true,"alarmRule":"ALARM(a)"{extra}}}"#))
        };
        assert!(!fires(&CloudWatchMonitoringSilenced, &composite("")));
        // A rule that can never be true (a third evasion review).
        for rule in ["FALSE", " ( false ) ", "NOT TRUE", "ALARM(CIS-3.5) AND FALSE", "(ALARM(a) OR ALARM(b)) AND (FALSE)"] {
            let json = call(MONITORING, "PutCompositeAlarm", &format!(r#"{{"alarmName":"c","actionsEnabled":true,"alarmRule":"{rule}"}}"#));
            assert!(fires(&CloudWatchMonitoringSilenced, &json), "{rule}");
        }
        for rule in ["ALARM(a) OR FALSE", "ALARM(FALSE-positives)", "TRUE", "ALARM(a) AND NOT ALARM(b)"] {
            let json = call(MONITORING, "PutCompositeAlarm", &format!(r#"{{"alarmName":"c","actionsEnabled":true,"alarmRule":"{rule}"}}"#));
            assert!(!fires(&CloudWatchMonitoringSilenced, &json), "{rule}");
        }
        let suppressed = composite(r#","actionsSuppressor":"always-in-alarm","actionsSuppressorExtensionPeriod":86400"#);
        assert_eq!(
            fired_evidence(&CloudWatchMonitoringSilenced, &suppressed).get("actions_suppressor"),
            Some(&serde_json::json!("always-in-alarm"))
        );
    }

    /// From a second evasion review: any log group or stream deleted behind a
    /// forged `AWS Internal` agent; a trail group's stream deleted by a stack.
    /// From a review: AWS's delivery policy rewritten without the delivery
    /// service's write is as good as deleted; a rewrite that keeps it is not.
    #[test]
    fn a_delivery_policy_rewritten_without_its_service_fires() {
        let put = |name: &str, service: &str| {
            let doc = serde_json::to_string(&format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Service":"{service}"}},"Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}}]}}"#
            ))
            .unwrap();
            call(LOGS, "PutResourcePolicy", &format!(r#"{{"policyName":"{name}","policyDocument":{doc}}}"#))
        };
        let gutted = put("AWSLogDeliveryWrite20150319", "es.amazonaws.com");
        assert!(fires(&CloudWatchMonitoringSilenced, &gutted));
        let severity = |json: &str| testing::severity(&CloudWatchMonitoringSilenced, json);
        assert_eq!(severity(&gutted), Severity::Medium);
        assert!(!fires(&CloudWatchMonitoringSilenced, &put("AWSLogDeliveryWrite20150319", "delivery.logs.amazonaws.com")));
        assert!(!fires(&CloudWatchMonitoringSilenced, &put("route53-query-logging-policy", "route53.amazonaws.com")));
        assert!(fires(&CloudWatchMonitoringSilenced, &put("route53-query-logging-policy", "delivery.logs.amazonaws.com")));
        assert!(!fires(&CloudWatchMonitoringSilenced, &put("my-app-policy", "es.amazonaws.com")));
        // A deny of the service, or another account's source, is as gutted; an
        // allow to anyone for this account is not (a review of this change).
        let with = |statements: &str| {
            let doc = serde_json::to_string(&format!(r#"{{"Statement":[{statements}]}}"#)).unwrap();
            call(LOGS, "PutResourcePolicy", &format!(r#"{{"policyName":"AWSLogDeliveryWrite20150319","policyDocument":{doc}}}"#))
        };
        let allow = r#"{"Effect":"Allow","Principal":{"Service":["delivery.logs.amazonaws.com"]},"Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":["*"]}"#;
        let deny = r#"{"Effect":"Deny","Principal":{"Service":"delivery.logs.amazonaws.com"},"Action":"logs:PutLogEvents","Resource":"*"}"#;
        assert!(fires(&CloudWatchMonitoringSilenced, &with(&format!("{allow},{deny}"))));
        let foreign = allow.replace(r#""Resource":["*"]"#, r#""Resource":["*"],"Condition":{"StringEquals":{"aws:SourceAccount":"999999999999"}}"#);
        assert!(fires(&CloudWatchMonitoringSilenced, &with(&foreign)));
        let anyone = r#"{"Effect":"Allow","Principal":"*","Action":"logs:*","Resource":"*","Condition":{"StringEquals":{"aws:SourceAccount":"111122223333"}}}"#;
        assert!(!fires(&CloudWatchMonitoringSilenced, &with(anyone)));
        // A third review: another account's source ARN, a deny conditioned on this
        // account or on not being another, a deny to all but the account's root.
        let own_shape = allow.replace(
            r#""Resource":["*"]"#,
            r#""Resource":["*"],"Condition":{"StringEquals":{"aws:SourceAccount":["111122223333"]},"ArnLike":{"aws:SourceArn":["arn:aws:logs:us-east-1:111122223333:*"]}}"#,
        );
        assert!(!fires(&CloudWatchMonitoringSilenced, &with(&own_shape)), "AWS's own shape");
        let other_arn = own_shape.replace("arn:aws:logs:us-east-1:111122223333:*", "arn:aws:logs:us-east-1:999999999999:*");
        assert!(fires(&CloudWatchMonitoringSilenced, &with(&other_arn)));
        for deny in [
            r#"{"Effect":"Deny","Principal":{"Service":"delivery.logs.amazonaws.com"},"Action":"logs:PutLogEvents","Resource":"*","Condition":{"StringEquals":{"aws:SourceAccount":"111122223333"}}}"#,
            r#"{"Effect":"Deny","Principal":{"Service":"delivery.logs.amazonaws.com"},"Action":"logs:PutLogEvents","Resource":"*","Condition":{"StringNotEquals":{"aws:SourceAccount":"999999999999"}}}"#,
            r#"{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"logs:PutLogEvents","Resource":"*"}"#,
        ] {
            assert!(fires(&CloudWatchMonitoringSilenced, &with(&format!("{own_shape},{deny}"))), "{deny}");
        }
        let deny_elsewhere = r#"{"Effect":"Deny","Principal":{"Service":"delivery.logs.amazonaws.com"},"Action":"logs:PutLogEvents","Resource":"*","Condition":{"StringEquals":{"aws:SourceAccount":"999999999999"}}}"#;
        assert!(!fires(&CloudWatchMonitoringSilenced, &with(&format!("{own_shape},{deny_elsewhere}"))));
    }

    #[test]
    fn deletions_the_seeds_leave_out_fire() {
        let delete = |name: &str, group: &str, agent: &str| {
            call(LOGS, name, &format!(r#"{{"logGroupName":"{group}","logStreamName":"111122223333_CloudTrail_us-east-1"}}"#))
                .replace("aws-cli/2.15.0", agent)
        };
        for (name, group) in [("DeleteLogStream", GROUP), ("DeleteLogGroup", "/vpc/flow-logs/prod"), ("DeleteLogStream", "/vpc/flow-logs/prod")] {
            assert!(fires(&CloudWatchMonitoringSilenced, &delete(name, group, "AWS Internal")), "{name} {group}");
            // The seeds report what comes from an address with an SDK's agent.
            assert!(!fires(&CloudWatchMonitoringSilenced, &delete(name, group, "aws-cli/2.15.0")), "{name} {group}");
        }
        let stack = delete("DeleteLogStream", GROUP, "cloudformation.amazonaws.com").replace("192.0.2.30", "cloudformation.amazonaws.com");
        assert!(fires(&CloudWatchMonitoringSilenced, &stack));
        let app_stack = stack.replace(GROUP, "/aws/lambda/orders");
        assert!(!fires(&CloudWatchMonitoringSilenced, &app_stack));
        let console = delete("DeleteLogStream", "/aws/lambda/orders-api", "AWS Internal")
            .replace(r#""userIdentity""#, r#""sessionCredentialFromConsole":"true","userIdentity""#);
        assert!(!fires(&CloudWatchMonitoringSilenced, &console));
    }

    #[test]
    fn a_vended_log_delivery_deleted_is_low() {
        for (name, params) in [
            ("DeleteDelivery", r#"{"id":"a1b2c3d4e5f6"}"#),
            ("DeleteDeliverySource", r#"{"name":"cloudfront-E2EXAMPLE-access"}"#),
            ("DeleteDeliveryDestination", r#"{"name":"s3-access-logs"}"#),
        ] {
            let json = call(LOGS, name, params);
            assert!(fires(&CloudWatchMonitoringSilenced, &json), "{name}");
            assert_eq!(testing::severity(&CloudWatchMonitoringSilenced, &json), Severity::Low);
        }
        assert!(!fires(&CloudWatchMonitoringSilenced, &failed(&call(LOGS, "DeleteDelivery", r#"{"id":"x"}"#), "AccessDeniedException")));
    }

    /// From a second evasion review: a link that stops sharing metrics, and the
    /// log role's trust taken from CloudTrail.
    #[test]
    fn a_link_without_metrics_and_a_log_role_cloudtrail_cannot_take_fire() {
        let link = |types: &str| {
            call(OAM, "UpdateLink", &format!(
                r#"{{"identifier":"arn:aws:oam:us-east-1:111122223333:link/abcd1234-a123-456a-a12b-a123b456c789","resourceTypes":{types}}}"#
            ))
        };
        assert_eq!(
            fired_evidence(&CloudWatchMonitoringSilenced, &link(r#"["AWS::XRay::Trace"]"#)).get("resource_types"),
            Some(&serde_json::json!(["AWS::XRay::Trace"]))
        );
        assert!(!fires(&CloudWatchMonitoringSilenced, &link(r#"["AWS::Logs::LogGroup","AWS::CloudWatch::Metric"]"#)));
        assert!(!fires(&CloudWatchMonitoringSilenced, &call(OAM, "UpdateLink", r#"{"identifier":"x"}"#)));
        let trust = |principal: &str| {
            let doc = format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Service":"{principal}"}},"Action":"sts:AssumeRole"}}]}}"#);
            call(IAM, "UpdateAssumeRolePolicy", &serde_json::json!({"roleName": "CloudTrail_CloudWatchLogs_Role", "policyDocument": doc}).to_string())
        };
        assert!(fires(&CloudWatchMonitoringSilenced, &trust("ec2.amazonaws.com")));
        assert!(!fires(&CloudWatchMonitoringSilenced, &trust("cloudtrail.amazonaws.com")));
        // A review of that change: a deny beside the allow, or an allow for another
        // account's trails, shuts CloudTrail out as well.
        let with_doc = |doc: &str| {
            call(IAM, "UpdateAssumeRolePolicy", &serde_json::json!({"roleName": "CloudTrail_CloudWatchLogs_Role", "policyDocument": doc}).to_string())
        };
        let allow = r#"{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"sts:AssumeRole"}"#;
        let deny = r#"{"Effect":"Deny","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"sts:AssumeRole"}"#;
        assert!(fires(&CloudWatchMonitoringSilenced, &with_doc(&format!(r#"{{"Statement":[{allow},{deny}]}}"#))));
        let other_account = allow.replace(r#""Action":"sts:AssumeRole""#, r#""Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"999999999999"}}"#);
        assert!(fires(&CloudWatchMonitoringSilenced, &with_doc(&format!(r#"{{"Statement":[{other_account}]}}"#))));
        let own_account = other_account.replace("999999999999", "111122223333");
        assert!(!fires(&CloudWatchMonitoringSilenced, &with_doc(&format!(r#"{{"Statement":[{own_account}]}}"#))));
        let other_role = trust("ec2.amazonaws.com").replace("CloudTrail_CloudWatchLogs_Role", "app-runtime");
        assert!(!fires(&CloudWatchMonitoringSilenced, &other_role));
    }

    /// From an evasion review: the role CloudTrail writes to its log group with.
    #[test]
    fn the_trails_log_role_stripped_fires() {
        for (name, params) in [
            ("DeleteRolePolicy", r#"{"roleName":"CloudTrail_CloudWatchLogs_Role","policyName":"oneClick_CloudTrail_CloudWatchLogs_Role"}"#),
            ("DetachRolePolicy", r#"{"roleName":"CloudTrailRoleForCloudWatchLogs_main","policyArn":"arn:aws:iam::111122223333:policy/trail-to-logs"}"#),
            ("DeleteRole", r#"{"roleName":"CloudTrailRoleForCloudWatchLogs_main"}"#),
        ] {
            match eval(&CloudWatchMonitoringSilenced, &call(IAM, name, params)) {
                Some(Signal::Fire(e)) => assert!(e.get("role").is_some(), "{name}"),
                other => panic!("expected a finding for {name}, got {other:?}"),
            }
        }
        assert!(!fires(&CloudWatchMonitoringSilenced, &call(IAM, "DeleteRolePolicy", r#"{"roleName":"app-runtime","policyName":"s3"}"#)));
        assert!(fires(&CloudWatchMonitoringSilenced, &call(IAM, "DeleteRole", r#"{"roleName":"aws-controltower-CloudWatchLogsRole"}"#)));
        for writer in ["CloudTrail-CWLogs-Role", "cloudtrail-logs-role", "CloudTrailCWLRole"] {
            assert!(fires(&CloudWatchMonitoringSilenced, &call(IAM, "DeleteRole", &format!(r#"{{"roleName":"{writer}"}}"#))), "{writer}");
        }
        // Roles that only read CloudTrail (from a review of this).
        for reader in [
            "datadog-cloudtrail-forwarder",
            "cloudtrail-athena-query",
            "cloudtrail-cloudwatch-reader",
            "CloudWatchLogs-CloudTrail-Export-Reader",
            "cloudtrail-logs-replication-role",
            "CloudTrailLogsProcessorLambdaRole",
            "cloudtrail-logs-archiver",
        ] {
            assert!(!fires(&CloudWatchMonitoringSilenced, &call(IAM, "DeleteRole", &format!(r#"{{"roleName":"{reader}"}}"#))), "{reader}");
        }
        assert!(!fires(&CloudWatchMonitoringSilenced, &call(IAM, "PutRolePolicy", r#"{"roleName":"CloudTrail_CloudWatchLogs_Role","policyName":"p"}"#)));
    }

    /// From a later evasion review: the role denied everything or bounded, and
    /// the account-wide stream narrowed to leave the trail's group out.
    #[test]
    fn the_trails_log_role_denied_or_its_stream_narrowed_fires() {
        let attach = |arn: &str| call(IAM, "AttachRolePolicy", &format!(r#"{{"roleName":"CloudTrail_CloudWatchLogs_Role","policyArn":"{arn}"}}"#));
        assert!(fires(&CloudWatchMonitoringSilenced, &attach("arn:aws:iam::aws:policy/AWSDenyAll")));
        assert!(!fires(&CloudWatchMonitoringSilenced, &attach("arn:aws:iam::aws:policy/CloudWatchLogsFullAccess")));
        let bounded = r#"{"roleName":"CloudTrailRoleForCloudWatchLogs_main","permissionsBoundary":"arn:aws:iam::111122223333:policy/nothing"}"#;
        assert!(fires(&CloudWatchMonitoringSilenced, &call(IAM, "PutRolePermissionsBoundary", bounded)));
        let other = bounded.replace("CloudTrailRoleForCloudWatchLogs_main", "app-runtime");
        assert!(!fires(&CloudWatchMonitoringSilenced, &call(IAM, "PutRolePermissionsBoundary", &other)));
        let narrowed = |criteria: &str| {
            call(LOGS, "PutAccountPolicy", &format!(
                r#"{{"policyName":"to-siem","policyType":"SUBSCRIPTION_FILTER_POLICY","scope":"ALL","policyDocument":"{{\"DestinationArn\":\"arn:aws:firehose:us-east-1:111122223333:deliverystream/siem\"}}","selectionCriteria":"{criteria}"}}"#
            ))
        };
        assert!(fires(&CloudWatchMonitoringSilenced, &narrowed(r#"LogGroupName NOT IN [\"aws-cloudtrail-logs-111122223333-3f2a1b9c\"]"#)));
        assert!(!fires(&CloudWatchMonitoringSilenced, &narrowed(r#"LogGroupName NOT IN [\"/aws/lambda/noisy\"]"#)));
    }

    #[test]
    fn the_account_wide_subscription_filter_deleted_fires() {
        let delete = |kind: &str| {
            call(LOGS, "DeleteAccountPolicy", &format!(r#"{{"policyName":"to-siem","policyType":"{kind}"}}"#))
        };
        match eval(&CloudWatchMonitoringSilenced, &delete("SUBSCRIPTION_FILTER_POLICY")) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("policy_name").and_then(|v| v.as_str()), Some("to-siem")),
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(!fires(&CloudWatchMonitoringSilenced, &delete("DATA_PROTECTION_POLICY")));
        assert!(!fires(&CloudWatchMonitoringSilenced, &call(LOGS, "DeleteAccountPolicy", r#"{"policyName":"to-siem"}"#)));
        let refused = failed(&delete("SUBSCRIPTION_FILTER_POLICY"), "AccessDeniedException");
        assert!(!fires(&CloudWatchMonitoringSilenced, &refused));
    }

    #[test]
    fn a_trail_log_group_with_a_few_days_of_retention_fires() {
        for days in ["1", "3", r#""1""#] {
            assert!(fires(&CloudWatchMonitoringSilenced, &retention(GROUP, days)), "{days}");
        }
        assert!(fires(&CloudWatchMonitoringSilenced, &retention("CloudTrail/DefaultLogGroup", "1")));
        for days in ["5", "90", "null", r#""soon""#] {
            assert!(!fires(&CloudWatchMonitoringSilenced, &retention(GROUP, days)), "{days}");
        }
        assert!(!fires(&CloudWatchMonitoringSilenced, &retention("/aws/lambda/checkout", "1")));
    }

    #[test]
    fn a_trail_log_group_metric_filter_deleted_fires_with_its_name() {
        let delete = |group: &str| {
            call(LOGS, "DeleteMetricFilter", &format!(r#"{{"logGroupName":"{group}","filterName":"RootAccountUsage"}}"#))
        };
        match eval(&CloudWatchMonitoringSilenced, &delete("aws-controltower/CloudTrailLogs")) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("filter_name").and_then(|v| v.as_str()), Some("RootAccountUsage"));
                assert_eq!(e.get("log_group").and_then(|v| v.as_str()), Some("aws-controltower/CloudTrailLogs"));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(!fires(&CloudWatchMonitoringSilenced, &delete("/aws/lambda/checkout")));
        assert!(!fires(&CloudWatchMonitoringSilenced, &failed(&delete(GROUP), "ResourceNotFoundException")));
    }

    #[test]
    fn alarm_actions_switched_off_fire_for_any_alarm() {
        let disable = call(MONITORING, "DisableAlarmActions", r#"{"alarmNames":["cis-root-usage","cis-iam-changes"]}"#);
        match eval(&CloudWatchMonitoringSilenced, &disable) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("alarm_names"), Some(&serde_json::json!(["cis-root-usage", "cis-iam-changes"]))),
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(!fires(&CloudWatchMonitoringSilenced, &disable.replace("DisableAlarmActions", "EnableAlarmActions")));
        // trailwatch's own alarms: critical (from a review).
        let ours = disable.replace("cis-iam-changes", &format!("{}-heartbeat-check-not-running", crate::resources::prefix()));
        assert_eq!(testing::severity(&CloudWatchMonitoringSilenced, &ours), Severity::Critical);
        assert_eq!(testing::severity(&CloudWatchMonitoringSilenced, &disable), META.severity);
        for name in ["PutMetricAlarm", "PutCompositeAlarm"] {
            let put = |enabled: &str| {
                call(MONITORING, name, &format!(r#"{{"alarmName":"cis-root-usage","actionsEnabled":{enabled},"alarmActions":["arn:aws:sns:us-east-1:111122223333:security"]}}"#))
            };
            assert!(fires(&CloudWatchMonitoringSilenced, &put("false")), "{name}");
            assert!(!fires(&CloudWatchMonitoringSilenced, &put("true")), "{name}");
            let unset = call(MONITORING, name, r#"{"alarmName":"cis-root-usage"}"#);
            assert!(!fires(&CloudWatchMonitoringSilenced, &unset), "{name}");
            // Switched off with no action named: nothing to silence.
            for actions in ["", r#","alarmActions":[]"#, r#","oKActions":[""]"#] {
                let none = call(MONITORING, name, &format!(r#"{{"alarmName":"preview-errors","actionsEnabled":false{actions}}}"#));
                assert!(!fires(&CloudWatchMonitoringSilenced, &none), "{name} {actions}");
            }
            let ok_only = call(MONITORING, name, r#"{"alarmName":"cis-root-usage","actionsEnabled":false,"oKActions":["arn:aws:sns:us-east-1:111122223333:security"]}"#);
            assert!(fires(&CloudWatchMonitoringSilenced, &ok_only), "{name}");
        }
        assert!(!fires(&CloudWatchMonitoringSilenced, &failed(&disable, "AccessDenied")));
    }

    /// From an evasion review: alarms muted by a mute rule are silenced as
    /// surely as with their actions switched off; trailwatch's own, critically.
    #[test]
    fn alarms_muted_by_a_mute_rule_fire() {
        let mute = |alarms: &str| {
            call(MONITORING, "PutAlarmMuteRule", &format!(
                r#"{{"name":"weekly-window","rule":{{"schedule":{{"expression":"cron(0 0 * * ? *)","duration":"PT23H59M"}}}},"muteTargets":{{"alarmNames":[{alarms}]}}}}"#
            ))
        };
        let theirs = mute(r#""cis-root-usage""#);
        match eval(&CloudWatchMonitoringSilenced, &theirs) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("alarm_names"), Some(&serde_json::json!(["cis-root-usage"])));
                assert_eq!(e.get("mute_rule"), Some(&serde_json::json!("weekly-window")));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        assert_eq!(testing::severity(&CloudWatchMonitoringSilenced, &theirs), META.severity);
        let ours = mute(&format!(r#""cis-root-usage","{}-tampering-reported""#, crate::resources::prefix()));
        assert_eq!(testing::severity(&CloudWatchMonitoringSilenced, &ours), Severity::Critical);
        assert!(!fires(&CloudWatchMonitoringSilenced, &failed(&ours, "AccessDenied")));
        // No targets: every alarm, trailwatch's among them (from a review).
        for every in [
            theirs.replace(r#","muteTargets":{"alarmNames":["cis-root-usage"]}"#, ""),
            theirs.replace(r#""cis-root-usage""#, ""),
        ] {
            assert!(every.contains("PutAlarmMuteRule") && !every.contains("cis-root-usage"));
            let e = fired_evidence(&CloudWatchMonitoringSilenced, &every);
            assert_eq!(e.get("every_alarm"), Some(&serde_json::json!(true)));
            assert_eq!(testing::severity(&CloudWatchMonitoringSilenced, &every), Severity::Critical);
            // Away from the central account and Region (known live), trailwatch's
            // health alarms are not among them: high, so that the health alarm
            // counting critical findings stays for its own (from a review).
            let rec = Record::from_json(&every).unwrap();
            let (region, account) = (rec.region().unwrap(), rec.account_id().unwrap());
            assert!(in_home(&rec, None) && in_home(&rec, Some((region, account))));
            assert!(!in_home(&rec, Some((region, "999988887777"))));
            assert!(!in_home(&rec, Some(("ap-south-2", account))));
        }
        assert!(!fires(&CloudWatchMonitoringSilenced, &ours.replace("PutAlarmMuteRule", "DeleteAlarmMuteRule")));
    }

    #[test]
    fn aws_services_are_left_out_stacks_are_not() {
        let invoked_by = |service: &str| {
            let rec = retention(GROUP, "1").replace(
                r#""userIdentity":{"type":"IAMUser""#,
                &format!(r#""userIdentity":{{"invokedBy":"{service}","type":"AssumedRole""#),
            );
            assert_ne!(rec, retention(GROUP, "1"));
            rec
        };
        assert!(!fires(&CloudWatchMonitoringSilenced, &invoked_by("controltower.amazonaws.com")));
        assert!(fires(&CloudWatchMonitoringSilenced, &invoked_by("cloudformation.amazonaws.com")));
    }

    /// From a review: the trail's stream to a SIEM deleted.
    #[test]
    fn a_trail_groups_subscription_filter_deleted_counts() {
        let json = crate::detections::common::calls::call(
            LOGS,
            "DeleteSubscriptionFilter",
            r#"{"logGroupName":"aws-cloudtrail-logs-111122223333-0a1b2c3d","filterName":"to-siem"}"#,
        );
        match crate::detections::common::testing::eval(&CloudWatchMonitoringSilenced, &json) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("filter_name").and_then(|v| v.as_str()), Some("to-siem")),
            other => panic!("expected a finding, got {other:?}"),
        }
        let app = json.replace("aws-cloudtrail-logs-111122223333-0a1b2c3d", "/aws/lambda/orders");
        assert!(!crate::detections::common::testing::fires(&CloudWatchMonitoringSilenced, &app));
    }
}
