//! An EC2 instance or image exported out of EC2 (`CreateInstanceExportTask`,
//! `ExportImage`, `CreateStoreImageTask`), successfully.
//!
//! Decisions: Sigma's "VM Export Failure" row, despite its title, matches successful
//! `CreateInstanceExportTask` calls, the same records as Elastic's row, so it is an
//! origin of this detection rather than a second one.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::succeeded_call;
use crate::event::Record;

pub struct Ec2ExportTask;

const NAMES: &[&str] = &["CreateInstanceExportTask", "CreateStoreImageTask", "ExportImage"];

pub static META: Meta = Meta {
    id: "ec2-export-task",
    title: "AWS EC2 Instance or Image Exported",
    description: "An EC2 instance or machine image was exported as a disk image to an S3 bucket. \
                  The disk leaves EC2 whole, with its data and secrets, and from the bucket it can \
                  be downloaded anywhere.",
    severity: Severity::Medium,
    attack: &["T1537", "T1005"],
    origins: &[
        "Elastic detection-rules exfiltration_ec2_export_task.toml",
        "SigmaHQ rules/cloud/aws/cloudtrail/aws_ec2_vm_export_failure.yml",
    ],
    group: "backup-exposure",
    false_positives: &["Migrations of virtual machines to on-premises or another cloud."],
    next_steps: "Check the destination bucket and who owns it, whether the export was planned, and \
                 what the instance held. Cancel running export tasks and review the caller.",
    evidence: "bucket image_id instance_id",
    triggers: &[Trigger::write("ec2.amazonaws.com", NAMES)],
    window: None,
};

impl Detection for Ec2ExportTask {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, "ec2.amazonaws.com", NAMES) {
            return None;
        }
        let bucket = rec
            .request_param("exportToS3")
            .or_else(|| rec.request_param("s3ExportLocation"))
            .and_then(|l| l.get("s3Bucket").or_else(|| l.get("S3Bucket")))
            .and_then(|b| b.as_str())
            .or_else(|| rec.request_param_str("bucket"));
        fire(
            Evidence::new()
                .with_opt("instance_id", rec.request_param_str("instanceId"))
                .with_opt("image_id", rec.request_param_str("imageId"))
                .with_opt("bucket", bucket),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, USER, failed, record};
    use crate::detections::common::testing::{eval, fires};
    use serde_json::json;

    #[test]
    fn fires_on_each_export_call() {
        let rec = record("ec2.amazonaws.com", "CreateInstanceExportTask", USER,
            r#"{"instanceId":"i-0123456789abcdef0","targetEnvironment":"vmware","exportToS3":{"diskImageFormat":"VMDK","containerFormat":"ova","s3Bucket":"exports-x","s3Prefix":"vm/"}}"#, "");
        match eval(&Ec2ExportTask, &rec) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("bucket"), Some(&json!("exports-x"))),
            other => panic!("expected a finding, got {other:?}"),
        }
        let image = record("ec2.amazonaws.com", "ExportImage", ROLE,
            r#"{"imageId":"ami-0abc","diskImageFormat":"VHD","s3ExportLocation":{"s3Bucket":"exports-y"}}"#, "");
        assert!(fires(&Ec2ExportTask, &image));
        let store = record("ec2.amazonaws.com", "CreateStoreImageTask", ROLE, r#"{"imageId":"ami-0abc","bucket":"exports-z"}"#, "");
        assert!(fires(&Ec2ExportTask, &store));
        assert!(fires(&Ec2ExportTask, &record("ec2.amazonaws.com", "ExportImage", ROLE, "null", "")));
    }

    #[test]
    fn near_misses() {
        let denied = failed("ec2.amazonaws.com", "CreateInstanceExportTask", USER, r#"{"instanceId":"i-1"}"#, "NotExportable");
        assert!(!fires(&Ec2ExportTask, &denied));
        assert!(!fires(&Ec2ExportTask, &record("ec2.amazonaws.com", "CancelExportTask", USER, r#"{"exportTaskId":"x"}"#, "")));
        assert!(!fires(&Ec2ExportTask, &record("ec2.amazonaws.com", "CreateImage", USER, r#"{"instanceId":"i-1"}"#, "")));
    }
}
