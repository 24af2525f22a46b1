//! Session Manager's logging emptied: the Region's session preferences document
//! (`SSM-SessionManagerRunShell`) updated (`UpdateDocument`) with neither an S3
//! bucket nor a CloudWatch Logs group to record sessions to, or deleted
//! (`DeleteDocument`: sessions then log nowhere), successfully.
//!
//! Decisions: Session Manager records what is typed and shown in every shell
//! session only where its preferences name a destination; clearing both before
//! opening shells on instances hides the commands run. The new content is judged
//! (`inputs.s3BucketName` and `inputs.cloudWatchLogGroupName` both empty or absent,
//! or no `inputs` at all), so an account that never logged sessions fires on an
//! update too: it is the same state, and worth knowing. JSON content is parsed;
//! YAML (the caller chooses the format) is read as the flat key lines the console
//! and CLI write, within the top-level `inputs:` block only, which is enough for
//! these two keys, with YAML's tags (`!!str`, `!!null`), anchors and aliases read
//! (from an evasion review) and an empty `inputs: {}` or null taken as no
//! destination. Content the record does not carry, or an `inputs:` written in
//! flow style with keys, cannot be judged and does not fire. Creating the document is not
//! watched: before it exists nothing was logged, and the deletion that would
//! precede a re-creation fires. Changes AWS services make on their own (Quick
//! Setup) are left out; a stack's change counts.
//!
//! A custom Session document does the same for the sessions started with it
//! (`StartSession` naming it replaces the preferences): one created
//! (`CreateDocument` with `documentType` `Session`) or updated (`UpdateDocument`,
//! which names no type: its content's `sessionType` says it) for shell sessions
//! (`sessionType` `Standard_Stream`, or `InteractiveCommands` whose command starts
//! a shell: `bash`, `sh`, `sudo`, `powershell`...) with no destination fires too,
//! from an evasion review. Port-forwarding documents, and `InteractiveCommands`
//! documents running a fixed command (often written without `inputs`), are left
//! out; their commands are read from JSON content only.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_caller_but_stack, policy_document, succeeded_call};
use crate::event::Record;

pub struct SsmSessionLoggingDisabled;

const SSM: &str = "ssm.amazonaws.com";
const CALLS: &[&str] = &["CreateDocument", "DeleteDocument", "UpdateDocument"];
/// The document that holds a Region's Session Manager preferences.
const PREFERENCES: &str = "SSM-SessionManagerRunShell";

pub static META: Meta = Meta {
    id: "ssm-session-logging-disabled",
    title: "AWS Systems Manager Session Logging Emptied",
    description: "Session Manager's preferences were updated with no S3 bucket and no \
                  CloudWatch Logs group to record sessions to. Shell sessions opened on \
                  instances from then on leave no record of the commands run in them.",
    severity: Severity::Medium,
    attack: &["T1562.008"],
    origins: &[
        "trailwatch: from a red-team gap hunt (Session Manager logging emptied before shells \
         are opened on instances)",
    ],
    group: "monitoring-tamper",
    false_positives: &[
        "Accounts that never logged sessions, updating other preferences (idle timeout, run \
         as): the state is the same, and worth fixing.",
    ],
    next_steps: "Set the logging destinations back, then review the sessions started since \
                 the change (StartSession events) and what their users did on the instances.",
    evidence: "api document document_format document_version session_type",
    triggers: &[Trigger::write(SSM, CALLS)],
    window: None,
};

impl Detection for SsmSessionLoggingDisabled {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, SSM, CALLS) || aws_service_caller_but_stack(rec) {
            return None;
        }
        let name = rec.request_param_str("name").map(str::trim)?;
        if name != PREFERENCES {
            return custom_shell_document(rec, name);
        }
        if rec.event_name() == "CreateDocument" {
            return None;
        }
        let evidence = Evidence::new()
            .with("api", rec.event_name())
            .with("document", PREFERENCES)
            .with_opt("document_version", rec.request_param_str("documentVersion"));
        if rec.event_name() == "DeleteDocument" {
            return fire(evidence);
        }
        if !destinations_empty(rec.request_param("content")?)? {
            return None;
        }
        fire(evidence.with_opt("document_format", rec.request_param_str("documentFormat")))
    }
}

