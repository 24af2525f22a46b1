//! An instance's root volume replaced from a machine image
//! (`CreateReplaceRootVolumeTask` naming an `ImageId`), successfully.
//!
//! Decisions: from an evasion review. The instance reboots onto the new root
//! volume with its instance profile and network kept, so an image of the
//! caller's choosing runs its code as root with the instance's role: the same
//! result as `ec2-user-data-modified` or `ec2-stop-modify-user-data-start`,
//! without touching the user data or stopping the instance. A replacement that
//! restores the instance's launch state brings back what the owner launched, and
//! one from a snapshot must be a snapshot of that instance's own root volume (a
//! roll-back, from a review): neither counts. EC2 logs this call's request
//! wrapped in `CreateReplaceRootVolumeTaskRequest` with PascalCase keys; the flat
//! lowerCamel form is read too. Calls AWS services make on their own are left
//! out; a stack's count.

use serde_json::Value;

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_caller_but_stack, call_context, succeeded_call};
use crate::event::Record;

pub struct Ec2RootVolumeReplaced;

const EC2: &str = "ec2.amazonaws.com";
const NAMES: &[&str] = &["CreateReplaceRootVolumeTask"];

pub static META: Meta = Meta {
    id: "ec2-root-volume-replaced",
    title: "AWS EC2 Root Volume Replaced from an Image",
    description: "A running instance's root volume was replaced from a machine image. The \
                  instance restarts on it with its role and network kept, so an image of \
                  the caller's choosing runs its own code as root with the instance's \
                  credentials, without the user data changing.",
    severity: Severity::High,
    attack: &["T1578", "T1059", "T1078.004"],
    origins: &[
        "trailwatch: from an evasion review (root volume replacement as the user-data \
         attack's twin)",
    ],
    group: "compute-network",
    false_positives: &[
        "Operations patching long-lived instances in place by replacing their root volume \
         with a newer image: exempt the patching role by its ARN in the tuning file.",
    ],
    next_steps: "Check the image named: who owns it and what it holds. If it is not the \
                 organisation's, stop the instance, review what the instance's role did \
                 since the replacement and revoke the caller's credentials.",
    evidence: "image_id instance_id region source_ip user_agent",
    triggers: &[Trigger::write(EC2, NAMES)],
    window: None,
};

/// A field of the request: PascalCase in the wrapper, else lowerCamel at the top.
fn field<'r>(rec: &'r Record<'_>, pascal: &str, camel: &str) -> Option<&'r str> {
    rec.request_param("CreateReplaceRootVolumeTaskRequest")
        .and_then(|w| w.get(pascal))
        .or_else(|| rec.request_param(camel))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

impl Detection for Ec2RootVolumeReplaced {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, EC2, NAMES) || aws_service_caller_but_stack(rec) {
            return None;
        }
        let image = field(rec, "ImageId", "imageId")?;
        fire(
            call_context(rec)
                .with_opt("instance_id", field(rec, "InstanceId", "instanceId"))
                .with("image_id", image),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::compute_testing::{DENIED, IAM_USER, ROLE, SERVICE, record};
    use crate::detections::common::testing::{fired_evidence, fires};

    fn wrapped(inner: &str) -> String {
        format!(r#"{{"CreateReplaceRootVolumeTaskRequest":{{"InstanceId":"i-0a1b2c3d4e5f60001"{inner}}}}}"#)
    }

    #[test]
    fn an_image_fires_in_either_form() {
        let image = record(EC2, NAMES[0], ROLE, &wrapped(r#","ImageId":"ami-0f1e2d3c4b5a69788""#), "");
        let e = fired_evidence(&Ec2RootVolumeReplaced, &image);
        assert_eq!(e.get("image_id").and_then(|v| v.as_str()), Some("ami-0f1e2d3c4b5a69788"));
        assert_eq!(e.get("instance_id").and_then(|v| v.as_str()), Some("i-0a1b2c3d4e5f60001"));
        let by_user = record(EC2, NAMES[0], IAM_USER, &wrapped(r#","ImageId":"ami-0f1e2d3c4b5a69788""#), "");
        assert!(fires(&Ec2RootVolumeReplaced, &by_user));
        let flat = record(EC2, NAMES[0], ROLE, r#"{"instanceId":"i-0a1b2c3d4e5f60001","imageId":"ami-0f1e2d3c4b5a69788"}"#, "");
        assert!(fires(&Ec2RootVolumeReplaced, &flat));
    }

    #[test]
    fn the_launch_state_a_snapshot_failures_and_services_do_not_runbooks_do() {
        let launch_state = record(EC2, NAMES[0], ROLE, &wrapped(r#","DeleteReplacedRootVolume":true"#), "");
        assert!(!fires(&Ec2RootVolumeReplaced, &launch_state));
        // A snapshot of the instance's own root volume: a roll-back.
        let snapshot = record(EC2, NAMES[0], ROLE, &wrapped(r#","SnapshotId":"snap-0a1b2c3d4e5f60718""#), "");
        assert!(!fires(&Ec2RootVolumeReplaced, &snapshot));
        let image = wrapped(r#","ImageId":"ami-0f1e2d3c4b5a69788""#);
        assert!(!fires(&Ec2RootVolumeReplaced, &record(EC2, NAMES[0], ROLE, &image, DENIED)));
        assert!(!fires(&Ec2RootVolumeReplaced, &record(EC2, NAMES[0], SERVICE, &image, "")));
        // A runbook's call is its runner's.
        let runbook = record(EC2, NAMES[0], ROLE, &image, "")
            .replace(r#""accountId":"111122223333""#, r#""accountId":"111122223333","invokedBy":"ssm.amazonaws.com""#);
        assert!(runbook.contains("invokedBy"));
        assert!(fires(&Ec2RootVolumeReplaced, &runbook));
        let empty = record(EC2, NAMES[0], ROLE, &wrapped(r#","ImageId":" ""#), "");
        assert!(!fires(&Ec2RootVolumeReplaced, &empty));
    }
}
