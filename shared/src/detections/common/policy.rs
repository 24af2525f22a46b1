//! data-exposure: resource policies, sharing lists and callers, shared by the
//! detections of the data-exposure group.

use crate::detection::Evidence;
use crate::event::Record;

use super::general::account_actor_group;

/// True for a 12-digit AWS account id.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The account of an ARN (`arn:<partition>:<service>:<region>:<account>:...`),
/// when it is a 12-digit account id.
pub fn arn_account(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    if parts.next()? != "arn" {
        return None;
    }
    let account = parts.nth(3)?;
    is_account_id(account).then_some(account)
}

/// Whether `id` (trimmed) is a 12-digit account id other than `own`.
pub fn is_other_account(id: &str, own: Option<&str>) -> bool {
    let id = id.trim();
    is_account_id(id) && Some(id) != own
}

/// The distinct 12-digit account ids among `ids` that are not `own`, trimmed and
/// sorted: the other accounts a share, a grant or a link names.
pub fn other_accounts<'a>(
    ids: impl IntoIterator<Item = &'a str>,
    own: Option<&str>,
) -> Vec<&'a str> {
    let mut out: Vec<&str> = ids
        .into_iter()
        .map(str::trim)
        .filter(|a| is_other_account(a, own))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// `id` (trimmed), when it is a 12-digit account id other than the record's own.
pub fn foreign_account<'a>(rec: &Record, id: &'a str) -> Option<&'a str> {
    let id = id.trim();
    is_other_account(id, rec.account_id()).then_some(id)
}

/// The account an ARN names (`arn`, as the request gives it), when it is not the
/// account the record was made in: a vault, a log destination, an event bus of
/// another account.
pub fn foreign_arn_account<'a>(rec: &Record, arn: &'a str) -> Option<&'a str> {
    foreign_account(rec, arn_account(arn.trim())?)
}

/// The account of a KMS key named by ARN (`key`, as the request gives it), when it is
/// not the account the record was made in: a key a bare id or an alias names is the
/// caller's own, and has no account in it. For the detections of data re-encrypted
/// under another account's key.
pub fn foreign_key_account<'k>(rec: &Record, key: &'k str) -> Option<&'k str> {
    foreign_arn_account(rec, key)
}

/// A policy document carried by a request field: CloudTrail writes it as JSON text
/// (KMS, ECR, Secrets Manager, Identity Center) or as an object (S3
/// `bucketPolicy`). Text that opens with a percent escape is decoded first, as
/// IAM's documents are (`create_policy_version_allow_all::policy_document_param`):
/// a JSON document cannot start with `%`. `None` when it is neither, or text that
/// is not a JSON object.
pub fn policy_document(v: &serde_json::Value) -> Option<serde_json::Value> {
    match v {
        serde_json::Value::Object(_) => Some(v.clone()),
        // A lone surrogate escape in the text must not hide the whole policy.
        serde_json::Value::String(s) => {
            let text = crate::detections::create_policy_version_allow_all::decoded_document_text(
                s.trim(),
            )?;
            crate::event::surrogates::parse_value(text.trim()).filter(|d| d.is_object())
        }
        _ => None,
    }
}

/// A JSON value that may be one item or a list of items, as items.
pub fn one_or_many(v: Option<&serde_json::Value>) -> Vec<&serde_json::Value> {
    match v {
        Some(serde_json::Value::Array(items)) => items.iter().collect(),
        Some(serde_json::Value::Null) | None => Vec::new(),
        Some(other) => vec![other],
    }
}

/// The `Allow` statements of a policy document (`Statement` is an object or a list).
pub fn allow_statements(doc: &serde_json::Value) -> Vec<&serde_json::Value> {
    statements_with_effect(doc, "Allow")
}

/// The `Deny` statements of a policy document.
pub fn deny_statements(doc: &serde_json::Value) -> Vec<&serde_json::Value> {
    statements_with_effect(doc, "Deny")
}

fn statements_with_effect<'d>(
    doc: &'d serde_json::Value,
    effect: &str,
) -> Vec<&'d serde_json::Value> {
    one_or_many(doc.get("Statement"))
        .into_iter()
        .filter(|s| {
            s.get("Effect")
                .and_then(|e| e.as_str())
                .is_some_and(|e| e.trim().eq_ignore_ascii_case(effect))
        })
        .collect()
}

/// True when a statement's `Principal` is everyone: `"*"`, or `{"AWS": "*"}` (alone
/// or in a list).
pub fn principal_is_anyone(principal: Option<&serde_json::Value>) -> bool {
    match principal {
        Some(serde_json::Value::String(s)) => s.trim() == "*",
        Some(serde_json::Value::Object(m)) => one_or_many(m.get("AWS"))
            .iter()
            .any(|p| p.as_str().is_some_and(|s| s.trim() == "*")),
        _ => false,
    }
}

/// The accounts named by a statement's `Principal.AWS` (account ids or IAM ARNs).
pub fn principal_accounts(principal: Option<&serde_json::Value>) -> Vec<&str> {
    let Some(serde_json::Value::Object(m)) = principal else {
        return Vec::new();
    };
    accounts_named(one_or_many(m.get("AWS")))
}

/// The accounts that values name, as account ids or in ARNs. An id followed only
/// by wildcards (`999988887777*`, as a `StringLike` may write it) names its
/// account: the wildcard can match nothing.
fn accounts_named(values: Vec<&serde_json::Value>) -> Vec<&str> {
    values
        .into_iter()
        .filter_map(|v| v.as_str())
        .map(str::trim)
        .filter_map(|v| {
            if is_account_id(v) {
                return Some(v);
            }
            if let Some(id) = v.get(..12).filter(|id| is_account_id(id))
                && v[12..].chars().all(|c| c == '*' || c == '?')
            {
                return Some(id);
            }
            arn_account(v)
        })
        .collect()
}

