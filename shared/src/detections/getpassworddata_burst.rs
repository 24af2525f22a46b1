//! One principal asking for the Windows administrator password of more than ten
//! EC2 instances within five minutes (`GetPasswordData`, allowed or denied).

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, Repeats, Countable, WindowSpec};
use crate::detections::common::account_actor_group;
use crate::event::Record;

pub struct GetPasswordDataBurst;

pub static META: Meta = Meta {
    id: "getpassworddata-burst",
    title: "AWS Credential Access GetPasswordData",
    description: "A single principal requested the encrypted administrator password of more \
                  than ten different EC2 instances within five minutes. Harvesting Windows \
                  passwords across a fleet is a credential-access step; a run of denied calls \
                  shows someone probing what a stolen identity may read.",
    severity: Severity::Medium,
    attack: &["T1586", "T1586.003", "T1110", "T1110.001"],
    origins: &["Splunk ESCU detections/cloud/aws_credential_access_getpassworddata.yml \
             (4d347c4a-306e-41db-8d10-b46baf71b3e2)"],
    group: "correlation",
    false_positives: &[
        "Inventory or remote-access tooling that collects passwords for many Windows \
         instances in one run.",
        "An administrator scripting password retrieval after a fleet rollout.",
    ],
    next_steps: "Check whether the principal normally fetches instance passwords and whether \
                 it holds the key pairs to decrypt them. Look at the error codes: successes \
                 mean passwords may be exposed (rotate them on those instances); denials mean \
                 probing. Review the principal's other calls and where its credentials came from.",
    evidence: "error_code source_ip user_agent",
    triggers: &[Trigger::Events {
        source: "ec2.amazonaws.com",
        names: &["GetPasswordData"],
        read_only: true,
        data_event: false,
        detail_pattern: None,
    }],
    window: Some(WindowSpec::Distinct {
        window_secs: 300,
        min_distinct: 11,
        repeats: Repeats::Always,
        values: Countable::Open,
    }),
};

