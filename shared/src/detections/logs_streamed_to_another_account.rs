//! Logs or events streamed to another account, successfully: a CloudWatch Logs
//! subscription filter whose destination is in another account
//! (`PutSubscriptionFilter`, or the account-wide filter of `PutAccountPolicy` with
//! policy type `SUBSCRIPTION_FILTER_POLICY`), a CloudWatch Logs delivery of a
//! service's vended logs to another account's delivery destination
//! (`CreateDelivery`, from a review), an EventBridge rule given a target in
//! another account (`PutTargets`), or, after an evasion review, an SNS topic
//! subscribed to another account's queue, function or stream (`Subscribe`
//! whose `endpoint` is an ARN of another account: every message is copied out).
//!
//! Decisions: logs hold secrets, tokens and personal data, and events describe every
//! change as it happens; a copy flowing to an account the attacker controls is
//! exfiltration that keeps going by itself. The destination counts when its ARN
//! names an account other than the event's own (an ARN without an account, such as
//! a service's, does not). Central log and security accounts of the organisation
//! receive such streams on purpose, and are named in the false positives, as is
//! trailwatch's own forwarder (`deploy/forwarder.yaml`). Changes AWS services make
//! on their own are left out; a stack's change counts. Targets EventBridge refused
//! (listed in the response's `failedEntries`) were not added and do not count.
//! Left out (a stated limit, from a review): streams that leave AWS from the own
//! account, an EventBridge API destination (`api-destination/` target, whose
//! endpoint `CreateApiDestination` names) or a Firehose stream with an HTTP
//! endpoint; their ARNs name the own account.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{arn_account, aws_service_caller_but_stack, foreign_arn_account, other_accounts, policy_document, request_text_any, succeeded_call, text_is, texts_at_key};
use crate::event::Record;

pub struct LogsStreamedToAnotherAccount;

const LOGS: &str = "logs.amazonaws.com";
const EVENTS: &str = "events.amazonaws.com";
const LOGS_CALLS: &[&str] = &["CreateDelivery", "PutAccountPolicy", "PutSubscriptionFilter"];
const EVENTS_CALLS: &[&str] = &["PutTargets"];
const SNS: &str = "sns.amazonaws.com";
const SNS_CALLS: &[&str] = &["Subscribe"];

pub static META: Meta = Meta {
    id: "logs-streamed-to-another-account",
    title: "AWS Logs or Events Streamed to Another Account",
    description: "A CloudWatch Logs subscription filter, an EventBridge rule's target or an \
                  SNS topic's subscription now sends this account's logs, events or messages to \
                  a destination in another AWS account. Whatever the logs and events carry (tokens, personal data, every \
                  change made) flows out continuously until someone notices.",
    severity: Severity::Medium,
    attack: &["T1537", "T1020"],
    origins: &[
        "trailwatch: from a red-team gap hunt (log delivery and event-bus targets pointed at \
         another account)",
    ],
    group: "resource-sharing",
    false_positives: &[
        "The organisation's central logging or security account: tune by that account.",
        "trailwatch's own forwarder rules, which send CloudTrail events to the central \
         account's event bus.",
    ],
    next_steps: "Identify the receiving account. If it is not the organisation's, remove the \
                 filter or target, and judge what was sent since: rotate secrets that appear \
                 in the streamed logs.",
    triggers: &[
        Trigger::write(LOGS, LOGS_CALLS),
        Trigger::write(EVENTS, EVENTS_CALLS),
        Trigger::write(SNS, SNS_CALLS),
    ],
    window: None,
};

