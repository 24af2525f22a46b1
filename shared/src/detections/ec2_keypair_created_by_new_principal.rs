//! An EC2 key pair created or imported through the API by a principal that has not
//! done so in the last ten days.
//!
//! Decisions: the upstream rule adds "from an autonomous system that is not Amazon,
//! Google or Microsoft", which needs ASN enrichment we do not have. What we keep
//! without it: a new principal (the role for assumed-role sessions) creating a key
//! pair by API call from an address. Key pairs made in the console (a console
//! session's credentials under the console's agent or a browser's, or an agent
//! that is the console's from its first word, `EC2ConsoleBackend, ...`), by AWS
//! services, or from no literal address are left out
//! (`common::aws_service_or_console_session_caller`): that is the ordinary way
//! people create them. The console's word elsewhere in an agent exempts nothing:
//! any SDK can add it (from a review). `ImportKeyPair` counts too: an
//! intruder imports its own public key rather than downloading a new private one.
//! Only successful calls. A CloudFormation stack's key pair (`AWS::EC2::KeyPair`,
//! `invokedBy` CloudFormation) counts as its caller's own, like the other write
//! detections' stacks (from a second evasion review: a stack importing an
//! intruder's public key was exempt as an AWS service's call).

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, WindowSpec};
use crate::detections::common::{aws_service_or_console_session_caller, first_seen_by_principal};
use crate::event::Record;

pub struct Ec2KeypairCreatedByNewPrincipal;

pub static META: Meta = Meta {
    id: "ec2-keypair-created-by-new-principal",
    title: "AWS EC2 CreateKeyPair by New Principal",
    description: "A principal that had not created an EC2 key pair in the last ten days created \
                  or imported one through the API. A key pair lets whoever holds the private \
                  key log in to instances launched with it: an intruder adds one to keep SSH \
                  access that survives a password or access-key reset.",
    severity: Severity::Medium,
    attack: &["T1098", "T1098.004"],
    origins: &["Elastic persistence_new_terms_ec2_create_keypair_unusual_source_as.toml \
             (without the autonomous-system condition)"],
    group: "discovery",
    false_positives: &[
        "A new engineer or a new automation role setting up instances for the first time.",
        "Infrastructure-as-code creating key pairs for a new environment.",
    ],
    next_steps: "Confirm the principal was expected to create a key pair, and check whether an \
                 instance was launched with it. If not expected, delete the key pair, terminate \
                 instances using it, and review the principal's credentials.",
    evidence: "key_fingerprint key_name source_ip user_agent",
    triggers: &[Trigger::write(
        "ec2.amazonaws.com",
        &["CreateKeyPair", "ImportKeyPair"],
    )],
    window: Some(WindowSpec::FirstSeen { days: 10 }),
};

/// A CloudFormation stack's call for a person (not an AWS service identity).
fn stack_call(rec: &Record<'_>) -> bool {
    rec.invoked_by() == Some("cloudformation.amazonaws.com") && rec.identity_type() != Some("AWSService")
}

impl Detection for Ec2KeypairCreatedByNewPrincipal {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "ec2.amazonaws.com"
            || !matches!(rec.event_name(), "CreateKeyPair" | "ImportKeyPair")
            || !rec.succeeded()
            || (aws_service_or_console_session_caller(rec) && !stack_call(rec))
        {
            return None;
        }
        let evidence = Evidence::new()
            .with_opt("key_name", rec.request_param_str("keyName"))
            .with_json(
                "key_fingerprint",
                rec.response_element("keyFingerprint"),
            )
        ;
        Some(first_seen_by_principal(rec, evidence))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::eval;

