//! A Cognito identity pool that trusts a public identity provider's app the pool
//! has not trusted in the last 90 days (first-seen term: account, pool and the
//! set of login providers): an identity pool created or updated
//! (`CreateIdentityPool`, `UpdateIdentityPool`) whose `supportedLoginProviders`
//! name Google, Facebook, Login with Amazon or Sign in with Apple with an app id,
//! or whose `openIdConnectProviderARNs` name an OpenID Connect provider.
//!
//! Decisions: from a third evasion review. A pool gives its authenticated role,
//! usually stronger than the guest role `cognito-identity-pool-guest-access`
//! watches, to whoever signs in through a provider it trusts. Anyone can sign in
//! to Google or Facebook: the app id is what makes the provider this
//! organisation's. An intruder who adds a provider entry with an app of their own
//! (or an OIDC provider they created) gets the authenticated role from any
//! account they sign in with. `UpdateIdentityPool` restates the whole pool, and
//! the record does not say what it trusted before, so the term is the set of
//! providers and apps the request names (sorted, in lower case): a restatement
//! of the same set is known, an added or changed app is new (and so is a set
//! with one removed, once). A pool seen for the first time reports the set it
//! trusts. Pools trusting only user pools (`cognitoIdentityProviders`) or
//! developer identities are not judged here: those identities are the
//! organisation's own. Changes AWS services make on their own are left out; a
//! stack's count.

use serde_json::Value;

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, WindowSpec};
use crate::detections::common::{aws_service_caller_but_stack, one_or_many, request_or_response, succeeded_call};
use crate::event::Record;

pub struct CognitoIdentityPoolPublicLoginProvider;

const SOURCE: &str = "cognito-identity.amazonaws.com";
const NAMES: &[&str] = &["CreateIdentityPool", "UpdateIdentityPool"];

pub static META: Meta = Meta {
    id: "cognito-identity-pool-public-login-provider",
    title: "AWS Cognito Identity Pool Trusts a New Public Identity Provider App",
    description: "A Cognito identity pool now trusts a public identity provider (Google, \
                  Facebook, Login with Amazon, Sign in with Apple) for an app, or an OpenID \
                  Connect provider, it had not trusted lately. Whoever controls that app or \
                  provider can sign in with any account of theirs and receive the pool's \
                  authenticated role.",
    severity: Severity::Medium,
    attack: &["T1098", "T1556.007"],
    origins: &[
        "trailwatch: from a third evasion review (a pool's login providers as a way in, \
         beside its guest access)",
    ],
    group: "identity-abuse",
    false_positives: &[
        "An app team adding sign-in with Google or Apple to its app, or moving to a new app \
         id: the set of providers changes once.",
        "The first update of each pool after trailwatch starts watching: its set is new.",
    ],
    next_steps: "Check that each app id and OIDC provider in the evidence is the \
                 organisation's own (the Google, Facebook, Amazon or Apple developer console; \
                 IAM's identity providers). If one is not, remove it from the pool, review \
                 the authenticated role's sessions since (GetCredentialsForIdentity), and \
                 how the caller got the right to change the pool.",
    evidence: "api identity_pool login_providers source_ip user_agent",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: Some(WindowSpec::FirstSeen { days: 90 }),
};

/// The public providers and apps (`provider=app`) and OIDC providers the pool
/// trusts, trimmed, in lower case, sorted, each once.
fn trusted(rec: &Record<'_>) -> Vec<String> {
    let mut out: Vec<String> = request_or_response(rec, "supportedLoginProviders")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(provider, app)| {
            let app = app.as_str()?.trim();
            (!app.is_empty()).then(|| format!("{}={app}", provider.trim()).to_ascii_lowercase())
        })
        .chain(
            one_or_many(request_or_response(rec, "openIdConnectProviderARNs"))
                .into_iter()
                .filter_map(Value::as_str)
                .map(|arn| arn.trim().to_ascii_lowercase())
                .filter(|arn| !arn.is_empty()),
        )
        .collect();
    out.sort();
    out.dedup();
    out
}

