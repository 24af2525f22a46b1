//! An EventBridge rule whose event pattern reacts to new IAM users, roles, access
//! keys or console passwords (`PutRule`): the trigger of a backdoor that acts on every
//! identity created from then on.
//!
//! Decisions: Pacu's `lambda__backdoor_new_roles` and `lambda__backdoor_new_users`
//! create such a rule and point it at a function that adds an outside principal to
//! each new role's trust policy, or makes an access key for each new user and sends
//! it away. The rule is the lasting piece, so the pattern is what is judged, with
//! EventBridge's own matching (`rules::matcher`: values, `prefix`, `suffix`,
//! `wildcard`, `equals-ignore-case`, `anything-but`, `$or`): the rule fires when it
//! would take IAM's record of at least one of [`IDENTITY_EVENTS`] and of none of
//! [`ORDINARY_IAM_EVENTS`]. A rule that takes every IAM event, or every API call,
//! is a subscription (audit, inventory, a SIEM forwarder) and is left alone; a rule
//! that singles out creation is what a backdoor needs. Only `source`, `detail-type`
//! and `detail`'s `eventSource` and `eventName` are judged: conditions on other
//! fields (who called, from where) are taken as met, since an event meeting them
//! can always come. One kind is judged apart: a condition on a field that only a
//! creation's record holds (`responseElements.accessKey`, `.user`, `.role`,
//! `.loginProfile`, `requestParameters.assumeRolePolicyDocument`:
//! [`CREATION_FIELDS`]) picks out that creation without naming it, so a pattern
//! with one singles it out whatever else it takes (unless the condition is
//! `exists: false`). A pattern that names one ordinary IAM event beside the
//! creations it wants is still taken for a subscription: a known limit (an alerting
//! rule on a handful of IAM changes looks the same). A pattern the matcher cannot read (an operator it does not
//! know) is not judged. The target (`PutTargets`) is not needed to judge and is
//! left to the finding's next steps. Refused calls count, with their error. Left
//! out: calls AWS services make, CloudFormation stacks included (alerting rules and
//! SIEM forwarders that name `CreateUser` or `CreateAccessKey` are deployed that
//! way, trailwatch's own forwarder among them), and rules named with trailwatch's
//! resource prefix (anyone else putting one is `trailwatch-tampering`'s). Not
//! judged: rules on Identity Center's own user store (`sso-directory`,
//! `identitystore`) and on SageMaker or other services' identities.
//!
//! From a third evasion review, Pacu's third such module: a rule that singles out
//! new security groups (`CreateSecurityGroup`, and none of the EC2 events a
//! broad subscription takes), whose function opens each new group to the
//! intruder's address.
//!
//! From a review, the same trigger without EventBridge: a CloudWatch Logs
//! subscription filter (`PutSubscriptionFilter`) that sends a Lambda function the
//! log events naming identity creations (the trail's log group, a filter pattern
//! naming one of [`IDENTITY_EVENTS`] and none of [`ORDINARY_IAM_EVENTS`]). The
//! pattern is read as words, whatever its syntax (a JSON selector on
//! `$.eventName` or a bare term). Filters to a stream or a Firehose (a SIEM's
//! feed) are not judged, nor Config rules of custom Lambda functions on IAM
//! resource types (compliance checks on users are everyday).

use serde_json::Value;

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_caller, with_error};
use crate::event::Record;

pub struct EventBridgeRuleOnIdentityCreation;

const SOURCE: &str = "events.amazonaws.com";
const PUT_RULE: &str = "PutRule";
const LOGS: &str = "logs.amazonaws.com";
const SUBSCRIPTION: &str = "PutSubscriptionFilter";

