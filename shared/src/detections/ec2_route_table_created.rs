//! A route or route table created (`CreateRoute`, `CreateRouteTable`), successfully,
//! by an identity that has not created one in the last ten days.
//!
//! Elastic's new-terms rule; we key the history on account and principal, so that a
//! pipeline creating routes every day is reported once, and a new identity doing it
//! is reported the first time.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, WindowSpec};
use crate::detections::common::{account_principal_term, call_context, route_evidence};
use crate::event::Record;

pub struct Ec2RouteTableCreated;

pub static META: Meta = Meta {
    id: "ec2-route-table-created",
    title: "AWS EC2 Route Table Created",
    description: "An identity that has not done so in the last ten days created a route or a \
                  route table. Routes decide where a subnet's traffic goes: a new route to an \
                  internet gateway, a peering or an instance can give an attacker a way in, or \
                  send traffic through a host they control.",
    severity: Severity::Low,
    attack: &["T1133", "T1557"],
    origins: &["Elastic rules/integrations/aws/persistence_route_table_created.toml"],
    group: "compute-network",
    false_positives: &[
        "A new engineer or pipeline building network infrastructure; new VPCs come with route \
         tables.",
    ],
    next_steps: "Check the route's destination and target (gateway, NAT, peering, instance or \
                 interface). An unexpected route to an internet gateway or to an instance \
                 deserves a call to the identity's owner.",
    evidence: "destination gateway_id region route_table_id source_ip target target_kind \
        user_agent",
    triggers: &[Trigger::write(
        "ec2.amazonaws.com",
        &["CreateRoute", "CreateRouteTable"],
    )],
    window: Some(WindowSpec::FirstSeen { days: 10 }),
};

impl Detection for Ec2RouteTableCreated {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "ec2.amazonaws.com"
            || !matches!(rec.event_name(), "CreateRoute" | "CreateRouteTable")
            || !rec.succeeded()
        {
            return None;
        }
        Some(Signal::FirstSeen {
            term: account_principal_term(rec),
            evidence: route_evidence(call_context(rec), rec),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::compute_testing::{DENIED, IAM_USER, ROLE, record};
    use crate::detections::common::testing::eval;

    #[test]
    fn route_creation_is_a_term_of_the_caller() {
        let params = r#"{"routeTableId":"rtb-0a1b2c3d","destinationCidrBlock":"0.0.0.0/0","gatewayId":"igw-0a1b2c3d"}"#;
        match eval(&Ec2RouteTableCreated, &record("ec2.amazonaws.com", "CreateRoute", ROLE, params, "")) {
            Some(Signal::FirstSeen { term, evidence }) => {
                // The role, not the session: SDKs name a new session on every assume.
                assert_eq!(term, "111122223333|arn:aws:iam::111122223333:role/OpsAdmin");
                assert_eq!(evidence.get("gateway_id").unwrap(), "igw-0a1b2c3d");
                assert_eq!(evidence.get("destination").unwrap(), "0.0.0.0/0");
            }
            other => panic!("unexpected {other:?}"),
        }
        let other_session = ROLE.replace("ops-7", "aws-go-sdk-1722455550269043000");
        match eval(&Ec2RouteTableCreated, &record("ec2.amazonaws.com", "CreateRoute", &other_session, params, "")) {
            Some(Signal::FirstSeen { term, .. }) => {
                assert_eq!(term, "111122223333|arn:aws:iam::111122223333:role/OpsAdmin")
            }
            other => panic!("unexpected {other:?}"),
        }
        let table = record("ec2.amazonaws.com", "CreateRouteTable", IAM_USER, "null", "");
        assert!(matches!(eval(&Ec2RouteTableCreated, &table), Some(Signal::FirstSeen { .. })));
    }

    #[test]
    fn failures_and_other_calls_do_not_count() {
        let denied = record("ec2.amazonaws.com", "CreateRoute", ROLE, "{}", DENIED);
        assert_eq!(eval(&Ec2RouteTableCreated, &denied), None);
        let replace = record("ec2.amazonaws.com", "ReplaceRoute", ROLE, "{}", "");
        assert_eq!(eval(&Ec2RouteTableCreated, &replace), None);
    }
}
