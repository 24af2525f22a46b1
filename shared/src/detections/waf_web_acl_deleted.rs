//! A WAF web ACL deleted (`DeleteWebACL` on WAFv2 or classic WAF), or taken off the
//! resource it protects (`DisassociateWebACL`: the load balancer, API or pool is left
//! with no rules at all, as if the ACL were gone; for CloudFront, whose
//! distributions WAFv2's call does not serve, CloudFront's own
//! `DisassociateDistributionWebACL` and `DisassociateDistributionTenantWebACL`), or
//! emptied (WAFv2 `UpdateWebACL`, which replaces the whole ACL, sent with no rules,
//! as an empty list or none at all, and a default action that allows: every request
//! passes), successfully. WAFv2 refuses to delete an ACL
//! still attached, so the detach or the emptying is the step that opens the
//! application; the deletion often never follows. Left out: an ACL whose rules are
//! all switched to count (`overrideAction` `count`), which passes everything too;
//! telling that from a rule group trialled in count mode needs the ACL's old rules;
//! and CloudFront's `UpdateDistribution` clearing `webACLId`, which every update of a
//! distribution that never had an ACL also sends (telling them apart needs the
//! distribution's previous state). A detach made by an AWS service or a
//! CloudFormation stack (`invokedBy`) is left out: deployments detach ACLs as they
//! rebuild what they protect. A deletion made by an AWS service on its own (Firewall
//! Manager removing the ACLs of its policies) is left out too; a stack's still counts.
//! An update of a Firewall Manager ACL (`FMManagedWebACL...`) is not an emptying:
//! the policy's rule groups stay in force around the rules the update names.
//! A Terraform agent is not enough, since the caller writes it: a pipeline's role is
//! exempted in the tuning file by ARN. An ACL created empty (`CreateWebACL` with no
//! rules and a default that allows) is low (from an evasion review): associated
//! (`AssociateWebACL`), it silently replaces the ACL that protected the resource,
//! and that association names only the new ACL, so the creation is the step to see.
//!
//! Decision: Splunk's "impair security services" list names WAF's `DeleteWebACL`,
//! `DeleteRule`, `DeleteRuleGroup` and `DeleteIPSet` by event name only; we split them
//! as Elastic does (web ACLs here, rules and rule groups in waf-rule-deleted) and leave
//! `DeleteIPSet` out: WAF refuses to delete an IP set that a rule still uses, so a
//! successful deletion removes no protection.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    aws_service_caller, aws_service_caller_but_stack, succeeded_call, succeeded_waf_call, waf_evidence,
    waf_rules_emptied,
    waf_triggers,
};
use crate::event::Record;

pub struct WafWebAclDeleted;

const NAMES: &[&str] = &["DeleteWebACL", "DisassociateWebACL"];
const CLOUDFRONT: &str = "cloudfront.amazonaws.com";
const CLOUDFRONT_NAMES: &[&str] = &["DisassociateDistributionTenantWebACL", "DisassociateDistributionWebACL"];
const WAFV2: &str = "wafv2.amazonaws.com";
const UPDATE: &str = "UpdateWebACL";
/// WAFv2's `UpdateWebACL`, and `CreateWebACL` for an ACL built empty.
const WRITES: &[&str] = &["CreateWebACL", UPDATE];

pub static META: Meta = Meta {
    id: "waf-web-acl-deleted",
    title: "AWS WAF Web ACL Deleted",
    description: "A WAF web ACL was deleted. The applications, APIs or CloudFront \
                  distributions it protected lose every rule it held (rate limits, IP blocks, \
                  managed protections against injection and bots), opening them to attacks the \
                  ACL used to stop.",
    severity: Severity::Medium,
    attack: &["T1562.001", "T1562.007"],
    origins: &[
        "Elastic detection-rules defense_evasion_waf_acl_deletion.toml",
        "Splunk ESCU detections/cloud/aws_defense_evasion_impair_security_services.yml \
         (its DeleteWebACL part)",
    ],
    group: "web-protection",
    false_positives: &[
        "Infrastructure-as-code replacing a web ACL, or an application being retired.",
    ],
    next_steps: "Check what the ACL protected and whether a replacement is in place. If not \
                 planned, restore it and review the protected applications' traffic and the \
                 caller's activity since.",
    evidence: "action api created_empty emptied id name resource_arn scope",
    triggers: &Trigger::joined::<3, 2, 5>(
        waf_triggers(NAMES),
        [Trigger::write(WAFV2, WRITES), Trigger::write(CLOUDFRONT, CLOUDFRONT_NAMES)],
    ),
    window: None,
};

