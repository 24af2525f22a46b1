//! An IAM user giving itself a console password with its own long-term access key
//! (`CreateLoginProfile` or `UpdateLoginProfile` for the caller, made with an
//! `AKIA` key outside any console session), successfully.
//!
//! Decisions: from an evasion review. Stolen access keys reach only the API; a
//! console password for the key's own user turns them into a console foothold.
//! `create-login-profile-then-console-login` and
//! `login-profile-reset-then-console-login` pair the password with a sign-in
//! from the same address, and `iam-login-profile-changed-for-another-user` leaves
//! a user's own password out, so signing in from another address went unseen.
//! People change their own password with `ChangePassword`, in the console; a
//! user setting its own login profile through the API with a long-term key is
//! rare. The target is the request's `userName`, else the response's, else the
//! caller (IAM defaults a missing name to the caller). A console session's call
//! (`sessionCredentialFromConsole`, or temporary `ASIA` credentials) is left out.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{IAM, change_evidence, own_user_change_with_long_term_key};
use crate::event::Record;

pub struct IamLoginProfileSetForSelfWithAccessKey;

const NAMES: &[&str] = &["CreateLoginProfile", "UpdateLoginProfile"];

pub static META: Meta = Meta {
    id: "iam-login-profile-set-for-self-with-access-key",
    title: "AWS IAM User Gave Itself a Console Password with an Access Key",
    description: "An IAM user set its own console password through the API, with its \
                  long-term access key. Someone holding only stolen access keys does this \
                  to sign in to the console as that user, from any address.",
    severity: Severity::High,
    attack: &["T1098", "T1078.004"],
    origins: &[
        "trailwatch: from an evasion review (the key-to-console pivot signed in from \
         another address than the one that set the password)",
    ],
    group: "iam-persistence",
    false_positives: &[
        "A user who manages their own credentials from the command line setting their \
         first console password.",
    ],
    next_steps: "Ask the user whether they set the password. If not, delete the login \
                 profile, deactivate the access key that made the call and review the \
                 user's console sign-ins and activity since.",
    evidence: "access_key_id api caller caller_type passwordResetRequired source_ip target_user \
        userName user_agent",
    triggers: &[Trigger::write(IAM, NAMES)],
    window: None,
};

impl Detection for IamLoginProfileSetForSelfWithAccessKey {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        let (key, target) = own_user_change_with_long_term_key(rec, NAMES, "loginProfile")?;
        fire(
            change_evidence(rec, &["userName", "passwordResetRequired"])
                .with("target_user", target)
                .with("access_key_id", key),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::iam_testing::*;
    use crate::detections::common::testing::fires;

    const D: &IamLoginProfileSetForSelfWithAccessKey = &IamLoginProfileSetForSelfWithAccessKey;

    #[test]
    fn a_user_setting_its_own_password_with_its_key_fires() {
        for event in NAMES {
            for params in [r#"{"userName":"alice","passwordResetRequired":false}"#, r#"{"userName":"ALICE"}"#, "{}"] {
                assert!(fires(D, &iam(event, USER, params)), "{event} {params}");
            }
        }
    }

    #[test]
    fn others_console_sessions_temporary_keys_and_failures_do_not() {
        let own = r#"{"userName":"alice"}"#;
        assert!(!fires(D, &iam("CreateLoginProfile", USER, r#"{"userName":"bob"}"#)));
        for who in [ROLE, ROOT, FEDERATED] {
            assert!(!fires(D, &iam("CreateLoginProfile", who, own)), "{who}");
        }
        let temporary = USER.replace("AKIAEXAMPLEALICE0001", "ASIAEXAMPLEALICE0001");
        assert!(!fires(D, &iam("CreateLoginProfile", &temporary, own)));
        let console = iam("CreateLoginProfile", USER, own)
            .replace(r#""userIdentity""#, r#""sessionCredentialFromConsole":"true","userIdentity""#);
        assert!(!fires(D, &console));
        let denied = iam("CreateLoginProfile", USER, own)
            .replace(r#""requestParameters""#, r#""errorCode":"AccessDenied","requestParameters""#);
        assert!(!fires(D, &denied));
        assert!(!fires(D, &iam("ChangePassword", USER, "{}")));
    }
}
