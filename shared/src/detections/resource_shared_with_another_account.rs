//! A Lambda function, a container repository or registry, or a KMS key made usable
//! by a named other AWS account, successfully: `AddPermission` (recorded with a
//! version suffix) for another account's principal, `SetRepositoryPolicy` or
//! `PutRegistryPolicy` whose policy names another account, a registry replicating
//! its images to another account's registry (`PutReplicationConfiguration`), `CreateKey`,
//! `PutKeyPolicy` or `ReplicateKey` whose key policy does, or `CreateGrant` to a
//! grantee of another account.
//!
//! Decisions: grants to everyone on these resources are judged by
//! `lambda-function-made-public`, `ecr-repository-policy-public` and
//! `kms-key-policy-public-encrypt`; this one reports the grants that name accounts,
//! which those leave out, the grants to everyone fenced to an organisation other
//! than the deployment's own when it names its own (`common::organizations`;
//! evidence `other_organizations`), and the service statements narrowed to another account's
//! resources (`aws:SourceArn` of its functions or trails, `aws:SourceAccount`: AWS's
//! recipe for letting another account's Lambda functions pull images). The policy
//! is read from the request, else from the response (ECR returns what it set). A
//! repository policy that is public already fires there
//! (listing its other accounts) and is not reported twice here. A key policy is
//! reported whenever it names another account, public or not: the public key
//! detection judges only encryption. A function permission counts when its
//! principal is another account (an id or an ARN), or when a service principal is
//! narrowed to another account's resources (`sourceAccount`, or the account of
//! `sourceArn`): that account's bucket, topic or rule can then invoke the
//! function, with or without `principalOrgID` (which names an organisation,
//! possibly the other account's own, so it keeps nothing inside ours). The
//! principal is read from the request, or from the statement in the response when
//! the request was stripped. Grants AWS services make for their own use (EBS and
//! RDS create KMS grants as `invokedBy`) are left out; a stack's counts.
//!
//! Sharing with the organisation's other accounts by id is everyday work: the
//! false positives say to tune by the account. Stratus Red Team's Lambda backdoor
//! grants to `*` (the public detection); the other-account variant is the one
//! its description names.

use serde_json::Value;

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    arn_account, aws_service_caller_but_stack, foreign_arn_account, other_accounts,
    lambda_operation, policy_document, policy_exposure, principal_account, principal_accounts,
    service_grant_accounts, values_at_key,
};
use crate::event::Record;

pub struct ResourceSharedWithAnotherAccount;

const LAMBDA: &str = "lambda.amazonaws.com";
const ECR: &str = "ecr.amazonaws.com";
const KMS: &str = "kms.amazonaws.com";
const LAMBDA_CALLS: &[&str] = &["AddPermission20150331", "AddPermission20150331v2"];
const ECR_CALLS: &[&str] = &[
    "PutRegistryPolicy",
    "PutReplicationConfiguration",
    "SetRepositoryPolicy",
    "CreateRepositoryCreationTemplate",
    "UpdateRepositoryCreationTemplate",
];
const KMS_CALLS: &[&str] = &["CreateGrant", "CreateKey", "PutKeyPolicy", "ReplicateKey"];

pub static META: Meta = Meta {
    id: "resource-shared-with-another-account",
    title: "AWS Function, Repository or Key Shared with Another Account",
    description: "A Lambda function, a container repository or registry, or a KMS key can now \
                  be used by another AWS account named in its policy or grant, or a registry \
                  now copies its images to another account's. The other account can invoke \
                  the function (with its role's permissions), pull or push the images, or \
                  encrypt and decrypt with the key, using only its own \
                  credentials: a backdoor that survives the revocation of every credential of \
                  this account.",
    severity: Severity::Medium,
    attack: &["T1098", "T1537"],
    origins: &[
        "trailwatch: from a red-team gap hunt (grants to named accounts on the resources \
         whose public grants other detections judge), after Stratus Red Team \
         aws.persistence.lambda-backdoor-function's other-account variant",
    ],
    group: "resource-sharing",
    false_positives: &[
        "Functions, images and keys shared with the organisation's other accounts by \
         account id (a central build account, a shared-services key): tune by the account \
         in the evidence.",
        "Vendors' accounts granted on purpose (a log shipper invoking a function, a \
         scanner pulling images).",
    ],
    next_steps: "Check the accounts in the evidence against your organisation's and vendors'. \
                 If one is unknown, remove the permission, statement or grant (RemovePermission, \
                 the previous policy, RevokeGrant), then review the resource's use by that \
                 account since the change (Lambda invocations, ECR pulls, KMS calls with its \
                 principal).",
    evidence: "action api grantee operation operations other_accounts other_organizations public \
        resource statement_id",
    triggers: &[
        Trigger::write(LAMBDA, LAMBDA_CALLS),
        Trigger::write(ECR, ECR_CALLS),
        Trigger::write(KMS, KMS_CALLS),
    ],
    window: None,
};

