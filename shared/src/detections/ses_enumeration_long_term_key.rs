//! SES reconnaissance with one long-term access key within ten minutes: both what
//! the account may send (sending enabled, quota, production access) and from
//! which identities.
//!
//! Decisions: the window counts what was learned, not call names. SES v2 answers
//! the first question with one call (`GetAccount`) and the second with another
//! (`ListEmailIdentities`), so three distinct names, the rule before a review,
//! missed the v2 enumeration; the v1 one (`GetAccountSendingEnabled`,
//! `GetSendQuota`, `ListIdentities`...) is caught as before, at its second kind of
//! question.
//!
//! Decisions: the Stratus Red Team technique `aws.discovery.ses-enumerate` and the
//! reports it cites describe leaked long-term keys checked for e-mail sending before
//! phishing or resale. The key may also be turned into session keys first
//! (`GetSessionToken`: the identity is still the IAM user; `GetFederationToken`: a
//! federated user the IAM user issued), which counts, as in
//! `bedrock-model-invoked-with-user-key`. Role and SSO sessions, and the console's own
//! session, are left out: SES dashboards and Trusted Advisor read the same calls
//! under roles. Any outcome counts. The group is the key's holder (the IAM user, the
//! root user, or the user that issued a federated user's token), not the key: a
//! holder minting fresh session keys between calls, or using its long-term key for
//! some and session keys for others, counts once, as does a key used by several
//! tools.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, Repeats, Countable, WindowSpec};
use crate::detections::common::{access_key_id, user_key_outside_console};
use crate::event::{Record, actor_display, actor_key};

pub struct SesEnumerationLongTermKey;

/// SES calls (v1 and v2 share the event source) that tell whether and how much mail
/// an account can send.
const SENDING: &[&str] = &["GetAccount", "GetAccountSendingEnabled", "GetSendQuota", "GetSendStatistics"];
/// ... and the ones that list from which identities. Looking up one named identity
/// (`GetEmailIdentity`, `GetIdentityVerificationAttributes`) is what a mailer does
/// with its own From address, so it does not count (a review caught a mailer's
/// quota check and own-address lookup firing).
const IDENTITIES: &[&str] = &["ListEmailIdentities", "ListIdentities", "ListVerifiedEmailAddresses"];
const SES_RECON: &[&str] = &[
    "GetAccount",
    "GetAccountSendingEnabled",
    "GetSendQuota",
    "GetSendStatistics",
    "ListEmailIdentities",
    "ListIdentities",
    "ListVerifiedEmailAddresses",
];

pub static META: Meta = Meta {
    id: "ses-enumeration-long-term-key",
    title: "AWS SES Enumeration with a Long-Term Access Key",
    description: "An IAM user's long-term access key, or session keys made from it, asked \
                  SES within ten minutes both whether and how much the account may send and \
                  which e-mail identities it sends from. Stolen keys are routinely \
                  checked this way before being used for phishing or sold as 'SMTP-ready'.",
    severity: Severity::Medium,
    attack: &["T1526", "T1087.004"],
    origins: &["trailwatch: based on Stratus Red Team aws.discovery.ses-enumerate"],
    group: "discovery",
    false_positives: &[
        "A mail-sending application running with an IAM user's keys that checks its quota at \
         start-up.",
    ],
    next_steps: "Find where the access key is used from and by whom. If the key is not expected \
                 to touch SES, deactivate it, check SES for new identities or sending, and look \
                 for the key in code repositories.",
    evidence: "access_key_id api caller error_code region source_ip user_agent",
    triggers: &[Trigger::read_only("ses.amazonaws.com", SES_RECON)],
    window: Some(WindowSpec::Distinct {
        window_secs: 600,
        min_distinct: 2,
        repeats: Repeats::Always,
        values: Countable::OneOf(&["sending", "identities"]),
    }),
};

