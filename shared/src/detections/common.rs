//! Predicates and evidence shared by several detections.

use std::net::IpAddr;

use crate::detection::Evidence;
use crate::event::Record;
use crate::event::prefilter::Needle;

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

/// The first of `keys` present in `requestParameters`: some services log their keys
/// in PascalCase, others in camelCase (`ControlStatus`, `controlStatus`).
pub fn request_param_any<'r>(rec: &'r Record, keys: &[&str]) -> Option<&'r serde_json::Value> {
    keys.iter().find_map(|k| rec.request_param(k))
}

/// An enum-like text value equal to `want`, without regard to case or padding.
pub fn text_is(v: Option<&serde_json::Value>, want: &str) -> bool {
    v.and_then(|v| v.as_str())
        .is_some_and(|s| s.trim().eq_ignore_ascii_case(want))
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

    /// Every sample of `events/` as one compact line (how JSON lines and log
    /// files hold it), and its envelope's `detail` likewise.
    pub fn sample_lines() -> Vec<String> {
        let events = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../events");
        let mut texts = Vec::new();
        for dir in std::fs::read_dir(&events).expect("events/").flatten() {
            for file in std::fs::read_dir(dir.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                let Ok(text) = std::fs::read_to_string(file.path()) else {
                    continue;
                };
                let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
                    continue;
                };
                texts.push(serde_json::to_string(&v).expect("JSON"));
                if let Some(detail) = v.get("detail") {
                    texts.push(serde_json::to_string(detail).expect("JSON"));
                }
            }
        }
        texts
    }

    /// Evaluates `det` on the record in `json` (a raw CloudTrail record).
    pub fn eval(det: &dyn Detection, json: &str) -> Option<Signal> {
        let rec = Record::from_json(json).expect("test record parses");
        let got = det.evaluate(&rec);
        // Replay skips what the raw check refuses: it must keep every record
        // `evaluate` takes.
        if got.is_some() {
            assert_ne!(raw(det, json), Some(false), "raw check refused {json}");
        }
        got
    }

    /// The detection's raw check on `json`, `None` when the peek gives up (the
    /// record is then parsed whatever the check says).
    pub fn raw(det: &dyn Detection, json: &str) -> Option<bool> {
        let p = crate::event::prefilter::peek(json.as_bytes())?;
        Some(det.may_match_raw(&p, json.as_bytes()))
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
    joined(
        &[
            rec.account_id().unwrap_or("unknown"),
            crate::event::actor_key(rec),
        ],
        '|',
    )
}

/// `source:name`, the value the discovery windows count.
pub fn call_value(rec: &Record) -> String {
    joined(&[rec.event_source(), rec.event_name()], ':')
}

/// `parts` joined by `sep`, in one allocation (keys built for every observation
/// of a window, where `format!` showed in profiles).
pub fn joined(parts: &[&str], sep: char) -> String {
    let len = parts.iter().map(|p| p.len() + sep.len_utf8()).sum();
    let mut out = String::with_capacity(len);
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.push(sep);
        }
        out.push_str(p);
    }
    out
}

// --- Helpers for #6 cloudtrail-log-evasion and #8 cloudtrail-log-updated.

/// Whether a count that CloudTrail may write as a JSON number or as its text
/// (`backupRetentionPeriod`, `partNumber`) is `n`.
pub fn count_is(v: Option<&serde_json::Value>, n: u64) -> bool {
    match v {
        Some(serde_json::Value::Number(x)) => x.as_u64() == Some(n),
        Some(serde_json::Value::String(s)) => s.trim() == n.to_string(),
        _ => false,
    }
}

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

// --- compute-network: EC2, VPC, security groups, Lambda, containers, Systems Manager.

/// The Lambda operation of an `eventName`: CloudTrail appends the API version to most
/// Lambda operations (`UpdateFunctionCode20150331v2`, `AddPermission20150331`,
/// `CreateFunctionUrlConfig20211031`), so the name without that suffix is compared.
/// A name without a suffix is returned as it is.
pub fn lambda_operation(event_name: &str) -> &str {
    // The suffix is eight digits (the API date), optionally `v` and more digits.
    let bytes = event_name.as_bytes();
    let Some(start) = bytes.iter().position(u8::is_ascii_digit) else {
        return event_name;
    };
    let (op, suffix) = event_name.split_at(start);
    let date_len = suffix.bytes().take_while(u8::is_ascii_digit).count();
    let rest = &suffix[date_len..];
    let version_ok = rest.is_empty()
        || rest
            .strip_prefix('v')
            .is_some_and(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()));
    if date_len == 8 && version_ok && !op.is_empty() {
        op
    } else {
        event_name
    }
}

/// An AWS service acting on its own or on a caller's behalf (`userIdentity.type`
/// `AWSService`, or `invokedBy` naming a service such as `ssm.amazonaws.com`). The
/// console's own `signin.amazonaws.com` and `console.amazonaws.com` are not services
/// here: CloudTrail names them for calls a person made in the web console.
pub fn aws_service_caller(rec: &Record) -> bool {
    rec.identity_type() == Some("AWSService")
        || rec.invoked_by().is_some_and(|s| {
            s.ends_with(".amazonaws.com")
                && !matches!(s, "signin.amazonaws.com" | "console.amazonaws.com")
        })
}

/// An `AWSService` identity, or a call that one of `services` made for someone
/// (`invokedBy`). For the detections where a call another service made on a
/// person's behalf (a CloudFormation stack creating or deleting the resource) is the
/// same act as the person's own: they leave out only the services named.
pub fn aws_service_among(rec: &Record, services: &[&str]) -> bool {
    rec.identity_type() == Some("AWSService")
        || rec.invoked_by().is_some_and(|s| services.contains(&s))
}

/// The call came from an infrastructure-as-code or cluster tool (Terraform, Pulumi,
/// CloudFormation, the CDK, eksctl), judged by the user agent or the invoking service.
/// Such changes are usually reviewed and repeated; the user agent is attacker-controlled,
/// so this only lowers noise and never decides on its own that a call is safe.
pub fn deployment_tool_caller(rec: &Record) -> bool {
    const TOOLS: [&str; 6] = [
        "terraform",
        "pulumi",
        "cloudformation",
        "aws-cdk",
        "eksctl",
        "cdk/",
    ];
    let ua = rec.user_agent().unwrap_or("").to_ascii_lowercase();
    TOOLS.iter().any(|t| ua.contains(t))
        || rec.invoked_by() == Some("cloudformation.amazonaws.com")
        || rec.source_ip() == Some("cloudformation.amazonaws.com")
}

/// A CIDR block that covers every address of its family: prefix length 0
/// (`0.0.0.0/0`, `::/0`, or any address written with `/0`).
pub fn cidr_covers_internet(cidr: &str) -> bool {
    match cidr.trim().split_once('/') {
        Some((addr, len)) => addr.trim().parse::<IpAddr>().is_ok() && len.trim() == "0",
        None => false,
    }
}

/// `requestParameters.instanceId` of an EC2 call, trimmed, when present.
pub fn instance_id_param<'r>(rec: &'r Record) -> Option<&'r str> {
    rec.request_param_str("instanceId")
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The evidence every compute-network finding starts from: region, source address
/// and user agent of the call.
pub fn call_context(rec: &Record) -> Evidence {
    Evidence::new()
        .with_opt("region", rec.region())
        .with_opt("source_ip", rec.source_ip())
        .with_opt("user_agent", rec.user_agent())
}

#[cfg(test)]
pub mod compute_testing {
    //! Records for the compute-network unit tests.

