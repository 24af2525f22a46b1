//! An AWS RAM resource share that reaches accounts outside the caller's own: a
//! share created (`CreateResourceShare`) or extended (`AssociateResourceShare`)
//! with another account or another account's role or user among its principals,
//! or a share switched to allow principals outside the organisation
//! (`UpdateResourceShare` with `allowExternalPrincipals` true), successfully.
//!
//! Decisions: from an evasion review (no detection watched RAM). RAM shares
//! what resource policies cannot: an Aurora cluster (the other account clones
//! the whole database), subnets (it launches instances inside this network),
//! transit gateways and resolver rules (its traffic and names join this
//! network), Glue catalogs, and more. A share created with
//! `allowExternalPrincipals` false admits only the organisation's accounts and
//! is left out; the flag's default is true. An extension's request cannot say
//! what its share allows, so every other account it adds counts, unless the
//! answer marks the association internal (`external` false: inside the
//! organisation). Organisation and OU
//! principals are the organisation's own (RAM shares with no other), and
//! service principals are AWS's. Databases, subnets, transit gateways, resolver
//! rules and Glue data are high; other resources medium. Calls AWS services
//! make on their own are left out; a stack's count.
//!
//! From a later review: backup vaults (a logically air-gapped vault shared is a
//! copy of every backup in it) and private certificate authorities (the other
//! account issues certificates this account's systems trust) are high too; and
//! Lake Formation's grants to another account (`GrantPermissions`,
//! `BatchGrantPermissions` naming an account, or a role or user of one, as the
//! `dataLakePrincipalIdentifier`), which Lake Formation turns into a RAM share it
//! makes itself (left out as a service's call), are high: the other account reads
//! the tables granted. From a third evasion review: Systems Manager parameters
//! (SecureString secrets) are high, as the same share by the parameter's own
//! policy is (`resource-policy-external-access`).
//!
//! From a review of false positives (ninth session): a Lake Formation grant to
//! an organisation or one of its units (`arn:aws:organizations::<management
//! account>:organization/o-...` or `...:ou/o-.../ou-...`) read as a grant to the
//! management account, high. Lake Formation makes it through RAM, which shares
//! with an organisation only inside the caller's own: it is low, the
//! organisation named (`organizations_granted`), not silent (an evasion review: every
//! member account, a sandbox's included, then reads the tables). When the
//! deployment names its own organisations (`common::organizations`), a grant to
//! any other organisation is high, naming it (`other_organizations`).

use serde_json::Value;

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    aws_service_caller_but_stack, call_context, flag_value, foreign_account, one_or_many,
    organizations, principal_account, succeeded_call,
};
use crate::event::Record;

pub struct RamResourceSharedWithAnotherAccount;

const RAM: &str = "ram.amazonaws.com";
const NAMES: &[&str] = &["CreateResourceShare", "AssociateResourceShare", "UpdateResourceShare"];

/// Resource ARNs of the kinds that put this account's data or network in
/// another's hands, by the text that marks them (`arn:aws:rds:...:cluster:`).
const SENSITIVE: &[&str] = &[
    ":rds:",
    ":subnet/",
    ":transit-gateway/",
    ":resolver-rule/",
    ":glue:",
    ":network-firewall:",
    ":backup-vault:",
    ":acm-pca:",
    // A Systems Manager parameter (SecureString secrets): high, as its own
    // resource policy's share is (from an evasion review).
    ":parameter/",
];

const LAKE_FORMATION: &str = "lakeformation.amazonaws.com";
const GRANTS: &[&str] = &["GrantPermissions", "BatchGrantPermissions"];

