//! One principal working a snapshot through at least two of the steps of
//! snapshot exfiltration within five minutes: `CreateSnapshot`,
//! `DescribeSnapshotAttribute`, `ModifySnapshotAttribute`, `DeleteSnapshot`.
//!
//! Decisions: the group is account, principal (the role of an assumed-role
//! session, whatever the session: `account_role_term`) and snapshot; the value is
//! the event name. Splunk's rule groups by user and source IP; a new session or
//! another address (CloudShell, a Lambda) between the steps split that (from a
//! review), and the snapshot already ties the steps: the addresses are evidence.
//! The snapshot ties the steps
//! together: the one a call names (`snapshotId`, a copy's `sourceSnapshotId`) or
//! creates (the response's `snapshotId`, or each of `snapshotSet.items` for
//! `CreateSnapshots`); a call touching several counts for each
//! (`Detection::further_signals`), a copy for its source and its new snapshot. So a
//! rotation job creating one snapshot and deleting older ones works no snapshot
//! through two steps, and a record that names none counts under `unknown`. Only successful calls count (a denied
//! call moves nothing), and calls by AWS services (AWS Backup, Data Lifecycle
//! Manager, GuardDuty malware scans: `AWSService` or `invokedBy`) are skipped.
//! `CreateSnapshots` (every volume of an instance in one call) and `CopySnapshot`
//! (the copy under a customer key that a snapshot of the default EBS key needs before
//! it can be shared) are the creation step too: they count as `CreateSnapshot`, so a
//! creation followed by a copy is one step, not two.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, Repeats, Countable, WindowSpec};
use crate::detections::common::{account_role_term, aws_service_caller};
use crate::event::Record;

pub struct Ec2SnapshotExfiltrationSequence;

const WRITES: &[&str] = &[
    "CreateSnapshot",
    "CreateSnapshots",
    "CopySnapshot",
    "DeleteSnapshot",
    "ModifySnapshotAttribute",
];
const READS: &[&str] = &["DescribeSnapshotAttribute"];
/// The steps the window counts: the calls above, a batch creation and a copy
/// counted as `CreateSnapshot`.
const STEPS: &[&str] = &[
    "CreateSnapshot",
    "DeleteSnapshot",
    "ModifySnapshotAttribute",
    "DescribeSnapshotAttribute",
];

pub static META: Meta = Meta {
    id: "ec2-snapshot-exfiltration-sequence",
    title: "AWS EC2 Snapshot Exfiltration Steps",
    description: "Within five minutes the same principal performed at least two \
                  different steps of the usual snapshot exfiltration: creating a snapshot, reading \
                  or changing who may use it, deleting it. Together they describe a disk being \
                  copied out and the traces removed.",
    severity: Severity::Medium,
    attack: &["T1537"],
    origins: &["Splunk ESCU detections/cloud/aws_exfiltration_via_ec2_snapshot.yml"],
    group: "backup-exposure",
    false_positives: &[
        "Administrators preparing a snapshot share, or creating one and deleting it again, \
         by hand.",
        "Two runs of one automation role (or two people on one shared SAML role) working \
         the same snapshot within five minutes, one creating it and one sharing or \
         deleting it: the role's sessions count together.",
    ],
    next_steps: "List the snapshots the caller touched and whether any was shared with another \
                 account (see ebs-snapshot-shared). Remove shares that are not expected and review \
                 how the caller got its credentials.",
    evidence: "instance_id snapshot_id source_ip",
    triggers: &[
        Trigger::write("ec2.amazonaws.com", WRITES),
        Trigger::read_only("ec2.amazonaws.com", READS),
    ],
    window: Some(WindowSpec::Distinct {
        window_secs: 300,
        min_distinct: 2,
        repeats: Repeats::Always,
        values: Countable::OneOf(STEPS),
    }),
};

impl Detection for Ec2SnapshotExfiltrationSequence {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        let ids = snapshots(rec);
        step(rec, ids.first().map_or("unknown", String::as_str))
    }

    /// A call touching several snapshots (a copy, `CreateSnapshots`) counts for each.
    fn further_signals(&self, rec: &Record<'_>) -> Vec<Signal> {
        snapshots(rec)
            .iter()
            .skip(1)
            .filter_map(|id| step(rec, id))
            .collect()
    }
}

/// The snapshots a call names or creates, each once, in that order.
fn snapshots(rec: &Record<'_>) -> Vec<String> {
    let created = rec
        .response_element("snapshotSet")
        .and_then(|s| s.get("items"))
        .and_then(|i| i.as_array())
        .into_iter()
        .flatten()
        .filter_map(|i| i.get("snapshotId").and_then(|v| v.as_str()));
    let named = [
        rec.request_param_str("snapshotId"),
        rec.request_param_str("sourceSnapshotId"),
        rec.response_element("snapshotId").and_then(|v| v.as_str()),
    ];
    let mut out: Vec<String> = Vec::new();
    for id in named.into_iter().flatten().chain(created) {
        let id = id.trim();
        if !id.is_empty() && !out.iter().any(|o| o == id) {
            out.push(id.to_owned());
        }
    }
    out
}

