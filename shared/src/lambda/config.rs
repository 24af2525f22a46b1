//! A function's configuration: its environment variables, validated at start-up
//! (every problem at once), and the AWS SDK configuration with time limits.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::time::Duration;

use crate::aws::SdkConfig;
use aws_types::sdk_config::TimeoutConfig;

use crate::catalog::{self, GroupDetections};
use crate::detection::WindowSpec;
use crate::engine::Settings;
use crate::notify::message::MachineFormat;
use crate::render::asff::Product;

/// Environment variable names.
pub const ENV_TABLE: &str = "TRAILWATCH_TABLE";
pub const ENV_TOPIC_ARN: &str = "TRAILWATCH_TOPIC_ARN";
pub const ENV_DISABLED: &str = "TRAILWATCH_DISABLED";
pub const ENV_LATENESS: &str = "TRAILWATCH_LATENESS_SECS";
/// How long a finding's delivery lease lasts (seconds, default
/// `engine::CLAIM_LEASE_SECS`): keep it above the function's timeout.
pub const ENV_CLAIM_LEASE: &str = "TRAILWATCH_CLAIM_LEASE_SECS";
/// The longest lease: Lambda retries an asynchronous event twice, about one and
/// then two minutes after the attempt before; a lease no longer than the first
/// gap lets each retry deliver what the attempt before it claimed and died holding.
pub const MAX_CLAIM_LEASE_SECS: i64 = 60;
/// The detection functions' timeout in template.yaml (held to it by
/// tests/template.rs): a lease shorter than it can lapse under a live delivery.
pub const TEMPLATE_TIMEOUT_SECS: i64 = 30;
/// A lateness below this starts the function with a warning: it is shorter than
/// the delays CloudTrail's delivery and Lambda's retries can add.
const MIN_QUIET_LATENESS_SECS: i64 = 900;
pub const ENV_METRICS: &str = "TRAILWATCH_METRICS";
/// The name prefix of trailwatch's own resources (the stack name in the templates).
pub const ENV_RESOURCE_PREFIX: &str = "TRAILWATCH_RESOURCE_PREFIX";
/// The retention of the functions' log groups, days (the template's
/// `LogRetentionDays`): a retention enforcer setting it is routine.
pub const ENV_LOG_RETENTION_DAYS: &str = "TRAILWATCH_LOG_RETENTION_DAYS";
/// The heartbeat's silence threshold, seconds (default 900).
pub const ENV_SILENCE: &str = "TRAILWATCH_SILENCE_SECS";
/// The accounts and Regions the heartbeat check expects canaries from (comma
/// lists; every account in every Region), whether or not they ever sent one.
pub const ENV_EXPECTED_ACCOUNTS: &str = "TRAILWATCH_EXPECTED_ACCOUNTS";
pub const ENV_EXPECTED_REGIONS: &str = "TRAILWATCH_EXPECTED_REGIONS";
/// The most expected (account, Region) pairs: the check reads them all every
/// five minutes.
pub const MAX_EXPECTED_MEMBERS: usize = 20_000;
/// Where findings also go (docs/findings.md): Security Hub's default product ARN
/// of this account (empty: off), a chat topic for AWS Chatbot (empty: none), and
/// what the findings topic's JSON protocols get (`json`, the default, or `ocsf`).
pub const ENV_SECURITY_HUB: &str = "TRAILWATCH_SECURITY_HUB";
pub const ENV_CHAT_TOPIC_ARN: &str = "TRAILWATCH_CHAT_TOPIC_ARN";
pub const ENV_FINDINGS_FORMAT: &str = "TRAILWATCH_FINDINGS_FORMAT";
/// The organisation ids the deployment calls its own (comma list; empty: none),
/// against which organisation fences are judged (`detections::common::organizations`).
pub const ENV_ORGANIZATION_IDS: &str = "TRAILWATCH_ORGANIZATION_IDS";
/// Where the tuning file is: a local path or `s3://BUCKET/KEY` (see `lambda::tuning`).
pub const ENV_TUNING: &str = crate::tuning::location::ENV_LOCATION;
/// The account that must own the tuning file's bucket (`tuning::location`).
pub const ENV_TUNING_BUCKET_OWNER: &str = crate::tuning::location::ENV_BUCKET_OWNER;
/// `TRAILWATCH_WINDOW_<DETECTION_ID_IN_UPPER_SNAKE_CASE>_SECS`.
pub const ENV_WINDOW_PREFIX: &str = "TRAILWATCH_WINDOW_";

/// Every variable the functions read (besides the window overrides).
const KNOWN_VARS: &[&str] = &[
    ENV_TABLE,
    ENV_TOPIC_ARN,
    ENV_DISABLED,
    ENV_LATENESS,
    ENV_CLAIM_LEASE,
    ENV_METRICS,
    ENV_RESOURCE_PREFIX,
    ENV_LOG_RETENTION_DAYS,
    ENV_SILENCE,
    ENV_EXPECTED_ACCOUNTS,
    ENV_EXPECTED_REGIONS,
    ENV_SECURITY_HUB,
    ENV_CHAT_TOPIC_ARN,
    ENV_FINDINGS_FORMAT,
    ENV_ORGANIZATION_IDS,
    ENV_TUNING,
    ENV_TUNING_BUCKET_OWNER,
];
pub const ENV_WINDOW_SUFFIX: &str = "_SECS";

