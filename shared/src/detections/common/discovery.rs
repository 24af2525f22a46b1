//! Discovery (group `discovery`): the reconnaissance call list, and the stable
//! principal with the per-principal terms and counts of its windows.

use crate::detection::Evidence;
use crate::event::Record;

use super::general::joined;

/// The read-only calls an intruder makes first to map an account it has entered:
/// identity, users and roles, buckets, instances and snapshots, logging and threat
/// detection, secrets. Kept short on purpose: the discovery group's EventBridge rule
/// lists these names (read-only events flood a rule that does not), and its pattern
/// must stay within EventBridge's size limit.
pub static DISCOVERY_TRIGGERS: &[crate::detection::Trigger] = &DISCOVERY_TRIGGER_LIST;

/// [`DISCOVERY_TRIGGERS`] as an array, for detections that watch them and more
/// ([`crate::detection::Trigger::joined`]).
pub const DISCOVERY_TRIGGER_LIST: [crate::detection::Trigger; 11] = [
    crate::detection::Trigger::read_only("sts.amazonaws.com", &["GetCallerIdentity"]),
    crate::detection::Trigger::read_only(
        "iam.amazonaws.com",
        &[
            "GetAccountAuthorizationDetails",
            "GetAccountSummary",
            "ListAccessKeys",
            "ListAttachedUserPolicies",
            "ListGroups",
            "ListPolicies",
            "ListRoles",
            "ListUsers",
        ],
    ),
    crate::detection::Trigger::read_only("s3.amazonaws.com", &["ListBuckets"]),
    crate::detection::Trigger::read_only(
        "ec2.amazonaws.com",
        &[
            "DescribeInstances",
            "DescribeKeyPairs",
            "DescribeRegions",
            "DescribeSecurityGroups",
            "DescribeSnapshots",
            "DescribeVpcs",
        ],
    ),
    crate::detection::Trigger::read_only("cloudtrail.amazonaws.com", &["DescribeTrails"]),
    crate::detection::Trigger::read_only("guardduty.amazonaws.com", &["ListDetectors"]),
    crate::detection::Trigger::read_only("lambda.amazonaws.com", &["ListFunctions20150331"]),
    crate::detection::Trigger::read_only("secretsmanager.amazonaws.com", &["ListSecrets"]),
    crate::detection::Trigger::read_only("ssm.amazonaws.com", &["DescribeParameters"]),
    crate::detection::Trigger::read_only("rds.amazonaws.com", &["DescribeDBInstances"]),
    crate::detection::Trigger::read_only("organizations.amazonaws.com", &["DescribeOrganization"]),
];

/// True when the record is one of [`DISCOVERY_TRIGGERS`].
pub fn is_discovery_call(rec: &Record) -> bool {
    let (source, name) = (rec.event_source(), rec.event_name());
    DISCOVERY_TRIGGERS.iter().any(|t| match t {
        crate::detection::Trigger::Events {
            source: s, names, ..
        } => *s == source && names.contains(&name),
        _ => false,
    })
}

/// Where a counted call came from and whether it was refused: what the discovery
/// windows keep of each record.
pub fn caller_evidence(rec: &Record) -> Evidence {
    Evidence::new()
        .with_opt("source_ip", rec.source_ip())
        .with_opt("user_agent", rec.user_agent())
        .with_opt("error_code", rec.error_code())
}

/// The identity behind the call that stays the same across sessions: the role of an
/// assumed-role session (`sessionContext.sessionIssuer.arn`, when it names a role),
/// else the actor key. A federated user's issuer is the IAM user that asked for its
/// token: the federated user stays itself, since a federation token is a way to keep
/// access after that user's key is rotated, and its name is the requester's choice.
/// Session names change on every assumption (SDKs put a timestamp in them), so a
/// history kept per session would never recognise the role. IAM Identity Center
/// roles (`AWSReservedSSO_*`, path `aws-reserved/sso.amazonaws.com/`) are the
/// exception: every person given a permission set shares its role, and the session
/// name is the person, so the session is kept (one engineer is not another). So is a
/// session named like an e-mail address (`alice@example.com`): SAML and web identity
/// federation name sessions after the person signed in, and a role shared through
/// an identity provider is many people. A session named by its principal id
/// alone is its role's unique id ([`session_role_id`]).
pub fn stable_principal<'r>(rec: &'r Record) -> &'r str {
    let issuer = rec.session_issuer_arn().filter(|a| a.contains(":role/"));
    match issuer {
        Some(role) if !identity_center_role(role) && !person_session(rec) => role,
        _ => session_role_id(rec).unwrap_or_else(|| crate::event::actor_key(rec)),
    }
}

