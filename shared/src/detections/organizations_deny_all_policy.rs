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
//! too, and are named in the false positives. After an evasion review: a
//! resource written as an ARN of wildcards (`arn:*`) is every resource; a deny of
//! everything whose only condition spares named callers (a negated test on
//! `aws:PrincipalArn` or `aws:userid`: the intruder's own way back in, or a
//! quarantine's break-glass role) counts at medium, with the principals spared;
//! and so does `FullAWSAccess` detached (`DetachPolicy` of `p-FullAWSAccess`),
//! the allow-list way to the same lock-out. Conditions on the organisation or on
//! accounts are data perimeters, not lock-outs, and stay left out.
//!
//! From a second evasion review, two more conditions every request meets: a
//! test that the time is past a date (`DateGreaterThan` on `aws:CurrentTime`,
//! `NumericGreaterThan` or a date test on `aws:EpochTime`, with or without
//! `Equals` or `IfExists`): a lock-out that starts on its own later, or at once
//! for a date already past; and a negated test that the caller's type is one
//! no caller has (`StringNotEquals` on `aws:PrincipalType` with only values
//! outside its five types). A time window that ends (`DateLessThan`) is not
//! judged: the record would need its date compared with the event's.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    bare_operator, condition_pattern_matches, deny_statements, flag_value, one_or_many, policy_document,
    succeeded_call,
};
use crate::event::Record;

pub struct OrganizationsDenyAllPolicy;

const ORGANIZATIONS: &str = "organizations.amazonaws.com";
const CALLS: &[&str] = &["CreatePolicy", "UpdatePolicy", "DetachPolicy"];

/// The AWS-managed policy that allows everything: detached, the target keeps only
/// what its other policies allow.
const FULL_ACCESS: &str = "p-FullAWSAccess";

/// Condition keys that name the caller itself: a deny of everything narrowed
/// only by one of these (negated) spares just the principals it names.
const PRINCIPAL_KEYS: [&str; 2] = ["aws:principalarn", "aws:userid"];

pub static META: Meta = Meta {
    id: "organizations-deny-all-policy",
    title: "AWS Organizations Policy Denying Everything Created or Updated, or FullAWSAccess Detached",
    description: "A service or resource control policy now denies every action on every \
                  resource, without condition or sparing only named principals, or the \
                  FullAWSAccess policy was detached. Attached to accounts, such a policy locks \
                  everyone in them out of their own resources: a way to take an organisation's \
                  accounts away from their owners, or hold them for ransom.",
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
        "FullAWSAccess detached on purpose by an organisation moving to allow-list control \
         policies (medium).",
    ],
    next_steps: "Find where the policy is attached (ListTargetsForPolicy). If the change is \
                 not known, detach or restore it from the management account, and secure that \
                 account's credentials first: only it can change control policies.",
    evidence: "api policy_id policy_name policy_type spared_principals target_id",
    triggers: &[Trigger::write(ORGANIZATIONS, CALLS)],
    window: None,
};

/// Whether a `Deny` statement covers every action on every resource for everyone:
/// `*`, or a `NotAction` sparing only named calls, under no condition or one
/// every request meets.
fn denies_everything(st: &serde_json::Value) -> bool {
    denies_everything_but(st, met_by_every_request)
}

/// A resource text that covers every resource: `*`, or an ARN pattern whose
/// fields are all wildcards but perhaps the partition (`arn:*`, `arn:aws:*:*:*:*`;
/// from an evasion review).
fn every_resource(text: &str) -> bool {
    let text = text.trim();
    if text == "*" {
        return true;
    }
    let mut fields = text.split(':');
    fields.next() == Some("arn")
        && fields
            .enumerate()
            .all(|(i, f)| f == "*" || (i == 0 && (f == "aws" || f.starts_with("aws-"))))
}

/// [`denies_everything`], with the statement's condition judged by `condition_ok`.
fn denies_everything_but(
    st: &serde_json::Value,
    condition_ok: impl Fn(Option<&serde_json::Value>) -> bool,
) -> bool {
    let is_star = |v: Option<&serde_json::Value>| {
        one_or_many(v)
            .iter()
            .any(|a| a.as_str().is_some_and(|a| matches!(a.trim(), "*" | "*:*")))
    };
    let is_every_resource =
        |v: Option<&serde_json::Value>| one_or_many(v).iter().any(|r| r.as_str().is_some_and(every_resource));
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
        && (st.get("Resource").is_none() || is_every_resource(st.get("Resource")))
        && st.get("NotResource").is_none()
        && st.get("NotPrincipal").is_none()
        && condition_ok(st.get("Condition"))
}

