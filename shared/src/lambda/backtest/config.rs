//! The backtest function's environment, validated at start-up (every problem at
//! once), and its SDK configuration (longer limits than the live functions':
//! it downloads whole log files).

use std::collections::HashMap;
use std::time::Duration;

use crate::aws::SdkConfig;
use aws_types::sdk_config::TimeoutConfig;

use crate::catalog;
use crate::lambda::config::{misnamed_vars, topic_in_another_region};
use crate::lambda::{
    ENV_DISABLED, ENV_ORGANIZATION_IDS, ENV_RESOURCE_PREFIX, ENV_TABLE, ENV_TOPIC_ARN, ENV_TUNING,
    ENV_TUNING_BUCKET_OWNER, is_topic_arn,
};
use crate::tuning::location::Location;

/// The bucket of the CloudTrail archive (read only).
pub const ENV_ARCHIVE_BUCKET: &str = "TRAILWATCH_ARCHIVE_BUCKET";
/// The account that must own the archive bucket (optional, 12 digits).
pub const ENV_ARCHIVE_BUCKET_OWNER: &str = "TRAILWATCH_ARCHIVE_BUCKET_OWNER";
/// The bucket of manifests, findings and failures (`<run-id>/...`).
pub const ENV_RESULTS_BUCKET: &str = "TRAILWATCH_RESULTS_BUCKET";
/// Days a run's state is kept after each write (default 30, 1 to 365): longer
/// than the whole run, every execution sharing its `run_id` included.
pub const ENV_STATE_RETENTION_DAYS: &str = "TRAILWATCH_STATE_RETENTION_DAYS";
const DEFAULT_STATE_RETENTION_DAYS: i64 = 30;

/// Every variable the backtest function reads.
const KNOWN_VARS: &[&str] = &[
    ENV_TABLE,
    ENV_ARCHIVE_BUCKET,
    ENV_ARCHIVE_BUCKET_OWNER,
    ENV_RESULTS_BUCKET,
    ENV_TOPIC_ARN,
    ENV_DISABLED,
    ENV_ORGANIZATION_IDS,
    ENV_RESOURCE_PREFIX,
    ENV_STATE_RETENTION_DAYS,
    ENV_TUNING,
    ENV_TUNING_BUCKET_OWNER,
];

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
    /// `TRAILWATCH_ORGANIZATION_IDS`, as the live functions read it.
    pub own_organizations: Option<std::sync::Arc<[String]>>,
    pub resource_prefix: Option<String>,
    /// `TRAILWATCH_TUNING`: the tuning file every batch applies (read when the
    /// batch starts), as the live functions would; `None`: untuned.
    pub tuning: Option<Location>,
    /// How long DynamoDB keeps a run's items after each write (seconds, wall
    /// clock): TTL deletes them then, whether or not the run is over.
    pub state_keep_secs: i64,
}

impl BacktestConfig {
    pub fn from_env() -> Result<BacktestConfig, String> {
        // `vars_os`, as the live functions: `vars` panics on a variable that
        // is not Unicode.
        let vars = std::env::vars_os().map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        });
        BacktestConfig::from_vars(vars)
    }

    /// Reads and validates the given variables (all of them: a misspelt
    /// `TRAILWATCH_*` name, or one only the live functions take, is refused
    /// rather than ignored).
    pub fn from_vars(
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<BacktestConfig, String> {
        let vars: HashMap<String, String> = vars.into_iter().collect();
        let get = |k: &str| {
            vars.get(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let mut problems = Vec::new();
        for name in misnamed_vars(vars.keys(), KNOWN_VARS, false) {
            problems.push(format!(
                "{}: no such variable of the backtest function (known: {}; window \
                 overrides and the live functions' settings do not apply to a backtest)",
                crate::sanitize::one_line(name, 100),
                KNOWN_VARS.join(", ")
            ));
        }
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
        // SNS takes a Publish only in the topic's Region, the function's (from
        // a review: every "publish" batch would fail at its first finding).
        if let (Some(here), Some(arn)) = (
            get("AWS_REGION").or_else(|| get("AWS_DEFAULT_REGION")),
            topic_arn.as_deref(),
        ) {
            problems.extend(topic_in_another_region(ENV_TOPIC_ARN, arn, &here));
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
        let own_organizations = match get(ENV_ORGANIZATION_IDS)
            .as_deref()
            .map(crate::detections::common::organizations::own_organizations)
            .transpose()
        {
            Ok(ids) => ids.flatten(),
            Err(e) => {
                problems.push(format!("{ENV_ORGANIZATION_IDS}: {e}"));
                None
            }
        };
        let resource_prefix = get(ENV_RESOURCE_PREFIX);
        let state_keep_days = match get(ENV_STATE_RETENTION_DAYS).map(|v| v.parse::<i64>()) {
            None => DEFAULT_STATE_RETENTION_DAYS,
            Some(Ok(d)) if (1..=365).contains(&d) => d,
            Some(_) => {
                problems.push(format!(
                    "{ENV_STATE_RETENTION_DAYS} must be a number of days from 1 to 365"
                ));
                DEFAULT_STATE_RETENTION_DAYS
            }
        };
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
                own_organizations,
                resource_prefix,
                tuning,
                state_keep_secs: state_keep_days * 86_400,
            })
        } else {
            Err(format!("invalid configuration: {}", problems.join("; ")))
        }
    }
}

