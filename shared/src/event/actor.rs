//! Who made the call: one helper for the whole project (spec section 0.6).

use std::borrow::Cow;

use super::prefilter::Needle;
use super::record::Record;

/// The caller of a CloudTrail record, as findings show and windows group it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Actor {
    /// Stable grouping key: `userIdentity.arn`, else `principalId`, else an
    /// Identity Center user's id (`onBehalfOf.userId`), else `accountId`.
    pub key: String,
    /// What a person reads: the user name, `role/session`, `root`, the federated
    /// user name, or the invoking service.
    pub display: String,
    /// `userIdentity.type` (`IAMUser`, `AssumedRole`, `Root`, ...), when present.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The caller's own account (`userIdentity.accountId`) when it is not the
    /// record's: a cross-account call, whose copy in the resource owner's
    /// account may name the caller by a principal id alone (from a review,
    /// fifteenth session: such a finding did not say which account to turn
    /// to). A window's finding over several records carries its first
    /// record's, as the rest of its actor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The IAM Identity Center user a role session acted for, by its id in the
    /// identity store (`userIdentity.onBehalfOf.userId`: trusted identity
    /// propagation, an application calling AWS as the person signed in to it),
    /// when the caller is not that user itself (an `IdentityCenterUser` is
    /// shown by that id already). The role is the caller; the person is who to
    /// ask. A window's finding over several records carries it when every one
    /// of them acted for that one person.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<String>,
}

impl Actor {
    pub fn of(rec: &Record) -> Actor {
        Actor {
            key: actor_key(rec).to_owned(),
            display: actor_display(rec),
            kind: rec.identity_type().map(str::to_owned),
            account: caller_account_elsewhere(rec).map(str::to_owned),
            on_behalf_of: person_acted_for(rec).map(str::to_owned),
        }
    }

    /// The text after the caller's name where findings show it: its type, and
    /// its own account when that is not the finding's (`mallory (IAMUser)
    /// from account 111122223333`), each value as the renderer writes one.
    pub fn qualifier(&self, value: impl Fn(&str) -> String) -> String {
        let mut out = String::new();
        if let Some(k) = &self.kind {
            out.push_str(&format!(" ({})", value(k)));
        }
        if let Some(a) = &self.account {
            out.push_str(&format!(" from account {}", value(a)));
        }
        out
    }

    /// The person a session acted for, as the line of its own that findings
    /// show it on (`<id> (Identity Center user)`): the id first, so that a
    /// message wrapped at its width keeps it whole (from a review: e-mail cut
    /// it after the caller's name).
    pub fn acting_for(&self, value: impl Fn(&str) -> String) -> Option<String> {
        let person = self.on_behalf_of.as_deref()?;
        Some(format!("{} (Identity Center user)", value(person)))
    }
}

/// `onBehalfOf.userId` of a role session (`AssumedRole`: trusted identity
/// propagation is a role acting for a person), when it has the form of an
/// identity store's user id: a UUID in hexadecimal, perhaps after ten hex
/// digits and a hyphen (stores made before the Identity Center's own). The
/// record's text is the caller's to write in a replay or a forged event, and
/// anything else would be shown under the caller's name as if it were ours
/// (from a review: `true`, `Administrator`, `root-from-account-...`).
pub(crate) fn person_acted_for<'r>(rec: &'r Record) -> Option<&'r str> {
    if rec.identity_type() != Some("AssumedRole") {
        return None;
    }
    let id = rec.on_behalf_of_user_id()?.trim();
    is_identity_store_user_id(id).then_some(id)
}

/// `8-4-4-4-12` hexadecimal digits, optionally after ten lowercase hex digits
/// and a hyphen (AWS's form of a user id).
fn is_identity_store_user_id(id: &str) -> bool {
    let uuid = match id.len() {
        36 => id,
        47 if id.as_bytes()[10] == b'-'
            && id[..10]
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) =>
        {
            &id[11..]
        }
        _ => return false,
    };
    let groups: Vec<&str> = uuid.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// `userIdentity.accountId` when it is an account id and not the record's
