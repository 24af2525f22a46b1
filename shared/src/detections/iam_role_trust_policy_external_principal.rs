//! A role created (`CreateRole`) or its trust policy replaced
//! (`UpdateAssumeRolePolicy`), successfully, with an `Allow` statement that lets in an
//! AWS principal outside the account: `*`, `NotPrincipal`, or a principal (account id
//! or ARN) of another account. Service principals, and federated ones but those below,
//! are not judged; a
//! condition (such as `sts:ExternalId` or `aws:PrincipalOrgID`) does not silence the
//! finding but is visible in the document, which the analyst reads. When the
//! deployment names its own organisations (`TRAILWATCH_ORGANIZATION_IDS`), a trust
//! whose every outside principal is named (not everyone) and fenced to them by
//! `aws:PrincipalOrgID` or `aws:PrincipalOrgPaths` is medium (eighth session,
//! from a review of false positives): only an account of ours can assume it. The role's account
//! is `recipientAccountId` (else the caller's); without it, only `*` is reported.
//! Infrastructure-as-code callers are not excluded: a cross-account trust is worth a
//! look whoever writes it. A document that does not parse is not reported (IAM refuses
//! such a call, so a successful record with one is an export artefact).
//!
//! One federated case is judged: GitHub Actions' OIDC provider
//! (`token.actions.githubusercontent.com`) trusted without pinning the token's
//! owner: no string condition on `sub`, `repository`, `repository_owner` or
//! their ids (`repository_id`, `repository_owner_id`, `enterprise_id`; a negated
//! operator pins nothing, nor, but on `sub`, a `Null` test or an `IfExists` or
//! `ForAllValues:` form, which a claim IAM leaves out of the request passes), or one that
//! accepts any owner (`*`, `repo:*`, a wildcard in the owner such as
//! `repo:*:ref:refs/heads/main` or `repo:*/app:*` under `StringLike`, or a list
//! with one such value among pinned ones). Every workflow of every GitHub
//! repository gets a token from that provider, so such a role lets in anyone on
//! GitHub: it is reported as the principal `github-actions:any-repository`.
//!
//! The public web identity providers are judged the same way: Google
//! (`accounts.google.com`), Facebook (`graph.facebook.com`), Login with Amazon
//! (`www.amazon.com`) and Cognito identity pools (`cognito-identity.amazonaws.com`).
//! Anyone can register an application (or a pool) with them and get tokens for its
//! own audience, so a trust that does not pin the application or the user (the
//! claims IAM names for the provider: Google's `aud`, `oaud`, `sub`; Facebook's
//! `app_id`, `id`; Amazon's `app_id`, `user_id`; Cognito's `aud`, `sub`) to a value
//! without wildcards, under a string operator that is
//! not negated, lets in anyone with an account there: reported as
//! `<provider>:any-audience`.
//!
//! So are the other shared CI issuers, from an evasion review: GitLab.com
//! (`gitlab.com`, subject `project_path:GROUP/PROJECT:...`), Terraform Cloud
//! (`app.terraform.io`, `organization:ORG:...`) and Buildkite
//! (`agent.buildkite.com`, `organization:ORG:...`). Any of their users can get a
//! token, and a job chooses its own audience, so only a subject whose owner part
//! (the top group, the organisation) is spelled out without wildcards pins one
//! owner; otherwise `<issuer>:any-owner` is reported.
//!
//! From a review of false positives (sixth session): roles AWS's own machinery
//! creates in every new account do not page. A service-linked role's call (the
//! StackSets member role creating `stacksets-exec-*`, trusting the management
//! account) is not reported: no one can act as one. Control Tower's enrolment
//! (CloudFormation as `AWSControlTowerExecution` creating its administrator or
//! read-only execution role, each trusting only the audit account's role of its
//! kind) is medium: the shape is Control Tower's, but whoever holds the
//! management account can write it. Account Factory for Terraform's roles
//! (`AWSAFTExecution`, `AWSAFTService` trusting the AFT management account's
//! `AWSAFTAdmin`) stay high: nothing in the record ties the account they trust
//! to the organisation's AFT account, and a review of a medium for their shape
//! made an outsider's account trusted by an `AWSControlTowerExecution` of its
//! own making medium. Tune them by their exact trust document (docs/tuning.md).

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    IAM, allow_statements, aws_service_or_linked_role, change_evidence, flag_value, foreign_trusted_principals,
    is_event, one_or_many,
};
use crate::detections::create_policy_version_allow_all::policy_document_param;
use crate::event::Record;

pub struct IamRoleTrustPolicyExternalPrincipal;

pub static META: Meta = Meta {
    id: "iam-role-trust-policy-external-principal",
    title: "AWS IAM Role Trust Policy Allows External Principal",
    description: "A role was created, or its trust policy rewritten, so that a \
                  principal outside the account (another AWS account, anyone, any \
                  GitHub repository's workflows, or anyone with a Google, Facebook, Amazon \
                  or Cognito identity when the audience is not pinned) may assume it. This is the classic backdoor role: the attacker keeps \
                  access from an account they own, with no user or key in the victim \
                  account.",
    severity: Severity::High,
    attack: &["T1098", "T1098.003"],
    origins: &[
        "trailwatch: based on Stratus Red Team aws.persistence.iam-backdoor-role and \
         aws.persistence.iam-create-backdoor-role (trust policy naming a foreign \
         account)",
    ],
    group: "iam-persistence",
    false_positives: &[
        "Cross-account access by design: a security, logging or CI account, or a \
         vendor integration with an external id.",
        "Organisation-wide roles trusting `*` restricted by an aws:PrincipalOrgID \
         condition.",
        "Control Tower enrolling an account: its `aws-controltower-*` roles trust the audit \
         account (medium severity).",
        "Account Factory for Terraform vending or updating an account: `AWSAFTExecution` and \
         `AWSAFTService` trust the AFT management account (tune by the exact trust \
         document, which names that account).",
    ],
    next_steps: "Check the trusted accounts against your organisation's and vendors' \
                 account ids. If one is unknown, restore the previous trust policy \
                 (or delete the role), look for AssumeRole calls from that account, \
                 and review how the caller got iam:UpdateAssumeRolePolicy or \
                 iam:CreateRole.",
    evidence: "api caller caller_type federated_principals roleName source_ip trusted_principals \
        user_agent",
    triggers: &[Trigger::write(IAM, &["CreateRole", "UpdateAssumeRolePolicy"])],
    window: None,
};