impl Detection for GetPasswordDataBurst {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "ec2.amazonaws.com" || rec.event_name() != "GetPasswordData" {
            return None;
        }
        // Success and failure both count. The group is the principal alone: a new
        // source address or user agent must not start a new count.
        let instance = rec.request_param_str("instanceId")?.trim();
        if instance.is_empty() {
            return None;
        }
        // The error code only: the messages repeat the caller and instance at length.
        let evidence = Evidence::new()
            .with_opt("error_code", rec.error_code())
            .with_opt("source_ip", rec.source_ip())
            .with_opt("user_agent", rec.user_agent());
        Some(Signal::Distinct {
            group: account_actor_group(rec),
            value: instance.to_owned(),
            evidence,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::eval;

    const ROLE: &str = r#"{"type":"AssumedRole","principalId":"AROAEXAMPLEROLEID:build-7",
        "arn":"arn:aws:sts::444455556666:assumed-role/CiRunner/build-7","accountId":"444455556666",
        "accessKeyId":"ASIAEXAMPLEKEY000001",
        "sessionContext":{"sessionIssuer":{"type":"Role","userName":"CiRunner"}}}"#;

    fn record(identity: &str, instance: &str, ip: &str, extra: &str) -> String {
        format!(
            r#"{{"eventSource":"ec2.amazonaws.com","eventName":"GetPasswordData",
            "eventTime":"2026-04-11T12:03:10Z","awsRegion":"eu-west-1","recipientAccountId":"444455556666",
            "sourceIPAddress":"{ip}","userAgent":"Boto3/1.34.0 Python/3.12.1","userIdentity":{identity},
            {extra}"requestParameters":{{"instanceId":"{instance}"}},"responseElements":null}}"#
        )
    }

    fn distinct(sig: Option<Signal>) -> (String, String, Evidence) {
        match sig {
            Some(Signal::Distinct {
                group,
                value,
                evidence,
            }) => (group, value, evidence),
            other => panic!("expected a Distinct observation, got {other:?}"),
        }
    }

    #[test]
    fn counts_the_instance_per_account_and_principal() {
        let (group, value, evidence) = distinct(eval(
            &GetPasswordDataBurst,
            &record(ROLE, "i-0a1b2c3d4e5f60001", "203.0.113.50", ""),
        ));
        assert_eq!(
            group,
            "444455556666|arn:aws:sts::444455556666:assumed-role/CiRunner/build-7"
        );
        assert_eq!(value, "i-0a1b2c3d4e5f60001");
        assert_eq!(evidence.get("error_code"), None);
        assert_eq!(
            evidence.get("source_ip").and_then(|v| v.as_str()),
            Some("203.0.113.50")
        );
    }

    #[test]
    fn a_denied_call_counts_and_carries_its_error_code() {
        let denied = record(
            ROLE,
            "i-0a1b2c3d4e5f60002",
            "203.0.113.50",
            r#""errorCode":"Client.UnauthorizedOperation","errorMessage":"You are not authorized to perform this operation.","#,
        );
        let (_, value, evidence) = distinct(eval(&GetPasswordDataBurst, &denied));
        assert_eq!(value, "i-0a1b2c3d4e5f60002");
        assert_eq!(
            evidence.get("error_code").and_then(|v| v.as_str()),
            Some("Client.UnauthorizedOperation")
        );
    }

    #[test]
    fn rotating_ip_and_user_agent_keeps_the_group() {
        let a = distinct(eval(
            &GetPasswordDataBurst,
            &record(ROLE, "i-01", "203.0.113.50", ""),
        ));
        let b = record(ROLE, "i-02", "2001:db8::99", "")
            .replace("Boto3/1.34.0 Python/3.12.1", "curl/8.5.0");
        let b = distinct(eval(&GetPasswordDataBurst, &b));
        assert_eq!(a.0, b.0);
    }

    #[test]
    fn iam_users_and_root_are_grouped_by_their_arn() {
        let user = r#"{"type":"IAMUser","principalId":"AIDAEXAMPLEUSERID","arn":"arn:aws:iam::444455556666:user/frank",
            "accountId":"444455556666","userName":"frank"}"#;
        let root = r#"{"type":"Root","principalId":"444455556666","arn":"arn:aws:iam::444455556666:root","accountId":"444455556666"}"#;
        let (g1, _, _) = distinct(eval(
            &GetPasswordDataBurst,
            &record(user, "i-01", "192.0.2.8", ""),
        ));
        let (g2, _, _) = distinct(eval(
            &GetPasswordDataBurst,
            &record(root, "i-01", "192.0.2.8", ""),
        ));
        assert_eq!(g1, "444455556666|arn:aws:iam::444455556666:user/frank");
        assert_eq!(g2, "444455556666|arn:aws:iam::444455556666:root");
    }

    #[test]
    fn skips_a_record_without_instance_id() {
        let missing = record(ROLE, "x", "203.0.113.50", "").replace(r#"{"instanceId":"x"}"#, "{}");
        assert_eq!(eval(&GetPasswordDataBurst, &missing), None);
        let null_params =
            record(ROLE, "x", "203.0.113.50", "").replace(r#"{"instanceId":"x"}"#, "null");
        assert_eq!(eval(&GetPasswordDataBurst, &null_params), None);
        let empty = record(ROLE, "", "203.0.113.50", "");
        assert_eq!(eval(&GetPasswordDataBurst, &empty), None);
        let number = record(ROLE, "x", "203.0.113.50", "").replace(r#""x""#, "42");
        assert_eq!(eval(&GetPasswordDataBurst, &number), None);
    }

    #[test]
    fn ignores_other_events() {
        let other =
            record(ROLE, "i-01", "203.0.113.50", "").replace("GetPasswordData", "GetConsoleOutput");
        assert_eq!(eval(&GetPasswordDataBurst, &other), None);
        let other_source = record(ROLE, "i-01", "203.0.113.50", "")
            .replace("ec2.amazonaws.com", "lightsail.amazonaws.com");
        assert_eq!(eval(&GetPasswordDataBurst, &other_source), None);
    }

    #[test]
    fn a_source_that_is_not_an_ip_still_counts() {
        let (_, value, _) = distinct(eval(
            &GetPasswordDataBurst,
            &record(ROLE, "i-03", "AWS Internal", ""),
        ));
        assert_eq!(value, "i-03");
    }
}
