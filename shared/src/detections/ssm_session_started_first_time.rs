//! A Systems Manager session opened to an instance (`StartSession`), successfully, by a
//! principal that has not opened one to that target in the last ten days.
//!
//! First-seen on account, principal and target: Session Manager is an everyday way in
//! for some teams, so each principal-and-instance pair is reported once per ten days.
//!
//! From a third evasion review: an interactive ECS Exec session into a container
//! (`ExecuteCommand` of ECS with `interactive` true, which runs over Session
//! Manager), first seen per principal, cluster and container.
//!
//! The caller in the term is the role of an assumed-role session, not the session
//! (`common::account_principal_term`): the CLI and SDKs name a new session on every
//! assume, and ECS tasks after the task, so a session term would be new each run.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, WindowSpec};
use crate::detections::common::{account_principal_term, call_context, flag_value};
use crate::event::Record;

pub struct SsmSessionStartedFirstTime;

pub static META: Meta = Meta {
    id: "ssm-session-started-first-time",
    title: "AWS SSM Session Started to an Instance or Container for the First Time",
    description: "A principal opened a Systems Manager session (a shell, or a port forwarded \
                  through the instance) to an instance, or an interactive ECS Exec shell into a \
                  container, it has not connected to in the last ten days. Session Manager gives an interactive shell or a tunnel without SSH keys \
                  or open ports, so stolen cloud credentials are enough to get onto a host or \
                  reach what it can reach.",
    severity: Severity::Medium,
    attack: &["T1021.007", "T1651"],
    origins: &[
        "trailwatch: based on Stratus Red Team aws.execution.ssm-start-session",
    ],
    group: "compute-network",
    false_positives: &[
        "An engineer connecting to an instance for the first time, or to a newly launched \
         instance.",
        "An engineer debugging a service's container through ECS Exec for the first time \
         (after a new deployment its cluster and container stay the same).",
        "Automation opening sessions to a fleet replaced every day (Ansible's aws_ssm \
         connection, a patching job): every new instance is a new target, one finding \
         each; suppress that automation's role in the tuning file, which keeps every \
         other principal's first sessions.",
    ],
    next_steps: "Confirm the session with the person behind the principal. Session logs (if \
                 Session Manager logs to S3 or CloudWatch) show what was typed; terminate the \
                 session and contain the credentials if it was not them.",
    evidence: "command document region session_id source_ip target task user_agent",
    triggers: &[
        Trigger::write("ssm.amazonaws.com", &["StartSession"]),
        Trigger::write(ECS, &[ECS_EXEC]),
    ],
    window: Some(WindowSpec::FirstSeen { days: 10 }),
};

impl Detection for SsmSessionStartedFirstTime {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() == ECS && rec.event_name() == ECS_EXEC {
            return ecs_exec_shell(rec);
        }
        if rec.event_source() != "ssm.amazonaws.com"
            || rec.event_name() != "StartSession"
            || !rec.succeeded()
        {
            return None;
        }
        let target = rec.request_param_str("target")?.trim();
        if target.is_empty() {
            return None;
        }
        let evidence = call_context(rec)
            .with("target", target)
            .with_opt("document", rec.request_param_str("documentName"))
            .with_opt(
                "session_id",
                rec.response_element("sessionId").and_then(|v| v.as_str()),
            );
        Some(Signal::FirstSeen {
            term: format!("{}|{target}", account_principal_term(rec)),
            evidence,
        })
    }
}

const ECS: &str = "ecs.amazonaws.com";
/// ECS Exec, which opens its shell over Session Manager (from a third evasion
/// review: an interactive shell in a container was never reported).
const ECS_EXEC: &str = "ExecuteCommand";