const GITHUB_OIDC: &str = "token.actions.githubusercontent.com";

/// Shared CI issuers (beside GitHub's), with the subject prefix before the owner.
const SHARED_CI_ISSUERS: &[(&str, &str)] = &[
    ("gitlab.com", "project_path:"),
    ("app.terraform.io", "organization:"),
    ("agent.buildkite.com", "organization:"),
];

/// The shared CI issuers ([`SHARED_CI_ISSUERS`]) some `Allow` statement trusts
/// without pinning the subject's owner, as `<issuer>:any-owner`, each once.
fn shared_ci_open_to_any_owner(doc: &serde_json::Value) -> Vec<String> {
    open_federated(doc, |provider, condition| {
        let provider = provider.trim();
        let &(issuer, prefix) = SHARED_CI_ISSUERS.iter().find(|(issuer, _)| {
            provider.eq_ignore_ascii_case(issuer) || provider.ends_with(&format!("oidc-provider/{issuer}"))
        })?;
        (!subject_owner_pinned(issuer, prefix, condition)).then(|| format!("{issuer}:any-owner"))
    })
}

/// What the `Allow` statements of `doc` leave open to federated principals: for
/// each provider a statement trusts, `open(provider, condition)` names it when the
/// statement's condition does not pin it; each name once, in order.
fn open_federated(
    doc: &serde_json::Value,
    open: impl Fn(&str, Option<&serde_json::Value>) -> Option<String>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for st in allow_statements(doc) {
        let federated = st.get("Principal").and_then(|p| p.get("Federated"));
        for provider in one_or_many(federated).into_iter().filter_map(serde_json::Value::as_str) {
            if let Some(name) = open(provider, st.get("Condition"))
                && !out.contains(&name)
            {
                out.push(name);
            }
        }
    }
    out
}

/// Some string operator that is not negated requires `<issuer>:sub` to be one of
/// values that each name one owner: `<prefix>OWNER...` with no wildcard in `OWNER`
/// (under an exact operator, anything but wildcards alone); `Null` true lets no
/// token in, as for GitHub.
fn subject_owner_pinned(issuer: &str, prefix: &str, condition: Option<&serde_json::Value>) -> bool {
    let key = format!("{issuer}:sub");
    owner_tests(condition).any(|(test, keys)| {
            keys.iter()
                .filter(|(k, _)| k.trim().eq_ignore_ascii_case(&key))
                .any(|(_, values)| {
                    let values = one_or_many(Some(values));
                    !values.is_empty()
                        && values.into_iter().all(|v| match test {
                            OwnerTest::MustBeAbsent => flag_value(v) == Some(true),
                            OwnerTest::Strings { like, .. } => v.as_str().is_some_and(|v| {
                                let v = v.trim();
                                if !like {
                                    return !v.is_empty() && !v.trim_start_matches(prefix).chars().all(|c| matches!(c, '*' | '?' | ':'));
                                }
                                let owner = v.strip_prefix(prefix).map(|rest| rest.split(['/', ':']).next().unwrap_or(rest));
                                owner.is_some_and(|o| !o.is_empty() && !o.contains(['*', '?']))
                            }),
                        })
                })
        })
}

/// Identity providers anyone can get a token from for an audience of their own,
/// with the condition keys' claims that pin the audience (the application) or the
/// user: IAM names them per provider.
const PUBLIC_WEB_IDENTITIES: &[(&str, &[&str])] = &[
    ("accounts.google.com", &["aud", "oaud", "sub"]),
    ("graph.facebook.com", &["app_id", "id"]),
    ("www.amazon.com", &["app_id", "user_id"]),
    ("cognito-identity.amazonaws.com", &["aud", "sub"]),
];

/// The public web identity providers ([`PUBLIC_WEB_IDENTITIES`]) that some `Allow`
/// statement trusts without pinning the audience or the user, as
/// `<provider>:any-audience`, each once.
fn web_identities_open_to_anyone(doc: &serde_json::Value) -> Vec<String> {
    open_federated(doc, |provider, condition| {
        let (known, claims) = PUBLIC_WEB_IDENTITIES
            .iter()
            .find(|(p, _)| p.eq_ignore_ascii_case(provider.trim()))?;
        (!audience_pinned(known, claims, condition)).then(|| format!("{known}:any-audience"))
    })
}

/// Some string operator that is not negated requires one of the provider's pinning
/// claims (`<provider>:aud`, `:app_id`, ...) to be one of values that each name
/// something (not empty, no wildcard).
fn audience_pinned(provider: &str, claims: &[&str], condition: Option<&serde_json::Value>) -> bool {
    use serde_json::Value;
    condition
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(operator, _)| {
            let op = operator.to_ascii_lowercase();
            let op = op.rsplit(':').next().unwrap_or(&op).to_owned();
            op.starts_with("string") && !op.contains("not")
        })
        .filter_map(|(_, keys)| keys.as_object())
        .flatten()
        .any(|(key, values)| {
            let pins = key.split_once(':').is_some_and(|(issuer, claim)| {
                issuer.eq_ignore_ascii_case(provider)
                    && claims.iter().any(|c| claim.eq_ignore_ascii_case(c))
            });
            let values = one_or_many(Some(values));
            pins && !values.is_empty()
                && values.into_iter().all(|v| {
                    v.as_str()
                        .map(str::trim)
                        .is_some_and(|v| !v.is_empty() && !v.contains(['*', '?']))
                })
        })
}

