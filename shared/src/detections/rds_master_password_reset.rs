//! The master password of an RDS instance or Aurora cluster set through
//! `ModifyDBInstance` / `ModifyDBCluster` (attempts included).

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::with_error;
use crate::event::Record;

pub struct RdsMasterPasswordReset;

pub static META: Meta = Meta {
    id: "rds-master-password-reset",
    title: "AWS Credential Access RDS Password reset",
    description: "Someone set a new master user password on an RDS DB instance or Aurora \
                  cluster. With the control-plane right to do this, an attacker gets full \
                  access to the database without knowing any database credential. Denied \
                  attempts are reported too.",
    severity: Severity::Medium,
    attack: &["T1586", "T1586.003", "T1110"],
    origins: &["Splunk ESCU detections/cloud/aws_credential_access_rds_password_reset.yml \
             (6153c5ea-ed30-4878-81e6-21ecdb198189); ModifyDBCluster added as the ASL and \
             Elastic variants do"],
    group: "identity-abuse",
    false_positives: &[
        "A database administrator resetting a forgotten or rotated master password.",
        "Infrastructure-as-code applying a changed master password.",
    ],
    next_steps: "Confirm the change with the database owner. If unexpected, set a new master \
                 password (or hand it to Secrets Manager), review database logins since the \
                 change, and check how the caller got rds:ModifyDBInstance or \
                 rds:ModifyDBCluster. An error code means the attempt failed.",
    evidence: "apply_immediately db_cluster db_instance error_code error_message",
    triggers: &[Trigger::Events {
        source: "rds.amazonaws.com",
        names: &["ModifyDBInstance", "ModifyDBCluster"],
        read_only: false,
        data_event: false,
        detail_pattern: Some(r#"{"requestParameters":{"masterUserPassword":[{"exists":true}]}}"#),
    }],
    window: None,
};

impl Detection for RdsMasterPasswordReset {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "rds.amazonaws.com"
            || !matches!(rec.event_name(), "ModifyDBInstance" | "ModifyDBCluster")
        {
            return None;
        }
        // CloudTrail masks the value; only the key's presence says a password was set.
        rec.request_param("masterUserPassword")?;
        let evidence = Evidence::new()
            .with_opt("db_instance", rec.request_param_str("dBInstanceIdentifier"))
            .with_opt("db_cluster", rec.request_param_str("dBClusterIdentifier"))
            .with_json("apply_immediately", rec.request_param("applyImmediately"));
        fire(with_error(evidence, rec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::{fired_evidence, fires};

    const INSTANCE: &str = r#"{"eventSource":"rds.amazonaws.com","eventName":"ModifyDBInstance",
        "eventTime":"2026-07-08T22:05:00Z","awsRegion":"eu-central-1","recipientAccountId":"444455556666",
        "sourceIPAddress":"198.51.100.201","userAgent":"Boto3/1.34.90 Python/3.12.3",
        "userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:kim","arn":"arn:aws:sts::444455556666:assumed-role/DbAdmin/kim",
            "accountId":"444455556666","sessionContext":{"sessionIssuer":{"type":"Role","userName":"DbAdmin"}}},
        "requestParameters":{"dBInstanceIdentifier":"orders-prod","masterUserPassword":"****","applyImmediately":true},
        "responseElements":{"dBInstanceIdentifier":"orders-prod","pendingModifiedValues":{"masterUserPassword":"****"}}}"#;

    const CLUSTER: &str = r#"{"eventSource":"rds.amazonaws.com","eventName":"ModifyDBCluster",
        "eventTime":"2026-07-08T22:05:00Z","awsRegion":"eu-central-1","recipientAccountId":"444455556666",
        "sourceIPAddress":"198.51.100.201","userAgent":"Boto3/1.34.90 Python/3.12.3",
        "userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::444455556666:user/lena",
            "accountId":"444455556666","userName":"lena"},
        "requestParameters":{"dBClusterIdentifier":"billing-aurora","masterUserPassword":"****","applyImmediately":false},
        "responseElements":{"dBClusterIdentifier":"billing-aurora"}}"#;

    fn evidence(json: &str) -> Evidence {
        fired_evidence(&RdsMasterPasswordReset, json)
    }

    #[test]
    fn fires_on_an_instance_password_change() {
        let e = evidence(INSTANCE);
        assert_eq!(
            e.get("db_instance").and_then(|v| v.as_str()),
            Some("orders-prod")
        );
        assert_eq!(
            e.get("apply_immediately"),
            Some(&serde_json::Value::Bool(true))
        );
        assert!(e.get("error_code").is_none());
        // The (masked) password value is never reported.
        assert!(e.0.iter().all(|(k, _)| !k.contains("password")));
    }

    #[test]
    fn fires_on_a_cluster_password_change() {
        let e = evidence(CLUSTER);
        assert_eq!(
            e.get("db_cluster").and_then(|v| v.as_str()),
            Some("billing-aurora")
        );
    }

    #[test]
    fn fires_on_a_denied_attempt_with_its_error_code() {
        let denied = INSTANCE.replace(
            r#""requestParameters""#,
            r#""errorCode":"AccessDenied","errorMessage":"not authorized to perform rds:ModifyDBInstance","requestParameters""#,
        );
        let e = evidence(&denied);
        assert_eq!(
            e.get("error_code").and_then(|v| v.as_str()),
            Some("AccessDenied")
        );
    }

    #[test]
    fn tests_the_key_not_its_value() {
        for value in [r#""****""#, r#""""#, "null", r#""hunter2""#] {
            let json = INSTANCE.replace(
                r#""masterUserPassword":"****","applyImmediately""#,
                &format!(r#""masterUserPassword":{value},"applyImmediately""#),
            );
            assert!(fires(&RdsMasterPasswordReset, &json), "{value}");
        }
    }

    #[test]
    fn ignores_a_modification_without_a_password() {
        let resize = INSTANCE.replace(
            r#""masterUserPassword":"****","applyImmediately""#,
            r#""dBInstanceClass":"db.r6g.large","applyImmediately""#,
        );
        assert!(!fires(&RdsMasterPasswordReset, &resize));
        // Only the response mentions a pending password: not this rule's trigger key.
        assert!(resize.contains("pendingModifiedValues"));
        let rotate = CLUSTER.replace(
            r#""masterUserPassword":"****""#,
            r#""rotateMasterUserPassword":true"#,
        );
        assert!(!fires(&RdsMasterPasswordReset, &rotate));
        let null_params = r#"{"eventSource":"rds.amazonaws.com","eventName":"ModifyDBInstance","requestParameters":null}"#;
        assert!(!fires(&RdsMasterPasswordReset, null_params));
    }

    #[test]
    fn ignores_other_events() {
        let create = INSTANCE.replace("ModifyDBInstance", "CreateDBInstance");
        assert!(!fires(&RdsMasterPasswordReset, &create));
        let docdb = INSTANCE.replace("rds.amazonaws.com", "docdb-elastic.amazonaws.com");
        assert!(!fires(&RdsMasterPasswordReset, &docdb));
    }
}
