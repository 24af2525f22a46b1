//! An organisation policy that denies everything, successfully: a service or
//! resource control policy created or rewritten (`CreatePolicy`, `UpdatePolicy`)
//! with a `Deny` statement for every action (`*`) on every resource and no
//! condition.
//!
//! Decisions: attached to the root, an organisational unit or an account, such a
//! policy locks every principal of the accounts under it out of everything but the
//! management account: an attacker holding the management account uses it to deny
//! the victims their own accounts, or to hold them for ransom. The content is judged,
//! not the policy type (an `UpdatePolicy` record does not carry the type; only
//! control policies hold IAM-style statements). A statement with a `Condition`, or
//! with `NotAction` or `NotResource`, spares someone and does not count; nor does a
//! statement that names actions. Except where the sparing is only in name: a
//! condition every request meets (`Null` `false` on a key every request carries,
//! such as `aws:PrincipalArn`; `StringLike` `*` on one), or a `NotAction` that
//! spares only a few named calls (at most five, no wildcard: `sdb:CreateDomain`), still locks
//! everyone out and counts. Incident responders' quarantine policies deny all
//! too, and are named in the false positives.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{deny_statements, one_or_many, policy_document, succeeded_call};
use crate::event::Record;

pub struct OrganizationsDenyAllPolicy;

const ORGANIZATIONS: &str = "organizations.amazonaws.com";
const CALLS: &[&str] = &["CreatePolicy", "UpdatePolicy"];

pub static META: Meta = Meta {
    id: "organizations-deny-all-policy",
    title: "AWS Organizations Policy Denying Everything Created or Updated",
    description: "A service or resource control policy now denies every action on every \
                  resource, without condition. Attached to accounts, it locks everyone in them \
                  out of their own resources: a way to take an organisation's accounts away \
                  from their owners, or hold them for ransom.",
    severity: Severity::High,
    attack: &["T1531", "T1485"],
    origins: &[
        "trailwatch: from a red-team gap hunt (deny-all control policies used to lock member \
         accounts out)",
    ],
    group: "hijacking",
    false_positives: &[
        "Quarantine policies that incident responders or account-closure workflows attach to \
         compromised or retired accounts.",
    ],
    next_steps: "Find where the policy is attached (ListTargetsForPolicy). If the change is \
                 not known, detach or restore it from the management account, and secure that \
                 account's credentials first: only it can change control policies.",
    triggers: &[Trigger::write(ORGANIZATIONS, CALLS)],
    window: None,
};

/// Whether a `Deny` statement covers every action on every resource for everyone:
/// `*`, or a `NotAction` sparing only named calls, under no condition or one
/// every request meets.
fn denies_everything(st: &serde_json::Value) -> bool {
    let is_star = |v: Option<&serde_json::Value>| {
        one_or_many(v)
            .iter()
            .any(|a| a.as_str().is_some_and(|a| matches!(a.trim(), "*" | "*:*")))
    };
    let every_action = match (st.get("Action"), st.get("NotAction")) {
        (action, None) => is_star(action),
        (None, Some(spared)) => {
            let spared = one_or_many(Some(spared));
            (1..=MAX_SPARED_CALLS).contains(&spared.len())
                && spared
                    .iter()
                    .all(|a| a.as_str().is_some_and(|a| !a.is_empty() && !a.contains(['*', '?'])))
        }
        (Some(_), Some(_)) => false,
    };
    every_action
        && (st.get("Resource").is_none() || is_star(st.get("Resource")))
        && st.get("NotResource").is_none()
        && st.get("NotPrincipal").is_none()
        && met_by_every_request(st.get("Condition"))
}

/// A `NotAction` deny naming at most this many calls (no wildcard) locks everyone
/// out as a deny of `*` does; a longer list is an allow-list policy.
const MAX_SPARED_CALLS: usize = 5;

/// Condition keys every authenticated request carries.
const ALWAYS_PRESENT: [&str; 7] = [
    "aws:principalarn",
    "aws:principalaccount",
    "aws:principaltype",
    "aws:userid",
    "aws:securetransport",
    "aws:currenttime",
    "aws:epochtime",
];

/// No condition, or one every request meets: each of its tests is `Null` `false`
/// on a key every request carries, or a `StringLike`/`ArnLike` whose values
/// include one made of wildcards only, on such a key (or with `IfExists`).
fn met_by_every_request(condition: Option<&serde_json::Value>) -> bool {
    use serde_json::Value;
    let operators = match condition {
        None | Some(Value::Null) => return true,
        Some(Value::Object(operators)) => operators,
        Some(_) => return false,
    };
    operators.iter().all(|(operator, keys)| {
        let op = operator.trim().to_ascii_lowercase();
        let Value::Object(keys) = keys else {
            return false;
        };
        keys.iter().all(|(key, value)| {
            let present = ALWAYS_PRESENT.iter().any(|k| k.eq_ignore_ascii_case(key.trim()));
            let values = one_or_many(Some(value));
            match op.as_str() {
                "null" => {
                    present
                        && values.iter().all(|v| {
                            v.as_bool() == Some(false)
                                || v.as_str().is_some_and(|s| s.trim().eq_ignore_ascii_case("false"))
                        })
                }
                "stringlike" | "arnlike" | "stringlikeifexists" | "arnlikeifexists" => {
                    // ARN operators match ARN keys only (of those always there).
                    let arn_ok = !op.starts_with("arn") || key.trim().eq_ignore_ascii_case("aws:principalarn") || op.ends_with("ifexists");
                    arn_ok
                        && (present || op.ends_with("ifexists"))
                        && values.iter().any(|v| {
                            v.as_str().is_some_and(|s| !s.trim().is_empty() && s.trim().chars().all(|c| c == '*'))
                        })
                }
                _ => false,
            }
        })
    })
}

