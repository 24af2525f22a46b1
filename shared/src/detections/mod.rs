//! One file per detection: metadata beside logic beside unit tests.
//! `crate::catalog` lists them all.

pub mod common;

pub mod aws_cli_custom_endpoint_url;
pub mod cloudshell_environment_created;
pub mod cloudtrail_important_change;
pub mod cloudtrail_log_created;
pub mod cloudtrail_log_deleted;
pub mod cloudtrail_log_evasion;
pub mod cloudtrail_log_suspended;
pub mod cloudtrail_log_updated;
pub mod cloudwatch_alarm_deletion;
pub mod cloudwatch_log_group_deletion;
pub mod cloudwatch_log_stream_deletion;
pub mod concurrent_sessions_different_ips;
pub mod config_disabling_channel_recorder;
pub mod config_recorder_stopped;
pub mod config_resource_deletion;
pub mod console_getsignintoken_abuse;
pub mod console_login_failed_mfa_challenge;
pub mod consolelogin_failed_authentication;
pub mod create_access_key_for_another_user;
pub mod create_login_profile_then_console_login;
pub mod create_policy_version_allow_all;
pub mod credential_access_failed_login;
pub mod getpassworddata_burst;
pub mod rds_master_password_reset;
