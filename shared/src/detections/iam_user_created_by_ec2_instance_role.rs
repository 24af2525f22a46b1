//! An IAM user created (`CreateUser`, successful) with an EC2 instance's credentials
//! (an assumed-role session named after the instance, `:i-...`), the first time in 10
//! days for that session ARN. Workloads rarely create users; an attacker who stole
//! instance credentials creates one to keep access after the instance is gone.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, WindowSpec};
use crate::detections::common::{IAM, account_actor_group, change_evidence, is_event, uses_instance_credentials};
use crate::event::Record;

pub struct IamUserCreatedByEc2InstanceRole;

pub static META: Meta = Meta {
    id: "iam-user-created-by-ec2-instance-role",
    title: "AWS IAM Create User via Assumed Role on EC2 Instance",
    description: "An IAM user was created with credentials of an EC2 instance \
                  profile. Applications on instances seldom create IAM users; stolen \
                  instance credentials used to mint a permanent user are a common \
                  persistence step.",
    severity: Severity::High,
    attack: &["T1136", "T1136.003", "T1078.004"],
    origins: &[
        "Elastic detection-rules \
         persistence_iam_create_user_via_assumed_role_on_ec2_instance.toml",
    ],
    group: "iam-persistence",
    false_positives: &[
        "Provisioning tools or bastion automation running on an instance that create \
         users.",
    ],
    next_steps: "Identify the instance (the session name) and what runs on it; look \
                 for credential theft (SSRF, IMDS access). Delete the new user's keys \
                 and login profile if unexpected, and rotate the instance role's \
                 sessions.",
    evidence: "api caller caller_type source_ip userName user_agent",
    triggers: &[Trigger::write(IAM, &["CreateUser"])],
    window: Some(WindowSpec::FirstSeen { days: 10 }),
};

impl Detection for IamUserCreatedByEc2InstanceRole {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !is_event(rec, IAM, &["CreateUser"]) || !rec.succeeded() || !uses_instance_credentials(rec) {
            return None;
        }
        // The term is the session, named after the instance (the top comment): each
        // instance whose credentials create users is reported.
        Some(Signal::FirstSeen {
            term: account_actor_group(rec),
            evidence: change_evidence(rec, &["userName"]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::iam_testing::*;

    const INSTANCE: &str = r#"{"type":"AssumedRole","principalId":"AROAEXAMPLEWEB:i-0a1b2c3d4e5f60718",
        "arn":"arn:aws:sts::111122223333:assumed-role/web-tier/i-0a1b2c3d4e5f60718","accountId":"111122223333",
        "accessKeyId":"ASIAEXAMPLEWEB000001","sessionContext":{"sessionIssuer":{"type":"Role","userName":"web-tier"},
        "ec2RoleDelivery":"2.0"}}"#;

    #[test]
    fn fires_once_per_instance_session() {
        let json = iam("CreateUser", INSTANCE, r#"{"userName":"backup-admin"}"#);
        assert_eq!(
            first_seen_term(&IamUserCreatedByEc2InstanceRole, &json).as_deref(),
            Some("111122223333|arn:aws:sts::111122223333:assumed-role/web-tier/i-0a1b2c3d4e5f60718")
        );
        let arn_only = json.replace(r#""principalId":"AROAEXAMPLEWEB:i-0a1b2c3d4e5f60718","#, "");
        assert!(first_seen_term(&IamUserCreatedByEc2InstanceRole, &arn_only).is_some());
    }

    #[test]
    fn ignores_other_callers_and_failures() {
        for who in [USER, ROLE, ROOT, FEDERATED, CFN] {
            assert_eq!(first_seen_term(&IamUserCreatedByEc2InstanceRole, &iam("CreateUser", who, r#"{"userName":"x"}"#)), None);
        }
        let denied = iam_failed("CreateUser", INSTANCE, r#"{"userName":"x"}"#, "AccessDenied");
        assert_eq!(first_seen_term(&IamUserCreatedByEc2InstanceRole, &denied), None);
        // A role session that merely mentions an instance id elsewhere is not an instance.
        let named = ROLE.replace("ops-session", "ops-i-session");
        assert_eq!(first_seen_term(&IamUserCreatedByEc2InstanceRole, &iam("CreateUser", &named, "null")), None);
    }
}
