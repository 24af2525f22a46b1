//! AWS Verified Access opened to more people, successfully: an endpoint created
//! (`CreateVerifiedAccessEndpoint`: an internal application reachable from the
//! internet through Verified Access), a trust provider attached to an instance
//! (`AttachVerifiedAccessTrustProvider`) or an OIDC trust provider pointed at
//! another identity provider (`ModifyVerifiedAccessTrustProvider` naming an
//! `Issuer` or an authorisation, token or user-info endpoint; or a device trust
//! provider's `PublicSigningKeyUrl`, from a third evasion review), or a group's or endpoint's access policy
//! set to let every authenticated user in (`ModifyVerifiedAccessGroupPolicy`,
//! `ModifyVerifiedAccessEndpointPolicy` with a Cedar `permit` without a condition,
//! or the policy switched off); or, from a third evasion review, an instance's
//! access logs switched off (`ModifyVerifiedAccessInstanceLoggingConfiguration`
//! with every destination it names disabled), the record the next steps read.
//!
//! Decisions: from the network review's left-out list. Verified Access publishes
//! internal load balancers, network interfaces and databases to whoever its trust
//! provider vouches for, without a VPN: an intruder who creates an endpoint, or
//! makes the trust provider one they run (an OIDC issuer of theirs), has a door from
//! the internet that no security group opened to the internet reveals, beside
//! `client-vpn-access-widened-or-unlogged`'s. Endpoints are set up rarely, and
//! each is reported (medium). A policy is judged from its Cedar text: a `permit`
//! with no condition, or only a literal `true` one, in a policy whose every `forbid`
//! has a literal `false` condition (or none at all), lets in every user the trust
//! provider vouches for (literal conditions after a review of the first version;
//! the simplest constant bodies, such as `1 == 1` or `!false`, are worked out
//! since a third evasion review);
//! a policy switched off (`PolicyEnabled` false) denies everyone and is not a
//! door, so is not reported. A native application's OIDC options are read as a
//! user provider's are. Trust providers created and not attached open nothing. EC2
//! logs these requests under a `<Action>Request` wrapper with the query API's
//! names; a flat record, or camelCase, is read the same way. Calls AWS services
//! make on their own are left out; a stack's count.

use serde_json::Value;

