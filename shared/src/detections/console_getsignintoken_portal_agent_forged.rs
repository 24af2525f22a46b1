//! A console sign-in token requested (`GetSigninToken`) with the IAM Identity Center
//! portal's user agent by a caller that is not an Identity Center session.
//!
//! `console-getsignintoken-abuse` follows its Sigma origin and leaves out every
//! request whose agent is the portal's (`Jersey/${project.version}`). The agent is
//! the caller's to write: a tool turning stolen keys into a console session sends
//! that string and is not reported there. The portal itself only ever signs in with
//! the roles Identity Center makes for permission sets (`AWSReservedSSO_*`), so the
//! portal's agent on any other caller is a disguise, and it is reported here,
//! refused requests included (with their error). A record with no identity at all
//! cannot be told apart and is left to the other detection's rule. Known limit: a
//! role of one's own named `AWSReservedSSO_...` passes for Identity Center's (some
//! records write its ARN without the `aws-reserved/sso.amazonaws.com/` path, so the
//! name is what is left to go by); creating one takes `iam:CreateRole`, which the
//! IAM detections watch.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, fire};
use crate::detections::common::{identity_center_session, is_event, with_error};
use crate::detections::console_getsignintoken_abuse::{EVENT, SOURCE, TRIGGERS, is_sso_portal_agent};
use crate::event::Record;

pub struct ConsoleGetSigninTokenPortalAgentForged;

pub static META: Meta = Meta {
    id: "console-getsignintoken-portal-agent-forged",
    title: "AWS Console Sign-in Token Requested with a Forged Identity Center Agent",
    description: "A console sign-in token was requested through the federation endpoint with \
                  the IAM Identity Center portal's user agent, by credentials that are not an \
                  Identity Center session. The portal signs in only with the roles Identity \
                  Center makes, so the agent was written to look like it: a tool turning stolen \
                  keys into a console session while hiding from the usual GetSigninToken rule.",
    severity: Severity::High,
    attack: &["T1021.007", "T1550.001", "T1036"],
    origins: &["trailwatch: the evasion left open by the user-agent exception of \
              SigmaHQ aws_console_getsignintoken.yml"],
    group: "identity-abuse",
    false_positives: &["A custom identity broker that copies the portal's agent into its own requests."],
    next_steps: "Treat the credentials as stolen: identify them (access key, session issuer), \
                 revoke the sessions, rotate the keys, and review the console activity that \
                 followed from the same address.",
    evidence: "access_key_id error_code error_message identity_type session_issuer user_agent",
    triggers: &TRIGGERS,
    window: None,
};

impl Detection for ConsoleGetSigninTokenPortalAgentForged {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !is_event(rec, SOURCE, &[EVENT]) {
            return None;
        }
        let agent = rec.user_agent().filter(|a| is_sso_portal_agent(a))?;
        let identity = rec.identity()?;
        if identity_center_session(rec) {
            return None;
        }
        let evidence = Evidence::new()
            .with_opt("identity_type", identity.kind.as_deref())
            .with_opt("access_key_id", identity.access_key_id.as_deref().filter(|s| !s.is_empty()))
            .with_opt("session_issuer", rec.session_issuer_arn())
            .with("user_agent", agent);
        fire(with_error(evidence, rec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::{eval, fires};

    fn token(identity: &str, agent: &str) -> String {
        format!(
            r#"{{"eventSource":"signin.amazonaws.com","eventName":"GetSigninToken","eventType":"AwsConsoleSignIn",
            "userIdentity":{identity},"sourceIPAddress":"198.51.100.23","userAgent":"{agent}",
            "requestParameters":null,"responseElements":{{"GetSigninToken":"Success"}}}}"#
        )
    }

    const PORTAL: &str = "Jersey/${project.version} (HttpUrlConnection 17.0.10)";
    const ROLE: &str = r#"{"type":"AssumedRole","principalId":"AROAEXAMPLEDEVOPS:attacker",
        "arn":"arn:aws:sts::123456789012:assumed-role/DevOps/attacker","accountId":"123456789012",
        "accessKeyId":"ASIAEXAMPLEDEVOPS001","sessionContext":{"sessionIssuer":{"type":"Role",
        "arn":"arn:aws:iam::123456789012:role/DevOps","userName":"DevOps"}}}"#;
    const SSO: &str = r#"{"type":"AssumedRole","principalId":"AROAEXAMPLESSO:alice@example.com",
        "arn":"arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice@example.com",
        "accountId":"123456789012","accessKeyId":"ASIAEXAMPLESSO000001","sessionContext":{"sessionIssuer":{"type":"Role",
        "arn":"arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef",
        "userName":"AWSReservedSSO_Admin_0123456789abcdef"}}}"#;

    #[test]
    fn the_portal_agent_on_another_caller_fires() {
        match eval(&ConsoleGetSigninTokenPortalAgentForged, &token(ROLE, PORTAL)) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("session_issuer").and_then(|v| v.as_str()), Some("arn:aws:iam::123456789012:role/DevOps"));
                assert_eq!(e.get("user_agent").and_then(|v| v.as_str()), Some(PORTAL));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let federated = r#"{"type":"FederatedUser","principalId":"123456789012:helper",
            "arn":"arn:aws:sts::123456789012:federated-user/helper","accountId":"123456789012"}"#;
        assert!(fires(&ConsoleGetSigninTokenPortalAgentForged, &token(federated, "jersey/${PROJECT.VERSION}")));
    }

    #[test]
    fn the_portal_itself_and_other_agents_are_left_out() {
        assert!(!fires(&ConsoleGetSigninTokenPortalAgentForged, &token(SSO, PORTAL)));
        // Records that write the issuer's ARN without its path: the name decides.
        let pathless = SSO.replace("role/aws-reserved/sso.amazonaws.com/eu-west-1/", "role/");
        assert!(!fires(&ConsoleGetSigninTokenPortalAgentForged, &token(&pathless, PORTAL)));
        // Without an issuer, the role in the session's ARN decides.
        let bare = r#"{"type":"AssumedRole","arn":"arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice@example.com","accountId":"123456789012"}"#;
        assert!(!fires(&ConsoleGetSigninTokenPortalAgentForged, &token(bare, PORTAL)));
        // Another agent is console-getsignintoken-abuse's to report.
        assert!(!fires(&ConsoleGetSigninTokenPortalAgentForged, &token(ROLE, "python-requests/2.31.0")));
        let no_identity = token(ROLE, PORTAL).replace(ROLE, "null");
        assert!(!fires(&ConsoleGetSigninTokenPortalAgentForged, &no_identity));
    }
}