    fn record(name: &str, ua: &str, extra: &str) -> String {
        format!(
            r#"{{"eventSource":"ec2.amazonaws.com","eventName":"{name}","eventTime":"2026-06-02T10:00:01Z",
            "recipientAccountId":"111122223333","sourceIPAddress":"203.0.113.88","userAgent":"{ua}",
            "userIdentity":{{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/dev/alice",
              "sessionContext":{{"sessionIssuer":{{"type":"Role","arn":"arn:aws:iam::111122223333:role/dev"}}}}}},
            {extra}"requestParameters":{{"keyName":"backup-key"}},
            "responseElements":{{"keyName":"backup-key","keyFingerprint":"1f:51:ae:28:bf:89:e9:d8:1f:25:5d:37:2d:7d:b8:ca:9f:f5:f1:6f"}}}}"#
        )
    }

    #[test]
    fn create_and_import_are_terms_per_role() {
        for name in ["CreateKeyPair", "ImportKeyPair"] {
            match eval(&Ec2KeypairCreatedByNewPrincipal, &record(name, "aws-cli/2.15.30", "")) {
                Some(Signal::FirstSeen { term, evidence }) => {
                    assert_eq!(term, "111122223333|arn:aws:iam::111122223333:role/dev");
                    assert_eq!(
                        evidence.get("key_name").and_then(|v| v.as_str()),
                        Some("backup-key")
                    );
                }
                other => panic!("expected FirstSeen, got {other:?}"),
            }
        }
    }

    #[test]
    fn console_and_service_creations_are_ignored() {
        let console = record(
            "CreateKeyPair",
            "EC2ConsoleBackend, aws-sdk-java/1.12.0 Linux/5.10",
            r#""sessionCredentialFromConsole":"true","#,
        );
        assert_eq!(eval(&Ec2KeypairCreatedByNewPrincipal, &console), None);
        // Records from before CloudTrail marked console sessions carry the agent only.
        let older = record("CreateKeyPair", "EC2ConsoleBackend, aws-sdk-java/Linux/x.xx.fleetxen", "");
        assert_eq!(eval(&Ec2KeypairCreatedByNewPrincipal, &older), None);
        let internal = record("CreateKeyPair", "AWS Internal", "").replace("203.0.113.88", "AWS Internal");
        assert_eq!(eval(&Ec2KeypairCreatedByNewPrincipal, &internal), None);
        let other_service = record("CreateKeyPair", "elasticbeanstalk.amazonaws.com", "")
            .replace("203.0.113.88", "elasticbeanstalk.amazonaws.com")
            .replace(r#""userIdentity":{"#, r#""userIdentity":{"invokedBy":"elasticbeanstalk.amazonaws.com","#);
        assert_eq!(eval(&Ec2KeypairCreatedByNewPrincipal, &other_service), None);
    }

    /// From a second evasion review: a stack's key pair is its caller's.
    #[test]
    fn a_stacks_key_pair_counts() {
        let stack = record("ImportKeyPair", "cloudformation.amazonaws.com", "")
            .replace("203.0.113.88", "cloudformation.amazonaws.com")
            .replace(r#""userIdentity":{"#, r#""userIdentity":{"invokedBy":"cloudformation.amazonaws.com","#);
        assert!(matches!(
            eval(&Ec2KeypairCreatedByNewPrincipal, &stack),
            Some(Signal::FirstSeen { .. })
        ));
        let service = stack.replace(r#""type":"AssumedRole""#, r#""type":"AWSService""#);
        assert_eq!(eval(&Ec2KeypairCreatedByNewPrincipal, &service), None);
    }

    /// From a review: console-session keys used by the CLI with the console's word
    /// appended are not the console.
    #[test]
    fn console_session_keys_in_the_cli_with_an_app_id_count() {
        let cloudshell = record(
            "ImportKeyPair",
            "aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exec-env/CloudShell app/consolebackend",
            r#""sessionCredentialFromConsole":"true","#,
        );
        assert!(matches!(eval(&Ec2KeypairCreatedByNewPrincipal, &cloudshell), Some(Signal::FirstSeen { .. })));
    }

    /// From a review: the console's word in an agent any SDK can send
    /// (`AWS_SDK_UA_APP_ID=consolebackend`) exempts nothing without a console
    /// session.
    #[test]
    fn a_console_agent_without_a_console_session_counts() {
        for ua in [
            "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22 app/consolebackend",
            "aws-cli/2.15.30 Python/3.11.8 exec-env/EC2ConsoleBackend",
            "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 app/console.amazonaws.com",
        ] {
            assert!(
                matches!(eval(&Ec2KeypairCreatedByNewPrincipal, &record("ImportKeyPair", ua, "")), Some(Signal::FirstSeen { .. })),
                "{ua}"
            );
        }
    }

    #[test]
    fn failures_and_other_events_are_ignored() {
        let dup = record(
            "CreateKeyPair",
            "aws-cli/2.15.30",
            r#""errorCode":"Client.InvalidKeyPair.Duplicate","#,
        );
        assert_eq!(eval(&Ec2KeypairCreatedByNewPrincipal, &dup), None);
        let delete = record("DeleteKeyPair", "aws-cli/2.15.30", "");
        assert_eq!(eval(&Ec2KeypairCreatedByNewPrincipal, &delete), None);
    }
}
