//! Deletion protection turned off on an RDS DB instance or cluster
//! (`ModifyDBInstance` / `ModifyDBCluster` with `deletionProtection` false),
//! successfully.
//!
//! Decision: only a request that explicitly sets the flag to false fires (a modify
//! that does not mention it leaves protection as it was). The flag may be a JSON
//! boolean or text. From a review, the same switch on an Aurora DSQL cluster
//! (`UpdateCluster` with `deletionProtectionEnabled` false) and a Neptune Analytics
//! graph (`UpdateGraph` with `deletionProtection` false).

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{flag_value, succeeded_call};
use crate::event::Record;

pub struct RdsDeletionProtectionDisabled;

const NAMES: &[&str] = &["ModifyDBCluster", "ModifyDBInstance"];
/// The other databases' switches (from a review): source, call, flag. Their
/// triggers are read from here.
const OTHER_DATABASES: [(&str, &[&str], &str); 2] = [
    ("dsql.amazonaws.com", &["UpdateCluster"], "deletionProtectionEnabled"),
    ("neptune-graph.amazonaws.com", &["UpdateGraph"], "deletionProtection"),
];

pub static META: Meta = Meta {
    id: "rds-deletion-protection-disabled",
    title: "AWS RDS Deletion Protection Disabled",
    description: "Deletion protection was turned off on a database instance or cluster. It is the \
                  switch that must be flipped before a protected database can be deleted, so it \
                  usually comes right before a deletion, planned or not.",
    severity: Severity::Low,
    attack: &["T1485"],
    origins: &["trailwatch: based on RDS data destruction (ModifyDBInstance/ModifyDBCluster with \
                deletionProtection false)"],
    group: "backup-exposure",
    false_positives: &["Decommissioning of a database by its owners."],
    next_steps: "Check whether a deletion of the database followed and whether it was planned; \
                 turn protection back on and verify that recent snapshots exist.",
    evidence: "database",
    triggers: &[
        Trigger::write("rds.amazonaws.com", NAMES),
        Trigger::write(OTHER_DATABASES[0].0, OTHER_DATABASES[0].1),
        Trigger::write(OTHER_DATABASES[1].0, OTHER_DATABASES[1].1),
    ],
    window: None,
};

impl Detection for RdsDeletionProtectionDisabled {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        let other = OTHER_DATABASES
            .iter()
            .find(|(source, names, _)| succeeded_call(rec, source, names));
        if let Some((_, _, flag)) = other {
            if rec.request_param(flag).and_then(flag_value) != Some(false) {
                return None;
            }
            let target = rec
                .request_param_str("identifier")
                .or_else(|| rec.request_param_str("graphIdentifier"));
            return fire(Evidence::new().with_opt("database", target));
        }
        if !succeeded_call(rec, "rds.amazonaws.com", NAMES)
            || rec.request_param("deletionProtection").and_then(flag_value) != Some(false)
        {
            return None;
        }
        let target = rec
            .request_param_str("dBInstanceIdentifier")
            .or_else(|| rec.request_param_str("dBClusterIdentifier"));
        fire(Evidence::new().with_opt("database", target))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, failed, record};
    use crate::detections::common::testing::fires;

    #[test]
    fn fires_when_protection_is_turned_off() {
        assert!(fires(&RdsDeletionProtectionDisabled, &record("rds.amazonaws.com", "ModifyDBInstance", ROLE, r#"{"dBInstanceIdentifier":"orders-prod","deletionProtection":false,"applyImmediately":true}"#, "")));
        assert!(fires(&RdsDeletionProtectionDisabled, &record("rds.amazonaws.com", "ModifyDBCluster", ROLE, r#"{"dBClusterIdentifier":"aurora-billing","deletionProtection":"false"}"#, "")));
    }

    #[test]
    fn near_misses() {
        for p in [r#"{"dBInstanceIdentifier":"orders-prod","deletionProtection":true}"#, r#"{"dBInstanceIdentifier":"orders-prod","allocatedStorage":400}"#, "null"] {
            assert!(!fires(&RdsDeletionProtectionDisabled, &record("rds.amazonaws.com", "ModifyDBInstance", ROLE, p, "")), "{p}");
        }
        let off = r#"{"dBInstanceIdentifier":"orders-prod","deletionProtection":false}"#;
        assert!(!fires(&RdsDeletionProtectionDisabled, &failed("rds.amazonaws.com", "ModifyDBInstance", ROLE, off, "InvalidDBInstanceState")));
        assert!(!fires(&RdsDeletionProtectionDisabled, &record("rds.amazonaws.com", "CreateDBInstance", ROLE, off, "")));
    }

    /// From a review: Aurora DSQL clusters and Neptune Analytics graphs.
    #[test]
    fn other_databases_protection_turned_off_fires() {
        let dsql = |flag: &str| record("dsql.amazonaws.com", "UpdateCluster", ROLE, &format!(r#"{{"identifier":"abcdefghijklmnopqrst12345","deletionProtectionEnabled":{flag}}}"#), "");
        assert!(fires(&RdsDeletionProtectionDisabled, &dsql("false")));
        assert!(!fires(&RdsDeletionProtectionDisabled, &dsql("true")));
        let graph = |flag: &str| record("neptune-graph.amazonaws.com", "UpdateGraph", ROLE, &format!(r#"{{"graphIdentifier":"g-0a1b2c3d4e","deletionProtection":{flag}}}"#), "");
        assert!(fires(&RdsDeletionProtectionDisabled, &graph("false")));
        assert!(!fires(&RdsDeletionProtectionDisabled, &graph(r#""true""#)));
    }
}
