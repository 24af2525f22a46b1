//! A role assumed with a GitHub Actions token (`AssumeRoleWithWebIdentity` through
//! `token.actions.githubusercontent.com`, successful) by a GitHub owner
//! (organisation or user) that had not assumed that role in the last ten days
//! (first-seen term: account, role and owner).
//!
//! Decisions: `iam-role-trust-policy-external-principal` reports a trust that lets
//! in any repository when it is written; this one reports its use, which also
//! covers trusts written before trailwatch watched, or opened by a way the trust
//! check does not read (a `Deny` removed, a customised subject format). An
//! intruder's workflow runs in their own organisation, so the owner is what
//! changes; the repository alone would fire on every new repository of the
//! organisation that owns the role. The owner is read from the token's subject
//! (`responseElements.subjectFromWebIdentityToken`, else `userIdentity.userName`):
//! the default `repo:OWNER/REPO:...`, or a customised subject's
//! `repository_owner`, `repository_owner_id`, `repository` or `job_workflow_ref`
//! claim, wherever it stands. Letter case is ignored (GitHub owner names are). The
//! first-seen window is ten days: a role a workflow assumes less often than that
//! fires again on its next use, once per owner.
//!
//! From a review: the other CI services whose token issuer all their customers
//! share are the same door, and count the same way, the owner read from their
//! default subjects: GitLab.com (`project_path:GROUP/PROJECT:...`, the top group;
//! or `namespace_path`), Terraform Cloud (`app.terraform.io`,
//! `organization:ORG:...`) and Buildkite (`agent.buildkite.com`,
//! `organization:ORG:...`). Their term carries the issuer (an owner of one service
//! is not one of another). Issuers of one customer's own (self-managed GitLab,
//! CircleCI's and Bitbucket's per-organisation issuers) cannot be used by another's
//! workflows, and are left out.
//!
//! From a third evasion review: a subject that names no owner (a customised
//! template of `environment:production` alone) cannot tell one organisation's
//! workflows from another's, and any organisation can set its own template to
//! mint the same subject: such a trust lets in everyone who writes that one
//! line. Taken whole as the owner, the intruder's token was the known term and
//! never fired. Now every subject without an owner counts as one term per role
//! (`owner unknown`): the first use in ten days is reported, with the subject,
//! so that the trust is fixed; each later one within the ten days is not. A
//! stated limit: a role used daily through such a trust is reported once, when
//! first seen (or after the learning span), and an intruder's use among the
//! daily ones is not told apart: the record holds nothing that could.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, WindowSpec};
use crate::detections::common::is_event;
use crate::event::Record;

pub struct GitHubActionsRoleAssumedByNewOwner;

const STS: &str = "sts.amazonaws.com";
const NAMES: &[&str] = &["AssumeRoleWithWebIdentity"];
const GITHUB_OIDC: &str = "token.actions.githubusercontent.com";
/// The other shared issuers, and the subject claim that names the owner.
const OTHER_CI: &[(&str, &str)] = &[
    ("gitlab.com", "project_path"),
    ("app.terraform.io", "organization"),
    ("agent.buildkite.com", "organization"),
];

pub static META: Meta = Meta {
    id: "github-actions-role-assumed-by-new-owner",
    title: "AWS Role Assumed by a New GitHub Actions (or Other CI) Owner",
    description: "A GitHub Actions workflow of a GitHub organisation or user that had not \
                  used this role in ten days assumed it through GitHub's OIDC provider. A \
                  trust that does not pin the repository owner lets any GitHub workflow in: \
                  an intruder's own repository taking the role looks exactly like this.",
    severity: Severity::Medium,
    attack: &["T1078.004", "T1550.001"],
    origins: &[
        "trailwatch: based on public research on GitHub Actions OIDC trusts that do \
         not pin the repository, and the AssumeRoleWithWebIdentity record of a \
         workflow's token",
    ],
    group: "identity-abuse",
    false_positives: &[
        "A repository moved to another organisation, or a new organisation given \
         access on purpose (fires once per owner and role).",
        "Roles used less often than every ten days (fires again on the next use).",
    ],
    next_steps: "Check the owner and repository in the evidence against your GitHub \
                 organisations. If the owner is not yours, pin the role's trust to your \
                 owner at once (token.actions.githubusercontent.com:sub), revoke the \
                 role's sessions, and review what the session did.",
    evidence: "ci_owner ci_provider github_owner role source_ip subject user_agent",
    triggers: &[Trigger::read_only(STS, NAMES)],
    window: Some(WindowSpec::FirstSeen { days: 10 }),
};

