//! The organisation's guardrails loosened from the management account: a policy type
//! switched off for a root (`DisablePolicyType` with `SERVICE_CONTROL_POLICY` or
//! `RESOURCE_CONTROL_POLICY`), a policy detached from a root, organisational unit or
//! account (`DetachPolicy`), a service or resource control
//! policy rewritten to allow every action and deny none of the protections
//! guardrails exist for (`UpdatePolicy`; the response names the policy's type), a
//! member account moved to the organisation's root (`MoveAccount`), or a Control
//! Tower control or baseline switched off or its whole landing zone deleted
//! (`DisableControl`, `DisableBaseline`, `DeleteLandingZone`), successfully; or a
//! control's parameters changed to exempt principals, actions or resources, or to
//! allow more Regions (`UpdateEnabledControl`: Control Tower then rewrites the
//! policy itself, a change left out below as its own; from a second evasion
//! review), medium unless every role or user of every account is exempted.
//!
//! Decisions: service and resource control policies are the deny rules every member
//! account lives under (no leaving the organisation, no disabling CloudTrail or
//! GuardDuty, Regions allowed); an intruder in the management account removes them
//! before acting in the members. `DetachPolicy` names a policy id only, whatever
//! its type (tag and backup policies use the same call), so every detachment
//! counts, except the AWS-managed `FullAWSAccess` policy
//! (`p-FullAWSAccess`), whose removal restricts rather than loosens. Disabling the other
//! policy types (tag, AI opt-out) is left out, except the Bedrock policy
//! (`BEDROCK_POLICY`, which enforces guardrails on every model call), the EC2
//! declarative policy (`DECLARATIVE_POLICY_EC2`, which enforces the public
//! access blocks of images, snapshots and VPCs) and backup policies
//! (`BACKUP_POLICY`: the backup plans they run in every account stop), all medium.
//! Attaching `FullAWSAccess` (`AttachPolicy`) counts at medium: where an
//! organisation lists what it allows instead of what it denies, it lifts every
//! limit; elsewhere it is attached already (both from a third evasion review).
//! So does creating a service control policy that allows every action itself
//! (`CreatePolicy`, sixth session): its later attachment names only an id.
//! A deletion (`DeletePolicy`) is not reported: Organizations refuses to delete a
//! policy attached anywhere (`PolicyInUseException`), so it follows a detachment
//! that was (from a review: every policy rollout paged twice).
//! Control Tower's own changes
//! (`invokedBy` `controltower.amazonaws.com`) and AWS service identities are left out
//! (a person switching a control off, or deleting the landing zone with all its
//! controls, is reported by their own call); a CloudFormation stack's change counts.
//!
//! A rewritten policy: a service control policy whose `Deny` statements cover none
//! of `GUARDRAIL_ACTIONS` (leaving the organisation, stopping CloudTrail, Config,
//! GuardDuty or Security Hub, and the like) fires, so that a token deny of
//! something harmless does not hide an opened guardrail. The event carries only the
//! new content, so a policy gutted of its denies (the natural way to open one: the
//! allow comes from `FullAWSAccess`, attached beside it) looks like a policy that
//! never denied these; both fire, the gutted one at medium severity (a policy about
//! Regions or costs, edited, is the same shape), one that allows everything itself
//! at the detection's high. A
//! deny counts whatever its condition (which the event cannot evaluate in
//! general), except one the policy alone shows not to apply (`deny_disarmed`:
//! resources that miss the action, a time condition not in force at the call,
//! an exemption of every role or user of every account, and a few tests that
//! never hold; from evasion reviews: each kept the denies in the text,
//! disarmed, and fired nothing). A guardrail the policy names (`cloudtrail:*`,
//! not `*`) only in disarmed denies fires at high when no guardrail deny
//! applies any more, as no edit about something else looks like that, and at
//! medium when another still applies (one cheap deny kept armed, or a staged
//! rollout). A disarmed deny of every action is medium, like a gutted policy:
//! a change freeze or a deny of some resources is that shape too.
//! A `NotAction` deny covers what it does not list. Custom service control policies
//! are lists of denies beside the AWS-managed `FullAWSAccess`; one that allows
//! everything itself is rare outside this trick. A resource control policy fires
//! only when it denies nothing: its denies are about data access, not these
//! actions.
//! An account moved out of its organisational unit sheds every policy attached to
//! that unit and the units above it (the root's still apply). Only a move to the root (`destinationParentId`
//! `r-...`) is reported: the root holds the management account and little else in
//! a well-kept organisation, and carries only the policies every account gets,
//! whereas moves between units are everyday account vending whose effect depends on
//! policies the event does not show.

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{
    action_pattern_matches, aws_service_among, bare_operator, condition_pattern_matches, deny_statements,
    every_value_has_wildcard, flag_value,
    one_or_many, policy_document, request_param_any, request_text_any, statement_covers_action, succeeded_call,
};
use crate::event::Record;
use crate::event::time::parse_event_time;

pub struct OrganizationsGuardrailPolicyRemoved;

