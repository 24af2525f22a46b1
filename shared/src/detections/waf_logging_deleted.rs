//! WAF logging removed from a web ACL (`DeleteLoggingConfiguration` on WAFv2 or
//! classic WAF), or kept but told to drop every request (WAFv2
//! `PutLoggingConfiguration` whose `loggingFilter` drops every allowed and
//! blocked request, whatever its count actions: see `drops_everything`),
//! successfully. A filter that keeps some requests (the blocked ones,
//! a common way to save cost) does not fire. The delivery stream a WAF log goes to
//! deleted (`DeleteDeliveryStream` of Firehose on a stream named `aws-waf-logs-*`,
//! the prefix WAF requires of its streams) breaks the logging just as well, from an
//! evasion review: the name is an exact sign. Such a stream's destination
//! updated with a bucket named (`UpdateDestination` with a `bucketARN`, from a
//! later one: sent elsewhere, the logs land where the intruder reads or deletes
//! them), or with another kind of destination (an HTTP endpoint, Splunk, a search
//! domain, a warehouse: from a third review), is reported at low severity only: the console and tools resend the
//! unchanged bucket with every edit, and the record does not say what it was.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    pascal_or_camel, succeeded_call, succeeded_waf_call, text_is, values_at_key, waf_evidence, waf_triggers,
};
use crate::event::Record;

pub struct WafLoggingDeleted;

const NAMES: &[&str] = &["DeleteLoggingConfiguration"];
const WAFV2: &str = "wafv2.amazonaws.com";
const PUT: &str = "PutLoggingConfiguration";
const FIREHOSE: &str = "firehose.amazonaws.com";
const FIREHOSE_DELETE: &str = "DeleteDeliveryStream";
const FIREHOSE_UPDATE: &str = "UpdateDestination";
/// The update blocks of `UpdateDestination` that send a stream somewhere other than
/// S3.
const OTHER_DESTINATIONS: [&str; 8] = [
    "httpEndpointDestinationUpdate",
    "splunkDestinationUpdate",
    "amazonopensearchserviceDestinationUpdate",
    "amazonOpenSearchServerlessDestinationUpdate",
    "elasticsearchDestinationUpdate",
    "redshiftDestinationUpdate",
    "snowflakeDestinationUpdate",
    "icebergDestinationUpdate",
];
/// The prefix WAF requires of the Firehose streams it logs to.
const WAF_STREAM_PREFIX: &str = "aws-waf-logs-";

pub static META: Meta = Meta {
    id: "waf-logging-deleted",
    title: "AWS WAF Logging Deleted",
    description: "Logging of a WAF web ACL was switched off. The WAF log is the record of the \
                  web requests the ACL allowed and blocked; without it, probing, injection \
                  attempts and the requests of a successful attack are no longer kept.",
    severity: Severity::Medium,
    attack: &["T1562.008"],
    origins: &["Splunk ESCU detections/cloud/aws_defense_evasion_impair_security_services.yml \
              (its DeleteLoggingConfiguration part)"],
    group: "monitoring-tamper",
    false_positives: &[
        "Infrastructure-as-code changing the log destination (delete then put), or a web ACL \
         being retired.",
        "Edits of a WAF log stream's settings that resend its bucket (low: compare the \
         bucket in the evidence with the one the stream should use).",
    ],
    next_steps: "Check whether logging was put back (PutLoggingConfiguration) shortly after. If \
                 not, restore it, and review the ACL's protected applications and the caller's \
                 activity since.",
    evidence: "action api delivery_stream drops_every_request id name new_bucket new_destination \
        resource_arn scope",
    triggers: &Trigger::joined::<3, 2, 5>(
        waf_triggers(NAMES),
        [Trigger::write(WAFV2, &[PUT]), Trigger::write(FIREHOSE, &[FIREHOSE_DELETE, FIREHOSE_UPDATE])],
    ),
    window: None,
};

