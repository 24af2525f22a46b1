//! A customer managed IAM policy created (`CreatePolicy`), or given a new version
//! (`CreatePolicyVersion`), successfully, whose document
//! grants what `AdministratorAccess` grants: an `Allow` of every action on every
//! resource, or the IAM writes that let its holder grant itself as much or take
//! over an identity that has it (`common::admin_grant`, as for the inline policies
//! of the "AdministratorAccess attached" detections; `admin_equivalent` in the
//! evidence).
//!
//! Decisions: the attached-policy detections know the AWS managed administrator
//! policies by name, and a customer policy's name says nothing, so an administrator
//! policy of one's own, created and then attached, passed them all; the version
//! detections watch `CreatePolicyVersion` only. The creation is the step that shows
//! the intent: it is reported whoever makes it (a stack or a deployment tool
//! included, as for the attachments) and whatever it is later attached to. A new
//! version counts the same way, whoever makes it (from an evasion review: a stack
//! updating an `AWS::IAM::ManagedPolicy` in place makes a new default version, which
//! the version detection leaves to stacks, so a policy rewritten to an
//! administrator's through a stack went unseen); the evidence says whether it
//! became the default. A version that also denies changing permissions boundaries
//! and policy versions (the shape of a permissions boundary: allow everything, deny
//! every way of escaping the cap, `common::BOUNDARY_GUARDS`; one guard denied alone
//! is a decoy, from a third evasion review) is read as a boundary and not reported, since every stack
//! update of one would fire; a review of the change named it. A new policy of that
//! shape is reported at medium (from a second evasion review: a boundary's creation
//! paged as an administrator policy). A document that does not parse is not judged
//! (IAM refuses such a call).
//!
//! A guard counts unconditional on every resource, or tied to the boundary itself
//! as a working boundary's must be (from a review of false positives, sixth
//! session; see `guards_every_escape`). A new version of a boundary's shape is
//! reported at medium too, no longer left out: the guards restrict nothing its
//! holder needs when the policy is attached as an identity's, so an attacker's
//! own policy restated so gave them everything unseen (a review of the change).

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{AdminGrant, BOUNDARY_GUARDS, IAM, admin_grant, change_evidence, is_event};
use crate::detections::create_policy_version_allow_all::policy_document_param;
use crate::event::Record;

pub struct IamAdminPolicyCreated;

pub static META: Meta = Meta {
    id: "iam-admin-policy-created",
    title: "AWS IAM Policy Granting Administrator Rights Created",
    description: "A customer managed IAM policy, or a new version of one, was created that \
                  allows every action on every resource, or the IAM changes that let its \
                  holder grant itself as much. Attached to a user, group or role it makes an administrator without \
                  the name of AWS's AdministratorAccess policy appearing anywhere.",
    severity: Severity::High,
    attack: &["T1098", "T1078.004"],
    origins: &[
        "trailwatch: from an independent review of the iam-persistence detections (a \
         full-rights customer policy created, then attached: the escalation the \
         AdministratorAccess and policy-version detections did not see)",
    ],
    group: "iam-persistence",
    false_positives: &[
        "Account bootstrap or break-glass set-ups that define their own administrator \
         policy instead of using AWS's.",
        "Key-rotation, helpdesk or onboarding roles allowed to make keys, reset passwords \
         or add users to groups across the account (admin_equivalent says a takeover): \
         the power is real; suppress the role that holds it once reviewed.",
    ],
    next_steps: "Find where the policy was attached (AttachUserPolicy, AttachRolePolicy, \
                 AttachGroupPolicy naming its ARN) and who can use those identities. If the \
                 policy is not expected, detach it everywhere and delete it, and review how \
                 the caller obtained iam:CreatePolicy.",
    evidence: "admin_equivalent api caller caller_type path policyName policy_arn set_as_default \
        source_ip user_agent",
    triggers: &[Trigger::write(IAM, &["CreatePolicy", "CreatePolicyVersion"])],
    window: None,
};