const SOURCE: &str = "organizations.amazonaws.com";
const NAMES: &[&str] = &[
    "DisablePolicyType",
    "DetachPolicy",
    "UpdatePolicy",
    "MoveAccount",
    ATTACH,
    CREATE,
];
/// Creating a policy loosens nothing until it is attached, except a control
/// policy that allows everything itself (below).
const CREATE: &str = "CreatePolicy";
/// Attaching a policy tightens, except AWS's allow-everything one (below).
const ATTACH: &str = "AttachPolicy";
/// The AWS-managed policy that allows every action: attached where an
/// organisation lists what it allows instead, it lifts every limit.
const FULL_ACCESS: &str = "p-FullAWSAccess";
/// Policy types that guard something other than identities' and resources'
/// permissions: switched off, medium (from a third evasion review: the
/// organisation's Bedrock policy enforces guardrails on every model call).
/// The EC2 declarative policy too (from a review): it enforces the blocks on
/// public AMIs, snapshots and VPCs across the organisation. And backup policies
/// (seventh session, from a review): switching the type off detaches them all
/// with no `DetachPolicy`, and the backup plans they run in every account stop.
const OTHER_GUARDING_TYPES: [&str; 3] = ["BEDROCK_POLICY", "DECLARATIVE_POLICY_EC2", "BACKUP_POLICY"];
const CONTROL_TOWER: &str = "controltower.amazonaws.com";
const CONTROL_TOWER_NAMES: &[&str] = &["DisableControl", "DisableBaseline", "DeleteLandingZone"];
/// A control's parameters changed: Control Tower then rewrites its policy itself.
const UPDATE_CONTROL: &str = "UpdateEnabledControl";
/// The parameters that narrow what a control applies to (`AllowedRegions` widens
/// where the Region deny lets calls through).
const LOOSENING_PARAMETERS: [&str; 4] = [
    "ExemptedPrincipalArns",
    "ExemptedActions",
    "ExemptedResourceArns",
    "AllowedRegions",
];

/// The policy types whose disabling removes guardrails.
const GUARDRAIL_TYPES: [&str; 2] = ["SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"];

/// What service control policies are there to deny: leaving the organisation and
/// switching off its logging, recording and threat detection. A rewritten policy
/// that allows everything and denies none of these has lost its guardrails.
const GUARDRAIL_ACTIONS: &[&str] = &[
    "organizations:LeaveOrganization",
    "cloudtrail:StopLogging",
    "cloudtrail:DeleteTrail",
    "cloudtrail:UpdateTrail",
    "cloudtrail:PutEventSelectors",
    "config:StopConfigurationRecorder",
    "config:DeleteConfigurationRecorder",
    "config:DeleteDeliveryChannel",
    "guardduty:DeleteDetector",
    "guardduty:UpdateDetector",
    "guardduty:DisassociateFromAdministratorAccount",
    "guardduty:DisassociateFromMasterAccount",
    "securityhub:DisableSecurityHub",
    "access-analyzer:DeleteAnalyzer",
    "iam:DeleteAccountPasswordPolicy",
    "ec2:DisableEbsEncryptionByDefault",
    "s3:PutAccountPublicAccessBlock",
    "kms:ScheduleKeyDeletion",
];

pub static META: Meta = Meta {
    id: "organizations-guardrail-policy-removed",
    title: "AWS Organizations Guardrail Policies Removed",
    description: "Service or resource control policies were switched off for the \
                  organisation, an organisation policy was detached, or an account \
                  was moved out of its organisational unit to the root, or a control policy \
                  that allows everything was created or attached. These \
                  policies are the deny rules every member account lives under (keeping \
                  CloudTrail and GuardDuty on, Regions allowed, no leaving the \
                  organisation); an intruder in the management account removes them before \
                  acting in the members.",
    severity: Severity::High,
    attack: &["T1484.002", "T1562.001"],
    origins: &[
        "trailwatch: based on the AWS Organizations DisablePolicyType and DetachPolicy \
         APIs, and a review of management-account abuse techniques",
    ],
    group: "iam-persistence",
    false_positives: &[
        "The platform team reorganising or replacing policies (a new policy is usually \
         attached before the old one is detached).",
        "Tag, backup or AI opt-out policies detached (the call does not say the \
         policy's type; the finding gives its id).",
        "A service control policy about Regions, costs or services edited: it holds none of \
         the guardrail denies either way (medium severity).",
        "An organisation that keeps its own copy of an allow-everything policy beside \
         FullAWSAccess (medium severity).",
        "A change freeze or a staged rollout written into a service control policy, not \
         yet in force when it was saved (medium severity).",
    ],
    next_steps: "Find the policy and its targets, or the account moved (the finding names \
                 them) and confirm with the platform team. If unplanned, attach the policy \
                 again, re-enable the policy type or move the account back to its unit, then \
                 review what the caller and the affected accounts did since.",
    evidence: "account action control from parameters policy_id policy_name policy_type target",
    triggers: &[
        Trigger::write(SOURCE, NAMES),
        Trigger::write(CONTROL_TOWER, CONTROL_TOWER_NAMES),
        Trigger::write(CONTROL_TOWER, &[UPDATE_CONTROL]),
    ],
    window: None,
};

/// The loosening parameters an `UpdateEnabledControl` sets
/// (`parameters: [{"key": ..., "value": ...}]`), by key.
fn control_parameters_loosened<'r>(rec: &'r Record) -> Vec<&'r str> {
    let mut keys: Vec<&str> = rec
        .request_param("parameters")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| p.get("key")?.as_str())
        .map(str::trim)
        .filter(|k| LOOSENING_PARAMETERS.iter().any(|l| l.eq_ignore_ascii_case(k)))
        .collect();
    keys.dedup();
    keys
}

/// Whether the exempted principals take every role or user of every account
/// (`arn:aws:iam::*:role/*`, `*`).
fn exempts_everyone(rec: &Record) -> bool {
    rec.request_param("parameters")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .filter(|p| p.get("key").and_then(|k| k.as_str()).is_some_and(|k| k.trim().eq_ignore_ascii_case("ExemptedPrincipalArns")))
        .filter_map(|p| p.get("value"))
        .flat_map(|v| one_or_many(Some(v)))
        .filter_map(|v| v.as_str())
        .any(takes_every_role_or_user)
}

