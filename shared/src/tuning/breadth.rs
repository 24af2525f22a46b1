//! Whether a `[suppress.match]` is too broad: it covers every record, names an
//! identity without its account, or matches only what a caller chooses.

use super::{Cidr, Glob};
use crate::detections::common::{arn_account, is_account_id};

/// Whether an entry (`(path, |cidr, values)` per key) can be matched by anyone
/// with stolen keys. Either some key matches what a caller writes beside its
/// call at no cost (an agent, a TLS host, a source identity, a session name,
/// a private address: any value of it, since a list is any of its values) and
/// no key pins who the caller is (every value of it); or every key is such a
/// value or a request parameter. A request parameter alone is the caller's
/// too, but beside a key about the account or the call it narrows what was
/// done, which the caller cannot change without doing something else. From a
/// review: an entry on `userAgent = "*Terraform/*"` passed `tuning check
/// --strict`, and any SDK can send that agent.
pub(super) fn caller_chosen_only(keys: &[(String, bool, Vec<String>)]) -> bool {
    let through_endpoint = keys.iter().any(|(path, _, values)| {
        (path == "vpcEndpointId" || path == "vpcEndpointAccountId")
            && values.iter().all(|v| !v.contains(['*', '?']))
    });
    // A service's own record (`userIdentity.type` `AWSService` alone) has no
    // other identity than the service: stolen keys cannot make one, and its
    // `invokedBy` names who.
    let service_record = keys.iter().any(|(path, _, values)| {
        path == "userIdentity.type"
            && !values.is_empty()
            && values.iter().all(|v| v == "AWSService")
    });
    // A federated user's name and the service a call went through are the
    // caller's choice too: any IAM user allowed `GetFederationToken` names its
    // session, and anyone allowed to run a stack or an automation calls
    // through CloudFormation or Systems Manager (from a review of tuning
    // mistakes: both passed `--strict` as naming who called, and an intruder's
    // `StopLogging` matched).
    let chosen = |path: &str, cidr: bool, v: &str| {
        path == "userAgent"
            || (path == "userIdentity.invokedBy" && !service_record)
            // A service's name as the source address is the service a call
            // went through, as `invokedBy` is (from a review).
            || (path == "sourceIPAddress" && !address_like(v, cidr))
            || (is_evidence(path) && !(reach_evidence(path) && names_account(v)))
            || path == "userIdentity.sessionContext.sourceIdentity"
            || path.starts_with("tlsDetails.")
            || (IDENTITY_ARN_FIELDS.contains(&path)
                && (session_only_arn(v) || federated_user_arn(v)))
            || (PRINCIPAL_ID_FIELDS.contains(&path)
                && (v.starts_with(['*', '?']) || federated_principal_id(v)))
            || (path == "sourceIPAddress" && !through_endpoint && private_address(v, cidr))
    };
    // A value names the caller only without wildcards where the name is
    // (`vpce-*` is any endpoint, `user/*` any user; from a review).
    let pins = |path: &str, cidr: bool, v: &str| {
        let literal = !v.contains(['*', '?']);
        match path {
            "userIdentity.invokedBy" => service_record && literal,
            "vpcEndpointId"
            | "vpcEndpointAccountId"
            | "userIdentity.accessKeyId"
            | "userIdentity.userName"
            | "userIdentity.sessionContext.sessionIssuer.userName" => literal,
            "sourceIPAddress" => public_network(v, cidr),
            _ if IDENTITY_ARN_FIELDS.contains(&path) => names_principal_arn(v),
            _ if PRINCIPAL_ID_FIELDS.contains(&path) => names_one_principal(v),
            // Not the caller, but where a share or trust may reach: only the
            // accounts listed, so stolen keys gain nothing (`names_account`).
            _ if reach_evidence(path) => names_account(v),
            _ => false,
        }
    };
    let free = keys
        .iter()
        .any(|(path, cidr, values)| values.iter().any(|v| chosen(path, *cidr, v)));
    let pinned = keys
        .iter()
        .any(|(path, cidr, values)| values.iter().all(|v| pins(path, *cidr, v)));
    // A key that takes any value of a field every record has pads an entry
    // without narrowing it (from a review: `eventVersion = "*"` beside a request
    // parameter took the warning away).
    let narrowing: Vec<_> = keys
        .iter()
        .filter(|(path, cidr, values)| !any_value_of_every_record(path, *cidr, values))
        .collect();
    let all_chosen = !narrowing.is_empty()
        && narrowing.iter().all(|(path, cidr, values)| {
            REQUEST_SIDE.iter().any(|p| path.starts_with(p))
                || values.iter().any(|v| chosen(path, *cidr, v))
        });
    (free && !pinned) || all_chosen
}

