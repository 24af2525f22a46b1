//! iam-persistence: IAM and STS persistence and privilege escalation.

use crate::detection::Evidence;
use crate::event::Record;

use super::callers::{aws_service_among, aws_service_caller};
use super::discovery::account_principal_term;
use super::general::succeeded_call;

/// `eventSource` of IAM.
pub const IAM: &str = "iam.amazonaws.com";

/// IAM Identity Center, as `invokedBy` names it when it manages its own SAML
/// providers and roles in member accounts.
pub const IDENTITY_CENTER: &str = "sso.amazonaws.com";

/// The IAM calls that grant or keep access: new principals and credentials, policy
/// attachments and edits, trust changes, group membership, instance profiles (a role
/// handed to instances), MFA and boundary removal.
/// Used by the detections that look at who makes them (a Lambda function, CloudShell).
pub const SENSITIVE_IAM_CALLS: &[&str] = &[
    "AddRoleToInstanceProfile",
    "AddUserToGroup",
    "AttachGroupPolicy",
    "AttachRolePolicy",
    "AttachUserPolicy",
    "CreateAccessKey",
    "CreateInstanceProfile",
    "CreateLoginProfile",
    "CreatePolicyVersion",
    "CreateRole",
    "CreateUser",
    "DeactivateMFADevice",
    "DeleteRolePermissionsBoundary",
    "DeleteUserPermissionsBoundary",
    "PutGroupPolicy",
    "PutRolePolicy",
    "PutUserPolicy",
    "SetDefaultPolicyVersion",
    "UpdateAssumeRolePolicy",
    "UpdateLoginProfile",
];

/// `eventSource` is `source` and `eventName` one of `names`.
pub fn is_event(rec: &Record, source: &str, names: &[&str]) -> bool {
    rec.event_source() == source && names.contains(&rec.event_name())
}

/// The IAM user a call acts on: `requestParameters.userName`, else the answer's
/// `<answer>.userName` (`loginProfile`, `accessKey`), else an IAM user caller
/// itself: IAM defaults a missing user name to the caller, so a stolen key can act
/// on its own user without naming it.
pub fn target_user_or_caller<'r>(rec: &'r Record, answer: &str) -> Option<&'r str> {
    let named = |v: Option<&'r serde_json::Value>| {
        v.and_then(serde_json::Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    named(rec.request_param("userName"))
        .or_else(|| named(rec.response_element(answer).and_then(|p| p.get("userName"))))
        .or_else(|| {
            rec.identity_type()
                .is_some_and(|t| t == "IAMUser")
                .then(|| rec.user_name())
                .flatten()
        })
}

/// A successful call of `names` that an IAM user made on itself
/// ([`target_user_or_caller`] with `answer`) with its long-term access key
/// (`AKIA`), outside any console session: the key and the user. What a stolen
/// key does to keep its user's access once it is found.
pub fn own_user_change_with_long_term_key<'r>(
    rec: &'r Record,
    names: &[&str],
    answer: &str,
) -> Option<(&'r str, &'r str)> {
    if !is_event(rec, IAM, names) || !rec.succeeded() || rec.from_console_session() {
        return None;
    }
    let key = super::access_key_id(rec).filter(|k| k.starts_with("AKIA"))?;
    let user = target_user_or_caller(rec, answer)?;
    caller_is_user(rec, user).then_some((key, user))
}

/// The caller is the IAM user named `target`. Letter case is ignored: IAM names
/// are unique without regard to case and a request may name the user in any case
/// (`ALICE` is alice), while `userIdentity.userName` is written as created. A
/// record without `userName` names the user by the last part of its ARN
/// (`arn:aws:iam::111122223333:user/path/alice`).
pub fn caller_is_user(rec: &Record, target: &str) -> bool {
    if rec.identity_type() != Some("IAMUser") {
        return false;
    }
    let from_arn = || {
        let arn = rec.identity()?.arn.as_deref()?;
        let (_, path) = arn.split_once(":user/")?;
        path.rsplit('/').next()
    };
    rec.user_name()
        .or_else(from_arn)
        .is_some_and(|name| name.eq_ignore_ascii_case(target.trim()))
}

/// [`caller_is_user`], or a federated session that user issued
/// (`GetFederationToken`): its rights are the user's, capped by the session's
/// policy, and from the console it may call IAM (from a third evasion review: a
/// stolen key's federated console session added its own user to a group).
pub fn caller_is_user_or_its_federation(rec: &Record, target: &str) -> bool {
    if caller_is_user(rec, target) {
        return true;
    }
    rec.identity_type() == Some("FederatedUser")
        && rec.session_issuer_type() == Some("IAMUser")
        && rec
            .session_issuer_arn()
            .and_then(|arn| arn.split_once(":user/"))
            .and_then(|(_, path)| path.rsplit('/').next())
            .is_some_and(|name| name.eq_ignore_ascii_case(target.trim()))
}

