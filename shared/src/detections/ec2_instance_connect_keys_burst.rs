//! One principal pushing EC2 Instance Connect SSH keys (`SendSSHPublicKey`, or
//! `SendSerialConsoleSSHPublicKey` for the serial console, successfully) to ten or more
//! different instances within an hour. Both calls let the key's holder in for a
//! minute; the serial console does so without any network path to the instance, so a
//! sweep mixing the two is one sweep.
//!
//! Splunk counts ten or more successful pushes per identity over its search window;
//! we count distinct instances (ten pushes to one instance are one engineer retrying)
//! within a sliding hour, grouped by account and principal: the role, not the session
//! (`common::account_role_term`), so that a script assuming the role afresh for
//! each host is still one sweep.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, Repeats, Countable, WindowSpec};
use crate::detections::common::{account_role_term, instance_id_param};
use crate::detections::ec2_instance_connect_ssh_key_sent::SOURCE;
use crate::event::Record;

pub struct Ec2InstanceConnectKeysBurst;

const NAMES: &[&str] = &["SendSSHPublicKey", "SendSerialConsoleSSHPublicKey"];

pub static META: Meta = Meta {
    id: "ec2-instance-connect-keys-burst",
    title: "AWS EC2 Multiple SSH Public Keys Uploaded by a Single Identity",
    description: "A single identity pushed EC2 Instance Connect SSH keys to ten or more \
                  different instances within an hour. People connect to one or two machines \
                  at a time; a sweep across the fleet looks like an attacker spreading through \
                  every instance its stolen credentials can reach.",
    severity: Severity::High,
    attack: &["T1021.004", "T1098.004"],
    origins: &[
        "Splunk ESCU detections/cloud/aws_ec2_multiple_ssh_public_keys_uploaded_by_a_single_identity.yml",
    ],
    group: "compute-network",
    false_positives: &[
        "Fleet automation that connects to many instances through Instance Connect (patching \
         or inventory scripts).",
    ],
    next_steps: "List the instances reached and the OS users used. If the identity is not a \
                 known automation, revoke its sessions or keys and review the SSH logs of every \
                 instance for what ran after the pushes.",
    evidence: "os_user source_ip",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: Some(WindowSpec::Distinct {
        window_secs: 3600,
        min_distinct: 10,
        repeats: Repeats::Always,
        values: Countable::Open,
    }),
};

impl Detection for Ec2InstanceConnectKeysBurst {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != SOURCE
            || !NAMES.contains(&rec.event_name())
            || !rec.succeeded()
        {
            return None;
        }
        let instance = instance_id_param(rec)?;
        Some(Signal::Distinct {
            group: account_role_term(rec),
            value: instance.to_owned(),
            evidence: Evidence::new()
                .with_opt("os_user", rec.request_param_str("instanceOSUser"))
                .with_opt("source_ip", rec.source_ip()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::compute_testing::{IAM_USER, ROLE, record};
    use crate::detections::common::testing::eval;

    fn push(who: &str, instance: &str, extra: &str) -> String {
        let params = format!(r#"{{"instanceId":"{instance}","instanceOSUser":"ubuntu"}}"#);
        record(SOURCE, "SendSSHPublicKey", who, &params, extra)
    }

    #[test]
    fn counts_the_instance_per_principal() {
        match eval(&Ec2InstanceConnectKeysBurst, &push(ROLE, "i-0001", "")) {
            Some(Signal::Distinct { group, value, .. }) => {
                assert_eq!(group, "111122223333|arn:aws:iam::111122223333:role/OpsAdmin");
                assert_eq!(value, "i-0001");
            }
            other => panic!("expected an observation, got {other:?}"),
        }
        let user = eval(&Ec2InstanceConnectKeysBurst, &push(IAM_USER, "i-0001", ""));
        assert!(matches!(user, Some(Signal::Distinct { group, .. }) if group.ends_with("user/dana")));
        // A session the caller names like an e-mail address is still the role's.
        let email = ROLE.replace("ops-7", "s0@ops.example");
        assert_ne!(email, ROLE);
        match eval(&Ec2InstanceConnectKeysBurst, &push(&email, "i-0001", "")) {
            Some(Signal::Distinct { group, .. }) => {
                assert_eq!(group, "111122223333|arn:aws:iam::111122223333:role/OpsAdmin")
            }
            other => panic!("expected an observation, got {other:?}"),
        }
    }

    #[test]
    fn denied_pushes_and_records_without_instance_are_not_counted() {
        let denied = push(ROLE, "i-0001", r#""errorCode":"AccessDenied","#);
        assert_eq!(eval(&Ec2InstanceConnectKeysBurst, &denied), None);
        assert_eq!(eval(&Ec2InstanceConnectKeysBurst, &push(ROLE, " ", "")), None);
        let null = record(SOURCE, "SendSSHPublicKey", ROLE, "null", "");
        assert_eq!(eval(&Ec2InstanceConnectKeysBurst, &null), None);
    }

    #[test]
    fn a_serial_console_key_counts_its_instance_like_an_ssh_key() {
        let serial = push(ROLE, "i-0002", "").replace("SendSSHPublicKey", "SendSerialConsoleSSHPublicKey");
        match eval(&Ec2InstanceConnectKeysBurst, &serial) {
            Some(Signal::Distinct { value, .. }) => assert_eq!(value, "i-0002"),
            other => panic!("expected an observation, got {other:?}"),
        }
        let other = push(ROLE, "i-0002", "").replace("SendSSHPublicKey", "DescribeInstanceConnectEndpoints");
        assert_eq!(eval(&Ec2InstanceConnectKeysBurst, &other), None);
    }
}