/// What the call asked for and what it returned: the caller's choice, which the
/// response echoes (a new user's name in `responseElements`; from a review).
const REQUEST_SIDE: &[&str] = &[
    "requestParameters.",
    "responseElements.",
    "additionalEventData.",
];

fn any_value_of_every_record(path: &str, cidr: bool, values: &[String]) -> bool {
    ALWAYS_WRITTEN.contains(&path) && values.iter().any(|v| matches_anything(cidr, v))
}

/// Whether an entry can match a failed sign-in's record, whose identity is the
/// user whose name was typed, by anyone. It cannot when a key asks for a field
/// sign-ins never have (request parameters, a session, an access key, a
/// service that called), or for a value theirs never take: another event
/// source, event name, event type or identity type, a role's or a session's
/// ARN or principal id, `readOnly` true. From two reviews: first an entry
/// naming a user over every detection, then `userIdentity.type` written as a
/// glob (`R*t`) or a list, beside a field every failed sign-in carries
/// (`responseElements.ConsoleLogin` `Failure`), silenced guesses at passwords.
pub(super) fn may_match_a_sign_in(keys: &[(String, bool, Vec<String>)]) -> bool {
    let takes = |values: &[String], text: &str| {
        values
            .iter()
            .any(|v| Glob::new(v).is_ok_and(|g| g.matches(text)))
    };
    let never = |values: &[String], kinds: &[&str]| {
        values.iter().all(|v| kinds.iter().any(|k| v.contains(k)))
    };
    let kept_off = keys.iter().any(|(path, _, values)| match path.as_str() {
        "eventSource" => !takes(values, "signin.amazonaws.com"),
        "eventName" => !SIGN_IN_EVENT_NAMES.iter().any(|n| takes(values, n)),
        "eventType" => !takes(values, "AwsConsoleSignIn"),
        "readOnly" => !takes(values, "false"),
        "userIdentity.type" => !SIGN_IN_IDENTITY_TYPES.iter().any(|t| takes(values, t)),
        // Sign-ins carry an empty access key id.
        "userIdentity.accessKeyId" => !takes(values, ""),
        "userIdentity.arn" => never(values, &["assumed-role/", ":role/", "federated-user/"]),
        "userIdentity.principalId" => never(values, &["AROA"]),
        path => !SIGN_IN_FIELDS.iter().any(|f| {
            path == *f
                || path
                    .strip_prefix(*f)
                    .is_some_and(|rest| rest.starts_with('.'))
        }),
    });
    !kept_off
}

/// The fields a failed sign-in's record may have (a key on any other asks
/// for a field it never has); those that hold objects take the keys below
/// them too. A test in `catalog` holds every sign-in sample's fields to it.
pub const SIGN_IN_FIELDS: &[&str] = &[
    "eventVersion",
    "eventTime",
    "eventSource",
    "eventName",
    "awsRegion",
    "sourceIPAddress",
    "userAgent",
    "errorMessage",
    "errorCode",
    "requestID",
    "eventID",
    "readOnly",
    "eventType",
    "managementEvent",
    "recipientAccountId",
    "eventCategory",
    "responseElements",
    "additionalEventData",
    "serviceEventDetails",
    "tlsDetails",
    "userIdentity.type",
    "userIdentity.principalId",
    "userIdentity.arn",
    "userIdentity.accountId",
    "userIdentity.accessKeyId",
    "userIdentity.userName",
    "userIdentity.onBehalfOf",
    "userIdentity.credentialId",
];

