//! A sensitive IAM call (new users, keys, passwords, policy grants, trust changes, MFA
//! or boundary removal: `SENSITIVE_IAM_CALLS`), successful, made with a Lambda
//! function's execution role: an assumed-role session whose user agent carries the
//! Lambda runtime marker `exec-env/AWS_Lambda_`. The SDKs add that marker themselves;
//! code that strips it is not seen.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{IAM, SENSITIVE_IAM_CALLS, change_evidence, is_event};
use crate::event::Record;
use crate::event::prefilter::Peek;

/// What the SDKs write in the user agent there.
const MARKER: &str = "exec-env/AWS_Lambda_";

pub struct IamSensitiveOperationFromLambda;

pub static META: Meta = Meta {
    id: "iam-sensitive-operation-from-lambda",
    title: "AWS IAM Sensitive Operations via Lambda Execution Role",
    description: "A Lambda function's execution role made a sensitive IAM change (a \
                  new user, key, password, policy grant or trust change). Functions \
                  seldom manage IAM; a backdoored function, or credentials stolen \
                  from one, used to escalate or persist looks like this.",
    severity: Severity::Medium,
    attack: &["T1078.004", "T1098"],
    origins: &[
        "Elastic detection-rules: AWS IAM Sensitive Operations via Lambda Execution \
         Role",
    ],
    group: "iam-persistence",
    false_positives: &[
        "Account-vending or remediation functions that manage IAM on purpose.",
    ],
    next_steps: "Identify the function (the session name is usually the function \
                 name) and whether it is meant to manage IAM; check its recent code \
                 and configuration changes and undo the IAM change if it is not \
                 expected.",
    triggers: &[Trigger::write(IAM, SENSITIVE_IAM_CALLS)],
    window: None,
};

impl Detection for IamSensitiveOperationFromLambda {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !is_event(rec, IAM, SENSITIVE_IAM_CALLS) || !rec.succeeded() {
            return None;
        }
        if !rec.user_agent().is_some_and(|ua| ua.contains(MARKER)) || rec.identity_type() != Some("AssumedRole") {
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
    use crate::detections::common::testing::fires;

    const CLI: &str = "aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64";
    const THERE: &str = "Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#5.10 md/arch#x86_64 lang/python#3.12 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 Botocore/1.34.0";

    #[test]
    fn fires_on_sensitive_calls_made_there_only() {
        check_sensitive_iam_from(&IamSensitiveOperationFromLambda, THERE, ROLE);
    }

    #[test]
    fn only_role_sessions_count() {
        let user = iam("CreateUser", USER, "null").replace(CLI, THERE);
        assert!(!fires(&IamSensitiveOperationFromLambda, &user));
    }
}