/// An `Allow` statement that trusts GitHub Actions' OIDC provider without pinning
/// the token to one GitHub owner (organisation or user).
fn github_actions_open_to_any_repository(doc: &serde_json::Value) -> bool {
    !open_federated(doc, |f, condition| {
        let trusts_github = f.ends_with(&format!("oidc-provider/{GITHUB_OIDC}")) || f == GITHUB_OIDC;
        (trusts_github && !github_owner_pinned(condition)).then(|| GITHUB_OIDC.to_owned())
    })
    .is_empty()
}

/// The claims that name the repository's owner: the subject
/// (`repo:OWNER/REPO:...`), `repository` (`OWNER/REPO`) and `repository_owner`,
/// and the numeric ids GitHub recommends pinning against a name registered
/// again: `repository_id`, `repository_owner_id` and `enterprise_id` (an
/// enterprise's own organisations).
const GITHUB_OWNER_CLAIMS: &[&str] =
    &["sub", "repository", "repository_owner", "repository_id", "repository_owner_id", "enterprise_id"];

/// The condition block pins the token to one owner: some non-negated operator
/// tests an owner claim ([`GITHUB_OWNER_CLAIMS`]) and every value it accepts
/// names a concrete owner. Values of one key are alternatives (any one matching
/// lets the token in), so one open value opens the key; operators and keys are
/// all required, so one pinned key pins the statement. Under a `...Like` operator
/// `*` and `?` match anything, so `repo:*:ref:refs/heads/main`, `repo:*/app:*` or
/// `repo:acme*/app` (an attacker registers `acme-evil`) leave the owner open; an
/// exact operator takes them literally, and only a value of wildcards alone
/// (`*`, `repo:*`, `repo:*:*`) is read as meant to let in anyone.
///
/// Only `sub` is a claim IAM documents for every OIDC provider. A key IAM does
/// not put in the request never matches a plain string test: a trust testing
/// one is pinned, or lets in no one if IAM does not pass that claim (not an
/// opening either way), but the key passes an `IfExists` or `ForAllValues:`
/// test and a `Null` test of `true`: on the other claims those pin nothing.
fn github_owner_pinned(condition: Option<&serde_json::Value>) -> bool {
    owner_tests(condition).any(|(test, keys)| {
        keys.iter().any(|(key, values)| {
            let claim = key
                .split_once(':')
                .filter(|(issuer, _)| issuer.eq_ignore_ascii_case(GITHUB_OIDC))
                .map(|(_, claim)| claim.to_ascii_lowercase());
            let Some(claim) = claim.filter(|c| GITHUB_OWNER_CLAIMS.contains(&c.as_str())) else {
                return false;
            };
            let always_present = claim == "sub";
            let values = one_or_many(Some(values));
            !values.is_empty()
                && values.into_iter().all(|v| match test {
                    OwnerTest::Strings { like, passes_when_absent } => {
                        (always_present || !passes_when_absent)
                            && v.as_str().is_some_and(|v| names_one_owner(&claim, v.trim(), like))
                    }
                    // Every GitHub token carries a subject: requiring it to be
                    // absent lets no token in.
                    OwnerTest::MustBeAbsent => always_present && flag_value(v) == Some(true),
                })
        })
    })
}

/// The operators of a condition block that can pin a claim, each with its keys.
fn owner_tests(
    condition: Option<&serde_json::Value>,
) -> impl Iterator<Item = (OwnerTest, &serde_json::Map<String, serde_json::Value>)> {
    condition
        .and_then(serde_json::Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(operator, keys)| Some((owner_test(operator)?, keys.as_object()?)))
}

/// How a condition operator tests an owner claim.
#[derive(Clone, Copy)]
enum OwnerTest {
    /// A string operator: the claim must match one of the values, as wildcard
    /// patterns when `like`; `passes_when_absent` for the `IfExists` and
    /// `ForAllValues:` forms, which a request without the key satisfies.
    Strings { like: bool, passes_when_absent: bool },
    /// `Null`: with `true` the claim must be absent; with `false` it only has to
    /// exist, which pins nothing.
    MustBeAbsent,
}

/// A condition operator that can pin a claim: the string operators
/// (`StringEquals`, `StringLike`, their `IgnoreCase`, `IfExists` and
/// `ForAnyValue:`/`ForAllValues:` forms) and `Null`. Negated operators and the
/// rest pin nothing.
fn owner_test(operator: &str) -> Option<OwnerTest> {
    let full = operator.to_ascii_lowercase();
    let op = full.rsplit(':').next().unwrap_or(&full);
    if op == "null" {
        return Some(OwnerTest::MustBeAbsent);
    }
    let passes_when_absent = op.ends_with("ifexists") || full.starts_with("forallvalues:");
    (op.starts_with("string") && !op.contains("not"))
        .then(|| OwnerTest::Strings { like: op.contains("like"), passes_when_absent })
}

