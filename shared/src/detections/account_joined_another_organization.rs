//! An account accepted an invitation to join an AWS Organization
//! (`AcceptHandshake` whose answer's handshake is an `INVITE`), successfully, and
//! the organisation is not one the deployment names as its own.
//!
//! Decisions: from a third evasion review. An intruder with administrator rights
//! in a standalone account (or in a member that has just left, which
//! `organizations-leave-attempt` reports) invites it from an organisation they
//! control and accepts in the victim account. From then on their service control
//! policies bind every principal of the account, root included: a deny of
//! everything locks the owners out, and another can forbid leaving again. The
//! invitation itself is logged only in the inviting organisation's management
//! account, so this call is all the victim's trail shows.
//!
//! The organisation and the inviting management account are read from the
//! handshake's ARN (`arn:aws:organizations::<account>:handshake/o-.../invite/...`),
//! else from its parties (`ORGANIZATION`) and resources (`MASTER_ACCOUNT`) when
//! those hold real ids: CloudTrail masks them as sensitive (`****`). A handshake
//! whose organisation cannot be read is reported at medium, naming none.
//! An organisation the deployment names as its own (`TRAILWATCH_ORGANIZATION_IDS`,
//! `--organization-ids`) is the routine case (an account brought into the
//! organisation) and does not fire; another one is high; without a list nothing
//! is known to be ours and the finding is medium. Handshakes of other kinds
//! (`ENABLE_ALL_FEATURES`, `APPROVE_ALL_FEATURES`: the organisation one already
//! belongs to), refused calls and AWS services are left out.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_caller, is_account_id, organizations, succeeded_call};
use crate::event::Record;

pub struct AccountJoinedAnotherOrganization;

const SOURCE: &str = "organizations.amazonaws.com";
const NAMES: &[&str] = &["AcceptHandshake"];

pub static META: Meta = Meta {
    id: "account-joined-another-organization",
    title: "AWS Account Joined Another Organization",
    description: "The account accepted an invitation to join an AWS Organization that is not \
                  known to be the company's own. The inviting organisation's service control \
                  policies now bind everyone in the account, root included: an intruder who \
                  owns that organisation can lock the owners out and forbid leaving again, \
                  and the invitation itself was logged only in their account.",
    severity: Severity::High,
    attack: &["T1098", "T1531"],
    origins: &["trailwatch: based on the Organizations AcceptHandshake API and a review of account \
              takeover through organisation invitations"],
    group: "hijacking",
    false_positives: &[
        "A planned move of the account into one of the company's organisations: name the \
         organisations as the deployment's own (TRAILWATCH_ORGANIZATION_IDS, \
         --organization-ids), after which their invitations do not fire.",
    ],
    next_steps: "Check with the account's owners whether the move was planned. If not, find \
                 who accepted (and how they got their credentials), contact AWS Support to \
                 regain control, and review the service control policies now attached.",
    evidence: "account handshake_id management_account organization_id",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

/// The accepted handshake, when it is an invitation: its organisation and the
/// inviting management account.
fn invitation<'r>(rec: &'r Record<'_>) -> Option<(Option<&'r str>, Option<&'r str>)> {
    let handshake = rec.response_element("handshake")?;
    let text = |v: &'r serde_json::Value| v.as_str().map(str::trim).filter(|s| !s.is_empty());
    if !handshake
        .get("action")
        .and_then(text)
        .is_some_and(|a| a.eq_ignore_ascii_case("INVITE"))
    {
        return None;
    }
    let of_type = |items: Option<&'r serde_json::Value>, kind: &str| {
        items?.as_array()?.iter().find_map(|p| {
            let typed = p.get("type").and_then(text).is_some_and(|t| t.eq_ignore_ascii_case(kind));
            if typed { p.get("id").or_else(|| p.get("value")).and_then(text) } else { None }
        })
    };
    // `arn:aws:organizations::<management account>:handshake/<o-id>/invite/<h-id>`
    let arn = handshake.get("arn").and_then(text);
    let arn_parts = arn.and_then(|a| {
        let (head, resource) = a.split_once(":handshake/")?;
        let account = head.rsplit(':').next().filter(|a| !a.is_empty());
        let org = resource.split('/').next().filter(|o| organizations::is_organization_id(o));
        Some((org, account))
    });
    // The ARN first: CloudTrail masks the parties' ids and the resources'
    // values as sensitive (`****`), so those count only when they are real ids
    // (from a review of this detection).
    let organization = arn_parts.and_then(|p| p.0).or_else(|| {
        of_type(handshake.get("parties"), "ORGANIZATION").filter(|o| organizations::is_organization_id(o))
    });
    let management = arn_parts.and_then(|p| p.1).filter(|a| is_account_id(a)).or_else(|| {
        handshake
            .get("resources")
            .and_then(|r| r.as_array())
            .into_iter()
            .flatten()
            .find_map(|r| of_type(r.get("resources"), "MASTER_ACCOUNT"))
            .filter(|a| is_account_id(a))
    });
    Some((organization, management))
}

