//! An IAM Roles Anywhere profile created (`CreateProfile`, successful) by a person or
//! script, or an existing profile given a new list of roles (`UpdateProfile` naming
//! `roleArns`). A profile names the roles that certificate holders may assume through
//! Roles Anywhere; with a trust anchor it completes the path in. Adding an
//! administrator role to a profile a trusted certificate authority already serves is
//! the same way in, without a new anchor or profile to notice; so is an update of the
//! managed policies or session policy that cap the sessions it vends
//! (`managedPolicyArns`, `sessionPolicy`: lifting the cap), and a disabled profile
//! switched back on (`EnableProfile`), from an evasion review. An update that leaves
//! the roles and caps alone (a rename, a session duration) is left out. AWS service
//! identities are left out; a stack or deployment tool making the change counts.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::change_by_anyone_but;
use crate::event::Record;

const ROLES_ANYWHERE: &str = "rolesanywhere.amazonaws.com";

pub struct RolesAnywhereProfileCreated;

pub static META: Meta = Meta {
    id: "rolesanywhere-profile-created",
    title: "AWS IAM Roles Anywhere Profile Created or Given Roles",
    description: "A Roles Anywhere profile was created, or an existing one given a new \
                  list of roles: holders of a certificate that a trust anchor accepts can \
                  assume those roles from outside AWS. Together with a rogue trust anchor, \
                  or a trusted one the attacker can get certificates from, it gives \
                  credential-free access to those roles.",
    severity: Severity::Low,
    attack: &["T1098"],
    origins: &[
        "Elastic detection-rules: AWS IAM Roles Anywhere Profile Creation",
        "trailwatch: based on Stratus Red Team \
         aws.persistence.rolesanywhere-create-trust-anchor (its CreateProfile step)",
    ],
    group: "iam-persistence",
    false_positives: &[
        "Teams onboarding on-premises workloads by hand.",
        "A CloudFormation, Terraform or Pulumi deployment that makes the change: it \
         is reported like a person's (a stack update is the same act, and an agent is \
         the caller's to write); suppress the deployment role if that is routine.",
    ],
    next_steps: "Review the roles in the profile and the trust anchors of the \
                 account. If unexpected, disable the profile (or put its earlier roles \
                 back) and look for CreateSession calls that used it.",
    evidence: "api caller caller_type durationSeconds managedPolicyArns name profileId roleArns \
        sessionPolicy source_ip user_agent",
    triggers: &[Trigger::write(ROLES_ANYWHERE, NAMES)],
    window: None,
};

const NAMES: &[&str] = &["CreateProfile", "EnableProfile", "UpdateProfile"];

impl Detection for RolesAnywhereProfileCreated {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        // An update changes who may assume what, or with which rights, only when
        // it names the roles or the policies that cap their sessions.
        let changes_access = ["roleArns", "managedPolicyArns", "sessionPolicy"]
            .iter()
            .any(|k| rec.request_param(k).is_some_and(|v| !v.is_null()));
        if rec.event_name() == "UpdateProfile" && !changes_access {
            return None;
        }
        fire(change_by_anyone_but(
            rec,
            ROLES_ANYWHERE,
            NAMES,
            &["name", "profileId", "roleArns", "managedPolicyArns", "sessionPolicy", "durationSeconds"],
            &[],
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::iam_testing::*;
    use crate::detections::common::testing::fires;

    const PARAMS: &str = r#"{"name":"batch","roleArns":["arn:aws:iam::111122223333:role/batch"],"durationSeconds":3600}"#;

    #[test]
    fn fires_for_people_and_roles() {
        for who in [USER, ROLE, ROOT, FEDERATED] {
            assert!(fires(&RolesAnywhereProfileCreated, &record(ROLES_ANYWHERE, "CreateProfile", who, PARAMS, "")), "{who}");
        }
    }

    #[test]
    fn ignores_failures_aws_services_and_other_sources() {
        let denied = record(ROLES_ANYWHERE, "CreateProfile", USER, PARAMS, r#""errorCode":"ValidationException","#);
        assert!(!fires(&RolesAnywhereProfileCreated, &denied));
        assert!(fires(&RolesAnywhereProfileCreated, &record(ROLES_ANYWHERE, "CreateProfile", CFN, PARAMS, "")));
        let service = r#"{"type":"AWSService","invokedBy":"rolesanywhere.amazonaws.com"}"#;
        assert!(!fires(&RolesAnywhereProfileCreated, &record(ROLES_ANYWHERE, "CreateProfile", service, PARAMS, "")));
        assert!(!fires(&RolesAnywhereProfileCreated, &iam("CreateProfile", USER, PARAMS)));
    }

    #[test]
    fn an_update_counts_when_it_names_the_roles() {
        let add_admin = r#"{"profileId":"5f0d9a1e-2b3c-4d5e-8f90-a1b2c3d4e5f6",
            "roleArns":["arn:aws:iam::111122223333:role/batch","arn:aws:iam::111122223333:role/admin"]}"#;
        assert!(fires(&RolesAnywhereProfileCreated, &record(ROLES_ANYWHERE, "UpdateProfile", USER, add_admin, "")));
        // The cap on its sessions lifted, or the profile switched back on.
        let uncapped = r#"{"profileId":"5f0d9a1e-2b3c-4d5e-8f90-a1b2c3d4e5f6","managedPolicyArns":["arn:aws:iam::aws:policy/AdministratorAccess"]}"#;
        assert!(fires(&RolesAnywhereProfileCreated, &record(ROLES_ANYWHERE, "UpdateProfile", USER, uncapped, "")));
        let enabled = r#"{"profileId":"5f0d9a1e-2b3c-4d5e-8f90-a1b2c3d4e5f6"}"#;
        assert!(fires(&RolesAnywhereProfileCreated, &record(ROLES_ANYWHERE, "EnableProfile", USER, enabled, "")));
        let rename = r#"{"profileId":"5f0d9a1e-2b3c-4d5e-8f90-a1b2c3d4e5f6","name":"batch-2","durationSeconds":900}"#;
        assert!(!fires(&RolesAnywhereProfileCreated, &record(ROLES_ANYWHERE, "UpdateProfile", USER, rename, "")));
        let null_roles = r#"{"profileId":"5f0d9a1e-2b3c-4d5e-8f90-a1b2c3d4e5f6","name":"batch-2","roleArns":null}"#;
        assert!(!fires(&RolesAnywhereProfileCreated, &record(ROLES_ANYWHERE, "UpdateProfile", USER, null_roles, "")));
        let denied = record(ROLES_ANYWHERE, "UpdateProfile", USER, add_admin, r#""errorCode":"AccessDeniedException","#);
        assert!(!fires(&RolesAnywhereProfileCreated, &denied));
        assert!(!fires(&RolesAnywhereProfileCreated, &record(ROLES_ANYWHERE, "DeleteProfile", USER, add_admin, "")));
    }
}