/// The caller and the request as evidence: the API, who called (name and type),
/// from where, with what, and the request parameters `params` as they were sent.
pub fn change_evidence(rec: &Record, params: &[&'static str]) -> Evidence {
    let mut e = Evidence::new()
        .with("api", rec.event_name())
        .with("caller", crate::event::actor_display(rec))
        .with_opt("caller_type", rec.identity_type())
        .with_opt("source_ip", rec.source_ip())
        .with_opt("user_agent", rec.user_agent());
    for p in params {
        e = e.with_json(p, rec.request_param(p));
    }
    e
}

/// One of `names` of `source` that succeeded, made by a caller `left_out` does not
/// exclude, with its evidence naming `params`. The three change helpers below differ
/// only in whom they leave out.
fn successful_change(
    rec: &Record,
    source: &str,
    names: &[&str],
    params: &[&'static str],
    left_out: impl Fn(&Record) -> bool,
) -> Option<Evidence> {
    (succeeded_call(rec, source, names) && !left_out(rec)).then(|| change_evidence(rec, params))
}

/// The common stateless IAM change: one of `names` of `source` succeeded and was
/// not made by an AWS service (a CloudFormation stack's calls are: `invokedBy`).
/// Its evidence names `params`. An infrastructure-as-code tool's user agent is no
/// exemption: the caller writes it, and one environment variable or SDK setting
/// names any tool in it; a pipeline's role is exempted in the tuning file by ARN.
pub fn manual_change(
    rec: &Record,
    source: &str,
    names: &[&str],
    params: &[&'static str],
) -> Option<Evidence> {
    successful_change(rec, source, names, params, aws_service_caller)
}

/// Identity Center's service writing a permission set's policies or boundary to
/// the role it provisions for the set in an account (`AWSReservedSSO_*`): the
/// echo of a permission-set change made, and reported, in the management account.
pub fn identity_center_provisioning(rec: &Record) -> bool {
    aws_service_among(rec, &[IDENTITY_CENTER])
        && rec
            .request_param_str("roleName")
            .is_some_and(|r| r.starts_with("AWSReservedSSO_"))
}

/// A successful change (one of `names` of `source`) that a stack, a pipeline or a
/// person makes alike: only an `AWSService` identity or a call one of `services`
/// made for itself is left out ([`aws_service_among`]). For the changes an attacker
/// could as well make through a CloudFormation update, and that deployments rarely
/// make. Its evidence names `params`.
pub fn change_by_anyone_but(
    rec: &Record,
    source: &str,
    names: &[&str],
    params: &[&'static str],
    services: &[&str],
) -> Option<Evidence> {
    successful_change(rec, source, names, params, |r| {
        aws_service_among(r, services)
    })
}

/// The common stateless change that infrastructure-as-code does not excuse (its
/// user agent is the caller's to choose): one of `names` of `source` succeeded and
/// was not made by an AWS service. Its evidence names `params`.
pub fn caller_change(
    rec: &Record,
    source: &str,
    names: &[&str],
    params: &[&'static str],
) -> Option<Evidence> {
    successful_change(rec, source, names, params, aws_service_caller)
}

/// A successful `event` (`AttachUserPolicy`, `AttachRolePolicy`, `AttachGroupPolicy`)
/// of an AWS managed policy (`arn:<partition>:iam::aws:policy/<path><name>`) whose
/// name `wanted` accepts. The evidence names the target (`target_param`) and policy.
pub fn aws_managed_policy_attached(
    rec: &Record,
    event: &str,
    target_param: &'static str,
    wanted: impl Fn(&str) -> bool,
) -> Option<Evidence> {
    if !is_event(rec, IAM, &[event]) || !rec.succeeded() {
        return None;
    }
    let name = aws_managed_policy_name(rec.request_param_str("policyArn")?)?;
    wanted(name).then(|| change_evidence(rec, &[target_param, "policyArn"]))
}

/// The name of an AWS managed policy from its ARN
/// (`arn:<partition>:iam::aws:policy/<path><name>`, any partition), or `None` for
/// any other text (a customer policy names its account instead of `aws`). The
/// ARN is read in any case, as IAM resolves it (from an evasion review:
/// `arn:aws:iam::aws:policy/administratoraccess` attached the administrator
/// policy unseen); compare the name the same way ([`admin_managed_policy`]).
pub fn aws_managed_policy_name(arn: &str) -> Option<&str> {
    const MARK: &str = ":iam::aws:policy/";
    let arn = arn.trim();
    // ASCII lower-casing keeps every byte offset.
    let lower = arn.to_ascii_lowercase();
    let at = lower.find(MARK)?;
    let partition = &lower[..at];
    if partition != "arn:aws" && !partition.starts_with("arn:aws-") {
        return None;
    }
    let path = &arn[at + MARK.len()..];
    Some(path.rsplit('/').next().unwrap_or(path))
}

/// A successful inline policy `event` (`PutUserPolicy`, `PutRolePolicy`) whose
/// document grants what `AdministratorAccess` grants: an `Allow` of every action
/// (`*` or `*:*`) on every resource (`*`), or the IAM writes that let the holder
/// grant itself as much (`SELF_GRANT_ACTIONS`: `iam:*`, or a `NotAction` that leaves
/// them in; `admin_equivalent` in the evidence). The evidence names the target
/// (`target_param`) and the policy; `inline` marks it. A document that does not
/// parse is not judged here (IAM refuses such a call).
pub fn admin_inline_policy_put(
    rec: &Record,
    event: &str,
    target_param: &'static str,
) -> Option<Evidence> {
    use crate::detections::create_policy_version_allow_all::policy_document_param;
    if !is_event(rec, IAM, &[event]) || !rec.succeeded() {
        return None;
    }
    let doc = policy_document_param(rec, "policyDocument").ok()??;
    let kind = match target_param {
        "roleName" => "role/",
        "userName" => "user/",
        _ => "group/",
    };
    let holder = rec.request_param_str(target_param).map(|name| Holder {
        kind,
        name: name.trim(),
        account: rec.account_id(),
    });
    let grant = admin_grant_for(&doc, holder)?;
    Some(grant.noted_in(change_evidence(rec, &[target_param, "policyName"]).with("inline", true)))
}

/// The identity an inline policy is written to: a resource pattern naming it lets
/// the policy's holder act on itself.
#[derive(Debug, Clone, Copy)]
pub struct Holder<'a> {
    /// `role/`, `user/` or `group/`.
    pub kind: &'static str,
    pub name: &'a str,
    /// The account the record belongs to.
    pub account: Option<&'a str>,
}

impl Holder<'_> {
    /// `pattern` (a `Resource` entry) takes this identity: the whole pattern matches
    /// its ARN without a path (`role/ci-*`, `*/ci-runner`), or the pattern ends in a
    /// path and then its exact name (`role/teams/ci-runner`: the record does not give
    /// the identity's path), in its account or any. A pattern ending in a wildcard
    /// after a path (`role/app-roles/*`) is a delegated scope, not the holder. From a
    /// review: a role allowed `iam:AttachRolePolicy` on `role/ci-runner`, itself, may
    /// attach `AdministratorAccess` to itself later, and nothing fired.
    fn named_by(&self, pattern: &str) -> bool {
        let pattern = pattern.trim();
        let fields: Vec<&str> = pattern.splitn(6, ':').collect();
        let [arn, partition, service, _region, account, resource] = fields[..] else {
            return false;
        };
        // Without the record's account, any account the pattern names may be it.
        let own = match self.account {
            Some(own) => own,
            None if !account.is_empty() && !account.contains(['*', '?']) => account,
            None => "111122223333",
        };
        if self.name.is_empty()
            || !arn.eq_ignore_ascii_case("arn")
            || !super::action_pattern_matches(service, "iam")
            || !super::action_pattern_matches(account, own)
        {
            return false;
        }
        let partition = if partition.is_empty() || partition.contains(['*', '?']) {
            "aws"
        } else {
            partition
        };
        let flat = format!("arn:{partition}:iam::{own}:{}{}", self.kind, self.name);
        let with_path = resource
            .get(..self.kind.len())
            .is_some_and(|k| k == self.kind)
            && resource.rsplit('/').next().is_some_and(|last| {
                !last.contains(['*', '?']) && last.eq_ignore_ascii_case(self.name)
            });
        super::action_pattern_matches(pattern, &flat) || with_path
    }
}

/// What makes a policy document an administrator's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminGrant {
    /// An `Allow` of every action (`*` or `*:*`) on every resource.
    EveryAction,
    /// Not every action, but the means to grant oneself every action: an IAM write
    /// that attaches or writes policies (`iam:*`, or an `Allow` with `NotAction` that
    /// leaves them in), on every resource.
    SelfGrant,
    /// The means to become an identity that has every action: trust oneself on
    /// any role, make keys or a console password for any user, join any group.
    Takeover,
}

impl AdminGrant {
    /// `evidence`, with `admin_equivalent` saying how a self-grant makes an
    /// administrator (every action needs no note).
    pub fn noted_in(self, evidence: Evidence) -> Evidence {
        match self {
            AdminGrant::EveryAction => evidence,
            AdminGrant::SelfGrant => evidence.with(
                "admin_equivalent",
                "may grant itself any permission through IAM",
            ),
            AdminGrant::Takeover => evidence.with(
                "admin_equivalent",
                "may take over any user, role or group, administrators included",
            ),
        }
    }
}

/// Whether `doc` (a parsed policy document) grants administrator rights, and how.
pub fn admin_grant(doc: &serde_json::Value) -> Option<AdminGrant> {
    admin_grant_for(doc, None)
}

/// [`admin_grant`] of a policy written to `holder`: a self-grant action on a
/// resource that names the holder itself counts too.
pub fn admin_grant_for(doc: &serde_json::Value, holder: Option<Holder<'_>>) -> Option<AdminGrant> {
    use crate::detections::create_policy_version_allow_all::{allows_every_action, one_or_many};
    // `*`, or a `NotResource` (every resource but the few it names).
    let every_resource = |st: &serde_json::Value| {
        st.get("Resource").is_some_and(|r| {
            one_or_many(r)
                .iter()
                .filter_map(|r| r.as_str())
                .any(|r| r.trim() == "*")
        }) || (st.get("Resource").is_none() && st.get("NotResource").is_some())
    };
    let statements = doc.get("Statement").map(one_or_many).unwrap_or_default();
    // A fence holds only while nothing in the document lets the holder take it
    // down: lift or replace a boundary, or rewrite a named policy (from a review
    // of this fence: `iam:PermissionsBoundary` is a key of the boundary calls too).
    let escapes = statements.iter().any(|st| {
        st.get("Effect")
            .and_then(|e| e.as_str())
            .is_some_and(|e| e.trim().eq_ignore_ascii_case("Allow"))
            && fence_escapes().any(|a| super::statement_covers_action(st, a))
    });
    let fenced = |st: &serde_json::Value| !escapes && fenced(st);
    if statements
        .iter()
        .any(|st| allows_every_action(st) && every_resource(st) && !fenced(st))
    {
        return Some(AdminGrant::EveryAction);
    }
    // A self-grant action on every resource, or on a resource pattern that takes
    // every user, role, group or policy the action acts on (`arn:aws:iam::*:user/*`,
    // `arn:aws:*:*:*:*`): IAM matches resource ARNs as patterns, so those reach the
    // holder's own identity too.
    let grants = |actions: &[(&str, &str)], to_self: bool| {
        statements.iter().any(|st| {
            st.get("Effect")
                .and_then(|e| e.as_str())
                .is_some_and(|e| e.trim().eq_ignore_ascii_case("Allow"))
                && !fenced(st)
                && actions.iter().any(|&(action, kind)| {
                    super::statement_covers_action(st, action)
                        && (every_resource(st)
                            || resources_take_every(st, kind, to_self)
                            || (to_self && names_holder(st, kind, holder)))
                })
        })
    };
    if grants(&SELF_GRANT_ACTIONS, true) {
        Some(AdminGrant::SelfGrant)
    } else if grants(&TAKEOVER_ACTIONS, false) {
        Some(AdminGrant::Takeover)
    } else {
        None
    }
}

/// A statement AWS's delegated-administrator patterns fence (from a second
/// evasion review: helpdesk and delegated IAM policies were reported as
/// administrators): a `StringEquals` or `ArnEquals` that requires, by literal ARN,
/// a customer permissions boundary on the identity acted on
/// (`iam:PermissionsBoundary`), or that limits the policies attached to named
/// AWS managed ones (`iam:PolicyARN`), none of them an administrator's. The
/// caller ([`admin_grant_for`]) also requires that no statement of the document
/// allows taking the fence down ([`fence_escapes`]). A condition key the action does not carry makes such a test fail,
/// so the statement's other actions are held by it too. A negated test, `Null`,
/// `...IfExists` or a pattern can be met otherwise, and fences nothing.
fn fenced(statement: &serde_json::Value) -> bool {
    use crate::detections::create_policy_version_allow_all::one_or_many;
    super::condition_entries_under(statement.get("Condition"), |op| {
        let op = op.trim();
        op.eq_ignore_ascii_case("StringEquals") || op.eq_ignore_ascii_case("ArnEquals")
    })
    .any(|(key, value)| {
        let values = one_or_many(value);
        let texts: Vec<&str> = values.iter().filter_map(|v| v.as_str()).collect();
        if texts.is_empty() || texts.len() != values.len() {
            return false;
        }
        match key.trim().to_ascii_lowercase().as_str() {
            "iam:permissionsboundary" => texts.iter().all(|t| customer_boundary_arn(t)),
            "iam:policyarn" => texts.iter().all(|t| named_non_admin_policy(t)),
            _ => false,
        }
    })
}

/// The calls a permissions boundary denies so that the identities it caps cannot
/// lift it: a boundary lifted or replaced, a policy rewritten.
pub const BOUNDARY_GUARDS: &[&str] = &[
    "iam:CreatePolicyVersion",
    "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteUserPermissionsBoundary",
    "iam:PutRolePermissionsBoundary",
    "iam:PutUserPermissionsBoundary",
];

/// The calls that take a fence down: [`BOUNDARY_GUARDS`], and another version of
/// a named policy made its default.
fn fence_escapes() -> impl Iterator<Item = &'static str> {
    BOUNDARY_GUARDS
        .iter()
        .copied()
        .chain(["iam:SetDefaultPolicyVersion"])
}

/// A literal AWS managed policy ARN that is not one of AWS's administrator
/// policies ([`admin_managed_policy`]). A customer policy's content is not in
/// the record (it may grant everything), so naming one fences nothing.
fn named_non_admin_policy(arn: &str) -> bool {
    let arn = arn.trim();
    !arn.contains(['*', '?', '$'])
        && super::aws_managed_policy_name(arn).is_some_and(|name| !admin_managed_policy(name))
}

/// A customer managed policy's literal ARN (`arn:aws:iam::<12 digits>:policy/...`):
/// a boundary the organisation wrote. An AWS managed policy
/// (`arn:aws:iam::aws:policy/AdministratorAccess`) caps nothing, and a variable or
/// wildcard may stand for any policy (a review of the boundary exemption).
fn customer_boundary_arn(arn: &str) -> bool {
    let fields: Vec<&str> = arn.trim().splitn(6, ':').collect();
    matches!(fields[..], ["arn", _, "iam", "", account, resource]
        if super::is_account_id(account) && resource.starts_with("policy/"))
        && !arn.contains(['*', '?', '$'])
}

/// Whether a statement's `Resource` names `holder` for an action on `kind`. A
/// statement held to a permissions boundary (a condition on
/// `iam:PermissionsBoundary`, AWS's delegated-administrator set-up) lets the holder
/// grant itself only within that boundary: [`fenced`] leaves it out before this
/// is asked.
fn names_holder(statement: &serde_json::Value, kind: &str, holder: Option<Holder<'_>>) -> bool {
    use crate::detections::create_policy_version_allow_all::one_or_many;
    let Some(holder) = holder.filter(|h| h.kind == kind) else {
        return false;
    };
    statement.get("Resource").is_some_and(|r| {
        one_or_many(r)
            .iter()
            .filter_map(|r| r.as_str())
            .any(|pattern| holder.named_by(pattern))
    })
}

/// Whether a statement's `Resource` holds a pattern that matches every IAM `kind`
/// (`user/`, `role/`...) ARN of the account it names (any account when it names
/// none): the pattern is matched against such an ARN made of its own partition and
/// account where it spells them out. `to_self`: the action grants its target
/// permissions, so a user resource named by the holder's own name
/// (`user/${aws:username}`) takes the one identity such a self-grant needs (for
/// a takeover it is the holder's own keys or password: self-service, not a
/// grant). Other policy variables stay literal: `${aws:username}` does not exist
/// for a role's session, and a tag says nothing of whose the resource is.
fn resources_take_every(statement: &serde_json::Value, kind: &str, to_self: bool) -> bool {
    use crate::detections::create_policy_version_allow_all::one_or_many;
    let Some(resources) = statement.get("Resource") else {
        return false;
    };
    one_or_many(resources)
        .iter()
        .filter_map(|r| r.as_str())
        .any(|pattern| {
            let pattern = pattern.trim();
            if to_self && kind == "user/" && names_the_holder(pattern) {
                return true;
            }
            let pattern = account_variables_as_wildcards(pattern);
            let pattern = pattern.as_ref();
            let fields: Vec<&str> = pattern.splitn(6, ':').collect();
            let literal = |i: usize, otherwise: &'static str| match fields.get(i) {
                Some(f) if !f.is_empty() && !f.contains(['*', '?']) => *f,
                _ => otherwise,
            };
            let probe = format!(
                "arn:{}:iam::{}:{kind}trailwatch-probe",
                literal(1, "aws"),
                literal(4, "111122223333")
            );
            super::action_pattern_matches(pattern, &probe)
        })
}

