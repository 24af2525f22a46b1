//! `trailwatch generate`: a synthetic CloudTrail corpus, deterministic from a seed,
//! for benchmarks and demos.
//!
//! Nearly all the records are ordinary traffic (describes, role assumptions,
//! KMS, S3 and SSM reads, metric writes, console sign-ins) from every identity type
//! but root (IAM users, role and IAM Identity Center sessions, federated users, AWS
//! services) with realistic user agents and parameters; the rest are true attacks
//! for the 24 seed detections, windowed bursts included, placed at known
//! positions (the newer detections' attacks are the samples under `events/`).
//! The schedule of attacks is spread over the whole catalogue, so the same seed
//! gives another corpus once the catalogue grows: compare figures of one binary. The number of
//! attacks per detection is written to stderr (and `--manifest FILE`) so that a
//! replay can be checked against it.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::{EXIT_ERROR, EXIT_OK};

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shape {
    /// Raw CloudTrail records, one per line.
    Jsonl,
    /// EventBridge envelopes, one per line.
    Eventbridge,
    /// CloudTrail S3 log files: AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz
    S3,
}

#[derive(clap::Args)]
pub struct Args {
    /// How many records.
    #[arg(long, default_value_t = 100_000)]
    records: u64,
    /// Seed of the pseudo-random sequence: the same seed gives the same corpus.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// jsonl: raw records, one per line; eventbridge: EventBridge envelopes, one
    /// per line; s3: CloudTrail's S3 layout of .json.gz log files under --out.
    #[arg(long, value_enum, default_value_t = Shape::Jsonl)]
    shape: Shape,
    /// At most this many records per S3 log file (a file also holds one account
    /// and Region over at most 30 minutes, as a trail's do).
    #[arg(long, default_value_t = 2_000,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    records_per_file: usize,
    /// Attack episodes per detection.
    #[arg(long, default_value_t = 3)]
    attacks: u64,
    /// Where to write: a file (jsonl, eventbridge; `-` for stdout) or a directory (s3).
    #[arg(long, short)]
    out: PathBuf,
    /// Also write the attack counts per detection here, as JSON.
    #[arg(long)]
    manifest: Option<PathBuf>,
}

/// splitmix64: small, fast, and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    fn uuid(&mut self) -> String {
        let (a, b) = (self.next(), self.next());
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | (b >> 48) & 0x3fff,
            b & 0xffff_ffff_ffff
        )
    }
    fn hex(&mut self, n: usize) -> String {
        let mut s = String::with_capacity(n);
        while s.len() < n {
            s.push_str(&format!("{:016x}", self.next()));
        }
        s.truncate(n);
        s
    }
}

const ACCOUNTS: &[&str] = &["111122223333", "444455556666", "123456789012"];
const REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "eu-west-1",
    "eu-central-1",
    "ap-southeast-2",
];
const USERS: &[&str] = &[
    "alice",
    "bob",
    "carol",
    "deploy-bot",
    "dave",
    "erin",
    "frank",
    "grace",
    "backup-svc",
    "heidi",
];
const ROLES: &[(&str, &str)] = &[
    (
        "AWSReservedSSO_AdministratorAccess_0123456789abcdef",
        "alice@example.com",
    ),
    (
        "AWSReservedSSO_ReadOnly_fedcba9876543210",
        "bob@example.com",
    ),
    ("github-actions-deploy", "GitHubActions"),
    ("lambda-orders-processor", "lambda-orders-processor"),
    ("ec2-app-server", "i-0a1b2c3d4e5f60718"),
    ("terraform-ci", "1718000000000000000"),
];
const UAS: &[&str] = &[
    "aws-cli/2.27.40 md/awscrt#0.26.1 ua/2.1 os/linux#6.8.0-1031-aws md/arch#x86_64 lang/python#3.13.4 md/pyimpl#CPython m/E,b,Z cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#ec2.describe-instances",
    "aws-cli/2.15.30 Python/3.11.8 Darwin/23.4.0 exe/x86_64 prompt/off command/sts.get-caller-identity",
    "Boto3/1.35.90 md/Botocore#1.35.90 ua/2.1 os/linux#5.10.228-219.884.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.8 md/pyimpl#CPython m/b,Z cfg/retry-mode#legacy Botocore/1.35.90",
    "aws-sdk-go-v2/1.32.7 ua/2.1 os/linux lang/go#1.23.4 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.198.1 m/E,b",
    "aws-sdk-java/2.29.43 Linux/5.10.230-223.885.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/21.0.5+11-LTS Java/21.0.5 vendor/Amazon.com_Inc. md/internal exec-env/AWS_ECS_FARGATE io/sync http/Apache cfg/retry-mode/standard",
    "Terraform/1.10.3 (+https://www.terraform.io) terraform-provider-aws/5.82.2 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.7 ua/2.1 os/linux lang/go#1.23.4 md/GOOS#linux md/GOARCH#amd64 api/sts#1.33.3 m/C,E,b",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "console.amazonaws.com",
];

