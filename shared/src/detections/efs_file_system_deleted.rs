//! An EFS file system deleted (`DeleteFileSystem`), successfully.
//!
//! Decisions: Sigma's row matches any `DeleteFileSystem`, Elastic's only successful
//! ones; a failed deletion destroys nothing, so this is one detection, success only.
//! From a review: AWS Backup's restore testing deletes the file systems it restored
//! through its service-linked role, every day where it runs; deletions by AWS
//! service identities and service-linked roles (which only their service can
//! assume) are left out. A stack's deletion counts.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_or_linked_role, succeeded_call};
use crate::event::Record;

pub struct EfsFileSystemDeleted;

pub static META: Meta = Meta {
    id: "efs-file-system-deleted",
    title: "AWS EFS File System Deleted",
    description: "An Elastic File System was deleted, and every file on it with it. Unless a \
                  backup exists elsewhere, the data cannot be recovered.",
    severity: Severity::Medium,
    attack: &["T1485"],
    origins: &[
        "Elastic detection-rules impact_efs_filesystem_deleted.toml",
        "SigmaHQ rules/cloud/aws/cloudtrail/aws_efs_fileshare_modified_or_deleted.yml",
    ],
    group: "backup-exposure",
    false_positives: &["Decommissioning of an application or environment."],
    next_steps: "Confirm the deletion with the owner. If unplanned, restore from AWS Backup if a \
                 recovery point exists and review the caller's other deletions.",
    evidence: "file_system_id",
    triggers: &[Trigger::write("elasticfilesystem.amazonaws.com", &["DeleteFileSystem"])],
    window: None,
};

impl Detection for EfsFileSystemDeleted {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, "elasticfilesystem.amazonaws.com", &["DeleteFileSystem"])
            || aws_service_or_linked_role(rec)
        {
            return None;
        }
        fire(Evidence::new().with_opt("file_system_id", rec.request_param_str("fileSystemId")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, USER, failed, record};
    use crate::detections::common::testing::fires;

    const DELETE: &str = r#"{"fileSystemId":"fs-0a1b2c3d4e5f60718"}"#;

    #[test]
    fn fires_on_a_deletion() {
        assert!(fires(&EfsFileSystemDeleted, &record("elasticfilesystem.amazonaws.com", "DeleteFileSystem", USER, DELETE, "")));
        assert!(fires(&EfsFileSystemDeleted, &record("elasticfilesystem.amazonaws.com", "DeleteFileSystem", ROLE, "null", "")));
    }

    #[test]
    fn near_misses() {
        assert!(!fires(&EfsFileSystemDeleted, &failed("elasticfilesystem.amazonaws.com", "DeleteFileSystem", ROLE, DELETE, "FileSystemInUse")));
        assert!(!fires(&EfsFileSystemDeleted, &record("elasticfilesystem.amazonaws.com", "DeleteMountTarget", ROLE, DELETE, "")));
        assert!(!fires(&EfsFileSystemDeleted, &record("fsx.amazonaws.com", "DeleteFileSystem", ROLE, DELETE, "")));
    }
}
