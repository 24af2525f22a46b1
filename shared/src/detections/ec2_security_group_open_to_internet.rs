//! A security group ingress rule that admits the whole internet
//! (`AuthorizeSecurityGroupIngress` with a source CIDR of prefix length 0, such as
//! `0.0.0.0/0` or `::/0`), or an existing rule edited to such a range
//! (`ModifySecurityGroupRules`), successfully.
//!
//! Decisions: any address written with `/0` covers every address of its family, so it
//! counts too (some tools and redacted logs write `x.x.x.x/0`). So do ranges that
//! together cover a sixteenth of their family's space or more
//! (`common::cidrs_open_to_internet`): `0.0.0.0/1` with `128.0.0.0/1`, `::/1` with
//! `8000::/1`, or one `128.0.0.0/1`, the usual ways round a check for `/0`; the
//! ranges of one call are counted together, across its rules. Both the rule list
//! (`ipPermissions.items[].ipRanges/ipv6Ranges`) and the legacy top-level `cidrIp` form
//! are read. Every port counts (an open database port is as bad as SSH); the finding
//! lists the ports. `ModifySecurityGroupRules` (what the console's "Edit inbound
//! rules" sends for a rule that already exists) does not say whether the rule is
//! ingress or egress: it counts, with `direction` `not stated` in the finding, so an
//! outbound rule edited to reach anywhere fires too (rarer, and cheap to dismiss);
//! missing the usual way a person opens an existing port would be worse.
//!
//! From a review of false positives (ninth session): AWS's guide has load
//! balancers and VPN endpoints allow ICMP "fragmentation needed" (and ICMPv6
//! "packet too big") from anywhere for path MTU discovery. A rule of ICMP alone
//! opens no port: when every open rule of the call is ICMP or ICMPv6, the finding
//! is low, not silent (ICMP can still carry a tunnel).

use serde_json::{Value, json};

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{call_context, cidrs_open_to_internet, one_or_many, pascal_or_camel};
use crate::event::Record;

pub struct Ec2SecurityGroupOpenToInternet;

pub static META: Meta = Meta {
    id: "ec2-security-group-open-to-internet",
    title: "AWS EC2 Security Group Opened to the Internet",
    description: "A security group now accepts connections from any address on the internet \
                  (0.0.0.0/0 or ::/0, or ranges that add up to it). Attackers open SSH, RDP or database ports this way to \
                  reach a host directly, for access or to move data out; scanners find such \
                  ports within minutes.",
    severity: Severity::Medium,
    attack: &["T1562.007", "T1133", "T1048"],
    origins: &[
        "trailwatch: based on Stratus Red Team aws.exfiltration.ec2-security-group-open-port-22-ingress \
         and the CIS AWS Foundations controls on unrestricted ingress",
    ],
    group: "compute-network",
    false_positives: &[
        "Public web servers or load balancers opened on 80/443 on purpose.",
    ],
    next_steps: "Check the ports and the instances using the group. Unless the service is \
                 meant to be public, revoke the rule, then look at the instances' logs for \
                 connections that came in while it was open.",
    evidence: "direction group_id group_name open_rules region source_ip user_agent",
    triggers: &[Trigger::write(
        "ec2.amazonaws.com",
        &["AuthorizeSecurityGroupIngress", "ModifySecurityGroupRules"],
    )],
    window: None,
};

