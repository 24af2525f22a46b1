//! A console password created for an IAM user (`CreateLoginProfile`), then a console
//! sign-in as that user from the same IP address (an IPv6 caller: its `/64`)
//! within an hour.

use serde_json::Value;

use crate::detection::{Detection, Evidence, Meta, Severity, Side, Signal, Trigger, WindowSpec};
use crate::detections::common::{console_login_result, source_network};
use crate::event::{Record, actor_display};

pub struct CreateLoginProfileThenConsoleLogin;

pub static META: Meta = Meta {
    id: "create-login-profile-then-console-login",
    title: "AWS CreateLoginProfile",
    description: "Someone gave an IAM user a console password and, within the hour, that user \
                  signed in to the console from the address (or IPv6 network) that set the \
                  password. An attacker holding only access keys does this to gain a console \
                  foothold. Only a successful CreateLoginProfile counts (a failed one sets no \
                  password); the sign-in counts whatever its result, which the finding shows.",
    severity: Severity::High,
    attack: &["T1136", "T1136.003"],
    origins: &["Splunk ESCU detections/cloud/aws_createloginprofile.yml \
             (2a9b80d3-6340-4345-11ad-212bf444d111)"],
    group: "correlation",
    false_positives: &[
        "An administrator sets up a console password for a colleague who then signs in from \
         the same office or VPN egress address.",
        "A user with permission to manage their own credentials sets their first password \
         and signs in.",
    ],
    next_steps: "Confirm with the creator and the user that the password was expected. If not, \
                 delete the login profile, deactivate the access keys the creator used, and \
                 review what the console session did after signing in.",
    evidence: "creator creator_type login_error login_result login_user_agent mfa_used \
        password_reset_required target_user",
    triggers: &[
        Trigger::Events {
            source: "iam.amazonaws.com",
            names: &["CreateLoginProfile"],
            read_only: false,
            data_event: false,
            detail_pattern: None,
        },
        Trigger::Events {
            source: "signin.amazonaws.com",
            names: &["ConsoleLogin"],
            read_only: false,
            data_event: false,
            detail_pattern: None,
        },
    ],
    window: Some(WindowSpec::Sequence { max_gap_secs: 3600 }),
};

/// `<account>|<user>|<address>`: what joins the creation to the sign-in. IAM
/// user names are unique whatever their letter case, and a request may name the
/// user in any case (`--user-name BOB` for `bob`), so the name is lowercased; an
/// IPv6 caller is its `/64`, from which a host may take a new address for each
/// connection (both from a review).
fn pair_key(rec: &Record, user: &str) -> Option<String> {
    let ip = source_network(rec)?;
    let account = rec.account_id().unwrap_or("unknown");
    Some(format!("{account}|{}|{ip}", user.to_lowercase()))
}

/// A JSON scalar as the analyst should see it (booleans may also arrive as text).
fn scalar(v: Option<&Value>) -> Option<Value> {
    match v? {
        Value::Null | Value::Array(_) | Value::Object(_) => None,
        other => Some(other.clone()),
    }
}

/// The first side of a password-then-sign-in pair: a successful call that set
/// the console password of a user (a failed one sets no password, so nothing can
/// follow from it). `(by, by_type)`: the evidence keys naming the caller and its
/// identity type.
fn password_side(
    rec: &Record,
    (by, by_type): (&'static str, &'static str),
) -> Option<Signal> {
    if !rec.succeeded() {
        return None;
    }
    let target = password_target(rec)?;
    let key = pair_key(rec, target)?;
    let evidence = Evidence::new()
        .with(by, actor_display(rec))
        .with_opt(by_type, rec.identity_type())
        .with("target_user", target)
        .with_opt(
            "password_reset_required",
            scalar(rec.request_param("passwordResetRequired")),
        );
    Some(Signal::Pair {
        key,
        side: Side::First,
        evidence,
    })
}

