//! A discovery call (`DISCOVERY_TRIGGERS`) or a secret read (`SECRET_READS`:
//! Secrets Manager values, Parameter Store parameters) whose user agent names an
//! offensive security tool or a penetration-testing distribution.
//!
//! Decisions: our list, matched as whole words, case-insensitively: `pacu`,
//! `cloudfox`, `scoutsuite` / `scout suite`, `weirdaal` (AWS attack and enumeration
//! frameworks), and `kali`, `parrot`, `pentoo` (penetration-testing Linux
//! distributions, which appear in SDK user agents through the kernel release).
//! Compliance scanners widely run in production (Prowler, CSPM products) and test
//! harnesses (Stratus Red Team, whose detonations are exercised by other detections)
//! are not in it; nor is TruffleHog, which Elastic lists: its key checks
//! (`GetCallerIdentity`) are in the public conformance background as ordinary calls.
//! Only the discovery calls and the secret reads are watched, because a read-only
//! rule must list its names: these tools start with the first, and an intruder
//! who knows what to look for goes straight to the second, below the volume the
//! retrieval windows count. Any outcome.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{DISCOVERY_TRIGGER_LIST, is_discovery_call, is_event};
use crate::event::Record;
use crate::event::prefilter::{Needle, Peek};

pub struct OffensiveToolUserAgent;

const SECRETS_MANAGER: &str = "secretsmanager.amazonaws.com";
const SECRET_VALUES: &[&str] = &["GetSecretValue", "BatchGetSecretValue"];
const SSM: &str = "ssm.amazonaws.com";
const PARAMETER_READS: &[&str] = &["GetParameter", "GetParameters", "GetParametersByPath"];

/// The secret reads watched beside the discovery calls.
const SECRET_READS: [Trigger; 2] = [
    Trigger::read_only(SECRETS_MANAGER, SECRET_VALUES),
    Trigger::read_only(SSM, PARAMETER_READS),
];

static TRIGGERS: [Trigger; DISCOVERY_TRIGGER_LIST.len() + SECRET_READS.len()] =
    Trigger::joined(DISCOVERY_TRIGGER_LIST, SECRET_READS);

/// Lower-case words that name the tool or distribution.
static TOOL_WORDS: [Needle; 8] = [
    Needle::new("pacu"),
    Needle::new("cloudfox"),
    Needle::new("scoutsuite"),
    Needle::new("scout suite"),
    Needle::new("weirdaal"),
    Needle::new("kali"),
    Needle::new("parrot"),
    Needle::new("pentoo"),
];

pub static META: Meta = Meta {
    id: "offensive-tool-user-agent",
    title: "AWS Suspicious User Agent Fingerprint",
    description: "A reconnaissance call or a secret read came from a tool built for attacking AWS accounts (Pacu, \
                  CloudFox, ScoutSuite, WeirdAAL) or from a penetration-testing system (Kali, \
                  Parrot, Pentoo). Outside an agreed test, that is an intruder's toolbox at \
                  work with the caller's credentials.",
    severity: Severity::Medium,
    attack: &["T1580", "T1087.004", "T1078.004"],
    origins: &["Elastic rule \"AWS Suspicious User Agent Fingerprint\" (our own list of tools)"],
    group: "discovery",
    false_positives: &[
        "An authorised penetration test or red-team exercise.",
        "A security engineer running ScoutSuite or CloudFox for an assessment.",
    ],
    next_steps: "Check whether a security assessment is scheduled and who runs it. If not, treat \
                 the credentials as stolen: disable the access key or revoke the sessions, and \
                 review everything the principal did from that address.",
    evidence: "error_code source_ip tool user_agent",
    triggers: &TRIGGERS,
    window: None,
};

/// The tool word `ua` holds, if any (remembered per agent by
/// `detections::common::agent`).
fn tool_word(ua: &str) -> Option<&'static str> {
    super::common::agent::facts(ua).tool
}

/// The first tool word found in `ua` as a whole word (letters around it do not
/// count as a match; digits and punctuation do, as in `6.5.0-kali3-amd64`).
pub(super) fn find_tool_word(ua: &str) -> Option<&'static str> {
    let lower = ua.to_ascii_lowercase().into_bytes();
    let alpha = |at: Option<&u8>| at.is_some_and(u8::is_ascii_alphabetic);
    TOOL_WORDS.iter().find_map(|w| {
        let len = w.text().len();
        w.finder()
            .find_iter(&lower)
            .any(|i| !alpha(i.checked_sub(1).and_then(|b| lower.get(b))) && !alpha(lower.get(i + len)))
            .then_some(w.text())
    })
}

