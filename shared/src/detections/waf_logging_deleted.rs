//! WAF logging removed from a web ACL (`DeleteLoggingConfiguration` on WAFv2 or
//! classic WAF), successfully.

use crate::detection::{Detection, Meta, Severity, Signal, fire};
use crate::detections::common::{succeeded_waf_call, waf_evidence, waf_triggers};
use crate::event::Record;

pub struct WafLoggingDeleted;

const NAMES: &[&str] = &["DeleteLoggingConfiguration"];

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
    triggers: &waf_triggers(NAMES),
    window: None,
};

impl Detection for WafLoggingDeleted {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_waf_call(rec, NAMES) {
            return None;
        }
        fire(waf_evidence(rec))
    }
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
}
