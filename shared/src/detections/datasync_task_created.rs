//! A DataSync task created (`CreateTask`), successfully.
//!
//! Decision: Splunk's row fires on every task with its source and destination
//! locations; the locations are ARNs of this account, so the request alone cannot
//! say where data goes. Every successful creation fires, low severity, with both
//! location ARNs for the analyst.
//!
//! From an evasion review: an existing task needs no new one to send data
//! elsewhere when its location is pointed at another server
//! (`UpdateLocationSmb`, `UpdateLocationNfs`, `UpdateLocationObjectStorage` naming
//! a `serverHostname`, `UpdateLocationHdfs` naming `nameNodes`): such an update
//! counts, with the new host. Updates of credentials, paths or options alone do not.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{request_param_any, request_text_any, succeeded_call};
use crate::event::Record;

pub struct DataSyncTaskCreated;

const DATASYNC: &str = "datasync.amazonaws.com";
/// The location updates that can name another server.
const RE_POINTS: &[&str] = &[
    "UpdateLocationSmb",
    "UpdateLocationNfs",
    "UpdateLocationObjectStorage",
    "UpdateLocationHdfs",
];
const CALLS: &[&str] = &[
    "CreateTask",
    "UpdateLocationSmb",
    "UpdateLocationNfs",
    "UpdateLocationObjectStorage",
    "UpdateLocationHdfs",
];

pub static META: Meta = Meta {
    id: "datasync-task-created",
    title: "AWS DataSync Task Created or Location Re-pointed",
    description: "A DataSync task was created, or a location pointed at another server. \
                  DataSync copies whole file systems and buckets to \
                  other locations, including servers outside AWS and other clouds: a bulk \
                  exfiltration channel that moves data without touching an instance.",
    severity: Severity::Low,
    attack: &["T1537", "T1020"],
    origins: &["Splunk ESCU detections/cloud/aws_exfiltration_via_datasync_task.yml"],
    group: "data-exposure",
    false_positives: &["Migrations and backups run by storage administrators."],
    next_steps: "Look up the destination location (`DescribeLocation*`): where it points and who \
                 created it. Stop the task if unexpected and review the caller.",
    evidence: "action destination_location location name name_nodes server_hostname \
        source_location",
    triggers: &[Trigger::write(DATASYNC, CALLS)],
    window: None,
};

impl Detection for DataSyncTaskCreated {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if succeeded_call(rec, DATASYNC, RE_POINTS) {
            let host = request_text_any(rec, &["serverHostname", "ServerHostname"]).map(str::trim);
            let name_nodes = request_param_any(rec, &["nameNodes", "NameNodes"])
                .filter(|n| n.as_array().is_some_and(|n| !n.is_empty()));
            if host.is_none() && name_nodes.is_none() {
                return None;
            }
            return fire(
                Evidence::new()
                    .with("action", rec.event_name())
                    .with_opt("location", request_text_any(rec, &["locationArn", "LocationArn"]))
                    .with_opt("server_hostname", host)
                    .with_json("name_nodes", name_nodes),
            );
        }
        if !succeeded_call(rec, DATASYNC, &["CreateTask"]) {
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

    /// From an evasion review: an existing location pointed at another server.
    #[test]
    fn a_location_pointed_at_another_server_fires() {
        let location = r#""locationArn":"arn:aws:datasync:us-east-1:111122223333:location/loc-0a1b2c3d4e5f60718""#;
        let smb = format!(r#"{{{location},"serverHostname":"203.0.113.50","user":"svc","subdirectory":"/share"}}"#);
        match eval(&DataSyncTaskCreated, &record(DATASYNC, "UpdateLocationSmb", ROLE, &smb, "")) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("server_hostname"), Some(&json!("203.0.113.50"))),
            other => panic!("expected a finding, got {other:?}"),
        }
        let hdfs = format!(r#"{{{location},"nameNodes":[{{"hostname":"nn.example.net","port":8020}}]}}"#);
        assert!(fires(&DataSyncTaskCreated, &record(DATASYNC, "UpdateLocationHdfs", ROLE, &hdfs, "")));
        let path_only = format!(r#"{{{location},"subdirectory":"/other"}}"#);
        assert!(!fires(&DataSyncTaskCreated, &record(DATASYNC, "UpdateLocationNfs", ROLE, &path_only, "")));
        assert!(!fires(&DataSyncTaskCreated, &failed(DATASYNC, "UpdateLocationSmb", ROLE, &smb, "InvalidRequestException")));
    }
}
