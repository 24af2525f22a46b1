//! An SNS topic or an SQS queue whose access policy lets everyone, or another AWS
//! account, use it: the `Policy` attribute set (`SetTopicAttributes` with
//! `attributeName` `Policy`, `SetQueueAttributes`, or `CreateTopic` / `CreateQueue`
//! with a `Policy` attribute), or a permission granted to another account with
//! `AddPermission` (a queue's `AWSAccountIds` and `actions`, a topic's
//! `AWSAccountId` and `actionName`, as the two APIs name their parameters; either
//! name is read for both, in any letter case: SQS's own example record writes
//! `AWSAccountIds`, and a review found the camel-cased `aWSAccountIds` alone read),
//! successfully. SQS's `CreateQueue` may log its attributes under `attribute`, in
//! the singular (a real record of Terraform's, from a review): both are read.
//!
//! Decisions: judged as the other resource policies are (`common::policy_exposure`): a
//! statement for the principal `*` counts unless a `Condition` fences in its callers
//! (`aws:SourceOwner`, `aws:SourceAccount`, `aws:SourceArn`, the organisation...: the
//! default topic policy, open to `*` but fenced by `AWS:SourceOwner`, stays quiet), and
//! an account principal counts when it is not the event's own account. Service
//! principals (S3, EventBridge delivering to a topic or queue) are no exposure.
//! Messages in a queue or published to a topic are data: a queue readable from
//! another account leaks them, and a topic anyone may subscribe to copies every
//! message out.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{other_accounts, policy_document, policy_exposure, succeeded_call};
use crate::event::Record;

pub struct SnsSqsPolicyExternalAccess;

const SNS: &str = "sns.amazonaws.com";
const SQS: &str = "sqs.amazonaws.com";
const SNS_CALLS: &[&str] = &["AddPermission", "CreateTopic", "SetTopicAttributes"];
const SQS_CALLS: &[&str] = &["AddPermission", "CreateQueue", "SetQueueAttributes"];

pub static META: Meta = Meta {
    id: "sns-sqs-policy-external-access",
    title: "AWS SNS Topic or SQS Queue Opened to Another Account or Everyone",
    description: "An SNS topic's or SQS queue's access policy now lets another AWS account, \
                  or anyone, use it. Another account that can read a queue or subscribe to a \
                  topic receives every message that passes through it, and one that can \
                  send can inject messages the consumers trust.",
    severity: Severity::Medium,
    attack: &["T1537", "T1098"],
    origins: &[
        "trailwatch: from a red-team gap hunt (SNS topic and SQS queue policies opened to a \
         foreign account or to everyone, the messaging form of the resource-policy backdoors)",
    ],
    group: "resource-sharing",
    false_positives: &[
        "Topics and queues shared on purpose with the organisation's other accounts or a \
         partner: tune by the account.",
    ],
    next_steps: "Read the policy in the evidence: which accounts, and which actions? If the \
                 receiving account is unknown, put the previous policy back and review who \
                 subscribed to the topic or read from the queue since the change.",
    evidence: "actions api other_accounts other_organizations public resource",
    triggers: &[Trigger::write(SNS, SNS_CALLS), Trigger::write(SQS, SQS_CALLS)],
    window: None,
};

impl Detection for SnsSqsPolicyExternalAccess {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !(succeeded_call(rec, SNS, SNS_CALLS) || succeeded_call(rec, SQS, SQS_CALLS)) {
            return None;
        }
        let target = rec
            .request_param_str("topicArn")
            .or_else(|| rec.request_param_str("queueUrl"))
            .or_else(|| rec.request_param_str("name"))
            .or_else(|| rec.request_param_str("queueName"));
        let e = Evidence::new().with("api", rec.event_name()).with_opt("resource", target);
        if rec.event_name() == "AddPermission" {
            let ids = request_params_named(rec, &["AWSAccountIds", "AWSAccountId"])
                .flat_map(|v| match v {
                    serde_json::Value::Array(items) => items.iter().collect(),
                    one => vec![one],
                })
                .filter_map(|v| v.as_str());
            let others = other_accounts(ids, rec.account_id());
            if others.is_empty() {
                return None;
            }
            let actions = request_params_named(rec, &["actions", "actionName"]).next();
            return fire(e.with("other_accounts", others).with_json("actions", actions));
        }
        let text = if rec.event_name() == "SetTopicAttributes" {
            let name = rec.request_param_str("attributeName")?;
            if !name.trim().eq_ignore_ascii_case("Policy") {
                return None;
            }
            rec.request_param("attributeValue")?
        } else {
            ["attributes", "attribute"]
                .iter()
                .find_map(|k| rec.request_param(k)?.get("Policy"))?
        };
        let doc = policy_document(text)?;
        let exposure = policy_exposure(&doc, rec.account_id(), |_| true);
        if !exposure.exposed() {
            return None;
        }
        fire(exposure.exposure_evidence(e))
    }
}