/// The destinations the request names: a filter's `destinationArn`, an account
/// policy's `DestinationArn` (inside its document), or each target's `arn`.
fn destinations<'r>(rec: &'r Record<'_>) -> Vec<std::borrow::Cow<'r, str>> {
    use std::borrow::Cow;
    match rec.event_name() {
        "PutSubscriptionFilter" => rec.request_param_str("destinationArn").map(Cow::Borrowed).into_iter().collect(),
        "CreateDelivery" => rec.request_param_str("deliveryDestinationArn").map(Cow::Borrowed).into_iter().collect(),
        "Subscribe" => rec.request_param_str("endpoint").map(Cow::Borrowed).into_iter().collect(),
        "PutAccountPolicy" => {
            if !text_is(rec.request_param("policyType"), "SUBSCRIPTION_FILTER_POLICY") {
                return Vec::new();
            }
            let Some(doc) = rec.request_param("policyDocument").and_then(policy_document) else {
                return Vec::new();
            };
            texts_at_key(&doc, "DestinationArn").into_iter().map(|d| Cow::Owned(d.to_owned())).collect()
        }
        _ => {
            // Targets EventBridge refused (`failedEntries`) were not added.
            let failed: Vec<&str> = rec
                .response_element("failedEntries")
                .and_then(|f| f.as_array())
                .into_iter()
                .flatten()
                .filter_map(|f| f.get("targetId")?.as_str())
                .collect();
            rec.request_param("targets")
                .and_then(|t| t.as_array())
                .into_iter()
                .flatten()
                .filter(|t| !t.get("id").and_then(|i| i.as_str()).is_some_and(|id| failed.contains(&id)))
                .filter_map(|t| t.get("arn").or_else(|| t.get("Arn"))?.as_str())
                .map(Cow::Borrowed)
                .collect()
        }
    }
}

