//! A WAF rule group deleted (`DeleteRuleGroup`, WAFv2 or classic WAF), a classic
//! WAF rule deleted (`DeleteRule`, `DeleteRateBasedRule`: WAFv2 has no such
//! calls; its rules live inside web ACLs and rule groups), or a WAFv2 rule group
//! emptied (`UpdateRuleGroup`, which replaces the whole group, sent with no rules:
//! an empty list or none at all), successfully. WAFv2 refuses to delete a rule
//! group that a web ACL still references, so emptying it is how its protection is
//! removed while every ACL keeps pointing at it. A deletion an AWS service makes on
//! its own (Firewall Manager removing its policies' groups) is left out, a
//! CloudFormation stack's is not.
//!
//! Decisions: EventBridge's `DeleteRule` has the same name; only the WAF event
//! sources are read here (EventBridge rules have their own detection). Classic WAF's
//! `UpdateRuleGroup` lists changes (`updates`), not the group's rules: whether the
//! group is left empty cannot be read from the record, so it is left out.
//! A single rule dropped from a WAFv2 web ACL is an `UpdateWebACL` that leaves it
//! out: telling that apart from any other edit needs the ACL's previous rules,
//! which the record does not carry (a stated limit; an ACL emptied whole is
//! `waf-web-acl-deleted`'s). From a third evasion review: a WAFv2 IP set's
//! address list replaced (`UpdateIPSet` replaces it whole) by one that holds
//! the internet (medium: never sane in a block list or an allow list) or by
//! nothing (low: a block rule that used it now blocks nothing). Classic WAF's calls are kept for accounts that
//! still hold it (from a third evasion review, which found the text claiming a
//! WAFv2 `DeleteRule`).

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    aws_service_caller_but_stack, cidrs_open_to_internet, succeeded_call, succeeded_waf_call, waf_evidence,
    waf_rules_emptied, waf_triggers,
};
use crate::event::Record;

pub struct WafRuleDeleted;

const NAMES: &[&str] = &["DeleteRule", "DeleteRuleGroup", "DeleteRateBasedRule"];
const WAFV2: &str = "wafv2.amazonaws.com";
const UPDATE: &str = "UpdateRuleGroup";
/// An IP set's whole address list replaced (from a third evasion review).
const IP_SET: &str = "UpdateIPSet";

pub static META: Meta = Meta {
    id: "waf-rule-deleted",
    title: "AWS WAF Rule or Rule Group Deleted, or IP Set Emptied or Opened",
    description: "A WAF rule or rule group was deleted, a rule group was emptied of its \
                  rules, or an IP set was emptied or given the whole internet. Removing the rule that blocks an attacker's addresses, rate-limits a \
                  login page or filters injection payloads weakens the web ACLs that used it \
                  without deleting them outright.",
    severity: Severity::Medium,
    attack: &["T1562.001", "T1562.007"],
    origins: &[
        "Elastic detection-rules defense_evasion_waf_rule_or_rule_group_deletion.toml",
        "Splunk ESCU detections/cloud/aws_defense_evasion_impair_security_services.yml \
         (its DeleteRule and DeleteRuleGroup parts)",
    ],
    group: "web-protection",
    false_positives: &["Infrastructure-as-code rewriting WAF rules; clean-up of unused rules."],
    next_steps: "Check which web ACLs used the rule and what it blocked. If not planned, \
                 restore it and review the protected applications' traffic and the caller's \
                 activity since.",
    evidence: "action api emptied id name open_to_internet resource_arn scope",
    triggers: &Trigger::joined::<3, 1, 4>(waf_triggers(NAMES), [Trigger::write(WAFV2, &[UPDATE, IP_SET])]),
    window: None,
};

impl Detection for WafRuleDeleted {
    fn meta(&self) -> &'static Meta {
        &META
    }

    /// An IP set emptied is low: emptying an allow list only tightens, and block
    /// lists are cleared by hand too.
    fn severity_for(&self, rec: &Record<'_>) -> Severity {
        if rec.event_name() == IP_SET && ip_set_change(rec) == Some(IpSetChange::Emptied) {
            Severity::Low
        } else {
            META.severity
        }
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if succeeded_call(rec, WAFV2, &[IP_SET]) && !aws_service_caller_but_stack(rec) {
            let e = waf_evidence(rec);
            return match ip_set_change(rec)? {
                IpSetChange::Emptied => fire(e.with("emptied", true)),
                IpSetChange::OpenToInternet(blocks) => fire(e.with("open_to_internet", blocks)),
            };
        }
        if succeeded_call(rec, WAFV2, &[UPDATE]) {
            return waf_rules_emptied(rec).then(|| Signal::Fire(waf_evidence(rec).with("emptied", true)));
        }
        if !succeeded_waf_call(rec, NAMES) || aws_service_caller_but_stack(rec) {
            return None;
        }
        fire(waf_evidence(rec))
    }
}

/// What an `UpdateIPSet` did that matters: emptied the set (a block list's rule
/// now blocks nothing while every ACL still references it), or listed the
/// internet (`common::cidrs_open_to_internet`: halves of it included), which in an
/// allow list lets every request skip the later rules.
#[derive(Debug, PartialEq)]
enum IpSetChange {
    Emptied,
    OpenToInternet(Vec<String>),
}