/// The GitHub owner a token subject names, in lower case: `OWNER` of the default
/// `repo:OWNER/REPO:...`; in a customised subject (claims joined as
/// `claim:value`, the context claim first in some), the first of
/// `repository_owner`, `repository_owner_id` (as `id:N`), `repo`, `repository` or
/// `job_workflow_ref` (`OWNER/...`); `None` when it names none of them.
fn owner_of(subject: &str) -> Option<String> {
    let subject = subject.trim();
    if let Some(rest) = subject.strip_prefix("repo:") {
        return Some(rest.split(['/', ':']).next().unwrap_or(rest).to_ascii_lowercase());
    }
    let value_of = |claim: &str| claim_value(subject, claim);
    let before = |value: &str, stop: &[char]| value.split(stop).next().unwrap_or(value).to_owned();
    let owner = value_of("repository_owner")
        .map(|v| before(v, &[':']))
        .or_else(|| value_of("repository_owner_id").map(|v| format!("id:{}", before(v, &[':']))))
        .or_else(|| value_of("repo").map(|v| before(v, &['/', ':'])))
        .or_else(|| value_of("repository").map(|v| before(v, &['/', ':'])))
        .or_else(|| value_of("job_workflow_ref").map(|v| before(v, &['/', ':'])))?;
    Some(owner.to_ascii_lowercase())
}

/// The term part for a subject that names no owner: one per role.
const OWNER_UNKNOWN: &str = "owner unknown";

/// The owner another CI service's subject names, in lower case: the value of
/// `claim` (a GitLab `project_path`'s top group, or `namespace_path`'s; an
/// `organization`) where it opens the subject or follows a `:`; `None` when
/// it names none.
fn ci_owner_of(subject: &str, claim: &str) -> Option<String> {
    let subject = subject.trim();
    let value_of = |claim: &str| {
        let value = claim_value(subject, claim)?;
        Some(value.split(['/', ':']).next().unwrap_or(value))
    };
    value_of(claim)
        .or_else(|| (claim == "project_path").then(|| value_of("namespace_path")).flatten())
        .map(str::to_ascii_lowercase)
}

/// What follows `claim:` in a token subject, where the claim opens the subject
/// or follows a `:` (claims are joined as `claim:value`).
fn claim_value<'s>(subject: &'s str, claim: &str) -> Option<&'s str> {
    let tag = format!("{claim}:");
    let at = subject
        .match_indices(&tag)
        .map(|(i, _)| i)
        .find(|&i| i == 0 || subject[..i].ends_with(':'))?;
    Some(&subject[at + tag.len()..])
}

/// `responseElements.<key>` as non-blank text.
fn response_text<'r>(rec: &'r Record<'_>, key: &str) -> Option<&'r str> {
    rec.response_element(key)
        .and_then(|v| v.as_str())
        .filter(|s| !s.trim().is_empty())
}

impl Detection for GitHubActionsRoleAssumedByNewOwner {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !is_event(rec, STS, NAMES) || !rec.succeeded() {
            return None;
        }
        let provider = response_text(rec, "provider")
            .or_else(|| rec.identity().and_then(|u| u.principal_id.as_deref()))?;
        let subject = response_text(rec, "subjectFromWebIdentityToken")
            .or_else(|| rec.identity().and_then(|u| u.user_name.as_deref()))?;
        let role = rec.request_param_str("roleArn")?;
        let account = rec.account_id().unwrap_or("unknown");
        let evidence = Evidence::new()
            .with("role", role)
            .with("subject", subject)
            .with_opt("source_ip", rec.source_ip())
            .with_opt("user_agent", rec.user_agent());
        if provider.contains(GITHUB_OIDC) {
            let owner = owner_of(subject);
            let term = owner.as_deref().unwrap_or(OWNER_UNKNOWN);
            return Some(Signal::FirstSeen {
                term: format!("{account}|{role}|{term}"),
                evidence: evidence.with("github_owner", term),
            });
        }
        // The provider ARN ends with the issuer's host (`oidc-provider/gitlab.com`).
        let (issuer, claim) = OTHER_CI
            .iter()
            .find(|(host, _)| provider.ends_with(&format!("oidc-provider/{host}")) || provider == *host)?;
        let owner = ci_owner_of(subject, claim);
        let owner = owner.as_deref().unwrap_or(OWNER_UNKNOWN);
        Some(Signal::FirstSeen {
            term: format!("{account}|{role}|{issuer}:{owner}"),
            evidence: evidence.with("ci_provider", *issuer).with("ci_owner", owner),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::iam_testing::first_seen_term;

    fn assume(subject: &str, provider: &str, extra: &str) -> String {
        format!(
            r#"{{"eventSource":"sts.amazonaws.com","eventName":"AssumeRoleWithWebIdentity","awsRegion":"us-east-1",
            "eventTime":"2026-06-02T10:00:01Z","recipientAccountId":"111122223333","sourceIPAddress":"203.0.113.61",
            "userAgent":"configure-aws-credentials-for-github-actions",{extra}
            "userIdentity":{{"type":"WebIdentityUser","principalId":"{provider}:sts.amazonaws.com:{subject}",
              "userName":"{subject}","identityProvider":"{provider}"}},
            "requestParameters":{{"roleArn":"arn:aws:iam::111122223333:role/gha-deploy","roleSessionName":"GitHubActions"}},
            "responseElements":{{"subjectFromWebIdentityToken":"{subject}","provider":"{provider}","audience":"sts.amazonaws.com"}}}}"#
        )
    }

    const GITHUB: &str = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com";

