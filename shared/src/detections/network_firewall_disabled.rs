//! AWS Network Firewall taken down or blinded, successfully: a firewall deleted
//! (`DeleteFirewall`), taken off subnets (`DisassociateSubnets`), off a transit
//! gateway's Availability Zones (`DisassociateAvailabilityZones`) or out of a VPC
//! it served through an endpoint association (`DeleteVpcEndpointAssociation`; both
//! from an evasion review), its delete
//! protection switched off (`UpdateFirewallDeleteProtection` with
//! `deleteProtection` false; likewise, since a later session, its change
//! protections: `UpdateFirewallPolicyChangeProtection`,
//! `UpdateSubnetChangeProtection`, the guards that must go before its policy is
//! swapped or its subnets detached), its logging emptied (`UpdateLoggingConfiguration`
//! leaving no log destination, or given no configuration at all, which clears it),
//! or a firewall policy written to pass every packet (`UpdateFirewallPolicy`, or
//! `CreateFirewallPolicy` for a policy to associate later).
//!
//! Decisions: each removes inspection or its record for a network's traffic, the
//! step before exfiltration or command and control through it. Logging is judged
//! by the configuration the request leaves: no destination at all is logging off
//! (the API removes one destination per call, so an attacker's last call is the one
//! seen); changing one destination for another is not. Deleting a firewall policy
//! is not watched: the service refuses while a firewall uses it. A policy
//! rewritten to pass everything is judged by what the request leaves (from an
//! evasion review): no stateless rule group, and either a stateless default action
//! of `aws:pass` (nothing reaches the stateful engine) or a forward to a stateful
//! engine with no rule group and no default drop; a policy with any stateless rule
//! group is not judged (its rules may drop). A policy created with a stateless
//! default of `aws:pass` is judged too (one created without rule groups yet is
//! not: that is how many are built):
//! associating it with a firewall (`AssociateFirewallPolicy`) names it only, and
//! cannot be told from an ordinary policy change in the record, a stated limit.
//! Dry runs (`dryRun` true) change nothing and are left out. Not judged: stateful
//! rule groups whose every drop is overridden to an alert (`DROP_TO_ALERT`). Changes AWS services make on
//! their own (Firewall Manager's policies) are left out; a stack's change counts.
//!
//! From a second evasion review: a stateful rule group created or rewritten
//! (`CreateRuleGroup`, `UpdateRuleGroup`) with a rule that passes every packet of
//! IP, TCP or UDP between any addresses and ports (`pass ip any any -> any any` in
//! its Suricata text, or a `PASS` standard rule whose header says `ANY`
//! throughout): in the default rule order pass rules are evaluated first, so one
//! such rule in any group the policy uses lets everything through.
//!
//! From a third evasion review: an address that takes in the internet
//! (`0.0.0.0/0`, `::/0`, two halves: `common::cidrs_open_to_internet`) is `any`,
//! and so is a port range over every port (`0:65535`, `[1:]`); and a stateless
//! rule group's rule that passes every packet (`aws:pass`, with no address,
//! port or flag narrowing, and TCP or UDP among its protocols if it lists any)
//! counts, since stateless rules run first and a pass skips the stateful
//! engine. A stateful rule whose options do more than name it (`content`, a
//! sticky buffer such as `tls.sni`, `flow`...) is narrowed by them, and does
//! not count (from a review: domain allow-lists fired). Rules that pass only the protected network's own egress
//! (`$HOME_NET -> any`) are not judged: that is many networks' design.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    aws_service_caller_but_stack, cidrs_open_to_internet, flag_value, request_param_any, request_text_any, succeeded_call,
    whole_number,
};
use crate::event::Record;

pub struct NetworkFirewallDisabled;

const SOURCE: &str = "network-firewall.amazonaws.com";
const CALLS: &[&str] = &[
    "DeleteFirewall",
    "DeleteVpcEndpointAssociation",
    "DisassociateAvailabilityZones",
    "DisassociateSubnets",
    "CreateFirewallPolicy",
    "UpdateFirewallDeleteProtection",
    "UpdateFirewallPolicyChangeProtection",
    "UpdateSubnetChangeProtection",
    "UpdateFirewallPolicy",
    "UpdateLoggingConfiguration",
    "CreateRuleGroup",
    "UpdateRuleGroup",
];

