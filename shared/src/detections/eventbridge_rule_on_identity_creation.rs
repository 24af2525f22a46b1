//! An EventBridge rule whose event pattern reacts to new IAM users, roles, access
//! keys or console passwords (`PutRule`): the trigger of a backdoor that acts on every
//! identity created from then on.
//!
//! Decisions: Pacu's `lambda__backdoor_new_roles` and `lambda__backdoor_new_users`
//! create such a rule and point it at a function that adds an outside principal to
//! each new role's trust policy, or makes an access key for each new user and sends
//! it away. The rule is the lasting piece, so the pattern is what is judged: it must
//! select IAM's events (`source` `aws.iam` or `detail.eventSource`
//! `iam.amazonaws.com`) and name at least one of [`IDENTITY_EVENTS`] in
//! `detail.eventName`, by value or by a `prefix` that one of them starts with (read
//! anywhere in the pattern, `$or` branches included). A rule on every IAM event
//! names none: audit and inventory automation subscribes that way, and a backdoor
//! that acts on new identities has no reason to. The target (`PutTargets`) is not
//! needed to judge and is left to the finding's next steps. Refused calls count,
//! with their error. Calls an AWS service makes for itself are left out; a
//! CloudFormation stack's are not (a stack is another way to put the same rule).

use serde_json::Value;

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_caller_but_stack, with_error};
use crate::event::Record;

pub struct EventBridgeRuleOnIdentityCreation;

const SOURCE: &str = "events.amazonaws.com";
const PUT_RULE: &str = "PutRule";

