//! An RDS database activity stream stopped (`StopActivityStream`), successfully.
//!
//! Decisions: an activity stream is a database's audit trail (every query and
//! login, pushed to Kinesis); stopping it blinds whoever reads it, which is why
//! it belongs with the logging-tampering detections. Starting one does not fire,
//! nor does a refused stop. AWS service identities are skipped; a stack that stops
//! the stream counts, as every caller of the other logging-tamper detections does.
//!
//! From a second evasion review, the ways to blind the database's auditing
//! with the stream left running: its audit policy unlocked
//! (`ModifyActivityStream` with `auditPolicyState` `unlocked`: editable from
//! inside the database again, by whoever holds it), and the audit log's export
//! to CloudWatch Logs switched off (`ModifyDBCluster`, `ModifyDBInstance` whose
//! `cloudwatchLogsExportConfiguration.disableLogTypes` names `audit`, MySQL's,
//! MariaDB's and Oracle's audit log, or `postgresql`, where pgAudit writes).
//!
//! From a third evasion review, the auditing switched off at its source, the
//! export left running with nothing in it: a parameter group's audit settings
//! (`ModifyDBClusterParameterGroup`, `ModifyDBParameterGroup`: Aurora MySQL's and
//! MariaDB's `server_audit_logging` off, `server_audit_events` emptied,
//! `server_audit_excl_users` given users other than RDS's own (`rdsadmin`, which
//! AWS's guide suggests leaving out), `server_audit_incl_users` given a few (low:
//! auditing only the privileged users is a documented choice), `pgaudit.log` set
//! to `none`, Oracle's `audit_trail` `NONE`; a reset of an audit switch, since
//! auditing is off by default, or of every parameter (low: the request does not
//! say the group audited), through the `Reset...ParameterGroup` calls), or the audit plugin taken out of an option
//! group or its settings changed the same way (`ModifyOptionGroup` removing
//! `MARIADB_AUDIT_PLUGIN` or `SQLSERVER_AUDIT`, or setting its
//! `SERVER_AUDIT_...` options). The call names the group, not the databases
//! that use it.

use serde_json::Value;

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    aws_service_caller_but_stack, change_by_anyone_but, flag_value, one_or_many, pascal_or_camel,
    request_param_any, request_text_any, succeeded_call,
};
use crate::event::Record;

pub struct RdsActivityStreamStopped;

const SOURCE: &str = "rds.amazonaws.com";
const NAMES: &[&str] = &["StopActivityStream"];
const POLICY: &[&str] = &["ModifyActivityStream"];
const EXPORTS: &[&str] = &["ModifyDBCluster", "ModifyDBInstance"];
/// The log types a database's audit records go to.
const AUDIT_LOGS: [&str; 2] = ["audit", "postgresql"];
/// Where a database's own auditing is switched (from a third evasion review).
const PARAMETER_GROUPS: &[&str] = &[
    "ModifyDBClusterParameterGroup",
    "ModifyDBParameterGroup",
    "ResetDBClusterParameterGroup",
    "ResetDBParameterGroup",
];
const OPTION_GROUPS: &[&str] = &["ModifyOptionGroup"];
/// The audit plugins an option group carries (RDS for MySQL and MariaDB, SQL
/// Server).
const AUDIT_OPTIONS: [&str; 2] = ["MARIADB_AUDIT_PLUGIN", "SQLSERVER_AUDIT"];

