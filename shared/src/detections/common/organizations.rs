//! The organisations a deployment calls its own (`TRAILWATCH_ORGANIZATION_IDS`,
//! `trailwatch replay --organization-ids`).
//!
//! A grant to everyone fenced by `aws:PrincipalOrgID` (or `aws:SourceOrgID`, or
//! an organisation path) admits the members of the organisation it names, and
//! anyone can create an organisation: an intruder who writes
//! `"Principal": "*"` with their own organisation's id reads, to a detection
//! that cannot tell ids apart, exactly like the organisation-wide sharing AWS
//! recommends. Given the organisation ids of its own, a detection reports a fence
//! around any other organisation as a grant to it. Unset, every organisation fence
//! counts as private, as it always did: the ids cannot be guessed from the trail.
//!
//! Detections are plain functions of the record, so the list reaches them through
//! the thread that evaluates: `Engine::prepare` puts its settings' list in scope
//! ([`in_scope`]) while its detections run, and the scope ends with the call.

use std::cell::RefCell;
use std::sync::Arc;

use super::policy::{
    action_pattern_matches, caller_variables_as_wildcards, condition_entries_under, literal_pins,
    narrowing_operator, one_or_many,
};

thread_local! {
    static OWN: RefCell<Option<Arc<[String]>>> = const { RefCell::new(None) };
}

/// The value an organisation policy's document assigns to a setting:
/// `{"@@assign": value}`'s value, or the value written bare.
pub fn assigned(v: &serde_json::Value) -> &serde_json::Value {
    v.get("@@assign").unwrap_or(v)
}

/// `e` with the organisation policy a `CreatePolicy` or `UpdatePolicy` writes:
/// its id and name as the request gives them, else as the answer's
/// `policy.policySummary` does.
pub fn with_policy_named(
    e: crate::detection::Evidence,
    rec: &crate::event::Record,
) -> crate::detection::Evidence {
    let summary = rec
        .response_element("policy")
        .and_then(|p| p.get("policySummary"));
    let summary_text = |k: &str| summary.and_then(|s| s.get(k)).and_then(|v| v.as_str());
    e.with_opt(
        "policy_id",
        rec.request_param_str("policyId")
            .or_else(|| summary_text("id")),
    )
    .with_opt(
        "policy_name",
        rec.request_param_str("name")
            .or_else(|| summary_text("name")),
    )
}