/// A custom Session document for shells created or updated with no logging
/// destination.
fn custom_shell_document(rec: &Record<'_>, name: &str) -> Option<Signal> {
    // UpdateDocument takes no type; the content's session type says it.
    let session_doc = rec.event_name() == "UpdateDocument"
        || rec
            .request_param_str("documentType")
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("Session"));
    if rec.event_name() == "DeleteDocument" || !session_doc {
        return None;
    }
    let content = rec.request_param("content")?;
    let kind = session_type(content)?;
    let shell = kind.eq_ignore_ascii_case("Standard_Stream")
        || (kind.eq_ignore_ascii_case("InteractiveCommands") && runs_a_shell(content));
    if !shell {
        return None;
    }
    if !destinations_empty(content)? {
        return None;
    }
    fire(
        Evidence::new()
            .with("api", rec.event_name())
            .with("document", name)
            .with("session_type", kind)
            .with_opt("document_format", rec.request_param_str("documentFormat")),
    )
}

/// The programs whose start is a shell session, not a fixed command.
const SHELLS: &[&str] = &[
    "bash", "sh", "zsh", "dash", "ksh", "ash", "csh", "tcsh", "fish", "mksh", "su", "sudo", "powershell", "pwsh",
    "cmd", "cmd.exe", "powershell.exe",
];

/// Programs that start a shell of their own when given no command (`script`'s
/// typescript, a terminal multiplexer, a changed root or namespace).
const SHELL_STARTERS: &[&str] = &["script", "tmux", "screen", "chroot", "nsenter"];

/// Words that run the command after them (with their options and `NAME=value`
/// assignments): the command is what follows.
const LAUNCHERS: &[&str] = &["env", "exec", "nohup", "busybox", "stdbuf", "setsid", "nice", "command", "builtin", "time"];

/// An `InteractiveCommands` document's command (any platform's, JSON content) starts
/// a shell: a command of it (at the start, or after `;`, `&&`, `||`, `|` or `(`),
/// past launchers, their options and assignments, is one of [`SHELLS`] (path
/// removed) or of [`SHELL_STARTERS`], or it spawns a terminal from Python
/// (`pty.spawn`). From a second evasion review (`/usr/bin/env bash`, `exec bash
/// -l`, `busybox sh` got past the first word) and a review of that change (a shell
/// named as an argument, `ls -l /bin/sh`, is no shell started).
fn runs_a_shell(content: &serde_json::Value) -> bool {
    let Some(doc) = policy_document(content) else {
        return false;
    };
    let Some(platforms) = doc.get("properties").and_then(|p| p.as_object()) else {
        return false;
    };
    platforms.values().any(|p| {
        let commands = p.get("commands");
        let texts: Vec<&str> = match commands {
            Some(serde_json::Value::String(c)) => vec![c.as_str()],
            Some(serde_json::Value::Array(items)) => items.iter().filter_map(|c| c.as_str()).collect(),
            _ => Vec::new(),
        };
        texts.into_iter().any(|c| c.contains("pty.spawn") || command_is_a_shell(c))
    })
}

/// Whether one of the commands of a command line starts a shell.
fn command_is_a_shell(line: &str) -> bool {
    let segments = line.split([';', '|', '&', '(', ')', '\n', '`']);
    segments.into_iter().any(|segment| {
        let words = segment
            .split_whitespace()
            .map(|w| w.trim_matches(['"', '\'']))
            .filter(|w| !w.is_empty());
        for word in words {
            let name = word.rsplit(['/', '\\']).next().unwrap_or(word).to_ascii_lowercase();
            if word.starts_with('-') || word.contains('=') {
                continue;
            }
            if LAUNCHERS.contains(&name.as_str()) {
                continue;
            }
            return SHELLS.contains(&name.as_str()) || SHELL_STARTERS.contains(&name.as_str());
        }
        false
    })
}

