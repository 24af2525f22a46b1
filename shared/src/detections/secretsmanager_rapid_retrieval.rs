//! One caller reading many secrets in a short time: at least 10 distinct secrets
//! within five minutes (`GetSecretValue`, allowed or denied).
//!
//! Decisions: denied calls count too (a stolen identity probing which secrets it may
//! read is as telling as a successful harvest); the error codes are in the finding.
//! The group is the caller alone, so rotating addresses or user agents does not
//! reset the count, and in its own account: an outside role reading secrets that
//! several accounts share with it is one count (a secret of another account is
//! named with that account). Calls made by AWS services on a caller's behalf (`invokedBy`,
//! e.g. CloudFormation resolving dynamic references) are skipped. A secret asked for
//! by its full ARN counts as its name (the ARN's `:secret:` part less the six-character
//! suffix Secrets Manager appends), so one secret read both ways is one secret.
//!
//! `BatchGetSecretValue` (up to twenty secrets a call) is counted through the
//! `GetSecretValue` entry Secrets Manager writes to CloudTrail for each secret a batch
//! asks for (its API reference says so); the batch call itself is not counted again,
//! which would count its secrets twice. Not verified against a real batch: published
//! detonation logs that keep only the caller's own calls show the batch call alone,
//! so those entries may be written under the service, which this detection skips;
//! then a batch-only harvest is not counted here (a stated limit, from a review: one
//! record gives a window one observation, so the batch's list cannot count itself).
//! A caller's first batch call in a week is
//! `secretsmanager-batch-retrieval-first-seen`'s.
//!
//! The principal is the session for assumed roles, not the role: one role is often
//! shared by an instance fleet, an ECS service's tasks or many pipelines' runs, and
//! pooling their calls would add up unrelated workloads. An intruder who re-assumes
//! the role for every few calls splits the count: a known limit (docs/coverage.md).

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, Repeats, Countable, WindowSpec};
use crate::detections::common::{arn_account, aws_service_caller};
use crate::event::Record;

pub struct SecretsManagerRapidRetrieval;

pub static META: Meta = Meta {
    id: "secretsmanager-rapid-retrieval",
    title: "AWS Secrets Manager Rapid Secrets Retrieval",
    description: "A single caller asked for the value of ten or more different secrets within five \
                  minutes. Applications read the few secrets they need; reading many at once is \
                  how an intruder harvests database passwords and API keys.",
    severity: Severity::High,
    attack: &["T1555.006", "T1528"],
    origins: &[
        "trailwatch: based on Stratus Red Team aws.credential-access.secretsmanager-retrieve-secrets",
        "Elastic detection-rules: AWS Secrets Manager Rapid Secrets Retrieval (title in the \
         catalogue continuation)",
    ],
    group: "data-exposure",
    false_positives: &[
        "Deployment or configuration tools that read every secret of an environment at start.",
        "Secret-scanning or backup tools.",
        "A central tool's role reading a secret in each of many accounts that share it \
         with that role (a resource policy): the reads count together, as an outside \
         harvest's do. Suppress that role's own session names or agent rather than the \
         role, and match it by `userIdentity.principalId` too: the copies written in the \
         owner accounts may name the caller by its role id alone, without an ARN.",
        "A function that reads one secret per tenant or customer on each run: suppress \
         its role (the tuning file) rather than raising the threshold for everyone.",
        "GitHub Actions runs of one role: configure-aws-credentials names every session \
         `GitHubActions` unless told otherwise, so all runs count as one session; set \
         `role-session-name` per run (the run id).",
    ],
    next_steps: "Check whether the caller normally reads these secrets. If not, rotate every \
                 secret it read successfully, revoke its session or keys, and review where its \
                 credentials were used from.",
    evidence: "error_code source_ip user_agent",
    triggers: &[Trigger::read_only(
        "secretsmanager.amazonaws.com",
        &["GetSecretValue"],
    )],
    window: Some(WindowSpec::Distinct {
        window_secs: 300,
        min_distinct: 10,
        repeats: Repeats::Always,
        values: Countable::Open,
    }),
};

