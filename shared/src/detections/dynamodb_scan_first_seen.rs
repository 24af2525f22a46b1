//! The first successful DynamoDB `Scan` of a caller on a table in ten days (a data
//! event), or the first PartiQL `SELECT` (`ExecuteStatement`, whose `statement`
//! CloudTrail keeps with non-key values redacted): a `SELECT` without a condition on
//! the key reads the whole table like a scan, and the key schema is not in the
//! event, so every `SELECT` counts (an application using PartiQL is new once per
//! table in ten days). The table is the statement's `FROM` name (quoted or bare,
//! less an index after a dot).
//!
//! Decisions: Elastic keys the history on account and user; we add the table, so a
//! caller that always scans one table but suddenly reads another is also seen. The
//! term is `<account>|<caller>|<table>`. Calls by AWS services are skipped.
//! DynamoDB takes the table's name or its ARN: a table of the record's own account
//! is named the same either way, another account's table by its ARN.
//!
//! The caller in the term is the role of an assumed-role session, not the session
//! (`common::account_principal_term`): the CLI and SDKs name a new session on every
//! assume, and ECS tasks after the task, so a session term would be new each run.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, WindowSpec};
use crate::detections::common::{account_principal_term, aws_service_caller, succeeded_call};
use crate::event::Record;

pub struct DynamoDbScanFirstSeen;

pub static META: Meta = Meta {
    id: "dynamodb-scan-first-seen",
    title: "AWS DynamoDB Scan by a New Caller",
    description: "A caller scanned a DynamoDB table it had not scanned in ten days. A scan reads \
                  every item of a table; applications use queries on keys, so a new scanner may \
                  be someone copying the table.",
    severity: Severity::Low,
    attack: &["T1530"],
    origins: &["Elastic detection-rules exfiltration_dynamodb_scan_by_unusual_user.toml"],
    group: "data-exposure",
    false_positives: &[
        "New reporting jobs, migrations and administrators exploring a table.",
    ],
    next_steps: "Check whether the caller has a reason to read the whole table, how many scans \
                 followed, and where the data could have gone.",
    evidence: "table",
    triggers: &[Trigger::data("dynamodb.amazonaws.com", &["Scan", "ExecuteStatement"])],
    window: Some(WindowSpec::FirstSeen { days: 10 }),
};

impl Detection for DynamoDbScanFirstSeen {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, "dynamodb.amazonaws.com", &["Scan", "ExecuteStatement"])
            || aws_service_caller(rec)
        {
            return None;
        }
        let table = if rec.event_name() == "ExecuteStatement" {
            select_table(rec.request_param_str("statement")?)?
        } else {
            rec.request_param_str("tableName").unwrap_or("unknown")
        };
        Some(Signal::FirstSeen {
            term: format!("{}|{}", account_principal_term(rec), table_key(rec, table)),
            evidence: Evidence::new().with("table", table),
        })
    }
}

/// The table a PartiQL `SELECT` reads (`SELECT ... FROM "orders"."by-date" ...`:
/// `orders`); `None` for any other statement. A `FROM` without a name gives
/// `unknown`.
fn select_table(statement: &str) -> Option<&str> {
    let s = statement.trim_start();
    if !s.get(..6).is_some_and(|w| w.eq_ignore_ascii_case("select")) {
        return None;
    }
    let Some(rest) = after_from(s) else {
        return Some("unknown");
    };
    let name = match rest.strip_prefix('"') {
        Some(quoted) => quoted.split('"').next().unwrap_or_default(),
        None => rest
            .split(|c: char| c.is_whitespace() || c == '.' || c == ';')
            .next()
            .unwrap_or_default(),
    };
    Some(if name.is_empty() { "unknown" } else { name })
}

/// The text after the first `FROM` keyword, white space skipped: outside quoted
/// names, not part of a longer word, followed by white space or a quoted name
/// (`FROM"orders"` reads the table as well as `FROM "orders"`).
fn after_from(statement: &str) -> Option<&str> {
    let bytes = statement.as_bytes();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut quoted = false;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'"' {
            quoted = !quoted;
            continue;
        }
        if quoted
            || !bytes.get(i..i + 4).is_some_and(|w| w.eq_ignore_ascii_case(b"from"))
            || i.checked_sub(1).is_some_and(|p| word(bytes[p]))
        {
            continue;
        }
        match bytes.get(i + 4) {
            Some(&next) if next.is_ascii_whitespace() || next == b'"' => {
                let rest = statement[i + 4..].trim_start();
                return (!rest.is_empty()).then_some(rest);
            }
            _ => {}
        }
    }
    None
}

