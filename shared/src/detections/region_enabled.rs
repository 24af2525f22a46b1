//! An opt-in AWS Region enabled for the account (`EnableRegion`), successfully.
//!
//! Decision: Sigma takes every `EnableRegion` call; a refused one enables nothing, so
//! only successes fire.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::succeeded_call;
use crate::event::Record;

pub struct RegionEnabled;

const SOURCE: &str = "account.amazonaws.com";
const NAMES: &[&str] = &["EnableRegion"];

pub static META: Meta = Meta {
    id: "region-enabled",
    title: "AWS Opt-in Region Enabled",
    description: "An opt-in Region was enabled for the account. Regions nobody uses are rarely \
                  watched, so an intruder can enable one to run instances (often for crypto \
                  mining) or hide resources where monitoring, trails and security services were \
                  never set up.",
    severity: Severity::Medium,
    attack: &["T1535"],
    origins: &["SigmaHQ rules/cloud/aws/cloudtrail/aws_cloudtrail_region_enabled.yml"],
    group: "hijacking",
    false_positives: &["A planned expansion into a new Region by the platform team."],
    next_steps: "Confirm with the platform team that the Region is wanted. If not, disable it \
                 again, check that no resources were created there, and review the caller's \
                 other activity.",
    evidence: "enabled_region target_account",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

impl Detection for RegionEnabled {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, SOURCE, NAMES) {
            return None;
        }
        fire(
            Evidence::new()
                .with_opt(
                    "enabled_region",
                    rec.request_param_str("RegionName")
                        .or_else(|| rec.request_param_str("regionName")),
                )
                .with_opt(
                    "target_account",
                    rec.request_param_str("AccountId")
                        .or_else(|| rec.request_param_str("accountId")),
                ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::calls::{call, failed};
    use crate::detections::common::testing::{eval, fires};
    use std::sync::LazyLock;

    static ENABLE: LazyLock<String> =
        LazyLock::new(|| call("account.amazonaws.com", "EnableRegion", r#"{"RegionName":"af-south-1"}"#));

    #[test]
    fn fires_with_the_region() {
        match eval(&RegionEnabled, &ENABLE) {
            Some(Signal::Fire(e)) => assert_eq!(
                e.get("enabled_region").and_then(|v| v.as_str()),
                Some("af-south-1")
            ),
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(fires(&RegionEnabled, &ENABLE.replace(r#"{"RegionName":"af-south-1"}"#, "null")));
    }

    #[test]
    fn ignores_failures_and_other_calls() {
        let denied = failed(&ENABLE, "AccessDeniedException");
        assert!(!fires(&RegionEnabled, &denied));
        assert!(!fires(&RegionEnabled, &ENABLE.replace("EnableRegion", "DisableRegion")));
        assert!(!fires(&RegionEnabled, &ENABLE.replace("EnableRegion", "GetRegionOptStatus")));
    }
}