/// account (`recipientAccountId`).
pub(crate) fn caller_account_elsewhere<'r>(rec: &'r Record) -> Option<&'r str> {
    let caller = nonempty(rec.identity()?.account_id.as_deref())?.trim();
    (crate::detections::common::is_account_id(caller)
        && rec.account_id().map(str::trim) != Some(caller))
    .then_some(caller)
}

fn nonempty(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.is_empty())
}

/// `userIdentity.arn`, else `principalId`, else an IAM Identity Center user's
/// id (`onBehalfOf.userId`: such records have neither, and keyed by their
/// account every user of the portal was one caller), else `accountId`, else
/// `"unknown"`.
pub fn actor_key<'r>(rec: &'r Record) -> &'r str {
    let Some(u) = rec.identity() else {
        return "unknown";
    };
    nonempty(u.arn.as_deref())
        .or_else(|| nonempty(u.principal_id.as_deref()))
        .or_else(|| rec.on_behalf_of_user_id())
        .or_else(|| nonempty(u.account_id.as_deref()))
        .unwrap_or("unknown")
}

/// A readable name for the caller.
pub fn actor_display(rec: &Record) -> String {
    actor_display_text(rec).into_owned()
}

/// [`actor_display`], borrowed from the record where the name is a piece of one
/// of its fields (the common cases: a user name, or an assumed role's
/// `role/session` as its ARN ends). Windows store this for every observation.
pub fn actor_display_text<'r>(rec: &'r Record) -> Cow<'r, str> {
    let Some(u) = rec.identity() else {
        return Cow::Borrowed("unknown");
    };
    let arn = nonempty(u.arn.as_deref());
    let last_segment = |a: &'r str| Cow::Borrowed(a.rsplit('/').next().unwrap_or(a));
    match nonempty(u.kind.as_deref()) {
        Some("Root") => Cow::Borrowed("root"),
        Some("AssumedRole") => {
            let role = rec
                .session_issuer()
                .and_then(|i| nonempty(i.user_name.as_deref()));
            // arn:aws:sts::<acct>:assumed-role/<Role>/<Session>. The searcher is
            // built once: windows ask this of every record they count, and
            // building a searcher per call was most of the work.
            static ASSUMED_ROLE: Needle = Needle::new(":assumed-role/");
            let role_and_session = arn.and_then(|a| {
                let at = ASSUMED_ROLE.finder().find(a.as_bytes())?;
                a.get(at + ASSUMED_ROLE.text().len()..)
            });
            let mut parts = role_and_session.map(|rest| rest.splitn(2, '/'));
            let arn_role = parts.as_mut().and_then(|p| p.next());
            let session = parts.as_mut().and_then(|p| p.next());
            match (role.or(arn_role), session) {
                // The issuer's role is the ARN's: `role/session` is the ARN's end.
                (Some(r), Some(_)) if Some(r) == arn_role => {
                    Cow::Borrowed(role_and_session.unwrap_or(r))
                }
                (Some(r), Some(s)) => Cow::Owned(format!("{r}/{s}")),
                (Some(r), None) => Cow::Borrowed(r),
                // Without an ARN (a resource owner's copy of a cross-account
                // call may have none): the principal id, `AROA...:session`.
                (None, _) => arn
                    .map(last_segment)
                    .or_else(|| nonempty(u.principal_id.as_deref()).map(Cow::Borrowed))
                    .unwrap_or(Cow::Borrowed("unknown role")),
            }
        }
        Some("FederatedUser") => arn
            .and_then(|a| a.split_once(":federated-user/").map(|(_, n)| n))
            .or_else(|| nonempty(u.user_name.as_deref()))
            .or_else(|| nonempty(u.principal_id.as_deref()))
            .map_or(Cow::Borrowed("unknown federated user"), Cow::Borrowed),
        Some("AWSService") => {
            Cow::Borrowed(nonempty(u.invoked_by.as_deref()).unwrap_or("AWS service"))
        }
        // Named by its id in the identity store (`aws identitystore
        // describe-user --user-id`): the record has no name for it, except
        // the one a sign-in's user typed (`additionalEventData.UserName`).
        Some("IdentityCenterUser") => rec
            .on_behalf_of_user_id()
            .or_else(|| nonempty(u.user_name.as_deref()))
            .map_or(Cow::Borrowed("unknown Identity Center user"), Cow::Borrowed),
        _ => nonempty(u.user_name.as_deref())
            .map(Cow::Borrowed)
            .or_else(|| arn.map(last_segment))
            .or_else(|| nonempty(u.principal_id.as_deref()).map(Cow::Borrowed))
            .or_else(|| {
                nonempty(u.account_id.as_deref()).map(|a| Cow::Owned(format!("account {a}")))
            })
            .unwrap_or(Cow::Borrowed("unknown")),
    }
}

