//! An access key created (`CreateAccessKey`, successfully) for an IAM user by anyone
//! other than that user: another IAM user, a role, root or a federated session.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::access_key_field;
use crate::event::{Record, actor_display};

pub struct CreateAccessKeyForAnotherUser;

pub static META: Meta = Meta {
    id: "create-access-key-for-another-user",
    title: "AWS CreateAccessKey",
    description: "A principal created a long-term access key for an IAM user other than \
                  itself. Minting keys for someone else is a quiet way to keep access to an \
                  account: the key outlives the session that made it and acts as that user.",
    severity: Severity::Medium,
    attack: &["T1136", "T1136.003"],
    origins: &[
        "Splunk ESCU detections/cloud/aws_createaccesskey.yml \
         (2a9b80d3-6340-4345-11ad-212bf3d0d111)",
        "SigmaHQ rules/cloud/aws/cloudtrail/aws_iam_backdoor_users_keys.yml (AWS IAM Backdoor \
         Users Keys; its arn-contains-name test done as an exact user-name comparison)",
    ],
    group: "identity-abuse",
    false_positives: &[
        "Administrators or provisioning pipelines creating keys for service users.",
        "Key rotation tooling that runs under a role.",
    ],
    next_steps: "Ask the caller and the owner of the target user whether the key was expected. \
                 If not, deactivate and delete the new key, check the user's other keys, and \
                 review how the caller obtained the permission to create it.",
    evidence: "access_key_id access_key_status access_key_user caller caller_type target_user",
    triggers: &[Trigger::Events {
        source: "iam.amazonaws.com",
        names: &["CreateAccessKey"],
        read_only: false,
        data_event: false,
        detail_pattern: None,
    }],
    window: None,
};

