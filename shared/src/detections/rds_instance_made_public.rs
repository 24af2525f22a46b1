//! An RDS database made reachable from the internet: `ModifyDBInstance`, a
//! restore from a snapshot, a point in time or a backup in S3
//! (`RestoreDBInstanceFromS3`), a read replica of an existing database, or a new
//! instance added to an existing Aurora cluster, with `publiclyAccessible` true,
//! successfully; or a Multi-AZ DB cluster changed the same way (`ModifyDBCluster`).
//!
//! Decisions: `CreateDBInstance` with public access is left out when it makes a new
//! database (new public databases are a configuration matter, and infrastructure as
//! code creates them daily); turning an existing database public, or restoring or
//! replicating a copy of one as public (`CreateDBInstanceReadReplica` keeps the copy
//! in sync), is how data is exposed or pulled out. So is a `CreateDBInstance` that
//! names a `dBClusterIdentifier`: the new instance serves the existing cluster's
//! data, and an Aurora cluster's public access is set on its instances.
//! `publiclyAccessible` may be a JSON boolean or text. A restore, replica or cluster
//! member that does not say is public when RDS made it so: a copy whose subnets are
//! in a VPC with an internet gateway (the default VPC's, when no subnet group is
//! named) is public by default, and the response (the new instance) says which. A
//! change that does not say leaves access as it was. Aurora's public access is set
//! on its instances (`ModifyDBInstance`); `ModifyDBCluster` sets it for Multi-AZ DB
//! clusters, and so do their restores (`RestoreDBClusterFromSnapshot`,
//! `RestoreDBClusterToPointInTime`), judged as the instances' restores are.
//! After an evasion review, a Redshift cluster too: changed or restored from a
//! snapshot with `publiclyAccessible` true (`ModifyCluster`,
//! `RestoreFromClusterSnapshot`), the same exposure of a warehouse. After a later
//! review, a Redshift Serverless workgroup (`UpdateWorkgroup` with
//! `publiclyAccessible` true) and a Neptune Analytics graph (`UpdateGraph` with
//! `publicConnectivity` true).

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{flag_value, succeeded_call};
use crate::event::Record;

pub struct RdsInstanceMadePublic;

const NAMES: &[&str] = &[
    "CreateDBInstance",
    "CreateDBInstanceReadReplica",
    "ModifyDBCluster",
    "ModifyDBInstance",
    "RestoreDBClusterFromSnapshot",
    "RestoreDBClusterToPointInTime",
    "RestoreDBInstanceFromDBSnapshot",
    "RestoreDBInstanceFromS3",
    "RestoreDBInstanceToPointInTime",
];
const REDSHIFT: &str = "redshift.amazonaws.com";
const REDSHIFT_NAMES: &[&str] = &["ModifyCluster", "RestoreFromClusterSnapshot"];
const REDSHIFT_SERVERLESS: &str = "redshift-serverless.amazonaws.com";
const NEPTUNE_GRAPH: &str = "neptune-graph.amazonaws.com";

pub static META: Meta = Meta {
    id: "rds-instance-made-public",
    title: "AWS Database Made Publicly Accessible",
    description: "An RDS database instance or Multi-AZ cluster, a Redshift cluster or \
                  serverless workgroup, or a Neptune Analytics graph was changed, or an \
                  instance restored from a backup, replicated or added to an existing \
                  cluster, with public access turned on (`service` in the evidence says \
                  which): it gets an address \
                  reachable from the internet, and only its security groups and password stand \
                  between the data and anyone who finds it.",
    severity: Severity::Medium,
    attack: &["T1537", "T1133"],
    origins: &["trailwatch: based on RDS exposure techniques (ModifyDBInstance / RestoreDBInstance* \
                with publiclyAccessible true)"],
    group: "backup-exposure",
    false_positives: &["Databases meant to be reached from outside, behind tight security groups."],
    next_steps: "Check the database's security groups for open inbound rules, whether the change was \
                 planned, and connections since; turn public access off if not needed.",
    evidence: "db_cluster db_instance from_snapshot graph replica_of restored_from service \
        workgroup",
    triggers: &[
        Trigger::write("rds.amazonaws.com", NAMES),
        Trigger::write(REDSHIFT, REDSHIFT_NAMES),
        Trigger::write(REDSHIFT_SERVERLESS, &["UpdateWorkgroup"]),
        Trigger::write(NEPTUNE_GRAPH, &["UpdateGraph"]),
    ],
    window: None,
};