pub static META: Meta = Meta {
    id: "network-firewall-disabled",
    title: "AWS Network Firewall Deleted, Detached or Blinded",
    description: "A Network Firewall was deleted or taken off subnets, its delete \
                  or change protection was switched off, its logging was left with no \
                  destination, or a firewall policy was rewritten to let every packet \
                  through. Traffic through those networks is no longer inspected, or no \
                  longer recorded.",
    severity: Severity::Medium,
    attack: &["T1562.004", "T1562.008"],
    origins: &[
        "trailwatch: from a red-team gap hunt (Network Firewall protection and logging \
         switched off)",
    ],
    group: "network-exposure",
    false_positives: &[
        "Network changes by the team that runs the firewalls (re-architecture, subnet moves, \
         log destination changes done in two steps).",
    ],
    next_steps: "Confirm the change with the network team. If it is not explained, restore the \
                 firewall, its subnets and its logging, and review the traffic of the affected \
                 networks since the change.",
    evidence: "action subnets target",
    triggers: &[Trigger::write(SOURCE, CALLS)],
    window: None,
};

/// Whether an `UpdateLoggingConfiguration` request leaves the firewall without any
/// log destination. `None` when the request does not say.
fn logging_emptied(rec: &Record<'_>) -> Option<bool> {
    let Some(config) = request_param_any(rec, &["loggingConfiguration", "LoggingConfiguration"]) else {
        // A call without a configuration clears it, unless it only switches the
        // monitoring dashboard.
        let dashboard_only = request_param_any(rec, &["enableMonitoringDashboard", "EnableMonitoringDashboard"]).is_some();
        return (!dashboard_only).then_some(true);
    };
    if config.is_null() {
        return Some(true);
    }
    // A configuration object without a destination list has no destination.
    let Some(destinations) = ["logDestinationConfigs", "LogDestinationConfigs"]
        .into_iter()
        .find_map(|k| config.get(k))
    else {
        return Some(config.is_object());
    };
    Some(match destinations {
        serde_json::Value::Array(items) => items.is_empty(),
        serde_json::Value::Null => true,
        _ => false,
    })
}

/// Whether an `UpdateFirewallPolicy` request leaves a policy that lets every
/// packet through uninspected (see the module's decisions). `false` when the
/// request carries no policy or one we cannot read.
fn policy_passes_everything(rec: &Record<'_>, created: bool) -> bool {
    use serde_json::Value;
    let Some(policy) = request_param_any(rec, &["firewallPolicy", "FirewallPolicy"]).filter(|p| p.is_object()) else {
        return false;
    };
    let field = |names: [&str; 2]| names.into_iter().find_map(|k| policy.get(k)).filter(|v| !v.is_null());
    // Actions as the request lists them, trimmed and in lower case; `None` for
    // a value of another shape.
    let actions = |names: [&str; 2]| -> Option<Vec<String>> {
        match field(names) {
            None => Some(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|a| a.as_str().map(|a| a.trim().to_ascii_lowercase()))
                .collect(),
            Some(_) => None,
        }
    };
    let no_groups = |names: [&str; 2]| match field(names) {
        None => true,
        Some(Value::Array(items)) => items.is_empty(),
        Some(_) => false,
    };
    if !no_groups(["statelessRuleGroupReferences", "StatelessRuleGroupReferences"]) {
        return false;
    }
    let Some(stateless) = actions(["statelessDefaultActions", "StatelessDefaultActions"]) else {
        return false;
    };
    if stateless.iter().any(|a| a == "aws:pass") {
        return true;
    }
    // A policy is often created before its rule groups are added: only an
    // explicit pass is judged at creation.
    if created {
        return false;
    }
    let Some(stateful_default) = actions(["statefulDefaultActions", "StatefulDefaultActions"]) else {
        return false;
    };
    stateless.iter().any(|a| a == "aws:forward_to_sfe")
        && no_groups(["statefulRuleGroupReferences", "StatefulRuleGroupReferences"])
        && !stateful_default.iter().any(|a| a.starts_with("aws:drop"))
}

/// Protocols a pass rule lets through wholly enough to open the network.
const PASSED_PROTOCOLS: [&str; 3] = ["ip", "tcp", "udp"];