/// A Session document's `sessionType`: the JSON key, or the top-level YAML line.
fn session_type(content: &serde_json::Value) -> Option<String> {
    if let Some(doc) = policy_document(content) {
        return doc.get("sessionType").and_then(|t| t.as_str()).map(|t| t.trim().to_owned());
    }
    let text = content.as_str()?;
    let base = base_indent(text);
    text.lines().find_map(|line| {
        let (key, rest) = yaml_entry(at_top(line, base)?)?;
        (key == "sessionType").then(|| unquoted(without_comment(rest)).to_owned())
    })
}

/// A YAML mapping line's key, without the quotes or spaces YAML allows around it
/// (`"inputs" :`), and what follows its colon (from a review: a quoted key was
/// not read as the setting).
fn yaml_entry(line: &str) -> Option<(&str, &str)> {
    let (key, rest) = line.split_once(':')?;
    Some((unquoted(key), rest))
}

/// `text` without the white space and one kind of quotes around it.
fn unquoted(text: &str) -> &str {
    text.trim().trim_matches(|c| c == '\'' || c == '"').trim()
}

/// The indentation of a YAML document's top-level keys: that of its first line
/// that holds one. Written whole in a heredoc, a document may have every line
/// indented (from a review: `  inputs:` was not read as the top-level key).
fn base_indent(text: &str) -> usize {
    text.lines()
        .find(|l| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#') && t != "---"
        })
        .map_or(0, |l| l.len() - l.trim_start_matches([' ', '\t']).len())
}

/// `line` without its indentation when it is a top-level line (indented by
/// exactly `base`).
fn at_top(line: &str, base: usize) -> Option<&str> {
    let rest = line.get(base..)?;
    let indent = &line[..base];
    (indent.bytes().all(|b| b == b' ' || b == b'\t') && !rest.starts_with([' ', '\t'])).then_some(rest)
}

/// Whether preferences content names neither logging destination; `None` when
/// the content cannot be read. JSON is parsed; other text is read as the flat YAML
/// the console and CLI write (`  s3BucketName: ''`), key by key.
fn destinations_empty(content: &serde_json::Value) -> Option<bool> {
    const KEYS: [&str; 2] = ["s3BucketName", "cloudWatchLogGroupName"];
    if let Some(doc) = policy_document(content) {
        let Some(inputs) = doc.get("inputs").filter(|i| !i.is_null()) else {
            return Some(true);
        };
        let empty = |key: &str| {
            inputs
                .get(key)
                .is_none_or(|v| v.is_null() || v.as_str().is_some_and(|s| s.trim().is_empty()))
        };
        return Some(KEYS.iter().all(|k| empty(k)));
    }
    let text = content.as_str()?;
    let base = base_indent(text);
    // The lines of the top-level `inputs:` block: indented deeper than it, up to the
    // next line that is not (a key of the same name elsewhere is not the setting).
    let mut lines = text
        .lines()
        .skip_while(|l| at_top(l, base).and_then(yaml_entry).is_none_or(|(k, _)| k != "inputs"));
    match lines.next() {
        // No `inputs`: no destination, when the text is a preferences document
        // at all; text in which no top-level key of one is seen is not judged.
        None => {
            let known = ["schemaVersion", "sessionType", "description"];
            let judged = text
                .lines()
                .filter_map(|l| at_top(l, base).and_then(yaml_entry))
                .any(|(k, _)| known.contains(&k));
            return judged.then_some(true);
        }
        // A comment after the key is not a value; an empty mapping or a null is
        // no destination (from an evasion review); anything else is flow style,
        // not read.
        Some(line) => match at_top(line, base).and_then(yaml_entry).map(|(_, rest)| scalar(rest, text)) {
            Some(v) if v.is_empty() => {}
            Some(v) if v == "{}" || yaml_null(&v) => return Some(true),
            _ => return None,
        },
    }
    let block: Vec<&str> = lines
        .take_while(|l| {
            l.trim().is_empty()
                || (l.len() > base
                    && l.bytes().take(base + 1).all(|b| b == b' ' || b == b'\t'))
        })
        .collect();
    let value_of = |key: &str| {
        block.iter().find_map(|line| {
            let (k, rest) = yaml_entry(line)?;
            (k == key).then(|| scalar(rest, text))
        })
    };
    Some(KEYS.iter().all(|k| value_of(k).is_none_or(|v| v.is_empty() || yaml_null(&v))))
}

