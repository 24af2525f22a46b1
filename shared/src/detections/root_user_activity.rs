//! Calls made as the account's root user, whatever the API: one finding per root
//! credential (a console session or an access key) and hour.
//!
//! Decisions: root cannot be limited by IAM policies and is needed for a handful of
//! tasks only, so every use deserves a look (the CIS benchmark asks for an alarm on
//! it). The sign-in itself is `console-root-login` (and the failed-login detections);
//! this one reports what root then does, and every call made with a root access key,
//! which should not exist at all. Left out: the sign-in service's events and events
//! CloudTrail types `AwsConsoleSignIn` (the sign-in flow, and the billing console's
//! contact and payment pages, which are among the tasks that need root), AWS
//! service events, and calls an AWS service made on root's behalf (`invokedBy`);
//! console calls count. Failed calls count: root refused by a service control policy
//! is still root in use. One finding per hour, not per call: a root console session
//! makes hundreds of calls, and the group is the credential (its access key id), so a
//! stolen root key used while the owner works in the console is a finding of its own.
//! Read-only calls count too, so its rule takes every management event made as root.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, WindowSpec};
use crate::detections::common::{aws_service_caller, call_value, caller_evidence, joined};
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
    triggers: &[Trigger::RootIdentity],
    window: Some(WindowSpec::Distinct {
        window_secs: 3600,
        min_distinct: 1,
    }),
};

impl Detection for RootUserActivity {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.identity_type() != Some("Root")
            || rec.event_source() == "signin.amazonaws.com"
            || matches!(
                rec.event_type.as_deref(),
                Some("AwsConsoleSignIn" | "AwsServiceEvent")
            )
            || aws_service_caller(rec)
        {
            return None;
        }
        let key = rec
            .identity()
            .and_then(|u| u.access_key_id.as_deref())
            .map(str::trim)
            .filter(|k| !k.is_empty());
        let credential = match key {
            Some(k) if k.starts_with("AKIA") => "root access key",
            _ if rec.from_console_session() => "console session",
            Some(_) => "temporary credentials",
            None => "unknown",
        };
        Some(Signal::Distinct {
            group: joined(
                &[rec.account_id().unwrap_or("unknown"), key.unwrap_or("no-key")],
                '|',
            ),
            value: call_value(rec),
            evidence: caller_evidence(rec)
                .with("credential", credential)
                .with_opt("access_key_id", key),
        })
    }
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
                "111122223333|ASIAY34FZKBOKMUTVV7A",
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
        let billing = record(ROOT_CONSOLE, "")
            .replace("iam.amazonaws.com", "billingconsole.amazonaws.com")
            .replace(r#""AwsApiCall""#, r#""AwsConsoleSignIn""#);
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
            billing,
            service_event,
            record(&invoked, ""),
            record(user_named_root, ""),
            record(role_named_root, ""),
        ] {
            assert_eq!(eval(&RootUserActivity, &rec), None, "{rec}");
        }
        // A console call marked as made through the console is root's own.
        let console = ROOT_CONSOLE.replace(
            r#""accessKeyId""#,
            r#""invokedBy":"signin.amazonaws.com","accessKeyId""#,
        );
        assert!(eval(&RootUserActivity, &record(&console, "")).is_some());
    }
}
