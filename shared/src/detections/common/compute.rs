//! compute-network: EC2, VPC, security groups, Lambda, containers, Systems Manager.

use std::net::IpAddr;

use serde_json::Value;

use crate::detection::Evidence;
use crate::event::Record;

/// The Lambda operation of an `eventName`: CloudTrail appends the API version to most
/// Lambda operations (`UpdateFunctionCode20150331v2`, `AddPermission20150331`,
/// `CreateFunctionUrlConfig20211031`), so the name without that suffix is compared.
/// A name without a suffix is returned as it is.
pub fn lambda_operation(event_name: &str) -> &str {
    // The suffix is eight digits (the API date), optionally `v` and more digits.
    let bytes = event_name.as_bytes();
    let Some(start) = bytes.iter().position(u8::is_ascii_digit) else {
        return event_name;
    };
    let (op, suffix) = event_name.split_at(start);
    let date_len = suffix.bytes().take_while(u8::is_ascii_digit).count();
    let rest = &suffix[date_len..];
    let version_ok = rest.is_empty()
        || rest
            .strip_prefix('v')
            .is_some_and(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()));
    if date_len == 8 && version_ok && !op.is_empty() {
        op
    } else {
        event_name
    }
}

/// `UpdateFunctionConfiguration` as CloudTrail names it, with its API versions.
pub const LAMBDA_CONFIGURATION_UPDATES: &[&str] = &[
    "UpdateFunctionConfiguration20150331",
    "UpdateFunctionConfiguration20150331v2",
];

/// A successful Lambda `operation` (named without its API version, see
/// [`lambda_operation`]) that no AWS service made for someone: CloudFormation and
/// SAM deployments change functions all day.
pub fn lambda_change_by_caller(rec: &Record, operation: &str) -> bool {
    rec.event_source() == "lambda.amazonaws.com"
        && lambda_operation(rec.event_name()) == operation
        && rec.succeeded()
        && !super::aws_service_caller(rec)
}

/// How much of its family's address space, at least, counts as the internet for a
/// set of source ranges: a sixteenth (`/4`). No private or documentation range is
/// that large (`10.0.0.0/8`, `fc00::/7`), and nothing but the internet needs one;
/// all global IPv6 unicast (`2000::/3`) is more.
const WIDE_PREFIX: u32 = 4;

/// IPv6 global unicast, `2000::/3`, as a span of addresses.
const GLOBAL_UNICAST_V6: (u128, u128) = (0x2000u128 << 112, (0x4000u128 << 112) - 1);

