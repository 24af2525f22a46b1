//! One file per detection: metadata beside logic beside unit tests.
//!
//! Adding a detection touches its own file, one line of the registry below and its
//! samples under `events/<id>/`. The line declares the module and puts the
//! detection in [`ALL`]; its metadata names its function group, from which the
//! EventBridge patterns, the template's rules and the docs are derived.

pub mod common;

use crate::detection::{Detection, Indexed};

/// Declares each detection module and lists its detection in [`ALL`], in order,
/// and its id and window in [`INDEX`].
macro_rules! registry {
    ($($module:ident :: $detection:ident),* $(,)?) => {
        $(pub mod $module;)*
        /// How many detections the registry lists.
        pub const COUNT: usize = [$(stringify!($module)),*].len();
        /// Every detection, read only at compile time (by [`ALL`] and
        /// [`in_group`]): a binary links the logic and text of the detections it
        /// names at run time, and no others.
        const EVERY: [&dyn Detection; COUNT] = [$(&$module::$detection),*];
        /// Each detection's function group, in registry order.
        const GROUP_OF: [&str; COUNT] = [$($module::META.group),*];
        /// Every detection trailwatch ships, in registry order (the order findings
        /// of one record are reported in).
        pub static ALL: &[&dyn Detection] = &EVERY;
        /// Every detection's id and window, without its logic or text: what a
        /// function checks its configuration and tuning against.
        pub static INDEX: &[Indexed] = &[$(Indexed::of(&$module::META)),*];
    };
}

/// How many detections of the registry run in `group`.
pub const fn count_in(group: &str) -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < COUNT {
        if same_text(GROUP_OF[i], group) {
            n += 1;
        }
        i += 1;
    }
    n
}

/// The `N` detections of `group` (`N` from [`count_in`]), in registry order. Meant
/// for statics (`catalog::functions`): evaluated by the compiler, it leaves the
/// other groups' detections out of the static and so out of the binary.
pub const fn in_group<const N: usize>(group: &str) -> [&'static dyn Detection; N] {
    let mut out = [EVERY[0]; N];
    let (mut i, mut k) = (0, 0);
    while i < COUNT {
        if same_text(GROUP_OF[i], group) {
            out[k] = EVERY[i];
            k += 1;
        }
        i += 1;
    }
    assert!(k == N, "in_group: N is not the group's count");
    out
}