use crate::detection::{Detection, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::{aws_service_caller_but_stack, call_context, ec2_request, flag_value, pascal_or_camel};
use crate::event::Record;

pub struct VerifiedAccessOpened;

const EC2: &str = "ec2.amazonaws.com";
const CREATE_ENDPOINT: &str = "CreateVerifiedAccessEndpoint";
const ATTACH_PROVIDER: &str = "AttachVerifiedAccessTrustProvider";
const MODIFY_PROVIDER: &str = "ModifyVerifiedAccessTrustProvider";
const GROUP_POLICY: &str = "ModifyVerifiedAccessGroupPolicy";
const ENDPOINT_POLICY: &str = "ModifyVerifiedAccessEndpointPolicy";
const LOGGING: &str = "ModifyVerifiedAccessInstanceLoggingConfiguration";
const CALLS: &[&str] = &[CREATE_ENDPOINT, ATTACH_PROVIDER, MODIFY_PROVIDER, GROUP_POLICY, ENDPOINT_POLICY, LOGGING];
/// Where an instance's access logs go.
const LOG_DESTINATIONS: [&str; 3] = ["S3", "CloudWatchLogs", "KinesisDataFirehose"];

pub static META: Meta = Meta {
    id: "verified-access-opened",
    title: "AWS Verified Access Endpoint Created, Opened or Unlogged",
    description: "An AWS Verified Access endpoint was created, a trust provider was attached \
                  or pointed at another identity provider, an access policy was set to let \
                  every authenticated user in, or an instance's access logs were switched \
                  off. Verified Access publishes internal applications \
                  to whoever its trust provider vouches for, without a VPN: an intruder's \
                  endpoint or identity provider is a door from the internet that no security \
                  group reveals.",
    severity: Severity::Medium,
    attack: &["T1133", "T1556.007"],
    origins: &[
        "trailwatch: from the network review's left-out list (internal applications \
         published through AWS Verified Access, beside client-vpn-access-widened-or-unlogged)",
    ],
    group: "network-exposure",
    false_positives: &[
        "The network or platform team publishing an internal application, or moving \
         Verified Access to a new identity provider.",
    ],
    next_steps: "Check what the endpoint publishes (its load balancer, interface or \
                 database, and its domain), which trust provider vouches for its users and who \
                 runs that identity provider, and the group's and endpoint's policies. If \
                 unplanned, delete the endpoint or detach the provider, and review Verified \
                 Access's access logs for who came in.",
    evidence: "access_logs_off action application_domain authorization_endpoint endpoint \
        endpoint_id endpoint_type group instance issuer permits_every_authenticated_user \
        public_signing_key_url region source_ip token_endpoint trust_provider user_agent \
        user_info_endpoint",
    triggers: &[Trigger::write(EC2, CALLS)],
    window: None,
};

impl Detection for VerifiedAccessOpened {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        let name = rec.event_name();
        if rec.event_source() != EC2 || !CALLS.contains(&name) || !rec.succeeded() || aws_service_caller_but_stack(rec) {
            return None;
        }
        let request = ec2_request(rec).unwrap_or(&Value::Null);
        let field = |key: &str| pascal_or_camel(request, key);
        let text = |key: &str| field(key).and_then(Value::as_str).map(str::trim);
        let e = call_context(rec).with("action", name);
        match name {
            CREATE_ENDPOINT => fire(
                e.with_opt("group", text("VerifiedAccessGroupId"))
                    .with_opt("endpoint_type", text("EndpointType"))
                    .with_opt("application_domain", text("ApplicationDomain"))
                    .with_opt("endpoint_id", created_endpoint(rec)),
            ),
            ATTACH_PROVIDER => fire(
                e.with_opt("instance", text("VerifiedAccessInstanceId"))
                    .with_opt("trust_provider", text("VerifiedAccessTrustProviderId")),
            ),
            LOGGING => {
                // Every destination the request names switched off, none left on
                // (the twin of the Client VPN's connection log; from a third
                // evasion review).
                let logs = field("AccessLogs")?;
                let states: Vec<Option<bool>> = LOG_DESTINATIONS
                    .iter()
                    .filter_map(|d| pascal_or_camel(logs, d))
                    .map(|d| pascal_or_camel(d, "Enabled").and_then(flag_value))
                    .collect();
                if states.is_empty() || !states.iter().all(|s| *s == Some(false)) {
                    return None;
                }
                fire(
                    e.with_opt("instance", text("VerifiedAccessInstanceId"))
                        .with("access_logs_off", true),
                )
            }
            MODIFY_PROVIDER => {
                // User providers' OIDC options, or a native application's (from a review).
                let oidc = field("OidcOptions").or_else(|| field("NativeApplicationOidcOptions"));
                let oidc_text = |key: &str| {
                    oidc.and_then(|o| pascal_or_camel(o, key))
                        .and_then(Value::as_str)
                        .map(str::trim)
                        .filter(|t| !t.is_empty())
                };
                // Where the claims come from (the token and user-info endpoints
                // answer them), and a device provider's signing key (it checks
                // posture tokens): each re-pointed lets whoever runs it vouch for
                // anyone (from a third evasion review).
                let signing_key = field("DeviceOptions")
                    .and_then(|d| pascal_or_camel(d, "PublicSigningKeyUrl"))
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .filter(|t| !t.is_empty());
                let moved = [
                    ("issuer", oidc_text("Issuer")),
                    ("authorization_endpoint", oidc_text("AuthorizationEndpoint")),
                    ("token_endpoint", oidc_text("TokenEndpoint")),
                    ("user_info_endpoint", oidc_text("UserInfoEndpoint")),
                    ("public_signing_key_url", signing_key),
                ];
                if moved.iter().all(|(_, v)| v.is_none()) {
                    return None;
                }
                let e = moved
                    .into_iter()
                    .fold(e.with_opt("trust_provider", text("VerifiedAccessTrustProviderId")), |e, (k, v)| {
                        e.with_opt(k, v)
                    });
                fire(e)
            }
            _ => {
                // A policy switched off denies everyone: not a door.
                if field("PolicyEnabled").and_then(flag_value) == Some(false) {
                    return None;
                }
                let policy = text("PolicyDocument")?;
                if !permits_everyone(policy) {
                    return None;
                }
                fire(
                    e.with_opt("group", text("VerifiedAccessGroupId"))
                        .with_opt("endpoint", text("VerifiedAccessEndpointId"))
                        .with("permits_every_authenticated_user", true),
                )
            }
        }
    }
}

