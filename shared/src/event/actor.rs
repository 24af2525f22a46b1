//! Who made the call: one helper for the whole project (spec section 0.6).

use super::record::Record;

/// The caller of a CloudTrail record, as findings show and windows group it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Actor {
    /// Stable grouping key: `userIdentity.arn`, else `principalId`, else `accountId`.
    pub key: String,
    /// What a person reads: the user name, `role/session`, `root`, the federated
    /// user name, or the invoking service.
    pub display: String,
    /// `userIdentity.type` (`IAMUser`, `AssumedRole`, `Root`, ...), when present.
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

impl Actor {
    pub fn of(rec: &Record) -> Actor {
        Actor {
            key: actor_key(rec).to_owned(),
            display: actor_display(rec),
            kind: rec.identity_type().map(str::to_owned),
        }
    }
}

fn nonempty(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.is_empty())
}

/// `userIdentity.arn`, else `principalId`, else `accountId`, else `"unknown"`.
pub fn actor_key<'r>(rec: &'r Record) -> &'r str {
    let Some(u) = rec.identity() else {
        return "unknown";
    };
    nonempty(u.arn.as_deref())
        .or_else(|| nonempty(u.principal_id.as_deref()))
        .or_else(|| nonempty(u.account_id.as_deref()))
        .unwrap_or("unknown")
}

/// A readable name for the caller.
pub fn actor_display(rec: &Record) -> String {
    let Some(u) = rec.identity() else {
        return "unknown".into();
    };
    let arn = nonempty(u.arn.as_deref());
    let last_segment = |a: &str| a.rsplit('/').next().unwrap_or(a).to_owned();
    match nonempty(u.kind.as_deref()) {
        Some("Root") => "root".into(),
        Some("AssumedRole") => {
            let role = u
                .session_context
                .as_ref()
                .and_then(|c| c.session_issuer.as_ref())
                .and_then(|i| nonempty(i.user_name.as_deref()));
            // arn:aws:sts::<acct>:assumed-role/<Role>/<Session>
            let mut parts = arn
                .and_then(|a| a.split_once(":assumed-role/"))
                .map(|(_, rest)| rest.splitn(2, '/'));
            let arn_role = parts.as_mut().and_then(|p| p.next());
            let session = parts.as_mut().and_then(|p| p.next());
            match (role.or(arn_role), session) {
                (Some(r), Some(s)) => format!("{r}/{s}"),
                (Some(r), None) => r.to_owned(),
                (None, _) => arn
                    .map(last_segment)
                    .unwrap_or_else(|| "unknown role".into()),
            }
        }
        Some("FederatedUser") => arn
            .and_then(|a| a.split_once(":federated-user/").map(|(_, n)| n.to_owned()))
            .or_else(|| nonempty(u.user_name.as_deref()).map(str::to_owned))
            .or_else(|| nonempty(u.principal_id.as_deref()).map(str::to_owned))
            .unwrap_or_else(|| "unknown federated user".into()),
        Some("AWSService") => nonempty(u.invoked_by.as_deref())
            .unwrap_or("AWS service")
            .to_owned(),
        _ => nonempty(u.user_name.as_deref())
            .map(str::to_owned)
            .or_else(|| arn.map(last_segment))
            .or_else(|| nonempty(u.principal_id.as_deref()).map(str::to_owned))
            .or_else(|| nonempty(u.account_id.as_deref()).map(|a| format!("account {a}")))
            .unwrap_or_else(|| "unknown".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(identity: &str) -> Record<'_> {
        Record {
            user_identity: serde_json::from_str(identity).unwrap(),
            ..Default::default()
        }
    }

    #[test]
    fn names_each_identity_type() {
        let cases = [
            (
                r#"{"type":"IAMUser","arn":"arn:aws:iam::1:user/ops/alice","userName":"alice"}"#,
                "alice",
                "arn:aws:iam::1:user/ops/alice",
            ),
            (
                r#"{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/Admin/bob@example.com","principalId":"AROA:bob",
                   "sessionContext":{"sessionIssuer":{"type":"Role","userName":"Admin"}}}"#,
                "Admin/bob@example.com",
                "arn:aws:sts::1:assumed-role/Admin/bob@example.com",
            ),
            (
                r#"{"type":"Root","arn":"arn:aws:iam::1:root","accountId":"1"}"#,
                "root",
                "arn:aws:iam::1:root",
            ),
            (
                r#"{"type":"FederatedUser","arn":"arn:aws:sts::1:federated-user/eve","principalId":"1:eve"}"#,
                "eve",
                "arn:aws:sts::1:federated-user/eve",
            ),
            (
                r#"{"type":"AWSService","invokedBy":"cloudtrail.amazonaws.com"}"#,
                "cloudtrail.amazonaws.com",
                "unknown",
            ),
            (
                r#"{"type":"AWSAccount","principalId":"AIDA","accountId":"2"}"#,
                "AIDA",
                "AIDA",
            ),
            (
                r#"{"type":"IAMUser","arn":"","principalId":"","accountId":"3","userName":"HIDDEN_DUE_TO_SECURITY_REASONS"}"#,
                "HIDDEN_DUE_TO_SECURITY_REASONS",
                "3",
            ),
        ];
        for (json, display, key) in cases {
            let r = rec(json);
            assert_eq!(actor_display(&r), display, "{json}");
            assert_eq!(actor_key(&r), key, "{json}");
        }
        assert_eq!(actor_display(&Record::default()), "unknown");
    }
}
