//! A private network link with another account, successfully: a VPC peering
//! connection requested to another account's VPC (`CreateVpcPeeringConnection` with a
//! foreign `peerOwnerId`) or accepted from one (`AcceptVpcPeeringConnection`), a
//! transit gateway peering requested to another account's gateway
//! (`CreateTransitGatewayPeeringAttachment` with a foreign `peerAccountId`), or a
//! transit gateway attachment or peering from another account accepted
//! (`AcceptTransitGatewayVpcAttachment`, `AcceptTransitGatewayPeeringAttachment`),
//! or a transit gateway created or changed to accept the attachments of the
//! accounts it is shared with without approval (`CreateTransitGateway`,
//! `ModifyTransitGateway` with `AutoAcceptSharedAttachments` `enable`).
//!
//! Decisions: a bridge into the private network bypasses every internet-facing
//! control: the other side reaches databases, instances and endpoints as if it were
//! inside. The other account is read from the request (`peerOwnerId`) or, for an
//! acceptance, from the response's owner ids (`ownerId`, `vpcOwnerId`, at any depth:
//! EC2 nests them under the connection's requester and accepter, some records under
//! a response wrapper). An owner id equal to the event's own account is this side of
//! the link and does not count. A request with no `peerOwnerId` peers within the
//! caller's own account. Links AWS services make on their own (Resource Access
//! Manager shares, Network Manager) are left out; a stack's link counts. A gateway
//! that accepts shared attachments on its own names no account, and none of its
//! links would then show an acceptance: it is reported when the setting is turned
//! on (from an evasion review), whoever it is shared with (RAM's shares are
//! `ram-resource-shared-with-another-account`'s).

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_caller_but_stack, other_accounts, succeeded_call, texts_at_key};
use crate::event::Record;

pub struct NetworkLinkedToAnotherAccount;

const EC2: &str = "ec2.amazonaws.com";
const CALLS: &[&str] = &[
    "AcceptTransitGatewayPeeringAttachment",
    "AcceptTransitGatewayVpcAttachment",
    "AcceptVpcPeeringConnection",
    "CreateTransitGateway",
    "CreateTransitGatewayPeeringAttachment",
    "CreateVpcPeeringConnection",
    "ModifyTransitGateway",
];

/// `CreateTransitGateway` or `ModifyTransitGateway` turning on the acceptance of
/// shared attachments without approval (EC2 writes the request under a
/// `...Request` wrapper with the API's own letter case; both cases are read).
fn auto_accept_turned_on(rec: &Record<'_>) -> bool {
    rec.request_parameters().is_some_and(|params| {
        ["AutoAcceptSharedAttachments", "autoAcceptSharedAttachments"]
            .into_iter()
            .flat_map(|k| texts_at_key(params, k))
            .any(|v| v.trim().eq_ignore_ascii_case("enable"))
    })
}

pub static META: Meta = Meta {
    id: "network-linked-to-another-account",
    title: "AWS VPC Peering or Transit Gateway Link With Another Account",
    description: "A VPC peering connection, or a transit gateway attachment or peering, now \
                  links this account's private network with a network in another AWS \
                  account, or a transit gateway now accepts attachments from the accounts it \
                  is shared with without approval. Traffic between them skips the internet-facing controls: the other \
                  side can reach private databases, instances and endpoints directly.",
    severity: Severity::Medium,
    attack: &["T1599", "T1133"],
    origins: &[
        "trailwatch: from a red-team gap hunt (network bridges to an attacker's account: VPC \
         peering and transit gateway attachments accepted from outside)",
    ],
    group: "network-exposure",
    false_positives: &[
        "Hub-and-spoke networks of the organisation (a shared transit gateway, a shared \
         services VPC): tune by the peer account.",
        "Peering with a vendor's account for a managed service.",
    ],
    next_steps: "Identify the other account and the routes the link carries. If the account is \
                 not known, delete the peering connection or attachment, review the route \
                 tables and security groups that admit its ranges, and look for traffic in the \
                 flow logs since it came up.",
    evidence: "api auto_accept_shared_attachments link other_accounts peer_vpc transit_gateway \
        vpc",
    triggers: &[Trigger::write(EC2, CALLS)],
    window: None,
};

