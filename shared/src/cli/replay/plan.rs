//! What a replay's command line asks to read: its inputs in order (local
//! files, S3 archives, directories with nothing to read) and the
//! `--since`/`--until`/`--accounts`/`--regions` filter.

use std::path::PathBuf;

use trailwatch::archive::layout::{self, Filter};
use trailwatch::event::reader;
use trailwatch::sanitize::one_line;

use super::Args;

/// The number of local files, when there is no S3 input.
pub(super) fn local_files(inputs: &[Input]) -> Option<usize> {
    inputs
        .iter()
        .map(|i| match i {
            Input::Local(p) => Some(p.len()),
            Input::Empty(_) | Input::Unread { .. } => Some(0),
            Input::S3 { .. } => None,
        })
        .sum()
}

/// One input of the command line: local files (expanded), or an S3 archive.
pub(super) enum Input {
    Local(Vec<PathBuf>),
    S3 {
        bucket: String,
        prefix: String,
    },
    /// A directory named with no input file in it: reported and counted as
    /// rejected (`--strict` exits 1), as an S3 PREFIX with nothing under it is,
    /// while the other inputs are read (from two reviews).
    Empty(PathBuf),
    /// Files of a directory named, compressed in a form the reader does not
    /// take: each counted as rejected (`--strict` exits 1), said once (from a
    /// review: a gate on `--strict` passed a directory it had not read whole).
    Unread {
        dir: PathBuf,
        files: Vec<PathBuf>,
    },
}

/// What the command line asks to read.
pub(super) struct Plan {
    pub inputs: Vec<Input>,
    pub filter: Filter,
    /// What the directory walks did not read (compressed files aside, which
    /// are inputs of their own): files skipped by name, links not followed.
    /// Said in the summary, never an error, `--strict` or not (a trail's
    /// bucket holds digests and other files legitimately).
    pub skipped_by_name: reader::LeftOut,
}

/// The inputs in the order given, consecutive local paths read together (their
/// CloudTrail log files in the order an S3 replay reads them, across the paths:
/// `reader::archive_order`), and the files of directories not taken by name.
pub(super) fn gather(paths: &[PathBuf]) -> Result<(Vec<Input>, reader::LeftOut), String> {
    let mut out: Vec<Input> = Vec::new();
    let mut left_out = reader::LeftOut::default();
    // Standard input can be read once: a second `-` would only say it was empty.
    if paths.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
        return Err("standard input (-) is named more than once".into());
    }
    for p in paths {
        if let Some(url) = p.to_str().filter(|s| s.starts_with("s3://")) {
            let (bucket, prefix) = layout::parse_s3_url(url)?;
            // A PREFIX outside CloudTrail's layout is refused now, before any
            // input is read, not when its turn comes.
            layout::Scope::parse(&prefix).map_err(|e| format!("{}: {e}", one_line(url, 500)))?;
            out.push(Input::S3 { bucket, prefix });
            continue;
        }
        // The message names the path, which may hold any character.
        let found = reader::expand_paths_noting(std::slice::from_ref(p), &mut left_out)
            .map_err(|e| one_line(&e.to_string(), 2000))?;
        // Compressed files are said per path (its own input); the rest adds up.
        let compressed = std::mem::take(&mut left_out.compressed);
        if !compressed.is_empty() {
            out.push(Input::Unread {
                dir: p.clone(),
                files: compressed,
            });
        }
        if found.is_empty() {
            out.push(Input::Empty(p.clone()));
            continue;
        }
        // An empty directory between two local paths does not part them: it
        // is reported, and the files on both sides are ordered together.
        let run = out
            .iter_mut()
            .rev()
            .find(|input| !matches!(input, Input::Empty(_) | Input::Unread { .. }));
        match run {
            Some(Input::Local(files)) => files.extend(found),
            _ => out.push(Input::Local(found)),
        }
    }
    for input in &mut out {
        if let Input::Local(files) = input {
            reader::archive_order(files);
        }
    }
    Ok((out, left_out))
}

/// `--since`, `--until`, `--accounts`, `--regions`.
pub(super) fn filter(args: &Args) -> Result<Filter, String> {
    // `--accounts "$EMPTY"` (an unset shell variable) names nothing: refused, not
    // read as every account.
    for (option, items) in [("--accounts", &args.accounts), ("--regions", &args.regions)] {
        if layout::only_blanks(items) {
            return Err(format!(
                "{option}: the list is empty (leave the option out to take them all)"
            ));
        }
    }
    let since = args.since.as_deref().map(layout::parse_since).transpose();
    let until = args.until.as_deref().map(layout::parse_until).transpose();
    let f = Filter {
        since: since.map_err(|e| format!("--since: {e}"))?,
        until: until.map_err(|e| format!("--until: {e}"))?,
        accounts: layout::parse_accounts(&args.accounts).map_err(|e| format!("--accounts: {e}"))?,
        regions: layout::parse_regions(&args.regions).map_err(|e| format!("--regions: {e}"))?,
    };
    if let (Some(s), Some(u)) = (f.since, f.until)
        && s >= u
    {
        return Err("--since must be before --until".into());
    }
    Ok(f)
}
