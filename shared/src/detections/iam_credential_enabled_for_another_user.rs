//! A dormant credential of an IAM user brought back, or a new SSH key added, by
//! anyone other than that user, successfully: `UpdateAccessKey`,
//! `UpdateSSHPublicKey` or `UpdateServiceSpecificCredential` (a CodeCommit, Keyspaces
//! or Bedrock credential, from a review) setting `status` to `Active`, or
//! `UploadSSHPublicKey`.
//!
//! Decisions: the quieter forms of `create-access-key-for-another-user`. Switching
//! back on a key that was deactivated (often one a responder turned off) gives back
//! the access it held without minting anything new; an SSH public key uploaded for
//! a user opens CodeCommit (and any tooling that trusts IAM's SSH keys) as that
//! user. A call without `userName` acts on the caller's own credentials, and an IAM
//! user naming itself (in any letter case, by `userName` or, without one, by its
//! ARN: `common::caller_is_user`) is its own business; every other caller (another user, a role,
//! root, a federated session) counts. Deactivating is not watched here.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{caller_is_user, succeeded_call, text_is};
use crate::event::{Record, actor_display};

pub struct IamCredentialEnabledForAnotherUser;

const IAM: &str = "iam.amazonaws.com";
const CALLS: &[&str] = &[
    "UpdateAccessKey",
    "UpdateSSHPublicKey",
    "UpdateServiceSpecificCredential",
    "UploadSSHPublicKey",
];

pub static META: Meta = Meta {
    id: "iam-credential-enabled-for-another-user",
    title: "AWS IAM Credential Re-enabled or SSH Key Added for Another User",
    description: "A principal switched an IAM user's access key, SSH key or service-specific \
                  credential back on, or uploaded a new SSH public key for the user, and the principal is not that \
                  user. Reviving a key someone deactivated, or adding a key of one's own, \
                  gives lasting access as the user without creating anything that draws \
                  attention.",
    severity: Severity::Medium,
    attack: &["T1098.001", "T1098.004"],
    origins: &[
        "trailwatch: from a red-team gap hunt (a deactivated access key re-activated and an \
         SSH key uploaded for another user, beside create-access-key-for-another-user)",
    ],
    group: "identity-abuse",
    false_positives: &[
        "Administrators re-activating a key a user locked themselves out of, after checking \
         with them.",
        "Provisioning that registers users' SSH keys for CodeCommit on their behalf.",
    ],
    next_steps: "Ask the user whether they expected the change. If not, deactivate the key, \
                 review what it did since it came back on, and find out how the caller got \
                 the permission to manage other users' credentials.",
    evidence: "access_key_id api caller caller_type service_credential_id ssh_key_id target_user",
    triggers: &[Trigger::write(IAM, CALLS)],
    window: None,
};