impl Detection for IamAdminPolicyCreated {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn severity_for(&self, rec: &Record<'_>) -> Severity {
        // Every guard denied, not one: a single decoy deny beside an allow of
        // everything kept it an administrator's policy (a review of this change).
        let own = own_policy_arn(rec);
        let boundary = policy_document_param(rec, "policyDocument")
            .ok()
            .flatten()
            .is_some_and(|doc| {
                admin_grant(&doc) == Some(AdminGrant::EveryAction)
                    && guards_every_escape(&doc, own.as_deref(), rec.account_id())
            });
        if boundary { Severity::Medium } else { META.severity }
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !is_event(rec, IAM, &["CreatePolicy", "CreatePolicyVersion"]) || !rec.succeeded() {
            return None;
        }
        let doc = policy_document_param(rec, "policyDocument").ok()??;
        let grant = admin_grant(&doc)?;
        let arn = rec
            .response_element("policy")
            .and_then(|p| p.get("arn"))
            .and_then(|a| a.as_str())
            .or_else(|| rec.request_param_str("policyArn"));
        let mut e = change_evidence(rec, &["policyName", "path"]).with_opt("policy_arn", arn);
        if rec.event_name() == "CreatePolicyVersion" {
            e = e.with("api", rec.event_name()).with_json("set_as_default", rec.request_param("setAsDefault"));
        }
        fire(grant.noted_in(e))
    }
}

/// The document's `Deny` statements without a condition on every resource (`*`):
/// the only denies that guard anything (a conditional or narrow one can be a decoy).
fn unconditional_denies(doc: &serde_json::Value) -> Vec<&serde_json::Value> {
    use crate::detections::common::one_or_many;
    one_or_many(doc.get("Statement"))
        .into_iter()
        .filter(|st| {
            st.get("Effect")
                .and_then(|e| e.as_str())
                .is_some_and(|e| e.trim().eq_ignore_ascii_case("Deny"))
                && st.get("Condition").is_none_or(|c| c.as_object().is_some_and(|c| c.is_empty()))
                && one_or_many(st.get("Resource"))
                    .iter()
                    .any(|r| r.as_str().is_some_and(|r| r.trim() == "*"))
        })
        .collect()
}

/// Every one of [`BOUNDARY_GUARDS`] denied: the whole shape of a permissions
/// boundary. A deny without condition on every resource guards; so do the forms a
/// working boundary must use, tied to the policy itself (`own`, its ARN; from a
/// review of false positives: a boundary's guards cannot be unconditional, or no
/// one could create a role under it):
/// - a new version denied on the policy's own ARN;
/// - boundary removal denied on every role or user when the boundary is this
///   policy (`StringEquals` `iam:PermissionsBoundary` its ARN);
/// - a boundary put denied on every role or user unless it is this policy
///   (`StringNotEquals`).
///
/// Any other conditional or narrow deny is no guard, nor one guard alone (a decoy
/// deny of one escape beside an allow of everything left the others open; from
/// reviews).
fn guards_every_escape(doc: &serde_json::Value, own: Option<&str>, account: Option<&str>) -> bool {
    use crate::detections::common::statement_covers_action;
    let unconditional = unconditional_denies(doc);
    let denies = crate::detections::common::deny_statements(doc);
    BOUNDARY_GUARDS.iter().all(|a| {
        unconditional.iter().any(|st| statement_covers_action(st, a))
            || own.is_some_and(|own| {
                denies
                    .iter()
                    .any(|st| statement_covers_action(st, a) && tied_guard(st, a, own, account))
            })
    })
}

/// `st` (a deny of `action`) guards the boundary `own` in the form a working
/// boundary uses for that action (see [`guards_every_escape`]).
fn tied_guard(st: &serde_json::Value, action: &str, own: &str, account: Option<&str>) -> bool {
    use crate::detections::common::one_or_many;
    let resources: Vec<&str> = one_or_many(st.get("Resource"))
        .iter()
        .filter_map(|r| r.as_str())
        .map(str::trim)
        .collect();
    let condition = st.get("Condition");
    let unconditioned = condition.is_none_or(|c| c.as_object().is_some_and(|c| c.is_empty()));
    if action == "iam:CreatePolicyVersion" {
        return unconditioned && resources.iter().any(|r| *r == "*" || *r == own);
    }
    // Every role (or user) of the account: `*`, or `arn:<partition>:iam::<account or *>:role/*`.
    let kind = if action.contains("Role") { "role/*" } else { "user/*" };
    let every = resources.iter().any(|r| {
        *r == "*"
            || r.strip_prefix("arn:")
                .and_then(|r| r.split_once(":iam::"))
                .and_then(|(_, rest)| rest.split_once(':'))
                .is_some_and(|(acct, res)| res == kind && (acct == "*" || Some(acct) == account))
    });
    let operator = if action.starts_with("iam:Delete") { "StringEquals" } else { "StringNotEquals" };
    every && (unconditioned || only_boundary_test(condition, operator, own))
}

