//! An IAM Roles Anywhere trust anchor created or re-pointed (`CreateTrustAnchor`,
//! `UpdateTrustAnchor`, successful) whose source is an external certificate bundle
//! (`source.sourceType` `CERTIFICATE_BUNDLE`), or any other source than an AWS
//! Private CA (`SELF_SIGNED_REPOSITORY`, types to come; from a third evasion
//! review). A trust anchor backed by an AWS Private CA (`AWS_ACM_PCA`, in any
//! letter case) in the account is left out: its certificates are issued inside
//! AWS, under CloudTrail. An update without a source does not change who is trusted and
//! is left out too. A disabled anchor switched back on (`EnableTrustAnchor`, whose
//! answer names its source) counts the same, from an evasion review: an anchor the
//! responders disabled trusts its CA again. So does a certificate revocation list
//! switched off or deleted (`DisableCrl`, `DeleteCrl`, from a review): the
//! certificates it revoked are good again under the anchor they chain to. A list
//! replaced (`UpdateCrl` with new data) is not watched: that is how revocations
//! are added, and telling an emptied or older list from a newer one needs the
//! list's contents (a stated limit).

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{change_evidence, is_event};
use crate::event::Record;

const ROLES_ANYWHERE: &str = "rolesanywhere.amazonaws.com";

pub struct RolesAnywhereTrustAnchorCreated;

pub static META: Meta = Meta {
    id: "rolesanywhere-trust-anchor-created",
    title: "AWS IAM Roles Anywhere External CA Trusted or Revocation List Removed",
    description: "A Roles Anywhere trust anchor now trusts a certificate authority \
                  supplied as a raw certificate, or a certificate revocation list was \
                  switched off or deleted. Whoever holds that CA's key, or a revoked \
                  certificate, can assume every role that trusts Roles Anywhere, from \
                  anywhere, without AWS credentials.",
    severity: Severity::Medium,
    attack: &["T1098", "T1556"],
    origins: &[
        "Elastic detection-rules: AWS IAM Roles Anywhere Trust Anchor Created with \
         External CA",
        "trailwatch: based on Stratus Red Team \
         aws.persistence.rolesanywhere-create-trust-anchor",
    ],
    group: "iam-persistence",
    false_positives: &[
        "Teams onboarding on-premises workloads with their own corporate CA.",
    ],
    next_steps: "Identify the CA certificate (subject, issuer) with its owners. If \
                 unknown, disable or delete the trust anchor, delete profiles created \
                 with it, and review CreateSession calls from Roles Anywhere since.",
    evidence: "api caller caller_type crlId enabled name revocation source_ip source_type \
        trustAnchorId trust_anchor_arn user_agent",
    triggers: &[Trigger::write(ROLES_ANYWHERE, &[
        "CreateTrustAnchor",
        "DeleteCrl",
        "DisableCrl",
        "EnableTrustAnchor",
        "UpdateTrustAnchor",
    ])],
    window: None,
};