pub static META: Meta = Meta {
    id: "ram-resource-shared-with-another-account",
    title: "AWS RAM Resource or Lake Formation Data Shared with Another Account",
    description: "An AWS Resource Access Manager share now reaches an account other than this \
                  one, and may reach outside the organisation: a database cluster, subnet, \
                  transit gateway or other resource becomes usable from there. Another account \
                  given a shared subnet can launch instances inside this network; one given an \
                  Aurora cluster can clone the whole database; one granted Lake Formation tables \
                  reads them.",
    severity: Severity::Medium,
    attack: &["T1537", "T1098"],
    origins: &[
        "trailwatch: from an evasion review (resource sharing through AWS RAM, which no \
         resource-policy detection sees)",
    ],
    group: "resource-sharing",
    false_positives: &[
        "A network or shared-services account sharing subnets, transit gateways or resolver \
         rules with the organisation's accounts by account id: create such shares with \
         allowExternalPrincipals false (then they are left out, and so are later additions \
         RAM marks as inside the organisation), or tune by the role.",
    ],
    next_steps: "Check the principals in the evidence against the organisation's accounts. If \
                 one is unknown, remove it from the share (DisassociateResourceShare) or delete \
                 the share, then look at what that account did with the resources: instances in \
                 shared subnets, clones of shared clusters, attachments to shared gateways.",
    evidence: "allow_external_principals organizations_granted other_organizations \
        other_principals permissions region resources share source_ip user_agent",
    triggers: &[Trigger::write(RAM, NAMES), Trigger::write(LAKE_FORMATION, GRANTS)],
    window: None,
};

/// The principals of the request that are another account, or a role or user of
/// one (organisation and OU ARNs, and service principals, are not). When the
/// answer lists the associations with RAM's own verdict on each (`external`:
/// outside the organisation), an association RAM marks internal is left out
/// (from a review: adding a member account to a shared subnet is onboarding).
fn other_principals<'v>(rec: &Record<'_>, request: &'v Value) -> Vec<&'v str> {
    let internal: Vec<&str> = rec
        .response_element("resourceShareAssociations")
        .map(|a| one_or_many(Some(a)))
        .unwrap_or_default()
        .into_iter()
        .filter(|a| a.get("external").and_then(flag_value) == Some(false))
        .filter_map(|a| a.get("associatedEntity")?.as_str())
        .map(str::trim)
        .collect();
    one_or_many(request.get("principals"))
        .into_iter()
        .filter_map(Value::as_str)
        .filter(|p| !p.contains(":organizations::"))
        .filter(|p| !internal.contains(&p.trim()))
        .filter(|p| principal_account(p).and_then(|a| foreign_account(rec, a)).is_some())
        .collect()
}

impl Detection for RamResourceSharedWithAnotherAccount {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn severity_for(&self, rec: &Record<'_>) -> Severity {
        if rec.event_source() == LAKE_FORMATION {
            // Grants to our own organisation alone (or one not known to be
            // another's) are low: every member account, a sandbox's too, reads
            // them, but no one outside (ninth session: a review of false
            // positives, then an evasion review of their silence).
            let grantees = lake_formation_grantees(rec);
            let ours_only = !grantees.is_empty()
                && grantees.iter().all(|(_, g)| matches!(g, Grantee::OurOrganization(_)));
            return if ours_only { Severity::Low } else { Severity::High };
        }
        let sensitive = rec
            .request_param("resourceArns")
            .map(|r| one_or_many(Some(r)))
            .unwrap_or_default()
            .into_iter()
            .filter_map(Value::as_str)
            .any(|arn| SENSITIVE.iter().any(|kind| arn.contains(kind)));
        if sensitive { Severity::High } else { META.severity }
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if succeeded_call(rec, LAKE_FORMATION, GRANTS) && !aws_service_caller_but_stack(rec) {
            return lake_formation_grant(rec);
        }
        if !succeeded_call(rec, RAM, NAMES) || aws_service_caller_but_stack(rec) {
            return None;
        }
        let request = rec.request_parameters()?;
        let external = request.get("allowExternalPrincipals").and_then(flag_value);
        let principals = match rec.event_name() {
            "UpdateResourceShare" if external == Some(true) => Vec::new(),
            "UpdateResourceShare" => return None,
            // Confined to the organisation by the share itself.
            "CreateResourceShare" if external == Some(false) => return None,
            _ => {
                let others = other_principals(rec, request);
                if others.is_empty() {
                    return None;
                }
                others
            }
        };
        let resources: Vec<&str> = one_or_many(request.get("resourceArns"))
            .into_iter()
            .filter_map(Value::as_str)
            .collect();
        fire(
            call_context(rec)
                .with_opt("share", request.get("name").or_else(|| request.get("resourceShareArn")).and_then(Value::as_str))
                .with_opt("other_principals", (!principals.is_empty()).then_some(principals))
                .with_opt("resources", (!resources.is_empty()).then_some(resources))
                .with_opt("allow_external_principals", external),
        )
    }
}

