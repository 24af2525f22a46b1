//! One caller decrypting many SSM parameters in a short time: at least five
//! distinct `GetParameter`/`GetParameters`/`GetParametersByPath`/`GetParameterHistory`
//! requests with `withDecryption` within ten minutes (allowed or denied). A history
//! read returns every value the parameter ever had: it counts as that parameter.
//!
//! Decisions: a window counts one value per record, and `GetParameters` names up to
//! ten parameters, so the value is the request's sorted set of names (a repeated
//! identical request does not count twice). Five different decrypting requests in
//! ten minutes is a harvest of up to fifty SecureString values. Calls made by AWS
//! services on a caller's behalf (`invokedBy`: CloudFormation, ECS agents) are
//! skipped; denied calls count and carry their error code. `GetParametersByPath`
//! decrypts a whole tree, a page of up to ten parameters per call: its value is the
//! path with the page's `nextToken` (when the record carries it), so paging through
//! a large tree counts page by page, and reading one small tree again does not.
//!
//! The principal is the session for assumed roles, not the role: one role is often
//! shared by an instance fleet, an ECS service's tasks or many pipelines' runs, and
//! pooling their calls would add up unrelated workloads. An intruder who re-assumes
//! the role for every few calls splits the count: a known limit (docs/coverage.md).

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, Repeats, Countable, WindowSpec};
use crate::detections::common::{
    account_actor_group, aws_service_caller, flag_value, one_or_many, set_value,
};
use crate::event::Record;

pub struct SsmSecureStringBulkRetrieval;


pub static META: Meta = Meta {
    id: "ssm-securestring-bulk-retrieval",
    title: "AWS SSM SecureString Parameters Decrypted in Bulk",
    description: "A single caller asked for the decrypted value of SSM parameters in at least five \
                  different requests within ten minutes. SecureString parameters hold passwords \
                  and keys; reading many of them at once is credential harvesting.",
    severity: Severity::Medium,
    attack: &["T1552", "T1555"],
    origins: &[
        "trailwatch: based on Stratus Red Team aws.credential-access.ssm-retrieve-securestring-parameters",
        "trailwatch: based on Panther AWS Decrypt SSM Parameters (GetParameter(s) withDecryption, \
         threshold)",
    ],
    group: "correlation",
    false_positives: &[
        "Configuration tools that load all parameters of an application at start.",
        "A function that reads one parameter per tenant or customer on each run: \
         suppress its role (the tuning file).",
        "GitHub Actions runs of one role: configure-aws-credentials names every session \
         `GitHubActions` unless told otherwise, so all runs count as one session; set \
         `role-session-name` per run (the run id).",
    ],
    next_steps: "Check whether the caller normally reads these parameters. If not, rotate the \
                 values it read, revoke its credentials and review its other activity.",
    evidence: "error_code parameters_requested path source_ip",
    triggers: &[Trigger::read_only(
        "ssm.amazonaws.com",
        &["GetParameter", "GetParameterHistory", "GetParameters", "GetParametersByPath"],
    )],
    window: Some(WindowSpec::Distinct {
        window_secs: 600,
        min_distinct: 5,
        repeats: Repeats::Always,
        values: Countable::Open,
    }),
};