impl Detection for IamCredentialEnabledForAnotherUser {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, IAM, CALLS) {
            return None;
        }
        let name = rec.event_name();
        if name != "UploadSSHPublicKey" && !text_is(rec.request_param("status"), "Active") {
            return None;
        }
        // Without a target the credential is the caller's own.
        let target = rec.request_param_str("userName")?.trim();
        if target.is_empty() || caller_is_user(rec, target) {
            return None;
        }
        let ssh_key = rec.request_param_str("sSHPublicKeyId").or_else(|| {
            rec.response_element("sSHPublicKey")?
                .get("sSHPublicKeyId")?
                .as_str()
        });
        fire(
            Evidence::new()
                .with("api", name)
                .with("target_user", target)
                .with("caller", actor_display(rec))
                .with_opt("caller_type", rec.identity_type())
                .with_opt("access_key_id", rec.request_param_str("accessKeyId"))
                .with_opt("ssh_key_id", ssh_key)
                .with_opt(
                    "service_credential_id",
                    rec.request_param_str("serviceSpecificCredentialId"),
                ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, USER, failed, record};
    use crate::detections::common::testing::{eval, fires};

    const REACTIVATE: &str = r#"{"accessKeyId":"AKIAEXAMPLEOLDKEY001","status":"Active","userName":"backup-svc"}"#;
    const UPLOAD: &str = r#"{"userName":"backup-svc","sSHPublicKeyBody":"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ example"}"#;

    #[test]
    fn another_users_key_revived_or_ssh_key_added_fires() {
        match eval(&IamCredentialEnabledForAnotherUser, &record(IAM, "UpdateAccessKey", ROLE, REACTIVATE, "")) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("target_user").and_then(|v| v.as_str()), Some("backup-svc"));
                assert_eq!(e.get("access_key_id").and_then(|v| v.as_str()), Some("AKIAEXAMPLEOLDKEY001"));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let uploaded = record(IAM, "UploadSSHPublicKey", USER, UPLOAD, "")
            .replace(r#""responseElements":null"#, r#""responseElements":{"sSHPublicKey":{"userName":"backup-svc","sSHPublicKeyId":"APKAEXAMPLESSHKEY01","status":"Active"}}"#);
        match eval(&IamCredentialEnabledForAnotherUser, &uploaded) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("ssh_key_id").and_then(|v| v.as_str()), Some("APKAEXAMPLESSHKEY01")),
            other => panic!("expected a finding, got {other:?}"),
        }
        let ssh_on = r#"{"userName":"backup-svc","sSHPublicKeyId":"APKAEXAMPLESSHKEY01","status":"active"}"#;
        assert!(fires(&IamCredentialEnabledForAnotherUser, &record(IAM, "UpdateSSHPublicKey", ROLE, ssh_on, "")));
        // From a review: a CodeCommit or Bedrock credential switched back on.
        let service_on = r#"{"userName":"backup-svc","serviceSpecificCredentialId":"ACCAEXAMPLESVCCRED01","status":"Active"}"#;
        match eval(&IamCredentialEnabledForAnotherUser, &record(IAM, "UpdateServiceSpecificCredential", ROLE, service_on, "")) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("service_credential_id").and_then(|v| v.as_str()), Some("ACCAEXAMPLESVCCRED01")),
            other => panic!("expected a finding, got {other:?}"),
        }
        let service_off = service_on.replace("Active", "Inactive");
        assert!(!fires(&IamCredentialEnabledForAnotherUser, &record(IAM, "UpdateServiceSpecificCredential", ROLE, &service_off, "")));
    }

    #[test]
    fn own_credentials_deactivation_failures_and_other_calls_do_not() {
        // USER is mallory: her own key, named or not.
        let own = REACTIVATE.replace("backup-svc", "mallory");
        assert!(!fires(&IamCredentialEnabledForAnotherUser, &record(IAM, "UpdateAccessKey", USER, &own, "")));
        // IAM names ignore case; a record without userName names the user by its ARN.
        let shouted = REACTIVATE.replace("backup-svc", "MALLORY");
        assert!(!fires(&IamCredentialEnabledForAnotherUser, &record(IAM, "UpdateAccessKey", USER, &shouted, "")));
        let no_name = USER.replace(r#","userName":"mallory""#, "");
        assert!(!fires(&IamCredentialEnabledForAnotherUser, &record(IAM, "UpdateAccessKey", &no_name, &own, "")));
        assert!(fires(&IamCredentialEnabledForAnotherUser, &record(IAM, "UpdateAccessKey", &no_name, REACTIVATE, "")));
        let unnamed = r#"{"accessKeyId":"AKIAEXAMPLEOLDKEY001","status":"Active"}"#;
        assert!(!fires(&IamCredentialEnabledForAnotherUser, &record(IAM, "UpdateAccessKey", ROLE, unnamed, "")));
        let off = REACTIVATE.replace("Active", "Inactive");
        assert!(!fires(&IamCredentialEnabledForAnotherUser, &record(IAM, "UpdateAccessKey", ROLE, &off, "")));
        assert!(!fires(&IamCredentialEnabledForAnotherUser, &failed(IAM, "UpdateAccessKey", ROLE, REACTIVATE, "AccessDenied")));
        assert!(!fires(&IamCredentialEnabledForAnotherUser, &record(IAM, "CreateAccessKey", ROLE, REACTIVATE, "")));
        assert!(!fires(&IamCredentialEnabledForAnotherUser, &record(IAM, "UploadSSHPublicKey", USER, &UPLOAD.replace("backup-svc", "mallory"), "")));
        assert!(!fires(&IamCredentialEnabledForAnotherUser, &record(IAM, "UploadSSHPublicKey", ROLE, r#"{"userName":" "}"#, "")));
    }
}
