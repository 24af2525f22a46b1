//! A member account made the organisation's delegated administrator for an AWS
//! service (`RegisterDelegatedAdministrator`), successfully.
//!
//! Decisions: a delegated administrator manages that service for the whole
//! organisation from its own account: IAM Identity Center (everyone's access to every
//! account), IAM and Organizations themselves, or the security services (GuardDuty,
//! Security Hub, CloudTrail) that could then be turned off everywhere. An intruder in
//! the management account delegates to an account they control to keep that power
//! outside the account everyone watches. Every service counts; the finding names it,
//! and the ones that grant access or control security are marked `sensitive`.
//!
//! The organisation's delegation policy (`PutResourcePolicy` of Organizations)
//! hands its own management to member accounts, by action: one that lets them
//! write, attach or detach policies (service control policies among them) or turn
//! policy types off is the same persistence, and is `sensitive` (from an evasion
//! review); the accounts it names are in the evidence.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    allow_statements, policy_document, principal_accounts, request_param_any, request_text_any,
    statement_covers_action, succeeded_call,
};
use crate::event::Record;

pub struct OrganizationsDelegatedAdministratorRegistered;

const SOURCE: &str = "organizations.amazonaws.com";
const NAMES: &[&str] = &["PutResourcePolicy", "RegisterDelegatedAdministrator"];
/// The Organizations actions that manage the organisation's policies.
const POLICY_WRITES: [&str; 7] = [
    "organizations:CreatePolicy",
    "organizations:UpdatePolicy",
    "organizations:DeletePolicy",
    "organizations:AttachPolicy",
    "organizations:DetachPolicy",
    "organizations:EnablePolicyType",
    "organizations:DisablePolicyType",
];

/// Services whose delegated administrator controls access or security for every
/// account. StackSets' deploys stacks (roles trusting another account, say) into
/// every member account (from a second evasion review).
const SENSITIVE: [&str; 10] = [
    "sso.amazonaws.com",
    "iam.amazonaws.com",
    "organizations.amazonaws.com",
    "account.amazonaws.com",
    "guardduty.amazonaws.com",
    "securityhub.amazonaws.com",
    "cloudtrail.amazonaws.com",
    "config.amazonaws.com",
    "access-analyzer.amazonaws.com",
    "member.org.stacksets.cloudformation.amazonaws.com",
];

