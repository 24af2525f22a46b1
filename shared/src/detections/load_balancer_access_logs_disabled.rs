//! A load balancer's access logs switched off (`ModifyLoadBalancerAttributes`,
//! successfully): `access_logs.s3.enabled` set to `false` on an Application or Network
//! Load Balancer, or `accessLog.enabled` false on a Classic Load Balancer.
//!
//! Decisions: access logs are often the only record of who sent which requests to an
//! application; switching them off before an attack on it hides the requests. Both
//! load balancer APIs share the event source and name: the newer one logs a list of
//! `{key, value}` attributes, the classic one an object. Setting the attribute to
//! anything but false, or changing other attributes, does not count. Changes AWS
//! services make on their own are left out; a stack's change counts.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_caller_but_stack, flag_value, succeeded_call};
use crate::event::Record;

pub struct LoadBalancerAccessLogsDisabled;

const ELB: &str = "elasticloadbalancing.amazonaws.com";
const CALLS: &[&str] = &["ModifyLoadBalancerAttributes"];

pub static META: Meta = Meta {
    id: "load-balancer-access-logs-disabled",
    title: "AWS Load Balancer Access Logs Disabled",
    description: "A load balancer's access logging was switched off. The requests it receives \
                  from then on are no longer recorded, which hides probing of and attacks on \
                  the applications behind it.",
    severity: Severity::Medium,
    attack: &["T1562.008"],
    origins: &[
        "trailwatch: from a red-team gap hunt (load balancer access logs switched off before \
         an attack on the application)",
    ],
    group: "network-exposure",
    false_positives: &[
        "Cost reductions on test environments, or a load balancer being retired.",
        "Terraform creating a load balancer without an access_logs block: its create step \
         writes access_logs.s3.enabled = false on a load balancer whose logging was never \
         on (a CreateLoadBalancer by the same caller moments before tells it).",
    ],
    next_steps: "Confirm the change with the application's owners. If it is not explained, \
                 switch access logging back on and review the application's own logs and the \
                 caller's other activity since the change.",
    evidence: "load_balancer",
    triggers: &[Trigger::write(ELB, CALLS)],
    window: None,
};

/// Whether the request switches access logging off, in either API's shape.
fn logging_switched_off(rec: &Record<'_>) -> bool {
    // Application and Network Load Balancers: [{"key": ..., "value": ...}].
    let listed = rec
        .request_param("attributes")
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
        .any(|a| {
            a.get("key")
                .and_then(|k| k.as_str())
                .is_some_and(|k| k.trim().eq_ignore_ascii_case("access_logs.s3.enabled"))
                && a.get("value").and_then(flag_value) == Some(false)
        });
    // Classic Load Balancers: {"accessLog": {"enabled": false, ...}}.
    let classic = rec
        .request_param("loadBalancerAttributes")
        .and_then(|a| a.get("accessLog"))
        .and_then(|l| l.get("enabled"))
        .and_then(flag_value)
        == Some(false);
    listed || classic
}

impl Detection for LoadBalancerAccessLogsDisabled {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, ELB, CALLS) || aws_service_caller_but_stack(rec) || !logging_switched_off(rec) {
            return None;
        }
        let target = rec
            .request_param_str("loadBalancerArn")
            .or_else(|| rec.request_param_str("loadBalancerName"));
        fire(Evidence::new().with_opt("load_balancer", target))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::{eval, fires};

    const ALB: &str = "arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/shop/0a1b2c3d4e5f6071";

    fn v2(value: &str) -> String {
        format!(r#"{{"loadBalancerArn":"{ALB}","attributes":[{{"key":"idle_timeout.timeout_seconds","value":"60"}},{{"key":"access_logs.s3.enabled","value":{value}}}]}}"#)
    }

    #[test]
    fn either_api_switching_access_logs_off_fires() {
        for value in [r#""false""#, "false", r#""False""#] {
            match eval(&LoadBalancerAccessLogsDisabled, &record(ELB, "ModifyLoadBalancerAttributes", ROLE, &v2(value), "")) {
                Some(Signal::Fire(e)) => assert_eq!(e.get("load_balancer").and_then(|v| v.as_str()), Some(ALB)),
                other => panic!("expected a finding for {value}, got {other:?}"),
            }
        }
        let classic = r#"{"loadBalancerName":"legacy-web","loadBalancerAttributes":{"accessLog":{"enabled":false}}}"#;
        assert!(fires(&LoadBalancerAccessLogsDisabled, &record(ELB, "ModifyLoadBalancerAttributes", ROLE, classic, "")));
    }

    #[test]
    fn logging_on_other_attributes_services_and_failures_do_not() {
        assert!(!fires(&LoadBalancerAccessLogsDisabled, &record(ELB, "ModifyLoadBalancerAttributes", ROLE, &v2(r#""true""#), "")));
        let other = format!(r#"{{"loadBalancerArn":"{ALB}","attributes":[{{"key":"deletion_protection.enabled","value":"false"}}]}}"#);
        assert!(!fires(&LoadBalancerAccessLogsDisabled, &record(ELB, "ModifyLoadBalancerAttributes", ROLE, &other, "")));
        let classic_on = r#"{"loadBalancerName":"legacy-web","loadBalancerAttributes":{"accessLog":{"enabled":true,"s3BucketName":"elb-logs"}}}"#;
        assert!(!fires(&LoadBalancerAccessLogsDisabled, &record(ELB, "ModifyLoadBalancerAttributes", ROLE, classic_on, "")));
        assert!(!fires(&LoadBalancerAccessLogsDisabled, &record(ELB, "ModifyLoadBalancerAttributes", SERVICE, &v2(r#""false""#), "")));
        assert!(!fires(&LoadBalancerAccessLogsDisabled, &failed(ELB, "ModifyLoadBalancerAttributes", ROLE, &v2(r#""false""#), "AccessDenied")));
        assert!(!fires(&LoadBalancerAccessLogsDisabled, &record(ELB, "ModifyTargetGroupAttributes", ROLE, &v2(r#""false""#), "")));
    }
}
