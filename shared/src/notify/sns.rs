//! The SNS adapter of [`Notifier`]: one `Publish` per finding, with the subject,
//! per-protocol message (`MessageStructure=json`) and attributes built by
//! [`message`](super::message).

use aws_sdk_sns::Client;
use aws_sdk_sns::types::MessageAttributeValue;

use super::message::{self, SnsMessage};
use super::{Notifier, NotifyError};
use crate::finding::Finding;

/// Publishes findings to one SNS topic.
#[derive(Clone, Debug)]
pub struct SnsNotifier {
    client: Client,
    topic_arn: String,
}

impl SnsNotifier {
    pub fn new(client: Client, topic_arn: impl Into<String>) -> SnsNotifier {
        SnsNotifier {
            client,
            topic_arn: topic_arn.into(),
        }
    }

    pub fn topic_arn(&self) -> &str {
        &self.topic_arn
    }

    /// Sends an already built message; returns the SNS message id.
    pub async fn publish(&self, m: &SnsMessage) -> Result<String, NotifyError> {
        let mut req = self
            .client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(&m.subject)
            .message(&m.message)
            .message_structure("json");
        for (name, attr) in &m.attributes {
            let value = MessageAttributeValue::builder()
                .data_type(attr.data_type())
                .string_value(attr.value())
                .build()
                .map_err(|e| NotifyError(format!("attribute {name}: {e}")))?;
            req = req.message_attributes(*name, value);
        }
        let out = req.send().await.map_err(|e| {
            NotifyError(format!(
                "SNS Publish to {} failed: {}",
                self.topic_arn,
                crate::aws_error::short_cause(&e)
            ))
        })?;
        Ok(out.message_id().unwrap_or_default().to_owned())
    }
}

impl Notifier for SnsNotifier {
    async fn notify(&self, finding: &Finding) -> Result<(), NotifyError> {
        self.publish(&message::build(finding)).await.map(|_| ())
    }
}