impl Detection for CognitoIdentityPoolPublicLoginProvider {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, SOURCE, NAMES) || aws_service_caller_but_stack(rec) {
            return None;
        }
        let providers = trusted(rec);
        if providers.is_empty() {
            return None;
        }
        let pool = request_or_response(rec, "identityPoolId")
            .or_else(|| request_or_response(rec, "identityPoolName"))
            .and_then(Value::as_str)?
            .trim();
        let account = rec.account_id().unwrap_or("unknown");
        Some(Signal::FirstSeen {
            term: format!("{account}|{pool}|{}", providers.join(",")),
            evidence: Evidence::new()
                .with("api", rec.event_name())
                .with("identity_pool", pool)
                .with("login_providers", providers)
                .with_opt("source_ip", rec.source_ip())
                .with_opt("user_agent", rec.user_agent()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::iam_testing::first_seen_term;

    const POOL: &str = "us-east-1:1cf667a2-49a6-454b-9e45-23199aaaaaaa";

    fn update(providers: &str) -> String {
        record(SOURCE, "UpdateIdentityPool", ROLE, &format!(
            r#"{{"identityPoolId":"{POOL}","identityPoolName":"storefront","allowUnauthenticatedIdentities":false,{providers}}}"#
        ), "")
    }

    #[test]
    fn the_term_is_the_pool_and_its_providers() {
        let term = |providers: &str| first_seen_term(&CognitoIdentityPoolPublicLoginProvider, &update(providers));
        let ours = format!("111122223333|{POOL}|accounts.google.com=123-ours.apps.googleusercontent.com");
        assert_eq!(
            term(r#""supportedLoginProviders":{"accounts.google.com":"123-ours.apps.googleusercontent.com"}"#).as_deref(),
            Some(ours.as_str())
        );
        // The same set restated in another case and order is the same term.
        let two = term(r#""supportedLoginProviders":{"graph.facebook.com":"7346241598935552","Accounts.Google.com":"123-OURS.apps.googleusercontent.com "}"#);
        assert_eq!(
            two.as_deref(),
            Some(format!("111122223333|{POOL}|accounts.google.com=123-ours.apps.googleusercontent.com,graph.facebook.com=7346241598935552").as_str())
        );
        let oidc = term(r#""openIdConnectProviderARNs":["arn:aws:iam::111122223333:oidc-provider/login.example.net"]"#);
        assert!(oidc.is_some_and(|t| t.ends_with("|arn:aws:iam::111122223333:oidc-provider/login.example.net")));
    }

    #[test]
    fn pools_without_public_providers_and_refusals_are_not_judged() {
        let term = |json: &str| first_seen_term(&CognitoIdentityPoolPublicLoginProvider, json);
        assert_eq!(term(&update(r#""cognitoIdentityProviders":[{"providerName":"cognito-idp.us-east-1.amazonaws.com/us-east-1_Ab12","clientId":"a1b2"}]"#)), None);
        assert_eq!(term(&update(r#""supportedLoginProviders":{}"#)), None);
        assert_eq!(term(&update(r#""supportedLoginProviders":{"accounts.google.com":""}"#)), None);
        let refused = failed(SOURCE, "UpdateIdentityPool", ROLE, &format!(
            r#"{{"identityPoolId":"{POOL}","supportedLoginProviders":{{"accounts.google.com":"999-theirs"}}}}"#), "NotAuthorizedException");
        assert_eq!(term(&refused), None);
        let by_service = record(SOURCE, "UpdateIdentityPool", SERVICE, &format!(
            r#"{{"identityPoolId":"{POOL}","supportedLoginProviders":{{"accounts.google.com":"999-theirs"}}}}"#), "");
        assert_eq!(term(&by_service), None);
    }
}
