//! An AWS logging or security service's trusted access to the organisation
//! switched off from the management account (`DisableAWSServiceAccess`), or its
//! delegated administrator removed (`DeregisterDelegatedAdministrator`, or the
//! service's own call: `DisableOrganizationAdminAccount` of GuardDuty, Security Hub,
//! Macie and Detective, `DisableDelegatedAdminAccount` of Inspector), successfully.
//! The delegated administrator is the account that runs the service for every
//! member: removing it cuts the central view of the whole organisation in one call,
//! where the member detections see accounts leave one by one.
//!
//! Decisions: trusted access is how an organisation trail, Config aggregation,
//! GuardDuty, Security Hub and the other central services reach every member
//! account; switching it off for one of them stops its organisation-wide set-up
//! from covering new accounts and, for some, from being managed at all. Only the
//! services in `WATCHED_PRINCIPALS` count (logging, recording, threat detection,
//! posture, backup, and StackSets, which deploys trailwatch's own forwarders to
//! every account): switching off trusted access for, say, a licence manager is
//! housekeeping. The principal is compared in any letter case, surrounding space
//! ignored. AWS service identities and Control Tower (tidying up after itself) are
//! left out; a call another service makes for a person (`invokedBy`: the service's
//! own console switching its organisation set-up off, a CloudFormation stack)
//! counts, since the person's intent is the same.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_among, request_text_any, succeeded_call};
use crate::event::Record;

pub struct OrganizationsServiceAccessDisabled;

const SOURCE: &str = "organizations.amazonaws.com";
const NAMES: &[&str] = &["DeregisterDelegatedAdministrator", "DisableAWSServiceAccess"];

/// The security services' own calls that remove their delegated administrator
/// or their organisation access: Security Lake's and Audit Manager's
/// administrators, and StackSets' trusted access switched off from
/// CloudFormation's side (it deploys trailwatch's forwarders), were added after
/// a second evasion review. The service then calls Organizations itself, as an
/// AWS service: only this call is the person's.
const ADMIN_REMOVALS: [(&str, &str); 8] = [
    ("guardduty.amazonaws.com", "DisableOrganizationAdminAccount"),
    ("securityhub.amazonaws.com", "DisableOrganizationAdminAccount"),
    ("macie2.amazonaws.com", "DisableOrganizationAdminAccount"),
    ("detective.amazonaws.com", "DisableOrganizationAdminAccount"),
    ("inspector2.amazonaws.com", "DisableDelegatedAdminAccount"),
    ("securitylake.amazonaws.com", "DeregisterDataLakeDelegatedAdministrator"),
    ("auditmanager.amazonaws.com", "DeregisterOrganizationAdminAccount"),
    ("cloudformation.amazonaws.com", "DeactivateOrganizationsAccess"),
];

/// The services whose trusted access keeps the organisation logged and watched.
const WATCHED_PRINCIPALS: &[&str] = &[
    "cloudtrail.amazonaws.com",
    "config.amazonaws.com",
    "config-multiaccountsetup.amazonaws.com",
    "guardduty.amazonaws.com",
    "malware-protection.guardduty.amazonaws.com",
    "securityhub.amazonaws.com",
    "access-analyzer.amazonaws.com",
    "macie.amazonaws.com",
    "inspector2.amazonaws.com",
    "detective.amazonaws.com",
    "securitylake.amazonaws.com",
    "fms.amazonaws.com",
    "auditmanager.amazonaws.com",
    "backup.amazonaws.com",
    "controltower.amazonaws.com",
    "member.org.stacksets.cloudformation.amazonaws.com",
];

pub static META: Meta = Meta {
    id: "organizations-service-access-disabled",
    title: "AWS Organizations Trusted Access or Delegated Administrator Removed for a Security Service",
    description: "The management account switched off an AWS logging or security service's \
                  trusted access to the organisation (CloudTrail, Config, GuardDuty, Security \
                  Hub and the like), or removed the service's delegated administrator. The \
                  organisation trail and the central detectors then stop reaching member \
                  accounts: a way to blind every account at once.",
    severity: Severity::High,
    attack: &["T1562.008", "T1562.001"],
    origins: &["trailwatch: based on the AWS Organizations DisableAWSServiceAccess API and the \
                services whose organisation-wide set-up depends on trusted access"],
    group: "logging-tamper",
    false_positives: &[
        "The platform team retiring a service, or moving its central set-up to another \
         tool or its administration to another account (the new administrator is \
         registered right after).",
    ],
    next_steps: "Confirm with the platform team. If unplanned, enable trusted access again \
                 (EnableAWSServiceAccess), check that the organisation trail and the \
                 service's member accounts are intact, and review the caller's other changes.",
    evidence: "action admin_account service service_principal",
    triggers: &[
        Trigger::write(SOURCE, NAMES),
        Trigger::write(ADMIN_REMOVALS[0].0, &[ADMIN_REMOVALS[0].1]),
        Trigger::write(ADMIN_REMOVALS[1].0, &[ADMIN_REMOVALS[1].1]),
        Trigger::write(ADMIN_REMOVALS[2].0, &[ADMIN_REMOVALS[2].1]),
        Trigger::write(ADMIN_REMOVALS[3].0, &[ADMIN_REMOVALS[3].1]),
        Trigger::write(ADMIN_REMOVALS[4].0, &[ADMIN_REMOVALS[4].1]),
        Trigger::write(ADMIN_REMOVALS[5].0, &[ADMIN_REMOVALS[5].1]),
        Trigger::write(ADMIN_REMOVALS[6].0, &[ADMIN_REMOVALS[6].1]),
        Trigger::write(ADMIN_REMOVALS[7].0, &[ADMIN_REMOVALS[7].1]),
    ],
    window: None,
};

