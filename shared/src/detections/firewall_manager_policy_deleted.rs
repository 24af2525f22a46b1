//! AWS Firewall Manager's central protections taken down, successfully: a policy
//! deleted (`DeletePolicy`), the administrator account removed
//! (`DisassociateAdminAccount`), or its notification channel deleted
//! (`DeleteNotificationChannel`) or pointed at another account's topic
//! (`PutNotificationChannel`).
//!
//! Decisions: Firewall Manager applies WAF web ACLs, Shield Advanced, security
//! groups, Network Firewall and DNS Firewall rules to every account of an
//! organisation from one administrator account, so one call there weakens them
//! everywhere, and none of the per-account detections sees it (the changes in the
//! member accounts are Firewall Manager's own, which they leave out). A policy
//! deleted with `deleteAllPolicyResources` true also strips what it created (web
//! ACLs taken off the resources in scope, its security groups removed): high; a
//! policy deleted without it leaves its protections in place but no longer
//! enforced on new resources or put back when removed: medium. Removing the
//! administrator stops every policy: high. The notification channel carries
//! Firewall Manager's own non-compliance alerts to the team: deleting it, or
//! sending it to a topic of another account (whose owner reads the alerts and the
//! team does not; from a review), is medium. A policy rewritten by `PutPolicy`
//! (remediation switched off, accounts excluded) and an administrator's scope
//! narrowed by `PutAdminAccount` are not judged: the calls do not say what they
//! replaced. Changes AWS services make on
//! their own are left out; a stack's change counts.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    aws_service_caller_but_stack, flag_value, foreign_arn_account, request_param_any, request_text_any, succeeded_call,
};
use crate::event::Record;

pub struct FirewallManagerPolicyDeleted;

const SOURCE: &str = "fms.amazonaws.com";
const DELETE_POLICY: &str = "DeletePolicy";
const PUT_CHANNEL: &str = "PutNotificationChannel";
const CALLS: &[&str] = &[DELETE_POLICY, "DeleteNotificationChannel", "DisassociateAdminAccount", PUT_CHANNEL];

pub static META: Meta = Meta {
    id: "firewall-manager-policy-deleted",
    title: "AWS Firewall Manager Policy Deleted or Administrator Removed",
    description: "A Firewall Manager policy was deleted (with or without removing the web \
                  ACLs and security groups it applied), the Firewall Manager administrator \
                  account was removed, or its notification channel was deleted or sent to \
                  another account's topic. The WAF, \
                  Shield, security group and network firewall protections it enforces across \
                  the organisation's accounts are no longer applied or reported on.",
    severity: Severity::High,
    attack: &["T1562.007", "T1562.001"],
    origins: &[
        "trailwatch: from an evasion review (Firewall Manager deletes the protections of \
         every account at once)",
    ],
    group: "network-exposure",
    false_positives: &[
        "The network security team retiring or replacing a policy, or moving Firewall Manager \
         to another administrator account.",
    ],
    next_steps: "Confirm the change with the team that runs Firewall Manager. If it is not \
                 explained, recreate the policy or the administrator, check the web ACLs and \
                 security groups of the accounts in scope, and review what reached the \
                 resources it protected since the change.",
    evidence: "action other_account policy_id policy_resources_removed topic",
    triggers: &[Trigger::write(SOURCE, CALLS)],
    window: None,
};

/// `DeletePolicy` told Firewall Manager to remove what the policy created.
fn resources_removed(rec: &Record<'_>) -> bool {
    request_param_any(rec, &["deleteAllPolicyResources", "DeleteAllPolicyResources"]).and_then(flag_value)
        == Some(true)
}

