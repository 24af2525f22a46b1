//! An AWS CLI call sent through an overridden endpoint (`--endpoint-url`,
//! `AWS_ENDPOINT_URL*`, `endpoint_url` in the config), as far as CloudTrail can see it.
//!
//! Scope, as the seed decision for #1 states it: the user agent starts with
//! `aws-cli/`. CloudTrail writes the user agents of S3 calls in square brackets
//! (`[aws-cli/2.18.5 ...]`), so S3 calls are outside this detection as specified; a
//! known gap, kept so that its findings stay those the decision defines.

use serde_json::Value;

use crate::detection::{Detection, Evidence, Meta, Severity, Signal, Trigger, fire};
use crate::detections::common::with_error;
use crate::event::Record;
use crate::event::prefilter::{Needle, Peek, unique_field};

pub struct AwsCliCustomEndpointUrl;

pub static META: Meta = Meta {
    id: "aws-cli-custom-endpoint-url",
    title: "AWS CLI Command with Custom Endpoint URL",
    description: "An AWS CLI call reached AWS through an endpoint the user chose instead of the \
                  default one: the CLI's user agent carries the endpoint-override feature code N, \
                  or the Host header names something other than a regular AWS endpoint (including \
                  VPC-endpoint-specific vpce names). Attackers point the CLI at endpoints of their \
                  own to move data or hide traffic; calls sent to non-AWS endpoints never reach \
                  CloudTrail at all, so this only sees overrides that still land on AWS.",
    severity: Severity::Medium,
    attack: &["T1102", "T1102.002"],
    origins: &["Elastic detection-rules rules/linux/command_and_control_aws_cli_endpoint_url_used.toml \
             (349276c0-5fcf-11ef-b1a9-f661ea17fbce), which reads process events; re-expressed on \
             CloudTrail per the trailwatch decision for #1"],
    group: "cli-endpoint",
    false_positives: &[
        "Developers and test stacks that set a custom endpoint (LocalStack, MinIO, S3-compatible storage).",
        "Networks that reach AWS through VPC interface endpoints addressed by their vpce DNS names.",
        "FIPS, dual-stack or cross-Region endpoints configured on purpose in AWS_ENDPOINT_URL or the CLI config.",
        "Proxies and integrations that require an explicit endpoint.",
    ],
    next_steps: "Look at the host header and the CLI command in the evidence: is the endpoint one \
                 your team configures (VPC endpoint, FIPS, a proxy)? Ask the caller, check the \
                 machine behind the source address for `--endpoint-url` or AWS_ENDPOINT_URL \
                 settings, and remember that any call it sent to a non-AWS endpoint left no \
                 CloudTrail record: host telemetry is the only place to see those.",
    // Read-only calls too (`aws s3 ls`, `aws sts get-caller-identity`): the rule runs
    // with all management events, so its pattern must stay this narrow.
    evidence: "cli_command error_code error_message event_source host_header signals ua_features \
        vpc_endpoint_id",
    triggers: &[Trigger::UserAgentMatching {
        prefix: CLI_PREFIX,
        detail_alternatives: EVENTBRIDGE_ALTERNATIVES,
    }],
    window: None,
};

const CLI_PREFIX: &str = "aws-cli/";

/// What EventBridge lets through: a superset of what `evaluate` fires on.
/// 1. The override code: a token `m/<codes>` whose comma-separated codes include
///    `N`. Either N comes first (`m/N`) or it follows a comma after `m/`; the `*`s
///    span any separator, so tabs or odd spacing cannot slip past.
/// 2. A Host header that is not a regular AWS endpoint: any name not ending in
///    `.amazonaws.com` (other case, a port, a trailing dot and `*.api.aws` names
///    pass to the function, which decides), plus the names ending in it that are
///    still odd: `*.vpce.amazonaws.com`, empty labels, underscores. Names with other
///    characters DNS does not allow (`/`, spaces) but ending in `.amazonaws.com` are
///    not forwarded: AWS's endpoints do not answer to such Host names.
const EVENTBRIDGE_ALTERNATIVES: &str = r#"[
    {"userAgent": [{"wildcard": "aws-cli/*m/N*"}, {"wildcard": "aws-cli/*m/*,N*"}]},
    {"userAgent": [{"prefix": "aws-cli/"}],
     "tlsDetails": {"clientProvidedHostHeader": [
        {"anything-but": {"suffix": ".amazonaws.com"}},
        {"wildcard": "*.vpce.amazonaws.com"}, {"wildcard": "*..*"}, {"wildcard": "*_*"}]}}
]"#;

