//! Calls made as the account's root user, whatever the API: one finding per root
//! credential (a console session or an access key) and hour.
//!
//! Decisions: root cannot be limited by IAM policies and is needed for a handful of
//! tasks only, so every use deserves a look (the CIS benchmark asks for an alarm on
//! it). The sign-in itself is `console-root-login` (and the failed-login detections);
//! this one reports what root then does, and every call made with a root access key,
//! which should not exist at all. Left out: the sign-in service's events (the
//! sign-in flow: `ConsoleLogin`, `CheckMfa`, password recovery), AWS service events,
//! and calls an AWS service made on root's behalf (`invokedBy`); console calls count,
//! the billing console's actions too (contact details, account settings, closing
//! the account), and so do the calls of a member account's root session opened by
//! AWS Organizations' centralized root access (`sts:AssumeRoot`), which CloudTrail
//! types `Root` as well. Failed calls count: root refused by a service control policy
//! is still root in use. One finding per hour, not per call: a root console session
//! makes hundreds of calls, and the group is the root's account and the credential:
//! the console (whose temporary keys may change from one service's page to the next)
//! or else the access key id, so a stolen root key used while the owner works in the
//! console is a finding of its own. Read-only calls count too, so its rule takes every
//! management event made as root. The reads of a centralized root session
//! (those that succeeded or found nothing) are left to
//! `root-session-assumed`, which reports the `AssumeRoot` call that opened it
//! (eighth session).

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, Repeats, Countable, WindowSpec};
use crate::detections::common::{
    aws_service_caller, call_value, caller_evidence, centralized_root_session, joined,
};
use crate::event::Record;

pub struct RootUserActivity;

pub static META: Meta = Meta {
    id: "root-user-activity",
    title: "AWS Root User Activity",
    description: "Calls were made as the account's root user, with a console session or a \
                  root access key. Root holds every permission in the account and no IAM \
                  policy can limit it; outside a few account and billing tasks it should not \
                  be used, and a root access key should not exist.",
    severity: Severity::High,
    attack: &["T1078.004"],
    origins: &[
        "Sigma aws_root_account_usage.yml (AWS Root Credentials)",
        "CIS AWS Foundations Benchmark: a metric filter and alarm for usage of the root user",
    ],
    group: "identity-abuse",
    false_positives: &[
        "The account owner doing one of the tasks that need root (changing account \
         settings, restoring a locked-out bucket policy, closing the account), ideally \
         announced beforehand.",
        "Privileged tasks run through AWS Organizations' centralized root access \
         (sts:AssumeRoot) in a member account.",
    ],
    next_steps: "Ask the holder of the root credentials whether they made these calls, from \
                 this address and at this time. If not, or if the credential is an access \
                 key, delete root's access keys, reset its password and MFA, and review \
                 everything the credential did.",
    evidence: "access_key_id credential error_code mfa_authenticated root_account_id source_ip \
        user_agent",
    triggers: &[Trigger::RootIdentity],
    window: Some(WindowSpec::Distinct {
        window_secs: 3600,
        min_distinct: 1,
        repeats: Repeats::Always,
        values: Countable::Open,
    }),
};