/// A condition that is exactly `operator` on `iam:PermissionsBoundary` with the
/// one value `own`.
fn only_boundary_test(condition: Option<&serde_json::Value>, operator: &str, own: &str) -> bool {
    use crate::detections::common::one_or_many;
    let Some(tests) = condition.and_then(|c| c.as_object()) else {
        return false;
    };
    let [(op, keys)] = tests.iter().collect::<Vec<_>>()[..] else {
        return false;
    };
    let Some(keys) = keys.as_object() else {
        return false;
    };
    let [(key, value)] = keys.iter().collect::<Vec<_>>()[..] else {
        return false;
    };
    let values = one_or_many(Some(value));
    op.trim() == operator
        && key.trim().eq_ignore_ascii_case("iam:PermissionsBoundary")
        && values.len() == 1
        && values[0].as_str().is_some_and(|v| v.trim() == own)
}

/// The ARN of the policy a record creates (its response's, or made of the
/// request's path and name in the record's account) or versions (`policyArn`).
fn own_policy_arn(rec: &Record<'_>) -> Option<String> {
    if let Some(arn) = rec.request_param_str("policyArn") {
        return Some(arn.trim().to_owned());
    }
    let answered = rec
        .response_element("policy")
        .and_then(|p| p.get("arn"))
        .and_then(|a| a.as_str());
    if let Some(arn) = answered {
        return Some(arn.trim().to_owned());
    }
    let name = rec.request_param_str("policyName")?.trim();
    let path = rec.request_param_str("path").map(str::trim).filter(|p| !p.is_empty()).unwrap_or("/");
    Some(format!("arn:aws:iam::{}:policy{path}{name}", rec.account_id()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing;
    use crate::detections::common::iam_testing::*;
    use crate::detections::common::testing::{eval, fires};

    fn create(doc: &str) -> String {
        let doc = serde_json::to_string(doc).unwrap();
        format!(r#"{{"policyName":"ops-full","path":"/","policyDocument":{doc}}}"#)
    }

    const ADMIN: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

    #[test]
    fn an_administrator_policy_fires_for_every_caller() {
        for who in [USER, ROLE, ROOT, FEDERATED, CFN] {
            assert!(fires(&IamAdminPolicyCreated, &iam("CreatePolicy", who, &create(ADMIN))), "{who}");
        }
        let encoded = "%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22%2A%3A%2A%22%2C%22Resource%22%3A%22%2A%22%7D%7D";
        assert!(fires(&IamAdminPolicyCreated, &iam("CreatePolicy", USER, &create(encoded))));
    }

    /// From an evasion review: a stack rewriting a policy in place makes a version.
    #[test]
    fn a_new_administrator_version_fires_for_every_caller_stacks_included() {
        let version = |doc: &str| {
            let doc = serde_json::to_string(doc).unwrap();
            format!(r#"{{"policyArn":"arn:aws:iam::111122223333:policy/app-boundary","policyDocument":{doc},"setAsDefault":true}}"#)
        };
        for who in [USER, ROLE, CFN] {
            match eval(&IamAdminPolicyCreated, &iam("CreatePolicyVersion", who, &version(ADMIN))) {
                Some(Signal::Fire(e)) => {
                    assert_eq!(e.get("policy_arn").and_then(|v| v.as_str()), Some("arn:aws:iam::111122223333:policy/app-boundary"));
                    assert_eq!(e.get("set_as_default"), Some(&serde_json::json!(true)));
                }
                other => panic!("expected a finding for {who}, got {other:?}"),
            }
        }
        let not_action = r#"{"Statement":{"Effect":"Allow","NotAction":"s3:DeleteBucket","Resource":"*"}}"#;
        assert!(fires(&IamAdminPolicyCreated, &iam("CreatePolicyVersion", CFN, &version(not_action))));
        let narrow = r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#;
        assert!(!fires(&IamAdminPolicyCreated, &iam("CreatePolicyVersion", CFN, &version(narrow))));
        // A version denying some escapes only leaves the others open (a third
        // evasion review: one decoy deny of a user's boundary), as a new policy does.
        let boundary = r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":["iam:DeleteRolePermissionsBoundary","iam:PutRolePermissionsBoundary","iam:CreatePolicyVersion"],"Resource":"*"}]}"#;
        assert!(fires(&IamAdminPolicyCreated, &iam("CreatePolicyVersion", CFN, &version(boundary))));
        let one_guard = r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"iam:PutUserPermissionsBoundary","Resource":"*"}]}"#;
        assert!(fires(&IamAdminPolicyCreated, &iam("CreatePolicyVersion", USER, &version(one_guard))));
        // A new policy of that shape is still reported.
        assert!(fires(&IamAdminPolicyCreated, &iam("CreatePolicy", CFN, &create(boundary))));
        // One guard denied is a decoy: high; every guard denied is a boundary: medium.
        let created = iam("CreatePolicy", CFN, &create(boundary));
        assert_eq!(testing::severity(&IamAdminPolicyCreated, &created), Severity::High);
        let whole = r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":["iam:DeleteRolePermissionsBoundary","iam:DeleteUserPermissionsBoundary","iam:PutRolePermissionsBoundary","iam:PutUserPermissionsBoundary","iam:CreatePolicyVersion"],"Resource":"*"}]}"#;
        let created = iam("CreatePolicy", CFN, &create(whole));
        assert_eq!(testing::severity(&IamAdminPolicyCreated, &created), Severity::Medium);
        // A permissions boundary's new version, every escape denied: medium
        // since the sixth session (an identity policy restated so grants all).
        let restated = iam("CreatePolicyVersion", CFN, &version(whole));
        assert!(fires(&IamAdminPolicyCreated, &restated));
        assert_eq!(testing::severity(&IamAdminPolicyCreated, &restated), Severity::Medium);
        // A decoy deny (conditional), or a boundary shape around a self-grant, is none.
        let decoy = r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"iam:PutRolePermissionsBoundary","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/never":"x"}}}]}"#;
        assert!(fires(&IamAdminPolicyCreated, &iam("CreatePolicyVersion", CFN, &version(decoy))));
        let not_action = r#"{"Statement":[{"Effect":"Allow","NotAction":"s3:DeleteBucket","Resource":"*"},{"Effect":"Deny","Action":"iam:PutRolePermissionsBoundary","Resource":"*"}]}"#;
        assert!(fires(&IamAdminPolicyCreated, &iam("CreatePolicyVersion", CFN, &version(not_action))));
    }

    #[test]
    fn the_means_to_grant_oneself_everything_counts() {
        let self_grant = r#"{"Statement":{"Effect":"Allow","Action":["iam:AttachUserPolicy","s3:GetObject"],"Resource":"*"}}"#;
        match eval(&IamAdminPolicyCreated, &iam("CreatePolicy", ROLE, &create(self_grant))) {
            Some(Signal::Fire(e)) => {
                assert!(e.get("admin_equivalent").is_some());
                assert_eq!(e.get("policyName").and_then(|v| v.as_str()), Some("ops-full"));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    /// A policy variable stands for the holder itself, the one identity a
    /// self-grant needs; taking over an administrator counts as granting oneself.
    #[test]
    fn self_grants_through_policy_variables_and_takeovers_count() {
        for grant in [
            r#"{"Statement":{"Effect":"Allow","Action":"iam:AttachUserPolicy","Resource":"arn:aws:iam::*:user/${aws:username}"}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam::111122223333:user/${aws:username}"}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"iam:PutUserPolicy","Resource":"arn:aws:iam::*:user/staff/${aws:UserName}"}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":["iam:UpdateAssumeRolePolicy","sts:AssumeRole"],"Resource":"*"}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"iam:AddUserToGroup","Resource":"arn:aws:iam::111122223333:group/*"}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"iam:CreateAccessKey","Resource":"*"}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"iam:UpdateLoginProfile","Resource":"arn:aws:iam::*:user/*"}}"#,
        ] {
            assert!(fires(&IamAdminPolicyCreated, &iam("CreatePolicy", ROLE, &create(grant))), "{grant}");
        }
        let takeover = r#"{"Statement":{"Effect":"Allow","Action":"iam:CreateAccessKey","Resource":"*"}}"#;
        match eval(&IamAdminPolicyCreated, &iam("CreatePolicy", ROLE, &create(takeover))) {
            Some(Signal::Fire(e)) => assert_eq!(
                e.get("admin_equivalent").and_then(|v| v.as_str()),
                Some("may take over any user, role or group, administrators included")
            ),
            other => panic!("expected a finding, got {other:?}"),
        }
        // Keys for one named user, the self-service of one's own keys and
        // password (AWS's example policy), or a variable in another service's
        // resource are not.
        for narrow in [
            r#"{"Statement":{"Effect":"Allow","Action":"iam:PutRolePolicy","Resource":"arn:aws:iam::*:role/${aws:username}-*"}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"iam:PutRolePolicy","Resource":"arn:aws:iam::*:role/${aws:PrincipalTag/team}_*"}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"iam:CreateAccessKey","Resource":"arn:aws:iam::111122223333:user/ci-bot"}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":["iam:CreateAccessKey","iam:UpdateLoginProfile","iam:CreateLoginProfile"],"Resource":"arn:aws:iam::*:user/${aws:username}"}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"}}"#,
        ] {
            assert!(!fires(&IamAdminPolicyCreated, &iam("CreatePolicy", ROLE, &create(narrow))), "{narrow}");
        }
    }

    #[test]
    fn narrow_policies_refusals_and_other_calls_do_not() {
        for narrow in [
            r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::builds/*"}}"#,
            r#"{"Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"iam:Get*","Resource":"*"}}"#,
            "not json",
        ] {
            assert!(!fires(&IamAdminPolicyCreated, &iam("CreatePolicy", USER, &create(narrow))), "{narrow}");
        }
        assert!(!fires(&IamAdminPolicyCreated, &iam_failed("CreatePolicy", USER, &create(ADMIN), "AccessDenied")));
        assert!(!fires(&IamAdminPolicyCreated, &iam("DeletePolicyVersion", USER, &create(ADMIN))));
        assert!(!fires(&IamAdminPolicyCreated, &iam("CreatePolicy", USER, r#"{"policyName":"x"}"#)));
        let other_source = iam("CreatePolicy", USER, &create(ADMIN)).replace("iam.amazonaws.com", "sso.amazonaws.com");
        assert!(!fires(&IamAdminPolicyCreated, &other_source));
    }

    /// From a review of false positives: a working boundary's guards are tied to
    /// the policy itself (a new version denied on its ARN, removal denied when it
    /// is the boundary, a put denied unless it is), not unconditional.
    #[test]
    fn guards_tied_to_the_boundary_itself_count() {
        const OWN: &str = "arn:aws:iam::111122223333:policy/PermissionsBoundary";
        let doc = |own: &str, put_condition: &str| {
            format!(
                r#"{{"Version":"2012-10-17","Statement":[
                {{"Effect":"Allow","Action":"*","Resource":"*"}},
                {{"Effect":"Deny","Action":["iam:DeletePolicy","iam:DeletePolicyVersion","iam:CreatePolicyVersion","iam:SetDefaultPolicyVersion"],"Resource":["{own}"]}},
                {{"Effect":"Deny","Action":["iam:DeleteUserPermissionsBoundary","iam:DeleteRolePermissionsBoundary"],
                  "Resource":["arn:aws:iam::111122223333:user/*","arn:aws:iam::111122223333:role/*"],
                  "Condition":{{"StringEquals":{{"iam:PermissionsBoundary":"{own}"}}}}}},
                {{"Effect":"Deny","Action":["iam:PutUserPermissionsBoundary","iam:PutRolePermissionsBoundary"],
                  "Resource":["arn:aws:iam::111122223333:user/*","arn:aws:iam::111122223333:role/*"],
                  "Condition":{put_condition}}}]}}"#
            )
        };
        let tied = |own: &str| format!(r#"{{"StringNotEquals":{{"iam:PermissionsBoundary":"{own}"}}}}"#);
        let version = |d: &str| {
            let d = serde_json::to_string(d).unwrap();
            iam("CreatePolicyVersion", ROLE, &format!(r#"{{"policyArn":"{OWN}","policyDocument":{d},"setAsDefault":true}}"#))
        };
        let created = |d: &str| {
            let d = serde_json::to_string(d).unwrap();
            iam("CreatePolicy", ROLE, &format!(r#"{{"policyName":"PermissionsBoundary","path":"/","policyDocument":{d}}}"#))
        };
        let severity = |json: &str| {
            assert!(fires(&IamAdminPolicyCreated, json), "{json}");
            testing::severity(&IamAdminPolicyCreated, json)
        };
        let boundary = doc(OWN, &tied(OWN));
        assert_eq!(severity(&version(&boundary)), Severity::Medium);
        assert_eq!(severity(&created(&boundary)), Severity::Medium);
        // Tied to another policy, a condition that tests more, or the puts left
        // open (as CDK's example boundary leaves them): no boundary.
        let other = "arn:aws:iam::111122223333:policy/Other";
        for d in [
            doc(other, &tied(other)),
            doc(OWN, &tied(other)),
            doc(OWN, &format!(r#"{{"StringNotEquals":{{"iam:PermissionsBoundary":"{OWN}","aws:PrincipalTag/team":"x"}}}}"#)),
            doc(OWN, &format!(r#"{{"StringEquals":{{"iam:PermissionsBoundary":"{OWN}"}}}}"#)),
            doc(OWN, &format!(r#"{{"StringNotEquals":{{"iam:PermissionsBoundary":["{OWN}","{other}"]}}}}"#)),
            boundary.replace("user/*", "user/ops-*"),
        ] {
            assert!(fires(&IamAdminPolicyCreated, &version(&d)), "{d}");
            assert_eq!(severity(&created(&d)), Severity::High, "{d}");
        }
    }
}