/// Whom a Lake Formation grant entry's principal reaches outside this account.
enum Grantee<'v> {
    /// Another account, or a role or user of one, as the entry names it.
    Account(&'v str),
    /// An organisation other than the deployment's own, or a unit of one.
    Organization(String),
    /// An organisation or unit not known to be another's (the deployment's own,
    /// or any while it names none), as the entry names it.
    OurOrganization(&'v str),
}

/// The grantee outside this account of a Lake Formation grant entry
/// (`principal.dataLakePrincipalIdentifier`). An organisation's or unit's ARN
/// (read strictly, `organizations::organization_of_arn`) names the management
/// account, which is no grantee: the organisation is, another's when the
/// deployment names its own and this is not one of them.
fn grantee<'v>(rec: &Record<'_>, entry: &'v Value) -> Option<Grantee<'v>> {
    let id = entry.get("principal")?.get("dataLakePrincipalIdentifier")?.as_str()?;
    if let Some(org) = organizations::organization_of_arn(id) {
        return Some(match organizations::foreign_organization_id(org) {
            Some(other) => Grantee::Organization(other),
            None => Grantee::OurOrganization(id),
        });
    }
    principal_account(id).and_then(|a| foreign_account(rec, a)).map(|_| Grantee::Account(id))
}

/// The entries of a Lake Formation grant (one, or a batch's) that reach outside
/// this account, each with its grantee.
fn lake_formation_grantees<'r>(rec: &'r Record<'_>) -> Vec<(&'r Value, Grantee<'r>)> {
    let Some(request) = rec.request_parameters() else {
        return Vec::new();
    };
    let entries = match rec.event_name() {
        "BatchGrantPermissions" => one_or_many(request.get("entries")),
        _ => vec![request],
    };
    entries
        .into_iter()
        .filter_map(|entry| Some((entry, grantee(rec, entry)?)))
        .collect()
}