/// The values of the request parameters with one of `names`, letter case ignored.
fn request_params_named<'r>(
    rec: &'r Record<'_>,
    names: &'static [&'static str],
) -> impl Iterator<Item = &'r serde_json::Value> {
    rec.request_parameters()
        .and_then(serde_json::Value::as_object)
        .into_iter()
        .flatten()
        .filter(move |(k, _)| names.iter().any(|n| k.eq_ignore_ascii_case(n)))
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, failed, record};
    use crate::detections::common::testing::{eval, fires};

    fn policy(statement: &str) -> String {
        let text = format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#);
        serde_json::to_string(&text).unwrap()
    }

    const PUBLIC: &str = r#"{"Effect":"Allow","Principal":"*","Action":"sqs:ReceiveMessage","Resource":"*"}"#;
    const FOREIGN: &str = r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"SNS:Subscribe","Resource":"*"}"#;

    #[test]
    fn a_queue_or_topic_opened_fires() {
        let queue = format!(r#"{{"queueUrl":"https://sqs.us-east-1.amazonaws.com/111122223333/orders","attributes":{{"Policy":{}}}}}"#, policy(PUBLIC));
        assert!(fires(&SnsSqsPolicyExternalAccess, &record(SQS, "SetQueueAttributes", ROLE, &queue, "")));
        let topic = format!(r#"{{"topicArn":"arn:aws:sns:us-east-1:111122223333:alerts","attributeName":"Policy","attributeValue":{}}}"#, policy(FOREIGN));
        match eval(&SnsSqsPolicyExternalAccess, &record(SNS, "SetTopicAttributes", ROLE, &topic, "")) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("other_accounts"), Some(&serde_json::json!(["444455556666"]))),
            other => panic!("expected a finding, got {other:?}"),
        }
        let created = format!(r#"{{"name":"alerts","attributes":{{"Policy":{}}}}}"#, policy(PUBLIC));
        // From a review: CreateQueue's attributes in the singular, as Terraform's record has them.
        let singular = format!(r#"{{"queueName":"orders","attribute":{{"Policy":{}}}}}"#, policy(PUBLIC));
        assert!(fires(&SnsSqsPolicyExternalAccess, &record("sqs.amazonaws.com", "CreateQueue", ROLE, &singular, "")));
        assert!(fires(&SnsSqsPolicyExternalAccess, &record(SNS, "CreateTopic", ROLE, &created, "")));
        let permission = r#"{"queueUrl":"https://sqs.us-east-1.amazonaws.com/111122223333/orders","label":"x","aWSAccountIds":["444455556666"],"actions":["ReceiveMessage"]}"#;
        assert!(fires(&SnsSqsPolicyExternalAccess, &record(SQS, "AddPermission", ROLE, permission, "")));
        // From a review: SQS's own example record writes `AWSAccountIds`.
        let documented = permission.replace("aWSAccountIds", "AWSAccountIds");
        match eval(&SnsSqsPolicyExternalAccess, &record(SQS, "AddPermission", ROLE, &documented, "")) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("other_accounts"), Some(&serde_json::json!(["444455556666"])));
                assert_eq!(e.get("actions"), Some(&serde_json::json!(["ReceiveMessage"])));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        // A topic's permission: its own parameter names.
        let topic_permission = r#"{"topicArn":"arn:aws:sns:us-east-1:111122223333:orders","label":"x","aWSAccountId":["444455556666"],"actionName":["Subscribe","Receive"]}"#;
        match eval(&SnsSqsPolicyExternalAccess, &record(SNS, "AddPermission", ROLE, topic_permission, "")) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("other_accounts"), Some(&serde_json::json!(["444455556666"])));
                assert_eq!(e.get("actions"), Some(&serde_json::json!(["Subscribe", "Receive"])));
                assert_eq!(e.get("resource"), Some(&serde_json::json!("arn:aws:sns:us-east-1:111122223333:orders")));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn fenced_own_account_and_service_grants_do_not() {
        let default_topic = r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":["SNS:Publish","SNS:Subscribe"],"Resource":"arn:aws:sns:us-east-1:111122223333:alerts","Condition":{"StringEquals":{"AWS:SourceOwner":"111122223333"}}}"#;
        let service = r#"{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sns:Publish","Resource":"*"}"#;
        let own = r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/Reader"},"Action":"sqs:*","Resource":"*"}"#;
        for st in [default_topic, service, own] {
            let topic = format!(r#"{{"topicArn":"arn:aws:sns:us-east-1:111122223333:alerts","attributeName":"Policy","attributeValue":{}}}"#, policy(st));
            assert!(!fires(&SnsSqsPolicyExternalAccess, &record(SNS, "SetTopicAttributes", ROLE, &topic, "")), "{st}");
        }
        let other_attribute = r#"{"topicArn":"arn:aws:sns:us-east-1:111122223333:alerts","attributeName":"DisplayName","attributeValue":"*"}"#;
        assert!(!fires(&SnsSqsPolicyExternalAccess, &record(SNS, "SetTopicAttributes", ROLE, other_attribute, "")));
        let own_permission = r#"{"queueUrl":"q","label":"x","aWSAccountIds":["111122223333"],"actions":["SendMessage"]}"#;
        assert!(!fires(&SnsSqsPolicyExternalAccess, &record(SQS, "AddPermission", ROLE, own_permission, "")));
        let own_topic = r#"{"topicArn":"t","label":"x","aWSAccountId":["111122223333"],"actionName":["Publish"]}"#;
        assert!(!fires(&SnsSqsPolicyExternalAccess, &record(SNS, "AddPermission", ROLE, own_topic, "")));
        let foreign_topic = r#"{"topicArn":"t","label":"x","aWSAccountId":["444455556666"],"actionName":["Publish"]}"#;
        assert!(!fires(&SnsSqsPolicyExternalAccess, &failed(SNS, "AddPermission", ROLE, foreign_topic, "AuthorizationError")));
        let queue = format!(r#"{{"queueUrl":"q","attributes":{{"Policy":{}}}}}"#, policy(PUBLIC));
        assert!(!fires(&SnsSqsPolicyExternalAccess, &failed(SQS, "SetQueueAttributes", ROLE, &queue, "AccessDenied")));
        assert!(!fires(&SnsSqsPolicyExternalAccess, &record(SQS, "SetQueueAttributes", ROLE, r#"{"queueUrl":"q","attributes":{"VisibilityTimeout":"30"}}"#, "")));
    }
}
