//! An EventBridge rule disabled (`DisableRule`), deleted (`DeleteRule`), replaced by a
//! disabled one (`PutRule` with `state` `DISABLED`: a put replaces the rule) or
//! stripped of targets (`RemoveTargets`: a rule without targets delivers nothing) by
//! a person or script, successfully.
//!
//! Decisions: any rule, on any bus (trailwatch's own rules have their own detection in
//! the self-protection group). Calls an AWS service makes on someone's behalf
//! (`userIdentity.invokedBy` a service, e.g. CloudFormation deleting a stack, or a
//! service removing its managed rule) and `AWSService` callers are left out: those
//! follow another change that is the thing to review, except a stack disabling a
//! rule (`DisableRule`, or `PutRule` with `state` `DISABLED` through CloudFormation),
//! which nothing else explains. Calls made in the web console
//! (`invokedBy: signin.amazonaws.com`) are a person's and count.
//! - A rule of trailwatch's own (its resource prefix) is critical, as
//!   `trailwatch-tampering`'s findings are: that detection is fed by the central
//!   self-protection rule, and a change to that very rule takes effect before
//!   its record arrives, so this function's rule is the second path that still
//!   reports it (from a review). On a rule of trailwatch's own any `PutRule`
//!   counts, enabled or not (a pattern that matches nothing blinds it as surely),
//!   and so does `PutTargets` (its targets replaced by others), from an evasion
//!   review; on anyone else's rule those are everyday changes.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_caller, succeeded_call, text_is};
use crate::event::Record;

pub struct EventBridgeRuleDisabledOrDeleted;

const SOURCE: &str = "events.amazonaws.com";
const NAMES: &[&str] = &["DeleteRule", "DisableRule", "PutRule", "PutTargets", "RemoveTargets"];

pub static META: Meta = Meta {
    id: "eventbridge-rule-disabled-or-deleted",
    title: "AWS EventBridge Rule Disabled or Deleted",
    description: "An EventBridge rule was disabled or deleted. Rules route events to security \
                  tooling, alerting and automated remediation (trailwatch itself is fed this \
                  way); stopping one silently cuts whatever depended on it.",
    severity: Severity::Low,
    attack: &["T1562.001", "T1489"],
    origins: &["Elastic detection-rules impact_aws_eventbridge_rule_disabled_or_deleted.toml"],
    group: "monitoring-tamper",
    false_positives: &[
        "Deployments and clean-ups of applications that use scheduled or event rules; \
         infrastructure-as-code run from a workstation or build host, including rules \
         created in the disabled state and targets moved from one rule to another.",
    ],
    next_steps: "Check what the rule fed (its targets) and whether it belonged to security \
                 monitoring or remediation. Confirm with the owner; if unexpected, re-enable or \
                 recreate it and review the caller's activity.",
    evidence: "action event_bus new_pattern new_targets removed_targets rule",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

impl Detection for EventBridgeRuleDisabledOrDeleted {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn severity_for(&self, rec: &Record<'_>) -> Severity {
        match rule_name(rec) {
            Some(rule) if crate::resources::is_ours(rule) => Severity::Critical,
            _ => META.severity,
        }
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, SOURCE, NAMES) || (aws_service_caller(rec) && !stack_disabling(rec)) {
            return None;
        }
        let ours = rule_name(rec).is_some_and(crate::resources::is_ours);
        // `PutRule` replaces a rule: only a replacement that leaves it disabled
        // counts, and new targets not at all, unless the rule is trailwatch's.
        let changed_only = match rec.event_name() {
            "PutRule" => !text_is(rec.request_param("state"), "DISABLED"),
            "PutTargets" => true,
            _ => false,
        };
        if changed_only && !ours {
            return None;
        }
        fire(
            Evidence::new()
                .with("action", rec.event_name())
                .with_opt("rule", rule_name(rec))
                .with_json("removed_targets", rec.request_param("ids"))
                .with_json("new_pattern", rec.request_param("eventPattern"))
                .with_json("new_targets", rec.request_param("targets"))
                .with_opt("event_bus", rec.request_param_str("eventBusName")),
        )
    }
}