impl Detection for OffensiveToolUserAgent {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        let secret_read = is_event(rec, SECRETS_MANAGER, SECRET_VALUES) || is_event(rec, SSM, PARAMETER_READS);
        if !(is_discovery_call(rec) || secret_read) {
            return None;
        }
        let ua = rec.user_agent()?;
        let tool = tool_word(ua)?;
        let evidence = Evidence::new()
            .with("tool", tool)
            .with("user_agent", ua)
            .with_opt("source_ip", rec.source_ip())
            .with_opt("error_code", rec.error_code());
        fire(evidence)
    }

    fn may_match_raw(&self, peek: &Peek<'_>, _json: &[u8]) -> bool {
        peek.user_agent.is_some_and(|ua| tool_word(ua).is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::{eval, fires};

    fn record(ua: &str) -> String {
        format!(
            r#"{{"eventSource":"sts.amazonaws.com","eventName":"GetCallerIdentity","eventTime":"2026-06-02T10:00:01Z",
            "recipientAccountId":"111122223333","sourceIPAddress":"203.0.113.66","userAgent":"{ua}",
            "userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/dev","userName":"dev"}},
            "requestParameters":null,"responseElements":null}}"#
        )
    }

    #[test]
    fn tool_words_match_as_words() {
        assert_eq!(tool_word("Boto3/1.34.69 Python/3.11.8 Linux/6.5.0-kali3-amd64 Botocore/1.34.69"), Some("kali"));
        assert_eq!(tool_word("aws-cli/2.15.30 Python/3.11.8 Linux/6.1.0-1parrot1-amd64"), Some("parrot"));
        assert_eq!(tool_word("Pacu/1.5.2 Boto3/1.34"), Some("pacu"));
        assert_eq!(tool_word("Scout Suite/5.14.0"), Some("scout suite"));
        assert_eq!(tool_word("aws-sdk-go-v2/1.30.3 cloudfox"), Some("cloudfox"));
        assert_eq!(tool_word("Boto3/1.34 Python/3.11 Linux/6.5.0-kalibrate"), None);
        assert_eq!(tool_word("parrots-app/1.0"), None);
        assert_eq!(tool_word("aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0"), None);
        assert_eq!(tool_word(""), None);
        // The list's order decides, not the place in the agent.
        assert_eq!(tool_word("Linux/6.5.0-kali3 Pacu/1.5"), Some("pacu"));
        assert_eq!(tool_word("x PACU"), Some("pacu"));
        assert_eq!(tool_word("é-kali"), Some("kali"));
        assert_eq!(tool_word("kal"), None);
    }

    #[test]
    fn fires_on_a_discovery_call_from_a_tool() {
        assert!(fires(&OffensiveToolUserAgent, &record("Boto3/1.34.69 Python/3.11.8 Linux/6.5.0-kali3-amd64")));
        let denied = record("Pacu/1.5.2").replace(
            r#""requestParameters""#,
            r#""errorCode":"AccessDenied","requestParameters""#,
        );
        assert!(fires(&OffensiveToolUserAgent, &denied));
    }

    #[test]
    fn ordinary_agents_missing_agents_and_other_calls_do_not_fire() {
        assert!(!fires(&OffensiveToolUserAgent, &record("aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0")));
        assert!(!fires(&OffensiveToolUserAgent, &record("stratus-red-team_5c59eb79")));
        let no_ua = record("x").replace(r#""userAgent":"x","#, "");
        assert_eq!(eval(&OffensiveToolUserAgent, &no_ua), None);
        let other = record("Pacu/1.5.2").replace("GetCallerIdentity", "GetSessionToken");
        assert_eq!(eval(&OffensiveToolUserAgent, &other), None);
    }

    /// Secret values and parameters read by a tool count; other calls of those
    /// services do not.
    #[test]
    fn secret_reads_from_a_tool_fire() {
        let kali = "aws-cli/2.15.30 Python/3.11.8 Linux/6.6.9-amd64 exe/x86_64.kali.2024 prompt/off";
        let read = |source: &str, name: &str| {
            record("Boto3/1.34 Python/3.11 Linux/6.6.9-kali1-amd64")
                .replace("sts.amazonaws.com", source)
                .replace("GetCallerIdentity", name)
        };
        for (source, name) in [
            (SECRETS_MANAGER, "GetSecretValue"),
            (SECRETS_MANAGER, "BatchGetSecretValue"),
            (SSM, "GetParameter"),
            (SSM, "GetParameters"),
            (SSM, "GetParametersByPath"),
        ] {
            assert!(fires(&OffensiveToolUserAgent, &read(source, name)), "{name}");
            assert!(fires(&OffensiveToolUserAgent, &read(source, name).replace("Boto3/1.34 Python/3.11 Linux/6.6.9-kali1-amd64", kali)), "{name}");
        }
        assert!(!fires(&OffensiveToolUserAgent, &read(SECRETS_MANAGER, "PutSecretValue")));
        assert!(!fires(&OffensiveToolUserAgent, &read(SSM, "GetParameterHistory")));
        let ordinary = read(SECRETS_MANAGER, "GetSecretValue").replace("Linux/6.6.9-kali1-amd64", "Linux/6.1.0");
        assert!(!fires(&OffensiveToolUserAgent, &ordinary));
    }

    #[test]
    fn the_raw_prefilter_agrees() {
        let peek = |ua| Peek {
            event_source: "sts.amazonaws.com",
            event_name: "GetCallerIdentity",
            user_agent: ua,
            root: false,
        };
        assert!(OffensiveToolUserAgent.may_match_raw(&peek(Some("Pacu/1.5.2")), b""));
        assert!(!OffensiveToolUserAgent.may_match_raw(&peek(Some("aws-cli/2.15.30")), b""));
        assert!(!OffensiveToolUserAgent.may_match_raw(&peek(None), b""));
    }
}