impl Detection for LogsStreamedToAnotherAccount {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !(succeeded_call(rec, LOGS, LOGS_CALLS)
            || succeeded_call(rec, EVENTS, EVENTS_CALLS)
            || succeeded_call(rec, SNS, SNS_CALLS))
            || aws_service_caller_but_stack(rec)
        {
            return None;
        }
        let own = rec.account_id();
        let foreign: Vec<String> = destinations(rec)
            .into_iter()
            .map(|d| d.trim().to_owned())
            .filter(|d| foreign_arn_account(rec, d).is_some())
            .collect();
        if foreign.is_empty() {
            return None;
        }
        let accounts: Vec<String> = other_accounts(foreign.iter().filter_map(|d| arn_account(d)), own)
            .into_iter()
            .map(str::to_owned)
            .collect();
        let source = request_text_any(rec, &["logGroupName", "policyName", "rule", "deliverySourceName", "topicArn"]);
        fire(
            Evidence::new()
                .with("api", rec.event_name())
                .with_opt("source", source)
                .with("destinations", foreign)
                .with("other_accounts", accounts),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::{eval, fires};

    const FOREIGN: &str = "arn:aws:logs:us-east-1:444455556666:destination:collector";
    const OWN: &str = "arn:aws:firehose:us-east-1:111122223333:deliverystream/to-siem";

    /// From an evasion review: a topic subscribed to another account's queue.
    #[test]
    fn a_topic_subscribed_to_another_accounts_endpoint_fires() {
        let subscribe = |endpoint: &str, protocol: &str| {
            record(SNS, "Subscribe", ROLE, &format!(r#"{{"topicArn":"arn:aws:sns:us-east-1:111122223333:orders","protocol":"{protocol}","endpoint":"{endpoint}","returnSubscriptionArn":true}}"#), "")
        };
        assert!(fires(&LogsStreamedToAnotherAccount, &subscribe("arn:aws:sqs:us-east-1:999988887777:collector", "sqs")));
        assert!(fires(&LogsStreamedToAnotherAccount, &subscribe("arn:aws:lambda:us-east-1:999988887777:function:copy", "lambda")));
        assert!(!fires(&LogsStreamedToAnotherAccount, &subscribe("arn:aws:sqs:us-east-1:111122223333:workers", "sqs")));
        assert!(!fires(&LogsStreamedToAnotherAccount, &subscribe("ops@example.com", "email")));
        assert!(!fires(&LogsStreamedToAnotherAccount, &subscribe("https://hooks.example.com/x", "https")));
    }

    /// From a review: vended logs delivered to another account's destination.
    #[test]
    fn a_delivery_to_another_accounts_destination_fires() {
        let delivery = |dest: &str| {
            record(LOGS, "CreateDelivery", ROLE, &format!(r#"{{"deliverySourceName":"cf-access-logs","deliveryDestinationArn":"{dest}"}}"#), "")
        };
        match eval(&LogsStreamedToAnotherAccount, &delivery("arn:aws:logs:us-east-1:444455556666:delivery-destination:drop")) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("other_accounts"), Some(&serde_json::json!(["444455556666"])));
                assert_eq!(e.get("source").and_then(|v| v.as_str()), Some("cf-access-logs"));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(!fires(&LogsStreamedToAnotherAccount, &delivery("arn:aws:logs:us-east-1:111122223333:delivery-destination:central")));
    }

    fn filter(dest: &str) -> String {
        format!(r#"{{"logGroupName":"/aws/lambda/payments","filterName":"all","filterPattern":"","destinationArn":"{dest}"}}"#)
    }

    fn account_policy(dest: &str) -> String {
        let doc = format!(r#"{{"DestinationArn":"{dest}","FilterPattern":"","Distribution":"Random"}}"#);
        format!(
            r#"{{"policyName":"everything","policyType":"SUBSCRIPTION_FILTER_POLICY","scope":"ALL","policyDocument":{}}}"#,
            serde_json::to_string(&doc).unwrap()
        )
    }

    fn targets(arns: &[&str]) -> String {
        let t: Vec<String> = arns.iter().enumerate().map(|(i, a)| format!(r#"{{"id":"t{i}","arn":"{a}"}}"#)).collect();
        format!(r#"{{"rule":"all-changes","eventBusName":"default","targets":[{}]}}"#, t.join(","))
    }

    #[test]
    fn a_stream_to_another_account_fires() {
        match eval(&LogsStreamedToAnotherAccount, &record(LOGS, "PutSubscriptionFilter", ROLE, &filter(FOREIGN), "")) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("other_accounts"), Some(&serde_json::json!(["444455556666"])));
                assert_eq!(e.get("source").and_then(|v| v.as_str()), Some("/aws/lambda/payments"));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(fires(&LogsStreamedToAnotherAccount, &record(LOGS, "PutAccountPolicy", ROLE, &account_policy(FOREIGN), "")));
        let bus = "arn:aws:events:us-east-1:444455556666:event-bus/default";
        match eval(&LogsStreamedToAnotherAccount, &record(EVENTS, "PutTargets", ROLE, &targets(&[OWN, bus]), "")) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("destinations"), Some(&serde_json::json!([bus]))),
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn own_destinations_other_policies_services_and_failures_do_not() {
        assert!(!fires(&LogsStreamedToAnotherAccount, &record(LOGS, "PutSubscriptionFilter", ROLE, &filter(OWN), "")));
        assert!(!fires(&LogsStreamedToAnotherAccount, &record(LOGS, "PutAccountPolicy", ROLE, &account_policy(OWN), "")));
        let protection = account_policy(FOREIGN).replace("SUBSCRIPTION_FILTER_POLICY", "DATA_PROTECTION_POLICY");
        assert!(!fires(&LogsStreamedToAnotherAccount, &record(LOGS, "PutAccountPolicy", ROLE, &protection, "")));
        assert!(!fires(&LogsStreamedToAnotherAccount, &record(EVENTS, "PutTargets", ROLE, &targets(&[OWN, "arn:aws:sns:us-east-1:111122223333:alerts"]), "")));
        assert!(!fires(&LogsStreamedToAnotherAccount, &record(EVENTS, "PutTargets", ROLE, r#"{"rule":"r","targets":null}"#, "")));
        let refused = record(EVENTS, "PutTargets", ROLE, &targets(&["arn:aws:events:us-east-1:444455556666:event-bus/default"]), "").replace(
            r#""responseElements":null"#,
            r#""responseElements":{"failedEntryCount":1,"failedEntries":[{"targetId":"t0","errorCode":"ValidationException"}]}"#,
        );
        assert!(!fires(&LogsStreamedToAnotherAccount, &refused));
        assert!(!fires(&LogsStreamedToAnotherAccount, &record(LOGS, "PutSubscriptionFilter", SERVICE, &filter(FOREIGN), "")));
        assert!(!fires(&LogsStreamedToAnotherAccount, &failed(LOGS, "PutSubscriptionFilter", ROLE, &filter(FOREIGN), "AccessDeniedException")));
        assert!(!fires(&LogsStreamedToAnotherAccount, &record(LOGS, "DeleteSubscriptionFilter", ROLE, &filter(FOREIGN), "")));
    }
}