/// The identity types a failed sign-in's record carries: IAM users, the root
/// user, IAM Identity Center's users (`IdentityCenterUser`, `Unknown` in its
/// older records; a test holds the samples to this list).
pub const SIGN_IN_IDENTITY_TYPES: &[&str] = &["IAMUser", "Root", "IdentityCenterUser", "Unknown"];

/// The event names of the sign-in attempts `catalog::reports_sign_in_attempts`
/// names (a test in `catalog` holds them to those detections' triggers).
pub const SIGN_IN_EVENT_NAMES: &[&str] = &[
    "ConsoleLogin",
    "CredentialVerification",
    "PasswordRecoveryRequested",
    "PasswordRecoveryCompleted",
    "PasswordUpdated",
];

/// Whether an entry narrows only by where and how a call was recorded: every
/// key is about the account, the Region, the call's name, the identity's type
/// or the record itself, takes any value of a field, or names identities by
/// their kind alone (`role/*`, `assumed-role*`, a user name or principal id
/// that begins with a wildcard, an access key id by its first letters). Such an
/// entry silences every caller there. The type `Root` alone is the exception:
/// with the account, it names one principal; and a literal event or request id
/// names one call.
pub(super) fn where_only(keys: &[(String, bool, Vec<String>)]) -> bool {
    // A list matches when any of its values does: one broad value makes the
    // key broad (from a review: `["<an event id>", "*"]` passed).
    keys.iter().all(|(path, cidr, values)| {
        let path = path.as_str();
        let any = |broad: &dyn Fn(&str) -> bool| values.iter().any(|v| broad(v));
        match path {
            "userIdentity.type" => !values.iter().all(|v| v == "Root"),
            // IAM's unique ids, access key ids and event ids are some 20
            // characters or more: a shorter literal beginning (`A*`, `AROA*`)
            // names none of them.
            "eventID" | "requestID" | "sharedEventID" | "userIdentity.accessKeyId" => {
                any(&short_head)
            }
            _ if PRINCIPAL_ID_FIELDS.contains(&path) => any(&short_head),
            // Any address, or a service's name: anyone calling through the
            // service is logged with it.
            "sourceIPAddress" => {
                any_value_of_every_record(path, *cidr, values) || any(&|v| !address_like(v, *cidr))
            }
            "userIdentity.invokedBy" => true,
            "vpcEndpointId" => any(&|v| v.contains(['*', '?'])),
            _ if IDENTITY_ARN_FIELDS.contains(&path) => any(&kind_only_arn),
            "userIdentity.userName" | "userIdentity.sessionContext.sessionIssuer.userName" => {
                any(&|v| v.starts_with(['*', '?']))
            }
            _ if KIND_FIELDS.contains(&path) => true,
            // What AWS issued the credentials to (`credentialsIssuedTo`, and
            // any other ARN of `inScopeOf`): one instance or function by its
            // whole resource part (a Region or account left open still names
            // one), else a kind of them: a wildcard there names many (every
            // instance id starts `i-`). From two reviews: `arn:aws:ec2:*` and
            // `instance/i-*` silenced every instance's credentials, stolen
            // ones included, and passed `--strict`.
            _ if path.starts_with("userIdentity.inScopeOf.") => any(&|v| {
                kind_only_arn(v)
                    || v.splitn(6, ':')
                        .nth(5)
                        .is_none_or(|resource| resource.contains(['*', '?']))
            }),
            // Any value of a field asks only that the field be written: every
            // StopLogging names its trail (from a review: `"requestParameters.name"
            // = "*"` beside an account passed `--strict`).
            _ => {
                ALWAYS_WRITTEN.contains(&path)
                    || BOOKKEEPING_FIELDS.contains(&path)
                    || ACCOUNT_FIELDS.contains(&path)
                    || path.starts_with("userIdentity.sessionContext.attributes.")
                    || any(&|v| matches_anything(*cidr, v))
            }
        }
    })
}

