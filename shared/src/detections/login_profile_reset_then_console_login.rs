//! An IAM user's console password reset (`UpdateLoginProfile`, successfully), then
//! a console sign-in as that user from the same IP address (an IPv6 caller: its
//! `/64`) within an hour.
//!
//! Decisions: the twin of `create-login-profile-then-console-login` for a user who
//! already had a password, joined the same way (account, user name in any letter
//! case, the caller's address, an IPv6 one as its `/64`) and over the same hour, in either arrival order. That
//! detection's trigger list is fixed by its specification, so the reset is a
//! detection of its own rather than a second origin of it. Any caller counts,
//! the user itself included: an intruder holding only a user's access keys resets
//! its password to reach the console. A user changing their own password in the
//! console calls `ChangePassword`, not this. The reset alone is
//! `iam-login-profile-changed-for-another-user` (medium); this one says the new
//! password was used at once, from where it was set.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, WindowSpec};
use crate::detections::create_login_profile_then_console_login::password_then_sign_in;
use crate::event::Record;

pub struct LoginProfileResetThenConsoleLogin;

pub static META: Meta = Meta {
    id: "login-profile-reset-then-console-login",
    title: "AWS Console Password Reset Then Used From the Same Address",
    description: "An IAM user's console password was reset and, within the hour, that user \
                  signed in to the console from the address (or IPv6 network) that reset it. \
                  An attacker holding only access keys takes over an existing user's console \
                  access this way. The sign-in counts whatever its result, which the finding \
                  shows.",
    severity: Severity::High,
    attack: &["T1098", "T1078.004"],
    origins: &[
        "trailwatch: from a review of create-login-profile-then-console-login (Splunk ESCU \
         aws_createloginprofile.yml), which pairs only a new password; a reset of an \
         existing one followed by its use is the same takeover",
    ],
    group: "correlation",
    false_positives: &[
        "An administrator resets a colleague's forgotten password and the colleague signs \
         in from the same office or VPN egress address.",
    ],
    next_steps: "Confirm with the user and whoever reset the password that it was expected. \
                 If not, reset it again with a forced change, deactivate the access keys the \
                 reset was made with, and review what the console session did.",
    evidence: "login_error login_result login_user_agent mfa_used password_reset_required \
        reset_by reset_by_type target_user",
    triggers: &[
        Trigger::write("iam.amazonaws.com", &["UpdateLoginProfile"]),
        Trigger::write("signin.amazonaws.com", &["ConsoleLogin"]),
    ],
    window: Some(WindowSpec::Sequence { max_gap_secs: 3600 }),
};

impl Detection for LoginProfileResetThenConsoleLogin {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        password_then_sign_in(rec, "UpdateLoginProfile", ("reset_by", "reset_by_type"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detection::Side;
    use crate::detections::common::testing::eval;

    use crate::detections::create_login_profile_then_console_login::tests::{CREATE, LOGIN};

    /// gwen resets harold's console password, from 198.51.100.77.
    fn reset() -> String {
        CREATE.replace("CreateLoginProfile", "UpdateLoginProfile")
    }

    #[test]
    fn the_reset_and_the_sign_in_meet_on_account_user_and_address() {
        let first = eval(&LoginProfileResetThenConsoleLogin, &reset());
        let second = eval(&LoginProfileResetThenConsoleLogin, LOGIN);
        match (first, second) {
            (
                Some(Signal::Pair { key: k1, side: Side::First, evidence }),
                Some(Signal::Pair { key: k2, side: Side::Second, .. }),
            ) => {
                assert_eq!(k1, "123456789012|harold|198.51.100.77");
                assert_eq!(k1, k2);
                assert_eq!(evidence.get("reset_by").and_then(|v| v.as_str()), Some("gwen"));
                assert_eq!(evidence.get("reset_by_type").and_then(|v| v.as_str()), Some("IAMUser"));
            }
            other => panic!("expected both sides, got {other:?}"),
        }
    }

    #[test]
    fn a_failed_reset_a_creation_and_other_calls_are_no_side() {
        let failed = reset().replace(r#""requestParameters""#, r#""errorCode":"NoSuchEntity","requestParameters""#);
        assert_eq!(eval(&LoginProfileResetThenConsoleLogin, &failed), None);
        let created = CREATE;
        assert_eq!(eval(&LoginProfileResetThenConsoleLogin, created), None);
        let own_change = reset().replace("UpdateLoginProfile", "ChangePassword");
        assert_eq!(eval(&LoginProfileResetThenConsoleLogin, &own_change), None);
        // No user named (UpdateLoginProfile answers nothing): an IAM user caller
        // reset its own password, a role caller names no one.
        let no_user = reset()
            .replace(r#""requestParameters":{"userName":"harold","#, r#""requestParameters":{"#)
            .replace(r#""loginProfile":{"userName":"harold","#, r#""loginProfile":{"#);
        match eval(&LoginProfileResetThenConsoleLogin, &no_user) {
            Some(Signal::Pair { key, .. }) => assert_eq!(key, "123456789012|gwen|198.51.100.77"),
            other => panic!("expected the caller's own side, got {other:?}"),
        }
        let by_role = no_user.replace(r#""type":"IAMUser""#, r#""type":"AssumedRole""#);
        assert_eq!(eval(&LoginProfileResetThenConsoleLogin, &by_role), None);
    }
}