/// Whether an ARN pattern takes every role or every user of every account
/// (`arn:aws:iam::*:role/*`, `*`, or any pattern that does, such as
/// `arn:aws:iam::*:r*`): it matches each of two roles, or of two users, of
/// different accounts and paths. One account's roles are not everyone's (from
/// a review: the security account's `role/*` read as every account's).
fn takes_every_role_or_user(arn: &str) -> bool {
    const ROLES: [&str; 2] = ["arn:aws:iam::111122223333:role/Admin", "arn:aws:iam::444455556666:role/ops/x-9"];
    const USERS: [&str; 2] = ["arn:aws:iam::111122223333:user/alice", "arn:aws:iam::444455556666:user/dev/bob"];
    let arn = arn.trim();
    [ROLES, USERS].iter().any(|probes| probes.iter().all(|p| condition_pattern_matches(arn, p)))
}

/// Guardrail actions without resource-level permissions: IAM matches their
/// deny against the resource `*` only, so a deny naming any other resource
/// never applies to them.
const ACCOUNT_WIDE_ACTIONS: [&str; 4] = [
    "organizations:LeaveOrganization",
    "iam:DeleteAccountPasswordPolicy",
    "ec2:DisableEbsEncryptionByDefault",
    "s3:PutAccountPublicAccessBlock",
];

/// Whether `action` is one of `ACCOUNT_WIDE_ACTIONS`.
fn is_account_wide(action: &str) -> bool {
    ACCOUNT_WIDE_ACTIONS.iter().any(|a| a.eq_ignore_ascii_case(action))
}

/// A date condition's value in seconds since the epoch: ISO 8601 (a day alone
/// is its midnight UTC) or epoch seconds, as text or a number.
fn condition_time(v: &serde_json::Value) -> Option<i64> {
    if let Some(n) = v.as_i64() {
        return Some(n);
    }
    let t = v.as_str()?.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return t.parse().ok();
    }
    let ms = if t.len() == 10 { parse_event_time(&format!("{t}T00:00:00Z")) } else { parse_event_time(t) };
    ms.map(|ms| ms.div_euclid(1000))
}

/// Whether a guardrail deny of `action` can be seen, from the policy alone, not
/// to apply at `now` (the record's event time, in seconds): its resources all
/// another service's (`arn:aws:s3:::nothing` for `cloudtrail:StopLogging`), or
/// not `*` for an action that has no other (`ACCOUNT_WIDE_ACTIONS`) and that
/// the deny names itself, or a
/// `NotResource` of everything; a time condition (`aws:CurrentTime`,
/// `aws:EpochTime`, as dates or epoch seconds) all of whose values start after
/// `now` or ended before it, or that holds for one instant only; an exemption
/// of every role or user of every account (`StringNotLike` or `ArnNotLike` on
/// `aws:PrincipalArn`); a test that the principal's ARN or account is missing
/// (`Null` `true`: never); or calls made through another service only
/// (`aws:ViaAWSService` `true`: an intruder calls directly). From evasion
/// reviews: each kept every deny in the text and disarmed it, and fired
/// nothing; operators are read without `IfExists`, `ForAnyValue:` and
/// `ForAllValues:`, which change nothing for these keys. Other conditions are
/// taken as applying.
fn deny_disarmed(statement: &serde_json::Value, action: &str, now: Option<i64>) -> bool {
    let service = action.split(':').next().unwrap_or_default();
    let account_wide = is_account_wide(action);
    // Only where the deny names the action itself: `s3:*` on a bucket is a
    // bucket's protection, left as it always read (from a review).
    let named_account_wide = account_wide && names_action(statement, action);
    let misses = |arn: &str| {
        let arn = arn.trim();
        let svc = arn.split(':').nth(2).unwrap_or("*");
        (named_account_wide && !action_pattern_matches(arn, "*"))
            || (arn.starts_with("arn:") && !svc.contains(['*', '?']) && !svc.eq_ignore_ascii_case(service))
    };
    let resources = one_or_many(statement.get("Resource"));
    if !resources.is_empty() && resources.iter().all(|r| r.as_str().is_some_and(misses)) {
        return true;
    }
    // `NotResource` of `*`, or of every ARN of the service (`arn:*`,
    // `arn:aws:cloudtrail:*`) for an action on its own resources.
    let own_arns = format!("arn:aws:{service}:");
    let spares_all = |p: &str| {
        let p = p.trim();
        action_pattern_matches(p, "*")
            || (!account_wide && p.ends_with('*') && own_arns.starts_with(p.trim_end_matches('*')))
    };
    if one_or_many(statement.get("NotResource")).iter().any(|r| r.as_str().is_some_and(spares_all)) {
        return true;
    }
    let operators = statement.get("Condition").and_then(|c| c.as_object());
    operators.into_iter().flatten().any(|(operator, keys)| {
        let op = bare_operator(operator);
        keys.as_object().into_iter().flatten().any(|(key, value)| {
            let values = one_or_many(Some(value));
            // Every value (they are alternatives) a time that passes `test`.
            let all_times = |test: &dyn Fn(i64, i64) -> bool| {
                now.is_some_and(|now| {
                    !values.is_empty() && values.iter().all(|v| condition_time(v).is_some_and(|t| test(t, now)))
                })
            };
            let key = key.trim().to_ascii_lowercase();
            let time_key = matches!(key.as_str(), "aws:currenttime" | "aws:epochtime");
            match op.as_str() {
                "dategreaterthan" | "dategreaterthanequals" | "numericgreaterthan" | "numericgreaterthanequals"
                    if time_key =>
                {
                    all_times(&|t, now| t > now)
                }
                "datelessthan" | "datelessthanequals" | "numericlessthan" | "numericlessthanequals" if time_key => {
                    all_times(&|t, now| t < now)
                }
                "dateequals" | "numericequals" if time_key => true,
                "stringnotlike" | "arnnotlike" | "arnnotequals" if key == "aws:principalarn" => values
                    .iter()
                    .filter_map(|v| v.as_str())
                    .any(takes_every_role_or_user),
                // Patterns read literally match no one (from a review: `StringLike`
                // changed to `StringEquals`).
                "stringequals" | "stringequalsignorecase" if key == "aws:principalarn" => {
                    every_value_has_wildcard(&values)
                }
                "null" if matches!(key.as_str(), "aws:principalarn" | "aws:principalaccount") => {
                    values.iter().all(|v| flag_value(v) == Some(true))
                }
                "bool" if key == "aws:viaawsservice" => values.iter().all(|v| flag_value(v) == Some(true)),
                _ => false,
            }
        })
    })
}