/// Whether a principal id glob names one principal: it begins with IAM's
/// unique id (`AROA...:*` is one role's sessions), or it is the root user's,
/// the account id written whole. From a review: `A*` and `AROA*` name a kind,
/// yet counted as naming the caller, so an entry on `userAgent` alone passed
/// `--strict` beside one. A federated user's, `<account id>:<name>`, names
/// a session its issuer chose ([`federated_principal_id`]).
fn names_one_principal(v: &str) -> bool {
    let id = v.split([':', '*', '?']).next().unwrap_or("");
    iam_unique_id(id) || (!v.contains(['*', '?', ':']) && is_account_id(id))
}

/// A federated user's principal id, `<account id>:<name>`: the name is the
/// one the caller of `GetFederationToken` gave it; so is a glob of one
/// (`111122223333?trail-rotator`, `111122223333*rotator`; from a review).
fn federated_principal_id(v: &str) -> bool {
    let head_end = v.find([':', '*', '?']).unwrap_or(v.len());
    is_account_id(&v[..head_end]) && head_end < v.len()
}

/// A federated user's ARN (`arn:aws:sts::<account>:federated-user/<name>`):
/// the name is the one its issuer gave it, any IAM user allowed
/// `GetFederationToken` can give the same; the issuer
/// (`sessionContext.sessionIssuer.arn`) names who.
fn federated_user_arn(glob: &str) -> bool {
    glob.splitn(6, ':')
        .nth(5)
        .is_some_and(|resource| resource.starts_with("federated-user/"))
}

/// IAM's unique ids (`AIDA...`, `AROA...`, `AKIA...`): some 20 upper-case
/// letters and digits, unique across accounts. Shorter, it is a prefix of many.
fn iam_unique_id(id: &str) -> bool {
    id.len() >= 16
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// A glob whose literal beginning, before its first wildcard, is shorter than
/// an id: it names no one id.
fn short_head(v: &str) -> bool {
    v.find(['*', '?']).is_some_and(|at| at < 16)
}

/// Fields that name a kind of caller only, whatever their value: the kind of
/// resource credentials were issued to (every instance, every function), how an
/// instance's credentials were delivered, the web identity provider (every
/// workflow of a CI service) and the Identity Center directory (every user).
const KIND_FIELDS: &[&str] = &[
    "userIdentity.inScopeOf.issuerType",
    "userIdentity.inScopeOf.credentialsIssuedToVersion",
    "userIdentity.sessionContext.ec2RoleDelivery",
    "userIdentity.sessionContext.webIdFederationData.federatedProvider",
    "userIdentity.onBehalfOf.identityStoreArn",
];

/// Fields about how a call was recorded that not every record has: with
/// [`ALWAYS_WRITTEN`] (the source address aside), what [`where_only`] takes
/// as bookkeeping rather than who made the call or on what.
const BOOKKEEPING_FIELDS: &[&str] = &[
    "readOnly",
    "managementEvent",
    "apiVersion",
    "sharedEventID",
    "userIdentity.sessionContext.sessionIssuer.type",
];

/// Whether a `sourceIPAddress` value is written as an address (a block, an
/// address, or a glob of an address's characters with a digit or a `:`), not
/// a service's name: `c*` and `c?????????????.?????????.c??` are made of hex
/// letters and match `cloudformation.amazonaws.com` (from a review).
fn address_like(value: &str, cidr: bool) -> bool {
    cidr || value.parse::<std::net::IpAddr>().is_ok()
        || (value
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || matches!(b, b'.' | b':' | b'*' | b'?'))
            && value.bytes().any(|b| b.is_ascii_digit() || b == b':'))
}

/// A public network, whole or by its first octets, not wider than an
/// organisation's: where a caller is. A service's name
/// (`cloudformation.amazonaws.com`, `AWS Internal`) is no network: anyone
/// calling through the service is logged so.
fn public_network(v: &str, cidr: bool) -> bool {
    address_like(v, cidr)
        && !private_address(v, cidr)
        && !v.starts_with(['*', '?'])
        && narrow_network(v, cidr)
}

