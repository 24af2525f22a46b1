//! The export of GuardDuty findings to S3 removed (`DeletePublishingDestination`) or
//! pointed somewhere else (`UpdatePublishingDestination`: the usual bucket stops
//! receiving findings; the new destination is in the evidence), successfully. An
//! update by an AWS service identity is left out. An update made through a stack, or
//! whose user agent names an infrastructure-as-code tool, counts: the agent is the
//! caller's to write, re-pointing
//! the export to another account's bucket or key is the whole attack, and a
//! publishing destination is rarely changed.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_among, params_evidence, succeeded_call};
use crate::event::Record;

pub struct GuardDutyPublishingDestinationDeleted;

const SOURCE: &str = "guardduty.amazonaws.com";
const NAMES: &[&str] = &["DeletePublishingDestination", "UpdatePublishingDestination"];

pub static META: Meta = Meta {
    id: "guardduty-publishing-destination-deleted",
    title: "AWS GuardDuty Findings Export Deleted",
    description: "The destination that exported a detector's findings to an S3 bucket was \
                  deleted. GuardDuty keeps findings for 90 days only; the export is what feeds \
                  the SIEM and keeps them longer, so removing it lets new findings go unseen by \
                  the pipeline while GuardDuty itself still looks enabled.",
    severity: Severity::Medium,
    attack: &["T1562.001"],
    origins: &["Elastic detection-rules defense_evasion_guardduty_publishing_destination_deleted.toml"],
    group: "security-services",
    false_positives: &["The security team moving the export to another bucket or key."],
    next_steps: "Check whether a new destination was created for the detector. If not, \
                 recreate the export, read the findings raised since (they are still in \
                 GuardDuty) and review the caller's activity.",
    evidence: "action destination_id detector_id new_destination_arn",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

impl Detection for GuardDutyPublishingDestinationDeleted {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, SOURCE, NAMES) {
            return None;
        }
        // A service re-pointing the export for its own setup is not the attack.
        if rec.event_name() == "UpdatePublishingDestination" && aws_service_among(rec, &[]) {
            return None;
        }
        let new_destination = rec
            .request_param("destinationProperties")
            .and_then(|p| p.get("destinationArn"))
            .and_then(|a| a.as_str());
        fire(
            params_evidence(
                rec,
                &[("detector_id", "detectorId"), ("destination_id", "destinationId")],
            )
            .with("action", rec.event_name())
            .with_opt("new_destination_arn", new_destination),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::calls::{call, failed};
    use crate::detections::common::testing::{eval, fires};

    fn delete() -> String {
        call(SOURCE, "DeletePublishingDestination", r#"{"detectorId":"d1","destinationId":"dest-1"}"#)
    }

    #[test]
    fn fires_with_the_destination() {
        match eval(&GuardDutyPublishingDestinationDeleted, &delete()) {
            Some(Signal::Fire(e)) => assert_eq!(
                e.get("destination_id").and_then(|v| v.as_str()),
                Some("dest-1")
            ),
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn a_destination_pointed_elsewhere_counts() {
        let moved = call(
            SOURCE,
            "UpdatePublishingDestination",
            r#"{"detectorId":"d1","destinationId":"p-1","destinationProperties":{"destinationArn":"arn:aws:s3:::attacker-sink-bucket","kmsKeyArn":"arn:aws:kms:us-east-1:444455556666:key/k"}}"#,
        );
        match eval(&GuardDutyPublishingDestinationDeleted, &moved) {
            Some(Signal::Fire(e)) => assert_eq!(
                e.get("new_destination_arn").and_then(|v| v.as_str()),
                Some("arn:aws:s3:::attacker-sink-bucket")
            ),
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn a_deployment_tool_agent_does_not_excuse_an_update() {
        let moved = call(
            SOURCE,
            "UpdatePublishingDestination",
            r#"{"detectorId":"d1","destinationId":"p-1","destinationProperties":{"destinationArn":"arn:aws:s3:::attacker-sink-bucket"}}"#,
        );
        let terraform = moved.replacen(
            r#""userAgent":"aws-cli/2.15.0""#,
            r#""userAgent":"APN/1.0 HashiCorp/1.0 Terraform/1.9.8""#,
            1,
        );
        assert!(terraform.contains("Terraform"));
        assert!(fires(&GuardDutyPublishingDestinationDeleted, &terraform));
    }

    #[test]
    fn ignores_failures_and_other_calls() {
        assert!(!fires(
            &GuardDutyPublishingDestinationDeleted,
            &failed(&delete(), "BadRequestException")
        ));
        for to in ["CreatePublishingDestination", "DescribePublishingDestination"] {
            assert!(!fires(
                &GuardDutyPublishingDestinationDeleted,
                &delete().replace("DeletePublishingDestination", to)
            ));
        }
    }
}
