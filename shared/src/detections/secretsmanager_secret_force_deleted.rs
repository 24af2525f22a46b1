//! A Secrets Manager secret deleted at once, without the recovery window
//! (`DeleteSecret` with `forceDeleteWithoutRecovery` true), successfully.
//!
//! Decision: an ordinary `DeleteSecret` keeps the secret recoverable for 7 to 30
//! days and does not fire; forcing immediate deletion leaves no way back. The flag
//! may be a JSON boolean or text.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{flag_value, succeeded_call};
use crate::event::Record;

pub struct SecretsManagerSecretForceDeleted;

pub static META: Meta = Meta {
    id: "secretsmanager-secret-force-deleted",
    title: "AWS Secrets Manager Secret Deleted Without Recovery",
    description: "A secret was deleted immediately, skipping the recovery window that normally \
                  keeps a deleted secret restorable for at least a week. Applications that need it \
                  break at once and the value cannot be brought back.",
    severity: Severity::Medium,
    attack: &["T1485", "T1531"],
    origins: &["trailwatch: based on data destruction in Secrets Manager (DeleteSecret with \
                forceDeleteWithoutRecovery)"],
    group: "data-exposure",
    false_positives: &["Test automation that creates and deletes secrets with the same name."],
    next_steps: "Find which applications used the secret and restore its value from its source \
                 (database, provider); review the caller's other deletions.",
    evidence: "secret",
    triggers: &[Trigger::write("secretsmanager.amazonaws.com", &["DeleteSecret"])],
    window: None,
};

impl Detection for SecretsManagerSecretForceDeleted {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, "secretsmanager.amazonaws.com", &["DeleteSecret"])
            || rec
                .request_param("forceDeleteWithoutRecovery")
                .and_then(flag_value)
                != Some(true)
        {
            return None;
        }
        fire(Evidence::new().with_opt("secret", rec.request_param_str("secretId")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, USER, failed, record};
    use crate::detections::common::testing::fires;

    #[test]
    fn fires_on_forced_deletion_only() {
        for flag in ["true", r#""True""#] {
            let p = format!(r#"{{"secretId":"prod/payments/db","forceDeleteWithoutRecovery":{flag}}}"#);
            assert!(fires(&SecretsManagerSecretForceDeleted, &record("secretsmanager.amazonaws.com", "DeleteSecret", USER, &p, "")), "{flag}");
        }
        for p in [
            r#"{"secretId":"prod/payments/db","recoveryWindowInDays":7}"#,
            r#"{"secretId":"prod/payments/db","forceDeleteWithoutRecovery":false}"#,
            "null",
        ] {
            assert!(!fires(&SecretsManagerSecretForceDeleted, &record("secretsmanager.amazonaws.com", "DeleteSecret", ROLE, p, "")), "{p}");
        }
        let forced = r#"{"secretId":"s","forceDeleteWithoutRecovery":true}"#;
        assert!(!fires(&SecretsManagerSecretForceDeleted, &failed("secretsmanager.amazonaws.com", "DeleteSecret", ROLE, forced, "ResourceNotFoundException")));
        assert!(!fires(&SecretsManagerSecretForceDeleted, &record("secretsmanager.amazonaws.com", "DeleteResourcePolicy", ROLE, forced, "")));
    }
}
