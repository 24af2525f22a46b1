//! A principal reading the user data (`DescribeInstanceAttribute` with `attribute:
//! userData`, or `GetLaunchTemplateData`, whose answer holds the instance's user
//! data with the rest of its configuration) of three or more different EC2
//! instances within an hour.
//!
//! Decisions: upstream fires on the first read of an instance's user data by a
//! principal in five days ("new terms"). A single read is ordinary: an engineer checks
//! a boot script, and the public conformance background holds such a read as noise,
//! which a first-seen detection would flag on every replay. What we keep of the intent
//! is harvesting: one principal (the role for assumed-role sessions) reading the user
//! data of three or more instances within an hour. Denied reads count as well (upstream
//! takes any outcome): an intruder does not know what a stolen identity may read until
//! it tries, and Stratus Red Team's detonation of this technique is a burst of denied
//! reads on made-up instance ids. (An earlier version counted successful reads only; a
//! single denied read is still not a finding.) AWS services (an identity of type
//! `AWSService`, a service-linked role's session, or `invokedBy` a service other
//! than the console's sign-in and the services that call for their user,
//! `common::USER_DRIVEN_SERVICES`) are left out. The evidence keeps each call's error code, so the finding shows what was read
//! and what was refused.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, Repeats, Countable, WindowSpec};
use crate::detections::common::{aws_service_caller, instance_per_principal};
use crate::event::Record;

pub struct Ec2UserDataRetrieval;

pub static META: Meta = Meta {
    id: "ec2-user-data-retrieval",
    title: "AWS EC2 User Data Retrieval for EC2 Instance",
    description: "One principal downloaded, or tried to download, the user data of three or \
                  more EC2 instances within an hour. Boot scripts in user data often carry \
                  passwords, tokens and internal addresses, which makes them an early target \
                  after a credential theft.",
    severity: Severity::Medium,
    attack: &["T1552.005", "T1580"],
    origins: &["Elastic discovery_ec2_userdata_request_for_ec2_instance.toml (first-seen \
             replaced by a three-instance window)"],
    group: "discovery",
    false_positives: &[
        "An engineer comparing the boot scripts of several instances.",
        "Configuration-management or inventory tools that read user data of new instances.",
        "Terraform's AWS provider reads the user data of every instance it manages on \
         each refresh, so a plan over three instances fires: suppress the role that runs \
         plans by its ARN. Its user agent is not exempted: the caller writes it, and an \
         intruder's reads under it went unseen (an evasion review, ninth session).",
        "Several people of one SAML or web-identity role (sessions named after them) \
         counted together: the window counts per role, since the session name is the \
         caller's choice.",
    ],
    next_steps: "Check whether the principal normally manages that instance. Review the user \
                 data for secrets and rotate any it contains; look at what the principal did \
                 next with them.",
    evidence: "error_code source_ip user_agent",
    triggers: &[Trigger::read_only(
        "ec2.amazonaws.com",
        &["DescribeInstanceAttribute", "GetLaunchTemplateData"],
    )],
    window: Some(WindowSpec::Distinct {
        window_secs: 3600,
        min_distinct: 3,
        repeats: Repeats::OnlyNew,
        values: Countable::Open,
    }),
};