/// The new endpoint's id, from the answer (wrapped as EC2 writes it, or not).
fn created_endpoint<'r>(rec: &'r Record<'_>) -> Option<&'r str> {
    let answer = rec
        .response_element("CreateVerifiedAccessEndpointResponse")
        .and_then(|a| a.get("verifiedAccessEndpoint"))
        .or_else(|| rec.response_element("verifiedAccessEndpoint"));
    answer?.get("verifiedAccessEndpointId")?.as_str()
}

/// A Cedar policy that lets every user the trust provider vouches for in: a
/// `permit` with no condition, or one whose condition is the literal `true`
/// (`when { true }`, `unless { false }`), and no `forbid` that can apply (one whose
/// condition is the literal `false`, or `unless { true }`, never does). Comments
/// (`//` to the end of a line) are skipped; text that cannot be read so
/// (unbalanced parentheses or braces) is not judged.
fn permits_everyone(policy: &str) -> bool {
    let code: String = policy
        .lines()
        .map(|line| line.split_once("//").map_or(line, |(code, _)| code))
        .collect::<Vec<_>>()
        .join("\n");
    let Some(statements) = statements(&code) else {
        return false;
    };
    // A statement applies unless its condition is the literal false.
    let applies = |condition: &Option<bool>| condition.unwrap_or(true);
    let of = |effect: &'static str| statements.iter().filter(move |(e, _)| *e == effect).map(|(_, c)| c);
    of("forbid").all(|c| !applies(c)) && of("permit").any(applies)
}

/// The value of a condition body of the simplest constant shapes: `true`,
/// `false`, `!` of one, and `==` or `!=` between two number or string literals,
/// any of them in parentheses. Anything else (it reads the request, or is more
/// than that) is `None`, and the statement stays conditional. Read in a loop,
/// not by recursion: a body of thirty thousand `!` overflowed the stack (from a
/// review). A `!` binds tighter than `==`, so `!1 == 2` is not a constant.
fn constant(body: &str) -> Option<bool> {
    let mut body = body.trim();
    let mut flip = false;
    // A `!` applied to what is not in parentheses: only a literal may follow.
    let mut bare_not = false;
    loop {
        if let Some(rest) = body.strip_prefix('!') {
            flip = !flip;
            body = rest.trim_start();
            bare_not |= !body.starts_with('(');
        } else if let Some(inner) = body.strip_prefix('(').and_then(|b| b.strip_suffix(')')) {
            body = inner.trim();
        } else {
            break;
        }
    }
    let value = match body {
        "true" => true,
        "false" => false,
        _ if bare_not => return None,
        _ => {
            let (left, right, equal) = if let Some((l, r)) = body.split_once("==") {
                (l, r, true)
            } else if let Some((l, r)) = body.split_once("!=") {
                (l, r, false)
            } else {
                return None;
            };
            let literal = |t: &str| -> Option<String> {
                let t = t.trim();
                if let Some(text) = t.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
                    return (!text.contains(['"', '\\'])).then(|| format!("s:{text}"));
                }
                t.parse::<i64>().ok().map(|n| format!("n:{n}"))
            };
            (literal(left)? == literal(right)?) == equal
        }
    };
    Some(value != flip)
}

