//! EC2 serial console access turned on for the account and Region
//! (`EnableSerialConsoleAccess`), or for every account a policy reaches by an
//! Organizations declarative policy (`CreatePolicy` or `UpdatePolicy` whose content
//! assigns `ec2_attributes.serial_console_access.status` `enabled`: from an
//! evasion review, it turned the console on organisation-wide unseen),
//! successfully. The policy is reported when written, before it is attached:
//! `AttachPolicy` does not carry the content.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{call_context, policy_document, succeeded_call};
use crate::event::Record;

pub struct Ec2SerialConsoleAccessEnabled;

const ORGANIZATIONS: &str = "organizations.amazonaws.com";
const POLICY_WRITES: &[&str] = &["CreatePolicy", "UpdatePolicy"];

/// A declarative policy's content that turns the serial console on: its
/// `ec2_attributes.serial_console_access.status` assigned `enabled`.
fn declares_console_on(content: &serde_json::Value) -> bool {
    content
        .get("ec2_attributes")
        .and_then(|a| a.get("serial_console_access"))
        .and_then(|a| a.get("status"))
        .and_then(|s| s.get("@@assign"))
        .and_then(serde_json::Value::as_str)
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("enabled"))
}

pub static META: Meta = Meta {
    id: "ec2-serial-console-access-enabled",
    title: "AWS EC2 Serial Console Access Enabled",
    description: "Serial console access to EC2 instances was switched on for the account, or \
                  by a declarative policy for the accounts of the organisation it reaches. The \
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
    evidence: "declarative_policy policy_id policy_name region source_ip user_agent",
    triggers: &[
        Trigger::write("ec2.amazonaws.com", &["EnableSerialConsoleAccess"]),
        Trigger::write(ORGANIZATIONS, POLICY_WRITES),
    ],
    window: None,
};

impl Detection for Ec2SerialConsoleAccessEnabled {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if succeeded_call(rec, ORGANIZATIONS, POLICY_WRITES) {
            let content = policy_document(rec.request_param("content")?)?;
            if !declares_console_on(&content) {
                return None;
            }
            let e = call_context(rec)
                .with("declarative_policy", true)
                .with_opt("policy_name", rec.request_param_str("name"))
                .with_opt("policy_id", rec.request_param_str("policyId"));
            return fire(e);
        }
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

    /// From an evasion review: an Organizations declarative policy turning the
    /// console on for the accounts it reaches.
    #[test]
    fn a_declarative_policy_turning_it_on_fires() {
        let policy = |status: &str| {
            let content = format!(
                r#"{{"ec2_attributes":{{"serial_console_access":{{"status":{{"@@assign":"{status}"}}}}}}}}"#
            );
            format!(
                r#"{{"content":{},"name":"ec2-baseline","type":"DECLARATIVE_POLICY_EC2"}}"#,
                serde_json::to_string(&content).unwrap()
            )
        };
        for name in POLICY_WRITES {
            let on = record(ORGANIZATIONS, name, ROLE, &policy("enabled"), "");
            assert!(fires(&Ec2SerialConsoleAccessEnabled, &on), "{name}");
            let off = record(ORGANIZATIONS, name, ROLE, &policy("disabled"), "");
            assert!(!fires(&Ec2SerialConsoleAccessEnabled, &off), "{name}");
            assert!(!fires(&Ec2SerialConsoleAccessEnabled, &record(ORGANIZATIONS, name, ROLE, &policy("enabled"), DENIED)));
        }
        let scp = record(ORGANIZATIONS, "CreatePolicy", ROLE, r#"{"content":"{\"Version\":\"2012-10-17\",\"Statement\":[]}","name":"x","type":"SERVICE_CONTROL_POLICY"}"#, "");
        assert!(!fires(&Ec2SerialConsoleAccessEnabled, &scp));
    }
}
