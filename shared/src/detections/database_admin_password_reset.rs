//! The admin password of a database or broker set through the control plane, on
//! the services that `rds-master-password-reset` and `redshift-admin-password-reset`
//! do not cover (attempts included): a DocumentDB elastic cluster
//! (`UpdateCluster` of `docdb-elastic` with `adminUserPassword`), a Lightsail
//! database (`UpdateRelationalDatabase` with `masterUserPassword`, or
//! `rotateMasterUserPassword` true), an OpenSearch domain's master user
//! (`UpdateDomainConfig` with `advancedSecurityOptions.masterUserOptions
//! .masterUserPassword`, or its `masterUserARN`, which hands the master user to
//! an IAM principal with no password at all; the Elasticsearch-era
//! `UpdateElasticsearchDomainConfig` takes the same, on OpenSearch domains too),
//! an ElastiCache replication group's or cluster's auth token
//! (`ModifyReplicationGroup`, `ModifyCacheCluster` with `authToken`), an
//! ElastiCache or MemoryDB user's passwords (ElastiCache `ModifyUser` with
//! `passwords`, `authenticationMode` passwords or type `no-password-required`,
//! or `noPasswordRequired` true;
//! MemoryDB `UpdateUser` with `authenticationMode` passwords: the role-based
//! users of Valkey and Redis 7), an
//! Amazon MQ broker's user (`UpdateUser` with `password`); and a Lightsail
//! database's master password read out (`GetRelationalDatabaseMasterUserPassword`,
//! which returns it).
//!
//! Decisions: from a review of the identity detections: the same takeover of a
//! data store, through other services' APIs. CloudTrail masks the values, so the
//! key's presence is the sign; the rule's pattern asks EventBridge for it where
//! the group's rule has room (DocumentDB), and the function judges the rest. The Lightsail read is a read-only
//! management event, which the group's rule takes (docs/deploy.md). Calls AWS
//! services make on their own are left out; a stack's count.

use serde_json::Value;

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_caller_but_stack, flag_value, request_text_any, with_error};
use crate::event::Record;

pub struct DatabaseAdminPasswordReset;

const DOCDB_ELASTIC: &str = "docdb-elastic.amazonaws.com";
const LIGHTSAIL: &str = "lightsail.amazonaws.com";
const OPENSEARCH: &str = "es.amazonaws.com";
const ELASTICACHE: &str = "elasticache.amazonaws.com";
const MQ: &str = "mq.amazonaws.com";
const MEMORYDB: &str = "memorydb.amazonaws.com";
const READ_PASSWORD: &str = "GetRelationalDatabaseMasterUserPassword";