pub static META: Meta = Meta {
    id: "eventbridge-rule-on-identity-creation",
    title: "AWS EventBridge Rule or Log Subscription Triggered by New IAM Identities or Security Groups",
    description: "An EventBridge rule was created or replaced with an event pattern that \
                  fires whenever an IAM user, role, access key or console password (or a \
                  security group) is created, or a log subscription filter hands a function \
                  the log events of those creations. Attack tools use such a rule to run a \
                  function on every new identity or group, backdooring each new role's trust, \
                  leaking each new key or opening each new group to the intruder, long after \
                  the original access is gone.",
    severity: Severity::Medium,
    attack: &["T1546", "T1098", "T1648"],
    origins: &[
        "trailwatch: based on Pacu's lambda__backdoor_new_roles, lambda__backdoor_new_users \
         and lambda__backdoor_new_sec_groups modules (an EventBridge rule on creation events \
         invoking a Lambda function)",
    ],
    group: "iam-persistence",
    false_positives: &[
        "Identity governance automation that tags, bounds or reports new users and roles: \
         exclude the role that deploys it.",
    ],
    next_steps: "List the rule's targets (ListTargetsByRule) and read the code or \
                 configuration they run. If the rule is not known automation, delete it and \
                 its targets, then review the trust policies and access keys of every \
                 identity created since it was put.",
    evidence: "api destination error_code error_message event_bus event_pattern filter_pattern \
        identity_events log_group rule security_group_events source_ip state succeeded user_agent",
    triggers: &[Trigger::write(SOURCE, &[PUT_RULE]), Trigger::write(LOGS, &[SUBSCRIPTION])],
    window: None,
};

/// The IAM events that create an identity or a credential for one.
pub const IDENTITY_EVENTS: &[&str] = &["CreateAccessKey", "CreateLoginProfile", "CreateRole", "CreateUser"];

/// IAM events any broad subscription takes: a pattern that takes one of them does
/// not single out identity creation.
pub const ORDINARY_IAM_EVENTS: &[&str] = &[
    "AttachRolePolicy",
    "DeleteRole",
    "DeleteUser",
    "GetUser",
    "ListRoles",
    "PutRolePolicy",
    "UpdateAssumeRolePolicy",
];

/// Fields only the record of one identity creation holds: (`detail` key, its
/// field, the creation). A pattern that requires one picks out that creation.
pub const CREATION_FIELDS: &[(&str, &str, &str)] = &[
    ("responseElements", "accessKey", "CreateAccessKey"),
    ("responseElements", "loginProfile", "CreateLoginProfile"),
    ("responseElements", "role", "CreateRole"),
    ("responseElements", "user", "CreateUser"),
    ("requestParameters", "assumeRolePolicyDocument", "CreateRole"),
];

/// Whether a field's condition can only be met by an event that has the field: some
/// matcher in it, at any depth, other than `{"exists": false}`.
fn requires_presence(condition: &Value) -> bool {
    match condition {
        Value::Array(matchers) => matchers
            .iter()
            .any(|m| m != &serde_json::json!({"exists": false})),
        Value::Object(fields) => fields.values().any(requires_presence),
        _ => false,
    }
}