/// A Lake Formation grant to another account, or a role or user of one, or to
/// an organisation (another's, or ours: every member account, a sandbox's
/// included, then reads it): a finding naming them, the resources and
/// permissions.
fn lake_formation_grant(rec: &Record<'_>) -> Option<Signal> {
    let granted = lake_formation_grantees(rec);
    if granted.is_empty() {
        return None;
    }
    // Each grantee once, in the request's order.
    let named = |pick: fn(&Grantee<'_>) -> Option<String>| {
        let mut out: Vec<String> = Vec::new();
        for name in granted.iter().filter_map(|(_, g)| pick(g)) {
            if !out.contains(&name) {
                out.push(name);
            }
        }
        (!out.is_empty()).then_some(out)
    };
    let principals = named(|g| match g {
        Grantee::Account(id) => Some((*id).to_owned()),
        _ => None,
    });
    let mut others = named(|g| match g {
        Grantee::Organization(org) => Some(org.clone()),
        _ => None,
    });
    if let Some(o) = others.as_mut() {
        o.sort_unstable();
    }
    let ours = named(|g| match g {
        Grantee::OurOrganization(arn) => Some((*arn).to_owned()),
        _ => None,
    });
    let resources: Vec<&Value> = granted.iter().filter_map(|(e, _)| e.get("resource")).collect();
    let permissions: Vec<&Value> = granted.iter().filter_map(|(e, _)| e.get("permissions")).collect();
    fire(
        call_context(rec)
            .with_opt("other_principals", principals)
            .with_opt("other_organizations", others)
            .with_opt("organizations_granted", ours)
            .with("resources", serde_json::json!(resources))
            .with("permissions", serde_json::json!(permissions)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::{fired_evidence, fires};

    const CLUSTER: &str = "arn:aws:rds:us-east-1:111122223333:cluster:orders";
    const SUBNET: &str = "arn:aws:ec2:us-east-1:111122223333:subnet/subnet-0a1b2c3d4e5f60718";

    fn share(name: &str, params: &str) -> String {
        record(RAM, name, ROLE, params, "")
    }

    fn severity(rec: &str) -> Severity {
        testing::severity(&RamResourceSharedWithAnotherAccount, rec)
    }

    #[test]
    fn another_account_in_a_new_or_extended_share_fires() {
        let created = share(
            "CreateResourceShare",
            &format!(r#"{{"name":"db","resourceArns":["{CLUSTER}"],"principals":["999988887777"],"allowExternalPrincipals":true}}"#),
        );
        let e = fired_evidence(&RamResourceSharedWithAnotherAccount, &created);
        assert_eq!(e.get("other_principals").unwrap(), &serde_json::json!(["999988887777"]));
        assert_eq!(severity(&created), Severity::High);
        // The flag left out is true; a role of another account counts.
        let by_role = share(
            "CreateResourceShare",
            r#"{"name":"params","resourceArns":["arn:aws:ssm:us-east-1:111122223333:parameter/app"],"principals":["arn:aws:iam::999988887777:role/reader"]}"#,
        );
        assert!(fires(&RamResourceSharedWithAnotherAccount, &by_role));
        // A parameter is high since an evasion review, as its policy's share is.
        assert_eq!(severity(&by_role), Severity::High);
        let prefix_list = by_role.replace("ssm:us-east-1:111122223333:parameter/app", "ec2:us-east-1:111122223333:prefix-list/pl-0a1b");
        assert_eq!(severity(&prefix_list), Severity::Medium);
        let extended = share(
            "AssociateResourceShare",
            &format!(r#"{{"resourceShareArn":"arn:aws:ram:us-east-1:111122223333:resource-share/7ab63972","principals":["999988887777"],"resourceArns":["{SUBNET}"]}}"#),
        );
        assert!(fires(&RamResourceSharedWithAnotherAccount, &extended));
        assert_eq!(severity(&extended), Severity::High);
        // RAM's answer says whether each new principal is outside the organisation.
        let answered = |external: bool| {
            extended.replace(
                r#""responseElements":null"#,
                &format!(r#""responseElements":{{"resourceShareAssociations":[{{"associatedEntity":"999988887777","associationType":"PRINCIPAL","status":"ASSOCIATING","external":{external}}}]}}"#),
            )
        };
        assert!(answered(true).contains("external"));
        assert!(fires(&RamResourceSharedWithAnotherAccount, &answered(true)));
        assert!(!fires(&RamResourceSharedWithAnotherAccount, &answered(false)));
        let opened = share(
            "UpdateResourceShare",
            r#"{"resourceShareArn":"arn:aws:ram:us-east-1:111122223333:resource-share/7ab63972","allowExternalPrincipals":true}"#,
        );
        assert!(fires(&RamResourceSharedWithAnotherAccount, &opened));
    }

    #[test]
    fn the_organisation_own_account_services_and_failures_do_not() {
        for params in [
            // Confined to the organisation.
            format!(r#"{{"name":"net","resourceArns":["{SUBNET}"],"principals":["444455556666"],"allowExternalPrincipals":false}}"#),
            // The organisation or an OU, this account, a service.
            format!(r#"{{"name":"net","resourceArns":["{SUBNET}"],"principals":["arn:aws:organizations::123456789012:organization/o-a1b2c3d4e5","arn:aws:organizations::123456789012:ou/o-a1b2c3d4e5/ou-ab12-cdefgh34"]}}"#),
            format!(r#"{{"name":"self","resourceArns":["{SUBNET}"],"principals":["111122223333"]}}"#),
            format!(r#"{{"name":"svc","resourceArns":["{SUBNET}"],"principals":["ec2.amazonaws.com"]}}"#),
            format!(r#"{{"name":"none","resourceArns":["{SUBNET}"]}}"#),
        ] {
            assert!(!fires(&RamResourceSharedWithAnotherAccount, &share("CreateResourceShare", &params)), "{params}");
        }
        let closed = r#"{"resourceShareArn":"arn:aws:ram:us-east-1:111122223333:resource-share/7ab63972","allowExternalPrincipals":false}"#;
        assert!(!fires(&RamResourceSharedWithAnotherAccount, &share("UpdateResourceShare", closed)));
        let renamed = r#"{"resourceShareArn":"arn:aws:ram:us-east-1:111122223333:resource-share/7ab63972","name":"db-v2"}"#;
        assert!(!fires(&RamResourceSharedWithAnotherAccount, &share("UpdateResourceShare", renamed)));
        let params = r#"{"name":"db","principals":["999988887777"]}"#;
        assert!(!fires(&RamResourceSharedWithAnotherAccount, &failed(RAM, "CreateResourceShare", ROLE, params, "OperationNotPermittedException")));
        assert!(!fires(&RamResourceSharedWithAnotherAccount, &record(RAM, "CreateResourceShare", SERVICE, params, "")));
    }

    /// From a later review: Lake Formation's grants to another account, and the
    /// kinds of share that are high.
    #[test]
    fn lake_formation_grants_to_another_account_fire_high() {
        let grant = |params: &str| record(LAKE_FORMATION, "GrantPermissions", ROLE, params, "");
        let outside = grant(r#"{"catalogId":"111122223333","principal":{"dataLakePrincipalIdentifier":"444455556666"},
            "resource":{"table":{"catalogId":"111122223333","databaseName":"sales","tableWildcard":{}}},"permissions":["SELECT","DESCRIBE"]}"#);
        let e = fired_evidence(&RamResourceSharedWithAnotherAccount, &outside);
        assert_eq!(e.get("other_principals").unwrap(), &serde_json::json!(["444455556666"]));
        assert_eq!(severity(&outside), Severity::High);
        let role = grant(r#"{"principal":{"dataLakePrincipalIdentifier":"arn:aws:iam::444455556666:role/reader"},"resource":{"database":{"name":"sales"}},"permissions":["DESCRIBE"]}"#);
        assert!(fires(&RamResourceSharedWithAnotherAccount, &role));
        let batch = record(LAKE_FORMATION, "BatchGrantPermissions", ROLE, r#"{"catalogId":"111122223333","entries":[
            {"id":"1","principal":{"dataLakePrincipalIdentifier":"arn:aws:iam::111122223333:role/analyst"},"resource":{"database":{"name":"sales"}},"permissions":["DESCRIBE"]},
            {"id":"2","principal":{"dataLakePrincipalIdentifier":"444455556666"},"resource":{"database":{"name":"sales"}},"permissions":["ALL"]}]}"#, "");
        let e = fired_evidence(&RamResourceSharedWithAnotherAccount, &batch);
        assert_eq!(e.get("other_principals").unwrap(), &serde_json::json!(["444455556666"]));
        // The organisation, even from its management account, reaches every
        // member: low (ninth session).
        let org = grant(r#"{"principal":{"dataLakePrincipalIdentifier":"arn:aws:organizations::111122223333:organization/o-a1b2c3d4e5"},"resource":{"database":{"name":"sales"}},"permissions":["DESCRIBE"]}"#);
        assert_eq!(severity(&org), Severity::Low);
        // This account's own roles, IAM_ALLOWED_PRINCIPALS: not another account.
        for own in [
            r#"{"principal":{"dataLakePrincipalIdentifier":"arn:aws:iam::111122223333:role/analyst"},"resource":{"database":{"name":"sales"}},"permissions":["ALL"]}"#,
            r#"{"principal":{"dataLakePrincipalIdentifier":"IAM_ALLOWED_PRINCIPALS"},"resource":{"database":{"name":"sales"}},"permissions":["ALL"]}"#,
        ] {
            assert!(!fires(&RamResourceSharedWithAnotherAccount, &grant(own)), "{own}");
        }
        assert!(!fires(&RamResourceSharedWithAnotherAccount, &failed(LAKE_FORMATION, "GrantPermissions", ROLE, r#"{"principal":{"dataLakePrincipalIdentifier":"444455556666"}}"#, "AccessDeniedException")));
        let vault = share("CreateResourceShare", r#"{"name":"v","resourceArns":["arn:aws:backup:us-east-1:111122223333:backup-vault:lag-vault"],"principals":["444455556666"]}"#);
        assert_eq!(severity(&vault), Severity::High);
        let ca = share("CreateResourceShare", r#"{"name":"c","resourceArns":["arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/1"],"principals":["444455556666"]}"#);
        assert_eq!(severity(&ca), Severity::High);
    }

    /// Ninth session, from a review of false positives and an evasion review: a
    /// Lake Formation grant to the organisation or a unit of it (whose ARN names
    /// the management account) is not another account's, but low; one to
    /// another organisation is high when the deployment names its own; an
    /// account beside it is high.
    #[test]
    fn lake_formation_grants_to_an_organisation_are_the_organisations() {
        let grant = |principal: &str| {
            record(LAKE_FORMATION, "GrantPermissions", ROLE, &format!(
                r#"{{"principal":{{"dataLakePrincipalIdentifier":"{principal}"}},"resource":{{"table":{{"catalogId":"111122223333","databaseName":"sales","name":"orders"}}}},"permissions":["SELECT"]}}"#
            ), "")
        };
        let org = "arn:aws:organizations::999988887777:organization/o-a1b2c3d4e5";
        let unit = "arn:aws:organizations::999988887777:ou/o-a1b2c3d4e5/ou-ab12-cdef3456";
        let theirs = "arn:aws:organizations::444455556666:organization/o-zz9988776655";
        // No organisation named as ours: any is read as ours, low, named.
        for principal in [org, unit, theirs] {
            let e = fired_evidence(&RamResourceSharedWithAnotherAccount, &grant(principal));
            assert_eq!(e.get("organizations_granted").unwrap(), &serde_json::json!([principal]), "no list: {principal}");
            assert_eq!(e.get("other_principals"), None);
            assert_eq!(severity(&grant(principal)), Severity::Low, "no list: {principal}");
        }
        let batch = |principals: &[&str]| {
            let entries: Vec<String> = principals.iter().enumerate().map(|(i, p)| format!(
                r#"{{"id":"{i}","principal":{{"dataLakePrincipalIdentifier":"{p}"}},"resource":{{"database":{{"name":"sales"}}}},"permissions":["DESCRIBE"]}}"#
            )).collect();
            record(LAKE_FORMATION, "BatchGrantPermissions", ROLE, &format!(r#"{{"catalogId":"111122223333","entries":[{}]}}"#, entries.join(",")), "")
        };
        assert_eq!(severity(&batch(&[org, unit])), Severity::Low);
        // Each organisation named once.
        let e = fired_evidence(&RamResourceSharedWithAnotherAccount, &batch(&[org, unit, org]));
        assert_eq!(e.get("organizations_granted").unwrap(), &serde_json::json!([org, unit]));
        // An account beside the organisation is still another account.
        let mixed = batch(&[org, "arn:aws:iam::444455556666:role/reader"]);
        let e = fired_evidence(&RamResourceSharedWithAnotherAccount, &mixed);
        assert_eq!(e.get("other_principals").unwrap(), &serde_json::json!(["arn:aws:iam::444455556666:role/reader"]));
        assert_eq!(e.get("other_organizations"), None);
        assert_eq!(e.get("organizations_granted").unwrap(), &serde_json::json!([org]));
        assert_eq!(severity(&mixed), Severity::High);
        // An ARN of the organisations service that names no organisation is read by its account.
        assert!(fires(&RamResourceSharedWithAnotherAccount, &grant("arn:aws:organizations::999988887777:account/o-a1b2c3d4e5/999988887777")));
        let ids: std::sync::Arc<[String]> = vec!["o-a1b2c3d4e5".to_owned()].into();
        let _scope = organizations::in_scope(Some(&ids));
        assert_eq!(severity(&grant(org)), Severity::Low);
        assert_eq!(severity(&grant(unit)), Severity::Low);
        let e = fired_evidence(&RamResourceSharedWithAnotherAccount, &grant(theirs));
        assert_eq!(e.get("other_organizations").unwrap(), &serde_json::json!(["o-zz9988776655"]));
        assert_eq!(e.get("other_principals"), None);
        assert_eq!(severity(&grant(theirs)), Severity::High);
    }
}
