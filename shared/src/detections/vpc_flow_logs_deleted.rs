//! VPC flow logs deleted (`DeleteFlowLogs`), successfully.
//!
//! Decisions: stateless. The Stratus technique page suggests dropping deletions that
//! are closely followed by `DeleteVpc` (a whole network torn down); we report those
//! too, at medium severity, and name the case in the false positives, because an
//! intruder can delete the VPC as well. EC2 logs the flow log ids in two shapes: the
//! query-API echo `DeleteFlowLogsRequest.FlowLogId` (one `{content}` object or a list
//! of them) and a plain `flowLogId` list; both are read for the evidence. The call
//! succeeds even when it deletes nothing: ids it could not delete (not found, not
//! allowed) come back in `DeleteFlowLogsResponse.unsuccessful`. A call whose every
//! requested id is listed there deleted nothing and does not fire. Deletions AWS
//! services make on their own are left out, as the other logging detections leave
//! them; a CloudFormation stack's deletion counts, as the person's own.

use serde_json::Value;

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_caller_but_stack, succeeded_call};
use crate::event::Record;

pub struct VpcFlowLogsDeleted;

const SOURCE: &str = "ec2.amazonaws.com";
const NAMES: &[&str] = &["DeleteFlowLogs"];

pub static META: Meta = Meta {
    id: "vpc-flow-logs-deleted",
    title: "AWS VPC Flow Logs Deleted",
    description: "Flow logs of a VPC, subnet or network interface were deleted. Flow logs are \
                  the record of who talked to what on the network; without them, connections \
                  to an attacker's servers and lateral movement inside the VPC leave no trace, \
                  and GuardDuty-style analysis of the traffic has nothing to read.",
    severity: Severity::Medium,
    attack: &["T1562.008", "T1562.001"],
    origins: &[
        "Elastic detection-rules defense_evasion_ec2_flow_log_deletion.toml",
        "SigmaHQ rules/cloud/aws/cloudtrail/aws_cloudtrail_vpc_flow_logs_deleted.yml",
    ],
    group: "monitoring-tamper",
    false_positives: &[
        "A VPC being torn down by infrastructure-as-code: DeleteFlowLogs followed shortly by \
         DeleteVpc from the same caller.",
        "Replacing a flow log with one that has another destination or format.",
    ],
    next_steps: "Check which flow logs were removed and whether new ones replaced them. If not \
                 planned, recreate them, and review the caller's activity and the network \
                 activity of the affected resources from other sources since the deletion.",
    evidence: "flow_log_ids not_deleted",
    triggers: &[Trigger::write(SOURCE, NAMES)],
    window: None,
};

/// Flow log ids from the request, whatever shape EC2 logged it in.
fn flow_log_ids(rec: &Record) -> Vec<Value> {
    let mut ids = Vec::new();
    let mut push = |v: &Value| match v {
        Value::String(s) if !s.is_empty() => ids.push(Value::from(s.as_str())),
        Value::Object(o) => {
            if let Some(Value::String(s)) = o.get("content") {
                ids.push(Value::from(s.as_str()));
            }
        }
        _ => {}
    };
    let nested = rec
        .request_param("DeleteFlowLogsRequest")
        .and_then(|r| r.get("FlowLogId"));
    for v in [nested, rec.request_param("flowLogId"), rec.request_param("FlowLogIds")]
        .into_iter()
        .flatten()
    {
        match v {
            Value::Array(items) => items.iter().for_each(&mut push),
            other => push(other),
        }
    }
    ids
}

/// The ids EC2 reports it did not delete
/// (`DeleteFlowLogsResponse.unsuccessful.item[].resourceId`, one item or a list).
fn unsuccessful_ids<'r>(rec: &'r Record) -> Vec<&'r str> {
    let items = rec
        .response_element("DeleteFlowLogsResponse")
        .and_then(|r| r.get("unsuccessful"))
        .and_then(|u| u.get("item"));
    crate::detections::common::one_or_many(items)
        .into_iter()
        .filter_map(|i| i.get("resourceId").and_then(Value::as_str))
        .collect()
}