/// The CIDR texts of one rule (`ipRanges.items[].cidrIp`, `ipv6Ranges.items[].cidrIpv6`).
fn rule_cidrs(rule: &Value) -> impl Iterator<Item = &str> {
    [("ipRanges", "cidrIp"), ("ipv6Ranges", "cidrIpv6")]
        .into_iter()
        .flat_map(move |(list, key)| {
            rule.get(list)
                .and_then(|l| l.get("items"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(move |r| r.get(key).and_then(Value::as_str))
        })
}

/// One open rule as the analyst reads it.
fn describe(protocol: Option<&Value>, from: Option<&Value>, to: Option<&Value>, cidr: &str) -> Value {
    let null = Value::Null;
    json!({
        "protocol": protocol.unwrap_or(&null),
        "from_port": from.unwrap_or(&null),
        "to_port": to.unwrap_or(&null),
        "cidr": cidr,
    })
}

/// One rule's source range with its protocol and ports, as the request gives them.
struct Entry<'r> {
    protocol: Option<&'r Value>,
    from: Option<&'r Value>,
    to: Option<&'r Value>,
    cidr: &'r str,
}

/// The entries whose ranges, counted together, open their family to the internet
/// (`common::cidrs_open_to_internet`), as the analyst reads them.
fn open_entries(entries: &[Entry<'_>]) -> Vec<Value> {
    let cidrs: Vec<&str> = entries.iter().map(|e| e.cidr).collect();
    let open = cidrs_open_to_internet(&cidrs);
    entries
        .iter()
        .filter(|e| open.contains(&e.cidr))
        .map(|e| describe(e.protocol, e.from, e.to, e.cidr))
        .collect()
}

/// The rules of a `ModifySecurityGroupRules` request:
/// `ModifySecurityGroupRulesRequest.SecurityGroupRule` (one update or a list), each
/// update's new rule under its own `SecurityGroupRule`, with `CidrIpv4`/`CidrIpv6`.
fn modified_rules(wrapped: &Value) -> Vec<Entry<'_>> {
    let mut entries = Vec::new();
    for update in one_or_many(pascal_or_camel(wrapped, "SecurityGroupRule")) {
        let Some(rule) = pascal_or_camel(update, "SecurityGroupRule") else {
            continue;
        };
        for key in ["CidrIpv4", "CidrIpv6"] {
            if let Some(cidr) = pascal_or_camel(rule, key).and_then(Value::as_str) {
                entries.push(Entry {
                    protocol: pascal_or_camel(rule, "IpProtocol"),
                    from: pascal_or_camel(rule, "FromPort"),
                    to: pascal_or_camel(rule, "ToPort"),
                    cidr,
                });
            }
        }
    }
    entries
}

/// The rules of an `AuthorizeSecurityGroupIngress` request: the legacy top-level
/// `cidrIp` form and the `ipPermissions` list.
fn authorized_rules<'r>(rec: &'r Record<'_>) -> Vec<Entry<'r>> {
    let mut entries = Vec::new();
    if let Some(cidr) = rec.request_param_str("cidrIp") {
        entries.push(Entry {
            protocol: rec.request_param("ipProtocol"),
            from: rec.request_param("fromPort"),
            to: rec.request_param("toPort"),
            cidr,
        });
    }
    let rules = rec
        .request_param("ipPermissions")
        .and_then(|p| p.get("items"))
        .and_then(Value::as_array);
    for rule in rules.into_iter().flatten() {
        for cidr in rule_cidrs(rule) {
            entries.push(Entry {
                protocol: rule.get("ipProtocol"),
                from: rule.get("fromPort"),
                to: rule.get("toPort"),
                cidr,
            });
        }
    }
    entries
}

/// The call's rules open to the internet, as the analyst reads them.
fn open_rules(rec: &Record<'_>) -> Vec<Value> {
    match rec.event_name() {
        "ModifySecurityGroupRules" => rec
            .request_param("ModifySecurityGroupRulesRequest")
            .map(|wrapped| open_entries(&modified_rules(wrapped)))
            .unwrap_or_default(),
        "AuthorizeSecurityGroupIngress" => open_entries(&authorized_rules(rec)),
        _ => Vec::new(),
    }
}

/// A rule's protocol is ICMP or ICMPv6, by name or number (1, 58).
fn icmp(protocol: &Value) -> bool {
    match protocol {
        Value::String(p) => matches!(p.trim().to_ascii_lowercase().as_str(), "icmp" | "icmpv6" | "1" | "58"),
        Value::Number(n) => matches!(n.as_i64(), Some(1 | 58)),
        _ => false,
    }
}

impl Detection for Ec2SecurityGroupOpenToInternet {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn severity_for(&self, rec: &Record<'_>) -> Severity {
        let open = open_rules(rec);
        if !open.is_empty() && open.iter().all(|rule| icmp(&rule["protocol"])) {
            Severity::Low
        } else {
            META.severity
        }
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "ec2.amazonaws.com" || !rec.succeeded() {
            return None;
        }
        if rec.event_name() == "ModifySecurityGroupRules" {
            let wrapped = rec.request_param("ModifySecurityGroupRulesRequest")?;
            let open = open_rules(rec);
            if open.is_empty() {
                return None;
            }
            let group = wrapped.get("GroupId").and_then(Value::as_str);
            let e = call_context(rec)
                .with_opt("group_id", group)
                .with("direction", "not stated")
                .with("open_rules", Value::Array(open));
            return fire(e);
        }
        if rec.event_name() != "AuthorizeSecurityGroupIngress" {
            return None;
        }
        let open = open_rules(rec);
        if open.is_empty() {
            return None;
        }
        let e = call_context(rec)
            .with_opt("group_id", rec.request_param_str("groupId"))
            .with_opt("group_name", rec.request_param_str("groupName"))
            .with("open_rules", Value::Array(open));
        fire(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detection::Evidence;
    use crate::detections::common::compute_testing::{DENIED, IAM_USER, ROLE, record};
    use crate::detections::common::testing::{self, fired_evidence, fires};

    fn modify(rule: &str) -> String {
        format!(
            r#"{{"ModifySecurityGroupRulesRequest":{{"GroupId":"sg-0a1b2c3d","SecurityGroupRule":{{"SecurityGroupRuleId":"sgr-0123456789abcdef0","SecurityGroupRule":{rule}}}}}}}"#
        )
    }

    /// ICMP alone from anywhere (path MTU discovery) is low; any other protocol
    /// beside it keeps the finding medium.
    #[test]
    fn icmp_alone_is_low() {
        let severity = |rules: &str| {
            let params = format!(r#"{{"groupId":"sg-0a1b2c3d","ipPermissions":{{"items":[{rules}]}}}}"#);
            let json = record("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", ROLE, &params, "");
            assert!(fires(&Ec2SecurityGroupOpenToInternet, &json), "{json}");
            testing::severity(&Ec2SecurityGroupOpenToInternet, &json)
        };
        let icmp = r#"{"ipProtocol":"icmp","fromPort":3,"toPort":4,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}"#;
        let icmpv6 = r#"{"ipProtocol":"58","fromPort":2,"toPort":0,"ipv6Ranges":{"items":[{"cidrIpv6":"::/0"}]}}"#;
        let ssh = r#"{"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}"#;
        let all = r#"{"ipProtocol":"-1","ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}"#;
        assert_eq!(severity(icmp), Severity::Low);
        assert_eq!(severity(&format!("{icmp},{icmpv6}")), Severity::Low);
        assert_eq!(severity(&format!("{icmp},{ssh}")), Severity::Medium);
        assert_eq!(severity(all), Severity::Medium);
        let edited = modify(r#"{"IpProtocol":"icmp","FromPort":-1,"ToPort":-1,"CidrIpv4":"0.0.0.0/0"}"#);
        let json = record("ec2.amazonaws.com", "ModifySecurityGroupRules", ROLE, &edited, "");
        assert_eq!(testing::severity(&Ec2SecurityGroupOpenToInternet, &json), Severity::Low);
    }

    #[test]
    fn an_existing_rule_edited_to_anywhere_fires_without_a_direction() {
        let open = modify(r#"{"IpProtocol":"tcp","FromPort":3389,"ToPort":3389,"CidrIpv4":"0.0.0.0/0","Description":""}"#);
        let e = evidence(&record("ec2.amazonaws.com", "ModifySecurityGroupRules", ROLE, &open, ""));
        assert_eq!(e.get("direction").unwrap(), "not stated");
        assert_eq!(e.get("group_id").unwrap(), "sg-0a1b2c3d");
        let v6 = modify(r#"{"IpProtocol":"tcp","FromPort":22,"ToPort":22,"CidrIpv6":"::/0"}"#);
        assert!(fires(&Ec2SecurityGroupOpenToInternet, &record("ec2.amazonaws.com", "ModifySecurityGroupRules", ROLE, &v6, "")));
        let narrow = modify(r#"{"IpProtocol":"tcp","FromPort":22,"ToPort":22,"CidrIpv4":"10.20.0.0/16"}"#);
        assert!(!fires(&Ec2SecurityGroupOpenToInternet, &record("ec2.amazonaws.com", "ModifySecurityGroupRules", ROLE, &narrow, "")));
        let group_source = modify(r#"{"IpProtocol":"tcp","FromPort":22,"ToPort":22,"ReferencedGroupId":"sg-0f0e0d0c"}"#);
        assert!(!fires(&Ec2SecurityGroupOpenToInternet, &record("ec2.amazonaws.com", "ModifySecurityGroupRules", ROLE, &group_source, "")));
        assert!(!fires(&Ec2SecurityGroupOpenToInternet, &record("ec2.amazonaws.com", "ModifySecurityGroupRules", ROLE, &open, DENIED)));
        assert!(!fires(&Ec2SecurityGroupOpenToInternet, &record("ec2.amazonaws.com", "ModifySecurityGroupRules", ROLE, "null", "")));
    }

    fn rules(ranges: &str) -> String {
        format!(
            r#"{{"groupId":"sg-0a1b2c3d","ipPermissions":{{"items":[{{"ipProtocol":"tcp","fromPort":22,"toPort":22,
            "groups":{{}},{ranges},"prefixListIds":{{}}}}]}}}}"#
        )
    }

    fn evidence(json: &str) -> Evidence {
        fired_evidence(&Ec2SecurityGroupOpenToInternet, json)
    }

    #[test]
    fn fires_on_ipv4_and_ipv6_any() {
        let v4 = rules(r#""ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]},"ipv6Ranges":{}"#);
        let e = evidence(&record("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", IAM_USER, &v4, ""));
        assert_eq!(e.get("group_id").unwrap(), "sg-0a1b2c3d");
        assert_eq!(e.get("open_rules").unwrap()[0]["from_port"], 22);
        let v6 = rules(r#""ipRanges":{},"ipv6Ranges":{"items":[{"cidrIpv6":"::/0"}]}"#);
        assert!(fires(&Ec2SecurityGroupOpenToInternet, &record("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", ROLE, &v6, "")));
    }

    #[test]
    fn reads_the_legacy_top_level_form() {
        let legacy = r#"{"groupId":"sg-0a1b2c3d","cidrIp":"203.0.113.9/0","ipProtocol":"tcp","fromPort":22,"toPort":22,"ipPermissions":{}}"#;
        let e = evidence(&record("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", ROLE, legacy, ""));
        assert_eq!(e.get("open_rules").unwrap()[0]["cidr"], "203.0.113.9/0");
    }

    #[test]
    fn narrow_sources_failures_and_egress_do_not_fire() {
        for ranges in [
            r#""ipRanges":{"items":[{"cidrIp":"198.51.100.0/24"}]}"#,
            r#""ipRanges":{"items":[{"cidrIp":"10.0.0.0/8"},{"cidrIp":"52.0.0.0/8"}]}"#,
            r#""ipRanges":{"items":[{"cidrIp":"0.0.0.0"}]}"#,
            r#""ipRanges":{"items":[{"cidrIp":"not-an-ip/0"}]}"#,
            r#""ipRanges":{"items":[{"cidrIp":17}]}"#,
            r#""ipRanges":null"#,
        ] {
            let r = record("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", ROLE, &rules(ranges), "");
            assert!(!fires(&Ec2SecurityGroupOpenToInternet, &r), "{ranges}");
        }
        let open = rules(r#""ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}"#);
        let denied = record("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", ROLE, &open, DENIED);
        assert!(!fires(&Ec2SecurityGroupOpenToInternet, &denied));
        let egress = record("ec2.amazonaws.com", "AuthorizeSecurityGroupEgress", ROLE, &open, "");
        assert!(!fires(&Ec2SecurityGroupOpenToInternet, &egress));
        let none = record("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", ROLE, "null", "");
        assert!(!fires(&Ec2SecurityGroupOpenToInternet, &none));
    }

    /// Halves, and a half alone, are the internet too; the ranges of one call are
    /// counted together across its rules, each family apart.
    #[test]
    fn ranges_adding_up_to_the_internet_fire() {
        for ranges in [
            r#""ipRanges":{"items":[{"cidrIp":"0.0.0.0/1"},{"cidrIp":"128.0.0.0/1"}]}"#,
            r#""ipv6Ranges":{"items":[{"cidrIpv6":"::/1"},{"cidrIpv6":"8000::/1"}]}"#,
            r#""ipRanges":{"items":[{"cidrIp":"128.0.0.0/1"}]}"#,
        ] {
            let r = record("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", ROLE, &rules(ranges), "");
            assert!(fires(&Ec2SecurityGroupOpenToInternet, &r), "{ranges}");
        }
        let two_rules = r#"{"groupId":"sg-0a1b2c3d","ipPermissions":{"items":[
            {"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/1"}]}},
            {"ipProtocol":"tcp","fromPort":3389,"toPort":3389,"ipRanges":{"items":[{"cidrIp":"128.0.0.0/1"}]}}]}}"#;
        let e = evidence(&record("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", ROLE, two_rules, ""));
        assert_eq!(e.get("open_rules").and_then(|r| r.as_array()).map(Vec::len), Some(2));
        let split_edit = |cidr: &str| modify(&format!(r#"{{"IpProtocol":"tcp","FromPort":22,"ToPort":22,"CidrIpv4":"{cidr}"}}"#));
        assert!(fires(&Ec2SecurityGroupOpenToInternet, &record("ec2.amazonaws.com", "ModifySecurityGroupRules", ROLE, &split_edit("128.0.0.0/1"), "")));
        assert!(!fires(&Ec2SecurityGroupOpenToInternet, &record("ec2.amazonaws.com", "ModifySecurityGroupRules", ROLE, &split_edit("198.51.100.0/24"), "")));
    }
}
