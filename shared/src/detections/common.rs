//! Predicates and evidence shared by several detections.

use std::net::IpAddr;

use crate::detection::Evidence;
use crate::event::Record;

/// `sourceIPAddress` when it is a literal IPv4 or IPv6 address (not `AWS Internal`
/// or a service name such as `cloudformation.amazonaws.com`).
pub fn source_ip_literal(rec: &Record) -> Option<IpAddr> {
    rec.source_ip()?.trim().parse().ok()
}

/// The filter Elastic applies to its CloudWatch deletion rules: a human or script
/// calling from an IP address, not an AWS service acting on its own.
pub fn called_from_ip_not_aws_internal(rec: &Record) -> bool {
    source_ip_literal(rec).is_some() && rec.user_agent() != Some("AWS Internal")
}

/// `responseElements.ConsoleLogin` (`Success` / `Failure`) of a sign-in record.
pub fn console_login_result<'r>(rec: &'r Record) -> Option<&'r str> {
    rec.response_element("ConsoleLogin")?.as_str()
}

/// The evidence every record-level finding of a failed attempt should carry.
pub fn with_error(e: Evidence, rec: &Record) -> Evidence {
    e.with_opt("error_code", rec.error_code())
        .with_opt("error_message", rec.error_message())
}

#[cfg(test)]
pub mod testing {
    //! Builds records for unit tests from JSON text.
    use crate::detection::{Detection, Signal};
    use crate::event::Record;

    /// Evaluates `det` on the record in `json` (a raw CloudTrail record).
    pub fn eval(det: &dyn Detection, json: &str) -> Option<Signal> {
        let rec = Record::from_json(json).expect("test record parses");
        det.evaluate(&rec)
    }

    /// True when `det` fires (statelessly) on the record.
    pub fn fires(det: &dyn Detection, json: &str) -> bool {
        matches!(eval(det, json), Some(Signal::Fire(_)))
    }
}

// --- Helpers for #12 concurrent-sessions-different-ips, #21
// --- create-login-profile-then-console-login and #23 getpassworddata-burst.

/// `sourceIPAddress` as canonical text when it is a literal IP address, so that one
/// address written two ways (`2001:DB8::1` and `2001:db8:0::1`, or `::ffff:192.0.2.7`
/// and `192.0.2.7`) gives the same value. `None` for `AWS Internal`, service names
/// and anything else that is not an address.
pub fn source_ip_normalized(rec: &Record) -> Option<String> {
    source_ip_literal(rec).map(|ip| ip.to_canonical().to_string())
}

/// The window group "who, in which account": `<account>|<actor key>`, with
/// `unknown` for a record that names no account.
pub fn account_actor_group(rec: &Record) -> String {
    format!(
        "{}|{}",
        rec.account_id().unwrap_or("unknown"),
        crate::event::actor_key(rec)
    )
}

// --- Helpers for #6 cloudtrail-log-evasion and #8 cloudtrail-log-updated.

