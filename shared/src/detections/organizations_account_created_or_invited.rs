//! A new account brought into the organisation: `CreateAccount`,
//! `CreateGovCloudAccount` or `InviteAccountToOrganization`, successful, by a
//! person or a pipeline rather than an AWS service.
//!
//! Decisions: the management account's holder can create accounts at will, and
//! each new one comes with a role that trusts the management account
//! (`OrganizationAccountAccessRole` unless the request names another): an intruder
//! there gets fresh accounts to run resources in, away from the watched ones, or
//! invites an account of their own. Account vending through Control Tower and
//! Service Catalog (an AWS service identity, or `invokedBy` one of them) is left out;
//! an account a CloudFormation stack creates (`AWS::Organizations::Account`) counts,
//! like a pipeline calling the API itself (a tuning entry where that is routine). The
//! asynchronous `CreateAccountResult` service event is not reported again. The
//! account name and e-mail address are masked in CloudTrail; the evidence keeps
//! the role name asked for, the invited party and the request's id.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_among, change_evidence, succeeded_call};
use crate::event::Record;

pub struct OrganizationsAccountCreatedOrInvited;

const SOURCE: &str = "organizations.amazonaws.com";
const NAMES: &[&str] = &[
    "CreateAccount",
    "CreateGovCloudAccount",
    "InviteAccountToOrganization",
];

pub static META: Meta = Meta {
    id: "organizations-account-created-or-invited",
    title: "AWS Account Created or Invited into the Organization",
    description: "A new account was created in the organisation, or an outside account was \
                  invited to join it, by a person or pipeline. A new member account comes with \
                  a role the management account can assume: someone holding the management \
                  account gains fresh accounts to run resources in, outside the usual \
                  monitoring.",
    severity: Severity::Medium,
    attack: &["T1136.003", "T1496", "T1098"],
    origins: &["trailwatch: based on the AWS Threat Technique Catalog (accounts created or \
             invited with the organisation's management account) and the AWS Organizations \
             CreateAccount and InviteAccountToOrganization APIs"],
    group: "iam-persistence",
    false_positives: &[
        "Planned account creation by the platform team or an account-vending pipeline that \
         calls the API directly (add it as a tuning entry).",
    ],
    next_steps: "Confirm the new account with the platform team. If it is not planned, \
                 review what the caller did in the management account, cancel the invitation \
                 or move the account to a quarantine organizational unit with a deny-all SCP, \
                 and look for resources started in it.",
    evidence: "api caller caller_type create_request_id invited invited_type roleName source_ip \
        user_agent",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

/// The services that vend accounts for an organisation.
const VENDING_SERVICES: &[&str] = &["controltower.amazonaws.com", "servicecatalog.amazonaws.com"];

impl Detection for OrganizationsAccountCreatedOrInvited {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, SOURCE, NAMES) || aws_service_among(rec, VENDING_SERVICES) {
            return None;
        }
        let target = rec.request_param("target").and_then(|t| t.as_object());
        let target_text = |key: &str| target.and_then(|t| t.get(key)).and_then(|v| v.as_str());
        let request_id = rec
            .response_element("createAccountStatus")
            .and_then(|s| s.get("id"))
            .and_then(|v| v.as_str());
        fire(
            change_evidence(rec, &["roleName"])
                .with_opt("invited", target_text("id"))
                .with_opt("invited_type", target_text("type"))
                .with_opt("create_request_id", request_id),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::iam_testing::{CFN, ROLE, USER, record};
    use crate::detections::common::testing::{eval, fires};

    const CREATED: &str = r#""responseElements":{"createAccountStatus":{"accountName":"****",
        "state":"IN_PROGRESS","id":"car-exampleid111"}}"#;

    #[test]
    fn fires_on_created_and_invited_accounts_with_their_details() {
        let created = record(SOURCE, "CreateAccount", USER,
            r#"{"email":"****","accountName":"****","roleName":"Maintenance"}"#,
            "",
        )
        .replace(r#""responseElements":null"#, CREATED);
        let Some(Signal::Fire(e)) = eval(&OrganizationsAccountCreatedOrInvited, &created) else {
            panic!("expected a finding");
        };
        assert_eq!(e.get("create_request_id").and_then(|v| v.as_str()), Some("car-exampleid111"));
        assert_eq!(e.get("roleName").and_then(|v| v.as_str()), Some("Maintenance"));
        let invited = record(SOURCE, "InviteAccountToOrganization", ROLE,
            r#"{"target":{"type":"ACCOUNT","id":"444455556666"}}"#, "");
        let Some(Signal::Fire(e)) = eval(&OrganizationsAccountCreatedOrInvited, &invited) else {
            panic!("expected a finding");
        };
        assert_eq!(e.get("invited").and_then(|v| v.as_str()), Some("444455556666"));
        assert!(fires(&OrganizationsAccountCreatedOrInvited,
            &record(SOURCE, "CreateGovCloudAccount", ROLE, "null", "")));
    }

    #[test]
    fn ignores_vending_services_failures_and_other_calls() {
        let b = &OrganizationsAccountCreatedOrInvited;
        let vended = CFN.replace("cloudformation.amazonaws.com", "controltower.amazonaws.com");
        assert_ne!(vended, CFN);
        assert!(!fires(b, &record(SOURCE, "CreateAccount", &vended, "null", "")));
        let catalog = CFN.replace("cloudformation.amazonaws.com", "servicecatalog.amazonaws.com");
        assert!(!fires(b, &record(SOURCE, "CreateAccount", &catalog, "null", "")));
        // A stack with an `AWS::Organizations::Account` resource is someone's doing.
        assert!(fires(b, &record(SOURCE, "CreateAccount", CFN, "null", "")));
        assert!(!fires(b, &record(SOURCE, "CreateAccount", USER, "null",
            r#""errorCode":"AccessDeniedException","#)));
        assert!(!fires(b, &record(SOURCE, "DescribeCreateAccountStatus", USER, "null", "")));
        assert!(!fires(b, &record(SOURCE, "CreateAccountResult", USER, "null", "")));
    }
}
