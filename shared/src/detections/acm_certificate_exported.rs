//! A certificate's private key exported from AWS Certificate Manager
//! (`ExportCertificate`, successfully).
//!
//! Decisions: ACM hands out a private key only for private-CA certificates and for
//! public certificates issued as exportable; either way the key leaves AWS, and
//! whoever holds it can impersonate the names it covers. Every successful export by
//! a person or a pipeline counts (the passphrase is never logged); exports AWS
//! services make on their own are left out, a stack's or a workflow's (a Step
//! Functions state machine's SDK task, `common::USER_DRIVEN_SERVICES`) count. Failed attempts
//! are not reported: the caller got nothing.
//!
//! The trigger takes read-only events too: a call that returns data and changes
//! nothing may be recorded `readOnly: true`, and AWS's published example of this
//! event predates the field, so a rule that took write events alone could miss
//! every export (from a review). The group's rule takes read-only events anyway,
//! and the pattern names this one call.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_caller_but_stack, succeeded_call};
use crate::event::Record;

pub struct AcmCertificateExported;

const ACM: &str = "acm.amazonaws.com";
const CALLS: &[&str] = &["ExportCertificate"];

pub static META: Meta = Meta {
    id: "acm-certificate-exported",
    title: "AWS ACM Certificate Private Key Exported",
    description: "A certificate and its private key were exported from AWS Certificate \
                  Manager. The key now exists outside AWS: anyone holding it can pose as the \
                  sites or services the certificate names, or decrypt traffic recorded for \
                  them.",
    severity: Severity::Medium,
    attack: &["T1552.004", "T1649"],
    origins: &[
        "trailwatch: from a red-team gap hunt (certificate private keys taken out of ACM, a \
         credential export no detection watched)",
    ],
    group: "data-exposure",
    false_positives: &[
        "Certificates issued as exportable on purpose, for servers outside AWS: tune by the \
         certificate or the pipeline that installs them.",
    ],
    next_steps: "Check who exported the certificate and where it is meant to be installed. If \
                 the export is not explained, revoke the certificate, issue a new one, and \
                 review the caller's other activity.",
    evidence: "certificate_arn",
    triggers: &[Trigger::read_only(ACM, CALLS)],
    window: None,
};

impl Detection for AcmCertificateExported {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, ACM, CALLS) || aws_service_caller_but_stack(rec) {
            return None;
        }
        fire(Evidence::new().with_opt("certificate_arn", rec.request_param_str("certificateArn")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::{eval, fires};

    const EXPORT: &str = r#"{"certificateArn":"arn:aws:acm:us-east-1:111122223333:certificate/8f2c1d3e-4b5a-4c6d-9e8f-a1b2c3d4e5f6","passphrase":"HIDDEN_DUE_TO_SECURITY_REASONS"}"#;

    #[test]
    fn an_export_fires_without_the_passphrase() {
        match eval(&AcmCertificateExported, &record(ACM, "ExportCertificate", ROLE, EXPORT, "")) {
            Some(Signal::Fire(e)) => {
                assert!(e.get("certificate_arn").is_some());
                assert!(e.get("passphrase").is_none());
            }
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn failures_services_and_other_calls_do_not() {
        assert!(!fires(&AcmCertificateExported, &failed(ACM, "ExportCertificate", ROLE, EXPORT, "AccessDeniedException")));
        assert!(!fires(&AcmCertificateExported, &record(ACM, "ExportCertificate", SERVICE, EXPORT, "")));
        assert!(!fires(&AcmCertificateExported, &record(ACM, "GetCertificate", ROLE, EXPORT, "")));
        assert!(!fires(&AcmCertificateExported, &record("acm-pca.amazonaws.com", "ExportCertificate", ROLE, EXPORT, "")));
    }
}