/// Whether some key names where the caller is: a `sourceIPAddress` key whose
/// every value is a public network (see [`public_network`]).
pub(super) fn names_a_network(keys: &[(String, bool, Vec<String>)]) -> bool {
    keys.iter().any(|(path, cidr, values)| {
        path == "sourceIPAddress"
            && !values.is_empty()
            && values.iter().all(|v| public_network(v, *cidr))
    })
}

/// Fields CloudTrail writes in every record, or nearly (a service's own
/// identity has no account id): a key on one of them that takes any value
/// narrows nothing (on another field, `"*"` asks that it be there).
pub(super) const ALWAYS_WRITTEN: &[&str] = &[
    "eventVersion",
    "eventTime",
    "eventSource",
    "eventName",
    "awsRegion",
    "eventID",
    "eventType",
    "recipientAccountId",
    "sourceIPAddress",
    "eventCategory",
    "requestID",
    "userIdentity.type",
    "userIdentity.accountId",
];

/// A value that every value of a field matches, or nearly: a glob of
/// wildcards alone with a `*` (`*`, `?*`), a block of half the addresses or
/// more (`0.0.0.0/0`, `128.0.0.0/1`, `::/0`; from a review: two /1 blocks are
/// every IPv4 address).
pub(super) fn matches_anything(cidr: bool, value: &str) -> bool {
    if cidr {
        return Cidr::new(value).is_ok_and(|b| b.prefix_len() <= 1);
    }
    value.contains('*') && value.chars().all(|ch| ch == '*' || ch == '?')
}

/// Whether a public `sourceIPAddress` value is narrow enough to name a caller's
/// network: a block of at most a /16 (IPv4) or a /32 (IPv6), or a glob whose
/// text before any wildcard holds two whole IPv4 octets or two IPv6 groups.
/// `3.0.0.0/8` is a cloud provider's, `2000::/3` every global IPv6 address: an
/// intruder's machines are there too (from a review).
fn narrow_network(value: &str, cidr: bool) -> bool {
    if cidr {
        return Cidr::new(value).is_ok_and(|b| b.prefix_len() >= if b.is_ipv4() { 16 } else { 32 });
    }
    let Some(at) = value.find(['*', '?']) else {
        return true;
    };
    let head = &value[..at];
    if head.contains(':') {
        head.matches(':').count() >= 2
    } else {
        head.matches('.').count() >= 2
    }
}

/// An identity ARN glob that names no principal, only what the caller picks:
/// a session name under any role (`arn:aws:sts::111122223333:assumed-role/*/ci`),
/// or a resource part that begins with a wildcard.
fn session_only_arn(glob: &str) -> bool {
    let Some(resource) = glob.splitn(6, ':').nth(5) else {
        return true;
    };
    match resource.strip_prefix("assumed-role/") {
        Some(rest) => rest
            .split('/')
            .next()
            .is_none_or(|role| role.is_empty() || role.contains(['*', '?'])),
        None => resource.starts_with(['*', '?']),
    }
}

/// An identity ARN glob that names a kind of principal only: no resource part,
/// a wildcard in its kind (`assumed-role*`), or a path segment that begins with
/// a wildcard (`role/*`, `user/*`, `assumed-role/*/ci`, every role under a path:
/// `role/aws-reserved/sso.amazonaws.com/*`, from a review).
fn kind_only_arn(glob: &str) -> bool {
    let Some(resource) = glob.splitn(6, ':').nth(5) else {
        return true;
    };
    match resource.split_once('/') {
        // An assumed role's ARN is the role's name, then the session's,
        // which the caller picks: the role's name alone says who.
        Some(("assumed-role", name)) => name
            .split('/')
            .next()
            .is_none_or(|role| role.is_empty() || role.starts_with(['*', '?'])),
        Some((kind, name)) => {
            kind.contains(['*', '?'])
                || name.is_empty()
                || name
                    .split('/')
                    .any(|segment| segment.starts_with(['*', '?']))
        }
        // `root` names the account's root user; `*` names nothing.
        None => resource.is_empty() || resource.contains(['*', '?']),
    }
}