/// The account part of a value of an account or ARN key (a bare id, or an ARN's
/// fifth field) holds a wildcard in its twelve digits: it may match accounts we
/// cannot name (`99998888777?`, `arn:aws:iam::9999*:root`).
fn account_part_is_wild(value: &str) -> bool {
    let account = if value.starts_with("arn:") {
        value.split(':').nth(4).unwrap_or_default()
    } else {
        value
    };
    account
        .get(..12.min(account.len()))
        .is_some_and(|digits| digits.contains(['*', '?']))
}

/// True when the statement covers `action` (`service:Name`), whatever its `Effect`:
/// one of its `Action` patterns (a string or list) matches it, or it has only a
/// `NotAction` and none of those patterns does (an `Allow` with `NotAction` allows,
/// and a `Deny` with it denies, everything it does not list). Patterns are IAM's: `*` and `?` may stand anywhere (`kms:*crypt`,
/// `kms:Encr?pt`), and letter case is ignored.
pub fn statement_covers_action(statement: &serde_json::Value, action: &str) -> bool {
    let matches = |key: &str| {
        one_or_many(statement.get(key))
            .iter()
            .filter_map(|a| a.as_str())
            .any(|pattern| action_pattern_matches(pattern.trim(), action))
    };
    match (statement.get("Action"), statement.get("NotAction")) {
        (Some(_), _) => matches("Action"),
        (None, Some(_)) => !matches("NotAction"),
        (None, None) => false,
    }
}

/// Whether a policy statement's principal block names the AWS service `service`
/// (`{"Service": "cloudtrail.amazonaws.com"}`, or a list of them), letter case
/// and surrounding space aside.
pub fn principal_names_service(principal: Option<&serde_json::Value>, service: &str) -> bool {
    principal.and_then(|p| p.get("Service")).is_some_and(|s| {
        one_or_many(Some(s)).iter().any(|v| {
            v.as_str()
                .is_some_and(|v| v.trim().eq_ignore_ascii_case(service))
        })
    })
}

/// Whether a role's trust policy lets `service` (`config.amazonaws.com`) assume
/// it for the account `own`: an `Allow` of `sts:AssumeRole` (or a wildcard
/// covering it) naming the service as principal, whose `aws:SourceAccount` test,
/// if any, names `own` (or any), and no `Deny` of it to the service (from a review:
/// a deny, or a source account of someone else's, still read as allowed).
pub fn service_may_assume(doc: &serde_json::Value, service: &str, own: Option<&str>) -> bool {
    service_may(doc, service, "sts:AssumeRole", own)
}

/// Whether a resource or trust policy lets `service` call `action` for the
/// account `own`, as [`service_may_assume`] judges `sts:AssumeRole`: an `Allow`
/// naming the service (or anyone) whose source tests, if any, admit `own`, and no
/// `Deny` of it that applies: one naming the service (or anyone, or everyone but
/// principals that leave the service out, `NotPrincipal`), unconditional or
/// conditioned only on source tests that admit `own`. A source test admits `own`
/// when `aws:SourceAccount` is `own` or a wildcard, and `aws:SourceArn`'s account
/// field is `own` or holds a wildcard (from reviews: a deny, a conditional deny, a
/// source account or source ARN of someone else's still read as allowed); a
/// wildcard counts under the `Like` and `Arn` operators only, as `StringEquals`
/// reads it literally and admits no one.
pub fn service_may(
    doc: &serde_json::Value,
    service: &str,
    action: &str,
    own: Option<&str>,
) -> bool {
    let names_service = |st: &serde_json::Value| {
        principal_names_service(st.get("Principal"), service)
            || principal_is_anyone(st.get("Principal"))
    };
    let all_but_service = |st: &serde_json::Value| {
        st.get("NotPrincipal").is_some_and(|n| {
            !principal_names_service(Some(n), service) && !principal_is_anyone(Some(n))
        })
    };
    // Wildcards count under the `Like` and `Arn` operators only: `StringEquals`
    // reads them literally (from a review: such a trust admitted no one and
    // read as admitting the account).
    let admits_own = |op: &str, key: &str, value: &str| {
        let pattern = op.contains("like") || op.starts_with("arn");
        let value = value.trim();
        if !pattern && value.contains(['*', '?']) {
            return false;
        }
        let account = if key == "aws:sourcearn" {
            match value.split(':').nth(4) {
                Some(account) => account,
                None => return pattern && value.chars().all(|c| c == '*'),
            }
        } else {
            value
        };
        // A global service's ARN has no account field (Route 53's
        // `arn:aws:route53:::hostedzone/Z1`, from a review): nothing to shut out.
        account.is_empty()
            || (pattern && account.contains(['*', '?']))
            || own.is_none_or(|own| account == own)
    };
    // `Some(true)`: the statement's conditions are only source tests, all of
    // which admit `own`; `Some(false)`: a source test shuts `own` out; `None`:
    // some other condition, which cannot be judged here.
    let source_tests = |st: &serde_json::Value, affirmative_only: bool| -> Option<bool> {
        let Some(ops) = st.get("Condition").and_then(|c| c.as_object()) else {
            return Some(true);
        };
        let mut all = true;
        for (op, keys) in ops {
            let op = bare_operator(op);
            let op = op.as_str();
            let negated = op.contains("not");
            for (key, value) in keys.as_object()? {
                let key = key.trim().to_ascii_lowercase();
                if key != "aws:sourceaccount" && key != "aws:sourcearn" {
                    if affirmative_only {
                        continue;
                    }
                    return None;
                }
                // The service sends its source: `Null` `false` holds, `true` fails.
                if op == "null" {
                    all &= one_or_many(Some(value))
                        .iter()
                        .all(|v| super::flag_value(v) == Some(false));
                    continue;
                }
                let admitted = one_or_many(Some(value))
                    .iter()
                    .any(|v| v.as_str().is_some_and(|v| admits_own(op, &key, v)));
                all &= if negated { !admitted } else { admitted };
            }
        }
        Some(all)
    };
    let denied = deny_statements(doc).iter().any(|st| {
        statement_covers_action(st, action)
            && (names_service(st) || all_but_service(st))
            && source_tests(st, false) == Some(true)
    });
    !denied
        && allow_statements(doc).iter().any(|st| {
            statement_covers_action(st, action)
                && names_service(st)
                && source_tests(st, true) != Some(false)
        })
}

