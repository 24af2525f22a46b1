//! EC2 instance-profile credentials turned into a console session: a successful
//! `ConsoleLogin` or `GetSigninToken` by an assumed role whose session name is an
//! instance id (`principalId` contains `:i-`).
//!
//! Decision: the role session of an instance profile is named after the instance
//! (`AROA...:i-0abc...`). Workloads on an instance call APIs; they have no reason to
//! open the console, so a federation sign-in with those credentials means someone took
//! them off the instance (IMDS theft) and is using them by hand.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{is_instance_id, successful_console_login};
use crate::event::Record;

pub struct Ec2InstanceCredentialsConsoleLogin;

const SOURCE: &str = "signin.amazonaws.com";

pub static META: Meta = Meta {
    id: "ec2-instance-credentials-console-login",
    title: "AWS EC2 Instance Credentials Used for a Console Sign-in",
    description: "The temporary credentials of an EC2 instance role were used to obtain a \
                  console sign-in token or to sign in to the console. Software on an instance \
                  never needs the console, so this points to credentials stolen from the \
                  instance metadata service and used interactively from elsewhere.",
    severity: Severity::High,
    attack: &["T1550.001", "T1021.007", "T1078.004"],
    origins: &["Elastic detection-rules lateral_movement_ec2_instance_console_login.toml"],
    group: "identity-abuse",
    false_positives: &[
        "Tooling that deliberately builds console links from an instance role (rare; such \
         roles can be listed as exceptions).",
    ],
    next_steps: "Find the instance named in the session and the source address of the \
                 sign-in; if the address is not the instance's, treat the role's credentials as \
                 stolen: revoke the role's active sessions, look for SSRF or compromise on the \
                 instance, and review what the console session did.",
    evidence: "action instance_session role_arn source_ip",
    triggers: &[
        Trigger::write(SOURCE, &["ConsoleLogin"]),
        Trigger::read_only(SOURCE, &["GetSigninToken"]),
    ],
    window: None,
};

/// The instance id in an instance-profile session's principal id (`AROA...:i-0abc`).
fn instance_session(rec: &Record) -> Option<String> {
    let principal = rec.identity()?.principal_id.as_deref()?;
    let (_, session) = principal.split_once(':')?;
    is_instance_id(session).then(|| session.to_owned())
}

impl Detection for Ec2InstanceCredentialsConsoleLogin {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        let signed_in = match rec.event_name() {
            "ConsoleLogin" => successful_console_login(rec),
            "GetSigninToken" => rec.event_source() == SOURCE && rec.succeeded(),
            _ => false,
        };
        if !signed_in || rec.identity_type() != Some("AssumedRole") {
            return None;
        }
        let instance = instance_session(rec)?;
        fire(
            Evidence::new()
                .with("action", rec.event_name())
                .with("instance_session", instance)
                .with_opt("role_arn", rec.identity().and_then(|u| u.arn.as_deref()))
                .with_opt("source_ip", rec.source_ip()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::{eval, fires};

    const TOKEN: &str = r#"{"eventSource":"signin.amazonaws.com","eventName":"GetSigninToken",
        "eventType":"AwsConsoleSignIn","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.150",
        "userAgent":"python-requests/2.32.3",
        "userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLEWEB:i-0a1b2c3d4e5f67890",
          "arn":"arn:aws:sts::111122223333:assumed-role/web-instance-role/i-0a1b2c3d4e5f67890",
          "accountId":"111122223333","accessKeyId":"ASIAEXAMPLEKEY"},
        "requestParameters":null,"responseElements":{"credentials":{"accessKeyId":"ASIAEXAMPLEKEY"},"GetSigninToken":"Success"}}"#;

    #[test]
    fn a_token_for_instance_credentials_fires() {
        match eval(&Ec2InstanceCredentialsConsoleLogin, TOKEN) {
            Some(Signal::Fire(e)) => assert_eq!(
                e.get("instance_session").and_then(|v| v.as_str()),
                Some("i-0a1b2c3d4e5f67890")
            ),
            other => panic!("expected a finding, got {other:?}"),
        }
        let login = TOKEN.replace("\"GetSigninToken\",", "\"ConsoleLogin\",").replace(
            r#"{"credentials":{"accessKeyId":"ASIAEXAMPLEKEY"},"GetSigninToken":"Success"}"#,
            r#"{"ConsoleLogin":"Success"}"#,
        );
        assert!(fires(&Ec2InstanceCredentialsConsoleLogin, &login));
    }

    #[test]
    fn other_sessions_failures_and_identities_do_not_fire() {
        let person = TOKEN.replace(":i-0a1b2c3d4e5f67890\"", ":alice@example.com\"");
        assert!(!fires(&Ec2InstanceCredentialsConsoleLogin, &person));
        // A person's session merely named like one is not an instance.
        let named = TOKEN.replace("i-0a1b2c3d4e5f67890", "i-am-bob");
        assert_ne!(named, TOKEN);
        assert!(!fires(&Ec2InstanceCredentialsConsoleLogin, &named));
        let older = TOKEN.replace("i-0a1b2c3d4e5f67890", "i-0a1b2c3d");
        assert!(fires(&Ec2InstanceCredentialsConsoleLogin, &older));
        // `:i-` elsewhere than at the start of the session name is not an instance.
        let lookalike = TOKEN.replace(":i-0a1b2c3d4e5f67890\"", ":ci-runner-7\"");
        assert!(!fires(&Ec2InstanceCredentialsConsoleLogin, &lookalike));
        let denied = TOKEN.replace(
            "\"requestParameters\"",
            r#""errorCode":"AccessDenied","requestParameters""#,
        );
        assert!(!fires(&Ec2InstanceCredentialsConsoleLogin, &denied));
        let user = TOKEN.replace(r#""type":"AssumedRole""#, r#""type":"IAMUser""#);
        assert!(!fires(&Ec2InstanceCredentialsConsoleLogin, &user));
        let no_principal = TOKEN.replace(r#""principalId":"AROAEXAMPLEWEB:i-0a1b2c3d4e5f67890","#, "");
        assert!(!fires(&Ec2InstanceCredentialsConsoleLogin, &no_principal));
        let other = TOKEN.replace("signin.amazonaws.com", "sts.amazonaws.com");
        assert!(!fires(&Ec2InstanceCredentialsConsoleLogin, &other));
    }
}
