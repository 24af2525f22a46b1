//! A resource policy opened to everyone or to another account, on the services no
//! other detection judges, successfully: a DynamoDB table or stream
//! (`PutResourcePolicy`, or `CreateTable` with its `resourcePolicy`), an EFS file
//! system (`PutFileSystemPolicy`), an OpenSearch domain (`CreateDomain` or
//! `UpdateDomainConfig` with `accessPolicies`, and their Elasticsearch-era names
//! `CreateElasticsearchDomain`, `UpdateElasticsearchDomainConfig`), an S3 access
//! point (`PutAccessPointPolicy`, and the multi-Region and Object Lambda ones'
//! calls), a Glacier vault (`SetVaultAccessPolicy`), a Lambda layer version
//! (`AddLayerVersionPermission`, recorded with a version suffix), a Redshift
//! Serverless snapshot (`PutResourcePolicy`: how Serverless snapshots are shared),
//! an EventBridge event bus (`PutPermission`, a policy or one principal: a bus open
//! to anyone takes forged events into its rules' targets), a Kinesis stream or
//! consumer, or the Glue Data Catalog (`PutResourcePolicy`, `policyInJson`). The
//! calls added after reviews, 2026-12-05: the legacy OpenSearch names, the other
//! access points, `CreateTable`, Redshift Serverless, EventBridge, Kinesis, Glue.
//! After a review, 2026-12-06: a Systems Manager parameter (`PutResourcePolicy`:
//! SecureString secrets shared), an S3 table bucket (`PutTableBucketPolicy`,
//! `resourcePolicy`), an MSK cluster (`PutClusterPolicy`), and the endpoint
//! grants that name one account (OpenSearch `AuthorizeVpcEndpointAccess`, Redshift
//! `AuthorizeEndpointAccess`: that account reaches the domain or cluster from its
//! own network), all data stores. After a third evasion review: an ACM private
//! certificate authority's policy (`PutPolicy`), high as its RAM share is: the
//! other account issues certificates this account's systems (and IAM Roles
//! Anywhere) trust.
//!
//! Decisions: judged as the bucket, secret, topic, queue and vault policies are
//! (`common::policy_exposure`): an `Allow` for the principal `*` counts unless a
//! `Condition` fences in its callers (the organisation, a network, named
//! accounts...), and an account principal counts when it is not the event's own
//! account. A layer permission names one principal: `*` without an organisation
//! is public, a 12-digit account other than the event's own is another account.
//! When the deployment names its own organisations (`common::organizations`), a
//! fence to any other (a policy's condition, a layer's `organizationId`, a bus
//! grant's `aws:PrincipalOrgID`) is reported as a grant to that organisation.
//! The policy is read as JSON text or as an object (Glacier nests it one level
//! down). EFS statements that admit only clients mounting through the file
//! system's mount targets (the console's default policy) are fenced by the network,
//! and an OpenSearch domain created inside a VPC is reached through it alone; a
//! domain updated later does not say where it is, and is named in the false
//! positives. Changes AWS services make on their own are left out; a stack's change
//! counts. A Redshift Serverless snapshot shared that way is high, as the
//! snapshot shares of EBS, RDS and provisioned Redshift are (from an evasion
//! review: it was medium while `AuthorizeSnapshotAccess` was high); so, after a
//! later one, is every data store here (tables, file systems, domains, access
//! points, vaults, streams), as a bucket opened to another account is. The
//! mount-target fence of EFS holds only for statements open to everyone; so does
//! a fence to access points of the file system's own account (eighth session).
//!
//! From a review of false positives (ninth session): an OpenSearch domain
//! created with fine-grained access control on (`advancedSecurityOptions`
//! `enabled` true, anonymous access not on; an update stays high, since an
//! earlier update may have set who signs in) behind a policy open to
//! everyone for HTTP calls alone (`es:ESHttp*`) is medium, not high, its evidence
//! saying `fine_grained_access_control`: AWS's guide recommends that pairing, and
//! every request must still sign in. Without fine-grained access control in the
//! request (an update carrying only the policy), with anonymous access on, or
//! with an open statement granting any other action (`es:*`,
//! `es:UpdateDomainConfig`), it stays high; so does a request that also sets a
//! master user with a password, a master role of another account, or a SAML or
//! JWT sign-in (an evasion review: the caller would be the one who signs in). And a Glue catalog statement that
//! holds only under `Bool` `glue:EvaluatedByLakeFormationTags` true (how Lake
//! Formation's cross-account grants by LF-tag require the catalog policy to
//! read) is fenced: Lake Formation decides what it reaches, and its grants to
//! other accounts are reported by `ram-resource-shared-with-another-account`.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    allow_statements, aws_service_caller_but_stack, condition_entries_under, flag_value, foreign_account, one_or_many, pascal_or_camel,
    policy_document, policy_exposure, principal_account, principal_is_anyone, request_param_any, request_text_any, succeeded_call,
    texts_at_key, values_at_key,
};
use crate::detections::common::organizations;
use crate::event::Record;

pub struct ResourcePolicyExternalAccess;