/// Ordinary calls: (eventSource, eventName, read-only).
const ORDINARY: &[(&str, &str, bool)] = &[
    ("ec2.amazonaws.com", "DescribeInstances", true),
    ("ec2.amazonaws.com", "DescribeSecurityGroups", true),
    ("sts.amazonaws.com", "AssumeRole", false),
    ("sts.amazonaws.com", "GetCallerIdentity", true),
    ("kms.amazonaws.com", "Decrypt", true),
    ("kms.amazonaws.com", "GenerateDataKey", true),
    ("s3.amazonaws.com", "GetObject", true),
    ("s3.amazonaws.com", "PutObject", false),
    ("ssm.amazonaws.com", "GetParameter", true),
    ("monitoring.amazonaws.com", "PutMetricData", false),
    ("logs.amazonaws.com", "CreateLogStream", false),
    ("lambda.amazonaws.com", "GetFunction", true),
    ("dynamodb.amazonaws.com", "DescribeTable", true),
    ("iam.amazonaws.com", "GetRole", true),
    ("iam.amazonaws.com", "ListAttachedRolePolicies", true),
    ("cloudtrail.amazonaws.com", "LookupEvents", true),
    ("config.amazonaws.com", "DescribeConfigRules", true),
    ("rds.amazonaws.com", "DescribeDBInstances", true),
];

struct Gen {
    rng: Rng,
    /// Milliseconds since the epoch of the next record.
    clock: i64,
    /// Attack episodes written so far.
    episodes: u64,
}

impl Gen {
    fn tick(&mut self) -> i64 {
        self.clock += 5 + self.rng.below(40) as i64;
        self.clock
    }

    fn time(ms: i64) -> String {
        trailwatch::event::time::format_event_time(ms / 1000 * 1000)
    }

    fn ip(&mut self) -> String {
        match self.rng.below(10) {
            0 => format!(
                "2001:db8:{:x}::{:x}",
                self.rng.below(0xffff),
                self.rng.below(0xffff)
            ),
            1..=3 => format!("192.0.2.{}", 1 + self.rng.below(254)),
            4..=6 => format!("198.51.100.{}", 1 + self.rng.below(254)),
            _ => format!("203.0.113.{}", 1 + self.rng.below(254)),
        }
    }