/// `a == b`, at compile time.
pub(crate) const fn same_text(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
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
    cloudwatch_monitoring_silenced::CloudWatchMonitoringSilenced,
    cloudwatch_log_stream_deletion::CloudWatchLogStreamDeletion,
    concurrent_sessions_different_ips::ConcurrentSessionsDifferentIps,
    config_disabling_channel_recorder::ConfigDisablingChannelRecorder,
    config_resource_deletion::ConfigResourceDeletion,
    config_recorder_stopped::ConfigRecorderStopped,
    config_recording_narrowed::ConfigRecordingNarrowed,
    console_getsignintoken_abuse::ConsoleGetSigninTokenAbuse,
    github_actions_role_assumed_by_new_owner::GitHubActionsRoleAssumedByNewOwner,
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
    sso_permission_set_admin_policy::SsoPermissionSetAdminPolicy,
    iam_service_specific_credential_created::IamServiceSpecificCredentialCreated,
    organizations_guardrail_policy_removed::OrganizationsGuardrailPolicyRemoved,
    organizations_delegated_administrator_registered::OrganizationsDelegatedAdministratorRegistered,
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
    iam_root_access_key_created::IamRootAccessKeyCreated,
    iam_login_profile_changed_for_another_user::IamLoginProfileChangedForAnotherUser,
    iam_login_profile_set_for_self_with_access_key::IamLoginProfileSetForSelfWithAccessKey,
    iam_access_key_created_for_self_with_access_key::IamAccessKeyCreatedForSelfWithAccessKey,
    login_profile_reset_then_console_login::LoginProfileResetThenConsoleLogin,
    instance_profile_role_swapped::InstanceProfileRoleSwapped,
    iam_oidc_provider_created_by_rare_user::IamOidcProviderCreatedByRareUser,
    rolesanywhere_trust_anchor_created::RolesAnywhereTrustAnchorCreated,
    rolesanywhere_profile_created::RolesAnywhereProfileCreated,
    sts_federation_token_first_seen::StsFederationTokenFirstSeen,
    iam_sensitive_operation_from_lambda::IamSensitiveOperationFromLambda,
    iam_sensitive_operation_from_cloudshell::IamSensitiveOperationFromCloudShell,
    iam_user_added_self_to_group::IamUserAddedSelfToGroup,
    iam_group_deletion_failed::IamGroupDeletionFailed,
    iam_call_with_user_session_token::IamCallWithUserSessionToken,
    organizations_account_created_or_invited::OrganizationsAccountCreatedOrInvited,
    eventbridge_rule_on_identity_creation::EventBridgeRuleOnIdentityCreation,
    // (end of iam-persistence)

    // --- data-exposure (S3, keys, secrets, tables, queues, repositories) and
    // backup-exposure (snapshots, images, databases, backups, file systems): sharing,
    // exfiltration and destruction of data. The two groups share this part of the
    // catalogue, which keeps its order (replay reports findings in it).
    ebs_snapshot_shared::EbsSnapshotShared,
    ec2_ami_shared::Ec2AmiShared,
    rds_snapshot_shared::RdsSnapshotShared,
    s3_bucket_policy_external_access::S3BucketPolicyExternalAccess,
    s3_bucket_lifecycle_short_expiration::S3BucketLifecycleShortExpiration,
    s3_object_encrypted_with_customer_key::S3ObjectEncryptedWithCustomerKey,
    s3_copy_object_foreign_kms_key::S3CopyObjectForeignKmsKey,
    s3_objects_batch_deleted::S3ObjectsBatchDeleted,
    s3_object_deletion_burst::S3ObjectDeletionBurst,
    secretsmanager_rapid_retrieval::SecretsManagerRapidRetrieval,
    secretsmanager_batch_retrieval_first_seen::SecretsManagerBatchRetrievalFirstSeen,
    ssm_securestring_bulk_retrieval::SsmSecureStringBulkRetrieval,
    s3_bucket_versioning_suspended::S3BucketVersioningSuspended,
    ebs_snapshot_access_removed::EbsSnapshotAccessRemoved,
    ec2_export_task::Ec2ExportTask,
    ecr_repository_policy_public::EcrRepositoryPolicyPublic,
    efs_file_system_deleted::EfsFileSystemDeleted,
    efs_mount_target_deleted::EfsMountTargetDeleted,
    dynamodb_scan_first_seen::DynamoDbScanFirstSeen,
    dynamodb_table_exported_first_seen::DynamoDbTableExportedFirstSeen,
    kms_key_policy_public_encrypt::KmsKeyPolicyPublicEncrypt,
    s3_bucket_replication_configured::S3BucketReplicationConfigured,
    datasync_task_created::DataSyncTaskCreated,
    ec2_snapshot_exfiltration_sequence::Ec2SnapshotExfiltrationSequence,
    rds_instance_made_public::RdsInstanceMadePublic,
    s3_block_public_access_removed::S3BlockPublicAccessRemoved,
    kms_key_disabled_or_scheduled_for_deletion::KmsKeyDisabledOrScheduledForDeletion,
    sqs_queue_purged::SqsQueuePurged,
    backup_vault_or_plan_deleted::BackupVaultOrPlanDeleted,
    s3_batch_operations_job_created::S3BatchOperationsJobCreated,
    ec2_ami_deregistered::Ec2AmiDeregistered,
    s3_server_access_logging_disabled::S3ServerAccessLoggingDisabled,
    s3_acl_grants_public_access::S3AclGrantsPublicAccess,
    secretsmanager_resource_policy_external_access::SecretsManagerResourcePolicyExternalAccess,
    secretsmanager_secret_force_deleted::SecretsManagerSecretForceDeleted,
    rds_deletion_protection_disabled::RdsDeletionProtectionDisabled,
    rds_snapshot_exported::RdsSnapshotExported,
    ec2_block_public_access_disabled::Ec2BlockPublicAccessDisabled,
    rds_automated_backups_removed::RdsAutomatedBackupsRemoved,
    // (end of data-exposure)

    // --- compute-network: EC2, VPC, security groups, Lambda, containers, SSM.
    ec2_ebs_default_encryption_disabled::Ec2EbsDefaultEncryptionDisabled,
    ec2_instance_connect_keys_burst::Ec2InstanceConnectKeysBurst,
    ec2_instance_connect_ssh_key_sent::Ec2InstanceConnectSshKeySent,
    ec2_instance_profile_associated::Ec2InstanceProfileAssociated,
    ec2_nacl_allow_all_new_identity::Ec2NaclAllowAllNewIdentity,
    ec2_network_acl_created::Ec2NetworkAclCreated,
    ec2_network_acl_deleted::Ec2NetworkAclDeleted,
    ec2_prefix_list_open_to_internet::Ec2PrefixListOpenToInternet,
    ec2_root_volume_replaced::Ec2RootVolumeReplaced,
    ec2_route_table_created::Ec2RouteTableCreated,
    ec2_route_table_modified_or_deleted::Ec2RouteTableModifiedOrDeleted,
    ec2_security_group_changed::Ec2SecurityGroupChanged,
    ec2_security_group_open_to_internet::Ec2SecurityGroupOpenToInternet,
    ec2_serial_console_access_enabled::Ec2SerialConsoleAccessEnabled,
    ec2_stop_modify_user_data_start::Ec2StopModifyUserDataStart,
    ec2_traffic_mirror_session_created::Ec2TrafficMirrorSessionCreated,
    ec2_unusual_instance_type_launched::Ec2UnusualInstanceTypeLaunched,
    ec2_user_data_modified::Ec2UserDataModified,
    lambda_function_code_updated::LambdaFunctionCodeUpdated,
    lambda_function_made_public::LambdaFunctionMadePublic,
    lambda_layer_attached::LambdaLayerAttached,
    ssm_send_command_shell::SsmSendCommandShell,
    ssm_session_started_first_time::SsmSessionStartedFirstTime,
    ecs_task_definition_credential_endpoint::EcsTaskDefinitionCredentialEndpoint,
    eks_access_entry_cluster_admin::EksAccessEntryClusterAdmin,
    eks_access_entry_modified::EksAccessEntryModified,
    eks_cluster_created_or_deleted::EksClusterCreatedOrDeleted,
    eks_control_plane_logging_disabled::EksControlPlaneLoggingDisabled,
    eks_cluster_endpoint_opened_to_internet::EksClusterEndpointOpenedToInternet,
    lambda_function_role_swapped::LambdaFunctionRoleSwapped,
    ec2_instance_connect_endpoint_created::Ec2InstanceConnectEndpointCreated,
    elasticache_security_group_created::ElastiCacheSecurityGroupCreated,
    elasticache_security_group_modified_or_deleted::ElastiCacheSecurityGroupModifiedOrDeleted,
    glue_dev_endpoint_activity::GlueDevEndpointActivity,
    codebuild_project_made_public::CodeBuildProjectMadePublic,

    // (end of compute-network)

    // --- security-services: GuardDuty, Security Hub, detective controls, organisation and account settings.
    guardduty_detector_disabled::GuardDutyDetectorDisabled,
    guardduty_finding_suppression::GuardDutyFindingSuppression,
    guardduty_protection_plan_disabled::GuardDutyProtectionPlanDisabled,
    guardduty_member_manipulation::GuardDutyMemberManipulation,
    guardduty_publishing_destination_deleted::GuardDutyPublishingDestinationDeleted,
    guardduty_threat_intel_set_deleted::GuardDutyThreatIntelSetDeleted,
    securityhub_findings_evasion::SecurityHubFindingsEvasion,
    securityhub_disabled::SecurityHubDisabled,
    macie_disabled::MacieDisabled,
    inspector_disabled::InspectorDisabled,
    detective_graph_deleted::DetectiveGraphDeleted,
    access_analyzer_deleted::AccessAnalyzerDeleted,
    organizations_leave_attempt::OrganizationsLeaveAttempt,
    organizations_account_closed::OrganizationsAccountClosed,
    organizations_service_access_disabled::OrganizationsServiceAccessDisabled,
    region_enabled::RegionEnabled,
    account_primary_email_changed::AccountPrimaryEmailChanged,
    account_security_contact_changed::AccountSecurityContactChanged,
    eventbridge_rule_disabled_or_deleted::EventBridgeRuleDisabledOrDeleted,
    waf_web_acl_deleted::WafWebAclDeleted,
    waf_rule_deleted::WafRuleDeleted,
    route53_domain_transfer_lock_disabled::Route53DomainTransferLockDisabled,
    route53_domain_transferred_to_another_account::Route53DomainTransferredToAnotherAccount,
    vpc_flow_logs_deleted::VpcFlowLogsDeleted,
    route53_resolver_query_logging_deleted::Route53ResolverQueryLoggingDeleted,
    cloudtrail_management_events_disabled::CloudTrailManagementEventsDisabled,
    cloudtrail_lake_ingestion_stopped::CloudTrailLakeIngestionStopped,
    route53_resolver_dns_firewall_disabled::Route53ResolverDnsFirewallDisabled,
    waf_logging_deleted::WafLoggingDeleted,
    bedrock_invocation_logging_deleted::BedrockInvocationLoggingDeleted,
    rds_activity_stream_stopped::RdsActivityStreamStopped,
    console_root_login::ConsoleRootLogin,
    console_login_without_mfa::ConsoleLoginWithoutMfa,
    ec2_imdsv1_enabled::Ec2ImdsV1Enabled,
    ec2_instance_credentials_console_login::Ec2InstanceCredentialsConsoleLogin,
    root_console_brute_force::RootConsoleBruteForce,
    identity_center_sign_in_failures::IdentityCenterSignInFailures,
    root_user_activity::RootUserActivity,
    root_session_assumed::RootSessionAssumed,
    root_password_recovery_or_change::RootPasswordRecoveryOrChange,
    // (end of security-services)

    // --- discovery: read-only reconnaissance.
    discovery_api_burst_via_cli::DiscoveryApiBurstViaCli,
    discovery_sweep_by_principal::DiscoverySweepByPrincipal,
    ec2_deprecated_ami_discovery::Ec2DeprecatedAmiDiscovery,
    ec2_getpassworddata_denied_for_role::Ec2GetPasswordDataDeniedForRole,
    ec2_user_data_retrieval::Ec2UserDataRetrieval,
    ec2_console_screenshot_burst::Ec2ConsoleScreenshotBurst,
    ecr_image_scan_findings_high::EcrImageScanFindingsHigh,
    ecr_image_scan_findings_medium::EcrImageScanFindingsMedium,
    ecr_image_scan_findings_low::EcrImageScanFindingsLow,
    ecr_image_push_outside_business_hours::EcrImagePushOutsideBusinessHours,
    ec2_keypair_created_by_new_principal::Ec2KeypairCreatedByNewPrincipal,
    console_failed_logins_for_user::ConsoleFailedLoginsForUser,
    console_failed_logins_from_ip::ConsoleFailedLoginsFromIp,
    console_login_spray_from_ip::ConsoleLoginSprayFromIp,
    console_login_spray_across_accounts::ConsoleLoginSprayAcrossAccounts,
    console_mfa_failures_for_user::ConsoleMfaFailuresForUser,
    iam_access_denied_discovery::IamAccessDeniedDiscovery,
    ses_enumeration_long_term_key::SesEnumerationLongTermKey,
    ec2_instance_role_enumeration::Ec2InstanceRoleEnumeration,
    offensive_tool_user_agent::OffensiveToolUserAgent,
    s3browser_iam_activity::S3BrowserIamActivity,
    ecr_image_push_by_new_principal::EcrImagePushByNewPrincipal,
    // (end of discovery)

    // --- self-protection: trailwatch's own resources and pipeline.
    pipeline_silent::PipelineSilent,
    pipeline_restored::PipelineRestored,
    trailwatch_tampering::TrailwatchTampering,
    cloudcontrol_defence_resource_changed::CloudControlDefenceResourceChanged,
    // (end of self-protection)

    // --- ai-ml: Bedrock model access, SageMaker notebooks.
    bedrock_model_access_enabled::BedrockModelAccessEnabled,
    bedrock_model_invoked_with_user_key::BedrockModelInvokedWithUserKey,
    bedrock_logging_checked_with_user_key::BedrockLoggingCheckedWithUserKey,
    bedrock_model_probed_across_regions::BedrockModelProbedAcrossRegions,
    sagemaker_notebook_lifecycle_config_changed::SageMakerNotebookLifecycleConfigChanged,
    bedrock_guardrail_deleted::BedrockGuardrailDeleted,
    // (end of ai-ml)

    // --- hijacking: resources run or bought with stolen credentials.
    ses_sending_unlocked::SesSendingUnlocked,
    ses_sending_identity_added_first_seen::SesSendingIdentityAddedFirstSeen,
    route53_domain_registered::Route53DomainRegistered,
    compute_launched_across_regions::ComputeLaunchedAcrossRegions,
    compute_gpu_capacity_prepared::ComputeGpuCapacityPrepared,
    sagemaker_gpu_compute_requested::SageMakerGpuComputeRequested,
    route53_domain_auth_code_retrieved::Route53DomainAuthCodeRetrieved,
    route53_domain_contact_changed::Route53DomainContactChanged,
    route53_domain_nameservers_changed_or_deleted::Route53DomainNameserversChangedOrDeleted,
    organizations_account_removed::OrganizationsAccountRemoved,
    // (end of hijacking)

    // --- more: anything else.
    console_getsignintoken_portal_agent_forged::ConsoleGetSigninTokenPortalAgentForged,
    iam_admin_policy_created::IamAdminPolicyCreated,
    snapshot_or_image_copied_with_foreign_kms_key::SnapshotOrImageCopiedWithForeignKmsKey,
    dynamodb_recovery_protection_disabled::DynamoDbRecoveryProtectionDisabled,
    sns_sqs_policy_external_access::SnsSqsPolicyExternalAccess,
    default_encryption_set_to_foreign_kms_key::DefaultEncryptionSetToForeignKmsKey,
    iam_credential_enabled_for_another_user::IamCredentialEnabledForAnotherUser,
    acm_certificate_exported::AcmCertificateExported,
    backup_vault_policy_external_access::BackupVaultPolicyExternalAccess,
    backup_copied_to_another_account::BackupCopiedToAnotherAccount,
    redshift_snapshot_shared::RedshiftSnapshotShared,
    redshift_datashare_authorized::RedshiftDatashareAuthorized,
    network_linked_to_another_account::NetworkLinkedToAnotherAccount,
    vpc_endpoint_service_opened_to_everyone::VpcEndpointServiceOpenedToEveryone,
    network_firewall_disabled::NetworkFirewallDisabled,
    firewall_manager_policy_deleted::FirewallManagerPolicyDeleted,
    load_balancer_access_logs_disabled::LoadBalancerAccessLogsDisabled,
    snapshots_deleted_burst::SnapshotsDeletedBurst,
    ec2_instances_terminated_burst::Ec2InstancesTerminatedBurst,
    instance_groups_deleted_burst::InstanceGroupsDeletedBurst,
    backup_retention_shortened::BackupRetentionShortened,
    organizations_deny_all_policy::OrganizationsDenyAllPolicy,
    logs_streamed_to_another_account::LogsStreamedToAnotherAccount,
    identity_center_identity_source_changed::IdentityCenterIdentitySourceChanged,
    s3_inventory_to_another_account::S3InventoryToAnotherAccount,
    ssm_session_logging_disabled::SsmSessionLoggingDisabled,
    ebs_direct_snapshot_read_first_seen::EbsDirectSnapshotReadFirstSeen,
    vpn_connection_created::VpnConnectionCreated,
    client_vpn_access_widened_or_unlogged::ClientVpnAccessWidenedOrUnlogged,
    verified_access_opened::VerifiedAccessOpened,
    resource_policy_external_access::ResourcePolicyExternalAccess,
    cloudtrail_bucket_policy_removed::CloudTrailBucketPolicyRemoved,
    iam_oidc_provider_trust_widened::IamOidcProviderTrustWidened,
    resource_shared_with_another_account::ResourceSharedWithAnotherAccount,
    ram_resource_shared_with_another_account::RamResourceSharedWithAnotherAccount,
    ram_share_from_another_account_accepted::RamShareFromAnotherAccountAccepted,
    cognito_identity_pool_guest_access::CognitoIdentityPoolGuestAccess,
    cognito_identity_pool_public_login_provider::CognitoIdentityPoolPublicLoginProvider,
    s3_acl_grants_another_account::S3AclGrantsAnotherAccount,
    cognito_user_pool_mfa_disabled::CognitoUserPoolMfaDisabled,
    redshift_admin_password_reset::RedshiftAdminPasswordReset,
    database_admin_password_reset::DatabaseAdminPasswordReset,
    account_joined_another_organization::AccountJoinedAnotherOrganization,
    vpc_block_public_access_disabled::VpcBlockPublicAccessDisabled,
    ecs_task_role_overridden::EcsTaskRoleOverridden,
    cost_alerting_deleted::CostAlertingDeleted,
    // (end of more)
}