pub use crate::window::MAX_WINDOW_SECS;

/// A function's validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The function's group and its detections (its static in `catalog::functions`).
    pub function: &'static GroupDetections,
    pub table: String,
    pub topic_arn: String,
    pub settings: Settings,
    /// Print CloudWatch Embedded Metric Format lines (findings per detection).
    pub metrics: bool,
    /// `TRAILWATCH_RESOURCE_PREFIX`, when set (else `resources::DEFAULT_PREFIX`).
    pub resource_prefix: Option<String>,
    /// `TRAILWATCH_LOG_RETENTION_DAYS`, when set.
    pub log_retention_days: Option<u64>,
    /// Import findings into this Security Hub product (this account's default).
    pub security_hub: Option<Product>,
    /// Publish AWS Chatbot custom notifications to this topic.
    pub chat_topic_arn: Option<String>,
    /// What the findings topic's JSON protocols carry.
    pub findings_format: MachineFormat,
    /// `TRAILWATCH_TUNING`: where the tuning file is, if any.
    pub tuning: Option<crate::tuning::location::Location>,
    /// What is allowed but most likely a mistake (a window a tenth of its
    /// built-in length, a function named outside its prefix): logged at
    /// start-up, since refusing would stop every detection of the function.
    pub warnings: Vec<String>,
}

/// Everything wrong with the environment, said at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub Vec<String>);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid configuration: {}", self.0.join("; "))
    }
}
impl std::error::Error for ConfigError {}

/// Every expected account in every expected Region, as heartbeat members; both
/// lists or neither.
fn expected_members(accounts: Option<&str>, regions: Option<&str>) -> Result<Vec<String>, String> {
    use crate::archive::layout::{parse_accounts, parse_regions};
    let items = |v: Option<&str>| -> Vec<String> {
        v.unwrap_or("").split(',').map(str::to_owned).collect()
    };
    // Sorted and without repeats, so the members are too.
    let accounts =
        parse_accounts(&items(accounts)).map_err(|e| format!("{ENV_EXPECTED_ACCOUNTS}: {e}"))?;
    let regions =
        parse_regions(&items(regions)).map_err(|e| format!("{ENV_EXPECTED_REGIONS}: {e}"))?;
    if accounts.is_empty() != regions.is_empty() {
        return Err(format!(
            "{ENV_EXPECTED_ACCOUNTS} and {ENV_EXPECTED_REGIONS} go together (every account is expected in every Region)"
        ));
    }
    if accounts.len().saturating_mul(regions.len()) > MAX_EXPECTED_MEMBERS {
        return Err(format!(
            "{ENV_EXPECTED_ACCOUNTS} x {ENV_EXPECTED_REGIONS}: more than {MAX_EXPECTED_MEMBERS} pairs"
        ));
    }
    Ok(accounts
        .iter()
        .flat_map(|a| regions.iter().map(move |r| crate::heartbeat::member(a, r)))
        .collect())
}

/// The variable names that are not ours but look meant to be, sorted: every
/// `TRAILWATCH_*` name outside `known` (window overrides allowed when
/// `windows`), since a misspelt variable would otherwise switch off what it
/// was meant to set (the tuning bucket's owner check, the expected pairs, a
/// destination); and another letter case or a slip of one or two letters in
/// the prefix (`TRIALWATCH_...`, `trailwatch_tuning_bucket_owner`; from a
/// review).
pub(crate) fn misnamed_vars<'a>(
    names: impl Iterator<Item = &'a String>,
    known: &[&str],
    windows: bool,
) -> Vec<&'a String> {
    let mut misnamed: Vec<&String> = names
        .filter(|k| {
            let head = k.split('_').next().unwrap_or("");
            if head == "TRAILWATCH" {
                k.starts_with("TRAILWATCH_")
                    && !known.contains(&k.as_str())
                    && !(windows && k.starts_with(ENV_WINDOW_PREFIX))
            } else {
                head.eq_ignore_ascii_case("TRAILWATCH")
                    || crate::spelling::edit_distance(&head.to_ascii_uppercase(), "TRAILWATCH") <= 2
            }
        })
        .collect();
    misnamed.sort();
    misnamed
}

/// `TRAILWATCH_WINDOW_<ID>_SECS` for a detection id.
pub fn window_var(detection_id: &str) -> String {
    format!(
        "{ENV_WINDOW_PREFIX}{}{ENV_WINDOW_SUFFIX}",
        detection_id.to_ascii_uppercase().replace('-', "_")
    )
}

