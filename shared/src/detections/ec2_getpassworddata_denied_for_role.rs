//! An assumed role denied `GetPasswordData` (the Windows administrator password of an
//! instance) for the first time in seven days.
//!
//! Decisions: the history is kept per account and role (the session issuer), not per
//! session: SDK and instance sessions get a new name every time. `Client.` prefixed
//! and bare `UnauthorizedOperation` codes both count. One finding per role and week,
//! however many instances it tried; `getpassworddata-burst` covers the volume.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, WindowSpec};
use crate::detections::common::stable_principal;
use crate::event::{Record, actor_display};

pub struct Ec2GetPasswordDataDeniedForRole;

pub static META: Meta = Meta {
    id: "ec2-getpassworddata-denied-for-role",
    title: "AWS EC2 Unauthorized Admin Credential Fetch via Assumed Role",
    description: "A role that has not done so in the last seven days was refused the encrypted \
                  administrator password of an EC2 Windows instance. Workloads that need \
                  instance passwords are granted them; a role that asks without permission is \
                  usually a stolen session testing what it can harvest.",
    severity: Severity::Medium,
    attack: &["T1552", "T1078.004"],
    origins: &["Elastic credential_access_aws_getpassword_for_ec2_instance.toml"],
    group: "discovery",
    false_positives: &[
        "A newly deployed automation whose role was not yet granted ec2:GetPasswordData.",
        "An operator using a read-only role by mistake to fetch a password.",
    ],
    next_steps: "Find who or what used the role (session name, source address, user agent) and \
                 whether it has tried other credential reads. If the session is not explained, \
                 revoke the role's active sessions and review the role's trust policy.",
    evidence: "error_code instance_id role session source_ip user_agent",
    triggers: &[Trigger::read_only("ec2.amazonaws.com", &["GetPasswordData"])],
    window: Some(WindowSpec::FirstSeen { days: 7 }),
};

impl Detection for Ec2GetPasswordDataDeniedForRole {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "ec2.amazonaws.com"
            || rec.event_name() != "GetPasswordData"
            || rec.identity_type() != Some("AssumedRole")
        {
            return None;
        }
        let code = rec.error_code()?;
        if code.trim_start_matches("Client.") != "UnauthorizedOperation" {
            return None;
        }
        let role = stable_principal(rec);
        let evidence = Evidence::new()
            .with("role", role)
            .with("session", actor_display(rec))
            .with_opt("instance_id", rec.request_param_str("instanceId"))
            .with("error_code", code)
            .with_opt("source_ip", rec.source_ip())
            .with_opt("user_agent", rec.user_agent());
        Some(Signal::FirstSeen {
            term: format!("{}|{role}", rec.account_id().unwrap_or("unknown")),
            evidence,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::eval;

    fn record(session: &str, extra: &str) -> String {
        format!(
            r#"{{"eventSource":"ec2.amazonaws.com","eventName":"GetPasswordData","eventTime":"2026-06-02T10:00:01Z",
            "recipientAccountId":"444455556666","sourceIPAddress":"198.51.100.30","userAgent":"aws-sdk-go-v2/1.30.3",
            "userIdentity":{{"type":"AssumedRole","principalId":"AROAEXAMPLEROLE:{session}",
              "arn":"arn:aws:sts::444455556666:assumed-role/app-runner/{session}","accountId":"444455556666",
              "sessionContext":{{"sessionIssuer":{{"type":"Role","arn":"arn:aws:iam::444455556666:role/app-runner","userName":"app-runner"}}}}}},
            {extra}"requestParameters":{{"instanceId":"i-0abc1234def567890"}},"responseElements":null}}"#
        )
    }
    const DENIED: &str = r#""errorCode":"Client.UnauthorizedOperation","errorMessage":"You are not authorized to perform this operation.","#;

    fn term(sig: Option<Signal>) -> String {
        match sig {
            Some(Signal::FirstSeen { term, evidence }) => {
                assert_eq!(
                    evidence.get("instance_id").and_then(|v| v.as_str()),
                    Some("i-0abc1234def567890")
                );
                term
            }
            other => panic!("expected FirstSeen, got {other:?}"),
        }
    }

    #[test]
    fn a_denied_call_is_a_term_per_role_not_per_session() {
        let a = term(eval(&Ec2GetPasswordDataDeniedForRole, &record("sess-1", DENIED)));
        let b = term(eval(&Ec2GetPasswordDataDeniedForRole, &record("sess-2", DENIED)));
        assert_eq!(a, "444455556666|arn:aws:iam::444455556666:role/app-runner");
        assert_eq!(a, b);
    }

    #[test]
    fn the_bare_error_code_counts_too() {
        let bare = record("s", r#""errorCode":"UnauthorizedOperation","#);
        term(eval(&Ec2GetPasswordDataDeniedForRole, &bare));
    }

    #[test]
    fn success_other_errors_and_other_identities_do_not_count() {
        assert_eq!(eval(&Ec2GetPasswordDataDeniedForRole, &record("s", "")), None);
        let throttled = record("s", r#""errorCode":"RequestLimitExceeded","#);
        assert_eq!(eval(&Ec2GetPasswordDataDeniedForRole, &throttled), None);
        let user = record("s", DENIED).replace(r#""type":"AssumedRole""#, r#""type":"IAMUser""#);
        assert_eq!(eval(&Ec2GetPasswordDataDeniedForRole, &user), None);
        let other = record("s", DENIED).replace("GetPasswordData", "GetConsoleOutput");
        assert_eq!(eval(&Ec2GetPasswordDataDeniedForRole, &other), None);
    }

    #[test]
    fn a_role_without_session_issuer_falls_back_to_the_session_arn() {
        let bare = record("s9", DENIED).replace(
            r#"{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::444455556666:role/app-runner","userName":"app-runner"}}"#,
            "{}",
        );
        let t = term(eval(&Ec2GetPasswordDataDeniedForRole, &bare));
        assert_eq!(t, "444455556666|arn:aws:sts::444455556666:assumed-role/app-runner/s9");
    }
}
