//! The role of an instance profile swapped: `RemoveRoleFromInstanceProfile`, then
//! `AddRoleToInstanceProfile` on the same profile (account and profile name, in
//! any letter case) within an hour, both successful, in either arrival order.
//!
//! Decisions: a profile holds one role, and every instance launched with the
//! profile gets that role's credentials. Swapping the role inside the profile
//! gives a whole fleet another role at once, with no call on the instances
//! (`ec2-instance-profile-associated` sees the EC2 calls that attach a profile,
//! not this; from a second evasion review). Adding a role to a new, empty
//! profile is how every instance role is made, so the addition alone says
//! nothing: the removal before it is what makes it a swap. Both roles are in the
//! evidence; re-adding the role just removed is reported too (rare, and it
//! restores nothing an attacker needs). AWS services and CloudFormation stacks
//! are left out: a stack changing an `AWS::IAM::InstanceProfile`'s role does
//! both calls on every such update, from its reviewed template.

use crate::detection::{Detection, Evidence, Meta, Severity, Side, Signal, Trigger, WindowSpec};
use crate::detections::common::{IAM, aws_service_caller, joined, stack_deployment_caller, succeeded_call};
use crate::event::Record;

pub struct InstanceProfileRoleSwapped;

const REMOVE: &str = "RemoveRoleFromInstanceProfile";
const ADD: &str = "AddRoleToInstanceProfile";

pub static META: Meta = Meta {
    id: "instance-profile-role-swapped",
    title: "AWS IAM Instance Profile Role Swapped",
    description: "The role of an EC2 instance profile was removed and another added within \
                  the hour. Every instance running with the profile takes the new role's \
                  credentials at its next refresh: one IAM change escalates a whole fleet, \
                  with no EC2 call to notice.",
    severity: Severity::High,
    attack: &["T1098.003", "T1078.004"],
    origins: &[
        "trailwatch: from a second evasion review of the compute detections (a role \
         swapped inside an instance profile already in use, beside \
         ec2-instance-profile-associated)",
    ],
    group: "correlation",
    false_positives: &[
        "An administrator moving a fleet to a new role by hand (most teams do it through \
         infrastructure as code, whose CloudFormation stacks are left out, or by attaching \
         a new profile).",
        "Terraform replacing a profile's role (a remove and an add seconds apart by the \
         pipeline's role): its calls are its own, not a stack's, and look exactly like the \
         swap; suppress the pipeline's role with the profile's name.",
    ],
    next_steps: "Check which instances use the profile and whether the new role was \
                 expected. If not, put the old role back, look at what the new role's \
                 credentials did from those instances, and review how the caller came to \
                 hold iam:AddRoleToInstanceProfile and iam:PassRole.",
    evidence: "added_from added_role instance_profile removed_from removed_role",
    triggers: &[Trigger::write(IAM, &[ADD, REMOVE])],
    window: Some(WindowSpec::Sequence { max_gap_secs: 3600 }),
};

impl Detection for InstanceProfileRoleSwapped {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, IAM, &[ADD, REMOVE]) || aws_service_caller(rec) || stack_deployment_caller(rec) {
            return None;
        }
        let profile = rec.request_param_str("instanceProfileName").map(str::trim).filter(|p| !p.is_empty())?;
        let role = rec.request_param_str("roleName").map(str::trim);
        let account = rec.account_id().unwrap_or("unknown");
        let key = joined(&[account, &profile.to_ascii_lowercase()], '|');
        let (side, evidence) = if rec.event_name() == REMOVE {
            (
                Side::First,
                Evidence::new()
                    .with("instance_profile", profile)
                    .with_opt("removed_role", role)
                    .with_opt("removed_from", rec.source_ip()),
            )
        } else {
            (
                Side::Second,
                Evidence::new()
                    .with_opt("added_role", role)
                    .with_opt("added_from", rec.source_ip()),
            )
        };
        Some(Signal::Pair { key, side, evidence })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::calls::{call, failed};
    use crate::detections::common::testing::eval;

    fn swap(name: &str, role: &str) -> String {
        call(IAM, name, &format!(r#"{{"instanceProfileName":"web-app-profile","roleName":"{role}"}}"#))
    }

    #[test]
    fn removal_and_addition_pair_on_account_and_profile() {
        let key = |json: &str, want: Side| match eval(&InstanceProfileRoleSwapped, json) {
            Some(Signal::Pair { key, side, .. }) => {
                assert_eq!(side, want, "{json}");
                key
            }
            other => panic!("expected a pair side, got {other:?}"),
        };
        let removed = key(&swap(REMOVE, "web-app-role"), Side::First);
        let added = key(&swap(ADD, "OrganizationAccountAccessRole"), Side::Second);
        assert_eq!(removed, added);
        assert!(removed.ends_with("|web-app-profile"), "{removed}");
        let other_case = key(&swap(ADD, "x").replace("web-app-profile", "Web-App-Profile"), Side::Second);
        assert_eq!(other_case, removed, "profile names are unique in any letter case");
    }

    #[test]
    fn stacks_services_failures_and_unnamed_profiles_do_not_count() {
        let stack = swap(REMOVE, "web-app-role")
            .replace(r#""accountId":"111122223333""#, r#""accountId":"111122223333","invokedBy":"cloudformation.amazonaws.com""#);
        assert!(stack.contains("invokedBy"));
        assert_eq!(eval(&InstanceProfileRoleSwapped, &stack), None);
        assert_eq!(eval(&InstanceProfileRoleSwapped, &failed(&swap(ADD, "r"), "AccessDenied")), None);
        let unnamed = call(IAM, ADD, r#"{"roleName":"r"}"#);
        assert_eq!(eval(&InstanceProfileRoleSwapped, &unnamed), None);
        assert_eq!(eval(&InstanceProfileRoleSwapped, &swap("CreateInstanceProfile", "r")), None);
    }
}