    fn identity(&mut self, account: &str, kind: u64) -> Value {
        match kind {
            0 => {
                let u = *self.rng.pick(USERS);
                json!({"type":"IAMUser","principalId":format!("AIDA{}", self.rng.hex(16).to_uppercase()),
                       "arn":format!("arn:aws:iam::{account}:user/{u}"),"accountId":account,
                       "accessKeyId":format!("AKIA{}", self.rng.hex(16).to_uppercase()),"userName":u})
            }
            1 => {
                // An IAM Identity Center session. (Root once stood here, but every
                // root call is a finding of `root-user-activity`, so it is no
                // ordinary traffic; root appears in the attacks.) One draw, as root's
                // key took, so that every other record stays as it was.
                let key = self.rng.hex(16).to_uppercase();
                let u = USERS[usize::from(key.as_bytes()[0]) % USERS.len()];
                let role = "AWSReservedSSO_PowerUserAccess_6f1d2c3b4a5e6d7c";
                json!({"type":"AssumedRole","principalId":format!("AROA{}:{u}@example.com", &key[..12]),
                       "arn":format!("arn:aws:sts::{account}:assumed-role/{role}/{u}@example.com"),"accountId":account,
                       "accessKeyId":format!("ASIA{key}"),
                       "sessionContext":{"sessionIssuer":{"type":"Role","principalId":format!("AROA{}", &key[..12]),
                         "arn":format!("arn:aws:iam::{account}:role/aws-reserved/sso.amazonaws.com/{role}"),"accountId":account,"userName":role},
                         "attributes":{"creationDate":"2026-03-01T08:00:00Z","mfaAuthenticated":"false"}}})
            }
            2 => {
                let u = *self.rng.pick(USERS);
                json!({"type":"FederatedUser","principalId":format!("{account}:{u}"),
                       "arn":format!("arn:aws:sts::{account}:federated-user/{u}"),"accountId":account,
                       "accessKeyId":format!("ASIA{}", self.rng.hex(16).to_uppercase()),
                       "sessionContext":{"sessionIssuer":{"type":"IAMUser","principalId":format!("AIDA{}", self.rng.hex(16).to_uppercase()),
                         "arn":format!("arn:aws:iam::{account}:user/{u}"),"accountId":account,"userName":u},
                         "attributes":{"creationDate":"2026-03-01T08:00:00Z","mfaAuthenticated":"false"}}})
            }
            3 => {
                json!({"type":"AWSService","invokedBy":*self.rng.pick(&["cloudformation.amazonaws.com","lambda.amazonaws.com","config.amazonaws.com"])})
            }
            _ => {
                let (role, session) = *self.rng.pick(ROLES);
                let rid = format!("AROA{}", self.rng.hex(16).to_uppercase());
                json!({"type":"AssumedRole","principalId":format!("{rid}:{session}"),
                       "arn":format!("arn:aws:sts::{account}:assumed-role/{role}/{session}"),"accountId":account,
                       "accessKeyId":format!("ASIA{}", self.rng.hex(16).to_uppercase()),
                       "sessionContext":{"sessionIssuer":{"type":"Role","principalId":rid,
                         "arn":format!("arn:aws:iam::{account}:role/{role}"),"accountId":account,"userName":role},
                         "webIdFederationData":{},"attributes":{"creationDate":"2026-03-01T08:00:00Z","mfaAuthenticated":"false"}}})
            }
        }
    }