impl Config {
    /// Reads the process environment.
    pub fn from_env(function: &'static GroupDetections) -> Result<Config, ConfigError> {
        // `vars_os`: `vars` panics on a variable that is not Unicode (any
        // variable, not only ours); a mangled TRAILWATCH_* value is then refused.
        let vars = std::env::vars_os().map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        });
        Config::from_vars(function, vars)
    }

    /// Reads and validates the given variables (all of them, so that a mistyped
    /// `TRAILWATCH_*` name is caught rather than ignored).
    pub fn from_vars(
        function: &'static GroupDetections,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars.into_iter().collect();
        let mut problems = Vec::new();
        let mut warnings = Vec::new();
        let get = |k: &str| vars.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());

        let table = match get(ENV_TABLE) {
            Some(t) if t.chars().any(char::is_whitespace) => {
                problems.push(format!("{ENV_TABLE} {t:?} is not a table name or ARN"));
                String::new()
            }
            Some(t) => t.to_owned(),
            None => {
                problems.push(format!("{ENV_TABLE} is not set (the state table's name)"));
                String::new()
            }
        };
        let topic_arn = match get(ENV_TOPIC_ARN) {
            Some(a) if is_topic_arn(a) => a.to_owned(),
            Some(a) => {
                problems.push(format!(
                    "{ENV_TOPIC_ARN} {a:?} is not an SNS topic ARN (arn:<partition>:sns:<region>:<account>:<name>)"
                ));
                String::new()
            }
            None => {
                problems.push(format!(
                    "{ENV_TOPIC_ARN} is not set (the findings topic's ARN)"
                ));
                String::new()
            }
        };

        let mut settings = Settings::default();
        if let Some(list) = get(ENV_DISABLED) {
            for id in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                if catalog::indexed(id).is_none() {
                    problems.push(format!("{ENV_DISABLED}: unknown detection id {id:?}"));
                } else {
                    settings.disabled.insert(id.to_owned());
                }
            }
        }
        // CloudWatch Logs' longest retention is 3,653 days; anything else is a typo.
        let log_retention_days = get(ENV_LOG_RETENTION_DAYS).and_then(|v| {
            match v.trim().parse::<u64>() {
                Ok(days) if (1..=3653).contains(&days) => Some(days),
                _ => {
                    problems.push(format!(
                        "{ENV_LOG_RETENTION_DAYS}: {:?} is not a whole number of days from 1 to 3653",
                        crate::sanitize::one_line(v, 40)
                    ));
                    None
                }
            }
        });
        // A bad id is refused rather than dropped: the list is there to report
        // more, and a typo would hide the fences around the organisation meant.
        if let Some(list) = get(ENV_ORGANIZATION_IDS) {
            match crate::detections::common::organizations::own_organizations(list) {
                Ok(ids) => settings.own_organizations = ids,
                Err(e) => problems.push(format!("{ENV_ORGANIZATION_IDS}: {e}")),
            }
        }
        if let Some(v) = get(ENV_LATENESS) {
            match parse_secs(v, true) {
                Ok(s) => {
                    // Allowed (a test deployment may want it) but most likely a
                    // mistake: CloudTrail's events reach EventBridge minutes late
                    // at times, and Lambda retries a failed invocation a minute
                    // and three minutes later (from a review of tuning mistakes).
                    if s < MIN_QUIET_LATENESS_SECS {
                        warnings.push(format!(
                            "{ENV_LATENESS}: {s} s: an event that arrives more than {s} s after \
                             the others of its burst or pair (CloudTrail's delivery takes minutes \
                             at times, a retried invocation runs a minute or more later) no \
                             longer meets them, and the finding is not made"
                        ));
                    }
                    settings.window.lateness_secs = s;
                }
                Err(e) => problems.push(format!("{ENV_LATENESS}: {e}")),
            }
        }
        if let Some(v) = get(ENV_CLAIM_LEASE) {
            // Shorter than the functions' timeout (30 s in the templates), a
            // delivery still under way can be taken over and sent twice: the
            // docs say so; the tests use a few seconds.
            match parse_secs(v, false) {
                Ok(s) if s <= MAX_CLAIM_LEASE_SECS => {
                    if s < TEMPLATE_TIMEOUT_SECS {
                        warnings.push(format!(
                            "{ENV_CLAIM_LEASE}: {s} s is shorter than the functions' \
                             {TEMPLATE_TIMEOUT_SECS} s timeout: a slow delivery can be taken over \
                             by a retry and sent twice"
                        ));
                    }
                    settings.lease_secs = Some(s);
                }
                Ok(s) => problems.push(format!(
                    "{ENV_CLAIM_LEASE}: {s} seconds is over {MAX_CLAIM_LEASE_SECS}: a delivery that \
                     died would still be leased when Lambda's next retry of the event comes, and \
                     the event could go to the dead-letter queue"
                )),
                Err(e) => problems.push(format!("{ENV_CLAIM_LEASE}: {e}")),
            }
        }
        // Windows and pairs only: a first-seen history or a heartbeat threshold
        // has a variable of its own, and an override here would be ignored (the
        // tuning file refuses the same; from a review).
        let windowed: HashMap<String, &'static str> = catalog::INDEX
            .iter()
            .filter(|m| m.window.is_some_and(WindowSpec::takes_window_secs))
            .map(|m| (window_var(m.id), m.id))
            .collect();
        let mut names: Vec<&String> = vars
            .keys()
            .filter(|k| k.starts_with(ENV_WINDOW_PREFIX))
            .collect();
        names.sort();
        for name in names {
            let value = vars[name].trim();
            match windowed.get(name.as_str()) {
                None => problems.push(format!(
                    "{name}: no windowed detection has this name (known: {})",
                    windowed
                        .keys()
                        .cloned()
                        .collect::<BTreeSet<_>>()
                        .into_iter()
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
                Some(id) => match parse_secs(value, false) {
                    Ok(s) => {
                        // As the tuning file warns: seconds written for minutes.
                        // From the index, not `catalog::by_id`: that would link
                        // every group's detections into this function's binary.
                        if let Some(built_in) = catalog::indexed(id)
                            .and_then(|m| m.window)
                            .and_then(|w| w.window_far_below(s))
                        {
                            warnings.push(format!(
                                "{name}: {s} s is a tenth or less of {id}'s built-in {built_in} s: \
                                 it may never fire (the value is in seconds)"
                            ));
                        }
                        settings.window_overrides.insert((*id).to_owned(), s);
                    }
                    Err(e) => problems.push(format!("{name}: {e}")),
                },
            }
        }
        let resource_prefix = get(ENV_RESOURCE_PREFIX).map(str::to_owned);
        if let Some(p) = &resource_prefix
            && let Err(e) = crate::resources::check_prefix(p)
        {
            problems.push(format!("{ENV_RESOURCE_PREFIX}: {e}"));
        }
        // Unset, the prefix is the default; a function whose own name does not
        // start with it belongs to a stack of another name, whose resources
        // and canaries would then go unrecognised: most likely its environment
        // was replaced (`cargo lambda deploy` without `--merge-env`; from a
        // review).
        if resource_prefix.is_none()
            && let Some(name) = get("AWS_LAMBDA_FUNCTION_NAME")
            && !name.starts_with(crate::resources::DEFAULT_PREFIX)
        {
            problems.push(format!(
                "{ENV_RESOURCE_PREFIX} is not set and this function's name {:?} does not start \
                 with the default prefix {:?}: set it to the stack's name (the template does; an \
                 environment replaced whole, as by `cargo lambda deploy` without --merge-env, \
                 drops it)",
                crate::sanitize::one_line(name, 100),
                crate::resources::DEFAULT_PREFIX
            ));
        }
        // Set, but the function's own name is outside it: CloudFormation cuts a
        // stack name of over 25 characters in the names it generates, and
        // trailwatch-tampering then does not know this function or its role
        // (docs/deploy.md; from a review).
        if let Some(p) = &resource_prefix
            && let Some(name) = get("AWS_LAMBDA_FUNCTION_NAME")
            && !name.starts_with(p.as_str())
        {
            warnings.push(format!(
                "this function's name {:?} does not start with {ENV_RESOURCE_PREFIX} {:?}: \
                 trailwatch-tampering will not take changes to it or its role for trailwatch's \
                 own (a stack name of over 25 characters is cut in the names CloudFormation \
                 generates)",
                crate::sanitize::one_line(name, 100),
                crate::sanitize::one_line(p, 100)
            ));
        }
        for name in misnamed_vars(vars.keys(), KNOWN_VARS, true) {
            problems.push(format!(
                "{}: no such trailwatch variable (known: {}, {ENV_WINDOW_PREFIX}<ID>{ENV_WINDOW_SUFFIX})",
                crate::sanitize::one_line(name, 100),
                KNOWN_VARS.join(", ")
            ));
        }
        if let Some(v) = get(ENV_SILENCE) {
            match parse_secs(v, false) {
                Ok(s) if (60..=crate::heartbeat::MAX_SILENCE_SECS).contains(&s) => {
                    settings.silence_secs = Some(s)
                }
                Ok(s) if s < 60 => problems.push(format!(
                    "{ENV_SILENCE}: {s} seconds is shorter than a minute (canaries come every few minutes)"
                )),
                Ok(s) => problems.push(format!(
                    "{ENV_SILENCE}: {s} seconds is longer than {} (the check forgets a pair \
                     silent for {} days, so it would never report one)",
                    crate::heartbeat::MAX_SILENCE_SECS,
                    crate::heartbeat::LOOKBACK_DAYS
                )),
                Err(e) => problems.push(format!("{ENV_SILENCE}: {e}")),
            }
        }
        match expected_members(get(ENV_EXPECTED_ACCOUNTS), get(ENV_EXPECTED_REGIONS)) {
            Ok(members) => settings.expected_members = members,
            Err(e) => problems.push(e),
        }
        let metrics = match get(ENV_METRICS) {
            None | Some("1") | Some("true") => true,
            Some("0") | Some("false") => false,
            Some(other) => {
                problems.push(format!("{ENV_METRICS}: {other:?} is not 0/1/true/false"));
                true
            }
        };

        let security_hub = match get(ENV_SECURITY_HUB) {
            None => None,
            Some(arn) => match Product::from_arn(arn) {
                Ok(p) => Some(p),
                Err(e) => {
                    problems.push(format!("{ENV_SECURITY_HUB}: {e}"));
                    None
                }
            },
        };
        let chat_topic_arn = match get(ENV_CHAT_TOPIC_ARN) {
            None => None,
            Some(a) if is_topic_arn(a) => Some(a.to_owned()),
            Some(a) => {
                problems.push(format!(
                    "{ENV_CHAT_TOPIC_ARN} {a:?} is not an SNS topic ARN"
                ));
                None
            }
        };
        // The chat topic's messages are Chatbot's, not findings: on the
        // findings topic they would reach every subscriber as a second message
        // of another shape (from a review).
        if chat_topic_arn.as_deref() == Some(topic_arn.as_str()) {
            problems.push(format!(
                "{ENV_CHAT_TOPIC_ARN} is {ENV_TOPIC_ARN}: the chat topic must be a topic of its \
                 own, or every subscriber of the findings topic gets chat messages too"
            ));
        }
        // SNS takes a Publish only in the topic's own Region, Security Hub an
        // import only for its own Region's product, and the client's Region
        // is the function's.
        if let Some(here) = get("AWS_REGION").or_else(|| get("AWS_DEFAULT_REGION")) {
            for (name, arn) in [
                (ENV_TOPIC_ARN, Some(&topic_arn)),
                (ENV_CHAT_TOPIC_ARN, chat_topic_arn.as_ref()),
            ] {
                problems.extend(arn.and_then(|a| topic_in_another_region(name, a, here)));
            }
            if let Some(there) = security_hub
                .as_ref()
                .map(|p| p.region.as_str())
                .filter(|r| *r != here)
            {
                problems.push(format!(
                    "{ENV_SECURITY_HUB}: the product is in {there}, this function in {here}: \
                     Security Hub takes findings only for its own Region's product"
                ));
            }
        }
        let findings_format = match get(ENV_FINDINGS_FORMAT) {
            None => MachineFormat::Json,
            Some(v) => MachineFormat::parse(v).unwrap_or_else(|| {
                problems.push(format!("{ENV_FINDINGS_FORMAT}: {v:?} is not json or ocsf"));
                MachineFormat::Json
            }),
        };
        let tuning = crate::tuning::location::Location::from_vars(|k| get(k).map(str::to_owned))
            .unwrap_or_else(|e| {
                problems.push(e);
                None
            });
        // Without the owner check, a bucket deleted and its name taken by
        // another account would serve that account's tuning: entries that
        // silence anything. The template always sets it; a deployment by hand
        // (cargo lambda deploy) may not.
        if let Some(crate::tuning::location::Location::S3 {
            bucket,
            owner: None,
            ..
        }) = &tuning
        {
            warnings.push(format!(
                "{ENV_TUNING} reads bucket {:?} without {ENV_TUNING_BUCKET_OWNER}: S3 does not \
                 check who owns it, so a bucket of that name in another account (after this \
                 one is deleted) would serve its tuning file, suppressions included; set it to \
                 the account that owns the bucket",
                crate::sanitize::one_line(bucket, 100)
            ));
        }

        if problems.is_empty() {
            Ok(Config {
                function,
                table,
                topic_arn,
                settings,
                metrics,
                resource_prefix,
                log_retention_days,
                security_hub,
                chat_topic_arn,
                findings_format,
                tuning,
                warnings,
            })
        } else {
            Err(ConfigError(problems))
        }
    }

    /// The prefix of every key this function writes in the state table; IAM limits
    /// the function to it (`dynamodb:LeadingKeys`).
    pub fn key_prefix(&self) -> String {
        // `<group>#`: the schema's one definition.
        crate::state::dynamodb::schema::key_prefix(self.function.group.name)
    }
}