impl Detection for RootUserActivity {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        let identity = rec.identity()?;
        if identity.kind.as_deref() != Some("Root")
            || rec.event_source() == "signin.amazonaws.com"
            || rec.event_type.as_deref() == Some("AwsServiceEvent")
            || aws_service_caller(rec)
        {
            return None;
        }
        let key = text(&identity.access_key_id);
        let session = identity.session_context.as_ref();
        let attributes = session.and_then(|s| s.attributes.as_ref());
        let assumed_root = centralized_root_session(rec);
        // A centralized root session's reads are left to the `AssumeRoot` call
        // that opened it (`root-session-assumed`, which names the task and who
        // asked): the audit task reads root's credentials in every member
        // account on a schedule (`NoSuchEntity` where there are none), and
        // paged high in each (from a review of false positives). Its writes,
        // and its calls that failed otherwise than for a missing item, stay:
        // a session probing past its task is refused under many codes
        // (`AuthorizationError`, `NotAuthorizedException`; from an evasion
        // review). (STS's `Get...` calls make credentials: never a read here.)
        let read_or_missing = rec.error_code().is_none_or(names_a_missing_item);
        if assumed_root
            && read_or_missing
            && rec.event_source() != "sts.amazonaws.com"
            && reads_only(rec.event_name())
        {
            return None;
        }
        // Older console calls carry `invokedBy: signin.amazonaws.com` instead of
        // `sessionCredentialFromConsole`.
        let console = rec.from_console_session()
            || matches!(
                rec.invoked_by(),
                Some("signin.amazonaws.com" | "console.amazonaws.com")
            );
        let credential = match key {
            Some(k) if k.starts_with("AKIA") => "root access key",
            _ if assumed_root => "centralized root session (AssumeRoot)",
            _ if console => "console session",
            Some(_) => "temporary credentials",
            None => "unknown",
        };
        // Whose root: the caller's account, which a cross-account call's copy in
        // the resource owner's account names too.
        let root_account = text(&identity.account_id).or_else(|| rec.account_id());
        let credential_key = if console && !assumed_root {
            "console"
        } else {
            key.unwrap_or("no-key")
        };
        Some(Signal::Distinct {
            group: joined(&[root_account.unwrap_or("unknown"), credential_key], '|'),
            value: call_value(rec),
            evidence: caller_evidence(rec)
                .with("credential", credential)
                .with_opt("access_key_id", key)
                .with_opt("root_account_id", root_account)
                .with_opt(
                    "mfa_authenticated",
                    attributes.and_then(|a| text(&a.mfa_authenticated)),
                ),
        })
    }
}

/// A call that only reads, by its name (`Get...`, `List...`, `Describe...`,
/// `Head...`): what the root tasks' policies allow to read.
fn reads_only(name: &str) -> bool {
    ["Get", "List", "Describe", "Head"].iter().any(|verb| {
        name.strip_prefix(verb)
            .and_then(|rest| rest.chars().next())
            .is_some_and(|c| c.is_ascii_uppercase())
    })
}

/// An error that says the item read is not there (`NoSuchEntity`,
/// `NoSuchBucketPolicy`, `ResourceNotFoundException`,
/// `AWS.SimpleQueueService.NonExistentQueue`): how the audit task learns that
/// root has no password.
fn names_a_missing_item(code: &str) -> bool {
    code.contains("NoSuch") || code.contains("NotFound") || code.contains("NonExistent")
}