/// An identity ARN glob that names one principal: an assumed role's literal role
/// name (any session of it), or a user's or role's literal resource part.
fn names_principal_arn(glob: &str) -> bool {
    let Some(resource) = glob.splitn(6, ':').nth(5) else {
        return false;
    };
    match resource.strip_prefix("assumed-role/") {
        Some(_) => !session_only_arn(glob),
        None => !resource.is_empty() && !resource.contains(['*', '?']) && !federated_user_arn(glob),
    }
}

/// A `sourceIPAddress` value (a block with `|cidr`, else a glob) that can hold
/// a private address (RFC 1918, shared address space, loopback, IPv6 unique
/// local): what a VPC endpoint in any account, the intruder's included, logs
/// as the caller's address. A glob is judged by its text before any wildcard.
fn private_address(value: &str, cidr: bool) -> bool {
    if cidr {
        return private_block(value);
    }
    if value.parse::<std::net::IpAddr>().is_ok() {
        return private_block(value);
    }
    let head = value.split(['*', '?']).next().unwrap_or("");
    let lower = head.to_ascii_lowercase();
    if head.is_empty() || lower.starts_with("fc") || lower.starts_with("fd") {
        return true;
    }
    let octets: Vec<&str> = head.split('.').collect();
    let (first, second) = (octets[0], octets.get(1).copied());
    // The second octet written in full (a dot after it), else still open.
    let second = second
        .filter(|_| octets.len() > 2)
        .and_then(|o| o.parse::<u16>().ok());
    match (octets.len(), first.parse::<u16>().ok()) {
        // One octet, perhaps unfinished: `1*` may be 10, 100, 127, 172 or 192.
        (1, _) => ["10", "100", "127", "172", "192"]
            .iter()
            .any(|p| p.starts_with(first)),
        (_, Some(10 | 127)) => true,
        (_, Some(192)) => second.is_none_or(|b| b == 168),
        (_, Some(172)) => second.is_none_or(|b| (16..32).contains(&b)),
        (_, Some(100)) => second.is_none_or(|b| (64..128).contains(&b)),
        _ => false,
    }
}

/// Whether a block (or a bare address) overlaps a private range (see
/// [`private_address`]): `0.0.0.0/0` holds them all (from a review).
fn private_block(block: &str) -> bool {
    const PRIVATE: &[&str] = &[
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "fc00::/7",
    ];
    Cidr::new(block).is_ok_and(|b| {
        PRIVATE
            .iter()
            .filter_map(|p| Cidr::new(p).ok())
            .any(|p| p.overlaps(&b))
    })
}

/// Fields that name a principal by a name any account can create.
const IDENTITY_NAME_FIELDS: &[&str] = &[
    "userIdentity.userName",
    "userIdentity.arn",
    "userIdentity.principalId",
    "userIdentity.sessionContext.sessionIssuer.userName",
    "userIdentity.sessionContext.sessionIssuer.arn",
];

/// The principal id fields: IAM's unique ids are unique across accounts.
const PRINCIPAL_ID_FIELDS: &[&str] = &[
    "userIdentity.principalId",
    "userIdentity.sessionContext.sessionIssuer.principalId",
];

/// The identity ARN fields: an ARN that writes its account id pins it.
const IDENTITY_ARN_FIELDS: &[&str] = &[
    "userIdentity.arn",
    "userIdentity.sessionContext.sessionIssuer.arn",
];

/// Fields whose literal value is the caller's account id (not
/// `recipientAccountId`: a cross-account call is recorded under the account it
/// acts on).
const ACCOUNT_FIELDS: &[&str] = &[
    "userIdentity.accountId",
    "userIdentity.sessionContext.sessionIssuer.accountId",
];

