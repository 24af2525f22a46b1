//! The Lambda functions' SDK configuration, read from the environment that Lambda
//! gives every function, without aws-config.
//!
//! Lambda passes the execution role's credentials in `AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`, and the Region in `AWS_REGION`.
//! aws-config's default chain would find the same values, after linking its
//! profile-file, SSO, STS, IMDS and container providers, which a function never
//! reaches. What is read here, with the meaning aws-config gives each:
//!
//! | variable | use |
//! | --- | --- |
//! | `AWS_REGION`, else `AWS_DEFAULT_REGION` | the Region (required) |
//! | `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` | the credentials (required) |
//! | `AWS_SESSION_TOKEN`, `AWS_ACCOUNT_ID` | optional parts of the credentials |
//! | `AWS_ENDPOINT_URL` | every client's endpoint (moto, a VPC endpoint, ...) |
//! | `AWS_ENDPOINT_URL_<SERVICE>` | one service's endpoint, before the above (`_DYNAMODB`, `_SNS`, `_S3`, `_SECURITYHUB`) |
//! | `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` | `true`: both of the above are ignored |
//! | `AWS_USE_FIPS_ENDPOINT`, `AWS_USE_DUALSTACK_ENDPOINT` | `true` / `false` |
//! | `AWS_SDK_UA_APP_ID` | the application name in the user agent |
//!
//! Everything else is the SDK's default for the latest behaviour version, as
//! aws-config gives it when nothing is configured: standard retries (3 attempts),
//! the lazy identity cache, Tokio's sleep, the system clock, a 3.1 s connect
//! timeout unless the caller sets one. A value that is present but unusable (an
//! endpoint that is not an http(s) URL, a flag that is not `true` or `false`) is a
//! start-up error here, where aws-config would log a warning and go on without it.
//! Blank values count as unset.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use aws_credential_types::Credentials;
use aws_credential_types::credential_feature::AwsCredentialFeature;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_dynamodb::config::{BehaviorVersion, IdentityCache};
use aws_smithy_async::rt::sleep::default_async_sleep;
use aws_smithy_async::time::SharedTimeSource;
use aws_types::SdkConfig;
use aws_types::app_name::AppName;
use aws_types::origin::Origin;
use aws_types::region::Region;
use aws_types::sdk_config::{RetryConfig, TimeoutConfig};
use aws_types::service_config::{LoadServiceConfig, ServiceConfigKey};

/// The endpoint of every client; `AWS_ENDPOINT_URL_<SERVICE>` overrides it for one.
pub const ENDPOINT_URL: &str = "AWS_ENDPOINT_URL";
const IGNORE_ENDPOINT_URLS: &str = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS";
/// The name the credentials carry (aws-config's environment provider's name).
const PROVIDER_NAME: &str = "EnvironmentVariable";
/// aws-config's connect timeout when none is configured.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_millis(3100);

/// One thing wrong with the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Neither `AWS_REGION` nor `AWS_DEFAULT_REGION`.
    NoRegion,
    /// The named credential variables are missing.
    NoCredentials(Vec<&'static str>),
    /// A variable whose value cannot be used.
    Invalid {
        var: String,
        value: String,
        expected: &'static str,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::NoRegion => {
                f.write_str("no AWS region configured (set AWS_REGION or AWS_DEFAULT_REGION)")
            }
            Problem::NoCredentials(missing) => write!(
                f,
                "no AWS credentials in the environment: {} not set",
                missing.join(" and ")
            ),
            Problem::Invalid {
                var,
                value,
                expected,
            } => write!(f, "{var}={value:?} is not {expected}"),
        }
    }
}

/// Every problem of the environment at once (never empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvError(pub Vec<Problem>);

impl fmt::Display for EnvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for EnvError {}

/// The configuration from this process's environment, with `timeouts` (unset
/// parts take the SDK's defaults).
pub fn from_env(timeouts: TimeoutConfig) -> Result<SdkConfig, EnvError> {
    let vars = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
    from_vars(vars, timeouts)
}