impl Detection for RdsInstanceMadePublic {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        let opened = |key: &str| rec.request_param(key).and_then(flag_value) == Some(true);
        if succeeded_call(rec, REDSHIFT_SERVERLESS, &["UpdateWorkgroup"]) && opened("publiclyAccessible") {
            return fire(
                Evidence::new()
                    .with("service", "Redshift Serverless")
                    .with_opt("workgroup", rec.request_param_str("workgroupName")),
            );
        }
        if succeeded_call(rec, NEPTUNE_GRAPH, &["UpdateGraph"]) && opened("publicConnectivity") {
            return fire(
                Evidence::new()
                    .with("service", "Neptune Analytics")
                    .with_opt("graph", rec.request_param_str("graphIdentifier")),
            );
        }
        let rds = succeeded_call(rec, "rds.amazonaws.com", NAMES);
        if !(rds || succeeded_call(rec, REDSHIFT, REDSHIFT_NAMES)) || !made_public(rec) {
            return None;
        }
        // A new database of its own is left out; a new member of a cluster is not.
        if rec.event_name() == "CreateDBInstance" && rec.request_param_str("dBClusterIdentifier").is_none() {
            return None;
        }
        let instance = rec
            .request_param_str("dBInstanceIdentifier")
            .or_else(|| rec.request_param_str("targetDBInstanceIdentifier"));
        // Named first (a notification's subject shows the first evidence):
        // a responder must know which service's commands to run (from a
        // responder's review: a Redshift cluster read as an RDS database).
        fire(
            Evidence::new()
                .with("service", if rds { "RDS" } else { "Redshift" })
                .with_opt("db_instance", instance)
                .with_opt(
                    "db_cluster",
                    rec.request_param_str("dBClusterIdentifier")
                        .or_else(|| rec.request_param_str("clusterIdentifier")),
                )
                .with_opt(
                    "from_snapshot",
                    rec.request_param_str("dBSnapshotIdentifier")
                        .or_else(|| rec.request_param_str("snapshotIdentifier")),
                )
                .with_opt(
                    source_key(rec),
                    rec.request_param_str("sourceDBInstanceIdentifier")
                        .or_else(|| rec.request_param_str("sourceDBClusterIdentifier")),
                ),
        )
    }
}

