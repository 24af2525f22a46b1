//! IAM users, access keys, console passwords, user policies or bucket policies
//! created with the S3 Browser Windows client (user agent `S3 Browser`).
//!
//! Decisions: Sigma's three S3 Browser rules (user or access key creation, login
//! profile creation, templated bucket policy) are one behaviour here: S3 Browser is a
//! file-transfer client, and it appears in incident reports as the tool intruders use
//! to create persistence with stolen keys; any of these writes from it is the
//! finding. Refused calls count too (with their error), as in the Sigma rules:
//! stolen keys without IAM rights, tried from S3 Browser, are the same intent,
//! and a file-transfer client has no everyday reason to attempt these writes.
//! The user agent is matched case-insensitively. A bucket policy counts only when it
//! is S3 Browser's unedited template (its `<YOUR-BUCKET-NAME>` placeholder still in
//! the resource), as in Sigma's rule: S3 Browser is an ordinary Windows client with
//! a policy editor, and every policy its users save fired at high (from a review).

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::with_error;
use crate::event::Record;

pub struct S3BrowserIamActivity;

const IAM_WRITES: &[&str] = &[
    "CreateAccessKey",
    "CreateLoginProfile",
    "CreateUser",
    "PutUserPolicy",
];

pub static META: Meta = Meta {
    id: "s3browser-iam-activity",
    title: "AWS IAM S3Browser Activity",
    description: "The S3 Browser desktop client created an IAM user, an access key, a console \
                  password, an inline user policy or a bucket policy. S3 Browser is a \
                  file-transfer tool; intruders holding stolen keys have used its IAM features \
                  to create users and keys for themselves.",
    severity: Severity::High,
    attack: &["T1136.003", "T1098.001", "T1078.004"],
    origins: &[
        "Sigma aws_iam_s3browser_user_or_accesskey_creation.yml",
        "Sigma aws_iam_s3browser_loginprofile_creation.yml",
        "Sigma aws_iam_s3browser_templated_s3_bucket_policy_creation.yml",
    ],
    group: "discovery",
    false_positives: &["An administrator who manages IAM with S3 Browser on purpose (rare)."],
    next_steps: "Identify who holds the credentials used and whether they run S3 Browser. If \
                 not, delete the users, keys and policies it created, deactivate the key it \
                 used, and search for other activity from the same address.",
    evidence: "bucket error_code error_message source_ip target_user user_agent",
    triggers: &[
        Trigger::write("iam.amazonaws.com", IAM_WRITES),
        Trigger::write("s3.amazonaws.com", &["PutBucketPolicy"]),
    ],
    window: None,
};

impl Detection for S3BrowserIamActivity {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        let watched = match rec.event_source() {
            "iam.amazonaws.com" => IAM_WRITES.contains(&rec.event_name()),
            "s3.amazonaws.com" => rec.event_name() == "PutBucketPolicy" && templated_policy(rec),
            _ => false,
        };
        if !watched {
            return None;
        }
        let ua = rec.user_agent()?;
        if !ua.to_ascii_lowercase().contains("s3 browser") {
            return None;
        }
        let evidence = Evidence::new()
            .with("user_agent", ua)
            .with_opt("target_user", rec.request_param_str("userName"))
            .with_opt("bucket", rec.request_param_str("bucketName"))
            .with_opt("source_ip", rec.source_ip());
        fire(with_error(evidence, rec))
    }
}

/// The bucket policy still holds S3 Browser's template placeholder.
fn templated_policy(rec: &Record<'_>) -> bool {
    rec.request_parameters()
        .map(|p| p.to_string().to_ascii_lowercase())
        .is_some_and(|text| text.contains("<your-bucket-name>"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::{eval, fires};

    fn record(source: &str, name: &str, ua: &str, extra: &str) -> String {
        format!(
            r#"{{"eventSource":"{source}","eventName":"{name}","eventTime":"2026-06-02T10:00:01Z",
            "recipientAccountId":"111122223333","sourceIPAddress":"198.51.100.140","userAgent":"{ua}",
            "userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/backup","userName":"backup"}},
            {extra}"requestParameters":{{"userName":"svc-sync","bucketName":"reports"}}}}"#
        )
    }
    const S3B: &str = "S3 Browser 11.5.5 https://s3browser.com";

    #[test]
    fn fires_on_each_watched_write_from_s3_browser() {
        for name in IAM_WRITES {
            assert!(fires(&S3BrowserIamActivity, &record("iam.amazonaws.com", name, S3B, "")));
        }
        let templated = record("s3.amazonaws.com", "PutBucketPolicy", "s3 browser 10.9.9", "").replace(
            r#""bucketName":"reports""#,
            r#""bucketName":"reports","bucketPolicy":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::<YOUR-BUCKET-NAME>/*"}]}"#,
        );
        assert!(templated.contains("YOUR-BUCKET-NAME"));
        assert!(fires(&S3BrowserIamActivity, &templated));
        // From a review: a policy its user wrote is S3 Browser used as meant.
        let edited = templated.replace("<YOUR-BUCKET-NAME>", "reports");
        assert!(!fires(&S3BrowserIamActivity, &edited));
    }

    #[test]
    fn refused_attempts_fire_with_their_error() {
        let denied = record("iam.amazonaws.com", "CreateUser", S3B, r#""errorCode":"AccessDenied","#);
        match eval(&S3BrowserIamActivity, &denied) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("error_code").and_then(|v| v.as_str()), Some("AccessDenied")),
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn other_agents_and_calls_do_not_fire() {
        assert!(!fires(&S3BrowserIamActivity, &record("iam.amazonaws.com", "CreateUser", "aws-cli/2.15.30", "")));
        assert!(!fires(&S3BrowserIamActivity, &record("iam.amazonaws.com", "ListUsers", S3B, "")));
        assert!(!fires(&S3BrowserIamActivity, &record("s3.amazonaws.com", "CreateUser", S3B, "")));
        let no_ua = record("iam.amazonaws.com", "CreateUser", S3B, "")
            .replace(&format!(r#""userAgent":"{S3B}","#), "");
        assert_eq!(eval(&S3BrowserIamActivity, &no_ua), None);
    }
}
