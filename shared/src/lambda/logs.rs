//! Logs (JSON lines) and CloudWatch Embedded Metric Format lines.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::json;

/// One CloudWatch Embedded Metric Format line: `Findings` = 1 for the detection,
/// also by severity and deployment (the resource prefix): the health alarms on
/// the findings about trailwatch itself count only critical ones of their own
/// stack, not a deployment's medium ones or another stack's in the account.
pub(super) fn emit_metric(function: &str, f: &crate::finding::Finding) {
    println!("{}", findings_line(function, f));
}

fn findings_line(function: &str, f: &crate::finding::Finding) -> serde_json::Value {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    json!({
        "_aws": {
            "Timestamp": ms,
            "CloudWatchMetrics": [{
                "Namespace": METRICS_NAMESPACE,
                "Dimensions": [
                    ["function", "detection_id"],
                    ["function", "detection_id", "severity", "prefix"],
                ],
                "Metrics": [{"Name": "Findings", "Unit": "Count"}],
            }],
        },
        "function": function,
        "detection_id": f.detection_id,
        "severity": f.severity.as_str(),
        "prefix": crate::resources::prefix(),
        "Findings": 1,
    })
}

/// The CloudWatch namespace of every metric the functions emit.
pub const METRICS_NAMESPACE: &str = "trailwatch";
/// The metric of a completed heartbeat check (the health alarm watches it).
pub const HEARTBEAT_CHECKS: &str = "HeartbeatChecks";

/// One EMF line: `HeartbeatChecks` = 1, for a heartbeat check that ran to the
/// end (its findings delivered), per function and deployment (the resource
/// prefix, the stack's name): the health alarm's proof that silences are being
/// reported, missing when the schedule, the function or its permissions break.
pub(super) fn emit_heartbeat_check(function: &str) {
    println!("{}", heartbeat_check_line(function));
}

fn heartbeat_check_line(function: &str) -> serde_json::Value {
    count_line(function, HEARTBEAT_CHECKS)
}

/// One EMF line: `metric` = 1, per function and deployment (the resource
/// prefix, the stack's name), the dimensions a health alarm reads.
fn count_line(function: &str, metric: &str) -> serde_json::Value {
    json!({
        "_aws": {
            "Timestamp": now_ms(),
            "CloudWatchMetrics": [{
                "Namespace": METRICS_NAMESPACE,
                "Dimensions": [["function", "prefix"]],
                "Metrics": [{"Name": metric, "Unit": "Count"}],
            }],
        },
        "function": function,
        "prefix": crate::resources::prefix(),
        metric: 1,
    })
}

/// The metric of a canary under another resource prefix (the health alarm
/// `foreign-canaries` watches it).
pub const FOREIGN_CANARIES: &str = "ForeignCanaries";

/// One EMF line: `ForeignCanaries` = 1, for a canary whose parameter is not
/// named with this deployment's prefix: most likely a forwarder deployed with
/// another `ResourcePrefix`, whose account and Region are then never watched (a
/// review of the templates, ninth session: only a log line said so). Per
/// function and deployment, as [`emit_heartbeat_check`].
pub(super) fn emit_foreign_canary(function: &str) {
    println!("{}", foreign_canary_line(function));
}

fn foreign_canary_line(function: &str) -> serde_json::Value {
    count_line(function, FOREIGN_CANARIES)
}

/// The metric of a tuning file refused (the health alarm `tuning-refused`
/// watches it).
pub const TUNING_ERRORS: &str = "TuningErrors";
/// The metric of a tuning file put in force with warnings (the health alarm
/// `tuning-warned` watches it).
pub const TUNING_WARNINGS: &str = "TuningWarnings";

/// One EMF line: `TuningErrors` = 1 (the tuning could not be read or is invalid;
/// the last good one, or none, stays in force), per function and per deployment
/// (the resource prefix, the stack's name: what the health alarm reads, one
/// metric for all functions).
pub(super) fn emit_tuning_error(function: &str) {
    println!("{}", tuning_line(function, TUNING_ERRORS, 1));
}

/// One EMF line: `TuningWarnings` = the warnings of a tuning just put in force
/// that weaken a detection (an entry that covers every caller, matches what an
/// intruder chooses, names a user of any account...; not an entry's expiry):
/// `tuning check --strict` refuses them before a push, and this tells of one
/// pushed past that check. Per function and
/// deployment, as [`emit_tuning_error`].
pub(super) fn emit_tuning_warnings(function: &str, warnings: usize) {
    println!("{}", tuning_line(function, TUNING_WARNINGS, warnings));
}

