//! Helpers shared by the workspace integration tests.

pub mod moto;
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
    let engine = Engine::new(Settings::for_replay());
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