impl Detection for AccountJoinedAnotherOrganization {
    fn meta(&self) -> &'static Meta {
        &META
    }

    /// High when the deployment names its organisations and this is none of
    /// them; medium when it names none (nothing is known to be ours).
    fn severity_for(&self, rec: &Record<'_>) -> Severity {
        let foreign = invitation(rec)
            .and_then(|(org, _)| org)
            .and_then(organizations::foreign_organization_id);
        if foreign.is_some() { META.severity } else { Severity::Medium }
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, SOURCE, NAMES) || aws_service_caller(rec) {
            return None;
        }
        let (organization, management) = invitation(rec)?;
        if organization.is_some_and(organizations::is_own_organization) {
            return None;
        }
        fire(
            Evidence::new()
                .with_opt("organization_id", organization)
                .with_opt("management_account", management)
                .with_opt("handshake_id", rec.request_param_str("handshakeId"))
                .with_opt("account", rec.account_id()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::calls::{call, failed};
    use crate::detections::common::testing::{eval, fires};

    const INVITE: &str = r#"{"handshake":{"id":"h-examplehandshake111","arn":"arn:aws:organizations::999988887777:handshake/o-attacker0001/invite/h-examplehandshake111",
        "parties":[{"id":"o-attacker0001","type":"ORGANIZATION"},{"id":"111122223333","type":"ACCOUNT"}],"state":"ACCEPTED","action":"INVITE",
        "resources":[{"value":"o-attacker0001","type":"ORGANIZATION","resources":[{"value":"999988887777","type":"MASTER_ACCOUNT"}]}]}}"#;

    fn accept(response: &str) -> String {
        call(SOURCE, "AcceptHandshake", r#"{"handshakeId":"h-examplehandshake111"}"#)
            .replace(r#""responseElements":null"#, &format!(r#""responseElements":{response}"#))
    }

    #[test]
    fn an_accepted_invitation_fires_with_its_organisation() {
        let rec = accept(INVITE);
        assert!(rec.contains("o-attacker0001"), "the response is in the record");
        match eval(&AccountJoinedAnotherOrganization, &rec) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("organization_id").and_then(|v| v.as_str()), Some("o-attacker0001"));
                assert_eq!(e.get("management_account").and_then(|v| v.as_str()), Some("999988887777"));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        // Without parties or resources, the ARN says both.
        let bare = accept(
            r#"{"handshake":{"arn":"arn:aws:organizations::999988887777:handshake/o-attacker0001/invite/h-1","action":"invite"}}"#,
        );
        match eval(&AccountJoinedAnotherOrganization, &bare) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("organization_id").and_then(|v| v.as_str()), Some("o-attacker0001"));
                assert_eq!(e.get("management_account").and_then(|v| v.as_str()), Some("999988887777"));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    /// From a review: CloudTrail masks the parties' ids and the resources'
    /// values; the ARN still names both, and an own organisation stays quiet.
    #[test]
    fn masked_parties_are_read_from_the_arn() {
        let masked = accept(&INVITE.replace(r#""id":"o-attacker0001""#, r#""id":"****""#).replace(
            r#""value":"999988887777""#,
            r#""value":"****""#,
        ));
        assert!(masked.contains("****"));
        match eval(&AccountJoinedAnotherOrganization, &masked) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("organization_id").and_then(|v| v.as_str()), Some("o-attacker0001"));
                assert_eq!(e.get("management_account").and_then(|v| v.as_str()), Some("999988887777"));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let no_arn = accept(
            r#"{"handshake":{"action":"INVITE","parties":[{"id":"****","type":"ORGANIZATION"}],"resources":[{"value":"****","type":"ORGANIZATION","resources":[{"value":"****","type":"MASTER_ACCOUNT"}]}]}}"#,
        );
        match eval(&AccountJoinedAnotherOrganization, &no_arn) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("organization_id"), None);
                assert_eq!(e.get("management_account"), None);
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let ids: std::sync::Arc<[String]> = vec!["o-attacker0001".to_owned()].into();
        let _scope = organizations::in_scope(Some(&ids));
        assert!(!fires(&AccountJoinedAnotherOrganization, &masked));
    }

    #[test]
    fn own_organisations_other_handshakes_and_refusals_do_not_fire() {
        let enable = accept(&INVITE.replace(r#""action":"INVITE""#, r#""action":"ENABLE_ALL_FEATURES""#));
        assert!(!fires(&AccountJoinedAnotherOrganization, &enable));
        let refused = failed(&accept(INVITE), "AccessDeniedException");
        assert!(!fires(&AccountJoinedAnotherOrganization, &refused));
        assert!(!fires(&AccountJoinedAnotherOrganization, &accept("null")));
        let ids: std::sync::Arc<[String]> = vec!["o-attacker0001".to_owned()].into();
        let _scope = organizations::in_scope(Some(&ids));
        assert!(!fires(&AccountJoinedAnotherOrganization, &accept(INVITE)));
    }

    #[test]
    fn severity_is_high_only_against_a_known_list() {
        let json = accept(INVITE);
        let rec = Record::from_json(&json).unwrap();
        assert_eq!(AccountJoinedAnotherOrganization.severity_for(&rec), Severity::Medium);
        let ids: std::sync::Arc<[String]> = vec!["o-ours00001".to_owned()].into();
        let _scope = organizations::in_scope(Some(&ids));
        assert_eq!(AccountJoinedAnotherOrganization.severity_for(&rec), Severity::High);
    }
}