/// The table as the history knows it: its name for a table of the record's
/// account, whether the call named it or gave its ARN
/// (`arn:PARTITION:dynamodb:REGION:ACCOUNT:table/NAME`); another account's table by
/// its ARN, cut after the name.
fn table_key<'r>(rec: &Record<'_>, table: &'r str) -> &'r str {
    let Some(arn_name) = table
        .strip_prefix("arn:")
        .and_then(|rest| rest.split_once(":table/"))
    else {
        return table;
    };
    let (head, after) = arn_name;
    let name = after.split('/').next().unwrap_or(after);
    let account = head.rsplit(':').next().unwrap_or("");
    if rec.account_id() == Some(account) {
        name
    } else {
        let end = table.len() - after.len() + name.len();
        &table[..end]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, USER, failed, record};
    use crate::detections::common::testing::eval;

    #[test]
    fn the_term_is_account_caller_and_table() {
        match eval(&DynamoDbScanFirstSeen, &record("dynamodb.amazonaws.com", "Scan", USER, r#"{"tableName":"customers"}"#, "")) {
            Some(Signal::FirstSeen { term, .. }) => {
                assert_eq!(term, "111122223333|arn:aws:iam::111122223333:user/mallory|customers")
            }
            other => panic!("expected a term, got {other:?}"),
        }
        match eval(&DynamoDbScanFirstSeen, &record("dynamodb.amazonaws.com", "Scan", ROLE, "null", "")) {
            Some(Signal::FirstSeen { term, .. }) => assert!(term.ends_with("|unknown")),
            other => panic!("expected a term, got {other:?}"),
        }
    }

    #[test]
    fn a_table_named_by_its_arn_is_the_same_table() {
        let term = |table: &str| match eval(
            &DynamoDbScanFirstSeen,
            &record("dynamodb.amazonaws.com", "Scan", USER, &format!(r#"{{"tableName":"{table}"}}"#), ""),
        ) {
            Some(Signal::FirstSeen { term, .. }) => term,
            other => panic!("expected a term, got {other:?}"),
        };
        let by_name = term("customers");
        assert_eq!(term("arn:aws:dynamodb:us-east-1:111122223333:table/customers"), by_name);
        // An index or stream ARN still names its table.
        assert_eq!(term("arn:aws:dynamodb:eu-west-1:111122223333:table/customers/index/by-email"), by_name);
        let foreign = term("arn:aws:dynamodb:us-east-1:444455556666:table/customers/stream/2026");
        assert!(
            foreign.ends_with("|arn:aws:dynamodb:us-east-1:444455556666:table/customers"),
            "{foreign}"
        );
        // Anything else is kept as sent.
        assert!(term("arn:aws:dynamodb:us-east-1:111122223333:global-table/x").ends_with("|arn:aws:dynamodb:us-east-1:111122223333:global-table/x"));
    }

    #[test]
    fn skips_failures_services_and_other_reads() {
        assert_eq!(eval(&DynamoDbScanFirstSeen, &failed("dynamodb.amazonaws.com", "Scan", ROLE, r#"{"tableName":"t"}"#, "AccessDeniedException")), None);
        assert_eq!(eval(&DynamoDbScanFirstSeen, &record("dynamodb.amazonaws.com", "Scan", SERVICE, r#"{"tableName":"t"}"#, "")), None);
        assert_eq!(eval(&DynamoDbScanFirstSeen, &record("dynamodb.amazonaws.com", "Query", ROLE, r#"{"tableName":"t"}"#, "")), None);
    }

    /// From a review: a PartiQL `SELECT` reads a table as a scan does.
    #[test]
    fn a_partiql_select_is_a_scan_of_its_table() {
        let term = |statement: &str| {
            let params = serde_json::json!({ "statement": statement }).to_string();
            match eval(&DynamoDbScanFirstSeen, &record("dynamodb.amazonaws.com", "ExecuteStatement", USER, &params, "")) {
                Some(Signal::FirstSeen { term, .. }) => Some(term),
                None => None,
                other => panic!("unexpected {other:?}"),
            }
        };
        let scan = match eval(&DynamoDbScanFirstSeen, &record("dynamodb.amazonaws.com", "Scan", USER, r#"{"tableName":"customers"}"#, "")) {
            Some(Signal::FirstSeen { term, .. }) => term,
            other => panic!("expected a term, got {other:?}"),
        };
        for select in [
            r#"SELECT * FROM "customers""#,
            "select email from customers where tier = ?",
            r#"  SELECT * FROM "customers"."by-email" WHERE "email" = '***'"#,
            "SELECT *\nFROM customers",
            "SELECT *\tFROM\tcustomers",
            r#"SELECT * FROM"customers""#,
            r#"SELECT "from", "from_date" FROM customers"#,
            r#"SELECT fromage FROM "customers""#,
        ] {
            assert_eq!(term(select).as_deref(), Some(scan.as_str()), "{select}");
        }
        for other in [r#"UPDATE "customers" SET "tier"=? WHERE "id"='7'"#, r#"INSERT INTO "customers" VALUE {'id': ?}"#, "DELETE FROM customers WHERE id = '7'"] {
            assert_eq!(term(other), None, "{other}");
        }
        assert!(term("SELECT 1").is_some_and(|t| t.ends_with("|unknown")));
        assert_eq!(eval(&DynamoDbScanFirstSeen, &record("dynamodb.amazonaws.com", "ExecuteStatement", USER, "null", "")), None);
    }
}