impl Detection for VpcFlowLogsDeleted {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, SOURCE, NAMES) || aws_service_caller_but_stack(rec) {
            return None;
        }
        let ids = flow_log_ids(rec);
        // The evidence names what was deleted, and apart what was asked and not
        // deleted (from a responder's review: a failed id was listed as deleted).
        // An id asked for twice and reported failed once (the repeat, not
        // found once deleted) was deleted (from a review): each failure
        // answers one request.
        let mut failed = unsuccessful_ids(rec);
        let (not_deleted, deleted): (Vec<Value>, Vec<Value>) = ids.into_iter().partition(|id| {
            match failed.iter().position(|f| Some(*f) == id.as_str()) {
                Some(at) => {
                    failed.swap_remove(at);
                    true
                }
                None => false,
            }
        });
        let not_deleted: Vec<Value> = not_deleted
            .into_iter()
            .filter(|id| !deleted.contains(id))
            .collect();
        if deleted.is_empty() && !not_deleted.is_empty() {
            return None;
        }
        fire(
            Evidence::new()
                .with_opt("flow_log_ids", (!deleted.is_empty()).then_some(deleted))
                .with_opt("not_deleted", (!not_deleted.is_empty()).then_some(not_deleted)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::{eval, fires};
    use serde_json::json;

    fn delete(params: &str) -> String {
        format!(
            r#"{{"eventSource":"ec2.amazonaws.com","eventName":"DeleteFlowLogs","awsRegion":"eu-west-1",
            "sourceIPAddress":"203.0.113.5","userAgent":"aws-cli/2.15.0",
            "userIdentity":{{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/ops",
              "accountId":"111122223333","userName":"ops"}},
            "requestParameters":{params},"responseElements":null}}"#
        )
    }

    fn ids(json: &str) -> Option<Value> {
        match eval(&VpcFlowLogsDeleted, json) {
            Some(Signal::Fire(e)) => e.get("flow_log_ids").cloned(),
            other => panic!("expected a finding, got {other:?}"),
        }
    }

    #[test]
    fn reads_the_ids_in_each_shape() {
        assert_eq!(
            ids(&delete(r#"{"DeleteFlowLogsRequest":{"FlowLogId":{"content":"fl-0a1","tag":1}}}"#)),
            Some(json!(["fl-0a1"]))
        );
        assert_eq!(
            ids(&delete(
                r#"{"DeleteFlowLogsRequest":{"FlowLogId":[{"content":"fl-1","tag":1},{"content":"fl-2","tag":2}]}}"#
            )),
            Some(json!(["fl-1", "fl-2"]))
        );
        assert_eq!(ids(&delete(r#"{"flowLogId":["fl-9"]}"#)), Some(json!(["fl-9"])));
        // Missing, null or odd parameters still fire, without ids.
        assert_eq!(ids(&delete("null")), None);
        assert_eq!(ids(&delete(r#"{"DeleteFlowLogsRequest":"x"}"#)), None);
    }

    #[test]
    fn a_call_that_deleted_nothing_does_not_fire() {
        let request = r#"{"DeleteFlowLogsRequest":{"FlowLogId":[{"content":"fl-01","tag":1},{"content":"fl-02","tag":2}]}}"#;
        let unsuccessful = |ids: &[&str]| {
            let items: Vec<String> = ids
                .iter()
                .map(|id| format!(r#"{{"resourceId":"{id}","error":{{"code":"InvalidFlowLogId.NotFound","message":"not found"}}}}"#))
                .collect();
            delete(request).replace(
                r#""responseElements":null"#,
                &format!(r#""responseElements":{{"DeleteFlowLogsResponse":{{"requestId":"r1","unsuccessful":{{"item":[{}]}}}}}}"#, items.join(",")),
            )
        };
        assert!(!fires(&VpcFlowLogsDeleted, &unsuccessful(&["fl-01", "fl-02"])));
        // The same id asked for twice, its repeat not found: deleted.
        let twice = delete(r#"{"DeleteFlowLogsRequest":{"FlowLogId":[{"content":"fl-01","tag":1},{"content":"fl-01","tag":2}]}}"#)
            .replace(
                r#""responseElements":null"#,
                r#""responseElements":{"DeleteFlowLogsResponse":{"unsuccessful":{"item":{"resourceId":"fl-01"}}}}"#,
            );
        match eval(&VpcFlowLogsDeleted, &twice) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("flow_log_ids"), Some(&json!(["fl-01"])));
                assert_eq!(e.get("not_deleted"), None);
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        // One of two deleted: the evidence names it, and the other apart.
        match eval(&VpcFlowLogsDeleted, &unsuccessful(&["fl-02"])) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("flow_log_ids"), Some(&json!(["fl-01"])));
                assert_eq!(e.get("not_deleted"), Some(&json!(["fl-02"])));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let one = delete(r#"{"DeleteFlowLogsRequest":{"FlowLogId":{"content":"fl-01","tag":1}}}"#).replace(
            r#""responseElements":null"#,
            r#""responseElements":{"DeleteFlowLogsResponse":{"unsuccessful":{"item":{"resourceId":"fl-01"}}}}"#,
        );
        assert!(!fires(&VpcFlowLogsDeleted, &one));
    }

    #[test]
    fn services_are_left_out_stacks_are_not() {
        let record = delete(r#"{"flowLogId":["fl-9"]}"#);
        let service = record.replace(r#""userIdentity":{"#, r#""userIdentity":{"invokedBy":"fms.amazonaws.com","#);
        assert!(!fires(&VpcFlowLogsDeleted, &service), "{service}");
        let stack = record.replace(r#""userIdentity":{"#, r#""userIdentity":{"invokedBy":"cloudformation.amazonaws.com","#);
        assert!(fires(&VpcFlowLogsDeleted, &stack), "{stack}");
    }

    #[test]
    fn ignores_failures_and_other_calls() {
        let denied = delete(r#"{"flowLogId":["fl-9"]}"#).replace(
            "\"requestParameters\"",
            r#""errorCode":"Client.UnauthorizedOperation","requestParameters""#,
        );
        assert!(!fires(&VpcFlowLogsDeleted, &denied));
        let create = delete("null").replace("DeleteFlowLogs", "CreateFlowLogs");
        assert!(!fires(&VpcFlowLogsDeleted, &create));
        let describe = delete("null").replace("DeleteFlowLogs", "DescribeFlowLogs");
        assert!(!fires(&VpcFlowLogsDeleted, &describe));
    }
}
