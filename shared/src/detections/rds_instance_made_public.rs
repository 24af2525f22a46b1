//! An RDS DB instance made reachable from the internet: `ModifyDBInstance`, a
//! restore from a snapshot, a point in time or a backup in S3
//! (`RestoreDBInstanceFromS3`), or a read replica of an existing database, with
//! `publiclyAccessible` true, successfully.
//!
//! Decisions: `CreateDBInstance` with public access is left out (new public
//! databases are a configuration matter, and infrastructure as code creates them
//! daily); turning an existing database public, or restoring or replicating a copy
//! of one as public (`CreateDBInstanceReadReplica` keeps the copy in sync), is how
//! data is exposed or pulled out. `publiclyAccessible` may be a JSON
//! boolean or text.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{flag_value, succeeded_call};
use crate::event::Record;

pub struct RdsInstanceMadePublic;

const NAMES: &[&str] = &[
    "CreateDBInstanceReadReplica",
    "ModifyDBInstance",
    "RestoreDBInstanceFromDBSnapshot",
    "RestoreDBInstanceFromS3",
    "RestoreDBInstanceToPointInTime",
];

pub static META: Meta = Meta {
    id: "rds-instance-made-public",
    title: "AWS RDS Instance Made Publicly Accessible",
    description: "A database instance was changed, or restored from a backup, with public access \
                  turned on: it gets an address reachable from the internet, and only its security \
                  groups and password stand between the data and anyone who finds it.",
    severity: Severity::Medium,
    attack: &["T1537", "T1133"],
    origins: &["trailwatch: based on RDS exposure techniques (ModifyDBInstance / RestoreDBInstance* \
                with publiclyAccessible true)"],
    group: "data-exposure",
    false_positives: &["Databases meant to be reached from outside, behind tight security groups."],
    next_steps: "Check the instance's security groups for open inbound rules, whether the change was \
                 planned, and connections since; turn public access off if not needed.",
    triggers: &[Trigger::write("rds.amazonaws.com", NAMES)],
    window: None,
};

impl Detection for RdsInstanceMadePublic {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, "rds.amazonaws.com", NAMES)
            || rec.request_param("publiclyAccessible").and_then(flag_value) != Some(true)
        {
            return None;
        }
        let instance = rec
            .request_param_str("dBInstanceIdentifier")
            .or_else(|| rec.request_param_str("targetDBInstanceIdentifier"));
        fire(
            Evidence::new()
                .with_opt("db_instance", instance)
                .with_opt("from_snapshot", rec.request_param_str("dBSnapshotIdentifier"))
                .with_opt("replica_of", rec.request_param_str("sourceDBInstanceIdentifier")),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, failed, record};
    use crate::detections::common::testing::fires;

    #[test]
    fn fires_on_modify_or_restore_as_public() {
        assert!(fires(&RdsInstanceMadePublic, &record("rds.amazonaws.com", "ModifyDBInstance", ROLE,
            r#"{"dBInstanceIdentifier":"orders-prod","publiclyAccessible":true,"applyImmediately":true}"#, "")));
        assert!(fires(&RdsInstanceMadePublic, &record("rds.amazonaws.com", "RestoreDBInstanceFromDBSnapshot", ROLE,
            r#"{"dBInstanceIdentifier":"copy-1","dBSnapshotIdentifier":"orders-nightly","publiclyAccessible":"true"}"#, "")));
        let replica = r#"{"dBInstanceIdentifier":"orders-replica","sourceDBInstanceIdentifier":"orders-prod","publiclyAccessible":true}"#;
        match crate::detections::common::testing::eval(&RdsInstanceMadePublic, &record("rds.amazonaws.com", "CreateDBInstanceReadReplica", ROLE, replica, "")) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("db_instance").and_then(|v| v.as_str()), Some("orders-replica"));
                assert_eq!(e.get("replica_of").and_then(|v| v.as_str()), Some("orders-prod"));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let private = replica.replace("true", "false");
        assert!(!fires(&RdsInstanceMadePublic, &record("rds.amazonaws.com", "CreateDBInstanceReadReplica", ROLE, &private, "")));
    }

    #[test]
    fn near_misses() {
        for params in [
            r#"{"dBInstanceIdentifier":"orders-prod","publiclyAccessible":false}"#,
            r#"{"dBInstanceIdentifier":"orders-prod","allocatedStorage":200}"#,
            "null",
        ] {
            assert!(!fires(&RdsInstanceMadePublic, &record("rds.amazonaws.com", "ModifyDBInstance", ROLE, params, "")), "{params}");
        }
        let public = r#"{"dBInstanceIdentifier":"orders-prod","publiclyAccessible":true}"#;
        assert!(!fires(&RdsInstanceMadePublic, &failed("rds.amazonaws.com", "ModifyDBInstance", ROLE, public, "InvalidVPCNetworkStateFault")));
        assert!(!fires(&RdsInstanceMadePublic, &record("rds.amazonaws.com", "CreateDBInstance", ROLE, public, "")));
    }
}
