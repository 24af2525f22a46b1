//! Amazon SES opened up for sending: production access requested (`PutAccountDetails`
//! with `productionAccessEnabled`), or account-wide sending switched back on
//! (`UpdateAccountSendingEnabled` / `PutAccountSendingAttributes` with sending
//! enabled), successfully, by a person or pipeline rather than an AWS service.
//!
//! Decisions: an SES account starts in the sandbox (mail to verified addresses only,
//! 200 a day); spammers who steal keys ask AWS to lift it, or resume sending an
//! owner had paused, and then send from the victim's reputation and bill. A
//! `PutAccountDetails` that leaves out `productionAccessEnabled` counts as a request
//! (we hold no CloudTrail record confirming the flag is always logged); one that
//! sets it false does not. The evidence keeps the mail type, the web site and the
//! contact addresses given to AWS (often the intruder's own) as CloudTrail writes
//! them: the SES API marks the web site and use case sensitive, so they may read
//! `HIDDEN_DUE_TO_SECURITY_REASONS`; the free-text use case is left out.

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_caller, change_evidence, request_flag, succeeded_call};
use crate::event::Record;

pub struct SesSendingUnlocked;

const SOURCE: &str = "ses.amazonaws.com";
const NAMES: &[&str] = &[
    "PutAccountDetails",
    "UpdateAccountSendingEnabled",
    "PutAccountSendingAttributes",
];

pub static META: Meta = Meta {
    id: "ses-sending-unlocked",
    title: "AWS SES Production Access Requested or Sending Re-enabled",
    description: "Someone asked AWS to take the account's SES out of the sandbox, or switched \
                  account-wide sending back on. Spammers and phishers who steal access keys do \
                  this to send mail at scale from the victim's domain, reputation and bill.",
    severity: Severity::Medium,
    attack: &["T1496", "T1586.002"],
    origins: &["trailwatch: based on the AWS Threat Technique Catalog's SES messaging \
             hijacking technique (T1496.A001) and public reports of stolen keys used for \
             SES spam (quota checks, then a production-access request)"],
    group: "hijacking",
    false_positives: &[
        "A team onboarding SES for a new application (once per account and Region).",
        "An owner resuming sending after a planned pause.",
    ],
    next_steps: "Ask the account's owners whether SES is meant to send mail. If not, withdraw \
                 the request or pause sending, revoke the caller's credentials, and check \
                 verified identities, sending statistics and who the contact addresses belong to.",
    evidence: "additionalContactEmailAddresses api caller caller_type mailType \
        productionAccessEnabled source_ip user_agent websiteURL",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

impl Detection for SesSendingUnlocked {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, SOURCE, NAMES) || aws_service_caller(rec) {
            return None;
        }
        // SES v2 is a JSON API whose members are PascalCase (`SendingEnabled`);
        // records are expected lower-camel-cased, as other services' are, but
        // either is read (from a review: no real v2 record was found to settle it).
        let flag = |spellings: [&str; 2]| spellings.into_iter().find_map(|k| request_flag(rec, k));
        let opens = match rec.event_name() {
            "PutAccountDetails" => {
                flag(["productionAccessEnabled", "ProductionAccessEnabled"]) != Some(false)
            }
            // v1 names the flag `enabled`, v2 `sendingEnabled`.
            _ => {
                flag(["enabled", "Enabled"]) == Some(true)
                    || flag(["sendingEnabled", "SendingEnabled"]) == Some(true)
            }
        };
        if !opens {
            return None;
        }
        fire(change_evidence(
            rec,
            &[
                "productionAccessEnabled",
                "mailType",
                "websiteURL",
                "additionalContactEmailAddresses",
            ],
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::iam_testing::{CFN, ROLE, USER, record};
    use crate::detections::common::testing::{eval, fires};

    const REQUEST: &str = r#"{"mailType":"MARKETING","websiteURL":"https://example.net",
        "additionalContactEmailAddresses":["ops@example.net"],"productionAccessEnabled":true}"#;

    #[test]
    fn fires_on_a_production_access_request_with_its_contacts() {
        let Some(Signal::Fire(e)) =
            eval(&SesSendingUnlocked, &record(SOURCE, "PutAccountDetails", USER, REQUEST, ""))
        else {
            panic!("expected a finding");
        };
        assert_eq!(e.get("mailType").and_then(|v| v.as_str()), Some("MARKETING"));
        assert_eq!(
            e.get("additionalContactEmailAddresses").and_then(|v| v.as_array()).map(Vec::len),
            Some(1)
        );
        // The API's own casing: a request that keeps the account in the sandbox
        // is no finding, one that leaves it is.
        for (pascal, fires_on) in [("false", false), ("true", true)] {
            let request = format!(r#"{{"MailType":"MARKETING","ProductionAccessEnabled":{pascal}}}"#);
            let rec = record(SOURCE, "PutAccountDetails", USER, &request, "");
            assert_eq!(fires(&SesSendingUnlocked, &rec), fires_on, "{request}");
        }
        let no_flag = r#"{"mailType":"TRANSACTIONAL","websiteURL":"https://example.net"}"#;
        assert!(fires(&SesSendingUnlocked, &record(SOURCE, "PutAccountDetails", ROLE, no_flag, "")));
    }

    #[test]
    fn fires_when_sending_is_switched_back_on() {
        for (name, params) in [
            ("UpdateAccountSendingEnabled", r#"{"enabled":true}"#),
            ("PutAccountSendingAttributes", r#"{"sendingEnabled":"true"}"#),
            ("PutAccountSendingAttributes", r#"{"SendingEnabled":true}"#),
        ] {
            assert!(fires(&SesSendingUnlocked, &record(SOURCE, name, USER, params, "")), "{name}");
        }
    }

    #[test]
    fn ignores_pauses_declined_requests_services_and_failures() {
        let b = &SesSendingUnlocked;
        assert!(!fires(b, &record(SOURCE, "UpdateAccountSendingEnabled", USER, r#"{"enabled":false}"#, "")));
        assert!(!fires(b, &record(SOURCE, "PutAccountSendingAttributes", USER, "{}", "")));
        assert!(!fires(b, &record(SOURCE, "PutAccountDetails", USER,
            r#"{"mailType":"MARKETING","productionAccessEnabled":false}"#, "")));
        assert!(!fires(b, &record(SOURCE, "PutAccountDetails", CFN, REQUEST, "")));
        assert!(!fires(b, &record(SOURCE, "PutAccountDetails", USER, REQUEST,
            r#""errorCode":"ConflictException","#)));
        assert!(!fires(b, &record(SOURCE, "GetAccount", USER, "null", "")));
    }
}