impl Detection for OrganizationsServiceAccessDisabled {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if aws_service_among(rec, &["controltower.amazonaws.com"]) {
            return None;
        }
        let service = ADMIN_REMOVALS
            .iter()
            .any(|(source, name)| succeeded_call(rec, source, &[name]));
        if service {
            return fire(
                Evidence::new()
                    .with("action", rec.event_name())
                    .with("service", rec.event_source())
                    .with_opt(
                        "admin_account",
                        request_text_any(rec, &["adminAccountId", "AdminAccountId", "delegatedAdminAccountId"]),
                    ),
            );
        }
        if !succeeded_call(rec, SOURCE, NAMES) {
            return None;
        }
        let principal = request_text_any(rec, &["servicePrincipal", "ServicePrincipal"])?;
        let watched = WATCHED_PRINCIPALS
            .iter()
            .any(|p| p.eq_ignore_ascii_case(principal.trim()));
        if !watched {
            return None;
        }
        fire(
            Evidence::new()
                .with("action", rec.event_name())
                .with("service_principal", principal.trim())
                .with_opt("admin_account", request_text_any(rec, &["accountId", "AccountId"])),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::calls::{call, failed};
    use crate::detections::common::testing::{eval, fires};

    fn disable(principal: &str) -> String {
        call(SOURCE, "DisableAWSServiceAccess", &format!(r#"{{"servicePrincipal":"{principal}"}}"#))
    }

    #[test]
    fn fires_for_logging_and_security_services() {
        match eval(&OrganizationsServiceAccessDisabled, &disable("cloudtrail.amazonaws.com")) {
            Some(Signal::Fire(e)) => assert_eq!(
                e.get("service_principal").and_then(|v| v.as_str()),
                Some("cloudtrail.amazonaws.com")
            ),
            other => panic!("expected a finding, got {other:?}"),
        }
        for p in ["GuardDuty.amazonaws.com", " securityhub.amazonaws.com ", "member.org.stacksets.cloudformation.amazonaws.com"] {
            assert!(fires(&OrganizationsServiceAccessDisabled, &disable(p)), "{p}");
        }
        // A stack's change, or a service's on a person's behalf, counts.
        for by in ["cloudformation.amazonaws.com", "guardduty.amazonaws.com"] {
            let on_behalf = disable("config.amazonaws.com")
                .replacen(r#""accountId":"111122223333""#, &format!(r#""accountId":"111122223333","invokedBy":"{by}""#), 1);
            assert!(fires(&OrganizationsServiceAccessDisabled, &on_behalf), "{by}");
        }
    }

    #[test]
    fn ignores_other_services_refusals_enables_and_services() {
        for p in ["license-manager.amazonaws.com", "ram.amazonaws.com", "cloudtrail.amazonaws.com.evil", ""] {
            assert!(!fires(&OrganizationsServiceAccessDisabled, &disable(p)), "{p}");
        }
        assert!(!fires(&OrganizationsServiceAccessDisabled, &failed(&disable("cloudtrail.amazonaws.com"), "AccessDeniedException")));
        let enable = call(SOURCE, "EnableAWSServiceAccess", r#"{"servicePrincipal":"cloudtrail.amazonaws.com"}"#);
        assert!(!fires(&OrganizationsServiceAccessDisabled, &enable));
        let tower = disable("cloudtrail.amazonaws.com")
            .replacen(r#""accountId":"111122223333""#, r#""accountId":"111122223333","invokedBy":"controltower.amazonaws.com""#, 1);
        assert!(!fires(&OrganizationsServiceAccessDisabled, &tower));
        let no_principal = call(SOURCE, "DisableAWSServiceAccess", "null");
        assert!(!fires(&OrganizationsServiceAccessDisabled, &no_principal));
    }

    /// From two reviews: the delegated administrator removed, from Organizations
    /// or by the service's own call, cuts the central view in one call.
    #[test]
    fn a_delegated_administrator_removed_counts() {
        let deregister = call(SOURCE, "DeregisterDelegatedAdministrator",
            r#"{"accountId":"444455556666","servicePrincipal":"guardduty.amazonaws.com"}"#);
        match eval(&OrganizationsServiceAccessDisabled, &deregister) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("admin_account").and_then(|v| v.as_str()), Some("444455556666"));
                assert_eq!(e.get("action").and_then(|v| v.as_str()), Some("DeregisterDelegatedAdministrator"));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let other = deregister.replace("guardduty.amazonaws.com", "license-manager.amazonaws.com");
        assert!(!fires(&OrganizationsServiceAccessDisabled, &other));
        for (source, name) in ADMIN_REMOVALS {
            let params = if source.starts_with("inspector2") {
                r#"{"delegatedAdminAccountId":"444455556666"}"#
            } else {
                r#"{"adminAccountId":"444455556666"}"#
            };
            let removed = call(source, name, params);
            match eval(&OrganizationsServiceAccessDisabled, &removed) {
                Some(Signal::Fire(e)) => assert_eq!(e.get("admin_account").and_then(|v| v.as_str()), Some("444455556666"), "{source}"),
                other => panic!("expected a finding for {source}, got {other:?}"),
            }
            assert!(!fires(&OrganizationsServiceAccessDisabled, &failed(&removed, "AccessDeniedException")), "{source}");
            let enable = removed
                .replace("Disable", "Enable")
                .replace("Deregister", "Register")
                .replace("Deactivate", "Activate");
            assert!(!fires(&OrganizationsServiceAccessDisabled, &enable), "{source}");
        }
    }
}