/// A rule's address that takes in the internet: `any`, or a block or bracket
/// list of blocks that does (`0.0.0.0/0`, `::/0`, `[0.0.0.0/1,128.0.0.0/1]`:
/// `common::cidrs_open_to_internet`, as security groups are judged; from an
/// evasion review, and a review of that change: only the word `any`, then only
/// three spellings, were read).
fn every_address(word: &str) -> bool {
    let items: Vec<&str> = listed(word).collect();
    items.iter().any(|a| a.eq_ignore_ascii_case("any")) || !cidrs_open_to_internet(&items).is_empty()
}

/// The items of a rule's address or port: one, or a bracket list of them
/// (`[0.0.0.0/1,128.0.0.0/1]`), trimmed, empty ones left out.
fn listed(word: &str) -> impl Iterator<Item = &str> {
    let word = word.trim();
    word.strip_prefix('[')
        .and_then(|w| w.strip_suffix(']'))
        .unwrap_or(word)
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
}

/// A rule's port that is every port: `any`, or a range from 0 or 1 to the top
/// (`0:65535`, `1:65535`, `0:`), alone or in a bracket list.
fn every_port(word: &str) -> bool {
    listed(word).any(|p| {
        p.eq_ignore_ascii_case("any")
            || p.split_once(':').is_some_and(|(low, high)| {
                low.trim().parse::<u32>().is_ok_and(|l| l <= 1)
                    && (high.trim().is_empty() || high.trim().parse::<u32>().is_ok_and(|h| h >= 65_535))
            })
    })
}

/// A Suricata rule line that passes every packet of a protocol in
/// [`PASSED_PROTOCOLS`]: `pass <proto> any any -> any any` (or `<>`; an
/// address may be written as [`every_address`] reads it).
fn suricata_passes_everything(rules: &str) -> bool {
    rules.lines().any(|line| {
        let words: Vec<String> = line.split_whitespace().take(7).map(str::to_ascii_lowercase).collect();
        let options = line.split_once('(').map_or("", |(_, rest)| rest.rsplit_once(')').map_or(rest, |(o, _)| o));
        matches!(&words[..], [action, proto, src, sport, dir, dst, dport]
            if action == "pass"
                && PASSED_PROTOCOLS.contains(&proto.as_str())
                && every_address(src)
                && every_address(dst)
                && every_port(sport)
                && every_port(dport)
                && (dir == "->" || dir == "<>"))
            && options_only_describe(options.split(';').map(|o| o.split(':').next().unwrap_or("")))
    })
}

/// Rule options that only name and describe a rule; any other (`content`, a
/// sticky buffer such as `tls.sni`, `flow`, `dsize`...) narrows what it
/// matches, so the pass is not of every packet (from a review: an allow-list
/// of domains, `pass tcp any any -> any any (tls.sni; content:...)`, fired).
fn options_only_describe<'o>(keywords: impl Iterator<Item = &'o str>) -> bool {
    const DESCRIBING: [&str; 8] = ["sid", "rev", "msg", "metadata", "classtype", "priority", "gid", "reference"];
    keywords
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .all(|k| DESCRIBING.iter().any(|d| d.eq_ignore_ascii_case(k)))
}

