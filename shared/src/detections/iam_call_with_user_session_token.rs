//! An IAM call made by an IAM user with temporary credentials of its own
//! (`userIdentity.type` `IAMUser`, an `ASIA...` access key), successful or refused,
//! from an IP address, not from a console session (`sessionCredentialFromConsole`) and not by
//! `AWS Internal`: the first time in 7 days for that user (first-seen term: account
//! and user ARN). An IAM user holds such credentials after `GetSessionToken`; the
//! session keeps working after the user's long-term key is deactivated, which is why
//! intruders mint one before doing IAM work.
//!
//! Refused calls count, with their error: IAM refuses every call made with
//! `GetSessionToken` credentials that were minted without MFA, so an intruder's
//! session from a stolen key (which has no MFA) leaves only refusals. A success
//! means the session was minted with MFA.
//!
//! Only write events are watched: read-only IAM calls reach EventBridge only when the
//! whole group's rule takes every management event, a cost this one detection does
//! not justify. Replay and backtests, which see the reads too, leave them out by name
//! (every IAM read is a `Get`, `List`, `Generate` or `Simulate` call), so they report
//! what the deployed function would.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, WindowSpec};
use crate::detections::common::{
    IAM, change_evidence, first_seen_by_actor, source_ip_literal, with_error,
};
use crate::event::Record;
use crate::event::prefilter::{Needle, Peek};

pub struct IamCallWithUserSessionToken;

/// An IAM read: IAM names every read-only call `Get*`, `List*`, `Generate*` (the
/// credential report, last-accessed details) or `Simulate*`.
fn iam_read_call(name: &str) -> bool {
    ["Get", "List", "Generate", "Simulate"]
        .iter()
        .any(|p| name.starts_with(p))
}