pub static META: Meta = Meta {
    id: "database-admin-password-reset",
    title: "AWS Database or Broker Admin Password Reset or Read",
    description: "Someone set a new admin password on a DocumentDB elastic cluster, Lightsail \
                  database, OpenSearch domain (or handed its master user to an IAM principal), \
                  ElastiCache cache or user, MemoryDB user or Amazon MQ broker, or read a \
                  Lightsail database's master password. With the control-plane right to do \
                  this, an attacker gets full access to the data without knowing any database \
                  credential. Denied attempts are reported too.",
    severity: Severity::Medium,
    attack: &["T1098", "T1586.003"],
    origins: &[
        "trailwatch: from a review of the identity detections (the other services' twins of \
         rds-master-password-reset and redshift-admin-password-reset)",
    ],
    group: "identity-abuse",
    false_positives: &[
        "A database administrator resetting or rotating an admin password, or reading a \
         Lightsail database's password to connect.",
        "Infrastructure-as-code applying a changed password.",
    ],
    next_steps: "Confirm the change with the data store's owner. If unexpected, set a new \
                 password (or hand it to Secrets Manager), review the store's connection logs \
                 since the change, and check how the caller got the right. An error code \
                 means the attempt failed.",
    evidence: "api auth_token_update_strategy error_code error_message master_user_arn \
        no_password_required resource user",
    triggers: &[
        Trigger::write(DOCDB_ELASTIC, &["UpdateCluster"])
            .with_detail(r#"{"requestParameters":{"adminUserPassword":[{"exists":true}]}}"#),
        Trigger::write(LIGHTSAIL, &["UpdateRelationalDatabase"]),
        Trigger::read_only(LIGHTSAIL, &[READ_PASSWORD]),
        // Without patterns on the password keys: the group's rule has no room left
        // for them (EventBridge's 2,048 characters); these calls are rare.
        Trigger::write(OPENSEARCH, &["UpdateDomainConfig", "UpdateElasticsearchDomainConfig"]),
        Trigger::write(ELASTICACHE, &["ModifyReplicationGroup", "ModifyCacheCluster", "ModifyUser"]),
        Trigger::write(MQ, &["UpdateUser"]),
        Trigger::write(MEMORYDB, &["UpdateUser"]),
    ],
    window: None,
};

/// An OpenSearch request's `advancedSecurityOptions.masterUserOptions`.
fn master_user<'r>(rec: &'r Record<'_>) -> Option<&'r Value> {
    rec.request_param("advancedSecurityOptions")?.get("masterUserOptions")
}

/// Passwords given in `authenticationMode` (`passwords`, either casing), as
/// ElastiCache's `ModifyUser` and MemoryDB's `UpdateUser` take them.
fn authentication_passwords(rec: &Record<'_>) -> bool {
    rec.request_param("authenticationMode")
        .and_then(|m| crate::detections::common::pascal_or_camel(m, "Passwords"))
        .is_some()
}

impl Detection for DatabaseAdminPasswordReset {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if aws_service_caller_but_stack(rec) {
            return None;
        }
        let set = match (rec.event_source(), rec.event_name()) {
            (DOCDB_ELASTIC, "UpdateCluster") => rec.request_param("adminUserPassword").is_some(),
            (LIGHTSAIL, "UpdateRelationalDatabase") => {
                rec.request_param("masterUserPassword").is_some()
                    || rec.request_param("rotateMasterUserPassword").and_then(flag_value) == Some(true)
            }
            (LIGHTSAIL, READ_PASSWORD) => true,
            (OPENSEARCH, "UpdateDomainConfig" | "UpdateElasticsearchDomainConfig") => {
                master_user(rec).is_some_and(|m| {
                    m.get("masterUserPassword").is_some() || m.get("masterUserARN").is_some()
                })
            }
            (ELASTICACHE, "ModifyReplicationGroup" | "ModifyCacheCluster") => rec.request_param("authToken").is_some(),
            (ELASTICACHE, "ModifyUser") => {
                rec.request_param("passwords").is_some()
                    || authentication_passwords(rec)
                    || rec.request_param("noPasswordRequired").and_then(flag_value) == Some(true)
                    // The same through the current API (from a review).
                    || rec
                        .request_param("authenticationMode")
                        .and_then(|m| crate::detections::common::pascal_or_camel(m, "Type"))
                        .and_then(Value::as_str)
                        .is_some_and(|t| t.trim().eq_ignore_ascii_case("no-password-required"))
            }
            (MEMORYDB, "UpdateUser") => authentication_passwords(rec),
            (MQ, "UpdateUser") => rec.request_param("password").is_some(),
            _ => false,
        };
        if !set {
            return None;
        }
        let resource = request_text_any(
            rec,
            &[
                "clusterArn",
                "relationalDatabaseName",
                "domainName",
                "replicationGroupId",
                "cacheClusterId",
                "brokerId",
                "userId",
                "userName",
            ],
        );
        let evidence = Evidence::new()
            .with("api", rec.event_name())
            .with_opt("resource", resource)
            .with_opt("user", rec.request_param_str("username"))
            .with_opt(
                "master_user_arn",
                master_user(rec).and_then(|m| m.get("masterUserARN")).and_then(Value::as_str),
            )
            .with_json("no_password_required", rec.request_param("noPasswordRequired"))
            .with_opt("auth_token_update_strategy", rec.request_param("authTokenUpdateStrategy").and_then(Value::as_str));
        fire(with_error(evidence, rec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::{eval, fires};

    fn call(source: &str, name: &str, params: &str) -> String {
        record(source, name, ROLE, params, "")
    }

    #[test]
    fn each_services_admin_password_set_fires() {
        for (source, name, params) in [
            (DOCDB_ELASTIC, "UpdateCluster", r#"{"clusterArn":"arn:aws:docdb-elastic:us-east-1:111122223333:cluster/0a1b","adminUserPassword":"HIDDEN_DUE_TO_SECURITY_REASONS"}"#),
            (LIGHTSAIL, "UpdateRelationalDatabase", r#"{"relationalDatabaseName":"shop-db","masterUserPassword":"HIDDEN_DUE_TO_SECURITY_REASONS"}"#),
            (LIGHTSAIL, "UpdateRelationalDatabase", r#"{"relationalDatabaseName":"shop-db","rotateMasterUserPassword":true}"#),
            (LIGHTSAIL, READ_PASSWORD, r#"{"relationalDatabaseName":"shop-db","passwordVersion":"CURRENT"}"#),
            (OPENSEARCH, "UpdateDomainConfig", r#"{"domainName":"logs","advancedSecurityOptions":{"masterUserOptions":{"masterUserName":"admin","masterUserPassword":"HIDDEN_DUE_TO_SECURITY_REASONS"}}}"#),
            (ELASTICACHE, "ModifyReplicationGroup", r#"{"replicationGroupId":"sessions","authToken":"HIDDEN_DUE_TO_SECURITY_REASONS","authTokenUpdateStrategy":"SET","applyImmediately":true}"#),
            (MQ, "UpdateUser", r#"{"brokerId":"b-0a1b2c3d","username":"admin","password":"HIDDEN_DUE_TO_SECURITY_REASONS"}"#),
            // From a third evasion review: the Elasticsearch-era API, the master
            // user handed to an IAM principal, and role-based cache users.
            (OPENSEARCH, "UpdateElasticsearchDomainConfig", r#"{"domainName":"logs","advancedSecurityOptions":{"masterUserOptions":{"masterUserName":"admin","masterUserPassword":"HIDDEN_DUE_TO_SECURITY_REASONS"}}}"#),
            (OPENSEARCH, "UpdateDomainConfig", r#"{"domainName":"logs","advancedSecurityOptions":{"masterUserOptions":{"masterUserARN":"arn:aws:iam::111122223333:role/attacker"}}}"#),
            (ELASTICACHE, "ModifyUser", r#"{"userId":"app-user","passwords":["HIDDEN_DUE_TO_SECURITY_REASONS"]}"#),
            (ELASTICACHE, "ModifyUser", r#"{"userId":"app-user","authenticationMode":{"type":"password","passwords":["HIDDEN_DUE_TO_SECURITY_REASONS"]}}"#),
            (ELASTICACHE, "ModifyUser", r#"{"userId":"app-user","noPasswordRequired":true}"#),
            (ELASTICACHE, "ModifyUser", r#"{"userId":"app-user","authenticationMode":{"type":"No-Password-Required"}}"#),
            (MEMORYDB, "UpdateUser", r#"{"userName":"app-user","authenticationMode":{"type":"password","passwords":["HIDDEN_DUE_TO_SECURITY_REASONS"]}}"#),
        ] {
            match eval(&DatabaseAdminPasswordReset, &call(source, name, params)) {
                Some(Signal::Fire(e)) => assert!(e.get("resource").is_some(), "{name}"),
                other => panic!("expected a finding for {name} {params}, got {other:?}"),
            }
        }
        // A denied attempt is reported, with its error.
        let denied = failed(MQ, "UpdateUser", ROLE, r#"{"brokerId":"b-1","username":"admin","password":"x"}"#, "ForbiddenException");
        assert!(fires(&DatabaseAdminPasswordReset, &denied));
    }

    #[test]
    fn other_changes_and_services_do_not_fire() {
        for (source, name, params) in [
            (DOCDB_ELASTIC, "UpdateCluster", r#"{"clusterArn":"arn:aws:docdb-elastic:us-east-1:111122223333:cluster/0a1b","shardCount":4}"#),
            (LIGHTSAIL, "UpdateRelationalDatabase", r#"{"relationalDatabaseName":"shop-db","rotateMasterUserPassword":false,"publiclyAccessible":false}"#),
            (OPENSEARCH, "UpdateDomainConfig", r#"{"domainName":"logs","clusterConfig":{"instanceCount":3}}"#),
            (ELASTICACHE, "ModifyReplicationGroup", r#"{"replicationGroupId":"sessions","cacheNodeType":"cache.r7g.large"}"#),
            (MQ, "UpdateUser", r#"{"brokerId":"b-0a1b2c3d","username":"app","groups":["ops"]}"#),
            (OPENSEARCH, "UpdateElasticsearchDomainConfig", r#"{"domainName":"logs","elasticsearchClusterConfig":{"instanceCount":3}}"#),
            (ELASTICACHE, "ModifyUser", r#"{"userId":"app-user","accessString":"on ~app:* +@read","noPasswordRequired":false}"#),
            (ELASTICACHE, "ModifyUser", r#"{"userId":"app-user","authenticationMode":{"type":"iam"}}"#),
            (MEMORYDB, "UpdateUser", r#"{"userName":"app-user","accessString":"on ~* +@read"}"#),
        ] {
            assert!(!fires(&DatabaseAdminPasswordReset, &call(source, name, params)), "{name} {params}");
        }
        let by_service = record(MQ, "UpdateUser", SERVICE, r#"{"brokerId":"b-1","username":"admin","password":"x"}"#, "");
        assert!(!fires(&DatabaseAdminPasswordReset, &by_service));
    }
}