/// Time limits on the state table's and the topic's calls: a delivery (its
/// lease, a `Publish`, up to three confirmations: five calls, the `Publish`
/// given 12 s by `notify::sns`) ends within 52 s, inside the engine's 60 s
/// lease (`engine::CLAIM_LEASE_SECS`), whatever S3 is given.
pub fn delivery_timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .operation_attempt_timeout(Duration::from_secs(5))
        .operation_timeout(Duration::from_secs(10))
        .build()
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

    /// A delivery (its lease, a `Publish`, then up to three confirmations)
    /// must end inside the lease it holds, or another batch may take the claim
    /// over.
    #[test]
    fn a_delivery_ends_within_its_lease() {
        let t = delivery_timeouts();
        let per_call = t.operation_timeout().unwrap();
        // The `Publish` is given longer (`notify::sns`).
        let publish = per_call.max(crate::notify::sns::PUBLISH_OPERATION);
        let lease = Duration::from_secs(crate::engine::CLAIM_LEASE_SECS.unsigned_abs());
        assert!(
            per_call * 4 + publish < lease,
            "{per_call:?} per call and {publish:?} to publish against {lease:?}"
        );
    }

    #[test]
    fn own_organizations_are_read_as_the_live_functions_read_them() {
        let base = || {
            [
                (ENV_TABLE, "t"),
                (ENV_ARCHIVE_BUCKET, "archive"),
                (ENV_RESULTS_BUCKET, "results"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .to_vec()
        };
        assert!(
            BacktestConfig::from_vars(base())
                .unwrap()
                .own_organizations
                .is_none()
        );
        let mut vars = base();
        vars.push((ENV_ORGANIZATION_IDS.to_owned(), "o-a1b2c3d4e5,".to_owned()));
        let c = BacktestConfig::from_vars(vars).unwrap();
        assert_eq!(
            c.own_organizations.as_deref(),
            Some(&["o-a1b2c3d4e5".to_owned()][..])
        );
        let mut vars = base();
        vars.push((ENV_ORGANIZATION_IDS.to_owned(), "o-nope".to_owned()));
        let e = BacktestConfig::from_vars(vars).unwrap_err();
        assert!(
            e.contains(ENV_ORGANIZATION_IDS) && e.contains("o-nope"),
            "{e}"
        );
    }

    #[test]
    fn every_missing_variable_is_named_at_once() {
        let e =
            BacktestConfig::from_vars([(ENV_DISABLED.to_owned(), "nope".to_owned())]).unwrap_err();
        for name in [ENV_TABLE, ENV_ARCHIVE_BUCKET, ENV_RESULTS_BUCKET, "nope"] {
            assert!(e.contains(name), "{e}");
        }
    }

    /// From a review: a topic of another Region failed every "publish" batch.
    #[test]
    fn a_topic_of_another_region_is_refused() {
        let topic = "arn:aws:sns:eu-west-1:111122223333:findings";
        let e = config_with(&[("AWS_REGION", "us-east-1"), (ENV_TOPIC_ARN, topic)]).unwrap_err();
        assert!(e.contains("the topic is in eu-west-1"), "{e}");
        assert!(config_with(&[("AWS_REGION", "eu-west-1"), (ENV_TOPIC_ARN, topic)]).is_ok());
    }

    /// The required variables set to "x", the optional ones unset but `given`
    /// (which may also override the required ones).
    fn config_with(given: &[(&str, &str)]) -> Result<BacktestConfig, String> {
        let required = [ENV_TABLE, ENV_ARCHIVE_BUCKET, ENV_RESULTS_BUCKET].map(|k| (k, "x"));
        BacktestConfig::from_vars(
            required
                .iter()
                .chain(given)
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        )
    }

    #[test]
    fn a_misspelt_or_live_only_variable_is_refused() {
        assert!(config_with(&[("PATH", "/usr/bin"), ("RUST_LOG", "info")]).is_ok());
        for name in [
            // A slip in a name the backtest reads: the owner check would be off.
            "TRAILWATCH_ARCHIVE_BUCKET_OWENR",
            "trailwatch_archive_bucket_owner",
            "TRIALWATCH_TUNING",
            // The live functions' settings, copied from the live stack: a
            // backtest would run without them and say nothing.
            "TRAILWATCH_WINDOW_CONSOLE_LOGIN_SPRAY_FROM_IP_SECS",
            "TRAILWATCH_LATENESS_SECS",
            "TRAILWATCH_SECURITY_HUB",
        ] {
            let e = config_with(&[(name, "111122223333")]).unwrap_err();
            assert!(
                e.contains(name) && e.contains("no such variable"),
                "{name}: {e}"
            );
        }
    }

    #[test]
    fn state_retention_is_days_from_1_to_365() {
        let with = |days: &str| config_with(&[(ENV_STATE_RETENTION_DAYS, days)]);
        assert_eq!(config_with(&[]).unwrap().state_keep_secs, 30 * 86_400);
        assert_eq!(with("365").unwrap().state_keep_secs, 365 * 86_400);
        for bad in ["0", "366", "a month"] {
            let e = with(bad).unwrap_err();
            assert!(e.contains(ENV_STATE_RETENTION_DAYS), "{bad}: {e}");
        }
    }

    #[test]
    fn the_archive_owner_is_an_account_when_given() {
        let with = |owner: &str| config_with(&[(ENV_ARCHIVE_BUCKET_OWNER, owner)]);
        assert_eq!(config_with(&[]).unwrap().archive_bucket_owner, None);
        assert_eq!(with(" ").unwrap().archive_bucket_owner, None);
        assert_eq!(
            with("444455556666")
                .unwrap()
                .archive_bucket_owner
                .as_deref(),
            Some("444455556666")
        );
        let e = with("4444-5555-6666").unwrap_err();
        assert!(e.contains(ENV_ARCHIVE_BUCKET_OWNER), "{e}");
    }

    #[test]
    fn the_tuning_is_an_s3_object() {
        let owned = |tuning: &str, owner: &str| {
            config_with(&[(ENV_TUNING, tuning), (ENV_TUNING_BUCKET_OWNER, owner)])
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