/// The secret's name: `secretId` as given, or the name inside a full ARN
/// (`arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>`).
/// A partial ARN (the name alone) may itself end in six letters
/// (`prod/db-master`, `prod/db-reader`): only a suffix with a digit or a
/// capital and not only digits, as Secrets Manager's random ones nearly always
/// are, is taken for one, so that such secrets (`tenant-000042`) are not counted
/// as one (from a review). A random suffix of six lowercase letters (about one in
/// two hundred) counts its secret twice when it is named both ways.
fn secret_name(secret: &str) -> &str {
    let Some((_, named)) = secret.strip_prefix("arn:").and_then(|a| a.split_once(":secret:")) else {
        return secret;
    };
    match named.rsplit_once('-') {
        Some((name, suffix))
            if !name.is_empty()
                && suffix.len() == 6
                && suffix.bytes().all(|b| b.is_ascii_alphanumeric())
                && suffix.bytes().any(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
                && !suffix.bytes().all(|b| b.is_ascii_digit()) =>
        {
            name
        }
        _ => named,
    }
}

impl Detection for SecretsManagerRapidRetrieval {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "secretsmanager.amazonaws.com"
            || rec.event_name() != "GetSecretValue"
            || aws_service_caller(rec)
        {
            return None;
        }
        let secret = rec.request_param_str("secretId")?.trim();
        if secret.is_empty() {
            return None;
        }
        // The caller's own account, not the secret's: one outside caller
        // harvesting secrets its role may read in several accounts is one
        // count (from an identity review: five in each of two accounts were
        // two counts of five). A secret of another account is named with it,
        // its owner read from its ARN, so the copy of a call CloudTrail
        // writes in the caller's account and the owner's copy are one value.
        let caller_account = rec
            .identity()
            .and_then(|u| u.account_id.as_deref())
            .filter(|a| !a.is_empty())
            .or_else(|| rec.account_id())
            .unwrap_or("unknown");
        let owner = arn_account(secret).or_else(|| rec.account_id());
        let name = secret_name(secret);
        let value = match owner {
            Some(owner) if owner != caller_account => format!("{owner}:{name}"),
            _ => name.to_owned(),
        };
        Some(Signal::Distinct {
            group: crate::detections::common::joined(&[caller_account, crate::event::actor_key(rec)], '|'),
            value,
            evidence: Evidence::new()
                .with_opt("error_code", rec.error_code())
                .with_opt("source_ip", rec.source_ip())
                .with_opt("user_agent", rec.user_agent()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, USER, failed, record};
    use crate::detections::common::testing::eval;

    const GET: &str = r#"{"secretId":"arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbCdEf"}"#;

    #[test]
    fn counts_secrets_per_caller_allowed_or_denied() {
        match eval(&SecretsManagerRapidRetrieval, &record("secretsmanager.amazonaws.com", "GetSecretValue", USER, GET, "")) {
            Some(Signal::Distinct { group, value, evidence }) => {
                assert_eq!(group, "111122223333|arn:aws:iam::111122223333:user/mallory");
                assert_eq!(value, "prod/db");
                assert_eq!(evidence.get("error_code"), None);
            }
            other => panic!("expected an observation, got {other:?}"),
        }
        match eval(&SecretsManagerRapidRetrieval, &failed("secretsmanager.amazonaws.com", "GetSecretValue", ROLE, GET, "AccessDeniedException")) {
            Some(Signal::Distinct { evidence, .. }) => {
                assert_eq!(evidence.get("error_code").and_then(|v| v.as_str()), Some("AccessDeniedException"));
            }
            other => panic!("expected an observation, got {other:?}"),
        }
    }

    /// From an identity review: an outside caller reading five secrets in
    /// each of two accounts was two counts of five, one per owner.
    #[test]
    fn a_caller_is_counted_across_the_accounts_it_reads_in() {
        let outside = ROLE.replace("111122223333", "999988887777");
        let observe = |recipient: &str, owner: &str, name: &str| {
            let params = format!(r#"{{"secretId":"arn:aws:secretsmanager:us-east-1:{owner}:secret:{name}-AbCdEf"}}"#);
            let json = record("secretsmanager.amazonaws.com", "GetSecretValue", &outside, &params, "")
                .replace(r#""recipientAccountId":"111122223333""#, &format!(r#""recipientAccountId":"{recipient}""#));
            match eval(&SecretsManagerRapidRetrieval, &json) {
                Some(Signal::Distinct { group, value, .. }) => (group, value),
                other => panic!("expected an observation, got {other:?}"),
            }
        };
        let (in_a, a) = observe("111122223333", "111122223333", "prod/db");
        let (in_b, b) = observe("444455556666", "444455556666", "prod/db");
        assert_eq!(in_a, in_b);
        assert_eq!(in_a, "999988887777|arn:aws:sts::999988887777:assumed-role/DataOps/ops-session");
        // Two accounts' secrets of one name are two secrets.
        assert_eq!((a.as_str(), b.as_str()), ("111122223333:prod/db", "444455556666:prod/db"));
        // The copy written in the caller's own account is the same value.
        assert_eq!(observe("999988887777", "111122223333", "prod/db"), (in_a.clone(), a));
        // A caller's own secret keeps its plain name.
        assert_eq!(observe("999988887777", "999988887777", "own").1, "own");
    }

    #[test]
    fn a_secret_asked_for_by_arn_is_its_name() {
        assert_eq!(secret_name("arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbC123"), "prod/db");
        assert_eq!(secret_name("arn:aws:secretsmanager:us-east-1:111122223333:secret:app-key-9xY7zQ"), "app-key");
        assert_eq!(secret_name("prod/db"), "prod/db");
        assert_eq!(secret_name("prod/db-AbC123"), "prod/db-AbC123");
        assert_eq!(secret_name("arn:aws:secretsmanager:us-east-1:111122223333:secret:short"), "short");
        // From a review: partial ARNs of names that end in six letters stay apart.
        for name in ["prod/db-master", "prod/db-reader", "prod/db-backup", "tenant-000042"] {
            let partial = format!("arn:aws:secretsmanager:us-east-1:111122223333:secret:{name}");
            assert_eq!(secret_name(&partial), name);
        }
    }

    #[test]
    fn skips_services_and_records_without_a_secret() {
        assert_eq!(eval(&SecretsManagerRapidRetrieval, &record("secretsmanager.amazonaws.com", "GetSecretValue", SERVICE, GET, "")), None);
        for params in ["null", "{}", r#"{"secretId":""}"#, r#"{"secretId":7}"#] {
            assert_eq!(eval(&SecretsManagerRapidRetrieval, &record("secretsmanager.amazonaws.com", "GetSecretValue", ROLE, params, "")), None, "{params}");
        }
        assert_eq!(eval(&SecretsManagerRapidRetrieval, &record("secretsmanager.amazonaws.com", "DescribeSecret", ROLE, GET, "")), None);
    }
}
