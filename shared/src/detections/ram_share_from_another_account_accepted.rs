//! A resource share of another account accepted (`AcceptResourceShareInvitation`
//! of AWS RAM), successfully: its resources become usable in this account.
//!
//! Decisions: from an evasion review of the network detections. Joining another
//! account's network needs no acceptance in this one of the kind
//! `network-linked-to-another-account` watches: the other account shares its
//! transit gateway (or subnets, or Route 53 Resolver rules) through RAM, this one
//! accepts the invitation, and an attachment to that gateway (whose record does not
//! name its owner) or instances launched in those subnets, or names resolved by
//! those rules, follow. RAM invitations are needed only from outside the
//! organisation, or inside one that has not turned RAM's organisation sharing on,
//! so an accepted one is rare and worth a look: medium. The sender is read from the
//! answer (`resourceShareInvitation.senderAccountId`), else from the invitation's
//! ARN; an acceptance whose sender is this account, or cannot be told, is left out.
//! Calls AWS services make on their own are left out; a stack's count.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_caller_but_stack, foreign_account, foreign_arn_account, succeeded_call};
use crate::event::Record;

pub struct RamShareFromAnotherAccountAccepted;

const RAM: &str = "ram.amazonaws.com";
const NAMES: &[&str] = &["AcceptResourceShareInvitation"];

pub static META: Meta = Meta {
    id: "ram-share-from-another-account-accepted",
    title: "AWS RAM Resource Share From Another Account Accepted",
    description: "An invitation to another account's AWS Resource Access Manager share was \
                  accepted: its transit gateways, subnets, resolver rules or other resources \
                  become usable here. Attaching this account's networks to another account's \
                  transit gateway, or resolving names through its rules, starts this way.",
    severity: Severity::Medium,
    attack: &["T1599", "T1133"],
    origins: &[
        "trailwatch: from an evasion review (joining another account's transit gateway \
         through a RAM share, beside network-linked-to-another-account)",
    ],
    group: "resource-sharing",
    false_positives: &[
        "A partner's or a vendor's share accepted on purpose, or shares between the \
         organisation's accounts where RAM's organisation sharing is off.",
    ],
    next_steps: "Check the sender against the organisation's and partners' accounts and what \
                 the share holds. If unexpected, leave the share (DisassociateResourceShare \
                 from this account's side) and look for attachments, instances or resolver \
                 rule associations made with its resources.",
    evidence: "invitation resource_share resource_share_arn sender_account",
    triggers: &[Trigger::write(RAM, NAMES)],
    window: None,
};

impl Detection for RamShareFromAnotherAccountAccepted {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, RAM, NAMES) || aws_service_caller_but_stack(rec) {
            return None;
        }
        let invitation = rec.response_element("resourceShareInvitation");
        let text = |key: &str| invitation.and_then(|i| i.get(key)).and_then(|v| v.as_str());
        let arn = text("resourceShareInvitationArn")
            .or_else(|| rec.request_param_str("resourceShareInvitationArn"));
        let sender = match text("senderAccountId") {
            Some(sender) => foreign_account(rec, sender)?,
            None => foreign_arn_account(rec, arn?)?,
        };
        fire(
            Evidence::new()
                .with("sender_account", sender)
                .with_opt("resource_share", text("resourceShareName"))
                .with_opt("resource_share_arn", text("resourceShareArn"))
                .with_opt("invitation", arn),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::{eval, fires};

    const INVITATION: &str =
        "arn:aws:ram:us-east-1:999988887777:resource-share-invitation/4c1b7a2e-0d3f-4e5a-9b6c-7d8e9f0a1b2c";

    fn accepted(sender: &str) -> String {
        record(RAM, "AcceptResourceShareInvitation", ROLE, &format!(r#"{{"resourceShareInvitationArn":"{INVITATION}"}}"#), "")
            .replace(
                r#""responseElements":null"#,
                &format!(
                    r#""responseElements":{{"resourceShareInvitation":{{"resourceShareInvitationArn":"{INVITATION}",
                    "resourceShareName":"core-tgw","resourceShareArn":"arn:aws:ram:us-east-1:{sender}:resource-share/9a8b",
                    "senderAccountId":"{sender}","receiverAccountId":"111122223333","status":"ACCEPTED"}}}}"#
                ),
            )
    }

    #[test]
    fn a_share_of_another_account_accepted_fires_with_its_sender() {
        match eval(&RamShareFromAnotherAccountAccepted, &accepted("999988887777")) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("sender_account"), Some(&serde_json::json!("999988887777")));
                assert_eq!(e.get("resource_share"), Some(&serde_json::json!("core-tgw")));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        // Without the answer, the invitation's ARN names the sender.
        let bare = record(RAM, "AcceptResourceShareInvitation", ROLE, &format!(r#"{{"resourceShareInvitationArn":"{INVITATION}"}}"#), "");
        assert!(fires(&RamShareFromAnotherAccountAccepted, &bare));
    }

    #[test]
    fn own_account_unknown_senders_failures_and_services_do_not() {
        assert!(!fires(&RamShareFromAnotherAccountAccepted, &accepted("111122223333")));
        let unnamed = record(RAM, "AcceptResourceShareInvitation", ROLE, "{}", "");
        assert!(!fires(&RamShareFromAnotherAccountAccepted, &unnamed));
        let params = format!(r#"{{"resourceShareInvitationArn":"{INVITATION}"}}"#);
        assert!(!fires(&RamShareFromAnotherAccountAccepted, &failed(RAM, "AcceptResourceShareInvitation", ROLE, &params, "ResourceShareInvitationExpiredException")));
        assert!(!fires(&RamShareFromAnotherAccountAccepted, &record(RAM, "AcceptResourceShareInvitation", SERVICE, &params, "")));
        assert!(!fires(&RamShareFromAnotherAccountAccepted, &record(RAM, "RejectResourceShareInvitation", ROLE, &params, "")));
    }
}
