//! An IAM user denied five or more different discovery calls from one address within
//! an hour: someone probing what a key is allowed to read.
//!
//! Decisions: the upstream rule counts any denied call (`AccessDenied`) of an IAM
//! user, five or more per address and user per hour. A read-only rule must list its
//! event names, so we count denials of the shared discovery list, and we count
//! different event names (five denials of one call are a misconfigured job, five
//! denied calls of different kinds are probing). The EC2 (`UnauthorizedOperation`)
//! and JSON-protocol (`AccessDeniedException`) spellings of a denial count too.
//! Calls AWS services make with a user's credentials are left out, as upstream, by
//! their source, a service's name and not an address (`common::source_network`): not
//! by their agent, which the caller writes (an SDK's agent ending in
//! `ec2.amazonaws.com` hid a sweep; from an evasion review). So are console pages (a console session's credentials with a browser's or
//! the console's agent, `common::console_session_caller`): a least-privilege user
//! browsing the console is refused many reads per page. An IPv6 address counts as
//! its `/64` (`common::source_network`): a host may take a new address of its `/64`
//! for every call, which split the window (from a review). A federated session
//! a user's key made (`GetFederationToken`: type `FederatedUser`, its issuer the
//! user) counts as that user, with the user's own calls (from a second evasion
//! review: the same leaked key probed unseen through such a session).

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Repeats, Countable, WindowSpec};
use crate::detections::common::{
    DISCOVERY_TRIGGERS, call_value, console_session_caller, is_access_denied, is_discovery_call,
    source_network,
};
use crate::event::prefilter::{Needle, Peek};
use crate::event::{Record, actor_key};

pub struct IamAccessDeniedDiscovery;

pub static META: Meta = Meta {
    id: "iam-access-denied-discovery",
    title: "AWS IAM AccessDenied Discovery Events",
    description: "An IAM user was refused five or more different reconnaissance calls from the \
                  same address within an hour. A stolen access key is usually tried against \
                  many services to learn what it may do; the trail of denials is what that \
                  leaves behind.",
    severity: Severity::Low,
    attack: &["T1580", "T1087.004"],
    origins: &["Splunk ESCU aws_iam_accessdenied_discovery_events.yml"],
    group: "discovery",
    false_positives: &[
        "A tool or script run with a user whose permissions were recently narrowed.",
        "An engineer exploring the console's command line with a least-privilege user.",
    ],
    next_steps: "Ask the user whether they ran the calls. Check where the access key was used \
                 from before and whether any call of it succeeded; deactivate the key if the \
                 activity is not theirs.",
    evidence: "error_code user_agent",
    triggers: DISCOVERY_TRIGGERS,
    window: Some(WindowSpec::Distinct {
        window_secs: 3600,
        min_distinct: 5,
        repeats: Repeats::Always,
        values: Countable::Open,
    }),
};

