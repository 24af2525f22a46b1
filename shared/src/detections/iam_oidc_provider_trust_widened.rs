//! An IAM OpenID Connect provider made to accept more, successfully: a client id
//! (audience) added (`AddClientIDToOpenIDConnectProvider`) or its certificate
//! thumbprints replaced (`UpdateOpenIDConnectProviderThumbprint`).
//!
//! Decisions: roles that trust the provider accept any token whose audience the
//! provider lists, unless their trust policy pins `aud` itself; adding an
//! application's client id that the attacker controls lets tokens minted for it
//! take those roles. Replacing the thumbprints changes which certificate the
//! provider's host must present, which matters for providers AWS does not verify
//! through its own trusted authorities. Creating a provider is
//! `iam-oidc-provider-created-by-rare-user`; removing a client id narrows the trust
//! and is not watched. Changes AWS services make on their own are left out; a
//! stack's change counts.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_caller_but_stack, succeeded_call};
use crate::event::Record;

pub struct IamOidcProviderTrustWidened;

const IAM: &str = "iam.amazonaws.com";
const CALLS: &[&str] = &["AddClientIDToOpenIDConnectProvider", "UpdateOpenIDConnectProviderThumbprint"];

pub static META: Meta = Meta {
    id: "iam-oidc-provider-trust-widened",
    title: "AWS IAM OIDC Provider Audience Added or Thumbprint Replaced",
    description: "An IAM OpenID Connect provider was given another client id (audience) or new \
                  certificate thumbprints. Roles that trust the provider without pinning the \
                  audience now accept tokens issued to that application: a way to keep access \
                  through an identity provider the attacker can obtain tokens from.",
    severity: Severity::Medium,
    attack: &["T1484.002", "T1098"],
    origins: &[
        "trailwatch: from a red-team gap hunt (OIDC client ids and thumbprints added to an \
         existing provider, persistence through federation)",
    ],
    group: "iam-persistence",
    false_positives: &[
        "A new application or cluster federating through an existing provider; thumbprints \
         updated after the provider rotated its certificate.",
    ],
    next_steps: "Check which application the client id belongs to and which roles trust the \
                 provider without an `aud` condition. If it is not known, remove the client id \
                 (or restore the thumbprints) and review the role sessions taken through the \
                 provider since (AssumeRoleWithWebIdentity).",
    evidence: "api client_id provider thumbprints",
    triggers: &[Trigger::write(IAM, CALLS)],
    window: None,
};

impl Detection for IamOidcProviderTrustWidened {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, IAM, CALLS) || aws_service_caller_but_stack(rec) {
            return None;
        }
        fire(
            Evidence::new()
                .with("api", rec.event_name())
                .with_opt("provider", rec.request_param_str("openIDConnectProviderArn"))
                .with_opt("client_id", rec.request_param_str("clientID"))
                .with_json("thumbprints", rec.request_param("thumbprintList")),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::{eval, fires};

    const PROVIDER: &str = "arn:aws:iam::111122223333:oidc-provider/accounts.google.com";

    #[test]
    fn an_audience_added_or_thumbprints_replaced_fire() {
        let added = format!(r#"{{"openIDConnectProviderArn":"{PROVIDER}","clientID":"1234567890-attacker.apps.googleusercontent.com"}}"#);
        match eval(&IamOidcProviderTrustWidened, &record(IAM, "AddClientIDToOpenIDConnectProvider", ROLE, &added, "")) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("client_id").and_then(|v| v.as_str()), Some("1234567890-attacker.apps.googleusercontent.com")),
            other => panic!("expected a finding, got {other:?}"),
        }
        let thumbs = format!(r#"{{"openIDConnectProviderArn":"{PROVIDER}","thumbprintList":["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"]}}"#);
        assert!(fires(&IamOidcProviderTrustWidened, &record(IAM, "UpdateOpenIDConnectProviderThumbprint", ROLE, &thumbs, "")));
    }

    #[test]
    fn removals_services_and_failures_do_not() {
        let p = format!(r#"{{"openIDConnectProviderArn":"{PROVIDER}","clientID":"x"}}"#);
        assert!(!fires(&IamOidcProviderTrustWidened, &record(IAM, "RemoveClientIDFromOpenIDConnectProvider", ROLE, &p, "")));
        assert!(!fires(&IamOidcProviderTrustWidened, &record(IAM, "AddClientIDToOpenIDConnectProvider", SERVICE, &p, "")));
        assert!(!fires(&IamOidcProviderTrustWidened, &failed(IAM, "AddClientIDToOpenIDConnectProvider", ROLE, &p, "AccessDenied")));
    }
}