const DYNAMODB: &str = "dynamodb.amazonaws.com";
const EFS: &str = "elasticfilesystem.amazonaws.com";
const OPENSEARCH: &str = "es.amazonaws.com";
const S3: &str = "s3.amazonaws.com";
const GLACIER: &str = "glacier.amazonaws.com";
const LAMBDA: &str = "lambda.amazonaws.com";
const REDSHIFT_SERVERLESS: &str = "redshift-serverless.amazonaws.com";
const EVENTBRIDGE: &str = "events.amazonaws.com";
const KINESIS: &str = "kinesis.amazonaws.com";
const GLUE: &str = "glue.amazonaws.com";
const SSM: &str = "ssm.amazonaws.com";
const S3_TABLES: &str = "s3tables.amazonaws.com";
const MSK: &str = "kafka.amazonaws.com";
const REDSHIFT: &str = "redshift.amazonaws.com";
const PRIVATE_CA: &str = "acm-pca.amazonaws.com";
const PRIVATE_CA_CALLS: &[&str] = &["PutPolicy"];
const SSM_CALLS: &[&str] = &["PutResourcePolicy"];
const S3_TABLES_CALLS: &[&str] = &["PutTableBucketPolicy"];
const MSK_CALLS: &[&str] = &["PutClusterPolicy"];
/// Grants of a domain's or cluster's endpoint to one account (`account`).
const ENDPOINT_GRANTS: &[&str] = &["AuthorizeVpcEndpointAccess", "AuthorizeEndpointAccess"];
const REDSHIFT_CALLS: &[&str] = &["AuthorizeEndpointAccess"];
const EVENTBRIDGE_CALLS: &[&str] = &["PutPermission"];
const KINESIS_CALLS: &[&str] = &["PutResourcePolicy"];
const GLUE_CALLS: &[&str] = &["PutResourcePolicy"];
const DYNAMODB_CALLS: &[&str] = &["CreateTable", "PutResourcePolicy"];
const EFS_CALLS: &[&str] = &["PutFileSystemPolicy"];
const OPENSEARCH_CALLS: &[&str] = &[
    "AuthorizeVpcEndpointAccess",
    "CreateDomain",
    "CreateElasticsearchDomain",
    "UpdateDomainConfig",
    "UpdateElasticsearchDomainConfig",
];
/// The calls that create a domain: one inside a VPC is reached through it alone.
const OPENSEARCH_CREATE: &[&str] = &["CreateDomain", "CreateElasticsearchDomain"];
const S3_CALLS: &[&str] = &[
    "PutAccessPointPolicy",
    "PutAccessPointPolicyForObjectLambda",
    "PutMultiRegionAccessPointPolicy",
];
const REDSHIFT_SERVERLESS_CALLS: &[&str] = &["PutResourcePolicy"];
const GLACIER_CALLS: &[&str] = &["SetVaultAccessPolicy"];
const LAMBDA_CALLS: &[&str] = &["AddLayerVersionPermission20181031"];
/// The services whose resources here hold data: opened, they are as severe as a
/// bucket policy opened to another account (high); layers, buses and the Glue
/// catalog's metadata stay medium.
const DATA_STORES: &[&str] = &[
    DYNAMODB,
    EFS,
    OPENSEARCH,
    S3,
    GLACIER,
    REDSHIFT_SERVERLESS,
    KINESIS,
    SSM,
    S3_TABLES,
    MSK,
    REDSHIFT,
    PRIVATE_CA,
];

pub static META: Meta = Meta {
    id: "resource-policy-external-access",
    title: "AWS Resource Policy Opened to Another Account or Everyone",
    description: "A DynamoDB table, EFS file system, OpenSearch domain, S3 access point, \
                  Glacier vault, Lambda layer, Redshift Serverless snapshot, event bus, \
                  Kinesis stream, Glue Data Catalog, Systems Manager parameter, S3 table \
                  bucket, MSK cluster or private certificate authority now has a resource policy that lets another \
                  AWS account, or anyone, use it. Whoever it names can read (and, depending on \
                  the actions, change or delete) the data without any credentials of this \
                  account. An OpenSearch domain's or Redshift cluster's endpoint granted to \
                  another account is reported too.",
    severity: Severity::Medium,
    attack: &["T1537", "T1098"],
    origins: &[
        "trailwatch: from a red-team gap hunt (resources opened by policy on services no \
         detection watched: DynamoDB, EFS, OpenSearch, S3 access points, Glacier, Lambda \
         layers)",
    ],
    group: "resource-sharing",
    false_positives: &[
        "Resources shared on purpose with the organisation's other accounts by account id: \
         tune by the account.",
        "Lambda layers published for every AWS customer.",
        "An OpenSearch domain inside a VPC given an open access policy afterwards \
         (`UpdateDomainConfig` does not say where the domain is): tune by the domain.",
    ],
    next_steps: "Read the policy in the evidence: which accounts, which actions? If the \
                 receiving account is unknown, put the previous policy back, and review the \
                 resource's access since the change.",
    evidence: "api fine_grained_access_control other_accounts other_organizations public resource \
        version",
    triggers: &[
        Trigger::write(DYNAMODB, DYNAMODB_CALLS),
        Trigger::write(EFS, EFS_CALLS),
        Trigger::write(OPENSEARCH, OPENSEARCH_CALLS),
        Trigger::write(S3, S3_CALLS),
        Trigger::write(GLACIER, GLACIER_CALLS),
        Trigger::write(LAMBDA, LAMBDA_CALLS),
        Trigger::write(REDSHIFT_SERVERLESS, REDSHIFT_SERVERLESS_CALLS),
        Trigger::write(EVENTBRIDGE, EVENTBRIDGE_CALLS),
        Trigger::write(KINESIS, KINESIS_CALLS),
        Trigger::write(GLUE, GLUE_CALLS),
        Trigger::write(SSM, SSM_CALLS),
        Trigger::write(S3_TABLES, S3_TABLES_CALLS),
        Trigger::write(MSK, MSK_CALLS),
        Trigger::write(REDSHIFT, REDSHIFT_CALLS),
        Trigger::write(PRIVATE_CA, PRIVATE_CA_CALLS),
    ],
    window: None,
};

/// The policy document a call sets, as its service logs it: under `policy` (or
/// OpenSearch's `accessPolicies`, a new DynamoDB table's `resourcePolicy`) at any
/// depth, since S3 wraps it in its request element and Glacier nests the text one
/// level down (`{"policy": {"policy": ...}}`).
fn policy(rec: &Record<'_>) -> Option<serde_json::Value> {
    let key = match (rec.event_source(), rec.event_name()) {
        (OPENSEARCH, _) => "accessPolicies",
        (DYNAMODB, "CreateTable") => "resourcePolicy",
        (GLUE, _) => "policyInJson",
        (S3_TABLES, _) => "resourcePolicy",
        _ => "policy",
    };
    values_at_key(rec.request_parameters()?, key)
        .into_iter()
        .find_map(|v| {
            let inner = v
                .as_object()
                .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case("policy")))
                .map_or(v, |(_, inner)| inner);
            policy_document(inner)
        })
}

