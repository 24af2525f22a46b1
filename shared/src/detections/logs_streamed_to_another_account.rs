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
//!
//! From a later review, five more ways to the same end, each naming the other
//! account: a CloudWatch cross-account observability link to another account's
//! sink (`CreateLink` of `oam`: logs, metrics and traces shared from then on), VPC
//! flow logs delivered to another account's Firehose stream (`CreateFlowLogs`), a
//! Config aggregation authorised for another account (`PutAggregationAuthorization`:
//! the whole resource inventory), a Security Lake subscriber of another account
//! (`CreateSubscriber`), and a GuardDuty administrator invitation of another
//! account accepted (`AcceptAdministratorInvitation`, `AcceptInvitation`: every
//! finding goes to that administrator). Flow logs to a bucket of another account
//! are not seen: an S3 ARN names no account.
//!
//! From a third evasion review, GuardDuty's siblings: a Security Hub
//! administrator's invitation accepted (`AcceptAdministratorInvitation`,
//! `AcceptInvitation`), a Macie one (`AcceptInvitation`, `administratorAccountId`:
//! that account also runs sensitive-data discovery on this one's buckets), a
//! Detective behaviour graph of another account joined (`AcceptInvitation`,
//! `graphArn`), and a Config delivery channel that notifies another account's
//! topic of every configuration change (`PutDeliveryChannel`, `snsTopicARN`).

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    arn_account, aws_service_caller_but_stack, ec2_request, foreign_account, foreign_arn_account, is_account_id,
    other_accounts, pascal_or_camel, policy_document, request_text_any, succeeded_call, text_is, texts_at_key,
};
use crate::event::Record;

pub struct LogsStreamedToAnotherAccount;

const LOGS: &str = "logs.amazonaws.com";
const EVENTS: &str = "events.amazonaws.com";
const LOGS_CALLS: &[&str] = &["CreateDelivery", "PutAccountPolicy", "PutSubscriptionFilter"];
const EVENTS_CALLS: &[&str] = &["PutTargets"];
const SNS: &str = "sns.amazonaws.com";
const SNS_CALLS: &[&str] = &["Subscribe"];
/// The other services' calls that name another account (from a review), by source.
const OTHER_CALLS: &[(&str, &[&str])] = &[
    ("oam.amazonaws.com", &["CreateLink"]),
    ("ec2.amazonaws.com", &["CreateFlowLogs"]),
    ("config.amazonaws.com", &["PutAggregationAuthorization", "PutDeliveryChannel"]),
    ("securitylake.amazonaws.com", &["CreateSubscriber"]),
    ("guardduty.amazonaws.com", &["AcceptAdministratorInvitation", "AcceptInvitation"]),
    ("securityhub.amazonaws.com", &["AcceptAdministratorInvitation", "AcceptInvitation"]),
    ("macie2.amazonaws.com", &["AcceptInvitation"]),
    ("detective.amazonaws.com", &["AcceptInvitation"]),
];