/// The role's unique id (`AROA...`) of an assumed-role session that the record
/// names by its principal id alone (`AROA...:<session>`, no ARN and no session
/// context), as the resource owner's copy of a cross-account call may: the
/// session name is its caller's choice, the role's id is not (from a review,
/// fifteenth session: a nightly job's copies were a new caller every night,
/// and an outside caller could split a burst one session per call).
pub fn session_role_id<'r>(rec: &'r Record) -> Option<&'r str> {
    let u = rec.identity()?;
    if rec.session_issuer_arn().is_some() || u.arn.as_deref().is_some_and(|a| !a.is_empty()) {
        return None;
    }
    let (role, _session) = u.principal_id.as_deref()?.split_once(':')?;
    let id = role.strip_prefix("AROA")?;
    (!id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric())).then_some(role)
}

/// `<account>|<role>` for a window an intruder could split: the role of an
/// assumed-role session whatever the session is named (the caller of `AssumeRole`
/// chooses the name, an e-mail address included), except Identity Center's roles,
/// whose sessions IAM Identity Center names after the person; the user (or root)
/// that issued a federated user's token, whose name the caller of
/// `GetFederationToken` chooses (a token per Region split the Region windows, from
/// a review); else the actor key. [`stable_principal`]'s person-session and
/// federated-user exceptions suit first-seen histories, where splitting only adds
/// findings, not bursts and correlations, where it hides them.
pub fn account_role_term(rec: &Record) -> String {
    let federated = rec.identity_type() == Some("FederatedUser");
    let issuer = rec
        .session_issuer_arn()
        .filter(|a| a.contains(":role/") || (federated && a.starts_with("arn:")));
    let principal = match issuer {
        Some(role) if !identity_center_role_strictly(role) => role,
        _ => session_role_id(rec).unwrap_or_else(|| crate::event::actor_key(rec)),
    };
    joined(&[rec.account_id().unwrap_or("unknown"), principal], '|')
}

/// The session of an assumed role is named like an e-mail address: a person's,
/// as identity providers name them.
fn person_session(rec: &Record) -> bool {
    rec.identity()
        .and_then(|u| u.arn.as_deref())
        .and_then(|arn| arn.rsplit_once('/'))
        .is_some_and(|(_, session)| {
            session
                .split_once('@')
                .is_some_and(|(user, domain)| !user.is_empty() && domain.contains('.'))
        })
}

/// The caller is a session of a role IAM Identity Center made for a permission set:
/// by its issuer when the record names one (its path, or its name where a record
/// writes the role's ARN without the path), else by the role in the session's ARN
/// (`assumed-role/AWSReservedSSO_<set>_<id>/<person>`).
pub fn identity_center_session(rec: &Record) -> bool {
    if let Some(issuer) = rec.session_issuer_arn() {
        return issuer.contains(":role/") && identity_center_role(issuer);
    }
    rec.identity()
        .and_then(|u| u.arn.as_deref())
        .and_then(|arn| arn.split_once(":assumed-role/"))
        .and_then(|(_, rest)| rest.split_once('/'))
        .is_some_and(|(role, _)| role.starts_with("AWSReservedSSO_"))
}

/// A role IAM Identity Center made for a permission set, by its path or its
/// name (some records write the issuer's ARN without its path).
fn identity_center_role(role_arn: &str) -> bool {
    role_arn.contains("/aws-reserved/sso.amazonaws.com/")
        || role_arn
            .rsplit('/')
            .next()
            .is_some_and(|name| name.starts_with("AWSReservedSSO_"))
}