fn tuning_line(function: &str, metric: &str, value: usize) -> serde_json::Value {
    // The backtest runs under the live stack's prefix: a candidate tuning it
    // refuses must not raise the live stack's alarm (from a review).
    let dimensions = if function == BACKTEST_FUNCTION {
        json!([["function"]])
    } else {
        json!([["function"], ["prefix"]])
    };
    json!({
        "_aws": {
            "Timestamp": now_ms(),
            "CloudWatchMetrics": [{
                "Namespace": METRICS_NAMESPACE,
                "Dimensions": dimensions,
                "Metrics": [{"Name": metric, "Unit": "Count"}],
            }],
        },
        "function": function,
        "prefix": crate::resources::prefix(),
        metric: value,
    })
}

/// The name the backtest function gives itself in its logs and metrics.
pub const BACKTEST_FUNCTION: &str = "backtest";

/// One EMF line for a finding tuning decided about: `TunedFindings` = 1 per
/// detection and disposition (notified, suppressed, shadow, held-back), and per
/// entry when an entry decided it (a suppression, or a dry-run mark).
pub(super) fn emit_tuned(
    function: &str,
    detection_id: &str,
    disposition: &str,
    entry: Option<&str>,
) {
    let mut dimensions = vec![json!(["function", "detection_id", "disposition"])];
    if entry.is_some() {
        dimensions.push(json!(["function", "entry"]));
    }
    let line = json!({
        "_aws": {
            "Timestamp": now_ms(),
            "CloudWatchMetrics": [{
                "Namespace": "trailwatch",
                "Dimensions": dimensions,
                "Metrics": [{"Name": "TunedFindings", "Unit": "Count"}],
            }],
        },
        "function": function,
        "detection_id": detection_id,
        "disposition": disposition,
        "entry": entry.unwrap_or(""),
        "TunedFindings": 1,
    });
    println!("{line}");
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// JSON logs on stdout, at the level named by `RUST_LOG`, else Lambda's
/// `AWS_LAMBDA_LOG_LEVEL` (a plain level: `trace` .. `error`), else `info`. Per-module filters are not supported: they would link a regex engine.
/// A setting that names no plain level (say `RUST_LOG=trailwatch=debug`) is
/// logged as an error once logging is up, so the level used is never a surprise.
pub fn init_logging() {
    let (level, ignored) = chosen_level(|k| std::env::var(k).ok());
    let _ = tracing_subscriber::fmt()
        .json()
        .with_max_level(level)
        .with_target(false)
        .with_current_span(false)
        .flatten_event(true)
        .try_init();
    // At error level: a configuration error, and seen whatever level was chosen
    // (a warning under `AWS_LAMBDA_LOG_LEVEL=ERROR` would hide itself).
    for (name, value) in ignored {
        tracing::error!(
            variable = name,
            value = %value.escape_debug(),
            level = %level,
            "not a plain log level (trace, debug, info, warn, error): ignored"
        );
    }
}

/// The first of `RUST_LOG` and `AWS_LAMBDA_LOG_LEVEL` that names a plain level,
/// else `info` (an empty setting counts as none); and the settings passed over because they name none.
fn chosen_level(
    var: impl Fn(&'static str) -> Option<String>,
) -> (tracing::Level, Vec<(&'static str, String)>) {
    let mut ignored = Vec::new();
    for name in ["RUST_LOG", "AWS_LAMBDA_LOG_LEVEL"] {
        let Some(value) = var(name).filter(|v| !v.trim().is_empty()) else {
            continue;
        };
        match log_level(&value) {
            Some(level) => return (level, ignored),
            None => ignored.push((name, value)),
        }
    }
    (tracing::Level::INFO, ignored)
}

/// A plain level name (any case); Lambda's own `FATAL` counts as `error`.
fn log_level(v: &str) -> Option<tracing::Level> {
    match v.trim().to_ascii_lowercase().as_str() {
        "trace" => Some(tracing::Level::TRACE),
        "debug" => Some(tracing::Level::DEBUG),
        "info" => Some(tracing::Level::INFO),
        "warn" => Some(tracing::Level::WARN),
        "error" | "fatal" => Some(tracing::Level::ERROR),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_setting_that_names_no_level_is_reported_not_silently_dropped() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &'static str| {
                pairs
                    .iter()
                    .find(|(name, _)| *name == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(chosen_level(env(&[])), (tracing::Level::INFO, vec![]));
        assert_eq!(
            chosen_level(env(&[("RUST_LOG", " Debug ")])),
            (tracing::Level::DEBUG, vec![])
        );
        assert_eq!(
            chosen_level(env(&[
                ("RUST_LOG", "trailwatch=debug"),
                ("AWS_LAMBDA_LOG_LEVEL", "WARN")
            ])),
            (
                tracing::Level::WARN,
                vec![("RUST_LOG", "trailwatch=debug".to_string())]
            )
        );
        assert_eq!(
            chosen_level(env(&[("RUST_LOG", ""), ("AWS_LAMBDA_LOG_LEVEL", "FATAL")])),
            (tracing::Level::ERROR, vec![])
        );
    }

    /// A refused tuning, and the warnings of one put in force, are counted per
    /// function and per deployment: the `tuning-refused` and `tuning-warned`
    /// health alarms (template.yaml) read the latter.
    #[test]
    fn tuning_problems_are_counted_for_the_deployment() {
        for (metric, value) in [(TUNING_ERRORS, 1), (TUNING_WARNINGS, 3)] {
            let line = tuning_line("discovery", metric, value);
            let emf = &line["_aws"]["CloudWatchMetrics"][0];
            assert_eq!(emf["Namespace"], METRICS_NAMESPACE);
            assert_eq!(emf["Metrics"][0]["Name"], metric);
            assert_eq!(emf["Dimensions"][1], json!(["prefix"]));
            assert_eq!(line["prefix"], crate::resources::prefix());
            assert_eq!(line[metric], value);
            // A backtest's candidate tuning is not the live stack's.
            let backtest = tuning_line(BACKTEST_FUNCTION, metric, value);
            assert_eq!(
                backtest["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
                json!([["function"]])
            );
        }
    }

    /// A foreign canary is counted per function and deployment, as the
    /// `foreign-canaries` health alarm reads it.
    #[test]
    fn a_foreign_canary_is_one_emf_count() {
        let line = foreign_canary_line("pipeline");
        let metric = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(metric["Namespace"], METRICS_NAMESPACE);
        assert_eq!(metric["Metrics"][0]["Name"], FOREIGN_CANARIES);
        assert_eq!(metric["Dimensions"], json!([["function", "prefix"]]));
        assert_eq!(line["function"], "pipeline");
        assert_eq!(line["prefix"], crate::resources::prefix());
        assert_eq!(line[FOREIGN_CANARIES], 1);
    }

    /// The line CloudWatch turns into the metric the health alarm watches.
    #[test]
    fn a_heartbeat_check_is_one_emf_count() {
        let line = heartbeat_check_line("pipeline");
        let metric = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(metric["Namespace"], METRICS_NAMESPACE);
        assert_eq!(metric["Metrics"][0]["Name"], HEARTBEAT_CHECKS);
        for dimension in metric["Dimensions"][0].as_array().unwrap() {
            let name = dimension.as_str().unwrap();
            assert!(line[name].is_string(), "{name}: {line}");
        }
        assert_eq!(line[HEARTBEAT_CHECKS], 1);
        assert_eq!(line["function"], "pipeline");
    }

    /// The health alarms' dimensions (template.yaml `TamperingReportedAlarm`,
    /// `SilenceReportedAlarm`) are one of the line's dimension sets, each a field.
    #[test]
    fn a_finding_is_counted_by_severity_and_deployment_too() {
        let rec = crate::event::Record::from_json(
            r#"{"eventSource":"events.amazonaws.com","eventName":"DisableRule","eventID":"e1",
            "requestParameters":{"name":"trailwatch-x"}}"#,
        )
        .unwrap();
        let meta = crate::catalog::by_id("trailwatch-tampering")
            .unwrap()
            .meta();
        let f = crate::finding::Finding::from_record(meta, &rec, crate::detection::Evidence::new());
        let line = findings_line("self-protection", &f);
        let metric = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(metric["Namespace"], METRICS_NAMESPACE);
        assert_eq!(
            metric["Dimensions"][1],
            json!(["function", "detection_id", "severity", "prefix"])
        );
        for set in metric["Dimensions"].as_array().unwrap() {
            for dimension in set.as_array().unwrap() {
                let name = dimension.as_str().unwrap();
                assert!(line[name].is_string(), "{name}: {line}");
            }
        }
        assert_eq!(line["severity"], "critical");
        assert_eq!(line["prefix"], crate::resources::prefix());
        assert_eq!(line["Findings"], 1);
    }

    #[test]
    fn log_levels_are_plain_names() {
        assert_eq!(log_level(" WARN "), Some(tracing::Level::WARN));
        assert_eq!(log_level("FATAL"), Some(tracing::Level::ERROR));
        assert_eq!(log_level("trailwatch=debug"), None);
    }
}
