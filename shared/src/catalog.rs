//! The list of every detection, in the spec's order, and the Lambda function groups.

use crate::detection::Detection;
use crate::detections::*;

/// Every detection trailwatch ships, in the order of the spec's table.
pub static ALL: &[&dyn Detection] = &[
    &aws_cli_custom_endpoint_url::AwsCliCustomEndpointUrl,
    &cloudshell_environment_created::CloudShellEnvironmentCreated,
    &cloudtrail_important_change::CloudTrailImportantChange,
    &cloudtrail_log_created::CloudTrailLogCreated,
    &cloudtrail_log_deleted::CloudTrailLogDeleted,
    &cloudtrail_log_evasion::CloudTrailLogEvasion,
    &cloudtrail_log_suspended::CloudTrailLogSuspended,
    &cloudtrail_log_updated::CloudTrailLogUpdated,
    &cloudwatch_alarm_deletion::CloudWatchAlarmDeletion,
    &cloudwatch_log_group_deletion::CloudWatchLogGroupDeletion,
    &cloudwatch_log_stream_deletion::CloudWatchLogStreamDeletion,
    &concurrent_sessions_different_ips::ConcurrentSessionsDifferentIps,
    &config_disabling_channel_recorder::ConfigDisablingChannelRecorder,
    &config_resource_deletion::ConfigResourceDeletion,
    &config_recorder_stopped::ConfigRecorderStopped,
    &console_getsignintoken_abuse::ConsoleGetSigninTokenAbuse,
    &console_login_failed_mfa_challenge::ConsoleLoginFailedMfaChallenge,
    &consolelogin_failed_authentication::ConsoleLoginFailedAuthentication,
    &create_policy_version_allow_all::CreatePolicyVersionAllowAll,
    &create_access_key_for_another_user::CreateAccessKeyForAnotherUser,
    &create_login_profile_then_console_login::CreateLoginProfileThenConsoleLogin,
    &credential_access_failed_login::CredentialAccessFailedLogin,
    &getpassworddata_burst::GetPasswordDataBurst,
    &rds_master_password_reset::RdsMasterPasswordReset,
];

/// A Lambda function's share of the catalogue: one concern, one narrow EventBridge
/// rule, only the permissions it needs.
#[derive(Debug)]
pub struct FunctionGroup {
    /// Also the function crate's directory under `functions/` and the prefix of its
    /// keys in the state table.
    pub name: &'static str,
    pub description: &'static str,
    pub detections: &'static [&'static str],
}

/// Every detection is in exactly one group.
pub static GROUPS: &[FunctionGroup] = &[
    FunctionGroup {
        name: "logging-tamper",
        description: "Logging and monitoring tampering: CloudTrail, CloudWatch, Config, IAM log evasion",
        detections: &[
            "cloudtrail-important-change",
            "cloudtrail-log-created",
            "cloudtrail-log-deleted",
            "cloudtrail-log-evasion",
            "cloudtrail-log-suspended",
            "cloudtrail-log-updated",
            "cloudwatch-alarm-deletion",
            "cloudwatch-log-group-deletion",
            "cloudwatch-log-stream-deletion",
            "config-disabling-channel-recorder",
            "config-resource-deletion",
            "config-recorder-stopped",
        ],
    },
    FunctionGroup {
        name: "identity-abuse",
        description: "Identity and credential abuse: policy versions, access keys, RDS passwords, CloudShell, GetSigninToken",
        detections: &[
            "cloudshell-environment-created",
            "console-getsignintoken-abuse",
            "create-policy-version-allow-all",
            "create-access-key-for-another-user",
            "rds-master-password-reset",
        ],
    },
    FunctionGroup {
        name: "signin-failures",
        description: "Console sign-in failures",
        detections: &[
            "console-login-failed-mfa-challenge",
            "consolelogin-failed-authentication",
            "credential-access-failed-login",
        ],
    },
    FunctionGroup {
        name: "correlation",
        description: "Windowed and correlated detections (the only group that keeps window items)",
        detections: &[
            "concurrent-sessions-different-ips",
            "create-login-profile-then-console-login",
            "getpassworddata-burst",
        ],
    },
    FunctionGroup {
        name: "cli-endpoint",
        description: "AWS CLI calls with an endpoint override (broad aws-cli/ user-agent pattern)",
        detections: &["aws-cli-custom-endpoint-url"],
    },
];

/// A function group by name.
pub fn group(name: &str) -> Option<&'static FunctionGroup> {
    GROUPS.iter().find(|g| g.name == name)
}

/// The detections of a function group, in catalogue order.
pub fn group_detections(group: &FunctionGroup) -> Vec<&'static dyn Detection> {
    ALL.iter()
        .copied()
        .filter(|d| group.detections.contains(&d.meta().id))
        .collect()
}

/// Looks a detection up by id.
pub fn by_id(id: &str) -> Option<&'static dyn Detection> {
    ALL.iter().copied().find(|d| d.meta().id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_kebab_case() {
        let mut seen = std::collections::HashSet::new();
        for d in ALL {
            let id = d.meta().id;
            assert!(seen.insert(id), "duplicate id {id}");
            assert!(
                id.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{id}"
            );
        }
        assert_eq!(ALL.len(), 24);
    }

    #[test]
    fn every_detection_is_in_exactly_one_group() {
        for d in ALL {
            let n = GROUPS
                .iter()
                .filter(|g| g.detections.contains(&d.meta().id))
                .count();
            assert_eq!(n, 1, "{} is in {n} groups", d.meta().id);
        }
        let listed: usize = GROUPS.iter().map(|g| g.detections.len()).sum();
        assert_eq!(listed, ALL.len(), "a group names an unknown detection");
        for g in GROUPS {
            let stateful = group_detections(g).iter().any(|d| d.meta().stateful());
            assert_eq!(
                stateful,
                g.name == "correlation",
                "only the correlation group keeps window items"
            );
        }
    }

    #[test]
    fn every_detection_is_fully_described() {
        for d in ALL {
            let m = d.meta();
            assert!(!m.title.is_empty() && !m.description.is_empty(), "{}", m.id);
            assert!(!m.attack.is_empty() && !m.origin.is_empty(), "{}", m.id);
            assert!(
                !m.false_positives.is_empty() && !m.next_steps.is_empty(),
                "{}",
                m.id
            );
            assert!(!m.triggers.is_empty(), "{}", m.id);
        }
    }
}