    pub const IAM_USER: &str = r#"{"type":"IAMUser","principalId":"AIDAEXAMPLEUSER00001",
        "arn":"arn:aws:iam::111122223333:user/dana","accountId":"111122223333",
        "accessKeyId":"AKIAEXAMPLEKEY000001","userName":"dana"}"#;
    pub const ROLE: &str = r#"{"type":"AssumedRole","principalId":"AROAEXAMPLEROLE00001:ops-7",
        "arn":"arn:aws:sts::111122223333:assumed-role/OpsAdmin/ops-7","accountId":"111122223333",
        "accessKeyId":"ASIAEXAMPLEKEY000001","sessionContext":{"sessionIssuer":{"type":"Role",
        "principalId":"AROAEXAMPLEROLE00001","arn":"arn:aws:iam::111122223333:role/OpsAdmin",
        "accountId":"111122223333","userName":"OpsAdmin"},
        "attributes":{"creationDate":"2026-05-04T09:00:00Z","mfaAuthenticated":"false"}}}"#;
    pub const ROOT: &str = r#"{"type":"Root","principalId":"111122223333",
        "arn":"arn:aws:iam::111122223333:root","accountId":"111122223333"}"#;
    pub const SERVICE: &str = r#"{"type":"AWSService","invokedBy":"ssm.amazonaws.com"}"#;
    /// A denied call, as EC2 writes it (`extra` of [`record`]).
    pub const DENIED: &str = r#""errorCode":"Client.UnauthorizedOperation",
        "errorMessage":"You are not authorized to perform this operation.","#;
    /// A denied call, as most other services write it.
    pub const ACCESS_DENIED: &str =
        r#""errorCode":"AccessDeniedException","errorMessage":"User is not authorized","#;

    /// One CloudTrail record. `params` is the JSON of `requestParameters` (may be
    /// `null`); `extra` is more top-level members, each followed by a comma.
    pub fn record(source: &str, name: &str, identity: &str, params: &str, extra: &str) -> String {
        format!(
            r#"{{"eventVersion":"1.10","eventSource":"{source}","eventName":"{name}",
            "eventTime":"2026-05-04T10:15:00Z","awsRegion":"us-east-1","recipientAccountId":"111122223333",
            "sourceIPAddress":"203.0.113.24","userAgent":"aws-cli/2.17.20 md/Botocore#1.34.150 os/linux",
            "eventID":"6a1f0e1c-0000-4000-8000-000000000001","userIdentity":{identity},{extra}
            "requestParameters":{params}}}"#
        )
    }
}

/// What a network ACL call says about its rule: ACL id, rule number, direction,
/// action, protocol and CIDR, as far as the request carries them.
pub fn nacl_entry_evidence(e: Evidence, rec: &Record) -> Evidence {
    e.with_opt("network_acl_id", rec.request_param_str("networkAclId"))
        .with_json("rule_number", rec.request_param("ruleNumber"))
        .with_json("egress", rec.request_param("egress"))
        .with_opt("rule_action", rec.request_param_str("ruleAction"))
        .with_json("protocol", rec.request_param("aclProtocol"))
        .with_opt("cidr_block", rec.request_param_str("cidrBlock"))
        .with_opt("ipv6_cidr_block", rec.request_param_str("ipv6CidrBlock"))
}

/// What a route call says: table, destination and the target it points at.
pub fn route_evidence(e: Evidence, rec: &Record) -> Evidence {
    const TARGETS: [&str; 7] = [
        "gatewayId",
        "natGatewayId",
        "instanceId",
        "networkInterfaceId",
        "vpcPeeringConnectionId",
        "transitGatewayId",
        "vpcEndpointId",
    ];
    let target = TARGETS
        .iter()
        .find_map(|k| rec.request_param_str(k).map(|v| (*k, v)));
    let e = e
        .with_opt("route_table_id", rec.request_param_str("routeTableId"))
        .with_opt(
            "destination",
            rec.request_param_str("destinationCidrBlock")
                .or_else(|| rec.request_param_str("destinationIpv6CidrBlock")),
        );
    match target {
        Some(("gatewayId", v)) => e.with("gateway_id", v),
        Some((k, v)) => e.with("target_kind", k).with("target", v),
        None => e,
    }
}
// --- Security services and account controls (GuardDuty, Security Hub, detective
// --- services, organisation and Region settings, sign-ins): helpers of that theme.

/// A call of one of `names` on `source` that succeeded (no `errorCode`/`errorMessage`).
pub fn succeeded_call(rec: &Record, source: &str, names: &[&str]) -> bool {
    rec.event_source() == source && names.contains(&rec.event_name()) && rec.succeeded()
}

/// `requestParameters.<key>` read as a flag (JSON boolean or `"true"`/`"false"` text).
pub fn request_flag(rec: &Record, key: &str) -> Option<bool> {
    rec.request_param(key).and_then(flag_value)
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

/// The three WAF APIs: classic global, classic regional, and WAFv2.
pub const WAF_SOURCES: [&str; 3] = [
    "waf.amazonaws.com",
    "waf-regional.amazonaws.com",
    "wafv2.amazonaws.com",
];

/// The triggers of a WAF detection: `names` on each of the WAF APIs.
pub const fn waf_triggers(names: &'static [&'static str]) -> [crate::detection::Trigger; 3] {
    use crate::detection::Trigger;
    [
        Trigger::write(WAF_SOURCES[0], names),
        Trigger::write(WAF_SOURCES[1], names),
        Trigger::write(WAF_SOURCES[2], names),
    ]
}

/// A successful call of one of `names` on any of the WAF APIs.
pub fn succeeded_waf_call(rec: &Record, names: &[&str]) -> bool {
    WAF_SOURCES
        .iter()
        .any(|source| succeeded_call(rec, source, names))
}

/// The evidence of a WAF change: which API, the resource's name and id (WAFv2 uses
/// `name`/`id`, classic WAF `webACLId`/`ruleId`/`ruleGroupId`), and its scope.
pub fn waf_evidence(rec: &Record) -> Evidence {
    Evidence::new()
        .with("action", rec.event_name())
        .with("api", rec.event_source())
        .with_opt("name", rec.request_param_str("name"))
        .with_opt(
            "id",
            ["id", "webACLId", "ruleId", "ruleGroupId"]
                .iter()
                .find_map(|k| rec.request_param_str(k)),
        )
        .with_opt("resource_arn", rec.request_param_str("resourceArn"))
        .with_opt("scope", rec.request_param_str("scope"))
}

#[cfg(test)]
pub mod calls {
    //! Test records of the security-services theme: one API call by an IAM user.

    /// A successful `name` call on `source` by the IAM user `x` of 111122223333, with
    /// `params` (JSON text) as its `requestParameters`.
    pub fn call(source: &str, name: &str, params: &str) -> String {
        format!(
            r#"{{"eventSource":"{source}","eventName":"{name}","awsRegion":"us-east-1",
            "sourceIPAddress":"192.0.2.30","userAgent":"aws-cli/2.15.0",
            "userIdentity":{{"type":"IAMUser","principalId":"AIDAEXAMPLE",
              "arn":"arn:aws:iam::111122223333:user/x","accountId":"111122223333","userName":"x"}},
            "requestParameters":{params},"responseElements":null}}"#
        )
    }

    /// The same record, refused with error `code`.
    pub fn failed(json: &str, code: &str) -> String {
        let error = format!(r#""errorCode":"{code}","errorMessage":"refused","requestParameters""#);
        let out = json.replacen("\"requestParameters\"", &error, 1);
        assert_ne!(
            out, json,
            "the record has no requestParameters to put the error before"
        );
        out
    }
}