pub static META: Meta = Meta {
    id: "eventbridge-rule-on-identity-creation",
    title: "AWS EventBridge Rule Triggered by New IAM Identities",
    description: "An EventBridge rule was created or replaced with an event pattern that \
                  fires whenever an IAM user, role, access key or console password is \
                  created. Attack tools use such a rule to run a function on every new \
                  identity, backdooring each new role's trust or leaking each new key, long \
                  after the original access is gone.",
    severity: Severity::Medium,
    attack: &["T1546", "T1098", "T1648"],
    origins: &[
        "trailwatch: based on Pacu's lambda__backdoor_new_roles and lambda__backdoor_new_users \
         modules (an EventBridge rule on IAM creation events invoking a Lambda function)",
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
    triggers: &[Trigger::write(SOURCE, &[PUT_RULE])],
    window: None,
};

/// The IAM events that create an identity or a credential for one.
pub const IDENTITY_EVENTS: &[&str] = &["CreateAccessKey", "CreateLoginProfile", "CreateRole", "CreateUser"];

/// What an event pattern selects, as far as this detection asks.
#[derive(Debug, Default)]
struct Selects {
    /// It takes IAM's events.
    iam: bool,
    /// The identity events its `eventName` conditions name.
    names: Vec<&'static str>,
}

/// Reads every `source`, `eventSource` and `eventName` condition of a pattern.
fn read_pattern(v: &Value, sel: &mut Selects) {
    match v {
        Value::Object(o) => {
            for (key, value) in o {
                match key.as_str() {
                    "source" => sel.iam |= mentions(value, |s| s == "aws.iam"),
                    "eventSource" => sel.iam |= mentions(value, |s| s == "iam.amazonaws.com"),
                    "eventName" => note_names(value, &mut sel.names),
                    _ => read_pattern(value, sel),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| read_pattern(item, sel)),
        _ => {}
    }
}

/// A condition (a value or a list of values) holds a string `matches` accepts.
fn mentions(condition: &Value, matches: impl Fn(&str) -> bool) -> bool {
    match condition {
        Value::String(s) => matches(s),
        Value::Array(items) => items.iter().any(|i| i.as_str().is_some_and(&matches)),
        _ => false,
    }
}

/// The identity events an `eventName` condition selects: exact names, and names
/// a `prefix` matcher starts.
fn note_names(condition: &Value, out: &mut Vec<&'static str>) {
    let items: &[Value] = match condition {
        Value::Array(items) => items,
        other => std::slice::from_ref(other),
    };
    for item in items {
        let selected = |event: &str| match item {
            Value::String(s) => s == event,
            Value::Object(o) => o
                .get("prefix")
                .and_then(Value::as_str)
                .is_some_and(|p| !p.is_empty() && event.starts_with(p)),
            _ => false,
        };
        for &event in IDENTITY_EVENTS {
            if selected(event) && !out.contains(&event) {
                out.push(event);
            }
        }
    }
}

impl Detection for EventBridgeRuleOnIdentityCreation {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != SOURCE || rec.event_name() != PUT_RULE || aws_service_caller_but_stack(rec) {
            return None;
        }
        let text = rec.request_param_str("eventPattern")?;
        let pattern: Value = serde_json::from_str(text).ok()?;
        let mut sel = Selects::default();
        read_pattern(&pattern, &mut sel);
        if !sel.iam || sel.names.is_empty() {
            return None;
        }
        let e = Evidence::new()
            .with_opt("rule", rec.request_param_str("name"))
            .with_opt("event_bus", rec.request_param_str("eventBusName"))
            .with_opt("state", rec.request_param_str("state"))
            .with("identity_events", sel.names.join(", "))
            .with("event_pattern", text)
            .with_opt("source_ip", rec.source_ip())
            .with_opt("user_agent", rec.user_agent())
            .with("succeeded", rec.succeeded());
        fire(with_error(e, rec))
    }
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
    fn names_by_prefix_and_in_or_branches_count_and_refusals_too() {
        let prefix = r#"{"source":["aws.iam"],"detail":{"eventName":[{"prefix":"CreateU"}]}}"#;
        assert!(fires(&EventBridgeRuleOnIdentityCreation, &put_rule(prefix, ROLE, "")));
        let or = r#"{"detail":{"$or":[{"eventSource":["iam.amazonaws.com"],"eventName":["CreateAccessKey","CreateLoginProfile"]},
            {"eventSource":["s3.amazonaws.com"],"eventName":["PutBucketPolicy"]}]}}"#;
        match eval(&EventBridgeRuleOnIdentityCreation, &put_rule(or, ROLE, ACCESS_DENIED)) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("identity_events").unwrap(), "CreateAccessKey, CreateLoginProfile");
                assert_eq!(e.get("error_code").unwrap(), "AccessDeniedException");
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let single = r#"{"source":"aws.iam","detail":{"eventName":"CreateUser"}}"#;
        assert!(fires(&EventBridgeRuleOnIdentityCreation, &put_rule(single, ROLE, "")));
    }

    #[test]
    fn other_patterns_are_ignored() {
        for pattern in [
            // Every IAM event: audit and inventory automation.
            r#"{"source":["aws.iam"]}"#,
            r#"{"source":["aws.iam"],"detail":{"eventName":["DeleteRole","AttachRolePolicy"]}}"#,
            r#"{"source":["aws.ec2"],"detail":{"eventName":["CreateRole"]}}"#,
            r#"{"source":["aws.ec2"],"detail-type":["EC2 Instance State-change Notification"]}"#,
            r#"{"source":["aws.iam"],"detail":{"eventName":[{"prefix":""}]}}"#,
            "not json",
        ] {
            assert!(!fires(&EventBridgeRuleOnIdentityCreation, &put_rule(pattern, ROLE, "")), "{pattern}");
        }
        let scheduled = record(SOURCE, PUT_RULE, ROLE, r#"{"name":"nightly","scheduleExpression":"rate(1 day)"}"#, "");
        assert!(!fires(&EventBridgeRuleOnIdentityCreation, &scheduled));
    }

    #[test]
    fn aws_services_are_left_out() {
        assert!(!fires(&EventBridgeRuleOnIdentityCreation, &put_rule(PACU, SERVICE, "")));
    }
}
