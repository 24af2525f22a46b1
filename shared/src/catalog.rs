//! The catalogue: every detection (registered in `detections/mod.rs`) and the
//! Lambda function groups they run in (each detection names its group).

use crate::detection::{Detection, Indexed, Severity};
pub use crate::detections::{ALL, INDEX};

/// A Lambda function's share of the catalogue: one concern, one narrow EventBridge
/// rule, only the permissions it needs. Its detections are those whose metadata
/// names it (`Meta::group`).
#[derive(Debug)]
pub struct FunctionGroup {
    /// Also the function crate's directory under `functions/` and the prefix of its
    /// keys in the state table.
    pub name: &'static str,
    pub description: &'static str,
}

/// Every function group. A new group is a new thin crate under `functions/` and a
/// function in template.yaml (tests/template.rs says what is missing).
pub static GROUPS: &[FunctionGroup] = &[
    FunctionGroup {
        name: "logging-tamper",
        description: "Audit logging tampering: CloudTrail trails, event stores, log buckets and keys, Config and its recorder role, IAM log evasion, security services taken off the organisation, database activity streams, Bedrock invocation logging",
    },
    FunctionGroup {
        name: "identity-abuse",
        description: "Identity and credential abuse: root user activity, policy versions, access keys, RDS passwords, CloudShell, GetSigninToken, Cognito guest access",
    },
    FunctionGroup {
        name: "signin-failures",
        description: "Console sign-in failures, the root user's included, and IAM Identity Center's",
    },
    FunctionGroup {
        name: "correlation",
        description: "Windowed and correlated detections",
    },
    FunctionGroup {
        name: "cli-endpoint",
        description: "AWS CLI calls with an endpoint override (broad aws-cli/ user-agent pattern)",
    },
    // --- New groups: one entry each, at the slot of the group.
    FunctionGroup {
        name: "iam-persistence",
        description: "IAM and STS persistence and privilege escalation: users, roles, policies, login profiles, MFA, identity providers, federation",
    },
    // (slot: iam-persistence)
    FunctionGroup {
        name: "data-exposure",
        description: "Data exposure, exfiltration and destruction: S3 buckets and objects, default encryption, keys, secrets, tables, certificates, queues purged",
    },
    // (slot: data-exposure)
    FunctionGroup {
        name: "compute-network",
        description: "Compute and network changes: EC2, VPC, security groups, Lambda, containers, Systems Manager",
    },
    // (slot: compute-network)
    FunctionGroup {
        name: "security-services",
        description: "Security services switched off or blinded: GuardDuty, Security Hub, Macie, Inspector, Detective, Access Analyzer",
    },
    // (slot: security-services)
    FunctionGroup {
        name: "discovery",
        description: "Reconnaissance and credential probing: read-only discovery, enumeration bursts, unusual tools",
    },
    // (slot: discovery)
    FunctionGroup {
        name: "self-protection",
        description: "Self-protection: changes to trailwatch's own resources (rules, schedule, functions, topic, table, roles)",
    },
    // (slot: self-protection)
    FunctionGroup {
        name: crate::heartbeat::GROUP,
        description: "Pipeline heartbeat: records canaries, reports silent and restored accounts and Regions",
    },
    FunctionGroup {
        name: "ai-ml",
        description: "AI and machine learning services: Bedrock model access, user keys and guardrails, SageMaker notebook start-up scripts",
    },
    FunctionGroup {
        name: "hijacking",
        description: "Resource and account hijacking with stolen credentials: compute across Regions, GPU capacity, opt-in Regions, SES sending, domains registered or taken (auth codes, contacts), root email changed, accounts leaving, removed or closed",
    },
    FunctionGroup {
        name: "web-protection",
        description: "Web protection switched off: WAF web ACLs taken off their resources or emptied, WAF rules and rule groups deleted or emptied",
    },
    FunctionGroup {
        name: "backup-exposure",
        description: "Backups and copies shared, exported or destroyed: snapshots, images, database copies, Redshift datashares and public access, backup vaults, file systems",
    },
    FunctionGroup {
        name: "network-exposure",
        description: "Network bridges and network defences: VPC peering and transit gateway links with other accounts, VPNs, endpoint services opened to everyone, Network Firewall, Firewall Manager and load balancer access logs switched off",
    },
    FunctionGroup {
        name: "monitoring-tamper",
        description: "Monitoring and network logging silenced: CloudWatch alarms, log groups, streams, metric and subscription filters, EventBridge rules, VPC flow logs, DNS query logging and firewall, WAF logging, Session Manager logging",
    },
    FunctionGroup {
        name: "resource-sharing",
        description: "Resources shared out: policies and grants opened to other accounts or everyone (DynamoDB, EFS, OpenSearch, S3 access points, Glacier, Lambda, ECR, KMS, SNS, SQS), RAM shares, logs and events streamed to other accounts",
    },
];

