//! One file per detection: metadata beside logic beside unit tests.
//!
//! Adding a detection touches its own file, one line of the registry below and its
//! samples under `events/<id>/`. The line declares the module and puts the
//! detection in [`ALL`]; its metadata names its function group, from which the
//! EventBridge patterns, the template's rules and the docs are derived.

pub mod common;

/// Declares each detection module and lists its detection in [`ALL`], in order.
macro_rules! registry {
    ($($module:ident :: $detection:ident),* $(,)?) => {
        $(pub mod $module;)*
        /// Every detection trailwatch ships, in registry order (the order findings
        /// of one record are reported in).
        pub static ALL: &[&dyn crate::detection::Detection] = &[$(&$module::$detection),*];
    };
}

registry! {
    // --- The seed catalogue (spec detections.md), in its order.
    aws_cli_custom_endpoint_url::AwsCliCustomEndpointUrl,
    cloudshell_environment_created::CloudShellEnvironmentCreated,
    cloudtrail_important_change::CloudTrailImportantChange,
    cloudtrail_log_created::CloudTrailLogCreated,
    cloudtrail_log_deleted::CloudTrailLogDeleted,
    cloudtrail_log_evasion::CloudTrailLogEvasion,
    cloudtrail_log_suspended::CloudTrailLogSuspended,
    cloudtrail_log_updated::CloudTrailLogUpdated,
    cloudwatch_alarm_deletion::CloudWatchAlarmDeletion,
    cloudwatch_log_group_deletion::CloudWatchLogGroupDeletion,
    cloudwatch_log_stream_deletion::CloudWatchLogStreamDeletion,
    concurrent_sessions_different_ips::ConcurrentSessionsDifferentIps,
    config_disabling_channel_recorder::ConfigDisablingChannelRecorder,
    config_resource_deletion::ConfigResourceDeletion,
    config_recorder_stopped::ConfigRecorderStopped,
    console_getsignintoken_abuse::ConsoleGetSigninTokenAbuse,
    console_login_failed_mfa_challenge::ConsoleLoginFailedMfaChallenge,
    consolelogin_failed_authentication::ConsoleLoginFailedAuthentication,
    create_policy_version_allow_all::CreatePolicyVersionAllowAll,
    create_access_key_for_another_user::CreateAccessKeyForAnotherUser,
    create_login_profile_then_console_login::CreateLoginProfileThenConsoleLogin,
    credential_access_failed_login::CredentialAccessFailedLogin,
    getpassworddata_burst::GetPasswordDataBurst,
    rds_master_password_reset::RdsMasterPasswordReset,
    // (end of seed)

    // --- iam-persistence: IAM users, roles, policies, identity providers, STS.
    // (end of iam-persistence)

    // --- data-exposure: sharing, exfiltration and destruction of data: S3, snapshots, images, databases, keys, secrets.
    // (end of data-exposure)

    // --- compute-network: EC2, VPC, security groups, Lambda, containers, SSM.
    // (end of compute-network)

    // --- security-services: GuardDuty, Security Hub, detective controls, organisation and account settings.
    // (end of security-services)

    // --- discovery: read-only reconnaissance.
    discovery_api_burst_via_cli::DiscoveryApiBurstViaCli,
    discovery_sweep_by_principal::DiscoverySweepByPrincipal,
    ec2_deprecated_ami_discovery::Ec2DeprecatedAmiDiscovery,
    ec2_getpassworddata_denied_for_role::Ec2GetPasswordDataDeniedForRole,
    ec2_user_data_retrieval::Ec2UserDataRetrieval,
    ecr_image_scan_findings_high::EcrImageScanFindingsHigh,
    ecr_image_scan_findings_medium::EcrImageScanFindingsMedium,
    ecr_image_scan_findings_low::EcrImageScanFindingsLow,
    ecr_image_push_outside_business_hours::EcrImagePushOutsideBusinessHours,
    ec2_keypair_created_by_new_principal::Ec2KeypairCreatedByNewPrincipal,
    console_failed_logins_for_user::ConsoleFailedLoginsForUser,
    console_failed_logins_from_ip::ConsoleFailedLoginsFromIp,
    console_login_spray_from_ip::ConsoleLoginSprayFromIp,
    console_mfa_failures_for_user::ConsoleMfaFailuresForUser,
    iam_access_denied_discovery::IamAccessDeniedDiscovery,
    ses_enumeration_long_term_key::SesEnumerationLongTermKey,
    ec2_instance_role_enumeration::Ec2InstanceRoleEnumeration,
    offensive_tool_user_agent::OffensiveToolUserAgent,
    s3browser_iam_activity::S3BrowserIamActivity,
    ecr_image_push_by_new_principal::EcrImagePushByNewPrincipal,
    // (end of discovery)

    // --- self-protection: trailwatch's own resources and pipeline.
    // (end of self-protection)

    // --- more: anything else.
    // (end of more)
}
