//! Someone changes or removes trailwatch's own resources: the EventBridge rules,
//! targets, buses and bus policies that bring it events, the canary schedule, the
//! functions (code, configuration, concurrency, permissions, URLs), the findings
//! topic (attributes, policy, subscriptions: a new subscription leaks every
//! finding), the state table and its TTL, the dead-letter queue and its policy,
//! the log groups (subscriptions, keys), the stacks and StackSets (deleted, or
//! updated: medium unless the forwarders are sent to another bus), the roles and
//! policies of the functions and forwarders, the backtest's state machine
//! (definition updated, deleted), and the tuning bucket (its policy, versioning,
//! lifecycle, ACL, public access block, ownership, replication, deletion) and file
//! (object writes, a data event: seen when the trail logs them). Centrally or in a
//! member account, successful or not (a denied attempt is as telling).
//!
//! Decisions:
//! - A resource is trailwatch's when its name starts with the resource prefix
//!   (`crate::resources`; the templates set it to the stack name, and
//!   CloudFormation's generated names start with the stack name too).
//! - Lambda event names carry an API-version suffix (`UpdateFunctionCode20150331v2`,
//!   `PutFunctionConcurrency20171031`): they are compared without it, so a new
//!   version suffix is still caught. The rule matches them by prefix.
//! - A change CloudFormation makes on someone's behalf (`invokedBy`
//!   `cloudformation.amazonaws.com`, a stack update) is medium, not critical: it is
//!   usually a deployment, but still worth a look.
//! - IAM names are compared without regard to case (IAM treats `MyRole` and `myrole`
//!   as one role); other services' names are case-sensitive and compared as they are.
//! - A new version of the tuning file (or its deletion) is medium: editing it is
//!   the team's routine, and also the way to silence a detection, so every
//!   version is reported for review; the bucket keeps them all.
//! - An SNS request CloudTrail logs without its parameters, as too large (over
//!   about 100 KB: a subscription filter policy padded to mute the findings
//!   topic's e-mail), is judged by the subscription its response names, else
//!   reported at high with an unknown resource (from a third evasion review). So
//!   is an EventBridge change logged so (ninth session, an evasion review: a
//!   `PutTargets` padded past the limit retargets a forwarding rule unnamed).
//! - Log shipping and retention enforcement touch every log group (from a review
//!   of false positives, sixth session): a subscription filter sending the
//!   functions' logs to a destination in the same account (a Datadog or Splunk
//!   forwarder) and a retention of 30 days or more (the templates' default), or
//!   of the stack's own shorter `LogRetentionDays`, are medium; a destination in
//!   another account, or a shorter retention that hastens the evidence's end,
//!   stays critical.
//! - Creating a resource with trailwatch's prefix is not tampering (deployments
//!   do it). Enabling one of its rules again (`EnableRule`) is high: nothing
//!   routine disables them (a deployment puts them enabled), and a rule cannot
//!   carry the record of its own disabling, so a re-enable is often the only
//!   trace of a blind spot too short for `pipeline-silent` (an evasion review,
//!   fifteenth session: sixteen rules off for ten minutes, then on again, left
//!   nothing).
//! - An organisation's policy created or updated naming trailwatch's resources
//!   (`<prefix>-` in its text: an SCP or RCP can deny the forwarders' role every
//!   rule but the canary's) is medium, since the example SCP that protects them
//!   names them too (an evasion review, ninth session).
//! - The tuning file cannot silence the report of its own change: findings
//!   about the tuning bucket and file ignore the tuning (mode, severity,
//!   suppressions, dedup; `Detection::beyond_tuning`). Its other findings (a
//!   deployment role's stack updates) can be tuned like any others.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::request_omitted_as_too_large;
use crate::event::Record;
use crate::event::prefilter::{Needle, Peek};
use crate::resources;

pub struct TrailwatchTampering;

const EVENTS: &[&str] = &[
    "DeleteRule",
    "DisableRule",
    "EnableRule",
    "PutRule",
    "PutTargets",
    "RemoveTargets",
    "DeleteEventBus",
    "UpdateEventBus",
    "PutPermission",
    "RemovePermission",
];
const SCHEDULER: &[&str] = &["UpdateSchedule", "DeleteSchedule", "DeleteScheduleGroup"];
/// Lambda operations, without their API-version suffix.
const LAMBDA: &[&str] = &[
    "DeleteFunction",
    "UpdateFunctionCode",
    "UpdateFunctionConfiguration",
    "PutFunctionConcurrency",
    "DeleteFunctionConcurrency",
    "AddPermission",
    "RemovePermission",
    "PutFunctionEventInvokeConfig",
    "UpdateFunctionEventInvokeConfig",
    "DeleteFunctionEventInvokeConfig",
    "CreateFunctionUrlConfig",
    "UpdateFunctionUrlConfig",
    "DeleteFunctionUrlConfig",
    "UpdateAlias",
    "DeleteAlias",
    // A signing configuration makes every later deployment of unsigned code
    // fail, or its removal lets unsigned code in.
    "PutFunctionCodeSigningConfig",
    "DeleteFunctionCodeSigningConfig",
];
const SNS: &[&str] = &[
    "DeleteTopic",
    "SetTopicAttributes",
    "Subscribe",
    "Unsubscribe",
    "SetSubscriptionAttributes",
    "AddPermission",
    "RemovePermission",
    "PutDataProtectionPolicy",
];
const DYNAMODB: &[&str] = &[
    "DeleteTable",
    "UpdateTable",
    "UpdateTimeToLive",
    "PutResourcePolicy",
    "DeleteResourcePolicy",
];
const IAM: &[&str] = &[
    "DeleteRole",
    "UpdateRole",
    "UpdateAssumeRolePolicy",
    "AttachRolePolicy",
    "DetachRolePolicy",
    "PutRolePolicy",
    "DeleteRolePolicy",
    "PutRolePermissionsBoundary",
    "DeleteRolePermissionsBoundary",
    "CreatePolicyVersion",
    "SetDefaultPolicyVersion",
    "DeletePolicy",
];
/// The queue's policy too: `AddPermission` can let another account read the
/// failed events, `RemovePermission` stop EventBridge from delivering them
/// (from a review).
const SQS: &[&str] = &[
    "DeleteQueue",
    "PurgeQueue",
    "SetQueueAttributes",
    "AddPermission",
    "RemovePermission",
];
/// trailwatch's own health alarms: rewritten (`PutMetricAlarm` with no actions, a
/// threshold never crossed, missing data not breaching) or deleted. No earlier
/// state is needed to judge it: any change to them outside a deployment is
/// tampering (from a review). Their actions switched off are
/// `cloudwatch-monitoring-silenced`'s, and `SetAlarmState` lasts one evaluation:
/// the central rule's pattern has no room for them (2,048 characters).
const CLOUDWATCH: &[&str] = &["DeleteAlarms", "PutMetricAlarm"];
/// A subscription filter copies the functions' logs elsewhere, and a customer
/// key associated and then disabled stops them being written, the heartbeat's
/// metric with them (from a review).
const LOGS: &[&str] = &[
    "DeleteLogGroup",
    "PutRetentionPolicy",
    "DeleteSubscriptionFilter",
    "PutSubscriptionFilter",
    "AssociateKmsKey",
];
const SSM: &[&str] = &["DeleteParameter", "DeleteParameters"];
const CLOUDFORMATION: &[&str] = &[
    "DeleteStack",
    "DeleteStackSet",
    "DeleteStackInstances",
    // From a review: an update can replace the template or re-target the
    // forwarders (`CentralEventBusArn`) in every member account at once, from
    // the management account, where no SCP applies. Medium (a deployment),
    // critical when it points the forwarders at a bus that is not ours.
    "UpdateStack",
    "UpdateStackSet",
    "UpdateStackInstances",
    "ExecuteChangeSet",
    "SetStackPolicy",
    "UpdateTerminationProtection",
    // Reported only when they send the forwarders to another bus: the change
    // set's parameters are given when it is made (its execution has none), and
    // new stack instances are how an organisation's accounts join.
    "CreateChangeSet",
    "CreateStackInstances",
];
/// The CloudFormation calls above reported only with a foreign bus.
const ONLY_WHEN_RETARGETED: &[&str] = &["CreateChangeSet", "CreateStackInstances"];
/// The forwarder template's parameter naming the bus it sends to
/// (deploy/forwarder.yaml, deploy/organization.yaml).
const BUS_PARAMETER: &str = "CentralEventBusArn";
/// The backtest's state machine (deploy/backtest.yaml, `<stack>-backtest`): a
/// backtest of the archive is the defence when the live functions were blinded
/// (docs/self-protection.md), and a definition that selects nothing would
/// report a clean archive (from a review).
const STATES: &[&str] = &["UpdateStateMachine", "DeleteStateMachine"];
/// An organisation's policies (service or resource control policies, and any
/// other type) written naming trailwatch's resources: one can deny the
/// forwarders' role some rules while the canary's keeps flowing (an evasion
/// review, ninth session). The example SCP of docs/organization.md names them
/// too, to protect them: medium, the policy's name in the finding.
const ORGANIZATIONS: &[&str] = &["CreatePolicy", "UpdatePolicy"];
/// The tuning bucket's configuration (management events).
const S3_BUCKET: &[&str] = &[
    "DeleteBucket",
    "DeleteBucketPolicy",
    "PutBucketAcl",
    "PutBucketLifecycle",
    "PutBucketPolicy",
    "PutBucketVersioning",
    // From a review: the ways to open the file to others or copy it out.
    "PutBucketPublicAccessBlock",
    "DeleteBucketPublicAccessBlock",
    "PutBucketOwnershipControls",
    "PutBucketReplication",
];
/// The tuning file itself (data events: seen when the trail logs the tuning
/// bucket's object writes, docs/self-protection.md).
const S3_OBJECT: &[&str] = &[
    "CompleteMultipartUpload",
    "CopyObject",
    "DeleteObject",
    "DeleteObjects",
    // A browser form upload (a presigned POST policy).
    "PostObject",
    "PutObject",
    "PutObjectAcl",
];
/// What CloudFormation puts in the tuning bucket's generated name
/// (`<stack>-tuningbucket-<suffix>`, lowercase): other buckets that start with
/// the prefix (a backtest's results bucket) are not the tuning bucket.
const TUNING_BUCKET_MARK: &str = "-tuningbucket-";
/// The S3 triggers' filter: only the tuning bucket's events travel, so that the
/// object writes of every other bucket (where a trail logs data events) do not
/// invoke the function.
const TUNING_BUCKET_PATTERN: &str = r#"{"requestParameters": {"bucketName": [{"wildcard": "*-tuningbucket-*"}]}}"#;