/// What `sourceDBInstanceIdentifier` is to the new instance: the database a read
/// replica follows, or the one a point-in-time restore copied.
fn source_key(rec: &Record<'_>) -> &'static str {
    if rec.event_name() == "CreateDBInstanceReadReplica" {
        "replica_of"
    } else {
        "restored_from"
    }
}

/// The request turns public access on; or, for a new copy (a restore or a
/// replica) whose request does not say (no value, or `null`), RDS answered with a
/// public instance.
fn made_public(rec: &Record<'_>) -> bool {
    match rec.request_param("publiclyAccessible").filter(|v| !v.is_null()) {
        Some(v) => flag_value(v) == Some(true),
        None => {
            !rec.event_name().starts_with("Modify")
                && rec.response_element("publiclyAccessible").and_then(flag_value) == Some(true)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, failed, record};
    use crate::detections::common::testing::fires;

    /// From an evasion review: Redshift's clusters are made public the same way.
    #[test]
    fn a_redshift_cluster_made_public_fires() {
        for name in REDSHIFT_NAMES {
            let public = r#"{"clusterIdentifier":"analytics","snapshotIdentifier":"nightly","publiclyAccessible":true}"#.to_owned();
            assert!(fires(&RdsInstanceMadePublic, &record(REDSHIFT, name, ROLE, &public, "")), "{name}");
            let private = public.replace("true", "false");
            assert!(!fires(&RdsInstanceMadePublic, &record(REDSHIFT, name, ROLE, &private, "")), "{name}");
        }
        let resized = r#"{"clusterIdentifier":"analytics","numberOfNodes":4}"#;
        assert!(!fires(&RdsInstanceMadePublic, &record(REDSHIFT, "ModifyCluster", ROLE, resized, "")));
    }

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

    #[test]
    fn a_multi_az_cluster_restored_as_public_fires() {
        let from_snapshot = r#"{"dBClusterIdentifier":"orders-copy","snapshotIdentifier":"orders-maz-nightly",
            "engine":"postgres","dBClusterInstanceClass":"db.m6gd.large","publiclyAccessible":true}"#;
        match crate::detections::common::testing::eval(&RdsInstanceMadePublic, &record("rds.amazonaws.com", "RestoreDBClusterFromSnapshot", ROLE, from_snapshot, "")) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("db_cluster").and_then(|v| v.as_str()), Some("orders-copy"));
                assert_eq!(e.get("from_snapshot").and_then(|v| v.as_str()), Some("orders-maz-nightly"));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let in_time = r#"{"dBClusterIdentifier":"orders-pitr","sourceDBClusterIdentifier":"orders-maz","useLatestRestorableTime":true}"#;
        let rec = record("rds.amazonaws.com", "RestoreDBClusterToPointInTime", ROLE, in_time, "")
            .replace(r#""responseElements":null"#, r#""responseElements":{"dBClusterIdentifier":"orders-pitr","publiclyAccessible":true}"#);
        assert!(fires(&RdsInstanceMadePublic, &rec));
        let private = from_snapshot.replace("true", "false");
        assert!(!fires(&RdsInstanceMadePublic, &record("rds.amazonaws.com", "RestoreDBClusterFromSnapshot", ROLE, &private, "")));
    }

    #[test]
    fn a_public_instance_added_to_a_cluster_fires() {
        let member = r#"{"dBInstanceIdentifier":"orders-aurora-3","dBClusterIdentifier":"orders-aurora",
            "engine":"aurora-postgresql","dBInstanceClass":"db.r6g.large","publiclyAccessible":true}"#;
        match crate::detections::common::testing::eval(&RdsInstanceMadePublic, &record("rds.amazonaws.com", "CreateDBInstance", ROLE, member, "")) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("db_instance").and_then(|v| v.as_str()), Some("orders-aurora-3"));
                assert_eq!(e.get("db_cluster").and_then(|v| v.as_str()), Some("orders-aurora"));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let private = member.replace("true", "false");
        assert!(!fires(&RdsInstanceMadePublic, &record("rds.amazonaws.com", "CreateDBInstance", ROLE, &private, "")));
        let refused = failed("rds.amazonaws.com", "CreateDBInstance", ROLE, member, "InvalidVPCNetworkStateFault");
        assert!(!fires(&RdsInstanceMadePublic, &refused));
    }

    #[test]
    fn a_multi_az_cluster_made_public_fires() {
        let params = r#"{"dBClusterIdentifier":"orders-maz","publiclyAccessible":true,"applyImmediately":true}"#;
        match crate::detections::common::testing::eval(&RdsInstanceMadePublic, &record("rds.amazonaws.com", "ModifyDBCluster", ROLE, params, "")) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("db_cluster").and_then(|v| v.as_str()), Some("orders-maz"));
                assert_eq!(e.get("db_instance"), None);
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let resized = r#"{"dBClusterIdentifier":"orders-maz","allocatedStorage":400}"#;
        assert!(!fires(&RdsInstanceMadePublic, &record("rds.amazonaws.com", "ModifyDBCluster", ROLE, resized, "")));
    }

    /// A copy whose request does not say is what RDS made it: the response tells.
    #[test]
    fn a_restore_public_by_default_is_read_from_the_response() {
        let with_response = |name: &str, params: &str, public: &str| {
            record("rds.amazonaws.com", name, ROLE, params, "").replace(
                r#""responseElements":null"#,
                &format!(r#""responseElements":{{"dBInstanceIdentifier":"copy-2","publiclyAccessible":{public}}}"#),
            )
        };
        let silent = r#"{"dBInstanceIdentifier":"copy-2","dBSnapshotIdentifier":"orders-nightly"}"#;
        assert!(fires(&RdsInstanceMadePublic, &with_response("RestoreDBInstanceFromDBSnapshot", silent, "true")));
        let null = r#"{"dBInstanceIdentifier":"copy-2","dBSnapshotIdentifier":"orders-nightly","publiclyAccessible":null}"#;
        assert!(fires(&RdsInstanceMadePublic, &with_response("RestoreDBInstanceFromDBSnapshot", null, "true")));
        assert!(!fires(&RdsInstanceMadePublic, &with_response("RestoreDBInstanceFromDBSnapshot", silent, "false")));
        // The request decides when it says.
        let pitr = r#"{"targetDBInstanceIdentifier":"copy-3","sourceDBInstanceIdentifier":"orders-prod"}"#;
        match crate::detections::common::testing::eval(&RdsInstanceMadePublic, &with_response("RestoreDBInstanceToPointInTime", pitr, "true")) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("restored_from").and_then(|v| v.as_str()), Some("orders-prod"));
                assert_eq!(e.get("replica_of"), None);
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let private = r#"{"dBInstanceIdentifier":"copy-2","publiclyAccessible":false}"#;
        assert!(!fires(&RdsInstanceMadePublic, &with_response("RestoreDBInstanceToPointInTime", private, "true")));
        // A change that does not say leaves access as it was, whatever the instance is.
        let resize = r#"{"dBInstanceIdentifier":"copy-2","allocatedStorage":200}"#;
        assert!(!fires(&RdsInstanceMadePublic, &with_response("ModifyDBInstance", resize, "true")));
    }

    /// From a later review: a Serverless workgroup and a Neptune Analytics graph
    /// opened to the internet.
    #[test]
    fn serverless_warehouses_and_graphs_made_public_fire() {
        let workgroup = |flag: &str| {
            record(REDSHIFT_SERVERLESS, "UpdateWorkgroup", ROLE,
                &format!(r#"{{"workgroupName":"analytics","publiclyAccessible":{flag}}}"#), "")
        };
        assert!(fires(&RdsInstanceMadePublic, &workgroup("true")));
        assert!(!fires(&RdsInstanceMadePublic, &workgroup("false")));
        let graph = |flag: &str| {
            record(NEPTUNE_GRAPH, "UpdateGraph", ROLE,
                &format!(r#"{{"graphIdentifier":"g-0a1b2c3d4e","publicConnectivity":{flag}}}"#), "")
        };
        assert!(fires(&RdsInstanceMadePublic, &graph("true")));
        assert!(!fires(&RdsInstanceMadePublic, &graph("false")));
        // Each says which service it is, first (a responder's review).
        let service = |json: &str| match crate::detections::common::testing::eval(&RdsInstanceMadePublic, json) {
            Some(Signal::Fire(e)) => e.0.first().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default())),
            other => panic!("expected a finding, got {other:?}"),
        };
        assert_eq!(service(&workgroup("true")).as_deref(), Some("service=Redshift Serverless"));
        assert_eq!(service(&graph("true")).as_deref(), Some("service=Neptune Analytics"));
    }
}
