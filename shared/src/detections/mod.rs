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
    iam_admin_policy_attached_to_group::IamAdminPolicyAttachedToGroup,
    iam_admin_policy_attached_to_role::IamAdminPolicyAttachedToRole,
    iam_admin_policy_attached_to_user::IamAdminPolicyAttachedToUser,
    iam_compromised_key_quarantine_policy_attached::IamCompromisedKeyQuarantinePolicyAttached,
    iam_password_policy_deleted::IamPasswordPolicyDeleted,
    iam_password_policy_updated::IamPasswordPolicyUpdated,
    iam_policy_deleted::IamPolicyDeleted,
    iam_group_created_or_deleted::IamGroupCreatedOrDeleted,
    iam_inline_policy_added_to_group::IamInlinePolicyAddedToGroup,
    iam_permissions_boundary_removed::IamPermissionsBoundaryRemoved,
    iam_saml_provider_created_or_updated::IamSamlProviderCreatedOrUpdated,
    iam_saml_provider_deleted::IamSamlProviderDeleted,
    iam_policy_version_created_or_default_set::IamPolicyVersionCreatedOrDefaultSet,
    iam_role_trust_policy_external_principal::IamRoleTrustPolicyExternalPrincipal,
    iam_assume_role_policy_updated::IamAssumeRolePolicyUpdated,
    iam_assume_role_policy_brute_force::IamAssumeRolePolicyBruteForce,
    iam_user_created_by_ec2_instance_role::IamUserCreatedByEc2InstanceRole,
    iam_customer_policy_attached_to_role_by_rare_user::IamCustomerPolicyAttachedToRoleByRareUser,
    iam_mfa_device_deactivated::IamMfaDeviceDeactivated,
    iam_mfa_device_enabled_for_another_user::IamMfaDeviceEnabledForAnotherUser,
    iam_root_login_profile_created::IamRootLoginProfileCreated,
    iam_login_profile_changed_for_another_user::IamLoginProfileChangedForAnotherUser,
    iam_oidc_provider_created_by_rare_user::IamOidcProviderCreatedByRareUser,
    rolesanywhere_trust_anchor_created::RolesAnywhereTrustAnchorCreated,
    rolesanywhere_profile_created::RolesAnywhereProfileCreated,
    sts_federation_token_first_seen::StsFederationTokenFirstSeen,
    iam_sensitive_operation_from_lambda::IamSensitiveOperationFromLambda,
    iam_sensitive_operation_from_cloudshell::IamSensitiveOperationFromCloudShell,
    iam_user_added_self_to_group::IamUserAddedSelfToGroup,
    iam_group_deletion_failed::IamGroupDeletionFailed,
    iam_call_with_user_session_token::IamCallWithUserSessionToken,
    // (end of iam-persistence)

    // --- data-exposure: sharing, exfiltration and destruction of data: S3, snapshots, images, databases, keys, secrets.
    // (end of data-exposure)

    // --- compute-network: EC2, VPC, security groups, Lambda, containers, SSM.
    // (end of compute-network)

    // --- security-services: GuardDuty, Security Hub, detective controls, organisation and account settings.
    // (end of security-services)

    // --- discovery: read-only reconnaissance.
    // (end of discovery)

    // --- self-protection: trailwatch's own resources and pipeline.
    // (end of self-protection)

    // --- more: anything else.
    // (end of more)
}
