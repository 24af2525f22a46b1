//! A shell command sent to instances through Systems Manager (`SendCommand` with the
//! `AWS-RunShellScript` or `AWS-RunPowerShellScript` document, or `AWS-RunRemoteScript`
//! and `AWS-RunDocument`, which fetch a script or command document from S3, GitHub or
//! a URL and run it, `AWS-RunAnsiblePlaybook` and `AWS-ApplyAnsiblePlaybooks`, whose
//! playbooks' tasks run any command, and `AWS-InstallPowerShellModule`, which runs
//! the PowerShell commands it is given after the install; `AWS-RunSaltState`,
//! `AWS-ApplyChefRecipes`, `AWS-InstallApplication` and `AWS-RunDockerAction` since a
//! second evasion review; `AWS-ApplyDSCMofs` and `AWS-RunInspecChecks` since a
//! third; Fleet Manager's documents that make operating system users or add them
//! to groups since a fourth), successfully, by a caller
//! other than an AWS service. A State Manager association with one of those
//! documents (`CreateAssociation`, or `UpdateAssociation`) is the same command made
//! recurring: it runs on its targets on a schedule and on every new instance they
//! match, so it counts too, as does each entry of `CreateAssociationBatch`. An
//! update may name the association by id alone (its new, hidden parameters are the
//! commands): the document is then read from the response's
//! `associationDescription.name`. A document named by the ARN of another account's
//! document counts whatever its name: its content is that account's to write (AWS's
//! own documents have no account in their ARN).
//!
//! Decisions: only the documents that run arbitrary commands; other documents
//! (patching, inventory, custom runbooks) are too common to report one by one. The
//! commands themselves are hidden by CloudTrail (`HIDDEN_DUE_TO_SECURITY_REASONS`);
//! the finding names the targets and the output location. Commands Systems
//! Manager sends through its service-linked role (a maintenance window's task
//! registered without a role of its own) are the registrant's, and so are
//! those an Automation runbook or State Manager sends with the role it was
//! given
//! (`common::USER_DRIVEN_SERVICES`), and so are a CloudFormation stack's
//! (`common::aws_service_caller_but_stack`): a runbook or a stack that runs a
//! shell script is only another way for its author to run one, as for the
//! launches of `ec2-unusual-instance-type-launched`.

use serde_json::Value;

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_caller_but_stack, call_context, service_linked_role_of};
use crate::event::Record;

pub struct SsmSendCommandShell;

pub static META: Meta = Meta {
    id: "ssm-send-command-shell",
    title: "AWS SSM SendCommand Running Shell Commands",
    description: "Someone used Systems Manager Run Command to execute shell or PowerShell \
                  commands on EC2 instances. It needs no network access or keys to the \
                  instances, runs as root or SYSTEM, and is a favourite of attackers to \
                  execute code across a fleet or to read instance credentials.",
    severity: Severity::Medium,
    attack: &["T1651", "T1059"],
    origins: &[
        "trailwatch: based on Stratus Red Team aws.execution.ssm-send-command and \
         aws.credential-access.ec2-steal-instance-credentials",
    ],
    group: "compute-network",
    false_positives: &[
        "Administrators and runbooks that use Run Command for maintenance, Automation \
         runbooks (AWS's own too, such as AWS-UpdateLinuxAmi) and maintenance windows \
         that run shell commands with a role of their own: tune by that role.",
    ],
    next_steps: "Read the command's parameters and output (GetCommandInvocation, or the S3 \
                 or CloudWatch output). If the caller had no reason to run commands on these \
                 instances, contain its credentials and check the instances for persistence.",
    evidence: "command_id document documents instance_ids region schedule source_ip targets \
        user_agent",
    triggers: &[Trigger::write(
        "ssm.amazonaws.com",
        &["SendCommand", "CreateAssociation", "CreateAssociationBatch", "UpdateAssociation"],
    )],
    window: None,
};

const SHELL_DOCUMENTS: [&str; 16] = [
    "AWS-RunShellScript",
    "AWS-RunPowerShellScript",
    "AWS-RunRemoteScript",
    "AWS-RunDocument",
    // Take playbooks (inline, or fetched from S3 or GitHub), whose tasks run any
    // shell command.
    "AWS-RunAnsiblePlaybook",
    "AWS-ApplyAnsiblePlaybooks",
    // Its `commands` parameter runs after the module is installed.
    "AWS-InstallPowerShellModule",
    // From a second evasion review: Salt states and Chef recipes run any
    // command; an installer fetched from a URL runs as the system; a Docker
    // action runs any container, privileged if asked.
    "AWS-RunSaltState",
    "AWS-ApplyChefRecipes",
    "AWS-InstallApplication",
    "AWS-RunDockerAction",
    // From a third evasion review: DSC configurations' script resources run any
    // PowerShell, InSpec profiles' Ruby runs as root (and runs commands).
    "AWS-ApplyDSCMofs",
    "AWS-RunInspecChecks",
    // From a fourth evasion review: Fleet Manager's operating system user
    // documents make a local account (an administrator, if asked) on every
    // instance targeted, which AWS warns may grant more than the caller holds.
    "AWSFleetManager-CreateUser",
    "AWSFleetManager-CreateUserInteractive",
    "AWSFleetManager-AddUsersToGroups",
];