/// A resource pattern whose account field is an account variable
/// (`${aws:PrincipalAccount}` or `${aws:ResourceAccount}`, any case, with or
/// without a default) with `*` there: in an identity policy both are the
/// holder's own account, whose every IAM resource the pattern then names. Read
/// as text, the variable's own colon split the ARN's fields (from an evasion
/// review: `arn:aws:iam::${aws:PrincipalAccount}:*` took nothing). Only the
/// account field changes: `user/${aws:PrincipalAccount}` names one user.
fn account_variables_as_wildcards(pattern: &str) -> std::borrow::Cow<'_, str> {
    const VARIABLES: [&str; 2] = ["aws:principalaccount", "aws:resourceaccount"];
    // The account field starts after the fourth colon outside a variable.
    let mut colons = 0;
    let mut depth = 0;
    let mut start = None;
    for (at, c) in pattern.char_indices() {
        match c {
            '$' if pattern[at..].starts_with("${") => depth += 1,
            '}' if depth > 0 => depth -= 1,
            ':' if depth == 0 => {
                colons += 1;
                if colons == 4 {
                    start = Some(at + 1);
                    break;
                }
            }
            _ => {}
        }
    }
    let Some(start) = start else {
        return std::borrow::Cow::Borrowed(pattern);
    };
    let field = &pattern[start..];
    let Some(inner) = field.strip_prefix("${") else {
        return std::borrow::Cow::Borrowed(pattern);
    };
    let Some(end) = inner.find('}') else {
        return std::borrow::Cow::Borrowed(pattern);
    };
    let name = inner[..end].split(',').next().unwrap_or("").trim();
    let rest = &inner[end + 1..];
    if !VARIABLES.iter().any(|v| v.eq_ignore_ascii_case(name)) || !rest.starts_with(':') {
        return std::borrow::Cow::Borrowed(pattern);
    }
    std::borrow::Cow::Owned(format!("{}*{rest}", &pattern[..start]))
}