    /// A complete record around the given call.
    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        account: &str,
        region: &str,
        identity: Value,
        source: &str,
        name: &str,
        ip: &str,
        ua: &str,
        read_only: bool,
        request: Value,
        response: Value,
        t: i64,
    ) -> Value {
        let service = source.split('.').next().unwrap_or("aws");
        let host = if matches!(service, "iam" | "signin") {
            format!("{service}.amazonaws.com")
        } else {
            format!("{service}.{region}.amazonaws.com")
        };
        json!({
            "eventVersion":"1.10","userIdentity":identity,"eventTime":Self::time(t),"eventSource":source,"eventName":name,
            "awsRegion":region,"sourceIPAddress":ip,"userAgent":ua,"requestParameters":request,"responseElements":response,
            "requestID":self.rng.uuid(),"eventID":self.rng.uuid(),"readOnly":read_only,"eventType":"AwsApiCall",
            "managementEvent":true,"recipientAccountId":account,"eventCategory":"Management",
            "tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":host}
        })
    }

    fn ordinary(&mut self) -> Value {
        let t = self.tick();
        let account = *self.rng.pick(ACCOUNTS);
        let region = *self.rng.pick(REGIONS);
        let kind = match self.rng.below(100) {
            0 => 1,
            1..=3 => 2,
            4..=13 => 3,
            14..=44 => 0,
            _ => 4,
        };
        let identity = self.identity(account, kind);
        let (source, name, ro) = *self.rng.pick(ORDINARY);
        let ip = if kind == 3 {
            identity["invokedBy"]
                .as_str()
                .unwrap_or("AWS Internal")
                .to_owned()
        } else {
            self.ip()
        };
        let ua = if kind == 3 {
            "AWS Internal".to_owned()
        } else {
            (*self.rng.pick(UAS)).to_owned()
        };
        let request = match name {
            "DescribeInstances" => {
                json!({"instancesSet":{"items":[{"instanceId":format!("i-0{}", self.rng.hex(16))}]},"filterSet":{}})
            }
            "AssumeRole" => {
                json!({"roleArn":format!("arn:aws:iam::{account}:role/{}", self.rng.pick(ROLES).0),"roleSessionName":format!("session-{}", self.rng.hex(8)),"durationSeconds":3600})
            }
            "Decrypt" | "GenerateDataKey" => {
                json!({"encryptionAlgorithm":"SYMMETRIC_DEFAULT","keyId":format!("arn:aws:kms:{region}:{account}:key/{}", self.rng.uuid()),"encryptionContext":{"aws:lambda:FunctionArn":format!("arn:aws:lambda:{region}:{account}:function:orders")}})
            }
            "GetObject" | "PutObject" => {
                json!({"bucketName":format!("data-{account}-{region}"),"key":format!("exports/2026/03/{}.parquet", self.rng.hex(12)),"Host":format!("data-{account}-{region}.s3.{region}.amazonaws.com")})
            }
            "GetParameter" => {
                json!({"name":format!("/app/prod/{}", self.rng.pick(&["db-host","feature-flags","queue-url"])),"withDecryption":true})
            }
            "PutMetricData" => {
                json!({"namespace":"App/Orders","metricData":[{"metricName":"Latency","value":self.rng.below(900),"unit":"Milliseconds"}]})
            }
            "CreateLogStream" => {
                json!({"logGroupName":"/aws/lambda/orders","logStreamName":format!("2026/03/01/[$LATEST]{}", self.rng.hex(32))})
            }
            _ => json!({"maxResults":50}),
        };
        let response = if name == "AssumeRole" {
            json!({"credentials":{"accessKeyId":format!("ASIA{}", self.rng.hex(16).to_uppercase()),"sessionToken":self.rng.hex(180),"expiration":"Mar 1, 2026, 9:00:00 AM"},
                   "assumedRoleUser":{"assumedRoleId":format!("AROA{}:x", self.rng.hex(16).to_uppercase()),"arn":format!("arn:aws:sts::{account}:assumed-role/x/y")}})
        } else {
            Value::Null
        };
        self.record(
            account, region, identity, source, name, &ip, &ua, ro, request, response, t,
        )
    }
}