/// [`from_env`] on the given variables (tests).
pub fn from_vars(
    vars: impl IntoIterator<Item = (String, String)>,
    timeouts: TimeoutConfig,
) -> Result<SdkConfig, EnvError> {
    // Only the SDK's own variables, and blank ones count as unset.
    let vars: BTreeMap<String, String> = vars
        .into_iter()
        .filter(|(k, v)| k.starts_with("AWS_") && !v.trim().is_empty())
        .collect();
    let get = |k: &str| vars.get(k).map(String::as_str);
    let mut problems = Vec::new();

    let region = get("AWS_REGION").or_else(|| get("AWS_DEFAULT_REGION"));
    if region.is_none() {
        problems.push(Problem::NoRegion);
    }

    let access_key = get("AWS_ACCESS_KEY_ID");
    let secret_key = get("AWS_SECRET_ACCESS_KEY");
    let missing: Vec<&'static str> = [
        ("AWS_ACCESS_KEY_ID", access_key.is_none()),
        ("AWS_SECRET_ACCESS_KEY", secret_key.is_none()),
    ]
    .into_iter()
    .filter_map(|(name, missing)| missing.then_some(name))
    .collect();
    if !missing.is_empty() {
        problems.push(Problem::NoCredentials(missing));
    }

    let mut flag = |var: &str| match get(var).map(str::to_ascii_lowercase).as_deref() {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => {
            problems.push(Problem::Invalid {
                var: var.to_owned(),
                value: vars[var].clone(),
                expected: "true or false",
            });
            None
        }
    };
    let ignore_endpoints = flag(IGNORE_ENDPOINT_URLS).unwrap_or(false);
    let use_fips = flag("AWS_USE_FIPS_ENDPOINT");
    let use_dual_stack = flag("AWS_USE_DUALSTACK_ENDPOINT");

    let endpoint_vars = || {
        vars.iter().filter(|(k, _)| {
            k.as_str() == ENDPOINT_URL
                || k.strip_prefix(ENDPOINT_URL)
                    .is_some_and(|rest| rest.starts_with('_'))
        })
    };
    if !ignore_endpoints {
        for (var, value) in endpoint_vars() {
            if !is_http_url(value) {
                problems.push(Problem::Invalid {
                    var: var.clone(),
                    value: value.clone(),
                    expected: "an http:// or https:// URL",
                });
            }
        }
    }

    let app_name = match get("AWS_SDK_UA_APP_ID").map(|v| AppName::new(v.to_owned())) {
        None => None,
        Some(Ok(name)) => Some(name),
        Some(Err(_)) => {
            problems.push(Problem::Invalid {
                var: "AWS_SDK_UA_APP_ID".into(),
                value: vars["AWS_SDK_UA_APP_ID"].clone(),
                expected: "a valid application name",
            });
            None
        }
    };

    let (Some(region), Some(access_key), Some(secret_key), true) =
        (region, access_key, secret_key, problems.is_empty())
    else {
        return Err(EnvError(problems));
    };

    let mut credentials = Credentials::builder()
        .access_key_id(access_key)
        .secret_access_key(secret_key)
        .provider_name(PROVIDER_NAME);
    credentials.set_session_token(get("AWS_SESSION_TOKEN").map(str::to_owned));
    credentials.set_account_id(get("AWS_ACCOUNT_ID").map(Into::into));
    let mut credentials = credentials.build();
    credentials
        .get_property_mut_or_default::<Vec<AwsCredentialFeature>>()
        .push(AwsCredentialFeature::CredentialsEnvVars);

    let mut timeouts = timeouts;
    timeouts.take_defaults_from(
        &TimeoutConfig::builder()
            .connect_timeout(DEFAULT_CONNECT_TIMEOUT)
            .build(),
    );

    let global_endpoint = (!ignore_endpoints)
        .then(|| get(ENDPOINT_URL).map(str::to_owned))
        .flatten();
    let mut builder = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .identity_cache(IdentityCache::lazy().build())
        .http_client(super::http_client())
        .retry_config(RetryConfig::standard())
        .timeout_config(timeouts)
        .time_source(SharedTimeSource::default())
        .service_config(ServiceVars {
            vars: vars.clone(),
            ignore_endpoints,
        });
    builder.set_sleep_impl(default_async_sleep());
    builder.set_use_fips(use_fips);
    builder.set_use_dual_stack(use_dual_stack);
    builder.set_app_name(app_name);
    if global_endpoint.is_some() {
        builder.insert_origin("endpoint_url", Origin::shared_environment_variable());
    }
    builder.set_endpoint_url(global_endpoint);
    Ok(builder.build())
}