/// The step `rec` is on `snapshot`, if it is one (see the module's decisions).
fn step(rec: &Record<'_>, snapshot: &str) -> Option<Signal> {
    let name = rec.event_name();
    if rec.event_source() != "ec2.amazonaws.com"
        || !(WRITES.contains(&name) || READS.contains(&name))
        || !rec.succeeded()
        || aws_service_caller(rec)
    {
        return None;
    }
    let step = match name {
        "CreateSnapshots" | "CopySnapshot" => "CreateSnapshot",
        other => other,
    };
    Some(Signal::Distinct {
        group: format!("{}|{snapshot}", account_role_term(rec)),
        value: step.to_owned(),
        evidence: Evidence::new()
            .with("snapshot_id", snapshot)
            .with_opt("source_ip", rec.source_ip())
            .with_opt("instance_id", rec.request_param("instanceSpecification").and_then(|i| i.get("instanceId")).and_then(|v| v.as_str())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, USER, failed, record};
    use crate::detections::common::testing::eval;

    #[test]
    fn batch_creations_and_copies_are_the_creation_step() {
        for (name, params) in [
            ("CreateSnapshots", r#"{"instanceSpecification":{"instanceId":"i-0a1b2c3d","excludeBootVolume":false}}"#),
            ("CopySnapshot", r#"{"sourceSnapshotId":"snap-0a1b2c3d","sourceRegion":"us-east-1","encrypted":true,"kmsKeyId":"alias/exfil"}"#),
        ] {
            match eval(&Ec2SnapshotExfiltrationSequence, &record("ec2.amazonaws.com", name, USER, params, "")) {
                Some(Signal::Distinct { value, .. }) => assert_eq!(value, "CreateSnapshot", "{name}"),
                other => panic!("expected an observation for {name}, got {other:?}"),
            }
        }
    }

    /// From a review: the steps count per principal (an assumed role's
    /// sessions together) and snapshot, whatever the address: a new session or
    /// another address between the steps split the group before.
    #[test]
    fn counts_step_names_per_principal_whatever_the_address_or_session() {
        let group = |who: &str, ip: &str| match eval(
            &Ec2SnapshotExfiltrationSequence,
            &record("ec2.amazonaws.com", "CreateSnapshot", who, r#"{"volumeId":"vol-1"}"#, "").replace("203.0.113.77", ip),
        ) {
            Some(Signal::Distinct { group, value, .. }) => {
                assert_eq!(value, "CreateSnapshot");
                group
            }
            other => panic!("expected an observation, got {other:?}"),
        };
        assert_eq!(group(USER, "203.0.113.77"), "111122223333|arn:aws:iam::111122223333:user/mallory|unknown");
        assert_eq!(group(USER, "203.0.113.77"), group(USER, "198.51.100.9"));
        let other_session = ROLE.replace("ops-session", "ops-session-2");
        assert_ne!(other_session, ROLE);
        assert_eq!(group(ROLE, "203.0.113.77"), group(&other_session, "2001:db8::1"));
        assert!(group(ROLE, "203.0.113.77").contains(":role/"), "{}", group(ROLE, "203.0.113.77"));
        let read = record("ec2.amazonaws.com", "DescribeSnapshotAttribute", ROLE, r#"{"snapshotId":"snap-1","attribute":"createVolumePermission"}"#, "");
        assert!(matches!(eval(&Ec2SnapshotExfiltrationSequence, &read), Some(Signal::Distinct { .. })));
    }

    #[test]
    fn skips_failures_services_and_other_calls() {
        assert_eq!(eval(&Ec2SnapshotExfiltrationSequence, &failed("ec2.amazonaws.com", "DeleteSnapshot", ROLE, r#"{"snapshotId":"snap-1"}"#, "InvalidSnapshot.InUse")), None);
        assert_eq!(eval(&Ec2SnapshotExfiltrationSequence, &record("ec2.amazonaws.com", "CreateSnapshot", SERVICE, r#"{"volumeId":"vol-1"}"#, "")), None);
        assert_eq!(eval(&Ec2SnapshotExfiltrationSequence, &record("ec2.amazonaws.com", "DescribeSnapshots", ROLE, "{}", "")), None);
    }

    /// From a review: a rotation job creates a snapshot and deletes older ones, no
    /// snapshot taken through two steps; the steps of one snapshot share a group.
    #[test]
    fn steps_are_tied_by_snapshot() {
        let group = |json: &str| -> Vec<String> {
            let rec = Record::from_json(json).unwrap();
            let mut out: Vec<String> = Ec2SnapshotExfiltrationSequence
                .evaluate(&rec)
                .into_iter()
                .chain(Ec2SnapshotExfiltrationSequence.further_signals(&rec))
                .map(|s| match s {
                    Signal::Distinct { group, .. } => group.rsplit('|').next().unwrap_or_default().to_owned(),
                    other => panic!("unexpected {other:?}"),
                })
                .collect();
            out.sort();
            out
        };
        let created = record("ec2.amazonaws.com", "CreateSnapshot", ROLE, r#"{"volumeId":"vol-1"}"#, "")
            .replace(r#""responseElements":null"#, r#""responseElements":{"snapshotId":"snap-new","volumeId":"vol-1"}"#);
        assert_eq!(group(&created), ["snap-new"]);
        let deleted = record("ec2.amazonaws.com", "DeleteSnapshot", ROLE, r#"{"snapshotId":"snap-old1"}"#, "");
        assert_eq!(group(&deleted), ["snap-old1"]);
        let copied = record("ec2.amazonaws.com", "CopySnapshot", ROLE, r#"{"sourceSnapshotId":"snap-new","sourceRegion":"us-east-1"}"#, "")
            .replace(r#""responseElements":null"#, r#""responseElements":{"snapshotId":"snap-copy"}"#);
        assert_eq!(group(&copied), ["snap-copy", "snap-new"]);
        let batch = record("ec2.amazonaws.com", "CreateSnapshots", ROLE, r#"{"instanceSpecification":{"instanceId":"i-1"}}"#, "")
            .replace(r#""responseElements":null"#, r#""responseElements":{"snapshotSet":{"items":[{"snapshotId":"snap-a"},{"snapshotId":"snap-b"}]}}"#);
        assert_eq!(group(&batch), ["snap-a", "snap-b"]);
    }
}