/// The problem with a topic (`arn`, set by `variable`) of a Region other than
/// the function's (`here`): SNS takes a Publish only in the topic's Region.
pub(crate) fn topic_in_another_region(variable: &str, arn: &str, here: &str) -> Option<String> {
    let there = arn
        .split(':')
        .nth(3)
        .filter(|r| !r.is_empty() && *r != here)?;
    Some(format!(
        "{variable}: the topic is in {there}, this function in {here}: SNS takes a Publish only \
         in the topic's Region"
    ))
}

/// A standard SNS topic's ARN, `arn:<partition>:sns:<region>:<account>:<name>`,
/// whole: a topic name missing, or a FIFO topic (which Publish refuses without
/// a group id), would fail every delivery while start-up passed (from a review).
pub(crate) fn is_topic_arn(a: &str) -> bool {
    let parts: Vec<&str> = a.split(':').collect();
    matches!(
        parts.as_slice(),
        ["arn", partition, "sns", region, account, name]
            if partition.starts_with("aws")
                && !region.is_empty()
                && crate::detections::common::is_account_id(account)
                && !name.is_empty()
                && !name.ends_with(".fifo")
    )
}

fn parse_secs(v: &str, zero_ok: bool) -> Result<i64, String> {
    match v.parse::<i64>() {
        Ok(s) if s > MAX_WINDOW_SECS => {
            Err(format!("{s} is over the {MAX_WINDOW_SECS}-second maximum"))
        }
        Ok(s) if s > 0 || (zero_ok && s == 0) => Ok(s),
        _ => Err(format!("{v:?} is not a positive number of seconds")),
    }
}

