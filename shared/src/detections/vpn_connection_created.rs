//! A VPN into the private network created, successfully: a site-to-site VPN
//! connection (`CreateVpnConnection`) or a Client VPN endpoint
//! (`CreateClientVpnEndpoint`).
//!
//! Decisions: a VPN is a standing bridge from outside into the VPCs behind it, as
//! peering is from another account (`network-linked-to-another-account`): whoever
//! holds the other end reaches private addresses directly. Network teams create
//! them rarely and deliberately, so each creation is reported, at low severity.
//! The customer gateway (the far end's address) and the client VPN's
//! authentication are kept as evidence. Creations AWS services make on their own
//! are left out; a stack's creation counts. After an evasion review, an existing
//! site-to-site connection pointed at another customer gateway
//! (`ModifyVpnConnection` naming `customerGatewayId`) counts as a new one: the far
//! end is then whoever owns that gateway's address. A Client VPN endpoint created
//! with its connection log switched off is medium: nobody will see who connects
//! (`client-vpn-access-widened-or-unlogged` reports the log switched off later, and
//! rules added to an endpoint).

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    aws_service_caller_but_stack, client_vpn_option_off, ec2_request, keep_first_occurrences, pascal_or_camel, succeeded_call, texts_at_key,
    values_at_key,
};
use crate::event::Record;

pub struct VpnConnectionCreated;

const EC2: &str = "ec2.amazonaws.com";
const CALLS: &[&str] = &["CreateClientVpnEndpoint", "CreateVpnConnection", "ModifyVpnConnection"];

pub static META: Meta = Meta {
    id: "vpn-connection-created",
    title: "AWS VPN Connection or Client VPN Endpoint Created or Re-pointed",
    description: "A site-to-site VPN connection or a Client VPN endpoint was created. Either \
                  is a standing way into the private network from outside: whoever holds the \
                  far end or a client certificate reaches private addresses directly.",
    severity: Severity::Low,
    attack: &["T1133"],
    origins: &[
        "trailwatch: from a red-team gap hunt (network bridges: VPN and client VPN into the \
         VPC)",
    ],
    group: "network-exposure",
    false_positives: &[
        "New offices, data centres or remote-access set-ups built by the network team.",
    ],
    next_steps: "Confirm the connection with the network team: where is the far end, who \
                 holds its keys or client certificates? If it is not known, delete it and \
                 review the routes and security groups that admit its ranges.",
    evidence: "api authentication client_cidr connection_log_off customer_gateway transit_gateway \
        vpn_connection vpn_gateway vpn_type",
    triggers: &[Trigger::write(EC2, CALLS)],
    window: None,
};

impl Detection for VpnConnectionCreated {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn severity_for(&self, rec: &Record<'_>) -> Severity {
        if rec.event_name() == "CreateClientVpnEndpoint" && created_unlogged(rec) {
            Severity::Medium
        } else {
            META.severity
        }
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, EC2, CALLS) || aws_service_caller_but_stack(rec) {
            return None;
        }
        let params = rec.request_parameters();
        let first = |key: &str| params.and_then(|p| texts_at_key(p, key).first().copied());
        let e = Evidence::new()
            .with("api", rec.event_name())
            .with_opt("customer_gateway", first("customerGatewayId"))
            .with_opt("vpn_gateway", first("vpnGatewayId"))
            .with_opt("transit_gateway", first("transitGatewayId"));
        if rec.event_name() == "ModifyVpnConnection" {
            // Only a new far end counts (not a gateway or tunnel option change).
            first("customerGatewayId")?;
            return fire(e.with_opt("vpn_connection", first("vpnConnectionId")));
        }
        if rec.event_name() == "CreateVpnConnection" {
            return fire(e.with_opt("vpn_type", first("type")));
        }
        // Each authentication option's type (certificate, directory, federated).
        let mut authentication: Vec<&str> = params
            .into_iter()
            .flat_map(|p| {
                ["authenticationOptions", "authentication"]
                    .into_iter()
                    .flat_map(move |k| values_at_key(p, k))
            })
            .flat_map(|options| texts_at_key(options, "type"))
            .collect();
        keep_first_occurrences(&mut authentication);
        fire(
            e.with_opt("client_cidr", first("clientCidrBlock"))
                .with_opt("authentication", (!authentication.is_empty()).then_some(authentication))
                .with_opt("connection_log_off", created_unlogged(rec).then_some(true)),
        )
    }
}