pub static META: Meta = Meta {
    id: "organizations-delegated-administrator-registered",
    title: "AWS Organizations Delegated Administrator Registered",
    description: "A member account was made the organisation's delegated administrator \
                  for an AWS service, or given Organizations actions by the delegation \
                  policy. It can then manage that service for every account: \
                  for IAM Identity Center, everyone's access; for the security services, \
                  whether they stay on. Intruders in the management account delegate to an \
                  account they control to keep that power out of sight.",
    severity: Severity::Medium,
    attack: &["T1484.002", "T1098"],
    origins: &[
        "trailwatch: based on the AWS Organizations RegisterDelegatedAdministrator API and a \
         review of management-account abuse techniques",
    ],
    group: "iam-persistence",
    false_positives: &[
        "The platform or security team setting up a service's administrator account.",
    ],
    next_steps: "Confirm that the account is meant to administer the service. If not, \
                 deregister it (DeregisterDelegatedAdministrator), then review what it did \
                 with the service since, and how the caller reached the management account.",
    evidence: "delegated_account delegated_accounts delegation_policy sensitive service",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

impl Detection for OrganizationsDelegatedAdministratorRegistered {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, SOURCE, NAMES) {
            return None;
        }
        let text = |keys: &[&str]| request_text_any(rec, keys);
        if rec.event_name() == "PutResourcePolicy" {
            let doc = request_param_any(rec, &["content", "Content"]).and_then(policy_document)?;
            let allows = allow_statements(&doc);
            let mut accounts: Vec<&str> = allows.iter().flat_map(|st| principal_accounts(st.get("Principal"))).collect();
            accounts.sort_unstable();
            accounts.dedup();
            let policies = POLICY_WRITES
                .iter()
                .any(|a| allows.iter().any(|st| statement_covers_action(st, a)));
            return fire(
                Evidence::new()
                    .with("delegation_policy", true)
                    .with("delegated_accounts", accounts)
                    .with("sensitive", policies),
            );
        }
        let service = text(&["servicePrincipal", "ServicePrincipal"]);
        let sensitive = service.is_some_and(|s| SENSITIVE.iter().any(|k| k.eq_ignore_ascii_case(s.trim())));
        fire(
            Evidence::new()
                .with_opt("delegated_account", text(&["accountId", "AccountId"]))
                .with_opt("service", service)
                .with("sensitive", sensitive),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::calls::{call, failed};
    use crate::detections::common::testing::{eval, fires};

    /// From an evasion review: the delegation policy hands policy management out.
    #[test]
    fn a_delegation_policy_fires_and_marks_policy_writes() {
        let policy = |actions: &str| {
            let content = serde_json::to_string(&format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"Delegate","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::444455556666:root"}},"Action":{actions},"Resource":"*"}}]}}"#
            ))
            .unwrap();
            call(SOURCE, "PutResourcePolicy", &format!(r#"{{"content":{content}}}"#))
        };
        match eval(&OrganizationsDelegatedAdministratorRegistered, &policy(r#"["organizations:Describe*","organizations:UpdatePolicy","organizations:AttachPolicy"]"#)) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("sensitive"), Some(&serde_json::json!(true)));
                assert_eq!(e.get("delegated_accounts"), Some(&serde_json::json!(["444455556666"])));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        match eval(&OrganizationsDelegatedAdministratorRegistered, &policy(r#""organizations:Describe*""#)) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("sensitive"), Some(&serde_json::json!(false))),
            other => panic!("expected a finding, got {other:?}"),
        }
        assert_eq!(eval(&OrganizationsDelegatedAdministratorRegistered, &call(SOURCE, "PutResourcePolicy", r#"{"content":"not json"}"#)), None);
    }

    #[test]
    fn a_delegation_fires_and_marks_the_services_that_control_access() {
        let sso = call(SOURCE, "RegisterDelegatedAdministrator", r#"{"accountId":"444455556666","servicePrincipal":"sso.amazonaws.com"}"#);
        match eval(&OrganizationsDelegatedAdministratorRegistered, &sso) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("sensitive"), Some(&serde_json::json!(true)));
                assert_eq!(e.get("delegated_account").and_then(|v| v.as_str()), Some("444455556666"));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let stacksets = sso.replace("sso.amazonaws.com", "member.org.stacksets.cloudformation.amazonaws.com");
        match eval(&OrganizationsDelegatedAdministratorRegistered, &stacksets) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("sensitive"), Some(&serde_json::json!(true))),
            other => panic!("expected a finding, got {other:?}"),
        }
        let backup = call(SOURCE, "RegisterDelegatedAdministrator", r#"{"AccountId":"444455556666","ServicePrincipal":"backup.amazonaws.com"}"#);
        match eval(&OrganizationsDelegatedAdministratorRegistered, &backup) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("sensitive"), Some(&serde_json::json!(false))),
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn refusals_and_deregistrations_do_not_fire() {
        let sso = call(SOURCE, "RegisterDelegatedAdministrator", r#"{"accountId":"444455556666","servicePrincipal":"sso.amazonaws.com"}"#);
        assert!(!fires(&OrganizationsDelegatedAdministratorRegistered, &failed(&sso, "AccountAlreadyRegisteredException")));
        let gone = sso.replace("RegisterDelegatedAdministrator", "DeregisterDelegatedAdministrator");
        assert!(!fires(&OrganizationsDelegatedAdministratorRegistered, &gone));
    }
}
