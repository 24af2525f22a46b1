//! An IAM Roles Anywhere profile created (`CreateProfile`, successful) by a person or
//! script. A profile names the roles that certificate holders may assume through Roles
//! Anywhere; with a trust anchor it completes the path in. AWS service identities
//! are left out; a stack or deployment tool creating one counts.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::change_by_anyone_but;
use crate::event::Record;

const ROLES_ANYWHERE: &str = "rolesanywhere.amazonaws.com";

pub struct RolesAnywhereProfileCreated;

pub static META: Meta = Meta {
    id: "rolesanywhere-profile-created",
    title: "AWS IAM Roles Anywhere Profile Created",
    description: "A Roles Anywhere profile was created, naming roles that holders of \
                  a trusted client certificate can assume from outside AWS. Together \
                  with a rogue trust anchor it gives an attacker credential-free \
                  access to those roles.",
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
                 account. If unexpected, disable the profile and look for \
                 CreateSession calls that used it.",
    triggers: &[Trigger::write(ROLES_ANYWHERE, &["CreateProfile"])],
    window: None,
};

impl Detection for RolesAnywhereProfileCreated {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        fire(change_by_anyone_but(
            rec,
            ROLES_ANYWHERE,
            &["CreateProfile"],
            &["name", "roleArns", "durationSeconds"],
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
        assert!(!fires(&RolesAnywhereProfileCreated, &record(ROLES_ANYWHERE, "UpdateProfile", USER, PARAMS, "")));
    }
}