impl Detection for FirewallManagerPolicyDeleted {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn severity_for(&self, rec: &Record<'_>) -> Severity {
        match rec.event_name() {
            DELETE_POLICY if resources_removed(rec) => Severity::High,
            "DisassociateAdminAccount" => Severity::High,
            _ => Severity::Medium,
        }
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, SOURCE, CALLS) || aws_service_caller_but_stack(rec) {
            return None;
        }
        let e = Evidence::new().with("action", rec.event_name());
        fire(match rec.event_name() {
            DELETE_POLICY => e
                .with_opt("policy_id", request_text_any(rec, &["policyId", "PolicyId"]))
                .with("policy_resources_removed", resources_removed(rec)),
            PUT_CHANNEL => {
                let topic = request_text_any(rec, &["snsTopicArn", "SnsTopicArn"])?;
                let account = foreign_arn_account(rec, topic)?;
                e.with("topic", topic.trim()).with("other_account", account)
            }
            _ => e,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::{eval, fires};

    const POLICY: &str = r#""policyId":"6f4d3c2b-1a09-4e8d-9c7b-6a5f4e3d2c1b""#;

    fn severity(name: &str, params: &str) -> Severity {
        let json = record(SOURCE, name, ROLE, params, "");
        assert!(fires(&FirewallManagerPolicyDeleted, &json), "{name} {params}");
        testing::severity(&FirewallManagerPolicyDeleted, &json)
    }

    #[test]
    fn deletions_fire_high_when_they_strip_protections() {
        assert_eq!(severity(DELETE_POLICY, &format!(r#"{{{POLICY},"deleteAllPolicyResources":true}}"#)), Severity::High);
        assert_eq!(severity(DELETE_POLICY, &format!(r#"{{{POLICY},"deleteAllPolicyResources":"true"}}"#)), Severity::High);
        assert_eq!(severity(DELETE_POLICY, &format!(r#"{{{POLICY},"deleteAllPolicyResources":false}}"#)), Severity::Medium);
        assert_eq!(severity(DELETE_POLICY, &format!("{{{POLICY}}}")), Severity::Medium);
        assert_eq!(severity("DisassociateAdminAccount", "{}"), Severity::High);
        assert_eq!(severity("DeleteNotificationChannel", "null"), Severity::Medium);
        let elsewhere = r#"{"snsTopicArn":"arn:aws:sns:us-east-1:999988887777:fms-alerts","snsRoleName":"arn:aws:iam::111122223333:role/AWSServiceRoleForFMS"}"#;
        assert_eq!(severity(PUT_CHANNEL, elsewhere), Severity::Medium);
        match eval(&FirewallManagerPolicyDeleted, &record(SOURCE, DELETE_POLICY, ROLE, &format!(r#"{{{POLICY},"deleteAllPolicyResources":true}}"#), "")) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("policy_id").and_then(|v| v.as_str()), Some("6f4d3c2b-1a09-4e8d-9c7b-6a5f4e3d2c1b"));
                assert_eq!(e.get("policy_resources_removed").and_then(|v| v.as_bool()), Some(true));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn failures_services_and_other_calls_do_not() {
        let params = format!("{{{POLICY}}}");
        assert!(!fires(&FirewallManagerPolicyDeleted, &failed(SOURCE, DELETE_POLICY, ROLE, &params, "AccessDeniedException")));
        assert!(!fires(&FirewallManagerPolicyDeleted, &record(SOURCE, DELETE_POLICY, SERVICE, &params, "")));
        assert!(!fires(&FirewallManagerPolicyDeleted, &record(SOURCE, "PutPolicy", ROLE, "{}", "")));
        // The team's own topic is the channel's everyday setting.
        let own = r#"{"snsTopicArn":"arn:aws:sns:us-east-1:111122223333:fms-alerts","snsRoleName":"AWSServiceRoleForFMS"}"#;
        assert!(!fires(&FirewallManagerPolicyDeleted, &record(SOURCE, PUT_CHANNEL, ROLE, own, "")));
        assert!(!fires(&FirewallManagerPolicyDeleted, &record(SOURCE, PUT_CHANNEL, ROLE, "{}", "")));
        assert!(!fires(&FirewallManagerPolicyDeleted, &record("waf.amazonaws.com", DELETE_POLICY, ROLE, &params, "")));
    }
}