/// A stateless rule (`StatelessRulesAndCustomActions.StatelessRules`) whose
/// actions include `aws:pass` and whose match is every packet: no or only
/// [`every_address`] sources and destinations, and no protocol, port or TCP
/// flag narrowing. Stateless rules run before the stateful engine, and a pass
/// there skips it: one such rule lets everything through uninspected (from an
/// evasion review).
fn stateless_rule_passes_everything(rule: &serde_json::Value) -> bool {
    use crate::detections::common::{one_or_many, pascal_or_camel};
    use serde_json::Value;
    let Some(definition) = pascal_or_camel(rule, "RuleDefinition") else {
        return false;
    };
    let passes = one_or_many(pascal_or_camel(definition, "Actions"))
        .iter()
        .any(|a| a.as_str().is_some_and(|a| a.trim().eq_ignore_ascii_case("aws:pass")));
    let Some(matched) = pascal_or_camel(definition, "MatchAttributes").filter(|m| m.is_object()) else {
        return passes && pascal_or_camel(definition, "MatchAttributes").is_none();
    };
    let unset = |k: &str| match pascal_or_camel(matched, k) {
        None | Some(Value::Null) => true,
        Some(Value::Array(items)) => items.is_empty(),
        Some(_) => false,
    };
    let addresses_all = |k: &str| {
        let blocks: Vec<&str> = one_or_many(pascal_or_camel(matched, k))
            .iter()
            .filter_map(|a| pascal_or_camel(a, "AddressDefinition").and_then(Value::as_str))
            .collect();
        unset(k) || !cidrs_open_to_internet(&blocks).is_empty()
    };
    // Ports: none given, or one range from 0 or 1 to the top.
    let ports_all = |k: &str| {
        unset(k)
            || one_or_many(pascal_or_camel(matched, k)).iter().any(|r| {
                whole_number(pascal_or_camel(r, "FromPort")).is_some_and(|f| f <= 1)
                    && whole_number(pascal_or_camel(r, "ToPort")).is_some_and(|t| t >= 65_535)
            })
    };
    // Protocols: none given, or TCP or UDP among them (as the stateful path
    // takes `pass tcp` and `pass udp`).
    let protocols_wide = unset("Protocols")
        || one_or_many(pascal_or_camel(matched, "Protocols"))
            .iter()
            .any(|p| whole_number(Some(p)).is_some_and(|n| n == 6 || n == 17));
    passes
        && addresses_all("Sources")
        && addresses_all("Destinations")
        && ports_all("SourcePorts")
        && ports_all("DestinationPorts")
        && protocols_wide
        && ["TCPFlags", "tcpFlags"].iter().all(|k| unset(k))
}

/// A rule group request (`rules` text, or `ruleGroup.rulesSource` with
/// `rulesString` or `statefulRules`) that passes every packet.
fn rule_group_passes_everything(rec: &Record<'_>) -> bool {
    use crate::detections::common::{one_or_many, pascal_or_camel};
    use serde_json::Value;
    if request_text_any(rec, &["rules", "Rules"]).is_some_and(suricata_passes_everything) {
        return true;
    }
    let Some(source) = request_param_any(rec, &["ruleGroup", "RuleGroup"]).and_then(|g| pascal_or_camel(g, "RulesSource")) else {
        return false;
    };
    if pascal_or_camel(source, "RulesString").and_then(Value::as_str).is_some_and(suricata_passes_everything) {
        return true;
    }
    let any = |v: Option<&Value>| v.and_then(Value::as_str).is_some_and(every_port);
    let address = |v: Option<&Value>| v.and_then(Value::as_str).is_some_and(every_address);
    let stateful = one_or_many(pascal_or_camel(source, "StatefulRules")).iter().any(|rule| {
        let header = pascal_or_camel(rule, "Header");
        let field = |k: &str| header.and_then(|h| pascal_or_camel(h, k));
        pascal_or_camel(rule, "Action").and_then(Value::as_str).is_some_and(|a| a.trim().eq_ignore_ascii_case("pass"))
            && field("Protocol").and_then(Value::as_str).is_some_and(|p| PASSED_PROTOCOLS.iter().any(|x| x.eq_ignore_ascii_case(p.trim())))
            && address(field("Source"))
            && address(field("Destination"))
            && ["SourcePort", "DestinationPort"].iter().all(|k| any(field(k)))
            && options_only_describe(
                one_or_many(pascal_or_camel(rule, "RuleOptions"))
                    .into_iter()
                    .filter_map(|o| pascal_or_camel(o, "Keyword").and_then(Value::as_str)),
            )
    });
    stateful
        || pascal_or_camel(source, "StatelessRulesAndCustomActions")
            .map(|s| one_or_many(pascal_or_camel(s, "StatelessRules")))
            .unwrap_or_default()
            .iter()
            .any(|rule| stateless_rule_passes_everything(rule))
}