/// `http://` or `https://` and a host.
fn is_http_url(v: &str) -> bool {
    let rest = v
        .strip_prefix("https://")
        .or_else(|| v.strip_prefix("http://"));
    rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/') && !r.contains(char::is_whitespace))
}

/// What a service client reads from the environment when it is built from the
/// configuration: `<VAR>_<SERVICE ID>` (upper case, spaces as `_`), else `<VAR>`;
/// for `AWS_ENDPOINT_URL`, the service's endpoint.
#[derive(Debug)]
struct ServiceVars {
    vars: BTreeMap<String, String>,
    ignore_endpoints: bool,
}

impl LoadServiceConfig for ServiceVars {
    fn load_config(&self, key: ServiceConfigKey<'_>) -> Option<String> {
        if self.ignore_endpoints && key.env() == ENDPOINT_URL {
            return None;
        }
        let service = key.service_id().to_uppercase().replace(' ', "_");
        self.vars
            .get(&format!("{}_{service}", key.env()))
            .or_else(|| self.vars.get(key.env()))
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_credential_types::provider::ProvideCredentials;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    const LAMBDA: &[(&str, &str)] = &[
        ("AWS_REGION", "eu-west-3"),
        ("AWS_DEFAULT_REGION", "eu-west-3"),
        ("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
        ("AWS_SESSION_TOKEN", "token"),
        ("AWS_LAMBDA_FUNCTION_NAME", "logging-tamper"),
        ("PATH", "/usr/bin"),
    ];

    fn load(pairs: &[(&str, &str)]) -> Result<SdkConfig, EnvError> {
        from_vars(vars(pairs), TimeoutConfig::builder().build())
    }

    fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        let mut v = LAMBDA.to_vec();
        v.extend_from_slice(extra);
        v
    }

    fn endpoint(sdk: &SdkConfig, service_id: &str) -> Option<String> {
        let key = ServiceConfigKey::builder()
            .service_id(service_id)
            .env(ENDPOINT_URL)
            .profile("endpoint_url")
            .build()
            .unwrap();
        sdk.service_config()
            .unwrap()
            .load_config(key)
            .or_else(|| sdk.endpoint_url().map(str::to_owned))
    }

    #[tokio::test]
    async fn lambda_s_variables_give_region_and_credentials() {
        let sdk = load(LAMBDA).unwrap();
        assert_eq!(sdk.region().unwrap().as_ref(), "eu-west-3");
        assert_eq!(sdk.endpoint_url(), None);
        assert!(sdk.http_client().is_some(), "our HTTPS client");
        assert!(sdk.sleep_impl().is_some());
        assert_eq!(sdk.retry_config(), Some(&RetryConfig::standard()));
        let c = sdk
            .credentials_provider()
            .unwrap()
            .provide_credentials()
            .await
            .unwrap();
        assert_eq!(c.access_key_id(), "ASIAEXAMPLE");
        assert_eq!(c.secret_access_key(), "secret");
        assert_eq!(c.session_token(), Some("token"));
        assert_eq!(c.expiry(), None);
        assert_eq!(c.account_id(), None);
    }

    #[test]
    fn the_default_region_is_the_fallback() {
        let v: Vec<_> = with(&[])
            .into_iter()
            .filter(|(k, _)| *k != "AWS_REGION")
            .chain([("AWS_DEFAULT_REGION", "ap-south-1")])
            .collect();
        let sdk = load(&v).unwrap();
        assert_eq!(sdk.region().unwrap().as_ref(), "ap-south-1");
        let sdk = load(&with(&[("AWS_REGION", "us-west-2")])).unwrap();
        assert_eq!(sdk.region().unwrap().as_ref(), "us-west-2");
    }

    #[test]
    fn timeouts_keep_the_caller_s_and_default_the_connect_timeout() {
        let t = TimeoutConfig::builder()
            .operation_timeout(Duration::from_secs(5))
            .build();
        let sdk = from_vars(vars(LAMBDA), t).unwrap();
        let t = sdk.timeout_config().unwrap();
        assert_eq!(t.operation_timeout(), Some(Duration::from_secs(5)));
        assert_eq!(t.connect_timeout(), Some(DEFAULT_CONNECT_TIMEOUT));
        let t = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(2))
            .build();
        let sdk = from_vars(vars(LAMBDA), t).unwrap();
        let t = sdk.timeout_config().unwrap();
        assert_eq!(t.connect_timeout(), Some(Duration::from_secs(2)));
    }

