//! Findings to stdout: readable text blocks, or exactly one JSON object per line
//! (trailwatch's own JSON, OCSF Detection Finding, ASFF as Security Hub would
//! import it, or the chat notification).

use std::io::{self, BufWriter, IsTerminal, Stdout, Write};
use std::sync::Mutex;

use trailwatch::finding::Finding;
use trailwatch::notify::{Notifier, NotifyError};
use trailwatch::render;
use trailwatch::sanitize::json_line;

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Jsonl,
    /// OCSF 1.8.0 Detection Finding, one object per line.
    Ocsf,
    /// ASFF, one finding per line, as imported by a deployment in the finding's
    /// own account and Region.
    Asff,
    /// The AWS Chatbot custom notification, one per line.
    Chat,
}

pub struct Stdout_ {
    out: Mutex<BufWriter<Stdout>>,
    format: Format,
    colour: bool,
}

impl Stdout_ {
    pub fn new(format: Format) -> Self {
        let colour = format == Format::Text
            && io::stdout().is_terminal()
            && std::env::var_os("NO_COLOR").is_none();
        Stdout_ {
            out: Mutex::new(BufWriter::with_capacity(1 << 16, io::stdout())),
            format,
            colour,
        }
    }

    pub fn flush(&self) -> io::Result<()> {
        self.out.lock().unwrap_or_else(|p| p.into_inner()).flush()
    }
}

impl Notifier for Stdout_ {
    async fn notify(&self, f: &Finding) -> Result<(), NotifyError> {
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        let r = match self.format {
            Format::Jsonl => writeln!(out, "{}", f.to_json()),
            Format::Text => writeln!(out, "{}", f.to_text(self.colour)),
            Format::Ocsf => writeln!(
                out,
                "{}",
                json_line(render::ocsf::render(f, render::now_ms()).to_string())
            ),
            Format::Asff => writeln!(out, "{}", json_line(asff_line(f))),
            Format::Chat => writeln!(out, "{}", json_line(render::chat::render(f).to_string())),
        };
        r.map_err(|e| {
            NotifyError(if e.kind() == io::ErrorKind::BrokenPipe {
                "broken pipe".into()
            } else {
                e.to_string()
            })
        })
    }

    /// Replay's lines come in the findings' order, whatever the store.
    fn keeps_order(&self) -> bool {
        true
    }
}

/// The ASFF line of a finding; a finding without a valid account id or region
/// cannot be imported, and says so in place of the finding.
fn asff_line(f: &Finding) -> String {
    // Stamped with the last event time, so that a replay prints the same lines
    // every time (the functions stamp the import time).
    let now = render::event_span_ms(f).map_or_else(render::now_ms, |(_, last)| last);
    match render::asff::Product::of_finding(f) {
        Some(p) => serde_json::to_string(&render::asff::render(f, &p, now))
            .unwrap_or_default(),
        None => serde_json::json!({
            "Id": f.finding_id,
            "GeneratorId": f.detection_id,
            "error": "no account id or region in the record: Security Hub would not accept this finding",
        })
        .to_string(),
    }
}
