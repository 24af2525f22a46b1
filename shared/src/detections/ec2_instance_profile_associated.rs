//! An IAM instance profile attached to, or swapped on, a running instance
//! (`AssociateIamInstanceProfile`, `ReplaceIamInstanceProfileAssociation`),
//! successfully, by someone other than an AWS service.
//!
//! Elastic also names `ReplaceIamInstanceProfile`, which is not an EC2 API; the real
//! replacement call is `ReplaceIamInstanceProfileAssociation`, so that is what we
//! match. AWS service identities and service-linked roles are left out.
//! Systems Manager attaching its own Quick Setup profile
//! (`AmazonSSMRoleForInstancesQuickSetup`: host management gives instances without
//! a profile that one) is low (left out until a third evasion review gave an
//! administrator's role a profile of that name). Any other profile Systems Manager attaches stays in: an
//! Automation runbook (`AWS-AttachIAMToInstance`, or an `aws:executeAwsApi` step)
//! attaches whatever profile its runner names, so leaving out every call it made
//! let a runbook attach an administrator's profile unseen (from an evasion review;
//! Elastic's rule leaves them all out). Calls other services made for a person
//! stay in too: a CloudFormation stack update that attaches a profile is the same
//! escalation with one step between.

use serde_json::Value;

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_or_linked_role, call_context};
use crate::event::Record;

pub struct Ec2InstanceProfileAssociated;

pub static META: Meta = Meta {
    id: "ec2-instance-profile-associated",
    title: "AWS EC2 Instance Profile Associated with Running Instance",
    description: "An IAM role (through its instance profile) was attached to or swapped on an \
                  existing EC2 instance. Anyone who can run code on that instance now gets the \
                  role's credentials from the metadata service, so attaching a powerful role \
                  to an instance one controls is a known privilege-escalation path.",
    severity: Severity::High,
    attack: &["T1098", "T1078.004"],
    origins: &[
        "Elastic rules/integrations/aws/privilege_escalation_ec2_instance_profile_associated_with_running_instance.toml",
    ],
    group: "compute-network",
    false_positives: &[
        "Administrators fixing an instance launched without a role, or rotating roles during \
         a migration.",
    ],
    next_steps: "Check which role the profile carries and what it may do, and who can run \
                 code on the instance. If unexpected, disassociate the profile, and review the \
                 role's activity from that instance (sessions named after the instance id).",
    evidence: "association_id instance_id instance_profile region source_ip user_agent",
    triggers: &[Trigger::write(
        "ec2.amazonaws.com",
        &[
            "AssociateIamInstanceProfile",
            "ReplaceIamInstanceProfileAssociation",
        ],
    )],
    window: None,
};

/// The request's fields. CloudTrail logs these two calls with their parameters
/// wrapped in `AssociateIamInstanceProfileRequest` /
/// `ReplaceIamInstanceProfileAssociationRequest`, keys in PascalCase (`InstanceId`,
/// `AssociationId`, `IamInstanceProfile.Arn|Name`); the flat lowerCamel form
/// (`instanceId`, `iamInstanceProfile.arn`) is read too.
struct Request<'r> {
    instance_id: Option<&'r str>,
    association_id: Option<&'r str>,
    profile: Option<&'r Value>,
}

fn request<'r>(rec: &'r Record) -> Request<'r> {
    let wrapper = [
        "AssociateIamInstanceProfileRequest",
        "ReplaceIamInstanceProfileAssociationRequest",
    ]
    .into_iter()
    .find_map(|k| rec.request_param(k).filter(|v| v.is_object()));
    // A field of the wrapper (PascalCase), else of the parameters (lowerCamel).
    let field = |pascal: &str, camel: &str| -> Option<&'r Value> {
        wrapper
            .and_then(|w| w.get(pascal))
            .or_else(|| rec.request_param(camel))
    };
    let text = |v: Option<&'r Value>| v.and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
    let profile = field("IamInstanceProfile", "iamInstanceProfile").and_then(|p| {
        ["Arn", "arn", "Name", "name"]
            .into_iter()
            .find_map(|k| p.get(k).filter(|v| v.as_str().is_some_and(|s| !s.trim().is_empty())))
    });
    Request {
        instance_id: text(field("InstanceId", "instanceId")),
        association_id: text(field("AssociationId", "associationId")),
        profile,
    }
}

