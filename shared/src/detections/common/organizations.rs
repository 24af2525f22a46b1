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

use super::policy::{action_pattern_matches, literal_pins, narrowing_operator, one_or_many};

thread_local! {
    static OWN: RefCell<Option<Arc<[String]>>> = const { RefCell::new(None) };
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
/// guard is dropped. `None` (no list configured) is a scope too: a detection
/// then takes every organisation fence as private.
pub fn in_scope(ids: Option<&Arc<[String]>>) -> Scope {
    let before = OWN.with(|own| std::mem::replace(&mut *own.borrow_mut(), ids.cloned()));
    Scope { before }
}

/// Whether an organisation list is in scope on this thread (a cheap check for
/// callers that would otherwise walk a policy for nothing).
fn configured() -> bool {
    OWN.with(|own| own.borrow().is_some())
}

/// The organisations, other than those in scope, that the organisation keys of
/// a statement's `Condition` let in (`aws:PrincipalOrgID` or `aws:SourceOrgID`
/// equal to or like an id, an organisation path that starts with one), under an
/// operator that narrows. Sorted, without repeats; none when no list is in
/// scope. Values that pin no organisation (`o-*`, a caller's own variable) are
/// left to [`super::condition_restricts`], which reads them as everyone; a
/// resource-side variable (`${aws:ResourceOrgID}`) is the resource's own
/// organisation.
pub fn foreign_organizations(condition: Option<&serde_json::Value>) -> Vec<String> {
    if !configured() {
        return Vec::new();
    }
    OWN.with(|own| match own.borrow().as_deref() {
        Some(ids) => foreign_organizations_among(condition, ids),
        None => Vec::new(),
    })
}

/// An organisation id given as a request parameter (Lambda's `principalOrgID`),
/// when an organisation list is in scope and the id is not in it.
pub fn foreign_organization_id(id: &str) -> Option<String> {
    let id = id.trim();
    OWN.with(|own| {
        let own = own.borrow();
        let ids = own.as_deref()?;
        (!id.is_empty() && !ids.iter().any(|o| org_pattern_matches(id, o))).then(|| id.to_owned())
    })
}

/// [`foreign_organizations`] against an explicit list.
pub(crate) fn foreign_organizations_among(
    condition: Option<&serde_json::Value>,
    own: &[String],
) -> Vec<String> {
    let Some(serde_json::Value::Object(operators)) = condition else {
        return Vec::new();
    };
    let mut out: Vec<String> = operators
        .iter()
        .filter(|(op, _)| narrowing_operator(op))
        .filter_map(|(_, keys)| keys.as_object())
        .flat_map(|keys| keys.iter())
        .filter_map(|(key, value)| Some((organization_key(key)?, value)))
        .flat_map(|(is_path, value)| {
            one_or_many(Some(value))
                .into_iter()
                .filter_map(serde_json::Value::as_str)
                .filter_map(move |v| {
                    let v = v.trim();
                    // A path's first step is its organisation.
                    let org = if is_path { v.split('/').next()? } else { v };
                    foreign(org, own).then(|| org.to_owned())
                })
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

/// An organisation value (an id, or a pattern that pins one) that matches none
/// of `own`. A variable, a value that is not an organisation's, or a pattern too
/// short to pin anyone is not judged here.
fn foreign(value: &str, own: &[String]) -> bool {
    if !value.starts_with("o-") || value.contains("${") {
        return false;
    }
    if let Some(at) = value.find(['*', '?'])
        && !literal_pins(&value[..at])
    {
        return false;
    }
    !own.iter().any(|o| org_pattern_matches(value, o))
}

/// Whether an organisation value (with `*` and `?` wildcards) matches the id
/// `org`, in any letter case (ids are lowercase; a value in capitals is still
/// meant as the id).
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
    }

    #[test]
    fn fences_around_our_own_organisation_or_nobody_are_not() {
        for condition in [
            json!({"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}),
            json!({"StringEquals": {"AWS:PRINCIPALORGID": " O-A1B2C3D4E5 "}}),
            json!({"StringLike": {"aws:PrincipalOrgID": "o-a1b2*"}}),
            json!({"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-a1b2c3d4e5/*"}}),
            json!({"StringEquals": {"aws:PrincipalOrgID": "${aws:ResourceOrgID}"}}),
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