impl Detection for NetworkFirewallDisabled {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, SOURCE, CALLS) || aws_service_caller_but_stack(rec) {
            return None;
        }
        let counts = match rec.event_name() {
            "UpdateFirewallDeleteProtection" => {
                request_param_any(rec, &["deleteProtection", "DeleteProtection"]).and_then(flag_value) == Some(false)
            }
            "UpdateFirewallPolicyChangeProtection" => {
                request_param_any(rec, &["firewallPolicyChangeProtection", "FirewallPolicyChangeProtection"])
                    .and_then(flag_value)
                    == Some(false)
            }
            "UpdateSubnetChangeProtection" => {
                request_param_any(rec, &["subnetChangeProtection", "SubnetChangeProtection"]).and_then(flag_value)
                    == Some(false)
            }
            "UpdateLoggingConfiguration" => logging_emptied(rec) == Some(true),
            "CreateRuleGroup" | "UpdateRuleGroup" => {
                rule_group_passes_everything(rec)
                    && request_param_any(rec, &["dryRun", "DryRun"]).and_then(flag_value) != Some(true)
            }
            name @ ("CreateFirewallPolicy" | "UpdateFirewallPolicy") => {
                policy_passes_everything(rec, name == "CreateFirewallPolicy")
                    && request_param_any(rec, &["dryRun", "DryRun"]).and_then(flag_value) != Some(true)
            }
            _ => true,
        };
        if !counts {
            return None;
        }
        let target = request_text_any(
            rec,
            &["firewallName", "firewallArn", "firewallPolicyName", "firewallPolicyArn", "ruleGroupName", "ruleGroupArn"],
        );
        fire(
            Evidence::new()
                .with("action", rec.event_name())
                .with_opt("target", target)
                .with_json("subnets", rec.request_param("subnetIds")),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::{eval, fires};

    const FW: &str = r#""firewallName":"egress-inspection""#;

    #[test]
    fn deletions_detachments_protection_off_and_logging_emptied_fire() {
        for (name, params) in [
            ("DeleteFirewall", format!("{{{FW}}}")),
            ("DisassociateSubnets", format!(r#"{{{FW},"subnetIds":["subnet-0a1b2c3d"]}}"#)),
            ("DisassociateAvailabilityZones", format!(r#"{{{FW},"availabilityZoneMappings":[{{"availabilityZone":"us-east-1a"}}]}}"#)),
            (
                "DeleteVpcEndpointAssociation",
                r#"{"vpcEndpointAssociationArn":"arn:aws:network-firewall:us-east-1:111122223333:vpc-endpoint-association/shared-vpc"}"#.to_owned(),
            ),
            ("UpdateFirewallDeleteProtection", format!(r#"{{{FW},"deleteProtection":false}}"#)),
            ("UpdateFirewallDeleteProtection", format!(r#"{{{FW},"deleteProtection":"false"}}"#)),
            ("UpdateFirewallPolicyChangeProtection", format!(r#"{{{FW},"firewallPolicyChangeProtection":false}}"#)),
            ("UpdateSubnetChangeProtection", format!(r#"{{{FW},"SubnetChangeProtection":false}}"#)),
            ("UpdateLoggingConfiguration", format!(r#"{{{FW},"loggingConfiguration":{{"logDestinationConfigs":[]}}}}"#)),
            ("UpdateLoggingConfiguration", format!(r#"{{{FW},"loggingConfiguration":{{}}}}"#)),
        ] {
            match eval(&NetworkFirewallDisabled, &record(SOURCE, name, ROLE, &params, "")) {
                Some(Signal::Fire(e)) => assert_eq!(e.get("action").and_then(|v| v.as_str()), Some(name)),
                other => panic!("expected a finding for {name} {params}, got {other:?}"),
            }
        }
    }

    #[test]
    fn protection_on_logging_kept_services_failures_and_other_calls_do_not() {
        let on = format!(r#"{{{FW},"deleteProtection":true}}"#);
        assert!(!fires(&NetworkFirewallDisabled, &record(SOURCE, "UpdateFirewallDeleteProtection", ROLE, &on, "")));
        let on = format!(r#"{{{FW},"subnetChangeProtection":true}}"#);
        assert!(!fires(&NetworkFirewallDisabled, &record(SOURCE, "UpdateSubnetChangeProtection", ROLE, &on, "")));
        let kept = format!(
            r#"{{{FW},"loggingConfiguration":{{"logDestinationConfigs":[{{"logType":"ALERT","logDestinationType":"S3","logDestination":{{"bucketName":"fw-logs"}}}}]}}}}"#
        );
        assert!(!fires(&NetworkFirewallDisabled, &record(SOURCE, "UpdateLoggingConfiguration", ROLE, &kept, "")));
        // Without a configuration the call clears logging, unless it only sets the dashboard.
        assert!(fires(&NetworkFirewallDisabled, &record(SOURCE, "UpdateLoggingConfiguration", ROLE, &format!("{{{FW}}}"), "")));
        let dashboard = format!(r#"{{{FW},"enableMonitoringDashboard":true}}"#);
        assert!(!fires(&NetworkFirewallDisabled, &record(SOURCE, "UpdateLoggingConfiguration", ROLE, &dashboard, "")));
        assert!(!fires(&NetworkFirewallDisabled, &record(SOURCE, "DeleteFirewall", SERVICE, &format!("{{{FW}}}"), "")));
        assert!(!fires(&NetworkFirewallDisabled, &failed(SOURCE, "DeleteFirewall", ROLE, &format!("{{{FW}}}"), "InvalidOperationException")));
        assert!(!fires(&NetworkFirewallDisabled, &record(SOURCE, "CreateFirewall", ROLE, &format!("{{{FW}}}"), "")));
    }

    fn policy_update(policy: &str) -> String {
        let params = format!(r#"{{"firewallPolicyName":"egress-policy","updateToken":"t-1","firewallPolicy":{policy}}}"#);
        record(SOURCE, "UpdateFirewallPolicy", ROLE, &params, "")
    }

    #[test]
    fn a_policy_rewritten_to_pass_everything_fires() {
        for policy in [
            r#"{"statelessDefaultActions":["aws:pass"],"statelessFragmentDefaultActions":["aws:pass"]}"#,
            r#"{"StatelessDefaultActions":[" AWS:PASS "],"StatefulRuleGroupReferences":[{"ResourceArn":"arn:aws:network-firewall:eu-west-1:123456789012:stateful-rulegroup/block"}]}"#,
            r#"{"statelessDefaultActions":["aws:forward_to_sfe"],"statelessFragmentDefaultActions":["aws:forward_to_sfe"],"statefulRuleGroupReferences":[]}"#,
            r#"{"statelessDefaultActions":["aws:forward_to_sfe"],"statefulDefaultActions":["aws:alert_strict"]}"#,
        ] {
            match eval(&NetworkFirewallDisabled, &policy_update(policy)) {
                Some(Signal::Fire(e)) => {
                    assert_eq!(e.get("target").and_then(|v| v.as_str()), Some("egress-policy"), "{policy}")
                }
                other => panic!("expected a finding for {policy}, got {other:?}"),
            }
        }
    }

    #[test]
    fn policies_that_still_inspect_or_drop_do_not() {
        for policy in [
            r#"{"statelessDefaultActions":["aws:forward_to_sfe"],"statefulRuleGroupReferences":[{"resourceArn":"arn:aws:network-firewall:eu-west-1:123456789012:stateful-rulegroup/block"}]}"#,
            r#"{"statelessDefaultActions":["aws:forward_to_sfe"],"statefulDefaultActions":["aws:drop_established"]}"#,
            r#"{"statelessDefaultActions":["aws:drop"]}"#,
            // Stateless rules decide first: not judged.
            r#"{"statelessDefaultActions":["aws:pass"],"statelessRuleGroupReferences":[{"resourceArn":"arn:aws:network-firewall:eu-west-1:123456789012:stateless-rulegroup/deny","priority":1}]}"#,
            r#"{"statelessDefaultActions":"aws:pass"}"#,
            r#""(unreadable)""#,
        ] {
            assert!(!fires(&NetworkFirewallDisabled, &policy_update(policy)), "{policy}");
        }
        let params = r#"{"firewallPolicyName":"egress-policy","updateToken":"t-1"}"#;
        assert!(!fires(&NetworkFirewallDisabled, &record(SOURCE, "UpdateFirewallPolicy", ROLE, params, "")));
        // A dry run changes nothing (from a review).
        let dry = r#"{"firewallPolicyName":"egress-policy","updateToken":"t-1","dryRun":true,"firewallPolicy":{"statelessDefaultActions":["aws:pass"]}}"#;
        assert!(!fires(&NetworkFirewallDisabled, &record(SOURCE, "UpdateFirewallPolicy", ROLE, dry, "")));
    }

    /// A policy created to pass everything, to be associated later (from a review).
    /// From a second evasion review: one pass rule for everything in a group.
    #[test]
    fn a_rule_group_passing_everything_fires() {
        let text = |rules: &str| {
            record(SOURCE, "UpdateRuleGroup", ROLE, &serde_json::json!({"ruleGroupName": "egress-block-list", "type": "STATEFUL", "rules": rules}).to_string(), "")
        };
        assert!(fires(&NetworkFirewallDisabled, &text("drop tls $HOME_NET any -> $EXTERNAL_NET any (tls.sni; content:\"evil.example\"; sid:1;)\npass ip any any -> any any (sid:1000001; rev:1;)")));
        assert!(fires(&NetworkFirewallDisabled, &text("PASS TCP any any <> any any (sid:2;)")));
        assert!(!fires(&NetworkFirewallDisabled, &text("pass tcp $HOME_NET any -> any 443 (sid:3;)")));
        assert!(!fires(&NetworkFirewallDisabled, &text("drop ip any any -> any any (sid:4;)")));
        let standard = |action: &str, port: &str| {
            let group = serde_json::json!({"ruleGroupName": "g", "type": "STATEFUL", "ruleGroup": {"rulesSource": {"statefulRules": [
                {"action": action, "header": {"protocol": "IP", "source": "ANY", "sourcePort": "ANY", "direction": "FORWARD", "destination": "ANY", "destinationPort": port}, "ruleOptions": [{"keyword": "sid", "settings": ["5"]}]}
            ]}}});
            record(SOURCE, "CreateRuleGroup", ROLE, &group.to_string(), "")
        };
        assert!(fires(&NetworkFirewallDisabled, &standard("PASS", "ANY")));
        let handshake = serde_json::json!({"ruleGroupName": "g", "type": "STATEFUL", "ruleGroup": {"rulesSource": {"statefulRules": [
            {"action": "PASS", "header": {"protocol": "TCP", "source": "ANY", "sourcePort": "ANY", "direction": "ANY", "destination": "ANY", "destinationPort": "ANY"},
             "ruleOptions": [{"keyword": "sid", "settings": ["6"]}, {"keyword": "flow", "settings": ["not_established"]}]}
        ]}}});
        assert!(!fires(&NetworkFirewallDisabled, &record(SOURCE, "CreateRuleGroup", ROLE, &handshake.to_string(), "")));
        assert!(!fires(&NetworkFirewallDisabled, &standard("PASS", "443")));
        assert!(!fires(&NetworkFirewallDisabled, &standard("DROP", "ANY")));
    }

    /// From a third evasion review: every address written as CIDRs, and a
    /// stateless rule that passes every packet.
    #[test]
    fn every_address_and_a_stateless_pass_all_rule_fire() {
        let text = |rules: &str| {
            record(SOURCE, "UpdateRuleGroup", ROLE, &serde_json::json!({"ruleGroupName": "g", "type": "STATEFUL", "rules": rules}).to_string(), "")
        };
        assert!(fires(&NetworkFirewallDisabled, &text("pass ip 0.0.0.0/0 any -> 0.0.0.0/0 any (sid:7;)")));
        assert!(fires(&NetworkFirewallDisabled, &text("pass ip [0.0.0.0/0,::/0] any -> any any (sid:8;)")));
        assert!(!fires(&NetworkFirewallDisabled, &text("pass ip 10.0.0.0/8 any -> 0.0.0.0/0 any (sid:9;)")));
        assert!(!fires(&NetworkFirewallDisabled, &text("pass ip [] any -> any any (sid:10;)")));
        for rule in [
            "pass ip any [1:65535] -> any [0:] (sid:11;)",
            "pass ip [0.0.0.0/1,128.0.0.0/1] any -> 0::/0 any (sid:12;)",
            "pass tcp any 0:65535 -> any any (sid:13;)",
        ] {
            assert!(fires(&NetworkFirewallDisabled, &text(rule)), "{rule}");
        }
        assert!(!fires(&NetworkFirewallDisabled, &text("pass ip any any -> any [1:1024] (sid:14;)")));
        // From a review: options that narrow the pass (an allow-list of
        // domains, the handshake rule) are not a pass of everything.
        for narrowed in [
            r#"pass tcp any any -> any any (tls.sni; content:"example.com"; endswith; nocase; sid:1;)"#,
            "pass tcp any any <> any any (flow:not_established; sid:2;)",
            r#"pass udp any any -> any any (dns.query; content:"amazonaws.com"; endswith; sid:20;)"#,
        ] {
            assert!(!fires(&NetworkFirewallDisabled, &text(narrowed)), "{narrowed}");
        }
        assert!(fires(&NetworkFirewallDisabled, &text(r#"pass ip any any -> any any (msg:"all out"; sid:15; rev:2;)"#)));
        let stateless = |rule: serde_json::Value| {
            let group = serde_json::json!({"ruleGroupName": "g", "type": "STATELESS", "capacity": 10, "ruleGroup": {"rulesSource": {"statelessRulesAndCustomActions": {"statelessRules": [
                {"priority": 1, "ruleDefinition": {"matchAttributes": {"sources": [{"addressDefinition": "10.9.0.0/16"}]}, "actions": ["aws:drop"]}},
                rule
            ]}}}});
            record(SOURCE, "UpdateRuleGroup", ROLE, &group.to_string(), "")
        };
        let all = serde_json::json!({"addressDefinition": "0.0.0.0/0"});
        let pass_all = |matched: serde_json::Value| serde_json::json!({"priority": 2, "ruleDefinition": {"matchAttributes": matched, "actions": ["aws:pass"]}});
        assert!(fires(&NetworkFirewallDisabled, &stateless(pass_all(serde_json::json!({"sources": [all], "destinations": [all]})))));
        assert!(fires(&NetworkFirewallDisabled, &stateless(pass_all(serde_json::json!({})))));
        // Narrowed by port, protocol or address, or not a pass: a rule among many.
        assert!(!fires(&NetworkFirewallDisabled, &stateless(pass_all(serde_json::json!({"destinationPorts": [{"fromPort": 443, "toPort": 443}]})))));
        assert!(!fires(&NetworkFirewallDisabled, &stateless(pass_all(serde_json::json!({"protocols": [1]})))));
        // From a review of that change: TCP or UDP among the protocols, the
        // full port range, the internet in two halves.
        assert!(fires(&NetworkFirewallDisabled, &stateless(pass_all(serde_json::json!({"protocols": [6, 17, 1]})))));
        assert!(fires(&NetworkFirewallDisabled, &stateless(pass_all(serde_json::json!({"protocols": [17]})))));
        assert!(fires(&NetworkFirewallDisabled, &stateless(pass_all(serde_json::json!({"destinationPorts": [{"fromPort": 0, "toPort": 65535}]})))));
        let halves = serde_json::json!([{"addressDefinition": "0.0.0.0/1"}, {"addressDefinition": "128.0.0.0/1"}]);
        assert!(fires(&NetworkFirewallDisabled, &stateless(pass_all(serde_json::json!({"sources": halves, "destinations": halves})))));
        assert!(!fires(&NetworkFirewallDisabled, &stateless(pass_all(serde_json::json!({"sources": [{"addressDefinition": "192.0.2.0/24"}]})))));
        let forward = serde_json::json!({"priority": 2, "ruleDefinition": {"matchAttributes": {}, "actions": ["aws:forward_to_sfe"]}});
        assert!(!fires(&NetworkFirewallDisabled, &stateless(forward)));
    }

    #[test]
    fn a_policy_created_to_pass_everything_fires() {
        let pass = r#"{"firewallPolicyName":"quiet","firewallPolicy":{"statelessDefaultActions":["aws:pass"],"statelessFragmentDefaultActions":["aws:pass"]}}"#;
        assert!(fires(&NetworkFirewallDisabled, &record(SOURCE, "CreateFirewallPolicy", ROLE, pass, "")));
        let inspects = r#"{"firewallPolicyName":"egress","firewallPolicy":{"statelessDefaultActions":["aws:forward_to_sfe"],"statefulRuleGroupReferences":[{"resourceArn":"arn:aws:network-firewall:eu-west-1:123456789012:stateful-rulegroup/block"}]}}"#;
        assert!(!fires(&NetworkFirewallDisabled, &record(SOURCE, "CreateFirewallPolicy", ROLE, inspects, "")));
        // Created before its rule groups are added: only an update to that is judged.
        let empty = r#"{"firewallPolicyName":"egress","firewallPolicy":{"statelessDefaultActions":["aws:forward_to_sfe"]}}"#;
        assert!(!fires(&NetworkFirewallDisabled, &record(SOURCE, "CreateFirewallPolicy", ROLE, empty, "")));
        assert!(fires(&NetworkFirewallDisabled, &record(SOURCE, "UpdateFirewallPolicy", ROLE, empty, "")));
    }
}
