//! A Cognito identity pool that hands AWS credentials to anyone, successfully: an
//! identity pool created or updated with `allowUnauthenticatedIdentities` true
//! (`CreateIdentityPool`, `UpdateIdentityPool`), or given a role for its guests
//! (`SetIdentityPoolRoles` with an `unauthenticated` role).
//!
//! Decisions: guest identities need no sign-in. Anyone who knows the pool's id
//! (it ships inside the web or mobile app) calls `GetId` and
//! `GetCredentialsForIdentity` and receives temporary credentials of the guest
//! role, so opening a pool, or giving its guests a role, is a door into the
//! account that no credential revocation closes. `UpdateIdentityPool` restates the
//! whole configuration, so an update that keeps guest access on also fires (the
//! record does not say what the pool held before): the false positives say so.
//! The flag is read from the request, or from the response when the request was
//! stripped; text `"true"` counts as true. Changes AWS services make on their own
//! are left out; a stack's count (a guest pool deployed with an app is still worth
//! a look once). From a review: Amplify's stacks set both of a pool's roles,
//! the guest role among them, while guest access stays off, so a stack's
//! `SetIdentityPoolRoles` is low (the guest role grants nothing until the pool is
//! opened, which is reported on its own); a person's stays medium, as swapping an
//! open pool's guest role for a stronger one looks the same.

use serde_json::Value;

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    aws_service_caller_but_stack, flag_value, request_or_response, stack_deployment_caller, succeeded_call,
};
use crate::event::Record;

pub struct CognitoIdentityPoolGuestAccess;

const SOURCE: &str = "cognito-identity.amazonaws.com";
const NAMES: &[&str] = &["CreateIdentityPool", "SetIdentityPoolRoles", "UpdateIdentityPool"];

