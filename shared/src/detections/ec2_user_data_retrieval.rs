//! A principal reading the user data (`DescribeInstanceAttribute` with
//! `attribute: userData`) of three or more different EC2 instances within an hour.
//!
//! Decisions: upstream fires on the first read of an instance's user data by a
//! principal in five days ("new terms"). A single read is ordinary: an engineer
//! checks a boot script, and the public conformance background holds such a read as
//! noise, which a first-seen detection would flag on every replay. What we keep of
//! the intent is harvesting: one principal (the role for assumed-role sessions)
//! reading the user data of three or more instances within an hour. Success only (a
//! denied read reveals nothing; denied bursts are ordinary noise in the same
//! background); AWS services and `invokedBy` callers are left out.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, WindowSpec};
use crate::detections::common::stable_principal;
use crate::event::Record;

pub struct Ec2UserDataRetrieval;

pub static META: Meta = Meta {
    id: "ec2-user-data-retrieval",
    title: "AWS EC2 User Data Retrieval for EC2 Instance",
    description: "One principal downloaded the user data of three or more EC2 instances within \
                  an hour. Boot scripts in user data often carry passwords, tokens and internal \
                  addresses, which makes them an early target after a credential theft.",
    severity: Severity::Medium,
    attack: &["T1552.005", "T1580"],
    origins: &["Elastic discovery_ec2_userdata_request_for_ec2_instance.toml (first-seen \
             replaced by a three-instance window)"],
    group: "discovery",
    false_positives: &[
        "An engineer comparing the boot scripts of several instances.",
        "Configuration-management or inventory tools that read user data of new instances.",
    ],
    next_steps: "Check whether the principal normally manages that instance. Review the user \
                 data for secrets and rotate any it contains; look at what the principal did \
                 next with them.",
    triggers: &[Trigger::read_only("ec2.amazonaws.com", &["DescribeInstanceAttribute"])],
    window: Some(WindowSpec::Distinct {
        window_secs: 3600,
        min_distinct: 3,
    }),
};

impl Detection for Ec2UserDataRetrieval {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "ec2.amazonaws.com"
            || rec.event_name() != "DescribeInstanceAttribute"
            || !rec.succeeded()
            || rec.identity_type() == Some("AWSService")
            || rec.invoked_by().is_some()
        {
            return None;
        }
        if !rec
            .request_param_str("attribute")
            .is_some_and(|a| a.eq_ignore_ascii_case("userData"))
        {
            return None;
        }
        let instance = rec.request_param_str("instanceId")?;
        let evidence = Evidence::new()
            .with_opt("source_ip", rec.source_ip())
            .with_opt("user_agent", rec.user_agent());
        Some(Signal::Distinct {
            group: format!(
                "{}|{}",
                rec.account_id().unwrap_or("unknown"),
                stable_principal(rec)
            ),
            value: instance.to_owned(),
            evidence,
        })
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

    #[test]
    fn other_attributes_failures_and_services_are_ignored() {
        let other = record(r#"{"instanceId":"i-0123456789abcdef0","attribute":"instanceType"}"#, "");
        assert_eq!(eval(&Ec2UserDataRetrieval, &other), None);
        let denied = record(USERDATA, r#""errorCode":"Client.UnauthorizedOperation","#);
        assert_eq!(eval(&Ec2UserDataRetrieval, &denied), None);
        let svc = record(USERDATA, "").replace(
            r#""userName":"ci""#,
            r#""userName":"ci","invokedBy":"ssm.amazonaws.com""#,
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
