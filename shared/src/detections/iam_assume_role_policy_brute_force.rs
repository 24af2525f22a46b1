//! Principal enumeration through trust policies: one caller gets at least five
//! `MalformedPolicyDocumentException` errors from `UpdateAssumeRolePolicy` or
//! `CreateRole` within ten minutes. IAM rejects a trust policy naming a principal that
//! does not exist, so tools try names one by one and read the errors. Splunk counts two
//! or more; we ask for five in ten minutes so that a person fixing a typo twice does
//! not fire, while any enumeration run (dozens to thousands of tries) does. Each record
//! counts once (by `eventID`; a record without one is not counted). Calls made by AWS
//! services (identity type `AWSService`, or a service named in `invokedBy` or as the
//! source address, which AWS writes) are left out; a service's name in the user agent
//! is not enough, since the caller writes that. The caller is the role, not the
//! session (`common::account_role_term`): a tool that assumes the role afresh
//! for each try would otherwise start the count again every time.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, Repeats, Countable, WindowSpec};
use crate::detections::common::{IAM, account_role_term, aws_service_caller, is_event, user_driven_call};
use crate::event::Record;

pub struct IamAssumeRolePolicyBruteForce;

pub static META: Meta = Meta {
    id: "iam-assume-role-policy-brute-force",
    title: "AWS IAM Assume Role Policy Brute Force",
    description: "One principal had at least five trust policies rejected as \
                  malformed within ten minutes. Tools enumerate users and roles of \
                  other accounts this way, since IAM refuses a trust policy that \
                  names a principal that does not exist; it shows stolen credentials \
                  being used for reconnaissance.",
    severity: Severity::Medium,
    attack: &["T1580", "T1087.004"],
    origins: &[
        "Splunk ESCU detections/cloud/aws_iam_assume_role_policy_brute_force.yml",
        "Elastic detection-rules: AWS IAM Principal Enumeration via \
         UpdateAssumeRolePolicy (threshold)",
    ],
    group: "iam-persistence",
    false_positives: &[
        "A person or template repeatedly submitting a broken trust policy while \
         debugging.",
    ],
    next_steps: "Look at the principals named in the rejected documents (they show \
                 which accounts were probed) and where the caller's credentials came \
                 from. Revoke the credentials if the activity is not recognised.",
    evidence: "api role_name source_ip user_agent",
    triggers: &[Trigger::write(IAM, &["CreateRole", "UpdateAssumeRolePolicy"])],
    window: Some(WindowSpec::Distinct {
        window_secs: 600,
        min_distinct: 5,
        repeats: Repeats::Always,
        values: Countable::Open,
    }),
};

impl Detection for IamAssumeRolePolicyBruteForce {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !is_event(rec, IAM, &["CreateRole", "UpdateAssumeRolePolicy"])
            || rec.error_code() != Some("MalformedPolicyDocumentException")
        {
            return None;
        }
        // A workflow's call (Step Functions, Scheduler) has the service's name
        // for source and is still its author's.
        if aws_service_caller(rec)
            || (!user_driven_call(rec)
                && rec.source_ip().is_some_and(|ip| ip.trim().ends_with(".amazonaws.com")))
        {
            return None;
        }
        let value = rec.call_id()?.to_owned();
        let evidence = Evidence::new()
            .with("api", rec.event_name())
            .with_opt("role_name", rec.request_param_str("roleName"))
            .with_opt("source_ip", rec.source_ip())
            .with_opt("user_agent", rec.user_agent());
        Some(Signal::Distinct {
            group: account_role_term(rec),
            value,
            evidence,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::iam_testing::*;
    use crate::detections::common::testing::eval;

    const PARAMS: &str = r#"{"roleName":"probe","policyDocument":"{}"}"#;

    fn observed(json: &str) -> Option<(String, String)> {
        match eval(&IamAssumeRolePolicyBruteForce, json) {
            Some(Signal::Distinct { group, value, .. }) => Some((group, value)),
            None => None,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn counts_each_rejected_trust_policy_per_caller() {
        let rejected = iam_failed("UpdateAssumeRolePolicy", USER, PARAMS, "MalformedPolicyDocumentException");
        let (group, value) = observed(&rejected).expect("counted");
        assert_eq!(group, "111122223333|arn:aws:iam::111122223333:user/alice");
        assert_eq!(value, "0b5d6f5e-0000-4000-8000-000000000001");
        let create = iam_failed("CreateRole", ROLE, PARAMS, "MalformedPolicyDocumentException");
        let (group, _) = observed(&create).expect("counted");
        assert!(!group.contains("assumed-role"), "per role, not per session: {group}");
    }

    #[test]
    fn ignores_other_outcomes_and_services() {
        assert!(observed(&iam("UpdateAssumeRolePolicy", USER, PARAMS)).is_none());
        assert!(observed(&iam_failed("UpdateAssumeRolePolicy", USER, PARAMS, "AccessDenied")).is_none());
        let by_service = iam_failed("CreateRole", USER, PARAMS, "MalformedPolicyDocumentException")
            .replace("aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64", "cloudformation.amazonaws.com")
            .replace("203.0.113.20", "cloudformation.amazonaws.com");
        assert!(observed(&by_service).is_none());
        // A state machine's attempts (source and agent the service's name)
        // are its author's.
        let by_workflow = iam_failed("CreateRole", USER, PARAMS, "MalformedPolicyDocumentException")
            .replace("aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64", "states.amazonaws.com")
            .replace("203.0.113.20", "states.amazonaws.com");
        assert!(observed(&by_workflow).is_some());
        // The agent alone is the caller's to write.
        let spoofed = iam_failed("CreateRole", USER, PARAMS, "MalformedPolicyDocumentException")
            .replace("aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64", "iam.amazonaws.com");
        assert!(spoofed.contains(r#""userAgent":"iam.amazonaws.com""#));
        assert!(observed(&spoofed).is_some());
        let no_id = iam_failed("CreateRole", USER, PARAMS, "MalformedPolicyDocumentException")
            .replace(r#""eventID":"0b5d6f5e-0000-4000-8000-000000000001","#, "");
        assert!(observed(&no_id).is_none());
    }
}
