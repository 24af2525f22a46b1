//! A federation token issued (`GetFederationToken`, successful) to a caller that had
//! not obtained one in the last 10 days (first-seen term: account and caller). The
//! federated session outlives the deletion of the access key that made it, for up to 36
//! hours.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, WindowSpec};
use crate::detections::common::{change_evidence, first_seen_by_actor, is_event};
use crate::event::Record;

const STS: &str = "sts.amazonaws.com";

pub struct StsFederationTokenFirstSeen;

pub static META: Meta = Meta {
    id: "sts-federation-token-first-seen",
    title: "AWS First Occurrence of STS GetFederationToken Request by User",
    description: "A principal asked STS for a federation token for the first time in \
                  ten days. Attackers holding an IAM user's keys do this to get \
                  sessions that survive the key's deactivation and to open a console \
                  session (with GetSigninToken) that is logged differently.",
    severity: Severity::Medium,
    attack: &["T1550.001", "T1078.004"],
    origins: &[
        "Elastic detection-rules defense_evasion_sts_get_federation_token.toml",
        "trailwatch: based on Stratus Red Team aws.persistence.sts-federation-token",
    ],
    group: "iam-persistence",
    false_positives: &[
        "Identity brokers or custom federation proxies that call GetFederationToken \
         (fire once per caller).",
    ],
    next_steps: "Check whether the caller is a known broker. If not, look at what the \
                 federated user (responseElements.federatedUser) did and at any \
                 GetSigninToken from it; deactivating the caller's key does not end \
                 the session, so attach a deny-all policy to the user as well.",
    evidence: "api caller caller_type durationSeconds federated_user_arn name source_ip \
        user_agent",
    triggers: &[Trigger::write(STS, &["GetFederationToken"])],
    window: Some(WindowSpec::FirstSeen { days: 10 }),
};

impl Detection for StsFederationTokenFirstSeen {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !is_event(rec, STS, &["GetFederationToken"]) || !rec.succeeded() {
            return None;
        }
        let federated = rec
            .response_element("federatedUser")
            .and_then(|f| f.get("arn"))
            .and_then(|a| a.as_str());
        let evidence = change_evidence(rec, &["name", "durationSeconds"]).with_opt("federated_user_arn", federated);
        first_seen_by_actor(rec, None, evidence)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::iam_testing::*;

    const PARAMS: &str = r#"{"name":"ops-temp","policy":"{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}"}"#;

    #[test]
    fn fires_per_caller() {
        let json = record(STS, "GetFederationToken", USER, PARAMS, "");
        assert_eq!(
            first_seen_term(&StsFederationTokenFirstSeen, &json).as_deref(),
            Some("111122223333|arn:aws:iam::111122223333:user/alice")
        );
        assert!(first_seen_term(&StsFederationTokenFirstSeen, &record(STS, "GetFederationToken", ROOT, "null", "")).is_some());
    }

    #[test]
    fn ignores_failures_and_other_calls() {
        let denied = record(STS, "GetFederationToken", ROLE, PARAMS, r#""errorCode":"AccessDenied","#);
        assert_eq!(first_seen_term(&StsFederationTokenFirstSeen, &denied), None);
        assert_eq!(first_seen_term(&StsFederationTokenFirstSeen, &record(STS, "GetSessionToken", USER, "null", "")), None);
        assert_eq!(first_seen_term(&StsFederationTokenFirstSeen, &iam("GetFederationToken", USER, PARAMS)), None);
    }
}