/// [`identity_center_role`], strictly: its path and its name both, as Identity
/// Center writes them (`role/aws-reserved/sso.amazonaws.com/`, a Region
/// sometimes, then `AWSReservedSSO_<permission set>_<id>`). For windows an
/// intruder could split: either alone is a name anyone allowed to create roles
/// can choose (from an identity review: a role named `AWSReservedSSO_x`, or put
/// under that path, split a burst by session name, one session per call).
fn identity_center_role_strictly(role_arn: &str) -> bool {
    let Some((_, path_and_name)) = role_arn.split_once(":role/") else {
        return false;
    };
    let Some(rest) = path_and_name.strip_prefix("aws-reserved/sso.amazonaws.com/") else {
        return false;
    };
    let name = match rest.split_once('/') {
        // A Region, then the name.
        Some((region, name)) if !region.is_empty() && !name.contains('/') => name,
        Some(_) => return false,
        None => rest,
    };
    name.starts_with("AWSReservedSSO_")
}

/// `<account>|<stable principal>`: a first-seen term (or a window's group) of the
/// caller that stays the same across role sessions (see [`stable_principal`]). SDKs
/// name a new session on every assume, so a term on the session ARN would be new on
/// every pipeline run, and a count on it would start again.
pub fn account_principal_term(rec: &Record) -> String {
    joined(
        &[rec.account_id().unwrap_or("unknown"), stable_principal(rec)],
        '|',
    )
}

/// The first-seen observation "this principal did it": the term is
/// `<account>|<stable principal>` and the evidence gains the caller's address and
/// user agent.
pub fn first_seen_by_principal(rec: &Record, evidence: Evidence) -> crate::detection::Signal {
    crate::detection::Signal::FirstSeen {
        term: account_principal_term(rec),
        evidence: evidence
            .with_opt("source_ip", rec.source_ip())
            .with_opt("user_agent", rec.user_agent()),
    }
}

/// `value` counted for the caller: the `Distinct` signal of the windows grouped per
/// account and role (see [`account_role_term`]: a session name, e-mail-like or not,
/// is the caller's choice and must not split a burst). `None` when `value` is blank.
fn counted_per_principal(
    rec: &Record,
    value: &str,
    evidence: Evidence,
) -> Option<crate::detection::Signal> {
    let value = value.trim();
    (!value.is_empty()).then(|| crate::detection::Signal::Distinct {
        group: account_role_term(rec),
        value: value.to_owned(),
        evidence,
    })
}

/// The signal of the windows that count the instances one principal reads (user
/// data, console screenshots): the request's `instanceId`, at its top or wrapped
/// (`GetLaunchTemplateDataRequest.InstanceId`), in either casing (trimmed; `None`
/// when missing or blank), with the caller's address, agent and error code.
pub fn instance_per_principal(rec: &Record) -> Option<crate::detection::Signal> {
    let instance = match rec.request_param_str("instanceId") {
        Some(id) => id,
        None => *super::texts_at_key(rec.request_parameters()?, "instanceId").first()?,
    };
    counted_per_principal(rec, instance, caller_evidence(rec))
}

/// The signal of the windows that count the Regions one principal acts in (failed
/// model calls, compute launches): `awsRegion` (trimmed; `None` when missing or
/// blank), with `evidence`.
pub fn region_per_principal(rec: &Record, evidence: Evidence) -> Option<crate::detection::Signal> {
    counted_per_principal(rec, rec.region()?, evidence)
}

/// The Bedrock calls that run a model (the Bedrock detections on model use):
/// synchronous, streamed both ways, asynchronous (video generation), and batch
/// inference over S3 input (`CreateModelInvocationJob`, added after an evasion
/// review: it runs models at the account's cost as surely as the others).
pub const BEDROCK_MODEL_CALLS: &[&str] = &[
    "InvokeModel",
    "InvokeModelWithResponseStream",
    "InvokeModelWithBidirectionalStream",
    "Converse",
    "ConverseStream",
    "StartAsyncInvoke",
    "CreateModelInvocationJob",
];

#[cfg(test)]
mod stable_principal_tests {
    use super::stable_principal;
    use crate::event::Record;