/// An IAM user ARN pattern whose name is the holder's own user name
/// (`arn:aws:iam::*:user/${aws:username}`, any path before it), matched whatever
/// its case: the variable names a condition key, and IAM reads those so.
fn names_the_holder(pattern: &str) -> bool {
    let fields: Vec<&str> = pattern.splitn(6, ':').collect();
    fields.len() == 6
        && fields[2] == "iam"
        && fields[5].starts_with("user/")
        && fields[5]
            .rsplit('/')
            .next()
            .is_some_and(|name| name.eq_ignore_ascii_case("${aws:username}"))
}

/// IAM calls any one of which lets its holder give itself every permission (attach
/// `AdministratorAccess` to itself, write itself an inline policy, or make a new
/// default version of a policy it holds), with the kind of resource each acts on.
const SELF_GRANT_ACTIONS: [(&str, &str); 7] = [
    ("iam:AttachUserPolicy", "user/"),
    ("iam:AttachRolePolicy", "role/"),
    ("iam:AttachGroupPolicy", "group/"),
    ("iam:PutUserPolicy", "user/"),
    ("iam:PutRolePolicy", "role/"),
    ("iam:PutGroupPolicy", "group/"),
    ("iam:CreatePolicyVersion", "policy/"),
];

/// IAM calls any one of which, on every identity of its kind, lets its holder
/// become one that has every permission: trust itself on a role, make keys or a
/// console password for a user, join a group.
const TAKEOVER_ACTIONS: [(&str, &str); 5] = [
    ("iam:UpdateAssumeRolePolicy", "role/"),
    ("iam:CreateAccessKey", "user/"),
    ("iam:CreateLoginProfile", "user/"),
    ("iam:UpdateLoginProfile", "user/"),
    ("iam:AddUserToGroup", "group/"),
];