/// A function group by name.
pub fn group(name: &str) -> Option<&'static FunctionGroup> {
    GROUPS.iter().find(|g| g.name == name)
}

/// The detections of a function group, in catalogue order: the ones its function
/// runs (its static in [`functions`]).
pub fn group_detections(group: &FunctionGroup) -> &'static [&'static dyn Detection] {
    function(group.name).map_or(&[], |f| f.detections)
}

/// Looks a detection up by id.
pub fn by_id(id: &str) -> Option<&'static dyn Detection> {
    ALL.iter().copied().find(|d| d.meta().id == id)
}

/// A detection's id and window by id, from the [`INDEX`]: what the functions
/// check names against (their binaries do not carry the other groups' detections).
pub fn indexed(id: &str) -> Option<&'static Indexed> {
    INDEX.iter().find(|d| d.id == id)
}

/// Detections whose findings can be more severe than their catalogue severity
/// (`Detection::severity_for`: about trailwatch's own rules and alarms, a
/// padded policy document, a shared data store, a RAM share of a database or
/// network, a Client VPN endpoint created without its log, Block Public Access
/// switched off for an organisation), and how severe. Kept
/// by id, apart from the detections, because the functions' tuning checks read it
/// for every group's detections; a test replays every sample and holds each
/// finding to [`highest_severity`].
const RAISED: &[(&str, Severity)] = &[
    ("cloudtrail-log-evasion", Severity::High),
    ("cloudwatch-monitoring-silenced", Severity::Critical),
    ("ec2-block-public-access-disabled", Severity::High),
    ("eventbridge-rule-disabled-or-deleted", Severity::Critical),
    ("ram-resource-shared-with-another-account", Severity::High),
    ("resource-policy-external-access", Severity::High),
    ("s3-block-public-access-removed", Severity::High),
    ("vpn-connection-created", Severity::Medium),
];

/// Detections of sign-in attempts (console, IAM Identity Center, root's
/// password recovery) that anyone may make, failed ones among them: the
/// identity such a record names is the user whose name was typed, by anyone,
/// not who typed it. Kept by id, as [`RAISED`] is, for the functions' tuning
/// checks; a test holds each to sign-in triggers alone. (Successful sign-ins'
/// detections, `GetSigninToken`'s and a federated console session's name who
/// signed in.)
const SIGN_IN_ATTEMPTS: &[&str] = &[
    "console-failed-logins-for-user",
    "console-failed-logins-from-ip",
    "console-login-failed-mfa-challenge",
    "console-login-spray-across-accounts",
    "console-login-spray-from-ip",
    "console-mfa-failures-for-user",
    "consolelogin-failed-authentication",
    "credential-access-failed-login",
    "identity-center-sign-in-failures",
    "root-console-brute-force",
    "root-password-recovery-or-change",
];

/// Whether the detection `id` reports sign-in attempts anyone may make (a
/// failed console or portal sign-in, root's password recovery), whose identity
/// is the user whose name was typed.
pub fn reports_sign_in_attempts(id: &str) -> bool {
    SIGN_IN_ATTEMPTS.contains(&id)
}

/// The highest severity a detection's findings can have: what tuning checks
/// judge an entry or a muted detection by.
pub fn highest_severity(d: &Indexed) -> Severity {
    RAISED
        .iter()
        .find(|(id, _)| *id == d.id)
        .map_or(d.severity, |(_, s)| d.severity.max(*s))
}

