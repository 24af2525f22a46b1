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