pub static META: Meta = Meta {
    id: "cognito-identity-pool-guest-access",
    title: "AWS Cognito Identity Pool Opened to Guests",
    description: "A Cognito identity pool now gives AWS credentials to unauthenticated guests, \
                  or its guests got a role. Anyone who knows the pool's id can obtain \
                  temporary credentials of the guest role without signing in; an intruder \
                  who opens a pool and gives its guests a powerful role keeps a way back in.",
    severity: Severity::Medium,
    attack: &["T1098", "T1078.004"],
    origins: &[
        "trailwatch: from a red-team gap hunt (Cognito pools changed); Cognito's \
         unauthenticated identities and the guest role",
    ],
    group: "identity-abuse",
    false_positives: &[
        "Web and mobile apps that let visitors use AWS before they sign in (analytics, \
         maps, public uploads) with a narrow guest role: tune by the pool.",
        "Updates of a pool that has allowed guests all along: UpdateIdentityPool restates \
         the setting each time.",
    ],
    next_steps: "Check the guest role's permissions (the role in the evidence, or the pool's \
                 roles with GetIdentityPoolRoles). If guests are not meant to be allowed, set \
                 allowUnauthenticatedIdentities to false and remove the role, then review \
                 CloudTrail for GetCredentialsForIdentity and the guest role's sessions since \
                 the change.",
    evidence: "api guest_access guest_role identity_pool_id identity_pool_name",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

fn pool_evidence(rec: &Record<'_>) -> Evidence {
    Evidence::new()
        .with("api", rec.event_name())
        .with_opt("identity_pool_id", request_or_response(rec, "identityPoolId").and_then(Value::as_str))
        .with_opt("identity_pool_name", request_or_response(rec, "identityPoolName").and_then(Value::as_str))
}

impl Detection for CognitoIdentityPoolGuestAccess {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn severity_for(&self, rec: &Record<'_>) -> Severity {
        if rec.event_name() == "SetIdentityPoolRoles" && stack_deployment_caller(rec) {
            Severity::Low
        } else {
            META.severity
        }
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, SOURCE, NAMES) || aws_service_caller_but_stack(rec) {
            return None;
        }
        if rec.event_name() == "SetIdentityPoolRoles" {
            let role = request_or_response(rec, "roles")?
                .as_object()?
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("unauthenticated"))?
                .1
                .as_str()
                .map(str::trim)
                .filter(|r| !r.is_empty())?;
            return fire(pool_evidence(rec).with("guest_role", role));
        }
        if request_or_response(rec, "allowUnauthenticatedIdentities").and_then(flag_value) != Some(true) {
            return None;
        }
        fire(pool_evidence(rec).with("guest_access", true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::{fired_evidence, fires};

    fn evidence(json: &str) -> Evidence {
        fired_evidence(&CognitoIdentityPoolGuestAccess, json)
    }

    const POOL: &str = "us-east-1:1cf667a2-49a6-454b-9e45-23199aaaaaaa";

    #[test]
    fn a_pool_created_or_updated_for_guests_fires() {
        let created = record(SOURCE, "CreateIdentityPool", ROLE,
            r#"{"identityPoolName":"storefront","allowUnauthenticatedIdentities":true}"#, "")
            .replace(r#""responseElements":null"#,
                &format!(r#""responseElements":{{"identityPoolId":"{POOL}","identityPoolName":"storefront","allowUnauthenticatedIdentities":true}}"#));
        let e = evidence(&created);
        assert_eq!(e.get("identity_pool_id").unwrap(), POOL);
        assert_eq!(e.get("identity_pool_name").unwrap(), "storefront");
        let updated = record(SOURCE, "UpdateIdentityPool", ROLE,
            &format!(r#"{{"identityPoolId":"{POOL}","identityPoolName":"storefront","allowUnauthenticatedIdentities":"true"}}"#), "");
        assert!(fires(&CognitoIdentityPoolGuestAccess, &updated));
    }

    #[test]
    fn a_role_for_guests_fires_and_one_for_signed_in_users_does_not() {
        let guest = record(SOURCE, "SetIdentityPoolRoles", ROLE,
            &format!(r#"{{"identityPoolId":"{POOL}","roles":{{"authenticated":"arn:aws:iam::111122223333:role/app-user","unauthenticated":"arn:aws:iam::111122223333:role/guest"}}}}"#), "");
        assert_eq!(evidence(&guest).get("guest_role").unwrap(), "arn:aws:iam::111122223333:role/guest");
        let signed_in = record(SOURCE, "SetIdentityPoolRoles", ROLE,
            &format!(r#"{{"identityPoolId":"{POOL}","roles":{{"authenticated":"arn:aws:iam::111122223333:role/app-user"}}}}"#), "");
        assert!(!fires(&CognitoIdentityPoolGuestAccess, &signed_in));
        // A stack setting both roles (Amplify's way): low; a person's: medium.
        let by_stack = guest.replacen(r#""accountId":"111122223333""#, r#""accountId":"111122223333","invokedBy":"cloudformation.amazonaws.com""#, 1);
        assert_ne!(by_stack, guest);
        let severity = |json: &str| testing::severity(&CognitoIdentityPoolGuestAccess, json);
        assert!(fires(&CognitoIdentityPoolGuestAccess, &by_stack));
        assert_eq!(severity(&by_stack), Severity::Low);
        assert_eq!(severity(&guest), Severity::Medium);
    }

    #[test]
    fn a_stripped_request_is_read_from_the_response() {
        let rec = record(SOURCE, "CreateIdentityPool", ROLE, "null", "").replace(
            r#""responseElements":null"#,
            &format!(r#""responseElements":{{"identityPoolId":"{POOL}","allowUnauthenticatedIdentities":true}}"#),
        );
        assert!(fires(&CognitoIdentityPoolGuestAccess, &rec));
    }

    #[test]
    fn closed_pools_failures_services_and_bad_input_do_not() {
        let closed = record(SOURCE, "CreateIdentityPool", ROLE,
            r#"{"identityPoolName":"staff","allowUnauthenticatedIdentities":false}"#, "");
        assert!(!fires(&CognitoIdentityPoolGuestAccess, &closed));
        let denied = failed(SOURCE, "UpdateIdentityPool", ROLE,
            r#"{"identityPoolId":"x","allowUnauthenticatedIdentities":true}"#, "AccessDeniedException");
        assert!(!fires(&CognitoIdentityPoolGuestAccess, &denied));
        let service = record(SOURCE, "CreateIdentityPool", SERVICE, r#"{"allowUnauthenticatedIdentities":true}"#, "");
        assert!(!fires(&CognitoIdentityPoolGuestAccess, &service));
        for params in ["null", r#"{"allowUnauthenticatedIdentities":1}"#, r#"{"roles":"guest"}"#, r#"{"roles":{"unauthenticated":""}}"#] {
            for name in NAMES {
                assert!(!fires(&CognitoIdentityPoolGuestAccess, &record(SOURCE, name, ROLE, params, "")), "{name} {params}");
            }
        }
    }
}