impl Detection for SesEnumerationLongTermKey {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "ses.amazonaws.com" || !user_key_outside_console(rec) {
            return None;
        }
        let learned = if SENDING.contains(&rec.event_name()) {
            "sending"
        } else if IDENTITIES.contains(&rec.event_name()) {
            "identities"
        } else {
            return None;
        };
        let key = access_key_id(rec)?;
        let holder = match rec.identity_type() {
            Some("FederatedUser") => rec.session_issuer_arn().unwrap_or_else(|| actor_key(rec)),
            _ => actor_key(rec),
        };
        let evidence = Evidence::new()
            .with("api", rec.event_name())
            .with("caller", actor_display(rec))
            .with("access_key_id", key)
            .with_opt("region", rec.region())
            .with_opt("source_ip", rec.source_ip())
            .with_opt("user_agent", rec.user_agent())
            .with_opt("error_code", rec.error_code());
        Some(Signal::Distinct {
            group: format!("{}|{holder}", rec.account_id().unwrap_or("unknown")),
            value: learned.to_owned(),
            evidence,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::eval;

    fn record(name: &str, key: &str) -> String {
        format!(
            r#"{{"eventSource":"ses.amazonaws.com","eventName":"{name}","eventTime":"2026-06-02T10:00:01Z",
            "awsRegion":"us-east-1","recipientAccountId":"111122223333","sourceIPAddress":"198.51.100.200",
            "userAgent":"Boto3/1.34.69","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/mailer",
            "accountId":"111122223333","accessKeyId":"{key}","userName":"mailer"}},"requestParameters":null}}"#
        )
    }

    #[test]
    fn counts_recon_names_per_key_holder() {
        // The long-term key and session keys made from it are one holder's.
        for key in ["AKIAEXAMPLE0000SES1", "ASIAEXAMPLE0000SES2", "ASIAEXAMPLE0000SES3"] {
            match eval(&SesEnumerationLongTermKey, &record("GetSendQuota", key)) {
                Some(Signal::Distinct { group, value, evidence }) => {
                    assert_eq!(group, "111122223333|arn:aws:iam::111122223333:user/mailer");
                    assert_eq!(value, "sending");
                    assert_eq!(evidence.get("access_key_id").and_then(|v| v.as_str()), Some(key));
                }
                other => panic!("expected Distinct, got {other:?}"),
            }
        }
        // A federated user's keys are the issuing user's.
        let federated = record("ListIdentities", "ASIAEXAMPLE0000SES4").replace(
            r#""type":"IAMUser","arn":"arn:aws:iam::111122223333:user/mailer""#,
            r#""type":"FederatedUser","arn":"arn:aws:sts::111122223333:federated-user/x1",
            "sessionContext":{"sessionIssuer":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/mailer"}}"#,
        );
        match eval(&SesEnumerationLongTermKey, &federated) {
            Some(Signal::Distinct { group, .. }) => assert_eq!(group, "111122223333|arn:aws:iam::111122223333:user/mailer"),
            other => panic!("expected Distinct, got {other:?}"),
        }
    }

    /// From a review: SES v2 asks each question in one call.
    #[test]
    fn each_call_counts_as_what_it_tells() {
        let learned = |name: &str| match eval(&SesEnumerationLongTermKey, &record(name, "AKIAEXAMPLE0000SES1")) {
            Some(Signal::Distinct { value, .. }) => value,
            other => panic!("expected Distinct for {name}, got {other:?}"),
        };
        for name in SENDING {
            assert_eq!(learned(name), "sending", "{name}");
        }
        for name in IDENTITIES {
            assert_eq!(learned(name), "identities", "{name}");
        }
        for lookup in ["GetEmailIdentity", "GetIdentityVerificationAttributes"] {
            assert_eq!(eval(&SesEnumerationLongTermKey, &record(lookup, "AKIAEXAMPLE0000SES1")), None, "{lookup}");
        }
        assert_eq!(SES_RECON.len(), SENDING.len() + IDENTITIES.len());
        assert!(SENDING.iter().chain(IDENTITIES).all(|n| SES_RECON.contains(n)));
    }

    #[test]
    fn role_and_console_sessions_missing_keys_and_other_calls_are_ignored() {
        // The user's own session keys (GetSessionToken) count; a role's do not.
        let user_session = record("GetSendQuota", "ASIAEXAMPLE0000SES2");
        assert!(eval(&SesEnumerationLongTermKey, &user_session).is_some());
        let role_session = user_session.replace(
            r#""type":"IAMUser","arn":"arn:aws:iam::111122223333:user/mailer""#,
            r#""type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/SesDashboard/s1""#,
        );
        assert_ne!(role_session, user_session);
        assert_eq!(eval(&SesEnumerationLongTermKey, &role_session), None);
        let console = user_session.replace(
            r#""requestParameters":null"#,
            r#""sessionCredentialFromConsole":"true","requestParameters":null"#,
        );
        assert_eq!(eval(&SesEnumerationLongTermKey, &console), None);
        let no_key = record("GetSendQuota", "");
        assert_eq!(eval(&SesEnumerationLongTermKey, &no_key), None);
        let send = record("SendEmail", "AKIAEXAMPLE0000SES1");
        assert_eq!(eval(&SesEnumerationLongTermKey, &send), None);
    }

    #[test]
    fn denied_calls_count_with_their_code() {
        let denied = record("ListIdentities", "AKIAEXAMPLE0000SES1").replace(
            r#""requestParameters":null"#,
            r#""errorCode":"AccessDenied","requestParameters":null"#,
        );
        match eval(&SesEnumerationLongTermKey, &denied) {
            Some(Signal::Distinct { evidence, .. }) => assert_eq!(
                evidence.get("error_code").and_then(|v| v.as_str()),
                Some("AccessDenied")
            ),
            other => panic!("expected Distinct, got {other:?}"),
        }
    }
}