/// Whose password the call set: `requestParameters.userName`, else the response's
/// `loginProfile.userName`, else an IAM user caller itself. IAM defaults a missing
/// user name to the caller, so a stolen key can give its own user a console
/// password without naming it (from a review: the classic case went unpaired).
pub(crate) fn password_target<'r>(rec: &'r Record) -> Option<&'r str> {
    crate::detections::common::target_user_or_caller(rec, "loginProfile")
}

/// The second side: a console sign-in as an IAM user, whatever its result.
fn sign_in_side(rec: &Record) -> Option<Signal> {
    let user = rec.user_name()?;
    let key = pair_key(rec, user)?;
    let evidence = Evidence::new()
        .with_opt("login_result", console_login_result(rec))
        .with_opt("mfa_used", rec.additional_data_str("MFAUsed"))
        .with_opt("login_error", rec.error_message())
        .with_opt("login_user_agent", rec.user_agent());
    Some(Signal::Pair {
        key,
        side: Side::Second,
        evidence,
    })
}

/// Either side of a pair whose first side is the IAM call `call` (the caller
/// named under the evidence keys `by`), the second a console sign-in: what this
/// detection and `login-profile-reset-then-console-login` observe.
pub(super) fn password_then_sign_in(
    rec: &Record,
    call: &str,
    by: (&'static str, &'static str),
) -> Option<Signal> {
    match (rec.event_source(), rec.event_name()) {
        ("iam.amazonaws.com", name) if name == call => password_side(rec, by),
        ("signin.amazonaws.com", "ConsoleLogin") => sign_in_side(rec),
        _ => None,
    }
}

impl Detection for CreateLoginProfileThenConsoleLogin {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        password_then_sign_in(rec, "CreateLoginProfile", ("creator", "creator_type"))
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::detections::common::testing::eval;

