//! trailwatch's own AWS resources, recognised by the prefix of their names.
//!
//! The templates name every resource they create with the stack name (explicitly,
//! or through CloudFormation's generated `<stack>-<LogicalId>-<suffix>` names), and
//! set `TRAILWATCH_RESOURCE_PREFIX` to it; `trailwatch replay --resource-prefix`
//! says the same for a replay. The self-protection detection and the heartbeat's
//! canary recognition read it here. It is process-wide configuration, set once at
//! start-up, because detections are pure functions of one record with no other
//! input.

use std::sync::OnceLock;

/// The prefix when none is configured: the default stack name of the docs.
pub const DEFAULT_PREFIX: &str = "trailwatch";

static PREFIX: OnceLock<String> = OnceLock::new();

/// Sets the prefix (first call wins; later calls with another value are refused).
pub fn set_prefix(prefix: &str) -> Result<(), String> {
    let prefix = prefix.trim();
    check_prefix(prefix)?;
    match PREFIX.set(prefix.to_owned()) {
        Ok(()) => Ok(()),
        Err(_) if PREFIX.get().map(String::as_str) == Some(prefix) => Ok(()),
        Err(_) => Err("the resource prefix is already set".into()),
    }
}

/// A prefix must be a plain resource-name start: not empty, letters, digits, `-`,
/// `_` and `.` only.
pub fn check_prefix(prefix: &str) -> Result<(), String> {
    let prefix = prefix.trim();
    if prefix.is_empty() {
        return Err("the resource prefix is empty".into());
    }
    if !prefix
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(format!(
            "the resource prefix {prefix:?} may hold only letters, digits, '-', '_' and '.'"
        ));
    }
    Ok(())
}

static LOG_RETENTION_DAYS: OnceLock<u64> = OnceLock::new();

/// The retention, in days, the deployment gave its functions' log groups
/// (`LogRetentionDays`, through `TRAILWATCH_LOG_RETENTION_DAYS`; first call
/// wins). A retention enforcer that sets the same is doing what the team chose.
pub fn set_log_retention_days(days: u64) {
    let _ = LOG_RETENTION_DAYS.set(days);
}

/// [`set_log_retention_days`]'s value, if set (replay and the backtest: not).
pub fn log_retention_days() -> Option<u64> {
    LOG_RETENTION_DAYS.get().copied()
}

static HOME: OnceLock<(String, String)> = OnceLock::new();

/// Sets the Region and account trailwatch's central resources live in, from the
/// ARN of one of them (the live functions: the findings topic's), so that a
/// resource of another account named with the prefix is not taken for ours
/// (first call wins). Unset (replay, the backtest), names alone are compared.
pub fn set_home_from_arn(arn: &str) {
    if let Some(home) = home_of(arn) {
        let _ = HOME.set(home);
    }
}

/// The (Region, account) of an ARN that names both.
fn home_of(arn: &str) -> Option<(String, String)> {
    region_and_account(arn).map(|(r, a)| (r.to_owned(), a.to_owned()))
}

/// The Region and account an ARN names, when it names both (an account of
/// twelve digits).
pub fn region_and_account(arn: &str) -> Option<(&str, &str)> {
    let mut parts = arn.trim().splitn(6, ':');
    if parts.next()? != "arn" {
        return None;
    }
    let (region, account) = (parts.nth(2)?, parts.next()?);
    (!region.is_empty() && crate::detections::common::is_account_id(account))
        .then_some((region, account))
}

/// The central Region and account, when known ([`set_home_from_arn`]).
pub fn home() -> Option<(&'static str, &'static str)> {
    HOME.get().map(|(r, a)| (r.as_str(), a.as_str()))
}

/// The configured prefix, else [`DEFAULT_PREFIX`].
pub fn prefix() -> &'static str {
    PREFIX.get().map_or(DEFAULT_PREFIX, String::as_str)
}

/// True when a resource name (or ARN: the part after its last `:` or `/`) is one
/// of trailwatch's.
pub fn is_ours(name_or_arn: &str) -> bool {
    resource_name(name_or_arn).starts_with(prefix())
}

/// The name inside an ARN or URL (`arn:aws:sns:r:a:NAME`, `arn:...:function:NAME:alias`,
/// `arn:...:role/path/NAME`, `https://sqs.../ACCOUNT/NAME`), or Lambda's partial ARN
/// (`ACCOUNT:function:NAME[:qualifier]`, which every Lambda API takes), or the text
/// itself.
pub fn resource_name(name_or_arn: &str) -> &str {
    let s = name_or_arn.trim();
    if let Some((account, rest)) = s.split_once(':')
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && let Some(f) = rest.strip_prefix("function:")
    {
        return f.split(':').next().unwrap_or(f);
    }
    if let Some(rest) = s.strip_prefix("arn:") {
        // arn:partition:service:region:account:resource
        let resource = rest.splitn(5, ':').nth(4).unwrap_or(rest);
        // Lambda: function:NAME[:qualifier]; events: rule/[bus/]NAME; iam: role/path/NAME
        if let Some(f) = resource.strip_prefix("function:") {
            return f.split(':').next().unwrap_or(f);
        }
        if let Some(t) = resource.strip_prefix("table/") {
            return t.split('/').next().unwrap_or(t);
        }
        return resource.rsplit(['/', ':']).next().unwrap_or(resource);
    }
    if s.starts_with("https://") || s.starts_with("http://") {
        return s.trim_end_matches('/').rsplit('/').next().unwrap_or(s);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_comes_from_an_arn_with_region_and_account() {
        assert_eq!(
            home_of("arn:aws:sns:eu-west-1:111122223333:tw-FindingsTopic-AB12"),
            Some(("eu-west-1".into(), "111122223333".into()))
        );
        for none in [
            "arn:aws:iam::111122223333:role/x",
            "arn:aws:sns:eu-west-1:x:t",
            "tw-topic",
        ] {
            assert_eq!(home_of(none), None, "{none}");
        }
    }

    #[test]
    fn names_come_out_of_arns_and_urls() {
        for (arn, name) in [
            (
                "111122223333:function:tw-CorrelationFunction-Xk29aLq0",
                "tw-CorrelationFunction-Xk29aLq0",
            ),
            (
                "111122223333:function:tw-CorrelationFunction-Xk29aLq0:live",
                "tw-CorrelationFunction-Xk29aLq0",
            ),
            (
                "arn:aws:sns:us-east-1:111122223333:tw-FindingsTopic-AB12",
                "tw-FindingsTopic-AB12",
            ),
            (
                "arn:aws:lambda:us-east-1:111122223333:function:tw-fn:live",
                "tw-fn",
            ),
            (
                "arn:aws:dynamodb:us-east-1:111122223333:table/tw-State/stream/2026",
                "tw-State",
            ),
            ("arn:aws:iam::111122223333:role/service/tw-role", "tw-role"),
            (
                "arn:aws:events:us-east-1:111122223333:rule/bus-x/tw-rule",
                "tw-rule",
            ),
            (
                "https://sqs.us-east-1.amazonaws.com/111122223333/tw-dlq",
                "tw-dlq",
            ),
            ("tw-plain", "tw-plain"),
        ] {
            assert_eq!(resource_name(arn), name, "{arn}");
        }
    }

    #[test]
    fn bad_prefixes_are_refused() {
        assert!(check_prefix("").is_err());
        assert!(check_prefix("a b").is_err());
        assert!(check_prefix("x*").is_err());
        assert!(check_prefix("tw-prod_1.x").is_ok());
    }
}