/// A stack setting a rule's state to disabled (`State: DISABLED` in its template):
/// the same act as a person's, and no other change of the stack's explains it
/// (from an evasion review: alert rules are mostly deployed by stacks). A stack's
/// deletions and target changes are its updates' everyday work, and stay out.
fn stack_disabling(rec: &Record<'_>) -> bool {
    rec.invoked_by() == Some("cloudformation.amazonaws.com")
        && rec.identity_type() != Some("AWSService")
        && match rec.event_name() {
            "DisableRule" => true,
            "PutRule" => text_is(rec.request_param("state"), "DISABLED"),
            _ => false,
        }
}

/// The rule a call names: `name`, or `rule` for `RemoveTargets`.
fn rule_name<'r>(rec: &'r Record<'_>) -> Option<&'r str> {
    rec.request_param_str("name")
        .or_else(|| rec.request_param_str("rule"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing;
    use crate::detections::common::testing::{eval, fires};

    const DELETE: &str = r#"{"eventSource":"events.amazonaws.com","eventName":"DeleteRule",
        "awsRegion":"eu-west-1","sourceIPAddress":"198.51.100.30","userAgent":"aws-cli/2.15.0",
        "userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/x",
          "accountId":"111122223333","userName":"x"},
        "requestParameters":{"name":"guardduty-to-pagerduty","force":false},"responseElements":null}"#;

    /// From an evasion review: alert rules are deployed by stacks, and a stack
    /// update setting `State: DISABLED` was silent.
    #[test]
    fn a_stack_disabling_a_rule_fires_its_deletions_do_not() {
        let via_stack = |json: &str| {
            json.replace("198.51.100.30", "cloudformation.amazonaws.com")
                .replace(r#""userIdentity":{"#, r#""userIdentity":{"invokedBy":"cloudformation.amazonaws.com","#)
        };
        let disabled = DELETE.replace("DeleteRule", "PutRule").replace(r#""force":false"#, r#""state":"DISABLED""#);
        assert!(fires(&EventBridgeRuleDisabledOrDeleted, &via_stack(&disabled)));
        assert!(fires(&EventBridgeRuleDisabledOrDeleted, &via_stack(&DELETE.replace("DeleteRule", "DisableRule"))));
        assert!(!fires(&EventBridgeRuleDisabledOrDeleted, &via_stack(DELETE)));
        assert!(!fires(&EventBridgeRuleDisabledOrDeleted, &via_stack(&disabled.replace("DISABLED", "ENABLED"))));
    }

    #[test]
    fn fires_with_the_rule() {
        match eval(&EventBridgeRuleDisabledOrDeleted, DELETE) {
            Some(Signal::Fire(e)) => assert_eq!(
                e.get("rule").and_then(|v| v.as_str()),
                Some("guardduty-to-pagerduty")
            ),
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(fires(
            &EventBridgeRuleDisabledOrDeleted,
            &DELETE.replace("DeleteRule", "DisableRule")
        ));
    }

    /// trailwatch's own rules (the default prefix in tests) are critical.
    #[test]
    fn a_rule_of_trailwatch_s_own_is_critical() {
        let ours = DELETE.replace("guardduty-to-pagerduty", "trailwatch-self-protection");
        let sev = |text: &str| testing::severity(&EventBridgeRuleDisabledOrDeleted, text);
        assert!(fires(&EventBridgeRuleDisabledOrDeleted, &ours));
        assert_eq!(sev(&ours), Severity::Critical);
        let stripped = ours.replace("DeleteRule", "RemoveTargets").replace(r#""name":"#, r#""rule":"#);
        assert_eq!(sev(&stripped), Severity::Critical);
        assert_eq!(sev(DELETE), Severity::Low);
        // A rule whose name only holds the prefix further on is not ours.
        assert_eq!(sev(&DELETE.replace("guardduty-to-pagerduty", "copy-of-trailwatch-rule")), Severity::Low);
    }

    /// From an evasion review: trailwatch's own rule rewritten while enabled (a
    /// pattern that matches nothing) or given other targets is critical; the
    /// same calls on anyone else's rule are everyday changes.
    #[test]
    fn trailwatch_s_rule_rewritten_or_retargeted_is_critical() {
        let put_rule = |name: &str| {
            DELETE.replace("DeleteRule", "PutRule").replace(
                r#""name":"guardduty-to-pagerduty","force":false"#,
                &format!(r#""name":"{name}","eventPattern":"{{\"source\":[\"nothing.ever\"]}}","state":"ENABLED""#),
            )
        };
        let put_targets = |rule: &str| {
            DELETE.replace("DeleteRule", "PutTargets").replace(
                r#""name":"guardduty-to-pagerduty","force":false"#,
                &format!(r#""rule":"{rule}","targets":[{{"id":"1","arn":"arn:aws:sqs:eu-west-1:444455556666:sink"}}]"#),
            )
        };
        let sev = |text: &str| testing::severity(&EventBridgeRuleDisabledOrDeleted, text);
        for ours in [put_rule("trailwatch-self-protection"), put_targets("trailwatch-logging-tamper")] {
            match eval(&EventBridgeRuleDisabledOrDeleted, &ours) {
                Some(Signal::Fire(e)) => assert!(e.get("new_pattern").or(e.get("new_targets")).is_some(), "{e:?}"),
                other => panic!("expected a finding, got {other:?}"),
            }
            assert_eq!(sev(&ours), Severity::Critical);
        }
        assert!(!fires(&EventBridgeRuleDisabledOrDeleted, &put_rule("orders-nightly")));
        assert!(!fires(&EventBridgeRuleDisabledOrDeleted, &put_targets("orders-nightly")));
    }

    #[test]
    fn ignores_failures_services_and_other_calls() {
        let denied = DELETE.replace(
            "\"requestParameters\"",
            r#""errorCode":"ResourceNotFoundException","requestParameters""#,
        );
        assert!(!fires(&EventBridgeRuleDisabledOrDeleted, &denied));
        let by_cfn = DELETE.replace(
            r#""userName":"x"}"#,
            r#""userName":"x","invokedBy":"cloudformation.amazonaws.com"}"#,
        );
        assert_ne!(by_cfn, DELETE);
        assert!(!fires(&EventBridgeRuleDisabledOrDeleted, &by_cfn));
        let service = DELETE.replace(r#""type":"IAMUser""#, r#""type":"AWSService""#);
        assert!(!fires(&EventBridgeRuleDisabledOrDeleted, &service));
        // The web console is a person at work, not a service.
        let console = DELETE.replace(
            r#""userName":"x"}"#,
            r#""userName":"x","invokedBy":"signin.amazonaws.com"}"#,
        );
        assert_ne!(console, DELETE);
        assert!(fires(&EventBridgeRuleDisabledOrDeleted, &console));
        // A PutRule that does not leave the rule disabled, and enabling, are not.
        for to in ["PutRule", "EnableRule", "ListTargetsByRule"] {
            assert!(
                !fires(&EventBridgeRuleDisabledOrDeleted, &DELETE.replace("DeleteRule", to)),
                "{to}"
            );
        }
        let enabled = DELETE.replace("DeleteRule", "PutRule").replace(r#""name":"#, r#""state":"ENABLED","name":"#);
        assert_ne!(enabled, DELETE.replace("DeleteRule", "PutRule"));
        assert!(!fires(&EventBridgeRuleDisabledOrDeleted, &enabled));
    }

    #[test]
    fn a_rule_replaced_as_disabled_or_stripped_of_its_targets_counts() {
        let disabled = DELETE.replace("DeleteRule", "PutRule").replace(r#""name":"#, r#""state":"disabled","name":"#);
        assert!(fires(&EventBridgeRuleDisabledOrDeleted, &disabled));
        let stripped = DELETE.replace("DeleteRule", "RemoveTargets").replace(r#""name":"#, r#""ids":["pagerduty"],"rule":"#);
        match eval(&EventBridgeRuleDisabledOrDeleted, &stripped) {
            Some(Signal::Fire(e)) => {
                assert!(e.get("rule").is_some());
                assert_eq!(e.get("removed_targets"), Some(&serde_json::json!(["pagerduty"])));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
    }
}