/// Evidence made of request parameters: each `(key, parameter)` pair adds
/// `requestParameters.<parameter>` under `key` when it is a non-empty string.
pub fn params_evidence(rec: &Record, pairs: &[(&'static str, &str)]) -> Evidence {
    pairs.iter().fold(Evidence::new(), |e, (key, param)| {
        e.with_opt(key, rec.request_param_str(param))
    })
}

// --- data-exposure: resource policies, sharing lists and callers, shared by the
// --- detections of the data-exposure group.

/// True for a 12-digit AWS account id.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The account of an ARN (`arn:<partition>:<service>:<region>:<account>:...`),
/// when it is a 12-digit account id.
pub fn arn_account(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    if parts.next()? != "arn" {
        return None;
    }
    let account = parts.nth(3)?;
    is_account_id(account).then_some(account)
}

/// A policy document carried by a request field: CloudTrail writes it as JSON text
/// (KMS, ECR, Secrets Manager) or as an object (S3 `bucketPolicy`). `None` when it
/// is neither, or text that is not a JSON object.
pub fn policy_document(v: &serde_json::Value) -> Option<serde_json::Value> {
    match v {
        serde_json::Value::Object(_) => Some(v.clone()),
        serde_json::Value::String(s) => serde_json::from_str::<serde_json::Value>(s)
            .ok()
            .filter(|d| d.is_object()),
        _ => None,
    }
}

/// A JSON value that may be one item or a list of items, as items.
pub fn one_or_many(v: Option<&serde_json::Value>) -> Vec<&serde_json::Value> {
    match v {
        Some(serde_json::Value::Array(items)) => items.iter().collect(),
        Some(serde_json::Value::Null) | None => Vec::new(),
        Some(other) => vec![other],
    }
}

/// The `Allow` statements of a policy document (`Statement` is an object or a list).
pub fn allow_statements(doc: &serde_json::Value) -> Vec<&serde_json::Value> {
    one_or_many(doc.get("Statement"))
        .into_iter()
        .filter(|s| {
            s.get("Effect")
                .and_then(|e| e.as_str())
                .is_some_and(|e| e.trim().eq_ignore_ascii_case("Allow"))
        })
        .collect()
}

/// True when a statement's `Principal` is everyone: `"*"`, or `{"AWS": "*"}` (alone
/// or in a list).
pub fn principal_is_anyone(principal: Option<&serde_json::Value>) -> bool {
    match principal {
        Some(serde_json::Value::String(s)) => s.trim() == "*",
        Some(serde_json::Value::Object(m)) => one_or_many(m.get("AWS"))
            .iter()
            .any(|p| p.as_str().is_some_and(|s| s.trim() == "*")),
        _ => false,
    }
}

/// The accounts named by a statement's `Principal.AWS` (account ids or IAM ARNs).
pub fn principal_accounts(principal: Option<&serde_json::Value>) -> Vec<&str> {
    let Some(serde_json::Value::Object(m)) = principal else {
        return Vec::new();
    };
    one_or_many(m.get("AWS"))
        .into_iter()
        .filter_map(|p| p.as_str())
        .map(str::trim)
        .filter_map(|p| {
            if is_account_id(p) {
                Some(p)
            } else {
                arn_account(p)
            }
        })
        .collect()
}

/// True when the statement covers `action` (`service:Name`): one of its `Action`
/// patterns (a string or list) matches it, or it has only a `NotAction` and none of
/// those patterns does (an `Allow` with `NotAction` allows everything it does not
/// list). Patterns are IAM's: `*` and `?` may stand anywhere (`kms:*crypt`,
/// `kms:Encr?pt`), and letter case is ignored.
pub fn statement_allows_action(statement: &serde_json::Value, action: &str) -> bool {
    let matches = |key: &str| {
        one_or_many(statement.get(key))
            .iter()
            .filter_map(|a| a.as_str())
            .any(|pattern| action_pattern_matches(pattern.trim(), action))
    };
    match (statement.get("Action"), statement.get("NotAction")) {
        (Some(_), _) => matches("Action"),
        (None, Some(_)) => !matches("NotAction"),
        (None, None) => false,
    }
}

/// An IAM action pattern against an action name: `*` any run of characters, `?`
/// any one, letters compared without case.
pub fn action_pattern_matches(pattern: &str, action: &str) -> bool {
    crate::rules::matcher::greedy_wildcard(
        pattern.as_bytes(),
        action.as_bytes(),
        |&p| p == b'*',
        |&p, &c| p == b'?' || p.eq_ignore_ascii_case(&c),
    )
}

#[cfg(test)]
mod action_pattern_tests {
    use super::{action_pattern_matches, statement_allows_action};
    use serde_json::json;

    #[test]
    fn wildcards_stand_anywhere_and_case_is_ignored() {
        for pattern in [
            "kms:Encrypt",
            "KMS:ENCRYPT",
            "*",
            "kms:*",
            "kms:*crypt",
            "kms:Encr?pt",
            "*:*",
            "kms:*Encrypt*",
            "k*s:E*t",
            "kms:**",
        ] {
            assert!(action_pattern_matches(pattern, "kms:Encrypt"), "{pattern}");
        }
        for pattern in [
            "kms:Decrypt",
            "kms:Encrypt?",
            "kms:?Encrypt",
            "kms:E",
            "s3:*",
            "",
            "kms:Encrypt*x",
            "?",
        ] {
            assert!(!action_pattern_matches(pattern, "kms:Encrypt"), "{pattern}");
        }
        // Many stars against a name that does not match stay cheap and false.
        assert!(!action_pattern_matches(&"*a".repeat(500), "kms:Encrypt"));
    }

    #[test]
    fn not_action_allows_what_it_does_not_list() {
        let allows = |st: serde_json::Value| statement_allows_action(&st, "kms:Encrypt");
        assert!(allows(
            json!({"Effect": "Allow", "NotAction": "kms:ScheduleKeyDeletion"})
        ));
        assert!(allows(
            json!({"Effect": "Allow", "NotAction": ["iam:*", "kms:Decrypt"]})
        ));
        assert!(!allows(json!({"Effect": "Allow", "NotAction": "kms:*"})));
        assert!(!allows(
            json!({"Effect": "Allow", "NotAction": ["kms:Encr*"]})
        ));
        assert!(allows(
            json!({"Effect": "Allow", "Action": ["kms:Describe*", "kms:*crypt"]})
        ));
        assert!(!allows(
            json!({"Effect": "Allow", "Action": ["kms:Describe*"], "NotAction": "iam:*"})
        ));
        assert!(!allows(json!({"Effect": "Allow"})));
    }
}

/// What a resource policy opens beyond its own account.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PolicyExposure {
    /// An `Allow` statement whose principal is everyone and that has no `Condition`
    /// that restricts (a condition such as `aws:PrincipalOrgID` or `aws:SourceVpc`
    /// narrows it, and we do not evaluate conditions; an empty block narrows
    /// nothing: [`condition_restricts`]).
    pub public: bool,
    /// Other accounts named in `Allow` statements, sorted, without duplicates.
    pub accounts: Vec<String>,
}

impl PolicyExposure {
    pub fn exposed(&self) -> bool {
        self.public || !self.accounts.is_empty()
    }
    pub fn evidence(&self, e: Evidence) -> Evidence {
        let e = if self.public {
            e.with("public", true)
        } else {
            e
        };
        if self.accounts.is_empty() {
            e
        } else {
            e.with("other_accounts", self.accounts.clone())
        }
    }
}

/// Reads the `Allow` statements of `doc` (those `relevant` keeps) for grants to
/// everyone or to accounts other than `own_account`.
pub fn policy_exposure(
    doc: &serde_json::Value,
    own_account: Option<&str>,
    relevant: impl Fn(&serde_json::Value) -> bool,
) -> PolicyExposure {
    let mut out = PolicyExposure::default();
    for st in allow_statements(doc).into_iter().filter(|s| relevant(s)) {
        let principal = st.get("Principal");
        if principal_is_anyone(principal) && !condition_restricts(st.get("Condition")) {
            out.public = true;
        }
        for account in principal_accounts(principal) {
            if Some(account) != own_account && !out.accounts.iter().any(|a| a == account) {
                out.accounts.push(account.to_owned());
            }
        }
    }
    out.accounts.sort();
    out
}

/// Whether a statement's `Condition` block can narrow it: some operator with some
/// key. An empty block (`{}`, or `{"StringEquals": {}}`) restricts nothing, so a
/// statement that carries one is as open as one without: it must not hide a grant
/// to everyone. A value of another shape is taken as restricting (we do not
/// evaluate conditions, and do not guess at ones we cannot read).
pub fn condition_restricts(condition: Option<&serde_json::Value>) -> bool {
    use serde_json::Value;
    match condition {
        None | Some(Value::Null) => false,
        Some(Value::Object(operators)) => operators.values().any(|keys| match keys {
            Value::Object(keys) => !keys.is_empty(),
            Value::Null => false,
            _ => true,
        }),
        Some(_) => true,
    }
}

/// The items of an EC2 sharing list's `add` (`{"add": {"items": [...]}}`), one
/// item or many.
pub fn ec2_permission_items_added(list: Option<&serde_json::Value>) -> Vec<&serde_json::Value> {
    one_or_many(list.and_then(|l| l.get("add")).and_then(|a| a.get("items")))
}

/// The targets added by an EC2 sharing list (`launchPermission` of an image,
/// `createVolumePermission` of a snapshot): `{"add": {"items": [{"group": "all"} |
/// {"userId": "<account>"}]}}`. Public when the group `all` is added; accounts are
/// the 12-digit ids other than `own_account`.
pub fn ec2_permission_added(
    list: Option<&serde_json::Value>,
    own_account: Option<&str>,
) -> PolicyExposure {
    let mut out = PolicyExposure::default();
    for item in ec2_permission_items_added(list) {
        if item
            .get("group")
            .and_then(|g| g.as_str())
            .is_some_and(|g| g.trim().eq_ignore_ascii_case("all"))
        {
            out.public = true;
        }
        if let Some(user) = item.get("userId").and_then(|u| u.as_str()).map(str::trim)
            && is_account_id(user)
            && Some(user) != own_account
            && !out.accounts.iter().any(|a| a == user)
        {
            out.accounts.push(user.to_owned());
        }
    }
    out.accounts.sort();
    out
}

/// `<account>|<actor>|<suffix>`: a window group or first-seen term scoped to one
/// caller in one account and one more value (a bucket, a table...).
pub fn account_actor_and(rec: &Record, suffix: &str) -> String {
    format!("{}|{}", account_actor_group(rec), suffix)
}

#[cfg(test)]
pub mod data_testing {
    //! Records for the data-exposure unit tests.

    /// An assumed-role session in account 111122223333.
    pub const ROLE: &str = r#"{"type":"AssumedRole","principalId":"AROAEXAMPLEDATA01:ops-session",
        "arn":"arn:aws:sts::111122223333:assumed-role/DataOps/ops-session","accountId":"111122223333",
        "accessKeyId":"ASIAEXAMPLEDATA0001",
        "sessionContext":{"sessionIssuer":{"type":"Role","userName":"DataOps",
        "arn":"arn:aws:iam::111122223333:role/DataOps"},"attributes":{"mfaAuthenticated":"false"}}}"#;
    /// An IAM user in account 111122223333.
    pub const USER: &str = r#"{"type":"IAMUser","principalId":"AIDAEXAMPLEDATA02","arn":"arn:aws:iam::111122223333:user/mallory",
        "accountId":"111122223333","accessKeyId":"AKIAEXAMPLEDATA0002","userName":"mallory"}"#;
    /// The root user of account 111122223333.
    pub const ROOT: &str = r#"{"type":"Root","principalId":"111122223333","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333"}"#;
    /// An AWS service acting on its own.
    pub const SERVICE: &str = r#"{"type":"AWSService","invokedBy":"backup.amazonaws.com"}"#;

    /// A record of `source`/`name` by `identity`, with `requestParameters` `params`
    /// (JSON text) and `extra` top-level fields, each followed by a comma.
    pub fn record(source: &str, name: &str, identity: &str, params: &str, extra: &str) -> String {
        format!(
            r#"{{"eventVersion":"1.10","eventSource":"{source}","eventName":"{name}",
            "eventTime":"2026-05-04T10:00:00Z","awsRegion":"us-east-1","recipientAccountId":"111122223333",
            "sourceIPAddress":"203.0.113.77","userAgent":"aws-cli/2.17.0 Python/3.12.4",
            "userIdentity":{identity},{extra}"requestParameters":{params},"responseElements":null}}"#
        )
    }

    /// The same record, failed with `code`.
    pub fn failed(source: &str, name: &str, identity: &str, params: &str, code: &str) -> String {
        record(
            source,
            name,
            identity,
            params,
            &format!(r#""errorCode":"{code}","errorMessage":"denied or invalid","#),
        )
    }
}

