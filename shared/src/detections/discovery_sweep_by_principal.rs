//! One principal making twelve or more different discovery calls (`DISCOVERY_TRIGGERS`)
//! within an hour, whatever the tool.
//!
//! Decisions: the upstream rule counts more than 50 distinct `Describe*`/`List*`/`Get*`
//! names per user over its search window. A read-only rule must list its event names,
//! so we count the 23 calls of the shared discovery list and fire at twelve (more than
//! half of it) within any hour. Denied calls count. Console page loads (by agent
//! or by a browser on a console session's credentials) and AWS services are left out: the
//! console alone issues many different reads per click. So is infrastructure as
//! code (`common::service_or_iac_caller`): a Terraform plan refreshes the trails,
//! detectors, networks, instances, databases and parameters it manages, by name,
//! every run.
//! Unlike `discovery-api-burst-via-cli` this one sees a slow sweep by any SDK.
//!
//! The principal is the session for assumed roles, not the role: one role is often
//! shared by an instance fleet, an ECS service's tasks or many pipelines' runs, and
//! pooling their calls would add up unrelated workloads. An intruder who re-assumes
//! the role for every few calls splits the count: a known limit (docs/coverage.md).

use crate::detection::{Detection, Meta, Severity, Signal, Repeats, Countable, WindowSpec};
use crate::detections::common::{
    DISCOVERY_TRIGGERS, account_actor_group, aws_service_or_console_caller, call_value, caller_evidence, iac_agent,
    is_discovery_call, service_or_console_agent, service_or_iac_caller, user_driven_agent,
};
use crate::event::Record;
use crate::event::prefilter::Peek;

pub struct DiscoverySweepByPrincipal;

pub static META: Meta = Meta {
    id: "discovery-sweep-by-principal",
    title: "AWS Excessive Security Scanning",
    description: "One principal called twelve or more different reconnaissance APIs (identity, \
                  IAM users and roles, buckets, instances, snapshots, trails, detectors, \
                  secrets, parameters, databases, the organisation) within an hour. That \
                  breadth is the footprint of an account-wide scanner or of an intruder \
                  inventorying what a stolen identity can reach.",
    severity: Severity::Low,
    attack: &["T1580", "T1087.004", "T1526"],
    origins: &["Splunk ESCU aws_excessive_security_scanning.yml"],
    group: "discovery",
    false_positives: &[
        "Security and compliance scanners (Prowler, ScoutSuite, CSPM products) running under \
         a dedicated role: exclude that role.",
        "Inventory, cost or backup tools that read every service on a schedule.",
    ],
    next_steps: "Check whether the principal belongs to a known scanner. If not, review how it \
                 obtained credentials, what it did after the sweep, and where the calls came \
                 from; revoke the credentials if the activity is not explained.",
    evidence: "error_code source_ip user_agent",
    triggers: DISCOVERY_TRIGGERS,
    window: Some(WindowSpec::Distinct {
        window_secs: 3600,
        min_distinct: 12,
        repeats: Repeats::Always,
        values: Countable::Open,
    }),
};