/// Whether a statement names `action` in its `Action` by a pattern of its own
/// service (`cloudtrail:StopLogging`, `cloudtrail:*`), not `*` or `NotAction`.
/// An account-wide action (`ACCOUNT_WIDE_ACTIONS`) must be named by a pattern
/// of its own name (`organizations:Leave*`): a deny of `s3:*` on one bucket, or
/// of `iam:*` on some roles, protects those and never denied it (from a
/// review: such ordinary edits read as a disarmed guardrail, at high).
fn names_action(statement: &serde_json::Value, action: &str) -> bool {
    let account_wide = is_account_wide(action);
    one_or_many(statement.get("Action")).iter().filter_map(|a| a.as_str()).any(|p| {
        let p = p.trim();
        // Not `*:...`, and for an account-wide action not `service:*`.
        let by_name = |(svc, name): (&str, &str)| {
            let service_wide = name.chars().all(|c| c == '*');
            !svc.contains(['*', '?']) && (!account_wide || !service_wide)
        };
        p.split_once(':').is_some_and(by_name) && action_pattern_matches(p, action)
    })
}

/// What an `UpdatePolicy` of a service or resource control policy (the response's
/// `policy.policySummary.type`) left: `None` when it still guards (a service
/// control policy with a guardrail deny of `GUARDRAIL_ACTIONS` that applies and
/// none named only in disarmed denies; a resource control policy denying
/// anything, or not allowing everything) or is of another type; `Some(true)`
/// when the new content allows every action itself or names guardrails only in
/// disarmed denies (`deny_disarmed`) with none applying, `Some(false)` for a
/// service control policy that denies none of them, or that keeps some and
/// names others only in disarmed denies.
fn unguarded_update(rec: &Record) -> Option<bool> {
    unguarded_content(rec, created_or_updated_type(rec))
}

/// The type of the policy a `CreatePolicy` or `UpdatePolicy` wrote: the response's
/// `policy.policySummary.type`, or a creation's requested `type`.
fn created_or_updated_type<'r>(rec: &'r Record) -> Option<&'r str> {
    rec.response_element("policy")
        .and_then(|p| p.get("policySummary"))
        .and_then(|s| s.get("type"))
        .and_then(|t| t.as_str())
        .or_else(|| (rec.event_name() == CREATE).then(|| request_text_any(rec, &["type", "Type"])).flatten())
}

/// A service or resource control policy created that allows every action itself
/// (`Action` `*`, or an `Allow` of `NotAction`, which allows all it does not
/// list), whatever it denies beside: attaching it later names only its id, and
/// where an organisation lists what it allows that attachment lifts the limits,
/// as `FullAWSAccess` does. From the sixth session, left out by the fifth; a
/// review of the change found a decoy deny (under a condition never met) and a
/// `NotAction` allow passing, so its denies are not weighed here. A new policy
/// of denies is every ordinary one.
fn allow_everything_created(rec: &Record) -> bool {
    use crate::detections::create_policy_version_allow_all::{allows_every_action, one_or_many};
    let kind = created_or_updated_type(rec);
    if rec.event_name() != CREATE || !kind.is_some_and(|k| GUARDRAIL_TYPES.iter().any(|g| g.eq_ignore_ascii_case(k))) {
        return false;
    }
    let Some(doc) = request_param_any(rec, &["content", "Content"]).and_then(policy_document) else {
        return false;
    };
    let allows_all_but = |st: &serde_json::Value| {
        st.get("Effect")
            .and_then(|e| e.as_str())
            .is_some_and(|e| e.trim().eq_ignore_ascii_case("Allow"))
            && st.get("NotAction").is_some()
    };
    doc.get("Statement")
        .map(one_or_many)
        .unwrap_or_default()
        .iter()
        .any(|st| allows_every_action(st) || allows_all_but(st))
}