/// The other accounts a function permission lets invoke: its principal's account,
/// and the account a service principal is narrowed to.
fn function_grantees(rec: &Record<'_>) -> Vec<String> {
    // `principalOrgID` narrows a grant to an organisation's members, but any
    // organisation will do, the intruder's own included: a named account is
    // reported with it or without (from an evasion review).
    let statement = rec
        .response_element("statement")
        .and_then(Value::as_str)
        .and_then(crate::event::surrogates::parse_value);
    let mut accounts: Vec<&str> = match rec.request_param_str("principal") {
        Some(p) => principal_account(p).into_iter().collect(),
        // A stripped request: the statement says whom it admits.
        None => statement
            .as_ref()
            .map(|st| match st.get("Principal") {
                Some(Value::String(p)) => principal_account(p).into_iter().collect(),
                other => principal_accounts(other),
            })
            .unwrap_or_default(),
    };
    accounts.extend(rec.request_param_str("sourceAccount"));
    accounts.extend(rec.request_param_str("sourceArn").and_then(|a| arn_account(a.trim())));
    other_accounts(accounts, rec.account_id())
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// What a repository, registry or key policy shares beyond its account.
struct Grantees {
    /// The accounts its statements name, and those a service statement is
    /// narrowed to (`aws:SourceArn` of another account's function,
    /// `aws:SourceAccount`).
    accounts: Vec<String>,
    /// The organisations other than the deployment's own that a grant to
    /// everyone is fenced to (`common::organizations`).
    organizations: Vec<String>,
    public: bool,
}

impl Grantees {
    fn grantee_evidence(self, e: Evidence) -> Evidence {
        // One of the two lists is never empty (`policy_grantees`).
        let e = if self.accounts.is_empty() {
            e
        } else {
            e.with("other_accounts", self.accounts)
        };
        let e = if self.organizations.is_empty() {
            e
        } else {
            e.with("other_organizations", self.organizations)
        };
        if self.public { e.with("public", true) } else { e }
    }
}

/// A repository, registry or key policy's grantees. `None` when it names no
/// other account or organisation, or (`skip_public`) when it is public and judged
/// elsewhere. The policy is read from the request, else from the response (ECR
/// returns the policy it set).
fn policy_grantees(rec: &Record<'_>, key: &str, skip_public: bool) -> Option<Grantees> {
    let doc = [rec.request_param(key), rec.response_element(key)]
        .into_iter()
        .flatten()
        .find_map(policy_document)?;
    let exposure = policy_exposure(&doc, rec.account_id(), |_| true);
    let mut accounts = exposure.accounts;
    accounts.extend(service_grant_accounts(&doc, rec.account_id()));
    accounts.sort();
    accounts.dedup();
    if (accounts.is_empty() && exposure.organizations.is_empty()) || (skip_public && exposure.public) {
        return None;
    }
    Some(Grantees {
        accounts,
        organizations: exposure.organizations,
        public: exposure.public,
    })
}

impl Detection for ResourceSharedWithAnotherAccount {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        let (source, name) = (rec.event_source(), rec.event_name());
        let watched = match source {
            LAMBDA => LAMBDA_CALLS.contains(&name),
            ECR => ECR_CALLS.contains(&name),
            KMS => KMS_CALLS.contains(&name),
            _ => false,
        };
        if !watched || !rec.succeeded() || aws_service_caller_but_stack(rec) {
            return None;
        }
        let e = Evidence::new().with("api", name);
        match (source, name) {
            (LAMBDA, _) => {
                let accounts = function_grantees(rec);
                if accounts.is_empty() {
                    return None;
                }
                fire(e
                    .with("operation", lambda_operation(name))
                    .with_opt("resource", rec.request_param_str("functionName"))
                    .with_opt("action", rec.request_param_str("action"))
                    .with_opt("statement_id", rec.request_param_str("statementId"))
                    .with("other_accounts", accounts))
            }
            (ECR, "PutReplicationConfiguration") => {
                let registries = values_at_key(rec.request_parameters()?, "registryId");
                let accounts = other_accounts(registries.into_iter().filter_map(Value::as_str), rec.account_id());
                if accounts.is_empty() {
                    return None;
                }
                fire(e.with("resource", "(registry replication)").with("other_accounts", accounts))
            }
            // A creation template's policy goes to every repository made under its
            // prefix from then on (from a review).
            (ECR, "CreateRepositoryCreationTemplate" | "UpdateRepositoryCreationTemplate") => {
                let grantees = policy_grantees(rec, "repositoryPolicy", true)?;
                let prefix = rec.request_param_str("prefix").unwrap_or("ROOT");
                fire(grantees.grantee_evidence(e.with("resource", format!("(creation template {prefix})"))))
            }
            (ECR, _) => {
                let grantees = policy_grantees(rec, "policyText", true)?;
                let resource = rec.request_param_str("repositoryName").unwrap_or("(registry)");
                fire(grantees.grantee_evidence(e.with("resource", resource)))
            }
            (KMS, "CreateGrant") => {
                let grantee = rec.request_param_str("granteePrincipal")?;
                let account = foreign_arn_account(rec, grantee)?;
                fire(e
                    .with_opt("resource", rec.request_param_str("keyId"))
                    .with("grantee", grantee.trim())
                    .with_json("operations", rec.request_param("operations"))
                    .with("other_accounts", vec![account]))
            }
            (KMS, _) => {
                let grantees = policy_grantees(rec, "policy", false)?;
                let key = rec
                    .request_param_str("keyId")
                    .or_else(|| rec.response_element("keyMetadata")?.get("keyId")?.as_str());
                fire(grantees.grantee_evidence(e.with_opt("resource", key)))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::{fired_evidence, fires};

    fn evidence(json: &str) -> Evidence {
        fired_evidence(&ResourceSharedWithAnotherAccount, json)
    }

    fn accounts(json: &str) -> Vec<String> {
        serde_json::from_value(evidence(json).get("other_accounts").unwrap().clone()).unwrap()
    }

    fn doc(statement: &str) -> String {
        serde_json::to_string(&format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#)).unwrap()
    }

    const FOREIGN: &str = r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"},"Action":"*","Resource":"*"}"#;
    const OWN: &str = r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}"#;
    const PUBLIC: &str = r#"{"Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage","Resource":"*"}"#;

    fn permission(params: &str) -> String {
        record(LAMBDA, "AddPermission20150331v2", ROLE, params, "")
    }

    #[test]
    fn a_function_permission_for_another_account_fires() {
        for principal in ["999988887777", "arn:aws:iam::999988887777:root", "arn:aws:iam::999988887777:role/ops"] {
            let rec = permission(&format!(
                r#"{{"functionName":"billing-export","statementId":"x","action":"lambda:InvokeFunction","principal":"{principal}"}}"#
            ));
            assert_eq!(accounts(&rec), ["999988887777"], "{principal}");
        }
        let old = record(LAMBDA, "AddPermission20150331", ROLE,
            r#"{"functionName":"f","action":"lambda:InvokeFunction","principal":"999988887777"}"#, "");
        assert_eq!(evidence(&old).get("operation").unwrap(), "AddPermission");
    }

    #[test]
    fn a_service_narrowed_to_another_accounts_resource_fires() {
        let bucket = permission(r#"{"functionName":"f","action":"lambda:InvokeFunction","principal":"s3.amazonaws.com","sourceAccount":"999988887777"}"#);
        assert_eq!(accounts(&bucket), ["999988887777"]);
        let topic = permission(r#"{"functionName":"f","action":"lambda:InvokeFunction","principal":"sns.amazonaws.com","sourceArn":"arn:aws:sns:us-east-1:999988887777:alerts"}"#);
        assert_eq!(accounts(&topic), ["999988887777"]);
    }

    #[test]
    fn own_account_services_everyone_and_the_organisation_do_not() {
        for params in [
            r#"{"functionName":"f","action":"lambda:InvokeFunction","principal":"111122223333"}"#,
            r#"{"functionName":"f","action":"lambda:InvokeFunction","principal":"s3.amazonaws.com","sourceAccount":"111122223333","sourceArn":"arn:aws:s3:::uploads"}"#,
            r#"{"functionName":"f","action":"lambda:InvokeFunction","principal":"events.amazonaws.com","sourceArn":"arn:aws:events:us-east-1:111122223333:rule/nightly"}"#,
            r#"{"functionName":"f","action":"lambda:InvokeFunction","principal":"*"}"#,
            r#"{"functionName":"f","action":"lambda:InvokeFunction","principal":"*","principalOrgID":"o-a1b2c3d4e5"}"#,
        ] {
            assert!(!fires(&ResourceSharedWithAnotherAccount, &permission(params)), "{params}");
        }
    }

    /// From an evasion review: an organisation id next to a named account is no
    /// fence, since the caller chooses the organisation.
    #[test]
    fn a_named_account_fires_with_an_organisation_id() {
        let fenced = permission(r#"{"functionName":"f","action":"lambda:InvokeFunction","principal":"999988887777","principalOrgID":"o-zz9y8x7w6v"}"#);
        assert_eq!(accounts(&fenced), ["999988887777"]);
    }

    #[test]
    fn a_stripped_request_is_read_from_the_returned_statement() {
        let statement = serde_json::to_string(
            r#"{"Sid":"x","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"},"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:111122223333:function:f"}"#,
        ).unwrap();
        let rec = permission(r#"{"functionName":"f"}"#).replace(
            r#""responseElements":null"#,
            &format!(r#""responseElements":{{"statement":{statement}}}"#),
        );
        assert_eq!(accounts(&rec), ["999988887777"]);
    }

    #[test]
    fn a_repository_policy_naming_another_account_fires_unless_public() {
        let params = |st: &str| format!(r#"{{"repositoryName":"payments-api","policyText":{}}}"#, doc(st));
        let named = record(ECR, "SetRepositoryPolicy", ROLE, &params(FOREIGN), "");
        assert_eq!(accounts(&named), ["999988887777"]);
        assert_eq!(evidence(&named).get("resource").unwrap(), "payments-api");
        let registry = record(ECR, "PutRegistryPolicy", ROLE, &format!(r#"{{"policyText":{}}}"#, doc(FOREIGN)), "");
        assert_eq!(evidence(&registry).get("resource").unwrap(), "(registry)");
        // Public and named: `ecr-repository-policy-public` reports it, with the account.
        let both = record(ECR, "SetRepositoryPolicy", ROLE, &params(&format!("{PUBLIC},{FOREIGN}")), "");
        assert!(!fires(&ResourceSharedWithAnotherAccount, &both));
        // From a review: a creation template's policy naming another account.
        let template = record(ECR, "CreateRepositoryCreationTemplate", ROLE,
            &format!(r#"{{"prefix":"ROOT","appliedFor":["CREATE_ON_PUSH"],"repositoryPolicy":{}}}"#, doc(FOREIGN)), "");
        assert!(fires(&ResourceSharedWithAnotherAccount, &template));
        let own = record(ECR, "SetRepositoryPolicy", ROLE, &params(OWN), "");
        assert!(!fires(&ResourceSharedWithAnotherAccount, &own));
    }

    #[test]
    fn a_service_statement_narrowed_to_another_account_fires() {
        let lambda_pull = r#"{"Sid":"LambdaPull","Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"],"Condition":{"StringLike":{"aws:sourceArn":"arn:aws:lambda:us-east-1:999988887777:function:*"}}}"#;
        let rec = record(ECR, "SetRepositoryPolicy", ROLE, &format!(r#"{{"repositoryName":"r","policyText":{}}}"#, doc(lambda_pull)), "");
        assert_eq!(accounts(&rec), ["999988887777"]);
        let own_trail = r#"{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"kms:GenerateDataKey*","Resource":"*","Condition":{"StringEquals":{"aws:SourceArn":"arn:aws:cloudtrail:us-east-1:111122223333:trail/main"}}}"#;
        let key = |st: &str| record(KMS, "PutKeyPolicy", ROLE, &format!(r#"{{"keyId":"k","policyName":"default","policy":{}}}"#, doc(st)), "");
        assert!(!fires(&ResourceSharedWithAnotherAccount, &key(&format!("{OWN},{own_trail}"))));
        let foreign_trail = own_trail.replace("111122223333:trail", "999988887777:trail");
        assert_eq!(accounts(&key(&format!("{OWN},{foreign_trail}"))), ["999988887777"]);
    }

    #[test]
    fn a_repository_policy_is_read_from_the_response_when_the_request_lacks_it() {
        let rec = record(ECR, "SetRepositoryPolicy", ROLE, r#"{"repositoryName":"r"}"#, "").replace(
            r#""responseElements":null"#,
            &format!(r#""responseElements":{{"registryId":"111122223333","repositoryName":"r","policyText":{}}}"#, doc(FOREIGN)),
        );
        assert_eq!(accounts(&rec), ["999988887777"]);
    }

    #[test]
    fn replication_to_another_accounts_registry_fires() {
        let rule = |dest: &str| record(ECR, "PutReplicationConfiguration", ROLE,
            &format!(r#"{{"replicationConfiguration":{{"rules":[{{"destinations":[{{"region":"eu-west-1","registryId":"111122223333"}},{dest}]}}]}}}}"#), "");
        assert_eq!(accounts(&rule(r#"{"region":"us-east-1","registryId":"999988887777"}"#)), ["999988887777"]);
        // Another Region of the same registry is a copy kept at home.
        assert!(!fires(&ResourceSharedWithAnotherAccount, &rule(r#"{"region":"us-west-2","registryId":"111122223333"}"#)));
    }

    #[test]
    fn a_key_policy_naming_another_account_fires() {
        let put = record(KMS, "PutKeyPolicy", ROLE,
            &format!(r#"{{"keyId":"1234abcd-12ab-34cd-56ef-1234567890ab","policyName":"default","policy":{}}}"#, doc(&format!("{OWN},{FOREIGN}"))), "");
        assert_eq!(accounts(&put), ["999988887777"]);
        assert_eq!(evidence(&put).get("public"), None);
        let default = record(KMS, "PutKeyPolicy", ROLE,
            &format!(r#"{{"keyId":"k","policyName":"default","policy":{}}}"#, doc(OWN)), "");
        assert!(!fires(&ResourceSharedWithAnotherAccount, &default));
        let created = record(KMS, "CreateKey", ROLE, &format!(r#"{{"policy":{}}}"#, doc(FOREIGN)), "")
            .replace(r#""responseElements":null"#, r#""responseElements":{"keyMetadata":{"keyId":"5678efgh"}}"#);
        assert_eq!(evidence(&created).get("resource").unwrap(), "5678efgh");
        let no_policy = record(KMS, "CreateKey", ROLE, r#"{"keySpec":"SYMMETRIC_DEFAULT"}"#, "");
        assert!(!fires(&ResourceSharedWithAnotherAccount, &no_policy));
    }

    #[test]
    fn a_grant_to_another_accounts_principal_fires() {
        let grant = |grantee: &str| record(KMS, "CreateGrant", ROLE,
            &format!(r#"{{"keyId":"arn:aws:kms:us-east-1:111122223333:key/1234abcd","granteePrincipal":"{grantee}","operations":["Decrypt","CreateGrant"]}}"#), "");
        let e = evidence(&grant("arn:aws:iam::999988887777:role/collector"));
        assert_eq!(e.get("grantee").unwrap(), "arn:aws:iam::999988887777:role/collector");
        assert_eq!(e.get("operations").unwrap(), &serde_json::json!(["Decrypt", "CreateGrant"]));
        assert!(!fires(&ResourceSharedWithAnotherAccount, &grant("arn:aws:iam::111122223333:role/app")));
        assert!(!fires(&ResourceSharedWithAnotherAccount, &grant("ec2.amazonaws.com")));
    }

    #[test]
    fn failures_services_and_bad_input_do_not() {
        let params = r#"{"functionName":"f","action":"lambda:InvokeFunction","principal":"999988887777"}"#;
        assert!(!fires(&ResourceSharedWithAnotherAccount, &failed(LAMBDA, "AddPermission20150331v2", ROLE, params, "AccessDeniedException")));
        let by_ebs = record(KMS, "CreateGrant", ROLE,
            r#"{"keyId":"k","granteePrincipal":"arn:aws:iam::999988887777:role/x"}"#,
            "").replace(r#""userIdentity":{"type":"AssumedRole""#, r#""userIdentity":{"invokedBy":"ec2.amazonaws.com","type":"AssumedRole""#);
        assert!(!fires(&ResourceSharedWithAnotherAccount, &by_ebs));
        assert!(!fires(&ResourceSharedWithAnotherAccount, &record(KMS, "CreateGrant", SERVICE, r#"{"granteePrincipal":"arn:aws:iam::999988887777:root"}"#, "")));
        for params in ["null", r#"{"policyText":"not json"}"#, r#"{"policyText":42}"#, r#"{"principal":42}"#] {
            assert!(!fires(&ResourceSharedWithAnotherAccount, &record(ECR, "SetRepositoryPolicy", ROLE, params, "")));
            assert!(!fires(&ResourceSharedWithAnotherAccount, &permission(params)));
        }
    }
}
