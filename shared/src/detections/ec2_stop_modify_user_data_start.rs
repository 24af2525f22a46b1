//! One principal stopping an instance, replacing its user data and starting it again,
//! all within five minutes (`StopInstances`, `ModifyInstanceAttribute` with `userData`,
//! `StartInstances`, each successful).
//!
//! A distinct-count window per account, principal and instance: the three actions are
//! the values, and the finding comes when all three are seen within 300 s. The order is
//! not checked (an attacker may also stop, start, then modify and reboot); calls from
//! infrastructure-as-code tools are left out, as Elastic does. `StopInstances` and
//! `StartInstances` may name several instances; each counts.

use serde_json::Value;

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, WindowSpec};
use crate::detections::common::{account_actor_group, deployment_tool_caller, instance_id_param};
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
        "An administrator fixing a bootstrap script by hand on a single instance.",
    ],
    next_steps: "Read the new user data and the instance's console output and logs from the \
                 boot. If unknown code ran, isolate the instance, rotate the role's credentials \
                 and review what the role did since.",
    triggers: &[Trigger::write(
        "ec2.amazonaws.com",
        &["StopInstances", "ModifyInstanceAttribute", "StartInstances"],
    )],
    window: Some(WindowSpec::Distinct {
        window_secs: 300,
        min_distinct: 3,
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
        if rec.event_source() != "ec2.amazonaws.com" || !rec.succeeded() || deployment_tool_caller(rec) {
            return None;
        }
        let (action, instance) = match rec.event_name() {
            "ModifyInstanceAttribute" if changes_user_data(rec) => {
                ("modify-user-data", instance_id_param(rec)?)
            }
            // A signal carries one group: a call on several instances counts for the
            // first only. Attack tools stop and start the one instance they modify.
            "StopInstances" => ("stop", *instance_set(rec).first()?),
            "StartInstances" => ("start", *instance_set(rec).first()?),
            _ => return None,
        };
        Some(Signal::Distinct {
            group: format!("{}|{instance}", account_actor_group(rec)),
            value: action.to_owned(),
            evidence: Evidence::new()
                .with("instance_id", instance)
                .with_opt("source_ip", rec.source_ip())
                .with_opt("user_agent", rec.user_agent()),
        })
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
    fn other_attributes_failures_iac_and_empty_sets_are_ignored() {
        let other = r#"{"instanceId":"i-0a1b2c3d","instanceType":{"value":"t3.large"}}"#;
        assert_eq!(observed(&record("ec2.amazonaws.com", "ModifyInstanceAttribute", ROLE, other, "")), None);
        assert_eq!(observed(&record("ec2.amazonaws.com", "StopInstances", ROLE, SET, DENIED)), None);
        let tf = record("ec2.amazonaws.com", "StopInstances", ROLE, SET, "").replace("aws-cli/2.17.20", "Terraform/1.9.8");
        assert_eq!(observed(&tf), None);
        for empty in ["null", "{}", r#"{"instancesSet":{"items":[]}}"#, r#"{"instancesSet":{"items":[{"instanceId":5}]}}"#] {
            assert_eq!(observed(&record("ec2.amazonaws.com", "StartInstances", ROLE, empty, "")), None, "{empty}");
        }
        assert_eq!(observed(&record("ec2.amazonaws.com", "RebootInstances", ROLE, SET, "")), None);
    }
}