pub static META: Meta = Meta {
    id: "iam-call-with-user-session-token",
    title: "AWS IAM API Calls via Temporary Session Tokens",
    description: "An IAM user made or attempted IAM changes with temporary session \
                  credentials (from GetSessionToken) outside the console, for the first time \
                  in a week. Without MFA such a session is refused every IAM call, so \
                  refusals count too. \
                  Session tokens survive the deactivation of the key that minted them, so \
                  an intruder with a stolen key uses one to keep changing IAM after the key \
                  is revoked.",
    severity: Severity::Medium,
    attack: &["T1550.001", "T1098"],
    origins: &["Elastic detection-rules persistence_iam_api_calls_via_user_session_token.toml"],
    group: "iam-persistence",
    false_positives: &[
        "Administrators whose CLI setup requires MFA and therefore uses GetSessionToken \
         sessions for all work (fires once a week per user).",
    ],
    next_steps: "Find the GetSessionToken call that minted the key (same user, shortly \
                 before) and its source address. If the user did not do it, attach a \
                 deny-all policy to the user (revoking the long-term key does not end the \
                 session) and review the IAM changes made.",
    evidence: "access_key_id api caller caller_type error_code error_message policyArn roleName \
        source_ip userName user_agent",
    triggers: &[Trigger::write(IAM, &[])
        .with_detail(r#"{"userIdentity":{"type":["IAMUser"],"accessKeyId":[{"prefix":"ASIA"}]}}"#)],
    window: Some(WindowSpec::FirstSeen { days: 7 }),
};

impl Detection for IamCallWithUserSessionToken {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != IAM
            || iam_read_call(rec.event_name())
            || rec.identity_type() != Some("IAMUser")
        {
            return None;
        }
        let key = rec.identity()?.access_key_id.as_deref()?;
        if !key.starts_with("ASIA")
            || rec.from_console_session()
            || source_ip_literal(rec).is_none()
            || rec.user_agent() == Some("AWS Internal")
        {
            return None;
        }
        let evidence = with_error(
            change_evidence(rec, &["userName", "roleName", "policyArn"]).with("access_key_id", key),
            rec,
        );
        first_seen_by_actor(rec, None, evidence)
    }

    /// Every IAM event is routed here: keep only records that carry a session key
    /// and name an IAM user (roles' sessions, most IAM traffic, carry `ASIA` keys too).
    fn may_match_raw(&self, peek: &Peek<'_>, json: &[u8]) -> bool {
        static SESSION_KEY: Needle = Needle::new("\"ASIA");
        static IAM_USER: Needle = Needle::new("\"IAMUser\"");
        !iam_read_call(peek.event_name) && SESSION_KEY.is_in(json) && IAM_USER.is_in(json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::iam_testing::*;

    const SESSION_USER: &str = r#"{"type":"IAMUser","principalId":"AIDAEXAMPLEALICE0001",
        "arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333",
        "accessKeyId":"ASIAEXAMPLESESSION01","userName":"alice",
        "sessionContext":{"attributes":{"mfaAuthenticated":"true","creationDate":"2026-06-03T09:00:00Z"}}}"#;

    #[test]
    fn fires_once_per_user_on_session_key_calls() {
        let json = iam("CreateUser", SESSION_USER, r#"{"userName":"x"}"#);
        assert_eq!(
            first_seen_term(&IamCallWithUserSessionToken, &json).as_deref(),
            Some("111122223333|arn:aws:iam::111122223333:user/alice")
        );
    }

    #[test]
    fn ignores_long_term_keys_and_other_callers() {
        assert_eq!(first_seen_term(&IamCallWithUserSessionToken, &iam("CreateUser", USER, "null")), None);
        for who in [ROLE, ROOT, FEDERATED] {
            let json = iam("CreateUser", &who.replace("ASIAEXAMPLEOPS000001", "ASIAEXAMPLEX"), "null");
            assert_eq!(first_seen_term(&IamCallWithUserSessionToken, &json), None, "{who}");
        }

        let no_key = SESSION_USER.replace(r#""accessKeyId":"ASIAEXAMPLESESSION01","#, "");
        assert_eq!(first_seen_term(&IamCallWithUserSessionToken, &iam("CreateUser", &no_key, "null")), None);
    }

    #[test]
    fn reads_are_left_out_as_the_deployed_rule_leaves_them() {
        for name in ["ListUsers", "GetUser", "GenerateCredentialReport", "SimulatePrincipalPolicy"] {
            let read = iam(name, SESSION_USER, "null");
            assert_eq!(first_seen_term(&IamCallWithUserSessionToken, &read), None, "{name}");
            assert_eq!(crate::detections::common::testing::raw(&IamCallWithUserSessionToken, &read), Some(false), "{name}");
        }
        let write = iam("AttachUserPolicy", SESSION_USER, "null");
        assert!(first_seen_term(&IamCallWithUserSessionToken, &write).is_some());
    }

    #[test]
    fn ignores_console_sessions_and_aws_internal_calls() {
        let console = iam("CreateUser", SESSION_USER, "null")
            .replace(r#""requestParameters""#, r#""sessionCredentialFromConsole":"true","requestParameters""#);
        assert_eq!(first_seen_term(&IamCallWithUserSessionToken, &console), None);
        let internal = iam("CreateUser", SESSION_USER, "null")
            .replace("aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64", "AWS Internal");
        assert_eq!(first_seen_term(&IamCallWithUserSessionToken, &internal), None);
        let no_ip = iam("CreateUser", SESSION_USER, "null").replace("203.0.113.20", "AWS Internal");
        assert_eq!(first_seen_term(&IamCallWithUserSessionToken, &no_ip), None);
        let other_source = iam("CreateUser", SESSION_USER, "null").replace("iam.amazonaws.com", "s3.amazonaws.com");
        assert_eq!(first_seen_term(&IamCallWithUserSessionToken, &other_source), None);
    }

    #[test]
    fn the_raw_check_needs_a_session_key_of_an_iam_user() {
        use crate::detections::common::testing::raw;
        let det = &IamCallWithUserSessionToken;
        assert_eq!(raw(det, &iam("CreateUser", SESSION_USER, "null")), Some(true));
        assert_eq!(raw(det, &iam("CreateUser", USER, "null")), Some(false));
        let role_session = SESSION_USER.replace("\"IAMUser\"", "\"AssumedRole\"");
        let role = iam("CreateUser", &role_session, "null");
        assert_eq!(raw(det, &role), Some(false));
        assert_eq!(first_seen_term(&IamCallWithUserSessionToken, &role), None);
    }

    /// A session minted without MFA is refused every IAM call: the refusals are
    /// what an intruder's session leaves, and they count, with the error.
    #[test]
    fn refused_calls_count_with_their_error() {
        let denied = iam_failed("CreateUser", SESSION_USER, "null", "AccessDenied");
        match crate::detections::common::testing::eval(&IamCallWithUserSessionToken, &denied) {
            Some(Signal::FirstSeen { term, evidence }) => {
                assert_eq!(term, "111122223333|arn:aws:iam::111122223333:user/alice");
                assert_eq!(evidence.get("error_code").and_then(|v| v.as_str()), Some("AccessDenied"));
            }
            other => panic!("expected a term, got {other:?}"),
        }
    }
}