impl Detection for CreateAccessKeyForAnotherUser {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "iam.amazonaws.com"
            || rec.event_name() != "CreateAccessKey"
            || !rec.succeeded()
        {
            return None;
        }
        // Without a target the key is the caller's own.
        let target = rec.request_param_str("userName")?;
        // The caller is that user only when it is the IAM user of exactly that name.
        let is_self = rec.identity_type() == Some("IAMUser") && rec.user_name() == Some(target);
        if is_self {
            return None;
        }
        // Only the key id and its metadata; the secret is never copied.
        fire(
            Evidence::new()
                .with("target_user", target)
                .with("caller", actor_display(rec))
                .with_opt("caller_type", rec.identity_type())
                .with_opt("access_key_id", access_key_field(rec, "accessKeyId"))
                .with_opt("access_key_user", access_key_field(rec, "userName"))
                .with_opt("access_key_status", access_key_field(rec, "status")),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::{fired_evidence, fires};

    fn record(identity: &str, target: &str, extra: &str) -> String {
        format!(
            r#"{{"eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey",
            "eventTime":"2026-06-03T10:45:00Z","awsRegion":"us-east-1","recipientAccountId":"123456789012",
            "sourceIPAddress":"203.0.113.14","userAgent":"aws-cli/2.13.0 Python/3.11.4 Darwin/23.0.0 source/arm64",
            "userIdentity":{identity},{extra}
            "requestParameters":{{"userName":"{target}"}},
            "responseElements":{{"accessKey":{{"accessKeyId":"AKIAEXAMPLENEWKEY001","status":"Active",
                "userName":"{target}","createDate":"Jun 3, 2026 10:45:00 AM"}}}}}}"#
        )
    }

    const JUDY: &str = r#"{"type":"IAMUser","principalId":"AIDAEXAMPLEJUDY","arn":"arn:aws:iam::123456789012:user/judy",
        "accountId":"123456789012","accessKeyId":"AKIAEXAMPLEKEY000003","userName":"judy"}"#;

    fn evidence(json: &str) -> Evidence {
        fired_evidence(&CreateAccessKeyForAnotherUser, json)
    }

    #[test]
    fn fires_when_a_user_creates_a_key_for_another_user() {
        let e = evidence(&record(JUDY, "backup-svc", ""));
        let s = |k: &str| e.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        assert_eq!(s("target_user").as_deref(), Some("backup-svc"));
        assert_eq!(s("caller").as_deref(), Some("judy"));
        assert_eq!(s("access_key_id").as_deref(), Some("AKIAEXAMPLENEWKEY001"));
        assert_eq!(s("access_key_user").as_deref(), Some("backup-svc"));
        assert!(e.get("secret_access_key").is_none());
    }

    #[test]
    fn ignores_a_user_creating_its_own_key() {
        assert!(!fires(
            &CreateAccessKeyForAnotherUser,
            &record(JUDY, "judy", "")
        ));
    }

    #[test]
    fn the_name_comparison_is_exact_and_case_sensitive() {
        // A regex-style match would treat "judy" as matching "judy-admin"; we do not.
        assert!(fires(
            &CreateAccessKeyForAnotherUser,
            &record(JUDY, "jud", "")
        ));
        let judy_admin = JUDY.replace(r#""userName":"judy""#, r#""userName":"judy-admin""#);
        assert!(fires(
            &CreateAccessKeyForAnotherUser,
            &record(&judy_admin, "judy", "")
        ));
        assert!(fires(
            &CreateAccessKeyForAnotherUser,
            &record(JUDY, "Judy", "")
        ));
    }

    #[test]
    fn roles_root_and_federated_callers_fire() {
        let callers = [
            r#"{"type":"AssumedRole","principalId":"AROAEXAMPLE:ops","arn":"arn:aws:sts::123456789012:assumed-role/judy/ops",
               "accountId":"123456789012","sessionContext":{"sessionIssuer":{"type":"Role","userName":"judy"}}}"#,
            r#"{"type":"Root","principalId":"123456789012","arn":"arn:aws:iam::123456789012:root","accountId":"123456789012"}"#,
            r#"{"type":"FederatedUser","principalId":"123456789012:judy","arn":"arn:aws:sts::123456789012:federated-user/judy",
               "accountId":"123456789012","sessionContext":{"sessionIssuer":{"type":"IAMUser","userName":"judy"}}}"#,
        ];
        for c in callers {
            // Even when the target shares the session's name: the caller is not the user.
            assert!(
                fires(&CreateAccessKeyForAnotherUser, &record(c, "judy", "")),
                "{c}"
            );
        }
    }

    #[test]
    fn ignores_a_failed_call() {
        let denied = record(
            JUDY,
            "backup-svc",
            r#""errorCode":"AccessDenied","errorMessage":"not authorized","#,
        );
        assert!(!fires(&CreateAccessKeyForAnotherUser, &denied));
        let quota = record(
            JUDY,
            "backup-svc",
            r#""errorCode":"LimitExceededException","#,
        );
        assert!(!fires(&CreateAccessKeyForAnotherUser, &quota));
    }

    #[test]
    fn needs_a_target_user() {
        let no_target = record(JUDY, "x", "").replace(
            r#""requestParameters":{"userName":"x"}"#,
            r#""requestParameters":{}"#,
        );
        assert!(!fires(&CreateAccessKeyForAnotherUser, &no_target));
        let null_params = record(JUDY, "x", "").replace(
            r#""requestParameters":{"userName":"x"}"#,
            r#""requestParameters":null"#,
        );
        assert!(!fires(&CreateAccessKeyForAnotherUser, &null_params));
        assert!(!fires(
            &CreateAccessKeyForAnotherUser,
            &record(JUDY, "", "")
        ));
    }

    #[test]
    fn no_user_agent_exclusion() {
        let console = record(JUDY, "backup-svc", "").replace(
            "aws-cli/2.13.0 Python/3.11.4 Darwin/23.0.0 source/arm64",
            "console.amazonaws.com",
        );
        assert!(fires(&CreateAccessKeyForAnotherUser, &console));
    }

    #[test]
    fn fires_without_response_elements_and_without_identity() {
        let bare = r#"{"eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey",
            "requestParameters":{"userName":"backup-svc"},"responseElements":null}"#;
        let e = evidence(bare);
        assert!(e.get("access_key_id").is_none());
        assert_eq!(e.get("caller").and_then(|v| v.as_str()), Some("unknown"));
    }

    #[test]
    fn ignores_other_events() {
        let other = record(JUDY, "backup-svc", "").replace("CreateAccessKey", "UpdateAccessKey");
        assert!(!fires(&CreateAccessKeyForAnotherUser, &other));
        let other_source =
            record(JUDY, "backup-svc", "").replace("iam.amazonaws.com", "sts.amazonaws.com");
        assert!(!fires(&CreateAccessKeyForAnotherUser, &other_source));
    }
}
