//! Ten or more failed credential checks at IAM Identity Center's sign-in (the
//! AWS access portal) from one source address within ten minutes.
//!
//! Decisions: users of Identity Center's own directory and of Active Directory
//! sign in through the access portal, whose failures are not `ConsoleLogin`
//! records: AWS logs each credential a user is asked for as
//! `CredentialChallenge`, and each answer as `CredentialVerification` (event
//! source `signin.amazonaws.com`, an `AwsServiceEvent`) with
//! `serviceEventDetails.CredentialVerification` `Success` or `Failure` and the
//! credential type (`PASSWORD`, `TOTP`, `WEBAUTHN`, `EMAIL_OTP`...) in
//! `additionalEventData.CredentialType`. The failed-login detections read
//! `ConsoleLogin` only (their specification fixes it), so guessing or spraying
//! passwords at the portal, the way into every account its users reach, went
//! unseen (from an evasion review).
//!
//! Failures are counted per account and source address (password spraying and
//! guessing both come from few addresses; an IPv6 address by its /64, as a host
//! may take a new one of its network for every attempt), each once by its `eventID` (else by
//! time and user name), ten within ten minutes, as `root-console-brute-force`
//! counts root's. A record that says nothing of the result is not counted;
//! one whose result is anything but `Success` is (an error code alone counts
//! too). Since July 2025 Identity Center writes the user as
//! `IdentityCenterUser`, by its id (`onBehalfOf.userId`), and the name typed at
//! the portal in `additionalEventData.UserName`, no longer in `userIdentity`:
//! the evidence gives both, from either shape. Users of an external identity
//! provider sign in there, not here: their failures are the provider's to log. Left out: attempts spread over many
//! addresses or paced under ten per ten minutes (each address is judged alone).

use serde::Deserialize;

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, Repeats, Countable, WindowSpec};
use crate::detections::common::source_network;
use crate::event::Record;

pub struct IdentityCenterSignInFailures;

pub static META: Meta = Meta {
    id: "identity-center-sign-in-failures",
    title: "AWS IAM Identity Center Sign-in Failures from One Address",
    description: "Many failed credential checks (passwords, one-time codes, security keys) at \
                  IAM Identity Center's sign-in, the AWS access portal, from one address in a \
                  short time: someone is guessing or spraying passwords at the door to every \
                  account the organisation's users can reach.",
    severity: Severity::Medium,
    attack: &["T1110", "T1110.001", "T1110.003"],
    origins: &[
        "trailwatch: from an evasion review (AWS documents the Identity Center sign-in events)",
    ],
    group: "signin-failures",
    false_positives: &[
        "An office or VPN exit address shared by many users on a morning of expired passwords.",
        "A user retrying a forgotten password or a drifted one-time code many times.",
    ],
    next_steps: "Look up the source address and the user names and ids in the evidence \
                 (`aws identitystore describe-user --user-id`). Check whether \
                 any of those users signed in successfully afterwards (`UserAuthentication`) \
                 and from where; reset the passwords and MFA devices of users whose sign-in \
                 succeeded, and block the address if the attempts go on.",
    evidence: "credential_type error_code result source_ip user_agent user_id user_name",
    triggers: &[Trigger::write("signin.amazonaws.com", &["CredentialVerification"])],
    window: Some(WindowSpec::Distinct {
        window_secs: 600,
        min_distinct: 10,
        repeats: Repeats::Always,
        values: Countable::Open,
    }),
};

/// The part of a sign-in record this detection needs that `Record` does not
/// type: `serviceEventDetails`, read from the record's text.
#[derive(Deserialize)]
struct ServiceEvent {
    #[serde(rename = "serviceEventDetails")]
    details: Option<Details>,
}

#[derive(Deserialize)]
struct Details {
    #[serde(rename = "CredentialVerification")]
    result: Option<serde_json::Value>,
}

/// The verification's result as written, when the record says one.
fn verification_result(rec: &Record) -> Option<String> {
    let event: ServiceEvent = serde_json::from_str(rec.raw?).ok()?;
    match event.details?.result? {
        serde_json::Value::String(s) => Some(s),
        _ => None,
    }
}

