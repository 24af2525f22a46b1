//! Who made the call: an AWS service, the web console, a deployment or
//! infrastructure-as-code tool, a long-term or session key, an instance profile.

use crate::event::Record;
use crate::event::prefilter::Needle;

use super::general::source_ip_literal;

/// The filter Elastic applies to its CloudWatch deletion rules: a human or script
/// calling from an IP address, not an AWS service acting on its own.
/// A user-driven service's call ([`user_driven_call`]) counts as its user's,
/// though its source is the service's name.
pub fn called_from_ip_not_aws_internal(rec: &Record) -> bool {
    (source_ip_literal(rec).is_some() || user_driven_call(rec))
        && rec.user_agent() != Some("AWS Internal")
}

/// A root session opened by AWS Organizations' centralized root access
/// (`sts:AssumeRoot`): CloudTrail marks it `sessionContext.assumedRoot` "true".
pub fn centralized_root_session(rec: &Record) -> bool {
    rec.identity()
        .and_then(|i| i.session_context.as_ref())
        .and_then(|s| s.assumed_root.as_deref())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// An AWS service acting on its own or on a caller's behalf (`userIdentity.type`
/// `AWSService`, a session of a service-linked role, or `invokedBy` naming a
/// service such as `backup.amazonaws.com`). The
/// console's own `signin.amazonaws.com` and `console.amazonaws.com` are not services
/// here: CloudTrail names them for calls a person made in the web console; nor
/// are the services that make whatever call their user chose
/// ([`USER_DRIVEN_SERVICES`]).
pub fn aws_service_caller(rec: &Record) -> bool {
    aws_service_or_linked_role(rec) || rec.invoked_by().is_some_and(service_host)
}

/// Services that make the API calls their user chose, with the user's role or
/// credentials, and whose name AWS then writes as the call's `invokedBy`, source
/// and agent: a Step Functions state machine's AWS SDK tasks
/// (`states.amazonaws.com`), an EventBridge Scheduler schedule's universal
/// target (`scheduler.amazonaws.com`), a Systems Manager Automation runbook's
/// `aws:executeAwsApi` steps (`ssm.amazonaws.com`; AWS documents that a runbook
/// started without a role runs in the context of its user), and a role's
/// credentials handed to an AppStream streaming session, whose calls carry the
/// source `appstream.amazonaws.com` (a published CloudTrail blind spot), and the
/// Cloud Control API's calls to the service that owns a resource it creates,
/// changes or deletes for its caller (`cloudcontrolapi.amazonaws.com`, from an
/// evasion review; `cloudcontrol-defence-resource-changed` reports the request). Their
/// calls are their author's own acts, as a script's are: anyone allowed to
/// create a state machine, schedule, runbook or image builder and pass it a
/// role could otherwise take every call past each detection that leaves AWS
/// services out (from reviews: an ACM private key exported by a state
/// machine went unreported).
pub const USER_DRIVEN_SERVICES: &[&str] = &[
    "states.amazonaws.com",
    "scheduler.amazonaws.com",
    "ssm.amazonaws.com",
    "appstream.amazonaws.com",
    "cloudcontrolapi.amazonaws.com",
];

/// The call was one a user-driven service made for its user: not an
/// `AWSService` identity, and `invokedBy` or the source one of
/// [`USER_DRIVEN_SERVICES`] (both written by AWS). Its source address and agent
/// are then the service's name, and are not the service acting on its own
/// either.
///
/// A session of a service-linked role (`/aws-service-role/`, which only its
/// service can assume: a maintenance window's task run without a role of its
/// own) is the service's, as everywhere else ([`aws_service_or_linked_role`]).
pub fn user_driven_call(rec: &Record) -> bool {
    !aws_service_or_linked_role(rec)
        && (rec
            .invoked_by()
            .is_some_and(|s| USER_DRIVEN_SERVICES.contains(&s))
            || rec
                .source_ip()
                .is_some_and(|s| USER_DRIVEN_SERVICES.contains(&s.trim())))
}

/// The user agent is a user-driven service's name alone, as AWS writes it for
/// the calls the service makes for its user (a state machine's, a runbook's).
/// Raw checks that rule out service agents let these through, as the
/// detections' exemptions do.
pub fn user_driven_agent(user_agent: Option<&str>) -> bool {
    user_agent.is_some_and(|ua| USER_DRIVEN_SERVICES.contains(&ua.trim()))
}

/// An `invokedBy` that names an AWS service acting for the caller: a
/// `*.amazonaws.com` host other than the console's and the user-driven
/// services'.
fn service_host(invoked_by: &str) -> bool {
    invoked_by.ends_with(".amazonaws.com")
        && !matches!(invoked_by, "signin.amazonaws.com" | "console.amazonaws.com")
        && !USER_DRIVEN_SERVICES.contains(&invoked_by)
}

/// The caller is an AWS service: an `AWSService` identity, or a session of a
/// service-linked role (path `/aws-service-role/`), which only its service can
/// assume: GuardDuty's malware scans share the snapshots they take with GuardDuty's
/// own account through `AWSServiceRoleForAmazonGuardDutyMalwareProtection`.
pub fn aws_service_or_linked_role(rec: &Record) -> bool {
    rec.identity_type() == Some("AWSService")
        || rec
            .session_issuer_arn()
            .is_some_and(service_linked_role_arn)
}

/// A service-linked role's ARN: its resource (after the ARN's fifth colon)
/// starts with `role/aws-service-role/`, a path IAM keeps for them. The path
/// anywhere else is not enough: a path of one's own may hold colons
/// (`/x:role/aws-service-role/`), so a role anyone can create would read as
/// AWS's (from a review).
pub fn service_linked_role_arn(arn: &str) -> bool {
    service_linked_role_of(arn).is_some()
}

/// The part of a service-linked role's ARN after `role/aws-service-role/`
/// (`ssm.amazonaws.com/AWSServiceRoleForAmazonSSM`): its service, then its
/// name. `None` for any other ARN ([`service_linked_role_arn`]).
pub fn service_linked_role_of(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    if parts.next() != Some("arn") {
        return None;
    }
    parts.nth(4)?.strip_prefix("role/aws-service-role/")
}

/// [`aws_service_caller`], less the calls a CloudFormation stack made for its caller:
/// for launches and other acts where a stack is only another way for the person to do
/// the same thing, while Auto Scaling, fleets and managed node groups launch from
/// configuration reviewed beforehand.
pub fn aws_service_caller_but_stack(rec: &Record) -> bool {
    aws_service_caller(rec) && rec.invoked_by() != Some("cloudformation.amazonaws.com")
}

/// An `AWSService` identity, or a call that one of `services` made for someone
/// (`invokedBy`). For the detections where a call another service made on a
/// person's behalf (a CloudFormation stack creating or deleting the resource) is the
/// same act as the person's own: they leave out only the services named.
pub fn aws_service_among(rec: &Record, services: &[&str]) -> bool {
    rec.identity_type() == Some("AWSService")
        || rec.invoked_by().is_some_and(|s| services.contains(&s))
}

/// A call AWS Backup or Data Lifecycle Manager made for a copy to another
/// account (`invokedBy`, which AWS writes): each copy shares the snapshot or
/// image with the destination, then takes the share back. The configuration
/// behind it is `backup-copied-to-another-account`'s to report; the share
/// detections leave such shares to one account out (from an evasion review:
/// every nightly copy to a backup account fired at high).
pub fn backup_service_copy(rec: &Record) -> bool {
    matches!(
        rec.invoked_by(),
        Some("backup.amazonaws.com" | "dlm.amazonaws.com")
    )
}

/// The call was made by a CloudFormation stack for its caller (`invokedBy` or
/// `sourceIPAddress` `cloudformation.amazonaws.com`: AWS writes both, the caller
/// cannot). A stack's changes are reviewed with its template. Tools that call
/// the APIs themselves (Terraform, Pulumi, eksctl, the CDK's hot swaps) are not
/// recognised here by their user agent: the agent is the caller's to set, and one
/// environment variable (`AWS_EXECUTION_ENV`) or SDK setting puts any tool's name
/// in it. A known deployer is exempted in the tuning file by its role
/// (`userIdentity.arn`), which the caller cannot choose.
pub fn stack_deployment_caller(rec: &Record) -> bool {
    rec.invoked_by() == Some("cloudformation.amazonaws.com")
        || rec.source_ip() == Some("cloudformation.amazonaws.com")
}

/// `userIdentity.accessKeyId`, when present and not empty.
pub fn access_key_id<'r>(rec: &'r Record) -> Option<&'r str> {
    rec.identity()?
        .access_key_id
        .as_deref()
        .filter(|k| !k.is_empty())
}

