//! A Cognito user pool's multi-factor authentication switched off
//! (`SetUserPoolMfaConfig` with `mfaConfiguration` `OFF`), successfully.
//!
//! Decisions: `SetUserPoolMfaConfig` is the call that sets MFA and nothing else, so
//! `OFF` there is a decision to drop it. `UpdateUserPool` is not judged: it resets
//! every setting it is not given, so infrastructure as code restates `OFF` on every
//! update of a pool that never had MFA, and the record cannot tell that from a
//! change. The value is compared without regard to case, and read from the
//! response when the request leaves it out. A drop from `ON` to `OPTIONAL` is not
//! judged: the record does not say what the pool required before. Changes AWS services make
//! on their own are left out; a stack's count.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_caller_but_stack, request_text_any, succeeded_call};
use crate::event::Record;

pub struct CognitoUserPoolMfaDisabled;

const SOURCE: &str = "cognito-idp.amazonaws.com";
const NAMES: &[&str] = &["SetUserPoolMfaConfig"];

pub static META: Meta = Meta {
    id: "cognito-user-pool-mfa-disabled",
    title: "AWS Cognito User Pool MFA Disabled",
    description: "Multi-factor authentication was switched off for a Cognito user pool: the \
                  application's users now sign in with a password alone. An intruder does this \
                  before taking over users whose passwords were phished or reused.",
    severity: Severity::Low,
    attack: &["T1556.006"],
    origins: &["trailwatch: from a red-team gap hunt (Cognito pools changed)"],
    group: "identity-abuse",
    false_positives: &[
        "Development and test pools whose MFA is switched off on purpose: tune by the pool.",
    ],
    next_steps: "Ask the pool's owners whether the change was planned. If not, set MFA back \
                 (SetUserPoolMfaConfig with ON or OPTIONAL), review the caller's other \
                 changes to the pool, and look for sign-ins and password changes of the pool's \
                 users since the change.",
    evidence: "mfa_configuration user_pool_id",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

impl Detection for CognitoUserPoolMfaDisabled {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, SOURCE, NAMES) || aws_service_caller_but_stack(rec) {
            return None;
        }
        // The request may leave the setting out; the response states what holds.
        let mfa = rec
            .request_param_str("mfaConfiguration")
            .or_else(|| rec.response_element("mfaConfiguration")?.as_str())?
            .trim();
        if !mfa.eq_ignore_ascii_case("OFF") {
            return None;
        }
        fire(Evidence::new()
            .with_opt("user_pool_id", request_text_any(rec, &["userPoolId"]))
            .with("mfa_configuration", mfa))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::fires;

    fn set(mfa: &str) -> String {
        record(SOURCE, "SetUserPoolMfaConfig", ROLE,
            &format!(r#"{{"userPoolId":"us-east-1_Ab12Cd34E","mfaConfiguration":"{mfa}"}}"#), "")
    }

    #[test]
    fn mfa_switched_off_fires() {
        assert!(fires(&CognitoUserPoolMfaDisabled, &set("OFF")));
        assert!(fires(&CognitoUserPoolMfaDisabled, &set(" off ")));
    }

    #[test]
    fn the_setting_is_read_from_the_response_when_the_request_leaves_it_out() {
        let rec = record(SOURCE, "SetUserPoolMfaConfig", ROLE, r#"{"userPoolId":"us-east-1_Ab12Cd34E"}"#, "")
            .replace(r#""responseElements":null"#, r#""responseElements":{"mfaConfiguration":"OFF"}"#);
        assert!(fires(&CognitoUserPoolMfaDisabled, &rec));
    }

    #[test]
    fn mfa_on_or_optional_failures_services_and_bad_input_do_not() {
        assert!(!fires(&CognitoUserPoolMfaDisabled, &set("ON")));
        assert!(!fires(&CognitoUserPoolMfaDisabled, &set("OPTIONAL")));
        let params = r#"{"userPoolId":"us-east-1_Ab12Cd34E","mfaConfiguration":"OFF"}"#;
        assert!(!fires(&CognitoUserPoolMfaDisabled, &failed(SOURCE, "SetUserPoolMfaConfig", ROLE, params, "AccessDeniedException")));
        assert!(!fires(&CognitoUserPoolMfaDisabled, &record(SOURCE, "SetUserPoolMfaConfig", SERVICE, params, "")));
        // An update restates the setting: not judged.
        assert!(!fires(&CognitoUserPoolMfaDisabled, &record(SOURCE, "UpdateUserPool", ROLE, params, "")));
        for bad in ["null", r#"{"mfaConfiguration":false}"#, r#"{"userPoolId":"x"}"#] {
            assert!(!fires(&CognitoUserPoolMfaDisabled, &record(SOURCE, "SetUserPoolMfaConfig", ROLE, bad, "")), "{bad}");
        }
    }
}
