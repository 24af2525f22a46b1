//! A container image pushed to ECR (`PutImage`) outside business hours.
//!
//! Decisions: business hours are 08:00 to 20:00 UTC, Monday to Friday, on
//! `eventTime` (CloudTrail times are UTC and we know no team's time zone; the
//! upstream rule uses the same hours on the event's own clock). Only successful
//! pushes, by people and their tools: a push an AWS service makes (`invokedBy`,
//! replication or a pull-through cache) is not a release. A record whose
//! `eventTime` does not parse is ignored.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::aws_service_caller;
use crate::event::Record;
use crate::event::time::format_event_time;

pub struct EcrImagePushOutsideBusinessHours;

/// First and last-plus-one UTC hours of the working day.
const DAY_START_HOUR: i64 = 8;
const DAY_END_HOUR: i64 = 20;

pub static META: Meta = Meta {
    id: "ecr-image-push-outside-business-hours",
    title: "AWS ECR Container Upload Outside Business Hours",
    description: "A container image was pushed to ECR at night (20:00 to 08:00 UTC) or at a \
                  weekend. Releases normally happen in working hours; an image pushed while \
                  nobody watches can be an intruder replacing an image that production pulls.",
    severity: Severity::Low,
    attack: &["T1525", "T1204.003"],
    origins: &["Splunk ESCU aws_ecr_container_upload_outside_business_hours.yml"],
    group: "discovery",
    false_positives: &[
        "Nightly or scheduled CI builds: exclude the build role.",
        "Teams working in other time zones than UTC, or on-call releases.",
    ],
    next_steps: "Check who pushed the image and whether a build or release was scheduled. \
                 Compare the image digest with the build system's output; if it is unknown, \
                 stop deployments of that tag and inspect the image.",
    evidence: "image_digest image_tag repository utc_time weekend",
    triggers: &[Trigger::write("ecr.amazonaws.com", &["PutImage"])],
    window: None,
};

/// Day of the week (0 = Monday) and hour of a UTC time in milliseconds.
fn weekday_and_hour(ms: i64) -> (i64, i64) {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    // 1970-01-01 was a Thursday (3 when Monday is 0).
    ((days + 3).rem_euclid(7), secs.rem_euclid(86_400) / 3600)
}

impl Detection for EcrImagePushOutsideBusinessHours {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "ecr.amazonaws.com"
            || rec.event_name() != "PutImage"
            || !rec.succeeded()
            || aws_service_caller(rec)
        {
            return None;
        }
        let ms = rec.event_time_ms()?;
        let (weekday, hour) = weekday_and_hour(ms);
        let weekend = weekday >= 5;
        if !weekend && (DAY_START_HOUR..DAY_END_HOUR).contains(&hour) {
            return None;
        }
        let evidence = Evidence::new()
            .with_opt("repository", rec.request_param_str("repositoryName"))
            .with_opt("image_tag", rec.request_param_str("imageTag"))
            .with_json(
                "image_digest",
                rec.response_element("image")
                    .and_then(|i| i.get("imageId"))
                    .and_then(|i| i.get("imageDigest")),
            )
            .with("utc_time", format_event_time(ms))
            .with("weekend", weekend);
        fire(evidence)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::{eval, fires};

    fn record(time: &str, extra: &str) -> String {
        format!(
            r#"{{"eventSource":"ecr.amazonaws.com","eventName":"PutImage","eventTime":"{time}",
            "recipientAccountId":"111122223333","sourceIPAddress":"198.51.100.61","userAgent":"docker/25.0.3",
            "userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/builder","userName":"builder"}},
            {extra}"requestParameters":{{"repositoryName":"payments","imageTag":"latest"}},
            "responseElements":{{"image":{{"imageId":{{"imageDigest":"sha256:0f1e2d","imageTag":"latest"}}}}}}}}"#
        )
    }

    #[test]
    fn weekday_and_hour_are_utc() {
        // 2026-06-01 is a Monday.
        assert_eq!(weekday_and_hour(1_780_272_000_000), (0, 0));
        assert_eq!(weekday_and_hour(0), (3, 0));
        assert_eq!(weekday_and_hour(-1), (2, 23));
    }

    #[test]
    fn fires_at_night_and_at_weekends() {
        assert!(fires(&EcrImagePushOutsideBusinessHours, &record("2026-06-02T23:15:00Z", "")));
        assert!(fires(&EcrImagePushOutsideBusinessHours, &record("2026-06-02T07:59:59Z", "")));
        assert!(fires(&EcrImagePushOutsideBusinessHours, &record("2026-06-02T20:00:00Z", "")));
        assert!(fires(&EcrImagePushOutsideBusinessHours, &record("2026-06-06T12:00:00Z", "")));
        assert!(fires(&EcrImagePushOutsideBusinessHours, &record("2026-06-07T09:30:00Z", "")));
    }

    #[test]
    fn working_hours_do_not_fire() {
        assert!(!fires(&EcrImagePushOutsideBusinessHours, &record("2026-06-02T08:00:00Z", "")));
        assert!(!fires(&EcrImagePushOutsideBusinessHours, &record("2026-06-05T19:59:59Z", "")));
    }

    #[test]
    fn failed_pushes_and_bad_times_are_ignored() {
        let failed = record(
            "2026-06-02T23:15:00Z",
            r#""errorCode":"ImageAlreadyExistsException","#,
        );
        assert_eq!(eval(&EcrImagePushOutsideBusinessHours, &failed), None);
        let replicated = record("2026-06-06T02:00:00Z", "").replace(
            r#""userName":"builder""#,
            r#""userName":"builder","invokedBy":"ecr.amazonaws.com""#,
        );
        assert!(replicated.contains("invokedBy"));
        assert_eq!(eval(&EcrImagePushOutsideBusinessHours, &replicated), None);
        assert_eq!(eval(&EcrImagePushOutsideBusinessHours, &record("redacted", "")), None);
        let other = record("2026-06-02T23:15:00Z", "").replace("PutImage", "BatchGetImage");
        assert_eq!(eval(&EcrImagePushOutsideBusinessHours, &other), None);
    }
}
