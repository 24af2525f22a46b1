//! A sensitive IAM call (new users, keys, passwords, policy grants, trust changes, MFA
//! or boundary removal: `SENSITIVE_IAM_CALLS`), successful, made with a Lambda
//! function's execution role: an assumed-role session whose credentials AWS says
//! it issued to a function (`userIdentity.inScopeOf`, issuer type
//! `AWS::Lambda::Function`, the function in the evidence), or whose user agent
//! carries the Lambda runtime marker `exec-env/AWS_Lambda_`. The SDKs add the
//! marker themselves, but not on the OS-only runtimes (`provided.al2023`, every Go
//! and most Rust functions), and the caller writes it: `inScopeOf` is AWS's
//! (from a review of newer record shapes: a Go function's admin grant, and a
//! function's keys used from a laptop, went unseen).

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{IAM, SENSITIVE_IAM_CALLS, change_evidence, is_event};
use crate::event::prefilter::Needle;
use crate::event::Record;
use crate::event::prefilter::Peek;

/// What the SDKs write in the user agent there.
const MARKER: &str = "exec-env/AWS_Lambda_";

/// What AWS writes in `userIdentity.inScopeOf` for a function's credentials.
static LAMBDA_ISSUER: Needle = Needle::new("\"AWS::Lambda::Function\"");

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
    next_steps: "Identify the function (`function` in the evidence when AWS names it; \
                 else the session name is usually the function name) and whether it \
                 is meant to manage IAM; check its recent code and configuration \
                 changes and undo the IAM change if it is not expected. A call from \
                 outside Lambda's addresses with the function's credentials means \
                 they were stolen: revoke the role's sessions.",
    evidence: "api caller caller_type function groupName policyArn policyName roleName source_ip \
        userName user_agent",
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
        let function = rec.credentials_of_lambda_function();
        let marked = rec.user_agent().is_some_and(|ua| ua.contains(MARKER));
        if !(marked || function.is_some()) || rec.identity_type() != Some("AssumedRole") {
            return None;
        }
        fire(
            change_evidence(rec, &["userName", "roleName", "groupName", "policyArn", "policyName"])
                .with_opt("function", function),
        )
    }

    fn may_match_raw(&self, peek: &Peek<'_>, json: &[u8]) -> bool {
        // No user agent in the peek (absent or not plain): let the parser decide.
        peek.user_agent.is_none_or(|ua| ua.contains(MARKER))
            || LAMBDA_ISSUER.finder().find(json).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::iam_testing::*;
    use crate::detections::common::testing::{fired_evidence, fires};

    const CLI: &str = "aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64";
    const THERE: &str = "Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#5.10 md/arch#x86_64 lang/python#3.12 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 Botocore/1.34.0";

    #[test]
    fn fires_on_sensitive_calls_made_there_only() {
        check_sensitive_iam_from(&IamSensitiveOperationFromLambda, THERE, ROLE);
    }

    /// From a review of newer record shapes: a Go function (no runtime marker
    /// on `provided.al2023`), or a function's keys used from a laptop, is seen
    /// by what AWS writes in `inScopeOf`; the function is in the evidence. An
    /// instance's credentials, or a refused call, are not this detection's.
    #[test]
    fn a_functions_credentials_are_known_by_what_aws_writes() {
        let scope = |issuer: &str, to: &str| {
            let role = ROLE.trim_end().strip_suffix('}').unwrap();
            format!(
                r#"{role},"inScopeOf":{{"issuerType":"{issuer}","credentialsIssuedTo":"{to}"}}}}"#
            )
        };
        let function = "arn:aws:lambda:us-east-1:111122223333:function:nightly-report";
        let in_lambda = scope("AWS::Lambda::Function", function);
        let go = "aws-sdk-go-v2/1.36.3 ua/2.1 os/linux lang/go#1.24.4 md/GOOS#linux md/GOARCH#arm64 api/iam#1.40.0";
        for agent in [go, CLI] {
            let attach = iam("AttachRolePolicy", &in_lambda, r#"{"roleName":"Ops","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}"#)
                .replace(CLI, agent);
            // `fired_evidence` also holds the raw check to keeping the record.
            let evidence = fired_evidence(&IamSensitiveOperationFromLambda, &attach);
            assert_eq!(evidence.get("function").and_then(|v| v.as_str()), Some(function));
        }
        let instance = scope("AWS::EC2::Instance", "arn:aws:ec2:us-east-1:111122223333:instance/i-0a1b2c3d4e5f67890");
        assert!(!fires(&IamSensitiveOperationFromLambda, &iam("CreateUser", &instance, r#"{"userName":"x"}"#)));
        let refused = record(IAM, "CreateUser", &in_lambda, r#"{"userName":"x"}"#, r#""errorCode":"AccessDenied","#);
        assert!(!fires(&IamSensitiveOperationFromLambda, &refused));
    }

    #[test]
    fn only_role_sessions_count() {
        let user = iam("CreateUser", USER, "null").replace(CLI, THERE);
        assert!(!fires(&IamSensitiveOperationFromLambda, &user));
    }
}