/// A user agent of the AWS CLI. CloudTrail writes S3's user agents in square
/// brackets (`[aws-cli/2.18.5 ... md/command#s3.ls]`), other services' bare.
pub fn is_aws_cli_agent(ua: &str) -> bool {
    ua.strip_prefix('[').unwrap_or(ua).starts_with("aws-cli/")
}

/// The caller holds a long-term IAM access key (`AKIA...`), the kind that leaks in
/// code and is resold; session keys start with `ASIA`.
pub fn uses_long_term_key(rec: &Record) -> bool {
    access_key_id(rec).is_some_and(|k| k.starts_with("AKIA"))
}

/// The call was made with a key an IAM user (or root) holds outside the console: its
/// long-term key, or session keys it got for itself with `GetSessionToken` (the
/// identity stays the user) or `GetFederationToken` (a federated user whose
/// session the user issued), which is how a leaked key is often used so that its
/// `AKIA` id appears once; or a Bedrock API key, a bearer token tied to an IAM
/// user that CloudTrail marks with `additionalEventData.callWithBearerToken` (it may
/// carry no access key id). The console's own sessions are left out.
pub fn user_key_outside_console(rec: &Record) -> bool {
    uses_long_term_key(rec)
        || (user_or_root_session(rec)
            && (access_key_id(rec).is_some() || bearer_token_call(rec))
            && !rec.from_console_session())
}

