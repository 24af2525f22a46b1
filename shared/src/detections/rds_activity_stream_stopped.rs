//! An RDS database activity stream stopped (`StopActivityStream`), successfully.
//!
//! Decisions: an activity stream is a database's audit trail (every query and
//! login, pushed to Kinesis); stopping it blinds whoever reads it, which is why
//! it belongs with the logging-tampering detections. Starting one does not fire,
//! nor does a refused stop. AWS service identities are skipped; a stack that stops
//! the stream counts, as every caller of the other logging-tamper detections does.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::change_by_anyone_but;
use crate::event::Record;

pub struct RdsActivityStreamStopped;

const SOURCE: &str = "rds.amazonaws.com";
const NAMES: &[&str] = &["StopActivityStream"];

pub static META: Meta = Meta {
    id: "rds-activity-stream-stopped",
    title: "AWS RDS Database Activity Stream Stopped",
    description: "The activity stream of an RDS database or Aurora cluster was stopped. The \
                  stream is the database's own audit log (queries, logins, schema changes) sent \
                  to monitoring; once it stops, what happens inside the database is no longer \
                  recorded.",
    severity: Severity::Medium,
    attack: &["T1562.008", "T1562.001"],
    origins: &["Panther aws_rds_activity_stream_stopped (successful StopActivityStream)"],
    group: "logging-tamper",
    false_positives: &[
        "A database being decommissioned, or its stream being recreated with another key.",
    ],
    next_steps: "Restart the stream if the stop was not planned, then review the caller's other \
                 calls and, from the database's own logs, what ran on it since the stream \
                 stopped.",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

impl Detection for RdsActivityStreamStopped {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        change_by_anyone_but(rec, SOURCE, NAMES, &["resourceArn", "applyImmediately"], &[])
            .and_then(fire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::{eval, fires};
    use serde_json::json;

    const CLUSTER: &str = r#"{"resourceArn":"arn:aws:rds:us-east-1:111122223333:cluster:orders","applyImmediately":true}"#;

    #[test]
    fn fires_on_a_stop() {
        match eval(&RdsActivityStreamStopped, &record(SOURCE, "StopActivityStream", ROLE, CLUSTER, "")) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("resourceArn"), Some(&json!("arn:aws:rds:us-east-1:111122223333:cluster:orders")))
            }
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn near_misses() {
        assert!(!fires(&RdsActivityStreamStopped, &failed(SOURCE, "StopActivityStream", ROLE, CLUSTER, "AccessDenied")));
        assert!(!fires(&RdsActivityStreamStopped, &record(SOURCE, "StartActivityStream", ROLE, CLUSTER, "")));
        assert!(!fires(&RdsActivityStreamStopped, &record(SOURCE, "StopActivityStream", SERVICE, CLUSTER, "")));
    }
}