/// One attack episode per detection id: the records it takes.
fn attack(g: &mut Gen, id: &str) -> Vec<Value> {
    let account = "111122223333";
    let region = "us-east-1";
    let cli = "aws-cli/2.27.40 md/awscrt#0.26.1 ua/2.1 os/linux#6.8.0 md/arch#x86_64 lang/python#3.13.4 md/pyimpl#CPython m/E,b cfg/retry-mode#standard md/installer#exe md/prompt#off";
    let ip = "203.0.113.66".to_owned();
    let t = g.tick();
    let fresh_id = g.rng.uuid();
    let user = |g: &mut Gen| g.identity(account, 0);
    let one = |g: &mut Gen, source: &str, name: &str, req: Value, resp: Value| {
        let id = user(g);
        vec![g.record(
            account, region, id, source, name, &ip, cli, false, req, resp, t,
        )]
    };
    match id {
        "aws-cli-custom-endpoint-url" => {
            let ua = cli.replace("m/E,b", "m/E,N,b");
            let id = user(g);
            vec![g.record(
                account,
                region,
                id,
                "s3.amazonaws.com",
                "ListBuckets",
                &ip,
                &ua,
                true,
                json!({}),
                Value::Null,
                t,
            )]
        }
        "cloudshell-environment-created" => one(
            g,
            "cloudshell.amazonaws.com",
            "CreateEnvironment",
            json!({}),
            json!({"environmentId":fresh_id}),
        ),
        "cloudtrail-important-change" | "cloudtrail-log-suspended" => one(
            g,
            "cloudtrail.amazonaws.com",
            "StopLogging",
            json!({"name":"org-trail"}),
            Value::Null,
        ),
        "cloudtrail-log-created" => one(
            g,
            "cloudtrail.amazonaws.com",
            "CreateTrail",
            json!({"name":"shadow","s3BucketName":"exfil-bucket"}),
            json!({"trailARN":"arn:aws:cloudtrail:us-east-1:111122223333:trail/shadow"}),
        ),
        "cloudtrail-log-deleted" => one(
            g,
            "cloudtrail.amazonaws.com",
            "DeleteTrail",
            json!({"name":"org-trail"}),
            Value::Null,
        ),
        "cloudtrail-log-evasion" => one(
            g,
            "iam.amazonaws.com",
            "CreatePolicyVersion",
            json!({"reason":"requestParameters too large","omitted":true,"originalSize":120_411}),
            Value::Null,
        ),
        "cloudtrail-log-updated" => one(
            g,
            "cloudtrail.amazonaws.com",
            "UpdateTrail",
            json!({"name":"org-trail","isMultiRegionTrail":false}),
            Value::Null,
        ),
        "cloudwatch-alarm-deletion" => one(
            g,
            "monitoring.amazonaws.com",
            "DeleteAlarms",
            json!({"alarmNames":["root-login-alarm"]}),
            Value::Null,
        ),
        "cloudwatch-log-group-deletion" => one(
            g,
            "logs.amazonaws.com",
            "DeleteLogGroup",
            json!({"logGroupName":"/aws/cloudtrail/org"}),
            Value::Null,
        ),
        "cloudwatch-log-stream-deletion" => one(
            g,
            "logs.amazonaws.com",
            "DeleteLogStream",
            json!({"logGroupName":"/aws/cloudtrail/org","logStreamName":"111122223333_CloudTrail_us-east-1"}),
            Value::Null,
        ),
        "config-disabling-channel-recorder" | "config-recorder-stopped" => one(
            g,
            "config.amazonaws.com",
            "StopConfigurationRecorder",
            json!({"configurationRecorderName":"default"}),
            Value::Null,
        ),
        "config-resource-deletion" => one(
            g,
            "config.amazonaws.com",
            "DeleteConfigRule",
            json!({"configRuleName":"cloudtrail-enabled"}),
            Value::Null,
        ),
        "create-policy-version-allow-all" => one(
            g,
            "iam.amazonaws.com",
            "CreatePolicyVersion",
            json!({"policyArn":"arn:aws:iam::111122223333:policy/app","policyDocument":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}","setAsDefault":true}),
            Value::Null,
        ),
        "create-access-key-for-another-user" => one(
            g,
            "iam.amazonaws.com",
            "CreateAccessKey",
            json!({"userName":"victim-admin"}),
            json!({"accessKey":{"accessKeyId":"AKIAEXAMPLEVICTIM001","status":"Active","userName":"victim-admin"}}),
        ),
        "rds-master-password-reset" => one(
            g,
            "rds.amazonaws.com",
            "ModifyDBInstance",
            json!({"dBInstanceIdentifier":"orders-db","masterUserPassword":"****","applyImmediately":true}),
            Value::Null,
        ),
        "console-getsignintoken-abuse" => {
            let mut r = one(
                g,
                "signin.amazonaws.com",
                "GetSigninToken",
                json!(null),
                json!({"GetSigninToken":"Success"}),
            );
            r[0]["userAgent"] = json!("python-requests/2.32.3");
            r[0]["userIdentity"] = g.identity(account, 2);
            r
        }
        "console-login-failed-mfa-challenge"
        | "consolelogin-failed-authentication"
        | "credential-access-failed-login" => {
            let mut r = one(
                g,
                "signin.amazonaws.com",
                "ConsoleLogin",
                Value::Null,
                json!({"ConsoleLogin":"Failure"}),
            );
            r[0]["errorMessage"] = json!("Failed authentication");
            r[0]["eventType"] = json!("AwsConsoleSignIn");
            r[0]["additionalEventData"] = json!({"LoginTo":"https://console.aws.amazon.com/console/home","MobileVersion":"No","MFAUsed":"Yes"});
            r
        }
        "concurrent-sessions-different-ips" => {
            let id = g.identity(account, 4);
            // Each episode from its own pair of addresses, picked by the
            // episode's number (not from the pseudo-random sequence, which the
            // rest of the corpus follows): the same pair again the same day is
            // an ongoing activity, reported once (docs/state.md), not another
            // attack.
            let k = g.episodes % 100;
            let (a, b) = (
                format!("198.51.100.{}", 10 + k),
                format!("203.0.113.{}", 110 + k),
            );
            let (a, b) = (a.as_str(), b.as_str());
            vec![
                g.record(
                    account,
                    region,
                    id.clone(),
                    "health.amazonaws.com",
                    "DescribeEventAggregates",
                    a,
                    UAS[6],
                    true,
                    json!({"aggregateField":"eventTypeCategory"}),
                    Value::Null,
                    t,
                ),
                g.record(
                    account,
                    region,
                    id,
                    "health.amazonaws.com",
                    "DescribeEventAggregates",
                    b,
                    UAS[6],
                    true,
                    json!({"aggregateField":"eventTypeCategory"}),
                    Value::Null,
                    t + 60_000,
                ),
            ]
        }
        "getpassworddata-burst" => {
            let id = g.identity(account, 4);
            (0..12)
                .map(|i| {
                    let inst = format!("i-0{}", g.rng.hex(16));
                    g.record(
                        account,
                        region,
                        id.clone(),
                        "ec2.amazonaws.com",
                        "GetPasswordData",
                        &ip,
                        cli,
                        true,
                        json!({"instanceId":inst}),
                        Value::Null,
                        t + i * 2_000,
                    )
                })
                .collect()
        }
        "create-login-profile-then-console-login" => {
            let creator = user(g);
            let created = g.record(
                account,
                region,
                creator,
                "iam.amazonaws.com",
                "CreateLoginProfile",
                &ip,
                cli,
                false,
                json!({"userName":"backdoor","passwordResetRequired":false}),
                Value::Null,
                t,
            );
            let login_id = json!({"type":"IAMUser","principalId":"AIDAEXAMPLEBACKDOOR1","arn":"arn:aws:iam::111122223333:user/backdoor","accountId":account,"userName":"backdoor"});
            let mut login = g.record(
                account,
                region,
                login_id,
                "signin.amazonaws.com",
                "ConsoleLogin",
                &ip,
                UAS[6],
                false,
                Value::Null,
                json!({"ConsoleLogin":"Success"}),
                t + 300_000,
            );
            login["eventType"] = json!("AwsConsoleSignIn");
            login["additionalEventData"] = json!({"LoginTo":"https://console.aws.amazon.com/console/home","MobileVersion":"No","MFAUsed":"No"});
            vec![created, login]
        }
        _ => Vec::new(),
    }
}

/// Writes records to a sink in the chosen shape.
trait Out {
    fn put(&mut self, rec: &Value) -> io::Result<()>;
    fn finish(self: Box<Self>) -> io::Result<()>;
}

struct Lines<W: Write> {
    w: W,
    envelope: bool,
}

impl<W: Write> Out for Lines<W> {
    fn put(&mut self, rec: &Value) -> io::Result<()> {
        if self.envelope {
            let source = rec["eventSource"]
                .as_str()
                .unwrap_or("aws")
                .split('.')
                .next()
                .unwrap_or("aws");
            let detail_type = if source == "signin" {
                "AWS Console Sign In via CloudTrail"
            } else {
                "AWS API Call via CloudTrail"
            };
            let env = json!({"version":"0","id":rec["eventID"],"detail-type":detail_type,"source":format!("aws.{source}"),
                "account":rec["recipientAccountId"],"time":rec["eventTime"],"region":rec["awsRegion"],"resources":[],"detail":rec});
            serde_json::to_writer(&mut self.w, &env)?;
        } else {
            serde_json::to_writer(&mut self.w, rec)?;
        }
        self.w.write_all(b"\n")
    }
    fn finish(mut self: Box<Self>) -> io::Result<()> {
        self.w.flush()
    }
}

/// CloudTrail's S3 layout: each file holds one account's records in one Region,
/// at most `per_file` of them over at most [`MAX_FILE_SPAN_MS`], and is named
/// (and filed under the day) for the minute after its newest record, as a
/// trail names a file for the minute it delivers it. So `replay s3://...` with
/// `--since`, `--until`, `--accounts` and `--regions` prunes a generated tree
/// as it prunes a trail's, and finds what a local replay of it finds (from a
/// review: files named for their first record and mixing accounts and Regions
/// were pruned wrongly).
struct S3 {
    dir: PathBuf,
    per_file: usize,
    /// Records waiting, per (account, Region), with the first one's time.
    batches: BTreeMap<(String, String), (i64, Vec<Value>)>,
    files: u64,
}

/// A generated file spans at most this much event time: well inside the hour
/// of delivery grace a replay allows after `--until` (a trail's files span
/// about five minutes; longer files keep a large corpus at a few hundred).
const MAX_FILE_SPAN_MS: i64 = 30 * 60_000;

fn text<'v>(rec: &'v Value, key: &str, default: &'v str) -> &'v str {
    rec[key].as_str().unwrap_or(default)
}

fn event_ms(rec: &Value) -> i64 {
    trailwatch::event::time::parse_event_time(text(rec, "eventTime", "2026-03-01T00:00:00Z"))
        .unwrap_or(0)
}

impl S3 {
    fn flush(&mut self, key: &(String, String)) -> io::Result<()> {
        let Some((_, batch)) = self.batches.remove(key) else {
            return Ok(());
        };
        let (account, region) = key;
        let newest = batch.iter().map(event_ms).max().unwrap_or(0);
        // The minute after the newest record: the file holds nothing later.
        let delivered =
            trailwatch::event::time::format_event_time((newest.div_euclid(60_000) + 1) * 60_000);
        let (date, clock) = (&delivered[..10], delivered[11..16].replace(':', ""));
        let dir = self
            .dir
            .join("AWSLogs")
            .join(account)
            .join("CloudTrail")
            .join(region)
            .join(date.replace('-', "/"));
        fs::create_dir_all(&dir)?;
        self.files += 1;
        let name = format!(
            "{account}_CloudTrail_{region}_{}T{clock}Z_{:08}.json.gz",
            date.replace('-', ""),
            self.files
        );
        let mut gz = flate2::write::GzEncoder::new(
            BufWriter::new(File::create(dir.join(name))?),
            flate2::Compression::default(),
        );
        serde_json::to_writer(&mut gz, &json!({"Records": batch}))?;
        gz.finish()?.flush()?;
        Ok(())
    }
}

impl Out for S3 {
    fn put(&mut self, rec: &Value) -> io::Result<()> {
        let key = (
            text(rec, "recipientAccountId", "111122223333").to_owned(),
            text(rec, "awsRegion", "us-east-1").to_owned(),
        );
        let t = event_ms(rec);
        if self
            .batches
            .get(&key)
            .is_some_and(|(first, _)| t - first > MAX_FILE_SPAN_MS)
        {
            self.flush(&key)?;
        }
        let (_, batch) = self
            .batches
            .entry(key.clone())
            .or_insert_with(|| (t, Vec::new()));
        batch.push(rec.clone());
        if batch.len() >= self.per_file {
            self.flush(&key)?;
        }
        Ok(())
    }
    fn finish(mut self: Box<Self>) -> io::Result<()> {
        let keys: Vec<(String, String)> = self.batches.keys().cloned().collect();
        for key in keys {
            self.flush(&key)?;
        }
        Ok(())
    }
}

fn open(args: &Args) -> io::Result<Box<dyn Out>> {
    Ok(match args.shape {
        Shape::S3 => {
            if args.out == Path::new("-") {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "--shape s3 writes a directory of log files: name one (`-` is stdout, for jsonl and eventbridge)",
                ));
            }
            fs::create_dir_all(&args.out)?;
            Box::new(S3 {
                dir: args.out.clone(),
                per_file: args.records_per_file.max(1),
                batches: BTreeMap::new(),
                files: 0,
            })
        }
        shape => {
            let w: Box<dyn Write> = if args.out == Path::new("-") {
                Box::new(io::stdout().lock())
            } else {
                Box::new(File::create(&args.out)?)
            };
            Box::new(Lines {
                w: BufWriter::with_capacity(1 << 20, w),
                envelope: shape == Shape::Eventbridge,
            })
        }
    })
}