/// The EventBridge pattern for Lambda: every versioned name of the operations.
/// `DeleteFunction`, `UpdateFunction` and `PutFunction` each take several of them
/// (`DeleteFunctionConcurrency`, `UpdateFunctionUrlConfig`, ...) in fewer
/// characters of a pattern EventBridge caps at 2,048; the few other calls they
/// let in (`PutFunctionRecursionConfig`) are dropped by [`watched`].
const LAMBDA_PATTERN: &str = r#"{"eventName": [{"prefix": "DeleteFunction"}, {"prefix": "UpdateFunction"}, {"prefix": "PutFunction"}, {"prefix": "AddPermission"}, {"prefix": "RemovePermission"}, {"prefix": "CreateFunctionUrlConfig"}, {"prefix": "UpdateAlias"}, {"prefix": "DeleteAlias"}]}"#;

pub static META: Meta = Meta {
    id: "trailwatch-tampering",
    title: "trailwatch tampering",
    description: "A call changed or removed one of trailwatch's own resources (a rule, target, \
                  bus or bus policy, the canary schedule, a function, the findings topic or its \
                  subscriptions, the state table, a role or policy, the backtest's state \
                  machine, the tuning bucket or file), or tried to, or enabled one of its \
                  rules again after it was switched off. Disabling the \
                  watcher is how an attacker makes every later step invisible.",
    severity: Severity::Critical,
    attack: &["T1562.001", "T1562.008"],
    origins: &["trailwatch: self-protection (docs/self-protection.md), after peers' practice of alerting on changes to the detection pipeline itself"],
    group: "self-protection",
    false_positives: &[
        "A deployment of trailwatch itself (medium when CloudFormation made the call; deny \
         direct changes except to the deployment role with the SCP in docs/organization.md).",
    ],
    next_steps: "Confirm the change with whoever owns trailwatch's deployment. If nobody made it, \
                 restore the resource (redeploy the stack), review the caller's other actions, \
                 and check pipeline-silent findings for the accounts and Regions it affects. \
                 For the tuning file, compare the new version with the one before: the \
                 bucket keeps every version. A rule enabled again was off before, and what \
                 happened meanwhile reached no function: find when it was disabled (CloudTrail \
                 of that account and Region) and backtest that span.",
    evidence: "forwarders_sent_to invoked_by key resource resource_prefix",
    triggers: &[
        Trigger::write("events.amazonaws.com", EVENTS),
        Trigger::write("scheduler.amazonaws.com", SCHEDULER),
        Trigger::write("lambda.amazonaws.com", &[]).with_detail(LAMBDA_PATTERN),
        Trigger::write("sns.amazonaws.com", SNS),
        Trigger::write("dynamodb.amazonaws.com", DYNAMODB),
        Trigger::write("iam.amazonaws.com", IAM),
        Trigger::write("sqs.amazonaws.com", SQS),
        Trigger::write("monitoring.amazonaws.com", CLOUDWATCH),
        Trigger::write("logs.amazonaws.com", LOGS),
        Trigger::write("ssm.amazonaws.com", SSM),
        Trigger::write("cloudformation.amazonaws.com", CLOUDFORMATION),
        Trigger::write("states.amazonaws.com", STATES),
        Trigger::write("organizations.amazonaws.com", ORGANIZATIONS),
        Trigger::write("s3.amazonaws.com", S3_BUCKET).with_detail(TUNING_BUCKET_PATTERN),
        Trigger::data("s3.amazonaws.com", S3_OBJECT).with_detail(TUNING_BUCKET_PATTERN),
    ],
    window: None,
};

/// A Lambda event name without its API-version suffix (`UpdateFunctionCode20150331v2`
/// -> `UpdateFunctionCode`).
pub fn lambda_operation(event_name: &str) -> &str {
    let end = event_name
        .find(|c: char| c.is_ascii_digit())
        .unwrap_or(event_name.len());
    &event_name[..end]
}

/// Whether this (source, event) is one of the watched changes.
fn watched(source: &str, name: &str) -> bool {
    let list = match source {
        "events.amazonaws.com" => EVENTS,
        "scheduler.amazonaws.com" => SCHEDULER,
        "lambda.amazonaws.com" => return LAMBDA.contains(&lambda_operation(name)),
        "sns.amazonaws.com" => SNS,
        "dynamodb.amazonaws.com" => DYNAMODB,
        "iam.amazonaws.com" => IAM,
        "sqs.amazonaws.com" => SQS,
        "monitoring.amazonaws.com" => CLOUDWATCH,
        "logs.amazonaws.com" => LOGS,
        "ssm.amazonaws.com" => SSM,
        "cloudformation.amazonaws.com" => CLOUDFORMATION,
        "states.amazonaws.com" => STATES,
        "organizations.amazonaws.com" => ORGANIZATIONS,
        "s3.amazonaws.com" => return S3_BUCKET.contains(&name) || S3_OBJECT.contains(&name),
        _ => return false,
    };
    list.contains(&name)
}