// --- Discovery (group `discovery`): the reconnaissance call list and caller predicates.

/// The read-only calls an intruder makes first to map an account it has entered:
/// identity, users and roles, buckets, instances and snapshots, logging and threat
/// detection, secrets. Kept short on purpose: the discovery group's EventBridge rule
/// lists these names (read-only events flood a rule that does not), and its pattern
/// must stay within EventBridge's size limit.
pub static DISCOVERY_TRIGGERS: &[crate::detection::Trigger] = &[
    crate::detection::Trigger::read_only("sts.amazonaws.com", &["GetCallerIdentity"]),
    crate::detection::Trigger::read_only(
        "iam.amazonaws.com",
        &[
            "GetAccountAuthorizationDetails",
            "GetAccountSummary",
            "ListAccessKeys",
            "ListAttachedUserPolicies",
            "ListGroups",
            "ListPolicies",
            "ListRoles",
            "ListUsers",
        ],
    ),
    crate::detection::Trigger::read_only("s3.amazonaws.com", &["ListBuckets"]),
    crate::detection::Trigger::read_only(
        "ec2.amazonaws.com",
        &[
            "DescribeInstances",
            "DescribeKeyPairs",
            "DescribeRegions",
            "DescribeSecurityGroups",
            "DescribeSnapshots",
            "DescribeVpcs",
        ],
    ),
    crate::detection::Trigger::read_only("cloudtrail.amazonaws.com", &["DescribeTrails"]),
    crate::detection::Trigger::read_only("guardduty.amazonaws.com", &["ListDetectors"]),
    crate::detection::Trigger::read_only("lambda.amazonaws.com", &["ListFunctions20150331"]),
    crate::detection::Trigger::read_only("secretsmanager.amazonaws.com", &["ListSecrets"]),
    crate::detection::Trigger::read_only("ssm.amazonaws.com", &["DescribeParameters"]),
    crate::detection::Trigger::read_only("rds.amazonaws.com", &["DescribeDBInstances"]),
    crate::detection::Trigger::read_only("organizations.amazonaws.com", &["DescribeOrganization"]),
];

/// True when the record is one of [`DISCOVERY_TRIGGERS`].
pub fn is_discovery_call(rec: &Record) -> bool {
    let (source, name) = (rec.event_source(), rec.event_name());
    DISCOVERY_TRIGGERS.iter().any(|t| match t {
        crate::detection::Trigger::Events {
            source: s, names, ..
        } => *s == source && names.contains(&name),
        _ => false,
    })
}

/// `userIdentity.accessKeyId`, when present and not empty.
pub fn access_key_id<'r>(rec: &'r Record) -> Option<&'r str> {
    rec.identity()?
        .access_key_id
        .as_deref()
        .filter(|k| !k.is_empty())
}

/// A user agent of the AWS CLI. CloudTrail writes S3's user agents in square
/// brackets (`[aws-cli/2.18.5 ... md/command#s3.ls]`), other services' bare.
pub fn is_aws_cli_agent(ua: &str) -> bool {
    ua.strip_prefix('[').unwrap_or(ua).starts_with("aws-cli/")
}

/// The caller holds a long-term IAM access key (`AKIA...`), the kind that leaks in
/// code and is resold; session keys start with `ASIA`.
pub fn uses_long_term_key(rec: &Record) -> bool {
    access_key_id(rec).is_some_and(|k| k.starts_with("AKIA"))
}

/// The call was made with a key an IAM user (or root) holds outside the console: its
/// long-term key, or session keys it got for itself with `GetSessionToken` (the
/// identity stays the user; the console's own session is left out), which is how a
/// leaked key is often used so that its `AKIA` id appears once.
pub fn user_key_outside_console(rec: &Record) -> bool {
    uses_long_term_key(rec)
        || (matches!(rec.identity_type(), Some("IAMUser" | "Root"))
            && access_key_id(rec).is_some()
            && !rec.from_console_session())
}

