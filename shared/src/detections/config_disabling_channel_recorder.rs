//! AWS Config delivery channel deleted or recorder stopped, attempts included (Sigma).

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::with_error;
use crate::event::Record;

pub struct ConfigDisablingChannelRecorder;

const SOURCE: &str = "config.amazonaws.com";
const EVENTS: &[&str] = &["DeleteDeliveryChannel", "StopConfigurationRecorder"];

pub static META: Meta = Meta {
    id: "config-disabling-channel-recorder",
    title: "AWS Config Disabling Channel/Recorder",
    description: "A call to stop the AWS Config recorder or delete its delivery channel, whether \
                  or not it succeeded. Either one stops Config from recording resource changes, \
                  which hides later configuration changes; a denied attempt still shows intent.",
    severity: Severity::High,
    attack: &["T1685.002", "T1562.008"],
    origins: &["SigmaHQ rules/cloud/aws/cloudtrail/aws_config_disable_recording.yml \
             (07330162-dba1-4746-8121-a9647d49d297)"],
    group: "logging-tamper",
    false_positives: &[
        "A planned change to the AWS Config set-up (new recorder, moved delivery bucket).",
        "Account decommissioning or landing-zone automation.",
    ],
    next_steps: "Check whether the call succeeded (error code), confirm the change with the \
                 caller, run StartConfigurationRecorder or recreate the channel if it was not \
                 planned, and review what changed in the account while Config was not recording.",
    evidence: "configuration_recorder delivery_channel error_code error_message",
    triggers: &[Trigger::Events {
        source: SOURCE,
        names: EVENTS,
        read_only: false,
        data_event: false,
        detail_pattern: None,
    }],
    window: None,
};

impl Detection for ConfigDisablingChannelRecorder {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != SOURCE || !EVENTS.contains(&rec.event_name()) {
            return None;
        }
        // No outcome filter: denied attempts fire too, with their error code.
        let evidence = Evidence::new()
            .with_opt(
                "delivery_channel",
                rec.request_param_str("deliveryChannelName"),
            )
            .with_opt(
                "configuration_recorder",
                rec.request_param_str("configurationRecorderName"),
            );
        fire(with_error(evidence, rec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::{eval, fires};

    const STOP: &str = r#"{"eventSource":"config.amazonaws.com","eventName":"StopConfigurationRecorder",
        "userIdentity":{"type":"IAMUser","userName":"kim","arn":"arn:aws:iam::111122223333:user/kim"},
        "sourceIPAddress":"198.51.100.7","requestParameters":{"configurationRecorderName":"default"},
        "responseElements":null}"#;
    const DELETE: &str = r#"{"eventSource":"config.amazonaws.com","eventName":"DeleteDeliveryChannel",
        "userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/Admin/kim"},
        "sourceIPAddress":"198.51.100.7","requestParameters":{"deliveryChannelName":"default"},
        "responseElements":null}"#;

    #[test]
    fn fires_on_a_stopped_recorder() {
        let Some(Signal::Fire(ev)) = eval(&ConfigDisablingChannelRecorder, STOP) else {
            panic!("expected a finding");
        };
        assert_eq!(
            ev.get("configuration_recorder").and_then(|v| v.as_str()),
            Some("default")
        );
        assert!(ev.get("error_code").is_none());
    }

    #[test]
    fn fires_on_a_deleted_delivery_channel() {
        let Some(Signal::Fire(ev)) = eval(&ConfigDisablingChannelRecorder, DELETE) else {
            panic!("expected a finding");
        };
        assert_eq!(
            ev.get("delivery_channel").and_then(|v| v.as_str()),
            Some("default")
        );
    }

    #[test]
    fn fires_on_denied_attempts_with_the_error_code() {
        let denied = STOP.replace(
            r#""responseElements":null"#,
            r#""responseElements":null,"errorCode":"AccessDeniedException","errorMessage":"not authorized""#,
        );
        let Some(Signal::Fire(ev)) = eval(&ConfigDisablingChannelRecorder, &denied) else {
            panic!("expected a finding");
        };
        assert_eq!(
            ev.get("error_code").and_then(|v| v.as_str()),
            Some("AccessDeniedException")
        );
        let missing = DELETE.replace(
            r#""responseElements":null"#,
            r#""responseElements":null,"errorCode":"NoSuchDeliveryChannelException""#,
        );
        assert!(fires(&ConfigDisablingChannelRecorder, &missing));
    }

    #[test]
    fn fires_for_root_and_without_request_parameters() {
        let root = STOP
            .replace(
                r#""type":"IAMUser","userName":"kim","arn":"arn:aws:iam::111122223333:user/kim""#,
                r#""type":"Root","arn":"arn:aws:iam::111122223333:root""#,
            )
            .replace(r#"{"configurationRecorderName":"default"}"#, "null");
        assert!(fires(&ConfigDisablingChannelRecorder, &root));
    }

    #[test]
    fn ignores_other_config_events_and_sources() {
        for name in [
            "StartConfigurationRecorder",
            "PutDeliveryChannel",
            "DeleteConfigurationRecorder",
            "DescribeDeliveryChannels",
        ] {
            assert!(
                !fires(
                    &ConfigDisablingChannelRecorder,
                    &STOP.replace("StopConfigurationRecorder", name)
                ),
                "{name}"
            );
        }
        let other = STOP.replace("config.amazonaws.com", "cloudtrail.amazonaws.com");
        assert!(!fires(&ConfigDisablingChannelRecorder, &other));
    }
}