/// An interactive ECS Exec session, first seen per principal, cluster and
/// container (not the task: every deployment makes new ones).
fn ecs_exec_shell(rec: &Record<'_>) -> Option<Signal> {
    fn text(v: Option<&str>) -> Option<&str> {
        v.map(str::trim).filter(|c| !c.is_empty())
    }
    if !rec.succeeded() || rec.request_param("interactive").and_then(flag_value) != Some(true) {
        return None;
    }
    // The cluster is optional (the `default` cluster): else the answer's ARN,
    // else the task ARN's cluster (`task/<cluster>/<id>`; from a review). A
    // cluster given by ARN or by name is one cluster.
    let cluster = text(rec.request_param_str("cluster"))
        .or_else(|| text(rec.response_element_str("clusterArn")))
        .map(|c| c.rsplit_once(":cluster/").map_or(c, |(_, name)| name))
        .or_else(|| {
            let task = text(rec.request_param_str("task"))?;
            let (_, path) = task.split_once(":task/")?;
            path.split_once('/').map(|(cluster, _)| cluster)
        })
        .unwrap_or("default");
    let container = text(rec.request_param_str("container"))
        .or_else(|| text(rec.response_element_str("containerName")))
        .unwrap_or("");
    let target = format!("ecs:{cluster}/{container}");
    let evidence = call_context(rec)
        .with("target", target.as_str())
        .with_opt("task", rec.request_param_str("task"))
        .with_opt("command", rec.request_param_str("command"))
        .with_opt(
            "session_id",
            rec.response_element("session")
                .and_then(|s| s.get("sessionId"))
                .and_then(|v| v.as_str()),
        );
    Some(Signal::FirstSeen {
        term: format!("{}|{target}", account_principal_term(rec)),
        evidence,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::compute_testing::{ACCESS_DENIED, IAM_USER, ROLE, record};
    use crate::detections::common::testing::eval;

    #[test]
    fn the_term_is_account_principal_and_target() {
        let r = record("ssm.amazonaws.com", "StartSession", IAM_USER, r#"{"target":"i-0a1b2c3d"}"#, r#""responseElements":{"sessionId":"dana-0abc"},"#);
        match eval(&SsmSessionStartedFirstTime, &r) {
            Some(Signal::FirstSeen { term, evidence }) => {
                assert_eq!(term, "111122223333|arn:aws:iam::111122223333:user/dana|i-0a1b2c3d");
                assert_eq!(evidence.get("session_id").unwrap(), "dana-0abc");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn failures_missing_targets_and_other_calls_do_not_count() {
        let denied = record("ssm.amazonaws.com", "StartSession", ROLE, r#"{"target":"i-0a1b2c3d"}"#, ACCESS_DENIED);
        assert_eq!(eval(&SsmSessionStartedFirstTime, &denied), None);
        for params in ["null", "{}", r#"{"target":" "}"#, r#"{"target":12}"#] {
            assert_eq!(eval(&SsmSessionStartedFirstTime, &record("ssm.amazonaws.com", "StartSession", ROLE, params, "")), None);
        }
        let end = record("ssm.amazonaws.com", "TerminateSession", ROLE, r#"{"sessionId":"x"}"#, "");
        assert_eq!(eval(&SsmSessionStartedFirstTime, &end), None);
    }

    /// From a third evasion review: a shell into a container through ECS Exec.
    #[test]
    fn an_interactive_ecs_exec_session_counts_by_cluster_and_container() {
        let exec = |cluster: &str, interactive: &str| {
            record(ECS, ECS_EXEC, IAM_USER, &format!(
                r#"{{"cluster":"{cluster}","container":"api","command":"/bin/sh","interactive":{interactive},"task":"arn:aws:ecs:us-east-1:111122223333:task/prod/0123"}}"#
            ), "")
        };
        for cluster in ["prod", "arn:aws:ecs:us-east-1:111122223333:cluster/prod"] {
            match eval(&SsmSessionStartedFirstTime, &exec(cluster, "true")) {
                Some(Signal::FirstSeen { term, evidence }) => {
                    assert_eq!(term, "111122223333|arn:aws:iam::111122223333:user/dana|ecs:prod/api");
                    assert_eq!(evidence.get("command").and_then(|v| v.as_str()), Some("/bin/sh"));
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(eval(&SsmSessionStartedFirstTime, &exec("prod", "false")), None);
        // No cluster named: the default one, or the answer's, or the task's (a review).
        let term_of = |params: &str, response: &str| match eval(
            &SsmSessionStartedFirstTime,
            &record(ECS, ECS_EXEC, IAM_USER, params, response),
        ) {
            Some(Signal::FirstSeen { term, .. }) => term,
            other => panic!("unexpected {other:?}"),
        };
        let bare = r#"{"task":"arn:aws:ecs:us-east-1:111122223333:task/batch/0123","interactive":true,"command":"/bin/sh"}"#;
        assert!(term_of(bare, "").ends_with("|ecs:batch/"));
        let answered = r#""responseElements":{"clusterArn":"arn:aws:ecs:us-east-1:111122223333:cluster/default","containerName":"web"},"#;
        assert!(term_of(bare, answered).ends_with("|ecs:default/web"));
        assert!(term_of(r#"{"task":"0123","interactive":true}"#, "").ends_with("|ecs:default/"));
        let denied = record(ECS, ECS_EXEC, ROLE, r#"{"cluster":"prod","container":"api","interactive":true}"#, ACCESS_DENIED);
        assert_eq!(eval(&SsmSessionStartedFirstTime, &denied), None);
    }
}