/// The AWS managed policies whose attachment makes an administrator:
/// `AdministratorAccess`, `IAMFullAccess` (`iam:*` on everything: the means to
/// attach the first to oneself), and `AdministratorAccess-Amplify` (role policies
/// attached, put and rewritten on any role: AWS's guide calls it as powerful as
/// `AdministratorAccess`; from an evasion review), in any case.
pub fn admin_managed_policy(name: &str) -> bool {
    [
        "AdministratorAccess",
        "IAMFullAccess",
        "AdministratorAccess-Amplify",
    ]
    .iter()
    .any(|admin| admin.eq_ignore_ascii_case(name))
}

/// The "new terms" observation of a caller: the term `<account>|<stable
/// principal>` ([`account_principal_term`]: the role of an assumed-role session, not
/// the session, whose name changes on every assume), and `|<extra>` when given
/// (e.g. the role it touched).
pub fn first_seen_by_actor(
    rec: &Record,
    extra: Option<&str>,
    evidence: Evidence,
) -> Option<crate::detection::Signal> {
    let group = account_principal_term(rec);
    let term = match extra {
        Some(x) => format!("{group}|{x}"),
        None => group,
    };
    Some(crate::detection::Signal::FirstSeen { term, evidence })
}

/// The account id in a principal of a policy: a bare 12-digit id, or the account
/// field of an ARN (`arn:aws:iam::111122223333:root`). `None` for anything else.
pub fn principal_account(principal: &str) -> Option<&str> {
    let p = principal.trim();
    let account = if p.starts_with("arn:") {
        p.split(':').nth(4)?
    } else {
        p
    };
    super::is_account_id(account).then_some(account)
}

/// The AWS principals an `Allow` statement of a trust policy lets in that are not
/// of `own_account`: `*` (anyone), or principals of another account. `own_account`
/// `None` keeps only `*`. An `Allow` with `NotPrincipal` lets in nearly everyone and
/// counts as `*`.
pub fn foreign_trusted_principals(
    doc: &serde_json::Value,
    own_account: Option<&str>,
) -> Vec<String> {
    use crate::detections::create_policy_version_allow_all::one_or_many;
    let mut out = Vec::new();
    let statements = doc.get("Statement").map(one_or_many).unwrap_or(&[]);
    for st in statements.iter().filter_map(serde_json::Value::as_object) {
        let allow = st
            .get("Effect")
            .and_then(serde_json::Value::as_str)
            .is_some_and(|e| e.trim().eq_ignore_ascii_case("allow"));
        if !allow {
            continue;
        }
        if st.contains_key("NotPrincipal") {
            out.push("*".to_owned());
            continue;
        }
        let aws: &[serde_json::Value] = match st.get("Principal") {
            // `"Principal": "*"`; any other string is not a valid principal.
            Some(p @ serde_json::Value::String(_)) => std::slice::from_ref(p),
            Some(serde_json::Value::Object(p)) => p.get("AWS").map(one_or_many).unwrap_or(&[]),
            _ => &[],
        };
        for v in aws.iter().filter_map(serde_json::Value::as_str) {
            let v = v.trim();
            let foreign = v == "*"
                || matches!((principal_account(v), own_account), (Some(a), Some(own)) if a != own);
            if foreign && !out.iter().any(|o| o == v) {
                out.push(v.to_owned());
            }
        }
    }
    out
}

/// `responseElements.accessKey.<key>` of `CreateAccessKey` as a non-empty string
/// (the key's id and metadata; the secret is never read).
pub fn access_key_field<'r>(rec: &'r Record, key: &str) -> Option<&'r str> {
    rec.response_element("accessKey")?
        .as_object()?
        .get(key)?
        .as_str()
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
pub mod iam_testing {
    //! Records and callers for the iam-persistence unit tests.

