//! An EFS mount target deleted (`DeleteMountTarget`), successfully.
//!
//! Decision: success only (Sigma matches any outcome); a denied call changes nothing.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::succeeded_call;
use crate::event::Record;

pub struct EfsMountTargetDeleted;

pub static META: Meta = Meta {
    id: "efs-mount-target-deleted",
    title: "AWS EFS Mount Target Deleted",
    description: "A mount target of an Elastic File System was deleted: the instances of that \
                  subnet lose access to the file system. Deleting every mount target is also the \
                  step that must come before deleting the file system itself.",
    severity: Severity::Low,
    attack: &["T1485", "T1489"],
    origins: &["SigmaHQ rules/cloud/aws/cloudtrail/aws_efs_fileshare_mount_modified_or_deleted.yml"],
    group: "backup-exposure",
    false_positives: &["Network changes and teardown of environments by infrastructure as code."],
    next_steps: "Check whether the file system still has mount targets and whether a deletion of \
                 the file system followed; confirm the change with its owner.",
    evidence: "mount_target_id",
    triggers: &[Trigger::write("elasticfilesystem.amazonaws.com", &["DeleteMountTarget"])],
    window: None,
};

impl Detection for EfsMountTargetDeleted {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, "elasticfilesystem.amazonaws.com", &["DeleteMountTarget"]) {
            return None;
        }
        fire(Evidence::new().with_opt("mount_target_id", rec.request_param_str("mountTargetId")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, failed, record};
    use crate::detections::common::testing::fires;

    const DELETE: &str = r#"{"mountTargetId":"fsmt-0a1b2c3d4e5f60718"}"#;

    #[test]
    fn fires_on_a_deletion_only() {
        assert!(fires(&EfsMountTargetDeleted, &record("elasticfilesystem.amazonaws.com", "DeleteMountTarget", ROLE, DELETE, "")));
        assert!(!fires(&EfsMountTargetDeleted, &failed("elasticfilesystem.amazonaws.com", "DeleteMountTarget", ROLE, DELETE, "MountTargetNotFound")));
        assert!(!fires(&EfsMountTargetDeleted, &record("elasticfilesystem.amazonaws.com", "CreateMountTarget", ROLE, DELETE, "")));
    }
}