/// The CIDR blocks of `cidrs` whose family they, together, open to the internet:
/// `/0` alone (any address written with it: some tools and redacted logs write
/// `x.x.x.x/0`), or ranges whose union covers a sixteenth of the family's space or
/// more (`0.0.0.0/1` with `128.0.0.0/1`, a lone `128.0.0.0/1`, sixteen public
/// `/8`s), or, for IPv6, a sixteenth of its global unicast space (`2000::/7`,
/// the registries' `/6` and `/16` blocks together). Each block is counted once however often it is listed; texts that are not
/// a CIDR block count for nothing. In the order given.
pub fn cidrs_open_to_internet<'a>(cidrs: &[&'a str]) -> Vec<&'a str> {
    let parsed: Vec<(&str, IpAddr, u32)> = cidrs
        .iter()
        .filter_map(|text| {
            let (addr, len) = text.trim().split_once('/')?;
            let addr: IpAddr = addr.trim().parse().ok()?;
            let len: u32 = len.trim().parse().ok()?;
            let bits = if addr.is_ipv4() { 32 } else { 128 };
            (len <= bits).then_some((*text, addr, len))
        })
        .collect();
    let wide_family = |v4: bool| {
        let bits: u32 = if v4 { 32 } else { 128 };
        // Each block as [start, end] in a u128, merged; the union's size against
        // the share the family needs.
        let mut spans: Vec<(u128, u128)> = parsed
            .iter()
            .filter(|(_, a, _)| a.is_ipv4() == v4)
            .map(|&(_, addr, len)| {
                let value = match addr {
                    IpAddr::V4(a) => u128::from(u32::from(a)),
                    IpAddr::V6(a) => u128::from(a),
                };
                let host_bits = bits - len;
                let size_minus_one = if host_bits == 128 {
                    u128::MAX
                } else {
                    (1u128 << host_bits) - 1
                };
                let start = value & !size_minus_one;
                (start, start | size_minus_one)
            })
            .collect();
        spans.sort_unstable();
        let mut merged: Vec<(u128, u128)> = Vec::new();
        for (start, end) in spans {
            match merged.last_mut() {
                Some((_, e)) if start <= e.saturating_add(1) => *e = (*e).max(end),
                _ => merged.push((start, end)),
            }
        }
        let size = |(s, e): (u128, u128)| (e - s).saturating_add(1);
        let covered = merged
            .iter()
            .fold(0u128, |n, &span| n.saturating_add(size(span)));
        // A sixteenth of the family: 2^(bits - 4) addresses (u128::MAX stands for
        // all of IPv6, which a u128 cannot count).
        let needed = 1u128 << (bits - WIDE_PREFIX);
        if covered >= needed {
            return true;
        }
        // IPv6's internet is its global unicast space, an eighth of the family:
        // a sixteenth of that counts too (from a third evasion review: the blocks
        // the registries hold, a twentieth of IPv6, are every IPv6 host).
        !v4 && {
            let (g_start, g_end) = GLOBAL_UNICAST_V6;
            let in_global = merged.iter().fold(0u128, |n, &(s, e)| {
                let (s, e) = (s.max(g_start), e.min(g_end));
                if s <= e {
                    n.saturating_add(size((s, e)))
                } else {
                    n
                }
            });
            in_global >= size(GLOBAL_UNICAST_V6) >> WIDE_PREFIX
        }
    };
    let (v4, v6) = (wide_family(true), wide_family(false));
    parsed
        .iter()
        .filter(|(_, a, _)| if a.is_ipv4() { v4 } else { v6 })
        .map(|(text, _, _)| *text)
        .collect()
}

/// `requestParameters.instanceId` of an EC2 call, trimmed, when present.
pub fn instance_id_param<'r>(rec: &'r Record) -> Option<&'r str> {
    rec.request_param_str("instanceId")
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// An EC2 request as CloudTrail logs the newer query APIs: under a wrapper named
/// for the call (`CreateClientVpnEndpointRequest`), else the flat parameters.
pub fn ec2_request<'r>(rec: &'r Record<'_>) -> Option<&'r Value> {
    let wrapped = rec.request_param(&format!("{}Request", rec.event_name()));
    wrapped
        .filter(|w| w.is_object())
        .or_else(|| rec.request_parameters())
}

/// A Client VPN endpoint's options (`ConnectionLogOptions`, `ClientConnectOptions`)
/// given with `Enabled` false: its connection log or connect handler switched off,
/// at creation or later.
pub fn client_vpn_option_off(options: Option<&Value>) -> bool {
    options
        .and_then(|o| super::pascal_or_camel(o, "Enabled"))
        .and_then(super::flag_value)
        == Some(false)
}

/// The evidence every compute-network finding starts from: region, source address
/// and user agent of the call.
pub fn call_context(rec: &Record) -> Evidence {
    Evidence::new()
        .with_opt("region", rec.region())
        .with_opt("source_ip", rec.source_ip())
        .with_opt("user_agent", rec.user_agent())
}

/// What a network ACL call says about its rule: ACL id, rule number, direction,
/// action, protocol and CIDR, as far as the request carries them.
pub fn nacl_entry_evidence(e: Evidence, rec: &Record) -> Evidence {
    e.with_opt("network_acl_id", rec.request_param_str("networkAclId"))
        .with_json("rule_number", rec.request_param("ruleNumber"))
        .with_json("egress", rec.request_param("egress"))
        .with_opt("rule_action", rec.request_param_str("ruleAction"))
        .with_json("protocol", rec.request_param("aclProtocol"))
        .with_opt("cidr_block", rec.request_param_str("cidrBlock"))
        .with_opt("ipv6_cidr_block", rec.request_param_str("ipv6CidrBlock"))
}

