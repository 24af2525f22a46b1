//! EC2 serial console access turned on for the account and Region
//! (`EnableSerialConsoleAccess`), successfully.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::call_context;
use crate::event::Record;

pub struct Ec2SerialConsoleAccessEnabled;

pub static META: Meta = Meta {
    id: "ec2-serial-console-access-enabled",
    title: "AWS EC2 Serial Console Access Enabled",
    description: "Serial console access to EC2 instances was switched on for the account. The \
                  serial console reaches an instance's operating system without any network \
                  path, security group or SSH daemon, so it lets an attacker in where network \
                  controls would stop them. It is off by default and rarely needed.",
    severity: Severity::High,
    attack: &["T1562", "T1021"],
    origins: &["Elastic rules/integrations/aws/defense_evasion_ec2_serial_console_access_enabled.toml"],
    group: "compute-network",
    false_positives: &[
        "An administrator enabling it briefly to repair an instance that no longer boots or \
         accepts SSH.",
    ],
    next_steps: "Confirm the reason with the caller and turn it off again \
                 (DisableSerialConsoleAccess) when done. Look for \
                 SendSerialConsoleSSHPublicKey calls that followed.",
    triggers: &[Trigger::write("ec2.amazonaws.com", &["EnableSerialConsoleAccess"])],
    window: None,
};

impl Detection for Ec2SerialConsoleAccessEnabled {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "ec2.amazonaws.com"
            || rec.event_name() != "EnableSerialConsoleAccess"
            || !rec.succeeded()
        {
            return None;
        }
        fire(call_context(rec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::compute_testing::{DENIED, IAM_USER, ROLE, record};
    use crate::detections::common::testing::fires;

    #[test]
    fn fires_on_enable_only_when_it_worked() {
        let params = r#"{"EnableSerialConsoleAccessRequest":""}"#;
        assert!(fires(&Ec2SerialConsoleAccessEnabled, &record("ec2.amazonaws.com", "EnableSerialConsoleAccess", ROLE, params, "")));
        assert!(fires(&Ec2SerialConsoleAccessEnabled, &record("ec2.amazonaws.com", "EnableSerialConsoleAccess", IAM_USER, "null", "")));
        assert!(!fires(&Ec2SerialConsoleAccessEnabled, &record("ec2.amazonaws.com", "EnableSerialConsoleAccess", ROLE, params, DENIED)));
        assert!(!fires(&Ec2SerialConsoleAccessEnabled, &record("ec2.amazonaws.com", "DisableSerialConsoleAccess", ROLE, params, "")));
    }
}
