//! The SNS adapter of [`Notifier`]: one `Publish` per finding, with the subject,
//! per-protocol message (`MessageStructure=json`) and attributes built by
//! [`super::message`].

use aws_sdk_sns::Client;
use aws_sdk_sns::operation::publish::builders::PublishFluentBuilder;
use aws_sdk_sns::types::MessageAttributeValue;

use super::message::{self, MachineFormat, SnsMessage};
use super::{Notifier, NotifyError};
use crate::finding::Finding;

/// Publishes findings to one SNS topic.
#[derive(Clone, Debug)]
pub struct SnsNotifier {
    client: Client,
    topic_arn: String,
    format: MachineFormat,
}

impl SnsNotifier {
    pub fn new(client: Client, topic_arn: impl Into<String>) -> SnsNotifier {
        SnsNotifier {
            client,
            topic_arn: topic_arn.into(),
            format: MachineFormat::Json,
        }
    }

    /// What the JSON protocols get (`TRAILWATCH_FINDINGS_FORMAT`).
    pub fn with_format(mut self, format: MachineFormat) -> SnsNotifier {
        self.format = format;
        self
    }

    /// Publishes `message` as is (no per-protocol structure, no subject), with
    /// the finding's message attributes: the chat topic's custom notifications.
    pub async fn publish_plain(
        &self,
        message: &str,
        attributes: &[(&'static str, message::Attribute)],
    ) -> Result<String, NotifyError> {
        let req = self
            .client
            .publish()
            .topic_arn(&self.topic_arn)
            .message(message);
        self.send(req, attributes).await
    }

    pub fn topic_arn(&self) -> &str {
        &self.topic_arn
    }

    /// Sends an already built message; returns the SNS message id.
    pub async fn publish(&self, m: &SnsMessage) -> Result<String, NotifyError> {
        let req = self
            .client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(&m.subject)
            .message(&m.message)
            .message_structure("json");
        self.send(req, &m.attributes).await
    }

    /// Adds the message attributes, sends, and names the topic in an error.
    async fn send(
        &self,
        mut req: PublishFluentBuilder,
        attributes: &[(&'static str, message::Attribute)],
    ) -> Result<String, NotifyError> {
        for (name, attr) in attributes {
            req = req.message_attributes(*name, attribute(name, attr)?);
        }
        let out = req.send().await.map_err(|e| {
            NotifyError(format!(
                "SNS Publish to {} failed: {}",
                self.topic_arn,
                crate::aws::error::short_cause(&e)
            ))
        })?;
        Ok(out.message_id().unwrap_or_default().to_owned())
    }
}

fn attribute(name: &str, attr: &message::Attribute) -> Result<MessageAttributeValue, NotifyError> {
    MessageAttributeValue::builder()
        .data_type(attr.data_type())
        .string_value(attr.value())
        .build()
        .map_err(|e| NotifyError(format!("attribute {name}: {e}")))
}

impl Notifier for SnsNotifier {
    async fn notify(&self, finding: &Finding) -> Result<(), NotifyError> {
        self.publish(&message::build_as(finding, self.format))
            .await
            .map(|_| ())
    }

    fn destinations(&self) -> Vec<&'static str> {
        vec!["findings-topic"]
    }
}

/// Sends each finding as an AWS Chatbot custom notification to the chat topic
/// (a topic of its own: Chatbot subscribes over HTTPS, and so may existing
/// subscribers of the findings topic that expect trailwatch's JSON).
#[derive(Clone, Debug)]
pub struct ChatNotifier(pub SnsNotifier);

impl Notifier for ChatNotifier {
    async fn notify(&self, finding: &Finding) -> Result<(), NotifyError> {
        let text = crate::sanitize::json_line(crate::render::chat::render(finding).to_string());
        self.0
            .publish_plain(&text, &message::attributes(finding))
            .await
            .map(|_| ())
    }

    fn destinations(&self) -> Vec<&'static str> {
        vec!["chat-topic"]
    }
}