impl Detection for IdentityCenterSignInFailures {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "signin.amazonaws.com"
            || rec.event_name() != "CredentialVerification"
        {
            return None;
        }
        let result = verification_result(rec);
        let failed = match result.as_deref().map(str::trim) {
            Some(r) => !r.eq_ignore_ascii_case("Success"),
            None => !rec.succeeded(),
        };
        if !failed {
            return None;
        }
        // By network, as the console's per-address windows count: an IPv6 host
        // may take a new address of its /64 for every attempt (from a review).
        let source = source_network(rec).unwrap_or_else(|| rec.source_ip().unwrap_or("unknown").to_owned());
        // The older shape names the user in `userIdentity`; the newer one
        // gives the name typed in the event's data.
        let user_name = rec
            .user_name()
            .or_else(|| rec.additional_data_str("UserName").filter(|n| !n.is_empty()));
        let attempt = match rec.call_id() {
            Some(id) => id.to_owned(),
            None => format!(
                "{}|{}",
                rec.event_time.as_deref().unwrap_or(""),
                user_name.or_else(|| rec.on_behalf_of_user_id()).unwrap_or("")
            ),
        };
        let evidence = Evidence::new()
            .with_opt("user_name", user_name)
            .with_opt("user_id", rec.on_behalf_of_user_id())
            .with_opt("credential_type", rec.additional_data_str("CredentialType"))
            .with_opt("result", result.as_deref())
            .with_opt("error_code", rec.error_code())
            .with_opt("source_ip", rec.source_ip())
            .with_opt("user_agent", rec.user_agent());
        Some(Signal::Distinct {
            group: format!("{}|{source}", rec.account_id().unwrap_or("unknown")),
            value: attempt,
            evidence,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::eval;

    const FAILED: &str = r#"{"eventVersion":"1.08","eventSource":"signin.amazonaws.com",
        "eventName":"CredentialVerification","eventType":"AwsServiceEvent",
        "eventID":"6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5","eventTime":"2026-05-02T03:04:05Z",
        "awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.77","userAgent":"Mozilla/5.0",
        "recipientAccountId":"111122223333",
        "userIdentity":{"type":"Unknown","principalId":"111122223333","arn":"",
          "accountId":"111122223333","accessKeyId":"","userName":"jdoe"},
        "requestParameters":null,"responseElements":null,
        "additionalEventData":{"AuthWorkflowID":"3a2b1c0d-aaaa-4bbb-8ccc-1d2e3f4a5b6c","CredentialType":"PASSWORD"},"serviceEventDetails":{"CredentialVerification":"Failure"}}"#;

    #[test]
    fn a_failed_verification_counts_per_account_and_address() {
        match eval(&IdentityCenterSignInFailures, FAILED) {
            Some(Signal::Distinct {
                group,
                value,
                evidence,
            }) => {
                assert_eq!(group, "111122223333|203.0.113.77");
                assert_eq!(value, "6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5");
                assert_eq!(evidence.get("user_name").and_then(|v| v.as_str()), Some("jdoe"));
                assert_eq!(
                    evidence.get("credential_type").and_then(|v| v.as_str()),
                    Some("PASSWORD")
                );
            }
            other => panic!("expected a Distinct observation, got {other:?}"),
        }
        // A one-time code, in another letter case; an error code without a result.
        let totp = FAILED
            .replace("PASSWORD", "TOTP")
            .replace(r#""Failure""#, r#""FAILURE""#);
        assert!(eval(&IdentityCenterSignInFailures, &totp).is_some());
        let error_only = FAILED
            .replace(r#","serviceEventDetails":{"CredentialVerification":"Failure"}"#, "")
            .replace(r#""requestParameters":null"#, r#""errorCode":"AuthenticationFailed","requestParameters":null"#);
        assert!(error_only.contains("errorCode") && !error_only.contains("serviceEventDetails"));
        assert!(eval(&IdentityCenterSignInFailures, &error_only).is_some());
    }

    /// Identity Center's shape since July 2025: the user by id in
    /// `onBehalfOf`, the name typed in `additionalEventData.UserName`; the
    /// evidence names both (it named no user).
    #[test]
    fn the_newer_identity_center_shape_names_the_user() {
        let newer = FAILED
            .replace(
                r#"{"type":"Unknown","principalId":"111122223333","arn":"",
          "accountId":"111122223333","accessKeyId":"","userName":"jdoe"}"#,
                r#"{"type":"IdentityCenterUser","accountId":"111122223333",
          "onBehalfOf":{"userId":"a1b2c3d4-1111-2222-3333-444455556666",
          "identityStoreArn":"arn:aws:identitystore::111122223333:identitystore/d-1234567890"},
          "credentialId":"EXAMPLEcredential"}"#,
            )
            .replace(r#""CredentialType":"PASSWORD"}"#, r#""CredentialType":"PASSWORD","UserName":"jdoe"}"#);
        assert!(newer.contains("onBehalfOf") && newer.contains(r#""UserName":"jdoe""#));
        let Some(Signal::Distinct { evidence, .. }) = eval(&IdentityCenterSignInFailures, &newer) else {
            panic!("counted");
        };
        assert_eq!(evidence.get("user_name").and_then(|v| v.as_str()), Some("jdoe"));
        assert_eq!(
            evidence.get("user_id").and_then(|v| v.as_str()),
            Some("a1b2c3d4-1111-2222-3333-444455556666")
        );
    }

    #[test]
    fn successes_silence_and_other_events_do_not_count() {
        let ok = FAILED.replace(r#""Failure""#, r#""Success""#);
        assert_eq!(eval(&IdentityCenterSignInFailures, &ok), None);
        let silent = FAILED.replace(r#","serviceEventDetails":{"CredentialVerification":"Failure"}"#, "");
        assert_eq!(eval(&IdentityCenterSignInFailures, &silent), None);
        let challenge = FAILED.replace("\"CredentialVerification\",", "\"CredentialChallenge\",");
        assert_eq!(eval(&IdentityCenterSignInFailures, &challenge), None);
        let elsewhere = FAILED.replace("signin.amazonaws.com", "sso.amazonaws.com");
        assert_eq!(eval(&IdentityCenterSignInFailures, &elsewhere), None);
        let odd = FAILED.replace(r#""Failure""#, r#"{"x":1}"#);
        assert_eq!(eval(&IdentityCenterSignInFailures, &odd), None);
    }
}