/// The caller is an EC2 instance using its instance-profile role: an assumed-role
/// session named after the instance (`.../assumed-role/<role>/i-0abc...`).
pub fn uses_instance_credentials(rec: &Record) -> bool {
    if rec.identity_type() != Some("AssumedRole") {
        return false;
    }
    let session = |id: &str| {
        id.rsplit(['/', ':'])
            .next()
            .is_some_and(|s| s.len() > 2 && s.starts_with("i-"))
    };
    let Some(u) = rec.identity() else {
        return false;
    };
    u.arn.as_deref().is_some_and(session) || u.principal_id.as_deref().is_some_and(session)
}

/// The identity behind the call that stays the same across sessions: the role of an
/// assumed-role session (`sessionContext.sessionIssuer.arn`, when it names a role),
/// else the actor key. A federated user's issuer is the IAM user that asked for its
/// token: the federated user stays itself, since a federation token is a way to keep
/// access after that user's key is rotated, and its name is the requester's choice.
/// Session names change on every assumption (SDKs put a timestamp in them), so a
/// history kept per session would never recognise the role. IAM Identity Center
/// roles (`AWSReservedSSO_*`, path `aws-reserved/sso.amazonaws.com/`) are the
/// exception: every person given a permission set shares its role, and the session
/// name is the person, so the session is kept (one engineer is not another). So is a
/// session named like an e-mail address (`alice@example.com`): SAML and web identity
/// federation name sessions after the person signed in, and a role shared through
/// an identity provider is many people.
pub fn stable_principal<'r>(rec: &'r Record) -> &'r str {
    let issuer = rec
        .identity()
        .and_then(|u| u.session_context.as_ref())
        .and_then(|c| c.session_issuer.as_ref())
        .and_then(|i| i.arn.as_deref())
        .filter(|a| a.contains(":role/"));
    match issuer {
        Some(role) if !identity_center_role(role) && !person_session(rec) => role,
        _ => crate::event::actor_key(rec),
    }
}

/// The session of an assumed role is named like an e-mail address: a person's,
/// as identity providers name them.
fn person_session(rec: &Record) -> bool {
    rec.identity()
        .and_then(|u| u.arn.as_deref())
        .and_then(|arn| arn.rsplit_once('/'))
        .is_some_and(|(_, session)| {
            session
                .split_once('@')
                .is_some_and(|(user, domain)| !user.is_empty() && domain.contains('.'))
        })
}

/// A role IAM Identity Center made for a permission set.
fn identity_center_role(role_arn: &str) -> bool {
    role_arn.contains("/aws-reserved/sso.amazonaws.com/")
        || role_arn
            .rsplit('/')
            .next()
            .is_some_and(|name| name.starts_with("AWSReservedSSO_"))
}

#[cfg(test)]
mod stable_principal_tests {
    use super::stable_principal;
    use crate::event::Record;

    fn session(issuer: &str, session_arn: &str) -> String {
        format!(
            r#"{{"eventSource":"ec2.amazonaws.com","eventName":"RunInstances","userIdentity":{{
            "type":"AssumedRole","arn":"{session_arn}","accountId":"111122223333",
            "sessionContext":{{"sessionIssuer":{{"type":"Role","arn":"{issuer}"}}}}}}}}"#
        )
    }

    #[test]
    fn a_role_stands_for_its_sessions_but_an_identity_center_session_is_its_person() {
        let sdk = session(
            "arn:aws:iam::111122223333:role/Deploy",
            "arn:aws:sts::111122223333:assumed-role/Deploy/botocore-session-1717",
        );
        let rec = Record::from_json(&sdk).expect("record");
        assert_eq!(
            stable_principal(&rec),
            "arn:aws:iam::111122223333:role/Deploy"
        );
        let sso_session = "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0a1b2c3d4e5f6a7b/alice@example.com";
        for issuer in [
            "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0a1b2c3d4e5f6a7b",
            "arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0a1b2c3d4e5f6a7b",
        ] {
            let json = session(issuer, sso_session);
            let rec = Record::from_json(&json).expect("record");
            assert_eq!(stable_principal(&rec), sso_session, "{issuer}");
        }
    }

    #[test]
    fn a_session_named_after_a_person_is_that_person() {
        let issuer = "arn:aws:iam::111122223333:role/EngineerSAML";
        let alice = session(
            issuer,
            "arn:aws:sts::111122223333:assumed-role/EngineerSAML/alice@example.com",
        );
        let bob = session(
            issuer,
            "arn:aws:sts::111122223333:assumed-role/EngineerSAML/bob@example.com",
        );
        let [alice, bob] = [&alice, &bob].map(|j| Record::from_json(j).expect("record"));
        assert_eq!(
            stable_principal(&alice),
            "arn:aws:sts::111122223333:assumed-role/EngineerSAML/alice@example.com"
        );
        assert_ne!(stable_principal(&alice), stable_principal(&bob));
        // An SDK session is not a person: the role stands for it.
        let sdk = session(
            issuer,
            "arn:aws:sts::111122223333:assumed-role/EngineerSAML/botocore-session-1717@",
        );
        let sdk = Record::from_json(&sdk).expect("record");
        assert_eq!(stable_principal(&sdk), issuer);
    }

    #[test]
    fn a_federated_user_is_not_merged_with_the_user_that_issued_its_token() {
        let json = r#"{"eventSource":"ec2.amazonaws.com","eventName":"RunInstances","userIdentity":{
            "type":"FederatedUser","principalId":"111122223333:contractor",
            "arn":"arn:aws:sts::111122223333:federated-user/contractor","accountId":"111122223333",
            "sessionContext":{"sessionIssuer":{"type":"IAMUser","principalId":"AIDAEXAMPLEBOT",
            "arn":"arn:aws:iam::111122223333:user/build-bot","accountId":"111122223333",
            "userName":"build-bot"}}}}"#;
        let rec = Record::from_json(json).expect("record");
        assert_eq!(
            stable_principal(&rec),
            "arn:aws:sts::111122223333:federated-user/contractor"
        );
    }
}

/// The call was made by AWS itself or through the web console: an AWS service
/// identity or `invokedBy`, a `*.amazonaws.com` or `AWS Internal` user agent, or a
/// source that is a service name instead of an address. Console pages issue dozens
/// of reads per click, and services read on their own schedule. The agent is the
/// caller's to choose: an intruder who sends a console or service agent from an SDK
/// is left out too, a gap every agent-based exclusion has (the identity and source
/// checks do not depend on it).
pub fn aws_service_or_console_caller(rec: &Record) -> bool {
    if rec.identity_type() == Some("AWSService") || rec.invoked_by().is_some() {
        return true;
    }
    service_or_console_agent(rec.user_agent()) || source_ip_literal(rec).is_none()
}

/// The user-agent half of [`aws_service_or_console_caller`]: it alone makes the
/// caller an AWS service or the console. Raw checks use it on the peeked agent.
/// Letter case is ignored (ASCII only). Runs on most discovery records before they
/// are parsed: an agent of ordinary length is lowercased on the stack.
pub fn service_or_console_agent(user_agent: Option<&str>) -> bool {
    match user_agent {
        Some(ua) => super::agent::facts(ua).service_or_console,
        None => agent_names_service_or_console(""),
    }
}

/// [`service_or_console_agent`] worked out (`super::agent` remembers it).
pub(super) fn agent_names_service_or_console(ua: &str) -> bool {
    let ua = ua.trim().as_bytes();
    let mut buf = [0u8; 512];
    let heap;
    let lower: &[u8] = match buf.get_mut(..ua.len()) {
        Some(b) => {
            b.copy_from_slice(ua);
            b.make_ascii_lowercase();
            b
        }
        None => {
            heap = ua.to_ascii_lowercase();
            &heap
        }
    };
    static CONSOLE: Needle = Needle::new("console.amazonaws.com");
    static CONSOLE_BACKEND: Needle = Needle::new("consolebackend");
    // CloudTrail writes S3's agents in brackets: the S3 console's calls read
    // `[S3Console/0.4, aws-internal/3 aws-sdk-java/...]`.
    let bare = lower.strip_prefix(b"[").unwrap_or(lower);
    lower == b"aws internal"
        || lower.ends_with(b".amazonaws.com")
        || bare.starts_with(b"aws-internal")
        || bare.starts_with(b"s3console/")
        || CONSOLE.is_in(lower)
        || CONSOLE_BACKEND.is_in(lower)
}