fn ip_set_change(rec: &Record<'_>) -> Option<IpSetChange> {
    let addresses: Vec<&str> = rec
        .request_param("addresses")?
        .as_array()?
        .iter()
        .filter_map(|a| a.as_str())
        .collect();
    if addresses.iter().all(|a| a.trim().is_empty()) {
        return Some(IpSetChange::Emptied);
    }
    let open = cidrs_open_to_internet(&addresses);
    (!open.is_empty()).then(|| IpSetChange::OpenToInternet(open.into_iter().map(str::to_owned).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing;
    use crate::detections::common::calls::{call, failed};
    use crate::detections::common::testing::{eval, fires};
    use std::sync::LazyLock;

    static DELETE: LazyLock<String> =
        LazyLock::new(|| call("wafv2.amazonaws.com", "DeleteRuleGroup", r#"{"name":"block-bad-ips","scope":"CLOUDFRONT","id":"rg-1","lockToken":"t"}"#));

    /// From a third evasion review: an IP set emptied or given the internet.
    #[test]
    fn ip_sets_emptied_or_opened_fire() {
        let set = |addresses: &str| {
            call(WAFV2, IP_SET, &format!(r#"{{"name":"blocked-scanners","scope":"REGIONAL","id":"s-1","addresses":{addresses},"lockToken":"t"}}"#))
        };
        let severity = |json: &str| testing::severity(&WafRuleDeleted, json);
        let emptied = set("[]");
        assert!(fires(&WafRuleDeleted, &emptied));
        assert_eq!(severity(&emptied), Severity::Low);
        let halves = set(r#"["0.0.0.0/1","128.0.0.0/1"]"#);
        match eval(&WafRuleDeleted, &halves) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("open_to_internet"), Some(&serde_json::json!(["0.0.0.0/1", "128.0.0.0/1"]))),
            other => panic!("expected a finding, got {other:?}"),
        }
        assert_eq!(severity(&halves), Severity::Medium);
        assert!(!fires(&WafRuleDeleted, &set(r#"["198.51.100.0/24","2001:db8::/32"]"#)));
        assert!(!fires(&WafRuleDeleted, &call(WAFV2, IP_SET, r#"{"name":"x","id":"s-1"}"#)));
    }

    #[test]
    fn fires_on_rules_and_rule_groups() {
        match eval(&WafRuleDeleted, &DELETE) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("name").and_then(|v| v.as_str()), Some("block-bad-ips"))
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let classic_rule = DELETE
            .replace("wafv2.amazonaws.com", "waf.amazonaws.com")
            .replace("DeleteRuleGroup", "DeleteRule")
            .replace(
                r#"{"name":"block-bad-ips","scope":"CLOUDFRONT","id":"rg-1","lockToken":"t"}"#,
                r#"{"ruleId":"r-1","changeToken":"c"}"#,
            );
        match eval(&WafRuleDeleted, &classic_rule) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("id").and_then(|v| v.as_str()), Some("r-1")),
            other => panic!("expected a finding, got {other:?}"),
        }
        let rate_based = classic_rule.replace("\"DeleteRule\"", "\"DeleteRateBasedRule\"");
        assert_ne!(rate_based, classic_rule);
        assert!(fires(&WafRuleDeleted, &rate_based));
    }

    #[test]
    fn ignores_eventbridge_failures_and_other_calls() {
        let eventbridge = DELETE
            .replace("wafv2.amazonaws.com", "events.amazonaws.com")
            .replace("DeleteRuleGroup", "DeleteRule");
        assert!(!fires(&WafRuleDeleted, &eventbridge));
        let denied = failed(&DELETE, "WAFAssociatedItemException");
        assert!(!fires(&WafRuleDeleted, &denied));
        assert!(!fires(&WafRuleDeleted, &DELETE.replace("DeleteRuleGroup", "DeleteIPSet")));
    }

    fn update(rules: &str) -> String {
        call(
            "wafv2.amazonaws.com",
            "UpdateRuleGroup",
            &format!(
                r#"{{"name":"block-bad-ips","scope":"REGIONAL","id":"rg-1","rules":{rules},"lockToken":"t","visibilityConfig":{{"sampledRequestsEnabled":true,"cloudWatchMetricsEnabled":true,"metricName":"block-bad-ips"}}}}"#
            ),
        )
    }

    #[test]
    fn a_rule_group_emptied_counts() {
        match eval(&WafRuleDeleted, &update("[]")) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("emptied").and_then(|v| v.as_bool()), Some(true));
                assert_eq!(e.get("name").and_then(|v| v.as_str()), Some("block-bad-ips"));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(!fires(&WafRuleDeleted, &failed(&update("[]"), "WAFOptimisticLockException")));
    }

    #[test]
    fn a_rule_group_that_keeps_rules_or_is_classic_is_ignored_and_one_left_out_counts() {
        let one_rule = r#"[{"name":"bad-ips","priority":0,"action":{"block":{}},"statement":{"ipSetReferenceStatement":{"arn":"arn:aws:wafv2:us-east-1:111122223333:regional/ipset/bad/1"}},"visibilityConfig":{"sampledRequestsEnabled":true,"cloudWatchMetricsEnabled":true,"metricName":"bad-ips"}}]"#;
        assert!(!fires(&WafRuleDeleted, &update(one_rule)));
        // An update replaces the whole group: rules left out are gone too.
        let no_rules = update("[]").replace(r#""rules":[],"#, "");
        assert!(!no_rules.contains("\"rules\""));
        assert!(fires(&WafRuleDeleted, &no_rules));
        // Classic WAF's update lists changes, not the group's rules.
        let classic = call(
            "waf.amazonaws.com",
            "UpdateRuleGroup",
            r#"{"ruleGroupId":"rg-1","changeToken":"c","updates":[{"action":"DELETE","activatedRule":{"priority":1,"ruleId":"r-1","action":{"type":"BLOCK"}}}]}"#,
        );
        assert!(!fires(&WafRuleDeleted, &classic));
    }
}