/// botocore's feature code for ENDPOINT_OVERRIDE (case-sensitive: `n` is another feature).
const ENDPOINT_OVERRIDE_CODE: &str = "N";

impl Detection for AwsCliCustomEndpointUrl {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn evaluate(&self, rec: &Record<'_>) -> Option<Signal> {
        let ua = rec.user_agent()?;
        if !ua.starts_with(CLI_PREFIX) {
            return None;
        }
        let flag = feature_lists(ua)
            .any(|list| list.split(',').any(|code| code == ENDPOINT_OVERRIDE_CODE));
        let host_header = rec.host_header();
        let odd_host = host_header.is_some_and(|h| !is_standard_aws_endpoint(&host_name(h)));
        if !flag && !odd_host {
            return None;
        }

        let features: Vec<&str> = feature_lists(ua).collect();
        let mut signals = Vec::new();
        if flag {
            signals.push("endpoint_override_feature");
        }
        if odd_host {
            signals.push("non_standard_host_header");
        }
        let evidence = Evidence::new()
            .with("signals", signals)
            // As the finding shows it (trimmed, cut), so that the text shows it once.
            .with_opt(
                "event_source",
                crate::finding::event_source(rec).map(std::borrow::Cow::into_owned),
            )
            .with_opt("host_header", host_header)
            .with_opt(
                "ua_features",
                (!features.is_empty()).then(|| Value::from(features.join(" "))),
            )
            .with_opt("cli_command", cli_command(ua))
            .with_opt(
                "vpc_endpoint_id",
                rec.vpc_endpoint_id.as_deref().filter(|s| !s.is_empty()),
            );
        fire(with_error(evidence, rec))
    }

    /// Every aws-cli call is routed here; most carry neither signal. The user agent
    /// and host header are plain strings in the bytes (no escapes: the peek gave up
    /// otherwise), so both signals can be checked before parsing.
    fn may_match_raw(&self, peek: &Peek<'_>, json: &[u8]) -> bool {
        let Some(ua) = peek.user_agent else {
            return false;
        };
        if !ua.starts_with(CLI_PREFIX) {
            return false;
        }
        let flag = feature_lists(ua)
            .any(|list| list.split(',').any(|code| code == ENDPOINT_OVERRIDE_CODE));
        static HOST_HEADER: Needle = Needle::new("\"clientProvidedHostHeader\"");
        flag || match unique_field(json, &HOST_HEADER) {
            Some(None) => false,
            Some(Some(h)) => !is_standard_aws_endpoint(&host_name(h)),
            None => true,
        }
    }
}

/// The values of the `m/<codes>` tokens of a user agent (normally one).
/// Found from the `m`s of the agent rather than by splitting all of it: this runs
/// on every aws-cli record before it is parsed.
fn feature_lists(ua: &str) -> impl Iterator<Item = &str> {
    let bytes = ua.as_bytes();
    memchr::memchr_iter(b'm', bytes)
        .filter(move |&at| {
            bytes.get(at + 1) == Some(&b'/')
                && (at == 0 || bytes[at - 1].is_ascii_whitespace())
        })
        .map(move |at| {
            let rest = &ua[at + 2..];
            let end = rest
                .bytes()
                .position(|b| b.is_ascii_whitespace())
                .unwrap_or(rest.len());
            &rest[..end]
        })
}

/// The CLI command from `md/command#<service>.<op>` (CLI v2, ua/2.1), else from the
/// older `command/<service>.<op>` token.
fn cli_command(ua: &str) -> Option<&str> {
    let tokens = || ua.split_ascii_whitespace();
    tokens()
        .find_map(|t| t.strip_prefix("md/command#"))
        .or_else(|| tokens().find_map(|t| t.strip_prefix("command/")))
        .filter(|c| !c.is_empty())
}