/// What a written service or resource control policy's content leaves (see
/// [`unguarded_update`]), given its type.
fn unguarded_content(rec: &Record, kind: Option<&str>) -> Option<bool> {
    use crate::detections::create_policy_version_allow_all::allows_every_action;
    if !kind.is_some_and(|k| GUARDRAIL_TYPES.iter().any(|g| g.eq_ignore_ascii_case(k))) {
        return None;
    }
    let doc = request_param_any(rec, &["content", "Content"]).and_then(policy_document)?;
    let statements = one_or_many(doc.get("Statement"));
    let denies = deny_statements(&doc);
    let allows_all = statements.iter().any(|st| allows_every_action(st));
    if !kind.is_some_and(|k| k.eq_ignore_ascii_case(GUARDRAIL_TYPES[0])) {
        return (denies.is_empty() && allows_all).then_some(true);
    }
    let now = rec.event_time.as_deref().and_then(parse_event_time).map(|ms| ms.div_euclid(1000));
    // Each guardrail action: whether a deny that applies covers it.
    let armed: Vec<bool> = GUARDRAIL_ACTIONS
        .iter()
        .map(|action| denies.iter().any(|st| statement_covers_action(st, action) && !deny_disarmed(st, action, now)))
        .collect();
    // A guardrail the text names, in denies that are all disarmed (from a
    // review: one cheap deny kept armed hid every other one disarmed).
    let named_disarmed = GUARDRAIL_ACTIONS
        .iter()
        .zip(&armed)
        .any(|(action, armed)| !armed && denies.iter().any(|st| names_action(st, action)));
    match (armed.contains(&true), named_disarmed) {
        (true, false) => None,
        // Some guardrails kept, another disarmed: also a staged rollout.
        (true, true) => Some(false),
        // Denies kept in the text but disarmed are no edit about something else;
        // a `*` deny disarmed is (a change freeze, a deny of some resources).
        (false, _) => Some(allows_all || named_disarmed),
    }
}

impl Detection for OrganizationsGuardrailPolicyRemoved {
    fn meta(&self) -> &'static Meta {
        &META
    }

    /// A service control policy left without its guardrail denies but not allowing
    /// everything itself is medium: the shape of a gutted policy and of an edited
    /// policy about something else.
    fn severity_for(&self, rec: &Record<'_>) -> Severity {
        if rec.event_name() == "UpdatePolicy" && unguarded_update(rec) == Some(false) {
            Severity::Medium
        } else if rec.event_name() == ATTACH
            || rec.event_name() == CREATE
            || disabled_type_among(rec, &OTHER_GUARDING_TYPES)
        {
            // Where `FullAWSAccess` is attached everywhere (most organisations),
            // attaching it again changes nothing.
            Severity::Medium
        } else if rec.event_name() == UPDATE_CONTROL && !exempts_everyone(rec) {
            // Exempting named roles or allowing a Region is everyday tuning of a
            // control; exempting every role of every account is not.
            Severity::Medium
        } else {
            META.severity
        }
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        let text = |keys: &[&str]| request_text_any(rec, keys);
        // Control Tower's own changes and AWS services, for both kinds of call.
        if aws_service_among(rec, &[CONTROL_TOWER]) {
            return None;
        }
        if succeeded_call(rec, CONTROL_TOWER, &[UPDATE_CONTROL]) {
            let loosened = control_parameters_loosened(rec);
            if loosened.is_empty() {
                return None;
            }
            return fire(
                Evidence::new()
                    .with("action", rec.event_name())
                    .with_opt("control", text(&["enabledControlIdentifier", "EnabledControlIdentifier"]))
                    .with("parameters", loosened),
            );
        }
        if succeeded_call(rec, CONTROL_TOWER, CONTROL_TOWER_NAMES) {
            return fire(
                Evidence::new()
                    .with("action", rec.event_name())
                    .with_opt("control", text(&["controlIdentifier", "ControlIdentifier"]))
                    .with_opt(
                        "target",
                        text(&["targetIdentifier", "TargetIdentifier", "enabledBaselineIdentifier"]),
                    ),
            );
        }
        if !succeeded_call(rec, SOURCE, NAMES) {
            return None;
        }
        if rec.event_name() == "MoveAccount" {
            let to = text(&["destinationParentId", "DestinationParentId"])?;
            if !to.trim().to_ascii_lowercase().starts_with("r-") {
                return None;
            }
            return fire(
                Evidence::new()
                    .with("action", rec.event_name())
                    .with_opt("account", text(&["accountId", "AccountId"]))
                    .with_opt("from", text(&["sourceParentId", "SourceParentId"]))
                    .with("target", to.trim()),
            );
        }
        let policy_type = text(&["policyType", "PolicyType"]);
        let policy = text(&["policyId", "PolicyId"]);
        let loosens = match rec.event_name() {
            "DisablePolicyType" => {
                disabled_type_among(rec, &GUARDRAIL_TYPES) || disabled_type_among(rec, &OTHER_GUARDING_TYPES)
            }
            "UpdatePolicy" => unguarded_update(rec).is_some(),
            CREATE => allow_everything_created(rec),
            // From a third evasion review: an organisation that lists what it
            // allows is opened whole by attaching the allow-everything policy.
            ATTACH => policy.is_some_and(|p| p.trim().eq_ignore_ascii_case(FULL_ACCESS)),
            // Removing `FullAWSAccess` restricts rather than loosens.
            _ => !policy.is_some_and(|p| p.trim().eq_ignore_ascii_case(FULL_ACCESS)),
        };
        if !loosens {
            return None;
        }
        // A created policy's id and name are in the response and request.
        let created = rec.response_element("policy").and_then(|p| p.get("policySummary"));
        let created_field = |key: &str| created.and_then(|s| s.get(key)).and_then(|v| v.as_str());
        fire(
            Evidence::new()
                .with("action", rec.event_name())
                .with_opt("policy_id", policy.or_else(|| created_field("id")))
                .with_opt("policy_name", text(&["name", "Name"]).filter(|_| rec.event_name() == CREATE))
                .with_opt("policy_type", policy_type.or_else(|| created_or_updated_type(rec)))
                .with_opt("target", text(&["targetId", "TargetId", "rootId", "RootId"])),
        )
    }
}

