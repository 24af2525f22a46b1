//! AWS Client VPN access widened, or its watch taken away, successfully: an
//! authorization rule added to an endpoint (`AuthorizeClientVpnIngress`), or an
//! endpoint's connection log or client connect handler switched off
//! (`ModifyClientVpnEndpoint`).
//!
//! Decisions: from an evasion review of the network detections. A Client VPN
//! endpoint is a door into the VPC for whoever holds a client certificate signed by
//! the root it trusts (or an account in its directory or identity provider); its
//! creation is `vpn-connection-created`'s (medium there when created with its log
//! off). On an endpoint that exists, a new authorization rule lets its clients reach
//! more networks: rules seldom change once an endpoint is set up, so each is
//! reported (medium), whoever it names. Switching the connection log off hides who
//! connects from where; switching the client connect handler off removes the Lambda
//! function that vets each connection: both are reported; a change of an endpoint's
//! other settings is not. EC2 logs these requests under a `<Action>Request` wrapper
//! with the query API's names; a flat record, or camelCase, is read the same way.
//! Calls AWS services make on their own are left out; a stack's count.

use serde_json::Value;

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_caller_but_stack, call_context, client_vpn_option_off, ec2_request, flag_value, pascal_or_camel};
use crate::event::Record;

pub struct ClientVpnAccessWidenedOrUnlogged;

const EC2: &str = "ec2.amazonaws.com";
const AUTHORIZE: &str = "AuthorizeClientVpnIngress";
const MODIFY: &str = "ModifyClientVpnEndpoint";

pub static META: Meta = Meta {
    id: "client-vpn-access-widened-or-unlogged",
    title: "AWS Client VPN Access Widened or Its Watch Switched Off",
    description: "A Client VPN endpoint was given a new authorization rule, or had its \
                  connection log or client connect handler switched off. An endpoint lets \
                  whoever holds a trusted client certificate (or a directory or identity \
                  provider account) into the VPC's private networks from anywhere: a new rule \
                  lets them reach more of it, and without the log nobody can tell who \
                  connected from where.",
    severity: Severity::Medium,
    attack: &["T1133", "T1562.008"],
    origins: &[
        "trailwatch: from an evasion review of the network detections (remote access into \
         a VPC through an AWS Client VPN endpoint, beside vpn-connection-created)",
    ],
    group: "network-exposure",
    false_positives: &[
        "The network team extending remote access for staff to a new network, or \
         switching a test endpoint's logging off.",
    ],
    next_steps: "Check the endpoint's authentication (whose certificate authority, directory \
                 or identity provider it trusts), its authorization rules and target networks, \
                 and who asked for the change. If unplanned, revoke the rule \
                 (RevokeClientVpnIngress) or switch the log or handler back on, and review the \
                 connections made through the endpoint (DescribeClientVpnConnections, the \
                 connection log) and the hosts reached.",
    evidence: "access_group_id action authorize_all_groups client_connect_handler_off \
        client_vpn_endpoint_id connection_log_off region source_ip target_network_cidr user_agent",
    triggers: &[Trigger::write(EC2, &[AUTHORIZE, MODIFY])],
    window: None,
};