/// One function's detections, named by its `main` (`functions::LOGGING_TAMPER`
/// and so on): each is filled in by the compiler from the registry, so a
/// function's binary carries the logic and text of its own group's detections
/// only, not the whole catalogue's.
pub struct GroupDetections {
    pub group: &'static FunctionGroup,
    pub detections: &'static [&'static dyn Detection],
}

impl std::fmt::Debug for GroupDetections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupDetections")
            .field("group", &self.group.name)
            .field("detections", &self.detections.len())
            .finish()
    }
}

/// The index in [`GROUPS`] of the group called `name` (compile time).
const fn group_index(name: &str) -> usize {
    let mut i = 0;
    while i < GROUPS.len() {
        if crate::detections::same_text(GROUPS[i].name, name) {
            return i;
        }
        i += 1;
    }
    panic!("no function group of that name");
}

/// Each function group's detections, as a static per group.
pub mod functions {
    use super::{GROUPS, GroupDetections, group_index};
    use crate::detections::{count_in, in_group};

    macro_rules! functions {
        ($($name:ident = $group:literal),* $(,)?) => {
            $(
                pub static $name: GroupDetections = GroupDetections {
                    group: &GROUPS[group_index($group)],
                    detections: &in_group::<{ count_in($group) }>($group),
                };
            )*
            /// Every group's (for tests and tools; a function names its own).
            pub static ALL: &[&GroupDetections] = &[$(&$name),*];
        };
    }

    functions! {
        LOGGING_TAMPER = "logging-tamper",
        IDENTITY_ABUSE = "identity-abuse",
        SIGNIN_FAILURES = "signin-failures",
        CORRELATION = "correlation",
        CLI_ENDPOINT = "cli-endpoint",
        IAM_PERSISTENCE = "iam-persistence",
        DATA_EXPOSURE = "data-exposure",
        COMPUTE_NETWORK = "compute-network",
        SECURITY_SERVICES = "security-services",
        DISCOVERY = "discovery",
        SELF_PROTECTION = "self-protection",
        PIPELINE = "pipeline",
        AI_ML = "ai-ml",
        HIJACKING = "hijacking",
        WEB_PROTECTION = "web-protection",
        BACKUP_EXPOSURE = "backup-exposure",
        NETWORK_EXPOSURE = "network-exposure",
        MONITORING_TAMPER = "monitoring-tamper",
        RESOURCE_SHARING = "resource-sharing",
    }
}

