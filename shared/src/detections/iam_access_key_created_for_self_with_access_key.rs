//! An IAM user creating a second access key for itself with its own long-term
//! access key (`CreateAccessKey` for the caller, made with an `AKIA` key outside
//! any console session), successfully, the first time in 90 days for that user.
//!
//! Decisions: from a second evasion review. A stolen key that mints a sibling
//! keeps access after the leaked one is deactivated or rotated: the same pivot as
//! `iam-login-profile-set-for-self-with-access-key` for passwords. The seed
//! `create-access-key-for-another-user` leaves a user's own keys out by its
//! specification. Users rotating their own key do exactly this, so it is low and
//! first-seen per user over 90 days (a key rotated on schedule reports once, when
//! rotation starts; a user's second key is what the finding asks about). The
//! target is the request's `userName`, else the response's `accessKey.userName`,
//! else the caller (IAM defaults a missing name to the caller).

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, WindowSpec};
use crate::detections::common::{IAM, change_evidence, first_seen_by_actor, own_user_change_with_long_term_key};
use crate::event::Record;

pub struct IamAccessKeyCreatedForSelfWithAccessKey;

const NAMES: &[&str] = &["CreateAccessKey"];

pub static META: Meta = Meta {
    id: "iam-access-key-created-for-self-with-access-key",
    title: "AWS IAM User Created Itself Another Access Key with an Access Key",
    description: "An IAM user created a new access key for itself through the API, with its \
                  existing long-term key, for the first time in 90 days. Someone holding a \
                  leaked key does this to keep access once the leaked key is found and \
                  deactivated.",
    severity: Severity::Low,
    attack: &["T1098.001", "T1078.004"],
    origins: &[
        "trailwatch: from a second evasion review (a leaked key minting a sibling key for \
         its own user, which the seed create-access-key-for-another-user leaves out)",
    ],
    group: "identity-abuse",
    false_positives: &[
        "Users or scripts rotating their own key (a new key, then the old one deactivated \
         and deleted): reported once per user in 90 days.",
    ],
    next_steps: "Ask the user whether they created the key. If not, deactivate both keys, \
                 review where the old one was used from, and look for other credentials the \
                 user made since.",
    evidence: "access_key_id api caller caller_type new_access_key_id source_ip userName \
        user_agent",
    triggers: &[Trigger::write(IAM, NAMES)],
    window: Some(WindowSpec::FirstSeen { days: 90 }),
};

impl Detection for IamAccessKeyCreatedForSelfWithAccessKey {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        let (key, _) = own_user_change_with_long_term_key(rec, NAMES, "accessKey")?;
        let new_key = rec
            .response_element("accessKey")
            .and_then(|k| k.get("accessKeyId"))
            .and_then(|k| k.as_str());
        first_seen_by_actor(
            rec,
            None,
            change_evidence(rec, &["userName"])
                .with("access_key_id", key)
                .with_opt("new_access_key_id", new_key),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::iam_testing::*;
    use crate::detections::common::testing::eval;

    const D: &IamAccessKeyCreatedForSelfWithAccessKey = &IamAccessKeyCreatedForSelfWithAccessKey;

    #[test]
    fn a_user_minting_its_own_key_with_its_key_is_a_term_per_user() {
        for params in [r#"{"userName":"alice"}"#, r#"{"userName":"ALICE"}"#, "null", "{}"] {
            match eval(D, &iam("CreateAccessKey", USER, params)) {
                Some(Signal::FirstSeen { term, .. }) => assert!(term.ends_with(":user/alice"), "{term}"),
                other => panic!("expected a term for {params}, got {other:?}"),
            }
        }
    }

    #[test]
    fn others_console_sessions_temporary_keys_and_failures_do_not() {
        assert_eq!(eval(D, &iam("CreateAccessKey", USER, r#"{"userName":"bob"}"#)), None);
        for who in [ROLE, ROOT, FEDERATED] {
            assert_eq!(eval(D, &iam("CreateAccessKey", who, r#"{"userName":"alice"}"#)), None, "{who}");
        }
        let temporary = USER.replace("AKIAEXAMPLEALICE0001", "ASIAEXAMPLEALICE0001");
        assert_eq!(eval(D, &iam("CreateAccessKey", &temporary, "{}")), None);
        let console = iam("CreateAccessKey", USER, "{}")
            .replace(r#""userIdentity""#, r#""sessionCredentialFromConsole":"true","userIdentity""#);
        assert_eq!(eval(D, &console), None);
        let denied = iam("CreateAccessKey", USER, "{}")
            .replace(r#""requestParameters""#, r#""errorCode":"LimitExceeded","requestParameters""#);
        assert_eq!(eval(D, &denied), None);
    }
}