/// What a route call says: table, destination and the target it points at.
pub fn route_evidence(e: Evidence, rec: &Record) -> Evidence {
    const TARGETS: [&str; 7] = [
        "gatewayId",
        "natGatewayId",
        "instanceId",
        "networkInterfaceId",
        "vpcPeeringConnectionId",
        "transitGatewayId",
        "vpcEndpointId",
    ];
    let target = TARGETS
        .iter()
        .find_map(|k| rec.request_param_str(k).map(|v| (*k, v)));
    let e = e
        .with_opt("route_table_id", rec.request_param_str("routeTableId"))
        .with_opt(
            "destination",
            rec.request_param_str("destinationCidrBlock")
                .or_else(|| rec.request_param_str("destinationIpv6CidrBlock")),
        );
    match target {
        Some(("gatewayId", v)) => e.with("gateway_id", v),
        Some((k, v)) => e.with("target_kind", k).with("target", v),
        None => e,
    }
}

/// Why an instance type is unusual, or `None` for an ordinary one.
pub fn unusual_instance_type(instance_type: &str) -> Option<&'static str> {
    let t = instance_type.trim().to_ascii_lowercase();
    let (family, size) = t.split_once('.')?;
    // `u-6tb1`, and the newer `u7i-12tb`, `u7in-16tb`: `u`, a generation, a dash.
    let high_memory = family
        .strip_prefix('u')
        .and_then(|rest| rest.split_once('-'))
        .is_some_and(|(generation, _)| {
            generation.is_empty()
                || (generation.starts_with(|c: char| c.is_ascii_digit())
                    && generation.bytes().all(|b| b.is_ascii_alphanumeric()))
        });
    if high_memory {
        return Some("high-memory");
    }
    let letters: String = family
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect();
    // The family must continue with a generation number (`p4d`, `inf2`), so that
    // `g` does not match a type that merely starts with that letter.
    let generation = family[letters.len()..].starts_with(|c: char| c.is_ascii_digit());
    if generation
        && matches!(
            letters.as_str(),
            "p" | "g" | "gr" | "inf" | "trn" | "dl" | "f" | "vt"
        )
    {
        return Some("accelerated");
    }
    // EC2 Mac instances (`mac1`, `mac2-m2pro`, `mac-m4`) exist only as bare metal
    // on Dedicated Hosts, so every iOS build host would read as one (a review of
    // false positives, ninth session).
    if size.starts_with("metal") && letters != "mac" {
        return Some("bare metal");
    }
    let multiple = size.strip_suffix("xlarge")?.parse::<u32>().ok()?;
    (multiple >= 24).then_some("very large")
}

/// An `instanceType` value as a string, or the `{"value": ...}` form some records use.
pub fn instance_type_text(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s),
        Value::Object(o) => o.get("value")?.as_str(),
        _ => None,
    }
}

#[cfg(test)]
pub mod compute_testing {
    //! Records for the compute-network unit tests.

    pub const IAM_USER: &str = r#"{"type":"IAMUser","principalId":"AIDAEXAMPLEUSER00001",
        "arn":"arn:aws:iam::111122223333:user/dana","accountId":"111122223333",
        "accessKeyId":"AKIAEXAMPLEKEY000001","userName":"dana"}"#;
    pub const ROLE: &str = r#"{"type":"AssumedRole","principalId":"AROAEXAMPLEROLE00001:ops-7",
        "arn":"arn:aws:sts::111122223333:assumed-role/OpsAdmin/ops-7","accountId":"111122223333",
        "accessKeyId":"ASIAEXAMPLEKEY000001","sessionContext":{"sessionIssuer":{"type":"Role",
        "principalId":"AROAEXAMPLEROLE00001","arn":"arn:aws:iam::111122223333:role/OpsAdmin",
        "accountId":"111122223333","userName":"OpsAdmin"},
        "attributes":{"creationDate":"2026-05-04T09:00:00Z","mfaAuthenticated":"false"}}}"#;
    pub const ROOT: &str = r#"{"type":"Root","principalId":"111122223333",
        "arn":"arn:aws:iam::111122223333:root","accountId":"111122223333"}"#;
    pub const SERVICE: &str = r#"{"type":"AWSService","invokedBy":"ssm.amazonaws.com"}"#;
    /// A denied call, as EC2 writes it (`extra` of [`record`]).
    pub const DENIED: &str = r#""errorCode":"Client.UnauthorizedOperation",
        "errorMessage":"You are not authorized to perform this operation.","#;
    /// A denied call, as most other services write it.
    pub const ACCESS_DENIED: &str =
        r#""errorCode":"AccessDeniedException","errorMessage":"User is not authorized","#;

    /// One CloudTrail record. `params` is the JSON of `requestParameters` (may be
    /// `null`); `extra` is more top-level members, each followed by a comma.
    pub fn record(source: &str, name: &str, identity: &str, params: &str, extra: &str) -> String {
        format!(
            r#"{{"eventVersion":"1.10","eventSource":"{source}","eventName":"{name}",
            "eventTime":"2026-05-04T10:15:00Z","awsRegion":"us-east-1","recipientAccountId":"111122223333",
            "sourceIPAddress":"203.0.113.24","userAgent":"aws-cli/2.17.20 md/Botocore#1.34.150 os/linux",
            "eventID":"6a1f0e1c-0000-4000-8000-000000000001","userIdentity":{identity},{extra}
            "requestParameters":{params}}}"#
        )
    }
}

