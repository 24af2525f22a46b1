//! The first `BatchGetSecretValue` of a caller in seven days, successfully.
//!
//! Decisions: the term is account and caller; for an assumed role, the role, not the
//! session (`common::account_principal_term`, as the other first-seen detections and
//! Splunk's rule, which keys on the session issuer): SDKs name a new session on every
//! assume, so a session term would be new on every run. One batch call returns up to
//! twenty secret values, selected by name or by a filter such as a tag; a caller
//! that has not used it in a week is worth a look.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, WindowSpec};
use crate::detections::common::{account_principal_term, aws_service_caller, succeeded_call};
use crate::event::Record;

pub struct SecretsManagerBatchRetrievalFirstSeen;

pub static META: Meta = Meta {
    id: "secretsmanager-batch-retrieval-first-seen",
    title: "AWS Secrets Manager Batch Retrieval by a New Caller",
    description: "A caller read secret values in bulk with BatchGetSecretValue for the first time \
                  in seven days. One call returns up to twenty secrets, found by a filter: an easy \
                  way to harvest every secret a stolen identity may read.",
    severity: Severity::Medium,
    attack: &["T1555.006", "T1528"],
    origins: &[
        "Splunk ESCU: AWS Anomalous Secrets Manager Batch Retrieval (first BatchGetSecretValue in 7 \
         days per principal; catalogue continuation)",
        "trailwatch: based on Stratus Red Team aws.credential-access.secretsmanager-batch-retrieve-secrets",
    ],
    group: "data-exposure",
    false_positives: &[
        "A new application or deployment tool that loads its secrets in one batch.",
    ],
    next_steps: "Check which secrets the call returned (filters in the request, secret names in \
                 the response if logged) and whether the caller needs them. If not, rotate them \
                 and revoke the caller's credentials.",
    evidence: "filters secret_ids",
    triggers: &[Trigger::read_only(
        "secretsmanager.amazonaws.com",
        &["BatchGetSecretValue"],
    )],
    window: Some(WindowSpec::FirstSeen { days: 7 }),
};

impl Detection for SecretsManagerBatchRetrievalFirstSeen {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, "secretsmanager.amazonaws.com", &["BatchGetSecretValue"])
            || aws_service_caller(rec)
        {
            return None;
        }
        Some(Signal::FirstSeen {
            term: account_principal_term(rec),
            evidence: Evidence::new()
                .with_json("filters", rec.request_param("filters"))
                .with_json("secret_ids", rec.request_param("secretIdList")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, USER, failed, record};
    use crate::detections::common::testing::eval;
    use serde_json::json;

    const BATCH: &str = r#"{"filters":[{"key":"tag-key","values":["env"]}]}"#;

    #[test]
    fn the_term_is_account_and_caller() {
        match eval(&SecretsManagerBatchRetrievalFirstSeen, &record("secretsmanager.amazonaws.com", "BatchGetSecretValue", USER, BATCH, "")) {
            Some(Signal::FirstSeen { term, evidence }) => {
                assert_eq!(term, "111122223333|arn:aws:iam::111122223333:user/mallory");
                assert_eq!(evidence.get("filters"), Some(&json!([{"key":"tag-key","values":["env"]}])));
            }
            other => panic!("expected a term, got {other:?}"),
        }
        assert!(eval(&SecretsManagerBatchRetrievalFirstSeen, &record("secretsmanager.amazonaws.com", "BatchGetSecretValue", ROLE, "null", "")).is_some());
    }

    #[test]
    fn every_session_of_a_role_is_the_role() {
        let term = |identity: &str| match eval(
            &SecretsManagerBatchRetrievalFirstSeen,
            &record("secretsmanager.amazonaws.com", "BatchGetSecretValue", identity, BATCH, ""),
        ) {
            Some(Signal::FirstSeen { term, .. }) => term,
            other => panic!("expected a term, got {other:?}"),
        };
        let next_session = ROLE.replace("ops-session", "botocore-session-1717");
        assert_ne!(next_session, ROLE);
        assert_eq!(term(ROLE), "111122223333|arn:aws:iam::111122223333:role/DataOps");
        assert_eq!(term(&next_session), term(ROLE));
    }

    #[test]
    fn skips_failures_services_and_other_calls() {
        assert_eq!(eval(&SecretsManagerBatchRetrievalFirstSeen, &failed("secretsmanager.amazonaws.com", "BatchGetSecretValue", ROLE, BATCH, "AccessDeniedException")), None);
        assert_eq!(eval(&SecretsManagerBatchRetrievalFirstSeen, &record("secretsmanager.amazonaws.com", "BatchGetSecretValue", SERVICE, BATCH, "")), None);
        assert_eq!(eval(&SecretsManagerBatchRetrievalFirstSeen, &record("secretsmanager.amazonaws.com", "GetSecretValue", ROLE, BATCH, "")), None);
    }
}
