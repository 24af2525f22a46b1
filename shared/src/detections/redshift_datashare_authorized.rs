//! A Redshift datashare opened to another account (`AuthorizeDataShare` naming a
//! `consumerIdentifier` that is an account other than the event's own, or AWS Data
//! Exchange, successfully).
//!
//! Decisions: a datashare gives the consumer live, read-only (or, with
//! `allowWrites`, writable) access to the producer's schemas and tables from a
//! cluster or workgroup of its own, with no copy and nothing in the producer's
//! query logs: the live counterpart of `redshift-snapshot-shared`, and a way out for
//! a warehouse that an intruder cannot snapshot. Only the producer's authorisation
//! is watched: the consumer's association happens in the other account. A consumer
//! that is the event's own account changes nothing; `ADX` (a Data Exchange product,
//! for sale to anyone who subscribes) counts as another account; a consumer named
//! by a namespace ARN counts by the ARN's account, and one named
//! `DataCatalog/<account>` (shared through Lake Formation) by that account, so another Region's namespace
//! of the same account is left out, as are authorisations AWS services make on
//! their own.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    aws_service_caller_but_stack, flag_value, foreign_account, foreign_arn_account, succeeded_call,
};
use crate::event::Record;

pub struct RedshiftDatashareAuthorized;

const REDSHIFT: &str = "redshift.amazonaws.com";
const CALLS: &[&str] = &["AuthorizeDataShare"];
/// The consumer identifier of AWS Data Exchange.
const DATA_EXCHANGE: &str = "ADX";
/// The prefix of a Lake Formation consumer (`DataCatalog/<account>`).
const DATA_CATALOG: &str = "DataCatalog/";

pub static META: Meta = Meta {
    id: "redshift-datashare-authorized",
    title: "AWS Redshift Datashare Opened to Another Account",
    description: "A Redshift datashare was authorised for another AWS account or for AWS Data \
                  Exchange. The consumer can query the shared schemas and tables live from a \
                  warehouse of its own, without copying them and without appearing in this \
                  warehouse's query logs.",
    severity: Severity::High,
    attack: &["T1537"],
    origins: &[
        "trailwatch: from an evasion review (Redshift data leaves through datashares as \
         well as snapshots)",
    ],
    group: "backup-exposure",
    false_positives: &[
        "Data sharing with the organisation's analytics or reporting accounts, or a published \
         Data Exchange product: tune by the account.",
    ],
    next_steps: "Identify the consumer account. If it is not the organisation's, deauthorise \
                 the datashare (DeauthorizeDataShare), check what the share exposed and whether \
                 it allowed writes, and revoke the caller's credentials.",
    evidence: "consumer datashare writes_allowed",
    triggers: &[Trigger::write(REDSHIFT, CALLS)],
    window: None,
};

impl Detection for RedshiftDatashareAuthorized {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, REDSHIFT, CALLS) || aws_service_caller_but_stack(rec) {
            return None;
        }
        let consumer = rec.request_param_str("consumerIdentifier")?.trim();
        // Lake Formation's consumers: `DataCatalog/<account>` (from a review).
        let consumer = consumer
            .get(..DATA_CATALOG.len())
            .filter(|p| p.eq_ignore_ascii_case(DATA_CATALOG))
            .and_then(|_| consumer.get(DATA_CATALOG.len()..))
            .unwrap_or(consumer);
        let consumer = if consumer.eq_ignore_ascii_case(DATA_EXCHANGE) {
            DATA_EXCHANGE
        } else if consumer.starts_with("arn:") {
            // A namespace named by ARN: its account.
            foreign_arn_account(rec, consumer)?
        } else {
            foreign_account(rec, consumer)?
        };
        let writes = rec.request_param("allowWrites").and_then(flag_value) == Some(true);
        fire(
            Evidence::new()
                .with_opt("datashare", rec.request_param_str("dataShareArn"))
                .with("consumer", consumer)
                .with("writes_allowed", writes),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::data_testing::{ROLE, SERVICE, failed, record};
    use crate::detections::common::testing::{eval, fires};

    const SHARE: &str = "arn:aws:redshift:us-east-1:111122223333:datashare:5f8e7d6c-4b3a-2910-8f7e-6d5c4b3a2910/sales_share";

    fn authorize(consumer: &str, extra: &str) -> String {
        let params = format!(r#"{{"dataShareArn":"{SHARE}","consumerIdentifier":"{consumer}"{extra}}}"#);
        record(REDSHIFT, "AuthorizeDataShare", ROLE, &params, "")
    }

    #[test]
    fn another_account_or_data_exchange_fires() {
        match eval(&RedshiftDatashareAuthorized, &authorize(" 444455556666 ", r#","allowWrites":true"#)) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("consumer").and_then(|v| v.as_str()), Some("444455556666"));
                assert_eq!(e.get("datashare").and_then(|v| v.as_str()), Some(SHARE));
                assert_eq!(e.get("writes_allowed").and_then(|v| v.as_bool()), Some(true));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        match eval(&RedshiftDatashareAuthorized, &authorize("adx", "")) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("consumer").and_then(|v| v.as_str()), Some(DATA_EXCHANGE));
                assert_eq!(e.get("writes_allowed").and_then(|v| v.as_bool()), Some(false));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn own_account_namespaces_failures_and_services_do_not() {
        assert!(!fires(&RedshiftDatashareAuthorized, &authorize("111122223333", "")));
        // Another Region's namespace of the same account; another account's counts.
        assert!(!fires(&RedshiftDatashareAuthorized, &authorize("arn:aws:redshift-serverless:eu-west-1:111122223333:namespace/7b6a5f4e", "")));
        assert!(fires(&RedshiftDatashareAuthorized, &authorize("arn:aws:redshift-serverless:eu-west-1:444455556666:namespace/7b6a5f4e", "")));
        // Lake Formation: another account's catalog counts, our own does not.
        assert!(fires(&RedshiftDatashareAuthorized, &authorize("DataCatalog/444455556666", "")));
        assert!(fires(&RedshiftDatashareAuthorized, &authorize("datacatalog/444455556666", "")));
        assert!(!fires(&RedshiftDatashareAuthorized, &authorize("DataCatalog/111122223333", "")));
        let params = format!(r#"{{"dataShareArn":"{SHARE}","consumerIdentifier":"444455556666"}}"#);
        assert!(!fires(&RedshiftDatashareAuthorized, &failed(REDSHIFT, "AuthorizeDataShare", ROLE, &params, "UnauthorizedOperation")));
        assert!(!fires(&RedshiftDatashareAuthorized, &record(REDSHIFT, "AuthorizeDataShare", SERVICE, &params, "")));
        assert!(!fires(&RedshiftDatashareAuthorized, &record(REDSHIFT, "AuthorizeSnapshotAccess", ROLE, &params, "")));
    }
}
