//! A console sign-in token requested (`GetSigninToken`) outside the IAM Identity Center portal (Sigma).

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::with_error;
use crate::event::Record;

pub struct ConsoleGetSigninTokenAbuse;

pub(crate) const SOURCE: &str = "signin.amazonaws.com";
pub(crate) const EVENT: &str = "GetSigninToken";

/// The sign-in token requests, whatever their `readOnly` flag: it is unconfirmed,
/// so the rule is deployed as if it were read-only.
pub(crate) const TRIGGERS: [Trigger; 1] = [Trigger::Events {
    source: SOURCE,
    names: &[EVENT],
    read_only: true,
    data_event: false,
    detail_pattern: None,
}];

/// The user agent of the IAM Identity Center portal's own calls, literally (the
/// unexpanded build placeholder is part of it).
const SSO_PORTAL_AGENT: &str = "Jersey/${project.version}";

pub static META: Meta = Meta {
    id: "console-getsignintoken-abuse",
    title: "AWS Console GetSigninToken Potential Abuse",
    description: "Temporary credentials were exchanged for a console sign-in token through the \
                  federation endpoint by something other than the IAM Identity Center portal. \
                  Tools such as aws_consoler use this to turn stolen access keys into a browser \
                  session, which moves the intruder to the console and its different logging.",
    severity: Severity::Medium,
    attack: &["T1021.007", "T1550.001"],
    origins: &["SigmaHQ rules/cloud/aws/cloudtrail/aws_console_getsignintoken.yml \
             (f8103686-e3e8-46f3-be72-65f7fcb4aa53)"],
    group: "identity-abuse",
    false_positives: &[
        "A custom identity broker or federation proxy that builds console URLs for its users.",
        "Administrators using tooling that opens the console from CLI credentials.",
    ],
    next_steps: "Identify the credentials used (access key, session issuer) and how they were \
                 obtained (a preceding GetFederationToken or AssumeRole), check whether the source \
                 address and user agent are expected for that principal, and review the console \
                 activity that followed; revoke the session if it is not recognised.",
    evidence: "access_key_id error_code error_message session_issuer",
    triggers: &TRIGGERS,
    window: None,
};

/// True when the user agent contains the SSO portal's (case-insensitively, as Sigma's
/// `contains` compares).
pub(crate) fn is_sso_portal_agent(user_agent: &str) -> bool {
    user_agent
        .to_ascii_lowercase()
        .contains(&SSO_PORTAL_AGENT.to_ascii_lowercase())
}