    /// gwen gives harold a console password, from 198.51.100.77.
    pub(in crate::detections) const CREATE: &str = r#"{"eventSource":"iam.amazonaws.com","eventName":"CreateLoginProfile",
        "eventTime":"2026-05-20T08:00:00Z","awsRegion":"us-east-1","recipientAccountId":"123456789012",
        "sourceIPAddress":"198.51.100.77","userAgent":"aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22",
        "userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLECREATOR","arn":"arn:aws:iam::123456789012:user/gwen",
            "accountId":"123456789012","accessKeyId":"AKIAEXAMPLEKEY000002","userName":"gwen"},
        "requestParameters":{"userName":"harold","passwordResetRequired":false},
        "responseElements":{"loginProfile":{"userName":"harold","createDate":"May 20, 2026 8:00:00 AM","passwordResetRequired":false}}}"#;

    /// harold signs in to the console ten minutes later, from the same address.
    pub(in crate::detections) const LOGIN: &str = r#"{"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin",
        "eventTime":"2026-05-20T08:10:00Z","awsRegion":"us-east-1","recipientAccountId":"123456789012",
        "sourceIPAddress":"198.51.100.77","userAgent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
        "userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLEHAROLD","arn":"arn:aws:iam::123456789012:user/harold",
            "accountId":"123456789012","userName":"harold"},
        "requestParameters":null,"responseElements":{"ConsoleLogin":"Success"},
        "additionalEventData":{"LoginTo":"https://console.aws.amazon.com/console/home","MobileVersion":"No","MFAUsed":"No"}}"#;

    fn pair(sig: Option<Signal>) -> (String, Side, Evidence) {
        match sig {
            Some(Signal::Pair {
                key,
                side,
                evidence,
            }) => (key, side, evidence),
            other => panic!("expected a Pair observation, got {other:?}"),
        }
    }

    fn s<'e>(e: &'e Evidence, k: &str) -> Option<&'e str> {
        e.get(k).and_then(|v| v.as_str())
    }

    #[test]
    fn creation_is_the_first_side_keyed_on_target_user_and_ip() {
        let (key, side, ev) = pair(eval(&CreateLoginProfileThenConsoleLogin, CREATE));
        assert_eq!(key, "123456789012|harold|198.51.100.77");
        assert_eq!(side, Side::First);
        assert_eq!(s(&ev, "creator"), Some("gwen"));
        assert_eq!(s(&ev, "target_user"), Some("harold"));
        assert_eq!(ev.get("password_reset_required"), Some(&Value::Bool(false)));
    }

    #[test]
    fn login_is_the_second_side_with_the_same_key() {
        let (key, side, ev) = pair(eval(&CreateLoginProfileThenConsoleLogin, LOGIN));
        assert_eq!(key, "123456789012|harold|198.51.100.77");
        assert_eq!(side, Side::Second);
        assert_eq!(s(&ev, "login_result"), Some("Success"));
        assert_eq!(s(&ev, "mfa_used"), Some("No"));
    }

    #[test]
    fn a_failed_login_still_joins_and_reports_its_result() {
        let failed = LOGIN
            .replace(r#""ConsoleLogin":"Success""#, r#""ConsoleLogin":"Failure""#)
            .replace(
                r#""requestParameters":null"#,
                r#""errorMessage":"Failed authentication","requestParameters":null"#,
            );
        let (key, side, ev) = pair(eval(&CreateLoginProfileThenConsoleLogin, &failed));
        assert_eq!(key, "123456789012|harold|198.51.100.77");
        assert_eq!(side, Side::Second);
        assert_eq!(s(&ev, "login_result"), Some("Failure"));
        assert_eq!(s(&ev, "login_error"), Some("Failed authentication"));
    }

    #[test]
    fn the_creator_may_be_the_user_itself_or_a_role() {
        let own = CREATE.replace(r#""userName":"harold""#, r#""userName":"gwen""#);
        let (key, _, _) = pair(eval(&CreateLoginProfileThenConsoleLogin, &own));
        assert_eq!(key, "123456789012|gwen|198.51.100.77");
        let by_role = CREATE.replace(
            r#"{"type":"IAMUser","principalId":"AIDAEXAMPLECREATOR","arn":"arn:aws:iam::123456789012:user/gwen","#,
            r#"{"type":"AssumedRole","principalId":"AROAEXAMPLE:ops","arn":"arn:aws:sts::123456789012:assumed-role/Admin/ops","#,
        );
        let (key, side, ev) = pair(eval(&CreateLoginProfileThenConsoleLogin, &by_role));
        assert_eq!(key, "123456789012|harold|198.51.100.77");
        assert_eq!(side, Side::First);
        assert_eq!(s(&ev, "creator_type"), Some("AssumedRole"));
    }

    #[test]
    fn a_failed_creation_is_ignored() {
        let denied = CREATE.replace(
            r#""requestParameters""#,
            r#""errorCode":"AccessDenied","errorMessage":"not authorized","requestParameters""#,
        );
        assert_eq!(eval(&CreateLoginProfileThenConsoleLogin, &denied), None);
        let exists = CREATE.replace(
            r#""requestParameters""#,
            r#""errorCode":"EntityAlreadyExistsException","requestParameters""#,
        );
        assert_eq!(eval(&CreateLoginProfileThenConsoleLogin, &exists), None);
    }

    #[test]
    fn both_sides_need_a_literal_ip() {
        let internal = CREATE.replace("198.51.100.77", "AWS Internal");
        assert_eq!(eval(&CreateLoginProfileThenConsoleLogin, &internal), None);
        let svc = LOGIN.replace("198.51.100.77", "signin.amazonaws.com");
        assert_eq!(eval(&CreateLoginProfileThenConsoleLogin, &svc), None);
    }

    /// An IPv6 caller is its `/64`: a host may sign in from another address of
    /// it (from a review).
    #[test]
    fn the_ip_is_normalized_on_both_sides() {
        let c = CREATE.replace("198.51.100.77", "2001:DB8:0:0::5");
        let l = LOGIN.replace("198.51.100.77", "2001:db8::7a:1");
        let (kc, _, _) = pair(eval(&CreateLoginProfileThenConsoleLogin, &c));
        let (kl, _, _) = pair(eval(&CreateLoginProfileThenConsoleLogin, &l));
        assert_eq!(kc, "123456789012|harold|2001:db8::/64");
        assert_eq!(kc, kl);
        let other_network = LOGIN.replace("198.51.100.77", "2001:db8:0:1::5");
        let (ko, _, _) = pair(eval(&CreateLoginProfileThenConsoleLogin, &other_network));
        assert_ne!(kc, ko);
    }

    /// IAM user names are one whatever their letter case: a password set for
    /// `HAROLD` is harold's (from a review).
    #[test]
    fn the_user_name_joins_in_any_letter_case() {
        let shouted = CREATE.replace(r#""requestParameters":{"userName":"harold""#, r#""requestParameters":{"userName":"HAROLD""#);
        assert_ne!(shouted, CREATE);
        let (kc, _, _) = pair(eval(&CreateLoginProfileThenConsoleLogin, &shouted));
        let (kl, _, _) = pair(eval(&CreateLoginProfileThenConsoleLogin, LOGIN));
        assert_eq!(kc, kl);
    }

    #[test]
    fn needs_the_user_names() {
        // No user named by the request: the response's, else an IAM user caller's
        // own (IAM's default); a role caller with neither names no one.
        let no_target = CREATE.replace(r#""requestParameters":{"userName":"harold","#, r#""requestParameters":{"#);
        assert_ne!(no_target, CREATE);
        let (named, _, _) = pair(eval(&CreateLoginProfileThenConsoleLogin, CREATE));
        let (from_response, _, _) = pair(eval(&CreateLoginProfileThenConsoleLogin, &no_target));
        assert_eq!(from_response, named);
        let no_response = no_target.replace(r#""loginProfile":{"userName":"harold","#, r#""loginProfile":{"#);
        assert_ne!(no_response, no_target);
        let (own, _, _) = pair(eval(&CreateLoginProfileThenConsoleLogin, &no_response));
        let (gwen, _, _) = pair(eval(&CreateLoginProfileThenConsoleLogin, &LOGIN.replace("harold", "gwen")));
        assert_eq!(own, gwen);
        let by_role = no_response.replace(r#""type":"IAMUser""#, r#""type":"AssumedRole""#);
        assert_eq!(eval(&CreateLoginProfileThenConsoleLogin, &by_role), None);
        let root_login = LOGIN.replace(
            r#"{"type":"IAMUser","principalId":"AIDAEXAMPLEHAROLD","arn":"arn:aws:iam::123456789012:user/harold",
            "accountId":"123456789012","userName":"harold"}"#,
            r#"{"type":"Root","principalId":"123456789012","arn":"arn:aws:iam::123456789012:root","accountId":"123456789012"}"#,
        );
        assert!(root_login.contains("\"Root\""));
        assert_eq!(eval(&CreateLoginProfileThenConsoleLogin, &root_login), None);
        let role_login = LOGIN.replace(r#","userName":"harold""#, "");
        assert_eq!(eval(&CreateLoginProfileThenConsoleLogin, &role_login), None);
    }

    #[test]
    fn another_user_or_ip_gives_another_key() {
        let (k0, _, _) = pair(eval(&CreateLoginProfileThenConsoleLogin, CREATE));
        let other_user = LOGIN.replace("harold", "irene");
        let (k1, _, _) = pair(eval(&CreateLoginProfileThenConsoleLogin, &other_user));
        let other_ip = LOGIN.replace("198.51.100.77", "203.0.113.200");
        let (k2, _, _) = pair(eval(&CreateLoginProfileThenConsoleLogin, &other_ip));
        assert_ne!(k0, k1);
        assert_ne!(k0, k2);
    }

    #[test]
    fn ignores_other_events() {
        let update = CREATE.replace("CreateLoginProfile", "UpdateLoginProfile");
        assert_eq!(eval(&CreateLoginProfileThenConsoleLogin, &update), None);
        let mfa = LOGIN.replace(r#""eventName":"ConsoleLogin""#, r#""eventName":"CheckMfa""#);
        assert_eq!(eval(&CreateLoginProfileThenConsoleLogin, &mfa), None);
        let wrong_source = LOGIN.replace("signin.amazonaws.com", "iam.amazonaws.com");
        assert_eq!(
            eval(&CreateLoginProfileThenConsoleLogin, &wrong_source),
            None
        );
    }
}
