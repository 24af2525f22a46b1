//! The first read of an EBS snapshot's blocks through the EBS direct APIs by a
//! caller in ten days (`ListSnapshotBlocks` or `ListChangedBlocks`, which every
//! block read starts with: data events of `ebs.amazonaws.com`), successfully.
//!
//! Decisions: the direct APIs read a snapshot block by block from anywhere, without
//! sharing it, copying it or attaching a volume: the quietest way to take a disk
//! out (open tools download whole snapshots this way). Backup products use them
//! every night, so a first-seen term keeps them quiet after their first run: the
//! term is the account and the caller (the role of an assumed-role session, as
//! other first-seen detections do: `common::account_principal_term`), not the
//! snapshot, since a backup reads a new snapshot every night. Reads AWS services
//! make on their own are left out.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, WindowSpec};
use crate::detections::common::{account_principal_term, aws_service_caller, succeeded_call};
use crate::event::Record;

pub struct EbsDirectSnapshotReadFirstSeen;

const EBS: &str = "ebs.amazonaws.com";
/// The listing calls only: a block read (`GetSnapshotBlock`, one event per 512 KiB)
/// needs a token that one of them returned, so they see every reader, at a
/// millionth of the volume of a whole disk's block reads.
const CALLS: &[&str] = &["ListChangedBlocks", "ListSnapshotBlocks"];

pub static META: Meta = Meta {
    id: "ebs-direct-snapshot-read-first-seen",
    title: "AWS EBS Snapshot Read Through the Direct APIs by a New Caller",
    description: "A caller read an EBS snapshot's blocks through the EBS direct APIs for the \
                  first time in ten days. These calls download a disk's contents from \
                  anywhere, without sharing, copying or attaching anything that would show.",
    severity: Severity::Medium,
    attack: &["T1537", "T1005"],
    origins: &[
        "trailwatch: from a red-team gap hunt (snapshots downloaded block by block through \
         the EBS direct APIs)",
    ],
    group: "backup-exposure",
    false_positives: &[
        "A backup or disaster-recovery product reading snapshots for the first time, or after \
         a pause of more than ten days.",
    ],
    next_steps: "Check who the caller is and whether it runs backups. If not, find which \
                 snapshots it read (the snapshot ids in the evidence and the following \
                 calls), what the disks held, and revoke the credentials.",
    evidence: "api snapshot",
    triggers: &[Trigger::data(EBS, CALLS)],
    window: Some(WindowSpec::FirstSeen { days: 10 }),
};

impl Detection for EbsDirectSnapshotReadFirstSeen {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, EBS, CALLS) || aws_service_caller(rec) {
            return None;
        }
        let snapshot = rec
            .request_param_str("snapshotId")
            .or_else(|| rec.request_param_str("secondSnapshotId"));
        Some(Signal::FirstSeen {
            term: account_principal_term(rec),
            evidence: Evidence::new()
                .with("api", rec.event_name())
                .with_opt("snapshot", snapshot),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::eval;

    #[test]
    fn each_read_gives_the_callers_term() {
        for name in CALLS {
            match eval(&EbsDirectSnapshotReadFirstSeen, &record(EBS, name, ROLE, r#"{"snapshotId":"snap-0a1b2c3d4e5f60718"}"#, "")) {
                Some(Signal::FirstSeen { term, evidence }) => {
                    assert_eq!(term, account_principal_term(&crate::event::Record::from_json(&record(EBS, name, ROLE, "{}", "")).unwrap()));
                    assert_eq!(evidence.get("snapshot").and_then(|v| v.as_str()), Some("snap-0a1b2c3d4e5f60718"), "{name}");
                }
                other => panic!("expected a term for {name}, got {other:?}"),
            }
        }
    }

    #[test]
    fn writes_services_and_failures_give_none() {
        let p = r#"{"snapshotId":"snap-1"}"#;
        assert_eq!(eval(&EbsDirectSnapshotReadFirstSeen, &record(EBS, "PutSnapshotBlock", ROLE, p, "")), None);
        assert_eq!(eval(&EbsDirectSnapshotReadFirstSeen, &record(EBS, "GetSnapshotBlock", ROLE, p, "")), None);
        assert_eq!(eval(&EbsDirectSnapshotReadFirstSeen, &record(EBS, "ListSnapshotBlocks", SERVICE, p, "")), None);
        assert_eq!(eval(&EbsDirectSnapshotReadFirstSeen, &failed(EBS, "ListSnapshotBlocks", ROLE, p, "AccessDeniedException")), None);
        assert_eq!(eval(&EbsDirectSnapshotReadFirstSeen, &record("ec2.amazonaws.com", "ListSnapshotBlocks", ROLE, p, "")), None);
    }
}