/// The creations whose own fields (`CREATION_FIELDS`) `pattern` puts conditions on,
/// in its `detail` or in any `$or` branch of it; a condition that the field be
/// absent (`[{"exists": false}]`) does not count.
fn creations_by_field(pattern: &Value) -> Vec<&'static str> {
    fn walk(v: &Value, in_detail: bool, out: &mut Vec<&'static str>) {
        let Value::Object(o) = v else { return };
        for (k, sub) in o {
            match (k.as_str(), sub) {
                ("detail", _) => walk(sub, true, out),
                ("$or", Value::Array(alts)) => alts.iter().for_each(|a| walk(a, in_detail, out)),
                (section, Value::Object(fields)) if in_detail => {
                    for (field, condition) in fields {
                        let found = CREATION_FIELDS
                            .iter()
                            .find(|(s, f, _)| *s == section && f == field);
                        if let (Some((_, _, creation)), true) = (found, requires_presence(condition)) {
                            out.push(creation);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(pattern, false, &mut out);
    out
}

/// The pattern keys this detection judges (and `$or`, whose branches are judged
/// the same way); conditions on anything else are taken as met.
const JUDGED_TOP: &[&str] = &["source", "detail-type", "detail", "$or"];
const JUDGED_DETAIL: &[&str] = &["eventSource", "eventName", "$or"];

/// `pattern` without the conditions this detection does not judge. An `$or` of one
/// alternative is that alternative (the matcher, strict, wants two or more).
fn judged_part(pattern: &Value, keep: &[&str]) -> Value {
    let Value::Object(o) = pattern else {
        return pattern.clone();
    };
    let mut kept = serde_json::Map::new();
    for (k, v) in o.iter().filter(|(k, _)| keep.contains(&k.as_str())) {
        match (k.as_str(), v) {
            ("detail", _) => {
                kept.insert(k.clone(), judged_part(v, JUDGED_DETAIL));
            }
            ("$or", Value::Array(alts)) if alts.len() == 1 => {
                if let Value::Object(only) = judged_part(&alts[0], keep) {
                    kept.extend(only);
                }
            }
            ("$or", Value::Array(alts)) => {
                kept.insert(k.clone(), Value::Array(alts.iter().map(|a| judged_part(a, keep)).collect()));
            }
            _ => {
                kept.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Object(kept)
}

/// IAM's CloudTrail record of `event_name`, as EventBridge sees it.
fn iam_call(event_name: &str) -> Value {
    serde_json::json!({
        "source": "aws.iam",
        "detail-type": "AWS API Call via CloudTrail",
        "detail": {"eventSource": "iam.amazonaws.com", "eventName": event_name},
    })
}

/// The identity events `pattern` singles out (see the top comment); empty when it
/// takes none of them, takes an ordinary IAM event too, or cannot be read.
fn singled_out(pattern: &Value) -> Vec<&'static str> {
    let judged = judged_part(pattern, JUDGED_TOP);
    let takes = |name: &str| crate::rules::matcher::matches(&judged, &iam_call(name));
    let by_field = creations_by_field(pattern);
    if !by_field.is_empty() {
        let picked: Vec<&'static str> = IDENTITY_EVENTS
            .iter()
            .copied()
            .filter(|n| by_field.contains(n) && takes(n) == Ok(true))
            .collect();
        if !picked.is_empty() {
            return picked;
        }
    }
    match ORDINARY_IAM_EVENTS.iter().map(|n| takes(n)).collect::<Result<Vec<_>, _>>() {
        Ok(ordinary) if !ordinary.contains(&true) => {}
        _ => return Vec::new(),
    }
    IDENTITY_EVENTS
        .iter()
        .copied()
        .filter(|n| takes(n) == Ok(true))
        .collect()
}

/// EC2 events any broad subscription to EC2 takes: a pattern that takes one of
/// them does not single out new security groups.
const ORDINARY_EC2_EVENTS: &[&str] = &[
    "AuthorizeSecurityGroupIngress",
    "CreateTags",
    "CreateVolume",
    "DeleteSecurityGroup",
    "DescribeInstances",
    "RunInstances",
    "TerminateInstances",
];

/// The record of EC2 call `event_name` as EventBridge delivers it.
fn ec2_call(event_name: &str) -> Value {
    serde_json::json!({
        "source": "aws.ec2",
        "detail-type": "AWS API Call via CloudTrail",
        "detail": {"eventSource": "ec2.amazonaws.com", "eventName": event_name},
    })
}

/// Whether `pattern` singles out new security groups: it takes `CreateSecurityGroup`
/// and none of [`ORDINARY_EC2_EVENTS`] (from a third evasion review: Pacu's
/// `lambda__backdoor_new_sec_groups` opens each new group to the intruder's
/// address, a `/32` the open-to-internet detections rightly leave alone).
fn singles_out_new_security_groups(pattern: &Value) -> bool {
    let judged = judged_part(pattern, JUDGED_TOP);
    let takes = |name: &str| crate::rules::matcher::matches(&judged, &ec2_call(name));
    // Not a rule on every service's creations either (`prefix` `Create`).
    let other_services = crate::rules::matcher::matches(&judged, &iam_call("CreateRole"));
    takes("CreateSecurityGroup") == Ok(true)
        && ORDINARY_EC2_EVENTS.iter().all(|n| takes(n) == Ok(false))
        && other_services == Ok(false)
}

/// An AWS Config change notification for a resource of `resource_type` whose
/// change is `change` (`CREATE`, `UPDATE`), as EventBridge delivers it.
fn config_change(resource_type: &str, change: &str) -> Value {
    serde_json::json!({
        "source": "aws.config",
        "detail-type": "Config Configuration Item Change",
        "detail": {
            "messageType": "ConfigurationItemChangeNotification",
            "configurationItem": {"resourceType": resource_type, "configurationItemStatus": "ResourceDiscovered"},
            "configurationItemDiff": {"changeType": change},
        },
    })
}

/// The identity creations a pattern on AWS Config's change notifications singles
/// out: new IAM roles or users, and not every change (an EC2 instance created, a
/// role updated) as a forwarder of all of Config's events does (from a second
/// evasion review: the same backdoor trigger, keyed on Config instead of IAM's calls).
fn config_creations(pattern: &Value) -> Vec<&'static str> {
    // Judged by what picks the resource and the change only: an account, a
    // Region or another field the notification does not carry here must not hide
    // the rule (a review of this change).
    let judged = config_judged_part(pattern);
    let takes = |ty: &str, change: &str| crate::rules::matcher::matches(&judged, &config_change(ty, change)) == Ok(true);
    if takes("AWS::EC2::Instance", "CREATE") || takes("AWS::IAM::Role", "UPDATE") || takes("AWS::IAM::User", "UPDATE") {
        return Vec::new();
    }
    [("AWS::IAM::Role", "CreateRole"), ("AWS::IAM::User", "CreateUser")]
        .into_iter()
        .filter(|(ty, _)| takes(ty, "CREATE"))
        .map(|(_, name)| name)
        .collect()
}

/// The part of a pattern on Config's notifications that picks the resource type
/// and the change: `source`, `detail-type`, and under `detail` the
/// `configurationItem.resourceType` and `configurationItemDiff.changeType` tests.
fn config_judged_part(pattern: &Value) -> Value {
    let keep = |v: Option<&Value>, key: &str| v.and_then(|o| o.get(key)).cloned();
    let mut top = serde_json::Map::new();
    for key in ["source", "detail-type"] {
        if let Some(v) = keep(Some(pattern), key) {
            top.insert(key.to_owned(), v);
        }
    }
    let detail = pattern.get("detail");
    let mut inner = serde_json::Map::new();
    for (outer, key) in [("configurationItem", "resourceType"), ("configurationItemDiff", "changeType")] {
        if let Some(v) = keep(detail.and_then(|d| d.get(outer)), key) {
            inner.insert(outer.to_owned(), serde_json::json!({ key: v }));
        }
    }
    if !inner.is_empty() {
        top.insert("detail".to_owned(), Value::Object(inner));
    }
    Value::Object(top)
}

/// Evidence keeps at most this much of the pattern.
const PATTERN_EVIDENCE_BYTES: usize = 2_000;

impl Detection for EventBridgeRuleOnIdentityCreation {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() == LOGS && rec.event_name() == SUBSCRIPTION && !aws_service_caller(rec) {
            return subscription_on_identity_creation(rec);
        }
        if rec.event_source() != SOURCE || rec.event_name() != PUT_RULE || aws_service_caller(rec) {
            return None;
        }
        let name = rec.request_param_str("name");
        if name.is_some_and(crate::resources::is_ours) {
            return None;
        }
        let text = rec.request_param_str("eventPattern")?;
        let pattern = crate::event::surrogates::parse_value(text)?;
        let mut names = singled_out(&pattern);
        if names.is_empty() {
            names = config_creations(&pattern);
        }
        let security_groups = names.is_empty() && singles_out_new_security_groups(&pattern);
        if names.is_empty() && !security_groups {
            return None;
        }
        let e = Evidence::new()
            .with_opt("rule", name)
            .with_opt("event_bus", rec.request_param_str("eventBusName"))
            .with_opt("state", rec.request_param_str("state"))
            .with_opt("identity_events", (!names.is_empty()).then(|| names.join(", ")))
            .with_opt("security_group_events", security_groups.then_some("CreateSecurityGroup"))
            .with("event_pattern", &text[..text.floor_char_boundary(PATTERN_EVIDENCE_BYTES)])
            .with_opt("source_ip", rec.source_ip())
            .with_opt("user_agent", rec.user_agent())
            .with("succeeded", rec.succeeded());
        fire(with_error(e, rec))
    }
}

/// A log subscription filter that hands a Lambda function the log events of
/// identity creations: its pattern names one of [`IDENTITY_EVENTS`] and none of
/// [`ORDINARY_IAM_EVENTS`], as words.
fn subscription_on_identity_creation(rec: &Record<'_>) -> Option<Signal> {
    let destination = rec.request_param_str("destinationArn")?.trim();
    if !destination.contains(":lambda:") {
        return None;
    }
    let pattern = rec.request_param_str("filterPattern")?;
    // Words, and words ending in `*`, which a filter pattern's quoted terms take
    // as a prefix (from a second evasion review: `"CreateRol*"` hid the name).
    let words: Vec<&str> = pattern
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '*')
        .filter(|w| !w.is_empty())
        .collect();
    let named = |event: &str| {
        words.iter().any(|w| match w.strip_suffix('*') {
            Some(prefix) => prefix.len() >= 4 && !prefix.contains('*') && event.starts_with(prefix),
            None => *w == event,
        })
    };
    if ORDINARY_IAM_EVENTS.iter().any(|e| named(e)) {
        return None;
    }
    let names: Vec<&str> = IDENTITY_EVENTS.iter().copied().filter(|e| named(e)).collect();
    if names.is_empty() {
        return None;
    }
    let e = Evidence::new()
        .with("api", SUBSCRIPTION)
        .with_opt("log_group", rec.request_param_str("logGroupName"))
        .with("destination", destination)
        .with("identity_events", names.join(", "))
        .with("filter_pattern", &pattern[..pattern.floor_char_boundary(PATTERN_EVIDENCE_BYTES)])
        .with_opt("source_ip", rec.source_ip())
        .with_opt("user_agent", rec.user_agent())
        .with("succeeded", rec.succeeded());
    fire(with_error(e, rec))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::compute_testing::{ACCESS_DENIED, IAM_USER, ROLE, SERVICE, record};
    use crate::detections::common::testing::{eval, fires};

    fn put_rule(pattern: &str, identity: &str, extra: &str) -> String {
        let quoted = serde_json::to_string(pattern).unwrap();
        record(
            SOURCE,
            PUT_RULE,
            identity,
            &format!(r#"{{"name":"sync-new-roles","eventPattern":{quoted},"state":"ENABLED"}}"#),
            extra,
        )
    }

    const PACU: &str = r#"{"source":["aws.iam"],"detail-type":["AWS API Call via CloudTrail"],
        "detail":{"eventSource":["iam.amazonaws.com"],"eventName":["CreateRole"]}}"#;

    #[test]
    fn a_rule_on_new_roles_fires_with_its_pattern() {
        match eval(&EventBridgeRuleOnIdentityCreation, &put_rule(PACU, IAM_USER, "")) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("identity_events").unwrap(), "CreateRole");
                assert_eq!(e.get("rule").unwrap(), "sync-new-roles");
                assert!(e.get("event_pattern").unwrap().as_str().unwrap().contains("aws.iam"));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn every_way_of_naming_the_events_counts_and_refusals_too() {
        for pattern in [
            r#"{"source":["aws.iam"],"detail":{"eventName":[{"prefix":"CreateU"}]}}"#,
            r#"{"source":["aws.iam"],"detail":{"eventName":[{"wildcard":"Create*"}]}}"#,
            r#"{"source":["aws.iam"],"detail":{"eventName":[{"equals-ignore-case":"createrole"}]}}"#,
            r#"{"source":["aws.iam"],"detail":{"eventName":[{"suffix":"AccessKey"}]}}"#,
            r#"{"source":[{"prefix":"aws.ia"}],"detail":{"eventName":["CreateUser"]}}"#,
            // No source at all: the names alone single out IAM's calls.
            r#"{"detail-type":["AWS API Call via CloudTrail"],"detail":{"eventName":["CreateUser"]}}"#,
            // Conditions on other fields are taken as met.
            r#"{"source":["aws.iam"],"detail":{"eventName":["CreateRole"],"userIdentity":{"type":["AssumedRole"]}}}"#,
            // An `$or` of one alternative.
            r#"{"source":["aws.iam","aws.sts"],"detail":{"$or":[{"eventName":["CreateAccessKey"]}]}}"#,
        ] {
            assert!(fires(&EventBridgeRuleOnIdentityCreation, &put_rule(pattern, ROLE, "")), "{pattern}");
        }
        let or = r#"{"detail":{"$or":[{"eventSource":["iam.amazonaws.com"],"eventName":["CreateAccessKey","CreateLoginProfile"]},
            {"eventSource":["s3.amazonaws.com"],"eventName":["PutBucketPolicy"]}]}}"#;
        match eval(&EventBridgeRuleOnIdentityCreation, &put_rule(or, ROLE, ACCESS_DENIED)) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("identity_events").unwrap(), "CreateAccessKey, CreateLoginProfile");
                assert_eq!(e.get("error_code").unwrap(), "AccessDeniedException");
            }
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn a_condition_on_a_creation_field_picks_the_creation_out() {
        for (pattern, creation) in [
            (r#"{"source":["aws.iam"],"detail":{"responseElements":{"accessKey":{"accessKeyId":[{"exists":true}]}}}}"#, "CreateAccessKey"),
            (r#"{"source":["aws.iam"],"detail":{"requestParameters":{"assumeRolePolicyDocument":[{"exists":true}]}}}"#, "CreateRole"),
            (r#"{"source":["aws.iam"],"detail":{"$or":[{"responseElements":{"user":{"userName":[{"prefix":""}]}}},{"eventName":["DeleteUser"]}]}}"#, "CreateUser"),
        ] {
            match eval(&EventBridgeRuleOnIdentityCreation, &put_rule(pattern, ROLE, "")) {
                Some(Signal::Fire(e)) => assert_eq!(e.get("identity_events").unwrap(), creation, "{pattern}"),
                other => panic!("expected a finding for {pattern}, got {other:?}"),
            }
        }
        for pattern in [
            // The field required absent, or under another service, or not a creation's.
            r#"{"source":["aws.iam"],"detail":{"responseElements":{"accessKey":[{"exists":false}]}}}"#,
            r#"{"source":["aws.iam"],"detail":{"responseElements":{"accessKey":{"accessKeyId":[{"exists":false}]}}}}"#,
            r#"{"source":["aws.s3"],"detail":{"responseElements":{"accessKey":[{"exists":true}]}}}"#,
            r#"{"source":["aws.iam"],"detail":{"requestParameters":{"policyArn":[{"exists":true}]}}}"#,
            r#"{"source":["aws.iam"],"responseElements":{"accessKey":[{"exists":true}]}}"#,
        ] {
            assert!(!fires(&EventBridgeRuleOnIdentityCreation, &put_rule(pattern, ROLE, "")), "{pattern}");
        }
    }

    #[test]
    fn subscriptions_and_other_patterns_are_ignored() {
        for pattern in [
            // Every IAM event, every API call, every IAM write: subscriptions.
            r#"{"source":["aws.iam"]}"#,
            r#"{"detail-type":["AWS API Call via CloudTrail"]}"#,
            r#"{"source":["aws.iam"],"detail":{"readOnly":[false]}}"#,
            r#"{"source":["aws.iam"],"detail":{"eventName":[{"anything-but":{"prefix":"Delete"}}]}}"#,
            r#"{"source":["aws.iam"],"detail":{"eventName":["CreateRole","DeleteRole"]}}"#,
            r#"{"source":["aws.iam"],"detail":{"eventName":["DeleteRole","AttachRolePolicy"]}}"#,
            r#"{"source":["aws.iam"],"detail":{"eventName":[{"prefix":""}]}}"#,
            // IAM in one branch, the name under another service in the other.
            r#"{"$or":[{"source":["aws.iam"],"detail":{"eventName":["DeleteUser"]}},
                {"source":["aws.s3"],"detail":{"eventName":["CreateUser"]}}]}"#,
            r#"{"source":["aws.ec2"],"detail":{"eventName":["CreateRole"]}}"#,
            r#"{"source":["aws.ec2"],"detail-type":["EC2 Instance State-change Notification"]}"#,
            // Not valid EventBridge (values are lists), not JSON, an unknown operator.
            r#"{"source":"aws.iam","detail":{"eventName":"CreateUser"}}"#,
            "not json",
            r#"{"source":["aws.iam"],"detail":{"eventName":[{"regex":"Create.*"}]}}"#,
        ] {
            assert!(!fires(&EventBridgeRuleOnIdentityCreation, &put_rule(pattern, ROLE, "")), "{pattern}");
        }
        let scheduled = record(SOURCE, PUT_RULE, ROLE, r#"{"name":"nightly","scheduleExpression":"rate(1 day)"}"#, "");
        assert!(!fires(&EventBridgeRuleOnIdentityCreation, &scheduled));
    }

    #[test]
    fn stacks_and_trailwatch_rules_are_left_out() {
        let stack = r#"{"type":"AssumedRole","principalId":"AROAEXAMPLEROLE00001:ops-7",
            "arn":"arn:aws:sts::111122223333:assumed-role/OpsAdmin/ops-7","accountId":"111122223333",
            "invokedBy":"cloudformation.amazonaws.com"}"#;
        assert!(!fires(&EventBridgeRuleOnIdentityCreation, &put_rule(PACU, stack, "")));
        let ours = put_rule(PACU, ROLE, "").replace("sync-new-roles", "trailwatch-forward-write-3");
        assert!(!fires(&EventBridgeRuleOnIdentityCreation, &ours));
    }

    #[test]
    fn a_huge_pattern_is_cut_in_the_evidence() {
        let names: Vec<String> = (0..5_000).map(|i| format!("\"Create{i}\"")).collect();
        let pattern = format!(
            r#"{{"source":["aws.iam"],"detail":{{"eventName":["CreateUser",{}]}}}}"#,
            names.join(",")
        );
        match eval(&EventBridgeRuleOnIdentityCreation, &put_rule(&pattern, ROLE, "")) {
            Some(Signal::Fire(e)) => {
                let kept = e.get("event_pattern").unwrap().as_str().unwrap();
                assert_eq!(kept.len(), PATTERN_EVIDENCE_BYTES);
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        // Two-byte characters: the cut falls on a character boundary, as close
        // below the limit as it can.
        let accented = pattern.replace(",\"Create", ",\"Créate");
        match eval(&EventBridgeRuleOnIdentityCreation, &put_rule(&accented, ROLE, "")) {
            Some(Signal::Fire(e)) => {
                let kept = e.get("event_pattern").unwrap().as_str().unwrap();
                assert!(accented.starts_with(kept));
                assert!((PATTERN_EVIDENCE_BYTES - 1..=PATTERN_EVIDENCE_BYTES).contains(&kept.len()));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    /// Patterns are the caller's text: thousands of random ones, built from the
    /// operators and shapes EventBridge knows and some it does not, never panic,
    /// and a finding always names an identity event the pattern takes.
    #[test]
    fn random_patterns_never_panic_and_findings_hold() {
        let values = [
            r#""CreateUser""#,
            r#""CreateRole""#,
            r#""ListRoles""#,
            r#"{"prefix":"Create"}"#,
            r#"{"prefix":""}"#,
            r#"{"suffix":"Key"}"#,
            r#"{"wildcard":"*Role*"}"#,
            r#"{"wildcard":"**"}"#,
            r#"{"equals-ignore-case":"CREATEUSER"}"#,
            r#"{"anything-but":["ListRoles"]}"#,
            r#"{"anything-but":{"prefix":"Get"}}"#,
            r#"{"exists":true}"#,
            r#"{"numeric":[">",0]}"#,
            r#"{"cidr":"10.0.0.0/8"}"#,
            r#"{"prefix":5}"#,
            "null",
            "7",
            "[]",
            "{}",
        ];
        let sources = [r#"["aws.iam"]"#, r#"[{"prefix":"aws."}]"#, r#"["aws.s3"]"#, r#""aws.iam""#, "[]", "{}"];
        let mut next = crate::detections::common::testing::xorshift(0x2545_f491_4f6c_dd1d);
        let mut fired = 0;
        for _ in 0..4_000 {
            let list = |next: &mut dyn FnMut(usize) -> usize| {
                let n = 1 + next(3);
                let items: Vec<&str> = (0..n).map(|_| values[next(values.len())]).collect();
                format!("[{}]", items.join(","))
            };
            let names = list(&mut next);
            let detail = match next(4) {
                0 => format!(r#"{{"eventName":{names}}}"#),
                1 => format!(r#"{{"$or":[{{"eventName":{names}}},{{"eventName":{}}}]}}"#, list(&mut next)),
                2 => format!(r#"{{"$or":[{{"eventName":{names}}}]}}"#),
                _ => format!(r#"{{"eventSource":["iam.amazonaws.com"],"eventName":{names}}}"#),
            };
            let pattern = match next(3) {
                0 => format!(r#"{{"source":{},"detail":{detail}}}"#, sources[next(sources.len())]),
                1 => format!(r#"{{"detail":{detail}}}"#),
                _ => format!(r#"{{"$or":[{{"source":{}}},{{"detail":{detail}}}]}}"#, sources[next(sources.len())]),
            };
            if let Some(Signal::Fire(e)) = eval(&EventBridgeRuleOnIdentityCreation, &put_rule(&pattern, ROLE, "")) {
                fired += 1;
                let parsed: Value = serde_json::from_str(&pattern).unwrap();
                if e.get("security_group_events").is_some() {
                    let judged = judged_part(&parsed, JUDGED_TOP);
                    assert_eq!(crate::rules::matcher::matches(&judged, &ec2_call("CreateSecurityGroup")), Ok(true), "{pattern}");
                    assert_eq!(crate::rules::matcher::matches(&judged, &iam_call("CreateRole")), Ok(false), "{pattern}");
                    continue;
                }
                let named = e.get("identity_events").and_then(|v| v.as_str()).unwrap_or_default();
                for event in named.split(", ") {
                    assert!(IDENTITY_EVENTS.contains(&event), "{pattern}");
                    let judged = judged_part(&parsed, JUDGED_TOP);
                    assert_eq!(crate::rules::matcher::matches(&judged, &iam_call(event)), Ok(true), "{pattern}");
                }
            }
        }
        assert!(fired > 100, "{fired} findings");
    }

    #[test]
    fn aws_services_are_left_out() {
        assert!(!fires(&EventBridgeRuleOnIdentityCreation, &put_rule(PACU, SERVICE, "")));
    }

    /// From a review: a log subscription filter handing a function the creations.
    /// From a second evasion review: the trigger keyed on Config's notifications,
    /// and a filter pattern's prefix terms.
    #[test]
    fn config_notifications_of_new_principals_and_prefix_terms_count() {
        let config = r#"{"source":["aws.config"],"detail-type":["Config Configuration Item Change"],"detail":{"configurationItem":{"resourceType":["AWS::IAM::Role","AWS::IAM::User"]},"configurationItemDiff":{"changeType":["CREATE"]}}}"#;
        match eval(&EventBridgeRuleOnIdentityCreation, &put_rule(config, ROLE, "")) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("identity_events").and_then(|v| v.as_str()), Some("CreateRole, CreateUser")),
            other => panic!("expected a finding, got {other:?}"),
        }
        let with_account = config.replacen(r#"{"source""#, r#"{"account":["111122223333"],"region":["us-east-1"],"source""#, 1)
            .replace(r#""configurationItem":{"resourceType""#, r#""configurationItem":{"awsAccountId":["111122223333"],"resourceType""#);
        assert!(fires(&EventBridgeRuleOnIdentityCreation, &put_rule(&with_account, ROLE, "")), "{with_account}");
        for broad in [
            r#"{"source":["aws.config"],"detail-type":["Config Configuration Item Change"]}"#,
            r#"{"source":["aws.config"],"detail":{"configurationItem":{"resourceType":["AWS::IAM::Role"]}}}"#,
        ] {
            assert!(!fires(&EventBridgeRuleOnIdentityCreation, &put_rule(broad, ROLE, "")), "{broad}");
        }
        let filter = |pattern: &str| {
            let params = serde_json::json!({"logGroupName": "aws-cloudtrail-logs-org", "filterName": "sync",
                "filterPattern": pattern, "destinationArn": "arn:aws:lambda:us-east-1:111122223333:function:principal-sync"});
            record(LOGS, SUBSCRIPTION, ROLE, &params.to_string(), "")
        };
        assert!(fires(&EventBridgeRuleOnIdentityCreation, &filter(r#"{ ($.eventSource = "iam.amazonaws.com") && ($.eventName = "CreateRol*") }"#)));
        assert!(!fires(&EventBridgeRuleOnIdentityCreation, &filter(r#"{ ($.eventName = "Cre*") }"#)));
        assert!(!fires(&EventBridgeRuleOnIdentityCreation, &filter(r#"{ ($.eventName = "*") }"#)));
    }

    #[test]
    fn a_log_subscription_on_identity_creations_fires() {
        let filter = |pattern: &str, destination: &str| {
            let pattern = serde_json::to_string(pattern).unwrap();
            record(LOGS, SUBSCRIPTION, ROLE, &format!(
                r#"{{"logGroupName":"aws-cloudtrail-logs-111122223333","filterName":"iam-sync","filterPattern":{pattern},"destinationArn":"{destination}"}}"#
            ), "")
        };
        let function = "arn:aws:lambda:us-east-1:111122223333:function:iam-sync";
        let creations = r#"{ ($.eventSource = "iam.amazonaws.com") && (($.eventName = "CreateUser") || ($.eventName = "CreateRole")) }"#;
        match eval(&EventBridgeRuleOnIdentityCreation, &filter(creations, function)) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("identity_events"), Some(&serde_json::json!("CreateRole, CreateUser"))),
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(fires(&EventBridgeRuleOnIdentityCreation, &filter("CreateAccessKey", function)));
        // A SIEM's feed, a broad IAM filter, and other events: not judged so.
        assert!(!fires(&EventBridgeRuleOnIdentityCreation, &filter(creations, "arn:aws:firehose:us-east-1:111122223333:deliverystream/siem")));
        let broad = r#"{ ($.eventName = "CreateUser") || ($.eventName = "DeleteUser") || ($.eventName = "PutRolePolicy") }"#;
        assert!(!fires(&EventBridgeRuleOnIdentityCreation, &filter(broad, function)));
        assert!(!fires(&EventBridgeRuleOnIdentityCreation, &filter(r#"{ $.errorCode = "AccessDenied" }"#, function)));
        assert!(!fires(&EventBridgeRuleOnIdentityCreation, &filter("", function)));
    }
}
