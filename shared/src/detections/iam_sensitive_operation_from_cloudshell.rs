//! A sensitive IAM call (`SENSITIVE_IAM_CALLS`), successful, made from AWS CloudShell:
//! the AWS CLI there writes `exec-env/CloudShell` in its user agent. Any caller type.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{IAM, SENSITIVE_IAM_CALLS, change_evidence, is_event};
use crate::event::Record;
use crate::event::prefilter::Peek;

/// What the SDKs write in the user agent there.
const MARKER: &str = "exec-env/CloudShell";

pub struct IamSensitiveOperationFromCloudShell;

pub static META: Meta = Meta {
    id: "iam-sensitive-operation-from-cloudshell",
    title: "AWS Sensitive IAM Operations Performed via CloudShell",
    description: "A sensitive IAM change (a new user, key, password, policy grant or \
                  trust change) was made from AWS CloudShell. An intruder with a \
                  console session uses CloudShell to run the CLI without installing \
                  anything, under the victim's identity.",
    severity: Severity::Medium,
    attack: &["T1059.009", "T1098"],
    origins: &[
        "Elastic detection-rules credential_access_sensitive_operations_via_cloudshell.toml \
         (AWS Sensitive IAM Operations Performed via CloudShell)",
    ],
    group: "iam-persistence",
    false_positives: &[
        "Administrators who prefer CloudShell for routine IAM work.",
    ],
    next_steps: "Check with the person behind the console session; review the \
                 CloudShell environment's other commands (CloudTrail from the same \
                 session) and undo the IAM change if it is not expected.",
    evidence: "api caller caller_type groupName policyArn policyName roleName source_ip userName \
        user_agent",
    triggers: &[Trigger::write(IAM, SENSITIVE_IAM_CALLS)],
    window: None,
};

impl Detection for IamSensitiveOperationFromCloudShell {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !is_event(rec, IAM, SENSITIVE_IAM_CALLS) || !rec.succeeded() {
            return None;
        }
        if !rec.user_agent().is_some_and(|ua| ua.contains(MARKER)) {
            return None;
        }
        fire(change_evidence(rec, &["userName", "roleName", "groupName", "policyArn", "policyName"]))
    }

    fn may_match_raw(&self, peek: &Peek<'_>, _json: &[u8]) -> bool {
        // No user agent in the peek (absent or not plain): let the parser decide.
        peek.user_agent.is_none_or(|ua| ua.contains(MARKER))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::iam_testing::*;

    const THERE: &str = "aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.1 md/arch#x86_64 lang/python#3.11.8 exec-env/CloudShell exe/x86_64 prompt/off command/iam.create-user";

    #[test]
    fn fires_on_sensitive_calls_made_there_only() {
        check_sensitive_iam_from(&IamSensitiveOperationFromCloudShell, THERE, USER);
    }

    #[test]
    fn any_caller_type_counts() {
        for who in [ROLE, ROOT, FEDERATED] {
            check_sensitive_iam_from(&IamSensitiveOperationFromCloudShell, THERE, who);
        }
    }
}
