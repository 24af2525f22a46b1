//! A GuardDuty threat list deleted (`DeleteThreatIntelSet`, or the newer entity list
//! that takes domains too: `DeleteThreatEntitySet`) or switched off
//! (`UpdateThreatIntelSet` or `UpdateThreatEntitySet` with `activate` false: GuardDuty
//! stops using it, as if it were deleted), successfully.
//!
//! Decision: GuardDuty's `DeleteIPSet` (a trusted IP list) is not part of this: losing
//! a trusted list makes GuardDuty report more, not less.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{flag_value, params_evidence, succeeded_call};
use crate::event::Record;

pub struct GuardDutyThreatIntelSetDeleted;

const SOURCE: &str = "guardduty.amazonaws.com";
const NAMES: &[&str] = &[
    "DeleteThreatEntitySet",
    "DeleteThreatIntelSet",
    "UpdateThreatEntitySet",
    "UpdateThreatIntelSet",
];

pub static META: Meta = Meta {
    id: "guardduty-threat-intel-set-deleted",
    title: "AWS GuardDuty Threat Intelligence Set Deleted",
    description: "A threat list was removed from a GuardDuty detector. GuardDuty raises \
                  findings for traffic to and from the addresses and domains on such lists; \
                  deleting the list that names an attacker's infrastructure silences those \
                  findings.",
    severity: Severity::Medium,
    attack: &["T1562.001"],
    origins: &["Elastic detection-rules defense_evasion_guardduty_threat_intel_set_deleted.toml"],
    group: "security-services",
    false_positives: &["Retiring, replacing or pausing a threat-intelligence feed."],
    next_steps: "Check which list was removed and whether a replacement is active. If not \
                 planned, restore it and review the caller's activity and the network activity \
                 the list would have flagged.",
    evidence: "detector_id threat_entity_set_id threat_intel_set_id",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

impl Detection for GuardDutyThreatIntelSetDeleted {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, SOURCE, NAMES) {
            return None;
        }
        // An update counts only when it switches the list off: GuardDuty stops
        // using it, as if it were deleted.
        if rec.event_name().starts_with("Update")
            && rec.request_param("activate").and_then(flag_value) != Some(false)
        {
            return None;
        }
        fire(params_evidence(
            rec,
            &[
                ("detector_id", "detectorId"),
                ("threat_intel_set_id", "threatIntelSetId"),
                ("threat_entity_set_id", "threatEntitySetId"),
            ],
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::calls::{call, failed};
    use crate::detections::common::testing::{eval, fires};

    fn delete() -> String {
        call(SOURCE, "DeleteThreatIntelSet", r#"{"detectorId":"d1","threatIntelSetId":"t-1"}"#)
    }

    #[test]
    fn the_entity_list_form_counts() {
        assert!(fires(&GuardDutyThreatIntelSetDeleted, &call(SOURCE, "DeleteThreatEntitySet", r#"{"detectorId":"d1","threatEntitySetId":"t-9"}"#)));
        let off = call(SOURCE, "UpdateThreatEntitySet", r#"{"detectorId":"d1","threatEntitySetId":"t-9","activate":false}"#);
        assert!(fires(&GuardDutyThreatIntelSetDeleted, &off));
        let on = call(SOURCE, "UpdateThreatEntitySet", r#"{"detectorId":"d1","threatEntitySetId":"t-9","activate":true}"#);
        assert!(!fires(&GuardDutyThreatIntelSetDeleted, &on));
    }

    #[test]
    fn a_list_switched_off_counts() {
        for off in ["false", r#""false""#, r#""FALSE""#] {
            let p = format!(r#"{{"detectorId":"d1","threatIntelSetId":"t-1","activate":{off}}}"#);
            assert!(fires(&GuardDutyThreatIntelSetDeleted, &call(SOURCE, "UpdateThreatIntelSet", &p)), "{off}");
        }
        for on in [r#""activate":true,"#, r#""location":"https://s3.amazonaws.com/b/list.txt","#, ""] {
            let p = format!(r#"{{{on}"detectorId":"d1","threatIntelSetId":"t-1"}}"#);
            assert!(!fires(&GuardDutyThreatIntelSetDeleted, &call(SOURCE, "UpdateThreatIntelSet", &p)), "{on}");
        }
    }

    #[test]
    fn fires_with_the_list() {
        match eval(&GuardDutyThreatIntelSetDeleted, &delete()) {
            Some(Signal::Fire(e)) => assert_eq!(
                e.get("threat_intel_set_id").and_then(|v| v.as_str()),
                Some("t-1")
            ),
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(fires(&GuardDutyThreatIntelSetDeleted, &call(SOURCE, "DeleteThreatIntelSet", "null")));
    }

    #[test]
    fn ignores_failures_and_trusted_ip_lists() {
        assert!(!fires(
            &GuardDutyThreatIntelSetDeleted,
            &failed(&delete(), "AccessDeniedException")
        ));
        assert!(!fires(
            &GuardDutyThreatIntelSetDeleted,
            &call(SOURCE, "DeleteIPSet", r#"{"detectorId":"d1","ipSetId":"s-1"}"#)
        ));
    }
}