/// A `DisablePolicyType` of one of `types`.
fn disabled_type_among(rec: &Record<'_>, types: &[&str]) -> bool {
    rec.event_name() == "DisablePolicyType"
        && request_text_any(rec, &["policyType", "PolicyType"])
            .is_some_and(|t| types.iter().any(|g| g.eq_ignore_ascii_case(t.trim())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing;
    use crate::detections::common::calls::{call, failed};
    use crate::detections::common::testing::{eval, fires};

    #[test]
    fn guardrails_switched_off_or_detached_fire() {
        let disable = call(SOURCE, "DisablePolicyType", r#"{"rootId":"r-ab12","policyType":"SERVICE_CONTROL_POLICY"}"#);
        match eval(&OrganizationsGuardrailPolicyRemoved, &disable) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("target").and_then(|v| v.as_str()), Some("r-ab12")),
            other => panic!("expected a finding, got {other:?}"),
        }
        let rcp = call(SOURCE, "DisablePolicyType", r#"{"rootId":"r-ab12","policyType":"RESOURCE_CONTROL_POLICY"}"#);
        assert!(fires(&OrganizationsGuardrailPolicyRemoved, &rcp));
        // Bedrock's, EC2's declarative and backup policies: medium (backup policies
        // from a review: their deletion after the type is off was reported, no
        // longer); tag and AI opt-out policies: nothing.
        for (kind, fired) in [
            ("BEDROCK_POLICY", true),
            ("DECLARATIVE_POLICY_EC2", true),
            ("BACKUP_POLICY", true),
            ("TAG_POLICY", false),
            ("AISERVICES_OPT_OUT_POLICY", false),
        ] {
            let json = call(SOURCE, "DisablePolicyType", &format!(r#"{{"rootId":"r-ab12","policyType":"{kind}"}}"#));
            assert_eq!(fires(&OrganizationsGuardrailPolicyRemoved, &json), fired, "{kind}");
            if fired {
                let rec = Record::from_json(&json).unwrap();
                assert_eq!(OrganizationsGuardrailPolicyRemoved.severity_for(&rec), Severity::Medium, "{kind}");
            }
        }
        let detach = r#"{"policyId":"p-examplepolicyid111","targetId":"ou-ab12-cdef3456"}"#;
        assert!(fires(&OrganizationsGuardrailPolicyRemoved, &call(SOURCE, "DetachPolicy", detach)));
        // Organizations deletes only a policy attached nowhere: its detachment,
        // reported, came first (from a review: a rollout paged twice).
        let delete = r#"{"policyId":"p-examplepolicyid111"}"#;
        assert!(!fires(&OrganizationsGuardrailPolicyRemoved, &call(SOURCE, "DeletePolicy", delete)));
        // A stack's change counts.
        let stack = call(SOURCE, "DetachPolicy", r#"{"policyId":"p-examplepolicyid111","targetId":"r-ab12"}"#)
            .replacen(r#""accountId":"111122223333""#, r#""accountId":"111122223333","invokedBy":"cloudformation.amazonaws.com""#, 1);
        assert!(fires(&OrganizationsGuardrailPolicyRemoved, &stack));
    }

    #[test]
    fn a_guardrail_rewritten_to_allow_everything_or_a_control_switched_off_fires() {
        let update = |kind: &str, content: &str| {
            let content = serde_json::to_string(content).unwrap();
            call(SOURCE, "UpdatePolicy", &format!(r#"{{"policyId":"p-examplepolicyid111","content":{content}}}"#)).replace(
                r#""responseElements":null"#,
                &format!(r#""responseElements":{{"policy":{{"policySummary":{{"id":"p-examplepolicyid111","type":"{kind}","awsManaged":false}}}}}}"#),
            )
        };
        let open = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
        assert!(fires(&OrganizationsGuardrailPolicyRemoved, &update("SERVICE_CONTROL_POLICY", open)));
        let guarded = r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"cloudtrail:StopLogging","Resource":"*"}]}"#;
        assert!(!fires(&OrganizationsGuardrailPolicyRemoved, &update("SERVICE_CONTROL_POLICY", guarded)));
        // A token deny of something harmless does not hide the opening.
        let token = r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":["sdb:CreateDomain"],"Resource":"*"}]}"#;
        assert!(fires(&OrganizationsGuardrailPolicyRemoved, &update("SERVICE_CONTROL_POLICY", token)));
        // Patterns, conditions and NotAction denies count as guarding.
        for guarded in [
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"CloudTrail:Stop*","Resource":"*"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"organizations:Leave*","Resource":"*","Condition":{"StringNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/Break-Glass"}}}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","NotAction":["iam:*","sts:*"],"Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1"]}}}]}"#,
        ] {
            assert!(!fires(&OrganizationsGuardrailPolicyRemoved, &update("SERVICE_CONTROL_POLICY", guarded)), "{guarded}");
        }
        // A NotAction deny that lists every guardrail action leaves them allowed.
        let hollow = r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","NotAction":["cloudtrail:*","organizations:*","config:*","guardduty:*","securityhub:*","access-analyzer:*","iam:*","ec2:*","s3:*","kms:*"],"Resource":"*"}]}"#;
        assert!(fires(&OrganizationsGuardrailPolicyRemoved, &update("SERVICE_CONTROL_POLICY", hollow)));
        // Gutted: the denies replaced by a harmless one, no allow (FullAWSAccess, attached
        // beside it, allows): medium.
        let gutted = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ec2:CreateTags","Resource":"arn:aws:ec2:*:*:instance/i-00000000"}]}"#;
        let json = update("SERVICE_CONTROL_POLICY", gutted);
        assert!(fires(&OrganizationsGuardrailPolicyRemoved, &json));
        let rec = Record::from_json(&json).unwrap();
        assert_eq!(OrganizationsGuardrailPolicyRemoved.severity_for(&rec), Severity::Medium);
        let rec_open = update("SERVICE_CONTROL_POLICY", open);
        assert_eq!(testing::severity(&OrganizationsGuardrailPolicyRemoved, &rec_open), Severity::High);
        let deny_only_guarded = r#"{"Statement":[{"Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*"}]}"#;
        assert!(!fires(&OrganizationsGuardrailPolicyRemoved, &update("SERVICE_CONTROL_POLICY", deny_only_guarded)));
        // A resource control policy's denies are about data access: any deny guards it.
        let rcp = r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;
        assert!(!fires(&OrganizationsGuardrailPolicyRemoved, &update("RESOURCE_CONTROL_POLICY", rcp)));
        assert!(fires(&OrganizationsGuardrailPolicyRemoved, &update("RESOURCE_CONTROL_POLICY", open)));
        assert!(!fires(&OrganizationsGuardrailPolicyRemoved, &update("TAG_POLICY", open)));
        for (name, params) in [
            ("DisableControl", r#"{"controlIdentifier":"arn:aws:controltower:us-east-1::control/AWS-GR_CLOUDTRAIL_ENABLED","targetIdentifier":"arn:aws:organizations::111122223333:ou/o-exampleorg/ou-ab12-cdef3456"}"#),
            ("DisableBaseline", r#"{"enabledBaselineIdentifier":"arn:aws:controltower:us-east-1:111122223333:enabledbaseline/EXAMPLE1"}"#),
            ("DeleteLandingZone", r#"{"landingZoneIdentifier":"arn:aws:controltower:us-east-1:111122223333:landingzone/1A2B3C4D5E6F7G8H"}"#),
        ] {
            assert!(fires(&OrganizationsGuardrailPolicyRemoved, &call(CONTROL_TOWER, name, params)), "{name}");
        }
        assert!(!fires(&OrganizationsGuardrailPolicyRemoved, &call(CONTROL_TOWER, "EnableControl", r#"{"controlIdentifier":"x"}"#)));
    }

    /// Sixth session: a control policy created that allows everything itself; its
    /// attachment will name only its id.
    #[test]
    fn an_allow_everything_control_policy_created_fires_at_medium() {
        let create = |kind: &str, content: &str, with_response: bool| {
            let content = serde_json::to_string(content).unwrap();
            let json = call(SOURCE, "CreatePolicy", &format!(r#"{{"name":"ops-allow","description":"","type":"{kind}","content":{content}}}"#));
            if !with_response {
                return json;
            }
            json.replace(
                r#""responseElements":null"#,
                &format!(r#""responseElements":{{"policy":{{"policySummary":{{"id":"p-0a1b2c3d","name":"ops-allow","type":"{kind}","awsManaged":false}},"content":{content}}}}}"#),
            )
        };
        let open = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
        for with_response in [true, false] {
            let json = create("SERVICE_CONTROL_POLICY", open, with_response);
            match crate::detections::common::testing::eval(&OrganizationsGuardrailPolicyRemoved, &json) {
                Some(Signal::Fire(e)) => {
                    assert_eq!(e.get("policy_name"), Some(&serde_json::json!("ops-allow")));
                    assert_eq!(e.get("policy_type"), Some(&serde_json::json!("SERVICE_CONTROL_POLICY")));
                    if with_response {
                        assert_eq!(e.get("policy_id"), Some(&serde_json::json!("p-0a1b2c3d")));
                    }
                }
                other => panic!("expected a finding, got {other:?}"),
            }
            let rec = Record::from_json(&json).unwrap();
            assert_eq!(OrganizationsGuardrailPolicyRemoved.severity_for(&rec), Severity::Medium);
        }
        assert!(fires(&OrganizationsGuardrailPolicyRemoved, &create("RESOURCE_CONTROL_POLICY", open, true)));
        // Ordinary new policies: denies, a guarded allow, other types.
        let region_deny = r#"{"Statement":[{"Effect":"Deny","NotAction":["iam:*","sts:*"],"Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1"]}}}]}"#;
        // Whatever it denies beside (a review of the change: a decoy deny under a
        // condition never met), or an allow of all but one action.
        for content in [
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"000000000000"}}}]}"#,
            r#"{"Statement":[{"Effect":"Allow","NotAction":"organizations:LeaveOrganization","Resource":"*"}]}"#,
        ] {
            assert!(fires(&OrganizationsGuardrailPolicyRemoved, &create("SERVICE_CONTROL_POLICY", content, true)), "{content}");
        }
        let narrow_allow = r#"{"Statement":[{"Effect":"Allow","Action":["ec2:*","s3:*"],"Resource":"*"}]}"#;
        for (kind, content) in [
            ("SERVICE_CONTROL_POLICY", region_deny),
            ("SERVICE_CONTROL_POLICY", narrow_allow),
            ("TAG_POLICY", open),
            ("BACKUP_POLICY", open),
        ] {
            assert!(!fires(&OrganizationsGuardrailPolicyRemoved, &create(kind, content, true)), "{kind} {content}");
        }
    }

    /// From a second evasion review: a control loosened through its parameters.
    #[test]
    fn a_control_loosened_by_its_parameters_fires() {
        let update = |parameters: &str| {
            call(CONTROL_TOWER, UPDATE_CONTROL, &format!(
                r#"{{"enabledControlIdentifier":"arn:aws:controltower:us-east-1:111122223333:enabledcontrol/XYZ123ABC456DEF7","parameters":{parameters}}}"#
            ))
        };
        let severity = |json: &str| testing::severity(&OrganizationsGuardrailPolicyRemoved, json);
        let everyone = update(r#"[{"key":"AllowedRegions","value":["us-east-1","sa-east-1"]},{"key":"ExemptedPrincipalArns","value":["arn:aws:iam::*:role/*"]}]"#);
        assert!(fires(&OrganizationsGuardrailPolicyRemoved, &everyone));
        assert_eq!(severity(&everyone), Severity::High);
        let one_role = update(r#"[{"key":"ExemptedPrincipalArns","value":["arn:aws:iam::*:role/deploy-pipeline"]}]"#);
        assert!(fires(&OrganizationsGuardrailPolicyRemoved, &one_role));
        assert_eq!(severity(&one_role), Severity::Medium);
        assert!(!fires(&OrganizationsGuardrailPolicyRemoved, &update(r#"[{"key":"SomethingElse","value":"x"}]"#)));
        assert!(!fires(&OrganizationsGuardrailPolicyRemoved, &update("null")));
    }

    #[test]
    fn other_types_full_access_control_tower_and_refusals_do_not_fire() {
        let tags = call(SOURCE, "DisablePolicyType", r#"{"rootId":"r-ab12","policyType":"TAG_POLICY"}"#);
        assert!(!fires(&OrganizationsGuardrailPolicyRemoved, &tags));
        let full = call(SOURCE, "DetachPolicy", r#"{"policyId":"p-FullAWSAccess","targetId":"ou-ab12-cdef3456"}"#);
        assert!(!fires(&OrganizationsGuardrailPolicyRemoved, &full));
        let tower = call(SOURCE, "DetachPolicy", r#"{"policyId":"p-examplepolicyid111","targetId":"ou-ab12-cdef3456"}"#)
            .replacen(r#""accountId":"111122223333""#, r#""accountId":"111122223333","invokedBy":"controltower.amazonaws.com""#, 1);
        assert_ne!(tower, call(SOURCE, "DetachPolicy", r#"{"policyId":"p-examplepolicyid111","targetId":"ou-ab12-cdef3456"}"#));
        assert!(!fires(&OrganizationsGuardrailPolicyRemoved, &tower));
        // Control Tower switching its own control off, as the doc says.
        let own_control = call(CONTROL_TOWER, "DisableControl", r#"{"controlIdentifier":"arn:aws:controltower:us-east-1::control/AWS-GR_AUDIT_BUCKET_PUBLIC_READ_PROHIBITED","targetIdentifier":"arn:aws:organizations::111122223333:ou/o-ab12/ou-ab12-cdef3456"}"#)
            .replacen(r#""accountId":"111122223333""#, r#""accountId":"111122223333","invokedBy":"controltower.amazonaws.com""#, 1);
        assert!(own_control.contains("invokedBy"));
        assert!(!fires(&OrganizationsGuardrailPolicyRemoved, &own_control));
        assert!(!fires(&OrganizationsGuardrailPolicyRemoved, &failed(&call(SOURCE, "DetachPolicy", r#"{"policyId":"p-examplepolicyid111","targetId":"r-ab12"}"#), "AccessDeniedException")));
        assert!(!fires(&OrganizationsGuardrailPolicyRemoved, &call(SOURCE, "AttachPolicy", r#"{"policyId":"p-examplepolicyid111","targetId":"r-ab12"}"#)));
    }

    #[test]
    fn an_account_moved_to_the_root_fires_and_a_move_between_units_does_not() {
        let to_root = call(SOURCE, "MoveAccount",
            r#"{"accountId":"444455556666","sourceParentId":"ou-ab12-cdef3456","destinationParentId":"r-ab12"}"#);
        match eval(&OrganizationsGuardrailPolicyRemoved, &to_root) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("account").and_then(|v| v.as_str()), Some("444455556666"));
                assert_eq!(e.get("from").and_then(|v| v.as_str()), Some("ou-ab12-cdef3456"));
                assert_eq!(e.get("target").and_then(|v| v.as_str()), Some("r-ab12"));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        let between = to_root.replace(r#""destinationParentId":"r-ab12""#, r#""destinationParentId":"ou-ab12-99990000""#);
        assert!(!fires(&OrganizationsGuardrailPolicyRemoved, &between));
        let no_destination = to_root.replace(r#","destinationParentId":"r-ab12""#, "");
        assert!(!fires(&OrganizationsGuardrailPolicyRemoved, &no_destination));
        assert!(!fires(&OrganizationsGuardrailPolicyRemoved, &failed(&to_root, "AccessDeniedException")));
    }

    /// The disarmed-deny samples' severities (`tests/events.rs` checks only
    /// that they fire): high when no guardrail deny applies and one is named,
    /// medium when one still applies or only a `*` deny is disarmed.
    #[test]
    fn disarmed_denies_fire_at_their_severity() {
        macro_rules! sample {
            ($name:literal) => {
                include_str!(concat!("../../../events/organizations-guardrail-policy-removed/", $name, ".json"))
            };
        }
        for (text, expected) in [
            (sample!("positive-scp-denies-from-a-far-future-date"), Severity::High),
            (sample!("positive-scp-denies-ended-earlier-the-same-day"), Severity::High),
            (sample!("positive-scp-denies-sparing-every-resource"), Severity::High),
            (sample!("positive-scp-one-guardrail-armed-the-rest-disarmed"), Severity::Medium),
            (sample!("positive-scp-change-freeze-deny-all-from-a-future-date"), Severity::Medium),
        ] {
            let envelope: serde_json::Value = serde_json::from_str(text).unwrap();
            let json = envelope["detail"].to_string();
            assert!(fires(&OrganizationsGuardrailPolicyRemoved, &json), "{json}");
            let rec = Record::from_json(&json).unwrap();
            assert_eq!(OrganizationsGuardrailPolicyRemoved.severity_for(&rec), expected, "{json}");
        }
    }
}