impl Detection for IamAccessDeniedDiscovery {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !is_discovery_call(rec)
            || !rec.error_code().is_some_and(is_access_denied)
            || console_session_caller(rec)
        {
            return None;
        }
        let user = match rec.identity_type() {
            Some("IAMUser") => actor_key(rec),
            Some("FederatedUser") => rec.session_issuer_arn().filter(|a| a.contains(":user/"))?,
            _ => return None,
        };
        let ip = source_network(rec)?;
        let evidence = Evidence::new()
            .with_opt("error_code", rec.error_code())
            .with_opt("user_agent", rec.user_agent());
        Some(Signal::Distinct {
            group: format!(
                "{}|{}|{ip}",
                rec.account_id().unwrap_or("unknown"),
                user
            ),
            value: call_value(rec),
            evidence,
        })
    }

    /// Only failed calls count, and almost every discovery call succeeds.
    fn may_match_raw(&self, _peek: &Peek<'_>, json: &[u8]) -> bool {
        static ERROR_CODE: Needle = Needle::new("\"errorCode\"");
        ERROR_CODE.is_in(json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::eval;

    fn record(name: &str, code: &str, kind: &str, ua: &str) -> String {
        format!(
            r#"{{"eventSource":"iam.amazonaws.com","eventName":"{name}","eventTime":"2026-06-02T10:00:01Z",
            "recipientAccountId":"111122223333","sourceIPAddress":"203.0.113.99","userAgent":"{ua}",
            "errorCode":"{code}","errorMessage":"User is not authorized",
            "userIdentity":{{"type":"{kind}","arn":"arn:aws:iam::111122223333:user/leaked","userName":"leaked"}}}}"#
        )
    }

    #[test]
    fn a_denied_discovery_call_of_a_user_counts_its_name() {
        for code in ["AccessDenied", "AccessDeniedException", "Client.UnauthorizedOperation"] {
            match eval(
                &IamAccessDeniedDiscovery,
                &record("ListRoles", code, "IAMUser", "Boto3/1.34"),
            ) {
                Some(Signal::Distinct { group, value, .. }) => {
                    assert_eq!(
                        group,
                        "111122223333|arn:aws:iam::111122223333:user/leaked|203.0.113.99"
                    );
                    assert_eq!(value, "iam.amazonaws.com:ListRoles");
                }
                other => panic!("expected Distinct, got {other:?}"),
            }
        }
    }

    /// From a review: rotating addresses within one IPv6 /64 does not split it.
    #[test]
    fn an_ipv6_caller_counts_as_its_64() {
        let group = |ip: &str| match eval(&IamAccessDeniedDiscovery, &record("ListRoles", "AccessDenied", "IAMUser", "Boto3/1.34").replace("203.0.113.99", ip)) {
            Some(Signal::Distinct { group, .. }) => group,
            other => panic!("expected Distinct, got {other:?}"),
        };
        assert_eq!(group("2001:db8:1:2::10"), group("2001:db8:1:2::15"));
        assert!(group("2001:db8:1:2::10").ends_with("|2001:db8:1:2::/64"));
        assert_ne!(group("2001:db8:1:2::10"), group("2001:db8:1:3::10"));
    }

    /// From a second evasion review: a federation token of the user's key counts
    /// as the user; one a role issued is no user's.
    #[test]
    fn a_federated_session_of_a_user_counts_as_the_user() {
        let federated = |issuer: &str| {
            record("ListRoles", "AccessDenied", "FederatedUser", "Boto3/1.34").replace(
                r#""arn":"arn:aws:iam::111122223333:user/leaked","userName":"leaked""#,
                &format!(
                    r#""arn":"arn:aws:sts::111122223333:federated-user/x","sessionContext":{{"sessionIssuer":{{"type":"IAMUser","arn":"{issuer}"}}}}"#
                ),
            )
        };
        match eval(&IamAccessDeniedDiscovery, &federated("arn:aws:iam::111122223333:user/leaked")) {
            Some(Signal::Distinct { group, .. }) => {
                assert_eq!(group, "111122223333|arn:aws:iam::111122223333:user/leaked|203.0.113.99")
            }
            other => panic!("expected Distinct, got {other:?}"),
        }
        assert_eq!(eval(&IamAccessDeniedDiscovery, &federated("arn:aws:iam::111122223333:role/r")), None);
    }

    #[test]
    fn other_errors_identities_and_services_are_ignored() {
        let throttled = record("ListRoles", "Throttling", "IAMUser", "Boto3/1.34");
        assert_eq!(eval(&IamAccessDeniedDiscovery, &throttled), None);
        let role = record("ListRoles", "AccessDenied", "AssumedRole", "Boto3/1.34");
        assert_eq!(eval(&IamAccessDeniedDiscovery, &role), None);
        let svc = record("ListRoles", "AccessDenied", "IAMUser", "cloudformation.amazonaws.com")
            .replace("203.0.113.99", "cloudformation.amazonaws.com");
        assert_eq!(eval(&IamAccessDeniedDiscovery, &svc), None);
        // An SDK's agent that only ends like a service's still counts.
        let forged = record("ListRoles", "AccessDenied", "IAMUser", "Boto3/1.35.36 Botocore/1.35.36 ec2.amazonaws.com");
        assert!(eval(&IamAccessDeniedDiscovery, &forged).is_some());
        // A console page refused to a least-privilege user; the CLI on the same
        // kind of session (CloudShell) still counts.
        let page = record("ListRoles", "AccessDenied", "IAMUser", "Mozilla/5.0 (X11; Linux x86_64) Firefox/131.0")
            .replace(r#""userIdentity""#, r#""sessionCredentialFromConsole":"true","userIdentity""#);
        assert!(page.contains("sessionCredentialFromConsole"));
        assert_eq!(eval(&IamAccessDeniedDiscovery, &page), None);
        let cloudshell = page.replace("Mozilla/5.0 (X11; Linux x86_64) Firefox/131.0", "aws-cli/2.17.0 exec-env/CloudShell");
        assert!(eval(&IamAccessDeniedDiscovery, &cloudshell).is_some());
        let write = record("CreateRole", "AccessDenied", "IAMUser", "Boto3/1.34");
        assert_eq!(eval(&IamAccessDeniedDiscovery, &write), None);
        let ok = record("ListRoles", "x", "IAMUser", "Boto3/1.34")
            .replace(r#""errorCode":"x","errorMessage":"User is not authorized","#, "");
        assert_eq!(eval(&IamAccessDeniedDiscovery, &ok), None);
        // Without an error code in its bytes, a record is not even parsed.
        let raw = crate::detections::common::testing::raw;
        assert_eq!(raw(&IamAccessDeniedDiscovery, &ok), Some(false));
        assert_eq!(raw(&IamAccessDeniedDiscovery, &throttled), Some(true));
    }
}