/// For raw checks: the bytes may hold an EC2 instance-profile session (see
/// [`uses_instance_credentials`]): `AssumedRole` and an `i-` right after a `/` or
/// a `:` (an escaped `\/` still puts the `/` right before it).
pub fn raw_may_use_instance_credentials(json: &[u8]) -> bool {
    static ASSUMED_ROLE: Needle = Needle::new("AssumedRole");
    static INSTANCE_ID: Needle = Needle::new("i-");
    ASSUMED_ROLE.is_in(json)
        && INSTANCE_ID
            .finder()
            .find_iter(json)
            .any(|at| at > 0 && matches!(json[at - 1], b'/' | b':'))
}

/// A value that is different for every record, to count records (not values) in a
/// distinct-count window: `eventID`, else the time, address and user name together.
pub fn record_identity(rec: &Record) -> String {
    match rec.event_id() {
        Some(id) => id.to_owned(),
        None => format!(
            "{}|{}|{}",
            rec.event_time.as_deref().unwrap_or(""),
            rec.source_ip().unwrap_or(""),
            rec.user_name().unwrap_or("")
        ),
    }
}

/// Which of the three ECR scan-finding detections a `DescribeImageScanFindings`
/// response belongs to: its worst finding decides, so one response gives one finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EcrScanTier {
    /// A `CRITICAL` or `HIGH` finding.
    High,
    /// A `MEDIUM` finding, nothing worse.
    Medium,
    /// Only `LOW`, `INFORMATIONAL`, `UNDEFINED` or `UNKNOWN` findings.
    Low,
}

/// Finding counts per severity (upper case) of a successful ECR
/// `DescribeImageScanFindings` response: `imageScanFindings.findingSeverityCounts`
/// when present, else a count of `findings[]` and `enhancedFindings[]` severities.
/// `None` for other records or a response without findings.
pub fn ecr_scan_findings(
    rec: &Record,
) -> Option<(EcrScanTier, std::collections::BTreeMap<String, u64>)> {
    use serde_json::Value;
    if rec.event_source() != "ecr.amazonaws.com"
        || rec.event_name() != "DescribeImageScanFindings"
        || !rec.succeeded()
    {
        return None;
    }
    let scan = rec.response_element("imageScanFindings")?.as_object()?;
    let mut counts = std::collections::BTreeMap::<String, u64>::new();
    if let Some(Value::Object(by_severity)) = scan.get("findingSeverityCounts") {
        for (severity, n) in by_severity {
            if let Some(n) = n.as_u64().filter(|n| *n > 0) {
                *counts.entry(severity.to_ascii_uppercase()).or_default() += n;
            }
        }
    }
    if counts.is_empty() {
        for key in ["findings", "enhancedFindings"] {
            let Some(Value::Array(items)) = scan.get(key) else {
                continue;
            };
            for sev in items.iter().filter_map(|f| f.get("severity")?.as_str()) {
                *counts.entry(sev.trim().to_ascii_uppercase()).or_default() += 1;
            }
        }
    }
    let has = |s: &str| counts.contains_key(s);
    let tier = if has("CRITICAL") || has("HIGH") {
        EcrScanTier::High
    } else if has("MEDIUM") {
        EcrScanTier::Medium
    } else if counts.is_empty() {
        return None;
    } else {
        EcrScanTier::Low
    };
    Some((tier, counts))
}

/// The evidence of the ECR scan-finding detections: the image and its counts.
pub fn ecr_scan_evidence(
    rec: &Record,
    counts: std::collections::BTreeMap<String, u64>,
) -> Evidence {
    let image = rec.request_param("imageId");
    Evidence::new()
        .with_opt("repository", rec.request_param_str("repositoryName"))
        .with_json("image_digest", image.and_then(|i| i.get("imageDigest")))
        .with_json("image_tag", image.and_then(|i| i.get("imageTag")))
        .with(
            "severity_counts",
            serde_json::Value::Object(
                counts
                    .into_iter()
                    .map(|(k, v)| (k, serde_json::Value::from(v)))
                    .collect(),
            ),
        )
}

/// The observation of the per-user failed sign-in windows: the failed sign-in
/// counted once (by record) in the group `<account>|<user name>`. `None` when the
/// user name is missing or hidden (an unknown user name): per-address detections
/// count those.
pub fn failed_login_per_user(
    rec: &Record,
    failed: &FailedConsoleLogin,
) -> Option<crate::detection::Signal> {
    if failed.unknown_user {
        return None;
    }
    let user = rec.user_name()?;
    Some(crate::detection::Signal::Distinct {
        group: format!("{}|{user}", rec.account_id().unwrap_or("unknown")),
        value: record_identity(rec),
        evidence: failed.evidence(rec).with_opt("source_ip", rec.source_ip()),
    })
}

/// Where a counted call came from and whether it was refused: what the discovery
/// windows keep of each record.
pub fn caller_evidence(rec: &Record) -> Evidence {
    Evidence::new()
        .with_opt("source_ip", rec.source_ip())
        .with_opt("user_agent", rec.user_agent())
        .with_opt("error_code", rec.error_code())
}

/// `responseElements.accessKey.<key>` of `CreateAccessKey` as a non-empty string
/// (the key's id and metadata; the secret is never read).
pub fn access_key_field<'r>(rec: &'r Record, key: &str) -> Option<&'r str> {
    rec.response_element("accessKey")?
        .as_object()?
        .get(key)?
        .as_str()
        .filter(|s| !s.is_empty())
}

/// `value` counted for the caller: the `Distinct` signal of the windows grouped per
/// account and stable principal (see [`account_principal_term`]). `None` when
/// `value` is blank.
fn counted_per_principal(
    rec: &Record,
    value: &str,
    evidence: Evidence,
) -> Option<crate::detection::Signal> {
    let value = value.trim();
    (!value.is_empty()).then(|| crate::detection::Signal::Distinct {
        group: account_principal_term(rec),
        value: value.to_owned(),
        evidence,
    })
}

/// The signal of the windows that count the instances one principal reads (user
/// data, console screenshots): the request's `instanceId` (trimmed; `None` when
/// missing or blank), with the caller's address, agent and error code.
pub fn instance_per_principal(rec: &Record) -> Option<crate::detection::Signal> {
    counted_per_principal(
        rec,
        rec.request_param_str("instanceId")?,
        caller_evidence(rec),
    )
}

/// The signal of the windows that count the Regions one principal acts in (failed
/// model calls, compute launches): `awsRegion` (trimmed; `None` when missing or
/// blank), with `evidence`.
pub fn region_per_principal(rec: &Record, evidence: Evidence) -> Option<crate::detection::Signal> {
    counted_per_principal(rec, rec.region()?, evidence)
}

/// The Bedrock calls that run a model (the Bedrock detections on model use).
pub const BEDROCK_MODEL_CALLS: &[&str] = &[
    "InvokeModel",
    "InvokeModelWithResponseStream",
    "Converse",
    "ConverseStream",
];

/// What the three ECR scan-finding detections share besides their tier.
pub static ECR_SCAN_TRIGGERS: &[crate::detection::Trigger] =
    &[crate::detection::Trigger::read_only(
        "ecr.amazonaws.com",
        &["DescribeImageScanFindings"],
    )];
pub const ECR_SCAN_FALSE_POSITIVES: &[&str] = &[
    "Base images with known, accepted vulnerabilities that the team tracks elsewhere.",
    "Scan results read again and again by a dashboard or a CI step.",
];
pub const ECR_SCAN_NEXT_STEPS: &str = "Look at the image's findings (repository, tag, digest) \
    and whether the image is deployed. Rebuild it from a patched base image, and check who \
    pushed it if the image is new or unexpected.";

/// The finding of the ECR scan-finding detection for `tier`, when the record's worst
/// severity is that tier.
pub fn ecr_scan_signal(rec: &Record, tier: EcrScanTier) -> Option<crate::detection::Signal> {
    match ecr_scan_findings(rec)? {
        (t, counts) if t == tier => crate::detection::fire(ecr_scan_evidence(rec, counts)),
        _ => None,
    }
}