/// A flag that CloudTrail or a log pipeline may write as a JSON boolean or as text
/// (`"true"`, `"False"`, ...). `None` for anything else (null, numbers, other text).
pub fn flag_value(v: &serde_json::Value) -> Option<bool> {
    match v {
        serde_json::Value::Bool(b) => Some(*b),
        serde_json::Value::String(s) if s.trim().eq_ignore_ascii_case("true") => Some(true),
        serde_json::Value::String(s) if s.trim().eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
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
    pub fn evidence(&self, rec: &Record) -> Evidence {
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

// --- iam-persistence: IAM and STS persistence and privilege escalation.

/// `eventSource` of IAM.
pub const IAM: &str = "iam.amazonaws.com";

/// The IAM calls that grant or keep access: new principals and credentials, policy
/// attachments and edits, trust changes, group membership, MFA and boundary removal.
/// Used by the detections that look at who makes them (a Lambda function, CloudShell).
pub const SENSITIVE_IAM_CALLS: &[&str] = &[
    "AddUserToGroup",
    "AttachGroupPolicy",
    "AttachRolePolicy",
    "AttachUserPolicy",
    "CreateAccessKey",
    "CreateLoginProfile",
    "CreatePolicyVersion",
    "CreateRole",
    "CreateUser",
    "DeactivateMFADevice",
    "DeleteRolePermissionsBoundary",
    "DeleteUserPermissionsBoundary",
    "PutGroupPolicy",
    "PutRolePolicy",
    "PutUserPolicy",
    "SetDefaultPolicyVersion",
    "UpdateAssumeRolePolicy",
    "UpdateLoginProfile",
];

/// `eventSource` is `source` and `eventName` one of `names`.
pub fn is_event(rec: &Record, source: &str, names: &[&str]) -> bool {
    rec.event_source() == source && names.contains(&rec.event_name())
}

/// The call was made by an AWS service, or by infrastructure-as-code on someone's
/// behalf: `userIdentity.type` `AWSService`, an `invokedBy` service (CloudFormation,
/// Service Catalog, IAM Identity Center...; not the console's own `signin`), or a
/// CloudFormation, Terraform or Pulumi user agent. The user agent is the caller's
/// to choose, so this only lowers noise; it is no proof.
pub fn service_or_iac_caller(rec: &Record) -> bool {
    if rec.identity_type() == Some("AWSService") {
        return true;
    }
    if rec.invoked_by().is_some_and(|s| {
        s.ends_with(".amazonaws.com")
            && !matches!(s, "signin.amazonaws.com" | "console.amazonaws.com")
    }) {
        return true;
    }
    let ua = rec.user_agent().unwrap_or("").to_ascii_lowercase();
    ["cloudformation", "terraform", "servicecatalog", "pulumi"]
        .iter()
        .any(|m| ua.contains(m))
}

/// The caller is the IAM user named `target` (exact, case-sensitive: IAM user names
/// are case-insensitive for uniqueness but CloudTrail writes them as created).
pub fn caller_is_user(rec: &Record, target: &str) -> bool {
    rec.identity_type() == Some("IAMUser") && rec.user_name() == Some(target)
}

/// The caller and the request as evidence: the API, who called (name and type),
/// from where, with what, and the request parameters `params` as they were sent.
pub fn change_evidence(rec: &Record, params: &[&'static str]) -> Evidence {
    let mut e = Evidence::new()
        .with("api", rec.event_name())
        .with("caller", crate::event::actor_display(rec))
        .with_opt("caller_type", rec.identity_type())
        .with_opt("source_ip", rec.source_ip())
        .with_opt("user_agent", rec.user_agent());
    for p in params {
        e = e.with_json(p, rec.request_param(p));
    }
    e
}

/// The common stateless IAM change: one of `names` of `source` succeeded and was
/// not made by a service or infrastructure-as-code. Its evidence names `params`.
pub fn manual_change(
    rec: &Record,
    source: &str,
    names: &[&str],
    params: &[&'static str],
) -> Option<Evidence> {
    if !is_event(rec, source, names) || !rec.succeeded() || service_or_iac_caller(rec) {
        return None;
    }
    Some(change_evidence(rec, params))
}

/// A successful `event` (`AttachUserPolicy`, `AttachRolePolicy`, `AttachGroupPolicy`)
/// of an AWS managed policy (`arn:<partition>:iam::aws:policy/<path><name>`) whose
/// name `wanted` accepts. The evidence names the target (`target_param`) and policy.
pub fn aws_managed_policy_attached(
    rec: &Record,
    event: &str,
    target_param: &'static str,
    wanted: impl Fn(&str) -> bool,
) -> Option<Evidence> {
    if !is_event(rec, IAM, &[event]) || !rec.succeeded() {
        return None;
    }
    let (partition, path) = rec
        .request_param_str("policyArn")?
        .trim()
        .split_once(":iam::aws:policy/")?;
    if partition != "arn:aws" && !partition.starts_with("arn:aws-") {
        return None;
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    wanted(name).then(|| change_evidence(rec, &[target_param, "policyArn"]))
}

/// The "new terms" observation of a caller: the term `<account>|<actor>`, and
/// `|<extra>` when given (e.g. the role it touched).
pub fn first_seen_by_actor(
    rec: &Record,
    extra: Option<&str>,
    evidence: Evidence,
) -> Option<crate::detection::Signal> {
    let group = account_actor_group(rec);
    let term = match extra {
        Some(x) => format!("{group}|{x}"),
        None => group,
    };
    Some(crate::detection::Signal::FirstSeen { term, evidence })
}

/// The account id in a principal of a policy: a bare 12-digit id, or the account
/// field of an ARN (`arn:aws:iam::111122223333:root`). `None` for anything else.
pub fn principal_account(principal: &str) -> Option<&str> {
    let p = principal.trim();
    let account = if p.starts_with("arn:") {
        p.split(':').nth(4)?
    } else {
        p
    };
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then_some(account)
}

/// The AWS principals an `Allow` statement of a trust policy lets in that are not
/// of `own_account`: `*` (anyone), or principals of another account. `own_account`
/// `None` keeps only `*`. An `Allow` with `NotPrincipal` lets in nearly everyone and
/// counts as `*`.
pub fn foreign_trusted_principals(
    doc: &serde_json::Value,
    own_account: Option<&str>,
) -> Vec<String> {
    use crate::detections::create_policy_version_allow_all::one_or_many;
    let mut out = Vec::new();
    let statements = doc.get("Statement").map(one_or_many).unwrap_or(&[]);
    for st in statements.iter().filter_map(serde_json::Value::as_object) {
        let allow = st
            .get("Effect")
            .and_then(serde_json::Value::as_str)
            .is_some_and(|e| e.trim().eq_ignore_ascii_case("allow"));
        if !allow {
            continue;
        }
        if st.contains_key("NotPrincipal") {
            out.push("*".to_owned());
            continue;
        }
        let aws: &[serde_json::Value] = match st.get("Principal") {
            // `"Principal": "*"`; any other string is not a valid principal.
            Some(p @ serde_json::Value::String(_)) => std::slice::from_ref(p),
            Some(serde_json::Value::Object(p)) => p.get("AWS").map(one_or_many).unwrap_or(&[]),
            _ => &[],
        };
        for v in aws.iter().filter_map(serde_json::Value::as_str) {
            let v = v.trim();
            let foreign = v == "*"
                || matches!((principal_account(v), own_account), (Some(a), Some(own)) if a != own);
            if foreign && !out.iter().any(|o| o == v) {
                out.push(v.to_owned());
            }
        }
    }
    out
}

/// The caller holds an EC2 instance profile's credentials: an assumed-role session
/// named after the instance (`principalId` `AROA...:i-0abc...`, ARN
/// `.../assumed-role/<role>/i-0abc...`).
pub fn instance_credentials(rec: &Record) -> bool {
    let Some(u) = rec.identity() else {
        return false;
    };
    let session_is_instance = |s: Option<&str>, sep: char| {
        s.and_then(|s| s.rsplit_once(sep))
            .is_some_and(|(_, session)| session.starts_with("i-"))
    };
    rec.identity_type() == Some("AssumedRole")
        && (session_is_instance(u.principal_id.as_deref(), ':')
            || session_is_instance(u.arn.as_deref(), '/'))
}

#[cfg(test)]
pub mod iam_testing {
    //! Records and callers for the iam-persistence unit tests.

    pub const USER: &str = r#"{"type":"IAMUser","principalId":"AIDAEXAMPLEALICE0001",
        "arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333",
        "accessKeyId":"AKIAEXAMPLEALICE0001","userName":"alice"}"#;
    pub const ROLE: &str = r#"{"type":"AssumedRole","principalId":"AROAEXAMPLEOPS:ops-session",
        "arn":"arn:aws:sts::111122223333:assumed-role/Ops/ops-session","accountId":"111122223333",
        "accessKeyId":"ASIAEXAMPLEOPS000001","sessionContext":{"sessionIssuer":{"type":"Role",
        "arn":"arn:aws:iam::111122223333:role/Ops","userName":"Ops"},
        "attributes":{"mfaAuthenticated":"false","creationDate":"2026-06-03T09:00:00Z"}}}"#;
    pub const ROOT: &str = r#"{"type":"Root","principalId":"111122223333",
        "arn":"arn:aws:iam::111122223333:root","accountId":"111122223333"}"#;
    pub const FEDERATED: &str = r#"{"type":"FederatedUser","principalId":"111122223333:bob",
        "arn":"arn:aws:sts::111122223333:federated-user/bob","accountId":"111122223333",
        "sessionContext":{"sessionIssuer":{"type":"IAMUser","userName":"bob"}}}"#;
    pub const CFN: &str = r#"{"type":"AssumedRole","principalId":"AROAEXAMPLECFN:AWSCloudFormation",
        "arn":"arn:aws:sts::111122223333:assumed-role/CfnDeploy/AWSCloudFormation",
        "accountId":"111122223333","invokedBy":"cloudformation.amazonaws.com"}"#;

    /// A record of `source`/`name` by `identity` with `params` (JSON text) and
    /// `extra` (`"key":value,` pairs, e.g. an error code).
    pub fn record(source: &str, name: &str, identity: &str, params: &str, extra: &str) -> String {
        format!(
            r#"{{"eventVersion":"1.09","eventSource":"{source}","eventName":"{name}",
            "eventTime":"2026-06-03T10:00:00Z","awsRegion":"us-east-1","eventID":"0b5d6f5e-0000-4000-8000-000000000001",
            "recipientAccountId":"111122223333","sourceIPAddress":"203.0.113.20",
            "userAgent":"aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64",
            "userIdentity":{identity},{extra}"requestParameters":{params},"responseElements":null}}"#
        )
    }

    /// The term of a first-seen observation, `None` when the detection stays silent.
    pub fn first_seen_term(det: &dyn crate::detection::Detection, json: &str) -> Option<String> {
        match super::testing::eval(det, json) {
            Some(crate::detection::Signal::FirstSeen { term, .. }) => Some(term),
            None => None,
            other => panic!("expected a first-seen observation, got {other:?}"),
        }
    }

    /// What every "AdministratorAccess attached" detection must do, for `event`
    /// naming its target in `param`: fire for every caller type and partition, and
    /// stay silent on look-alike policies, failures, missing parameters and the
    /// other attach calls.
    pub fn check_admin_attachment(det: &dyn crate::detection::Detection, event: &str, param: &str) {
        use super::testing::fires;
        let attach = |who: &str, arn: &str| {
            iam(
                event,
                who,
                &format!(r#"{{"{param}":"target","policyArn":"{arn}"}}"#),
            )
        };
        let admin = "arn:aws:iam::aws:policy/AdministratorAccess";
        for who in [USER, ROLE, ROOT, FEDERATED, CFN] {
            assert!(fires(det, &attach(who, admin)), "{event} by {who}");
        }
        let gov = "arn:aws-us-gov:iam::aws:policy/AdministratorAccess";
        assert!(fires(det, &attach(USER, gov)), "{event} in GovCloud");
        for arn in [
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "arn:aws:iam::aws:policy/AdministratorAccess-Amplify",
            "arn:aws:iam::111122223333:policy/AdministratorAccess",
            "arn:evil:iam::aws:policy/AdministratorAccess",
            "",
        ] {
            assert!(!fires(det, &attach(USER, arn)), "{event} of {arn}");
        }
        let params = format!(r#"{{"policyArn":"{admin}"}}"#);
        assert!(!fires(
            det,
            &iam_failed(event, USER, &params, "AccessDenied")
        ));
        assert!(!fires(det, &iam(event, USER, "null")));
        assert!(!fires(det, &iam(event, USER, "{}")));
        for other in [
            "AttachUserPolicy",
            "AttachRolePolicy",
            "AttachGroupPolicy",
            "DetachUserPolicy",
        ] {
            if other != event {
                assert!(!fires(det, &iam(other, USER, &params)), "{other}");
            }
        }
    }

    /// What the "sensitive IAM call from <environment>" detections must do, given
    /// the user agent of that environment and a caller there: fire on sensitive
    /// calls made there, not on the same calls elsewhere, reads or failures; and
    /// their raw check keeps exactly the records with that user agent.
    pub fn check_sensitive_iam_from(det: &dyn crate::detection::Detection, there: &str, who: &str) {
        use super::testing::fires;
        let cli = "aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64";
        let from_there = |event: &str, params: &str| iam(event, who, params).replace(cli, there);
        for event in [
            "CreateUser",
            "CreateAccessKey",
            "AttachUserPolicy",
            "UpdateAssumeRolePolicy",
        ] {
            assert!(
                fires(det, &from_there(event, r#"{"userName":"x"}"#)),
                "{event}"
            );
        }
        assert!(!fires(det, &iam("CreateUser", who, r#"{"userName":"x"}"#)));
        assert!(!fires(det, &from_there("ListUsers", "null")));
        let denied = from_there("CreateUser", "null").replace(
            r#""requestParameters""#,
            r#""errorCode":"AccessDenied","requestParameters""#,
        );
        assert!(!fires(det, &denied));
        let peek_of = |json: &str| {
            let p = crate::event::prefilter::peek(json.as_bytes()).expect("plain record");
            det.may_match_raw(&p, json.as_bytes())
        };
        assert!(peek_of(&from_there("CreateUser", "null")));
        assert!(!peek_of(&iam("CreateUser", who, "null")));
    }

    /// A successful IAM call.
    pub fn iam(name: &str, identity: &str, params: &str) -> String {
        record(super::IAM, name, identity, params, "")
    }

    /// A failed IAM call with `code`.
    pub fn iam_failed(name: &str, identity: &str, params: &str, code: &str) -> String {
        let extra = format!(r#""errorCode":"{code}","errorMessage":"denied or invalid","#);
        record(super::IAM, name, identity, params, &extra)
    }
}