impl Detection for ConsoleGetSigninTokenAbuse {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != SOURCE || rec.event_name() != EVENT {
            return None;
        }
        // A missing user agent is no reason to stay silent.
        if rec.user_agent().is_some_and(is_sso_portal_agent) {
            return None;
        }
        // No outcome filter: failed requests fire too, with their error code.
        let identity = rec.identity();
        let issuer = rec.session_issuer();
        let evidence = Evidence::new()
            .with_opt(
                "access_key_id",
                identity
                    .and_then(|u| u.access_key_id.as_deref())
                    .filter(|s| !s.is_empty()),
            )
            .with_opt(
                "session_issuer",
                issuer
                    .and_then(|i| i.arn.as_deref().or(i.user_name.as_deref()))
                    .filter(|s| !s.is_empty()),
            );
        fire(with_error(evidence, rec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::{eval, fires};

    const TOKEN: &str = r#"{"eventSource":"signin.amazonaws.com","eventName":"GetSigninToken",
        "eventType":"AwsConsoleSignIn",
        "userIdentity":{"type":"FederatedUser","principalId":"111122223333:helper",
            "arn":"arn:aws:sts::111122223333:federated-user/helper","accountId":"111122223333",
            "accessKeyId":"ASIAIOSFODNN7EXAMPLE",
            "sessionContext":{"sessionIssuer":{"type":"IAMUser","principalId":"AIDAEXAMPLE",
                "arn":"arn:aws:iam::111122223333:user/ci-deploy","accountId":"111122223333","userName":"ci-deploy"}}},
        "sourceIPAddress":"203.0.113.200","userAgent":"python-requests/2.31.0",
        "requestParameters":null,"responseElements":{"GetSigninToken":"Success"}}"#;

    const SSO_AGENT: &str = "Jersey/${project.version}";

    #[test]
    fn fires_on_a_token_for_a_federated_user() {
        let Some(Signal::Fire(ev)) = eval(&ConsoleGetSigninTokenAbuse, TOKEN) else {
            panic!("expected a finding");
        };
        assert_eq!(
            ev.get("access_key_id").and_then(|v| v.as_str()),
            Some("ASIAIOSFODNN7EXAMPLE")
        );
        assert_eq!(
            ev.get("session_issuer").and_then(|v| v.as_str()),
            Some("arn:aws:iam::111122223333:user/ci-deploy")
        );
    }

    #[test]
    fn ignores_the_identity_center_portal() {
        let sso = TOKEN.replace("python-requests/2.31.0", SSO_AGENT);
        assert!(!fires(&ConsoleGetSigninTokenAbuse, &sso));
        // `contains`, not equality, and case-insensitive as in Sigma.
        let wrapped = TOKEN.replace(
            "python-requests/2.31.0",
            "portal (jersey/${PROJECT.VERSION}) client",
        );
        assert!(!fires(&ConsoleGetSigninTokenAbuse, &wrapped));
    }

    #[test]
    fn a_real_jersey_version_is_not_the_portal() {
        let jersey = TOKEN.replace("python-requests/2.31.0", "Jersey/2.39.1");
        assert!(fires(&ConsoleGetSigninTokenAbuse, &jersey));
    }

    #[test]
    fn fires_without_a_user_agent() {
        let none = TOKEN.replace(r#""userAgent":"python-requests/2.31.0","#, "");
        assert!(fires(&ConsoleGetSigninTokenAbuse, &none));
        let null = TOKEN.replace(r#""python-requests/2.31.0""#, "null");
        assert!(fires(&ConsoleGetSigninTokenAbuse, &null));
        let empty = TOKEN.replace("python-requests/2.31.0", "");
        assert!(fires(&ConsoleGetSigninTokenAbuse, &empty));
    }

    #[test]
    fn fires_on_failed_requests_with_the_error() {
        let failed = TOKEN.replace(
            r#""responseElements":{"GetSigninToken":"Success"}"#,
            r#""responseElements":null,"errorCode":"AccessDenied","errorMessage":"session expired""#,
        );
        let Some(Signal::Fire(ev)) = eval(&ConsoleGetSigninTokenAbuse, &failed) else {
            panic!("expected a finding");
        };
        assert_eq!(
            ev.get("error_code").and_then(|v| v.as_str()),
            Some("AccessDenied")
        );
    }

    #[test]
    fn fires_for_an_assumed_role_without_identity_details() {
        let role = r#"{"eventSource":"signin.amazonaws.com","eventName":"GetSigninToken",
            "userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/Ops/x"},
            "userAgent":"Python-urllib/3.12"}"#;
        let Some(Signal::Fire(ev)) = eval(&ConsoleGetSigninTokenAbuse, role) else {
            panic!("expected a finding");
        };
        assert!(ev.is_empty());
        let no_identity = r#"{"eventSource":"signin.amazonaws.com","eventName":"GetSigninToken","userIdentity":null}"#;
        assert!(fires(&ConsoleGetSigninTokenAbuse, no_identity));
    }

    #[test]
    fn ignores_other_sign_in_events() {
        for name in ["ConsoleLogin", "CheckMfa", "GetFederationToken"] {
            assert!(
                !fires(
                    &ConsoleGetSigninTokenAbuse,
                    &TOKEN.replace(
                        r#""eventName":"GetSigninToken""#,
                        &format!(r#""eventName":"{name}""#)
                    )
                ),
                "{name}"
            );
        }
        let other = TOKEN.replace(
            r#""eventSource":"signin.amazonaws.com""#,
            r#""eventSource":"sts.amazonaws.com""#,
        );
        assert!(!fires(&ConsoleGetSigninTokenAbuse, &other));
    }
}