    #[test]
    fn the_term_is_the_role_and_the_owner() {
        let term = |subject: &str| first_seen_term(&GitHubActionsRoleAssumedByNewOwner, &assume(subject, GITHUB, ""));
        let ours = "111122223333|arn:aws:iam::111122223333:role/gha-deploy|example-org";
        assert_eq!(term("repo:example-org/shop-api:ref:refs/heads/main").as_deref(), Some(ours));
        assert_eq!(term("repo:Example-Org/other-repo:environment:production").as_deref(), Some(ours));
        assert_eq!(term("repository_owner:example-org:repository:shop-api:ref:refs/heads/main").as_deref(), Some(ours));
        assert_eq!(term("repository:example-org/shop-api:environment:prod").as_deref(), Some(ours));
        assert_eq!(
            term("repo:attacker-gh/shop-api:ref:refs/heads/main").as_deref(),
            Some("111122223333|arn:aws:iam::111122223333:role/gha-deploy|attacker-gh")
        );
        assert_eq!(
            term("job_workflow_ref:example-org/automation/.github/workflows/deploy.yml@refs/heads/main").as_deref(),
            Some(ours)
        );
        assert_eq!(term("context:ref:refs/heads/main:repository_owner:Example-Org").as_deref(), Some(ours));
        assert_eq!(term("environment:production:repo:example-org/api").as_deref(), Some(ours));
        assert_eq!(
            term("repository_owner_id:1234567:repository_id:7654321").as_deref(),
            Some("111122223333|arn:aws:iam::111122223333:role/gha-deploy|id:1234567")
        );
        // From a third evasion review: no owner claim, one term per role,
        // whatever the subject (any organisation can mint it).
        let unknown = Some("111122223333|arn:aws:iam::111122223333:role/gha-deploy|owner unknown");
        assert_eq!(term("environment:prod").as_deref(), unknown);
        assert_eq!(term("environment:staging").as_deref(), unknown);
    }

    #[test]
    fn the_subject_falls_back_to_the_user_name() {
        let rec = assume("repo:example-org/shop-api:ref:refs/heads/main", GITHUB, "")
            .replace(r#""subjectFromWebIdentityToken":"repo:example-org/shop-api:ref:refs/heads/main","#, "");
        assert!(first_seen_term(&GitHubActionsRoleAssumedByNewOwner, &rec).is_some_and(|t| t.ends_with("|example-org")));
    }

    #[test]
    fn other_providers_failures_and_calls_are_left_out() {
        let subject = "repo:example-org/shop-api:ref:refs/heads/main";
        // A provider of one customer's own (Google's, a company IdP): left out.
        let google = "accounts.google.com";
        assert_eq!(first_seen_term(&GitHubActionsRoleAssumedByNewOwner, &assume(subject, google, "")), None);
        let denied = assume(subject, GITHUB, r#""errorCode":"AccessDenied","errorMessage":"Not authorized","#);
        assert_eq!(first_seen_term(&GitHubActionsRoleAssumedByNewOwner, &denied), None);
        let other = assume(subject, GITHUB, "").replace("AssumeRoleWithWebIdentity", "AssumeRoleWithSAML");
        assert_eq!(first_seen_term(&GitHubActionsRoleAssumedByNewOwner, &other), None);
        let no_role = assume(subject, GITHUB, "").replace(r#""roleArn":"arn:aws:iam::111122223333:role/gha-deploy","#, "");
        assert_eq!(first_seen_term(&GitHubActionsRoleAssumedByNewOwner, &no_role), None);
    }

    /// From a review: GitLab.com, Terraform Cloud and Buildkite share their issuers
    /// with all their customers too.
    #[test]
    fn other_shared_ci_issuers_count_by_their_owner() {
        let gitlab = "arn:aws:iam::111122223333:oidc-provider/gitlab.com";
        let ours = assume("project_path:example-group/shop-api:ref_type:branch:ref:main", gitlab, "");
        let theirs = assume("project_path:attacker-group/x:ref_type:branch:ref:main", gitlab, "");
        let term = |json: &str| first_seen_term(&GitHubActionsRoleAssumedByNewOwner, json).unwrap();
        assert!(term(&ours).ends_with("|gitlab.com:example-group"), "{}", term(&ours));
        assert_ne!(term(&ours), term(&theirs));
        // Another project of the same group is the same owner.
        let sibling = assume("project_path:example-group/billing:ref_type:branch:ref:main", gitlab, "");
        assert_eq!(term(&ours), term(&sibling));
        let tfc = "arn:aws:iam::111122223333:oidc-provider/app.terraform.io";
        let run = assume("organization:Example-Org:project:Default Project:workspace:prod:run_phase:apply", tfc, "");
        assert!(term(&run).ends_with("|app.terraform.io:example-org"), "{}", term(&run));
        // A self-managed GitLab is the customer's own issuer.
        let own = assume("project_path:example-group/shop-api:ref_type:branch:ref:main", "arn:aws:iam::111122223333:oidc-provider/gitlab.example.com", "");
        assert_eq!(first_seen_term(&GitHubActionsRoleAssumedByNewOwner, &own), None);
    }
}