/// An EFS statement that admits only clients mounting through the file system's
/// mount targets (`elasticfilesystem:AccessedViaMountTarget` true, the console's
/// default policy): they sit in the file system's own networks, a fence like
/// `aws:SourceVpc`.
fn through_mount_targets_only(statement: &serde_json::Value) -> bool {
    condition_entries_under(statement.get("Condition"), |op| op.eq_ignore_ascii_case("Bool"))
        .any(|(key, value)| {
            key.eq_ignore_ascii_case("elasticfilesystem:AccessedViaMountTarget")
                && one_or_many(Some(value)).iter().all(|v| flag_value(v) == Some(true))
        })
}

/// An EFS statement that admits only clients mounting through access points of
/// the file system's own account (`elasticfilesystem:AccessPointArn`, every
/// value a whole ARN of `own`, under an operator that narrows): an access point
/// is mounted through the mount targets too, so the fence is the same network
/// one as [`through_mount_targets_only`] (eighth session, from a review of
/// false positives: a policy fenced to one access point read as public).
fn through_own_access_points(statement: &serde_json::Value, own: Option<&str>) -> bool {
    let Some(own) = own else {
        return false;
    };
    condition_entries_under(statement.get("Condition"), |op| {
        ["StringEquals", "ArnEquals", "StringLike", "ArnLike"]
            .iter()
            .any(|o| o.eq_ignore_ascii_case(op.trim()))
    })
    .any(|(key, value)| {
            let values = one_or_many(Some(value));
            key.trim().eq_ignore_ascii_case("elasticfilesystem:AccessPointArn")
                && !values.is_empty()
                && values.iter().all(|v| {
                    v.as_str().is_some_and(|arn| {
                        let arn = arn.trim();
                        !arn.contains(['*', '?', '$'])
                            && arn.split(':').nth(2) == Some("elasticfilesystem")
                            && arn.split(':').nth(4) == Some(own)
                            && arn.contains(":access-point/fsap-")
                    })
                })
        })
}

/// A Glue catalog statement that holds only when Lake Formation evaluates the
/// call by LF-tags (`Bool` `glue:EvaluatedByLakeFormationTags`, every value
/// true; not `BoolIfExists`, which a call without the key passes): what it
/// reaches is what Lake Formation's grants give, judged where they are made.
fn evaluated_by_lake_formation_tags(statement: &serde_json::Value) -> bool {
    condition_entries_under(statement.get("Condition"), |op| op.trim().eq_ignore_ascii_case("Bool")).any(|(key, value)| {
        let values = one_or_many(Some(value));
        key.trim().eq_ignore_ascii_case("glue:EvaluatedByLakeFormationTags")
            && !values.is_empty()
            && values.iter().all(|v| flag_value(v) == Some(true))
    })
}

/// A statement's principals are named accounts or their principals: no
/// `NotPrincipal`, no one standing for everyone (an evasion review: the LF-tag
/// fence hid a statement open to everyone, which Lake Formation's documented
/// shape never is).
fn names_accounts_only(statement: &serde_json::Value) -> bool {
    statement.get("NotPrincipal").is_none()
        && statement.get("Principal").is_some_and(|p| !principal_is_anyone(Some(p)))
}

/// A new OpenSearch domain's policy open to everyone for HTTP calls alone,
/// behind fine-grained access control that the same request turns on: the
/// request's `advancedSecurityOptions` has `enabled` true and anonymous access
/// not true; the policy names no other account, and every `Allow` open to
/// everyone (`*`, or `NotPrincipal`) lists only `es:ESHttp...` actions. Every
/// request must then still sign in to the domain. Only a creation: an existing
/// domain's sign-in may have been set by an earlier update of the same caller
/// (a review of this cut: a master password set first, the policy opened next,
/// passed at medium).
fn fine_grained_access_control_guards(rec: &Record<'_>, doc: &serde_json::Value) -> bool {
    if rec.event_source() != OPENSEARCH || !OPENSEARCH_CREATE.contains(&rec.event_name()) {
        return false;
    }
    let Some(options) = request_param_any(rec, &["advancedSecurityOptions", "AdvancedSecurityOptions"]) else {
        return false;
    };
    let flag = |key: &str| pascal_or_camel(options, key).and_then(flag_value);
    let anonymous_off = flag("AnonymousAuthEnabled") != Some(true);
    let http_only = |st: &serde_json::Value| {
        st.get("NotAction").is_none() && {
            let actions = one_or_many(st.get("Action"));
            !actions.is_empty()
                && actions.iter().all(|a| {
                    a.as_str()
                        .and_then(|a| a.trim().get(..9))
                        .is_some_and(|p| p.eq_ignore_ascii_case("es:ESHttp"))
                })
        }
    };
    // Who signs in must be no one the caller can be (an evasion review of this
    // cut): not a master user whose password the caller just set, not another
    // account's master role, not tokens of a SAML or JWT issuer the request names.
    let master = pascal_or_camel(options, "MasterUserOptions");
    let password_user = master.is_some_and(|m| {
        ["MasterUserName", "MasterUserPassword"]
            .iter()
            .any(|k| pascal_or_camel(m, k).is_some_and(|v| !v.is_null()))
    });
    let master_elsewhere = master
        .and_then(|m| pascal_or_camel(m, "MasterUserARN"))
        .and_then(serde_json::Value::as_str)
        .is_some_and(|arn| principal_account(arn).is_none_or(|a| Some(a) != rec.account_id()));
    let federated = ["SAMLOptions", "JWTOptions", "IAMFederationOptions"]
        .iter()
        .filter_map(|k| pascal_or_camel(options, k))
        .any(|o| pascal_or_camel(o, "Enabled").and_then(flag_value) != Some(false));
    flag("Enabled") == Some(true)
        && anonymous_off
        && !password_user
        && !master_elsewhere
        && !federated
        && policy_exposure(doc, rec.account_id(), |_| true).accounts.is_empty()
        && allow_statements(doc)
            .into_iter()
            .filter(|st| principal_is_anyone(st.get("Principal")) || st.get("NotPrincipal").is_some())
            .all(http_only)
}