/// The audit parameters a parameter group change silences, by name: Aurora
/// MySQL's and MariaDB's `server_audit_logging` off, `server_audit_events`
/// emptied, `server_audit_excl_users` given users to leave out, pgAudit's
/// `pgaudit.log` set to `none` or emptied, Oracle's `audit_trail` set to `NONE`.
fn audit_parameters_silenced<'r>(rec: &'r Record<'_>) -> Vec<&'r str> {
    let reset = rec.event_name().starts_with("Reset");
    // A reset puts the defaults back, and auditing is off by default (from a
    // review): all of them (low: the request does not say the group audited), or
    // the audit switches it names. The user lists' default (empty) audits
    // everyone: resetting them restores auditing.
    if reset && reset_all(rec) {
        return vec!["all parameters reset"];
    }
    let Some(items) = request_param_any(rec, &["parameters", "Parameters"]) else {
        return Vec::new();
    };
    one_or_many(Some(items))
        .into_iter()
        .filter_map(|p| {
            let name = pascal_or_camel(p, "ParameterName")?.as_str()?.trim();
            let value = pascal_or_camel(p, "ParameterValue").and_then(Value::as_str).map(str::trim);
            let audit = AUDIT_PARAMETERS.iter().any(|a| a.eq_ignore_ascii_case(name));
            let user_list = name.to_ascii_lowercase().ends_with("_users");
            let silenced = if reset { !user_list } else { audit_setting_silences(name, value) };
            (audit && silenced).then_some(name)
        })
        .collect()
}

/// The users RDS manages the database with, which AWS's guide suggests leaving
/// out of the audit log.
const RDS_USERS: [&str; 4] = ["rdsadmin", "rdsrepladmin", "rdsproxyadmin", "rdstopmgr"];

/// The texts of `v` (one or a list), trimmed, that are among `names` (letter
/// case ignored).
fn named_among<'v>(v: Option<&'v Value>, names: &[&str]) -> Vec<&'v str> {
    one_or_many(v)
        .into_iter()
        .filter_map(Value::as_str)
        .map(str::trim)
        .filter(|t| names.iter().any(|n| n.eq_ignore_ascii_case(t)))
        .collect()
}

/// The audit plugins an option group change removes.
fn audit_options_removed<'r>(rec: &'r Record<'_>) -> Vec<&'r str> {
    named_among(request_param_any(rec, &["optionsToRemove", "OptionsToRemove"]), &AUDIT_OPTIONS)
}

/// The include lists a parameter or option group change sets, as written.
fn include_lists_named<'r>(rec: &'r Record<'_>) -> Vec<&'r str> {
    let mut out = Vec::new();
    let mut read = |items: Option<&'r Value>, name_key: &str, value_key: &str| {
        for item in items.map(|v| one_or_many(Some(v))).unwrap_or_default() {
            let name = pascal_or_camel(item, name_key).and_then(Value::as_str).map(str::trim);
            if name.is_some_and(|n| n.eq_ignore_ascii_case("server_audit_incl_users")) {
                out.extend(pascal_or_camel(item, value_key).and_then(Value::as_str));
            }
        }
    };
    read(request_param_any(rec, &["parameters", "Parameters"]), "ParameterName", "ParameterValue");
    for option in request_param_any(rec, &["optionsToInclude", "OptionsToInclude"])
        .map(|v| one_or_many(Some(v)))
        .unwrap_or_default()
    {
        read(pascal_or_camel(option, "OptionSettings"), "Name", "Value");
    }
    out
}

/// Whether the call resets every parameter of its group.
fn reset_all(rec: &Record<'_>) -> bool {
    rec.event_name().starts_with("Reset")
        && request_param_any(rec, &["resetAllParameters", "ResetAllParameters"]).and_then(flag_value) == Some(true)
}

/// The parameters and option settings that decide what a database audits.
const AUDIT_PARAMETERS: [&str; 6] = [
    "server_audit_logging",
    "server_audit_events",
    "server_audit_excl_users",
    "server_audit_incl_users",
    "pgaudit.log",
    "audit_trail",
];

/// Whether setting `name` to `value` silences auditing: logging off, no events,
/// users left out (other than RDS's own, which AWS's guide suggests leaving
/// out), or only some users left in (low, see `severity_for`: auditing only the
/// privileged users is a documented choice).
fn audit_setting_silences(name: &str, value: Option<&str>) -> bool {
    let off = value.is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "off" | "0" | "false"));
    let others_than_rds = |v: &str| {
        v.split(',')
            .map(str::trim)
            .any(|u| !u.is_empty() && !RDS_USERS.contains(&u))
    };
    match name.to_ascii_lowercase().as_str() {
        "server_audit_logging" => off,
        "server_audit_events" => value.is_some_and(str::is_empty),
        "server_audit_excl_users" => value.is_some_and(others_than_rds),
        "server_audit_incl_users" => value.is_some_and(|v| !v.is_empty()),
        "pgaudit.log" => value.is_some_and(|v| v.is_empty() || v.eq_ignore_ascii_case("none")),
        "audit_trail" => value.is_some_and(|v| v.eq_ignore_ascii_case("none")),
        _ => false,
    }
}

