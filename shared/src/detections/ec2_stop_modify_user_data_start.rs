//! One principal stopping an instance, replacing its user data and starting it again,
//! all within five minutes (`StopInstances`, `ModifyInstanceAttribute` with `userData`,
//! `StartInstances`, each successful).
//!
//! A distinct-count window per account, principal and instance: the three actions are
//! the values, and the finding comes when all three are seen within 300 s. The
//! principal is the role, not the session (`common::account_role_term`): a script
//! that assumes the role afresh for each call would otherwise split the three. The
//! order is not checked (an attacker may also stop, start, then modify and reboot).
//! Calls a CloudFormation stack makes are left out; Elastic also leaves out
//! infrastructure-as-code tools by their user agent, which the caller sets, so here
//! a pipeline's role is exempted in the tuning file instead
//! (`common::stack_deployment_caller`). `StopInstances` and
//! `StartInstances` may name several instances; each counts in its own instance's
//! window (`Detection::further_signals`).

use serde_json::Value;

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, Repeats, Countable, WindowSpec};
use crate::detections::common::{
    account_role_term, instance_id_param, stack_deployment_caller,
};
use crate::detections::ec2_user_data_modified::changes_user_data;
use crate::event::Record;

pub struct Ec2StopModifyUserDataStart;

pub static META: Meta = Meta {
    id: "ec2-stop-modify-user-data-start",
    title: "AWS EC2 Stop, Start, and User Data Modification Correlation",
    description: "The same principal stopped an EC2 instance, replaced its user data and \
                  started it again within five minutes. This is how user data is turned into \
                  code execution as root on the next boot, with the instance's role: the full \
                  attack, not only its preparation.",
    severity: Severity::High,
    attack: &["T1059", "T1037", "T1078.004"],
    origins: &["Elastic rules/integrations/aws/execution_ec2_stop_start_with_user_data_modification.toml"],
    group: "compute-network",
    false_positives: &[
        "An administrator fixing a bootstrap script by hand on a single instance, or \
         Terraform changing an instance's user data in place (it stops, modifies and \
         starts): exempt the pipeline's role by its ARN in the tuning file.",
    ],
    next_steps: "Read the new user data and the instance's console output and logs from the \
                 boot. If unknown code ran, isolate the instance, rotate the role's credentials \
                 and review what the role did since.",
    evidence: "instance_id source_ip user_agent",
    triggers: &[Trigger::write(
        "ec2.amazonaws.com",
        &["StopInstances", "ModifyInstanceAttribute", "StartInstances"],
    )],
    window: Some(WindowSpec::Distinct {
        window_secs: 300,
        min_distinct: 3,
        repeats: Repeats::Always,
        values: Countable::OneOf(&["stop", "modify-user-data", "start"]),
    }),
};

/// The instance ids of `instancesSet.items[].instanceId`.
fn instance_set<'r>(rec: &'r Record) -> Vec<&'r str> {
    rec.request_param("instancesSet")
        .and_then(|s| s.get("items"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|i| i.get("instanceId").and_then(Value::as_str))
        .map(str::trim)
        .filter(|i| !i.is_empty())
        .collect()
}

impl Detection for Ec2StopModifyUserDataStart {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        let (action, instances) = action_and_instances(rec)?;
        Some(signal(rec, action, instances.first()?))
    }

    /// `StopInstances` and `StartInstances` name several instances: each counts in
    /// its own instance's window.
    fn further_signals(&self, rec: &Record<'_>) -> Vec<Signal> {
        match action_and_instances(rec) {
            Some((action, instances)) => instances
                .iter()
                .skip(1)
                .map(|instance| signal(rec, action, instance))
                .collect(),
            None => Vec::new(),
        }
    }
}

/// The action a record counts as and the instances it names (each once, in
/// request order), or `None` for a record that does not count.
fn action_and_instances<'r>(rec: &'r Record<'_>) -> Option<(&'static str, Vec<&'r str>)> {
    if rec.event_source() != "ec2.amazonaws.com" || !rec.succeeded() || stack_deployment_caller(rec) {
        return None;
    }
    let (action, named) = match rec.event_name() {
        "ModifyInstanceAttribute" if changes_user_data(rec) => {
            ("modify-user-data", vec![instance_id_param(rec)?])
        }
        "StopInstances" => ("stop", instance_set(rec)),
        "StartInstances" => ("start", instance_set(rec)),
        _ => return None,
    };
    let mut instances: Vec<&str> = Vec::with_capacity(named.len());
    for i in named {
        if !instances.contains(&i) {
            instances.push(i);
        }
    }
    Some((action, instances))
}