/// A layer permission's exposure: public (`*` without an organisation), an
/// organisation other than the deployment's own, or the other account it names.
fn layer_grant(rec: &Record<'_>) -> Option<Evidence> {
    let org = rec
        .request_param_str("organizationId")
        .map(str::trim)
        .filter(|o| !o.is_empty());
    let e = Evidence::new()
        .with_opt("resource", rec.request_param_str("layerName"))
        .with_json("version", rec.request_param("versionNumber"));
    principal_grant(rec, e, org)
}

/// An event bus permission given to one principal (`PutPermission` without a
/// policy): public for `*` unless its condition holds callers to an organisation
/// (reported when it is not the deployment's own).
fn bus_grant(rec: &Record<'_>) -> Option<Evidence> {
    let condition = rec.request_param("condition");
    let text = |k: &str| condition.and_then(|c| c.get(k)).and_then(|v| v.as_str()).map(str::trim);
    let org = (text("key").is_some_and(|k| k.eq_ignore_ascii_case("aws:PrincipalOrgID"))
        && text("type").is_some_and(|t| t.eq_ignore_ascii_case("StringEquals")))
    .then(|| text("value"))
    .flatten()
    .filter(|v| !v.is_empty() && !v.contains(['*', '?']));
    let e = Evidence::new().with("resource", rec.request_param_str("eventBusName").unwrap_or("default"));
    principal_grant(rec, e, org)
}

/// The exposure of a grant to `requestParameters.principal`: public for `*`
/// unless the organisation `org` fences it (then that organisation when it is
/// not the deployment's own), or the other account it names.
fn principal_grant(rec: &Record<'_>, e: Evidence, org: Option<&str>) -> Option<Evidence> {
    let principal = rec.request_param_str("principal")?.trim();
    if principal == "*" {
        return match org {
            None => Some(e.with("public", true)),
            Some(org) => organizations::foreign_organization_id(org)
                .map(|foreign| e.with("other_organizations", vec![foreign])),
        };
    }
    let account = foreign_account(rec, principal_account(principal)?)?;
    Some(e.with("other_accounts", vec![account]))
}