/// An organisation id as AWS writes it: `o-` and 10 to 32 lowercase letters or
/// digits.
pub fn is_organization_id(s: &str) -> bool {
    s.strip_prefix("o-").is_some_and(|rest| {
        (10..=32).contains(&rest.len())
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

/// A comma-separated list of organisation ids (blanks around items and empty
/// items ignored), sorted and without repeats; every item that is not an
/// organisation id is named in the error.
pub fn parse_organization_ids(list: &str) -> Result<Vec<String>, String> {
    let mut ids = Vec::new();
    let mut bad = Vec::new();
    for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if is_organization_id(item) {
            ids.push(item.to_owned());
        } else {
            bad.push(format!("{:?}", crate::sanitize::one_line(item, 60)));
        }
    }
    if !bad.is_empty() {
        return Err(format!(
            "not an organization id (o- and 10 to 32 lowercase letters or digits): {}",
            bad.join(", ")
        ));
    }
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// [`parse_organization_ids`] as a deployment's setting: `None` for an empty
/// list, which is no list (as an empty variable is).
pub fn own_organizations(list: &str) -> Result<Option<Arc<[String]>>, String> {
    parse_organization_ids(list).map(|ids| (!ids.is_empty()).then(|| ids.into()))
}

/// While alive, the detections run on this thread judge organisation fences
/// against the list it was made with; dropped, the list before it is back.
#[must_use = "the organisations are in scope only while the guard lives"]
pub struct Scope {
    before: Option<Arc<[String]>>,
}

impl Drop for Scope {
    fn drop(&mut self) {
        let before = self.before.take();
        OWN.with(|own| *own.borrow_mut() = before);
    }
}

/// Puts `ids` in scope for the detections run on this thread until the returned
/// guard is dropped. `None` (no list) is a scope too: a detection then takes every
/// organisation fence as private. (`Engine::prepare` opens a scope only when its
/// settings name a list: outside any scope there is none.)
pub fn in_scope(ids: Option<&Arc<[String]>>) -> Scope {
    let before = OWN.with(|own| std::mem::replace(&mut *own.borrow_mut(), ids.cloned()));
    Scope { before }
}

/// The organisations, other than those in scope, that the organisation keys of
/// a statement's `Condition` let in (`aws:PrincipalOrgID` or `aws:SourceOrgID`
/// equal to or like an id, an organisation path that starts with one), under an
/// operator that narrows. Sorted, without repeats; none when no list is in
/// scope. Values that pin no organisation (`o-*`, a caller's own variable alone)
/// are left to [`super::condition_restricts`], which reads them as everyone;
/// `${aws:ResourceOrgID}` is the resource's own organisation; a value that other
/// variables help make (`o-zz9y8x7w6${aws:PrincipalTag/x}`, a resource tag) is
/// reported as written, since whoever sets the tag picks the organisation.
pub fn foreign_organizations(condition: Option<&serde_json::Value>) -> Vec<String> {
    OWN.with(|own| {
        own.borrow()
            .as_deref()
            .map_or_else(Vec::new, |ids| foreign_organizations_among(condition, ids))
    })
}

/// Whether a statement's `Condition` fences its callers to the organisations in
/// scope: under an operator that narrows, `aws:PrincipalOrgID` with every value
/// one of their ids, or `aws:PrincipalOrgPaths` with every path starting with
/// one, all written out (no wildcard, no variable). AWS sets the caller's
/// organisation from its real account, so no account outside them passes. False
/// when no list is in scope: then no organisation is known to be ours.
pub fn fences_to_own_organizations(condition: Option<&serde_json::Value>) -> bool {
    OWN.with(|own| {
        let own = own.borrow();
        let Some(ids) = own.as_deref() else {
            return false;
        };
        let ours = |value: &str, is_path: bool| {
            let value = value.trim();
            let org = if is_path {
                value.split('/').next().unwrap_or_default()
            } else {
                value
            };
            !value.contains(['*', '?', '$'])
                && (!is_path || value.len() > org.len())
                && ids.iter().any(|o| o.eq_ignore_ascii_case(org))
        };
        condition_entries_under(condition, narrowing_operator).any(|(key, value)| {
            let key = key.trim();
            let is_path = if key.eq_ignore_ascii_case("aws:PrincipalOrgID") {
                false
            } else if key.eq_ignore_ascii_case("aws:PrincipalOrgPaths") {
                true
            } else {
                return false;
            };
            let values = one_or_many(Some(value));
            !values.is_empty()
                && values
                    .iter()
                    .all(|v| v.as_str().is_some_and(|v| ours(v, is_path)))
        })
    })
}

/// An organisation id given as a request parameter (Lambda's `principalOrgID`),
/// when an organisation list is in scope and the id is not in it.
pub fn foreign_organization_id(id: &str) -> Option<String> {
    OWN.with(|own| foreign(id, false, own.borrow().as_deref()?))
}

/// Whether `id` is one of the organisations in scope (none when no list is in
/// scope: then nothing is known to be ours).
pub fn is_own_organization(id: &str) -> bool {
    let id = id.trim();
    OWN.with(|own| {
        own.borrow()
            .as_deref()
            .is_some_and(|ids| ids.iter().any(|o| o.eq_ignore_ascii_case(id)))
    })
}

/// The organisation an AWS Organizations ARN names, read strictly (an exemption
/// rests on it; from a review): an organisation's
/// (`arn:<partition>:organizations::<account>:organization/o-...`, nothing after
/// the id) or an organisational unit's (`...:ou/o-.../ou-...`, one unit), with an
/// id of AWS's form. `None` for anything else.
pub fn organization_of_arn(arn: &str) -> Option<&str> {
    let parts: Vec<&str> = arn.trim().splitn(6, ':').collect();
    let [prefix, partition, service, region, account, resource] = parts.as_slice() else {
        return None;
    };
    let account_ok = super::is_account_id(account);
    if *prefix != "arn"
        || !partition.starts_with("aws")
        || *service != "organizations"
        || !region.is_empty()
        || !account_ok
    {
        return None;
    }
    let org = match resource.split('/').collect::<Vec<_>>().as_slice() {
        ["organization", org] => *org,
        ["ou", org, unit] if unit.starts_with("ou-") => *org,
        _ => return None,
    };
    is_organization_id(org).then_some(org)
}

/// [`foreign_organizations`] against an explicit list.
pub(crate) fn foreign_organizations_among(
    condition: Option<&serde_json::Value>,
    own: &[String],
) -> Vec<String> {
    let mut out: Vec<String> = condition_entries_under(condition, narrowing_operator)
        .filter_map(|(key, value)| Some((organization_key(key)?, value)))
        .flat_map(|(is_path, value)| {
            one_or_many(Some(value))
                .into_iter()
                .filter_map(serde_json::Value::as_str)
                // A path's first step is its organisation.
                .filter_map(move |v| foreign(v, is_path, own))
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// `Some(is_path)` for the condition keys that name the caller's or the source's
/// organisation.
fn organization_key(key: &str) -> Option<bool> {
    let key = key.trim();
    if ["aws:PrincipalOrgID", "aws:SourceOrgID"]
        .iter()
        .any(|k| k.eq_ignore_ascii_case(key))
    {
        Some(false)
    } else if ["aws:PrincipalOrgPaths", "aws:SourceOrgPaths"]
        .iter()
        .any(|k| k.eq_ignore_ascii_case(key))
    {
        Some(true)
    } else {
        None
    }
}

/// What an organisation value (an id, a path, or a pattern of either, from a
/// condition) lets in that is none of `own`, as reported: its organisation part,
/// or the value itself when variables made it. `None` when it is ours (an id of
/// `own`, a pattern that spells one out whole before any wildcard, the resource's
/// own organisation variable), when [`super::condition_restricts`] already takes
/// it for everyone (a pattern or caller variable that pins nobody), or when it is
/// no organisation's (AWS would match nothing).
fn foreign(value: &str, is_path: bool, own: &[String]) -> Option<String> {
    let value = value.trim();
    // The resource's own organisation, whoever calls.
    let resource_side = if is_path {
        "${aws:ResourceOrgPaths}"
    } else {
        "${aws:ResourceOrgID}"
    };
    if value
        .get(..resource_side.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(resource_side))
    {
        return None;
    }
    // As `condition_restricts` reads it: a value that pins nobody once the
    // caller's variables are wildcards was reported as public there.
    let callers = caller_variables_as_wildcards(value);
    if let Some(at) = callers.find(['*', '?'])
        && !literal_pins(&callers[..at])
    {
        return None;
    }
    // Any other variable (a resource tag, which whoever writes the policy may
    // set) stands for anything.
    let pattern = variables_as_wildcards(&callers);
    let org = if is_path {
        pattern.split('/').next().unwrap_or_default()
    } else {
        pattern.as_str()
    };
    let made_by_variables = value.contains("${");
    let reported = || {
        Some(if made_by_variables {
            value.to_owned()
        } else {
            org.to_owned()
        })
    };
    if !org.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("o-")) {
        return if made_by_variables { reported() } else { None };
    }
    let ours = match org.find(['*', '?']) {
        // A pattern is ours only when it spells one of our ids out whole: a
        // shorter one also admits the organisations that share its start.
        Some(at) => own
            .iter()
            .any(|o| at >= o.len() && org_pattern_matches(org, o)),
        None => own.iter().any(|o| o.eq_ignore_ascii_case(org)),
    };
    if ours { None } else { reported() }
}

/// `text` with every policy variable (`${...}`) as `*`.
fn variables_as_wildcards(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at]);
        match rest[at..].find('}') {
            Some(end) => {
                out.push('*');
                rest = &rest[at + end + 1..];
            }
            None => {
                out.push_str(&rest[at..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Whether an organisation value (with `*` and `?` wildcards) matches the id
/// `org`, in any letter case (ids are lowercase; a value in capitals is still
/// meant as the id, and `...IgnoreCase` operators compare so).
fn org_pattern_matches(value: &str, org: &str) -> bool {
    action_pattern_matches(value, org)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const OWN_ORG: &str = "o-a1b2c3d4e5";

    fn foreign_of(condition: serde_json::Value) -> Vec<String> {
        foreign_organizations_among(Some(&condition), &[OWN_ORG.to_owned()])
    }

    #[test]
    fn organization_ids_are_checked() {
        assert!(is_organization_id("o-a1b2c3d4e5"));
        assert!(is_organization_id(&format!("o-{}", "a".repeat(32))));
        for bad in [
            "o-short",
            "o-A1B2C3D4E5",
            "a1b2c3d4e5",
            "o-a1b2c3d4e5/r-ab12",
            "",
            "o-",
        ] {
            assert!(!is_organization_id(bad), "{bad}");
        }
        assert_eq!(
            parse_organization_ids(" o-zz9y8x7w6v , o-a1b2c3d4e5,,o-a1b2c3d4e5 ").unwrap(),
            ["o-a1b2c3d4e5", "o-zz9y8x7w6v"]
        );
        assert_eq!(parse_organization_ids("").unwrap(), Vec::<String>::new());
        let err = parse_organization_ids("o-a1b2c3d4e5, 111122223333, o-x").unwrap_err();
        assert!(
            err.contains("\"111122223333\"") && err.contains("\"o-x\""),
            "{err}"
        );
    }

    #[test]
    fn a_fence_around_another_organisation_is_named() {
        assert_eq!(
            foreign_of(json!({"StringEquals": {"aws:PrincipalOrgID": "o-zz9y8x7w6v"}})),
            ["o-zz9y8x7w6v"]
        );
        // One of the values is ours, the other lets the second organisation in.
        assert_eq!(
            foreign_of(
                json!({"StringEquals": {"aws:PrincipalOrgID": ["o-a1b2c3d4e5", "o-zz9y8x7w6v"]}})
            ),
            ["o-zz9y8x7w6v"]
        );
        assert_eq!(
            foreign_of(
                json!({"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-zz9y8x7w6v/r-ab12/ou-ab12-11111111/*"}})
            ),
            ["o-zz9y8x7w6v"]
        );
        assert_eq!(
            foreign_of(json!({"StringLike": {"aws:SourceOrgID": "o-zz9y*"}})),
            ["o-zz9y*"]
        );
        // From a review: `O-` in capitals under an operator that ignores case.
        assert_eq!(
            foreign_of(json!({"StringEqualsIgnoreCase": {"aws:PrincipalOrgID": "O-ZZ9Y8X7W6V"}})),
            ["O-ZZ9Y8X7W6V"]
        );
        assert_eq!(
            foreign_of(
                json!({"ForAnyValue:StringEqualsIgnoreCase": {"aws:PrincipalOrgPaths": "O-ZZ9Y8X7W6V/r-ab12/"}})
            ),
            ["O-ZZ9Y8X7W6V"]
        );
        // A pattern shorter than our id admits the organisations that share its
        // start (and a created organisation's id can be drawn until one does).
        assert_eq!(
            foreign_of(json!({"StringLike": {"aws:PrincipalOrgID": "o-a1b2*"}})),
            ["o-a1b2*"]
        );
        // Variables that the policy's writer sets (a tag of the caller's or of
        // the resource) make the organisation what they choose.
        for value in [
            "o-zz9y8x7w6${aws:PrincipalTag/x}",
            "o-zz9y8x7w6v${aws:PrincipalTag/x}",
            "${aws:ResourceTag/fence}",
            "o-${aws:ResourceTag/fence}",
        ] {
            assert_eq!(
                foreign_of(json!({"StringLike": {"aws:PrincipalOrgID": value}})),
                [value],
                "{value}"
            );
        }
        assert_eq!(
            foreign_of(
                json!({"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-zz9y8x7w6${aws:PrincipalTag/x}/*"}})
            ),
            ["o-zz9y8x7w6${aws:PrincipalTag/x}/*"]
        );
    }

    #[test]
    fn fences_around_our_own_organisation_or_nobody_are_not() {
        for condition in [
            json!({"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}),
            json!({"StringEquals": {"AWS:PRINCIPALORGID": " O-A1B2C3D4E5 "}}),
            json!({"StringLike": {"aws:PrincipalOrgID": "o-a1b2c3d4e5*"}}),
            json!({"StringEqualsIgnoreCase": {"aws:PrincipalOrgID": "O-A1B2C3D4E5"}}),
            json!({"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-a1b2c3d4e5/*"}}),
            json!({"StringEquals": {"aws:PrincipalOrgID": "${aws:ResourceOrgID}"}}),
            json!({"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "${aws:ResourceOrgPaths}*"}}),
            // A caller's own variable alone pins nobody: public there, not here.
            json!({"StringEquals": {"aws:PrincipalOrgID": "${aws:PrincipalOrgID}"}}),
            // No organisation's id: AWS matches nothing.
            json!({"StringEquals": {"aws:PrincipalOrgID": "111122223333"}}),
            // Too short to pin anyone: `condition_restricts` takes it for everyone.
            json!({"StringLike": {"aws:PrincipalOrgID": "o-*"}}),
            // Negations and `IfExists` narrow nothing (`condition_restricts`).
            json!({"StringNotEquals": {"aws:PrincipalOrgID": "o-zz9y8x7w6v"}}),
            json!({"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-zz9y8x7w6v"}}),
            json!({"StringEquals": {"aws:PrincipalAccount": "999988887777"}}),
        ] {
            assert!(foreign_of(condition.clone()).is_empty(), "{condition}");
        }
        assert!(foreign_organizations_among(None, &[OWN_ORG.to_owned()]).is_empty());
    }

    #[test]
    fn organisation_arns_name_their_organisation() {
        for (arn, org) in [
            (
                "arn:aws:organizations::111122223333:organization/o-a1b2c3d4e5",
                Some("o-a1b2c3d4e5"),
            ),
            (
                " arn:aws:organizations::111122223333:ou/o-a1b2c3d4e5/ou-ab12-cdef3456 ",
                Some("o-a1b2c3d4e5"),
            ),
            (
                "arn:aws-us-gov:organizations::111122223333:organization/o-a1b2c3d4e5",
                Some("o-a1b2c3d4e5"),
            ),
            // From a review: loose forms that must not borrow our organisation.
            (
                "arn:aws:organizations::111122223333:organization/o-a1b2c3d4e5/extra",
                None,
            ),
            (
                "arn:aws:organizations::111122223333:organization/O-A1B2C3D4E5",
                None,
            ),
            (
                "arn:aws:organizations::111122223333:organization/ o-a1b2c3d4e5",
                None,
            ),
            ("arn:aws:iam::999988887777:organization/o-a1b2c3d4e5", None),
            (
                "arn:aws:organizations:us-east-1:111122223333:organization/o-a1b2c3d4e5",
                None,
            ),
            (
                "arn:aws:organizations::1111:organization/o-a1b2c3d4e5",
                None,
            ),
            ("arn:aws:organizations::111122223333:ou/o-a1b2c3d4e5", None),
            (
                "arn:aws:organizations::111122223333:ou/o-a1b2c3d4e5/ou-x/y",
                None,
            ),
            (
                "arn:aws:organizations::111122223333:account/o-a1b2c3d4e5/222233334444",
                None,
            ),
            ("arn:aws:iam::111122223333:role/x", None),
            ("o-a1b2c3d4e5", None),
        ] {
            assert_eq!(organization_of_arn(arn), org, "{arn}");
        }
        assert!(
            !is_own_organization(OWN_ORG),
            "no list in scope: nothing is ours"
        );
        let ids: Arc<[String]> = vec![OWN_ORG.to_owned()].into();
        let _scope = in_scope(Some(&ids));
        assert!(is_own_organization(" O-A1B2C3D4E5 "));
        assert!(!is_own_organization("o-zz9y8x7w6v"));
    }

    #[test]
    fn without_a_list_in_scope_no_fence_is_judged() {
        let fence = json!({"StringEquals": {"aws:PrincipalOrgID": "o-zz9y8x7w6v"}});
        assert!(foreign_organizations(Some(&fence)).is_empty());
        assert_eq!(foreign_organization_id("o-zz9y8x7w6v"), None);
        let ids: Arc<[String]> = vec![OWN_ORG.to_owned()].into();
        {
            let _scope = in_scope(Some(&ids));
            assert_eq!(foreign_organizations(Some(&fence)), ["o-zz9y8x7w6v"]);
            assert_eq!(
                foreign_organization_id(" o-zz9y8x7w6v ").as_deref(),
                Some("o-zz9y8x7w6v")
            );
            assert_eq!(foreign_organization_id(OWN_ORG), None);
            {
                // A scope without a list inside one with a list: none.
                let _inner = in_scope(None);
                assert!(foreign_organizations(Some(&fence)).is_empty());
            }
            assert_eq!(foreign_organizations(Some(&fence)), ["o-zz9y8x7w6v"]);
        }
        assert!(foreign_organizations(Some(&fence)).is_empty());
    }
}