/// YAML's null: `~`, or `null` in any of its spellings (`Null`, `NULL`).
fn yaml_null(v: &str) -> bool {
    v == "~" || v.eq_ignore_ascii_case("null")
}

/// What a YAML entry's value says, read as the flat YAML written by hand: without a
/// trailing comment, its node properties (a tag such as `!!str`, an anchor
/// `&name`) or the quotes around it; an alias (`*name`) is the value anchored
/// under that name in `text`; a `!!null` tag is null (`~`). From an evasion
/// review: `!!str ''`, `!!null` and anchors hid empty destinations.
fn scalar(rest: &str, text: &str) -> String {
    fn properties(mut v: &str) -> (bool, &str) {
        let mut null = false;
        // At most a tag and an anchor, in either order.
        for _ in 0..2 {
            let Some(first) = v.chars().next().filter(|c| *c == '!' || *c == '&') else {
                break;
            };
            let (word, after) = v.split_once([' ', '\t']).unwrap_or((v, ""));
            null |= first == '!' && word.eq_ignore_ascii_case("!!null");
            v = after.trim_start();
        }
        (null, v)
    }
    let (mut null, mut value) = properties(without_comment(rest).trim());
    if let Some(name) = value.strip_prefix('*').map(str::trim).filter(|n| !n.is_empty()) {
        let anchor = format!("&{name}");
        let anchored = text.lines().find_map(|l| {
            let (_, after) = l.split_once(anchor.as_str())?;
            // The whole name: `&b` is not `&bucket`.
            (after.is_empty() || after.starts_with([' ', '\t'])).then_some(after)
        });
        match anchored {
            Some(after) => (null, value) = properties(without_comment(after).trim()),
            None => return String::new(),
        }
    }
    if null {
        return "~".to_owned();
    }
    unquoted(value).to_owned()
}

