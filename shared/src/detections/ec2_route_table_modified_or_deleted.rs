//! A route or route-table association replaced or removed (`ReplaceRoute`,
//! `ReplaceRouteTableAssociation`, `DeleteRoute`, `DeleteRouteTable`,
//! `DisassociateRouteTable`), or a subnet moved onto another table
//! (`AssociateRouteTable`, which takes it off the main table it used implicitly),
//! successfully, by an identity that has not done so in the last ten days.
//!
//! First-seen on account and principal, as for `ec2-route-table-created`.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, WindowSpec};
use crate::detections::common::{account_principal_term, call_context, route_evidence};
use crate::event::Record;

pub struct Ec2RouteTableModifiedOrDeleted;

const NAMES: &[&str] = &[
    "AssociateRouteTable",
    "ReplaceRoute",
    "ReplaceRouteTableAssociation",
    "DeleteRoute",
    "DeleteRouteTable",
    "DisassociateRouteTable",
];

pub static META: Meta = Meta {
    id: "ec2-route-table-modified-or-deleted",
    title: "AWS EC2 Route Table Modified or Deleted",
    description: "An identity that has not done so in the last ten days replaced or removed a \
                  route or a route-table association. Re-pointing routes can send a subnet's \
                  traffic through a host an attacker controls, cut monitoring appliances out \
                  of the path, or break an application.",
    severity: Severity::Low,
    attack: &["T1562.007", "T1557"],
    origins: &["Elastic rules/integrations/aws/persistence_ec2_route_table_modified_or_deleted.toml"],
    group: "compute-network",
    false_positives: &[
        "Network maintenance by a new engineer or pipeline; tearing down test VPCs.",
    ],
    next_steps: "Compare the route table before and after (AWS Config history) and check the \
                 new target. Restore the previous route if the change was not planned.",
    evidence: "association_id destination gateway_id region route_table_id source_ip target \
        target_kind user_agent",
    triggers: &[Trigger::write("ec2.amazonaws.com", NAMES)],
    window: Some(WindowSpec::FirstSeen { days: 10 }),
};

impl Detection for Ec2RouteTableModifiedOrDeleted {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "ec2.amazonaws.com"
            || !NAMES.contains(&rec.event_name())
            || !rec.succeeded()
        {
            return None;
        }
        let evidence = route_evidence(call_context(rec), rec)
            .with_opt("association_id", rec.request_param_str("associationId"));
        Some(Signal::FirstSeen {
            term: account_principal_term(rec),
            evidence,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::compute_testing::{DENIED, ROLE, ROOT, record};
    use crate::detections::common::testing::eval;

    #[test]
    fn every_listed_change_is_a_term_of_the_caller() {
        for name in NAMES {
            let r = record("ec2.amazonaws.com", name, ROOT, r#"{"routeTableId":"rtb-0a1b2c3d"}"#, "");
            match eval(&Ec2RouteTableModifiedOrDeleted, &r) {
                Some(Signal::FirstSeen { term, .. }) => {
                    assert_eq!(term, "111122223333|arn:aws:iam::111122223333:root")
                }
                other => panic!("{name}: unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn failures_and_creation_do_not_count() {
        let denied = record("ec2.amazonaws.com", "DeleteRoute", ROLE, "{}", DENIED);
        assert_eq!(eval(&Ec2RouteTableModifiedOrDeleted, &denied), None);
        let create = record("ec2.amazonaws.com", "CreateRoute", ROLE, "{}", "");
        assert_eq!(eval(&Ec2RouteTableModifiedOrDeleted, &create), None);
    }

    #[test]
    fn a_subnet_moved_onto_another_table_is_a_term() {
        let moved = r#"{"routeTableId":"rtb-0b1c2d3e4f5a60718","subnetId":"subnet-0a1b2c3d4e5f60718"}"#;
        assert!(matches!(
            eval(&Ec2RouteTableModifiedOrDeleted, &record("ec2.amazonaws.com", "AssociateRouteTable", ROLE, moved, "")),
            Some(Signal::FirstSeen { .. })
        ));
    }
}
