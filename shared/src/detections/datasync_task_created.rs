//! A DataSync task created (`CreateTask`), successfully.
//!
//! Decision: Splunk's row fires on every task with its source and destination
//! locations; the locations are ARNs of this account, so the request alone cannot
//! say where data goes. Every successful creation fires, low severity, with both
//! location ARNs for the analyst.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::succeeded_call;
use crate::event::Record;

pub struct DataSyncTaskCreated;

pub static META: Meta = Meta {
    id: "datasync-task-created",
    title: "AWS DataSync Task Created",
    description: "A DataSync task was created. DataSync copies whole file systems and buckets to \
                  other locations, including servers outside AWS and other clouds: a bulk \
                  exfiltration channel that moves data without touching an instance.",
    severity: Severity::Low,
    attack: &["T1537", "T1020"],
    origins: &["Splunk ESCU detections/cloud/aws_exfiltration_via_datasync_task.yml"],
    group: "data-exposure",
    false_positives: &["Migrations and backups run by storage administrators."],
    next_steps: "Look up the destination location (`DescribeLocation*`): where it points and who \
                 created it. Stop the task if unexpected and review the caller.",
    triggers: &[Trigger::write("datasync.amazonaws.com", &["CreateTask"])],
    window: None,
};

impl Detection for DataSyncTaskCreated {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, "datasync.amazonaws.com", &["CreateTask"]) {
            return None;
        }
        fire(
            Evidence::new()
                .with_opt("source_location", rec.request_param_str("sourceLocationArn"))
                .with_opt("destination_location", rec.request_param_str("destinationLocationArn"))
                .with_opt("name", rec.request_param_str("name")),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, failed, record};
    use crate::detections::common::testing::{eval, fires};
    use serde_json::json;

    const TASK: &str = r#"{"sourceLocationArn":"arn:aws:datasync:us-east-1:111122223333:location/loc-0a1b2c3d4e5f60718","destinationLocationArn":"arn:aws:datasync:us-east-1:111122223333:location/loc-08f7e6d5c4b3a2910","name":"nightly"}"#;

    #[test]
    fn fires_with_both_locations() {
        match eval(&DataSyncTaskCreated, &record("datasync.amazonaws.com", "CreateTask", ROLE, TASK, "")) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("destination_location"), Some(&json!("arn:aws:datasync:us-east-1:111122223333:location/loc-08f7e6d5c4b3a2910"))),
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(!fires(&DataSyncTaskCreated, &failed("datasync.amazonaws.com", "CreateTask", ROLE, TASK, "InvalidRequestException")));
        assert!(!fires(&DataSyncTaskCreated, &record("datasync.amazonaws.com", "StartTaskExecution", ROLE, TASK, "")));
    }
}
