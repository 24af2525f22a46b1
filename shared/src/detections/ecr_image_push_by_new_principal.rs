//! A container image pushed to ECR (`PutImage`) by a principal that has not pushed
//! one in the last thirty days.
//!
//! Decisions: the upstream rule compares the pusher with an allow-list lookup of
//! known ECR users, which we do not keep; a thirty-day first-seen history per
//! account and principal (the role for assumed-role sessions) learns that list
//! instead. Only successful pushes, by API clients from an address: the console (by
//! its session, not by an agent any SDK can send) and AWS services (replication,
//! pull-through cache) are left out. ECR Public's `PutImage` counts too (from an
//! evasion review): an image planted in the organisation's public gallery reaches
//! everyone who pulls it; the evidence says `public`. One history serves both.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, WindowSpec};
use crate::detections::common::{aws_service_or_console_session_caller, first_seen_by_principal};
use crate::event::Record;

pub struct EcrImagePushByNewPrincipal;

const ECR_PUBLIC: &str = "ecr-public.amazonaws.com";

pub static META: Meta = Meta {
    id: "ecr-image-push-by-new-principal",
    title: "AWS ECR Container Upload Unknown User",
    description: "A principal that had not pushed a container image in the last thirty days \
                  pushed one to ECR. Images are normally pushed by a handful of build roles; a \
                  new pusher can be an intruder planting a backdoored image that production \
                  will pull.",
    severity: Severity::Medium,
    attack: &["T1525", "T1204.003"],
    origins: &["Splunk ESCU aws_ecr_container_upload_unknown_user.yml (allow-list replaced by \
             a first-seen history)"],
    group: "discovery",
    false_positives: &[
        "A new build pipeline or a new engineer publishing an image for the first time.",
        "A build role renamed or recreated (a new ARN is a new principal).",
    ],
    next_steps: "Check who the principal is and whether a new pipeline was expected. Compare the \
                 image digest with the build system's output; if unknown, stop deployments of \
                 that tag and inspect the image.",
    evidence: "image_tag public repository source_ip user_agent",
    triggers: &[
        Trigger::write("ecr.amazonaws.com", &["PutImage"]),
        Trigger::write(ECR_PUBLIC, &["PutImage"]),
    ],
    window: Some(WindowSpec::FirstSeen { days: 30 }),
};

impl Detection for EcrImagePushByNewPrincipal {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        let public = rec.event_source() == ECR_PUBLIC;
        if !(public || rec.event_source() == "ecr.amazonaws.com")
            || rec.event_name() != "PutImage"
            || !rec.succeeded()
            || aws_service_or_console_session_caller(rec)
        {
            return None;
        }
        let evidence = Evidence::new()
            .with_opt("repository", rec.request_param_str("repositoryName"))
            .with_opt("image_tag", rec.request_param_str("imageTag"))
            .with("public", public);
        Some(first_seen_by_principal(rec, evidence))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::eval;

    fn record(ua: &str, extra: &str) -> String {
        format!(
            r#"{{"eventSource":"ecr.amazonaws.com","eventName":"PutImage","eventTime":"2026-06-02T10:00:01Z",
            "recipientAccountId":"111122223333","sourceIPAddress":"203.0.113.61","userAgent":"{ua}",
            "userIdentity":{{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/ci-publish/run-88",
              "sessionContext":{{"sessionIssuer":{{"type":"Role","arn":"arn:aws:iam::111122223333:role/ci-publish"}}}}}},
            {extra}"requestParameters":{{"repositoryName":"payments","imageTag":"v42"}}}}"#
        )
    }

    #[test]
    fn a_push_is_a_term_per_account_and_role() {
        match eval(&EcrImagePushByNewPrincipal, &record("docker/25.0.3 go/go1.21.6", "")) {
            Some(Signal::FirstSeen { term, evidence }) => {
                assert_eq!(term, "111122223333|arn:aws:iam::111122223333:role/ci-publish");
                assert_eq!(evidence.get("repository").and_then(|v| v.as_str()), Some("payments"));
            }
            other => panic!("expected FirstSeen, got {other:?}"),
        }
        let public = record("docker/25.0.3 go/go1.21.6", "").replace("\"ecr.amazonaws.com\"", "\"ecr-public.amazonaws.com\"");
        match eval(&EcrImagePushByNewPrincipal, &public) {
            Some(Signal::FirstSeen { evidence, .. }) => assert_eq!(evidence.get("public"), Some(&serde_json::json!(true))),
            other => panic!("expected FirstSeen, got {other:?}"),
        }
    }

    #[test]
    fn console_services_failures_and_other_calls_are_ignored() {
        let console = record("console.amazonaws.com", r#""sessionCredentialFromConsole":"true","#);
        assert_eq!(eval(&EcrImagePushByNewPrincipal, &console), None);
        let internal = record("AWS Internal", "").replace("203.0.113.61", "AWS Internal");
        assert_eq!(eval(&EcrImagePushByNewPrincipal, &internal), None);
        // From a review: the console's word in an SDK's agent is no console session.
        let app_id = record("aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 app/consolebackend", "");
        assert!(matches!(eval(&EcrImagePushByNewPrincipal, &app_id), Some(Signal::FirstSeen { .. })));
        let exists = record("docker/25.0.3", r#""errorCode":"ImageAlreadyExistsException","#);
        assert_eq!(eval(&EcrImagePushByNewPrincipal, &exists), None);
        let other = record("docker/25.0.3", "").replace("PutImage", "BatchDeleteImage");
        assert_eq!(eval(&EcrImagePushByNewPrincipal, &other), None);
    }
}