#[cfg(test)]
pub mod ecr_testing {
    //! Records for the ECR scan-finding tests.

    /// A successful `DescribeImageScanFindings` with `scan` as its `imageScanFindings`.
    pub fn scan_record(scan: &str) -> String {
        format!(
            r#"{{"eventSource":"ecr.amazonaws.com","eventName":"DescribeImageScanFindings","eventTime":"2026-06-02T10:00:01Z",
            "recipientAccountId":"111122223333","sourceIPAddress":"192.0.2.9","userAgent":"aws-cli/2.15.30",
            "userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/dev","userName":"dev"}},
            "requestParameters":{{"repositoryName":"web","imageId":{{"imageTag":"v1"}}}},
            "responseElements":{{"imageScanFindings":{scan}}}}}"#
        )
    }

    /// One scan per tier, worst first: high, medium, low.
    pub const ONE_PER_TIER: [&str; 3] = [
        r#"{"findingSeverityCounts":{"HIGH":2,"LOW":5}}"#,
        r#"{"findingSeverityCounts":{"MEDIUM":1,"INFORMATIONAL":3}}"#,
        r#"{"enhancedFindings":[{"severity":"LOW"},{"severity":"UNTRIAGED"}]}"#,
    ];
}

#[cfg(test)]
mod ecr_scan_tests {
    use super::ecr_testing::scan_record;
    use super::*;

    fn tier(scan: &str) -> Option<EcrScanTier> {
        let json = scan_record(scan);
        let rec = Record::from_json(&json).expect("parses");
        ecr_scan_findings(&rec).map(|(t, _)| t)
    }