    fn session(issuer: &str, session_arn: &str) -> String {
        format!(
            r#"{{"eventSource":"ec2.amazonaws.com","eventName":"RunInstances","userIdentity":{{
            "type":"AssumedRole","arn":"{session_arn}","accountId":"111122223333",
            "sessionContext":{{"sessionIssuer":{{"type":"Role","arn":"{issuer}"}}}}}}}}"#
        )
    }

    #[test]
    fn a_role_stands_for_its_sessions_but_an_identity_center_session_is_its_person() {
        let sdk = session(
            "arn:aws:iam::111122223333:role/Deploy",
            "arn:aws:sts::111122223333:assumed-role/Deploy/botocore-session-1717",
        );
        let rec = Record::from_json(&sdk).expect("record");
        assert_eq!(
            stable_principal(&rec),
            "arn:aws:iam::111122223333:role/Deploy"
        );
        let sso_session = "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0a1b2c3d4e5f6a7b/alice@example.com";
        for issuer in [
            "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0a1b2c3d4e5f6a7b",
            "arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0a1b2c3d4e5f6a7b",
        ] {
            let json = session(issuer, sso_session);
            let rec = Record::from_json(&json).expect("record");
            assert_eq!(stable_principal(&rec), sso_session, "{issuer}");
        }
    }

    /// The resource owner's copy of a cross-account call, naming a role session
    /// by its principal id alone: its role's id stands for it, whatever the
    /// session is called, in histories and bursts; other principal ids (a user's
    /// `AIDA...`, a malformed one) stay the actor key.
    #[test]
    fn a_session_named_by_its_principal_id_alone_is_its_role() {
        let copy = |identity: &str| {
            let text = format!(
                r#"{{"eventSource":"dynamodb.amazonaws.com","eventName":"Scan","recipientAccountId":"444455556666","userIdentity":{identity}}}"#
            );
            Record::from_json(Box::leak(text.into_boxed_str())).expect("record")
        };
        for kind in ["AWSAccount", "AssumedRole"] {
            let night = |session: &str| {
                copy(&format!(
                    r#"{{"type":"{kind}","principalId":"AROAEXAMPLEREPORT001:{session}","accountId":"111122223333"}}"#
                ))
            };
            let (monday, tuesday) = (night("task-13a7"), night("task-14a7"));
            assert_eq!(stable_principal(&monday), "AROAEXAMPLEREPORT001", "{kind}");
            assert_eq!(stable_principal(&monday), stable_principal(&tuesday));
            assert_eq!(
                super::account_role_term(&tuesday),
                "444455556666|AROAEXAMPLEREPORT001"
            );
        }
        for other in [
            r#"{"type":"AWSAccount","principalId":"AIDAEXAMPLEUSER0001","accountId":"111122223333"}"#,
            r#"{"type":"AWSAccount","principalId":"AROA:s","accountId":"111122223333"}"#,
            r#"{"type":"AWSAccount","principalId":"AROA x:s","accountId":"111122223333"}"#,
            r#"{"type":"AssumedRole","principalId":"AROAEXAMPLE01:s","arn":"arn:aws:sts::111122223333:assumed-role/R/s","accountId":"111122223333"}"#,
        ] {
            let rec = copy(other);
            assert_eq!(
                stable_principal(&rec),
                crate::event::actor_key(&rec),
                "{other}"
            );
        }
    }

    #[test]
    fn a_session_named_after_a_person_is_that_person() {
        let issuer = "arn:aws:iam::111122223333:role/EngineerSAML";
        let alice = session(
            issuer,
            "arn:aws:sts::111122223333:assumed-role/EngineerSAML/alice@example.com",
        );
        let bob = session(
            issuer,
            "arn:aws:sts::111122223333:assumed-role/EngineerSAML/bob@example.com",
        );
        let [alice, bob] = [&alice, &bob].map(|j| Record::from_json(j).expect("record"));
        assert_eq!(
            stable_principal(&alice),
            "arn:aws:sts::111122223333:assumed-role/EngineerSAML/alice@example.com"
        );
        assert_ne!(stable_principal(&alice), stable_principal(&bob));
        // An SDK session is not a person: the role stands for it.
        let sdk = session(
            issuer,
            "arn:aws:sts::111122223333:assumed-role/EngineerSAML/botocore-session-1717@",
        );
        let sdk = Record::from_json(&sdk).expect("record");
        assert_eq!(stable_principal(&sdk), issuer);
    }

    /// From a review: the name of a federated user is the token's requester's
    /// choice, so the windows an intruder could split count its issuer.
    #[test]
    fn a_burst_counts_a_federated_user_as_the_user_that_issued_its_token() {
        let json = |name: &str| {
            format!(
                r#"{{"eventSource":"ec2.amazonaws.com","eventName":"RunInstances","userIdentity":{{
                "type":"FederatedUser","principalId":"111122223333:{name}",
                "arn":"arn:aws:sts::111122223333:federated-user/{name}","accountId":"111122223333",
                "sessionContext":{{"sessionIssuer":{{"type":"IAMUser","principalId":"AIDAEXAMPLEBOT",
                "arn":"arn:aws:iam::111122223333:user/leaked","accountId":"111122223333",
                "userName":"leaked"}}}}}}}}"#
            )
        };
        for name in ["m0", "m1"] {
            let text = json(name);
            let rec = Record::from_json(&text).expect("record");
            assert_eq!(
                super::account_role_term(&rec),
                "111122223333|arn:aws:iam::111122223333:user/leaked"
            );
        }
        // The user's own call (its key, no token) is the same term as its tokens'.
        let user = json("m0")
            .replace(r#""type":"FederatedUser""#, r#""type":"IAMUser""#)
            .replace(
                "arn:aws:sts::111122223333:federated-user/m0",
                "arn:aws:iam::111122223333:user/leaked",
            );
        let rec = Record::from_json(&user).expect("record");
        assert_eq!(
            super::account_role_term(&rec),
            "111122223333|arn:aws:iam::111122223333:user/leaked"
        );
    }

    /// From an identity review: a role named like Identity Center's, or put
    /// under its path, split a burst by session, one session per call. Only
    /// both together keep the session apart.
    #[test]
    fn a_burst_keeps_sessions_apart_only_for_identity_centers_own_roles() {
        let term = |issuer: &str, session: &str| {
            let role = issuer.rsplit('/').next().unwrap_or_default();
            let json = format!(
                r#"{{"eventSource":"ec2.amazonaws.com","eventName":"TerminateInstances","userIdentity":{{
                "type":"AssumedRole","principalId":"AROAEXAMPLE:{session}",
                "arn":"arn:aws:sts::111122223333:assumed-role/{role}/{session}","accountId":"111122223333",
                "sessionContext":{{"sessionIssuer":{{"type":"Role","principalId":"AROAEXAMPLE",
                "arn":"{issuer}","accountId":"111122223333","userName":"{role}"}}}}}}}}"#
            );
            super::account_role_term(&Record::from_json(&json).expect("record"))
        };
        for lookalike in [
            "arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0a1b2c3d4e5f6a7b",
            "arn:aws:iam::111122223333:role/team/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0a1b",
            "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/Wiper",
            "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/a/b/AWSReservedSSO_Admin_0a1b",
        ] {
            assert_eq!(term(lookalike, "s1"), term(lookalike, "s2"), "{lookalike}");
            assert_eq!(term(lookalike, "s1"), format!("111122223333|{lookalike}"));
        }
        for own in [
            "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0a1b2c3d4e5f6a7b",
            "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0a1b",
        ] {
            assert_ne!(term(own, "alice"), term(own, "bob"), "{own}");
        }
    }

    #[test]
    fn a_federated_user_is_not_merged_with_the_user_that_issued_its_token() {
        let json = r#"{"eventSource":"ec2.amazonaws.com","eventName":"RunInstances","userIdentity":{
            "type":"FederatedUser","principalId":"111122223333:contractor",
            "arn":"arn:aws:sts::111122223333:federated-user/contractor","accountId":"111122223333",
            "sessionContext":{"sessionIssuer":{"type":"IAMUser","principalId":"AIDAEXAMPLEBOT",
            "arn":"arn:aws:iam::111122223333:user/build-bot","accountId":"111122223333",
            "userName":"build-bot"}}}}"#;
        let rec = Record::from_json(json).expect("record");
        assert_eq!(
            stable_principal(&rec),
            "arn:aws:sts::111122223333:federated-user/contractor"
        );
    }
}
