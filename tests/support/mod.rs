//! Helpers shared by the workspace integration tests.

pub mod ddb;
pub mod moto;
pub mod one_request;
pub mod queue;
pub mod runtime;

use std::path::{Path, PathBuf};

use trailwatch::engine::{Engine, Settings};
use trailwatch::event::Record;
use trailwatch::event::reader::{self, Limits, Location, Sink};
use trailwatch::finding::Finding;
use trailwatch::notify::Collect;
use trailwatch::state::MemoryStore;

/// A name no other test of any process uses (tables, topics, queues).
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}-{}-{nanos:09}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The `trailwatch` binary of this build (`cargo test --workspace` builds it, for
/// the trailwatch package's own CLI tests): in the target directory, else beside
/// this test's directory.
pub fn trailwatch_bin() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    let beside = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|dir| dir.join("trailwatch"))
        .expect("target directory");
    // The target directory first: with a `build.build-dir` shared by several
    // checkouts, the directory beside this test may hold another checkout's build.
    let bin = [target.join(profile).join("trailwatch"), beside.clone()]
        .into_iter()
        .find(|p| p.exists())
        .unwrap_or(beside);
    assert!(
        bin.exists(),
        "{} is missing: build it first (`cargo build -p trailwatch`; `cargo test --workspace` does)",
        bin.display()
    );
    bin
}

/// The `trailwatch` command with the SDK pointed at a moto `endpoint` (test
/// credentials, no profile, no instance metadata).
pub fn trailwatch_on(endpoint: &str) -> std::process::Command {
    let mut cmd = std::process::Command::new(trailwatch_bin());
    cmd.env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE");
    cmd
}

/// What replaying one input gave.
#[derive(Default)]
pub struct Replayed {
    pub findings: Vec<Finding>,
    pub event_ids: Vec<String>,
    pub rejected: Vec<String>,
}

struct Run<'a> {
    engine: &'a Engine,
    store: MemoryStore,
    out: Collect,
    rt: tokio::runtime::Runtime,
    result: Replayed,
}

impl Sink for Run<'_> {
    fn record(&mut self, loc: &Location, json: &str) {
        match Record::from_json(json) {
            Ok(rec) => {
                if let Some(id) = rec.event_id() {
                    self.result.event_ids.push(id.to_owned());
                }
                let now = 1_000_000_000; // far before any sample's eventTime: nothing expires
                if let Err(e) =
                    self.rt
                        .block_on(self.engine.handle(&rec, &self.store, &self.out, now))
                {
                    self.result.rejected.push(format!("{loc}: {e}"));
                }
            }
            Err(e) => self.result.rejected.push(format!("{loc}: {e}")),
        }
    }
    fn rejected(&mut self, loc: &Location, reason: &str) {
        self.result.rejected.push(format!("{loc}: {reason}"));
    }
    fn not_cloudtrail(&mut self, loc: &Location) {
        self.result.rejected.push(format!("{loc}: not CloudTrail"));
    }
}

/// Replays one file through every detection with fresh in-memory state.
pub fn replay_file(path: &Path) -> Replayed {
    replay_file_with(path, Settings::for_replay())
}

/// [`replay_file`] under other settings (a deployment's own organisations...).
pub fn replay_file_with(path: &Path, settings: Settings) -> Replayed {
    let engine = Engine::new(settings);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut run = Run {
        engine: &engine,
        store: MemoryStore::default(),
        out: Collect::default(),
        rt,
        result: Replayed::default(),
    };
    reader::read_path(path, &Limits::default(), &mut run).expect("sample file opens");
    run.result.findings = run.out.take();
    run.result
}

/// The wall clock, epoch milliseconds.
pub fn now_ms() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

/// What one sample file of `events/<id>/` must fire, as its directory's
/// `expected.jsonc` says: a list of detection ids (each fires, and nothing else
/// does), or an object of ids and counts (each gives exactly that many findings,
/// and nothing else fires), for samples whose point is how many findings a burst
/// or a session makes.
#[derive(Debug, Clone)]
pub struct Expected {
    pub ids: Vec<String>,
    pub counts: Option<std::collections::BTreeMap<String, usize>>,
}

/// The manifest of a sample directory (`expected.jsonc`, whole-line `//` comments
/// allowed), by file name.
pub fn sample_manifest(dir: &Path) -> std::collections::BTreeMap<String, Expected> {
    named_manifest(&dir.join("expected.jsonc"))
}

/// A manifest of [`sample_manifest`]'s form at `path`.
pub fn named_manifest(path: &Path) -> std::collections::BTreeMap<String, Expected> {
    let path = path.to_path_buf();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let json: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let map: std::collections::BTreeMap<String, serde_json::Value> =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    map.into_iter()
        .map(|(file, v)| {
            let expected = match v {
                serde_json::Value::Array(ids) => Expected {
                    ids: ids
                        .into_iter()
                        .map(|i| {
                            i.as_str()
                                .map(str::to_owned)
                                .unwrap_or_else(|| bad_manifest(&path, &file))
                        })
                        .collect(),
                    counts: None,
                },
                serde_json::Value::Object(counts) => {
                    let counts: std::collections::BTreeMap<String, usize> = counts
                        .into_iter()
                        .map(|(id, n)| {
                            let n = n
                                .as_u64()
                                .filter(|n| *n > 0)
                                .unwrap_or_else(|| bad_manifest(&path, &file));
                            (id, n as usize)
                        })
                        .collect();
                    Expected {
                        ids: counts.keys().cloned().collect(),
                        counts: Some(counts),
                    }
                }
                _ => bad_manifest(&path, &file),
            };
            (file, expected)
        })
        .collect()
}

fn bad_manifest(path: &Path, file: &str) -> ! {
    panic!(
        "{}: {file}: expected a list of detection ids or an object of ids and counts (1 or more)",
        path.display()
    )
}