/// The principals a condition spares when all it does is spare named callers: a
/// negated string or ARN test (`ArnNotLike`, `StringNotEquals`..., `IfExists` or
/// not) on [`PRINCIPAL_KEYS`]; `None` for any other condition.
fn spared_principals(condition: Option<&serde_json::Value>) -> Option<Vec<String>> {
    let operators = condition?.as_object()?;
    let mut spared = Vec::new();
    for (operator, keys) in operators {
        let op = operator.trim().to_ascii_lowercase();
        let op = op.strip_suffix("ifexists").unwrap_or(&op);
        if !matches!(op, "arnnotlike" | "arnnotequals" | "stringnotlike" | "stringnotequals" | "stringnotequalsignorecase") {
            return None;
        }
        for (key, value) in keys.as_object()? {
            if !PRINCIPAL_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key.trim())) {
                return None;
            }
            spared.extend(one_or_many(Some(value)).iter().filter_map(|v| v.as_str()).map(str::to_owned));
        }
    }
    (!spared.is_empty()).then_some(spared)
}

/// What the call does, if it counts: its evidence, and how severe. A policy that
/// denies everything to everyone is high; one that spares only named principals
/// (a ransom note's own way back in, or a quarantine's break-glass role) and
/// `FullAWSAccess` detached (the allow-list way to the same lock-out) are medium
/// (from an evasion review).
fn assess(rec: &Record<'_>) -> Option<(Evidence, Severity)> {
    if !succeeded_call(rec, ORGANIZATIONS, CALLS) {
        return None;
    }
    if rec.event_name() == "DetachPolicy" {
        let policy = rec.request_param_str("policyId")?.trim();
        if !policy.eq_ignore_ascii_case(FULL_ACCESS) {
            return None;
        }
        let e = Evidence::new()
            .with("api", rec.event_name())
            .with("policy_id", policy)
            .with_opt("target_id", rec.request_param_str("targetId"));
        return Some((e, Severity::Medium));
    }
    let doc = policy_document(rec.request_param("content")?)?;
    let denies = deny_statements(&doc);
    let (severity, spared) = if denies.iter().any(|st| denies_everything(st)) {
        (Severity::High, None)
    } else {
        let spared = denies.iter().find_map(|st| {
            let spared = spared_principals(st.get("Condition"))?;
            denies_everything_but(st, |_| true).then_some(spared)
        })?;
        (Severity::Medium, Some(spared))
    };
    let summary = rec.response_element("policy").and_then(|p| p.get("policySummary"));
    let id = rec
        .request_param_str("policyId")
        .or_else(|| summary?.get("id")?.as_str());
    let e = Evidence::new()
        .with("api", rec.event_name())
        .with_opt("policy_id", id)
        .with_opt("policy_name", rec.request_param_str("name"))
        .with_opt("policy_type", rec.request_param_str("type"))
        .with_opt("spared_principals", spared);
    Some((e, severity))
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
/// on a key every request carries (or `Null` both ways, or `aws:SecureTransport`
/// both ways: the values are alternatives), or a `StringLike`/`ArnLike` whose
/// values include one made of wildcards only, or a principal ARN pattern taking
/// every kind of caller, on such a key (or with `IfExists`).
fn met_by_every_request(condition: Option<&serde_json::Value>) -> bool {
    use serde_json::Value;
    let operators = match condition {
        None | Some(Value::Null) => return true,
        Some(Value::Object(operators)) => operators,
        Some(_) => return false,
    };
    operators.iter().all(|(operator, keys)| {
        let if_exists = operator.trim().to_ascii_lowercase().ends_with("ifexists");
        // `ForAnyValue:` and `ForAllValues:` change nothing for these keys (from a
        // review: a lock-out written with them fired nothing).
        let op = bare_operator(operator);
        let Value::Object(keys) = keys else {
            return false;
        };
        keys.iter().all(|(key, value)| {
            let present = ALWAYS_PRESENT.iter().any(|k| k.eq_ignore_ascii_case(key.trim()));
            let values = one_or_many(Some(value));
            // A key's values are alternatives: `[false, true]` always holds.
            let flags = |want: bool| values.iter().any(|v| flag_value(v) == Some(want));
            let principal_arn = key.trim().eq_ignore_ascii_case("aws:principalarn");
            match op.as_str() {
                "null" => (present && flags(false)) || (flags(false) && flags(true)),
                "bool" => key.trim().eq_ignore_ascii_case("aws:securetransport") && flags(false) && flags(true),
                "stringlike" | "arnlike" | "arnequals" => {
                    // ARN operators match ARN keys only (of those always there).
                    let arn_ok = !op.starts_with("arn") || principal_arn || if_exists;
                    arn_ok
                        && (present || if_exists)
                        && values.iter().filter_map(|v| v.as_str()).map(str::trim).any(|s| {
                            (!s.is_empty() && s.chars().all(|c| c == '*'))
                                || (principal_arn
                                    && EVERY_KIND_OF_CALLER.iter().all(|c| condition_pattern_matches(s, c)))
                        })
                }
                _ => past_a_time(&op, key) || no_caller_is_of_type(&op, key, &values),
            }
        })
    })
}

/// A principal ARN of each kind of caller: a pattern on `aws:PrincipalArn` that
/// takes them all (`arn:*`, `arn:aws:*`) takes every request.
const EVERY_KIND_OF_CALLER: [&str; 4] = [
    "arn:aws:iam::111122223333:role/ops/Admin",
    "arn:aws:iam::444455556666:user/alice",
    "arn:aws:iam::444455556666:root",
    "arn:aws:sts::111122223333:federated-user/bob",
];

/// A test that the request comes after some time: true for every request from
/// then on (a time bomb, or a lock-out now for a time already past). `op` as
/// [`bare_operator`] gives it.
fn past_a_time(op: &str, key: &str) -> bool {
    let after = matches!(op, "dategreaterthan" | "dategreaterthanequals");
    let numeric_after = matches!(op, "numericgreaterthan" | "numericgreaterthanequals");
    let key = key.trim();
    (after && (key.eq_ignore_ascii_case("aws:CurrentTime") || key.eq_ignore_ascii_case("aws:EpochTime")))
        || (numeric_after && key.eq_ignore_ascii_case("aws:EpochTime"))
}

/// The caller types `aws:PrincipalType` takes.
const PRINCIPAL_TYPES: [&str; 5] = ["Account", "User", "FederatedUser", "AssumedRole", "Anonymous"];

/// `StringNotEquals` (or its case-insensitive or `IfExists` forms, `op` as
/// [`bare_operator`] gives it) on `aws:PrincipalType` with values that are none
/// of its types: every caller differs from all of them.
fn no_caller_is_of_type(op: &str, key: &str, values: &[&serde_json::Value]) -> bool {
    matches!(op, "stringnotequals" | "stringnotequalsignorecase")
        && key.trim().eq_ignore_ascii_case("aws:PrincipalType")
        && !values.is_empty()
        && values.iter().all(|v| {
            v.as_str()
                .is_some_and(|t| !PRINCIPAL_TYPES.iter().any(|p| p.eq_ignore_ascii_case(t.trim())))
        })
}

impl Detection for OrganizationsDenyAllPolicy {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn severity_for(&self, rec: &Record<'_>) -> Severity {
        assess(rec).map_or(META.severity, |(_, severity)| severity)
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        fire(assess(rec)?.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing;
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
            // From a second evasion review: a time bomb, and tests every request passes.
            r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2026-06-01T00:00:00Z"}}}"#,
            r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NumericGreaterThan":{"aws:EpochTime":0}}}"#,
            r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateGreaterThanEqualsIfExists":{"aws:EpochTime":"1780000000"}}}"#,
            r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalType":["NoSuchType"]}}}"#,
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

    /// From an evasion review: everything denied but to named principals (the
    /// intruder's way back in, or a quarantine's break-glass role), a resource
    /// written as an ARN of wildcards, and `FullAWSAccess` detached.
    #[test]
    fn lockouts_sparing_named_principals_or_by_detaching_full_access_are_medium() {
        let severity = |rec: &str| testing::severity(&OrganizationsDenyAllPolicy, rec);
        for st in [
            r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/OrganizationAccountAccessRole"}}}"#,
            r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotLikeIfExists":{"aws:PrincipalArn":["arn:aws:iam::*:role/BreakGlass","arn:aws:iam::*:role/Ops*"]}}}"#,
        ] {
            let rec = record(ORGANIZATIONS, "CreatePolicy", ROLE, &create(st), "");
            match eval(&OrganizationsDenyAllPolicy, &rec) {
                Some(Signal::Fire(e)) => assert!(e.get("spared_principals").is_some(), "{st}"),
                other => panic!("expected a finding for {st}, got {other:?}"),
            }
            assert_eq!(severity(&rec), Severity::Medium, "{st}");
        }
        for resource in [r#""arn:*""#, r#"["arn:aws:*:*:*:*"]"#] {
            let st = format!(r#"{{"Effect":"Deny","Action":"*","Resource":{resource}}}"#);
            let rec = record(ORGANIZATIONS, "CreatePolicy", ROLE, &create(&st), "");
            assert!(fires(&OrganizationsDenyAllPolicy, &rec), "{st}");
            assert_eq!(severity(&rec), Severity::High, "{st}");
        }
        let detach = |policy: &str| {
            record(ORGANIZATIONS, "DetachPolicy", ROLE, &format!(r#"{{"policyId":"{policy}","targetId":"r-a1b2"}}"#), "")
        };
        assert!(fires(&OrganizationsDenyAllPolicy, &detach("p-FullAWSAccess")));
        assert_eq!(severity(&detach("p-FullAWSAccess")), Severity::Medium);
        assert!(!fires(&OrganizationsDenyAllPolicy, &detach("p-0a1b2c3d")));
        // Data perimeters name the organisation or accounts, not callers: left out.
        let perimeter = r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}"#;
        assert!(!fires(&OrganizationsDenyAllPolicy, &record(ORGANIZATIONS, "CreatePolicy", ROLE, &create(perimeter), "")));
        let regional = r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/x"},"StringNotEquals":{"aws:RequestedRegion":"eu-west-1"}}}"#;
        assert!(!fires(&OrganizationsDenyAllPolicy, &record(ORGANIZATIONS, "CreatePolicy", ROLE, &create(regional), "")));
        assert!(!fires(&OrganizationsDenyAllPolicy, &record(ORGANIZATIONS, "CreatePolicy", ROLE, &create(r#"{"Effect":"Deny","Action":"*","Resource":"arn:aws:s3:::*"}"#), "")));
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
            // A condition on a key not every request has.
            r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringLike":{"aws:SourceVpce":"*"}}}"#,
            r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Null":{"aws:PrincipalArn":"true"}}}"#,
            r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/x*"}}}"#,
            r#"{"Effect":"Deny","NotAction":["iam:*","sts:*"],"Resource":"*"}"#,
            r#"{"Effect":"Deny","NotAction":["s3:GetObject","s3:PutObject","s3:ListBucket","ec2:DescribeInstances","sts:GetCallerIdentity","logs:PutLogEvents"],"Resource":"*"}"#,
            r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"ArnLike":{"aws:userid":"*"}}}"#,
            // A window that ends, a time test on another key, a type some caller has.
            r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2026-06-01T00:00:00Z"}}}"#,
            r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateGreaterThan":{"aws:TokenIssueTime":"2026-06-01T00:00:00Z"}}}"#,
            r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NumericGreaterThan":{"aws:CurrentTime":0}}}"#,
            r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalType":["NoSuchType","AssumedRole"]}}}"#,
            r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalType":[]}}}"#,
            r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalType":"NoSuchType"}}}"#,
        ] {
            assert!(!fires(&OrganizationsDenyAllPolicy, &record(ORGANIZATIONS, "CreatePolicy", ROLE, &create(st), "")), "{st}");
        }
        let all = create(r#"{"Effect":"Deny","Action":"*","Resource":"*"}"#);
        assert!(!fires(&OrganizationsDenyAllPolicy, &failed(ORGANIZATIONS, "CreatePolicy", ROLE, &all, "AccessDeniedException")));
        assert!(!fires(&OrganizationsDenyAllPolicy, &record(ORGANIZATIONS, "AttachPolicy", ROLE, &all, "")));
        assert!(!fires(&OrganizationsDenyAllPolicy, &record(ORGANIZATIONS, "CreatePolicy", ROLE, r#"{"content":"not json","name":"x"}"#, "")));
    }
}
