//! IAM Identity Center's identity source changed, successfully: a directory
//! associated or disassociated (`AssociateDirectory`, `DisassociateDirectory`), or
//! an external identity provider's configuration created, updated, enabled,
//! disabled or deleted (`...ExternalIdPConfigurationForDirectory`).
//!
//! Decisions: whoever controls the identity source decides who signs in as whom to
//! every account the organisation's permission sets reach: swapping the SAML
//! provider's metadata for one's own, or pointing the instance at another directory,
//! lets an attacker sign in as any user, administrators included. The upstream rule
//! takes the association and the enabling and disabling; the creation, update and
//! deletion of the provider's configuration change the same trust and are added.
//! Changes AWS services make on their own (Control Tower setting up a landing zone)
//! are left out; a stack's change counts.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_caller_but_stack, request_text_any, succeeded_call};
use crate::event::Record;

pub struct IdentityCenterIdentitySourceChanged;

const SSO: &str = "sso.amazonaws.com";
const DIRECTORY: &str = "sso-directory.amazonaws.com";
const SSO_CALLS: &[&str] = &["AssociateDirectory", "DisassociateDirectory"];
const DIRECTORY_CALLS: &[&str] = &[
    "CreateExternalIdPConfigurationForDirectory",
    "DeleteExternalIdPConfigurationForDirectory",
    "DisableExternalIdPConfigurationForDirectory",
    "EnableExternalIdPConfigurationForDirectory",
    "UpdateExternalIdPConfigurationForDirectory",
];

pub static META: Meta = Meta {
    id: "identity-center-identity-source-changed",
    title: "AWS IAM Identity Center Identity Source Changed",
    description: "IAM Identity Center's identity source changed: a directory was associated \
                  or removed, or an external identity provider was configured, replaced, \
                  enabled or disabled. Whoever controls the identity source can sign in as \
                  any of its users to every account their permission sets reach.",
    severity: Severity::High,
    attack: &["T1484.002", "T1556"],
    origins: &[
        "SigmaHQ rules/cloud/aws/cloudtrail/aws_sso_idp_change.yml (AWS Identity Center \
         Identity Provider Change; the configuration's creation, update and deletion added)",
    ],
    group: "identity-abuse",
    false_positives: &[
        "A planned move to a new identity provider, or the provider's certificate renewed by \
         an administrator.",
    ],
    next_steps: "Confirm the change with the team that runs sign-in. If it is not planned, \
                 restore the previous identity source, review the sign-ins since the change \
                 (the portal's Authenticate and Federate events) and secure the management or \
                 delegated administrator account it came from.",
    evidence: "action directory",
    triggers: &[Trigger::write(SSO, SSO_CALLS), Trigger::write(DIRECTORY, DIRECTORY_CALLS)],
    window: None,
};

impl Detection for IdentityCenterIdentitySourceChanged {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !(succeeded_call(rec, SSO, SSO_CALLS) || succeeded_call(rec, DIRECTORY, DIRECTORY_CALLS))
            || aws_service_caller_but_stack(rec)
        {
            return None;
        }
        let directory = request_text_any(rec, &["directoryId", "identityStoreId", "instanceArn"]);
        fire(
            Evidence::new()
                .with("action", rec.event_name())
                .with_opt("directory", directory),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::{eval, fires};

    #[test]
    fn every_identity_source_change_fires() {
        for (source, name) in SSO_CALLS
            .iter()
            .map(|n| (SSO, *n))
            .chain(DIRECTORY_CALLS.iter().map(|n| (DIRECTORY, *n)))
        {
            match eval(&IdentityCenterIdentitySourceChanged, &record(source, name, ROLE, r#"{"directoryId":"d-9067a1b2c3"}"#, "")) {
                Some(Signal::Fire(e)) => {
                    assert_eq!(e.get("action").and_then(|v| v.as_str()), Some(name));
                    assert_eq!(e.get("directory").and_then(|v| v.as_str()), Some("d-9067a1b2c3"));
                }
                other => panic!("expected a finding for {name}, got {other:?}"),
            }
        }
    }

    #[test]
    fn reads_services_failures_and_other_sources_do_not() {
        let p = r#"{"directoryId":"d-9067a1b2c3"}"#;
        assert!(!fires(&IdentityCenterIdentitySourceChanged, &record(DIRECTORY, "ListExternalIdPConfigurationsForDirectory", ROLE, p, "")));
        assert!(!fires(&IdentityCenterIdentitySourceChanged, &record(SSO, "AssociateDirectory", SERVICE, p, "")));
        assert!(!fires(&IdentityCenterIdentitySourceChanged, &failed(DIRECTORY, "UpdateExternalIdPConfigurationForDirectory", ROLE, p, "AccessDeniedException")));
        assert!(!fires(&IdentityCenterIdentitySourceChanged, &record(SSO, "UpdateExternalIdPConfigurationForDirectory", ROLE, p, "")));
        assert!(!fires(&IdentityCenterIdentitySourceChanged, &record("ds.amazonaws.com", "DisassociateDirectory", ROLE, p, "")));
    }
}