pub static META: Meta = Meta {
    id: "logs-streamed-to-another-account",
    title: "AWS Logs, Events or Findings Streamed to Another Account",
    description: "A CloudWatch Logs subscription filter or delivery, an EventBridge rule's \
                  target, an SNS topic's subscription, an observability link, flow logs, a \
                  Config aggregation or delivery channel, a Security Lake subscriber, or a \
                  GuardDuty, Security Hub, Macie or Detective administrator now sends this account's logs, events, inventory or findings to another AWS \
                  account. Whatever the logs and events carry (tokens, personal data, every \
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
        "Organisation baselines authorising a central Config aggregator or linking every \
         account to a central observability sink (once per account and Region).",
        "trailwatch's own forwarder rules, which send CloudTrail events to the central \
         account's event bus.",
    ],
    next_steps: "Identify the receiving account. If it is not the organisation's, remove the \
                 filter or target, and judge what was sent since: rotate secrets that appear \
                 in the streamed logs.",
    evidence: "api destinations other_accounts source",
    triggers: &[
        Trigger::write(LOGS, LOGS_CALLS),
        Trigger::write(EVENTS, EVENTS_CALLS),
        Trigger::write(SNS, SNS_CALLS),
        Trigger::write(OTHER_CALLS[0].0, OTHER_CALLS[0].1),
        Trigger::write(OTHER_CALLS[1].0, OTHER_CALLS[1].1),
        Trigger::write(OTHER_CALLS[2].0, OTHER_CALLS[2].1),
        Trigger::write(OTHER_CALLS[3].0, OTHER_CALLS[3].1),
        Trigger::write(OTHER_CALLS[4].0, OTHER_CALLS[4].1),
        Trigger::write(OTHER_CALLS[5].0, OTHER_CALLS[5].1),
        Trigger::write(OTHER_CALLS[6].0, OTHER_CALLS[6].1),
        Trigger::write(OTHER_CALLS[7].0, OTHER_CALLS[7].1),
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
        // Destinations named by an ARN, or by the other account's id alone.
        "CreateLink" => request_text_any(rec, &["SinkIdentifier", "sinkIdentifier"]).map(Cow::Borrowed).into_iter().collect(),
        "CreateFlowLogs" => ec2_request(rec)
            .and_then(|r| pascal_or_camel(r, "LogDestination"))
            .and_then(|d| d.as_str())
            .map(Cow::Borrowed)
            .into_iter()
            .collect(),
        "PutAggregationAuthorization" => {
            request_text_any(rec, &["authorizedAccountId", "AuthorizedAccountId"]).map(Cow::Borrowed).into_iter().collect()
        }
        "CreateSubscriber" => rec
            .request_param("subscriberIdentity")
            .and_then(|i| pascal_or_camel(i, "Principal"))
            .and_then(|p| p.as_str())
            .map(Cow::Borrowed)
            .into_iter()
            .collect(),
        "AcceptAdministratorInvitation" | "AcceptInvitation" => request_text_any(
            rec,
            &["administratorId", "masterId", "administratorAccountId", "masterAccount", "graphArn"],
        )
        .map(Cow::Borrowed)
        .into_iter()
        .collect(),
        "PutDeliveryChannel" => rec
            .request_param("deliveryChannel")
            .and_then(|c| pascal_or_camel(c, "SnsTopicARN"))
            .and_then(|t| t.as_str())
            .map(Cow::Borrowed)
            .into_iter()
            .collect(),
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
            || succeeded_call(rec, SNS, SNS_CALLS)
            || OTHER_CALLS.iter().any(|(source, names)| succeeded_call(rec, source, names)))
            || aws_service_caller_but_stack(rec)
        {
            return None;
        }
        let own = rec.account_id();
        let foreign: Vec<String> = destinations(rec)
            .into_iter()
            .map(|d| d.trim().to_owned())
            .filter(|d| foreign_arn_account(rec, d).or_else(|| named_by_id(rec).then(|| foreign_account(rec, d)).flatten()).is_some())
            .collect();
        if foreign.is_empty() {
            return None;
        }
        let accounts: Vec<String> = other_accounts(foreign.iter().filter_map(|d| account_of(rec, d)), own)
            .into_iter()
            .map(str::to_owned)
            .collect();
        let source = request_text_any(
            rec,
            &["logGroupName", "policyName", "rule", "deliverySourceName", "topicArn", "subscriberName", "detectorId"],
        );
        fire(
            Evidence::new()
                .with("api", rec.event_name())
                .with_opt("source", source)
                .with("destinations", foreign)
                .with("other_accounts", accounts),
        )
    }
}

/// The calls whose destination is another account's id, not an ARN (an SNS
/// endpoint that happens to be twelve digits is a phone number, from a review).
fn named_by_id(rec: &Record<'_>) -> bool {
    matches!(
        rec.event_name(),
        "PutAggregationAuthorization" | "CreateSubscriber" | "AcceptAdministratorInvitation" | "AcceptInvitation"
    )
}