impl Detection for WafLoggingDeleted {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn severity_for(&self, rec: &Record<'_>) -> Severity {
        if rec.event_source() == FIREHOSE && rec.event_name() == FIREHOSE_UPDATE {
            Severity::Low
        } else {
            META.severity
        }
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if succeeded_call(rec, FIREHOSE, &[FIREHOSE_DELETE, FIREHOSE_UPDATE]) {
            let stream = rec.request_param_str("deliveryStreamName")?.trim();
            let waf = stream
                .get(..WAF_STREAM_PREFIX.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(WAF_STREAM_PREFIX));
            if !waf {
                return None;
            }
            let e = waf_evidence(rec).with("delivery_stream", stream);
            if rec.event_name() == FIREHOSE_UPDATE {
                let params = rec.request_parameters()?;
                // Sent to another destination kind (an HTTP endpoint, Splunk, a
                // search domain...): its update block is enough, since its address
                // may be hidden in the record (from an evasion review).
                if let Some(kind) = OTHER_DESTINATIONS.iter().find(|k| params.get(**k).is_some_and(|v| !v.is_null())) {
                    return fire(e.with("new_destination", *kind));
                }
                // Sent to another bucket: buffering and prefix edits name none.
                let bucket = values_at_key(params, "bucketARN")
                    .into_iter()
                    .find_map(|b| b.as_str())?;
                return fire(e.with("new_bucket", bucket));
            }
            return fire(e);
        }
        if succeeded_call(rec, WAFV2, &[PUT]) {
            let config = rec.request_param("loggingConfiguration")?;
            return drops_everything(config).then(|| {
                Signal::Fire(waf_evidence(rec).with_opt(
                    "resource_arn",
                    pascal_or_camel(config, "ResourceArn").and_then(|v| v.as_str()),
                ).with("drops_every_request", true))
            });
        }
        if !succeeded_waf_call(rec, NAMES) {
            return None;
        }
        fire(waf_evidence(rec))
    }
}

/// The terminating actions that carry a web ACL's traffic: every request ends
/// allowed or blocked (CAPTCHA and challenge actions end few, and only on ACLs
/// with such rules, which the record does not show).
const TERMINATING: [&str; 2] = ["ALLOW", "BLOCK"];

/// The non-terminating actions a request may also carry, in any combination.
const NON_TERMINATING: [&str; 2] = ["COUNT", "EXCLUDED_AS_COUNT"];

/// Whether a filter condition holds for a request: surely, or perhaps (a label
/// condition, whose labels the record does not show, or a condition not known).
#[derive(Clone, Copy, PartialEq)]
enum Holds {
    Surely,
    Perhaps,
    Never,
}

/// How a filter's condition fares on a request whose actions are `actions`.
fn condition_holds(condition: &serde_json::Value, actions: &[&str]) -> Holds {
    match pascal_or_camel(condition, "ActionCondition").and_then(|a| pascal_or_camel(a, "Action")) {
        Some(action) => match action.as_str() {
            Some(a) if actions.iter().any(|x| x.eq_ignore_ascii_case(a.trim())) => Holds::Surely,
            Some(_) => Holds::Never,
            None => Holds::Perhaps,
        },
        None => Holds::Perhaps,
    }
}

/// How a filter fares on a request whose actions are `actions`: its conditions
/// combined by its requirement (`MEETS_ANY` or `MEETS_ALL`).
fn filter_holds(filter: &serde_json::Value, actions: &[&str]) -> Holds {
    let conditions: Vec<Holds> = pascal_or_camel(filter, "Conditions")
        .and_then(|c| c.as_array())
        .into_iter()
        .flatten()
        .map(|c| condition_holds(c, actions))
        .collect();
    if conditions.is_empty() {
        return Holds::Perhaps;
    }
    let all = text_is(pascal_or_camel(filter, "Requirement"), "MEETS_ALL");
    let (sure, never) = if all {
        (conditions.iter().all(|h| *h == Holds::Surely), conditions.contains(&Holds::Never))
    } else {
        (conditions.contains(&Holds::Surely), conditions.iter().all(|h| *h == Holds::Never))
    };
    if sure {
        Holds::Surely
    } else if never {
        Holds::Never
    } else {
        Holds::Perhaps
    }
}