/// A trimmed, non-empty text field.
fn text<'r>(v: &'r Option<std::borrow::Cow<'_, str>>) -> Option<&'r str> {
    v.as_deref().map(str::trim).filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::eval;

    fn record(identity: &str, extra: &str) -> String {
        format!(
            r#"{{"eventSource":"iam.amazonaws.com","eventName":"CreateUser","eventType":"AwsApiCall",
            "eventTime":"2026-06-02T10:00:01Z","recipientAccountId":"111122223333",
            "sourceIPAddress":"203.0.113.9","userAgent":"aws-cli/2.15.30",
            "userIdentity":{identity},"requestParameters":{{"userName":"backup"}}{extra}}}"#
        )
    }

    const ROOT_KEY: &str = r#"{"type":"Root","principalId":"111122223333",
        "arn":"arn:aws:iam::111122223333:root","accountId":"111122223333",
        "accessKeyId":"AKIAIOSFODNN7EXAMPLE"}"#;
    const ROOT_CONSOLE: &str = r#"{"type":"Root","principalId":"111122223333",
        "arn":"arn:aws:iam::111122223333:root","accountId":"111122223333",
        "accessKeyId":"ASIAY34FZKBOKMUTVV7A","sessionContext":{"attributes":
        {"creationDate":"2026-06-02T09:58:00Z","mfaAuthenticated":"true"}}}"#;

    #[test]
    fn each_root_credential_is_its_own_group_and_every_call_counts() {
        let cases = [
            (ROOT_KEY, "", "111122223333|AKIAIOSFODNN7EXAMPLE", "root access key"),
            (
                ROOT_CONSOLE,
                r#","sessionCredentialFromConsole":"true""#,
                "111122223333|console",
                "console session",
            ),
            // Root's own temporary credentials (GetSessionToken, AssumeRoot).
            (ROOT_CONSOLE, "", "111122223333|ASIAY34FZKBOKMUTVV7A", "temporary credentials"),
            // Refused (a service control policy): still root in use.
            (ROOT_KEY, r#","errorCode":"AccessDenied""#, "111122223333|AKIAIOSFODNN7EXAMPLE", "root access key"),
        ];
        for (identity, extra, want_group, want_credential) in cases {
            match eval(&RootUserActivity, &record(identity, extra)) {
                Some(Signal::Distinct { group, value, evidence }) => {
                    assert_eq!(group, want_group);
                    assert_eq!(value, "iam.amazonaws.com:CreateUser");
                    assert_eq!(
                        evidence.get("credential").and_then(|v| v.as_str()),
                        Some(want_credential)
                    );
                }
                other => panic!("{want_group}: expected Distinct, got {other:?}"),
            }
        }
        let keyless = ROOT_KEY.replace(r#""accessKeyId":"AKIAIOSFODNN7EXAMPLE""#, r#""accessKeyId":"""#);
        match eval(&RootUserActivity, &record(&keyless, "")) {
            Some(Signal::Distinct { group, .. }) => assert_eq!(group, "111122223333|no-key"),
            other => panic!("expected Distinct, got {other:?}"),
        }
    }

    #[test]
    fn sign_ins_service_calls_and_other_identities_are_left_out() {
        let sign_in = record(ROOT_CONSOLE, "")
            .replace("iam.amazonaws.com", "signin.amazonaws.com")
            .replace(r#""CreateUser""#, r#""ConsoleLogin""#);
        let service_event = record(ROOT_KEY, "").replace(r#""AwsApiCall""#, r#""AwsServiceEvent""#);
        let invoked = ROOT_KEY.replace(
            r#""accessKeyId""#,
            r#""invokedBy":"cloudformation.amazonaws.com","accessKeyId""#,
        );
        let user_named_root = r#"{"type":"IAMUser","principalId":"AIDAEXAMPLE",
            "arn":"arn:aws:iam::111122223333:user/Root","accountId":"111122223333",
            "accessKeyId":"AKIAIOSFODNN7EXAMPLE","userName":"Root"}"#;
        let role_named_root = r#"{"type":"AssumedRole","principalId":"AROAEXAMPLE:s",
            "arn":"arn:aws:sts::111122223333:assumed-role/Root/s","accountId":"111122223333",
            "accessKeyId":"ASIAEXAMPLE","sessionContext":{"sessionIssuer":{"type":"Role",
            "arn":"arn:aws:iam::111122223333:role/Root","userName":"Root"}}}"#;
        for rec in [
            sign_in,
            service_event,
            record(&invoked, ""),
            record(user_named_root, ""),
            record(role_named_root, ""),
        ] {
            assert_eq!(eval(&RootUserActivity, &rec), None, "{rec}");
        }
    }

    fn credential(rec: &str) -> Option<String> {
        match eval(&RootUserActivity, rec) {
            Some(Signal::Distinct { evidence, .. }) => evidence
                .get("credential")
                .and_then(|v| v.as_str())
                .map(str::to_owned),
            other => panic!("expected Distinct, got {other:?}"),
        }
    }

    #[test]
    fn console_billing_assume_root_and_cross_account_calls_count() {
        // Older console calls: `invokedBy` the sign-in service, no console flag.
        let old_console = ROOT_CONSOLE.replace(
            r#""accessKeyId""#,
            r#""invokedBy":"signin.amazonaws.com","accessKeyId""#,
        );
        assert_eq!(credential(&record(&old_console, "")).as_deref(), Some("console session"));
        // The billing console's actions are root's own tasks, and reported.
        let billing = record(ROOT_CONSOLE, r#","sessionCredentialFromConsole":"true""#)
            .replace("iam.amazonaws.com", "billingconsole.amazonaws.com")
            .replace(r#""CreateUser""#, r#""SetContactAddress""#)
            .replace(r#""AwsApiCall""#, r#""AwsConsoleAction""#);
        assert_eq!(credential(&billing).as_deref(), Some("console session"));
        // A member account's root session opened by centralized root access.
        let assumed = ROOT_CONSOLE.replace(r#""mfaAuthenticated":"true"}"#, r#""mfaAuthenticated":"false"},"assumedRoot":"true""#);
        assert_eq!(
            credential(&record(&assumed, "")).as_deref(),
            Some("centralized root session (AssumeRoot)")
        );
        // Its successful reads are `root-session-assumed`'s (eighth session);
        // its writes, refused calls and STS's `Get...` stay; a console root
        // session's reads stay too.
        let read = |identity: &str, name: &str, extra: &str| {
            eval(&RootUserActivity, &record(identity, extra).replace(r#""CreateUser""#, &format!("\"{name}\"")))
        };
        assert!(read(&assumed, "GetLoginProfile", "").is_none());
        assert!(read(&assumed, "ListAccessKeys", "").is_none());
        assert!(read(&assumed, "DeleteLoginProfile", "").is_some());
        assert!(read(&assumed, "GetLoginProfile", r#","errorCode":"AccessDenied""#).is_some());
        assert!(read(&assumed, "GetLoginProfile", r#","errorCode":"NoSuchEntityException""#).is_none());
        for refused in ["AuthorizationError", "NotAuthorizedException", "ValidationError"] {
            assert!(read(&assumed, "GetTopicAttributes", &format!(r#","errorCode":"{refused}""#)).is_some(), "{refused}");
        }
        assert!(read(&assumed, "Getaway", "").is_some());
        assert!(read(ROOT_CONSOLE, "GetLoginProfile", "").is_some());
        let sts = record(&assumed, "")
            .replace("iam.amazonaws.com", "sts.amazonaws.com")
            .replace(r#""CreateUser""#, r#""GetSessionToken""#);
        assert!(eval(&RootUserActivity, &sts).is_some());
        // Another account's root calling into this one: grouped under its own account.
        let foreign = record(ROOT_KEY, "").replace(
            r#""recipientAccountId":"111122223333""#,
            r#""recipientAccountId":"999988887777""#,
        );
        match eval(&RootUserActivity, &foreign) {
            Some(Signal::Distinct { group, evidence, .. }) => {
                assert_eq!(group, "111122223333|AKIAIOSFODNN7EXAMPLE");
                assert_eq!(
                    evidence.get("root_account_id").and_then(|v| v.as_str()),
                    Some("111122223333")
                );
            }
            other => panic!("expected Distinct, got {other:?}"),
        }
    }

    /// How many findings the engine delivers for these records, in order.
    fn findings(records: &[String]) -> Vec<String> {
        use crate::engine::{Engine, Settings};
        use crate::notify::Collect;
        use crate::state::MemoryStore;
        let engine = Engine::with_detections([&RootUserActivity as &dyn Detection], Settings::for_replay());
        let (store, sink) = (MemoryStore::default(), Collect::default());
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        for json in records {
            let rec = crate::event::Record::from_json(json).unwrap();
            rt.block_on(engine.handle(&rec, &store, &sink, 1_780_000_000)).unwrap();
        }
        sink.take()
            .into_iter()
            .map(|f| {
                let c = f.evidence.get("credential").cloned().unwrap_or_default();
                // A window's finding lists each evidence key's distinct values.
                c.get(0).unwrap_or(&c).as_str().unwrap_or_default().to_owned()
            })
            .collect()
    }

    #[test]
    fn one_finding_per_credential_and_hour() {
        let at = |identity: &str, id: u32, time: &str, extra: &str| {
            record(identity, extra)
                .replace("2026-06-02T10:00:01Z", time)
                .replace(r#""eventType""#, &format!(r#""eventID":"e-{id}","eventType""#))
        };
        let console = r#","sessionCredentialFromConsole":"true""#;
        // The console's keys change from page to page: one session, one group.
        let other_page = ROOT_CONSOLE.replace("ASIAY34FZKBOKMUTVV7A", "ASIAY34FZKBOOTHERPAGE");
        let records = [
            at(ROOT_KEY, 1, "2026-06-02T10:00:01Z", ""),
            at(ROOT_KEY, 2, "2026-06-02T10:10:00Z", ""),
            at(ROOT_CONSOLE, 3, "2026-06-02T10:12:00Z", console),
            at(&other_page, 4, "2026-06-02T10:20:00Z", console),
            at(ROOT_KEY, 5, "2026-06-02T10:40:00Z", ""),
            // Three hours on, the key is in use again: a new finding.
            at(ROOT_KEY, 6, "2026-06-02T13:30:00Z", ""),
        ];
        assert_eq!(
            findings(&records),
            ["root access key", "console session", "root access key"]
        );
    }
}
