//! Findings to stdout: readable text blocks, or exactly one JSON object per line
//! (trailwatch's own JSON, OCSF Detection Finding, ASFF as Security Hub would
//! import it, or the chat notification).

use std::io::{self, BufWriter, IsTerminal, Stdout, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use trailwatch::detection::Severity;
use trailwatch::finding::Finding;
use trailwatch::notify::message::{self, MachineFormat};
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
    /// The SNS `Publish` request the functions send for the finding
    /// (`Subject`, `Message`, `MessageStructure`, `MessageAttributes`), one per
    /// line: what each protocol's subscribers get and what filter policies
    /// match. The JSON protocols carry what `--findings-format` says.
    Sns,
}

/// What the findings topic's JSON protocols carry (`--findings-format`; the
/// functions read `TRAILWATCH_FINDINGS_FORMAT`).
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FindingsFormat {
    /// trailwatch's own finding JSON.
    Json,
    /// The OCSF Detection Finding.
    Ocsf,
}

impl From<FindingsFormat> for MachineFormat {
    fn from(f: FindingsFormat) -> Self {
        match f {
            FindingsFormat::Json => MachineFormat::Json,
            FindingsFormat::Ocsf => MachineFormat::Ocsf,
        }
    }
}

pub struct Stdout_ {
    out: Mutex<BufWriter<Stdout>>,
    format: Format,
    /// What `--format sns` gives the JSON protocols.
    machine: MachineFormat,
    colour: bool,
    /// Findings ASFF cannot carry (no valid account or Region), left out.
    not_importable: AtomicU64,
    /// `--min-severity`: findings below it are not written.
    min_severity: Option<Severity>,
}

impl Stdout_ {
    /// `machine`: what `--format sns` gives the JSON protocols.
    pub fn new(format: Format, machine: MachineFormat) -> Self {
        let colour = format == Format::Text
            && io::stdout().is_terminal()
            && std::env::var_os("NO_COLOR").is_none();
        Stdout_ {
            out: Mutex::new(BufWriter::with_capacity(1 << 16, io::stdout())),
            format,
            machine,
            colour,
            not_importable: AtomicU64::new(0),
            min_severity: None,
        }
    }

    /// Writes only findings of `min` or higher (`--min-severity`).
    pub fn showing_at_least(self, min: Option<Severity>) -> Self {
        Stdout_ {
            min_severity: min,
            ..self
        }
    }

    /// Whether `f` is written: its own severity (a raised one, a tuning's
    /// override) is at least `--min-severity`. The summary counts by it too.
    pub fn shows(&self, f: &Finding) -> bool {
        self.min_severity.is_none_or(|min| f.severity >= min)
    }

    /// How many findings `--format asff` left out: Security Hub would refuse
    /// them (the record has no valid account id or Region).
    pub fn not_importable(&self) -> u64 {
        self.not_importable.load(Ordering::Relaxed)
    }

    pub fn flush(&self) -> io::Result<()> {
        self.out.lock().unwrap_or_else(|p| p.into_inner()).flush()
    }
}

impl Notifier for Stdout_ {
    async fn notify(&self, f: &Finding) -> Result<(), NotifyError> {
        if !self.shows(f) {
            return Ok(());
        }
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        let r = match self.format {
            Format::Jsonl => writeln!(out, "{}", f.to_json()),
            Format::Text => writeln!(out, "{}", f.to_text(self.colour)),
            Format::Ocsf => writeln!(
                out,
                "{}",
                json_line(render::ocsf::render(f, render::now_ms()).to_string())
            ),
            Format::Asff => match asff_line(f) {
                Some(line) => writeln!(out, "{}", json_line(line)),
                // Not a line of ASFF: said on stderr, counted (`--strict` exits 1),
                // so that the output stays importable as it is (from a review).
                None => {
                    // Said even with `-q`: a finding lost from the output is not an
                    // input error to keep quiet about (a review of this change).
                    self.not_importable.fetch_add(1, Ordering::Relaxed);
                    say!(
                        "trailwatch: finding {} ({}): no valid account id or Region in its record: \
                         Security Hub would refuse it, left out of the ASFF output",
                        f.finding_id,
                        f.detection_id
                    );
                    Ok(())
                }
            },
            Format::Chat => writeln!(out, "{}", json_line(render::chat::render(f).to_string())),
            Format::Sns => writeln!(
                out,
                "{}",
                json_line(sns_publish(f, self.machine).to_string())
            ),
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

/// The `Publish` request's parameters as the SNS API names them (the input
/// `aws sns publish --cli-input-json` takes, but for `TopicArn`).
fn sns_publish(f: &Finding, machine: MachineFormat) -> serde_json::Value {
    let m = message::build_as(f, machine);
    let attributes: serde_json::Map<String, serde_json::Value> = m
        .attributes
        .iter()
        .map(|(name, a)| {
            let value = serde_json::json!({ "DataType": a.data_type(), "StringValue": a.value() });
            ((*name).to_owned(), value)
        })
        .collect();
    serde_json::json!({
        "Subject": m.subject,
        "Message": m.message,
        "MessageStructure": "json",
        "MessageAttributes": attributes,
    })
}

/// The ASFF line of a finding; `None` for a finding without a valid account
/// id or Region, which Security Hub would not import.
fn asff_line(f: &Finding) -> Option<String> {
    // Stamped with the last event time, so that a replay prints the same lines
    // every time (the functions stamp the import time).
    let now = render::event_span_ms(f).map_or_else(render::now_ms, |(_, last)| last);
    let product = render::asff::Product::of_finding(f)?;
    serde_json::to_string(&render::asff::render(f, &product, now)).ok()
}
