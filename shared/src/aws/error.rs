//! A short, readable cause for a failed AWS SDK call, for error messages that end
//! up in the Lambda runtime's error report and the logs: the service's error code
//! and message, "timed out", or the innermost transport error, never the SDK's
//! `Debug` dump of the whole error chain.

use std::error::Error;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

use crate::sanitize::one_line;

/// How long a cause may be (characters): enough for a service message.
pub(crate) const MAX_CAUSE_CHARS: usize = 300;

/// The cause of `e` in one short line.
pub fn short_cause<E, R>(e: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + Error + 'static,
    R: std::fmt::Debug + 'static,
{
    if let Some(text) = credentials_failure(e) {
        return one_line(&text, MAX_CAUSE_CHARS * 2);
    }
    let text = match e {
        SdkError::ServiceError(se) => {
            let err = se.err();
            match (err.code(), err.message()) {
                (Some(code), Some(msg)) => format!("{code}: {msg}"),
                (Some(code), None) => code.to_owned(),
                (None, Some(msg)) => msg.to_owned(),
                (None, None) => innermost(err),
            }
        }
        SdkError::TimeoutError(_) => "timed out".to_owned(),
        SdkError::DispatchFailure(d) if d.is_timeout() => "timed out".to_owned(),
        SdkError::DispatchFailure(d) if d.is_io() => {
            format!("connection failed: {}", innermost(e))
        }
        SdkError::DispatchFailure(_) => format!("request not sent: {}", innermost(e)),
        SdkError::ResponseError(_) => format!("unreadable response: {}", innermost(e)),
        SdkError::ConstructionFailure(_) => format!("request not built: {}", innermost(e)),
        _ => innermost(e),
    };
    one_line(&text, MAX_CAUSE_CHARS)
}

/// When a credentials provider's failure is in `e`'s chain (the SDK found no
/// credentials, or could not load them): a cause that says so and where they
/// are looked for. The SDK reports it as a request not sent, whose innermost
/// cause is the last provider it tried (on a laptop, often the instance
/// metadata service), which sent people looking at IMDS (from a review).
fn credentials_failure(e: &(dyn Error + 'static)) -> Option<String> {
    use aws_credential_types::provider::error::CredentialsError;
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(c) = err.downcast_ref::<CredentialsError>() {
            return Some(no_credentials(&innermost(c)));
        }
        cur = err.source();
    }
    None
}

/// The cause of a failure to load credentials, `detail` the provider's words.
pub(crate) fn no_credentials(detail: &str) -> String {
    format!(
        "no AWS credentials ({}). They are looked for in AWS_ACCESS_KEY_ID and \
         AWS_SECRET_ACCESS_KEY, the AWS_PROFILE profile of ~/.aws/config and \
         ~/.aws/credentials (SSO: run `aws sso login`), a web identity token, then \
         the container's or the instance's role",
        detail.trim_end_matches('.')
    )
}

/// The `Display` of the deepest error in the `source` chain.
pub(crate) fn innermost(e: &(dyn Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The short cause of a DynamoDB call with `credentials` to loopback's port
    /// 9, where nothing listens (discard is not run here).
    async fn cause_of_a_call_to_nothing(
        credentials: impl aws_credential_types::provider::ProvideCredentials + 'static,
    ) -> String {
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
            .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
            .endpoint_url("http://127.0.0.1:9")
            .credentials_provider(credentials)
            .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
            .http_client(crate::aws::http_client())
            .build();
        let client = aws_sdk_dynamodb::Client::from_conf(config);
        let e = client
            .describe_table()
            .table_name("t")
            .send()
            .await
            .expect_err("nothing listens");
        short_cause(&e)
    }

    #[tokio::test]
    async fn a_refused_connection_is_one_short_line() {
        let cause = cause_of_a_call_to_nothing(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .await;
        assert!(cause.starts_with("connection failed: "), "{cause}");
        assert!(
            !cause.contains("DispatchFailure") && !cause.contains('{'),
            "{cause}"
        );
        assert!(cause.chars().count() <= MAX_CAUSE_CHARS, "{cause}");
    }

    /// No credentials anywhere: the cause says so and where they are looked
    /// for, not only the last provider's complaint.
    #[tokio::test]
    async fn missing_credentials_are_named_as_such() {
        use aws_credential_types::provider::{self, ProvideCredentials};
        #[derive(Debug)]
        struct Nowhere;
        impl ProvideCredentials for Nowhere {
            fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
            where
                Self: 'a,
            {
                provider::future::ProvideCredentials::ready(Err(
                    provider::error::CredentialsError::not_loaded(
                        "the instance metadata service refused the request",
                    ),
                ))
            }
        }
        let cause = cause_of_a_call_to_nothing(Nowhere).await;
        assert!(
            cause.starts_with(
                "no AWS credentials (the instance metadata service refused the request). \
                 They are looked for in AWS_ACCESS_KEY_ID"
            ),
            "{cause}"
        );
        assert!(cause.contains("aws sso login"), "{cause}");
    }
}