/// The audit plugin's settings an option group change silences
/// (`optionsToInclude[].optionSettings[]`: `SERVER_AUDIT_EXCL_USERS` and the like).
fn audit_option_settings_silenced(rec: &Record<'_>) -> Vec<String> {
    let Some(options) = request_param_any(rec, &["optionsToInclude", "OptionsToInclude"]) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for option in one_or_many(Some(options)) {
        let name = pascal_or_camel(option, "OptionName").and_then(Value::as_str).map(str::trim);
        if !name.is_some_and(|n| AUDIT_OPTIONS.iter().any(|a| a.eq_ignore_ascii_case(n))) {
            continue;
        }
        for setting in pascal_or_camel(option, "OptionSettings").map(|s| one_or_many(Some(s))).unwrap_or_default() {
            let Some(key) = pascal_or_camel(setting, "Name").and_then(Value::as_str).map(str::trim) else {
                continue;
            };
            let value = pascal_or_camel(setting, "Value").and_then(Value::as_str).map(str::trim);
            if audit_setting_silences(key, value) {
                out.push(key.to_owned());
            }
        }
    }
    out
}

pub static META: Meta = Meta {
    id: "rds-activity-stream-stopped",
    title: "AWS RDS Database Activity Stream Stopped",
    description: "The activity stream of an RDS database or Aurora cluster was stopped (or its \
                  audit policy unlocked, the database's audit log no longer exported to \
                  CloudWatch Logs, or its auditing switched off in a parameter or option \
                  group). The \
                  stream is the database's own audit log (queries, logins, schema changes) sent \
                  to monitoring; once it stops, what happens inside the database is no longer \
                  recorded.",
    severity: Severity::Medium,
    attack: &["T1562.008", "T1562.001"],
    origins: &["Panther aws_rds_activity_stream_stopped (successful StopActivityStream)"],
    group: "logging-tamper",
    false_positives: &[
        "A database being decommissioned, or its stream being recreated with another key.",
    ],
    next_steps: "Restart the stream if the stop was not planned, then review the caller's other \
                 calls and, from the database's own logs, what ran on it since the stream \
                 stopped.",
    evidence: "action api applyImmediately audit_parameters audit_policy_state audit_settings \
        caller caller_type database log_exports_disabled option_group options_removed \
        parameter_group resourceArn source_ip user_agent",
    triggers: &[
        Trigger::write(SOURCE, NAMES),
        Trigger::write(SOURCE, POLICY),
        Trigger::write(SOURCE, EXPORTS),
        Trigger::write(SOURCE, PARAMETER_GROUPS),
        Trigger::write(SOURCE, OPTION_GROUPS),
    ],
    window: None,
};