fn signal(rec: &Record<'_>, action: &str, instance: &str) -> Signal {
    Signal::Distinct {
        group: format!("{}|{instance}", account_role_term(rec)),
        value: action.to_owned(),
        evidence: Evidence::new()
            .with("instance_id", instance)
            .with_opt("source_ip", rec.source_ip())
            .with_opt("user_agent", rec.user_agent()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::compute_testing::{DENIED, IAM_USER, ROLE, record};
    use crate::detections::common::testing::eval;

    fn observed(json: &str) -> Option<(String, String)> {
        match eval(&Ec2StopModifyUserDataStart, json) {
            Some(Signal::Distinct { group, value, .. }) => Some((group, value)),
            None => None,
            other => panic!("unexpected {other:?}"),
        }
    }

    const SET: &str = r#"{"instancesSet":{"items":[{"instanceId":"i-0a1b2c3d"}]},"force":false}"#;

    #[test]
    fn the_three_actions_share_one_group() {
        let stop = observed(&record("ec2.amazonaws.com", "StopInstances", IAM_USER, SET, "")).unwrap();
        let modify = observed(&record(
            "ec2.amazonaws.com",
            "ModifyInstanceAttribute",
            IAM_USER,
            r#"{"instanceId":"i-0a1b2c3d","userData":"<sensitiveDataRemoved>"}"#,
            "",
        ))
        .unwrap();
        let start = observed(&record("ec2.amazonaws.com", "StartInstances", IAM_USER, SET, "")).unwrap();
        assert_eq!(stop.0, "111122223333|arn:aws:iam::111122223333:user/dana|i-0a1b2c3d");
        assert_eq!(stop.0, modify.0);
        assert_eq!(modify.0, start.0);
        assert_eq!((stop.1.as_str(), modify.1.as_str(), start.1.as_str()), ("stop", "modify-user-data", "start"));
    }

    #[test]
    fn every_instance_of_a_stop_or_start_counts_once() {
        let three = r#"{"instancesSet":{"items":[{"instanceId":"i-a"},{"instanceId":"i-b"},{"instanceId":"i-a"}]}}"#;
        let json = record("ec2.amazonaws.com", "StopInstances", ROLE, three, "");
        let rec = Record::from_json(&json).unwrap();
        let groups: Vec<String> = Ec2StopModifyUserDataStart
            .evaluate(&rec)
            .into_iter()
            .chain(Ec2StopModifyUserDataStart.further_signals(&rec))
            .map(|s| match s {
                Signal::Distinct { group, value, .. } => {
                    assert_eq!(value, "stop");
                    group.rsplit('|').next().unwrap_or_default().to_owned()
                }
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(groups, ["i-a", "i-b"]);
        let json = record("ec2.amazonaws.com", "ModifyInstanceAttribute", ROLE,
            r#"{"instanceId":"i-b","userData":"<sensitiveDataRemoved>"}"#, "");
        let modify = Record::from_json(&json).unwrap();
        assert!(Ec2StopModifyUserDataStart.further_signals(&modify).is_empty());
    }

    #[test]
    fn other_attributes_failures_stacks_and_empty_sets_are_ignored() {
        let other = r#"{"instanceId":"i-0a1b2c3d","instanceType":{"value":"t3.large"}}"#;
        assert_eq!(observed(&record("ec2.amazonaws.com", "ModifyInstanceAttribute", ROLE, other, "")), None);
        assert_eq!(observed(&record("ec2.amazonaws.com", "StopInstances", ROLE, SET, DENIED)), None);
        let tf = record("ec2.amazonaws.com", "StopInstances", ROLE, SET, "").replace("aws-cli/2.17.20", "Terraform/1.9.8");
        assert!(tf.contains("Terraform/1.9.8"));
        assert!(observed(&tf).is_some(), "an agent is the caller's to write");
        let by_stack = ROLE.replacen(r#"{"type""#, r#"{"invokedBy":"cloudformation.amazonaws.com","type""#, 1);
        assert!(by_stack.contains("invokedBy"));
        let stack = record("ec2.amazonaws.com", "StopInstances", &by_stack, SET, "");
        assert_eq!(observed(&stack), None);
        for empty in ["null", "{}", r#"{"instancesSet":{"items":[]}}"#, r#"{"instancesSet":{"items":[{"instanceId":5}]}}"#] {
            assert_eq!(observed(&record("ec2.amazonaws.com", "StartInstances", ROLE, empty, "")), None, "{empty}");
        }
        assert_eq!(observed(&record("ec2.amazonaws.com", "RebootInstances", ROLE, SET, "")), None);
    }
}