/// An IAM action pattern against an action name: `*` any run of characters, `?`
/// any one, letters compared without case.
pub fn action_pattern_matches(pattern: &str, action: &str) -> bool {
    crate::rules::matcher::greedy_wildcard(
        pattern.as_bytes(),
        action.as_bytes(),
        |&p| p == b'*',
        |&p, &c| p == b'?' || p.eq_ignore_ascii_case(&c),
    )
}

/// An IAM condition operator in lower case, without what changes nothing for a
/// key every request carries once: the `IfExists` suffix and the
/// `ForAnyValue:` and `ForAllValues:` prefixes.
pub fn bare_operator(operator: &str) -> String {
    let op = operator.trim().to_ascii_lowercase();
    let op = op
        .strip_prefix("foranyvalue:")
        .or_else(|| op.strip_prefix("forallvalues:"))
        .unwrap_or(&op);
    op.strip_suffix("ifexists").unwrap_or(op).to_owned()
}

/// Whether a condition's values all hold a wildcard (and there is one): under
/// `StringEquals`, which reads `*` and `?` literally, such a test matches no
/// real value.
pub fn every_value_has_wildcard(values: &[&serde_json::Value]) -> bool {
    !values.is_empty()
        && values
            .iter()
            .all(|v| v.as_str().is_some_and(|t| t.contains(['*', '?'])))
}

/// An IAM condition pattern (`StringLike`, `ArnLike`) against a value: `*` any
/// run of characters, `?` any one, letter case kept, as IAM compares them.
pub fn condition_pattern_matches(pattern: &str, value: &str) -> bool {
    crate::rules::matcher::greedy_wildcard(
        pattern.as_bytes(),
        value.as_bytes(),
        |&p| p == b'*',
        |&p, &c| p == b'?' || p == c,
    )
}

/// Whether a condition test of a string key (`op` as [`bare_operator`] gives
/// it) holds for a request carrying `actual`: `StringEquals` exact and with
/// case, `StringLike` a pattern (`*`, `?`) with case, the `IgnoreCase` forms
/// without, the `Not` forms the opposite, and `Null` (`true`: the key is
/// missing) false or true as the values ask. `None` for another operator.
pub fn string_test_holds(op: &str, values: &[&serde_json::Value], actual: &str) -> Option<bool> {
    let texts = || values.iter().filter_map(|v| v.as_str()).map(str::trim);
    let like = |p: &str| condition_pattern_matches(p, actual);
    let (negated, op) = match op.strip_prefix("stringnot") {
        Some(rest) => (true, rest),
        None => (false, op.strip_prefix("string").unwrap_or(op)),
    };
    let any = match op {
        "equals" => texts().any(|v| v == actual),
        "equalsignorecase" => texts().any(|v| v.eq_ignore_ascii_case(actual)),
        "like" => texts().any(like),
        "null" if !negated => {
            return Some(values.iter().all(|v| super::flag_value(v) == Some(false)));
        }
        _ => return None,
    };
    Some(any != negated)
}

/// What a resource policy opens beyond its own account.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PolicyExposure {
    /// An `Allow` statement whose principal is everyone and that has no `Condition`
    /// that restricts who calls (a condition such as `aws:PrincipalOrgID` or
    /// `aws:SourceVpc` narrows it; `aws:SecureTransport` or an empty block narrows
    /// nothing: [`condition_restricts`]).
    pub public: bool,
    /// Other accounts named in `Allow` statements, sorted, without duplicates.
    pub accounts: Vec<String>,
    /// Organisations other than the deployment's own that a grant to everyone
    /// is fenced to (`aws:PrincipalOrgID`...), sorted, without duplicates; always
    /// empty when no own organisation is configured
    /// ([`super::organizations::foreign_organizations`]).
    pub organizations: Vec<String>,
}

impl PolicyExposure {
    pub fn exposed(&self) -> bool {
        self.public || !self.accounts.is_empty() || !self.organizations.is_empty()
    }
    pub fn exposure_evidence(&self, e: Evidence) -> Evidence {
        let e = if self.public {
            e.with("public", true)
        } else {
            e
        };
        let e = if self.accounts.is_empty() {
            e
        } else {
            e.with("other_accounts", self.accounts.clone())
        };
        if self.organizations.is_empty() {
            e
        } else {
            e.with("other_organizations", self.organizations.clone())
        }
    }
}

/// Reads the `Allow` statements of `doc` (those `relevant` keeps) for grants to
/// everyone or to accounts other than `own_account`.
pub fn policy_exposure(
    doc: &serde_json::Value,
    own_account: Option<&str>,
    relevant: impl Fn(&serde_json::Value) -> bool,
) -> PolicyExposure {
    let mut out = PolicyExposure::default();
    for st in allow_statements(doc).into_iter().filter(|s| relevant(s)) {
        let principal = st.get("Principal");
        // `Allow` with `NotPrincipal`: everyone but those named.
        let anyone = principal_is_anyone(principal) || st.get("NotPrincipal").is_some();
        let condition = st.get("Condition");
        if anyone && !condition_restricts(condition) {
            out.public = true;
        }
        // A grant to everyone that a condition narrows to other accounts
        // (`aws:PrincipalAccount`, `aws:PrincipalArn`...) is a grant to them.
        let fenced_to = if anyone {
            out.organizations
                .extend(super::organizations::foreign_organizations(condition));
            condition_accounts(condition)
        } else {
            Vec::new()
        };
        for account in principal_accounts(principal).into_iter().chain(fenced_to) {
            if Some(account) != own_account && !out.accounts.iter().any(|a| a == account) {
                out.accounts.push(account.to_owned());
            }
        }
    }
    out.accounts.sort();
    out.organizations.sort();
    out.organizations.dedup();
    out
}