impl Detection for ClientVpnAccessWidenedOrUnlogged {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        let name = rec.event_name();
        if rec.event_source() != EC2
            || ![AUTHORIZE, MODIFY].contains(&name)
            || !rec.succeeded()
            || aws_service_caller_but_stack(rec)
        {
            return None;
        }
        let request = ec2_request(rec).unwrap_or(&Value::Null);
        let field = |key: &str| pascal_or_camel(request, key);
        let text = |key: &str| field(key).and_then(Value::as_str);
        let e = call_context(rec)
            .with("action", name)
            .with_opt("client_vpn_endpoint_id", text("ClientVpnEndpointId"));
        if name == AUTHORIZE {
            return fire(
                e.with_opt("target_network_cidr", text("TargetNetworkCidr"))
                    .with_opt("authorize_all_groups", field("AuthorizeAllGroups").and_then(flag_value))
                    .with_opt("access_group_id", text("AccessGroupId")),
            );
        }
        let log_off = client_vpn_option_off(field("ConnectionLogOptions"));
        let handler_off = client_vpn_option_off(field("ClientConnectOptions"));
        if !log_off && !handler_off {
            return None;
        }
        fire(
            e.with_opt("connection_log_off", log_off.then_some(true))
                .with_opt("client_connect_handler_off", handler_off.then_some(true)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::compute_testing::{DENIED, IAM_USER, ROLE, SERVICE, record};
    use crate::detections::common::testing::{eval, fires};

    #[test]
    fn an_authorization_rule_fires_with_its_network() {
        let rule = r#"{"AuthorizeClientVpnIngressRequest":{"ClientVpnEndpointId":"cvpn-endpoint-0a1b2c3d4e5f60718",
            "TargetNetworkCidr":"10.20.0.0/16","AuthorizeAllGroups":true}}"#;
        match eval(&ClientVpnAccessWidenedOrUnlogged, &record(EC2, AUTHORIZE, IAM_USER, rule, "")) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("target_network_cidr"), Some(&serde_json::json!("10.20.0.0/16")));
                assert_eq!(e.get("authorize_all_groups"), Some(&serde_json::json!(true)));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn a_modification_fires_only_when_it_switches_the_watch_off() {
        let modify = |options: &str| {
            record(
                EC2,
                MODIFY,
                ROLE,
                &format!(r#"{{"ModifyClientVpnEndpointRequest":{{"ClientVpnEndpointId":"cvpn-endpoint-0a1b2c3d4e5f60718",{options}}}}}"#),
                "",
            )
        };
        assert!(fires(&ClientVpnAccessWidenedOrUnlogged, &modify(r#""ConnectionLogOptions":{"Enabled":false}"#)));
        match eval(&ClientVpnAccessWidenedOrUnlogged, &modify(r#""ClientConnectOptions":{"Enabled":"False"}"#)) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("client_connect_handler_off"), Some(&serde_json::json!(true))),
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(!fires(&ClientVpnAccessWidenedOrUnlogged, &modify(r#""ConnectionLogOptions":{"Enabled":true,"CloudwatchLogGroup":"vpn"}"#)));
        assert!(!fires(&ClientVpnAccessWidenedOrUnlogged, &modify(r#""SplitTunnel":true,"Description":"staff""#)));
    }

    #[test]
    fn failures_services_and_other_calls_do_not_fire() {
        let rule = r#"{"AuthorizeClientVpnIngressRequest":{"ClientVpnEndpointId":"cvpn-endpoint-0a1b2c3d4e5f60718","TargetNetworkCidr":"0.0.0.0/0","AuthorizeAllGroups":true}}"#;
        assert!(!fires(&ClientVpnAccessWidenedOrUnlogged, &record(EC2, AUTHORIZE, ROLE, rule, DENIED)));
        assert!(!fires(&ClientVpnAccessWidenedOrUnlogged, &record(EC2, AUTHORIZE, SERVICE, rule, "")));
        assert!(!fires(&ClientVpnAccessWidenedOrUnlogged, &record(EC2, "RevokeClientVpnIngress", ROLE, rule, "")));
        assert!(!fires(&ClientVpnAccessWidenedOrUnlogged, &record(EC2, "ExportClientVpnClientConfiguration", ROLE, "{}", "")));
        // No parameters: nothing to say of a modification, but a rule was added.
        assert!(!fires(&ClientVpnAccessWidenedOrUnlogged, &record(EC2, MODIFY, ROLE, "null", "")));
        assert!(fires(&ClientVpnAccessWidenedOrUnlogged, &record(EC2, AUTHORIZE, ROLE, "null", "")));
    }
}
