//! AWS Config recorder stopped (`StopConfigurationRecorder`), successfully.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::event::Record;

pub struct ConfigRecorderStopped;

const SOURCE: &str = "config.amazonaws.com";
const EVENT: &str = "StopConfigurationRecorder";

pub static META: Meta = Meta {
    id: "config-recorder-stopped",
    title: "AWS Configuration Recorder Stopped",
    description: "The AWS Config configuration recorder was stopped. Until it is started again, \
                  resource changes are not recorded and Config rules stop evaluating them, which \
                  lets an intruder change the account without a configuration history.",
    severity: Severity::High,
    attack: &["T1562.001", "T1562.008"],
    origins: &["Elastic detection-rules defense_evasion_configuration_recorder_stopped.toml \
             (fbd44836-0d69-4004-a0b4-03c20370c435)"],
    group: "logging-tamper",
    false_positives: &[
        "Planned maintenance of the AWS Config set-up.",
        "Account set-up or teardown automation.",
    ],
    next_steps: "Confirm the change with the caller, restart the recorder \
                 (StartConfigurationRecorder) if it was not planned, and review the changes the \
                 same principal and others made while recording was off.",
    evidence: "configuration_recorder",
    triggers: &[Trigger::Events {
        source: SOURCE,
        names: &[EVENT],
        read_only: false,
        data_event: false,
        detail_pattern: None,
    }],
    window: None,
};

impl Detection for ConfigRecorderStopped {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != SOURCE || rec.event_name() != EVENT || !rec.succeeded() {
            return None;
        }
        fire(Evidence::new().with_opt(
            "configuration_recorder",
            rec.request_param_str("configurationRecorderName"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::{eval, fires};

    const STOP: &str = r#"{"eventSource":"config.amazonaws.com","eventName":"StopConfigurationRecorder",
        "userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::444455556666:assumed-role/Ops/ana"},
        "sourceIPAddress":"203.0.113.90","requestParameters":{"configurationRecorderName":"default"},
        "responseElements":null}"#;

    #[test]
    fn fires_on_a_successful_stop() {
        let Some(Signal::Fire(ev)) = eval(&ConfigRecorderStopped, STOP) else {
            panic!("expected a finding");
        };
        assert_eq!(
            ev.get("configuration_recorder").and_then(|v| v.as_str()),
            Some("default")
        );
    }

    #[test]
    fn fires_for_other_identity_types() {
        let user = STOP.replace(
            r#""type":"AssumedRole","arn":"arn:aws:sts::444455556666:assumed-role/Ops/ana""#,
            r#""type":"IAMUser","userName":"ana""#,
        );
        assert!(fires(&ConfigRecorderStopped, &user));
        let root = STOP.replace(
            r#""type":"AssumedRole","arn":"arn:aws:sts::444455556666:assumed-role/Ops/ana""#,
            r#""type":"Root""#,
        );
        assert!(fires(&ConfigRecorderStopped, &root));
    }

    #[test]
    fn ignores_a_failed_stop() {
        for err in [
            r#""errorCode":"AccessDeniedException""#,
            r#""errorCode":"NoSuchConfigurationRecorderException","errorMessage":"none""#,
            r#""errorMessage":"something went wrong""#,
        ] {
            let rec = STOP.replace(
                r#""responseElements":null"#,
                &format!(r#""responseElements":null,{err}"#),
            );
            assert!(!fires(&ConfigRecorderStopped, &rec), "{err}");
        }
    }

    #[test]
    fn an_empty_error_code_counts_as_success() {
        let rec = STOP.replace(
            r#""responseElements":null"#,
            r#""responseElements":null,"errorCode":"""#,
        );
        assert!(fires(&ConfigRecorderStopped, &rec));
    }

    #[test]
    fn ignores_other_events() {
        for name in [
            "StartConfigurationRecorder",
            "DeleteConfigurationRecorder",
            "DeleteDeliveryChannel",
        ] {
            assert!(
                !fires(
                    &ConfigRecorderStopped,
                    &STOP.replace("StopConfigurationRecorder", name)
                ),
                "{name}"
            );
        }
    }
}