/// The instance profile Systems Manager's Quick Setup host management attaches
/// to instances that have none.
const QUICK_SETUP_PROFILE: &str = "AmazonSSMRoleForInstancesQuickSetup";

/// The profile named (by name, or by an ARN with no path) is Quick Setup's. An
/// ARN under another path (`instance-profile/ops/AmazonSSMRoleForInstancesQuickSetup`)
/// is a profile someone else made with that name (from a second evasion review:
/// any path passed).
fn quick_setup_profile(profile: Option<&Value>) -> bool {
    let Some(p) = profile.and_then(Value::as_str).map(str::trim) else {
        return false;
    };
    match p.split_once(":instance-profile/") {
        Some((_, name)) => name == QUICK_SETUP_PROFILE,
        None => p == QUICK_SETUP_PROFILE,
    }
}

impl Detection for Ec2InstanceProfileAssociated {
    fn meta(&self) -> &'static Meta {
        &META
    }

    /// Systems Manager attaching Quick Setup's profile is low, not left out: the
    /// name is anyone's to give a profile of their own (from a third evasion
    /// review: a profile so named, holding an administrator's role, attached by a
    /// runbook went unseen).
    fn severity_for(&self, rec: &Record<'_>) -> Severity {
        if rec.invoked_by() == Some("ssm.amazonaws.com") && quick_setup_profile(request(rec).profile) {
            Severity::Low
        } else {
            META.severity
        }
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "ec2.amazonaws.com"
            || !matches!(
                rec.event_name(),
                "AssociateIamInstanceProfile" | "ReplaceIamInstanceProfileAssociation"
            )
            || !rec.succeeded()
            || aws_service_or_linked_role(rec)
        {
            return None;
        }
        let req = request(rec);
        let e = call_context(rec)
            .with_opt("instance_id", req.instance_id)
            .with_opt("association_id", req.association_id)
            .with_opt("instance_profile", req.profile.cloned());
        fire(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing;
    use crate::detection::Evidence;
    use crate::detections::common::compute_testing::{DENIED, IAM_USER, ROLE, SERVICE, record};
    use crate::detections::common::testing::{fired_evidence, fires};

    const ASSOCIATE: &str = r#"{"AssociateIamInstanceProfileRequest":"","instanceId":"i-0a1b2c3d4e5f60001",
        "iamInstanceProfile":{"arn":"arn:aws:iam::111122223333:instance-profile/AdminProfile"}}"#;

    fn evidence(json: &str) -> Evidence {
        fired_evidence(&Ec2InstanceProfileAssociated, json)
    }

    #[test]
    fn fires_on_associate_and_replace() {
        let e = evidence(&record("ec2.amazonaws.com", "AssociateIamInstanceProfile", IAM_USER, ASSOCIATE, ""));
        assert_eq!(e.get("instance_id").unwrap(), "i-0a1b2c3d4e5f60001");
        assert_eq!(
            e.get("instance_profile").unwrap(),
            "arn:aws:iam::111122223333:instance-profile/AdminProfile"
        );
        let replace = r#"{"associationId":"iip-assoc-0a1b2c3d4e5f60001","iamInstanceProfile":{"name":"AdminProfile"}}"#;
        let e = evidence(&record("ec2.amazonaws.com", "ReplaceIamInstanceProfileAssociation", ROLE, replace, ""));
        assert_eq!(e.get("instance_profile").unwrap(), "AdminProfile");
        assert_eq!(e.get("association_id").unwrap(), "iip-assoc-0a1b2c3d4e5f60001");
    }

    #[test]
    fn reads_the_wrapped_request_cloudtrail_logs() {
        let associate = r#"{"AssociateIamInstanceProfileRequest":{"InstanceId":"i-0a1b2c3d4e5f60002",
            "IamInstanceProfile":{"Name":"AdminProfile"}}}"#;
        let e = evidence(&record("ec2.amazonaws.com", "AssociateIamInstanceProfile", ROLE, associate, ""));
        assert_eq!(e.get("instance_id").unwrap(), "i-0a1b2c3d4e5f60002");
        assert_eq!(e.get("instance_profile").unwrap(), "AdminProfile");
        let replace = r#"{"ReplaceIamInstanceProfileAssociationRequest":{"AssociationId":"iip-assoc-0f1e2d3c4b5a69788",
            "IamInstanceProfile":{"Arn":"arn:aws:iam::111122223333:instance-profile/AdminProfile"}}}"#;
        let e = evidence(&record("ec2.amazonaws.com", "ReplaceIamInstanceProfileAssociation", IAM_USER, replace, ""));
        assert_eq!(e.get("association_id").unwrap(), "iip-assoc-0f1e2d3c4b5a69788");
        assert_eq!(
            e.get("instance_profile").unwrap(),
            "arn:aws:iam::111122223333:instance-profile/AdminProfile"
        );
    }

    #[test]
    fn ignores_failures_services_and_disassociation() {
        let denied = record("ec2.amazonaws.com", "AssociateIamInstanceProfile", ROLE, ASSOCIATE, DENIED);
        assert!(!fires(&Ec2InstanceProfileAssociated, &denied));
        let service = record("ec2.amazonaws.com", "AssociateIamInstanceProfile", SERVICE, ASSOCIATE, "");
        assert!(!fires(&Ec2InstanceProfileAssociated, &service));
        let ssm = record("ec2.amazonaws.com", "AssociateIamInstanceProfile", ROLE, ASSOCIATE, "")
            .replace(r#""accountId":"111122223333""#, r#""accountId":"111122223333","invokedBy":"ssm.amazonaws.com""#);
        assert!(ssm.contains("invokedBy"), "the identity names its account");
        let quick_setup = ssm.replace("instance-profile/AdminProfile", "instance-profile/AmazonSSMRoleForInstancesQuickSetup");
        assert!(fires(&Ec2InstanceProfileAssociated, &quick_setup));
        let severity = |json: &str| testing::severity(&Ec2InstanceProfileAssociated, json);
        assert_eq!(severity(&quick_setup), Severity::Low);
        assert_eq!(severity(&ssm), Severity::High);
        let under_a_path = ssm.replace("instance-profile/AdminProfile", "instance-profile/ops/AmazonSSMRoleForInstancesQuickSetup");
        assert!(fires(&Ec2InstanceProfileAssociated, &under_a_path));
        // From an evasion review: a runbook attaching any other profile counts.
        assert!(fires(&Ec2InstanceProfileAssociated, &ssm));
    }

    #[test]
    fn a_stack_update_that_attaches_a_profile_fires() {
        let cfn = record("ec2.amazonaws.com", "AssociateIamInstanceProfile", ROLE, ASSOCIATE, "")
            .replace(r#""accountId":"111122223333""#, r#""accountId":"111122223333","invokedBy":"cloudformation.amazonaws.com""#);
        assert!(cfn.contains("invokedBy"), "the identity names its account");
        assert!(fires(&Ec2InstanceProfileAssociated, &cfn));
        let gone = record("ec2.amazonaws.com", "DisassociateIamInstanceProfile", ROLE, "{}", "");
        assert!(!fires(&Ec2InstanceProfileAssociated, &gone));
    }

    #[test]
    fn odd_parameters_still_fire() {
        let e = evidence(&record("ec2.amazonaws.com", "AssociateIamInstanceProfile", ROLE, "null", ""));
        assert!(e.get("instance_profile").is_none());
        let odd = r#"{"iamInstanceProfile":"AdminProfile"}"#;
        assert!(fires(&Ec2InstanceProfileAssociated, &record("ec2.amazonaws.com", "AssociateIamInstanceProfile", ROLE, odd, "")));
    }
}
