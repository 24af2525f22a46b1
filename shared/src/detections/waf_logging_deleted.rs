//! WAF logging removed from a web ACL (`DeleteLoggingConfiguration` on WAFv2 or
//! classic WAF), or kept but told to drop every request (WAFv2
//! `PutLoggingConfiguration` whose `loggingFilter` drops by default and keeps
//! nothing), successfully. A filter that keeps some requests (the blocked ones,
//! a common way to save cost) does not fire.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    pascal_or_camel, succeeded_call, succeeded_waf_call, text_is, waf_evidence, waf_triggers,
};
use crate::event::Record;

pub struct WafLoggingDeleted;

const NAMES: &[&str] = &["DeleteLoggingConfiguration"];
const WAFV2: &str = "wafv2.amazonaws.com";
const PUT: &str = "PutLoggingConfiguration";

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
    group: "logging-tamper",
    false_positives: &[
        "Infrastructure-as-code changing the log destination (delete then put), or a web ACL \
         being retired.",
    ],
    next_steps: "Check whether logging was put back (PutLoggingConfiguration) shortly after. If \
                 not, restore it, and review the ACL's protected applications and the caller's \
                 activity since.",
    triggers: &Trigger::joined::<3, 1, 4>(waf_triggers(NAMES), [Trigger::write(WAFV2, &[PUT])]),
    window: None,
};

impl Detection for WafLoggingDeleted {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
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

/// A logging configuration whose filter drops by default and has no filter that
/// keeps.
fn drops_everything(config: &serde_json::Value) -> bool {
    let Some(filter) = pascal_or_camel(config, "LoggingFilter") else {
        return false;
    };
    let keeps = pascal_or_camel(filter, "Filters")
        .and_then(|f| f.as_array())
        .into_iter()
        .flatten()
        .any(|f| text_is(pascal_or_camel(f, "Behavior"), "KEEP"));
    text_is(pascal_or_camel(filter, "DefaultBehavior"), "DROP") && !keeps
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
        for quiet in [
            "",
            r#","loggingFilter":{"defaultBehavior":"KEEP","filters":[]}"#,
            r#","loggingFilter":{"defaultBehavior":"DROP","filters":[{"behavior":"KEEP","requirement":"MEETS_ANY","conditions":[{"actionCondition":{"action":"BLOCK"}}]}]}"#,
        ] {
            assert!(!fires(&WafLoggingDeleted, &put(quiet)), "{quiet}");
        }
    }
}
