//! Findings to stdout: readable text blocks, or exactly one JSON object per line.

use std::io::{self, BufWriter, IsTerminal, Stdout, Write};
use std::sync::Mutex;

use trailwatch::finding::Finding;
use trailwatch::notify::{Notifier, NotifyError};

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Jsonl,
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
        };
        r.map_err(|e| {
            NotifyError(if e.kind() == io::ErrorKind::BrokenPipe {
                "broken pipe".into()
            } else {
                e.to_string()
            })
        })
    }
}