/// `value` of the owner claim `claim` can only match tokens of one owner.
fn names_one_owner(claim: &str, value: &str, like: bool) -> bool {
    let wildcard = |s: &str| s.contains(['*', '?']);
    if !like {
        return !value.chars().all(|c| matches!(c, '*' | '?' | ':')) && !matches!(value, "repo:*" | "repo:*:*");
    }
    let owner = match (claim, value.strip_prefix("repo:")) {
        ("sub", Some(rest)) => rest,
        // A customised subject names its claims (`repository_owner:acme:...`,
        // `repository:acme/app:...`): a wildcard in the first claim's name or
        // value may stand for any owner (`repo*`, `repository_owner:*`).
        ("sub", None) => {
            let mut parts = value.splitn(3, ':');
            let name = parts.next().unwrap_or_default();
            let first = parts.next().unwrap_or_default();
            let first_owner = first.split('/').next().unwrap_or_default();
            return !(wildcard(name) || wildcard(first_owner) || first_owner.is_empty());
        }
        _ => value,
    };
    // The owner ends at the first `/` (or `:` in a subject); a wildcard before
    // that may stand for any owner.
    let owner = owner.split(['/', ':']).next().unwrap_or(owner);
    !owner.is_empty() && !wildcard(owner)
}

impl Detection for IamRoleTrustPolicyExternalPrincipal {
    fn meta(&self) -> &'static Meta {
        &META
    }

    /// Control Tower's enrolment shape is medium; so is a trust whose every
    /// outside principal is fenced to the deployment's own organisations.
    fn severity_for(&self, rec: &Record<'_>) -> Severity {
        if control_tower_enrolment(rec) || fenced_to_own_organizations(rec) {
            Severity::Medium
        } else {
            META.severity
        }
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !is_event(rec, IAM, &["CreateRole", "UpdateAssumeRolePolicy"])
            || !rec.succeeded()
            || aws_service_or_linked_role(rec)
        {
            return None;
        }
        let doc = trust_document(rec)?;
        let mut foreign = foreign_trusted_principals(&doc, rec.account_id());
        if github_actions_open_to_any_repository(&doc) {
            foreign.push("github-actions:any-repository".to_owned());
        }
        foreign.extend(web_identities_open_to_anyone(&doc));
        foreign.extend(shared_ci_open_to_any_owner(&doc));
        if foreign.is_empty() {
            return None;
        }
        let federated = federated_principals(&doc);
        fire(
            change_evidence(rec, &["roleName"])
                .with("trusted_principals", foreign)
                .with_opt("federated_principals", (!federated.is_empty()).then_some(federated)),
        )
    }
}

/// The trust policy a `CreateRole` (`assumeRolePolicyDocument`) or an
/// `UpdateAssumeRolePolicy` (`policyDocument`) writes; `None` when it does not
/// parse.
fn trust_document(rec: &Record<'_>) -> Option<serde_json::Value> {
    let key = if rec.event_name() == "CreateRole" {
        "assumeRolePolicyDocument"
    } else {
        "policyDocument"
    };
    policy_document_param(rec, key).ok()?
}

/// Whether every statement that lets in an AWS principal outside the account
/// names it (not everyone) and fences it to the organisations the deployment
/// names as its own
/// (`aws:PrincipalOrgID` or `aws:PrincipalOrgPaths`:
/// `organizations::fences_to_own_organizations`), and the trust opens nothing
/// else (no federated principal is judged open). Only an account of ours can
/// then assume the role: lateral movement at worst, medium (eighth session,
/// from a review of false positives: an ops account's StackSet roles fenced to
/// the organisation paged high). No list named, or any statement unfenced,
/// `...IfExists`, a wildcard or a second organisation: high. So is everyone
/// fenced to the organisation (any principal of any member account), and an
/// account named beside the fence that is not yet a member becomes one only
/// by an invitation from the management account.
fn fenced_to_own_organizations(rec: &Record<'_>) -> bool {
    use crate::detections::common::organizations::fences_to_own_organizations;
    let Some(doc) = trust_document(rec) else {
        return false;
    };
    if github_actions_open_to_any_repository(&doc)
        || !web_identities_open_to_anyone(&doc).is_empty()
        || !shared_ci_open_to_any_owner(&doc).is_empty()
    {
        return false;
    }
    let statements = one_or_many(doc.get("Statement"));
    // A fenced grant to everyone stays: every principal of every member
    // account, a sandbox's included, could assume the role (from an evasion
    // review).
    let unfenced: Vec<serde_json::Value> = statements
        .iter()
        .filter(|st| {
            !fences_to_own_organizations(st.get("Condition"))
                || st.get("NotPrincipal").is_some()
                || crate::detections::common::principal_is_anyone(st.get("Principal"))
        })
        .map(|st| (*st).clone())
        .collect();
    let unfenced = serde_json::json!({ "Statement": unfenced });
    !foreign_trusted_principals(&doc, rec.account_id()).is_empty()
        && foreign_trusted_principals(&unfenced, rec.account_id()).is_empty()
}

