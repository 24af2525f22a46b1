//! The admin password of a Redshift cluster (`ModifyCluster` with
//! `masterUserPassword`) or Redshift Serverless namespace (`UpdateNamespace` with
//! `adminUserPassword`) set through the control plane (attempts included).
//!
//! Decisions: the Redshift form of `rds-master-password-reset`, whose specification
//! keeps it to RDS (from an evasion review: the same takeover of a data warehouse
//! went unseen). CloudTrail masks the value, so the key's presence is the sign; the
//! rule's pattern asks EventBridge for it, so the cluster's other changes do not
//! travel. A password handed to Secrets Manager (`manageMasterPassword`,
//! `manageAdminPassword`) sets no password anyone knows and does not fire.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::with_error;
use crate::event::Record;

pub struct RedshiftAdminPasswordReset;

const REDSHIFT: &str = "redshift.amazonaws.com";
const SERVERLESS: &str = "redshift-serverless.amazonaws.com";

pub static META: Meta = Meta {
    id: "redshift-admin-password-reset",
    title: "AWS Redshift Admin Password Reset",
    description: "Someone set a new admin user password on a Redshift cluster or Redshift \
                  Serverless namespace. With the control-plane right to do this, an \
                  attacker gets full access to the warehouse's data without knowing any \
                  database credential. Denied attempts are reported too.",
    severity: Severity::Medium,
    attack: &["T1098", "T1586.003"],
    origins: &["trailwatch: from an evasion review (the Redshift twin of \
                rds-master-password-reset)"],
    group: "identity-abuse",
    false_positives: &[
        "A data platform administrator resetting or rotating the admin password.",
        "Infrastructure-as-code applying a changed admin password.",
    ],
    next_steps: "Confirm the change with the warehouse's owner. If unexpected, set a new \
                 admin password (or hand it to Secrets Manager), review the warehouse's \
                 connection and user activity logs since the change, and check how the \
                 caller got redshift:ModifyCluster or redshift-serverless:UpdateNamespace. \
                 An error code means the attempt failed.",
    evidence: "api cluster error_code error_message namespace",
    triggers: &[
        Trigger::Events {
            source: REDSHIFT,
            names: &["ModifyCluster"],
            read_only: false,
            data_event: false,
            detail_pattern: Some(r#"{"requestParameters":{"masterUserPassword":[{"exists":true}]}}"#),
        },
        Trigger::Events {
            source: SERVERLESS,
            names: &["UpdateNamespace"],
            read_only: false,
            data_event: false,
            detail_pattern: Some(r#"{"requestParameters":{"adminUserPassword":[{"exists":true}]}}"#),
        },
    ],
    window: None,
};

impl Detection for RedshiftAdminPasswordReset {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        let password_key = match (rec.event_source(), rec.event_name()) {
            (REDSHIFT, "ModifyCluster") => "masterUserPassword",
            (SERVERLESS, "UpdateNamespace") => "adminUserPassword",
            _ => return None,
        };
        // CloudTrail masks the value; only the key's presence says a password was set.
        rec.request_param(password_key)?;
        let evidence = Evidence::new()
            .with("api", rec.event_name())
            .with_opt("cluster", rec.request_param_str("clusterIdentifier"))
            .with_opt("namespace", rec.request_param_str("namespaceName"));
        fire(with_error(evidence, rec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::calls::{call, failed};
    use crate::detections::common::testing::{eval, fires};

    #[test]
    fn a_cluster_or_namespace_password_set_fires() {
        let cluster = call(REDSHIFT, "ModifyCluster", r#"{"clusterIdentifier":"dw-prod","masterUserPassword":"HIDDEN_DUE_TO_SECURITY_REASONS"}"#);
        match eval(&RedshiftAdminPasswordReset, &cluster) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("cluster").and_then(|v| v.as_str()), Some("dw-prod")),
            other => panic!("expected a finding, got {other:?}"),
        }
        let namespace = call(SERVERLESS, "UpdateNamespace", r#"{"namespaceName":"analytics","adminUserPassword":"HIDDEN_DUE_TO_SECURITY_REASONS","adminUsername":"admin"}"#);
        assert!(fires(&RedshiftAdminPasswordReset, &namespace));
        // An attempt counts, with its error.
        match eval(&RedshiftAdminPasswordReset, &failed(&cluster, "UnauthorizedOperation")) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("error_code").and_then(|v| v.as_str()), Some("UnauthorizedOperation")),
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn other_changes_and_managed_passwords_do_not() {
        let resize = call(REDSHIFT, "ModifyCluster", r#"{"clusterIdentifier":"dw-prod","numberOfNodes":4}"#);
        assert!(!fires(&RedshiftAdminPasswordReset, &resize));
        let managed = call(REDSHIFT, "ModifyCluster", r#"{"clusterIdentifier":"dw-prod","manageMasterPassword":true}"#);
        assert!(!fires(&RedshiftAdminPasswordReset, &managed));
        let wrong_pair = call(SERVERLESS, "ModifyCluster", r#"{"masterUserPassword":"HIDDEN_DUE_TO_SECURITY_REASONS"}"#);
        assert!(!fires(&RedshiftAdminPasswordReset, &wrong_pair));
    }
}