impl Detection for NetworkLinkedToAnotherAccount {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, EC2, CALLS) || aws_service_caller_but_stack(rec) {
            return None;
        }
        if matches!(rec.event_name(), "CreateTransitGateway" | "ModifyTransitGateway") {
            if !auto_accept_turned_on(rec) {
                return None;
            }
            let gateway = [rec.request_parameters(), rec.response_elements()]
                .into_iter()
                .flatten()
                .flat_map(|v| ["TransitGatewayId", "transitGatewayId"].into_iter().flat_map(move |k| texts_at_key(v, k)))
                .next();
            return fire(
                Evidence::new()
                    .with("api", rec.event_name())
                    .with_opt("transit_gateway", gateway)
                    .with("auto_accept_shared_attachments", true),
            );
        }
        let ids = if rec.event_name() == "CreateVpcPeeringConnection" {
            texts_at_key(rec.request_parameters()?, "peerOwnerId")
        } else if rec.event_name() == "CreateTransitGatewayPeeringAttachment" {
            texts_at_key(rec.request_parameters()?, "peerAccountId")
        } else {
            let response = rec.response_elements()?;
            let mut ids = texts_at_key(response, "ownerId");
            ids.extend(texts_at_key(response, "vpcOwnerId"));
            ids
        };
        let others = other_accounts(ids, rec.account_id());
        if others.is_empty() {
            return None;
        }
        let link = [rec.request_parameters(), rec.response_elements()]
            .into_iter()
            .flatten()
            .flat_map(|v| {
                ["vpcPeeringConnectionId", "transitGatewayAttachmentId"]
                    .into_iter()
                    .flat_map(move |k| texts_at_key(v, k))
            })
            .next();
        fire(
            Evidence::new()
                .with("api", rec.event_name())
                .with_opt("link", link)
                .with_opt("vpc", rec.request_param_str("vpcId"))
                .with_opt("peer_vpc", rec.request_param_str("peerVpcId"))
                .with("other_accounts", others),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::{eval, fires};

    const CREATE: &str = r#"{"vpcId":"vpc-0a1b2c3d","peerVpcId":"vpc-0f9e8d7c","peerOwnerId":"444455556666","peerRegion":"us-east-1"}"#;

    fn accepted(requester: &str) -> String {
        record(EC2, "AcceptVpcPeeringConnection", ROLE, r#"{"vpcPeeringConnectionId":"pcx-0a1b2c3d4e5f60718"}"#, "").replace(
            r#""responseElements":null"#,
            &format!(
                r#""responseElements":{{"requestId":"r-1","vpcPeeringConnection":{{"vpcPeeringConnectionId":"pcx-0a1b2c3d4e5f60718",
                "requesterVpcInfo":{{"ownerId":"{requester}","vpcId":"vpc-0f9e8d7c"}},"accepterVpcInfo":{{"ownerId":"111122223333","vpcId":"vpc-0a1b2c3d"}}}}}}"#
            ),
        )
    }

    #[test]
    fn a_transit_gateway_accepting_shared_attachments_on_its_own_fires() {
        let modify = r#"{"ModifyTransitGatewayRequest":{"TransitGatewayId":"tgw-0a1b2c3d4e5f60718","Options":{"AutoAcceptSharedAttachments":"enable"}}}"#;
        match eval(&NetworkLinkedToAnotherAccount, &record(EC2, "ModifyTransitGateway", ROLE, modify, "")) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("transit_gateway").and_then(|v| v.as_str()), Some("tgw-0a1b2c3d4e5f60718"));
                assert_eq!(e.get("auto_accept_shared_attachments").and_then(|v| v.as_bool()), Some(true));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let create = r#"{"CreateTransitGatewayRequest":{"Description":"hub","Options":{"autoAcceptSharedAttachments":" ENABLE ","DefaultRouteTableAssociation":"enable"}}}"#;
        assert!(fires(&NetworkLinkedToAnotherAccount, &record(EC2, "CreateTransitGateway", ROLE, create, "")));
        for quiet in [
            r#"{"ModifyTransitGatewayRequest":{"TransitGatewayId":"tgw-0a1b2c3d4e5f60718","Options":{"AutoAcceptSharedAttachments":"disable"}}}"#,
            r#"{"ModifyTransitGatewayRequest":{"TransitGatewayId":"tgw-0a1b2c3d4e5f60718","Options":{"DnsSupport":"enable"}}}"#,
        ] {
            assert!(!fires(&NetworkLinkedToAnotherAccount, &record(EC2, "ModifyTransitGateway", ROLE, quiet, "")), "{quiet}");
        }
        assert!(!fires(&NetworkLinkedToAnotherAccount, &failed(EC2, "ModifyTransitGateway", ROLE, modify, "UnauthorizedOperation")));
    }

    #[test]
    fn a_peering_requested_or_accepted_across_accounts_fires() {
        match eval(&NetworkLinkedToAnotherAccount, &record(EC2, "CreateVpcPeeringConnection", ROLE, CREATE, "")) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("other_accounts"), Some(&serde_json::json!(["444455556666"]))),
            other => panic!("expected a finding, got {other:?}"),
        }
        match eval(&NetworkLinkedToAnotherAccount, &accepted("444455556666")) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("other_accounts"), Some(&serde_json::json!(["444455556666"])));
                assert_eq!(e.get("link").and_then(|v| v.as_str()), Some("pcx-0a1b2c3d4e5f60718"));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let tgw = record(EC2, "AcceptTransitGatewayVpcAttachment", ROLE, r#"{"AcceptTransitGatewayVpcAttachmentRequest":{"TransitGatewayAttachmentId":"tgw-attach-0a1b"}}"#, "")
            .replace(r#""responseElements":null"#, r#""responseElements":{"AcceptTransitGatewayVpcAttachmentResponse":{"transitGatewayVpcAttachment":{"transitGatewayAttachmentId":"tgw-attach-0a1b","vpcOwnerId":"444455556666","state":"pending"}}}"#);
        let peering = r#"{"CreateTransitGatewayPeeringAttachmentRequest":{"TransitGatewayId":"tgw-1","PeerTransitGatewayId":"tgw-2","PeerAccountId":"444455556666","PeerRegion":"eu-west-1"}}"#;
        assert!(fires(&NetworkLinkedToAnotherAccount, &record(EC2, "CreateTransitGatewayPeeringAttachment", ROLE, peering, "")));
        match eval(&NetworkLinkedToAnotherAccount, &tgw) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("link").and_then(|v| v.as_str()), Some("tgw-attach-0a1b")),
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn links_within_the_account_services_failures_and_other_calls_do_not() {
        assert!(!fires(&NetworkLinkedToAnotherAccount, &record(EC2, "CreateVpcPeeringConnection", ROLE, r#"{"vpcId":"vpc-0a1b2c3d","peerVpcId":"vpc-0f9e8d7c"}"#, "")));
        let own_tgw = r#"{"CreateTransitGatewayPeeringAttachmentRequest":{"TransitGatewayId":"tgw-1","PeerTransitGatewayId":"tgw-2","PeerAccountId":"111122223333","PeerRegion":"eu-west-1"}}"#;
        assert!(!fires(&NetworkLinkedToAnotherAccount, &record(EC2, "CreateTransitGatewayPeeringAttachment", ROLE, own_tgw, "")));
        let own = CREATE.replace("444455556666", "111122223333");
        assert!(!fires(&NetworkLinkedToAnotherAccount, &record(EC2, "CreateVpcPeeringConnection", ROLE, &own, "")));
        assert!(!fires(&NetworkLinkedToAnotherAccount, &accepted("111122223333")));
        assert!(!fires(&NetworkLinkedToAnotherAccount, &record(EC2, "AcceptVpcPeeringConnection", ROLE, r#"{"vpcPeeringConnectionId":"pcx-1"}"#, "")));
        assert!(!fires(&NetworkLinkedToAnotherAccount, &record(EC2, "CreateVpcPeeringConnection", SERVICE, CREATE, "")));
        assert!(!fires(&NetworkLinkedToAnotherAccount, &failed(EC2, "CreateVpcPeeringConnection", ROLE, CREATE, "Client.UnauthorizedOperation")));
        assert!(!fires(&NetworkLinkedToAnotherAccount, &record(EC2, "DeleteVpcPeeringConnection", ROLE, CREATE, "")));
    }
}