impl Detection for ResourcePolicyExternalAccess {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn severity_for(&self, rec: &Record<'_>) -> Severity {
        if rec.event_source() == OPENSEARCH && policy(rec).is_some_and(|doc| fine_grained_access_control_guards(rec, &doc)) {
            Severity::Medium
        } else if DATA_STORES.contains(&rec.event_source()) {
            Severity::High
        } else {
            META.severity
        }
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        let calls = [
            (DYNAMODB, DYNAMODB_CALLS),
            (EFS, EFS_CALLS),
            (OPENSEARCH, OPENSEARCH_CALLS),
            (S3, S3_CALLS),
            (GLACIER, GLACIER_CALLS),
            (LAMBDA, LAMBDA_CALLS),
            (REDSHIFT_SERVERLESS, REDSHIFT_SERVERLESS_CALLS),
            (EVENTBRIDGE, EVENTBRIDGE_CALLS),
            (KINESIS, KINESIS_CALLS),
            (GLUE, GLUE_CALLS),
            (SSM, SSM_CALLS),
            (S3_TABLES, S3_TABLES_CALLS),
            (MSK, MSK_CALLS),
            (REDSHIFT, REDSHIFT_CALLS),
            (PRIVATE_CA, PRIVATE_CA_CALLS),
        ];
        if !calls.iter().any(|(s, n)| succeeded_call(rec, s, n)) || aws_service_caller_but_stack(rec) {
            return None;
        }
        if rec.event_source() == LAMBDA {
            return fire(layer_grant(rec)?.with("api", rec.event_name()));
        }
        if ENDPOINT_GRANTS.contains(&rec.event_name()) {
            let account = foreign_account(rec, request_text_any(rec, &["account", "Account"])?)?;
            let resource = request_text_any(rec, &["domainName", "DomainName", "clusterIdentifier", "ClusterIdentifier"]);
            return fire(
                Evidence::new()
                    .with("api", rec.event_name())
                    .with_opt("resource", resource)
                    .with("other_accounts", vec![account]),
            );
        }
        if rec.event_source() == EVENTBRIDGE && rec.request_param("policy").is_none() {
            return fire(bus_grant(rec)?.with("api", rec.event_name()));
        }
        // An OpenSearch domain created inside a VPC is reached through it alone.
        if rec.event_source() == OPENSEARCH
            && OPENSEARCH_CREATE.contains(&rec.event_name())
            && !values_at_key(rec.request_parameters()?, "vPCOptions").is_empty()
        {
            return None;
        }
        // Systems Manager's resource policies are parameters' and OpsCenter's; only a
        // parameter holds data (OpsItem groups are shared with the delegated
        // administrator by design, from a review).
        if rec.event_source() == SSM && !rec.request_param_str("resourceArn").is_some_and(|a| a.contains(":parameter/")) {
            return None;
        }
        let doc = policy(rec)?;
        let efs = rec.event_source() == EFS;
        let glue = rec.event_source() == GLUE;
        // The mount-target fence holds only for everyone: a named other account's
        // clients mount through the targets too, from a peered network (from an
        // evasion review).
        let exposure = policy_exposure(&doc, rec.account_id(), |st| {
            let fenced = through_mount_targets_only(st) || through_own_access_points(st, rec.account_id());
            let efs_network = efs && fenced && principal_is_anyone(st.get("Principal"));
            // Lake Formation decides what an LF-tag statement reaches (ninth session).
            let lake_formation = glue && names_accounts_only(st) && evaluated_by_lake_formation_tags(st);
            !(efs_network || lake_formation)
        });
        if !exposure.exposed() {
            return None;
        }
        let resource = request_text_any(rec, &[
            "resourceArn",
            "fileSystemId",
            "domainName",
            "name",
            "accessPointName",
            "vaultName",
            "tableName",
            "eventBusName",
            "resourceARN",
            "tableBucketARN",
            "clusterArn",
        ])
        // Glue's policy is the account's Data Catalog's unless it names a resource.
        .or_else(|| (rec.event_source() == GLUE).then_some("Data Catalog"))
        // A multi-Region access point names itself inside its request's details.
        .or_else(|| texts_at_key(rec.request_parameters()?, "name").first().copied());
        let guarded = fine_grained_access_control_guards(rec, &doc);
        fire(exposure.exposure_evidence(
            Evidence::new()
                .with("api", rec.event_name())
                .with_opt("resource", resource)
                .with_opt("fine_grained_access_control", guarded.then_some(true)),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::{eval, fires};

    fn text(statement: &str) -> String {
        let doc = format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#);
        serde_json::to_string(&doc).unwrap()
    }

    const PUBLIC: &str = r#"{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}"#;
    const FOREIGN: &str = r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"dynamodb:*","Resource":"*"}"#;
    const ORG: &str = r#"{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}"#;

    fn each_service(statement: &str) -> Vec<String> {
        let t = text(statement);
        vec![
            record(DYNAMODB, "PutResourcePolicy", ROLE, &format!(r#"{{"resourceArn":"arn:aws:dynamodb:us-east-1:111122223333:table/orders","policy":{t}}}"#), ""),
            record(EFS, "PutFileSystemPolicy", ROLE, &format!(r#"{{"fileSystemId":"fs-0a1b2c3d","policy":{t}}}"#), ""),
            record(OPENSEARCH, "UpdateDomainConfig", ROLE, &format!(r#"{{"domainName":"logs","accessPolicies":{t}}}"#), ""),
            record(OPENSEARCH, "CreateDomain", ROLE, &format!(r#"{{"domainName":"logs","engineVersion":"OpenSearch_2.13","accessPolicies":{t}}}"#), ""),
            record(S3, "PutAccessPointPolicy", ROLE, &format!(r#"{{"name":"shared-ap","policy":{t}}}"#), ""),
            record(S3, "PutAccessPointPolicy", ROLE, &format!(r#"{{"name":"shared-ap","PutAccessPointPolicyRequest":{{"xmlns":"http://awss3control.amazonaws.com/doc/2018-08-20/","Policy":{t}}}}}"#), ""),
            record(GLACIER, "SetVaultAccessPolicy", ROLE, &format!(r#"{{"accountId":"-","vaultName":"archive","policy":{{"policy":{t}}}}}"#), ""),
            // Added after a review.
            record(OPENSEARCH, "UpdateElasticsearchDomainConfig", ROLE, &format!(r#"{{"domainName":"logs","accessPolicies":{t}}}"#), ""),
            record(OPENSEARCH, "CreateElasticsearchDomain", ROLE, &format!(r#"{{"domainName":"logs","elasticsearchVersion":"7.10","accessPolicies":{t}}}"#), ""),
            record(DYNAMODB, "CreateTable", ROLE, &format!(r#"{{"tableName":"orders","billingMode":"PAY_PER_REQUEST","resourcePolicy":{t}}}"#), ""),
            record(S3, "PutMultiRegionAccessPointPolicy", ROLE, &format!(r#"{{"PutMultiRegionAccessPointPolicyRequest":{{"Details":{{"Name":"global-ap","Policy":{t}}}}}}}"#), ""),
            record(S3, "PutAccessPointPolicyForObjectLambda", ROLE, &format!(r#"{{"name":"olap","PutAccessPointPolicyForObjectLambdaRequest":{{"Policy":{t}}}}}"#), ""),
            record(REDSHIFT_SERVERLESS, "PutResourcePolicy", ROLE, &format!(r#"{{"resourceArn":"arn:aws:redshift-serverless:us-east-1:111122223333:snapshot/0a1b2c3d-4e5f","policy":{t}}}"#), ""),
            record(EVENTBRIDGE, "PutPermission", ROLE, &format!(r#"{{"eventBusName":"orders","policy":{t}}}"#), ""),
            record(KINESIS, "PutResourcePolicy", ROLE, &format!(r#"{{"resourceARN":"arn:aws:kinesis:us-east-1:111122223333:stream/clicks","policy":{t}}}"#), ""),
            record(GLUE, "PutResourcePolicy", ROLE, &format!(r#"{{"policyInJson":{t},"enableHybrid":"TRUE"}}"#), ""),
            // Added after a review, 2026-12-06.
            record(SSM, "PutResourcePolicy", ROLE, &format!(r#"{{"resourceArn":"arn:aws:ssm:us-east-1:111122223333:parameter/prod/db-password","policy":{t}}}"#), ""),
            record(S3_TABLES, "PutTableBucketPolicy", ROLE, &format!(r#"{{"tableBucketARN":"arn:aws:s3tables:us-east-1:111122223333:bucket/analytics","resourcePolicy":{t}}}"#), ""),
            record(MSK, "PutClusterPolicy", ROLE, &format!(r#"{{"clusterArn":"arn:aws:kafka:us-east-1:111122223333:cluster/orders/0a1b2c3d","policy":{t}}}"#), ""),
        ]
    }

    /// A Redshift Serverless snapshot shared is as severe as any snapshot share,
    /// and a data store opened as a bucket opened (high); layers, buses and the
    /// Glue catalog stay medium.
    #[test]
    fn data_stores_are_high() {
        for rec in each_service(PUBLIC) {
            let parsed = crate::event::Record::from_json(&rec).unwrap();
            let want = if [LAMBDA, EVENTBRIDGE, GLUE].contains(&parsed.event_source()) {
                Severity::Medium
            } else {
                Severity::High
            };
            assert_eq!(ResourcePolicyExternalAccess.severity_for(&parsed), want, "{rec}");
        }
    }

    #[test]
    fn a_public_or_foreign_policy_on_each_service_fires() {
        for rec in each_service(PUBLIC) {
            match eval(&ResourcePolicyExternalAccess, &rec) {
                Some(Signal::Fire(e)) => {
                    assert_eq!(e.get("public"), Some(&serde_json::json!(true)), "{rec}");
                    assert!(e.get("resource").is_some(), "{rec}");
                }
                other => panic!("expected a finding for {rec}, got {other:?}"),
            }
        }
        for rec in each_service(FOREIGN) {
            assert!(fires(&ResourcePolicyExternalAccess, &rec), "{rec}");
        }
    }

    /// After a review: OpsCenter's item groups are shared with the delegated
    /// administrator by design; only parameters count for Systems Manager.
    #[test]
    fn an_opsitem_group_policy_is_not_a_parameter() {
        let t = text(FOREIGN);
        let ops = record(SSM, "PutResourcePolicy", ROLE, &format!(r#"{{"resourceArn":"arn:aws:ssm:us-east-1:111122223333:opsitemgroup/default","policy":{t}}}"#), "");
        assert!(!fires(&ResourcePolicyExternalAccess, &ops));
    }

    /// After a review: a domain's or cluster's endpoint granted to another account.
    #[test]
    fn an_endpoint_granted_to_another_account_fires_high() {
        let domain = record(OPENSEARCH, "AuthorizeVpcEndpointAccess", ROLE, r#"{"domainName":"logs","account":"444455556666"}"#, "");
        match eval(&ResourcePolicyExternalAccess, &domain) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("other_accounts"), Some(&serde_json::json!(["444455556666"])));
                assert_eq!(e.get("resource"), Some(&serde_json::json!("logs")));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let cluster = record(REDSHIFT, "AuthorizeEndpointAccess", ROLE, r#"{"clusterIdentifier":"dw","account":"444455556666","vpcIds":["vpc-0a1b"]}"#, "");
        assert!(fires(&ResourcePolicyExternalAccess, &cluster));
        assert_eq!(testing::severity(&ResourcePolicyExternalAccess, &cluster), Severity::High);
        let own = record(REDSHIFT, "AuthorizeEndpointAccess", ROLE, r#"{"clusterIdentifier":"dw","account":"111122223333"}"#, "");
        assert!(!fires(&ResourcePolicyExternalAccess, &own));
    }

    #[test]
    fn fenced_own_and_failed_policies_do_not() {
        for rec in each_service(ORG) {
            assert!(!fires(&ResourcePolicyExternalAccess, &rec), "{rec}");
        }
        let own = r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/App"},"Action":"*","Resource":"*"}"#;
        for rec in each_service(own) {
            assert!(!fires(&ResourcePolicyExternalAccess, &rec), "{rec}");
        }
        let t = text(PUBLIC);
        let params = format!(r#"{{"resourceArn":"arn:aws:dynamodb:us-east-1:111122223333:table/orders","policy":{t}}}"#);
        assert!(!fires(&ResourcePolicyExternalAccess, &failed(DYNAMODB, "PutResourcePolicy", ROLE, &params, "AccessDeniedException")));
        assert!(!fires(&ResourcePolicyExternalAccess, &record(DYNAMODB, "PutResourcePolicy", SERVICE, &params, "")));
        assert!(!fires(&ResourcePolicyExternalAccess, &record(DYNAMODB, "GetResourcePolicy", ROLE, &params, "")));
        // Secrets Manager's PutResourcePolicy has its own detection.
        assert!(!fires(&ResourcePolicyExternalAccess, &record("secretsmanager.amazonaws.com", "PutResourcePolicy", ROLE, &params, "")));
    }

    #[test]
    fn efs_mount_target_policies_and_vpc_domains_are_fenced() {
        let default_efs = r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":["elasticfilesystem:ClientMount","elasticfilesystem:ClientWrite"],"Resource":"*","Condition":{"Bool":{"elasticfilesystem:AccessedViaMountTarget":"true"}}}"#;
        let efs = record(EFS, "PutFileSystemPolicy", ROLE, &format!(r#"{{"fileSystemId":"fs-1","policy":{}}}"#, text(default_efs)), "");
        assert!(!fires(&ResourcePolicyExternalAccess, &efs));
        // The same fence on a named other account fences nothing.
        let named = default_efs.replace(r#"{"AWS":"*"}"#, r#"{"AWS":"arn:aws:iam::999988887777:root"}"#);
        let efs = record(EFS, "PutFileSystemPolicy", ROLE, &format!(r#"{{"fileSystemId":"fs-1","policy":{}}}"#, text(&named)), "");
        assert!(fires(&ResourcePolicyExternalAccess, &efs));
        // Fenced to an access point of the file system's own account (eighth
        // session): the same network fence; another account's, or a wildcard,
        // fences nothing.
        let access_point = |arn: &str| {
            let st = format!(
                r#"{{"Effect":"Allow","Principal":{{"AWS":"*"}},"Action":"elasticfilesystem:ClientMount","Resource":"*","Condition":{{"StringEquals":{{"elasticfilesystem:AccessPointArn":"{arn}"}}}}}}"#
            );
            record(EFS, "PutFileSystemPolicy", ROLE, &format!(r#"{{"fileSystemId":"fs-1","policy":{}}}"#, text(&st)), "")
        };
        assert!(!fires(&ResourcePolicyExternalAccess, &access_point("arn:aws:elasticfilesystem:us-east-1:111122223333:access-point/fsap-0a1b2c3d4e5f60718")));
        for arn in [
            "arn:aws:elasticfilesystem:us-east-1:999988887777:access-point/fsap-0a1b2c3d4e5f60718",
            "arn:aws:elasticfilesystem:us-east-1:111122223333:access-point/*",
            "arn:aws:elasticfilesystem:us-east-1:111122223333:file-system/fs-1",
        ] {
            assert!(fires(&ResourcePolicyExternalAccess, &access_point(arn)), "{arn}");
        }
        for name in ["CreateDomain", "CreateElasticsearchDomain"] {
            let vpc = record(OPENSEARCH, name, ROLE, &format!(r#"{{"domainName":"logs","vPCOptions":{{"subnetIds":["subnet-1"]}},"accessPolicies":{}}}"#, text(PUBLIC)), "");
            assert!(!fires(&ResourcePolicyExternalAccess, &vpc), "{name}");
        }
        // A table created without a policy opens nothing.
        let plain = record(DYNAMODB, "CreateTable", ROLE, r#"{"tableName":"orders","billingMode":"PAY_PER_REQUEST"}"#, "");
        assert!(!fires(&ResourcePolicyExternalAccess, &plain));
        // A stray `policy` flag before the document does not hide it.
        let stray = record(S3, "PutAccessPointPolicy", ROLE, &format!(r#"{{"name":"ap","Policy":[""],"PutAccessPointPolicyRequest":{{"Policy":{}}}}}"#, text(PUBLIC)), "");
        assert!(fires(&ResourcePolicyExternalAccess, &stray));
    }

    fn severity(json: &str) -> Severity {
        testing::severity(&ResourcePolicyExternalAccess, json)
    }

    /// Ninth session, from a review of false positives: a domain opened to
    /// everyone for HTTP calls behind fine-grained access control the request
    /// turns on is medium; without it, with anonymous access, with other actions,
    /// or a policy alone, it is high.
    #[test]
    fn an_open_http_policy_behind_fine_grained_access_control_is_medium() {
        let http = r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"es:ESHttp*","Resource":"arn:aws:es:us-east-1:111122223333:domain/logs/*"}"#;
        let fgac = r#","advancedSecurityOptions":{"enabled":true,"internalUserDatabaseEnabled":false,"anonymousAuthEnabled":false,"masterUserOptions":{"masterUserARN":"arn:aws:iam::111122223333:role/os-admin"}}"#;
        let domain = |name: &str, statement: &str, options: &str| {
            record(OPENSEARCH, name, ROLE, &format!(r#"{{"domainName":"logs","accessPolicies":{}{options}}}"#, text(statement)), "")
        };
        let without_anonymous = fgac.replace(r#","anonymousAuthEnabled":false"#, "");
        for (name, options) in [
            ("CreateDomain", fgac.to_owned()),
            ("CreateElasticsearchDomain", fgac.to_owned()),
            ("CreateDomain", without_anonymous.clone()),
            ("CreateDomain", fgac.replace(r#""enabled":true"#, r#""Enabled":"true""#)),
            // A SAML sign-in written switched off is none.
            ("CreateDomain", fgac.replace(r#""anonymousAuthEnabled":false"#, r#""anonymousAuthEnabled":false,"sAMLOptions":{"enabled":false}"#)),
        ] {
            let rec = domain(name, http, &options);
            match eval(&ResourcePolicyExternalAccess, &rec) {
                Some(Signal::Fire(e)) => {
                    assert_eq!(e.get("public"), Some(&serde_json::json!(true)), "{rec}");
                    assert_eq!(e.get("fine_grained_access_control"), Some(&serde_json::json!(true)), "{rec}");
                }
                other => panic!("expected a finding for {rec}, got {other:?}"),
            }
            assert_eq!(severity(&rec), Severity::Medium, "{rec}");
        }
        let any_es = http.replace(r#""es:ESHttp*""#, r#""es:*""#);
        let admin = http.replace(r#""es:ESHttp*""#, r#"["es:ESHttpGet","es:UpdateDomainConfig"]"#);
        let not_action = http.replace(r#""Action":"es:ESHttp*""#, r#""NotAction":"es:ESHttpDelete""#);
        let and_an_account = format!(r#"{http},{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::444455556666:root"}},"Action":"es:ESHttpGet","Resource":"*"}}"#);
        for (name, statement, options) in [
            ("CreateDomain", http, String::new()),
            ("CreateDomain", http, fgac.replace(r#""anonymousAuthEnabled":false"#, r#""anonymousAuthEnabled":true"#)),
            ("CreateDomain", http, fgac.replace(r#""enabled":true"#, r#""enabled":false"#)),
            ("CreateDomain", any_es.as_str(), fgac.to_owned()),
            ("CreateDomain", admin.as_str(), fgac.to_owned()),
            ("CreateDomain", not_action.as_str(), fgac.to_owned()),
            ("CreateDomain", and_an_account.as_str(), fgac.to_owned()),
            ("UpdateDomainConfig", http, String::new()),
            // An update: an earlier one may have set who signs in (a review).
            ("UpdateDomainConfig", http, fgac.to_owned()),
            ("UpdateElasticsearchDomainConfig", http, fgac.to_owned()),
            ("UpdateDomainConfig", http, without_anonymous.clone()),
            (
                "CreateDomain",
                http,
                fgac.replace(r#""anonymousAuthEnabled":false"#, r#""anonymousAuthEnabled":false,"iAMFederationOptions":{"enabled":true,"subjectKey":"sub","rolesKey":"roles"}"#),
            ),
            // Whoever signs in is the caller's choice (an evasion review): a
            // master user whose password it sets, another account's master
            // role, a SAML or JWT issuer it names.
            (
                "UpdateDomainConfig",
                http,
                fgac.replace(
                    r#"{"masterUserARN":"arn:aws:iam::111122223333:role/os-admin"}"#,
                    r#"{"masterUserName":"admin","masterUserPassword":"HIDDEN_DUE_TO_SECURITY_REASONS"}"#,
                ),
            ),
            ("UpdateDomainConfig", http, fgac.replace("111122223333:role/os-admin", "444455556666:role/os-admin")),
            ("UpdateDomainConfig", http, fgac.replace(r#""anonymousAuthEnabled":false"#, r#""anonymousAuthEnabled":false,"sAMLOptions":{"enabled":true,"idp":{"entityId":"https://idp.example"}}"#)),
            ("UpdateDomainConfig", http, fgac.replace(r#""anonymousAuthEnabled":false"#, r#""anonymousAuthEnabled":false,"jWTOptions":{"enabled":true,"publicKey":"x"}"#)),
        ] {
            let rec = domain(name, statement, &options);
            match eval(&ResourcePolicyExternalAccess, &rec) {
                Some(Signal::Fire(e)) => assert_eq!(e.get("fine_grained_access_control"), None, "{rec}"),
                other => panic!("expected a finding for {rec}, got {other:?}"),
            }
            assert_eq!(severity(&rec), Severity::High, "{rec}");
        }
    }

    /// Ninth session, from a review of false positives: a Glue catalog statement
    /// that holds only when Lake Formation evaluates by LF-tags is fenced; the
    /// same grant without that condition, or under `BoolIfExists`, is not.
    #[test]
    fn a_glue_grant_evaluated_by_lake_formation_tags_is_fenced() {
        let grant = |condition: &str| {
            let st = format!(
                r#"{{"Effect":"Allow","Action":["glue:*"],"Principal":{{"AWS":["arn:aws:iam::444455556666:root","arn:aws:iam::777788889999:root"]}},"Resource":["arn:aws:glue:us-east-1:111122223333:table/*","arn:aws:glue:us-east-1:111122223333:catalog"]{condition}}}"#
            );
            record(GLUE, "PutResourcePolicy", ROLE, &format!(r#"{{"policyInJson":{},"enableHybrid":"TRUE"}}"#, text(&st)), "")
        };
        for condition in [
            r#","Condition":{"Bool":{"glue:EvaluatedByLakeFormationTags":"true"}}"#,
            r#","Condition":{"Bool":{"glue:EvaluatedByLakeFormationTags":true}}"#,
            r#","Condition":{"Bool":{"glue:EvaluatedByLakeFormationTags":["true"]}}"#,
        ] {
            assert!(!fires(&ResourcePolicyExternalAccess, &grant(condition)), "{condition}");
        }
        for condition in [
            "",
            r#","Condition":{"Bool":{"glue:EvaluatedByLakeFormationTags":"false"}}"#,
            r#","Condition":{"Bool":{"glue:EvaluatedByLakeFormationTags":["true","false"]}}"#,
            r#","Condition":{"BoolIfExists":{"glue:EvaluatedByLakeFormationTags":"true"}}"#,
            r#","Condition":{"Bool":{"aws:SecureTransport":"true"}}"#,
        ] {
            match eval(&ResourcePolicyExternalAccess, &grant(condition)) {
                Some(Signal::Fire(e)) => {
                    assert_eq!(e.get("other_accounts"), Some(&serde_json::json!(["444455556666", "777788889999"])), "{condition}");
                }
                other => panic!("expected a finding for {condition}, got {other:?}"),
            }
        }
        // Only over named accounts (an evasion review): everyone, or everyone
        // but someone, under the condition is still reported.
        let lf = r#","Condition":{"Bool":{"glue:EvaluatedByLakeFormationTags":"true"}}"#;
        let open = grant(lf).replace(
            r#"{\"AWS\":[\"arn:aws:iam::444455556666:root\",\"arn:aws:iam::777788889999:root\"]}"#,
            r#"\"*\""#,
        );
        assert_ne!(open, grant(lf), "the principal was replaced");
        assert!(fires(&ResourcePolicyExternalAccess, &open), "{open}");
        let not_principal = grant(lf).replace(r#"\"Principal\""#, r#"\"NotPrincipal\""#);
        assert!(fires(&ResourcePolicyExternalAccess, &not_principal), "{not_principal}");
        // The key means nothing to another service's policy.
        let st = r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"dynamodb:*","Resource":"*","Condition":{"Bool":{"glue:EvaluatedByLakeFormationTags":"true"}}}"#;
        let table = record(DYNAMODB, "PutResourcePolicy", ROLE, &format!(r#"{{"resourceArn":"arn:aws:dynamodb:us-east-1:111122223333:table/orders","policy":{}}}"#, text(st)), "");
        assert!(fires(&ResourcePolicyExternalAccess, &table));
    }

    /// From a review: a bus open to anyone takes forged events.
    #[test]
    fn a_bus_permission_public_or_to_another_account_fires() {
        let bus = |principal: &str, condition: &str| {
            record(EVENTBRIDGE, "PutPermission", ROLE,
                &format!(r#"{{"eventBusName":"orders","action":"events:PutEvents","principal":"{principal}","statementId":"s1"{condition}}}"#), "")
        };
        match eval(&ResourcePolicyExternalAccess, &bus("*", "")) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("public"), Some(&serde_json::json!(true)));
                assert_eq!(e.get("resource").and_then(|v| v.as_str()), Some("orders"));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(fires(&ResourcePolicyExternalAccess, &bus("444455556666", "")));
        let org = r#","condition":{"type":"StringEquals","key":"aws:PrincipalOrgID","value":"o-a1b2c3d4e5"}"#;
        assert!(!fires(&ResourcePolicyExternalAccess, &bus("*", org)));
        assert!(fires(&ResourcePolicyExternalAccess, &bus("*", &org.replace("o-a1b2c3d4e5", "o-*"))));
        assert!(!fires(&ResourcePolicyExternalAccess, &bus("111122223333", "")));
    }

    #[test]
    fn layer_permissions_public_or_to_another_account_fire() {
        let layer = |principal: &str, org: &str| {
            record(LAMBDA, "AddLayerVersionPermission20181031", ROLE,
                &format!(r#"{{"layerName":"shared-utils","versionNumber":7,"statementId":"s1","action":"lambda:GetLayerVersion","principal":"{principal}"{org}}}"#), "")
        };
        assert!(fires(&ResourcePolicyExternalAccess, &layer("*", "")));
        assert!(fires(&ResourcePolicyExternalAccess, &layer("444455556666", "")));
        assert!(fires(&ResourcePolicyExternalAccess, &layer("arn:aws:iam::444455556666:root", "")));
        assert!(!fires(&ResourcePolicyExternalAccess, &layer("*", r#","organizationId":"o-a1b2c3d4e5""#)));
        assert!(!fires(&ResourcePolicyExternalAccess, &layer("111122223333", "")));
        assert!(!fires(&ResourcePolicyExternalAccess, &layer("not-an-account", "")));
    }
}