/// The request parameters that name the resource a call changes, per service.
fn resource_fields(source: &str, name: &str) -> &'static [&'static str] {
    match source {
        "events.amazonaws.com" => match name {
            // A rule of anyone's given trailwatch's bus as a target can carry
            // forged canaries' real twins, or anything, to it (from a review).
            "PutTargets" => &["rule", "targets"],
            "RemoveTargets" => &["rule"],
            "PutPermission" | "RemovePermission" => &["eventBusName"],
            _ => &["name", "eventBusName"],
        },
        "scheduler.amazonaws.com" => &["name", "groupName"],
        "lambda.amazonaws.com" => &["functionName"],
        "sns.amazonaws.com" => &["topicArn", "subscriptionArn", "resourceArn"],
        "dynamodb.amazonaws.com" => &["tableName", "resourceArn"],
        "iam.amazonaws.com" => &["roleName", "policyArn"],
        "sqs.amazonaws.com" => &["queueUrl"],
        "monitoring.amazonaws.com" => &["alarmName", "alarmNames"],
        // `AssociateKmsKey` takes the group by ARN as `resourceIdentifier` instead of
        // its name (from a review).
        "logs.amazonaws.com" => &["logGroupName", "resourceIdentifier"],
        "ssm.amazonaws.com" => &["name", "names"],
        "cloudformation.amazonaws.com" => &["stackName", "stackSetName"],
        "states.amazonaws.com" => &["stateMachineArn"],
        "s3.amazonaws.com" => &["bucketName"],
        _ => &[],
    }
}

/// The name to compare with the prefix: SNS subscription ARNs end with
/// `:<topic>:<uuid>`, log groups of functions are `/aws/lambda/<function>`. A stack
/// may be named by its stack id (`arn:...:stack/<name>/<uuid>`, as `DeleteStack`
/// accepts), a stack set by its ARN (`arn:...:stackset/<name>:<uuid>`), and the
/// stacks a service-managed stack set makes in member accounts are named
/// `StackSet-<stack set name>-<uuid>`.
fn owned_name(field: &str, value: &str) -> String {
    let value = value.trim();
    match field {
        "stackName" | "stackSetName" => {
            let name = match value
                .split_once(":stack/")
                .or_else(|| value.split_once(":stackset/"))
            {
                Some((_, rest)) => rest.split(['/', ':']).next().unwrap_or(rest),
                None => value,
            };
            name.strip_prefix("StackSet-").unwrap_or(name).to_owned()
        }
        // `arn:...:stateMachine:<name>`, perhaps with a version or alias after it.
        "stateMachineArn" => value
            .split_once(":stateMachine:")
            .map_or(value, |(_, rest)| rest.split(':').next().unwrap_or(rest))
            .to_owned(),
        "subscriptionArn" => value
            .rsplit(':')
            .nth(1)
            .unwrap_or(value)
            .to_owned(),
        "logGroupName" | "resourceIdentifier" => {
            // `arn:...:log-group:<name>`, perhaps with `:*` after it.
            let group = value
                .split_once(":log-group:")
                .map_or(value, |(_, rest)| rest.strip_suffix(":*").unwrap_or(rest));
            group
                .strip_prefix("/aws/lambda/")
                .or_else(|| group.strip_prefix("/aws/vendedlogs/"))
                .unwrap_or(group)
                .trim_start_matches('/')
                .to_owned()
        }
        _ => resources::resource_name(value).trim_start_matches('/').to_owned(),
    }
}

/// The first of trailwatch's resources (by `prefix`) that the record changes.
pub fn tampered_resource(rec: &Record<'_>, prefix: &str) -> Option<String> {
    let (source, name) = (rec.event_source(), rec.event_name());
    if !watched(source, name) {
        return None;
    }
    if source == "organizations.amazonaws.com" {
        return organization_policy_naming_ours(rec, prefix);
    }
    for field in resource_fields(source, name) {
        let values: Vec<&str> = match rec.request_param(field) {
            Some(serde_json::Value::String(s)) => vec![s.as_str()],
            // Targets are objects: an event bus among them counts by its ARN.
            Some(serde_json::Value::Array(items)) if *field == "targets" => items
                .iter()
                .filter_map(|t| t.get("arn").or_else(|| t.get("Arn"))?.as_str())
                .filter(|arn| arn.contains(":event-bus/"))
                .collect(),
            Some(serde_json::Value::Array(items)) => {
                items.iter().filter_map(serde_json::Value::as_str).collect()
            }
            _ => Vec::new(),
        };
        if let Some(v) = values.into_iter().find(|v| is_ours(source, field, v, prefix)) {
            return Some(v.to_owned());
        }
    }
    // A request past CloudTrail's size limit is logged without its parameters
    // (from a third evasion review: a filter policy padded past 100 KB muted the
    // findings topic's e-mail unseen). SNS requests that large are not routine: the
    // response's subscription names the topic when there is one, else the change
    // is reported as one to an unknown resource.
    if matches!(source, "sns.amazonaws.com" | "events.amazonaws.com") && request_omitted_as_too_large(rec) {
        return match rec.response_element_str("subscriptionArn") {
            Some(arn) if arn.starts_with("arn:") => {
                is_ours(source, "subscriptionArn", arn, prefix).then(|| arn.to_owned())
            }
            _ => Some(UNKNOWN_RESOURCE.to_owned()),
        };
    }
    None
}

/// An organisation's policy whose text names a resource of trailwatch's
/// (`<prefix>-`, in any letter case: IAM's names ignore it): `organization
/// policy <name or id>`.
fn organization_policy_naming_ours(rec: &Record<'_>, prefix: &str) -> Option<String> {
    let content = rec.request_param_str("content")?.to_ascii_lowercase();
    let named = format!("{}-", prefix.to_ascii_lowercase());
    if prefix.is_empty() || !content.contains(&named) {
        return None;
    }
    let policy = rec
        .request_param_str("name")
        .or_else(|| rec.request_param_str("policyId"))
        .map_or_else(|| "(unnamed)".to_owned(), |p| crate::sanitize::one_line(p, 128));
    Some(format!("organization policy {policy}"))
}

/// The resource of an SNS or EventBridge change whose request CloudTrail left
/// out as too large.
const UNKNOWN_RESOURCE: &str = "unknown (request too large to log)";