/// The first identity-name field among an entry's glob keys (`(path, values)`)
/// when no key pins the caller's account: an account field with literal ids only,
/// an identity ARN key whose every value writes its account id
/// (`arn:aws:iam::<12 digits>:...`), or a principal id key whose every value
/// begins with a literal unique id (`AROA...:*`: IAM's ids are unique across
/// accounts).
pub(super) fn identity_without_account(keys: &[(String, Vec<String>)]) -> Option<&str> {
    let literal_account = crate::detections::common::is_account_id;
    let arn_account = |v: &str| v.split(':').nth(4).is_some_and(literal_account);
    // A principal id that begins with IAM's unique id (`AROA...:*`, `AIDA...*`),
    // or the root user's, which is the account id.
    // A federated user's is `<account id>:<name>`.
    let unique_id = |v: &str| {
        let id = v.split([':', '*', '?']).next().unwrap_or("");
        literal_account(id) || iam_unique_id(id)
    };
    let pinned = keys.iter().any(|(path, values)| {
        let path = path.as_str();
        (ACCOUNT_FIELDS.contains(&path) && values.iter().all(|v| literal_account(v)))
            || (IDENTITY_ARN_FIELDS.contains(&path) && values.iter().all(|v| arn_account(v)))
            || (PRINCIPAL_ID_FIELDS.contains(&path) && values.iter().all(|v| unique_id(v)))
    });
    if pinned {
        return None;
    }
    keys.iter()
        .map(|(path, _)| path.as_str())
        .find(|path| IDENTITY_NAME_FIELDS.contains(path))
}

/// The request fields that hold a policy document as text, as CloudTrail logs
/// them (IAM's `policyDocument` and `assumeRolePolicyDocument`, KMS's, EFS's and
/// AWS Backup's `policy`, ECR's `policyText`, Secrets Manager's
/// `resourcePolicy`, OpenSearch's `accessPolicies`, an SNS or SQS attribute's
/// `attributeValue`, an organisation policy's `content`...).
const POLICY_TEXT_FIELDS: &[&str] = &[
    "policyDocument",
    "assumeRolePolicyDocument",
    "policy",
    "keyPolicy",
    "policyText",
    "resourcePolicy",
    "policyInJson",
    "inlinePolicy",
    "accessPolicies",
    "attributeValue",
    "content",
    "Policy",
];

/// Whether a key matches a policy document's text with a wildcard: a field that
/// holds one ([`POLICY_TEXT_FIELDS`], as named in the record), a value with an
/// unescaped `*` or `?`. Such a glob (`"*arn:aws:iam::999988887777:root*"`) also
/// matches the document with another principal or statement added beside the
/// text it names (from a review: the only entry a CDK bootstrap's cross-account
/// trust could be given let an outsider's account beside it through). A
/// document written out whole, without wildcards, matches itself only.
pub(super) fn glob_over_policy_text(path: &str, globs: &[super::Glob]) -> bool {
    let last = path.rsplit('.').next().unwrap_or(path);
    let last = last.strip_suffix(super::LIST_MARK).unwrap_or(last);
    POLICY_TEXT_FIELDS.contains(&last) && globs.iter().any(|g| !g.is_literal())
}

/// Whether a key goes through a policy's statements into their principals
/// (`...Statement[].Principal.AWS`, `NotPrincipal` too) with a value that takes
/// everyone (`"*"`) or any account (`arn:aws:iam::*:root`, an account id glob).
/// The values a list path takes must match every statement's, so an entry
/// written for a policy whose deny names everyone (the TLS-only deny of every
/// CDK bucket) matches an allow to everyone too (from a review).
pub(super) fn principal_everyone(path: &str, globs: &[super::Glob]) -> bool {
    let parts: Vec<&str> = path
        .split('.')
        .map(|p| p.strip_suffix(super::LIST_MARK).unwrap_or(p))
        .collect();
    let principal = parts
        .iter()
        .position(|p| *p == "Statement")
        .is_some_and(|s| {
            parts[s..]
                .iter()
                .any(|p| matches!(*p, "Principal" | "NotPrincipal"))
        });
    principal && takes_outsiders(globs)
}

/// Whether a key reads the finding's evidence (`evidence.other_accounts[]`)
/// with a value that takes everyone (`"*"`) or any account: the share or trust
/// with an outsider matches as surely as one with the accounts meant.
pub(super) fn evidence_takes_anyone(path: &str, globs: &[super::Glob]) -> bool {
    is_evidence(path) && takes_outsiders(globs)
}