/// A function group's detections by the group's name (tests and tools).
pub fn function(name: &str) -> Option<&'static GroupDetections> {
    functions::ALL
        .iter()
        .copied()
        .find(|f| f.group.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detection::{Trigger, WindowSpec};

    /// Every detection of [`SIGN_IN_ATTEMPTS`] is triggered by sign-ins alone.
    #[test]
    fn the_sign_in_attempt_detections_are_triggered_by_sign_ins_alone() {
        for id in SIGN_IN_ATTEMPTS {
            let m = by_id(id).unwrap_or_else(|| panic!("{id}")).meta();
            assert!(
                m.triggers.iter().all(|t| {
                    matches!(t, Trigger::Events { source, .. } if *source == "signin.amazonaws.com")
                }),
                "{id}"
            );
        }
    }

    /// `tuning`'s list of the sign-in attempts' event names is every name the
    /// [`SIGN_IN_ATTEMPTS`] detections trigger on, and nothing else.
    #[test]
    fn the_sign_in_event_names_are_the_sign_in_attempts_triggers() {
        let mut names: Vec<&str> = SIGN_IN_ATTEMPTS
            .iter()
            .flat_map(|id| by_id(id).unwrap_or_else(|| panic!("{id}")).meta().triggers)
            .flat_map(|t| match t {
                Trigger::Events { names, .. } => names.to_vec(),
                other => panic!("{other:?}"),
            })
            .collect();
        names.sort_unstable();
        names.dedup();
        let mut listed = crate::tuning::SIGN_IN_EVENT_NAMES.to_vec();
        listed.sort_unstable();
        assert_eq!(names, listed);
    }

    /// `tuning`'s list of the identity types a failed sign-in carries holds
    /// every type of the sign-in records the samples give these detections.
    #[test]
    fn the_sign_in_identity_types_are_the_samples_types() {
        use crate::event::Record;
        let mut seen = std::collections::BTreeSet::new();
        for line in crate::detections::common::testing::sample_lines() {
            let Ok(rec) = Record::from_json(&line) else {
                continue;
            };
            if rec.event_source() == "signin.amazonaws.com"
                && SIGN_IN_ATTEMPTS
                    .iter()
                    .any(|id| by_id(id).is_some_and(|d| d.evaluate(&rec).is_some()))
            {
                let t = rec.identity_type().unwrap_or("(none)").to_owned();
                assert!(
                    crate::tuning::SIGN_IN_IDENTITY_TYPES.contains(&t.as_str()),
                    "{t}: {line}"
                );
                seen.insert(t);
                // Every field it has is one a tuning key may match a sign-in
                // on (`tuning::SIGN_IN_FIELDS`, or below one of them).
                let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
                let v = v.get("detail").cloned().unwrap_or(v);
                let mut fields = Vec::new();
                if let Some(o) = v.as_object() {
                    for (k, inner) in o {
                        match (k.as_str(), inner.as_object()) {
                            ("userIdentity", Some(u)) => {
                                fields.extend(u.keys().map(|f| format!("userIdentity.{f}")))
                            }
                            _ => fields.push(k.clone()),
                        }
                    }
                }
                for f in fields {
                    assert!(
                        crate::tuning::SIGN_IN_FIELDS.contains(&f.as_str())
                            || (f == "requestParameters" && v["requestParameters"].is_null()),
                        "{f} is missing from tuning::SIGN_IN_FIELDS: {line}"
                    );
                }
            }
        }
        assert!(seen.len() >= 3, "{seen:?}");
    }

    /// A window that says it counts a fixed set (`Countable::OneOf`, which
    /// bounds a tuning threshold) gives no other value on any sample: every
    /// record of `events/`, its further signals included. And the set is no
    /// smaller than the threshold, which could never be met otherwise.
    #[test]
    fn fixed_value_sets_hold_every_value_the_samples_give() {
        use crate::detection::{Countable, Signal};
        let bounded: Vec<_> = ALL
            .iter()
            .filter_map(|d| match d.meta().window {
                Some(WindowSpec::Distinct {
                    values: Countable::OneOf(set),
                    min_distinct,
                    ..
                }) => {
                    assert!(set.len() >= min_distinct, "{}", d.meta().id);
                    Some((*d, set))
                }
                _ => None,
            })
            .collect();
        assert!(bounded.len() >= 3, "the fixed sets are gone");
        let mut seen = 0;
        let detections: Vec<&dyn Detection> = bounded.iter().map(|(d, _)| *d).collect();
        crate::detections::common::testing::for_each_sample_signal(&detections, |i, signal| {
            let (d, set) = bounded[i];
            if let Signal::Distinct { value, .. } | Signal::Batch { value, .. } = signal {
                assert!(
                    set.contains(&value.as_str()),
                    "{}: {value:?} is not one of {set:?}",
                    d.meta().id
                );
                seen += 1;
            }
        });
        assert!(seen >= 10, "only {seen} values seen");
    }

    /// The declared evidence keys are names, sorted and each once: the text
    /// is split on spaces, so a comma or a quote would make a key no finding has.
    #[test]
    fn evidence_keys_are_sorted_names() {
        for m in ALL.iter().map(|d| d.meta()) {
            let keys: Vec<&str> = m.evidence_keys().collect();
            assert!(keys.windows(2).all(|w| w[0] < w[1]), "{}: {keys:?}", m.id);
            for k in &keys {
                assert!(
                    k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
                    "{}: {k:?}",
                    m.id
                );
            }
        }
    }

    /// An `evidence.<key>` a detection's own text tells the reader to tune by
    /// is one of its evidence keys.
    #[test]
    fn the_evidence_keys_the_metadata_names_are_declared() {
        let mut named = 0;
        for m in ALL.iter().map(|d| d.meta()) {
            let texts = m
                .false_positives
                .iter()
                .chain([&m.description, &m.next_steps]);
            for text in texts {
                for (at, _) in text.match_indices("evidence.") {
                    let rest = &text[at + "evidence.".len()..];
                    let end = rest
                        .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                        .unwrap_or(rest.len());
                    // "in the evidence." ends a sentence.
                    if end == 0 {
                        continue;
                    }
                    assert!(
                        m.evidence_keys().any(|k| k == &rest[..end]),
                        "{}: evidence.{} is not one of its keys",
                        m.id,
                        &rest[..end]
                    );
                    named += 1;
                }
            }
        }
        assert!(named >= 10, "only {named} keys named");
    }

    #[test]
    fn ids_are_unique_and_kebab_case() {
        let mut seen = std::collections::HashSet::new();
        for d in ALL {
            let id = d.meta().id;
            assert!(seen.insert(id), "duplicate id {id}");
            assert!(
                id.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{id}"
            );
        }
    }

    #[test]
    fn every_detection_names_a_known_group_and_no_group_is_empty() {
        for d in ALL {
            let m = d.meta();
            assert!(
                group(m.group).is_some(),
                "{}: unknown group {:?}",
                m.id,
                m.group
            );
        }
        let mut names = std::collections::HashSet::new();
        for g in GROUPS {
            assert!(names.insert(g.name), "group {} twice", g.name);
            assert!(!group_detections(g).is_empty(), "group {} is empty", g.name);
        }
    }

    /// The template describes each function as "trailwatch GROUP: DESCRIPTION", and
    /// CloudFormation takes at most 256 characters there.
    #[test]
    fn every_function_description_fits_cloudformation() {
        for g in GROUPS {
            let text = format!("trailwatch {}: {}", g.name, g.description);
            assert!(
                text.chars().count() <= 256,
                "{} characters: {text}",
                text.chars().count()
            );
        }
    }

    #[test]
    fn each_function_static_holds_its_group_in_catalogue_order() {
        assert_eq!(functions::ALL.len(), GROUPS.len(), "one static per group");
        for g in GROUPS {
            let f = function(g.name).unwrap_or_else(|| panic!("no static for {}", g.name));
            assert_eq!(f.group.name, g.name);
            let own: Vec<&str> = f.detections.iter().map(|d| d.meta().id).collect();
            let filtered: Vec<&str> = ALL
                .iter()
                .map(|d| d.meta())
                .filter(|m| m.group == g.name)
                .map(|m| m.id)
                .collect();
            assert_eq!(own, filtered, "{}", g.name);
        }
    }

    #[test]
    fn the_index_is_the_catalogue_in_order() {
        assert_eq!(INDEX.len(), ALL.len());
        for (i, d) in INDEX.iter().zip(ALL) {
            assert_eq!(*i, Indexed::of(d.meta()));
        }
        assert_eq!(
            indexed("cloudtrail-log-deleted").map(|i| i.id),
            Some("cloudtrail-log-deleted")
        );
        assert_eq!(indexed("no-such-detection"), None);
    }

    #[test]
    fn every_detection_is_fully_described() {
        for d in ALL {
            let m = d.meta();
            assert!(!m.title.is_empty() && !m.description.is_empty(), "{}", m.id);
            assert!(!m.attack.is_empty() && !m.origins.is_empty(), "{}", m.id);
            assert!(m.origins.iter().all(|o| !o.trim().is_empty()), "{}", m.id);
            assert!(
                !m.false_positives.is_empty() && !m.next_steps.is_empty(),
                "{}",
                m.id
            );
            assert!(!m.triggers.is_empty(), "{}", m.id);
            for t in m.triggers {
                if let Trigger::Events {
                    detail_pattern: Some(p),
                    ..
                } = t
                {
                    let v: serde_json::Value = serde_json::from_str(p)
                        .unwrap_or_else(|e| panic!("{}: detail_pattern: {e}", m.id));
                    assert!(v.is_object(), "{}: detail_pattern is an object", m.id);
                }
            }
            if let Some(WindowSpec::FirstSeen { days }) = m.window {
                assert!((1..=90).contains(&days), "{}: history of {days} days", m.id);
            }
        }
    }
}