/// The call was made with a Bedrock API key: `callWithBearerToken` true (as a
/// boolean or as text).
fn bearer_token_call(rec: &Record) -> bool {
    match rec.additional_data("callWithBearerToken") {
        Some(serde_json::Value::Bool(b)) => *b,
        Some(serde_json::Value::String(s)) => s.trim().eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// The caller is an IAM user or the root user, or a federated user one of them
/// issued (`GetFederationToken`).
fn user_or_root_session(rec: &Record) -> bool {
    match rec.identity_type() {
        Some("IAMUser" | "Root") => true,
        Some("FederatedUser") => matches!(rec.session_issuer_type(), Some("IAMUser" | "Root")),
        _ => false,
    }
}

/// An EC2 instance id: `i-` and 8 (older instances) or 17 lowercase hex digits. A
/// session merely named `i-am-bob` is a person's, not an instance's.
pub fn is_instance_id(s: &str) -> bool {
    s.strip_prefix("i-").is_some_and(|hex| {
        matches!(hex.len(), 8 | 17) && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

/// The EventBridge detail that narrows a rule to calls made as an IAM user, the root
/// user or a federated user: the only callers [`user_key_outside_console`] can accept.
pub const USER_OR_ROOT_DETAIL: &str =
    r#"{"userIdentity":{"type":["FederatedUser","IAMUser","Root"]}}"#;

/// The caller is an EC2 instance using its instance-profile role: an assumed-role
/// session named after the instance (`principalId` `AROA...:i-0abc...`, ARN
/// `.../assumed-role/<role>/i-0abc...`), or one whose `inScopeOf` says its
/// credentials were issued to an instance (AWS writes it; a review of identity
/// shapes asked that it be read).
pub fn uses_instance_credentials(rec: &Record) -> bool {
    let Some(u) = rec.identity() else {
        return false;
    };
    let session_is_instance = |s: Option<&str>, sep: char| {
        s.and_then(|s| s.rsplit_once(sep))
            .is_some_and(|(_, session)| is_instance_id(session))
    };
    rec.identity_type() == Some("AssumedRole")
        && (session_is_instance(u.principal_id.as_deref(), ':')
            || session_is_instance(u.arn.as_deref(), '/')
            || rec.credentials_of_ec2_instance())
}

/// For raw checks: the bytes may hold an EC2 instance-profile session (see
/// [`uses_instance_credentials`]): `AssumedRole` and an `i-` right after a `/` or
/// a `:` (an escaped `\/` still puts the `/` right before it).
pub fn raw_may_use_instance_credentials(json: &[u8]) -> bool {
    static ASSUMED_ROLE: Needle = Needle::new("AssumedRole");
    static INSTANCE_ID: Needle = Needle::new("i-");
    ASSUMED_ROLE.is_in(json)
        && INSTANCE_ID
            .finder()
            .find_iter(json)
            .any(|at| at > 0 && matches!(json[at - 1], b'/' | b':'))
}

/// The call was made by AWS itself or through the web console: an AWS service
/// identity or `invokedBy`, a `*.amazonaws.com` or `AWS Internal` user agent, a
/// source that is a service name instead of an address, or a console session's
/// credentials (`sessionCredentialFromConsole`) used by a browser (newer console
/// pages call with the browser's own agent, [`browser_agent`]). Console pages issue
/// dozens of reads per click, and services read on their own schedule. A console
/// session's credentials used by the CLI or an SDK (CloudShell, or credentials
/// copied out of it) are not the console. The agent is the caller's to choose: an
/// intruder who sends a console, service or browser agent from an SDK is left out
/// too, a gap every agent-based exclusion has (the identity and source checks do
/// not depend on it).
pub fn aws_service_or_console_caller(rec: &Record) -> bool {
    aws_service_or_console_session_caller(rec)
        || (service_or_console_agent(rec.user_agent()) && !user_driven_agent(rec.user_agent()))
}

/// [`aws_service_or_console_caller`] for writes: the console by its session
/// ([`console_session_caller`]), or by an agent that is the console's from its
/// first word ([`console_agent_in_front`]), never by the console's word anywhere
/// in an agent, which any SDK can add (`AWS_SDK_UA_APP_ID=consolebackend` puts it
/// into a CLI's agent, after the CLI's own name). AWS service identities,
/// `invokedBy` and a source that is no address still exempt: AWS writes those.
/// Records older than CloudTrail's `sessionCredentialFromConsole` (AWS's own 2014
/// example of a console `CreateKeyPair`, in the public conformance background) carry
/// only the agent, hence the agent in front.
pub fn aws_service_or_console_session_caller(rec: &Record) -> bool {
    if aws_service_or_linked_role(rec) {
        return true;
    }
    if user_driven_call(rec) {
        return false;
    }
    // A user-driven service's name as the agent, without AWS's marks
    // (`invokedBy`, the source), is an agent some SDK chose, not the console.
    rec.invoked_by().is_some()
        || console_session_caller(rec)
        || (console_agent_in_front(rec.user_agent()) && !user_driven_agent(rec.user_agent()))
        || source_ip_literal(rec).is_none()
}

/// The agent is the console's or AWS's from its first word: `EC2ConsoleBackend,
/// aws-sdk-java/...`, S3's `[S3Console/0.4, aws-internal/3 ...]`, `aws-internal/...`,
/// `AWS Internal`, or a service host name alone (`console.amazonaws.com`,
/// `console.ec2.amazonaws.com`). An SDK adds app ids and execution environments
/// after its own name, so only one told to replace its whole agent can send this:
/// a gap every agent-based exemption has.
pub fn console_agent_in_front(user_agent: Option<&str>) -> bool {
    let Some(ua) = user_agent.map(str::trim) else {
        return false;
    };
    let bare = ua.strip_prefix('[').unwrap_or(ua);
    let starts = |prefix: &str| {
        bare.get(..prefix.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
    };
    const HOST: &str = ".amazonaws.com";
    starts("EC2ConsoleBackend")
        || starts("S3Console/")
        || starts("aws-internal")
        || ua.eq_ignore_ascii_case("AWS Internal")
        || (ua.len() > HOST.len()
            && ua
                .get(ua.len() - HOST.len()..)
                .is_some_and(|s| s.eq_ignore_ascii_case(HOST))
            && !ua.contains([' ', '/', ',']))
}

/// The call was made in the web console, judged by the session and not by the
/// agent alone: a console session's credentials (`sessionCredentialFromConsole`)
/// used by a browser or under an agent that is the console's from its first word
/// ([`console_agent_in_front`]). Keys copied out of a console session (CloudShell's
/// CLI) with the console's word appended to the CLI's agent are not the console (a
/// review caught `app/consolebackend` exempting them). For the writes where an
/// agent-only console exclusion would let any SDK opt out.
pub fn console_session_caller(rec: &Record) -> bool {
    rec.from_console_session()
        && (browser_agent(rec.user_agent()) || console_agent_in_front(rec.user_agent()))
}

/// The user agent is a web browser's (`Mozilla/...`, which every browser sends;
/// S3 writes it in brackets, `[Mozilla/...]`, as it writes every agent).
pub fn browser_agent(user_agent: Option<&str>) -> bool {
    user_agent.is_some_and(|ua| {
        let ua = ua.trim_start();
        ua.strip_prefix('[')
            .unwrap_or(ua)
            .get(..8)
            .is_some_and(|p| p.eq_ignore_ascii_case("mozilla/"))
    })
}

/// The user-agent half of [`aws_service_or_console_caller`]: it alone makes the
/// caller an AWS service or the console. Raw checks use it on the peeked agent.
/// Letter case is ignored (ASCII only). Runs on most discovery records before they
/// are parsed: an agent of ordinary length is lowercased on the stack.
pub fn service_or_console_agent(user_agent: Option<&str>) -> bool {
    match user_agent {
        Some(ua) => super::agent::facts(ua).service_or_console,
        None => agent_names_service_or_console(""),
    }
}

/// [`service_or_console_agent`] worked out (`common::agent` remembers it).
pub(in crate::detections) fn agent_names_service_or_console(ua: &str) -> bool {
    let ua = ua.trim().as_bytes();
    let mut buf = [0u8; 512];
    let heap;
    let lower: &[u8] = match buf.get_mut(..ua.len()) {
        Some(b) => {
            b.copy_from_slice(ua);
            b.make_ascii_lowercase();
            b
        }
        None => {
            heap = ua.to_ascii_lowercase();
            &heap
        }
    };
    static CONSOLE: Needle = Needle::new("console.amazonaws.com");
    static CONSOLE_BACKEND: Needle = Needle::new("consolebackend");
    // CloudTrail writes S3's agents in brackets: the S3 console's calls read
    // `[S3Console/0.4, aws-internal/3 aws-sdk-java/...]`.
    let bare = lower.strip_prefix(b"[").unwrap_or(lower);
    lower == b"aws internal"
        || lower.ends_with(b".amazonaws.com")
        || bare.starts_with(b"aws-internal")
        || bare.starts_with(b"s3console/")
        || CONSOLE.is_in(lower)
        || CONSOLE_BACKEND.is_in(lower)
}

/// The call was made by an AWS service, or by infrastructure-as-code on someone's
/// behalf: `userIdentity.type` `AWSService`, an `invokedBy` service (CloudFormation,
/// Service Catalog, IAM Identity Center...; not the console's own `signin`; or
/// `AWS Internal`, which CloudTrail writes for AWS's own internal calls), or a
/// CloudFormation, Terraform, Pulumi or Ansible user agent ([`iac_agent`]). The user
/// agent is the caller's to choose, so this only lowers noise; it is no proof.
/// Only the read-only discovery windows use it, where a plan's refresh would
/// otherwise be most of what they count: a change (a write) is never exempted by
/// an agent ([`stack_deployment_caller`]).
pub fn service_or_iac_caller(rec: &Record) -> bool {
    if aws_service_or_linked_role(rec) {
        return true;
    }
    if rec
        .invoked_by()
        .is_some_and(|s| s == "AWS Internal" || service_host(s))
    {
        return true;
    }
    // A user-driven service's agent is its name, never a tool's.
    iac_agent(rec.user_agent())
}

/// The user agent names an infrastructure-as-code tool or service in the form the
/// tools send, as a product token (opening the agent or after a blank, `(` or
/// `[`): `Terraform/`, `terraform-provider-`, `Pulumi/`, `pulumi-`, `Ansible/`, or
/// the CloudFormation and Service Catalog service names, in any letter case. A
/// word elsewhere (`exec-env/terraform` or `exec-env/CloudFormation`, which one
/// environment variable adds to any CLI or SDK agent) is not enough. Raw
/// checks use it on the peeked agent.
pub fn iac_agent(user_agent: Option<&str>) -> bool {
    user_agent.is_some_and(|ua| super::agent::facts(ua).iac)
}

/// [`iac_agent`] worked out (`common::agent` remembers it).
pub(in crate::detections) fn agent_names_iac(ua: &str) -> bool {
    static TOOLS: [Needle; 7] = [
        Needle::new("terraform/"),
        Needle::new("terraform-provider-"),
        Needle::new("pulumi/"),
        Needle::new("pulumi-"),
        Needle::new("ansible/"),
        Needle::new("cloudformation"),
        Needle::new("servicecatalog"),
    ];
    let lower = ua.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    // A product token starts the agent or follows a blank, `(` or `[`.
    let starts_token = |at: usize| at == 0 || matches!(bytes[at - 1], b' ' | b'(' | b'[');
    TOOLS
        .iter()
        .any(|tool| tool.finder().find_iter(bytes).any(starts_token))
}

#[cfg(test)]
mod agent_tests {
    use super::{browser_agent, service_or_console_agent};

    /// The tools' own product tokens count; the same words elsewhere in an agent
    /// (an execution environment, an application id, a path) do not.
    #[test]
    fn infrastructure_as_code_agents_by_their_product_tokens() {
        use super::agent_names_iac;
        for ua in [
            "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.72.1",
            "aws-sdk-go-v2/1.32.2 terraform-provider-awscc/1.20.0",
            "APN/1.0 Pulumi/1.0 pulumi-aws/6.66.2 aws-sdk-go/1.50",
            "APN/1.0 Ansible/2.16.3 amazon.aws/8.0.0 Boto3/1.34",
            "cloudformation.amazonaws.com",
            "[CloudFormation, aws-internal/3]",
            "servicecatalog.amazonaws.com",
        ] {
            assert!(agent_names_iac(ua), "{ua}");
        }
        for ua in [
            "aws-cli/2.15.30 Python/3.11.8 exec-env/terraform md/command#sts.get-caller-identity",
            "aws-cli/2.15.30 exec-env/CloudFormation",
            "Boto3/1.34 app/cloudformation-drift-checker",
            "Boto3/1.34 /opt/terraform/bin",
            "aws-cli/2.15.30 Python/3.11.8 Linux/6.8.0",
        ] {
            assert!(!agent_names_iac(ua), "{ua}");
        }
    }

    /// `inScopeOf` names an instance's credentials whatever the session is
    /// named; a Lambda function's are not an instance's.
    #[test]
    fn an_instance_s_credentials_are_known_by_in_scope_of_too() {
        let record = |session: &str, issuer: &str| {
            format!(
                r#"{{"eventSource":"iam.amazonaws.com","eventName":"CreateUser",
                "userIdentity":{{"type":"AssumedRole","principalId":"AROAEXAMPLEEXAMPLE12:{session}",
                "arn":"arn:aws:sts::111122223333:assumed-role/web/{session}","accountId":"111122223333",
                "inScopeOf":{{"issuerType":"{issuer}","credentialsIssuedTo":"arn:aws:ec2:us-east-1:111122223333:instance/i-0a1b2c3d4e5f67890"}}}}}}"#
            )
        };
        let uses = |json: &str| {
            let rec = crate::event::Record::from_json(json).unwrap();
            (
                super::uses_instance_credentials(&rec),
                super::raw_may_use_instance_credentials(json.as_bytes()),
            )
        };
        assert_eq!(
            uses(&record("web-session", "AWS::EC2::Instance")),
            (true, true)
        );
        assert!(!uses(&record("web-session", "AWS::Lambda::Function")).0);
        assert!(uses(&record("i-0a1b2c3d4e5f67890", "AWS::Lambda::Function")).0);
    }

    #[test]
    fn instance_ids_are_eight_or_seventeen_lowercase_hex_digits() {
        for id in ["i-0a1b2c3d", "i-0a1b2c3d4e5f67890"] {
            assert!(super::is_instance_id(id), "{id}");
        }
        for id in [
            "i-am-bob",
            "i-",
            "i-0A1B2C3D",
            "i-0a1b2c3d4",
            "x-0a1b2c3d",
            "i-0a1b2c3d4e5f6789g",
        ] {
            assert!(!super::is_instance_id(id), "{id}");
        }
    }

    /// A browser's agent, bare or in the brackets S3 writes every agent in (a
    /// review found the bracketed form counted as a discovery tool's).
    #[test]
    fn browsers_are_known_in_s3_brackets_too() {
        for ua in [
            "Mozilla/5.0 (X11)",
            " mozilla/5.0",
            "[Mozilla/5.0 (Windows NT 10.0)]",
        ] {
            assert!(browser_agent(Some(ua)), "{ua}");
        }
        for ua in [
            "",
            "[",
            "[Boto3/1.34]",
            "curl/8.5 Mozilla/5.0",
            "[[Mozilla/5.0]",
        ] {
            assert!(!browser_agent(Some(ua)), "{ua}");
        }
        assert!(!browser_agent(None));
    }

    /// AWS services and the console are told by their agent, in any letter case
    /// and with blanks around it; SDKs, the CLI and browsers elsewhere are not.
    #[test]
    fn service_and_console_agents_in_any_case() {
        for ua in [
            "AWS Internal",
            " aws internal ",
            "cloudformation.AmazonAWS.com",
            "AWS-Internal/3 aws-sdk-java/1.12",
            "Mozilla/5.0 (Macintosh) console.amazonaws.com",
            "Coral/Netty4 consoleBackend",
            ".amazonaws.com",
            "[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.488 Linux/5.10.198]",
            "[S3Console/0.4]",
            "S3Console/0.4",
            "[aws-internal/3 aws-sdk-java/1.12.488]",
        ] {
            assert!(service_or_console_agent(Some(ua)), "{ua}");
        }
        for ua in [
            "",
            "Boto3/1.34 Python/3.11",
            "aws-cli/2.15 md/command#ec2.describe-instances",
            "amazonaws.com",
            "AWS Internals",
            "console.amazonaws.co",
            "é.amazonaws.com.é",
            "[aws-cli/2.18.5 md/command#s3.ls]",
            "[Boto3/1.34 S3Console/0.4]",
        ] {
            assert!(!service_or_console_agent(Some(ua)), "{ua}");
        }
        assert!(!service_or_console_agent(None));
    }
}

#[cfg(test)]
mod service_or_iac_caller_tests {
    use super::service_or_iac_caller;
    use crate::detections::common::iam_testing::{USER, iam};
    use crate::event::Record;

    fn by_agent(ua: &str) -> bool {
        let json = iam("CreateRole", USER, "null").replacen(
            r#""userAgent":"aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64""#,
            &format!(r#""userAgent":"{ua}""#),
            1,
        );
        let rec = Record::from_json(&json).expect("record");
        assert_eq!(rec.user_agent(), Some(ua));
        service_or_iac_caller(&rec)
    }

    #[test]
    fn deployment_tools_are_known_by_their_agent() {
        for ua in [
            "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.72.1",
            "pulumi/3.0 aws-sdk-go-v2/1.30.0",
            "Boto3/1.35.36 md/Botocore#1.35.36 ua/2.0 os/linux APN/1.0 Ansible/2.17.4 amazon.aws/8.2.1",
        ] {
            assert!(by_agent(ua), "{ua}");
        }
        assert!(!by_agent(
            "aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/linux"
        ));
    }

    fn invoked_by(service: &str) -> bool {
        let json = iam("CreateRole", USER, "null").replacen(
            r#""userIdentity":{"#,
            &format!(r#""userIdentity":{{"invokedBy":"{service}","#),
            1,
        );
        let rec = Record::from_json(&json).expect("record");
        assert_eq!(rec.invoked_by(), Some(service));
        service_or_iac_caller(&rec)
    }

    /// AWS's internal calls say so in `invokedBy`; the console's sign-in does
    /// not make a call a service's.
    #[test]
    fn services_and_aws_internal_calls_are_known_by_invoked_by() {
        assert!(invoked_by("cloudformation.amazonaws.com"));
        assert!(invoked_by("AWS Internal"));
        assert!(!invoked_by("signin.amazonaws.com"));
        assert!(!invoked_by("AWS Internals"));
    }

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Mark {
        InvokedBy,
        Source,
        Agent,
    }
    const ALL: [Mark; 3] = [Mark::InvokedBy, Mark::Source, Mark::Agent];

    /// A session of Systems Manager's service-linked role.
    const SERVICE_LINKED: &str = r#"{"type":"AssumedRole","principalId":"AROAEXAMPLESSMSLR0001:ssm-session",
        "arn":"arn:aws:sts::111122223333:assumed-role/AWSServiceRoleForAmazonSSM/ssm-session","accountId":"111122223333",
        "sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLESSMSLR0001",
        "arn":"arn:aws:iam::111122223333:role/aws-service-role/ssm.amazonaws.com/AWSServiceRoleForAmazonSSM",
        "accountId":"111122223333","userName":"AWSServiceRoleForAmazonSSM"}}}"#;

    /// `json` (an `iam_testing` record) with the service's name written where
    /// `marks` say: `invokedBy`, the source, the agent.
    fn user_driven(json: String, service: &str, marks: &[Mark]) -> String {
        let mut json = json;
        if marks.contains(&Mark::InvokedBy) {
            json = json.replacen(
                r#""userIdentity":{"#,
                &format!(r#""userIdentity":{{"invokedBy":"{service}","#),
                1,
            );
        }
        if marks.contains(&Mark::Source) {
            json = json.replace(
                r#""sourceIPAddress":"203.0.113.20""#,
                &format!(r#""sourceIPAddress":"{service}""#),
            );
        }
        if marks.contains(&Mark::Agent) {
            json = json.replace(
                r#""userAgent":"aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64""#,
                &format!(r#""userAgent":"{service}""#),
            );
        }
        let rec = Record::from_json(&json).expect("record");
        assert_eq!(
            rec.invoked_by() == Some(service),
            marks.contains(&Mark::InvokedBy),
            "{json}"
        );
        assert_eq!(
            rec.source_ip() == Some(service),
            marks.contains(&Mark::Source),
            "{json}"
        );
        assert_eq!(
            rec.user_agent() == Some(service),
            marks.contains(&Mark::Agent),
            "{json}"
        );
        json
    }

    /// A user-driven service's call (a Step Functions, Scheduler or Automation
    /// workflow's), marked by AWS with the service's name as `invokedBy`,
    /// source and agent, is its author's act for every one of the service
    /// exemptions; the same call made by another service for its caller is
    /// still exempt.
    #[test]
    fn a_user_driven_services_call_is_its_authors() {
        use super::super::{
            USER_DRIVEN_SERVICES, aws_service_caller, aws_service_caller_but_stack,
            aws_service_or_console_caller, aws_service_or_console_session_caller,
            called_from_ip_not_aws_internal, user_driven_call,
        };
        let marked_as = |identity: &str, service: &str, marks: &[Mark]| {
            let json = user_driven(iam("CreateRole", identity, "null"), service, marks);
            let rec = Record::from_json(&json).expect("record");
            let exempt = [
                aws_service_caller(&rec),
                aws_service_caller_but_stack(&rec),
                aws_service_or_console_caller(&rec),
                aws_service_or_console_session_caller(&rec),
                service_or_iac_caller(&rec),
                !called_from_ip_not_aws_internal(&rec),
            ];
            (user_driven_call(&rec), exempt)
        };
        let marked = |service: &str, marks: &[Mark]| marked_as(USER, service, marks);
        for service in USER_DRIVEN_SERVICES {
            assert_eq!(marked(service, &ALL), (true, [false; 6]), "{service}");
            // Each of AWS's marks alone is enough: AppStream's calls carry
            // its name as the source only, with the caller's own agent. The
            // agent alone is some SDK's choice: not a user-driven call, and
            // no exemption either.
            for one in [Mark::InvokedBy, Mark::Source] {
                assert_eq!(
                    marked(service, &[one]),
                    (true, [false; 6]),
                    "{service} {one:?}"
                );
            }
            assert_eq!(
                marked(service, &[Mark::Agent]),
                (false, [false; 6]),
                "{service}"
            );
        }
        assert_eq!(marked("backup.amazonaws.com", &ALL), (false, [true; 6]));
        // A service-linked role's session stays the service's, whatever
        // service's name it carries; a role of one's own whose path only holds
        // the service-linked path after a colon is no service.
        assert_eq!(
            marked_as(SERVICE_LINKED, "ssm.amazonaws.com", &ALL),
            (false, [true; 6])
        );
        let posing = SERVICE_LINKED.replace(
            ":role/aws-service-role/ssm.amazonaws.com/",
            ":role/x:role/aws-service-role/",
        );
        assert_ne!(posing, SERVICE_LINKED);
        assert_eq!(marked_as(&posing, "198.51.100.1", &[]), (false, [false; 6]));
    }

    /// The discovery sweep's raw check lets through the agent a user-driven
    /// service writes, as `evaluate` counts its calls (`testing::eval` holds
    /// the two together).
    #[test]
    fn a_user_driven_services_discovery_reaches_the_sweep() {
        use crate::detection::Signal;
        use crate::detections::common::testing::{eval, raw};
        use crate::detections::discovery_sweep_by_principal::DiscoverySweepByPrincipal;
        for service in ["states.amazonaws.com", "ssm.amazonaws.com"] {
            let json = user_driven(iam("ListUsers", USER, "null"), service, &ALL);
            assert!(
                matches!(
                    eval(&DiscoverySweepByPrincipal, &json),
                    Some(Signal::Distinct { .. })
                ),
                "{service}"
            );
            assert_eq!(
                raw(&DiscoverySweepByPrincipal, &json),
                Some(true),
                "{service}"
            );
        }
    }
}