pub fn run(args: Args) -> i32 {
    match generate(&args) {
        Ok(counts) => {
            let manifest = serde_json::to_string_pretty(&counts).unwrap_or_default();
            say!(
                "trailwatch generate: {} records; attack episodes per detection: {manifest}",
                args.records
            );
            if let Some(p) = &args.manifest
                && let Err(e) = fs::write(p, manifest + "\n")
            {
                say!("trailwatch generate: {}: {e}", p.display());
                return EXIT_ERROR;
            }
            EXIT_OK
        }
        // `generate --out - | head`: the reader went away, as `replay` and
        // `list` take it.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe && args.out == Path::new("-") => EXIT_OK,
        Err(e) => {
            say!("trailwatch generate: {}: {e}", args.out.display());
            EXIT_ERROR
        }
    }
}

fn generate(args: &Args) -> io::Result<BTreeMap<&'static str, u64>> {
    let mut g = Gen {
        rng: Rng(args.seed),
        clock: 1_772_000_000_000,
        episodes: 0,
    };
    let mut out = open(args)?;
    let ids: Vec<&'static str> = trailwatch::catalog::ALL
        .iter()
        .map(|d| d.meta().id)
        .collect();
    let episodes = ids.len() as u64 * args.attacks;
    // Attacks are spread evenly; each episode's records go out together.
    let every = (args.records / (episodes + 1)).max(1);
    let mut counts: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut written = 0u64;
    let mut next_attack = 0u64;
    while written < args.records {
        if written >= every * (next_attack + 1) && next_attack < episodes {
            let id = ids[(next_attack % ids.len() as u64) as usize];
            next_attack += 1;
            let recs = attack(&mut g, id);
            if !recs.is_empty() && written + recs.len() as u64 <= args.records {
                *counts.entry(id).or_default() += 1;
                g.episodes += 1;
                for r in &recs {
                    out.put(r)?;
                }
                written += recs.len() as u64;
                // Keep later ordinary traffic after the episode's last event.
                g.clock += 600_000;
                continue;
            }
        }
        let r = g.ordinary();
        out.put(&r)?;
        written += 1;
    }
    out.finish()?;
    Ok(counts)
}