impl Detection for SsmSecureStringBulkRetrieval {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "ssm.amazonaws.com"
            || !matches!(
                rec.event_name(),
                "GetParameter" | "GetParameterHistory" | "GetParameters" | "GetParametersByPath"
            )
            || aws_service_caller(rec)
            || rec.request_param("withDecryption").and_then(flag_value) != Some(true)
        {
            return None;
        }
        let page;
        let mut names: Vec<&str> = match rec.event_name() {
            // A parameter's history holds every value it ever had: one parameter.
            "GetParameter" | "GetParameterHistory" => {
                rec.request_param_str("name").into_iter().collect()
            }
            "GetParametersByPath" => {
                let path = rec.request_param_str("path")?;
                page = match rec.request_param_str("nextToken") {
                    Some(token) => format!("path:{path}#{token}"),
                    None => format!("path:{path}"),
                };
                vec![page.as_str()]
            }
            _ => one_or_many(rec.request_param("names"))
                .into_iter()
                .filter_map(|n| n.as_str())
                .filter(|n| !n.is_empty())
                .collect(),
        };
        if names.is_empty() {
            return None;
        }
        names.sort_unstable();
        names.dedup();
        Some(Signal::Distinct {
            group: account_actor_group(rec),
            // Past 512 bytes the set keeps a digest of the whole: cut alone,
            // requests that share their first names counted as one (a few
            // low-sorting names in every call hid the rest; from a review).
            value: set_value(&names),
            evidence: Evidence::new()
                .with("parameters_requested", names.len())
                .with_opt("path", rec.request_param_str("path"))
                .with_opt("error_code", rec.error_code())
                .with_opt("source_ip", rec.source_ip()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, USER, failed, record};
    use crate::detections::common::testing::eval;

    fn value(sig: Option<Signal>) -> String {
        match sig {
            Some(Signal::Distinct { value, .. }) => value,
            other => panic!("expected an observation, got {other:?}"),
        }
    }

    #[test]
    fn a_decrypting_read_of_a_tree_counts_page_by_page() {
        let first = record("ssm.amazonaws.com", "GetParametersByPath", ROLE,
            r#"{"path":"/prod","recursive":true,"withDecryption":true}"#, "");
        assert_eq!(value(eval(&SsmSecureStringBulkRetrieval, &first)), "path:/prod");
        let next = record("ssm.amazonaws.com", "GetParametersByPath", ROLE,
            r#"{"path":"/prod","recursive":true,"withDecryption":true,"nextToken":"AAEAAbc"}"#, "");
        assert_eq!(value(eval(&SsmSecureStringBulkRetrieval, &next)), "path:/prod#AAEAAbc");
        let plain = record("ssm.amazonaws.com", "GetParametersByPath", ROLE,
            r#"{"path":"/prod","recursive":true,"withDecryption":false}"#, "");
        assert_eq!(eval(&SsmSecureStringBulkRetrieval, &plain), None);
        let no_path = record("ssm.amazonaws.com", "GetParametersByPath", ROLE,
            r#"{"recursive":true,"withDecryption":true}"#, "");
        assert_eq!(eval(&SsmSecureStringBulkRetrieval, &no_path), None);
    }

    #[test]
    fn the_value_is_the_sorted_set_of_names() {
        let rec = record("ssm.amazonaws.com", "GetParameters", USER,
            r#"{"names":["/app/db/password","/app/api/key","/app/db/password"],"withDecryption":true}"#, "");
        assert_eq!(value(eval(&SsmSecureStringBulkRetrieval, &rec)), "/app/api/key,/app/db/password");
        let single = record("ssm.amazonaws.com", "GetParameter", ROLE,
            r#"{"name":"/app/db/password","withDecryption":"true"}"#, "");
        assert_eq!(value(eval(&SsmSecureStringBulkRetrieval, &single)), "/app/db/password");
        let denied = failed("ssm.amazonaws.com", "GetParameter", ROLE,
            r#"{"name":"/app/db/password","withDecryption":true}"#, "AccessDeniedException");
        assert_eq!(value(eval(&SsmSecureStringBulkRetrieval, &denied)), "/app/db/password");
    }

    /// Long requests are cut on a character boundary, and requests that share
    /// their first names stay apart (from a review: six low-sorting names in
    /// every call made every call one value).
    #[test]
    fn long_requests_stay_bounded_and_apart() {
        let request = |last: &str| {
            let mut names: Vec<String> = (0..10).map(|i| format!(r#""/é{}{i}""#, "x".repeat(80))).collect();
            names.push(format!(r#""/z/{last}""#));
            let rec = record("ssm.amazonaws.com", "GetParameters", ROLE,
                &format!(r#"{{"names":[{}],"withDecryption":true}}"#, names.join(",")), "");
            value(eval(&SsmSecureStringBulkRetrieval, &rec))
        };
        let (one, other) = (request("db-password"), request("api-key"));
        assert!(one.len() <= 512 && other.len() <= 512);
        assert_ne!(one, other);
    }

    #[test]
    fn skips_plain_reads_services_and_empty_requests() {
        for params in [
            r#"{"names":["/a"],"withDecryption":false}"#,
            r#"{"names":["/a"]}"#,
            r#"{"names":[],"withDecryption":true}"#,
            r#"{"names":"/a","withDecryption":true}"#,
            "null",
        ] {
            let got = eval(&SsmSecureStringBulkRetrieval, &record("ssm.amazonaws.com", "GetParameters", ROLE, params, ""));
            if params.contains(r#""names":"/a""#) {
                // A single name written as text still names one parameter.
                assert!(got.is_some());
            } else {
                assert_eq!(got, None, "{params}");
            }
        }
        let svc = record("ssm.amazonaws.com", "GetParameters", SERVICE, r#"{"names":["/a"],"withDecryption":true}"#, "");
        assert_eq!(eval(&SsmSecureStringBulkRetrieval, &svc), None);
        let other = record("ssm.amazonaws.com", "DescribeParameters", ROLE, r#"{"name":"/a","withDecryption":true}"#, "");
        assert_eq!(eval(&SsmSecureStringBulkRetrieval, &other), None);
        let plain_history = record("ssm.amazonaws.com", "GetParameterHistory", ROLE, r#"{"name":"/a"}"#, "");
        assert_eq!(eval(&SsmSecureStringBulkRetrieval, &plain_history), None);
    }

    #[test]
    fn a_decrypted_history_counts_as_its_parameter() {
        let history = record("ssm.amazonaws.com", "GetParameterHistory", ROLE, r#"{"name":"/prod/db/password","withDecryption":true}"#, "");
        match eval(&SsmSecureStringBulkRetrieval, &history) {
            Some(Signal::Distinct { value, .. }) => assert_eq!(value, "/prod/db/password"),
            other => panic!("expected a count, got {other:?}"),
        }
    }
}