impl Detection for WafWebAclDeleted {
    fn meta(&self) -> &'static Meta {
        &META
    }

    /// An ACL created empty protects nothing yet: low, since it is a step (it
    /// replaces the protecting ACL when associated) and a test ACL looks the same.
    fn severity_for(&self, rec: &Record<'_>) -> Severity {
        if rec.event_name() == "CreateWebACL" { Severity::Low } else { META.severity }
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if succeeded_call(rec, CLOUDFRONT, CLOUDFRONT_NAMES) {
            return (!aws_service_caller(rec)).then(|| Signal::Fire(waf_evidence(rec)));
        }
        if succeeded_call(rec, WAFV2, WRITES) {
            let counts = emptied(rec) && !firewall_manager_acl(rec) && !aws_service_caller_but_stack(rec);
            let what = if rec.event_name() == UPDATE { "emptied" } else { "created_empty" };
            return counts.then(|| Signal::Fire(waf_evidence(rec).with(what, true)));
        }
        if !succeeded_waf_call(rec, NAMES) {
            return None;
        }
        // Deployments detach ACLs as they rebuild what they protect: a detach counts
        // when a person or script makes it, not a stack or a service. A service
        // deleting the ACLs it manages is housekeeping; a stack's deletion counts.
        let exempt = match rec.event_name() {
            "DisassociateWebACL" => aws_service_caller(rec),
            _ => aws_service_caller_but_stack(rec),
        };
        if exempt {
            return None;
        }
        fire(waf_evidence(rec))
    }
}

/// A web ACL that Firewall Manager made (`FMManagedWebACL...`): its policy's
/// rule groups run first and last whatever the account's update says, and the
/// update names only the account's own rules, so an update without rules
/// leaves those groups in force (from a review).
fn firewall_manager_acl(rec: &Record<'_>) -> bool {
    rec.request_param_str("name")
        .is_some_and(|n| n.trim_start().starts_with("FMManagedWebACL"))
}