/// The accounts other than `own_account` that `Allow` statements for an AWS service
/// (`Principal` `{"Service": ...}`) are narrowed to by their `Condition`
/// (`aws:SourceAccount`, `aws:SourceArn`...): the service may then act on this
/// resource for that account's functions, trails or buckets. Sorted, without
/// duplicates. [`policy_exposure`] leaves these out: most of its detections judge
/// what callers a policy admits, and a service is none of them.
pub fn service_grant_accounts(doc: &serde_json::Value, own_account: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = allow_statements(doc)
        .into_iter()
        .filter(|st| {
            st.get("Principal")
                .and_then(|p| p.as_object())
                .is_some_and(|p| p.keys().any(|k| k.eq_ignore_ascii_case("Service")))
        })
        .flat_map(|st| condition_accounts(st.get("Condition")))
        .filter(|a| Some(*a) != own_account)
        .map(str::to_owned)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The keys a statement's `Condition` block tests, under every operator
/// (`{"StringEquals": {"aws:SourceArn": ...}}` gives `aws:SourceArn`); none for a
/// block of another shape.
pub fn condition_keys(condition: Option<&serde_json::Value>) -> impl Iterator<Item = &str> {
    condition_entries(condition).map(|(key, _)| key)
}

/// Each key a statement's `Condition` block tests with its value (one or a
/// list), under every operator; none for a block of another shape.
pub fn condition_entries(
    condition: Option<&serde_json::Value>,
) -> impl Iterator<Item = (&str, &serde_json::Value)> {
    condition_entries_under(condition, |_| true)
}

/// [`condition_entries`] under the operators `operator` takes (given as
/// written: `StringEquals`, `ForAnyValue:StringLike`...).
pub fn condition_entries_under(
    condition: Option<&serde_json::Value>,
    operator: impl Fn(&str) -> bool,
) -> impl Iterator<Item = (&str, &serde_json::Value)> {
    condition
        .and_then(serde_json::Value::as_object)
        .into_iter()
        .flatten()
        .filter(move |(op, _)| operator(op))
        .filter_map(|(_, keys)| keys.as_object())
        .flat_map(|keys| keys.iter().map(|(key, value)| (key.as_str(), value)))
}

/// Whether a statement's `Condition` block narrows who may use the grant: some
/// operator that is not a negation (`StringNotEquals` and the like exclude a few and
/// admit everyone else), not `...IfExists` and not `ForAllValues:` (both pass when
/// the key is missing, as it is for an anonymous caller) tests a key that names the caller, its organisation, account
/// or network (`CALLER_KEYS`) against a value that is not a wildcard for every
/// caller (`*`, an ARN with `*` for its account, a `/0` range). Conditions on anything
/// else (`aws:SecureTransport`, request tags, the referer, the caller's own tags) are
/// met by any caller who chooses to, so a public grant behind them stays public: one
/// line of `"Bool": {"aws:SecureTransport": "true"}` must not hide it. An empty block
/// restricts nothing. A block of a shape we cannot read is taken as restricting (we
/// do not guess at conditions we cannot read).
pub fn condition_restricts(condition: Option<&serde_json::Value>) -> bool {
    restricts(condition, |_| true)
}

/// [`condition_restricts`] with the keys that say only which AWS service calls
/// (`aws:PrincipalServiceName`, `aws:PrincipalIsAWSService`) left out: a service
/// such as CloudFront calls for whichever customer configures it, so such a key
/// fences in no customer (from an evasion review).
pub fn condition_restricts_beyond_service(condition: Option<&serde_json::Value>) -> bool {
    restricts(condition, |key| {
        !SERVICE_KEYS
            .iter()
            .any(|k| k.eq_ignore_ascii_case(key.trim()))
    })
}

/// The condition keys that name which AWS service makes a call, not for whom.
const SERVICE_KEYS: [&str; 3] = [
    "aws:principalservicename",
    "aws:principalservicenameslist",
    "aws:principalisawsservice",
];

fn restricts(condition: Option<&serde_json::Value>, counts: impl Fn(&str) -> bool) -> bool {
    use serde_json::Value;
    let operators = match condition {
        None | Some(Value::Null) => return false,
        Some(Value::Object(operators)) => operators,
        Some(_) => return true,
    };
    operators.iter().any(|(operator, keys)| match keys {
        Value::Object(keys) => {
            narrowing_operator(operator)
                && keys.iter().any(|(key, value)| {
                    counts(key) && caller_key(key) && names_some_callers(key, value)
                })
        }
        Value::Null => false,
        _ => true,
    })
}

/// An operator that can narrow a grant: not a negation, not `...IfExists`, not
/// `ForAllValues:` (see [`condition_restricts`]), and not `Null`. `Null` only asks
/// whether a key is there: `false` (present) holds for every signed request's
/// `aws:PrincipalAccount` or `kms:CallerAccount`, for a caller in any organisation
/// (anyone can make one) and for a call through any VPC endpoint, the caller's own
/// included; `true` (absent) admits the anonymous callers.
pub(super) fn narrowing_operator(operator: &str) -> bool {
    let op = operator.trim().to_ascii_lowercase();
    !op.contains("not")
        && !op.ends_with("ifexists")
        && !op.starts_with("forallvalues:")
        && op != "null"
}

/// The accounts a `Condition` block narrows a grant to, through keys that name the
/// caller's account or ARN under an operator that narrows.
pub fn condition_accounts(condition: Option<&serde_json::Value>) -> Vec<&str> {
    condition_entries_under(condition, narrowing_operator)
        .filter(|(key, _)| {
            ACCOUNT_KEYS
                .iter()
                .any(|k| k.eq_ignore_ascii_case(key.trim()))
        })
        .flat_map(|(_, value)| accounts_named(one_or_many(Some(value))))
        .collect()
}

/// The condition keys whose values are the caller's account or ARN (an S3 access
/// point's account or ARN: the bucket delegated to another account's access
/// points is open to whatever they grant).
const ACCOUNT_KEYS: [&str; 8] = [
    "aws:principalaccount",
    "aws:principalarn",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceowner",
    "kms:calleraccount",
    "s3:dataaccesspointaccount",
    "s3:dataaccesspointarn",
];

/// The condition keys that say who the caller is or where the call comes from.
/// `kms:ViaService` and `aws:CalledVia*` are not among them: they name the service
/// that calls, which serves callers of every account. Nor is `aws:username`: a
/// user name is unique only within its account, so `Principal *` with
/// `aws:username` `backup` admits every account's user of that name
/// (`aws:userid` is a principal's unique id and pins it).
const CALLER_KEYS: [&str; 22] = [
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principalservicename",
    "aws:principalservicenameslist",
    "aws:principalisawsservice",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceorgid",
    "aws:sourceorgpaths",
    "aws:sourceowner",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourcevpcarn",
    "aws:sourceip",
    "aws:vpcsourceip",
    "aws:userid",
    "kms:calleraccount",
    "s3:dataaccesspointaccount",
    "s3:dataaccesspointarn",
    "sts:externalid",
];

fn caller_key(key: &str) -> bool {
    CALLER_KEYS
        .iter()
        .any(|k| k.eq_ignore_ascii_case(key.trim()))
}

/// A condition value (one or a list) that leaves some callers out: no value is a
/// wildcard for everyone (the values of one key are alternatives, so one such value
/// among narrow ones admits everyone) (`*`, `arn:aws:iam::*:...`, an address range that is
/// the internet, alone or with the list's other ranges: `/0`, two `/1`s; see
/// [`super::cidrs_open_to_internet`]), and
/// not `false` for `aws:PrincipalIsAWSService` (which then admits every caller that is
/// not a service). The `Null` operator never narrows ([`narrowing_operator`]). On
/// a key naming the caller's account or ARN, a wildcard among the account's digits
/// pins nothing we can name, and counts as everyone.
/// A value's literal text before its first wildcard must be at least this long to
/// pin a caller (`AIDA1234*` does, `AROA*` does not); an id with a type prefix
/// needs [`WILDCARD_PINS_AFTER_PREFIX`] characters of its own after the dash.
const WILDCARD_PINS: usize = 6;
/// Characters of an id's own part (after `o-`, `vpce-`, `vpc-`, leading zeros not
/// counted: EC2's long ids start with `0`) a wildcard value must spell out to pin a
/// caller: `o-a1b2*` does; `vpce-*` and `vpce-0*` do not, and anyone can create a
/// VPC endpoint whose id matches them.
const WILDCARD_PINS_AFTER_PREFIX: usize = 4;

/// Whether the literal text before a wildcard pins a caller ([`WILDCARD_PINS`]).
/// Only a short lowercase id type before the first dash (`o`, `ou`, `r`, `vpc`,
/// `vpce`) is a prefix; anything else (`AROA...:ci-*`, a role's sessions named
/// `ci-...`) is judged by its whole length (a review caught the first version
/// taking any dash for an id's).
pub(super) fn literal_pins(literal: &str) -> bool {
    match literal.split_once('-') {
        Some((kind, own))
            if !kind.is_empty()
                && kind.len() <= 5
                && kind.bytes().all(|b| b.is_ascii_lowercase()) =>
        {
            own.trim_start_matches('0').len() >= WILDCARD_PINS_AFTER_PREFIX
        }
        _ => literal.len() >= WILDCARD_PINS,
    }
}

fn names_some_callers(key: &str, value: &serde_json::Value) -> bool {
    let service_flag = key.trim().eq_ignore_ascii_case("aws:PrincipalIsAWSService");
    let account_key = ACCOUNT_KEYS
        .iter()
        .any(|k| k.eq_ignore_ascii_case(key.trim()));
    let values = one_or_many(Some(value));
    let texts: Vec<&str> = values.iter().filter_map(|v| v.as_str()).collect();
    let internet = super::cidrs_open_to_internet(&texts);
    let everyone = |v: &serde_json::Value| match v {
        serde_json::Value::String(text) => {
            let text_now = caller_variables_as_wildcards(text);
            let s = text_now.trim();
            let wildcard_at = s.find(['*', '?']);
            s.chars().all(|c| c == '*' || c == '?')
                || match s.split(':').nth(4) {
                    Some(account) => s.starts_with("arn:") && account.starts_with(['*', '?']),
                    // `arn:*`: a wildcard before the account field.
                    None => s.starts_with("arn:") && wildcard_at.is_some(),
                }
                // `o-*`, `vpce-*`, `AROA*`: a wildcard right after an id's prefix
                // pins nothing.
                || (!s.starts_with("arn:") && wildcard_at.is_some_and(|at| !literal_pins(&s[..at])))
                || internet.contains(&text.as_str())
                || (service_flag && s.eq_ignore_ascii_case("false"))
                || (account_key && account_part_is_wild(s))
        }
        serde_json::Value::Bool(b) => service_flag && !b,
        _ => false,
    };
    !values.is_empty() && !values.iter().copied().any(everyone)
}

/// The policy variables (`${aws:PrincipalAccount}`, `${aws:userid}`, with or
/// without a default) that a condition value compares with the caller's own
/// attributes, each as `*`: whoever calls, the variable becomes their own value,
/// so `aws:PrincipalAccount` equal to `${aws:PrincipalAccount}` admits every
/// account (from a review: four detections read that value as one caller). The
/// resource's own side (`${aws:ResourceAccount}`, `${aws:ResourceOrgID}`,
/// `${aws:ResourceOrgPaths}`, `${aws:ResourceTag/<key>}`) stays: the resource's
/// own account, organisation or tags, which its owner sets, pin the callers. The escapes `${*}`, `${?}`, `${$}` are their
/// character.
pub(super) fn caller_variables_as_wildcards(text: &str) -> std::borrow::Cow<'_, str> {
    const RESOURCE_SIDE: [&str; 3] = [
        "aws:resourceaccount",
        "aws:resourceorgid",
        "aws:resourceorgpaths",
    ];
    if !text.contains("${") {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[at..]);
            rest = "";
            break;
        };
        let inner = &after[..end];
        let name = inner.split(',').next().unwrap_or("").trim();
        let resource_tag = name
            .get(..16)
            .is_some_and(|p| p.eq_ignore_ascii_case("aws:ResourceTag/"));
        match name {
            "*" | "?" | "$" => out.push_str(name),
            _ if resource_tag || RESOURCE_SIDE.iter().any(|k| k.eq_ignore_ascii_case(name)) => {
                out.push_str(&rest[at..at + 2 + end + 1]);
            }
            _ => out.push('*'),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// The items of an EC2 sharing list's `add` (`{"add": {"items": [...]}}`), one
/// item or many.
pub fn ec2_permission_items_added(list: Option<&serde_json::Value>) -> Vec<&serde_json::Value> {
    one_or_many(list.and_then(|l| l.get("add")).and_then(|a| a.get("items")))
}

/// The targets added by an EC2 sharing list (`launchPermission` of an image,
/// `createVolumePermission` of a snapshot): `{"add": {"items": [{"group": "all"} |
/// {"userId": "<account>"}]}}`. Public when the group `all` is added; accounts are
/// the 12-digit ids other than `own_account`.
pub fn ec2_permission_added(
    list: Option<&serde_json::Value>,
    own_account: Option<&str>,
) -> PolicyExposure {
    let mut out = PolicyExposure::default();
    for item in ec2_permission_items_added(list) {
        if item
            .get("group")
            .and_then(|g| g.as_str())
            .is_some_and(|g| g.trim().eq_ignore_ascii_case("all"))
        {
            out.public = true;
        }
        if let Some(user) = item.get("userId").and_then(|u| u.as_str()).map(str::trim)
            && is_account_id(user)
            && Some(user) != own_account
            && !out.accounts.iter().any(|a| a == user)
        {
            out.accounts.push(user.to_owned());
        }
    }
    out.accounts.sort();
    out
}

/// `<account>|<actor>|<suffix>`: a window group or first-seen term scoped to one
/// caller in one account and one more value (a bucket, a table...).
pub fn account_actor_and(rec: &Record, suffix: &str) -> String {
    format!("{}|{}", account_actor_group(rec), suffix)
}

#[cfg(test)]
mod policy_document_tests {
    use super::policy_document;
    use serde_json::json;

    /// A policy carried as text (KMS, ECR, Secrets Manager) whose decoy
    /// statement holds a lone surrogate escape is still read: the escape no
    /// longer hides the statements beside it.
    #[test]
    fn a_lone_surrogate_in_policy_text_does_not_hide_the_policy() {
        let text = r#"{"Statement":[{"Sid":"\ud800","Effect":"Deny","Action":"x","Resource":"*"},{"Effect":"Allow","Principal":"*","Action":"kms:Encrypt","Resource":"*"}]}"#;
        let doc = policy_document(&json!(text)).expect("read");
        assert_eq!(doc["Statement"][1]["Principal"], "*");
        assert_eq!(doc["Statement"][0]["Sid"], "\u{FFFD}");
        assert_eq!(policy_document(&json!("not a policy")), None);
        assert_eq!(policy_document(&json!("[1]")), None);
    }
}

#[cfg(test)]
mod action_pattern_tests {
    use super::{action_pattern_matches, statement_covers_action};
    use serde_json::json;

    #[test]
    fn wildcards_stand_anywhere_and_case_is_ignored() {
        for pattern in [
            "kms:Encrypt",
            "KMS:ENCRYPT",
            "*",
            "kms:*",
            "kms:*crypt",
            "kms:Encr?pt",
            "*:*",
            "kms:*Encrypt*",
            "k*s:E*t",
            "kms:**",
        ] {
            assert!(action_pattern_matches(pattern, "kms:Encrypt"), "{pattern}");
        }
        for pattern in [
            "kms:Decrypt",
            "kms:Encrypt?",
            "kms:?Encrypt",
            "kms:E",
            "s3:*",
            "",
            "kms:Encrypt*x",
            "?",
        ] {
            assert!(!action_pattern_matches(pattern, "kms:Encrypt"), "{pattern}");
        }
        // Many stars against a name that does not match stay cheap and false.
        assert!(!action_pattern_matches(&"*a".repeat(500), "kms:Encrypt"));
    }

    #[test]
    fn not_action_allows_what_it_does_not_list() {
        let allows = |st: serde_json::Value| statement_covers_action(&st, "kms:Encrypt");
        assert!(allows(
            json!({"Effect": "Allow", "NotAction": "kms:ScheduleKeyDeletion"})
        ));
        assert!(allows(
            json!({"Effect": "Allow", "NotAction": ["iam:*", "kms:Decrypt"]})
        ));
        assert!(!allows(json!({"Effect": "Allow", "NotAction": "kms:*"})));
        assert!(!allows(
            json!({"Effect": "Allow", "NotAction": ["kms:Encr*"]})
        ));
        assert!(allows(
            json!({"Effect": "Allow", "Action": ["kms:Describe*", "kms:*crypt"]})
        ));
        assert!(!allows(
            json!({"Effect": "Allow", "Action": ["kms:Describe*"], "NotAction": "iam:*"})
        ));
        assert!(!allows(json!({"Effect": "Allow"})));
    }
}

#[cfg(test)]
mod exposure_tests {
    use super::policy_exposure;
    use serde_json::json;

    fn exposure(statement: serde_json::Value) -> (bool, Vec<String>) {
        let doc = json!({"Version": "2012-10-17", "Statement": [statement]});
        let e = policy_exposure(&doc, Some("111122223333"), |_| true);
        (e.public, e.accounts)
    }

    /// A grant to everyone fenced to an organisation is private until the
    /// deployment names its own; then another organisation is reported, beside
    /// the other accounts, and ours is not.
    #[test]
    fn organisation_fences_are_judged_against_the_organisations_in_scope() {
        use crate::detections::common::organizations::in_scope;
        let fenced = |org: &str| {
            json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                 "Condition": {"StringEquals": {"aws:PrincipalOrgID": org}}},
                {"Effect": "Allow", "Principal": {"AWS": "444455556666"}, "Action": "s3:GetObject"}]})
        };
        let judge = |doc: &serde_json::Value| policy_exposure(doc, Some("111122223333"), |_| true);
        let theirs = judge(&fenced("o-zz9y8x7w6v"));
        assert!(!theirs.public && theirs.organizations.is_empty());
        let ids: std::sync::Arc<[String]> = vec!["o-a1b2c3d4e5".to_owned()].into();
        let _scope = in_scope(Some(&ids));
        let theirs = judge(&fenced("o-zz9y8x7w6v"));
        assert!(!theirs.public);
        assert_eq!(theirs.organizations, ["o-zz9y8x7w6v"]);
        assert_eq!(theirs.accounts, ["444455556666"]);
        let evidence = theirs.exposure_evidence(crate::detection::Evidence::new());
        assert_eq!(
            evidence.get("other_organizations"),
            Some(&json!(["o-zz9y8x7w6v"]))
        );
        let ours = judge(&fenced("o-a1b2c3d4e5"));
        assert!(
            ours.organizations.is_empty() && ours.exposed(),
            "the named account still counts"
        );
    }

    /// A document sent percent-encoded (as IAM's may be) is read, not skipped.
    #[test]
    fn percent_encoded_documents_are_read() {
        let doc = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:Encrypt"}]}"#;
        let encoded: String = doc
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        assert_eq!(
            super::policy_document(&json!(encoded)),
            super::policy_document(&json!(doc))
        );
        assert!(super::policy_document(&json!(format!("%0A{encoded}"))).is_some());
        assert_eq!(super::policy_document(&json!("%7B%ZZ")), None);
        assert_eq!(
            super::policy_document(&json!("%41")),
            None,
            "decodes to text that is no object"
        );
    }

    /// [`exposure`] of a public `s3:GetObject` grant behind `condition`.
    fn open(condition: serde_json::Value) -> (bool, Vec<String>) {
        exposure(
            json!({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Condition": condition}),
        )
    }

    /// From a review: a condition comparing the caller's attribute with the
    /// policy variable of that same attribute holds for every caller; the
    /// resource's own account as a variable, or a variable after a pinned
    /// account, still fences.
    #[test]
    fn a_caller_variable_fences_nobody() {
        for condition in [
            json!({"StringEquals": {"aws:PrincipalAccount": "${aws:PrincipalAccount}"}}),
            json!({"StringEquals": {"aws:userid": "${aws:userid}"}}),
            json!({"ArnEquals": {"aws:PrincipalArn": "${aws:PrincipalArn}"}}),
            json!({"StringEquals": {"kms:CallerAccount": "${kms:CallerAccount, '111122223333'}"}}),
            json!({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::${aws:PrincipalAccount}:role/x"}}),
        ] {
            assert_eq!(open(condition.clone()), (true, vec![]), "{condition}");
        }
        for condition in [
            json!({"StringEquals": {"aws:PrincipalAccount": "${aws:ResourceAccount}"}}),
            json!({"StringEquals": {"aws:PrincipalOrgID": "${aws:ResourceOrgID}"}}),
            json!({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:user/${aws:username}"}}),
            json!({"StringLike": {"aws:userid": "AIDAEXAMPLEUSER:${aws:username}"}}),
            json!({"StringEquals": {"aws:PrincipalAccount": "${aws:ResourceTag/trusted-account}"}}),
        ] {
            assert_eq!(open(condition.clone()), (false, vec![]), "{condition}");
        }
        assert_eq!(
            super::caller_variables_as_wildcards("a${*}b${$}${x"),
            "a*b$${x"
        );
    }

    /// From a review: fences that admit outsiders, and a public principal narrowed
    /// to someone else's account.
    #[test]
    fn fences_that_are_not_fences_and_fences_around_other_accounts() {
        for condition in [
            json!({"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}),
            json!({"ForAllValues:StringLike": {"aws:PrincipalOrgPaths": "o-a1b2c3d4e5/*"}}),
            json!({"StringLike": {"aws:PrincipalOrgID": "o-*"}}),
            json!({"StringLike": {"aws:SourceVpce": "vpce-*"}}),
            json!({"ArnLike": {"aws:PrincipalArn": "arn:*"}}),
            json!({"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}),
        ] {
            assert_eq!(open(condition.clone()), (true, vec![]), "{condition}");
        }
        for condition in [
            json!({"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}),
            json!({"StringLike": {"aws:PrincipalOrgPaths": "o-a1b2c3d4e5/r-ab12/ou-*"}}),
            json!({"StringEquals": {"aws:SourceVpce": "vpce-0a1b2c3d"}}),
        ] {
            assert_eq!(open(condition.clone()), (false, vec![]), "{condition}");
        }
        assert_eq!(
            open(
                json!({"StringEquals": {"aws:PrincipalAccount": ["999988887777", "111122223333"]}})
            ),
            (false, vec!["999988887777".to_owned()])
        );
        assert_eq!(
            open(json!({"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::999988887777:role/loot"}})),
            (false, vec!["999988887777".to_owned()])
        );
        // A negation excludes, it does not grant.
        assert_eq!(
            open(json!({"StringNotEquals": {"aws:PrincipalAccount": "999988887777"}})),
            (true, vec![])
        );
        // `Allow` with `NotPrincipal` is everyone but those named.
        assert_eq!(
            exposure(
                json!({"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:*"})
            ),
            (true, vec![])
        );
    }

    /// From a review: a key's values are alternatives, so one value for everyone
    /// among narrow ones admits everyone; `vpce-0*` pins no endpoint.
    #[test]
    fn one_wildcard_among_a_keys_values_admits_everyone() {
        for condition in [
            json!({"StringLike": {"aws:PrincipalAccount": ["111122223333", "*"]}}),
            json!({"StringLike": {"aws:PrincipalOrgID": ["o-a1b2c3d4e5", "o-*"]}}),
            json!({"ArnLike": {"aws:PrincipalArn": ["arn:aws:iam::111122223333:role/ci", "arn:aws:iam::*:*"]}}),
            json!({"IpAddress": {"aws:SourceIp": ["203.0.113.5/32", "::/0"]}}),
            json!({"StringLike": {"aws:SourceVpce": "vpce-0*"}}),
            json!({"StringLike": {"aws:SourceVpce": "vpce-0000a*"}}),
        ] {
            assert_eq!(open(condition.clone()), (true, vec![]), "{condition}");
        }
        for condition in [
            json!({"StringLike": {"aws:SourceVpce": "vpce-0a1b2c3d*"}}),
            json!({"StringLike": {"aws:PrincipalOrgID": "o-a1b2*"}}),
            json!({"StringLike": {"aws:userid": "AIDAEXAMPLE*"}}),
            // A role's sessions: the dash is the session's, not an id type's.
            json!({"StringLike": {"aws:userid": "AROA5EXAMPLEOPSROLE1:i-*"}}),
            json!({"StringLike": {"aws:userid": "AROA5EXAMPLEOPSROLE1:ci-*"}}),
            json!({"IpAddress": {"aws:SourceIp": ["203.0.113.5/32", "2001:db8::/32"]}}),
        ] {
            assert_eq!(open(condition.clone()), (false, vec![]), "{condition}");
        }
    }

    /// From a second review: the `Null` operator, wildcards among an account's
    /// digits and `aws:username` fence nothing; an id followed by a wildcard names
    /// its account.
    #[test]
    fn null_checks_wild_accounts_and_user_names_do_not_fence() {
        for condition in [
            json!({"Null": {"aws:PrincipalAccount": "false"}}),
            json!({"Null": {"aws:PrincipalAccount": "true"}}),
            json!({"Null": {"aws:PrincipalOrgID": false}}),
            json!({"Null": {"kms:CallerAccount": "false"}}),
            json!({"Null": {"aws:SourceVpce": "false"}}),
            json!({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::99998888777?:*"}}),
            json!({"StringLike": {"aws:PrincipalAccount": "9999*"}}),
            json!({"StringEquals": {"aws:username": "backup"}}),
        ] {
            assert_eq!(open(condition.clone()), (true, vec![]), "{condition}");
        }
        assert_eq!(
            open(json!({"StringLike": {"aws:PrincipalAccount": "999988887777*"}})),
            (false, vec!["999988887777".to_owned()])
        );
        assert_eq!(
            open(json!({"StringEquals": {"aws:userid": "AIDAEXAMPLEUSER01"}})),
            (false, vec![])
        );
        // Beside a real fence, a `Null` check changes nothing.
        assert_eq!(
            open(json!({"Null": {"aws:PrincipalAccount": "false"},
                        "StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}})),
            (false, vec![])
        );
    }
}

#[cfg(test)]
pub mod data_testing {
    //! Records for the data-exposure unit tests.

    /// An assumed-role session in account 111122223333.
    pub const ROLE: &str = r#"{"type":"AssumedRole","principalId":"AROAEXAMPLEDATA01:ops-session",
        "arn":"arn:aws:sts::111122223333:assumed-role/DataOps/ops-session","accountId":"111122223333",
        "accessKeyId":"ASIAEXAMPLEDATA0001",
        "sessionContext":{"sessionIssuer":{"type":"Role","userName":"DataOps",
        "arn":"arn:aws:iam::111122223333:role/DataOps"},"attributes":{"mfaAuthenticated":"false"}}}"#;
    /// An IAM user in account 111122223333.
    pub const USER: &str = r#"{"type":"IAMUser","principalId":"AIDAEXAMPLEDATA02","arn":"arn:aws:iam::111122223333:user/mallory",
        "accountId":"111122223333","accessKeyId":"AKIAEXAMPLEDATA0002","userName":"mallory"}"#;
    /// The root user of account 111122223333.
    pub const ROOT: &str = r#"{"type":"Root","principalId":"111122223333","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333"}"#;
    /// An AWS service acting on its own.
    pub const SERVICE: &str = r#"{"type":"AWSService","invokedBy":"backup.amazonaws.com"}"#;

    /// A record of `source`/`name` by `identity`, with `requestParameters` `params`
    /// (JSON text) and `extra` top-level fields, each followed by a comma.
    pub fn record(source: &str, name: &str, identity: &str, params: &str, extra: &str) -> String {
        format!(
            r#"{{"eventVersion":"1.10","eventSource":"{source}","eventName":"{name}",
            "eventTime":"2026-05-04T10:00:00Z","awsRegion":"us-east-1","recipientAccountId":"111122223333",
            "sourceIPAddress":"203.0.113.77","userAgent":"aws-cli/2.17.0 Python/3.12.4",
            "userIdentity":{identity},{extra}"requestParameters":{params},"responseElements":null}}"#
        )
    }

    /// The same record, failed with `code`.
    pub fn failed(source: &str, name: &str, identity: &str, params: &str, code: &str) -> String {
        record(
            source,
            name,
            identity,
            params,
            &format!(r#""errorCode":"{code}","errorMessage":"denied or invalid","#),
        )
    }
}
