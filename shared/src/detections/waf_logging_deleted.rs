//! WAF logging removed from a web ACL (`DeleteLoggingConfiguration` on WAFv2 or
//! classic WAF), or kept but told to drop every request (WAFv2
//! `PutLoggingConfiguration` whose `loggingFilter` drops by default and keeps
//! nothing, or drops every action in a filter before any filter keeps),
//! successfully. A filter that keeps some requests (the blocked ones,
//! a common way to save cost) does not fire. The delivery stream a WAF log goes to
//! deleted (`DeleteDeliveryStream` of Firehose on a stream named `aws-waf-logs-*`,
//! the prefix WAF requires of its streams) breaks the logging just as well, from an
//! evasion review: the name is an exact sign.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    pascal_or_camel, succeeded_call, succeeded_waf_call, text_is, waf_evidence, waf_triggers,
};
use crate::event::Record;

pub struct WafLoggingDeleted;

const NAMES: &[&str] = &["DeleteLoggingConfiguration"];
const WAFV2: &str = "wafv2.amazonaws.com";
const PUT: &str = "PutLoggingConfiguration";
const FIREHOSE: &str = "firehose.amazonaws.com";
const FIREHOSE_DELETE: &str = "DeleteDeliveryStream";
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
    ],
    next_steps: "Check whether logging was put back (PutLoggingConfiguration) shortly after. If \
                 not, restore it, and review the ACL's protected applications and the caller's \
                 activity since.",
    triggers: &Trigger::joined::<3, 2, 5>(
        waf_triggers(NAMES),
        [Trigger::write(WAFV2, &[PUT]), Trigger::write(FIREHOSE, &[FIREHOSE_DELETE])],
    ),
    window: None,
};

impl Detection for WafLoggingDeleted {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if succeeded_call(rec, FIREHOSE, &[FIREHOSE_DELETE]) {
            let stream = rec.request_param_str("deliveryStreamName")?.trim();
            let waf = stream
                .get(..WAF_STREAM_PREFIX.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(WAF_STREAM_PREFIX));
            return waf.then(|| Signal::Fire(waf_evidence(rec).with("delivery_stream", stream)));
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

/// Every action a WAF log record can carry (`actionCondition`).
const ACTIONS: [&str; 6] = ["ALLOW", "BLOCK", "COUNT", "CAPTCHA", "CHALLENGE", "EXCLUDED_AS_COUNT"];

/// A logging configuration whose filter drops every request: filters apply in
/// order, the first that matches decides, and the default decides for the rest.
/// So it drops everything when a `DROP` filter that matches any of every action
/// comes before any `KEEP` filter that can match, or the default is `DROP` and
/// nothing that can match keeps. A `KEEP` filter that needs a request to carry two
/// different actions at once (`MEETS_ALL` of `ALLOW` and `BLOCK`) keeps nothing: a
/// log record has one action.
fn drops_everything(config: &serde_json::Value) -> bool {
    let Some(filter) = pascal_or_camel(config, "LoggingFilter") else {
        return false;
    };
    let filters: Vec<&serde_json::Value> = pascal_or_camel(filter, "Filters")
        .and_then(|f| f.as_array())
        .into_iter()
        .flatten()
        .collect();
    for f in &filters {
        if text_is(pascal_or_camel(f, "Behavior"), "KEEP") && !needs_two_actions(f) {
            return false;
        }
        if text_is(pascal_or_camel(f, "Behavior"), "DROP")
            && text_is(pascal_or_camel(f, "Requirement"), "MEETS_ANY")
            && covers_every_action(f)
        {
            return true;
        }
    }
    text_is(pascal_or_camel(filter, "DefaultBehavior"), "DROP")
}

/// The actions a filter's conditions name (`actionCondition.action`).
fn actions_named(filter: &serde_json::Value) -> Vec<&str> {
    pascal_or_camel(filter, "Conditions")
        .and_then(|c| c.as_array())
        .into_iter()
        .flatten()
        .filter_map(|c| pascal_or_camel(c, "ActionCondition"))
        .filter_map(|a| pascal_or_camel(a, "Action"))
        .filter_map(|a| a.as_str())
        .map(str::trim)
        .collect()
}

/// A filter whose conditions name every action of [`ACTIONS`].
fn covers_every_action(filter: &serde_json::Value) -> bool {
    let named = actions_named(filter);
    ACTIONS
        .iter()
        .all(|a| named.iter().any(|n| n.eq_ignore_ascii_case(a)))
}

/// A `MEETS_ALL` filter naming two different actions: no request carries both.
fn needs_two_actions(filter: &serde_json::Value) -> bool {
    let named = actions_named(filter);
    text_is(pascal_or_camel(filter, "Requirement"), "MEETS_ALL")
        && named.iter().any(|a| named.iter().any(|b| !a.eq_ignore_ascii_case(b)))
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
