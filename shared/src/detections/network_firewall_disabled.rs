//! AWS Network Firewall taken down or blinded, successfully: a firewall deleted
//! (`DeleteFirewall`), taken off subnets (`DisassociateSubnets`), its delete
//! protection switched off (`UpdateFirewallDeleteProtection` with
//! `deleteProtection` false), or its logging emptied (`UpdateLoggingConfiguration`
//! leaving no log destination, or given no configuration at all, which clears it).
//!
//! Decisions: each removes inspection or its record for a network's traffic, the
//! step before exfiltration or command and control through it. Logging is judged
//! by the configuration the request leaves: no destination at all is logging off
//! (the API removes one destination per call, so an attacker's last call is the one
//! seen); changing one destination for another is not. Deleting a firewall policy
//! is not watched: the service refuses while a firewall uses it. Swapping a
//! firewall's policy for an empty one (`AssociateFirewallPolicy`) cannot be told
//! from an ordinary policy change in the record, a stated limit. Changes AWS services make on
//! their own (Firewall Manager's policies) are left out; a stack's change counts.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_caller_but_stack, flag_value, request_param_any, request_text_any, succeeded_call};
use crate::event::Record;

pub struct NetworkFirewallDisabled;

const SOURCE: &str = "network-firewall.amazonaws.com";
const CALLS: &[&str] = &[
    "DeleteFirewall",
    "DisassociateSubnets",
    "UpdateFirewallDeleteProtection",
    "UpdateLoggingConfiguration",
];

pub static META: Meta = Meta {
    id: "network-firewall-disabled",
    title: "AWS Network Firewall Deleted, Detached or Blinded",
    description: "A Network Firewall was deleted or taken off subnets, its delete \
                  protection was switched off, or its logging was left with no \
                  destination. Traffic through those networks is no longer inspected, \
                  or no longer recorded.",
    severity: Severity::Medium,
    attack: &["T1562.004", "T1562.008"],
    origins: &[
        "trailwatch: from a red-team gap hunt (Network Firewall protection and logging \
         switched off)",
    ],
    group: "network-exposure",
    false_positives: &[
        "Network changes by the team that runs the firewalls (re-architecture, subnet moves, \
         log destination changes done in two steps).",
    ],
    next_steps: "Confirm the change with the network team. If it is not explained, restore the \
                 firewall, its subnets and its logging, and review the traffic of the affected \
                 networks since the change.",
    triggers: &[Trigger::write(SOURCE, CALLS)],
    window: None,
};

/// Whether an `UpdateLoggingConfiguration` request leaves the firewall without any
/// log destination. `None` when the request does not say.
fn logging_emptied(rec: &Record<'_>) -> Option<bool> {
    let Some(config) = request_param_any(rec, &["loggingConfiguration", "LoggingConfiguration"]) else {
        // A call without a configuration clears it, unless it only switches the
        // monitoring dashboard.
        let dashboard_only = request_param_any(rec, &["enableMonitoringDashboard", "EnableMonitoringDashboard"]).is_some();
        return (!dashboard_only).then_some(true);
    };
    if config.is_null() {
        return Some(true);
    }
    // A configuration object without a destination list has no destination.
    let Some(destinations) = ["logDestinationConfigs", "LogDestinationConfigs"]
        .into_iter()
        .find_map(|k| config.get(k))
    else {
        return Some(config.is_object());
    };
    Some(match destinations {
        serde_json::Value::Array(items) => items.is_empty(),
        serde_json::Value::Null => true,
        _ => false,
    })
}

impl Detection for NetworkFirewallDisabled {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, SOURCE, CALLS) || aws_service_caller_but_stack(rec) {
            return None;
        }
        let counts = match rec.event_name() {
            "UpdateFirewallDeleteProtection" => {
                request_param_any(rec, &["deleteProtection", "DeleteProtection"]).and_then(flag_value) == Some(false)
            }
            "UpdateLoggingConfiguration" => logging_emptied(rec) == Some(true),
            _ => true,
        };
        if !counts {
            return None;
        }
        let target = request_text_any(rec, &["firewallName", "firewallArn"]);
        fire(
            Evidence::new()
                .with("action", rec.event_name())
                .with_opt("target", target)
                .with_json("subnets", rec.request_param("subnetIds")),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::{eval, fires};

    const FW: &str = r#""firewallName":"egress-inspection""#;

    #[test]
    fn deletions_detachments_protection_off_and_logging_emptied_fire() {
        for (name, params) in [
            ("DeleteFirewall", format!("{{{FW}}}")),
            ("DisassociateSubnets", format!(r#"{{{FW},"subnetIds":["subnet-0a1b2c3d"]}}"#)),
            ("UpdateFirewallDeleteProtection", format!(r#"{{{FW},"deleteProtection":false}}"#)),
            ("UpdateFirewallDeleteProtection", format!(r#"{{{FW},"deleteProtection":"false"}}"#)),
            ("UpdateLoggingConfiguration", format!(r#"{{{FW},"loggingConfiguration":{{"logDestinationConfigs":[]}}}}"#)),
            ("UpdateLoggingConfiguration", format!(r#"{{{FW},"loggingConfiguration":{{}}}}"#)),
        ] {
            match eval(&NetworkFirewallDisabled, &record(SOURCE, name, ROLE, &params, "")) {
                Some(Signal::Fire(e)) => assert_eq!(e.get("action").and_then(|v| v.as_str()), Some(name)),
                other => panic!("expected a finding for {name} {params}, got {other:?}"),
            }
        }
    }

    #[test]
    fn protection_on_logging_kept_services_failures_and_other_calls_do_not() {
        let on = format!(r#"{{{FW},"deleteProtection":true}}"#);
        assert!(!fires(&NetworkFirewallDisabled, &record(SOURCE, "UpdateFirewallDeleteProtection", ROLE, &on, "")));
        let kept = format!(
            r#"{{{FW},"loggingConfiguration":{{"logDestinationConfigs":[{{"logType":"ALERT","logDestinationType":"S3","logDestination":{{"bucketName":"fw-logs"}}}}]}}}}"#
        );
        assert!(!fires(&NetworkFirewallDisabled, &record(SOURCE, "UpdateLoggingConfiguration", ROLE, &kept, "")));
        // Without a configuration the call clears logging, unless it only sets the dashboard.
        assert!(fires(&NetworkFirewallDisabled, &record(SOURCE, "UpdateLoggingConfiguration", ROLE, &format!("{{{FW}}}"), "")));
        let dashboard = format!(r#"{{{FW},"enableMonitoringDashboard":true}}"#);
        assert!(!fires(&NetworkFirewallDisabled, &record(SOURCE, "UpdateLoggingConfiguration", ROLE, &dashboard, "")));
        assert!(!fires(&NetworkFirewallDisabled, &record(SOURCE, "DeleteFirewall", SERVICE, &format!("{{{FW}}}"), "")));
        assert!(!fires(&NetworkFirewallDisabled, &failed(SOURCE, "DeleteFirewall", ROLE, &format!("{{{FW}}}"), "InvalidOperationException")));
        assert!(!fires(&NetworkFirewallDisabled, &record(SOURCE, "CreateFirewall", ROLE, &format!("{{{FW}}}"), "")));
    }
}