    pub const USER: &str = r#"{"type":"IAMUser","principalId":"AIDAEXAMPLEALICE0001",
        "arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333",
        "accessKeyId":"AKIAEXAMPLEALICE0001","userName":"alice"}"#;
    pub const ROLE: &str = r#"{"type":"AssumedRole","principalId":"AROAEXAMPLEOPS:ops-session",
        "arn":"arn:aws:sts::111122223333:assumed-role/Ops/ops-session","accountId":"111122223333",
        "accessKeyId":"ASIAEXAMPLEOPS000001","sessionContext":{"sessionIssuer":{"type":"Role",
        "arn":"arn:aws:iam::111122223333:role/Ops","userName":"Ops"},
        "attributes":{"mfaAuthenticated":"false","creationDate":"2026-06-03T09:00:00Z"}}}"#;
    pub const ROOT: &str = r#"{"type":"Root","principalId":"111122223333",
        "arn":"arn:aws:iam::111122223333:root","accountId":"111122223333"}"#;
    pub const FEDERATED: &str = r#"{"type":"FederatedUser","principalId":"111122223333:bob",
        "arn":"arn:aws:sts::111122223333:federated-user/bob","accountId":"111122223333",
        "sessionContext":{"sessionIssuer":{"type":"IAMUser","principalId":"AIDAEXAMPLEBOB",
        "arn":"arn:aws:iam::111122223333:user/bob","accountId":"111122223333","userName":"bob"}}}"#;
    pub const CFN: &str = r#"{"type":"AssumedRole","principalId":"AROAEXAMPLECFN:AWSCloudFormation",
        "arn":"arn:aws:sts::111122223333:assumed-role/CfnDeploy/AWSCloudFormation",
        "accountId":"111122223333","invokedBy":"cloudformation.amazonaws.com"}"#;

    /// A record of `source`/`name` by `identity` with `params` (JSON text) and
    /// `extra` (`"key":value,` pairs, e.g. an error code).
    pub fn record(source: &str, name: &str, identity: &str, params: &str, extra: &str) -> String {
        format!(
            r#"{{"eventVersion":"1.09","eventSource":"{source}","eventName":"{name}",
            "eventTime":"2026-06-03T10:00:00Z","awsRegion":"us-east-1","eventID":"0b5d6f5e-0000-4000-8000-000000000001",
            "recipientAccountId":"111122223333","sourceIPAddress":"203.0.113.20",
            "userAgent":"aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64",
            "userIdentity":{identity},{extra}"requestParameters":{params},"responseElements":null}}"#
        )
    }

    /// The term of a first-seen observation, `None` when the detection stays silent.
    pub fn first_seen_term(det: &dyn crate::detection::Detection, json: &str) -> Option<String> {
        match crate::detections::common::testing::eval(det, json) {
            Some(crate::detection::Signal::FirstSeen { term, .. }) => Some(term),
            None => None,
            other => panic!("expected a first-seen observation, got {other:?}"),
        }
    }

    /// The shared test of the admin detections' inline form: `event`
    /// (`PutUserPolicy`, `PutRolePolicy`) naming its target in `param` fires, marked
    /// `inline`, on an `Allow` of every action on every resource, as plain or
    /// percent-encoded JSON; not on narrower, denying or unparseable documents, nor
    /// on a failed call.
    pub fn check_admin_inline_policy(
        det: &dyn crate::detection::Detection,
        event: &str,
        param: &str,
    ) {
        use crate::detection::Signal;
        use crate::detections::common::testing::{eval, fires};
        let put = |doc: &str| {
            let doc = serde_json::to_string(doc).unwrap();
            format!(r#"{{"{param}":"ci-deployer","policyName":"ops","policyDocument":{doc}}}"#)
        };
        let admin = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
        match eval(det, &iam(event, USER, &put(admin))) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("inline"), Some(&serde_json::json!(true))),
            other => panic!("expected a finding, got {other:?}"),
        }
        let encoded = "%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%5B%22%2A%3A%2A%22%5D%2C%22Resource%22%3A%5B%22%2A%22%5D%7D%5D%7D";
        assert!(fires(det, &iam(event, USER, &put(encoded))));
        // The means to grant oneself everything is the same escalation.
        for equivalent in [
            r#"{"Statement":{"Effect":"Allow","Action":"iam:*","Resource":"*"}}"#,
            r#"{"Statement":[{"Effect":"Allow","Action":["iam:AttachUserPolicy"],"Resource":["*"]}]}"#,
            r#"{"Statement":{"Effect":"Allow","NotAction":"iam:DeleteAccountPasswordPolicy","Resource":"*"}}"#,
            // Resource patterns that take every user, role, group or policy.
            r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:*:*:*:*"}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"iam:AttachUserPolicy","Resource":"arn:aws:iam::111122223333:user/*"}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"iam:*","Resource":["arn:aws:iam::*:role/*"]}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"iam:CreatePolicyVersion","Resource":"arn:*:iam::*:policy/*"}}"#,
        ] {
            match eval(det, &iam(event, USER, &put(equivalent))) {
                Some(Signal::Fire(e)) => {
                    assert!(e.get("admin_equivalent").is_some(), "{equivalent}")
                }
                other => panic!("expected a finding for {equivalent}, got {other:?}"),
            }
        }
        let not_resource = r#"{"Statement":{"Effect":"Allow","Action":"*","NotResource":"arn:aws:s3:::audit-logs/*"}}"#;
        assert!(fires(det, &iam(event, USER, &put(not_resource))));
        // From a review: a policy letting its own holder grant itself, by name.
        let (kind, action) = match param {
            "roleName" => ("role", "iam:AttachRolePolicy"),
            "userName" => ("user", "iam:PutUserPolicy"),
            _ => ("group", "iam:AttachGroupPolicy"),
        };
        let on = |resource: &str| {
            format!(
                r#"{{"Statement":{{"Effect":"Allow","Action":"{action}","Resource":"{resource}"}}}}"#
            )
        };
        for itself in [
            format!("arn:aws:iam::111122223333:{kind}/ci-deployer"),
            format!("arn:aws:iam::*:{kind}/ci-*"),
            format!("arn:aws:iam::111122223333:{kind}/teams/ci-deployer"),
        ] {
            match eval(det, &iam(event, USER, &put(&on(&itself)))) {
                Some(Signal::Fire(e)) => assert!(e.get("admin_equivalent").is_some(), "{itself}"),
                other => panic!("expected a finding for {itself}, got {other:?}"),
            }
        }
        // Held to a permissions boundary: AWS's delegated administration.
        let bounded = format!(
            r#"{{"Statement":{{"Effect":"Allow","Action":"{action}","Resource":"arn:aws:iam::111122223333:{kind}/ci-*","Condition":{{"StringEquals":{{"iam:PermissionsBoundary":"arn:aws:iam::111122223333:policy/app-boundary"}}}}}}}}"#
        );
        assert!(!fires(det, &iam(event, USER, &put(&bounded))), "{bounded}");
        // A condition any identity without the boundary meets is no boundary.
        for loose in [
            r#"{"Null":{"iam:PermissionsBoundary":"true"}}"#,
            r#"{"StringNotEquals":{"iam:PermissionsBoundary":"arn:aws:iam::111122223333:policy/app-boundary"}}"#,
            r#"{"StringEqualsIfExists":{"iam:PermissionsBoundary":"arn:aws:iam::111122223333:policy/app-boundary"}}"#,
            r#"{"StringEquals":{"iam:PermissionsBoundary":"arn:aws:iam::111122223333:policy/*"}}"#,
            // A boundary that caps nothing, or any policy a tag names.
            r#"{"StringEquals":{"iam:PermissionsBoundary":"arn:aws:iam::aws:policy/AdministratorAccess"}}"#,
            r#"{"StringEquals":{"iam:PermissionsBoundary":"arn:aws:iam::111122223333:policy/${aws:PrincipalTag/b}"}}"#,
        ] {
            let doc = format!(
                r#"{{"Statement":{{"Effect":"Allow","Action":"{action}","Resource":"arn:aws:iam::111122223333:{kind}/ci-deployer","Condition":{loose}}}}}"#
            );
            assert!(fires(det, &iam(event, USER, &put(&doc))), "{doc}");
        }
        // Patterns that take it whatever the kind's spelling (from a review of this).
        for itself in [
            "arn:aws:iam::111122223333:*/ci-deployer",
            "arn:aws:iam::111122223333:*ci-deployer",
        ] {
            assert!(fires(det, &iam(event, USER, &put(&on(itself)))), "{itself}");
        }
        for not_itself in [
            format!("arn:aws:iam::111122223333:{kind}/ci-other"),
            format!("arn:aws:iam::999988887777:{kind}/ci-deployer"),
            format!("arn:aws:s3:::{kind}/ci-deployer"),
            // A delegated path scope is not the holder.
            format!("arn:aws:iam::111122223333:{kind}/app-roles/*"),
        ] {
            assert!(
                !fires(det, &iam(event, USER, &put(&on(&not_itself)))),
                "{not_itself}"
            );
        }
        for short_of_it in [
            r#"{"Statement":{"Effect":"Allow","NotAction":["iam:*","organizations:*"],"Resource":"*"}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"iam:Get*","Resource":"*"}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam::111122223333:role/app-*"}}"#,
            // A policy action on users, and one named user: no reach to oneself.
            r#"{"Statement":{"Effect":"Allow","Action":"iam:CreatePolicyVersion","Resource":"arn:aws:iam::*:user/*"}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"iam:AttachUserPolicy","Resource":"arn:aws:iam::111122223333:user/alice"}}"#,
        ] {
            assert!(
                !fires(det, &iam(event, USER, &put(short_of_it))),
                "{short_of_it}"
            );
        }
        for narrow in [
            r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::builds/*"}}"#,
            r#"{"Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}"#,
            "not json",
        ] {
            assert!(!fires(det, &iam(event, USER, &put(narrow))), "{narrow}");
        }
        assert!(!fires(
            det,
            &iam_failed(event, USER, &put(admin), "AccessDenied")
        ));
    }

    /// What every "AdministratorAccess attached" detection must do, for `event`
    /// naming its target in `param`: fire for every caller type and partition, and
    /// stay silent on look-alike policies, failures, missing parameters and the
    /// other attach calls.
    pub fn check_admin_attachment(det: &dyn crate::detection::Detection, event: &str, param: &str) {
        use crate::detections::common::testing::fires;
        let attach = |who: &str, arn: &str| {
            iam(
                event,
                who,
                &format!(r#"{{"{param}":"target","policyArn":"{arn}"}}"#),
            )
        };
        let admin = "arn:aws:iam::aws:policy/AdministratorAccess";
        for who in [USER, ROLE, ROOT, FEDERATED, CFN] {
            assert!(fires(det, &attach(who, admin)), "{event} by {who}");
        }
        let gov = "arn:aws-us-gov:iam::aws:policy/AdministratorAccess";
        assert!(fires(det, &attach(USER, gov)), "{event} in GovCloud");
        // `iam:*` on everything: the means to attach the first to oneself.
        assert!(
            fires(det, &attach(ROLE, "arn:aws:iam::aws:policy/IAMFullAccess")),
            "{event} of IAMFullAccess"
        );
        assert!(
            fires(
                det,
                &attach(ROLE, "arn:aws:iam::aws:policy/AdministratorAccess-Amplify")
            ),
            "{event} of AdministratorAccess-Amplify"
        );
        for arn in [
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "arn:aws:iam::aws:policy/AdministratorAccess-Amplify-Lookalike",
            "arn:aws:iam::111122223333:policy/AdministratorAccess",
            "arn:evil:iam::aws:policy/AdministratorAccess",
            "",
        ] {
            assert!(!fires(det, &attach(USER, arn)), "{event} of {arn}");
        }
        let params = format!(r#"{{"policyArn":"{admin}"}}"#);
        assert!(!fires(
            det,
            &iam_failed(event, USER, &params, "AccessDenied")
        ));
        assert!(!fires(det, &iam(event, USER, "null")));
        assert!(!fires(det, &iam(event, USER, "{}")));
        for other in [
            "AttachUserPolicy",
            "AttachRolePolicy",
            "AttachGroupPolicy",
            "DetachUserPolicy",
        ] {
            if other != event {
                assert!(!fires(det, &iam(other, USER, &params)), "{other}");
            }
        }
    }

    /// What the "sensitive IAM call from <environment>" detections must do, given
    /// the user agent of that environment and a caller there: fire on sensitive
    /// calls made there, not on the same calls elsewhere, reads or failures; and
    /// their raw check keeps exactly the records with that user agent.
    pub fn check_sensitive_iam_from(det: &dyn crate::detection::Detection, there: &str, who: &str) {
        use crate::detections::common::testing::fires;
        let cli = "aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64";
        let from_there = |event: &str, params: &str| iam(event, who, params).replace(cli, there);
        for event in [
            "CreateUser",
            "CreateAccessKey",
            "AttachUserPolicy",
            "UpdateAssumeRolePolicy",
        ] {
            assert!(
                fires(det, &from_there(event, r#"{"userName":"x"}"#)),
                "{event}"
            );
        }
        assert!(!fires(det, &iam("CreateUser", who, r#"{"userName":"x"}"#)));
        assert!(!fires(det, &from_there("ListUsers", "null")));
        let denied = from_there("CreateUser", "null").replace(
            r#""requestParameters""#,
            r#""errorCode":"AccessDenied","requestParameters""#,
        );
        assert!(!fires(det, &denied));
        let peek_of = |json: &str| {
            let p = crate::event::prefilter::peek(json.as_bytes()).expect("plain record");
            det.may_match_raw(&p, json.as_bytes())
        };
        assert!(peek_of(&from_there("CreateUser", "null")));
        assert!(!peek_of(&iam("CreateUser", who, "null")));
    }

    /// A successful IAM call.
    pub fn iam(name: &str, identity: &str, params: &str) -> String {
        record(super::IAM, name, identity, params, "")
    }

    /// Holds a detection to `common::change_by_anyone_but`: `name` made through a
    /// CloudFormation stack or under a Terraform agent fires; an `AWSService`
    /// identity's call does not, nor one that a service of `left_out` made.
    pub fn stack_and_tools_count(
        det: &dyn crate::detection::Detection,
        name: &str,
        params: &str,
        left_out: &[&str],
    ) {
        use crate::detections::common::testing::fires;
        assert!(
            fires(det, &iam(name, CFN, params)),
            "{name} through a stack"
        );
        let by_hand = iam(name, ROLE, params);
        let terraform = by_hand.replace(
            "aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64",
            "APN/1.0 HashiCorp/1.0 Terraform/1.8.4 aws-sdk-go-v2/1.27.0",
        );
        assert_ne!(terraform, by_hand);
        assert!(fires(det, &terraform), "{name} under a Terraform agent");
        let service = r#"{"type":"AWSService","invokedBy":"iam.amazonaws.com"}"#;
        assert!(
            !fires(det, &iam(name, service, params)),
            "{name} by a service"
        );
        for s in left_out {
            let by_service = CFN.replace("cloudformation.amazonaws.com", s);
            assert!(
                !fires(det, &iam(name, &by_service, params)),
                "{name} by {s}"
            );
        }
    }

    /// A failed IAM call with `code`.
    pub fn iam_failed(name: &str, identity: &str, params: &str, code: &str) -> String {
        let extra = format!(r#""errorCode":"{code}","errorMessage":"denied or invalid","#);
        record(super::IAM, name, identity, params, &extra)
    }
}

#[cfg(test)]
mod holder_tests {
    use super::Holder;

    /// Without the record's account, a pattern naming an account may be the
    /// holder's; with it, only that account's (from a review of the fallback).
    #[test]
    fn the_holders_account_is_the_records_else_the_patterns() {
        let holder = |account| Holder {
            kind: "role/",
            name: "ci-deployer",
            account,
        };
        let other_account = "arn:aws:iam::999988887777:role/ci-deployer";
        assert!(holder(None).named_by(other_account));
        assert!(!holder(Some("111122223333")).named_by(other_account));
        assert!(holder(Some("111122223333")).named_by("arn:aws:iam::*:role/ci-deployer"));
        assert!(holder(None).named_by("arn:aws:iam::*:role/ci-*"));
        assert!(!holder(None).named_by("arn:aws:iam::*:role/app/*"));
    }
}

#[cfg(test)]
mod managed_policy_tests {
    use super::{admin_managed_policy, aws_managed_policy_name};

    /// IAM resolves a managed policy's ARN in any case (from an evasion review).
    #[test]
    fn managed_policy_arns_are_read_in_any_case() {
        for arn in [
            "arn:aws:iam::aws:policy/AdministratorAccess",
            "arn:aws:iam::aws:policy/administratoraccess",
            " ARN:AWS:IAM::AWS:POLICY/ADMINISTRATORACCESS ",
            "arn:aws-us-gov:iam::aws:policy/IAMFULLACCESS",
        ] {
            assert!(
                aws_managed_policy_name(arn).is_some_and(admin_managed_policy),
                "{arn}"
            );
        }
        for arn in [
            "arn:aws:iam::111122223333:policy/administratoraccess",
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "arn:other:iam::aws:policy/AdministratorAccess",
        ] {
            assert!(
                !aws_managed_policy_name(arn).is_some_and(admin_managed_policy),
                "{arn}"
            );
        }
        assert_eq!(
            aws_managed_policy_name("arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"),
            Some("ViewOnlyAccess")
        );
    }
}

#[cfg(test)]
mod account_variable_tests {
    use super::{AdminGrant, admin_grant};
    use serde_json::json;

    /// From an evasion review: an account variable in a resource's account field
    /// names the holder's own account, whose every user the pattern then takes.
    #[test]
    fn an_account_variable_takes_the_holders_own_account() {
        let grant = |resource: &str| {
            admin_grant(&json!({"Statement": [
                {"Effect": "Allow", "Action": "iam:AttachUserPolicy", "Resource": resource}
            ]}))
        };
        for resource in [
            "arn:aws:iam::${aws:PrincipalAccount}:*",
            "arn:aws:iam::${AWS:ResourceAccount}:user/*",
        ] {
            assert!(
                matches!(grant(resource), Some(AdminGrant::SelfGrant)),
                "{resource}"
            );
        }
        assert!(
            matches!(
                grant("arn:aws:iam::${aws:PrincipalAccount, '111122223333'}:user/*"),
                Some(AdminGrant::SelfGrant)
            ),
            "a variable with a default"
        );
        for resource in [
            "arn:aws:iam::${aws:PrincipalAccount}:role/app-*",
            "arn:aws:iam::${aws:PrincipalAccount}:user/ci-deployer",
            // The variable outside the account field names one user.
            "arn:aws:iam::111122223333:user/${aws:PrincipalAccount}",
            "arn:aws:iam::${aws:userid}:*",
        ] {
            assert!(grant(resource).is_none(), "{resource}");
        }
    }
}

#[cfg(test)]
mod fence_tests {
    use super::*;

    /// From a second evasion review: AWS's delegated-administrator patterns
    /// (a required customer boundary, or named non-administrator policies) are
    /// no administrator's grant; wildcards, variables, administrator policies and
    /// conditions that can be met otherwise still are.
    #[test]
    fn delegated_administrator_fences_hold() {
        let grant = |condition: &str| {
            let doc: serde_json::Value = serde_json::from_str(&format!(
                r#"{{"Statement":[{{"Effect":"Allow","Action":["iam:AttachUserPolicy","iam:PutUserPolicy","iam:CreateUser"],"Resource":"*","Condition":{condition}}}]}}"#
            ))
            .unwrap();
            admin_grant(&doc)
        };
        for fence in [
            r#"{"StringEquals":{"iam:PermissionsBoundary":"arn:aws:iam::111122223333:policy/XCompanyBoundaries"}}"#,
            r#"{"ArnEquals":{"iam:PolicyARN":["arn:aws:iam::aws:policy/ReadOnlyAccess","arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"]}}"#,
        ] {
            assert_eq!(grant(fence), None, "{fence}");
        }
        // A customer policy's content is unknown: naming one fences nothing.
        let customer =
            r#"{"ArnEquals":{"iam:PolicyARN":"arn:aws:iam::111122223333:policy/app-read"}}"#;
        assert_eq!(grant(customer), Some(AdminGrant::SelfGrant));
        // A fence the document lets the holder take down (a review of the fence).
        let boundary =
            r#"{"StringEquals":{"iam:PermissionsBoundary":"arn:aws:iam::111122223333:policy/B"}}"#;
        for escape in [
            format!(r#"{{"Statement":[{{"Effect":"Allow","Action":["iam:PutRolePolicy","iam:DeleteRolePermissionsBoundary"],"Resource":"*","Condition":{boundary}}}]}}"#),
            format!(r#"{{"Statement":[{{"Effect":"Allow","Action":"iam:PutRolePolicy","Resource":"*","Condition":{boundary}}},{{"Effect":"Allow","Action":"iam:PutRolePermissionsBoundary","Resource":"*"}}]}}"#),
            format!(r#"{{"Statement":[{{"Effect":"Allow","Action":"*","Resource":"*","Condition":{boundary}}}]}}"#),
            r#"{"Statement":[{"Effect":"Allow","Action":"iam:AttachRolePolicy","Resource":"*","Condition":{"ArnEquals":{"iam:PolicyARN":"arn:aws:iam::aws:policy/ReadOnlyAccess"}}},{"Effect":"Allow","Action":"iam:CreatePolicyVersion","Resource":"arn:aws:iam::111122223333:policy/app-read"}]}"#.to_owned(),
        ] {
            let doc: serde_json::Value = serde_json::from_str(&escape).unwrap();
            assert!(admin_grant(&doc).is_some(), "{escape}");
        }
        for open in [
            r#"{"StringEquals":{"iam:PolicyARN":"arn:aws:iam::aws:policy/AdministratorAccess"}}"#,
            r#"{"ArnLike":{"iam:PolicyARN":"arn:aws:iam::aws:policy/*"}}"#,
            r#"{"StringEquals":{"iam:PolicyARN":"arn:aws:iam::aws:policy/*"}}"#,
            r#"{"StringEqualsIfExists":{"iam:PermissionsBoundary":"arn:aws:iam::111122223333:policy/b"}}"#,
            r#"{"StringNotEquals":{"iam:PolicyARN":"arn:aws:iam::aws:policy/AdministratorAccess"}}"#,
            r#"{"StringEquals":{"aws:PrincipalTag/team":"platform"}}"#,
        ] {
            assert_eq!(grant(open), Some(AdminGrant::SelfGrant), "{open}");
        }
        let everything: serde_json::Value = serde_json::from_str(
            r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ArnEquals":{"iam:PolicyARN":"arn:aws:iam::aws:policy/ReadOnlyAccess"}}}}"#,
        )
        .unwrap();
        // Every action takes in the fence's escapes: still an administrator's.
        assert_eq!(admin_grant(&everything), Some(AdminGrant::EveryAction));
    }
}
