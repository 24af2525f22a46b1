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
