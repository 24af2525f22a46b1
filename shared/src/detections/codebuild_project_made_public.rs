//! A CodeBuild project made public (`UpdateProjectVisibility` with
//! `projectVisibility` `PUBLIC_READ`), successfully.
//!
//! Decisions: a public build project lets anyone on the internet read its build
//! history, logs and artifacts, where build scripts often print environment
//! variables, tokens and internal addresses. Making a project private again
//! (`PRIVATE`) does not fire; the value is compared without regard to letter case.
//! Refused calls and AWS service identities do not fire; a stack update that makes
//! the project public (`Visibility: PUBLIC_READ`) is the same exposure and does.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_among, change_evidence, succeeded_call};
use crate::event::Record;

pub struct CodeBuildProjectMadePublic;

const SOURCE: &str = "codebuild.amazonaws.com";
const NAMES: &[&str] = &["UpdateProjectVisibility"];

pub static META: Meta = Meta {
    id: "codebuild-project-made-public",
    title: "AWS CodeBuild Project Made Public",
    description: "A CodeBuild project's visibility was set to public: anyone, without an AWS \
                  account, can now read its builds, their logs and their artifacts. Build logs \
                  commonly hold secrets and internal names, and an intruder can use a public \
                  project to move data out.",
    severity: Severity::Medium,
    attack: &["T1567", "T1530"],
    origins: &["trailwatch: based on CodeBuild public build results (UpdateProjectVisibility \
                with projectVisibility PUBLIC_READ), an attack step in the public \
                conformance background that no detection took"],
    group: "compute-network",
    false_positives: &["An open-source project that publishes its build results on purpose."],
    next_steps: "Set the project back to private unless its builds are meant to be public, \
                 read its recent build logs for secrets to rotate, and review the caller's \
                 other calls.",
    evidence: "api caller caller_type projectArn projectVisibility source_ip user_agent",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

impl Detection for CodeBuildProjectMadePublic {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        let public = rec
            .request_param_str("projectVisibility")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("PUBLIC_READ"));
        if !public {
            return None;
        }
        if !succeeded_call(rec, SOURCE, NAMES) || aws_service_among(rec, &[]) {
            return None;
        }
        fire(change_evidence(rec, &["projectArn", "projectVisibility"]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::compute_testing::{ACCESS_DENIED, IAM_USER, ROLE, SERVICE, record};
    use crate::detections::common::testing::{eval, fires};
    use serde_json::json;

    const ARN: &str = "arn:aws:codebuild:us-east-1:111122223333:project/payments-ci";

    fn params(visibility: &str) -> String {
        format!(r#"{{"projectArn":"{ARN}","projectVisibility":"{visibility}"}}"#)
    }

    #[test]
    fn fires_when_a_project_goes_public() {
        match eval(&CodeBuildProjectMadePublic, &record(SOURCE, "UpdateProjectVisibility", ROLE, &params("PUBLIC_READ"), "")) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("projectArn"), Some(&json!(ARN))),
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(fires(&CodeBuildProjectMadePublic, &record(SOURCE, "UpdateProjectVisibility", IAM_USER, &params("public_read"), "")));
    }

    #[test]
    fn near_misses() {
        let d = &CodeBuildProjectMadePublic;
        assert!(!fires(d, &record(SOURCE, "UpdateProjectVisibility", ROLE, &params("PRIVATE"), "")));
        assert!(!fires(d, &record(SOURCE, "UpdateProjectVisibility", ROLE, &format!(r#"{{"projectArn":"{ARN}"}}"#), "")));
        assert!(!fires(d, &record(SOURCE, "UpdateProjectVisibility", ROLE, &params("PUBLIC_READ"), ACCESS_DENIED)));
        assert!(!fires(d, &record(SOURCE, "UpdateProjectVisibility", SERVICE, &params("PUBLIC_READ"), "")));
        let by_stack = ROLE.replace(r#""accountId":"111122223333""#, r#""accountId":"111122223333","invokedBy":"cloudformation.amazonaws.com""#);
        assert_ne!(by_stack, ROLE);
        assert!(fires(d, &record(SOURCE, "UpdateProjectVisibility", &by_stack, &params("PUBLIC_READ"), "")));
        assert!(!fires(d, &record(SOURCE, "UpdateProject", ROLE, &params("PUBLIC_READ"), "")));
    }
}
