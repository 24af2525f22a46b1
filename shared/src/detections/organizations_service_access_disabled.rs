//! An AWS logging or security service's trusted access to the organisation
//! switched off from the management account (`DisableAWSServiceAccess`),
//! successfully.
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
const NAMES: &[&str] = &["DisableAWSServiceAccess"];

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
    title: "AWS Organizations Trusted Access Disabled for a Security Service",
    description: "The management account switched off an AWS logging or security service's \
                  trusted access to the organisation (CloudTrail, Config, GuardDuty, Security \
                  Hub and the like). The organisation trail and the central detectors then stop \
                  reaching member accounts: a way to blind every account at once.",
    severity: Severity::High,
    attack: &["T1562.008", "T1562.001"],
    origins: &["trailwatch: based on the AWS Organizations DisableAWSServiceAccess API and the \
                services whose organisation-wide set-up depends on trusted access"],
    group: "logging-tamper",
    false_positives: &[
        "The platform team retiring a service, or moving its central set-up to another \
         tool.",
    ],
    next_steps: "Confirm with the platform team. If unplanned, enable trusted access again \
                 (EnableAWSServiceAccess), check that the organisation trail and the \
                 service's member accounts are intact, and review the caller's other changes.",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

impl Detection for OrganizationsServiceAccessDisabled {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, SOURCE, NAMES) || aws_service_among(rec, &["controltower.amazonaws.com"]) {
            return None;
        }
        let principal = request_text_any(rec, &["servicePrincipal", "ServicePrincipal"])?;
        let watched = WATCHED_PRINCIPALS
            .iter()
            .any(|p| p.eq_ignore_ascii_case(principal.trim()));
        if !watched {
            return None;
        }
        fire(Evidence::new().with("service_principal", principal.trim()))
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
}