#[cfg(test)]
mod tests {
    use super::cidrs_open_to_internet;

    fn open<'a>(cidrs: &[&'a str]) -> Vec<&'a str> {
        cidrs_open_to_internet(cidrs)
    }

    #[test]
    fn the_internet_is_slash_zero_or_ranges_adding_up_to_a_sixteenth() {
        for whole in [
            &["0.0.0.0/0"][..],
            &["::/0"],
            &[" 10.1.2.3/0 "],
            &["0.0.0.0/1", "128.0.0.0/1"],
            &["::/1", "8000::/1"],
            &["128.0.0.0/1"],
            &["2000::/3"],
            &["16.0.0.0/4"],
        ] {
            assert_eq!(open(whole), whole.to_vec(), "{whole:?}");
        }
        // Sixteen adjacent or scattered /8s are a sixteenth; fifteen are not.
        let eights: Vec<String> = (64..80).map(|n| format!("{n}.0.0.0/8")).collect();
        let eights: Vec<&str> = eights.iter().map(String::as_str).collect();
        assert_eq!(open(&eights).len(), 16);
        assert!(open(&eights[..15]).is_empty());
        // IPv6 by its global unicast space (a third evasion review): the
        // registries' blocks, a twentieth of IPv6, are every IPv6 host; a /7 of it
        // is a sixteenth; a /8 of it, or a range outside it, is not.
        let registries = ["2001::/16", "2003::/16", "2400::/6", "2800::/6", "2c00::/6"];
        assert_eq!(open(&registries), registries.to_vec());
        assert_eq!(open(&["2000::/7"]), ["2000::/7"]);
        assert!(open(&["2000::/8"]).is_empty());
        assert!(open(&["fc00::/7", "fe80::/10"]).is_empty());
        // Overlaps and repeats count once.
        assert!(open(&["128.0.0.0/6", "128.0.0.0/6", "132.0.0.0/7"]).is_empty());
        assert_eq!(open(&["128.0.0.0/2", "192.0.0.0/2"]).len(), 2);
        // Private, documentation and narrow ranges, and text that is no range.
        for narrow in [
            &["10.0.0.0/8"][..],
            &["fc00::/7"],
            &["172.16.0.0/12", "192.168.0.0/16"],
            &["203.0.113.0/24"],
            &["0.0.0.0/33"],
            &["0.0.0.0"],
            &["anywhere/0"],
            &["::/129"],
            &[],
        ] {
            assert!(open(narrow).is_empty(), "{narrow:?}");
        }
        // Families are judged apart: an open IPv4 side leaves an IPv6 range out.
        assert_eq!(open(&["0.0.0.0/0", "2001:db8::/32"]), vec!["0.0.0.0/0"]);
        assert_eq!(
            open(&["10.0.0.0/8", "0.0.0.0/0"]),
            vec!["10.0.0.0/8", "0.0.0.0/0"]
        );
    }
}