/// Whether `value`, read from the request's `field`, names one of the
/// deployment's resources (those named with `prefix`).
fn is_ours(source: &str, field: &str, value: &str, prefix: &str) -> bool {
    let name = owned_name(field, value);
    // IAM names are unique without regard to case: `TrailWatch-Role` names the
    // same role as `trailwatch-role`. Bucket names are lowercase, so the
    // tuning bucket CloudFormation names after a stack `TrailWatch` is
    // `trailwatch-tuningbucket-...`.
    let prefixed_any_case = || {
        name.get(..prefix.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
    };
    match source {
        "iam.amazonaws.com" => prefixed_any_case(),
        "s3.amazonaws.com" => prefixed_any_case() && name[prefix.len()..].starts_with(TUNING_BUCKET_MARK),
        _ => name.starts_with(prefix),
    }
}

/// The bus a stack update points the forwarders at (`CentralEventBusArn` in
/// `parameters` or `parameterOverrides`), when it is not trailwatch's. A
/// parameter that keeps its previous value names none.
fn retargeted_bus<'r>(rec: &'r Record<'_>, prefix: &str) -> Option<&'r str> {
    ["parameters", "parameterOverrides"]
        .iter()
        .filter_map(|field| rec.request_param(field)?.as_array())
        .flatten()
        .filter(|p| p.get("parameterKey").and_then(|k| k.as_str()) == Some(BUS_PARAMETER))
        .filter_map(|p| p.get("parameterValue")?.as_str())
        .find(|arn| !bus_is_ours(arn, prefix, resources::home()))
}

/// Whether a bus ARN is trailwatch's: named the prefix itself (the central
/// stack names its bus after the stack, whose name is the prefix: another stack
/// whose name only begins with it, `trailwatch-staging`, is not this
/// deployment) and, when the central Region and account are known (`home`, the
/// live functions), there: a bus of the same name in an intruder's account is
/// not (from two reviews). Without them (replay, the backtest) the name decides.
fn bus_is_ours(arn: &str, prefix: &str, home: Option<(&str, &str)>) -> bool {
    let arn = arn.trim();
    let Some((_, name)) = arn.rsplit_once(":event-bus/") else {
        // Not a bus ARN: a name alone, which the forwarders cannot send to.
        return home.is_none() && arn == prefix;
    };
    name == prefix && home.is_none_or(|home| resources::region_and_account(arn) == Some(home))
}

impl Detection for TrailwatchTampering {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        let resource = tampered_resource(rec, resources::prefix())?;
        let retargeted = retargeted_bus(rec, resources::prefix());
        if ONLY_WHEN_RETARGETED.contains(&rec.event_name()) && retargeted.is_none() {
            return None;
        }
        fire(
            Evidence::new()
                .with("resource", resource)
                .with("resource_prefix", resources::prefix())
                .with_opt("forwarders_sent_to", retargeted)
                .with_opt("key", rec.request_param_str("key"))
                .with_opt("invoked_by", rec.invoked_by()),
        )
    }

    fn may_match_raw(&self, peek: &Peek<'_>, json: &[u8]) -> bool {
        // Most object writes are other buckets': the tuning bucket's name is in
        // the bytes of every record about it.
        static TUNING_BUCKET: Needle = Needle::new(TUNING_BUCKET_MARK);
        watched(peek.event_source, peek.event_name)
            && (peek.event_source != "s3.amazonaws.com" || TUNING_BUCKET.is_in(json))
    }

    /// A change to the tuning bucket or file: a new tuning file could otherwise
    /// turn this very detection off (or shadow, lower, suppress or hold back
    /// its finding) before the record of its own upload arrives, and hide
    /// itself. The same test as the finding's, so that no other S3 trigger
    /// added later is exempt by accident.
    fn beyond_tuning(&self, rec: &Record<'_>) -> bool {
        rec.event_source() == "s3.amazonaws.com" && tampered_resource(rec, resources::prefix()).is_some()
    }

    fn severity_for(&self, rec: &Record<'_>) -> Severity {
        // A new version of the tuning file is the team's routine, and the one way
        // to silence a detection on purpose: worth a look, not a page.
        let tuning_file = rec.event_source() == "s3.amazonaws.com" && S3_OBJECT.contains(&rec.event_name());
        // A stack update is usually a deployment, unless it sends the
        // forwarders to another bus: that is critical however it is made (a
        // parent stack's update included).
        let cloudformation = rec.event_source() == "cloudformation.amazonaws.com";
        if cloudformation && retargeted_bus(rec, resources::prefix()).is_some() {
            return Severity::Critical;
        }
        // Which resource an oversized SNS or EventBridge request changed is not known: likely
        // not ours, but worth a look the same day.
        if tampered_resource(rec, resources::prefix()).as_deref() == Some(UNKNOWN_RESOURCE) {
            return Severity::High;
        }
        // Switched back on: the change to look into is the disabling before it
        // (through a stack, medium as every stack's change is: from a review).
        if rec.event_source() == "events.amazonaws.com"
            && rec.event_name() == "EnableRule"
            && rec.invoked_by() != Some("cloudformation.amazonaws.com")
        {
            return Severity::High;
        }
        let stack_update = cloudformation && !rec.event_name().starts_with("Delete");
        // The example SCP that protects trailwatch names its resources too.
        let organization_policy = rec.event_source() == "organizations.amazonaws.com";
        if organization_policy
            || rec.invoked_by() == Some("cloudformation.amazonaws.com")
            || tuning_file
            || stack_update
            || routine_log_shipping(rec)
            || bucket_hardening_restated(rec)
        {
            Severity::Medium
        } else {
            META.severity
        }
    }
}

/// One of the settings an organisation's S3 baseline puts on every bucket, the
/// tuning bucket's included, written in the shape that weakens nothing: Block
/// Public Access with its four flags on, ACLs switched off
/// (`BucketOwnerEnforced`), versioning enabled (with no MFA-delete element),
/// or lifecycle rules that only abort unfinished multipart uploads (no
/// expiration, no transition). Medium, refused or not (from a review: each run
/// of a baseline paged critical, and the organisation's guardrail refusing it
/// paged again). Any other value of these settings stays critical.
fn bucket_hardening_restated(rec: &Record<'_>) -> bool {
    use serde_json::Value;
    if rec.event_source() != "s3.amazonaws.com" {
        return false;
    }
    let is_true = |v: Option<&Value>| match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    };
    let rules = |v: Option<&Value>| -> Vec<Value> {
        match v {
            Some(Value::Array(items)) => items.clone(),
            Some(one @ Value::Object(_)) => vec![one.clone()],
            _ => Vec::new(),
        }
    };
    match rec.event_name() {
        "PutBucketPublicAccessBlock" => rec
            .request_param("PublicAccessBlockConfiguration")
            .is_some_and(|c| {
                ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"]
                    .iter()
                    .all(|flag| is_true(c.get(flag)))
            }),
        "PutBucketOwnershipControls" => {
            let controls = rec.request_param("OwnershipControls");
            let rules = rules(controls.and_then(|c| c.get("Rule")));
            !rules.is_empty()
                && rules.iter().all(|r| {
                    r.get("ObjectOwnership").and_then(Value::as_str) == Some("BucketOwnerEnforced")
                })
        }
        "PutBucketVersioning" => rec
            .request_param("VersioningConfiguration")
            .is_some_and(|c| {
                c.get("Status").and_then(Value::as_str) == Some("Enabled") && c.get("MfaDelete").is_none()
            }),
        "PutBucketLifecycle" | "PutBucketLifecycleConfiguration" => {
            let config = rec.request_param("LifecycleConfiguration");
            let rules = rules(config.and_then(|c| c.get("Rule")));
            const REMOVES: &[&str] = &[
                "Expiration",
                "NoncurrentVersionExpiration",
                "Transition",
                "NoncurrentVersionTransition",
            ];
            !rules.is_empty()
                && rules.iter().all(|r| {
                    r.get("AbortIncompleteMultipartUpload").is_some()
                        && r.as_object().is_some_and(|o| o.keys().all(|k| !REMOVES.contains(&k.as_str())))
                })
        }
        _ => false,
    }
}

/// The shortest retention of the functions' logs that is not cutting it: the
/// templates' default (`LogRetentionDays`), or the deployment's own when shorter
/// (`resources::log_retention_days`: a stack deployed with 14 days whose
/// enforcer sets 14 paged critical for every group; from a review).
const ROUTINE_RETENTION_DAYS: u64 = 30;

fn routine_retention_days() -> u64 {
    crate::resources::log_retention_days().map_or(ROUTINE_RETENTION_DAYS, |days| days.min(ROUTINE_RETENTION_DAYS))
}