/// The identity providers an `Allow` statement trusts (`Principal.Federated`),
/// pinned or not, sorted, without repeats: beside a finding's outside accounts
/// they say the trust reaches an identity provider's users too, which no
/// account names (a tuning entry listing the accounts then misses:
/// `tuning::WIDER_REACH_KEYS`; from a review).
fn federated_principals(doc: &serde_json::Value) -> Vec<String> {
    let mut out: Vec<String> = allow_statements(doc)
        .into_iter()
        .flat_map(|st| one_or_many(st.get("Principal").and_then(|p| p.get("Federated"))))
        .filter_map(serde_json::Value::as_str)
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// CloudFormation, as Control Tower's execution role, creating its
/// administrator or read-only execution role trusting the audit account's role of
/// its kind.
fn control_tower_enrolment(rec: &Record<'_>) -> bool {
    let caller = rec
        .session_issuer_arn()
        .and_then(|arn| arn.rsplit('/').next())
        .is_some_and(|name| name == "AWSControlTowerExecution");
    if !caller || rec.invoked_by() != Some("cloudformation.amazonaws.com") {
        return false;
    }
    // Control Tower's pairs only, in one account (from a review of the change:
    // any `aws-controltower-*` role of any account passed): its administrator
    // and read-only execution roles, each trusting the audit account's role of
    // its kind.
    let trusted_role = match rec.request_param_str("roleName").map(str::trim) {
        Some("aws-controltower-AdministratorExecutionRole") => "aws-controltower-AuditAdministratorRole",
        Some("aws-controltower-ReadOnlyExecutionRole") => "aws-controltower-AuditReadOnlyRole",
        _ => return false,
    };
    // `CreateRole` only: an update's document is `policyDocument`.
    let Some(doc) = policy_document_param(rec, "assumeRolePolicyDocument")
        .ok()
        .flatten()
    else {
        return false;
    };
    let foreign = foreign_trusted_principals(&doc, rec.account_id());
    let accounts: std::collections::BTreeSet<&str> = foreign
        .iter()
        .filter_map(|p| crate::detections::common::arn_account(p))
        .collect();
    !foreign.is_empty()
        && accounts.len() == 1
        && foreign.iter().all(|p| {
            p.split_once(":role/")
                .is_some_and(|(_, name)| name == trusted_role)
        })
        && !github_actions_open_to_any_repository(&doc)
        && web_identities_open_to_anyone(&doc).is_empty()
        && shared_ci_open_to_any_owner(&doc).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::iam_testing::*;
    use crate::detections::common::testing::{eval, fires};

    fn update(identity: &str, statement: &str) -> String {
        let doc = format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#);
        let params = serde_json::json!({"roleName": "app-role", "policyDocument": doc});
        iam("UpdateAssumeRolePolicy", identity, &params.to_string())
    }

    fn create(statement: &str) -> String {
        let doc = format!(r#"{{"Version":"2012-10-17","Statement":{statement}}}"#);
        let params = serde_json::json!({"roleName": "new-role", "assumeRolePolicyDocument": doc});
        iam("CreateRole", USER, &params.to_string())
    }

    const EXTERNAL: &str = r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"}"#;

    fn principals(json: &str) -> Vec<String> {
        match eval(&IamRoleTrustPolicyExternalPrincipal, json) {
            Some(Signal::Fire(e)) => serde_json::from_value(e.get("trusted_principals").cloned().unwrap_or_default()).unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn fires_on_a_foreign_account_in_an_update_or_a_new_role() {
        assert_eq!(principals(&update(USER, EXTERNAL)), ["arn:aws:iam::444455556666:root"]);
        assert_eq!(principals(&create(EXTERNAL)), ["arn:aws:iam::444455556666:root"]);
        let bare_id = r#"{"Effect":"Allow","Principal":{"AWS":["444455556666"]},"Action":"sts:AssumeRole"}"#;
        assert_eq!(principals(&update(ROLE, bare_id)), ["444455556666"]);
        for who in [ROOT, FEDERATED, CFN] {
            assert!(fires(&IamRoleTrustPolicyExternalPrincipal, &update(who, EXTERNAL)), "{who}");
        }
    }

    /// From a review of false positives: with the deployment's organisations
    /// named, a trust whose every outside principal is fenced to them is medium;
    /// unnamed, or any statement unfenced, it stays high.
    #[test]
    fn a_trust_fenced_to_our_organization_is_medium() {
        use crate::detections::common::organizations::in_scope;
        let fenced = |principal: &str, condition: &str| {
            format!(r#"{{"Effect":"Allow","Principal":{principal},"Action":"sts:AssumeRole","Condition":{condition}}}"#)
        };
        let ops = r#"{"AWS":"arn:aws:iam::444455556666:role/StackSetAdmin"}"#;
        let org = r#"{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}"#;
        let severity = |statements: &str| {
            let json = update(USER, statements);
            assert!(fires(&IamRoleTrustPolicyExternalPrincipal, &json), "{statements}");
            let rec = crate::event::Record::from_json(&json).unwrap();
            IamRoleTrustPolicyExternalPrincipal.severity_for(&rec)
        };
        let ids: std::sync::Arc<[String]> = vec!["o-a1b2c3d4e5".to_owned()].into();
        let medium = [
            fenced(ops, org),
            fenced(ops, r#"{"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":["o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"]}}"#),
            format!("{},{}", fenced(ops, org), r#"{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}"#),
        ];
        {
            let _scope = in_scope(Some(&ids));
            for st in &medium {
                assert_eq!(severity(st), Severity::Medium, "{st}");
            }
            for st in [
                fenced(ops, r#"{"StringEqualsIfExists":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}"#),
                fenced(ops, r#"{"StringLike":{"aws:PrincipalOrgID":"o-a1b2*"}}"#),
                fenced(ops, r#"{"StringEquals":{"aws:PrincipalOrgID":["o-a1b2c3d4e5","o-zz9y8x7w6v"]}}"#),
                fenced(ops, r#"{"StringNotEquals":{"aws:PrincipalOrgID":"o-zz9y8x7w6v"}}"#),
                fenced(ops, r#"{"StringEquals":{"aws:SourceOrgID":"o-a1b2c3d4e5"}}"#),
                fenced(ops, r#"{"StringEquals":{"aws:PrincipalOrgPaths":"o-a1b2c3d4e5"}}"#),
                format!("{},{EXTERNAL}", fenced(ops, org)),
                // Everyone in the organisation (from an evasion review).
                fenced(r#"{"AWS":"*"}"#, org),
                fenced(r#""*""#, org),
            ] {
                assert_eq!(severity(&st), Severity::High, "{st}");
            }
        }
        // No organisation named: nothing is known to be ours.
        assert_eq!(severity(&medium[0]), Severity::High);
    }

    #[test]
    fn fires_on_anyone() {
        let star = r#"{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}"#;
        assert_eq!(principals(&update(USER, star)), ["*"]);
        let aws_star = r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-exampleorg"}}}"#;
        assert_eq!(principals(&update(USER, aws_star)), ["*"]);
        let not_principal = r#"{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}"#;
        assert_eq!(principals(&update(USER, not_principal)), ["*"]);
    }

    #[test]
    fn github_actions_trusted_for_any_repository_counts() {
        let trust = |condition: &str| {
            format!(r#"{{"Effect":"Allow","Principal":{{"Federated":"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"}},"Action":"sts:AssumeRoleWithWebIdentity"{condition}}}"#)
        };
        for open in [
            trust(""),
            trust(r#","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"}}"#),
            trust(r#","Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":"repo:*"}}"#),
            trust(r#","Condition":{"StringNotEquals":{"token.actions.githubusercontent.com:sub":"repo:evil/x:ref:refs/heads/main"}}"#),
        ] {
            assert_eq!(principals(&update(USER, &open)), vec!["github-actions:any-repository"], "{open}");
        }
        let pinned = trust(r#","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"},"StringLike":{"token.actions.githubusercontent.com:sub":"repo:example-org/deploy:*"}}"#);
        assert!(!fires(&IamRoleTrustPolicyExternalPrincipal, &update(USER, &pinned)));
    }

    /// From an evasion review: GitLab.com, Terraform Cloud and Buildkite tokens go
    /// to any of their users, so only a subject naming the owner pins the role.
    #[test]
    fn shared_ci_issuers_trusted_for_any_owner_count() {
        let trust = |issuer: &str, condition: &str| {
            format!(r#"{{"Effect":"Allow","Principal":{{"Federated":"arn:aws:iam::111122223333:oidc-provider/{issuer}"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{condition}}}"#)
        };
        for (issuer, open, pinned) in [
            (
                "gitlab.com",
                vec![
                    r#"{"StringEquals":{"gitlab.com:aud":"https://gitlab.com"}}"#,
                    r#"{"StringLike":{"gitlab.com:sub":"project_path:*:ref_type:branch:ref:main"}}"#,
                    r#"{"StringLike":{"gitlab.com:sub":["project_path:acme/deploy:*","project_path:*"]}}"#,
                ],
                r#"{"StringLike":{"gitlab.com:sub":"project_path:acme/deploy:ref_type:branch:ref:main"}}"#,
            ),
            (
                "app.terraform.io",
                vec![r#"{"StringEquals":{"app.terraform.io:aud":"aws.workload.identity"}}"#, r#"{"StringLike":{"app.terraform.io:sub":"organization:*:project:*"}}"#],
                r#"{"StringLike":{"app.terraform.io:sub":"organization:acme:project:*:workspace:*:run_phase:*"}}"#,
            ),
            (
                "agent.buildkite.com",
                vec![r#"{"StringEquals":{"agent.buildkite.com:aud":"sts.amazonaws.com"}}"#],
                r#"{"StringLike":{"agent.buildkite.com:sub":"organization:acme:pipeline:deploy:*"}}"#,
            ),
        ] {
            for condition in open {
                assert_eq!(principals(&update(USER, &trust(issuer, condition))), vec![format!("{issuer}:any-owner")], "{condition}");
            }
            assert!(!fires(&IamRoleTrustPolicyExternalPrincipal, &update(USER, &trust(issuer, pinned))), "{pinned}");
        }
        // A self-managed GitLab's issuer is the organisation's own.
        let own = trust("gitlab.example.com", r#"{"StringEquals":{"gitlab.example.com:aud":"https://gitlab.example.com"}}"#);
        assert!(!fires(&IamRoleTrustPolicyExternalPrincipal, &update(USER, &own)));
    }

    /// Under `StringLike` a wildcard in the owner lets in any GitHub owner, and one
    /// open value among pinned ones opens the key; exact operators, other owner
    /// claims and wildcards after the owner keep it pinned.
    #[test]
    fn github_actions_owner_wildcards() {
        let trust = |condition: &str| {
            format!(r#"{{"Effect":"Allow","Principal":{{"Federated":"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{{"StringEquals":{{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"}}{condition}}}}}"#)
        };
        let like = |values: &str| trust(&format!(r#","StringLike":{{"token.actions.githubusercontent.com:sub":{values}}}"#));
        for open in [
            like(r#""repo:*:ref:refs/heads/main""#),
            like(r#""repo:*/shop-webhook:*""#),
            like(r#""repo:example-*/deploy:*""#),
            like(r#""repo:?*""#),
            like(r#"["repo:example-org/shop-api:ref:refs/heads/main","repo:*:ref:refs/heads/main"]"#),
            like(r#"["repo:example-org/shop-web:pull_request","*"]"#),
            like("[]"),
            trust(r#","StringEquals":{"token.actions.githubusercontent.com:sub":"*"}"#).replace(r#""StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"},"#, ""),
            trust(r#","ForAnyValue:StringLike":{"token.actions.githubusercontent.com:repository":"*/deploy"}"#),
            like(r#""repo*""#),
            like(r#""re?o:*/*""#),
            like(r#""repository_owner:*""#),
            like(r#""repository:*/deploy:*""#),
            trust(r#","Null":{"token.actions.githubusercontent.com:sub":"false"}"#),
            trust(r#","StringNotLike":{"token.actions.githubusercontent.com:sub":"repo:evil/*"}"#),
            // A claim IAM may leave out of the request passes these forms.
            trust(r#","StringEqualsIfExists":{"token.actions.githubusercontent.com:repository_owner":"example-org"}"#),
            trust(r#","ForAllValues:StringEquals":{"token.actions.githubusercontent.com:repository_id":["892436512"]}"#),
            trust(r#","Null":{"token.actions.githubusercontent.com:repository_owner_id":"true"}"#),
            trust(r#","StringLike":{"token.actions.githubusercontent.com:repository_owner_id":"*"}"#),
        ] {
            assert_eq!(principals(&update(USER, &open)), vec!["github-actions:any-repository"], "{open}");
        }
        let with_aud = |claims: &str| {
            trust("").replace(r#":aud":"sts.amazonaws.com""#, &format!(r#":aud":"sts.amazonaws.com",{claims}"#))
        };
        for pinned in [
            like(r#"["repo:example-org/shop-webhook:environment:production","repo:example-org/shop-webhook:ref:refs/tags/v*"]"#),
            like(r#""repo:example-org/*""#),
            trust(r#","StringEquals":{"token.actions.githubusercontent.com:sub":"repo:*:ref:refs/heads/main"}"#).replace(r#""StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"},"#, ""),
            trust(r#","StringLike":{"token.actions.githubusercontent.com:sub":"*"}"#)
                .replace(r#":aud":"sts.amazonaws.com""#, r#":aud":"sts.amazonaws.com","token.actions.githubusercontent.com:repository_owner":"example-org""#),
            trust(r#","StringLike":{"token.actions.githubusercontent.com:repository":"example-org/*"}"#),
            like(r#""repository_owner:example-org:repository:deploy""#),
            like(r#""repository:example-org/deploy:environment:prod""#),
            trust(r#","Null":{"token.actions.githubusercontent.com:sub":"true"}"#),
            trust(r#","StringEqualsIgnoreCase":{"token.actions.githubusercontent.com:sub":"repo:Example-Org/deploy:ref:refs/heads/main"}"#),
            trust(r#","ForAllValues:StringLike":{"token.actions.githubusercontent.com:sub":["repo:example-org/*"]}"#),
            // The ids GitHub recommends against a name registered again.
            with_aud(r#""token.actions.githubusercontent.com:repository_id":"892436512""#),
            with_aud(r#""token.actions.githubusercontent.com:repository_owner_id":["1342004","99187"]"#),
            with_aud(r#""token.actions.githubusercontent.com:enterprise_id":"11468""#),
        ] {
            assert!(!fires(&IamRoleTrustPolicyExternalPrincipal, &update(USER, &pinned)), "{pinned}");
        }
    }

    #[test]
    fn ignores_own_account_services_federation_and_denies() {
        let own = r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/Ops"},"Action":"sts:AssumeRole"}"#;
        let service = r#"{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}"#;
        let oidc = r#"{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:sub":"repo:example-org/deploy:ref:refs/heads/main"}}}"#;
        let deny = r#"{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"}"#;
        for st in [own, service, oidc, deny] {
            assert!(!fires(&IamRoleTrustPolicyExternalPrincipal, &update(USER, st)), "{st}");
        }
    }

    #[test]
    fn ignores_failed_calls_and_unreadable_documents() {
        let denied = update(USER, EXTERNAL).replace(r#""requestParameters""#, r#""errorCode":"AccessDenied","requestParameters""#);
        assert!(!fires(&IamRoleTrustPolicyExternalPrincipal, &denied));
        let malformed = iam("UpdateAssumeRolePolicy", USER, r#"{"roleName":"r","policyDocument":"{not json"}"#);
        assert!(!fires(&IamRoleTrustPolicyExternalPrincipal, &malformed));
        assert!(!fires(&IamRoleTrustPolicyExternalPrincipal, &iam("UpdateAssumeRolePolicy", USER, "null")));
        let odd = iam("UpdateAssumeRolePolicy", USER, r#"{"roleName":"r","policyDocument":{"Statement":"x"}}"#);
        assert!(!fires(&IamRoleTrustPolicyExternalPrincipal, &odd));
    }

    #[test]
    fn without_an_account_only_anyone_counts() {
        let no_account = update(USER, EXTERNAL)
            .replace(r#""recipientAccountId":"111122223333","#, "")
            .replace(r#""accountId":"111122223333","#, "");
        assert!(!fires(&IamRoleTrustPolicyExternalPrincipal, &no_account));
    }

    #[test]
    fn reads_percent_encoded_documents() {
        let encoded = iam(
            "UpdateAssumeRolePolicy",
            USER,
            r#"{"roleName":"r","policyDocument":"%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22AWS%22%3A%22444455556666%22%7D%7D%5D%7D"}"#,
        );
        assert!(fires(&IamRoleTrustPolicyExternalPrincipal, &encoded));
    }

    /// From a review: a public web identity provider trusted without pinning the
    /// audience lets in anyone with an account there.
    #[test]
    fn public_web_identities_without_an_audience_count() {
        let trust = |provider: &str, condition: &str| {
            format!(r#"{{"Effect":"Allow","Principal":{{"Federated":"{provider}"}},"Action":"sts:AssumeRoleWithWebIdentity"{condition}}}"#)
        };
        for (provider, condition) in [
            ("accounts.google.com", ""),
            ("accounts.google.com", r#","Condition":{"StringLike":{"accounts.google.com:aud":"*"}}"#),
            ("cognito-identity.amazonaws.com", r#","Condition":{"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"authenticated"}}"#),
            ("graph.facebook.com", r#","Condition":{"StringNotEquals":{"graph.facebook.com:app_id":"1"}}"#),
            ("www.amazon.com", r#","Condition":{"Null":{"www.amazon.com:app_id":"false"}}"#),
        ] {
            let open = trust(provider, condition);
            assert_eq!(principals(&update(USER, &open)), vec![format!("{provider}:any-audience")], "{open}");
        }
        for (provider, condition) in [
            ("accounts.google.com", r#","Condition":{"StringEquals":{"accounts.google.com:aud":"123456789012-abc.apps.googleusercontent.com"}}"#),
            ("cognito-identity.amazonaws.com", r#","Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"us-east-1:0a1b2c3d-1111-2222-3333-444455556666"},"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"authenticated"}}"#),
            ("accounts.google.com", r#","Condition":{"StringEquals":{"accounts.google.com:sub":"110169484474386276334"}}"#),
            ("graph.facebook.com", r#","Condition":{"StringEquals":{"graph.facebook.com:app_id":"123456789012345"}}"#),
            ("www.amazon.com", r#","Condition":{"StringEquals":{"www.amazon.com:app_id":"amzn1.application-oa2-client.EXAMPLE"}}"#),
            ("accounts.google.com", r#","Condition":{"StringEquals":{"accounts.google.com:oaud":"123456789012-abc.apps.googleusercontent.com"}}"#),
        ] {
            let pinned = trust(provider, condition);
            assert!(principals(&update(USER, &pinned)).is_empty(), "{pinned}");
        }
    }

    /// From a review of false positives: AWS's own plumbing in every new account.
    #[test]
    fn service_linked_roles_and_control_tower_enrolment() {
        let d = &IamRoleTrustPolicyExternalPrincipal;
        let create = |identity: &str, role: &str, trusted: &str| {
            let doc = format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{trusted}"}},"Action":"sts:AssumeRole"}}]}}"#);
            let params = format!(r#"{{"roleName":"{role}","assumeRolePolicyDocument":{}}}"#, serde_json::to_string(&doc).unwrap());
            record(IAM, "CreateRole", identity, &params, "")
        };
        let stacksets = r#"{"type":"AssumedRole","principalId":"AROASLREXAMPLE00001:StackSetsOrgMember",
            "arn":"arn:aws:sts::111122223333:assumed-role/AWSServiceRoleForCloudFormationStackSetsOrgMember/StackSetsOrgMember",
            "accountId":"111122223333","invokedBy":"member.org.stacksets.cloudformation.amazonaws.com",
            "sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROASLREXAMPLE00001",
            "arn":"arn:aws:iam::111122223333:role/aws-service-role/member.org.stacksets.cloudformation.amazonaws.com/AWSServiceRoleForCloudFormationStackSetsOrgMember",
            "accountId":"111122223333","userName":"AWSServiceRoleForCloudFormationStackSetsOrgMember"}}}"#;
        let exec = create(stacksets, "stacksets-exec-0f9e8d7c6b5a4938", "arn:aws:iam::999900001111:role/aws-service-role/stacksets.cloudformation.amazonaws.com/AWSServiceRoleForCloudFormationStackSetsOrgAdmin");
        assert!(!fires(d, &exec));
        let control_tower = r#"{"type":"AssumedRole","principalId":"AROACTEXAMPLE00001:1c8d2a4f",
            "arn":"arn:aws:sts::111122223333:assumed-role/AWSControlTowerExecution/1c8d2a4f",
            "accountId":"111122223333","invokedBy":"cloudformation.amazonaws.com",
            "sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROACTEXAMPLE00001",
            "arn":"arn:aws:iam::111122223333:role/AWSControlTowerExecution","accountId":"111122223333","userName":"AWSControlTowerExecution"}}}"#;
        let severity = |json: &str| {
            assert!(fires(d, json), "{json}");
            d.severity_for(&Record::from_json(json).unwrap())
        };
        let enrol = create(control_tower, "aws-controltower-AdministratorExecutionRole", "arn:aws:iam::333344445555:role/aws-controltower-AuditAdministratorRole");
        assert_eq!(severity(&enrol), Severity::Medium);
        let read_only = create(control_tower, "aws-controltower-ReadOnlyExecutionRole", "arn:aws:iam::333344445555:role/aws-controltower-AuditReadOnlyRole");
        assert_eq!(severity(&read_only), Severity::Medium);
        // From a review of the change: another name of the prefix, or a role of
        // the pair's kind trusting another kind, stays high.
        for json in [
            create(control_tower, "aws-controltower-SupportAccessRole", "arn:aws:iam::999988887777:role/aws-controltower-Support"),
            create(control_tower, "aws-controltower-ReadOnlyExecutionRole", "arn:aws:iam::333344445555:role/aws-controltower-AuditAdministratorRole"),
        ] {
            assert_eq!(severity(&json), Severity::High, "{json}");
        }
        // Another name, another principal, or by hand: high.
        for json in [
            create(control_tower, "ops-backdoor", "arn:aws:iam::333344445555:role/aws-controltower-AuditAdministratorRole"),
            create(control_tower, "aws-controltower-AdministratorExecutionRole", "arn:aws:iam::999988887777:root"),
            create(control_tower, "aws-controltower-AdministratorExecutionRole", "999988887777"),
            create(&control_tower.replace(r#","invokedBy":"cloudformation.amazonaws.com""#, ""), "aws-controltower-AdministratorExecutionRole", "arn:aws:iam::333344445555:role/aws-controltower-AuditAdministratorRole"),
            create(ROLE, "aws-controltower-AdministratorExecutionRole", "arn:aws:iam::333344445555:role/aws-controltower-AuditAdministratorRole"),
        ] {
            assert_eq!(severity(&json), Severity::High, "{json}");
        }
        // Account Factory for Terraform's shape stays high (from a review: made
        // medium, an outsider's account trusted by an `AWSControlTowerExecution`
        // of the intruder's own making passed as it).
        let aft = control_tower
            .replace(r#","invokedBy":"cloudformation.amazonaws.com""#, "")
            .replace("1c8d2a4f", "AWSAFT-Session");
        let doc = serde_json::json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":[
            "arn:aws:iam::888877776666:role/AWSAFTAdmin","arn:aws:sts::888877776666:assumed-role/AWSAFTAdmin/AWSAFT-Session"]},"Action":"sts:AssumeRole"}]}).to_string();
        for (name, key) in [("CreateRole", "assumeRolePolicyDocument"), ("UpdateAssumeRolePolicy", "policyDocument")] {
            let params = serde_json::json!({"roleName": "AWSAFTExecution", key: doc}).to_string();
            assert_eq!(severity(&record(IAM, name, &aft, &params, "")), Severity::High, "{name}");
        }
    }
}