impl Detection for RdsActivityStreamStopped {
    fn meta(&self) -> &'static Meta {
        &META
    }

    /// Low for a reset of every parameter (the request does not say the group
    /// audited) and for an include list alone (auditing only some users is a
    /// documented choice); from a second review of the parameter groups.
    fn severity_for(&self, rec: &Record<'_>) -> Severity {
        let include_list = |name: &str| name.eq_ignore_ascii_case("server_audit_incl_users");
        // An include list of RDS's own users alone audits no real user: as bad
        // as logging off (a third review).
        let only_rds_users = |v: &str| v.split(',').map(str::trim).filter(|u| !u.is_empty()).all(|u| RDS_USERS.contains(&u));
        if include_lists_named(rec).iter().any(|v| only_rds_users(v)) {
            return META.severity;
        }
        let only_include_lists = if PARAMETER_GROUPS.contains(&rec.event_name()) {
            let silenced = audit_parameters_silenced(rec);
            !silenced.is_empty() && silenced.iter().all(|n| include_list(n))
        } else if OPTION_GROUPS.contains(&rec.event_name()) {
            let settings = audit_option_settings_silenced(rec);
            audit_options_removed(rec).is_empty() && !settings.is_empty() && settings.iter().all(|n| include_list(n))
        } else {
            false
        };
        if reset_all(rec) || only_include_lists { Severity::Low } else { META.severity }
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if succeeded_call(rec, SOURCE, POLICY) && !aws_service_caller_but_stack(rec) {
            let state = request_text_any(rec, &["auditPolicyState", "AuditPolicyState"])?;
            if !state.trim().eq_ignore_ascii_case("unlocked") {
                return None;
            }
            return fire(
                Evidence::new()
                    .with("action", rec.event_name())
                    .with_opt("resourceArn", request_text_any(rec, &["resourceArn", "ResourceArn"]))
                    .with("audit_policy_state", state.trim()),
            );
        }
        if succeeded_call(rec, SOURCE, EXPORTS) && !aws_service_caller_but_stack(rec) {
            let disabled = named_among(
                rec.request_parameters()
                    .and_then(|p| pascal_or_camel(p, "CloudwatchLogsExportConfiguration"))
                    .and_then(|c| pascal_or_camel(c, "DisableLogTypes")),
                &AUDIT_LOGS,
            );
            if disabled.is_empty() {
                return None;
            }
            return fire(
                Evidence::new()
                    .with("action", rec.event_name())
                    .with_opt(
                        "database",
                        request_text_any(rec, &["dBClusterIdentifier", "dBInstanceIdentifier"]),
                    )
                    .with("log_exports_disabled", disabled),
            );
        }
        if succeeded_call(rec, SOURCE, PARAMETER_GROUPS) && !aws_service_caller_but_stack(rec) {
            let silenced = audit_parameters_silenced(rec);
            if silenced.is_empty() {
                return None;
            }
            return fire(
                Evidence::new()
                    .with("action", rec.event_name())
                    .with_opt(
                        "parameter_group",
                        request_text_any(rec, &["dBClusterParameterGroupName", "dBParameterGroupName"]),
                    )
                    .with("audit_parameters", silenced),
            );
        }
        if succeeded_call(rec, SOURCE, OPTION_GROUPS) && !aws_service_caller_but_stack(rec) {
            let removed = audit_options_removed(rec);
            let settings = audit_option_settings_silenced(rec);
            if removed.is_empty() && settings.is_empty() {
                return None;
            }
            return fire(
                Evidence::new()
                    .with("action", rec.event_name())
                    .with_opt("option_group", request_text_any(rec, &["optionGroupName", "OptionGroupName"]))
                    .with_opt("options_removed", (!removed.is_empty()).then_some(removed))
                    .with_opt("audit_settings", (!settings.is_empty()).then_some(settings)),
            );
        }
        change_by_anyone_but(rec, SOURCE, NAMES, &["resourceArn", "applyImmediately"], &[])
            .and_then(fire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::{eval, fires};
    use serde_json::json;

    const CLUSTER: &str = r#"{"resourceArn":"arn:aws:rds:us-east-1:111122223333:cluster:orders","applyImmediately":true}"#;

    #[test]
    fn fires_on_a_stop() {
        match eval(&RdsActivityStreamStopped, &record(SOURCE, "StopActivityStream", ROLE, CLUSTER, "")) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("resourceArn"), Some(&json!("arn:aws:rds:us-east-1:111122223333:cluster:orders")))
            }
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    /// From a second evasion review: auditing blinded with the stream running.
    #[test]
    fn an_unlocked_audit_policy_and_audit_logs_no_longer_exported_fire() {
        let unlock = r#"{"resourceArn":"arn:aws:rds:us-east-1:111122223333:db:orders-prod","auditPolicyState":"unlocked"}"#;
        match eval(&RdsActivityStreamStopped, &record(SOURCE, "ModifyActivityStream", ROLE, unlock, "")) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("audit_policy_state"), Some(&json!("unlocked"))),
            other => panic!("expected a finding, got {other:?}"),
        }
        let lock = unlock.replace("unlocked", "locked");
        assert!(!fires(&RdsActivityStreamStopped, &record(SOURCE, "ModifyActivityStream", ROLE, &lock, "")));
        for (name, params) in [
            ("ModifyDBCluster", r#"{"dBClusterIdentifier":"orders","cloudwatchLogsExportConfiguration":{"disableLogTypes":["audit","slowquery"]}}"#),
            ("ModifyDBInstance", r#"{"dBInstanceIdentifier":"billing","cloudwatchLogsExportConfiguration":{"DisableLogTypes":"postgresql"}}"#),
        ] {
            match eval(&RdsActivityStreamStopped, &record(SOURCE, name, ROLE, params, "")) {
                Some(Signal::Fire(e)) => assert!(e.get("log_exports_disabled").is_some(), "{name}"),
                other => panic!("expected a finding for {name}, got {other:?}"),
            }
        }
        for params in [
            r#"{"dBClusterIdentifier":"orders","cloudwatchLogsExportConfiguration":{"disableLogTypes":["slowquery","general"]}}"#,
            r#"{"dBClusterIdentifier":"orders","cloudwatchLogsExportConfiguration":{"enableLogTypes":["audit"]}}"#,
            r#"{"dBClusterIdentifier":"orders","backupRetentionPeriod":7}"#,
            r#"{"dBClusterIdentifier":"orders","cloudwatchLogsExportConfiguration":{"disableLogTypes":[7,null]}}"#,
        ] {
            assert!(!fires(&RdsActivityStreamStopped, &record(SOURCE, "ModifyDBCluster", ROLE, params, "")), "{params}");
        }
    }

    /// From a third evasion review: auditing switched off at its source.
    #[test]
    fn audit_parameters_and_plugins_switched_off_fire() {
        let group = |name: &str, value: &str| {
            format!(r#"{{"dBClusterParameterGroupName":"prod-aurora-mysql8","parameters":[{{"parameterName":"{name}","parameterValue":"{value}","applyMethod":"immediate"}}]}}"#)
        };
        for (name, value) in [
            ("server_audit_logging", "OFF"),
            ("server_audit_logging", "0"),
            ("server_audit_events", ""),
            ("server_audit_excl_users", "intruder"),
            ("pgaudit.log", "none"),
            ("audit_trail", "NONE"),
        ] {
            match eval(&RdsActivityStreamStopped, &record(SOURCE, "ModifyDBClusterParameterGroup", ROLE, &group(name, value), "")) {
                Some(Signal::Fire(e)) => assert_eq!(e.get("audit_parameters"), Some(&json!([name])), "{name}"),
                other => panic!("expected a finding for {name}={value}, got {other:?}"),
            }
        }
        for (name, value) in [
            ("server_audit_logging", "ON"),
            ("server_audit_events", "CONNECT,QUERY"),
            ("server_audit_excl_users", ""),
            ("pgaudit.log", "all"),
            ("max_connections", "0"),
        ] {
            assert!(!fires(&RdsActivityStreamStopped, &record(SOURCE, "ModifyDBParameterGroup", ROLE, &group(name, value), "")), "{name}");
        }
        // From a review: the include list, a reset, the plugin's own settings.
        let incl = group("server_audit_incl_users", "nobody");
        assert!(fires(&RdsActivityStreamStopped, &record(SOURCE, "ModifyDBClusterParameterGroup", ROLE, &incl, "")));
        let reset_all = r#"{"dBClusterParameterGroupName":"prod-aurora-mysql8","resetAllParameters":true}"#;
        assert!(fires(&RdsActivityStreamStopped, &record(SOURCE, "ResetDBClusterParameterGroup", ROLE, reset_all, "")));
        let reset_one = r#"{"dBParameterGroupName":"pg","parameters":[{"parameterName":"pgaudit.log","applyMethod":"immediate"}]}"#;
        assert!(fires(&RdsActivityStreamStopped, &record(SOURCE, "ResetDBParameterGroup", ROLE, reset_one, "")));
        let reset_other = reset_one.replace("pgaudit.log", "work_mem");
        assert!(!fires(&RdsActivityStreamStopped, &record(SOURCE, "ResetDBParameterGroup", ROLE, &reset_other, "")));
        // RDS's own users left out, as AWS's guide suggests, silence nothing; a
        // reset of the user lists restores auditing; an include list alone and a
        // reset of everything are low (a second review).
        let rdsadmin = group("server_audit_excl_users", "rdsadmin");
        assert!(!fires(&RdsActivityStreamStopped, &record(SOURCE, "ModifyDBClusterParameterGroup", ROLE, &rdsadmin, "")));
        let reset_list = reset_one.replace("pgaudit.log", "server_audit_excl_users");
        assert!(!fires(&RdsActivityStreamStopped, &record(SOURCE, "ResetDBClusterParameterGroup", ROLE, &reset_list, "")));
        let severity = |json: &str| testing::severity(&RdsActivityStreamStopped, json);
        assert_eq!(severity(&record(SOURCE, "ModifyDBClusterParameterGroup", ROLE, &incl, "")), Severity::Low);
        // RDS's own user alone in the include list audits nobody real; a name
        // that only looks like it is another user (a third review).
        let incl_rds = group("server_audit_incl_users", "rdsadmin");
        assert_eq!(severity(&record(SOURCE, "ModifyDBClusterParameterGroup", ROLE, &incl_rds, "")), Severity::Medium);
        let look_alike = group("server_audit_excl_users", "RDSADMIN");
        assert!(fires(&RdsActivityStreamStopped, &record(SOURCE, "ModifyDBClusterParameterGroup", ROLE, &look_alike, "")));
        assert_eq!(severity(&record(SOURCE, "ResetDBClusterParameterGroup", ROLE, reset_all, "")), Severity::Low);
        assert_eq!(severity(&record(SOURCE, "ResetDBParameterGroup", ROLE, reset_one, "")), Severity::Medium);
        let settings = r#"{"optionGroupName":"mysql80-audit","optionsToInclude":[{"optionName":"MARIADB_AUDIT_PLUGIN","optionSettings":[{"name":"SERVER_AUDIT_EXCL_USERS","value":"mallory"}]}]}"#;
        let suggested = settings.replace("mallory", "rdsadmin");
        assert!(!fires(&RdsActivityStreamStopped, &record(SOURCE, "ModifyOptionGroup", ROLE, &suggested, "")));
        assert!(fires(&RdsActivityStreamStopped, &record(SOURCE, "ModifyOptionGroup", ROLE, settings, "")));
        let kept = settings.replace("SERVER_AUDIT_EXCL_USERS", "SERVER_AUDIT_FILE_ROTATIONS");
        assert!(!fires(&RdsActivityStreamStopped, &record(SOURCE, "ModifyOptionGroup", ROLE, &kept, "")));
        let plugin = r#"{"optionGroupName":"mysql-audit","optionsToRemove":["MARIADB_AUDIT_PLUGIN"],"applyImmediately":true}"#;
        assert!(fires(&RdsActivityStreamStopped, &record(SOURCE, "ModifyOptionGroup", ROLE, plugin, "")));
        let other = plugin.replace("MARIADB_AUDIT_PLUGIN", "MEMCACHED");
        assert!(!fires(&RdsActivityStreamStopped, &record(SOURCE, "ModifyOptionGroup", ROLE, &other, "")));
    }

    #[test]
    fn near_misses() {
        assert!(!fires(&RdsActivityStreamStopped, &failed(SOURCE, "StopActivityStream", ROLE, CLUSTER, "AccessDenied")));
        assert!(!fires(&RdsActivityStreamStopped, &record(SOURCE, "StartActivityStream", ROLE, CLUSTER, "")));
        assert!(!fires(&RdsActivityStreamStopped, &record(SOURCE, "StopActivityStream", SERVICE, CLUSTER, "")));
    }
}
