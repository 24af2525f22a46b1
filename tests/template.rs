//! Checks template.yaml against the code it deploys: one function per catalogue
//! group, each behind one EventBridge rule whose pattern is derived here from its
//! detections' metadata (so the template can never drift from the detections), the
//! rule state that lets read-only events through where a detection needs them, the
//! state table's schema, and least privilege (no wildcard actions or resources, each
//! function confined to its own key prefix).
//!
//! When a pattern disagrees, the failure prints the expected pattern as one line of
//! JSON (valid YAML) to paste into the template.

use std::collections::BTreeSet;
use std::fs;

use serde_json::{Map, Value, json};
use trailwatch::catalog::{self, FunctionGroup};
use trailwatch::rules::{self, Forwarding, needs_read_only, normalize};
use trailwatch::state::dynamodb::schema;
use trailwatch_tests::root;

/// The DynamoDB actions of every function (on the state table, under its prefix):
/// claims are a TransactWriteItems of a Put and ConditionChecks (IAM authorises
/// each item's action), a delivered finding confirms its lease (UpdateItem), and
/// a failed delivery deletes its claim.
const CLAIM_ACTIONS: &[&str] = &[
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:ConditionCheckItem",
];
/// What every function needs on top: windows and tuning dedup read items back.
const WINDOW_ACTIONS: &[&str] = &["dynamodb:Query"];

/// Statements allowed a `*` resource or action, by `Sid`. Nothing needs one today.
const WILDCARD_ALLOWED_SIDS: &[&str] = &[];

// ---------------------------------------------------------------------------
// The template as JSON (CloudFormation short-form tags become their long form).

/// The one Security Hub resource a function may import to: its account's
/// default product (a custom integration).
const SECURITY_HUB_PRODUCT: &str = "arn:${AWS::Partition}:securityhub:${AWS::Region}:${AWS::AccountId}:product/${AWS::AccountId}/default";

fn template() -> Value {
    load("template.yaml")
}

/// deploy/forwarder.yaml, the per-account-and-Region forwarder.
fn forwarder() -> Value {
    load("deploy/forwarder.yaml")
}

fn load(path: &str) -> Value {
    let text = fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    let yaml: serde_yaml::Value =
        serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{path} is not YAML: {e}"));
    to_json(yaml)
}

fn to_json(v: serde_yaml::Value) -> Value {
    use serde_yaml::Value as Y;
    match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => serde_json::to_value(&n).unwrap_or(Value::Null),
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(to_json).collect()),
        Y::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let key = match k {
                    Y::String(s) => s,
                    other => serde_yaml::to_string(&other).unwrap().trim().to_owned(),
                };
                out.insert(key, to_json(v));
            }
            Value::Object(out)
        }
        Y::Tagged(t) => {
            let tag = t.tag.to_string();
            let name = tag.trim_start_matches('!');
            let value = to_json(t.value);
            let (key, value) = match name {
                "Ref" => ("Ref".to_owned(), value),
                "GetAtt" => (
                    "Fn::GetAtt".to_owned(),
                    match value {
                        Value::String(s) => {
                            let (a, b) = s.split_once('.').expect("!GetAtt Resource.Attribute");
                            json!([a, b])
                        }
                        other => other,
                    },
                ),
                "Condition" => ("Condition".to_owned(), value),
                other => (format!("Fn::{other}"), value),
            };
            json!({ key: value })
        }
    }
}

fn resources(t: &Value) -> &Map<String, Value> {
    t["Resources"].as_object().expect("Resources")
}

fn of_type<'a>(t: &'a Value, ty: &str) -> Vec<(&'a String, &'a Value)> {
    resources(t)
        .iter()
        .filter(|(_, r)| r["Type"] == ty)
        .collect()
}

/// The function resource of a group (by its cargo-lambda binary).
fn function<'a>(t: &'a Value, group: &str) -> (&'a String, &'a Value) {
    let found: Vec<_> = of_type(t, "AWS::Serverless::Function")
        .into_iter()
        .filter(|(_, r)| r["Metadata"]["BuildProperties"]["Binary"] == group)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "template.yaml needs exactly one function with Binary {group}"
    );
    found[0]
}

fn get_att_target(v: &Value) -> Option<&str> {
    v["Fn::GetAtt"][0].as_str()
}

// ---------------------------------------------------------------------------
// The pattern a group's rule must have, from its detections' triggers.

fn expected_patterns(group: &FunctionGroup) -> Vec<Value> {
    rules::group_patterns(group)
}

/// The one pattern of a group that fits one rule (the hand-checked groups).
fn expected_pattern(group: &FunctionGroup) -> Value {
    let mut patterns = expected_patterns(group);
    assert_eq!(patterns.len(), 1, "{}: one rule", group.name);
    patterns.remove(0)
}

// ---------------------------------------------------------------------------

#[test]
fn every_group_has_one_function_built_by_cargo_lambda() {
    let t = template();
    assert_eq!(t["Transform"], "AWS::Serverless-2016-10-31");
    let functions = of_type(&t, "AWS::Serverless::Function");
    assert_eq!(
        functions.len(),
        catalog::GROUPS.len(),
        "one function per group, no more"
    );
    for g in catalog::GROUPS {
        let (name, f) = function(&t, g.name);
        let p = &f["Properties"];
        assert_eq!(f["Metadata"]["BuildMethod"], "rust-cargolambda", "{name}");
        assert_eq!(p["Runtime"], "provided.al2023", "{name}");
        assert_eq!(p["Architectures"], json!(["arm64"]), "{name}");
        assert_eq!(p["Handler"], "bootstrap", "{name}");
        // The crate exists, is a workspace member and can be deployed by cargo-lambda.
        let manifest = fs::read_to_string(root().join("functions").join(g.name).join("Cargo.toml"))
            .unwrap_or_else(|e| panic!("functions/{}/Cargo.toml: {e}", g.name));
        assert!(
            manifest.contains(&format!("name = \"{}\"", g.name)),
            "functions/{}: bin name",
            g.name
        );
        assert!(
            manifest.contains("[package.metadata.lambda.deploy]"),
            "functions/{}: deploy settings",
            g.name
        );
        let main =
            fs::read_to_string(root().join("functions").join(g.name).join("src/main.rs")).unwrap();
        assert!(
            main.contains(&format!(
                "run(&trailwatch::catalog::functions::{})",
                g.name.to_ascii_uppercase().replace('-', "_")
            )),
            "functions/{}/src/main.rs runs its group",
            g.name
        );
    }
    // The configuration warns of a delivery lease shorter than this timeout.
    assert_eq!(
        t["Globals"]["Function"]["Timeout"].as_i64(),
        Some(trailwatch::lambda::TEMPLATE_TIMEOUT_SECS)
    );
    assert!(
        of_type(&t, "AWS::Serverless::Function")
            .iter()
            .all(|(_, f)| f["Properties"]["Timeout"].is_null()),
        "a function with a timeout of its own"
    );
    let globals_env = &t["Globals"]["Function"]["Environment"]["Variables"];
    assert_eq!(
        globals_env["TRAILWATCH_TABLE"],
        json!({"Ref": "StateTable"})
    );
    assert_eq!(
        globals_env["TRAILWATCH_TOPIC_ARN"],
        json!({"Ref": "FindingsTopic"})
    );
    // The heartbeat's settings reach the function that runs the check.
    let pipeline = &t["Resources"]["PipelineFunction"]["Properties"]["Environment"]["Variables"];
    for (var, param) in [
        (
            "TRAILWATCH_SILENCE_SECS",
            json!({"Ref": "PipelineSilenceSeconds"}),
        ),
        (
            "TRAILWATCH_EXPECTED_ACCOUNTS",
            json!({"Fn::Join": [",", {"Ref": "ExpectedAccountIds"}]}),
        ),
        (
            "TRAILWATCH_EXPECTED_REGIONS",
            json!({"Fn::Join": [",", {"Ref": "ExpectedRegions"}]}),
        ),
    ] {
        assert_eq!(pipeline[var], param, "{var}");
    }
}

/// With `TRAILWATCH_BLESS=1`, writes each group's derived pattern and rule state
/// into template.yaml (the lines after the function's `Binary: <group>`), so that
/// adding a detection never means editing a pattern by hand. Whether it changed
/// the file.
fn bless_template() -> bool {
    let path = root().join("template.yaml");
    let text = fs::read_to_string(&path).expect("template.yaml");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    for g in catalog::GROUPS {
        let Some(start) = lines
            .iter()
            .position(|l| l.trim() == format!("Binary: {}", g.name))
        else {
            continue;
        };
        let end = lines[start..]
            .iter()
            .position(|l| l.starts_with("  ") && !l.starts_with("   ") && l.ends_with(':'))
            .map_or(lines.len(), |n| start + n);
        // The nth rule of the function gets the nth pattern; a missing rule is
        // the check's to report (bless does not add resources).
        let wanted = expected_patterns(g);
        let mut nth = 0;
        for line in &mut lines[start..end] {
            let indent = &line[..line.len() - line.trim_start().len()];
            if let Some(current) = line.trim_start().strip_prefix("Pattern: ") {
                let Some(want) = wanted.get(nth) else {
                    continue;
                };
                nth += 1;
                // Only a pattern that differs is rewritten (less churn to merge).
                let same = serde_json::from_str::<Value>(current)
                    .is_ok_and(|c| normalize(&c) == normalize(want));
                if !same {
                    *line = format!("{indent}Pattern: {want}");
                }
            } else if line.trim_start().starts_with("State: ") {
                *line = format!("{indent}State: {}", rules::group_rule_state(g));
            }
        }
    }
    // Rules sit on trailwatch's bus (groups added before it existed get the line).
    let mut i = 0;
    while i < lines.len() {
        let is_rule_name = lines[i]
            .trim_start()
            .starts_with("RuleName: !Sub \"${AWS::StackName}-");
        if is_rule_name
            && !lines
                .get(i + 1)
                .is_some_and(|l| l.contains("EventBusName:"))
        {
            let indent = lines[i][..lines[i].len() - lines[i].trim_start().len()].to_owned();
            lines.insert(i + 1, format!("{indent}{BUS_LINE}"));
        }
        i += 1;
    }
    let mut out = lines.join("\n").replace(OLD_RULE_ARN, RULE_ARN);
    out.push('\n');
    let changed = out != text;
    if changed {
        fs::write(&path, out).expect("write template.yaml");
    }
    changed
}

/// A blessing run that rewrote `file` fails: the test just compared the file
/// with what it wrote, so it has checked nothing (a `TRAILWATCH_BLESS=1` left
/// in a CI environment would otherwise pass every change).
fn fail_if_blessed(changed: bool, file: &str) {
    assert!(
        !changed,
        "TRAILWATCH_BLESS=1 rewrote {file}: review the change, then run the test again without it"
    );
}

/// A group rule's bus, and the ARN form of a rule on it in the queue policy.
const BUS_LINE: &str = "EventBusName: !Ref EventBus";
const RULE_ARN: &str = ":rule/${AWS::StackName}/${AWS::StackName}-";
/// The form of rules on the default bus, before the central bus.
const OLD_RULE_ARN: &str = ":rule/${AWS::StackName}-";