/// The host name of a Host header: surrounding space, a `:port` and one trailing dot
/// removed, lowercased. A bracketed IPv6 literal gives the address inside.
fn host_name(header: &str) -> std::borrow::Cow<'_, str> {
    let h = header.trim();
    let host = if let Some(rest) = h.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else if h.matches(':').count() == 1 {
        h.split(':').next().unwrap_or(h)
    } else {
        // No port, or a bare IPv6 literal (several colons): keep it whole.
        h
    };
    let host = host.strip_suffix('.').unwrap_or(host);
    // Hosts are nearly always lowercase already: copy only when they are not.
    if host.bytes().any(|b| b.is_ascii_uppercase()) {
        host.to_ascii_lowercase().into()
    } else {
        host.into()
    }
}

/// The domains of the regular AWS endpoint names, one or two per partition:
/// commercial and GovCloud, China (`cn-*`, and its dual-stack domain), and the
/// ISO Regions.
const AWS_ENDPOINT_DOMAINS: [&str; 6] = [
    ".amazonaws.com",
    ".api.aws",
    ".amazonaws.com.cn",
    ".api.amazonwebservices.com.cn",
    ".c2s.ic.gov",
    ".sc2s.sgov.gov",
];

/// True for the regular AWS endpoint names (under [`AWS_ENDPOINT_DOMAINS`]),
/// except the endpoint-specific `*.vpce.<domain>` names, which only an explicit
/// override produces. Expects the output of `host_name`.
fn is_standard_aws_endpoint(host: &str) -> bool {
    let Some(name) = AWS_ENDPOINT_DOMAINS
        .iter()
        .find_map(|domain| host.strip_suffix(domain))
    else {
        return false;
    };
    if name.is_empty() || name.ends_with(".vpce") || name == "vpce" {
        return false;
    }
    // Well formed: labels of lowercase letters, digits and hyphens, none empty (the
    // suffix ends the last one).
    let mut label_start = true;
    host.bytes().all(|b| {
        let ok = if b == b'.' {
            !label_start
        } else {
            b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'
        };
        label_start = b == b'.';
        ok
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detections::common::testing::eval;

    const UA_N: &str = "aws-cli/2.27.31 md/awscrt#0.26.1 ua/2.1 os/linux#6.8.0-1029-aws md/arch#x86_64 \
                        lang/python#3.13.4 md/pyimpl#CPython m/E,N,b,Z cfg/retry-mode#standard \
                        md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#s3.ls";
    const UA_PLAIN: &str = "aws-cli/2.27.31 md/awscrt#0.26.1 ua/2.1 os/linux#6.8.0-1029-aws \
                            md/arch#x86_64 lang/python#3.13.4 md/pyimpl#CPython m/E,b,n,Z \
                            cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#s3.ls";

    fn record(ua: &str, host: Option<&str>, extra: &str) -> String {
        let tls = match host {
            Some(h) => format!(
                r#","tlsDetails":{{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"{h}"}}"#
            ),
            None => String::new(),
        };
        format!(
            r#"{{"eventVersion":"1.10","eventSource":"s3.amazonaws.com","eventName":"ListBuckets",
            "awsRegion":"us-east-1","sourceIPAddress":"198.51.100.23","userAgent":"{ua}",
            "userIdentity":{{"type":"IAMUser","principalId":"AIDAEXAMPLEID","arn":"arn:aws:iam::111122223333:user/dev",
            "accountId":"111122223333","accessKeyId":"AKIAEXAMPLEKEY","userName":"dev"}}{tls}{extra}}}"#
        )
    }

    fn evidence(json: &str) -> Option<Evidence> {
        match eval(&AwsCliCustomEndpointUrl, json) {
            Some(Signal::Fire(e)) => Some(e),
            _ => None,
        }
    }

    #[test]
    fn fires_on_the_endpoint_override_feature_code() {
        let e = evidence(&record(UA_N, Some("s3.us-east-1.amazonaws.com"), "")).unwrap();
        assert_eq!(
            e.get("signals"),
            Some(&serde_json::json!(["endpoint_override_feature"]))
        );
        assert_eq!(e.get("ua_features"), Some(&Value::from("E,N,b,Z")));
        assert_eq!(e.get("cli_command"), Some(&Value::from("s3.ls")));
        assert_eq!(
            e.get("host_header"),
            Some(&Value::from("s3.us-east-1.amazonaws.com"))
        );
        assert_eq!(
            e.get("event_source"),
            Some(&Value::from("s3.amazonaws.com"))
        );
    }

    #[test]
    fn lowercase_n_is_not_the_override_code() {
        assert!(evidence(&record(UA_PLAIN, Some("s3.us-east-1.amazonaws.com"), "")).is_none());
        assert!(evidence(&record(UA_PLAIN, None, "")).is_none());
        // A code that merely contains N is not N either.
        let ua = UA_PLAIN.replace("m/E,b,n,Z", "m/E,NN,Nb");
        assert!(evidence(&record(&ua, None, "")).is_none());
    }

    #[test]
    fn n_outside_the_feature_token_does_not_count() {
        let ua = UA_PLAIN.replace("md/prompt#off", "md/prompt#N app/N");
        assert!(evidence(&record(&ua, None, "")).is_none());
    }

    #[test]
    fn fires_on_a_vpce_host_header_even_without_the_flag() {
        let host = "vpce-0a1b2c3d4e5f60718-abcdefgh.s3.us-east-1.vpce.amazonaws.com";
        let e = evidence(&record(
            UA_PLAIN,
            Some(host),
            r#","vpcEndpointId":"vpce-0a1b2c3d4e5f60718""#,
        ))
        .unwrap();
        assert_eq!(
            e.get("signals"),
            Some(&serde_json::json!(["non_standard_host_header"]))
        );
        assert_eq!(e.get("host_header"), Some(&Value::from(host)));
        assert_eq!(
            e.get("vpc_endpoint_id"),
            Some(&Value::from("vpce-0a1b2c3d4e5f60718"))
        );
    }

    const NON_AWS_HOSTS: &[&str] = &[
        "127.0.0.1:4566",
        "localhost",
        "[2001:db8::10]:9000",
        "minio.example.net",
        "s3.us-east-1.amazonaws.com.attacker.example",
        "notamazonaws.com",
        "amazonaws.com",
        "s3.amazonaws.com.cn.example",
        ":443",
    ];
    const STANDARD_HOSTS: &[&str] = &[
        "s3.us-east-1.amazonaws.com",
        "S3.US-EAST-1.AMAZONAWS.COM",
        "iam.amazonaws.com.",
        "sts.us-west-2.amazonaws.com:443",
        "ec2-fips.us-east-1.amazonaws.com",
        "ec2.us-east-1.api.aws",
        "my-bucket.s3.eu-west-1.amazonaws.com",
        " cloudtrail.us-east-1.amazonaws.com ",
        // The other partitions: China (and its dual-stack domain), GovCloud, ISO.
        "ec2.cn-north-1.amazonaws.com.cn",
        "sts.cn-northwest-1.amazonaws.com.cn",
        "ec2.cn-north-1.api.amazonwebservices.com.cn",
        "ec2.us-gov-west-1.amazonaws.com",
        "ec2.us-iso-east-1.c2s.ic.gov",
        "ec2.us-isob-east-1.sc2s.sgov.gov",
    ];

    #[test]
    fn fires_on_non_aws_hosts() {
        for &host in NON_AWS_HOSTS {
            assert!(
                evidence(&record(UA_PLAIN, Some(host), "")).is_some(),
                "{host}"
            );
        }
    }

    #[test]
    fn standard_hosts_in_any_spelling_are_quiet() {
        for &host in STANDARD_HOSTS {
            assert!(
                evidence(&record(UA_PLAIN, Some(host), "")).is_none(),
                "{host}"
            );
        }
    }

    #[test]
    fn reports_both_signals_and_the_error_of_a_failed_call() {
        let json = record(
            UA_N,
            Some("vpce-0123456789abcdef0-wxyz.sts.us-east-1.vpce.amazonaws.com"),
            r#","errorCode":"AccessDenied","errorMessage":"User: dev is not authorized""#,
        );
        let e = evidence(&json).unwrap();
        assert_eq!(
            e.get("signals"),
            Some(&serde_json::json!([
                "endpoint_override_feature",
                "non_standard_host_header"
            ]))
        );
        assert_eq!(e.get("error_code"), Some(&Value::from("AccessDenied")));
    }

    #[test]
    fn only_cli_user_agents() {
        let boto = UA_N.replace("aws-cli/2.27.31", "Boto3/1.38.36");
        assert!(evidence(&record(&boto, Some("localhost:4566"), "")).is_none());
        let bracketed = format!("[{UA_N}]");
        assert!(evidence(&record(&bracketed, None, "")).is_none());
        let upper = UA_N.replace("aws-cli/", "AWS-CLI/");
        assert!(evidence(&record(&upper, None, "")).is_none());
        // No user agent at all, or one of the wrong type.
        let none = r#"{"eventSource":"s3.amazonaws.com","eventName":"ListBuckets",
            "tlsDetails":{"clientProvidedHostHeader":"localhost"}}"#;
        assert!(evidence(none).is_none());
        let odd = r#"{"eventSource":"s3.amazonaws.com","eventName":"ListBuckets","userAgent":["aws-cli/2"],
            "tlsDetails":{"clientProvidedHostHeader":"localhost"}}"#;
        assert!(evidence(odd).is_none());
    }

    #[test]
    fn older_cli_without_features_and_odd_tls_details() {
        let old = "aws-cli/1.18.69 Python/3.8.10 Linux/5.4.0-1045-aws botocore/1.17.92";
        assert!(evidence(&record(old, None, "")).is_none());
        assert!(evidence(&record(old, Some("ec2.us-east-1.amazonaws.com"), "")).is_none());
        assert!(evidence(&record(old, Some(""), "")).is_none());
        let e = evidence(&record(old, Some("192.0.2.10"), "")).unwrap();
        assert!(e.get("ua_features").is_none());
        let weird_tls = format!(
            r#"{{"eventSource":"s3.amazonaws.com","eventName":"ListBuckets","userAgent":"{old}","tlsDetails":null}}"#
        );
        assert!(evidence(&weird_tls).is_none());
    }

    #[test]
    fn older_command_token_is_used_for_the_command() {
        let ua = "aws-cli/2.13.0 Python/3.11.4 Linux/5.15.0 exe/x86_64.ubuntu.22 prompt/off command/ec2.describe-instances";
        let e = evidence(&record(ua, Some("localhost:4566"), "")).unwrap();
        assert_eq!(
            e.get("cli_command"),
            Some(&Value::from("ec2.describe-instances"))
        );
    }

    #[test]
    fn host_name_normalisation() {
        assert_eq!(
            host_name("EC2.us-east-1.AmazonAWS.com.:443"),
            "ec2.us-east-1.amazonaws.com"
        );
        assert_eq!(host_name("[::1]:4566"), "::1");
        assert_eq!(host_name("2001:db8::1"), "2001:db8::1");
        assert!(!is_standard_aws_endpoint(".amazonaws.com"));
        assert!(!is_standard_aws_endpoint("a..amazonaws.com"));
        assert!(!is_standard_aws_endpoint("x.vpce.amazonaws.com"));
        assert!(!is_standard_aws_endpoint("vpce-0a1-b2.ec2.cn-north-1.vpce.amazonaws.com.cn"));
        assert!(!is_standard_aws_endpoint(".amazonaws.com.cn"));
        assert!(!is_standard_aws_endpoint("c2s.ic.gov"));
        assert!(!is_standard_aws_endpoint("evil.example/x.amazonaws.com"));
        assert!(is_standard_aws_endpoint("sqs.ap-southeast-2.amazonaws.com"));
        assert!(is_standard_aws_endpoint("bedrock-runtime.us-west-2.api.aws"));
        assert!(!is_standard_aws_endpoint("Sqs.amazonaws.com"));
        assert!(!is_standard_aws_endpoint("sqs_1.amazonaws.com"));
        assert!(!is_standard_aws_endpoint("amazonaws.com"));
        assert!(!is_standard_aws_endpoint("sqs.amazonaws.com.evil"));
    }

    /// The `m/` tokens, as splitting the agent at ASCII white space gives them.
    #[test]
    fn feature_lists_are_the_m_tokens() {
        fn by_split(ua: &str) -> Vec<&str> {
            ua.split_ascii_whitespace()
                .filter_map(|t| t.strip_prefix("m/"))
                .collect()
        }
        for ua in [
            UA_N,
            UA_PLAIN,
            "m/N",
            "m/",
            "aws-cli/2.0 m/",
            "aws-cli/2.0 xm/N am/N m/A,B\tm/N\r\nm/Z m",
            "aws-cli/2.0\x0cm/N md/m/N",
            "",
            "mmm m/m/m m//",
        ] {
            assert_eq!(feature_lists(ua).collect::<Vec<_>>(), by_split(ua), "{ua:?}");
        }
    }

    #[test]
    fn raw_precheck_agrees_with_evaluate() {
        use crate::event::prefilter::peek;
        let cases = [
            (
                r#"{"eventSource":"s3.amazonaws.com","eventName":"ListBuckets","userAgent":"aws-cli/2.27.40 ua/2.1 m/E,N,b"}"#,
                true,
            ),
            (
                r#"{"eventSource":"s3.amazonaws.com","eventName":"ListBuckets","userAgent":"aws-cli/2.27.40 ua/2.1 m/E,b"}"#,
                false,
            ),
            (
                r#"{"eventSource":"s3.amazonaws.com","eventName":"ListBuckets","userAgent":"aws-cli/2.27.40 m/E","tlsDetails":{"clientProvidedHostHeader":"s3.us-east-1.amazonaws.com"}}"#,
                false,
            ),
            (
                r#"{"eventSource":"s3.amazonaws.com","eventName":"ListBuckets","userAgent":"aws-cli/2.27.40 m/E","tlsDetails":{"clientProvidedHostHeader":"minio.example.net:9000"}}"#,
                true,
            ),
            (
                r#"{"eventSource":"s3.amazonaws.com","eventName":"ListBuckets","userAgent":"Boto3/1.35 m/N"}"#,
                false,
            ),
        ];
        for (json, expected) in cases {
            let p = peek(json.as_bytes()).expect("plain record");
            assert_eq!(
                AwsCliCustomEndpointUrl.may_match_raw(&p, json.as_bytes()),
                expected,
                "{json}"
            );
            let rec = Record::from_json(json).unwrap();
            assert_eq!(
                AwsCliCustomEndpointUrl.evaluate(&rec).is_some(),
                expected,
                "{json}"
            );
        }
    }

    /// The EventBridge pattern is a superset of `evaluate` (and narrow): every
    /// record built here, firing or not, is checked against it.
    #[test]
    fn eventbridge_pattern_takes_every_call_that_fires() {
        use crate::rules::matcher::matches;
        let alts: Value = serde_json::from_str(EVENTBRIDGE_ALTERNATIVES).unwrap();
        let pattern = serde_json::json!({"detail": {"$or": alts}});
        // A JSON-escaped tab between the tokens.
        let tab_ua = UA_N.replace(' ', "\\t");
        let mut cases: Vec<String> = vec![
            record(UA_N, None, ""),
            record(&UA_PLAIN.replace("m/E,b,n,Z", "m/N"), None, ""),
            record(&UA_PLAIN.replace("m/E,b,n,Z", "m/E,N"), None, ""),
            record(&tab_ua, None, ""),
            record(UA_PLAIN, Some(""), ""),
            record(UA_PLAIN, None, ""),
            record(&UA_PLAIN.replace("m/E,b,n,Z", "m/E,NN,Nb"), None, ""),
            record("aws-cli/1.18.69 Python/3.8.10 Linux/5.4.0-1045-aws botocore/1.17.92", None, ""),
        ];
        let odd = [
            "a..amazonaws.com",
            "my_bucket.s3.amazonaws.com",
            "vpce-0a1b2c3d4e5f60718-abcdefgh.s3.us-east-1.vpce.amazonaws.com",
            "X.VPCE.AMAZONAWS.COM",
        ];
        for host in NON_AWS_HOSTS.iter().chain(STANDARD_HOSTS).chain(&odd) {
            cases.push(record(UA_PLAIN, Some(host), ""));
        }
        let mut fired = 0;
        let mut quiet_and_dropped = 0;
        for json in &cases {
            let event = serde_json::json!({"detail": serde_json::from_str::<Value>(json).unwrap()});
            let passes = matches(&pattern, &event).unwrap();
            if evidence(json).is_some() {
                fired += 1;
                assert!(passes, "fires but EventBridge would drop it: {json}");
            } else if !passes {
                quiet_and_dropped += 1;
            }
        }
        assert!(fired >= 12, "{fired}");
        // Narrow: the quiet ordinary calls are dropped in AWS already.
        assert!(quiet_and_dropped >= 4, "{quiet_and_dropped}");
        let boto = record(&UA_N.replace("aws-cli/2.27.31", "Boto3/1.38.36"), Some("localhost"), "");
        let event = serde_json::json!({"detail": serde_json::from_str::<Value>(&boto).unwrap()});
        assert!(!matches(&pattern, &event).unwrap());
    }
}
