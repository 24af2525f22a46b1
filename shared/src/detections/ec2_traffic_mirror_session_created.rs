//! A VPC traffic-mirroring session created (`CreateTrafficMirrorSession`), successfully:
//! full packets of a network interface now go to another target.
//!
//! Elastic fires on every successful creation; so do we. The target and the mirrored
//! interface are in the evidence so the analyst can judge whether the target is known.
//! An existing session re-pointed at another target or filter
//! (`ModifyTrafficMirrorSession` naming `TrafficMirrorTargetId` or
//! `TrafficMirrorFilterId`) sends the packets somewhere new just the same, and counts.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::call_context;
use crate::event::Record;

pub struct Ec2TrafficMirrorSessionCreated;

pub static META: Meta = Meta {
    id: "ec2-traffic-mirror-session-created",
    title: "AWS EC2 Traffic Mirror Session Created",
    description: "A traffic-mirroring session now copies every packet of a network interface \
                  to a mirror target. Security teams use it for inspection; an attacker can use \
                  it to capture credentials and data in transit, or to send them to a target \
                  they control.",
    severity: Severity::Medium,
    attack: &["T1040", "T1020", "T1537"],
    origins: &[
        "Elastic rules/integrations/aws/exfiltration_ec2_full_network_packet_capture_detected.toml",
    ],
    group: "compute-network",
    false_positives: &[
        "Network monitoring or intrusion-detection appliances set up by the security or \
         network team.",
    ],
    next_steps: "Check who owns the mirror target (an NLB, interface or Gateway Load Balancer \
                 endpoint, possibly in another account) and the filter. If unexpected, delete \
                 the session and the target, and review the caller's credentials.",
    evidence: "network_interface_id region source_ip traffic_mirror_filter_id \
        traffic_mirror_session_id traffic_mirror_target_id user_agent",
    triggers: &[Trigger::write(
        "ec2.amazonaws.com",
        &["CreateTrafficMirrorSession", "ModifyTrafficMirrorSession"],
    )],
    window: None,
};

impl Detection for Ec2TrafficMirrorSessionCreated {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        let modify = rec.event_name() == "ModifyTrafficMirrorSession";
        if rec.event_source() != "ec2.amazonaws.com"
            || !(modify || rec.event_name() == "CreateTrafficMirrorSession")
            || !rec.succeeded()
        {
            return None;
        }
        // Parameter names as the EC2 query API spells them in CloudTrail.
        let request = rec
            .request_param("CreateTrafficMirrorSessionRequest")
            .or_else(|| rec.request_param("ModifyTrafficMirrorSessionRequest"));
        let field = |k: &str| {
            request
                .and_then(|r| r.get(k))
                .or_else(|| rec.request_param(k))
                .cloned()
        };
        if modify && field("TrafficMirrorTargetId").is_none() && field("TrafficMirrorFilterId").is_none() {
            return None;
        }
        let e = call_context(rec)
            .with_opt("traffic_mirror_session_id", field("TrafficMirrorSessionId"))
            .with_opt("network_interface_id", field("NetworkInterfaceId"))
            .with_opt("traffic_mirror_target_id", field("TrafficMirrorTargetId"))
            .with_opt("traffic_mirror_filter_id", field("TrafficMirrorFilterId"));
        fire(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detection::Evidence;
    use crate::detections::common::compute_testing::{DENIED, IAM_USER, ROLE, record};
    use crate::detections::common::testing::{fired_evidence, fires};

    const PARAMS: &str = r#"{"CreateTrafficMirrorSessionRequest":{"NetworkInterfaceId":"eni-0a1b2c3d4e5f60001",
        "TrafficMirrorTargetId":"tmt-0a1b2c3d4e5f60001","TrafficMirrorFilterId":"tmf-0a1b2c3d4e5f60001",
        "SessionNumber":1}}"#;

    fn evidence(json: &str) -> Evidence {
        fired_evidence(&Ec2TrafficMirrorSessionCreated, json)
    }

    #[test]
    fn fires_and_names_interface_and_target() {
        let r = record("ec2.amazonaws.com", "CreateTrafficMirrorSession", ROLE, PARAMS, "");
        let e = evidence(&r);
        assert_eq!(e.get("network_interface_id").unwrap(), "eni-0a1b2c3d4e5f60001");
        assert_eq!(e.get("traffic_mirror_target_id").unwrap(), "tmt-0a1b2c3d4e5f60001");
    }

    #[test]
    fn fires_without_parameters_but_not_on_failure_or_other_calls() {
        let bare = record("ec2.amazonaws.com", "CreateTrafficMirrorSession", IAM_USER, "null", "");
        assert!(evidence(&bare).get("network_interface_id").is_none());
        let denied = record("ec2.amazonaws.com", "CreateTrafficMirrorSession", IAM_USER, PARAMS, DENIED);
        assert!(!fires(&Ec2TrafficMirrorSessionCreated, &denied));
        let target = record("ec2.amazonaws.com", "CreateTrafficMirrorTarget", IAM_USER, "{}", "");
        assert!(!fires(&Ec2TrafficMirrorSessionCreated, &target));
    }

    #[test]
    fn a_session_pointed_at_another_target_counts() {
        let moved = r#"{"ModifyTrafficMirrorSessionRequest":{"TrafficMirrorSessionId":"tms-0a1b2c3d4e5f60001","TrafficMirrorTargetId":"tmt-0fee1dead0beef123"}}"#;
        let e = evidence(&record("ec2.amazonaws.com", "ModifyTrafficMirrorSession", ROLE, moved, ""));
        assert_eq!(e.get("traffic_mirror_target_id").and_then(|v| v.as_str()), Some("tmt-0fee1dead0beef123"));
        assert_eq!(e.get("traffic_mirror_session_id").and_then(|v| v.as_str()), Some("tms-0a1b2c3d4e5f60001"));
        let described = r#"{"ModifyTrafficMirrorSessionRequest":{"TrafficMirrorSessionId":"tms-0a1b2c3d4e5f60001","Description":"mirror"}}"#;
        assert!(!fires(&Ec2TrafficMirrorSessionCreated, &record("ec2.amazonaws.com", "ModifyTrafficMirrorSession", ROLE, described, "")));
    }
}