/// Whether some glob takes a principal no entry means to name: everyone, or an
/// account nobody owns (so any account).
fn takes_outsiders(globs: &[super::Glob]) -> bool {
    let outsiders = ["*", "arn:aws:iam::000000000000:root", "000000000000"];
    globs.iter().any(|g| outsiders.iter().any(|o| g.matches(o)))
}

/// Whether a `match` key reads the finding's evidence rather than the record.
fn is_evidence(path: &str) -> bool {
    path.strip_prefix(super::EVIDENCE_ROOT)
        .is_some_and(|rest| rest.starts_with('.'))
}

/// The evidence keys that name where a share, a trust, a copy or a key reaches
/// outside the record's account: the accounts or principals, never the
/// record's own (`tests/events.rs` holds the samples' findings to that).
/// An entry listing accounts in one of them (`names_account`) pins what an
/// intruder could gain to those accounts. Other evidence keys that hold an
/// account (`account`, `target_account`: the account acted on) do not.
pub const REACH_EVIDENCE_KEYS: &[&str] = &[
    "other_accounts",
    "other_account",
    "trusted_principals",
    "other_principals",
    "grantee",
    "kms_key_account",
    "layers_from_other_accounts",
    "to_account",
];

/// The evidence keys that say a share, trust or policy reaches further than
/// the accounts a reach key lists: everyone (`public`), organisations, and a
/// trust's federated principals (an identity provider's users, which no
/// account names). An entry with a reach key misses a finding that holds any
/// of them (from a review: `"evidence.other_accounts[]"` listing a partner
/// silenced a snapshot made public beside it, and a trust of the pipeline
/// account silenced a GitHub owner's workflows added beside it).
pub const WIDER_REACH_KEYS: &[&str] = &[
    "public",
    "other_organizations",
    "organizations",
    "organizations_granted",
    "federated_principals",
];

/// Whether `evidence` holds one of [`WIDER_REACH_KEYS`] with a value (not
/// `false`, `null`, an empty list or text) that the entry does not name itself
/// (`named`: an entry listing the organisations it allows pins that reach too;
/// a review of the ninth session).
pub(super) fn reaches_wider(
    evidence: &crate::detection::Evidence,
    named: impl Fn(&str) -> bool,
) -> bool {
    use serde_json::Value;
    evidence.0.iter().any(|(k, v)| {
        WIDER_REACH_KEYS.contains(&k.as_ref())
            && !named(k.as_ref())
            && match v {
                Value::Null | Value::Bool(false) => false,
                Value::Array(items) => !items.is_empty(),
                Value::String(s) => !s.is_empty(),
                _ => true,
            }
    })
}

/// Whether a key is `evidence.<key>` or `evidence.<key>[]` with a key of
/// [`REACH_EVIDENCE_KEYS`].
pub(super) fn reach_evidence(path: &str) -> bool {
    path.strip_prefix(super::EVIDENCE_ROOT)
        .and_then(|rest| rest.strip_prefix('.'))
        .map(|key| key.strip_suffix(super::LIST_MARK).unwrap_or(key))
        .is_some_and(|key| REACH_EVIDENCE_KEYS.contains(&key))
}

/// Whether a value names accounts that it writes out: a 12-digit account id, or
/// an ARN whose account is one, without a wildcard up to it
/// (`arn:aws:iam::111122223333:role/cdk-*`). Listed in an evidence key
/// (`evidence.other_accounts[]`), such values let a share or a trust reach
/// those accounts only, so whoever made the call, an intruder gains nothing
/// from the entry.
fn names_account(value: &str) -> bool {
    let written_out_to_the_account = || {
        let parts: Vec<&str> = value.splitn(6, ':').collect();
        parts.len() == 6 && parts[..4].iter().all(|p| !p.contains(['*', '?', '\\']))
    };
    is_account_id(value) || (arn_account(value).is_some() && written_out_to_the_account())
}