/// A subscription filter to a destination in the record's own account, or a
/// retention of [`routine_retention_days`] or more: what log shippers and
/// retention enforcers do to every log group.
fn routine_log_shipping(rec: &Record<'_>) -> bool {
    use crate::detections::common::{arn_account, foreign_arn_account, whole_number};
    if rec.event_source() != "logs.amazonaws.com" {
        return false;
    }
    match rec.event_name() {
        "PutSubscriptionFilter" => rec
            .request_param_str("destinationArn")
            .map(str::trim)
            .is_some_and(|d| arn_account(d).is_some() && foreign_arn_account(rec, d).is_none()),
        "PutRetentionPolicy" => whole_number(rec.request_param("retentionInDays"))
            .is_some_and(|days| days >= routine_retention_days()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing;

    fn rec(source: &str, name: &str, params: &str) -> String {
        format!(
            r#"{{"eventSource":"{source}","eventName":"{name}","awsRegion":"eu-west-1",
            "eventTime":"2026-05-01T10:00:00Z","recipientAccountId":"111122223333",
            "userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/mallory"}},
            "requestParameters":{params}}}"#
        )
    }

    fn tampered(json: &str, prefix: &str) -> Option<String> {
        tampered_resource(&Record::from_json(json).unwrap(), prefix)
    }

    /// An organisation's policy naming trailwatch's resources, in any case, is
    /// medium; one that does not is none of trailwatch's.
    #[test]
    fn an_organization_policy_naming_our_resources_is_medium() {
        let rcp = r#"{"name":"deny-forwarders","type":"RESOURCE_CONTROL_POLICY","content":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"sts:AssumeRole\",\"Resource\":\"arn:aws:iam::*:role/TW-Prod-forwarder-*\",\"Condition\":{\"StringNotLike\":{\"aws:SourceArn\":\"*forward-write-14\"}}}]}"}"#;
        let json = rec("organizations.amazonaws.com", "CreatePolicy", rcp);
        assert_eq!(tampered(&json, "tw-prod").as_deref(), Some("organization policy deny-forwarders"));
        assert_eq!(testing::severity(&TrailwatchTampering, &json), Severity::Medium);
        let update = rec("organizations.amazonaws.com", "UpdatePolicy", &rcp.replace(r#""name":"deny-forwarders","type":"RESOURCE_CONTROL_POLICY""#, r#""policyId":"p-abcd1234""#));
        assert_eq!(tampered(&update, "tw-prod").as_deref(), Some("organization policy p-abcd1234"));
        let other = rec("organizations.amazonaws.com", "CreatePolicy", &rcp.replace("TW-Prod-forwarder", "payments-app"));
        assert_eq!(tampered(&other, "tw-prod"), None);
        assert_eq!(tampered(&rec("organizations.amazonaws.com", "AttachPolicy", r#"{"policyId":"p-abcd1234","targetId":"r-ab12"}"#), "tw-prod"), None);
    }

    /// An EventBridge or SNS change logged without its parameters names no
    /// resource: reported at high, as an unknown one; other services' are not.
    #[test]
    fn an_oversized_eventbridge_or_sns_change_is_high_and_unnamed() {
        let stub = r#"{"reason":"requestParameters too large","omitted":true,"originalSize":302144}"#;
        for (source, name) in [("events.amazonaws.com", "PutTargets"), ("sns.amazonaws.com", "SetSubscriptionAttributes")] {
            let json = rec(source, name, stub);
            assert_eq!(tampered(&json, "tw-prod").as_deref(), Some(UNKNOWN_RESOURCE), "{name}");
            assert_eq!(testing::severity(&TrailwatchTampering, &json), Severity::High, "{name}");
        }
        assert_eq!(tampered(&rec("lambda.amazonaws.com", "UpdateFunctionCode20150331v2", stub), "tw-prod"), None);
    }

    #[test]
    fn each_service_is_recognised_by_the_prefix() {
        let cases = [
            ("events.amazonaws.com", "DisableRule", r#"{"name":"tw-prod-logging-tamper"}"#),
            ("events.amazonaws.com", "RemoveTargets", r#"{"rule":"tw-prod-fwd-write","ids":["1"]}"#),
            ("events.amazonaws.com", "PutPermission", r#"{"eventBusName":"tw-prod-bus","action":"events:PutEvents"}"#),
            ("scheduler.amazonaws.com", "DeleteSchedule", r#"{"name":"tw-prod-canary","groupName":"default"}"#),
            ("lambda.amazonaws.com", "UpdateFunctionCode20150331v2", r#"{"functionName":"tw-prod-LoggingTamperFunction-AB12"}"#),
            ("lambda.amazonaws.com", "PutFunctionConcurrency20171031", r#"{"functionName":"arn:aws:lambda:eu-west-1:111122223333:function:tw-prod-x","reservedConcurrentExecutions":0}"#),
            ("lambda.amazonaws.com", "AddPermission20150331v2", r#"{"functionName":"tw-prod-x","principal":"*"}"#),
            ("sns.amazonaws.com", "Subscribe", r#"{"topicArn":"arn:aws:sns:eu-west-1:111122223333:tw-prod-FindingsTopic-1","protocol":"https"}"#),
            ("sns.amazonaws.com", "Unsubscribe", r#"{"subscriptionArn":"arn:aws:sns:eu-west-1:111122223333:tw-prod-FindingsTopic-1:0b1e"}"#),
            ("dynamodb.amazonaws.com", "UpdateTimeToLive", r#"{"tableName":"tw-prod-StateTable-9Z","timeToLiveSpecification":{"enabled":false}}"#),
            ("iam.amazonaws.com", "PutRolePolicy", r#"{"roleName":"tw-prod-CorrelationRole-77","policyName":"x"}"#),
            ("sqs.amazonaws.com", "PurgeQueue", r#"{"queueUrl":"https://sqs.eu-west-1.amazonaws.com/111122223333/tw-prod-FailedEventsQueue-1"}"#),
            ("logs.amazonaws.com", "DeleteLogGroup", r#"{"logGroupName":"/aws/lambda/tw-prod-logging-tamper"}"#),
            ("cloudformation.amazonaws.com", "DeleteStack", r#"{"stackName":"tw-prod"}"#),
            ("cloudformation.amazonaws.com", "DeleteStack", r#"{"stackName":"arn:aws:cloudformation:eu-west-1:111122223333:stack/tw-prod/5f1c2a30-0b7e-11ef-9c1d-0a1b2c3d4e5f"}"#),
            ("cloudformation.amazonaws.com", "DeleteStack", r#"{"stackName":"StackSet-tw-prod-forwarders-0d9e8f7a-6b5c-4d3e-2f1a-0b9c8d7e6f5a"}"#),
            ("cloudformation.amazonaws.com", "DeleteStackSet", r#"{"stackSetName":"arn:aws:cloudformation:eu-west-1:111122223333:stackset/tw-prod-forwarders:0d9e8f7a-6b5c-4d3e-2f1a-0b9c8d7e6f5a"}"#),
            // From a review: the backtest's state machine, by its ARN (a version
            // or alias after the name too).
            ("states.amazonaws.com", "UpdateStateMachine", r#"{"stateMachineArn":"arn:aws:states:eu-west-1:111122223333:stateMachine:tw-prod-backtest-backtest","definition":"{}"}"#),
            ("states.amazonaws.com", "DeleteStateMachine", r#"{"stateMachineArn":"arn:aws:states:eu-west-1:111122223333:stateMachine:tw-prod-backtest-backtest:3"}"#),
            // From the same review: stack updates, the queue's policy, log
            // subscriptions and keys, code signing.
            ("cloudformation.amazonaws.com", "UpdateStack", r#"{"stackName":"tw-prod","usePreviousTemplate":false}"#),
            ("cloudformation.amazonaws.com", "UpdateStackInstances", r#"{"stackSetName":"tw-prod-forwarders","regions":["eu-west-1"]}"#),
            ("cloudformation.amazonaws.com", "ExecuteChangeSet", r#"{"changeSetName":"arn:aws:cloudformation:eu-west-1:111122223333:changeSet/samcli-deploy1/0d9e","stackName":"tw-prod"}"#),
            ("cloudformation.amazonaws.com", "UpdateTerminationProtection", r#"{"stackName":"tw-prod","enableTerminationProtection":false}"#),
            ("sqs.amazonaws.com", "AddPermission", r#"{"queueUrl":"https://sqs.eu-west-1.amazonaws.com/111122223333/tw-prod-FailedEventsQueue-1","label":"x","aWSAccountIds":["999988887777"],"actions":["ReceiveMessage"]}"#),
            ("logs.amazonaws.com", "PutSubscriptionFilter", r#"{"logGroupName":"/aws/lambda/tw-prod-self-protection","filterName":"x","destinationArn":"arn:aws:logs:eu-west-1:999988887777:destination:d"}"#),
            ("logs.amazonaws.com", "AssociateKmsKey", r#"{"logGroupName":"/aws/lambda/tw-prod-pipeline","kmsKeyId":"arn:aws:kms:eu-west-1:111122223333:key/1"}"#),
            // From a review: the group by ARN, as the same call also takes it.
            ("logs.amazonaws.com", "AssociateKmsKey", r#"{"resourceIdentifier":"arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/tw-prod-pipeline","kmsKeyId":"arn:aws:kms:eu-west-1:111122223333:key/1"}"#),
            // A group of another form, by ARN (from a review of the first version).
            ("logs.amazonaws.com", "AssociateKmsKey", r#"{"resourceIdentifier":"arn:aws:logs:eu-west-1:111122223333:log-group:tw-prod-audit:*","kmsKeyId":"arn:aws:kms:eu-west-1:111122223333:key/1"}"#),
            ("lambda.amazonaws.com", "PutFunctionCodeSigningConfig20200422", r#"{"functionName":"tw-prod-pipeline","codeSigningConfigArn":"arn:aws:lambda:eu-west-1:111122223333:code-signing-config:csc-1"}"#),
        ];
        // From a review: the health alarms, and a rule of anyone's sending to
        // trailwatch's bus.
        let health = [
            ("monitoring.amazonaws.com", "PutMetricAlarm", r#"{"alarmName":"tw-prod-heartbeat-check-not-running","treatMissingData":"notBreaching","alarmActions":[]}"#),
            ("monitoring.amazonaws.com", "DeleteAlarms", r#"{"alarmNames":["billing-high","tw-prod-failed-events"]}"#),
            ("events.amazonaws.com", "PutTargets", r#"{"rule":"ops-sync","eventBusName":"default","targets":[{"id":"1","arn":"arn:aws:events:eu-west-1:111122223333:event-bus/tw-prod-bus"}]}"#),
        ];
        let tuning = [
            ("s3.amazonaws.com", "PutBucketPolicy", r#"{"bucketName":"tw-prod-tuningbucket-1abcd2efgh3i","bucketPolicy":{}}"#),
            ("s3.amazonaws.com", "PutBucketVersioning", r#"{"bucketName":"tw-prod-tuningbucket-1abcd2efgh3i","VersioningConfiguration":{"Status":"Suspended"}}"#),
            ("s3.amazonaws.com", "PutObject", r#"{"bucketName":"tw-prod-tuningbucket-1abcd2efgh3i","key":"tuning.toml"}"#),
            ("s3.amazonaws.com", "DeleteObjects", r#"{"bucketName":"tw-prod-tuningbucket-1abcd2efgh3i","delete":""}"#),
        ];
        let tuning = tuning.into_iter().chain([
            ("s3.amazonaws.com", "DeleteBucketPublicAccessBlock", r#"{"bucketName":"tw-prod-tuningbucket-1abcd2efgh3i"}"#),
            ("s3.amazonaws.com", "PutBucketReplication", r#"{"bucketName":"tw-prod-tuningbucket-1abcd2efgh3i","ReplicationConfiguration":{}}"#),
        ]);
        for (source, name, params) in cases.into_iter().chain(health).chain(tuning) {
            let json = rec(source, name, params);
            assert!(tampered(&json, "tw-prod").is_some(), "{source} {name}");
            assert!(tampered(&json, "other").is_none(), "{source} {name} with another prefix");
        }
    }

    /// A rule of anyone's is ours only when it sends to our bus: a queue or a
    /// function target, or another bus, is not.
    #[test]
    fn foreign_rules_count_only_by_an_event_bus_target_of_ours() {
        let targets = |arn: &str| {
            rec(
                "events.amazonaws.com",
                "PutTargets",
                &format!(r#"{{"rule":"ops-sync","targets":[{{"id":"1","arn":"{arn}"}}]}}"#),
            )
        };
        for other in [
            "arn:aws:events:eu-west-1:111122223333:event-bus/ops-bus",
            "arn:aws:sqs:eu-west-1:111122223333:tw-prod-something",
            "arn:aws:lambda:eu-west-1:111122223333:function:ops-handler",
        ] {
            assert!(tampered(&targets(other), "tw-prod").is_none(), "{other}");
        }
        assert!(tampered(&targets("arn:aws:events:eu-west-1:111122223333:event-bus/tw-prod-bus"), "tw-prod").is_some());
        let other_alarm = rec("monitoring.amazonaws.com", "PutMetricAlarm", r#"{"alarmName":"billing-high"}"#);
        assert!(tampered(&other_alarm, "tw-prod").is_none());
        // Another state machine, and a read or a run of ours, are not.
        let other_machine = rec("states.amazonaws.com", "UpdateStateMachine", r#"{"stateMachineArn":"arn:aws:states:eu-west-1:111122223333:stateMachine:orders-tw-prod"}"#);
        assert!(tampered(&other_machine, "tw-prod").is_none());
        for call in ["StartExecution", "DescribeStateMachine"] {
            let ours = rec("states.amazonaws.com", call, r#"{"stateMachineArn":"arn:aws:states:eu-west-1:111122223333:stateMachine:tw-prod-backtest-backtest"}"#);
            assert!(tampered(&ours, "tw-prod").is_none(), "{call}");
        }
    }

    /// A stack update is a deployment (medium), unless it points the
    /// forwarders at a bus that is not trailwatch's (critical, the bus in the
    /// evidence); a parameter that keeps its previous value names no bus.
    #[test]
    fn a_stack_update_is_medium_unless_it_sends_the_forwarders_elsewhere() {
        let with_bus = |name: &str, field: &str, bus: &str| {
            rec(
                "cloudformation.amazonaws.com",
                name,
                &format!(
                    r#"{{"stackSetName":"tw-prod-forwarders","{field}":[{{"parameterKey":"ResourcePrefix","usePreviousValue":true}},{{"parameterKey":"CentralEventBusArn","parameterValue":"{bus}"}}]}}"#
                ),
            )
        };
        let ours = "arn:aws:events:us-east-1:111122223333:event-bus/tw-prod";
        let theirs = "arn:aws:events:us-east-1:999988887777:event-bus/collector";
        let prefix = crate::resources::prefix();
        let sev = |json: &str| testing::severity(&TrailwatchTampering, json);
        for (name, field) in [("UpdateStackInstances", "parameterOverrides"), ("UpdateStackSet", "parameters")] {
            let kept = with_bus(name, field, ours).replace("tw-prod", prefix);
            assert!(tampered(&kept, prefix).is_some(), "{name}");
            assert_eq!(sev(&kept), Severity::Medium, "{name}");
            let moved = with_bus(name, field, theirs).replace("tw-prod", prefix);
            assert_eq!(sev(&moved), Severity::Critical, "{name}");
            match TrailwatchTampering.evaluate(&Record::from_json(&moved).unwrap()) {
                Some(Signal::Fire(e)) => assert_eq!(e.get("forwarders_sent_to").and_then(|v| v.as_str()), Some(theirs)),
                other => panic!("{name}: {other:?}"),
            }
        }
        // From a review: made through a parent stack (CloudFormation on
        // someone's behalf), still critical; a change set made with a foreign
        // bus is critical, one made without it, or new stack instances with our
        // bus, are nothing (their execution is the update).
        let moved = with_bus("UpdateStackSet", "parameters", theirs).replace("tw-prod", prefix);
        let nested = moved.replace(
            r#""userIdentity":{"type":"IAMUser","#,
            r#""userIdentity":{"invokedBy":"cloudformation.amazonaws.com","type":"IAMUser","#,
        );
        assert_ne!(nested, moved);
        assert_eq!(sev(&nested), Severity::Critical);
        for name in ["CreateChangeSet", "CreateStackInstances"] {
            let field = if name == "CreateChangeSet" { "parameters" } else { "parameterOverrides" };
            let fires = |json: &str| TrailwatchTampering.evaluate(&Record::from_json(json).unwrap()).is_some();
            let away = with_bus(name, field, theirs).replace("tw-prod", prefix);
            let kept = with_bus(name, field, ours).replace("tw-prod", prefix);
            assert!(fires(&away) && !fires(&kept), "{name}");
            assert_eq!(sev(&away), Severity::Critical, "{name}");
        }
        let delete = rec("cloudformation.amazonaws.com", "DeleteStack", &format!(r#"{{"stackName":"{prefix}"}}"#));
        assert_eq!(sev(&delete), Severity::Critical);
        let other_stack = rec("cloudformation.amazonaws.com", "UpdateStack", r#"{"stackName":"orders"}"#);
        assert!(tampered(&other_stack, prefix).is_none());
    }

    /// From a review: a bus named like ours in another account or Region is
    /// not ours once the central account and Region are known (live); in a
    /// replay, where they are not, the name decides.
    #[test]
    fn a_bus_is_ours_by_name_and_where_it_is() {
        let home = Some(("us-east-1", "111122223333"));
        let ours = "arn:aws:events:us-east-1:111122223333:event-bus/tw-prod";
        assert!(bus_is_ours(ours, "tw-prod", home));
        assert!(bus_is_ours(ours, "tw-prod", None));
        for other in [
            "arn:aws:events:us-east-1:999988887777:event-bus/tw-prod",
            "arn:aws:events:eu-west-1:111122223333:event-bus/tw-prod",
            "arn:aws:events:us-east-1:111122223333:event-bus/collector",
            "arn:aws:events:us-east-1:111122223333:event-bus/tw-prod-staging",
            "tw-prod",
        ] {
            assert!(!bus_is_ours(other, "tw-prod", home), "{other}");
        }
        assert!(bus_is_ours("arn:aws:events:us-east-1:999988887777:event-bus/tw-prod", "tw-prod", None));
        assert!(!bus_is_ours("arn:aws:events:us-east-1:999988887777:event-bus/collector", "tw-prod", None));
    }

    #[test]
    fn iam_names_match_in_any_case_other_names_exactly() {
        let role = rec("iam.amazonaws.com", "DeleteRolePolicy", r#"{"roleName":"TW-Prod-CorrelationRole-77","policyName":"x"}"#);
        assert!(tampered(&role, "tw-prod").is_some());
        let short = rec("iam.amazonaws.com", "DeleteRolePolicy", r#"{"roleName":"TW","policyName":"x"}"#);
        assert!(tampered(&short, "tw-prod").is_none());
        let queue = rec("sqs.amazonaws.com", "PurgeQueue", r#"{"queueUrl":"https://sqs.eu-west-1.amazonaws.com/111122223333/TW-Prod-FailedEventsQueue-1"}"#);
        assert!(tampered(&queue, "tw-prod").is_none());
    }

    /// One of its rules switched back on is high: the trace of a blind spot
    /// (an evasion review, fifteenth session); another team's rule is none of
    /// trailwatch's, and a rule put enabled is critical as any `PutRule` is.
    #[test]
    fn a_rule_enabled_again_is_high() {
        let json = rec("events.amazonaws.com", "EnableRule", r#"{"name":"tw-prod-forward-write-6"}"#);
        assert_eq!(tampered(&json, "tw-prod").as_deref(), Some("tw-prod-forward-write-6"));
        let json = rec("events.amazonaws.com", "EnableRule", r#"{"name":"trailwatch-forward-write-6"}"#);
        assert_eq!(testing::severity(&TrailwatchTampering, &json), Severity::High);
        let other = rec("events.amazonaws.com", "EnableRule", r#"{"name":"orders-nightly"}"#);
        assert_eq!(tampered(&other, "tw-prod"), None);
        let put = rec("events.amazonaws.com", "PutRule", r#"{"name":"trailwatch-forward-write-6","state":"ENABLED"}"#);
        assert_eq!(testing::severity(&TrailwatchTampering, &put), Severity::Critical);
        // Through a stack: medium, as every stack's change is (from a review).
        let stack = json.replace(r#""type":"IAMUser""#, r#""type":"AssumedRole","invokedBy":"cloudformation.amazonaws.com""#);
        assert_eq!(testing::severity(&TrailwatchTampering, &stack), Severity::Medium);
    }

    #[test]
    fn reads_creations_and_unwatched_calls_are_not_tampering() {
        for (source, name, params) in [
            ("events.amazonaws.com", "DescribeRule", r#"{"name":"tw-prod-x"}"#),
            ("lambda.amazonaws.com", "GetFunction20150331v2", r#"{"functionName":"tw-prod-x"}"#),
            ("lambda.amazonaws.com", "Invoke", r#"{"functionName":"tw-prod-x"}"#),
            ("sns.amazonaws.com", "Publish", r#"{"topicArn":"arn:aws:sns:eu-west-1:1:tw-prod-t"}"#),
            ("iam.amazonaws.com", "CreateRole", r#"{"roleName":"tw-prod-new"}"#),
            ("events.amazonaws.com", "DeleteRule", r#"null"#),
            ("events.amazonaws.com", "DeleteRule", r#"{"name":42}"#),
        ] {
            assert!(tampered(&rec(source, name, params), "tw-prod").is_none(), "{name} {params}");
        }
    }

    #[test]
    fn versions_are_stripped_from_lambda_names() {
        assert_eq!(lambda_operation("UpdateFunctionCode20150331v2"), "UpdateFunctionCode");
        assert_eq!(lambda_operation("DeleteFunction20150331"), "DeleteFunction");
        assert_eq!(lambda_operation("DeleteFunction"), "DeleteFunction");
    }

    #[test]
    fn failed_calls_fire_and_cloudformation_lowers_the_severity() {
        let json = rec("events.amazonaws.com", "DeleteRule", r#"{"name":"trailwatch-cli-endpoint"}"#)
            .replace("\"requestParameters\"", "\"errorCode\":\"AccessDenied\",\"requestParameters\"");
        let r = Record::from_json(&json).unwrap();
        assert!(matches!(TrailwatchTampering.evaluate(&r), Some(Signal::Fire(_))));
        assert_eq!(TrailwatchTampering.severity_for(&r), Severity::Critical);
        let cfn = json.replace(
            r#""userIdentity":{"type":"IAMUser","#,
            r#""userIdentity":{"invokedBy":"cloudformation.amazonaws.com","type":"AssumedRole","#,
        );
        let r = Record::from_json(&cfn).unwrap();
        assert_eq!(TrailwatchTampering.severity_for(&r), Severity::Medium);
    }

    /// From a review of false positives: log shippers subscribe every log group
    /// to a forwarder of the same account, and retention enforcers set long
    /// retentions; another account's destination or a short retention stays
    /// critical.
    #[test]
    fn log_shipping_in_the_account_is_medium() {
        let severity = |name: &str, params: &str| {
            let json = rec("logs.amazonaws.com", name, params);
            let r = Record::from_json(&json).unwrap();
            assert!(matches!(TrailwatchTampering.evaluate(&r), Some(Signal::Fire(_))), "{params}");
            TrailwatchTampering.severity_for(&r)
        };
        let group = "/aws/lambda/trailwatch-self-protection";
        let to = |dest: &str| format!(r#"{{"logGroupName":"{group}","filterName":"datadog","filterPattern":"","destinationArn":"{dest}"}}"#);
        assert_eq!(severity("PutSubscriptionFilter", &to("arn:aws:lambda:eu-west-1:111122223333:function:datadog-forwarder")), Severity::Medium);
        assert_eq!(severity("PutSubscriptionFilter", &to("arn:aws:firehose:eu-west-1:111122223333:deliverystream/splunk")), Severity::Medium);
        assert_eq!(severity("PutSubscriptionFilter", &to("arn:aws:logs:eu-west-1:999988887777:destination:d")), Severity::Critical);
        assert_eq!(severity("PutSubscriptionFilter", &to("not-an-arn")), Severity::Critical);
        let keep = |days: &str| format!(r#"{{"logGroupName":"{group}","retentionInDays":{days}}}"#);
        assert_eq!(severity("PutRetentionPolicy", &keep("365")), Severity::Medium);
        assert_eq!(severity("PutRetentionPolicy", &keep("30")), Severity::Medium);
        assert_eq!(severity("PutRetentionPolicy", &keep("1")), Severity::Critical);
        assert_eq!(severity("PutRetentionPolicy", &keep("null")), Severity::Critical);
        assert_eq!(severity("DeleteSubscriptionFilter", &format!(r#"{{"logGroupName":"{group}","filterName":"datadog"}}"#)), Severity::Critical);
        // A stack deployed with 14 days: an enforcer setting 14 does what the team
        // chose (from a review); shorter still cuts. (Process-wide, as in the
        // functions; no other test of this binary sets a retention of 8 to 29 days.)
        crate::resources::set_log_retention_days(14);
        assert_eq!(severity("PutRetentionPolicy", &keep("14")), Severity::Medium);
        assert_eq!(severity("PutRetentionPolicy", &keep("30")), Severity::Medium);
        assert_eq!(severity("PutRetentionPolicy", &keep("7")), Severity::Critical);
    }

    /// The tuning bucket's name is lowercase whatever the stack's; a new version
    /// of the file is medium, a change to the bucket critical.
    #[test]
    fn the_tuning_bucket_and_file_are_watched() {
        let file = rec("s3.amazonaws.com", "PutObject", r#"{"bucketName":"tw-prod-tuningbucket-1abc","key":"tuning.toml"}"#);
        assert!(tampered(&file, "TW-Prod").is_some());
        // A large file (`aws s3 cp` of 8 MiB or more) is a multipart upload.
        let multipart = file.replace("PutObject", "CompleteMultipartUpload");
        assert!(tampered(&multipart, "tw-prod").is_some());
        // The raw check lets in the tuning bucket's object writes only.
        use crate::detections::common::testing::raw;
        assert_eq!(raw(&TrailwatchTampering, &file), Some(true));
        assert_eq!(raw(&TrailwatchTampering, &file.replace("tw-prod-tuningbucket-1abc", "reports-2026")), Some(false));
        // `evaluate` compares with the process's prefix (`trailwatch` here).
        let ours = file.replace("tw-prod-", "trailwatch-");
        let r = Record::from_json(&ours).unwrap();
        let Some(Signal::Fire(e)) = TrailwatchTampering.evaluate(&r) else {
            panic!("expected a finding");
        };
        assert_eq!(e.get("key").and_then(|v| v.as_str()), Some("tuning.toml"));
        assert_eq!(TrailwatchTampering.severity_for(&r), Severity::Medium);
        let policy = rec("s3.amazonaws.com", "DeleteBucketPolicy", r#"{"bucketName":"trailwatch-tuningbucket-1abc"}"#);
        let r = Record::from_json(&policy).unwrap();
        assert!(TrailwatchTampering.evaluate(&r).is_some());
        assert_eq!(TrailwatchTampering.severity_for(&r), Severity::Critical);
        // Reads, other buckets and unwatched calls are not.
        for (name, params) in [
            ("GetObject", r#"{"bucketName":"tw-prod-tuningbucket-1abc","key":"tuning.toml"}"#),
            ("PutObject", r#"{"bucketName":"reports-2026","key":"tuning.toml"}"#),
            // A backtest's results bucket starts with the prefix too.
            ("PutObject", r#"{"bucketName":"tw-prod-backtest-resultsbucket-9xyz","key":"findings/part-0.jsonl"}"#),
            ("PutBucketTagging", r#"{"bucketName":"tw-prod-tuningbucket-1abc"}"#),
        ] {
            assert!(tampered(&rec("s3.amazonaws.com", name, params), "tw-prod").is_none(), "{name}");
        }
    }

    /// From a review of false positives: an S3 baseline restating settings that
    /// weaken nothing on the tuning bucket is medium; any other value of the
    /// same settings stays critical.
    #[test]
    fn a_baseline_hardening_the_tuning_bucket_is_medium() {
        let severity = |name: &str, params: &str| {
            let params = params.replace("{B}", r#""bucketName":"trailwatch-tuningbucket-1abc""#);
            let json = rec("s3.amazonaws.com", name, &params);
            let r = Record::from_json(&json).unwrap();
            assert!(TrailwatchTampering.evaluate(&r).is_some(), "{name} {params}");
            TrailwatchTampering.severity_for(&r)
        };
        let abort = r#""AbortIncompleteMultipartUpload":{"DaysAfterInitiation":7}"#;
        for (name, params) in [
            ("PutBucketPublicAccessBlock", r#"{{B},"PublicAccessBlockConfiguration":{"RestrictPublicBuckets":true,"BlockPublicPolicy":true,"BlockPublicAcls":true,"IgnorePublicAcls":"true"}}"#.to_owned()),
            ("PutBucketOwnershipControls", r#"{{B},"OwnershipControls":{"Rule":{"ObjectOwnership":"BucketOwnerEnforced"}}}"#.to_owned()),
            ("PutBucketVersioning", r#"{{B},"VersioningConfiguration":{"Status":"Enabled"}}"#.to_owned()),
            ("PutBucketLifecycle", format!(r#"{{{{B}},"LifecycleConfiguration":{{"Rule":[{{"ID":"mpu","Status":"Enabled","Filter":{{"Prefix":""}},{abort}}}]}}}}"#)),
        ] {
            assert_eq!(severity(name, &params), Severity::Medium, "{name}");
        }
        for (name, params) in [
            ("PutBucketPublicAccessBlock", r#"{{B},"PublicAccessBlockConfiguration":{"RestrictPublicBuckets":false,"BlockPublicPolicy":true,"BlockPublicAcls":true,"IgnorePublicAcls":true}}"#.to_owned()),
            ("PutBucketPublicAccessBlock", r#"{{B},"PublicAccessBlockConfiguration":{"BlockPublicPolicy":true,"BlockPublicAcls":true,"IgnorePublicAcls":true}}"#.to_owned()),
            ("PutBucketOwnershipControls", r#"{{B},"OwnershipControls":{"Rule":{"ObjectOwnership":"ObjectWriter"}}}"#.to_owned()),
            ("PutBucketVersioning", r#"{{B},"VersioningConfiguration":{"Status":"Suspended"}}"#.to_owned()),
            ("PutBucketVersioning", r#"{{B},"VersioningConfiguration":{"Status":"Enabled","MfaDelete":"Disabled"}}"#.to_owned()),
            ("PutBucketLifecycle", format!(r#"{{{{B}},"LifecycleConfiguration":{{"Rule":{{"ID":"mpu","Status":"Enabled",{abort},"Expiration":{{"Days":1}}}}}}}}"#)),
            ("PutBucketLifecycle", format!(r#"{{{{B}},"LifecycleConfiguration":{{"Rule":[{{"ID":"a",{abort}}},{{"ID":"b","NoncurrentVersionExpiration":{{"NoncurrentDays":1}}}}]}}}}"#)),
            ("PutBucketLifecycle", r#"{{B},"LifecycleConfiguration":{"Rule":[]}}"#.to_owned()),
        ] {
            assert_eq!(severity(name, &params), Severity::Critical, "{name} {params}");
        }
    }
}
