//! One principal asking for the console screenshot (`GetConsoleScreenshot`) of three or
//! more different EC2 instances within an hour, allowed or denied.
//!
//! Decisions: Stratus Red Team's technique assumes a role that may not take screenshots
//! and asks for those of many made-up instances, so denied calls count. A single
//! screenshot is how an engineer looks at an instance that does not boot; several
//! instances within the hour from one principal is a sweep of what the screens show (a
//! login prompt, a crash dump, credentials typed at boot). The group is the principal
//! (the role for assumed-role sessions, so that a new session does not start a new
//! count). AWS services (an identity of type `AWSService`, or `invokedBy` a service
//! other than the console's sign-in) are left out. `GetConsoleOutput` (the serial log)
//! is not counted: monitoring and boot-diagnosis tools read it routinely.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, Repeats, Countable, WindowSpec};
use crate::detections::common::{aws_service_caller, instance_per_principal};
use crate::event::Record;

pub struct Ec2ConsoleScreenshotBurst;

const SOURCE: &str = "ec2.amazonaws.com";

pub static META: Meta = Meta {
    id: "ec2-console-screenshot-burst",
    title: "AWS EC2 Console Screenshots of Several Instances",
    description: "One principal asked for the console screenshot of three or more EC2 \
                  instances within an hour. A screenshot shows whatever the instance's screen \
                  shows; collecting them across instances is a way to find targets and \
                  secrets, and a run of refused requests shows someone testing what a stolen \
                  identity may do.",
    severity: Severity::Medium,
    attack: &["T1113", "T1580"],
    origins: &["trailwatch: based on Stratus Red Team aws.collection.ec2-console-screenshots \
             (screenshots of several instances requested, refused)"],
    group: "discovery",
    false_positives: &[
        "An engineer or a recovery runbook looking at the screens of several instances that \
         fail to boot.",
        "Several people of one SAML or web-identity role (sessions named after them) \
         counted together: the window counts per role, since the session name is the \
         caller's choice.",
    ],
    next_steps: "Check whether the principal troubleshoots these instances. If not, look at \
                 where its credentials came from and what else it called; for the requests \
                 that succeeded, consider what the screens could have shown.",
    evidence: "error_code source_ip user_agent",
    triggers: &[Trigger::read_only(SOURCE, &["GetConsoleScreenshot"])],
    window: Some(WindowSpec::Distinct {
        window_secs: 3600,
        min_distinct: 3,
        repeats: Repeats::Always,
        values: Countable::Open,
    }),
};

impl Detection for Ec2ConsoleScreenshotBurst {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != SOURCE
            || rec.event_name() != "GetConsoleScreenshot"
            || aws_service_caller(rec)
        {
            return None;
        }
        instance_per_principal(rec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::eval;

    fn record(params: &str, extra: &str) -> String {
        format!(
            r#"{{"eventSource":"ec2.amazonaws.com","eventName":"GetConsoleScreenshot","eventTime":"2026-06-02T10:00:01Z",
            "recipientAccountId":"111122223333","sourceIPAddress":"192.0.2.44","userAgent":"aws-cli/2.15.30",
            "userIdentity":{{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/Ops/s1",
            "accountId":"111122223333","sessionContext":{{"sessionIssuer":{{"type":"Role",
            "arn":"arn:aws:iam::111122223333:role/Ops"}}}}}},
            {extra}"requestParameters":{params}}}"#
        )
    }

    #[test]
    fn a_screenshot_counts_the_instance_per_role_whatever_the_outcome() {
        for extra in ["", r#""errorCode":"Client.UnauthorizedOperation","#] {
            match eval(&Ec2ConsoleScreenshotBurst, &record(r#"{"instanceId":"i-0abc"}"#, extra)) {
                Some(Signal::Distinct { group, value, .. }) => {
                    assert_eq!(group, "111122223333|arn:aws:iam::111122223333:role/Ops");
                    assert_eq!(value, "i-0abc");
                }
                other => panic!("expected Distinct, got {other:?}"),
            }
        }
    }

    #[test]
    fn services_and_requests_without_an_instance_are_ignored() {
        let svc = record(r#"{"instanceId":"i-0abc"}"#, "").replace(
            r#""accountId":"111122223333","sessionContext""#,
            r#""accountId":"111122223333","invokedBy":"autoscaling.amazonaws.com","sessionContext""#,
        );
        assert!(svc.contains("invokedBy"));
        assert_eq!(eval(&Ec2ConsoleScreenshotBurst, &svc), None);
        assert_eq!(eval(&Ec2ConsoleScreenshotBurst, &record("null", "")), None);
        assert_eq!(eval(&Ec2ConsoleScreenshotBurst, &record(r#"{"instanceId":" "}"#, "")), None);
        assert_eq!(eval(&Ec2ConsoleScreenshotBurst, &record(r#"{"instanceId":7}"#, "")), None);
        let output = record(r#"{"instanceId":"i-0abc"}"#, "")
            .replace("GetConsoleScreenshot", "GetConsoleOutput");
        assert_eq!(eval(&Ec2ConsoleScreenshotBurst, &output), None);
    }
}
