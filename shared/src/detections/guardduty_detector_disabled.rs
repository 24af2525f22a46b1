//! A GuardDuty detector deleted (`DeleteDetector`) or switched off (`UpdateDetector`
//! with `enable: false`), successfully.
//!
//! Decisions: Sigma also accepts an `errorCode` of `Success`; CloudTrail writes no
//! error code at all on success, so we require the call to have succeeded in the
//! usual sense. A denied attempt is left to other detections (it changes nothing).
//! `UpdateDetector` calls that only change the publishing frequency or data sources
//! do not fire: only `enable` read as false (boolean or text) does.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{request_flag, succeeded_call};
use crate::event::Record;

pub struct GuardDutyDetectorDisabled;

const SOURCE: &str = "guardduty.amazonaws.com";
const NAMES: &[&str] = &["DeleteDetector", "UpdateDetector"];

pub static META: Meta = Meta {
    id: "guardduty-detector-disabled",
    title: "AWS GuardDuty Detector Deleted or Disabled",
    description: "A GuardDuty detector was deleted or suspended in an account and Region. \
                  GuardDuty then stops analysing CloudTrail, VPC flow and DNS activity there, \
                  and its existing findings go with a deleted detector: an intruder's way to \
                  stop the threat detection that would report them.",
    severity: Severity::High,
    attack: &["T1562.001"],
    origins: &[
        "SigmaHQ rules/cloud/aws/cloudtrail/aws_cloudtrail_guardduty_detector_deleted_or_updated.yml",
        "Elastic detection-rules defense_evasion_guardduty_detector_deletion.toml",
        "Splunk ESCU detections/cloud/aws_defense_evasion_impair_security_services.yml \
         (its DeleteDetector part)",
    ],
    group: "security-services",
    false_positives: &[
        "Decommissioning an account or Region, or moving GuardDuty management to a \
         delegated administrator, done by the security team.",
    ],
    next_steps: "Confirm the change with the security team. If unplanned, re-enable GuardDuty \
                 in that Region at once, review what the caller did before and after, and check \
                 the other Regions and member accounts for the same change.",
    evidence: "action detector_id",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

impl Detection for GuardDutyDetectorDisabled {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, SOURCE, NAMES) {
            return None;
        }
        if rec.event_name() == "UpdateDetector" && request_flag(rec, "enable") != Some(false) {
            return None;
        }
        fire(
            Evidence::new()
                .with("action", rec.event_name())
                .with_opt("detector_id", rec.request_param_str("detectorId")),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::{eval, fires};

    const DELETE: &str = r#"{"eventSource":"guardduty.amazonaws.com","eventName":"DeleteDetector",
        "awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.40","userAgent":"aws-cli/2.15.0",
        "userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:ops",
          "arn":"arn:aws:sts::111122223333:assumed-role/Ops/ops","accountId":"111122223333"},
        "requestParameters":{"detectorId":"12abc34d567e8fa901bc2d34e56789f0"},
        "responseElements":null}"#;

    #[test]
    fn deletion_fires_with_the_detector() {
        match eval(&GuardDutyDetectorDisabled, DELETE) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("action").and_then(|v| v.as_str()), Some("DeleteDetector"));
                assert_eq!(
                    e.get("detector_id").and_then(|v| v.as_str()),
                    Some("12abc34d567e8fa901bc2d34e56789f0")
                );
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        // Missing or null parameters still fire: the deletion happened.
        let null_params = DELETE.replace(
            r#"{"detectorId":"12abc34d567e8fa901bc2d34e56789f0"}"#,
            "null",
        );
        assert!(fires(&GuardDutyDetectorDisabled, &null_params));
    }

    #[test]
    fn update_fires_only_when_it_disables() {
        let update = |params: &str| {
            DELETE.replace("DeleteDetector", "UpdateDetector").replace(
                r#"{"detectorId":"12abc34d567e8fa901bc2d34e56789f0"}"#,
                params,
            )
        };
        assert!(fires(
            &GuardDutyDetectorDisabled,
            &update(r#"{"detectorId":"d1","enable":false}"#)
        ));
        assert!(fires(
            &GuardDutyDetectorDisabled,
            &update(r#"{"detectorId":"d1","enable":"False"}"#)
        ));
        for p in [
            r#"{"detectorId":"d1","enable":true}"#,
            r#"{"detectorId":"d1","findingPublishingFrequency":"SIX_HOURS"}"#,
            r#"{"detectorId":"d1","enable":null}"#,
            "null",
        ] {
            assert!(!fires(&GuardDutyDetectorDisabled, &update(p)), "{p}");
        }
    }

    #[test]
    fn ignores_failures_and_other_services() {
        let denied = DELETE.replace(
            "\"requestParameters\"",
            r#""errorCode":"AccessDeniedException","errorMessage":"not authorized","requestParameters""#,
        );
        assert!(!fires(&GuardDutyDetectorDisabled, &denied));
        let other = DELETE.replace("guardduty.amazonaws.com", "detective.amazonaws.com");
        assert!(!fires(&GuardDutyDetectorDisabled, &other));
        let other = DELETE.replace("DeleteDetector", "CreateDetector");
        assert!(!fires(&GuardDutyDetectorDisabled, &other));
    }
}