impl Detection for DiscoverySweepByPrincipal {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !is_discovery_call(rec) || aws_service_or_console_caller(rec) || service_or_iac_caller(rec) {
            return None;
        }
        Some(Signal::Distinct {
            group: account_actor_group(rec),
            value: call_value(rec),
            evidence: caller_evidence(rec),
        })
    }

    /// Console page loads, AWS services and infrastructure as code are most
    /// discovery traffic; their user agent alone rules them out, except the
    /// agent a user-driven service writes for the calls it makes for its user
    /// (a state machine's, a runbook's), which `evaluate` counts.
    fn may_match_raw(&self, peek: &Peek<'_>, _json: &[u8]) -> bool {
        let ua = peek.user_agent;
        user_driven_agent(ua) || (!service_or_console_agent(ua) && !iac_agent(ua))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::eval;

    fn record(source: &str, name: &str, ua: &str, ip: &str) -> String {
        format!(
            r#"{{"eventSource":"{source}","eventName":"{name}","eventTime":"2026-06-02T10:00:01Z",
            "eventID":"e-2","recipientAccountId":"444455556666","sourceIPAddress":"{ip}","userAgent":"{ua}",
            "userIdentity":{{"type":"AssumedRole","arn":"arn:aws:sts::444455556666:assumed-role/Audit/s1",
            "accountId":"444455556666","principalId":"AROAEXAMPLE:s1"}}}}"#
        )
    }

    #[test]
    fn counts_source_and_name_per_principal_whatever_the_tool() {
        for ua in ["Boto3/1.34.69 Python/3.11.6", "aws-sdk-go-v2/1.30.0", "aws-cli/2.15.30"] {
            match eval(
                &DiscoverySweepByPrincipal,
                &record("secretsmanager.amazonaws.com", "ListSecrets", ua, "198.51.100.20"),
            ) {
                Some(Signal::Distinct { group, value, .. }) => {
                    assert_eq!(
                        group,
                        "444455556666|arn:aws:sts::444455556666:assumed-role/Audit/s1"
                    );
                    assert_eq!(value, "secretsmanager.amazonaws.com:ListSecrets");
                }
                other => panic!("expected Distinct, got {other:?}"),
            }
        }
    }

    #[test]
    fn denied_calls_count_with_their_error() {
        let denied = record("iam.amazonaws.com", "ListRoles", "Boto3/1.34", "198.51.100.20")
            .replace(r#""userIdentity""#, r#""errorCode":"AccessDenied","userIdentity""#);
        match eval(&DiscoverySweepByPrincipal, &denied) {
            Some(Signal::Distinct { evidence, .. }) => assert_eq!(
                evidence.get("error_code").and_then(|v| v.as_str()),
                Some("AccessDenied")
            ),
            other => panic!("expected Distinct, got {other:?}"),
        }
    }

    #[test]
    fn console_services_and_unlisted_calls_are_ignored() {
        let console = record("ec2.amazonaws.com", "DescribeVpcs", "console.amazonaws.com", "198.51.100.20");
        assert_eq!(eval(&DiscoverySweepByPrincipal, &console), None);
        let svc = record("ec2.amazonaws.com", "DescribeVpcs", "Boto3/1.34", "cloudformation.amazonaws.com");
        assert_eq!(eval(&DiscoverySweepByPrincipal, &svc), None);
        let unlisted = record("ec2.amazonaws.com", "DescribeVolumes", "Boto3/1.34", "198.51.100.20");
        assert_eq!(eval(&DiscoverySweepByPrincipal, &unlisted), None);
        let wrong_source = record("ssm.amazonaws.com", "ListBuckets", "Boto3/1.34", "198.51.100.20");
        assert_eq!(eval(&DiscoverySweepByPrincipal, &wrong_source), None);
    }

    /// Newer console pages call with the browser's agent; the session's
    /// credentials still say it is the console.
    #[test]
    fn console_sessions_with_a_browser_agent_are_ignored() {
        let browser = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36";
        let page = record("ec2.amazonaws.com", "DescribeVpcs", browser, "198.51.100.20");
        assert!(eval(&DiscoverySweepByPrincipal, &page).is_some(), "a browser agent alone is not the console");
        let console = page.replace(r#""userIdentity""#, r#""sessionCredentialFromConsole":"true","userIdentity""#);
        assert_eq!(eval(&DiscoverySweepByPrincipal, &console), None);
        // The CLI on a console session's credentials (CloudShell, or keys copied
        // out of it) is not the console.
        let cloudshell = console.replace(browser, "aws-cli/2.17.0 md/command#ec2.describe-vpcs exec-env/CloudShell");
        assert!(eval(&DiscoverySweepByPrincipal, &cloudshell).is_some());
    }

    #[test]
    fn infrastructure_as_code_is_ignored() {
        use crate::detections::common::testing::raw;
        for ua in [
            "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.72.1",
            "pulumi/3.0 aws-sdk-go/1.50",
        ] {
            let plan = record("ec2.amazonaws.com", "DescribeVpcs", ua, "198.51.100.20");
            assert_eq!(eval(&DiscoverySweepByPrincipal, &plan), None, "{ua}");
            assert_eq!(raw(&DiscoverySweepByPrincipal, &plan), Some(false), "{ua}");
        }
    }

    #[test]
    fn the_raw_check_drops_console_and_service_agents() {
        use crate::detections::common::testing::raw;
        let det = &DiscoverySweepByPrincipal;
        for ua in ["console.amazonaws.com", "AWS Internal", "cloudformation.amazonaws.com"] {
            assert_eq!(raw(det, &record("ec2.amazonaws.com", "DescribeVpcs", ua, "198.51.100.20")), Some(false), "{ua}");
        }
        assert_eq!(raw(det, &record("ec2.amazonaws.com", "DescribeVpcs", "Boto3/1.34", "198.51.100.20")), Some(true));
    }
}
