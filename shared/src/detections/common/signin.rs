//! Console sign-ins (`ConsoleLogin`): failed and successful, with their evidence.

use crate::detection::Evidence;
use crate::event::Record;

use super::general::{value_per_record, with_error};

/// `responseElements.ConsoleLogin` (`Success` / `Failure`) of a sign-in record.
pub fn console_login_result<'r>(rec: &'r Record) -> Option<&'r str> {
    rec.response_element("ConsoleLogin")?.as_str()
}

// --- Failed console sign-ins, shared by #17 console-login-failed-mfa-challenge,
// --- #18 consolelogin-failed-authentication and #22 credential-access-failed-login.

/// The `errorMessage` of a wrong password or a failed MFA step for a user (or root)
/// that exists.
pub const FAILED_AUTHENTICATION: &str = "Failed authentication";
/// The `errorMessage` of a sign-in with a user name the account does not have.
pub const NO_SUCH_USER: &str = "No username found in supplied account";
/// `userIdentity.userName` of a sign-in with an unknown user name.
pub const HIDDEN_USER_NAME: &str = "HIDDEN_DUE_TO_SECURITY_REASONS";

/// A `ConsoleLogin` record that failed, as the three failed-login detections read it.
/// They nest: #17 (`failed_authentication && mfa_used`) ⊂ #18
/// (`failed_authentication`) ⊂ #22 (every failure).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailedConsoleLogin<'r> {
    /// `responseElements.ConsoleLogin` as written (`Failure`), when present.
    pub result: Option<&'r str>,
    /// `errorMessage` is `Failed authentication`.
    pub failed_authentication: bool,
    /// `additionalEventData.MFAUsed` is `Yes`: the account has MFA and the failure
    /// happened at or after the MFA step.
    pub mfa_used: bool,
    /// The user name does not exist in the account (`No username found in supplied
    /// account`, or the user name is hidden): spraying or enumeration.
    pub unknown_user: bool,
}

/// Reads a `ConsoleLogin` record (eventSource `signin.amazonaws.com`, or absent as in
/// some exports) as a failed sign-in; `None` for any other record.
///
/// A failure is a record whose `responseElements.ConsoleLogin` is `Failure`, or, when
/// that element is missing or unrecognised, one that carries an `errorCode` or
/// `errorMessage`. A record that reports `Success` is never a failure, whatever else
/// it says. Values compare case-insensitively, as the Sigma and Splunk originals do.
pub fn failed_console_login<'r>(rec: &'r Record) -> Option<FailedConsoleLogin<'r>> {
    if rec.event_name() != "ConsoleLogin"
        || !matches!(rec.event_source(), "" | "signin.amazonaws.com")
    {
        return None;
    }
    let result = console_login_result(rec).filter(|r| !r.is_empty());
    if result.is_some_and(|r| r.eq_ignore_ascii_case("Success")) {
        return None;
    }
    let failure_reported = result.is_some_and(|r| r.eq_ignore_ascii_case("Failure"));
    if !failure_reported && rec.succeeded() {
        return None;
    }
    let message_is = |m: &str| {
        rec.error_message()
            .is_some_and(|e| e.eq_ignore_ascii_case(m))
    };
    Some(FailedConsoleLogin {
        result,
        failed_authentication: message_is(FAILED_AUTHENTICATION),
        mfa_used: rec
            .additional_data_str("MFAUsed")
            .is_some_and(|m| m.eq_ignore_ascii_case("Yes")),
        unknown_user: message_is(NO_SUCH_USER) || rec.user_name() == Some(HIDDEN_USER_NAME),
    })
}

impl FailedConsoleLogin<'_> {
    /// What the analyst needs about a failed sign-in: the user name tried, the result,
    /// whether MFA was involved, where the user was going, and the error.
    pub fn failure_evidence(&self, rec: &Record) -> Evidence {
        let e = Evidence::new()
            .with_opt("user_name", rec.user_name())
            .with_opt("console_login", self.result)
            .with_opt("mfa_used", rec.additional_data_str("MFAUsed"))
            .with_opt(
                "login_to",
                rec.additional_data_str("LoginTo").filter(|s| !s.is_empty()),
            );
        let e = if self.unknown_user {
            e.with("unknown_user", true)
        } else {
            e
        };
        with_error(e, rec)
    }
}

/// Who a sign-in was for: the IAM user's name, or `root` for the root user (whose
/// sign-in records name no user).
pub fn signin_user<'r>(rec: &'r Record) -> Option<&'r str> {
    rec.user_name()
        .or_else(|| (rec.identity_type() == Some("Root")).then_some("root"))
}

/// The observation of the per-user failed sign-in windows: the failed sign-in
/// counted once (by record) in the group `<account>|<user name>` (`root` for the
/// root user, see [`signin_user`]). `None` when the user name is missing or hidden
/// (an unknown user name): per-address detections count those.
pub fn failed_login_per_user(
    rec: &Record,
    failed: &FailedConsoleLogin,
) -> Option<crate::detection::Signal> {
    if failed.unknown_user {
        return None;
    }
    let user = signin_user(rec)?;
    Some(crate::detection::Signal::Distinct {
        group: format!("{}|{user}", rec.account_id().unwrap_or("unknown")),
        value: value_per_record(rec),
        evidence: failed
            .failure_evidence(rec)
            .with_opt("source_ip", rec.source_ip()),
    })
}

/// A `ConsoleLogin` (eventSource `signin.amazonaws.com`, or absent as in some exports)
/// that succeeded: `responseElements.ConsoleLogin` is `Success` and no error is set.
pub fn successful_console_login(rec: &Record) -> bool {
    rec.event_name() == "ConsoleLogin"
        && matches!(rec.event_source(), "" | "signin.amazonaws.com")
        && rec.succeeded()
        && console_login_result(rec).is_some_and(|r| r.eq_ignore_ascii_case("Success"))
}

/// What the analyst needs about a successful sign-in: who, whether MFA was used,
/// where to and from where.
pub fn console_login_evidence(rec: &Record) -> Evidence {
    Evidence::new()
        .with_opt("identity_type", rec.identity_type())
        .with_opt("user_name", rec.user_name())
        .with_opt("mfa_used", rec.additional_data_str("MFAUsed"))
        .with_opt(
            "login_to",
            rec.additional_data_str("LoginTo").filter(|s| !s.is_empty()),
        )
        .with_opt("source_ip", rec.source_ip())
}