impl Detection for Ec2UserDataRetrieval {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "ec2.amazonaws.com" || aws_service_caller(rec) {
            return None;
        }
        match rec.event_name() {
            // The whole launch configuration of the instance, user data included
            // (from a review: a way around the attribute read).
            "GetLaunchTemplateData" => {}
            "DescribeInstanceAttribute"
                if rec
                    .request_param_str("attribute")
                    .is_some_and(|a| a.eq_ignore_ascii_case("userData")) => {}
            _ => return None,
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
            r#"{{"eventSource":"ec2.amazonaws.com","eventName":"DescribeInstanceAttribute","eventTime":"2026-06-02T10:00:01Z",
            "recipientAccountId":"111122223333","sourceIPAddress":"192.0.2.44","userAgent":"Boto3/1.34.69",
            "userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ci","userName":"ci"}},
            {extra}"requestParameters":{params}}}"#
        )
    }
    const USERDATA: &str = r#"{"instanceId":"i-0123456789abcdef0","attribute":"userData"}"#;

    #[test]
    fn a_user_data_read_counts_the_instance_per_principal() {
        match eval(&Ec2UserDataRetrieval, &record(USERDATA, "")) {
            Some(Signal::Distinct { group, value, .. }) => {
                assert_eq!(group, "111122223333|arn:aws:iam::111122223333:user/ci");
                assert_eq!(value, "i-0123456789abcdef0");
            }
            other => panic!("expected Distinct, got {other:?}"),
        }
    }

    /// From a review: the launch configuration of an instance holds its user data,
    /// whether the request is flat or wrapped.
    #[test]
    fn a_launch_template_data_read_counts_the_instance() {
        for params in [
            r#"{"instanceId":"i-0123456789abcdef1"}"#,
            r#"{"GetLaunchTemplateDataRequest":{"InstanceId":"i-0123456789abcdef1"}}"#,
        ] {
            let rec = record(params, "").replace("DescribeInstanceAttribute", "GetLaunchTemplateData");
            match eval(&Ec2UserDataRetrieval, &rec) {
                Some(Signal::Distinct { value, .. }) => assert_eq!(value, "i-0123456789abcdef1", "{params}"),
                other => panic!("expected Distinct for {params}, got {other:?}"),
            }
        }
        let none = record("{}", "").replace("DescribeInstanceAttribute", "GetLaunchTemplateData");
        assert_eq!(eval(&Ec2UserDataRetrieval, &none), None);
    }

    /// From a review: sessions the caller names like e-mail addresses are still
    /// one role's, so re-assuming cannot split the count.
    #[test]
    fn e_mail_named_sessions_of_one_role_count_together() {
        for session in ["x1@a.io", "x2@a.io"] {
            let rec = record(USERDATA, "").replace(
                r#""userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ci","userName":"ci"}"#,
                &format!(
                    r#""userIdentity":{{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/OpsRole/{session}",
                    "sessionContext":{{"sessionIssuer":{{"type":"Role","arn":"arn:aws:iam::111122223333:role/OpsRole","userName":"OpsRole"}}}}}}"#
                ),
            );
            match eval(&Ec2UserDataRetrieval, &rec) {
                Some(Signal::Distinct { group, .. }) => {
                    assert_eq!(group, "111122223333|arn:aws:iam::111122223333:role/OpsRole", "{session}")
                }
                other => panic!("expected Distinct, got {other:?}"),
            }
        }
    }

    #[test]
    fn denied_reads_count_with_their_error_code() {
        let denied = record(USERDATA, r#""errorCode":"Client.UnauthorizedOperation","#);
        match eval(&Ec2UserDataRetrieval, &denied) {
            Some(Signal::Distinct { value, evidence, .. }) => {
                assert_eq!(value, "i-0123456789abcdef0");
                assert_eq!(
                    evidence.get("error_code").and_then(|v| v.as_str()),
                    Some("Client.UnauthorizedOperation")
                );
            }
            other => panic!("expected Distinct, got {other:?}"),
        }
    }

    #[test]
    fn other_attributes_and_services_are_ignored() {
        let other = record(r#"{"instanceId":"i-0123456789abcdef0","attribute":"instanceType"}"#, "");
        assert_eq!(eval(&Ec2UserDataRetrieval, &other), None);
        let svc = record(USERDATA, "").replace(
            r#""userName":"ci""#,
            r#""userName":"ci","invokedBy":"autoscaling.amazonaws.com""#,
        );
        assert_eq!(eval(&Ec2UserDataRetrieval, &svc), None);
    }

    #[test]
    fn missing_or_odd_parameters_are_ignored() {
        assert_eq!(eval(&Ec2UserDataRetrieval, &record("null", "")), None);
        assert_eq!(eval(&Ec2UserDataRetrieval, &record(r#"{"attribute":"userData"}"#, "")), None);
        assert_eq!(
            eval(&Ec2UserDataRetrieval, &record(r#"{"instanceId":7,"attribute":"userData"}"#, "")),
            None
        );
    }
}
