//! SNS read-back for the end-to-end tests: an SQS queue subscribed to the findings
//! topic, and what it holds.

use aws_config::SdkConfig;
use serde_json::Value;

use crate::unique;

/// An SQS queue subscribed to `topic` (optionally with a filter policy); its URL.
pub async fn subscribed_queue(sdk: &SdkConfig, topic: &str, filter: Option<&str>) -> String {
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let url = sqs
        .create_queue()
        .queue_name(unique("q"))
        .send()
        .await
        .expect("CreateQueue")
        .queue_url()
        .expect("queue URL")
        .to_owned();
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("GetQueueAttributes")
        .attributes()
        .and_then(|a| {
            a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                .cloned()
        })
        .expect("queue ARN");
    let mut sub = aws_sdk_sns::Client::new(sdk)
        .subscribe()
        .topic_arn(topic)
        .protocol("sqs")
        .endpoint(arn);
    if let Some(f) = filter {
        sub = sub.attributes("FilterPolicy", f);
    }
    sub.send().await.expect("Subscribe");
    url
}

/// Everything in the queue now, as SNS envelopes, deleted from the queue. moto
/// delivers to subscribers during `Publish`, so nothing arrives later.
pub async fn drain(sdk: &SdkConfig, url: &str) -> Vec<Value> {
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let mut out = Vec::new();
    loop {
        let got = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .send()
            .await
            .expect("ReceiveMessage");
        let msgs = got.messages();
        if msgs.is_empty() {
            return out;
        }
        // One DeleteMessageBatch per received batch (at most ten messages)
        // instead of a DeleteMessage per message.
        let mut delete = sqs.delete_message_batch().queue_url(url);
        for (i, m) in msgs.iter().enumerate() {
            out.push(serde_json::from_str(m.body().unwrap_or("")).expect("SNS envelope JSON"));
            delete = delete.entries(
                aws_sdk_sqs::types::DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(m.receipt_handle().unwrap_or(""))
                    .build()
                    .expect("a batch entry"),
            );
        }
        let deleted = delete.send().await.expect("DeleteMessageBatch");
        assert!(
            deleted.failed().is_empty(),
            "DeleteMessageBatch failed: {:?}",
            deleted.failed()
        );
    }
}

/// A fresh state table (as the template makes it) and findings topic in moto;
/// their names start with `prefix`.
pub async fn table_and_topic(sdk: &SdkConfig, prefix: &str) -> (String, String) {
    let table = unique(&format!("{prefix}-state"));
    trailwatch::state::dynamodb::create_table(&aws_sdk_dynamodb::Client::new(sdk), &table)
        .await
        .expect("CreateTable");
    let topic = aws_sdk_sns::Client::new(sdk)
        .create_topic()
        .name(unique(&format!("{prefix}-findings")))
        .send()
        .await
        .expect("CreateTopic")
        .topic_arn()
        .expect("topic ARN")
        .to_owned();
    (table, topic)
}

/// The detection ids of the messages in the queue now (their `detection_id`
/// attribute), sorted; the messages are deleted from the queue.
pub async fn drain_detection_ids(sdk: &SdkConfig, url: &str) -> Vec<String> {
    let mut ids: Vec<String> = drain(sdk, url)
        .await
        .iter()
        .map(|m| {
            m["MessageAttributes"]["detection_id"]["Value"]
                .as_str()
                .unwrap_or_else(|| panic!("a message without detection_id: {m}"))
                .to_owned()
        })
        .collect();
    ids.sort();
    ids
}

/// (detection id, finding id) of every message in the queue now, read from the
/// finding JSON each carries, sorted; the messages are deleted from the queue.
pub async fn drain_finding_ids(sdk: &SdkConfig, url: &str) -> Vec<(String, String)> {
    let mut ids: Vec<(String, String)> = drain(sdk, url)
        .await
        .iter()
        .map(|m| {
            let text = m["Message"].as_str().unwrap_or_default();
            let f: Value = serde_json::from_str(text)
                .unwrap_or_else(|e| panic!("a message that is not the finding JSON ({e}): {m}"));
            let field = |k: &str| {
                f[k].as_str()
                    .unwrap_or_else(|| panic!("a finding without {k}: {f}"))
                    .to_owned()
            };
            (field("detection_id"), field("finding_id"))
        })
        .collect();
    ids.sort();
    ids
}