/// A logging configuration whose filter drops every request: filters apply in
/// order, the first that matches decides, and the default decides for the rest.
/// Each kind of request (allowed or blocked, with or without count actions) is
/// followed through the filters: a `KEEP` that may match it keeps some traffic; a
/// `DROP` that surely matches drops it; the default decides the rest. It drops
/// everything when every kind is surely dropped (from reviews: one `DROP` filter
/// per action, or one for `ALLOW` and `BLOCK`, drops as surely as a filter
/// naming all six; a `KEEP` needing two terminating actions at once keeps nothing).
fn drops_everything(config: &serde_json::Value) -> bool {
    let Some(filter) = pascal_or_camel(config, "LoggingFilter") else {
        return false;
    };
    let filters: Vec<&serde_json::Value> = pascal_or_camel(filter, "Filters")
        .and_then(|f| f.as_array())
        .into_iter()
        .flatten()
        .collect();
    let default_drops = text_is(pascal_or_camel(filter, "DefaultBehavior"), "DROP");
    let dropped = |actions: &[&str]| {
        for f in &filters {
            let keep = text_is(pascal_or_camel(f, "Behavior"), "KEEP");
            match filter_holds(f, actions) {
                Holds::Never => {}
                _ if keep => return false,
                Holds::Surely => return true,
                Holds::Perhaps => {}
            }
        }
        default_drops
    };
    TERMINATING.iter().all(|t| {
        (0..1 << NON_TERMINATING.len()).all(|mask: usize| {
            let mut actions = vec![*t];
            actions.extend(NON_TERMINATING.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, a)| *a));
            dropped(&actions)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::calls::{call, failed};
    use crate::detections::common::testing::{eval, fires};
    use std::sync::LazyLock;

    static DELETE: LazyLock<String> =
        LazyLock::new(|| call("wafv2.amazonaws.com", "DeleteLoggingConfiguration", r#"{"resourceArn":"arn:aws:wafv2:us-east-1:111122223333:regional/webacl/shop-acl/a1b2"}"#));

    #[test]
    fn fires_with_the_web_acl() {
        match eval(&WafLoggingDeleted, &DELETE) {
            Some(Signal::Fire(e)) => assert_eq!(
                e.get("resource_arn").and_then(|v| v.as_str()),
                Some("arn:aws:wafv2:us-east-1:111122223333:regional/webacl/shop-acl/a1b2")
            ),
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(fires(
            &WafLoggingDeleted,
            &DELETE.replace("wafv2.amazonaws.com", "waf-regional.amazonaws.com")
        ));
    }

    /// From an evasion review: a WAF log stream sent to another bucket (low).
    #[test]
    fn a_waf_log_stream_redirected_fires_other_edits_do_not() {
        let update = |stream: &str, dest: &str| {
            call(FIREHOSE, FIREHOSE_UPDATE, &format!(r#"{{"deliveryStreamName":"{stream}","currentDeliveryStreamVersionId":"3","destinationId":"destinationId-000000000001","extendedS3DestinationUpdate":{dest}}}"#))
        };
        let moved = r#"{"bucketARN":"arn:aws:s3:::exfil-bucket-829","prefix":"waf/"}"#;
        assert!(fires(&WafLoggingDeleted, &update("aws-waf-logs-shop", moved)));
        let text = update("aws-waf-logs-shop", moved);
        let parsed = crate::event::Record::from_json(&text).unwrap();
        assert_eq!(WafLoggingDeleted.severity_for(&parsed), Severity::Low);
        assert!(!fires(&WafLoggingDeleted, &update("clickstream", moved)));
        let buffering = r#"{"bufferingHints":{"sizeInMBs":64,"intervalInSeconds":300}}"#;
        assert!(!fires(&WafLoggingDeleted, &update("aws-waf-logs-shop", buffering)));
        // Another kind of destination: its update block says so.
        let endpoint = update("aws-waf-logs-shop", buffering).replace(
            r#""extendedS3DestinationUpdate""#,
            r#""httpEndpointDestinationUpdate":{"endpointConfiguration":{"url":"HIDDEN_DUE_TO_SECURITY_REASONS"}},"s3""#,
        );
        assert_eq!(
            crate::detections::common::testing::fired_evidence(&WafLoggingDeleted, &endpoint).get("new_destination"),
            Some(&serde_json::json!("httpEndpointDestinationUpdate"))
        );
    }

    /// From an evasion review: the stream WAF logs to, deleted.
    #[test]
    fn a_waf_log_stream_deleted_fires_other_streams_do_not() {
        let delete = |name: &str| call("firehose.amazonaws.com", "DeleteDeliveryStream", &format!(r#"{{"deliveryStreamName":"{name}"}}"#));
        match eval(&WafLoggingDeleted, &delete("aws-waf-logs-prod-alb")) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("delivery_stream").and_then(|v| v.as_str()), Some("aws-waf-logs-prod-alb")),
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(!fires(&WafLoggingDeleted, &delete("clickstream-to-s3")));
        assert!(!fires(&WafLoggingDeleted, &failed(&delete("aws-waf-logs-prod-alb"), "ResourceNotFoundException")));
    }

    #[test]
    fn ignores_failures_and_other_services() {
        let denied = failed(&DELETE, "WAFNonexistentItemException");
        assert!(!fires(&WafLoggingDeleted, &denied));
        assert!(!fires(
            &WafLoggingDeleted,
            &DELETE.replace("DeleteLoggingConfiguration", "PutLoggingConfiguration")
        ));
        // Other services have a DeleteLoggingConfiguration too (e.g. network firewall).
        assert!(!fires(
            &WafLoggingDeleted,
            &DELETE.replace("wafv2.amazonaws.com", "network-firewall.amazonaws.com")
        ));
    }

    /// From a review: logging kept on but dropping every request.
    #[test]
    fn a_filter_that_drops_everything_counts() {
        let put = |filter: &str| {
            call(WAFV2, PUT, &format!(r#"{{"loggingConfiguration":{{"resourceArn":"arn:aws:wafv2:us-east-1:111122223333:regional/webacl/shop-acl/a1b2","logDestinationConfigs":["arn:aws:firehose:us-east-1:111122223333:deliverystream/aws-waf-logs-shop"]{filter}}}}}"#))
        };
        let drop_all = put(r#","loggingFilter":{"defaultBehavior":"DROP","filters":[{"behavior":"DROP","requirement":"MEETS_ANY","conditions":[{"actionCondition":{"action":"ALLOW"}}]}]}"#);
        match eval(&WafLoggingDeleted, &drop_all) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("drops_every_request"), Some(&serde_json::json!(true))),
            other => panic!("expected a finding, got {other:?}"),
        }
        // Every action dropped by a filter, whatever the default or a later keep.
        let every = r#"[{"actionCondition":{"action":"ALLOW"}},{"actionCondition":{"action":"BLOCK"}},{"actionCondition":{"action":"COUNT"}},{"actionCondition":{"action":"CAPTCHA"}},{"actionCondition":{"action":"CHALLENGE"}},{"actionCondition":{"action":"EXCLUDED_AS_COUNT"}}]"#;
        let dropper = format!(r#"{{"behavior":"DROP","requirement":"MEETS_ANY","conditions":{every}}}"#);
        let keeper = r#"{"behavior":"KEEP","requirement":"MEETS_ANY","conditions":[{"actionCondition":{"action":"BLOCK"}}]}"#;
        assert!(fires(&WafLoggingDeleted, &put(&format!(r#","loggingFilter":{{"defaultBehavior":"KEEP","filters":[{dropper}]}}"#))));
        assert!(fires(&WafLoggingDeleted, &put(&format!(r#","loggingFilter":{{"defaultBehavior":"KEEP","filters":[{dropper},{keeper}]}}"#))));
        assert!(!fires(&WafLoggingDeleted, &put(&format!(r#","loggingFilter":{{"defaultBehavior":"KEEP","filters":[{keeper},{dropper}]}}"#))));
        // From a review: a KEEP needing two actions at once keeps nothing.
        let impossible = r#"{"behavior":"KEEP","requirement":"MEETS_ALL","conditions":[{"actionCondition":{"action":"ALLOW"}},{"actionCondition":{"action":"BLOCK"}}]}"#;
        assert!(fires(&WafLoggingDeleted, &put(&format!(r#","loggingFilter":{{"defaultBehavior":"DROP","filters":[{impossible}]}}"#))));
        assert!(fires(&WafLoggingDeleted, &put(&format!(r#","loggingFilter":{{"defaultBehavior":"KEEP","filters":[{impossible},{dropper}]}}"#))));
        // From an evasion review: the terminating actions dropped, in one filter
        // or one filter each; the default then keeps nothing that arrives.
        let terminating = r#"{"behavior":"DROP","requirement":"MEETS_ANY","conditions":[{"actionCondition":{"action":"ALLOW"}},{"actionCondition":{"action":"BLOCK"}},{"actionCondition":{"action":"CAPTCHA"}},{"actionCondition":{"action":"CHALLENGE"}}]}"#;
        assert!(fires(&WafLoggingDeleted, &put(&format!(r#","loggingFilter":{{"defaultBehavior":"KEEP","filters":[{terminating}]}}"#))));
        let one_each = ["ALLOW", "BLOCK"]
            .map(|a| format!(r#"{{"behavior":"DROP","requirement":"MEETS_ANY","conditions":[{{"actionCondition":{{"action":"{a}"}}}}]}}"#))
            .join(",");
        assert!(fires(&WafLoggingDeleted, &put(&format!(r#","loggingFilter":{{"defaultBehavior":"KEEP","filters":[{one_each}]}}"#))));
        // A count kept first, or a label filter that may keep, keeps some.
        let counted = r#"{"behavior":"KEEP","requirement":"MEETS_ANY","conditions":[{"actionCondition":{"action":"COUNT"}}]}"#;
        assert!(!fires(&WafLoggingDeleted, &put(&format!(r#","loggingFilter":{{"defaultBehavior":"KEEP","filters":[{counted},{one_each}]}}"#))));
        let labelled = r#"{"behavior":"KEEP","requirement":"MEETS_ANY","conditions":[{"labelNameCondition":{"labelName":"awswaf:managed:aws:core-rule-set:SizeRestrictions_Body"}}]}"#;
        assert!(!fires(&WafLoggingDeleted, &put(&format!(r#","loggingFilter":{{"defaultBehavior":"DROP","filters":[{labelled}]}}"#))));
        // Only allowed requests dropped: the blocked ones are kept.
        let allow_only = r#"{"behavior":"DROP","requirement":"MEETS_ANY","conditions":[{"actionCondition":{"action":"ALLOW"}}]}"#;
        assert!(!fires(&WafLoggingDeleted, &put(&format!(r#","loggingFilter":{{"defaultBehavior":"KEEP","filters":[{allow_only}]}}"#))));
        let both_block = impossible.replace("ALLOW", "BLOCK");
        assert!(!fires(&WafLoggingDeleted, &put(&format!(r#","loggingFilter":{{"defaultBehavior":"DROP","filters":[{both_block}]}}"#))));
        for quiet in [
            "",
            r#","loggingFilter":{"defaultBehavior":"KEEP","filters":[]}"#,
            r#","loggingFilter":{"defaultBehavior":"DROP","filters":[{"behavior":"KEEP","requirement":"MEETS_ANY","conditions":[{"actionCondition":{"action":"BLOCK"}}]}]}"#,
        ] {
            assert!(!fires(&WafLoggingDeleted, &put(quiet)), "{quiet}");
        }
    }
}