impl Detection for OrganizationsDenyAllPolicy {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, ORGANIZATIONS, CALLS) {
            return None;
        }
        let doc = policy_document(rec.request_param("content")?)?;
        if !deny_statements(&doc).into_iter().any(denies_everything) {
            return None;
        }
        let summary = rec.response_element("policy").and_then(|p| p.get("policySummary"));
        let id = rec
            .request_param_str("policyId")
            .or_else(|| summary?.get("id")?.as_str());
        fire(
            Evidence::new()
                .with("api", rec.event_name())
                .with_opt("policy_id", id)
                .with_opt("policy_name", rec.request_param_str("name"))
                .with_opt("policy_type", rec.request_param_str("type")),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, failed, record};
    use crate::detections::common::testing::{eval, fires};

    fn create(statement: &str) -> String {
        let content = format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#);
        format!(
            r#"{{"content":{},"description":"","name":"lockdown","type":"SERVICE_CONTROL_POLICY"}}"#,
            serde_json::to_string(&content).unwrap()
        )
    }

    #[test]
    fn a_policy_denying_everything_fires() {
        for st in [
            r#"{"Effect":"Deny","Action":"*","Resource":"*"}"#,
            r#"{"Sid":"x","Effect":"Deny","Action":["s3:*","*"],"Resource":["*"]}"#,
            r#"{"Effect":"Deny","Action":"*","Resource":"*","Principal":"*","Condition":{}}"#,
            // Sparing in name only: conditions every request meets, a dead call.
            r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Null":{"aws:PrincipalArn":"false"}}}"#,
            r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringLike":{"aws:PrincipalArn":["*"]},"Null":{"aws:userid":false}}}"#,
            r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"ArnLikeIfExists":{"aws:SourceArn":"*"}}}"#,
            r#"{"Effect":"Deny","NotAction":"sdb:CreateDomain","Resource":"*"}"#,
            r#"{"Effect":"Deny","NotAction":["sdb:CreateDomain","sdb:ListDomains"]}"#,
        ] {
            match eval(&OrganizationsDenyAllPolicy, &record(ORGANIZATIONS, "CreatePolicy", ROLE, &create(st), "")) {
                Some(Signal::Fire(e)) => assert_eq!(e.get("policy_name").and_then(|v| v.as_str()), Some("lockdown"), "{st}"),
                other => panic!("expected a finding for {st}, got {other:?}"),
            }
        }
        let update = create(r#"{"Effect":"Deny","Action":"*","Resource":"*"}"#).replace(r#""name":"lockdown","type":"SERVICE_CONTROL_POLICY""#, r#""policyId":"p-0a1b2c3d""#);
        match eval(&OrganizationsDenyAllPolicy, &record(ORGANIZATIONS, "UpdatePolicy", ROLE, &update, "")) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("policy_id").and_then(|v| v.as_str()), Some("p-0a1b2c3d")),
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn narrower_denials_allows_and_failures_do_not() {
        for st in [
            r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#,
            r#"{"Effect":"Deny","Action":"s3:*","Resource":"*"}"#,
            r#"{"Effect":"Deny","NotAction":["iam:*"],"Resource":"*"}"#,
            r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1"]}}}"#,
            r#"{"Effect":"Deny","Action":"*","Resource":"arn:aws:s3:::logs/*"}"#,
            r#"{"Effect":"Deny","Action":"*","NotResource":"arn:aws:s3:::logs/*"}"#,
            // A break-glass role spared; a condition on a key not every request has.
            r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/BreakGlass"}}}"#,
            r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringLike":{"aws:SourceVpce":"*"}}}"#,
            r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Null":{"aws:PrincipalArn":"true"}}}"#,
            r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/x*"}}}"#,
            r#"{"Effect":"Deny","NotAction":["iam:*","sts:*"],"Resource":"*"}"#,
            r#"{"Effect":"Deny","NotAction":["s3:GetObject","s3:PutObject","s3:ListBucket","ec2:DescribeInstances","sts:GetCallerIdentity","logs:PutLogEvents"],"Resource":"*"}"#,
            r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"ArnLike":{"aws:userid":"*"}}}"#,
        ] {
            assert!(!fires(&OrganizationsDenyAllPolicy, &record(ORGANIZATIONS, "CreatePolicy", ROLE, &create(st), "")), "{st}");
        }
        let all = create(r#"{"Effect":"Deny","Action":"*","Resource":"*"}"#);
        assert!(!fires(&OrganizationsDenyAllPolicy, &failed(ORGANIZATIONS, "CreatePolicy", ROLE, &all, "AccessDeniedException")));
        assert!(!fires(&OrganizationsDenyAllPolicy, &record(ORGANIZATIONS, "AttachPolicy", ROLE, &all, "")));
        assert!(!fires(&OrganizationsDenyAllPolicy, &record(ORGANIZATIONS, "CreatePolicy", ROLE, r#"{"content":"not json","name":"x"}"#, "")));
    }
}