/// A YAML line without a trailing comment (` #` and what follows) or trailing
/// white space.
fn without_comment(line: &str) -> &str {
    line.split(" #").next().unwrap_or(line).trim_end()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::fires;

    fn update(bucket: &str, group: &str) -> String {
        let content = format!(
            r#"{{"schemaVersion":"1.0","description":"Session Manager preferences","sessionType":"Standard_Stream",
            "inputs":{{"s3BucketName":"{bucket}","s3KeyPrefix":"","s3EncryptionEnabled":true,"cloudWatchLogGroupName":"{group}",
            "cloudWatchEncryptionEnabled":true,"cloudWatchStreamingEnabled":true,"idleSessionTimeout":"20","kmsKeyId":"","runAsEnabled":false}}}}"#
        );
        format!(
            r#"{{"name":"{PREFERENCES}","documentVersion":"$LATEST","content":{}}}"#,
            serde_json::to_string(&content).unwrap()
        )
    }

    /// From an evasion review: a custom shell document without logging.
    #[test]
    fn a_custom_shell_session_document_without_logging_fires() {
        let custom = |call: &str, kind: &str, bucket: &str| {
            let params = update(bucket, "")
                .replace(PREFERENCES, "Ops-Shell")
                .replace(r#"\"sessionType\":\"Standard_Stream\""#, &format!(r#"\"sessionType\":\"{kind}\""#))
                .replace(r#""documentVersion":"$LATEST","#, r#""documentType":"Session","#);
            record(SSM, call, ROLE, &params, "")
        };
        assert!(custom("CreateDocument", "Port", "").contains("Ops-Shell"));
        assert!(custom("CreateDocument", "Port", "").contains(r#"\"sessionType\":\"Port\""#));
        assert!(fires(&SsmSessionLoggingDisabled, &custom("CreateDocument", "Standard_Stream", "")));
        // UpdateDocument names no type (a review of this change).
        let update_doc = custom("UpdateDocument", "Standard_Stream", "").replace(r#""documentType":"Session","#, "");
        assert!(!update_doc.contains("documentType"));
        assert!(fires(&SsmSessionLoggingDisabled, &update_doc));
        assert!(!fires(&SsmSessionLoggingDisabled, &custom("CreateDocument", "InteractiveCommands", "")));
        // An interactive command that is a shell (a review of this change).
        let interactive = |command: &str| {
            let content = format!(
                r#"{{"schemaVersion":"1.0","sessionType":"InteractiveCommands","properties":{{"linux":{{"commands":"{command}","runAsElevated":false}}}}}}"#
            );
            let params = format!(
                r#"{{"name":"Ops-Cmd","documentType":"Session","content":{}}}"#,
                serde_json::to_string(&content).unwrap()
            );
            record(SSM, "CreateDocument", ROLE, &params, "")
        };
        assert!(fires(&SsmSessionLoggingDisabled, &interactive("bash")));
        assert!(fires(&SsmSessionLoggingDisabled, &interactive("/usr/bin/sudo -i")));
        // From a second evasion review: a shell started through a launcher.
        for launched in [
            "/usr/bin/env bash",
            "exec bash -l",
            "busybox sh",
            "script -q /dev/null /bin/zsh",
            "python3 -c 'import pty;pty.spawn(/bin/true)'",
        ] {
            assert!(fires(&SsmSessionLoggingDisabled, &interactive(launched)), "{launched}");
        }
        assert!(!fires(&SsmSessionLoggingDisabled, &interactive("tail -f /var/log/nginx/access.log")));
        assert!(!fires(&SsmSessionLoggingDisabled, &interactive("/opt/app/healthcheck.sh --verbose")));
        // A review of that change: shells started without being named, other
        // shells, and shells only named as an argument.
        for started in ["script -q /dev/null", "tmux", "busybox ash", "/usr/bin/fish", "chroot /host", "uptime; csh"] {
            assert!(fires(&SsmSessionLoggingDisabled, &interactive(started)), "{started}");
        }
        for named in ["ls -l /bin/sh", "Get-Process -Name cmd", "cat /etc/shells | grep bash"] {
            assert!(!fires(&SsmSessionLoggingDisabled, &interactive(named)), "{named}");
        }
        assert!(!fires(&SsmSessionLoggingDisabled, &interactive("sudo systemctl restart nginx").replace("sudo systemctl", "systemctl")));
        assert!(!fires(&SsmSessionLoggingDisabled, &custom("CreateDocument", "Standard_Stream", "session-logs-bucket")));
        assert!(!fires(&SsmSessionLoggingDisabled, &custom("CreateDocument", "Port", "")));
        let command_doc = custom("CreateDocument", "Standard_Stream", "").replace(r#""documentType":"Session""#, r#""documentType":"Command""#);
        assert!(!fires(&SsmSessionLoggingDisabled, &command_doc));
        let yaml = r#"{"name":"Ops-Shell","documentType":"Session","documentFormat":"YAML","content":"schemaVersion: '1.0'\nsessionType: Standard_Stream\ninputs:\n  s3BucketName: ''\n  cloudWatchLogGroupName: ''\n"}"#;
        assert!(fires(&SsmSessionLoggingDisabled, &record(SSM, "CreateDocument", ROLE, yaml, "")));
        // Creating the preferences document itself is not watched (nothing was logged before).
        assert!(!fires(&SsmSessionLoggingDisabled, &record(SSM, "CreateDocument", ROLE, &update("", ""), "")));
    }

    /// From a review: a document written whole in a heredoc has every line
    /// indented; text that is no preferences document is not judged.
    #[test]
    fn an_indented_yaml_document_is_read_by_its_own_top_level() {
        let yaml = |content: &str| {
            let params = format!(
                r#"{{"name":"{PREFERENCES}","documentFormat":"YAML","content":{}}}"#,
                serde_json::to_string(content).unwrap()
            );
            record(SSM, "UpdateDocument", ROLE, &params, "")
        };
        let kept = "  schemaVersion: '1.0'\n  sessionType: Standard_Stream\n  inputs:\n    s3BucketName: 'example'\n    cloudWatchLogGroupName: ''\n";
        assert!(!fires(&SsmSessionLoggingDisabled, &yaml(kept)));
        assert!(fires(&SsmSessionLoggingDisabled, &yaml(&kept.replace("'example'", "''"))));
        // A key of the same name deeper down is not the top-level one.
        let nested = "  schemaVersion: '1.0'\n  sessionType: Standard_Stream\n  parameters:\n    inputs:\n      s3BucketName: 'decoy'\n";
        assert!(fires(&SsmSessionLoggingDisabled, &yaml(nested)));
        assert!(!fires(&SsmSessionLoggingDisabled, &yaml("HIDDEN_DUE_TO_SECURITY_REASONS")));
        // Keys in quotes, or with a space before the colon, are the same keys.
        let quoted = "\"schemaVersion\": \"1.0\"\n\"sessionType\" : \"Standard_Stream\"\n\"inputs\":\n  \"s3BucketName\": \"\"\n";
        assert!(fires(&SsmSessionLoggingDisabled, &yaml(quoted)));
        assert!(!fires(&SsmSessionLoggingDisabled, &yaml(&quoted.replace("\"s3BucketName\": \"\"", "'s3BucketName' : 'logs'"))));
    }

    /// From an evasion review: YAML's tags, anchors and aliases, and an empty
    /// flow mapping, hid empty destinations from the flat reader.
    #[test]
    fn yaml_tags_anchors_and_empty_mappings_are_read() {
        let yaml = |body: &str| {
            let params = format!(
                r#"{{"name":"{PREFERENCES}","documentFormat":"YAML","content":{}}}"#,
                serde_json::to_string(&format!("schemaVersion: '1.0'\nsessionType: Standard_Stream\n{body}")).unwrap()
            );
            record(SSM, "UpdateDocument", ROLE, &params, "")
        };
        for body in [
            "inputs:\n  s3BucketName: !!str ''\n  cloudWatchLogGroupName: !!str ''\n",
            "inputs:\n  s3BucketName: !!null\n  cloudWatchLogGroupName: !!null 'x'\n",
            "inputs:\n  s3BucketName: &b ''\n  cloudWatchLogGroupName: *b\n",
            "inputs:\n  s3BucketName: !!str &b ''  # none\n  cloudWatchLogGroupName: *b\n",
            "inputs: {}\n",
            "inputs: ~\n",
            "inputs:\n  s3BucketName: *nowhere\n",
        ] {
            assert!(fires(&SsmSessionLoggingDisabled, &yaml(body)), "{body}");
        }
        for body in [
            "inputs:\n  s3BucketName: !!str session-logs\n",
            "inputs:\n  s3BucketName: &bucket session-logs\n  cloudWatchLogGroupName: *bucket\n",
            "inputs:\n  s3BucketName: &b ''\n  cloudWatchLogGroupName: &bb /ssm/sessions\n",
            "inputs: {s3BucketName: session-logs}\n",
        ] {
            assert!(!fires(&SsmSessionLoggingDisabled, &yaml(body)), "{body}");
        }
    }

    #[test]
    fn preferences_left_without_a_destination_fire() {
        assert!(fires(&SsmSessionLoggingDisabled, &record(SSM, "UpdateDocument", ROLE, &update("", ""), "")));
        assert!(fires(&SsmSessionLoggingDisabled, &record(SSM, "UpdateDocument", ROLE, &update(" ", ""), "")));
        // No inputs at all: no destination either.
        let bare = serde_json::to_string(r#"{"schemaVersion":"1.0","sessionType":"Standard_Stream"}"#).unwrap();
        let no_inputs = format!(r#"{{"name":"{PREFERENCES}","content":{bare}}}"#);
        assert!(fires(&SsmSessionLoggingDisabled, &record(SSM, "UpdateDocument", ROLE, &no_inputs, "")));
        let deleted = format!(r#"{{"name":"{PREFERENCES}"}}"#);
        assert!(fires(&SsmSessionLoggingDisabled, &record(SSM, "DeleteDocument", ROLE, &deleted, "")));
    }

    #[test]
    fn a_destination_kept_other_documents_yaml_services_and_failures_do_not() {
        assert!(!fires(&SsmSessionLoggingDisabled, &record(SSM, "UpdateDocument", ROLE, &update("session-logs", ""), "")));
        assert!(!fires(&SsmSessionLoggingDisabled, &record(SSM, "UpdateDocument", ROLE, &update("", "/ssm/sessions"), "")));
        // Another shell document keeping a destination (one without is
        // `a_custom_shell_session_document_without_logging_fires`).
        let other = update("", "/ssm/custom").replace(PREFERENCES, "Custom-RunShell");
        assert!(!fires(&SsmSessionLoggingDisabled, &record(SSM, "UpdateDocument", ROLE, &other, "")));
        let decoy = format!(
            r#"{{"name":"{PREFERENCES}","content":{},"documentFormat":"YAML"}}"#,
            serde_json::to_string("description: |\n  s3BucketName: decoy\nsessionType: Standard_Stream\ninputs:\n  s3BucketName: ''\n  cloudWatchLogGroupName: ''\n").unwrap()
        );
        assert!(fires(&SsmSessionLoggingDisabled, &record(SSM, "UpdateDocument", ROLE, &decoy, "")));
        let flow = format!(
            r#"{{"name":"{PREFERENCES}","content":{},"documentFormat":"YAML"}}"#,
            serde_json::to_string("sessionType: Standard_Stream\ninputs: {s3BucketName: session-logs}\n").unwrap()
        );
        assert!(!fires(&SsmSessionLoggingDisabled, &record(SSM, "UpdateDocument", ROLE, &flow, "")));
        let yaml = |bucket: &str| {
            let content = format!("schemaVersion: '1.0'\nsessionType: Standard_Stream\ninputs:\n  s3BucketName: {bucket} # where\n  cloudWatchLogGroupName: ''\n");
            format!(r#"{{"name":"{PREFERENCES}","content":{},"documentFormat":"YAML"}}"#, serde_json::to_string(&content).unwrap())
        };
        assert!(!fires(&SsmSessionLoggingDisabled, &record(SSM, "UpdateDocument", ROLE, &yaml("session-logs"), "")));
        assert!(!fires(&SsmSessionLoggingDisabled, &record(SSM, "UpdateDocument", ROLE, &yaml("\"session-logs\""), "")));
        assert!(fires(&SsmSessionLoggingDisabled, &record(SSM, "UpdateDocument", ROLE, &yaml("''"), "")));
        assert!(fires(&SsmSessionLoggingDisabled, &record(SSM, "UpdateDocument", ROLE, &yaml(""), "")));
        assert!(fires(&SsmSessionLoggingDisabled, &record(SSM, "UpdateDocument", ROLE, &yaml("NULL"), "")));
        assert!(fires(&SsmSessionLoggingDisabled, &record(SSM, "UpdateDocument", ROLE, &yaml("Null"), "")));
        // A comment after `inputs:` does not hide the block.
        let commented = yaml("''").replace(r"inputs:\n", r"inputs:   # session settings\n");
        assert!(commented.contains("# session settings"));
        assert!(fires(&SsmSessionLoggingDisabled, &record(SSM, "UpdateDocument", ROLE, &commented, "")));
        assert!(!fires(&SsmSessionLoggingDisabled, &record(SSM, "UpdateDocument", ROLE, &format!(r#"{{"name":"{PREFERENCES}"}}"#), "")));
        assert!(!fires(&SsmSessionLoggingDisabled, &record(SSM, "UpdateDocument", SERVICE, &update("", ""), "")));
        assert!(!fires(&SsmSessionLoggingDisabled, &failed(SSM, "UpdateDocument", ROLE, &update("", ""), "AccessDeniedException")));
        assert!(!fires(&SsmSessionLoggingDisabled, &record(SSM, "CreateDocument", ROLE, &update("", ""), "")));
    }
}
