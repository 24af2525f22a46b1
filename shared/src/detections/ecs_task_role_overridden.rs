//! An ECS task run with its IAM role overridden (`RunTask` or `StartTask` whose
//! `overrides.taskRoleArn` names a role), successfully, by anyone but an AWS
//! service.
//!
//! Decisions: from a third evasion review. A task definition names the role its
//! tasks run as, and deployments keep it there; an override at run time puts any
//! role the caller may pass (`iam:PassRole`) behind an existing image, usually
//! with its command overridden too, so a stolen identity runs code as an
//! administrator's role without registering anything (the ECS form of
//! `lambda-function-role-swapped`). The command (the containers' overridden
//! commands, entry points and environment values, as
//! `ecs-task-definition-credential-endpoint` reads them) is in the evidence; it
//! need not name the credential endpoint, since the SDK in the image uses the
//! role by itself. An execution role overridden alone (it pulls images and
//! writes logs) is left out. Calls AWS services make (a state machine's task
//! step, a schedule) are left out; a stack's count.

use serde_json::Value;

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_caller_but_stack, call_context};
use crate::detections::ecs_task_definition_credential_endpoint::command_strings;
use crate::event::Record;

pub struct EcsTaskRoleOverridden;

const SOURCE: &str = "ecs.amazonaws.com";
const NAMES: &[&str] = &["RunTask", "StartTask"];
/// How much of the overridden commands the evidence keeps.
const COMMAND_EVIDENCE_BYTES: usize = 1024;

pub static META: Meta = Meta {
    id: "ecs-task-role-overridden",
    title: "AWS ECS Task Run with Its IAM Role Overridden",
    description: "An ECS task was started with a different IAM role than its task definition \
                  names (`overrides.taskRoleArn`). Whatever runs in the task, usually an \
                  overridden command, acts with that role's permissions: a way to run code as \
                  a powerful role without registering anything new.",
    severity: Severity::Medium,
    attack: &["T1610", "T1078.004", "T1548"],
    origins: &["trailwatch: from a third evasion review (the ECS form of a Lambda function's \
              role swapped)"],
    group: "compute-network",
    false_positives: &[
        "Batch tooling that runs one task definition under per-job roles: tune by the \
         caller's role.",
    ],
    next_steps: "Check the role named and the command the task ran; if the caller had no \
                 reason to run it so, stop the task, review what the role did from it \
                 (CloudTrail by the task's session) and remove the caller's iam:PassRole.",
    evidence: "cluster command region source_ip task_definition task_role_arn user_agent",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

/// The overridden containers' commands, entry points and environment values
/// (read as `ecs-task-definition-credential-endpoint` reads them), joined and cut
/// to [`COMMAND_EVIDENCE_BYTES`].
fn overridden_commands(overrides: &Value) -> Option<String> {
    let parts = command_strings(overrides.get("containerOverrides"));
    if parts.is_empty() {
        return None;
    }
    let joined = parts.join(" ");
    Some(joined[..joined.floor_char_boundary(COMMAND_EVIDENCE_BYTES)].to_owned())
}

impl Detection for EcsTaskRoleOverridden {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != SOURCE
            || !NAMES.contains(&rec.event_name())
            || !rec.succeeded()
            || aws_service_caller_but_stack(rec)
        {
            return None;
        }
        let overrides = rec.request_param("overrides")?;
        let role = overrides
            .get("taskRoleArn")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|r| !r.is_empty())?;
        fire(
            call_context(rec)
                .with_opt("cluster", rec.request_param_str("cluster"))
                .with_opt("task_definition", rec.request_param_str("taskDefinition"))
                .with("task_role_arn", role)
                .with_opt("command", overridden_commands(overrides)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::compute_testing::{ACCESS_DENIED, ROLE, SERVICE, record};
    use crate::detections::common::testing::{fired_evidence, fires};

    const RUN: &str = r#"{"cluster":"prod","taskDefinition":"batch-worker:7","launchType":"FARGATE","count":1,
        "overrides":{"taskRoleArn":"arn:aws:iam::111122223333:role/OrganizationAdmin",
        "containerOverrides":[{"name":"worker","command":["sh","-c","aws iam create-access-key --user-name breakglass"]}]}}"#;

    #[test]
    fn a_task_run_with_another_role_fires_with_its_command() {
        for name in NAMES {
            let e = fired_evidence(&EcsTaskRoleOverridden, &record(SOURCE, name, ROLE, RUN, ""));
            assert_eq!(
                e.get("task_role_arn").and_then(|v| v.as_str()),
                Some("arn:aws:iam::111122223333:role/OrganizationAdmin")
            );
            assert!(e.get("command").and_then(|v| v.as_str()).is_some_and(|c| c.contains("create-access-key")));
        }
    }

    #[test]
    fn ordinary_runs_refusals_and_services_do_not_fire() {
        let plain = r#"{"cluster":"prod","taskDefinition":"batch-worker:7","overrides":{"containerOverrides":[{"name":"worker","command":["run"]}]}}"#;
        assert!(!fires(&EcsTaskRoleOverridden, &record(SOURCE, "RunTask", ROLE, plain, "")));
        let empty_role = RUN.replace("arn:aws:iam::111122223333:role/OrganizationAdmin", " ");
        assert!(!fires(&EcsTaskRoleOverridden, &record(SOURCE, "RunTask", ROLE, &empty_role, "")));
        assert!(!fires(&EcsTaskRoleOverridden, &record(SOURCE, "RunTask", ROLE, RUN, ACCESS_DENIED)));
        assert!(!fires(&EcsTaskRoleOverridden, &record(SOURCE, "RunTask", SERVICE, RUN, "")));
        assert!(!fires(&EcsTaskRoleOverridden, &record(SOURCE, "RegisterTaskDefinition", ROLE, RUN, "")));
    }
}
