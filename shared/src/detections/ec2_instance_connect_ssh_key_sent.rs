//! A temporary SSH public key pushed to an instance through EC2 Instance Connect
//! (`SendSSHPublicKey`) or to its serial console (`SendSerialConsoleSSHPublicKey`),
//! successfully.
//!
//! Elastic requires success; so do we: a denied push gives no access. The OS user and
//! the key's type are reported; the key itself is not (it is long and not secret, but
//! only its fingerprint would help, and CloudTrail does not give one).

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{call_context, instance_id_param};
use crate::event::Record;

pub struct Ec2InstanceConnectSshKeySent;

pub const SOURCE: &str = "ec2-instance-connect.amazonaws.com";

pub static META: Meta = Meta {
    id: "ec2-instance-connect-ssh-key-sent",
    title: "AWS EC2 Instance Connect SSH Public Key Uploaded",
    description: "Someone pushed a temporary SSH public key to an EC2 instance (or to its \
                  serial console) through EC2 Instance Connect. Whoever holds the matching \
                  private key can log in for the next minute, without a key pair, a bastion \
                  or a change to the instance: a quiet way to move laterally into a workload.",
    severity: Severity::Medium,
    attack: &["T1021.004", "T1098.004"],
    origins: &[
        "Elastic rules/integrations/aws/lateral_movement_ec2_instance_connect_ssh_public_key_uploaded.toml",
    ],
    group: "compute-network",
    false_positives: &[
        "Engineers using the console's Connect button or `aws ec2-instance-connect ssh`, \
         where Instance Connect is the approved way in.",
    ],
    next_steps: "Check that the caller is expected to log in to this instance and as this OS \
                 user. Look at the instance's SSH logs for the session that followed, and at \
                 what the caller's credentials did before the push.",
    evidence: "instance_id key_type os_user region serial_console source_ip user_agent",
    triggers: &[Trigger::write(
        SOURCE,
        &["SendSSHPublicKey", "SendSerialConsoleSSHPublicKey"],
    )],
    window: None,
};

impl Detection for Ec2InstanceConnectSshKeySent {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        let serial = match rec.event_name() {
            "SendSSHPublicKey" => false,
            "SendSerialConsoleSSHPublicKey" => true,
            _ => return None,
        };
        if rec.event_source() != SOURCE || !rec.succeeded() {
            return None;
        }
        let key_type = rec
            .request_param_str("sSHPublicKey")
            .and_then(|k| k.split_whitespace().next());
        let e = call_context(rec)
            .with_opt("instance_id", instance_id_param(rec))
            .with_opt("os_user", rec.request_param_str("instanceOSUser"))
            .with_opt("key_type", key_type)
            .with("serial_console", serial);
        fire(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detection::Evidence;
    use crate::detections::common::compute_testing::{IAM_USER, ROLE, record};
    use crate::detections::common::testing::{fired_evidence, fires};

    const PARAMS: &str = r#"{"instanceId":"i-0a1b2c3d4e5f60001","instanceOSUser":"ec2-user",
        "sSHPublicKey":"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKeyOnlyForTests"}"#;

    fn evidence(json: &str) -> Evidence {
        fired_evidence(&Ec2InstanceConnectSshKeySent, json)
    }

    #[test]
    fn fires_on_both_key_pushes() {
        let e = evidence(&record(SOURCE, "SendSSHPublicKey", IAM_USER, PARAMS, ""));
        assert_eq!(e.get("instance_id").unwrap(), "i-0a1b2c3d4e5f60001");
        assert_eq!(e.get("os_user").unwrap(), "ec2-user");
        assert_eq!(e.get("key_type").unwrap(), "ssh-ed25519");
        assert_eq!(e.get("serial_console").unwrap(), false);
        let serial = record(SOURCE, "SendSerialConsoleSSHPublicKey", ROLE, PARAMS, "");
        assert_eq!(evidence(&serial).get("serial_console").unwrap(), true);
    }

    #[test]
    fn a_denied_push_or_another_call_does_not_fire() {
        let denied = record(
            SOURCE,
            "SendSSHPublicKey",
            ROLE,
            "null",
            r#""errorCode":"AccessDenied","errorMessage":"User is not authorized","#,
        );
        assert!(!fires(&Ec2InstanceConnectSshKeySent, &denied));
        let endpoint = record("ec2.amazonaws.com", "SendSSHPublicKey", ROLE, PARAMS, "");
        assert!(!fires(&Ec2InstanceConnectSshKeySent, &endpoint));
        let other = record(SOURCE, "OpenTunnel", ROLE, PARAMS, "");
        assert!(!fires(&Ec2InstanceConnectSshKeySent, &other));
    }

    #[test]
    fn missing_or_odd_parameters_still_fire_without_those_facts() {
        let e = evidence(&record(SOURCE, "SendSSHPublicKey", ROLE, "null", ""));
        assert!(e.get("instance_id").is_none() && e.get("key_type").is_none());
        let odd = record(SOURCE, "SendSSHPublicKey", ROLE, r#"{"instanceId":7,"sSHPublicKey":"   "}"#, "");
        assert!(evidence(&odd).get("key_type").is_none());
    }
}
