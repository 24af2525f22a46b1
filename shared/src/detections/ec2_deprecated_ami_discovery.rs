//! `DescribeImages` asking for deprecated AMIs too (`includeDeprecated: true`).
//!
//! Decisions: only successful calls (a denied one discovers nothing), and not by AWS
//! services. The flag may arrive as a JSON boolean or as text.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::flag_value;
use crate::event::Record;

pub struct Ec2DeprecatedAmiDiscovery;

pub static META: Meta = Meta {
    id: "ec2-deprecated-ami-discovery",
    title: "AWS EC2 Deprecated AMI Discovery",
    description: "Someone listed machine images including deprecated ones. Deprecated AMIs are \
                  hidden by default because they are outdated and often unpatched; asking for \
                  them is how an intruder looks for old, vulnerable or forgotten images (their \
                  own or public ones) to launch or to mine for secrets.",
    severity: Severity::Low,
    attack: &["T1580"],
    origins: &["Elastic discovery_ec2_deprecated_ami_discovery.toml"],
    group: "discovery",
    false_positives: &[
        "Image lifecycle or clean-up tooling that reviews deprecated AMIs.",
        "An engineer troubleshooting an instance built from a retired image.",
    ],
    next_steps: "Confirm the caller had a reason to look at deprecated images. Check whether an \
                 instance was launched from one afterwards and what else the principal read.",
    evidence: "filters owners user_agent",
    triggers: &[Trigger::read_only("ec2.amazonaws.com", &["DescribeImages"])],
    window: None,
};

impl Detection for Ec2DeprecatedAmiDiscovery {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if rec.event_source() != "ec2.amazonaws.com"
            || rec.event_name() != "DescribeImages"
            || !rec.succeeded()
            || rec.identity_type() == Some("AWSService")
        {
            return None;
        }
        if rec.request_param("includeDeprecated").and_then(flag_value) != Some(true) {
            return None;
        }
        let evidence = Evidence::new()
            .with_json("owners", rec.request_param("ownersSet"))
            .with_json("filters", rec.request_param("filterSet"))
            .with_opt("user_agent", rec.user_agent());
        fire(evidence)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::fires;

    fn record(params: &str, extra: &str) -> String {
        format!(
            r#"{{"eventSource":"ec2.amazonaws.com","eventName":"DescribeImages","eventTime":"2026-06-02T10:00:01Z",
            "recipientAccountId":"111122223333","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.15.30",
            "userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ops","userName":"ops"}},
            {extra}"requestParameters":{params}}}"#
        )
    }

    #[test]
    fn fires_when_deprecated_images_are_requested() {
        assert!(fires(
            &Ec2DeprecatedAmiDiscovery,
            &record(r#"{"includeDeprecated":true,"ownersSet":{"items":[{"owner":"self"}]}}"#, "")
        ));
        assert!(fires(
            &Ec2DeprecatedAmiDiscovery,
            &record(r#"{"includeDeprecated":"true"}"#, "")
        ));
    }

    #[test]
    fn ordinary_listing_does_not_fire() {
        assert!(!fires(&Ec2DeprecatedAmiDiscovery, &record(r#"{"includeDeprecated":false}"#, "")));
        assert!(!fires(&Ec2DeprecatedAmiDiscovery, &record(r#"{"imagesSet":{}}"#, "")));
        assert!(!fires(&Ec2DeprecatedAmiDiscovery, &record("null", "")));
        assert!(!fires(&Ec2DeprecatedAmiDiscovery, &record(r#"{"includeDeprecated":1}"#, "")));
    }

    #[test]
    fn failures_services_and_other_events_do_not_fire() {
        let denied = record(
            r#"{"includeDeprecated":true}"#,
            r#""errorCode":"Client.UnauthorizedOperation","#,
        );
        assert!(!fires(&Ec2DeprecatedAmiDiscovery, &denied));
        let svc = record(r#"{"includeDeprecated":true}"#, "")
            .replace(r#""type":"IAMUser""#, r#""type":"AWSService""#);
        assert!(!fires(&Ec2DeprecatedAmiDiscovery, &svc));
        let other = record(r#"{"includeDeprecated":true}"#, "").replace("DescribeImages", "DescribeSnapshots");
        assert!(!fires(&Ec2DeprecatedAmiDiscovery, &other));
    }
}
