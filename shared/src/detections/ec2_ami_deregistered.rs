//! An AMI deregistered (`DeregisterImage`), successfully.
//!
//! Decisions: image pipelines deregister old AMIs every day, so this is low
//! severity; the finding says whether the backing snapshots were deleted too
//! (`deleteAssociatedSnapshots`), which makes the loss permanent. Calls by AWS
//! services (EC2 Image Builder, Data Lifecycle Manager: `AWSService` or `invokedBy`)
//! are skipped.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_caller, flag_value, succeeded_call};
use crate::event::Record;

pub struct Ec2AmiDeregistered;

pub static META: Meta = Meta {
    id: "ec2-ami-deregistered",
    title: "AWS EC2 AMI Deregistered",
    description: "A machine image was deregistered: it can no longer launch instances, which \
                  breaks auto scaling, recovery and deployments that rely on it. With its \
                  snapshots deleted as well, the image is gone for good.",
    severity: Severity::Low,
    attack: &["T1485"],
    origins: &["trailwatch: based on Stratus Red Team aws.impact.ec2-deregister-ami"],
    group: "backup-exposure",
    false_positives: &["Image pipelines (Packer, Image Builder) retiring old images."],
    next_steps: "Check whether launch templates or auto scaling groups still reference the image \
                 and whether its snapshots remain; re-register it from the snapshot if the \
                 removal was not planned.",
    evidence: "image_id snapshots_deleted",
    triggers: &[Trigger::write("ec2.amazonaws.com", &["DeregisterImage"])],
    window: None,
};

impl Detection for Ec2AmiDeregistered {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, "ec2.amazonaws.com", &["DeregisterImage"]) || aws_service_caller(rec)
        {
            return None;
        }
        let snapshots_deleted = rec
            .request_param("deleteAssociatedSnapshots")
            .and_then(flag_value)
            .unwrap_or(false);
        fire(
            Evidence::new()
                .with_opt("image_id", rec.request_param_str("imageId"))
                .with("snapshots_deleted", snapshots_deleted),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::{eval, fires};
    use serde_json::json;

    #[test]
    fn fires_and_says_whether_snapshots_went_too() {
        let rec = record("ec2.amazonaws.com", "DeregisterImage", ROLE, r#"{"imageId":"ami-0b87ea1d007078d18","deleteAssociatedSnapshots":true}"#, "");
        match eval(&Ec2AmiDeregistered, &rec) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("snapshots_deleted"), Some(&json!(true))),
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(fires(&Ec2AmiDeregistered, &record("ec2.amazonaws.com", "DeregisterImage", ROLE, "null", "")));
    }

    #[test]
    fn near_misses() {
        let p = r#"{"imageId":"ami-0b87ea1d007078d18"}"#;
        assert!(!fires(&Ec2AmiDeregistered, &failed("ec2.amazonaws.com", "DeregisterImage", ROLE, p, "InvalidAMIID.Unavailable")));
        assert!(!fires(&Ec2AmiDeregistered, &record("ec2.amazonaws.com", "DeregisterImage", SERVICE, p, "")));
        assert!(!fires(&Ec2AmiDeregistered, &record("ec2.amazonaws.com", "DisableImage", ROLE, p, "")));
    }
}
