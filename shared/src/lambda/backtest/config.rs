//! The backtest function's environment, validated at start-up (every problem at
//! once), and its SDK configuration (longer limits than the live functions':
//! it downloads whole log files).

use std::time::Duration;

use crate::aws::SdkConfig;
use aws_types::sdk_config::TimeoutConfig;

use crate::catalog;
use crate::lambda::{
    ENV_DISABLED, ENV_RESOURCE_PREFIX, ENV_TABLE, ENV_TOPIC_ARN, ENV_TUNING, is_topic_arn,
};
use crate::tuning::location::Location;

/// The bucket of the CloudTrail archive (read only).
pub const ENV_ARCHIVE_BUCKET: &str = "TRAILWATCH_ARCHIVE_BUCKET";
/// The account that must own the archive bucket (optional, 12 digits).
pub const ENV_ARCHIVE_BUCKET_OWNER: &str = "TRAILWATCH_ARCHIVE_BUCKET_OWNER";
/// The bucket of manifests, findings and failures (`<run-id>/...`).
pub const ENV_RESULTS_BUCKET: &str = "TRAILWATCH_RESULTS_BUCKET";

#[derive(Debug, Clone)]
pub struct BacktestConfig {
    /// The backtest state table (not the live one).
    pub table: String,
    pub archive_bucket: String,
    /// `TRAILWATCH_ARCHIVE_BUCKET_OWNER`: the account that must own the archive
    /// bucket (every listing and download names it; S3 refuses another's).
    pub archive_bucket_owner: Option<String>,
    pub results_bucket: String,
    /// Findings are also published here when a run asks (`publish: true`).
    pub topic_arn: Option<String>,
    pub disabled: Vec<String>,
    pub resource_prefix: Option<String>,
    /// `TRAILWATCH_TUNING`: the tuning file every batch applies (read when the
    /// batch starts), as the live functions would; `None`: untuned.
    pub tuning: Option<Location>,
}

impl BacktestConfig {
    pub fn from_env() -> Result<BacktestConfig, String> {
        BacktestConfig::from_vars(|k| std::env::var(k).ok())
    }

    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<BacktestConfig, String> {
        let get = |k: &str| {
            get(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let mut problems = Vec::new();
        let mut required = |k: &str, what: &str| {
            get(k).unwrap_or_else(|| {
                problems.push(format!("{k} is not set ({what})"));
                String::new()
            })
        };
        let table = required(ENV_TABLE, "the backtest state table");
        let archive_bucket = required(ENV_ARCHIVE_BUCKET, "the bucket of the CloudTrail archive");
        let results_bucket = required(ENV_RESULTS_BUCKET, "the bucket findings are written to");
        let archive_bucket_owner = get(ENV_ARCHIVE_BUCKET_OWNER);
        if let Some(owner) = &archive_bucket_owner
            && !crate::archive::layout::is_account(owner)
        {
            problems.push(format!(
                "{ENV_ARCHIVE_BUCKET_OWNER} {:?} is not a 12-digit account id",
                crate::sanitize::one_line(owner, 80)
            ));
        }
        let topic_arn = get(ENV_TOPIC_ARN);
        if let Some(a) = &topic_arn
            && !is_topic_arn(a)
        {
            problems.push(format!("{ENV_TOPIC_ARN} {a:?} is not an SNS topic ARN"));
        }
        let mut disabled = Vec::new();
        for id in get(ENV_DISABLED)
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            if catalog::indexed(id).is_none() {
                problems.push(format!("{ENV_DISABLED}: unknown detection id {id:?}"));
            }
            disabled.push(id.to_owned());
        }
        let resource_prefix = get(ENV_RESOURCE_PREFIX);
        let tuning = match Location::from_vars(get) {
            Ok(None) => None,
            Ok(Some(l @ Location::S3 { .. })) => Some(l),
            Ok(Some(Location::Local(_))) => {
                problems.push(format!(
                    "{ENV_TUNING}: a backtest reads its tuning from s3://BUCKET/KEY"
                ));
                None
            }
            Err(e) => {
                problems.push(e);
                None
            }
        };
        if problems.is_empty() {
            Ok(BacktestConfig {
                table,
                archive_bucket,
                archive_bucket_owner,
                results_bucket,
                topic_arn,
                disabled,
                resource_prefix,
                tuning,
            })
        } else {
            Err(format!("invalid configuration: {}", problems.join("; ")))
        }
    }
}

/// The SDK configuration: a log file of tens of MB must have time to arrive.
pub async fn sdk_config() -> Result<SdkConfig, String> {
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .operation_attempt_timeout(Duration::from_secs(60))
        .operation_timeout(Duration::from_secs(180))
        .build();
    crate::aws::env::from_env(timeouts).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lambda::ENV_TUNING_BUCKET_OWNER;

    #[test]
    fn every_missing_variable_is_named_at_once() {
        let e =
            BacktestConfig::from_vars(|k| (k == ENV_DISABLED).then(|| "nope".into())).unwrap_err();
        for name in [ENV_TABLE, ENV_ARCHIVE_BUCKET, ENV_RESULTS_BUCKET, "nope"] {
            assert!(e.contains(name), "{e}");
        }
    }

    #[test]
    fn the_archive_owner_is_an_account_when_given() {
        let with = |owner: Option<&'static str>| {
            BacktestConfig::from_vars(move |k| match k {
                ENV_ARCHIVE_BUCKET_OWNER => owner.map(Into::into),
                ENV_DISABLED
                | ENV_TOPIC_ARN
                | ENV_RESOURCE_PREFIX
                | ENV_TUNING
                | ENV_TUNING_BUCKET_OWNER => None,
                _ => Some("x".into()),
            })
        };
        assert_eq!(with(None).unwrap().archive_bucket_owner, None);
        assert_eq!(with(Some(" ")).unwrap().archive_bucket_owner, None);
        assert_eq!(
            with(Some("444455556666"))
                .unwrap()
                .archive_bucket_owner
                .as_deref(),
            Some("444455556666")
        );
        let e = with(Some("4444-5555-6666")).unwrap_err();
        assert!(e.contains(ENV_ARCHIVE_BUCKET_OWNER), "{e}");
    }

    #[test]
    fn the_tuning_is_an_s3_object() {
        let owned = |tuning: &'static str, owner: &'static str| {
            BacktestConfig::from_vars(move |k| {
                Some(match k {
                    ENV_TUNING => tuning.into(),
                    ENV_TUNING_BUCKET_OWNER => owner.into(),
                    ENV_DISABLED
                    | ENV_TOPIC_ARN
                    | ENV_RESOURCE_PREFIX
                    | ENV_ARCHIVE_BUCKET_OWNER => {
                        return None;
                    }
                    _ => "x".into(),
                })
            })
        };
        let with = |tuning| owned(tuning, "");
        let s3 = |owner: Option<&str>| {
            Some(Location::S3 {
                bucket: "b".into(),
                key: "tuning.toml".into(),
                owner: owner.map(str::to_owned),
            })
        };
        assert_eq!(with("s3://b/tuning.toml").unwrap().tuning, s3(None));
        assert_eq!(
            owned("s3://b/tuning.toml", "111122223333").unwrap().tuning,
            s3(Some("111122223333"))
        );
        let e = owned("s3://b/tuning.toml", "x").unwrap_err();
        assert!(e.contains(ENV_TUNING_BUCKET_OWNER), "{e}");
        assert!(with("/etc/tuning.toml").unwrap_err().contains(ENV_TUNING));
        assert!(with("s3://b").unwrap_err().contains(ENV_TUNING));
        assert_eq!(with("").unwrap().tuning, None);
    }
}
