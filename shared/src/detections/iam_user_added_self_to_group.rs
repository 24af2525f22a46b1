//! An IAM user adding itself to a group (`AddUserToGroup`, successful, `userName` equal
//! to the calling IAM user's name). Elastic's rule reports every addition;
//! administrators add people to groups all day, so we keep the escalation pattern: a
//! user with iam:AddUserToGroup putting itself into a more privileged group. IAM
//! names ignore letter case, so `ALICE` in the request is alice herself. A federated
//! session the user issued (`GetFederationToken`, then a console sign-in: federated
//! sessions may call IAM from the console) counts as the user (from a third evasion
//! review; the finding says `federated`).

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{IAM, caller_is_user_or_its_federation, change_evidence, is_event};
use crate::event::Record;

pub struct IamUserAddedSelfToGroup;

pub static META: Meta = Meta {
    id: "iam-user-added-self-to-group",
    title: "AWS IAM User Added Itself to a Group",
    description: "An IAM user added itself to an IAM group. A user allowed to manage \
                  group membership can join any group this way, including \
                  administrators; it is a well-known privilege escalation.",
    severity: Severity::High,
    attack: &["T1098", "T1078.004"],
    origins: &[
        "Elastic detection-rules credential_access_iam_user_addition_to_group.toml \
         (AWS IAM User Addition to Group, narrowed to self-addition)",
    ],
    group: "iam-persistence",
    false_positives: &[
        "A self-service administrator adding itself to a group on purpose.",
    ],
    next_steps: "Check the group's permissions and whether the user should be in it. \
                 If not, remove it, review how it got iam:AddUserToGroup, and look at \
                 what it did as a member.",
    evidence: "api caller caller_type federated groupName source_ip userName user_agent",
    triggers: &[Trigger::write(IAM, &["AddUserToGroup"])],
    window: None,
};

impl Detection for IamUserAddedSelfToGroup {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !is_event(rec, IAM, &["AddUserToGroup"]) || !rec.succeeded() {
            return None;
        }
        let target = rec.request_param_str("userName")?;
        if !caller_is_user_or_its_federation(rec, target) {
            return None;
        }
        let e = change_evidence(rec, &["userName", "groupName"]);
        fire(if rec.identity_type() == Some("FederatedUser") { e.with("federated", true) } else { e })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::iam_testing::*;
    use crate::detections::common::testing::fires;

    fn add(identity: &str, user: &str) -> String {
        iam("AddUserToGroup", identity, &format!(r#"{{"userName":"{user}","groupName":"admins"}}"#))
    }

    #[test]
    fn fires_when_a_user_adds_itself() {
        assert!(fires(&IamUserAddedSelfToGroup, &add(USER, "alice")));
        // IAM resolves a user name without regard to case.
        for name in ["Alice", "ALICE"] {
            assert!(fires(&IamUserAddedSelfToGroup, &add(USER, name)), "{name}");
        }
    }

    #[test]
    fn ignores_additions_of_others_failures_and_odd_records() {
        assert!(!fires(&IamUserAddedSelfToGroup, &add(USER, "bob")));
        for who in [ROLE, ROOT, FEDERATED] {
            assert!(!fires(&IamUserAddedSelfToGroup, &add(who, "alice")), "{who}");
        }
        assert!(!fires(&IamUserAddedSelfToGroup, &iam_failed("AddUserToGroup", USER, r#"{"userName":"alice"}"#, "AccessDenied")));
        assert!(!fires(&IamUserAddedSelfToGroup, &iam("AddUserToGroup", USER, "null")));
        assert!(!fires(&IamUserAddedSelfToGroup, &add(USER, "alice").replace("AddUserToGroup", "RemoveUserFromGroup")));
    }
}