/// An `UpdateWebACL` that leaves the ACL with no rules (`rules` an empty list) and
/// a default action that allows (or none named).
fn emptied(rec: &Record<'_>) -> bool {
    let blocks = rec
        .request_param("defaultAction")
        .and_then(|a| a.as_object())
        .is_some_and(|a| a.keys().any(|k| k.eq_ignore_ascii_case("block")));
    waf_rules_emptied(rec) && !blocks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing;
    use crate::detections::common::calls::{call, failed};
    use crate::detections::common::testing::{eval, fires};
    use std::sync::LazyLock;

    static DELETE: LazyLock<String> =
        LazyLock::new(|| call("wafv2.amazonaws.com", "DeleteWebACL", r#"{"name":"shop-acl","scope":"REGIONAL","id":"a1b2c3d4-5678-90ab-cdef-EXAMPLE11111","lockToken":"t"}"#));

    #[test]
    fn an_acl_taken_off_its_resource_counts() {
        let off = call(
            "wafv2.amazonaws.com",
            "DisassociateWebACL",
            r#"{"resourceArn":"arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/shop-alb/50dc6c495c0c9188"}"#,
        );
        match eval(&WafWebAclDeleted, &off) {
            Some(Signal::Fire(e)) => assert!(e.get("resource_arn").is_some()),
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn fires_on_every_waf_api() {
        match eval(&WafWebAclDeleted, &DELETE) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("name").and_then(|v| v.as_str()), Some("shop-acl"));
                assert_eq!(e.get("scope").and_then(|v| v.as_str()), Some("REGIONAL"));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let classic = DELETE.replace("wafv2.amazonaws.com", "waf-regional.amazonaws.com").replace(
            r#"{"name":"shop-acl","scope":"REGIONAL","id":"a1b2c3d4-5678-90ab-cdef-EXAMPLE11111","lockToken":"t"}"#,
            r#"{"webACLId":"w-1","changeToken":"c"}"#,
        );
        match eval(&WafWebAclDeleted, &classic) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("id").and_then(|v| v.as_str()), Some("w-1")),
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(fires(&WafWebAclDeleted, &DELETE.replace("wafv2.amazonaws.com", "waf.amazonaws.com")));
    }

    #[test]
    fn ignores_failures_and_other_calls() {
        let locked = failed(&DELETE, "WAFOptimisticLockException");
        assert!(!fires(&WafWebAclDeleted, &locked));
        for (from, to) in [
            ("DeleteWebACL", "AssociateWebACL"),
            ("DeleteWebACL", "UpdateWebACL"),
            ("wafv2.amazonaws.com", "shield.amazonaws.com"),
        ] {
            assert!(!fires(&WafWebAclDeleted, &DELETE.replace(from, to)), "{to}");
        }
    }

    /// From a review: CloudFront's own detach, and an ACL emptied of its rules.
    #[test]
    fn cloudfront_detaches_and_emptied_acls_count() {
        for name in CLOUDFRONT_NAMES {
            let off = call(CLOUDFRONT, name, r#"{"id":"E2QWRUHEXAMPLE","ifMatch":"E3EXAMPLE"}"#);
            match eval(&WafWebAclDeleted, &off) {
                Some(Signal::Fire(e)) => assert_eq!(e.get("id").and_then(|v| v.as_str()), Some("E2QWRUHEXAMPLE")),
                other => panic!("expected a finding for {name}, got {other:?}"),
            }
        }
        let update = |rest: &str| {
            call(WAFV2, UPDATE, &format!(r#"{{"name":"shop-acl","scope":"CLOUDFRONT","id":"a1b2","lockToken":"t"{rest}}}"#))
        };
        match eval(&WafWebAclDeleted, &update(r#","defaultAction":{"allow":{}},"rules":[]"#)) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("emptied"), Some(&serde_json::json!(true))),
            other => panic!("expected a finding, got {other:?}"),
        }
        // An update replaces the whole ACL: rules left out, or null, are gone too,
        // when the request was recorded whole (its required visibilityConfig is there).
        const SEEN: &str = r#","visibilityConfig":{"sampledRequestsEnabled":true,"cloudWatchMetricsEnabled":true,"metricName":"shop-acl"}"#;
        for emptied in [r#","defaultAction":{"allow":{}}"#, r#","defaultAction":{"allow":{}},"rules":null"#] {
            assert!(fires(&WafWebAclDeleted, &update(&format!("{emptied}{SEEN}"))), "{emptied}");
        }
        for quiet in [
            format!(r#","defaultAction":{{"block":{{}}}},"rules":[]{SEEN}"#),
            format!(r#","defaultAction":{{"block":{{}}}}{SEEN}"#),
            format!(r#","defaultAction":{{"allow":{{}}}},"rules":[{{"name":"rate","priority":0}}]{SEEN}"#),
            // Recorded in part: the rules may be there, unseen.
            r#","defaultAction":{"allow":{}}"#.to_owned(),
        ] {
            assert!(!fires(&WafWebAclDeleted, &update(&quiet)), "{quiet}");
        }
        assert!(!fires(&WafWebAclDeleted, &failed(&call(CLOUDFRONT, "DisassociateDistributionWebACL", r#"{"id":"E2"}"#), "AccessDenied")));
        // From a review: a Firewall Manager ACL keeps its policy's rule groups
        // around the account's rules, and Firewall Manager's own updates are its
        // housekeeping.
        let emptied = format!(r#","defaultAction":{{"allow":{{}}}},"rules":[]{SEEN}"#);
        let fms_acl = update(&emptied).replace(r#""name":"shop-acl""#, r#""name":"FMManagedWebACLV2-shop-policy-1700000000000""#);
        assert_ne!(fms_acl, update(&emptied));
        assert!(!fires(&WafWebAclDeleted, &fms_acl));
        let by_fms = update(&emptied).replace(r#""userIdentity":{"#, r#""userIdentity":{"invokedBy":"fms.amazonaws.com","#);
        assert_ne!(by_fms, update(&emptied));
        assert!(!fires(&WafWebAclDeleted, &by_fms));
        // From an evasion review: an ACL created empty, to be swapped in (low).
        let created = update(&emptied).replace(r#""eventName":"UpdateWebACL""#, r#""eventName":"CreateWebACL""#);
        assert_ne!(created, update(&emptied));
        match eval(&WafWebAclDeleted, &created) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("created_empty"), Some(&serde_json::json!(true))),
            other => panic!("expected a finding, got {other:?}"),
        }
        assert_eq!(testing::severity(&WafWebAclDeleted, &created), Severity::Low);
        let with_rules = format!(r#","defaultAction":{{"allow":{{}}}},"rules":[{{"name":"rate","priority":0}}]{SEEN}"#);
        let created_with_rules = update(&with_rules).replace(r#""eventName":"UpdateWebACL""#, r#""eventName":"CreateWebACL""#);
        assert!(!fires(&WafWebAclDeleted, &created_with_rules));
    }

    /// From a review: Firewall Manager deleting the ACLs of its own policies.
    #[test]
    fn a_service_deleting_what_it_manages_is_left_out_not_a_stack() {
        let by = |invoked_by: &str| {
            DELETE.replace(
                r#""userIdentity":{"#,
                &format!(r#""userIdentity":{{"invokedBy":"{invoked_by}","#),
            )
        };
        let fms = by("fms.amazonaws.com");
        assert_ne!(fms, *DELETE);
        assert!(!fires(&WafWebAclDeleted, &fms));
        assert!(fires(&WafWebAclDeleted, &by("cloudformation.amazonaws.com")));
    }
}