    #[test]
    fn the_worst_severity_decides_the_tier() {
        use EcrScanTier::*;
        assert_eq!(
            tier(r#"{"findingSeverityCounts":{"HIGH":2,"LOW":5}}"#),
            Some(High)
        );
        assert_eq!(
            tier(r#"{"findings":[{"name":"CVE-2026-0001","severity":"critical"}]}"#),
            Some(High)
        );
        assert_eq!(
            tier(r#"{"findingSeverityCounts":{"MEDIUM":1,"LOW":3}}"#),
            Some(Medium)
        );
        assert_eq!(
            tier(r#"{"enhancedFindings":[{"severity":"UNTRIAGED"}]}"#),
            Some(Low)
        );
        assert_eq!(
            tier(r#"{"findingSeverityCounts":{"INFORMATIONAL":1}}"#),
            Some(Low)
        );
    }

    #[test]
    fn clean_odd_and_failed_scans_have_no_tier() {
        for scan in [
            r#"{"findingSeverityCounts":{},"findings":[]}"#,
            r#"{"findingSeverityCounts":{"HIGH":0,"MEDIUM":0}}"#,
            r#"{"findingSeverityCounts":{"HIGH":"2"}}"#,
            r#"{"findings":[{"severity":3},"x"]}"#,
            r#"[]"#,
            "null",
        ] {
            assert_eq!(tier(scan), None, "{scan}");
        }
        let denied = scan_record(r#"{"findingSeverityCounts":{"HIGH":1}}"#).replace(
            r#""requestParameters""#,
            r#""errorCode":"AccessDeniedException","requestParameters""#,
        );
        let rec = Record::from_json(&denied).expect("parses");
        assert_eq!(ecr_scan_findings(&rec), None);
    }

    #[test]
    fn the_evidence_names_the_image_and_every_count() {
        let json = scan_record(r#"{"findingSeverityCounts":{"HIGH":2,"LOW":5}}"#);
        let rec = Record::from_json(&json).expect("parses");
        let (_, counts) = ecr_scan_findings(&rec).expect("findings");
        let e = ecr_scan_evidence(&rec, counts);
        assert_eq!(e.get("repository").and_then(|v| v.as_str()), Some("web"));
        assert_eq!(e.get("image_tag").and_then(|v| v.as_str()), Some("v1"));
        let c = e.get("severity_counts").expect("counts");
        assert_eq!(c.get("HIGH").and_then(|v| v.as_u64()), Some(2));
        assert_eq!(c.get("LOW").and_then(|v| v.as_u64()), Some(5));
    }
}

/// `<account>|<stable principal>`: a first-seen term (or a window's group) of the
/// caller that stays the same across role sessions (see [`stable_principal`]). SDKs
/// name a new session on every assume, so a term on the session ARN would be new on
/// every pipeline run, and a count on it would start again.
pub fn account_principal_term(rec: &Record) -> String {
    joined(
        &[rec.account_id().unwrap_or("unknown"), stable_principal(rec)],
        '|',
    )
}

/// The first-seen observation "this principal did it": the term is
/// `<account>|<stable principal>` and the evidence gains the caller's address and
/// user agent.
pub fn first_seen_by_principal(rec: &Record, evidence: Evidence) -> crate::detection::Signal {
    crate::detection::Signal::FirstSeen {
        term: account_principal_term(rec),
        evidence: evidence
            .with_opt("source_ip", rec.source_ip())
            .with_opt("user_agent", rec.user_agent()),
    }
}

// --- iam-persistence: IAM and STS persistence and privilege escalation.

/// `eventSource` of IAM.
pub const IAM: &str = "iam.amazonaws.com";

/// IAM Identity Center, as `invokedBy` names it when it manages its own SAML
/// providers and roles in member accounts.
pub const IDENTITY_CENTER: &str = "sso.amazonaws.com";

/// The IAM calls that grant or keep access: new principals and credentials, policy
/// attachments and edits, trust changes, group membership, instance profiles (a role
/// handed to instances), MFA and boundary removal.
/// Used by the detections that look at who makes them (a Lambda function, CloudShell).
pub const SENSITIVE_IAM_CALLS: &[&str] = &[
    "AddRoleToInstanceProfile",
    "AddUserToGroup",
    "AttachGroupPolicy",
    "AttachRolePolicy",
    "AttachUserPolicy",
    "CreateAccessKey",
    "CreateInstanceProfile",
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
/// CloudFormation, Terraform, Pulumi or Ansible user agent. The user agent is the caller's
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
    [
        "cloudformation",
        "terraform",
        "servicecatalog",
        "pulumi",
        "ansible",
    ]
    .iter()
    .any(|m| ua.contains(m))
}

#[cfg(test)]
mod service_or_iac_caller_tests {
    use super::iam_testing::{USER, iam};
    use super::service_or_iac_caller;
    use crate::event::Record;

    fn by_agent(ua: &str) -> bool {
        let json = iam("CreateRole", USER, "null").replacen(
            r#""userAgent":"aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64""#,
            &format!(r#""userAgent":"{ua}""#),
            1,
        );
        let rec = Record::from_json(&json).expect("record");
        assert_eq!(rec.user_agent(), Some(ua));
        service_or_iac_caller(&rec)
    }

    #[test]
    fn deployment_tools_are_known_by_their_agent() {
        for ua in [
            "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.72.1",
            "pulumi/3.0 aws-sdk-go-v2/1.30.0",
            "Boto3/1.35.36 md/Botocore#1.35.36 ua/2.0 os/linux APN/1.0 Ansible/2.17.4 amazon.aws/8.2.1",
        ] {
            assert!(by_agent(ua), "{ua}");
        }
        assert!(!by_agent(
            "aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/linux"
        ));
    }
}

/// The caller is the IAM user named `target`. Letter case is ignored: IAM names
/// are unique without regard to case and a request may name the user in any case
/// (`ALICE` is alice), while `userIdentity.userName` is written as created.
pub fn caller_is_user(rec: &Record, target: &str) -> bool {
    rec.identity_type() == Some("IAMUser")
        && rec
            .user_name()
            .is_some_and(|name| name.eq_ignore_ascii_case(target.trim()))
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

/// A successful change (one of `names` of `source`) that a stack, a pipeline or a
/// person makes alike: only an `AWSService` identity or a call one of `services`
/// made for itself is left out ([`aws_service_among`]). For the changes an attacker
/// could as well make through a CloudFormation update, and that deployments rarely
/// make. Its evidence names `params`.
pub fn change_by_anyone_but(
    rec: &Record,
    source: &str,
    names: &[&str],
    params: &[&'static str],
    services: &[&str],
) -> Option<Evidence> {
    if !succeeded_call(rec, source, names) || aws_service_among(rec, services) {
        return None;
    }
    Some(change_evidence(rec, params))
}

/// The common stateless change that infrastructure-as-code does not excuse (its
/// user agent is the caller's to choose): one of `names` of `source` succeeded and
/// was not made by an AWS service. Its evidence names `params`.
pub fn caller_change(
    rec: &Record,
    source: &str,
    names: &[&str],
    params: &[&'static str],
) -> Option<Evidence> {
    if !succeeded_call(rec, source, names) || aws_service_caller(rec) {
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
    let name = aws_managed_policy_name(rec.request_param_str("policyArn")?)?;
    wanted(name).then(|| change_evidence(rec, &[target_param, "policyArn"]))
}

/// The name of an AWS managed policy from its ARN
/// (`arn:<partition>:iam::aws:policy/<path><name>`, any partition), or `None` for
/// any other text (a customer policy names its account instead of `aws`).
pub fn aws_managed_policy_name(arn: &str) -> Option<&str> {
    let (partition, path) = arn.trim().split_once(":iam::aws:policy/")?;
    if partition != "arn:aws" && !partition.starts_with("arn:aws-") {
        return None;
    }
    Some(path.rsplit('/').next().unwrap_or(path))
}

/// A successful inline policy `event` (`PutUserPolicy`, `PutRolePolicy`) whose
/// document grants what `AdministratorAccess` grants: an `Allow` of every action
/// (`*` or `*:*`) on every resource (`*`). The evidence names the target
/// (`target_param`) and the policy; `inline` marks it. A document that does not
/// parse is not judged here (IAM refuses such a call).
pub fn admin_inline_policy_put(
    rec: &Record,
    event: &str,
    target_param: &'static str,
) -> Option<Evidence> {
    use crate::detections::create_policy_version_allow_all::{
        allows_every_action, one_or_many, policy_document_param,
    };
    if !is_event(rec, IAM, &[event]) || !rec.succeeded() {
        return None;
    }
    let doc = policy_document_param(rec, "policyDocument").ok()??;
    let every_resource = |st: &serde_json::Value| {
        st.get("Resource").is_some_and(|r| {
            one_or_many(r)
                .iter()
                .filter_map(|r| r.as_str())
                .any(|r| r.trim() == "*")
        })
    };
    let admin = doc.get("Statement").is_some_and(|s| {
        one_or_many(s)
            .iter()
            .any(|st| allows_every_action(st) && every_resource(st))
    });
    admin.then(|| change_evidence(rec, &[target_param, "policyName"]).with("inline", true))
}

/// The "new terms" observation of a caller: the term `<account>|<stable
/// principal>` ([`account_principal_term`]: the role of an assumed-role session, not
/// the session, whose name changes on every assume), and `|<extra>` when given
/// (e.g. the role it touched).
pub fn first_seen_by_actor(
    rec: &Record,
    extra: Option<&str>,
    evidence: Evidence,
) -> Option<crate::detection::Signal> {
    let group = account_principal_term(rec);
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
        "sessionContext":{"sessionIssuer":{"type":"IAMUser","principalId":"AIDAEXAMPLEBOB",
        "arn":"arn:aws:iam::111122223333:user/bob","accountId":"111122223333","userName":"bob"}}}"#;
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

    /// The shared test of the admin detections' inline form: `event`
    /// (`PutUserPolicy`, `PutRolePolicy`) naming its target in `param` fires, marked
    /// `inline`, on an `Allow` of every action on every resource, as plain or
    /// percent-encoded JSON; not on narrower, denying or unparseable documents, nor
    /// on a failed call.
    pub fn check_admin_inline_policy(
        det: &dyn crate::detection::Detection,
        event: &str,
        param: &str,
    ) {
        use super::testing::{eval, fires};
        use crate::detection::Signal;
        let put = |doc: &str| {
            let doc = serde_json::to_string(doc).unwrap();
            format!(r#"{{"{param}":"ci-deployer","policyName":"ops","policyDocument":{doc}}}"#)
        };
        let admin = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
        match eval(det, &iam(event, USER, &put(admin))) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("inline"), Some(&serde_json::json!(true))),
            other => panic!("expected a finding, got {other:?}"),
        }
        let encoded = "%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%5B%22%2A%3A%2A%22%5D%2C%22Resource%22%3A%5B%22%2A%22%5D%7D%5D%7D";
        assert!(fires(det, &iam(event, USER, &put(encoded))));
        for narrow in [
            r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::builds/*"}}"#,
            r#"{"Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}"#,
            "not json",
        ] {
            assert!(!fires(det, &iam(event, USER, &put(narrow))), "{narrow}");
        }
        assert!(!fires(
            det,
            &iam_failed(event, USER, &put(admin), "AccessDenied")
        ));
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

    /// Holds a detection to `common::change_by_anyone_but`: `name` made through a
    /// CloudFormation stack or under a Terraform agent fires; an `AWSService`
    /// identity's call does not, nor one that a service of `left_out` made.
    pub fn stack_and_tools_count(
        det: &dyn crate::detection::Detection,
        name: &str,
        params: &str,
        left_out: &[&str],
    ) {
        use super::testing::fires;
        assert!(
            fires(det, &iam(name, CFN, params)),
            "{name} through a stack"
        );
        let by_hand = iam(name, ROLE, params);
        let terraform = by_hand.replace(
            "aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64",
            "APN/1.0 HashiCorp/1.0 Terraform/1.8.4 aws-sdk-go-v2/1.27.0",
        );
        assert_ne!(terraform, by_hand);
        assert!(fires(det, &terraform), "{name} under a Terraform agent");
        let service = r#"{"type":"AWSService","invokedBy":"iam.amazonaws.com"}"#;
        assert!(
            !fires(det, &iam(name, service, params)),
            "{name} by a service"
        );
        for s in left_out {
            let by_service = CFN.replace("cloudformation.amazonaws.com", s);
            assert!(
                !fires(det, &iam(name, &by_service, params)),
                "{name} by {s}"
            );
        }
    }

    /// A failed IAM call with `code`.
    pub fn iam_failed(name: &str, identity: &str, params: &str, code: &str) -> String {
        let extra = format!(r#""errorCode":"{code}","errorMessage":"denied or invalid","#);
        record(super::IAM, name, identity, params, &extra)
    }
}

#[cfg(test)]
mod agent_tests {
    use super::service_or_console_agent;

    /// AWS services and the console are told by their agent, in any letter case
    /// and with blanks around it; SDKs, the CLI and browsers elsewhere are not.
    #[test]
    fn service_and_console_agents_in_any_case() {
        for ua in [
            "AWS Internal",
            " aws internal ",
            "cloudformation.AmazonAWS.com",
            "AWS-Internal/3 aws-sdk-java/1.12",
            "Mozilla/5.0 (Macintosh) console.amazonaws.com",
            "Coral/Netty4 consoleBackend",
            ".amazonaws.com",
            "[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.488 Linux/5.10.198]",
            "[S3Console/0.4]",
            "S3Console/0.4",
            "[aws-internal/3 aws-sdk-java/1.12.488]",
        ] {
            assert!(service_or_console_agent(Some(ua)), "{ua}");
        }
        for ua in [
            "",
            "Boto3/1.34 Python/3.11",
            "aws-cli/2.15 md/command#ec2.describe-instances",
            "amazonaws.com",
            "AWS Internals",
            "console.amazonaws.co",
            "é.amazonaws.com.é",
            "[aws-cli/2.18.5 md/command#s3.ls]",
            "[Boto3/1.34 S3Console/0.4]",
        ] {
            assert!(!service_or_console_agent(Some(ua)), "{ua}");
        }
        assert!(!service_or_console_agent(None));
    }
}