/// The account a destination names: its ARN's, or the destination itself when the
/// call names accounts by id.
fn account_of<'d>(rec: &Record<'_>, destination: &'d str) -> Option<&'d str> {
    arn_account(destination).or_else(|| (named_by_id(rec) && is_account_id(destination)).then_some(destination))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::{eval, fires};

    const FOREIGN: &str = "arn:aws:logs:us-east-1:444455556666:destination:collector";
    const OWN: &str = "arn:aws:firehose:us-east-1:111122223333:deliverystream/to-siem";

    /// A delivery channel notifying its own account's topic, or none, sends
    /// nothing out.
    #[test]
    fn a_delivery_channel_to_its_own_topic_does_not_fire() {
        for channel in [
            r#"{"deliveryChannel":{"name":"default","s3BucketName":"config-bucket","snsTopicARN":"arn:aws:sns:us-east-1:111122223333:config-changes"}}"#,
            r#"{"deliveryChannel":{"name":"default","s3BucketName":"config-bucket"}}"#,
        ] {
            let rec = record("config.amazonaws.com", "PutDeliveryChannel", ROLE, channel, "");
            assert!(!fires(&LogsStreamedToAnotherAccount, &rec), "{channel}");
        }
    }

    /// From a later review: links, flow logs, aggregation, Security Lake and
    /// GuardDuty administrators of another account.
    #[test]
    fn other_services_sending_to_another_account_fire() {
        let cases = [
            ("oam.amazonaws.com", "CreateLink", r#"{"SinkIdentifier":"arn:aws:oam:us-east-1:444455556666:sink/0a1b2c3d","ResourceTypes":["AWS::Logs::LogGroup"],"LabelTemplate":"$AccountName"}"#),
            ("ec2.amazonaws.com", "CreateFlowLogs", r#"{"CreateFlowLogsRequest":{"ResourceId":{"content":"vpc-0a1b","tag":1},"ResourceType":"VPC","TrafficType":"ALL","LogDestinationType":"kinesis-data-firehose","LogDestination":"arn:aws:firehose:us-east-1:444455556666:deliverystream/flows"}}"#),
            ("config.amazonaws.com", "PutAggregationAuthorization", r#"{"authorizedAccountId":"444455556666","authorizedAwsRegion":"us-east-1"}"#),
            ("securitylake.amazonaws.com", "CreateSubscriber", r#"{"subscriberName":"siem","subscriberIdentity":{"principal":"444455556666","externalId":"x"},"sources":[]}"#),
            ("guardduty.amazonaws.com", "AcceptAdministratorInvitation", r#"{"detectorId":"12abc34d567e8fa901bc2d34e56789f0","administratorId":"444455556666","invitationId":"84b097800250d17d1872b34c4daadcf5"}"#),
            // From a third evasion review: GuardDuty's siblings and Config's channel.
            ("securityhub.amazonaws.com", "AcceptAdministratorInvitation", r#"{"administratorId":"444455556666","invitationId":"84b0978"}"#),
            ("securityhub.amazonaws.com", "AcceptInvitation", r#"{"masterId":"444455556666","invitationId":"84b0978"}"#),
            ("macie2.amazonaws.com", "AcceptInvitation", r#"{"administratorAccountId":"444455556666","invitationId":"84b0978"}"#),
            ("detective.amazonaws.com", "AcceptInvitation", r#"{"graphArn":"arn:aws:detective:us-east-1:444455556666:graph:027c7c4610ea4aacaf0b883093cab899"}"#),
            ("config.amazonaws.com", "PutDeliveryChannel", r#"{"deliveryChannel":{"name":"default","s3BucketName":"config-bucket","snsTopicARN":"arn:aws:sns:us-east-1:444455556666:config-changes"}}"#),
        ];
        for (source, name, params) in cases {
            match eval(&LogsStreamedToAnotherAccount, &record(source, name, ROLE, params, "")) {
                Some(Signal::Fire(e)) => assert_eq!(e.get("other_accounts"), Some(&serde_json::json!(["444455556666"])), "{name}"),
                other => panic!("expected a finding for {name}, got {other:?}"),
            }
            let own = params.replace("444455556666", "111122223333");
            assert!(!fires(&LogsStreamedToAnotherAccount, &record(source, name, ROLE, &own, "")), "{name} to this account");
        }
        // A text message to a number of twelve digits is no account.
        let sms = record(SNS, "Subscribe", ROLE, r#"{"topicArn":"arn:aws:sns:us-east-1:111122223333:orders","protocol":"sms","endpoint":"447700900123"}"#, "");
        assert!(!fires(&LogsStreamedToAnotherAccount, &sms));
        let to_bucket = r#"{"CreateFlowLogsRequest":{"LogDestinationType":"s3","LogDestination":"arn:aws:s3:::central-flow-logs"}}"#;
        assert!(!fires(&LogsStreamedToAnotherAccount, &record("ec2.amazonaws.com", "CreateFlowLogs", ROLE, to_bucket, "")));
    }

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