    #[test]
    fn no_region_and_no_credentials_are_named_together() {
        let e = load(&[("AWS_REGION", " "), ("AWS_SESSION_TOKEN", "t")]).unwrap_err();
        assert_eq!(
            e.0,
            vec![
                Problem::NoRegion,
                Problem::NoCredentials(vec!["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"])
            ]
        );
        let text = e.to_string();
        assert!(text.starts_with("no AWS region configured"), "{text}");
        assert!(
            text.contains("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY not set"),
            "{text}"
        );
        let e = load(&[("AWS_REGION", "us-east-1"), ("AWS_ACCESS_KEY_ID", "k")]).unwrap_err();
        assert_eq!(
            e.0,
            vec![Problem::NoCredentials(vec!["AWS_SECRET_ACCESS_KEY"])]
        );
    }

    #[test]
    fn endpoints_global_and_per_service() {
        let sdk = load(&with(&[
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
            ("AWS_ENDPOINT_URL_SECURITYHUB", "https://hub.example:8443"),
        ]))
        .unwrap();
        assert_eq!(sdk.endpoint_url(), Some("http://127.0.0.1:5000"));
        assert_eq!(
            endpoint(&sdk, "SecurityHub").as_deref(),
            Some("https://hub.example:8443")
        );
        assert_eq!(
            endpoint(&sdk, "DynamoDB").as_deref(),
            Some("http://127.0.0.1:5000")
        );
        // A service id with a space: upper case, `_` for the space.
        let sdk = load(&with(&[("AWS_ENDPOINT_URL_SECURITY_HUB", "http://h:1")])).unwrap();
        assert_eq!(
            endpoint(&sdk, "Security Hub").as_deref(),
            Some("http://h:1")
        );
        assert_eq!(endpoint(&sdk, "SNS"), None);
    }

    #[test]
    fn endpoints_can_be_ignored() {
        let sdk = load(&with(&[
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
            ("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:5001"),
            ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE"),
        ]))
        .unwrap();
        assert_eq!(sdk.endpoint_url(), None);
        assert_eq!(endpoint(&sdk, "S3"), None);
    }

    #[test]
    fn unusable_values_are_errors_not_warnings() {
        let e = load(&with(&[
            ("AWS_ENDPOINT_URL", "localhost:5000"),
            ("AWS_ENDPOINT_URL_SNS", "http://"),
            ("AWS_USE_FIPS_ENDPOINT", "yes"),
        ]))
        .unwrap_err();
        let vars: Vec<&str> =
            e.0.iter()
                .map(|p| match p {
                    Problem::Invalid { var, .. } => var.as_str(),
                    other => panic!("{other:?}"),
                })
                .collect();
        assert_eq!(
            vars,
            [
                "AWS_USE_FIPS_ENDPOINT",
                "AWS_ENDPOINT_URL",
                "AWS_ENDPOINT_URL_SNS"
            ]
        );
        assert!(
            e.to_string()
                .contains("AWS_ENDPOINT_URL=\"localhost:5000\" is not an http:// or https:// URL"),
            "{e}"
        );
    }

    #[test]
    fn flags_and_account_id() {
        let sdk = load(&with(&[
            ("AWS_USE_FIPS_ENDPOINT", "true"),
            ("AWS_USE_DUALSTACK_ENDPOINT", "False"),
            ("AWS_SDK_UA_APP_ID", "trailwatch"),
        ]))
        .unwrap();
        assert_eq!(sdk.use_fips(), Some(true));
        assert_eq!(sdk.use_dual_stack(), Some(false));
        assert_eq!(
            sdk.app_name().map(|a| a.to_string()).as_deref(),
            Some("trailwatch")
        );
        let sdk = load(&with(&[])).unwrap();
        assert_eq!(sdk.use_fips(), None);
    }

    #[tokio::test]
    async fn the_account_id_is_passed_on() {
        let sdk = load(&with(&[("AWS_ACCOUNT_ID", "111122223333")])).unwrap();
        let c = sdk
            .credentials_provider()
            .unwrap()
            .provide_credentials()
            .await
            .unwrap();
        assert_eq!(c.account_id().map(|a| a.as_str()), Some("111122223333"));
    }
}