impl Detection for SsmSendCommandShell {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "ssm.amazonaws.com"
            || !matches!(
                rec.event_name(),
                "SendCommand" | "CreateAssociation" | "CreateAssociationBatch" | "UpdateAssociation"
            )
            || !rec.succeeded()
            || (aws_service_caller_but_stack(rec) && !maintenance_window_task(rec))
        {
            return None;
        }
        let own = rec.account_id();
        if rec.event_name() == "CreateAssociationBatch" {
            let entries = rec.request_param("entries").and_then(Value::as_array)?;
            let documents: Vec<&str> = entries
                .iter()
                .filter_map(|e| e.get("name").and_then(Value::as_str))
                .map(str::trim)
                .filter(|d| runs_commands(d, own))
                .collect();
            let targets: Vec<Value> = entries
                .iter()
                .filter(|e| e.get("name").and_then(Value::as_str).is_some_and(|d| runs_commands(d.trim(), own)))
                .filter_map(|e| e.get("targets").or_else(|| e.get("instanceId")).cloned())
                .collect();
            let first = *documents.first()?;
            return fire(
                call_context(rec)
                    .with("document", first)
                    .with("documents", documents)
                    .with("targets", targets),
            );
        }
        // `SendCommand` names its document `documentName`; associations `name`, or,
        // for an update by id alone, the association the response describes.
        let document = rec
            .request_param_str("documentName")
            .or_else(|| rec.request_param_str("name"))
            .or_else(|| {
                rec.response_element("associationDescription")
                    .and_then(|d| d.get("name"))
                    .and_then(Value::as_str)
            })?
            .trim();
        if !runs_commands(document, own) {
            return None;
        }
        let e = call_context(rec)
            .with("document", document)
            .with_json("instance_ids", rec.request_param("instanceIds"))
            .with_json("targets", rec.request_param("targets"))
            .with_opt("schedule", rec.request_param_str("scheduleExpression"))
            .with_opt(
                "command_id",
                rec.response_element("command")
                    .and_then(|c| c.get("commandId"))
                    .and_then(Value::as_str),
            );
        fire(e)
    }
}

/// A document that runs whatever commands it is given (by name, or by the ARN of
/// AWS's: `arn:aws:ssm:<region>::document/AWS-RunShellScript`), or another
/// account's document (its ARN names an account other than `own`).
fn runs_commands(document: &str, own: Option<&str>) -> bool {
    let short = document.rsplit('/').next().unwrap_or(document);
    if SHELL_DOCUMENTS.iter().any(|d| d.eq_ignore_ascii_case(short)) {
        return true;
    }
    let fields: Vec<&str> = document.splitn(6, ':').collect();
    fields.len() == 6
        && fields[0] == "arn"
        && fields[2] == "ssm"
        && fields[5].starts_with("document/")
        && !fields[4].is_empty()
        && Some(fields[4]) != own
}