/// Time limits on every AWS call, so that a hung connection fails the invocation
/// (its claim is released and Lambda retries) well before the function's 30 s
/// timeout would kill it between a claim and its notification. An invocation makes
/// a few calls of a few milliseconds each.
pub fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .operation_attempt_timeout(Duration::from_secs(2))
        .operation_timeout(Duration::from_secs(5))
        .build()
}

/// Loads the AWS SDK configuration from the variables Lambda sets (region,
/// credentials, `AWS_ENDPOINT_URL`, ...) through [`crate::aws::env`], with
/// [`timeouts`]. Fails, naming every problem, when the region or the credentials
/// are missing or a value is unusable.
pub async fn sdk_config() -> Result<SdkConfig, ConfigError> {
    crate::aws::env::from_env(timeouts())
        .map_err(|e| ConfigError(e.0.iter().map(ToString::to_string).collect()))
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(crate) fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    pub(crate) const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:trailwatch-findings";

    /// `group`'s configuration from the least environment (table and topic),
    /// plus `key` set to `value` when there is one.
    pub(crate) fn with_var(
        group: &str,
        key: &str,
        value: Option<&str>,
    ) -> Result<Config, ConfigError> {
        let g = catalog::function(group).expect("a function group");
        let mut pairs = vec![(ENV_TABLE, "state"), (ENV_TOPIC_ARN, TOPIC)];
        pairs.extend(value.map(|v| (key, v)));
        Config::from_vars(g, vars(&pairs))
    }

    #[test]
    fn own_organizations_are_read_and_checked() {
        let with = |v: &str| with_var("data-exposure", ENV_ORGANIZATION_IDS, Some(v));
        let unset = with_var("data-exposure", ENV_ORGANIZATION_IDS, None).unwrap();
        assert!(unset.settings.own_organizations.is_none());
        // The template's default is the empty string: no list.
        assert!(with("").unwrap().settings.own_organizations.is_none());
        let c = with("o-zz9y8x7w6v, o-a1b2c3d4e5").unwrap();
        assert_eq!(
            c.settings.own_organizations.as_deref(),
            Some(&["o-a1b2c3d4e5".to_owned(), "o-zz9y8x7w6v".to_owned()][..])
        );
        let err = with("o-a1b2c3d4e5,r-ab12").unwrap_err().to_string();
        assert!(
            err.contains(ENV_ORGANIZATION_IDS) && err.contains("\"r-ab12\""),
            "{err}"
        );
    }

    #[test]
    fn the_log_retention_is_a_number_of_days_cloudwatch_takes() {
        let with = |v: &str| with_var("self-protection", ENV_LOG_RETENTION_DAYS, Some(v));
        assert_eq!(
            with_var("self-protection", ENV_LOG_RETENTION_DAYS, None)
                .unwrap()
                .log_retention_days,
            None
        );
        assert_eq!(with("14").unwrap().log_retention_days, Some(14));
        assert_eq!(with(" 3653 ").unwrap().log_retention_days, Some(3653));
        for bad in ["0", "3654", "-1", "14d", "1.5"] {
            let err = with(bad).unwrap_err().to_string();
            assert!(err.contains(ENV_LOG_RETENTION_DAYS), "{bad}: {err}");
        }
    }

    #[test]
    fn a_complete_environment_is_accepted() {
        let g = catalog::function("correlation").unwrap();
        let c = Config::from_vars(
            g,
            vars(&[
                (ENV_TABLE, "state"),
                (ENV_TOPIC_ARN, TOPIC),
                (
                    ENV_DISABLED,
                    "getpassworddata-burst, cloudtrail-log-deleted",
                ),
                (
                    "TRAILWATCH_WINDOW_CONCURRENT_SESSIONS_DIFFERENT_IPS_SECS",
                    "600",
                ),
                (ENV_LATENESS, "0"),
                (ENV_CLAIM_LEASE, "45"),
                ("PATH", "/usr/bin"),
            ]),
        )
        .unwrap();
        assert_eq!(c.table, "state");
        assert_eq!(c.key_prefix(), "correlation#");
        assert!(c.settings.disabled.contains("getpassworddata-burst"));
        assert_eq!(
            c.settings.window_overrides["concurrent-sessions-different-ips"],
            600
        );
        assert_eq!(c.settings.window.lateness_secs, 0);
        assert_eq!(c.settings.lease_secs(), 45);
        assert!(c.metrics);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let g = catalog::function("logging-tamper").unwrap();
        let e = Config::from_vars(
            g,
            vars(&[
                (ENV_TOPIC_ARN, "trailwatch-findings"),
                (ENV_DISABLED, "no-such-rule"),
                ("TRAILWATCH_WINDOW_GETPASSWORD_BURST_SECS", "60"),
                ("TRAILWATCH_WINDOW_GETPASSWORDDATA_BURST_SECS", "-5"),
                (ENV_LATENESS, "soon"),
                (ENV_CLAIM_LEASE, "600"),
                // Past the lookback, a silence could never be reported.
                (ENV_SILENCE, "604800"),
            ]),
        )
        .unwrap_err();
        let text = e.to_string();
        for needle in [
            ENV_TABLE,
            ENV_TOPIC_ARN,
            "no-such-rule",
            "GETPASSWORD_BURST",
            "\"-5\"",
            ENV_LATENESS,
            ENV_CLAIM_LEASE,
            "TRAILWATCH_SILENCE_SECS: 604800 seconds is longer than 518400",
        ] {
            assert!(text.contains(needle), "{needle} missing from: {text}");
        }
        assert_eq!(e.0.len(), 8, "{text}");
    }

    /// From a review: what would have started a function that watches less
    /// than its author meant, silently, is refused at start-up instead.
    #[test]
    fn settings_that_would_silently_watch_less_are_refused() {
        let g = catalog::function("logging-tamper").unwrap();
        let base = [(ENV_TABLE, "t"), (ENV_TOPIC_ARN, TOPIC)];
        let refused = |extra: &[(&str, &str)], needle: &str| {
            let mut all = base.to_vec();
            all.extend_from_slice(extra);
            let text = Config::from_vars(g, vars(&all)).unwrap_err().to_string();
            assert!(text.contains(needle), "{extra:?}: {text}");
        };
        // A misspelt variable would switch off what it was meant to set.
        refused(
            &[("TRAILWATCH_TUNING_BUCKET_OWNERS", "111122223333")],
            "no such trailwatch variable",
        );
        // A slip in the prefix, or another letter case.
        for slip in [
            "TRIALWATCH_EXPECTED_ACCOUNTS",
            "trailwatch_tuning_bucket_owner",
            "TRAILWATH_DISABLED",
        ] {
            refused(&[(slip, "x")], "no such trailwatch variable");
        }
        refused(
            &[("TRAILWATCH_EXPECTED_ACCOUNT", "111122223333")],
            "TRAILWATCH_EXPECTED_ACCOUNT:",
        );
        // An environment replaced whole drops the stack's prefix.
        refused(
            &[(
                "AWS_LAMBDA_FUNCTION_NAME",
                "prod-sec-LoggingTamperFunction-AbC",
            )],
            ENV_RESOURCE_PREFIX,
        );
        // An override the engine would ignore (first-seen, heartbeat).
        refused(
            &[("TRAILWATCH_WINDOW_PIPELINE_SILENT_SECS", "3600")],
            "no windowed detection",
        );
        // Topics every Publish would refuse.
        for bad in [
            "arn:aws:sns:us-east-1:123456789012",
            "arn:aws:sns:us-east-1:123456789012:findings.fifo",
            "arn:aws:sns:us-east-1:1234:findings",
        ] {
            refused(&[(ENV_CHAT_TOPIC_ARN, bad)], ENV_CHAT_TOPIC_ARN);
        }
        refused(
            &[("AWS_REGION", "eu-west-1")],
            "SNS takes a Publish only in the topic's Region",
        );
        // From a review: chat messages on the findings topic, and a Security
        // Hub product every import would be refused for.
        refused(&[(ENV_CHAT_TOPIC_ARN, TOPIC)], "must be a topic of its own");
        refused(
            &[
                ("AWS_REGION", "us-east-1"),
                (
                    ENV_SECURITY_HUB,
                    "arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default",
                ),
            ],
            "Security Hub takes findings only for its own Region's product",
        );
        // What the template sets starts.
        let mut fine = base.to_vec();
        fine.extend([
            (
                "AWS_LAMBDA_FUNCTION_NAME",
                "prod-sec-LoggingTamperFunction-AbC",
            ),
            (ENV_RESOURCE_PREFIX, "prod-sec"),
            ("AWS_REGION", "us-east-1"),
            ("TRAILWATCH_WINDOW_GETPASSWORDDATA_BURST_SECS", "60"),
            (ENV_LATENESS, "900"),
        ]);
        let c = Config::from_vars(g, vars(&fine)).unwrap();
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        let default = [(
            "AWS_LAMBDA_FUNCTION_NAME",
            "trailwatch-LoggingTamperFunction-AbC",
        )];
        let mut named = base.to_vec();
        named.extend(default);
        assert!(
            Config::from_vars(g, vars(&named)).is_ok(),
            "the default stack name"
        );
    }

    /// From a review: allowed but most likely mistaken settings start the
    /// function (refusing would stop all its detections) and are logged.
    #[test]
    fn likely_mistakes_start_with_a_warning() {
        let g = catalog::function("logging-tamper").unwrap();
        let base = [
            (ENV_TABLE, "t"),
            (ENV_TOPIC_ARN, TOPIC),
            ("AWS_REGION", "us-east-1"),
        ];
        let warned = |extra: &[(&str, &str)], what: &str| {
            let mut all = base.to_vec();
            all.extend_from_slice(extra);
            let c = Config::from_vars(g, vars(&all)).unwrap();
            assert!(
                c.warnings.iter().any(|w| w.contains(what)),
                "{extra:?}: {:?}",
                c.warnings
            );
        };
        // Seconds written for minutes.
        warned(
            &[("TRAILWATCH_WINDOW_GETPASSWORDDATA_BURST_SECS", "5")],
            "may never fire",
        );
        // A lease a live delivery can outlast (from a review).
        warned(&[(ENV_CLAIM_LEASE, "10")], "sent twice");
        // A lateness shorter than CloudTrail's delays and Lambda's retries.
        warned(&[(ENV_LATENESS, "0")], "no longer meets them");
        warned(&[(ENV_LATENESS, "899")], "no longer meets them");
        // A 30-character stack name, cut in the generated function name.
        warned(
            &[
                (ENV_RESOURCE_PREFIX, "security-tooling-trailwatch-01"),
                (
                    "AWS_LAMBDA_FUNCTION_NAME",
                    "security-tooling-trailwa-LoggingTamperFunction-AbC",
                ),
            ],
            "does not start with",
        );
    }

    #[test]
    fn destinations_are_optional_and_checked() {
        let g = catalog::function("logging-tamper").unwrap();
        let base = [(ENV_TABLE, "t"), (ENV_TOPIC_ARN, TOPIC)];
        let c = Config::from_vars(g, vars(&base)).unwrap();
        assert_eq!(
            (c.security_hub, c.chat_topic_arn, c.findings_format),
            (None, None, MachineFormat::Json)
        );
        let hub = "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default";
        let chat = "arn:aws:sns:us-east-1:123456789012:trailwatch-chat";
        let mut on = base.to_vec();
        on.extend([
            (ENV_SECURITY_HUB, hub),
            (ENV_CHAT_TOPIC_ARN, chat),
            (ENV_FINDINGS_FORMAT, "ocsf"),
        ]);
        let c = Config::from_vars(g, vars(&on)).unwrap();
        assert_eq!(c.security_hub.unwrap().account_id, "123456789012");
        assert_eq!(c.chat_topic_arn.as_deref(), Some(chat));
        assert_eq!(c.findings_format, MachineFormat::Ocsf);
        let mut bad = base.to_vec();
        bad.extend([
            (ENV_SECURITY_HUB, "true"),
            (ENV_CHAT_TOPIC_ARN, "chat"),
            (ENV_FINDINGS_FORMAT, "xml"),
        ]);
        let e = Config::from_vars(g, vars(&bad)).unwrap_err();
        assert_eq!(e.0.len(), 3, "{e}");
    }

    /// The tuning's bucket owner goes with an S3 location; every misuse of it
    /// is a named problem, never a tuning read without the check.
    #[test]
    fn the_tuning_bucket_owner_is_checked_with_the_location() {
        use crate::tuning::location::Location;
        let g = catalog::function("logging-tamper").unwrap();
        let with = |extra: &[(&str, &str)]| {
            let mut v = vec![(ENV_TABLE, "t"), (ENV_TOPIC_ARN, TOPIC)];
            v.extend_from_slice(extra);
            Config::from_vars(g, vars(&v))
        };
        let s3 = (ENV_TUNING, "s3://tuning-b/t.toml");
        let c = with(&[s3, (ENV_TUNING_BUCKET_OWNER, " 111122223333 ")]).unwrap();
        assert_eq!(
            c.tuning,
            Some(Location::S3 {
                bucket: "tuning-b".into(),
                key: "t.toml".into(),
                owner: Some("111122223333".into())
            })
        );
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        let c = with(&[s3, (ENV_TUNING_BUCKET_OWNER, "")]).unwrap();
        assert!(matches!(c.tuning, Some(Location::S3 { owner: None, .. })));
        // Read all the same, with a warning at start-up.
        assert!(
            c.warnings.len() == 1 && c.warnings[0].contains(ENV_TUNING_BUCKET_OWNER),
            "{:?}",
            c.warnings
        );
        for bad in [
            vec![s3, (ENV_TUNING_BUCKET_OWNER, "11112222333")],
            vec![
                s3,
                (ENV_TUNING_BUCKET_OWNER, "arn:aws:iam::111122223333:root"),
            ],
            vec![
                (ENV_TUNING, "/etc/t.toml"),
                (ENV_TUNING_BUCKET_OWNER, "111122223333"),
            ],
            vec![(ENV_TUNING_BUCKET_OWNER, "111122223333")],
        ] {
            let e = with(&bad).unwrap_err();
            assert_eq!(e.0.len(), 1, "{bad:?}: {e}");
            assert!(e.0[0].starts_with(ENV_TUNING_BUCKET_OWNER), "{bad:?}: {e}");
        }
    }

    #[test]
    fn expected_members_are_every_account_in_every_region() {
        let g = catalog::function("pipeline").unwrap();
        let with = |accounts: &str, regions: &str| {
            Config::from_vars(
                g,
                vars(&[
                    (ENV_TABLE, "t"),
                    (ENV_TOPIC_ARN, TOPIC),
                    (ENV_EXPECTED_ACCOUNTS, accounts),
                    (ENV_EXPECTED_REGIONS, regions),
                ]),
            )
        };
        let c = with("111122223333, 444455556666", "us-east-1,eu-west-1").unwrap();
        assert_eq!(
            c.settings.expected_members,
            [
                "111122223333|eu-west-1",
                "111122223333|us-east-1",
                "444455556666|eu-west-1",
                "444455556666|us-east-1"
            ]
        );
        assert!(with("", "").unwrap().settings.expected_members.is_empty());
        for (accounts, regions, problem) in [
            ("111122223333", "", "go together"),
            ("", "us-east-1", "go together"),
            ("11112222333", "us-east-1", "is not an account id"),
            ("111122223333", "us-east-1,Mars", "\"Mars\" is not a Region"),
        ] {
            let e = with(accounts, regions).unwrap_err().to_string();
            assert!(e.contains(problem), "{accounts} {regions}: {e}");
        }
    }

    #[test]
    fn window_variable_names_follow_the_ids() {
        assert_eq!(
            window_var("getpassworddata-burst"),
            "TRAILWATCH_WINDOW_GETPASSWORDDATA_BURST_SECS"
        );
    }
}