/// Each statement's effect (`permit`, `forbid`) and what its condition comes to:
/// `None` for no condition, `Some(true)` or `Some(false)` for a literal one
/// (`when { true }`, `unless { true }`...), and a statement with any other
/// condition is left out of the list for a permit (it may not apply) but kept as
/// `Some(true)` for a forbid (it may). `None` when the text cannot be read.
fn statements(code: &str) -> Option<Vec<(&'static str, Option<bool>)>> {
    let mut out = Vec::new();
    let mut rest = code.trim_start();
    while !rest.is_empty() {
        let effect = if let Some(r) = rest.strip_prefix("permit") {
            rest = r;
            "permit"
        } else if let Some(r) = rest.strip_prefix("forbid") {
            rest = r;
            "forbid"
        } else {
            // Annotations (`@id("...")`) and anything else up to the next statement.
            let next = ["permit", "forbid"].iter().filter_map(|k| rest.find(k)).min()?;
            rest = &rest[next..];
            continue;
        };
        let scope = rest.trim_start().strip_prefix('(')?;
        let close = scope.find(')')?;
        rest = scope[close + 1..].trim_start();
        let mut condition: Option<bool> = None;
        let mut opaque = false;
        loop {
            let (negated, body) = if let Some(r) = rest.strip_prefix("when") {
                (false, r)
            } else if let Some(r) = rest.strip_prefix("unless") {
                (true, r)
            } else {
                break;
            };
            let inner = body.trim_start().strip_prefix('{')?;
            let end = inner.find('}')?;
            let literal = match inner[..end].trim() {
                "true" => Some(!negated),
                "false" => Some(negated),
                // A constant body (`1 == 1`, `!false`, `"a" == "a"`) is worked
                // out (from a third evasion review: such a permit let everyone
                // in while read as conditional; and from a review of that
                // change, a constant false is false).
                body => constant(body).map(|value| value != negated),
            };
            match literal {
                Some(value) => condition = Some(condition.unwrap_or(true) && value),
                None => opaque = true,
            }
            rest = inner[end + 1..].trim_start();
        }
        rest = rest.strip_prefix(';')?.trim_start();
        match (effect, opaque) {
            ("permit", true) => {}
            ("forbid", true) => out.push((effect, Some(true))),
            _ => out.push((effect, condition)),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::compute_testing::{DENIED, ROLE, SERVICE, record};
    use crate::detections::common::testing::{eval, fires};

    fn call(name: &str, params: &str) -> String {
        record(EC2, name, ROLE, params, "")
    }

    #[test]
    fn an_endpoint_created_fires_with_what_it_publishes() {
        let params = r#"{"CreateVerifiedAccessEndpointRequest":{"VerifiedAccessGroupId":"vagr-0a1b2c3d4e5f60718",
            "EndpointType":"load-balancer","AttachmentType":"vpc","ApplicationDomain":"payroll.example.com",
            "DomainCertificateArn":"arn:aws:acm:us-east-1:111122223333:certificate/1","EndpointDomainPrefix":"payroll",
            "LoadBalancerOptions":{"LoadBalancerArn":"arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/payroll-internal/50dc6c495c0c9188","Port":443,"Protocol":"https"}}}"#;
        match eval(&VerifiedAccessOpened, &call(CREATE_ENDPOINT, params)) {
            Some(Signal::Fire(e)) => {
                assert_eq!(e.get("application_domain"), Some(&serde_json::json!("payroll.example.com")));
                assert_eq!(e.get("endpoint_type"), Some(&serde_json::json!("load-balancer")));
            }
            other => panic!("expected a finding, got {other:?}"),
        }
        assert!(!fires(&VerifiedAccessOpened, &record(EC2, CREATE_ENDPOINT, ROLE, params, DENIED)));
        assert!(!fires(&VerifiedAccessOpened, &record(EC2, CREATE_ENDPOINT, SERVICE, params, "")));
        assert!(!fires(&VerifiedAccessOpened, &call("DeleteVerifiedAccessEndpoint", params)));
    }

    #[test]
    fn a_trust_provider_attached_or_pointed_elsewhere_fires() {
        let attach = r#"{"AttachVerifiedAccessTrustProviderRequest":{"VerifiedAccessInstanceId":"vai-0a1b2c3d4e5f60718","VerifiedAccessTrustProviderId":"vatp-0f1e2d3c4b5a69788"}}"#;
        assert!(fires(&VerifiedAccessOpened, &call(ATTACH_PROVIDER, attach)));
        let moved = r#"{"ModifyVerifiedAccessTrustProviderRequest":{"VerifiedAccessTrustProviderId":"vatp-0f1e2d3c4b5a69788",
            "OidcOptions":{"Issuer":"https://idp.attacker.example","AuthorizationEndpoint":"https://idp.attacker.example/authorize"}}}"#;
        match eval(&VerifiedAccessOpened, &call(MODIFY_PROVIDER, moved)) {
            Some(Signal::Fire(e)) => assert_eq!(e.get("issuer"), Some(&serde_json::json!("https://idp.attacker.example"))),
            other => panic!("expected a finding, got {other:?}"),
        }
        let scope_only = r#"{"ModifyVerifiedAccessTrustProviderRequest":{"VerifiedAccessTrustProviderId":"vatp-1","OidcOptions":{"Scope":"openid email"}}}"#;
        assert!(!fires(&VerifiedAccessOpened, &call(MODIFY_PROVIDER, scope_only)));
        let description = r#"{"ModifyVerifiedAccessTrustProviderRequest":{"VerifiedAccessTrustProviderId":"vatp-1","Description":"corp"}}"#;
        assert!(!fires(&VerifiedAccessOpened, &call(MODIFY_PROVIDER, description)));
        // From a third evasion review: where the claims come from, and a device
        // provider's signing key.
        for options in [
            r#""OidcOptions":{"TokenEndpoint":"https://idp.attacker.example/token"}"#,
            r#""OidcOptions":{"UserInfoEndpoint":"https://idp.attacker.example/userinfo"}"#,
            r#""DeviceOptions":{"PublicSigningKeyUrl":"https://keys.attacker.example/jwks"}"#,
        ] {
            let request = format!(r#"{{"ModifyVerifiedAccessTrustProviderRequest":{{"VerifiedAccessTrustProviderId":"vatp-1",{options}}}}}"#);
            assert!(fires(&VerifiedAccessOpened, &call(MODIFY_PROVIDER, &request)), "{options}");
        }
        let blank = r#"{"ModifyVerifiedAccessTrustProviderRequest":{"VerifiedAccessTrustProviderId":"vatp-1","OidcOptions":{"TokenEndpoint":" "}}}"#;
        assert!(!fires(&VerifiedAccessOpened, &call(MODIFY_PROVIDER, blank)));
    }

    /// From a third evasion review: an instance's access logs switched off.
    #[test]
    fn access_logs_switched_off_fire() {
        let logging = |logs: &str| {
            call(LOGGING, &format!(r#"{{"ModifyVerifiedAccessInstanceLoggingConfigurationRequest":{{"VerifiedAccessInstanceId":"vai-0a1b","AccessLogs":{logs}}}}}"#))
        };
        assert!(fires(&VerifiedAccessOpened, &logging(r#"{"S3":{"Enabled":false},"CloudWatchLogs":{"Enabled":false},"KinesisDataFirehose":{"Enabled":false}}"#)));
        assert!(fires(&VerifiedAccessOpened, &logging(r#"{"CloudWatchLogs":{"Enabled":"false"}}"#)));
        assert!(!fires(&VerifiedAccessOpened, &logging(r#"{"S3":{"Enabled":false},"CloudWatchLogs":{"Enabled":true,"LogGroup":"va-logs"}}"#)));
        assert!(!fires(&VerifiedAccessOpened, &logging(r#"{"IncludeTrustContext":true}"#)));
    }

    #[test]
    fn a_policy_that_lets_everyone_in_fires_and_a_conditional_one_does_not() {
        let policy = |name: &str, doc: &str, enabled: &str| {
            let doc = serde_json::to_string(doc).unwrap();
            call(name, &format!(r#"{{"{name}Request":{{"VerifiedAccessGroupId":"vagr-1","VerifiedAccessEndpointId":"vae-1","PolicyEnabled":{enabled},"PolicyDocument":{doc}}}}}"#))
        };
        let open = "permit(principal, action, resource);";
        assert!(fires(&VerifiedAccessOpened, &policy(GROUP_POLICY, open, "true")));
        assert!(fires(&VerifiedAccessOpened, &policy(ENDPOINT_POLICY, "// everyone\npermit ( principal,action,resource )\n;", "true")));
        let grouped = r#"permit(principal, action, resource) when { context.idc.groups has "c242c5b0-6081-1845-6fa8-6e0d9513c107" };"#;
        assert!(!fires(&VerifiedAccessOpened, &policy(GROUP_POLICY, grouped, "true")));
        let guarded = "permit(principal, action, resource);\nforbid(principal, action, resource) unless { context.oidc.email_verified == true };";
        assert!(!fires(&VerifiedAccessOpened, &policy(GROUP_POLICY, guarded, "true")));
        assert!(!fires(&VerifiedAccessOpened, &policy(GROUP_POLICY, open, "false")));
        // From a third evasion review: a constant condition is worked out.
        for constant in [
            "permit(principal, action, resource) when { 1 == 1 };",
            "permit(principal, action, resource) when { !false };",
            r#"permit(principal, action, resource) when { "a" == "a" };"#,
            "permit(principal, action, resource);\nforbid(principal, action, resource) when { 1 == 2 };",
        ] {
            assert!(fires(&VerifiedAccessOpened, &policy(GROUP_POLICY, constant, "true")), "{constant}");
        }
        let deep = format!("permit(principal, action, resource) when {{ {}true }};", "!".repeat(30_000));
        assert!(fires(&VerifiedAccessOpened, &policy(GROUP_POLICY, &deep, "true")));
        assert!(fires(&VerifiedAccessOpened, &policy(GROUP_POLICY, "permit(principal, action, resource) when { !(1 == 2) };", "true")));
        // From a review of that change: a constant false is false.
        for never in [
            "permit(principal, action, resource) when { 1 == 2 };",
            "permit(principal, action, resource) when { !true };",
            "permit(principal, action, resource);\nforbid(principal, action, resource) unless { 1 == 2 };",
            "permit(principal, action, resource) when { 1 == 1 && context.x };",
            // From a review: `!` binds tighter than `==`; and thirty thousand of
            // them are read in a loop, not on the stack.
            "permit(principal, action, resource) when { !1 == 2 };",
        ] {
            assert!(!fires(&VerifiedAccessOpened, &policy(GROUP_POLICY, never, "true")), "{never}");
        }
        let reads = r#"permit(principal, action, resource) when { context.http_request.http_method == "GET" };"#;
        assert!(!fires(&VerifiedAccessOpened, &policy(GROUP_POLICY, reads, "true")));
    }

    #[test]
    fn cedar_is_read_with_care() {
        assert!(permits_everyone("permit(principal,action,resource);"));
        // From a review: a literal condition is no condition.
        assert!(permits_everyone("permit(principal,action,resource) when { true };"));
        assert!(!permits_everyone("permit(principal,action,resource) when { false };"));
        assert!(!permits_everyone("permit(principal,action,resource) when { context.http_request.http_method == \"GET\" };"));
        // A forbid that can never apply does not fence anything.
        assert!(permits_everyone("permit(principal,action,resource);\nforbid(principal,action,resource) when { false };"));
        assert!(!permits_everyone("permit(principal,action,resource);\nforbid(principal,action,resource) unless { context.oidc.email_verified == true };"));
        assert!(!permits_everyone("// permit(principal,action,resource);"));
        assert!(!permits_everyone("permit(principal"));
        assert!(!permits_everyone(""));
    }
}