/// A session of Systems Manager's own service-linked role: a maintenance
/// window's task registered without a role of its own runs as it, so its
/// commands are whoever registered the task's (from a review: with the role
/// counted as AWS's, a shell task run this way went unreported).
fn maintenance_window_task(rec: &Record) -> bool {
    rec.session_issuer_arn()
        .and_then(service_linked_role_of)
        .is_some_and(|role| role.starts_with("ssm.amazonaws.com/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detection::Evidence;
    use crate::detections::common::compute_testing::{ACCESS_DENIED, IAM_USER, ROLE, SERVICE, record};
    use crate::detections::common::testing::{eval, fires};

    #[test]
    fn a_shell_association_is_a_recurring_command() {
        let association = r#"{"name":"AWS-RunShellScript","targets":[{"key":"InstanceIds","values":["*"]}],
            "parameters":"HIDDEN_DUE_TO_SECURITY_REASONS","scheduleExpression":"rate(30 minutes)","associationName":"sync"}"#;
        for name in ["CreateAssociation", "UpdateAssociation"] {
            let e = match eval(&SsmSendCommandShell, &record("ssm.amazonaws.com", name, ROLE, association, "")) {
                Some(Signal::Fire(e)) => e,
                other => panic!("expected a finding for {name}, got {other:?}"),
            };
            assert_eq!(e.get("schedule").and_then(|v| v.as_str()), Some("rate(30 minutes)"));
        }
        let patching = association.replace("AWS-RunShellScript", "AWS-RunPatchBaseline");
        assert!(!fires(&SsmSendCommandShell, &record("ssm.amazonaws.com", "CreateAssociation", ROLE, &patching, "")));
        let rename_only = r#"{"associationId":"8a1b2c3d-0000-4000-8000-000000000001","associationName":"sync-2"}"#;
        assert!(!fires(&SsmSendCommandShell, &record("ssm.amazonaws.com", "UpdateAssociation", ROLE, rename_only, "")));
        assert!(!fires(&SsmSendCommandShell, &record("ssm.amazonaws.com", "CreateAssociation", SERVICE, association, "")));
    }

    fn send(document: &str) -> String {
        format!(
            r#"{{"documentName":"{document}","instanceIds":["i-0a1b2c3d","i-0a1b2c3e"],
            "interactive":false,"parameters":"HIDDEN_DUE_TO_SECURITY_REASONS"}}"#
        )
    }

    fn evidence(json: &str) -> Evidence {
        crate::detections::common::testing::fired_evidence(&SsmSendCommandShell, json)
    }

    #[test]
    fn fires_on_shell_documents() {
        let resp = r#""responseElements":{"command":{"commandId":"0b1c2d3e-0000-4000-8000-000000000001"}},"#;
        let e = evidence(&record("ssm.amazonaws.com", "SendCommand", IAM_USER, &send("AWS-RunShellScript"), resp));
        assert_eq!(e.get("instance_ids").unwrap().as_array().unwrap().len(), 2);
        assert_eq!(e.get("command_id").unwrap(), "0b1c2d3e-0000-4000-8000-000000000001");
        assert!(fires(&SsmSendCommandShell, &record("ssm.amazonaws.com", "SendCommand", ROLE, &send("aws-runpowershellscript"), "")));
        let arn = send("arn:aws:ssm:us-east-1::document/AWS-RunShellScript");
        assert!(fires(&SsmSendCommandShell, &record("ssm.amazonaws.com", "SendCommand", ROLE, &arn, "")));
    }

    #[test]
    fn other_documents_services_and_failures_do_not_fire() {
        for doc in ["AWS-RunPatchBaseline", "AWS-UpdateSSMAgent", "Custom-RunShellScript2", ""] {
            assert!(!fires(&SsmSendCommandShell, &record("ssm.amazonaws.com", "SendCommand", ROLE, &send(doc), "")), "{doc}");
        }
        assert!(!fires(&SsmSendCommandShell, &record("ssm.amazonaws.com", "SendCommand", SERVICE, &send("AWS-RunShellScript"), "")));
        assert!(!fires(&SsmSendCommandShell, &record("ssm.amazonaws.com", "SendCommand", ROLE, &send("AWS-RunShellScript"), ACCESS_DENIED)));
        assert!(!fires(&SsmSendCommandShell, &record("ssm.amazonaws.com", "SendCommand", ROLE, "null", "")));
    }

    /// From a review: a batch of associations, and another account's document
    /// (its content is theirs), count; the own account's custom documents do not.
    #[test]
    fn batches_and_other_accounts_documents_count() {
        let batch = r#"{"entries":[{"name":"AWS-GatherSoftwareInventory","targets":[{"key":"InstanceIds","values":["*"]}]},
            {"name":"AWS-RunShellScript","targets":[{"key":"tag:env","values":["prod"]}],"parameters":"HIDDEN_DUE_TO_SECURITY_REASONS"}]}"#;
        let e = evidence(&record("ssm.amazonaws.com", "CreateAssociationBatch", ROLE, batch, ""));
        assert_eq!(e.get("documents"), Some(&serde_json::json!(["AWS-RunShellScript"])));
        assert_eq!(e.get("targets").unwrap().as_array().unwrap().len(), 1);
        let inventory_only = batch.replace("AWS-RunShellScript", "AWS-RunPatchBaseline");
        assert!(!fires(&SsmSendCommandShell, &record("ssm.amazonaws.com", "CreateAssociationBatch", ROLE, &inventory_only, "")));
        assert!(!fires(&SsmSendCommandShell, &record("ssm.amazonaws.com", "CreateAssociationBatch", ROLE, "null", "")));
        let shared = send("arn:aws:ssm:us-east-1:999988887777:document/Diagnostics");
        assert!(fires(&SsmSendCommandShell, &record("ssm.amazonaws.com", "SendCommand", ROLE, &shared, "")));
        let own = send("arn:aws:ssm:us-east-1:111122223333:document/Diagnostics");
        assert!(own.contains("111122223333") && record("ssm.amazonaws.com", "SendCommand", ROLE, &own, "").contains(r#""recipientAccountId":"111122223333""#));
        assert!(!fires(&SsmSendCommandShell, &record("ssm.amazonaws.com", "SendCommand", ROLE, &own, "")));
    }

    #[test]
    fn documents_that_fetch_and_run_a_script_count() {
        for doc in [
            "AWS-RunRemoteScript",
            "AWS-RunDocument",
            "AWS-RunAnsiblePlaybook",
            "arn:aws:ssm:us-east-1::document/AWS-RunRemoteScript",
            "AWS-RunSaltState",
            "AWS-ApplyChefRecipes",
            "AWS-InstallApplication",
            "AWS-RunDockerAction",
        ] {
            assert!(fires(&SsmSendCommandShell, &record("ssm.amazonaws.com", "SendCommand", ROLE, &send(doc), "")), "{doc}");
        }
    }

    #[test]
    fn playbook_and_module_documents_and_an_update_by_id_count() {
        for doc in ["AWS-ApplyAnsiblePlaybooks", "AWS-InstallPowerShellModule"] {
            let send = format!(r#"{{"documentName":"{doc}","instanceIds":["i-0123456789abcdef0"],"parameters":"HIDDEN_DUE_TO_SECURITY_REASONS"}}"#);
            assert!(fires(&SsmSendCommandShell, &record("ssm.amazonaws.com", "SendCommand", ROLE, &send, "")), "{doc}");
        }
        let params = r#"{"associationId":"8dfe3659-4309-493a-8755-0123456789ab","parameters":"HIDDEN_DUE_TO_SECURITY_REASONS"}"#;
        let by_id = record("ssm.amazonaws.com", "UpdateAssociation", ROLE, params, "");
        let answered = |name: &str| record("ssm.amazonaws.com", "UpdateAssociation", ROLE, params,
            &format!(r#""responseElements":{{"associationDescription":{{"name":"{name}","associationId":"8dfe3659-4309-493a-8755-0123456789ab","associationVersion":"2"}}}},"#));
        assert!(fires(&SsmSendCommandShell, &answered("AWS-RunShellScript")));
        assert!(!fires(&SsmSendCommandShell, &answered("AWS-GatherSoftwareInventory")));
        assert!(!fires(&SsmSendCommandShell, &by_id), "no document anywhere: nothing to judge");
    }

    /// From a review: an association a stack creates runs its shell script all
    /// the same, and so does one an Automation runbook creates (a user-driven
    /// service, `common::USER_DRIVEN_SERVICES`); other services' calls stay out.
    #[test]
    fn a_stacks_shell_association_counts() {
        let params = r#"{"name":"AWS-RunShellScript","targets":[{"key":"tag:Role","values":["web"]}],"parameters":"HIDDEN_DUE_TO_SECURITY_REASONS"}"#;
        let stack = r#"{"type":"AssumedRole","principalId":"AROAEXAMPLEROLE00001:AWSCloudFormation",
            "arn":"arn:aws:sts::111122223333:assumed-role/Deploy/AWSCloudFormation","accountId":"111122223333",
            "invokedBy":"cloudformation.amazonaws.com"}"#;
        let json = record("ssm.amazonaws.com", "CreateAssociation", stack, params, "");
        assert!(fires(&SsmSendCommandShell, &json));
        let ssm = stack.replace("cloudformation.amazonaws.com", "ssm.amazonaws.com");
        assert!(fires(&SsmSendCommandShell, &record("ssm.amazonaws.com", "CreateAssociation", &ssm, params, "")));
        let other = stack.replace("cloudformation.amazonaws.com", "config.amazonaws.com");
        assert!(!fires(&SsmSendCommandShell, &record("ssm.amazonaws.com", "CreateAssociation", &other, params, "")));
        // A maintenance window's task run as Systems Manager's service-linked
        // role is its registrant's; another service's linked role is AWS's.
        let linked = |service: &str, role: &str| {
            format!(
                r#"{{"type":"AssumedRole","principalId":"AROAEXAMPLESLR000001:task",
                "arn":"arn:aws:sts::111122223333:assumed-role/{role}/task","accountId":"111122223333",
                "sessionContext":{{"sessionIssuer":{{"type":"Role","principalId":"AROAEXAMPLESLR000001",
                "arn":"arn:aws:iam::111122223333:role/aws-service-role/{service}/{role}",
                "accountId":"111122223333","userName":"{role}"}}}},"invokedBy":"ssm.amazonaws.com"}}"#
            )
        };
        let window = linked("ssm.amazonaws.com", "AWSServiceRoleForAmazonSSM");
        assert!(fires(&SsmSendCommandShell, &record("ssm.amazonaws.com", "SendCommand", &window, params, "")));
        let config = linked("config.amazonaws.com", "AWSServiceRoleForConfig");
        assert!(!fires(&SsmSendCommandShell, &record("ssm.amazonaws.com", "SendCommand", &config, params, "")));
    }
}
