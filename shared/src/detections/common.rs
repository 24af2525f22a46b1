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
        crate::detection::Trigger::UserAgentPrefix(_) => false,
    })
}

/// `userIdentity.accessKeyId`, when present and not empty.
pub fn access_key_id<'r>(rec: &'r Record) -> Option<&'r str> {
    rec.identity()?
        .access_key_id
        .as_deref()
        .filter(|k| !k.is_empty())
}

/// The caller holds a long-term IAM access key (`AKIA...`), the kind that leaks in
/// code and is resold; session keys start with `ASIA`.
pub fn uses_long_term_key(rec: &Record) -> bool {
    access_key_id(rec).is_some_and(|k| k.starts_with("AKIA"))
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
/// assumed-role session (`sessionContext.sessionIssuer.arn`), else the actor key.
/// Session names change on every assumption (SDKs put a timestamp in them), so a
/// history kept per session would never recognise the role.
pub fn stable_principal<'r>(rec: &'r Record) -> &'r str {
    rec.identity()
        .and_then(|u| u.session_context.as_ref())
        .and_then(|c| c.session_issuer.as_ref())
        .and_then(|i| i.arn.as_deref())
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| crate::event::actor_key(rec))
}

/// The call was made by AWS itself or through the web console: an AWS service
/// identity or `invokedBy`, a `*.amazonaws.com` or `AWS Internal` user agent, or a
/// source that is a service name instead of an address. Console pages issue dozens
/// of reads per click, and services read on their own schedule.
pub fn aws_service_or_console_caller(rec: &Record) -> bool {
    if rec.identity_type() == Some("AWSService") || rec.invoked_by().is_some() {
        return true;
    }
    let ua = rec.user_agent().unwrap_or("").trim().to_ascii_lowercase();
    ua == "aws internal"
        || ua.ends_with(".amazonaws.com")
        || ua.starts_with("aws-internal")
        || ua.contains("console.amazonaws.com")
        || ua.contains("consolebackend")
        || source_ip_literal(rec).is_none()
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

/// The first-seen observation "this principal did it": the term is
/// `<account>|<stable principal>` and the evidence gains the caller's address and
/// user agent.
pub fn first_seen_by_principal(rec: &Record, evidence: Evidence) -> crate::detection::Signal {
    crate::detection::Signal::FirstSeen {
        term: format!(
            "{}|{}",
            rec.account_id().unwrap_or("unknown"),
            stable_principal(rec)
        ),
        evidence: evidence
            .with_opt("source_ip", rec.source_ip())
            .with_opt("user_agent", rec.user_agent()),
    }
}