#[test]
fn each_rule_pattern_is_derived_from_its_detections() {
    if std::env::var("TRAILWATCH_BLESS").as_deref() == Ok("1") {
        fail_if_blessed(bless_template(), "template.yaml");
    }
    let t = template();
    let mut failures = Vec::new();
    for g in catalog::GROUPS {
        let (name, f) = function(&t, g.name);
        let events = f["Properties"]["Events"].as_object().expect("Events");
        let rules: Vec<_> = events
            .values()
            .filter(|e| e["Type"] == "EventBridgeRule")
            .collect();
        let wanted = expected_patterns(g);
        assert_eq!(
            rules.len(),
            wanted.len(),
            "{name}: one EventBridge rule per pattern its detections need (named {:?})",
            (0..wanted.len())
                .map(|i| rules::group_rule_name(g, i))
                .collect::<Vec<_>>()
        );
        for (i, (rule, want)) in rules.iter().zip(&wanted).enumerate() {
            let rule = &rule["Properties"];
            if normalize(&rule["Pattern"]) != normalize(want) {
                failures.push(format!(
                    "{name} ({}): rule {} pattern differs from the detections' metadata; expected\n            Pattern: {}",
                    g.name,
                    i + 1,
                    want
                ));
            }
            let state = rule["State"].as_str().unwrap_or("ENABLED");
            let expected_state = rules::group_rule_state(g);
            if state != expected_state {
                failures.push(format!(
                    "{name}: rule state {state}, expected {expected_state}"
                ));
            }
            assert_eq!(
                rule["RuleName"],
                json!({"Fn::Sub": format!("${{AWS::StackName}}-{}", rules::group_rule_name(g, i))}),
                "{name}: the queue policy names the rule by this name"
            );
            assert_eq!(
                rule["EventBusName"],
                json!({"Ref": "EventBus"}),
                "{name}: the rule sits on trailwatch's bus, where every forwarder puts events"
            );
            assert!(
                rule["DeadLetterConfig"]["Arn"].is_object(),
                "{name}: the rule has a dead-letter queue"
            );
            assert!(
                rule["RetryPolicy"].is_object(),
                "{name}: the rule has a retry policy"
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The alternative for calls made as root: every source but sign-in's, or,
/// in a group split over two rules, those sources narrowed to each rule's
/// (`rules::split_group_patterns`), sign-in's never among them.
fn root_calls(alt: &Value) -> bool {
    let Some(fields) = alt.as_object() else {
        return false;
    };
    let sources = &alt["eventSource"];
    let everything_but_sign_in = *sources == json!([{"anything-but": "signin.amazonaws.com"}])
        || sources[0]["anything-but"]
            .as_array()
            .is_some_and(|a| a.contains(&json!("signin.amazonaws.com")));
    let narrowed = sources.as_array().is_some_and(|a| {
        !a.is_empty()
            && a.iter()
                .all(|s| s.is_string() && *s != "signin.amazonaws.com")
    });
    fields.len() == 2
        && alt["userIdentity"] == json!({"type": ["Root"]})
        && (everything_but_sign_in || narrowed)
}

#[test]
fn the_derived_patterns_are_narrow() {
    // Every alternative names its events, or narrows a whole service with more
    // keys; the one broad user-agent rule and the calls made as root (rare by
    // nature, whatever the service) are deliberate (add others here, knowingly).
    for (g, p) in catalog::GROUPS
        .iter()
        .flat_map(|g| expected_patterns(g).into_iter().map(move |p| (g, p)))
    {
        let alternatives = p["detail"]["$or"]
            .as_array()
            .cloned()
            .unwrap_or_else(|| vec![p["detail"].clone()]);
        for alt in alternatives {
            let keys: BTreeSet<&str> = alt
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            if keys.contains("userAgent") {
                assert_eq!(g.name, "cli-endpoint", "{}: {alt}", g.name);
                continue;
            }
            if root_calls(&alt) {
                continue;
            }
            assert!(keys.contains("eventSource"), "{}: {alt}", g.name);
            assert!(
                keys.len() > 1,
                "{}: a whole event source is too broad: {alt}",
                g.name
            );
            if needs_read_only(g) {
                // Read-only events flood a rule that does not list its names.
                assert!(keys.contains("eventName"), "{}: {alt}", g.name);
            }
        }
    }
}

#[test]
fn failures_land_in_a_dead_letter_queue() {
    let t = template();
    let queues = of_type(&t, "AWS::SQS::Queue");
    assert!(!queues.is_empty());
    for (name, q) in &queues {
        assert!(
            q["Properties"]["MessageRetentionPeriod"]
                .as_i64()
                .unwrap_or(0)
                >= 4 * 86400,
            "{name}: retention"
        );
        assert_eq!(
            q["Properties"]["SqsManagedSseEnabled"], true,
            "{name}: encryption"
        );
    }
    for g in catalog::GROUPS {
        let (name, f) = function(&t, g.name);
        let on_failure = &f["Properties"]["EventInvokeConfig"]["DestinationConfig"]["OnFailure"];
        assert_eq!(on_failure["Type"], "SQS", "{name}: on-failure destination");
        let q = get_att_target(&on_failure["Destination"]).expect("GetAtt queue");
        assert!(
            queues.iter().any(|(n, _)| n.as_str() == q),
            "{name}: {q} is a queue of the template"
        );
    }
    // EventBridge may write to the queue only for this stack's rules.
    let policies = of_type(&t, "AWS::SQS::QueuePolicy");
    assert_eq!(policies.len(), 1);
    let text = policies[0].1.to_string();
    for g in catalog::GROUPS {
        for i in 0..expected_patterns(g).len() {
            let rule = rules::group_rule_name(g, i);
            assert!(
                text.contains(&format!(
                    "rule/${{AWS::StackName}}/${{AWS::StackName}}-{rule}\""
                )),
                "queue policy names rule {rule}"
            );
        }
    }
}

/// Billing, keys and encryption of a state table (`schema`).
fn assert_table_schema(p: &Value) {
    assert_eq!(p["BillingMode"], schema::BILLING_MODE);
    assert_eq!(
        normalize(&p["KeySchema"]),
        normalize(&json!([
            {"AttributeName": schema::PARTITION_KEY, "KeyType": "HASH"},
            {"AttributeName": schema::SORT_KEY, "KeyType": "RANGE"},
        ]))
    );
    assert_eq!(
        normalize(&p["AttributeDefinitions"]),
        normalize(&json!([
            {"AttributeName": schema::PARTITION_KEY, "AttributeType": "S"},
            {"AttributeName": schema::SORT_KEY, "AttributeType": "S"},
        ]))
    );
    assert_eq!(p["SSESpecification"]["SSEEnabled"], true);
}

#[test]
fn the_state_table_follows_the_schema() {
    let t = template();
    let tables = of_type(&t, "AWS::DynamoDB::Table");
    assert_eq!(tables.len(), 1, "one state table");
    let p = &tables[0].1["Properties"];
    assert_table_schema(p);
    assert_eq!(
        p["TimeToLiveSpecification"],
        json!({"AttributeName": schema::TTL_ATTRIBUTE, "Enabled": true})
    );
}

#[test]
fn the_topic_is_encrypted_and_email_is_optional() {
    let t = template();
    let topics = of_type(&t, "AWS::SNS::Topic");
    let names: BTreeSet<&str> = topics.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        BTreeSet::from(["ChatTopic", "FindingsTopic", "HealthTopic"]),
        "the findings topic, the optional chat topic, the health alarms' topic"
    );
    for (name, topic) in &topics {
        // CloudWatch alarms cannot publish with the AWS managed key; the
        // health topic carries alarm states, never a record's text.
        let key = if *name == "HealthTopic" {
            Value::Null
        } else {
            json!("alias/aws/sns")
        };
        assert_eq!(topic["Properties"]["KmsMasterKeyId"], key, "{name}");
    }
    assert_eq!(resources(&t)["ChatTopic"]["Condition"], "ChatEnabled");
    let env = &t["Globals"]["Function"]["Environment"]["Variables"];
    assert_eq!(
        env["TRAILWATCH_CHAT_TOPIC_ARN"],
        json!({"Fn::If": ["ChatEnabled", {"Ref": "ChatTopic"}, ""]})
    );
    assert_eq!(
        env["TRAILWATCH_SECURITY_HUB"],
        json!({"Fn::If": ["SecurityHubEnabled", {"Fn::Sub": SECURITY_HUB_PRODUCT}, ""]})
    );
    assert_eq!(
        env["TRAILWATCH_FINDINGS_FORMAT"],
        json!({"Ref": "FindingsFormat"})
    );
    for p in ["SecurityHubImport", "ChatNotifications"] {
        assert_eq!(
            t["Parameters"][p]["Default"], "false",
            "{p}: off by default"
        );
    }
    assert_eq!(t["Parameters"]["FindingsFormat"]["Default"], "json");
    for (name, s) in of_type(&t, "AWS::SNS::Subscription") {
        assert!(
            s["Condition"].is_string(),
            "{name}: subscriptions are optional"
        );
    }
    assert_eq!(t["Parameters"]["AlertEmail"]["Default"], "");
}

/// The e-mail subscription takes findings of at least the chosen severity by a
/// numeric filter on `severity_rank`: the template's mapping must give each
/// severity the rank the functions send (a critical mapped to 2 would drop every
/// critical finding from a "high and above" subscription).
#[test]
fn the_email_filter_ranks_severities_as_the_functions_do() {
    use trailwatch::detection::Severity;
    let t = template();
    let severities = [
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];
    let mut mapping = Map::new();
    for s in severities {
        let rank = trailwatch::notify::message::severity_rank(s);
        mapping.insert(s.as_str().to_owned(), json!({ "Rank": rank }));
    }
    assert_eq!(t["Mappings"]["SeverityRank"], Value::Object(mapping));
    assert_eq!(
        t["Parameters"]["AlertEmailMinimumSeverity"]["AllowedValues"],
        json!(severities.map(Severity::as_str))
    );
    assert_eq!(
        resources(&t)["AlertEmailSubscription"]["Properties"]["FilterPolicy"],
        json!({"severity_rank": [{"numeric": [">=", {"Fn::FindInMap": ["SeverityRank", {"Ref": "AlertEmailMinimumSeverity"}, "Rank"]}]}]})
    );
}

#[test]
fn each_function_reaches_only_its_own_keys_the_topic_and_its_logs() {
    let t = template();
    let res = resources(&t);
    for g in catalog::GROUPS {
        let (name, f) = function(&t, g.name);
        let p = &f["Properties"];
        let role_name =
            get_att_target(&p["Role"]).unwrap_or_else(|| panic!("{name}: an explicit role"));
        assert!(
            p["Policies"].is_null(),
            "{name}: permissions live in its role only"
        );
        let role = &res[role_name];
        assert_eq!(role["Type"], "AWS::IAM::Role");
        assert!(
            role["Properties"]["ManagedPolicyArns"].is_null(),
            "{name}: no managed policies"
        );
        // Optional destinations are statements under `!If [Condition, ...,
        // AWS::NoValue]`: (statement, condition).
        let statements: Vec<(&Value, Option<&str>)> = role["Properties"]["Policies"]
            .as_array()
            .expect("inline policies")
            .iter()
            .flat_map(|pol| {
                pol["PolicyDocument"]["Statement"]
                    .as_array()
                    .unwrap()
                    .iter()
            })
            .map(|s| match s["Fn::If"].as_array() {
                Some(branches) => {
                    assert_eq!(branches.len(), 3, "{name}: {s}");
                    assert_eq!(branches[2], json!({"Ref": "AWS::NoValue"}), "{name}: {s}");
                    (&branches[1], branches[0].as_str())
                }
                None => (s, None),
            })
            .collect();
        let mut seen_hub = false;
        let mut seen_chat = false;
        let actions = |s: &Value| -> Vec<String> {
            match &s["Action"] {
                Value::String(a) => vec![a.clone()],
                Value::Array(a) => a.iter().map(|x| x.as_str().unwrap().to_owned()).collect(),
                other => panic!("{name}: Action {other}"),
            }
        };
        let mut seen_table = false;
        let mut seen_topic = false;
        let mut seen_tuning = false;
        for &(s, condition) in &statements {
            assert_eq!(s["Effect"], "Allow");
            let acts = actions(s);
            let service: BTreeSet<&str> =
                acts.iter().map(|a| a.split(':').next().unwrap()).collect();
            assert_eq!(
                service.len(),
                1,
                "{name}: one service per statement: {acts:?}"
            );
            match *service.iter().next().unwrap() {
                "dynamodb" => {
                    seen_table = true;
                    // Query: windows read their items back, and tuning dedup (which
                    // any detection may get from the tuning file at run time) counts
                    // held-back findings; still only under the group's key prefix.
                    let mut expected: Vec<&str> = CLAIM_ACTIONS.to_vec();
                    expected.extend(WINDOW_ACTIONS);
                    let mut got: Vec<&str> = acts.iter().map(String::as_str).collect();
                    got.sort_unstable();
                    expected.sort_unstable();
                    assert_eq!(got, expected, "{name}: exactly the table actions it uses");
                    assert_eq!(get_att_target(&s["Resource"]), Some("StateTable"), "{name}");
                    assert_eq!(
                        s["Condition"],
                        json!({"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [format!("{}*", schema::key_prefix(g.name))]}}),
                        "{name}: confined to its key prefix"
                    );
                }
                "sns" if condition == Some("ChatEnabled") => {
                    seen_chat = true;
                    assert_eq!(acts, vec!["sns:Publish"], "{name}");
                    assert_eq!(s["Resource"], json!({"Ref": "ChatTopic"}), "{name}");
                }
                "sns" => {
                    seen_topic = true;
                    assert_eq!(condition, None, "{name}");
                    assert_eq!(acts, vec!["sns:Publish"], "{name}");
                    assert_eq!(s["Resource"], json!({"Ref": "FindingsTopic"}), "{name}");
                }
                "securityhub" => {
                    seen_hub = true;
                    assert_eq!(condition, Some("SecurityHubEnabled"), "{name}");
                    assert_eq!(acts, vec!["securityhub:BatchImportFindings"], "{name}");
                    assert_eq!(
                        s["Resource"],
                        json!({"Fn::Sub": SECURITY_HUB_PRODUCT}),
                        "{name}: only this account's default product"
                    );
                }
                "s3" => {
                    // The tuning file: that one object, read only.
                    seen_tuning = true;
                    assert_eq!(acts, vec!["s3:GetObject"], "{name}");
                    assert_eq!(
                        s["Resource"],
                        json!({"Fn::Sub": "arn:${AWS::Partition}:s3:::${TuningBucket}/${TuningKey}"}),
                        "{name}: only the tuning object"
                    );
                }
                "sqs" => {
                    assert_eq!(acts, vec!["sqs:SendMessage"], "{name}");
                    let q = get_att_target(&s["Resource"]).unwrap();
                    assert_eq!(res[q]["Type"], "AWS::SQS::Queue", "{name}");
                }
                "logs" => {
                    let lg = get_att_target(&s["Resource"]).unwrap();
                    assert_eq!(res[lg]["Type"], "AWS::Logs::LogGroup", "{name}");
                    assert_eq!(
                        p["LoggingConfig"]["LogGroup"],
                        json!({"Ref": lg}),
                        "{name}: logs to its own group"
                    );
                    assert!(
                        res[lg]["Properties"]["RetentionInDays"].is_object()
                            || res[lg]["Properties"]["RetentionInDays"].is_number(),
                        "{name}: log retention"
                    );
                }
                other => panic!("{name}: unexpected service {other}"),
            }
        }
        assert!(
            seen_table && seen_topic && seen_tuning,
            "{name}: needs the table, the topic and the tuning file"
        );
        assert!(
            seen_hub && seen_chat,
            "{name}: the optional Security Hub and chat statements (docs/findings.md)"
        );
    }
    let (_, corr) = function(&t, "correlation");
    assert!(
        corr["Properties"]["ReservedConcurrentExecutions"].is_object(),
        "correlation: reserved concurrency parameter"
    );
}

/// Whether an IAM statement's value grants a wildcard: a string with `*`, or an
/// unscoped one in a `Fn::Sub`, also inside `Fn::If` or a list.
fn wide(v: &Value) -> bool {
    match v {
        Value::String(text) => text.contains('*'),
        Value::Object(m) if m.contains_key("Fn::Sub") => {
            unscoped_sub_wildcard(v)
                || m["Fn::Sub"]
                    .get(1)
                    .and_then(Value::as_object)
                    .is_some_and(|vars| vars.values().any(wide))
        }
        Value::Object(m) => m.values().any(wide),
        Value::Array(a) => a.iter().any(wide),
        _ => false,
    }
}

/// A `Fn::Sub` (either form) whose `*` scopes nothing: before it, only the
/// partition, Region, account or URL suffix (`arn:${AWS::Partition}:s3:::*`, a
/// `table/*` of the account). A `*` after one of the template's own names
/// (`${TuningBucket.Arn}/*`, `${ArchiveBucket}/${ArchivePrefix}*`, the stack's
/// name) covers that resource's objects or versions only.
fn unscoped_sub_wildcard(v: &Value) -> bool {
    let (text, vars) = match &v["Fn::Sub"] {
        Value::String(t) => (t.as_str(), None),
        Value::Array(a) => (
            a.first().and_then(Value::as_str).unwrap_or(""),
            a.get(1).and_then(Value::as_object),
        ),
        _ => return false,
    };
    const PSEUDO: [&str; 4] = [
        "AWS::Partition",
        "AWS::Region",
        "AWS::AccountId",
        "AWS::URLSuffix",
    ];
    // The names that scope: `${X}` other than a pseudo parameter, or a local
    // variable standing for one; `${!X}` is literal text.
    let scoping = |name: &str| {
        !name.starts_with('!')
            && !PSEUDO.contains(&name)
            && !vars
                .and_then(|m| m.get(name))
                .and_then(|v| v["Ref"].as_str())
                .is_some_and(|r| PSEUDO.contains(&r))
    };
    // Every star must come after a scoping name.
    let mut scoped = false;
    let mut rest = text;
    while let Some(at) = rest.find(['*', '$']) {
        if rest[at..].starts_with('*') {
            if !scoped {
                return true;
            }
            rest = &rest[at + 1..];
        } else if let Some((name, after)) = rest[at..]
            .strip_prefix("${")
            .and_then(|r| r.split_once('}'))
        {
            scoped |= scoping(name);
            rest = after;
        } else {
            rest = &rest[at + 1..];
        }
    }
    false
}

#[test]
fn the_sub_wildcard_check_tells_scoped_from_unscoped() {
    let sub = |t: &str| json!({"Fn::Sub": t});
    for unscoped in [
        sub("arn:${AWS::Partition}:s3:::*"),
        sub("arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/*"),
        json!({"Fn::Sub": ["arn:${AWS::Partition}:sns:*:${AWS::AccountId}:${T}", {"T": "x"}]}),
    ] {
        assert!(unscoped_sub_wildcard(&unscoped), "{unscoped}");
        assert!(wide(
            &json!({"Fn::If": ["C", unscoped.clone(), {"Ref": "AWS::NoValue"}]})
        ));
    }
    assert!(wide(
        &json!({"Fn::Sub": ["arn:${P}:s3:::${B}", {"B": "*"}]})
    ));
    // A local variable for a pseudo parameter scopes nothing; nor does `${!X}`;
    // and a name must come before the star, not after it.
    for unscoped in [
        json!({"Fn::Sub": ["arn:${P}:s3:::*", {"P": {"Ref": "AWS::Partition"}}]}),
        sub("arn:${!Literal}:s3:::*"),
        sub("arn:${AWS::Partition}:s3:::*/${Key}"),
    ] {
        assert!(unscoped_sub_wildcard(&unscoped), "{unscoped}");
    }
    for scoped in [
        sub("${TuningBucket.Arn}/*"),
        sub("arn:${AWS::Partition}:s3:::${ArchiveBucket}/${ArchivePrefix}*"),
        sub(
            "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:${AWS::StackName}-backtest/*",
        ),
        sub("arn:${AWS::Partition}:s3:::${Bucket}"),
        json!({"Ref": "ArchiveKmsKeyArn"}),
    ] {
        assert!(!unscoped_sub_wildcard(&scoped), "{scoped}");
    }
}

/// The statements of a `Statement` list, a statement wrapped whole in
/// `Fn::If` (as conditional grants are) counting as both its branches.
fn statements(s: &Value) -> Vec<&Value> {
    match s.get("Fn::If").and_then(Value::as_array) {
        Some(branches) => branches
            .iter()
            .skip(1)
            .filter(|b| b["Ref"] != "AWS::NoValue")
            .flat_map(statements)
            .collect(),
        None => vec![s],
    }
}

/// Every wildcard an Allow statement anywhere in `v` grants: actions or
/// resources (see [`wide`]), NotAction/NotResource, a `*` principal.
fn wildcard_grants(v: &Value, path: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::Array(stmts)) = m.get("Statement") {
                for (i, s) in stmts.iter().flat_map(statements).enumerate() {
                    let sid = s["Sid"].as_str().unwrap_or("");
                    // A Deny grants nothing: its wildcards narrow access
                    // (the tuning bucket's guard policy).
                    if WILDCARD_ALLOWED_SIDS.contains(&sid) || s["Effect"] == "Deny" {
                        continue;
                    }
                    for key in ["Action", "NotAction", "Resource", "NotResource"] {
                        let vals: Vec<&Value> = match &s[key] {
                            Value::Array(a) => a.iter().collect(),
                            Value::Null => vec![],
                            one => vec![one],
                        };
                        for val in vals {
                            if wide(val) {
                                out.push(format!("{path}/Statement[{i}] ({sid}) {key}: {val}"));
                            }
                        }
                    }
                    if s.get("NotAction").is_some() || s.get("NotResource").is_some() {
                        out.push(format!(
                            "{path}/Statement[{i}] ({sid}): NotAction/NotResource"
                        ));
                    }
                    if s["Principal"] == "*" || s["Principal"]["AWS"] == "*" {
                        out.push(format!("{path}/Statement[{i}] ({sid}): Principal *"));
                    }
                }
            }
            for (k, v) in m {
                wildcard_grants(v, &format!("{path}/{k}"), out);
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                wildcard_grants(v, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// Whether a parameter's `AllowedPattern` lets a `*` through: a character
/// class holding one, or an unescaped `.` outside any class.
fn pattern_admits_star(pattern: &str) -> bool {
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '[' => {
                let class: String = chars.by_ref().take_while(|&c| c != ']').collect();
                if class.contains('*') {
                    return true;
                }
            }
            '.' => return true,
            _ => {}
        }
    }
    false
}

#[test]
fn patterns_that_let_a_star_through() {
    for wide in ["^[A-Za-z0-9!_.*'()/-]*$", "^.+$", "^(a|b.*)$"] {
        assert!(pattern_admits_star(wide), "{wide}");
    }
    for narrow in [
        "^[A-Za-z0-9!_.'()/-]*$",
        "^[A-Za-z0-9-]{1,30}$",
        "^(arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+)?$",
        "^a\\.b$",
    ] {
        assert!(!pattern_admits_star(narrow), "{narrow}");
    }
}

/// The check reads statements wrapped in `Fn::If`, both branches.
#[test]
fn a_conditional_wildcard_grant_is_found() {
    let policy = json!({"PolicyDocument": {"Statement": [
        {"Fn::If": ["HasKey",
            {"Sid": "Wide", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"},
            {"Ref": "AWS::NoValue"}]},
        {"Fn::If": ["Other", {"Ref": "AWS::NoValue"},
            {"Sid": "AllActions", "Effect": "Allow", "Action": "s3:*", "Resource": {"Fn::Sub": "${B.Arn}/*"}}]},
        {"Sid": "Narrow", "Effect": "Allow", "Action": "s3:GetObject", "Resource": {"Fn::Sub": "${B.Arn}/k"}}
    ]}});
    let mut found = Vec::new();
    wildcard_grants(&policy, "", &mut found);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].contains("(Wide) Resource") && found[1].contains("(AllActions) Action"));
}

#[test]
fn no_wildcard_actions_or_resources() {
    let t = template();
    let mut found = Vec::new();
    wildcard_grants(&t, "", &mut found);
    wildcard_grants(&forwarder(), "deploy/forwarder.yaml", &mut found);
    wildcard_grants(
        &load("deploy/backtest.yaml"),
        "deploy/backtest.yaml",
        &mut found,
    );
    assert!(
        found.is_empty(),
        "wildcards in IAM statements:\n{}",
        found.join("\n")
    );
    // A parameter spliced into a resource ARN must not let a deployer bring
    // the wildcard in (a TuningKey of "*" would read the whole bucket).
    for (name, doc) in [
        ("template.yaml", t.clone()),
        ("deploy/forwarder.yaml", forwarder()),
        ("deploy/backtest.yaml", load("deploy/backtest.yaml")),
    ] {
        let subs = doc["Resources"].to_string();
        for (param, p) in doc["Parameters"].as_object().unwrap() {
            if p["Type"] != "String" || !subs.contains(&format!("${{{param}}}")) {
                continue;
            }
            let pattern = p["AllowedPattern"].as_str().unwrap_or("");
            assert!(
                !pattern.is_empty() && !pattern_admits_star(pattern),
                "{name}: {param} is spliced into resources; its AllowedPattern {pattern:?} must refuse *"
            );
        }
    }
    // SAM policy templates and managed policies would hide what a function may do.
    for (name, f) in of_type(&t, "AWS::Serverless::Function") {
        assert!(
            f["Properties"]["Policies"].is_null(),
            "{name}: no SAM policies"
        );
    }
}

#[test]
fn derivation_matches_by_hand_for_two_groups() {
    // Guards the derivation itself against a silent change.
    let g = catalog::group("signin-failures").unwrap();
    assert_eq!(
        expected_pattern(g),
        json!({"source": [{"prefix": "aws."}], "detail": {"eventSource": ["signin.amazonaws.com"], "eventName": ["ConsoleLogin", "CredentialVerification"]}})
    );
    // The CLI rule sees read-only calls too, so it is narrowed to the two signals.
    let g = catalog::group("cli-endpoint").unwrap();
    let p = expected_pattern(g);
    let alts = p["detail"]["$or"].as_array().expect("two alternatives");
    assert_eq!(alts.len(), 2, "{p}");
    assert_eq!(
        alts[0]["userAgent"],
        json!([{"wildcard": "aws-cli/*m/N*"}, {"wildcard": "aws-cli/*m/*,N*"}])
    );
    assert_eq!(alts[1]["userAgent"], json!([{"prefix": "aws-cli/"}]));
    assert!(alts[1]["tlsDetails"]["clientProvidedHostHeader"].is_array());
    assert_eq!(rules::group_rule_state(g), rules::ALL_MANAGEMENT_EVENTS);
}

// ---------------------------------------------------------------------------
// deploy/forwarder.yaml: the forwarding rules are derived from the catalogue too.

const GENERATED_START: &str = "  # (generated: forwarding rules)";
const GENERATED_END: &str = "  # (end generated: forwarding rules)";

/// The forwarding rules' resources, as written between the markers.
fn forwarder_rules_yaml() -> String {
    let mut out = String::new();
    for kind in [Forwarding::Write, Forwarding::ReadOnly] {
        for (i, p) in rules::forwarder_patterns(kind).iter().enumerate() {
            let n = i + 1;
            let id = match kind {
                Forwarding::Write => format!("ForwardWrite{n}"),
                Forwarding::ReadOnly => format!("ForwardReadOnly{n}"),
            };
            out.push_str(&format!(
                r#"  {id}:
    Type: AWS::Events::Rule
    Properties:
      Name: !Join ["-", [!If [PrefixIsStackName, !Ref "AWS::StackName", !Ref ResourcePrefix], "forward-{kind}-{n}"]]
      Description: "trailwatch forwarder: {kind} events some detection can fire on (generated)"
      EventBusName: default
      State: {state}
      EventPattern: {p}
      Targets:
        - Id: central-bus
          Arn: !Ref CentralEventBusArn
          RoleArn: !GetAtt ForwarderRole.Arn
          DeadLetterConfig:
            Arn: !GetAtt ForwardFailedQueue.Arn
"#,
                kind = kind.kind(),
                state = kind.state(),
            ));
        }
    }
    out
}

/// Rewrites the generated block of deploy/forwarder.yaml.
/// Whether it changed the file.
fn bless_forwarder() -> bool {
    let path = root().join("deploy/forwarder.yaml");
    let text = fs::read_to_string(&path).expect("deploy/forwarder.yaml");
    let start = text.find(GENERATED_START).expect("start marker") + GENERATED_START.len() + 1;
    let end = text.find(GENERATED_END).expect("end marker");
    let out = format!(
        "{}{}{}",
        &text[..start],
        forwarder_rules_yaml(),
        &text[end..]
    );
    let changed = out != text;
    if changed {
        fs::write(&path, out).expect("write deploy/forwarder.yaml");
    }
    changed
}

/// The forwarder's rules: (logical id, properties), in template order.
fn forwarder_rules(t: &Value) -> Vec<(&String, &Value)> {
    of_type(t, "AWS::Events::Rule")
        .into_iter()
        .map(|(n, r)| (n, &r["Properties"]))
        .collect()
}

/// docs/organization.md deploys the forwarder with `--template-file` alone,
/// which sends it inline: CloudFormation takes at most 51,200 bytes so (a review
/// of the templates, ninth session). Past that, the docs need `--s3-bucket`.
#[test]
fn the_forwarder_can_be_deployed_inline() {
    const MAX_INLINE_TEMPLATE_BYTES: u64 = 51_200;
    let bytes = fs::metadata(root().join("deploy/forwarder.yaml"))
        .expect("deploy/forwarder.yaml")
        .len();
    assert!(
        bytes <= MAX_INLINE_TEMPLATE_BYTES,
        "deploy/forwarder.yaml is {bytes} bytes, over CloudFormation's {MAX_INLINE_TEMPLATE_BYTES} for an inline \
         template: add --s3-bucket to docs/organization.md's forwarder commands, then raise this"
    );
}

#[test]
fn the_forwarder_rules_are_derived_from_the_catalogue() {
    if std::env::var("TRAILWATCH_BLESS").as_deref() == Ok("1") {
        fail_if_blessed(bless_forwarder(), "deploy/forwarder.yaml");
    }
    let t = forwarder();
    let rules_in_file = forwarder_rules(&t);
    let mut want = Vec::new();
    for kind in [Forwarding::Write, Forwarding::ReadOnly] {
        for p in rules::forwarder_patterns(kind) {
            want.push((kind.state(), normalize(&p)));
        }
    }
    let mut got: Vec<(&str, Value)> = rules_in_file
        .iter()
        .map(|(_, p)| {
            (
                p["State"].as_str().unwrap_or("ENABLED"),
                normalize(&p["EventPattern"]),
            )
        })
        .collect();
    // Resources come back sorted by logical id: compare as sets.
    got.sort_by_key(|(s, p)| format!("{s}{p}"));
    want.sort_by_key(|(s, p)| format!("{s}{p}"));
    assert!(
        got == want,
        "deploy/forwarder.yaml's forwarding rules differ from the catalogue; run\n  TRAILWATCH_BLESS=1 cargo test -p trailwatch-tests --test template"
    );
    for (name, p) in &rules_in_file {
        assert_eq!(p["EventBusName"], "default", "{name}: the default bus");
        let targets = p["Targets"].as_array().expect("targets");
        assert_eq!(targets.len(), 1, "{name}: one target");
        assert_eq!(
            targets[0]["Arn"],
            json!({"Ref": "CentralEventBusArn"}),
            "{name}"
        );
        assert_eq!(
            targets[0]["RoleArn"],
            json!({"Fn::GetAtt": ["ForwarderRole", "Arn"]}),
            "{name}"
        );
    }
}

#[test]
fn forwarding_has_both_kinds_and_the_read_only_ones_only_for_read_only_triggers() {
    let write = rules::forwarder_patterns(Forwarding::Write);
    let read_only = rules::forwarder_patterns(Forwarding::ReadOnly);
    assert!(!write.is_empty());
    let any_read_only = catalog::ALL
        .iter()
        .any(|d| d.meta().needs_read_only_events());
    assert_eq!(!read_only.is_empty(), any_read_only);
}

#[test]
fn eventbridge_limits_hold_on_every_bus() {
    // Central bus: each group's rules. Default bus of each account and Region: the
    // forwarding rules.
    let central: Vec<Value> = catalog::GROUPS.iter().flat_map(expected_patterns).collect();
    let forwarding: Vec<Value> = [Forwarding::Write, Forwarding::ReadOnly]
        .into_iter()
        .flat_map(rules::forwarder_patterns)
        .collect();
    for (bus, patterns) in [("central", &central), ("default", &forwarding)] {
        for p in patterns {
            let len = rules::pattern_len(p);
            assert!(
                len <= rules::MAX_PATTERN_CHARS,
                "{bus} bus: a pattern of {len} characters: {p}"
            );
        }
        assert!(
            patterns.len() <= rules::MAX_RULES_PER_BUS,
            "{bus} bus: rules"
        );
        let wildcards = patterns
            .iter()
            .filter(|p| p.to_string().contains("\"wildcard\""))
            .count();
        assert!(
            wildcards <= rules::MAX_WILDCARD_RULES_PER_BUS,
            "{bus} bus: {wildcards} rules with wildcards"
        );
    }
}

#[test]
fn the_forwarder_names_everything_with_the_prefix_and_grants_little() {
    let t = forwarder();
    let res = resources(&t);
    let prefix = json!({"Fn::If": ["PrefixIsStackName", {"Ref": "AWS::StackName"}, {"Ref": "ResourcePrefix"}]});
    for (name, r) in res {
        if r["Type"] == "AWS::SQS::QueuePolicy" {
            continue; // a policy has no name of its own
        }
        let p = &r["Properties"];
        let named = ["Name", "RoleName", "QueueName", "AlarmName"]
            .iter()
            .find_map(|k| p.get(*k))
            .unwrap_or_else(|| panic!("{name}: has no name"));
        assert_eq!(
            named["Fn::Join"][1][0], prefix,
            "{name}: its name starts with the prefix"
        );
    }
    // The forwarder role puts events on the central bus, nothing else.
    let statements = |role: &str| -> Vec<Value> {
        res[role]["Properties"]["Policies"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p["PolicyDocument"]["Statement"].as_array().unwrap().clone())
            .collect()
    };
    let s = statements("ForwarderRole");
    assert_eq!(s.len(), 1);
    assert_eq!(s[0]["Action"], "events:PutEvents");
    assert_eq!(s[0]["Resource"], json!({"Ref": "CentralEventBusArn"}));
    // Only this account's forwarding rules and canary schedule assume them.
    let trust = |role: &str| {
        res[role]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Condition"].to_string()
    };
    assert!(
        trust("ForwarderRole").contains(":rule/${Prefix}-forward-*"),
        "{}",
        trust("ForwarderRole")
    );
    assert!(
        // Scheduler's source is the schedule group (a schedule's ARN is refused).
        trust("CanaryRole").contains(":schedule-group/default\""),
        "{}",
        trust("CanaryRole")
    );
    for role in ["ForwarderRole", "CanaryRole"] {
        assert!(trust(role).contains("aws:SourceAccount"), "{role}");
    }
    // What EventBridge cannot put on the central bus waits in the stack's
    // queue (written by these rules only) and raises an alarm; no target sets
    // a retry policy, which EventBridge does not offer for bus targets (the
    // default retries for a day).
    for (id, rule) in forwarder_rules(&t) {
        for target in rule["Targets"].as_array().unwrap() {
            assert_eq!(
                target["DeadLetterConfig"]["Arn"],
                json!({"Fn::GetAtt": ["ForwardFailedQueue", "Arn"]}),
                "{id}"
            );
            assert!(target.get("RetryPolicy").is_none(), "{id}");
        }
    }
    let queue_policy =
        &res["ForwardFailedQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"];
    assert_eq!(queue_policy.as_array().unwrap().len(), 1);
    assert_eq!(
        queue_policy[0]["Principal"],
        json!({"Service": "events.amazonaws.com"})
    );
    assert_eq!(queue_policy[0]["Action"], "sqs:SendMessage");
    assert!(
        queue_policy[0]["Condition"]["ArnLike"]["aws:SourceArn"]
            .to_string()
            .contains(":rule/${Prefix}-forward-*")
    );
    let alarm = &res["ForwardFailedAlarm"]["Properties"];
    assert_eq!(
        alarm["Dimensions"][0]["Value"],
        json!({"Fn::GetAtt": ["ForwardFailedQueue", "QueueName"]})
    );
    assert_eq!(alarm["ComparisonOperator"], "GreaterThanThreshold");
    assert_eq!(alarm["Threshold"], 0);
    let s = statements("CanaryRole");
    assert_eq!(s.len(), 1);
    assert_eq!(s[0]["Action"], "ssm:PutParameter");
    assert!(
        s[0]["Resource"].to_string().contains("CanaryParameter"),
        "the canary role writes its parameter only"
    );
    // The canary: a scheduled SSM PutParameter on that parameter, as the rules expect.
    let sched = &res["CanarySchedule"]["Properties"];
    assert!(
        sched["Target"]["Arn"]
            .to_string()
            .ends_with(":aws-sdk:ssm:putParameter\"}"),
        "{}",
        sched["Target"]["Arn"]
    );
    assert_eq!(rules::canary::EVENT_SOURCE, "ssm.amazonaws.com");
    assert_eq!(rules::canary::EVENT_NAME, "PutParameter");
    assert_eq!(
        res["CanaryParameter"]["Properties"]["Name"]["Fn::Join"][1][1],
        rules::canary::NAME_SUFFIX.trim_start_matches('-')
    );
}

/// What the failed-events queue holds no detection has seen: deleting the
/// stack, or an update that replaces the queue, must not delete it with them.
#[test]
fn the_failed_events_queue_outlives_the_stack() {
    let t = template();
    let q = &resources(&t)["FailedEventsQueue"];
    assert_eq!(q["Type"], "AWS::SQS::Queue");
    assert_eq!(q["DeletionPolicy"], "Retain");
    assert_eq!(q["UpdateReplacePolicy"], "Retain");
}

#[test]
fn the_tuning_bucket_is_private_versioned_and_optional() {
    let t = template();
    let b = &resources(&t)["TuningBucket"];
    assert_eq!(b["Type"], "AWS::S3::Bucket");
    let p = &b["Properties"];
    assert_eq!(p["VersioningConfiguration"]["Status"], "Enabled");
    for k in [
        "BlockPublicAcls",
        "BlockPublicPolicy",
        "IgnorePublicAcls",
        "RestrictPublicBuckets",
    ] {
        assert_eq!(p["PublicAccessBlockConfiguration"][k], true, "{k}");
    }
    assert!(p["BucketEncryption"].is_object());
    // Its policy refuses requests through an access point (a second way in that
    // the tuning-file watch may not see) and without TLS.
    let policy = &resources(&t)["TuningBucketPolicy"]["Properties"];
    assert_eq!(policy["Bucket"], json!({"Ref": "TuningBucket"}));
    let statements = policy["PolicyDocument"]["Statement"].as_array().unwrap();
    let denies = |operator: &str, key: &str| {
        statements.iter().any(|s| {
            s["Effect"] == "Deny"
                && s["Principal"] == "*"
                && s["Action"] == "s3:*"
                && s["Resource"]
                    == json!([
                        {"Fn::GetAtt": ["TuningBucket", "Arn"]},
                        {"Fn::Sub": "${TuningBucket.Arn}/*"}
                    ])
                && s["Condition"] == json!({operator: {key: "false"}})
        })
    };
    // `Null` false: the request names an access point.
    assert!(denies("Null", "s3:DataAccessPointArn"), "{statements:?}");
    assert!(denies("Bool", "aws:SecureTransport"), "{statements:?}");
    // Empty key (the default): the functions run untuned, nothing to read.
    assert_eq!(t["Parameters"]["TuningKey"]["Default"], "");
    let env = &t["Globals"]["Function"]["Environment"]["Variables"];
    assert_eq!(
        env["TRAILWATCH_TUNING"],
        json!({"Fn::If": ["HasTuning", {"Fn::Sub": "s3://${TuningBucket}/${TuningKey}"}, ""]})
    );
    // Read only while this account owns the bucket.
    assert_eq!(
        env["TRAILWATCH_TUNING_BUCKET_OWNER"],
        json!({"Fn::If": ["HasTuning", {"Ref": "AWS::AccountId"}, ""]})
    );
}

#[test]
fn the_organisation_stackset_deploys_the_forwarder_with_its_prefix() {
    let org = load("deploy/organization.yaml");
    let sets = of_type(&org, "AWS::CloudFormation::StackSet");
    assert_eq!(sets.len(), 1);
    let p = &sets[0].1["Properties"];
    assert_eq!(p["PermissionModel"], "SERVICE_MANAGED");
    assert_eq!(p["AutoDeployment"]["Enabled"], true);
    let passed: BTreeSet<&str> = p["Parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["ParameterKey"].as_str().unwrap())
        .collect();
    // StackSet instances get generated stack names: the prefix must be given,
    // and chosen (the central stack's name: no default to fall back on).
    assert!(passed.contains("ResourcePrefix"));
    assert_eq!(org["Parameters"]["ResourcePrefix"].get("Default"), None);
    let fwd = forwarder();
    for (name, param) in fwd["Parameters"].as_object().unwrap() {
        assert!(
            passed.contains(name.as_str()) || param.get("Default").is_some(),
            "the StackSet leaves the forwarder's {name} unset"
        );
    }
    for name in &passed {
        assert!(
            fwd["Parameters"].get(*name).is_some(),
            "the forwarder has no parameter {name}"
        );
    }
    // The global services' Region is required, as the central ExpectedRegions.
    let global = &org["Rules"]["RegionsIncludeGlobalServices"]["Assertions"][0]["Assert"]["Fn::Or"];
    for region in ["us-east-1", "us-gov-west-1", "cn-north-1"] {
        assert!(
            global.as_array().is_some_and(|a| a.contains(&json!({"Fn::Contains": [{"Ref": "Regions"}, region]}))),
            "{region}: {global}"
        );
    }
}

// ---------------------------------------------------------------------------
// deploy/backtest.yaml: the optional backtest (docs/backtest.md).

/// Every statement of a role's inline policies: (Sid, actions, statement, condition
/// of an optional statement under `!If [Condition, ..., AWS::NoValue]`).
fn role_statements(role: &Value) -> Vec<(String, Vec<String>, Value, Option<String>)> {
    role["Properties"]["Policies"]
        .as_array()
        .expect("inline policies")
        .iter()
        .flat_map(|p| p["PolicyDocument"]["Statement"].as_array().unwrap().clone())
        .map(|s| {
            let (s, cond) = match s["Fn::If"].as_array() {
                Some(b) => {
                    assert_eq!(b[2], json!({"Ref": "AWS::NoValue"}), "{s}");
                    (b[1].clone(), b[0].as_str().map(str::to_owned))
                }
                None => (s.clone(), None),
            };
            assert_eq!(s["Effect"], "Allow", "{s}");
            let acts = match &s["Action"] {
                Value::String(a) => vec![a.clone()],
                Value::Array(a) => a.iter().map(|x| x.as_str().unwrap().to_owned()).collect(),
                other => panic!("Action {other}"),
            };
            (s["Sid"].as_str().expect("Sid").to_owned(), acts, s, cond)
        })
        .collect()
}

#[test]
fn the_backtest_function_reads_the_archive_prefix_writes_results_and_its_run_keys() {
    use trailwatch::lambda::backtest::batch::KEY_PREFIX;
    let t = load("deploy/backtest.yaml");
    let res = resources(&t);
    let f = &res["BacktestFunction"];
    assert_eq!(f["Metadata"]["BuildProperties"]["Binary"], "backtest");
    assert!(
        f["Properties"]["Policies"].is_null(),
        "permissions live in its role only"
    );
    let env = &f["Properties"]["Environment"]["Variables"];
    assert_eq!(
        env["TRAILWATCH_TABLE"],
        json!({"Ref": "BacktestTable"}),
        "its own table"
    );
    assert_eq!(
        env["TRAILWATCH_TUNING"],
        json!({"Fn::If": ["HasTuning", {"Fn::Sub": "s3://${TuningBucket}/${TuningKey}"}, ""]}),
        "the tuning object the role may read, or none"
    );
    assert_eq!(
        env["TRAILWATCH_ARCHIVE_BUCKET_OWNER"],
        json!({"Ref": "ArchiveBucketOwner"}),
        "the archive's owner, when given"
    );
    assert_eq!(
        env["TRAILWATCH_STATE_RETENTION_DAYS"],
        json!({"Ref": "StateRetentionDays"}),
        "how long a run's state is kept"
    );
    assert_eq!(
        env["TRAILWATCH_TUNING_BUCKET_OWNER"],
        json!({"Fn::If": ["HasTuning", {"Fn::If": ["HasTuningBucketOwner", {"Ref": "TuningBucketOwner"}, {"Ref": "AWS::AccountId"}]}, ""]}),
        "read only from a bucket the given account, else this one, owns"
    );
    let role = &res[get_att_target(&f["Properties"]["Role"]).expect("explicit role")];
    assert!(role["Properties"]["ManagedPolicyArns"].is_null());
    let got: Vec<(String, Vec<String>, Option<String>)> = role_statements(role)
        .into_iter()
        .map(|(sid, mut acts, s, cond)| {
            acts.sort();
            match sid.as_str() {
                "ListArchivePrefix" => {
                    assert_eq!(s["Resource"], json!({"Fn::Sub": "arn:${AWS::Partition}:s3:::${ArchiveBucket}"}));
                    assert_eq!(s["Condition"], json!({"StringLike": {"s3:prefix": {"Fn::Sub": "${ArchivePrefix}*"}}}));
                }
                "ReadArchivePrefix" => assert_eq!(
                    s["Resource"],
                    json!({"Fn::Sub": "arn:${AWS::Partition}:s3:::${ArchiveBucket}/${ArchivePrefix}*"})
                ),
                "DecryptArchive" => {
                    assert_eq!(s["Resource"], json!({"Ref": "ArchiveKmsKeyArn"}));
                    assert_eq!(
                        s["Condition"],
                        json!({"StringLike": {"kms:ViaService": {"Fn::Sub": "s3.*.${AWS::URLSuffix}"}}}),
                        "only through S3 (amazonaws.com, or amazonaws.com.cn in China)"
                    );
                }
                // The keys `findings_key`, `failures_key` and `manifest_key`
                // make, not the map's results (from a review).
                "WriteResults" => {
                    use trailwatch::lambda::backtest::batch::{failures_key, findings_key};
                    use trailwatch::lambda::backtest::plan::manifest_key;
                    assert_eq!(
                        s["Resource"],
                        json!([
                            {"Fn::Sub": "${ResultsBucket.Arn}/*/findings/*"},
                            {"Fn::Sub": "${ResultsBucket.Arn}/*/failures/*"},
                            {"Fn::Sub": "${ResultsBucket.Arn}/*/manifest*.json"}
                        ])
                    );
                    // IAM's `*` takes any characters, `/` included, as a
                    // tuning glob's does.
                    let granted = |key: &str| {
                        ["*/findings/*", "*/failures/*", "*/manifest*.json"]
                            .iter()
                            .any(|p| trailwatch::tuning::Glob::new(p).is_ok_and(|g| g.matches(key)))
                    };
                    for key in [
                        findings_key("r-1", "000001"),
                        failures_key("r-1", "000001"),
                        manifest_key("r-1", None),
                        manifest_key("r-1", Some("q1")),
                    ] {
                        assert!(granted(&key), "{key}");
                    }
                    assert!(!granted("r-1/map/0f1e/SUCCEEDED_0.json"));
                }
                "RunKeysInBacktestTable" => {
                    assert_eq!(get_att_target(&s["Resource"]), Some("BacktestTable"));
                    assert_eq!(
                        s["Condition"],
                        json!({"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [format!("{KEY_PREFIX}*")]}})
                    );
                }
                "ReadTuning" => assert_eq!(
                    s["Resource"],
                    json!({"Fn::Sub": "arn:${AWS::Partition}:s3:::${TuningBucket}/${TuningKey}"}),
                    "the one tuning object"
                ),
                "PublishFindings" => assert_eq!(s["Resource"], json!({"Ref": "FindingsTopicArn"})),
                "OwnLogGroup" => assert_eq!(get_att_target(&s["Resource"]), Some("BacktestLogGroup")),
                other => panic!("unexpected statement {other}"),
            }
            (sid, acts, cond)
        })
        .collect();
    let mut table_actions: Vec<String> = CLAIM_ACTIONS
        .iter()
        .chain(WINDOW_ACTIONS)
        .map(|a| a.to_string())
        .collect();
    table_actions.sort();
    let s = |v: &[&str]| v.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    let c = |v: &str| Some(v.to_owned());
    assert_eq!(
        got,
        vec![
            ("ListArchivePrefix".into(), s(&["s3:ListBucket"]), None),
            ("ReadArchivePrefix".into(), s(&["s3:GetObject"]), None),
            (
                "DecryptArchive".into(),
                s(&["kms:Decrypt"]),
                c("HasArchiveKey")
            ),
            ("WriteResults".into(), s(&["s3:PutObject"]), None),
            ("RunKeysInBacktestTable".into(), table_actions, None),
            ("ReadTuning".into(), s(&["s3:GetObject"]), c("HasTuning")),
            ("PublishFindings".into(), s(&["sns:Publish"]), c("HasTopic")),
            (
                "OwnLogGroup".into(),
                s(&["logs:CreateLogStream", "logs:PutLogEvents"]),
                None
            ),
        ]
    );
}

/// docs/backtest.md lists every parameter of deploy/backtest.yaml, and its
/// deploy command passes each one that has no default.
#[test]
fn the_backtest_guide_lists_every_parameter() {
    let t = load("deploy/backtest.yaml");
    let guide = fs::read_to_string(root().join("docs/backtest.md")).expect("docs/backtest.md");
    let (deploy, _) = guide
        .split_once("## Run")
        .expect("docs/backtest.md: a Deploy section before Run");
    let rows: Vec<&str> = deploy.lines().filter(|l| l.starts_with("| `")).collect();
    let params = t["Parameters"].as_object().unwrap();
    for (name, p) in params {
        assert!(
            rows.iter().any(|r| r
                .split(" | ")
                .next()
                .is_some_and(|c| c.contains(&format!("`{name}`")))),
            "docs/backtest.md: no row for {name}"
        );
        if p.get("Default").is_none() {
            assert!(
                deploy.contains(&format!(" {name}=")),
                "docs/backtest.md: the deploy command lacks the required {name}"
            );
        }
    }
    // The live stack's name, given: no default to fall back on unnoticed.
    assert_eq!(params["ResourcePrefix"].get("Default"), None);
    // A plan holds its manifest (up to MAX_KEYS_PER_RUN keys) in memory: the
    // memory the guide asks for it is allowed.
    let memory = &params["FunctionMemoryMB"];
    assert!(memory["MaxValue"].as_i64() >= Some(1536), "{memory}");
    assert!(
        deploy.contains("FunctionMemoryMB=1536"),
        "docs/backtest.md: memory for large plans"
    );
    assert_eq!(
        trailwatch::lambda::backtest::plan::MAX_KEYS_PER_RUN,
        2_000_000,
        "update docs/backtest.md's memory advice"
    );
}

#[test]
fn the_backtest_table_has_the_schema_and_ttl() {
    let t = load("deploy/backtest.yaml");
    let tables = of_type(&t, "AWS::DynamoDB::Table");
    assert_eq!(tables.len(), 1);
    let p = &tables[0].1["Properties"];
    assert_table_schema(p);
    // Validity is judged in event time (`valid_until`); the TTL attribute holds
    // the wall clock of the write plus a month (`Validity::EventTime`).
    assert_eq!(
        p["TimeToLiveSpecification"],
        json!({"AttributeName": schema::TTL_ATTRIBUTE, "Enabled": true})
    );
}

#[test]
fn the_backtest_state_machine_plans_then_maps_the_manifest_and_grants_little() {
    use trailwatch::lambda::backtest::{ERROR_FAILED, ERROR_INVALID};
    let t = load("deploy/backtest.yaml");
    let res = resources(&t);
    let sm = &res["BacktestStateMachine"]["Properties"];
    let def = &sm["Definition"];
    let states = &def["States"];
    assert_eq!(def["StartAt"], "Defaults");
    assert_eq!(states["Defaults"]["Next"], "Input");
    assert_eq!(states["Input"]["Next"], "Plan");
    assert_eq!(states["Plan"]["Parameters"]["Payload"]["mode"], "plan");
    // Executions sharing a run_id name their own manifest and batches.
    assert_eq!(
        states["Plan"]["Parameters"]["Payload"]["part.$"],
        "$$.Execution.Name"
    );
    assert_eq!(states["Plan"]["Next"], "Batches");
    let map = &states["Batches"];
    assert_eq!(map["Type"], "Map");
    assert_eq!(
        map["ItemProcessor"]["ProcessorConfig"]["Mode"],
        "DISTRIBUTED"
    );
    // Children may run up to the function's 15 minutes: Express would stop at 5.
    assert_eq!(
        map["ItemProcessor"]["ProcessorConfig"]["ExecutionType"],
        "STANDARD"
    );
    assert_eq!(map["ToleratedFailurePercentage"], 0);
    assert_eq!(
        map["ItemReader"]["Parameters"]["Key.$"],
        "$.plan.manifest.key"
    );
    assert_eq!(map["ItemSelector"]["mode"], "batch");
    // What a batch reads: the fields of `plan::Batch`.
    for field in ["batch", "keys", "filter"] {
        assert_eq!(
            map["ItemSelector"][format!("{field}.$")],
            format!("$$.Map.Item.Value.{field}")
        );
    }
    // Every field of an execution's input has a default, and reaches the plan
    // (but two that the map itself reads); the input as written reaches it too,
    // and it refuses a field it does not know.
    let known = trailwatch::lambda::backtest::plan::EXECUTION_FIELDS;
    for field in known {
        assert!(
            states["Defaults"]["Parameters"].get(*field).is_some()
                || states["Defaults"]["Parameters"]
                    .get(format!("{field}.$"))
                    .is_some(),
            "{field}: a default"
        );
        if !["publish", "max_concurrency"].contains(field) {
            assert_eq!(
                states["Plan"]["Parameters"]["Payload"][format!("{field}.$")],
                format!("$.{field}")
            );
        }
    }
    let defaults = states["Defaults"]["Parameters"].as_object().unwrap();
    assert_eq!(defaults.len(), known.len(), "{defaults:?}");
    assert_eq!(
        states["Plan"]["Parameters"]["Payload"]["execution_input.$"],
        "$$.Execution.Input"
    );
    let batch = &map["ItemProcessor"]["States"]["Batch"];
    for task in [&states["Plan"], batch] {
        assert_eq!(task["Parameters"]["FunctionName"], "${FunctionArn}");
        let retried: Vec<&str> = task["Retry"][0]["ErrorEquals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(retried.contains(&ERROR_FAILED), "{retried:?}");
        // Never retried: a bad request (nor everything, which takes it in).
        for never in [ERROR_INVALID, "States.ALL", "States.TaskFailed"] {
            assert!(!retried.contains(&never), "{never} retried");
        }
    }
    // A batch that died with claims taken is retried: the retry takes them
    // again as their owner (the backtest test kills one to show it).
    let retried = batch["Retry"][0]["ErrorEquals"].to_string();
    for died in ["Lambda.Unknown", "Sandbox.Timedout", "Runtime.ExitError"] {
        assert!(retried.contains(died), "{died} not retried: {retried}");
    }
    // A throttled batch waits longer than a failed one, for up to about 40
    // minutes, rather than fail the run.
    let throttled = &batch["Retry"][1];
    assert_eq!(
        throttled["ErrorEquals"],
        json!(["Lambda.TooManyRequestsException"])
    );
    assert!(throttled["MaxAttempts"].as_u64() >= Some(10), "{throttled}");
    assert!(!retried.contains("TooManyRequests"), "{retried}");
    assert_eq!(
        sm["DefinitionSubstitutions"]["FunctionArn"],
        json!({"Fn::GetAtt": ["BacktestFunction", "Arn"]})
    );
    // Every service integration names the stack's partition (aws-cn, aws-us-gov).
    assert_eq!(
        sm["DefinitionSubstitutions"]["Partition"],
        json!({"Ref": "AWS::Partition"})
    );
    assert_eq!(
        sm["DefinitionSubstitutions"]["LambdaInvoke"],
        json!({"Fn::Sub": "arn:${AWS::Partition}:states:::lambda:invoke"})
    );
    let text = def.to_string();
    assert!(!text.contains("arn:aws"), "a partition written out: {text}");
    for resource in [
        &states["Plan"]["Resource"],
        &batch["Resource"],
        &map["ItemReader"]["Resource"],
        &map["ResultWriter"]["Resource"],
    ] {
        let r = resource.as_str().expect("Resource");
        assert!(
            r == "${LambdaInvoke}" || r.starts_with("arn:${Partition}:states:::"),
            "{r}"
        );
    }
    let role = &res[get_att_target(&sm["RoleArn"]).expect("explicit role")];
    let got: Vec<(String, Vec<String>, Value)> = role_statements(role)
        .into_iter()
        .map(|(sid, mut acts, s, cond)| {
            assert_eq!(cond, None);
            acts.sort();
            (sid, acts, s["Resource"].clone())
        })
        .collect();
    let s = |v: &[&str]| v.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    let machine = "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}";
    assert_eq!(
        got,
        vec![
            (
                "InvokeBacktest".into(),
                s(&["lambda:InvokeFunction"]),
                json!([{"Fn::GetAtt": ["BacktestFunction", "Arn"]}, {"Fn::Sub": "${BacktestFunction.Arn}:*"}])
            ),
            (
                "ReadManifestWriteMapResults".into(),
                s(&[
                    "s3:AbortMultipartUpload",
                    "s3:GetObject",
                    "s3:ListMultipartUploadParts",
                    "s3:PutObject"
                ]),
                json!({"Fn::Sub": "${ResultsBucket.Arn}/*"})
            ),
            (
                "StartOwnChildExecutions".into(),
                s(&["states:StartExecution"]),
                json!({"Fn::Sub": format!("{machine}:stateMachine:${{AWS::StackName}}-backtest")})
            ),
            (
                "ManageOwnChildExecutions".into(),
                s(&[
                    "states:DescribeExecution",
                    "states:RedriveExecution",
                    "states:StopExecution",
                ]),
                json!({"Fn::Sub": format!("{machine}:execution:${{AWS::StackName}}-backtest/*")})
            ),
        ]
    );
    assert_eq!(
        sm["StateMachineName"],
        json!({"Fn::Sub": "${AWS::StackName}-backtest"})
    );
}

/// Each group's function crate says what its group is as the catalogue does, in its
/// manifest's description and its first doc line (tests/new-group writes both;
/// a group's description changed in the catalogue alone had left three stale).
#[test]
fn every_groups_crate_describes_it_as_the_catalogue_does() {
    let mut wrong = Vec::new();
    for g in catalog::GROUPS {
        let dir = root().join("functions").join(g.name);
        let manifest = fs::read_to_string(dir.join("Cargo.toml")).expect("Cargo.toml");
        let said = format!(
            "description = \"trailwatch Lambda function: {}\"",
            g.description
        );
        if !manifest.lines().any(|l| l == said) {
            wrong.push(format!("functions/{}/Cargo.toml: {said}", g.name));
        }
        let main = fs::read_to_string(dir.join("src/main.rs")).expect("src/main.rs");
        let first = format!("//! The `{}` Lambda function: {}.", g.name, g.description);
        if main.lines().next() != Some(first.as_str()) {
            wrong.push(format!("functions/{}/src/main.rs: {first}", g.name));
        }
    }
    assert!(
        wrong.is_empty(),
        "these lines differ from the catalogue:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_deployment_guide_lists_every_function_with_its_rule_state() {
    // docs/deploy.md's table of functions, written by hand: each group's row must
    // say what the catalogue and the derived rule say.
    let guide = fs::read_to_string(root().join("docs/deploy.md")).expect("docs/deploy.md");
    let mut wrong = Vec::new();
    for g in catalog::GROUPS {
        let row = format!(
            "| `{}` | {} | `{}` |",
            g.name,
            g.description,
            rules::group_rule_state(g)
        );
        if !guide.lines().any(|l| l == row) {
            wrong.push(row);
        }
    }
    assert!(
        wrong.is_empty(),
        "docs/deploy.md lacks these rows (or has them otherwise):\n{}",
        wrong.join("\n")
    );
    // The count in words, where the guide gives it.
    const WORDS: &str = "zero one two three four five six seven eight nine ten eleven \
        twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty \
        twenty-one twenty-two twenty-three twenty-four twenty-five twenty-six \
        twenty-seven twenty-eight twenty-nine thirty";
    let n = WORDS
        .split_whitespace()
        .nth(catalog::GROUPS.len())
        .expect("at most thirty groups");
    let flat = guide.split_whitespace().collect::<Vec<_>>().join(" ");
    for said in [
        format!("runs as {n} small Rust Lambda functions"),
        format!("the {n} detection functions"),
    ] {
        assert!(flat.contains(&said), "docs/deploy.md: {said:?}");
    }
}

/// Alarms on trailwatch itself reach the health topic: the heartbeat check's
/// schedule not running (missing data breaches: a deleted rule reports
/// nothing), the pipeline function failing, the failed-events queue holding
/// anything or receiving anything new, each function's events waiting too
/// long (below), and the findings about trailwatch itself (below).
#[test]
fn alarms_watch_the_heartbeat_check_and_the_failed_events() {
    let t = template();
    let res = resources(&t);
    let alarms = of_type(&t, "AWS::CloudWatch::Alarm");
    let mut want = BTreeSet::from([
        "DeadLettersLostAlarm".to_owned(),
        "FailedEventsAlarm".to_owned(),
        "FailedEventsSentAlarm".to_owned(),
        "ForeignCanariesAlarm".to_owned(),
        "HeartbeatCheckAlarm".to_owned(),
        "PipelineErrorsAlarm".to_owned(),
        "SilenceReportedAlarm".to_owned(),
        "TamperingReportedAlarm".to_owned(),
        "TuningRefusedAlarm".to_owned(),
        "TuningWarnedAlarm".to_owned(),
    ]);
    for g in catalog::GROUPS {
        want.insert(event_age_alarm_id(&t, g.name));
        want.insert(events_lost_alarm_id(&t, g.name));
    }
    let names: BTreeSet<String> = alarms.iter().map(|(n, _)| (*n).clone()).collect();
    assert_eq!(names, want);
    for (name, alarm) in &alarms {
        let p = &alarm["Properties"];
        assert_eq!(p["AlarmActions"], json!([{"Ref": "HealthTopic"}]), "{name}");
        // A new failed event fires, and the alarm falls back by itself: an OK
        // after each one would be noise.
        let ok = if [
            "DeadLettersLostAlarm",
            "FailedEventsSentAlarm",
            "SilenceReportedAlarm",
            "TamperingReportedAlarm",
        ]
        .contains(&name.as_str())
            || name.ends_with("EventsLostAlarm")
        {
            Value::Null
        } else {
            json!([{"Ref": "HealthTopic"}])
        };
        assert_eq!(p["OKActions"], ok, "{name}");
        assert!(
            p["AlarmName"]["Fn::Sub"]
                .as_str()
                .is_some_and(|n| n.starts_with("${AWS::StackName}-")),
            "{name}: named with the stack (the example SCP protects alarm:<stack>-*)"
        );
    }
    // The check counts itself (lambda::logs::emit_heartbeat_check: namespace
    // trailwatch, dimensions function and prefix, the stack's name).
    let check = &res["HeartbeatCheckAlarm"]["Properties"];
    assert_eq!(check["TreatMissingData"], "breaching");
    assert_eq!(check["ComparisonOperator"], "LessThanThreshold");
    assert_eq!(check["Namespace"], trailwatch::lambda::METRICS_NAMESPACE);
    assert_eq!(check["MetricName"], trailwatch::lambda::HEARTBEAT_CHECKS);
    assert_eq!(
        check["Dimensions"],
        json!([
            {"Name": "function", "Value": trailwatch::heartbeat::GROUP},
            {"Name": "prefix", "Value": {"Ref": "AWS::StackName"}}
        ])
    );
    let env = &t["Globals"]["Function"]["Environment"]["Variables"];
    assert_eq!(
        env["TRAILWATCH_RESOURCE_PREFIX"],
        json!({"Ref": "AWS::StackName"})
    );
    // The retention the stack gives its log groups is the routine one for
    // trailwatch-tampering (an enforcer setting it is not cutting it).
    assert_eq!(
        env["TRAILWATCH_LOG_RETENTION_DAYS"],
        json!({"Ref": "LogRetentionDays"})
    );
    let allowed = t["Parameters"]["LogRetentionDays"]["AllowedValues"]
        .as_array()
        .expect("AllowedValues");
    assert!(
        allowed
            .iter()
            .all(|d| d.as_u64().is_some_and(|d| (1..=3653).contains(&d))),
        "every allowed retention passes the functions' check"
    );
    assert!(
        env.get("TRAILWATCH_METRICS").is_none(),
        "metrics on (the default)"
    );
    assert_eq!(
        res["PipelineErrorsAlarm"]["Properties"]["Dimensions"][0]["Value"],
        json!({"Ref": "PipelineFunction"})
    );
    // A canary under another prefix (lambda::logs::emit_foreign_canary: the
    // pipeline function, this stack's prefix).
    let foreign = &res["ForeignCanariesAlarm"]["Properties"];
    assert_eq!(foreign["Namespace"], trailwatch::lambda::METRICS_NAMESPACE);
    assert_eq!(foreign["MetricName"], trailwatch::lambda::FOREIGN_CANARIES);
    assert_eq!(foreign["Dimensions"], check["Dimensions"]);
    assert_eq!(foreign["TreatMissingData"], "notBreaching");
    assert_eq!(
        foreign["ComparisonOperator"],
        "GreaterThanOrEqualToThreshold"
    );
    // A refused tuning file (lambda::logs::emit_tuning_error: dimension prefix,
    // the stack's name, for all functions at once), only with one configured.
    let tuning = &res["TuningRefusedAlarm"];
    assert_eq!(tuning["Condition"], "HasTuning");
    let tuning = &tuning["Properties"];
    assert_eq!(tuning["Namespace"], trailwatch::lambda::METRICS_NAMESPACE);
    assert_eq!(tuning["MetricName"], trailwatch::lambda::TUNING_ERRORS);
    assert_eq!(
        tuning["Dimensions"],
        json!([{"Name": "prefix", "Value": {"Ref": "AWS::StackName"}}])
    );
    assert_eq!(tuning["TreatMissingData"], "notBreaching");
    // A tuning put in force with warnings (lambda::logs::emit_tuning_warnings),
    // the same way.
    let warned = &res["TuningWarnedAlarm"];
    assert_eq!(warned["Condition"], "HasTuning");
    let warned = &warned["Properties"];
    assert_eq!(warned["MetricName"], trailwatch::lambda::TUNING_WARNINGS);
    for same in [
        "Namespace",
        "Dimensions",
        "Statistic",
        "Threshold",
        "TreatMissingData",
        "AlarmActions",
        "OKActions",
    ] {
        assert_eq!(warned[same], tuning[same], "{same}");
    }
    let queue =
        json!([{"Name": "QueueName", "Value": {"Fn::GetAtt": ["FailedEventsQueue", "QueueName"]}}]);
    assert_eq!(res["FailedEventsAlarm"]["Properties"]["Dimensions"], queue);
    // The queue alarm above stays in ALARM while a message waits (14 days):
    // this one fires again for every 5 minutes that bring a new one.
    let sent = &res["FailedEventsSentAlarm"]["Properties"];
    assert_eq!(sent["Dimensions"], queue);
    for (key, value) in [
        ("Namespace", json!("AWS/SQS")),
        ("MetricName", json!("NumberOfMessagesSent")),
        ("Statistic", json!("Sum")),
        ("Period", json!(300)),
        ("EvaluationPeriods", json!(1)),
        ("Threshold", json!(1)),
        ("ComparisonOperator", json!("GreaterThanOrEqualToThreshold")),
        ("TreatMissingData", json!("notBreaching")),
    ] {
        assert_eq!(sent[key], value, "FailedEventsSentAlarm {key}");
    }
}

/// The findings about trailwatch itself also reach the health topic, from
/// the Findings metric the functions emit (a review: an unsubscribed findings
/// topic hid its own tampering finding).
#[test]
fn tampering_and_silence_findings_also_raise_health_alarms() {
    let t = template();
    let alarms = of_type(&t, "AWS::CloudWatch::Alarm");
    let findings_dimensions = |id: &str| {
        let group = catalog::by_id(id).expect(id).meta().group;
        json!([
            {"Name": "function", "Value": group},
            {"Name": "detection_id", "Value": id},
            // Critical only (a deployment's changes are medium), and
            // this stack's (lambda/logs.rs emits both dimensions).
            {"Name": "severity", "Value": "critical"},
            {"Name": "prefix", "Value": {"Ref": "AWS::StackName"}},
        ])
    };
    // Tampering: the sum of three detections' critical findings, each critical
    // only about trailwatch's own resources (an evasion review: the second
    // path's findings, in monitoring-tamper, were not counted).
    let tampering = &alarms
        .iter()
        .find(|(n, _)| n.as_str() == "TamperingReportedAlarm")
        .expect("TamperingReportedAlarm")
        .1["Properties"];
    let metrics = tampering["Metrics"]
        .as_array()
        .expect("a metric math alarm");
    let expression = metrics
        .iter()
        .find(|m| m["ReturnData"] == true)
        .and_then(|m| m["Expression"].as_str())
        .expect("one expression returned");
    for id in [
        "trailwatch-tampering",
        "eventbridge-rule-disabled-or-deleted",
        "cloudwatch-monitoring-silenced",
    ] {
        let stat = metrics
            .iter()
            .find(|m| m["MetricStat"]["Metric"]["Dimensions"] == findings_dimensions(id))
            .unwrap_or_else(|| panic!("TamperingReportedAlarm does not count {id}"));
        let metric = &stat["MetricStat"]["Metric"];
        assert_eq!(metric["MetricName"], "Findings", "{id}");
        assert_eq!(metric["Namespace"], "trailwatch", "{id}");
        assert_eq!(stat["MetricStat"]["Stat"], "Sum", "{id}");
        let term = format!("FILL({}, 0)", stat["Id"].as_str().expect("an id"));
        assert!(expression.contains(&term), "{expression}: {term}");
    }
    assert_eq!(expression.matches("FILL(").count(), 3, "{expression}");
    assert_eq!(
        tampering["ComparisonOperator"],
        "GreaterThanOrEqualToThreshold"
    );
    assert_eq!(tampering["Threshold"], 1);
    assert_eq!(tampering["TreatMissingData"], "notBreaching");
    // Silence: pipeline-silent's own.
    let id = "pipeline-silent";
    let found = alarms.iter().find(|(_, a)| {
        let p = &a["Properties"];
        p["MetricName"] == "Findings"
            && p["Namespace"] == "trailwatch"
            && p["Dimensions"] == findings_dimensions(id)
    });
    let (name, alarm) = found.unwrap_or_else(|| panic!("no Findings alarm for {id}"));
    let p = &alarm["Properties"];
    assert_eq!(p["AlarmActions"], json!([{"Ref": "HealthTopic"}]), "{name}");
    assert_eq!(
        p["ComparisonOperator"], "GreaterThanOrEqualToThreshold",
        "{name}"
    );
    assert_eq!(p["Threshold"], 1, "{name}");
    assert_eq!(p["TreatMissingData"], "notBreaching", "{name}");
}

/// The health alarms reach someone by default: HealthEmail, else AlertEmail.
#[test]
fn the_health_topic_reaches_the_health_email_else_the_alert_email() {
    let t = template();
    let res = resources(&t);
    let subs: Vec<_> = of_type(&t, "AWS::SNS::Subscription")
        .into_iter()
        .filter(|(_, s)| s["Properties"]["TopicArn"] == json!({"Ref": "HealthTopic"}))
        .collect();
    assert_eq!(subs.len(), 1, "one subscription on the health topic");
    let (name, sub) = subs[0];
    assert_eq!(name, "HealthEmailSubscription");
    assert_eq!(sub["Properties"]["Protocol"], "email");
    assert_eq!(
        sub["Properties"]["Endpoint"],
        json!({"Fn::If": ["HasHealthEmail", {"Ref": "HealthEmail"}, {"Ref": "AlertEmail"}]})
    );
    let conditions = &t["Conditions"];
    let condition = sub["Condition"].as_str().expect("a condition");
    assert_eq!(
        conditions[condition],
        json!({"Fn::Or": [{"Condition": "HasHealthEmail"}, {"Condition": "HasAlertEmail"}]}),
        "subscribed when either address is given"
    );
    for (c, param) in [
        ("HasHealthEmail", "HealthEmail"),
        ("HasAlertEmail", "AlertEmail"),
    ] {
        assert_eq!(
            conditions[c],
            json!({"Fn::Not": [{"Fn::Equals": [{"Ref": param}, ""]}]}),
            "{c}"
        );
    }
    assert_eq!(res["HealthTopic"]["Type"], "AWS::SNS::Topic");
}

/// The logical id of a group's event-age alarm: `<Camel>EventAgeAlarm`, beside its
/// `<Camel>Function` (tests/new-group copies both with the identity-abuse block).
fn event_age_alarm_id(t: &Value, group: &str) -> String {
    group_alarm_id(t, group, "EventAgeAlarm")
}

/// The logical id of a group's events-lost alarm: `<Camel>EventsLostAlarm`.
fn events_lost_alarm_id(t: &Value, group: &str) -> String {
    group_alarm_id(t, group, "EventsLostAlarm")
}

/// The properties of the alarm `id` on `group`'s function, held to what every
/// such alarm is: named `<stack>-<group>-<name>`, on Lambda's `metric` of its
/// own function.
fn function_alarm<'t>(t: &'t Value, group: &str, id: &str, name: &str, metric: &str) -> &'t Value {
    let (function_id, _) = function(t, group);
    let alarm = &resources(t)[id];
    assert_eq!(alarm["Type"], "AWS::CloudWatch::Alarm", "{id}");
    let p = &alarm["Properties"];
    assert_eq!(
        p["AlarmName"],
        json!({"Fn::Sub": format!("${{AWS::StackName}}-{group}-{name}")}),
        "{id}"
    );
    assert_eq!(p["Namespace"], "AWS/Lambda", "{id}");
    assert_eq!(p["MetricName"], metric, "{id}");
    assert_eq!(
        p["Dimensions"],
        json!([{"Name": "FunctionName", "Value": {"Ref": function_id}}]),
        "{id}: its own function"
    );
    p
}

fn group_alarm_id(t: &Value, group: &str, suffix: &str) -> String {
    let (function_id, _) = function(t, group);
    format!(
        "{}{suffix}",
        function_id
            .strip_suffix("Function")
            .expect("<Camel>Function")
    )
}

/// An event Lambda gives up on goes to the failed-events queue, which two alarms
/// watch; one it cannot put there is lost, so each function's
/// `DestinationDeliveryFailures` has an alarm of its own, and the rules' like
/// failures (`InvocationsFailedToBeSentToDlq`) one query over the bus.
#[test]
fn events_lost_on_the_way_to_the_failed_events_queue_alarm() {
    let t = template();
    let res = resources(&t);
    for g in catalog::GROUPS {
        let (function_id, f) = function(&t, g.name);
        assert_eq!(
            f["Properties"]["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]["Destination"],
            json!({"Fn::GetAtt": ["FailedEventsQueue", "Arn"]}),
            "{function_id}"
        );
        let id = events_lost_alarm_id(&t, g.name);
        let p = function_alarm(
            &t,
            g.name,
            &id,
            "events-lost",
            "DestinationDeliveryFailures",
        );
        assert_eq!(p["Statistic"], "Sum", "{id}");
        assert_eq!(
            (&p["Period"], &p["EvaluationPeriods"]),
            (&json!(300), &json!(1)),
            "{id}"
        );
        assert_eq!(p["Threshold"], 1, "{id}");
        assert_eq!(
            p["ComparisonOperator"], "GreaterThanOrEqualToThreshold",
            "{id}"
        );
        assert_eq!(p["TreatMissingData"], "notBreaching", "{id}");
    }
    // Every rule on the bus dead-letters to the queue, and the query reads the
    // bus by its name (the stack's), whatever rules a bless adds.
    let mut rules = 0;
    for g in catalog::GROUPS {
        let (function_id, f) = function(&t, g.name);
        for (event, e) in f["Properties"]["Events"].as_object().into_iter().flatten() {
            if e["Type"] == "EventBridgeRule"
                && e["Properties"]["EventBusName"] == json!({"Ref": "EventBus"})
            {
                rules += 1;
                assert_eq!(
                    e["Properties"]["DeadLetterConfig"]["Arn"],
                    json!({"Fn::GetAtt": ["FailedEventsQueue", "Arn"]}),
                    "{function_id}.{event}"
                );
            }
        }
    }
    assert!(rules > catalog::GROUPS.len(), "{rules} rules on the bus");
    let p = &res["DeadLettersLostAlarm"]["Properties"];
    let metrics = p["Metrics"].as_array().expect("Metrics");
    assert_eq!(metrics.len(), 1);
    assert_eq!(metrics[0]["ReturnData"], true);
    // A query names its own period (CloudFormation requires it there).
    assert_eq!(metrics[0]["Period"], 300);
    assert_eq!(p["EvaluationPeriods"], 1);
    assert_eq!(
        metrics[0]["Expression"],
        json!({"Fn::Sub": "SELECT SUM(InvocationsFailedToBeSentToDlq) FROM SCHEMA(\"AWS/Events\", EventBusName, RuleName) WHERE EventBusName = '${EventBus.Name}'"})
    );
    assert_eq!(
        res["EventBus"]["Properties"]["Name"],
        json!({"Ref": "AWS::StackName"})
    );
    assert_eq!(p["Threshold"], 1);
    assert_eq!(p["ComparisonOperator"], "GreaterThanOrEqualToThreshold");
    assert_eq!(p["TreatMissingData"], "notBreaching");
    for key in [
        "Namespace",
        "MetricName",
        "Dimensions",
        "Statistic",
        "Period",
    ] {
        assert!(
            p.get(key).is_none(),
            "{key}: a query alarm names its metric in the query"
        );
    }
}

/// Every function is invoked asynchronously and keeps an event up to 6 hours
/// (throttled, or failing and retried): an event that waits longer than 15
/// minutes raises its alarm, long before it is dropped to the failed-events queue.
#[test]
fn every_function_alarms_when_its_events_wait() {
    let t = template();
    for g in catalog::GROUPS {
        let (_, f) = function(&t, g.name);
        let id = event_age_alarm_id(&t, g.name);
        let p = function_alarm(&t, g.name, &id, "event-age", "AsyncEventAge");
        assert_eq!(p["Statistic"], "Maximum", "{id}");
        assert_eq!(p["ComparisonOperator"], "GreaterThanThreshold", "{id}");
        assert_eq!(p["TreatMissingData"], "notBreaching", "{id}");
        assert_eq!(p["Period"], 300, "{id}");
        assert_eq!(p["EvaluationPeriods"], 1, "{id}");
        // Milliseconds: above Lambda's own retries of a failed invocation (one,
        // then two minutes), at most 15 minutes, far below the event's age limit.
        let threshold_ms = p["Threshold"].as_i64().expect("Threshold");
        let max_age_s = f["Properties"]["EventInvokeConfig"]["MaximumEventAgeInSeconds"]
            .as_i64()
            .expect("MaximumEventAgeInSeconds");
        assert!(
            (5 * 60_000..=15 * 60_000).contains(&threshold_ms),
            "{id}: {threshold_ms} ms"
        );
        assert!(
            threshold_ms * 4 <= max_age_s * 1000,
            "{id}: fires long before events are dropped"
        );
    }
}

#[test]
fn the_silence_threshold_stays_below_the_lookback() {
    // The check lists pairs heard from within LOOKBACK_DAYS and forgets the
    // others: a threshold near it would never report a silence.
    let t = template();
    let p = &t["Parameters"]["PipelineSilenceSeconds"];
    let lookback = trailwatch::heartbeat::LOOKBACK_DAYS * 86_400;
    let max = p["MaxValue"].as_i64().expect("MaxValue");
    assert!(
        max <= lookback - 86_400,
        "MaxValue {max}: a day below the {lookback} s lookback"
    );
    // The functions refuse what the template refuses.
    assert_eq!(max, trailwatch::heartbeat::MAX_SILENCE_SECS);
    assert_eq!(p["MinValue"], 900);
    assert!(p["Default"].as_i64() >= p["MinValue"].as_i64());
}

/// The bus policy statements' ids are their physical ids: each names its stack,
/// so that a second central stack in the account and Region has its own.
#[test]
fn bus_policy_statement_ids_are_the_stacks_own() {
    let t = template();
    let policies = of_type(&t, "AWS::Events::EventBusPolicy");
    assert_eq!(policies.len(), 2);
    let mut prefixes = BTreeSet::new();
    // The stack id's unique part: arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<uuid>.
    let stack_uuid = json!({"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]});
    for (name, p) in policies {
        let id = &p["Properties"]["StatementId"]["Fn::Join"];
        assert_eq!(id[0], "-", "{name}: {id}");
        let prefix = id[1][0]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: {id}: a literal prefix"));
        assert_eq!(
            id[1][1], stack_uuid,
            "{name}: {id}: then the stack id's UUID"
        );
        assert_eq!(id[1].as_array().map(Vec::len), Some(2), "{name}: {id}");
        assert!(
            prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "{name}: {prefix}: letters, digits, - and _ only"
        );
        // Whatever the stack's name: the prefix, '-' and a 36-character UUID.
        assert!(
            prefix.len() + 1 + 36 <= 64,
            "{name}: {prefix} makes ids longer than 64 characters"
        );
        assert!(prefixes.insert(prefix.to_owned()), "{name}: {prefix} twice");
    }
}

/// The longest stack name docs/deploy.md allows.
const STACK_NAME_MAX: usize = 25;

/// Every name built from the stack's name fits its service's limit for a stack
/// name of STACK_NAME_MAX, which docs/deploy.md states. CloudFormation's
/// generated names (`<stack>-<LogicalId>-<12 characters>`, functions and roles: 64
/// at most) keep the whole stack name only up to 25 characters when the logical
/// id is long; a function whose name lost the end of the stack name would not
/// be recognised as trailwatch's.
#[test]
fn the_documented_stack_name_limit_fits_every_name() {
    let guide = fs::read_to_string(root().join("docs/deploy.md")).expect("docs/deploy.md");
    assert!(
        guide.contains(&format!("stack name at most {STACK_NAME_MAX} characters")),
        "docs/deploy.md states the limit"
    );
    // Half of what a 64-character generated name leaves the stack name and the
    // logical id together (64 less the 12-character tail and two hyphens),
    // rounded up: CloudFormation never cuts the stack name shorter.
    assert_eq!((64 - 12 - 2_usize).div_ceil(2), STACK_NAME_MAX);
    let t = template();
    let stack = "s".repeat(STACK_NAME_MAX);
    let mut names: Vec<(String, usize)> = Vec::new();
    for g in catalog::GROUPS {
        let (name, f) = function(&t, g.name);
        for e in f["Properties"]["Events"].as_object().unwrap().values() {
            let p = &e["Properties"];
            for key in ["RuleName", "Name"] {
                if let Some(sub) = p[key]["Fn::Sub"].as_str() {
                    names.push((sub.replace("${AWS::StackName}", &stack), 64));
                }
            }
        }
        assert!(
            f["Properties"]["FunctionName"].is_null(),
            "{name}: a generated name (it starts with the stack name)"
        );
    }
    // The forwarders' and the backtest's prefix is the central stack's name.
    for path in [
        "deploy/forwarder.yaml",
        "deploy/organization.yaml",
        "deploy/backtest.yaml",
    ] {
        let pattern = load(path)["Parameters"]["ResourcePrefix"]["AllowedPattern"]
            .as_str()
            .unwrap_or_else(|| panic!("{path}: ResourcePrefix"))
            .to_owned();
        let longest: usize = pattern
            .rsplit_once(',')
            .and_then(|(_, r)| r.split('}').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{path}: {pattern}"));
        assert!(
            longest >= STACK_NAME_MAX,
            "{path}: ResourcePrefix {pattern}"
        );
    }
    let backtest = load("deploy/backtest.yaml");
    for (_, r) in resources(&backtest) {
        for key in ["FunctionName", "StateMachineName"] {
            if let Some(sub) = r["Properties"][key]["Fn::Sub"].as_str() {
                names.push((sub.replace("${AWS::StackName}", &stack), 64));
            }
        }
    }
    assert!(names.len() > catalog::GROUPS.len());
    for (name, limit) in names {
        assert!(name.len() <= limit, "{name}: over {limit} characters");
    }
}

/// A tiny evaluator of the rule functions CloudFormation allows in `Rules`
/// (those used here), over parameters given as their values (a list parameter
/// as its members, a number as its text, as `Rules` see them).
fn eval_rule(v: &Value, params: &std::collections::BTreeMap<&str, Value>) -> Value {
    let obj = v.as_object();
    let Some((f, args)) = obj.and_then(|m| (m.len() == 1).then(|| m.iter().next().unwrap())) else {
        return v.clone();
    };
    let list = |v: &Value| -> Vec<Value> {
        match eval_rule(v, params) {
            Value::Array(a) => a,
            other => panic!("not a list: {other}"),
        }
    };
    let truth = |v: &Value| {
        eval_rule(v, params)
            .as_bool()
            .unwrap_or_else(|| panic!("not a boolean: {v}"))
    };
    let args_list = || args.as_array().unwrap_or_else(|| panic!("{f}: {args}"));
    match f.as_str() {
        "Ref" => {
            let name = args.as_str().unwrap();
            params
                .get(name)
                .unwrap_or_else(|| panic!("unknown parameter {name}"))
                .clone()
        }
        "Fn::And" => Value::Bool(args_list().iter().all(truth)),
        "Fn::Or" => Value::Bool(args_list().iter().any(truth)),
        "Fn::Not" => Value::Bool(!truth(&args_list()[0])),
        "Fn::Equals" => {
            Value::Bool(eval_rule(&args_list()[0], params) == eval_rule(&args_list()[1], params))
        }
        "Fn::Contains" => {
            let want = eval_rule(&args_list()[1], params);
            Value::Bool(list(&args_list()[0]).contains(&want))
        }
        "Fn::EachMemberEquals" => {
            let want = eval_rule(&args_list()[1], params);
            Value::Bool(list(&args_list()[0]).iter().all(|m| *m == want))
        }
        other => {
            panic!("a function this evaluator (or CloudFormation's Rules) does not know: {other}")
        }
    }
}

/// ExpectedAccountIds and ExpectedRegions go together: a deployment with one
/// and not the other fails at deploy time (template Rules), not at run time.
/// Expected Regions must include the partition's global-service Region, where
/// IAM, Organizations and root sign-ins log: a forwarder missing there would
/// otherwise go unreported.
#[test]
fn the_expected_lists_are_both_set_or_both_empty() {
    let t = template();
    let rules = t["Rules"].as_object().expect("Rules");
    // An empty CommaDelimitedList is one empty member.
    let empty = vec![""];
    let accounts = vec!["111122223333", "444455556666"];
    let regions = vec!["us-east-1"];
    let with_global = vec!["eu-west-1", "us-east-1"];
    let gov = vec!["us-gov-east-1", "us-gov-west-1"];
    let china = vec!["cn-north-1", "cn-northwest-1"];
    let without_global = vec!["eu-west-1", "eu-central-1"];
    let gov_without_global = vec!["us-gov-east-1"];
    for (a, r, ok) in [
        (&empty, &empty, true),
        (&accounts, &regions, true),
        (&accounts, &with_global, true),
        (&accounts, &gov, true),
        (&accounts, &china, true),
        (&accounts, &without_global, false),
        (&accounts, &gov_without_global, false),
        (&accounts, &empty, false),
        (&empty, &regions, false),
    ] {
        let params = std::collections::BTreeMap::from([
            ("ExpectedAccountIds", json!(a)),
            ("ExpectedRegions", json!(r)),
            ("CorrelationReservedConcurrency", json!("-1")),
        ]);
        let passes = rules.values().all(|rule| {
            assert!(rule.get("RuleCondition").is_none(), "{rule}");
            rule["Assertions"].as_array().unwrap().iter().all(|a| {
                assert!(a["AssertDescription"].is_string());
                eval_rule(&a["Assert"], &params) == Value::Bool(true)
            })
        });
        assert_eq!(passes, ok, "accounts {a:?}, regions {r:?}");
    }
}

/// From a review: a reserved concurrency of 0 would throttle the correlation
/// function for good (its events all to the failed-events queue); the template
/// refuses it at deploy time.
#[test]
fn a_correlation_concurrency_of_zero_is_refused() {
    let t = template();
    let rule = &t["Rules"]["CorrelationConcurrencyNotZero"]["Assertions"][0];
    assert!(rule["AssertDescription"].is_string());
    for (value, ok) in [("-1", true), ("0", false), ("1", true), ("50", true)] {
        let params =
            std::collections::BTreeMap::from([("CorrelationReservedConcurrency", json!(value))]);
        assert_eq!(
            eval_rule(&rule["Assert"], &params),
            Value::Bool(ok),
            "{value}"
        );
    }
}

/// The example SCP in docs/organization.md is JSON and fits Organizations'
/// quota of 5,120 characters once minified (whitespace outside strings does
/// not count), and it covers the backtest's state machine, whose definition
/// decides what a backtest of a blinded account would report (from a review).
#[test]
fn the_example_scp_fits_the_quota() {
    let doc = fs::read_to_string(root().join("docs/organization.md")).unwrap();
    let section = doc
        .split("## Protect the forwarders: example SCP")
        .nth(1)
        .expect("the SCP section");
    let json = section
        .split("```json\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("the SCP's JSON block");
    let scp: Value = serde_json::from_str(json).unwrap();
    let minified = serde_json::to_string(&scp).unwrap();
    assert!(minified.len() <= 5_120, "{} characters", minified.len());
    for action in [
        "states:UpdateStateMachine",
        "logs:PutSubscriptionFilter",
        "logs:AssociateKmsKey",
    ] {
        assert!(minified.contains(&format!("\"{action}\"")), "{action}");
    }
}