impl Detection for RolesAnywhereTrustAnchorCreated {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if is_event(rec, ROLES_ANYWHERE, &["DisableCrl", "DeleteCrl"]) {
            return rec
                .succeeded()
                .then(|| Signal::Fire(change_evidence(rec, &["crlId"]).with("revocation", "off")));
        }
        if !is_event(rec, ROLES_ANYWHERE, &["CreateTrustAnchor", "EnableTrustAnchor", "UpdateTrustAnchor"])
            || !rec.succeeded()
        {
            return None;
        }
        let source = match rec.event_name() {
            // An answer that does not say which source: reported as unknown (an
            // anchor switched back on is rare, and may trust anyone's CA).
            "EnableTrustAnchor" => rec
                .response_element("trustAnchor")
                .and_then(|t| t.get("source"))
                .map_or(Some("unknown"), |s| s.get("sourceType").and_then(|t| t.as_str())),
            _ => rec.request_param("source")?.get("sourceType")?.as_str(),
        };
        // Every source but the account's own private CA: the API names others
        // (`SELF_SIGNED_REPOSITORY`), and an allow-list let them pass (from a
        // third evasion review).
        let source_type = source?.trim();
        if source_type.eq_ignore_ascii_case("AWS_ACM_PCA") {
            return None;
        }
        let anchor_arn = rec
            .response_element("trustAnchor")
            .and_then(|t| t.get("trustAnchorArn"))
            .and_then(|a| a.as_str());
        // The certificate itself is left out: long, and readable with GetTrustAnchor.
        fire(
            change_evidence(rec, &["name", "trustAnchorId", "enabled"])
                .with("source_type", source_type)
                .with_opt("trust_anchor_arn", anchor_arn),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::iam_testing::*;
    use crate::detections::common::testing::fires;

    fn anchor(event: &str, identity: &str, source_type: &str, extra: &str) -> String {
        let params = format!(
            r#"{{"name":"onprem","enabled":true,"source":{{"sourceType":"{source_type}","sourceData":{{"x509CertificateData":"-----BEGIN CERTIFICATE-----"}}}}}}"#
        );
        record(ROLES_ANYWHERE, event, identity, &params, extra)
    }

    #[test]
    fn fires_on_an_external_ca() {
        for who in [USER, ROLE, ROOT, FEDERATED, CFN] {
            assert!(fires(&RolesAnywhereTrustAnchorCreated, &anchor("CreateTrustAnchor", who, "CERTIFICATE_BUNDLE", "")), "{who}");
        }
        assert!(fires(&RolesAnywhereTrustAnchorCreated, &anchor("UpdateTrustAnchor", USER, "CERTIFICATE_BUNDLE", "")));
    }

    /// From a review: revoked certificates good again.
    #[test]
    fn a_revocation_list_switched_off_or_deleted_fires() {
        for name in ["DisableCrl", "DeleteCrl"] {
            let off = iam_like(name, r#""requestParameters":{"crlId":"4f3e2d1c-5678-90ab-cdef-EXAMPLE22222"},"responseElements":null"#);
            match crate::detections::common::testing::eval(&RolesAnywhereTrustAnchorCreated, &off) {
                Some(Signal::Fire(e)) => assert_eq!(e.get("crlId").and_then(|v| v.as_str()), Some("4f3e2d1c-5678-90ab-cdef-EXAMPLE22222"), "{name}"),
                other => panic!("expected a finding for {name}, got {other:?}"),
            }
            let denied = off.replace(r#""requestParameters""#, r#""errorCode":"AccessDeniedException","requestParameters""#);
            assert!(!fires(&RolesAnywhereTrustAnchorCreated, &denied), "{name}");
        }
        let on = iam_like("EnableCrl", r#""requestParameters":{"crlId":"4f3e"},"responseElements":null"#);
        assert!(!fires(&RolesAnywhereTrustAnchorCreated, &on));
    }

    /// From an evasion review: an anchor the responders disabled, enabled again.
    #[test]
    fn an_external_anchor_enabled_again_fires() {
        let enable = |source_type: &str| {
            iam_like("EnableTrustAnchor", &format!(
                r#""requestParameters":{{"trustAnchorId":"a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"}},"responseElements":{{"trustAnchor":{{"name":"partner","enabled":true,"source":{{"sourceType":"{source_type}","sourceData":{{"x509CertificateData":"-----BEGIN CERTIFICATE-----"}}}}}}}}"#
            ))
        };
        assert!(fires(&RolesAnywhereTrustAnchorCreated, &enable("CERTIFICATE_BUNDLE")));
        assert!(!fires(&RolesAnywhereTrustAnchorCreated, &enable("AWS_ACM_PCA")));
        // Without the answer, the source is unknown: reported (a review).
        let unanswered = iam_like("EnableTrustAnchor", r#""requestParameters":{"trustAnchorId":"a1"},"responseElements":null"#);
        match crate::detections::common::testing::eval(&RolesAnywhereTrustAnchorCreated, &unanswered) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("source_type").and_then(|v| v.as_str()), Some("unknown")),
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    /// A Roles Anywhere record by a user, with `members` at its end.
    fn iam_like(name: &str, members: &str) -> String {
        format!(
            r#"{{"eventSource":"rolesanywhere.amazonaws.com","eventName":"{name}","awsRegion":"us-east-1",
            "sourceIPAddress":"203.0.113.20","userAgent":"aws-cli/2.15.30",
            "userIdentity":{USER},{members}}}"#
        )
    }

    #[test]
    fn ignores_private_ca_failures_and_updates_without_source() {
        assert!(!fires(&RolesAnywhereTrustAnchorCreated, &anchor("CreateTrustAnchor", USER, "AWS_ACM_PCA", "")));
        assert!(!fires(&RolesAnywhereTrustAnchorCreated, &anchor("CreateTrustAnchor", USER, "aws_acm_pca", "")));
        // Any other source counts (a third evasion review).
        assert!(fires(&RolesAnywhereTrustAnchorCreated, &anchor("CreateTrustAnchor", USER, "SELF_SIGNED_REPOSITORY", "")));
        let denied = anchor("CreateTrustAnchor", USER, "CERTIFICATE_BUNDLE", r#""errorCode":"AccessDeniedException","#);
        assert!(!fires(&RolesAnywhereTrustAnchorCreated, &denied));
        let rename = record(ROLES_ANYWHERE, "UpdateTrustAnchor", USER, r#"{"trustAnchorId":"x","name":"y"}"#, "");
        assert!(!fires(&RolesAnywhereTrustAnchorCreated, &rename));
        assert!(!fires(&RolesAnywhereTrustAnchorCreated, &record(ROLES_ANYWHERE, "CreateTrustAnchor", USER, "null", "")));
        let odd = record(ROLES_ANYWHERE, "CreateTrustAnchor", USER, r#"{"source":{"sourceType":7}}"#, "");
        assert!(!fires(&RolesAnywhereTrustAnchorCreated, &odd));
        let iam_source = anchor("CreateTrustAnchor", USER, "CERTIFICATE_BUNDLE", "").replace(ROLES_ANYWHERE, "iam.amazonaws.com");
        assert!(!fires(&RolesAnywhereTrustAnchorCreated, &iam_source));
    }
}
