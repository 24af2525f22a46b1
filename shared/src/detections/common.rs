//! Predicates and evidence shared by several detections.

use std::net::IpAddr;

use crate::detection::Evidence;
use crate::event::Record;

/// `sourceIPAddress` when it is a literal IPv4 or IPv6 address (not `AWS Internal`
/// or a service name such as `cloudformation.amazonaws.com`).
pub fn source_ip_literal(rec: &Record) -> Option<IpAddr> {
    rec.source_ip()?.trim().parse().ok()
}

/// The filter Elastic applies to its CloudWatch deletion rules: a human or script
/// calling from an IP address, not an AWS service acting on its own.
pub fn called_from_ip_not_aws_internal(rec: &Record) -> bool {
    source_ip_literal(rec).is_some() && rec.user_agent() != Some("AWS Internal")
}

/// `responseElements.ConsoleLogin` (`Success` / `Failure`) of a sign-in record.
pub fn console_login_result<'r>(rec: &'r Record) -> Option<&'r str> {
    rec.response_element("ConsoleLogin")?.as_str()
}

/// The evidence every record-level finding of a failed attempt should carry.
pub fn with_error(e: Evidence, rec: &Record) -> Evidence {
    e.with_opt("error_code", rec.error_code())
        .with_opt("error_message", rec.error_message())
}

#[cfg(test)]
pub mod testing {
    //! Builds records for unit tests from JSON text.
    use crate::detection::{Detection, Signal};
    use crate::event::Record;

    /// Evaluates `det` on the record in `json` (a raw CloudTrail record).
    pub fn eval(det: &dyn Detection, json: &str) -> Option<Signal> {
        let rec = Record::from_json(json).expect("test record parses");
        det.evaluate(&rec)
    }

    /// True when `det` fires (statelessly) on the record.
    pub fn fires(det: &dyn Detection, json: &str) -> bool {
        matches!(eval(det, json), Some(Signal::Fire(_)))
    }
}