/// `record` (whose caller is the IAM user `alice`) as made by an application's
/// role session acting for the Identity Center user `person`.
#[cfg(test)]
pub(crate) fn acting_for_in_test(record: &str, person: &str) -> String {
    record
        .replace("\"IAMUser\"", "\"AssumedRole\"")
        .replace(
            ":user/alice",
            ":assumed-role/QBusinessWebExperience/app-session",
        )
        .replace(
            r#""userName":"alice""#,
            &format!(r#""onBehalfOf":{{"userId":"{person}"}}"#),
        )
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
            // IAM Identity Center's shape since July 2025: the user by its id,
            // no name, no principal id; each user a caller of its own.
            (
                r#"{"type":"IdentityCenterUser","accountId":"4","onBehalfOf":{"userId":"544894e8-80c1-707f-60e3-3ba6510dfac1",
                   "identityStoreArn":"arn:aws:identitystore::4:identitystore/d-9067642ac7"},"credentialId":"EXAMPLE"}"#,
                "544894e8-80c1-707f-60e3-3ba6510dfac1",
                "544894e8-80c1-707f-60e3-3ba6510dfac1",
            ),
            (
                r#"{"type":"IdentityCenterUser","accountId":"4","onBehalfOf":null}"#,
                "unknown Identity Center user",
                "4",
            ),
        ];
        for (json, display, key) in cases {
            let r = rec(json);
            assert_eq!(actor_display(&r), display, "{json}");
            assert_eq!(actor_key(&r), key, "{json}");
        }
        assert_eq!(actor_display(&Record::default()), "unknown");
    }

    /// A role session of trusted identity propagation names the person it
    /// acted for beside the role (which stays the caller and the key); an
    /// Identity Center user is that id already, and an empty id is none.
    #[test]
    fn a_session_acting_for_an_identity_center_user_names_the_person() {
        let tip = rec(
            r#"{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/QBusinessWebExperience/app-session",
               "principalId":"AROAEXAMPLE:app-session","accountId":"1",
               "onBehalfOf":{"userId":"544894e8-80c1-707f-60e3-3ba6510dfac1",
                             "identityStoreArn":"arn:aws:identitystore::1:identitystore/d-9067642ac7"}}"#,
        );
        let a = Actor::of(&tip);
        assert_eq!(
            a.key,
            "arn:aws:sts::1:assumed-role/QBusinessWebExperience/app-session"
        );
        assert_eq!(
            a.on_behalf_of.as_deref(),
            Some("544894e8-80c1-707f-60e3-3ba6510dfac1")
        );
        assert_eq!(a.qualifier(|v| format!("<{v}>")), " (<AssumedRole>)");
        assert_eq!(
            a.acting_for(|v| format!("<{v}>")).as_deref(),
            Some("<544894e8-80c1-707f-60e3-3ba6510dfac1> (Identity Center user)")
        );
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(json["on_behalf_of"], "544894e8-80c1-707f-60e3-3ba6510dfac1");
        // A store older than Identity Center's own prefixes ten hex digits.
        let prefixed = r#"{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/R/s",
            "onBehalfOf":{"userId":"9067642ac7-544894e8-80c1-707f-60e3-3ba6510dfac1"}}"#;
        assert_eq!(
            Actor::of(&rec(prefixed)).on_behalf_of.as_deref(),
            Some("9067642ac7-544894e8-80c1-707f-60e3-3ba6510dfac1")
        );
        for none in [
            r#"{"type":"IdentityCenterUser","accountId":"1","onBehalfOf":{"userId":"544894e8-80c1-707f-60e3-3ba6510dfac1"}}"#,
            r#"{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/R/s","onBehalfOf":{"userId":" "}}"#,
            r#"{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/R/s","onBehalfOf":{"userId":"x (Root) from account 999988887777"}}"#,
            r#"{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/R/s","onBehalfOf":{"userId":"root-from-account-999988887777"}}"#,
            r#"{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/R/s","onBehalfOf":{"userId":true}}"#,
            r#"{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/R/s","onBehalfOf":{"userId":"544894e8-80c1-707f-60e3-3ba6510dfac"}}"#,
            r#"{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/R/s","onBehalfOf":{"userId":"544894e8-80c1-707f-60e3_3ba6510dfac1"}}"#,
            r#"{"type":"Root","arn":"arn:aws:iam::1:root","onBehalfOf":{"userId":"544894e8-80c1-707f-60e3-3ba6510dfac1"}}"#,
            r#"{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/R/s","onBehalfOf":null}"#,
            r#"{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/R/s"}"#,
        ] {
            let a = Actor::of(&rec(none));
            assert_eq!(a.on_behalf_of, None, "{none}");
            assert!(
                serde_json::to_value(&a)
                    .unwrap()
                    .get("on_behalf_of")
                    .is_none()
            );
        }
    }

    /// An assumed role's name comes from its session issuer when that differs
    /// from the ARN's role (then it is built); when they agree it is the ARN's
    /// end, borrowed (windows store it for every observation).
    #[test]
    fn an_assumed_roles_name_is_borrowed_when_issuer_and_arn_agree() {
        let same = rec(
            r#"{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/Admin/s/x",
               "sessionContext":{"sessionIssuer":{"userName":"Admin"}}}"#,
        );
        assert!(matches!(
            actor_display_text(&same),
            Cow::Borrowed("Admin/s/x")
        ));
        let other = rec(
            r#"{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/Admin/s",
               "sessionContext":{"sessionIssuer":{"userName":"path-less-Admin"}}}"#,
        );
        assert_eq!(actor_display_text(&other), "path-less-Admin/s");
        let no_session = rec(r#"{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/Admin"}"#);
        assert_eq!(actor_display_text(&no_session), "Admin");
        let no_arn = rec(r#"{"type":"AssumedRole","arn":"arn:aws:sts::1:user"}"#);
        assert_eq!(actor_display_text(&no_arn), "arn:aws:sts::1:user");
        let account = rec(r#"{"type":"AWSAccount","accountId":"2"}"#);
        assert_eq!(actor_display_text(&account), "account 2");
    }

    /// The resource owner's copy of a cross-account call: the caller's own
    /// account is named beside the record's, and a role session without an
    /// ARN by its principal id (it was "unknown role"). A caller of the
    /// record's own account, or an account that is not one, names none.
    #[test]
    fn a_cross_account_caller_is_named_with_its_account() {
        let copy = |identity: &str, recipient: &str| {
            let text = format!(
                r#"{{"eventName":"CreateGrant","recipientAccountId":"{recipient}","userIdentity":{identity}}}"#
            );
            Record::from_json(Box::leak(text.into_boxed_str())).unwrap()
        };
        let thin = r#"{"type":"AWSAccount","principalId":"AROAEXAMPLEDATAOPS01:ops-session","accountId":"111122223333"}"#;
        let actor = Actor::of(&copy(thin, "444455556666"));
        assert_eq!(actor.account.as_deref(), Some("111122223333"));
        assert_eq!(actor.display, "AROAEXAMPLEDATAOPS01:ops-session");
        assert_eq!(
            actor.qualifier(str::to_owned),
            " (AWSAccount) from account 111122223333"
        );
        assert_eq!(Actor::of(&copy(thin, "111122223333")).account, None);
        let no_arn = r#"{"type":"AssumedRole","principalId":"AROAEXAMPLEDATAOPS01:ops-session","accountId":"111122223333"}"#;
        let actor = Actor::of(&copy(no_arn, "444455556666"));
        assert_eq!(actor.display, "AROAEXAMPLEDATAOPS01:ops-session");
        assert_eq!(actor.account.as_deref(), Some("111122223333"));
        let odd = r#"{"type":"AWSAccount","principalId":"x","accountId":"1111-2222-3333"}"#;
        assert_eq!(Actor::of(&copy(odd, "444455556666")).account, None);
        assert_eq!(Actor::of(&Record::default()).qualifier(str::to_owned), "");
    }
}