/// A Client VPN endpoint created with its connection log switched off (options
/// wrapped as EC2 logs them, or flat; either casing).
fn created_unlogged(rec: &Record<'_>) -> bool {
    client_vpn_option_off(ec2_request(rec).and_then(|r| pascal_or_camel(r, "ConnectionLogOptions")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::{eval, fires};

    #[test]
    fn either_vpn_fires_with_its_ends() {
        let s2s = r#"{"CreateVpnConnectionRequest":{"CustomerGatewayId":"cgw-0a1b2c3d","VpnGatewayId":"vgw-0f9e8d7c","Type":"ipsec.1"}}"#;
        match eval(&VpnConnectionCreated, &record(EC2, "CreateVpnConnection", ROLE, s2s, "")) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("customer_gateway").and_then(|v| v.as_str()), Some("cgw-0a1b2c3d"));
                assert_eq!(e.get("vpn_gateway").and_then(|v| v.as_str()), Some("vgw-0f9e8d7c"));
                assert_eq!(e.get("vpn_type").and_then(|v| v.as_str()), Some("ipsec.1"));
                assert!(e.get("authentication").is_none());
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let client = r#"{"CreateClientVpnEndpointRequest":{"ClientCidrBlock":"10.250.0.0/22","ServerCertificateArn":"arn:aws:acm:us-east-1:111122223333:certificate/1",
            "AuthenticationOptions":{"tag":1,"Type":"certificate-authentication"},"ConnectionLogOptions":{"Enabled":false}}}"#;
        match eval(&VpnConnectionCreated, &record(EC2, "CreateClientVpnEndpoint", ROLE, client, "")) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("client_cidr").and_then(|v| v.as_str()), Some("10.250.0.0/22"));
                assert_eq!(e.get("authentication"), Some(&serde_json::json!(["certificate-authentication"])));
                assert_eq!(e.get("connection_log_off"), Some(&serde_json::json!(true)));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let severity = |params: &str| {
            let json = record(EC2, "CreateClientVpnEndpoint", ROLE, params, "");
            testing::severity(&VpnConnectionCreated, &json)
        };
        assert_eq!(severity(client), Severity::Medium);
        assert_eq!(severity(&client.replace(r#"{"Enabled":false}"#, r#"{"Enabled":true,"CloudwatchLogGroup":"vpn"}"#)), Severity::Low);
        assert_eq!(severity(r#"{"clientCidrBlock":"10.250.0.0/22","connectionLogOptions":{"enabled":"false"}}"#), Severity::Medium);
    }

    /// From an evasion review: an existing connection given a new far end.
    #[test]
    fn a_connection_pointed_at_another_customer_gateway_fires() {
        let moved = r#"{"ModifyVpnConnectionRequest":{"VpnConnectionId":"vpn-0a1b2c3d","CustomerGatewayId":"cgw-0ffee123"}}"#;
        match eval(&VpnConnectionCreated, &record(EC2, "ModifyVpnConnection", ROLE, moved, "")) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("customer_gateway").and_then(|v| v.as_str()), Some("cgw-0ffee123"));
                assert_eq!(e.get("vpn_connection").and_then(|v| v.as_str()), Some("vpn-0a1b2c3d"));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let to_tgw = r#"{"ModifyVpnConnectionRequest":{"VpnConnectionId":"vpn-0a1b2c3d","TransitGatewayId":"tgw-0a1b"}}"#;
        assert!(!fires(&VpnConnectionCreated, &record(EC2, "ModifyVpnConnection", ROLE, to_tgw, "")));
    }

    #[test]
    fn services_failures_and_other_calls_do_not() {
        let p = r#"{"customerGatewayId":"cgw-1","vpnGatewayId":"vgw-1","type":"ipsec.1"}"#;
        assert!(!fires(&VpnConnectionCreated, &record(EC2, "CreateVpnConnection", SERVICE, p, "")));
        assert!(!fires(&VpnConnectionCreated, &failed(EC2, "CreateVpnConnection", ROLE, p, "Client.UnauthorizedOperation")));
        assert!(!fires(&VpnConnectionCreated, &record(EC2, "CreateCustomerGateway", ROLE, p, "")));
        assert!(!fires(&VpnConnectionCreated, &record(EC2, "DeleteVpnConnection", ROLE, p, "")));
    }
}
