//! A customer-managed prefix list given entries that cover the whole internet
//! (`CreateManagedPrefixList` with such entries, `ModifyManagedPrefixList`
//! adding them), successfully.
//!
//! Decisions: from an evasion review. A security group rule may name a prefix
//! list as its source instead of a CIDR, and the rule's record then shows only
//! the list's id: a list holding `0.0.0.0/0` opens every group that names it,
//! past `ec2-security-group-open-to-internet`, and so does a list a group
//! already names when it is edited. So the list itself is judged, with the
//! security group detection's test of what counts as the internet
//! (`common::cidrs_open_to_internet`: `/0`, or ranges covering a sixteenth of
//! their family's space). Only added entries count (`RemoveEntry` narrows).
//! EC2 logs these calls wrapped in `CreateManagedPrefixListRequest` or
//! `ModifyManagedPrefixListRequest` with PascalCase keys, one entry as an
//! object and several as a list; both casings and the SDK's member names
//! (`Entries`, `AddEntries`) are read. Calls AWS services make on their own are
//! left out; a stack's count.

use serde_json::Value;

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    aws_service_caller_but_stack, call_context, cidrs_open_to_internet, one_or_many,
    succeeded_call, values_at_key,
};
use crate::event::Record;

pub struct Ec2PrefixListOpenToInternet;

const EC2: &str = "ec2.amazonaws.com";
const NAMES: &[&str] = &["CreateManagedPrefixList", "ModifyManagedPrefixList"];

/// Where a request lists the entries it adds.
const ADDED: &[&str] = &["Entry", "Entries", "AddEntry", "AddEntries"];

pub static META: Meta = Meta {
    id: "ec2-prefix-list-open-to-internet",
    title: "AWS EC2 Managed Prefix List Opened to the Internet",
    description: "A managed prefix list now holds the whole internet (0.0.0.0/0 or ::/0, or \
                  ranges that add up to it). Every security group rule that names the list \
                  as its source accepts connections from anywhere, while the rule's own record \
                  shows only the list's id: a quiet way to open ports.",
    severity: Severity::Medium,
    attack: &["T1562.007", "T1133"],
    origins: &[
        "trailwatch: from an evasion review (a security group opened through a prefix list \
         instead of a CIDR)",
    ],
    group: "compute-network",
    false_positives: &[
        "A team that keeps an \"anywhere\" prefix list for public load balancers on purpose.",
    ],
    next_steps: "Find the security groups and route tables that reference the list \
                 (`get-managed-prefix-list-associations`). Unless they are meant to be public, \
                 remove the entry, then look at the instances' logs for connections that came \
                 in while it was there.",
    evidence: "open_cidrs prefix_list region source_ip user_agent",
    triggers: &[Trigger::write(EC2, NAMES)],
    window: None,
};

/// The CIDR texts of the entries a request adds, in either casing and form.
fn added_cidrs(request: &Value) -> Vec<&str> {
    ADDED
        .iter()
        .flat_map(|key| values_at_key(request, key))
        .flat_map(|entries| one_or_many(Some(entries)))
        .flat_map(|entry| values_at_key(entry, "Cidr"))
        .filter_map(Value::as_str)
        .collect()
}

impl Detection for Ec2PrefixListOpenToInternet {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        if !succeeded_call(rec, EC2, NAMES) || aws_service_caller_but_stack(rec) {
            return None;
        }
        let request = rec.request_parameters()?;
        let cidrs = added_cidrs(request);
        let open = cidrs_open_to_internet(&cidrs);
        if open.is_empty() {
            return None;
        }
        let list = values_at_key(request, "PrefixListId")
            .into_iter()
            .chain(values_at_key(request, "PrefixListName"))
            .find_map(Value::as_str);
        fire(
            call_context(rec)
                .with_opt("prefix_list", list)
                .with("open_cidrs", open.join(", ")),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::compute_testing::{DENIED, IAM_USER, ROLE, SERVICE, record};
    use crate::detections::common::testing::{fired_evidence, fires};

    fn create(entries: &str) -> String {
        record(
            EC2,
            NAMES[0],
            ROLE,
            &format!(
                r#"{{"CreateManagedPrefixListRequest":{{"PrefixListName":"office","AddressFamily":"IPv4","MaxEntries":5,"Entry":{entries}}}}}"#
            ),
            "",
        )
    }

    fn modify(add: &str, remove: &str) -> String {
        record(
            EC2,
            NAMES[1],
            IAM_USER,
            &format!(
                r#"{{"ModifyManagedPrefixListRequest":{{"PrefixListId":"pl-0a1b2c3d4e5f60718","CurrentVersion":3{add}{remove}}}}}"#
            ),
            "",
        )
    }

    #[test]
    fn an_entry_for_the_internet_fires_in_each_form() {
        let one = create(r#"{"Cidr":"0.0.0.0/0","Description":"temp","tag":1}"#);
        let e = fired_evidence(&Ec2PrefixListOpenToInternet, &one);
        assert_eq!(e.get("open_cidrs").and_then(|v| v.as_str()), Some("0.0.0.0/0"));
        assert_eq!(e.get("prefix_list").and_then(|v| v.as_str()), Some("office"));
        // Several entries, two halves adding up to everything.
        let halves = create(
            r#"[{"Cidr":"198.51.100.0/24","tag":1},{"Cidr":"0.0.0.0/1","tag":2},{"Cidr":"128.0.0.0/1","tag":3}]"#,
        );
        assert!(fires(&Ec2PrefixListOpenToInternet, &halves));
        let added = modify(r#","AddEntry":{"Cidr":"::/0","tag":1}"#, "");
        let e = fired_evidence(&Ec2PrefixListOpenToInternet, &added);
        assert_eq!(e.get("prefix_list").and_then(|v| v.as_str()), Some("pl-0a1b2c3d4e5f60718"));
        // The flat lowerCamel form and the SDK's member names.
        let flat = record(
            EC2,
            NAMES[1],
            ROLE,
            r#"{"prefixListId":"pl-0a1b2c3d4e5f60718","addEntries":[{"cidr":"0.0.0.0/0"}]}"#,
            "",
        );
        assert!(fires(&Ec2PrefixListOpenToInternet, &flat));
    }

    #[test]
    fn narrow_entries_removals_failures_and_services_do_not() {
        let office = create(r#"[{"Cidr":"198.51.100.0/24","tag":1},{"Cidr":"10.0.0.0/8","tag":2}]"#);
        assert!(!fires(&Ec2PrefixListOpenToInternet, &office));
        // Taking the internet out narrows the list.
        let removed = modify(
            r#","AddEntry":{"Cidr":"203.0.113.0/24","tag":1}"#,
            r#","RemoveEntry":{"Cidr":"0.0.0.0/0","tag":1}"#,
        );
        assert!(!fires(&Ec2PrefixListOpenToInternet, &removed));
        let open = r#"{"CreateManagedPrefixListRequest":{"Entry":{"Cidr":"0.0.0.0/0","tag":1}}}"#;
        assert!(!fires(&Ec2PrefixListOpenToInternet, &record(EC2, NAMES[0], ROLE, open, DENIED)));
        assert!(!fires(&Ec2PrefixListOpenToInternet, &record(EC2, NAMES[0], SERVICE, open, "")));
        assert!(fires(&Ec2PrefixListOpenToInternet, &record(EC2, NAMES[0], ROLE, open, "")));
    }
}
